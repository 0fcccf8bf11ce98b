"""Acceptance tests for "Listening for association requests" (issue #4, point 2).

Each example of the user documentation page is rewritten here as a test of the
behaviour it documents, through the public, pynetdicom-compatible API only.
Servers listen on loopback port 0; nothing sleeps to wait for a state change
(events, queues and joins carry timeouts instead).
"""

from __future__ import annotations

import logging
import queue
import socket
import threading
from typing import TYPE_CHECKING, Any

import pytest
from pydicom.dataset import Dataset, FileMetaDataset

from dicomnet import AE, build_context, debug_logger, evt
from dicomnet.sop_class import CTImageStorage, Verification
from dicomnet.transport import ThreadedAssociationServer

from .interop.capture import free_port, listening_ports
from .interop.tls import PKI, SERVER_HOSTNAME, make_pki, openssl_available

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

TIMEOUT = 10.0
LOOPBACK = "127.0.0.1"


def ipv6_loopback() -> bool:
    """Whether this machine can listen on ``::1``."""
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


needs_ipv6 = pytest.mark.skipif(
    not ipv6_loopback(), reason="no IPv6 loopback on this machine"
)


def timed_out_ae(title: str) -> AE:
    ae = AE(title)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = TIMEOUT
    return ae


@pytest.fixture
def scp_ae() -> Iterator[AE]:
    """The documentation's server AE: Verification supported."""
    ae = timed_out_ae("LISTENER")
    ae.add_supported_context(Verification)
    yield ae
    ae.shutdown()


@pytest.fixture
def scu_ae() -> Iterator[AE]:
    ae = timed_out_ae("CALLER")
    ae.add_requested_context(Verification)
    yield ae
    ae.shutdown()


def start(ae: AE, address: tuple[Any, ...] = (LOOPBACK, 0), **kwargs: Any) -> Any:
    server = ae.start_server(address, block=False, **kwargs)
    assert isinstance(server, ThreadedAssociationServer)
    return server


def port_of(server: Any) -> int:
    return int(server.server_address[1])


def echo_once(scu: AE, host: str, port: int, **kwargs: Any) -> int | None:
    """Associate, C-ECHO, release; the echo status (None if not established)."""
    assoc = scu.associate(host, port, **kwargs)
    if not assoc.is_established:
        return None
    status = assoc.send_c_echo()
    assoc.release()
    assert assoc.is_released
    return int(status.Status)


def wait_listening(port: int, thread: threading.Thread) -> None:
    """Block until ``port`` is in LISTEN state (read from the kernel's table).

    Joining the server thread doubles as the pause between two reads and stops
    at once if ``start_server`` died instead of serving.
    """
    for _ in range(int(TIMEOUT / 0.005)):
        if port in listening_ports():
            return
        thread.join(0.005)
        assert thread.is_alive(), "start_server returned before listening"
    pytest.fail(f"nothing listens on {port}")


# --- Starting a server ---------------------------------------------------------


def test_ipv4_server_provides_verification_out_of_the_box(
    scp_ae: AE, scu_ae: AE
) -> None:
    server = start(scp_ae)
    assert server.server_address[0] == LOOPBACK
    assert port_of(server) != 0  # the port actually bound, not the 0 asked for
    # "Providing DIMSE services": C-ECHO has a default handler -> Success.
    assert echo_once(scu_ae, LOOPBACK, port_of(server)) == 0x0000


@needs_ipv6
def test_ipv6_server_provides_verification(scp_ae: AE, scu_ae: AE) -> None:
    opened: queue.Queue[Any] = queue.Queue()
    server = start(scp_ae, ("::1", 0), evt_handlers=[(evt.EVT_CONN_OPEN, opened.put)])
    assert server.server_address[0] == "::1"
    assoc = scu_ae.associate("::1", port_of(server))
    assert assoc.is_established
    assert assoc.send_c_echo().Status == 0x0000
    address = opened.get(timeout=TIMEOUT).address
    assert address[0] == "::1"
    assert address[1] == assoc.local["port"]
    assoc.release()
    assert assoc.is_released


