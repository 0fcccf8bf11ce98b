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
``server.handlers()`` (its C-FIND handler included). The subscription states
live in :mod:`~dicomnet.services._ups_subscriptions`, the event reports are
built by :mod:`~dicomnet.services._ups_events`.
"""

from __future__ import annotations

import copy
import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from pydicom.dataset import Dataset
from pydicom.uid import UID, generate_uid

from dicomnet import events as evt
from dicomnet.services import _ups_events as reports
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
from dicomnet.services._ups_scu import (
    CHANGE_STATE,
    FILTERED_GLOBAL_SUBSCRIPTION,
    REQUEST_CANCEL,
    SUBSCRIBE,
    SUSPEND_GLOBAL_SUBSCRIPTION,
    UNSUBSCRIBE,
    change_state,
    request_cancel,
    subscribe,
    suspend_global_subscription,
    unsubscribe,
)
from dicomnet.services._ups_subscriptions import Subscriptions
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
    "COLD_START",
    "COMPLETED",
    "FILTERED_GLOBAL_SUBSCRIPTION",
    "GLOBAL_SUBSCRIPTION",
    "GOING_DOWN",
    "IN_PROGRESS",
    "PROGRESS_REPORT",
    "REQUEST_CANCEL",
    "RESTARTED",
    "SCHEDULED",
    "SCP_STATUS_CHANGE",
    "STATE_REPORT",
    "SUBSCRIBE",
    "SUSPEND_GLOBAL_SUBSCRIPTION",
    "UNSUBSCRIBE",
    "UPS_ASSIGNED",
    "WARM_START",
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

# PS3.4 CC.2.4.1, Table CC.2.4-1: Event Type IDs.
STATE_REPORT: Final = reports.STATE_REPORT
CANCEL_REQUESTED: Final = reports.CANCEL_REQUESTED
PROGRESS_REPORT: Final = reports.PROGRESS_REPORT
SCP_STATUS_CHANGE: Final = reports.SCP_STATUS_CHANGE
UPS_ASSIGNED: Final = reports.UPS_ASSIGNED
# ... and the values of an SCP Status Change (see UPSServer.report_scp_status).
GOING_DOWN: Final = reports.GOING_DOWN
RESTARTED: Final = reports.RESTARTED
WARM_START: Final = reports.WARM_START
COLD_START: Final = reports.COLD_START

#: PS3.4 CC.3.1 (Table CC.3.1-1): the well-known UID of global subscriptions.
GLOBAL_SUBSCRIPTION: Final = reports.GLOBAL_SUBSCRIPTION
_WELL_KNOWN: Final = frozenset({GLOBAL_SUBSCRIPTION, FILTERED_GLOBAL_SUBSCRIPTION})

# PS3.4 CC.2.3.4, Table CC.2.3-3 and CC.2.2.4, Table CC.2.2-2: statuses.
_DELETION_LOCK_NOT_GRANTED: Final = 0xB301
_NOT_A_UPS: Final = 0xC307
_UNKNOWN_RECEIVING_AE: Final = 0xC308
_ALREADY_COMPLETED: Final = 0xC311
_NOT_APPROPRIATE: Final = 0xC314
# Action Information that is not a Matching Key (Table CC.2.3-1); the
# Transaction UID is never matched, it is the performer's secret (CC.2.7.3).
_NOT_MATCHING_KEYS: Final = ("ReceivingAE", "DeletionLock", "TransactionUID")

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


# -- the SCP ---------------------------------------------------------------------


class UPSServer(ServiceProvider):
    """A UPS SCP of the Push, Pull, Watch, Event and Query SOP classes.

    The worklist lives in memory. Event reports (CC.2.4.3) go to the
    subscribed AEs after the response to the request that caused them: on
    the same association when the subscriber is its peer and a UPS Event
    context was accepted, otherwise on a new association to its address.

    A UPS that ends (COMPLETED or CANCELED) stays while an AE holds a
    Deletion Lock on it, and is deleted when the last of them unsubscribes
    (CC.2.3.2); one that ends with no lock on it stays or goes at once, as
    ``retain_final`` says.

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
    filtered_global : bool
        Accept Filtered Global Subscriptions (CC.2.3.3); if ``False`` they
        are refused with C307, as the standard has an SCP without them do.
    retain_final : bool
        Keep a UPS that ends while no Deletion Lock holds it, for late
        N-GETs, C-FINDs and the warnings of repeated final requests
        (CC.2.1.4); ``False`` deletes it at once.

    Attributes
    ----------
    instances : dict
        The UPSs by SOP Instance UID (with their Transaction UID).
    subscriptions : dict
        ``{ae_title: {ups_uid: deletion_lock}}``: the UPS Subscription States.
    global_subscribers : dict
        ``{ae_title: deletion_lock}`` of the global subscriptions, filtered
        or not.
    global_filters : dict
        ``{ae_title: matching_keys}`` of the filtered global subscriptions.
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

    def __init__(  # noqa: PLR0913  (keyword-only settings)
        self,
        *,
        peers: Mapping[str, tuple[str, int]] | None = None,
        strict: bool = False,
        final_state_checks: bool = True,
        worklist_label: str = "DICOMNET",
        filtered_global: bool = True,
        retain_final: bool = True,
    ) -> None:
        self.peers = dict(peers or {})
        self.strict = strict
        self.final_state_checks = final_state_checks
        self.worklist_label = worklist_label
        self.filtered_global = filtered_global
        self.retain_final = retain_final
        self.instances: dict[str, Dataset] = {}
        self._watch = Subscriptions()
        self.subscriptions = self._watch.instances
        self.global_subscribers = self._watch.global_locks
        self.global_filters = self._watch.filters

    def handlers(self) -> list[tuple[Any, Callable[..., object]]]:
        """Return the DIMSE-N handlers and the C-FIND handler to bind."""
        return [*super().handlers(), (evt.EVT_C_FIND, self.c_find)]

    def report_scp_status(
        self,
        ae: Any,  # noqa: ANN401  (the ApplicationEntity)
        status: str,
        *,
        subscription_list: str = WARM_START,
        ups_list: str = WARM_START,
    ) -> dict[str, list[Dataset]]:
        """Tell the subscribers this SCP is going down or has restarted.

        Sends an SCP Status Change (CC.2.4.3, Table CC.2.4-1), about the
        well-known :data:`GLOBAL_SUBSCRIPTION` instance, to every AE with a
        subscription, global or to a UPS, each on a new association. After
        a restart that lost the subscriptions (``subscription_list`` of
        :data:`COLD_START`) every AE of ``peers`` is told, since the
        subscribers are no longer known. Call it before stopping the server
        (:data:`GOING_DOWN`) or once it runs again (:data:`RESTARTED`).

        Parameters
        ----------
        ae : ApplicationEntity
            The local AE that requests the associations.
        status : str
            SCP Status: :data:`GOING_DOWN` or :data:`RESTARTED`.
        subscription_list : str
            Subscription List Status: :data:`WARM_START` if the
            subscriptions outlive the restart, :data:`COLD_START` if not.
        ups_list : str
            Unified Procedure Step List Status, likewise for the UPSs.

        Returns
        -------
        dict
            ``{ae_title: [status]}``: the N-EVENT-REPORT response status
            from each AE told; an empty Dataset where none came.

        Raises
        ------
        ValueError
            A value is not one of the Defined Terms.
        """
        report = reports.scp_status_change(status, subscription_list, ups_list)
        titles = set(self._watch.everyone())
        if status == RESTARTED and subscription_list == COLD_START:
            titles.update(self.peers)
        results: dict[str, list[Dataset]] = {}
        for title in sorted(titles):
            address = self.peers.get(title)
            if address is None:
                _LOGGER.error("No address for subscriber '%s': status not sent", title)
                results[title] = [Dataset()]
                continue
            results[title] = send_event_reports(
                ae,
                address,
                title,
                UnifiedProcedureStepPush,
                [report],
                context_class=UnifiedProcedureStepEvent,
            )
        return results

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
        # CC.2.5.3: the AEs subscribed globally (and whose filter it matches)
        # are now subscribed to it; CC.2.4.3: they hear of it, and of whom
        # it is assigned to if it already is.
        created = [reports.state_report(ups)]
        assignment = reports.assigned(ups, created=True)
        if assignment is not None:
            created.append(assignment)
        self._emit(event, _to_all(self._watch.on_create(ups), created))
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
        before = copy.deepcopy(ups)
        for elem in changes:
            if elem.keyword != "TransactionUID":
                ups[elem.tag] = copy.deepcopy(elem)
        # CC.2.4.3: readiness, progress and assignment changes are reported.
        changed = reports.updates(before, ups, changes)
        self._emit(event, _to_all(self._subscribers(ups), changed))
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
        self._emit(event, _to_all(self._subscribers(ups), [reports.state_report(ups)]))
        self._ended(str(ups.SOPInstanceUID))
        return SUCCESS

    def _request_cancel(self, event: Any, ups: Dataset) -> object:  # noqa: ANN401
        info = event.action_information
        state = ups.ProcedureStepState
        if state == COMPLETED:
            return failure(_ALREADY_COMPLETED)
        if state == CANCELED:
            return failure(rules.ALREADY_CANCELED)
        subscribers = self._subscribers(ups)
        if state == SCHEDULED:
            # CC.2.2.3: the SCP cancels it itself, through IN PROGRESS.
            ups.ProcedureStepState = IN_PROGRESS
            passing = reports.state_report(ups)
            _record_cancellation(ups, info)
            ups.ProcedureStepState = CANCELED
            final = reports.state_report(ups)
            self._emit(event, _to_all(subscribers, [passing, final]))
            self._ended(str(ups.SOPInstanceUID))
            return SUCCESS
        # IN PROGRESS: tell the performer, who decides (CC.2.4.3).
        requester = str(event.assoc.remote["ae_title"]).strip()
        report = reports.cancel_requested(ups, requester, info)
        self._emit(event, _to_all(subscribers, [report]))
        return SUCCESS

    def _ended(self, uid: str) -> None:
        """Delete a UPS that just ended, if so configured and unlocked."""
        if not self.retain_final:
            self._release([uid])

    def _release(self, uids: Iterable[str]) -> None:
        """Delete the ended UPSs of ``uids`` that no Deletion Lock holds.

        CC.2.3.2: a Deletion Lock asks the SCP to keep a UPS after it is
        COMPLETED or CANCELED; once the last is released it may go.
        """
        for uid in uids:
            ups = self.instances.get(uid)
            if ups is None or ups.ProcedureStepState not in (COMPLETED, CANCELED):
                continue
            if not self._watch.is_locked(uid):
                del self.instances[uid]
                self._watch.forget(uid)

    def _subscription(self, event: Any, action: int) -> object:  # noqa: ANN401
        info = event.action_information
        receiving = str(info.get("ReceivingAE") or "").strip()
        uid = str(event.request.RequestedSOPInstanceUID)
        if not receiving:
            return failure(INVALID_ARGUMENT_VALUE, "No Receiving AE")
        refused = self._subscription_refused(uid, action)
        if refused is not None:
            return refused
        held = self._watch.locks_of(receiving)
        status: object = SUCCESS
        if action == SUBSCRIBE:
            status = self._subscribe(event, receiving, uid, info)
        elif uid in _WELL_KNOWN:
            # Table CC.2.3-2: Unsubscribe ends the global subscription and
            # every UPS subscription; Suspend only stops new UPSs coming.
            keep = action == SUSPEND_GLOBAL_SUBSCRIPTION
            self._watch.end_global(receiving, keep_instances=keep)
        else:
            self._watch.unsubscribe(receiving, uid)
        self._release(held)
        return status

    def _subscription_refused(self, uid: str, action: int) -> Dataset | None:
        """Refuse a subscription action on the wrong instance (CC.2.3.3)."""
        if uid == FILTERED_GLOBAL_SUBSCRIPTION and not self.filtered_global:
            # CC.2.3.3: how an SCP without filtered subscriptions answers.
            return failure(_NOT_A_UPS, "No Filtered Global Subscription here")
        if uid not in _WELL_KNOWN and uid not in self.instances:
            return failure(_NOT_A_UPS, "Not a UPS of this SCP")
        if action == SUSPEND_GLOBAL_SUBSCRIPTION and uid not in _WELL_KNOWN:
            # Table CC.2.3-3 C314: Suspend applies to global subscriptions.
            return failure(_NOT_APPROPRIATE, "Only a global subscription is suspended")
        return None

    def _subscribe(
        self,
        event: Any,  # noqa: ANN401  (an evt.Event)
        receiving: str,
        uid: str,
        info: Dataset,
    ) -> object:
        if receiving not in self.peers:
            return failure(_UNKNOWN_RECEIVING_AE, f"Unknown AE {receiving}")
        lock_value = info.get("DeletionLock")
        if lock_value not in ("TRUE", "FALSE"):
            return failure(INVALID_ARGUMENT_VALUE, "Deletion Lock must be TRUE/FALSE")
        lock = lock_value == "TRUE"
        status: object = SUCCESS
        existing = list(self.instances.values())
        targets: list[Dataset] = []
        if uid == GLOBAL_SUBSCRIPTION:
            covered = self._watch.subscribe_global(receiving, existing, lock=lock)
            # CC.2.4.3: a Global Subscription with Lock has the state of
            # every UPS sent at once.
            targets = covered if lock else []
        elif uid == FILTERED_GLOBAL_SUBSCRIPTION:
            if lock:
                # Table CC.2.3-3 B301: subscribed, but no lock on UPSs that
                # the filter picks (this SCP's choice).
                status = failure(
                    _DELETION_LOCK_NOT_GRANTED, "Deletion Lock not granted"
                )
            keys = _matching_keys(info)
            self._watch.subscribe_global(receiving, existing, lock=False, keys=keys)
        else:
            self._watch.subscribe(receiving, uid, lock=lock)
            targets = [self.instances[uid]]  # CC.2.4.3: its current state
        if targets:
            self._emit(
                event, {receiving: [reports.state_report(ups) for ups in targets]}
            )
        return status

    def _subscribers(self, ups: Dataset) -> list[str]:
        return self._watch.subscribers(str(ups.SOPInstanceUID))

    def _emit(self, event: Any, targets: Mapping[str, list[EventReport]]) -> None:  # noqa: ANN401
        """Send event reports once the request is answered (CC.2.4.3)."""
        pending = {title: list(sent) for title, sent in targets.items() if sent}
        if not pending:
            return
        assoc = event.assoc
        call_after_response(event, lambda: self._deliver(assoc, pending))

    def _deliver(self, assoc: Any, targets: Mapping[str, list[EventReport]]) -> None:  # noqa: ANN401
        peer = str(assoc.remote["ae_title"]).strip()
        for title, sent in targets.items():
            if title == peer and _has_event_context(assoc):
                for event_type, uid, info in sent:
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
                sent,
                context_class=UnifiedProcedureStepEvent,
            )


# Request Cancel details the SCP keeps when it cancels (CC.2.2.3).
_CANCEL_DETAILS: Final = (
    "ReasonForCancellation",
    "ProcedureStepDiscontinuationReasonCodeSequence",
    "ContactURI",
    "ContactDisplayName",
)


def _to_all(
    titles: Iterable[str], sent: list[EventReport]
) -> dict[str, list[EventReport]]:
    return {title: list(sent) for title in titles}


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


def _matching_keys(info: Dataset) -> Dataset:
    """Return the Matching Keys of a Filtered Global Subscription (CC.2.3.1)."""
    keys = copy.deepcopy(info)
    for keyword in _NOT_MATCHING_KEYS:
        keys.pop(keyword, None)
    return keys


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
