from calendar_sync_base.services.model import Attendee, Privacy, SyncEvent, without_nul


def test_nul_characters_are_stripped_from_every_text_of_an_event():
    event = SyncEvent(
        title="Lunch\x00",
        description="<p>a\x00b</p>",
        privacy=Privacy.PRIVATE,
        attendees=(Attendee("bob@example.com", name="B\x00ob"), Attendee("eve@example.com")),
    )
    cleaned = without_nul(event)
    assert cleaned.title == "Lunch"
    assert cleaned.description == "<p>ab</p>"
    assert cleaned.attendees[0].name == "Bob"
    assert cleaned.privacy is Privacy.PRIVATE
    assert cleaned.attendees[1] is event.attendees[1]


def test_an_event_without_nul_is_returned_as_it_is():
    event = SyncEvent(title="Lunch", attendees=(Attendee("bob@example.com", name="Bob"),))
    assert without_nul(event) is event
