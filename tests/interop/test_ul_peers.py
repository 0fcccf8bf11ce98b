"""The Upper Layer core and the negotiation functions against DCMTK and pynetdicom.

Each test runs a whole association over loopback: our UpperLayer (driven by the
plain-socket driver in ``ul_peer``) and ``dicomnet.acse`` on one side, a real,
independent implementation on the other. What is checked is what the peer
reports (exit status, its own association flags) and what our core emitted.
"""

from __future__ import annotations

import socket
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from dicomnet.acse import AcceptorPolicy, build_associate_rq, negotiate_acceptor
from dicomnet.presentation import build_context
from dicomnet.ul.connection import Role, ULConfig
from dicomnet.ul.events import (
    AbortIndication,
    AssociateAccepted,
    AssociateIndication,
    AssociateRejected,
    ProviderAbortIndication,
    ReleaseConfirmation,
    ReleaseIndication,
    ULEvent,
)
from dicomnet.ul.fsm import State
from dicomnet.ul.pdu import A_ABORT, A_RELEASE_RP, A_RELEASE_RQ

from .capture import dcmtk_available, dcmtk_env, dcmtk_server
from .echo_commands import VERIFICATION, decode_command, echo_rq, echo_rsp
from .ul_peer import SocketUL, connect

pytestmark = pytest.mark.interop

OUR_UID = "1.2.826.0.1.3680043.10.1081.1"
TIMEOUT = 20.0


def policy(**overrides: object) -> AcceptorPolicy:
    fields: dict[str, object] = {
        "ae_title": "DICOMNET",
        "supported_contexts": (build_context(VERIFICATION),),
        "implementation_class_uid": OUR_UID,
        "implementation_version_name": "DICOMNET_TEST",
    }
    fields.update(overrides)
    return AcceptorPolicy(**fields)  # type: ignore[arg-type]


def next_of(sul: SocketUL, kind: type[ULEvent]) -> ULEvent:
    for event in sul.events(TIMEOUT):
        if isinstance(event, kind):
            return event
    raise AssertionError(f"no {kind.__name__} before the connection closed")


def serve_one(listener: socket.socket, acceptor_policy: AcceptorPolicy) -> list[str]:
    """Accept one association and answer like a Verification SCP; return a log."""
    conn, _ = listener.accept()
    sul = SocketUL(Role.ACCEPTOR, ULConfig(artim_timeout=5.0))
    sul.attach(conn)
    log: list[str] = []
    for event in sul.events(TIMEOUT):
        log.append(type(event).__name__)
        if isinstance(event, AssociateIndication):
            outcome = negotiate_acceptor(event.pdu, acceptor_policy)
            answer = outcome.accept or outcome.reject
            assert answer is not None
            sul.send(answer)
        elif type(event).__name__ == "DataIndication":
            pdv = event.pdu.pdvs[0]  # type: ignore[union-attr]
            request = decode_command(bytes(pdv.data))
            sul.send_command(pdv.context_id, echo_rsp(request.MessageID))
        elif isinstance(event, ReleaseIndication):
            sul.send(A_RELEASE_RP())
    assert sul.ul.state is State.STA1
    return log


@contextmanager
def acceptor(acceptor_policy: AcceptorPolicy) -> Iterator[tuple[int, list[list[str]]]]:
    """Serve one association in a thread; yield the port and the log holder."""
    listener = socket.create_server(("127.0.0.1", 0))
    logs: list[list[str]] = []
    thread = threading.Thread(
        target=lambda: logs.append(serve_one(listener, acceptor_policy)), daemon=True
    )
    thread.start()
    try:
        yield listener.getsockname()[1], logs
    finally:
        thread.join(TIMEOUT)
        listener.close()
    assert not thread.is_alive()


needs_echoscu = pytest.mark.skipif(
    not dcmtk_available("echoscu", "storescp"), reason="DCMTK is not installed"
)


@needs_echoscu
def test_dcmtk_echoscu_to_our_acceptor() -> None:
    with acceptor(policy()) as (port, logs):
        result = subprocess.run(
            ["echoscu", "-aec", "DICOMNET", "127.0.0.1", str(port)],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            env=dcmtk_env(),
            check=False,
        )
    assert result.returncode == 0, result.stdout + result.stderr
    assert logs[0][:2] == ["AssociateIndication", "DataIndication"]
    assert "ReleaseIndication" in logs[0]


@needs_echoscu
def test_dcmtk_echoscu_rejected_by_called_ae_title() -> None:
    with acceptor(policy(require_called_aet=True)) as (port, logs):
        result = subprocess.run(
            ["echoscu", "-aec", "SOMEONE_ELSE", "127.0.0.1", str(port)],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            env=dcmtk_env(),
            check=False,
        )
    assert result.returncode != 0
    # DCMTK names PS3.8's reason for what it received: called AE title not recognised.
    assert "Called AE Title Not Recognized" in result.stdout + result.stderr
    assert "DataIndication" not in logs[0]


