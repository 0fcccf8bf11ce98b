"""UpperLayer: whole associations between two in-memory peers, and the plumbing."""

from __future__ import annotations

import itertools
import logging
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from dicomnet.errors import (
    AbortReason,
    LocalProtocolError,
    PDUTooLargeError,
    UnrecognizedPDUError,
)
from dicomnet.ul.connection import Role, ULConfig, UpperLayer
from dicomnet.ul.events import (
    AbortIndication,
    AssociateAccepted,
    AssociateIndication,
    AssociateRejected,
    DataIndication,
    ProviderAbortIndication,
    ReleaseConfirmation,
    ReleaseIndication,
    StateTransition,
    TransportCloseRequested,
)
from dicomnet.ul.fsm import Action, Event, State
from dicomnet.ul.items import (
    ImplementationClassUIDSubItem,
    MaximumLengthSubItem,
    UserInformationItem,
)
from dicomnet.ul.pdu import (
    A_ABORT,
    A_ASSOCIATE_RJ,
    A_RELEASE_RP,
    A_RELEASE_RQ,
    P_DATA_TF,
    PDV,
)
from tests.ul import strategies
from tests.ul.conftest import ARTIM, Driver, FakeClock, PDUFactory, ULPair

ESTABLISHED = [
    State.STA3,
    State.STA5,
    State.STA6,
    State.STA7,
    State.STA8,
    State.STA9,
    State.STA10,
    State.STA11,
    State.STA12,
]


# -- association establishment -------------------------------------------------------


def test_associate_and_accept(pair, pdus):
    rq = pdus.rq(max_length=4096)
    pair.requestor.send(rq, pair.clock.now)
    assert pair.requestor.state is State.STA4
    pair.pump()
    assert pair.acceptor.state is State.STA3
    assert pair.acceptor_events == [AssociateIndication(pdu=rq)]
    assert pair.acceptor.get_timer() is None  # AE-6 stopped ARTIM
    assert pair.acceptor.peer_max_pdu_length == 4096
    ac = pdus.ac(max_length=8192)
    pair.acceptor.send(ac, pair.clock.now)
    pair.pump()
    assert pair.requestor.state is State.STA6
    assert pair.acceptor.state is State.STA6
    assert pair.requestor_events == [AssociateAccepted(pdu=ac)]
    assert pair.requestor.peer_max_pdu_length == 8192


def test_associate_and_reject(pair, pdus):
    pair.requestor.send(pdus.rq(), pair.clock.now)
    pair.pump()
    rj = A_ASSOCIATE_RJ(result=2, source=3, reason=1)
    pair.acceptor.send(rj, pair.clock.now)
    assert pair.acceptor.state is State.STA13
    assert pair.acceptor.get_timer() == pair.clock.now + ARTIM
    pair.pump()
    # AE-4: confirmation (reject) and the requestor closes; the acceptor's
    # Sta13 ends with the close (AR-5), its ARTIM stopped.
    assert pair.requestor_events == [AssociateRejected(pdu=rj)]
    assert pair.closed_by is Role.REQUESTOR
    assert pair.requestor.state is State.STA1
    assert pair.acceptor.state is State.STA1
    assert pair.acceptor.get_timer() is None
    assert pair.acceptor_events == [AssociateIndication(pdu=pdus.rq())]


def test_unacceptable_request_is_rejected_by_the_provider(clock, pdus, drive):
    ul = drive.to(State.STA2, clock)
    now = clock.advance(2.0)
    ul.receive_data(pdus.wire(pdus.rq(protocol_version=2)), now)
    # AE-6 "otherwise": A-ASSOCIATE-RJ with the codec's reject code, ARTIM on.
    assert ul.state is State.STA13
    (rj,) = pdus.decode_all(ul.data_to_send())
    assert rj == A_ASSOCIATE_RJ(result=1, source=2, reason=2)
    assert ul.get_timer() == now + ARTIM
    assert ul.next_event() is None


def test_unacceptable_request_in_sta6_is_an_unexpected_pdu(clock, pdus, drive):
    ul = drive.to(State.STA6, clock)
    ul.receive_data(pdus.wire(pdus.rq(protocol_version=2)), clock.now)
    assert ul.state is State.STA13
    assert pdus.decode_all(ul.data_to_send()) == [A_ABORT(source=2, reason=2)]
    (indication,) = drive.drain(ul)
    assert indication.reason == AbortReason.UNEXPECTED_PDU


