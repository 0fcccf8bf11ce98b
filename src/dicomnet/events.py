"""Events, the :class:`Event` given to handlers, and handler binding (``dicomnet.evt``).

An association reports what happens to it through events. *Notification*
events (``EVT_PDU_RECV``, ``EVT_ESTABLISHED``...) go to any number of handlers,
called in bind order, whose return values are ignored and whose exceptions are
logged and swallowed. *Intervention* events (``EVT_C_STORE``, ``EVT_USER_ID``...)
go to exactly one handler, whose return value the service uses and whose
exception the service turns into a failure status; when the user binds nothing,
the default handler of :func:`get_default_handler` answers.

This module only dispatches: it never touches sockets or the state machine.
The public names and their behaviour follow pynetdicom 3's ``events`` module.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from io import BytesIO
from pathlib import Path
from struct import Struct
from typing import Any, Final, NamedTuple, TypeAlias

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filebase import DicomBytesIO
from pydicom.filereader import read_dataset
from pydicom.filewriter import write_file_meta_info
from pydicom.tag import BaseTag, Tag
from pydicom.uid import UID, DeflatedExplicitVRLittleEndian

from dicomnet._version import (
    DICOMNET_IMPLEMENTATION_UID,
    DICOMNET_IMPLEMENTATION_VERSION,
)

__all__ = [
    "EVT_ABORTED",
    "EVT_ACCEPTED",
    "EVT_ACSE_RECV",
    "EVT_ACSE_SENT",
    "EVT_ASYNC_OPS",
    "EVT_CONN_CLOSE",
    "EVT_CONN_OPEN",
    "EVT_C_ECHO",
    "EVT_C_FIND",
    "EVT_C_GET",
    "EVT_C_MOVE",
    "EVT_C_STORE",
    "EVT_DATA_RECV",
    "EVT_DATA_SENT",
    "EVT_DIMSE_RECV",
    "EVT_DIMSE_SENT",
    "EVT_ESTABLISHED",
    "EVT_FSM_TRANSITION",
    "EVT_N_ACTION",
    "EVT_N_CREATE",
    "EVT_N_DELETE",
    "EVT_N_EVENT_REPORT",
    "EVT_N_GET",
    "EVT_N_SET",
    "EVT_PDU_RECV",
    "EVT_PDU_SENT",
    "EVT_REJECTED",
    "EVT_RELEASED",
    "EVT_REQUESTED",
    "EVT_SOP_COMMON",
    "EVT_SOP_EXTENDED",
    "EVT_USER_ID",
    "Event",
    "EventHandlerType",
    "EventType",
    "HandlerArgType",
    "HandlerRegistry",
    "InterventionEvent",
    "NotificationEvent",
    "get_default_handler",
    "normalise_handlers",
    "trigger",
]

_LOGGER = logging.getLogger(__name__)


class NotificationEvent(NamedTuple):
    """An event any number of handlers may observe; their return is ignored."""

    name: str
    description: str
    is_intervention: bool = False
    is_notification: bool = True

    def __str__(self) -> str:
        """Return the event's name, e.g. ``"EVT_PDU_RECV"``."""
        return self.name


class InterventionEvent(NamedTuple):
    """An event one handler answers; the service uses its return value."""

    name: str
    description: str
    is_intervention: bool = True
    is_notification: bool = False

    def __str__(self) -> str:
        """Return the event's name, e.g. ``"EVT_C_STORE"``."""
        return self.name


EventType: TypeAlias = NotificationEvent | InterventionEvent
EventHandlerType: TypeAlias = Callable[..., Any]
HandlerArgType: TypeAlias = Sequence[Any] | None
_Binding: TypeAlias = tuple[EventHandlerType, HandlerArgType]

_N = NotificationEvent
_I = InterventionEvent

