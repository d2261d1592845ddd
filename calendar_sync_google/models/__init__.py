from . import calendar_sync_account, res_config_settings
