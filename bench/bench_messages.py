"""Per-message cost of the dicomnet C-STORE SCP, with a raw-socket client.

A cheap client (pre-encoded PDUs, sent like ``storescu`` sends them: the
command's P-DATA-TF, then the data set's, then a wait for the response) drives
``bench/_store_peer.py scp --lib dicomnet`` over one association; only the SCP
is measured::

    .venv/bin/python bench/bench_messages.py                  # CPU time per message, 3 runs each
    .venv/bin/python bench/bench_messages.py --instructions   # callgrind: instructions per message
    .venv/bin/python bench/bench_messages.py --n 2000 --repeat 5 --only small

With ``--core`` the same message bytes go instead, in 256 KiB chunks as the
driver reads them, straight into an acceptor ``AssociationProtocol`` in this
process: the sans-I/O core alone (framing, state machine, reassembly, command
decoding), without sockets, threads, events or handlers::

    .venv/bin/python bench/bench_messages.py --core --instructions

Two measures:

- **CPU us/msg**: the SCP process's user + system time over the timed messages
  (``/proc/PID/stat``), divided by their number; it moves with the machine's load
  (+-20 % on a shared 2-core machine).
- **instructions/msg** (``--instructions``): the SCP runs under valgrind's
  callgrind, once with N1 and once with N2 messages; the difference of the two
  totals over N2 - N1 is the user-space instruction count of one message,
  start-up and the association excluded. Deterministic to about 1 %: the measure
  for a before/after of a hot-path change. Kernel time is not counted.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _bench_common as common
from bench_associations import (
    APPLICATION_CONTEXT,
    HOST,
    RAW_IMPLEMENTATION_UID,
    _item,
    _pdu,
)

from dicomnet.dimse.commands import encode_command

PEER = Path(__file__).with_name("_store_peer.py")
CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2"
EXPLICIT_VR_LE = "1.2.840.10008.1.2.1"
#: The SCP's default maximum PDU length (PS3.8 D.1), which the client obeys.
MAX_PDU = 16382
WARM_UP = 20
#: A successful C-STORE-RSP carries Status (0000,0900) = 0, Implicit VR LE.
SUCCESS = struct.pack("<HHLH", 0, 0x0900, 2, 0)
SIZES = {"small": 1000, "ct": 526000}
#: The sync driver's read size (transport.sync._RECV_SIZE), for --core.
CORE_READ = 256 * 1024


def associate_rq() -> bytes:
    """A-ASSOCIATE-RQ with one CT Image Storage context (PS3.8 9.3.2)."""
    context = (
        struct.pack(">B3x", 1)
        + _item(0x30, CT_IMAGE_STORAGE.encode())
        + _item(0x40, EXPLICIT_VR_LE.encode())
    )
    user_information = _item(0x51, struct.pack(">L", 16384)) + _item(
        0x52, RAW_IMPLEMENTATION_UID.encode()
    )
    body = (
        struct.pack(">HH16s16s32x", 1, 0, b"BENCH".ljust(16), b"RAWSCU".ljust(16))
        + _item(0x10, APPLICATION_CONTEXT.encode())
        + _item(0x20, context)
        + _item(0x50, user_information)
    )
    return _pdu(0x01, body)


def _p_data(control: int, payload: bytes) -> bytes:
    # PS3.8 9.3.5: one PDV on context 1.
    return _pdu(0x04, struct.pack(">LBB", len(payload) + 2, 1, control) + payload)


def messages(count: int, size: int) -> list[list[bytes]]:
    """The PDUs of ``count`` C-STORE-RQs with data sets of about ``size`` bytes."""
    # A data set that starts like one (SOP Class UID, Explicit VR LE), then zeros.
    data = (
        b"\x08\x00\x16\x00UI\x1a\x00" + CT_IMAGE_STORAGE.encode() + b"\0" + bytes(size)
    )
    fragment = MAX_PDU - 6
    out = []
    for index in range(count):
        command = encode_command(
            {
                "AffectedSOPClassUID": CT_IMAGE_STORAGE,
                "CommandField": 0x0001,
                "MessageID": index % 65000 + 1,
                "Priority": 0,
                "CommandDataSetType": 0x0000,
                "AffectedSOPInstanceUID": f"1.2.826.0.1.3680043.8.498.{index + 1}",
            }
        )
        pdus = [_p_data(0x03, command)]  # last command fragment
        for start in range(0, len(data), fragment):
            last = start + fragment >= len(data)
            pdus.append(_p_data(0x02 if last else 0x00, data[start : start + fragment]))
        out.append(pdus)
    return out


def _read_pdu(sock: socket.socket) -> tuple[int, bytes]:
    header = b""
    while len(header) < 6:
        chunk = sock.recv(6 - len(header))
        if not chunk:
            raise ConnectionError("closed by the SCP")
        header += chunk
    length = struct.unpack(">L", header[2:])[0]
    body = b""
    while len(body) < length:
        chunk = sock.recv(length - len(body))
        if not chunk:
            raise ConnectionError("closed by the SCP")
        body += chunk
    return header[0], body


def _send_all(sock: socket.socket, batch: list[list[bytes]]) -> None:
    for pdus in batch:
        for pdu in pdus:
            sock.sendall(pdu)
        kind, body = _read_pdu(sock)
        if kind != 0x04 or SUCCESS not in body:
            raise RuntimeError("the SCP did not answer Success")


def core(count: int, size: int) -> float:
    """Feed ``count`` messages to an acceptor protocol here; return CPU seconds."""
    from dicomnet.acse import AcceptorPolicy
    from dicomnet.presentation import build_context
    from dicomnet.protocol import AssociationProtocol, MessageReceived
    from dicomnet.ul.connection import Role

    protocol = AssociationProtocol(Role.ACCEPTOR)
    protocol.transport_connected(0.0)
    protocol.receive_data(associate_rq(), 0.0)
    policy = AcceptorPolicy(
        ae_title="BENCH",
        supported_contexts=(build_context(CT_IMAGE_STORAGE, EXPLICIT_VR_LE),),
        implementation_class_uid=RAW_IMPLEMENTATION_UID,
    )
    protocol.accept(policy, None, 0.0)
    protocol.data_to_send()
    while protocol.next_event() is not None:
        pass
    # One message's bytes, cut as the driver reads (256 KiB at most), fed
    # ``count`` times: the same bytes objects, so building the input costs
    # nothing per message.
    one = b"".join(messages(1, size)[0])
    chunks = [one[i : i + CORE_READ] for i in range(0, len(one), CORE_READ)]
    received = 0
    start = time.process_time()
    for _ in range(count):
        for chunk in chunks:
            protocol.receive_data(chunk, 0.0)
            while (event := protocol.next_event()) is not None:
                received += isinstance(event, MessageReceived)
    seconds = time.process_time() - start
    if received != count:
        raise RuntimeError(f"{received} of {count} messages received")
    return seconds


def core_instructions(count: int, size: int, out: Path) -> float:
    """Run :func:`core` under callgrind in a child process; return its total."""
    subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={out}",
            sys.executable,
            __file__,
            "--core-child",
            f"{count},{size}",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return _callgrind_total(out)


def _callgrind_total(out: Path) -> float:
    for line in out.read_text().splitlines():
        if line.startswith(("totals:", "summary:")):
            return float(line.split()[1])
    raise RuntimeError("no totals in the callgrind output")


def run(count: int, size: int, callgrind: Path | None = None) -> float:
    """Send ``count`` messages; return the SCP's CPU seconds (or instructions)."""
    port = common.free_port()
    command = [
        sys.executable,
        str(PEER),
        "scp",
        "--lib",
        "dicomnet",
        "--port",
        str(port),
    ]
    if callgrind is not None:
        command = [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={callgrind}",
            *command,
        ]
    scp = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        common.wait_listening(scp, port, 120.0)
        batch = messages(count + WARM_UP, size)
        with socket.create_connection((HOST, port)) as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.sendall(associate_rq())
            if _read_pdu(sock)[0] != 0x02:
                raise RuntimeError("association not accepted")
            _send_all(sock, batch[:WARM_UP])
            before = common.cpu_seconds(scp.pid)
            _send_all(sock, batch[WARM_UP:])
            cpu = common.cpu_seconds(scp.pid) - before
            sock.sendall(_pdu(0x05, bytes(4)))  # A-RELEASE-RQ
            _read_pdu(sock)
    finally:
        # SIGINT is the SCP's stop signal; under valgrind it takes a while to
        # write its totals.
        scp.send_signal(signal.SIGINT)
        try:
            scp.wait(120)
        except subprocess.TimeoutExpired:
            scp.kill()
            scp.wait()
    if callgrind is None:
        return cpu
    return _callgrind_total(callgrind)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=3000, help="timed 1 KB messages")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", choices=sorted(SIZES), help="one message size")
    parser.add_argument(
        "--instructions", action="store_true", help="count instructions (callgrind)"
    )
    parser.add_argument(
        "--core", action="store_true", help="the sans-I/O core alone, in-process"
    )
    parser.add_argument("--core-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.core_child:
        count, size = map(int, args.core_child.split(","))
        core(count, size)
        return
    common.compile_bytecode()
    print("\n".join(common.versions()))
    for name, size in SIZES.items():
        if args.only and name != args.only:
            continue
        # The CT messages are 33 PDUs each: a tenth as many.
        count = args.n if name == "small" else max(1, args.n // 10)
        what = "core" if args.core else "SCP"
        if args.instructions:
            with tempfile.TemporaryDirectory() as folder:
                low, high = max(1, count // 4), count
                if args.core:
                    first = core_instructions(low, size, Path(folder) / "low.out")
                    second = core_instructions(high, size, Path(folder) / "high.out")
                else:
                    first = run(low, size, Path(folder) / "low.out")
                    second = run(high, size, Path(folder) / "high.out")
            per = (second - first) / (high - low)
            print(f"{name:5s} ({size} B): {per:12,.0f} {what} instructions per message")
            continue
        measure = core if args.core else run
        cpus = sorted(measure(count, size) / count * 1e6 for _ in range(args.repeat))
        print(
            f"{name:5s} ({size} B): {what} CPU per message min {cpus[0]:6.1f} us, "
            f"median {cpus[len(cpus) // 2]:6.1f} us ({args.repeat} runs of {count})"
        )


if __name__ == "__main__":
    os.environ.setdefault("TCP_NODELAY", "1")
    main()
