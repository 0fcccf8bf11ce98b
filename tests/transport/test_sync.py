"""AssociationDriver over loopback: our requestor against our server."""

from __future__ import annotations

import logging
import socket
import threading
import time
from concurrent.futures import Future

import pytest

from dicomnet.errors import LocalProtocolError, TransportClosedError
from dicomnet.transport.sync import AssociationDriver
from dicomnet.ul.connection import Role, UpperLayer
from dicomnet.ul.events import (
    AbortIndication,
    AssociateAccepted,
    AssociateIndication,
    ProviderAbortIndication,
    ReleaseIndication,
    TransportCloseRequested,
    TransportConnectRequested,
)
from dicomnet.ul.pdu import P_DATA_TF, PDV, encode_pdu

from .peers import (
    TIMEOUT,
    EchoAcceptor,
    FakeAE,
    Recorder,
    Requestor,
    associate_rq,
    joined,
    serve,
)


@pytest.fixture
def ae() -> FakeAE:
    return FakeAE()


@pytest.fixture
def server(ae: FakeAE):
    server = serve(ae)
    yield server
    server.shutdown()


def test_associate_echo_release(ae: FakeAE, server) -> None:
    requestor = Requestor()
    requestor.establish(server.server_address)
    assert requestor.echo(5) == 0x0000
    requestor.release()
    acceptor, handler = ae.next_acceptor()
    assert joined(acceptor)
    assert handler.names()[:2] == ["AssociateIndication", "DataIndication"]
    assert "ReleaseIndication" in handler.names()
    # handle_event runs on the owner thread, and only there.
    assert handler.threads == {acceptor.thread.ident}
    assert requestor.events.threads == {requestor.driver.thread.ident}
    # The driver handled the transport requests and passed them on too.
    assert isinstance(requestor.events.events[0], TransportConnectRequested)
    assert isinstance(requestor.events.events[-1], TransportCloseRequested)
    assert requestor.driver.peer_address == server.server_address
    assert acceptor.peer_address == requestor.driver.local_address
    assert acceptor.peer_certificate is None
    assert server.active_associations == []


def test_user_abort_reaches_the_acceptor(ae: FakeAE, server) -> None:
    requestor = Requestor()
    requestor.establish(server.server_address)
    acceptor, handler = ae.next_acceptor()
    requestor.abort()
    assert isinstance(handler.wait_for(AbortIndication), AbortIndication)
    assert joined(acceptor)
    assert joined(requestor.driver)  # AA-1 then the peer's close (AR-5)


def test_peer_vanishing_gives_a_provider_abort(ae: FakeAE, server) -> None:
    raw = socket.create_connection(server.server_address, timeout=TIMEOUT)
    raw.sendall(encode_pdu(associate_rq()))
    assert raw.recv(1) == b"\x02"  # A-ASSOCIATE-AC: the association exists
    acceptor, handler = ae.next_acceptor()
    raw.close()
    abort = handler.wait_for(ProviderAbortIndication)
    assert abort.error is None  # AA-4: the transport closed (Evt17)
    assert joined(acceptor)
    assert server.active_associations == []


def test_artim_closes_a_silent_connection() -> None:
    ae = FakeAE(artim_timeout=0.5)
    server = serve(ae)
    try:
        with socket.create_connection(server.server_address) as raw:
            raw.settimeout(TIMEOUT)  # a bound on the test, not the thing tested
            assert raw.recv(100) == b""  # AA-2 on ARTIM expiry: closed, no PDU
        acceptor, handler = ae.next_acceptor()
        assert joined(acceptor)
        assert handler.names() == ["TransportCloseRequested"]
    finally:
        server.shutdown()


def test_idle_timeout_runs_on_idle_on_the_owner_thread(server) -> None:
    called: Future[int] = Future()
    requestor = Requestor(
        idle_timeout=0.2,
        on_idle=lambda: called.done() or called.set_result(threading.get_ident()),
    )
    requestor.establish(server.server_address)
    assert called.result(TIMEOUT) == requestor.driver.thread.ident
    # on_idle did nothing: the association is still usable.
    assert requestor.echo(2) == 0
    requestor.release()


def test_idle_timeout_without_on_idle_closes(ae: FakeAE, server) -> None:
    requestor = Requestor(idle_timeout=0.2)
    requestor.establish(server.server_address)
    requestor.events.wait_for(ProviderAbortIndication)
    assert joined(requestor.driver)
    _acceptor, handler = ae.next_acceptor()
    handler.wait_for(ProviderAbortIndication)


