from . import (
    calendar_event,
    calendar_sync_account,
    calendar_sync_provider_microsoft,
    calendar_sync_sent_mail,
    mail_mail,
    res_config_settings,
)
