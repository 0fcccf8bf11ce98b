"""Generate ``src/dicomnet/sop_class.py`` from pydicom's UID dictionary.

Usage::

    python tools/gen_sop_class.py            # rewrite src/dicomnet/sop_class.py
    python tools/gen_sop_class.py --check    # exit 1 if the file is stale
    python tools/gen_sop_class.py OUTPUT     # write elsewhere (tests do)

Every SOP class, meta SOP class and well-known SOP instance of
``pydicom._uid_dict.UID_dictionary`` with a keyword becomes a ``SOPClass``
attribute, with the service class PS3.4 assigns it. The assignment is made by
the ordered rules of :func:`service_class_of`: explicit tables first, then
rules on the keyword, the name and the UID's arc, so each SOP class lands by
exactly one visible rule (``tests/tools/test_generators.py`` checks them).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import pydicom
from pydicom._uid_dict import UID_dictionary

if TYPE_CHECKING:
    from collections.abc import Callable

OUTPUT = Path(__file__).resolve().parents[1] / "src" / "dicomnet" / "sop_class.py"

_KINDS = ("SOP Class", "Meta SOP Class", "Well-known SOP Instance")

# SOP classes of DICOM 2025b that pydicom 3.0's dictionary lacks (PS3.6 Table
# A-1); pydicom versions that have them make these rows no-ops.
EXTRA_UIDS: dict[str, tuple[str, str, str, str, str]] = {
    "1.2.840.10008.5.1.4.1.1.9.100.1": (
        "Waveform Presentation State Storage",
        "SOP Class",
        "",
        "",
        "WaveformPresentationStateStorage",
    ),
    "1.2.840.10008.5.1.4.1.1.9.100.2": (
        "Waveform Acquisition Presentation State Storage",
        "SOP Class",
        "",
        "",
        "WaveformAcquisitionPresentationStateStorage",
    ),
    "1.2.840.10008.5.1.4.1.1.66.7": (
        "Label Map Segmentation Storage",
        "SOP Class",
        "",
        "",
        "LabelMapSegmentationStorage",
    ),
    "1.2.840.10008.5.1.4.1.1.66.8": (
        "Height Map Segmentation Storage",
        "SOP Class",
        "",
        "",
        "HeightMapSegmentationStorage",
    ),
}

# Rule 1: SOP classes named one by one, by the PS3.4 annex defining them.
EXPLICIT: dict[str, tuple[str, str]] = {
    # keyword: (service class, DIMSE message for Q/R-style classes)
    "Verification": ("VerificationServiceClass", ""),  # A
    "MediaStorageDirectoryStorage": (
        "ServiceClass",
        "",
    ),  # PS3.10, not a network service
    "StorageCommitmentPushModel": ("StorageCommitmentServiceClass", ""),  # J.3
    "StorageCommitmentPushModelInstance": ("StorageCommitmentServiceClass", ""),
    "StorageCommitmentPullModel": ("StorageCommitmentServiceClass", ""),  # retired
    "StorageCommitmentPullModelInstance": ("StorageCommitmentServiceClass", ""),
    "ProceduralEventLogging": ("ApplicationEventLoggingServiceClass", ""),  # P.1
    "ProceduralEventLoggingInstance": ("ApplicationEventLoggingServiceClass", ""),
    "SubstanceAdministrationLogging": ("ApplicationEventLoggingServiceClass", ""),
    "SubstanceAdministrationLoggingInstance": (
        "ApplicationEventLoggingServiceClass",
        "",
    ),
    "ModalityPerformedProcedureStep": ("ProcedureStepServiceClass", ""),  # F.7
    "ModalityPerformedProcedureStepRetrieve": ("ProcedureStepServiceClass", ""),
    "ModalityPerformedProcedureStepNotification": ("ProcedureStepServiceClass", ""),
    "MediaCreationManagement": ("MediaCreationManagementServiceClass", ""),  # S
    "DisplaySystem": ("DisplaySystemManagementServiceClass", ""),  # EE
    "DisplaySystemInstance": ("DisplaySystemManagementServiceClass", ""),
    "InstanceAvailabilityNotification": (
        "InstanceAvailabilityNotificationServiceClass",
        "",
    ),  # R
    "InventoryCreation": ("StorageManagementServiceClass", ""),  # LL
    "StorageManagementInstance": ("StorageManagementServiceClass", ""),
    "RepositoryQuery": ("QueryRetrieveServiceClass", "C-FIND"),  # C.6.4
    "ModalityWorklistInformationModelFind": (
        "BasicWorklistManagementServiceClass",
        "C-FIND",
    ),  # K.6
    "ProductCharacteristicsQuery": (
        "SubstanceAdministrationQueryServiceClass",
        "C-FIND",
    ),  # V.6
    "SubstanceApprovalQuery": ("SubstanceAdministrationQueryServiceClass", "C-FIND"),
}

# Rule 4: PS3.4 GG.3, Table GG.3-1: the Non-Patient Object Storage SOP classes
# (and the well-known Color Palette instances of PS3.6 A-1).
NON_PATIENT_STORAGE = frozenset(
    {
        "HangingProtocolStorage",
        "ColorPaletteStorage",
        "GenericImplantTemplateStorage",
        "ImplantAssemblyTemplateStorage",
        "ImplantTemplateGroupStorage",
        "CTDefinedProcedureProtocolStorage",
        "XADefinedProcedureProtocolStorage",
        "ProtocolApprovalStorage",
        "InventoryStorage",
    }
)

# Rules 2 and 3: information-model prefixes -> service class (PS3.4 annex); the
# keyword's Find/Move/Get suffix gives the DIMSE message.
MODEL_PREFIXES: tuple[tuple[str, str], ...] = (
    ("PatientRootQueryRetrieve", "QueryRetrieveServiceClass"),  # C.6.1
    ("StudyRootQueryRetrieve", "QueryRetrieveServiceClass"),  # C.6.2
    ("PatientStudyOnlyQueryRetrieve", "QueryRetrieveServiceClass"),  # C.6.3
    ("CompositeInstance", "QueryRetrieveServiceClass"),  # Y, Z
    ("HangingProtocolInformationModel", "HangingProtocolQueryRetrieveServiceClass"),
    ("ColorPaletteQueryRetrieve", "ColorPaletteQueryRetrieveServiceClass"),
    (
        "DefinedProcedureProtocolInformationModel",
        "DefinedProcedureProtocolQueryRetrieveServiceClass",
    ),
    ("GenericImplantTemplate", "ImplantTemplateQueryRetrieveServiceClass"),
    ("ImplantAssemblyTemplate", "ImplantTemplateQueryRetrieveServiceClass"),
    ("ImplantTemplateGroup", "ImplantTemplateQueryRetrieveServiceClass"),
    ("ProtocolApprovalInformationModel", "ProtocolApprovalQueryRetrieveServiceClass"),
    ("Inventory", "InventoryQueryRetrieveServiceClass"),  # KK
)
MESSAGE_SUFFIXES = {"Find": "C-FIND", "Get": "C-GET", "Move": "C-MOVE"}

# The UID arc of PS3.4 Annex H, Print Management (rule 9).
PRINT_ARC = "1.2.840.10008.5.1.1."

N_CLASSES = frozenset(
    {
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
    }
)

# StoragePresentationContexts holds 120 of the Storage SOP classes, so that it
# fits one A-ASSOCIATE-RQ (128 contexts, PS3.8 9.3.2.2) with room to spare. The
# 120 are the ones a pynetdicom 3 user gets, for compatibility; these are the
# Storage SOP classes left out (the newer, rarer ones).
NOT_IN_STORAGE_120 = frozenset(
    {
        "EncapsulatedSTLStorage",
        "EncapsulatedOBJStorage",
        "EncapsulatedMTLStorage",
        "GrayscalePlanarMPRVolumetricPresentationStateStorage",
        "CompositingPlanarMPRVolumetricPresentationStateStorage",
        "AdvancedBlendingPresentationStateStorage",
        "VolumeRenderingVolumetricPresentationStateStorage",
        "SegmentedVolumeRenderingVolumetricPresentationStateStorage",
        "MultipleVolumeRenderingVolumetricPresentationStateStorage",
        "VariableModalityLUTSoftcopyPresentationStateStorage",
        "BreastProjectionXRayImageStorageForPresentation",
        "BreastProjectionXRayImageStorageForProcessing",
        "CTPerformedProcedureProtocolStorage",
        "XAPerformedProcedureProtocolStorage",
        "ParametricMapStorage",
        "RTPhysicianIntentStorage",
        "RTSegmentAnnotationStorage",
        "RTRadiationSetStorage",
        "CArmPhotonElectronRadiationStorage",
        "TomotherapeuticRadiationStorage",
        "RoboticArmRadiationStorage",
        "RTRadiationRecordSetStorage",
        "RTRadiationSalvageRecordStorage",
        "TomotherapeuticRadiationRecordStorage",
        "CArmPhotonElectronRadiationRecordStorage",
        "RoboticRadiationRecordStorage",
        "RTRadiationSetDeliveryInstructionStorage",
        "RTTreatmentPreparationStorage",
        "EnhancedRTImageStorage",
        "EnhancedContinuousRTImageStorage",
        "RTPatientPositionAcquisitionInstructionStorage",
        "PhotoacousticImageStorage",
        "TractographyResultsStorage",
        "LabelMapSegmentationStorage",
        "HeightMapSegmentationStorage",
        "WideFieldOphthalmicPhotographyStereographicProjectionImageStorage",
        "WideFieldOphthalmicPhotography3DCoordinatesImageStorage",
        "OphthalmicOpticalCoherenceTomographyEnFaceImageStorage",
        "OphthalmicOpticalCoherenceTomographyBscanVolumeAnalysisStorage",
        "DermoscopicPhotographyImageStorage",
        "ConfocalMicroscopyImageStorage",
        "ConfocalMicroscopyTiledPyramidalImageStorage",
        "CornealTopographyMapStorage",
        "ExtensibleSRStorage",
        "RadiopharmaceuticalRadiationDoseSRStorage",
        "AcquisitionContextSRStorage",
        "SimplifiedAdultEchoSRStorage",
        "PatientRadiationDoseSRStorage",
        "PlannedImagingAgentAdministrationSRStorage",
        "PerformedImagingAgentAdministrationSRStorage",
        "EnhancedXRayRadiationDoseSRStorage",
        "WaveformAnnotationSRStorage",
        "General32bitECGWaveformStorage",
        "WaveformPresentationStateStorage",
        "WaveformAcquisitionPresentationStateStorage",
        "MultichannelRespiratoryWaveformStorage",
        "RoutineScalpElectroencephalogramWaveformStorage",
        "ElectromyogramWaveformStorage",
        "ElectrooculogramWaveformStorage",
        "SleepElectroencephalogramWaveformStorage",
        "BodyPositionWaveformStorage",
        "ContentAssessmentResultsStorage",
        "MicroscopyBulkSimpleAnnotationsStorage",
        "RTBrachyApplicationSetupDeliveryInstructionStorage",
    }
)


# ... and the retired Storage SOP classes it keeps (PS3.4 B.5 of older
# editions), which old modalities still send.
RETIRED_IN_STORAGE_120 = frozenset(
    {
        "StoredPrintStorage",
        "HardcopyGrayscaleImageStorage",
        "HardcopyColorImageStorage",
        "UltrasoundMultiFrameImageStorageRetired",
        "NuclearMedicineImageStorageRetired",
        "UltrasoundImageStorageRetired",
        "StandaloneOverlayStorage",
        "StandaloneCurveStorage",
        "StandaloneModalityLUTStorage",
        "StandaloneVOILUTStorage",
        "XRayAngiographicBiPlaneImageStorage",
        "VLImageStorageTrial",
        "VLMultiFrameImageStorageTrial",
        "StandalonePETCurveStorage",
    }
)


class Entry(NamedTuple):
    """One generated SOP class."""

    uid: str
    keyword: str
    name: str
    kind: str
    retired: bool
    info: str
    service_class: str
    msg_type: str


def _model_rule(keyword: str) -> tuple[str, str] | None:
    for prefix, service in MODEL_PREFIXES:
        if keyword.startswith(prefix):
            for suffix, message in MESSAGE_SUFFIXES.items():
                if keyword.endswith(suffix):
                    return service, message
    return None


def _named(uid: str, keyword: str, name: str) -> bool:
    del uid, name
    return keyword in NON_PATIENT_STORAGE or keyword.endswith("Palette")


# Rules 4 to 7, tried in order: (test on (uid, keyword, name), result).
RULES: tuple[tuple[Callable[[str, str, str], bool], tuple[str, str]], ...] = (
    # 4: GG.3 non-patient objects and the Color Palette instances.
    (_named, ("NonPatientObjectStorageServiceClass", "")),
    # 5: Q.6 Relevant Patient Information Query.
    (
        lambda _u, k, _n: k.endswith("RelevantPatientInformationQuery"),
        ("RelevantPatientInformationQueryServiceClass", "C-FIND"),
    ),
    # 6: CC.3 Unified Procedure Step (and its well-known instances).
    (
        lambda _u, k, _n: k.startswith(("UnifiedProcedureStep", "UPS")),
        ("UnifiedProcedureStepServiceClass", ""),
    ),
    # 7: DD.3 RT Machine Verification.
    (
        lambda _u, k, _n: "MachineVerification" in k,
        ("RTMachineVerificationServiceClass", ""),
    ),
    # 8: B.5 Storage, retired and DICOS/DICONDE ones too.
    (lambda _u, _k, n: "Storage" in n, ("StorageServiceClass", "")),
    # 9: H, everything else under the Print Management arc.
    (lambda u, _k, _n: u.startswith(PRINT_ARC), ("PrintManagementServiceClass", "")),
)


def service_class_of(uid: str, keyword: str, name: str) -> tuple[str, str]:
    """Return ``(service class name, DIMSE message)`` for a SOP class."""
    if keyword in EXPLICIT:  # rule 1
        return EXPLICIT[keyword]
    model = _model_rule(keyword)  # rules 2 and 3
    if model is not None:
        return model
    for matches, result in RULES:
        if matches(uid, keyword, name):
            return result
    # Rule 10: retired services with no service class here (Detached ...
    # Management, Study Content Notification, General Purpose Worklist) and
    # the real-time video SOP classes, which DIMSE does not carry.
    return "ServiceClass", ""


def entries() -> list[Entry]:
    """Return the SOP classes to generate, in the dictionary's order."""
    table = dict(UID_dictionary)
    for uid, row in EXTRA_UIDS.items():
        table.setdefault(uid, row)
    result = []
    for uid, (name, kind, info, retired, keyword) in table.items():
        if kind not in _KINDS or not keyword:
            continue
        service, message = service_class_of(uid, keyword, name)
        result.append(
            Entry(uid, keyword, name, kind, bool(retired), info, service, message)
        )
    return result


