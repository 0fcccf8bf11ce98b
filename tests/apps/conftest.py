"""Fixtures of the command-line application tests.

The apps run in-process through ``main(argv)`` (their exit status is the return
value, their messages go to the captured stderr) or as ``python -m dicomnet``
subprocesses. Peers are dicomnet servers built with the public API, raw TCP
listeners that misbehave on purpose, and DCMTK.
"""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from dicomnet import AE, evt
from dicomnet.sop_class import Verification
from tests.transport.pki import make_certificate

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from contextlib import AbstractContextManager

LOOPBACK = "127.0.0.1"
#: Upper bound of any single wait in these tests, in seconds.
TIMEOUT = 20.0
#: PS3.8 9.3.8: an A-ABORT PDU from the service-user (source 0, reason 0).
A_ABORT_BYTES = bytes([0x07, 0, 0, 0, 0, 4, 0, 0, 0, 0])


@dataclass
class Peer:
    """A dicomnet Verification SCP in this process, and what it saw."""

    ae: AE
    port: int
    message_ids: list[int] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    closed: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(0))

    def wait_closed(self, count: int = 1) -> list[str]:
        """Wait until ``count`` connections ended; return the events seen."""
        for _ in range(count):
            assert self.closed.acquire(timeout=TIMEOUT), "connection still open"
        return self.events


@contextmanager
def dicomnet_scp(
    *,
    status: int = 0x0000,
    handlers: Sequence[Any] = (),
    transfer_syntaxes: Sequence[str] | None = None,
    **settings: Any,
) -> Iterator[Peer]:
    """Run a dicomnet SCP on a free loopback port; ``settings`` go to the AE."""
    ae = AE("ECHOSCP")
    for name, value in settings.items():
        setattr(ae, name, value)
    ae.add_supported_context(Verification, transfer_syntaxes)
    peer = Peer(ae, 0)

    def on_echo(event: evt.Event) -> int:
        peer.message_ids.append(event.message_id)
        return status

    def note(event: evt.Event) -> None:
        peer.events.append(event.event.name)

    def closed(event: evt.Event) -> None:
        peer.closed.release()

    bound = [
        (evt.EVT_C_ECHO, on_echo),
        (evt.EVT_RELEASED, note),
        (evt.EVT_ABORTED, note),
        (evt.EVT_CONN_CLOSE, closed),
        *handlers,
    ]
    server = ae.start_server((LOOPBACK, 0), block=False, evt_handlers=bound)
    assert server is not None
    peer.port = server.server_address[1]
    try:
        yield peer
    finally:
        ae.shutdown()


@pytest.fixture
def scp() -> Iterator[Peer]:
    with dicomnet_scp() as peer:
        yield peer


@contextmanager
def raw_listener(answer: bytes | None) -> Iterator[int]:
    """A TCP listener that reads the A-ASSOCIATE-RQ, then sends ``answer``.

    ``None``: it sends nothing and keeps the connection open until the client
    closes it (the ACSE timeout case).
    """
    listener = socket.create_server((LOOPBACK, 0))
    listener.settimeout(TIMEOUT)

    def serve() -> None:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(TIMEOUT)
            try:
                conn.recv(65536)
                if answer is not None:
                    conn.sendall(answer)
                # Wait for the client to close: no sleep, a read.
                while conn.recv(65536):
                    pass
            except OSError:
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()
        thread.join(TIMEOUT)


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A loopback port bound but not listening: connecting is refused."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        yield sock.getsockname()[1]


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    """Self-signed (certificate, key) pairs made by ``openssl``."""
    directory = tmp_path_factory.mktemp("pki")
    return {name: make_certificate(directory, name) for name in ("server", "client")}


def dicomnet_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "dicomnet", *args]


@dataclass
class Background:
    """A ``dicomnet`` SCP subprocess and the port it listens on."""

    process: subprocess.Popen[str]
    port: int
    lines: list[str]

    def stop(self, signum: int = signal.SIGTERM) -> tuple[int, str]:
        """Send ``signum``; return the exit status and everything logged."""
        self.process.send_signal(signum)
        _, rest = self.process.communicate(timeout=TIMEOUT)
        return self.process.returncode, "".join(self.lines) + rest


_LISTENING = re.compile(r"Listening on \S+ port (\d+)")


@contextmanager
def scp_process(tool: str, *args: str) -> Iterator[Background]:
    """Start ``dicomnet TOOL ARGS`` and wait for its "Listening" line."""
    process = subprocess.Popen(
        dicomnet_command(tool, *args),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        lines: list[str] = []
        # Blocking reads; pytest-timeout bounds them if the app hangs.
        for line in process.stderr:
            lines.append(line)
            match = _LISTENING.search(line)
            if match:
                yield Background(process, int(match[1]), lines)
                break
        else:
            pytest.fail(f"{tool} ended before listening: {''.join(lines)}")
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=TIMEOUT)


def echoscp_process(*args: str) -> AbstractContextManager[Background]:
    """Start ``dicomnet echoscp 0 ARGS`` and wait for its "Listening" line."""
    return scp_process("echoscp", "0", *args)
