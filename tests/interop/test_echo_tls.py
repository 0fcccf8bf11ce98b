"""C-ECHO over TLS between dicomnet and DCMTK / pynetdicom (issue #4, point 8).

The certificates come from :mod:`.tls` (a throw-away CA made by ``openssl``).
Servers require a client certificate signed by that CA (mutual authentication,
as in the "TLS" section of the user documentation): a trusted client gets its
echo answered, a stranger or a plain TCP client gets nothing.
"""

from __future__ import annotations

import queue
from typing import TYPE_CHECKING, TypeVar

import pytest

from dicomnet import AE, evt
from dicomnet.sop_class import Verification

from .capture import dcmtk_available, dcmtk_server, run_client
from .tls import PKI, SERVER_HOSTNAME, KeyPair, make_pki, openssl_available

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = [
    pytest.mark.interop,
    pytest.mark.skipif(not openssl_available(), reason="openssl is not installed"),
]

TIMEOUT = 10.0
_AE = TypeVar("_AE")  # a dicomnet or a pynetdicom AE
LOOPBACK = "127.0.0.1"
VERIFICATION = "1.2.840.10008.1.1"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PKI:
    return make_pki(tmp_path_factory.mktemp("echo-tls-pki"))


def _timed(ae: _AE) -> _AE:
    for name in ("acse_timeout", "dimse_timeout", "network_timeout"):
        setattr(ae, name, TIMEOUT)
    return ae


@pytest.fixture
def tls_scp(pki: PKI) -> Iterator[tuple[int, queue.Queue[str]]]:
    """A dicomnet Verification SCP on TLS, requiring a client certificate."""
    events: queue.Queue[str] = queue.Queue()

    def on_echo(event: evt.Event) -> int:
        events.put(f"echo from {event.assoc.requestor.ae_title}")
        return 0x0000

    handlers = [
        (evt.EVT_C_ECHO, on_echo),
        (evt.EVT_ACCEPTED, lambda _e: events.put("accepted")),
        (evt.EVT_RELEASED, lambda _e: events.put("released")),
    ]
    ae = _timed(AE("DICOMNET"))
    ae.add_supported_context(Verification)
    try:
        server = ae.start_server(
            (LOOPBACK, 0),
            block=False,
            ssl_context=pki.server_context(require_client=True),
            evt_handlers=handlers,
        )
        assert server is not None
        yield int(server.server_address[1]), events
    finally:
        ae.shutdown()


def drained(events: queue.Queue[str]) -> list[str]:
    seen = []
    while not events.empty():
        seen.append(events.get_nowait())
    return seen


def echoscu_tls(port: int, pki: PKI, identity: KeyPair | None) -> list[str]:
    """The echoscu command line: ``+tls key cert`` and ``+cf ca`` (DCMTK 3.6.7)."""
    tls = (
        ["-tls"]
        if identity is None
        else ["+tls", str(identity.key), str(identity.cert)]
    )
    return ["echoscu", "-v", *tls, "+cf", str(pki.ca.cert), LOOPBACK, str(port)]


# --- DCMTK echoscu -> dicomnet -----------------------------------------------------

needs_echoscu = pytest.mark.skipif(
    not dcmtk_available("echoscu"), reason="DCMTK echoscu not on PATH"
)


@needs_echoscu
def test_echoscu_with_a_trusted_certificate(
    pki: PKI, tls_scp: tuple[int, queue.Queue[str]]
) -> None:
    port, events = tls_scp
    result = run_client(echoscu_tls(port, pki, pki.client))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Received Echo Response (Success)" in result.stdout + result.stderr
    seen = [events.get(timeout=TIMEOUT) for _ in range(3)]
    assert seen == ["accepted", "echo from ECHOSCU", "released"]


@needs_echoscu
@pytest.mark.parametrize("who", ["stranger", "plain-tcp"])
def test_echoscu_without_a_trusted_certificate_is_refused(
    pki: PKI, tls_scp: tuple[int, queue.Queue[str]], who: str
) -> None:
    port, events = tls_scp
    identity = pki.stranger if who == "stranger" else None
    result = run_client(echoscu_tls(port, pki, identity))
    assert result.returncode != 0, result.stdout + result.stderr
    assert "Received Echo Response" not in result.stdout + result.stderr
    # The server is still there for a trusted client, and saw nothing before it.
    trusted = run_client(echoscu_tls(port, pki, pki.client))
    assert trusted.returncode == 0, trusted.stdout + trusted.stderr
    assert events.get(timeout=TIMEOUT) == "accepted"
    assert events.get(timeout=TIMEOUT) == "echo from ECHOSCU"


# --- dicomnet -> DCMTK storescp +tls ------------------------------------------------


def dicomnet_scu() -> AE:
    ae = AE("DICOMNET-SCU")
    ae.add_requested_context(Verification)
    return _timed(ae)


@pytest.mark.skipif(not dcmtk_available("storescp"), reason="DCMTK storescp missing")
def test_send_c_echo_to_storescp_over_tls(pki: PKI) -> None:
    scu = dicomnet_scu()
    # storescp's default -rc: a client certificate is required and verified.
    args = ["-v", "+tls", str(pki.server.key), str(pki.server.cert)]
    args += ["+cf", str(pki.ca.cert)]
    try:
        with dcmtk_server("storescp", args) as scp:
            stranger = scu.associate(
                LOOPBACK,
                scp.port,
                tls_args=(pki.client_context(pki.stranger), SERVER_HOSTNAME),
            )
            assert stranger.is_aborted
            assert not stranger.is_established
            assoc = scu.associate(
                LOOPBACK,
                scp.port,
                tls_args=(pki.client_context(pki.client), SERVER_HOSTNAME),
            )
            assert assoc.is_established, scp.output()
            status = assoc.send_c_echo()
            assoc.release()
            assert assoc.is_released
            # A second association proves storescp finished the first one.
            again = scu.associate(
                LOOPBACK,
                scp.port,
                tls_args=(pki.client_context(pki.client), SERVER_HOSTNAME),
            )
            assert again.is_established, scp.output()
            again.release()
            output = scp.output()
    finally:
        scu.shutdown()
    assert status.Status == 0x0000
    assert output.count("Received Echo Request") == 1


# --- pynetdicom requestor -> dicomnet over TLS --------------------------------------


def test_pynetdicom_echo_over_tls(
    pki: PKI, tls_scp: tuple[int, queue.Queue[str]]
) -> None:
    import pynetdicom

    port, events = tls_scp
    peer = _timed(pynetdicom.AE(ae_title="PYNETDICOM"))
    peer.add_requested_context(VERIFICATION)
    try:
        assoc = peer.associate(
            LOOPBACK,
            port,
            ae_title="DICOMNET",
            tls_args=(pki.client_context(pki.client), SERVER_HOSTNAME),
        )
        assert assoc.is_established
        status = assoc.send_c_echo()
        assoc.release()
        assert assoc.is_released
        assert events.get(timeout=TIMEOUT) == "accepted"
        assert events.get(timeout=TIMEOUT) == "echo from PYNETDICOM"
        assert events.get(timeout=TIMEOUT) == "released"
        # (No plain-TCP pynetdicom attempt here: pynetdicom 3.0.4 leaks its
        # socket when the peer drops it, which filterwarnings=error reports.)
    finally:
        peer.shutdown()
    assert status.Status == 0x0000
    assert drained(events) == []
