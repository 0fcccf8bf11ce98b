"""One association server in several processes: a pre-forked listening socket.

A Python server runs its associations on threads, and the GIL keeps them on
one core. ``AE.start_server(..., processes=N)`` binds and listens once, then
forks ``N - 1`` worker children that inherit the listening socket, the AE and
its handlers; every process, the parent included, runs the same accept loop
and serves the connections it accepts on threads of its own (the model of
gunicorn's workers or ``storescp --fork``, without a fork per association).

This module is the only code of dicomnet that forks or signals. Its rules:

- Fork *before* any thread exists. ``os.fork()`` copies only the calling
  thread; a lock held by another thread at that moment (logging, an import, a
  driver's queue) would stay locked forever in the child. So the children are
  forked once, before the parent's accept loop, and a child that dies is not
  replaced: by then the parent runs association threads and forking it again
  is exactly what the rule forbids. The parent logs the child's exit status
  and serves on with the others.
- Every process accepts with a non-blocking ``accept()`` on the shared socket.
  A new connection wakes every process; one gets it, the others get EAGAIN and
  go back to waiting (``AssociationServer._accept_one``).
- A child stops on SIGTERM or SIGINT (the terminal sends Ctrl-C to the whole
  process group): it stops accepting, ends its associations as
  ``server.shutdown()`` does and leaves with ``os._exit``, so that none of the
  parent's ``atexit`` functions or a test runner's machinery run twice.
- A child notices a parent that died without cleaning up (SIGKILL): the parent
  alone holds the write end of a pipe whose read end every child watches in
  its accept loop; end of file there means the parent is gone.
- The parent learns of a child's exit the same way, from a pipe per child
  whose write end only that child holds, so it never polls or sleeps; it
  reaps every child before ``start_server`` returns (no zombies).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import select
import signal
import sys
import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator
    from types import FrameType

    from dicomnet.transport.server import AssociationServer

__all__ = ["serve_preforked"]

_LOGGER = logging.getLogger(__name__)
_LOGGER.addHandler(logging.NullHandler())

#: Seconds the parent waits for its children beyond the server's
#: ``association_join_timeout`` (a child joins its associations for that long)
#: before it kills the ones still running with SIGKILL.
STOP_MARGIN = 5.0
#: The wait when ``association_join_timeout`` is ``None`` (unbounded there).
_DEFAULT_JOIN = 30.0


def serve_preforked(server: AssociationServer, processes: int) -> None:
    """Serve ``server`` from this process and ``processes - 1`` forked children.

    ``server`` must be bound and listening, and no thread may run its accept
    loop yet. Returns, in the parent only, once the accept loop has stopped
    (``server.shutdown()`` from another thread, SIGTERM or SIGINT), the
    parent's associations have ended and every child has been reaped.

    Parameters
    ----------
    server : AssociationServer
        The listening server; the children inherit it through ``os.fork()``.
    processes : int
        The number of serving processes, the parent included; at least 2.
    """
    supervisor = _Supervisor(server)
    try:
        for _ in range(processes - 1):
            supervisor.fork_worker()
    except BaseException:
        supervisor.stop()
        raise
    # After the forks: the children must not inherit these handlers.
    with _graceful_stop(server):
        try:
            supervisor.serve()
        finally:
            supervisor.stop()


class _Supervisor:
    """The parent's side: its children, their exit pipes, and stopping them."""

    def __init__(self, server: AssociationServer) -> None:
        self.server = server
        #: pid -> read end of the pipe whose write end only that child holds.
        self.children: dict[int, int] = {}
        # The children watch the read end; EOF there tells them we are gone.
        self._alive_r, self._alive_w = os.pipe()
        self._stopped = False

    def fork_worker(self) -> None:
        """Fork one child that serves until told to stop; it never returns."""
        exit_r, exit_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child
            code = 1
            try:
                # Keep only our own ends: the parent's write end would hide
                # the parent's death, the siblings' read ends are not ours.
                for fd in (self._alive_w, exit_r, *self.children.values()):
                    os.close(fd)
                code = _serve_child(self.server, self._alive_r)
            except BaseException:
                _LOGGER.exception("worker process %d failed", os.getpid())
            finally:
                _flush_std_streams()
                # Never return into the caller's stack (its finally blocks,
                # atexit functions, a test runner) from a child.
                os._exit(code)
        os.close(exit_w)
        self.children[pid] = exit_r

    def serve(self) -> None:
        """Run the parent's accept loop, watching for children that exit."""
        for pid, fd in self.children.items():
            self.server.watch(fd, functools.partial(self._child_ended, pid))
        pids = ", ".join(str(pid) for pid in [os.getpid(), *self.children])
        _LOGGER.info(
            "serving %s from %d processes: %s",
            self.server.server_address,
            len(self.children) + 1,
            pids,
        )
        self.server.serve_forever()

    def _child_ended(self, pid: int) -> bool:
        """Reap and log a child whose exit pipe closed: it has exited."""
        status = self._reap(pid)
        # Exit status 0 is a clean stop (SIGTERM, SIGINT, parent gone);
        # anything else is a crash.
        level = logging.INFO if status == 0 else logging.ERROR
        _LOGGER.log(
            level,
            "worker process %d ended (%s); it is not replaced",
            pid,
            _describe(status),
        )
        return False

    def _reap(self, pid: int) -> int | None:
        """Close the child's pipe and wait for it; return its exit code."""
        os.close(self.children.pop(pid))
        try:
            # The pipe closes as the child exits: this wait is short.
            _, status = os.waitpid(pid, 0)
        except ChildProcessError:  # reaped by someone else (SIGCHLD ignored)
            return None
        return os.waitstatus_to_exitcode(status)

    def stop(self) -> None:
        """Stop the children and our own associations; reap every child.

        SIGTERM to each child, then our own ``server.shutdown()`` meanwhile,
        then a bounded wait for the children, SIGKILL to those still there.
        Idempotent.
        """
        if self._stopped:
            return
        self._stopped = True
        for pid in self.children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        join = self.server.association_join_timeout
        deadline = time.monotonic() + (join or _DEFAULT_JOIN) + STOP_MARGIN
        self.server.shutdown()
        self._wait_children(deadline)
        for pid in self.children:
            _LOGGER.warning("worker process %d did not stop in time: killed", pid)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self._wait_children(None)
        os.close(self._alive_w)
        os.close(self._alive_r)

    def _wait_children(self, deadline: float | None) -> None:
        """Reap the children whose pipes close before ``deadline`` (None: all)."""
        while self.children:
            timeout = None if deadline is None else deadline - time.monotonic()
            if timeout is not None and timeout <= 0:
                return
            ready, _, _ = select.select(list(self.children.values()), [], [], timeout)
            ended = [pid for pid, fd in self.children.items() if fd in ready]
            for pid in ended:
                status = self._reap(pid)
                _LOGGER.debug("worker process %d stopped (%s)", pid, _describe(status))


