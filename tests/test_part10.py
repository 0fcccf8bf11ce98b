"""The PS3.10 header around a received data set, packed by hand and by pydicom."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dicomnet._part10 import (
    build_file_meta,
    data_set_offset,
    file_header,
    part10_header,
)

uid = st.from_regex(r"\A[1-9][0-9]{0,5}(\.[1-9][0-9]{0,5}){1,8}\Z")
syntax = st.sampled_from(
    ["1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.4.50"]
)


@given(uid, uid, syntax)
def test_packed_header_is_pydicoms(sop_class: str, sop_instance: str, ts: str) -> None:
    expected = part10_header(build_file_meta(sop_class, sop_instance, ts))
    assert file_header(sop_class, sop_instance, ts) == expected


@given(uid, uid, syntax)
def test_data_set_starts_after_the_header(
    sop_class: str, sop_instance: str, ts: str
) -> None:
    header = file_header(sop_class, sop_instance, ts)
    assert data_set_offset(header + b"data") == len(header)


def test_a_bare_data_set_starts_at_zero() -> None:
    assert data_set_offset(b"\x08\x00\x16\x00" + bytes(200)) == 0


def test_meta_without_group_length_is_refused() -> None:
    head = bytes(128) + b"DICM" + b"\x02\x00\x01\x00OB\x00\x00" + bytes(8)
    with pytest.raises(ValueError, match="Group Length"):
        data_set_offset(head)
    with pytest.raises(ValueError, match="truncated"):
        data_set_offset(bytes(128) + b"DICM")