def test_blocking_start_server_returns_only_after_ae_shutdown(
    scp_ae: AE, scu_ae: AE
) -> None:
    # The documentation's pair: one non-blocking server, one blocking server.
    background = start(scp_ae)
    port = free_port()  # start_server(block=True) cannot report a port 0 choice
    returned: list[object] = []

    def serve() -> None:
        returned.append(scp_ae.start_server((LOOPBACK, port), block=True))

    thread = threading.Thread(target=serve, name="blocking-start-server")
    thread.start()
    try:
        wait_listening(port, thread)
        # Both serve while the blocking call is still inside start_server.
        assert echo_once(scu_ae, LOOPBACK, port) == 0x0000
        assert echo_once(scu_ae, LOOPBACK, port_of(background)) == 0x0000
        assert thread.is_alive()
        assert returned == []
    finally:
        scp_ae.shutdown()  # from another thread than the one serving
        thread.join(TIMEOUT)
    assert not thread.is_alive()
    assert returned == [None]
    # AE.shutdown() stopped both servers: nobody answers any more.
    for stopped in (port, port_of(background)):
        assoc = scu_ae.associate(LOOPBACK, stopped)
        assert assoc.is_aborted
        assert not assoc.is_established


def test_threaded_server_shutdown_stops_it_and_ends_its_associations(
    scp_ae: AE, scu_ae: AE
) -> None:
    server = start(scp_ae)
    port = port_of(server)
    assoc = scu_ae.associate(LOOPBACK, port)
    assert assoc.is_established

    server.shutdown()

    assoc.join(TIMEOUT)
    # (one comparison: mypy keeps the earlier narrowing of is_established)
    assert (assoc.is_aborted, assoc.is_established) == (True, False)
    again = scu_ae.associate(LOOPBACK, port)
    assert again.is_aborted
    assert not again.is_established
    scp_ae.shutdown()  # the AE copes with a server already shut down


# --- Specifying the AE title ---------------------------------------------------


def test_each_server_answers_to_its_own_ae_title(scp_ae: AE, scu_ae: AE) -> None:
    store = start(scp_ae, ae_title="STORE_SCP")
    plain = start(scp_ae)
    assert store.ae_title == "STORE_SCP"
    assert plain.ae_title == "LISTENER"  # default: the parent AE's title

    seen: list[Any] = []
    on_pdu = [(evt.EVT_PDU_RECV, lambda event: seen.append(event.pdu))]
    # Without require_called_aet, a requestor calling another title still works.
    assoc = scu_ae.associate(LOOPBACK, port_of(store), ae_title="SOMEONE")
    assert assoc.is_established
    assoc.release()

    scp_ae.require_called_aet = True
    reasons: dict[tuple[int, str], Any] = {}
    for server in (store, plain):
        for called in ("STORE_SCP", "LISTENER"):
            seen.clear()
            assoc = scu_ae.associate(
                LOOPBACK, port_of(server), ae_title=called, evt_handlers=on_pdu
            )
            if assoc.is_established:
                assoc.release()
                reasons[port_of(server), called] = "accepted"
            else:
                assert assoc.is_rejected
                reasons[port_of(server), called] = (
                    seen[0].result,
                    seen[0].source,
                    seen[0].reason,
                )
    # PS3.8 9.3.4: rejected-permanent, service-user, called-AE-title-not-recognized.
    assert reasons == {
        (port_of(store), "STORE_SCP"): "accepted",
        (port_of(store), "LISTENER"): (1, 1, 7),
        (port_of(plain), "STORE_SCP"): (1, 1, 7),
        (port_of(plain), "LISTENER"): "accepted",
    }


