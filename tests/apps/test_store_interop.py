"""``dicomnet storescu``/``storescp`` against DCMTK and pynetdicom, and as processes.

DCMTK servers are started with the ``tests.interop.capture`` helpers, which
wait for the listening port in ``/proc/net/tcp``; ``dicomnet storescp`` as a
subprocess is waited for by its "Listening" line, and stopped with SIGTERM.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest
from pydicom import dcmread
from pydicom.uid import (
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
)

from dicomnet.apps import storescp, storescu
from dicomnet.sop_class import CTImageStorage, MRImageStorage
from tests.interop.capture import dcmtk_available, dcmtk_server, run_client

from .conftest import LOOPBACK, TIMEOUT, Background, scp_process
from .test_storescu import write_instance

if TYPE_CHECKING:
    from collections.abc import Iterator
    from contextlib import AbstractContextManager
    from pathlib import Path

pytestmark = pytest.mark.interop

needs_dcmtk = pytest.mark.skipif(
    not dcmtk_available("storescu", "storescp"), reason="DCMTK is not installed"
)

#: 5 MB of pixel data: hundreds of P-DATA-TF PDUs at the default 16 kB.
LARGE = 5 * 1024 * 1024


@pytest.fixture
def originals(tmp_path) -> list[Path]:
    """Three files of two SOP Classes, one of them in explicit VR big endian."""
    source = tmp_path / "source"
    source.mkdir()
    return [
        write_instance(source, "ct.dcm", pixels=20000),
        write_instance(source, "mr.dcm", MRImageStorage, ImplicitVRLittleEndian),
        write_instance(source, "be.dcm", CTImageStorage, ExplicitVRBigEndian),
    ]


def received_by_instance(directory: Path) -> dict[str, Any]:
    """The data sets in ``directory``'s files, by SOP Instance UID."""
    datasets = [dcmread(path) for path in directory.iterdir()]
    return {str(ds.SOPInstanceUID): ds for ds in datasets}


def assert_same_datasets(directory: Path, originals: list[Path]) -> None:
    received = received_by_instance(directory)
    assert len(received) == len(originals)
    for path in originals:
        original = dcmread(path)
        ours = received[str(original.SOPInstanceUID)]
        assert ours == original
        assert bytes(ours.PixelData) == bytes(original.PixelData)


# -- dicomnet storescp as a subprocess ----------------------------------------------------


def storescp_process(*args: str) -> AbstractContextManager[Background]:
    """``dicomnet storescp -v ARGS 0``, once it logged its "Listening" line."""
    return scp_process("storescp", "-v", "-b", LOOPBACK, *args, "0")


# -- against DCMTK -------------------------------------------------------------------------


@needs_dcmtk
def test_storescu_to_dcmtk_storescp(tmp_path, originals, capsys):
    out = tmp_path / "out"
    out.mkdir()
    with dcmtk_server("storescp", ["-od", str(out)]) as server:
        status = storescu.main([LOOPBACK, str(server.port), *map(str, originals)])
        log = server.output()
    assert status == 0, capsys.readouterr().err + log
    assert_same_datasets(out, originals)


@needs_dcmtk
def test_storescu_large_instance_to_dcmtk_storescp(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    large = write_instance(tmp_path, "large.dcm", pixels=LARGE)
    with dcmtk_server("storescp", ["-od", str(out), "-pdu", "16384"]) as server:
        status = storescu.main([LOOPBACK, str(server.port), str(large)])
    assert status == 0, capsys.readouterr().err
    assert_same_datasets(out, [large])


@needs_dcmtk
def test_dcmtk_storescu_to_storescp_process(tmp_path, originals):
    out = tmp_path / "out"
    out.mkdir()
    large = write_instance(tmp_path, "large.dcm", pixels=LARGE)
    files = [*originals, large]
    with storescp_process("-od", str(out), "-aet", "DNSCP") as scp:
        done = run_client(
            ["storescu", "-aec", "DNSCP", LOOPBACK, str(scp.port), *map(str, files)]
        )
        status, log = scp.stop()
    assert done.returncode == 0, done.stdout + done.stderr + log
    assert status == 0, log
    assert "I: Interrupted: shutting down" in log
    assert sum("I: Stored " in line for line in log.splitlines()) == 4
    metas = [dcmread(path, stop_before_pixels=True) for path in files]
    assert {path.name for path in out.iterdir()} == {
        f"{'MR' if ds.SOPClassUID == MRImageStorage else 'CT'}.{ds.SOPInstanceUID}"
        for ds in metas
    }
    assert_same_datasets(out, files)


@needs_dcmtk
def test_dcmtk_storescu_to_storescp_ignoring(tmp_path, originals):
    out = tmp_path / "out"
    out.mkdir()
    with storescp_process("-od", str(out), "--ignore") as scp:
        done = run_client(["storescu", LOOPBACK, str(scp.port), *map(str, originals)])
        status, log = scp.stop()
    assert done.returncode == 0, done.stdout + done.stderr
    assert status == 0
    assert sum("(ignored)" in line for line in log.splitlines()) == 3
    assert list(out.iterdir()) == []


# -- against pynetdicom ----------------------------------------------------------------------


@dataclass
class PynetdicomScp:
    port: int
    datasets: list[Any] = field(default_factory=list)
    closed: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(0))

    def wait_closed(self) -> None:
        assert self.closed.acquire(timeout=TIMEOUT), "connection still open"


