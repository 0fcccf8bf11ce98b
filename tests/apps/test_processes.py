"""``storescp`` and ``qrscp`` served from several processes (``--processes N``).

The multi-process servers run as ``python -m dicomnet`` subprocesses (the
pytest process never forks): the tests wait for the library's INFO line
``serving (host, port) from N processes: pid, pid`` on stderr, which a thread
reads on, send from several dicomnet SCU associations at once (threads of
the test), then stop the server with SIGTERM or SIGINT and check that every
process is gone and the port is free. The options and the cases that end
before any fork run in-process.
"""

from __future__ import annotations

import logging
import os
import queue
import re
import signal
import socket
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pytest
from pydicom import dcmread
from pydicom.uid import ExplicitVRLittleEndian

from dicomnet.apps import qrscp, storescp
from dicomnet.apps._common import EXIT_CONNECTION, EXIT_USAGE, app_logging
from dicomnet.archive import Archive
from dicomnet.sop_class import (
    CTImageStorage,
    StudyRootQueryRetrieveInformationModelFind,
    StudyRootQueryRetrieveInformationModelGet,
)

from .conftest import LOOPBACK, TIMEOUT, dicomnet_command
from .test_qrscp import find as c_find
from .test_qrscp import get, make_instance, query, store_all
from .test_storescp import same_file, store, stored_name

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from pydicom.dataset import Dataset

#: The line ``dicomnet.transport._prefork`` logs once every process is forked.
_SERVING = re.compile(
    r"serving \('[^']*', (\d+)[^)]*\) from (\d+) processes: ([\d, ]+)"
)
#: Associations at once, in threads of the test, and instances sent on each.
ASSOCIATIONS = 6
PER_ASSOCIATION = 4


@dataclass
class Server:
    """A multi-process server subprocess: its port, its process IDs, its log."""

    process: subprocess.Popen[str]
    port: int
    pids: list[int]
    lines: list[str] = field(default_factory=list)
    reader: threading.Thread | None = None

    def stop(self, signum: int) -> tuple[int, str]:
        """Send ``signum`` to the parent only; return its status and its log."""
        self.process.send_signal(signum)
        status = self.process.wait(timeout=TIMEOUT)
        assert self.reader is not None
        self.reader.join(TIMEOUT)  # stderr closes once every process has exited
        assert not self.reader.is_alive(), "a process still holds stderr open"
        return status, "".join(self.lines)


def _read(stream, lines: list[str], found: queue.Queue[str]) -> None:
    # Reads until every process has closed stderr, so that a busy server never
    # blocks on a full pipe.
    for line in stream:
        lines.append(line)
        if _SERVING.search(line):
            found.put(line)