def test_the_accept_repeats_the_called_title_the_requestor_used(
    scp_ae: AE, scu_ae: AE
) -> None:
    server = start(scp_ae, ae_title="STORE_SCP")
    received: list[Any] = []
    assoc = scu_ae.associate(
        LOOPBACK,
        port_of(server),
        ae_title="SOMEONE",
        evt_handlers=[(evt.EVT_PDU_RECV, lambda event: received.append(event.pdu))],
    )
    assert assoc.is_established
    assoc.release()
    accepts = [pdu for pdu in received if type(pdu).__name__ == "A_ASSOCIATE_AC"]
    assert len(accepts) == 1, f"EVT_PDU_RECV on the requestor saw {received!r}"
    # PS3.8 9.3.3 (Table 9-17): the AC's AE title fields repeat the RQ's.
    assert accepts[0].called_ae_title.strip() == "SOMEONE"
    assert accepts[0].calling_ae_title.strip() == "CALLER"


# --- Specifying presentation contexts for each SCP ------------------------------


def test_contexts_are_chosen_per_server(scu_ae: AE) -> None:
    ae = timed_out_ae("LISTENER")
    ae.add_supported_context(Verification)
    ae.add_supported_context(CTImageStorage)
    scu_ae.add_requested_context(CTImageStorage)
    try:
        # As in the documentation: a context built from the UID string.
        echo_only = start(ae, contexts=[build_context("1.2.840.10008.1.1")])
        everything = start(ae)
        outcome = {}
        for name, server in (("echo_only", echo_only), ("everything", everything)):
            assoc = scu_ae.associate(LOOPBACK, port_of(server))
            assert assoc.is_established
            outcome[name] = (
                sorted(str(cx.abstract_syntax) for cx in assoc.accepted_contexts),
                sorted(str(cx.abstract_syntax) for cx in assoc.rejected_contexts),
            )
            assert assoc.send_c_echo().Status == 0x0000
            assoc.release()
    finally:
        ae.shutdown()
    assert outcome["echo_only"] == ([Verification], [CTImageStorage])
    assert outcome["everything"] == (sorted([Verification, CTImageStorage]), [])


# --- Binding event handlers ------------------------------------------------------


def test_evt_handlers_two_and_three_tuples(
    scp_ae: AE, scu_ae: AE, caplog: pytest.LogCaptureFixture
) -> None:
    logger = logging.getLogger("dicomnet")
    accepted = threading.Event()
    extra: list[tuple[str, str]] = []

    def handle_open(event: Any) -> None:
        logger.info("Connected with remote at %s", event.address)

    def handle_accepted(event: evt.Event, arg1: str, arg2: str) -> None:
        extra.append((arg1, arg2))
        logger.info("Extra args: '%s' and '%s'", arg1, arg2)
        accepted.set()

    handlers = [
        (evt.EVT_CONN_OPEN, handle_open),
        (evt.EVT_ACCEPTED, handle_accepted, ["optional", "parameters"]),
    ]
    caplog.set_level(logging.INFO, logger="dicomnet")
    server = start(scp_ae, evt_handlers=handlers)
    assoc = scu_ae.associate(LOOPBACK, port_of(server))
    assert assoc.is_established
    assert accepted.wait(TIMEOUT)
    peer = (assoc.local["address"], assoc.local["port"])
    assoc.release()

    assert extra == [("optional", "parameters")]
    messages = [record.getMessage() for record in caplog.records]
    # EVT_CONN_OPEN's address is the requestor's end of the connection.
    assert f"Connected with remote at {peer}" in messages
    assert "Extra args: 'optional' and 'parameters'" in messages


