"""The standard log output of DIMSE messages: one summary per message.

At DEBUG level each DIMSE message sent and received is logged as a one-line
headline (``Received Store Request: MsgID 7``, ``Sending Find Response
(Pending) for MsgID 3``) followed by a block listing its command fields by
their PS3.7 Annex E names, its status with the meaning the service's status
table gives it, and whether a data set follows and how large it is. The data
set itself is never decoded, except the small identifiers of C-FIND, C-GET and
C-MOVE when ``_config.LOG_REQUEST_IDENTIFIERS``/``LOG_RESPONSE_IDENTIFIERS``
ask for them and the event says which transfer syntax encodes them.

Why DEBUG and not INFO for the headline: the dicomnet apps already print
DCMTK's INFO lines ("Sending Echo Request: MsgID 1") themselves, as DCMTK's
tools do while its network library dumps messages only at debug level; the
library printing them too would double each line at ``-v``. Logging nothing
above DEBUG also lets :func:`~dicomnet.events.mark_debug_only` skip the events
entirely, so a disabled logger costs no :class:`~dicomnet.events.Event` per
message. :data:`HEADLINE_LEVEL` is the one place to change if that choice is
revisited (with a level-aware ``mark_debug_only``).
"""

from __future__ import annotations

import logging
import struct
import zlib
from io import BytesIO
from typing import TYPE_CHECKING, Final, Protocol

from pydicom import config
from pydicom.datadict import dictionary_description
from pydicom.filereader import read_dataset
from pydicom.uid import UID, DeflatedExplicitVRLittleEndian

from dicomnet import _config
from dicomnet._globals import STATUS_CANCEL, STATUS_PENDING, STATUS_SUCCESS
from dicomnet.dimse.commands import CommandField, Priority
from dicomnet.dimse.primitives import C_CANCEL, C_FIND, C_GET, C_MOVE
from dicomnet.events import mark_debug_only

if TYPE_CHECKING:
    from collections.abc import Callable

    from pydicom.tag import BaseTag

    from dicomnet.dimse.primitives import DimsePrimitive
    from dicomnet.status import StatusTable

__all__ = [
    "HEADLINE_LEVEL",
    "DimseEvent",
    "is_response",
    "on_dimse_recv",
    "on_dimse_sent",
    "summarise_dimse",
]

_LOGGER: Final = logging.getLogger(__name__)

#: The level of every line the handlers write; see the module docstring.
HEADLINE_LEVEL: Final = logging.DEBUG

_RULE_WIDTH: Final = 72

# PS3.7 Table E.1-1, in tag order: the command fields a primitive can carry.
# Command Field and Command Data Set Type are not attributes of a primitive;
# the summary derives them (message type, data set line).
_FIELDS: Final = (
    "AffectedSOPClassUID",
    "RequestedSOPClassUID",
    "MessageID",
    "MessageIDBeingRespondedTo",
    "MoveDestination",
    "Priority",
    "Status",
    "OffendingElement",
    "ErrorComment",
    "ErrorID",
    "AffectedSOPInstanceUID",
    "RequestedSOPInstanceUID",
    "EventTypeID",
    "AttributeIdentifierList",
    "ActionTypeID",
    "NumberOfRemainingSuboperations",
    "NumberOfCompletedSuboperations",
    "NumberOfFailedSuboperations",
    "NumberOfWarningSuboperations",
    "MoveOriginatorApplicationEntityTitle",
    "MoveOriginatorMessageID",
)
# The "Message Field" names of Table E.1-1, which pydicom's dictionary holds.
_FIELD_NAMES: Final = {keyword: dictionary_description(keyword) for keyword in _FIELDS}

# The names DICOM engineers read in association logs; the N-services keep
# their PS3.7 names, since "Get" alone would be read as C-GET.
_SERVICE_NAMES: Final = {
    "C-ECHO": "Echo",
    "C-STORE": "Store",
    "C-FIND": "Find",
    "C-GET": "Get",
    "C-MOVE": "Move",
    "C-CANCEL": "Cancel",
}

