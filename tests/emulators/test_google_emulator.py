"""The Google emulator, driven by Google's own clients (googleapiclient, google-auth)."""

from __future__ import annotations

import base64
import hashlib
import http.server
import json
import re
import secrets
import threading
import time
import warnings
from urllib.parse import parse_qs, urlsplit

import google.auth.exceptions
import google.auth.transport.requests
import pytest
import requests
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest

from emulators.google import VALIDATED_REVISION, GoogleEmulator

warnings.filterwarnings("ignore", category=FutureWarning, module="google")

USER = "alice@example.com"
CLIENT_ID = "test-client.apps.googleusercontent.com"
CLIENT_SECRET = "test-secret"
REDIRECT = "http://127.0.0.1:8069/google/callback"


def timed(start: str, end: str, tz: str | None = None) -> dict:
    body = {"start": {"dateTime": start}, "end": {"dateTime": end}}
    if tz:
        body["start"]["timeZone"] = body["end"]["timeZone"] = tz
    return body


SIMPLE = {"summary": "Meeting", **timed("2024-05-06T09:00:00Z", "2024-05-06T10:00:00Z")}
WEEKLY = {
    "summary": "Weekly",
    **timed("2024-05-06T09:00:00", "2024-05-06T10:00:00", "Europe/Brussels"),
    "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=4"],
}


