"""Tests of dicomnet._logging_dimse: the standard DIMSE message log handlers."""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from io import BytesIO
from typing import Any

import pytest
from pydicom.dataset import Dataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_dataset

from dicomnet import _config, _logging, _logging_dimse
from dicomnet import events as evt
from dicomnet._event import Event
from dicomnet._logging_dimse import (
    HEADLINE_LEVEL,
    is_response,
    on_dimse_recv,
    on_dimse_sent,
    summarise_dimse,
)
from dicomnet.dimse.primitives import (
    C_CANCEL,
    C_ECHO,
    C_FIND,
    C_GET,
    C_MOVE,
    C_STORE,
    N_ACTION,
    N_CREATE,
    N_DELETE,
    N_EVENT_REPORT,
    N_GET,
    N_SET,
    DimsePrimitive,
)

VERIFICATION = "1.2.840.10008.1.1"
CT = "1.2.840.10008.5.1.4.1.1.2"
STUDY_FIND = "1.2.840.10008.5.1.4.1.2.2.1"
STUDY_GET = "1.2.840.10008.5.1.4.1.2.2.3"
STUDY_MOVE = "1.2.840.10008.5.1.4.1.2.2.2"
FILM_SESSION = "1.2.840.10008.5.1.1.1"
PRINTER = "1.2.840.10008.5.1.1.16"
PRINTER_INSTANCE = "1.2.840.10008.5.1.1.17"
STORAGE_COMMITMENT = "1.2.840.10008.1.20.1"
PRIVATE = "1.2.3.4.5"
IMPLICIT = "1.2.840.10008.1.2"
EXPLICIT_BIG = "1.2.840.10008.1.2.2"
DEFLATED = "1.2.840.10008.1.2.1.99"
LOGGER_NAME = "dicomnet._logging_dimse"


@dataclass
class FakeContext:
    transfer_syntax: str


@dataclass
class FakeEvent:
    message: DimsePrimitive


@dataclass
class FakeEventWithContext:
    message: DimsePrimitive
    context: FakeContext


@pytest.fixture
def debug(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG, logger=LOGGER_NAME)
    return caplog


@pytest.fixture
def flags() -> Iterator[None]:
    saved = _config.LOG_REQUEST_IDENTIFIERS, _config.LOG_RESPONSE_IDENTIFIERS
    yield
    _config.LOG_REQUEST_IDENTIFIERS, _config.LOG_RESPONSE_IDENTIFIERS = saved


def _encode(ds: Dataset, *, implicit: bool = True, little: bool = True) -> bytes:
    fp = DicomBytesIO()
    fp.is_implicit_VR = implicit
    fp.is_little_endian = little
    write_dataset(fp, ds)
    return fp.getvalue()


def _identifier() -> BytesIO:
    ds = Dataset()
    ds.QueryRetrieveLevel = "STUDY"
    ds.PatientName = "Doe^Jane"
    return BytesIO(_encode(ds))


def _make(cls: type[DimsePrimitive], **fields: Any) -> DimsePrimitive:
    primitive = cls()
    for name, value in fields.items():
        setattr(primitive, name, value)
    return primitive


def _rsp(cls: type[DimsePrimitive], **fields: Any) -> DimsePrimitive:
    return _make(cls, MessageIDBeingRespondedTo=7, Status=0x0000, **fields)


