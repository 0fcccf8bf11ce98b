"""The thread driver: one thread owns one association's socket and core object.

The sans-I/O core (house style 2) reads no clock and touches no socket; this
driver is everything around it for one association. Its owner thread blocks on
a selector watching the socket and a wake-up socketpair, with a timeout taken
from the earliest deadline (the core's ARTIM timer, PS3.8 9.1.5, and the idle
limit), and after every step it writes ``data_to_send_parts()`` and hands every
``next_event()`` to the API ring's ``handle_event`` callback, on that thread.

Other threads reach the association only through :meth:`AssociationDriver.call`,
which queues a function, wakes the selector and returns a
:class:`concurrent.futures.Future` (house style 5). Nothing here sleeps or polls.
"""

from __future__ import annotations

import errno
import logging
import selectors
import socket
import ssl
import threading
import time
from collections import deque
from concurrent.futures import Future
from contextlib import suppress
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING, Any, Final, Protocol, TypeAlias, TypeVar

from dicomnet.errors import (
    ConnectError,
    ConnectTimeout,
    LocalProtocolError,
    ReadError,
    TransportClosedError,
    TransportError,
    WriteError,
    WriteTimeout,
)
from dicomnet.transport._exceptions import map_exceptions
from dicomnet.transport._pool import Worker
from dicomnet.ul.events import TransportCloseRequested, TransportConnectRequested

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, MutableMapping, Sequence

    from dicomnet.transport._pool import WorkerPool

__all__ = ["AssociationDriver", "SansIOConnection"]

_LOGGER = logging.getLogger(__name__)
_LOGGER.addHandler(logging.NullHandler())

T = TypeVar("T")

# recv(n) rather than recv_into() a reusable buffer: ReceiveBuffer keeps a
# ``bytes`` chunk as is (PDVs become views of it), while a reused bytearray must
# be copied before the next read. Measured over a socketpair, 1 GiB in 256 KiB
# reads: both 1.6-1.8 GB/s, so the saved copy decides. CPython shrinks the
# oversized result in place, so a short read costs no second copy either.
_RECV_SIZE: Final = 256 * 1024
# Buffers per sendmsg call: below Linux's IOV_MAX of 1024.
_IOV_MAX: Final = 512
# Below this many bytes in all, the buffers to write are joined and sent with
# one send() instead of a gathered sendmsg().
_JOIN_BELOW: Final = 4096

_WOULD_BLOCK: Final = (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError)
_ErrorMap: TypeAlias = "Mapping[type[BaseException], type[TransportError]]"
_CONNECT_ERRORS: Final[_ErrorMap] = {
    TimeoutError: ConnectTimeout,
    OSError: ConnectError,
}
_READ_ERRORS: Final[_ErrorMap] = {OSError: ReadError}
_WRITE_ERRORS: Final[_ErrorMap] = {TimeoutError: WriteTimeout, OSError: WriteError}

Address = tuple[Any, ...]
"""A socket address: ``(host, port)`` or the IPv6 ``(host, port, flow, scope)``."""


class SansIOConnection(Protocol):
    """What the driver needs of a sans-I/O association object.

    :class:`~dicomnet.ul.connection.UpperLayer` has this shape, and so will the
    object that stacks ACSE and DIMSE on it.
    """

    def transport_connected(self, now: float) -> None:
        """Report the open transport connection (PS3.8 Evt2 or Evt5)."""

    def receive_data(self, data: bytes | bytearray | memoryview, now: float) -> None:
        """Feed received bytes; ``b""`` means the connection closed (Evt17)."""

    def data_to_send_parts(self) -> Sequence[bytes | memoryview]:
        """Return, and forget, the buffers to write, in order."""
        ...

    def get_timer(self) -> float | None:
        """Return the next deadline on the driver's clock, or ``None``."""
        ...

    def handle_timer(self, now: float) -> None:
        """Fire whatever timer has expired by ``now`` (ARTIM: Evt18)."""

    def next_event(self) -> object | None:
        """Return the oldest event not yet returned, or ``None``."""
        ...