def test_call_runs_on_the_owner_thread(server) -> None:
    requestor = Requestor()
    requestor.establish(server.server_address)
    owner = requestor.driver.call(threading.get_ident).result(TIMEOUT)
    assert owner == requestor.driver.thread.ident != threading.get_ident()

    def fail() -> None:
        raise KeyError("x")

    assert isinstance(requestor.driver.call(fail).exception(TIMEOUT), KeyError)
    requestor.release()
    late = requestor.driver.call(threading.get_ident)
    assert isinstance(late.exception(TIMEOUT), TransportClosedError)


def test_call_from_the_owner_thread_runs_inline(server) -> None:
    inner: list[Future[int]] = []
    requestor = Requestor()

    def handle(event: object) -> None:
        Recorder.__call__(requestor.events, event)
        if isinstance(event, AssociateAccepted):
            inner.append(requestor.driver.call(threading.get_ident))

    requestor.driver._handle_event = handle
    requestor.establish(server.server_address)
    assert inner[0].done()
    assert inner[0].result() == requestor.driver.thread.ident
    requestor.release()


def test_cancelled_call_is_skipped(server) -> None:
    requestor = Requestor()
    gate = threading.Event()
    requestor.establish(server.server_address)
    blocker = requestor.driver.call(lambda: gate.wait(TIMEOUT))
    skipped = requestor.driver.call(lambda: pytest.fail("cancelled call ran"))
    assert skipped.cancel()
    gate.set()
    assert blocker.result(TIMEOUT) is True
    requestor.release()


def test_queued_calls_fail_when_the_driver_stops() -> None:
    connection = FakeConnection()
    driver = AssociationDriver(connection, Recorder(), name="calls")
    left, right = socket.socketpair()
    with right:
        gate = threading.Event()
        driver.call(lambda: gate.wait(TIMEOUT))
        driver.call(lambda: connection.events.append(TransportCloseRequested()))
        queued = driver.call(threading.get_ident)
        driver.start_acceptor(left)
        gate.set()
        assert isinstance(queued.exception(TIMEOUT), TransportClosedError)
        assert joined(driver)


def test_handler_exception_is_logged_and_closes(
    ae: FakeAE, server, caplog: pytest.LogCaptureFixture
) -> None:
    class Failing(EchoAcceptor):
        def __call__(self, event: object) -> None:
            super().__call__(event)
            if isinstance(event, ReleaseIndication):
                raise RuntimeError("handler bug")

    ae.handler_factory = Failing
    requestor = Requestor()
    requestor.establish(server.server_address)
    with caplog.at_level(logging.ERROR, logger="dicomnet.transport.sync"):
        requestor.send(requestor_release())
        acceptor, _handler = ae.next_acceptor()
        assert joined(acceptor)
    assert "handler bug" in caplog.text
    assert "[AcceptorThread@test]" in caplog.text
    # The release answer was written before the exception closed the socket.
    assert joined(requestor.driver)
    # The server goes on serving.
    ae.handler_factory = EchoAcceptor
    again = Requestor()
    again.establish(server.server_address)
    again.release()


def requestor_release():
    from dicomnet.ul.pdu import A_RELEASE_RQ

    return A_RELEASE_RQ()


def test_connection_refused_is_a_provider_abort() -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        address = probe.getsockname()
    requestor = Requestor()
    requestor.associate(address)
    requestor.events.wait_for(ProviderAbortIndication)
    assert joined(requestor.driver)
    assert requestor.ul.state.value == "Sta1"


