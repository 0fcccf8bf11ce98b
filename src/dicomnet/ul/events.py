"""Events the Upper Layer hands to its user (PS3.8 7, 9.2).

:class:`~dicomnet.ul.connection.UpperLayer` reports what happened as these
objects, in order, through ``next_event()``. Each indication or confirmation is
named after the PS3.8 service primitive it stands for (PS3.8 7.1 to 7.6); the
transport requests are what the state machine asks of the local transport
service (PS3.8 9.1, actions AE-1, AE-4, AR-3, AA-2 and AA-3), which the sans-I/O
core cannot do itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dicomnet.errors import ProtocolError
    from dicomnet.ul.fsm_table import Action, Event, State
    from dicomnet.ul.pdu import (
        A_ABORT,
        A_ASSOCIATE_AC,
        A_ASSOCIATE_RJ,
        A_ASSOCIATE_RQ,
        P_DATA_TF,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class AssociateIndication:
    """A-ASSOCIATE indication: the peer asks for an association (AE-6).

    Answer with ``send(A_ASSOCIATE_AC(...))`` or ``send(A_ASSOCIATE_RJ(...))``.
    """

    pdu: A_ASSOCIATE_RQ


@dataclass(frozen=True, slots=True, kw_only=True)
class AssociateAccepted:
    """A-ASSOCIATE confirmation (accept): the peer accepted our request (AE-3)."""

    pdu: A_ASSOCIATE_AC


@dataclass(frozen=True, slots=True, kw_only=True)
class AssociateRejected:
    """A-ASSOCIATE confirmation (reject): the peer rejected our request (AE-4)."""

    pdu: A_ASSOCIATE_RJ


@dataclass(frozen=True, slots=True, kw_only=True)
class DataIndication:
    """P-DATA indication (DT-2, AR-6).

    The PDVs of ``pdu`` are views of the received bytes, not copies.
    """

    pdu: P_DATA_TF


@dataclass(frozen=True, slots=True, kw_only=True)
class ReleaseIndication:
    """A-RELEASE indication: the peer asks to release the association.

    ``collision`` is true when both sides asked at once (AR-8, PS3.8 7.2.2);
    answer with ``send(A_RELEASE_RP())`` either way.
    """

    collision: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ReleaseConfirmation:
    """A-RELEASE confirmation: the peer answered our release request (AR-3, AR-10)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AbortIndication:
    """A-ABORT indication: the peer's service-user aborted (AA-3, PS3.8 7.3)."""

    source: int
    reason: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ProviderAbortIndication:
    """A-P-ABORT indication: the association ended abnormally (PS3.8 7.4).

    Raised by AA-3 (an A-ABORT from the peer's service-provider), AA-4 (the
    transport connection closed) and AA-8 (we received an unexpected or invalid
    PDU and aborted). ``reason`` is the PS3.8 7.4.1 provider reason, which uses
    the A-ABORT PDU values of :class:`dicomnet.errors.AbortReason`; ``error``
    is the protocol error we detected, if any.
    """

    reason: int
    error: ProtocolError | None = None
    #: The A-ABORT PDU received, for AA-3 (``None`` for AA-4 and AA-8).
    pdu: A_ABORT | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TransportConnectRequested:
    """AE-1: open the transport connection, then call ``transport_connected``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TransportCloseRequested:
    """Close the transport connection (AE-4, AR-3, AA-2, AA-3).

    Send what ``data_to_send()`` still holds before closing.
    """


@dataclass(frozen=True, slots=True, kw_only=True)
class StateTransition:
    """One step of the state machine, emitted only when the config asks for it."""

    current_state: State
    event: Event
    action: Action
    next_state: State


ULEvent = (
    AssociateIndication
    | AssociateAccepted
    | AssociateRejected
    | DataIndication
    | ReleaseIndication
    | ReleaseConfirmation
    | AbortIndication
    | ProviderAbortIndication
    | TransportConnectRequested
    | TransportCloseRequested
    | StateTransition
)
"""Any event :meth:`~dicomnet.ul.connection.UpperLayer.next_event` returns."""
