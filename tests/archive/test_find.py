"""Archive.find: every matching type at every level of every model, response
Identifiers, and hierarchy validation (PS3.4 C.2.2.2, C.4.1)."""

from __future__ import annotations

from typing import Any

import pytest
from pydicom import Dataset
from pydicom.dataelem import RawDataElement
from pydicom.sequence import Sequence
from pydicom.tag import Tag
from pydicom.uid import ExplicitVRLittleEndian

from dicomnet.archive import Archive, InvalidIdentifierError, QueryLevel, QueryModel
from dicomnet.archive.query import _charset

from .corpus import CT, MR, key, make_instance, query, values

PR, SR, PSO = (
    QueryModel.PATIENT_ROOT,
    QueryModel.STUDY_ROOT,
    QueryModel.PATIENT_STUDY_ONLY,
)
PATIENT_OF_STUDY = {"1.1": "P1", "1.2": "P1", "2.1": "P2", "3.1": "P3"}


def find(
    archive: Archive, model: QueryModel, level: QueryLevel, **keys: Any
) -> list[Dataset]:
    return list(archive.find(query(level, **keys), model))


# -- PATIENT level (Patient Root, Patient/Study Only) ------------------------------


@pytest.mark.parametrize("model", [PR, PSO])
@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ({}, ["P1", "P2", "P3"]),
        ({"PatientID": "P2"}, ["P2"]),
        ({"PatientID": ["P1", "P3"]}, ["P1", "P3"]),
        ({"PatientID": "p2"}, []),
        # PN: case-insensitive single value and wild cards (C.2.2.2.1, .4).
        ({"PatientName": "DOE^JOHN"}, ["P1"]),
        ({"PatientName": "Doe^John^^"}, ["P1"]),
        ({"PatientName": "doe*"}, ["P1"]),
        ({"PatientName": "*^J?NE"}, ["P2"]),
        ({"PatientName": "MÜLL*", "SpecificCharacterSet": "ISO_IR 192"}, ["P3"]),
        ({"PatientName": "*"}, ["P1", "P2", "P3"]),
        ({"PatientName": "Doe"}, []),
        # DA ranges (C.2.2.2.5); an absent value is in no range.
        ({"PatientBirthDate": "19750101-"}, ["P2"]),
        ({"PatientBirthDate": "-19750101"}, ["P1"]),
        ({"PatientBirthDate": "19700101-19800202"}, ["P1", "P2"]),
        ({"PatientBirthDate": "19700101"}, ["P1"]),
        ({"PatientBirthDate": '""'}, ["P3"]),
        # CS: case-sensitive.
        ({"PatientSex": "F"}, ["P2"]),
        ({"PatientSex": "f"}, []),
        ({"PatientSex": '""'}, ["P3"]),
        ({"NumberOfPatientRelatedStudies": "2"}, ["P1"]),
    ],
)
def test_patient_level(
    populated: Archive, model: QueryModel, keys: dict[str, Any], expected: list[str]
) -> None:
    found = find(populated, model, QueryLevel.PATIENT, **{"PatientID": None, **keys})
    assert values(found, "PatientID") == expected


def test_patient_level_values(populated: Archive) -> None:
    (p1,) = find(
        populated,
        PR,
        QueryLevel.PATIENT,
        PatientID="P1",
        PatientName=None,
        PatientBirthDate=None,
        PatientSex=None,
        NumberOfPatientRelatedStudies=None,
        NumberOfPatientRelatedSeries=None,
        NumberOfPatientRelatedInstances=None,
    )
    assert p1.PatientName == "Doe^john"
    assert p1.PatientBirthDate == "19700101"
    assert p1.PatientSex == "M"
    assert p1.NumberOfPatientRelatedStudies == 2
    assert p1.NumberOfPatientRelatedSeries == 3
    assert p1.NumberOfPatientRelatedInstances == 5
    assert p1.QueryRetrieveLevel == "PATIENT"


# -- STUDY level (every model) --------------------------------------------------


