"""``dicomnet movescu`` in-process: Move Destinations, ``+P``, statuses.

The Query/Retrieve SCPs are those of ``test_findscu``; the destinations are
dicomnet storage SCPs (``test_storescu.storage_scp``) or movescu itself with
``+P``. DCMTK's ``dcmqrscp`` and ``storescp`` are in ``test_qr_tools_interop``.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from pydicom.uid import ImplicitVRLittleEndian

from dicomnet.apps import movescu

from .conftest import LOOPBACK, TIMEOUT
from .test_findscu import ARCHIVE, IMPLEMENTATIONS, qr_scp, run_app
from .test_getscu import PATIENT_1, assert_written
from .test_storescu import storage_scp


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    return run_app(movescu.main, capsys, *argv)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        port: int = probe.getsockname()[1]
        return port


# -- command line ----------------------------------------------------------------------


def test_defaults():
    options = movescu.build_parser().parse_args([LOOPBACK, "104"])
    assert (options.aetitle, options.call, options.model) == (
        "MOVESCU",
        "ANY-SCP",
        "patient",
    )
    assert (options.move, options.listen_port) == (None, None)
    assert options.output_directory == Path()


@pytest.mark.parametrize(
    ("flags", "attribute", "value"),
    [
        (["-aem", "ARCHIVE"], "move", "ARCHIVE"),
        (["+P", "11113"], "listen_port", 11113),
        (["+P", "11113", "--no-port"], "listen_port", None),
        (["+xi"], "syntaxes", (ImplicitVRLittleEndian,)),
        (["-S"], "model", "study"),
        (["--cancel", "1"], "cancel", 1),
    ],
)
def test_options(flags, attribute, value):
    options = movescu.build_parser().parse_args([*flags, LOOPBACK, "104"])
    assert getattr(options, attribute) == value


@pytest.mark.parametrize(
    "argv",
    [
        ["-W", LOOPBACK, "104"],
        ["-aem", "A" * 17, LOOPBACK, "104"],
        ["+P", "port", LOOPBACK, "104"],
    ],
)
def test_usage_errors(capsys, argv):
    assert movescu.main(argv) == 2
    assert "usage: dicomnet movescu" in capsys.readouterr().err


# -- against in-process SCPs ------------------------------------------------------------


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
def test_move_to_another_storage_scp(capsys, implementation):
    with (
        storage_scp() as destination,
        qr_scp(implementation, destinations={"STORESCP": destination.port}) as peer,
    ):
        status, err = run(
            capsys, "-v", "-aem", "STORESCP", *PATIENT_1, LOOPBACK, str(peer.port)
        )
        assert peer.wait_closed() == ["released"]
    assert status == 0, err
    assert sorted(str(ds.SOPInstanceUID) for ds in destination.datasets) == sorted(
        str(ds.SOPInstanceUID) for ds in ARCHIVE[:3]
    )
    lines = err.splitlines()
    assert "I: Move Destination: STORESCP" in lines
    assert "I: Sending Move Request (MsgID 1)" in lines
    assert "I: Received Final Move Response (Success)" in lines
    assert lines[-1] == (
        "I: 1 Move requests, 0 failed; sub-operations: 3 completed, 0 failed, 0 warning"
    )


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
def test_receive_with_port(tmp_path, capsys, implementation):
    port = free_port()
    with qr_scp(implementation, destinations={"MOVESCU": port}) as peer:
        status, err = run(
            capsys,
            "-v",
            "+P",
            str(port),
            "-od",
            str(tmp_path),
            *PATIENT_1,
            LOOPBACK,
            str(peer.port),
        )
    assert status == 0, err
    assert_written(tmp_path, ARCHIVE[:3])
    lines = err.splitlines()
    assert f"I: Listening on port {port} as MOVESCU" in lines
    assert any(
        line.startswith("I: Sub-association accepted from QRSCP") for line in lines
    )
    assert lines[-1].endswith(
        f"3 instances received, 3 written to {tmp_path}, 0 not written"
    )
    # The listener is gone.
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((LOOPBACK, port), timeout=TIMEOUT).close()


def test_move_destination_unknown(capsys):
    with qr_scp() as peer:
        status, err = run(
            capsys, "-aem", "NOBODY", *PATIENT_1, LOOPBACK, str(peer.port)
        )
    assert status == 1
    # (The in-process dicomnet SCP logs to the same stderr: our lines only.)
    assert err.splitlines()[-2:] == [
        (
            "E: Move failed: Failure 0xA801: Refused: move destination unknown "
            "(0 sub-operations failed)"
        ),
        (
            "W: 1 Move requests, 1 failed; sub-operations: 0 completed, 0 failed, "
            "0 warning"
        ),
    ]


def test_failed_sub_operations(capsys):
    with (
        storage_scp(status=0xA700) as destination,
        qr_scp(destinations={"STORESCP": destination.port}) as peer,
    ):
        status, err = run(
            capsys, "-aem", "STORESCP", *PATIENT_1, LOOPBACK, str(peer.port)
        )
    assert status == 1
    assert "W: Failed SOP Instances: " in err
    assert "sub-operations: 0 completed, 3 failed, 0 warning" in err


def test_port_in_use(tmp_path, capsys):
    with socket.socket() as taken:
        taken.bind(("", 0))
        taken.listen()
        port = taken.getsockname()[1]
        status, err = run(
            capsys, "+P", str(port), "-od", str(tmp_path), *PATIENT_1, LOOPBACK, "104"
        )
    assert status == 5
    assert f"E: Cannot listen on port {port}: " in err


def test_port_needs_the_output_directory(tmp_path, capsys):
    missing = tmp_path / "missing"
    status, err = run(
        capsys, "+P", "0", "-od", str(missing), *PATIENT_1, LOOPBACK, "104"
    )
    assert (status, err) == (2, f"E: The output directory {missing} does not exist\n")


def test_progress_bar(tmp_path, capsys):
    port = free_port()
    with qr_scp(destinations={"MOVESCU": port}) as peer:
        status, err = run(
            capsys,
            "--progress",
            "+P",
            str(port),
            "--ignore",
            *PATIENT_1,
            LOOPBACK,
            str(peer.port),
        )
    assert status == 0, err
    assert "3/3" in err
