from calendar_sync_base.services.engine import SyncCounts

from .common import insert_account, make_user


class SyncSummaryCases:
    """The user reads what a sync did in words: totals always, the rest only when any."""

    provider = None  # the test case's provider (``_sync_provider_code``)
    allow_inherited_tests_method = True

    def setUp(self):
        super().setUp()
        self.account = insert_account(self.env, make_user(self.env, "summary_user"), self.provider)

    def summary(self, **counts):
        return self.account._sync_summary(SyncCounts(**counts))

    def test_totals_and_singular_error(self):
        self.assertEqual(
            self.summary(
                pulled_created=1, pulled_updated=1, pulled_deleted=1, pushed_created=1, errors=1
            ),
            "2 pulled, 1 pushed, 1 deleted, 0 conflicts, 1 error",
        )
        self.assertEqual(
            self.summary(pulled_created=3, pushed_created=2, pulled_deleted=1),
            "3 pulled, 2 pushed, 1 deleted, 0 conflicts",
        )

    def test_links_conflicts_and_warnings_when_any(self):
        self.assertEqual(
            self.summary(
                pulled_created=2,
                pushed_created=1,
                pushed_updated=1,
                pulled_deleted=1,
                linked=1,
                conflicts=2,
                errors=1,
            ),
            "2 pulled, 2 pushed, 1 deleted, 1 linked, 2 conflicts, 1 error",
        )
        with_warnings = self.summary(conflicts=1, errors=1, warnings=2)
        self.assertTrue(with_warnings.endswith("1 conflict, 1 error, 2 warnings"))
        self.assertTrue(self.summary(errors=3, warnings=1).endswith("3 errors, 1 warning"))
