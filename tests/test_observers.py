"""Observing an association's traffic: EVT_DATA_*, EVT_ACSE_*, every PDU, FSM steps.

Two dicomnet AEs over loopback; waits use events with timeouts, never sleeps.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from dicomnet import AE, evt
from dicomnet._observers import acse_primitive
from dicomnet.pdu_primitives import A_ABORT as A_ABORT_PRIMITIVE
from dicomnet.pdu_primitives import A_P_ABORT, A_RELEASE
from dicomnet.sop_class import Verification
from dicomnet.ul.pdu import A_ABORT, A_RELEASE_RP, P_DATA_TF, decode_pdu

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


def serve(ae: AE, handlers: list[Any] | None = None) -> int:
    server = ae.start_server(("127.0.0.1", 0), block=False, evt_handlers=handlers or [])
    assert server is not None
    return int(server.server_address[1])


def split_pdus(data: bytes) -> list[Any]:
    """Cut a byte stream into decoded PDUs (PS3.8 9.3.1: 6-byte header)."""
    pdus, offset = [], 0
    while offset < len(data):
        length = int.from_bytes(data[offset + 2 : offset + 6], "big")
        pdus.append(decode_pdu(data[offset : offset + 6 + length]))
        offset += 6 + length
    return pdus


def test_data_events_carry_every_byte_both_ways(server_ae: AE, client_ae: AE) -> None:
    received: list[bytes] = []
    closed = threading.Event()
    port = serve(
        server_ae,
        [
            (evt.EVT_DATA_RECV, lambda e: received.append(e.data)),
            (evt.EVT_CONN_CLOSE, lambda _e: closed.set()),
        ],
    )
    sent: list[bytes] = []
    assoc = client_ae.associate(
        "127.0.0.1",
        port,
        evt_handlers=[(evt.EVT_DATA_SENT, lambda e: sent.append(e.data))],
    )
    assoc.send_c_echo()
    assoc.release()
    assert closed.wait(TIMEOUT)
    assert b"".join(received) == b"".join(sent)
    kinds = [type(pdu).__name__ for pdu in split_pdus(b"".join(sent))]
    assert kinds == ["A_ASSOCIATE_RQ", "P_DATA_TF", "A_RELEASE_RQ"]


def test_acse_events_carry_the_primitives(server_ae: AE, client_ae: AE) -> None:
    seen: list[tuple[str, Any]] = []
    handlers = [
        (evt.EVT_ACSE_SENT, lambda e: seen.append(("sent", e.primitive))),
        (evt.EVT_ACSE_RECV, lambda e: seen.append(("recv", e.primitive))),
    ]
    assoc = client_ae.associate("127.0.0.1", serve(server_ae), evt_handlers=handlers)
    assoc.send_c_echo()
    assoc.release()
    assert [(way, type(p).__name__) for way, p in seen] == [
        ("sent", "A_ASSOCIATE"),
        ("recv", "A_ASSOCIATE"),
        ("sent", "A_RELEASE"),
        ("recv", "A_RELEASE"),
    ]
    assert seen[1][1].result == 0  # accepted
    assert seen[3][1].result == "affirmative"


def test_a_received_abort_is_reported_as_pdu_and_primitive(
    server_ae: AE, client_ae: AE
) -> None:
    pdus: list[Any] = []
    primitives: list[Any] = []
    aborted = threading.Event()
    port = serve(
        server_ae,
        [
            (evt.EVT_PDU_RECV, lambda e: pdus.append(e.pdu)),
            (evt.EVT_ACSE_RECV, lambda e: primitives.append(e.primitive)),
            (evt.EVT_ABORTED, lambda _e: aborted.set()),
        ],
    )
    assoc = client_ae.associate("127.0.0.1", port)
    assoc.abort()
    assert aborted.wait(TIMEOUT)
    assert pdus[-1] == A_ABORT(source=0, reason=0)
    assert isinstance(primitives[-1], A_ABORT_PRIMITIVE)
    assert primitives[-1].abort_source == 0


def test_transitions_are_reported_to_a_handler_bound_mid_association(
    server_ae: AE, client_ae: AE
) -> None:
    assoc = client_ae.associate("127.0.0.1", serve(server_ae))
    steps: list[tuple[str, str]] = []
    assoc.bind(
        evt.EVT_FSM_TRANSITION, lambda e: steps.append((e.current_state, e.next_state))
    )
    assoc.release()
    assert ("Sta6", "Sta7") in steps  # A-RELEASE request sent
    assert steps[-1][1] == "Sta1"


def test_pdata_pdus_are_reported_to_a_handler_bound_mid_association(
    server_ae: AE, client_ae: AE
) -> None:
    assoc = client_ae.associate("127.0.0.1", serve(server_ae))
    pdus: list[Any] = []
    assoc.bind(evt.EVT_PDU_SENT, lambda e: pdus.append(e.pdu))
    assoc.send_c_echo()
    assoc.release()
    assert [type(p) for p in pdus][:1] == [P_DATA_TF]


def test_changing_the_network_timeout_restarts_the_idle_timer(
    server_ae: AE, client_ae: AE
) -> None:
    server_ae.network_timeout = 60
    aborted = threading.Event()
    port = serve(server_ae, [(evt.EVT_ABORTED, lambda _e: aborted.set())])
    assoc = client_ae.associate("127.0.0.1", port)
    (acceptor,) = server_ae.active_associations
    acceptor.network_timeout = 0.2
    # Without the restart the acceptor would wait its first 60 s.
    assert aborted.wait(TIMEOUT)
    assoc.join(TIMEOUT)
    assert assoc.is_aborted


@pytest.mark.parametrize(
    ("pdu", "kind", "check"),
    [
        (A_RELEASE_RP(), A_RELEASE, lambda p: p.result == "affirmative"),
        (A_ABORT(source=2, reason=6), A_P_ABORT, lambda p: p.provider_reason == 6),
        (A_ABORT(source=0, reason=0), A_ABORT_PRIMITIVE, lambda p: p.abort_source == 0),
    ],
)
def test_acse_primitive_of_each_pdu(pdu: Any, kind: type, check: Any) -> None:
    primitive = acse_primitive(pdu)
    assert isinstance(primitive, kind)
    assert check(primitive)


def test_pdata_has_no_acse_primitive() -> None:
    assert acse_primitive(P_DATA_TF(pdvs=())) is None
