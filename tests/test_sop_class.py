from __future__ import annotations

import pytest
from pydicom.uid import UID

from dicomnet import presentation_contexts as pc
from dicomnet import service_class as c
from dicomnet import service_class_n as n
from dicomnet import sop_class
from dicomnet._globals import DEFAULT_TRANSFER_SYNTAXES
from dicomnet.sop_class import (
    SOPClass,
    register_uid,
    uid_to_dimse_msg_type,
    uid_to_service_class,
    uid_to_sop_class,
)

# Known SOP classes and the PS3.4 annex that defines their service class.
KNOWN = [
    ("1.2.840.10008.1.1", c.VerificationServiceClass),  # A
    ("1.2.840.10008.5.1.4.1.1.2", c.StorageServiceClass),  # B.5 CT
    ("1.2.840.10008.5.1.4.1.1.4", c.StorageServiceClass),  # MR
    ("1.2.840.10008.5.1.4.1.1.1.1", c.StorageServiceClass),  # DX for presentation
    ("1.2.840.10008.5.1.4.1.1.88.11", c.StorageServiceClass),  # Basic Text SR
    ("1.2.840.10008.5.1.4.1.1.104.1", c.StorageServiceClass),  # Encapsulated PDF
    ("1.2.840.10008.5.1.4.1.1.481.5", c.StorageServiceClass),  # RT Plan
    ("1.2.840.10008.5.1.4.1.1.6", c.StorageServiceClass),  # US, retired
    ("1.2.840.10008.5.1.4.34.7", c.StorageServiceClass),  # RT Beams Delivery Instr.
    ("1.2.840.10008.5.1.4.1.1.66.7", c.StorageServiceClass),  # Label Map Seg (2025b)
    ("1.2.840.10008.5.1.4.1.2.1.1", c.QueryRetrieveServiceClass),  # C.6.1
    ("1.2.840.10008.5.1.4.1.2.2.2", c.QueryRetrieveServiceClass),  # C.6.2
    ("1.2.840.10008.5.1.4.1.2.3.3", c.QueryRetrieveServiceClass),  # C.6.3
    ("1.2.840.10008.5.1.4.1.2.4.3", c.QueryRetrieveServiceClass),  # Z
    ("1.2.840.10008.5.1.4.1.2.5.3", c.QueryRetrieveServiceClass),  # Y
    ("1.2.840.10008.5.1.4.1.1.201.6", c.QueryRetrieveServiceClass),  # Repository Query
    ("1.2.840.10008.5.1.4.31", c.BasicWorklistManagementServiceClass),  # K
    ("1.2.840.10008.5.1.4.37.1", c.RelevantPatientInformationQueryServiceClass),  # Q
    ("1.2.840.10008.5.1.4.41", c.SubstanceAdministrationQueryServiceClass),  # V
    ("1.2.840.10008.5.1.4.38.1", c.NonPatientObjectStorageServiceClass),  # GG
    ("1.2.840.10008.5.1.4.39.1", c.NonPatientObjectStorageServiceClass),
    ("1.2.840.10008.5.1.4.1.1.200.1", c.NonPatientObjectStorageServiceClass),
    ("1.2.840.10008.5.1.4.1.1.200.2", c.StorageServiceClass),  # CT Performed PP: B.5
    ("1.2.840.10008.5.1.4.38.2", c.HangingProtocolQueryRetrieveServiceClass),  # U
    ("1.2.840.10008.5.1.4.20.1", c.DefinedProcedureProtocolQueryRetrieveServiceClass),
    ("1.2.840.10008.5.1.4.39.4", c.ColorPaletteQueryRetrieveServiceClass),  # X
    ("1.2.840.10008.5.1.4.44.3", c.ImplantTemplateQueryRetrieveServiceClass),  # BB
    ("1.2.840.10008.5.1.4.1.1.200.4", c.ProtocolApprovalQueryRetrieveServiceClass),
    ("1.2.840.10008.5.1.4.1.1.201.2", c.InventoryQueryRetrieveServiceClass),  # KK
    ("1.2.840.10008.5.1.4.1.1.201.5", n.StorageManagementServiceClass),  # LL
    ("1.2.840.10008.3.1.2.3.3", n.ProcedureStepServiceClass),  # F
    ("1.2.840.10008.5.1.1.40", n.DisplaySystemManagementServiceClass),  # EE
    ("1.2.840.10008.5.1.4.33", n.InstanceAvailabilityNotificationServiceClass),  # R
    ("1.2.840.10008.5.1.1.33", n.MediaCreationManagementServiceClass),  # S
    ("1.2.840.10008.5.1.1.1", n.PrintManagementServiceClass),  # H
    ("1.2.840.10008.5.1.1.9", n.PrintManagementServiceClass),  # meta SOP class
    ("1.2.840.10008.5.1.1.17", n.PrintManagementServiceClass),  # Printer SOP Instance
    ("1.2.840.10008.1.20.1", n.StorageCommitmentServiceClass),  # J
    ("1.2.840.10008.1.40", n.ApplicationEventLoggingServiceClass),  # P
    ("1.2.840.10008.5.1.4.34.8", n.RTMachineVerificationServiceClass),  # DD
    ("1.2.840.10008.5.1.4.34.6.1", n.UnifiedProcedureStepServiceClass),  # CC
    ("1.2.840.10008.5.1.4.34.6.5", n.UnifiedProcedureStepServiceClass),
    ("1.2.840.10008.3.1.2.1.1", c.ServiceClass),  # retired Detached Patient Mgmt
    ("1.2.840.10008.10.1", c.ServiceClass),  # real-time video, not DIMSE
    ("1.2.840.10008.1.3.10", c.ServiceClass),  # DICOMDIR: media, not network
]


