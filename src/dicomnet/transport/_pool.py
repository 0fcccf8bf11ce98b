"""Owner threads for the thread driver, reused from one association to the next.

Starting a thread, a wake-up socketpair and a selector for every accepted
connection cost more CPU than serving a short association (bench
``bench_associations.py``, issue #4 point 10). A :class:`Worker` owns one thread
with its wake-up pair and selector; an association server's
:class:`WorkerPool` hands each accepted connection to an idle worker, or
starts one when none is idle. A worker runs one association at a time (house
style 5: one owner thread per association), then waits for the next one; it
ends after :attr:`WorkerPool.idle_timeout` seconds without work, or at
:meth:`WorkerPool.shutdown`. Nothing here sleeps or polls: idle workers block
on a queue.
"""

from __future__ import annotations

import queue
import selectors
import socket
import threading
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import suppress
from typing import TYPE_CHECKING, Final, Generic, TypeAlias, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["Job", "Latch", "Worker", "WorkerPool"]

Job: TypeAlias = "Callable[[Worker], None]"
"""A unit of work for a worker: one association's driver loop."""

#: Seconds an idle pooled worker waits for the next association before it ends.
IDLE_TIMEOUT: Final = 60.0


class Worker:
    """One owner thread with its wake-up socketpair and selector.

    Parameters
    ----------
    job : callable
        The first job, run on the new thread with this worker.
    pool : WorkerPool, optional
        Where the next jobs come from; without one the thread ends after
        ``job`` (a requestor's, or a driver started outside a server).
    name : str
        The thread's name until a job renames it.
    """

    def __init__(
        self, job: Job, pool: WorkerPool | None = None, *, name: str = "Worker"
    ) -> None:
        self._job: Job | None = job
        self._pool = pool
        self.wake_r, self.wake_w = socket.socketpair()
        self.wake_r.setblocking(False)  # noqa: FBT003  (the stdlib signature)
        self.wake_w.setblocking(False)  # noqa: FBT003  (the stdlib signature)
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.wake_r, selectors.EVENT_READ)
        self.thread = threading.Thread(target=self._main, name=name, daemon=True)
        # Whether a wake-up byte may be unread: reset() skips a recv() (and
        # its BlockingIOError) after most associations.
        self._woken = False

    def wake(self) -> None:
        """Wake the selector (callers serialize: the driver's lock)."""
        self._woken = True
        with suppress(BlockingIOError):  # a full pair already wakes it
            self.wake_w.send(b"\0")

    def drain(self) -> None:
        """Read every wake-up byte waiting (a previous job's stale ones too)."""
        self._woken = False
        try:
            while self.wake_r.recv(4096):
                pass
        except BlockingIOError:
            pass

    def reset(self) -> None:
        """Make the worker ready for its next job: no stale byte or socket."""
        if self._woken:
            self.drain()
        for key in list(self.selector.get_map().values()):
            if key.fileobj is not self.wake_r:
                # A job that left its socket registered (it should not).
                with suppress(KeyError, ValueError):
                    self.selector.unregister(key.fileobj)

    def _main(self) -> None:
        try:
            job = self._job
            self._job = None
            while job is not None:
                job(self)
                job = None if self._pool is None else self._pool.next_job(self)
        finally:
            self.selector.close()
            self.wake_r.close()
            self.wake_w.close()


class WorkerPool:
    """The reusable owner threads of one association server.

    Parameters
    ----------
    idle_timeout : float
        Seconds an idle worker waits for work before its thread ends.
    """

    def __init__(self, idle_timeout: float = IDLE_TIMEOUT) -> None:
        self.idle_timeout = idle_timeout
        self._lock = threading.Lock()
        # Jobs handed to idle workers; ``None`` tells one of them to end.
        self._jobs: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        # Invariant (under the lock): idle workers waiting minus jobs queued.
        self._idle = 0
        self._workers: set[Worker] = set()
        self._closed = False

    def submit(self, job: Job) -> bool:
        """Run ``job`` on an idle worker, or on a new one.

        Returns
        -------
        bool
            ``False`` once the pool is shut down: nothing runs ``job``.
        """
        with self._lock:
            if self._closed:
                return False
            if self._idle > 0:
                self._idle -= 1
                self._jobs.put(job)
                return True
            worker = Worker(job, self)
            self._workers.add(worker)
            # Started under the lock, so shutdown() never joins a thread
            # that is not started yet.
            worker.thread.start()
        return True

    def next_job(self, worker: Worker) -> Job | None:
        """Wait for ``worker``'s next job; ``None``: its thread must end."""
        worker.reset()
        with self._lock:
            if self._closed:
                self._workers.discard(worker)
                return None
            self._idle += 1
        try:
            job = self._jobs.get(timeout=self.idle_timeout)
        except queue.Empty:
            with self._lock:
                # submit() may have counted on this worker just now.
                try:
                    job = self._jobs.get_nowait()
                except queue.Empty:
                    self._idle -= 1
                    job = None
        if job is None:
            with self._lock:
                self._workers.discard(worker)
        return job

    def shutdown(self, timeout: float | None = None) -> None:
        """End every worker: idle ones now, busy ones after their job.

        Returns once their threads ended, or after ``timeout`` seconds each.
        """
        with self._lock:
            self._closed = True
            workers = list(self._workers)
            for _ in range(self._idle):
                self._jobs.put(None)
            self._idle = 0
        current = threading.current_thread()
        for worker in workers:
            if worker.thread is not current:
                worker.thread.join(timeout)


T = TypeVar("T")


class Latch(Generic[T]):
    """A value set once, by the owner thread, that other threads wait for.

    What a :class:`concurrent.futures.Future` gave an association, for a
    tenth of its creation cost (a lock, no condition): two per association.
    """

    __slots__ = ("_lock", "_set", "_value")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lock.acquire()  # released once the value is set
        self._set = False
        self._value: T | None = None

    def done(self) -> bool:
        """Return whether the value is set."""
        return self._set

    def set_result(self, value: T) -> None:
        """Set the value (once) and wake every waiter."""
        # One writer only: the owner thread.
        self._value, self._set = value, True
        self._lock.release()

    def result(self, timeout: float | None = None) -> T:
        """Wait for the value; :class:`FutureTimeout` after ``timeout`` s."""
        if not self._set:
            if not self._lock.acquire(timeout=-1 if timeout is None else timeout):
                raise FutureTimeout
            self._lock.release()
        return self._value  # type: ignore[return-value]  # set: a T (None is one for Latch[None])
