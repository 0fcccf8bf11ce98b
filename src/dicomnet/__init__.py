"""dicomnet: DICOM networking (PS3.7, PS3.8) with pynetdicom 3's API.

A program written for pynetdicom runs after replacing the word ``pynetdicom``
with ``dicomnet``::

    from dicomnet import AE
    from dicomnet.sop_class import Verification

    ae = AE()
    ae.add_supported_context(Verification)
    ae.start_server(("127.0.0.1", 11112))
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from dicomnet import events as evt
from dicomnet._globals import ALL_TRANSFER_SYNTAXES, DEFAULT_TRANSFER_SYNTAXES
from dicomnet._logging import debug_logger
from dicomnet._version import (
    DICOMNET_IMPLEMENTATION_UID,
    DICOMNET_IMPLEMENTATION_VERSION,
    DICOMNET_UID_PREFIX,
    __version__,
)
from dicomnet.ae import ApplicationEntity as AE  # noqa: N817  (pynetdicom's name)
from dicomnet.association import Association
from dicomnet.presentation import build_context, build_role

if TYPE_CHECKING:
    from dicomnet._sop_registry import register_uid
    from dicomnet.presentation_contexts import (
        AllStoragePresentationContexts,
        ApplicationEventLoggingPresentationContexts,
        BasicWorklistManagementPresentationContexts,
        ColorPalettePresentationContexts,
        DefinedProcedureProtocolPresentationContexts,
        DisplaySystemPresentationContexts,
        HangingProtocolPresentationContexts,
        ImplantTemplatePresentationContexts,
        InstanceAvailabilityPresentationContexts,
        MediaCreationManagementPresentationContexts,
        MediaStoragePresentationContexts,
        ModalityPerformedPresentationContexts,
        NonPatientObjectPresentationContexts,
        PrintManagementPresentationContexts,
        ProcedureStepPresentationContexts,
        ProtocolApprovalPresentationContexts,
        QueryRetrievePresentationContexts,
        RelevantPatientInformationPresentationContexts,
        RTMachineVerificationPresentationContexts,
        StorageCommitmentPresentationContexts,
        StoragePresentationContexts,
        SubstanceAdministrationPresentationContexts,
        UnifiedProcedurePresentationContexts,
        VerificationPresentationContexts,
    )

logging.getLogger("dicomnet").addHandler(logging.NullHandler())

# The ready-made context lists build every SOP class of the generated
# sop_class module: loaded on first use so that ``import dicomnet`` stays fast.
_PRESENTATION_CONTEXT_LISTS = frozenset(
    (
        "VerificationPresentationContexts",
        "StoragePresentationContexts",
        "AllStoragePresentationContexts",
        "QueryRetrievePresentationContexts",
        "BasicWorklistManagementPresentationContexts",
        "ColorPalettePresentationContexts",
        "DefinedProcedureProtocolPresentationContexts",
        "DisplaySystemPresentationContexts",
        "HangingProtocolPresentationContexts",
        "ImplantTemplatePresentationContexts",
        "InstanceAvailabilityPresentationContexts",
        "MediaCreationManagementPresentationContexts",
        "MediaStoragePresentationContexts",
        "ModalityPerformedPresentationContexts",
        "ProcedureStepPresentationContexts",
        "NonPatientObjectPresentationContexts",
        "PrintManagementPresentationContexts",
        "ProtocolApprovalPresentationContexts",
        "RelevantPatientInformationPresentationContexts",
        "RTMachineVerificationPresentationContexts",
        "StorageCommitmentPresentationContexts",
        "SubstanceAdministrationPresentationContexts",
        "UnifiedProcedurePresentationContexts",
        "ApplicationEventLoggingPresentationContexts",
    )
)


def __getattr__(name: str) -> Any:  # noqa: ANN401  (module attributes of any type)
    if name in _PRESENTATION_CONTEXT_LISTS:
        from dicomnet import presentation_contexts  # noqa: PLC0415

        return getattr(presentation_contexts, name)
    if name == "register_uid":
        from dicomnet._sop_registry import register_uid  # noqa: PLC0415

        return register_uid
    raise AttributeError(f"module 'dicomnet' has no attribute {name!r}")


__all__ = [
    "AE",
    "ALL_TRANSFER_SYNTAXES",
    "DEFAULT_TRANSFER_SYNTAXES",
    "DICOMNET_IMPLEMENTATION_UID",
    "DICOMNET_IMPLEMENTATION_VERSION",
    "DICOMNET_UID_PREFIX",
    "AllStoragePresentationContexts",
    "ApplicationEventLoggingPresentationContexts",
    "Association",
    "BasicWorklistManagementPresentationContexts",
    "ColorPalettePresentationContexts",
    "DefinedProcedureProtocolPresentationContexts",
    "DisplaySystemPresentationContexts",
    "HangingProtocolPresentationContexts",
    "ImplantTemplatePresentationContexts",
    "InstanceAvailabilityPresentationContexts",
    "MediaCreationManagementPresentationContexts",
    "MediaStoragePresentationContexts",
    "ModalityPerformedPresentationContexts",
    "NonPatientObjectPresentationContexts",
    "PrintManagementPresentationContexts",
    "ProcedureStepPresentationContexts",
    "ProtocolApprovalPresentationContexts",
    "QueryRetrievePresentationContexts",
    "RTMachineVerificationPresentationContexts",
    "RelevantPatientInformationPresentationContexts",
    "StorageCommitmentPresentationContexts",
    "StoragePresentationContexts",
    "SubstanceAdministrationPresentationContexts",
    "UnifiedProcedurePresentationContexts",
    "VerificationPresentationContexts",
    "__version__",
    "build_context",
    "build_role",
    "debug_logger",
    "evt",
    "register_uid",
]
