from . import (
    test_microsoft_oauth,
    test_microsoft_recurrence,
    test_microsoft_reset,
    test_microsoft_settings,
    test_microsoft_sync,
)
from . import test_microsoft_round_trip
