"""Sequential associations per second: dicomnet against pynetdicom and DCMTK.

Issue #4, point 10. One association = associate, one C-ECHO, release, done
one after the other by one client. Every server and every client runs in its
own process, so that no two share an interpreter (or its GIL):

- servers: the dicomnet server (``AE.start_server``), the pynetdicom server
  (the same code with ``pynetdicom``) and DCMTK ``storescp``;
- clients: the dicomnet client (``AE.associate``, ``send_c_echo``,
  ``release``), the pynetdicom client (the same code), and a raw-socket client
  that sends pre-encoded A-ASSOCIATE-RQ, C-ECHO-RQ and A-RELEASE-RQ PDUs and
  checks the answers' types and the C-ECHO status: it costs almost nothing,
  so its figures measure the server; and ``raw128``, the same with the
  A-ASSOCIATE-RQ of a storage SCU such as DCMTK ``storescu``: 128 presentation
  contexts (Verification, then 127 storage SOP classes with 3 transfer
  syntaxes each), which the servers support as a storage SCP does.

Usage::

    .venv/bin/python bench/bench_associations.py            # N=1000 per pair
    .venv/bin/python bench/bench_associations.py --n 200    # quicker
    .venv/bin/python bench/bench_associations.py --only raw # pairs whose name has "raw"
    .venv/bin/python bench/bench_associations.py --only raw128 --n 300  # 128 contexts

pynetdicom is the test peer from the ``test`` dependency group; this script
runs it in a child process, ``src/`` never imports it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from _bench_common import compile_bytecode

if TYPE_CHECKING:
    from collections.abc import Sequence

VERIFICATION = "1.2.840.10008.1.1"
IMPLICIT_VR_LE = "1.2.840.10008.1.2"
EXPLICIT_VR_LE = "1.2.840.10008.1.2.1"
EXPLICIT_VR_BE = "1.2.840.10008.1.2.2"
#: The transfer syntaxes, in storescu's order, of each storage context of
#: ``raw128`` and of the storage contexts the Python servers support.
STORAGE_TRANSFER_SYNTAXES = (EXPLICIT_VR_LE, EXPLICIT_VR_BE, IMPLICIT_VR_LE)
#: Storage SOP classes proposed by ``raw128`` (with Verification: 128 contexts).
STORAGE_CLASS_COUNT = 127
#: ``raw128`` fails an association whose A-ASSOCIATE-AC accepts fewer contexts.
MIN_ACCEPTED_128 = 100
APPLICATION_CONTEXT = "1.2.840.10008.3.1.1.1"  # PS3.8 Annex A.2
#: Only needs to be a valid UID (PS3.5 9.1): the raw client's implementation.
RAW_IMPLEMENTATION_UID = "1.2.826.0.1.3680043.10.1081.98"
HOST = "127.0.0.1"
WARM_UP = 5
#: Give up a pair after this many failed associations.
MAX_FAILURES = 10

SERVERS = ("dicomnet", "pynetdicom", "dcmtk")
CLIENT_KINDS = ("dicomnet", "pynetdicom", "raw", "raw128")
CLIENTS = {
    "dicomnet": CLIENT_KINDS,
    "pynetdicom": CLIENT_KINDS,
    "dcmtk": CLIENT_KINDS,
}
#: Clients served by a server of their own that also supports the storage
#: contexts. The other clients' Python servers support Verification only, as
#: before ``raw128``: 128 supported contexts double the pynetdicom server's cost
#: of a one-context association (3.2-3.6 -> 7.6-9.3 ms of CPU), which would move
#: the rows of the issue #4 targets.
STORAGE_CLIENTS = ("raw128",)


@cache
def storage_sop_classes() -> tuple[str, ...]:
    """The first 127 storage SOP classes of pydicom's UID dictionary, by UID.

    Those whose name ends in "Storage" (retired ones end in "(Retired)").
    """
    from pydicom._uid_dict import UID_dictionary

    found = sorted(
        uid
        for uid, (name, kind, *_) in UID_dictionary.items()
        if kind == "SOP Class" and name.endswith("Storage")
    )
    if len(found) < STORAGE_CLASS_COUNT:
        raise RuntimeError(f"pydicom lists only {len(found)} storage SOP classes")
    return tuple(found[:STORAGE_CLASS_COUNT])


# -- the raw client's PDUs, built from PS3.8 9.3 -----------------------------------


def _item(item_type: int, value: bytes) -> bytes:
    # PS3.8 9.3.2: item type (1), reserved (1), item length (2), value.
    return struct.pack(">BBH", item_type, 0, len(value)) + value


def _pdu(pdu_type: int, body: bytes) -> bytes:
    # PS3.8 9.3.1: PDU type (1), reserved (1), PDU length (4), body.
    return struct.pack(">BBL", pdu_type, 0, len(body)) + body


def _context_item(context_id: int, abstract: str, transfers: Sequence[str]) -> bytes:
    # PS3.8 9.3.2.2: context ID, three reserved bytes, one abstract syntax
    # sub-item (9.3.2.2.1), one or more transfer syntax sub-items (9.3.2.2.2).
    value = struct.pack(">B3x", context_id) + _item(0x30, abstract.encode())
    value += b"".join(_item(0x40, uid.encode()) for uid in transfers)
    return _item(0x20, value)


def associate_rq(
    called: str = "ANY-SCP",
    calling: str = "RAWBENCH",
    storage_classes: Sequence[str] = (),
) -> bytes:
    """A-ASSOCIATE-RQ (PS3.8 9.3.2): Verification as context 1, then each storage
    class as contexts 3, 5, ... with ``STORAGE_TRANSFER_SYNTAXES``."""
    contexts = _context_item(1, VERIFICATION, (IMPLICIT_VR_LE,))
    contexts += b"".join(
        _context_item(3 + 2 * index, uid, STORAGE_TRANSFER_SYNTAXES)
        for index, uid in enumerate(storage_classes)
    )
    user_information = _item(0x51, struct.pack(">L", 16384)) + _item(
        0x52, RAW_IMPLEMENTATION_UID.encode()
    )
    body = (
        struct.pack(
            ">HH16s16s32x", 1, 0, called.encode().ljust(16), calling.encode().ljust(16)
        )
        + _item(0x10, APPLICATION_CONTEXT.encode())
        + contexts
        + _item(0x50, user_information)
    )
    return _pdu(0x01, body)


def _element(group: int, element: int, value: bytes) -> bytes:
    # PS3.5 7.1.3: Implicit VR Little Endian.
    return struct.pack("<HHL", group, element, len(value)) + value


def c_echo_rq() -> bytes:
    """P-DATA-TF carrying a C-ECHO-RQ command set (PS3.7 9.3.5, PS3.8 9.3.5)."""
    body = b"".join(
        (
            _element(0, 0x0002, VERIFICATION.encode() + b"\x00"),
            _element(0, 0x0100, struct.pack("<H", 0x0030)),
            _element(0, 0x0110, struct.pack("<H", 1)),
            _element(0, 0x0800, struct.pack("<H", 0x0101)),
        )
    )
    command = _element(0, 0x0000, struct.pack("<L", len(body))) + body
    # PDV: length, context ID 1, message control header 03H (last command).
    return _pdu(0x04, struct.pack(">LBB", len(command) + 2, 1, 0x03) + command)


RELEASE_RQ = _pdu(0x05, bytes(4))
#: The Status element (0000,0900) of a successful response, Implicit VR LE.
STATUS_SUCCESS = struct.pack("<HHLH", 0, 0x0900, 2, 0)
#: PS3.8 9.3.3: the A-ASSOCIATE-AC's fixed fields before its variable items.
AC_FIXED_LENGTH = 68


def accepted_contexts(ac_body: bytes) -> int:
    """Presentation context items (21H) of an A-ASSOCIATE-AC body with result 0.

    PS3.8 9.3.3.2: type, reserved, length (2), context ID, reserved, result.
    """
    accepted = 0
    offset = AC_FIXED_LENGTH
    end = len(ac_body) - 7
    while offset < end:
        item_type, length = (
            ac_body[offset],
            ac_body[offset + 2] << 8 | ac_body[offset + 3],
        )
        if item_type == 0x21 and ac_body[offset + 6] == 0:
            accepted += 1
        offset += 4 + length
    return accepted


class RawClient:
    """Sequential associations over a plain socket, with pre-encoded PDUs."""

    def __init__(self, port: int, storage_classes: Sequence[str] = ()) -> None:
        self.address = (HOST, port)
        self.rq = associate_rq(storage_classes=storage_classes)
        self.echo = c_echo_rq()
        self.buffer = bytearray(65536)
        #: Fewer accepted contexts than this in the AC fails the association.
        self.min_accepted = MIN_ACCEPTED_128 if storage_classes else 0
        #: Accepted contexts in the last A-ASSOCIATE-AC (``min_accepted`` set).
        self.accepted = -1

    def _read_pdu(self, sock: socket.socket) -> tuple[int, bytes]:
        view = memoryview(self.buffer)
        got = 0
        need = 6
        while got < need:
            count = sock.recv_into(view[got:])
            if not count:
                raise ConnectionError("closed by the server")
            got += count
            if got >= 6:
                need = 6 + struct.unpack_from(">L", self.buffer, 2)[0]
        if got != need:
            raise ConnectionError("the server sent more than one PDU at once")
        return self.buffer[0], bytes(view[6:need])

    def one(self) -> bool:
        with socket.create_connection(self.address) as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.sendall(self.rq)
            kind, body = self._read_pdu(sock)
            if kind != 0x02:
                return False
            if self.min_accepted:
                self.accepted = accepted_contexts(body)
                if self.accepted < self.min_accepted:
                    return False
            sock.sendall(self.echo)
            kind, body = self._read_pdu(sock)
            if kind != 0x04 or STATUS_SUCCESS not in body:
                return False
            sock.sendall(RELEASE_RQ)
            return self._read_pdu(sock)[0] == 0x06


# -- the library clients ---------------------------------------------------------------


class LibraryClient:
    """``associate``, ``send_c_echo``, ``release`` with dicomnet or pynetdicom."""

    def __init__(self, library: str, port: int) -> None:
        module = __import__(library)
        self.ae = module.AE(ae_title="BENCHSCU")
        self.ae.add_requested_context(VERIFICATION)
        self.port = port

    def one(self) -> bool:
        assoc = self.ae.associate(HOST, self.port)
        if not assoc.is_established:
            return False
        status = assoc.send_c_echo()
        assoc.release()
        return bool(status) and status.Status == 0


def run_client(kind: str, port: int, n: int, budget: float) -> dict[str, float]:
    """Child process: WARM_UP associations, then up to ``n`` timed ones."""
    client: RawClient | LibraryClient
    if kind == "raw":
        client = RawClient(port)
    elif kind == "raw128":
        client = RawClient(port, storage_sop_classes())
    else:
        client = LibraryClient(kind, port)
    for _ in range(WARM_UP):
        client.one()
    done = failures = 0
    start = time.perf_counter()
    deadline = start + budget
    while done < n and failures < MAX_FAILURES and time.perf_counter() < deadline:
        if client.one():
            done += 1
        else:
            failures += 1
    result = {"n": done, "seconds": time.perf_counter() - start, "failures": failures}
    if isinstance(client, RawClient) and client.min_accepted:
        result["accepted"] = client.accepted
    return result


def run_server(kind: str, port: int, *, storage: bool) -> None:
    """Child process: serve Verification until SIGINT.

    With ``storage``, also support the storage SOP classes ``raw128`` proposes,
    with the same transfer syntaxes, so that its contexts are accepted as by a
    storage SCP (``storescp`` accepts them by default). No C-STORE is sent.
    """
    module = __import__(kind)
    ae = module.AE(ae_title="BENCHSCP")
    ae.add_supported_context(VERIFICATION)
    for uid in storage_sop_classes() if storage else ():
        ae.add_supported_context(uid, list(STORAGE_TRANSFER_SYNTAXES))
    ae.start_server((HOST, port), block=True)


# -- the parent: processes, readiness, table ---------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def listening(port: int) -> bool:
    """Whether a socket listens on ``port``, from /proc (no connection made).

    A connection to check readiness would itself be an association attempt.
    """
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


@dataclass
class Server:
    kind: str
    port: int
    process: subprocess.Popen[bytes]
    workdir: tempfile.TemporaryDirectory[str] | None = None

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.workdir is not None:
            self.workdir.cleanup()


def start_server(kind: str, wrapper: list[str], *, storage: bool) -> Server:
    """Start a server; ``storage``: the Python ones support storage contexts too."""
    port = free_port()
    workdir = None
    if kind == "dcmtk":
        workdir = tempfile.TemporaryDirectory(
            dir="/dev/shm" if Path("/dev/shm").is_dir() else None
        )
        # bench-notes: Debian's DCMTK 3.6.7 leaves Nagle on without TCP_NODELAY=1.
        env = {**os.environ, "TCP_NODELAY": "1"}
        command = [
            "storescp",
            "--aetitle",
            "BENCHSCP",
            "--output-directory",
            workdir.name,
            str(port),
        ]
    else:
        env = dict(os.environ)
        command = [
            *wrapper,
            sys.executable,
            __file__,
            "--serve",
            kind,
            "--port",
            str(port),
            *(["--storage"] if storage else []),
        ]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while not listening(port):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"{kind} server did not start listening on {port}")
        time.sleep(0.01)
    return Server(kind, port, process, workdir)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its threads (proc(5), stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(client: str, server: Server, n: int, budget: float) -> dict[str, float]:
    command = [sys.executable, __file__, "--client", client, "--port", str(server.port)]
    command += ["--n", str(n), "--budget", str(budget)]
    # The server's CPU time over the run (warm-up included, a small bias):
    # set against the wall time, it tells CPU cost from waiting.
    cpu_before = cpu_seconds(server.process.pid)
    out = subprocess.run(command, check=True, capture_output=True, text=True)
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    result["server_cpu"] = cpu_seconds(server.process.pid) - cpu_before
    return result


def versions() -> list[str]:
    from importlib.metadata import version

    dcmtk = "not found"
    if shutil.which("storescp"):
        run = subprocess.run(
            ["storescp", "--version"], capture_output=True, text=True, check=False
        )
        dcmtk = next(
            (line for line in run.stdout.splitlines() if "dcmtk" in line.lower()), "?"
        )
    return [
        f"python     {platform.python_implementation()} {platform.python_version()}",
        f"platform   {platform.platform()}",
        f"cpus       {os.cpu_count()}",
        f"dicomnet   {version('dicomnet')}",
        f"pynetdicom {version('pynetdicom')}",
        f"dcmtk      {dcmtk.strip()}",
    ]


def print_table(rates: dict[tuple[str, str], dict[str, float]], n: int) -> None:
    print(f"\nsequential associations (associate, C-ECHO, release), N={n} per pair\n")
    print(
        f"{'client':<12}{'server':<12}{'done':>6}{'failed':>8}{'seconds':>10}{'assoc/s':>10}{'server CPU ms/assoc':>21}"
    )
    for (client, server), r in rates.items():
        rate = r["n"] / r["seconds"] if r["seconds"] else 0.0
        r["rate"] = rate
        cpu = 1000 * r["server_cpu"] / (r["n"] + WARM_UP) if r["n"] else 0.0
        print(
            f"{client:<12}{server:<12}{r['n']:>6.0f}{r['failures']:>8.0f}{r['seconds']:>10.2f}{rate:>10.1f}{cpu:>21.2f}"
        )
    print(
        "\nratios (associations/s of the dicomnet server over the other server, same client)\n"
    )
    targets = {"pynetdicom": 3.0, "dcmtk": 1.0}
    for other, target in targets.items():
        for client in CLIENT_KINDS:
            ours, theirs = rates.get((client, "dicomnet")), rates.get((client, other))
            if not ours or not theirs or not theirs["rate"]:
                continue
            ratio = ours["rate"] / theirs["rate"]
            if client == "raw128":  # issue #4's targets are for one context
                verdict = "(no target)"
            else:
                verdict = f"target >= {target:.1f}x: " + (
                    "met" if ratio >= target else "MISSED"
                )
            print(
                f"dicomnet / {other:<10} client {client:<11}{ratio:>7.2f}x   {verdict}"
            )


def run_pairs(
    server_kind: str, clients: list[str], args: argparse.Namespace, *, storage: bool
) -> dict[tuple[str, str], dict[str, float]]:
    """Measure ``clients`` one after the other against one server process."""
    rates: dict[tuple[str, str], dict[str, float]] = {}
    server = start_server(server_kind, args.server_wrapper.split(), storage=storage)
    try:
        for client in clients:
            print(f"  {client} -> {server_kind} ...", flush=True)
            result = measure(client, server, args.n, args.budget)
            rates[(client, server_kind)] = result
            if "accepted" in result:
                accepted = f"{result['accepted']:.0f} of {1 + STORAGE_CLASS_COUNT}"
                print(f"    contexts accepted in the last A-ASSOCIATE-AC: {accepted}")
    finally:
        server.stop()
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--n", type=int, default=1000, help="timed associations per pair"
    )
    parser.add_argument(
        "--budget", type=float, default=120.0, help="seconds per pair at most"
    )
    parser.add_argument(
        "--only", default="", help="run pairs whose 'client/server' contains this"
    )
    parser.add_argument(
        "--server-wrapper",
        default="",
        help="prefix for the Python servers' command (e.g. a profiler)",
    )
    parser.add_argument(
        "--serve", choices=("dicomnet", "pynetdicom"), help=argparse.SUPPRESS
    )
    parser.add_argument("--client", choices=CLIENT_KINDS, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--storage", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        with contextlib.suppress(KeyboardInterrupt):  # SIGINT is the stop signal
            run_server(args.serve, args.port, storage=args.storage)
        return
    if args.client:
        print(json.dumps(run_client(args.client, args.port, args.n, args.budget)))
        return
    compile_bytecode()
    print("\n".join(versions()))
    rates: dict[tuple[str, str], dict[str, float]] = {}
    for server_kind in SERVERS:
        clients = [c for c in CLIENTS[server_kind] if args.only in f"{c}/{server_kind}"]
        if not clients:
            continue
        if server_kind == "dcmtk" and not shutil.which("storescp"):
            print("storescp not found: DCMTK skipped")
            continue
        for storage in (False, True):
            group = [c for c in clients if (c in STORAGE_CLIENTS) == storage]
            if group:
                rates.update(run_pairs(server_kind, group, args, storage=storage))
    print_table(rates, args.n)


if __name__ == "__main__":
    main()
