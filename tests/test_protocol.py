"""AssociationProtocol: UL + ACSE + DIMSE for one association, wired in memory."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from dicomnet.acse import AcceptorPolicy, build_associate_rq
from dicomnet.dimse.primitives import C_ECHO
from dicomnet.errors import AbortReason, AbortSource, LocalProtocolError
from dicomnet.presentation import build_context
from dicomnet.protocol import (
    Aborted,
    AssociationAccepted,
    AssociationProtocol,
    AssociationRejected,
    AssociationRequested,
    MessageReceived,
    ProtocolEvent,
    Released,
    ReleaseRequested,
)
from dicomnet.ul.connection import Role
from dicomnet.ul.events import TransportCloseRequested, TransportConnectRequested
from dicomnet.ul.fsm import State
from dicomnet.ul.pdu import A_ABORT, P_DATA_TF, PDV, encode_pdu

VERIFICATION = "1.2.840.10008.1.1"
CT_STORAGE = "1.2.840.10008.5.1.4.1.1.2"
OUR_UID = "1.2.826.0.1.3680043.10.1081.2"
NOW = 100.0


def rq(contexts: tuple[str, ...] = (VERIFICATION,), called: str = "SCP"):  # type: ignore[no-untyped-def]
    return build_associate_rq(
        called_ae_title=called,
        calling_ae_title="SCU",
        contexts=[build_context(uid) for uid in contexts],
        implementation_class_uid=OUR_UID,
    )


def policy(**overrides: object) -> AcceptorPolicy:
    fields: dict[str, object] = {
        "ae_title": "SCP",
        "supported_contexts": (build_context(VERIFICATION),),
        "implementation_class_uid": OUR_UID,
    }
    fields.update(overrides)
    return AcceptorPolicy(**fields)  # type: ignore[arg-type]


@dataclass
class Pair:
    """Two protocol stacks whose outputs feed each other's inputs."""

    requestor: AssociationProtocol = field(
        default_factory=lambda: AssociationProtocol(Role.REQUESTOR)
    )
    acceptor: AssociationProtocol = field(
        default_factory=lambda: AssociationProtocol(Role.ACCEPTOR)
    )

    def transfer(self) -> None:
        """Deliver bytes both ways until both outboxes are empty."""
        while True:
            to_acceptor = self.requestor.data_to_send()
            to_requestor = self.acceptor.data_to_send()
            if not to_acceptor and not to_requestor:
                return
            if to_acceptor:
                self.acceptor.receive_data(to_acceptor, NOW)
            if to_requestor:
                self.requestor.receive_data(to_requestor, NOW)

    @staticmethod
    def drain(proto: AssociationProtocol) -> list[ProtocolEvent]:
        events = []
        while (event := proto.next_event()) is not None:
            events.append(event)
        return events

    def connect(self, request=None) -> list[ProtocolEvent]:  # type: ignore[no-untyped-def]
        """Request, 'open the connection', and return the acceptor's events."""
        self.requestor.request(request or rq(), NOW)
        assert isinstance(self.requestor.next_event(), TransportConnectRequested)
        self.acceptor.transport_connected(NOW)
        self.requestor.transport_connected(NOW)
        self.transfer()
        return self.drain(self.acceptor)

    def establish(self) -> None:
        events = self.connect()
        assert isinstance(events[0], AssociationRequested)
        self.acceptor.accept(policy(), None, NOW)
        self.transfer()
        (accepted,) = [
            e for e in self.drain(self.requestor) if isinstance(e, AssociationAccepted)
        ]
        assert accepted.outcome.contexts[0].result == 0
        self.drain(self.acceptor)


def echo_request(message_id: int = 1) -> C_ECHO:
    request = C_ECHO()
    request.MessageID = message_id
    request.AffectedSOPClassUID = VERIFICATION
    return request


def test_negotiation_then_c_echo_then_release() -> None:
    pair = Pair()
    pair.establish()
    assert pair.requestor.state is State.STA6 and pair.acceptor.state is State.STA6

    pair.requestor.send_message(1, echo_request(7), response=False, now=NOW)
    pair.transfer()
    (received,) = pair.drain(pair.acceptor)
    assert isinstance(received, MessageReceived)
    assert not received.message.is_response
    assert received.message.primitive.MessageID == 7

    answer = C_ECHO()
    answer.MessageIDBeingRespondedTo = 7
    answer.AffectedSOPClassUID = VERIFICATION
    answer.Status = 0x0000
    pair.acceptor.send_message(1, answer, response=True, now=NOW)
    pair.transfer()
    (response,) = pair.drain(pair.requestor)
    assert isinstance(response, MessageReceived) and response.message.is_response
    assert response.message.primitive.Status == 0

    pair.requestor.release(NOW)
    pair.transfer()
    assert [type(e) for e in pair.drain(pair.acceptor)] == [ReleaseRequested]
    pair.acceptor.answer_release(NOW)
    pair.transfer()
    assert Released in [type(e) for e in pair.drain(pair.acceptor)]
    requestor_events = [type(e) for e in pair.drain(pair.requestor)]
    assert requestor_events == [Released, TransportCloseRequested]
    assert pair.requestor.state is State.STA1


