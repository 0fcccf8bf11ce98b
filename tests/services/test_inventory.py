"""Inventory Creation (PS3.4 Annex KK) between dicomnet AEs."""

from __future__ import annotations

import queue
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from dicomnet import AE, evt
from dicomnet.services import inventory as inv
from dicomnet.sop_class import InventoryCreation, InventoryStorage
from tests.services.test_normalized import LOOPBACK, TIMEOUT, Pair, reply

IC = InventoryCreation
WELL_KNOWN = inv.STORAGE_MANAGEMENT_INSTANCE
ROOT = "1.2.826.0.1.3680043.10.1234.700"
T1, T2, T3 = (f"1.2.826.0.1.3680043.10.1234.71{n}" for n in range(3))

Report = tuple[int, str, Dataset]


def initiate(uid: str = T1, level: str = "STUDY", **scope: Any) -> Dataset:
    """Initiate Action Information (Table KK.2-1)."""
    items = [reply(**scope)] if scope else []
    return reply(
        TransactionUID=uid,
        ScopeOfInventorySequence=Sequence(items),
        InventoryLevel=level,
    )


def produced(*removed: str) -> Dataset:
    ds = reply(
        ReferencedSOPClassUID=InventoryStorage,
        ReferencedSOPInstanceUID=ROOT,
        RetrieveAETitle="N_SCP",
        TotalNumberOfStudyRecords=3,
    )
    for keyword in removed:
        del ds[keyword]
    return ds


class Setup(Pair):
    def __init__(self) -> None:
        super().__init__()
        self.reports: queue.SimpleQueue[Report] = queue.SimpleQueue()

    def on_report(self, event: Any) -> object:
        self.reports.put(
            (
                event.event_type,
                str(event.request.AffectedSOPInstanceUID),
                event.event_information,
            )
        )
        return 0x0000, None

    def open(self, scp: inv.InventorySCP) -> Any:
        self.serve(scp.handlers(), IC)
        return self.associate(IC, handlers=[(evt.EVT_N_EVENT_REPORT, self.on_report)])

    def report(self) -> tuple[int, str, str]:
        """The next report: (event type, Transaction UID, Transaction Status)."""
        event_type, instance, info = self.reports.get(timeout=TIMEOUT)
        assert instance == WELL_KNOWN
        return event_type, str(info.TransactionUID), str(info.TransactionStatus)


@pytest.fixture
def setup() -> Iterator[Setup]:
    peers = Setup()
    yield peers
    peers.close()


def action(assoc: Any, kind: int, info: Dataset | None) -> int:
    status, _ = assoc.send_n_action(info, kind, IC, WELL_KNOWN)
    return int(status.Status)


def test_an_inventory_is_produced_and_reported(setup: Setup) -> None:
    requests: list[inv.InventoryTransaction] = []

    def produce(transaction: inv.InventoryTransaction) -> Dataset:
        requests.append(transaction)
        return produced()

    assoc = setup.open(inv.InventorySCP(produce))
    started = action(assoc, inv.INITIATE, initiate(level="SERIES"))
    processing = setup.report()
    done_type, _, done = setup.reports.get(timeout=TIMEOUT)
    asked = action(assoc, inv.REQUEST_STATUS, reply(TransactionUID=T1))
    status = setup.report()
    too_late, _ = assoc.send_n_action(
        reply(TransactionUID=T1, RetainInstances="N"), inv.CANCEL, IC, WELL_KNOWN
    )
    assoc.release()

    assert started == 0x0000
    assert requests[0].request.InventoryLevel == "SERIES"
    assert requests[0].requestor == "N_SCU"
    assert processing == (inv.INVENTORY_STATUS, T1, inv.PROCESSING)
    assert done_type == inv.TERMINATED_WITH_INSTANCES
    assert (done.TransactionStatus, done.ReferencedSOPInstanceUID) == (
        inv.COMPLETE,
        ROOT,
    )
    assert (done.RetrieveAETitle, done.TotalNumberOfStudyRecords) == ("N_SCP", 3)
    assert asked == 0x0000
    assert status == (inv.INVENTORY_STATUS, T1, inv.COMPLETE)
    assert too_late.Status == 0x0110
    assert "COMPLETE" in too_late.ErrorComment


def test_a_deferred_inventory_is_paused_resumed_finished_or_canceled(
    setup: Setup,
) -> None:
    scp = inv.InventorySCP(lambda transaction: None)
    assoc = setup.open(scp)
    codes = [action(assoc, inv.INITIATE, initiate())]
    seen = [setup.report()]
    codes.extend(
        action(assoc, kind, reply(TransactionUID=T1))
        for kind in (inv.PAUSE, inv.PAUSE, inv.RESUME, inv.REQUEST_STATUS)
    )
    seen += [setup.report() for _ in range(3)]
    scp.finish(T1, produced())
    seen.append(setup.report())
    codes.append(action(assoc, inv.INITIATE, initiate(T2)))
    seen.append(setup.report())
    codes.append(
        action(assoc, inv.CANCEL, reply(TransactionUID=T2, RetainInstances="Y"))
    )
    seen.append(setup.report())
    codes.append(action(assoc, inv.RESUME, reply(TransactionUID=T2)))
    codes.append(action(assoc, inv.INITIATE, initiate(T3)))
    seen.append(setup.report())
    scp.fail(T3, "Disk full")
    _, _, failed = setup.reports.get(timeout=TIMEOUT)
    assoc.release()

    assert codes == [0, 0, 0x0110, 0, 0, 0, 0, 0x0110, 0]
    status, ended = inv.INVENTORY_STATUS, inv.TERMINATED_WITHOUT_INSTANCES
    assert seen == [
        (status, T1, inv.PROCESSING),
        (status, T1, inv.PAUSED),
        (status, T1, inv.PROCESSING),
        (status, T1, inv.PROCESSING),
        (inv.TERMINATED_WITH_INSTANCES, T1, inv.COMPLETE),
        (status, T2, inv.PROCESSING),
        (ended, T2, inv.CANCELED),
        (status, T3, inv.PROCESSING),
    ]
    assert (failed.TransactionStatus, failed.TransactionStatusComment) == (
        inv.FAILURE,
        "Disk full",
    )
    assert scp.transactions[T2].status == inv.CANCELED


