from . import calendar_sync_reset_wizard
from . import calendar_sync_console
from . import calendar_sync_console_reset_wizard
from . import calendar_sync_console_contacts
from . import calendar_sync_console_reset_wizard_contacts
