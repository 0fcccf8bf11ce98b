"""``dicomnet qrscp`` against DCMTK and pynetdicom, and as a process.

One qrscp per module runs in this process with the six-instance corpus of
``test_qrscp.py``; its Move Destinations are a DCMTK ``storescp`` (started
with the ``tests.interop.capture`` helpers, which wait for the listening port
in ``/proc/net/tcp``) and a pynetdicom Storage SCP. DCMTK's ``findscu``,
``getscu`` and ``movescu`` and pynetdicom's SCU query and retrieve from it;
DCMTK's ``storescu`` stores into a qrscp process, stopped with SIGTERM.
"""

from __future__ import annotations

import signal
import subprocess
from contextlib import ExitStack
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from pydicom import dcmread

from dicomnet.apps import qrscp
from dicomnet.sop_class import (
    CTImageStorage,
    MRImageStorage,
    PatientRootQueryRetrieveInformationModelFind,
    StudyRootQueryRetrieveInformationModelFind,
    StudyRootQueryRetrieveInformationModelGet,
    StudyRootQueryRetrieveInformationModelMove,
)
from tests.interop.capture import dcmtk_available, dcmtk_server, run_client

from .conftest import LOOPBACK, TIMEOUT, Background, scp_process
from .test_qrscp import corpus, options, parse_query, store_all
from .test_store_interop import pynetdicom_storage_scp

if TYPE_CHECKING:
    from collections.abc import Iterator
    from contextlib import AbstractContextManager
    from pathlib import Path

pytestmark = pytest.mark.interop

needs_dcmtk = pytest.mark.skipif(
    not dcmtk_available("storescu", "storescp", "findscu", "getscu", "movescu"),
    reason="DCMTK is not installed",
)

ORIGINALS = {str(ds.SOPInstanceUID): ds for ds in corpus()}


def write_corpus(directory: Path) -> list[Path]:
    """The corpus as Part 10 files, for DCMTK's storescu."""
    directory.mkdir(exist_ok=True)
    paths = []
    for ds in corpus():
        paths.append(directory / f"{ds.SOPInstanceUID}.dcm")
        ds.save_as(paths[-1], enforce_file_format=True)
    return paths


def instances_in(directory: Path, pattern: str = "*") -> dict[str, Any]:
    """The DICOM files in ``directory`` (recursively), by SOP Instance UID."""
    paths = [path for path in directory.rglob(pattern) if path.is_file()]
    found = [dcmread(path) for path in paths]
    return {str(ds.SOPInstanceUID): ds for ds in found}


# -- the module's qrscp and its Move Destinations ------------------------------------


@dataclass
class Site:
    """The running qrscp and where its C-MOVE destinations write."""

    server: qrscp.QueryRetrieveServer
    storescp_dir: Path | None
    pynetdicom: Any


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("qrscp")
    with ExitStack() as stack:
        peer = stack.enter_context(pynetdicom_storage_scp())
        argv = ["-md", f"PYNETSCP={LOOPBACK}:{peer.port}"]
        storescp_dir = None
        if dcmtk_available("storescp"):
            storescp_dir = root / "storescp"
            storescp_dir.mkdir()
            dcmtk = stack.enter_context(
                dcmtk_server("storescp", ["-od", str(storescp_dir)])
            )
            argv += ["-md", f"STORESCP={LOOPBACK}:{dcmtk.port}"]
        server = qrscp.start(
            options(
                "0", "-b", LOOPBACK, "--storage", str(root / "archive"), "--no-fsync",
                *argv,
            )
        )  # fmt: skip
        stack.callback(server.shutdown)
        assert store_all(server.port, corpus()) == [0] * 6
        yield Site(server, storescp_dir, peer)


def dcmtk(tool: str, site: Site, *args: str) -> subprocess.CompletedProcess[str]:
    """Run a DCMTK SCU against the module's qrscp, with -aec QRSCP."""
    done = run_client([tool, "-aec", "QRSCP", *args, LOOPBACK, str(site.server.port)])
    assert done.returncode == 0, done.stdout + done.stderr
    return done


# -- DCMTK ---------------------------------------------------------------------------


