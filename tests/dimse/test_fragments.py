"""Fragmentation into PDVs and reassembly (PS3.8 Annex E)."""

from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dicomnet.dimse.commands import decode_command, encode_command
from dicomnet.dimse.fragments import (
    PDV_OVERHEAD,
    MessageAssembler,
    fragment,
    fragment_size,
)
from dicomnet.errors import (
    InvalidFragmentError,
    InvalidMessageError,
    LocalProtocolError,
    RemoteProtocolError,
)
from dicomnet.ul.pdu import HEADER_LENGTH, PDV, decode_pdu, encode_pdu

COMMAND_NO_DATA = encode_command({"CommandField": 0x30, "CommandDataSetType": 0x0101})
COMMAND_DATA = encode_command({"CommandField": 0x01, "CommandDataSetType": 0x0001})


class RecordingSink:
    def __init__(self):
        self.chunks = []
        self.closed = False
        self.discarded = False

    def write(self, fragment):
        self.chunks.append(bytes(fragment))

    def close(self):
        self.closed = True

    def discard(self):
        self.discarded = True


def joined(data: tuple[bytes | memoryview, ...] | None) -> bytes | None:
    """The data set of a received message: its fragments, joined."""
    return None if data is None else b"".join(data)


def _pdvs(pdus):
    return [pdv for pdu in pdus for pdv in pdu.pdvs]


@given(
    st.integers(7, 300) | st.just(0),
    st.binary(max_size=700) | st.none(),
    st.booleans(),
)
def test_fragments_fit_and_reassemble(max_pdu, data, as_file):
    payload = io.BytesIO(data) if as_file and data is not None else data
    command = COMMAND_NO_DATA if data is None else COMMAND_DATA
    pdus = list(fragment(1, command, payload, max_pdu, chunk_size=37))
    assembler = MessageAssembler({1})
    message = None
    for pdu in pdus:
        encoded = encode_pdu(pdu)
        assert max_pdu == 0 or len(encoded) - HEADER_LENGTH <= max_pdu
        for pdv in decode_pdu(encoded).pdvs:
            assert message is None  # nothing after the message is complete
            message = assembler.feed(pdv)
    pdvs = _pdvs(pdus)
    commands = [p for p in pdvs if p.is_command]
    datas = [p for p in pdvs if not p.is_command]
    # Command fragments first, then data; exactly one last fragment of each.
    assert pdvs == commands + datas
    assert [p.is_last_fragment for p in commands] == [False] * (len(commands) - 1) + [
        True
    ]
    if data is None:
        assert datas == []
    else:
        assert [p.is_last_fragment for p in datas] == [False] * (len(datas) - 1) + [
            True
        ]
        assert all(len(p.data) for p in datas[:-1])
    assert message is not None
    assert data is None or joined(message.data) == data
    assert message.command == decode_command(command)


@given(st.integers(7, 100), st.binary(min_size=1, max_size=500))
def test_fragments_are_full_but_the_last(max_pdu, data):
    pdvs = _pdvs(fragment(1, COMMAND_DATA, data, max_pdu))
    sizes = [len(p.data) for p in pdvs if not p.is_command]
    assert all(size == max_pdu - PDV_OVERHEAD for size in sizes[:-1])


def test_data_fragments_are_views_not_copies():
    data = bytearray(b"abcdefgh" * 10)
    pdvs = _pdvs(fragment(1, COMMAND_DATA, data, 16))
    data[0:1] = b"Z"
    assert bytes(next(p for p in pdvs if not p.is_command).data)[:1] == b"Z"


def test_wide_memoryview_is_cut_by_bytes():
    view = memoryview(bytes(range(40))).cast("I")
    pdvs = _pdvs(fragment(1, COMMAND_DATA, view, 16))
    assert b"".join(bytes(p.data) for p in pdvs if not p.is_command) == bytes(range(40))


def test_empty_data_set_is_one_empty_last_fragment():
    pdvs = _pdvs(fragment(3, COMMAND_DATA, b"", 0))
    assert len(pdvs) == 2
    assert pdvs[1] == PDV(3, 0x02, pdvs[1].data)
    assert bytes(pdvs[1].data) == b""
    pdvs = _pdvs(fragment(3, COMMAND_DATA, io.BytesIO(), 0))
    assert bytes(pdvs[1].data) == b""
    assert pdvs[1].message_control_header == 0x02


def test_unlimited_sends_one_pdv_each():
    pdvs = _pdvs(fragment(5, COMMAND_DATA, b"x" * 100_000, 0))
    assert [p.message_control_header for p in pdvs] == [0x03, 0x02]


def test_file_is_streamed_lazily():
    stream = io.BytesIO(b"y" * 1000)
    pdus = fragment(1, COMMAND_DATA, stream, 106, chunk_size=200)
    assert stream.tell() == 0  # nothing read before the first PDU is taken
    next(pdus)
    next(pdus)  # first data fragment: one chunk plus look-ahead read
    assert stream.tell() <= 400
    rest = list(pdus)
    assert sum(len(p.pdvs[0].data) for p in rest) == 900


@pytest.mark.parametrize("max_pdu", [1, 6])
def test_too_small_maximum(max_pdu):
    with pytest.raises(LocalProtocolError):
        fragment(1, COMMAND_DATA, None, max_pdu)
    with pytest.raises(LocalProtocolError):
        fragment_size(max_pdu)


def test_fragment_size():
    assert fragment_size(7) == 1
    assert fragment_size(16382) == 16376
    assert fragment_size(0) == 0xFFFFFFFF - 6
    assert fragment_size(1 << 40) == 0xFFFFFFFF - 6