def test_server_bind_and_unbind_reach_running_and_future_associations_only() -> None:
    # One AE both serves and requests: its own requested association must not
    # be touched by the server's bindings.
    ae = timed_out_ae("BOTH")
    ae.add_supported_context(Verification)
    ae.add_requested_context(Verification)
    opened: list[Any] = []
    closed: queue.Queue[tuple[Any, Any]] = queue.Queue()

    def handle_open(event: Any) -> None:
        opened.append(event.assoc)

    def handle_close(event: Any) -> None:
        closed.put((event.assoc, event.address))

    try:
        scp = start(ae, evt_handlers=[(evt.EVT_CONN_OPEN, handle_open)])
        first = ae.associate(LOOPBACK, port_of(scp))
        assert first.is_established
        assert len(opened) == 1  # the acceptor opened before it accepted
        running = opened[0]
        assert running.is_acceptor

        scp.unbind(evt.EVT_CONN_OPEN, handle_open)
        scp.bind(evt.EVT_CONN_CLOSE, handle_close)

        # The running association of the server got the change ...
        assert handle_open not in [
            h for h, *_ in running.get_handlers(evt.EVT_CONN_OPEN)
        ]
        assert handle_close in [h for h, *_ in running.get_handlers(evt.EVT_CONN_CLOSE)]
        # ... the association this AE requested did not.
        assert handle_close not in [
            h for h, *_ in first.get_handlers(evt.EVT_CONN_CLOSE)
        ]

        where = (first.local["address"], first.local["port"])
        first.release()
        assoc, address = closed.get(timeout=TIMEOUT)
        assert assoc is running
        assert tuple(address) == where
        first.join(TIMEOUT)

        # A future association: no longer announced on open, announced on close.
        second = ae.associate(LOOPBACK, port_of(scp))
        assert second.is_established
        second.release()
        assoc, _ = closed.get(timeout=TIMEOUT)
        assert assoc.is_acceptor
        assert assoc is not running
        second.join(TIMEOUT)
        assert opened == [running]
        # Neither requested association reported its close to the server's handler.
        assert closed.empty()
    finally:
        ae.shutdown()


# --- TLS --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PKI:
    if not openssl_available():
        pytest.skip("openssl is not installed")
    directory: Path = tmp_path_factory.mktemp("listening-pki")
    return make_pki(directory)


def test_tls_server_with_mutual_authentication(
    pki: PKI, scp_ae: AE, scu_ae: AE
) -> None:
    echoes: list[int] = []

    def on_echo(event: evt.Event) -> int:
        echoes.append(event.message_id)
        return 0x0000

    # As documented: CERT_REQUIRED, our chain, the trusted client's issuer.
    ssl_cx = pki.server_context(require_client=True)
    server = start(scp_ae, ssl_context=ssl_cx, evt_handlers=[(evt.EVT_C_ECHO, on_echo)])
    port = port_of(server)
    trusted = (pki.client_context(pki.client), SERVER_HOSTNAME)
    anonymous = (pki.client_context(None), SERVER_HOSTNAME)
    stranger = (pki.client_context(pki.stranger), SERVER_HOSTNAME)

    assert echo_once(scu_ae, LOOPBACK, port, tls_args=trusted) == 0x0000
    for tls_args in (anonymous, stranger):
        refused = scu_ae.associate(LOOPBACK, port, tls_args=tls_args)
        assert refused.is_aborted
        assert not refused.is_established
    # The failed handshakes did not hurt the server.
    assert echo_once(scu_ae, LOOPBACK, port, tls_args=trusted) == 0x0000
    assert echoes == [1, 1]


def test_plain_requestor_gets_nothing_from_a_tls_server(
    pki: PKI, scp_ae: AE, scu_ae: AE
) -> None:
    server = start(scp_ae, ssl_context=pki.server_context(require_client=True))
    assoc = scu_ae.associate(LOOPBACK, port_of(server))
    assert assoc.is_aborted
    assert not assoc.is_established


# --- Providing DIMSE services ----------------------------------------------------


@pytest.mark.parametrize("returned", [0x0000, 0x0110, 0x0122, 0xC123])
def test_echo_handler_status_is_what_the_requestor_receives(
    scp_ae: AE, scu_ae: AE, returned: int
) -> None:
    requests: list[tuple[int, str]] = []

    def handle_echo(event: Any) -> int:
        requests.append((event.message_id, event.context.abstract_syntax))
        return returned

    server = start(scp_ae, evt_handlers=[(evt.EVT_C_ECHO, handle_echo)])
    assoc = scu_ae.associate(LOOPBACK, port_of(server))
    status = assoc.send_c_echo(msg_id=42)
    assoc.release()
    assert status.Status == returned
    assert requests == [(42, Verification)]


