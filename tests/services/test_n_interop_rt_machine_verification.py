"""RT Machine Verification (PS3.4 Annex DD) against pynetdicom, both ways.

A pynetdicom TDS (SCU) drives dicomnet's :class:`MachineVerificationSCP` and
hears the "Pending" and "Done" N-EVENT-REPORTs on its own association; a
dicomnet TDS drives an MPV written with pynetdicom handlers in the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pynetdicom
import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from dicomnet import evt
from dicomnet.services import rt_machine_verification as mv
from tests.services._n_peers import (
    AfterResponse,
    Heard,
    Servers,
    our_ae,
    peer_ae,
    started,
)
from tests.services.test_normalized import LOOPBACK
from tests.services.test_rt_machine_verification import (
    CONV,
    GANTRY,
    ION,
    MV,
    PLANS,
    beam,
    session,
)

pytestmark = pytest.mark.interop

STATUS = 0x3008002C  # Treatment Verification Status
FAILED = 0x00741048  # Failed Parameters Sequence
OTHER = "1.2.826.0.1.3680043.10.1234.520"


@pytest.fixture
def servers() -> Iterator[Servers]:
    yield from started()


def test_pynetdicom_tds_with_the_dicomnet_mpv(servers: Servers) -> None:
    expected = {1: mv_reference()}
    scp = mv.MachineVerificationSCP(
        mv.compare_with_reference(expected), plans=PLANS, report_pending=True
    )
    port = servers.ours("MPV", scp.handlers(), CONV, ION)
    heard = Heard()
    tds = servers.client(peer_ae("TDS"))
    tds.add_requested_context(CONV)
    assoc = tds.associate(
        LOOPBACK,
        port,
        ae_title="MPV",
        evt_handlers=[(pynetdicom.evt.EVT_N_EVENT_REPORT, heard)],
    )
    assert assoc.is_established
    created, attrs = assoc.send_n_create(session(), CONV, MV)
    busy, _ = assoc.send_n_create(session(), CONV, OTHER)
    no_beam, _ = assoc.send_n_set(beam(number=9), CONV, MV)
    set_ok, _ = assoc.send_n_set(beam(gantry=0.0), CONV, MV)
    started_ok, _ = assoc.send_n_action(None, mv.REQUEST_BEAM_VERIFICATION, CONV, MV)
    # DD.3.2.5.3: "Pending", then "Done" with the verdict, on this association.
    first = heard.take(2)
    got, verdict = assoc.send_n_get([STATUS], CONV, MV)
    assoc.send_n_set(beam(gantry=10.0), CONV, MV)
    assoc.send_n_action(None, mv.REQUEST_BEAM_VERIFICATION, CONV, MV)
    second = heard.take(2)
    _, failed = assoc.send_n_get([STATUS, FAILED], CONV, MV)
    no_action, _ = assoc.send_n_action(None, 2, CONV, MV)
    deleted = assoc.send_n_delete(CONV, MV)
    gone, _ = assoc.send_n_get([STATUS], CONV, MV)
    assoc.release()

    assert (created.Status, attrs.GeneralMachineVerificationSequence) == (0, [])
    assert busy.Status == mv.ALREADY_VERIFYING
    assert no_beam.Status == mv.BEAM_NOT_FOUND
    assert (set_ok.Status, started_ok.Status) == (0x0000, 0x0000)
    assert [(kind, uid) for kind, uid, _ in first] == [(mv.PENDING, MV), (mv.DONE, MV)]
    assert first[0][2] == Dataset()
    assert first[1][2].TreatmentVerificationStatus == mv.VERIFIED
    assert (got.Status, verdict.TreatmentVerificationStatus) == (0x0000, mv.VERIFIED)
    assert second[1][:2] == (mv.DONE, MV)
    assert second[1][2].TreatmentVerificationStatus == mv.NOT_VERIFIED
    assert failed.TreatmentVerificationStatus == mv.NOT_VERIFIED
    (item,) = failed.FailedAttributesSequence
    assert item.SelectorAttribute == GANTRY
    assert no_action.Status == 0x0123
    assert deleted.Status == 0x0000
    assert gone.Status == mv.INSTANCE_NOT_FOUND
    assert scp.instances == {}


def mv_reference() -> Dataset:
    reference = Dataset()
    reference.TreatmentMachineName = "LINAC1"
    reference.GantryAngle = 0.0
    return reference


class PynetdicomMPV:
    """A Machine Parameter Verifier written with pynetdicom handlers.

    It keeps the instances as created, verifies a beam whose gantry angle
    is 0 and reports "Pending" then "Done" after the N-ACTION response.
    """

    def __init__(self) -> None:
        self.instances: dict[str, Dataset] = {}
        self.after = AfterResponse()

    def handlers(self) -> list[tuple[Any, Any]]:
        on = pynetdicom.evt
        return [
            (on.EVT_N_CREATE, self.on_create),
            (on.EVT_N_SET, self.on_set),
            (on.EVT_N_ACTION, self.on_action),
            (on.EVT_N_GET, self.on_get),
            (on.EVT_N_DELETE, self.on_delete),
            *self.after.handlers(),
        ]

    def on_create(self, event: Any) -> object:
        attrs = event.attribute_list
        if "ReferencedRTPlanSequence" not in attrs:
            return 0x0120, None
        self.instances[str(event.request.AffectedSOPInstanceUID)] = attrs
        return 0x0000, attrs

    def on_set(self, event: Any) -> object:
        instance = self.instances.get(str(event.request.RequestedSOPInstanceUID))
        if instance is None:
            return 0x0112, None
        instance.update(event.modification_list)
        return 0x0000, None

    def on_action(self, event: Any) -> object:
        uid = str(event.request.RequestedSOPInstanceUID)
        instance = self.instances.get(uid)
        if instance is None:
            return mv.INSTANCE_NOT_FOUND, None
        if event.action_type != mv.REQUEST_BEAM_VERIFICATION:
            return 0x0123, None
        points = instance.IonMachineVerificationSequence[0]
        point = points.IonControlPointVerificationSequence[0]
        verdict = mv.VERIFIED if point.GantryAngle == 0 else mv.NOT_VERIFIED
        instance.TreatmentVerificationStatus = verdict
        done = Dataset()
        done.TreatmentVerificationStatus = verdict
        sop_class = str(event.request.RequestedSOPClassUID)
        self.after.then(
            event.assoc,
            lambda assoc: self.after.report(
                assoc, [(mv.PENDING, None), (mv.DONE, done)], sop_class, uid
            ),
        )
        return 0x0000, None

    def on_get(self, event: Any) -> object:
        instance = self.instances.get(str(event.request.RequestedSOPInstanceUID))
        if instance is None:
            return mv.INSTANCE_NOT_FOUND, None
        attrs = Dataset()
        for tag in event.attribute_identifiers:
            if tag in instance:
                attrs[tag] = instance[tag]
        return 0x0000, attrs

    def on_delete(self, event: Any) -> object:
        gone = self.instances.pop(str(event.request.RequestedSOPInstanceUID), None)
        return 0x0112 if gone is None else 0x0000


def test_dicomnet_tds_with_a_pynetdicom_mpv(servers: Servers) -> None:
    mpv = PynetdicomMPV()
    port = servers.theirs("MPV", mpv.handlers(), CONV, ION)
    heard = Heard()
    tds = servers.client(our_ae("TDS"))
    tds.add_requested_context(ION)
    assoc = tds.associate(
        LOOPBACK, port, ae_title="MPV", evt_handlers=[(evt.EVT_N_EVENT_REPORT, heard)]
    )
    assert assoc.is_established
    created, attrs = assoc.send_n_create(session(module="Ion"), ION, MV)
    set_ok, _ = assoc.send_n_set(beam(gantry=0.0, module="Ion"), ION, MV)
    started_ok, _ = assoc.send_n_action(None, mv.REQUEST_BEAM_VERIFICATION, ION, MV)
    first = heard.take(2)
    assoc.send_n_set(beam(gantry=10.0, module="Ion"), ION, MV)
    assoc.send_n_action(None, mv.REQUEST_BEAM_VERIFICATION, ION, MV)
    second = heard.take(2)
    got, verdict = assoc.send_n_get([STATUS], ION, MV)
    no_action, _ = assoc.send_n_action(None, 2, ION, MV)
    deleted = assoc.send_n_delete(ION, MV)
    gone, _ = assoc.send_n_get([STATUS], ION, MV)
    assoc.release()
    mpv.after.join()

    assert (created.Status, created.AffectedSOPInstanceUID) == (0x0000, MV)
    assert attrs.IonMachineVerificationSequence == Sequence()
    assert (set_ok.Status, started_ok.Status) == (0x0000, 0x0000)
    assert [(kind, uid) for kind, uid, _ in first] == [(mv.PENDING, MV), (mv.DONE, MV)]
    assert first[0][2] == Dataset()
    assert first[1][2].TreatmentVerificationStatus == mv.VERIFIED
    assert second[1][2].TreatmentVerificationStatus == mv.NOT_VERIFIED
    # Our TDS answered each event report with Success.
    assert [mpv.after.statuses.get_nowait() for _ in range(4)] == [0, 0, 0, 0]
    assert (got.Status, verdict.TreatmentVerificationStatus) == (0, mv.NOT_VERIFIED)
    assert no_action.Status == 0x0123
    assert deleted.Status == 0x0000
    assert gone.Status == mv.INSTANCE_NOT_FOUND
    assert mpv.instances == {}
