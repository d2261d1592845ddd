from . import calendar_sync_reset_wizard
