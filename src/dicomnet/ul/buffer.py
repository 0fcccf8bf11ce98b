"""ReceiveBuffer: bytes from the transport in, whole PDUs out (PS3.8 9.3.1).

Every PDU starts with a 6-byte header whose last four bytes give the length of
what follows, so framing needs no parsing beyond that header. The header is
checked the moment it is complete, before the rest of the PDU is awaited, so a
peer cannot make this side buffer more than the negotiated maximum: PS3.8
D.1 bounds a P-DATA-TF's PDU-length field by the maximum length the receiver
advertised, and association PDUs are bounded by a local limit.

Memory: each fed chunk is kept as immutable ``bytes`` (a ``bytearray`` or
``memoryview`` from ``recv_into`` is copied once, since the caller reuses it).
A PDU lying inside one chunk is returned as a view of that chunk, uncopied; a
PDU spanning chunks is joined once. Small chunks that continue a partial PDU are
gathered in one private ``bytearray`` so that a peer trickling single bytes
costs one byte per byte, not one object per byte; no view of that bytearray
ever escapes, so resizing it is always safe.
"""

from __future__ import annotations

from collections import deque
from itertools import islice
from struct import Struct
from typing import Final

from dicomnet.errors import PDUTooLargeError, UnrecognizedPDUError

# PS3.8 9.3.1: PDU-type (1), reserved (1), PDU-length (4), big endian.
_HEADER: Final = Struct(">BBL")
_HEADER_LENGTH: Final = _HEADER.size
# PS3.8 9.3: the seven PDU types, 01H to 07H; 04H is the P-DATA-TF.
_PDU_TYPES: Final = frozenset(range(1, 8))
_P_DATA_TF: Final = 4
# Chunks shorter than this that continue a partial PDU are coalesced.
_SMALL_CHUNK: Final = 4096

#: Default limit for PDUs other than P-DATA-TF. An A-ASSOCIATE-RQ with all 128
#: presentation contexts and a maximal user identity stays far below it.
DEFAULT_MAX_ASSOCIATION_PDU_LENGTH: Final = 1 << 20


