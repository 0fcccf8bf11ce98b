"""The DICOM Upper Layer state machine (PS3.8 9.2).

:data:`TRANSITIONS` is PS3.8 Table 9-10, transcribed cell by cell: for each
(state, event) it names the action to run. Each action (PS3.8 9.2.2, Tables
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
from dicomnet.ul.items import MaximumLengthSubItem, UserInformationItem
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
]

_LOGGER = logging.getLogger(__name__)

_T = TypeVar("_T")


class Role(Enum):
    """Which end of the association this Upper Layer is (PS3.8 7.1)."""

    REQUESTOR = "requestor"
    ACCEPTOR = "acceptor"


class State(str, Enum):
    """The thirteen states of PS3.8 9.2.1 (Tables 9-1 to 9-5)."""

    STA1 = "Sta1"
    STA2 = "Sta2"
    STA3 = "Sta3"
    STA4 = "Sta4"
    STA5 = "Sta5"
    STA6 = "Sta6"
    STA7 = "Sta7"
    STA8 = "Sta8"
    STA9 = "Sta9"
    STA10 = "Sta10"
    STA11 = "Sta11"
    STA12 = "Sta12"
    STA13 = "Sta13"

    @property
    def description(self) -> str:
        """The state's definition in PS3.8 9.2.1."""
        return _STATE_DESCRIPTIONS[self]


class Event(str, Enum):
    """The nineteen events of PS3.8 Table 9-10."""

    EVT1 = "Evt1"
    EVT2 = "Evt2"
    EVT3 = "Evt3"
    EVT4 = "Evt4"
    EVT5 = "Evt5"
    EVT6 = "Evt6"
    EVT7 = "Evt7"
    EVT8 = "Evt8"
    EVT9 = "Evt9"
    EVT10 = "Evt10"
    EVT11 = "Evt11"
    EVT12 = "Evt12"
    EVT13 = "Evt13"
    EVT14 = "Evt14"
    EVT15 = "Evt15"
    EVT16 = "Evt16"
    EVT17 = "Evt17"
    EVT18 = "Evt18"
    EVT19 = "Evt19"

    @property
    def description(self) -> str:
        """The event's name in PS3.8 Table 9-10."""
        return _EVENT_DESCRIPTIONS[self]


class Action(str, Enum):
    """The actions of PS3.8 9.2.2 (Tables 9-6 to 9-9)."""

    AE_1 = "AE-1"
    AE_2 = "AE-2"
    AE_3 = "AE-3"
    AE_4 = "AE-4"
    AE_5 = "AE-5"
    AE_6 = "AE-6"
    AE_7 = "AE-7"
    AE_8 = "AE-8"
    DT_1 = "DT-1"
    DT_2 = "DT-2"
    AR_1 = "AR-1"
    AR_2 = "AR-2"
    AR_3 = "AR-3"
    AR_4 = "AR-4"
    AR_5 = "AR-5"
    AR_6 = "AR-6"
    AR_7 = "AR-7"
    AR_8 = "AR-8"
    AR_9 = "AR-9"
    AR_10 = "AR-10"
    AA_1 = "AA-1"
    AA_2 = "AA-2"
    AA_3 = "AA-3"
    AA_4 = "AA-4"
    AA_5 = "AA-5"
    AA_6 = "AA-6"
    AA_7 = "AA-7"
    AA_8 = "AA-8"

    @property
    def description(self) -> str:
        """The action's definition in PS3.8 9.2.2, next state included."""
        return _ACTION_DESCRIPTIONS[self]


