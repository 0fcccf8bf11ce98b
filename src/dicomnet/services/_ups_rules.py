"""The rules of Unified Procedure Step instances (PS3.4 CC.1.1, CC.2).

Pure functions over a UPS's attributes: the checks of an N-CREATE (CC.2.5),
of an N-SET (CC.2.6) and of a state change (CC.2.1, Table CC.1.1-2), each
returning the failure status or ``None``. The provider in
:mod:`dicomnet.services.ups` applies them and keeps the instances.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from dicomnet.services._n_common import (
    INVALID_ARGUMENT_VALUE,
    INVALID_ATTRIBUTE_VALUE,
    failure,
    missing_attributes,
)

if TYPE_CHECKING:
    from pydicom.dataset import Dataset

__all__ = [
    "CANCELED",
    "COMPLETED",
    "IN_PROGRESS",
    "SCHEDULED",
    "check_create",
    "check_set",
    "check_state_change",
]

# PS3.4 CC.1.1, Table CC.1.1-1: the states of a UPS (Procedure Step State).
SCHEDULED: Final = "SCHEDULED"
IN_PROGRESS: Final = "IN PROGRESS"
COMPLETED: Final = "COMPLETED"
CANCELED: Final = "CANCELED"
_FINAL: Final = frozenset({COMPLETED, CANCELED})

# PS3.4 CC.2.1.4, Table CC.2.1-2 and CC.2.5.4, Table CC.2.5-2: statuses.
ALREADY_CANCELED: Final = 0xB304
ALREADY_COMPLETED: Final = 0xB306
MAY_NO_LONGER_BE_UPDATED: Final = 0xC300
WRONG_TRANSACTION_UID: Final = 0xC301
ALREADY_IN_PROGRESS: Final = 0xC302
ONLY_SCHEDULED_BY_CREATE: Final = 0xC303
FINAL_STATE_NOT_MET: Final = 0xC304
NOT_SCHEDULED: Final = 0xC309
NOT_YET_IN_PROGRESS: Final = 0xC310

# PS3.4 CC.2.5, Table CC.2.5-3: attributes the SCU shall give an N-CREATE
# a value for (Type 1), or send possibly empty (Type 2).
_CREATE_TYPE1: Final = (
    "ScheduledProcedureStepPriority",
    "ProcedureStepLabel",
    "ScheduledProcedureStepStartDateTime",
    "InputReadinessState",
    "ProcedureStepState",
)
_CREATE_TYPE2: Final = (
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "PatientSex",
    "ScheduledWorkitemCodeSequence",
    "InputInformationSequence",
    "ScheduledStationNameCodeSequence",
    "ReferencedRequestSequence",
)
# Attributes an N-SET may not touch: the state changes by N-ACTION only
# (CC.2.6.3), and the identity of the instance is fixed.
_NOT_SETTABLE: Final = frozenset(
    {"ProcedureStepState", "SOPClassUID", "SOPInstanceUID"}
)


def check_create(attrs: Dataset, *, strict: bool) -> Dataset | None:
    """Return the refusal of an N-CREATE's Attribute List (CC.2.5.1.3), if any."""
    refused = missing_attributes(attrs, _CREATE_TYPE1, _CREATE_TYPE2 if strict else ())
    if refused is not None:
        return refused
    if attrs.ProcedureStepState != SCHEDULED:
        # CC.2.5.1.3: a UPS is created SCHEDULED.
        return failure(NOT_SCHEDULED, "The new UPS must be SCHEDULED")
    return None


def check_set(ups: Dataset, changes: Dataset) -> Dataset | None:
    """Return the refusal of an N-SET of ``ups`` (CC.2.6.3), if any."""
    state = ups.ProcedureStepState
    if state in _FINAL:
        return failure(MAY_NO_LONGER_BE_UPDATED, f"The UPS is {state}")
    if state == IN_PROGRESS and changes.get("TransactionUID") != ups.get(
        "TransactionUID"
    ):
        # CC.2.6.3: only the performer, who knows the Transaction UID.
        return failure(WRONG_TRANSACTION_UID)
    fixed = [elem.tag for elem in changes if elem.keyword in _NOT_SETTABLE]
    if fixed:
        return failure(
            INVALID_ATTRIBUTE_VALUE, "Not modifiable by N-SET", attributes=fixed
        )
    return None


def check_state_change(
    ups: Dataset, info: Dataset, *, final_state_checks: bool
) -> Dataset | None:
    """Return the refusal of a Change UPS State action (CC.2.1.3), if any.

    The transitions are those of Table CC.1.1-2; the warnings B304/B306 say
    the UPS is already in the final state asked for.
    """
    wanted = info.get("ProcedureStepState")
    if wanted not in (SCHEDULED, IN_PROGRESS, COMPLETED, CANCELED):
        return failure(
            INVALID_ARGUMENT_VALUE, f"Invalid Procedure Step State {wanted!r}"
        )
    state = ups.ProcedureStepState
    if state in _FINAL:
        if wanted == state:
            return failure(
                ALREADY_COMPLETED if state == COMPLETED else ALREADY_CANCELED
            )
        return failure(MAY_NO_LONGER_BE_UPDATED, f"The UPS is {state}")
    if wanted == SCHEDULED:
        return failure(ONLY_SCHEDULED_BY_CREATE)
    transaction = info.get("TransactionUID")
    if state == SCHEDULED:
        return _claim(wanted, transaction)
    return _finish(ups, wanted, transaction, final_state_checks=final_state_checks)


def _claim(wanted: str, transaction: object) -> Dataset | None:
    """SCHEDULED -> ``wanted``: only a performer's claim (IN PROGRESS)."""
    if wanted != IN_PROGRESS:
        return failure(NOT_YET_IN_PROGRESS)
    # CC.2.1.2: the new performer gives the Transaction UID it will use.
    return None if transaction else failure(WRONG_TRANSACTION_UID)


def _finish(
    ups: Dataset, wanted: str, transaction: object, *, final_state_checks: bool
) -> Dataset | None:
    """IN PROGRESS -> ``wanted``: the performer ends it (COMPLETED/CANCELED)."""
    if wanted == IN_PROGRESS:
        return failure(ALREADY_IN_PROGRESS)
    if not transaction or transaction != ups.get("TransactionUID"):
        return failure(WRONG_TRANSACTION_UID)
    if final_state_checks and wanted == COMPLETED and not _completed_ok(ups):
        return failure(FINAL_STATE_NOT_MET, "Performed procedure information missing")
    return None


def _completed_ok(ups: Dataset) -> bool:
    # CC.2.5.1.3, Table CC.2.5-3 "Final State" column: a COMPLETED UPS says
    # when it was performed.
    performed = ups.get("UnifiedProcedureStepPerformedProcedureSequence") or []
    return any(
        item.get("PerformedProcedureStepStartDateTime")
        and item.get("PerformedProcedureStepEndDateTime")
        for item in performed
    )
