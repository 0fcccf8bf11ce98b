"""The DICOM Upper Layer state machine (PS3.8 9.2).

:data:`TRANSITIONS` is PS3.8 Table 9-10, transcribed cell by cell in
:mod:`dicomnet.ul.fsm_table` with the :class:`State`, :class:`Event` and
:class:`Action` enums, and re-exported here: for each (state, event) it names
the action to run. This module runs it. Each action (PS3.8 9.2.2, Tables
9-6 to 9-9) is a function of the :class:`Machine` and the event's payload that
queues PDUs and events, starts or stops the ARTIM timer and returns the next
state, so the next state lives in one place only. A pair absent from the table
is one of the standard's blank cells: the event cannot happen in that state,
and :func:`fire` raises :class:`~dicomnet.errors.LocalProtocolError`.

Nothing here reads a clock or touches a socket: ``now`` comes in as an
argument and the ARTIM timer is a deadline the caller watches.
"""

from __future__ import annotations

import logging
from collections import deque
from enum import Enum
from types import MappingProxyType
from typing import TYPE_CHECKING, Final, TypeVar

from dicomnet.errors import (
    AbortReason,
    AbortSource,
    LocalProtocolError,
    ProtocolError,
    RemoteProtocolError,
    UnexpectedPDUError,
)
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
    TransportConnectRequested,
    ULEvent,
)
from dicomnet.ul.fsm_table import TRANSITIONS, Action, Event, State
from dicomnet.ul.pdu import (
    A_ABORT,
    A_ASSOCIATE_AC,
    A_ASSOCIATE_RJ,
    A_ASSOCIATE_RQ,
    A_RELEASE_RP,
    A_RELEASE_RQ,
    P_DATA_TF,
    PDU,
    encode_p_data_tf_parts,
    encode_pdu,
)
from dicomnet.ul.user_information import MaximumLengthSubItem, UserInformationItem

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

__all__ = [
    "TRANSITIONS",
    "Action",
    "Event",
    "Machine",
    "Payload",
    "Role",
    "State",
    "accepts_data",
    "fire",
    "fire_data_indication",
    "fire_data_request",
]

_LOGGER = logging.getLogger(__name__)

_T = TypeVar("_T")


class Role(Enum):
    """Which end of the association this Upper Layer is (PS3.8 7.1)."""

    REQUESTOR = "requestor"
    ACCEPTOR = "acceptor"


#: What an event carries: the PDU received or to send, the protocol error of
#: an invalid PDU (Evt19) or of an unacceptable A-ASSOCIATE-RQ (Evt6), or
#: nothing (transport and timer events).
Payload = PDU | ProtocolError | None

#: Events caused by the peer or the transport rather than by the local user.
_RECEIVED_EVENTS: Final = frozenset(
    {
        Event.EVT3,
        Event.EVT4,
        Event.EVT6,
        Event.EVT10,
        Event.EVT12,
        Event.EVT13,
        Event.EVT16,
        Event.EVT17,
        Event.EVT19,
    }
)


# The states the per-PDU functions test, as module constants: reading an
# enum member as ``State.STA6`` costs ~130 ns on CPython 3.11 (a class
# attribute lookup through EnumType), a module global ~17 ns, and these run
# for every P-DATA-TF (measured with timeit; bench/README.md, fourth session).
_STA1: Final = State.STA1
_STA4: Final = State.STA4
_STA6: Final = State.STA6
_DEBUG: Final = logging.DEBUG
_new_object: Final = object.__new__
_set_pdu: Final[Callable[[DataIndication, P_DATA_TF], None]] = DataIndication.__dict__[
    "pdu"
].__set__


def accepts_data(state: State) -> bool:
    """Whether bytes received in ``state`` are to be read as PDUs (PS3.8 9.2.1).

    In Sta1 there is no transport connection: bytes a driver still reports
    after the Upper Layer closed it belong to no association and are dropped
    (``False``). In Sta4 the connection is not open yet, so bytes cannot have
    arrived on it.

    Raises
    ------
    LocalProtocolError
        In Sta4: the driver must call ``transport_connected`` first.
    """
    if state is _STA4:
        raise LocalProtocolError("data received before the transport connected")
    return state is not _STA1


