"""The event reports of the UPS Event SOP Class (PS3.4 CC.2.4).

Pure builders of ``(Event Type ID, Affected SOP Instance UID, Event
Information)`` triples, one per event type of Table CC.2.4-1, and the test of
which N-SET changes call for which report (CC.2.4.3). The provider in
:mod:`dicomnet.services.ups` decides who receives them and sends them.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Final

from pydicom.dataset import Dataset
from pydicom.uid import UID

if TYPE_CHECKING:
    from dicomnet.services.normalized import EventReport

__all__ = [
    "CANCEL_REQUESTED",
    "COLD_START",
    "GLOBAL_SUBSCRIPTION",
    "GOING_DOWN",
    "PROGRESS_REPORT",
    "RESTARTED",
    "SCP_STATUS_CHANGE",
    "STATE_REPORT",
    "UPS_ASSIGNED",
    "WARM_START",
    "assigned",
    "cancel_requested",
    "progress_report",
    "scp_status_change",
    "state_report",
    "updates",
]

# PS3.4 CC.2.4.1, Table CC.2.4-1: Event Type IDs.
STATE_REPORT: Final = 1
CANCEL_REQUESTED: Final = 2
PROGRESS_REPORT: Final = 3
SCP_STATUS_CHANGE: Final = 4
UPS_ASSIGNED: Final = 5

# PS3.4 CC.2.4.1, Table CC.2.4-1 (and PS3.3 for the Defined Terms): the
# values of SCP Status (0074,1242), and of Subscription List Status
# (0074,1244) / Unified Procedure Step List Status (0074,1246).
GOING_DOWN: Final = "GOING DOWN"
RESTARTED: Final = "RESTARTED"
WARM_START: Final = "WARM START"
COLD_START: Final = "COLD START"
_SCP_STATUSES: Final = frozenset({GOING_DOWN, RESTARTED})
_LIST_STATUSES: Final = frozenset({WARM_START, COLD_START})

#: PS3.4 CC.3.1 (Table CC.3.1-1): the well-known UID of global subscriptions,
#: also the instance an SCP Status Change is about (it concerns no one UPS).
GLOBAL_SUBSCRIPTION: Final = UID("1.2.840.10008.5.1.4.34.5")

# The attributes whose change assigns a UPS to a station or a person: UPS
# Assigned carries their current contents (CC.2.4.1, Table CC.2.4-1).
_ASSIGNMENT: Final = (
    "ScheduledStationNameCodeSequence",
    "ScheduledStationClassCodeSequence",
    "ScheduledStationGeographicLocationCodeSequence",
    "ScheduledHumanPerformersSequence",
)
# CC.2.4.3: a UPS created with one of these populated is reported assigned.
_ASSIGNED_AT_CREATION: Final = (
    "ScheduledStationNameCodeSequence",
    "ScheduledHumanPerformersSequence",
)
# CC.2.4.1, Table CC.2.4-1: what a UPS State Report may add from the UPS.
_CANCELLATION: Final = (
    "ReasonForCancellation",
    "ProcedureStepDiscontinuationReasonCodeSequence",
)


def state_report(ups: Dataset) -> EventReport:
    """Return the UPS State Report of ``ups`` (CC.2.4.1, Table CC.2.4-1)."""
    info = Dataset()
    info.ProcedureStepState = ups.ProcedureStepState
    info.InputReadinessState = ups.get("InputReadinessState", "")
    progress = ups.get("ProcedureStepProgressInformationSequence") or []
    for keyword in _CANCELLATION:
        for item in progress:
            if keyword in item:
                info[keyword] = copy.deepcopy(item[keyword])
    return STATE_REPORT, str(ups.SOPInstanceUID), info


def cancel_requested(ups: Dataset, requesting_ae: str, request: Dataset) -> EventReport:
    """Return the UPS Cancel Requested report of a Request Cancel (CC.2.4.1).

    The details the requester gave (Table CC.2.2-1) are passed on: they are
    Type 1C, "required if provided in the triggering N-ACTION".
    """
    info = Dataset()
    info.RequestingAE = requesting_ae
    for keyword in (*_CANCELLATION, "ContactURI", "ContactDisplayName"):
        if keyword in request:
            info[keyword] = copy.deepcopy(request[keyword])
    return CANCEL_REQUESTED, str(ups.SOPInstanceUID), info


def progress_report(ups: Dataset) -> EventReport:
    """Return the UPS Progress Report of ``ups`` (CC.2.4.1, Table CC.2.4-1)."""
    info = Dataset()
    info.ProcedureStepProgressInformationSequence = copy.deepcopy(
        ups.ProcedureStepProgressInformationSequence
    )
    return PROGRESS_REPORT, str(ups.SOPInstanceUID), info


def assigned(ups: Dataset, *, created: bool = False) -> EventReport | None:
    """Return the UPS Assigned report of ``ups``, or ``None`` if unassigned.

    Parameters
    ----------
    ups : pydicom.dataset.Dataset
        The UPS, as it is now.
    created : bool
        ``ups`` was just created: CC.2.4.3 reports it assigned only when its
        Scheduled Station Name Code Sequence or Scheduled Human Performers
        Sequence is populated.

    Returns
    -------
    EventReport or None
    """
    wanted = _ASSIGNED_AT_CREATION if created else _ASSIGNMENT
    if not any(ups.get(keyword) for keyword in wanted):
        return None
    info = Dataset()
    for keyword in _ASSIGNMENT:
        if ups.get(keyword):
            info[keyword] = copy.deepcopy(ups[keyword])
    return UPS_ASSIGNED, str(ups.SOPInstanceUID), info


def scp_status_change(
    status: str, subscription_list: str, ups_list: str
) -> EventReport:
    """Return an SCP Status Change report (CC.2.4.1, Table CC.2.4-1).

    Parameters
    ----------
    status : str
        SCP Status: :data:`GOING_DOWN` or :data:`RESTARTED`.
    subscription_list, ups_list : str
        Subscription List Status and Unified Procedure Step List Status:
        :data:`WARM_START` (kept across the restart) or :data:`COLD_START`
        (lost).

    Returns
    -------
    EventReport

    Raises
    ------
    ValueError
        A value is not one of the Defined Terms.
    """
    if status not in _SCP_STATUSES:
        raise ValueError(f"SCP Status must be GOING DOWN or RESTARTED, not {status!r}")
    for value in (subscription_list, ups_list):
        if value not in _LIST_STATUSES:
            raise ValueError(f"List status must be WARM/COLD START, not {value!r}")
    info = Dataset()
    info.SCPStatus = status
    info.SubscriptionListStatus = subscription_list
    info.UnifiedProcedureStepListStatus = ups_list
    return SCP_STATUS_CHANGE, GLOBAL_SUBSCRIPTION, info


def updates(before: Dataset, ups: Dataset, changes: Dataset) -> list[EventReport]:
    """Return the reports an N-SET calls for, in the order they are sent.

    CC.2.4.3: a change of Input Readiness State is reported as a UPS State
    Report, of the progress information as a UPS Progress Report, and of the
    scheduled station or human performers as UPS Assigned.

    Parameters
    ----------
    before : pydicom.dataset.Dataset
        The UPS before the N-SET.
    ups : pydicom.dataset.Dataset
        The UPS after it.
    changes : pydicom.dataset.Dataset
        The N-SET's Modification List.

    Returns
    -------
    list of EventReport
    """
    reports: list[EventReport] = []
    if _changed(before, ups, "InputReadinessState"):
        reports.append(state_report(ups))
    if "ProcedureStepProgressInformationSequence" in changes:
        reports.append(progress_report(ups))
    if any(_changed(before, ups, keyword) for keyword in _ASSIGNMENT):
        report = assigned(ups)
        if report is not None:
            reports.append(report)
    return reports


def _changed(before: Dataset, after: Dataset, keyword: str) -> bool:
    return bool(before.get(keyword) != after.get(keyword))
