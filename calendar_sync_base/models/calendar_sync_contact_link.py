import ast
import logging
import time

from odoo import api, fields, models
from odoo.osv import expression
from odoo.tools import email_split, html2plaintext, is_html_empty

from calendar_sync_base.services.contact import (
    Address,
    Contact,
    ContactOpKind,
    LinkOrigin,
    LinkState,
    address_slots,
    contact_emails,
    needs_listing,
    plan_contacts,
    split_person_name,
)

from .calendar_sync_account import DEADLINE_KEY, EXPECTED_FAILURES, SYNCABLE_STATES

_logger = logging.getLogger(__name__)

DIRECTION_PARAM = "calendar_sync.contact_direction"
DOMAIN_PARAM = "calendar_sync.contact_domain"
LIMIT_PARAM = "calendar_sync.max_contacts_per_user"
LAST_SYNC_PARAM = "calendar_sync_{}.contacts_last_sync".format
# Contacts go Odoo -> remote; pulling remote edits into partners is not offered (yet).
CONTACT_DIRECTIONS = [("to_remote", "Odoo -> remote"), ("off", "Disabled")]
# Partner fields other addons add (none in Odoo itself): the first one present is mapped.
BIRTHDAY_FIELDS = ("birthdate_date", "birthday")
FAX_FIELDS = ("fax",)
CHILD_ADDRESS_TYPES = ("invoice", "delivery", "other")


