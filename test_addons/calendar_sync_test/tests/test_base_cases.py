"""The base's provider-agnostic cases (``calendar_sync_base/tests/*_cases.py``), run with the
fake provider: the base declares no provider, so it cannot run them itself."""

from odoo.tests import BaseCase, HttpCase, TransactionCase, tagged

from odoo.addons.calendar_sync_base.tests.account_lock_cases import AccountLockCases
from odoo.addons.calendar_sync_base.tests.error_messages_cases import ErrorMessagesCases
from odoo.addons.calendar_sync_base.tests.event_translation_cases import EventTranslationCases
from odoo.addons.calendar_sync_base.tests.security_cases import SecurityCases
from odoo.addons.calendar_sync_base.tests.security_rpc_cases import SecurityRpcCases
from odoo.addons.calendar_sync_base.tests.sync_credential_cases import SyncCredentialCases
from odoo.addons.calendar_sync_base.tests.sync_log_cases import SyncLogCases
from odoo.addons.calendar_sync_base.tests.sync_mixin_cases import SyncMixinCases
from odoo.addons.calendar_sync_base.tests.sync_summary_cases import SyncSummaryCases

from .common import PROVIDER


@tagged("post_install", "-at_install")
class TestAccountLock(AccountLockCases, BaseCase):
    provider = PROVIDER


@tagged("post_install", "-at_install")
class TestErrorMessages(ErrorMessagesCases, TransactionCase):
    provider = PROVIDER


@tagged("post_install", "-at_install")
class TestEventTranslation(EventTranslationCases, TransactionCase):
    provider = PROVIDER


@tagged("post_install", "-at_install")
class TestSecurity(SecurityCases, TransactionCase):
    provider = PROVIDER


@tagged("post_install", "-at_install")
class TestSecurityRpc(SecurityRpcCases, HttpCase):
    provider = PROVIDER


@tagged("post_install", "-at_install")
class TestSyncCredential(SyncCredentialCases, TransactionCase):
    provider = PROVIDER


@tagged("post_install", "-at_install")
class TestSyncLog(SyncLogCases, TransactionCase):
    provider = PROVIDER


@tagged("post_install", "-at_install")
class TestSyncMixin(SyncMixinCases, TransactionCase):
    provider = PROVIDER


@tagged("post_install", "-at_install")
class TestSyncSummary(SyncSummaryCases, TransactionCase):
    provider = PROVIDER