def test_acceptor_cannot_request(clock, pdus):
    ul = UpperLayer(Role.ACCEPTOR)
    with pytest.raises(LocalProtocolError, match="requestor"):
        ul.send(pdus.rq(), clock.now)
    assert ul.state is State.STA1


def test_requestor_sends_the_request_given_with_evt1(clock, pdus):
    ul = UpperLayer(Role.REQUESTOR)
    rq = pdus.rq(max_length=1234)
    ul.send(rq, clock.now)
    assert ul.data_to_send() == b""  # nothing to send before the transport
    ul.transport_connected(clock.now)
    assert pdus.decode_all(ul.data_to_send()) == [rq]


def test_transport_connect_failure_is_a_provider_abort(clock, pdus):
    ul = UpperLayer(Role.REQUESTOR)
    ul.send(pdus.rq(), clock.now)
    ul.receive_data(b"", clock.now)  # the connect attempt failed
    assert ul.state is State.STA1
    assert [type(e) for e in iter(ul.next_event, None)][-1] is ProviderAbortIndication


def test_abort_while_connecting_just_closes(clock, pdus):
    ul = UpperLayer(Role.REQUESTOR)
    ul.send(pdus.rq(), clock.now)
    Driver.drain(ul)
    ul.send(pdus.abort(), clock.now)
    assert ul.state is State.STA1
    assert ul.data_to_send() == b""
    assert Driver.drain(ul) == [TransportCloseRequested()]


# -- data transfer -------------------------------------------------------------------


def test_p_data_both_ways(pair, pdus):
    pair.associate()
    to_acceptor = pdus.pdata(1000)
    to_requestor = P_DATA_TF(pdvs=(PDV(1, 0x01, b"command"), PDV(1, 0x02, b"data set")))
    pair.requestor.send(to_acceptor, pair.clock.now)
    pair.acceptor.send(to_requestor, pair.clock.now)
    pair.pump()
    (received,) = pair.acceptor_events
    assert isinstance(received, DataIndication)
    assert [bytes(p.data) for p in received.pdu.pdvs] == [
        bytes(to_acceptor.pdvs[0].data)
    ]
    (received,) = pair.requestor_events
    assert isinstance(received, DataIndication)
    assert [(p.context_id, p.message_control_header) for p in received.pdu.pdvs] == [
        (1, 0x01),
        (1, 0x02),
    ]
    assert [bytes(p.data) for p in received.pdu.pdvs] == [b"command", b"data set"]


def test_p_data_indication_does_not_copy_the_payload(clock, pdus, drive):
    ul = drive.to(State.STA6, clock)
    chunk = pdus.wire(pdus.pdata(5000))
    ul.receive_data(chunk, clock.now)
    (indication,) = drive.drain(ul)
    data = indication.pdu.pdvs[0].data
    assert isinstance(data, memoryview)
    assert data.obj is chunk  # a view of the bytes received, not a copy


def test_several_pdus_in_one_read(clock, pdus, drive):
    ul = drive.to(State.STA6, clock, Role.ACCEPTOR)
    ul.receive_data(pdus.wire(pdus.pdata()) + pdus.wire(A_RELEASE_RQ()), clock.now)
    events = drive.drain(ul)
    assert [type(e) for e in events] == [DataIndication, ReleaseIndication]
    assert ul.state is State.STA8


def test_pdus_split_anywhere_give_the_same_events(clock, pdus, drive):
    stream = pdus.wire(pdus.pdata(300)) + pdus.wire(A_RELEASE_RQ())
    ul = drive.to(State.STA6, clock, Role.ACCEPTOR)
    for i in range(len(stream)):
        ul.receive_data(stream[i : i + 1], clock.now)
    events = drive.drain(ul)
    assert [type(e) for e in events] == [DataIndication, ReleaseIndication]
    assert bytes(events[0].pdu.pdvs[0].data) == bytes(pdus.pdata(300).pdvs[0].data)


@given(cuts=st.lists(st.integers(0, 400), max_size=8))
def test_any_split_of_the_stream_gives_the_same_events(cuts):
    clock = FakeClock()
    pdus = PDUFactory()
    stream = pdus.wire(pdus.pdata(300)) + pdus.wire(A_RELEASE_RQ())
    ul = Driver().to(State.STA6, clock, Role.ACCEPTOR)
    bounds = [0, *sorted(c % (len(stream) + 1) for c in cuts), len(stream)]
    for start, end in itertools.pairwise(bounds):
        if end > start:  # b"" would be the transport closing
            ul.receive_data(stream[start:end], clock.now)
    assert [type(e) for e in Driver.drain(ul)] == [DataIndication, ReleaseIndication]
    assert ul.state is State.STA8