def test_message_ids_count_up() -> None:
    pair = Pair()
    pair.establish()
    assert [pair.requestor.next_message_id() for _ in range(3)] == [1, 2, 3]


def test_rejection_by_policy_reaches_both_sides() -> None:
    pair = Pair()
    pair.connect(rq(called="SOMEONE"))
    outcome = pair.acceptor.accept(policy(require_called_aet=True), None, NOW)
    assert outcome.reject is not None
    pair.transfer()
    (ours,) = pair.drain(pair.acceptor)
    assert isinstance(ours, AssociationRejected) and not ours.by_peer
    theirs = [
        e for e in pair.drain(pair.requestor) if isinstance(e, AssociationRejected)
    ]
    assert theirs[0].by_peer
    assert (theirs[0].rj.result, theirs[0].rj.source, theirs[0].rj.reason) == (1, 1, 7)


def test_abort_is_reported_on_both_sides() -> None:
    pair = Pair()
    pair.establish()
    pair.requestor.abort(NOW)
    pair.transfer()
    (ours,) = pair.drain(pair.requestor)
    assert isinstance(ours, Aborted) and not ours.by_peer
    theirs = [e for e in pair.drain(pair.acceptor) if isinstance(e, Aborted)]
    assert theirs == [
        Aborted(
            source=AbortSource.SERVICE_USER,
            reason=0,
            by_peer=True,
            pdu=A_ABORT(source=AbortSource.SERVICE_USER, reason=0),
        )
    ]


def test_release_collision_completes_on_both_sides() -> None:
    pair = Pair()
    pair.establish()
    pair.requestor.release(NOW)
    pair.acceptor.release(NOW)
    pair.transfer()
    seen: dict[str, list[type]] = {"requestor": [], "acceptor": []}
    # Both answer their indication at once; PS3.8 7.2.2 orders the answers
    # (requestor first), so the acceptor's answer is held until Sta12.
    for _ in range(4):
        for name in ("requestor", "acceptor"):
            proto = getattr(pair, name)
            for event in pair.drain(proto):
                seen[name].append(type(event))
                if isinstance(event, ReleaseRequested):
                    assert event.collision
                    proto.answer_release(NOW)
        pair.transfer()
    assert pair.requestor.state is State.STA1
    assert pair.acceptor.state is State.STA13  # waits for the requestor's close
    assert seen["requestor"].count(Released) == 1
    assert seen["acceptor"].count(Released) == 1


def test_a_malformed_dimse_message_aborts_with_the_error_reason() -> None:
    pair = Pair()
    pair.establish()
    # A data-set fragment before any command: PS3.8 Annex E breach.
    bad = P_DATA_TF(pdvs=(PDV(1, 0x02, b"\x00" * 8),))
    pair.acceptor.receive_data(encode_pdu(bad), NOW)
    events = pair.drain(pair.acceptor)
    (aborted,) = [e for e in events if isinstance(e, Aborted)]
    assert not aborted.by_peer and aborted.error is not None
    assert aborted.source == AbortSource.SERVICE_PROVIDER
    assert (
        aborted.reason == aborted.error.abort_reason != AbortReason.REASON_NOT_SPECIFIED
    )
    pair.transfer()
    theirs = [e for e in pair.drain(pair.requestor) if isinstance(e, Aborted)]
    assert theirs and theirs[0].reason == aborted.reason


def test_calls_out_of_turn_raise_local_errors() -> None:
    proto = AssociationProtocol(Role.ACCEPTOR)
    with pytest.raises(LocalProtocolError):
        proto.accept(policy(), None, NOW)
    with pytest.raises(LocalProtocolError):
        proto.send_message(1, echo_request(), response=False, now=NOW)
    with pytest.raises(LocalProtocolError):
        proto.next_message_id()


def test_artim_expiry_closes_an_acceptor_that_never_gets_a_request() -> None:
    proto = AssociationProtocol(Role.ACCEPTOR)
    proto.transport_connected(NOW)
    deadline = proto.get_timer()
    assert deadline is not None
    proto.handle_timer(deadline - 0.001)
    assert proto.next_event() is None
    proto.handle_timer(deadline)
    assert isinstance(proto.next_event(), TransportCloseRequested)
    assert proto.state is State.STA1


def test_dimse_layer_exists_only_once_established() -> None:
    pair = Pair()
    assert pair.requestor.dimse is None
    pair.establish()
    assert pair.requestor.dimse is not None and pair.acceptor.dimse is not None


def test_a_second_bad_message_after_the_abort_is_ignored() -> None:
    pair = Pair()
    pair.establish()
    bad = encode_pdu(P_DATA_TF(pdvs=(PDV(1, 0x02, b"\x00" * 8),)))
    pair.acceptor.receive_data(bad + bad, NOW)
    aborts = [e for e in pair.drain(pair.acceptor) if isinstance(e, Aborted)]
    assert len(aborts) == 1
    assert pair.acceptor.state is State.STA13
