"""AssociationServer / ThreadedAssociationServer mechanics over loopback."""

from __future__ import annotations

import logging
import socket
import threading

import pytest

from dicomnet.transport import AssociationServer, ThreadedAssociationServer
from dicomnet.ul.events import ProviderAbortIndication

from .peers import TIMEOUT, FakeAE, Requestor, joined, serve


def has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


def test_server_surface() -> None:
    server = ThreadedAssociationServer(FakeAE(), ("127.0.0.1", 0), "SCP", [])
    try:
        host, port = server.server_address
        assert host == "127.0.0.1"
        assert port != 0  # the real port
        assert server.socket.getsockname() == server.server_address
        assert server.address_family == socket.AF_INET
        assert server.allow_reuse_address
        assert server.ae_title == "SCP"
        assert server.contexts == []
        assert server.ssl_context is None
        assert server.active_associations == []
        assert server.thread is None
    finally:
        server.shutdown()  # never served: returns at once
        server.shutdown()


def test_serving_thread_is_named_and_daemon() -> None:
    server = serve(FakeAE())
    try:
        assert server.thread.name.startswith("AcceptorServer@")
        assert server.thread.daemon
    finally:
        server.shutdown()
    assert not server.thread.is_alive()


def test_shutdown_ends_live_associations_and_threads() -> None:
    baseline = set(threading.enumerate())
    ae = FakeAE()
    server = serve(ae)
    requestors = [Requestor() for _ in range(3)]
    for requestor in requestors:
        requestor.establish(server.server_address)
    acceptors = [ae.next_acceptor()[0] for _ in requestors]
    assert sorted(map(id, server.active_associations)) == sorted(map(id, acceptors))
    server.shutdown()
    assert server.active_associations == []
    assert not any(a.is_alive() for a in acceptors)
    for requestor in requestors:  # our closes reached the peers: Evt17
        requestor.events.wait_for(ProviderAbortIndication)
        assert joined(requestor.driver)
    assert set(threading.enumerate()) == baseline
    with pytest.raises(OSError):  # the listening socket is gone
        socket.create_connection(server.server_address, timeout=TIMEOUT)


def test_blocking_serve_forever_returns_after_shutdown() -> None:
    server = AssociationServer(FakeAE(), ("127.0.0.1", 0), "SCP", [])
    thread = threading.Thread(target=server.serve_forever, args=(0.5,))
    thread.start()
    requestor = Requestor()
    requestor.establish(server.server_address)  # proves the loop is serving
    server.shutdown()
    thread.join(TIMEOUT)
    assert not thread.is_alive()
    server.serve_forever()  # after shutdown: returns at once
    requestor.events.wait_for(ProviderAbortIndication)


def test_several_servers_on_different_ports() -> None:
    ae = FakeAE()
    servers = [serve(ae) for _ in range(3)]
    try:
        ports = {s.server_address[1] for s in servers}
        assert len(ports) == 3
        for server in servers:
            requestor = Requestor()
            requestor.establish(server.server_address)
            assert requestor.echo() == 0
            requestor.release()
    finally:
        for server in servers:
            server.shutdown()


def test_address_in_use_raises() -> None:
    server = serve(FakeAE())
    try:
        with pytest.raises(OSError):
            AssociationServer(FakeAE(), server.server_address, "SCP", [])
    finally:
        server.shutdown()


@pytest.mark.skipif(not has_ipv6_loopback(), reason="no IPv6 loopback")
@pytest.mark.parametrize("address", [("::1", 0), ("::1", 0, 0, 0)])
def test_ipv6_loopback(address) -> None:
    server = serve(FakeAE(), address)
    try:
        assert server.address_family == socket.AF_INET6
        requestor = Requestor()
        requestor.establish(("::1", server.server_address[1]))
        assert requestor.driver.peer_address == ("::1", server.server_address[1])
        assert requestor.echo() == 0
        requestor.release()
        four = Requestor()
        four.establish(("::1", server.server_address[1], 0, 0))
        four.release()
    finally:
        server.shutdown()


class RaisingAE(FakeAE):
    def _new_acceptor(self, server, sock, client_address):
        if not getattr(self, "raised", False):
            self.raised = True
            raise RuntimeError("hook bug")
        return super()._new_acceptor(server, sock, client_address)


def test_hook_failure_is_logged_and_serving_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = serve(RaisingAE())
    try:
        with (
            caplog.at_level(logging.ERROR, logger="dicomnet.transport.server"),
            socket.create_connection(server.server_address) as raw,
        ):
            raw.settimeout(TIMEOUT)
            assert raw.recv(10) == b""  # the server closed the socket
        assert "hook bug" in caplog.text
        requestor = Requestor()
        requestor.establish(server.server_address)
        requestor.release()
    finally:
        server.shutdown()


class ShutdownFromHookAE(FakeAE):
    def _new_acceptor(self, server, sock, client_address):
        server.shutdown()  # on the serving thread: refused, never a deadlock
        raise AssertionError("unreachable")


def test_shutdown_from_the_serving_thread_is_refused(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = serve(ShutdownFromHookAE())
    try:
        with (
            caplog.at_level(logging.ERROR, logger="dicomnet.transport.server"),
            socket.create_connection(server.server_address) as raw,
        ):
            raw.settimeout(TIMEOUT)
            assert raw.recv(10) == b""
        assert "serve_forever() thread" in caplog.text
    finally:
        server.shutdown()


class PickyServer(ThreadedAssociationServer):
    def verify_request(self, request, client_address) -> bool:
        return False


def test_refused_by_verify_request() -> None:
    ae = FakeAE()
    server = PickyServer(ae, ("127.0.0.1", 0), "SCP", [])
    server.start()
    try:
        with socket.create_connection(server.server_address) as raw:
            raw.settimeout(TIMEOUT)
            assert raw.recv(10) == b""
        assert ae.acceptors == []
    finally:
        server.shutdown()


class FailingAcceptServer(ThreadedAssociationServer):
    failures = 0

    def get_request(self):
        if not self.failures:
            self.failures += 1
            raise ConnectionAbortedError("reset before accept")
        return super().get_request()


def test_accept_failure_is_skipped() -> None:
    server = FailingAcceptServer(FakeAE(), ("127.0.0.1", 0), "SCP", [])
    server.start()
    try:
        # The first readiness hits the failure; the connection stays queued
        # and is accepted on the next round.
        requestor = Requestor()
        requestor.establish(server.server_address)
        requestor.release()
        assert server.failures == 1
    finally:
        server.shutdown()


def test_stuck_association_is_reported(caplog: pytest.LogCaptureFixture) -> None:
    accepted = threading.Event()

    class Stuck:
        def __init__(self, sock: socket.socket) -> None:
            self.sock = sock

        def close(self) -> None:
            self.sock.close()

        def join(self, timeout=None) -> None: ...

        def is_alive(self) -> bool:
            return True

    class StuckAE:
        def _new_acceptor(self, server, sock, client_address):
            accepted.set()
            return Stuck(sock)

    server = serve(StuckAE())
    server.association_join_timeout = 0
    with socket.create_connection(server.server_address) as raw:
        assert accepted.wait(TIMEOUT)
        with caplog.at_level(logging.WARNING, logger="dicomnet.transport.server"):
            server.shutdown()  # waits for the loop, so the handle is tracked
        raw.settimeout(TIMEOUT)
        assert raw.recv(10) == b""  # close() was asked of it
    assert "did not end in time" in caplog.text
