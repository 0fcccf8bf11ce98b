"""Fuzzing a running dicomnet server with mutated and random input (issue #4, 7).

Seeded, so every run sends the same bytes and a failure names the case that
broke. Each case is sent on its own connection, which is then half-closed:
the server reads the bytes, answers, then reads the end of the stream (Evt17)
and must close at once, so no case waits for a timer.

What each answer must be: valid PDUs only (the server never sends bytes that
do not decode), the first of them an A-ASSOCIATE-AC, A-ASSOCIATE-RJ or A-ABORT
carrying values PS3.8 defines, or no PDU at all and a close. After all cases:
the server still serves, keeps no association, did not grow its memory by more
than a few MB, and leaves no thread behind once shut down.
"""

from __future__ import annotations

import gc
import random
import struct
import tracemalloc
from collections.abc import Callable, Iterator

import pytest

from dicomnet.errors import AbortReason, AbortSource, RejectResult, RejectSource
from dicomnet.ul.pdu import A_ABORT, A_ASSOCIATE_AC, A_ASSOCIATE_RJ, PDU
from tests.transport.rawpeer import (
    PROMPT,
    ServerUnderTest,
    associate_rq_bytes,
    item_length_offsets,
    start_server,
    with_pdu_length,
)

MUTATIONS = 150
SEED = 20261125
#: Bound on the growth of traced memory over the mutations, in bytes.
MEMORY_BOUND = 8 * 1024 * 1024

# PS3.8 9.3.4, Table 9-21: the reasons each reject source may give.
_REJECT_REASONS = {
    RejectSource.SERVICE_USER: {1, 2, 3, 7},
    RejectSource.SERVICE_PROVIDER_ACSE: {1, 2},
    RejectSource.SERVICE_PROVIDER_PRESENTATION: {1, 2},
}
# PS3.8 9.3.8, Table 9-26: the reasons of a service-provider A-ABORT.
_PROVIDER_REASONS = set(AbortReason) - {AbortReason.RESERVED}


@pytest.fixture
def srv() -> Iterator[ServerUnderTest]:
    server = start_server()
    yield server
    server.stop()


# -- mutations of a valid A-ASSOCIATE-RQ --------------------------------------------


def _flip_bits(rng: random.Random, data: bytearray) -> None:
    for _ in range(rng.randint(1, 4)):
        data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)


def _overwrite(rng: random.Random, data: bytearray) -> None:
    start = rng.randrange(len(data))
    for index in range(start, min(len(data), start + rng.randint(1, 16))):
        data[index] = rng.randrange(256)


def _truncate(rng: random.Random, data: bytearray) -> None:
    del data[rng.randrange(1, len(data)) :]


def _insert(rng: random.Random, data: bytearray) -> None:
    at = rng.randrange(len(data))
    data[at:at] = rng.randbytes(rng.randint(1, 32))


def _delete(rng: random.Random, data: bytearray) -> None:
    start = rng.randrange(6, len(data))
    del data[start : start + rng.randint(1, 16)]


def _duplicate(rng: random.Random, data: bytearray) -> None:
    start = rng.randrange(6, len(data))
    piece = data[start : start + rng.randint(1, 64)]
    at = rng.randrange(6, len(data))
    data[at:at] = piece


def _item_length(rng: random.Random, data: bytearray) -> None:
    # The lengths are where a parser most often trusts its input (PS3.8 9.3.2).
    offset = rng.choice(item_length_offsets(bytes(data)))
    value = rng.choice([0, 1, 3, 4, 0xFFFF, rng.randrange(0x10000)])
    struct.pack_into(">H", data, offset, value)


_MUTATORS: list[Callable[[random.Random, bytearray], None]] = [
    _flip_bits,
    _overwrite,
    _truncate,
    _insert,
    _delete,
    _duplicate,
    _item_length,
]


