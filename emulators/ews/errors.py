"""EWS errors in Exchange's two shapes: an error ResponseMessage (one item of a call failed)
and a SOAP fault (the whole request failed: HTTP 500, ``s:Fault`` with the code in ``detail``).
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from ..base import EmulatorError, Response
from .xml import SOAP, T

# Exchange's own message texts for the codes the emulator answers.
MESSAGES = {
    "ErrorAccessDenied": "Access is denied. Check credentials and try again.",
    "ErrorCalendarIsOrganizerForAccept": "The organizer cannot accept the meeting.",
    "ErrorCalendarIsOrganizerForDecline": "The organizer cannot decline the meeting.",
    "ErrorCalendarIsOrganizerForTentative": "The organizer cannot tentatively accept the meeting.",
    "ErrorCalendarOccurrenceIndexIsOutOfRecurrenceRange": (
        "Occurrence index is out of recurrence range."
    ),
    "ErrorCalendarOccurrenceIsDeletedFromRecurrence": (
        "Occurrence with this index was previously deleted from the recurrence."
    ),
    "ErrorFolderNotFound": "The specified folder could not be found in the store.",
    "ErrorImpersonateUserDenied": "The account does not have permission to impersonate the "
    "requested user.",
    "ErrorInvalidIdMalformed": "Id is malformed.",
    "ErrorInvalidRequest": "The request is invalid.",
    "ErrorInvalidServerVersion": "The specified server version is invalid.",
    "ErrorInvalidSyncStateData": "Synchronization state data is corrupt or otherwise invalid.",
    "ErrorIrresolvableConflict": "The send or update operation could not be performed because "
    "the change key passed in the request does not match the current change key for the item.",
    "ErrorItemNotFound": "The specified object was not found in the store.",
    "ErrorItemSave": "The item could not be saved.",
    "ErrorMessageDispositionRequired": "MessageDisposition attribute is required.",
    "ErrorNonExistentMailbox": "The SMTP address has no mailbox associated with it.",
    "ErrorSchemaValidation": "The request failed schema validation.",
    "ErrorSendMeetingCancellationsRequired": "SendMeetingCancellations attribute is required "
    "for calendar items.",
    "ErrorSendMeetingInvitationsOrCancellationsRequired": "SendMeetingInvitationsOrCancellations "
    "attribute is required for calendar items.",
    "ErrorSendMeetingInvitationsRequired": "SendMeetingInvitations attribute is required for "
    "calendar items.",
    "ErrorCalendarEndDateIsEarlierThanStartDate": "EndDate is earlier than StartDate",
    "ErrorCalendarInvalidRecurrence": "The recurrence pattern is invalid.",
    "ErrorInvalidChangeKey": "The change key is invalid.",
    "ErrorServerBusy": "The server cannot service this request right now. Try again later.",
    "ErrorInvalidPropertySet": "Set action is invalid for property.",
}


class ResponseMessageError(Exception):
    """One item of a call failed: answered as an error ResponseMessage, the call goes on."""

    def __init__(self, code: str, message: str | None = None):
        super().__init__(code)
        self.code = code
        self.message = message or MESSAGES.get(code, code)


def fault_body(code: str, message: str | None = None, message_xml: str = "") -> bytes:
    """A SOAP fault as Exchange writes it: no SOAP header, the EWS code in ``faultcode`` and
    ``detail`` (``message_xml``: inner XML of ``t:MessageXml``)."""
    text = escape(message or MESSAGES.get(code, code))
    xml_detail = f'<t:MessageXml xmlns:t="{T}">{message_xml}</t:MessageXml>' if message_xml else ""
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<s:Envelope xmlns:s="{SOAP}">'
        "<s:Body><s:Fault>"
        f'<faultcode xmlns:a="{T}">a:{code}</faultcode>'
        f'<faultstring xml:lang="en-US">{text}</faultstring>'
        "<detail>"
        '<e:ResponseCode xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">'
        f"{code}</e:ResponseCode>"
        '<e:Message xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">'
        f"{text}</e:Message>"
        f"{xml_detail}"
        "</detail></s:Fault></s:Body></s:Envelope>"
    ).encode()


def fault_response(code: str, message: str | None = None, message_xml: str = "") -> Response:
    return Response(500, {"Content-Type": XML_CONTENT_TYPE}, fault_body(code, message, message_xml))


def server_busy_body(back_off_ms: int) -> bytes:
    value = f'<t:Value Name="BackOffMilliseconds">{int(back_off_ms)}</t:Value>'
    return fault_body("ErrorServerBusy", message_xml=value)


class SoapFault(EmulatorError):
    """Raise to fail the whole request with a SOAP fault."""

    def __init__(self, code: str, message: str | None = None):
        super().__init__(fault_response(code, message))
        self.code = code


XML_CONTENT_TYPE = "text/xml; charset=utf-8"
