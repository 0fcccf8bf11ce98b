"""The drivers against real peers: DCMTK and pynetdicom, over loopback."""

from __future__ import annotations

import threading

import pytest

from dicomnet.ul.events import AbortIndication, ReleaseIndication
from tests.interop.capture import dcmtk_available, dcmtk_server, run_client
from tests.interop.echo_commands import VERIFICATION

from .peers import TIMEOUT, FakeAE, Requestor, joined, serve
from .pki import server_context

pytestmark = pytest.mark.interop

needs_dcmtk = pytest.mark.skipif(
    not dcmtk_available("echoscu", "storescp"), reason="DCMTK is not installed"
)


@needs_dcmtk
@pytest.mark.parametrize("extra", [[], ["--abort"]])
def test_dcmtk_echoscu_to_our_server(extra: list[str]) -> None:
    ae = FakeAE()
    server = serve(ae)
    try:
        result = run_client(
            [
                "echoscu",
                *extra,
                "-aec",
                "DICOMNET",
                "127.0.0.1",
                str(server.server_address[1]),
            ]
        )
        assert result.returncode == 0, result.stdout + result.stderr
        acceptor, handler = ae.next_acceptor()
        assert joined(acceptor)
        ending = AbortIndication if extra else ReleaseIndication
        assert ending.__name__ in handler.names()
        assert server.active_associations == []
    finally:
        server.shutdown()


@needs_dcmtk
def test_dcmtk_echoscu_over_mutual_tls(pki) -> None:
    ae = FakeAE()
    server = serve(ae, ssl_context=server_context(pki, require_client=True))
    cert, key = pki["client"]
    try:
        result = run_client(
            [
                "echoscu",
                "+tls",
                str(key),
                str(cert),
                "+cf",
                str(pki["server"][0]),
                "-aec",
                "DICOMNET",
                "127.0.0.1",
                str(server.server_address[1]),
            ]
        )
        assert result.returncode == 0, result.stdout + result.stderr
        acceptor, handler = ae.next_acceptor()
        assert joined(acceptor)
        assert "ReleaseIndication" in handler.names()
        # Without a client certificate the same server refuses it.
        refused = run_client(
            [
                "echoscu",
                "+tla",
                "+cf",
                str(pki["server"][0]),
                "-aec",
                "DICOMNET",
                "127.0.0.1",
                str(server.server_address[1]),
            ]
        )
        assert refused.returncode != 0
    finally:
        server.shutdown()


@needs_dcmtk
def test_our_requestor_to_dcmtk_storescp() -> None:
    with dcmtk_server("storescp", ["-aet", "STORESCP"]) as scp:
        requestor = Requestor()
        requestor.establish(("127.0.0.1", scp.port), called="STORESCP")
        assert requestor.echo(11) == 0
        requestor.release()


def test_pynetdicom_requestor_to_our_server() -> None:
    pynetdicom = pytest.importorskip("pynetdicom")
    ae = FakeAE()
    server = serve(ae)
    try:
        peer = pynetdicom.AE(ae_title="PYNETDICOM")
        peer.add_requested_context(VERIFICATION)
        assoc = peer.associate(
            "127.0.0.1", server.server_address[1], ae_title="DICOMNET"
        )
        assert assoc.is_established
        assert assoc.send_c_echo(msg_id=4).Status == 0
        assoc.release()
        assert assoc.is_released
        acceptor, _handler = ae.next_acceptor()
        assert joined(acceptor)
    finally:
        server.shutdown()


def test_our_requestor_to_pynetdicom_and_its_abort() -> None:
    pynetdicom = pytest.importorskip("pynetdicom")
    peer = pynetdicom.AE(ae_title="PYNETDICOM")
    peer.add_supported_context(VERIFICATION)
    aborted = threading.Event()
    server = peer.start_server(
        ("127.0.0.1", 0),
        block=False,
        evt_handlers=[(pynetdicom.evt.EVT_ABORTED, lambda _e: aborted.set())],
    )
    try:
        requestor = Requestor()
        requestor.establish(server.server_address, called="PYNETDICOM")
        assert requestor.echo(6) == 0
        requestor.release()
        again = Requestor()
        again.establish(server.server_address, called="PYNETDICOM")
        again.abort()
        assert aborted.wait(TIMEOUT)
        assert joined(again.driver)
    finally:
        server.shutdown()
