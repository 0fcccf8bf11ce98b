"""``dicomnet findscu``/``getscu``/``movescu`` against DCMTK's ``dcmqrscp``.

One ``dcmqrscp`` serves the module: its configuration, written here, knows
DCMTK ``storescp`` as the Move Destination ``DEST`` and ``MOVESCU`` at the
port ``movescu +P`` listens on; DCMTK ``storescu`` fills its database.
DCMTK servers are waited for through ``/proc/net/tcp`` (``dcmtk_server``).
``dcmqrscp`` runs in its default mode, one process per association: its
``-s`` single-process mode crashes after the first association (3.6.7).
"""

from __future__ import annotations

import re
from contextlib import ExitStack
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest
from pydicom import dcmread

from dicomnet.apps import findscu, getscu, movescu
from dicomnet.sop_class import CTImageStorage, MRImageStorage
from tests.interop.capture import dcmtk_available, dcmtk_server, free_port, run_client

from .conftest import LOOPBACK
from .test_findscu import instance, run_app
from .test_getscu import assert_written

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = [
    pytest.mark.interop,
    pytest.mark.skipif(
        not dcmtk_available("dcmqrscp", "storescu", "storescp"),
        reason="DCMTK is not installed",
    ),
]

#: Patient 1 has a study of three CT instances; patients 2..12 one MR each:
#: enough matches at the PATIENT level for a C-CANCEL to have something to stop.
STUDY = [instance(1, 1, number, CTImageStorage) for number in (1, 2, 3)]
OTHERS = [instance(patient, 1, 1, MRImageStorage) for patient in range(2, 13)]
STUDY_KEYS = [
    "-S",
    "-k",
    "QueryRetrieveLevel=STUDY",
    "-k",
    f"StudyInstanceUID={STUDY[0].StudyInstanceUID}",
]
CONFIG = """\
NetworkTCPPort  = 104
MaxPDUSize      = 16384
MaxAssociations = 16

HostTable BEGIN
dest  = (DEST, 127.0.0.1, {dest})
mover = (MOVESCU, 127.0.0.1, {listen})
HostTable END

VendorTable BEGIN
VendorTable END

AETable BEGIN
QRSCP {database} RW (200, 1024mb) ANY
AETable END
"""


@dataclass
class Archive:
    port: int
    destination: Path
    listen_port: int


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archive]:
    root = tmp_path_factory.mktemp("dcmqrscp")
    database, destination, source = (root / name for name in ("db", "dest", "src"))
    for directory in (database, destination, source):
        directory.mkdir()
    with ExitStack() as stack:
        dest = stack.enter_context(
            dcmtk_server("storescp", ["-aet", "DEST", "-od", str(destination)])
        )
        listen_port = free_port()
        config = root / "dcmqrscp.cfg"
        config.write_text(
            CONFIG.format(dest=dest.port, listen=listen_port, database=database)
        )
        server = stack.enter_context(dcmtk_server("dcmqrscp", ["-c", str(config)]))
        files = []
        for ds in (*STUDY, *OTHERS):
            files.append(source / f"{ds.SOPInstanceUID}.dcm")
            ds.save_as(files[-1], enforce_file_format=True)
        done = run_client(
            ["storescu", "-aec", "QRSCP", LOOPBACK, str(server.port), *map(str, files)]
        )
        assert done.returncode == 0, done.stdout + done.stderr + server.output()
        yield Archive(server.port, destination, listen_port)


def call(*argv: str) -> list[str]:
    return ["-aec", "QRSCP", *argv]


def values(err: str, keyword: str) -> list[str]:
    """The values of ``keyword`` in the printed matches."""
    found = re.findall(rf"^I: \(\S+\) \S+ \[(.*?)\] +# {keyword}$", err, re.MULTILINE)
    return [str(value) for value in found]


def test_findscu_patient_root(archive, capsys):
    status, err = run_app(
        findscu.main,
        capsys,
        *call("-P", "-k", "QueryRetrieveLevel=PATIENT", "-k", "PatientID"),
        LOOPBACK,
        str(archive.port),
    )
    assert status == 0, err
    assert sorted(values(err, "PatientID")) == sorted(
        f"PID{patient}" for patient in range(1, 13)
    )


def test_findscu_study_root(archive, capsys):
    status, err = run_app(
        findscu.main,
        capsys,
        *call(
            "-v",
            "-S",
            "-k",
            "QueryRetrieveLevel=STUDY",
            "-k",
            "PatientID=PID1",
            "-k",
            "StudyInstanceUID",
        ),
        LOOPBACK,
        str(archive.port),
    )
    assert status == 0, err
    assert values(err, "StudyInstanceUID") == [str(STUDY[0].StudyInstanceUID)]
    assert "I: Received Final Find Response (Success)" in err.splitlines()


def test_findscu_cancel(archive, capsys):
    status, err = run_app(
        findscu.main,
        capsys,
        *call(
            "-v",
            "--cancel",
            "1",
            "-P",
            "-k",
            "QueryRetrieveLevel=PATIENT",
            "-k",
            "PatientID",
        ),
        LOOPBACK,
        str(archive.port),
    )
    assert status == 0, err
    lines = err.splitlines()
    assert "I: Sending Cancel Request (MsgID 1)" in lines
    # dcmqrscp stops if the C-CANCEL arrives before its last match went out.
    [final] = [line for line in lines if "Final Find Response" in line]
    assert final.endswith(
        ("(Success)", "(Cancel 0xFE00: Cancel: operation terminated)")
    )
    assert len(values(err, "PatientID")) <= 12
    # The association is still fine after the cancel: released, not aborted.
    assert "I: Releasing Association" in lines


def test_getscu(archive, tmp_path, capsys):
    status, err = run_app(
        getscu.main,
        capsys,
        *call("-od", str(tmp_path), *STUDY_KEYS),
        LOOPBACK,
        str(archive.port),
    )
    assert (status, err) == (0, "")
    assert_written(tmp_path, STUDY)


def test_movescu_to_dcmtk_storescp(archive, capsys):
    status, err = run_app(
        movescu.main,
        capsys,
        *call("-aem", "DEST", *STUDY_KEYS),
        LOOPBACK,
        str(archive.port),
    )
    assert status == 0, err
    received = [dcmread(path) for path in archive.destination.iterdir()]
    assert sorted(str(ds.SOPInstanceUID) for ds in received) == sorted(
        str(ds.SOPInstanceUID) for ds in STUDY
    )


def test_movescu_receiving_with_port(archive, tmp_path, capsys):
    status, err = run_app(
        movescu.main,
        capsys,
        *call("-v", "+P", str(archive.listen_port), "-od", str(tmp_path), *STUDY_KEYS),
        LOOPBACK,
        str(archive.port),
    )
    assert status == 0, err
    assert_written(tmp_path, STUDY)
    assert "I: Received Final Move Response (Success)" in err.splitlines()


def test_movescu_unknown_destination(archive, capsys):
    status, err = run_app(
        movescu.main,
        capsys,
        *call("-aem", "NOWHERE", *STUDY_KEYS),
        LOOPBACK,
        str(archive.port),
    )
    assert status == 1
    assert "E: Move failed: Failure 0xA801: Refused: move destination unknown" in err