_STATE_DESCRIPTIONS: Final[Mapping[State, str]] = MappingProxyType(
    {
        State.STA1: "Idle",
        State.STA2: "Transport connection open (Awaiting A-ASSOCIATE-RQ PDU)",
        State.STA3: ("Awaiting local A-ASSOCIATE response primitive (from local user)"),
        State.STA4: (
            "Awaiting transport connection opening to complete "
            "(from local transport service)"
        ),
        State.STA5: "Awaiting A-ASSOCIATE-AC or A-ASSOCIATE-RJ PDU",
        State.STA6: "Association established and ready for data transfer",
        State.STA7: "Awaiting A-RELEASE-RP PDU",
        State.STA8: "Awaiting local A-RELEASE response primitive (from local user)",
        State.STA9: (
            "Release collision requestor side; "
            "awaiting A-RELEASE response (from local user)"
        ),
        State.STA10: ("Release collision acceptor side; awaiting A-RELEASE-RP PDU"),
        State.STA11: ("Release collision requestor side; awaiting A-RELEASE-RP PDU"),
        State.STA12: (
            "Release collision acceptor side; "
            "awaiting A-RELEASE response primitive (from local user)"
        ),
        State.STA13: (
            "Awaiting Transport Connection Close Indication "
            "(Association no longer exists)"
        ),
    }
)

_EVENT_DESCRIPTIONS: Final[Mapping[Event, str]] = MappingProxyType(
    {
        Event.EVT1: "A-ASSOCIATE Request (local user)",
        Event.EVT2: "Transport Conn. Confirm (local transport service)",
        Event.EVT3: "A-ASSOCIATE-AC PDU (received on transport connection)",
        Event.EVT4: "A-ASSOCIATE-RJ PDU (received on transport connection)",
        Event.EVT5: "Transport Connection Indication (local transport service)",
        Event.EVT6: "A-ASSOCIATE-RQ PDU (received on transport connection)",
        Event.EVT7: "A-ASSOCIATE response primitive (accept)",
        Event.EVT8: "A-ASSOCIATE response primitive (reject)",
        Event.EVT9: "P-DATA request primitive",
        Event.EVT10: "P-DATA-TF PDU",
        Event.EVT11: "A-RELEASE Request primitive",
        Event.EVT12: "A-RELEASE-RQ PDU (received on open transport connection)",
        Event.EVT13: "A-RELEASE-RP PDU (received on transport connection)",
        Event.EVT14: "A-RELEASE Response primitive",
        Event.EVT15: "A-ABORT Request primitive",
        Event.EVT16: "A-ABORT PDU (received on open transport connection)",
        Event.EVT17: "Transport connection closed indication (local transport service)",
        Event.EVT18: "ARTIM timer expired (Association reject/release timer)",
        Event.EVT19: "Unrecognized or invalid PDU received",
    }
)

