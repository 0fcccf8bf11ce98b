"""``dicomnet echoscp``: in-process (``start``, ``main``) and as a subprocess."""

from __future__ import annotations

import logging
import os
import re
import signal
import socket
import threading

import pytest
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

from dicomnet import AE
from dicomnet.apps import echoscp, echoscu
from dicomnet.apps._common import app_logging, sigterm_interrupts
from dicomnet.sop_class import Verification

from .conftest import LOOPBACK, TIMEOUT, echoscp_process


def options(*argv: str):
    return echoscp.build_parser().parse_args(list(argv))


def echo(port: int, *argv: str) -> int:
    """Run echoscu in-process: only while no in-process echoscp logs.

    Both apps configure the one ``dicomnet`` logger, so echoscu's ``-q``
    would silence an echoscp running in this process meanwhile.
    """
    return echoscu.main(["-q", *argv, LOOPBACK, str(port)])


def echo_api(
    port: int,
    *,
    calling: str = "ECHOSCU",
    called: str = "ANY-SCP",
    repeat: int = 1,
    abort: bool = False,
    syntax: str | None = None,
) -> str:
    """Echo with the public API (no logging set-up); return what happened."""
    ae = AE(calling)
    ae.add_requested_context(Verification, syntax)
    assoc = ae.associate(LOOPBACK, port, ae_title=called)
    if assoc.is_rejected:
        return "rejected"
    assert assoc.is_established
    try:
        if not assoc.accepted_contexts:
            return "context rejected"
        statuses = [assoc.send_c_echo(n).Status for n in range(1, repeat + 1)]
        assert statuses == [0] * repeat
        return "ok"
    finally:
        if abort:
            assoc.abort()
        else:
            assoc.release()


def test_answers_and_logs_each_association(capsys):
    opts = options("0", "-b", LOOPBACK)
    with app_logging(opts, "info"):
        ae, server = echoscp.start(opts)
        try:
            port = server.server_address[1]
            assert echo_api(port, repeat=2) == "ok"
            assert echo_api(port, abort=True) == "ok"
        finally:
            ae.shutdown()
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == f"I: Listening on {LOOPBACK} port {port} as ECHOSCP"
    accepted = [line for line in lines if "Association accepted from ECHOSCU" in line]
    echoes = [line for line in lines if "Received C-ECHO request (MsgID" in line]
    assert len(accepted) == 2
    assert len(echoes) == 3
    assert sum(" released" in line for line in lines) == 1
    assert sum(" aborted" in line for line in lines) == 1


def test_logs_rejections(capsys):
    opts = options("0", "-b", LOOPBACK, "--require-called-aet", "-aet", "ME")
    with app_logging(opts, "info"):
        ae, server = echoscp.start(opts)
        try:
            assert echo_api(server.server_address[1], called="YOU") == "rejected"
            assert echo_api(server.server_address[1], called="ME") == "ok"
        finally:
            ae.shutdown()
    err = capsys.readouterr().err
    assert (
        "rejected: called AE title not recognized (result 1, source 1, reason 7)" in err
    )


def test_require_calling_aet():
    opts = options("0", "-b", LOOPBACK, "--require-calling-aet", "FRIEND")
    ae, server = echoscp.start(opts)
    try:
        port = server.server_address[1]
        assert echo(port, "-aet", "FRIEND") == 0
        assert echo(port, "-aet", "STRANGER") == 3
    finally:
        ae.shutdown()


def test_settings_reach_the_ae():
    opts = options(
        "0",
        "-b",
        LOOPBACK,
        "-ta",
        "7",
        "-td",
        "8",
        "-tn",
        "0",
        "-pdu",
        "65536",
        "--max-associations",
        "3",
    )
    ae, _server = echoscp.start(opts)
    try:
        assert (ae.acse_timeout, ae.dimse_timeout, ae.network_timeout) == (7, 8, None)
        assert ae.maximum_pdu_size == 65536
        assert ae.maximum_associations == 3
        assert ae.ae_title == "ECHOSCP"
    finally:
        ae.shutdown()


def test_implicit_only_refuses_other_syntaxes():
    ae, server = echoscp.start(options("0", "-b", LOOPBACK, "-xi"))
    try:
        port = server.server_address[1]
        assert echo_api(port, syntax=ExplicitVRLittleEndian) == "context rejected"
        assert echo_api(port, syntax=ImplicitVRLittleEndian) == "ok"
    finally:
        ae.shutdown()


def test_max_associations_one():
    ae, server = echoscp.start(options("0", "-b", LOOPBACK, "--max-associations", "1"))
    try:
        port = server.server_address[1]
        # Hold one association open with a second AE, then ask for another.
        holder_ae = echoscu._make_ae(echoscu.build_parser().parse_args(["x", "1"]))
        holder = holder_ae.associate(LOOPBACK, port)
        assert holder.is_established
        try:
            assert echo(port) == 3
        finally:
            holder.release()
    finally:
        ae.shutdown()


