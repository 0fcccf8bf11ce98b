"""A pre-forked dicomnet SCP for ``test_prefork.py``, run as its own process.

Forking the pytest process, which runs threads, would be unsafe: the tests
start this program instead and read its stdout, one line per report::

    ready <port> <parent pid> <child pid>...   the server listens
    echo <pid> <peer port>                     a C-ECHO served by <pid>
    store <pid> <peer port>                    a C-STORE served by <pid>
    accepted <pid> <peer port>                 an association accepted by <pid>
    log <LEVEL> <message>                      dicomnet.transport._prefork logged
    atexit <pid>                               an atexit function ran in <pid>
    returned <reaped|not-reaped>               start_server returned

Every line is one ``os.write``, atomic on a pipe, whichever process writes it.
Calling AE titles steer it: ``FREEZE`` makes a child that accepts the
association stop itself with SIGSTOP (it will not stop for SIGTERM), and
``SHUTDOWN`` makes a C-ECHO served by the parent call ``AE.shutdown()`` from
another thread.
"""

from __future__ import annotations

import argparse
import atexit
import logging
import os
import signal
import threading
from typing import Any

from dicomnet import AE, evt
from dicomnet.sop_class import CTImageStorage, Verification
from dicomnet.transport import _prefork
from dicomnet.transport.server import AssociationServer

PARENT = os.getpid()
CHILDREN: list[int] = []
SHUTDOWN = threading.Event()


def report(line: str) -> None:
    os.write(1, (line + "\n").encode())


class Reporter(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        report(f"log {record.levelname} {message}")
        if message.startswith("serving "):
            port = record.args[0][1]  # type: ignore[index]  # the server address
            pids = str(record.args[2]).split(", ")  # type: ignore[index]  # see _prefork
            CHILDREN.extend(int(pid) for pid in pids[1:])
            report(f"ready {port} {' '.join(pids)}")


def calling(event: Any) -> str:
    return str(event.assoc.requestor.ae_title).strip()


def on_accepted(event: Any) -> None:
    report(f"accepted {os.getpid()} {event.assoc.requestor.port}")
    if calling(event) == "FREEZE" and os.getpid() != PARENT:
        os.kill(os.getpid(), signal.SIGSTOP)


def on_echo(event: Any) -> int:
    report(f"echo {os.getpid()} {event.assoc.requestor.port}")
    if calling(event) == "SHUTDOWN" and os.getpid() == PARENT:
        SHUTDOWN.set()
    return 0x0000


def on_store(event: Any) -> int:
    report(f"store {os.getpid()} {event.assoc.requestor.port}")
    return 0x0000


def was_reaped(pid: int) -> bool:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True  # no longer our child: reaped
    return False


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--max-associations", type=int, default=10)
    parser.add_argument("--join-timeout", type=float, default=10.0)
    parser.add_argument("--margin", type=float, default=5.0)
    args = parser.parse_args()
    logger = logging.getLogger("dicomnet.transport._prefork")
    logger.addHandler(Reporter())
    logger.setLevel(logging.DEBUG)
    atexit.register(lambda: report(f"atexit {os.getpid()}"))
    AssociationServer.association_join_timeout = args.join_timeout
    _prefork.STOP_MARGIN = args.margin

    ae = AE("PREFORK")
    ae.maximum_associations = args.max_associations
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 10.0
    ae.add_supported_context(Verification)
    ae.add_supported_context(CTImageStorage)

    def shutdown_on_request() -> None:
        if SHUTDOWN.wait(60):
            ae.shutdown()

    # Started before the fork, idle on an Event: the children lose it.
    threading.Thread(target=shutdown_on_request, daemon=True).start()
    handlers = [
        (evt.EVT_ACCEPTED, on_accepted),
        (evt.EVT_C_ECHO, on_echo),
        (evt.EVT_C_STORE, on_store),
    ]
    ae.start_server(("127.0.0.1", 0), evt_handlers=handlers, processes=args.processes)
    reaped = all(was_reaped(pid) for pid in CHILDREN)
    report(f"returned {'reaped' if reaped else 'not-reaped'}")


if __name__ == "__main__":
    main()
