"""Color Palette Query/Retrieve (PS3.4 Annex X) between dicomnet AEs over loopback."""

from __future__ import annotations

from pydicom.dataset import Dataset

from dicomnet.services import color_palette as m
from dicomnet.services.non_patient_storage import NonPatientStorageSCP
from tests.services.test_hanging_protocol import Peers, statuses, uid_list
from tests.services.test_non_patient_storage import non_patient


def test_find_and_get_of_stored_instances() -> None:
    hit = non_patient(m.ColorPaletteStorage, ContentLabel="HOTIRON")
    miss = non_patient(m.ColorPaletteStorage, ContentLabel="COLD")
    storage = NonPatientStorageSCP()
    for ds in (hit, miss):
        storage.add(ds)
    peers = Peers(m.ColorPaletteQRSCP(storage), storage)
    try:
        assoc = peers.associate(
            m.ColorPaletteQueryRetrieveInformationModelFind,
            m.ColorPaletteQueryRetrieveInformationModelGet,
        )
        query = m.color_palette_query(ContentLabel="HOTIRON")
        found = list(
            assoc.send_c_find(query, m.ColorPaletteQueryRetrieveInformationModelFind)
        )
        got = list(
            assoc.send_c_get(
                uid_list(hit), m.ColorPaletteQueryRetrieveInformationModelGet
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