# One request and one response of each of the 12 DIMSE services (PS3.7 9, 10).
MESSAGES: list[tuple[DimsePrimitive, str, str]] = [
    (
        _make(C_ECHO, MessageID=7, AffectedSOPClassUID=VERIFICATION),
        "Echo Request: MsgID 7",
        "C-ECHO-RQ (0030H)",
    ),
    (_rsp(C_ECHO), "Echo Response (Success) for MsgID 7", "C-ECHO-RSP (8030H)"),
    (
        _make(
            C_STORE,
            MessageID=7,
            AffectedSOPClassUID=CT,
            AffectedSOPInstanceUID="1.2.3",
            Priority=0,
            DataSet=BytesIO(b"\0" * 10),
        ),
        "Store Request: MsgID 7",
        "C-STORE-RQ (0001H)",
    ),
    (_rsp(C_STORE), "Store Response (Success) for MsgID 7", "C-STORE-RSP (8001H)"),
    (
        _make(
            C_FIND,
            MessageID=7,
            AffectedSOPClassUID=STUDY_FIND,
            Priority=0,
            Identifier=_identifier(),
        ),
        "Find Request: MsgID 7",
        "C-FIND-RQ (0020H)",
    ),
    (_rsp(C_FIND), "Find Response (Success) for MsgID 7", "C-FIND-RSP (8020H)"),
    (
        _make(
            C_GET,
            MessageID=7,
            AffectedSOPClassUID=STUDY_GET,
            Priority=0,
            Identifier=_identifier(),
        ),
        "Get Request: MsgID 7",
        "C-GET-RQ (0010H)",
    ),
    (_rsp(C_GET), "Get Response (Success) for MsgID 7", "C-GET-RSP (8010H)"),
    (
        _make(
            C_MOVE,
            MessageID=7,
            AffectedSOPClassUID=STUDY_MOVE,
            Priority=0,
            MoveDestination="STORESCP",
            Identifier=_identifier(),
        ),
        "Move Request: MsgID 7",
        "C-MOVE-RQ (0021H)",
    ),
    (_rsp(C_MOVE), "Move Response (Success) for MsgID 7", "C-MOVE-RSP (8021H)"),
    (
        _make(C_CANCEL, MessageIDBeingRespondedTo=7),
        "Cancel Request for MsgID 7",
        "C-CANCEL-RQ (0FFFH)",
    ),
    (
        _make(
            N_EVENT_REPORT,
            MessageID=7,
            AffectedSOPClassUID=STORAGE_COMMITMENT,
            AffectedSOPInstanceUID=PRIVATE,
            EventTypeID=1,
            EventInformation=BytesIO(b"\0" * 4),
        ),
        "N-EVENT-REPORT Request: MsgID 7",
        "N-EVENT-REPORT-RQ (0100H)",
    ),
    (
        _rsp(N_EVENT_REPORT),
        "N-EVENT-REPORT Response (Success) for MsgID 7",
        "N-EVENT-REPORT-RSP (8100H)",
    ),
    (
        _make(
            N_GET,
            MessageID=7,
            RequestedSOPClassUID=PRINTER,
            RequestedSOPInstanceUID=PRINTER_INSTANCE,
        ),
        "N-GET Request: MsgID 7",
        "N-GET-RQ (0110H)",
    ),
    (_rsp(N_GET), "N-GET Response (Success) for MsgID 7", "N-GET-RSP (8110H)"),
    (
        _make(
            N_SET,
            MessageID=7,
            RequestedSOPClassUID=FILM_SESSION,
            RequestedSOPInstanceUID=PRIVATE,
            ModificationList=BytesIO(b""),
        ),
        "N-SET Request: MsgID 7",
        "N-SET-RQ (0120H)",
    ),
    (_rsp(N_SET), "N-SET Response (Success) for MsgID 7", "N-SET-RSP (8120H)"),
    (
        _make(
            N_ACTION,
            MessageID=7,
            RequestedSOPClassUID=FILM_SESSION,
            RequestedSOPInstanceUID=PRIVATE,
            ActionTypeID=1,
        ),
        "N-ACTION Request: MsgID 7",
        "N-ACTION-RQ (0130H)",
    ),
    (_rsp(N_ACTION), "N-ACTION Response (Success) for MsgID 7", "N-ACTION-RSP (8130H)"),
    (
        _make(N_CREATE, MessageID=7, AffectedSOPClassUID=FILM_SESSION),
        "N-CREATE Request: MsgID 7",
        "N-CREATE-RQ (0140H)",
    ),
    (_rsp(N_CREATE), "N-CREATE Response (Success) for MsgID 7", "N-CREATE-RSP (8140H)"),
    (
        _make(
            N_DELETE,
            MessageID=7,
            RequestedSOPClassUID=FILM_SESSION,
            RequestedSOPInstanceUID=PRIVATE,
        ),
        "N-DELETE Request: MsgID 7",
        "N-DELETE-RQ (0150H)",
    ),
    (_rsp(N_DELETE), "N-DELETE Response (Success) for MsgID 7", "N-DELETE-RSP (8150H)"),
]


