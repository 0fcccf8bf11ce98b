"""``dicomnet getscu`` in-process: C-GET with SCP role, files written, statuses.

The peers are the pynetdicom and dicomnet Query/Retrieve SCPs of
``test_findscu``; DCMTK's ``dcmqrscp`` is in ``test_qr_tools_interop``.
"""

from __future__ import annotations

import errno
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.uid import ImplicitVRLittleEndian

from dicomnet.apps import getscu
from dicomnet.sop_class import CTImageStorage

from .conftest import LOOPBACK
from .test_findscu import ARCHIVE, IMPLEMENTATIONS, qr_scp, run_app

PATIENT_1 = ["-k", "QueryRetrieveLevel=PATIENT", "-k", "PatientID=PID1"]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    return run_app(getscu.main, capsys, *argv)


def assert_written(directory: Path, originals: list[Dataset]) -> None:
    """The files in ``directory`` are ``originals``, named as storescp names them."""
    names = {
        f"{'CT' if ds.SOPClassUID == CTImageStorage else 'MR'}.{ds.SOPInstanceUID}"
        for ds in originals
    }
    assert {path.name for path in directory.iterdir()} == names
    for ds in originals:
        prefix = "CT" if ds.SOPClassUID == CTImageStorage else "MR"
        written = dcmread(directory / f"{prefix}.{ds.SOPInstanceUID}")
        assert written.SOPInstanceUID == ds.SOPInstanceUID
        assert written.PatientID == ds.PatientID
        assert bytes(written.PixelData) == bytes(ds.PixelData)


# -- command line ----------------------------------------------------------------------


def test_defaults():
    options = getscu.build_parser().parse_args([LOOPBACK, "104"])
    assert (options.aetitle, options.call, options.model) == (
        "GETSCU",
        "ANY-SCP",
        "patient",
    )
    assert options.output_directory == Path()
    assert (options.ignore, options.progress, options.cancel) == (False, None, None)
    assert ImplicitVRLittleEndian in options.syntaxes


@pytest.mark.parametrize(
    ("flags", "attribute", "value"),
    [
        (["-S"], "model", "study"),
        (["-O"], "model", "psonly"),
        (["+xi"], "syntaxes", (ImplicitVRLittleEndian,)),
        (["--ignore"], "ignore", True),
        (["--progress"], "progress", True),
        (["-od", "in"], "output_directory", Path("in")),
    ],
)
def test_options(flags, attribute, value):
    options = getscu.build_parser().parse_args([*flags, LOOPBACK, "104"])
    assert getattr(options, attribute) == value


def test_accept_all_proposes_compressed_syntaxes():
    options = getscu.build_parser().parse_args(["+xa", LOOPBACK, "104"])
    assert len(options.syntaxes) > 10


@pytest.mark.parametrize(
    "argv",
    [
        ["-W", LOOPBACK, "104"],  # C-GET has no worklist model
        ["+xa", "+xi", LOOPBACK, "104"],
        ["-k", "Nope", LOOPBACK, "104"],
    ],
)
def test_usage_errors(capsys, argv):
    assert getscu.main(argv) == 2
    assert "usage: dicomnet getscu" in capsys.readouterr().err


def test_missing_output_directory(tmp_path, capsys):
    status, err = run(capsys, "-od", str(tmp_path / "no"), *PATIENT_1, LOOPBACK, "104")
    assert status == 2
    assert err == f"E: The output directory {tmp_path / 'no'} does not exist\n"


# -- the pieces ------------------------------------------------------------------------


def test_sub_operations_from_a_status():
    status = Dataset()
    status.Status = 0xFF00
    status.NumberOfRemainingSuboperations = 2
    status.NumberOfCompletedSuboperations = 3
    status.NumberOfWarningSuboperations = 1
    counts = getscu.SubOperations.from_status(status)
    assert (counts.remaining, counts.completed, counts.failed, counts.warning) == (
        2,
        3,
        0,
        1,
    )
    assert counts.done == 4
    assert counts.text() == "2 remaining, 3 completed, 0 failed, 1 warning"
    del status.NumberOfRemainingSuboperations
    assert getscu.SubOperations.from_status(status).text().startswith("3 completed")


def store_event(data: Any) -> Any:
    """A C-STORE event as the writer sees it; ``data`` is the file or an error."""

    def encoded_dataset(*, include_meta: bool) -> bytes:
        assert include_meta
        if isinstance(data, Exception):
            raise data
        return bytes(data)

    request = SimpleNamespace(
        AffectedSOPClassUID=CTImageStorage, AffectedSOPInstanceUID="1.2.3"
    )
    return SimpleNamespace(
        request=request, message_id=7, encoded_dataset=encoded_dataset
    )


def test_writer_writes_under_the_storescp_name(tmp_path):
    writer = getscu.InstanceWriter(tmp_path, ignore=False)
    assert writer(store_event(b"DICM-bytes")) == 0x0000
    assert [path.name for path in tmp_path.iterdir()] == ["CT.1.2.3"]
    assert (tmp_path / "CT.1.2.3").read_bytes() == b"DICM-bytes"
    assert (writer.received, writer.written, writer.failed) == (1, 1, 0)


def test_writer_failure_answers_a700_and_leaves_nothing(tmp_path, caplog):
    writer = getscu.InstanceWriter(tmp_path, ignore=False)
    full = OSError(errno.ENOSPC, "No space left on device")
    assert writer(store_event(full)) == 0xA700
    assert list(tmp_path.iterdir()) == []
    assert (writer.received, writer.written, writer.failed) == (1, 0, 1)
    assert "Cannot store CT.1.2.3" in caplog.text