_ACTION_DESCRIPTIONS: Final[Mapping[Action, str]] = MappingProxyType(
    {
        Action.AE_1: (
            "Issue TRANSPORT CONNECT request primitive to local transport "
            "service; next state is Sta4"
        ),
        Action.AE_2: "Send A-ASSOCIATE-RQ-PDU; next state is Sta5",
        Action.AE_3: (
            "Issue A-ASSOCIATE confirmation (accept) primitive; next state is Sta6"
        ),
        Action.AE_4: (
            "Issue A-ASSOCIATE confirmation (reject) primitive and close "
            "transport connection; next state is Sta1"
        ),
        Action.AE_5: (
            "Issue Transport connection response primitive; start ARTIM timer; "
            "next state is Sta2"
        ),
        Action.AE_6: (
            "Stop ARTIM timer and if A-ASSOCIATE-RQ acceptable by "
            "service-provider: issue A-ASSOCIATE indication primitive, next "
            "state is Sta3; otherwise: issue A-ASSOCIATE-RJ-PDU and start ARTIM "
            "timer, next state is Sta13"
        ),
        Action.AE_7: "Send A-ASSOCIATE-AC PDU; next state is Sta6",
        Action.AE_8: (
            "Send A-ASSOCIATE-RJ PDU and start ARTIM timer; next state is Sta13"
        ),
        Action.DT_1: "Send P-DATA-TF PDU; next state is Sta6",
        Action.DT_2: "Send P-DATA indication primitive; next state is Sta6",
        Action.AR_1: "Send A-RELEASE-RQ PDU; next state is Sta7",
        Action.AR_2: "Issue A-RELEASE indication primitive; next state is Sta8",
        Action.AR_3: (
            "Issue A-RELEASE confirmation primitive, and close transport "
            "connection; next state is Sta1"
        ),
        Action.AR_4: (
            "Issue A-RELEASE-RP PDU and start ARTIM timer; next state is Sta13"
        ),
        Action.AR_5: "Stop ARTIM timer; next state is Sta1",
        Action.AR_6: "Issue P-DATA indication; next state is Sta7",
        Action.AR_7: "Issue P-DATA-TF PDU; next state is Sta8",
        Action.AR_8: (
            "Issue A-RELEASE indication (release collision): if "
            "association-requestor, next state is Sta9; if not, next state is "
            "Sta10"
        ),
        Action.AR_9: "Send A-RELEASE-RP PDU; next state is Sta11",
        Action.AR_10: ("Issue A-RELEASE confirmation primitive; next state is Sta12"),
        Action.AA_1: (
            "Send A-ABORT PDU (service-user source) and start (or restart if "
            "already started) ARTIM timer; next state is Sta13"
        ),
        Action.AA_2: (
            "Stop ARTIM timer if running. Close transport connection; next "
            "state is Sta1"
        ),
        Action.AA_3: (
            "If (service-user initiated abort): issue A-ABORT indication and "
            "close transport connection; otherwise (service-provider "
            "initiated abort): issue A-P-ABORT indication and close transport "
            "connection; next state is Sta1"
        ),
        Action.AA_4: "Issue A-P-ABORT indication primitive; next state is Sta1",
        Action.AA_5: "Stop ARTIM timer; next state is Sta1",
        Action.AA_6: "Ignore PDU; next state is Sta13",
        Action.AA_7: "Send A-ABORT PDU; next state is Sta13",
        Action.AA_8: (
            "Send A-ABORT PDU (service-provider source), issue an A-P-ABORT "
            "indication, and start ARTIM timer; next state is Sta13"
        ),
    }
)

_S = State
_E = Event
_A = Action