@pytest.fixture
def blackhole():
    """An address whose connect() neither succeeds nor fails: backlog full."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    filler = socket.socket()
    filler.connect(listener.getsockname())  # takes the one backlog slot
    yield listener.getsockname()
    filler.close()
    listener.close()


def test_connect_timeout_is_a_provider_abort(blackhole) -> None:
    requestor = Requestor()
    requestor.associate(blackhole, connect_timeout=0.2)
    requestor.events.wait_for(ProviderAbortIndication)
    assert joined(requestor.driver)


def test_close_interrupts_a_pending_connect(blackhole) -> None:
    requestor = Requestor()
    requestor.associate(blackhole, connect_timeout=None)
    requestor.driver.close()
    requestor.events.wait_for(ProviderAbortIndication)
    assert joined(requestor.driver)


def test_close_before_the_request_ends_quietly() -> None:
    requestor = Requestor()
    requestor.driver.start_requestor(("127.0.0.1", 1), connect_timeout=1.0)
    requestor.driver.close()
    requestor.driver.close()  # idempotent
    assert joined(requestor.driver)
    assert requestor.events.events == []


def test_close_of_an_established_association(ae: FakeAE, server) -> None:
    requestor = Requestor()
    requestor.establish(server.server_address)
    requestor.driver.close()
    requestor.events.wait_for(ProviderAbortIndication)  # told Evt17
    assert joined(requestor.driver)
    _acceptor, handler = ae.next_acceptor()
    handler.wait_for(ProviderAbortIndication)


def test_bind_address(server) -> None:
    requestor = Requestor()
    requestor.establish(server.server_address, bind_address=("127.0.0.1", 0))
    assert requestor.driver.local_address[0] == "127.0.0.1"
    requestor.release()


def test_large_p_data_is_written_whole() -> None:
    ae = FakeAE(max_pdu_length=0)
    server = serve(ae)
    try:
        requestor = Requestor(idle_timeout=TIMEOUT)
        requestor.establish(server.server_address)
        size = 32 * 1024 * 1024  # far beyond the socket buffers: send() blocks
        requestor.send(P_DATA_TF(pdvs=(PDV(1, 0x02, bytes(size)),)))
        assert requestor.echo(9) == 0
        _acceptor, handler = ae.next_acceptor()
        assert handler.received == size
        requestor.release()
    finally:
        server.shutdown()


def test_lifecycle_misuse() -> None:
    driver = AssociationDriver(UpperLayer(Role.REQUESTOR), Recorder(), name="unused")
    assert not driver.is_alive()
    driver.join(0)  # never started: nothing to wait for
    driver.close()
    driver.close()
    with pytest.raises(RuntimeError, match="already started or closed"):
        driver.start_requestor(("127.0.0.1", 1), connect_timeout=1.0)
    assert isinstance(driver.call(int).exception(0), TransportClosedError)


class FakeConnection:
    """A SansIOConnection that emits what it is told to and records calls."""

    def __init__(self, *events: object) -> None:
        self.events = list(events)
        self.calls: list[str] = []
        self.timer: float | None = None

    def transport_connected(self, now: float) -> None:
        self.calls.append("connected")

    def receive_data(self, data, now: float) -> None:
        self.calls.append(f"data:{len(data)}")
        if not data:
            raise LocalProtocolError("Sta1")

    def data_to_send_parts(self) -> list[bytes]:
        return [b"late bytes"] if "data:0" in self.calls else []

    def get_timer(self) -> float | None:
        return self.timer

    def handle_timer(self, now: float) -> None:
        self.calls.append("timer")
        self.timer = None
        self.events.append(TransportCloseRequested())

    def next_event(self) -> object | None:
        return self.events.pop(0) if self.events else None


def test_connect_request_to_an_acceptor_is_a_failed_connect() -> None:
    connection = FakeConnection()
    events = Recorder()
    driver = AssociationDriver(connection, events, name="odd")
    left, right = socket.socketpair()
    with right:
        connection.events.append(TransportConnectRequested())
        driver.start_acceptor(left)
        events.wait_for(TransportConnectRequested)
        assert joined(driver)
    # Told Evt17; the core's refusal (LocalProtocolError) is only logged, and
    # bytes it still produced go nowhere.
    assert connection.calls == ["connected", "data:0"]


def test_timer_deadline_reaches_handle_timer() -> None:
    connection = FakeConnection()
    connection.timer = time.monotonic() + 0.1
    events = Recorder()
    driver = AssociationDriver(connection, events, name="timer")
    left, right = socket.socketpair()
    with right:
        driver.start_acceptor(left)
        events.wait_for(TransportCloseRequested)
        assert joined(driver)
        assert right.recv(10) == b""  # the driver closed its end
    assert connection.calls == ["connected", "timer"]


def test_starting_twice_is_refused(server) -> None:
    requestor = Requestor()
    requestor.establish(server.server_address)
    with pytest.raises(RuntimeError):
        requestor.driver.start_requestor(server.server_address, connect_timeout=1)
    requestor.release()


def test_acceptor_handles_association_indication_only_once(ae: FakeAE, server) -> None:
    requestor = Requestor()
    requestor.establish(server.server_address)
    _acceptor, handler = ae.next_acceptor()
    requestor.release()
    assert handler.names().count("AssociateIndication") == 1
    assert isinstance(handler.events[0], AssociateIndication)


@pytest.mark.parametrize(
    "parts",
    [[b"abc", b""], [b"", b"abc"], [b"ab", b"", b"c", b""], [b"", b""]],
)
def test_empty_buffers_among_the_parts_are_written_past(parts: list[bytes]) -> None:
    # An empty data set is one empty PDV fragment: its buffer has no bytes,
    # and a sendmsg loop that waited for it to be "sent" would spin forever.
    left, right = socket.socketpair()
    with left, right:
        driver = AssociationDriver(UpperLayer(Role.REQUESTOR), Recorder(), name="parts")
        done = threading.Event()

        def send() -> None:
            driver._send_parts(left, parts)
            done.set()

        worker = threading.Thread(target=send, daemon=True)
        worker.start()
        finished = done.wait(TIMEOUT)
        driver.close()  # never started: releases its wake-up pair
        assert finished, "sendmsg loop did not finish"
        left.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := right.recv(100):
            received += chunk
    assert received == b"".join(parts)
