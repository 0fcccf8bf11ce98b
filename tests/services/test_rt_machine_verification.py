"""RT Machine Verification (PS3.4 Annex DD) between dicomnet AEs."""

from __future__ import annotations

import queue
from collections.abc import Iterator
from typing import Any

import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from dicomnet import evt
from dicomnet.services import rt_machine_verification as mv
from dicomnet.sop_class import (
    RTConventionalMachineVerification,
    RTIonMachineVerification,
    RTPlanStorage,
)
from tests.services.test_normalized import TIMEOUT, Pair, reply

CONV = RTConventionalMachineVerification
ION = RTIonMachineVerification
PLAN = "1.2.826.0.1.3680043.10.1234.500"
TWO_GROUPS = "1.2.826.0.1.3680043.10.1234.501"
MV = "1.2.826.0.1.3680043.10.1234.510"
GANTRY = 0x300A011E


def fraction_group(number: int, *beams: int) -> Dataset:
    refs = [reply(ReferencedBeamNumber=beam) for beam in beams]
    return reply(FractionGroupNumber=number, ReferencedBeamSequence=Sequence(refs))


PLANS = {
    PLAN: reply(FractionGroupSequence=Sequence([fraction_group(1, 1, 2)])),
    TWO_GROUPS: reply(
        FractionGroupSequence=Sequence([fraction_group(1, 1), fraction_group(2)])
    ),
}


def session(plan: str = PLAN, module: str = "Conventional", **changes: Any) -> Dataset:
    """An N-CREATE Attribute List (Table DD.3.2.1-1)."""
    ref = reply(ReferencedSOPClassUID=RTPlanStorage, ReferencedSOPInstanceUID=plan)
    ds = reply(
        ReferencedRTPlanSequence=Sequence([ref]),
        ReferencedFractionGroupNumber=1,
        PatientID="P1",
        GeneralMachineVerificationSequence=Sequence(),
    )
    setattr(ds, f"{module}MachineVerificationSequence", Sequence())
    for keyword, value in changes.items():
        if value is None:
            del ds[keyword]
        else:
            setattr(ds, keyword, value)
    return ds


def beam(number: int = 1, gantry: float = 0.0, module: str = "Conventional") -> Dataset:
    """An N-SET Modification List for one beam's parameters."""
    general = reply(
        ReferencedBeamNumber=number,
        TreatmentMachineName="LINAC1",
        RadiationType="PHOTON",
        NumberOfWedges=0,
        NumberOfCompensators=0,
        NumberOfBoli=0,
        NumberOfBlocks=0,
        NumberOfControlPoints=1,
    )
    point = reply(ReferencedControlPointIndex=0, GantryAngle=gantry)
    item = Dataset()
    setattr(item, f"{module}ControlPointVerificationSequence", Sequence([point]))
    ds = reply(GeneralMachineVerificationSequence=Sequence([general]))
    setattr(ds, f"{module}MachineVerificationSequence", Sequence([item]))
    return ds


class Setup(Pair):
    def __init__(self) -> None:
        super().__init__()
        self.reports: queue.SimpleQueue[tuple[int, str, Dataset]] = queue.SimpleQueue()

    def on_report(self, event: Any) -> object:
        self.reports.put(
            (
                event.event_type,
                str(event.request.AffectedSOPInstanceUID),
                event.event_information,
            )
        )
        return 0x0000, None

    def open(self, scp: mv.MachineVerificationSCP) -> Any:
        self.serve(scp.handlers(), CONV, ION)
        return self.associate(
            CONV, ION, handlers=[(evt.EVT_N_EVENT_REPORT, self.on_report)]
        )

    def report(self) -> tuple[int, str, Dataset]:
        return self.reports.get(timeout=TIMEOUT)


@pytest.fixture
def setup() -> Iterator[Setup]:
    peers = Setup()
    yield peers
    peers.close()