class Machine:
    """What the actions act on: state, outbox, event queue and ARTIM deadline.

    Parameters
    ----------
    role:
        Association-requestor or acceptor: AR-8 depends on it (PS3.8 9.2.2).
    artim_timeout:
        ARTIM duration in seconds (PS3.8 9.1.5); ``None`` never sets a deadline.
    report_transitions:
        Emit a :class:`~dicomnet.ul.events.StateTransition` for each step.
    """

    __slots__ = (
        "artim_deadline",
        "artim_timeout",
        "events",
        "now",
        "outbox",
        "peer_max_pdu_length",
        "report_transitions",
        "requested",
        "role",
        "state",
    )

    def __init__(
        self,
        role: Role,
        *,
        artim_timeout: float | None = None,
        report_transitions: bool = False,
    ) -> None:
        self.role = role
        self.artim_timeout = artim_timeout
        self.report_transitions = report_transitions
        self.state = State.STA1
        self.now = 0.0
        self.artim_deadline: float | None = None
        self.outbox: list[bytes | memoryview] = []
        self.events: deque[ULEvent] = deque()
        # The A-ASSOCIATE request of Evt1, kept until AE-2 sends it.
        self.requested: A_ASSOCIATE_RQ | None = None
        # The peer's Maximum Length Received (PS3.8 D.1); 0 means no limit.
        self.peer_max_pdu_length = 0

    def send_pdu(self, pdu: PDU) -> None:
        """Encode ``pdu`` onto the outbox (P-DATA-TFs go through DT-1/AR-7)."""
        self.outbox.append(encode_pdu(pdu))

    def emit(self, event: ULEvent) -> None:
        """Queue ``event`` for the user."""
        self.events.append(event)

    def start_artim(self) -> None:
        """Start, or restart, the ARTIM timer (PS3.8 9.1.5)."""
        if self.artim_timeout is None:
            self.artim_deadline = None
        else:
            self.artim_deadline = self.now + self.artim_timeout

    def stop_artim(self) -> None:
        """Stop the ARTIM timer if it is running."""
        self.artim_deadline = None


def fire(machine: Machine, event: Event, payload: Payload, now: float) -> None:
    """Run the action PS3.8 Table 9-10 names for ``event`` in the current state.

    Parameters
    ----------
    machine:
        The state machine to step.
    event:
        What happened.
    payload:
        What the event carries (see :data:`Payload`).
    now:
        The caller's clock, for the ARTIM deadline.

    Raises
    ------
    LocalProtocolError
        The cell is blank: the local user or driver asked for something that
        cannot happen in this state, or the action refused the payload (for
        instance a P-DATA-TF above the peer's maximum length). Nothing changed.
    """
    current = machine.state
    step = _STEPS.get((current, event))
    if step is None:
        if current is State.STA1 and event in _RECEIVED_EVENTS:
            # PS3.8 9.2.1: Sta1 has no transport connection, so bytes or a
            # close the driver still reports after the UL closed it belong to
            # no association; they are dropped, as TCP would drop them.
            _LOGGER.debug("%s in Sta1 ignored: no transport connection", event.value)
            return
        raise LocalProtocolError(
            f"{event.value} ({event.description}) is not valid in "
            f"{current.value} ({current.description})"
        )
    action, run = step
    machine.now = now
    mark = len(machine.events)
    machine.state = next_state = run(machine, payload)
    if machine.report_transitions:
        # Reported before the events the action queued, as it happened first.
        machine.events.insert(
            mark,
            StateTransition(
                current_state=current,
                event=event,
                action=action,
                next_state=next_state,
            ),
        )
    if _LOGGER.isEnabledFor(logging.DEBUG):
        _LOGGER.debug(
            "%s + %s -> %s -> %s",
            current.value,
            event.value,
            action.value,
            next_state.value,
        )


