from . import calendar_sync_account, calendar_sync_provider_fake
