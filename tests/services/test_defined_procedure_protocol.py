"""Defined Procedure Protocol Query/Retrieve (PS3.4 Annex HH) between dicomnet AEs over loopback."""

from __future__ import annotations

from pydicom.dataset import Dataset

from dicomnet.services import defined_procedure_protocol as m
from dicomnet.services.non_patient_storage import NonPatientStorageSCP
from tests.services.test_hanging_protocol import Peers, statuses, uid_list
from tests.services.test_non_patient_storage import non_patient


def test_find_and_get_of_stored_instances() -> None:
    hit = non_patient(m.CTDefinedProcedureProtocolStorage, Manufacturer="ACME")
    miss = non_patient(m.CTDefinedProcedureProtocolStorage, Manufacturer="OTHER")
    storage = NonPatientStorageSCP()
    for ds in (hit, miss):
        storage.add(ds)
    peers = Peers(m.DefinedProcedureProtocolQRSCP(storage), storage)
    try:
        assoc = peers.associate(
            m.DefinedProcedureProtocolInformationModelFind,
            m.DefinedProcedureProtocolInformationModelGet,
        )
        query = m.defined_procedure_protocol_query(Manufacturer="ACME")
        found = list(
            assoc.send_c_find(query, m.DefinedProcedureProtocolInformationModelFind)
        )
        got = list(
            assoc.send_c_get(
                uid_list(hit), m.DefinedProcedureProtocolInformationModelGet
            )
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