def test_sent_p_data_must_fit_the_peer_maximum(clock, pdus):
    pair = ULPair(clock)
    pair.requestor.send(pdus.rq(max_length=1000), clock.now)
    pair.pump()
    pair.acceptor.send(pdus.ac(max_length=100), clock.now)
    pair.pump()
    # A PDV item is 6 bytes of header plus its fragment (PS3.8 9.3.5.1).
    pair.requestor.send(pdus.pdata(94), clock.now)
    assert len(pair.requestor.data_to_send()) == 6 + 100
    with pytest.raises(LocalProtocolError, match="maximum"):
        pair.requestor.send(pdus.pdata(95), clock.now)
    assert pair.requestor.state is State.STA6
    assert pair.requestor.data_to_send() == b""
    # The acceptor obeys the requestor's maximum from the A-ASSOCIATE-RQ.
    pair.acceptor.send(pdus.pdata(994), clock.now)
    with pytest.raises(LocalProtocolError):
        pair.acceptor.send(pdus.pdata(995), clock.now)


@pytest.mark.parametrize("max_length", [0, None])
def test_no_peer_maximum_means_no_limit(clock, pdus, max_length):
    pair = ULPair(clock)
    pair.requestor.send(pdus.rq(), clock.now)
    pair.pump()
    pair.acceptor.send(pdus.ac(max_length=max_length), clock.now)
    pair.pump()
    pair.requestor.send(pdus.pdata(100_000), clock.now)
    assert len(pair.requestor.data_to_send()) == 6 + 6 + 100_000


def test_peer_maximum_is_found_among_other_sub_items(clock, pdus):
    # PS3.7 D.3.3: sub-items come in any order; the maximum length sub-item
    # (PS3.8 D.1) is found wherever it is.
    rq = replace(
        pdus.rq(),
        user_information=UserInformationItem(
            sub_items=(
                ImplementationClassUIDSubItem(implementation_class_uid="1.2.3"),
                MaximumLengthSubItem(maximum_length_received=2048),
            )
        ),
    )
    pair = ULPair(clock)
    pair.requestor.send(rq, clock.now)
    pair.pump()
    assert pair.acceptor.peer_max_pdu_length == 2048


def test_p_data_over_our_maximum_is_aborted(clock, pdus, drive):
    config = ULConfig(artim_timeout=ARTIM, max_pdu_length=100)
    ul = drive.to(State.STA6, clock, config=config)
    ul.receive_data(pdus.wire(pdus.pdata(94)), clock.now)
    assert ul.state is State.STA6
    ul.receive_data(pdus.wire(pdus.pdata(95)), clock.now)
    assert ul.state is State.STA13
    assert pdus.decode_all(ul.data_to_send()) == [A_ABORT(source=2, reason=6)]


def test_empty_p_data_is_refused(clock, drive):
    ul = drive.to(State.STA6, clock)
    with pytest.raises(LocalProtocolError):
        ul.send(P_DATA_TF(pdvs=()), clock.now)
    assert ul.state is State.STA6


# -- release -------------------------------------------------------------------------


def test_release(pair):
    pair.associate()
    pair.requestor.send(A_RELEASE_RQ(), pair.clock.now)
    pair.pump()
    assert pair.acceptor_events == [ReleaseIndication(collision=False)]
    assert pair.acceptor.state is State.STA8
    pair.acceptor.send(A_RELEASE_RP(), pair.clock.now)
    assert pair.acceptor.get_timer() == pair.clock.now + ARTIM  # AR-4
    pair.pump()
    assert pair.requestor_events == [ReleaseConfirmation()]
    assert pair.closed_by is Role.REQUESTOR  # AR-3 closes
    assert pair.requestor.state is State.STA1
    assert pair.acceptor.state is State.STA1
    assert pair.acceptor.get_timer() is None  # AR-5


