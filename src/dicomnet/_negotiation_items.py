"""The user-information negotiation primitives (PS3.8 D.1, PS3.7 D.3.3).

Mutable, validating classes users fill in for ``ext_neg`` and that the
association reports; they convert to and from the frozen sub-items of
:mod:`dicomnet.ul.items`. Re-exported, with the pynetdicom names, by
:mod:`dicomnet.pdu_primitives`.
"""

from __future__ import annotations

from typing import Any, Final

from pydicom import config
from pydicom.uid import UID

from dicomnet import _config
from dicomnet.ul.items import (
    AsynchronousOperationsWindowSubItem,
    ImplementationClassUIDSubItem,
    ImplementationVersionNameSubItem,
    MaximumLengthSubItem,
    SCPSCURoleSelectionSubItem,
    SOPClassCommonExtendedNegotiationSubItem,
    SOPClassExtendedNegotiationSubItem,
    UserIdentityACSubItem,
    UserIdentityRQSubItem,
    UserInformationSubItem,
)

__all__ = [
    "AsynchronousOperationsWindowNegotiation",
    "ImplementationClassUIDNotification",
    "ImplementationVersionNameNotification",
    "MaximumLengthNotification",
    "NegotiationPrimitive",
    "Primitive",
    "SCP_SCU_RoleSelectionNegotiation",
    "SOPClassCommonExtendedNegotiation",
    "SOPClassExtendedNegotiation",
    "UserIdentityNegotiation",
    "check_ae_title",
    "check_int",
    "check_optional_bool",
    "check_optional_bytes",
    "check_uid",
    "primitive_from_item",
    "require",
]

_U16_MAX: Final = 0xFFFF
_U32_MAX: Final = 0xFFFF_FFFF


# -- checks shared by the setters ----------------------------------------------------


def _received(value: str) -> UID:
    """Return a UID already checked (by our validators or the PDU codec).

    pydicom's own check costs ~3 us a UID and warns about values the
    configured validators chose to allow.
    """
    return UID(value, validation_mode=config.IGNORE)


def check_uid(value: object, name: str) -> UID | None:
    """Return ``value`` as a UID (``None`` kept), checked by ``VALIDATORS["UI"]``."""
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("ascii", errors="replace")
    if not isinstance(value, str):
        raise TypeError(
            f"'{name}' must be str, bytes, UID or None, not '{type(value).__name__}'"
        )
    ok, reason = _config.VALIDATORS["UI"](value)
    if not ok:
        raise ValueError(f"Invalid '{name}' value '{value}' - {reason}")
    return _received(value)


def check_ae_title(value: object, name: str) -> str:
    """Return ``value`` checked as an AE title (PS3.5 VR AE, not blank)."""
    if not isinstance(value, str):
        raise TypeError(f"'{name}' must be str, not '{type(value).__name__}'")
    ok, reason = _config.VALIDATORS["AE"](value)
    if not ok:
        raise ValueError(f"Invalid '{name}' value '{value}' - {reason}")
    # PS3.5 6.2: leading and trailing spaces are not significant, so a blank
    # title names no one.
    if not value.strip(" "):
        raise ValueError(f"Invalid '{name}' value - must not be empty or all spaces")
    return value


