"""The Microsoft Graph v1.0 calendar emulator, driven over HTTPS with requests."""

from __future__ import annotations

import copy
import time

import pytest
import requests

from emulators.microsoft import MicrosoftEmulator

USER = "alice@example.com"
TZ = "Romance Standard Time"
EXT_ID = "String {66f5a359-4659-4830-9070-00047ec6ac6e} Name odoo_id"


def at(value: str, zone: str = TZ) -> dict[str, str]:
    return {"dateTime": value, "timeZone": zone}


SIMPLE = {
    "subject": "Meeting",
    "start": at("2024-05-06T09:00:00"),
    "end": at("2024-05-06T10:00:00"),
}
WEEKLY = {
    "subject": "Weekly",
    "start": at("2024-05-06T09:00:00"),
    "end": at("2024-05-06T10:00:00"),
    "recurrence": {
        "pattern": {"type": "weekly", "interval": 1, "daysOfWeek": ["monday"]},
        "range": {"type": "numbered", "startDate": "2024-05-06", "numberOfOccurrences": 4},
    },
}
MAY = {"startDateTime": "2024-05-01T00:00:00Z", "endDateTime": "2024-06-01T00:00:00Z"}


@pytest.fixture
def ms(fresh_graph_server):
    server = fresh_graph_server
    server.set_now("2024-05-01T08:00:00Z")
    server.add_account(USER, "Alice Smith", TZ)
    return server


class Graph:
    """A thin requests session for the emulator's Graph endpoints."""

    def __init__(self, emulator: MicrosoftEmulator, token: str):
        self.base = emulator.graph_url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, expect: int | None = None, **kwargs):
        url = path if path.startswith("https://") else self.base + path
        response = self.session.request(method, url, timeout=10, **kwargs)
        if expect is not None:
            assert response.status_code == expect, response.text
        return response

    def get(self, path, expect=200, **kwargs):
        return self.call("GET", path, expect, **kwargs).json()

    def post(self, path, body, expect=201, **kwargs):
        response = self.call("POST", path, expect, json=body, **kwargs)
        return response.json() if response.content else None

    def patch(self, path, body, expect=200, **kwargs):
        return self.call("PATCH", path, expect, json=body, **kwargs).json()

    def delete(self, path, expect=204):
        return self.call("DELETE", path, expect)


@pytest.fixture
def graph(ms):
    access, _refresh = ms.issue_tokens(USER)
    return Graph(ms, access)


def delta_all(graph: Graph, first: str, params=None, headers=None):
    """Follow nextLinks to the deltaLink: (items, deltaLink, pages)."""
    items, pages = [], 0
    page = graph.get(first, params=params, headers=headers)
    while True:
        pages += 1
        items.extend(page["value"])
        if "@odata.deltaLink" in page:
            assert "@odata.nextLink" not in page
            return items, page["@odata.deltaLink"], pages
        page = graph.get(page["@odata.nextLink"], headers=headers)


# -- events ----------------------------------------------------------------------------------


def test_create_get_patch_delete(graph, ms):
    created = graph.post("/me/events", SIMPLE)
    assert created["type"] == "singleInstance" and created["isOrganizer"] is True
    assert created["start"] == {"dateTime": "2024-05-06T07:00:00.0000000", "timeZone": "UTC"}
    assert created["originalStartTimeZone"] == TZ
    assert created["responseStatus"]["response"] == "organizer"
    assert created["iCalUId"].startswith("040000008200E00074C5B7101A82E008")
    assert created["@odata.etag"] == f'W/"{created["changeKey"]}"'
    fetched = graph.get(f"/me/events/{created['id']}")
    assert fetched["changeKey"] == created["changeKey"]
    patched = graph.patch(f"/me/events/{created['id']}", {"subject": "Renamed"})
    assert patched["subject"] == "Renamed"
    assert patched["changeKey"] != created["changeKey"]
    graph.delete(f"/me/events/{created['id']}")
    error = graph.get(f"/me/events/{created['id']}", expect=404)["error"]
    assert error["code"] == "ErrorItemNotFound"
    assert {"date", "request-id", "client-request-id"} <= set(error["innerError"])
    assert ms.events(USER) == []


def test_prefer_timezone_windows_and_iana(graph):
    created = graph.post("/me/events", SIMPLE)
    for zone, expected in (("Pacific Standard Time", "00:00"), ("Asia/Tokyo", "16:00")):
        headers = {"Prefer": f'outlook.timezone="{zone}"'}
        response = graph.call("GET", f"/me/events/{created['id']}", 200, headers=headers)
        assert response.json()["start"] == {
            "dateTime": f"2024-05-06T{expected}:00.0000000",
            "timeZone": zone,
        }
        assert zone in response.headers["Preference-Applied"]