def mutated_rq(index: int) -> bytes:
    """Case ``index``: a valid A-ASSOCIATE-RQ with one to three mutations.

    In most cases the PDU-length field is then set to match, so that the
    server parses the mutated body instead of only waiting for missing bytes.
    """
    rng = random.Random(SEED + index)
    data = bytearray(associate_rq_bytes(calling=f"FUZZ{index}"))
    for _ in range(rng.randint(1, 3)):
        rng.choice(_MUTATORS)(rng, data)
        if len(data) < 7:
            break
    if len(data) >= 6 and rng.random() < 0.8:
        return with_pdu_length(data)
    return bytes(data)


def is_whole_pdu(data: bytes) -> bool:
    """Whether ``data`` is one whole PDU that the server must answer.

    A header whose length matches what follows, of any type but A-ABORT (an
    A-ABORT of the right length is honoured by closing, AA-2, PS3.8 9.2).
    """
    if len(data) < 6 or data[0] == 0x07:
        return False
    length: int = struct.unpack_from(">L", data, 2)[0]  # PS3.8 9.3.1
    return length == len(data) - 6


def check_answer(pdus: list[PDU], case: str, *, must_answer: bool) -> None:
    """The first PDU answers an A-ASSOCIATE-RQ with values PS3.8 defines.

    A whole PDU is always answered: PS3.8 Table 9-10 gives Sta2 an action
    that sends a PDU for every PDU but an A-ABORT (AE-6 accepts or rejects an
    A-ASSOCIATE-RQ, AA-1 aborts on anything else, Evt19 included).
    """
    if not pdus:
        # A close without a PDU: allowed only for bytes that never made one.
        assert not must_answer, f"{case}: a whole PDU got no answer, only a close"
        return
    first = pdus[0]
    if isinstance(first, A_ASSOCIATE_RJ):
        assert first.result in set(RejectResult), case
        assert first.reason in _REJECT_REASONS[RejectSource(first.source)], case
    elif isinstance(first, A_ABORT):
        assert first.source in {AbortSource.SERVICE_USER, AbortSource.SERVICE_PROVIDER}
        if first.source == AbortSource.SERVICE_PROVIDER:
            assert first.reason in _PROVIDER_REASONS, case
    else:
        assert isinstance(first, A_ASSOCIATE_AC), case


def send_case(srv: ServerUnderTest, data: bytes, case: str) -> None:
    with srv.connect() as peer:
        peer.send(data)
        peer.shutdown_write()
        try:
            pdus = peer.read_until_close(PROMPT)
        except TimeoutError:
            pytest.fail(f"{case}: no answer and no close within {PROMPT} s")
    check_answer(pdus, case, must_answer=is_whole_pdu(data))


def _traced() -> int:
    gc.collect()
    current, _ = tracemalloc.get_traced_memory()
    return current


def test_mutated_associate_requests(srv: ServerUnderTest) -> None:
    # A few normal associations first, so that one-time allocations (caches,
    # lazily built tables, logging) are not counted as growth.
    for _ in range(3):
        srv.check_serves()
    tracemalloc.start()
    try:
        before = _traced()
        # Every case runs, and the failures are reported together.
        failures: list[str] = []
        for index in range(MUTATIONS):
            data = mutated_rq(index)
            try:
                send_case(srv, data, f"case {index}")
            except AssertionError as exc:
                failures.append(f"{exc}\n    sent {data.hex()}")
        srv.wait_no_associations()
        growth = _traced() - before
    finally:
        tracemalloc.stop()
    assert not failures, "\n".join(failures)
    assert growth < MEMORY_BOUND, f"traced memory grew by {growth} bytes"
    srv.check_serves()


def test_mutations_are_reproducible_and_varied() -> None:
    # The same index gives the same bytes, and the cases are not all alike.
    assert mutated_rq(7) == mutated_rq(7)
    cases = {mutated_rq(index) for index in range(MUTATIONS)}
    assert len(cases) > MUTATIONS * 0.9


@pytest.mark.parametrize("seed", range(12))
def test_random_garbage(srv: ServerUnderTest, seed: int) -> None:
    rng = random.Random(seed)
    data = rng.randbytes(rng.randint(1, 600))
    send_case(srv, data, f"garbage {seed}: {data.hex()}")
    srv.wait_no_associations()
    srv.check_serves()