def check_int(value: object, name: str, maximum: int) -> int:
    """Return ``value`` if it is an int from 0 to ``maximum`` (the field's size)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"'{name}' must be an int, not '{type(value).__name__}'")
    if not 0 <= value <= maximum:
        raise ValueError(f"'{name}' must be between 0 and {maximum}, not {value}")
    return value


def check_optional_bool(value: object, name: str) -> bool | None:
    if value is not None and not isinstance(value, bool):
        raise TypeError(f"'{name}' must be bool or None")
    return value


def check_optional_bytes(value: object, name: str) -> bytes | None:
    if value is not None and not isinstance(value, bytes):
        raise TypeError(f"'{name}' must be bytes or None")
    return value


def require(value: Any, name: str) -> Any:  # noqa: ANN401  (any parameter)
    if value is None:
        raise ValueError(f"'{name}' must be set before it can be encoded")
    return value


class Primitive:
    """Base of the primitives: a ``repr`` with the class name and parameters."""

    def __repr__(self) -> str:
        fields = ", ".join(f"{k.lstrip('_')}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({fields})"


# -- user information sub-items (PS3.8 D.1, PS3.7 D.3.3) -----------------------------


class MaximumLengthNotification(Primitive):
    """Maximum Length Received (PS3.8 D.1): the largest P-DATA-TF we accept.

    ``0`` means no limit; the default is pynetdicom's 16382.
    """

    def __init__(self) -> None:
        self._maximum_length_received = 16382

    @property
    def maximum_length_received(self) -> int:
        """Get or set the maximum PDU length, 0 to 2**32 - 1 (a 4-byte field)."""
        return self._maximum_length_received

    @maximum_length_received.setter
    def maximum_length_received(self, value: int) -> None:
        self._maximum_length_received = check_int(
            value, "maximum_length_received", _U32_MAX
        )

    def to_item(self) -> MaximumLengthSubItem:
        """Return the sub-item.

        Returns
        -------
        MaximumLengthSubItem
        """
        return MaximumLengthSubItem(
            maximum_length_received=self._maximum_length_received
        )

    from_primitive = to_item

    @classmethod
    def from_item(cls, item: MaximumLengthSubItem) -> MaximumLengthNotification:
        """Return the primitive a sub-item carries.

        Parameters
        ----------
        item : MaximumLengthSubItem
            The decoded sub-item.

        Returns
        -------
        MaximumLengthNotification
        """
        primitive = cls()
        primitive.maximum_length_received = item.maximum_length_received
        return primitive


class ImplementationClassUIDNotification(Primitive):
    """Implementation Class UID (PS3.7 D.3.3.2.1)."""

    def __init__(self) -> None:
        self._implementation_class_uid: UID | None = None

    @property
    def implementation_class_uid(self) -> UID | None:
        """Get or set the UID (str, bytes or UID)."""
        return self._implementation_class_uid

    @implementation_class_uid.setter
    def implementation_class_uid(self, value: str | bytes | None) -> None:
        self._implementation_class_uid = check_uid(value, "implementation_class_uid")

    def to_item(self) -> ImplementationClassUIDSubItem:
        """Return the sub-item; ``ValueError`` if the UID is not set.

        Returns
        -------
        ImplementationClassUIDSubItem
        """
        uid = require(self._implementation_class_uid, "implementation_class_uid")
        return ImplementationClassUIDSubItem(implementation_class_uid=str(uid))

    from_primitive = to_item

    @classmethod
    def from_item(
        cls, item: ImplementationClassUIDSubItem
    ) -> ImplementationClassUIDNotification:
        """Return the primitive a sub-item carries (the UID is not re-checked).

        Parameters
        ----------
        item : ImplementationClassUIDSubItem
            The decoded sub-item.

        Returns
        -------
        ImplementationClassUIDNotification
        """
        primitive = cls()
        # The peer's UID is taken as sent: the codec checked its syntax, and
        # refusing an odd identifier here would only hide it from the user.
        primitive._implementation_class_uid = _received(item.implementation_class_uid)
        return primitive


class ImplementationVersionNameNotification(Primitive):
    """Implementation Version Name (PS3.7 D.3.3.2.3), 1 to 16 characters."""

    def __init__(self) -> None:
        self._implementation_version_name: str | None = None

    @property
    def implementation_version_name(self) -> str | None:
        """Get or set the name (str of 1 to 16 AE-title characters, or None)."""
        return self._implementation_version_name

    @implementation_version_name.setter
    def implementation_version_name(self, value: str | None) -> None:
        if value is not None:
            if not isinstance(value, str):
                raise TypeError(
                    "'implementation_version_name' must be str or None, "
                    f"not '{type(value).__name__}'"
                )
            # PS3.7 D.3.3.2.3: 1 to 16 characters of the default repertoire,
            # the same rule as an AE title.
            ok, reason = _config.VALIDATORS["AE"](value)
            if not ok or not value:
                reason = reason or "must not be empty"
                raise ValueError(
                    f"Invalid 'implementation_version_name' value '{value}' - {reason}"
                )
        self._implementation_version_name = value

    def to_item(self) -> ImplementationVersionNameSubItem:
        """Return the sub-item; ``ValueError`` if the name is not set.

        Returns
        -------
        ImplementationVersionNameSubItem
        """
        name = require(self._implementation_version_name, "implementation_version_name")
        return ImplementationVersionNameSubItem(implementation_version_name=name)

    from_primitive = to_item

    @classmethod
    def from_item(
        cls, item: ImplementationVersionNameSubItem
    ) -> ImplementationVersionNameNotification:
        """Return the primitive a sub-item carries (the name is not re-checked).

        Parameters
        ----------
        item : ImplementationVersionNameSubItem
            The decoded sub-item.

        Returns
        -------
        ImplementationVersionNameNotification
        """
        primitive = cls()
        # Informative only (PS3.7 D.3.3.2.3): kept whatever the peer sent.
        primitive._implementation_version_name = item.implementation_version_name
        return primitive


class AsynchronousOperationsWindowNegotiation(Primitive):
    """Asynchronous Operations Window (PS3.7 D.3.3.3); 0 means unlimited."""

    def __init__(self) -> None:
        self._maximum_number_operations_invoked = 1
        self._maximum_number_operations_performed = 1

    @property
    def maximum_number_operations_invoked(self) -> int:
        """Get or set the maximum operations invoked, 0 to 65535 (default 1)."""
        return self._maximum_number_operations_invoked

    @maximum_number_operations_invoked.setter
    def maximum_number_operations_invoked(self, value: int) -> None:
        self._maximum_number_operations_invoked = check_int(
            value, "maximum_number_operations_invoked", _U16_MAX
        )

    @property
    def maximum_number_operations_performed(self) -> int:
        """Get or set the maximum operations performed, 0 to 65535 (default 1)."""
        return self._maximum_number_operations_performed

    @maximum_number_operations_performed.setter
    def maximum_number_operations_performed(self, value: int) -> None:
        self._maximum_number_operations_performed = check_int(
            value, "maximum_number_operations_performed", _U16_MAX
        )

    def to_item(self) -> AsynchronousOperationsWindowSubItem:
        """Return the sub-item.

        Returns
        -------
        AsynchronousOperationsWindowSubItem
        """
        return AsynchronousOperationsWindowSubItem(
            maximum_number_operations_invoked=self._maximum_number_operations_invoked,
            maximum_number_operations_performed=self._maximum_number_operations_performed,
        )

    from_primitive = to_item

    @classmethod
    def from_item(
        cls, item: AsynchronousOperationsWindowSubItem
    ) -> AsynchronousOperationsWindowNegotiation:
        """Return the primitive a sub-item carries.

        Parameters
        ----------
        item : AsynchronousOperationsWindowSubItem
            The decoded sub-item.

        Returns
        -------
        AsynchronousOperationsWindowNegotiation
        """
        primitive = cls()
        primitive.maximum_number_operations_invoked = (
            item.maximum_number_operations_invoked
        )
        primitive.maximum_number_operations_performed = (
            item.maximum_number_operations_performed
        )
        return primitive


class SCP_SCU_RoleSelectionNegotiation(Primitive):  # noqa: N801  (pynetdicom name)
    """SCP/SCU Role Selection (PS3.7 D.3.3.4) for one SOP class.

    ``None`` for a role means "not proposed"; it is sent as 0.
    """

    def __init__(self) -> None:
        self._sop_class_uid: UID | None = None
        self._scu_role: bool | None = None
        self._scp_role: bool | None = None

    @property
    def sop_class_uid(self) -> UID | None:
        """Get or set the SOP class UID (str, bytes or UID)."""
        return self._sop_class_uid

    @sop_class_uid.setter
    def sop_class_uid(self, value: str | bytes | None) -> None:
        self._sop_class_uid = check_uid(value, "sop_class_uid")

    @property
    def scu_role(self) -> bool | None:
        """Get or set the SCU role (bool or None)."""
        return self._scu_role

    @scu_role.setter
    def scu_role(self, value: bool | None) -> None:
        self._scu_role = check_optional_bool(value, "scu_role")

    @property
    def scp_role(self) -> bool | None:
        """Get or set the SCP role (bool or None)."""
        return self._scp_role

    @scp_role.setter
    def scp_role(self, value: bool | None) -> None:
        self._scp_role = check_optional_bool(value, "scp_role")

    def to_item(self) -> SCPSCURoleSelectionSubItem:
        """Return the sub-item of a proposal.

        Returns
        -------
        SCPSCURoleSelectionSubItem

        Raises
        ------
        ValueError
            No SOP class UID, or neither role proposed: such an item would
            leave the SOP class with no usable role (PS3.7 D.3.3.4).
        """
        uid = require(self._sop_class_uid, "sop_class_uid")
        if not self._scu_role and not self._scp_role:
            raise ValueError(
                f"SCU and SCP Roles cannot both be unsupported for '{uid}'"
            )
        return SCPSCURoleSelectionSubItem(
            sop_class_uid=str(uid),
            scu_role=bool(self._scu_role),
            scp_role=bool(self._scp_role),
        )

    from_primitive = to_item

    @classmethod
    def from_item(
        cls, item: SCPSCURoleSelectionSubItem
    ) -> SCP_SCU_RoleSelectionNegotiation:
        """Return the primitive a sub-item carries (a proposal or a reply).

        Parameters
        ----------
        item : SCPSCURoleSelectionSubItem
            The decoded sub-item.

        Returns
        -------
        SCP_SCU_RoleSelectionNegotiation
        """
        primitive = cls()
        primitive._sop_class_uid = _received(item.sop_class_uid)
        primitive.scu_role = item.scu_role
        primitive.scp_role = item.scp_role
        return primitive


class SOPClassExtendedNegotiation(Primitive):
    """SOP Class Extended Negotiation (PS3.7 D.3.3.5): opaque per-service bytes."""

    def __init__(self) -> None:
        self._sop_class_uid: UID | None = None
        self._service_class_application_information: bytes | None = None

    @property
    def sop_class_uid(self) -> UID | None:
        """Get or set the SOP class UID (str, bytes or UID)."""
        return self._sop_class_uid

    @sop_class_uid.setter
    def sop_class_uid(self, value: str | bytes | None) -> None:
        self._sop_class_uid = check_uid(value, "sop_class_uid")

    @property
    def service_class_application_information(self) -> bytes | None:
        """Get or set the application information (bytes, defined by PS3.4)."""
        return self._service_class_application_information

    @service_class_application_information.setter
    def service_class_application_information(self, value: bytes | None) -> None:
        self._service_class_application_information = check_optional_bytes(
            value, "service_class_application_information"
        )

    def to_item(self) -> SOPClassExtendedNegotiationSubItem:
        """Return the sub-item; ``ValueError`` if a parameter is not set.

        Returns
        -------
        SOPClassExtendedNegotiationSubItem
        """
        uid = require(self._sop_class_uid, "sop_class_uid")
        info = require(
            self._service_class_application_information,
            "service_class_application_information",
        )
        return SOPClassExtendedNegotiationSubItem(
            sop_class_uid=str(uid), service_class_application_information=info
        )

    from_primitive = to_item

    @classmethod
    def from_item(
        cls, item: SOPClassExtendedNegotiationSubItem
    ) -> SOPClassExtendedNegotiation:
        """Return the primitive a sub-item carries.

        Parameters
        ----------
        item : SOPClassExtendedNegotiationSubItem
            The decoded sub-item.

        Returns
        -------
        SOPClassExtendedNegotiation
        """
        primitive = cls()
        primitive._sop_class_uid = _received(item.sop_class_uid)
        primitive.service_class_application_information = bytes(
            item.service_class_application_information
        )
        return primitive


class SOPClassCommonExtendedNegotiation(Primitive):
    """SOP Class Common Extended Negotiation (PS3.7 D.3.3.6), requestor only."""

    def __init__(self) -> None:
        self._sop_class_uid: UID | None = None
        self._service_class_uid: UID | None = None
        self._related_general_sop_class_identification: list[UID] = []

    @property
    def sop_class_uid(self) -> UID | None:
        """Get or set the SOP class UID (str, bytes or UID)."""
        return self._sop_class_uid

    @sop_class_uid.setter
    def sop_class_uid(self, value: str | bytes | None) -> None:
        self._sop_class_uid = check_uid(value, "sop_class_uid")

    @property
    def service_class_uid(self) -> UID | None:
        """Get or set the service class UID (str, bytes or UID)."""
        return self._service_class_uid

    @service_class_uid.setter
    def service_class_uid(self, value: str | bytes | None) -> None:
        self._service_class_uid = check_uid(value, "service_class_uid")

    @property
    def related_general_sop_class_identification(self) -> list[UID]:
        """Get or set the related general SOP class UIDs (a list)."""
        return self._related_general_sop_class_identification

    @related_general_sop_class_identification.setter
    def related_general_sop_class_identification(
        self, value: list[str] | list[bytes] | list[UID]
    ) -> None:
        name = "related_general_sop_class_identification"
        if not isinstance(value, list):
            raise TypeError(f"'{name}' must be a list of UIDs")
        uids = [check_uid(uid, name) for uid in value]
        if None in uids:
            raise TypeError(f"'{name}' must not hold None")
        self._related_general_sop_class_identification = [
            uid for uid in uids if uid is not None
        ]

    def to_item(self) -> SOPClassCommonExtendedNegotiationSubItem:
        """Return the sub-item; ``ValueError`` if a UID is not set.

        Returns
        -------
        SOPClassCommonExtendedNegotiationSubItem
        """
        return SOPClassCommonExtendedNegotiationSubItem(
            sop_class_uid=str(require(self._sop_class_uid, "sop_class_uid")),
            service_class_uid=str(
                require(self._service_class_uid, "service_class_uid")
            ),
            related_general_sop_class_identification=tuple(
                str(uid) for uid in self._related_general_sop_class_identification
            ),
        )

    from_primitive = to_item

    @classmethod
    def from_item(
        cls, item: SOPClassCommonExtendedNegotiationSubItem
    ) -> SOPClassCommonExtendedNegotiation:
        """Return the primitive a sub-item carries (UIDs taken as sent).

        Parameters
        ----------
        item : SOPClassCommonExtendedNegotiationSubItem
            The decoded sub-item.

        Returns
        -------
        SOPClassCommonExtendedNegotiation
        """
        primitive = cls()
        primitive._sop_class_uid = _received(item.sop_class_uid)
        primitive._service_class_uid = _received(item.service_class_uid)
        primitive._related_general_sop_class_identification = [
            _received(uid) for uid in item.related_general_sop_class_identification
        ]
        return primitive


#: PS3.7 D.3.3.7.1, User-Identity-Type: username, username and passcode,
#: Kerberos service ticket, SAML assertion, JSON web token.
_IDENTITY_TYPES: Final = frozenset({1, 2, 3, 4, 5})
_USERNAME_AND_PASSCODE: Final = 2


class UserIdentityNegotiation(Primitive):
    """User Identity Negotiation (PS3.7 D.3.3.7).

    A requestor sets ``user_identity_type``, ``primary_field`` (and for type 2
    ``secondary_field``); an acceptor sets only ``server_response``.
    """

    def __init__(self) -> None:
        self._user_identity_type: int | None = None
        self._positive_response_requested = False
        self._primary_field: bytes | None = None
        self._secondary_field: bytes | None = None
        self._server_response: bytes | None = None

    @property
    def user_identity_type(self) -> int | None:
        """Get or set the identity type, 1 to 5 (PS3.7 D.3.3.7.1), or None."""
        return self._user_identity_type

    @user_identity_type.setter
    def user_identity_type(self, value: int | None) -> None:
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError("'user_identity_type' must be an int or None")
            if value not in _IDENTITY_TYPES:
                raise ValueError("'user_identity_type' must be 1, 2, 3, 4 or 5")
        self._user_identity_type = value

    @property
    def positive_response_requested(self) -> bool:
        """Get or set whether the requestor asks for a server response."""
        return self._positive_response_requested

    @positive_response_requested.setter
    def positive_response_requested(self, value: bool) -> None:
        if not isinstance(value, bool):
            raise TypeError("'positive_response_requested' must be bool")
        self._positive_response_requested = value

    @property
    def primary_field(self) -> bytes | None:
        """Get or set the primary field: username, ticket, assertion or token."""
        return self._primary_field

    @primary_field.setter
    def primary_field(self, value: bytes | None) -> None:
        self._primary_field = check_optional_bytes(value, "primary_field")

    @property
    def secondary_field(self) -> bytes | None:
        """Get or set the secondary field: the passcode of type 2."""
        return self._secondary_field

    @secondary_field.setter
    def secondary_field(self, value: bytes | None) -> None:
        self._secondary_field = check_optional_bytes(value, "secondary_field")

    @property
    def server_response(self) -> bytes | None:
        """Get or set the acceptor's server response (PS3.7 D.3.3.7.2)."""
        return self._server_response

    @server_response.setter
    def server_response(self, value: bytes | None) -> None:
        self._server_response = check_optional_bytes(value, "server_response")

    def to_item(self) -> UserIdentityRQSubItem | UserIdentityACSubItem:
        """Return the requestor's sub-item (the acceptor's if only a response is set).

        Returns
        -------
        UserIdentityRQSubItem or UserIdentityACSubItem

        Raises
        ------
        ValueError
            A request without a type or primary field, type 2 without a
            passcode, or a secondary field with another type (PS3.7
            D.3.3.7.1: it is non-zero only for type 2).
        """
        if self._user_identity_type is None and self._server_response is not None:
            return UserIdentityACSubItem(server_response=self._server_response)
        identity = require(self._user_identity_type, "user_identity_type")
        primary = require(self._primary_field, "primary_field")
        secondary = self._secondary_field or b""
        if identity == _USERNAME_AND_PASSCODE and not secondary:
            raise ValueError("'secondary_field' must be set when the type is 2")
        if identity != _USERNAME_AND_PASSCODE and secondary:
            raise ValueError("'secondary_field' is only sent when the type is 2")
        return UserIdentityRQSubItem(
            user_identity_type=identity,
            positive_response_requested=self._positive_response_requested,
            primary_field=primary,
            secondary_field=secondary,
        )

    from_primitive = to_item

    @classmethod
    def from_item(
        cls, item: UserIdentityRQSubItem | UserIdentityACSubItem
    ) -> UserIdentityNegotiation:
        """Return the primitive a sub-item carries.

        The type is taken as sent: PS3.7 D.3.3.7 leaves an identity type the
        acceptor does not know to the acceptor's handler.

        Parameters
        ----------
        item : UserIdentityRQSubItem or UserIdentityACSubItem
            The decoded sub-item.

        Returns
        -------
        UserIdentityNegotiation
        """
        primitive = cls()
        if isinstance(item, UserIdentityACSubItem):
            primitive.server_response = bytes(item.server_response)
            return primitive
        primitive._user_identity_type = item.user_identity_type
        primitive.positive_response_requested = item.positive_response_requested
        primitive.primary_field = bytes(item.primary_field)
        primitive.secondary_field = bytes(item.secondary_field) or None
        return primitive