# Notification events: the association's life, the Upper Layer and the DIMSE
# message layer (PS3.8 7, 9.2; PS3.7 6).
EVT_ABORTED: Final = _N("EVT_ABORTED", "Association aborted")
EVT_ACCEPTED: Final = _N("EVT_ACCEPTED", "Association request accepted")
EVT_ACSE_RECV: Final = _N("EVT_ACSE_RECV", "ACSE primitive received from DUL")
EVT_ACSE_SENT: Final = _N("EVT_ACSE_SENT", "ACSE primitive sent to DUL")
EVT_CONN_CLOSE: Final = _N("EVT_CONN_CLOSE", "Connection closed")
EVT_CONN_OPEN: Final = _N("EVT_CONN_OPEN", "Connection opened")
EVT_DATA_RECV: Final = _N("EVT_DATA_RECV", "PDU data received from remote")
EVT_DATA_SENT: Final = _N("EVT_DATA_SENT", "PDU data sent to remote")
EVT_DIMSE_RECV: Final = _N(
    "EVT_DIMSE_RECV", "Complete DIMSE message received and decoded"
)
EVT_DIMSE_SENT: Final = _N(
    "EVT_DIMSE_SENT", "DIMSE message encoded and P-DATA primitives sent to DUL"
)
EVT_ESTABLISHED: Final = _N("EVT_ESTABLISHED", "Association established")
EVT_FSM_TRANSITION: Final = _N(
    "EVT_FSM_TRANSITION", "State machine about to transition"
)
EVT_PDU_RECV: Final = _N("EVT_PDU_RECV", "PDU received and decoded")
EVT_PDU_SENT: Final = _N("EVT_PDU_SENT", "PDU encoded and sent")
EVT_REJECTED: Final = _N("EVT_REJECTED", "Association request rejected")
EVT_RELEASED: Final = _N("EVT_RELEASED", "Association released")
EVT_REQUESTED: Final = _N("EVT_REQUESTED", "Association requested")

# Intervention events: negotiation items the user decides on (PS3.7 D.3.3) and
# the DIMSE requests the user services (PS3.7 9.1, 10.1).
EVT_ASYNC_OPS: Final = _I(
    "EVT_ASYNC_OPS", "Asynchronous operations negotiation requested"
)
EVT_SOP_COMMON: Final = _I(
    "EVT_SOP_COMMON", "SOP class common extended negotiation requested"
)
EVT_SOP_EXTENDED: Final = _I(
    "EVT_SOP_EXTENDED", "SOP class extended negotiation requested"
)
EVT_USER_ID: Final = _I("EVT_USER_ID", "User identity negotiation requested")
EVT_C_ECHO: Final = _I("EVT_C_ECHO", "C-ECHO request received")
EVT_C_FIND: Final = _I("EVT_C_FIND", "C-FIND request received")
EVT_C_GET: Final = _I("EVT_C_GET", "C-GET request received")
EVT_C_MOVE: Final = _I("EVT_C_MOVE", "C-MOVE request received")
EVT_C_STORE: Final = _I("EVT_C_STORE", "C-STORE request received")
EVT_N_ACTION: Final = _I("EVT_N_ACTION", "N-ACTION request received")
EVT_N_CREATE: Final = _I("EVT_N_CREATE", "N-CREATE request received")
EVT_N_DELETE: Final = _I("EVT_N_DELETE", "N-DELETE request received")
EVT_N_EVENT_REPORT: Final = _I("EVT_N_EVENT_REPORT", "N-EVENT-REPORT request received")
EVT_N_GET: Final = _I("EVT_N_GET", "N-GET request received")
EVT_N_SET: Final = _I("EVT_N_SET", "N-SET request received")