def _lines(message: DimsePrimitive, **kwargs: Any) -> list[str]:
    return summarise_dimse(message, sent=False, **kwargs)


def _messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records]


# -- every service, both directions ------------------------------------------------


@pytest.mark.parametrize(
    ("message", "headline", "command"),
    MESSAGES,
    ids=[f"{m.msg_type}-{'rsp' if is_response(m) else 'rq'}" for m, _, _ in MESSAGES],
)
@pytest.mark.parametrize("sent", [False, True], ids=["recv", "sent"])
def test_each_service_is_summarised(
    debug: pytest.LogCaptureFixture,
    message: DimsePrimitive,
    headline: str,
    command: str,
    sent: bool,
) -> None:
    (on_dimse_sent if sent else on_dimse_recv)(FakeEvent(message))
    lines = _messages(debug)
    assert lines[0] == f"{'Sending' if sent else 'Received'} {headline}"
    kind = command.split(maxsplit=1)[0]
    assert lines[1].strip("=") == f" BEGIN {kind} "
    assert lines[2] == f"Command Field: {command}"
    assert lines[-1].strip("=") == f" END {kind} "
    assert len(lines[1]) == len(lines[-1]) == 72
    assert {record.levelno for record in debug.records} == {logging.DEBUG}
    assert {record.name for record in debug.records} == {LOGGER_NAME}


def test_store_request_fields(debug: pytest.LogCaptureFixture) -> None:
    request = MESSAGES[2][0]
    on_dimse_recv(FakeEvent(request))
    assert _messages(debug)[3:-1] == [
        f"Affected SOP Class UID: {CT} (CT Image Storage)",
        "Message ID: 7",
        "Priority: MEDIUM (0000H)",
        "Affected SOP Instance UID: 1.2.3",
        "Data Set: present, 10 bytes",
    ]


@pytest.mark.parametrize(
    ("priority", "text"),
    [(0, "MEDIUM (0000H)"), (1, "HIGH (0001H)"), (2, "LOW (0002H)")],
)
def test_priority_names(priority: int, text: str) -> None:
    request = _make(
        C_FIND, MessageID=1, AffectedSOPClassUID=STUDY_FIND, Priority=priority
    )
    assert f"Priority: {text}" in _lines(request)


def test_move_request_destination() -> None:
    lines = _lines(MESSAGES[8][0], transfer_syntax=None)
    assert "Move Destination: STORESCP" in lines


def test_normalized_request_fields() -> None:
    request = _make(
        N_GET,
        MessageID=3,
        RequestedSOPClassUID=PRINTER,
        RequestedSOPInstanceUID=PRINTER_INSTANCE,
        AttributeIdentifierList=[0x00100010, 0x21100010],
    )
    lines = _lines(request)
    assert f"Requested SOP Class UID: {PRINTER} (Printer SOP Class)" in lines
    assert (
        f"Requested SOP Instance UID: {PRINTER_INSTANCE} (Printer SOP Instance)"
        in lines
    )
    assert "Attribute Identifier List: (0010,0010), (2110,0010)" in lines
    assert lines[-2] == "Data Set: none"


def test_event_report_and_action_ids() -> None:
    report = _lines(MESSAGES[11][0])
    assert "Event Type ID: 1" in report
    assert "Event Information: present, 4 bytes" in report
    action = _lines(_rsp(N_ACTION, ActionTypeID=2, ActionReply=BytesIO(b"ab")))
    assert "Action Type ID: 2" in action
    assert "Action Reply: present, 2 bytes" in action


def test_unknown_uid_is_shown_as_sent() -> None:
    request = _make(C_ECHO, MessageID=1, AffectedSOPClassUID=PRIVATE)
    assert f"Affected SOP Class UID: {PRIVATE}" in _lines(request)


# -- status --------------------------------------------------------------------------


