"""Bad input against a running dicomnet server (issue #4, point 7).

Each test plays a broken or hostile peer with raw bytes and checks the answer
PS3.8 prescribes: an A-ABORT (with the source and reason the state table
names), an A-ASSOCIATE-RJ, or a close, within the configured ARTIM timer
(``acse_timeout``) or idle timeout (``network_timeout``). Afterwards the
server must still serve, keep no association, and leave no thread behind.

The state machine's answers, by the state the acceptor is in (PS3.8 9.2):

- Sta2 (connection open, no A-ASSOCIATE-RQ yet): any other PDU, or an invalid
  one (Evt19), is action AA-1: an A-ABORT with the *service-user* source, then
  ARTIM; ARTIM expiry (Evt18) is AA-2, a close without any PDU.
- Sta6 (established): an unexpected or invalid PDU is AA-8: an A-ABORT with the
  *service-provider* source and the reason of PS3.8 9.3.8.
- Sta13 (waiting for the close): ARTIM expiry closes (AA-2).
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterator

import pytest

from dicomnet.errors import (
    AbortReason,
    AbortSource,
    RejectReason,
    RejectResult,
    RejectSource,
)
from dicomnet.ul.pdu import (
    A_ABORT,
    A_ASSOCIATE_AC,
    A_ASSOCIATE_RJ,
    P_DATA_TF,
    PDU,
    PDUType,
)

from .rawpeer import (
    ARTIM,
    MARGIN,
    NETWORK,
    RELEASE_RQ,
    RawPeer,
    ServerUnderTest,
    associate_rq_bytes,
    c_echo_rq_command,
    item_length_offsets,
    p_data_tf,
    pdu_header,
    start_server,
)

#: Waiting for ARTIM (``acse_timeout``) to act, with room for a loaded machine.
ARTIM_WAIT = ARTIM + MARGIN
#: Waiting for the idle timeout (``network_timeout``) to act.
NETWORK_WAIT = NETWORK + MARGIN


@pytest.fixture
def srv() -> Iterator[ServerUnderTest]:
    server = start_server()
    yield server
    server.stop()


def _aborts(pdus: list[PDU]) -> list[A_ABORT]:
    """Check that the server answered with A-ABORTs only, at least one."""
    assert pdus, "the server closed without an A-ABORT"
    assert all(isinstance(pdu, A_ABORT) for pdu in pdus), pdus
    return [pdu for pdu in pdus if isinstance(pdu, A_ABORT)]


def expect_sta2_abort(peer: RawPeer) -> None:
    """AA-1 (PS3.8 Table 9-9): A-ABORT, service-user source, then ARTIM closes.

    The peer stays silent after the A-ABORT, so the server's ARTIM timer must
    close the connection (Sta13, Evt18, AA-2).
    """
    first = _aborts(peer.read_until_close(ARTIM_WAIT))[0]
    assert first.source == AbortSource.SERVICE_USER


def expect_provider_abort(peer: RawPeer, reason: AbortReason) -> None:
    """AA-8 (PS3.8 Table 9-9): A-ABORT, service-provider source, ``reason``."""
    first = _aborts(peer.read_until_close(ARTIM_WAIT))[0]
    assert (first.source, first.reason) == (AbortSource.SERVICE_PROVIDER, reason)


def establish(peer: RawPeer) -> None:
    """Bring the server's acceptor to Sta6 with a valid Verification request."""
    peer.send(associate_rq_bytes())
    answer = peer.recv_pdu()
    assert isinstance(answer, A_ASSOCIATE_AC), answer
    assert answer.presentation_contexts[0].result == 0


def finish(srv: ServerUnderTest) -> None:
    """What must hold after any bad input: nothing left, and the server serves."""
    srv.wait_no_associations()
    srv.check_serves()


# -- before any association: state Sta2 ---------------------------------------------


def test_garbage_bytes_are_aborted(srv: ServerUnderTest) -> None:
    # An HTTP request: "G" (47H) is no PDU type (PS3.8 9.3.1), Evt19 in Sta2.
    with srv.connect() as peer:
        peer.send(b"GET / HTTP/1.1\r\nHost: dicom\r\n\r\n")
        expect_sta2_abort(peer)
    finish(srv)


@pytest.mark.parametrize("pdu_type", [0x00, 0x08, 0x10, 0xFF])
def test_unknown_pdu_type_is_aborted(srv: ServerUnderTest, pdu_type: int) -> None:
    with srv.connect() as peer:
        peer.send(pdu_header(pdu_type, 4) + bytes(4))
        expect_sta2_abort(peer)
    finish(srv)


@pytest.mark.parametrize(
    "pdu_type", [PDUType.A_ASSOCIATE_RQ, PDUType.P_DATA_TF, PDUType.A_ABORT]
)
def test_pdu_length_ffffffff_before_association(
    srv: ServerUnderTest, pdu_type: int
) -> None:
    # 4 GiB announced: the server must neither wait for nor buffer it. An
    # A-ABORT (AA-1) or a close by ARTIM are both answers PS3.8 allows.
    with srv.connect() as peer:
        peer.send(pdu_header(pdu_type, 0xFFFFFFFF) + bytes(64))
        pdus = peer.read_until_close(ARTIM_WAIT)
        if pdus:
            assert _aborts(pdus)[0].source == AbortSource.SERVICE_USER
    finish(srv)


