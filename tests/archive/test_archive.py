"""The archive under load: threads storing at once, and 2000 instances."""

from __future__ import annotations

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
