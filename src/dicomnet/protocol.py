"""One association's whole protocol stack, without I/O: UL + ACSE + DIMSE.

:class:`AssociationProtocol` stacks association negotiation (:mod:`dicomnet.acse`)
and the DIMSE message layer (:mod:`dicomnet.dimse`) on the Upper Layer state
machine (:class:`~dicomnet.ul.connection.UpperLayer`). Drivers touch only this
object: it has the :class:`~dicomnet.transport.sync.SansIOConnection` shape
(bytes and ``now`` in; bytes, events and deadlines out), and the API ring answers
its events with calls (house style 2)::

    proto = AssociationProtocol(Role.ACCEPTOR, ProtocolConfig())
    proto.transport_connected(now)
    proto.receive_data(data, now)
    while (event := proto.next_event()) is not None:
        if isinstance(event, AssociationRequested):
            proto.accept(policy, decisions, now)
        elif isinstance(event, MessageReceived):
            proto.send_message(context_id, response, response=True, now=now)

It never calls user code and reads no clock. Peer errors detected above the
Upper Layer (a malformed A-ASSOCIATE-AC, a DIMSE message that breaks PS3.7)
abort the association with the A-ABORT their exception names (PS3.8 9.3.8),
exactly as the Upper Layer does for malformed PDUs.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field
from itertools import islice
from typing import TYPE_CHECKING, Final

from dicomnet.acse import (
    AcceptorOutcome,
    AcceptorPolicy,
    NegotiationDecisions,
    RequestorOutcome,
    negotiate_acceptor,
    negotiate_requestor,
)
from dicomnet.dimse.connection import DimseConnection, DimseMessage
from dicomnet.dimse.primitives import C_CANCEL
from dicomnet.errors import (
    AbortSource,
    LocalProtocolError,
    ProtocolError,
    RemoteProtocolError,
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
    TransportConnectRequested,
)
from dicomnet.ul.fsm import State
from dicomnet.ul.pdu import (
    A_ABORT,
    A_ASSOCIATE_RJ,
    A_ASSOCIATE_RQ,
    A_RELEASE_RP,
    A_RELEASE_RQ,
    P_DATA_TF,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import BinaryIO

    from dicomnet.dimse.fragments import SinkFactory
    from dicomnet.dimse.primitives import DimsePrimitive
    from dicomnet.ul.events import ULEvent
    from dicomnet.ul.pdu import A_ASSOCIATE_AC

__all__ = [
    "Aborted",
    "AssociationAccepted",
    "AssociationProtocol",
    "AssociationRejected",
    "AssociationRequested",
    "MessageReceived",
    "PDataReceived",
    "PDataSent",
    "ProtocolConfig",
    "ProtocolEvent",
    "ReleaseRequested",
    "Released",
]

_LOGGER = logging.getLogger(__name__)

#: PDUs of a streamed data set produced per :meth:`data_to_send_parts` call:
#: enough to keep the socket busy, few enough that a large file never sits in
#: memory (at most this many PDUs' worth, plus the fragmenter's read chunk).
_STREAM_BATCH: Final = 64


@dataclass(frozen=True, slots=True, kw_only=True)
class ProtocolConfig:
    """Settings of one :class:`AssociationProtocol`.

    Attributes
    ----------
    ul:
        The Upper Layer settings (ARTIM, our Maximum Length Received).
    sink_factory:
        Where received data sets go (:mod:`dicomnet.dimse.fragments`);
        ``None`` keeps them in memory.
    """

    ul: ULConfig = field(default_factory=ULConfig)
    sink_factory: SinkFactory | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AssociationRequested:
    """A peer asks for an association (A-ASSOCIATE indication, acceptor only).

    Answer with :meth:`AssociationProtocol.accept` or
    :meth:`AssociationProtocol.reject`.
    """

    rq: A_ASSOCIATE_RQ


@dataclass(frozen=True, slots=True, kw_only=True)
class AssociationAccepted:
    """The association is established (A-ASSOCIATE confirmation or response).

    ``outcome`` is the negotiation result of our side: an
    :class:`~dicomnet.acse.AcceptorOutcome` for an acceptor, a
    :class:`~dicomnet.acse.RequestorOutcome` for a requestor.
    """

    outcome: AcceptorOutcome | RequestorOutcome
    ac: A_ASSOCIATE_AC


@dataclass(frozen=True, slots=True, kw_only=True)
class AssociationRejected:
    """The association was rejected (A-ASSOCIATE-RJ sent or received)."""

    rj: A_ASSOCIATE_RJ
    by_peer: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageReceived:
    """A whole DIMSE message arrived (PS3.7 6.3)."""

    message: DimseMessage


@dataclass(frozen=True, slots=True, kw_only=True)
class PDataReceived:
    """A P-DATA-TF PDU arrived (reported when ``report_pdata`` is set)."""

    pdu: P_DATA_TF


@dataclass(frozen=True, slots=True, kw_only=True)
class PDataSent:
    """A P-DATA-TF PDU was queued to send (when ``report_pdata``)."""

    pdu: P_DATA_TF


@dataclass(frozen=True, slots=True, kw_only=True)
class ReleaseRequested:
    """The peer asks to release (A-RELEASE indication, PS3.8 7.2).

    Answer with :meth:`AssociationProtocol.answer_release`. ``collision`` is
    true when both sides asked at once (PS3.8 7.2.2).
    """

    collision: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class Released:
    """The association is released: our request was confirmed, or we answered."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Aborted:
    """The association ended abnormally (A-ABORT or A-P-ABORT, PS3.8 7.3, 7.4).

    ``by_peer`` is true for an A-ABORT the peer's service-user sent;
    ``error`` is the protocol error we detected, if that is why.
    """

    source: int
    reason: int
    by_peer: bool
    error: ProtocolError | None = None
    #: The A-ABORT PDU the peer sent, when one arrived.
    pdu: A_ABORT | None = None


