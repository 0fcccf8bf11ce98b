"""The archive tests' corpus of instances and query helpers.

Three patients, four studies, five series, eight instances, without pixel data:

=======  =================  ===========================================
patient  name               studies (date, time) > series (modality #)
=======  =================  ===========================================
P1       ``Doe^john``       1.1 (20200110 101500) > 1.1.1 CT #1 (3 inst.),
                            1.1.2 MR #2 (1 inst., with file-only keys);
                            1.2 (20210615 2300) > 1.2.1 CT #1 (1 inst.)
P2       ``Roe^Jane``       2.1 (20200301, no time, no accession, no
                            description) > 2.1.1 MR, no number (2 inst.,
                            no Instance Number)
P3       ``Müller^Jürgen``  3.1 (19991231 0830, ISO_IR 100, no birth date)
                            > 3.1.1 US #5 (1 inst.)
=======  =================  ===========================================
"""

from __future__ import annotations

from typing import Any

from pydicom import Dataset, config
from pydicom.datadict import dictionary_VR, tag_for_keyword
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.sequence import Sequence
from pydicom.tag import Tag

from dicomnet.archive import QueryLevel, QueryModel

CT = "1.2.840.10008.5.1.4.1.1.2"
MR = "1.2.840.10008.5.1.4.1.1.4"
US = "1.2.840.10008.5.1.4.1.1.6.1"

PATIENTS: dict[str, dict[str, Any]] = {
    "P1": {
        "PatientName": "Doe^john",
        "PatientBirthDate": "19700101",
        "PatientSex": "M",
    },
    "P2": {
        "PatientName": "Roe^Jane",
        "PatientBirthDate": "19800202",
        "PatientSex": "F",
    },
    "P3": {
        "PatientName": "Müller^Jürgen",
        "PatientSex": "",
        "SpecificCharacterSet": "ISO_IR 100",
    },
}
STUDIES: dict[str, dict[str, Any]] = {
    "1.1": {
        "PatientID": "P1",
        "StudyDate": "20200110",
        "StudyTime": "101500",
        "AccessionNumber": "ACC1",
        "StudyID": "S1",
        "StudyDescription": "Head",
        "ReferringPhysicianName": "Smith^Anna",
    },
    "1.2": {
        "PatientID": "P1",
        "StudyDate": "20210615",
        "StudyTime": "2300",
        "AccessionNumber": "ACC2",
        "StudyDescription": "Chest",
    },
    "2.1": {"PatientID": "P2", "StudyDate": "20200301"},
    "3.1": {
        "PatientID": "P3",
        "StudyDate": "19991231",
        "StudyTime": "0830",
        "AccessionNumber": "X-9",
        "StudyDescription": "Knie",
    },
}
SERIES: dict[str, dict[str, Any]] = {
    "1.1.1": {"Modality": "CT", "SeriesNumber": 1, "SeriesDescription": "Axial"},
    "1.1.2": {"Modality": "MR", "SeriesNumber": 2},
    "1.2.1": {"Modality": "CT", "SeriesNumber": 1},
    "2.1.1": {"Modality": "MR"},
    "3.1.1": {"Modality": "US", "SeriesNumber": 5},
}
SOP_CLASSES = {"CT": CT, "MR": MR, "US": US}
#: SOP Instance UID -> Instance Number (None: absent).
INSTANCES: dict[str, int | None] = {
    "1.1.1.1": 3,
    "1.1.1.2": 1,
    "1.1.1.3": 2,
    "1.1.2.1": 1,
    "1.2.1.1": 1,
    "2.1.1.1": None,
    "2.1.1.2": None,
    "3.1.1.1": 1,
}


def make_instance(sop: str, **extra: Any) -> Dataset:
    """Return the corpus instance ``sop`` (its UIDs say its series and study)."""
    series = sop.rsplit(".", 1)[0]
    study = series.rsplit(".", 1)[0]
    study_attributes = dict(STUDIES[study])
    patient = study_attributes["PatientID"]
    ds = Dataset()
    for keyword, value in {
        **PATIENTS[patient],
        **study_attributes,
        **SERIES[series],
    }.items():
        setattr(ds, keyword, value)
    ds.StudyInstanceUID = study
    ds.SeriesInstanceUID = series
    ds.SOPInstanceUID = sop
    ds.SOPClassUID = SOP_CLASSES[SERIES[series]["Modality"]]
    if INSTANCES.get(sop) is not None:
        ds.InstanceNumber = INSTANCES[sop]
    if sop == "1.1.2.1":
        # Attributes the index does not store, for IMAGE-level file matching.
        ds.Rows = 256
        ds.BodyPartExamined = "HEAD"
        ds.ImageType = ["ORIGINAL", "PRIMARY"]
        source = Dataset()
        source.ReferencedSOPClassUID = CT
        source.ReferencedSOPInstanceUID = "1.1.1.1"
        ds.SourceImageSequence = Sequence([source])
    for keyword, value in extra.items():
        setattr(ds, keyword, value)
    return ds


def corpus() -> list[Dataset]:
    """Return every instance of the corpus."""
    return [make_instance(sop) for sop in INSTANCES]


def key(keyword: str, value: Any) -> DataElement:
    """Return a Key Attribute.

    Ranges and wild cards are not valid values of most VRs, so pydicom's
    validation is off, as it is when pydicom reads a request.
    """
    tag = tag_for_keyword(keyword)
    assert tag is not None, keyword
    return DataElement(
        tag,
        dictionary_VR(tag),
        "" if value is None else value,
        validation_mode=config.IGNORE,
    )


def raw_key(keyword: str, value: Any) -> RawDataElement:
    """Return a Key Attribute as pydicom reads it from a request: encoded."""
    tag = Tag(keyword)
    values = value if isinstance(value, list) else [value]
    text = "\\".join("" if item is None else str(item) for item in values)
    encoded = text.encode("utf-8")
    if len(encoded) % 2:
        encoded += b"\0" if dictionary_VR(tag) == "UI" else b" "
    return RawDataElement(
        tag, dictionary_VR(tag), len(encoded), encoded, 0, False, True
    )


def query(level: QueryLevel | str, **keys: Any) -> Dataset:
    """Return an Identifier: the level and the keys (``None`` = zero length).

    Sequence keys are data elements, other keys encoded values, as in a
    request read from the network.
    """
    identifier = Dataset()
    level_value = level.value if isinstance(level, QueryLevel) else level
    identifier[Tag("QueryRetrieveLevel")] = raw_key("QueryRetrieveLevel", level_value)
    for keyword, value in keys.items():
        if isinstance(value, (Sequence, int)):
            # Sequences, and binary numbers (US...): no text encoding.
            identifier.add(key(keyword, value))
        else:
            identifier[Tag(keyword)] = raw_key(keyword, value)
    return identifier


def values(responses: list[Dataset], keyword: str) -> list[str]:
    """Return one key of each response, as text, in response order."""
    return [str(response.get(keyword, "")) for response in responses]


ALL_MODELS = tuple(QueryModel)
