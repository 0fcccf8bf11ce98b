"""Relevant Patient Information Query (PS3.4 Annex Q) between dicomnet AEs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from pydicom.dataset import Dataset

from dicomnet.services import relevant_patient as rp
from tests.services.test_normalized import Pair

if TYPE_CHECKING:
    from collections.abc import Iterator

GENERAL = rp.GeneralRelevantPatientInformationQuery
BREAST = rp.BreastImagingRelevantPatientInformationQuery


def record(patient_id: str, name: str) -> Dataset:
    ds = Dataset()
    ds.PatientID = patient_id
    ds.PatientName = name
    ds.PatientBirthDate = "19700101"
    ds.ValueType = "CONTAINER"
    concept = Dataset()
    concept.CodeValue, concept.CodingSchemeDesignator = "11329-0", "LN"
    concept.CodeMeaning = "History"
    ds.ConceptNameCodeSequence = [concept]
    ds.ContinuityOfContent = "SEPARATE"
    ds.ContentSequence = []
    return ds


RECORDS = [record("1", "DOE^JOHN"), record("2", "DOE^JANE"), record("2", "DOE^JANE")]


class Lookup:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def __call__(self, query: Dataset, template: str) -> list[Dataset]:
        self.calls.append((str(query.PatientID), template))
        return [ds for ds in RECORDS if ds.PatientID == query.PatientID]


@pytest.fixture
def served() -> Iterator[tuple[Pair, Lookup]]:
    lookup = Lookup()
    peers = Pair()
    peers.serve(rp.RelevantPatientSCP(lookup).handlers(), GENERAL, BREAST)
    yield peers, lookup
    peers.close()


def ask(
    peers: Pair, query: Dataset, sop_class: str = GENERAL
) -> list[tuple[int, Dataset | None]]:
    assoc = peers.associate(GENERAL, BREAST)
    try:
        return [(int(s.Status), i) for s, i in assoc.send_c_find(query, sop_class)]
    finally:
        assoc.release()


def test_one_patient_is_answered_with_the_template(served: tuple[Pair, Lookup]) -> None:
    peers, lookup = served
    responses = ask(peers, rp.relevant_patient_query("1", PatientName=""))

    assert [status for status, _ in responses] == [0xFF00, 0x0000]
    identifier = responses[0][1]
    assert identifier is not None
    assert identifier.PatientName == "DOE^JOHN"
    assert "PatientBirthDate" not in identifier  # not asked for
    assert identifier.ContentTemplateSequence[0].TemplateIdentifier == "9007"
    assert identifier.ValueType == "CONTAINER"
    assert identifier.ConceptNameCodeSequence[0].CodeValue == "11329-0"
    assert lookup.calls == [("1", "9007")]


def test_failures_of_table_q2_1(served: tuple[Pair, Lookup]) -> None:
    peers, lookup = served
    two = ask(peers, rp.relevant_patient_query("2"))
    wrong_template = ask(peers, rp.relevant_patient_query("1", "9000"))
    breast = ask(peers, rp.relevant_patient_query("1", "9000"), BREAST)
    no_template = Dataset()
    no_template.PatientID = "1"
    missing = ask(peers, no_template)
    nobody = ask(peers, rp.relevant_patient_query("9"))

    assert two == [(rp.MORE_THAN_ONE_MATCH, None)]
    assert wrong_template == [(rp.UNSUPPORTED_TEMPLATE, None)]
    assert [status for status, _ in breast] == [0xFF00, 0x0000]
    assert missing == [(0xA900, None)]
    assert nobody == [(0x0000, None)]
    assert lookup.calls == [("2", "9007"), ("1", "9000"), ("9", "9007")]


def test_requested_template() -> None:
    assert rp.requested_template(rp.relevant_patient_query("1", "3802")) == (
        "DCMR",
        "3802",
    )
    two = rp.relevant_patient_query("1")
    two.ContentTemplateSequence.append(Dataset())
    assert rp.requested_template(two) is None
    assert rp.requested_template(Dataset()) is None
