from . import (
    test_exchange_autodiscover,
    test_exchange_certificates,
    test_exchange_connect,
    test_exchange_console,
    test_exchange_contacts,
    test_exchange_contracts,
    test_exchange_oauth,
    test_exchange_security,
    test_exchange_sent_mail,
    test_exchange_settings,
    test_exchange_sync,
)