def test_writer_ignoring(tmp_path):
    writer = getscu.InstanceWriter(tmp_path, ignore=True)
    assert writer(store_event(OSError("never read"))) == 0x0000
    assert list(tmp_path.iterdir()) == []
    assert (writer.received, writer.written) == (1, 0)


def test_disabled_progress_prints_nothing(capsys):
    with getscu.RetrieveProgress(enabled=False) as progress:
        progress.update(getscu.SubOperations(1, 1, 0, 0))
        progress.update(getscu.SubOperations(None, 2, 0, 0), final=True)
    assert capsys.readouterr().err == ""


# -- against in-process SCPs ------------------------------------------------------------


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
def test_get_writes_every_instance(tmp_path, capsys, implementation):
    with qr_scp(implementation) as peer:
        status, err = run(
            capsys, "-od", str(tmp_path), *PATIENT_1, LOOPBACK, str(peer.port)
        )
        assert peer.wait_closed() == ["released"]
    assert (status, err) == (0, "")
    assert_written(tmp_path, ARCHIVE[:3])
    [query] = peer.queries
    assert query.PatientID == "PID1"
    # No temporary file is left behind.
    assert not any(path.name.startswith(".") for path in tmp_path.iterdir())


def test_verbose_reports_the_sub_operations(tmp_path, capsys):
    with qr_scp() as peer:
        status, err = run(
            capsys, "-v", "-od", str(tmp_path), *PATIENT_1, LOOPBACK, str(peer.port)
        )
    assert status == 0
    lines = err.splitlines()
    assert "I: Sending Get Request (MsgID 1)" in lines
    assert (
        "I: Received Get Response 1 (Pending): 2 remaining, 1 completed, "
        "0 failed, 0 warning" in lines
    )
    assert "I: Received Final Get Response (Success)" in lines
    assert sum(line.startswith("I: Stored ") for line in lines) == 3
    assert lines[-1] == (
        "I: 1 Get requests, 0 failed; sub-operations: 3 completed, 0 failed, "
        f"0 warning; 3 instances received, 3 written to {tmp_path}, 0 not written"
    )


def test_study_root_and_implicit_only(tmp_path, capsys):
    with qr_scp() as peer:
        status, _ = run(
            capsys,
            "-S",
            "+xi",
            "-od",
            str(tmp_path),
            "-k",
            "QueryRetrieveLevel=STUDY",
            "-k",
            f"StudyInstanceUID={ARCHIVE[3].StudyInstanceUID}",
            LOOPBACK,
            str(peer.port),
        )
    assert status == 0
    assert_written(tmp_path, ARCHIVE[3:])
    written = dcmread(next(tmp_path.iterdir()))
    assert written.file_meta.TransferSyntaxUID == ImplicitVRLittleEndian


def test_ignore_stores_nothing(tmp_path, capsys):
    with qr_scp() as peer:
        status, err = run(
            capsys, "-v", "--ignore", *PATIENT_1, LOOPBACK, str(peer.port)
        )
    assert status == 0
    assert err.splitlines()[-1].endswith("; 3 instances received, none stored")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
def test_failure_status(tmp_path, capsys, implementation):
    with qr_scp(implementation, status=0xA900) as peer:
        status, err = run(
            capsys, "-od", str(tmp_path), *PATIENT_1, LOOPBACK, str(peer.port)
        )
    assert status == 1
    assert "E: Get failed: Failure 0xA900: " in err
    assert err.splitlines()[-1].startswith("W: 1 Get requests, 1 failed;")


def test_instances_not_written_fail_the_run(tmp_path, capsys, monkeypatch):
    def full(self: Any, event: Any, name: str) -> Path:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(getscu.InstanceWriter, "_write", full)
    with qr_scp() as peer:
        status, err = run(
            capsys, "-od", str(tmp_path), *PATIENT_1, LOOPBACK, str(peer.port)
        )
    assert status == 1
    assert err.count("E: Cannot store CT.") == 3
    # The peer counted our 0xA700 answers as failed sub-operations.
    assert "sub-operations: 0 completed, 3 failed, 0 warning" in err
    assert "3 instances received, 0 written" in err
    assert "W: Failed SOP Instances: " in err


def test_progress_bar(tmp_path, capsys):
    with qr_scp() as peer:
        status, err = run(
            capsys,
            "--progress",
            "-od",
            str(tmp_path),
            *PATIENT_1,
            LOOPBACK,
            str(peer.port),
        )
    assert status == 0
    assert "Retrieving" in err
    assert "3/3" in err
    assert "0 failed, 0 warning" in err


def test_cancel_is_sent(tmp_path, capsys):
    with qr_scp() as peer:
        status, err = run(
            capsys,
            "-v",
            "--cancel",
            "1",
            "-od",
            str(tmp_path),
            *PATIENT_1,
            LOOPBACK,
            str(peer.port),
        )
    # The peer may finish before it sees the C-CANCEL: Success, or Cancel.
    assert status == 0, err
    assert "I: Sending Cancel Request (MsgID 1)" in err.splitlines()


def test_nothing_matched(tmp_path, capsys):
    with qr_scp("dicomnet") as peer:
        status, err = run(
            capsys,
            "-od",
            str(tmp_path),
            "-k",
            "QueryRetrieveLevel=PATIENT",
            "-k",
            "PatientID=NOBODY",
            LOOPBACK,
            str(peer.port),
        )
    # Nothing matched: Success with no sub-operations.
    assert (status, err) == (0, "")
    assert list(tmp_path.iterdir()) == []
