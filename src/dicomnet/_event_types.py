"""The event kinds and every ``EVT_*`` constant of ``dicomnet.evt`` (pynetdicom 3's)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final, NamedTuple, TypeAlias


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
_Binding: TypeAlias = tuple[EventHandlerType, HandlerArgType]  # noqa: PYI047  (used by dicomnet.events)

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