def fire_data_indication(machine: Machine, pdu: P_DATA_TF, now: float) -> None:
    """Evt10 (a P-DATA-TF received): ``fire(machine, Event.EVT10, pdu, now)``.

    The hot path of every received P-DATA-TF. In Sta6 the cell is DT-2 and the
    next state Sta6 (PS3.8 Table 9-10), so when no transition is reported or
    logged the action runs without the table lookup; in any other case, and in
    any other state, it is :func:`fire` itself.
    """
    if (
        machine.state is not _STA6
        or machine.report_transitions
        or _LOGGER.isEnabledFor(_DEBUG)
    ):
        fire(machine, Event.EVT10, pdu, now)
        return
    machine.now = now
    # DT-2: DataIndication(pdu=pdu), built as ul.pdu builds P_DATA_TF on this
    # path (see ul.pdu._new_object).
    indication: DataIndication = _new_object(DataIndication)
    _set_pdu(indication, pdu)
    machine.events.append(indication)


def fire_data_request(machine: Machine, pdu: P_DATA_TF, now: float) -> None:
    """Evt9 (P-DATA request): ``fire(machine, Event.EVT9, pdu, now)``.

    The hot path of every P-DATA-TF sent. In Sta6 the cell is DT-1 and the
    next state Sta6 (PS3.8 Table 9-10), so when no transition is reported or
    logged the action runs without the table lookup; in any other case, and in
    any other state, it is :func:`fire` itself.

    Raises
    ------
    LocalProtocolError
        As :func:`fire`: not allowed in this state, or longer than the peer
        accepts. Nothing has changed.
    """
    if (
        machine.state is not _STA6
        or machine.report_transitions
        or _LOGGER.isEnabledFor(_DEBUG)
    ):
        fire(machine, Event.EVT9, pdu, now)
        return
    machine.now = now
    _send_data(machine, pdu)  # DT-1


# --- payload helpers ------------------------------------------------------------


def _expect(kind: type[_T], payload: Payload) -> _T:
    """Return ``payload`` if it is a ``kind``; the event wiring guarantees it."""
    if not isinstance(payload, kind):
        raise LocalProtocolError(
            f"expected {kind.__name__}, got {type(payload).__name__}"
        )
    return payload


def _max_length(user_information: UserInformationItem) -> int:
    """Return the Maximum Length Received of a user information item (PS3.8 D.1).

    An absent sub-item is read as 0, no limit: there is then nothing to obey.
    """
    for sub_item in user_information.sub_items:
        if isinstance(sub_item, MaximumLengthSubItem):
            return sub_item.maximum_length_received
    return 0


def _send_data(machine: Machine, pdu: P_DATA_TF) -> None:
    """Send a P-DATA-TF, refusing one the peer cannot receive (PS3.8 D.1)."""
    parts = encode_p_data_tf_parts(pdu.pdvs)
    # The PDU-length field of the header (PS3.8 9.3.5) is what the peer's
    # Maximum Length Received bounds.
    length = int.from_bytes(parts[0][2:6], "big")
    limit = machine.peer_max_pdu_length
    if limit and length > limit:
        raise LocalProtocolError(
            f"P-DATA-TF of length {length} exceeds the peer's maximum length of {limit}"
        )
    # Header and PDV parts go out as they are: no payload copy here.
    machine.outbox.extend(parts)


def _abort_cause(machine: Machine, payload: Payload) -> ProtocolError:
    """Why AA-7/AA-8 abort: the invalid PDU's error, or an unexpected PDU.

    An unacceptable A-ASSOCIATE-RQ (an error with ``reject``) outside Sta2 is
    an A-ASSOCIATE-RQ all the same: unexpected (PS3.8 9.3.8 reason 2).
    """
    if isinstance(payload, RemoteProtocolError) and payload.reject is None:
        return payload
    name = type(payload).__name__ if isinstance(payload, PDU) else "A_ASSOCIATE_RQ"
    return UnexpectedPDUError(f"{name} PDU unexpected in {machine.state.value}")


def _provider_abort(error: ProtocolError) -> A_ABORT:
    """Build the service-provider's A-ABORT PDU for ``error`` (PS3.8 9.3.8)."""
    return A_ABORT(source=AbortSource.SERVICE_PROVIDER, reason=error.abort_reason)


# --- association establishment: PS3.8 Table 9-6 -----------------------------------


