"""The archive under load: threads and forked processes storing at once, 2000 instances."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

from pydicom import Dataset
from pydicom.dataset import FileMetaDataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_dataset
from pydicom.uid import ExplicitVRLittleEndian

from dicomnet.archive import Archive, QueryLevel, QueryModel

from .corpus import CT, query, values

SC = "1.2.840.10008.5.1.4.1.1.7"


def encode(ds: Dataset) -> bytes:
    buffer = DicomBytesIO()
    buffer.is_implicit_VR = False
    buffer.is_little_endian = True
    write_dataset(buffer, ds)
    return buffer.getvalue()


def instance(patient: int, study: int, series: int, number: int) -> Dataset:
    ds = Dataset()
    ds.PatientID = f"P{patient:04d}"
    ds.PatientName = f"N{patient % 7}^G{patient:04d}"
    ds.StudyInstanceUID = f"1.2.9.{study}"
    ds.SeriesInstanceUID = f"1.2.9.{study}.{series}"
    ds.SOPInstanceUID = f"1.2.9.{study}.{series}.{number}"
    ds.SOPClassUID = CT
    ds.Modality = "CT"
    ds.InstanceNumber = number
    return ds


def meta_for(ds: Dataset) -> FileMetaDataset:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    return meta


def test_concurrent_stores_and_queries(archive: Archive) -> None:
    # Four threads store into two shared studies (one patient) and re-store
    # one shared instance, while a fifth thread queries.
    per_thread = 25
    errors: list[BaseException] = []
    stored = threading.Event()
    shared = instance(1, 1, 99, 1)

    def store(thread: int) -> None:
        try:
            for number in range(per_thread):
                ds = instance(1, thread % 2, thread, number)
                archive.store(encode(ds), transfer_syntax=ExplicitVRLittleEndian)
                archive.store(dataset=shared, transfer_syntax=ExplicitVRLittleEndian)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    def find() -> None:
        try:
            while not stored.is_set():
                list(
                    archive.find(
                        query(QueryLevel.STUDY, StudyInstanceUID=None),
                        QueryModel.STUDY_ROOT,
                    )
                )
        except BaseException as exc:
            errors.append(exc)

    writers = [threading.Thread(target=store, args=(thread,)) for thread in range(4)]
    reader = threading.Thread(target=find)
    reader.start()
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=60)
    stored.set()
    reader.join(timeout=60)
    assert not any(thread.is_alive() for thread in [*writers, reader])
    assert errors == []
    assert archive.instance_count() == 4 * per_thread + 1
    studies = list(
        archive.find(
            query(
                QueryLevel.STUDY,
                StudyInstanceUID=None,
                NumberOfStudyRelatedSeries=None,
                NumberOfStudyRelatedInstances=None,
            ),
            QueryModel.STUDY_ROOT,
        )
    )
    assert values(studies, "StudyInstanceUID") == ["1.2.9.0", "1.2.9.1"]
    assert values(studies, "NumberOfStudyRelatedSeries") == ["2", "3"]
    assert values(studies, "NumberOfStudyRelatedInstances") == ["50", "51"]
    files = list(archive.root.rglob("*.dcm"))
    assert len(files) == 4 * per_thread + 1
    assert list((archive.root / ".incoming").iterdir()) == []


def test_two_thousand_instances(tmp_path: Path) -> None:
    # 40 patients x 5 studies x 2 series x 5 instances, stored as a C-STORE
    # SCP would: the received bytes plus the UIDs of the command.
    with Archive(tmp_path, fsync=False) as archive:
        for index in range(2000):
            patient, study, series = index // 50, index // 10, index // 5
            ds = instance(patient, study, series, index)
            archive.store(
                encode(ds),
                transfer_syntax=ExplicitVRLittleEndian,
                file_meta=meta_for(ds),
            )
        assert archive.instance_count() == 2000
        # PatientName N<patient % 7>^...: patients 3, 10, 17, 24, 31 and 38.
        patients = list(
            archive.find(
                query(
                    QueryLevel.PATIENT,
                    PatientID=None,
                    PatientName="n3*",
                    NumberOfPatientRelatedInstances=None,
                ),
                QueryModel.PATIENT_ROOT,
            )
        )
        assert values(patients, "PatientID") == [
            f"P{p:04d}" for p in (3, 10, 17, 24, 31, 38)
        ]
        assert set(values(patients, "NumberOfPatientRelatedInstances")) == {"50"}
        studies = list(
            archive.find(
                query(QueryLevel.STUDY, StudyInstanceUID=None, PatientName="N3^*"),
                QueryModel.STUDY_ROOT,
            )
        )
        assert len(studies) == 30


# -- processes forked from the one that opened the archive ----------------------------

#: Run as ``python -c HELPER ROOT``: opens an archive, stores, forks; then the
#: parent and the child store at once, each its own instances and one shared
#: instance with its own Instance Number. Prints OK, or fails with a traceback.
FORK_HELPER = r"""
import os, sqlite3, sys, traceback
from pathlib import Path
from pydicom import Dataset
from dicomnet.archive import Archive, QueryLevel, QueryModel