def test_data_while_releasing(pair, pdus):
    pair.associate()
    pair.requestor.send(A_RELEASE_RQ(), pair.clock.now)
    pair.pump()
    # Sta8: the acceptor may still send P-DATA (AR-7); Sta7 indicates it (AR-6).
    pair.acceptor.send(pdus.pdata(), pair.clock.now)
    pair.pump()
    assert [type(e) for e in pair.requestor_events] == [DataIndication]
    assert pair.requestor.state is State.STA7
    assert pair.acceptor.state is State.STA8


def test_release_collision(pair):
    pair.associate()
    pair.requestor.send(A_RELEASE_RQ(), pair.clock.now)
    pair.acceptor.send(A_RELEASE_RQ(), pair.clock.now)
    pair.pump()
    # AR-8: both indicate the collision; the requestor answers first.
    assert pair.requestor.state is State.STA9
    assert pair.acceptor.state is State.STA10
    assert pair.requestor_events == [ReleaseIndication(collision=True)]
    assert pair.acceptor_events == [ReleaseIndication(collision=True)]
    with pytest.raises(LocalProtocolError):
        pair.acceptor.send(A_RELEASE_RP(), pair.clock.now)  # Sta10: not yet
    pair.requestor.send(A_RELEASE_RP(), pair.clock.now)  # AR-9
    assert pair.requestor.state is State.STA11
    pair.pump()
    assert pair.acceptor.state is State.STA12  # AR-10
    assert pair.acceptor_events[-1] == ReleaseConfirmation()
    pair.acceptor.send(A_RELEASE_RP(), pair.clock.now)  # AR-4
    assert pair.acceptor.state is State.STA13
    pair.pump()
    assert pair.requestor_events[-1] == ReleaseConfirmation()  # AR-3
    assert pair.closed_by is Role.REQUESTOR
    assert pair.requestor.state is State.STA1
    assert pair.acceptor.state is State.STA1


# -- abort ---------------------------------------------------------------------------


@pytest.mark.parametrize("aborter", [Role.REQUESTOR, Role.ACCEPTOR])
def test_abort(pair, pdus, aborter):
    pair.associate()
    ul = pair.requestor if aborter is Role.REQUESTOR else pair.acceptor
    other = pair.peer(ul)
    ul.send(pdus.abort(), pair.clock.now)
    assert ul.state is State.STA13
    assert ul.get_timer() == pair.clock.now + ARTIM
    pair.pump()
    assert pair.events(other) == [AbortIndication(source=0, reason=0)]
    assert pair.closed_by is other.role  # AA-3 closes
    assert other.state is State.STA1
    assert ul.state is State.STA1  # AR-5 on the close
    assert pair.events(ul) == []


def test_provider_abort_from_the_peer(clock, pdus, drive):
    ul = drive.to(State.STA6, clock)
    ul.receive_data(pdus.wire(pdus.abort(source=2, reason=4)), clock.now)
    assert drive.drain(ul) == [
        ProviderAbortIndication(reason=4, error=None, pdu=A_ABORT(source=2, reason=4)),
        TransportCloseRequested(),
    ]
    assert ul.state is State.STA1


def test_user_abort_is_sent_as_given(clock, pdus, drive):
    ul = drive.to(State.STA6, clock)
    ul.send(pdus.abort(source=2, reason=1), clock.now)
    assert pdus.decode_all(ul.data_to_send()) == [A_ABORT(source=2, reason=1)]


# -- ARTIM ---------------------------------------------------------------------------


def test_artim_expiry_waiting_for_the_request(clock, drive):
    ul = drive.to(State.STA2, clock)
    deadline = ul.get_timer()
    assert deadline == clock.now + ARTIM
    ul.handle_timer(deadline - 0.001)
    assert ul.state is State.STA2
    assert ul.next_event() is None
    ul.handle_timer(clock.advance(ARTIM))
    assert ul.state is State.STA1
    assert drive.drain(ul) == [TransportCloseRequested()]
    assert ul.get_timer() is None
    assert ul.data_to_send() == b""


def test_artim_expiry_after_rejecting(clock, pdus, drive):
    ul = drive.to(State.STA3, clock)
    ul.send(pdus.rj(), clock.now)
    ul.data_to_send()
    ul.handle_timer(clock.advance(ARTIM + 5))
    assert ul.state is State.STA1
    assert drive.drain(ul) == [TransportCloseRequested()]


def test_artim_expiry_after_aborting(pair, pdus):
    pair.associate()
    pair.requestor.send(pdus.abort(), pair.clock.now)
    pair.requestor.data_to_send()  # lost: the acceptor never hears of it
    pair.requestor.handle_timer(pair.clock.advance(ARTIM))
    assert pair.requestor.state is State.STA1
    assert Driver.drain(pair.requestor) == [TransportCloseRequested()]


