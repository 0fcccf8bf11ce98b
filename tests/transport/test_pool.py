"""The reusable owner threads of an association server (transport/_pool.py)."""

from __future__ import annotations

import queue
import socket
import threading
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

import pytest

from dicomnet.errors import TransportClosedError
from dicomnet.transport._pool import Latch, Worker, WorkerPool
from dicomnet.transport.server import AssociationServer
from dicomnet.transport.sync import AssociationDriver
from dicomnet.ul.connection import Role, ULConfig, UpperLayer

from .peers import TIMEOUT, FakeAE, Requestor, joined, policy, serve


def _recording_job(seen: queue.Queue[Worker]) -> Any:
    def job(worker: Worker) -> None:
        seen.put(worker)

    return job


def test_sequential_jobs_reuse_one_thread() -> None:
    pool = WorkerPool()
    jobs = _watched(pool)
    seen: queue.Queue[Worker] = queue.Queue()
    try:
        assert pool.submit(_recording_job(seen))
        first = seen.get(timeout=TIMEOUT)
        # The first job returned; its worker goes idle and takes the next one.
        done = threading.Event()
        threads: list[threading.Thread] = []

        def second(worker: Worker) -> None:
            threads.append(threading.current_thread())
            seen.put(worker)
            done.set()

        # Until the worker counts itself idle, a second thread may start:
        # submit again only once the pool has an idle worker.
        _wait_idle(jobs)
        assert pool.submit(second)
        assert done.wait(TIMEOUT)
        assert seen.get(timeout=TIMEOUT) is first
        assert threads == [first.thread]
    finally:
        pool.shutdown(TIMEOUT)
    assert not first.thread.is_alive()


class _Jobs(queue.Queue[Any]):
    """The pool's job queue, telling when a worker starts waiting on it."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting = threading.Semaphore(0)

    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        if block:
            self.waiting.release()  # the worker counted itself idle already
        return super().get(block, timeout)


def _watched(pool: WorkerPool) -> _Jobs:
    jobs = _Jobs()
    pool._jobs = jobs  # type: ignore[assignment]  # same get/put API
    return jobs


def _wait_idle(jobs: _Jobs) -> None:
    assert jobs.waiting.acquire(timeout=TIMEOUT)


def test_stale_wake_up_bytes_are_drained_between_jobs() -> None:
    pool = WorkerPool()
    jobs = _watched(pool)
    left: queue.Queue[bytes] = queue.Queue()
    worker_q: queue.Queue[Worker] = queue.Queue()

    def noisy(worker: Worker) -> None:
        worker.wake()  # a wake-up nobody read
        worker.wake()
        worker_q.put(worker)

    def quiet(worker: Worker) -> None:
        try:
            left.put(worker.wake_r.recv(16))
        except BlockingIOError:
            left.put(b"")

    try:
        assert pool.submit(noisy)
        worker = worker_q.get(timeout=TIMEOUT)
        _wait_idle(jobs)
        assert pool.submit(quiet)
        assert left.get(timeout=TIMEOUT) == b""
        # Only the wake-up socket stays registered on the reused selector.
        assert [k.fileobj for k in worker.selector.get_map().values()] == [
            worker.wake_r
        ]
    finally:
        pool.shutdown(TIMEOUT)


def test_idle_worker_ends_after_the_idle_timeout() -> None:
    pool = WorkerPool(idle_timeout=0.01)
    seen: queue.Queue[Worker] = queue.Queue()
    assert pool.submit(_recording_job(seen))
    worker = seen.get(timeout=TIMEOUT)
    worker.thread.join(TIMEOUT)
    assert not worker.thread.is_alive()
    assert worker.wake_r.fileno() == -1  # its pair closed with it
    pool.shutdown(TIMEOUT)


def test_shutdown_ends_idle_and_busy_workers_then_refuses_jobs() -> None:
    pool = WorkerPool()
    release = threading.Event()
    busy_started = threading.Event()
    seen: queue.Queue[Worker] = queue.Queue()

    def busy(worker: Worker) -> None:
        seen.put(worker)
        busy_started.set()
        release.wait(TIMEOUT)

    assert pool.submit(busy)
    assert busy_started.wait(TIMEOUT)
    assert pool.submit(_recording_job(seen))  # a second, new thread
    workers = [seen.get(timeout=TIMEOUT), seen.get(timeout=TIMEOUT)]
    assert workers[0] is not workers[1]
    stopper = threading.Thread(target=pool.shutdown, args=(TIMEOUT,))
    stopper.start()
    release.set()  # the busy worker ends after its job
    stopper.join(TIMEOUT)
    assert not stopper.is_alive()
    assert not any(w.thread.is_alive() for w in workers)
    assert pool.submit(_recording_job(seen)) is False


class PooledAE(FakeAE):
    """A FakeAE whose drivers run on the server's pooled threads."""

    def _new_acceptor(
        self, server: AssociationServer, sock: socket.socket, client_address: Any
    ) -> AssociationDriver:
        del client_address
        ul = UpperLayer(Role.ACCEPTOR, ULConfig(artim_timeout=self.artim_timeout))
        handler = self.handler_factory(ul, policy(server.ae_title))
        driver = AssociationDriver(ul, handler, name="AcceptorThread@pooled")
        driver.start_acceptor(sock, pool=server.acceptor_pool)
        self.started.put((driver, handler))
        return driver


