"""Unified Procedure Step (PS3.4 Annex CC) between dicomnet AEs.

A worklist manager (:class:`~dicomnet.services.ups.UPSServer`), a performer
that pulls and completes steps, and watchers that subscribe and receive the
N-EVENT-REPORTs on their own server or on their association.
"""

from __future__ import annotations

import queue
from collections.abc import Iterator
from typing import Any

import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import generate_uid

from dicomnet import AE, evt
from dicomnet.presentation import build_context
from dicomnet.services import ups
from dicomnet.sop_class import (
    ModalityPerformedProcedureStep,
    UnifiedProcedureStepEvent,
    UnifiedProcedureStepPull,
    UnifiedProcedureStepPush,
    UnifiedProcedureStepQuery,
    UnifiedProcedureStepWatch,
)
from tests.services.test_normalized import LOOPBACK, TIMEOUT, reply

PUSH = UnifiedProcedureStepPush
PULL = UnifiedProcedureStepPull
WATCH = UnifiedProcedureStepWatch
EVENT = UnifiedProcedureStepEvent
QUERY = UnifiedProcedureStepQuery
ALL = (PUSH, PULL, WATCH, EVENT, QUERY)

Report = tuple[int, str, Dataset]


def workitem(**changes: Any) -> Dataset:
    """An N-CREATE Attribute List with the Type 1 and Type 2 attributes."""
    ds = reply(
        ScheduledProcedureStepPriority="MEDIUM",
        ProcedureStepLabel="Plan review",
        ScheduledProcedureStepStartDateTime="20240101100000",
        InputReadinessState="READY",
        ProcedureStepState="SCHEDULED",
        PatientName="Doe^Jane",
        PatientID="P1",
        PatientBirthDate="",
        PatientSex="",
        ScheduledWorkitemCodeSequence=Sequence(),
        InputInformationSequence=Sequence(),
        ScheduledStationNameCodeSequence=Sequence(),
        ReferencedRequestSequence=Sequence(),
    )
    for keyword, value in changes.items():
        if value is None:
            del ds[keyword]
        else:
            setattr(ds, keyword, value)
    return ds


def performed() -> Dataset:
    item = reply(
        PerformedProcedureStepStartDateTime="20240101100500",
        PerformedProcedureStepEndDateTime="20240101101500",
    )
    return reply(UnifiedProcedureStepPerformedProcedureSequence=Sequence([item]))


