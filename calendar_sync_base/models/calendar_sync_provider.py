from odoo import api, fields, models


class CalendarSyncProvider(models.AbstractModel):
    """What a provider addon tells the base: its capabilities and the methods it answers.

    A provider registers by declaring ``calendar.sync.provider.<code>`` (``_inherit`` this
    model, set ``_sync_provider_code``) and adding ``<code>`` to
    ``calendar.sync.account.provider`` with ``selection_add`` (its label is the provider's
    name shown to users). The base finds it with ``account._sync_provider()`` and never names
    a provider itself. docs/ARCHITECTURE.md, "Adding a provider", walks through it.

    Methods that take ``account`` run with the account's environment (usually sudo, under
    the sync's row lock); the others are configuration-level.
    """

    _name = "calendar.sync.provider"
    _description = "Calendar Sync Provider"

    # ------------------------------------------------------------------ capabilities

    # The value the provider adds to calendar.sync.account.provider; None on the contract.
    _sync_provider_code = None
    # How a user connects: "oauth_redirect" (the user consents on the provider's site),
    # "user_credentials" (the user enters them in Odoo), "admin_credentials" (the
    # administrator's credentials reach every user's calendar: connecting asks nothing).
    _sync_connect_kind = "oauth_redirect"
    # Changes pushed per account and run when the administrator set no number.
    _sync_batch_size = 50
    # Whether the provider opens push channels (``_push_open`` and ``_push_close``).
    _sync_push_notifications = False
    # A cursor older than this is dropped for a full listing (a provider whose cursor
    # freezes the listing window needs it, so the window moves on); None: never.
    _sync_cursor_max_age = None
    # Whether the provider can create an event with guests without e-mailing them; if not,
    # the user chooses what a first sync does with existing events with guests.
    _sync_pushes_silently = True
    # Whether the provider mirrors the users' partners in their address book
    # (``_contacts_connector``, ``_contacts_cron``).
    _sync_contacts = False
    # Whether e-mails users send from Odoo are saved in their mailbox's Sent Items
    # (``_sent_items_client``, ``_mail_cron``).
    _sync_sent_items = False

    # ------------------------------------------------------------------ registry

    @api.model
    def _sync_provider_models(self):
        """``{code: model name}`` of every provider model in the registry."""
        registry = self.env.registry
        return {
            registry[name]._sync_provider_code: name
            for name in registry.descendants([self._name], "_inherit")
            if registry[name]._sync_provider_code
        }

    @api.model
    def _sync_label(self):
        """The provider's name shown to users (its selection label)."""
        accounts = self.env["calendar.sync.account"]
        return accounts._sync_provider_label(self._sync_provider_code)

    # ------------------------------------------------------------------ configuration

    @api.model
    def _is_configured(self):
        """Whether the administrator gave everything the provider needs to connect users
        (the base checks separately that the provider is enabled)."""
        raise NotImplementedError

    @api.model
    def _not_configured_message(self):
        """What a user reads when the provider is enabled but not configured."""
        return self.env._(
            "An administrator must finish setting up %(provider)s in "
            "Calendar > Configuration > Settings first. An administrator has been notified.",
            provider=self._sync_label(),
        )

    @api.model
    def _not_configured_detail(self):
        """What the administrators are told is missing."""
        return self.env._(
            "The settings of %(provider)s are incomplete.", provider=self._sync_label()
        )

    @api.model
    def _cron(self):
        """The provider's scheduled synchronization (an ``ir.cron`` calling
        ``model._cron_sync("<code>")`` on calendar.sync.account), or an empty record."""
        raise NotImplementedError

    @api.model
    def _scheduled_action(self, xmlid):
        """The provider's scheduled action ``xmlid``, or an empty record if it was deleted."""
        return self.env.ref(xmlid, raise_if_not_found=False) or self.env["ir.cron"]

    @api.model
    def _contacts_cron(self):
        """The provider's scheduled contact synchronization (an ``ir.cron`` calling
        ``model._cron_sync_contacts("<code>")`` on calendar.sync.contact.link), or an empty
        record (the Sync Console then offers no Sync Contacts Now)."""
        return self.env["ir.cron"]

    @api.model
    def _mail_cron(self):
        """The provider's scheduled copy of sent e-mails (an ``ir.cron`` calling
        ``model._cron_copy_sent_mails("<code>")`` on calendar.sync.sent.mail), or an empty
        record (the Sync Console then offers no Sync E-mail Now)."""
        return self.env["ir.cron"]

    # ------------------------------------------------------------------ connecting

    @api.model
    def _connect_action(self, user):
        """What the Calendar side panel does when ``user`` connects (or reconnects):
        ``{"status": "redirect", "url": ...}`` (the consent page of an OAuth provider), or
        ``{"status": "action", "action": ...}`` (an action the web client runs: a form where
        the user enters credentials, or a notification when connecting asks nothing)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ synchronizing

    @api.model
    def _connector(self, account):
        """The ``CalendarConnector`` (services/protocol.py) for ``account``: built from the
        account's credentials (``account._sync_credentials()``), HTTP session
        (``account._sync_http_session()``), window (``account._sync_window_start()``) and
        page options (``account._sync_page_options()``)."""
        raise NotImplementedError

    @api.model
    def _contacts_connector(self, account):
        """The ``ContactConnector`` (services/contact.py) of ``account``'s address book.
        Only with ``_sync_contacts``."""
        raise NotImplementedError

    @api.model
    def _sent_items_client(self, account):
        """The ``SentItemsClient`` (services/sent_mail.py) of ``account``'s Sent Items.
        Only with ``_sync_sent_items``."""
        raise NotImplementedError

    @api.model
    def _cursor_is_stale(self, cursor_started):
        """Whether a cursor whose full listing ran at ``cursor_started`` must be dropped."""
        max_age = self._sync_cursor_max_age
        return bool(max_age and cursor_started < fields.Datetime.now() - max_age)

    # ------------------------------------------------------------------ Sync Console

    @api.model
    def _console_check_connection(self):
        """Test Connection: reach the provider with the configured credentials; return what
        it accepted (a message), raise a ``SyncError`` with its reason otherwise."""
        raise NotImplementedError

    @api.model
    def _console_probe(self, account, connector):
        """Validate Users: one light request reading ``account``'s calendar through
        ``connector``; raises when the calendar cannot be read."""
        raise NotImplementedError

    # ------------------------------------------------------------------ push channels

    @api.model
    def _push_open(self, account, base_url, secret):
        """Open a push channel for ``account`` calling back under ``base_url`` with
        ``secret``; returns ``calendar.sync.channel`` values (``remote_id``, ``expiration``,
        optionally ``resource_id``). Only with ``_sync_push_notifications``."""
        raise NotImplementedError

    @api.model
    def _push_close(self, channel):
        """Stop ``channel`` remotely."""
        raise NotImplementedError

    @api.model
    def _push_renew(self, channel):  # pylint: disable=unused-argument
        """Renew ``channel`` in place and return its new expiration, or None where the
        provider cannot (then the base opens a new channel and closes this one)."""
        return None

    @api.model
    def _push_reauthorize(self, channel):
        """Do what a "reauthorization required" notice about ``channel`` asks."""
        raise NotImplementedError