@pytest.mark.parametrize("model", [PR, SR, PSO])
@pytest.mark.parametrize(
    ("patient", "keys", "expected"),
    [
        ("P1", {}, ["1.1", "1.2", "2.1", "3.1"]),
        ("P1", {"StudyInstanceUID": "1.2"}, ["1.2"]),
        ("P1", {"StudyInstanceUID": ["1.1", "2.1"]}, ["1.1", "2.1"]),
        ("P1", {"StudyInstanceUID": "1.*"}, []),
        ("P1", {"StudyDate": "20200110"}, ["1.1"]),
        ("P2", {"StudyDate": "20200101-20201231"}, ["1.1", "2.1"]),
        ("P3", {"StudyDate": "-20000101"}, ["3.1"]),
        ("P1", {"StudyDate": "20210101-"}, ["1.2"]),
        ("P1", {"StudyDate": "2020.01.10"}, ["1.1"]),
        ("P1", {"StudyTime": "1000-1100"}, ["1.1"]),
        ("P1", {"StudyTime": "2200-"}, ["1.2"]),
        ("P3", {"StudyTime": "-0900"}, ["3.1"]),
        ("P1", {"StudyTime": "101500"}, ["1.1"]),
        ("P1", {"AccessionNumber": "ACC?"}, ["1.1", "1.2"]),
        ("P3", {"AccessionNumber": "X-9"}, ["3.1"]),
        ("P2", {"AccessionNumber": '""'}, ["2.1"]),
        ("P1", {"StudyID": "S1"}, ["1.1"]),
        ("P1", {"StudyDescription": "*e*"}, ["1.1", "1.2", "3.1"]),
        ("P1", {"StudyDescription": "head"}, []),
        ("P1", {"ReferringPhysicianName": "smith^anna"}, ["1.1"]),
        ("P1", {"ModalitiesInStudy": "MR"}, ["1.1", "2.1"]),
        ("P3", {"ModalitiesInStudy": ["US", "XA"]}, ["3.1"]),
        ("P1", {"ModalitiesInStudy": "C?"}, ["1.1", "1.2"]),
        ("P1", {"NumberOfStudyRelatedInstances": "4"}, ["1.1"]),
        ("P1", {"NumberOfStudyRelatedSeries": "1"}, ["1.2", "2.1", "3.1"]),
        # Patient attributes at the STUDY level (Study Root; in the other
        # models they belong to the level above and are matched too).
        ("P2", {"PatientName": "roe*"}, ["2.1"]),
        ("P1", {"PatientBirthDate": "-19750101"}, ["1.1", "1.2"]),
    ],
)
def test_study_level(
    populated: Archive,
    model: QueryModel,
    patient: str,
    keys: dict[str, Any],
    expected: list[str],
) -> None:
    higher = {} if model is SR else {"PatientID": patient}
    found = find(
        populated,
        model,
        QueryLevel.STUDY,
        **{"StudyInstanceUID": None, **higher, **keys},
    )
    if model is not SR:
        expected = [study for study in expected if PATIENT_OF_STUDY[study] == patient]
    assert values(found, "StudyInstanceUID") == expected


def test_study_level_values(populated: Archive) -> None:
    requested = {
        "PatientName": None,
        "PatientID": None,
        "StudyDate": None,
        "StudyTime": None,
        "AccessionNumber": None,
        "StudyDescription": None,
        "ReferringPhysicianName": None,
        "ModalitiesInStudy": None,
        "NumberOfStudyRelatedSeries": None,
        "NumberOfStudyRelatedInstances": None,
    }
    study_11, _, study_21, _ = find(
        populated, SR, QueryLevel.STUDY, StudyInstanceUID=None, **requested
    )
    assert study_11.ModalitiesInStudy == ["CT", "MR"]
    assert study_11.NumberOfStudyRelatedSeries == 2
    assert study_11.NumberOfStudyRelatedInstances == 4
    assert study_11.ReferringPhysicianName == "Smith^Anna"
    assert study_11.StudyTime == "101500"
    # Attributes the instances lack come back empty (C.2.2.1.x).
    assert study_21.StudyTime == ""
    assert study_21.AccessionNumber == ""
    assert study_21.StudyDescription == ""
    assert study_21.ModalitiesInStudy == "MR"
    assert study_21.NumberOfStudyRelatedInstances == 2


# -- SERIES level (Patient Root, Study Root) ------------------------------------


