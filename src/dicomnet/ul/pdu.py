"""The seven Upper Layer PDUs (PS3.8 9.3).

Association-level PDUs are frozen dataclasses. A P-DATA-TF carries its
Presentation Data Value items as :class:`PDV` tuples whose ``data`` is a
``memoryview`` slice of the received bytes when decoded: no payload is copied.

:func:`encode_pdu` and :func:`decode_pdu` are exact inverses for canonical
bytes. Decoding raises only :class:`~dicomnet.errors.RemoteProtocolError`
subclasses, each carrying the A-ABORT reason (and, for an A-ASSOCIATE-RQ the
acceptor must refuse, the A-ASSOCIATE-RJ code) the state machine answers with;
encoding raises :class:`~dicomnet.errors.LocalProtocolError` for a value its
field cannot hold.

Fixed-length PDUs (A-ASSOCIATE-RJ, A-RELEASE-RQ/RP, A-ABORT) must declare
exactly their length (4): PS3.8 defines no other layout, and no device is known
to send one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from struct import Struct, error
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from dicomnet.errors import (
    REJECT_CALLED_AE_TITLE,
    REJECT_CALLING_AE_TITLE,
    REJECT_PROTOCOL_VERSION,
    InvalidPDUParameterValueError,
    LocalProtocolError,
    UnexpectedPDUParameterError,
    UnrecognizedPDUError,
)
from dicomnet.ul._fields import iter_items
from dicomnet.ul._text import (
    decode_ae_title,
    decode_ae_title_lenient,
    encode_ae_title,
)
from dicomnet.ul.item_type import ItemType, reject_misplaced_item
from dicomnet.ul.items import (
    ApplicationContextItem,
    PresentationContextItemAC,
    PresentationContextItemRQ,
    decode_application_context,
    decode_presentation_context_ac,
    decode_presentation_context_rq,
    encode_item,
)
from dicomnet.ul.user_information import UserInformationItem, decode_user_information

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence


class PDUType(IntEnum):
    """PDU-type field (PS3.8 9.3.1, Table 9-11 ... 9-26)."""

    A_ASSOCIATE_RQ = 0x01
    A_ASSOCIATE_AC = 0x02
    A_ASSOCIATE_RJ = 0x03
    P_DATA_TF = 0x04
    A_RELEASE_RQ = 0x05
    A_RELEASE_RP = 0x06
    A_ABORT = 0x07


#: PS3.8 9.3.2: bit 0 of the protocol-version field is version 1.
PROTOCOL_VERSION = 0x0001

#: Message Control Header bits (PS3.8 Annex E.2).
MCH_COMMAND = 0x01
MCH_LAST_FRAGMENT = 0x02


class PDV(NamedTuple):
    """One Presentation Data Value item (PS3.8 9.3.5.1, Annex E.2).

    A NamedTuple rather than a dataclass: the P-DATA path builds one per
    fragment and tuple construction is the cheapest typed record in CPython.
    """

    context_id: int
    message_control_header: int
    data: bytes | memoryview

    @property
    def is_command(self) -> bool:
        """Bit 0 of the message control header: command (1) or data set (0)."""
        return bool(self.message_control_header & MCH_COMMAND)

    @property
    def is_last_fragment(self) -> bool:
        """Bit 1 of the message control header: last fragment of the message."""
        return bool(self.message_control_header & MCH_LAST_FRAGMENT)


@dataclass(frozen=True, slots=True, kw_only=True)
class A_ASSOCIATE_RQ:  # noqa: N801  (PS3.8 name)
    """A-ASSOCIATE-RQ PDU (PS3.8 9.3.2). AE titles are kept without trailing spaces."""

    called_ae_title: str
    calling_ae_title: str
    presentation_contexts: tuple[PresentationContextItemRQ, ...]
    user_information: UserInformationItem = field(default_factory=UserInformationItem)
    application_context: ApplicationContextItem = field(
        default_factory=ApplicationContextItem
    )
    protocol_version: int = PROTOCOL_VERSION


@dataclass(frozen=True, slots=True, kw_only=True)
class A_ASSOCIATE_AC:  # noqa: N801
    """A-ASSOCIATE-AC PDU (PS3.8 9.3.3).

    The AE title fields are reserved in the AC but PS3.8 asks that they carry
    the values of the RQ; they are kept so that the PDU re-encodes exactly.
    """

    called_ae_title: str
    calling_ae_title: str
    presentation_contexts: tuple[PresentationContextItemAC, ...]
    user_information: UserInformationItem = field(default_factory=UserInformationItem)
    application_context: ApplicationContextItem = field(
        default_factory=ApplicationContextItem
    )
    protocol_version: int = PROTOCOL_VERSION


@dataclass(frozen=True, slots=True, kw_only=True)
class A_ASSOCIATE_RJ:  # noqa: N801
    """A-ASSOCIATE-RJ PDU (PS3.8 9.3.4); see :class:`dicomnet.errors.RejectReason`."""

    result: int
    source: int
    reason: int


@dataclass(frozen=True, slots=True, kw_only=True)
class P_DATA_TF:  # noqa: N801
    """P-DATA-TF PDU (PS3.8 9.3.5): one or more PDV items."""

    pdvs: tuple[PDV, ...]


# The receive path builds one PDV and one P_DATA_TF per PDU. A frozen
# dataclass's __init__ stores each field with object.__setattr__, and a
# NamedTuple's __new__ is a Python function; creating the object and storing
# through the slot descriptor (or tuple.__new__) is the same work without the
# Python-level call: P_DATA_TF 275 -> 115 ns, PDV 200 -> 140 ns (timeit,
# CPython 3.11). The house style keeps per-fragment objects off that path;
# this keeps the typed PDU at the lowest cost.
_new_object: Final = object.__new__
_new_tuple: Final = tuple.__new__
_set_pdvs: Final[Callable[[P_DATA_TF, tuple[PDV, ...]], None]] = P_DATA_TF.__dict__[
    "pdvs"
].__set__


@dataclass(frozen=True, slots=True, kw_only=True)
class A_RELEASE_RQ:  # noqa: N801
    """A-RELEASE-RQ PDU (PS3.8 9.3.6)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class A_RELEASE_RP:  # noqa: N801
    """A-RELEASE-RP PDU (PS3.8 9.3.7)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class A_ABORT:  # noqa: N801
    """A-ABORT PDU (PS3.8 9.3.8); see :class:`dicomnet.errors.AbortSource`.

    Source and reason are plain ints: an abort is honoured whatever values a
    peer puts there.
    """

    source: int
    reason: int = 0


PDU = (
    A_ASSOCIATE_RQ
    | A_ASSOCIATE_AC
    | A_ASSOCIATE_RJ
    | P_DATA_TF
    | A_RELEASE_RQ
    | A_RELEASE_RP
    | A_ABORT
)


# PS3.8 9.3.1: every PDU starts with type (1), reserved (1), length (4).
_HEADER: Final = Struct(">BBL")
#: Size of the PDU header; the PDU-length field counts the bytes after it.
HEADER_LENGTH: Final = _HEADER.size
# PS3.8 9.3.2 / 9.3.3, bytes 7-74: protocol version (2), reserved (2), called
# AE title (16), calling AE title (16), reserved (32).
_ASSOCIATE_FIXED: Final = Struct(">HH16s16s32x")
_ASSOCIATE_ITEMS_OFFSET: Final = HEADER_LENGTH + _ASSOCIATE_FIXED.size
# PS3.8 9.3.4 and 9.3.8: reserved, then three one-byte fields (the first of
# A-ABORT's three is reserved too).
_FOUR_BYTES: Final = Struct(">BBBB")
# PS3.8 9.3.5.1: PDV item length (4), context ID (1), message control header
# (1, PS3.8 E.2); the item length counts the last two and the fragment.
_PDV_HEADER: Final = Struct(">LBB")
_PDV_OVERHEAD: Final = _PDV_HEADER.size - 4
# A P-DATA-TF holding one PDV: the PDU header, the PDV item's 4-byte length,
# then its context ID, message control header and data (PS3.8 9.3.5).
_SINGLE_PDV_OFFSET: Final = HEADER_LENGTH + 4
_SINGLE_PDV_DATA: Final = HEADER_LENGTH + _PDV_HEADER.size
_SINGLE_PDV_MIN: Final = _SINGLE_PDV_DATA


# -- decoding ------------------------------------------------------------------------


def _decode_variable_items(
    data: bytes, *, requestor: bool
) -> tuple[ApplicationContextItem, list[bytes], UserInformationItem]:
    """Sort the variable items of an A-ASSOCIATE-RQ/AC (PS3.8 9.3.2, 9.3.3).

    PS3.8 lists one application context item, the presentation context items
    and one user information item; the order is not tested, the counts are.
    Zero presentation contexts is left to negotiation, which refuses it.
    Returns the presentation context items' values undecoded.
    """
    where = "A-ASSOCIATE-RQ" if requestor else "A-ASSOCIATE-AC"
    context_type = (
        ItemType.PRESENTATION_CONTEXT_RQ
        if requestor
        else ItemType.PRESENTATION_CONTEXT_AC
    )
    application_context: ApplicationContextItem | None = None
    user_information: UserInformationItem | None = None
    contexts: list[bytes] = []
    for item_type, _, value in iter_items(data, where):
        if item_type == context_type:
            contexts.append(value)
        elif item_type == ItemType.APPLICATION_CONTEXT and application_context is None:
            application_context = decode_application_context(value)
        elif item_type == ItemType.USER_INFORMATION and user_information is None:
            user_information = decode_user_information(value, requestor=requestor)
        else:
            reject_misplaced_item(item_type, where)
    if application_context is None:
        raise UnexpectedPDUParameterError(f"{where} has no application context item")
    if user_information is None:
        raise UnexpectedPDUParameterError(f"{where} has no user information item")
    return application_context, contexts, user_information


def _decode_associate_rq(view: memoryview) -> A_ASSOCIATE_RQ:
    # One copy of an association PDU (at most ~1 MiB, once per association)
    # buys plain-bytes parsing below.
    raw = bytes(view)
    if len(raw) < _ASSOCIATE_ITEMS_OFFSET:
        raise InvalidPDUParameterValueError("A-ASSOCIATE-RQ shorter than 74 bytes")
    version, _, called, calling = _ASSOCIATE_FIXED.unpack_from(raw, HEADER_LENGTH)
    if not version & PROTOCOL_VERSION:
        # PS3.8 9.3.4: answered with an A-ASSOCIATE-RJ, not an A-ABORT.
        raise InvalidPDUParameterValueError(
            f"protocol version 0x{version:04X} does not include version 1",
            reject=REJECT_PROTOCOL_VERSION,
        )
    called_title = decode_ae_title(
        called, field="called", reject=REJECT_CALLED_AE_TITLE
    )
    calling_title = decode_ae_title(
        calling, field="calling", reject=REJECT_CALLING_AE_TITLE
    )
    application_context, contexts, user_information = _decode_variable_items(
        raw[_ASSOCIATE_ITEMS_OFFSET:], requestor=True
    )
    return A_ASSOCIATE_RQ(
        called_ae_title=called_title,
        calling_ae_title=calling_title,
        presentation_contexts=tuple(map(decode_presentation_context_rq, contexts)),
        user_information=user_information,
        application_context=application_context,
        protocol_version=version,
    )


def _decode_associate_ac(view: memoryview) -> A_ASSOCIATE_AC:
    raw = bytes(view)
    if len(raw) < _ASSOCIATE_ITEMS_OFFSET:
        raise InvalidPDUParameterValueError("A-ASSOCIATE-AC shorter than 74 bytes")
    # PS3.8 9.3.3: the AE titles echo the request and are not tested; the
    # protocol version is the acceptor's, and the requestor has no use for
    # testing it either.
    version, _, called, calling = _ASSOCIATE_FIXED.unpack_from(raw, HEADER_LENGTH)
    application_context, contexts, user_information = _decode_variable_items(
        raw[_ASSOCIATE_ITEMS_OFFSET:], requestor=False
    )
    return A_ASSOCIATE_AC(
        called_ae_title=decode_ae_title_lenient(called),
        calling_ae_title=decode_ae_title_lenient(calling),
        presentation_contexts=tuple(map(decode_presentation_context_ac, contexts)),
        user_information=user_information,
        application_context=application_context,
        protocol_version=version,
    )


def _four_bytes(view: memoryview, name: str) -> tuple[int, int, int, int]:
    if len(view) != HEADER_LENGTH + _FOUR_BYTES.size:
        raise InvalidPDUParameterValueError(f"{name} length is not 4")
    fields: tuple[int, int, int, int] = _FOUR_BYTES.unpack_from(view, HEADER_LENGTH)
    return fields


def _decode_associate_rj(view: memoryview) -> A_ASSOCIATE_RJ:
    # PS3.8 9.3.4: reserved, result, source, reason/diag. The values are kept
    # as sent: the association is over whatever they say.
    _, result, source, reason = _four_bytes(view, "A-ASSOCIATE-RJ")
    return A_ASSOCIATE_RJ(result=result, source=source, reason=reason)


def _decode_release_rq(view: memoryview) -> A_RELEASE_RQ:
    _four_bytes(view, "A-RELEASE-RQ")  # PS3.8 9.3.6: four reserved bytes
    return A_RELEASE_RQ()


def _decode_release_rp(view: memoryview) -> A_RELEASE_RP:
    _four_bytes(view, "A-RELEASE-RP")  # PS3.8 9.3.7: four reserved bytes
    return A_RELEASE_RP()


def _decode_abort(view: memoryview) -> A_ABORT:
    # PS3.8 9.3.8: reserved, reserved, source, reason/diag.
    _, _, source, reason = _four_bytes(view, "A-ABORT")
    return A_ABORT(source=source, reason=reason)


def decode_p_data_tf(view: memoryview) -> P_DATA_TF:
    """Decode one whole P-DATA-TF, header included, as a receive buffer frames it.

    :func:`decode_pdu`'s work for this one PDU type, minus the checks framing
    already made (the type byte, and a length field matching the bytes): the
    Upper Layer's hot path calls it directly for each P-DATA-TF in Sta6.

    Parameters
    ----------
    view : memoryview
        Exactly one P-DATA-TF PDU; each PDV's data is a slice of it.

    Returns
    -------
    P_DATA_TF

    Raises
    ------
    RemoteProtocolError
        A PDV item that does not fit, an even context ID, or no PDV at all.
    """
    # PS3.8 9.3.5: one or more PDV items. The hot path: one unpack and one
    # memoryview slice per PDV, never a copy of the fragment.
    unpack = _PDV_HEADER.unpack_from
    end = len(view)
    if end >= _SINGLE_PDV_MIN:
        length, context_id, control = unpack(view, HEADER_LENGTH)
        if (
            length == end - _SINGLE_PDV_OFFSET
            and length >= _PDV_OVERHEAD
            and context_id & 1
        ):
            # One PDV filling the PDU, as most senders send: no list to build.
            # Anything else takes the general loop, which says what is wrong.
            # PDV(...) and P_DATA_TF(pdvs=...) without their Python-level
            # constructors (see _new_object).
            pdv = _new_tuple(PDV, (context_id, control, view[_SINGLE_PDV_DATA:]))
            pdu: P_DATA_TF = _new_object(P_DATA_TF)
            _set_pdvs(pdu, (pdv,))
            return pdu
    pdvs: list[PDV] = []
    offset = HEADER_LENGTH
    while offset < end:
        if end - offset < _PDV_HEADER.size:
            raise InvalidPDUParameterValueError("truncated PDV item header")
        length, context_id, control = unpack(view, offset)
        if length < _PDV_OVERHEAD or length > end - offset - 4:
            raise InvalidPDUParameterValueError(
                f"PDV item length {length} does not fit its P-DATA-TF"
            )
        if not context_id & 1:
            # PS3.8 9.3.2.2: context IDs are odd, so 0 and even IDs are invalid.
            raise InvalidPDUParameterValueError(
                f"PDV with presentation context ID {context_id}"
            )
        start = offset + _PDV_HEADER.size
        offset += 4 + length
        pdvs.append(PDV(context_id, control, view[start:offset]))
    if not pdvs:
        raise UnexpectedPDUParameterError("P-DATA-TF without PDV item")
    return P_DATA_TF(pdvs=tuple(pdvs))


_DECODERS: Final[dict[int, Callable[[memoryview], PDU]]] = {
    PDUType.A_ASSOCIATE_RQ: _decode_associate_rq,
    PDUType.A_ASSOCIATE_AC: _decode_associate_ac,
    PDUType.A_ASSOCIATE_RJ: _decode_associate_rj,
    PDUType.P_DATA_TF: decode_p_data_tf,
    PDUType.A_RELEASE_RQ: _decode_release_rq,
    PDUType.A_RELEASE_RP: _decode_release_rp,
    PDUType.A_ABORT: _decode_abort,
}


def decode_pdu(data: bytes | bytearray | memoryview) -> PDU:
    """Decode one whole PDU, header included.

    Parameters
    ----------
    data : bytes-like
        Exactly one PDU, as :meth:`ReceiveBuffer.next_pdu
        <dicomnet.ul.buffer.ReceiveBuffer.next_pdu>` yields it. The ``data`` of
        each decoded :class:`PDV` is a slice of it, so pass immutable bytes (or
        a view of them) if the PDVs must outlive the call.

    Returns
    -------
    PDU
        The decoded PDU.

    Raises
    ------
    UnrecognizedPDUError
        The PDU type is not one of PS3.8's seven.
    RemoteProtocolError
        Another subclass naming the A-ABORT reason (and the A-ASSOCIATE-RJ
        code, in ``reject``, where the acceptor answers with one).
    """
    view = memoryview(data)
    if len(view) < HEADER_LENGTH:
        raise InvalidPDUParameterValueError("truncated PDU header")
    pdu_type, _, length = _HEADER.unpack_from(view)
    decoder = _DECODERS.get(pdu_type)
    if decoder is None:
        raise UnrecognizedPDUError(f"unknown PDU type 0x{pdu_type:02X}")
    if length != len(view) - HEADER_LENGTH:
        raise InvalidPDUParameterValueError(
            f"PDU length {length} but {len(view) - HEADER_LENGTH} bytes follow"
        )
    return decoder(view)


# -- encoding ------------------------------------------------------------------------


def encode_p_data_tf_parts(pdvs: Sequence[PDV]) -> list[bytes | memoryview]:
    """Encode a P-DATA-TF as a list of buffers, for ``socket.sendmsg``.

    Headers are small ``bytes``; each fragment is passed through uncopied.
    ``b"".join(parts)`` equals ``encode_pdu(P_DATA_TF(pdvs=tuple(pdvs)))``.

    Parameters
    ----------
    pdvs : sequence of PDV
        One or more PDVs.

    Returns
    -------
    list of bytes or memoryview
        The PDU header, then a PDV header and fragment per PDV.

    Raises
    ------
    LocalProtocolError
        No PDV, an even or out-of-range context ID, or a PDU over 4 GiB.
    """
    if not pdvs:
        raise LocalProtocolError("a P-DATA-TF holds one or more PDVs")
    pack = _PDV_HEADER.pack
    parts: list[bytes | memoryview] = [b""]
    total = 0
    try:
        for context_id, control, fragment in pdvs:
            if not context_id & 1:
                raise LocalProtocolError(f"presentation context ID {context_id}")
            # nbytes, not len(): a view of a wider format counts its elements.
            size = fragment.nbytes if type(fragment) is memoryview else len(fragment)
            parts.append(pack(size + _PDV_OVERHEAD, context_id, control))
            parts.append(fragment)
            total += size + _PDV_HEADER.size
        parts[0] = _HEADER.pack(PDUType.P_DATA_TF, 0, total)
    except error as exc:
        raise LocalProtocolError(f"cannot encode P-DATA-TF: {exc}") from exc
    return parts


def _encode_associate(pdu: A_ASSOCIATE_RQ | A_ASSOCIATE_AC) -> bytes:
    # PS3.8 9.3.2 / 9.3.3: items in the standard's order. Only a request's AE
    # titles are checked: they are what the acceptor tests.
    strict = type(pdu) is A_ASSOCIATE_RQ
    parts = [
        b"",
        _ASSOCIATE_FIXED.pack(
            pdu.protocol_version,
            0,
            encode_ae_title(pdu.called_ae_title, strict=strict),
            encode_ae_title(pdu.calling_ae_title, strict=strict),
        ),
        encode_item(pdu.application_context),
        *(encode_item(context) for context in pdu.presentation_contexts),
        encode_item(pdu.user_information),
    ]
    pdu_type = PDUType.A_ASSOCIATE_RQ if strict else PDUType.A_ASSOCIATE_AC
    parts[0] = _HEADER.pack(pdu_type, 0, sum(map(len, parts)))
    return b"".join(parts)


def _encode_associate_rj(pdu: A_ASSOCIATE_RJ) -> bytes:
    return _HEADER.pack(PDUType.A_ASSOCIATE_RJ, 0, 4) + _FOUR_BYTES.pack(
        0, pdu.result, pdu.source, pdu.reason
    )


def _encode_abort(pdu: A_ABORT) -> bytes:
    return _HEADER.pack(PDUType.A_ABORT, 0, 4) + _FOUR_BYTES.pack(
        0, 0, pdu.source, pdu.reason
    )


def _encode_p_data_tf(pdu: P_DATA_TF) -> bytes:
    return b"".join(encode_p_data_tf_parts(pdu.pdvs))


# PS3.8 9.3.6 / 9.3.7: a header of length 4, then four reserved bytes.
_RELEASE_RQ_BYTES: Final = _HEADER.pack(PDUType.A_RELEASE_RQ, 0, 4) + bytes(4)
_RELEASE_RP_BYTES: Final = _HEADER.pack(PDUType.A_RELEASE_RP, 0, 4) + bytes(4)

# Keyed by class; the values take that class only, which a dict cannot type.
_ENCODERS: Final[dict[type, Callable[[Any], bytes]]] = {
    A_ASSOCIATE_RQ: _encode_associate,
    A_ASSOCIATE_AC: _encode_associate,
    A_ASSOCIATE_RJ: _encode_associate_rj,
    P_DATA_TF: _encode_p_data_tf,
    A_RELEASE_RQ: lambda _: _RELEASE_RQ_BYTES,
    A_RELEASE_RP: lambda _: _RELEASE_RP_BYTES,
    A_ABORT: _encode_abort,
}


def encode_pdu(pdu: PDU) -> bytes:
    """Encode a PDU, header included.

    Parameters
    ----------
    pdu : PDU
        Any of the seven PDU dataclasses.

    Returns
    -------
    bytes
        The PDU as sent on the wire.

    Raises
    ------
    LocalProtocolError
        A value does not fit its field (an AE title over 16 characters, a
        length over its field, a byte field over 255...).
    """
    try:
        return _ENCODERS[type(pdu)](pdu)
    except (error, OverflowError) as exc:
        raise LocalProtocolError(f"cannot encode {type(pdu).__name__}: {exc}") from exc