@pytest.fixture
def google_emu():
    with GoogleEmulator(client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as emulator:
        emulator.set_now("2024-05-01T08:00:00Z")
        emulator.add_account(USER)
        yield emulator


@pytest.fixture
def creds(google_emu):
    access, refresh = google_emu.issue_tokens(USER)
    return Credentials(
        access,
        refresh_token=refresh,
        token_uri=google_emu.url + "/token",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
    )


@pytest.fixture
def service(google_emu, creds):
    return build(
        "calendar",
        "v3",
        credentials=creds,
        static_discovery=True,
        cache_discovery=False,
        client_options={"api_endpoint": google_emu.url + "/calendar/v3/"},
    )


@pytest.fixture
def http_session(google_emu):
    access, _ = google_emu.issue_tokens(USER)
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {access}"
    return session


def events_url(google_emu, suffix: str = "") -> str:
    return f"{google_emu.url}/calendar/v3/calendars/primary/events{suffix}"


def error_of(exc: HttpError) -> dict:
    return json.loads(exc.content)["error"]


def list_all(service, **params) -> tuple[list[dict], str]:
    items, token = [], None
    while True:
        page = service.events().list(calendarId="primary", pageToken=token, **params).execute()
        items += page["items"]
        token = page.get("nextPageToken")
        if not token:
            return items, page["nextSyncToken"]


# -- discovery -------------------------------------------------------------------------------


def test_discovery_revision_recorded(google_emu):
    assert google_emu.discovery_revision.isdigit()
    if google_emu.discovery_revision != VALIDATED_REVISION:
        warnings.warn(
            f"calendar.v3.json revision {google_emu.discovery_revision} differs from the "
            f"validated {VALIDATED_REVISION}: re-check the emulator and update README.md",
            stacklevel=1,
        )


# -- basic CRUD through googleapiclient ------------------------------------------------------


def test_insert_get_patch_delete(service, google_emu):
    created = service.events().insert(calendarId="primary", body=SIMPLE, sendUpdates="none")
    created = created.execute()
    assert re.fullmatch(r"[a-v0-9]{26}", created["id"])
    assert created["iCalUID"] == created["id"] + "@google.com"
    assert created["etag"].startswith('"') and created["etag"].endswith('"')
    assert created["status"] == "confirmed"
    assert created["organizer"] == {"email": USER, "self": True}
    assert created["reminders"] == {"useDefault": True}
    assert created["sequence"] == 0
    fetched = service.events().get(calendarId="primary", eventId=created["id"]).execute()
    assert fetched == created

    patched = (
        service.events()
        .patch(
            calendarId="primary",
            eventId=created["id"],
            body={"summary": "Renamed", "start": {"dateTime": "2024-05-06T09:30:00Z"}},
        )
        .execute()
    )
    assert patched["summary"] == "Renamed"
    assert patched["etag"] != created["etag"]
    assert patched["sequence"] == 1
    assert patched["end"] == created["end"]

    service.events().delete(calendarId="primary", eventId=created["id"]).execute()
    gone = service.events().get(calendarId="primary", eventId=created["id"]).execute()
    assert gone["status"] == "cancelled"
    with pytest.raises(HttpError) as info:
        service.events().delete(calendarId="primary", eventId=created["id"]).execute()
    assert info.value.resp.status == 410
    assert error_of(info.value)["errors"][0]["reason"] == "deleted"
    assert google_emu.requests.filter(method="POST")[0].query["sendUpdates"] == ["none"]


def test_list_and_update(service):
    first = service.events().insert(calendarId="primary", body=SIMPLE).execute()
    service.events().insert(calendarId="primary", body={**SIMPLE, "summary": "Other"}).execute()
    listed = service.events().list(calendarId="primary").execute()
    assert listed["kind"] == "calendar#events"
    assert {e["summary"] for e in listed["items"]} == {"Meeting", "Other"}
    assert "nextSyncToken" in listed and "nextPageToken" not in listed
    replaced = (
        service.events()
        .update(
            calendarId="primary",
            eventId=first["id"],
            body={**timed("2024-05-07T09:00:00Z", "2024-05-07T10:00:00Z"), "summary": "Only"},
        )
        .execute()
    )
    assert replaced["summary"] == "Only"
    assert replaced["id"] == first["id"]
    assert replaced["iCalUID"] == first["iCalUID"]


def test_client_chosen_id_and_duplicate(service):
    body = {**SIMPLE, "id": "odoo00042abc"}
    assert service.events().insert(calendarId="primary", body=body).execute()["id"] == body["id"]
    with pytest.raises(HttpError) as info:
        service.events().insert(calendarId="primary", body=body).execute()
    assert info.value.resp.status == 409
    assert error_of(info.value)["errors"][0]["reason"] == "duplicate"
    with pytest.raises(HttpError) as info:
        service.events().insert(calendarId="primary", body={**SIMPLE, "id": "Bad-Id!"}).execute()
    assert info.value.resp.status == 400


def test_validation_errors(service):
    def refused(body):
        with pytest.raises(HttpError) as info:
            service.events().insert(calendarId="primary", body=body).execute()
        assert info.value.resp.status == 400
        return error_of(info.value)

    assert refused({"summary": "no end", "start": SIMPLE["start"]})["message"] == (
        "Missing end time."
    )
    assert (
        refused({**SIMPLE, "end": {"dateTime": "2024-05-06T08:00:00Z"}})["errors"][0]["reason"]
        == "timeRangeEmpty"
    )
    recurring_without_zone = {**SIMPLE, "recurrence": ["RRULE:FREQ=DAILY"]}
    assert "time zone" in refused(recurring_without_zone)["message"]
    both = {
        **SIMPLE,
        "reminders": {"useDefault": True, "overrides": [{"method": "popup", "minutes": 5}]},
    }
    assert refused(both)["errors"][0]["reason"] == ("cannotUseDefaultRemindersAndSpecifyOverride")
    six = [{"method": "popup", "minutes": m} for m in range(6)]
    refused({**SIMPLE, "reminders": {"useDefault": False, "overrides": six}})
    refused(
        {
            **SIMPLE,
            "reminders": {
                "useDefault": False,
                "overrides": [{"method": "popup", "minutes": 40321}],
            },
        }
    )
    refused({**SIMPLE, "start": {"dateTime": "2024-05-06T09:00:00"}})  # no offset, no zone
    refused({**SIMPLE, "attendees": [{"displayName": "nobody"}]})


def test_event_fields_round_trip(service):
    body = {
        **SIMPLE,
        "description": "d",
        "location": "l",
        "transparency": "transparent",
        "visibility": "private",
        "attendees": [
            {"email": USER, "responseStatus": "accepted"},
            {"email": "bob@example.org", "displayName": "Bob"},
        ],
        "reminders": {"useDefault": False, "overrides": [{"method": "email", "minutes": 30}]},
        "extendedProperties": {"private": {"odoo_id": "42"}, "shared": {"x": "y"}},
    }
    created = service.events().insert(calendarId="primary", body=body).execute()
    assert created["attendees"][0] == {
        "email": USER,
        "responseStatus": "accepted",
        "self": True,
        "organizer": True,
    }
    assert created["attendees"][1]["responseStatus"] == "needsAction"
    for key in ("transparency", "visibility", "reminders", "extendedProperties"):
        assert created[key] == body[key]
    all_day = (
        service.events()
        .insert(
            calendarId="primary",
            body={
                "summary": "Holiday",
                "start": {"date": "2024-05-10"},
                "end": {"date": "2024-05-11"},
            },
        )
        .execute()
    )
    assert all_day["start"] == {"date": "2024-05-10"}
    found = (
        service.events()
        .list(calendarId="primary", privateExtendedProperty="odoo_id=42")
        .execute()["items"]
    )
    assert [e["id"] for e in found] == [created["id"]]


def test_reminder_change_keeps_updated(service):
    created = service.events().insert(calendarId="primary", body=SIMPLE).execute()
    patched = (
        service.events()
        .patch(
            calendarId="primary",
            eventId=created["id"],
            body={
                "reminders": {"useDefault": False, "overrides": [{"method": "popup", "minutes": 1}]}
            },
        )
        .execute()
    )
    assert patched["etag"] != created["etag"]
    assert patched["updated"] == created["updated"]


def test_conference_data_needs_version(service):
    body = {**SIMPLE, "conferenceData": {"createRequest": {"requestId": "r1"}}}
    plain = service.events().insert(calendarId="primary", body=body).execute()
    assert "conferenceData" not in plain
    meet = (
        service.events().insert(calendarId="primary", body=body, conferenceDataVersion=1).execute()
    )
    assert meet["hangoutLink"].startswith("https://meet.google.com/")
    assert meet["conferenceData"]["conferenceSolution"]["key"]["type"] == "hangoutsMeet"


# -- sync tokens and paging ------------------------------------------------------------------


def test_incremental_sync(service, google_emu):
    kept = service.events().insert(calendarId="primary", body=SIMPLE).execute()
    doomed = service.events().insert(calendarId="primary", body=SIMPLE).execute()
    items, sync_token = list_all(service)
    assert len(items) == 2

    service.events().patch(
        calendarId="primary", eventId=kept["id"], body={"summary": "changed"}
    ).execute()
    service.events().delete(calendarId="primary", eventId=doomed["id"]).execute()
    google_emu.insert_event(USER, {**SIMPLE, "summary": "from the web UI"})

    changes = service.events().list(calendarId="primary", syncToken=sync_token).execute()
    by_id = {item["id"]: item for item in changes["items"]}
    assert len(by_id) == 3
    assert by_id[kept["id"]]["summary"] == "changed"
    assert by_id[doomed["id"]]["status"] == "cancelled"
    assert set(by_id[doomed["id"]]) <= {"kind", "etag", "id", "status"}
    assert "nextSyncToken" in changes

    nothing = service.events().list(calendarId="primary", syncToken=changes["nextSyncToken"])
    assert nothing.execute()["items"] == []
    # deleted events are hidden from a plain full listing, visible with showDeleted
    assert len(service.events().list(calendarId="primary").execute()["items"]) == 2
    shown = service.events().list(calendarId="primary", showDeleted=True).execute()["items"]
    assert len(shown) == 3


def test_paging_full_and_incremental(service, google_emu):
    for index in range(7):
        google_emu.insert_event(USER, {**SIMPLE, "summary": f"e{index}"})
    pages = []
    token = None
    while True:
        page = service.events().list(calendarId="primary", maxResults=3, pageToken=token).execute()
        assert not ("nextPageToken" in page and "nextSyncToken" in page)
        pages.append(page)
        token = page.get("nextPageToken")
        if not token:
            break
    assert [len(p["items"]) for p in pages] == [3, 3, 1]
    assert all("nextSyncToken" not in p for p in pages[:-1])
    sync_token = pages[-1]["nextSyncToken"]
    assert len({i["id"] for p in pages for i in p["items"]}) == 7

    for event in google_emu.events(USER)[:5]:
        google_emu.patch_event(USER, event["id"], {"summary": "changed"})
    first = (
        service.events().list(calendarId="primary", syncToken=sync_token, maxResults=2).execute()
    )
    assert "nextSyncToken" not in first
    changed = list(first["items"])
    token = first["nextPageToken"]
    while token:
        page = (
            service.events()
            .list(calendarId="primary", syncToken=sync_token, pageToken=token, maxResults=2)
            .execute()
        )
        changed += page["items"]
        token = page.get("nextPageToken")
    assert len(changed) == 5
    assert {i["summary"] for i in changed} == {"changed"}
    paged = [r for r in google_emu.requests.filter(method="GET") if "pageToken" in r.query]
    assert all(r.query["syncToken"] == [sync_token] for r in paged[-2:])


def test_changes_during_paging_are_not_lost(service, google_emu):
    ids = [google_emu.insert_event(USER, {**SIMPLE, "summary": str(i)})["id"] for i in range(4)]
    first = service.events().list(calendarId="primary", maxResults=2).execute()
    google_emu.patch_event(USER, ids[3], {"summary": "late change"})  # not yet listed
    google_emu.patch_event(USER, ids[0], {"summary": "early change"})  # already listed
    rest = (
        service.events()
        .list(calendarId="primary", maxResults=2, pageToken=first["nextPageToken"])
        .execute()
    )
    seen = [i["id"] for i in first["items"] + rest["items"]]
    changes = service.events().list(calendarId="primary", syncToken=rest["nextSyncToken"])
    changed = {i["id"]: i["summary"] for i in changes.execute()["items"]}
    assert set(seen) | set(changed) == set(ids)
    assert changed == {ids[3]: "late change", ids[0]: "early change"}


def test_page_token_tied_to_query(service, google_emu):
    for _ in range(3):
        google_emu.insert_event(USER, SIMPLE)
    page = service.events().list(calendarId="primary", maxResults=1).execute()
    with pytest.raises(HttpError) as info:
        service.events().list(
            calendarId="primary", maxResults=1, pageToken=page["nextPageToken"], q="other"
        ).execute()
    assert info.value.resp.status == 400


def test_sync_token_expiry_410(service, google_emu):
    service.events().insert(calendarId="primary", body=SIMPLE).execute()
    _, sync_token = list_all(service)
    google_emu.expire_sync_tokens()
    with pytest.raises(HttpError) as info:
        service.events().list(calendarId="primary", syncToken=sync_token).execute()
    assert info.value.resp.status == 410
    assert json.loads(info.value.content)["error"] == {
        "errors": [
            {
                "domain": "global",
                "reason": "fullSyncRequired",
                "message": "Sync token is no longer valid, a full sync is required.",
            }
        ],
        "code": 410,
        "message": "Sync token is no longer valid, a full sync is required.",
        "status": "FAILED_PRECONDITION",
    }
    _, fresh = list_all(service)
    assert service.events().list(calendarId="primary", syncToken=fresh).execute()["items"] == []


def test_sync_token_ttl(service, google_emu):
    google_emu.token_ttl = 3600
    _, sync_token = list_all(service)
    google_emu.advance(3000)
    service.events().list(calendarId="primary", syncToken=sync_token).execute()
    google_emu.advance(1000)
    google_emu.expire_access_tokens()  # also proves google-auth refreshes transparently
    with pytest.raises(HttpError) as info:
        service.events().list(calendarId="primary", syncToken=sync_token).execute()
    assert info.value.resp.status == 410


def test_garbage_sync_token_is_400(service):
    with pytest.raises(HttpError) as info:
        service.events().list(calendarId="primary", syncToken="garbage!").execute()
    assert info.value.resp.status == 400


@pytest.mark.parametrize(
    "extra",
    [
        {"timeMin": "2024-01-01T00:00:00Z"},
        {"timeMax": "2024-01-01T00:00:00Z"},
        {"updatedMin": "2024-01-01T00:00:00Z"},
        {"q": "x"},
        {"orderBy": "updated"},
        {"iCalUID": "x@google.com"},
        {"privateExtendedProperty": "a=b"},
        {"sharedExtendedProperty": "a=b"},
        {"showDeleted": False},
    ],
)
def test_forbidden_combinations_with_sync_token(service, extra):
    _, sync_token = list_all(service)
    with pytest.raises(HttpError) as info:
        service.events().list(calendarId="primary", syncToken=sync_token, **extra).execute()
    assert info.value.resp.status == 400
    assert error_of(info.value)["errors"][0]["reason"] == "invalid"


def test_sync_token_with_show_deleted_true_is_fine(service):
    _, sync_token = list_all(service)
    service.events().list(calendarId="primary", syncToken=sync_token, showDeleted=True).execute()


def test_order_by_start_time_needs_single_events(service):
    with pytest.raises(HttpError) as info:
        service.events().list(calendarId="primary", orderBy="startTime").execute()
    assert info.value.resp.status == 400


def test_unknown_and_bad_parameters(google_emu, http_session):
    unknown = http_session.get(events_url(google_emu), params={"bogus": "1"})
    assert unknown.status_code == 400
    error = unknown.json()["error"]
    assert error["code"] == 400
    assert error["message"].startswith("Invalid parameter")
    assert error["errors"][0]["reason"] == "invalidParameter"
    for params in (
        {"maxResults": "0"},
        {"maxResults": "x"},
        {"singleEvents": "yes"},
        {"orderBy": "title"},
        {"timeMin": "2024-01-01"},
        {"sendUpdates": "x"},
    ):
        answer = http_session.get(events_url(google_emu), params=params)
        assert answer.status_code == 400, params
    assert http_session.get(events_url(google_emu), params={"maxResults": 99999}).ok


def test_unknown_path_and_method(google_emu, http_session):
    missing = http_session.get(google_emu.url + "/calendar/v3/nothing/here")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == 404
    wrong = http_session.post(events_url(google_emu, "/abcde12345"), json={})
    assert wrong.status_code == 404
    other_calendar = http_session.get(
        google_emu.url + "/calendar/v3/calendars/someone%40else.com/events"
    )
    assert other_calendar.status_code == 404


def test_required_query_parameter(google_emu, http_session):
    quick = http_session.post(events_url(google_emu, "/quickAdd"))
    assert quick.status_code == 400
    assert quick.json()["error"]["errors"][0]["reason"] == "required"


def test_auth_required_and_access_token_in_query_is_logged(google_emu):
    anonymous = requests.get(events_url(google_emu))
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["errors"][0]["reason"] == "authError"
    assert "WWW-Authenticate" in anonymous.headers
    access, _ = google_emu.issue_tokens(USER)
    in_query = requests.get(events_url(google_emu), params={"access_token": access})
    assert in_query.status_code == 200
    assert google_emu.requests.last.query["access_token"] == [access]
    offenders = [r for r in google_emu.requests if "access_token" in r.query]
    assert len(offenders) == 1


def test_scopes_checked(google_emu):
    access, _ = google_emu.issue_tokens(
        USER, scopes=["https://www.googleapis.com/auth/calendar.readonly"]
    )
    headers = {"Authorization": f"Bearer {access}"}
    assert requests.get(events_url(google_emu), headers=headers).status_code == 200
    write = requests.post(events_url(google_emu), headers=headers, json=SIMPLE)
    assert write.status_code == 403
    assert write.json()["error"]["errors"][0]["reason"] == "insufficientPermissions"


# -- conditional requests, organizer, quota --------------------------------------------------


def test_if_match_412(service, google_emu):
    created = service.events().insert(calendarId="primary", body=SIMPLE).execute()
    google_emu.patch_event(USER, created["id"], {"summary": "changed remotely"})
    request = service.events().patch(
        calendarId="primary", eventId=created["id"], body={"summary": "mine"}
    )
    request.headers["If-Match"] = created["etag"]
    with pytest.raises(HttpError) as info:
        request.execute()
    assert info.value.resp.status == 412
    assert error_of(info.value)["errors"][0]["reason"] == "conditionNotMet"
    current = service.events().get(calendarId="primary", eventId=created["id"]).execute()
    request = service.events().delete(calendarId="primary", eventId=created["id"])
    request.headers["If-Match"] = current["etag"]
    request.execute()


def test_if_none_match_304(google_emu, http_session):
    created = google_emu.insert_event(USER, SIMPLE)
    answer = http_session.get(
        events_url(google_emu, "/" + created["id"]), headers={"If-None-Match": created["etag"]}
    )
    assert answer.status_code == 304
    assert answer.content == b""


def test_non_organizer_forbidden(service, google_emu):
    invitation = google_emu.insert_event(
        USER,
        {**SIMPLE, "attendees": [{"email": "boss@other.org"}, {"email": USER}]},
        organizer="boss@other.org",
    )
    assert invitation["organizer"] == {"email": "boss@other.org", "self": False}
    for request in (
        service.events().patch(
            calendarId="primary", eventId=invitation["id"], body={"summary": "hijack"}
        ),
        service.events().delete(calendarId="primary", eventId=invitation["id"]),
    ):
        with pytest.raises(HttpError) as info:
            request.execute()
        assert info.value.resp.status == 403
        assert error_of(info.value)["errors"][0]["reason"] == "forbiddenForNonOrganizer"
    attendees = invitation["attendees"]
    attendees[1]["responseStatus"] = "accepted"
    answered = (
        service.events()
        .patch(calendarId="primary", eventId=invitation["id"], body={"attendees": attendees})
        .execute()
    )
    assert answered["attendees"][1]["responseStatus"] == "accepted"


@pytest.mark.parametrize(
    ("reason", "status"),
    [("rateLimitExceeded", 403), ("userRateLimitExceeded", 403), ("rateLimitExceeded", 429)],
)
def test_rate_limit_faults(service, google_emu, reason, status):
    google_emu.faults.rate_limit(times=2, reason=reason, status=status, retry_after=3)
    for _ in range(2):
        with pytest.raises(HttpError) as info:
            service.events().list(calendarId="primary").execute()
        assert info.value.resp.status == status
        assert info.value.resp["retry-after"] == "3"
        error = error_of(info.value)
        assert error["errors"][0]["reason"] == reason
        assert error["errors"][0]["domain"] == "usageLimits"
    assert service.events().list(calendarId="primary").execute()["items"] == []


def test_googleapiclient_retries_rate_limits(service, google_emu, monkeypatch):
    monkeypatch.setattr("googleapiclient.http.time.sleep", lambda seconds: None)
    google_emu.rate_limit(times=1, reason="userRateLimitExceeded")
    service.events().list(calendarId="primary").execute(num_retries=2)
    assert google_emu.requests.count(method="GET") == 2


def test_generic_fault_uses_google_format(service, google_emu):
    google_emu.faults.add(status=503)
    with pytest.raises(HttpError) as info:
        service.events().list(calendarId="primary").execute()
    assert error_of(info.value)["code"] == 503


# -- recurrence ------------------------------------------------------------------------------


def test_recurring_instances(service, google_emu):
    master = service.events().insert(calendarId="primary", body=WEEKLY).execute()
    assert master["recurrence"] == WEEKLY["recurrence"]
    assert master["start"] == {
        "dateTime": "2024-05-06T09:00:00+02:00",
        "timeZone": "Europe/Brussels",
    }
    instances = service.events().instances(calendarId="primary", eventId=master["id"]).execute()
    ids = [i["id"] for i in instances["items"]]
    assert ids == [
        f"{master['id']}_20240506T070000Z",
        f"{master['id']}_20240513T070000Z",
        f"{master['id']}_20240520T070000Z",
        f"{master['id']}_20240527T070000Z",
    ]
    second = instances["items"][1]
    assert second["recurringEventId"] == master["id"]
    assert second["originalStartTime"] == {
        "dateTime": "2024-05-13T09:00:00+02:00",
        "timeZone": "Europe/Brussels",
    }
    assert "recurrence" not in second
    assert second["iCalUID"] == master["iCalUID"]

    expanded = (
        service.events()
        .list(calendarId="primary", singleEvents=True, orderBy="startTime")
        .execute()["items"]
    )
    assert [e["id"] for e in expanded] == ids


def test_all_day_recurring_instance_ids(service):
    body = {
        "summary": "Daily",
        "start": {"date": "2024-05-06"},
        "end": {"date": "2024-05-07"},
        "recurrence": ["RRULE:FREQ=DAILY;COUNT=2"],
    }
    master = service.events().insert(calendarId="primary", body=body).execute()
    items = service.events().instances(calendarId="primary", eventId=master["id"]).execute()
    assert [i["id"] for i in items["items"]] == [
        f"{master['id']}_20240506",
        f"{master['id']}_20240507",
    ]


def test_instance_exceptions_and_sync(service, google_emu):
    master = service.events().insert(calendarId="primary", body=WEEKLY).execute()
    _, sync_token = list_all(service)
    second, third = f"{master['id']}_20240513T070000Z", f"{master['id']}_20240520T070000Z"
    moved = (
        service.events()
        .patch(
            calendarId="primary",
            eventId=second,
            body={
                "start": {"dateTime": "2024-05-13T11:00:00+02:00"},
                "end": {"dateTime": "2024-05-13T12:00:00+02:00"},
            },
        )
        .execute()
    )
    assert moved["id"] == second
    assert moved["originalStartTime"]["dateTime"] == "2024-05-13T09:00:00+02:00"
    service.events().delete(calendarId="primary", eventId=third).execute()

    changes = service.events().list(calendarId="primary", syncToken=sync_token).execute()
    by_id = {i["id"]: i for i in changes["items"]}
    assert set(by_id) == {second, third}
    assert by_id[third]["status"] == "cancelled"
    assert by_id[third]["recurringEventId"] == master["id"]
    assert "originalStartTime" in by_id[third]

    single = service.events().list(calendarId="primary", singleEvents=True).execute()["items"]
    assert len(single) == 3
    assert {i["id"]: i["start"]["dateTime"] for i in single}[second] == (
        "2024-05-13T11:00:00+02:00"
    )
    # without singleEvents: master + moved exception + cancelled exception (documented)
    plain = service.events().list(calendarId="primary").execute()["items"]
    assert {i["id"] for i in plain} == {master["id"], second, third}
    left = service.events().instances(calendarId="primary", eventId=master["id"]).execute()
    assert len(left["items"]) == 3


def test_dst_and_exdate(service):
    body = {
        "summary": "Across DST",
        **timed("2024-03-25T09:00:00", "2024-03-25T10:00:00", "Europe/Brussels"),
        "recurrence": [
            "RRULE:FREQ=WEEKLY;UNTIL=20240415T070000Z",
            "EXDATE;TZID=Europe/Brussels:20240408T090000",
        ],
    }
    master = service.events().insert(calendarId="primary", body=body).execute()
    items = service.events().instances(calendarId="primary", eventId=master["id"]).execute()
    assert [i["id"].split("_")[1] for i in items["items"]] == [
        "20240325T080000Z",  # CET (UTC+1)
        "20240401T070000Z",  # CEST (UTC+2): same wall-clock hour
        "20240415T070000Z",
    ]


def test_time_window_filters(service, google_emu):
    google_emu.insert_event(USER, {**SIMPLE, "summary": "early"})
    google_emu.insert_event(
        USER, {"summary": "late", **timed("2024-06-01T09:00:00Z", "2024-06-01T10:00:00Z")}
    )
    window = (
        service.events()
        .list(calendarId="primary", timeMin="2024-05-20T00:00:00Z", timeMax="2024-07-01T00:00:00Z")
        .execute()
    )
    assert [i["summary"] for i in window["items"]] == ["late"]
    found = service.events().list(calendarId="primary", q="LATE").execute()["items"]
    assert [i["summary"] for i in found] == ["late"]


# -- batch -----------------------------------------------------------------------------------


def test_batch_with_googleapiclient(service, google_emu):
    existing = service.events().insert(calendarId="primary", body=SIMPLE).execute()
    results = {}

    def collect(request_id, response, exception):
        results[request_id] = (response, exception)

    batch = BatchHttpRequest(callback=collect, batch_uri=google_emu.url + "/batch/calendar/v3")
    batch.add(service.events().insert(calendarId="primary", body={**SIMPLE, "summary": "b1"}))
    batch.add(
        service.events().patch(calendarId="primary", eventId=existing["id"], body={"summary": "b2"})
    )
    batch.add(service.events().get(calendarId="primary", eventId="doesnotexist0"))
    batch.add(service.events().delete(calendarId="primary", eventId=existing["id"]))
    batch.execute()

    assert results["1"][0]["summary"] == "b1"
    assert results["2"][0]["summary"] == "b2"
    assert isinstance(results["3"][1], HttpError) and results["3"][1].resp.status == 404
    assert results["4"] == ("", None) or results["4"][1] is None
    parts = google_emu.requests.filter(in_batch=True)
    assert [p.method for p in parts] == ["POST", "PATCH", "GET", "DELETE"]
    assert google_emu.requests.count(path_regex="^/batch/", in_batch=False) == 1


def test_batch_parts_get_faults_individually(service, google_emu):
    google_emu.faults.rate_limit(times=1, nth=2, method="POST")
    results = []
    batch = BatchHttpRequest(
        callback=lambda rid, resp, exc: results.append((rid, exc)),
        batch_uri=google_emu.url + "/batch/calendar/v3",
    )
    for index in range(3):
        batch.add(
            service.events().insert(calendarId="primary", body={**SIMPLE, "summary": str(index)})
        )
    batch.execute()
    statuses = [exc.resp.status if exc else 200 for _, exc in sorted(results)]
    assert statuses == [200, 403, 200]
    assert len(google_emu.events(USER)) == 2


def test_latency_is_paid_once_per_http_request_not_per_batch_part(service, google_emu):
    google_emu.faults.add(latency=0.2, times=None)  # 200 ms of network on every request
    batch = BatchHttpRequest(batch_uri=google_emu.url + "/batch/calendar/v3")
    for index in range(20):
        batch.add(
            service.events().insert(calendarId="primary", body={**SIMPLE, "summary": str(index)})
        )
    started = time.monotonic()
    batch.execute()
    elapsed = time.monotonic() - started
    assert 0.2 <= elapsed < 1.0  # one request's delay, not 20 x 200 ms
    assert len(google_emu.events(USER)) == 20


def test_batch_raw_format(google_emu):
    access, _ = google_emu.issue_tokens(USER)
    boundary = "b0undary"
    parts = []
    for index in range(2):
        body = json.dumps({**SIMPLE, "summary": f"raw{index}"})
        parts.append(
            f"--{boundary}\r\nContent-Type: application/http\r\nContent-ID: <item{index}>\r\n\r\n"
            f"POST /calendar/v3/calendars/primary/events?sendUpdates=none HTTP/1.1\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n{body}\r\n"
        )
    payload = "".join(parts) + f"--{boundary}--\r\n"
    answer = requests.post(
        google_emu.url + "/batch/calendar/v3",
        data=payload.encode(),
        headers={
            "Content-Type": f"multipart/mixed; boundary={boundary}",
            "Authorization": f"Bearer {access}",  # outer auth applies to the parts
        },
    )
    assert answer.status_code == 200
    content_type = answer.headers["Content-Type"]
    assert content_type.startswith("multipart/mixed; boundary=")
    assert re.findall(r"Content-ID: (<[^>]+>)", answer.text) == [
        "<response-item0>",
        "<response-item1>",
    ]
    assert answer.text.count("HTTP/1.1 200 OK") == 2
    assert [r.query["sendUpdates"] for r in google_emu.requests.filter(in_batch=True)] == [
        ["none"],
        ["none"],
    ]


def test_batch_limits(google_emu, http_session):
    not_multipart = http_session.post(google_emu.url + "/batch/calendar/v3", json={})
    assert not_multipart.status_code == 400
    boundary = "x"
    part = (
        f"--{boundary}\r\nContent-Type: application/http\r\n\r\n"
        "GET /calendar/v3/calendars/primary/events HTTP/1.1\r\n\r\n"
    )
    too_many = http_session.post(
        google_emu.url + "/batch/calendar/v3",
        data=(part * 1001 + f"--{boundary}--").encode(),
        headers={"Content-Type": f"multipart/mixed; boundary={boundary}"},
    )
    assert too_many.status_code == 400


# -- OAuth -----------------------------------------------------------------------------------


def test_refresh_and_invalid_grant_with_google_auth(google_emu, creds):
    request = google.auth.transport.requests.Request()
    old = creds.token
    creds.refresh(request)
    assert creds.token != old
    assert creds.valid
    assert google_emu.valid_access_token(creds.token).email == USER
    google_emu.revoke(creds.refresh_token)
    with pytest.raises(google.auth.exceptions.RefreshError) as info:
        creds.refresh(request)
    assert "invalid_grant" in str(info.value)
    assert google_emu.valid_access_token(creds.token) is None  # revoked with its grant


def _refresh_with(google_emu, client_id: str, secret: str, refresh_token: str):
    return requests.post(
        google_emu.url + "/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": client_id,
            "client_secret": secret,
        },
    )


