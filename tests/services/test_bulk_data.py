"""Composite Instance Retrieve Without Bulk Data (PS3.4 Annex Z)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from dicomnet import AE, build_role, evt
from dicomnet.services._bulk_data import WITHOUT_BULK_DATA_GET, without_bulk_data
from dicomnet.sop_class import (
    CompositeInstanceRetrieveWithoutBulkDataGet,
    CTImageStorage,
)

TIMEOUT = 10.0


def instance() -> Dataset:
    ds = Dataset()
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = generate_uid()
    ds.PatientName = "Doe^Jane"
    ds.BitsAllocated = 16
    ds.PixelData = bytes(64)
    ds.FloatPixelData = bytes(8)
    ds.SpectroscopyData = bytes(8)
    ds.add_new(0x60003000, "OW", bytes(4))  # Overlay Data, group 6000
    ds.add_new(0x60023000, "OW", bytes(4))  # ... and a repeat, group 6002
    icon = Dataset()
    icon.BitsAllocated = 8
    icon.PixelData = bytes(16)
    ds.IconImageSequence = Sequence([icon])
    waveform = Dataset()
    waveform.NumberOfWaveformChannels = 1
    waveform.WaveformBitsAllocated = 16
    waveform.WaveformData = bytes(8)
    ds.WaveformSequence = Sequence([waveform])
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    return ds


def test_table_z1_attributes_are_left_out_and_nothing_else() -> None:
    ds = instance()
    out = without_bulk_data(ds)
    for keyword in ("PixelData", "FloatPixelData", "SpectroscopyData"):
        assert keyword not in out
    assert 0x60003000 not in out
    assert 0x60023000 not in out
    # Z.1.3: the top level only; the icon keeps its pixels.
    assert out.IconImageSequence[0].PixelData == bytes(16)
    assert "WaveformData" not in out.WaveformSequence[0]
    assert out.WaveformSequence[0].NumberOfWaveformChannels == 1
    assert out.SOPInstanceUID == ds.SOPInstanceUID
    assert out.PatientName == "Doe^Jane"
    # The original is unchanged.
    assert "PixelData" in ds
    assert "WaveformData" in ds.WaveformSequence[0]


def test_a_file_path_is_read_and_stripped(tmp_path: Path) -> None:
    ds = instance()
    path = tmp_path / "i.dcm"
    ds.save_as(path, enforce_file_format=True)
    out = without_bulk_data(str(path))
    assert "PixelData" not in out
    assert out.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian


@pytest.fixture
def scp() -> Iterator[AE]:
    ae = AE("QR_SCP")
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = TIMEOUT
    ae.add_supported_context(WITHOUT_BULK_DATA_GET, ExplicitVRLittleEndian)
    ae.add_supported_context(
        CTImageStorage, ExplicitVRLittleEndian, scu_role=True, scp_role=True
    )
    yield ae
    ae.shutdown()


def test_a_c_get_under_that_sop_class_sends_no_bulk_data(
    scp: AE, tmp_path: Path
) -> None:
    ds = instance()
    path = tmp_path / "i.dcm"
    ds.save_as(path, enforce_file_format=True)

    def on_get(_event: Any) -> Iterator[object]:
        yield 2
        yield 0xFF00, ds
        yield 0xFF00, str(path)

    received: list[Dataset] = []

    def on_store(event: Any) -> int:
        received.append(event.dataset)
        return 0

    server = scp.start_server(
        ("127.0.0.1", 0), block=False, evt_handlers=[(evt.EVT_C_GET, on_get)]
    )
    scu = AE("QR_SCU")
    scu.acse_timeout = scu.dimse_timeout = scu.network_timeout = TIMEOUT
    scu.add_requested_context(CompositeInstanceRetrieveWithoutBulkDataGet)
    scu.add_requested_context(CTImageStorage, ExplicitVRLittleEndian)
    try:
        assoc = scu.associate(
            "127.0.0.1",
            server.server_address[1],
            ae_title="QR_SCP",
            ext_neg=[build_role(CTImageStorage, scp_role=True)],
            evt_handlers=[(evt.EVT_C_STORE, on_store)],
        )
        assert assoc.is_established
        query = Dataset()
        query.QueryRetrieveLevel = "IMAGE"
        query.SOPInstanceUID = ds.SOPInstanceUID
        results = list(
            assoc.send_c_get(query, CompositeInstanceRetrieveWithoutBulkDataGet)
        )
        assoc.release()
    finally:
        scu.shutdown()
    assert results[-1][0].Status == 0x0000
    assert len(received) == 2
    for got in received:
        assert "PixelData" not in got
        assert got.IconImageSequence[0].PixelData == bytes(16)
        assert got.SOPInstanceUID == ds.SOPInstanceUID
