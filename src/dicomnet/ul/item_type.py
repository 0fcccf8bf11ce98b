"""Item-type codes of the A-ASSOCIATE PDUs' items and sub-items.

PS3.8 9.3.1 frames every variable item the same way (type, reserved, length,
value) and PS3.8 9.3.2, 9.3.3 and Annex D with PS3.7 D.3.3 assign the types.
Both item codecs (:mod:`dicomnet.ul.items` and
:mod:`dicomnet.ul.user_information`) and the PDU codec share these, so they
live apart from each of them.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Final, NoReturn

from dicomnet.errors import UnexpectedPDUParameterError, UnrecognizedPDUParameterError

__all__ = ["KNOWN_ITEM_TYPES", "ItemType", "reject_misplaced_item"]


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


#: Every item type some part of DICOM defines, as plain ints for fast lookup.
KNOWN_ITEM_TYPES: Final = frozenset(ItemType)


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
    if item_type in KNOWN_ITEM_TYPES:
        raise UnexpectedPDUParameterError(
            f"item 0x{item_type:02X} is not allowed here, or not again, in {where}"
        )
    raise UnrecognizedPDUParameterError(f"unknown item 0x{item_type:02X} in {where}")
