"""TLS on both drivers, with certificates made by ``openssl`` in the test."""

from __future__ import annotations

import shutil
import socket
import ssl

import pytest

from dicomnet.ul.events import AssociateAccepted, ProviderAbortIndication

from .peers import TIMEOUT, FakeAE, Requestor, joined, serve
from .pki import client_context, server_context

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl")


def test_mutual_authentication_succeeds(pki) -> None:
    ae = FakeAE()
    server = serve(ae, ssl_context=server_context(pki, require_client=True))
    try:
        requestor = Requestor()
        requestor.establish(
            server.server_address, tls=(client_context(pki, "client"), "localhost")
        )
        assert requestor.echo(3) == 0
        acceptor, _handler = ae.next_acceptor()
        subject = dict(x[0] for x in acceptor.peer_certificate["subject"])
        assert subject["commonName"] == "client"
        server_subject = dict(
            x[0] for x in requestor.driver.peer_certificate["subject"]
        )
        assert server_subject["commonName"] == "server"
        requestor.release()
    finally:
        server.shutdown()


@pytest.mark.parametrize("certificate", [None, "rogue"])
def test_client_without_an_accepted_certificate_fails(pki, certificate) -> None:
    ae = FakeAE()
    server = serve(ae, ssl_context=server_context(pki, require_client=True))
    try:
        requestor = Requestor()
        requestor.associate(
            server.server_address, tls=(client_context(pki, certificate), "localhost")
        )
        requestor.events.wait_for(ProviderAbortIndication)
        assert joined(requestor.driver)
        assert "AssociateAccepted" not in requestor.events.names()
        acceptor, handler = ae.next_acceptor()
        assert joined(acceptor)
        assert handler.events == []  # the core never heard of the connection
        # The server keeps serving good clients.
        good = Requestor()
        good.establish(
            server.server_address, tls=(client_context(pki, "client"), "localhost")
        )
        good.release()
    finally:
        server.shutdown()


def test_requestor_refuses_an_untrusted_server(pki) -> None:
    server = serve(FakeAE(), ssl_context=server_context(pki, require_client=False))
    try:
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
        context.load_verify_locations(cafile=str(pki["rogue"][0]))
        requestor = Requestor()
        requestor.associate(server.server_address, tls=(context, "localhost"))
        requestor.events.wait_for(ProviderAbortIndication)
        assert joined(requestor.driver)
    finally:
        server.shutdown()


def test_plain_client_to_a_tls_server_is_dropped(pki) -> None:
    ae = FakeAE()
    server = serve(ae, ssl_context=server_context(pki, require_client=False))
    try:
        requestor = Requestor()
        requestor.associate(server.server_address)
        requestor.events.wait_for(ProviderAbortIndication)
        assert AssociateAccepted not in map(type, requestor.events.events)
        acceptor, _handler = ae.next_acceptor()
        assert joined(acceptor)
    finally:
        server.shutdown()


def test_silent_client_during_the_handshake_times_out(pki) -> None:
    ae = FakeAE(idle_timeout=0.3)
    server = serve(ae, ssl_context=server_context(pki, require_client=False))
    try:
        with socket.create_connection(server.server_address) as raw:
            raw.settimeout(TIMEOUT)
            assert raw.recv(10) == b""
        acceptor, _handler = ae.next_acceptor()
        assert joined(acceptor)
    finally:
        server.shutdown()


def test_shutdown_interrupts_a_handshake(pki) -> None:
    ae = FakeAE()  # no idle limit: only close() ends the wait
    server = serve(ae, ssl_context=server_context(pki, require_client=False))
    with socket.create_connection(server.server_address) as raw:
        acceptor, _handler = ae.next_acceptor()
        server.shutdown()
        assert not acceptor.is_alive()
        raw.settimeout(TIMEOUT)
        assert raw.recv(10) == b""