@pytest.mark.parametrize("model", [PR, SR])
@pytest.mark.parametrize(
    ("study", "keys", "expected"),
    [
        ("1.1", {}, ["1.1.1", "1.1.2"]),
        ("1.1", {"Modality": "MR"}, ["1.1.2"]),
        ("1.1", {"Modality": "?T"}, ["1.1.1"]),
        ("1.1", {"Modality": "mr"}, []),
        ("1.1", {"SeriesNumber": "2"}, ["1.1.2"]),
        ("1.1", {"SeriesNumber": "02"}, ["1.1.2"]),
        ("1.1", {"SeriesInstanceUID": ["1.1.2", "2.1.1"]}, ["1.1.2"]),
        ("2.1", {"SeriesNumber": '""'}, ["2.1.1"]),
        ("1.1", {"SeriesDescription": "ax*"}, []),
        ("1.1", {"SeriesDescription": "Ax*"}, ["1.1.1"]),
        ("1.1", {"NumberOfSeriesRelatedInstances": "3"}, ["1.1.1"]),
        ("1.1", {"StudyDate": "20200110"}, ["1.1.1", "1.1.2"]),
        ("1.1", {"StudyDate": "19990101-19991231"}, []),
    ],
)
def test_series_level(
    populated: Archive,
    model: QueryModel,
    study: str,
    keys: dict[str, Any],
    expected: list[str],
) -> None:
    higher: dict[str, Any] = {"StudyInstanceUID": study}
    if model is PR:
        higher["PatientID"] = PATIENT_OF_STUDY[study]
    found = find(
        populated,
        model,
        QueryLevel.SERIES,
        **{
            "SeriesInstanceUID": None,
            "NumberOfSeriesRelatedInstances": None,
            **higher,
            **keys,
        },
    )
    assert values(found, "SeriesInstanceUID") == expected
    if expected == ["1.1.1", "1.1.2"]:
        assert values(found, "NumberOfSeriesRelatedInstances") == ["3", "1"]


# -- IMAGE level (Patient Root, Study Root) -------------------------------------


def image_query(model: QueryModel, series: str, **keys: Any) -> dict[str, Any]:
    study = series.rsplit(".", 1)[0]
    higher: dict[str, Any] = {"StudyInstanceUID": study, "SeriesInstanceUID": series}
    if model is PR:
        higher["PatientID"] = PATIENT_OF_STUDY[study]
    return {"SOPInstanceUID": None, **higher, **keys}


@pytest.mark.parametrize("model", [PR, SR])
@pytest.mark.parametrize(
    ("series", "keys", "expected"),
    [
        # Hierarchy order: by Instance Number, absent ones last.
        ("1.1.1", {}, ["1.1.1.2", "1.1.1.3", "1.1.1.1"]),
        ("1.1.1", {"InstanceNumber": "2"}, ["1.1.1.3"]),
        ("1.1.1", {"SOPInstanceUID": ["1.1.1.1", "1.1.1.3"]}, ["1.1.1.3", "1.1.1.1"]),
        ("1.1.1", {"SOPClassUID": CT}, ["1.1.1.2", "1.1.1.3", "1.1.1.1"]),
        ("1.1.1", {"SOPClassUID": MR}, []),
        ("2.1.1", {"InstanceNumber": '""'}, ["2.1.1.1", "2.1.1.2"]),
        (
            "1.1.1",
            {"Modality": "CT", "StudyTime": "1015"},
            ["1.1.1.2", "1.1.1.3", "1.1.1.1"],
        ),
        # Keys the index does not store, matched on the files.
        ("1.1.2", {"Rows": 256}, ["1.1.2.1"]),
        ("1.1.2", {"Rows": 512}, []),
        ("1.1.2", {"BodyPartExamined": "HE*"}, ["1.1.2.1"]),
        ("1.1.2", {"BodyPartExamined": "head"}, []),
        ("1.1.2", {"ImageType": "ORIGINAL"}, ["1.1.2.1"]),
        ("1.1.1", {"BodyPartExamined": '""'}, ["1.1.1.2", "1.1.1.3", "1.1.1.1"]),
        ("1.1.1", {"BodyPartExamined": "HEAD"}, []),
    ],
)
def test_image_level(
    populated: Archive,
    model: QueryModel,
    series: str,
    keys: dict[str, Any],
    expected: list[str],
) -> None:
    found = find(
        populated, model, QueryLevel.IMAGE, **image_query(model, series, **keys)
    )
    assert values(found, "SOPInstanceUID") == expected


def test_image_level_file_values(populated: Archive) -> None:
    (image,) = find(
        populated,
        SR,
        QueryLevel.IMAGE,
        **image_query(SR, "1.1.2", Rows=None, ImageType=None, BodyPartExamined="HE*"),
    )
    assert image.Rows == 256
    assert image.ImageType == ["ORIGINAL", "PRIMARY"]
    assert image.BodyPartExamined == "HEAD"


def source_key(**item_keys: Any) -> Sequence:
    item = Dataset()
    for keyword, value in item_keys.items():
        item.add(key(keyword, value))
    return Sequence([item])


