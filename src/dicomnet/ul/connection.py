"""The DICOM Upper Layer service provider of one association, without I/O.

:class:`UpperLayer` is the plumbing around the PS3.8 state machine of
:mod:`dicomnet.ul.fsm`: it frames received bytes into PDUs, turns each input
into its PS3.8 event, runs the state machine, and holds what comes out (bytes
to send, events for the user, the ARTIM deadline) until the driver asks. It
reads no clock and opens no connection; ``now`` is always an argument::

    ul = UpperLayer(Role.ACCEPTOR)
    ul.transport_connected(now)          # Evt5
    ul.receive_data(sock.recv(65536), now)
    while (event := ul.next_event()) is not None:
        ...
    sock.sendall(ul.data_to_send())
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from dicomnet.errors import LocalProtocolError, RemoteProtocolError
from dicomnet.ul.buffer import ReceiveBuffer
from dicomnet.ul.fsm import (
    Event,
    Machine,
    Payload,
    Role,
    State,
    accepts_data,
    fire,
    fire_data_indication,
    fire_data_request,
)
from dicomnet.ul.pdu import (
    A_ABORT,
    A_ASSOCIATE_AC,
    A_ASSOCIATE_RJ,
    A_ASSOCIATE_RQ,
    A_RELEASE_RP,
    A_RELEASE_RQ,
    P_DATA_TF,
    PDU,
    PDUType,
    decode_p_data_tf,
    decode_pdu,
)

if TYPE_CHECKING:
    from dicomnet.ul.events import ULEvent

__all__ = ["Role", "ULConfig", "UpperLayer"]

_LOGGER = logging.getLogger(__name__)

# PS3.8 9.3: the event each received PDU type raises (Table 9-10 rows).
_RECEIVED: Final[dict[type, Event]] = {
    A_ASSOCIATE_AC: Event.EVT3,
    A_ASSOCIATE_RJ: Event.EVT4,
    A_ASSOCIATE_RQ: Event.EVT6,
    P_DATA_TF: Event.EVT10,
    A_RELEASE_RQ: Event.EVT12,
    A_RELEASE_RP: Event.EVT13,
    A_ABORT: Event.EVT16,
}

# PS3.8 9.3: the local primitive each PDU to send stands for.
_SENT: Final[dict[type, Event]] = {
    A_ASSOCIATE_RQ: Event.EVT1,
    A_ASSOCIATE_AC: Event.EVT7,
    A_ASSOCIATE_RJ: Event.EVT8,
    P_DATA_TF: Event.EVT9,
    A_RELEASE_RQ: Event.EVT11,
    A_RELEASE_RP: Event.EVT14,
    A_ABORT: Event.EVT15,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class ULConfig:
    """Settings of one :class:`UpperLayer`.

    Attributes
    ----------
    artim_timeout:
        ARTIM timer duration in seconds (PS3.8 9.1.5); ``None`` disables it.
    max_pdu_length:
        Our Maximum Length Received (PS3.8 D.1): the largest P-DATA-TF
        PDU-length accepted; 0 means no limit. The A-ASSOCIATE-RQ/AC we send
        should announce the same value.
    max_association_pdu_length:
        The largest PDU-length accepted for any other PDU, so that a peer
        cannot make us buffer gigabytes before the association exists.
    report_transitions:
        Emit a :class:`~dicomnet.ul.events.StateTransition` for every step.
    """

    artim_timeout: float | None = 30.0
    max_pdu_length: int = 16382
    max_association_pdu_length: int = 1 << 20
    report_transitions: bool = False


class UpperLayer:
    """One association's DICOM Upper Layer service provider (PS3.8 9), sans I/O.

    Parameters
    ----------
    role:
        :attr:`Role.REQUESTOR` for the end that asks for the association,
        :attr:`Role.ACCEPTOR` for the end that listens.
    config:
        Timer and PDU size settings.

    Notes
    -----
    Errors of the peer never raise: an invalid PDU becomes Evt19 and the
    A-ABORT PDU and A-P-ABORT indication the state machine prescribes. Only
    local misuse raises :class:`~dicomnet.errors.LocalProtocolError`, and then
    nothing has changed.
    """

    __slots__ = ("_buffer", "_config", "_framing_lost", "_machine")

    def __init__(self, role: Role, config: ULConfig | None = None) -> None:
        self._config = config if config is not None else ULConfig()
        self._machine = Machine(
            role,
            artim_timeout=self._config.artim_timeout,
            report_transitions=self._config.report_transitions,
        )
        self._buffer = self._new_buffer()
        # Set when the byte stream can no longer be cut into PDUs: from then
        # on received bytes are dropped until the transport closes.
        self._framing_lost = False

    @property
    def role(self) -> Role:
        """Association-requestor or acceptor."""
        return self._machine.role

    @property
    def report_transitions(self) -> bool:
        """Whether each transition is reported as a :class:`StateTransition` event.

        Settable at any time (an observer bound mid-association).
        """
        return self._machine.report_transitions

    @report_transitions.setter
    def report_transitions(self, value: bool) -> None:
        self._machine.report_transitions = value

    @property
    def state(self) -> State:
        """The current PS3.8 state."""
        return self._machine.state

    @property
    def peer_max_pdu_length(self) -> int:
        """The peer's Maximum Length Received (PS3.8 D.1); 0 means no limit."""
        return self._machine.peer_max_pdu_length

    def transport_connected(self, now: float) -> None:
        """Report that the transport connection is open.

        For an acceptor this is the transport connection indication (Evt5),
        for a requestor the transport connect confirmation (Evt2).

        Raises
        ------
        LocalProtocolError
            The state machine is not waiting for a connection.
        """
        if self._machine.role is Role.ACCEPTOR:
            fire(self._machine, Event.EVT5, None, now)
        else:
            fire(self._machine, Event.EVT2, None, now)
        # A new connection starts a new byte stream.
        self._buffer = self._new_buffer()
        self._framing_lost = False

    def receive_data(self, data: bytes | bytearray | memoryview, now: float) -> None:
        """Feed bytes received on the transport connection.

        Parameters
        ----------
        data:
            The bytes read; empty means the peer closed the connection (Evt17).
        now:
            The caller's clock.

        Raises
        ------
        LocalProtocolError
            Bytes arrived before the transport connection was reported open.

        Notes
        -----
        Bytes are dropped once the association's connection is closed (Sta1),
        and after a PDU header that makes the stream impossible to frame.
        """
        machine = self._machine
        if not data:
            fire(machine, Event.EVT17, None, now)
            return
        if self._framing_lost or not accepts_data(machine.state):
            return
        try:
            self._buffer.feed(data)
        except RemoteProtocolError as exc:
            self._lose_framing(exc, now)
            return
        self._process(now)

    def send(self, pdu: PDU, now: float) -> None:
        """Issue the local primitive ``pdu`` stands for (PS3.8 9.3).

        A-ASSOCIATE-RQ is the A-ASSOCIATE request (Evt1), AC and RJ the
        A-ASSOCIATE response (Evt7, Evt8), P-DATA-TF the P-DATA request (Evt9),
        A-RELEASE-RQ and RP the A-RELEASE request and response (Evt11, Evt14)
        and A-ABORT the A-ABORT request (Evt15).

        Raises
        ------
        LocalProtocolError
            The primitive is not allowed in this state or for this role, or the
            PDU cannot be sent (does not encode, or a P-DATA-TF is longer than
            the peer accepts). Nothing has changed.
        """
        if type(pdu) is P_DATA_TF:
            fire_data_request(self._machine, pdu, now)  # the hot path
            return
        event = _SENT.get(type(pdu))
        if event is None:
            raise LocalProtocolError(f"{type(pdu).__name__} is not a PDU")
        if event is Event.EVT1 and self._machine.role is not Role.REQUESTOR:
            raise LocalProtocolError("only the association-requestor sends a request")
        fire(self._machine, event, pdu, now)

    def next_event(self) -> ULEvent | None:
        """Return the oldest event not yet returned, or ``None``."""
        events = self._machine.events
        return events.popleft() if events else None

    def data_to_send(self) -> bytes:
        """Return, and forget, the bytes to write to the transport connection."""
        return b"".join(self.data_to_send_parts())

    def data_to_send_parts(self) -> list[bytes | memoryview]:
        """Return, and forget, the bytes to write, as buffers in order.

        P-DATA-TF payloads stay the views they were sent as, uncopied, so a
        driver can hand the list to ``socket.sendmsg`` (gather I/O).
        """
        outbox = self._machine.outbox
        if not outbox:
            return []
        parts = list(outbox)
        outbox.clear()
        return parts

    def get_timer(self) -> float | None:
        """Return the ARTIM deadline, on the caller's clock, or ``None``."""
        return self._machine.artim_deadline

    def handle_timer(self, now: float) -> None:
        """Fire ARTIM expiry (Evt18) if its deadline has passed."""
        deadline = self._machine.artim_deadline
        if deadline is not None and now >= deadline:
            fire(self._machine, Event.EVT18, None, now)

    def _new_buffer(self) -> ReceiveBuffer:
        return ReceiveBuffer(
            max_pdu_length=self._config.max_pdu_length,
            max_association_pdu_length=self._config.max_association_pdu_length,
        )

    def _lose_framing(self, error: RemoteProtocolError, now: float) -> None:
        """Abort on a PDU header that condemns the stream (Evt19).

        The header alone showed the PDU invalid (PS3.8 9.3.1): its length
        cannot be trusted, so no later byte can be framed either.
        """
        self._framing_lost = True
        fire(self._machine, Event.EVT19, error, now)

    def _process(self, now: float) -> None:
        """Run every whole PDU in the buffer through the state machine."""
        machine = self._machine
        buffer = self._buffer
        while True:
            state = machine.state
            # Sta6 (the P-DATA path) accepts data: no call needed to know it.
            if state is not _STA6 and not accepts_data(state):
                return
            try:
                raw = buffer.next_pdu()
            except RemoteProtocolError as exc:
                self._lose_framing(exc, now)
                return
            if raw is None:
                return
            if raw[0] == _P_DATA_TF:
                # The hot path: framing has checked the header already.
                try:
                    pdu = decode_p_data_tf(raw)
                except RemoteProtocolError as exc:
                    fire(machine, Event.EVT19, exc, now)
                else:
                    fire_data_indication(machine, pdu, now)
                continue
            event, payload = _classify(raw)
            fire(machine, event, payload, now)


#: The PDU type byte of a P-DATA-TF (PS3.8 9.3.5), as a plain int: it is
#: compared with the first byte of every received PDU.
_P_DATA_TF: Final = int(PDUType.P_DATA_TF)
#: A module constant: cheaper to read than ``State.STA6`` (see ul.fsm).
_STA6: Final = State.STA6


def _classify(raw: memoryview) -> tuple[Event, Payload]:
    """Decode one whole PDU into its Table 9-10 event and payload."""
    try:
        pdu = decode_pdu(raw)
    except RemoteProtocolError as exc:
        if exc.reject is not None:
            # An A-ASSOCIATE-RQ the provider cannot accept: still Evt6, so
            # that AE-6 answers it with an A-ASSOCIATE-RJ (PS3.8 9.2.2).
            return Event.EVT6, exc
        return Event.EVT19, exc
    return _RECEIVED[type(pdu)], pdu
