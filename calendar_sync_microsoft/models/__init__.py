from . import calendar_event, calendar_sync_account, res_config_settings
