"""Variable items and user-information sub-items of the A-ASSOCIATE PDUs.

PS3.8 9.3.2 (A-ASSOCIATE-RQ items), 9.3.3 (A-ASSOCIATE-AC items) and Annex D
(user information sub-items). UIDs are ``str`` without padding; AE titles and
version names are ``str``; opaque fields are ``bytes``.

The codec is table driven: one encoder per item class (``_ENCODERS``) and one
decoder per item type (``_SUB_ITEM_DECODERS`` and the container decoders).
Decoding checks every length against its parent before reading and raises only
:class:`~dicomnet.errors.RemoteProtocolError` subclasses; encoding raises
:class:`~dicomnet.errors.LocalProtocolError` for a value its field cannot hold.

Decisions the standard leaves open, taken here once:

- Items may come in any order; counts are checked (one application context,
  one user information item, one abstract syntax, at least one transfer syntax).
- Sub-items PS3.7 allows once (maximum length, implementation class UID and
  version name, asynchronous operations window, user identity) are rejected
  when repeated (A-ABORT reason 5): the first and the last would disagree on
  limits. Per-SOP-class sub-items (role selection, extended negotiation) that
  repeat a SOP class are kept, with a warning; the negotiation layer uses the
  first.
- Mandatory sub-items that are missing (maximum length, implementation class
  UID) are not a codec error: the negotiation layer applies its defaults.
- The user identity type is any byte (PS3.7 D.3.3.7 leaves an identity the
  acceptor cannot check to the acceptor's policy); role and positive-response
  bytes must be 0 or 1, so that decoding to ``bool`` re-encodes exactly.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import IntEnum
from struct import Struct, error
from typing import TYPE_CHECKING, Any, Final, NoReturn

from dicomnet.errors import (
    InvalidPDUParameterValueError,
    LocalProtocolError,
    UnexpectedPDUParameterError,
    UnrecognizedPDUParameterError,
)
from dicomnet.ul._fields import (
    ITEM_HEADER,
    check_length,
    flag,
    iter_items,
    odd_context_id,
    read_field,
)
from dicomnet.ul._text import decode_uid, decode_uid_lenient, encode_uid

if TYPE_CHECKING:
    from collections.abc import Callable

_LOGGER = logging.getLogger(__name__)

#: PS3.8 Annex A.2: the only application context name DICOM defines.
DICOM_APPLICATION_CONTEXT_NAME = "1.2.840.10008.3.1.1.1"


class ItemType(IntEnum):
    """Item-type field of every variable item and sub-item (PS3.8 9.3, Annex D)."""

    APPLICATION_CONTEXT = 0x10
    PRESENTATION_CONTEXT_RQ = 0x20
    PRESENTATION_CONTEXT_AC = 0x21
    ABSTRACT_SYNTAX = 0x30
    TRANSFER_SYNTAX = 0x40
    USER_INFORMATION = 0x50
    MAXIMUM_LENGTH = 0x51
    IMPLEMENTATION_CLASS_UID = 0x52
    ASYNCHRONOUS_OPERATIONS_WINDOW = 0x53
    SCP_SCU_ROLE_SELECTION = 0x54
    IMPLEMENTATION_VERSION_NAME = 0x55
    SOP_CLASS_EXTENDED_NEGOTIATION = 0x56
    SOP_CLASS_COMMON_EXTENDED_NEGOTIATION = 0x57
    USER_IDENTITY_RQ = 0x58
    USER_IDENTITY_AC = 0x59


class ContextResult(IntEnum):
    """Result/Reason of a presentation context AC item (PS3.8 9.3.3.2, Table 9-18)."""

    ACCEPTANCE = 0
    USER_REJECTION = 1
    NO_REASON = 2
    ABSTRACT_SYNTAX_NOT_SUPPORTED = 3
    TRANSFER_SYNTAXES_NOT_SUPPORTED = 4


class UserIdentityType(IntEnum):
    """User-Identity-Type of the user identity RQ sub-item (PS3.7 D.3.3.7.1)."""

    USERNAME = 1
    USERNAME_AND_PASSCODE = 2
    KERBEROS = 3
    SAML = 4
    JWT = 5


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


@dataclass(frozen=True, slots=True, kw_only=True)
class PresentationContextItemAC:
    """Presentation Context Item of an A-ASSOCIATE-AC (PS3.8 9.3.3.2).

    ``transfer_syntax`` is ``None`` when the Transfer Syntax Sub-Item was absent;
    PS3.8 says it is not significant unless ``result`` is acceptance.
    """

    context_id: int
    result: int
    transfer_syntax: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class MaximumLengthSubItem:
    """Maximum Length Sub-Item (PS3.8 D.1.1); 0 means no limit."""

    maximum_length_received: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ImplementationClassUIDSubItem:
    """Implementation Class UID Sub-Item (PS3.7 D.3.3.2.1)."""

    implementation_class_uid: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ImplementationVersionNameSubItem:
    """Implementation Version Name Sub-Item (PS3.7 D.3.3.2.3), 1 to 16 characters."""

    implementation_version_name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AsynchronousOperationsWindowSubItem:
    """Asynchronous Operations Window Sub-Item (PS3.7 D.3.3.3.1); 0 means unlimited."""

    maximum_number_operations_invoked: int
    maximum_number_operations_performed: int


@dataclass(frozen=True, slots=True, kw_only=True)
class SCPSCURoleSelectionSubItem:
    """SCP/SCU Role Selection Sub-Item (PS3.7 D.3.3.4.1 and D.3.3.4.2)."""

    sop_class_uid: str
    scu_role: bool
    scp_role: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class SOPClassExtendedNegotiationSubItem:
    """SOP Class Extended Negotiation Sub-Item (PS3.7 D.3.3.5.1 and D.3.3.5.2)."""

    sop_class_uid: str
    service_class_application_information: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class SOPClassCommonExtendedNegotiationSubItem:
    """SOP Class Common Extended Negotiation Sub-Item (PS3.7 D.3.3.6.1).

    ``related_general_sop_class_identification`` holds the UIDs of the Related
    General SOP Class Identification sub-fields, in order.
    """

    sop_class_uid: str
    service_class_uid: str
    related_general_sop_class_identification: tuple[str, ...] = ()
    sub_item_version: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class UserIdentityRQSubItem:
    """User Identity Negotiation Sub-Item, requestor form (PS3.7 D.3.3.7.1).

    ``secondary_field`` is empty unless the type is username and passcode.
    """

    user_identity_type: int
    positive_response_requested: bool
    primary_field: bytes
    secondary_field: bytes = b""


@dataclass(frozen=True, slots=True, kw_only=True)
class UserIdentityACSubItem:
    """User Identity Negotiation Sub-Item, acceptor form (PS3.7 D.3.3.7.2)."""

    server_response: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class UnknownSubItem:
    """A user-information sub-item of a type this implementation does not know.

    Kept as raw bytes so that an extension a peer uses is skipped, not fatal
    (PS3.7 D.3.3: sub-items not understood are ignored), and re-encodes exactly.
    """

    item_type: int
    data: bytes


UserInformationSubItem = (
    MaximumLengthSubItem
    | ImplementationClassUIDSubItem
    | ImplementationVersionNameSubItem
    | AsynchronousOperationsWindowSubItem
    | SCPSCURoleSelectionSubItem
    | SOPClassExtendedNegotiationSubItem
    | SOPClassCommonExtendedNegotiationSubItem
    | UserIdentityRQSubItem
    | UserIdentityACSubItem
    | UnknownSubItem
)


@dataclass(frozen=True, slots=True, kw_only=True)
class UserInformationItem:
    """User Information Item (PS3.8 9.3.2.3, 9.3.3.3): sub-items in wire order."""

    sub_items: tuple[UserInformationSubItem, ...] = ()


Item = (
    ApplicationContextItem
    | PresentationContextItemRQ
    | PresentationContextItemAC
    | UserInformationItem
    | UserInformationSubItem
)

# Big endian, as all of PS3.8 9.3; each layout is cited where it is used.
_U16: Final = Struct(">H")
_U32: Final = Struct(">L")
_U16_PAIR: Final = Struct(">HH")
_BYTE_PAIR: Final = Struct(">BB")
_CONTEXT_HEADER: Final = Struct(">BBBB")

_KNOWN_TYPES: Final = frozenset(ItemType)
_CONTEXT_RESULTS: Final = frozenset(ContextResult)
# PS3.7 D.3.3: which sub-items each direction carries. The common extended
# negotiation sub-item is defined for the request only; an acceptor echoing it
# is harmless and is accepted. The two user identity forms differ in layout,
# so the wrong one for the direction is an error.
_RQ_SUB_ITEMS: Final = frozenset(range(0x51, 0x59))
_AC_SUB_ITEMS: Final = frozenset({*range(0x51, 0x58), 0x59})
# PS3.7 D.3.3.2-D.3.3.7 and PS3.8 D.1: "only one ... shall be present".
_SINGLE_SUB_ITEMS: Final = frozenset({0x51, 0x52, 0x53, 0x55, 0x58, 0x59})


# -- decoding ----------------------------------------------------------------------


def reject_misplaced_item(item_type: int, where: str) -> NoReturn:
    """Raise for an item that may not appear, or not again, in ``where``.

    Parameters
    ----------
    item_type : int
        The item's type.
    where : str
        Name of the parent, for the message.

    Raises
    ------
    UnexpectedPDUParameterError
        A type PS3.8 or PS3.7 defines, out of place (A-ABORT reason 5).
    UnrecognizedPDUParameterError
        A type no part of DICOM defines (A-ABORT reason 4).
    """
    if item_type in _KNOWN_TYPES:
        raise UnexpectedPDUParameterError(
            f"item 0x{item_type:02X} is not allowed here, or not again, in {where}"
        )
    raise UnrecognizedPDUParameterError(f"unknown item 0x{item_type:02X} in {where}")


# -- variable items (PS3.8 9.3.2, 9.3.3) ---------------------------------------------


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


def decode_user_information(value: bytes, *, requestor: bool) -> UserInformationItem:
    """Decode the value of a User Information Item (PS3.8 9.3.2.3, 9.3.3.3).

    Parameters
    ----------
    value : bytes
        The item's value, a list of sub-items (PS3.8 D.1, PS3.7 D.3.3).
    requestor : bool
        Check the sub-items allowed in a request, else in an acceptance.

    Returns
    -------
    UserInformationItem
    """
    where = "user information item"
    allowed = _RQ_SUB_ITEMS if requestor else _AC_SUB_ITEMS
    seen: set[int] = set()
    sub_items: list[UserInformationSubItem] = []
    for item_type, second, sub in iter_items(value, where):
        if item_type in allowed:
            if item_type in seen and item_type in _SINGLE_SUB_ITEMS:
                raise UnexpectedPDUParameterError(
                    f"more than one sub-item 0x{item_type:02X} in {where}"
                )
            seen.add(item_type)
            sub_items.append(_SUB_ITEM_DECODERS[item_type](second, sub))
        elif item_type in _KNOWN_TYPES:
            reject_misplaced_item(item_type, where)
        else:
            # PS3.7 D.3.3: a sub-item not understood is ignored; keep its bytes
            # so that the PDU still re-encodes exactly.
            _LOGGER.warning("unknown user information sub-item 0x%02X", item_type)
            sub_items.append(UnknownSubItem(item_type=item_type, data=sub))
    _warn_repeated_sop_classes(sub_items)
    return UserInformationItem(sub_items=tuple(sub_items))


def _warn_repeated_sop_classes(sub_items: list[UserInformationSubItem]) -> None:
    # PS3.7 D.3.3.4-D.3.3.6 allow one sub-item per SOP class; a repeat is kept
    # (it is harmless: negotiation uses the first) but worth a warning.
    seen: set[tuple[type, str]] = set()
    for sub in sub_items:
        if isinstance(
            sub,
            SCPSCURoleSelectionSubItem
            | SOPClassExtendedNegotiationSubItem
            | SOPClassCommonExtendedNegotiationSubItem,
        ):
            key = (type(sub), sub.sop_class_uid)
            if key in seen:
                _LOGGER.warning(
                    "repeated %s for SOP class %s", type(sub).__name__, key[1]
                )
            seen.add(key)


# -- user information sub-items (PS3.8 D.1, PS3.7 D.3.3) ---------------------------


def _decode_maximum_length(_second: int, value: bytes) -> MaximumLengthSubItem:
    # PS3.8 D.1.1: a 4-byte unsigned maximum-length-received.
    check_length(value, _U32.size, "maximum length sub-item")
    (maximum,) = _U32.unpack(value)
    return MaximumLengthSubItem(maximum_length_received=maximum)


def _decode_implementation_class_uid(
    _second: int, value: bytes
) -> ImplementationClassUIDSubItem:
    # PS3.7 D.3.3.2.1: the value is a UID.
    uid = decode_uid(value, field="implementation class UID")
    return ImplementationClassUIDSubItem(implementation_class_uid=uid)


def _decode_implementation_version_name(
    _second: int, value: bytes
) -> ImplementationVersionNameSubItem:
    # PS3.7 D.3.3.2.3: 1 to 16 ISO 646 characters. The name is informative
    # only, so any other length is tolerated with a warning, and Latin-1 keeps
    # whatever bytes a device sends round-trippable.
    if not 1 <= len(value) <= 16:
        _LOGGER.warning("implementation version name %r is not 1-16 bytes", value)
    name = value.decode("latin-1")
    return ImplementationVersionNameSubItem(implementation_version_name=name)


def _decode_asynchronous_operations_window(
    _second: int, value: bytes
) -> AsynchronousOperationsWindowSubItem:
    # PS3.7 D.3.3.3.1: invoked (2) and performed (2).
    check_length(value, _U16_PAIR.size, "asynchronous operations window sub-item")
    invoked, performed = _U16_PAIR.unpack(value)
    return AsynchronousOperationsWindowSubItem(
        maximum_number_operations_invoked=invoked,
        maximum_number_operations_performed=performed,
    )


def _decode_role_selection(_second: int, value: bytes) -> SCPSCURoleSelectionSubItem:
    # PS3.7 D.3.3.4.1/2: UID length (2), SOP class UID, SCU role (1), SCP role (1).
    where = "SCP/SCU role selection sub-item"
    raw_uid, offset = read_field(value, 0, where)
    check_length(value, offset + _BYTE_PAIR.size, where)
    scu, scp = _BYTE_PAIR.unpack_from(value, offset)
    return SCPSCURoleSelectionSubItem(
        sop_class_uid=decode_uid(raw_uid, field=f"{where} SOP class UID"),
        scu_role=flag(scu, f"{where} SCU role"),
        scp_role=flag(scp, f"{where} SCP role"),
    )


def _decode_extended_negotiation(
    _second: int, value: bytes
) -> SOPClassExtendedNegotiationSubItem:
    # PS3.7 D.3.3.5.1: UID length (2), SOP class UID, then the service class
    # application information up to the end of the sub-item.
    where = "SOP class extended negotiation sub-item"
    raw_uid, offset = read_field(value, 0, where)
    return SOPClassExtendedNegotiationSubItem(
        sop_class_uid=decode_uid(raw_uid, field=f"{where} SOP class UID"),
        service_class_application_information=value[offset:],
    )


def _decode_common_extended_negotiation(
    second: int, value: bytes
) -> SOPClassCommonExtendedNegotiationSubItem:
    # PS3.7 D.3.3.6.1: the header's second byte is the sub-item version; then
    # SOP class UID, service class UID and the related general SOP class
    # identification, each behind a 2-byte length; the last is itself a list
    # of length-prefixed UIDs (Table D.3-13).
    where = "SOP class common extended negotiation sub-item"
    raw_sop, offset = read_field(value, 0, where)
    raw_service, offset = read_field(value, offset, where)
    related, offset = read_field(value, offset, where)
    check_length(value, offset, where)
    uids: list[str] = []
    position = 0
    while position < len(related):
        raw, position = read_field(related, position, where)
        uids.append(decode_uid(raw, field=f"{where} related general SOP class UID"))
    return SOPClassCommonExtendedNegotiationSubItem(
        sop_class_uid=decode_uid(raw_sop, field=f"{where} SOP class UID"),
        service_class_uid=decode_uid(raw_service, field=f"{where} service class UID"),
        related_general_sop_class_identification=tuple(uids),
        sub_item_version=second,
    )


def _decode_user_identity_rq(_second: int, value: bytes) -> UserIdentityRQSubItem:
    # PS3.7 D.3.3.7.1: type (1), positive response requested (1), primary
    # field length (2) and value, secondary field length (2) and value.
    where = "user identity sub-item (RQ)"
    if len(value) < 4:  # type, positive response, primary field length
        raise InvalidPDUParameterValueError(f"truncated {where}")
    identity_type, positive = _BYTE_PAIR.unpack_from(value, 0)
    primary, offset = read_field(value, 2, where)
    secondary, offset = read_field(value, offset, where)
    check_length(value, offset, where)
    return UserIdentityRQSubItem(
        user_identity_type=identity_type,
        positive_response_requested=flag(positive, f"{where} positive response"),
        primary_field=primary,
        secondary_field=secondary,
    )


def _decode_user_identity_ac(_second: int, value: bytes) -> UserIdentityACSubItem:
    # PS3.7 D.3.3.7.2: server response length (2) and value.
    where = "user identity sub-item (AC)"
    response, offset = read_field(value, 0, where)
    check_length(value, offset, where)
    return UserIdentityACSubItem(server_response=response)


_SUB_ITEM_DECODERS: Final[dict[int, Callable[[int, bytes], UserInformationSubItem]]] = {
    ItemType.MAXIMUM_LENGTH: _decode_maximum_length,
    ItemType.IMPLEMENTATION_CLASS_UID: _decode_implementation_class_uid,
    ItemType.ASYNCHRONOUS_OPERATIONS_WINDOW: _decode_asynchronous_operations_window,
    ItemType.SCP_SCU_ROLE_SELECTION: _decode_role_selection,
    ItemType.IMPLEMENTATION_VERSION_NAME: _decode_implementation_version_name,
    ItemType.SOP_CLASS_EXTENDED_NEGOTIATION: _decode_extended_negotiation,
    ItemType.SOP_CLASS_COMMON_EXTENDED_NEGOTIATION: _decode_common_extended_negotiation,
    ItemType.USER_IDENTITY_RQ: _decode_user_identity_rq,
    ItemType.USER_IDENTITY_AC: _decode_user_identity_ac,
}


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
    if item_type in _SUB_ITEM_DECODERS:
        return _SUB_ITEM_DECODERS[item_type](second, value)
    if item_type == ItemType.APPLICATION_CONTEXT:
        return decode_application_context(value)
    if item_type == ItemType.PRESENTATION_CONTEXT_RQ:
        return decode_presentation_context_rq(value)
    if item_type == ItemType.PRESENTATION_CONTEXT_AC:
        return decode_presentation_context_ac(value)
    if item_type == ItemType.USER_INFORMATION:
        return decode_user_information(value, requestor=requestor)
    if item_type in _KNOWN_TYPES:
        # Abstract and transfer syntax sub-items exist only inside a context.
        raise UnexpectedPDUParameterError(f"item 0x{item_type:02X} on its own")
    _LOGGER.warning("unknown user information sub-item 0x%02X", item_type)
    return UnknownSubItem(item_type=item_type, data=value)


# -- encoding --------------------------------------------------------------------------


def _pack(item_type: int, body: bytes, second: int = 0) -> bytes:
    # PS3.8 9.3.1: reserved bytes are sent as 00H.
    return ITEM_HEADER.pack(item_type, second, len(body)) + body


def _field(raw: bytes) -> bytes:
    return _U16.pack(len(raw)) + raw


def _encode_application_context(item: ApplicationContextItem) -> bytes:
    return _pack(
        ItemType.APPLICATION_CONTEXT, encode_uid(item.application_context_name)
    )


def _encode_context_rq(item: PresentationContextItemRQ) -> bytes:
    body = [
        _CONTEXT_HEADER.pack(item.context_id, 0, 0, 0),
        _pack(ItemType.ABSTRACT_SYNTAX, encode_uid(item.abstract_syntax)),
    ]
    body.extend(
        _pack(ItemType.TRANSFER_SYNTAX, encode_uid(uid))
        for uid in item.transfer_syntaxes
    )
    return _pack(ItemType.PRESENTATION_CONTEXT_RQ, b"".join(body))


def _encode_context_ac(item: PresentationContextItemAC) -> bytes:
    body = _CONTEXT_HEADER.pack(item.context_id, 0, item.result, 0)
    if item.transfer_syntax is not None:
        # Latin-1: the inverse of the lenient decoding of rejected contexts;
        # an accepted context's UID was checked to be ASCII on decoding.
        raw = item.transfer_syntax.encode("latin-1")
        body += _pack(ItemType.TRANSFER_SYNTAX, raw)
    return _pack(ItemType.PRESENTATION_CONTEXT_AC, body)


def _encode_user_information(item: UserInformationItem) -> bytes:
    body = b"".join(_ENCODERS[type(sub)](sub) for sub in item.sub_items)
    return _pack(ItemType.USER_INFORMATION, body)


def _encode_maximum_length(item: MaximumLengthSubItem) -> bytes:
    return _pack(ItemType.MAXIMUM_LENGTH, _U32.pack(item.maximum_length_received))


def _encode_implementation_class_uid(item: ImplementationClassUIDSubItem) -> bytes:
    raw = encode_uid(item.implementation_class_uid)
    return _pack(ItemType.IMPLEMENTATION_CLASS_UID, raw)


def _encode_implementation_version_name(
    item: ImplementationVersionNameSubItem,
) -> bytes:
    raw = item.implementation_version_name.encode("latin-1")
    return _pack(ItemType.IMPLEMENTATION_VERSION_NAME, raw)


def _encode_asynchronous_operations_window(
    item: AsynchronousOperationsWindowSubItem,
) -> bytes:
    body = _U16_PAIR.pack(
        item.maximum_number_operations_invoked,
        item.maximum_number_operations_performed,
    )
    return _pack(ItemType.ASYNCHRONOUS_OPERATIONS_WINDOW, body)


def _encode_role_selection(item: SCPSCURoleSelectionSubItem) -> bytes:
    body = _field(encode_uid(item.sop_class_uid)) + _BYTE_PAIR.pack(
        item.scu_role, item.scp_role
    )
    return _pack(ItemType.SCP_SCU_ROLE_SELECTION, body)


def _encode_extended_negotiation(item: SOPClassExtendedNegotiationSubItem) -> bytes:
    body = (
        _field(encode_uid(item.sop_class_uid))
        + item.service_class_application_information
    )
    return _pack(ItemType.SOP_CLASS_EXTENDED_NEGOTIATION, body)


def _encode_common_extended_negotiation(
    item: SOPClassCommonExtendedNegotiationSubItem,
) -> bytes:
    related = b"".join(
        _field(encode_uid(uid)) for uid in item.related_general_sop_class_identification
    )
    body = (
        _field(encode_uid(item.sop_class_uid))
        + _field(encode_uid(item.service_class_uid))
        + _field(related)
    )
    return _pack(
        ItemType.SOP_CLASS_COMMON_EXTENDED_NEGOTIATION, body, item.sub_item_version
    )


def _encode_user_identity_rq(item: UserIdentityRQSubItem) -> bytes:
    body = (
        _BYTE_PAIR.pack(item.user_identity_type, item.positive_response_requested)
        + _field(item.primary_field)
        + _field(item.secondary_field)
    )
    return _pack(ItemType.USER_IDENTITY_RQ, body)


def _encode_user_identity_ac(item: UserIdentityACSubItem) -> bytes:
    return _pack(ItemType.USER_IDENTITY_AC, _field(item.server_response))


def _encode_unknown(item: UnknownSubItem) -> bytes:
    return _pack(item.item_type, item.data)


# Keyed by class; the values take that class only, which a dict cannot type.
_ENCODERS: Final[dict[type, Callable[[Any], bytes]]] = {
    ApplicationContextItem: _encode_application_context,
    PresentationContextItemRQ: _encode_context_rq,
    PresentationContextItemAC: _encode_context_ac,
    UserInformationItem: _encode_user_information,
    MaximumLengthSubItem: _encode_maximum_length,
    ImplementationClassUIDSubItem: _encode_implementation_class_uid,
    ImplementationVersionNameSubItem: _encode_implementation_version_name,
    AsynchronousOperationsWindowSubItem: _encode_asynchronous_operations_window,
    SCPSCURoleSelectionSubItem: _encode_role_selection,
    SOPClassExtendedNegotiationSubItem: _encode_extended_negotiation,
    SOPClassCommonExtendedNegotiationSubItem: _encode_common_extended_negotiation,
    UserIdentityRQSubItem: _encode_user_identity_rq,
    UserIdentityACSubItem: _encode_user_identity_ac,
    UnknownSubItem: _encode_unknown,
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
