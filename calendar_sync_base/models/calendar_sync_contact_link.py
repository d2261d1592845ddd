import ast
import hashlib
import json
import logging
import time

from odoo import api, fields, models
from odoo.osv import expression
from odoo.tools import email_split, html2plaintext, is_html_empty, plaintext2html

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
from calendar_sync_base.services.contact_merge import (
    NAME_FIELDS,
    agreed_snapshot,
    importable,
    merge_contact,
    sort_changes,
)

from .calendar_sync_account import DEADLINE_KEY, EXPECTED_FAILURES, SYNCABLE_STATES

_logger = logging.getLogger(__name__)

DIRECTION_PARAM = "calendar_sync.contact_direction"
DOMAIN_PARAM = "calendar_sync.contact_domain"
LIMIT_PARAM = "calendar_sync.max_contacts_per_user"
LAST_SYNC_PARAM = "calendar_sync_{}.contacts_last_sync".format
# Odoo -> remote by default; both ways also brings remote edits, deletions and new contacts
# of the folder back (see the readme for the rules).
CONTACT_DIRECTIONS = [("to_remote", "Odoo -> remote"), ("both", "Both ways"), ("off", "Disabled")]
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
    remote_id = fields.Char(
        index=True,
        help="Empty while the partner has no remote contact (refused, or deleted "
        "remotely by the user).",
    )
    etag = fields.Char(help="The remote contact's change key after Odoo's last write.")
    snapshot = fields.Json(help="The contact as last sent.")
    origin = fields.Selection(
        [
            (LinkOrigin.CREATED.value, "Created by Odoo"),
            (LinkOrigin.MATCHED.value, "Matched"),
            (LinkOrigin.IMPORTED.value, "Created remotely"),
        ],
        default=LinkOrigin.CREATED.value,
        required=True,
    )
    error = fields.Text(help="Why the last change of this contact failed.")
    held_version = fields.Char(
        help="The partner's version (its contact's digest) the remote refused, or whose "
        "remote contact the user deleted: the partner is left alone until it changes in Odoo.",
    )

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
    def _contact_direction(self):
        params = self.env["ir.config_parameter"].sudo()
        return params.get_param(DIRECTION_PARAM, "to_remote")

    @api.model
    def _contact_sync_enabled(self):
        return self._contact_direction() != "off"

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
    def _partners_to_sync(self, user, among=()):
        """The partners ``user``'s address book mirrors: active contacts (not invoice /
        delivery / other addresses) the user is the salesperson of or follows, other than
        the user, within the administrator's filter (and ``among``, a domain)."""
        domain = expression.AND(
            [
                list(among),
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
        next run. Like the calendar's run, this one keeps within the cron's time budget: a
        connection starts only if its share fits, the rest go to a run triggered at once,
        the least recently attempted first."""
        accounts = self.env["calendar.sync.account"].sudo()
        if not self._contact_sync_enabled() or accounts._sync_param(
            f"calendar_sync_{provider}.paused"
        ):
            return
        self.env.flush_all()  # each account runs through its own cursor: it must see ours
        account_ids = accounts.search(
            [("provider", "=", provider), ("state", "in", SYNCABLE_STATES)],
            order="contact_last_attempt_date asc nulls first, id",
        ).ids
        account_budget = accounts._sync_account_budget()
        run_end = time.monotonic() + accounts._sync_run_budget()
        for done, account_id in enumerate(account_ids):
            if done and time.monotonic() + account_budget > run_end:
                accounts._sync_continue_later(done)
                return
            if accounts._sync_record_attempt(account_id, "contact_last_attempt_date"):
                self._sync_contacts_in_own_transaction(
                    account_id, time.monotonic() + account_budget
                )
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
        self.env["calendar.sync.log"]._log_change(
            account, "push", "error", message=message, area="contacts"
        )

    @api.model
    def _sync_contacts(self, account):
        """Make ``account``'s remote contact folder mirror its user's partners; both ways,
        the folder's changes are brought back first."""
        connector = account._sync_contacts_connector()
        if connector is None:
            return
        partners = self._partners_to_sync(account.user_id)
        if not self._within_limit(account, len(partners)):
            return
        links = self.search([("account_id", "=", account.id)])
        unlinked = None
        if self._contact_direction() == "both":
            unlinked = self._pull_contacts(account, connector, links, set(partners.ids))
        elif account.contact_cursor:
            account.contact_cursor = False  # both ways again: from a full listing
        by_key = {link._plan_key(): link for link in links}
        frozen = {key for key, link in by_key.items() if link._held()}
        desired = {p.id: self._contact_of(p) for p in partners if p.id not in frozen}
        states = {key: link._link_state() for key, link in by_key.items() if link.remote_id}
        remote = unlinked
        if remote is None:
            remote = connector.list_contacts() if needs_listing(desired, states) else []
        ops = plan_contacts(desired, states, remote, frozen)
        if unlinked:
            self._import_contacts(account, importable(unlinked, ops))
        results = connector.apply(ops) if ops else []
        failures = [
            self._apply_result(account, by_key.get(op.key), op, result)
            for op, result in zip(ops, results, strict=True)
        ]
        if unlinked is not None and any(result.ok for result in results):
            # Past our own writes: a contact the user deletes before the next run is then
            # reported as removed (the listing before the push never saw it).
            links = self.search([("account_id", "=", account.id)])
            self._pull_contacts(account, connector, links, set(partners.ids))
        failures = [failure for failure in failures if failure]
        if failures:
            self._log_error(
                account,
                self.env._(
                    "%(count)s contacts could not be synchronized. Those the server refused "
                    "are sent again once they change in Odoo, the others on the next run. "
                    "First reason: %(reason)s",
                    count=len(failures),
                    reason=failures[0],
                ),
            )

    @api.model
    def _within_limit(self, account, count):
        """Whether ``count`` contacts are within the maximum per user; going over it is
        written in the history once, not at every run."""
        limit = self._contact_limit()
        over = bool(limit and count > limit)
        if over and not account.contact_over_limit:
            self._log_error(
                account,
                self.env._(
                    "Contact synchronization of %(user)s stopped: %(count)s contacts to "
                    "synchronize, over the maximum of %(limit)s per user (Settings). Nothing "
                    "is sent until they are fewer or the maximum is raised.",
                    user=account.user_id.name,
                    count=count,
                    limit=limit,
                ),
            )
        if account.contact_over_limit != over:
            account.contact_over_limit = over
        return not over

    # ------------------------------------------------------------------ both ways

    @api.model
    def _pull_contacts(self, account, connector, links, partner_ids):
        """Bring the folder's changes since the last listing into Odoo: remote edits merged
        into the partners, remote deletions ending their links (the partner stays). Returns
        the unlinked contacts listed (for matching, adoption, import)."""
        states = {link._plan_key(): link._link_state() for link in links if link.remote_id}
        known_etags = {state.remote_id: state.etag for state in states.values()}
        changes = connector.list_changes(account.contact_cursor or "", known_etags)
        pull = sort_changes(changes, states)
        by_key = {link._plan_key(): link for link in links}
        policy = account._sync_rules().policy
        for key, item in pull.merges.items():
            if key in partner_ids:
                by_key[key]._merge_remote(connector, item, policy)
        for key in pull.removed:
            by_key[key]._forget_remote()
        account.contact_cursor = changes.next_cursor
        return pull.unlinked

    def _merge_remote(self, connector, item, policy):
        """Merge the remote contact ``item`` into the partner, field by field against the
        snapshot (``policy`` deciding conflicts); what Odoo still has to send stays in the
        snapshot as the remote has it, so the push sends it."""
        self.ensure_one()
        partner, base = self.partner_id, self._link_state().snapshot
        merge = merge_contact(
            connector.normalized(base) if base else None,
            connector.normalized(self._contact_of(partner)),
            item.contact,
            policy,
            partner.write_date,
            item.modified,
        )
        if merge.to_local:
            partner.write(self._partner_values(item.contact, merge.to_local))
        snapshot = agreed_snapshot(self._contact_of(partner), item.contact, merge.to_remote)
        self.write({"snapshot": snapshot.to_json(), "etag": item.etag})

    def _forget_remote(self):
        """The user deleted the remote contact: the partner is not touched (partners are
        shared with everyone; one address book is no reason to archive them) and not sent
        again until it changes in Odoo."""
        self.ensure_one()
        if not self.partner_id:
            self.unlink()
            return
        self.write(
            {
                "remote_id": False,
                "etag": False,
                "snapshot": False,
                "error": False,
                "held_version": self._partner_version(self.partner_id),
            }
        )

    @api.model
    def _import_contacts(self, account, items):
        """Partners for the contacts the user made in the folder, owned by the user as
        salesperson; one the Settings' filter leaves out is not imported."""
        partners = self.env["res.partner"]
        for item in items:
            values = self._partner_values(item.contact, item.contact.to_json())
            values.update(is_company=item.contact.is_company, user_id=account.user_id.id)
            partner = partners.create(values)
            if not self._partners_to_sync(account.user_id, [("id", "=", partner.id)]):
                partner.unlink()
                continue
            snapshot = agreed_snapshot(self._contact_of(partner), item.contact, ())
            self.create(
                {
                    "account_id": account.id,
                    "partner_id": partner.id,
                    "remote_id": item.remote_id,
                    "etag": item.etag,
                    "snapshot": snapshot.to_json(),
                    "origin": LinkOrigin.IMPORTED.value,
                }
            )

    @api.model
    def _partner_values(self, contact, names):
        """``res.partner`` values for the fields ``names`` of ``contact``. Odoo holds no
        person's company name (it comes from the parent company) nor home / other address
        (those are delivery / other child addresses): those stay as the remote has them."""
        vals = {}
        if set(names) & set(NAME_FIELDS):
            person = (contact.given_name, contact.middle_name, contact.surname, contact.suffix)
            vals["name"] = (
                contact.company_name if contact.is_company else " ".join(filter(None, person))
            )
            vals["title"] = self._title_of(contact.title)
        simple = {
            "job_title": ("function", contact.job_title or False),
            "emails": ("email", ", ".join(contact.emails) or False),
            "business_phones": ("phone", next(iter(contact.business_phones), False)),
            "mobile_phone": ("mobile", contact.mobile_phone or False),
            "notes": ("comment", plaintext2html(contact.notes) if contact.notes else False),
        }
        vals.update(value for name, value in simple.items() if name in names)
        partner_fields = self.env["res.partner"]._fields
        optional = {"business_fax": (FAX_FIELDS, contact.business_fax or False),
                    "birthday": (BIRTHDAY_FIELDS, contact.birthday or False)}  # fmt: skip
        for name, (candidates, value) in optional.items():
            field_name = next((f for f in candidates if f in partner_fields), None)
            if name in names and field_name:
                vals[field_name] = value
        if "addresses" in names:
            vals.update(self._address_values(contact.address("business")))
        return vals

    @api.model
    def _title_of(self, text):
        titles = self.env["res.partner.title"]
        if not text:
            return False
        found = titles.search(["|", ("shortcut", "=ilike", text), ("name", "=ilike", text)])
        return found[:1].id

    @api.model
    def _address_values(self, address):
        street, _, street2 = address.street.partition("\n")
        country = self.env["res.country"].search([("name", "=ilike", address.country)], limit=1)
        state = self.env["res.country.state"].search(
            [("name", "=ilike", address.state), ("country_id", "in", country.ids)], limit=1
        )
        return {
            "street": street or False,
            "street2": street2 or False,
            "city": address.city or False,
            "zip": address.postal_code or False,
            "country_id": country.id if address.country else False,
            "state_id": state.id if address.state else False,
        }

    # ------------------------------------------------------------------ links

    @api.model
    def _partner_version(self, partner):
        """The partner's contact as Odoo would send it, digested: a write to fields the
        contact does not map (or in the same second) is no new version."""
        if not partner:
            return "deleted"
        text = json.dumps(self._contact_of(partner).to_json(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def _held(self):
        """Whether the partner's current version is one the remote refused, or whose
        contact the user deleted remotely."""
        self.ensure_one()
        return bool(self.held_version) and (
            self.held_version == self._partner_version(self.partner_id)
        )

    def _plan_key(self):
        """The partner id, or for a link whose partner was deleted a key no partner has."""
        self.ensure_one()
        return self.partner_id.id or ("link", self.id)

    def _link_state(self):
        self.ensure_one()
        snapshot = Contact.from_json(self.snapshot) if self.snapshot else None
        return LinkState(self.remote_id, snapshot, LinkOrigin(self.origin), self.etag or "")

    @api.model
    def _apply_result(self, account, link, op, result):
        """Store what ``result`` says about ``op``; the failure's message, if any. A refusal
        (not worth retrying) holds the partner's version: not sent again until it changes."""
        if result.error is not None:
            message = account._sync_error_message(result.error)
            vals = {"error": message}
            if not result.retryable:
                partner = link.partner_id if link else self.env["res.partner"].browse(op.key)
                vals["held_version"] = self._partner_version(partner)
            if link:
                link.write(vals)
            elif not result.retryable:
                self.create({**vals, "account_id": account.id, "partner_id": op.key})
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
            "held_version": False,
            "origin": op.origin.value,
        }
        if link:
            link.write(vals)
        else:
            self.create({**vals, "account_id": account.id, "partner_id": op.key})
        return None