@dataclass(frozen=True, slots=True)
class _ConnectOptions:
    """Where and how a requestor opens its transport connection (PS3.8 AE-1)."""

    address: Address
    timeout: float | None
    bind_address: Address | None
    tls: tuple[ssl.SSLContext, str | None] | None


if TYPE_CHECKING:
    _AdapterBase = logging.LoggerAdapter[logging.Logger]
else:  # LoggerAdapter is subscriptable only from Python 3.11
    _AdapterBase = logging.LoggerAdapter


class _Prefixed(_AdapterBase):
    """Prefix every record with the association's name (house style 6)."""

    def process(
        self, msg: object, kwargs: MutableMapping[str, Any]
    ) -> tuple[object, MutableMapping[str, Any]]:
        extra = self.extra or {}
        return f"[{extra.get('name')}] {msg}", kwargs


def _forever(timeout: float | None) -> float:
    return -1 if timeout is None else timeout  # Lock.acquire's "no limit"


def _deadline(now: float, timeout: float | None) -> float | None:
    return None if timeout is None else now + timeout


def _nbytes(buffer: bytes | memoryview) -> int:
    """Return the size in bytes of a buffer to write, whatever its item format."""
    return len(buffer) if type(buffer) is bytes else memoryview(buffer).nbytes


def _short(address: Address | str) -> tuple[str, int] | None:
    """Return the ``(host, port)`` part of an IP socket address, else None."""
    if isinstance(address, tuple) and len(address) >= 2:
        return str(address[0]), int(address[1])
    return None  # an AF_UNIX socket (tests, socketpair)