_INTERVENTION_EVENTS: Final[list[InterventionEvent]] = [
    EVT_ASYNC_OPS,
    EVT_C_ECHO,
    EVT_C_FIND,
    EVT_C_GET,
    EVT_C_MOVE,
    EVT_C_STORE,
    EVT_N_ACTION,
    EVT_N_CREATE,
    EVT_N_DELETE,
    EVT_N_EVENT_REPORT,
    EVT_N_GET,
    EVT_N_SET,
    EVT_SOP_COMMON,
    EVT_SOP_EXTENDED,
    EVT_USER_ID,
]
_NOTIFICATION_EVENTS: Final[list[NotificationEvent]] = [
    EVT_ABORTED,
    EVT_ACCEPTED,
    EVT_ACSE_RECV,
    EVT_ACSE_SENT,
    EVT_CONN_CLOSE,
    EVT_CONN_OPEN,
    EVT_DATA_RECV,
    EVT_DATA_SENT,
    EVT_DIMSE_RECV,
    EVT_DIMSE_SENT,
    EVT_ESTABLISHED,
    EVT_FSM_TRANSITION,
    EVT_PDU_RECV,
    EVT_PDU_SENT,
    EVT_REJECTED,
    EVT_RELEASED,
    EVT_REQUESTED,
]


# -- default handlers (what happens when the user binds nothing) -------------------


def _echo_handler(event: Event) -> int:
    # PS3.4 A.4: Verification needs no application logic; answer Success.
    del event
    return 0x0000


def _not_implemented_handler(event: Event) -> Any:  # noqa: ANN401  (any contract)
    # The service maps the exception to its "unable to process" failure, and
    # the negotiation code to "no reply item".
    raise NotImplementedError(f"No handler has been bound to '{event.event.name}'")


def _empty_dict_handler(event: Event) -> dict[Any, Any]:
    # Extended negotiation: accept nothing, so send no reply items.
    del event
    return {}


_DEFAULT_HANDLERS: Final[dict[InterventionEvent, EventHandlerType]] = dict.fromkeys(
    _INTERVENTION_EVENTS, _not_implemented_handler
)
_DEFAULT_HANDLERS[EVT_C_ECHO] = _echo_handler
_DEFAULT_HANDLERS[EVT_SOP_EXTENDED] = _empty_dict_handler
_DEFAULT_HANDLERS[EVT_SOP_COMMON] = _empty_dict_handler


def get_default_handler(event: InterventionEvent) -> EventHandlerType:
    """Return the handler used for an intervention event when none is bound.

    Parameters
    ----------
    event : InterventionEvent
        One of the ``EVT_*`` intervention events.

    Returns
    -------
    callable
        ``EVT_C_ECHO``: returns ``0x0000``; ``EVT_SOP_EXTENDED`` and
        ``EVT_SOP_COMMON``: return ``{}``; every other one raises
        :class:`NotImplementedError`.
    """
    return _DEFAULT_HANDLERS[event]


# -- binding -----------------------------------------------------------------------


def _check_binding(event: object, handler: object, args: object) -> None:
    if not isinstance(event, NotificationEvent | InterventionEvent):
        raise TypeError(f"'event' must be an evt.EVT_* event, not {event!r}")
    if not callable(handler):
        raise TypeError(f"'handler' must be callable, not {handler!r}")
    if args is not None and (
        isinstance(args, str | bytes) or not isinstance(args, Sequence)
    ):
        raise TypeError(f"'args' must be a list of extra arguments, not {args!r}")


