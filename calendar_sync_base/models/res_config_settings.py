from odoo import api, fields, models

from .calendar_sync_account import CONFLICT_POLICIES, DIRECTIONS
from .calendar_sync_contact_link import CONTACT_DIRECTIONS, DOMAIN_PARAM, LIMIT_PARAM


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    calendar_sync_direction = fields.Selection(
        DIRECTIONS,
        string="Event Sync Direction",
        default="both",
        config_parameter="calendar_sync.direction",
    )
    calendar_sync_conflict_policy = fields.Selection(
        CONFLICT_POLICIES,
        string="Conflict Priority",
        default="newest",
        config_parameter="calendar_sync.conflict_policy",
        help="When an event changed on both sides since the last sync. Fields changed on only "
        "one side are always merged.",
    )
    # A Date cannot be a config_parameter field: stored by get_values/set_values below.
    calendar_sync_start_date = fields.Date(
        "Sync Start Date",
        help="Events ending before this date are neither pulled nor pushed.",
    )
    calendar_sync_batch_size = fields.Integer(
        "Pushes per Run",
        default=50,
        config_parameter="calendar_sync.batch_size",
        help="Changes pushed per account and run; the rest follow on the next run.",
    )
    calendar_sync_window_days_back = fields.Integer(
        "First Sync Window (days back)",
        default=365,
        config_parameter="calendar_sync.window_days_back",
        help="Older events are neither pulled nor pushed. 0 = no limit.",
    )
    calendar_sync_history_days = fields.Integer(
        "Keep Sync History (days)",
        default=90,
        config_parameter="calendar_sync.history_days",
        help="Older history entries are deleted by the daily clean-up. 0 = keep forever.",
    )
    calendar_sync_unknown_attendees = fields.Selection(
        [("create", "Create a contact"), ("skip", "Skip the attendee")],
        string="Unknown Attendees",
        default="create",
        config_parameter="calendar_sync.unknown_attendees",
    )
    calendar_sync_contact_direction = fields.Selection(
        CONTACT_DIRECTIONS,
        string="Contact Sync",
        default="to_remote",
        config_parameter="calendar_sync.contact_direction",
        help="Partners each user is the salesperson of or follows are copied hourly to an "
        '"Odoo" folder of the user\'s remote address book.',
    )
    calendar_sync_contact_domain = fields.Char(
        "Contacts to Sync",
        default="[]",
        config_parameter=DOMAIN_PARAM,
        help="Only the partners matching this filter, among those each user is the "
        "salesperson of or follows.",
    )
    calendar_sync_max_contacts = fields.Integer(
        "Maximum Contacts per User",
        config_parameter=LIMIT_PARAM,
        help="A user with more contacts to sync is not synced (the Sync Console says so). "
        "0: no limit.",
    )

    calendar_sync_allowed_group_id = fields.Many2one(
        "res.groups",
        string="Allowed Group",
        config_parameter="calendar_sync.allowed_group_id",
        help="Only internal users of this group may connect a calendar. Empty: every internal "
        "user. Portal and public users never may.",
    )

    @api.model
    def _calendar_sync_secret_fields(self):
        """Settings fields holding secrets, mapped to their system parameter.

        A secret is written when the administrator types one and never read back into the
        form: the browser only learns whether one is set (field ``<name>_set``).
        """
        return {}

    @api.model
    def get_values(self):
        res = super().get_values()
        params = self.env["ir.config_parameter"].sudo()
        res["calendar_sync_start_date"] = fields.Date.to_date(
            params.get_param("calendar_sync.start_date") or None
        )
        for field_name, key in self._calendar_sync_secret_fields().items():
            res[field_name] = False
            res[f"{field_name}_set"] = bool(params.get_param(key))
        return res

    def set_values(self):
        result = super().set_values()
        params = self.env["ir.config_parameter"].sudo()
        params.set_param(
            "calendar_sync.start_date", fields.Date.to_string(self.calendar_sync_start_date)
        )
        for field_name, key in self._calendar_sync_secret_fields().items():
            if self[field_name]:
                params.set_param(key, self[field_name].strip())
        return result