# The status table (a dicomnet.status name) of each DIMSE-C message when the
# SOP class does not name a service (a response without Affected SOP Class UID,
# an unregistered UID). dicomnet.status and the SOP class registry load on the
# first status logged, not with this module: the handlers are bound to every
# association, and most never log at DEBUG.
_DEFAULT_TABLES: Final[dict[str, str]] = {
    "C-ECHO": "VERIFICATION_SERVICE_CLASS_STATUS",  # PS3.4 A.4
    "C-STORE": "STORAGE_SERVICE_CLASS_STATUS",  # PS3.4 B.2.3
    "C-FIND": "QR_FIND_SERVICE_CLASS_STATUS",  # PS3.4 C.4.1.1.4
    "C-GET": "QR_GET_SERVICE_CLASS_STATUS",  # PS3.4 C.4.3.1.4
    "C-MOVE": "QR_MOVE_SERVICE_CLASS_STATUS",  # PS3.4 C.4.2.1.5
}

# Categories whose code adds little to the headline (one code each, or the
# FF00/FF01 pair of every pending C-FIND match); the block shows the code.
_PLAIN_CATEGORIES: Final = frozenset({STATUS_SUCCESS, STATUS_CANCEL, STATUS_PENDING})


class DimseEvent(Protocol):
    """What the DIMSE handlers need of an ``EVT_DIMSE_RECV``/``SENT`` event.

    The event may also carry a ``context`` (a presentation context with a
    ``transfer_syntax``); without one, identifiers are not decoded.
    """

    @property
    def message(self) -> DimsePrimitive:
        """The DIMSE message received or sent, as its service primitive."""
        ...


# -- handlers ----------------------------------------------------------------------


def _log_dimse(event: DimseEvent, *, sent: bool) -> None:
    # Checked first: nothing is formatted unless someone will read it.
    if not _LOGGER.isEnabledFor(HEADLINE_LEVEL):
        return
    context = getattr(event, "context", None)
    syntax = getattr(context, "transfer_syntax", None)
    lines = summarise_dimse(
        event.message, sent=sent, transfer_syntax=str(syntax) if syntax else None
    )
    for line in lines:
        _LOGGER.log(HEADLINE_LEVEL, "%s", line)


def on_dimse_recv(event: DimseEvent) -> None:
    """Log a summary of a received DIMSE message at DEBUG (``EVT_DIMSE_RECV``).

    Parameters
    ----------
    event : Event
        The event; its ``message`` and, if present, ``context`` are used.
    """
    _log_dimse(event, sent=False)


def on_dimse_sent(event: DimseEvent) -> None:
    """Log a summary of a sent DIMSE message at DEBUG (``EVT_DIMSE_SENT``).

    Parameters
    ----------
    event : Event
        The event; its ``message`` and, if present, ``context`` are used.
    """
    _log_dimse(event, sent=True)


# Both log at HEADLINE_LEVEL (DEBUG) only: below it the events need no Event.
mark_debug_only(on_dimse_recv, _LOGGER)
mark_debug_only(on_dimse_sent, _LOGGER)


# -- summaries ---------------------------------------------------------------------


def is_response(message: DimsePrimitive) -> bool:
    """Return whether a primitive is a response (-RSP) rather than a request.

    Parameters
    ----------
    message : DimsePrimitive
        A DIMSE service primitive.

    Returns
    -------
    bool
        True when Message ID Being Responded To or Status is set, except for
        C-CANCEL, a request that names the request it cancels (PS3.7 9.3.2.3).
    """
    if isinstance(message, C_CANCEL):
        return False
    return message.MessageIDBeingRespondedTo is not None or message.Status is not None