def test_image_level_sequence_matching(populated: Archive) -> None:
    # C.2.2.2.6: the matching items come back with the requested keys only.
    (image,) = find(
        populated,
        SR,
        QueryLevel.IMAGE,
        **image_query(
            SR,
            "1.1.2",
            SourceImageSequence=source_key(ReferencedSOPInstanceUID="1.1.1.1"),
        ),
    )
    (item,) = image.SourceImageSequence
    assert item.ReferencedSOPInstanceUID == "1.1.1.1"
    assert "ReferencedSOPClassUID" not in item
    assert not find(
        populated,
        SR,
        QueryLevel.IMAGE,
        **image_query(
            SR, "1.1.2", SourceImageSequence=source_key(ReferencedSOPInstanceUID="9.9")
        ),
    )
    # An empty sequence key asks for the whole sequence.
    (image,) = find(
        populated,
        SR,
        QueryLevel.IMAGE,
        **image_query(SR, "1.1.2", SourceImageSequence=Sequence()),
    )
    assert image.SourceImageSequence[0].ReferencedSOPClassUID == CT


def test_missing_files_are_skipped(
    populated_copy: Archive, caplog: pytest.LogCaptureFixture
) -> None:
    populated = populated_copy
    (populated.root / "1.1" / "1.1.1" / "1.1.1.2.dcm").unlink()
    found = find(populated, SR, QueryLevel.IMAGE, **image_query(SR, "1.1.1", Rows=None))
    assert values(found, "SOPInstanceUID") == ["1.1.1.3", "1.1.1.1"]
    assert "Cannot read archived instance" in caplog.text


# -- response Identifiers -------------------------------------------------------


def test_response_holds_exactly_the_requested_keys(populated: Archive) -> None:
    identifier = query(
        QueryLevel.STUDY,
        StudyInstanceUID="1.1",
        PatientName=None,
        StudyDate=None,
        RetrieveAETitle=None,
        Modality="MR",  # a SERIES key: neither matched nor filled at STUDY level
        IssuerOfPatientID=None,  # not indexed: returned empty
        ReferencedStudySequence=Sequence(),
    )
    (response,) = populated.find(identifier, SR)
    assert {element.tag for element in response} == {
        element.tag for element in identifier
    }
    assert response.PatientName == "Doe^john"
    assert response.StudyDate == "20200110"
    assert response.RetrieveAETitle == ""
    assert response.Modality == ""
    assert response.IssuerOfPatientID == ""
    assert response.ReferencedStudySequence == []
    assert "SpecificCharacterSet" not in response


def test_keys_unknown_to_the_archive_come_back_empty(populated: Archive) -> None:
    identifier = query(QueryLevel.STUDY, StudyInstanceUID="1.1")
    # A private key read in implicit VR (no VR known) and an ambiguous one.
    identifier[0x00091001] = RawDataElement(
        Tag(0x00091001), None, 0, b"", 0, True, True
    )
    identifier[0x00280106] = RawDataElement(
        Tag(0x00280106), None, 0, b"", 0, True, True
    )
    (response,) = populated.find(identifier, SR)
    assert response[0x00091001].VR == "UN"
    assert response[0x00280106].VR == "US"
    assert response[0x00091001].is_empty
    assert response[0x00280106].is_empty


def test_keys_below_the_level_do_not_filter(populated: Archive) -> None:
    found = find(
        populated, SR, QueryLevel.STUDY, StudyInstanceUID=None, Modality="US", Rows=1
    )
    assert values(found, "StudyInstanceUID") == ["1.1", "1.2", "2.1", "3.1"]


def test_specific_character_set_of_the_entity(populated: Archive) -> None:
    (study,) = find(
        populated, SR, QueryLevel.STUDY, StudyInstanceUID="3.1", PatientName=None
    )
    assert study.SpecificCharacterSet == "ISO_IR 100"
    assert study.PatientName == "Müller^Jürgen"


def test_mixed_character_sets_give_utf8(archive: Archive) -> None:
    archive.store(
        dataset=make_instance("3.1.1.1"), transfer_syntax=ExplicitVRLittleEndian
    )
    # A later instance of the study, in another series, in UTF-8.
    archive.store(
        dataset=make_instance(
            "3.1.1.1",
            SOPInstanceUID="3.1.2.1",
            SeriesInstanceUID="3.1.2",
            SpecificCharacterSet="ISO_IR 192",
            PatientName="Müller^Jürgen",
            Modality="SR",
        ),
        transfer_syntax=ExplicitVRLittleEndian,
    )
    found = find(
        archive, SR, QueryLevel.SERIES, StudyInstanceUID="3.1", SeriesInstanceUID=None
    )
    assert values(found, "SpecificCharacterSet") == ["ISO_IR 192", "ISO_IR 192"]