@pytest.mark.parametrize(
    ("client_id", "secret", "answer"),
    [
        # The client is authenticated before the token is looked at (RFC 6749 sections 5.2, 6).
        ("unknown.apps.googleusercontent.com", CLIENT_SECRET,
         (401, "invalid_client", "The OAuth client was not found.")),
        (CLIENT_ID, "wrong", (401, "invalid_client", "Unauthorized")),
        # Then a refresh token Google never issued.
        (CLIENT_ID, CLIENT_SECRET, (400, "invalid_grant", "Bad Request")),
    ],
)  # fmt: skip
def test_refresh_with_a_made_up_token_answers_as_google(google_emu, client_id, secret, answer):
    response = _refresh_with(google_emu, client_id, secret, "odoo-connection-test")
    body = response.json()
    assert (response.status_code, body["error"], body["error_description"]) == answer


def test_refresh_with_a_revoked_token_says_so(google_emu, creds):
    google_emu.revoke(creds.refresh_token)
    response = _refresh_with(google_emu, CLIENT_ID, CLIENT_SECRET, creds.refresh_token)
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "Token has been expired or revoked.",
    }


def test_refresh_token_rotation(google_emu, creds):
    google_emu.rotate_refresh_tokens = True
    old_refresh = creds.refresh_token
    creds.refresh(google.auth.transport.requests.Request())
    assert creds.refresh_token != old_refresh
    answer = _refresh_with(google_emu, CLIENT_ID, CLIENT_SECRET, old_refresh)
    assert answer.status_code == 400
    assert answer.json()["error_description"] == "Token has been expired or revoked."


