from . import (
    test_microsoft_history,
    test_microsoft_cron_budget,
    test_microsoft_oauth,
    test_microsoft_recurrence,
    test_microsoft_reset,
    test_microsoft_resilience,
    test_microsoft_settings,
    test_microsoft_sync,
    test_two_calendars,
)
