"""The association servers: accept TCP connections, hand each to the API ring.

:class:`AssociationServer` keeps the surface of :class:`socketserver.TCPServer`
that pynetdicom users rely on (``server_address``, ``socket``,
``serve_forever``, ``shutdown``, ``server_close``), but its accept loop blocks on
a selector watching the listening socket and a wake-up socketpair, so that
``shutdown()`` returns at once instead of after a polling interval.

The server knows nothing of associations beyond one hook on the AE:
``ae._new_acceptor(server, sock, client_address)`` builds and starts whatever
drives the new connection (an :class:`~dicomnet.transport.sync.AssociationDriver`
inside an ``Association``) and returns it; the server only tracks it, so that
``shutdown()`` can end it and ``active_associations`` can list it.
"""

from __future__ import annotations

import logging
import selectors
import socket
import socketserver
import threading
from contextlib import suppress
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from dicomnet.transport._pool import WorkerPool

if TYPE_CHECKING:
    import ssl
    from collections.abc import Callable, Sequence

__all__ = [
    "AcceptorFactory",
    "AcceptorHandle",
    "AssociationServer",
    "ThreadedAssociationServer",
]

_LOGGER = logging.getLogger(__name__)
_LOGGER.addHandler(logging.NullHandler())

Address = tuple[Any, ...]
"""A socket address: ``(host, port)`` or the IPv6 ``(host, port, flow, scope)``."""


class AcceptorHandle(Protocol):
    """What the server needs of the object driving one accepted connection."""

    def close(self) -> None:
        """End the association and its connection, from any thread."""

    def join(self, timeout: float | None = None) -> None:
        """Wait for the association's thread to end."""

    def is_alive(self) -> bool:
        """Return whether the association's thread is still running."""
        ...


class AcceptorFactory(Protocol):
    """The AE as the server sees it: one hook per accepted connection."""

    def _new_acceptor(
        self,
        server: AssociationServer,
        sock: socket.socket,
        client_address: Address,
    ) -> AcceptorHandle:
        """Create and start the acceptor association for ``sock``."""
        ...


def _address_family(address: tuple[Any, ...]) -> socket.AddressFamily:
    """AF_INET6 for an IPv6 literal or a 4-tuple address, else AF_INET."""
    if len(address) == 4 or ":" in str(address[0]):
        return socket.AF_INET6
    return socket.AF_INET


