"""A raw-socket DICOM peer, and a dicomnet server under test, for bad-input tests.

``RawPeer`` speaks bytes, not primitives: the tests send exactly what a broken
or hostile peer would (garbage, wrong lengths, PDUs out of order) and decode
whatever the server answers with :func:`dicomnet.ul.pdu.decode_pdu`. Every
read waits on the socket with a timeout, never on a sleep.

``ServerUnderTest`` runs a Verification SCP through the public API only
(``AE``, ``start_server(block=False)``, ``active_associations``, ``shutdown``)
and checks what must hold after any bad input: the server still serves, no
association is left behind, and no thread outlives the server.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Self

from dicomnet import AE
from dicomnet.ul.items import PresentationContextItemRQ
from dicomnet.ul.pdu import (
    A_ABORT,
    A_ASSOCIATE_RQ,
    PDU,
    PDUType,
    decode_pdu,
    encode_pdu,
)
from dicomnet.ul.user_information import (
    ImplementationClassUIDSubItem,
    MaximumLengthSubItem,
    UserInformationItem,
)

VERIFICATION = "1.2.840.10008.1.1"
IMPLICIT_VR_LE = "1.2.840.10008.1.2"
#: A UID root for test peers; it only has to be a valid UID (PS3.5 9.1).
PEER_IMPLEMENTATION_UID = "1.2.826.0.1.3680043.10.1081.99"

#: The server's ARTIM timer (``acse_timeout``) and idle timeout
#: (``network_timeout``): short, so that waiting for them is quick.
ARTIM = 0.5
NETWORK = 1.0
#: Added to a configured timeout when waiting for its effect: generous, since
#: other suites may load the machine. Only "it happened before this" is tested.
MARGIN = 3.0
#: Bound on waits for things that need no timer (an answer to a PDU).
PROMPT = 5.0 + MARGIN

# PS3.8 9.3.1: PDU-type (1), reserved (1), PDU-length (4), big endian.
_HEADER = struct.Struct(">BBL")
# PS3.8 9.3.5.1: PDV item length (4), context ID (1), message control header (1).
_PDV_HEADER = struct.Struct(">LBB")
# PS3.8 E.2: message control header of the last fragment of a command.
_LAST_COMMAND = 0x03

RELEASE_RQ = _HEADER.pack(PDUType.A_RELEASE_RQ, 0, 4) + bytes(4)  # PS3.8 9.3.6


def associate_rq(
    *,
    called: str = "ANY-SCP",
    calling: str = "RAWPEER",
    abstract_syntax: str = VERIFICATION,
    max_length: int = 16384,
) -> A_ASSOCIATE_RQ:
    """One Verification context (ID 1, Implicit VR LE) and the mandatory sub-items."""
    return A_ASSOCIATE_RQ(
        called_ae_title=called,
        calling_ae_title=calling,
        presentation_contexts=(
            PresentationContextItemRQ(
                context_id=1,
                abstract_syntax=abstract_syntax,
                transfer_syntaxes=(IMPLICIT_VR_LE,),
            ),
        ),
        user_information=UserInformationItem(
            sub_items=(
                MaximumLengthSubItem(maximum_length_received=max_length),
                ImplementationClassUIDSubItem(
                    implementation_class_uid=PEER_IMPLEMENTATION_UID
                ),
            )
        ),
    )


def associate_rq_bytes(**kwargs: Any) -> bytes:
    """:func:`associate_rq`, encoded."""
    return encode_pdu(associate_rq(**kwargs))


def _element(group: int, element: int, value: bytes) -> bytes:
    # PS3.5 7.1.3: Implicit VR Little Endian, tag (4), value length (4), value.
    return struct.pack("<HHL", group, element, len(value)) + value


def c_echo_rq_command(message_id: int = 1) -> bytes:
    """A C-ECHO-RQ command set (PS3.7 9.3.5.1), Implicit VR Little Endian.

    Built by hand from PS3.7 Table 9.3-12 so that the peer does not depend on
    the codec under test.
    """
    uid = VERIFICATION.encode() + b"\x00"  # PS3.5 9.1: UIDs padded to even length
    body = b"".join(
        (
            _element(0x0000, 0x0002, uid),  # Affected SOP Class UID
            _element(0x0000, 0x0100, struct.pack("<H", 0x0030)),  # C-ECHO-RQ
            _element(0x0000, 0x0110, struct.pack("<H", message_id)),  # Message ID
            _element(0x0000, 0x0800, struct.pack("<H", 0x0101)),  # no data set
        )
    )
    # PS3.7 6.3.1: the Command Group Length comes first and counts what follows.
    return _element(0x0000, 0x0000, struct.pack("<L", len(body))) + body


def p_data_tf(fragment: bytes, *, context_id: int = 1, control: int = 3) -> bytes:
    """A P-DATA-TF with one PDV (PS3.8 9.3.5), by default a last command fragment."""
    pdv = _PDV_HEADER.pack(len(fragment) + 2, context_id, control) + fragment
    return _HEADER.pack(PDUType.P_DATA_TF, 0, len(pdv)) + pdv


def pdu_header(pdu_type: int, length: int) -> bytes:
    """The six-byte header of any PDU, with any type and length (PS3.8 9.3.1)."""
    return _HEADER.pack(pdu_type, 0, length)


def with_pdu_length(data: bytes | bytearray) -> bytes:
    """``data`` with its PDU-length field set to what follows the header."""
    out = bytearray(data)
    struct.pack_into(">L", out, 2, len(out) - _HEADER.size)
    return bytes(out)


# PS3.8 9.3.2: the variable items of an A-ASSOCIATE-RQ start at byte 75.
ASSOCIATE_ITEMS_OFFSET = 74
# Items whose value holds sub-items, and where they start in the value:
# presentation context (PS3.8 9.3.2.2: ID and three reserved bytes first) and
# user information (PS3.8 9.3.2.3: sub-items only).
_NESTED = {0x20: 4, 0x50: 0}


def item_length_offsets(data: bytes, start: int = ASSOCIATE_ITEMS_OFFSET) -> list[int]:
    """Offsets of the two-byte length field of every item and sub-item.

    Walks an A-ASSOCIATE-RQ/AC from ``start`` (PS3.8 9.3.2: type (1),
    reserved (1), length (2), value), descending into presentation context
    and user information items.
    """
    offsets: list[int] = []
    _walk(data, start, len(data), offsets)
    return offsets


def _walk(data: bytes, offset: int, end: int, offsets: list[int]) -> None:
    # Bounded by the buffer too: the fuzz test walks bytes it already mutated.
    end = min(end, len(data))
    while offset + 4 <= end:
        item_type = data[offset]
        (length,) = struct.unpack_from(">H", data, offset + 2)
        offsets.append(offset + 2)
        value = offset + 4
        if item_type in _NESTED:
            _walk(data, value + _NESTED[item_type], value + length, offsets)
        offset = value + length


class RawPeer:
    """A TCP client that sends raw bytes and reads whole PDUs back.

    Parameters
    ----------
    address : tuple
        The server's address.
    timeout : float
        Bound on connecting.
    """

    def __init__(self, address: tuple[Any, ...], timeout: float = PROMPT) -> None:
        self.sock = socket.create_connection(address[:2], timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._pending = bytearray()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def shutdown_write(self) -> None:
        """Half-close: the server reads end of stream after what was sent."""
        self.sock.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self.sock.close()

    def _fill(self, size: int, timeout: float) -> bool:
        """Read until ``size`` bytes are buffered; False on end of stream."""
        self.sock.settimeout(timeout)
        while len(self._pending) < size:
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                # A reset is the server closing on unread bytes: a close.
                chunk = b""
            if not chunk:
                return False
            self._pending += chunk
        return True

    def recv_raw_pdu(self, timeout: float = PROMPT) -> bytes | None:
        """The next whole PDU's bytes, or ``None`` if the server closed first.

        Raises
        ------
        TimeoutError
            Neither a PDU nor a close came within ``timeout``.
        AssertionError
            The server closed in the middle of a PDU.
        """
        if not self._fill(_HEADER.size, timeout):
            assert not self._pending, f"closed inside a header: {self._pending!r}"
            return None
        _, _, length = _HEADER.unpack_from(self._pending)
        size = _HEADER.size + length
        assert self._fill(size, timeout), f"closed inside a PDU: {self._pending!r}"
        raw = bytes(self._pending[:size])
        del self._pending[:size]
        return raw

    def recv_pdu(self, timeout: float = PROMPT) -> PDU | None:
        """The next PDU, decoded (the server must send valid PDUs), or ``None``."""
        raw = self.recv_raw_pdu(timeout)
        return None if raw is None else decode_pdu(raw)

    def wait_closed(self, timeout: float) -> None:
        """Assert that the server closes, sending nothing more, within ``timeout``."""
        pdu = self.recv_pdu(timeout)
        assert pdu is None, f"expected a close, got {pdu!r}"

    def read_until_close(self, timeout: float = PROMPT) -> list[PDU]:
        """Every PDU the server sends until it closes."""
        received: list[PDU] = []
        while (pdu := self.recv_pdu(timeout)) is not None:
            received.append(pdu)
        return received

    def abort(self) -> None:
        """Send an A-ABORT (service-user, PS3.8 9.3.8) and close."""
        self.send(encode_pdu(A_ABORT(source=0, reason=0)))
        self.close()


@dataclass
class ServerUnderTest:
    """A dicomnet Verification SCP started with the public API.

    Attributes
    ----------
    ae, server:
        The AE and its ``ThreadedAssociationServer``.
    baseline:
        The threads alive before the server started.
    """

    ae: Any
    server: Any
    baseline: set[threading.Thread] = field(default_factory=set)

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.server.server_address[:2]
        return host, port

    def connect(self) -> RawPeer:
        return RawPeer(self.address)

    def wait_no_associations(self, timeout: float = PROMPT) -> None:
        """Join every association the AE lists, then check none is left.

        Listed again after each round: under load the accept loop may register
        an association only after the first look.
        """
        deadline = time.monotonic() + timeout
        while (listed := list(self.ae.active_associations)) and (
            time.monotonic() < deadline
        ):
            for assoc in listed:
                assoc.join(max(0.0, deadline - time.monotonic()))
        left = self.ae.active_associations
        assert left == [], f"associations left behind: {left}"

    def check_serves(self) -> None:
        """A normal associate, C-ECHO and release succeed, leaving nothing behind."""
        client = AE(ae_title="CHECKER")
        client.add_requested_context(VERIFICATION)
        client.acse_timeout = PROMPT
        client.dimse_timeout = PROMPT
        assoc = client.associate(*self.address)
        assert assoc.is_established, "the server no longer accepts associations"
        status = assoc.send_c_echo()
        assert status.Status == 0x0000
        assoc.release()
        assert assoc.is_released
        assoc.join(PROMPT)
        self.wait_no_associations()

    def stop(self) -> None:
        """Shut down, then check that every thread started since is gone."""
        self.ae.shutdown()
        extra = [t for t in threading.enumerate() if t not in self.baseline]
        for thread in extra:
            thread.join(PROMPT)
        leaked = [t for t in threading.enumerate() if t not in self.baseline]
        assert leaked == [], f"threads left after shutdown: {leaked}"


def start_server(
    *, acse_timeout: float = ARTIM, network_timeout: float = NETWORK
) -> ServerUnderTest:
    """Start a Verification SCP on an ephemeral loopback port."""
    baseline = set(threading.enumerate())
    ae = AE(ae_title="BADINPUT")
    ae.add_supported_context(VERIFICATION)
    ae.acse_timeout = acse_timeout
    ae.network_timeout = network_timeout
    ae.dimse_timeout = PROMPT
    server = ae.start_server(("127.0.0.1", 0), block=False)
    return ServerUnderTest(ae=ae, server=server, baseline=baseline)
