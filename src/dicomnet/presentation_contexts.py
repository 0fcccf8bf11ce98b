"""The ready-made ``*PresentationContexts`` lists of the pynetdicom API.

Each list holds :class:`~dicomnet.presentation.PresentationContext` objects
without a context ID, offering ``DEFAULT_TRANSFER_SYNTAXES``, in the order
pynetdicom users rely on (requestors propose the first 128 they pass).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dicomnet import sop_class as sc
from dicomnet.presentation import PresentationContext, build_context

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "AllStoragePresentationContexts",
    "ApplicationEventLoggingPresentationContexts",
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
]


def _contexts(uids: Iterable[str]) -> list[PresentationContext]:
    # A plain list, as in pynetdicom: users append to and slice these.
    return [build_context(uid) for uid in uids]


def _find_move_get(*models: tuple[str, str, str]) -> list[PresentationContext]:
    return _contexts(uid for model in models for uid in model)


VerificationPresentationContexts = _contexts([sc.Verification])

#: 120 Storage SOP classes: one A-ASSOCIATE-RQ carries at most 128 contexts
#: (PS3.8 9.3.2.2), which leaves room for a few more.
StoragePresentationContexts = _contexts(sc._COMMON_STORAGE)  # noqa: SLF001

#: Every current Storage SOP class (PS3.4 B.5): too many for one request, for
#: an SCP's supported contexts.
AllStoragePresentationContexts = _contexts(sc._ALL_STORAGE)  # noqa: SLF001

QueryRetrievePresentationContexts = _contexts(
    [
        sc.RepositoryQuery,
        sc.PatientRootQueryRetrieveInformationModelFind,
        sc.PatientRootQueryRetrieveInformationModelMove,
        sc.PatientRootQueryRetrieveInformationModelGet,
        sc.StudyRootQueryRetrieveInformationModelFind,
        sc.StudyRootQueryRetrieveInformationModelMove,
        sc.StudyRootQueryRetrieveInformationModelGet,
        sc.PatientStudyOnlyQueryRetrieveInformationModelFind,
        sc.PatientStudyOnlyQueryRetrieveInformationModelMove,
        sc.PatientStudyOnlyQueryRetrieveInformationModelGet,
        sc.CompositeInstanceRootRetrieveMove,
        sc.CompositeInstanceRootRetrieveGet,
        sc.CompositeInstanceRetrieveWithoutBulkDataGet,
    ]
)

BasicWorklistManagementPresentationContexts = _contexts(
    [sc.ModalityWorklistInformationModelFind]
)

ColorPalettePresentationContexts = _find_move_get(
    (
        sc.ColorPaletteQueryRetrieveInformationModelFind,
        sc.ColorPaletteQueryRetrieveInformationModelMove,
        sc.ColorPaletteQueryRetrieveInformationModelGet,
    )
)

DefinedProcedureProtocolPresentationContexts = _find_move_get(
    (
        sc.DefinedProcedureProtocolInformationModelFind,
        sc.DefinedProcedureProtocolInformationModelMove,
        sc.DefinedProcedureProtocolInformationModelGet,
    )
)

DisplaySystemPresentationContexts = _contexts([sc.DisplaySystem])

HangingProtocolPresentationContexts = _find_move_get(
    (
        sc.HangingProtocolInformationModelFind,
        sc.HangingProtocolInformationModelMove,
        sc.HangingProtocolInformationModelGet,
    )
)

ImplantTemplatePresentationContexts = _find_move_get(
    (
        sc.GenericImplantTemplateInformationModelFind,
        sc.GenericImplantTemplateInformationModelMove,
        sc.GenericImplantTemplateInformationModelGet,
    ),
    (
        sc.ImplantAssemblyTemplateInformationModelFind,
        sc.ImplantAssemblyTemplateInformationModelMove,
        sc.ImplantAssemblyTemplateInformationModelGet,
    ),
    (
        sc.ImplantTemplateGroupInformationModelFind,
        sc.ImplantTemplateGroupInformationModelMove,
        sc.ImplantTemplateGroupInformationModelGet,
    ),
)

InstanceAvailabilityPresentationContexts = _contexts(
    [sc.InstanceAvailabilityNotification]
)

MediaCreationManagementPresentationContexts = _contexts([sc.MediaCreationManagement])

MediaStoragePresentationContexts = _contexts([sc.MediaStorageDirectoryStorage])

_PROCEDURE_STEP = (
    sc.ModalityPerformedProcedureStep,
    sc.ModalityPerformedProcedureStepRetrieve,
    sc.ModalityPerformedProcedureStepNotification,
)
ModalityPerformedPresentationContexts = _contexts(_PROCEDURE_STEP)
#: The same three SOP classes (a separate list, as in pynetdicom).
ProcedureStepPresentationContexts = _contexts(_PROCEDURE_STEP)

#: PS3.4 GG.3: the Non-Patient Object Storage SOP classes.
NonPatientObjectPresentationContexts = _contexts(
    [
        sc.HangingProtocolStorage,
        sc.ColorPaletteStorage,
        sc.GenericImplantTemplateStorage,
        sc.ImplantAssemblyTemplateStorage,
        sc.ImplantTemplateGroupStorage,
        sc.CTDefinedProcedureProtocolStorage,
        sc.ProtocolApprovalStorage,
        sc.XADefinedProcedureProtocolStorage,
        sc.InventoryStorage,
    ]
)

PrintManagementPresentationContexts = _contexts(
    [
        sc.BasicFilmSession,
        sc.PrintJob,
        sc.BasicAnnotationBox,
        sc.Printer,
        sc.PrinterConfigurationRetrieval,
        sc.BasicColorPrintManagementMeta,
        sc.BasicGrayscalePrintManagementMeta,
        sc.BasicFilmBox,
        sc.BasicGrayscaleImageBox,
        sc.BasicColorImageBox,
        sc.PresentationLUT,
    ]
)

ProtocolApprovalPresentationContexts = _find_move_get(
    (
        sc.ProtocolApprovalInformationModelFind,
        sc.ProtocolApprovalInformationModelMove,
        sc.ProtocolApprovalInformationModelGet,
    )
)

RelevantPatientInformationPresentationContexts = _contexts(
    [
        sc.GeneralRelevantPatientInformationQuery,
        sc.BreastImagingRelevantPatientInformationQuery,
        sc.CardiacRelevantPatientInformationQuery,
    ]
)

RTMachineVerificationPresentationContexts = _contexts(
    [sc.RTConventionalMachineVerification, sc.RTIonMachineVerification]
)

StorageCommitmentPresentationContexts = _contexts([sc.StorageCommitmentPushModel])

SubstanceAdministrationPresentationContexts = _contexts(
    [sc.ProductCharacteristicsQuery, sc.SubstanceApprovalQuery]
)

UnifiedProcedurePresentationContexts = _contexts(
    [
        sc.UnifiedProcedureStepPush,
        sc.UnifiedProcedureStepWatch,
        sc.UnifiedProcedureStepPull,
        sc.UnifiedProcedureStepEvent,
        sc.UnifiedProcedureStepQuery,
    ]
)

ApplicationEventLoggingPresentationContexts = _contexts(
    [sc.ProceduralEventLogging, sc.SubstanceAdministrationLogging]
)