@pytest.mark.parametrize(("uid", "service"), KNOWN)
def test_known_uids(uid, service):
    assert uid_to_service_class(uid) is service
    assert uid_to_service_class(UID(uid)) is service
    sop = uid_to_sop_class(uid)
    assert isinstance(sop, SOPClass)
    assert sop == uid
    assert sop.service_class is service


def test_attributes_are_sop_classes_with_uid_api():
    ct = sop_class.CTImageStorage
    assert isinstance(ct, SOPClass)
    assert isinstance(ct, UID)
    assert isinstance(ct, str)
    assert ct == "1.2.840.10008.5.1.4.1.1.2"
    assert ct.name == "CT Image Storage"
    assert ct.keyword == "CTImageStorage"
    assert ct.is_valid
    assert uid_to_sop_class(ct) is ct
    assert sop_class.Verification.service_class is c.VerificationServiceClass
    assert sop_class.PrinterInstance == "1.2.840.10008.5.1.1.17"
    assert sop_class.BasicGrayscalePrintManagementMeta == "1.2.840.10008.5.1.1.9"


def test_unknown_uid():
    sop = uid_to_sop_class("1.2.3.4.5.6.7")
    assert isinstance(sop, SOPClass)
    assert sop == "1.2.3.4.5.6.7"
    assert sop.service_class is c.ServiceClass
    assert uid_to_service_class("1.2.3.4.5.6.7") is c.ServiceClass
    assert uid_to_dimse_msg_type("1.2.3.4.5.6.7") == ""


@pytest.mark.parametrize(
    ("keyword", "message"),
    [
        ("PatientRootQueryRetrieveInformationModelFind", "C-FIND"),
        ("StudyRootQueryRetrieveInformationModelMove", "C-MOVE"),
        ("CompositeInstanceRootRetrieveGet", "C-GET"),
        ("ModalityWorklistInformationModelFind", "C-FIND"),
        ("ImplantTemplateGroupInformationModelGet", "C-GET"),
        ("CTImageStorage", ""),
    ],
)
def test_dimse_msg_type(keyword, message):
    assert uid_to_dimse_msg_type(getattr(sop_class, keyword)) == message


class TestRegisterUID:
    def test_storage(self):
        register_uid(
            "1.2.826.0.1.3680043.9.9999.1", "PrivateFooStorage", c.StorageServiceClass
        )
        foo = sop_class.PrivateFooStorage
        assert isinstance(foo, SOPClass)
        assert foo == "1.2.826.0.1.3680043.9.9999.1"
        assert foo.service_class is c.StorageServiceClass
        assert uid_to_sop_class(foo) is foo

    def test_qr_needs_message_type(self):
        uid = "1.2.826.0.1.3680043.9.9999.2"
        with pytest.raises(ValueError, match="dimse_msg_type"):
            register_uid(uid, "PrivateQRFind", c.QueryRetrieveServiceClass)
        with pytest.raises(ValueError, match="dimse_msg_type"):
            register_uid(uid, "PrivateQRFind", c.QueryRetrieveServiceClass, "C-STORE")
        register_uid(uid, "PrivateQRFind", c.QueryRetrieveServiceClass, "C-FIND")
        assert uid_to_dimse_msg_type(uid) == "C-FIND"
        assert sop_class.PrivateQRFind.service_class is c.QueryRetrieveServiceClass

    def test_single_message_classes(self):
        uid = "1.2.826.0.1.3680043.9.9999.3"
        register_uid(
            uid, "PrivateWorklist", c.BasicWorklistManagementServiceClass, "C-FIND"
        )
        assert uid_to_dimse_msg_type(uid) == "C-FIND"
        with pytest.raises(ValueError, match="does not serve"):
            register_uid(
                uid, "PrivateWorklist", c.BasicWorklistManagementServiceClass, "C-GET"
            )

    def test_reregistering_a_sop_class_keyword_replaces_it(self):
        register_uid(
            "1.2.826.0.1.3680043.9.9999.4", "PrivateBar", c.StorageServiceClass
        )
        register_uid(
            "1.2.826.0.1.3680043.9.9999.5", "PrivateBar", n.PrintManagementServiceClass
        )
        assert sop_class.PrivateBar == "1.2.826.0.1.3680043.9.9999.5"
        assert sop_class.PrivateBar.service_class is n.PrintManagementServiceClass

    @pytest.mark.parametrize("keyword", ["1Foo", "class", "has space", "", b"Foo"])
    def test_bad_keyword(self, keyword):
        with pytest.raises(ValueError, match="keyword"):
            register_uid("1.2.826.0.1.3680043.9.9999.6", keyword, c.StorageServiceClass)

    @pytest.mark.parametrize("uid", ["1.2.3.x", "", "1" * 65, ".1.2", 123])
    def test_bad_uid(self, uid):
        with pytest.raises(ValueError, match="UID"):
            register_uid(uid, "PrivateBaz", c.StorageServiceClass)

    @pytest.mark.parametrize(
        "service", [int, c.StorageServiceClass(None), "StorageServiceClass"]
    )
    def test_bad_service_class(self, service):
        with pytest.raises(TypeError, match="ServiceClass"):
            register_uid("1.2.826.0.1.3680043.9.9999.7", "PrivateQux", service)

    def test_module_functions_cannot_be_shadowed(self):
        with pytest.raises(ValueError, match="already used"):
            register_uid(
                "1.2.826.0.1.3680043.9.9999.8", "register_uid", c.StorageServiceClass
            )
        assert callable(sop_class.register_uid)


