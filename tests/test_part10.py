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
    summarise_file_meta,
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


# -- summarise_file_meta: the fast path of sending a file ---------------------------


def _saved(tmp_path_factory: pytest.TempPathFactory, **meta: object) -> bytes:
    from pydicom.dataset import Dataset, FileMetaDataset

    ds = Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    ds.SOPInstanceUID = "1.2.3.4.5"
    ds.PatientName = "Doe^Jane"
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.1"
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    for keyword, value in meta.items():
        setattr(ds.file_meta, keyword, value)
    path = tmp_path_factory.mktemp("meta") / "f.dcm"
    ds.save_as(path, enforce_file_format=True)
    return path.read_bytes()


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"SourceApplicationEntityTitle": "ODD"},
        {"PrivateInformationCreatorUID": "1.2.3", "PrivateInformation": b"\x01\x02"},
        {"ImplementationVersionName": "ODDLEN"},
    ],
)
def test_summary_agrees_with_pydicom(
    tmp_path_factory: pytest.TempPathFactory, extra: dict[str, object]
) -> None:
    from io import BytesIO

    from pydicom.filereader import _read_file_meta_info, read_preamble

    data = _saved(tmp_path_factory, **extra)
    summary = summarise_file_meta(data[:4096])
    assert summary is not None
    stream = BytesIO(data)
    read_preamble(stream, force=False)
    meta = _read_file_meta_info(stream)
    assert summary == (
        meta.MediaStorageSOPClassUID,
        meta.MediaStorageSOPInstanceUID,
        meta.TransferSyntaxUID,
        stream.tell(),
    )


def test_summary_gives_up_on_what_it_cannot_read(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    data = _saved(tmp_path_factory)
    assert summarise_file_meta(data[:150]) is None  # cut short
    assert summarise_file_meta(b"\x08\x00" + data[2:128] + b"XXXX" + data[132:]) is None
    no_syntax = _saved(tmp_path_factory)
    # The group length counts one element too many: the walk overruns it.
    broken = bytearray(no_syntax)
    broken[140:144] = (int.from_bytes(broken[140:144], "little") + 8).to_bytes(
        4, "little"
    )
    assert summarise_file_meta(bytes(broken)) is None
