"""Archive.store: Part 10 files from bytes, files and data sets; replacing;
UID sanitising; a full disk."""

from __future__ import annotations

import errno
import sqlite3
import zlib
from pathlib import Path

import pytest
from pydicom import Dataset, config, dcmread
from pydicom.dataelem import DataElement
from pydicom.dataset import FileMetaDataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_dataset
from pydicom.uid import (
    UID,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
)

from dicomnet._part10 import build_file_meta, part10_header
from dicomnet._version import (
    DICOMNET_IMPLEMENTATION_UID,
    DICOMNET_IMPLEMENTATION_VERSION,
)
from dicomnet.archive import Archive, ArchiveFullError, QueryLevel, QueryModel
from dicomnet.archive import archive as archive_module
from dicomnet.archive import store as store_module

from .corpus import CT, MR, make_instance, query, values

SYNTAXES = [
    ImplicitVRLittleEndian,
    ExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    DeflatedExplicitVRLittleEndian,
]


def encode(ds: Dataset, syntax: str) -> bytes:
    """Return ``ds`` encoded as a C-STORE data set in ``syntax``."""
    uid = UID(syntax)
    buffer = DicomBytesIO()
    buffer.is_implicit_VR = uid.is_implicit_VR
    buffer.is_little_endian = uid.is_little_endian
    write_dataset(buffer, ds)
    body = buffer.getvalue()
    if uid.is_deflated:
        compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
        body = compressor.compress(body) + compressor.flush()
    return body


def files_under(root: Path) -> list[str]:
    """Return the files under ``root`` except the index's."""
    return sorted(
        str(path.relative_to(root))
        for path in root.rglob("*")
        if path.is_file() and not path.name.startswith("index.sqlite")
    )


def assert_part10(path: Path, ds: Dataset, syntax: str) -> None:
    raw = path.read_bytes()
    assert raw[:128] == bytes(128)
    assert raw[128:132] == b"DICM"
    read = dcmread(path)
    meta = read.file_meta
    assert meta.MediaStorageSOPClassUID == ds.SOPClassUID
    assert meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
    assert meta.TransferSyntaxUID == syntax
    assert meta.ImplementationClassUID == DICOMNET_IMPLEMENTATION_UID
    assert meta.ImplementationVersionName == DICOMNET_IMPLEMENTATION_VERSION
    assert meta.FileMetaInformationVersion == b"\x00\x01"
    assert read == ds


# -- the three sources -----------------------------------------------------------


@pytest.mark.parametrize("syntax", SYNTAXES)
def test_store_dataset(archive: Archive, syntax: str) -> None:
    ds = make_instance("1.1.2.1")
    path = archive.store(dataset=ds, transfer_syntax=syntax)
    assert path == archive.root / "1.1" / "1.1.2" / "1.1.2.1.dcm"
    assert_part10(path, ds, syntax)
    assert archive.instance_count() == 1


@pytest.mark.parametrize("syntax", SYNTAXES)
def test_store_bytes(archive: Archive, syntax: str) -> None:
    ds = make_instance("1.1.2.1")
    path = archive.store(encode(ds, syntax), transfer_syntax=syntax)
    assert_part10(path, ds, syntax)
    # The data set is written as received, not re-encoded.
    assert path.read_bytes().endswith(encode(ds, syntax))


@pytest.mark.parametrize("syntax", SYNTAXES)
@pytest.mark.parametrize("with_meta", [False, True])
def test_store_chunks(archive: Archive, syntax: str, with_meta: bool) -> None:
    ds = make_instance("1.1.2.1")
    body = memoryview(encode(ds, syntax))
    chunks = [body[:7], body[7:100], body[100:]]
    meta = None
    if with_meta:
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = ds.SOPClassUID
        meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    path = archive.store(iter(chunks), transfer_syntax=syntax, file_meta=meta)
    assert_part10(path, ds, syntax)
    assert files_under(archive.root) == ["1.1/1.1.2/1.1.2.1.dcm"]


def test_file_meta_extra_elements_are_kept(archive: Archive) -> None:
    ds = make_instance("1.1.1.1")
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.ImplementationClassUID = UID("1.2.3.4")  # another writer: replaced
    meta.SourceApplicationEntityTitle = "MODALITY"
    path = archive.store(
        encode(ds, ExplicitVRLittleEndian),
        transfer_syntax=ExplicitVRLittleEndian,
        file_meta=meta,
    )
    read = dcmread(path)
    assert read.file_meta.SourceApplicationEntityTitle == "MODALITY"
    assert read.file_meta.ImplementationClassUID == DICOMNET_IMPLEMENTATION_UID
    assert read == ds


