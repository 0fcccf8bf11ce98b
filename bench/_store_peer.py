"""The C-STORE SCP and SCU programs of ``bench_storage.py``, one process each.

The library is chosen by name (``--lib dicomnet|pynetdicom``): both have the
same API, so both run *the same* handler and the same client code::

    python bench/_store_peer.py scp --lib dicomnet --port 11112 --out DIR
    python bench/_store_peer.py scp --lib pynetdicom --port 11112        # not written
    python bench/_store_peer.py scp --lib dicomnet --port 11112 --out DIR --chunked
    python bench/_store_peer.py scp --lib dicomnet --port 11112 --out DIR --processes 2
    python bench/_store_peer.py scu --lib pynetdicom --port 11112 [--chunked] DIR...

The SCP serves until SIGINT. ``--processes N`` (dicomnet only: pynetdicom has
no such option) serves from N pre-forked processes, as ``storescp --fork``
serves from a child per association. The SCU sends every file below the directories
(sorted by path) over one association and prints one JSON line: files sent,
successes, and the seconds from ``associate`` to the end of ``release``.
pynetdicom is a test peer: ``src/`` never imports it, this program does.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from types import ModuleType

HOST = "127.0.0.1"
CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2"
ENHANCED_CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2.1"
EXPLICIT_VR_LE = "1.2.840.10008.1.2.1"
IMPLICIT_VR_LE = "1.2.840.10008.1.2"
EXPLICIT_VR_BE = "1.2.840.10008.1.2.2"
#: What storescu proposes for uncompressed files (its default ``-x=``).
UNCOMPRESSED = [EXPLICIT_VR_LE, IMPLICIT_VR_LE, EXPLICIT_VR_BE]


def load(lib: str, *, chunked: bool, max_pdu: int | None) -> tuple[ModuleType, Any]:
    """Import ``lib``, set its chunked C-STORE options and make an AE."""
    module = importlib.import_module(lib)
    config = importlib.import_module(f"{lib}._config")
    # Both options are documented by both libraries (pynetdicom _config).
    config.STORE_RECV_CHUNKED_DATASET = chunked
    config.STORE_SEND_CHUNKED_DATASET = chunked
    ae = module.AE(ae_title="BENCH")
    if max_pdu is not None:
        ae.maximum_pdu_size = max_pdu
    return module, ae


# -- the SCP's handlers: the same functions for both libraries ---------------------------


def store_written(event: Any, out: Path) -> int:
    """Write the received data set as a Part 10 file, without decoding it."""
    name = out / str(event.request.AffectedSOPInstanceUID)
    with name.open("wb") as f:
        f.write(event.encoded_dataset())
    return 0x0000


def store_chunked(event: Any, out: Path) -> int:
    """Move the library's temporary Part 10 file into place (same file system)."""
    Path(event.dataset_path).replace(out / str(event.request.AffectedSOPInstanceUID))
    return 0x0000


def store_ignored(event: Any) -> int:  # noqa: ARG001  (the handler contract)
    """Answer Success without touching the data set."""
    return 0x0000


def serve(args: argparse.Namespace) -> None:
    module, ae = load(args.lib, chunked=args.chunked, max_pdu=args.max_pdu)
    for sop_class in (CT_IMAGE_STORAGE, ENHANCED_CT_IMAGE_STORAGE):
        ae.add_supported_context(sop_class, UNCOMPRESSED)
    if args.out is None:
        handler: tuple[Any, ...] = (module.evt.EVT_C_STORE, store_ignored)
    elif args.chunked:
        handler = (module.evt.EVT_C_STORE, store_chunked, [Path(args.out)])
    else:
        handler = (module.evt.EVT_C_STORE, store_written, [Path(args.out)])
    # A dicomnet extension: passed only when asked for, so that the same call
    # runs on pynetdicom.
    extra = {"processes": args.processes} if args.processes is not None else {}
    with contextlib.suppress(KeyboardInterrupt):  # SIGINT is the stop signal
        ae.start_server((HOST, args.port), block=True, evt_handlers=[handler], **extra)


def send(args: argparse.Namespace) -> dict[str, Any]:
    _, ae = load(args.lib, chunked=args.chunked, max_pdu=args.max_pdu)
    ae.add_requested_context(CT_IMAGE_STORAGE, [EXPLICIT_VR_LE])
    ae.dimse_timeout = 60
    files = sorted(p for d in args.dirs for p in Path(d).rglob("*") if p.is_file())
    ok = 0
    start = time.perf_counter()
    assoc = ae.associate(HOST, args.port, ae_title="BENCHSCP")
    established = bool(assoc.is_established)
    if established:
        for path in files:
            status = assoc.send_c_store(path)
            if status and getattr(status, "Status", None) == 0x0000:
                ok += 1
        assoc.release()
    seconds = time.perf_counter() - start
    return {
        "established": established,
        "sent": len(files),
        "ok": ok,
        "seconds": seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("role", choices=("scp", "scu"))
    parser.add_argument("--lib", choices=("dicomnet", "pynetdicom"), required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", help="SCP: write here (default: do not write)")
    parser.add_argument(
        "--chunked", action="store_true", help="STORE_*_CHUNKED_DATASET"
    )
    parser.add_argument("--max-pdu", type=int, help="AE.maximum_pdu_size")
    parser.add_argument(
        "--processes",
        type=int,
        help="SCP, dicomnet only: serve from N pre-forked processes",
    )
    parser.add_argument("dirs", nargs="*", help="SCU: directories of files to send")
    args = parser.parse_intermixed_args()
    if args.processes is not None and (args.lib != "dicomnet" or args.role != "scp"):
        parser.error("--processes is a dicomnet SCP option")
    # Warnings and errors of either library end up in the log the benchmark
    # keeps for a failed run; nothing is logged below WARNING.
    logging.basicConfig(
        level=logging.WARNING, format="%(levelname).1s %(name)s: %(message)s"
    )
    if args.role == "scp":
        serve(args)
    else:
        print(json.dumps(send(args)), flush=True)


if __name__ == "__main__":
    main()