def test_no_keyword_is_bound_twice():
    # Generated names are unique: a duplicate would silently rebind an attribute.
    import ast
    from pathlib import Path

    tree = ast.parse(Path(sop_class.__file__).read_text())
    names = [
        t.id
        for node in tree.body
        if isinstance(node, ast.Assign)
        for t in node.targets
        if isinstance(t, ast.Name)
    ]
    assert len(names) == len(set(names))


# pynetdicom-api.md 1.2: the 24 lists and their sizes.
COUNTS = {
    "VerificationPresentationContexts": 1,
    "StoragePresentationContexts": 120,
    "AllStoragePresentationContexts": 170,
    "QueryRetrievePresentationContexts": 13,
    "BasicWorklistManagementPresentationContexts": 1,
    "ColorPalettePresentationContexts": 3,
    "DefinedProcedureProtocolPresentationContexts": 3,
    "DisplaySystemPresentationContexts": 1,
    "HangingProtocolPresentationContexts": 3,
    "ImplantTemplatePresentationContexts": 9,
    "InstanceAvailabilityPresentationContexts": 1,
    "MediaCreationManagementPresentationContexts": 1,
    "MediaStoragePresentationContexts": 1,
    "ModalityPerformedPresentationContexts": 3,
    "ProcedureStepPresentationContexts": 3,
    "NonPatientObjectPresentationContexts": 9,
    "PrintManagementPresentationContexts": 11,
    "ProtocolApprovalPresentationContexts": 3,
    "RelevantPatientInformationPresentationContexts": 3,
    "RTMachineVerificationPresentationContexts": 2,
    "StorageCommitmentPresentationContexts": 1,
    "SubstanceAdministrationPresentationContexts": 2,
    "UnifiedProcedurePresentationContexts": 5,
    "ApplicationEventLoggingPresentationContexts": 2,
}


def test_presentation_context_lists():
    assert set(pc.__all__) == set(COUNTS)
    for name, count in COUNTS.items():
        contexts = getattr(pc, name)
        assert isinstance(contexts, list), name
        assert len(contexts) == count, name
        syntaxes = [cx.abstract_syntax for cx in contexts]
        assert len(set(syntaxes)) == count, name
        for cx in contexts:
            assert cx.context_id is None
            assert cx.transfer_syntax == DEFAULT_TRANSFER_SYNTAXES
            assert cx.scu_role is None
            assert cx.scp_role is None


def test_storage_lists():
    all_storage = {cx.abstract_syntax for cx in pc.AllStoragePresentationContexts}
    for uid in all_storage:
        assert uid_to_service_class(uid) is c.StorageServiceClass
    assert sop_class.CTImageStorage in all_storage
    # Retired classes are offered only in the 120 (old modalities send them).
    assert sop_class.UltrasoundImageStorageRetired not in all_storage
    common = {cx.abstract_syntax for cx in pc.StoragePresentationContexts}
    assert sop_class.UltrasoundImageStorageRetired in common
    for keyword in (
        "CTImageStorage",
        "MRImageStorage",
        "SecondaryCaptureImageStorage",
        "ComputedRadiographyImageStorage",
        "UltrasoundImageStorage",
        "EnhancedSRStorage",
        "RTDoseStorage",
        "SegmentationStorage",
    ):
        assert getattr(sop_class, keyword) in common


def test_query_retrieve_order():
    syntaxes = [cx.abstract_syntax for cx in pc.QueryRetrievePresentationContexts]
    assert syntaxes[0] == sop_class.RepositoryQuery
    assert syntaxes[1:4] == [
        sop_class.PatientRootQueryRetrieveInformationModelFind,
        sop_class.PatientRootQueryRetrieveInformationModelMove,
        sop_class.PatientRootQueryRetrieveInformationModelGet,
    ]
    assert syntaxes[-1] == sop_class.CompositeInstanceRetrieveWithoutBulkDataGet


def test_lists_are_independent():
    # Users mutate these; two lists must not share context objects.
    first = pc.ModalityPerformedPresentationContexts[0]
    assert first is not pc.ProcedureStepPresentationContexts[0]
