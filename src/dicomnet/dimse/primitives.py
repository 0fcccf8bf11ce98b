"""DIMSE service primitives, pynetdicom-compatible (PS3.7 7, 9.1, 10.1).

One mutable class per DIMSE service, attributes named by DICOM keyword, each
with a validating setter (``TypeError`` for a wrong type, ``ValueError`` for a
wrong value); ``None`` means "not set". Data sets (``DataSet``, ``Identifier``,
``AttributeList``...) are encoded bytes in an :class:`io.BytesIO`, never a
decoded ``Dataset``: the DIMSE layer does not decode what it carries.

:func:`to_command` turns a primitive into the command fields and data set of its
request or response message and :func:`from_command` does the reverse, both
checking the fields PS3.7 makes mandatory for that message (the M parameters of
Tables 9.1-x and 10.1-x, which the message tables 9.3-x and 10.3-x carry): a
message we would send without one is a :class:`~dicomnet.errors.LocalProtocolError`,
one we received without one an :class:`~dicomnet.errors.InvalidMessageError`.
"""

from __future__ import annotations

from io import BytesIO
from typing import TYPE_CHECKING, Any, ClassVar, Final, Generic, TypeVar, cast

from pydicom.tag import BaseTag, Tag

from dicomnet._validators import check_ae_title, check_uid
from dicomnet.dimse.commands import CommandDataSetType, CommandField, has_data_set
from dicomnet.dimse.parts import FragmentedBytesIO
from dicomnet.errors import InvalidMessageError, LocalProtocolError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from pydicom.uid import UID

    from dicomnet.dimse.commands import CommandValue

__all__ = [
    "C_CANCEL",
    "C_ECHO",
    "C_FIND",
    "C_GET",
    "C_MOVE",
    "C_STORE",
    "NORMALIZED_REQUESTS",
    "N_ACTION",
    "N_CREATE",
    "N_DELETE",
    "N_EVENT_REPORT",
    "N_GET",
    "N_SET",
    "DimsePrimitive",
    "from_command",
    "response_to",
    "to_command",
]

#: Read for every message sent: module constants, cheaper than enum members.
_DATA_SET_PRESENT: Final = CommandDataSetType.PRESENT
_NULL_DATA_SET: Final = CommandDataSetType.NULL
_T = TypeVar("_T")
_P = TypeVar("_P", bound="DimsePrimitive")
_US_MAX: Final = 0xFFFF
#: PS3.5 Table 6.2-1: a Long String (the VR of Error Comment) holds 64 characters.
_LO_MAX: Final = 64