def test_port_in_use(capsys):
    with socket.create_server((LOOPBACK, 0)) as taken:
        port = taken.getsockname()[1]
        status = echoscp.main([str(port), "-b", LOOPBACK])
    assert status == 5
    err = capsys.readouterr().err
    assert err.startswith(f"E: Cannot listen on {LOOPBACK} port {port}: ")
    assert len(err.splitlines()) == 1


def test_bad_tls_files(tmp_path, capsys):
    missing = str(tmp_path / "missing.pem")
    status = echoscp.main(["0", "+tls", missing, missing])
    assert status == 2
    assert capsys.readouterr().err.startswith("E: Cannot load the TLS files: ")


@pytest.mark.parametrize(
    "argv",
    [[], ["port"], ["-1"], ["0", "--max-associations", "0"], ["0", "-aet", ""]],
)
def test_usage_errors(capsys, argv):
    assert echoscp.main(argv) == 2
    assert "usage: dicomnet echoscp" in capsys.readouterr().err


def test_start_outside_the_main_thread_leaves_signals_alone():
    # An embedding program may run the SCP's main from a worker thread: no
    # signal handler is installed there (Python forbids it), and start works.
    result = {}

    def worker() -> None:
        with sigterm_interrupts():
            result["handler"] = signal.getsignal(signal.SIGTERM)

    before = signal.getsignal(signal.SIGTERM)
    thread = threading.Thread(target=worker)
    thread.start()
    thread.join(TIMEOUT)
    assert result["handler"] is before


class _Listening(logging.Handler):
    """Catches the "Listening" record of an in-process echoscp."""

    def __init__(self) -> None:
        super().__init__()
        self.port: int | None = None
        self.ready = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        match = re.match(r"Listening on \S+ port (\d+)", record.getMessage())
        if match:
            self.port = int(match[1])
            self.ready.set()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_main_stops_on_signal(capsys, signum):
    """main() in this (the main) thread: a signal ends it with status 0."""
    catcher = _Listening()
    app_logger = logging.getLogger("dicomnet.apps.echoscp")
    app_logger.addHandler(catcher)
    before = signal.getsignal(signal.SIGTERM)
    outcome = {}

    def client() -> None:
        try:
            if catcher.ready.wait(TIMEOUT):
                assert catcher.port is not None
                outcome["echo"] = echo_api(catcher.port)
        finally:
            # Always, so that main() returns even if the echo failed.
            os.kill(os.getpid(), signum)

    thread = threading.Thread(target=client)
    thread.start()
    try:
        status = echoscp.main(["0", "-b", LOOPBACK])
    finally:
        thread.join(TIMEOUT)
        app_logger.removeHandler(catcher)
    assert status == 0
    assert outcome == {"echo": "ok"}
    assert signal.getsignal(signal.SIGTERM) is before
    err = capsys.readouterr().err
    assert "I: Interrupted: shutting down" in err
    assert "Received C-ECHO request (MsgID 1)" in err


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_process_stops_on_signal(signum):
    with echoscp_process("-b", LOOPBACK) as scp:
        assert echo(scp.port) == 0
        status, err = scp.stop(signum)
    assert status == 0
    assert "Interrupted: shutting down" in err
    assert "Association accepted from ECHOSCU" in err


def test_process_stops_with_an_association_open():
    with echoscp_process("-b", LOOPBACK) as scp:
        holder_ae = echoscu._make_ae(echoscu.build_parser().parse_args(["x", "1"]))
        holder = holder_ae.associate(LOOPBACK, scp.port)
        assert holder.is_established
        status, err = scp.stop(signal.SIGTERM)
        # The SCP aborted the association on its way out.
        holder.join(TIMEOUT)
        assert holder.is_aborted
    assert status == 0
    assert "aborted" in err


def test_quiet_hides_even_errors(capsys):
    status = echoscp.main(["-q", "-b", "256.0.0.0", "0"])
    assert status == 5  # not an address: it cannot be listened on
    assert capsys.readouterr().err == ""


def test_tls_in_process(pki, capsys):
    server_cert, server_key = pki["server"]
    client_cert, client_key = pki["client"]
    opts = options(
        "0",
        "-b",
        LOOPBACK,
        "+tls",
        str(server_key),
        str(server_cert),
        "+cf",
        str(client_cert),
    )
    ae, server = echoscp.start(opts)
    try:
        port = str(server.server_address[1])
        mutual = ["+tls", str(client_key), str(client_cert), "+cf", str(server_cert)]
        assert echoscu.main([*mutual, LOOPBACK, port]) == 0
        assert echoscu.main(["+tla", "-ic", LOOPBACK, port]) == 4
    finally:
        ae.shutdown()
    assert "TLS handshake failed" in capsys.readouterr().err