def test_pooled_drivers_share_a_thread_and_shutdown_ends_it() -> None:
    count = 3
    baseline = set(threading.enumerate())
    ae = PooledAE()
    server = serve(ae)
    jobs = _watched(server.acceptor_pool)
    acceptors = []
    try:
        for _ in range(count):
            requestor = Requestor()
            requestor.establish(server.server_address)
            assert requestor.echo() == 0x0000
            requestor.release()
            acceptor, handler = ae.next_acceptor()
            assert joined(acceptor)  # the association ended, its thread goes on
            assert acceptor.thread is not None
            assert handler.threads == {acceptor.thread.ident}
            acceptors.append(acceptor)
            _wait_idle(jobs)
        assert len({a.thread for a in acceptors}) == 1
        assert acceptors[0].thread is not None
        assert acceptors[0].thread.is_alive()
        # An ended driver takes no more calls, even from its former thread.
        assert not acceptors[0].on_owner_thread()
        with pytest.raises(TransportClosedError):
            acceptors[0].call(lambda: None).result(TIMEOUT)
        assert server.active_associations == []
    finally:
        server.shutdown()
    assert set(threading.enumerate()) == baseline


def test_latch_wakes_every_waiter_and_times_out_before_it_is_set() -> None:
    latch: Latch[int] = Latch()
    with pytest.raises(FutureTimeout):
        latch.result(0)
    got: queue.Queue[int] = queue.Queue()
    waiters = [
        threading.Thread(target=lambda: got.put(latch.result(TIMEOUT)))
        for _ in range(3)
    ]
    for waiter in waiters:
        waiter.start()
    assert not latch.done()
    latch.set_result(7)
    assert latch.done()
    assert [got.get(timeout=TIMEOUT) for _ in waiters] == [7, 7, 7]
    for waiter in waiters:
        waiter.join(TIMEOUT)
    assert latch.result() == 7


def test_a_pooled_driver_cannot_join_itself() -> None:
    ae = PooledAE()
    server = serve(ae)
    try:
        requestor = Requestor()
        requestor.establish(server.server_address)
        acceptor, _handler = ae.next_acceptor()
        # From its owner thread, as Thread.join() refuses to wait for itself.
        with pytest.raises(RuntimeError, match="current thread"):
            acceptor.call(acceptor.join).result(TIMEOUT)
        requestor.release()
        assert joined(acceptor)
    finally:
        server.shutdown()
