"""Inventory Creation (PS3.4 Annex KK) against pynetdicom, both ways.

A pynetdicom SCU initiates, follows and cancels inventories at dicomnet's
:class:`InventorySCP` and hears the N-EVENT-REPORTs, on its association
while it lasts and then on a new one to its own server (KK.2.3); a dicomnet
SCU does the same with an SCP written with pynetdicom handlers.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pynetdicom
import pytest
from pydicom.dataset import Dataset

from dicomnet import evt
from dicomnet.services import inventory as inv
from tests.services._n_peers import (
    AfterResponse,
    Heard,
    Servers,
    our_ae,
    peer_ae,
    started,
)
from tests.services.test_inventory import IC, ROOT, T1, T2, T3, WELL_KNOWN, initiate
from tests.services.test_inventory import produced as produced_inventory
from tests.services.test_normalized import LOOPBACK, reply

pytestmark = pytest.mark.interop


@pytest.fixture
def servers() -> Iterator[Servers]:
    yield from started()


def summary(report: tuple[int, str, Dataset]) -> tuple[int, str, str, str]:
    """(event type, SOP instance, Transaction UID, Transaction Status)."""
    kind, instance, info = report
    return kind, instance, str(info.TransactionUID), str(info.TransactionStatus)


def test_pynetdicom_scu_with_the_dicomnet_inventory_scp(servers: Servers) -> None:
    # The requestor's own server, for the reports after its association ends.
    later = Heard()
    requestor_port = servers.theirs(
        "REQUESTOR",
        [(pynetdicom.evt.EVT_N_EVENT_REPORT, later)],
        IC,
        scu_role=True,
        scp_role=True,
    )
    scp = inv.InventorySCP(
        lambda t: produced_inventory() if t.transaction_uid == T2 else None,
        peers={"REQUESTOR": (LOOPBACK, requestor_port)},
    )
    port = servers.ours("ARCHIVE", scp.handlers(), IC)
    heard = Heard()
    requestor = servers.client(peer_ae("REQUESTOR"))
    requestor.add_requested_context(IC)
    assoc = requestor.associate(
        LOOPBACK,
        port,
        ae_title="ARCHIVE",
        evt_handlers=[(pynetdicom.evt.EVT_N_EVENT_REPORT, heard)],
    )
    assert assoc.is_established

    def action(kind: int, info: Dataset, instance: str = WELL_KNOWN) -> int:
        status, _ = assoc.send_n_action(info, kind, IC, instance)
        return int(status.Status)

    codes = [action(inv.INITIATE, initiate(T1))]
    reports = [heard.next()]
    codes.append(action(inv.REQUEST_STATUS, reply(TransactionUID=T1)))
    reports.append(heard.next())
    cancel = reply(TransactionUID=T1, RetainInstances="N")
    codes.append(action(inv.CANCEL, cancel))
    reports.append(heard.next())
    codes.append(action(inv.CANCEL, cancel))
    codes.append(action(inv.INITIATE, initiate(T2, level="SERIES")))
    reports.append(heard.next())
    _, _, done = heard.next()
    codes.append(action(inv.REQUEST_STATUS, reply(TransactionUID="1.2.3.404")))
    codes.append(action(inv.INITIATE, initiate(T3, level="PATIENT")))
    codes.append(action(inv.INITIATE, initiate(T3), instance="1.2.3.404"))
    codes.append(action(inv.INITIATE, initiate(T3)))
    reports.append(heard.next())
    assoc.release()
    # KK.2.3: the association is gone, the rest goes on a new one.
    scp.finish(T3, produced_inventory())
    afterwards = later.next()

    assert codes == [0, 0, 0, 0x0110, 0, 0x0115, 0x0212, 0x0112, 0]
    status, ended, with_instances = (
        inv.INVENTORY_STATUS,
        inv.TERMINATED_WITHOUT_INSTANCES,
        inv.TERMINATED_WITH_INSTANCES,
    )
    assert [summary(report) for report in reports] == [
        (status, WELL_KNOWN, T1, inv.PROCESSING),
        (status, WELL_KNOWN, T1, inv.PROCESSING),
        (ended, WELL_KNOWN, T1, inv.CANCELED),
        (status, WELL_KNOWN, T2, inv.PROCESSING),
        (status, WELL_KNOWN, T3, inv.PROCESSING),
    ]
    assert (done.TransactionUID, done.TransactionStatus) == (T2, inv.COMPLETE)
    assert (done.ReferencedSOPInstanceUID, done.RetrieveAETitle) == (ROOT, "N_SCP")
    assert done.TotalNumberOfStudyRecords == 3
    assert summary(afterwards) == (with_instances, WELL_KNOWN, T3, inv.COMPLETE)
    assert scp.transactions[T2].request.InventoryLevel == "SERIES"


class PynetdicomInventorySCP:
    """An Inventory Creation SCP written with pynetdicom handlers.

    Initiate reports PROCESSING and then the produced Inventory; Request
    Status reports the state; Cancel of an ended transaction is refused.
    """

    def __init__(self) -> None:
        self.states: dict[str, str] = {}
        self.requests: list[tuple[int, Dataset]] = []
        self.after = AfterResponse()

    def handlers(self) -> list[tuple[Any, Any]]:
        return [(pynetdicom.evt.EVT_N_ACTION, self.on_action), *self.after.handlers()]

    def on_action(self, event: Any) -> object:
        kind, info = event.action_type, event.action_information
        self.requests.append((kind, info))
        if str(event.request.RequestedSOPInstanceUID) != WELL_KNOWN:
            return 0x0112, None
        uid = str(info.TransactionUID)
        if kind == inv.INITIATE:
            self.states[uid] = inv.COMPLETE
            reports = [
                (inv.INVENTORY_STATUS, progress(uid, inv.PROCESSING)),
                (inv.TERMINATED_WITH_INSTANCES, finished(uid)),
            ]
        elif kind == inv.REQUEST_STATUS and uid in self.states:
            reports = [(inv.INVENTORY_STATUS, progress(uid, self.states[uid]))]
        elif kind == inv.CANCEL:
            return 0x0110, None  # every transaction here has ended
        else:
            return 0x0115, None
        self.after.then(
            event.assoc,
            lambda assoc: self.after.report(assoc, reports, IC, WELL_KNOWN),
        )
        return 0x0000, None


def progress(uid: str, state: str) -> Dataset:
    return reply(
        TransactionUID=uid, TransactionStatus=state, TotalNumberOfStudyRecords=0
    )


def finished(uid: str) -> Dataset:
    info = produced_inventory()
    info.TransactionUID = uid
    info.TransactionStatus = inv.COMPLETE
    return info


def test_dicomnet_scu_with_a_pynetdicom_inventory_scp(servers: Servers) -> None:
    repository = PynetdicomInventorySCP()
    port = servers.theirs("ARCHIVE", repository.handlers(), IC)
    heard = Heard()
    requestor = servers.client(our_ae("REQUESTOR"))
    requestor.add_requested_context(IC)
    assoc = requestor.associate(
        LOOPBACK,
        port,
        ae_title="ARCHIVE",
        evt_handlers=[(evt.EVT_N_EVENT_REPORT, heard)],
    )
    assert assoc.is_established
    request = initiate(T1, level="INSTANCE", PatientID="P1")
    started_ok, _ = assoc.send_n_action(request, inv.INITIATE, IC, WELL_KNOWN)
    produced = heard.take(2)
    asked, _ = assoc.send_n_action(
        reply(TransactionUID=T1), inv.REQUEST_STATUS, IC, WELL_KNOWN
    )
    state = heard.next()
    late, _ = assoc.send_n_action(
        reply(TransactionUID=T1, RetainInstances="Y"), inv.CANCEL, IC, WELL_KNOWN
    )
    unknown, _ = assoc.send_n_action(
        reply(TransactionUID=T2), inv.REQUEST_STATUS, IC, WELL_KNOWN
    )
    assoc.release()
    repository.after.join()

    assert (started_ok.Status, asked.Status) == (0x0000, 0x0000)
    assert (late.Status, unknown.Status) == (0x0110, 0x0115)
    kind, info = repository.requests[0]
    assert (kind, info.InventoryLevel) == (inv.INITIATE, "INSTANCE")
    assert info.ScopeOfInventorySequence[0].PatientID == "P1"
    assert repository.requests[2][1].RetainInstances == "Y"
    assert [summary(report) for report in (*produced, state)] == [
        (inv.INVENTORY_STATUS, WELL_KNOWN, T1, inv.PROCESSING),
        (inv.TERMINATED_WITH_INSTANCES, WELL_KNOWN, T1, inv.COMPLETE),
        (inv.INVENTORY_STATUS, WELL_KNOWN, T1, inv.COMPLETE),
    ]
    assert produced[1][2].ReferencedSOPInstanceUID == ROOT
    assert [repository.after.statuses.get_nowait() for _ in range(3)] == [0, 0, 0]