def test_expired_access_token_401_then_refresh(service, google_emu, creds):
    google_emu.expire_access_tokens()
    raw = requests.get(events_url(google_emu), headers={"Authorization": f"Bearer {creds.token}"})
    assert raw.status_code == 401
    service.events().list(calendarId="primary").execute()  # google-auth refreshes on 401
    assert google_emu.requests.count(path_regex="^/token$") == 1


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _auth_params(challenge: str, **extra) -> dict:
    return {
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": "https://www.googleapis.com/auth/calendar",
        "state": "xyz",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "access_type": "offline",
        "prompt": "consent",
        **extra,
    }


def _exchange(google_emu, code: str, verifier: str, **extra) -> requests.Response:
    return requests.post(
        google_emu.url + "/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "code_verifier": verifier,
            **extra,
        },
    )


def test_authorization_code_flow_with_consent_page(google_emu):
    verifier, challenge = _pkce()
    page = requests.get(google_emu.url + "/o/oauth2/v2/auth", params=_auth_params(challenge))
    assert page.status_code == 200
    assert 'id="allow"' in page.text
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text))
    fields = {k: v.replace("&amp;", "&") for k, v in fields.items()}
    answer = requests.post(
        google_emu.url + "/o/oauth2/v2/auth",
        data={**fields, "login": USER, "decision": "allow"},
        allow_redirects=False,
    )
    assert answer.status_code == 302
    location = urlsplit(answer.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    query = parse_qs(location.query)
    assert query["state"] == ["xyz"]

    wrong = _exchange(google_emu, query["code"][0], "not-the-verifier-" + "x" * 40)
    assert (wrong.status_code, wrong.json()["error"]) == (400, "invalid_grant")
    tokens = _exchange(google_emu, query["code"][0], verifier)
    # a failed verifier does not burn the code in this emulator; Google's behaviour may differ
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] > 3000
    assert body["refresh_token"]
    assert body["scope"] == "https://www.googleapis.com/auth/calendar"
    again = _exchange(google_emu, query["code"][0], verifier)
    assert (again.status_code, again.json()["error"]) == (400, "invalid_grant")


