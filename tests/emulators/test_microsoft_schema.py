"""Emulator payloads against Microsoft's published Graph v1.0 model: the msgraph-sdk classes.

Each JSON answer is parsed with Kiota's JSON parse node into the SDK's model class (the code
Microsoft generates from Graph's v1.0 CSDL metadata), then written back with Kiota's JSON
writer. A member the model does not define lands in ``additional_data`` (reported unless it is
an OData annotation); a member of the wrong type or an unknown enum value is dropped by the
parser (reported by the round trip). Request bodies built with the SDK models are sent to the
emulator too, so it accepts what the official SDK writes.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import json
import re
from typing import Any

import pytest
import requests

pytest.importorskip("msgraph", reason="msgraph-sdk (requirements-dev.txt) validates the schema")

from kiota_abstractions.serialization import Parsable  # noqa: E402
from kiota_serialization_json.json_parse_node_factory import JsonParseNodeFactory  # noqa: E402
from kiota_serialization_json.json_serialization_writer_factory import (  # noqa: E402
    JsonSerializationWriterFactory,
)
from msgraph.generated.models.attendee import Attendee  # noqa: E402
from msgraph.generated.models.attendee_type import AttendeeType  # noqa: E402
from msgraph.generated.models.body_type import BodyType  # noqa: E402
from msgraph.generated.models.calendar import Calendar  # noqa: E402
from msgraph.generated.models.date_time_time_zone import DateTimeTimeZone  # noqa: E402
from msgraph.generated.models.day_of_week import DayOfWeek  # noqa: E402
from msgraph.generated.models.email_address import EmailAddress  # noqa: E402
from msgraph.generated.models.event import Event  # noqa: E402
from msgraph.generated.models.event_collection_response import (  # noqa: E402
    EventCollectionResponse,
)
from msgraph.generated.models.item_body import ItemBody  # noqa: E402
from msgraph.generated.models.location import Location  # noqa: E402
from msgraph.generated.models.mailbox_settings import MailboxSettings  # noqa: E402
from msgraph.generated.models.o_data_errors.o_data_error import ODataError  # noqa: E402
from msgraph.generated.models.patterned_recurrence import PatternedRecurrence  # noqa: E402
from msgraph.generated.models.recurrence_pattern import RecurrencePattern  # noqa: E402
from msgraph.generated.models.recurrence_pattern_type import RecurrencePatternType  # noqa: E402
from msgraph.generated.models.recurrence_range import RecurrenceRange  # noqa: E402
from msgraph.generated.models.recurrence_range_type import RecurrenceRangeType  # noqa: E402
from msgraph.generated.models.sensitivity import Sensitivity  # noqa: E402
from msgraph.generated.models.single_value_legacy_extended_property import (  # noqa: E402
    SingleValueLegacyExtendedProperty,
)
from msgraph.generated.models.user import User  # noqa: E402
from msgraph.generated.users.item.calendar_view.delta.delta_get_response import (  # noqa: E402
    DeltaGetResponse,
)
from msgraph_core.requests.batch_response_content import BatchResponseContent  # noqa: E402

# The artefact the emulator is checked against (see emulators/microsoft/README.md).
VALIDATED_SDK = "1.65.0"
ANNOTATIONS = {"@odata.context", "@odata.etag", "@odata.type", "@removed"}
USER_EMAIL = "alice@example.com"
TZ = "Romance Standard Time"
EXT_ID = "String {66f5a359-4659-4830-9070-00047ec6ac6e} Name odoo_id"
MAY = {"startDateTime": "2024-05-01T00:00:00Z", "endDateTime": "2024-06-01T00:00:00Z"}


# -- the validator -----------------------------------------------------------------------------


def parse(data: dict[str, Any], model: type[Parsable]) -> Parsable:
    node = JsonParseNodeFactory().get_root_parse_node("application/json", json.dumps(data).encode())
    return node.get_object_value(model)


def write(value: Parsable) -> dict[str, Any]:
    writer = JsonSerializationWriterFactory().get_serialization_writer("application/json")
    writer.write_object_value(None, value)
    return json.loads(writer.get_serialized_content())


def _unknown_members(value: Any, path: str, seen: set[int]) -> list[str]:
    if id(value) in seen:
        return []
    seen.add(id(value))
    problems = []
    if isinstance(value, list):
        for index, item in enumerate(value):
            problems += _unknown_members(item, f"{path}[{index}]", seen)
        return problems
    if not isinstance(value, Parsable):
        return problems
    for key in getattr(value, "additional_data", None) or {}:
        if key not in ANNOTATIONS:
            problems.append(f"{path}.{key}: not a member of {type(value).__name__}")
    for name, member in vars(value).items():
        if name != "additional_data" and isinstance(member, (Parsable, list)):
            problems += _unknown_members(member, f"{path}.{name}", seen)
    return problems


def _temporal(text: str) -> Any:
    """A date, time or date-time string as a comparable value (Graph writes 7 fractional
    digits, Kiota 6 or none); None when it is none of these."""
    text = re.sub(r"(\.\d{6})\d+", r"\1", text.replace("Z", "+00:00"))
    for kind in (dt.datetime, dt.time, dt.date):
        try:
            value = kind.fromisoformat(text)
        except ValueError:
            continue
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return value
    return None


def _same_instant(left: str, right: str) -> bool:
    return _temporal(left) is not None and _temporal(left) == _temporal(right)


def _round_trip(original: Any, written: Any, path: str) -> list[str]:
    if original is None:
        return []
    if written is None:
        return [f"{path}: {original!r} was not accepted by the model (type or enum value)"]
    if isinstance(original, dict):
        if not isinstance(written, dict):
            return [f"{path}: an object became {written!r}"]
        problems = []
        for key, value in original.items():
            problems += _round_trip(value, written.get(key), f"{path}.{key}")
        return problems
    if isinstance(original, list):
        if not isinstance(written, list) or len(written) != len(original):
            return [f"{path}: the collection {original!r} became {written!r}"]
        problems = []
        for index, (left, right) in enumerate(zip(original, written, strict=True)):
            problems += _round_trip(left, right, f"{path}[{index}]")
        return problems
    if original == written or (
        isinstance(original, str) and isinstance(written, str) and _same_instant(original, written)
    ):
        return []
    return [f"{path}: {original!r} came back as {written!r}"]


def problems(data: dict[str, Any], model: type[Parsable]) -> list[str]:
    parsed = parse(data, model)
    return _unknown_members(parsed, model.__name__, set()) + _round_trip(
        data, write(parsed), model.__name__
    )


def assert_valid(data: dict[str, Any], model: type[Parsable]) -> None:
    found = problems(data, model)
    assert not found, "\n".join(found)


# -- the validator catches what it should --------------------------------------------------------


def test_validator_reports_unknown_members_and_bad_types():
    good = {
        "subject": "x",
        "isAllDay": False,
        "showAs": "busy",
        "start": {"dateTime": "2024-05-06T09:00:00.0000000", "timeZone": "UTC"},
    }
    assert problems(good, Event) == []
    assert problems({**good, "colour": "red"}, Event) == ["Event.colour: not a member of Event"]
    assert problems({**good, "isAllDay": "no"}, Event)
    assert problems({**good, "showAs": "sleeping"}, Event)
    assert problems({**good, "start": {"dateTime": "x", "tz": "UTC"}}, Event)
    assert problems({**good, "reminderMinutesBeforeStart": "15"}, Event)


def test_sdk_version_is_the_documented_one():
    assert importlib.metadata.version("msgraph-sdk") == VALIDATED_SDK


# -- emulator answers ----------------------------------------------------------------------------


@pytest.fixture
def ms(fresh_graph_server):
    server = fresh_graph_server
    server.set_now("2024-05-01T08:00:00Z")
    server.seed_demo(USER_EMAIL)
    return server


@pytest.fixture
def session(ms):
    access, _ = ms.issue_tokens(
        USER_EMAIL, scopes=["Calendars.ReadWrite", "User.Read", "MailboxSettings.Read"]
    )
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {access}"
    return http


def get(session, ms, path, expect=200, **kwargs) -> dict[str, Any]:
    response = session.get(ms.graph_url + path, timeout=10, **kwargs)
    assert response.status_code == expect, response.text
    return response.json()


def test_every_event_shape(ms, session):
    invitation = ms.insert_event(
        USER_EMAIL,
        {
            "subject": "Invite",
            "isOnlineMeeting": True,
            "start": {"dateTime": "2024-05-08T09:00:00", "timeZone": TZ},
            "end": {"dateTime": "2024-05-08T10:00:00", "timeZone": TZ},
            "singleValueExtendedProperties": [{"id": EXT_ID, "value": "7"}],
        },
        organizer="carol@partner.example",
    )
    window = {
        "startDateTime": "2024-04-01T00:00:00Z",
        "endDateTime": "2024-09-01T00:00:00Z",
        "$top": "100",
    }
    view = get(session, ms, "/me/calendarView", params=window)
    assert_valid(view, EventCollectionResponse)
    assert {e["type"] for e in view["value"]} == {"singleInstance", "occurrence", "exception"}
    listed = get(session, ms, "/me/events", params={"$top": "2"})
    assert "@odata.nextLink" in listed
    assert_valid(listed, EventCollectionResponse)
    masters = [
        e
        for e in get(session, ms, "/me/events", params={"$top": "50"})["value"]
        if e["type"] == "seriesMaster"
    ]
    assert masters and masters[0]["recurrence"]
    expand = f"singleValueExtendedProperties($filter=id eq '{EXT_ID}')"
    for event in view["value"] + masters + [invitation]:
        fetched = get(
            session,
            ms,
            f"/me/events/{event['id']}",
            params={"$expand": expand},
            headers={"Prefer": f'outlook.timezone="{TZ}"'},
        )
        assert_valid(fetched, Event)
    expanded = get(session, ms, f"/me/events/{invitation['id']}", params={"$expand": expand})
    assert expanded["singleValueExtendedProperties"] == [{"id": EXT_ID, "value": "7"}]


def test_delta_pages(ms, session):
    headers = {"Prefer": "odata.maxpagesize=3"}
    page = get(session, ms, "/me/calendarView/delta", params=MAY, headers=headers)
    pages = [page]
    while "@odata.nextLink" in page:
        page = session.get(page["@odata.nextLink"], headers=headers, timeout=10).json()
        pages.append(page)
    for page in pages:
        assert_valid(page, DeltaGetResponse)
    parsed = parse(pages[-1], DeltaGetResponse)
    assert parsed.odata_delta_link and not parsed.odata_next_link
    first = ms.events(USER_EMAIL)[1]
    ms.delete_event(USER_EMAIL, first["id"])
    changes = session.get(pages[-1]["@odata.deltaLink"], timeout=10).json()
    assert_valid(changes, DeltaGetResponse)
    assert changes["value"][0]["@removed"] == {"reason": "deleted"}


def test_user_settings_calendar(ms, session):
    assert_valid(get(session, ms, "/me"), User)
    assert_valid(get(session, ms, "/me/mailboxSettings"), MailboxSettings)
    assert_valid(get(session, ms, "/me/calendar"), Calendar)


@pytest.mark.parametrize(
    ("call", "status"),
    [
        (lambda s, ms: s.get(ms.graph_url + "/me/events/AAMkAGhvc3Q=", timeout=10), 400),
        (lambda s, ms: s.get(ms.graph_url + "/me/calendarView", timeout=10), 400),
        (lambda s, ms: requests.get(ms.graph_url + "/me", timeout=10), 401),
        (lambda s, ms: s.post(ms.graph_url + "/me/events", json={"nope": 1}, timeout=10), 400),
        (
            lambda s, ms: s.get(ms.graph_url + "/me/calendarView/delta?$deltatoken=x", timeout=10),
            410,
        ),
    ],
)
def test_errors(ms, session, call, status):
    response = call(session, ms)
    assert response.status_code == status
    body = response.json()
    assert_valid(body, ODataError)
    parsed = parse(body, ODataError)
    assert parsed.error.code and parsed.error.message and parsed.error.inner_error.request_id


def test_batch_response(ms, session):
    ms.faults.mailbox_concurrency(times=1, retry_after=2)
    event = {
        "subject": "x",
        "start": {"dateTime": "2024-05-06T09:00:00", "timeZone": TZ},
        "end": {"dateTime": "2024-05-06T10:00:00", "timeZone": TZ},
    }
    parts = [
        {
            "id": str(n),
            "method": "POST",
            "url": "/me/events",
            "headers": {"Content-Type": "application/json"},
            "body": event,
        }
        for n in range(3)
    ]
    answer = session.post(ms.graph_url + "/$batch", json={"requests": parts}, timeout=10).json()
    content = parse(answer, BatchResponseContent)
    statuses = {key: item.status for key, item in content.responses.items()}
    assert sorted(statuses.values()) == [201, 201, 429]
    assert set(answer) == {"responses"}
    for item in answer["responses"]:
        assert set(item) <= {"id", "status", "headers", "body"}
        assert_valid(item["body"], Event if item["status"] == 201 else ODataError)


# -- what the SDK writes, the emulator accepts --------------------------------------------------


def test_sdk_request_bodies_are_accepted(ms, session):
    body = Event(
        subject="From the SDK",
        body=ItemBody(content_type=BodyType.Html, content="<p>Hello</p>"),
        start=DateTimeTimeZone(date_time="2024-05-06T09:00:00", time_zone=TZ),
        end=DateTimeTimeZone(date_time="2024-05-06T10:00:00", time_zone="Europe/Brussels"),
        location=Location(display_name="Room 1"),
        sensitivity=Sensitivity.Private,
        attendees=[
            Attendee(
                type=AttendeeType.Optional,
                email_address=EmailAddress(address="bob@example.org", name="Bob"),
            )
        ],
        recurrence=PatternedRecurrence(
            pattern=RecurrencePattern(
                type=RecurrencePatternType.RelativeMonthly,
                interval=1,
                days_of_week=[DayOfWeek.Tuesday],
                index=None,
            ),
            range=RecurrenceRange(
                type=RecurrenceRangeType.Numbered,
                start_date=dt.date(2024, 5, 6),
                number_of_occurrences=3,
            ),
        ),
        single_value_extended_properties=[SingleValueLegacyExtendedProperty(id=EXT_ID, value="99")],
    )
    payload = write(body)
    response = session.post(ms.graph_url + "/me/events", json=payload, timeout=10)
    assert response.status_code == 201, response.text
    created = response.json()
    assert_valid(created, Event)
    assert created["type"] == "seriesMaster" and created["sensitivity"] == "private"
    assert ms.extended_property(USER_EMAIL, created["id"], EXT_ID) == "99"
    occurrences = ms.instances(USER_EMAIL, created["id"])
    assert [o["start"]["dateTime"][:10] for o in occurrences] == [
        "2024-05-07",
        "2024-06-04",
        "2024-07-02",
    ]