class CalendarSyncContactLink(models.Model):
    """One Odoo partner mirrored as a contact in one connection's remote address book.

    Which partners: see ``_partners_to_sync``. ``snapshot`` is the contact as last sent
    (neutral JSON): a partner whose contact is unchanged costs no request. ``origin`` says
    whether Odoo created the remote contact (it carries this database's stamp: Reset All
    deletes it) or linked one that existed (first-sync matching: never stamped, never deleted
    by Reset All). A link whose partner was deleted stays (``partner_id`` empty) until the
    remote contact is deleted.
    """

    _name = "calendar.sync.contact.link"
    _description = "Calendar Sync Contact Link"
    _rec_name = "remote_id"

    account_id = fields.Many2one(
        "calendar.sync.account", required=True, ondelete="cascade", index=True
    )
    provider = fields.Selection(related="account_id.provider", store=True)
    user_id = fields.Many2one(related="account_id.user_id")
    partner_id = fields.Many2one("res.partner", ondelete="set null", index="btree_not_null")
    remote_id = fields.Char(required=True, index=True)
    etag = fields.Char(help="The remote contact's change key after Odoo's last write.")
    snapshot = fields.Json(help="The contact as last sent.")
    origin = fields.Selection(
        [(LinkOrigin.CREATED.value, "Created by Odoo"), (LinkOrigin.MATCHED.value, "Matched")],
        default=LinkOrigin.CREATED.value,
        required=True,
    )
    error = fields.Text(help="Why the last change of this contact failed; retried next run.")

    _sql_constraints = [
        (
            "partner_unique",
            "unique(account_id, partner_id)",
            "A partner is one contact per connection.",
        ),
        (
            "remote_unique",
            "unique(account_id, remote_id)",
            "A remote contact is linked once per connection.",
        ),
    ]

    # ------------------------------------------------------------------ settings

    @api.model
    def _contact_sync_enabled(self):
        params = self.env["ir.config_parameter"].sudo()
        return params.get_param(DIRECTION_PARAM, "to_remote") != "off"

    @api.model
    def _contact_limit(self):
        """The administrator's maximum of contacts per user (0: none)."""
        return int(self.env["ir.config_parameter"].sudo().get_param(LIMIT_PARAM, 0) or 0)

    @api.model
    def _contact_domain(self):
        """The administrator's filter on the partners to sync (a domain literal)."""
        text = self.env["ir.config_parameter"].sudo().get_param(DOMAIN_PARAM) or "[]"
        return ast.literal_eval(text)

    @api.model
    def _partners_to_sync(self, user):
        """The partners ``user``'s address book mirrors: active contacts (not invoice /
        delivery / other addresses) the user is the salesperson of or follows, other than
        the user, within the administrator's filter."""
        domain = expression.AND(
            [
                [("type", "=", "contact"), ("id", "!=", user.partner_id.id)],
                [
                    "|",
                    ("user_id", "=", user.id),
                    ("message_partner_ids", "in", user.partner_id.ids),
                ],
                self._contact_domain(),
            ]
        )
        return self.env["res.partner"].with_context(active_test=True).search(domain, order="id")

    # ------------------------------------------------------------------ partner -> contact

    @api.model
    def _contact_of(self, partner):
        """The neutral contact of ``partner`` (OroCRM's map, see services/contact.py)."""
        if partner.is_company:
            names = {"is_company": True, "company_name": partner.name or ""}
        else:
            given, middle, surname, suffix = split_person_name(partner.name or "")
            names = {
                "given_name": given,
                "middle_name": middle,
                "surname": surname,
                "suffix": suffix,
                "company_name": partner.commercial_company_name or "",
            }
        children = partner.child_ids.filtered(lambda child: child.type in CHILD_ADDRESS_TYPES)
        return Contact(
            **names,
            title=partner.title.shortcut or partner.title.name or "",
            job_title=partner.function or "",
            emails=contact_emails(email_split(partner.email or "")),
            business_phones=tuple(filter(None, [partner.phone])),
            mobile_phone=partner.mobile or "",
            business_fax=self._optional_field(partner, FAX_FIELDS) or "",
            birthday=self._optional_field(partner, BIRTHDAY_FIELDS) or None,
            notes="" if is_html_empty(partner.comment) else html2plaintext(partner.comment),
            addresses=address_slots(
                partner.type,
                self._address_of(partner),
                [(child.type, self._address_of(child)) for child in children],
            ),
        )

    @api.model
    def _optional_field(self, partner, names):
        name = next((name for name in names if name in partner._fields), None)
        return partner[name] if name else False

    @api.model
    def _address_of(self, partner):
        return Address(
            street="\n".join(filter(None, [partner.street, partner.street2])),
            city=partner.city or "",
            state=partner.state_id.name or "",
            postal_code=partner.zip or "",
            country=partner.country_id.name or "",
        )

    # ------------------------------------------------------------------ scheduled sync

    @api.model
    def _cron_sync_contacts(self, provider):
        """Sync the contacts of every connection of ``provider``, each in its own transaction
        (row lock with SKIP LOCKED, savepoint): one user's failure is written in the sync
        history and never stops the others; a connection another worker holds waits for the
        next run."""
        accounts = self.env["calendar.sync.account"].sudo()
        if not self._contact_sync_enabled() or accounts._sync_param(
            f"calendar_sync_{provider}.paused"
        ):
            return
        self.env.flush_all()  # each account runs through its own cursor: it must see ours
        account_ids = accounts.search(
            [("provider", "=", provider), ("state", "in", SYNCABLE_STATES)], order="id"
        ).ids
        budget = accounts._sync_account_budget()
        for account_id in account_ids:
            self._sync_contacts_in_own_transaction(account_id, time.monotonic() + budget)
        self.env["ir.config_parameter"].sudo().set_param(
            LAST_SYNC_PARAM(provider), fields.Datetime.to_string(fields.Datetime.now())
        )

    @api.model
    def _sync_contacts_in_own_transaction(self, account_id, deadline):
        context = dict(self.env.context, **{DEADLINE_KEY: deadline})
        with self.env.registry.cursor() as cr:
            env = self.env(cr=cr, context=context)
            account = env["calendar.sync.account"].sudo().browse(account_id)
            if account.exists() and account._sync_try_lock():
                self.with_env(env).sudo()._sync_contacts_guarded(account)

    @api.model
    def _sync_contacts_guarded(self, account):
        try:
            with self.env.cr.savepoint():
                self._sync_contacts(account)
        # One user's failure, even a bug or bad data, must not stop the other users.
        except Exception as error:  # noqa: BLE001 pylint: disable=broad-exception-caught
            if isinstance(error, EXPECTED_FAILURES):
                _logger.warning("Contact sync of %s failed: %s", account.name, error)
            else:
                _logger.exception("Contact sync of %s failed", account.name)
            self._log_error(
                account,
                self.env._(
                    "Contact synchronization failed: %(reason)s",
                    reason=account._sync_error_message(error),
                ),
            )

    @api.model
    def _log_error(self, account, message):
        self.env["calendar.sync.log"]._log_change(account, "push", "error", message=message)

    @api.model
    def _sync_contacts(self, account):
        """Make ``account``'s remote contact folder mirror its user's partners."""
        connector = account._sync_contacts_connector()
        if connector is None:
            return
        partners = self._partners_to_sync(account.user_id)
        limit = self._contact_limit()
        if limit and len(partners) > limit:
            self._log_error(
                account,
                self.env._(
                    "Contact synchronization of %(user)s stopped: %(count)s contacts to "
                    "synchronize, over the maximum of %(limit)s per user (Settings). Nothing "
                    "was sent.",
                    user=account.user_id.name,
                    count=len(partners),
                    limit=limit,
                ),
            )
            return
        desired = {partner.id: self._contact_of(partner) for partner in partners}
        links = self.search([("account_id", "=", account.id)])
        by_key = {link._plan_key(): link for link in links}
        states = {key: link._link_state() for key, link in by_key.items()}
        remote = connector.list_contacts() if needs_listing(desired, states) else []
        ops = plan_contacts(desired, states, remote)
        results = connector.apply(ops) if ops else []
        failures = [
            self._apply_result(account, by_key.get(op.key), op, result)
            for op, result in zip(ops, results, strict=True)
        ]
        failures = [failure for failure in failures if failure]
        if failures:
            self._log_error(
                account,
                self.env._(
                    "%(count)s contacts could not be synchronized; they are retried on the "
                    "next run. First reason: %(reason)s",
                    count=len(failures),
                    reason=failures[0],
                ),
            )

    def _plan_key(self):
        """The partner id, or for a link whose partner was deleted a key no partner has."""
        self.ensure_one()
        return self.partner_id.id or ("link", self.id)

    def _link_state(self):
        self.ensure_one()
        snapshot = Contact.from_json(self.snapshot) if self.snapshot else None
        return LinkState(self.remote_id, snapshot, LinkOrigin(self.origin))

    @api.model
    def _apply_result(self, account, link, op, result):
        """Store what ``result`` says about ``op``; the failure's message, if any."""
        if result.error is not None:
            message = account._sync_error_message(result.error)
            if link:
                link.error = message
            return message
        if op.kind == ContactOpKind.DELETE or result.gone:
            # Deleted (or gone remotely: an update's contact is created again next run).
            if link:
                link.unlink()
            return None
        vals = {
            "remote_id": result.remote_id,
            "etag": result.etag,
            "snapshot": op.contact.to_json(),
            "error": False,
        }
        if link:
            link.write(vals)
        else:
            self.create(
                {**vals, "account_id": account.id, "partner_id": op.key, "origin": op.origin.value}
            )
        return None