def test_auto_approve_and_errors(google_emu):
    google_emu.auto_approve = True
    verifier, challenge = _pkce()
    answer = requests.get(
        google_emu.url + "/o/oauth2/v2/auth",
        params=_auth_params(challenge, login_hint=USER),
        allow_redirects=False,
    )
    assert answer.status_code == 302
    code = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
    mismatch = _exchange(google_emu, code, verifier, redirect_uri="http://127.0.0.1/other")
    assert mismatch.json()["error"] == "redirect_uri_mismatch"
    assert _exchange(google_emu, code, verifier).status_code == 200

    bad_client = requests.get(
        google_emu.url + "/o/oauth2/v2/auth",
        params=_auth_params(challenge, client_id="nope"),
        allow_redirects=False,
    )
    assert bad_client.status_code == 401
    no_scope = requests.get(
        google_emu.url + "/o/oauth2/v2/auth",
        params=_auth_params(challenge, scope=""),
        allow_redirects=False,
    )
    assert parse_qs(urlsplit(no_scope.headers["Location"]).query)["error"] == ["invalid_request"]
    secret = requests.post(
        google_emu.url + "/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": "x",
            "client_id": CLIENT_ID,
            "client_secret": "wrong",
        },
    )
    assert (secret.status_code, secret.json()["error"]) == (401, "invalid_client")


