from odoo.tests import tagged

from odoo.addons.calendar_sync_base.tests.common import SyncProblemsCases

from .common import GoogleSyncCase, error_body


@tagged("post_install", "-at_install")
class TestGoogleProblems(SyncProblemsCases, GoogleSyncCase):
    allow_inherited_tests_method = True  # the scenarios live in SyncProblemsCases

    def refuse_updates(self, remote_id):
        # Ownership moved to someone else in Google: every edit of ours is refused.
        return self.google.faults.add(
            status=403,
            body=error_body(403, "forbiddenForNonOrganizer", "Shared properties can only be "
                            "changed by the organizer of the event."),
            method="PATCH",
            path_regex=f"/events/{remote_id}$",
            times=None,
        )  # fmt: skip

    def stop_refusing(self, fault):
        self.google.faults.remove(fault)

    def remote_exists(self, remote_id):
        event = self.google.get_event(self.email, remote_id)
        return bool(event) and event.get("status") != "cancelled"