def test_a_failed_or_unreachable_production_ends_without_instances(
    setup: Setup,
) -> None:
    results: list[Callable[[], Dataset]] = [
        lambda: produced("RetrieveAETitle"),
        lambda: (_ for _ in ()).throw(RuntimeError("no database")),
    ]

    def produce(transaction: inv.InventoryTransaction) -> Dataset:
        return results.pop(0)()

    assoc = setup.open(inv.InventorySCP(produce))
    action(assoc, inv.INITIATE, initiate(T1))
    first = [setup.report(), setup.report()]
    action(assoc, inv.INITIATE, initiate(T2))
    second = [setup.report(), setup.report()]
    assoc.release()
    for started, ended in (first, second):
        assert started[0::2] == (inv.INVENTORY_STATUS, inv.PROCESSING)
        assert ended[0::2] == (inv.TERMINATED_WITHOUT_INSTANCES, inv.FAILURE)


def test_unsupported_keys_are_a_warning(setup: Setup) -> None:
    scp = inv.InventorySCP(lambda transaction: None, matching_keys={"PatientID"})
    assoc = setup.open(scp)
    status, _ = assoc.send_n_action(
        initiate(
            PatientID="P1", StudyDate="20240101", SpecificCharacterSet="ISO_IR 192"
        ),
        inv.INITIATE,
        IC,
        WELL_KNOWN,
    )
    report = setup.report()
    assoc.release()
    # KK.2.2.3: B010 names the keys not matched on; the request goes ahead.
    assert status.Status == inv.KEYS_NOT_SUPPORTED
    assert status.AttributeIdentifierList == 0x00080020
    assert report == (inv.INVENTORY_STATUS, T1, inv.PROCESSING)


@pytest.mark.parametrize(
    ("kind", "info", "code"),
    [
        pytest.param(inv.INITIATE, reply(InventoryLevel="STUDY"), 0x0115, id="no-uid"),
        pytest.param(
            inv.INITIATE,
            reply(TransactionUID=T1, InventoryLevel="STUDY"),
            0x0115,
            id="no-scope",
        ),
        pytest.param(inv.INITIATE, initiate(level="PATIENT"), 0x0212, id="level"),
        pytest.param(
            inv.INITIATE,
            initiate(SpecificCharacterSet="ISO 2022 IR 13"),
            0x0212,
            id="character-set",
        ),
        pytest.param(
            inv.INITIATE,
            initiate(ExtendedMatchingMechanisms="FUZZY"),
            0x0212,
            id="matching",
        ),
        pytest.param(inv.INITIATE, initiate(T2), 0x0115, id="duplicate-uid"),
        pytest.param(
            inv.REQUEST_STATUS, reply(TransactionUID=T3), 0x0115, id="unknown-uid"
        ),
        pytest.param(inv.CANCEL, reply(TransactionUID=T2), 0x0115, id="no-retain"),
        pytest.param(99, reply(TransactionUID=T2), 0x0123, id="no-such-action"),
    ],
)
def test_bad_requests_are_refused(
    setup: Setup, kind: int, info: Dataset, code: int
) -> None:
    scp = inv.InventorySCP(lambda transaction: None)
    assoc = setup.open(scp)
    assert action(assoc, inv.INITIATE, initiate(T2)) == 0x0000
    refused = action(assoc, kind, info)
    assert assoc.is_established
    assoc.release()
    assert refused == code
    assert set(scp.transactions) == {T2}


def test_only_the_well_known_instance(setup: Setup) -> None:
    assoc = setup.open(inv.InventorySCP(lambda transaction: None))
    status, _ = assoc.send_n_action(initiate(), inv.INITIATE, IC, "1.2.3.404")
    assoc.release()
    assert status.Status == 0x0112


def test_reports_go_to_a_new_association_once_the_first_ends() -> None:
    heard: queue.SimpleQueue[Report] = queue.SimpleQueue()

    def on_report(event: Any) -> object:
        heard.put((event.event_type, "", event.event_information))
        return 0x0000, None

    listener = AE("N_SCU")
    listener.add_supported_context(IC, scu_role=True, scp_role=True)
    server = listener.start_server(
        (LOOPBACK, 0), block=False, evt_handlers=[(evt.EVT_N_EVENT_REPORT, on_report)]
    )
    assert server is not None
    peers = Setup()
    scp = inv.InventorySCP(
        lambda transaction: None, peers={"N_SCU": (LOOPBACK, server.server_address[1])}
    )
    try:
        assoc = peers.open(scp)
        action(assoc, inv.INITIATE, initiate())
        peers.report()
        assoc.release()
        scp.finish(T1, produced())
        event_type, _, info = heard.get(timeout=TIMEOUT)
    finally:
        peers.close()
        listener.shutdown()
    assert event_type == inv.TERMINATED_WITH_INSTANCES
    assert (info.TransactionUID, info.TransactionStatus) == (T1, inv.COMPLETE)
