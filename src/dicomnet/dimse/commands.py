"""DIMSE command sets to and from bytes (PS3.7 6.3, Annex E).

A command set is the group-0000 part of every DIMSE message: Implicit VR
Little Endian (PS3.7 6.3.1), elements in ascending tag order, starting with
Command Group Length (0000,0000). It is a few hundred bytes decoded once per
message, so the codec is hand-written on :mod:`struct` rather than a round trip
through a pydicom ``Dataset``; the tag/keyword/VR table is taken from pydicom's
data dictionary at import (every group-0000 entry, retired ones included).

Values, keyed by DICOM keyword:

- US/UL with VM 1: ``int``; US with VM 1-n (retired *Overlays*): ``list[int]``;
- AT: ``list[int]`` of 32-bit tags (``pydicom.tag.BaseTag`` is an ``int``);
- UI: ``str`` without padding; AE, CS, IS, LO, SH: ``str`` stripped of leading
  and trailing spaces (not significant for those VRs, PS3.5 6.2); LT: ``str``
  stripped of trailing spaces;
- a group-0000 tag the dictionary does not know: ``bytes``, keyed by the tag
  written ``"(0000,XXXX)"``, kept and re-encoded as received.

Command Group Length is computed by :func:`encode_command` and checked and
dropped by :func:`decode_command`: it is structure, not content. A zero-length
US/UL/AT element is taken as absent (PS3.5 7.1: no value), so a mandatory field
sent empty is reported as missing by :mod:`dicomnet.dimse.primitives`.

Decoding raises only :class:`~dicomnet.errors.InvalidMessageError`; encoding
raises :class:`~dicomnet.errors.LocalProtocolError` for a value its element
cannot hold.
"""

from __future__ import annotations

import re
from enum import IntEnum
from operator import itemgetter
from struct import Struct, error
from typing import TYPE_CHECKING, Final, TypeAlias

from pydicom.datadict import dictionary_VM, dictionary_VR, keyword_dict

from dicomnet.errors import InvalidMessageError, LocalProtocolError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

__all__ = [
    "CommandDataSetType",
    "CommandField",
    "CommandValue",
    "Priority",
    "decode_command",
    "encode_command",
    "has_data_set",
    "keyword_for_element",
]

#: The value of one command element (see the module docstring).
CommandValue = int | str | bytes | list[int]


class CommandField(IntEnum):
    """Command Field (0000,0100) values (PS3.7 E.1, Tables 9.3-x and 10.3-x).

    Bit 15 set marks a response (PS3.7 9.3, 10.3: each -RSP is its -RQ
    + 8000H); C-CANCEL-RQ has no response.
    """

    C_STORE_RQ = 0x0001
    C_STORE_RSP = 0x8001
    C_GET_RQ = 0x0010
    C_GET_RSP = 0x8010
    C_FIND_RQ = 0x0020
    C_FIND_RSP = 0x8020
    C_MOVE_RQ = 0x0021
    C_MOVE_RSP = 0x8021
    C_ECHO_RQ = 0x0030
    C_ECHO_RSP = 0x8030
    N_EVENT_REPORT_RQ = 0x0100
    N_EVENT_REPORT_RSP = 0x8100
    N_GET_RQ = 0x0110
    N_GET_RSP = 0x8110
    N_SET_RQ = 0x0120
    N_SET_RSP = 0x8120
    N_ACTION_RQ = 0x0130
    N_ACTION_RSP = 0x8130
    N_CREATE_RQ = 0x0140
    N_CREATE_RSP = 0x8140
    N_DELETE_RQ = 0x0150
    N_DELETE_RSP = 0x8150
    C_CANCEL_RQ = 0x0FFF


class CommandDataSetType(IntEnum):
    """Command Data Set Type (0000,0800) (PS3.7 E.1).

    0101H means no data set follows; PS3.7 gives every other value the meaning
    "a data set follows", so a receiver tests ``!= NULL``, never ``== PRESENT``.
    """

    PRESENT = 0x0001
    NULL = 0x0101


class Priority(IntEnum):
    """Priority (0000,0700) of a C-STORE/C-FIND/C-GET/C-MOVE request (PS3.7 E.1)."""

    MEDIUM = 0x0000
    HIGH = 0x0001
    LOW = 0x0002


class _Kind(IntEnum):
    """How an element's value is decoded and encoded; from its VR and VM."""

    US = 0
    UL = 1
    UI = 2
    TEXT = 3  # AE, CS, IS, LO, SH: leading and trailing spaces insignificant
    LT = 4  # trailing spaces insignificant only
    AT = 5
    US_MULTI = 6
    BYTES = 7