@pytest.mark.parametrize(
    ("charsets", "texts", "expected"),
    [
        (("", ""), ["abc"], ""),
        (("ISO_IR 100", ""), ["abc"], "ISO_IR 100"),
        (("ISO_IR 100", "ISO_IR 100"), ["é"], "ISO_IR 100"),
        (("ISO_IR 100", "ISO_IR 192"), ["abc"], "ISO_IR 192"),
        (("", ""), ["é"], "ISO_IR 192"),
    ],
)
def test_charset_choice(
    charsets: tuple[str, ...], texts: list[str], expected: str
) -> None:
    assert _charset(charsets, texts) == expected


def test_combined_date_time_matching(populated: Archive) -> None:
    keys = {
        "StudyInstanceUID": None,
        "StudyDate": "20200110-20210615",
        "StudyTime": "1200-2359",
    }
    separate = find(populated, SR, QueryLevel.STUDY, **keys)
    assert values(separate, "StudyInstanceUID") == ["1.2"]
    combined = list(
        populated.find(query(QueryLevel.STUDY, **keys), SR, combined_datetime=True)
    )
    # 2020-01-10 12:00 to 2021-06-15 23:59: 1.1 (10:15 on the first day) is
    # out, 2.1 (no time: start of day) is in.
    assert values(combined, "StudyInstanceUID") == ["1.2", "2.1"]
    open_end = list(
        populated.find(
            query(
                QueryLevel.STUDY,
                StudyInstanceUID=None,
                StudyDate="20200110-",
                StudyTime="1200-",
            ),
            SR,
            combined_datetime=True,
        )
    )
    assert values(open_end, "StudyInstanceUID") == ["1.2", "2.1"]
    # Not both ranges: ordinary matching.
    single = list(
        populated.find(
            query(
                QueryLevel.STUDY,
                StudyInstanceUID=None,
                StudyDate="20200110",
                StudyTime="1000-",
            ),
            SR,
            combined_datetime=True,
        )
    )
    assert values(single, "StudyInstanceUID") == ["1.1"]


# -- hierarchy validation (PS3.4 C.4.1.2.1) -------------------------------------


@pytest.mark.parametrize(
    ("model", "identifier", "message"),
    [
        (SR, Dataset(), "no Query/Retrieve Level"),
        (SR, query(""), "no Query/Retrieve Level"),
        (SR, query("FRAME"), "unknown Query/Retrieve Level"),
        (SR, query("study"), "unknown Query/Retrieve Level"),
        (SR, query(QueryLevel.PATIENT), "has no PATIENT level"),
        (
            PSO,
            query(QueryLevel.SERIES, PatientID="P1", StudyInstanceUID="1.1"),
            "has no SERIES level",
        ),
        (PSO, query(QueryLevel.IMAGE), "has no IMAGE level"),
        (PR, query(QueryLevel.STUDY), "single value of PatientID"),
        (PR, query(QueryLevel.STUDY, PatientID=None), "single value of PatientID"),
        (PR, query(QueryLevel.STUDY, PatientID="P*"), "single value of PatientID"),
        (
            PR,
            query(QueryLevel.STUDY, PatientID=["P1", "P2"]),
            "single value of PatientID",
        ),
        (PSO, query(QueryLevel.STUDY, PatientName="Doe*"), "single value of PatientID"),
        (SR, query(QueryLevel.SERIES), "single value of StudyInstanceUID"),
        (
            SR,
            query(QueryLevel.SERIES, StudyInstanceUID=["1.1", "1.2"]),
            "StudyInstanceUID",
        ),
        (
            SR,
            query(QueryLevel.IMAGE, StudyInstanceUID="1.1"),
            "single value of SeriesInstanceUID",
        ),
        (
            PR,
            query(QueryLevel.IMAGE, StudyInstanceUID="1.1", SeriesInstanceUID="1.1.1"),
            "single value of PatientID",
        ),
    ],
)
def test_invalid_identifiers(
    populated: Archive, model: QueryModel, identifier: Dataset, message: str
) -> None:
    with pytest.raises(InvalidIdentifierError, match=message) as caught:
        # Raised by the call, before iterating.
        populated.find(identifier, model)
    assert isinstance(caught.value, ValueError)


def test_empty_archive(archive: Archive) -> None:
    assert find(archive, SR, QueryLevel.STUDY, StudyInstanceUID=None) == []
    assert archive.instance_count() == 0
