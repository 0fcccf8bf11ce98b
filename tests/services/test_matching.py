"""Attribute matching of C-FIND keys (PS3.4 C.2.2.2), services/_matching.py."""

from __future__ import annotations

from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from dicomnet.services._matching import matches


def _item(**values: object) -> Dataset:
    item = Dataset()
    for keyword, value in values.items():
        setattr(item, keyword, value)
    return item


def _with_steps(*modalities: str) -> Dataset:
    instance = _item(PatientName="DOE^JANE")
    instance.ScheduledProcedureStepSequence = Sequence(
        [_item(Modality=modality) for modality in modalities]
    )
    return instance


def test_sequence_key_matches_some_item() -> None:
    # C.2.2.2.6: pydicom gives sequences as its Sequence type, not a list.
    query = Dataset()
    query.ScheduledProcedureStepSequence = Sequence([_item(Modality="MR")])
    assert isinstance(query.ScheduledProcedureStepSequence, Sequence)
    assert matches(_with_steps("CT", "MR"), query)
    assert not matches(_with_steps("CT"), query)


def test_sequence_key_with_one_empty_item_is_universal() -> None:
    query = Dataset()
    query.ScheduledProcedureStepSequence = Sequence([Dataset()])
    assert matches(_with_steps("CT"), query)


def test_empty_sequence_key_is_universal() -> None:
    query = Dataset()
    query.ScheduledProcedureStepSequence = Sequence([])
    assert matches(_with_steps(), query)


def test_wildcard_and_range_keys() -> None:
    instance = _item(PatientName="DOE^JANE", StudyDate="20240115")
    assert matches(instance, _item(PatientName="DOE*", StudyDate="20240101-20240131"))
    assert not matches(instance, _item(StudyDate="20240201-"))
    assert not matches(instance, _item(PatientName="SMITH*"))