def test_all_day_needs_midnight_and_ignores_prefer(graph):
    bad = {**SIMPLE, "isAllDay": True}
    error = graph.post("/me/events", bad, expect=400)["error"]
    assert error["code"] == "ErrorPropertyValidationFailure"
    day = {
        "subject": "Offsite",
        "isAllDay": True,
        "start": at("2024-05-10T00:00:00"),
        "end": at("2024-05-11T00:00:00"),
    }
    created = graph.post("/me/events", day)
    headers = {"Prefer": 'outlook.timezone="Pacific Standard Time"'}
    fetched = graph.get(f"/me/events/{created['id']}", headers=headers)
    assert fetched["start"]["dateTime"] == "2024-05-10T00:00:00.0000000"
    assert fetched["end"]["dateTime"] == "2024-05-11T00:00:00.0000000"


def test_all_day_on_the_23_hour_day_clocks_go_forward(graph):
    dst_start = {  # 31 March 2024, Brussels: 00:00 -> 00:00 is 23 hours
        "subject": "Short day",
        "isAllDay": True,
        "start": at("2024-03-31T00:00:00"),
        "end": at("2024-04-01T00:00:00"),
    }
    created = graph.post("/me/events", dst_start)
    assert created["start"]["dateTime"] == "2024-03-31T00:00:00.0000000"
    same_day = {**dst_start, "end": at("2024-03-31T00:00:00")}
    error = graph.post("/me/events", same_day, expect=400)["error"]
    assert error["code"] == "ErrorPropertyValidationFailure"


@pytest.mark.parametrize(
    "zone",
    ["Kamchatka Standard Time", "Mid-Atlantic Standard Time", "tzone://Microsoft/Custom",
     "Russia Time Zone 11", "Asia/Kamchatka"],
)  # fmt: skip
def test_every_windows_zone_and_custom_zones_are_accepted_and_kept(graph, zone):
    body = {
        **SIMPLE,
        "start": at("2024-05-06T09:00:00", zone),
        "end": at("2024-05-06T10:00:00", zone),
    }
    created = graph.post("/me/events", body)
    assert created["originalStartTimeZone"] == zone
    assert created["originalEndTimeZone"] == zone


def test_enum_values_are_read_case_insensitively(graph):
    body = {
        **SIMPLE,
        "showAs": "TENTATIVE",
        "sensitivity": "Private",
        "attendees": [
            {"type": "Required", "status": {"response": "notresponded"},
             "emailAddress": {"address": "bob@example.com"}},
            {"type": "optional", "status": {"response": "tentativelyaccepted"},
             "emailAddress": {"address": "carol@example.com"}},
        ],
        "recurrence": {
            "pattern": {"type": "Weekly", "interval": 1, "daysOfWeek": ["MONDAY"]},
            "range": {"type": "NUMBERED", "startDate": "2024-05-06", "numberOfOccurrences": 2},
        },
    }  # fmt: skip
    created = graph.post("/me/events", body)
    assert (created["showAs"], created["sensitivity"]) == ("tentative", "private")
    assert [(a["type"], a["status"]["response"]) for a in created["attendees"]] == [
        ("required", "notResponded"),
        ("optional", "tentativelyAccepted"),
    ]
    assert created["recurrence"]["pattern"]["type"] == "weekly"
    assert created["recurrence"]["pattern"]["daysOfWeek"] == ["monday"]
    assert created["recurrence"]["range"]["type"] == "numbered"
    wrong = {**SIMPLE, "attendees": [{**body["attendees"][0], "type": "requir"}]}
    assert graph.post("/me/events", wrong, expect=400)["error"]["code"] == "RequestBodyRead"


