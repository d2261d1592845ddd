"""Google Calendar v3 connector: pure Python, no ``odoo`` import anywhere below this package.

- ``mapper``: Google event JSON <-> neutral ``SyncEvent``.
- ``client``: ``GoogleCalendarClient``, the ``CalendarConnector`` for Google Calendar v3.
- ``auth``: OAuth 2.0 helpers (authorization URL with PKCE, code exchange, refresh) and
  ``GoogleTokenProvider``.

The engine is imported by its top-level name (``calendar_sync_base.services...``), never through
``odoo.addons``: inside Odoo that name is a package shell registered by
``calendar_sync_base.expose_pure_package``; under pytest the root ``conftest.py`` registers it.
"""
