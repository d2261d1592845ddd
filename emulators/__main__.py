"""Run one emulator until Ctrl-C: ``python -m emulators google --port 8765 --seed-demo``.

Extra constructor arguments: ``--option name=value`` (repeatable; the value is parsed as JSON
when it can be, else kept as a string), e.g. ``--option auto_approve=true``.
``--webhook-host odoo.example.com=http://127.0.0.1:8069`` (repeatable) delivers push
notifications addressed to that public host name to the local server (see emulators/webhooks.py).
"""

from __future__ import annotations

import argparse
import importlib
import json
import signal
import sys

# name -> "module:Class". The class takes ``port=`` (and optional keyword options) and may
# offer ``seed_demo()``.
REGISTRY: dict[str, str] = {
    "google": "emulators.google:GoogleEmulator",
    "microsoft": "emulators.microsoft:MicrosoftEmulator",
    "ews": "emulators.ews:EwsEmulator",
}


def load(name: str):
    """The emulator class registered under ``name``."""
    try:
        target = REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise SystemExit(f"unknown emulator {name!r}; known: {known}") from None
    module_name, _, class_name = target.partition(":")
    return getattr(importlib.import_module(module_name), class_name)


def parse_options(pairs: list[str]) -> dict[str, object]:
    options: dict[str, object] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep:
            raise SystemExit(f"--option expects name=value, got {pair!r}")
        try:
            options[key.replace("-", "_")] = json.loads(raw)
        except json.JSONDecodeError:
            options[key.replace("-", "_")] = raw
    return options


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m emulators", description=__doc__)
    parser.add_argument("name", choices=sorted(REGISTRY), help="which emulator")
    parser.add_argument("--port", type=int, default=0, help="TCP port (0: pick a free one)")
    parser.add_argument("--seed-demo", action="store_true", help="load the demo data set")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    parser.add_argument(
        "--option", action="append", default=[], metavar="NAME=VALUE", help="constructor option"
    )
    parser.add_argument(
        "--webhook-host",
        action="append",
        default=[],
        metavar="HOST=URL",
        help="deliver notifications addressed to https://HOST/... to URL/...",
    )
    return parser


def parse_webhook_hosts(pairs: list[str]) -> dict[str, str]:
    hosts: dict[str, str] = {}
    for pair in pairs:
        host, sep, url = pair.partition("=")
        if not sep or not url:
            raise SystemExit(f"--webhook-host expects host=url, got {pair!r}")
        hosts[host] = url
    return hosts


def _interrupt(*_args) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    cls = load(args.name)
    emulator = cls(port=args.port, verbose=args.verbose, **parse_options(args.option))
    emulator.webhook_hosts.update(parse_webhook_hosts(args.webhook_host))
    if args.seed_demo:
        emulator.seed_demo()
    emulator.start()
    signal.signal(signal.SIGTERM, _interrupt)
    print(f"{args.name} emulator listening on {emulator.url}", flush=True)
    describe = getattr(emulator, "describe", None)
    if describe is not None:
        print(describe(), flush=True)
    emulator.serve_forever()
    print("stopped", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
