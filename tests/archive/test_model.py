"""Information models, levels and the Query/Retrieve SOP Classes."""

from __future__ import annotations

import pytest

from dicomnet import sop_class
from dicomnet.archive import QueryLevel, QueryModel


@pytest.mark.parametrize(
    ("uid", "model", "operation"),
    [
        (
            sop_class.PatientRootQueryRetrieveInformationModelFind,
            "PATIENT_ROOT",
            "FIND",
        ),
        (sop_class.PatientRootQueryRetrieveInformationModelGet, "PATIENT_ROOT", "GET"),
        (
            sop_class.PatientRootQueryRetrieveInformationModelMove,
            "PATIENT_ROOT",
            "MOVE",
        ),
        (sop_class.StudyRootQueryRetrieveInformationModelFind, "STUDY_ROOT", "FIND"),
        (sop_class.StudyRootQueryRetrieveInformationModelGet, "STUDY_ROOT", "GET"),
        (sop_class.StudyRootQueryRetrieveInformationModelMove, "STUDY_ROOT", "MOVE"),
        (
            sop_class.PatientStudyOnlyQueryRetrieveInformationModelFind,
            "PATIENT_STUDY_ONLY",
            "FIND",
        ),
        (
            sop_class.PatientStudyOnlyQueryRetrieveInformationModelGet,
            "PATIENT_STUDY_ONLY",
            "GET",
        ),
        (
            sop_class.PatientStudyOnlyQueryRetrieveInformationModelMove,
            "PATIENT_STUDY_ONLY",
            "MOVE",
        ),
    ],
)
def test_from_sop_class(uid: str, model: str, operation: str) -> None:
    assert QueryModel.from_sop_class(uid) == (QueryModel[model], operation)
    # A plain str works as well as a UID.
    assert QueryModel.from_sop_class(str(uid)) == (QueryModel[model], operation)


@pytest.mark.parametrize(
    "uid",
    [
        sop_class.CTImageStorage,
        "1.2.840.10008.5.1.4.31",  # Modality Worklist Information Model - FIND
        sop_class.CompositeInstanceRootRetrieveGet,
        "1.2.840.10008.5.1.4.1.2.1.4",
        "",
    ],
)
def test_from_sop_class_rejects_other_uids(uid: str) -> None:
    with pytest.raises(KeyError):
        QueryModel.from_sop_class(uid)


def test_levels() -> None:
    assert [level.value for level in QueryLevel] == [
        "PATIENT",
        "STUDY",
        "SERIES",
        "IMAGE",
    ]
    assert QueryLevel("SERIES") is QueryLevel.SERIES
    assert QueryLevel.PATIENT < QueryLevel.STUDY < QueryLevel.SERIES < QueryLevel.IMAGE
    assert QueryLevel.STUDY <= QueryLevel.STUDY
    assert not QueryLevel.IMAGE <= QueryLevel.SERIES
    assert QueryLevel.__lt__(QueryLevel.STUDY, "SERIES") is NotImplemented
    assert QueryLevel.__le__(QueryLevel.STUDY, "SERIES") is NotImplemented
    assert QueryModel.PATIENT_ROOT.levels == tuple(QueryLevel)
    assert QueryModel.STUDY_ROOT.levels[0] is QueryLevel.STUDY
    assert QueryModel.PATIENT_STUDY_ONLY.levels == (
        QueryLevel.PATIENT,
        QueryLevel.STUDY,
    )