def test_failure_status_with_meaning_and_comment() -> None:
    response = _rsp(C_STORE, AffectedSOPClassUID=CT, ErrorComment="disk full")
    response.Status = 0xA7FF
    lines = _lines(response)
    assert lines[0] == "Received Store Response (Failure 0xA7FF) for MsgID 7"
    assert "Status: 0xA7FF (Failure) Refused: out of resources" in lines
    assert "Error Comment: disk full" in lines


def test_status_meaning_follows_the_sop_class() -> None:
    # B600 means something only in Print Management (PS3.4 H.4).
    response = _rsp(N_SET, AffectedSOPClassUID=FILM_SESSION)
    response.Status = 0xB600
    lines = _lines(response)
    assert lines[0] == "Received N-SET Response (Warning 0xB600) for MsgID 7"
    assert "Status: 0xB600 (Warning) Memory allocation not supported" in lines


def test_status_meaning_without_sop_class_follows_the_message() -> None:
    response = _rsp(C_MOVE)
    response.Status = 0xA801
    assert "Status: 0xA801 (Failure) Refused: move destination unknown" in _lines(
        response
    )


def test_unknown_status() -> None:
    response = _rsp(C_ECHO)
    response.Status = 0x1234
    lines = _lines(response)
    assert lines[0] == "Received Echo Response (Unknown 0x1234) for MsgID 7"
    assert "Status: 0x1234 (Unknown) no meaning defined for this service" in lines


def test_handler_failure_status_outside_the_service_table() -> None:
    # C211 (an SCP handler's exception) is in no PS3.4 table for C-ECHO.
    response = _rsp(C_ECHO)
    response.Status = 0xC211
    assert any(
        line.startswith("Status: 0xC211 (Failure) Unhandled exception")
        for line in _lines(response)
    )


def test_success_status_has_no_repeated_description() -> None:
    assert "Status: 0x0000 (Success)" in _lines(_rsp(C_ECHO))


def test_pending_find_response_with_suboperations() -> None:
    response = _rsp(
        C_GET,
        NumberOfRemainingSuboperations=4,
        NumberOfCompletedSuboperations=1,
        NumberOfFailedSuboperations=0,
        NumberOfWarningSuboperations=2,
    )
    response.Status = 0xFF00
    lines = _lines(response)
    assert lines[0] == "Received Get Response (Pending) for MsgID 7"
    assert "Status: 0xFF00 (Pending) Sub-operations are continuing" in lines
    assert lines[5:9] == [
        "Number of Remaining Sub-operations: 4",
        "Number of Completed Sub-operations: 1",
        "Number of Failed Sub-operations: 0",
        "Number of Warning Sub-operations: 2",
    ]


def test_response_without_status() -> None:
    response = _make(C_ECHO, MessageIDBeingRespondedTo=2)
    assert _lines(response)[0] == "Received Echo Response (no Status) for MsgID 2"


def test_offending_elements() -> None:
    response = _rsp(C_FIND, OffendingElement=[0x00100010])
    response.Status = 0xA900
    assert "Offending Element: (0010,0010)" in _lines(response)


def test_is_response() -> None:
    assert not is_response(_make(C_CANCEL, MessageIDBeingRespondedTo=1))
    assert not is_response(_make(C_ECHO, MessageID=1))
    assert is_response(_make(C_ECHO, MessageIDBeingRespondedTo=1))
    assert is_response(_make(C_ECHO, Status=0))


# -- data sets -----------------------------------------------------------------------


def test_data_set_is_sized_not_decoded_and_left_usable() -> None:
    data = BytesIO(b"not a data set at all")
    request = _make(
        C_STORE,
        MessageID=1,
        AffectedSOPClassUID=CT,
        AffectedSOPInstanceUID="1.2.3",
        Priority=0,
        DataSet=data,
    )
    assert "Data Set: present, 21 bytes" in _lines(request, transfer_syntax=IMPLICIT)
    # The size was read through a buffer view that was released: the stream
    # can still grow.
    data.seek(0, 2)
    data.write(b"more")
    assert data.getvalue().endswith(b"more")