@needs_dcmtk
@pytest.mark.parametrize(
    "case",
    [
        ("-P", ["QueryRetrieveLevel=PATIENT", "PatientID", "PatientName=Beta*"],
         "PatientID", ["P2"]),
        ("-P", ["QueryRetrieveLevel=STUDY", "PatientID=P1", "StudyInstanceUID",
                "StudyDate=20210101-"], "StudyInstanceUID", ["1.2.3.2"]),
        ("-S", ["QueryRetrieveLevel=STUDY", "StudyInstanceUID", "StudyDate=-20201231",
                "PatientName"], "StudyInstanceUID", ["1.2.3.1", "1.2.3.3"]),
        ("-S", ["QueryRetrieveLevel=SERIES", "StudyInstanceUID=1.2.3.3",
                "SeriesInstanceUID", "Modality=CT"], "SeriesInstanceUID",
         ["1.2.3.3.1", "1.2.3.3.2"]),
    ],
    ids=["patient-root-patient", "patient-root-study", "study-root-study", "series"],
)  # fmt: skip
def test_dcmtk_findscu(site, tmp_path, case):
    model, keys, key, expected = case
    key_args = [arg for item in keys for arg in ("-k", item)]
    dcmtk("findscu", site, model, "-X", "-od", str(tmp_path), *key_args)
    responses = [dcmread(path) for path in sorted(tmp_path.glob("rsp*.dcm"))]
    assert sorted(str(ds[key].value) for ds in responses) == expected
    assert all(ds.RetrieveAETitle == "QRSCP" for ds in responses)


@needs_dcmtk
def test_dcmtk_getscu(site, tmp_path):
    keys = ["-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID=1.2.3.3"]
    dcmtk("getscu", site, "-S", "-od", str(tmp_path), *keys)
    received = instances_in(tmp_path)
    assert sorted(received) == ["1.2.3.3.1.1", "1.2.3.3.2.1"]
    for uid, ds in received.items():
        assert ds == ORIGINALS[uid]


@needs_dcmtk
def test_dcmtk_movescu_to_dcmtk_storescp(site):
    assert site.storescp_dir is not None
    keys = ["-k", "QueryRetrieveLevel=PATIENT", "-k", "PatientID=P1"]
    done = dcmtk("movescu", site, "-P", "-aem", "STORESCP", *keys)
    received = instances_in(site.storescp_dir)
    assert sorted(received) == ["1.2.3.1.1.1", "1.2.3.1.1.2", "1.2.3.2.1.1"]
    for uid, ds in received.items():
        assert ds == ORIGINALS[uid]
    assert "Failed" not in done.stdout + done.stderr


@needs_dcmtk
def test_dcmtk_movescu_unknown_destination(site):
    keys = ["-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID=1.2.3.1"]
    done = run_client(
        ["movescu", "-v", "-S", "-aec", "QRSCP", "-aem", "NOWHERE", *keys,
         LOOPBACK, str(site.server.port)]
    )  # fmt: skip
    assert "Refused: MoveDestinationUnknown" in done.stdout + done.stderr


# -- pynetdicom ----------------------------------------------------------------------


def pynetdicom_association(site: Site, *contexts: str, roles=(), handlers=()):
    from pynetdicom import AE, build_role

    ae = AE("PYNETSCU")
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = TIMEOUT
    for uid in (*contexts, *roles):
        ae.add_requested_context(uid)
    assoc = ae.associate(
        LOOPBACK,
        site.server.port,
        ae_title="QRSCP",
        ext_neg=[build_role(uid, scp_role=True) for uid in roles],
        evt_handlers=list(handlers),
    )
    assert assoc.is_established
    return assoc


def test_pynetdicom_find(site):
    model = PatientRootQueryRetrieveInformationModelFind
    assoc = pynetdicom_association(
        site, model, StudyRootQueryRetrieveInformationModelFind
    )
    try:
        identifier = parse_query("STUDY PatientID=P2 StudyInstanceUID= StudyDate=")
        responses = list(assoc.send_c_find(identifier, model))
    finally:
        assoc.release()
    *pending, (final, _) = responses
    assert [int(status.Status) for status, _ in pending] == [0xFF00, 0xFF00]
    assert sorted(ident.StudyInstanceUID for _, ident in pending) == [
        "1.2.3.3",
        "1.2.3.4",
    ]
    assert final.Status == 0x0000