def _serve_child(server: AssociationServer, alive_r: int) -> int:
    """Serve in a forked child until SIGTERM/SIGINT or the parent's death."""
    server.after_fork()

    def stop(signum: int, frame: FrameType | None) -> None:
        del signum, frame
        server.request_stop()

    # The child's only thread is its main thread now: it may set handlers.
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    def parent_gone() -> bool:
        # The parent never writes: readable means end of file.
        with contextlib.suppress(OSError):
            os.read(alive_r, 1)
        _LOGGER.warning("worker process %d: the parent has gone", os.getpid())
        server.request_stop()
        return False

    server.watch(alive_r, parent_gone)
    server.serve_forever()
    server.shutdown()
    return 0


@contextlib.contextmanager
def _graceful_stop(server: AssociationServer) -> Iterator[None]:
    """Make SIGTERM and SIGINT stop the parent's accept loop, while serving.

    Only on the main thread (Python runs signal handlers there and nowhere
    else), and only where the default handler is set: a user's own handler is
    left alone. Elsewhere SIGTERM kills the parent outright and the children
    stop when they see its pipe close.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: FrameType | None) -> None:
        del signum, frame
        server.request_stop()

    previous = {}
    for signum, default in (
        (signal.SIGTERM, signal.SIG_DFL),
        (signal.SIGINT, signal.default_int_handler),
    ):
        if signal.getsignal(signum) is default:
            previous[signum] = signal.signal(signum, stop)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _describe(code: int | None) -> str:
    """Words for an exit code from ``os.waitstatus_to_exitcode``."""
    if code is None:
        return "exit status unknown"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:  # a real-time signal has no name
            name = f"signal {-code}"
        return f"killed by {name}"
    return f"exit status {code}"


def _flush_std_streams() -> None:
    # os._exit() skips the interpreter's flush of buffered output.
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            if stream is not None:
                stream.flush()
