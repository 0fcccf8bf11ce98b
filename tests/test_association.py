"""Association and AE networking between two dicomnet AEs over loopback.

Everything waits on events, futures or joins with timeouts; nothing sleeps.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from pydicom.dataset import Dataset

from dicomnet import AE, evt
from dicomnet.pdu_primitives import UserIdentityNegotiation
from dicomnet.sop_class import CTImageStorage, Verification

TIMEOUT = 10.0


@pytest.fixture
def server_ae() -> Iterator[AE]:
    ae = AE("SERVER")
    ae.add_supported_context(Verification)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = TIMEOUT
    yield ae
    ae.shutdown()


@pytest.fixture
def client_ae() -> Iterator[AE]:
    ae = AE("CLIENT")
    ae.add_requested_context(Verification)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = TIMEOUT
    yield ae
    ae.shutdown()


def serve(ae: AE, **kwargs: object) -> int:
    server = ae.start_server(("127.0.0.1", 0), block=False, **kwargs)  # type: ignore[arg-type]
    assert server is not None
    return int(server.server_address[1])


def test_echo_and_release_with_every_lifecycle_event_in_order(
    server_ae: AE, client_ae: AE
) -> None:
    seen: list[str] = []
    done = threading.Event()
    names = {
        evt.EVT_CONN_OPEN: "open",
        evt.EVT_REQUESTED: "requested",
        evt.EVT_ACCEPTED: "accepted",
        evt.EVT_ESTABLISHED: "established",
        evt.EVT_RELEASED: "released",
        evt.EVT_CONN_CLOSE: "close",
    }
    handlers = [(e, lambda event, n=n: seen.append(n)) for e, n in names.items()]
    handlers.append((evt.EVT_CONN_CLOSE, lambda _event: done.set()))
    port = serve(server_ae, evt_handlers=handlers)

    assoc = client_ae.associate("127.0.0.1", port, ae_title="SERVER")
    assert assoc.is_established
    status = assoc.send_c_echo(msg_id=5)
    assoc.release()

    assert status.Status == 0x0000
    assert assoc.is_released and not assoc.is_established
    assert done.wait(TIMEOUT)
    assert seen == ["open", "requested", "accepted", "established", "released", "close"]
    assoc.join(TIMEOUT)
    assert client_ae.active_associations == []


def test_an_echo_handler_status_reaches_the_requestor(
    server_ae: AE, client_ae: AE
) -> None:
    def on_echo(event: evt.Event) -> Dataset:
        assert event.message_id == 9
        status = Dataset()
        status.Status = 0x0122
        status.ErrorComment = "not today"
        return status

    port = serve(server_ae, evt_handlers=[(evt.EVT_C_ECHO, on_echo)])
    assoc = client_ae.associate("127.0.0.1", port)
    status = assoc.send_c_echo(msg_id=9)
    assoc.release()
    assert status.Status == 0x0122
    assert status.ErrorComment == "not today"


def test_a_raising_echo_handler_gets_a_failure_and_the_association_goes_on(
    server_ae: AE, client_ae: AE
) -> None:
    def broken(_event: evt.Event) -> int:
        raise RuntimeError("boom")

    port = serve(server_ae, evt_handlers=[(evt.EVT_C_ECHO, broken)])
    assoc = client_ae.associate("127.0.0.1", port)
    first = assoc.send_c_echo(msg_id=1)
    second = assoc.send_c_echo(msg_id=2)
    assoc.release()
    assert first.Status == second.Status == 0x0110
    assert assoc.is_released


def test_abort_is_seen_by_the_acceptor(server_ae: AE, client_ae: AE) -> None:
    aborted = threading.Event()
    port = serve(server_ae, evt_handlers=[(evt.EVT_ABORTED, lambda _e: aborted.set())])
    assoc = client_ae.associate("127.0.0.1", port)
    assoc.abort()
    assert assoc.is_aborted
    assert aborted.wait(TIMEOUT)


def test_maximum_associations_rejects_the_next_one_as_transient_local_limit(
    server_ae: AE, client_ae: AE
) -> None:
    server_ae.maximum_associations = 1
    rejected: list[tuple[int, int, int]] = []

    def on_rejected(event: evt.Event) -> None:
        pdu = event.pdu
        rejected.append((pdu.result, pdu.source, pdu.reason))

    port = serve(server_ae)
    first = client_ae.associate("127.0.0.1", port)
    second = client_ae.associate(
        "127.0.0.1", port, evt_handlers=[(evt.EVT_PDU_RECV, on_rejected)]
    )
    assert first.is_established
    assert second.is_rejected
    # PS3.8 9.3.4: rejected-transient, service-provider (presentation),
    # local-limit-exceeded.
    assert rejected[-1] == (2, 3, 2)
    first.release()
    third = client_ae.associate("127.0.0.1", port)
    assert third.is_established
    third.release()


@pytest.mark.parametrize(
    ("setting", "called", "reason"),
    [
        ({"require_called_aet": True}, "SOMEONE", 7),
        ({"require_calling_aet": ["X"]}, "SERVER", 3),
    ],
)
def test_ae_title_requirements_reject_with_the_ps38_reasons(
    server_ae: AE, client_ae: AE, setting: dict[str, object], called: str, reason: int
) -> None:
    for name, value in setting.items():
        setattr(server_ae, name, value)
    seen: list[int] = []
    port = serve(server_ae)
    assoc = client_ae.associate(
        "127.0.0.1",
        port,
        ae_title=called,
        evt_handlers=[(evt.EVT_PDU_RECV, lambda e: seen.append(e.pdu.reason))],
    )
    assert assoc.is_rejected
    assert seen == [reason]


def test_a_contexts_argument_limits_what_a_server_accepts(client_ae: AE) -> None:
    ae = AE("SERVER")
    ae.add_supported_context(Verification)
    try:
        port = serve(ae, contexts=[ae.supported_contexts[0]])
        client_ae.add_requested_context(CTImageStorage)
        assoc = client_ae.associate("127.0.0.1", port)
        assert assoc.is_established
        assert [cx.abstract_syntax for cx in assoc.accepted_contexts] == [Verification]
        assert [cx.abstract_syntax for cx in assoc.rejected_contexts] == [
            CTImageStorage
        ]
        assoc.release()
    finally:
        ae.shutdown()


def test_user_identity_handler_can_refuse(server_ae: AE, client_ae: AE) -> None:
    port = serve(
        server_ae,
        evt_handlers=[(evt.EVT_USER_ID, lambda e: (e.primary_field == b"alice", None))],
    )
    identity = UserIdentityNegotiation()
    identity.user_identity_type = 1
    identity.primary_field = b"mallory"
    refused = client_ae.associate("127.0.0.1", port, ext_neg=[identity])
    identity.primary_field = b"alice"
    welcome = client_ae.associate("127.0.0.1", port, ext_neg=[identity])
    assert refused.is_rejected
    assert welcome.is_established
    welcome.release()


def test_network_timeout_aborts_an_idle_association(
    server_ae: AE, client_ae: AE
) -> None:
    server_ae.network_timeout = 0.3
    aborted = threading.Event()
    port = serve(server_ae, evt_handlers=[(evt.EVT_ABORTED, lambda _e: aborted.set())])
    assoc = client_ae.associate("127.0.0.1", port)
    assert assoc.is_established
    assert aborted.wait(TIMEOUT)
    assoc.join(TIMEOUT)
    assert assoc.is_aborted


def test_dimse_timeout_aborts_and_returns_an_empty_dataset(client_ae: AE) -> None:
    # A peer that accepts (pynetdicom-free: a dicomnet server whose echo
    # handler blocks until the test is over) but never answers in time.
    ae = AE("SERVER")
    ae.add_supported_context(Verification)
    release = threading.Event()
    port = serve(
        ae, evt_handlers=[(evt.EVT_C_ECHO, lambda _e: release.wait(TIMEOUT) and 0)]
    )
    try:
        client_ae.dimse_timeout = 0.3
        # After its A-ABORT the requestor waits (ARTIM, PS3.8 AA-1) for the
        # peer to close, which this blocked peer does not: keep that short.
        client_ae.acse_timeout = 0.5
        assoc = client_ae.associate("127.0.0.1", port)
        status = assoc.send_c_echo()
        assert status == Dataset()
        assert assoc.is_aborted
    finally:
        release.set()
        ae.shutdown()


def test_connection_refused_gives_an_aborted_association(client_ae: AE) -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    assoc = client_ae.associate("127.0.0.1", port)
    assert assoc.is_aborted and not assoc.is_established
    assert client_ae.active_associations == []


def test_server_bind_reaches_running_associations_but_not_requested_ones(
    server_ae: AE, client_ae: AE
) -> None:
    closed = threading.Event()
    server = server_ae.start_server(("127.0.0.1", 0), block=False)
    assert server is not None
    assoc = client_ae.associate("127.0.0.1", server.server_address[1])
    assert assoc.is_established
    server.bind(evt.EVT_CONN_CLOSE, lambda _e: closed.set())
    assert server.get_handlers(evt.EVT_CONN_CLOSE)
    assert assoc.get_handlers(evt.EVT_CONN_CLOSE) == []  # ours: untouched
    assoc.release()
    assert closed.wait(TIMEOUT)
    server.unbind(evt.EVT_CONN_CLOSE, server.get_handlers(evt.EVT_CONN_CLOSE)[0][0])
    assert server.get_events() == [] or evt.EVT_CONN_CLOSE not in server.get_events()


def test_shutdown_ends_everything_and_threads_return_to_baseline() -> None:
    baseline = set(threading.enumerate())
    server_ae = AE("SERVER")
    server_ae.add_supported_context(Verification)
    client = AE("CLIENT")
    client.add_requested_context(Verification)
    port = serve(server_ae)
    serve(server_ae)  # a second server on another port
    associations = [client.associate("127.0.0.1", port) for _ in range(3)]
    assert all(a.is_established for a in associations)
    server_ae.shutdown()
    for assoc in associations:
        assoc.join(TIMEOUT)
        assert assoc.is_aborted
    client.shutdown()
    assert server_ae.active_associations == []
    leftover = [t for t in set(threading.enumerate()) - baseline if t.is_alive()]
    for thread in leftover:
        thread.join(TIMEOUT)
    assert [t for t in leftover if t.is_alive()] == []


def test_blocking_start_server_returns_after_shutdown_from_another_thread() -> None:
    ae = AE()
    ae.add_supported_context(Verification)
    returned = threading.Event()

    def run() -> None:
        ae.start_server(("127.0.0.1", 0), block=True)
        returned.set()

    thread = threading.Thread(target=run)
    thread.start()
    # Wait until the server is registered, then stop it.
    for _ in range(1000):
        if ae._servers:
            break
        thread.join(0.01)
    assert not returned.is_set()
    ae.shutdown()
    assert returned.wait(TIMEOUT)
    thread.join(TIMEOUT)


def test_invalid_arguments_raise_like_pynetdicom(client_ae: AE) -> None:
    with pytest.raises(TypeError):
        client_ae.associate(1234, 104)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        client_ae.associate("127.0.0.1", "104")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        client_ae.associate("127.0.0.1", 104, ae_title="A" * 17)
    empty = AE()
    with pytest.raises(RuntimeError):
        empty.associate("127.0.0.1", 104)
    with pytest.raises(ValueError):
        empty.start_server(("127.0.0.1", 0), block=False)


def test_release_from_a_handler_does_not_wait_for_itself(
    server_ae: AE, client_ae: AE
) -> None:
    port = serve(server_ae)
    assoc = client_ae.associate(
        "127.0.0.1",
        port,
        evt_handlers=[(evt.EVT_ESTABLISHED, lambda event: event.assoc.release())],
    )
    assoc.join(TIMEOUT)
    assert not assoc.is_alive()
    assert assoc.is_released


def test_the_requestor_reports_its_connection_open_and_closed(
    server_ae: AE, client_ae: AE
) -> None:
    port = serve(server_ae)
    seen: list[tuple[str, object]] = []
    assoc = client_ae.associate(
        "127.0.0.1",
        port,
        evt_handlers=[
            (evt.EVT_CONN_OPEN, lambda e: seen.append(("open", e.address))),
            (evt.EVT_CONN_CLOSE, lambda e: seen.append(("close", e.address))),
        ],
    )
    assoc.release()
    assoc.join(TIMEOUT)
    assert seen == [("open", ("127.0.0.1", port)), ("close", ("127.0.0.1", port))]


def test_both_ends_turn_nagle_off(server_ae: AE, client_ae: AE) -> None:
    # A DIMSE exchange waits on small messages: with Nagle's algorithm on, a
    # C-GET's sub-operations stall ~40 ms each on the peer's delayed ACK.
    port = serve(server_ae)
    assoc = client_ae.associate("127.0.0.1", port, ae_title="SERVER")
    try:
        (acceptor,) = server_ae.active_associations
        for end in (assoc, acceptor):
            sock = end._driver._sock
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        assoc.release()