class Watcher:
    """An AE receiving UPS event reports on its server."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.reports: queue.SimpleQueue[Report] = queue.SimpleQueue()
        self.ae = AE(title)
        self.ae.add_supported_context(EVENT, scu_role=True, scp_role=True)
        server = self.ae.start_server(
            (LOOPBACK, 0),
            block=False,
            evt_handlers=[(evt.EVT_N_EVENT_REPORT, self.on_report)],
        )
        assert server is not None
        self.address = (LOOPBACK, int(server.server_address[1]))

    def on_report(self, event: Any) -> object:
        # CC.2.4.3: the Affected SOP Class is UPS Push, on the Event context.
        assert event.request.AffectedSOPClassUID == PUSH
        assert event.context.abstract_syntax == EVENT
        self.reports.put(
            (
                event.event_type,
                str(event.request.AffectedSOPInstanceUID),
                event.event_information,
            )
        )
        return 0x0000, None

    def next(self) -> Report:
        return self.reports.get(timeout=TIMEOUT)

    def states(self, count: int) -> list[tuple[str, str]]:
        got = [self.next() for _ in range(count)]
        assert all(kind == ups.STATE_REPORT for kind, _, _ in got)
        return [(uid, info.ProcedureStepState) for _, uid, info in got]


class Setup:
    def __init__(self, **options: Any) -> None:
        self.watchers = {title: Watcher(title) for title in ("A_WATCHER", "Z_SENTINEL")}
        peers = {title: w.address for title, w in self.watchers.items()}
        self.server = ups.UPSServer(peers=peers, **options)
        self.scp = AE("UPS_SCP")
        for uid in (*ALL, ModalityPerformedProcedureStep):
            self.scp.add_supported_context(uid, scu_role=True, scp_role=True)
        server = self.scp.start_server(
            (LOOPBACK, 0), block=False, evt_handlers=self.server.handlers()
        )
        assert server is not None
        self.port = int(server.server_address[1])
        self.scu = AE("PERFORMER")
        for ae in (self.scp, self.scu):
            ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = TIMEOUT

    def associate(self, *classes: str, handlers: Any = None) -> Any:
        contexts = [build_context(uid) for uid in classes or ALL]
        assoc = self.scu.associate(
            LOOPBACK, self.port, contexts=contexts, evt_handlers=handlers
        )
        assert assoc.is_established
        return assoc

    def close(self) -> None:
        self.scu.shutdown()
        self.scp.shutdown()
        for watcher in self.watchers.values():
            watcher.ae.shutdown()


@pytest.fixture
def setup() -> Iterator[Setup]:
    both = Setup()
    yield both
    both.close()


def create(assoc: Any, **changes: Any) -> str:
    status, _ = assoc.send_n_create(workitem(**changes), PUSH)
    assert status.Status == 0x0000
    return str(status.AffectedSOPInstanceUID)


# -- push, pull, perform -------------------------------------------------------------


def test_a_workitem_is_pushed_pulled_performed_and_completed(setup: Setup) -> None:
    assoc = setup.associate()
    uid = create(assoc)
    transaction = str(generate_uid(prefix=None))
    claimed, _ = ups.change_state(assoc, uid, ups.IN_PROGRESS, transaction)
    _, attrs = assoc.send_n_get(None, PUSH, uid, meta_uid=PULL)
    anonymous, _ = assoc.send_n_set(
        reply(ProcedureStepLabel="x"), PUSH, uid, meta_uid=PULL
    )
    changes = performed()
    changes.TransactionUID = transaction
    updated, _ = assoc.send_n_set(changes, PUSH, uid, meta_uid=PULL)
    completed, _ = ups.change_state(assoc, uid, ups.COMPLETED, transaction)
    again, _ = ups.change_state(assoc, uid, ups.COMPLETED, transaction)
    late, _ = assoc.send_n_set(changes, PUSH, uid, meta_uid=PULL)
    assoc.release()

    assert claimed.Status == 0x0000
    assert attrs is not None
    assert attrs.ProcedureStepState == ups.IN_PROGRESS
    assert "TransactionUID" not in attrs  # CC.2.7.3: the performer's lock
    assert anonymous.Status == 0xC301  # CC.2.6.3: only the performer updates
    assert updated.Status == 0x0000
    assert completed.Status == 0x0000
    assert again.Status == 0xB306  # warning: already COMPLETED
    assert late.Status == 0xC300
    assert setup.server.instances[uid].ProcedureStepState == ups.COMPLETED


def test_the_worklist_is_found_with_c_find(setup: Setup) -> None:
    assoc = setup.associate()
    first = create(assoc, PatientName="Doe^Jane", PatientID="P1")
    create(assoc, PatientName="Roe^John", PatientID="P2")
    query = reply(
        PatientName="Doe*",
        PatientID="",
        SOPInstanceUID="",
        ProcedureStepState="SCHEDULED",
    )
    query.TransactionUID = ""
    found = [
        identifier
        for status, identifier in assoc.send_c_find(query, QUERY)
        if status.Status == 0xFF00
    ]
    assoc.release()

    assert [ds.SOPInstanceUID for ds in found] == [first]
    assert found[0].PatientID == "P1"
    assert found[0].TransactionUID == ""  # never revealed


def test_completion_needs_the_final_state_attributes(setup: Setup) -> None:
    assoc = setup.associate()
    uid = create(assoc)
    transaction = str(generate_uid(prefix=None))
    ups.change_state(assoc, uid, ups.IN_PROGRESS, transaction)
    refused, _ = ups.change_state(assoc, uid, ups.COMPLETED, transaction)
    canceled, _ = ups.change_state(assoc, uid, ups.CANCELED, transaction)
    assoc.release()

    assert refused.Status == 0xC304
    assert canceled.Status == 0x0000


@pytest.mark.parametrize(
    ("first", "state", "transaction", "code"),
    [
        pytest.param(None, ups.COMPLETED, "1.2.3", 0xC310, id="scheduled-to-completed"),
        pytest.param(None, ups.SCHEDULED, "1.2.3", 0xC303, id="to-scheduled"),
        pytest.param(None, ups.IN_PROGRESS, "", 0xC301, id="claim-without-transaction"),
        pytest.param(None, "PAUSED", "1.2.3", 0x0115, id="no-such-state"),
        pytest.param(
            "1.2.3", ups.IN_PROGRESS, "1.2.4", 0xC302, id="already-in-progress"
        ),
        pytest.param("1.2.3", ups.CANCELED, "1.2.4", 0xC301, id="wrong-transaction"),
    ],
)
def test_illegal_state_changes_are_refused(
    setup: Setup, first: str | None, state: str, transaction: str, code: int
) -> None:
    assoc = setup.associate()
    uid = create(assoc)
    if first is not None:
        ups.change_state(assoc, uid, ups.IN_PROGRESS, first)
    status, _ = ups.change_state(assoc, uid, state, transaction)
    assert assoc.is_established
    assoc.release()
    assert status.Status == code


# -- bad requests -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attrs", "code"),
    [
        pytest.param(workitem(ProcedureStepLabel=None), 0x0120, id="missing-type1"),
        pytest.param(workitem(InputReadinessState=""), 0x0121, id="empty-type1"),
        pytest.param(
            workitem(ProcedureStepState="IN PROGRESS"), 0xC309, id="not-scheduled"
        ),
    ],
)
def test_a_bad_n_create_is_refused(setup: Setup, attrs: Dataset, code: int) -> None:
    assoc = setup.associate()
    status, _ = assoc.send_n_create(attrs, PUSH)
    assoc.release()
    assert status.Status == code
    assert not setup.server.instances


def test_requests_the_sop_class_does_not_carry_are_refused(setup: Setup) -> None:
    assoc = setup.associate()
    uid = create(assoc)
    duplicate, _ = assoc.send_n_create(workitem(), PUSH, uid)
    on_pull, _ = assoc.send_n_create(workitem(), PUSH, meta_uid=PULL)
    wrong_class, _ = assoc.send_n_create(workitem(), PULL)
    subscribe_on_pull, _ = assoc.send_n_action(
        reply(ReceivingAE="A_WATCHER", DeletionLock="FALSE"),
        ups.SUBSCRIBE,
        PUSH,
        uid,
        1,
        PULL,
    )
    no_action, _ = assoc.send_n_action(None, 9, PUSH, uid, 1, PULL)
    unknown, _ = assoc.send_n_get(None, PUSH, "1.2.3.999")
    set_on_push, _ = assoc.send_n_set(reply(ProcedureStepLabel="x"), PUSH, uid)
    delete = assoc.send_n_delete(PUSH, uid)
    state_by_set, _ = assoc.send_n_set(
        reply(ProcedureStepState="COMPLETED"), PUSH, uid, meta_uid=PULL
    )
    assert assoc.is_established
    assoc.release()

    assert duplicate.Status == 0x0111
    assert on_pull.Status == 0x0211
    assert wrong_class.Status == 0x0211
    assert subscribe_on_pull.Status == 0x0211
    assert no_action.Status == 0x0123
    assert unknown.Status == 0xC307
    assert set_on_push.Status == 0x0211
    assert delete.Status == 0x0211
    assert state_by_set.Status == 0x0106


# -- watching: subscriptions and event reports -------------------------------------


def test_a_global_subscriber_hears_of_every_change(setup: Setup) -> None:
    watcher = setup.watchers["A_WATCHER"]
    assoc = setup.associate()
    existing = create(assoc)
    status, _ = ups.subscribe(assoc, "A_WATCHER", deletion_lock=True)
    # CC.2.4.3: with a lock, the state of every UPS at once.
    initial = watcher.states(1)
    new = create(assoc)
    transaction = str(generate_uid(prefix=None))
    ups.change_state(assoc, new, ups.IN_PROGRESS, transaction)
    changes = watcher.states(2)
    cancel, _ = ups.request_cancel(assoc, new, "Patient left", contact_name="Dr Who")
    kind, about, details = watcher.next()
    assoc.release()

    assert status.Status == 0x0000
    assert initial == [(existing, ups.SCHEDULED)]
    assert changes == [(new, ups.SCHEDULED), (new, ups.IN_PROGRESS)]
    assert cancel.Status == 0x0000
    assert (kind, about) == (ups.CANCEL_REQUESTED, new)
    assert details.RequestingAE == "PERFORMER"
    assert details.ReasonForCancellation == "Patient left"
    assert details.ContactDisplayName == "Dr Who"


def test_a_scheduled_workitem_is_canceled_by_the_scp(setup: Setup) -> None:
    watcher = setup.watchers["A_WATCHER"]
    assoc = setup.associate()
    uid = create(assoc)
    ups.subscribe(assoc, "A_WATCHER", uid)
    assert watcher.states(1) == [(uid, ups.SCHEDULED)]
    status, _ = ups.request_cancel(assoc, uid, "Not needed")
    again, _ = ups.request_cancel(assoc, uid)
    assoc.release()

    assert status.Status == 0x0000
    # CC.2.2.3: through IN PROGRESS, to CANCELED.
    assert watcher.states(2) == [(uid, ups.IN_PROGRESS), (uid, ups.CANCELED)]
    assert again.Status == 0xB304
    item = setup.server.instances[uid].ProcedureStepProgressInformationSequence[0]
    assert item.ReasonForCancellation == "Not needed"
    assert item.ProcedureStepCancellationDateTime


def test_a_completed_workitem_cannot_be_canceled(setup: Setup) -> None:
    assoc = setup.associate()
    uid = create(assoc)
    transaction = str(generate_uid(prefix=None))
    ups.change_state(assoc, uid, ups.IN_PROGRESS, transaction)
    changes = performed()
    changes.TransactionUID = transaction
    assoc.send_n_set(changes, PUSH, uid, meta_uid=PULL)
    ups.change_state(assoc, uid, ups.COMPLETED, transaction)
    status, _ = ups.request_cancel(assoc, uid, meta_uid=WATCH)
    assoc.release()
    assert status.Status == 0xC311


def test_unsubscribed_watchers_hear_nothing_more(setup: Setup) -> None:
    watcher, sentinel = setup.watchers["A_WATCHER"], setup.watchers["Z_SENTINEL"]
    assoc = setup.associate()
    ups.subscribe(assoc, "A_WATCHER")
    ups.subscribe(assoc, "Z_SENTINEL")
    first = create(assoc)
    assert watcher.states(1) == [(first, ups.SCHEDULED)]
    assert sentinel.states(1) == [(first, ups.SCHEDULED)]
    status, _ = ups.unsubscribe(assoc, "A_WATCHER")
    second = create(assoc)
    # Reports go out in subscriber order: had A_WATCHER still been
    # subscribed, it would have had its report before the sentinel.
    assert sentinel.states(1) == [(second, ups.SCHEDULED)]
    assoc.release()

    assert status.Status == 0x0000
    assert watcher.reports.empty()


def test_a_suspended_global_subscription_keeps_the_current_ones(setup: Setup) -> None:
    watcher, sentinel = setup.watchers["A_WATCHER"], setup.watchers["Z_SENTINEL"]
    assoc = setup.associate()
    uid = create(assoc)
    ups.subscribe(assoc, "A_WATCHER", uid)
    ups.subscribe(assoc, "A_WATCHER")
    ups.subscribe(assoc, "Z_SENTINEL")
    assert watcher.states(1) == [(uid, ups.SCHEDULED)]
    status, _ = ups.suspend_global_subscription(assoc, "A_WATCHER")
    newer = create(assoc)
    assert sentinel.states(1) == [(newer, ups.SCHEDULED)]
    ups.change_state(assoc, uid, ups.IN_PROGRESS, str(generate_uid(prefix=None)))
    still = watcher.states(1)
    assoc.release()

    assert status.Status == 0x0000
    assert still == [(uid, ups.IN_PROGRESS)]


def test_progress_updates_are_reported(setup: Setup) -> None:
    watcher = setup.watchers["A_WATCHER"]
    assoc = setup.associate()
    uid = create(assoc)
    ups.subscribe(assoc, "A_WATCHER", uid)
    watcher.states(1)
    transaction = str(generate_uid(prefix=None))
    ups.change_state(assoc, uid, ups.IN_PROGRESS, transaction)
    watcher.states(1)
    changes = reply(
        TransactionUID=transaction,
        ProcedureStepProgressInformationSequence=Sequence(
            [reply(ProcedureStepProgress=50)]
        ),
    )
    status, _ = assoc.send_n_set(changes, PUSH, uid, meta_uid=PULL)
    kind, about, info = watcher.next()
    assoc.release()

    assert status.Status == 0x0000
    assert (kind, about) == (ups.PROGRESS_REPORT, uid)
    assert info.ProcedureStepProgressInformationSequence[0].ProcedureStepProgress == 50


@pytest.mark.parametrize(
    ("info", "instance", "code"),
    [
        pytest.param(
            reply(ReceivingAE="STRANGER", DeletionLock="FALSE"),
            None,
            0xC308,
            id="unknown-ae",
        ),
        pytest.param(
            reply(ReceivingAE="A_WATCHER", DeletionLock="MAYBE"),
            None,
            0x0115,
            id="bad-lock",
        ),
        pytest.param(reply(DeletionLock="FALSE"), None, 0x0115, id="no-receiving-ae"),
        pytest.param(
            reply(ReceivingAE="A_WATCHER", DeletionLock="FALSE"),
            "1.2.3.999",
            0xC307,
            id="unknown-ups",
        ),
    ],
)
def test_bad_subscriptions_are_refused(
    setup: Setup, info: Dataset, instance: str | None, code: int
) -> None:
    assoc = setup.associate()
    status, _ = assoc.send_n_action(
        info, ups.SUBSCRIBE, PUSH, instance or ups.GLOBAL_SUBSCRIPTION, 1, WATCH
    )
    assoc.release()
    assert status.Status == code


def test_reports_reach_a_subscriber_on_its_own_association(setup: Setup) -> None:
    """Issue #6 point 1: N-EVENT-REPORTs on an association the SCU requested."""
    heard: queue.SimpleQueue[Report] = queue.SimpleQueue()

    def on_report(event: Any) -> object:
        heard.put(
            (
                event.event_type,
                str(event.request.AffectedSOPInstanceUID),
                event.event_information,
            )
        )
        return 0x0000, None

    setup.server.peers["PERFORMER"] = (LOOPBACK, 9)  # known, never dialled
    assoc = setup.associate(handlers=[(evt.EVT_N_EVENT_REPORT, on_report)])
    uid = create(assoc)
    status, _ = ups.subscribe(assoc, "PERFORMER", uid)
    kind, about, info = heard.get(timeout=TIMEOUT)
    assoc.release()

    assert status.Status == 0x0000
    assert (kind, about, info.ProcedureStepState) == (
        ups.STATE_REPORT,
        uid,
        ups.SCHEDULED,
    )
