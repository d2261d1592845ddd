from . import (
    calendar_sync_mixin,
    calendar_sync_runner,
    calendar_sync_account,
    calendar_sync_link,
    calendar_sync_log,
    calendar_sync_log_line,
    calendar_event,
    calendar_attendee,
    calendar_recurrence,
    res_partner,
    res_users,
    res_config_settings,
)