def test_mandatory_data_set_streamed_elsewhere() -> None:
    request = _make(
        C_STORE,
        MessageID=1,
        AffectedSOPClassUID=CT,
        AffectedSOPInstanceUID="1.2.3",
        Priority=0,
    )
    assert "Data Set: present, not held in memory" in _lines(request)


def test_optional_data_set_absent() -> None:
    assert "Identifier: none" in _lines(_rsp(C_FIND))
    assert "Attribute List: none" in _lines(_rsp(N_GET))


# -- identifiers ---------------------------------------------------------------------


def _find_rq() -> DimsePrimitive:
    return _make(
        C_FIND,
        MessageID=7,
        AffectedSOPClassUID=STUDY_FIND,
        Priority=0,
        Identifier=_identifier(),
    )


def _find_rsp() -> DimsePrimitive:
    response = _rsp(C_FIND, Identifier=_identifier())
    response.Status = 0xFF00
    return response


@pytest.mark.usefixtures("flags")
def test_identifiers_decoded_when_asked(debug: pytest.LogCaptureFixture) -> None:
    _config.LOG_REQUEST_IDENTIFIERS = True
    _config.LOG_RESPONSE_IDENTIFIERS = True
    context = FakeContext(IMPLICIT)
    on_dimse_sent(FakeEventWithContext(_find_rq(), context))
    on_dimse_recv(FakeEventWithContext(_find_rsp(), context))
    lines = _messages(debug)
    decoded = [line for line in lines if "Query/Retrieve Level" in line]
    assert len(decoded) == 2
    assert all(line.startswith("  (0008,0052)") for line in decoded)
    assert sum("Doe^Jane" in line for line in lines) == 2


@pytest.mark.usefixtures("flags")
@pytest.mark.parametrize(
    ("request_flag", "response_flag"), [(True, False), (False, True)]
)
def test_identifier_flags_are_independent(
    request_flag: bool, response_flag: bool
) -> None:
    _config.LOG_REQUEST_IDENTIFIERS = request_flag
    _config.LOG_RESPONSE_IDENTIFIERS = response_flag
    rq = _lines(_find_rq(), transfer_syntax=IMPLICIT)
    rsp = _lines(_find_rsp(), transfer_syntax=IMPLICIT)
    assert any("Doe^Jane" in line for line in rq) is request_flag
    assert any("Doe^Jane" in line for line in rsp) is response_flag
    # The size line is there either way.
    assert "Identifier: present, 30 bytes" in rq
    assert "Identifier: present, 30 bytes" in rsp


@pytest.mark.usefixtures("flags")
def test_identifier_not_decoded_when_flags_off(monkeypatch: pytest.MonkeyPatch) -> None:
    _config.LOG_REQUEST_IDENTIFIERS = False
    _config.LOG_RESPONSE_IDENTIFIERS = False

    def refuse(*args: object) -> list[str]:
        raise AssertionError("decoded")

    monkeypatch.setattr(_logging_dimse, "_decode_lines", refuse)
    for message in (MESSAGES[4][0], MESSAGES[6][0], MESSAGES[8][0], _find_rsp()):
        _lines(message, transfer_syntax=IMPLICIT)


@pytest.mark.usefixtures("flags")
def test_identifier_without_transfer_syntax(debug: pytest.LogCaptureFixture) -> None:
    _config.LOG_REQUEST_IDENTIFIERS = True
    on_dimse_recv(FakeEvent(_find_rq()))
    lines = _messages(debug)
    assert "  (not decoded: the transfer syntax is not known here)" in lines
    assert not any("Doe^Jane" in line for line in lines)


@pytest.mark.usefixtures("flags")
def test_identifier_in_other_transfer_syntaxes() -> None:
    _config.LOG_RESPONSE_IDENTIFIERS = True
    ds = Dataset()
    ds.PatientID = "ID42"
    big = _rsp(C_FIND, Identifier=BytesIO(_encode(ds, implicit=False, little=False)))
    assert "(0010,0020) Patient ID" in "\n".join(
        _lines(big, transfer_syntax=EXPLICIT_BIG)
    )
    compress = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    raw = compress.compress(_encode(ds, implicit=False)) + compress.flush()
    deflated = _rsp(C_FIND, Identifier=BytesIO(raw))
    assert "ID42" in "\n".join(_lines(deflated, transfer_syntax=DEFLATED))