def test_echo_handler_status_dataset_reaches_the_requestor(
    scp_ae: AE, scu_ae: AE
) -> None:
    def handle_echo(event: evt.Event) -> Dataset:
        status = Dataset()
        status.Status = 0x0110
        status.ErrorComment = "verification refused"
        return status

    server = start(scp_ae, evt_handlers=[(evt.EVT_C_ECHO, handle_echo)])
    assoc = scu_ae.associate(LOOPBACK, port_of(server))
    status = assoc.send_c_echo()
    assoc.release()
    assert status.Status == 0x0110
    assert status.ErrorComment == "verification refused"


@pytest.mark.interop
def test_store_handler_of_the_documentation_answers_success() -> None:
    # dicomnet has no send_c_store yet: pynetdicom plays the requestor.
    import pynetdicom
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    ae = timed_out_ae("STORE_SCP")
    ae.add_supported_context(CTImageStorage)
    stored: list[str] = []

    def handle_store(event: Any) -> int:
        stored.append(event.request.AffectedSOPInstanceUID)
        return 0x0000

    ds = Dataset()
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = generate_uid()
    ds.PatientName = "Doe^John"
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    peer = pynetdicom.AE(ae_title="PEER")
    peer.acse_timeout = peer.dimse_timeout = peer.network_timeout = TIMEOUT
    peer.add_requested_context(CTImageStorage, ExplicitVRLittleEndian)
    try:
        server = start(ae, evt_handlers=[(evt.EVT_C_STORE, handle_store)])
        assoc = peer.associate(LOOPBACK, port_of(server))
        assert assoc.is_established
        status = assoc.send_c_store(ds)
        if assoc.is_established:
            assoc.release()
    finally:
        ae.shutdown()
        peer.shutdown()
    assert stored == [ds.SOPInstanceUID]
    assert status.Status == 0x0000


# --- Logging -----------------------------------------------------------------------


@pytest.fixture
def restore_dicomnet_logger() -> Iterator[logging.Logger]:
    """Undo debug_logger(): it changes process-wide logging state."""
    logger = logging.getLogger("dicomnet")
    handlers, level = list(logger.handlers), logger.level
    yield logger
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    for handler in handlers:
        logger.addHandler(handler)
    logger.setLevel(level)


def test_debug_logger_summarises_the_negotiation(
    restore_dicomnet_logger: logging.Logger,
    capsys: pytest.CaptureFixture[str],
    scp_ae: AE,
    scu_ae: AE,
) -> None:
    debug_logger()  # after capsys took stderr: its handler writes there
    logger = restore_dicomnet_logger
    assert logger is logging.getLogger("dicomnet")
    assert logger.isEnabledFor(logging.DEBUG)
    stream_handlers = [
        h for h in logger.handlers if isinstance(h, logging.StreamHandler)
    ]
    assert len(stream_handlers) == 1

    server = start(scp_ae)
    assert echo_once(scu_ae, LOOPBACK, port_of(server), ae_title="LISTENER") == 0
    scp_ae.shutdown()
    err = capsys.readouterr().err

    lines = err.splitlines()
    assert lines
    # "%(levelname).1s: %(message)s": one level letter, a colon, the message.
    assert all(line[:3] in {"D: ", "I: ", "W: ", "E: ", "C: "} for line in lines)
    # PS3.8 9.3.2 / 9.3.3 and PS3.7 D.3.3 fields of the RQ and AC, named as such.
    for field_name in (
        "Calling Application Name: CALLER",
        "Called Application Name: LISTENER",
        "Abstract Syntax",
        "Transfer Syntax",
        "Context ID",
        "Implementation Class UID",
        "A-ASSOCIATE-RQ",
        "A-ASSOCIATE-AC",
    ):
        assert field_name in err, field_name
