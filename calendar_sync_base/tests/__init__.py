from . import (
    test_account_lock,
    test_error_messages,
    test_event_translation,
    test_security,
    test_security_rpc,
    test_sync_credential,
    test_sync_log,
    test_sync_mixin,
    test_sync_summary,
)