def test_a_beam_is_verified_then_refused(setup: Setup) -> None:
    expected = {1: reply(TreatmentMachineName="LINAC1", GantryAngle=0.0)}
    scp = mv.MachineVerificationSCP(
        mv.compare_with_reference(expected), plans=PLANS, report_pending=True
    )
    assoc = setup.open(scp)
    created, attrs = assoc.send_n_create(session(), CONV, MV)
    set_ok, _ = assoc.send_n_set(beam(gantry=0.0), CONV, MV)
    started, _ = assoc.send_n_action(None, mv.REQUEST_BEAM_VERIFICATION, CONV, MV)
    pending, done = setup.report(), setup.report()
    got, result = assoc.send_n_get([0x3008002C, 0x00741048], CONV, MV)
    assoc.send_n_set(beam(gantry=10.0), CONV, MV)
    assoc.send_n_action(None, mv.REQUEST_BEAM_VERIFICATION, CONV, MV)
    setup.report()
    refused = setup.report()
    _, failed = assoc.send_n_get([0x3008002C, 0x00741048], CONV, MV)
    deleted = assoc.send_n_delete(CONV, MV)
    gone, _ = assoc.send_n_get(None, CONV, MV)
    assoc.release()

    assert (created.Status, set_ok.Status, started.Status) == (0, 0, 0)
    assert attrs is not None
    assert attrs.GeneralMachineVerificationSequence == Sequence()
    assert pending == (mv.PENDING, MV, Dataset())
    assert done[:2] == (mv.DONE, MV)
    assert done[2].TreatmentVerificationStatus == mv.VERIFIED
    assert got.Status == 0x0000
    assert result is not None
    assert result.TreatmentVerificationStatus == mv.VERIFIED
    assert result.FailedAttributesSequence == Sequence()
    assert refused[2].TreatmentVerificationStatus == mv.NOT_VERIFIED
    assert failed is not None
    assert failed.TreatmentVerificationStatus == mv.NOT_VERIFIED
    (item,) = failed.FailedAttributesSequence
    assert item.SelectorAttribute == GANTRY
    assert item.SelectorSequencePointer == [0x00741044, 0x0074104C]
    assert item.SelectorSequencePointerItems == [1, 1]
    assert deleted.Status == 0x0000
    assert gone.Status == mv.INSTANCE_NOT_FOUND


def test_the_ion_class_and_a_custom_verdict(setup: Setup) -> None:
    def verify(instance: Dataset, plan: Dataset | None) -> mv.VerificationResult:
        assert plan is None  # no plans given
        assert instance.SOPClassUID == ION
        overridden = mv.parameter_reference(GANTRY)
        overridden.OverrideReason = "Physicist approved"
        return mv.VerificationResult(status=mv.VERIFIED_OVR, overridden=(overridden,))

    assoc = setup.open(mv.MachineVerificationSCP(verify))
    created, _ = assoc.send_n_create(session(module="Ion"), ION, MV)
    set_ok, _ = assoc.send_n_set(beam(number=7, module="Ion"), ION, MV)
    assoc.send_n_action(None, mv.REQUEST_BEAM_VERIFICATION, ION, MV)
    _, _, info = setup.report()
    status, attrs = assoc.send_n_get([0x0074104A, 0x00091001], ION, MV)
    assoc.release()

    assert (created.Status, set_ok.Status) == (0, 0)
    assert info.TreatmentVerificationStatus == mv.VERIFIED_OVR
    # PS3.7 C.4.3: the unknown private attribute is named in a warning.
    assert status.Status == 0x0107
    assert attrs is not None
    assert attrs.OverriddenAttributesSequence[0].OverrideReason == "Physicist approved"


def test_nothing_to_verify_and_a_failing_callback(setup: Setup) -> None:
    def broken(instance: Dataset, plan: Dataset | None) -> mv.VerificationResult:
        raise RuntimeError("no reference")

    assoc = setup.open(mv.MachineVerificationSCP(broken))
    assoc.send_n_create(session(), CONV, MV)
    assoc.send_n_action(None, mv.REQUEST_BEAM_VERIFICATION, CONV, MV)
    _, _, early = setup.report()
    assoc.send_n_set(beam(), CONV, MV)
    assoc.send_n_action(None, mv.REQUEST_BEAM_VERIFICATION, CONV, MV)
    _, _, failed = setup.report()
    assoc.release()

    # DD.3.2.2.4: values required for verification not supplied.
    assert early.TreatmentVerificationStatus == mv.NOT_VERIFIED
    assert failed.TreatmentVerificationStatus == mv.NOT_VERIFIED


def test_by_default_a_set_beam_is_verified(setup: Setup) -> None:
    assoc = setup.open(mv.MachineVerificationSCP())
    assoc.send_n_create(session(), CONV, MV)
    assoc.send_n_set(beam(), CONV, MV)
    assoc.send_n_action(None, mv.REQUEST_BEAM_VERIFICATION, CONV, MV)
    event_type, _, info = setup.report()
    assoc.release()
    assert (event_type, info.TreatmentVerificationStatus) == (mv.DONE, mv.VERIFIED)


def test_a_beam_outside_the_reference_fails(setup: Setup) -> None:
    expected = {2: reply(GantryAngle=0.0)}
    assoc = setup.open(mv.MachineVerificationSCP(mv.compare_with_reference(expected)))
    assoc.send_n_create(session(), CONV, MV)
    assoc.send_n_set(beam(number=1), CONV, MV)
    assoc.send_n_action(None, mv.REQUEST_BEAM_VERIFICATION, CONV, MV)
    _, _, info = setup.report()
    _, attrs = assoc.send_n_get([0x00741048], CONV, MV)
    assoc.release()
    assert info.TreatmentVerificationStatus == mv.NOT_VERIFIED
    assert attrs is not None
    assert attrs.FailedAttributesSequence[0].SelectorAttribute == 0x300C0006