class HandlerRegistry:
    """The handlers bound to one association or one server.

    Notification events keep a list of ``(handler, args)`` in bind order;
    intervention events keep at most one user binding, and fall back to
    :func:`get_default_handler` otherwise.

    Examples
    --------
    >>> registry = HandlerRegistry()
    >>> registry.bind(EVT_C_ECHO, lambda event: 0x0000)
    >>> registry.trigger(None, EVT_C_ECHO)
    0
    """

    __slots__ = ("_interventions", "_notifications")

    def __init__(self) -> None:
        self._notifications: dict[NotificationEvent, list[_Binding]] = {}
        self._interventions: dict[InterventionEvent, _Binding] = {}

    def copy(self) -> HandlerRegistry:
        """Return an independent copy (a server's bindings for a new association).

        Returns
        -------
        HandlerRegistry
        """
        other = HandlerRegistry()
        other._notifications = {k: list(v) for k, v in self._notifications.items()}
        other._interventions = dict(self._interventions)
        return other

    def bind(
        self, event: EventType, handler: EventHandlerType, args: HandlerArgType = None
    ) -> None:
        """Bind ``handler(event, *args)`` to ``event``.

        Parameters
        ----------
        event : NotificationEvent or InterventionEvent
            The event.
        handler : callable
            Called with the :class:`Event`, then each of ``args``.
        args : list, optional
            Extra positional arguments.

        Raises
        ------
        TypeError
            ``event`` is not an event, ``handler`` is not callable or ``args``
            is not a sequence.

        Notes
        -----
        Binding the same ``(handler, args)`` to a notification event twice is
        a no-op; binding to an intervention event replaces its handler.
        """
        _check_binding(event, handler, args)
        if isinstance(event, InterventionEvent):
            self._interventions[event] = (handler, args)
            return
        bindings = self._notifications.setdefault(event, [])
        if (handler, args) not in bindings:
            bindings.append((handler, args))

    def unbind(self, event: EventType, handler: EventHandlerType) -> None:
        """Unbind ``handler`` from ``event``; absent handlers are ignored.

        Every binding of ``handler`` to a notification event goes, whatever its
        ``args``. For an intervention event, the default handler is restored
        only when ``handler`` is the one bound.

        Parameters
        ----------
        event : NotificationEvent or InterventionEvent
            The event.
        handler : callable
            The handler to remove.
        """
        if isinstance(event, InterventionEvent):
            bound = self._interventions.get(event)
            if bound is not None and bound[0] == handler:
                del self._interventions[event]
            return
        bindings = self._notifications.get(event)
        if bindings is None:
            return
        bindings[:] = [b for b in bindings if b[0] != handler]
        if not bindings:
            del self._notifications[event]

    def get_handlers(self, event: EventType) -> list[_Binding] | _Binding:
        """Return the handlers of ``event``.

        Parameters
        ----------
        event : NotificationEvent or InterventionEvent
            The event.

        Returns
        -------
        list of (handler, args) or (handler, args)
            For a notification event, a (new) list in call order, empty if
            nothing is bound; for an intervention event, the one binding (the
            default handler with ``None`` arguments when the user bound none).
            Anything that is not an event gives ``[]``.
        """
        if isinstance(event, InterventionEvent):
            return self._interventions.get(event, (_DEFAULT_HANDLERS[event], None))
        # A value that is not an event finds nothing, as in pynetdicom.
        return list(self._notifications.get(event, ()))

    def get_events(self) -> list[EventType]:
        """Return the events that have handlers, sorted by name.

        Every intervention event has one (its default, at least); a
        notification event has one once something is bound to it.

        Returns
        -------
        list of NotificationEvent or InterventionEvent
        """
        events: list[EventType] = [*_INTERVENTION_EVENTS, *self._notifications]
        return sorted(events, key=lambda ev: ev.name)

    def has_handlers(self, event: EventType) -> bool:
        """Return whether triggering ``event`` would call anything.

        A dictionary lookup, for the hot path: a driver tests this before it
        builds the attributes of a notification event no one observes.

        Parameters
        ----------
        event : NotificationEvent or InterventionEvent
            The event.

        Returns
        -------
        bool
            Always true for intervention events (a default handler answers).
        """
        return event in self._notifications or event.is_intervention

    def trigger(
        self,
        assoc: Any,  # noqa: ANN401  (the Association; typed loosely to avoid a cycle)
        event: EventType,
        attrs: dict[str, Any] | None = None,
    ) -> Any:  # noqa: ANN401  (whatever the intervention handler returns)
        """Call the handlers of ``event`` with a new :class:`Event`.

        Parameters
        ----------
        assoc : Association
            The association the event belongs to, ``Event.assoc``.
        event : NotificationEvent or InterventionEvent
            The event.
        attrs : dict, optional
            Extra attributes of the :class:`Event`.

        Returns
        -------
        object
            For an intervention event, the handler's return value (its
            exception propagates: the service maps it to a status); ``None``
            for a notification event, after each handler ran (exceptions
            logged and swallowed) or at once when none is bound.
        """
        if isinstance(event, InterventionEvent):
            return _dispatch(assoc, event, attrs, self.get_handlers(event))
        bindings = self._notifications.get(event)
        if not bindings or _all_silent(bindings):
            # The common case on the per-PDU path: nothing bound, or only the
            # standard log handlers with their logger below DEBUG.
            return None
        return _dispatch(assoc, event, attrs, list(bindings))


