"""Archive.retrieve: the files of a C-GET / C-MOVE Identifier (PS3.4 C.4.2,
C.4.3): unique keys only, single values and lists, at every level."""

from __future__ import annotations

from typing import Any

import pytest
from pydicom import Dataset

from dicomnet.archive import Archive, InvalidIdentifierError, QueryLevel, QueryModel

from .corpus import query

PR, SR, PSO = (
    QueryModel.PATIENT_ROOT,
    QueryModel.STUDY_ROOT,
    QueryModel.PATIENT_STUDY_ONLY,
)


def retrieve(
    archive: Archive, model: QueryModel, level: QueryLevel, **keys: Any
) -> list[str]:
    paths = archive.retrieve(query(level, **keys), model)
    for path in paths:
        assert path.is_absolute()
        assert path.is_file()
        assert archive.root in path.parents
    return [path.stem for path in paths]


@pytest.mark.parametrize("model", [PR, PSO])
@pytest.mark.parametrize(
    ("patient", "expected"),
    [
        # By study, series (number), Instance Number, SOP Instance UID.
        ("P1", ["1.1.1.2", "1.1.1.3", "1.1.1.1", "1.1.2.1", "1.2.1.1"]),
        (["P2", "P3"], ["2.1.1.1", "2.1.1.2", "3.1.1.1"]),
        # Unique key matching: no wild cards.
        ("P*", []),
        ("P4", []),
    ],
)
def test_patient_level(
    populated: Archive, model: QueryModel, patient: Any, expected: list[str]
) -> None:
    assert retrieve(populated, model, QueryLevel.PATIENT, PatientID=patient) == expected


@pytest.mark.parametrize("model", [PR, SR, PSO])
@pytest.mark.parametrize(
    ("patient", "studies", "expected"),
    [
        ("P2", "2.1", ["2.1.1.1", "2.1.1.2"]),
        ("P1", ["1.2", "1.1"], ["1.1.1.2", "1.1.1.3", "1.1.1.1", "1.1.2.1", "1.2.1.1"]),
        ("P3", ["3.1", "9.9"], ["3.1.1.1"]),
        ("P1", "1.*", []),
    ],
)
def test_study_level(
    populated: Archive,
    model: QueryModel,
    patient: str,
    studies: Any,
    expected: list[str],
) -> None:
    higher = {} if model is SR else {"PatientID": patient}
    found = retrieve(
        populated, model, QueryLevel.STUDY, StudyInstanceUID=studies, **higher
    )
    assert found == expected


def test_study_of_another_patient(populated: Archive) -> None:
    # Patient Root: the study must belong to the patient given.
    assert (
        retrieve(
            populated, PR, QueryLevel.STUDY, PatientID="P2", StudyInstanceUID="1.1"
        )
        == []
    )


@pytest.mark.parametrize("model", [PR, SR])
@pytest.mark.parametrize(
    ("study", "series", "expected"),
    [
        ("1.1", "1.1.2", ["1.1.2.1"]),
        ("1.1", ["1.1.2", "1.1.1"], ["1.1.1.2", "1.1.1.3", "1.1.1.1", "1.1.2.1"]),
        ("1.1", ["2.1.1"], []),
        ("2.1", "2.1.1", ["2.1.1.1", "2.1.1.2"]),
    ],
)
def test_series_level(
    populated: Archive, model: QueryModel, study: str, series: Any, expected: list[str]
) -> None:
    higher = {"StudyInstanceUID": study}
    if model is PR:
        higher["PatientID"] = "P1" if study.startswith("1.") else "P2"
    found = retrieve(
        populated, model, QueryLevel.SERIES, SeriesInstanceUID=series, **higher
    )
    assert found == expected


@pytest.mark.parametrize("model", [PR, SR])
@pytest.mark.parametrize(
    ("instances", "expected"),
    [
        ("1.1.1.1", ["1.1.1.1"]),
        (["1.1.1.1", "1.1.1.2", "3.1.1.1"], ["1.1.1.2", "1.1.1.1"]),
    ],
)
def test_image_level(
    populated: Archive, model: QueryModel, instances: Any, expected: list[str]
) -> None:
    higher = {"StudyInstanceUID": "1.1", "SeriesInstanceUID": "1.1.1"}
    if model is PR:
        higher["PatientID"] = "P1"
    found = retrieve(
        populated, model, QueryLevel.IMAGE, SOPInstanceUID=instances, **higher
    )
    assert found == expected


def test_other_keys_are_ignored(populated: Archive) -> None:
    found = retrieve(
        populated,
        SR,
        QueryLevel.STUDY,
        StudyInstanceUID="2.1",
        PatientName="Nobody",
        Modality="XA",
        PatientID="P1",  # not a key of the Study Root model
    )
    assert found == ["2.1.1.1", "2.1.1.2"]


@pytest.mark.parametrize(
    ("model", "identifier", "message"),
    [
        (SR, Dataset(), "no Query/Retrieve Level"),
        (SR, query("IMAGES"), "unknown Query/Retrieve Level"),
        (SR, query(QueryLevel.PATIENT, PatientID="P1"), "has no PATIENT level"),
        (
            PSO,
            query(QueryLevel.SERIES, PatientID="P1", StudyInstanceUID="1.1"),
            "no SERIES",
        ),
        (SR, query(QueryLevel.STUDY), "needs a value of StudyInstanceUID"),
        (SR, query(QueryLevel.STUDY, StudyInstanceUID=None), "StudyInstanceUID"),
        (SR, query(QueryLevel.STUDY, StudyInstanceUID=["1.1", ""]), "StudyInstanceUID"),
        (PR, query(QueryLevel.PATIENT, PatientID=None), "needs a value of PatientID"),
        (
            PR,
            query(QueryLevel.STUDY, StudyInstanceUID="1.1"),
            "single value of PatientID",
        ),
        (
            SR,
            query(
                QueryLevel.SERIES,
                StudyInstanceUID=["1.1", "1.2"],
                SeriesInstanceUID="1.1.1",
            ),
            "single value of StudyInstanceUID",
        ),
        (
            SR,
            query(QueryLevel.IMAGE, StudyInstanceUID="1.1", SOPInstanceUID="1.1.1.1"),
            "single value of SeriesInstanceUID",
        ),
    ],
)
def test_invalid_identifiers(
    populated: Archive, model: QueryModel, identifier: Dataset, message: str
) -> None:
    with pytest.raises(InvalidIdentifierError, match=message):
        populated.retrieve(identifier, model)