class AssociationDriver:
    """Drive one sans-I/O association over one TCP (or TLS) socket, on one thread.

    Parameters
    ----------
    connection : SansIOConnection
        The association's core object; only the owner thread touches it.
    handle_event : callable
        Called on the owner thread with every event the core emits, in order.
        It may call back into ``connection`` (``send`` ...): the driver writes
        what that produced when it returns. An exception escaping it is logged
        and closes the association.
    name : str
        Thread name and log prefix.
    idle_timeout : float, optional
        Seconds without received bytes after which ``on_idle`` runs (the
        pynetdicom ``network_timeout``); also bounds a TLS handshake and a
        blocked write. ``None``: no limit.
    on_idle : callable, optional
        Runs on the owner thread at the idle deadline (typically: abort); the
        next deadline is one ``idle_timeout`` later. Default: close.
    clock : callable
        The clock whose readings are passed to the core as ``now``.
    on_connected : callable, optional
        Runs on the owner thread once the transport connection is open (after
        the TLS handshake, if any), just before the core hears of it.
    on_stopped : callable, optional
        Runs on the owner thread once the connection is closed and the driver
        has stopped, whatever the reason (also after a failed TLS handshake,
        which the core never hears of).
    on_received, on_sent : callable, optional
        Observe the raw bytes: called on the owner thread with each chunk
        read (``bytes``) and each list of buffers written.
    """

    def __init__(  # noqa: PLR0913  (the driver's documented settings)
        self,
        connection: SansIOConnection,
        handle_event: Callable[[object], None],
        *,
        name: str,
        idle_timeout: float | None = None,
        on_idle: Callable[[], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        on_stopped: Callable[[], None] | None = None,
        on_connected: Callable[[], None] | None = None,
        on_received: Callable[[bytes], None] | None = None,
        on_sent: Callable[[Sequence[bytes | memoryview]], None] | None = None,
    ) -> None:
        self._connection = connection
        self._on_received = on_received
        self._on_sent = on_sent
        self._on_stopped = on_stopped
        self._on_connected = on_connected
        self._handle_event = handle_event
        self.name = name
        self._idle_timeout = idle_timeout
        self._on_idle = on_idle
        self._clock = clock
        self._log = _Prefixed(_LOGGER, {"name": name})
        self.thread: threading.Thread | None = None
        #: ``(host, port)`` of each end once connected, else ``None``.
        self.local_address: tuple[str, int] | None = None
        self.peer_address: tuple[str, int] | None = None
        #: The peer's certificate (``SSLSocket.getpeercert()``) under TLS.
        self.peer_certificate: dict[str, Any] | None = None
        self._sock: socket.socket | None = None
        self._selector: selectors.BaseSelector | None = None
        # The owner thread's wake-up pair and selector: its own (dedicated),
        # or a pooled thread's that serves one association after another.
        self._worker: Worker | None = None
        self._owner: int | None = None  # the owner thread's ident while it runs
        self._dedicated = self._started = False
        self._running = threading.Lock()  # held from start to stop: join()
        self._done = False
        # Guards the call queue, the close request and the wake-up socket
        # against the owner thread's exit.
        self._lock = threading.Lock()
        self._calls: deque[tuple[Callable[[], Any], Future[Any]]] = deque()
        self._close_requested = False
        self._ended = False
        # True while the core believes a transport connection exists or is
        # being opened (Sta2..Sta13): only then may Evt17 be fed to it.
        self._live = False
        self._finished = False
        self._requestor: _ConnectOptions | None = None
        self._idle_deadline: float | None = None

    # --- starting ---------------------------------------------------------------

    def start_acceptor(
        self,
        sock: socket.socket,
        *,
        ssl_context: ssl.SSLContext | None = None,
        pool: WorkerPool | None = None,
    ) -> None:
        """Take an accepted socket and start the owner thread.

        The TLS handshake (if ``ssl_context``) runs on the owner thread, never
        in the accept loop; then the core gets the transport connection
        indication (PS3.8 Evt5, which starts ARTIM). With a ``pool`` (the
        server's), an idle pooled thread becomes the owner, else a new one.
        """
        self.peer_address = _short(sock.getpeername())
        self.local_address = _short(sock.getsockname())
        self._start(self._run_acceptor, sock, ssl_context, pool=pool)

    def start_requestor(
        self,
        address: Address,
        *,
        connect_timeout: float | None,
        bind_address: Address | None = None,
        tls: tuple[ssl.SSLContext, str | None] | None = None,
    ) -> None:
        """Start the owner thread of an association-requestor.

        The thread opens the connection when the core asks for it (PS3.8 AE-1,
        emitted once the A-ASSOCIATE request is issued), then reports it open
        (Evt2). A refused or timed-out connection, or a failed TLS handshake,
        is reported as the connection closing (Evt17: A-P-ABORT indication).
        """
        self._requestor = _ConnectOptions(address, connect_timeout, bind_address, tls)
        self._start(self._run_requestor)

    def _start(
        self,
        target: Callable[..., None],
        *args: object,
        pool: WorkerPool | None = None,
    ) -> None:
        def job(worker: Worker) -> None:
            self._serve(worker, target, args)

        with self._lock:
            if self._started or self._ended:
                raise RuntimeError(f"{self.name}: driver already started or closed")
            self._started = True
            self._running.acquire()
            if pool is not None and pool.submit(job):
                return
            worker = Worker(job, name=self.name)
            self._dedicated = True
            self.thread = worker.thread
            # Started under the lock: join() reads the thread under it too, so
            # it never meets one that is not started yet ("cannot join thread
            # before it is started").
            worker.thread.start()

    def _serve(
        self, worker: Worker, target: Callable[..., None], args: tuple[object, ...]
    ) -> None:
        """Owner thread: run this association with ``worker``'s pair and selector."""
        with self._lock:
            self.thread = threading.current_thread()
            self.thread.name = self.name
            self._owner = threading.get_ident()
            self._worker = worker
            if self._calls or self._close_requested:
                self._wake()  # asked before a thread took the association
        try:
            target(*args)
        finally:
            self._owner = None
            self._done = True
            self._running.release()

    # --- the user's side ----------------------------------------------------------

    def call(self, fn: Callable[[], T]) -> Future[T]:
        """Run ``fn`` on the owner thread and return its future.

        What ``fn`` makes the core send is written, and the events it causes
        dispatched, right after it returns. Called on the owner thread itself,
        ``fn`` runs at once. After the driver stopped the future fails with
        :class:`~dicomnet.errors.TransportClosedError`.
        """
        future: Future[T] = Future()
        if self._owner == threading.get_ident():
            self._run_call(fn, future)
            return future
        with self._lock:
            if self._ended:
                future.set_exception(TransportClosedError(f"{self.name} has stopped"))
                return future
            self._calls.append((fn, future))
            self._wake()
        return future

    def run_until(self, done: Callable[[], bool], timeout: float | None) -> bool:
        """Serve the connection from the owner thread until ``done()`` holds.

        For code already running on the owner thread (an event handler) that
        must wait for the peer, a C-STORE response for instance: the socket is
        read and events dispatched meanwhile, so ``handle_event`` may be
        re-entered. ``timeout=0`` reads what has arrived without waiting.

        Returns
        -------
        bool
            ``done()`` at the end: ``False`` after the timeout, or when the
            connection closed first.
        """
        selector = self._selector
        if selector is None or self._owner is None:
            return done()
        if threading.get_ident() != self._owner:
            raise RuntimeError("run_until() is for the owner thread only")
        deadline = _deadline(self._clock(), timeout)
        self._pump()  # what the caller just queued goes out before any wait
        while not done() and not self._finished:
            remaining = None if deadline is None else max(0.0, deadline - self._clock())
            self._step(selector, remaining)
            if remaining == 0:
                break
        return done()

    def set_idle_timeout(self, timeout: float | None) -> None:
        """Change the idle limit; the next deadline is ``timeout`` from now.

        Owner thread only (use :meth:`call` from elsewhere).
        """
        self._idle_timeout = timeout
        if self._sock is not None:
            self._idle_deadline = _deadline(self._clock(), timeout)

    def close(self) -> None:
        """Ask the owner thread to close the connection and stop (idempotent).

        If the core still thinks the connection open it is told it closed
        (Evt17), so ``handle_event`` sees the A-P-ABORT indication.
        """
        with self._lock:
            self._close_requested = True
            if not self._started:
                self._ended = True  # never started: it never will
                return
            self._wake()

    def join(self, timeout: float | None = None) -> None:
        """Wait for the driver to stop: its own thread to end, or a pooled one's job."""
        with self._lock:
            thread, dedicated, started = self.thread, self._dedicated, self._started
        if dedicated and thread is not None:
            thread.join(timeout)
        elif self.on_owner_thread():  # as Thread.join() would: never returns
            raise RuntimeError("cannot join current thread")
        elif started and self._running.acquire(timeout=_forever(timeout)):
            self._running.release()

    def is_alive(self) -> bool:
        """Return whether the driver is running (or, once started, about to)."""
        if self._dedicated and self.thread is not None:
            return self.thread.is_alive()
        return self._started and not self._done

    def on_owner_thread(self) -> bool:
        """Return whether the caller is the owner thread, while it runs."""
        return self._owner == threading.get_ident()

    def _wake(self) -> None:
        # Caller holds the lock. A full socketpair already means "wake up".
        if not self._ended and self._worker is not None:
            self._worker.wake()

    # --- owner thread: lifecycle -------------------------------------------------

    def _run_acceptor(
        self, sock: socket.socket, ssl_context: ssl.SSLContext | None
    ) -> None:
        try:
            sock.setblocking(False)  # noqa: FBT003  (the stdlib signature)
            self._sock = sock
            if ssl_context is not None:
                deadline = _deadline(self._clock(), self._idle_timeout)
                self._sock = self._tls(sock, ssl_context, None, deadline, server=True)
            self._opened(self._sock)
        except TransportError as exc:
            # The core never heard of this connection (Sta1): nothing to tell it.
            self._log.info("connection from %s dropped: %s", self.peer_address, exc)
            self._close_socket()
            self._finish()
            return
        self._run()

    def _run_requestor(self) -> None:
        self._run()

    def _run(self) -> None:
        # The worker's selector watches its wake-up socket for good; the
        # connection is registered for this association only.
        selector = self._worker.selector  # type: ignore[union-attr]  # _serve set it
        try:
            self._selector = selector
            if self._sock is not None:
                selector.register(self._sock, selectors.EVENT_READ)
            self._pump()
            while not self._finished:
                self._step(selector)
        finally:
            # Unregistered first: the worker's next socket may reuse its fd.
            self._close_socket()
            self._selector = None
            self._finish()

    def _finish(self) -> None:
        """Stop taking calls and fail the queued ones."""
        with self._lock:
            # No wake-up byte from here on: the pair may serve another association.
            self._ended = True
            calls, self._calls = self._calls, deque()
        for _fn, future in calls:
            if future.set_running_or_notify_cancel():
                future.set_exception(TransportClosedError(f"{self.name} has stopped"))
        self._log.debug("driver stopped")
        if self._on_stopped is not None:
            self._guarded(self._on_stopped)

    def _step(
        self, selector: selectors.BaseSelector, limit: float | None = None
    ) -> None:
        """Wait (at most ``limit`` s) for an event; react, flush, dispatch."""
        sock = self._sock
        pending = isinstance(sock, ssl.SSLSocket) and sock.pending() > 0
        wait = self._wait_time()
        if limit is not None:
            wait = limit if wait is None else min(wait, limit)
        # Bytes TLS already decrypted never make the socket readable again.
        ready = selector.select(0 if pending else wait)
        worker = self._worker
        wake_r = None if worker is None else worker.wake_r
        now = self._clock()
        readable = pending
        for key, _mask in ready:
            if key.fileobj is wake_r:
                worker.drain()  # type: ignore[union-attr]  # wake_r is its
            else:
                readable = True
        if readable:
            self._read(now)
        self._run_calls()
        self._check_deadlines(self._clock())
        if self._close_requested and not self._finished:
            self._abandon(self._clock())
        self._pump()

    def _wait_time(self) -> float | None:
        timer = self._connection.get_timer()
        idle = self._idle_deadline
        if timer is None:
            if idle is None:
                return None
            deadline = idle
        else:
            deadline = timer if idle is None else min(timer, idle)
        return max(0.0, deadline - self._clock())

    # --- owner thread: reacting --------------------------------------------------

    def _read(self, now: float) -> None:
        sock = self._sock
        if sock is None:
            return
        try:
            with map_exceptions(_READ_ERRORS):
                try:
                    data = sock.recv(_RECV_SIZE)
                except _WOULD_BLOCK:
                    return
        except ReadError as exc:
            # PS3.8 9.1: a reset connection is the connection closing (Evt17).
            self._log.debug("read failed, treated as closed: %s", exc)
            data = b""
        if self._idle_timeout is not None:
            self._idle_deadline = now + self._idle_timeout
        if data:
            if self._on_received is not None:
                self._guarded(self._on_received, data)
            self._connection.receive_data(data, now)
        else:
            self._transport_closed(now)

    def _run_calls(self) -> None:
        # Calls left once the connection is gone fail in _finish(). Emptiness is
        # read without the lock: a call queued just after this test also wakes
        # the selector, so the next step runs it.
        while self._calls and not self._finished:
            with self._lock:
                if not self._calls:
                    return
                fn, future = self._calls.popleft()
            self._run_call(fn, future)
            self._pump()

    def _run_call(self, fn: Callable[[], T], future: Future[T]) -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            result = fn()
        except Exception as exc:  # noqa: BLE001  (handed to the caller's future)
            future.set_exception(exc)
        else:
            future.set_result(result)

    def _check_deadlines(self, now: float) -> None:
        timer = self._connection.get_timer()
        if timer is not None and now >= timer:
            self._connection.handle_timer(now)  # ARTIM expiry, PS3.8 Evt18
        idle = self._idle_deadline
        if idle is None or now < idle or self._sock is None:
            return
        self._idle_deadline = _deadline(now, self._idle_timeout)
        self._log.debug("no data for %s s", self._idle_timeout)
        if self._on_idle is None:
            self._close_requested = True
        else:
            self._guarded(self._on_idle)

    def _pump(self) -> None:
        """Flush, then dispatch every queued event, flushing after each."""
        self._flush()
        while (event := self._connection.next_event()) is not None:
            if isinstance(event, TransportConnectRequested):
                self._connect()
            elif isinstance(event, TransportCloseRequested):
                # The outbox was flushed above: the A-RELEASE-RP, A-ABORT or
                # A-ASSOCIATE-RJ leaves before the close (PS3.8 AR-3, AA-2 ...).
                self._live = False
                self._close_socket()
                self._finished = True
            self._guarded(self._handle_event, event)
            self._flush()

    def _guarded(self, fn: Callable[..., object], *args: object) -> None:
        """Run user code; an exception is logged and closes the association."""
        try:
            fn(*args)
        except Exception:  # noqa: BLE001  (the handler-dispatch boundary, style 4)
            self._log.exception("event handler raised; closing the association")
            self._close_requested = True

    def _flush(self) -> None:
        # Until the core has nothing more: a data set streamed from a file
        # comes out a batch of PDUs at a time.
        while parts := self._connection.data_to_send_parts():
            if self._sock is None:
                self._log.debug("%d buffers dropped: no connection", len(parts))
                return
            try:
                self._send_parts(self._sock, parts)
            except TransportError as exc:
                self._log.info("write failed, closing: %s", exc)
                self._transport_closed(self._clock())
                return
            if self._on_sent is not None:
                self._guarded(self._on_sent, parts)

    def _send_parts(
        self, sock: socket.socket, parts: Sequence[bytes | memoryview]
    ) -> None:
        """Write ``parts`` in order: gathered with sendmsg, so no payload copy.

        TLS sockets have no sendmsg; there the parts are joined once.
        """
        if len(parts) == 1 or isinstance(sock, ssl.SSLSocket):
            self._send_all(sock, parts[0] if len(parts) == 1 else b"".join(parts))
            return
        if sum(map(len, parts)) <= _JOIN_BELOW:
            # A few small buffers (a command, a response): one copy costs less
            # than the views and gather list sendmsg needs.
            self._send_all(sock, b"".join(parts))
            return
        # The buffers go to sendmsg as they are; only one that went out in
        # part is cut, as a byte view of its unsent tail.
        views: deque[bytes | memoryview] = deque(parts)
        deadline = _deadline(self._clock(), self._idle_timeout)
        with map_exceptions(_WRITE_ERRORS):
            while views:
                try:
                    sent = sock.sendmsg(list(islice(views, _IOV_MAX)))
                except _WOULD_BLOCK:
                    self._wait_ready(sock, selectors.EVENT_WRITE, deadline)
                    continue
                # Drop what went out; keep the unsent tail of a partial buffer.
                while views and sent >= _nbytes(views[0]):
                    sent -= _nbytes(views.popleft())
                if sent:
                    views[0] = memoryview(views[0]).cast("B")[sent:]

    def _send_all(self, sock: socket.socket, data: bytes | memoryview) -> None:
        view = memoryview(data)
        deadline = _deadline(self._clock(), self._idle_timeout)
        with map_exceptions(_WRITE_ERRORS):
            while view:
                try:
                    sent = sock.send(view)
                except _WOULD_BLOCK:
                    self._wait_ready(sock, selectors.EVENT_WRITE, deadline)
                    continue
                view = view[sent:]

    def _transport_closed(self, now: float) -> None:
        """Close our end of a lost connection and tell the core (Evt17)."""
        self._close_socket()
        self._finished = True
        if self._live:
            self._live = False
            try:
                self._connection.receive_data(b"", now)
            except LocalProtocolError:
                self._log.debug("core had already closed the association")

    def _abandon(self, now: float) -> None:
        self._log.debug("closing on request")
        self._transport_closed(now)

    def _close_socket(self) -> None:
        sock, self._sock = self._sock, None
        if sock is None:
            return
        if self._selector is not None:
            # Not registered yet while a requestor is still connecting.
            with suppress(KeyError, ValueError):
                self._selector.unregister(sock)
        sock.close()

    # --- owner thread: opening ---------------------------------------------------

    def _opened(self, sock: socket.socket) -> None:
        """Report the open connection to the core (PS3.8 Evt2 / Evt5)."""
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            # A DIMSE exchange is small messages waiting on each other: Nagle's
            # algorithm would hold each back until the peer's delayed ACK.
            with suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if isinstance(sock, ssl.SSLSocket):
            self.peer_certificate = sock.getpeercert()
        self._sock = sock
        if self._selector is not None:
            self._selector.register(sock, selectors.EVENT_READ)
        now = self._clock()
        self._idle_deadline = _deadline(now, self._idle_timeout)
        self._live = True
        if self._on_connected is not None:
            self._guarded(self._on_connected)
        self._connection.transport_connected(now)

    def _connect(self) -> None:
        """PS3.8 AE-1: open the transport connection the core asked for."""
        options = self._requestor
        self._live = True  # Sta4: the core now waits for Evt2 or Evt17
        try:
            if options is None:
                raise ConnectError("an acceptor cannot open a connection")
            sock = self._open(options)
        except TransportError as exc:
            self._log.info("connection failed: %s", exc)
            self._transport_closed(self._clock())
            return
        self._opened(sock)

    def _open(self, options: _ConnectOptions) -> socket.socket:
        deadline = _deadline(self._clock(), options.timeout)
        with map_exceptions(_CONNECT_ERRORS):
            address: Address
            host, port = options.address[:2]
            family, kind, proto, _name, address = socket.getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )[0]
            if len(options.address) == 4:
                address = tuple(options.address)
            sock = socket.socket(family, kind, proto)
        self._sock = sock  # so that any failure below closes it
        with map_exceptions(_CONNECT_ERRORS):
            sock.setblocking(False)  # noqa: FBT003  (the stdlib signature)
            if options.bind_address is not None:
                sock.bind(options.bind_address)
            code = sock.connect_ex(address)
        if code not in {0, errno.EINPROGRESS}:
            raise ConnectError(f"connect to {address}: errno {code}")
        self._wait_ready(sock, selectors.EVENT_WRITE, deadline, ConnectTimeout)
        code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if code:
            raise ConnectError(f"connect to {address}: errno {code}")
        self.local_address = _short(sock.getsockname())
        self.peer_address = _short(sock.getpeername())
        if options.tls is not None:
            context, hostname = options.tls
            sock = self._tls(sock, context, hostname, deadline, server=False)
        return sock

    def _tls(
        self,
        sock: socket.socket,
        context: ssl.SSLContext,
        hostname: str | None,
        deadline: float | None,
        *,
        server: bool,
    ) -> ssl.SSLSocket:
        """Wrap ``sock`` and complete the handshake without blocking the thread."""
        with map_exceptions(_CONNECT_ERRORS):
            tls = context.wrap_socket(
                sock,
                server_side=server,
                server_hostname=hostname,
                do_handshake_on_connect=False,
            )
        self._sock = tls
        while True:
            with map_exceptions(_CONNECT_ERRORS):
                try:
                    tls.do_handshake()
                except ssl.SSLWantReadError:
                    want = selectors.EVENT_READ
                except ssl.SSLWantWriteError:
                    want = selectors.EVENT_WRITE
                else:
                    return tls
            self._wait_ready(tls, want, deadline, ConnectTimeout)

    def _wait_ready(
        self,
        sock: socket.socket,
        events: int,
        deadline: float | None,
        timeout_error: type[TransportError] = WriteTimeout,
    ) -> None:
        """Block until ``sock`` is ready, the deadline passes, or close() is asked."""
        with selectors.DefaultSelector() as selector:
            selector.register(sock, events)
            if self._worker is not None:
                selector.register(self._worker.wake_r, selectors.EVENT_READ)
            while True:
                if self._close_requested:
                    raise TransportClosedError("closed while waiting on the network")
                wait = None if deadline is None else deadline - self._clock()
                if wait is not None and wait <= 0:
                    raise timeout_error("timed out")
                for key, _mask in selector.select(wait):
                    if key.fileobj is sock:
                        return
                    self._worker.drain()  # type: ignore[union-attr]  # woken: set
