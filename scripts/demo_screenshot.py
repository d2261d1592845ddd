"""Regenerate the README screenshots of `make demo` (docs/images/demo-*.png).

Start the demo first (`make demo`, or `DEMO_FRESH=1 make demo` to show the whole OAuth flow),
then, in another terminal:

    .venv/bin/python scripts/demo_screenshot.py

It drives a headless Chromium through the real flow, over the DevTools protocol (only
``websocket-client``, no Playwright): log in as admin, open Calendar, click "Google"; if not
connected yet, screenshot the emulator's consent page and click "Allow"; back in Calendar
(month view), create an event in Odoo, click "Google" again to push it, and screenshot the
calendar with the sync notification. Then the rest of what the README shows: the side panel
paused (and resumed), the settings (redirect URI to copy; the Outlook block with each backend,
the EWS one shown then discarded; Contact Sync), a history entry and the reset wizard
(cancelled, nothing is reset). Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import io
import itertools
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket

ROOT = pathlib.Path(__file__).resolve().parents[1]
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--hide-scrollbars",
    "--mute-audio",
    "--remote-allow-origins=*",
]
MAX_PNG_BYTES = 300_000
PUSHED_EVENT = "Quarterly review (created in Odoo)"


class Browser:
    """Just enough of the Chrome DevTools protocol: navigate, evaluate, wait, screenshot."""

    def __init__(self, executable, width, height, time_zone):
        self.profile = tempfile.mkdtemp(prefix="demo-screenshot-")
        env = {**os.environ, "TZ": time_zone}
        self.process = subprocess.Popen(
            [
                executable,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={self.profile}",
                "--remote-debugging-port=0",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port = self._devtools_port()
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list"))
        page = next(t for t in targets if t["type"] == "page")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60)
        self.ids = itertools.count(1)
        self.send("Page.enable")
        self.send("Runtime.enable")
        self.resize(width, height)

    def _devtools_port(self):
        marker = pathlib.Path(self.profile, "DevToolsActivePort")
        for _ in range(200):
            if marker.exists() and marker.read_text().strip():
                return int(marker.read_text().split()[0])
            if self.process.poll() is not None:
                raise SystemExit("Chromium exited at start")
            time.sleep(0.1)
        raise SystemExit("Chromium did not open its DevTools port")

    def send(self, method, **params):
        call_id = next(self.ids)
        self.ws.send(json.dumps({"id": call_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == call_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def resize(self, width, height):
        self.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )

    def evaluate(self, expression):
        result = self.send(
            "Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait(self, condition, what, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.evaluate(f"!!({condition})"):
                    return
            except RuntimeError:  # the page is navigating
                pass
            time.sleep(0.25)
        raise SystemExit(f"timed out waiting for {what} (at {self.evaluate('location.href')})")

    def goto(self, url):
        self.send("Page.navigate", url=url)
        time.sleep(0.3)
        self.wait("document.readyState === 'complete'", f"{url} to load")

    def click(self, selector):
        self.wait(f"document.querySelector({json.dumps(selector)})", selector)
        self.evaluate(f"document.querySelector({json.dumps(selector)}).click()")

    def screenshot(self, path):
        data = base64.b64decode(self.send("Page.captureScreenshot", format="png")["data"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(shrink_png(data))
        print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size // 1024} KB)")

    def close(self):
        try:
            self.ws.close()
        finally:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
            shutil.rmtree(self.profile, ignore_errors=True)


def shrink_png(data):
    """A palette PNG when the screenshot is too large for the README (Pillow comes with Odoo)."""
    if len(data) <= MAX_PNG_BYTES:
        return data
    from PIL import Image

    image = Image.open(io.BytesIO(data)).convert("RGB")
    out = io.BytesIO()
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(out, "PNG", optimize=True)
    return out.getvalue()


def rpc(model, method, *args, **kwargs):
    """JavaScript: a JSON-RPC call_kw from the logged-in page."""
    payload = {
        "jsonrpc": "2.0",
        "method": "call",
        "params": {"model": model, "method": method, "args": args, "kwargs": kwargs},
    }
    return f"""fetch('/web/dataset/call_kw/{model}/{method}', {{method: 'POST',
        headers: {{'Content-Type': 'application/json'}}, body: {json.dumps(json.dumps(payload))}}})
        .then(r => r.json()).then(r => {{ if (r.error) throw new Error(JSON.stringify(r.error));
        return r.result; }})"""


BUTTON = ".o_calendar_sync_button.o_calendar_sync_google"


def run(args):
    out_dir = ROOT / args.out_dir
    browser = Browser(args.chromium, args.width, args.height, args.time_zone)
    try:
        browser.goto(f"{args.odoo_url}/web/login")
        browser.wait("document.querySelector('input[name=login]')", "the login form")
        browser.evaluate(
            f"""(() => {{ const f = document.querySelector('form.oe_login_form');
            f.querySelector('input[name=login]').value = {json.dumps(args.login)};
            f.querySelector('input[name=password]').value = {json.dumps(args.password)};
            f.submit(); }})()"""
        )
        browser.wait("location.pathname.startsWith('/odoo')", "the login")
        # The calendar remembers its scale per tab: show the month, where all demo events fit.
        browser.evaluate("sessionStorage.setItem('calendar-scale', 'month')")
        browser.goto(f"{args.odoo_url}/odoo/calendar")
        browser.wait(f"document.querySelector('{BUTTON}')", "the Google button", timeout=120)

        if browser.evaluate(
            f"!!document.querySelector('{BUTTON}.o_calendar_sync_state_connected')"
        ):
            print("already connected: no consent page this time (DEMO_FRESH=1 make demo for it)")
        else:
            browser.click(BUTTON)
            browser.wait(
                f"location.href.startsWith({json.dumps(args.emulator_url)}) && "
                "document.querySelector('#allow')",
                "the emulator's consent page",
            )
            browser.resize(args.consent_width, args.consent_height)
            browser.screenshot(out_dir / "demo-consent.png")
            browser.resize(args.width, args.height)
            browser.click("#allow")
            browser.wait(
                f"location.href.startsWith({json.dumps(args.odoo_url)}) && "
                f"document.querySelector('{BUTTON}.o_calendar_sync_state_connected')",
                "the redirect back to Calendar, connected",
            )
        browser.wait("document.querySelectorAll('.fc-event').length >= 5", "the demo events")

        # An event made in Odoo, pushed by the next click on "Google".
        if not browser.evaluate(
            rpc("calendar.event", "search_count", [["name", "=", PUSHED_EVENT]])
        ):
            day = dt.date.today() + dt.timedelta(days=4)
            browser.evaluate(
                rpc(
                    "calendar.event",
                    "create",
                    {
                        "name": PUSHED_EVENT,
                        "start": f"{day} 13:00:00",
                        "stop": f"{day} 14:30:00",
                    },
                )
            )
        browser.click(f"{BUTTON}:not([disabled])")
        browser.wait(
            "[...document.querySelectorAll('.o_notification')]"
            ".some(n => n.textContent.includes('pushed'))",
            "the sync notification",
        )
        title = json.dumps(PUSHED_EVENT[:20])  # month cells cut long titles
        browser.wait(
            "[...document.querySelectorAll('.fc-event')]"
            f".some(e => e.textContent.includes({title}))"
            f" && document.querySelector('{BUTTON}:not([disabled])')",
            "the calendar to reload",
        )
        browser.evaluate("document.activeElement && document.activeElement.blur()")
        time.sleep(0.5)  # let the notification finish its entrance animation
        browser.screenshot(out_dir / "demo-calendar.png")
        screenshot_pause(browser, out_dir)
        screenshot_settings(browser, args, out_dir)
        screenshot_outlook_settings(browser, args, out_dir)
        screenshot_history(browser, args, out_dir)
        screenshot_reset_wizard(browser, out_dir)
    finally:
        browser.close()


def wait_for_text(browser, selector, text, what):
    browser.wait(
        f"[...document.querySelectorAll({json.dumps(selector)})]"
        f".some(e => e.textContent.includes({json.dumps(text)}))",
        what,
    )


def screenshot_pause(browser, out_dir):
    """The side panel paused by the user (Pause, confirmed), then resumed by the button."""
    browser.click(".o_calendar_sync_google ~ .o_calendar_sync_pause")
    browser.click(".modal .modal-footer .btn-primary")
    wait_for_text(browser, ".o_calendar_sync_state_label", "Paused by you", "the paused state")
    time.sleep(0.5)
    browser.screenshot(out_dir / "demo-panel-paused.png")
    browser.click(f"{BUTTON}:not([disabled])")
    wait_for_text(browser, ".o_calendar_sync_state_label", "Synchronized", "the resumed state")


def screenshot_settings(browser, args, out_dir):
    browser.goto(f"{args.odoo_url}/odoo/action-calendar.calendar_settings_action")
    field = "[name=calendar_sync_google_redirect_uri]"
    wait_for_text(browser, field, "/calendar_sync_google/authentication", "the redirect URI")
    browser.evaluate(f"document.querySelector('{field}').scrollIntoView({{block: 'center'}})")
    time.sleep(0.5)
    browser.screenshot(out_dir / "demo-settings.png")


def screenshot_outlook_settings(browser, args, out_dir):
    """The Outlook block (backend Graph or EWS, sent e-mails) and the Contact Sync block."""
    browser.goto(f"{args.odoo_url}/odoo/action-calendar.calendar_settings_action")
    browser.wait("document.querySelector('[name=calendar_sync_outlook_backend]')", "the backend")
    browser.evaluate(
        "document.querySelector('[name=calendar_sync_outlook_backend]')"
        ".closest('.o_setting_box').scrollIntoView({block: 'start'})"
    )
    time.sleep(0.5)
    browser.screenshot(out_dir / "demo-settings-outlook.png")
    backend = "[name=calendar_sync_outlook_backend] input[data-value={}]"
    browser.click(backend.format("ews"))
    browser.wait("document.querySelector('[name=calendar_sync_exchange_ews_url]')", "EWS fields")
    time.sleep(0.5)
    browser.screenshot(out_dir / "demo-settings-exchange.png")
    browser.click(backend.format("graph"))  # shown only, never saved
    browser.click(".o_form_button_cancel")
    browser.evaluate(
        "document.querySelector('[name=calendar_sync_contact_direction]')"
        ".closest('.o_setting_box').scrollIntoView({block: 'center'})"
    )
    time.sleep(0.5)
    browser.screenshot(out_dir / "demo-settings-contacts.png")


def screenshot_history(browser, args, out_dir):
    """The user's own history, and the first synchronization's one entry with its events."""
    browser.goto(f"{args.odoo_url}/odoo/action-calendar_sync_base.calendar_sync_log_action_mine")
    row = ".o_list_view .o_data_row td[name=operation]"
    wait_for_text(browser, row, "First Synchronization", "the history entry")
    browser.evaluate(
        f"[...document.querySelectorAll({json.dumps(row)})]"
        ".find(e => e.textContent.includes('First Synchronization')).click()"
    )
    browser.wait("document.querySelector('.o_form_view .o_field_widget[name=detail_ids]')", "it")
    time.sleep(0.5)
    browser.screenshot(out_dir / "demo-history.png")


def screenshot_reset_wizard(browser, out_dir):
    """Reset Account as opened from My Preferences; cancelled, nothing is reset."""
    account_id = browser.evaluate(
        rpc("calendar.sync.account", "search", [["provider", "=", "google"]], limit=1)
    )[0]
    browser.evaluate(
        rpc("calendar.sync.account", "action_open_reset_wizard", [account_id])
        + ".then(action => odoo.__WOWL_DEBUG__.root.env.services.action.doAction(action))"
    )
    browser.wait("document.querySelector('.modal .o_calendar_sync_reset_pull_back')", "the wizard")
    time.sleep(0.5)
    browser.screenshot(out_dir / "demo-reset.png")
    browser.click(".modal .modal-footer .btn-secondary")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--odoo-url", default="http://localhost:8069")
    parser.add_argument("--emulator-url", default="http://127.0.0.1:8765")
    parser.add_argument("--login", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--out-dir", default="docs/images")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=800)
    parser.add_argument("--consent-width", type=int, default=800)
    parser.add_argument("--consent-height", type=int, default=360)
    parser.add_argument("--time-zone", default="Europe/Brussels", help="the browser's")
    run(parser.parse_args(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
