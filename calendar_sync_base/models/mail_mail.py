from odoo import models


class MailMail(models.Model):
    _inherit = "mail.mail"

    def _postprocess_sent_message(self, success_pids, failure_reason=False, failure_type=None):
        # Before super(): it deletes the mails (auto_delete) whose recipients the copy needs.
        if not failure_type or success_pids:
            self.env["calendar.sync.sent.mail"]._queue_sent_mails(self)
        return super()._postprocess_sent_message(
            success_pids, failure_reason=failure_reason, failure_type=failure_type
        )