def test_no_refresh_token_without_offline_or_on_second_consent(google_emu):
    google_emu.auto_approve = True

    def authorize(**extra):
        verifier, challenge = _pkce()
        answer = requests.get(
            google_emu.url + "/o/oauth2/v2/auth",
            params=_auth_params(challenge, **extra),
            allow_redirects=False,
        )
        code = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
        return _exchange(google_emu, code, verifier).json()

    assert "refresh_token" not in authorize(access_type="online")
    assert "refresh_token" in authorize(prompt="consent")
    assert "refresh_token" not in authorize(prompt="")
    assert "refresh_token" in authorize(prompt="consent")


# -- push notifications ----------------------------------------------------------------------


def test_watch_notifications_and_stop(service, google_emu):
    received = []

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - stdlib naming
            received.append(dict(self.headers))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    hook = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=hook.serve_forever, args=(0.05,), daemon=True).start()
    try:
        address = f"http://127.0.0.1:{hook.server_address[1]}/hook"
        channel = (
            service.events()
            .watch(
                calendarId="primary",
                body={"id": "chan-1", "type": "web_hook", "address": address, "token": "secret"},
            )
            .execute()
        )
        assert channel["kind"] == "api#channel"
        assert channel["resourceId"]
        google_emu.insert_event(USER, SIMPLE)
        _wait_for(lambda: len(received) >= 2)
        states = sorted(h["X-Goog-Resource-State"] for h in received)
        assert states == ["exists", "sync"]
        assert all(h["X-Goog-Channel-Token"] == "secret" for h in received)
        service.channels().stop(
            body={"id": "chan-1", "resourceId": channel["resourceId"]}
        ).execute()
        assert google_emu.channels == {}
        with pytest.raises(HttpError) as info:
            service.channels().stop(
                body={"id": "chan-1", "resourceId": channel["resourceId"]}
            ).execute()
        assert info.value.resp.status == 404
    finally:
        hook.shutdown()
        hook.server_close()