def _ae_1(machine: Machine, payload: Payload) -> State:
    machine.requested = _expect(A_ASSOCIATE_RQ, payload)
    machine.emit(TransportConnectRequested())
    return State.STA4


def _ae_2(machine: Machine, _payload: Payload) -> State:
    machine.send_pdu(_expect(A_ASSOCIATE_RQ, machine.requested))
    machine.requested = None
    return State.STA5


def _ae_3(machine: Machine, payload: Payload) -> State:
    pdu = _expect(A_ASSOCIATE_AC, payload)
    machine.peer_max_pdu_length = _max_length(pdu.user_information)
    machine.emit(AssociateAccepted(pdu=pdu))
    return State.STA6


def _ae_4(machine: Machine, payload: Payload) -> State:
    machine.emit(AssociateRejected(pdu=_expect(A_ASSOCIATE_RJ, payload)))
    machine.emit(TransportCloseRequested())
    return State.STA1


def _ae_5(machine: Machine, _payload: Payload) -> State:
    # The transport connection response is the driver's accept(); ARTIM now
    # bounds the wait for the A-ASSOCIATE-RQ (PS3.8 9.1.2).
    machine.start_artim()
    return State.STA2


def _ae_6(machine: Machine, payload: Payload) -> State:
    machine.stop_artim()
    if isinstance(payload, ProtocolError) and payload.reject is not None:
        # Not acceptable to the service-provider (PS3.8 9.3.4, source 2 or 3).
        code = payload.reject
        machine.send_pdu(
            A_ASSOCIATE_RJ(result=code.result, source=code.source, reason=code.reason)
        )
        machine.start_artim()
        return State.STA13
    pdu = _expect(A_ASSOCIATE_RQ, payload)
    machine.peer_max_pdu_length = _max_length(pdu.user_information)
    machine.emit(AssociateIndication(pdu=pdu))
    return State.STA3


def _ae_7(machine: Machine, payload: Payload) -> State:
    machine.send_pdu(_expect(A_ASSOCIATE_AC, payload))
    return State.STA6


def _ae_8(machine: Machine, payload: Payload) -> State:
    machine.send_pdu(_expect(A_ASSOCIATE_RJ, payload))
    machine.start_artim()
    return State.STA13


# --- data transfer: PS3.8 Table 9-7 -----------------------------------------------


def _dt_1(machine: Machine, payload: Payload) -> State:
    _send_data(machine, _expect(P_DATA_TF, payload))
    return State.STA6


def _dt_2(machine: Machine, payload: Payload) -> State:
    machine.emit(DataIndication(pdu=_expect(P_DATA_TF, payload)))
    return State.STA6


# --- association release: PS3.8 Table 9-8 -----------------------------------------


def _ar_1(machine: Machine, payload: Payload) -> State:
    machine.send_pdu(_expect(A_RELEASE_RQ, payload))
    return State.STA7


def _ar_2(machine: Machine, _payload: Payload) -> State:
    machine.emit(ReleaseIndication(collision=False))
    return State.STA8


def _ar_3(machine: Machine, _payload: Payload) -> State:
    machine.emit(ReleaseConfirmation())
    machine.emit(TransportCloseRequested())
    return State.STA1


def _ar_4(machine: Machine, payload: Payload) -> State:
    machine.send_pdu(_expect(A_RELEASE_RP, payload))
    # The requestor closes the transport on receiving the A-RELEASE-RP (AR-3);
    # ARTIM bounds the wait for that close (PS3.8 9.1.5).
    machine.start_artim()
    return State.STA13


def _ar_5(machine: Machine, _payload: Payload) -> State:
    machine.stop_artim()
    return State.STA1


def _ar_6(machine: Machine, payload: Payload) -> State:
    machine.emit(DataIndication(pdu=_expect(P_DATA_TF, payload)))
    return State.STA7


def _ar_7(machine: Machine, payload: Payload) -> State:
    _send_data(machine, _expect(P_DATA_TF, payload))
    return State.STA8


def _ar_8(machine: Machine, _payload: Payload) -> State:
    machine.emit(ReleaseIndication(collision=True))
    # PS3.8 7.2.2 release collision: the requestor answers first.
    return State.STA9 if machine.role is Role.REQUESTOR else State.STA10


