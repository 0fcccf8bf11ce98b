"""Events, the :class:`Event` given to handlers, and handler binding (``dicomnet.evt``).

An association reports what happens to it through events. *Notification*
events (``EVT_PDU_RECV``, ``EVT_ESTABLISHED``...) go to any number of handlers,
called in bind order, whose return values are ignored and whose exceptions are
logged and swallowed. *Intervention* events (``EVT_C_STORE``, ``EVT_USER_ID``...)
go to exactly one handler, whose return value the service uses and whose
exception the service turns into a failure status; when the user binds nothing,
the default handler of :func:`get_default_handler` answers.

This module only dispatches: it never touches sockets or the state machine.
The event constants live in :mod:`dicomnet._event_types` and the
:class:`Event` class in :mod:`dicomnet._event`; both are re-exported here.
The public names and their behaviour follow pynetdicom 3's ``events`` module.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any, Final

from dicomnet._event import Event
from dicomnet._event_types import (  # noqa: F401  (re-exported: pynetdicom's evt names)
    _INTERVENTION_EVENTS,
    _NOTIFICATION_EVENTS,
    EVT_ABORTED,
    EVT_ACCEPTED,
    EVT_ACSE_RECV,
    EVT_ACSE_SENT,
    EVT_ASYNC_OPS,
    EVT_C_ECHO,
    EVT_C_FIND,
    EVT_C_GET,
    EVT_C_MOVE,
    EVT_C_STORE,
    EVT_CONN_CLOSE,
    EVT_CONN_OPEN,
    EVT_DATA_RECV,
    EVT_DATA_SENT,
    EVT_DIMSE_RECV,
    EVT_DIMSE_SENT,
    EVT_ESTABLISHED,
    EVT_FSM_TRANSITION,
    EVT_N_ACTION,
    EVT_N_CREATE,
    EVT_N_DELETE,
    EVT_N_EVENT_REPORT,
    EVT_N_GET,
    EVT_N_SET,
    EVT_PDU_RECV,
    EVT_PDU_SENT,
    EVT_REJECTED,
    EVT_RELEASED,
    EVT_REQUESTED,
    EVT_SOP_COMMON,
    EVT_SOP_EXTENDED,
    EVT_USER_ID,
    EventHandlerType,
    EventType,
    HandlerArgType,
    InterventionEvent,
    NotificationEvent,
    _Binding,
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

    def update(self, other: HandlerRegistry) -> None:
        """Bind here what is explicitly bound in ``other`` (not its defaults).

        A server's bindings reach each new association this way: copying every
        event ``get_events()`` lists would re-bind the default intervention
        handlers the association already has, 15 binds per association.
        """
        for notification, bindings in other._notifications.items():
            for handler, args in bindings:
                self.bind(notification, handler, args)
        for intervention, (handler, args) in other._interventions.items():
            self.bind(intervention, handler, args)

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

    def is_observed(self, event: EventType) -> bool:
        """Return whether a handler bound to ``event`` would do anything now.

        Like :meth:`has_handlers`, except that debug-only handlers (the
        standard log handlers) count only while their logger shows DEBUG.
        """
        if isinstance(event, InterventionEvent):
            return True
        bindings = self._notifications.get(event)
        return bindings is not None and bool(bindings) and not _all_silent(bindings)

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
_DEBUG_ONLY: dict[EventHandlerType, logging.Logger] = {}


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
    _DEBUG_ONLY[handler] = logger


def _all_silent(bindings: list[_Binding]) -> bool:
    # On every message (EVT_DIMSE_RECV/SENT are bound by default): one lookup
    # per handler, and isEnabledFor() answers from the logger's cache.
    for handler, _args in bindings:
        try:
            logger = _DEBUG_ONLY.get(handler)
        except TypeError:  # an unhashable callable object: not one of ours
            return False
        if logger is None or logger.isEnabledFor(logging.DEBUG):
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
