"""Modality Performed Procedure Step (PS3.4 Annex F) between dicomnet AEs."""

from __future__ import annotations

import queue
from collections.abc import Iterator
from typing import Any

import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from dicomnet import AE, evt
from dicomnet.services import mpps
from dicomnet.sop_class import (
    ModalityPerformedProcedureStep,
    ModalityPerformedProcedureStepNotification,
    ModalityPerformedProcedureStepRetrieve,
)
from tests.services.test_normalized import LOOPBACK, TIMEOUT, Pair, reply

MPPS = ModalityPerformedProcedureStep
RETRIEVE = ModalityPerformedProcedureStepRetrieve
NOTIFICATION = ModalityPerformedProcedureStepNotification
STEP = "1.2.826.0.1.3680043.10.1234.100"


def start_step(**changes: Any) -> Dataset:
    """An N-CREATE Attribute List with every Type 1 and Type 2 attribute."""
    scheduled = reply(
        StudyInstanceUID="1.2.826.0.1.3680043.10.1234.7",
        AccessionNumber="A1",
        RequestedProcedureID="RP1",
        ScheduledProcedureStepID="SPS1",
    )
    ds = reply(
        ScheduledStepAttributesSequence=Sequence([scheduled]),
        PatientName="Doe^Jane",
        PatientID="P1",
        PatientBirthDate="19700101",
        PatientSex="F",
        PerformedProcedureStepID="PPS1",
        PerformedStationAETitle="CT1",
        PerformedStationName="",
        PerformedLocation="",
        PerformedProcedureStepStartDate="20240101",
        PerformedProcedureStepStartTime="101010",
        PerformedProcedureStepStatus="IN PROGRESS",
        PerformedProcedureStepDescription="",
        PerformedProcedureTypeDescription="",
        ProcedureCodeSequence=Sequence(),
        PerformedProcedureStepEndDate="",
        PerformedProcedureStepEndTime="",
        Modality="CT",
        StudyID="S1",
        PerformedProtocolCodeSequence=Sequence(),
        PerformedSeriesSequence=Sequence(),
    )
    for keyword, value in changes.items():
        if value is None:
            del ds[keyword]
        else:
            setattr(ds, keyword, value)
    return ds


def performed_series(**changes: Any) -> Dataset:
    """A Performed Series Sequence item with its Final State attributes."""
    ds = reply(
        PerformingPhysicianName="",
        ProtocolName="Chest",
        OperatorsName="",
        SeriesInstanceUID="1.2.3.4",
        SeriesDescription="",
        RetrieveAETitle="",
        ReferencedImageSequence=Sequence(),
        ReferencedNonImageCompositeSOPInstanceSequence=Sequence(),
    )
    for keyword, value in changes.items():
        if value is None:
            del ds[keyword]
        else:
            setattr(ds, keyword, value)
    return ds


def final(state: str = "COMPLETED", **changes: Any) -> Dataset:
    """An N-SET ending a step, with the Final State attributes (Table F.7.2-1)."""
    ds = reply(
        PerformedProcedureStepStatus=state,
        PerformedProcedureStepEndDate="20240101",
        PerformedProcedureStepEndTime="111111",
        PerformedSeriesSequence=Sequence([performed_series()]),
    )
    for keyword, value in changes.items():
        if value is None:
            del ds[keyword]
        else:
            setattr(ds, keyword, value)
    return ds


class Setup(Pair):
    def __init__(self, **options: Any) -> None:
        super().__init__()
        self.server = mpps.MPPSServer(**options)

    def open(self) -> Any:
        self.serve(self.server.handlers(), MPPS, RETRIEVE)
        return self.associate(MPPS, RETRIEVE)


@pytest.fixture
def setup() -> Iterator[Setup]:
    peers = Setup()
    yield peers
    peers.close()


def test_a_step_is_created_updated_and_completed(setup: Setup) -> None:
    assoc = setup.open()
    created, attrs = assoc.send_n_create(start_step(), MPPS, STEP)
    series = performed_series(SeriesDescription="axial")
    progress, _ = assoc.send_n_set(
        reply(PerformedSeriesSequence=Sequence([series])), MPPS, STEP
    )
    done, done_attrs = assoc.send_n_set(
        reply(
            PerformedProcedureStepStatus="COMPLETED",
            PerformedProcedureStepEndDate="20240101",
            PerformedProcedureStepEndTime="111111",
        ),
        MPPS,
        STEP,
    )
    late, _ = assoc.send_n_set(reply(PerformedProcedureStepDescription="x"), MPPS, STEP)
    assoc.release()

    assert created.Status == 0x0000
    assert created.AffectedSOPInstanceUID == STEP
    assert attrs is not None
    assert attrs.PerformedProcedureStepID == "PPS1"
    assert progress.Status == 0x0000
    assert done.Status == 0x0000
    assert done_attrs is not None
    assert done_attrs.PerformedProcedureStepStatus == "COMPLETED"
    step = setup.server.instances[STEP]
    assert step.PerformedSeriesSequence[0].SeriesDescription == "axial"
    assert step.PerformedProcedureStepStatus == "COMPLETED"
    # PS3.4 F.7.2.2.4: a finished step may no longer be updated.
    assert late.Status == 0x0110
    assert late.ErrorID == mpps.NOT_UPDATABLE_ERROR_ID
    assert late.ErrorComment.startswith("Performed Procedure Step Object")


