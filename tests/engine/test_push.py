import pytest

from calendar_sync_base.services.push import is_public_https


@pytest.mark.parametrize(
    "url",
    ["https://odoo.example.com", "https://erp.example.com:8443/", "https://8.8.8.8/odoo"],
)
def test_public_https_addresses(url):
    assert is_public_https(url)


@pytest.mark.parametrize(
    "url",
    [
        None,
        "",
        "http://odoo.example.com",
        "https://localhost:8069",
        "https://127.0.0.1",
        "https://10.1.2.3",
        "https://192.168.1.20:8069",
        "https://[::1]/",
        "https://odoo",
        "https://odoo.local",
        "https://erp.corp.internal",
        "https://x.localhost",
    ],
)
def test_private_or_plain_addresses(url):
    assert not is_public_https(url)
