from . import test_google_settings, test_google_sync
from . import test_google_oauth
from . import test_google_recurrence
from . import test_google_reset
from . import test_google_history
from . import test_google_rules
from . import test_google_tour
from . import test_google_push_trigger
from . import test_google_cron_budget
from . import test_google_resilience
from . import test_google_problems
from . import test_google_honest
from . import test_google_paged_pull
from . import test_google_round_trip
from . import test_google_push_notifications
from . import test_google_panel
from . import test_google_readable_history
from . import test_google_console