class _Field(Generic[_T]):
    """A validating attribute; ``None`` always allowed and means "not set"."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self.slot = "_" + name

    def __get__(self, instance: object, owner: type | None = None) -> _T | None:
        value: _T | None = instance.__dict__.get(self.slot) if instance else None
        return value

    def __set__(self, instance: object, value: object) -> None:
        instance.__dict__[self.slot] = None if value is None else self.check(value)

    def check(self, value: object) -> _T:
        """Return ``value`` converted for storage, or raise."""
        raise NotImplementedError

    def load(self, instance: object, value: object) -> None:
        """Set a value decoded from a received command (not ``None``).

        As assignment, minus what the decoder already guarantees.
        """
        instance.__dict__[self.slot] = self.check(value)


class _US(_Field[int]):
    """An unsigned short (PS3.5 VR US): Message ID, Status, counts..."""

    def check(self, value: object) -> int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"{self.name} must be an int")
        if not 0 <= value <= _US_MAX:
            raise ValueError(f"{self.name} must be between 0 and 65535")
        return int(value)

    def load(self, instance: object, value: object) -> None:
        # Two decoded bytes are always an int within range.
        if type(value) is int:
            instance.__dict__[self.slot] = value
        else:
            super().load(instance, value)


class _Priority(_Field[int]):
    def check(self, value: object) -> int:
        # PS3.7 E.1: 0000H medium, 0001H high, 0002H low.
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"{self.name} must be an int")
        if value not in (0, 1, 2):
            raise ValueError(f"{self.name} must be 0, 1 or 2")
        return int(value)


class _UID(_Field["UID"]):
    def check(self, value: object) -> UID:
        return check_uid(value, self.name)


class _AE(_Field[str]):
    def check(self, value: object) -> str:
        # PS3.5 6.2 (AE): leading and trailing spaces are not significant.
        return check_ae_title(value, self.name).strip(" ")


class _Comment(_Field[str]):
    def check(self, value: object) -> str:
        if not isinstance(value, str):
            raise TypeError(f"{self.name} must be a str")
        if len(value) > _LO_MAX:
            raise ValueError(f"{self.name} must be at most 64 characters")
        return value


class _Tags(_Field[list[BaseTag]]):
    """Attribute tags (PS3.5 VR AT): one tag or a list, stored as a list."""

    def check(self, value: object) -> list[BaseTag]:
        items = value if isinstance(value, list) else [value]
        for item in items:
            if not isinstance(item, int | str | tuple):
                raise TypeError(f"{self.name}: {item!r} is not a tag")
        try:
            # cast: the items were checked above; Tag() checks tuple contents.
            return [Tag(cast("int | str | tuple[int, int]", item)) for item in items]
        except (OverflowError, ValueError) as exc:
            raise ValueError(f"{self.name}: {exc}") from exc


class _DataSet(_Field[BytesIO]):
    def check(self, value: object) -> BytesIO:
        if not isinstance(value, BytesIO):
            raise TypeError(f"{self.name} must be an io.BytesIO of encoded data")
        return value


class DimsePrimitive:
    """Base of the DIMSE service primitives: the fields every service has.

    Class attributes ``REQUEST_KEYWORDS`` and ``RESPONSE_KEYWORDS`` name the
    mandatory parameters of the request and response (data sets included);
    ``STATUS_OPTIONAL_KEYWORDS`` the optional status fields of PS3.7 Annex C
    that the response may carry.
    """

    MessageID = _US()
    MessageIDBeingRespondedTo = _US()
    AffectedSOPClassUID = _UID()
    Status = _US()

    REQUEST_KEYWORDS: ClassVar[tuple[str, ...]] = ()
    RESPONSE_KEYWORDS: ClassVar[tuple[str, ...]] = ()
    STATUS_OPTIONAL_KEYWORDS: ClassVar[tuple[str, ...]] = ()
    # Command fields each message carries when set, data set attribute names,
    # and the Command Field values (PS3.7 9.3 and 10.3 message tables).
    _REQUEST_FIELDS: ClassVar[tuple[str, ...]] = ()
    _RESPONSE_FIELDS: ClassVar[tuple[str, ...]] = ()
    _REQUEST_DATA: ClassVar[str | None] = None
    _RESPONSE_DATA: ClassVar[str | None] = None
    _REQUEST_COMMAND: ClassVar[CommandField]
    _RESPONSE_COMMAND: ClassVar[CommandField | None] = None

    @property
    def msg_type(self) -> str:
        """The service name, as in PS3.7 (``"C-STORE"``, ``"N-EVENT-REPORT"``)."""
        return type(self).__name__.replace("_", "-")

    @property
    def is_valid_request(self) -> bool:
        """Whether every mandatory request parameter is set."""
        return all(getattr(self, name) is not None for name in self.REQUEST_KEYWORDS)

    @property
    def is_valid_response(self) -> bool:
        """Whether every mandatory response parameter is set."""
        return all(getattr(self, name) is not None for name in self.RESPONSE_KEYWORDS)


class C_ECHO(DimsePrimitive):  # noqa: N801  (PS3.7 name)
    """C-ECHO (PS3.7 9.1.5; messages 9.3.5)."""

    ErrorComment = _Comment()

    REQUEST_KEYWORDS = ("MessageID", "AffectedSOPClassUID")
    RESPONSE_KEYWORDS = ("MessageIDBeingRespondedTo", "Status")
    STATUS_OPTIONAL_KEYWORDS = ("ErrorComment",)
    _REQUEST_FIELDS = ("MessageID", "AffectedSOPClassUID")
    _RESPONSE_FIELDS = ("MessageIDBeingRespondedTo", "AffectedSOPClassUID", "Status")
    _REQUEST_COMMAND = CommandField.C_ECHO_RQ
    _RESPONSE_COMMAND = CommandField.C_ECHO_RSP


class C_STORE(DimsePrimitive):  # noqa: N801
    """C-STORE (PS3.7 9.1.1; messages 9.3.1)."""

    AffectedSOPInstanceUID = _UID()
    Priority = _Priority()
    MoveOriginatorApplicationEntityTitle = _AE()
    MoveOriginatorMessageID = _US()
    DataSet = _DataSet()
    OffendingElement = _Tags()
    ErrorComment = _Comment()

    REQUEST_KEYWORDS = (
        "MessageID",
        "AffectedSOPClassUID",
        "AffectedSOPInstanceUID",
        "Priority",
        "DataSet",
    )
    RESPONSE_KEYWORDS = ("MessageIDBeingRespondedTo", "Status")
    STATUS_OPTIONAL_KEYWORDS = ("OffendingElement", "ErrorComment")
    _REQUEST_FIELDS = (
        "MessageID",
        "AffectedSOPClassUID",
        "AffectedSOPInstanceUID",
        "Priority",
        "MoveOriginatorApplicationEntityTitle",
        "MoveOriginatorMessageID",
    )
    _RESPONSE_FIELDS = (
        "MessageIDBeingRespondedTo",
        "AffectedSOPClassUID",
        "AffectedSOPInstanceUID",
        "Status",
    )
    _REQUEST_DATA = "DataSet"
    _REQUEST_COMMAND = CommandField.C_STORE_RQ
    _RESPONSE_COMMAND = CommandField.C_STORE_RSP


class C_FIND(DimsePrimitive):  # noqa: N801
    """C-FIND (PS3.7 9.1.2; messages 9.3.2)."""

    Priority = _Priority()
    Identifier = _DataSet()
    OffendingElement = _Tags()
    ErrorComment = _Comment()

    REQUEST_KEYWORDS = ("MessageID", "AffectedSOPClassUID", "Priority", "Identifier")
    RESPONSE_KEYWORDS = ("MessageIDBeingRespondedTo", "Status")
    STATUS_OPTIONAL_KEYWORDS = ("OffendingElement", "ErrorComment")
    _REQUEST_FIELDS = ("MessageID", "AffectedSOPClassUID", "Priority")
    _RESPONSE_FIELDS = ("MessageIDBeingRespondedTo", "AffectedSOPClassUID", "Status")
    _REQUEST_DATA = "Identifier"
    _RESPONSE_DATA = "Identifier"
    _REQUEST_COMMAND = CommandField.C_FIND_RQ
    _RESPONSE_COMMAND = CommandField.C_FIND_RSP


_SUBOPERATIONS: Final = (
    "NumberOfRemainingSuboperations",
    "NumberOfCompletedSuboperations",
    "NumberOfFailedSuboperations",
    "NumberOfWarningSuboperations",
)


class C_GET(DimsePrimitive):  # noqa: N801
    """C-GET (PS3.7 9.1.3; messages 9.3.3)."""

    Priority = _Priority()
    Identifier = _DataSet()
    NumberOfRemainingSuboperations = _US()
    NumberOfCompletedSuboperations = _US()
    NumberOfFailedSuboperations = _US()
    NumberOfWarningSuboperations = _US()
    OffendingElement = _Tags()
    ErrorComment = _Comment()

    REQUEST_KEYWORDS: ClassVar[tuple[str, ...]] = (
        "MessageID",
        "AffectedSOPClassUID",
        "Priority",
        "Identifier",
    )
    RESPONSE_KEYWORDS = ("MessageIDBeingRespondedTo", "Status")
    STATUS_OPTIONAL_KEYWORDS = ("ErrorComment", "OffendingElement", *_SUBOPERATIONS)
    _REQUEST_FIELDS: ClassVar[tuple[str, ...]] = (
        "MessageID",
        "AffectedSOPClassUID",
        "Priority",
    )
    _RESPONSE_FIELDS = ("MessageIDBeingRespondedTo", "AffectedSOPClassUID", "Status")
    _REQUEST_DATA = "Identifier"
    _RESPONSE_DATA = "Identifier"
    _REQUEST_COMMAND = CommandField.C_GET_RQ
    _RESPONSE_COMMAND = CommandField.C_GET_RSP


class C_MOVE(C_GET):  # noqa: N801
    """C-MOVE (PS3.7 9.1.4; messages 9.3.4)."""

    MoveDestination = _AE()

    REQUEST_KEYWORDS = (*C_GET.REQUEST_KEYWORDS, "MoveDestination")
    _REQUEST_FIELDS = (*C_GET._REQUEST_FIELDS, "MoveDestination")  # noqa: SLF001
    _REQUEST_COMMAND = CommandField.C_MOVE_RQ
    _RESPONSE_COMMAND = CommandField.C_MOVE_RSP


class C_CANCEL(DimsePrimitive):  # noqa: N801
    """C-CANCEL (PS3.7 9.3.2.3, 9.3.3.3, 9.3.4.3): a request without response."""

    REQUEST_KEYWORDS = ("MessageIDBeingRespondedTo",)
    _REQUEST_FIELDS = ("MessageIDBeingRespondedTo",)
    _REQUEST_COMMAND = CommandField.C_CANCEL_RQ


class _NormalizedRequest(DimsePrimitive):
    """The Requested SOP Class/Instance pair of N-GET/SET/ACTION/DELETE."""

    RequestedSOPClassUID = _UID()
    RequestedSOPInstanceUID = _UID()
    AffectedSOPInstanceUID = _UID()
    ErrorComment = _Comment()
    ErrorID = _US()

    REQUEST_KEYWORDS: ClassVar[tuple[str, ...]] = (
        "MessageID",
        "RequestedSOPClassUID",
        "RequestedSOPInstanceUID",
    )
    RESPONSE_KEYWORDS = ("MessageIDBeingRespondedTo", "Status")
    _REQUEST_FIELDS: ClassVar[tuple[str, ...]] = REQUEST_KEYWORDS
    _RESPONSE_FIELDS: ClassVar[tuple[str, ...]] = (
        "MessageIDBeingRespondedTo",
        "AffectedSOPClassUID",
        "AffectedSOPInstanceUID",
        "Status",
    )


class N_EVENT_REPORT(DimsePrimitive):  # noqa: N801
    """N-EVENT-REPORT (PS3.7 10.1.1; messages 10.3.1)."""

    AffectedSOPInstanceUID = _UID()
    EventTypeID = _US()
    EventInformation = _DataSet()
    EventReply = _DataSet()
    ErrorComment = _Comment()
    ErrorID = _US()

    REQUEST_KEYWORDS = (
        "MessageID",
        "AffectedSOPClassUID",
        "EventTypeID",
        "AffectedSOPInstanceUID",
    )
    RESPONSE_KEYWORDS = ("MessageIDBeingRespondedTo", "Status")
    STATUS_OPTIONAL_KEYWORDS = (
        "AffectedSOPClassUID",
        "AffectedSOPInstanceUID",
        "EventTypeID",
        "ErrorComment",
        "ErrorID",
    )
    _REQUEST_FIELDS = REQUEST_KEYWORDS
    _RESPONSE_FIELDS = (
        "MessageIDBeingRespondedTo",
        "AffectedSOPClassUID",
        "AffectedSOPInstanceUID",
        "EventTypeID",
        "Status",
    )
    _REQUEST_DATA = "EventInformation"
    _RESPONSE_DATA = "EventReply"
    _REQUEST_COMMAND = CommandField.N_EVENT_REPORT_RQ
    _RESPONSE_COMMAND = CommandField.N_EVENT_REPORT_RSP


class N_GET(_NormalizedRequest):  # noqa: N801
    """N-GET (PS3.7 10.1.2; messages 10.3.2)."""

    AttributeIdentifierList = _Tags()
    AttributeList = _DataSet()

    STATUS_OPTIONAL_KEYWORDS = ("AttributeIdentifierList", "ErrorComment", "ErrorID")
    _REQUEST_FIELDS = (*_NormalizedRequest.REQUEST_KEYWORDS, "AttributeIdentifierList")
    _RESPONSE_DATA = "AttributeList"
    _REQUEST_COMMAND = CommandField.N_GET_RQ
    _RESPONSE_COMMAND = CommandField.N_GET_RSP


class N_SET(_NormalizedRequest):  # noqa: N801
    """N-SET (PS3.7 10.1.3; messages 10.3.3)."""

    ModificationList = _DataSet()
    AttributeList = _DataSet()
    AttributeIdentifierList = _Tags()

    REQUEST_KEYWORDS = (*_NormalizedRequest.REQUEST_KEYWORDS, "ModificationList")
    STATUS_OPTIONAL_KEYWORDS = ("ErrorComment", "ErrorID", "AttributeIdentifierList")
    _REQUEST_DATA = "ModificationList"
    _RESPONSE_DATA = "AttributeList"
    _REQUEST_COMMAND = CommandField.N_SET_RQ
    _RESPONSE_COMMAND = CommandField.N_SET_RSP


class N_ACTION(_NormalizedRequest):  # noqa: N801
    """N-ACTION (PS3.7 10.1.4; messages 10.3.4)."""

    ActionTypeID = _US()
    ActionInformation = _DataSet()
    ActionReply = _DataSet()
    AttributeIdentifierList = _Tags()

    REQUEST_KEYWORDS = (*_NormalizedRequest.REQUEST_KEYWORDS, "ActionTypeID")
    STATUS_OPTIONAL_KEYWORDS = ("ErrorComment", "ErrorID", "AttributeIdentifierList")
    _REQUEST_FIELDS = REQUEST_KEYWORDS
    _RESPONSE_FIELDS = (*_NormalizedRequest._RESPONSE_FIELDS, "ActionTypeID")  # noqa: SLF001
    _REQUEST_DATA = "ActionInformation"
    _RESPONSE_DATA = "ActionReply"
    _REQUEST_COMMAND = CommandField.N_ACTION_RQ
    _RESPONSE_COMMAND = CommandField.N_ACTION_RSP


class N_CREATE(DimsePrimitive):  # noqa: N801
    """N-CREATE (PS3.7 10.1.5; messages 10.3.5)."""

    AffectedSOPInstanceUID = _UID()
    AttributeList = _DataSet()
    ErrorComment = _Comment()
    ErrorID = _US()

    REQUEST_KEYWORDS = ("MessageID", "AffectedSOPClassUID")
    RESPONSE_KEYWORDS = ("MessageIDBeingRespondedTo", "Status")
    STATUS_OPTIONAL_KEYWORDS = ("ErrorComment", "ErrorID")
    _REQUEST_FIELDS = ("MessageID", "AffectedSOPClassUID", "AffectedSOPInstanceUID")
    _RESPONSE_FIELDS = _NormalizedRequest._RESPONSE_FIELDS  # noqa: SLF001
    _REQUEST_DATA = "AttributeList"
    _RESPONSE_DATA = "AttributeList"
    _REQUEST_COMMAND = CommandField.N_CREATE_RQ
    _RESPONSE_COMMAND = CommandField.N_CREATE_RSP


class N_DELETE(_NormalizedRequest):  # noqa: N801
    """N-DELETE (PS3.7 10.1.6; messages 10.3.6)."""

    STATUS_OPTIONAL_KEYWORDS = ("ErrorComment", "ErrorID")
    _REQUEST_COMMAND = CommandField.N_DELETE_RQ
    _RESPONSE_COMMAND = CommandField.N_DELETE_RSP


_PRIMITIVES: Final[tuple[type[DimsePrimitive], ...]] = (
    C_ECHO,
    C_STORE,
    C_FIND,
    C_GET,
    C_MOVE,
    C_CANCEL,
    N_EVENT_REPORT,
    N_GET,
    N_SET,
    N_ACTION,
    N_CREATE,
    N_DELETE,
)
# Command Field value -> (primitive class, is a response).
_BY_COMMAND: Final[dict[int, tuple[type[DimsePrimitive], bool]]] = {
    **{cls._REQUEST_COMMAND: (cls, False) for cls in _PRIMITIVES},
    **{
        cls._RESPONSE_COMMAND: (cls, True)
        for cls in _PRIMITIVES
        if cls._RESPONSE_COMMAND is not None
    },
}


def _layout(
    cls: type[DimsePrimitive], *, response: bool
) -> tuple[tuple[str, ...], str | None, tuple[str, ...]]:
    """Return the command fields, data set attribute and mandatory keywords."""
    if response:
        fields = (*cls._RESPONSE_FIELDS, *cls.STATUS_OPTIONAL_KEYWORDS)
        return fields, cls._RESPONSE_DATA, cls.RESPONSE_KEYWORDS
    return cls._REQUEST_FIELDS, cls._REQUEST_DATA, cls.REQUEST_KEYWORDS


#: The DIMSE-N request primitives (PS3.7 10.1), as ``isinstance`` takes them.
NORMALIZED_REQUESTS: Final = (
    N_ACTION,
    N_CREATE,
    N_DELETE,
    N_EVENT_REPORT,
    N_GET,
    N_SET,
)


def response_to(request: _P) -> _P:
    """Return a response primitive to ``request`` with what it echoes set.

    *Message ID Being Responded To* is the request's *Message ID*, and the
    *Affected SOP Class UID* and *Affected SOP Instance UID* are the request's
    where the response has them (PS3.7 9.3 and 10.3: "shall be the same as"
    the request's). The values are copied as the request holds them, already
    checked, not validated again: this runs for every message a SCP answers.

    Parameters
    ----------
    request : DimsePrimitive
        The received request.

    Returns
    -------
    DimsePrimitive
        A new primitive of the same class, its status still unset.
    """
    cls = type(request)
    response = cls()
    held = request.__dict__
    fields = response.__dict__
    fields["_MessageIDBeingRespondedTo"] = held.get("_MessageID")
    has = _loaders(cls)
    for name in ("AffectedSOPClassUID", "AffectedSOPInstanceUID"):
        value = held.get("_" + name)
        if value is not None and name in has:
            fields["_" + name] = value
    return response


_LOADERS: dict[type[DimsePrimitive], dict[str, _Field[Any]]] = {}


def _loaders(cls: type[DimsePrimitive]) -> dict[str, _Field[Any]]:
    """Return the field descriptors of ``cls`` by name (built once per class)."""
    loaders = _LOADERS.get(cls)
    if loaders is None:
        loaders = {}
        for klass in reversed(cls.__mro__):
            for name, attr in vars(klass).items():
                if isinstance(attr, _Field):
                    loaders[name] = attr
        _LOADERS[cls] = loaders
    return loaders


def to_command(
    primitive: DimsePrimitive, *, response: bool, external_data: bool = False
) -> tuple[dict[str, CommandValue], bytes | None]:
    """Return the command fields and data set of a primitive's message.

    Parameters
    ----------
    primitive : DimsePrimitive
        The primitive, with the parameters of its request or response set.
    response : bool
        Build the response (-RSP) message rather than the request (-RQ).
    external_data : bool
        The data set is sent from elsewhere (a file, for instance): the
        primitive's data set attribute is ignored and a data set announced.

    Returns
    -------
    tuple of (dict, bytes or None)
        The fields for :func:`~dicomnet.dimse.commands.encode_command`
        (Command Field and Command Data Set Type included), and the encoded
        data set or ``None``.

    Raises
    ------
    LocalProtocolError
        A mandatory parameter is not set, ``response`` for C-CANCEL, or
        ``external_data`` for a message without data set.
    """
    cls = type(primitive)
    command = cls._RESPONSE_COMMAND if response else cls._REQUEST_COMMAND
    if command is None:
        raise LocalProtocolError(f"{primitive.msg_type} has no response")
    names, data_name, mandatory = _layout(cls, response=response)
    fields: dict[str, CommandValue] = {"CommandField": command}
    loaders = _loaders(cls)
    held = primitive.__dict__
    for name in names:
        loader = loaders.get(name)
        # A validating field's value, read as _Field.__get__ reads it: this
        # runs for every field of every message sent, and the descriptor call
        # costs more than the lookup.
        value = (
            held.get(loader.slot) if loader is not None else getattr(primitive, name)
        )
        if value is not None:
            fields[name] = value
    missing = [
        name
        for name in mandatory
        if name not in fields
        and (name in names or getattr(primitive, name) is None)
        and not (external_data and name == data_name)
    ]
    if missing:
        kind = "response" if response else "request"
        raise LocalProtocolError(f"{primitive.msg_type} {kind} without {missing}")
    if external_data:
        if data_name is None:
            raise LocalProtocolError(f"{primitive.msg_type} carries no data set")
        fields["CommandDataSetType"] = _DATA_SET_PRESENT
        return fields, None
    data: BytesIO | None = getattr(primitive, data_name) if data_name else None
    fields["CommandDataSetType"] = _NULL_DATA_SET if data is None else _DATA_SET_PRESENT
    return fields, None if data is None else data.getvalue()


def message_kind(
    fields: Mapping[str, CommandValue],
) -> tuple[type[DimsePrimitive], bool]:
    """Return the primitive class of a received command and whether it is a response.

    Parameters
    ----------
    fields : mapping
        A decoded command set.

    Returns
    -------
    tuple of (type, bool)

    Raises
    ------
    InvalidMessageError
        No Command Field, or a value PS3.7 E.1 does not define.
    """
    command = fields.get("CommandField")
    kind = _BY_COMMAND.get(command) if isinstance(command, int) else None
    if kind is None:
        raise InvalidMessageError(f"unknown or missing CommandField {command!r}")
    return kind


def from_command(
    fields: Mapping[str, CommandValue],
    data: bytes | Sequence[bytes | memoryview] | None = None,
) -> DimsePrimitive:
    """Build the primitive of a received message.

    Parameters
    ----------
    fields : mapping
        The decoded command set.
    data : bytes, sequence of bytes-like, or None
        The data set (or its fragments, joined only when read), if the message
        has one and it was kept in memory; a data set spooled elsewhere is
        passed as ``None`` and its attribute left unset.

    Returns
    -------
    DimsePrimitive
        A primitive with the message's parameters set; whether it is a
        request or a response is :func:`message_kind`'s second value.

    Raises
    ------
    InvalidMessageError
        An unknown Command Field, an invalid or missing mandatory field, or a
        data set in a message that has none (PS3.7 9.3, 10.3).
    """
    cls, response = message_kind(fields)
    names, data_name, mandatory = _layout(cls, response=response)
    announced = has_data_set(fields)
    primitive = cls()
    loaders = _loaders(cls)
    try:
        for name in names:
            value = fields.get(name)
            # PS3.5 7.1: an empty value is no value.
            if value is not None and value != "":
                loader = loaders.get(name)
                if loader is None:  # a plain property: assign as users do
                    setattr(primitive, name, value)
                else:
                    loader.load(primitive, value)
    except (TypeError, ValueError) as exc:
        raise InvalidMessageError(f"{primitive.msg_type}: {exc}") from exc
    if announced and data_name is None:
        kind = "response" if response else "request"
        raise InvalidMessageError(f"{primitive.msg_type} {kind} with a data set")
    if data is not None and data_name is not None:
        buffer = BytesIO(data) if isinstance(data, bytes) else FragmentedBytesIO(data)
        setattr(primitive, data_name, buffer)
    missing = [
        name
        for name in mandatory
        if name != data_name and getattr(primitive, name) is None
    ]
    if data_name in mandatory and not announced:
        missing.append(data_name)
    if missing:
        raise InvalidMessageError(f"{primitive.msg_type} message without {missing}")
    return primitive
