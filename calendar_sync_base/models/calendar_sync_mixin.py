from odoo import api, models

# Context key set while a pull applies remote changes, so they are not pushed straight back.
PULL_CONTEXT_KEY = "calendar_sync_pull"


class CalendarSyncMixin(models.AbstractModel):
    """Sync bookkeeping shared by ``calendar.event`` and ``calendar.recurrence``.

    Each concrete model declares ``sync_link_ids`` (one link per connected account that
    mirrors the record); provider addons extend ``_sync_tracked_fields``.
    """

    _name = "calendar.sync.mixin"
    _description = "Calendar Sync Mixin"

    @api.model
    def _sync_tracked_fields(self):
        """Fields whose change must reach the remote calendars."""
        return set()

    def _sync_mark_for_push(self, vals):
        if self.env.context.get(PULL_CONTEXT_KEY):
            return
        if not self._sync_tracked_fields().intersection(vals):
            return
        links = self.sudo().sync_link_ids.filtered(lambda link: not link.need_push)
        if links:
            links.need_push = True

    def write(self, vals):
        result = super().write(vals)
        self._sync_mark_for_push(vals)
        return result

    def unlink(self):
        # The links outlive the record (ondelete set null) so the push deletes the remote copy.
        if not self.env.context.get(PULL_CONTEXT_KEY):
            self.sudo().sync_link_ids.need_push = True
        return super().unlink()
