"""PDU codec benchmark: dicomnet against pynetdicom's PDU classes.

Run with ``.venv/bin/python bench/bench_pdu.py`` (``--help`` for options). Both
codecs decode the very same ``bytes``, built here from PS3.8 9.3 by a few
``struct`` calls so that neither side produced its own input; for encoding, each
side encodes the object it decoded from those bytes. Each figure is the best
(minimum) per-operation time of several ``timeit`` repeats: the minimum is the
run least disturbed by the rest of the machine.

Nothing here asserts a timing: it prints a table, and the numbers go into
``bench/README.md`` and the commit messages of hot-path changes.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import platform
import pstats
import struct
import sys
import timeit
from dataclasses import dataclass
from functools import partial
from importlib.metadata import version
from typing import TYPE_CHECKING

from pynetdicom import pdu as pyn_pdu

from dicomnet.ul.pdu import decode_pdu, encode_p_data_tf_parts, encode_pdu

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

KIB = 1024
MIB = 1024 * KIB

APPLICATION_CONTEXT = "1.2.840.10008.3.1.1.1"
# 128 abstract syntaxes: real storage SOP Class UIDs would do as well; the
# codec does not look them up, only their lengths matter.
ABSTRACT_SYNTAX_ROOT = "1.2.840.10008.5.1.4.1.1."
TRANSFER_SYNTAXES = ("1.2.840.10008.1.2.1", "1.2.840.10008.1.2")
IMPLEMENTATION_CLASS_UID = "1.2.826.0.1.3680043.9.7433.1.1"
IMPLEMENTATION_VERSION_NAME = "BENCH_0_1"


# --- input bytes, written from PS3.8 9.3 -----------------------------------------


def _item(item_type: int, value: bytes) -> bytes:
    # PS3.8 9.3.2: item type, reserved, 16-bit big-endian length, value.
    return struct.pack(">BBH", item_type, 0, len(value)) + value


def _pdu(pdu_type: int, body: bytes) -> bytes:
    # PS3.8 9.3.1: PDU type, reserved, 32-bit big-endian length, body.
    return struct.pack(">BBL", pdu_type, 0, len(body)) + body


def build_p_data_tf(size: int) -> bytes:
    """A P-DATA-TF with one PDV of ``size`` bytes: last data-set fragment (9.3.5)."""
    payload = bytes(range(256)) * (size // 256) + bytes(size % 256)
    # PS3.8 9.3.5.1: item length (4), context ID, message control header (E.2).
    pdv = struct.pack(">LBB", 2 + size, 1, 0x02) + payload
    return _pdu(0x04, pdv)


def build_associate_rq(n_contexts: int = 128) -> bytes:
    """An A-ASSOCIATE-RQ with ``n_contexts`` contexts of two transfer syntaxes."""
    items = [_item(0x10, APPLICATION_CONTEXT.encode())]
    for index in range(n_contexts):
        sub_items = _item(0x30, f"{ABSTRACT_SYNTAX_ROOT}{index + 1}".encode())
        sub_items += b"".join(_item(0x40, ts.encode()) for ts in TRANSFER_SYNTAXES)
        # PS3.8 9.3.2.2: context ID (odd), 3 reserved bytes, sub-items.
        items.append(_item(0x20, bytes([2 * index + 1, 0, 0, 0]) + sub_items))
    user_information = (
        _item(0x51, struct.pack(">L", 16 * KIB))  # PS3.8 D.1
        + _item(0x52, IMPLEMENTATION_CLASS_UID.encode())  # PS3.7 D.3.3.2.1
        + _item(0x55, IMPLEMENTATION_VERSION_NAME.encode())  # PS3.7 D.3.3.2.3
    )
    items.append(_item(0x50, user_information))
    # PS3.8 9.3.2: protocol version, 2 reserved, called and calling AE (16 each),
    # 32 reserved bytes.
    header = struct.pack(
        ">HH16s16s32x", 1, 0, b"BENCH-SCP".ljust(16), b"BENCH-SCU".ljust(16)
    )
    return _pdu(0x01, header + b"".join(items))


# --- measurement ------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One operation measured on both sides."""

    name: str
    dicomnet: Callable[[], object]
    pynetdicom: Callable[[], object]


def pyn_decoder(cls: type[pyn_pdu.PDU], data: bytes) -> Callable[[], object]:
    def decode() -> object:
        pdu = cls()
        pdu.decode(data)
        return pdu

    return decode