# -- refusals -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attrs", "code"),
    [
        pytest.param(session(plan="1.2.3.404"), mv.PLAN_NOT_FOUND, id="no-plan"),
        pytest.param(
            session(ReferencedFractionGroupNumber=9),
            mv.FRACTION_GROUP_NOT_FOUND,
            id="no-fraction-group",
        ),
        pytest.param(
            session(plan=TWO_GROUPS, ReferencedFractionGroupNumber=2),
            mv.NO_BEAMS,
            id="no-beams",
        ),
        pytest.param(
            session(plan=TWO_GROUPS, ReferencedFractionGroupNumber=None),
            0x0120,
            id="fraction-group-1C",
        ),
        pytest.param(session(PatientID=None), 0x0120, id="no-patient-id"),
        pytest.param(session(PatientID=""), 0x0121, id="empty-patient-id"),
        pytest.param(
            session(TreatmentVerificationStatus="VERIFIED"),
            0x0106,
            id="result-not-allowed",
        ),
        pytest.param(
            session(GeneralMachineVerificationSequence=Sequence([Dataset()])),
            0x0106,
            id="parameters-in-create",
        ),
    ],
)
def test_a_bad_n_create_is_refused(setup: Setup, attrs: Dataset, code: int) -> None:
    scp = mv.MachineVerificationSCP(plans=PLANS)
    assoc = setup.open(scp)
    status, returned = assoc.send_n_create(attrs, CONV, MV)
    assoc.release()
    assert status.Status == code
    assert returned is None
    assert scp.instances == {}


def test_one_open_session_per_scu(setup: Setup) -> None:
    assoc = setup.open(mv.MachineVerificationSCP(plans=PLANS))
    first, _ = assoc.send_n_create(session(), CONV, MV)
    again, _ = assoc.send_n_create(session(), CONV, MV)
    busy, _ = assoc.send_n_create(session(), CONV, "1.2.3.511")
    assoc.send_n_delete(CONV, MV)
    after, _ = assoc.send_n_create(session(), CONV, "1.2.3.511")
    unknown = assoc.send_n_delete(CONV, MV)
    assoc.release()
    assert (first.Status, again.Status) == (0x0000, 0x0111)
    assert busy.Status == mv.ALREADY_VERIFYING
    assert after.Status == 0x0000
    assert unknown.Status == 0x0112


def test_bad_n_sets_and_n_actions_are_refused(setup: Setup) -> None:
    scp = mv.MachineVerificationSCP(plans=PLANS)
    assoc = setup.open(scp)
    assoc.send_n_create(session(), CONV, MV)
    two_points = beam()
    item = two_points.ConventionalMachineVerificationSequence[0]
    item.ConventionalControlPointVerificationSequence.append(Dataset())
    no_machine = beam()
    del no_machine.GeneralMachineVerificationSequence[0].TreatmentMachineName
    results = {
        "unknown": assoc.send_n_set(beam(), CONV, "1.2.3.404")[0],
        "plan-level": assoc.send_n_set(reply(PatientID="P2"), CONV, MV)[0],
        "no-parameters": assoc.send_n_set(reply(BeamName="x"), CONV, MV)[0],
        "two-points": assoc.send_n_set(two_points, CONV, MV)[0],
        "no-machine": assoc.send_n_set(no_machine, CONV, MV)[0],
        "unknown-beam": assoc.send_n_set(beam(number=3), CONV, MV)[0],
        "action-unknown": assoc.send_n_action(None, 1, CONV, "1.2.3.404")[0],
        "no-such-action": assoc.send_n_action(None, 2, CONV, MV)[0],
    }
    assert assoc.is_established
    assoc.release()

    assert {name: status.Status for name, status in results.items()} == {
        "unknown": 0x0112,
        "plan-level": 0x0106,
        "no-parameters": 0x0120,
        "two-points": 0x0106,
        "no-machine": 0x0120,
        "unknown-beam": mv.BEAM_NOT_FOUND,
        "action-unknown": mv.INSTANCE_NOT_FOUND,
        "no-such-action": 0x0123,
    }
    assert results["plan-level"].AttributeIdentifierList == 0x00100020
    assert scp.instances[MV].GeneralMachineVerificationSequence == Sequence()


def test_a_verdict_must_be_one_of_the_three() -> None:
    with pytest.raises(ValueError, match="Treatment Verification Status"):
        mv.VerificationResult(status="MAYBE")
