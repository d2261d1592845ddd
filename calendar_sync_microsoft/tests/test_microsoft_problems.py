from odoo.tests import tagged

from odoo.addons.calendar_sync_base.tests.common import SyncProblemsCases

from .common import MicrosoftSyncCase


@tagged("post_install", "-at_install")
class TestMicrosoftProblems(SyncProblemsCases, MicrosoftSyncCase):
    allow_inherited_tests_method = True  # the scenarios live in SyncProblemsCases

    def refuse_updates(self, remote_id):
        # Graph's ErrorAccessDenied on every edit of this event.
        return self.microsoft.faults.add(
            status=403, method="PATCH", path_regex=f"/events/{remote_id}$", times=None
        )

    def stop_refusing(self, fault):
        self.microsoft.faults.remove(fault)

    def remote_exists(self, remote_id):
        return self.microsoft.get_event(self.email, remote_id) is not None