NegotiationPrimitive = (
    MaximumLengthNotification
    | ImplementationClassUIDNotification
    | ImplementationVersionNameNotification
    | AsynchronousOperationsWindowNegotiation
    | SCP_SCU_RoleSelectionNegotiation
    | SOPClassExtendedNegotiation
    | SOPClassCommonExtendedNegotiation
    | UserIdentityNegotiation
)

_FROM_ITEM: Final[dict[type, Any]] = {
    MaximumLengthSubItem: MaximumLengthNotification.from_item,
    ImplementationClassUIDSubItem: ImplementationClassUIDNotification.from_item,
    ImplementationVersionNameSubItem: ImplementationVersionNameNotification.from_item,
    AsynchronousOperationsWindowSubItem: (
        AsynchronousOperationsWindowNegotiation.from_item
    ),
    SCPSCURoleSelectionSubItem: SCP_SCU_RoleSelectionNegotiation.from_item,
    SOPClassExtendedNegotiationSubItem: SOPClassExtendedNegotiation.from_item,
    SOPClassCommonExtendedNegotiationSubItem: (
        SOPClassCommonExtendedNegotiation.from_item
    ),
    UserIdentityRQSubItem: UserIdentityNegotiation.from_item,
    UserIdentityACSubItem: UserIdentityNegotiation.from_item,
}


def primitive_from_item(item: UserInformationSubItem) -> NegotiationPrimitive | None:
    """Return the primitive for a user information sub-item.

    Parameters
    ----------
    item : UserInformationSubItem
        A decoded sub-item.

    Returns
    -------
    primitive or None
        ``None`` for an :class:`~dicomnet.ul.items.UnknownSubItem`, which has
        no primitive (PS3.7 D.3.3: sub-items not understood are ignored).
    """
    convert = _FROM_ITEM.get(type(item))
    return None if convert is None else convert(item)
