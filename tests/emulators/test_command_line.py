"""``python -m emulators``: the command line that runs an emulator as a process."""

import pytest

from emulators.__main__ import build_parser, parse_webhook_hosts


def test_webhook_hosts_map_public_names_to_local_servers():
    args = build_parser().parse_args(
        ["google", "--webhook-host", "odoo.example.com=http://127.0.0.1:8069"]
    )
    assert parse_webhook_hosts(args.webhook_host) == {"odoo.example.com": "http://127.0.0.1:8069"}


def test_a_webhook_host_without_url_is_refused():
    with pytest.raises(SystemExit, match="host=url"):
        parse_webhook_hosts(["odoo.example.com"])