def _ar_9(machine: Machine, payload: Payload) -> State:
    machine.send_pdu(_expect(A_RELEASE_RP, payload))
    return State.STA11


def _ar_10(machine: Machine, _payload: Payload) -> State:
    machine.emit(ReleaseConfirmation())
    return State.STA12


# --- association abort: PS3.8 Table 9-9 -------------------------------------------


def _aa_1(machine: Machine, payload: Payload) -> State:
    if isinstance(payload, A_ABORT):
        # Evt15: the local user's A-ABORT request, sent as given.
        machine.send_pdu(payload)
    else:
        # Sta2, something other than an A-ASSOCIATE-RQ arrived: AA-1 names the
        # service-user as source, and PS3.8 9.3.8 then sends reason 0.
        machine.send_pdu(A_ABORT(source=AbortSource.SERVICE_USER, reason=0))
        _LOGGER.debug("Sta2: aborting on %r", payload)
    machine.start_artim()
    return State.STA13


def _aa_2(machine: Machine, _payload: Payload) -> State:
    machine.stop_artim()
    machine.emit(TransportCloseRequested())
    return State.STA1


def _aa_3(machine: Machine, payload: Payload) -> State:
    pdu = _expect(A_ABORT, payload)
    if pdu.source == AbortSource.SERVICE_USER:
        machine.emit(AbortIndication(source=pdu.source, reason=pdu.reason))
    else:
        machine.emit(ProviderAbortIndication(reason=pdu.reason, pdu=pdu))
    machine.emit(TransportCloseRequested())
    return State.STA1


def _aa_4(machine: Machine, _payload: Payload) -> State:
    # PS3.8 7.4.1: a transport failure has no PDU reason; "not specified".
    machine.emit(ProviderAbortIndication(reason=AbortReason.REASON_NOT_SPECIFIED))
    return State.STA1


def _aa_5(machine: Machine, _payload: Payload) -> State:
    machine.stop_artim()
    return State.STA1


def _aa_6(_machine: Machine, _payload: Payload) -> State:
    return State.STA13


def _aa_7(machine: Machine, payload: Payload) -> State:
    # Sta13: the association is gone, so there is no one to indicate to.
    machine.send_pdu(_provider_abort(_abort_cause(machine, payload)))
    return State.STA13


def _aa_8(machine: Machine, payload: Payload) -> State:
    error = _abort_cause(machine, payload)
    machine.send_pdu(_provider_abort(error))
    machine.emit(ProviderAbortIndication(reason=error.abort_reason, error=error))
    machine.start_artim()
    return State.STA13


_ACTIONS: Final[Mapping[Action, Callable[[Machine, Payload], State]]] = (
    MappingProxyType(
        {
            Action.AE_1: _ae_1,
            Action.AE_2: _ae_2,
            Action.AE_3: _ae_3,
            Action.AE_4: _ae_4,
            Action.AE_5: _ae_5,
            Action.AE_6: _ae_6,
            Action.AE_7: _ae_7,
            Action.AE_8: _ae_8,
            Action.DT_1: _dt_1,
            Action.DT_2: _dt_2,
            Action.AR_1: _ar_1,
            Action.AR_2: _ar_2,
            Action.AR_3: _ar_3,
            Action.AR_4: _ar_4,
            Action.AR_5: _ar_5,
            Action.AR_6: _ar_6,
            Action.AR_7: _ar_7,
            Action.AR_8: _ar_8,
            Action.AR_9: _ar_9,
            Action.AR_10: _ar_10,
            Action.AA_1: _aa_1,
            Action.AA_2: _aa_2,
            Action.AA_3: _aa_3,
            Action.AA_4: _aa_4,
            Action.AA_5: _aa_5,
            Action.AA_6: _aa_6,
            Action.AA_7: _aa_7,
            Action.AA_8: _aa_8,
        }
    )
)

# One dict lookup per event on the hot path: the action and its function.
_STEPS: Final[
    dict[tuple[State, Event], tuple[Action, Callable[[Machine, Payload], State]]]
] = {cell: (action, _ACTIONS[action]) for cell, action in TRANSITIONS.items()}
