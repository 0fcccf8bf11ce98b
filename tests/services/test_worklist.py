"""Basic Worklist Management (PS3.4 Annex K): a dicomnet SCU against WorklistSCP.

Everything runs over loopback between dicomnet AEs (``Pair`` of
test_normalized), plus one pynetdicom SCU; the tests wait on responses only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from pydicom.dataset import Dataset

from dicomnet.services import worklist as wl
from dicomnet.services.hanging_protocol import HangingProtocolInformationModelFind
from tests.services.test_normalized import LOOPBACK, TIMEOUT, Pair

if TYPE_CHECKING:
    from collections.abc import Iterator

MWL = wl.ModalityWorklistInformationFind


def item(  # noqa: PLR0917  (the attributes the tests vary)
    patient: str,
    name: str,
    station: str,
    date: str,
    time: str,
    modality: str = "CT",
) -> Dataset:
    ds = Dataset()
    ds.PatientID = patient
    ds.PatientName = name
    ds.PatientBirthDate = "19700101"
    ds.AccessionNumber = f"ACC-{patient}"
    ds.StudyInstanceUID = f"1.2.826.0.1.3680043.10.99.{patient}"
    step = Dataset()
    step.ScheduledStationAETitle = station
    step.ScheduledProcedureStepStartDate = date
    step.ScheduledProcedureStepStartTime = time
    step.Modality = modality
    step.ScheduledProcedureStepID = f"SPS-{patient}"
    step.ScheduledProcedureStepDescription = "Chest"
    ds.ScheduledProcedureStepSequence = [step]
    return ds


ITEMS = [
    item("1", "DOE^JOHN", "CT1", "20240101", "090000"),
    item("2", "DOE^JANE", "CT1", "20240101", "170000"),
    item("3", "ROE^RICHARD", "CT1", "20240102", "080000"),
    item("4", "", "MR1", "20240102", "100000", modality="MR"),
]


@pytest.fixture
def pair() -> Iterator[Pair]:
    peers = Pair()
    peers.serve(wl.WorklistSCP(ITEMS).handlers(), MWL)
    yield peers
    peers.close()


def find(pair: Pair, query: Dataset) -> list[tuple[int, Dataset | None]]:
    assoc = pair.associate(MWL)
    try:
        return [(int(s.Status), ident) for s, ident in wl.find_worklist(assoc, query)]
    finally:
        assoc.release()


def ids(responses: list[tuple[int, Dataset | None]]) -> list[str]:
    return [str(ident.PatientID) for _, ident in responses if ident is not None]


def test_combined_date_time_range_selects_moments_not_daily_times(pair: Pair) -> None:
    # Table K.6-1, C.2.2.2.5: 2024-01-01 16:00 to 2024-01-02 09:00.
    query = wl.worklist_query(
        {
            "ScheduledStationAETitle": "CT1",
            "ScheduledProcedureStepStartDate": "20240101-20240102",
            "ScheduledProcedureStepStartTime": "1600-0900",
        }
    )
    responses = find(pair, query)

    assert [status for status, _ in responses] == [0xFF00, 0xFF00, 0x0000]
    assert ids(responses) == ["2", "3"]


def test_single_date_and_open_time_range(pair: Pair) -> None:
    query = wl.worklist_query(
        {
            "ScheduledProcedureStepStartDate": "20240101",
            "ScheduledProcedureStepStartTime": "1200-",
        }
    )
    assert ids(find(pair, query)) == ["2"]


def test_wildcard_universal_and_empty_values(pair: Pair) -> None:
    assert ids(find(pair, wl.worklist_query(PatientName="DOE*"))) == ["1", "2"]
    # K.2.2.1.1.1: an empty value matches no key but "*" (and universal).
    assert ids(find(pair, wl.worklist_query(PatientName="*"))) == ["1", "2", "3", "4"]
    assert ids(find(pair, wl.worklist_query(PatientName="?*"))) == ["1", "2", "3"]
    mr = wl.worklist_query({"Modality": "MR"})
    assert ids(find(pair, mr)) == ["4"]


def test_response_holds_the_requested_keys_only(pair: Pair) -> None:
    step = Dataset()
    step.Modality = "MR"
    step.ScheduledProcedureStepID = ""
    query = Dataset()
    query.PatientID = ""
    query.AdmittingDiagnosesDescription = ""  # not in the item: returned empty
    query.ScheduledProcedureStepSequence = [step]

    (_, identifier), final = find(pair, query)

    assert final == (0x0000, None)
    assert identifier is not None
    # K.4.1.1.3.2: no attribute the request did not ask for.
    assert sorted(identifier.dir()) == [
        "AdmittingDiagnosesDescription",
        "PatientID",
        "ScheduledProcedureStepSequence",
    ]
    assert identifier.AdmittingDiagnosesDescription == ""
    returned = identifier.ScheduledProcedureStepSequence[0]
    assert sorted(returned.dir()) == ["Modality", "ScheduledProcedureStepID"]
    assert returned.ScheduledProcedureStepID == "SPS-4"


def test_no_match_is_a_lone_success(pair: Pair) -> None:
    assert find(pair, wl.worklist_query(PatientID="nobody")) == [(0x0000, None)]


def test_cancel_stops_matching() -> None:
    many = [
        item(str(i), "MANY^PATIENTS", "CT1", "20240101", "080000") for i in range(500)
    ]
    peers = Pair()
    try:
        peers.serve(wl.WorklistSCP(many).handlers(), MWL)
        assoc = peers.associate(MWL)
        statuses = []
        for status, _ in wl.find_worklist(assoc, wl.worklist_query(), msg_id=7):
            statuses.append(int(status.Status))
            if len(statuses) == 1:
                assoc.send_c_cancel(7, query_model=MWL)
        assoc.release()
    finally:
        peers.close()

    assert statuses[-1] == 0xFE00  # K.4.1.3: Cancel
    assert len(statuses) < 501


def test_route_refuses_a_sop_class_no_provider_claims() -> None:
    peers = Pair()
    try:
        handlers = wl.route(wl.WorklistSCP(ITEMS))
        peers.serve(handlers, MWL, HangingProtocolInformationModelFind)
        assoc = peers.associate(MWL, HangingProtocolInformationModelFind)
        other = list(assoc.send_c_find(Dataset(), HangingProtocolInformationModelFind))
        ours = list(wl.find_worklist(assoc, wl.worklist_query(PatientID="1")))
        assoc.release()
    finally:
        peers.close()

    assert [int(s.Status) for s, _ in other] == [0x0122]
    assert [int(s.Status) for s, _ in ours] == [0xFF00, 0x0000]


@pytest.mark.parametrize(
    ("date", "time", "date_key", "time_key", "expected"),
    [
        ("20240101", "0930", "20240101", "", True),
        ("20240101", "0930", "20240102-", "", False),
        ("20240101", "0930", "", "0900-1000", True),
        ("20240101", "0930", "", "1000-", False),
        ("20240101", "09:30:00", "-20240101", "-0930", True),
        ("20240101", "0931", "-20240101", "-0930", False),
        ("", "0930", "20240101", "", False),
        ("20240101", "", "", "0900-", False),
    ],
)
def test_datetime_matches(
    date: str, time: str, date_key: str, time_key: str, expected: bool
) -> None:
    assert wl.datetime_matches(date, time, date_key, time_key) is expected


def test_worklist_query_builds_the_sequence() -> None:
    query = wl.worklist_query({"Modality": "CT"}, PatientID="7")
    assert query.PatientID == "7"
    assert query["PatientName"].is_empty  # a return key
    assert query.ScheduledProcedureStepSequence[0].Modality == "CT"


# -- pynetdicom SCU -> dicomnet worklist SCP -------------------------------------------


@pytest.mark.interop
def test_pynetdicom_find_against_the_worklist(pair: Pair) -> None:
    import pynetdicom

    ae = pynetdicom.AE(ae_title="PYNETDICOM")
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = TIMEOUT
    ae.add_requested_context(MWL)
    try:
        assoc = ae.associate(LOOPBACK, pair.port, ae_title="N_SCP")
        assert assoc.is_established
        query = wl.worklist_query(
            {"ScheduledStationAETitle": "CT1"}, PatientName="DOE*"
        )
        responses: list[Any] = list(assoc.send_c_find(query, MWL))
        assoc.release()
    finally:
        ae.shutdown()

    assert [int(s.Status) for s, _ in responses] == [0xFF00, 0xFF00, 0x0000]
    names = [str(ident.PatientName) for _, ident in responses[:2]]
    assert names == ["DOE^JOHN", "DOE^JANE"]
    assert responses[0][1].ScheduledProcedureStepSequence[0].Modality == "CT"