class AssociationServer(socketserver.TCPServer):
    """Listen for association requests and start an acceptor per connection.

    Parameters
    ----------
    ae : AcceptorFactory
        The application entity; its ``_new_acceptor`` hook is called, on the
        serving thread, for every accepted connection.
    address : tuple
        ``(host, port)`` or the IPv6 ``(host, port, flowinfo, scope_id)``;
        ``""`` means every interface and port 0 an ephemeral port (read the
        real one from :attr:`server_address`).
    ae_title : str
        The AE title this server answers to.
    contexts : sequence of PresentationContext
        The presentation contexts this server supports.
    ssl_context : ssl.SSLContext, optional
        Accepted sockets are wrapped in TLS with it (on the association's
        thread, never in the accept loop).
    evt_handlers : list, optional
        ``(event, handler[, args])`` items, kept for the API ring.
    request_handler : type, optional
        Accepted for pynetdicom compatibility; connections always go through
        ``ae._new_acceptor``.

    Raises
    ------
    OSError
        The address could not be bound (for instance: already in use).
    """

    allow_reuse_address = True
    #: The listen backlog. socketserver's 5 drops connection requests in a
    #: burst (the client retries after ~1 s, long enough for ARTIM to expire
    #: on the idle ones already accepted); 128 matches common server defaults.
    request_queue_size = 128
    #: Seconds :meth:`shutdown` waits for each association's thread.
    association_join_timeout: float | None = 30.0

    def __init__(  # noqa: PLR0913, PLR0917  (pynetdicom's signature)
        self,
        ae: AcceptorFactory,
        address: tuple[Any, ...],
        ae_title: str,
        contexts: Sequence[Any],
        ssl_context: ssl.SSLContext | None = None,
        evt_handlers: Sequence[Any] | None = None,
        request_handler: type[socketserver.BaseRequestHandler] | None = None,
    ) -> None:
        self.ae = ae
        self.ae_title = ae_title
        self.contexts = contexts
        self.ssl_context = ssl_context
        self.evt_handlers = list(evt_handlers or [])
        self.address_family = _address_family(address)
        self._server_lock = threading.Lock()
        self._associations: list[AcceptorHandle] = []
        self._stop_requested = False
        self._loop_done = threading.Event()
        self._loop_done.set()
        self._serve_ident: int | None = None
        self._watched: dict[int, Callable[[], bool]] = {}
        self._wake_r, self._wake_w = _wake_pair()
        #: The associations' owner threads, reused from one to the next.
        self.acceptor_pool = WorkerPool()
        handler = request_handler or socketserver.BaseRequestHandler
        # On a bind failure TCPServer calls server_close(), which releases the
        # wake-up pair too, and re-raises.
        super().__init__(address, handler, bind_and_activate=True)

    # --- handler bindings (pynetdicom's server.bind/unbind) ----------------------
    # The registry is the API ring's (``dicomnet.events.HandlerRegistry``), set
    # by the AE: the driver ring keeps it opaque and never imports events.

    #: The server's handler registry; new associations get a copy of it.
    handlers: Any = None

    def bind(self, event: Any, handler: Any, args: Sequence[Any] | None = None) -> None:  # noqa: ANN401
        """Bind ``handler`` to ``event`` here and on every running association."""
        self.handlers.bind(event, handler, args)
        for association in self.active_associations:
            association.bind(event, handler, args)  # type: ignore[attr-defined]  # the API ring's Association

    def unbind(self, event: Any, handler: Any) -> None:  # noqa: ANN401
        """Unbind ``handler`` from ``event`` here and on every running association."""
        self.handlers.unbind(event, handler)
        for association in self.active_associations:
            association.unbind(event, handler)  # type: ignore[attr-defined]  # the API ring's Association

    def get_handlers(self, event: Any) -> Any:  # noqa: ANN401
        """Return the server's handlers for ``event`` (pynetdicom's shapes)."""
        return self.handlers.get_handlers(event)

    def get_events(self) -> list[Any]:
        """Return the events with handlers bound on this server."""
        return list(self.handlers.get_events())

    def server_activate(self) -> None:
        """Listen, with a non-blocking socket.

        A connection reset between readiness and ``accept()`` must not block
        the loop, which it would on Linux with a blocking socket.
        """
        super().server_activate()
        self.socket.setblocking(False)  # noqa: FBT003  (the stdlib signature)

    @property
    def active_associations(self) -> list[AcceptorHandle]:
        """The associations this server started that are still running."""
        with self._server_lock:
            self._associations = [a for a in self._associations if a.is_alive()]
            return list(self._associations)

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        """Accept connections until :meth:`shutdown` is called.

        Parameters
        ----------
        poll_interval : float
            Ignored: the loop blocks until a connection or ``shutdown()``
            arrives, so there is nothing to poll. Kept for compatibility.
        """
        del poll_interval
        with self._server_lock:
            if self._stop_requested:
                return
            self._loop_done.clear()
            self._serve_ident = threading.get_ident()
        try:
            with selectors.DefaultSelector() as selector:
                selector.register(self.socket, selectors.EVENT_READ)
                selector.register(self._wake_r, selectors.EVENT_READ)
                for fd, callback in self._watched.items():
                    selector.register(fd, selectors.EVENT_READ, callback)
                while not self._stop_requested:
                    for key, _mask in selector.select():
                        if key.fileobj is self.socket and not self._stop_requested:
                            self._accept_one()
                        elif key.data is not None and not key.data():
                            selector.unregister(key.fileobj)
                    self.service_actions()
        finally:
            self._serve_ident = None
            self._loop_done.set()

    def watch(self, fd: int, callback: Callable[[], bool]) -> None:
        """Call ``callback`` on the serving thread whenever ``fd`` is readable.

        For a supervisor sharing the accept loop (the pre-forked servers of
        :mod:`dicomnet.transport._prefork` watch their pipes here). Register
        before :meth:`serve_forever` starts; ``callback`` returns ``False`` to
        stop watching ``fd``.

        Parameters
        ----------
        fd : int
            A file descriptor that the callback reads.
        callback : callable
            Called without arguments; returns whether to keep watching.
        """
        self._watched[fd] = callback

    def request_stop(self) -> None:
        """Make the accept loop return, without waiting for it: signal-safe.

        Unlike :meth:`shutdown` it takes no lock and joins nothing, so a
        signal handler running on the serving thread itself may call it; the
        associations and the listening socket are left to :meth:`shutdown`.
        """
        self._stop_requested = True
        with suppress(BlockingIOError, OSError):
            self._wake_w.send(b"\0")

    def after_fork(self) -> None:
        """Take the server over in a forked child, before it serves.

        The wake-up pair is the parent's too: a wake-up byte the parent sent
        would stay unread in the shared pair and make every process's loop
        spin. The child gets a pair of its own; the listening socket stays
        shared, which is the point of forking.
        """
        old = (self._wake_r, self._wake_w)
        self._wake_r, self._wake_w = _wake_pair()
        for sock in old:
            sock.close()
        self._associations = []
        self._watched = {}
        # The parent's pooled threads do not exist here.
        self.acceptor_pool = WorkerPool()

    def _accept_one(self) -> None:
        try:
            request, client_address = self.get_request()
        except OSError:
            # Nothing to accept after all: reset before accept, another
            # process of a pre-forked server took the connection (EAGAIN on
            # the shared non-blocking socket), or no file descriptors left.
            # The loop goes on either way.
            return
        if not self.verify_request(request, client_address):
            self.shutdown_request(request)
            return
        try:
            self.process_request(request, client_address)
        except Exception:  # noqa: BLE001  (the hook is a dispatch boundary, style 4)
            self.handle_error(request, client_address)
            self.shutdown_request(request)

    def process_request(  # type: ignore[override]  # a socket, not socketserver's Any
        self, request: socket.socket, client_address: Address
    ) -> None:
        """Hand an accepted connection to the AE's acceptor hook and track it."""
        _LOGGER.debug("connection from %s", client_address)
        handle = self.ae._new_acceptor(self, request, client_address)  # noqa: SLF001  (the API ring's hook)
        with self._server_lock:
            self._associations = [a for a in self._associations if a.is_alive()]
            self._associations.append(handle)

    def handle_error(  # type: ignore[override]  # a socket, not socketserver's Any
        self, request: socket.socket, client_address: Address
    ) -> None:
        """Log a failure to start an association; the server keeps serving."""
        del request
        # socketserver calls handle_error inside its except block: the
        # exception being handled is the hook's.
        _LOGGER.error(
            "could not start an association for %s",
            client_address,
            exc_info=True,  # noqa: LOG014  (see above)
        )

    def shutdown(self) -> None:
        """Stop serving, close the listening socket and end every association.

        Returns once the accept loop and the associations' threads have ended.
        Safe from any thread but the serving one, and idempotent.

        Raises
        ------
        RuntimeError
            Called from the thread running :meth:`serve_forever`, which would
            wait for itself.
        """
        if self._serve_ident == threading.get_ident():
            raise RuntimeError("shutdown() called from the serve_forever() thread")
        with self._server_lock:
            self._stop_requested = True
            self._wake()
        self._loop_done.wait()
        self.server_close()
        with self._server_lock:
            associations, self._associations = self._associations, []
        for association in associations:
            association.close()
        for association in associations:
            association.join(self.association_join_timeout)
            if association.is_alive():
                _LOGGER.warning("%r did not end in time", association)
        self.acceptor_pool.shutdown(self.association_join_timeout)

    def server_close(self) -> None:
        """Close the listening socket and the wake-up pair (idempotent)."""
        super().server_close()
        with self._server_lock:
            self._wake_r.close()
            self._wake_w.close()

    def _wake(self) -> None:
        # Caller holds the lock; a closed pair means the loop cannot run.
        with suppress(BlockingIOError, OSError):
            self._wake_w.send(b"\0")