def test_the_scp_assigns_the_uid_when_the_scu_does_not(setup: Setup) -> None:
    assoc = setup.open()
    status, _ = assoc.send_n_create(start_step(), MPPS)
    assoc.release()
    assert status.Status == 0x0000
    assert status.AffectedSOPInstanceUID in setup.server.instances


def test_the_retrieve_class_reads_a_step(setup: Setup) -> None:
    assoc = setup.open()
    assoc.send_n_create(start_step(), MPPS, STEP)
    status, attrs = assoc.send_n_get(
        [0x00100010, 0x00400252, 0x00400254], MPPS, STEP, meta_uid=RETRIEVE
    )
    everything, all_attrs = assoc.send_n_get(None, RETRIEVE, STEP)
    warned, some = assoc.send_n_get([0x00100010, 0x00091001], RETRIEVE, STEP)
    unknown, none = assoc.send_n_get(None, RETRIEVE, "1.2.3.999")
    assoc.release()

    assert status.Status == 0x0000
    assert attrs is not None
    assert attrs.PatientName == "Doe^Jane"
    assert attrs.PerformedProcedureStepStatus == "IN PROGRESS"
    assert attrs.PerformedProcedureStepDescription == ""  # asked for, empty
    assert everything.Status == 0x0000
    assert all_attrs is not None
    assert all_attrs.SOPInstanceUID == STEP
    # PS3.7 C.4.3: a private attribute the SCP does not have is named.
    assert warned.Status == 0x0107
    assert warned.AttributeIdentifierList == 0x00091001
    assert some is not None
    assert some.PatientName == "Doe^Jane"
    assert unknown.Status == 0x0112
    assert none is None


# -- bad input -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("attrs", "code"),
    [
        pytest.param(start_step(Modality=None), 0x0120, id="missing-type1"),
        pytest.param(start_step(PerformedProcedureStepID=""), 0x0121, id="empty-type1"),
        pytest.param(
            start_step(ScheduledStepAttributesSequence=Sequence([Dataset()])),
            0x0120,
            id="scheduled-step-without-study",
        ),
        pytest.param(
            start_step(PerformedProcedureStepStatus="COMPLETED"),
            0x0106,
            id="not-in-progress",
        ),
    ],
)
def test_a_bad_n_create_is_refused(setup: Setup, attrs: Dataset, code: int) -> None:
    assoc = setup.open()
    status, returned = assoc.send_n_create(attrs, MPPS, STEP)
    assert assoc.is_established
    assoc.release()

    assert status.Status == code
    assert returned is None
    assert STEP not in setup.server.instances


def test_type2_gaps_are_refused_only_when_strict() -> None:
    for strict, code in ((False, 0x0000), (True, 0x0120)):
        peers = Setup(strict=strict)
        try:
            assoc = peers.open()
            status, _ = assoc.send_n_create(start_step(PatientSex=None), MPPS, STEP)
            assoc.release()
        finally:
            peers.close()
        assert status.Status == code


def test_a_duplicate_step_is_refused(setup: Setup) -> None:
    assoc = setup.open()
    first, _ = assoc.send_n_create(start_step(), MPPS, STEP)
    second, _ = assoc.send_n_create(start_step(), MPPS, STEP)
    assoc.release()
    assert (first.Status, second.Status) == (0x0000, 0x0111)


def test_bad_n_sets_are_refused(setup: Setup) -> None:
    assoc = setup.open()
    assoc.send_n_create(start_step(), MPPS, STEP)
    unknown, _ = assoc.send_n_set(reply(PatientID="x"), MPPS, "1.2.3.999")
    fixed, _ = assoc.send_n_set(reply(PatientName="Other^Name"), MPPS, STEP)
    bad_state, _ = assoc.send_n_set(
        reply(PerformedProcedureStepStatus="PAUSED"), MPPS, STEP
    )
    delete = assoc.send_n_delete(MPPS, STEP)
    assert assoc.is_established
    assoc.release()

    assert unknown.Status == 0x0112
    assert fixed.Status == 0x0106
    assert fixed.AttributeIdentifierList == 0x00100010
    assert bad_state.Status == 0x0106
    assert delete.Status == 0x0211  # PS3.4 F.7.1: MPPS has no N-DELETE
    assert setup.server.instances[STEP].PatientName == "Doe^Jane"


def test_n_create_on_the_retrieve_class_is_refused(setup: Setup) -> None:
    assoc = setup.open()
    status, _ = assoc.send_n_create(start_step(), RETRIEVE, STEP)
    assoc.release()
    assert status.Status == 0x0211


# -- notifications (PS3.4 F.9) ---------------------------------------------------


