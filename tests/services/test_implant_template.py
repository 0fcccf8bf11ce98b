"""Implant Template Query/Retrieve (PS3.4 Annex BB) between dicomnet AEs over loopback."""

from __future__ import annotations

from pydicom.dataset import Dataset

from dicomnet.services import implant_template as m
from dicomnet.services.non_patient_storage import NonPatientStorageSCP
from tests.services.test_hanging_protocol import Peers, statuses, uid_list
from tests.services.test_non_patient_storage import non_patient


def test_find_and_get_of_stored_instances() -> None:
    hit = non_patient(m.GenericImplantTemplateStorage, ImplantName="HIP STEM")
    miss = non_patient(m.GenericImplantTemplateStorage, ImplantName="KNEE")
    storage = NonPatientStorageSCP()
    for ds in (hit, miss):
        storage.add(ds)
    peers = Peers(m.ImplantTemplateQRSCP(storage), storage)
    try:
        assoc = peers.associate(
            m.GenericImplantTemplateInformationModelFind,
            m.GenericImplantTemplateInformationModelGet,
        )
        query = m.implant_template_query(ImplantName="HIP*")
        found = list(
            assoc.send_c_find(query, m.GenericImplantTemplateInformationModelFind)
        )
        got = list(
            assoc.send_c_get(uid_list(hit), m.GenericImplantTemplateInformationModelGet)
        )
        assoc.release()
    finally:
        peers.close()

    assert statuses(found) == [0xFF00, 0x0000]
    identifier = found[0][1]
    assert isinstance(identifier, Dataset)
    assert identifier.SOPInstanceUID == hit.SOPInstanceUID
    assert statuses(got) == [0xFF00, 0x0000]
    assert [ds.SOPInstanceUID for ds in peers.received.instances()] == [
        hit.SOPInstanceUID
    ]


def test_each_model_holds_its_own_storage_class() -> None:
    group = non_patient(m.ImplantTemplateGroupStorage)
    template = non_patient(m.GenericImplantTemplateStorage)
    provider = m.ImplantTemplateQRSCP([group, template])

    assert provider.candidates(m.ImplantTemplateGroupInformationModelFind) == [group]
    assert provider.candidates(m.GenericImplantTemplateInformationModelMove) == [
        template
    ]
    assert provider.candidates("1.2.3") == []
    assert provider.candidates(m.ImplantAssemblyTemplateInformationModelGet) == []