def _wait_for(condition, timeout: float = 5.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_watch_requires_https_for_remote_addresses(service):
    with pytest.raises(HttpError) as info:
        service.events().watch(
            calendarId="primary",
            body={"id": "c2", "type": "web_hook", "address": "http://example.com/hook"},
        ).execute()
    assert info.value.resp.status == 400


# -- calendars, outbox, demo -----------------------------------------------------------------


def test_calendar_and_calendar_list(service):
    calendar = service.calendars().get(calendarId="primary").execute()
    assert calendar["id"] == USER
    entry = service.calendarList().get(calendarId="primary").execute()
    assert entry["primary"] is True and entry["accessRole"] == "owner"
    assert service.settings().get(setting="timezone").execute()["value"] == "UTC"


def test_outbox_records_invitations(service, google_emu):
    body = {**SIMPLE, "attendees": [{"email": "guest@example.org"}]}
    service.events().insert(calendarId="primary", body=body, sendUpdates="none").execute()
    assert google_emu.outbox == []
    service.events().insert(calendarId="primary", body=body, sendUpdates="all").execute()
    assert [m["to"] for m in google_emu.outbox] == [["guest@example.org"]]


def test_seed_demo(google_emu):
    google_emu.seed_demo()
    events = google_emu.events("demo@example.com")
    assert len(events) == 5
    weekly = [e for e in events if e.get("recurrence")]
    assert len(weekly) == 1
    assert len(google_emu.instances("demo@example.com", weekly[0]["id"])) == 20


def test_reset_keeps_client(google_emu):
    google_emu.reset()
    assert google_emu.accounts == {}
    access, _ = google_emu.issue_tokens(USER)
    headers = {"Authorization": f"Bearer {access}"}
    assert requests.get(events_url(google_emu), headers=headers).status_code == 200


# -- system parameters and less common filters -----------------------------------------------


def test_partial_response_fields(service, google_emu):
    google_emu.insert_event(USER, {**SIMPLE, "attendees": [{"email": "x@example.org"}]})
    listed = (
        service.events()
        .list(calendarId="primary", fields="items(id,etag,attendees/email),nextSyncToken")
        .execute()
    )
    assert set(listed) == {"items", "nextSyncToken"}
    assert set(listed["items"][0]) == {"id", "etag", "attendees"}
    assert listed["items"][0]["attendees"] == [{"email": "x@example.org"}]
    with pytest.raises(HttpError) as info:
        service.events().list(calendarId="primary", fields="items(id").execute()
    assert info.value.resp.status == 400


def test_method_override_for_long_queries(google_emu, http_session):
    google_emu.insert_event(USER, SIMPLE)
    answer = http_session.post(
        events_url(google_emu),
        data={"maxResults": "5", "q": "Meeting"},
        headers={"X-HTTP-Method-Override": "GET"},
    )
    assert answer.status_code == 200
    assert len(answer.json()["items"]) == 1


def test_updated_min_ical_uid_time_zone_max_attendees(service, google_emu):
    first = google_emu.insert_event(USER, SIMPLE)
    google_emu.advance(3600)
    second = google_emu.insert_event(
        USER, {**SIMPLE, "attendees": [{"email": f"p{i}@example.org"} for i in range(3)]}
    )
    google_emu.delete_event(USER, first["id"])
    recent = service.events().list(calendarId="primary", updatedMin="2024-05-01T08:30:00Z")
    assert {i["id"] for i in recent.execute()["items"]} == {first["id"], second["id"]}
    by_uid = service.events().list(calendarId="primary", iCalUID=second["iCalUID"]).execute()
    assert [i["id"] for i in by_uid["items"]] == [second["id"]]
    shown = (
        service.events()
        .get(
            calendarId="primary", eventId=second["id"], timeZone="America/New_York", maxAttendees=1
        )
        .execute()
    )
    assert shown["start"]["dateTime"] == "2024-05-06T05:00:00-04:00"
    assert len(shown["attendees"]) == 1 and shown["attendeesOmitted"] is True


def test_google_control_endpoints(google_emu):
    base = google_emu.url + "/_emulator/google"
    assert requests.post(base + "/accounts", json={"email": "bob@example.com"}).status_code == 201
    tokens = requests.post(base + "/tokens", json={"email": "bob@example.com"}).json()
    assert google_emu.valid_access_token(tokens["access_token"]).email == "bob@example.com"
    settings = requests.post(base + "/settings", json={"auto_approve": True}).json()
    assert settings["auto_approve"] is True and google_emu.auto_approve is True
    assert requests.post(base + "/settings", json={"nope": 1}).status_code == 400
    assert requests.post(base + "/seed-demo", json={}).status_code == 201
    events = requests.get(base + "/events/demo@example.com").json()
    assert len(events) == 5
    assert requests.post(base + "/expire-sync-tokens").status_code == 204


def test_dynamic_discovery_from_the_emulator(google_emu, creds):
    service = build(
        "calendar",
        "v3",
        credentials=creds,
        static_discovery=False,
        cache_discovery=False,
        discoveryServiceUrl=google_emu.url + "/discovery/v1/apis/{api}/{apiVersion}/rest",
    )
    batch = service.new_batch_http_request()  # root URL taken from the served document
    batch.add(service.events().insert(calendarId="primary", body=SIMPLE))
    batch.execute()
    assert len(service.events().list(calendarId="primary").execute()["items"]) == 1
    assert google_emu.requests.count(path_regex="^/batch/calendar/v3$") == 1


def test_standard_system_parameters_accepted(google_emu, http_session):
    answer = http_session.get(
        events_url(google_emu), params={"$.xgafv": "2", "prettyPrint": "false", "alt": "json"}
    )
    assert answer.status_code == 200
    assert "\n" not in answer.text  # prettyPrint=false: compact JSON
    assert "\n" in http_session.get(events_url(google_emu)).text
    broken = http_session.post(
        events_url(google_emu), data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert broken.status_code == 400
    assert broken.json()["error"]["errors"][0]["reason"] == "parseError"


@pytest.mark.parametrize(
    ("patch", "where"),
    [
        ({"summary": {"nested": 1}}, "summary"),
        ({"attendees": {"email": "x@example.org"}}, "attendees"),
        ({"reminders": {"useDefault": "maybe"}}, "reminders.useDefault"),
        ({"extendedProperties": {"private": {"k": {"n": 1}}}}, "extendedProperties.private.k"),
        ({"extendedProperties": {"shared": {"k": [1]}}}, "extendedProperties.shared.k"),
        ({"transparency": "sometimes"}, "transparency"),
        ({"visibility": 1}, "visibility"),
        ({"start": "2024-05-06"}, "start"),
    ],
)
def test_body_checked_against_discovery_schema(google_emu, http_session, patch, where):
    event = google_emu.insert_event(USER, SIMPLE)
    answer = http_session.patch(events_url(google_emu, "/" + event["id"]), json=patch)
    assert answer.status_code == 400
    assert answer.json()["error"]["message"] == f"Invalid value for: {where}"


def test_a_number_where_a_string_is_expected_is_stored_as_that_string(service, google_emu):
    # Odoo's google_calendar sends its record id as a JSON number in extendedProperties.
    body = {
        **SIMPLE,
        "summary": 2024,
        "extendedProperties": {"shared": {"db_odoo_id": 42}, "private": {"ratio": 1.5}},
    }
    created = service.events().insert(calendarId="primary", body=body).execute()
    assert created["summary"] == "2024"
    assert created["extendedProperties"] == {
        "shared": {"db_odoo_id": "42"},
        "private": {"ratio": "1.5"},
    }
    found = (
        service.events()
        .list(calendarId="primary", sharedExtendedProperty="db_odoo_id=42")
        .execute()
    )
    assert [e["id"] for e in found["items"]] == [created["id"]]


def test_events_delete_tolerates_single_events_as_odoo_sends_it(google_emu, http_session):
    master = google_emu.insert_event(USER, WEEKLY)
    answer = http_session.delete(
        events_url(google_emu, "/" + master["id"]),
        params={"sendUpdates": "all", "singleEvents": "true"},
    )
    assert answer.status_code == 204
    assert google_emu.get_event(USER, master["id"])["status"] == "cancelled"
    other = google_emu.insert_event(USER, SIMPLE)
    refused = http_session.delete(  # other methods' parameters are still refused
        events_url(google_emu, "/" + other["id"]), params={"orderBy": "startTime"}
    )
    assert refused.status_code == 400


def test_a_page_request_with_only_the_page_token_keeps_the_query(google_emu, http_session):
    for number in range(5):
        google_emu.insert_event(USER, {**SIMPLE, "summary": "other" if number % 2 else "kept"})
    first = http_session.get(events_url(google_emu), params={"q": "kept", "maxResults": 1})
    seen = [e["summary"] for e in first.json()["items"]]
    token = first.json()["nextPageToken"]
    while token:  # as Odoo's google_calendar pages: pageToken alone
        page = http_session.get(events_url(google_emu), params={"pageToken": token}).json()
        assert len(page["items"]) <= 1
        seen += [e["summary"] for e in page["items"]]
        token = page.get("nextPageToken")
    assert seen == ["kept"] * 3
    assert "nextSyncToken" in page


def test_importing_an_ical_uid_again_updates_that_event(service, google_emu):
    body = {**SIMPLE, "iCalUID": "external-123@example.org"}
    first = service.events().import_(calendarId="primary", body=body).execute()
    again = (
        service.events()
        .import_(calendarId="primary", body={**body, "summary": "Renamed", "sequence": 1})
        .execute()
    )
    assert again["id"] == first["id"] and again["summary"] == "Renamed"
    assert [e["id"] for e in service.events().list(calendarId="primary").execute()["items"]] == [
        first["id"]
    ]


def test_methods_the_emulator_does_not_serve_answer_404(service):
    with pytest.raises(HttpError) as info:
        service.colors().get().execute()
    assert info.value.resp.status == 404


def test_import_secondary_calendar_and_calendar_list(service, google_emu):
    team = google_emu.add_calendar(USER, "Team")
    imported = (
        service.events()
        .import_(
            calendarId=team.id,
            body={
                **SIMPLE,
                "iCalUID": "external-123@example.org",
                "organizer": {"email": "boss@other.org"},
            },
        )
        .execute()
    )
    assert imported["iCalUID"] == "external-123@example.org"
    assert imported["organizer"] == {"email": "boss@other.org", "self": False}
    assert service.events().list(calendarId="primary").execute()["items"] == []
    assert len(service.events().list(calendarId=team.id).execute()["items"]) == 1
    entries = service.calendarList().list().execute()["items"]
    assert {e["id"] for e in entries} == {USER, team.id}
    with pytest.raises(HttpError) as info:
        service.events().import_(calendarId="primary", body=SIMPLE).execute()
    assert info.value.resp.status == 400


def test_instances_original_start_filter(service):
    master = service.events().insert(calendarId="primary", body=WEEKLY).execute()
    found = (
        service.events()
        .instances(
            calendarId="primary", eventId=master["id"], originalStart="2024-05-20T09:00:00+02:00"
        )
        .execute()["items"]
    )
    assert [i["id"] for i in found] == [f"{master['id']}_20240520T070000Z"]
    paged = (
        service.events().instances(calendarId="primary", eventId=master["id"], maxResults=3)
    ).execute()
    assert len(paged["items"]) == 3 and "nextPageToken" in paged
