"""FragmentedBytesIO: a BytesIO joined from received fragments on first use."""

from __future__ import annotations

from io import BytesIO

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydicom.dataset import Dataset
from pydicom.filebase import DicomBytesIO
from pydicom.filereader import read_dataset
from pydicom.filewriter import write_dataset

from dicomnet.dimse.parts import FragmentedBytesIO

fragments = st.lists(st.binary(max_size=20), max_size=6)


def test_fragments_stay_unjoined_until_read() -> None:
    source = b"abcdef"
    parts = (memoryview(source)[:2], memoryview(source)[2:])
    buffer = FragmentedBytesIO(parts)
    assert buffer.fragments is parts
    assert buffer.size == 6
    assert buffer.read(3) == b"abc"
    assert buffer.fragments is None
    assert buffer.size == 6
    assert buffer.getvalue() == source


@given(fragments)
def test_every_read_method_sees_the_joined_data(parts: list[bytes]) -> None:
    data = b"".join(parts)
    for use in (
        lambda b: b.getvalue(),
        lambda b: bytes(b.getbuffer()),
        lambda b: b.read(),
        lambda b: b.read1(),
        lambda b: b.readline() + b.read(),
        lambda b: b"".join(b.readlines()),
        lambda b: b"".join(iter(b)),
    ):
        assert use(FragmentedBytesIO(parts)) == data


def test_position_and_writes_act_on_the_joined_data() -> None:
    buffer = FragmentedBytesIO([b"ab", b"cd"])
    assert buffer.seek(0, 2) == 4
    buffer.write(b"ef")
    assert buffer.tell() == 6
    assert buffer.getvalue() == b"abcdef"
    target = bytearray(3)
    buffer.seek(1)
    assert buffer.readinto(target) == 3
    assert bytes(target) == b"bcd"
    buffer.truncate(2)
    assert buffer.getvalue() == b"ab"


def test_fresh_buffer_tells_zero() -> None:
    buffer = FragmentedBytesIO([b"xy"])
    assert buffer.tell() == 0
    assert isinstance(buffer, BytesIO)


@pytest.mark.parametrize("split", [1, 7, 100])
def test_pydicom_reads_a_data_set_from_it(split: int) -> None:
    ds = Dataset()
    ds.PatientName = "Doe^Jane"
    ds.PatientID = "12345"
    out = DicomBytesIO()
    out.is_little_endian, out.is_implicit_VR = True, True
    write_dataset(out, ds)
    encoded = out.getvalue()
    parts = [encoded[i : i + split] for i in range(0, len(encoded), split)]
    read = read_dataset(
        FragmentedBytesIO(parts), is_implicit_VR=True, is_little_endian=True
    )
    assert read.PatientName == "Doe^Jane"
    assert read.PatientID == "12345"
