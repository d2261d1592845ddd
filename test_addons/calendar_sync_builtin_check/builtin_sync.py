"""Point Odoo 18's own google_calendar and microsoft_calendar at the project's emulators and
drive them the way their crons and post-commit hooks do, without changing a line of them.

Their endpoints are not settings: Google's are module constants (one of them also copied into
``res_users_settings`` by ``from ... import``, and ``_do_request`` freezes the API base as a
default argument at import and checks every URL's host against the constants), Graph's base URL
likewise. So the constants and that default are patched for the duration of a ``with`` block;
the sign-in and token URLs Microsoft's module reads from settings are set as settings.
Used by the check's tests and by ``make bench-compare``.
"""

import contextlib
from datetime import timedelta
from unittest.mock import patch

from odoo import fields

GOOGLE_CLIENT_ID = "odoo-builtin-check.apps.googleusercontent.com"
MICROSOFT_CLIENT_ID = "8d7a1c52-5b7e-4f0c-9c1e-0d00b17c4ec0"
CLIENT_SECRET = "builtin-check-secret"


def _patch_preuri(stack, function, old_url, new_url):
    """``preuri=<old_url>`` is a default argument: bound at import, so the constant alone is
    not enough."""
    defaults = tuple(new_url if value == old_url else value for value in function.__defaults__)
    stack.enter_context(patch.object(function, "__defaults__", defaults))


@contextlib.contextmanager
def google_pointed_at(env, google):
    """Odoo's google_account/google_calendar talk to ``google`` (a GoogleEmulator)."""
    from odoo.addons.google_account.models import google_service
    from odoo.addons.google_calendar.models import res_users_settings

    with contextlib.ExitStack() as stack:
        _patch_preuri(
            stack,
            google_service.GoogleService._do_request,
            google_service.GOOGLE_API_BASE_URL,
            google.url,
        )
        token_endpoint = f"{google.url}/o/oauth2/token"
        for module, name, value in (
            (google_service, "GOOGLE_AUTH_ENDPOINT", f"{google.url}/o/oauth2/auth"),
            (google_service, "GOOGLE_TOKEN_ENDPOINT", token_endpoint),
            (google_service, "GOOGLE_API_BASE_URL", google.url),
            (res_users_settings, "GOOGLE_TOKEN_ENDPOINT", token_endpoint),
        ):
            stack.enter_context(patch.object(module, name, value))
        params = env["ir.config_parameter"].sudo()
        params.set_param("google_calendar_client_id", GOOGLE_CLIENT_ID)
        params.set_param("google_calendar_client_secret", CLIENT_SECRET)
        params.set_param("google_calendar_sync_paused", False)
        yield


@contextlib.contextmanager
def microsoft_pointed_at(env, microsoft):
    """Odoo's microsoft_account/microsoft_calendar talk to ``microsoft`` (a
    MicrosoftEmulator, whose CA this process must already trust)."""
    from odoo.addons.microsoft_account.models import microsoft_service

    with contextlib.ExitStack() as stack:
        _patch_preuri(
            stack,
            microsoft_service.MicrosoftService._do_request,
            microsoft_service.DEFAULT_MICROSOFT_GRAPH_ENDPOINT,
            microsoft.url,
        )
        token_endpoint = f"{microsoft.authority}/oauth2/v2.0/token"
        for name, value in (
            ("DEFAULT_MICROSOFT_AUTH_ENDPOINT", f"{microsoft.authority}/oauth2/v2.0/authorize"),
            ("DEFAULT_MICROSOFT_TOKEN_ENDPOINT", token_endpoint),
            ("DEFAULT_MICROSOFT_GRAPH_ENDPOINT", microsoft.url),
        ):
            stack.enter_context(patch.object(microsoft_service, name, value))
        params = env["ir.config_parameter"].sudo()
        params.set_param(
            "microsoft_account.auth_endpoint", f"{microsoft.authority}/oauth2/v2.0/authorize"
        )
        params.set_param("microsoft_account.token_endpoint", token_endpoint)
        params.set_param("microsoft_calendar_client_id", MICROSOFT_CLIENT_ID)
        params.set_param("microsoft_calendar_client_secret", CLIENT_SECRET)
        params.set_param("microsoft_calendar_sync_paused", False)
        yield


def connect_google(env, user, google, lifetime=3599):
    """What the OAuth callback stores: the emulator's tokens for ``user``'s address."""
    google.add_account(user.email, time_zone=user.tz or "UTC")
    access, refresh = google.issue_tokens(user.email)
    settings = env["res.users.settings"].sudo()._find_or_create_for_user(user)
    settings._set_google_auth_tokens(access, refresh, lifetime)


def connect_microsoft(user, microsoft, lifetime=3599):
    microsoft.add_account(user.email, user.name, time_zone="Romance Standard Time")
    access, refresh = microsoft.issue_tokens(user.email)
    user.sudo().write(
        {
            "microsoft_calendar_rtoken": refresh,
            "microsoft_calendar_token": access,
            "microsoft_calendar_token_validity": fields.Datetime.now()
            + timedelta(seconds=lifetime),
        }
    )


def run_post_commit_hooks(env):
    """The built-in modules send their inserts, patches and deletes in post-commit hooks
    (``@after_commit``); a test or bench never commits, so run them as the commit would."""
    env.flush_all()  # a commit flushes first: the hooks read through a cursor of their own
    callbacks = env.cr.postcommit._funcs
    while callbacks:
        callbacks.popleft()()
    env.invalidate_all()  # and what they wrote is not in this environment's cache


def sync_google(env, user):
    """One run of the built-in Google cron for ``user``, then its post-commit requests."""
    from odoo.addons.google_calendar.utils.google_calendar import GoogleCalendarService

    service = GoogleCalendarService(env["google.service"])
    user.with_user(user).sudo()._sync_google_calendar(service)
    run_post_commit_hooks(env)


def sync_microsoft(env, user):
    """One run of the built-in Outlook cron for ``user``, then its post-commit requests."""
    user.with_user(user).sudo()._sync_microsoft_calendar()
    run_post_commit_hooks(env)
