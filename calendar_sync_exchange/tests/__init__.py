from . import test_exchange_connect, test_exchange_sync