# -- assembler -------------------------------------------------------------------


def test_message_without_data_set():
    assembler = MessageAssembler({1})
    message = assembler.feed(PDV(1, 0x03, COMMAND_NO_DATA))
    assert message.data is None
    assert message.sink is None
    assert message.context_id == 1
    assert not assembler.in_progress


def test_command_in_pieces_then_data():
    assembler = MessageAssembler({1, 3})
    assert assembler.feed(PDV(3, 0x01, COMMAND_DATA[:5])) is None
    assert assembler.in_progress
    assert assembler.feed(PDV(3, 0x03, COMMAND_DATA[5:])) is None
    assert assembler.feed(PDV(3, 0x00, memoryview(b"ab"))) is None
    message = assembler.feed(PDV(3, 0x02, b"cd"))
    assert joined(message.data) == b"abcd"
    assert message.context_id == 3
    # PS3.8 E.2: reserved bits are not tested on receipt.
    assert assembler.feed(PDV(1, 0xFF ^ 0x00 | 0x03, COMMAND_NO_DATA)) is not None


def test_sink_takes_data_set():
    sinks = []

    def factory(context_id, command):
        sinks.append(RecordingSink())
        assert context_id == 1
        assert command["CommandField"] == 0x01
        return sinks[-1]

    assembler = MessageAssembler({1}, sink_factory=factory)
    assembler.feed(PDV(1, 0x03, COMMAND_DATA))
    assembler.feed(PDV(1, 0x00, b"ab"))
    message = assembler.feed(PDV(1, 0x02, b"cd"))
    assert message.sink is sinks[0]
    assert message.data is None
    assert sinks[0].chunks == [b"ab", b"cd"]
    assert sinks[0].closed
    # A factory returning None keeps the data in memory.
    memory = MessageAssembler({1}, sink_factory=lambda *_: None)
    memory.feed(PDV(1, 0x03, COMMAND_DATA))
    assert joined(memory.feed(PDV(1, 0x02, b"z")).data) == b"z"


@pytest.mark.parametrize(
    ("pdvs", "match"),
    [
        ([PDV(5, 0x03, COMMAND_NO_DATA)], "unaccepted context 5"),
        ([PDV(1, 0x02, b"x")], "before the last fragment of the command"),
        ([PDV(1, 0x01, COMMAND_DATA[:4]), PDV(1, 0x00, b"x")], "before the last"),
        ([PDV(1, 0x01, COMMAND_DATA[:4]), PDV(3, 0x03, b"x")], "middle of a message"),
        (
            [PDV(1, 0x03, COMMAND_DATA), PDV(1, 0x03, COMMAND_DATA)],
            "command fragment after",
        ),
        ([PDV(1, 0x03, COMMAND_DATA), PDV(3, 0x02, b"x")], "middle of a message"),
        ([PDV(1, 0x01, b"x" * 60), PDV(1, 0x01, b"x" * 60)], "command set over 100"),
    ],
)
def test_assembler_errors(pdvs, match):
    sink = RecordingSink()
    assembler = MessageAssembler(
        {1, 3}, max_command_length=100, sink_factory=lambda *_: sink
    )
    for pdv in pdvs[:-1]:
        assembler.feed(pdv)
    with pytest.raises(InvalidFragmentError, match=match) as info:
        assembler.feed(pdvs[-1])
    assert info.value.abort_reason == 6
    assert not assembler.in_progress
    # A sink that had started is discarded: no partial data set is left.
    assert sink.discarded == (pdvs[0] == PDV(1, 0x03, COMMAND_DATA))
    # The assembler is usable again afterwards.
    assert assembler.feed(PDV(1, 0x03, COMMAND_NO_DATA)) is not None


def test_malformed_command_is_invalid_message():
    assembler = MessageAssembler({1})
    with pytest.raises(InvalidMessageError) as info:
        assembler.feed(PDV(1, 0x03, b"\x00" * 12))
    assert info.value.abort_source == 0  # service-user abort, PS3.8 9.3.8
    assert not assembler.in_progress


def test_failing_sink_discards_and_propagates():
    class Full(RecordingSink):
        def write(self, fragment):
            raise OSError("disk full")

    sink = Full()
    assembler = MessageAssembler({1}, sink_factory=lambda *_: sink)
    assembler.feed(PDV(1, 0x03, COMMAND_DATA))
    with pytest.raises(OSError, match="disk full"):
        assembler.feed(PDV(1, 0x00, b"x"))
    assert sink.discarded
    assert not assembler.in_progress


def test_discard_mid_message():
    sink = RecordingSink()
    assembler = MessageAssembler({1}, sink_factory=lambda *_: sink)
    assembler.feed(PDV(1, 0x03, COMMAND_DATA))
    assembler.feed(PDV(1, 0x00, b"x"))
    assembler.discard()
    assert sink.discarded
    assert not sink.closed
    assembler.discard()  # idempotent, nothing in progress


@given(
    st.lists(
        st.tuples(
            st.sampled_from([1, 2, 3]), st.integers(0, 255), st.binary(max_size=40)
        ),
        max_size=20,
    )
)
def test_fuzz_assembler(pdvs):
    assembler = MessageAssembler({1, 3}, max_command_length=200)
    for context_id, control, data in pdvs:
        _feed_checked(assembler, PDV(context_id, control, data))


def _feed_checked(assembler, pdv):
    """Feed one PDV: a message, None, or a protocol error that resets."""
    try:
        assembler.feed(pdv)
    except RemoteProtocolError:
        assert not assembler.in_progress
