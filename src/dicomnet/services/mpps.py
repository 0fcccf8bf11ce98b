"""The Modality Performed Procedure Step SOP Classes (PS3.4 Annex F).

A modality reports the procedure step it performs: N-CREATE when it starts
(status IN PROGRESS, F.7.2.1), N-SET while it goes on and to end it
(COMPLETED or DISCONTINUED, F.7.2.2); afterwards the step may no longer be
updated. Other systems read it (Retrieve SOP Class, N-GET, F.8) and hear of
its changes (Notification SOP Class, N-EVENT-REPORT, F.9).

:class:`MPPSServer` is an SCP of all three SOP classes keeping the steps in
memory: a :class:`~dicomnet.services.normalized.ServiceProvider` to bind
with ``evt_handlers=server.handlers()``. The SCU side needs nothing more
than ``Association.send_n_create/send_n_set/send_n_get``; the constants
here name the states and event types.
"""

from __future__ import annotations

import copy
import logging
from typing import TYPE_CHECKING, Any, Final

from pydicom.dataset import Dataset
from pydicom.uid import generate_uid

from dicomnet.services._n_common import (
    DUPLICATE_SOP_INSTANCE,
    INVALID_ATTRIBUTE_VALUE,
    NO_SUCH_SOP_INSTANCE,
    PROCESSING_FAILURE,
    SUCCESS,
    UNRECOGNIZED_OPERATION,
    failure,
    missing_attributes,
    select_attributes,
)
from dicomnet.services._n_scp import call_after_response
from dicomnet.services.normalized import ServiceProvider, send_event_reports
from dicomnet.sop_class import (
    ModalityPerformedProcedureStep,
    ModalityPerformedProcedureStepNotification,
    ModalityPerformedProcedureStepRetrieve,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

__all__ = [
    "COMPLETED",
    "DISCONTINUED",
    "IN_PROGRESS",
    "NOT_UPDATABLE_ERROR_ID",
    "PPS_COMPLETED",
    "PPS_DELETED",
    "PPS_DISCONTINUED",
    "PPS_IN_PROGRESS",
    "PPS_UPDATED",
    "MPPSServer",
]

_LOGGER = logging.getLogger(__name__)

# PS3.4 F.1.2, Table F.1-3: the states of a Performed Procedure Step.
IN_PROGRESS: Final = "IN PROGRESS"
COMPLETED: Final = "COMPLETED"
DISCONTINUED: Final = "DISCONTINUED"
_STATES: Final = frozenset({IN_PROGRESS, COMPLETED, DISCONTINUED})

# PS3.4 F.9.2, Table F.9.2-1: Event Type IDs of the Notification SOP Class.
PPS_IN_PROGRESS: Final = 1
PPS_COMPLETED: Final = 2
PPS_DISCONTINUED: Final = 3
PPS_UPDATED: Final = 4
PPS_DELETED: Final = 5

#: PS3.4 F.7.2.2.4, Table F.7.2-2: Error ID of "may no longer be updated".
NOT_UPDATABLE_ERROR_ID: Final = 0xA710
_NOT_UPDATABLE: Final = "Performed Procedure Step Object may no longer be updated"

# PS3.4 F.7.2, Table F.7.2-1: attributes the SCU shall send in the N-CREATE,
# with a value (Type 1) or possibly empty (Type 2).
_CREATE_TYPE1: Final = (
    "ScheduledStepAttributesSequence",
    "PerformedProcedureStepID",
    "PerformedStationAETitle",
    "PerformedProcedureStepStartDate",
    "PerformedProcedureStepStartTime",
    "PerformedProcedureStepStatus",
    "Modality",
)
_SCHEDULED_STEP_TYPE1: Final = ("StudyInstanceUID",)
_CREATE_TYPE2: Final = (
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "PatientSex",
    "PerformedStationName",
    "PerformedLocation",
    "PerformedProcedureStepDescription",
    "PerformedProcedureTypeDescription",
    "ProcedureCodeSequence",
    "PerformedProcedureStepEndDate",
    "PerformedProcedureStepEndTime",
    "StudyID",
    "PerformedProtocolCodeSequence",
    "PerformedSeriesSequence",
)
# Table F.7.2-1, N-SET column "Not allowed": fixed once the step started.
_NOT_SETTABLE: Final = frozenset(
    {
        "ScheduledStepAttributesSequence",
        "PatientName",
        "PatientID",
        "PatientBirthDate",
        "PatientSex",
        "PerformedProcedureStepID",
        "PerformedStationAETitle",
        "PerformedStationName",
        "PerformedLocation",
        "PerformedProcedureStepStartDate",
        "PerformedProcedureStepStartTime",
        "Modality",
        "StudyID",
        "SOPClassUID",
        "SOPInstanceUID",
    }
)

# Table F.7.2-1, "Final State" column (Note 1): what a COMPLETED or
# DISCONTINUED step holds, with a value (1) or possibly empty (2).
_FINAL_TYPE1: Final = (
    "PerformedProcedureStepEndDate",
    "PerformedProcedureStepEndTime",
    "PerformedSeriesSequence",
)
_FINAL_SERIES_TYPE1: Final = ("ProtocolName", "SeriesInstanceUID")
# The two reference lists are "see F.7.2.2.2": sent, possibly empty when no
# instance was created, which the SCP cannot tell; so Type 2 here.
_FINAL_SERIES_TYPE2: Final = (
    "PerformingPhysicianName",
    "OperatorsName",
    "SeriesDescription",
    "RetrieveAETitle",
    "ReferencedImageSequence",
    "ReferencedNonImageCompositeSOPInstanceSequence",
)


class MPPSServer(ServiceProvider):
    """An SCP of the three MPPS SOP classes, keeping the steps in memory.

    Parameters
    ----------
    strict : bool
        Also refuse an N-CREATE missing a Type 2 attribute, or an N-SET
        ending a step without its Type 2 Final State attributes (many
        modalities leave some out; by default only Type 1 gaps are refused).
    listeners : mapping, optional
        ``{ae_title: (address, port)}`` of the Notification SCUs told of
        every change (PS3.4 F.9), on a new association each time.
    on_change : callable, optional
        ``on_change(instance_uid, attributes, event_type)`` after each
        change, with the step's attributes and the notification event type.

    Attributes
    ----------
    instances : dict
        The steps by SOP Instance UID.
    """

    sop_classes = frozenset(
        {
            ModalityPerformedProcedureStep,
            ModalityPerformedProcedureStepRetrieve,
            ModalityPerformedProcedureStepNotification,
        }
    )

    def __init__(
        self,
        *,
        strict: bool = False,
        listeners: Mapping[str, tuple[str, int]] | None = None,
        on_change: Callable[[str, Dataset, int], object] | None = None,
    ) -> None:
        self.strict = strict
        self.listeners = dict(listeners or {})
        self._on_change = on_change
        self.instances: dict[str, Dataset] = {}

    def n_create(self, event: Any) -> tuple[object, Dataset | None]:  # noqa: ANN401
        """Create a step that starts IN PROGRESS (PS3.4 F.7.2.1.3)."""
        request = event.request
        if str(request.AffectedSOPClassUID) != ModalityPerformedProcedureStep:
            return failure(
                UNRECOGNIZED_OPERATION, "N-CREATE is for the MPPS class"
            ), None
        uid = str(request.AffectedSOPInstanceUID or generate_uid(prefix=None))
        if uid in self.instances:
            return failure(DUPLICATE_SOP_INSTANCE), None
        attrs = event.attribute_list
        refused = _check_create(attrs, strict=self.strict)
        if refused is not None:
            return refused
        step = copy.deepcopy(attrs)
        step.SOPClassUID = ModalityPerformedProcedureStep
        step.SOPInstanceUID = uid
        self.instances[uid] = step
        self._changed(event, uid, PPS_IN_PROGRESS)
        status = Dataset()
        status.Status = SUCCESS
        status.AffectedSOPInstanceUID = uid
        return status, copy.deepcopy(step)

    def n_set(self, event: Any) -> tuple[object, Dataset | None]:  # noqa: ANN401
        """Update a step still IN PROGRESS (PS3.4 F.7.2.2.3).

        Once COMPLETED or DISCONTINUED a step takes no N-SET, not even one
        back to IN PROGRESS (0110, Error ID A710). The N-SET ending it must
        leave the step with the Final State attributes of Table F.7.2-1
        (0120/0121 otherwise); Type 2 ones are checked only when ``strict``.
        """
        uid = str(event.request.RequestedSOPInstanceUID)
        step = self.instances.get(uid)
        if step is None:
            return failure(NO_SUCH_SOP_INSTANCE), None
        if step.get("PerformedProcedureStepStatus") != IN_PROGRESS:
            # F.7.2.2.4, Table F.7.2-2.
            refused = failure(
                PROCESSING_FAILURE, _NOT_UPDATABLE, error_id=NOT_UPDATABLE_ERROR_ID
            )
            return refused, None
        changes = event.modification_list
        fixed = [elem.tag for elem in changes if elem.keyword in _NOT_SETTABLE]
        if fixed:
            return failure(
                INVALID_ATTRIBUTE_VALUE,
                "Attributes not allowed in N-SET",
                attributes=fixed,
            ), None
        new_state = changes.get("PerformedProcedureStepStatus", IN_PROGRESS)
        if new_state not in _STATES:
            return failure(
                INVALID_ATTRIBUTE_VALUE,
                f"Invalid Performed Procedure Step Status {new_state!r}",
                attributes=[0x00400252],
            ), None
        if new_state != IN_PROGRESS:
            final = copy.deepcopy(step)
            final.update(changes)
            unfinished = _check_final(final, strict=self.strict)
            if unfinished is not None:
                return unfinished, None
        for elem in changes:
            step[elem.tag] = copy.deepcopy(elem)
        event_type = {COMPLETED: PPS_COMPLETED, DISCONTINUED: PPS_DISCONTINUED}.get(
            new_state, PPS_UPDATED
        )
        self._changed(event, uid, event_type)
        return SUCCESS, copy.deepcopy(changes)

    def n_get(self, event: Any) -> tuple[object, Dataset | None]:  # noqa: ANN401
        """Return attributes of a step (Retrieve SOP Class, PS3.4 F.8.2)."""
        step = self.instances.get(str(event.request.RequestedSOPInstanceUID))
        if step is None:
            return failure(NO_SUCH_SOP_INSTANCE), None
        code, attrs, unknown = select_attributes(step, event.attribute_identifiers)
        return (failure(code, attributes=unknown) if unknown else code), attrs

    def _changed(self, event: Any, uid: str, event_type: int) -> None:  # noqa: ANN401
        if self._on_change is not None:
            self._on_change(uid, copy.deepcopy(self.instances[uid]), event_type)
        if self.listeners:
            ae = event.assoc.ae
            call_after_response(event, lambda: self._notify(ae, uid, event_type))

    def _notify(self, ae: Any, uid: str, event_type: int) -> None:  # noqa: ANN401
        # PS3.4 F.9.2: the notification carries no Event Information.
        for title, address in self.listeners.items():
            send_event_reports(
                ae,
                address,
                title,
                ModalityPerformedProcedureStepNotification,
                [(event_type, uid, None)],
            )


def _check_final(step: Dataset, *, strict: bool) -> Dataset | None:
    """Refuse to end a step lacking its Final State attributes (Table F.7.2-1)."""
    # F.7.2.2.2: "before or when" the status is set, so the step as it
    # would be after this N-SET is what must hold them. Note 2: a Performed
    # Series Sequence with no item counts as empty (0121).
    refused = missing_attributes(step, _FINAL_TYPE1)
    for item in step.get("PerformedSeriesSequence") or ():
        refused = refused or missing_attributes(
            item, _FINAL_SERIES_TYPE1, _FINAL_SERIES_TYPE2 if strict else ()
        )
    if refused is not None:
        comment = refused.get("ErrorComment", "")
        refused.ErrorComment = f"Final state: {comment}"[:64]
    return refused


def _check_create(
    attrs: Dataset, *, strict: bool
) -> tuple[Dataset, Dataset | None] | None:
    """Return the refusal of an N-CREATE's Attribute List, if it has one."""
    refused = missing_attributes(attrs, _CREATE_TYPE1, _CREATE_TYPE2 if strict else ())
    if refused is not None:
        return refused, None
    for item in attrs.ScheduledStepAttributesSequence:
        refused = missing_attributes(item, _SCHEDULED_STEP_TYPE1)
        if refused is not None:
            return refused, None
    state = attrs.PerformedProcedureStepStatus
    if state != IN_PROGRESS:
        # F.7.2.1.3: 0106 "with an Attribute List" holding the bad value.
        bad = Dataset()
        bad.PerformedProcedureStepStatus = state
        return failure(INVALID_ATTRIBUTE_VALUE, "A new step must be IN PROGRESS"), bad
    return None