def _is_all_storage(entry: Entry) -> bool:
    # PS3.4 B.5: current Storage SOP classes; DICOS/DICONDE (info column) are
    # defined by other standards and not offered by default.
    return (
        entry.service_class == "StorageServiceClass"
        and entry.kind == "SOP Class"
        and not entry.retired
        and not entry.info
    )


def _uid_key(uid: str) -> tuple[int, ...]:
    return tuple(int(arc) for arc in uid.split("."))


_HEADER = '''\
"""Every SOP class of the DICOM dictionary, by keyword (PS3.4, PS3.6 Table A-1).

GENERATED by tools/gen_sop_class.py from pydicom {version}'s UID dictionary.
DO NOT EDIT BY HAND: change the generator and run it again.

Each name is a :class:`~dicomnet._sop_registry.SOPClass` whose
``service_class`` is the PS3.4 service class of the SOP class.
"""

from __future__ import annotations

from typing import Final

from dicomnet import service_class as _c
from dicomnet import service_class_n as _n
from dicomnet._sop_registry import (
    SOPClass,
    _add,
    register_uid,
    uid_to_dimse_msg_type,
    uid_to_service_class,
    uid_to_sop_class,
)

__all__ = [
    "SOPClass",
    "register_uid",
    "uid_to_dimse_msg_type",
    "uid_to_service_class",
    "uid_to_sop_class",
]

'''


