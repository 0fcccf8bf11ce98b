"""A recording TCP proxy and peer launchers for the interop byte captures.

The proxy listens on ``127.0.0.1`` (ephemeral port), forwards every connection it
accepts to an upstream SCP, and splits each direction's byte stream into whole
PDUs using the 6-byte PDU header of PS3.8 9.3.1 (type, reserved, 32-bit
big-endian length). The recorded bytes are exactly what the peers sent: they
are never pasted from elsewhere.

Threads and sockets are fine here: this is test harness, not the core. Nothing
sleeps to wait for a state change; threads and processes are waited on with
timeouts, and readiness of a DCMTK listener is read from ``/proc/net/tcp``.
"""

from __future__ import annotations

import os
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import time
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from typing_extensions import Self

LOOPBACK = "127.0.0.1"

#: PS3.8 9.3.1: every PDU starts with type (1), reserved (1), length (4, big endian).
PDU_HEADER = struct.Struct(">BBL")

#: Default upper bound for any single wait in the harness, in seconds.
DEFAULT_TIMEOUT = 20.0

#: TCP state "LISTEN" in /proc/net/tcp (include/net/tcp_states.h: TCP_LISTEN = 10).
_TCP_LISTEN = "0A"

#: How long to block on the server process between two /proc/net/tcp reads.
_POLL_INTERVAL = 0.005


class Direction(Enum):
    """Which way a recorded PDU travelled through the proxy."""

    TO_ACCEPTOR = "requestor -> acceptor"
    TO_REQUESTOR = "acceptor -> requestor"


@dataclass(frozen=True, slots=True)
class RecordedPDU:
    """One whole PDU as it crossed the proxy."""

    connection: int
    direction: Direction
    data: bytes

    @property
    def pdu_type(self) -> int:
        """The PDU-type byte (PS3.8 9.3.1)."""
        return self.data[0]

    def describe(self) -> str:
        """Short human-readable label for assertion messages."""
        return (
            f"conn {self.connection} {self.direction.value} "
            f"type 0x{self.pdu_type:02x} ({len(self.data)} bytes)"
        )