class ReceiveBuffer:
    r"""Reassemble whole PDUs from arbitrarily split transport data.

    Parameters
    ----------
    max_pdu_length : int
        Largest PDU-length field accepted for a P-DATA-TF: the Maximum Length
        Received this side advertised (PS3.8 D.1); 0 means no limit. Settable
        after construction, once negotiation has fixed it.
    max_association_pdu_length : int
        Largest PDU-length field accepted for any other PDU; 0 means no limit.

    Examples
    --------
    >>> buffer = ReceiveBuffer()
    >>> buffer.feed(b"\x05\x00\x00\x00")
    >>> buffer.next_pdu() is None
    True
    >>> buffer.feed(b"\x00\x04\x00\x00\x00\x00")
    >>> bytes(buffer.next_pdu())
    b'\x05\x00\x00\x00\x00\x04\x00\x00\x00\x00'
    """

    __slots__ = (
        "_chunks",
        "_needed",
        "_offset",
        "_size",
        "_tail",
        "max_association_pdu_length",
        "max_pdu_length",
    )

    def __init__(
        self,
        max_pdu_length: int = 0,
        max_association_pdu_length: int = DEFAULT_MAX_ASSOCIATION_PDU_LENGTH,
    ) -> None:
        self.max_pdu_length = max_pdu_length
        self.max_association_pdu_length = max_association_pdu_length
        self._chunks: deque[bytes | bytearray] = deque()
        # Bytes of _chunks[0] already handed out; always 0 for a bytearray,
        # whose consumed prefix is deleted instead.
        self._offset = 0
        self._size = 0
        # The bytearray gathering small chunks, when it is the last chunk.
        self._tail: bytearray | None = None
        # Whole size of the PDU at the head once its header is read, else 0.
        self._needed = 0

    def __len__(self) -> int:
        """Return the number of bytes buffered and not yet returned."""
        return self._size

    def feed(self, data: bytes | bytearray | memoryview) -> None:
        """Add bytes received from the transport.

        Parameters
        ----------
        data : bytes-like
            Any number of bytes; the buffer keeps its own copy unless ``data``
            is ``bytes``.

        Raises
        ------
        UnrecognizedPDUError
            The next PDU's type byte is not one of PS3.8's seven.
        PDUTooLargeError
            The next PDU's declared length is above its limit.
        """
        if type(data) is not bytes:
            data = bytes(data)
        if not data:
            return
        if self._chunks and len(data) < _SMALL_CHUNK:
            if self._tail is None:
                self._tail = bytearray()
                self._chunks.append(self._tail)
            self._tail += data
        else:
            self._tail = None
            self._chunks.append(data)
        self._size += len(data)
        if not self._needed:
            self._read_header()

    def next_pdu(self) -> memoryview | None:
        """Return the next whole PDU, header included, or None if incomplete.

        Returns
        -------
        memoryview or None
            A read-only view of immutable bytes: it stays valid whatever is fed
            later, so it may be kept (for instance as PDV fragments).

        Raises
        ------
        UnrecognizedPDUError
            The next PDU's type byte is not one of PS3.8's seven.
        PDUTooLargeError
            The next PDU's declared length is above its limit.
        """
        if not self._needed:
            self._read_header()
            if not self._needed:
                return None
        needed = self._needed
        if self._size < needed:
            return None
        first = self._chunks[0]
        start = self._offset
        if type(first) is bytes and len(first) - start >= needed:
            # Fast path: the PDU lies inside one received chunk, which is
            # consumed here rather than by _consume_first (the P-DATA path).
            end = start + needed
            pdu = memoryview(first)[start:end]
            if end < len(first):
                self._offset = end
            else:
                self._chunks.popleft()
                self._offset = 0
        else:
            pdu = memoryview(self._take(needed))
        self._size -= needed
        self._needed = 0
        return pdu

    def _read_header(self) -> None:
        """Check the head PDU's type and, once 6 bytes are in, its length."""
        if not self._size:
            return
        first = self._chunks[0]
        pdu_type = first[self._offset]
        if pdu_type not in _PDU_TYPES:
            # Known from the first byte: no need to wait for a length.
            raise UnrecognizedPDUError(f"unknown PDU type 0x{pdu_type:02X}")
        if self._size < _HEADER_LENGTH:
            return
        if len(first) - self._offset >= _HEADER_LENGTH:
            _, _, length = _HEADER.unpack_from(first, self._offset)
        else:
            _, _, length = _HEADER.unpack(self._peek_header())
        if pdu_type == _P_DATA_TF:
            limit = self.max_pdu_length
        else:
            limit = self.max_association_pdu_length
        if limit and length > limit:
            raise PDUTooLargeError(
                f"PDU type 0x{pdu_type:02X} declares length {length}, "
                f"above the limit {limit}"
            )
        self._needed = _HEADER_LENGTH + length

    def _peek_header(self) -> bytes:
        """Return the 6 header bytes when they span chunks (rare: tiny reads)."""
        # Every chunk holds at least one byte, so six chunks always suffice.
        pieces = []
        offset = self._offset
        for chunk in islice(self._chunks, _HEADER_LENGTH):
            pieces.append(chunk[offset : offset + _HEADER_LENGTH])
            offset = 0
        return b"".join(pieces)[:_HEADER_LENGTH]

    def _consume_first(self, count: int) -> None:
        """Drop ``count`` bytes (fewer than or all it holds) of the first chunk."""
        first = self._chunks[0]
        if type(first) is bytearray:
            # No view of it is alive (none ever escapes), so resizing is safe.
            del first[:count]
            if first:
                return
        else:
            self._offset += count
            if self._offset < len(first):
                return
        self._chunks.popleft()
        self._offset = 0
        if first is self._tail:
            self._tail = None

    def _take(self, count: int) -> bytes:
        """Remove ``count`` bytes spanning chunks and join them once."""
        pieces: list[bytes | bytearray | memoryview] = []
        while count:
            first = self._chunks[0]
            start = self._offset
            available = len(first) - start
            taken = min(available, count)
            if type(first) is bytes:
                pieces.append(memoryview(first)[start : start + taken])
            else:
                pieces.append(first[:taken])  # a copy: never a view of it
            self._consume_first(taken)
            count -= taken
        return b"".join(pieces)