@pytest.mark.usefixtures("flags")
@pytest.mark.parametrize(
    ("data", "syntax"),
    [
        (b"\xfe\xff\x00\xe0\0\0\0\0", IMPLICIT),  # an Item tag, no VR for it
        (b"\x00\x01", DEFLATED),  # not a deflate stream
        (_encode(Dataset()), PRIVATE),  # not a transfer syntax
    ],
    ids=["item-tag", "bad-deflate", "unknown-syntax"],
)
def test_undecodable_identifier_is_reported(data: bytes, syntax: str) -> None:
    _config.LOG_RESPONSE_IDENTIFIERS = True
    lines = _lines(_rsp(C_FIND, Identifier=BytesIO(data)), transfer_syntax=syntax)
    assert any(line.startswith("  (cannot be decoded: ") for line in lines)


@pytest.mark.usefixtures("flags")
def test_empty_identifier() -> None:
    _config.LOG_RESPONSE_IDENTIFIERS = True
    lines = _lines(_rsp(C_FIND, Identifier=BytesIO(b"")), transfer_syntax=IMPLICIT)
    assert "  (empty)" in lines


# -- the level gate -----------------------------------------------------------------


@pytest.mark.parametrize("handler", [on_dimse_recv, on_dimse_sent])
def test_nothing_formatted_when_level_off(
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    handler: Callable[[Any], None],
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER_NAME)

    def refuse(*args: object, **kwargs: object) -> list[str]:
        raise AssertionError("formatted")

    monkeypatch.setattr(_logging_dimse, "summarise_dimse", refuse)
    handler(FakeEvent(MESSAGES[2][0]))
    assert caplog.records == []
    # And the same handler does format once DEBUG is on.
    caplog.set_level(logging.DEBUG, logger=LOGGER_NAME)
    with pytest.raises(AssertionError, match="formatted"):
        handler(FakeEvent(MESSAGES[2][0]))


def test_registry_builds_no_event_when_level_off(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = evt.HandlerRegistry()
    registry.bind(evt.EVT_DIMSE_RECV, on_dimse_recv)
    registry.bind(evt.EVT_DIMSE_SENT, on_dimse_sent)

    def no_event(*args: object) -> None:
        raise AssertionError("an Event was built")

    monkeypatch.setattr(evt, "Event", no_event)
    caplog.set_level(HEADLINE_LEVEL + 10, logger=LOGGER_NAME)
    for event in (evt.EVT_DIMSE_RECV, evt.EVT_DIMSE_SENT):
        assert not registry.is_observed(event)
        registry.trigger(None, event, {"message": MESSAGES[0][0]})
    caplog.set_level(HEADLINE_LEVEL, logger=LOGGER_NAME)
    assert registry.is_observed(evt.EVT_DIMSE_RECV)
    with pytest.raises(AssertionError, match="an Event was built"):
        registry.trigger(None, evt.EVT_DIMSE_RECV, {"message": MESSAGES[0][0]})


# -- with the real Event --------------------------------------------------------------


@pytest.mark.usefixtures("flags")
def test_real_event_with_and_without_context(debug: pytest.LogCaptureFixture) -> None:
    _config.LOG_REQUEST_IDENTIFIERS = True
    # The real Event declares no ``message``: it is set from the attributes.
    with_context: Any = Event(
        None,
        evt.EVT_DIMSE_RECV,
        {"message": _find_rq(), "context": FakeContext(IMPLICIT)},
    )
    on_dimse_recv(with_context)
    assert any("Doe^Jane" in line for line in _messages(debug))
    debug.clear()
    without: Any = Event(None, evt.EVT_DIMSE_SENT, {"message": _find_rq()})
    on_dimse_sent(without)
    assert _messages(debug)[0] == "Sending Find Request: MsgID 7"


def test_reexported_from_logging() -> None:
    assert _logging.on_dimse_recv is on_dimse_recv
    assert _logging.on_dimse_sent is on_dimse_sent