class _NoFile:
    """The source of a queued in-memory message: nothing to close."""

    def close(self) -> None:
        """Do nothing."""


_NO_FILE: Final = _NoFile()


ProtocolEvent = (
    AssociationRequested
    | AssociationAccepted
    | AssociationRejected
    | MessageReceived
    | PDataReceived
    | PDataSent
    | ReleaseRequested
    | Released
    | Aborted
    | TransportConnectRequested
    | TransportCloseRequested
    | StateTransition
)
"""Any event :meth:`AssociationProtocol.next_event` returns."""


class AssociationProtocol:
    """UL, ACSE and DIMSE of one association, sans I/O.

    Parameters
    ----------
    role:
        Requestor or acceptor.
    config:
        Upper Layer and DIMSE settings.
    """

    def __init__(self, role: Role, config: ProtocolConfig | None = None) -> None:
        self._config = config if config is not None else ProtocolConfig()
        self._ul = UpperLayer(role, self._config.ul)
        self._events: deque[ProtocolEvent] = deque()
        self._rq: A_ASSOCIATE_RQ | None = None
        self._dimse: DimseConnection | None = None
        self._releasing = False
        self._answer_held = False
        # Messages whose data set is read from a file as it is sent: their
        # PDUs are produced only as the driver drains the outbox, in order.
        self._streams: deque[tuple[Iterator[P_DATA_TF], BinaryIO | _NoFile]] = deque()
        self._now = 0.0
        # PS3.7 9.3.2.3: Message IDs of requests a C-CANCEL has asked to stop.
        self._cancelled: set[int] = set()
        #: Report each P-DATA-TF PDU as a PDataReceived / PDataSent event
        #: (for observers of every PDU; off on the hot path otherwise).
        self.report_pdata = False

    # -- state ---------------------------------------------------------------

    @property
    def role(self) -> Role:
        """Requestor or acceptor."""
        return self._ul.role

    @property
    def state(self) -> State:
        """The PS3.8 state of the Upper Layer."""
        return self._ul.state

    @property
    def report_transitions(self) -> bool:
        """Whether Upper Layer state transitions are reported (settable)."""
        return self._ul.report_transitions

    @report_transitions.setter
    def report_transitions(self, value: bool) -> None:
        self._ul.report_transitions = value

    @property
    def dimse(self) -> DimseConnection | None:
        """The DIMSE layer, once the association is established."""
        return self._dimse

    # -- the driver's side (SansIOConnection) --------------------------------

    def transport_connected(self, now: float) -> None:
        """Report that the transport connection is open (PS3.8 Evt2 or Evt5)."""
        self._ul.transport_connected(now)
        self._pump(now)

    def receive_data(self, data: bytes | bytearray | memoryview, now: float) -> None:
        """Feed received bytes; ``b""`` means the peer closed the connection."""
        self._ul.receive_data(data, now)
        self._pump(now)

    def data_to_send(self) -> bytes:
        """Return, and forget, the bytes to write to the connection."""
        return self._ul.data_to_send()

    def data_to_send_parts(self) -> list[bytes | memoryview]:
        """Return, and forget, the bytes to write, as uncopied buffers.

        When a data set is being streamed from a file, each call produces its
        next few PDUs once everything queued before them has been taken: call
        again until the result is empty.
        """
        parts = self._ul.data_to_send_parts()
        if parts or not self._streams:
            return parts
        try:
            self._produce(_STREAM_BATCH)
        except (OSError, ValueError) as exc:
            # The file being sent became unreadable: the message cannot be
            # completed, and PS3.8 has no way to take back its first PDUs.
            _LOGGER.error("Could not read the data set being sent: %s", exc)  # noqa: TRY400  (no traceback needed)
            self.abort(self._now)
        return self._ul.data_to_send_parts()

    @property
    def is_streaming(self) -> bool:
        """Whether a data set is still being read from its file and sent."""
        return bool(self._streams)

    def get_timer(self) -> float | None:
        """Return the ARTIM deadline, or ``None``."""
        return self._ul.get_timer()

    def handle_timer(self, now: float) -> None:
        """Fire the ARTIM timer if it has expired."""
        self._ul.handle_timer(now)
        self._pump(now)

    def next_event(self) -> ProtocolEvent | None:
        """Return the oldest event not yet returned, or ``None``."""
        events = self._events
        return events.popleft() if events else None

    # -- the API ring's side -------------------------------------------------

    def request(self, rq: A_ASSOCIATE_RQ, now: float) -> None:
        """Ask for an association (A-ASSOCIATE request, requestor only)."""
        self._ul.send(rq, now)
        self._rq = rq
        self._pump(now)

    def accept(
        self,
        policy: AcceptorPolicy,
        decisions: NegotiationDecisions | None,
        now: float,
    ) -> AcceptorOutcome:
        """Answer the pending A-ASSOCIATE indication by negotiating (PS3.8 7.1).

        The outcome may still be a rejection, when ``policy`` says so (AE
        titles, association limit, user identity).
        """
        rq = self._rq
        if rq is None or self.role is not Role.ACCEPTOR:
            raise LocalProtocolError("no A-ASSOCIATE indication to answer")
        outcome = negotiate_acceptor(rq, policy, decisions)
        if outcome.reject is not None:
            self.reject(outcome.reject, now)
            return outcome
        if outcome.accept is None:  # pragma: no cover - negotiate_acceptor's contract
            raise LocalProtocolError("negotiation gave neither accept nor reject")
        self._ul.send(outcome.accept, now)
        self._start_dimse(outcome)
        self._events.append(AssociationAccepted(outcome=outcome, ac=outcome.accept))
        self._pump(now)
        return outcome

    def reject(self, rj: A_ASSOCIATE_RJ, now: float) -> None:
        """Reject the pending A-ASSOCIATE indication (PS3.8 7.1.1.7)."""
        self._ul.send(rj, now)
        self._events.append(AssociationRejected(rj=rj, by_peer=False))
        self._pump(now)

    def send_message(
        self,
        context_id: int,
        primitive: DimsePrimitive,
        *,
        response: bool,
        now: float,
        data: bytes | bytearray | memoryview | BinaryIO | None = None,
    ) -> None:
        """Send a DIMSE request or response on an accepted context (PS3.7 6.3)."""
        dimse = self._dimse
        if dimse is None:
            raise LocalProtocolError("the association is not established")
        pdus = dimse.send(context_id, primitive, response=response, data=data)
        self._now = now
        if data is not None and not isinstance(data, bytes | bytearray | memoryview):
            # A file: read it as the driver writes (house style, hot paths).
            self._streams.append((pdus, data))
            return
        if self._streams:
            # Behind a stream still being sent: keep the order of messages.
            self._streams.append((pdus, _NO_FILE))
            return
        send = self._ul.send
        for pdu in pdus:
            send(pdu, now)
            if self.report_pdata:
                self._events.append(PDataSent(pdu=pdu))

    def cancel_requested(self, message_id: int) -> bool:
        """Whether a C-CANCEL for request ``message_id`` has arrived (PS3.7 9.3.2.3)."""
        return message_id in self._cancelled

    def forget_request(self, message_id: int) -> None:
        """Forget any C-CANCEL for request ``message_id``: it is answered."""
        self._cancelled.discard(message_id)

    def _produce(self, limit: int | None) -> None:
        """Move up to ``limit`` PDUs (``None``: all) of queued streams to the UL."""
        streams, send, now = self._streams, self._ul.send, self._now
        while streams and (limit is None or limit > 0):
            pdus, source = streams[0]
            count = 0
            for pdu in pdus if limit is None else islice(pdus, limit):
                send(pdu, now)
                count += 1
                if self.report_pdata:
                    self._events.append(PDataSent(pdu=pdu))
            if limit is not None:
                if count == limit:
                    return  # maybe more to come: the next call finds out
                limit -= count
            streams.popleft()
            source.close()

    def _drop_streams(self) -> None:
        """Drop the streams: the association ended, nothing more goes out."""
        streams, self._streams = self._streams, deque()
        for _pdus, source in streams:
            source.close()

    def next_message_id(self) -> int:
        """Return a fresh Message ID for a request (PS3.7 E.1)."""
        if self._dimse is None:
            raise LocalProtocolError("the association is not established")
        return self._dimse.next_message_id()

    def release(self, now: float) -> None:
        """Ask to release the association (A-RELEASE request, PS3.8 7.2)."""
        self._produce(None)  # every queued message goes before the request
        self._ul.send(A_RELEASE_RQ(), now)
        self._releasing = True
        self._pump(now)

    def answer_release(self, now: float) -> None:
        """Accept the peer's release request (A-RELEASE response).

        In a release collision the acceptor answers only after its own request
        was confirmed (PS3.8 7.2.2, Sta10 -> Sta12): the answer is held until then.
        """
        if self._ul.state is State.STA10:
            self._answer_held = True
            return
        self._produce(None)
        self._ul.send(A_RELEASE_RP(), now)
        # Our answer completes the release unless ours is still outstanding
        # (a collision on the requestor side: the confirmation comes later).
        if not self._releasing:
            self._end_dimse()
            self._events.append(Released())
        self._pump(now)

    def abort(self, now: float, *, source: int = AbortSource.SERVICE_USER) -> None:
        """Abort the association (A-ABORT request, PS3.8 7.3)."""
        self._ul.send(A_ABORT(source=source, reason=0), now)
        self._end_dimse()
        self._events.append(Aborted(source=source, reason=0, by_peer=False))
        self._pump(now)

    # -- plumbing ------------------------------------------------------------

    def _pump(self, now: float) -> None:
        """Turn every pending Upper Layer event into protocol events."""
        ul = self._ul
        while (event := ul.next_event()) is not None:
            try:
                self._dispatch(event, now)
            except RemoteProtocolError as exc:  # noqa: PERF203  (rare; aborts)
                self._abort_for(exc, now)

    def _dispatch(self, event: ULEvent, now: float) -> None:
        events = self._events
        if isinstance(event, DataIndication):  # the P-DATA path, first
            self._receive_pdata(event)
        elif isinstance(event, AssociateIndication):
            self._rq = event.pdu
            events.append(AssociationRequested(rq=event.pdu))
        elif isinstance(event, AssociateAccepted):
            self._accepted(event.pdu)
        elif isinstance(event, AssociateRejected):
            events.append(AssociationRejected(rj=event.pdu, by_peer=True))
        elif isinstance(event, ReleaseIndication):
            events.append(ReleaseRequested(collision=event.collision))
        elif isinstance(event, ReleaseConfirmation):
            self._releasing = False
            self._end_dimse()
            events.append(Released())
            if self._answer_held:  # collision, acceptor side: now in Sta12
                self._answer_held = False
                self._ul.send(A_RELEASE_RP(), now)
        elif isinstance(event, AbortIndication):
            self._end_dimse()
            events.append(
                Aborted(
                    source=event.source,
                    reason=event.reason,
                    by_peer=True,
                    pdu=A_ABORT(source=event.source, reason=event.reason),
                )
            )
        elif isinstance(event, ProviderAbortIndication):
            self._end_dimse()
            events.append(
                Aborted(
                    source=AbortSource.SERVICE_PROVIDER,
                    reason=event.reason,
                    by_peer=event.error is None,
                    error=event.error,
                    pdu=event.pdu,
                )
            )
        else:
            # Transport requests and state transitions go to the driver as is.
            events.append(event)

    def _receive_pdata(self, event: DataIndication) -> None:
        dimse = self._dimse
        if dimse is None:  # pragma: no cover - the UL delivers P-DATA only in Sta6+
            return
        if self.report_pdata:
            self._events.append(PDataReceived(pdu=event.pdu))
        if not dimse.receive(event.pdu):
            return  # the message goes on in later PDUs
        while (message := dimse.next_message()) is not None:
            request = message.primitive
            if isinstance(request, C_CANCEL) and not message.is_response:
                # Noted at once, so that a service busy answering the request
                # sees it when it next looks (PS3.7 9.3.2.3).
                self._cancelled.add(int(request.MessageIDBeingRespondedTo or 0))
            self._events.append(MessageReceived(message=message))

    def _accepted(self, ac: A_ASSOCIATE_AC) -> None:
        rq = self._rq
        if rq is None:  # pragma: no cover - the UL only confirms what we requested
            raise LocalProtocolError("A-ASSOCIATE-AC without a request")
        outcome = negotiate_requestor(rq, ac)
        self._start_dimse(outcome)
        self._events.append(AssociationAccepted(outcome=outcome, ac=ac))

    def _start_dimse(self, outcome: AcceptorOutcome | RequestorOutcome) -> None:
        contexts = {
            cx.context_id: (str(cx.abstract_syntax), str(cx.transfer_syntax[0]))
            for cx in outcome.contexts
            if cx.result == 0 and cx.context_id is not None
        }
        self._dimse = DimseConnection(
            contexts,
            outcome.peer_maximum_length,
            sink_factory=self._config.sink_factory,
        )

    def _end_dimse(self) -> None:
        """Drop a partly received message: nothing half-received survives."""
        self._drop_streams()
        self._cancelled.clear()
        if self._dimse is not None:
            self._dimse.close()

    def _abort_for(self, error: RemoteProtocolError, now: float) -> None:
        """Abort for a peer error found above the Upper Layer (PS3.8 9.3.8)."""
        _LOGGER.warning("Aborting the association: %s", error)
        if self.state in (State.STA1, State.STA13):
            return  # already ending: nothing left to abort
        self._ul.send(
            A_ABORT(source=error.abort_source, reason=error.abort_reason), now
        )
        self._end_dimse()
        self._events.append(
            Aborted(
                source=error.abort_source,
                reason=error.abort_reason,
                by_peer=False,
                error=error,
            )
        )
