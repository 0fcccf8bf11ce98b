"""Non-Patient Object Storage (PS3.4 Annex GG) between dicomnet AEs over loopback."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import UID, ExplicitVRLittleEndian, generate_uid

from dicomnet.services import non_patient_storage as nps
from dicomnet.sop_class import ColorPaletteStorage, HangingProtocolStorage
from tests.services.test_normalized import Pair

if TYPE_CHECKING:
    from collections.abc import Iterator


def non_patient(sop_class: str, **attrs: object) -> Dataset:
    """A small instance of ``sop_class``, ready to be sent (file meta set)."""
    ds = Dataset()
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = generate_uid()
    for keyword, value in attrs.items():
        setattr(ds, keyword, value)
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = UID(sop_class)
    ds.file_meta.MediaStorageSOPInstanceUID = UID(ds.SOPInstanceUID)
    return ds


@pytest.fixture
def stored() -> Iterator[tuple[Pair, nps.NonPatientStorageSCP]]:
    kept: list[Dataset] = []
    scp = nps.NonPatientStorageSCP(capacity=2, on_store=kept.append)
    peers = Pair()
    peers.serve(scp.handlers(), HangingProtocolStorage, ColorPaletteStorage)
    yield peers, scp
    peers.close()


def test_instances_are_kept_as_received(
    stored: tuple[Pair, nps.NonPatientStorageSCP],
) -> None:
    peers, scp = stored
    protocol = non_patient(HangingProtocolStorage, HangingProtocolName="CHEST")
    palette = non_patient(ColorPaletteStorage, ContentLabel="HOT")
    palette.add_new(0x00091010, "LO", "private value")  # GG.4.2: kept too
    assoc = peers.associate(HangingProtocolStorage, ColorPaletteStorage)
    first = assoc.send_c_store(protocol)
    second = assoc.send_c_store(palette)
    assoc.release()

    assert (first.Status, second.Status) == (0x0000, 0x0000)
    chest = scp.get(protocol.SOPInstanceUID)
    kept = scp.get(palette.SOPInstanceUID)
    assert chest is not None
    assert kept is not None
    assert chest.HangingProtocolName == "CHEST"
    assert kept[0x00091010].value.rstrip(b" ") == b"private value"
    assert [ds.ContentLabel for ds in scp.instances(ColorPaletteStorage)] == ["HOT"]
    assert len(scp.instances()) == 2
    assert scp.remove(protocol.SOPInstanceUID) is not None
    assert scp.instances(HangingProtocolStorage) == []


def test_statuses_of_table_gg4_1(stored: tuple[Pair, nps.NonPatientStorageSCP]) -> None:
    peers, scp = stored
    assoc = peers.associate(HangingProtocolStorage)
    kept = [non_patient(HangingProtocolStorage) for _ in range(2)]
    statuses = [assoc.send_c_store(ds).Status for ds in kept]
    again = assoc.send_c_store(kept[0])  # the same instance again: no new room
    full = assoc.send_c_store(non_patient(HangingProtocolStorage))
    assoc.release()

    assert statuses == [0x0000, 0x0000]
    assert again.Status == 0x0000
    assert full.Status == nps.OUT_OF_RESOURCES
    assert len(scp.instances()) == 2


def test_a_data_set_not_matching_the_request_is_refused() -> None:
    class Event:
        request = Dataset()
        file_meta = FileMetaDataset()

    event = Event()
    event.request.AffectedSOPClassUID = HangingProtocolStorage
    event.request.AffectedSOPInstanceUID = "1.2.3"
    event.dataset = non_patient(ColorPaletteStorage)  # type: ignore[attr-defined]  # (a stand-in event)
    scp = nps.NonPatientStorageSCP()

    status = scp.handle_store(event)

    assert isinstance(status, Dataset)
    assert status.Status == nps.DATA_SET_DOES_NOT_MATCH
    assert scp.instances() == []


def test_an_undecodable_data_set_cannot_be_understood() -> None:
    class Event:
        request = Dataset()

        @property
        def dataset(self) -> Dataset:
            raise ValueError("not a data set")

    status = nps.NonPatientStorageSCP().handle_store(Event())

    assert isinstance(status, Dataset)
    assert status.Status == nps.CANNOT_UNDERSTAND


def test_the_sop_classes_of_table_gg3_1() -> None:
    scp = nps.NonPatientStorageSCP()
    assert HangingProtocolStorage in scp.sop_classes
    assert len(nps.NON_PATIENT_STORAGE_CLASSES) == 9
    only = nps.NonPatientStorageSCP([ColorPaletteStorage])
    assert only.sop_classes == {ColorPaletteStorage}
