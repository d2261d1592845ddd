from . import (
    test_microsoft_history,
    test_microsoft_cron_budget,
    test_microsoft_existing_guests,
    test_microsoft_honest,
    test_microsoft_oauth,
    test_microsoft_problems,
    test_microsoft_recurrence,
    test_microsoft_reset,
    test_microsoft_sent_mail,
    test_microsoft_resilience,
    test_microsoft_settings,
    test_microsoft_tour,
    test_microsoft_sync,
    test_two_calendars,
)
from . import test_microsoft_paged_pull
from . import test_microsoft_round_trip
from . import test_microsoft_push_notifications
from . import test_microsoft_console
from . import test_microsoft_contacts
