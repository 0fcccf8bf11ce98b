"""Variable items of the A-ASSOCIATE PDUs, and the codec of any one item.

PS3.8 9.3.2 (A-ASSOCIATE-RQ items) and 9.3.3 (A-ASSOCIATE-AC items): the
application context and presentation context items are defined here; the user
information item and its sub-items (PS3.8 Annex D, PS3.7 D.3.3) live in
:mod:`dicomnet.ul.user_information` and are re-exported, so that every item
class can be imported from this module. UIDs are ``str`` without padding.

The codec is table driven: one encoder per item class (``_ENCODERS``) and one
decoder per item type. Decoding checks every length against its parent before
reading and raises only :class:`~dicomnet.errors.RemoteProtocolError`
subclasses; encoding raises :class:`~dicomnet.errors.LocalProtocolError` for a
value its field cannot hold.

Decisions the standard leaves open, taken here once:

- Items may come in any order; counts are checked (one application context,
  one user information item, one abstract syntax, at least one transfer syntax).
- Reserved bytes are sent as 00H and not tested on receipt (PS3.8 9.3.2.2,
  9.3.3.2), but those of a request's presentation context item are kept as
  received: DCMTK fills one of them, and a recorded PDU must re-encode to the
  bytes it came from.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from enum import IntEnum
from struct import Struct, error
from typing import TYPE_CHECKING, Any, Final

from dicomnet.errors import (
    InvalidPDUParameterValueError,
    LocalProtocolError,
    UnexpectedPDUParameterError,
)
from dicomnet.ul import user_information
from dicomnet.ul._fields import iter_items, odd_context_id, pack_item
from dicomnet.ul._text import decode_uid, decode_uid_lenient, encode_uid
from dicomnet.ul.item_type import KNOWN_ITEM_TYPES, ItemType, reject_misplaced_item
from dicomnet.ul.user_information import (
    AsynchronousOperationsWindowSubItem,
    ImplementationClassUIDSubItem,
    ImplementationVersionNameSubItem,
    MaximumLengthSubItem,
    SCPSCURoleSelectionSubItem,
    SOPClassCommonExtendedNegotiationSubItem,
    SOPClassExtendedNegotiationSubItem,
    UnknownSubItem,
    UserIdentityACSubItem,
    UserIdentityRQSubItem,
    UserIdentityType,
    UserInformationItem,
    UserInformationSubItem,
    decode_user_information,
)

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "DICOM_APPLICATION_CONTEXT_NAME",
    "ApplicationContextItem",
    "AsynchronousOperationsWindowSubItem",
    "ContextResult",
    "ImplementationClassUIDSubItem",
    "ImplementationVersionNameSubItem",
    "Item",
    "ItemType",
    "MaximumLengthSubItem",
    "PresentationContextItemAC",
    "PresentationContextItemRQ",
    "SCPSCURoleSelectionSubItem",
    "SOPClassCommonExtendedNegotiationSubItem",
    "SOPClassExtendedNegotiationSubItem",
    "UnknownSubItem",
    "UserIdentityACSubItem",
    "UserIdentityRQSubItem",
    "UserIdentityType",
    "UserInformationItem",
    "UserInformationSubItem",
    "decode_application_context",
    "decode_item",
    "decode_presentation_context_ac",
    "decode_presentation_context_rq",
    "decode_user_information",
    "encode_item",
    "reject_misplaced_item",
]

_LOGGER = logging.getLogger(__name__)

#: PS3.8 Annex A.2: the only application context name DICOM defines.
DICOM_APPLICATION_CONTEXT_NAME = "1.2.840.10008.3.1.1.1"

#: PS3.8 9.3.2.2: item bytes 6-8 of a presentation context item, as sent.
_ZERO_RESERVED: Final = bytes(3)


class ContextResult(IntEnum):
    """Result/Reason of a presentation context AC item (PS3.8 9.3.3.2, Table 9-18)."""

    ACCEPTANCE = 0
    USER_REJECTION = 1
    NO_REASON = 2
    ABSTRACT_SYNTAX_NOT_SUPPORTED = 3
    TRANSFER_SYNTAXES_NOT_SUPPORTED = 4


@dataclass(frozen=True, slots=True, kw_only=True)
class ApplicationContextItem:
    """Application Context Item (PS3.8 9.3.2.1)."""

    application_context_name: str = DICOM_APPLICATION_CONTEXT_NAME


@dataclass(frozen=True, slots=True, kw_only=True)
class PresentationContextItemRQ:
    """Presentation Context Item of an A-ASSOCIATE-RQ (PS3.8 9.3.2.2).

    Holds its Abstract Syntax Sub-Item (9.3.2.2.1) and one or more Transfer
    Syntax Sub-Items (9.3.2.2.2), in the order they were proposed.
    """

    context_id: int
    abstract_syntax: str
    transfer_syntaxes: tuple[str, ...]
    #: Item bytes 6-8 as received. PS3.8 9.3.2.2 says they are sent as 00H
    #: and not tested; they are kept so that recorded PDUs re-encode exactly
    #: (DCMTK 3.6.7 sends FFH in byte 7). Exactly three bytes.
    reserved: bytes = field(default=_ZERO_RESERVED, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class PresentationContextItemAC:
    """Presentation Context Item of an A-ASSOCIATE-AC (PS3.8 9.3.3.2).

    ``transfer_syntax`` is ``None`` when the Transfer Syntax Sub-Item was absent;
    PS3.8 says it is not significant unless ``result`` is acceptance.
    """

    context_id: int
    result: int
    transfer_syntax: str | None


Item = (
    ApplicationContextItem
    | PresentationContextItemRQ
    | PresentationContextItemAC
    | UserInformationItem
    | UserInformationSubItem
)

# PS3.8 Tables 9-13 and 9-18: context ID (1), then three one-byte fields.
_CONTEXT_HEADER: Final = Struct(">BBBB")
# PS3.8 Table 9-13: context ID (1), then reserved bytes 6-8 as kept.
_CONTEXT_RQ_HEADER: Final = Struct(">B3s")
_CONTEXT_RESULTS: Final = frozenset(ContextResult)


# -- decoding ------------------------------------------------------------------


def decode_application_context(value: bytes) -> ApplicationContextItem:
    """Decode the value of an Application Context Item (PS3.8 9.3.2.1).

    Parameters
    ----------
    value : bytes
        The item's value (the application context name, a UID).

    Returns
    -------
    ApplicationContextItem
    """
    name = decode_uid(value, field="application context name")
    return ApplicationContextItem(application_context_name=name)


def decode_presentation_context_rq(value: bytes) -> PresentationContextItemRQ:
    """Decode the value of a Presentation Context Item of a request.

    Parameters
    ----------
    value : bytes
        The item's value: PS3.8 9.3.2.2, context ID (1), three reserved
        bytes, one abstract syntax and one or more transfer syntax sub-items.

    Returns
    -------
    PresentationContextItemRQ
    """
    where = "presentation context item (RQ)"
    if len(value) < _CONTEXT_HEADER.size:
        raise InvalidPDUParameterValueError(f"truncated {where}")
    context_id = odd_context_id(value[0], where)
    abstract_syntax: str | None = None
    transfer_syntaxes: list[str] = []
    for item_type, _, sub in iter_items(value[_CONTEXT_HEADER.size :], where):
        if item_type == ItemType.TRANSFER_SYNTAX:
            transfer_syntaxes.append(decode_uid(sub, field="transfer syntax"))
        elif item_type == ItemType.ABSTRACT_SYNTAX and abstract_syntax is None:
            abstract_syntax = decode_uid(sub, field="abstract syntax")
        else:
            reject_misplaced_item(item_type, where)
    if abstract_syntax is None:
        raise UnexpectedPDUParameterError(
            f"{where} {context_id} has no abstract syntax"
        )
    if not transfer_syntaxes:
        raise UnexpectedPDUParameterError(
            f"{where} {context_id} has no transfer syntax"
        )
    return PresentationContextItemRQ(
        context_id=context_id,
        abstract_syntax=abstract_syntax,
        transfer_syntaxes=tuple(transfer_syntaxes),
        # Not tested (PS3.8 9.3.2.2), only kept for an exact re-encoding.
        reserved=value[1:4],
    )


def decode_presentation_context_ac(value: bytes) -> PresentationContextItemAC:
    """Decode the value of a Presentation Context Item of an acceptance.

    Parameters
    ----------
    value : bytes
        The item's value: PS3.8 9.3.3.2, context ID (1), reserved, result (1),
        reserved, then a transfer syntax sub-item, significant only on
        acceptance.

    Returns
    -------
    PresentationContextItemAC
    """
    where = "presentation context item (AC)"
    if len(value) < _CONTEXT_HEADER.size:
        raise InvalidPDUParameterValueError(f"truncated {where}")
    context_id = odd_context_id(value[0], where)
    result = value[2]
    if result not in _CONTEXT_RESULTS:
        raise InvalidPDUParameterValueError(f"{where} {context_id} result {result}")
    raw: bytes | None = None
    for item_type, _, sub in iter_items(value[_CONTEXT_HEADER.size :], where):
        if item_type != ItemType.TRANSFER_SYNTAX or raw is not None:
            reject_misplaced_item(item_type, where)
        raw = sub
    if result == ContextResult.ACCEPTANCE:
        if raw is None:
            raise UnexpectedPDUParameterError(
                f"accepted {where} {context_id} has no transfer syntax"
            )
        transfer_syntax: str | None = decode_uid(raw, field="transfer syntax")
    else:
        # Not tested: acceptors send an empty sub-item, or none, on rejection.
        transfer_syntax = None if raw is None else decode_uid_lenient(raw)
    return PresentationContextItemAC(
        context_id=context_id, result=result, transfer_syntax=transfer_syntax
    )


def decode_item(
    data: bytes | bytearray | memoryview, *, requestor: bool = True
) -> Item:
    """Decode one whole item or sub-item, header included, on its own.

    The item is decoded as it would be in its usual place: sub-items of a user
    information item are checked for an A-ASSOCIATE-RQ when ``requestor`` is
    true, for an A-ASSOCIATE-AC otherwise; an unknown type is an
    :class:`UnknownSubItem`, as inside a user information item.

    Parameters
    ----------
    data : bytes-like
        Exactly one item.
    requestor : bool
        Decode the sub-items of a user information item as in a request.

    Returns
    -------
    Item
        The decoded item.

    Raises
    ------
    RemoteProtocolError
        A subclass naming the A-ABORT reason for a malformed item.
    """
    raw = bytes(data)
    items = list(iter_items(raw, "item"))
    if len(items) != 1:
        raise InvalidPDUParameterValueError(f"{len(items)} items where one expected")
    item_type, second, value = items[0]
    if item_type in user_information.SUB_ITEM_DECODERS:
        return user_information.SUB_ITEM_DECODERS[item_type](second, value)
    if item_type == ItemType.APPLICATION_CONTEXT:
        return decode_application_context(value)
    if item_type == ItemType.PRESENTATION_CONTEXT_RQ:
        return decode_presentation_context_rq(value)
    if item_type == ItemType.PRESENTATION_CONTEXT_AC:
        return decode_presentation_context_ac(value)
    if item_type == ItemType.USER_INFORMATION:
        return decode_user_information(value, requestor=requestor)
    if item_type in KNOWN_ITEM_TYPES:
        # Abstract and transfer syntax sub-items exist only inside a context.
        raise UnexpectedPDUParameterError(f"item 0x{item_type:02X} on its own")
    _LOGGER.warning("unknown user information sub-item 0x%02X", item_type)
    return UnknownSubItem(item_type=item_type, data=value)


# -- encoding ------------------------------------------------------------------


def _encode_application_context(item: ApplicationContextItem) -> bytes:
    return pack_item(
        ItemType.APPLICATION_CONTEXT, encode_uid(item.application_context_name)
    )


def _encode_context_rq(item: PresentationContextItemRQ) -> bytes:
    # A struct "3s" would pad or cut a wrong length silently: check it here.
    if len(item.reserved) != len(_ZERO_RESERVED):
        raise LocalProtocolError(
            f"reserved bytes of presentation context {item.context_id} are "
            f"{item.reserved!r}, expected exactly {len(_ZERO_RESERVED)}"
        )
    body = [
        _CONTEXT_RQ_HEADER.pack(item.context_id, item.reserved),
        pack_item(ItemType.ABSTRACT_SYNTAX, encode_uid(item.abstract_syntax)),
    ]
    body.extend(
        pack_item(ItemType.TRANSFER_SYNTAX, encode_uid(uid))
        for uid in item.transfer_syntaxes
    )
    return pack_item(ItemType.PRESENTATION_CONTEXT_RQ, b"".join(body))


def _encode_context_ac(item: PresentationContextItemAC) -> bytes:
    body = _CONTEXT_HEADER.pack(item.context_id, 0, item.result, 0)
    if item.transfer_syntax is not None:
        # Latin-1: the inverse of the lenient decoding of rejected contexts;
        # an accepted context's UID was checked to be ASCII on decoding.
        raw = item.transfer_syntax.encode("latin-1")
        body += pack_item(ItemType.TRANSFER_SYNTAX, raw)
    return pack_item(ItemType.PRESENTATION_CONTEXT_AC, body)


# Keyed by class; the values take that class only, which a dict cannot type.
_ENCODERS: Final[dict[type, Callable[[Any], bytes]]] = {
    ApplicationContextItem: _encode_application_context,
    PresentationContextItemRQ: _encode_context_rq,
    PresentationContextItemAC: _encode_context_ac,
    **user_information.ENCODERS,
}


def encode_item(item: Item) -> bytes:
    """Encode one item or sub-item, header included.

    Parameters
    ----------
    item : Item
        Any item or sub-item dataclass of this module.

    Returns
    -------
    bytes
        The item as sent on the wire.

    Raises
    ------
    LocalProtocolError
        A value does not fit its field (a length above 65535, a context ID
        above 255, a non-ASCII UID...).
    """
    try:
        return _ENCODERS[type(item)](item)
    except (error, UnicodeEncodeError, OverflowError) as exc:
        raise LocalProtocolError(f"cannot encode {item!r}: {exc}") from exc