EXPLICIT = "1.2.840.10008.1.2.1"
ROUNDS = 20


def instance(sop: str, number: int) -> Dataset:
    ds = Dataset()
    ds.PatientID, ds.PatientName = "P1", "Fork^Test"
    ds.StudyInstanceUID, ds.SeriesInstanceUID = "1.2.5.1", "1.2.5.1.1"
    ds.SOPInstanceUID, ds.SOPClassUID = sop, "1.2.840.10008.5.1.4.1.1.2"
    ds.Modality, ds.InstanceNumber = "CT", number
    return ds


def store_rounds(archive: Archive, first: int) -> None:
    for n in range(ROUNDS):
        archive.store(dataset=instance("1.2.5.1.1.2", first + n), transfer_syntax=EXPLICIT)
        archive.store(dataset=instance(f"1.2.5.1.1.{first + n}", 1), transfer_syntax=EXPLICIT)


archive = Archive(Path(sys.argv[1]), fsync=False)
archive.store(dataset=instance("1.2.5.1.1.1", 1), transfer_syntax=EXPLICIT)
# The connection a careless pool would hand to the child.
inherited = list(archive._pool._idle)
assert inherited
go_r, go_w = os.pipe()
pid = os.fork()
if pid == 0:
    code = 1
    os.close(go_w)  # a parent that fails ends the wait below
    try:
        with archive._pool.connection() as connection:
            assert all(connection is not old for old in inherited), "inherited"
        assert os.read(go_r, 1) == b"x", "the parent failed"
        store_rounds(archive, 2000)
        code = 0
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stderr.flush()
        os._exit(code)
try:
    inherited[0].execute("SELECT 1")
except sqlite3.ProgrammingError:
    pass  # closed before the fork, as it must be
else:
    raise AssertionError("the parent's idle connection crossed the fork")
os.write(go_w, b"x")
store_rounds(archive, 1000)
_, status = os.waitpid(pid, 0)
assert os.waitstatus_to_exitcode(status) == 0, "the child failed"
assert archive.instance_count() == 2 + 2 * ROUNDS
identifier = Dataset()
identifier.QueryRetrieveLevel = "IMAGE"
identifier.StudyInstanceUID, identifier.SeriesInstanceUID = "1.2.5.1", "1.2.5.1.1"
identifier.SOPInstanceUID, identifier.InstanceNumber = "1.2.5.1.1.2", ""
(match,) = archive.find(identifier, QueryModel.STUDY_ROOT)
(path,) = archive.retrieve(identifier, QueryModel.STUDY_ROOT)
from pydicom import dcmread
# One record and one file, the same last store: the parent's or the child's.
assert int(match.InstanceNumber) in (1000 + ROUNDS - 1, 2000 + ROUNDS - 1)
assert dcmread(path).InstanceNumber == match.InstanceNumber
assert len(list(archive.root.rglob("*.dcm"))) == 2 + 2 * ROUNDS
assert list((archive.root / ".incoming").iterdir()) == []
archive.close()
check = sqlite3.connect(archive.root / "index.sqlite")
assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
check.close()
print("OK")
"""


def test_forked_processes_share_the_archive(tmp_path: Path) -> None:
    """No connection crosses the fork; concurrent stores stay consistent."""
    result = subprocess.run(
        [sys.executable, "-c", FORK_HELPER, str(tmp_path / "archive")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (result.returncode, result.stdout) == (0, "OK\n"), result.stderr
