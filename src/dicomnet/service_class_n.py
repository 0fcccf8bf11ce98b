"""The DIMSE-N service classes of PS3.4, as a registry of plain classes.

Same shape as :mod:`dicomnet.service_class`: a name, the DIMSE-N messages the
class's SOP classes use (PS3.7 10.1) and their status tables. The SCP
behaviour arrives with the services that implement them.
"""

from __future__ import annotations

from typing import Final

from dicomnet import status as _st
from dicomnet.service_class import C_FIND, ServiceClass

__all__ = [
    "N_ACTION",
    "N_CREATE",
    "N_DELETE",
    "N_EVENT_REPORT",
    "N_GET",
    "N_SET",
    "ApplicationEventLoggingServiceClass",
    "DisplaySystemManagementServiceClass",
    "InstanceAvailabilityNotificationServiceClass",
    "MediaCreationManagementServiceClass",
    "PrintManagementServiceClass",
    "ProcedureStepServiceClass",
    "RTMachineVerificationServiceClass",
    "StorageCommitmentServiceClass",
    "StorageManagementServiceClass",
    "UnifiedProcedureStepServiceClass",
]

# PS3.7 10.1: the DIMSE-N services.
N_EVENT_REPORT: Final = "N-EVENT-REPORT"
N_GET: Final = "N-GET"
N_SET: Final = "N-SET"
N_ACTION: Final = "N-ACTION"
N_CREATE: Final = "N-CREATE"
N_DELETE: Final = "N-DELETE"


def _serves(table: _st.StatusTable, *messages: str) -> dict[str, _st.StatusTable]:
    # The N- annexes give one status table per SOP class, shared by its messages.
    return dict.fromkeys(messages, table)


class ApplicationEventLoggingServiceClass(ServiceClass):
    """PS3.4 Annex P: Procedural Event and Substance Administration Logging."""

    statuses = _st.APPLICATION_EVENT_LOGGING_SERVICE_CLASS_STATUS
    dimse_statuses = _serves(statuses, N_ACTION)


class DisplaySystemManagementServiceClass(ServiceClass):
    """PS3.4 Annex EE: Display System Management (N-GET)."""

    dimse_statuses = _serves(_st.GENERAL_STATUS, N_GET)


class InstanceAvailabilityNotificationServiceClass(ServiceClass):
    """PS3.4 Annex R: Instance Availability Notification (N-CREATE)."""

    dimse_statuses = _serves(_st.GENERAL_STATUS, N_CREATE)


class MediaCreationManagementServiceClass(ServiceClass):
    """PS3.4 Annex S: Media Creation Management."""

    statuses = _st.MEDIA_CREATION_MANAGEMENT_SERVICE_CLASS_STATUS
    dimse_statuses = _serves(statuses, N_CREATE, N_ACTION, N_GET)


class PrintManagementServiceClass(ServiceClass):
    """PS3.4 Annex H: Print Management."""

    statuses = _st.PRINT_JOB_MANAGEMENT_SERVICE_CLASS_STATUS
    dimse_statuses = _serves(
        statuses, N_EVENT_REPORT, N_GET, N_SET, N_ACTION, N_CREATE, N_DELETE
    )


class ProcedureStepServiceClass(ServiceClass):
    """PS3.4 Annex F: Modality Performed Procedure Step, Retrieve, Notification."""

    statuses = _st.PROCEDURE_STEP_STATUS
    dimse_statuses = _serves(statuses, N_EVENT_REPORT, N_GET, N_SET, N_CREATE)


class RTMachineVerificationServiceClass(ServiceClass):
    """PS3.4 Annex DD: RT Machine Verification."""

    statuses = _st.RT_MACHINE_VERIFICATION_SERVICE_CLASS_STATUS
    dimse_statuses = _serves(
        statuses, N_EVENT_REPORT, N_GET, N_SET, N_ACTION, N_CREATE, N_DELETE
    )


class StorageCommitmentServiceClass(ServiceClass):
    """PS3.4 Annex J: Storage Commitment Push Model."""

    statuses = _st.STORAGE_COMMITMENT_SERVICE_CLASS_STATUS
    dimse_statuses = _serves(statuses, N_EVENT_REPORT, N_ACTION)


class StorageManagementServiceClass(ServiceClass):
    """PS3.4 Annex KK: Storage Management (Inventory Creation)."""

    statuses = _st.STORAGE_MANAGEMENT_SERVICE_CLASS_STATUS
    dimse_statuses = _serves(statuses, N_EVENT_REPORT, N_GET, N_ACTION)


class UnifiedProcedureStepServiceClass(ServiceClass):
    """PS3.4 Annex CC: Unified Procedure Step; its Query SOP class uses C-FIND."""

    statuses = _st.UNIFIED_PROCEDURE_STEP_SERVICE_CLASS_STATUS
    dimse_statuses = _serves(
        statuses, N_EVENT_REPORT, N_GET, N_SET, N_ACTION, N_CREATE, C_FIND
    )
