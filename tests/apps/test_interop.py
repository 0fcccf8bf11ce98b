"""The apps against DCMTK, each other as processes, over TLS and IPv6."""

from __future__ import annotations

import signal
import socket
import subprocess

import pytest

from dicomnet.apps import echoscu
from tests.interop.capture import dcmtk_available, dcmtk_server, run_client

from .conftest import LOOPBACK, TIMEOUT, dicomnet_command, dicomnet_scp, echoscp_process

needs_dcmtk = pytest.mark.skipif(
    not dcmtk_available("echoscu", "storescp"), reason="DCMTK is not installed"
)


def _has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


def run_echoscu(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        dicomnet_command("echoscu", *argv),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def test_echoscu_process_against_echoscp_process():
    with echoscp_process("-b", LOOPBACK, "-aet", "PROCSCP") as scp:
        done = run_echoscu("-aec", "PROCSCP", "-r", "2", LOOPBACK, str(scp.port))
        status, log = scp.stop(signal.SIGTERM)
    assert done.returncode == 0, done.stderr
    assert status == 0
    assert "Association accepted from ECHOSCU" in log
    assert "Received C-ECHO request (MsgID 2)" in log


@pytest.mark.interop
@needs_dcmtk
def test_dcmtk_echoscu_against_echoscp():
    with echoscp_process("-b", LOOPBACK) as scp:
        done = run_client(["echoscu", "-aet", "DCMTKSCU", LOOPBACK, str(scp.port)])
        status, log = scp.stop(signal.SIGTERM)
    assert done.returncode == 0, done.stdout + done.stderr
    assert status == 0
    assert "Association accepted from DCMTKSCU" in log
    assert "Received C-ECHO request (MsgID 1)" in log


@pytest.mark.interop
@needs_dcmtk
def test_dcmtk_echoscu_rejected_by_echoscp():
    with echoscp_process("-b", LOOPBACK, "--require-called-aet") as scp:
        done = run_client(["echoscu", "-aec", "WRONG", LOOPBACK, str(scp.port)])
        status, log = scp.stop(signal.SIGTERM)
    assert done.returncode != 0
    assert status == 0
    assert "rejected: called AE title not recognized" in log


@pytest.mark.interop
@needs_dcmtk
def test_echoscu_against_dcmtk_storescp(capsys):
    with dcmtk_server("storescp", ["-aet", "STORESCP"]) as server:
        status = echoscu.main(["-v", "-aec", "STORESCP", LOOPBACK, str(server.port)])
    assert status == 0
    assert "I: Received Echo Response (Status: Success)" in capsys.readouterr().err


@pytest.mark.interop
@needs_dcmtk
def test_echoscu_refused_by_dcmtk_storescp(capsys):
    # storescp --refuse answers every request with A-ASSOCIATE-RJ
    # rejected-permanent, service-user, no reason given (PS3.8 9.3.4).
    with dcmtk_server("storescp", ["--refuse"]) as server:
        status = echoscu.main([LOOPBACK, str(server.port)])
    assert status == 3
    assert capsys.readouterr().err.startswith("E: Association rejected: ")


@pytest.mark.interop
@needs_dcmtk
def test_echoscu_process_against_dcmtk_storescp():
    with dcmtk_server("storescp", []) as server:
        done = run_echoscu("-xb", LOOPBACK, str(server.port))
    assert done.returncode == 0, done.stderr


# -- TLS ----------------------------------------------------------------------------


def test_tls_mutual_authentication(pki):
    server_cert, server_key = pki["server"]
    client_cert, client_key = pki["client"]
    tls_server = ["+tls", str(server_key), str(server_cert), "+cf", str(client_cert)]
    with echoscp_process("-b", LOOPBACK, *tls_server) as scp:
        ok = run_echoscu(
            "+tls",
            str(client_key),
            str(client_cert),
            "+cf",
            str(server_cert),
            LOOPBACK,
            str(scp.port),
        )
        # No client certificate: the server refuses the handshake.
        anonymous = run_echoscu(
            "+tla", "+cf", str(server_cert), LOOPBACK, str(scp.port)
        )
        # A plain TCP client cannot talk to a TLS server.
        plain = run_echoscu("-ta", "2", LOOPBACK, str(scp.port))
        status, log = scp.stop(signal.SIGTERM)
    assert "(TLS)" in log
    assert ok.returncode == 0, ok.stderr
    assert anonymous.returncode == 4, anonymous.stderr
    assert "TLS handshake failed" in anonymous.stderr
    assert plain.returncode == 4
    assert status == 0


def test_tls_anonymous_client_and_unverified_server(pki):
    server_cert, server_key = pki["server"]
    with echoscp_process(
        "-b", LOOPBACK, "+tls", str(server_key), str(server_cert), "-ic"
    ) as scp:
        trusted = run_echoscu("+tla", "+cf", str(server_cert), LOOPBACK, str(scp.port))
        # Without +cf the server's self-signed certificate is not trusted...
        untrusted = run_echoscu("+tla", LOOPBACK, str(scp.port))
        # ... unless the client does not check it.
        unchecked = run_echoscu("+tla", "-ic", LOOPBACK, str(scp.port))
        scp.stop(signal.SIGTERM)
    assert trusted.returncode == 0, trusted.stderr
    assert untrusted.returncode == 4
    assert unchecked.returncode == 0, unchecked.stderr


@pytest.mark.interop
@needs_dcmtk
def test_dcmtk_echoscu_over_tls(pki):
    server_cert, server_key = pki["server"]
    client_cert, client_key = pki["client"]
    tls_server = ["+tls", str(server_key), str(server_cert), "+cf", str(client_cert)]
    with echoscp_process("-b", LOOPBACK, *tls_server) as scp:
        done = run_client(
            [
                "echoscu",
                "+tls",
                str(client_key),
                str(client_cert),
                "+cf",
                str(server_cert),
                LOOPBACK,
                str(scp.port),
            ]
        )
        status, log = scp.stop(signal.SIGTERM)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Received C-ECHO request" in log
    assert status == 0


def test_bad_tls_files_are_a_usage_error(tmp_path, capsys):
    missing = str(tmp_path / "nothing.pem")
    assert echoscu.main(["+tls", missing, missing, LOOPBACK, "104"]) == 2
    assert capsys.readouterr().err.startswith("E: Cannot load the TLS files: ")


# -- IPv6 ---------------------------------------------------------------------------


@pytest.mark.skipif(not _has_ipv6_loopback(), reason="no IPv6 loopback")
def test_ipv6():
    with echoscp_process("-b", "::1") as scp:
        done = run_echoscu("::1", str(scp.port))
        status, log = scp.stop(signal.SIGTERM)
    assert "Listening on ::1 port" in log
    assert done.returncode == 0, done.stderr
    assert status == 0


@pytest.mark.skipif(not _has_ipv6_loopback(), reason="no IPv6 loopback")
def test_ipv6_in_process(capsys):
    with dicomnet_scp() as peer:
        # The in-process SCP listens on IPv4 only: ::1 is refused.
        assert echoscu.main(["::1", str(peer.port)]) == 5
    assert "Cannot connect to ::1" in capsys.readouterr().err
