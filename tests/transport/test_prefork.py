"""``AE.start_server(..., processes=N)``: one AE served by pre-forked processes.

The server runs in its own process (``_prefork_server.py``): forking the
pytest process, which runs threads, would be unsafe. The tests read its
reports from a pipe and wait on them, on process exits (pidfds) and on
threads, each with a timeout; nothing sleeps.
"""

from __future__ import annotations

import contextlib
import os
import queue
import select
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from dicomnet import AE
from dicomnet.sop_class import CTImageStorage, Verification
from dicomnet.transport.server import AssociationServer
from tests.services.test_storage import ct_dataset

from .peers import FakeAE

SCRIPT = Path(__file__).with_name("_prefork_server.py")
TIMEOUT = 20.0

pytestmark = pytest.mark.skipif(
    not hasattr(os, "pidfd_open"), reason="Linux: waits on pidfds"
)


class PreforkServer:
    """The server program, its report lines and its processes' pids."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(SCRIPT), *args],
            stdout=subprocess.PIPE,
            text=True,
        )
        self.lines: list[list[str]] = []
        self._queue: queue.Queue[list[str] | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        ready = self.expect("ready")
        self.port = int(ready[1])
        self.parent = int(ready[2])
        self.children = [int(pid) for pid in ready[3:]]
        assert self.parent == self.process.pid

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._queue.put(line.split())
        self._queue.put(None)

    def _next(self, deadline: float, what: object) -> list[str]:
        try:
            line = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise AssertionError(f"no {what} in {self.lines}") from None
        if line is None:
            raise AssertionError(f"no {what} before the end: {self.lines}")
        self.lines.append(line)
        return line

    def expect(self, *words: str, timeout: float = TIMEOUT) -> list[str]:
        """Return the next report line that starts with ``words``."""
        deadline = time.monotonic() + timeout
        while True:
            line = self._next(deadline, words)
            if tuple(line[: len(words)]) == words:
                return line

    def until(self, done: Callable[[], bool], timeout: float = TIMEOUT) -> None:
        """Read report lines until ``done()``."""
        deadline = time.monotonic() + timeout
        while not done():
            self._next(deadline, done)

    def served(self, kind: str) -> dict[int, int]:
        """The ``kind`` reports so far: peer port -> serving pid."""
        return {int(w[2]): int(w[1]) for w in self.lines if w[0] == kind}

    def finish(self, timeout: float = TIMEOUT) -> int:
        """Wait for the program to exit; read its last lines; its exit code."""
        code = self.process.wait(timeout)
        self._reader.join(timeout)
        while (line := self._queue.get_nowait()) is not None:
            self.lines.append(line)
        return code

    def kill(self) -> None:
        for pid in (self.parent, *self.children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process.wait(TIMEOUT)
        if self.process.stdout is not None:
            self.process.stdout.close()


@pytest.fixture
def start() -> Iterator[type[PreforkServer]]:
    started: list[PreforkServer] = []

    class Started(PreforkServer):
        def __init__(self, *args: str) -> None:
            started.append(self)
            super().__init__(*args)

    yield Started
    for server in started:
        server.kill()


def gone(pid: int, timeout: float = TIMEOUT) -> bool:
    """Whether ``pid`` exits (or has exited) within ``timeout``: a pidfd wait."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        readable, _, _ = select.select([fd], [], [], timeout)
        return bool(readable)
    finally:
        os.close(fd)


def scu(title: str = "SCU") -> AE:
    ae = AE(title)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 10.0
    ae.add_requested_context(Verification)
    ae.add_requested_context(CTImageStorage)
    return ae


def establish(ae: AE, port: int, attempts: int = 200) -> Any:
    """Associate, again after each rejection (a process at its maximum)."""
    for _ in range(attempts):
        assoc = ae.associate("127.0.0.1", port, ae_title="PREFORK")
        if assoc.is_established:
            return assoc
        assert assoc.is_rejected
    raise AssertionError(f"not established in {attempts} attempts")