_TEXT_VRS: Final = frozenset({"AE", "CS", "IS", "LO", "SH"})


def _kind_for(vr: str, vm: str) -> _Kind:
    if vr == "US":
        return _Kind.US if vm == "1" else _Kind.US_MULTI
    if vr in _TEXT_VRS:
        return _Kind.TEXT
    simple = {"UL": _Kind.UL, "UI": _Kind.UI, "LT": _Kind.LT, "AT": _Kind.AT}
    return simple.get(vr, _Kind.BYTES)


def _build_tables() -> tuple[
    dict[int, tuple[str, _Kind]], dict[str, tuple[int, _Kind]]
]:
    """Index pydicom's group-0000 entries by element number and by keyword."""
    by_element: dict[int, tuple[str, _Kind]] = {}
    by_keyword: dict[str, tuple[int, _Kind]] = {}
    for keyword, tag in keyword_dict.items():
        if tag >> 16 == 0:
            kind = _kind_for(dictionary_VR(tag), dictionary_VM(tag))
            by_element[tag] = (keyword, kind)
            by_keyword[keyword] = (tag, kind)
    return by_element, by_keyword


_BY_ELEMENT, _BY_KEYWORD = _build_tables()

# PS3.5 7.1.2: Implicit VR element header, tag group and element then a 32-bit
# value length, little endian.
_ELEMENT_HEADER: Final = Struct("<HHL")
_HEADER_SIZE: Final = _ELEMENT_HEADER.size
_US: Final = Struct("<H")
_UL: Final = Struct("<L")
# PS3.7 6.3.1: the command set opens with (0000,0000) UL, length 4.
_GROUP_LENGTH: Final = Struct("<HHLL")
_GROUP_LENGTH_SIZE: Final = _GROUP_LENGTH.size
_UNKNOWN_KEY: Final = re.compile(r"\(0000,([0-9A-F]{4})\)")


# Module constants for the per-element and per-message tests: an enum member
# read as ``_Kind.US`` costs a class attribute lookup (~130 ns on CPython
# 3.11), a module global ~17 ns.
_KIND_US: Final = _Kind.US
_KIND_UI: Final = _Kind.UI
_NULL_DATA_SET: Final = int(CommandDataSetType.NULL)


def keyword_for_element(element: int) -> str:
    """Return the key :func:`decode_command` uses for element ``(0000,element)``.

    Parameters
    ----------
    element : int
        The element number of a group-0000 tag.

    Returns
    -------
    str
        The DICOM keyword, or ``"(0000,XXXX)"`` for a tag pydicom does not know.
    """
    entry = _BY_ELEMENT.get(element)
    return entry[0] if entry is not None else f"(0000,{element:04X})"


# -- decoding ------------------------------------------------------------------------


def _decode_ui(value: bytes, keyword: str) -> str:
    if not value.isascii():
        raise InvalidMessageError(f"{keyword} is not an ASCII UID")
    # PS3.5 9.1: a UID is padded with one NUL; some peers pad with spaces.
    return value.decode("ascii").rstrip("\0 ")


# Latin-1 maps every byte, so a non-ASCII Error Comment from a careless peer
# is kept rather than fatal, and re-encodes to the same bytes.
def _decode_text(value: bytes, _keyword: str) -> str:
    return value.decode("latin-1").strip(" \0")


def _decode_lt(value: bytes, _keyword: str) -> str:
    return value.decode("latin-1").rstrip(" \0")


def _decode_bytes(value: bytes, _keyword: str) -> bytes:
    return value


def _decode_number(value: bytes, keyword: str, size: int) -> int | None:
    length = len(value)
    if not length:
        return None
    if length != size:
        raise InvalidMessageError(f"{keyword} has length {length}, not {size}")
    return int.from_bytes(value, "little")


def _decode_us_list(value: bytes, keyword: str) -> list[int] | None:
    if len(value) % 2:
        raise InvalidMessageError(f"{keyword} length {len(value)} is odd")
    return [value[i] | value[i + 1] << 8 for i in range(0, len(value), 2)] or None


def _decode_at(value: bytes, keyword: str) -> list[int] | None:
    if len(value) % 4:
        raise InvalidMessageError(f"{keyword} length {len(value)} is not 4n")
    # PS3.5 6.2 (AT): each tag is a 16-bit group then a 16-bit element.
    halves = _decode_us_list(value, keyword) or []
    return [halves[i] << 16 | halves[i + 1] for i in range(0, len(halves), 2)] or None