# Handlers that do nothing unless their logger is enabled for DEBUG (the
# standard PDU log handlers): trigger() builds no Event for them otherwise.
_DEBUG_ONLY: list[tuple[EventHandlerType, logging.Logger]] = []


def mark_debug_only(handler: EventHandlerType, logger: logging.Logger) -> None:
    """Declare that ``handler`` does nothing while ``logger`` is below DEBUG.

    :meth:`HandlerRegistry.trigger` then skips the event, without building an
    :class:`Event`, when every handler bound to it is such a handler and its
    logger is not enabled for DEBUG.

    Parameters
    ----------
    handler : callable
        A notification handler that only logs at DEBUG level on ``logger``.
    logger : logging.Logger
        The logger it writes to.
    """
    _DEBUG_ONLY.append((handler, logger))


def _all_silent(bindings: list[_Binding]) -> bool:
    for handler, _args in bindings:
        for quiet, logger in _DEBUG_ONLY:
            if handler is quiet and not logger.isEnabledFor(logging.DEBUG):
                break
        else:
            return False
    return True


def _dispatch(
    assoc: Any,  # noqa: ANN401
    event: EventType,
    attrs: dict[str, Any] | None,
    handlers: list[_Binding] | _Binding,
) -> Any:  # noqa: ANN401
    if isinstance(event, InterventionEvent):
        handler, args = handlers if isinstance(handlers, tuple) else handlers[0]
        return handler(Event(assoc, event, attrs), *(args or ()))
    bindings = handlers if isinstance(handlers, list) else [handlers]
    for handler, args in bindings:
        _notify(handler, args, Event(assoc, event, attrs))
    return None


def _notify(handler: EventHandlerType, args: HandlerArgType, event: Event) -> None:
    try:
        handler(event, *(args or ()))
    except Exception:
        # The handler-dispatch boundary (house style 4): a user's notification
        # handler must never break the association.
        _LOGGER.exception(
            "Exception raised in user's 'evt.%s' event handler '%s'",
            event.event.name,
            getattr(handler, "__name__", repr(handler)),
        )


def trigger(
    assoc: Any,  # noqa: ANN401
    event: EventType,
    attrs: dict[str, Any] | None = None,
) -> Any:  # noqa: ANN401
    """Call the handlers ``assoc.get_handlers(event)`` returns.

    The pynetdicom-compatible entry point; associations with a
    :class:`HandlerRegistry` should call :meth:`HandlerRegistry.trigger`,
    which returns early when nothing is bound.

    Parameters
    ----------
    assoc : Association
        Anything with ``get_handlers(event)``.
    event : NotificationEvent or InterventionEvent
        The event.
    attrs : dict, optional
        Extra attributes of the :class:`Event`.

    Returns
    -------
    object
        As :meth:`HandlerRegistry.trigger`.
    """
    handlers = assoc.get_handlers(event)
    if not handlers:
        return None
    return _dispatch(assoc, event, attrs, handlers)