def _wake_pair() -> tuple[socket.socket, socket.socket]:
    """Return a non-blocking socketpair that wakes the accept loop's selector."""
    wake_r, wake_w = socket.socketpair()
    wake_r.setblocking(False)  # noqa: FBT003  (the stdlib signature)
    wake_w.setblocking(False)  # noqa: FBT003  (the stdlib signature)
    return wake_r, wake_w


class ThreadedAssociationServer(AssociationServer):
    """An :class:`AssociationServer` that serves from its own daemon thread.

    This is what ``AE.start_server(..., block=False)`` returns. Each
    association already runs on its own thread (started by the AE's hook), so
    unlike :class:`socketserver.ThreadingMixIn` no thread is made per request.
    """

    daemon_threads = True

    #: The serving thread, once :meth:`start` ran.
    thread: threading.Thread | None = None

    def start(self) -> threading.Thread:
        """Run :meth:`serve_forever` in a daemon thread ``AcceptorServer@<time>``."""
        stamp = datetime.now().astimezone().strftime("%Y%m%d%H%M%S")
        self.thread = threading.Thread(
            target=self.serve_forever, name=f"AcceptorServer@{stamp}", daemon=True
        )
        self.thread.start()
        return self.thread

    def shutdown(self) -> None:
        """Stop serving and end every association, then join the serving thread."""
        super().shutdown()
        if self.thread is not None:
            self.thread.join()