def _line(entry: Entry) -> str:
    module = "_n" if entry.service_class in N_CLASSES else "_c"
    # Double quotes, as ruff format writes them: UIDs and keywords hold none.
    args = [f'"{entry.uid}"', f'"{entry.keyword}"', f"{module}.{entry.service_class}"]
    if entry.msg_type:
        args.append(f'"{entry.msg_type}"')
    tag = " (retired)" if entry.retired else ""
    return (
        f"# {entry.name}{tag}\n"
        f"{entry.keyword} = _add(\n    " + ",\n    ".join(args) + ",\n)\n"
    )


#: Names pynetdicom 3 exports that differ from pydicom's keywords (older
#: keywords, and spellings of its own), so that a pynetdicom program keeps
#: running: alias -> the keyword of the same UID.
COMPAT_ALIASES = {
    "ColorPaletteInformationModelFind": "ColorPaletteQueryRetrieveInformationModelFind",
    "ColorPaletteInformationModelGet": "ColorPaletteQueryRetrieveInformationModelGet",
    "ColorPaletteInformationModelMove": "ColorPaletteQueryRetrieveInformationModelMove",
    "ModalityWorklistInformationFind": "ModalityWorklistInformationModelFind",
    "OphthlamicOpticalCoherenceTomographyBscanVolumeAnalysisStorage": (
        "OphthalmicOpticalCoherenceTomographyBscanVolumeAnalysisStorage"
    ),
    "PseudoColorSoftcopyPresentationStageStorage": (
        "PseudoColorSoftcopyPresentationStateStorage"
    ),
    "RTBrachyApplicationSetupDeliveryInstructionsStorage": (
        "RTBrachyApplicationSetupDeliveryInstructionStorage"
    ),
    "RoboticArmRadiationRecordStorage": "RoboticRadiationRecordStorage",
    "VariableModalityLUTSoftcopyPresentationStageStorage": (
        "VariableModalityLUTSoftcopyPresentationStateStorage"
    ),
}