@pytest.mark.parametrize("keep", [1, 5, 6, 40, 73, -1])
def test_truncated_associate_rq_then_silence_is_closed_by_artim(
    srv: ServerUnderTest, keep: int
) -> None:
    # No whole PDU ever arrives, so no event but ARTIM's expiry (Evt18 in Sta2,
    # AA-2): a close, with no PDU (PS3.8 9.1.4, Table 9-9).
    with srv.connect() as peer:
        peer.send(associate_rq_bytes()[:keep])
        peer.wait_closed(ARTIM_WAIT)
    finish(srv)


def test_idle_connection_is_closed_by_artim(srv: ServerUnderTest) -> None:
    # AE-5 starts ARTIM on the transport connection; expiry in Sta2 is AA-2.
    with srv.connect() as peer:
        peer.wait_closed(ARTIM_WAIT)
    finish(srv)


def test_p_data_before_association_is_aborted(srv: ServerUnderTest) -> None:
    # Evt10 (P-DATA-TF PDU) in Sta2 is AA-1.
    with srv.connect() as peer:
        peer.send(p_data_tf(c_echo_rq_command()))
        expect_sta2_abort(peer)
    finish(srv)


@pytest.mark.parametrize("pdu", [RELEASE_RQ, pdu_header(PDUType.A_RELEASE_RP, 4)])
def test_release_pdu_before_association_is_aborted(
    srv: ServerUnderTest, pdu: bytes
) -> None:
    # Evt12/Evt13 in Sta2 are AA-1.
    with srv.connect() as peer:
        peer.send(pdu.ljust(10, b"\x00"))
        expect_sta2_abort(peer)
    finish(srv)


_ITEMS = {
    "application context": 0,
    "presentation context": 1,
    "abstract syntax": 2,
    "transfer syntax": 3,
    "user information": 4,
    "maximum length": 5,
    "implementation class UID": 6,
}


@pytest.mark.parametrize("item", list(_ITEMS))
def test_item_length_overrunning_its_pdu_is_aborted(
    srv: ServerUnderTest, item: str
) -> None:
    # An item whose length runs past the end of its PDU (or its parent item)
    # makes the A-ASSOCIATE-RQ invalid: Evt19 in Sta2, AA-1.
    data = bytearray(associate_rq_bytes())
    offset = item_length_offsets(bytes(data))[_ITEMS[item]]
    struct.pack_into(">H", data, offset, 0xFFF0)
    with srv.connect() as peer:
        peer.send(bytes(data))
        expect_sta2_abort(peer)
    finish(srv)


@pytest.mark.parametrize(
    ("syntax", "uid"),
    [
        ("abstract_syntax", "1.2.840.10008,1.1"),  # PS3.5 9.1: digits and "." only
        ("abstract_syntax", "1.2.840.10008.1.1." + "9" * 60),  # over 64 characters
        ("abstract_syntax", "1.2.840.10008.01.1"),  # PS3.5 9.1: no leading zero
    ],
)
def test_malformed_uid_is_answered(srv: ServerUnderTest, syntax: str, uid: str) -> None:
    # PS3.8 9.3.2.2.1: the abstract syntax name is a UID (PS3.5 9.1). One
    # that breaks PS3.5 names nothing the server supports: the context is
    # rejected in an A-ASSOCIATE-AC (PS3.8 9.3.3.2), or the request refused
    # with an A-ABORT. A close without a PDU, or a Python warning raised by the
    # server on the peer's behalf (an error under this suite's filterwarnings),
    # is not an answer.
    with srv.connect() as peer:
        peer.send(associate_rq_bytes(**{syntax: uid}))
        answer = peer.recv_pdu()
        assert answer is not None, "closed without an answer"
        if isinstance(answer, A_ASSOCIATE_AC):
            assert answer.presentation_contexts[0].result != 0
            peer.send(RELEASE_RQ)
        else:
            assert isinstance(answer, A_ABORT), answer
        peer.read_until_close(ARTIM_WAIT)
    finish(srv)


def test_unsupported_protocol_version_is_rejected(srv: ServerUnderTest) -> None:
    # PS3.8 9.3.2: bit 0 is version 1. Without it, AE-6 rejects with the ACSE
    # reason "protocol-version-not-supported" (PS3.8 9.3.4), then AE-8 starts
    # ARTIM and the silent peer is closed when it expires.
    data = bytearray(associate_rq_bytes())
    struct.pack_into(">H", data, 6, 0x0002)
    with srv.connect() as peer:
        peer.send(bytes(data))
        pdus = peer.read_until_close(ARTIM_WAIT)
    assert len(pdus) == 1
    answer = pdus[0]
    assert isinstance(answer, A_ASSOCIATE_RJ), answer
    assert (answer.result, answer.source, answer.reason) == (
        RejectResult.REJECTED_PERMANENT,
        RejectSource.SERVICE_PROVIDER_ACSE,
        RejectReason.ACSE_PROTOCOL_VERSION_NOT_SUPPORTED,
    )
    finish(srv)