def normalise_handlers(
    evt_handlers: Iterable[Sequence[Any]] | None,
) -> list[tuple[EventType, EventHandlerType, HandlerArgType]]:
    """Check an ``evt_handlers`` argument and return it as 3-tuples.

    Parameters
    ----------
    evt_handlers : list of (event, handler) or (event, handler, args), or None
        As given to ``AE.associate()`` or ``AE.start_server()``.

    Returns
    -------
    list of (event, handler, args)
        ``args`` is ``None`` for the 2-item form.

    Raises
    ------
    TypeError
        ``evt_handlers`` is not a list or tuple of 2- or 3-item sequences, or
        an item fails :meth:`HandlerRegistry.bind`'s checks.
    """
    if evt_handlers is None:
        return []
    if isinstance(evt_handlers, str | bytes) or not isinstance(evt_handlers, Iterable):
        raise TypeError("'evt_handlers' must be a list of (event, handler[, args])")
    result: list[tuple[EventType, EventHandlerType, HandlerArgType]] = []
    for item in evt_handlers:
        if isinstance(item, str | bytes) or not isinstance(item, Sequence):
            raise TypeError(f"'evt_handlers' item {item!r} is not a tuple")
        if len(item) not in (2, 3):
            raise TypeError(
                f"'evt_handlers' item {item!r} must be (event, handler) or "
                "(event, handler, args)"
            )
        event, handler, args = (*item, None) if len(item) == 2 else tuple(item)
        _check_binding(event, handler, args)
        result.append((event, handler, args))
    return result


# -- the Event object ---------------------------------------------------------------

_STORE: Final = frozenset({EVT_C_STORE})
_QUERY_RETRIEVE: Final = frozenset({EVT_C_FIND, EVT_C_GET, EVT_C_MOVE})
# PS3.10 7.1: the File Meta Information Group Length element of a Part 10
# file, after the 128-byte preamble and "DICM": tag (4), VR (2), length (2),
# then the UL value giving the length of the rest of group 0002.
_PREAMBLE_AND_PREFIX: Final = 132
_GROUP_LENGTH_ELEMENT: Final = Struct("<HH2sHL")
_DEFLATED: Final = UID(DeflatedExplicitVRLittleEndian)