# -- the arguments -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"processes": 0}, ValueError),
        ({"processes": -2}, ValueError),
        ({"processes": 2, "block": False}, ValueError),
        ({"processes": 1.5}, TypeError),
        ({"processes": True}, TypeError),
    ],
)
def test_processes_is_checked_before_binding(
    kwargs: dict[str, Any], error: type[Exception]
) -> None:
    ae = AE("SCP")
    ae.add_supported_context(Verification)
    with pytest.raises(error, match="processes"):
        ae.start_server(("127.0.0.1", 0), **kwargs)
    assert ae._servers == []  # nothing was bound


def test_processes_requires_fork(monkeypatch: pytest.MonkeyPatch) -> None:
    ae = AE("SCP")
    ae.add_supported_context(Verification)
    monkeypatch.delattr(os, "fork")
    with pytest.raises(ValueError, match="POSIX"):
        ae.start_server(("127.0.0.1", 0), processes=2)


# -- what the server offers the pre-forked processes (no fork here) -----------------


def test_request_stop_and_watch_drive_the_accept_loop() -> None:
    server = AssociationServer(FakeAE(), ("127.0.0.1", 0), "SCP", [])
    read_end, write_end = os.pipe()
    calls: queue.Queue[bytes] = queue.Queue()

    def readable() -> bool:
        data = os.read(read_end, 1)
        calls.put(data)
        if not data:
            server.request_stop()  # from the serving thread itself
        return bool(data)  # stop watching at end of file

    server.watch(read_end, readable)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    try:
        os.write(write_end, b"x")
        assert calls.get(timeout=TIMEOUT) == b"x"
        os.close(write_end)
        assert calls.get(timeout=TIMEOUT) == b""
        thread.join(TIMEOUT)
        assert not thread.is_alive()
    finally:
        server.shutdown()
        os.close(read_end)
    assert calls.empty()


def test_after_fork_gives_the_server_a_wake_up_pair_of_its_own() -> None:
    # A forked child must not share the parent's wake-up pair: a byte the
    # parent sends would stay unread there and make the child's loop spin.
    server = AssociationServer(FakeAE(), ("127.0.0.1", 0), "SCP", [])
    try:
        server.watch(0, lambda: True)
        inherited = (server._wake_r, server._wake_w)
        server.after_fork()
        assert all(sock.fileno() == -1 for sock in inherited)  # closed
        assert server._wake_r not in inherited
        assert server._watched == {}
        server.request_stop()
        server.serve_forever()  # returns at once: stop was requested
    finally:
        server.shutdown()


# -- serving ------------------------------------------------------------------------


def test_simultaneous_scus_are_served_by_every_process(
    start: type[PreforkServer],
) -> None:
    # Each process takes at most 5 associations (maximum_associations counts
    # per process), and all 10 are held open together: both processes must
    # serve 5, whatever the order the kernel wakes them in.
    server = start("--processes", "2", "--max-associations", "5")
    barrier = threading.Barrier(10, timeout=TIMEOUT * 3)
    results: queue.Queue[tuple[int, int, int] | BaseException] = queue.Queue()

    def one_scu() -> None:
        try:
            assoc = establish(scu(), server.port)
            echo = assoc.send_c_echo()
            stored = assoc.send_c_store(ct_dataset())
            port = assoc.requestor.port
            barrier.wait()
            assoc.release()
            results.put((port, echo.Status, stored.Status))
        except BaseException as exc:
            barrier.abort()
            results.put(exc)

    threads = [threading.Thread(target=one_scu) for _ in range(10)]
    for thread in threads:
        thread.start()
    outcomes = [results.get(timeout=TIMEOUT * 4) for _ in threads]
    for thread in threads:
        thread.join(TIMEOUT)
    failures = [o for o in outcomes if isinstance(o, BaseException)]
    assert not failures, failures
    statuses = {(o[1], o[2]) for o in outcomes if isinstance(o, tuple)}
    assert statuses == {(0x0000, 0x0000)}
    ports = [o[0] for o in outcomes if isinstance(o, tuple)]
    server.until(
        lambda: len(server.served("echo")) == len(server.served("store")) == 10
    )
    echoes, stores = server.served("echo"), server.served("store")
    assert echoes == stores  # one process served each association
    assert sorted(echoes) == sorted(ports)
    assert Counter(echoes.values()) == {server.parent: 5, server.children[0]: 5}


