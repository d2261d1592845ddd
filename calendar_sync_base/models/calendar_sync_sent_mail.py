import logging
import time

from odoo import api, fields, models
from odoo.tools.mail import email_split_tuples, formataddr

from calendar_sync_base.services.errors import RemoteRejected, SyncError
from calendar_sync_base.services.sent_mail import (
    MAX_ATTACHMENTS_BYTES,
    Attachment,
    SentMail,
    capped_attachments,
)

from .calendar_sync_account import DEADLINE_KEY, SYNCABLE_STATES

_logger = logging.getLogger(__name__)

ENABLED = "calendar_sync.sent_mail"
SINCE = "calendar_sync.sent_mail_since"
LAST_COUNT = "calendar_sync.sent_mail_last_count"
# The same per provider, for the Sync Console, and when its last run ended.
PROVIDER_LAST_COUNT = "calendar_sync_{}.sent_mail_last_count".format
PROVIDER_LAST_RUN = "calendar_sync_{}.sent_mail_last_run".format
COPIED_MESSAGE_TYPES = ("comment", "email")
BATCH_SIZE = 100  # copies per account and run; the rest waits for the next run


class CalendarSyncSentMail(models.Model):
    """One e-mail a user sent from Odoo, to be saved once in the Sent Items of his mailbox.

    Queued when the e-mail leaves Odoo (``mail.mail`` sent) for the author's connection of a
    provider that copies sent e-mails (``_sync_sent_items``), copied by that provider's
    scheduled action (``_mail_cron``) through its client (``_sent_items_client``). The
    recipients are kept here: the outgoing mails that carried them are usually deleted once
    sent.
    """

    _name = "calendar.sync.sent.mail"
    _description = "E-mail to copy to Sent Items"
    _order = "id desc"

    account_id = fields.Many2one(
        "calendar.sync.account", required=True, ondelete="cascade", index=True
    )
    user_id = fields.Many2one(related="account_id.user_id")
    message_id = fields.Many2one("mail.message", required=True, ondelete="cascade", index=True)
    subject = fields.Char()
    email_to = fields.Text("To")
    email_cc = fields.Text("Cc")
    state = fields.Selection(
        [("pending", "Waiting"), ("done", "Copied"), ("refused", "Refused by the Server")],
        default="pending",
        required=True,
        index=True,
    )
    attempts = fields.Integer(
        help="Runs that tried to copy it: after the first, a copy whose answer was lost is "
        "looked up in Sent Items before it is sent again."
    )
    remote_id = fields.Char("Remote Id", copy=False)
    copied_date = fields.Datetime("Copied On")
    error = fields.Text()
    note = fields.Char(help="What the copy left out (attachments over the size cap).")

    _sql_constraints = [
        (
            "message_once_per_account",
            "UNIQUE(account_id, message_id)",
            "An e-mail is copied once to a mailbox.",
        )
    ]

    # ------------------------------------------------------------------ queueing (send time)

    @api.model
    def _sent_mail_enabled(self):
        return bool(self.env["ir.config_parameter"].sudo().get_param(ENABLED))

    @api.model
    def _queue_sent_mails(self, mails):
        """Queue the messages ``mails`` carried, if their author's mailbox gets copies.
        No network here: this runs while the e-mail is being sent."""
        if not self._sent_mail_enabled():
            return
        since = fields.Datetime.to_datetime(
            self.env["ir.config_parameter"].sudo().get_param(SINCE) or False
        )
        for mail in mails.sudo():
            message = mail.mail_message_id
            if message.message_type not in COPIED_MESSAGE_TYPES or not message.author_id:
                continue
            if since and message.date < since:
                continue
            account = self._author_account(message.author_id)
            if account:
                self._queue_one(account, message, mail)

    @api.model
    def _author_account(self, partner):
        providers = self.env["calendar.sync.provider"]._sync_provider_models()
        copying = [code for code, name in providers.items() if self.env[name]._sync_sent_items]
        return (
            self.env["calendar.sync.account"]
            .sudo()
            .search(
                [
                    ("provider", "in", copying),
                    ("state", "in", SYNCABLE_STATES),
                    ("user_id.partner_id", "=", partner.id),
                    ("user_id.share", "=", False),
                ],
                limit=1,
            )
        )

    @api.model
    def _queue_one(self, account, message, mail):
        """One row per message and mailbox; each outgoing mail of the message adds its
        recipients while the copy waits."""
        to = [formataddr((p.name or "", p.email)) for p in mail.recipient_ids if p.email]
        to += [mail.email_to] if mail.email_to else []
        queued = self.sudo().search(
            [("account_id", "=", account.id), ("message_id", "=", message.id)]
        )
        if not queued:
            self.sudo().create(
                {
                    "account_id": account.id,
                    "message_id": message.id,
                    "subject": mail.subject or message.subject or message.record_name or "",
                    "email_to": _merged("", to),
                    "email_cc": _merged("", [mail.email_cc or ""]),
                }
            )
        elif queued.state == "pending":
            queued.write(
                {
                    "email_to": _merged(queued.email_to, to),
                    "email_cc": _merged(queued.email_cc, [mail.email_cc or ""]),
                }
            )

    # ------------------------------------------------------------------ copying (cron)

    @api.model
    def _cron_copy_sent_mails(self, provider=None):
        """Copy the waiting e-mails (of ``provider``'s connections; None: every provider's),
        each mailbox in its own transaction: one user's failure (revoked grant, full mailbox,
        outage) is written on his rows and never stops the others. Accounts another worker is
        syncing are skipped until the next run."""
        if not self._sent_mail_enabled():
            return
        self.env.flush_all()  # each account runs through its own cursor: it must see ours
        domain = [("state", "=", "pending")]
        if provider:
            domain.append(("account_id.provider", "=", provider))
        waiting = self.sudo().search(domain)
        copied = 0
        for account_id in waiting.account_id.ids:
            copied += self._copy_in_own_transaction(account_id)
        params = self.env["ir.config_parameter"].sudo()
        params.set_param(LAST_COUNT, copied)
        if provider:
            params.set_param(PROVIDER_LAST_COUNT(provider), copied)
            params.set_param(
                PROVIDER_LAST_RUN(provider), fields.Datetime.to_string(fields.Datetime.now())
            )

    @api.model
    def _copy_in_own_transaction(self, account_id):
        if not self._record_attempts(account_id):
            return 0
        Accounts = self.env["calendar.sync.account"]
        deadline = time.monotonic() + Accounts._sync_account_budget()
        with self.env.registry.cursor() as cr:
            env = self.env(cr=cr, context=dict(self.env.context, **{DEADLINE_KEY: deadline}))
            account = Accounts.with_env(env).sudo().browse(account_id)
            if not (account.exists() and account._sync_try_lock()):
                return 0
            return self.with_env(env).sudo()._copy_account(account)

    @api.model
    def _record_attempts(self, account_id):
        """Count this run as an attempt of the account's waiting copies, committed before
        anything is sent: after a lost answer (or a lost commit) the next run knows to look
        the copy up first. False when another worker holds the account."""
        with self.env.registry.cursor() as cr:
            env = self.env(cr=cr)
            account = env["calendar.sync.account"].sudo().browse(account_id)
            if not (account.exists() and account._sync_try_lock()):
                return False
            cr.execute(
                "UPDATE calendar_sync_sent_mail SET attempts = COALESCE(attempts, 0) + 1 "
                "WHERE account_id = %s AND state = 'pending'",
                [account_id],
            )
            env["calendar.sync.sent.mail"].invalidate_model(["attempts"], flush=False)
        return True

    def _copy_account(self, account):
        rows = self.search(
            [("account_id", "=", account.id), ("state", "=", "pending")],
            order="id",
            limit=BATCH_SIZE,
        )
        copied = 0
        try:
            client = account._sync_provider()._sent_items_client(account)
            for row in rows:
                with self.env.cr.savepoint():  # a failure keeps the copies already made
                    copied += row._copy(client)
        except SyncError as error:  # the mailbox failed: the rest waits for the next run
            self._mailbox_failed(account, rows, account._sync_error_message(error))
        # One mailbox's unexpected failure (a bug, bad data) must not stop the others.
        except Exception as error:  # noqa: BLE001 pylint: disable=broad-exception-caught
            _logger.exception("Copying sent e-mails of account %s failed", account.id)
            self._mailbox_failed(account, rows, str(error))
        return copied

    @api.model
    def _mailbox_failed(self, account, rows, reason):
        """The rows not copied keep ``reason``; the error log says it once per run."""
        waiting = rows.filtered(lambda row: row.state == "pending")
        waiting.write({"error": reason})
        self._log_error(
            account,
            self.env._(
                "%(count)s e-mails could not be copied to Sent Items; they are tried again on "
                "the next run: %(reason)s",
                count=len(waiting),
                reason=reason,
            ),
        )

    @api.model
    def _log_error(self, account, message):
        self.env["calendar.sync.log"]._log_change(
            account, "push", "error", message=message, area="mail"
        )

    def _copy(self, client):
        """Save this e-mail in Sent Items unless a previous run did; 1 if copied now."""
        self.ensure_one()
        key = self._copy_key()
        try:
            remote_id = client.find_copy(key) if self.attempts > 1 else None
            mail, left_out = self._sent_mail(key)
            remote_id = remote_id or client.save_copy(mail)
        except RemoteRejected as error:
            reason = self.account_id._sync_error_message(error)
            self.write({"state": "refused", "error": reason})
            self._log_error(
                self.account_id,
                self.env._(
                    'The server refused the e-mail "%(subject)s"; it is not copied: %(reason)s',
                    subject=self.subject,
                    reason=reason,
                ),
            )
            return 0
        self.write(
            {
                "state": "done",
                "remote_id": remote_id,
                "copied_date": fields.Datetime.now(),
                "error": False,
                "note": self._left_out_note(left_out),
            }
        )
        return 1

    def _copy_key(self):
        uuid = self.env["ir.config_parameter"].sudo().get_param("database.uuid")
        return f"{uuid}:{self.message_id.id}"

    def _sent_mail(self, key):
        """``(SentMail, attachments left out)`` for this e-mail."""
        message = self.message_id
        author = message.author_id
        attachments = [
            Attachment(item.name, item.mimetype or "application/octet-stream", item.raw or b"")
            for item in message.attachment_ids
        ]
        kept, left_out = capped_attachments(attachments)
        body = message.body or ""
        if left_out:
            body += f"<p><i>{self._left_out_note(left_out)}</i></p>"
        mail = SentMail(
            key=key,
            subject=self.subject or "",
            html_body=body,
            sender=(author.name or "", author.email or self.account_id.remote_email or ""),
            to=_addresses(self.email_to),
            cc=_addresses(self.email_cc),
            sent_at=message.date,
            attachments=kept,
            internet_message_id=message.message_id or "",
        )
        return mail, left_out

    def _left_out_note(self, left_out):
        if not left_out:
            return False
        return self.env._(
            "Attachments not copied to Sent Items (over %(megabytes)s MB together): %(names)s",
            megabytes=MAX_ATTACHMENTS_BYTES // (1024 * 1024),
            names=", ".join(item.name for item in left_out),
        )


def _merged(current, additions):
    """``current`` (comma-separated addresses) with ``additions``, each address once."""
    seen, out = set(), []
    for name, address in email_split_tuples(", ".join(filter(None, [current, *additions]))):
        if address.lower() not in seen:
            seen.add(address.lower())
            out.append(formataddr((name, address)))
    return ", ".join(out)


def _addresses(text):
    return list(email_split_tuples(text or ""))