def _aliases(rows: list[Entry]) -> str:
    known = {entry.keyword for entry in rows}
    lines = ["# pynetdicom's names for the same SOP classes (compatibility aliases)."]
    for alias, keyword in COMPAT_ALIASES.items():
        if keyword not in known:
            continue
        line = f"{alias} = {keyword}"
        # As ruff format writes an assignment over 88 characters.
        lines.append(line if len(line) <= 88 else f"{alias} = (\n    {keyword}\n)")
    return "\n".join(lines) + "\n"


def _tuple(name: str, doc: str, keywords: list[str]) -> str:
    body = "".join(f"    {keyword},\n" for keyword in keywords)
    return f"#: {doc}\n{name}: Final[tuple[SOPClass, ...]] = (\n{body})\n"


def render() -> str:
    """Return the text of ``sop_class.py``."""
    rows = entries()
    parts = [_HEADER.format(version=pydicom.__version__)]
    parts.extend(_line(entry) for entry in rows)
    parts.append(_aliases(rows))
    storage = sorted(filter(_is_all_storage, rows), key=lambda e: _uid_key(e.uid))
    common = sorted(
        (
            e
            for e in rows
            if (_is_all_storage(e) and e.keyword not in NOT_IN_STORAGE_120)
            or e.keyword in RETIRED_IN_STORAGE_120
        ),
        key=lambda e: _uid_key(e.uid),
    )
    parts.append(
        _tuple(
            "_ALL_STORAGE",
            "Every current Storage SOP class (PS3.4 B.5), in UID order.",
            [e.keyword for e in storage],
        )
    )
    parts.append(
        _tuple(
            "_COMMON_STORAGE",
            "The 120 Storage SOP classes of StoragePresentationContexts.",
            [e.keyword for e in common],
        )
    )
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    """Write (or with ``--check``, compare) the generated module."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", nargs="?", type=Path, default=OUTPUT)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        stale = not args.output.exists() or args.output.read_text() != text
        if stale:
            print(
                f"{args.output} is stale: run tools/gen_sop_class.py", file=sys.stderr
            )
        return int(stale)
    args.output.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