def pyn_decoded(cls: type[pyn_pdu.PDU], data: bytes) -> pyn_pdu.PDU:
    pdu = cls()
    pdu.decode(data)
    return pdu


def check_round_trips(label: str, data: bytes, pyn_cls: type[pyn_pdu.PDU]) -> None:
    """Both sides must read and rewrite the input exactly, or the race is unfair."""
    ours = encode_pdu(decode_pdu(data))
    theirs = pyn_decoded(pyn_cls, data).encode()
    for side, result in (("dicomnet", ours), ("pynetdicom", theirs)):
        if result != data:
            print(f"warning: {side} does not re-encode the {label} input exactly")


def cases() -> list[Case]:
    """The operations of issue #3, point 6, on identical input bytes."""
    inputs = [
        ("P-DATA-TF 16 KiB PDV", build_p_data_tf(16 * KIB), pyn_pdu.P_DATA_TF),
        ("P-DATA-TF 1 MiB PDV", build_p_data_tf(MIB), pyn_pdu.P_DATA_TF),
        (
            "A-ASSOCIATE-RQ 128 contexts",
            build_associate_rq(128),
            pyn_pdu.A_ASSOCIATE_RQ,
        ),
    ]
    result: list[Case] = []
    for label, data, pyn_cls in inputs:
        check_round_trips(label, data, pyn_cls)
        ours, theirs = decode_pdu(data), pyn_decoded(pyn_cls, data)
        result += [
            Case(
                f"decode {label}",
                partial(decode_pdu, data),
                pyn_decoder(pyn_cls, data),
            ),
            Case(f"encode {label}", partial(encode_pdu, ours), theirs.encode),
        ]
    # What a driver sends: header buffers plus the fragment, for socket.sendmsg,
    # against what pynetdicom sends (one encoded bytes object).
    for label, size in (("16 KiB", 16 * KIB), ("1 MiB", MIB)):
        data = build_p_data_tf(size)
        pdvs = decode_pdu(data).pdvs  # type: ignore[union-attr]  # a P-DATA-TF by construction
        result.append(
            Case(
                f"encode P-DATA-TF {label} PDV, parts",
                partial(encode_p_data_tf_parts, pdvs),
                pyn_decoded(pyn_pdu.P_DATA_TF, data).encode,
            )
        )
    return result


def time_per_op(func: Callable[[], object], repeat: int) -> float:
    """Best of ``repeat`` runs of an auto-ranged loop, in seconds per call."""
    timer = timeit.Timer(func)
    number, _ = timer.autorange()
    return min(timer.repeat(repeat=repeat, number=number)) / number


def _fmt(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:8.2f} {unit}"
    return f"{seconds / 1e-9:8.0f} ns"


def print_machine() -> None:
    print(f"python     {platform.python_implementation()} {platform.python_version()}")
    print(f"platform   {platform.platform()}")
    print(f"cpus       {os.cpu_count()}")
    print(f"dicomnet   {version('dicomnet')}")
    print(f"pynetdicom {version('pynetdicom')}")
    print()


def run(selected: Sequence[Case], repeat: int) -> None:
    print_machine()
    width = max(len(case.name) for case in selected)
    print(
        f"{'operation':<{width}}  {'dicomnet/op':>11}  {'pynetdicom/op':>13}  ratio (pyn/dn)"
    )
    for case in selected:
        ours = time_per_op(case.dicomnet, repeat)
        theirs = time_per_op(case.pynetdicom, repeat)
        print(
            f"{case.name:<{width}}  {_fmt(ours):>11}  {_fmt(theirs):>13}  {theirs / ours:10.1f}x"
        )


def profile(selected: Sequence[Case], calls: int) -> None:
    """Where dicomnet spends its time: cProfile of each selected operation."""
    for case in selected:
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(calls):
            case.dicomnet()
        profiler.disable()
        print(f"== {case.name} ({calls} calls)")
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(
            12
        )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repeat", type=int, default=7, help="timeit repeats (min is kept)"
    )
    parser.add_argument(
        "-k", dest="keyword", default="", help="only operations containing this text"
    )
    parser.add_argument(
        "--profile",
        type=int,
        metavar="CALLS",
        help="cProfile dicomnet instead of timing",
    )
    args = parser.parse_args(argv)
    selected = [case for case in cases() if args.keyword in case.name]
    if args.profile:
        profile(selected, args.profile)
    else:
        run(selected, args.repeat)


if __name__ == "__main__":
    main()
