from odoo import api, models

# Context key set while a pull applies remote changes, so they are not pushed straight back:
# the pulling account's id (its links are left alone, the other connections mirroring the
# record still get the change), or True for internal writes that no connection must push.
PULL_CONTEXT_KEY = "calendar_sync_pull"


def links_to_push(env, links):
    """Of ``links`` (mirrors of records being written), those the write must queue."""
    pulling = env.context.get(PULL_CONTEXT_KEY)
    if not pulling:
        return links
    if pulling is True:
        return links.browse()
    return links.filtered(lambda link: link.account_id.id != pulling)


class CalendarSyncMixin(models.AbstractModel):
    """Sync bookkeeping shared by ``calendar.event`` and ``calendar.recurrence``.

    Each concrete model declares ``sync_link_ids`` (one link per connected account that
    mirrors the record) and says who organizes a record and whether it is pushed on its own.
    A user's change flags the existing links and queues a pending link for each connection
    of the organizer that does not know the record yet: the push queue is then an indexed
    search, whatever the size of the calendar.
    """

    _name = "calendar.sync.mixin"
    _description = "Calendar Sync Mixin"

    @api.model
    def _sync_tracked_fields(self):
        """Fields whose change must reach the remote calendars."""
        return set()

    def _sync_organizer(self):
        """The user whose connections push this record."""
        raise NotImplementedError

    def _sync_pushable(self):
        """Whether this record is pushed as one remote event."""
        raise NotImplementedError

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        if not self.env.context.get(PULL_CONTEXT_KEY):
            records._sync_queue_for_organizers()
        return records

    def write(self, vals):
        result = super().write(vals)
        self._sync_mark_for_push(vals)
        return result

    def unlink(self):
        # The links outlive the record (ondelete set null) so the push deletes the remote copy.
        links_to_push(self.env, self.sudo().sync_link_ids).need_push = True
        return super().unlink()

    def _sync_mark_for_push(self, vals):
        if not self._sync_tracked_fields().intersection(vals):
            return
        links = links_to_push(self.env, self.sudo().sync_link_ids).filtered(
            lambda link: not link.need_push and not link.stopped
        )
        if links:
            links.need_push = True
        if not self.env.context.get(PULL_CONTEXT_KEY):
            self._sync_queue_for_organizers()

    def _sync_queue_for_organizers(self):
        """Pending links for the organizer's connections that do not know these records.

        Records that came from a remote calendar belong to it and are never queued for
        another one (that is how meetings get duplicated for their guests).
        """
        records = self.sudo().filtered(lambda record: record._sync_pushable())
        organizers = records.mapped(lambda record: record._sync_organizer())
        if not organizers:
            return
        accounts = (
            self.env["calendar.sync.account"]
            .sudo()
            .search(
                [
                    ("user_id", "in", organizers.ids),
                    ("queue_existing", "=", False),
                    ("state", "!=", "disconnected"),
                ]
            )
        )
        if not accounts:
            return
        link_model = self.env["calendar.sync.link"].sudo()
        new_links = [
            link_model._binding_vals(account, record, need_push=True, origin="push")
            for record in records
            if "pull" not in record.sync_link_ids.mapped("origin")
            for account in accounts
            if account.user_id == record._sync_organizer()
            and account not in record.sync_link_ids.account_id
            and record._sync_allowed_for(account.provider)
        ]
        link_model.create(new_links)