class Event:
    """What a handler receives: the association, the event, and its details.

    Parameters
    ----------
    assoc : Association
        The association the event belongs to.
    event : NotificationEvent or InterventionEvent
        The event.
    attrs : dict, optional
        Extra attributes; each key becomes an attribute (``request``,
        ``context``, ``pdu``, ``address``...). A key naming an existing
        attribute raises :class:`AttributeError`. The key ``_is_cancelled``
        takes a no-argument callable, provided by the association for C-FIND,
        C-GET and C-MOVE, that says whether a matching C-CANCEL arrived; the
        key ``_dataset_path`` takes the :class:`~pathlib.Path` of a Part 10
        file the received C-STORE data set was streamed to.

    Attributes
    ----------
    assoc : Association
        The association.
    timestamp : datetime.datetime
        When the event was created.
    request : dimse_primitives.C_STORE etc.
        The DIMSE request of a service event.
    context : PresentationContextTuple
        The presentation context the request arrived on.
    """

    def __init__(
        self,
        assoc: Any,  # noqa: ANN401
        event: EventType,
        attrs: dict[str, Any] | None = None,
    ) -> None:
        self.assoc = assoc
        self._event = event
        # The handler-facing layer may read the clock; the core never does.
        self.timestamp = datetime.now()  # noqa: DTZ005  (pynetdicom: naive local time)
        self._decoded: dict[str, Dataset] = {}
        for key, value in (attrs or {}).items():
            if hasattr(type(self), key) or key in self.__dict__:
                raise AttributeError(f"'Event' object already has an attribute '{key}'")
            setattr(self, key, value)

    @property
    def event(self) -> EventType:
        """The event (an ``EVT_*`` tuple)."""
        return self._event

    @property
    def message_id(self) -> int:
        """The request's *Message ID* (DIMSE service events only)."""
        request = self.__dict__.get("request")
        if request is None:
            raise AttributeError(
                "The corresponding event is not a DIMSE service request "
                "and has no 'message_id'"
            )
        return int(request.MessageID)

    @property
    def is_cancelled(self) -> bool:
        """Whether a C-CANCEL for this C-FIND/C-GET/C-MOVE request has arrived."""
        check = self.__dict__.get("_is_cancelled")
        return bool(check()) if callable(check) else False

    def _request_attr(self, events: frozenset[EventType], keyword: str) -> Any:  # noqa: ANN401
        if self._event not in events or "request" not in self.__dict__:
            names = " or ".join(sorted(ev.name[4:].replace("_", "-") for ev in events))
            raise AttributeError(
                f"The corresponding event is not a {names} request and has no "
                f"'{keyword}' parameter"
            )
        return getattr(self.__dict__["request"], keyword, None)

    def _decode(self, events: frozenset[EventType], keyword: str) -> Dataset:
        """Decode (once) a data set parameter of the request."""
        value = self._request_attr(events, keyword)
        if keyword in self._decoded:
            return self._decoded[keyword]
        raw = _read_all(value)
        dataset = Dataset() if not raw else self._decode_bytes(raw)
        self._decoded[keyword] = dataset
        return dataset

    def _decode_bytes(self, raw: bytes) -> Dataset:
        syntax = UID(self.__dict__["context"].transfer_syntax)
        if syntax == _DEFLATED:
            # PS3.5 A.5: the whole data set is a raw deflate stream.
            raw = zlib.decompress(raw, -zlib.MAX_WBITS)
        implicit, little = syntax.is_implicit_VR, syntax.is_little_endian
        dataset = read_dataset(BytesIO(raw), implicit, little)
        dataset.set_original_encoding(implicit, little)
        return dataset

    @property
    def dataset(self) -> Dataset:
        """The C-STORE request's data set, decoded on first access and cached.

        Decoded with the presentation context's transfer syntax (read from
        the streamed file when :attr:`dataset_path` is set). An empty
        parameter gives an empty :class:`~pydicom.dataset.Dataset`.
        """
        path = self.__dict__.get("_dataset_path")
        if path is None:
            return self._decode(_STORE, "DataSet")
        self._request_attr(_STORE, "DataSet")
        if "DataSet" not in self._decoded:
            self._decoded["DataSet"] = self._decode_bytes(
                _strip_meta(Path(path).read_bytes())
            )
        return self._decoded["DataSet"]

    @property
    def dataset_path(self) -> Path:
        """The Part 10 file a C-STORE data set was streamed to, if it was."""
        self._request_attr(_STORE, "DataSet")
        path = self.__dict__.get("_dataset_path")
        if path is None:
            raise AttributeError(
                "The C-STORE data set was received in memory; 'dataset_path' "
                "exists only when it was streamed to a file"
            )
        return Path(path)

    @property
    def file_meta(self) -> FileMetaDataset:
        """The PS3.10 File Meta Information for the C-STORE data set."""
        self._request_attr(_STORE, "DataSet")
        request = self.__dict__["request"]
        meta = FileMetaDataset()
        meta.FileMetaInformationVersion = b"\x00\x01"
        meta.MediaStorageSOPClassUID = request.AffectedSOPClassUID
        meta.MediaStorageSOPInstanceUID = request.AffectedSOPInstanceUID
        meta.TransferSyntaxUID = self.__dict__["context"].transfer_syntax
        meta.ImplementationClassUID = DICOMNET_IMPLEMENTATION_UID
        meta.ImplementationVersionName = DICOMNET_IMPLEMENTATION_VERSION
        return meta

    def encoded_dataset(self, *, include_meta: bool = True) -> bytes:
        """Return the C-STORE data set as received, without decoding it.

        Parameters
        ----------
        include_meta : bool, optional
            Prefix the PS3.10 preamble, ``DICM`` and :attr:`file_meta`, so
            that the bytes are a valid Part 10 file (default ``True``).

        Returns
        -------
        bytes
        """
        value = self._request_attr(_STORE, "DataSet")
        path = self.__dict__.get("_dataset_path")
        raw = _read_all(value) if path is None else _strip_meta(Path(path).read_bytes())
        if not include_meta:
            return raw
        out = DicomBytesIO()
        out.write(b"\x00" * 128 + b"DICM")  # PS3.10 7.1: preamble and prefix
        write_file_meta_info(out, self.file_meta, enforce_standard=True)
        out.write(raw)
        return out.getvalue()

    @property
    def identifier(self) -> Dataset:
        """The decoded *Identifier* of a C-FIND, C-GET or C-MOVE request."""
        return self._decode(_QUERY_RETRIEVE, "Identifier")

    @property
    def move_destination(self) -> str:
        """The *Move Destination* AE title of a C-MOVE request."""
        value = self._request_attr(frozenset({EVT_C_MOVE}), "MoveDestination")
        return str(value) if value is not None else ""

    @property
    def action_type(self) -> int | None:
        """The *Action Type ID* of an N-ACTION request."""
        value = self._request_attr(frozenset({EVT_N_ACTION}), "ActionTypeID")
        return None if value is None else int(value)

    @property
    def action_information(self) -> Dataset:
        """The decoded *Action Information* of an N-ACTION request."""
        return self._decode(frozenset({EVT_N_ACTION}), "ActionInformation")

    @property
    def attribute_identifiers(self) -> list[BaseTag]:
        """The *Attribute Identifier List* of an N-GET request (``[]`` if none)."""
        value = self._request_attr(frozenset({EVT_N_GET}), "AttributeIdentifierList")
        if value is None:
            return []
        if isinstance(value, int | str | BaseTag):
            value = [value]
        return [Tag(tag) for tag in value]

    @property
    def attribute_list(self) -> Dataset:
        """The decoded *Attribute List* of an N-CREATE request."""
        return self._decode(frozenset({EVT_N_CREATE}), "AttributeList")

    @property
    def event_type(self) -> int | None:
        """The *Event Type ID* of an N-EVENT-REPORT request."""
        value = self._request_attr(frozenset({EVT_N_EVENT_REPORT}), "EventTypeID")
        return None if value is None else int(value)

    @property
    def event_information(self) -> Dataset:
        """The decoded *Event Information* of an N-EVENT-REPORT request."""
        return self._decode(frozenset({EVT_N_EVENT_REPORT}), "EventInformation")

    @property
    def modification_list(self) -> Dataset:
        """The decoded *Modification List* of an N-SET request."""
        return self._decode(frozenset({EVT_N_SET}), "ModificationList")


def _read_all(value: object) -> bytes:
    """Return the bytes of a data set parameter (``BytesIO``, bytes or None)."""
    if value is None:
        return b""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if isinstance(value, BytesIO):
        return value.getvalue()
    raise TypeError(f"Cannot read an encoded data set from {type(value).__name__}")


def _strip_meta(data: bytes) -> bytes:
    """Return the data set of a Part 10 file, after its File Meta Information."""
    # PS3.10 7.1: preamble, "DICM", then group 0002, whose first element is
    # its group length (explicit VR little endian, Type 1).
    if data[128:_PREAMBLE_AND_PREFIX] != b"DICM":
        return data  # not Part 10: the raw data set itself
    group, element, _vr, _length, value = _GROUP_LENGTH_ELEMENT.unpack_from(
        data, _PREAMBLE_AND_PREFIX
    )
    if (group, element) != (0x0002, 0x0000):
        raise ValueError("File Meta Information Group Length is missing")
    return data[_PREAMBLE_AND_PREFIX + _GROUP_LENGTH_ELEMENT.size + value :]
