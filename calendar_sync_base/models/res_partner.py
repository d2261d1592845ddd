from odoo import api, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    @api.model
    def _sync_partners_by_email(self, attendees):
        """Lower-case e-mail -> partner for remote attendees: a user's partner first, then a
        contact with that e-mail, else a new contact (unless the administrator chose to skip
        unknown ones). Takes the attendees of many events at once (a page of a pull): a few
        queries for the whole page."""
        emails = {attendee.email.lower(): attendee for attendee in attendees if attendee.email}
        if not emails:
            return {}
        found = self._sync_find_by_emails(list(emails))
        missing = [attendee for email, attendee in emails.items() if email not in found]
        create_missing = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("calendar_sync.unknown_attendees", "create")
            == "create"
        )
        if missing and create_missing:
            created = self.sudo().create(
                [{"name": a.name or a.email, "email": a.email} for a in missing]
            )
            found.update(zip([a.email.lower() for a in missing], created, strict=True))
        return found

    @api.model
    def _sync_find_by_emails(self, emails):
        """email -> partner, preferring users' partners, in two queries for the whole list."""
        users = self.env["res.users"].sudo().search([("email_normalized", "in", emails)])
        found = {user.email_normalized: user.partner_id for user in users}
        rest = [email for email in emails if email not in found]
        if rest:
            for partner in self.sudo().search([("email_normalized", "in", rest)], order="id"):
                found.setdefault(partner.email_normalized, partner)
        return found