def test_validation_errors(graph):
    assert graph.post("/me/events", {"bogus": 1}, expect=400)["error"]["code"] == "RequestBodyRead"
    bad_enum = {**SIMPLE, "showAs": "sleeping"}
    assert graph.post("/me/events", bad_enum, expect=400)["error"]["code"] == "RequestBodyRead"
    bad_zone = {**SIMPLE, "start": at("2024-05-06T09:00:00", "Mars/Olympus")}
    error = graph.post("/me/events", bad_zone, expect=400)["error"]
    assert error["code"] == "TimeZoneNotSupportedException"
    backwards = {**SIMPLE, "end": at("2024-05-06T08:00:00")}
    assert graph.post("/me/events", backwards, expect=400)["error"]["code"] == "ErrorInvalidRequest"
    assert graph.get("/me/events/not-an-id", expect=400)["error"]["code"] == (
        "ErrorInvalidIdMalformed"
    )
    response = graph.call(
        "POST", "/me/events", 400, data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.json()["error"]["code"] == "BadRequest"


def test_authentication_errors(ms):
    anonymous = requests.get(ms.graph_url + "/me/events", timeout=10)
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "InvalidAuthenticationToken"
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    access, _ = ms.issue_tokens(USER)
    ms.expire_access_tokens(USER)
    expired = Graph(ms, access).call("GET", "/me/events", 401).json()
    assert "expired" in expired["error"]["message"]
    read_only, _ = ms.issue_tokens(USER, scopes=["User.Read"])
    denied = Graph(ms, read_only).call("GET", "/me/events", 403).json()
    assert denied["error"]["code"] == "ErrorAccessDenied"


def test_me_and_mailbox_settings(graph, ms):
    me = graph.get("/me")
    assert me["userPrincipalName"] == USER and me["id"] == ms.mailbox(USER).oid
    assert me["displayName"] == "Alice Smith"
    graph.get("/me/mailboxSettings", expect=403)  # needs MailboxSettings.Read
    access, _ = ms.issue_tokens(USER, scopes=["MailboxSettings.Read", "Calendars.Read"])
    assert Graph(ms, access).get("/me/mailboxSettings")["timeZone"] == TZ
    calendar = graph.get("/me/calendar")
    assert graph.get(f"/me/calendars/{calendar['id']}/events")["value"] == []


def test_listing_pages_with_top_and_next_link(graph):
    for number in range(5):
        graph.post("/me/events", {**SIMPLE, "subject": f"E{number}"})
    page = graph.get("/me/events", params={"$top": "2"})
    subjects = [e["subject"] for e in page["value"]]
    while "@odata.nextLink" in page:
        page = graph.get(page["@odata.nextLink"])
        subjects += [e["subject"] for e in page["value"]]
    assert subjects == [f"E{n}" for n in range(5)]
    selected = graph.get("/me/events", params={"$select": "subject", "$top": "1"})["value"][0]
    assert set(selected) == {"@odata.etag", "id", "subject"}
    found = graph.get("/me/events", params={"$filter": "subject eq 'E3'"})["value"]
    assert [e["subject"] for e in found] == ["E3"]
    ordered = graph.get("/me/events", params={"$orderby": "subject desc", "$top": "1"})
    assert ordered["value"][0]["subject"] == "E4"


def test_extended_properties(graph, ms):
    body = {**SIMPLE, "singleValueExtendedProperties": [{"id": EXT_ID, "value": "42"}]}
    created = graph.post("/me/events", body)
    assert "singleValueExtendedProperties" not in created
    expand = f"singleValueExtendedProperties($filter=id eq '{EXT_ID}')"
    fetched = graph.get(f"/me/events/{created['id']}", params={"$expand": expand})
    assert fetched["singleValueExtendedProperties"] == [{"id": EXT_ID, "value": "42"}]
    clause = f"singleValueExtendedProperties/Any(ep: ep/id eq '{EXT_ID}' and ep/value eq '42')"
    assert [e["id"] for e in graph.get("/me/events", params={"$filter": clause})["value"]] == [
        created["id"]
    ]
    assert ms.extended_property(USER, created["id"], EXT_ID.upper()) == "42"
    unknown = "String {00000000-0000-0000-0000-000000000000} Name x"
    other = f"singleValueExtendedProperties($filter=id eq '{unknown}')"
    assert "singleValueExtendedProperties" not in graph.get(
        f"/me/events/{created['id']}", params={"$expand": other}
    )
    bad = {**SIMPLE, "singleValueExtendedProperties": [{"id": "odoo_id", "value": "1"}]}
    graph.post("/me/events", bad, expect=400)


def test_transaction_id_makes_retried_creates_idempotent(graph, ms):
    body = {**SIMPLE, "transactionId": "7E163156-7762-4BEB-A1C6-729EA81755A7"}
    first = graph.post("/me/events", body)
    again = graph.post("/me/events", body)
    assert again["id"] == first["id"] and len(ms.events(USER)) == 1
    assert again["transactionId"] == body["transactionId"]


def test_if_match_conflict(graph):
    created = graph.post("/me/events", SIMPLE)
    path = f"/me/events/{created['id']}"
    graph.patch(path, {"subject": "A"}, headers={"If-Match": created["@odata.etag"]})
    error = graph.patch(
        path, {"subject": "B"}, expect=412, headers={"If-Match": created["@odata.etag"]}
    )
    assert error["error"]["code"] == "ErrorIrresolvableConflict"


def test_online_meeting_and_html_body(graph):
    body = {
        **SIMPLE,
        "isOnlineMeeting": True,
        "body": {"contentType": "html", "content": "<p>Hi <b>there</b></p>"},
    }
    created = graph.post("/me/events", body)
    assert created["onlineMeeting"]["joinUrl"].startswith("https://teams.microsoft.com/")
    assert created["onlineMeetingProvider"] == "teamsForBusiness"
    assert "<p>Hi <b>there</b></p>" in created["body"]["content"]
    assert created["bodyPreview"] == "Hi there"
    text = graph.get(
        f"/me/events/{created['id']}", headers={"Prefer": 'outlook.body-content-type="text"'}
    )
    assert text["body"] == {"contentType": "text", "content": "Hi there"}


# -- recurrence ------------------------------------------------------------------------------


def test_series_occurrences_and_exceptions(graph, ms):
    master = graph.post("/me/events", WEEKLY)
    assert master["type"] == "seriesMaster"
    assert master["recurrence"]["range"]["recurrenceTimeZone"] == TZ
    path = f"/me/events/{master['id']}/instances"
    occurrences = graph.get(path, params=MAY)["value"]
    assert [o["start"]["dateTime"][:16] for o in occurrences] == [
        "2024-05-06T07:00",
        "2024-05-13T07:00",
        "2024-05-20T07:00",
        "2024-05-27T07:00",
    ]
    assert all(
        o["type"] == "occurrence" and o["seriesMasterId"] == master["id"] for o in occurrences
    )
    assert len({o["id"] for o in occurrences} | {master["id"]}) == 5
    assert len({o["iCalUId"] for o in occurrences}) == 4
    assert occurrences[0]["originalStart"] == "2024-05-06T07:00:00Z"
    second, third = occurrences[1], occurrences[2]
    moved = graph.patch(
        f"/me/events/{second['id']}",
        {"subject": "Moved", "start": at("2024-05-13T11:00:00"), "end": at("2024-05-13T12:00:00")},
    )
    assert moved["type"] == "exception" and moved["id"] == second["id"]
    graph.delete(f"/me/events/{third['id']}")
    graph.get(f"/me/events/{third['id']}", expect=404)
    view = graph.get("/me/calendarView", params=MAY)["value"]
    assert [(e["type"], e["start"]["dateTime"][:16]) for e in view] == [
        ("occurrence", "2024-05-06T07:00"),
        ("exception", "2024-05-13T09:00"),
        ("occurrence", "2024-05-27T07:00"),
    ]
    assert view[1]["subject"] == "Moved" and view[0]["subject"] == "Weekly"
    assert len(ms.instances(USER, master["id"])) == 3
    # Changing the series' time drops its exceptions, as Outlook does.
    graph.patch(
        f"/me/events/{master['id']}",
        {"start": at("2024-05-06T14:00:00"), "end": at("2024-05-06T15:00:00")},
    )
    assert len(graph.get(path, params=MAY)["value"]) == 4
    graph.delete(f"/me/events/{master['id']}")
    assert graph.get("/me/calendarView", params=MAY)["value"] == []


@pytest.mark.parametrize(
    ("pattern", "range_", "expected"),
    [
        (
            {"type": "daily", "interval": 2},
            {"type": "numbered", "numberOfOccurrences": 3},
            ["2024-05-06", "2024-05-08", "2024-05-10"],
        ),
        (
            {
                "type": "weekly",
                "interval": 2,
                "daysOfWeek": ["monday", "wednesday"],
                "firstDayOfWeek": "monday",
            },
            {"type": "endDate", "endDate": "2024-05-22"},
            ["2024-05-06", "2024-05-08", "2024-05-20", "2024-05-22"],
        ),
        (
            {"type": "absoluteMonthly", "interval": 1, "dayOfMonth": 31},
            {"type": "numbered", "numberOfOccurrences": 3},
            ["2024-05-31", "2024-06-30", "2024-07-31"],
        ),
        (
            {"type": "relativeMonthly", "interval": 1, "daysOfWeek": ["friday"], "index": "last"},
            {"type": "numbered", "numberOfOccurrences": 2},
            ["2024-05-31", "2024-06-28"],
        ),
        (
            {"type": "absoluteYearly", "interval": 1, "month": 2, "dayOfMonth": 29},
            {"type": "numbered", "numberOfOccurrences": 2},
            ["2025-02-28", "2026-02-28"],
        ),
        (
            {
                "type": "relativeYearly",
                "interval": 1,
                "month": 11,
                "daysOfWeek": ["thursday"],
                "index": "fourth",
            },
            {"type": "noEnd"},
            ["2024-11-28", "2025-11-27", "2026-11-26"],
        ),
    ],
)
def test_pattern_types(graph, pattern, range_, expected):
    body = {
        **WEEKLY,
        "recurrence": {"pattern": pattern, "range": {"startDate": "2024-05-06", **range_}},
    }
    master = graph.post("/me/events", body)
    window = {"startDateTime": "2024-05-01T00:00:00Z", "endDateTime": "2026-12-31T00:00:00Z"}
    found = graph.get(f"/me/events/{master['id']}/instances", params={**window, "$top": "50"})
    assert [o["start"]["dateTime"][:10] for o in found["value"]] == expected
    assert master["start"]["dateTime"][:10] == expected[0]  # aligned on the first occurrence


def test_dst_keeps_wall_clock(graph):
    body = {
        **WEEKLY,
        "start": at("2024-03-25T09:00:00"),
        "end": at("2024-03-25T10:00:00"),
        "recurrence": {
            "pattern": {"type": "weekly", "interval": 1, "daysOfWeek": ["monday"]},
            "range": {"type": "numbered", "startDate": "2024-03-18", "numberOfOccurrences": 3},
        },
    }
    master = graph.post("/me/events", body)
    window = {"startDateTime": "2024-03-01T00:00:00Z", "endDateTime": "2024-04-30T00:00:00Z"}
    found = graph.get(
        f"/me/events/{master['id']}/instances",
        params=window,
        headers={"Prefer": f'outlook.timezone="{TZ}"'},
    )["value"]
    assert {o["start"]["dateTime"][11:16] for o in found} == {"09:00"}
    utc = graph.get(f"/me/events/{master['id']}/instances", params=window)["value"]
    assert [o["start"]["dateTime"][11:16] for o in utc] == ["08:00", "08:00", "07:00"]


def test_recurrence_validation(graph):
    body = {
        **WEEKLY,
        "recurrence": {
            "pattern": {"type": "weekly", "interval": 1},
            "range": WEEKLY["recurrence"]["range"],
        },
    }
    graph.post("/me/events", body, expect=400)
    body = {
        **WEEKLY,
        "recurrence": {"pattern": {"type": "hourly"}, "range": WEEKLY["recurrence"]["range"]},
    }
    graph.post("/me/events", body, expect=400)


def test_calendar_view_needs_window(graph):
    error = graph.get("/me/calendarView", expect=400)["error"]
    assert error["code"] == "ErrorInvalidParameter"
    assert "StartDateTime and EndDateTime" in error["message"]


# -- invitations -----------------------------------------------------------------------------


def test_invitation_rules(graph, ms):
    invite = ms.insert_event(USER, SIMPLE, organizer="carol@partner.example")
    assert invite["isOrganizer"] is False
    assert invite["organizer"]["emailAddress"]["address"] == "carol@partner.example"
    assert invite["responseStatus"]["response"] == "notResponded"
    path = f"/me/events/{invite['id']}"
    error = graph.patch(path, {"subject": "Mine now"}, expect=403)["error"]
    assert error["code"] == "ErrorAccessDenied"
    graph.patch(path, {"reminderMinutesBeforeStart": 30, "showAs": "tentative"})
    graph.post(f"{path}/accept", {"comment": "ok", "sendResponse": False}, expect=202)
    accepted = graph.get(path)
    assert accepted["responseStatus"]["response"] == "accepted"
    me = [a for a in accepted["attendees"] if a["emailAddress"]["address"] == USER]
    assert me[0]["status"]["response"] == "accepted"
    graph.post(f"{path}/decline", {"sendResponse": True}, expect=202)
    assert graph.get(path)["responseStatus"]["response"] == "declined"
    own = graph.post("/me/events", SIMPLE)
    graph.post(f"/me/events/{own['id']}/tentativelyAccept", {}, expect=400)
    ms.attendee_edit = "allow"
    assert graph.patch(path, {"subject": "Local copy"})["subject"] == "Local copy"
    graph.delete(path)


def test_attendee_answer_and_cancelled_meeting(graph, ms):
    body = {
        **SIMPLE,
        "attendees": [
            {"type": "optional", "emailAddress": {"address": "bob@example.org", "name": "Bob"}}
        ],
    }
    created = graph.post("/me/events", body)
    assert created["attendees"][0]["status"] == {"response": "none", "time": "0001-01-01T00:00:00Z"}
    ms.set_attendee_response(USER, created["id"], "bob@example.org", "tentativelyAccepted")
    fetched = graph.get(f"/me/events/{created['id']}")
    assert fetched["attendees"][0]["status"]["response"] == "tentativelyAccepted"
    invite = ms.insert_event(USER, SIMPLE, organizer="carol@partner.example")
    ms.cancel_meeting(USER, invite["id"])
    assert graph.get(f"/me/events/{invite['id']}")["isCancelled"] is True


# -- delta -----------------------------------------------------------------------------------


def test_delta_rounds(graph, ms):
    single = graph.post("/me/events", SIMPLE)
    master = graph.post("/me/events", WEEKLY)
    headers = {"Prefer": "odata.maxpagesize=2"}
    items, link, pages = delta_all(graph, "/me/calendarView/delta", MAY, headers)
    assert pages == 3
    assert sorted(i["type"] for i in items) == ["occurrence"] * 4 + [
        "seriesMaster",
        "singleInstance",
    ]
    assert all(i["@odata.type"] == "#microsoft.graph.event" for i in items)
    # As observed: the master is listed (before its occurrences), a plain occurrence is bare.
    listed_master = next(i for i in items if i["type"] == "seriesMaster")
    assert listed_master["id"] == master["id"] and listed_master["recurrence"]
    assert items.index(listed_master) < min(
        items.index(i) for i in items if i["type"] == "occurrence"
    )
    plain = next(i for i in items if i["type"] == "occurrence")
    assert set(plain) == {"@odata.type", "@odata.etag", "id", "seriesMasterId", "type", "start",
                          "end"}  # fmt: skip
    assert plain["seriesMasterId"] == master["id"]
    assert "$deltatoken=" in link and "startDateTime" not in link
    # nothing changed
    assert delta_all(graph, link)[0] == []
    occurrences = graph.get(f"/me/events/{master['id']}/instances", params=MAY)["value"]
    graph.patch(f"/me/events/{single['id']}", {"subject": "Changed"})
    graph.delete(f"/me/events/{occurrences[1]['id']}")
    graph.patch(f"/me/events/{occurrences[2]['id']}", {"subject": "Exception"})
    items, link2, _ = delta_all(graph, link)
    by_id = {i["id"]: i for i in items}
    assert by_id[single["id"]]["subject"] == "Changed"
    # As observed (microsoft-graph-docs#4501): no sign of the deleted occurrence; its master
    # changed, so the series comes again whole, master first.
    assert not any("@removed" in i for i in items)
    assert by_id[master["id"]]["type"] == "seriesMaster"
    assert by_id[master["id"]]["changeKey"] != master["changeKey"]
    remaining = [occurrences[n]["id"] for n in (0, 2, 3)]
    assert [i["id"] for i in items if i.get("seriesMasterId")] == remaining
    assert items.index(by_id[master["id"]]) < items.index(by_id[remaining[0]])
    assert by_id[occurrences[2]["id"]]["type"] == "exception"
    assert len(items) == 5
    graph.delete(f"/me/events/{master['id']}")
    items, _link3, _ = delta_all(graph, link2)
    # A deleted series is one removal, its master's (what Odoo's own module is built on).
    assert items == [
        {
            "@odata.type": "#microsoft.graph.event",
            "id": master["id"],
            "@removed": {"reason": "deleted"},
        }
    ]


def test_deleted_occurrence_as_a_removal_when_asked(graph, ms):
    ms.delta_occurrence_removals = True  # the emulator's former shape, for clients that want it
    master = graph.post("/me/events", WEEKLY)
    _, link, _ = delta_all(graph, "/me/calendarView/delta", MAY)
    occurrences = graph.get(f"/me/events/{master['id']}/instances", params=MAY)["value"]
    graph.delete(f"/me/events/{occurrences[1]['id']}")
    items, _, _ = delta_all(graph, link)
    assert items[0] == {
        "@odata.type": "#microsoft.graph.event",
        "id": occurrences[1]["id"],
        "@removed": {"reason": "deleted"},
    }
    assert [i["id"] for i in items[1:]] == [master["id"]] + [
        occurrences[n]["id"] for n in (0, 2, 3)
    ]


def test_a_series_whose_last_occurrence_in_the_window_is_deleted_comes_as_removed(graph, ms):
    # Graph reports an event changed with nothing left in the window as removed
    # (microsoft-graph-docs#6599); the master itself still answers a GET.
    single_occurrence = copy.deepcopy(WEEKLY)
    single_occurrence["recurrence"]["range"]["numberOfOccurrences"] = 1
    master = graph.post("/me/events", single_occurrence)
    _, link, _ = delta_all(graph, "/me/calendarView/delta", MAY)
    (only,) = graph.get(f"/me/events/{master['id']}/instances", params=MAY)["value"]
    graph.delete(f"/me/events/{only['id']}")
    items, _, _ = delta_all(graph, link)
    assert items == [
        {
            "@odata.type": "#microsoft.graph.event",
            "id": master["id"],
            "@removed": {"reason": "deleted"},
        }
    ]
    assert graph.get(f"/me/events/{master['id']}")["id"] == master["id"]


def test_delta_without_series_masters_lists_occurrences_only(graph, ms):
    ms.delta_series_masters = False  # the shape Graph's documentation describes
    master = graph.post("/me/events", WEEKLY)
    items, _link, _ = delta_all(graph, "/me/calendarView/delta", MAY)
    assert [i["type"] for i in items] == ["occurrence"] * 4
    assert {i["seriesMasterId"] for i in items} == {master["id"]}


def test_delta_retry_same_page_and_changes_while_paging(graph):
    for number in range(3):
        graph.post("/me/events", {**SIMPLE, "subject": f"E{number}"})
    headers = {"Prefer": "odata.maxpagesize=1"}
    first = graph.get("/me/calendarView/delta", params=MAY, headers=headers)
    second = graph.get(first["@odata.nextLink"], headers=headers)
    again = graph.get(first["@odata.nextLink"], headers=headers)
    assert second["value"][0]["id"] == again["value"][0]["id"]
    late = graph.post("/me/events", {**SIMPLE, "subject": "late"})
    _, link, _ = delta_all(graph, second["@odata.nextLink"], headers=headers)
    items, _, _ = delta_all(graph, link)
    assert [i["id"] for i in items] == [late["id"]]


def test_delta_rejects_query_options_and_expires(graph, ms):
    for option in ("$select", "$filter", "$orderby", "$expand", "$top"):
        error = graph.get("/me/calendarView/delta", expect=400, params={**MAY, option: "subject"})
        assert error["error"]["code"] == "ErrorInvalidUrlQuery"
    graph.get("/me/calendarView/delta", expect=400)
    _, link, _ = delta_all(graph, "/me/calendarView/delta", MAY)
    ms.expire_delta_tokens()
    gone = graph.call("GET", link, 410).json()
    assert gone["error"]["code"] == "SyncStateNotFound"
    unknown = link.split("$deltatoken=")[0] + "$deltatoken=nonsense"
    assert graph.call("GET", unknown, 410).json()["error"]["code"] == "SyncStateNotFound"
    ms.delta_token_ttl = 60
    _, link, _ = delta_all(graph, "/me/calendarView/delta", MAY)
    ms.advance(61)
    graph.call("GET", link, 410)


def test_delta_window_and_prefer_timezone(graph):
    inside = graph.post("/me/events", SIMPLE)
    graph.post(
        "/me/events",
        {**SIMPLE, "start": at("2024-07-01T09:00:00"), "end": at("2024-07-01T10:00:00")},
    )
    headers = {"Prefer": 'outlook.timezone="Eastern Standard Time", odata.maxpagesize=50'}
    items, link, _ = delta_all(graph, "/me/calendarView/delta", MAY, headers)
    assert [i["id"] for i in items] == [inside["id"]]
    assert items[0]["start"] == {
        "dateTime": "2024-05-06T03:00:00.0000000",
        "timeZone": "Eastern Standard Time",
    }
    # moved out of the window -> removed
    graph.patch(
        f"/me/events/{inside['id']}",
        {"start": at("2024-08-01T09:00:00"), "end": at("2024-08-01T10:00:00")},
    )
    items, _, _ = delta_all(graph, link)
    assert items == [
        {
            "@odata.type": "#microsoft.graph.event",
            "id": inside["id"],
            "@removed": {"reason": "deleted"},
        }
    ]


# -- batch, throttling -----------------------------------------------------------------------


def test_latency_is_paid_once_per_http_request_not_per_batch_part(graph, ms):
    ms.faults.add(latency=0.2, times=None)  # 200 ms of network on every request
    parts = [{"id": str(n), "method": "GET", "url": "/me/events"} for n in range(20)]
    started = time.monotonic()
    answer = graph.call("POST", "/$batch", 200, json={"requests": parts}).json()
    elapsed = time.monotonic() - started
    assert 0.2 <= elapsed < 1.0  # one request's delay, not 20 x 200 ms
    assert [r["status"] for r in answer["responses"]] == [200] * 20


def test_batch_with_depends_on_and_log(graph, ms):
    created = graph.post("/me/events", SIMPLE)
    payload = {
        "requests": [
            {
                "id": "1",
                "method": "POST",
                "url": "/me/events",
                "headers": {"Content-Type": "application/json"},
                "body": SIMPLE,
            },
            {
                "id": "2",
                "method": "PATCH",
                "url": f"/me/events/{created['id']}",
                "dependsOn": ["1"],
                "headers": {"Content-Type": "application/json"},
                "body": {"subject": "Batched"},
            },
            {"id": "3", "method": "GET", "url": "/me/events/AAMkAGhvc3Q=", "dependsOn": []},
            {
                "id": "4",
                "method": "DELETE",
                "url": f"/me/events/{created['id']}",
                "dependsOn": ["3"],
            },
        ]
    }
    ms.requests.clear()
    answer = graph.call("POST", "/$batch", 200, json=payload).json()
    status = {r["id"]: r["status"] for r in answer["responses"]}
    assert status == {"1": 201, "2": 200, "3": 400, "4": 424}
    assert [r["id"] for r in answer["responses"]] == ["1", "2", "3", "4"]
    assert answer["responses"][1]["body"]["subject"] == "Batched"
    assert ms.requests.count(in_batch=True) == 3
    assert ms.requests.count(in_batch=False) == 1
    assert ms.requests.filter(in_batch=True)[0].path == "/v1.0/me/events"


def test_batch_limits(graph):
    too_many = {"requests": [{"id": str(n), "method": "GET", "url": "/me"} for n in range(21)]}
    assert graph.call("POST", "/$batch", 400, json=too_many).json()["error"]["code"] == "BadRequest"
    no_type = {"requests": [{"id": "1", "method": "POST", "url": "/me/events", "body": SIMPLE}]}
    graph.call("POST", "/$batch", 400, json=no_type)
    duplicate = {"requests": [{"id": "1", "method": "GET", "url": "/me"}] * 2}
    graph.call("POST", "/$batch", 400, json=duplicate)


def test_mailbox_concurrency_inside_batch(graph, ms):
    ms.faults.mailbox_concurrency(times=2, retry_after=3)
    parts = [
        {
            "id": str(n),
            "method": "POST",
            "url": "/me/events",
            "headers": {"Content-Type": "application/json"},
            "body": SIMPLE,
        }
        for n in range(5)
    ]
    answer = graph.call("POST", "/$batch", 200, json={"requests": parts}).json()
    throttled = [r for r in answer["responses"] if r["status"] == 429]
    assert len(throttled) == 2
    assert throttled[0]["headers"]["Retry-After"] == "3"
    assert throttled[0]["body"]["error"]["code"] == "ApplicationThrottled"
    assert "MailboxConcurrency" in throttled[0]["body"]["error"]["message"]
    assert len(ms.events(USER)) == 3


def test_throttle_plain_requests(graph, ms):
    ms.throttle(times=1, retry_after=7)
    response = graph.call("GET", "/me/events", 429)
    assert response.headers["Retry-After"] == "7"
    assert response.json()["error"]["code"] == "TooManyRequests"
    graph.get("/me/events")
    ms.faults.unavailable(retry_after=2)
    response = graph.call("GET", "/me/events", 503)
    assert response.json()["error"]["code"] == "ServiceNotAvailable"


def test_client_request_id_echo_and_request_log(graph, ms):
    response = graph.call("GET", "/me/events", 200, headers={"client-request-id": "abc"})
    assert response.headers["client-request-id"] == "abc"
    assert response.headers["request-id"]
    last = ms.requests.last
    assert last.path == "/v1.0/me/events" and last.status == 200


def test_seed_demo(ms):
    mailbox = ms.seed_demo()
    listed = ms.events(mailbox.email)
    assert len(listed) == 5
    kinds = {e["type"] for e in listed}
    assert kinds == {"seriesMaster", "singleInstance"}
    master = next(e for e in listed if e["type"] == "seriesMaster")
    types = [i["type"] for i in ms.instances(mailbox.email, master["id"])]
    assert types.count("exception") == 1 and len(types) == 20
    assert any(not e["isOrganizer"] for e in listed)
