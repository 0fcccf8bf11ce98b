"""User Information Item and its sub-items (PS3.8 9.3.2.3, 9.3.3.3, Annex D).

PS3.8 D.1 (maximum length) and PS3.7 D.3.3 (implementation identification,
asynchronous operations window, role selection, extended negotiation, user
identity) define the sub-items; UIDs are ``str`` without padding, opaque fields
``bytes``. One decoder per sub-item type (:data:`SUB_ITEM_DECODERS`) and one
encoder per class (:data:`ENCODERS`); :mod:`dicomnet.ul.items` builds its item
codec on both.

Decisions the standard leaves open, taken here once:

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
from struct import Struct
from typing import TYPE_CHECKING, Any, Final

from dicomnet.errors import (
    InvalidPDUParameterValueError,
    UnexpectedPDUParameterError,
)
from dicomnet.ul._fields import (
    check_length,
    flag,
    iter_items,
    pack_field,
    pack_item,
    read_field,
)
from dicomnet.ul._text import decode_uid, encode_uid
from dicomnet.ul.item_type import KNOWN_ITEM_TYPES, ItemType, reject_misplaced_item

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

__all__ = [
    "ENCODERS",
    "SUB_ITEM_DECODERS",
    "AsynchronousOperationsWindowSubItem",
    "ImplementationClassUIDSubItem",
    "ImplementationVersionNameSubItem",
    "MaximumLengthSubItem",
    "SCPSCURoleSelectionSubItem",
    "SOPClassCommonExtendedNegotiationSubItem",
    "SOPClassExtendedNegotiationSubItem",
    "UnknownSubItem",
    "UserIdentityACSubItem",
    "UserIdentityRQSubItem",
    "UserIdentityType",
    "UserInformationItem",
    "UserInformationSubItem",
    "decode_user_information",
]

_LOGGER = logging.getLogger(__name__)


class UserIdentityType(IntEnum):
    """User-Identity-Type of the user identity RQ sub-item (PS3.7 D.3.3.7.1)."""

    USERNAME = 1
    USERNAME_AND_PASSCODE = 2
    KERBEROS = 3
    SAML = 4
    JWT = 5


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


# Big endian, as all of PS3.8 9.3; each layout is cited where it is used.
_U32: Final = Struct(">L")
_U16_PAIR: Final = Struct(">HH")
_BYTE_PAIR: Final = Struct(">BB")

# PS3.7 D.3.3: which sub-items each direction carries. The common extended
# negotiation sub-item is defined for the request only; an acceptor echoing it
# is harmless and is accepted. The two user identity forms differ in layout,
# so the wrong one for the direction is an error.
_RQ_SUB_ITEMS: Final = frozenset(range(0x51, 0x59))
_AC_SUB_ITEMS: Final = frozenset({*range(0x51, 0x58), 0x59})
# PS3.7 D.3.3.2-D.3.3.7 and PS3.8 D.1: "only one ... shall be present".
_SINGLE_SUB_ITEMS: Final = frozenset({0x51, 0x52, 0x53, 0x55, 0x58, 0x59})


# -- decoding ------------------------------------------------------------------


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
            sub_items.append(SUB_ITEM_DECODERS[item_type](second, sub))
        elif item_type in KNOWN_ITEM_TYPES:
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


#: One decoder per sub-item type: (second header byte, value) -> sub-item.
SUB_ITEM_DECODERS: Final[
    Mapping[int, Callable[[int, bytes], UserInformationSubItem]]
] = {
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


# -- encoding ------------------------------------------------------------------


def _encode_user_information(item: UserInformationItem) -> bytes:
    body = b"".join(ENCODERS[type(sub)](sub) for sub in item.sub_items)
    return pack_item(ItemType.USER_INFORMATION, body)


def _encode_maximum_length(item: MaximumLengthSubItem) -> bytes:
    return pack_item(ItemType.MAXIMUM_LENGTH, _U32.pack(item.maximum_length_received))


def _encode_implementation_class_uid(item: ImplementationClassUIDSubItem) -> bytes:
    raw = encode_uid(item.implementation_class_uid)
    return pack_item(ItemType.IMPLEMENTATION_CLASS_UID, raw)


def _encode_implementation_version_name(
    item: ImplementationVersionNameSubItem,
) -> bytes:
    raw = item.implementation_version_name.encode("latin-1")
    return pack_item(ItemType.IMPLEMENTATION_VERSION_NAME, raw)


def _encode_asynchronous_operations_window(
    item: AsynchronousOperationsWindowSubItem,
) -> bytes:
    body = _U16_PAIR.pack(
        item.maximum_number_operations_invoked,
        item.maximum_number_operations_performed,
    )
    return pack_item(ItemType.ASYNCHRONOUS_OPERATIONS_WINDOW, body)


def _encode_role_selection(item: SCPSCURoleSelectionSubItem) -> bytes:
    body = pack_field(encode_uid(item.sop_class_uid)) + _BYTE_PAIR.pack(
        item.scu_role, item.scp_role
    )
    return pack_item(ItemType.SCP_SCU_ROLE_SELECTION, body)


def _encode_extended_negotiation(item: SOPClassExtendedNegotiationSubItem) -> bytes:
    body = (
        pack_field(encode_uid(item.sop_class_uid))
        + item.service_class_application_information
    )
    return pack_item(ItemType.SOP_CLASS_EXTENDED_NEGOTIATION, body)


def _encode_common_extended_negotiation(
    item: SOPClassCommonExtendedNegotiationSubItem,
) -> bytes:
    related = b"".join(
        pack_field(encode_uid(uid))
        for uid in item.related_general_sop_class_identification
    )
    body = (
        pack_field(encode_uid(item.sop_class_uid))
        + pack_field(encode_uid(item.service_class_uid))
        + pack_field(related)
    )
    return pack_item(
        ItemType.SOP_CLASS_COMMON_EXTENDED_NEGOTIATION, body, item.sub_item_version
    )


def _encode_user_identity_rq(item: UserIdentityRQSubItem) -> bytes:
    body = (
        _BYTE_PAIR.pack(item.user_identity_type, item.positive_response_requested)
        + pack_field(item.primary_field)
        + pack_field(item.secondary_field)
    )
    return pack_item(ItemType.USER_IDENTITY_RQ, body)


def _encode_user_identity_ac(item: UserIdentityACSubItem) -> bytes:
    return pack_item(ItemType.USER_IDENTITY_AC, pack_field(item.server_response))


def _encode_unknown(item: UnknownSubItem) -> bytes:
    return pack_item(item.item_type, item.data)


#: One encoder per class, header included. Keyed by class; each value takes
#: that class only, which a mapping cannot type.
ENCODERS: Final[Mapping[type, Callable[[Any], bytes]]] = {
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