# -- after the association is established: state Sta6 --------------------------------


@pytest.mark.parametrize("pdu_type", [0x00, 0x08, 0xFF])
def test_unknown_pdu_type_in_association_is_aborted(
    srv: ServerUnderTest, pdu_type: int
) -> None:
    # PS3.8 9.3.8, reason 1: unrecognized PDU.
    with srv.connect() as peer:
        establish(peer)
        peer.send(pdu_header(pdu_type, 4) + bytes(4))
        expect_provider_abort(peer, AbortReason.UNRECOGNIZED_PDU)
    finish(srv)


def test_second_associate_rq_in_association_is_aborted(srv: ServerUnderTest) -> None:
    # Evt6 in Sta6 is AA-8; PS3.8 9.3.8 reason 2: unexpected PDU.
    with srv.connect() as peer:
        establish(peer)
        peer.send(associate_rq_bytes())
        expect_provider_abort(peer, AbortReason.UNEXPECTED_PDU)
    finish(srv)


def test_pdu_length_ffffffff_in_association_is_aborted(srv: ServerUnderTest) -> None:
    # Above the maximum length the server offered (PS3.8 D.1): the PDU length
    # is an invalid PDU parameter value (PS3.8 9.3.8, reason 6).
    with srv.connect() as peer:
        establish(peer)
        peer.send(pdu_header(PDUType.P_DATA_TF, 0xFFFFFFFF) + bytes(64))
        expect_provider_abort(peer, AbortReason.INVALID_PDU_PARAMETER_VALUE)
    finish(srv)


def test_pdv_length_overrunning_its_pdu_is_aborted(srv: ServerUnderTest) -> None:
    # PS3.8 9.3.5.1: the PDV item length must fit inside the P-DATA-TF.
    data = bytearray(p_data_tf(c_echo_rq_command()))
    struct.pack_into(">L", data, 6, len(data))
    with srv.connect() as peer:
        establish(peer)
        peer.send(bytes(data))
        expect_provider_abort(peer, AbortReason.INVALID_PDU_PARAMETER_VALUE)
    finish(srv)


def test_idle_association_is_aborted_after_network_timeout(
    srv: ServerUnderTest,
) -> None:
    # pynetdicom's network_timeout: an association without traffic for that
    # long is aborted (network_timeout_response defaults to "A-ABORT").
    with srv.connect() as peer:
        establish(peer)
        _aborts(peer.read_until_close(NETWORK_WAIT))
    finish(srv)


def test_c_echo_over_the_raw_peer_works(srv: ServerUnderTest) -> None:
    # The reference point of the tests above: the same peer, well behaved, is
    # served (C-ECHO-RSP, then A-RELEASE-RP and a close).
    with srv.connect() as peer:
        establish(peer)
        peer.send(p_data_tf(c_echo_rq_command()))
        response = peer.recv_pdu()
        assert isinstance(response, P_DATA_TF)
        assert response.pdvs[0].message_control_header == 0x03
        peer.send(RELEASE_RQ)
        answer = peer.read_until_close(ARTIM_WAIT)
        assert [type(pdu).__name__ for pdu in answer] == ["A_RELEASE_RP"]
    finish(srv)


# -- peers that vanish ----------------------------------------------------------------


def _reset(peer: RawPeer) -> None:
    # SO_LINGER with a zero timeout: close() sends a TCP RST, not a FIN.
    peer.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    peer.close()


@pytest.mark.parametrize("how", ["close", "reset", "inside a PDU", "before the AC"])
def test_peer_vanishing_mid_association_leaves_nothing(
    srv: ServerUnderTest, how: str
) -> None:
    # Evt17 in Sta6 (or Sta3/Sta2) is AA-4/AA-5: the association ends at once.
    peer = srv.connect()
    if how == "before the AC":
        peer.send(associate_rq_bytes())
        peer.close()
    else:
        establish(peer)
        if how == "reset":
            _reset(peer)
        else:
            if how == "inside a PDU":
                peer.send(p_data_tf(c_echo_rq_command())[:20])
            peer.close()
    finish(srv)


def test_many_vanishing_peers_leave_nothing(srv: ServerUnderTest) -> None:
    # Eight: below the default maximum_associations (10), so none is refused.
    # Each peer is established as soon as it connects: connecting all first
    # would leave the early ones idle long enough for ARTIM to close them if
    # the listen backlog (socketserver's 5) drops a SYN, retried after ~1 s.
    peers = []
    for _ in range(8):
        peer = srv.connect()
        peers.append(peer)
        establish(peer)
    for index, peer in enumerate(peers):
        if index % 2:
            _reset(peer)
        else:
            peer.close()
    finish(srv)