def test_pdus_in_sta13_are_ignored_and_the_timer_keeps_running(clock, pdus, drive):
    ul = drive.to(State.STA13, clock)
    deadline = ul.get_timer()
    ul.receive_data(pdus.wire(pdus.pdata()) + pdus.wire(A_RELEASE_RQ()), clock.now)
    assert ul.state is State.STA13
    assert ul.data_to_send() == b""
    assert ul.next_event() is None
    assert ul.get_timer() == deadline


# -- the transport closing -----------------------------------------------------------


@pytest.mark.parametrize("state", ESTABLISHED, ids=lambda s: s.value)
def test_peer_closes_the_transport(clock, drive, state):
    ul = drive.to(state, clock)
    ul.receive_data(b"", clock.now)
    assert ul.state is State.STA1
    assert drive.drain(ul) == [ProviderAbortIndication(reason=0, error=None)]  # AA-4
    assert ul.data_to_send() == b""


def test_peer_closes_in_sta2(clock, drive):
    ul = drive.to(State.STA2, clock)
    ul.receive_data(b"", clock.now)
    assert ul.state is State.STA1  # AA-5
    assert ul.get_timer() is None
    assert ul.next_event() is None


def test_bytes_after_the_close_are_dropped(clock, pdus, drive):
    ul = drive.to(State.STA7, clock)
    ul.receive_data(pdus.wire(A_RELEASE_RP()) + pdus.unknown, clock.now)
    assert ul.state is State.STA1
    assert [type(e) for e in drive.drain(ul)] == [
        ReleaseConfirmation,
        TransportCloseRequested,
    ]
    ul.receive_data(pdus.wire(pdus.pdata()), clock.now)
    ul.receive_data(b"", clock.now)
    assert ul.state is State.STA1
    assert ul.next_event() is None
    assert ul.data_to_send() == b""


def test_bytes_before_the_connection_are_refused(clock, pdus):
    ul = UpperLayer(Role.REQUESTOR)
    ul.send(pdus.rq(), clock.now)
    with pytest.raises(LocalProtocolError):
        ul.receive_data(pdus.wire(pdus.ac()), clock.now)
    assert ul.state is State.STA4


def test_a_new_connection_after_sta1(clock, pdus, drive):
    ul = drive.to(State.STA2, clock)
    ul.receive_data(pdus.wire(pdus.rq())[:20], clock.now)  # half a request
    ul.receive_data(b"", clock.now)
    assert ul.state is State.STA1
    ul.transport_connected(clock.now)
    ul.receive_data(pdus.wire(pdus.rq()), clock.now)
    assert ul.state is State.STA3


# -- invalid bytes -------------------------------------------------------------------


