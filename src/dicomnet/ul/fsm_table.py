"""PS3.8 Table 9-10: the states, events and actions of the Upper Layer, and the table.

:class:`State`, :class:`Event` and :class:`Action` keep the standard's names
and carry its descriptions (PS3.8 9.2.1 and 9.2.2, Tables 9-1 to 9-10), each
written once. :data:`TRANSITIONS` is Table 9-10 transcribed cell by cell: for
each (state, event) it names the action to run; a pair absent from it is one of
the standard's blank cells. The actions themselves, and the machine that runs
them, are in :mod:`dicomnet.ul.fsm`, which re-exports all of this module.
"""

from __future__ import annotations

from enum import Enum
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["TRANSITIONS", "Action", "Event", "State"]


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