def test_sigterm_ends_every_process_and_their_associations(
    start: type[PreforkServer],
) -> None:
    server = start("--processes", "3")
    held = [establish(scu(), server.port) for _ in range(2)]
    for _ in held:
        server.expect("accepted")
    os.kill(server.parent, signal.SIGTERM)
    assert server.finish() == 0
    assert all(gone(pid) for pid in server.children)
    assert ["returned", "reaped"] in server.lines  # before start_server returned
    # Only the parent ran its atexit functions: the children left by _exit.
    assert [w for w in server.lines if w[0] == "atexit"] == [
        ["atexit", str(server.parent)]
    ]
    for assoc in held:
        assoc.join(TIMEOUT)
        assert assoc.is_aborted
    stopped = [w for w in server.lines if w[:3] == ["log", "DEBUG", "worker"]]
    assert len(stopped) == 2
    assert all(w[-2:] == ["status", "0)"] for w in stopped)


def test_shutdown_from_another_thread_ends_the_children(
    start: type[PreforkServer],
) -> None:
    server = start("--processes", "2")
    ae = scu("SHUTDOWN")
    for _ in range(200):  # until the parent serves one (a child ignores it)
        assoc = establish(ae, server.port)
        assoc.send_c_echo()
        line = server.expect("echo")
        assoc.release()
        if int(line[1]) == server.parent:
            break
    assert server.finish() == 0
    assert ["returned", "reaped"] in server.lines
    assert all(gone(pid) for pid in server.children)


def test_children_exit_when_the_parent_is_killed(start: type[PreforkServer]) -> None:
    server = start("--processes", "3")
    os.kill(server.parent, signal.SIGKILL)
    assert server.finish() == -signal.SIGKILL
    assert all(gone(pid) for pid in server.children)
    assert "returned" not in [w[0] for w in server.lines]
    assert len([w for w in server.lines if w[-3:] == ["parent", "has", "gone"]]) == 2


def test_a_crashed_child_is_logged_and_the_rest_serve_on(
    start: type[PreforkServer],
) -> None:
    server = start("--processes", "2")
    child = server.children[0]
    os.kill(child, signal.SIGKILL)
    line = server.expect("log", "ERROR")
    assert line[2:] == [
        "worker",
        "process",
        str(child),
        "ended",
        "(killed",
        "by",
        "SIGKILL);",
        "it",
        "is",
        "not",
        "replaced",
    ]
    # Not replaced: the parent alone serves now, as many as it is asked.
    for _ in range(3):
        assoc = establish(scu(), server.port, attempts=1)
        assert assoc.send_c_echo().Status == 0x0000
        assoc.release()
        assert int(server.expect("echo")[1]) == server.parent
    os.kill(server.parent, signal.SIGTERM)
    assert server.finish() == 0
    assert ["returned", "reaped"] in server.lines


def test_a_child_that_does_not_stop_is_killed(start: type[PreforkServer]) -> None:
    server = start("--processes", "2", "--join-timeout", "0.5", "--margin", "0.5")
    ae = scu("FREEZE")
    frozen = None
    held = []
    for _ in range(200):  # until a child accepts one and stops itself
        held.append(establish(ae, server.port))
        pid = int(server.expect("accepted")[1])
        if pid != server.parent:
            frozen = pid
            break
    assert frozen is not None
    os.kill(server.parent, signal.SIGTERM)
    line = server.expect("log", "WARNING")
    assert line[2:] == f"worker process {frozen} did not stop in time: killed".split()
    assert server.finish() == 0
    assert ["returned", "reaped"] in server.lines
    assert gone(frozen)
    for assoc in held:
        assoc.abort()
