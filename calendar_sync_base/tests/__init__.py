# The base declares no provider: its provider-agnostic cases (``*_cases.py``) are mixins that
# a provider's test case runs (test_addons/calendar_sync_test runs them all with its fake
# provider, as OCA's test_connector does for connector).
