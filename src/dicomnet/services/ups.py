"""The Unified Procedure Step Service Class (PS3.4 Annex CC).

A worklist of procedure steps: created SCHEDULED (Push SOP Class, N-CREATE),
found (C-FIND) and claimed by a performer that changes it to IN PROGRESS
with a Transaction UID of its own (Pull, N-ACTION Change UPS State), updated
(N-SET) and ended COMPLETED or CANCELED; others may ask for its cancellation
(N-ACTION Request Cancel) and subscribe to its events (Watch, N-ACTION
Subscribe/Unsubscribe), which the SCP sends them as N-EVENT-REPORTs (Event
SOP Class).

SCU side: :func:`change_state`, :func:`request_cancel`, :func:`subscribe`,
:func:`unsubscribe` and :func:`suspend_global_subscription` build the
N-ACTIONs; the rest is ``Association.send_n_create/set/get`` and
``send_c_find``.

SCP side: :class:`UPSServer` keeps a worklist in memory and implements the
behaviour of CC.2 for all five SOP classes, event delivery included; bind
``server.handlers()`` (its C-FIND handler included).
"""

from __future__ import annotations

import copy
import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from pydicom.dataset import Dataset
from pydicom.uid import UID, generate_uid

from dicomnet import events as evt
from dicomnet.services import _ups_rules as rules
from dicomnet.services._matching import identifier_for, matches
from dicomnet.services._n_common import (
    DUPLICATE_SOP_INSTANCE,
    INVALID_ARGUMENT_VALUE,
    NO_SUCH_ACTION,
    SUCCESS,
    UNRECOGNIZED_OPERATION,
    failure,
    select_attributes,
)
from dicomnet.services._n_scp import call_after_response
from dicomnet.services.normalized import (
    EventReport,
    ServiceProvider,
    send_event_reports,
)
from dicomnet.sop_class import (
    UnifiedProcedureStepEvent,
    UnifiedProcedureStepPull,
    UnifiedProcedureStepPush,
    UnifiedProcedureStepQuery,
    UnifiedProcedureStepWatch,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping

__all__ = [
    "CANCELED",
    "CANCEL_REQUESTED",
    "CHANGE_STATE",
    "COMPLETED",
    "GLOBAL_SUBSCRIPTION",
    "IN_PROGRESS",
    "PROGRESS_REPORT",
    "REQUEST_CANCEL",
    "SCHEDULED",
    "STATE_REPORT",
    "SUBSCRIBE",
    "SUSPEND_GLOBAL_SUBSCRIPTION",
    "UNSUBSCRIBE",
    "UPSServer",
    "change_state",
    "request_cancel",
    "subscribe",
    "suspend_global_subscription",
    "unsubscribe",
]

_LOGGER = logging.getLogger(__name__)

SCHEDULED: Final = rules.SCHEDULED
IN_PROGRESS: Final = rules.IN_PROGRESS
COMPLETED: Final = rules.COMPLETED
CANCELED: Final = rules.CANCELED

# PS3.4 CC.2.1-CC.2.3: Action Type IDs.
CHANGE_STATE: Final = 1
REQUEST_CANCEL: Final = 2
SUBSCRIBE: Final = 3
UNSUBSCRIBE: Final = 4
SUSPEND_GLOBAL_SUBSCRIPTION: Final = 5
# PS3.4 CC.2.4.1, Table CC.2.4-1: Event Type IDs.
STATE_REPORT: Final = 1
CANCEL_REQUESTED: Final = 2
PROGRESS_REPORT: Final = 3

#: PS3.4 CC.3.1 (Table CC.3.1-1): the well-known UID of global subscriptions.
GLOBAL_SUBSCRIPTION: Final = UID("1.2.840.10008.5.1.4.34.5")
#: ... and of filtered global subscriptions (not supported here: C307).
FILTERED_GLOBAL_SUBSCRIPTION: Final = UID("1.2.840.10008.5.1.4.34.5.1")

# PS3.4 CC.2.3.4, Table CC.2.3-3 and CC.2.2.4, Table CC.2.2-2: statuses.
_DELETION_LOCK_NOT_GRANTED: Final = 0xB301
_NOT_A_UPS: Final = 0xC307
_UNKNOWN_RECEIVING_AE: Final = 0xC308
_ALREADY_COMPLETED: Final = 0xC311

# PS3.4 CC.3.1, Table CC.3.1-1 (and CC.2.x): which operations each SOP class
# carries; (message, action type) with 0 for "any".
_OPERATIONS: Final[dict[str, frozenset[tuple[str, int]]]] = {
    UnifiedProcedureStepPush: frozenset(
        {("N-CREATE", 0), ("N-ACTION", REQUEST_CANCEL), ("N-GET", 0)}
    ),
    UnifiedProcedureStepPull: frozenset(
        {("N-GET", 0), ("N-SET", 0), ("N-ACTION", CHANGE_STATE)}
    ),
    UnifiedProcedureStepWatch: frozenset(
        {
            ("N-GET", 0),
            ("N-ACTION", SUBSCRIBE),
            ("N-ACTION", UNSUBSCRIBE),
            ("N-ACTION", SUSPEND_GLOBAL_SUBSCRIPTION),
            ("N-ACTION", REQUEST_CANCEL),
        }
    ),
}


# -- the SCU ---------------------------------------------------------------------


def change_state(
    assoc: Any,  # noqa: ANN401
    ups_uid: str,
    state: str,
    transaction_uid: str,
    msg_id: int = 1,
) -> tuple[Dataset, Dataset | None]:
    """Change a UPS's state as its performer (PS3.4 CC.2.1.2, Pull SOP Class).

    Parameters
    ----------
    assoc : Association
        With an accepted UPS Pull context.
    ups_uid : str
        The UPS's SOP Instance UID.
    state : str
        ``IN_PROGRESS`` (claiming it), ``COMPLETED`` or ``CANCELED``.
    transaction_uid : str
        The performer's Transaction UID: new when claiming, then the same.
    msg_id : int
        The request's Message ID.

    Returns
    -------
    tuple of (pydicom.dataset.Dataset, pydicom.dataset.Dataset or None)
        As ``Association.send_n_action``.
    """
    info = Dataset()
    info.ProcedureStepState = state
    info.TransactionUID = transaction_uid
    # CC.2.1.2: the Requested SOP Class is UPS Push, on the Pull context.
    result: tuple[Dataset, Dataset | None] = assoc.send_n_action(
        info,
        CHANGE_STATE,
        UnifiedProcedureStepPush,
        ups_uid,
        msg_id,
        UnifiedProcedureStepPull,
    )
    return result


def request_cancel(  # noqa: PLR0913  (the optional arguments of CC.2.2.2)
    assoc: Any,  # noqa: ANN401
    ups_uid: str,
    reason: str | None = None,
    *,
    contact_name: str | None = None,
    contact_uri: str | None = None,
    msg_id: int = 1,
    meta_uid: str = UnifiedProcedureStepPush,
) -> tuple[Dataset, Dataset | None]:
    """Ask for a UPS to be canceled (PS3.4 CC.2.2.2).

    Parameters
    ----------
    assoc : Association
        With an accepted UPS Push (or Watch) context.
    ups_uid : str
        The UPS's SOP Instance UID.
    reason : str, optional
        Reason For Cancellation.
    contact_name, contact_uri : str, optional
        Who to discuss the request with.
    msg_id : int
        The request's Message ID.
    meta_uid : str
        The SOP class of the context to use (Push or Watch).

    Returns
    -------
    tuple of (pydicom.dataset.Dataset, pydicom.dataset.Dataset or None)
    """
    info = Dataset()
    for keyword, value in (
        ("ReasonForCancellation", reason),
        ("ContactDisplayName", contact_name),
        ("ContactURI", contact_uri),
    ):
        if value is not None:
            setattr(info, keyword, value)
    result: tuple[Dataset, Dataset | None] = assoc.send_n_action(
        info, REQUEST_CANCEL, UnifiedProcedureStepPush, ups_uid, msg_id, meta_uid
    )
    return result


def subscribe(
    assoc: Any,  # noqa: ANN401
    receiving_ae: str,
    ups_uid: str = GLOBAL_SUBSCRIPTION,
    *,
    deletion_lock: bool = False,
    msg_id: int = 1,
) -> tuple[Dataset, Dataset | None]:
    """Subscribe an AE to the events of a UPS, or of all (PS3.4 CC.2.3.2).

    Parameters
    ----------
    assoc : Association
        With an accepted UPS Watch context.
    receiving_ae : str
        The AE title the events go to (may differ from ours).
    ups_uid : str
        A UPS, or :data:`GLOBAL_SUBSCRIPTION` (the default) for every UPS.
    deletion_lock : bool
        Ask the SCP to keep finished UPSs until unsubscribed.
    msg_id : int
        The request's Message ID.

    Returns
    -------
    tuple of (pydicom.dataset.Dataset, pydicom.dataset.Dataset or None)
    """
    info = Dataset()
    info.ReceivingAE = receiving_ae
    info.DeletionLock = "TRUE" if deletion_lock else "FALSE"
    return _watch(assoc, SUBSCRIBE, ups_uid, info, msg_id)


def unsubscribe(
    assoc: Any,  # noqa: ANN401
    receiving_ae: str,
    ups_uid: str = GLOBAL_SUBSCRIPTION,
    msg_id: int = 1,
) -> tuple[Dataset, Dataset | None]:
    """Unsubscribe an AE from a UPS, or from all (PS3.4 CC.2.3.2)."""
    info = Dataset()
    info.ReceivingAE = receiving_ae
    return _watch(assoc, UNSUBSCRIBE, ups_uid, info, msg_id)


def suspend_global_subscription(
    assoc: Any,  # noqa: ANN401
    receiving_ae: str,
    msg_id: int = 1,
) -> tuple[Dataset, Dataset | None]:
    """Stop being subscribed to new UPSs, keeping current ones (PS3.4 CC.2.3.2)."""
    info = Dataset()
    info.ReceivingAE = receiving_ae
    return _watch(assoc, SUSPEND_GLOBAL_SUBSCRIPTION, GLOBAL_SUBSCRIPTION, info, msg_id)


def _watch(
    assoc: Any,  # noqa: ANN401
    action: int,
    ups_uid: str,
    info: Dataset,
    msg_id: int,
) -> tuple[Dataset, Dataset | None]:
    # CC.2.3.2: the Requested SOP Class is UPS Push, on the Watch context.
    result: tuple[Dataset, Dataset | None] = assoc.send_n_action(
        info,
        action,
        UnifiedProcedureStepPush,
        ups_uid,
        msg_id,
        UnifiedProcedureStepWatch,
    )
    return result


# -- the SCP ---------------------------------------------------------------------


class UPSServer(ServiceProvider):
    """A UPS SCP of the Push, Pull, Watch, Event and Query SOP classes.

    The worklist lives in memory. Event reports (CC.2.4.3) go to the
    subscribed AEs after the response to the request that caused them: on
    the same association when the subscriber is its peer and a UPS Event
    context was accepted, otherwise on a new association to its address.

    Parameters
    ----------
    peers : mapping, optional
        ``{ae_title: (address, port)}``: the AEs that may subscribe (a
        Receiving AE not listed is refused with C308, CC.2.3.3).
    strict : bool
        Also refuse an N-CREATE missing a Type 2 attribute.
    final_state_checks : bool
        Refuse COMPLETED without performed procedure information (C304).
    worklist_label : str
        The Worklist Label given a UPS created without one (CC.2.5.1.3).

    Attributes
    ----------
    instances : dict
        The UPSs by SOP Instance UID (with their Transaction UID).
    subscriptions : dict
        ``{ae_title: {ups_uid: deletion_lock}}``.
    global_subscribers : dict
        ``{ae_title: deletion_lock}`` of the global subscriptions.
    """

    sop_classes = frozenset(
        {
            UnifiedProcedureStepPush,
            UnifiedProcedureStepPull,
            UnifiedProcedureStepWatch,
            UnifiedProcedureStepEvent,
            UnifiedProcedureStepQuery,
        }
    )

    def __init__(
        self,
        *,
        peers: Mapping[str, tuple[str, int]] | None = None,
        strict: bool = False,
        final_state_checks: bool = True,
        worklist_label: str = "DICOMNET",
    ) -> None:
        self.peers = dict(peers or {})
        self.strict = strict
        self.final_state_checks = final_state_checks
        self.worklist_label = worklist_label
        self.instances: dict[str, Dataset] = {}
        self.subscriptions: dict[str, dict[str, bool]] = {}
        self.global_subscribers: dict[str, bool] = {}

    def handlers(self) -> list[tuple[Any, Callable[..., object]]]:
        """Return the DIMSE-N handlers and the C-FIND handler to bind."""
        return [*super().handlers(), (evt.EVT_C_FIND, self.c_find)]

    # -- the operations --------------------------------------------------------

    def n_create(self, event: Any) -> tuple[object, Dataset | None]:  # noqa: ANN401
        """Add a SCHEDULED UPS to the worklist (PS3.4 CC.2.5.3)."""
        refused = _operation_refused(event, "N-CREATE")
        if (
            refused is None
            and event.request.AffectedSOPClassUID != UnifiedProcedureStepPush
        ):
            refused = failure(UNRECOGNIZED_OPERATION, "A UPS is of the Push SOP Class")
        if refused is not None:
            return refused, None
        uid = str(event.request.AffectedSOPInstanceUID or generate_uid(prefix=None))
        if uid in self.instances:
            return failure(DUPLICATE_SOP_INSTANCE), None
        attrs = event.attribute_list
        refused = rules.check_create(attrs, strict=self.strict)
        if refused is not None:
            return refused, None
        ups = copy.deepcopy(attrs)
        ups.pop("TransactionUID", None)  # CC.2.5.1.3: set only by a performer
        ups.SOPClassUID = UnifiedProcedureStepPush
        ups.SOPInstanceUID = uid
        if not ups.get("WorklistLabel"):
            ups.WorklistLabel = self.worklist_label
        ups.ScheduledProcedureStepModificationDateTime = _now()
        self.instances[uid] = ups
        # CC.2.4.3: global subscribers hear of every new UPS.
        self._emit(event, _to_all(self.global_subscribers, [_state_report(ups)]))
        status = Dataset()
        status.Status = SUCCESS
        status.AffectedSOPInstanceUID = uid
        return status, _visible(ups)

    def n_set(self, event: Any) -> tuple[object, Dataset | None]:  # noqa: ANN401
        """Update a UPS (PS3.4 CC.2.6.3)."""
        ups, refused = self._target(event, "N-SET")
        if ups is None:
            return refused, None
        changes = event.modification_list
        refused = rules.check_set(ups, changes)
        if refused is not None:
            return refused, None
        for elem in changes:
            if elem.keyword != "TransactionUID":
                ups[elem.tag] = copy.deepcopy(elem)
        if "ProcedureStepProgressInformationSequence" in changes:
            report = (PROGRESS_REPORT, str(ups.SOPInstanceUID), _progress(ups))
            self._emit(event, _to_all(self._subscribers(ups), [report]))
        return SUCCESS, None

    def n_get(self, event: Any) -> tuple[object, Dataset | None]:  # noqa: ANN401
        """Return attributes of a UPS, never its Transaction UID (CC.2.7.3)."""
        ups, refused = self._target(event, "N-GET")
        if ups is None:
            return refused, None
        code, attrs, unknown = select_attributes(
            _visible(ups), event.attribute_identifiers
        )
        return (failure(code, attributes=unknown) if unknown else code), attrs

    def n_action(self, event: Any) -> tuple[object, Dataset | None]:  # noqa: ANN401
        """Change state, request cancel, or (un)subscribe (PS3.4 CC.2.1-CC.2.3)."""
        action = event.action_type
        if action not in range(CHANGE_STATE, SUSPEND_GLOBAL_SUBSCRIPTION + 1):
            return failure(NO_SUCH_ACTION), None
        if action in (SUBSCRIBE, UNSUBSCRIBE, SUSPEND_GLOBAL_SUBSCRIPTION):
            refused = _operation_refused(event, "N-ACTION", action)
            return (
                (refused, None)
                if refused
                else (self._subscription(event, action), None)
            )
        ups, refused = self._target(event, "N-ACTION", action)
        if ups is None:
            return refused, None
        if action == CHANGE_STATE:
            return self._change_state(event, ups), None
        return self._request_cancel(event, ups), None

    def c_find(self, event: Any) -> Iterator[tuple[int, Dataset | None]]:  # noqa: ANN401
        """Yield the UPSs matching a C-FIND Identifier (PS3.4 CC.2.8.3)."""
        query = event.identifier
        for ups in list(self.instances.values()):
            if event.is_cancelled:
                yield 0xFE00, None  # PS3.4 C.4.1.2.3: Cancel
                return
            visible = _visible(ups)
            if matches(visible, query):
                yield 0xFF00, identifier_for(visible, query)

    # -- helpers ---------------------------------------------------------------

    def _target(
        self,
        event: Any,  # noqa: ANN401  (an evt.Event)
        message: str,
        action: int = 0,
    ) -> tuple[Dataset | None, Dataset | None]:
        refused = _operation_refused(event, message, action)
        if refused is not None:
            return None, refused
        ups = self.instances.get(str(event.request.RequestedSOPInstanceUID))
        if ups is None:
            return None, failure(_NOT_A_UPS, "Not a UPS of this SCP")
        return ups, None

    def _change_state(self, event: Any, ups: Dataset) -> object:  # noqa: ANN401
        info = event.action_information
        refused = rules.check_state_change(
            ups, info, final_state_checks=self.final_state_checks
        )
        if refused is not None:
            return refused
        if info.ProcedureStepState == IN_PROGRESS:
            ups.TransactionUID = info.TransactionUID  # CC.2.1.3: the lock
        ups.ProcedureStepState = info.ProcedureStepState
        self._emit(event, _to_all(self._subscribers(ups), [_state_report(ups)]))
        return SUCCESS

    def _request_cancel(self, event: Any, ups: Dataset) -> object:  # noqa: ANN401
        info = event.action_information
        state = ups.ProcedureStepState
        if state == COMPLETED:
            return failure(_ALREADY_COMPLETED)
        if state == CANCELED:
            return failure(rules.ALREADY_CANCELED)
        uid = str(ups.SOPInstanceUID)
        subscribers = self._subscribers(ups)
        if state == SCHEDULED:
            # CC.2.2.3: the SCP cancels it itself, through IN PROGRESS.
            ups.ProcedureStepState = IN_PROGRESS
            passing = _state_report(ups)
            _record_cancellation(ups, info)
            ups.ProcedureStepState = CANCELED
            self._emit(event, _to_all(subscribers, [passing, _state_report(ups)]))
            return SUCCESS
        # IN PROGRESS: tell the performer, who decides (CC.2.4.3).
        details = Dataset()
        details.RequestingAE = str(event.assoc.remote["ae_title"]).strip()
        for keyword in _CANCEL_DETAILS:
            if keyword in info:
                details[keyword] = copy.deepcopy(info[keyword])
        self._emit(event, _to_all(subscribers, [(CANCEL_REQUESTED, uid, details)]))
        return SUCCESS

    def _subscription(self, event: Any, action: int) -> object:  # noqa: ANN401
        info = event.action_information
        receiving = str(info.get("ReceivingAE") or "").strip()
        uid = str(event.request.RequestedSOPInstanceUID)
        if not receiving:
            return failure(INVALID_ARGUMENT_VALUE, "No Receiving AE")
        if uid != GLOBAL_SUBSCRIPTION and uid not in self.instances:
            # Also the filtered global subscription, unsupported (CC.2.3.3).
            return failure(_NOT_A_UPS, "Not a UPS of this SCP")
        if action == SUBSCRIBE:
            return self._subscribe(event, receiving, uid, info.get("DeletionLock"))
        mine = self.subscriptions.get(receiving, {})
        if uid != GLOBAL_SUBSCRIPTION:
            mine.pop(uid, None)
        else:
            self.global_subscribers.pop(receiving, None)
            if action == UNSUBSCRIBE:
                mine.clear()  # CC.2.3.3: the global unsubscribe ends them all
        return SUCCESS

    def _subscribe(
        self,
        event: Any,  # noqa: ANN401  (an evt.Event)
        receiving: str,
        uid: str,
        lock_value: object,
    ) -> object:
        if receiving not in self.peers:
            return failure(_UNKNOWN_RECEIVING_AE, f"Unknown AE {receiving}")
        if lock_value not in ("TRUE", "FALSE"):
            return failure(INVALID_ARGUMENT_VALUE, "Deletion Lock must be TRUE/FALSE")
        lock = lock_value == "TRUE"
        if uid == GLOBAL_SUBSCRIPTION:
            self.global_subscribers[receiving] = lock
            # CC.2.4.3: with a lock, the state of every UPS at once.
            targets = list(self.instances.values()) if lock else []
        else:
            self.subscriptions.setdefault(receiving, {})[uid] = lock
            targets = [self.instances[uid]]
        if targets:
            self._emit(event, {receiving: [_state_report(ups) for ups in targets]})
        return SUCCESS

    def _subscribers(self, ups: Dataset) -> list[str]:
        uid = str(ups.SOPInstanceUID)
        titles = set(self.global_subscribers)
        titles.update(ae for ae, subs in self.subscriptions.items() if uid in subs)
        return sorted(titles)

    def _emit(self, event: Any, targets: Mapping[str, list[EventReport]]) -> None:  # noqa: ANN401
        """Send event reports once the request is answered (CC.2.4.3)."""
        if not targets:
            return
        assoc = event.assoc
        pending = {title: list(reports) for title, reports in targets.items()}
        call_after_response(event, lambda: self._deliver(assoc, pending))

    def _deliver(self, assoc: Any, targets: Mapping[str, list[EventReport]]) -> None:  # noqa: ANN401
        peer = str(assoc.remote["ae_title"]).strip()
        for title, reports in targets.items():
            if title == peer and _has_event_context(assoc):
                for event_type, uid, info in reports:
                    assoc.send_n_event_report(
                        info,
                        event_type,
                        UnifiedProcedureStepPush,
                        uid,
                        1,
                        UnifiedProcedureStepEvent,
                    )
                continue
            address = self.peers.get(title)
            if address is None:
                _LOGGER.error("No address for subscriber '%s': events not sent", title)
                continue
            send_event_reports(
                assoc.ae,
                address,
                title,
                UnifiedProcedureStepPush,
                reports,
                context_class=UnifiedProcedureStepEvent,
            )


# Request Cancel details passed on to the performer (CC.2.4.1, Table CC.2.4-1).
_CANCEL_DETAILS: Final = (
    "ReasonForCancellation",
    "ProcedureStepDiscontinuationReasonCodeSequence",
    "ContactURI",
    "ContactDisplayName",
)


def _to_all(
    titles: Iterable[str], reports: list[EventReport]
) -> dict[str, list[EventReport]]:
    return {title: list(reports) for title in titles}


def _operation_refused(event: Any, message: str, action: int = 0) -> Dataset | None:  # noqa: ANN401
    """Refuse an operation the context's UPS SOP class does not carry (CC.3.1)."""
    context = str(event.context.abstract_syntax)
    operations = _OPERATIONS.get(context, frozenset())
    if (message, 0) in operations or (message, action) in operations:
        return None
    name = UID(context).keyword or context
    return failure(UNRECOGNIZED_OPERATION, f"{message} is not an operation of {name}")


def _visible(ups: Dataset) -> Dataset:
    # CC.2.7.3 / CC.2.8.3: the Transaction UID is the performer's secret.
    out = copy.deepcopy(ups)
    out.pop("TransactionUID", None)
    return out


def _state_report(ups: Dataset) -> EventReport:
    """Return the UPS State Report of ``ups`` (CC.2.4.1, Table CC.2.4-1)."""
    info = Dataset()
    info.ProcedureStepState = ups.ProcedureStepState
    info.InputReadinessState = ups.get("InputReadinessState", "")
    progress = ups.get("ProcedureStepProgressInformationSequence") or []
    for keyword in (
        "ReasonForCancellation",
        "ProcedureStepDiscontinuationReasonCodeSequence",
    ):
        for item in progress:
            if keyword in item:
                info[keyword] = copy.deepcopy(item[keyword])
    return STATE_REPORT, str(ups.SOPInstanceUID), info


def _progress(ups: Dataset) -> Dataset:
    info = Dataset()
    info.ProcedureStepProgressInformationSequence = copy.deepcopy(
        ups.ProcedureStepProgressInformationSequence
    )
    return info


def _record_cancellation(ups: Dataset, info: Dataset) -> None:
    """Meet the CANCELED final state on the SCP's own cancel (CC.2.2.3)."""
    progress = ups.get("ProcedureStepProgressInformationSequence")
    if not progress:
        ups.ProcedureStepProgressInformationSequence = [Dataset()]
        progress = ups.ProcedureStepProgressInformationSequence
    item = progress[0]
    item.ProcedureStepCancellationDateTime = _now()
    for keyword in _CANCEL_DETAILS:
        if keyword in info:
            item[keyword] = copy.deepcopy(info[keyword])


def _has_event_context(assoc: Any) -> bool:  # noqa: ANN401
    return any(
        cx.abstract_syntax == UnifiedProcedureStepEvent
        for cx in assoc.accepted_contexts
    )


def _now() -> str:
    # DT (PS3.5 6.2), local time as DICOM date-times usually are.
    return datetime.now().strftime("%Y%m%d%H%M%S")  # noqa: DTZ005  (local time, as DICOM DT values usually are)