def test_listeners_are_notified_of_each_change() -> None:
    heard: queue.SimpleQueue[tuple[int, str, Dataset]] = queue.SimpleQueue()
    changes: list[tuple[str, int]] = []

    def on_report(event: Any) -> object:
        heard.put(
            (
                event.event_type,
                str(event.request.AffectedSOPInstanceUID),
                event.event_information,
            )
        )
        return 0x0000, None

    listener = AE("RIS")
    listener.add_supported_context(NOTIFICATION, scu_role=True, scp_role=True)
    server = listener.start_server(
        (LOOPBACK, 0), block=False, evt_handlers=[(evt.EVT_N_EVENT_REPORT, on_report)]
    )
    assert server is not None
    peers = Setup(
        listeners={"RIS": (LOOPBACK, server.server_address[1])},
        on_change=lambda uid, attrs, kind: changes.append((uid, kind)),
    )
    try:
        assoc = peers.open()
        assoc.send_n_create(start_step(), MPPS, STEP)
        assoc.send_n_set(reply(PerformedProcedureStepDescription="x"), MPPS, STEP)
        assoc.send_n_set(final("DISCONTINUED"), MPPS, STEP)
        assoc.release()
        got = [heard.get(timeout=TIMEOUT) for _ in range(3)]
    finally:
        peers.close()
        listener.shutdown()

    kinds = [mpps.PPS_IN_PROGRESS, mpps.PPS_UPDATED, mpps.PPS_DISCONTINUED]
    assert [(kind, uid) for kind, uid, _ in got] == [(kind, STEP) for kind in kinds]
    assert all(info == Dataset() for _, _, info in got)
    assert changes == [(STEP, kind) for kind in kinds]


# -- the final state (PS3.4 F.7.2.2) ---------------------------------------------


@pytest.mark.parametrize("state", ["COMPLETED", "DISCONTINUED"])
@pytest.mark.parametrize(
    ("changes", "code"),
    [
        pytest.param({"PerformedSeriesSequence": Sequence()}, 0x0121, id="no-series"),
        pytest.param({"PerformedProcedureStepEndDate": ""}, 0x0121, id="no-end-date"),
        pytest.param(
            {
                "PerformedSeriesSequence": Sequence(
                    [performed_series(ProtocolName=None)]
                )
            },
            0x0120,
            id="series-without-protocol",
        ),
        pytest.param(
            {
                "PerformedSeriesSequence": Sequence(
                    [performed_series(SeriesInstanceUID="")]
                )
            },
            0x0121,
            id="series-without-uid",
        ),
    ],
)
def test_ending_a_step_needs_its_final_state_attributes(
    setup: Setup, state: str, changes: dict[str, Any], code: int
) -> None:
    assoc = setup.open()
    assoc.send_n_create(start_step(), MPPS, STEP)
    refused, attrs = assoc.send_n_set(final(state, **changes), MPPS, STEP)
    ended, _ = assoc.send_n_set(final(state), MPPS, STEP)
    assoc.release()

    assert refused.Status == code
    assert refused.ErrorComment.startswith("Final state")
    assert attrs is None
    assert ended.Status == 0x0000
    assert setup.server.instances[STEP].PerformedProcedureStepStatus == state


def test_final_state_attributes_may_come_in_earlier_n_sets(setup: Setup) -> None:
    assoc = setup.open()
    assoc.send_n_create(start_step(), MPPS, STEP)
    early = final()
    del early.PerformedProcedureStepStatus
    progress, _ = assoc.send_n_set(early, MPPS, STEP)
    done, _ = assoc.send_n_set(
        reply(PerformedProcedureStepStatus="COMPLETED"), MPPS, STEP
    )
    assoc.release()
    assert (progress.Status, done.Status) == (0x0000, 0x0000)


def test_type2_final_state_attributes_only_when_strict() -> None:
    bare = performed_series(OperatorsName=None)
    for strict, code in ((False, 0x0000), (True, 0x0120)):
        peers = Setup(strict=strict)
        try:
            assoc = peers.open()
            assoc.send_n_create(start_step(), MPPS, STEP)
            status, _ = assoc.send_n_set(
                final(PerformedSeriesSequence=Sequence([bare])), MPPS, STEP
            )
            assoc.release()
        finally:
            peers.close()
        assert status.Status == code


@pytest.mark.parametrize("state", ["IN PROGRESS", "DISCONTINUED", "COMPLETED"])
def test_a_finished_step_never_changes_state_again(setup: Setup, state: str) -> None:
    assoc = setup.open()
    assoc.send_n_create(start_step(), MPPS, STEP)
    assoc.send_n_set(final(), MPPS, STEP)
    again, _ = assoc.send_n_set(final(state), MPPS, STEP)
    assoc.release()
    # F.7.2.2.3: no going back to IN PROGRESS, nor any other change.
    assert again.Status == 0x0110
    assert again.ErrorID == mpps.NOT_UPDATABLE_ERROR_ID
    assert setup.server.instances[STEP].PerformedProcedureStepStatus == "COMPLETED"
