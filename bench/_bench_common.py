"""Helpers shared by the network benchmarks (processes, /proc, versions, verdicts).

Everything here reads Linux's ``/proc`` (proc(5)): readiness from the listening
sockets (a test connection would itself be an association), CPU time from
``/proc/PID/stat``, memory from ``/proc/PID/status``.
"""

from __future__ import annotations

import compileall
import contextlib
import importlib.util
import os
import platform
import select
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

HOST = "127.0.0.1"
#: Debian's DCMTK 3.6.7 leaves Nagle on unless this is set, and then every
#: message waits ~40 ms for a delayed ACK (bench-notes).
DCMTK_ENV = {"TCP_NODELAY": "1"}
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def compile_bytecode() -> None:
    """Compile the Python libraries' bytecode, as installing a wheel does.

    An editable install of dicomnet has no ``.pyc`` files, and with
    ``PYTHONDONTWRITEBYTECODE`` set (as on the development machines) every
    process would compile every module it imports, about 0.1 s, where an
    installed package (pynetdicom, pydicom) reads its compiled bytecode.
    """
    for name in ("dicomnet", "pynetdicom", "pydicom"):
        spec = importlib.util.find_spec(name)
        for folder in (spec.submodule_search_locations or []) if spec else []:
            compileall.compile_dir(folder, quiet=1)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def listening(port: int) -> bool:
    """Whether a socket listens on ``port``, from /proc (no connection made)."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state = fields[1], fields[3]
            if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:
                return True
    return False


def wait_listening(
    process: subprocess.Popen[bytes], port: int, timeout: float = 30
) -> None:
    """Return once ``port`` listens; raise if ``process`` dies or time runs out."""
    deadline = time.monotonic() + timeout
    while not listening(port):
        if process.poll() is not None:
            raise RuntimeError(
                f"the server exited ({process.returncode}) before listening"
            )
        if time.monotonic() > deadline:
            raise RuntimeError(f"nothing listens on port {port} after {timeout} s")
        time.sleep(0.01)  # polling /proc: there is no event to wait on


def _stat_fields(pid: int) -> list[str]:
    # The command name may hold spaces and parentheses: split after the last ")".
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def children(pid: int) -> list[int]:
    """Direct children of ``pid`` (zombies included), from /proc/*/stat."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError):
            if int(_stat_fields(int(entry.name))[1]) == pid:
                found.append(int(entry.name))
    return found


def cpu_seconds(pid: int, *, with_children: bool = False) -> float:
    """User + system CPU time of a process and its threads (proc(5), stat).

    With ``with_children``, add the children it has reaped (cutime, cstime)
    and those not yet reaped (zombies keep their times in /proc): a forking
    server's associations run in children.
    """
    fields = _stat_fields(pid)
    ticks = int(fields[11]) + int(fields[12])
    if with_children:
        ticks += int(fields[13]) + int(fields[14])
        for child in children(pid):
            with contextlib.suppress(OSError):
                child_fields = _stat_fields(child)
                ticks += int(child_fields[11]) + int(child_fields[12])
    return ticks / CLOCK_TICKS


def status_kib(pid: int, key: str) -> int:
    """One ``kB`` field of /proc/PID/status, e.g. ``VmRSS`` or ``VmHWM``."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


def reset_peak_rss(pid: int) -> bool:
    """Reset VmHWM to the current RSS (proc(5), clear_refs value 5, Linux 4.0)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def find_process(root: int, marker: str) -> int:
    """The deepest process at or below ``root`` whose command line has ``marker``.

    A profiler wrapping a server (``py-spy record -- python ...``) is the
    process the benchmark started, and its own command line names the
    program too; CPU and memory are those of the wrapped child.
    """
    found, queue = root, [root]
    while queue:
        pid = queue.pop(0)
        with contextlib.suppress(OSError):
            if marker in Path(f"/proc/{pid}/cmdline").read_bytes().decode(
                errors="replace"
            ):
                found = pid
        queue.extend(children(pid))
    return found


def stop_process(process: subprocess.Popen[bytes], sig: int = signal.SIGINT) -> None:
    """Signal the process group of ``process`` (started with a new session)."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    # Children of a forking server may outlive it in the same group.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


def wait_or_kill(process: subprocess.Popen[bytes], timeout: float) -> bool:
    """Wait for ``process``; kill its group if it outlives ``timeout`` (-> False).

    ``Popen.wait(timeout)`` polls with sleeps of up to 50 ms, which would show
    in the timings: wait on a pidfd instead (pidfd_open(2), Linux 5.3), which
    becomes readable the moment the process exits.
    """
    fd = os.pidfd_open(process.pid)
    try:
        ready, _, _ = select.select([fd], [], [], max(0.0, timeout))
    finally:
        os.close(fd)
    if not ready:
        stop_process(process, signal.SIGKILL)
        return False
    process.wait()
    return True


def dcmtk_version() -> str:
    if not shutil.which("storescp"):
        return "not found"
    run = subprocess.run(
        ["storescp", "--version"], capture_output=True, text=True, check=False
    )
    line = next((x for x in run.stdout.splitlines() if "dcmtk" in x.lower()), "?")
    return line.strip()


def versions() -> list[str]:
    """The header every benchmark prints: interpreter, machine, libraries."""
    from importlib.metadata import version

    return [
        f"python     {platform.python_implementation()} {platform.python_version()}",
        f"platform   {platform.platform()}",
        f"cpus       {os.cpu_count()}",
        f"dicomnet   {version('dicomnet')}",
        f"pynetdicom {version('pynetdicom')}",
        f"pydicom    {version('pydicom')}",
        f"dcmtk      {dcmtk_version()}",
    ]


def verdict(ratio: float, target: float) -> str:
    """``met`` or ``MISSED`` against a ratio target (higher is better)."""
    return "met" if ratio >= target else "MISSED"
