"""C-STORE against real, independent peers: DCMTK and pynetdicom, both ways."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydicom import dcmread
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

from dicomnet import AE, evt
from dicomnet.sop_class import CTImageStorage, MRImageStorage
from tests.interop.capture import dcmtk_available, dcmtk_server, run_client
from tests.services.test_storage import ct_dataset, write_file

pytestmark = pytest.mark.interop

TIMEOUT = 10.0
LOOPBACK = "127.0.0.1"
needs_dcmtk = pytest.mark.skipif(
    not dcmtk_available("storescu", "storescp"), reason="DCMTK is not installed"
)


@pytest.fixture
def files(tmp_path: Path) -> list[Path]:
    """Four instances of two SOP classes, one of them several PDUs long."""
    out = tmp_path / "in"
    out.mkdir()
    datasets = [
        ct_dataset(pixels=400_000),
        ct_dataset(ImplicitVRLittleEndian),
        ct_dataset(sop_class=MRImageStorage),
        ct_dataset(pixels=2048),
    ]
    return [write_file(ds, out / f"{i}.dcm") for i, ds in enumerate(datasets)]


@pytest.fixture
def dicomnet_scp() -> Iterator[tuple[int, list[Any]]]:
    ae = AE("DICOMNET")
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = TIMEOUT
    for sop_class in (CTImageStorage, MRImageStorage):
        ae.add_supported_context(
            sop_class, [ExplicitVRLittleEndian, ImplicitVRLittleEndian]
        )
    received: list[Any] = []
    lock = threading.Lock()

    def on_store(event: evt.Event) -> int:
        with lock:
            received.append(event.dataset)
        return 0x0000

    server = ae.start_server(
        (LOOPBACK, 0), block=False, evt_handlers=[(evt.EVT_C_STORE, on_store)]
    )
    assert server is not None
    try:
        yield int(server.server_address[1]), received
    finally:
        ae.shutdown()


def same_instances(got: list[Any], files: list[Path]) -> None:
    expected = {dcmread(f).SOPInstanceUID: dcmread(f) for f in files}
    assert sorted(ds.SOPInstanceUID for ds in got) == sorted(expected)
    for ds in got:
        assert ds.PixelData == expected[ds.SOPInstanceUID].PixelData


@needs_dcmtk
@pytest.mark.parametrize("associations", [1, 2])
def test_dcmtk_storescu_to_dicomnet(
    dicomnet_scp: tuple[int, list[Any]], files: list[Path], associations: int
) -> None:
    port, received = dicomnet_scp
    for batch in (
        files[: len(files) // associations],
        files[len(files) // associations :],
    ):
        if not batch:
            continue
        done = run_client(
            ["storescu", "-aec", "DICOMNET", LOOPBACK, str(port), *map(str, batch)]
        )
        assert done.returncode == 0, done.stdout + done.stderr
    same_instances(received, files)


@needs_dcmtk
def test_dicomnet_to_dcmtk_storescp(files: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    scu = AE("DICOMNET")
    scu.acse_timeout = scu.dimse_timeout = scu.network_timeout = TIMEOUT
    for sop_class in (CTImageStorage, MRImageStorage):
        scu.add_requested_context(
            sop_class, [ExplicitVRLittleEndian, ImplicitVRLittleEndian]
        )
    with dcmtk_server("storescp", ["-od", str(out)]) as server:
        assoc = scu.associate(LOOPBACK, server.port, ae_title="STORESCP")
        assert assoc.is_established
        statuses = [assoc.send_c_store(path).Status for path in files]
        statuses.append(assoc.send_c_store(dcmread(files[1])).Status)
        assoc.release()
    assert statuses == [0] * 5
    same_instances([dcmread(p) for p in out.iterdir()], files)


def test_pynetdicom_to_dicomnet(
    dicomnet_scp: tuple[int, list[Any]], files: list[Path]
) -> None:
    import pynetdicom

    port, received = dicomnet_scp
    peer = pynetdicom.AE(ae_title="PYNETDICOM")
    peer.acse_timeout = peer.dimse_timeout = peer.network_timeout = TIMEOUT
    for sop_class in (CTImageStorage, MRImageStorage):
        peer.add_requested_context(
            sop_class, [ExplicitVRLittleEndian, ImplicitVRLittleEndian]
        )
    try:
        assoc = peer.associate(LOOPBACK, port, ae_title="DICOMNET")
        assert assoc.is_established
        statuses = [assoc.send_c_store(dcmread(path)).Status for path in files]
        assoc.release()
    finally:
        peer.shutdown()
    assert statuses == [0] * 4
    same_instances(received, files)


def test_dicomnet_to_pynetdicom(files: list[Path]) -> None:
    import pynetdicom

    received: list[Any] = []
    peer = pynetdicom.AE(ae_title="PYNETDICOM")
    peer.acse_timeout = peer.dimse_timeout = peer.network_timeout = TIMEOUT
    for sop_class in (CTImageStorage, MRImageStorage):
        peer.add_supported_context(
            sop_class, [ExplicitVRLittleEndian, ImplicitVRLittleEndian]
        )

    def on_store(event: Any) -> int:
        received.append(event.dataset)
        return 0x0000

    server = peer.start_server(
        (LOOPBACK, 0),
        block=False,
        evt_handlers=[(pynetdicom.evt.EVT_C_STORE, on_store)],
    )
    scu = AE("DICOMNET")
    scu.acse_timeout = scu.dimse_timeout = scu.network_timeout = TIMEOUT
    for sop_class in (CTImageStorage, MRImageStorage):
        scu.add_requested_context(
            sop_class, [ExplicitVRLittleEndian, ImplicitVRLittleEndian]
        )
    try:
        assoc = scu.associate(LOOPBACK, server.server_address[1], ae_title="PYNETDICOM")
        assert assoc.is_established
        statuses = [assoc.send_c_store(path).Status for path in files]
        assoc.release()
    finally:
        scu.shutdown()
        peer.shutdown()
    assert statuses == [0] * 4
    same_instances(received, files)