@contextmanager
def pynetdicom_storage_scp(
    status: int = 0x0000, *, require_called_aet: bool = False
) -> Iterator[PynetdicomScp]:
    """A pynetdicom Storage SCP in this process (a test peer only)."""
    from pynetdicom import AE, AllStoragePresentationContexts, evt

    ae = AE("PYNETSCP")
    ae.require_called_aet = require_called_aet
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = TIMEOUT
    syntaxes = [ExplicitVRLittleEndian, ImplicitVRLittleEndian, ExplicitVRBigEndian]
    for context in AllStoragePresentationContexts:
        ae.add_supported_context(str(context.abstract_syntax), syntaxes)
    peer = PynetdicomScp(0)
    lock = threading.Lock()

    def on_store(event: Any) -> int:
        with lock:
            peer.datasets.append(event.dataset)
        return status

    handlers: list[Any] = [
        (evt.EVT_C_STORE, on_store),
        (evt.EVT_CONN_CLOSE, lambda event: peer.closed.release()),
    ]
    server = ae.start_server((LOOPBACK, 0), block=False, evt_handlers=handlers)
    assert server is not None
    peer.port = server.server_address[1]
    try:
        yield peer
    finally:
        ae.shutdown()


def test_storescu_to_pynetdicom(originals, capsys):
    with pynetdicom_storage_scp() as peer:
        status = storescu.main([LOOPBACK, str(peer.port), *map(str, originals)])
    assert status == 0, capsys.readouterr().err
    received = {str(ds.SOPInstanceUID): ds for ds in peer.datasets}
    for path in originals:
        original = dcmread(path)
        assert received[str(original.SOPInstanceUID)] == original


def test_storescu_failure_status_from_pynetdicom(originals, capsys):
    paths = list(map(str, originals))
    with pynetdicom_storage_scp(status=0xA700) as peer:
        halted = storescu.main([LOOPBACK, str(peer.port), *paths])
        halted_count = len(peer.datasets)
        carried_on = storescu.main(["-nh", LOOPBACK, str(peer.port), *paths])
    err = capsys.readouterr().err
    assert (halted, carried_on) == (1, 1)
    assert halted_count == 1
    assert len(peer.datasets) == 1 + 3
    assert "status 0xA700 (Failure: Refused: out of resources)" in err


def test_storescu_rejected_by_pynetdicom(originals, capsys):
    with pynetdicom_storage_scp(require_called_aet=True) as peer:
        status = storescu.main(
            ["-aec", "WRONG", LOOPBACK, str(peer.port), str(originals[0])]
        )
        # pynetdicom 3.0.4 fails (Evt15 in Sta13) if shut down before the
        # rejected connection closed.
        peer.wait_closed()
    assert status == 3
    assert "E: Association rejected: called AE title not recognized" in (
        capsys.readouterr().err
    )


def test_pynetdicom_to_storescp(tmp_path, originals):
    from pynetdicom import AE

    out = tmp_path / "out"
    out.mkdir()
    ae, server = storescp.start(
        storescp.build_parser().parse_args(["-b", LOOPBACK, "-od", str(out), "0"])
    )
    try:
        scu = AE("PYNETSCU")
        scu.acse_timeout = scu.dimse_timeout = scu.network_timeout = TIMEOUT
        for uid in (CTImageStorage, MRImageStorage):
            scu.add_requested_context(
                uid, [ExplicitVRLittleEndian, ImplicitVRLittleEndian]
            )
        # pynetdicom re-encodes within one byte order only, as dicomnet.
        scu.add_requested_context(CTImageStorage, ExplicitVRBigEndian)
        assoc = scu.associate(LOOPBACK, server.server_address[1], ae_title="STORESCP")
        assert assoc.is_established
        statuses = [assoc.send_c_store(dcmread(path)).Status for path in originals]
        assoc.release()
    finally:
        ae.shutdown()
    assert statuses == [0, 0, 0]
    assert_same_datasets(out, originals)