class PDUSplitter:
    """Cut one direction's byte stream into whole PDUs (PS3.8 9.3.1 framing)."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, chunk: bytes) -> list[bytes]:
        """Append ``chunk`` and return every PDU it completes, in order."""
        self._buffer += chunk
        pdus: list[bytes] = []
        while len(self._buffer) >= PDU_HEADER.size:
            _, _, length = PDU_HEADER.unpack_from(self._buffer)
            end = PDU_HEADER.size + length
            if len(self._buffer) < end:
                break
            pdus.append(bytes(self._buffer[:end]))
            del self._buffer[:end]
        return pdus

    @property
    def leftover(self) -> bytes:
        """Bytes of an incomplete PDU still waiting for the rest."""
        return bytes(self._buffer)


@dataclass
class Capture:
    """Everything one session recorded."""

    name: str
    pdus: list[RecordedPDU] = field(default_factory=list)
    #: Incomplete trailing bytes per (connection, direction); empty when clean.
    leftovers: dict[tuple[int, Direction], bytes] = field(default_factory=dict)
    #: Peer output kept for assertion messages.
    log: str = ""

    def types(self) -> list[int]:
        """PDU types in the order the proxy saw them complete."""
        return [pdu.pdu_type for pdu in self.pdus]

    def of_type(self, pdu_type: int) -> list[RecordedPDU]:
        """The recorded PDUs of one type."""
        return [pdu for pdu in self.pdus if pdu.pdu_type == pdu_type]


class RecordingProxy:
    """Loopback TCP proxy recording whole PDUs in both directions.

    Parameters
    ----------
    upstream_port : int
        Port of the SCP on ``127.0.0.1`` to forward each accepted connection to.
    timeout : float
        Socket timeout for every blocking operation of the proxy threads.
    """

    def __init__(self, upstream_port: int, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self._upstream = (LOOPBACK, upstream_port)
        self._timeout = timeout
        self._lock = threading.Lock()
        self._pdus: list[RecordedPDU] = []
        self._leftovers: dict[tuple[int, Direction], bytes] = {}
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []
        self._stopping = threading.Event()
        self._listener = socket.create_server((LOOPBACK, 0))
        self._listener.settimeout(None)
        self.port: int = self._listener.getsockname()[1]
        self._acceptor = threading.Thread(
            target=self._accept_loop, name="proxy-accept", daemon=True
        )

    def __enter__(self) -> Self:
        """Start accepting connections."""
        self._acceptor.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Stop accepting and close whatever is still open."""
        self.close()

    def _accept_loop(self) -> None:
        index = 0
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # the listener was shut down by close()
            self._start_connection(index, client)
            index += 1

    def _start_connection(self, index: int, client: socket.socket) -> None:
        try:
            server = socket.create_connection(self._upstream, timeout=self._timeout)
        except OSError:
            client.close()
            raise
        for sock in (client, server):
            sock.settimeout(self._timeout)
            # Forward each chunk at once, as the peers themselves send it.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        pumps = [
            threading.Thread(
                target=self._pump,
                args=(index, direction, src, dst),
                name=f"proxy-{index}-{direction.name}",
                daemon=True,
            )
            for direction, src, dst in (
                (Direction.TO_ACCEPTOR, client, server),
                (Direction.TO_REQUESTOR, server, client),
            )
        ]
        with self._lock:
            self._sockets += [client, server]
            self._threads += pumps
        for pump in pumps:
            pump.start()

    def _pump(
        self,
        index: int,
        direction: Direction,
        src: socket.socket,
        dst: socket.socket,
    ) -> None:
        splitter = PDUSplitter()
        while True:
            try:
                chunk = src.recv(65536)
            except OSError:
                chunk = b""  # reset or timeout: treat as end of stream
            if not chunk:
                break
            with self._lock:
                self._pdus += [
                    RecordedPDU(index, direction, pdu) for pdu in splitter.feed(chunk)
                ]
            try:
                dst.sendall(chunk)
            except OSError:
                break
        with self._lock:
            if splitter.leftover:
                self._leftovers[index, direction] = splitter.leftover
        # Pass the half-close on so the other peer sees the end of stream too.
        with suppress(OSError):
            dst.shutdown(socket.SHUT_WR)

    def wait(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        """Wait until every connection accepted so far has closed both ways."""
        deadline = time.monotonic() + timeout
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                raise TimeoutError(f"{thread.name} still running after {timeout}s")

    def close(self) -> None:
        """Stop the acceptor and close every socket; join all threads."""
        self._stopping.set()
        with suppress(OSError):
            # On Linux, shutdown() wakes a thread blocked in accept().
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            sock.close()
        if self._acceptor.ident is not None:  # started
            self._acceptor.join(self._timeout)
        self.wait(self._timeout)

    def capture(self, name: str, log: str = "") -> Capture:
        """Return a copy of what was recorded so far."""
        with self._lock:
            return Capture(name, list(self._pdus), dict(self._leftovers), log)


# --- DCMTK peers ----------------------------------------------------------------


def dcmtk_available(*tools: str) -> bool:
    """Whether every named DCMTK command-line tool is on ``PATH``."""
    return all(shutil.which(tool) is not None for tool in tools)


def dcmtk_env() -> dict[str, str]:
    """Environment for DCMTK processes: Nagle off, so small PDUs are not held back."""
    return {**os.environ, "TCP_NODELAY": "1"}


def free_port() -> int:
    """An ephemeral loopback port that was free a moment ago.

    DCMTK's servers refuse port 0, so one is chosen here; the caller retries if
    it was taken in between.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        port: int = probe.getsockname()[1]
        return port


def listening_ports() -> set[int]:
    """TCP ports in LISTEN state, read from ``/proc/net/tcp`` and ``tcp6``.

    Reading the kernel's table instead of connecting keeps the single-process
    DCMTK servers free: a readiness connect would occupy their one association.
    """
    ports: set[int] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text(encoding="ascii").splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 3 and fields[3] == _TCP_LISTEN:
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def _read_log(log: IO[bytes]) -> str:
    log.seek(0)
    return log.read().decode("utf-8", "replace")


@dataclass
class DcmtkServer:
    """A running DCMTK SCP and the file its output goes to."""

    process: subprocess.Popen[bytes]
    port: int
    log: IO[bytes]

    def output(self) -> str:
        """Everything the server printed so far."""
        return _read_log(self.log)


def _wait_listening(server: DcmtkServer, timeout: float) -> bool:
    """Block until ``server.port`` listens; False if the process exited first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.port in listening_ports():
            return True
        try:
            # Waiting on the process doubles as the pause between two reads and
            # notices at once a server that died (for instance: port taken).
            server.process.wait(_POLL_INTERVAL)
        except subprocess.TimeoutExpired:
            continue
        return False
    raise TimeoutError(
        f"DCMTK server not listening on {server.port}: {server.output()}"
    )


def _stop(process: subprocess.Popen[bytes], timeout: float) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)


@contextmanager
def dcmtk_server(
    tool: str, args: Sequence[str], *, timeout: float = DEFAULT_TIMEOUT
) -> Iterator[DcmtkServer]:
    """Run a DCMTK SCP (``storescp`` ...) on a free loopback port until exit.

    The port goes last on the command line, as every DCMTK server expects.
    DCMTK 3.6.7 servers have no option to bind one address: they listen on the
    wildcard address, but only ever receive connections from the loopback proxy.
    """
    for _ in range(5):
        log = tempfile.TemporaryFile()  # noqa: SIM115  (closed in the finally below)
        port = free_port()
        process = subprocess.Popen(
            [tool, *args, str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=dcmtk_env(),
        )
        server = DcmtkServer(process, port, log)
        try:
            if _wait_listening(server, timeout):
                yield server
                return
        finally:
            _stop(process, timeout)
            log.close()
    raise RuntimeError(f"{tool} could not get a listening port")


def run_client(
    argv: Sequence[str], *, timeout: float = DEFAULT_TIMEOUT
) -> subprocess.CompletedProcess[str]:
    """Run a DCMTK SCU to completion; its exit status is the caller's business."""
    return subprocess.run(  # noqa: PLW1510  (refusals and aborts exit non-zero on purpose)
        list(argv),
        capture_output=True,
        text=True,
        timeout=timeout,
        env=dcmtk_env(),
        stdin=subprocess.DEVNULL,
    )
