import requests

from calendar_sync_base.services.errors import RemoteRejected, Throttled

from .common import insert_account, make_user


class ErrorMessagesCases:
    """A failed synchronization is described in plain words, not an exception's text."""

    provider = None  # the test case's provider (``_sync_provider_code``)
    allow_inherited_tests_method = True

    def setUp(self):
        super().setUp()
        self.account = insert_account(self.env, make_user(self.env, "errors_user"), self.provider)

    def failure(self, error):
        self.account._sync_record_failure("error", error)
        return self.account.last_error

    def test_timeouts_and_connection_errors(self):
        timeout = requests.ReadTimeout(
            "HTTPSConnectionPool(host='graph.microsoft.com', port=443): Read timed out."
        )
        self.assertEqual(
            self.failure(timeout),
            "The calendar service did not answer in time; it will be retried on the next run.",
        )
        refused = requests.ConnectionError("Max retries exceeded with url: /calendar/v3")
        self.assertEqual(
            self.failure(refused),
            "The calendar service could not be reached; it will be retried on the next run.",
        )
        self.assertIn("slow down", self.failure(Throttled("429 rateLimitExceeded")))
        history = self.env["calendar.sync.log"].search(
            [("account_id", "=", self.account.id), ("operation", "=", "error")], order="id"
        )
        self.assertIn("Read timed out", history[0].message, "the detail stays in the history")

    def test_provider_refusals_keep_their_reason(self):
        refusal = RemoteRejected("Google update failed (403 forbiddenForNonOrganizer)")
        self.assertIn("forbiddenForNonOrganizer", self.failure(refusal))

    def test_unexpected_errors_point_to_the_log(self):
        self.assertEqual(
            self.failure(KeyError(6)),
            "An unexpected error stopped the synchronization (KeyError); "
            "the details are in the server log.",
        )
