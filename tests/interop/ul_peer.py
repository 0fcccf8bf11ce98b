"""A plain-socket driver for one UpperLayer: the sans-I/O core against real peers.

This is the smallest driver the core contract allows (house style 2): bytes from
the socket go to ``receive_data``, ``data_to_send`` goes to the socket, and the
socket's timeout is taken from ``get_timer``. The real drivers arrive with #4.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

from dicomnet.ul.connection import Role, ULConfig, UpperLayer
from dicomnet.ul.events import (
    DataIndication,
    TransportCloseRequested,
    TransportConnectRequested,
    ULEvent,
)
from dicomnet.ul.pdu import P_DATA_TF, PDU, PDV


class SocketUL:
    """One association's UpperLayer over one blocking TCP socket."""

    def __init__(self, role: Role, config: ULConfig | None = None) -> None:
        self.ul = UpperLayer(role, config or ULConfig())
        self.sock: socket.socket | None = None
        self.closed = False

    def attach(self, sock: socket.socket) -> None:
        """Acceptor: a peer connected on ``sock`` (PS3.8 Evt5)."""
        self.sock = sock
        self.ul.transport_connected(time.monotonic())
        self.flush()

    def send(self, pdu: PDU) -> None:
        self.ul.send(pdu, time.monotonic())
        self.flush()

    def send_command(self, context_id: int, command: bytes) -> None:
        """Send a whole command set as one last-fragment command PDV."""
        self.send(P_DATA_TF(pdvs=(PDV(context_id, 0x03, command),)))

    def close(self) -> None:
        """Close the socket if the association did not (test clean-up)."""
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def flush(self) -> None:
        data = self.ul.data_to_send()
        if data and self.sock is not None:
            self.sock.sendall(data)

    def events(self, timeout: float = 10.0) -> Iterator[ULEvent]:
        """Yield the core's events, reading the socket when it has none."""
        deadline = time.monotonic() + timeout
        while True:
            event = self.ul.next_event()
            if event is not None:
                self._serve_transport(event)
                yield event
                continue
            if self.closed:
                return
            self._read(deadline)

    def next_data(self, timeout: float = 10.0) -> bytes:
        """The payload of the next P-DATA indication (one PDV assumed)."""
        for event in self.events(timeout):
            if isinstance(event, DataIndication):
                return b"".join(bytes(pdv.data) for pdv in event.pdu.pdvs)
        raise AssertionError("connection ended before any P-DATA")

    def _serve_transport(self, event: ULEvent) -> None:
        if isinstance(event, TransportConnectRequested):
            raise AssertionError("use connect() for requestors")
        if isinstance(event, TransportCloseRequested) and self.sock is not None:
            self.flush()
            self.sock.close()
            self.sock = None
            self.closed = True

    def _read(self, deadline: float) -> None:
        assert self.sock is not None
        now = time.monotonic()
        if now >= deadline:
            raise TimeoutError("peer went quiet")
        wait = deadline - now
        timer = self.ul.get_timer()
        if timer is not None:
            wait = max(0.0, min(wait, timer - now))
        self.sock.settimeout(wait)
        try:
            data = self.sock.recv(65536)
        except TimeoutError:
            self.ul.handle_timer(time.monotonic())
        else:
            self.ul.receive_data(data, time.monotonic())
            if not data:  # the peer closed: nothing more will arrive (Evt17)
                self.sock.close()
                self.sock = None
                self.closed = True
        self.flush()


def connect(sul: SocketUL, rq: PDU, address: tuple[str, int]) -> None:
    """Requestor: issue the A-ASSOCIATE request, open the connection (AE-1, Evt2)."""
    sul.ul.send(rq, time.monotonic())
    event = sul.ul.next_event()
    assert isinstance(event, TransportConnectRequested), event
    sul.sock = socket.create_connection(address, timeout=10)
    sul.ul.transport_connected(time.monotonic())
    sul.flush()