_VALUE_DECODERS: Final[tuple[Callable[[bytes, str], CommandValue | None], ...]] = (
    lambda value, keyword: _decode_number(value, keyword, 2),  # _Kind.US
    lambda value, keyword: _decode_number(value, keyword, 4),  # _Kind.UL
    _decode_ui,
    _decode_text,
    _decode_lt,
    _decode_at,
    _decode_us_list,
    _decode_bytes,
)


def _check_group_length(raw: bytes) -> None:
    end = len(raw)
    if end < _GROUP_LENGTH_SIZE:
        raise InvalidMessageError(f"command set of {end} bytes")
    group, element, length, value = _GROUP_LENGTH.unpack_from(raw)
    if group or element or length != 4:
        raise InvalidMessageError("command set does not start with CommandGroupLength")
    if value != end - _GROUP_LENGTH_SIZE:
        raise InvalidMessageError(
            f"CommandGroupLength {value} but {end - _GROUP_LENGTH_SIZE} bytes follow"
        )


def decode_command(data: bytes | bytearray | memoryview) -> dict[str, CommandValue]:
    """Decode a whole command set.

    Parameters
    ----------
    data : bytes-like
        The command set: the joined command fragments of one message.

    Returns
    -------
    dict of str to CommandValue
        The elements by keyword, Command Group Length excepted.

    Raises
    ------
    InvalidMessageError
        The bytes are not a well-formed group-0000 Implicit VR Little Endian
        command set with a correct Command Group Length.
    """
    # One copy of a few hundred bytes buys bytes slicing, faster than views.
    raw = bytes(data)
    _check_group_length(raw)
    unpack = _ELEMENT_HEADER.unpack_from
    by_element = _BY_ELEMENT
    fields: dict[str, CommandValue] = {}
    end = len(raw)
    offset = _GROUP_LENGTH_SIZE
    previous = 0
    while offset < end:
        if end - offset < _HEADER_SIZE:
            raise InvalidMessageError("truncated element header in command set")
        group, element, length = unpack(raw, offset)
        offset += _HEADER_SIZE
        stop = offset + length
        if group or element <= previous or stop > end:
            # PS3.7 6.3.1 / PS3.5 7.1: group 0000 only, ascending, within bounds.
            raise InvalidMessageError(
                f"element ({group:04X},{element:04X}) of length {length} "
                f"at offset {offset - _HEADER_SIZE} is out of place"
            )
        previous = element
        entry = by_element.get(element)
        if entry is None:
            fields[f"(0000,{element:04X})"] = raw[offset:stop]
        elif entry[1] is _KIND_US and length == 2:  # most elements: inline
            fields[entry[0]] = raw[offset] | raw[offset + 1] << 8
        else:
            value = _VALUE_DECODERS[entry[1]](raw[offset:stop], entry[0])
            if value is not None:
                fields[entry[0]] = value
        offset = stop
    return fields


def has_data_set(fields: Mapping[str, CommandValue]) -> bool:
    """Return whether a decoded command announces a data set (PS3.7 E.1).

    Parameters
    ----------
    fields : mapping of str to CommandValue
        A decoded command set.

    Returns
    -------
    bool
        ``False`` only for Command Data Set Type 0101H.

    Raises
    ------
    InvalidMessageError
        Command Data Set Type, present in every message of PS3.7 9.3 and
        10.3, is missing.
    """
    value = fields.get("CommandDataSetType")
    if not isinstance(value, int):
        raise InvalidMessageError(f"CommandDataSetType is {value!r}")
    return value != _NULL_DATA_SET


# -- encoding ------------------------------------------------------------------------


def _int_value(value: CommandValue) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise LocalProtocolError(f"{value!r} is not an int")
    return value


def _int_list(value: CommandValue) -> list[int]:
    values = [value] if isinstance(value, int) else value
    if not isinstance(values, list):
        raise LocalProtocolError(f"{value!r} is not a list of int")
    return [_int_value(item) for item in values]


