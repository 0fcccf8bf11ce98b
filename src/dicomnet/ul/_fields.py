"""Length-checked readers, and writers, for the items and fields of the PDU codec.

PS3.8 9.3.1 builds the variable part of a PDU from items (type, reserved,
2-byte length, value) and PS3.7 D.3.3 builds sub-items from fields behind a
2-byte length. Every reader here checks a length against what its parent holds
before it reads, so malformed input ends in an
:class:`~dicomnet.errors.InvalidPDUParameterValueError` (A-ABORT reason 6) and
never in an ``IndexError`` or ``struct.error``.
"""

from __future__ import annotations

from struct import Struct
from typing import TYPE_CHECKING, Final

from dicomnet.errors import InvalidPDUParameterValueError

if TYPE_CHECKING:
    from collections.abc import Iterator

# PS3.8 9.3.1: type (1), reserved (1), length (2), big endian.
ITEM_HEADER: Final = Struct(">BBH")
_U16: Final = Struct(">H")


def iter_items(data: bytes, where: str) -> Iterator[tuple[int, int, bytes]]:
    """Walk the items of a variable field (PS3.8 9.3.1).

    Yields the item type, the byte after it (reserved, or the sub-item version
    of PS3.7 D.3.3.6.1) and the item's value; ``where`` names the parent in
    messages. A truncated header or an item overrunning ``data`` raises
    :class:`~dicomnet.errors.InvalidPDUParameterValueError`.
    """
    offset = 0
    end = len(data)
    while offset < end:
        if end - offset < ITEM_HEADER.size:
            raise InvalidPDUParameterValueError(f"truncated item header in {where}")
        item_type, second, length = ITEM_HEADER.unpack_from(data, offset)
        offset += ITEM_HEADER.size
        if length > end - offset:
            raise InvalidPDUParameterValueError(
                f"item 0x{item_type:02X} of length {length} overruns {where}"
            )
        yield item_type, second, data[offset : offset + length]
        offset += length


def pack_item(item_type: int, body: bytes, second: int = 0) -> bytes:
    """Frame ``body`` as one item (PS3.8 9.3.1): type, reserved, length, value.

    ``second`` is the reserved byte, sent as 00H, except where PS3.7 D.3.3.6.1
    puts the sub-item version there. A body over 65535 bytes raises
    ``struct.error``, which the encoders turn into a local error.
    """
    return ITEM_HEADER.pack(item_type, second, len(body)) + body


def pack_field(raw: bytes) -> bytes:
    """Write ``raw`` behind its 2-byte length (the PS3.7 D.3.3 sub-fields)."""
    return _U16.pack(len(raw)) + raw


def read_field(value: bytes, offset: int, where: str) -> tuple[bytes, int]:
    """Read a 2-byte length then that many bytes (the PS3.7 D.3.3 sub-fields).

    Returns the field and the offset after it.
    """
    if len(value) - offset < _U16.size:
        raise InvalidPDUParameterValueError(f"truncated length field in {where}")
    (length,) = _U16.unpack_from(value, offset)
    offset += _U16.size
    if length > len(value) - offset:
        raise InvalidPDUParameterValueError(f"field overruns {where}")
    return value[offset : offset + length], offset + length


def check_length(value: bytes, length: int, where: str) -> None:
    """Raise unless an item's value ends exactly after ``length`` bytes."""
    if len(value) != length:
        raise InvalidPDUParameterValueError(
            f"{where} has length {len(value)}, expected {length}"
        )


def flag(byte: int, where: str) -> bool:
    """Decode a 0/1 byte (PS3.7 D.3.3.4, D.3.3.7); other values are invalid.

    Anything else would decode to ``bool`` and re-encode differently.
    """
    if byte > 1:
        raise InvalidPDUParameterValueError(f"{where} is {byte}, expected 0 or 1")
    return bool(byte)


def odd_context_id(context_id: int, where: str) -> int:
    """Return ``context_id`` if odd: PS3.8 9.3.2.2 allows odd IDs 1 to 255 only."""
    if not context_id & 1:
        raise InvalidPDUParameterValueError(
            f"{where} has presentation context ID {context_id}, which is not odd"
        )
    return context_id
