from . import test_base_cases, test_fake_provider