def test_garbage_in_sta2(clock, drive, pdus):
    ul = drive.to(State.STA2, clock)
    now = clock.advance(3.0)
    ul.receive_data(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", now)
    # AA-1: A-ABORT (service-user source, PS3.8 Table 9-9), ARTIM restarted.
    assert ul.state is State.STA13
    assert pdus.decode_all(ul.data_to_send()) == [A_ABORT(source=0, reason=0)]
    assert ul.get_timer() == now + ARTIM
    assert ul.next_event() is None
    ul.receive_data(b"more garbage", now)  # the stream cannot be framed: dropped
    assert ul.data_to_send() == b""
    ul.receive_data(b"", now)
    assert ul.state is State.STA1  # AR-5


def test_garbage_in_sta6(clock, drive, pdus):
    ul = drive.to(State.STA6, clock)
    ul.receive_data(b"\x00garbage", clock.now)
    assert ul.state is State.STA13
    assert pdus.decode_all(ul.data_to_send()) == [A_ABORT(source=2, reason=1)]
    (indication,) = drive.drain(ul)
    assert indication.reason == AbortReason.UNRECOGNIZED_PDU
    assert isinstance(indication.error, UnrecognizedPDUError)


def test_garbage_after_a_valid_pdu_in_the_same_read(clock, drive, pdus):
    ul = drive.to(State.STA6, clock)
    ul.receive_data(pdus.wire(pdus.pdata()) + b"\xff\x00", clock.now)
    events = drive.drain(ul)
    assert [type(e) for e in events] == [DataIndication, ProviderAbortIndication]
    assert events[1].reason == AbortReason.UNRECOGNIZED_PDU
    assert pdus.decode_all(ul.data_to_send()) == [A_ABORT(source=2, reason=1)]


def test_invalid_pdu_in_sta13_is_answered_with_an_abort(clock, drive, pdus):
    ul = drive.to(State.STA13, clock)
    ul.receive_data(pdus.invalid, clock.now)
    # AA-7: the PDU was well framed, so later PDUs are still read.
    assert pdus.decode_all(ul.data_to_send()) == [A_ABORT(source=2, reason=6)]
    ul.receive_data(pdus.wire(pdus.rq()), clock.now)
    assert pdus.decode_all(ul.data_to_send()) == [A_ABORT(source=2, reason=2)]
    assert ul.next_event() is None
    assert ul.state is State.STA13


@pytest.mark.parametrize("pdu_type", [0x01, 0x04])
def test_oversized_pdu_aborts_after_its_header(clock, drive, pdus, pdu_type):
    ul = drive.to(State.STA6, clock)
    header = bytes([pdu_type, 0]) + b"\xff\xff\xff\xff"
    for byte in header[:5]:
        ul.receive_data(bytes([byte]), clock.now)
    assert ul.state is State.STA6
    ul.receive_data(header[5:], clock.now)
    assert ul.state is State.STA13
    assert pdus.decode_all(ul.data_to_send()) == [A_ABORT(source=2, reason=6)]
    (indication,) = drive.drain(ul)
    assert isinstance(indication.error, PDUTooLargeError)
    ul.receive_data(bytes(1000), clock.now)  # the promised 4 GiB: dropped
    assert ul.data_to_send() == b""


def test_oversized_request_in_sta2(clock, drive, pdus):
    ul = drive.to(State.STA2, clock)
    ul.receive_data(b"\x01\x00\xff\xff\xff\xff", clock.now)
    assert ul.state is State.STA13  # AA-1
    assert pdus.decode_all(ul.data_to_send()) == [A_ABORT(source=0, reason=0)]


# -- the plumbing --------------------------------------------------------------------


def test_transition_reports_can_be_switched_on_mid_association(clock, pdus):
    ul = UpperLayer(Role.ACCEPTOR)
    assert ul.report_transitions is False
    ul.transport_connected(clock.now)
    assert Driver.drain(ul) == []  # Sta1 -> Sta2 went unreported
    ul.report_transitions = True
    assert ul.report_transitions is True
    ul.receive_data(pdus.wire(pdus.rq()), clock.now)
    events = [e for e in Driver.drain(ul) if isinstance(e, StateTransition)]
    assert [(e.current_state, e.next_state) for e in events] == [
        (State.STA2, State.STA3)
    ]


def test_state_transitions_are_reported_in_order(clock, pdus):
    ul = UpperLayer(Role.ACCEPTOR, ULConfig(report_transitions=True))
    ul.transport_connected(clock.now)
    ul.receive_data(pdus.wire(pdus.rq()), clock.now)
    events = Driver.drain(ul)
    assert events == [
        StateTransition(
            current_state=State.STA1,
            event=Event.EVT5,
            action=Action.AE_5,
            next_state=State.STA2,
        ),
        StateTransition(
            current_state=State.STA2,
            event=Event.EVT6,
            action=Action.AE_6,
            next_state=State.STA3,
        ),
        AssociateIndication(pdu=pdus.rq()),
    ]


def test_transitions_are_logged_at_debug(clock, caplog):
    caplog.set_level(logging.DEBUG, logger="dicomnet.ul.fsm")
    ul = UpperLayer(Role.ACCEPTOR)
    ul.transport_connected(clock.now)
    assert "Sta1 + Evt5 -> AE-5 -> Sta2" in caplog.text


def test_refused_primitive_changes_nothing(clock, pdus, drive):
    ul = drive.to(State.STA6, clock)
    with pytest.raises(LocalProtocolError, match=r"Evt7 .* Sta6"):
        ul.send(pdus.ac(), clock.now)
    assert ul.state is State.STA6
    assert ul.data_to_send() == b""
    assert ul.next_event() is None


def test_send_refuses_what_is_not_a_pdu(clock):
    ul = UpperLayer(Role.REQUESTOR)
    with pytest.raises(LocalProtocolError):
        ul.send(object(), clock.now)  # type: ignore[arg-type]


def test_defaults():
    ul = UpperLayer(Role.REQUESTOR)
    assert ul.role is Role.REQUESTOR
    assert ul.state is State.STA1
    assert ul.get_timer() is None
    assert ul.next_event() is None
    assert ul.data_to_send() == b""
    assert ul.peer_max_pdu_length == 0
    assert ULConfig() == ULConfig(
        artim_timeout=30.0,
        max_pdu_length=16382,
        max_association_pdu_length=1 << 20,
        report_transitions=False,
    )


# -- random inputs -------------------------------------------------------------------


class RandomInputs(RuleBasedStateMachine):
    """Any sequence of inputs: only LocalProtocolError escapes, and a refused
    input changes nothing; the ARTIM deadline exists only in Sta2 and Sta13."""

    @initialize(role=st.sampled_from(Role))
    def start(self, role):
        self.now = 0.0
        self.ul = UpperLayer(role, ULConfig(artim_timeout=ARTIM))

    def _try(self, call, *args):
        state = self.ul.state
        try:
            call(*args, self.now)
        except LocalProtocolError:
            assert self.ul.state is state
            assert self.ul.data_to_send() == b""

    @rule()
    def connect(self):
        self._try(self.ul.transport_connected)

    @rule(pdu=strategies.pdus())
    def send(self, pdu):
        self._try(self.ul.send, pdu)

    @rule(pdu=strategies.pdus(), split=st.integers(0, 20))
    def receive(self, pdu, split):
        data = PDUFactory.wire(pdu)
        self._try(self.ul.receive_data, data[:split])
        if data[split:]:
            self._try(self.ul.receive_data, data[split:])

    @rule(data=st.binary(min_size=1, max_size=40))
    def receive_garbage(self, data):
        self._try(self.ul.receive_data, data)

    @rule()
    def close(self):
        self._try(self.ul.receive_data, b"")

    @precondition(lambda self: self.ul.get_timer() is not None)
    @rule()
    def expire(self):
        deadline = self.ul.get_timer()
        assert deadline is not None
        self.now = deadline
        self.ul.handle_timer(self.now)

    @rule(seconds=st.floats(0, 60))
    def wait(self, seconds):
        self.now += seconds
        self.ul.handle_timer(self.now)

    @invariant()
    def consistent(self):
        assert self.ul.state in State
        if self.ul.get_timer() is not None:
            assert self.ul.state in {State.STA2, State.STA13}
        self.ul.data_to_send()
        while self.ul.next_event() is not None:
            pass


TestRandomInputs = RandomInputs.TestCase
# 30 runs of 25 steps: every rule runs hundreds of times per session, in any
# state; test_fsm covers each cell of Table 9-10 deterministically.
TestRandomInputs.settings = settings(max_examples=30, stateful_step_count=25)


def test_data_to_send_parts_hand_out_the_payload_uncopied(pair: ULPair) -> None:
    from dicomnet.ul.pdu import P_DATA_TF as _P_DATA_TF
    from dicomnet.ul.pdu import PDV as _PDV

    pair.associate()
    payload = memoryview(bytes(range(256)) * 32)
    pair.requestor.send(_P_DATA_TF(pdvs=(_PDV(1, 0x02, payload),)), 0.0)
    parts = pair.requestor.data_to_send_parts()
    assert any(part is payload for part in parts)
    assert pair.requestor.data_to_send_parts() == []
    pair.requestor.send(_P_DATA_TF(pdvs=(_PDV(1, 0x02, payload),)), 0.0)
    assert pair.requestor.data_to_send() == b"".join(bytes(p) for p in parts)


def test_malformed_release_request_is_a_provider_abort(clock, drive):
    # A whole PDU that frames but does not decode (an A-RELEASE-RQ whose body
    # is not the four reserved bytes of PS3.8 9.3.6) is Evt19: AA-8 answers
    # A-ABORT (provider, invalid parameter value) and the ARTIM timer starts.
    ul = drive.to(State.STA6, clock)
    ul.receive_data(b"\x05\x00\x00\x00\x00\x06" + bytes(6), clock.now)
    assert ul.state is State.STA13
    (indication,) = drive.drain(ul)
    assert isinstance(indication, ProviderAbortIndication)
    assert indication.reason == AbortReason.INVALID_PDU_PARAMETER_VALUE
    assert ul.data_to_send() == b"\x07\x00\x00\x00\x00\x04\x00\x00\x02\x06"
