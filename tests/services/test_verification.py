"""The Verification SCP and the request router, without sockets or threads.

A fake protocol records what the service sends; a real ``HandlerRegistry``
stands in for the association's handlers.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydicom.dataset import Dataset

from dicomnet import events as evt
from dicomnet.dimse.connection import DimseMessage
from dicomnet.dimse.primitives import C_CANCEL, C_ECHO, N_DELETE, N_EVENT_REPORT
from dicomnet.errors import LocalProtocolError
from dicomnet.services import UNRECOGNIZED_OPERATION, dispatch_request
from dicomnet.services.verification import PROCESSING_FAILURE, answer_c_echo

VERIFICATION = "1.2.840.10008.1.1"
IMPLICIT_LE = "1.2.840.10008.1.2"


@dataclass
class FakeProtocol:
    """Records sends and aborts; can refuse to send."""

    refuse: bool = False
    sent: list[tuple[int, Any, bool]] = field(default_factory=list)
    aborted: bool = False
    forgotten: list[int] = field(default_factory=list)

    def send_message(
        self, context_id: int, primitive: Any, *, response: bool, now: float
    ) -> None:
        del now
        if self.refuse:
            raise LocalProtocolError("no response form")
        self.sent.append((context_id, primitive, response))

    def abort(self, now: float) -> None:
        del now
        self.aborted = True

    def forget_request(self, message_id: int) -> None:
        self.forgotten.append(message_id)


class FakeAssociation:
    """The part of an Association the services use: its handler registry."""

    def __init__(self) -> None:
        self.registry = evt.HandlerRegistry()

    def _trigger(self, event: Any, attrs: dict[str, Any] | None = None) -> Any:
        return self.registry.trigger(self, event, attrs)

    def _context_tuple(self, context_id: int) -> None:
        del context_id


def echo_message(msg_id: int = 7, context_id: int = 3) -> DimseMessage:
    request = C_ECHO()
    request.MessageID = msg_id
    request.AffectedSOPClassUID = VERIFICATION
    return DimseMessage(
        context_id=context_id,
        abstract_syntax=VERIFICATION,
        transfer_syntax=IMPLICIT_LE,
        primitive=request,
        is_response=False,
        command={},
    )


def answer(handler: Any = None) -> tuple[FakeProtocol, C_ECHO]:
    assoc, protocol = FakeAssociation(), FakeProtocol()
    if handler is not None:
        assoc.registry.bind(evt.EVT_C_ECHO, handler)
    answer_c_echo(assoc, protocol, echo_message())  # type: ignore[arg-type]
    [(context_id, response, is_response)] = protocol.sent
    assert (context_id, is_response) == (3, True)
    assert isinstance(response, C_ECHO)
    assert response.MessageIDBeingRespondedTo == 7
    assert response.AffectedSOPClassUID == VERIFICATION
    return protocol, response


def test_no_handler_answers_success() -> None:
    _protocol, response = answer()
    assert response.Status == 0x0000


@given(st.integers(min_value=0, max_value=0xFFFF))
def test_an_int_from_the_handler_is_the_status(status: int) -> None:
    _protocol, response = answer(lambda _event: status)
    assert response.Status == status


def test_a_dataset_status_and_its_error_comment_are_sent() -> None:
    status = Dataset()
    status.Status = 0xC123
    status.ErrorComment = "not today"
    _protocol, response = answer(lambda _event: status)
    assert response.Status == 0xC123
    assert response.ErrorComment == "not today"


def test_a_dataset_without_status_is_a_failure(
    caplog: pytest.LogCaptureFixture,
) -> None:
    _protocol, response = answer(lambda _event: Dataset())
    assert response.Status == 0xC001
    assert "no 'Status'" in caplog.text


@pytest.mark.parametrize("result", [None, "0x0000", True, 1.5])
def test_a_value_that_is_no_status_is_a_failure(result: object) -> None:
    _protocol, response = answer(lambda _event: result)
    assert response.Status == 0xC002


def test_a_raising_handler_is_logged_and_answered_processing_failure(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def handler(_event: evt.Event) -> int:
        raise ZeroDivisionError

    with caplog.at_level(logging.ERROR):
        _protocol, response = answer(handler)
    assert response.Status == PROCESSING_FAILURE == 0x0110
    assert "EVT_C_ECHO" in caplog.text
    assert "ZeroDivisionError" in caplog.text


def test_the_handler_sees_the_request_and_its_context() -> None:
    seen: list[evt.Event] = []

    def handler(event: evt.Event) -> int:
        seen.append(event)
        return 0

    answer(handler)
    [event] = seen
    assert event.request.MessageID == 7
    assert event.message_id == 7
    assert tuple(event.context) == (3, VERIFICATION, IMPLICIT_LE)


def test_the_response_is_reported_as_dimse_sent() -> None:
    assoc, protocol = FakeAssociation(), FakeProtocol()
    sent: list[Any] = []
    assoc.registry.bind(evt.EVT_DIMSE_SENT, lambda event: sent.append(event.message))
    dispatch_request(assoc, protocol, echo_message())  # type: ignore[arg-type]
    assert sent == [protocol.sent[0][1]]


def test_dispatch_sends_a_c_echo_to_the_verification_scp() -> None:
    assoc, protocol = FakeAssociation(), FakeProtocol()
    assoc.registry.bind(evt.EVT_C_ECHO, lambda _event: 0x0001)
    dispatch_request(assoc, protocol, echo_message())  # type: ignore[arg-type]
    assert protocol.sent[0][1].Status == 0x0001


def _message(primitive: Any) -> DimseMessage:
    return DimseMessage(
        context_id=1,
        abstract_syntax="1.2.840.10008.5.1.4.1.2.2.1",
        transfer_syntax=IMPLICIT_LE,
        primitive=primitive,
        is_response=False,
        command={},
    )


def test_a_service_not_implemented_gets_unrecognized_operation(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The DIMSE-N services arrive with issue #6.
    request = N_EVENT_REPORT()
    request.MessageID = 12
    request.AffectedSOPClassUID = "1.2.840.10008.1.20.1"
    request.AffectedSOPInstanceUID = "1.2.840.10008.1.20.1.1"
    request.EventTypeID = 1
    protocol = FakeProtocol()
    dispatch_request(FakeAssociation(), protocol, _message(request))  # type: ignore[arg-type]
    [(context_id, response, is_response)] = protocol.sent
    assert (context_id, is_response) == (1, True)
    assert isinstance(response, N_EVENT_REPORT)
    assert response.MessageIDBeingRespondedTo == 12
    assert response.AffectedSOPClassUID == "1.2.840.10008.1.20.1"
    assert response.Status == UNRECOGNIZED_OPERATION == 0x0211
    assert "No service for N_EVENT_REPORT" in caplog.text
    assert not protocol.aborted


def test_a_request_without_a_response_form_aborts_instead() -> None:
    request = N_DELETE()
    request.MessageID = 3
    protocol = FakeProtocol(refuse=True)
    dispatch_request(FakeAssociation(), protocol, _message(request))  # type: ignore[arg-type]
    assert protocol.aborted
    assert protocol.sent == []


def test_a_c_cancel_with_nothing_running_is_ignored() -> None:
    request = C_CANCEL()
    request.MessageIDBeingRespondedTo = 9
    protocol = FakeProtocol()
    dispatch_request(FakeAssociation(), protocol, _message(request))  # type: ignore[arg-type]
    assert protocol.sent == []
    assert not protocol.aborted
    # Forgotten: a later request reusing Message ID 9 is not cancelled.
    assert protocol.forgotten == [9]


def test_a_dataset_with_only_a_status_sends_no_comment() -> None:
    status = Dataset()
    status.Status = 0x0000
    _protocol, response = answer(lambda _event: status)
    assert response.Status == 0x0000
    assert response.ErrorComment is None