def _text_value(value: CommandValue, kind: _Kind) -> bytes:
    if not isinstance(value, str):
        raise LocalProtocolError(f"{value!r} is not a str")
    if kind is _KIND_UI:
        try:
            encoded = value.encode("ascii")
        except UnicodeEncodeError as exc:
            raise LocalProtocolError(f"UID {value!r} is not ASCII") from exc
        # PS3.5 9.1: an odd-length UID is padded with a single NUL.
        return encoded + b"\0" if len(encoded) % 2 else encoded
    try:
        encoded = value.encode("latin-1")
    except UnicodeEncodeError as exc:
        raise LocalProtocolError(f"{value!r} is not Latin-1 text") from exc
    # PS3.5 6.2: text values are padded with a trailing space.
    return encoded + b" " if len(encoded) % 2 else encoded


def _encode_us_list(values: list[int]) -> bytes:
    return b"".join(_US.pack(item) for item in values)


def _encode_at(values: list[int]) -> bytes:
    return b"".join(_US.pack(tag >> 16) + _US.pack(tag & 0xFFFF) for tag in values)


def _encode_bytes(value: CommandValue) -> bytes:
    if not isinstance(value, bytes):
        raise LocalProtocolError(f"{value!r} is not bytes")
    return value


# Whole-element encoders, header included: a US or UL element (most of a
# command set) is one struct call, not a header call, a value call and a join.
_US_ELEMENT: Final = Struct("<HHLH")
_UL_ELEMENT: Final = Struct("<HHLL")
_ElementEncoder: TypeAlias = "Callable[[int, CommandValue], bytes]"


def _header_and(encode: Callable[[CommandValue], bytes]) -> _ElementEncoder:
    pack_header = _ELEMENT_HEADER.pack

    def element(tag: int, value: CommandValue) -> bytes:
        encoded = encode(value)
        return pack_header(0, tag, len(encoded)) + encoded

    return element


_ELEMENT_ENCODERS: Final[dict[_Kind, _ElementEncoder]] = {
    _Kind.US: lambda tag, value: _US_ELEMENT.pack(0, tag, 2, _int_value(value)),
    _Kind.UL: lambda tag, value: _UL_ELEMENT.pack(0, tag, 4, _int_value(value)),
    _Kind.UI: _header_and(lambda value: _text_value(value, _Kind.UI)),
    _Kind.TEXT: _header_and(lambda value: _text_value(value, _Kind.TEXT)),
    _Kind.LT: _header_and(lambda value: _text_value(value, _Kind.LT)),
    _Kind.AT: _header_and(lambda value: _encode_at(_int_list(value))),
    _Kind.US_MULTI: _header_and(lambda value: _encode_us_list(_int_list(value))),
    _Kind.BYTES: _header_and(_encode_bytes),
}
#: Keyword -> (element, whole-element encoder), for every known command element.
_ENCODING: Final[dict[str, tuple[int, _ElementEncoder]]] = {
    keyword: (element, _ELEMENT_ENCODERS[kind])
    for keyword, (element, kind) in _BY_KEYWORD.items()
}


def _element_for(key: str) -> tuple[int, _Kind]:
    entry = _BY_KEYWORD.get(key)
    if entry is not None:
        return entry
    match = _UNKNOWN_KEY.fullmatch(key)
    if match is None:
        raise LocalProtocolError(f"{key!r} is not a command element keyword")
    element = int(match.group(1), 16)
    if element in _BY_ELEMENT:
        raise LocalProtocolError(f"{key} is {_BY_ELEMENT[element][0]}: use the keyword")
    return element, _Kind.BYTES


def encode_command(fields: Mapping[str, CommandValue]) -> bytes:
    """Encode a command set, Command Group Length first (PS3.7 6.3.1, E.1).

    Parameters
    ----------
    fields : mapping of str to CommandValue
        Elements by keyword (or ``"(0000,XXXX)"`` for unknown tags), in any
        order. A ``CommandGroupLength`` entry is ignored: it is computed.

    Returns
    -------
    bytes
        The command set, elements in ascending tag order.

    Raises
    ------
    LocalProtocolError
        An unknown key, or a value its element cannot hold.
    """
    elements = []
    encoding = _ENCODING
    for key, value in fields.items():
        entry = encoding.get(key)
        if entry is None:
            element, kind = _element_for(key)
            entry = (element, _ELEMENT_ENCODERS[kind])
        if entry[0]:  # (0000,0000) is computed below
            elements.append((entry[0], entry[1], value))
    elements.sort(key=itemgetter(0))
    try:
        body = b"".join([encode(element, value) for element, encode, value in elements])
        return _GROUP_LENGTH.pack(0, 0, 4, len(body)) + body
    except (error, OverflowError) as exc:
        raise LocalProtocolError(f"cannot encode command set: {exc}") from exc