def test_pynetdicom_get(site):
    from pynetdicom import evt as peer_evt

    received = []

    def on_store(event: Any) -> int:
        received.append(event.dataset)
        return 0x0000

    model = StudyRootQueryRetrieveInformationModelGet
    assoc = pynetdicom_association(
        site,
        model,
        roles=(CTImageStorage, MRImageStorage),
        handlers=[(peer_evt.EVT_C_STORE, on_store)],
    )
    try:
        identifier = parse_query(
            "SERIES StudyInstanceUID=1.2.3.1 SeriesInstanceUID=1.2.3.1.1"
        )
        responses = list(assoc.send_c_get(identifier, model))
    finally:
        assoc.release()
    final, _ = responses[-1]
    assert (final.Status, final.NumberOfCompletedSuboperations) == (0x0000, 2)
    assert sorted(str(ds.SOPInstanceUID) for ds in received) == [
        "1.2.3.1.1.1",
        "1.2.3.1.1.2",
    ]
    assert all(ds == ORIGINALS[str(ds.SOPInstanceUID)] for ds in received)


def test_pynetdicom_move_to_pynetdicom(site):
    model = StudyRootQueryRetrieveInformationModelMove
    before = len(site.pynetdicom.datasets)
    assoc = pynetdicom_association(site, model)
    try:
        identifier = parse_query("STUDY StudyInstanceUID=1.2.3.4")
        responses = list(assoc.send_c_move(identifier, "PYNETSCP", model))
        unknown = list(assoc.send_c_move(identifier, "NOWHERE", model))
    finally:
        assoc.release()
    site.pynetdicom.wait_closed()
    final, _ = responses[-1]
    assert (final.Status, final.NumberOfCompletedSuboperations) == (0x0000, 1)
    assert [str(ds.SOPInstanceUID) for ds in site.pynetdicom.datasets[before:]] == [
        "1.2.3.4.1.1"
    ]
    assert [int(status.Status) for status, _ in unknown] == [0xA801]


# -- qrscp as a process --------------------------------------------------------------


def qrscp_process(*args: str) -> AbstractContextManager[Background]:
    """``dicomnet qrscp -v ARGS 0``, once it logged its "Listening" line."""
    return scp_process("qrscp", "-v", "-b", LOOPBACK, *args, "0")


@needs_dcmtk
def test_dcmtk_storescu_and_findscu_with_qrscp_process(tmp_path):
    storage = tmp_path / "archive"
    files = write_corpus(tmp_path / "source")
    with qrscp_process("--storage", str(storage), "-aet", "ARCHIVE") as scp:
        stored = run_client(
            ["storescu", "-aec", "ARCHIVE", LOOPBACK, str(scp.port), *map(str, files)]
        )
        found = run_client(
            ["findscu", "-S", "-aec", "ARCHIVE", "-X", "-od", str(tmp_path),
             "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID",
             LOOPBACK, str(scp.port)]
        )  # fmt: skip
        status, log = scp.stop()
    assert stored.returncode == 0, stored.stdout + stored.stderr + log
    assert found.returncode == 0, found.stdout + found.stderr + log
    assert status == 0, log
    # Stored as received, each in its study and series.
    assert instances_in(storage, "*.dcm") == ORIGINALS
    studies = sorted(dcmread(path).StudyInstanceUID for path in tmp_path.glob("rsp*"))
    assert studies == ["1.2.3.1", "1.2.3.2", "1.2.3.3", "1.2.3.4"]
    # -v: one line per association and per operation.
    assert log.count("I: Association accepted from STORESCU") == 1
    assert log.count("I: Stored ") == 6
    assert "I: C-FIND (STUDY_ROOT, STUDY level) from FINDSCU" in log
    assert "4 match(es), complete" in log
    assert log.count("released") == 2
    assert "I: Interrupted: shutting down" in log


def test_qrscp_process_restarts_on_its_archive(tmp_path):
    """SIGINT stops it cleanly; the next run finds what the first stored."""
    storage = tmp_path / "archive"
    with qrscp_process("--storage", str(storage)) as scp:
        assert store_all(scp.port, corpus()[:2]) == [0, 0]
        scp.process.send_signal(signal.SIGINT)
        _, rest = scp.process.communicate(timeout=TIMEOUT)
    assert scp.process.returncode == 0, rest
    with qrscp_process("--storage", str(storage)) as scp:
        status, log = scp.stop()
    assert status == 0
    assert "(2 instances)" in log