@pytest.mark.parametrize(
    "uids",
    [
        ("1.2.840.10008.5.1.4.1.1.7", "1.2.3.4.5.6"),
        ("1.2", "1.23"),
        (CT, "2.25.1234567890123456789012345678901234567890"),
    ],
)
def test_plain_header_is_pydicoms(uids: tuple[str, str]) -> None:
    # The hand-packed File Meta Information equals pydicom's encoding.
    for syntax in SYNTAXES:
        expected = part10_header(build_file_meta(*uids, syntax))
        assert store_module._header(uids, syntax, None) == expected


def test_store_path_moves_the_file(archive: Archive, tmp_path: Path) -> None:
    ds = make_instance("1.1.1.2")
    source = tmp_path / "incoming.dcm"
    source.write_bytes(
        part10_header(build_file_meta(CT, "1.1.1.2", ExplicitVRLittleEndian))
        + encode(ds, ExplicitVRLittleEndian)
    )
    content = source.read_bytes()
    path = archive.store(path=str(source), transfer_syntax=ExplicitVRLittleEndian)
    assert not source.exists()
    assert path.read_bytes() == content
    assert archive.instance_count() == 1


def test_store_path_across_file_systems_copies(
    archive: Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ds = make_instance("1.1.1.2")
    source = tmp_path / "other-fs.dcm"
    source.write_bytes(
        part10_header(build_file_meta(CT, "1.1.1.2", ImplicitVRLittleEndian))
        + encode(ds, ImplicitVRLittleEndian)
    )
    content = source.read_bytes()
    replace = Path.replace

    def cross_device(self: Path, target: Path) -> Path:
        if self == source:
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        return replace(self, target)

    monkeypatch.setattr(Path, "replace", cross_device)
    path = archive.store(path=source, transfer_syntax=ImplicitVRLittleEndian)
    assert path.read_bytes() == content
    assert not source.exists()
    assert files_under(archive.root) == ["1.1/1.1.1/1.1.1.2.dcm"]


@pytest.mark.parametrize(
    ("content", "syntax"),
    [
        (b"not dicom at all" * 20, ExplicitVRLittleEndian),
        # A Part 10 file in another transfer syntax than the one announced.
        (
            part10_header(build_file_meta(CT, "1.1.1.2", ImplicitVRLittleEndian))
            + encode(make_instance("1.1.1.2"), ImplicitVRLittleEndian),
            ExplicitVRLittleEndian,
        ),
        # A bare data set: no File Meta Information.
        (
            encode(make_instance("1.1.1.2"), ExplicitVRLittleEndian),
            ExplicitVRLittleEndian,
        ),
    ],
)
def test_store_path_rejects_bad_files(
    archive: Archive, tmp_path: Path, content: bytes, syntax: str
) -> None:
    source = tmp_path / "bad.dcm"
    source.write_bytes(content)
    with pytest.raises(ValueError):
        archive.store(path=source, transfer_syntax=syntax)
    assert source.read_bytes() == content
    assert files_under(archive.root) == []


@pytest.mark.parametrize("sources", [{}, {"dataset": True, "path": True}])
def test_store_needs_exactly_one_source(
    archive: Archive, tmp_path: Path, sources: dict[str, bool]
) -> None:
    kwargs: dict[str, object] = {}
    if "dataset" in sources:
        kwargs["dataset"] = make_instance("1.1.1.1")
    if "path" in sources:
        kwargs["path"] = tmp_path / "x.dcm"
    with pytest.raises(ValueError, match="exactly one"):
        archive.store(transfer_syntax=ExplicitVRLittleEndian, **kwargs)  # type: ignore[arg-type]


def test_file_meta_must_name_the_data_set(archive: Archive) -> None:
    ds = make_instance("1.1.1.1")
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UID(CT)
    meta.MediaStorageSOPInstanceUID = UID("9.9.9")
    with pytest.raises(ValueError, match=r"File Meta Information names '9\.9\.9'"):
        archive.store(
            encode(ds, ExplicitVRLittleEndian),
            transfer_syntax=ExplicitVRLittleEndian,
            file_meta=meta,
        )
    with pytest.raises(ValueError, match="File Meta Information names"):
        archive.store(
            dataset=ds, transfer_syntax=ExplicitVRLittleEndian, file_meta=meta
        )
    meta.MediaStorageSOPClassUID = UID(MR)
    meta.MediaStorageSOPInstanceUID = UID(ds.SOPInstanceUID)
    with pytest.raises(ValueError, match="SOPClassUID"):
        archive.store(
            encode(ds, ExplicitVRLittleEndian),
            transfer_syntax=ExplicitVRLittleEndian,
            file_meta=meta,
        )
    assert files_under(archive.root) == []


def test_unreadable_bytes(archive: Archive) -> None:
    with pytest.raises(ValueError):
        archive.store(
            b"\x08\x00\x16\x00UI\xff\xff", transfer_syntax=ExplicitVRLittleEndian
        )
    with pytest.raises(ValueError):
        archive.store(b"garbage!", transfer_syntax=DeflatedExplicitVRLittleEndian)
    assert files_under(archive.root) == []


def test_private_transfer_syntax_is_explicit_little(archive: Archive) -> None:
    ds = make_instance("1.1.1.1")
    path = archive.store(
        encode(ds, ExplicitVRLittleEndian), transfer_syntax="1.2.3.4.5"
    )
    assert dcmread(path).file_meta.TransferSyntaxUID == "1.2.3.4.5"


# -- replacing -------------------------------------------------------------------


def test_restore_replaces_file_and_index(archive: Archive) -> None:
    first = archive.store(
        dataset=make_instance("1.1.1.1"), transfer_syntax=ExplicitVRLittleEndian
    )
    second = archive.store(
        dataset=make_instance(
            "1.1.1.1", PatientName="Doe^Johnny", StudyDescription="New"
        ),
        transfer_syntax=ImplicitVRLittleEndian,
    )
    assert first == second
    assert archive.instance_count() == 1
    assert dcmread(second).PatientName == "Doe^Johnny"
    assert dcmread(second).file_meta.TransferSyntaxUID == ImplicitVRLittleEndian
    studies = list(
        archive.find(
            query(QueryLevel.STUDY, PatientName=None, StudyDescription=None),
            QueryModel.STUDY_ROOT,
        )
    )
    assert values(studies, "PatientName") == ["Doe^Johnny"]
    assert values(studies, "StudyDescription") == ["New"]
    assert files_under(archive.root) == ["1.1/1.1.1/1.1.1.1.dcm"]


def test_restore_into_another_study_moves_everything(archive: Archive) -> None:
    archive.store(
        dataset=make_instance("1.1.1.1"), transfer_syntax=ExplicitVRLittleEndian
    )
    archive.store(
        dataset=make_instance("1.2.1.1"), transfer_syntax=ExplicitVRLittleEndian
    )
    moved = make_instance("1.1.1.1", StudyInstanceUID="1.2", SeriesInstanceUID="1.2.1")
    path = archive.store(dataset=moved, transfer_syntax=ExplicitVRLittleEndian)
    assert path == archive.root / "1.2" / "1.2.1" / "1.1.1.1.dcm"
    assert archive.instance_count() == 2
    # The old file, its emptied directories and index rows are gone.
    assert files_under(archive.root) == [
        "1.2/1.2.1/1.1.1.1.dcm",
        "1.2/1.2.1/1.2.1.1.dcm",
    ]
    assert not (archive.root / "1.1").exists()
    studies = list(
        archive.find(
            query(
                QueryLevel.STUDY,
                StudyInstanceUID=None,
                NumberOfStudyRelatedInstances=None,
            ),
            QueryModel.STUDY_ROOT,
        )
    )
    assert values(studies, "StudyInstanceUID") == ["1.2"]
    assert values(studies, "NumberOfStudyRelatedInstances") == ["2"]


def test_study_moving_to_another_patient_prunes_the_old_one(archive: Archive) -> None:
    archive.store(
        dataset=make_instance("1.1.1.1"), transfer_syntax=ExplicitVRLittleEndian
    )
    archive.store(
        dataset=make_instance("1.1.1.1", PatientID="P9", PatientName="New^Name"),
        transfer_syntax=ExplicitVRLittleEndian,
    )
    patients = list(
        archive.find(query(QueryLevel.PATIENT, PatientID=None), QueryModel.PATIENT_ROOT)
    )
    assert values(patients, "PatientID") == ["P9"]


def test_empty_values_do_not_erase_stored_ones(archive: Archive) -> None:
    archive.store(
        dataset=make_instance("1.1.1.1"), transfer_syntax=ExplicitVRLittleEndian
    )
    archive.store(
        dataset=make_instance("1.1.1.2", StudyDescription="", PatientBirthDate=""),
        transfer_syntax=ExplicitVRLittleEndian,
    )
    studies = list(
        archive.find(
            query(QueryLevel.STUDY, StudyDescription=None, PatientBirthDate=None),
            QueryModel.STUDY_ROOT,
        )
    )
    assert values(studies, "StudyDescription") == ["Head"]
    assert values(studies, "PatientBirthDate") == ["19700101"]


# -- UID sanitising --------------------------------------------------------------


def with_uid(keyword: str, uid: str) -> Dataset:
    ds = make_instance("1.1.1.1")
    tag = ds.data_element(keyword).tag  # type: ignore[union-attr]
    del ds[tag]
    ds.add(DataElement(tag, "UI", uid, validation_mode=config.IGNORE))
    return ds


BAD_UIDS = ["../../etc", "1.2/3", "1.2.a", "1..2", ".1.2", "1.2.", "1.2 .3", "9" * 65]


@pytest.mark.parametrize("uid", BAD_UIDS)
@pytest.mark.parametrize(
    "keyword", ["StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID"]
)
def test_unsafe_uids_are_rejected(archive: Archive, keyword: str, uid: str) -> None:
    ds = with_uid(keyword, uid)
    with pytest.raises(ValueError, match="not a valid UID"):
        archive.store(dataset=ds, transfer_syntax=ExplicitVRLittleEndian)
    with pytest.raises(ValueError, match="not a valid UID"):
        archive.store(
            encode(ds, ExplicitVRLittleEndian), transfer_syntax=ExplicitVRLittleEndian
        )
    assert files_under(archive.root) == []
    assert archive.instance_count() == 0


@pytest.mark.parametrize(
    "keyword",
    ["StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID", "SOPClassUID"],
)
def test_missing_uids_are_rejected(archive: Archive, keyword: str) -> None:
    ds = make_instance("1.1.1.1")
    delattr(ds, keyword)
    with pytest.raises(ValueError, match="not a valid UID"):
        archive.store(dataset=ds, transfer_syntax=ExplicitVRLittleEndian)
    assert files_under(archive.root) == []


def test_unsafe_transfer_syntax_is_rejected(archive: Archive) -> None:
    with pytest.raises(ValueError, match="not a valid UID"):
        archive.store(dataset=make_instance("1.1.1.1"), transfer_syntax="../1.2")


# -- a full disk -----------------------------------------------------------------


def failing_write(error: int, after: int = 0) -> object:
    """Return a stand-in for ``store._write_all`` failing after ``after`` writes."""
    calls = []

    def write(file: object, data: bytes) -> None:
        calls.append(len(data))
        if len(calls) > after:
            raise OSError(error, "simulated")
        file.write(data)  # type: ignore[attr-defined]

    return write


@pytest.mark.parametrize("after", [0, 1, 2])
@pytest.mark.parametrize("with_meta", [False, True])
def test_disk_full_leaves_nothing(
    archive: Archive, monkeypatch: pytest.MonkeyPatch, after: int, with_meta: bool
) -> None:
    ds = make_instance("1.1.1.1")
    body = encode(ds, ExplicitVRLittleEndian)
    meta = None
    if with_meta:
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = ds.SOPClassUID
        meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    monkeypatch.setattr(store_module, "_write_all", failing_write(errno.ENOSPC, after))
    with pytest.raises(ArchiveFullError) as caught:
        archive.store(
            iter([body[:50], body[50:]]),
            transfer_syntax=ExplicitVRLittleEndian,
            file_meta=meta,
        )
    assert isinstance(caught.value, OSError)
    assert caught.value.errno == errno.ENOSPC
    assert files_under(archive.root) == []
    assert archive.instance_count() == 0


@pytest.mark.parametrize("source", ["dataset", "bytes"])
def test_quota_exceeded_is_full_too(
    archive: Archive, monkeypatch: pytest.MonkeyPatch, source: str
) -> None:
    ds = make_instance("1.1.1.1")
    monkeypatch.setattr(store_module, "_write_all", failing_write(errno.EDQUOT))
    kwargs: dict[str, object] = (
        {"dataset": ds}
        if source == "dataset"
        else {"encoded": encode(ds, ExplicitVRLittleEndian)}
    )
    with pytest.raises(ArchiveFullError):
        archive.store(transfer_syntax=ExplicitVRLittleEndian, **kwargs)  # type: ignore[arg-type]
    assert files_under(archive.root) == []


def test_disk_full_while_copying_a_file(
    archive: Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "x.dcm"
    source.write_bytes(
        part10_header(build_file_meta(CT, "1.1.1.1", ExplicitVRLittleEndian))
        + encode(make_instance("1.1.1.1"), ExplicitVRLittleEndian)
    )
    replace = Path.replace

    def cross_device(self: Path, target: Path) -> Path:
        if self == source:
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        return replace(self, target)

    monkeypatch.setattr(Path, "replace", cross_device)
    monkeypatch.setattr(store_module, "_write_all", failing_write(errno.ENOSPC, 0))
    with pytest.raises(ArchiveFullError):
        archive.store(path=source, transfer_syntax=ExplicitVRLittleEndian)
    assert source.exists()
    assert files_under(archive.root) == []


def test_other_write_errors_are_not_full(
    archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "_write_all", failing_write(errno.EIO))
    with pytest.raises(OSError) as caught:
        archive.store(
            dataset=make_instance("1.1.1.1"), transfer_syntax=ExplicitVRLittleEndian
        )
    assert not isinstance(caught.value, ArchiveFullError)
    assert caught.value.errno == errno.EIO
    assert files_under(archive.root) == []


def database_error(code: int) -> object:
    def put_instance(*args: object) -> None:
        exc = sqlite3.OperationalError("simulated")
        exc.sqlite_errorcode = code
        raise exc

    return put_instance


def test_database_full(archive: Archive, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archive_module, "put_instance", database_error(13))
    with pytest.raises(ArchiveFullError):
        archive.store(
            dataset=make_instance("1.1.1.1"), transfer_syntax=ExplicitVRLittleEndian
        )
    assert files_under(archive.root) == []


def test_database_error_gives_a_moved_file_back(
    archive: Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "x.dcm"
    content = part10_header(
        build_file_meta(CT, "1.1.1.1", ExplicitVRLittleEndian)
    ) + encode(make_instance("1.1.1.1"), ExplicitVRLittleEndian)
    source.write_bytes(content)
    monkeypatch.setattr(archive_module, "put_instance", database_error(10))
    with pytest.raises(sqlite3.OperationalError) as caught:
        archive.store(path=source, transfer_syntax=ExplicitVRLittleEndian)
    assert not isinstance(caught.value, ArchiveFullError)
    assert source.read_bytes() == content
    assert files_under(archive.root) == []


# -- the index file --------------------------------------------------------------


def test_index_persists_and_has_a_schema_version(tmp_path: Path) -> None:
    database = tmp_path / "elsewhere" / "index.db"
    database.parent.mkdir()
    with Archive(tmp_path / "root", database=database, fsync=True) as archive:
        archive.store(
            dataset=make_instance("1.1.1.1"), transfer_syntax=ExplicitVRLittleEndian
        )
    assert not (tmp_path / "root" / "index.sqlite").exists()
    with sqlite3.connect(database) as connection:
        assert connection.execute("PRAGMA user_version").fetchone()[0] == 1
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with Archive(tmp_path / "root", database=database) as archive:
        assert archive.instance_count() == 1


def test_unknown_schema_version_is_refused(tmp_path: Path) -> None:
    database = tmp_path / "index.sqlite"
    with sqlite3.connect(database) as connection:
        connection.execute("PRAGMA user_version = 99")
    connection.close()
    with pytest.raises(ValueError, match="schema version 99"):
        Archive(tmp_path, database=database)


def test_closed_archive(tmp_path: Path) -> None:
    archive = Archive(tmp_path)
    archive.close()
    with pytest.raises(ValueError, match="closed"):
        archive.instance_count()
    with pytest.raises(ValueError, match="closed"):
        archive.find(query(QueryLevel.STUDY), QueryModel.STUDY_ROOT)
    with pytest.raises(ValueError, match="closed"):
        archive.store(
            dataset=make_instance("1.1.1.1"), transfer_syntax=ExplicitVRLittleEndian
        )


@pytest.mark.parametrize(
    "body",
    [
        # Truncated sequence (pydicom: OSError without errno), unknown VR.
        b"\x08\x00\x06\x00SQ\x00\x00\xff\xff\xff\xff\x01\x02",
        b"\x08\x00\x08\x00ZZ\x04\x00abcd",
    ],
)
@pytest.mark.parametrize("with_meta", [False, True])
def test_malformed_data_sets(archive: Archive, body: bytes, with_meta: bool) -> None:
    meta = None
    if with_meta:
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = UID(CT)
        meta.MediaStorageSOPInstanceUID = UID("1.2.3")
    # Reading stops short of the unknown VR: the SOP UIDs are then missing.
    with pytest.raises(ValueError, match=r"cannot read|not a valid UID"):
        archive.store(body, transfer_syntax=ExplicitVRLittleEndian, file_meta=meta)
    assert files_under(archive.root) == []


def test_deflated_peek_is_bounded(
    archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Only the head of a deflated data set is inflated to find its UIDs.
    ds = make_instance("1.1.1.1")
    body = encode(ds, DeflatedExplicitVRLittleEndian)
    monkeypatch.setattr(store_module, "_PEEK_LIMIT", 16)
    with pytest.raises(ValueError):
        archive.store(body, transfer_syntax=DeflatedExplicitVRLittleEndian)
    monkeypatch.setattr(store_module, "_CHUNK", 16)
    monkeypatch.setattr(store_module, "_PEEK_LIMIT", 1 << 20)
    path = archive.store(iter([body]), transfer_syntax=DeflatedExplicitVRLittleEndian)
    assert dcmread(path) == ds


def test_file_meta_without_uids_is_completed(archive: Archive) -> None:
    ds = make_instance("1.1.1.1")
    meta = FileMetaDataset()
    meta.SourceApplicationEntityTitle = "MODALITY"
    path = archive.store(
        encode(ds, ExplicitVRLittleEndian),
        transfer_syntax=ExplicitVRLittleEndian,
        file_meta=meta,
    )
    read = dcmread(path)
    assert read.file_meta.MediaStorageSOPInstanceUID == "1.1.1.1"
    assert read.file_meta.SourceApplicationEntityTitle == "MODALITY"


def test_moving_one_instance_keeps_its_series_directory(archive: Archive) -> None:
    archive.store(
        dataset=make_instance("1.1.1.1"), transfer_syntax=ExplicitVRLittleEndian
    )
    archive.store(
        dataset=make_instance("1.1.1.2"), transfer_syntax=ExplicitVRLittleEndian
    )
    archive.store(
        dataset=make_instance(
            "1.1.1.1", StudyInstanceUID="1.2", SeriesInstanceUID="1.2.1"
        ),
        transfer_syntax=ExplicitVRLittleEndian,
    )
    assert files_under(archive.root) == [
        "1.1/1.1.1/1.1.1.2.dcm",
        "1.2/1.2.1/1.1.1.1.dcm",
    ]


def test_opening_removes_unplaced_files(tmp_path: Path) -> None:
    with Archive(tmp_path) as archive:
        archive.store(
            dataset=make_instance("1.1.1.1"), transfer_syntax=ExplicitVRLittleEndian
        )
    (tmp_path / ".incoming" / "tmpcrash.part").write_bytes(b"half a file")
    with Archive(tmp_path) as archive:
        assert archive.instance_count() == 1
        assert files_under(tmp_path) == ["1.1/1.1.1/1.1.1.1.dcm"]


def test_store_path_other_move_errors_propagate(
    archive: Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "x.dcm"
    source.write_bytes(
        part10_header(build_file_meta(CT, "1.1.1.1", ExplicitVRLittleEndian))
        + encode(make_instance("1.1.1.1"), ExplicitVRLittleEndian)
    )
    replace = Path.replace

    def denied(self: Path, target: Path) -> Path:
        if self == source:
            raise PermissionError(errno.EACCES, "Permission denied")
        return replace(self, target)

    monkeypatch.setattr(Path, "replace", denied)
    with pytest.raises(PermissionError):
        archive.store(path=source, transfer_syntax=ExplicitVRLittleEndian)
    assert source.exists()
    assert files_under(archive.root) == []


def test_store_missing_path(archive: Archive, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        archive.store(
            path=tmp_path / "gone.dcm", transfer_syntax=ExplicitVRLittleEndian
        )