#: PS3.8 Table 9-10, one line per non-blank cell, in the table's row order.
TRANSITIONS: Final[Mapping[tuple[State, Event], Action]] = MappingProxyType(
    {
        # Evt1: A-ASSOCIATE request (local user)
        (_S.STA1, _E.EVT1): _A.AE_1,
        # Evt2: transport connect confirmation (local transport service)
        (_S.STA4, _E.EVT2): _A.AE_2,
        # Evt3: A-ASSOCIATE-AC PDU received
        (_S.STA2, _E.EVT3): _A.AA_1,
        (_S.STA3, _E.EVT3): _A.AA_8,
        (_S.STA5, _E.EVT3): _A.AE_3,
        (_S.STA6, _E.EVT3): _A.AA_8,
        (_S.STA7, _E.EVT3): _A.AA_8,
        (_S.STA8, _E.EVT3): _A.AA_8,
        (_S.STA9, _E.EVT3): _A.AA_8,
        (_S.STA10, _E.EVT3): _A.AA_8,
        (_S.STA11, _E.EVT3): _A.AA_8,
        (_S.STA12, _E.EVT3): _A.AA_8,
        (_S.STA13, _E.EVT3): _A.AA_6,
        # Evt4: A-ASSOCIATE-RJ PDU received
        (_S.STA2, _E.EVT4): _A.AA_1,
        (_S.STA3, _E.EVT4): _A.AA_8,
        (_S.STA5, _E.EVT4): _A.AE_4,
        (_S.STA6, _E.EVT4): _A.AA_8,
        (_S.STA7, _E.EVT4): _A.AA_8,
        (_S.STA8, _E.EVT4): _A.AA_8,
        (_S.STA9, _E.EVT4): _A.AA_8,
        (_S.STA10, _E.EVT4): _A.AA_8,
        (_S.STA11, _E.EVT4): _A.AA_8,
        (_S.STA12, _E.EVT4): _A.AA_8,
        (_S.STA13, _E.EVT4): _A.AA_6,
        # Evt5: transport connection indication (local transport service)
        (_S.STA1, _E.EVT5): _A.AE_5,
        # Evt6: A-ASSOCIATE-RQ PDU received
        (_S.STA2, _E.EVT6): _A.AE_6,
        (_S.STA3, _E.EVT6): _A.AA_8,
        (_S.STA5, _E.EVT6): _A.AA_8,
        (_S.STA6, _E.EVT6): _A.AA_8,
        (_S.STA7, _E.EVT6): _A.AA_8,
        (_S.STA8, _E.EVT6): _A.AA_8,
        (_S.STA9, _E.EVT6): _A.AA_8,
        (_S.STA10, _E.EVT6): _A.AA_8,
        (_S.STA11, _E.EVT6): _A.AA_8,
        (_S.STA12, _E.EVT6): _A.AA_8,
        (_S.STA13, _E.EVT6): _A.AA_7,
        # Evt7: A-ASSOCIATE response primitive (accept)
        (_S.STA3, _E.EVT7): _A.AE_7,
        # Evt8: A-ASSOCIATE response primitive (reject)
        (_S.STA3, _E.EVT8): _A.AE_8,
        # Evt9: P-DATA request primitive
        (_S.STA6, _E.EVT9): _A.DT_1,
        (_S.STA8, _E.EVT9): _A.AR_7,
        # Evt10: P-DATA-TF PDU received
        (_S.STA2, _E.EVT10): _A.AA_1,
        (_S.STA3, _E.EVT10): _A.AA_8,
        (_S.STA5, _E.EVT10): _A.AA_8,
        (_S.STA6, _E.EVT10): _A.DT_2,
        (_S.STA7, _E.EVT10): _A.AR_6,
        (_S.STA8, _E.EVT10): _A.AA_8,
        (_S.STA9, _E.EVT10): _A.AA_8,
        (_S.STA10, _E.EVT10): _A.AA_8,
        (_S.STA11, _E.EVT10): _A.AA_8,
        (_S.STA12, _E.EVT10): _A.AA_8,
        (_S.STA13, _E.EVT10): _A.AA_6,
        # Evt11: A-RELEASE request primitive
        (_S.STA6, _E.EVT11): _A.AR_1,
        # Evt12: A-RELEASE-RQ PDU received
        (_S.STA2, _E.EVT12): _A.AA_1,
        (_S.STA3, _E.EVT12): _A.AA_8,
        (_S.STA5, _E.EVT12): _A.AA_8,
        (_S.STA6, _E.EVT12): _A.AR_2,
        (_S.STA7, _E.EVT12): _A.AR_8,
        (_S.STA8, _E.EVT12): _A.AA_8,
        (_S.STA9, _E.EVT12): _A.AA_8,
        (_S.STA10, _E.EVT12): _A.AA_8,
        (_S.STA11, _E.EVT12): _A.AA_8,
        (_S.STA12, _E.EVT12): _A.AA_8,
        (_S.STA13, _E.EVT12): _A.AA_6,
        # Evt13: A-RELEASE-RP PDU received
        (_S.STA2, _E.EVT13): _A.AA_1,
        (_S.STA3, _E.EVT13): _A.AA_8,
        (_S.STA5, _E.EVT13): _A.AA_8,
        (_S.STA6, _E.EVT13): _A.AA_8,
        (_S.STA7, _E.EVT13): _A.AR_3,
        (_S.STA8, _E.EVT13): _A.AA_8,
        (_S.STA9, _E.EVT13): _A.AA_8,
        (_S.STA10, _E.EVT13): _A.AR_10,
        (_S.STA11, _E.EVT13): _A.AR_3,
        (_S.STA12, _E.EVT13): _A.AA_8,
        (_S.STA13, _E.EVT13): _A.AA_6,
        # Evt14: A-RELEASE response primitive
        (_S.STA8, _E.EVT14): _A.AR_4,
        (_S.STA9, _E.EVT14): _A.AR_9,
        (_S.STA12, _E.EVT14): _A.AR_4,
        # Evt15: A-ABORT request primitive
        (_S.STA3, _E.EVT15): _A.AA_1,
        (_S.STA4, _E.EVT15): _A.AA_2,
        (_S.STA5, _E.EVT15): _A.AA_1,
        (_S.STA6, _E.EVT15): _A.AA_1,
        (_S.STA7, _E.EVT15): _A.AA_1,
        (_S.STA8, _E.EVT15): _A.AA_1,
        (_S.STA9, _E.EVT15): _A.AA_1,
        (_S.STA10, _E.EVT15): _A.AA_1,
        (_S.STA11, _E.EVT15): _A.AA_1,
        (_S.STA12, _E.EVT15): _A.AA_1,
        # Evt16: A-ABORT PDU received
        (_S.STA2, _E.EVT16): _A.AA_2,
        (_S.STA3, _E.EVT16): _A.AA_3,
        (_S.STA5, _E.EVT16): _A.AA_3,
        (_S.STA6, _E.EVT16): _A.AA_3,
        (_S.STA7, _E.EVT16): _A.AA_3,
        (_S.STA8, _E.EVT16): _A.AA_3,
        (_S.STA9, _E.EVT16): _A.AA_3,
        (_S.STA10, _E.EVT16): _A.AA_3,
        (_S.STA11, _E.EVT16): _A.AA_3,
        (_S.STA12, _E.EVT16): _A.AA_3,
        (_S.STA13, _E.EVT16): _A.AA_2,
        # Evt17: transport connection closed indication
        (_S.STA2, _E.EVT17): _A.AA_5,
        (_S.STA3, _E.EVT17): _A.AA_4,
        (_S.STA4, _E.EVT17): _A.AA_4,
        (_S.STA5, _E.EVT17): _A.AA_4,
        (_S.STA6, _E.EVT17): _A.AA_4,
        (_S.STA7, _E.EVT17): _A.AA_4,
        (_S.STA8, _E.EVT17): _A.AA_4,
        (_S.STA9, _E.EVT17): _A.AA_4,
        (_S.STA10, _E.EVT17): _A.AA_4,
        (_S.STA11, _E.EVT17): _A.AA_4,
        (_S.STA12, _E.EVT17): _A.AA_4,
        (_S.STA13, _E.EVT17): _A.AR_5,
        # Evt18: ARTIM timer expired
        (_S.STA2, _E.EVT18): _A.AA_2,
        (_S.STA13, _E.EVT18): _A.AA_2,
        # Evt19: unrecognized or invalid PDU received
        (_S.STA2, _E.EVT19): _A.AA_1,
        (_S.STA3, _E.EVT19): _A.AA_8,
        (_S.STA5, _E.EVT19): _A.AA_8,
        (_S.STA6, _E.EVT19): _A.AA_8,
        (_S.STA7, _E.EVT19): _A.AA_8,
        (_S.STA8, _E.EVT19): _A.AA_8,
        (_S.STA9, _E.EVT19): _A.AA_8,
        (_S.STA10, _E.EVT19): _A.AA_8,
        (_S.STA11, _E.EVT19): _A.AA_8,
        (_S.STA12, _E.EVT19): _A.AA_8,
        (_S.STA13, _E.EVT19): _A.AA_7,
    }
)

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
    if state is State.STA4:
        raise LocalProtocolError("data received before the transport connected")
    return state is not State.STA1


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
        machine.emit(ProviderAbortIndication(reason=pdu.reason))
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
