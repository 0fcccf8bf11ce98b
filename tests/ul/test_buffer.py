"""ReceiveBuffer: framing of PDUs out of arbitrarily split bytes (PS3.8 9.3.1)."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dicomnet.errors import (
    InvalidPDUParameterValueError,
    PDUTooLargeError,
    RemoteProtocolError,
    UnrecognizedPDUError,
)
from dicomnet.ul.buffer import DEFAULT_MAX_ASSOCIATION_PDU_LENGTH, ReceiveBuffer
from dicomnet.ul.pdu import P_DATA_TF, PDV, decode_pdu, encode_pdu
from tests.ul import strategies
from tests.ul.test_pdu import mutated_encodings

RELEASE_RQ = b"\x05\x00\x00\x00\x00\x04\x00\x00\x00\x00"
SETTINGS = settings(
    deadline=None, max_examples=100, suppress_health_check=[HealthCheck.too_slow]
)
# Streams of whole generated PDUs are slow to draw; 40 examples of up to 6
# PDUs cut at up to 20 places still mix every PDU type with every split.
STREAMS = settings(SETTINGS, max_examples=40)


def drain(buffer: ReceiveBuffer) -> list[bytes]:
    out = []
    while (pdu := buffer.next_pdu()) is not None:
        out.append(bytes(pdu))
    return out


def p_data(size: int) -> bytes:
    return encode_pdu(P_DATA_TF(pdvs=(PDV(1, 0, bytes(range(256)) * (size // 256)),)))


def test_whole_pdu_in_one_chunk_is_not_copied():
    data = RELEASE_RQ + RELEASE_RQ
    buffer = ReceiveBuffer()
    buffer.feed(data)
    assert len(buffer) == 20
    first = buffer.next_pdu()
    second = buffer.next_pdu()
    assert first is not None
    assert second is not None
    assert first.obj is data
    assert second.obj is data
    assert first.readonly
    assert bytes(second) == RELEASE_RQ
    assert buffer.next_pdu() is None
    assert len(buffer) == 0


def test_byte_at_a_time():
    stream = RELEASE_RQ + p_data(5000) + RELEASE_RQ
    buffer = ReceiveBuffer()
    out: list[bytes] = []
    for index in range(len(stream)):
        buffer.feed(stream[index : index + 1])
        out += drain(buffer)
        assert len(buffer) == index + 1 - sum(map(len, out))
    assert out == [RELEASE_RQ, p_data(5000), RELEASE_RQ]


@STREAMS
@given(st.lists(strategies.pdus(), min_size=1, max_size=6), st.data())
def test_random_splits_yield_the_same_pdus(pdus, data):
    encoded = [encode_pdu(pdu) for pdu in pdus]
    stream = b"".join(encoded)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=20)))
    buffer = ReceiveBuffer()
    out: list[bytes] = []
    for start, end in zip([0, *cuts], [*cuts, len(stream)], strict=True):
        chunk = stream[start:end]
        buffer.feed(data.draw(st.sampled_from([bytes, bytearray, memoryview]))(chunk))
        out += drain(buffer)
    assert out == encoded
    assert [decode_pdu(raw) for raw in out] == pdus
    assert len(buffer) == 0


@SETTINGS
@given(st.lists(st.integers(1, 9000), min_size=1, max_size=12))
def test_mixed_small_and_large_chunks(sizes):
    # Chunks on both sides of the coalescing threshold, in any order.
    stream = b"".join(p_data(n) for n in (300, 9000, 12, 4500)) + RELEASE_RQ
    buffer = ReceiveBuffer()
    out: list[bytes] = []
    position = 0
    for size in sizes:
        buffer.feed(stream[position : position + size])
        position += size
        out += drain(buffer)
    buffer.feed(stream[position:])
    out += drain(buffer)
    assert b"".join(out) == stream
    assert len(buffer) == 0


def test_kept_views_stay_valid_after_more_data():
    buffer = ReceiveBuffer()
    kept = []
    stream = (RELEASE_RQ + p_data(3000)) * 4
    for index in range(0, len(stream), 7):
        buffer.feed(bytearray(stream[index : index + 7]))
        while (pdu := buffer.next_pdu()) is not None:
            kept.append(pdu)
    assert [bytes(pdu) for pdu in kept] == [RELEASE_RQ, p_data(3000)] * 4
    assert all(pdu.readonly for pdu in kept)


def test_fed_bytearray_is_copied():
    chunk = bytearray(RELEASE_RQ)
    buffer = ReceiveBuffer()
    buffer.feed(chunk)
    chunk[0] = 0x07  # the caller reuses its receive buffer
    pdu = buffer.next_pdu()
    assert pdu is not None
    assert bytes(pdu) == RELEASE_RQ


def test_empty_feed_is_a_no_op():
    buffer = ReceiveBuffer()
    buffer.feed(b"")
    assert len(buffer) == 0
    assert buffer.next_pdu() is None


def test_incomplete_header_and_body_yield_none():
    buffer = ReceiveBuffer()
    buffer.feed(RELEASE_RQ[:3])
    assert buffer.next_pdu() is None
    buffer.feed(RELEASE_RQ[3:8])
    assert buffer.next_pdu() is None
    buffer.feed(RELEASE_RQ[8:])
    assert drain(buffer) == [RELEASE_RQ]


# -- limits ------------------------------------------------------------------------


def test_oversize_p_data_raises_after_the_header():
    buffer = ReceiveBuffer(max_pdu_length=16384)
    buffer.feed(b"\x04\x00\xff\xff")
    with pytest.raises(PDUTooLargeError) as info:
        buffer.feed(b"\xff\xff")
    assert isinstance(info.value, InvalidPDUParameterValueError)
    assert info.value.abort_reason == 6
    assert len(buffer) == 6


def test_oversize_association_pdu_raises_after_the_header():
    buffer = ReceiveBuffer()
    with pytest.raises(PDUTooLargeError):
        buffer.feed(b"\x01\x00\xff\xff\xff\xff")


def test_p_data_limit_counts_the_pdu_length_field():
    # PS3.8 D.1: the maximum length bounds the PDU-length field (the PDV
    # items), not the 6-byte header.
    pdu = p_data(1024)
    limit = len(pdu) - 6
    buffer = ReceiveBuffer(max_pdu_length=limit)
    buffer.feed(pdu)
    assert drain(buffer) == [pdu]
    buffer.max_pdu_length = limit - 1  # settable once negotiated
    with pytest.raises(PDUTooLargeError):
        buffer.feed(pdu)


def test_limits_of_zero_mean_no_limit():
    buffer = ReceiveBuffer(max_pdu_length=0, max_association_pdu_length=0)
    buffer.feed(b"\x04\x00\xff\xff\xff\xff")
    buffer.feed(b"\x01")
    assert buffer.next_pdu() is None


def test_association_limit_is_separate_from_p_data_limit():
    buffer = ReceiveBuffer(max_pdu_length=100, max_association_pdu_length=10)
    buffer.feed(encode_pdu(P_DATA_TF(pdvs=(PDV(1, 0, bytes(90)),))))
    assert buffer.next_pdu() is not None
    with pytest.raises(PDUTooLargeError):
        buffer.feed(b"\x02\x00\x00\x00\x00\x0b")
    assert DEFAULT_MAX_ASSOCIATION_PDU_LENGTH >= 1 << 20


def test_second_pdu_in_a_chunk_is_checked_when_reached():
    buffer = ReceiveBuffer(max_pdu_length=100)
    buffer.feed(RELEASE_RQ + b"\x04\x00\x00\x01\x00\x00")
    assert buffer.next_pdu() is not None
    with pytest.raises(PDUTooLargeError):
        buffer.next_pdu()


@pytest.mark.parametrize("pdu_type", [0x00, 0x08, 0x47, 0xFF])
def test_unknown_type_raises_on_the_first_byte(pdu_type):
    buffer = ReceiveBuffer()
    with pytest.raises(UnrecognizedPDUError) as info:
        buffer.feed(bytes([pdu_type]))
    assert info.value.abort_reason == 1


def test_unknown_type_after_a_pdu():
    buffer = ReceiveBuffer()
    buffer.feed(RELEASE_RQ + b"\x48")
    assert buffer.next_pdu() is not None
    with pytest.raises(UnrecognizedPDUError):
        buffer.next_pdu()


# -- fuzz --------------------------------------------------------------------------


@SETTINGS
@given(st.lists(st.binary(min_size=1, max_size=64), max_size=16))
def test_fuzz_feeding_raises_only_protocol_errors(chunks):
    buffer = ReceiveBuffer(max_pdu_length=4096, max_association_pdu_length=4096)
    with contextlib.suppress(RemoteProtocolError):
        for chunk in chunks:
            buffer.feed(chunk)
            while (pdu := buffer.next_pdu()) is not None:
                with contextlib.suppress(RemoteProtocolError):
                    decode_pdu(pdu)


@STREAMS
@given(st.lists(mutated_encodings(), min_size=1, max_size=4), st.data())
def test_fuzz_feeding_mutated_streams(encodings, data):
    stream = b"".join(encodings)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=8)))
    buffer = ReceiveBuffer(max_pdu_length=4096)
    with contextlib.suppress(RemoteProtocolError):
        for start, end in zip([0, *cuts], [*cuts, len(stream)], strict=True):
            buffer.feed(stream[start:end])
            while (pdu := buffer.next_pdu()) is not None:
                with contextlib.suppress(RemoteProtocolError):
                    decode_pdu(pdu)
