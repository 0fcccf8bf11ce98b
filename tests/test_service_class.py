from __future__ import annotations

import inspect

import pytest

from dicomnet import service_class, service_class_n, status
from dicomnet.service_class import (
    QueryRetrieveServiceClass,
    ServiceClass,
    StorageServiceClass,
    VerificationServiceClass,
)
from dicomnet.service_class_n import (
    PrintManagementServiceClass,
    UnifiedProcedureStepServiceClass,
)

# pynetdicom-api.md 8.1: the names users import.
NAMES = [
    "ServiceClass",
    "VerificationServiceClass",
    "StorageServiceClass",
    "QueryRetrieveServiceClass",
    "BasicWorklistManagementServiceClass",
    "RelevantPatientInformationQueryServiceClass",
    "SubstanceAdministrationQueryServiceClass",
    "NonPatientObjectStorageServiceClass",
    "HangingProtocolQueryRetrieveServiceClass",
    "DefinedProcedureProtocolQueryRetrieveServiceClass",
    "ColorPaletteQueryRetrieveServiceClass",
    "ImplantTemplateQueryRetrieveServiceClass",
    "ProtocolApprovalQueryRetrieveServiceClass",
    "InventoryQueryRetrieveServiceClass",
    "StorageManagementServiceClass",
    "ProcedureStepServiceClass",
    "DisplaySystemManagementServiceClass",
    "InstanceAvailabilityNotificationServiceClass",
    "MediaCreationManagementServiceClass",
    "PrintManagementServiceClass",
    "StorageCommitmentServiceClass",
    "ApplicationEventLoggingServiceClass",
    "RTMachineVerificationServiceClass",
    "UnifiedProcedureStepServiceClass",
]


def _find(name):
    return getattr(service_class, name, None) or getattr(service_class_n, name)


@pytest.mark.parametrize("name", NAMES)
def test_every_api_class_exists_and_is_a_service_class(name):
    cls = _find(name)
    assert inspect.isclass(cls)
    assert issubclass(cls, ServiceClass)
    assert cls.__name__ == name
    assert cls.__doc__
    assert isinstance(cls.statuses, dict)
    assert 0x0000 in cls.statuses


def test_modules_export_exactly_their_classes():
    exported = {
        n
        for n in service_class.__all__ + service_class_n.__all__
        if n.endswith("Class")
    }
    assert exported == set(NAMES)


def test_messages_served():
    assert VerificationServiceClass.dimse_messages() == ("C-ECHO",)
    assert StorageServiceClass.dimse_messages() == ("C-STORE",)
    assert set(QueryRetrieveServiceClass.dimse_messages()) == {
        "C-FIND",
        "C-GET",
        "C-MOVE",
    }
    assert "N-ACTION" in PrintManagementServiceClass.dimse_messages()
    assert "C-FIND" in UnifiedProcedureStepServiceClass.dimse_messages()
    assert ServiceClass.dimse_messages() == ()


def test_status_table_per_message():
    qr = QueryRetrieveServiceClass
    assert qr.status_table("C-MOVE") is status.QR_MOVE_SERVICE_CLASS_STATUS
    assert qr.status_table("C-GET") is status.QR_GET_SERVICE_CLASS_STATUS
    assert qr.status_table("C-FIND") is status.QR_FIND_SERVICE_CLASS_STATUS
    # A message the class does not serve falls back to its main table.
    assert qr.status_table("C-STORE") is qr.statuses
    assert (
        StorageServiceClass.status_table("C-STORE")
        is status.STORAGE_SERVICE_CLASS_STATUS
    )
    assert ServiceClass.status_table("C-ECHO") is status.GENERAL_STATUS


def test_qr_family_inherits_qr_tables():
    cls = service_class.HangingProtocolQueryRetrieveServiceClass
    assert issubclass(cls, QueryRetrieveServiceClass)
    assert cls.status_table("C-MOVE") is status.QR_MOVE_SERVICE_CLASS_STATUS


def test_instances_keep_their_association():
    marker = object()
    assert StorageServiceClass(marker).assoc is marker