def summarise_dimse(
    message: DimsePrimitive, *, sent: bool, transfer_syntax: str | None = None
) -> list[str]:
    """Return a readable, multi-line summary of a DIMSE message.

    Parameters
    ----------
    message : DimsePrimitive
        The message, as its service primitive.
    sent : bool
        Whether we sent it (``Sending ...``) or received it (``Received ...``).
    transfer_syntax : str, optional
        The transfer syntax of the presentation context the message travels
        on; C-FIND, C-GET and C-MOVE identifiers are decoded with it when the
        ``_config.LOG_*_IDENTIFIERS`` flags ask for them.

    Returns
    -------
    list of str
        The headline, then the command fields between two rules; no line ends.
    """
    response = is_response(message)
    kind = f"{message.msg_type}-{'RSP' if response else 'RQ'}"
    # PS3.7 E.1: Command Field, e.g. C-STORE-RQ 0001H.
    command = CommandField[kind.replace("-", "_")]
    return [
        _headline(message, sent=sent, response=response),
        _banner(f"BEGIN {kind}"),
        f"Command Field: {kind} ({command:04X}H)",
        *_field_lines(message),
        *_data_lines(message, response=response, transfer_syntax=transfer_syntax),
        _banner(f"END {kind}"),
    ]


def _banner(text: str) -> str:
    return f" {text} ".center(_RULE_WIDTH, "=")


def _headline(message: DimsePrimitive, *, sent: bool, response: bool) -> str:
    verb = "Sending" if sent else "Received"
    name = _SERVICE_NAMES.get(message.msg_type, message.msg_type)
    if isinstance(message, C_CANCEL):
        return f"{verb} {name} Request for MsgID {message.MessageIDBeingRespondedTo}"
    if not response:
        return f"{verb} {name} Request: MsgID {message.MessageID}"
    status = "no Status" if message.Status is None else _status_brief(message)
    return (
        f"{verb} {name} Response ({status}) "
        f"for MsgID {message.MessageIDBeingRespondedTo}"
    )


# -- status (PS3.7 Annex C, PS3.4 per-service tables) ------------------------------


def _status_meaning(message: DimsePrimitive, code: int) -> tuple[str, str]:
    """Return the category and description of a status, by the message's service."""
    # Loaded here, not at import: see _DEFAULT_TABLES.
    from dicomnet import status as _st  # noqa: PLC0415
    from dicomnet.service_class import ServiceClass  # noqa: PLC0415
    from dicomnet.sop_class import uid_to_service_class  # noqa: PLC0415

    uid = message.AffectedSOPClassUID
    service = ServiceClass if uid is None else uid_to_service_class(uid)
    table: StatusTable
    if service is ServiceClass:
        name = _DEFAULT_TABLES.get(message.msg_type, "GENERAL_STATUS")
        table = getattr(_st, name)
    else:
        table = service.status_table(message.msg_type)
    for candidates in (table, _st.GENERAL_STATUS, _st.HANDLER_FAILURE_STATUS):
        if code in candidates:
            return candidates[code]
    # PS3.7 C.1: the code's range still gives its category.
    return _st.code_to_category(code), "no meaning defined for this service"


def _status_brief(message: DimsePrimitive) -> str:
    code = message.Status
    assert code is not None  # noqa: S101  (the caller tested it)
    category = _status_meaning(message, code)[0]
    return category if category in _PLAIN_CATEGORIES else f"{category} 0x{code:04X}"


def _status_text(message: DimsePrimitive, code: int) -> str:
    category, description = _status_meaning(message, code)
    text = f"0x{code:04X} ({category})"
    return text if description == category else f"{text} {description}"


# -- command fields (PS3.7 Annex E) ------------------------------------------------


def _uid_text(value: str) -> str:
    # IGNORE: a UID from a peer is shown as sent, without a pydicom warning.
    name = UID(value, validation_mode=config.IGNORE).name
    return value if name == value else f"{value} ({name})"


def _priority_text(value: int) -> str:
    # PS3.7 E.1: LOW = 0002H, MEDIUM = 0000H, HIGH = 0001H.
    return f"{Priority(value).name} ({value:04X}H)"


def _tags_text(value: list[BaseTag]) -> str:
    return ", ".join(str(tag) for tag in value) or "(empty)"


