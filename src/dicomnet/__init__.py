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

import importlib
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


# Submodules that ``import dicomnet`` no longer loads (the SOP class and status
# tables, needed by SCPs and by programs naming SOP classes, not by a storage
# SCU): ``dicomnet.sop_class`` still works after a bare ``import dicomnet``,
# importing the module on first access, as it did when it was loaded eagerly.
_LAZY_SUBMODULES = frozenset(
    (
        "_sop_registry",
        "_status_tables",
        "presentation_contexts",
        "service_class",
        "service_class_n",
        "sop_class",
        "status",
    )
)


def __getattr__(name: str) -> Any:  # noqa: ANN401  (module attributes of any type)
    # PEP 562: called only for names not (yet) in the module's namespace.
    if name in _PRESENTATION_CONTEXT_LISTS:
        from dicomnet import presentation_contexts  # noqa: PLC0415

        return getattr(presentation_contexts, name)
    if name == "register_uid":
        from dicomnet._sop_registry import register_uid  # noqa: PLC0415

        return register_uid
    if name in _LAZY_SUBMODULES:
        # import_module binds the submodule here: later accesses skip this.
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'dicomnet' has no attribute {name!r}")


def __dir__() -> list[str]:
    # PEP 562: list the lazy names too, as when they were module globals.
    return sorted(set(globals()) | set(__all__) | _LAZY_SUBMODULES)


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
