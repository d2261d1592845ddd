from . import test_base_cases, test_contracts, test_fake_provider