@contextmanager
def server_process(tool: str, *args: str) -> Iterator[Server]:
    """Run ``dicomnet TOOL -v -b 127.0.0.1 ARGS 0``; yield it once it serves."""
    process = subprocess.Popen(
        dicomnet_command(tool, "-v", "-b", LOOPBACK, *args, "0"),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    found: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(
        target=_read, args=(process.stderr, lines, found), daemon=True
    )
    reader.start()
    try:
        try:
            line = found.get(timeout=TIMEOUT)
        except queue.Empty:
            pytest.fail(f"{tool} did not start serving: {''.join(lines)}")
        match = _SERVING.search(line)
        assert match is not None
        pids = [int(pid) for pid in match[3].split(", ")]
        assert int(match[2]) == len(pids)
        yield Server(process, int(match[1]), pids, lines, reader)
    finally:
        if process.poll() is None:
            # A failed test: the workers stop when they see the parent gone.
            process.kill()
            process.wait(timeout=TIMEOUT)
        reader.join(TIMEOUT)
        assert process.stderr is not None
        process.stderr.close()


def assert_all_gone(server: Server) -> None:
    """Every process has exited and nothing listens on the port any more."""
    for pid in server.pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    # Binding fails while any socket listens on the port (SO_REUSEADDR
    # allows only the TIME_WAIT connections of the stopped server).
    socket.create_server((LOOPBACK, server.port)).close()


def in_parallel(function, arguments: list) -> list:
    """Run ``function(argument)`` for each argument on its own thread."""
    with ThreadPoolExecutor(max_workers=len(arguments)) as pool:
        futures = [pool.submit(function, argument) for argument in arguments]
        return [future.result(timeout=TIMEOUT) for future in futures]


def serving_pids(log: str) -> set[int]:
    """The process IDs that logged a line: ``I: [1234] ...``."""
    return {int(pid) for pid in re.findall(r"^\w: \[(\d+)\] ", log, re.MULTILINE)}


# -- options (in-process) ----------------------------------------------------------------


def test_processes_option():
    assert storescp.build_parser().parse_args([]).processes == 1
    assert storescp.build_parser().parse_args(["--processes", "3"]).processes == 3
    assert qrscp.build_parser().parse_args([]).processes == 1
    assert qrscp.build_parser().parse_args(["--processes", "4"]).processes == 4


def test_fork_is_one_process_per_core():
    opts = storescp.build_parser().parse_args(["--fork"])
    assert opts.processes == (os.cpu_count() or 1)
    # As in DCMTK, the last of two contrary options wins.
    opts = storescp.build_parser().parse_args(["--fork", "--processes", "2"])
    assert opts.processes == 2


@pytest.mark.parametrize("tool", [storescp, qrscp])
def test_zero_processes_is_a_usage_error(tool, capsys):
    assert tool.main(["--processes", "0"]) == EXIT_USAGE
    assert "--processes" in capsys.readouterr().err


@pytest.mark.parametrize("tool", [storescp, qrscp])
def test_help_tells_processes(tool, capsys):
    assert tool.main(["--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "--processes N serve from N processes" in text
    assert ("--fork" in text) == (tool is storescp)
    if tool is storescp:
        assert "DCMTK's storescp --fork forks a child per association" in text


def test_log_lines_carry_the_process_id(capsys):
    opts = storescp.build_parser().parse_args(["-v", "--processes", "2"])
    with app_logging(opts, default="warn"):
        logging.getLogger("dicomnet.apps.storescp").info("hello")
    assert f"I: [{os.getpid()}] hello" in capsys.readouterr().err


def test_one_process_lines_have_no_process_id(capsys):
    opts = storescp.build_parser().parse_args(["-v"])
    with app_logging(opts, default="warn"):
        logging.getLogger("dicomnet.apps.storescp").info("hello")
    assert "I: hello" in capsys.readouterr().err


@pytest.mark.parametrize("tool", [storescp, qrscp])
def test_port_in_use_fails_before_forking(tool, tmp_path, capsys):
    """The port is bound before any fork: a taken one ends the run, status 5."""
    with socket.create_server((LOOPBACK, 0)) as taken:
        port = taken.getsockname()[1]
        argv = ["-b", LOOPBACK, "--processes", "2", str(port)]
        if tool is qrscp:
            argv = ["--storage", str(tmp_path / "archive"), *argv]
        else:
            argv = ["-od", str(tmp_path), *argv]
        assert tool.main(argv) == EXIT_CONNECTION
    err = capsys.readouterr().err
    assert f"E: [{os.getpid()}] Cannot listen on {LOOPBACK} port {port}: " in err


def test_processes_need_fork(tmp_path, monkeypatch, capsys):
    monkeypatch.delattr(os, "fork")
    argv = ["-od", str(tmp_path), "-b", LOOPBACK, "--processes", "2", "0"]
    assert storescp.main(argv) == EXIT_USAGE
    assert "--processes above 1 needs os.fork() (POSIX)" in capsys.readouterr().err


# -- storescp ---------------------------------------------------------------------------


def write_files(directory: Path, count: int) -> list[Path]:
    """``count`` CT files, each its own SOP Instance."""
    paths = []
    for number in range(1, count + 1):
        ds = make_instance("P1", "1.2.7.1", "1.2.7.1.1", number)
        path = directory / f"{number}.dcm"
        ds.save_as(path, enforce_file_format=True)
        paths.append(path)
    return paths


def test_storescp_processes_store_every_file(tmp_path):
    source, out = tmp_path / "source", tmp_path / "out"
    source.mkdir()
    out.mkdir()
    files = write_files(source, ASSOCIATIONS * PER_ASSOCIATION)
    batches = [files[i::ASSOCIATIONS] for i in range(ASSOCIATIONS)]
    with server_process("storescp", "--processes", "2", "-od", str(out)) as server:
        assert len(server.pids) == 2
        assert server.pids[0] == server.process.pid
        statuses = in_parallel(lambda batch: store(server.port, *batch), batches)
        status, log = server.stop(signal.SIGTERM)
    assert status == 0, log
    assert statuses == [[0] * PER_ASSOCIATION] * ASSOCIATIONS
    assert sorted(path.name for path in out.iterdir()) == sorted(
        stored_name(path) for path in files
    )
    assert all(same_file(out / stored_name(path), path) for path in files)
    assert log.count("Stored ") == len(files)
    # Only our processes served, and each logged with its own ID.
    assert serving_pids(log) <= set(server.pids)
    assert "Stopped: every process has exited" in log
    assert_all_gone(server)


def test_storescp_processes_never_collide_on_names(tmp_path):
    """+uf: one instance over several associations at once gets as many names."""
    source, out = tmp_path / "source", tmp_path / "out"
    source.mkdir()
    out.mkdir()
    (original,) = write_files(source, 1)
    args = ("--processes", "2", "-od", str(out), "+uf", "-fe", ".dcm")
    with server_process("storescp", *args) as server:
        statuses = in_parallel(
            lambda _: store(server.port, original, original), range(ASSOCIATIONS)
        )
        status, log = server.stop(signal.SIGINT)
    assert status == 0, log
    assert statuses == [[0, 0]] * ASSOCIATIONS
    name = stored_name(original)
    expected = [f"{name}.dcm"] + [f"{name}-{n}.dcm" for n in range(1, 2 * ASSOCIATIONS)]
    assert sorted(path.name for path in out.iterdir()) == sorted(expected)
    assert all(same_file(path, original) for path in out.iterdir())
    assert_all_gone(server)


# -- qrscp ------------------------------------------------------------------------------

STUDY = "1.2.8.1"


def batch(index: int) -> list:
    """The instances association ``index`` stores: its own series, plus one shared."""
    series = f"{STUDY}.{index + 1}"
    own = [
        make_instance("P8", STUDY, series, number)
        for number in range(1, PER_ASSOCIATION + 1)
    ]
    # Every association stores this one too: the processes race on it.
    shared = make_instance("P8", STUDY, f"{STUDY}.99", 1)
    return [*own, shared]


def image_query(series: str) -> tuple[str, Dataset]:
    """A C-FIND of a series' instances (PS3.4 C.4.1.2.1: the unique keys above)."""
    identifier = query(
        "IMAGE", StudyInstanceUID=STUDY, SeriesInstanceUID=series, SOPInstanceUID=""
    )
    return StudyRootQueryRetrieveInformationModelFind, identifier


def test_qrscp_processes_store_find_and_get(tmp_path):
    storage = tmp_path / "archive"
    batches = [batch(index) for index in range(ASSOCIATIONS)]
    originals = {str(ds.SOPInstanceUID): ds for datasets in batches for ds in datasets}
    expected = set(originals)
    args = ("--processes", "2", "--storage", str(storage), "--no-fsync")
    with server_process("qrscp", *args) as server:
        statuses = in_parallel(
            lambda datasets: store_all(server.port, datasets), batches
        )
        # Each query and retrieval on associations of their own, at once too.
        series = sorted({str(ds.SeriesInstanceUID) for ds in originals.values()})
        found = in_parallel(lambda uid: c_find(server.port, *image_query(uid)), series)
        spec = f"STUDY StudyInstanceUID={STUDY}"
        model = StudyRootQueryRetrieveInformationModelGet
        gotten = in_parallel(
            lambda _: get(server.port, model, spec, roles=(CTImageStorage,)), range(2)
        )
        status, log = server.stop(signal.SIGINT)
    assert status == 0, log
    assert statuses == [[0] * (PER_ASSOCIATION + 1)] * ASSOCIATIONS
    assert all(find_statuses[-1] == 0 for _, find_statuses in found)
    matched = [str(ds.SOPInstanceUID) for matches, _ in found for ds in matches]
    assert sorted(matched) == sorted(expected)
    for responses, received in gotten:
        assert int(responses[-1][0].Status) == 0
        assert sorted(str(ds.SOPInstanceUID) for ds in received) == sorted(expected)
        assert all(ds == originals[str(ds.SOPInstanceUID)] for ds in received)
    assert serving_pids(log) <= set(server.pids)
    assert_all_gone(server)
    # The archive the processes shared: one entry and one file per instance.
    files = list(storage.rglob("*.dcm"))
    assert sorted(path.stem for path in files) == sorted(expected)
    assert not list((storage / ".incoming").iterdir())
    with Archive(storage, fsync=False) as archive:
        assert archive.instance_count() == len(expected)
        for path in files:
            assert dcmread(path).file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
