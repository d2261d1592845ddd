from . import (
    calendar_event,
    calendar_sync_account,
    calendar_sync_provider_microsoft,
    res_config_settings,
)