# Keyed by field; each takes that field's type, which a dict cannot type.
_FORMATTERS: Final[dict[str, Callable[..., str]]] = {
    "AffectedSOPClassUID": _uid_text,
    "RequestedSOPClassUID": _uid_text,
    "AffectedSOPInstanceUID": _uid_text,
    "RequestedSOPInstanceUID": _uid_text,
    "Priority": _priority_text,
    "OffendingElement": _tags_text,
    "AttributeIdentifierList": _tags_text,
}


def _field_lines(message: DimsePrimitive) -> list[str]:
    lines = []
    for keyword in _FIELDS:
        value = getattr(message, keyword, None)
        if value is None:
            continue
        if keyword == "Status":
            text = _status_text(message, value)
        else:
            text = _FORMATTERS.get(keyword, str)(value)
        lines.append(f"{_FIELD_NAMES[keyword]}: {text}")
    return lines


# -- the data set (PS3.7 6.3.1: it follows the command set; never decoded here) ----


def _data_name(message: DimsePrimitive, *, response: bool) -> str | None:
    cls = type(message)
    # The PS3.7 9.3/10.3 message layout is kept on the primitive classes.
    return cls._RESPONSE_DATA if response else cls._REQUEST_DATA


def _label(keyword: str) -> str:
    # "EventInformation" -> "Event Information", the PS3.7 parameter name.
    return "".join(f" {c}" if c.isupper() else c for c in keyword).strip()


def _data_lines(
    message: DimsePrimitive, *, response: bool, transfer_syntax: str | None
) -> list[str]:
    keyword = _data_name(message, response=response)
    if keyword is None:
        # PS3.7 E.1: Command Data Set Type is 0101H, no data set follows.
        return ["Data Set: none"]
    label = _label(keyword)
    data: BytesIO | None = getattr(message, keyword)
    if data is None:
        mandatory = message.RESPONSE_KEYWORDS if response else message.REQUEST_KEYWORDS
        # A mandatory data set that is not in memory was streamed from or to a
        # file (chunked C-STORE); an optional one is simply absent.
        found = "present, not held in memory" if keyword in mandatory else "none"
        return [f"{label}: {found}"]
    # A buffer view costs no copy; released at once so the BytesIO can grow.
    with data.getbuffer() as view:
        size = view.nbytes
    lines = [f"{label}: present, {size} bytes"]
    if _wants_identifier(message, keyword, response=response):
        lines += _identifier_lines(data, transfer_syntax)
    return lines


def _wants_identifier(message: DimsePrimitive, keyword: str, *, response: bool) -> bool:
    if keyword != "Identifier" or not isinstance(message, C_FIND | C_GET | C_MOVE):
        return False
    if response:
        return _config.LOG_RESPONSE_IDENTIFIERS
    return _config.LOG_REQUEST_IDENTIFIERS


def _identifier_lines(data: BytesIO, transfer_syntax: str | None) -> list[str]:
    if transfer_syntax is None:
        return ["  (not decoded: the transfer syntax is not known here)"]
    try:
        lines = _decode_lines(data.getvalue(), UID(transfer_syntax))
    except (
        ValueError,
        EOFError,
        KeyError,
        IndexError,
        TypeError,
        NotImplementedError,
        struct.error,
        zlib.error,
    ) as exc:
        # A peer's malformed identifier must not break the log, nor be hidden.
        return [f"  (cannot be decoded: {exc})"]
    return [f"  {line}" for line in lines] or ["  (empty)"]


def _decode_lines(raw: bytes, syntax: UID) -> list[str]:
    if syntax == DeflatedExplicitVRLittleEndian:
        # PS3.5 A.5: the whole data set is one raw deflate stream.
        raw = zlib.decompress(raw, -zlib.MAX_WBITS)
    # UID.is_implicit_VR raises ValueError for a UID that is not a known
    # transfer syntax: the identifier is then reported as not decodable.
    dataset = read_dataset(BytesIO(raw), syntax.is_implicit_VR, syntax.is_little_endian)
    return str(dataset).splitlines()