@needs_echoscu
def test_our_requestor_to_dcmtk_storescp() -> None:
    with dcmtk_server("storescp", ["-aet", "STORESCP"]) as server:
        sul = SocketUL(Role.REQUESTOR)
        rq = build_associate_rq(
            called_ae_title="STORESCP",
            calling_ae_title="DICOMNET",
            contexts=[build_context(VERIFICATION)],
            implementation_class_uid=OUR_UID,
        )
        connect(sul, rq, ("127.0.0.1", server.port))
        accepted = next_of(sul, AssociateAccepted)
        context_id = accepted.pdu.presentation_contexts[0].context_id  # type: ignore[union-attr]
        assert accepted.pdu.presentation_contexts[0].result == 0  # type: ignore[union-attr]
        sul.send_command(context_id, echo_rq(7))
        response = decode_command(sul.next_data(TIMEOUT))
        assert (response.MessageIDBeingRespondedTo, response.Status) == (7, 0)
        sul.send(A_RELEASE_RQ())
        next_of(sul, ReleaseConfirmation)
        list(sul.events(TIMEOUT))
        assert sul.ul.state is State.STA1


def pynetdicom_ae(**attributes: object):  # type: ignore[no-untyped-def]
    pynetdicom = pytest.importorskip("pynetdicom")
    ae = pynetdicom.AE(ae_title="PYNETDICOM")
    for name, value in attributes.items():
        setattr(ae, name, value)
    return ae


def test_pynetdicom_requestor_to_our_acceptor() -> None:
    ae = pynetdicom_ae()
    ae.add_requested_context(VERIFICATION)
    with acceptor(policy()) as (port, logs):
        assoc = ae.associate("127.0.0.1", port, ae_title="DICOMNET")
        assert assoc.is_established
        assert assoc.accepted_contexts[0].abstract_syntax == VERIFICATION
        status = assoc.send_c_echo(msg_id=3)
        assoc.release()
    assert status.Status == 0
    assert assoc.is_released
    assert "ReleaseIndication" in logs[0]


def test_pynetdicom_requestor_rejected_by_calling_ae_title() -> None:
    ae = pynetdicom_ae()
    ae.add_requested_context(VERIFICATION)
    with acceptor(policy(require_calling_aet=("ONLY_THIS",))) as (port, _logs):
        assoc = ae.associate("127.0.0.1", port, ae_title="DICOMNET")
    assert assoc.is_rejected


def test_pynetdicom_acceptor_sees_our_abort() -> None:
    pynetdicom = pytest.importorskip("pynetdicom")
    aborted = threading.Event()
    ae = pynetdicom_ae()
    ae.add_supported_context(VERIFICATION)
    server = ae.start_server(
        ("127.0.0.1", 0),
        block=False,
        evt_handlers=[(pynetdicom.evt.EVT_ABORTED, lambda _event: aborted.set())],
    )
    sul = SocketUL(Role.REQUESTOR)
    try:
        rq = build_associate_rq(
            called_ae_title="PYNETDICOM",
            calling_ae_title="DICOMNET",
            contexts=[build_context(VERIFICATION)],
            implementation_class_uid=OUR_UID,
        )
        connect(sul, rq, server.server_address)
        next_of(sul, AssociateAccepted)
        sul.send(A_ABORT(source=0, reason=0))
        assert sul.ul.state is State.STA13  # AA-1: wait for the peer to close
        assert aborted.wait(TIMEOUT)
        list(sul.events(TIMEOUT))
        assert sul.ul.state is State.STA1  # AR-5 on the peer's close
    finally:
        sul.close()
        server.shutdown()


def test_pynetdicom_acceptor_rejects_us() -> None:
    ae = pynetdicom_ae(require_called_aet=True)
    ae.add_supported_context(VERIFICATION)
    server = ae.start_server(("127.0.0.1", 0), block=False)
    try:
        sul = SocketUL(Role.REQUESTOR)
        rq = build_associate_rq(
            called_ae_title="NOT_PYNETDICOM",
            calling_ae_title="DICOMNET",
            contexts=[build_context(VERIFICATION)],
            implementation_class_uid=OUR_UID,
        )
        connect(sul, rq, server.server_address)
        rejected = next_of(sul, AssociateRejected)
        assert (rejected.pdu.result, rejected.pdu.source, rejected.pdu.reason) == (  # type: ignore[union-attr]
            1,
            1,
            7,
        )
        list(sul.events(TIMEOUT))
        assert sul.ul.state is State.STA1
    finally:
        server.shutdown()


def test_pynetdicom_abort_ends_our_association() -> None:
    ae = pynetdicom_ae()
    ae.add_supported_context(VERIFICATION)
    server = ae.start_server(("127.0.0.1", 0), block=False)
    sul = SocketUL(Role.REQUESTOR)
    try:
        rq = build_associate_rq(
            called_ae_title="PYNETDICOM",
            calling_ae_title="DICOMNET",
            contexts=[build_context(VERIFICATION)],
            implementation_class_uid=OUR_UID,
        )
        connect(sul, rq, server.server_address)
        next_of(sul, AssociateAccepted)
        for assoc in ae.active_associations:
            assoc.abort()
        # pynetdicom 3.0.4's acceptor closes the connection without sending its
        # A-ABORT when aborted from another thread: PS3.8 AA-4 (A-P-ABORT).
        ended = [
            e
            for e in sul.events(TIMEOUT)
            if isinstance(e, AbortIndication | ProviderAbortIndication)
        ]
        assert len(ended) == 1
        assert sul.ul.state is State.STA1
    finally:
        sul.close()
        server.shutdown()


@needs_echoscu
def test_dcmtk_echoscu_abort_reaches_our_acceptor() -> None:
    with acceptor(policy()) as (port, logs):
        result = subprocess.run(
            ["echoscu", "--abort", "-aec", "DICOMNET", "127.0.0.1", str(port)],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            env=dcmtk_env(),
            check=False,
        )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "AbortIndication" in logs[0]
    assert "ReleaseIndication" not in logs[0]
