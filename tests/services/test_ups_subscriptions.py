"""UPS Watch subscriptions (PS3.4 CC.2.3) between dicomnet AEs.

Filtered global subscriptions, the UPS and Global Subscription States of
Table CC.2.3-2, and the Deletion Lock that keeps an ended UPS. A watcher
that must hear nothing is checked against a sentinel subscribed after it:
reports go out in subscriber order, so once the sentinel has its report the
watcher would already have had its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pydicom.uid import generate_uid

from dicomnet.services import ups
from tests.services.test_normalized import reply
from tests.services.test_ups import PULL, PUSH, QUERY, WATCH, Setup, create, performed


@pytest.fixture
def setup() -> Iterator[Setup]:
    both = Setup()
    yield both
    both.close()


def complete(assoc: Any, uid: str) -> None:
    """Claim, perform and complete a UPS as its performer."""
    transaction = str(generate_uid(prefix=None))
    claimed, _ = ups.change_state(assoc, uid, ups.IN_PROGRESS, transaction)
    changes = performed()
    changes.TransactionUID = transaction
    updated, _ = assoc.send_n_set(changes, PUSH, uid, meta_uid=PULL)
    done, _ = ups.change_state(assoc, uid, ups.COMPLETED, transaction)
    assert (claimed.Status, updated.Status, done.Status) == (0, 0, 0)


def claim(assoc: Any, uid: str) -> None:
    status, _ = ups.change_state(
        assoc, uid, ups.IN_PROGRESS, str(generate_uid(prefix=None))
    )
    assert status.Status == 0x0000


def state_of(assoc: Any, uid: str) -> tuple[int, str | None]:
    status, attrs = assoc.send_n_get(None, PUSH, uid, meta_uid=WATCH)
    return status.Status, None if attrs is None else attrs.ProcedureStepState


# -- filtered global subscriptions (CC.2.3.3) ----------------------------------------


def test_a_filtered_subscriber_hears_only_of_matching_workitems(setup: Setup) -> None:
    watcher, sentinel = setup.watchers["A_WATCHER"], setup.watchers["Z_SENTINEL"]
    assoc = setup.associate()
    old_p1 = create(assoc, PatientID="P1")
    old_p2 = create(assoc, PatientID="P2")
    status, _ = ups.subscribe(assoc, "A_WATCHER", matching_keys=reply(PatientID="P1"))
    ups.subscribe(assoc, "Z_SENTINEL")
    new_p2 = create(assoc, PatientID="P2")
    assert sentinel.states(1) == [(new_p2, ups.SCHEDULED)]
    new_p1 = create(assoc, PatientID="P1")
    heard_new = watcher.states(1)
    assert sentinel.states(1) == [(new_p1, ups.SCHEDULED)]
    claim(assoc, old_p2)
    claim(assoc, old_p1)
    heard_old = watcher.states(1)
    assoc.release()

    assert status.Status == 0x0000
    # No lock, so no initial reports (CC.2.4.3); the new P2 was left out.
    assert heard_new == [(new_p1, ups.SCHEDULED)]
    # The existing UPSs were filtered as well: only the old P1 is reported.
    assert heard_old == [(old_p1, ups.IN_PROGRESS)]
    assert setup.server.global_filters["A_WATCHER"].PatientID == "P1"
    assert set(setup.server.subscriptions["A_WATCHER"]) == {old_p1, new_p1}


def test_the_filter_never_matches_the_transaction_uid(setup: Setup) -> None:
    assoc = setup.associate()
    uid = create(assoc)
    transaction = str(generate_uid(prefix=None))
    ups.change_state(assoc, uid, ups.IN_PROGRESS, transaction)
    keys = reply(TransactionUID="9.9.9")
    status, _ = ups.subscribe(assoc, "A_WATCHER", matching_keys=keys)
    assoc.release()

    assert status.Status == 0x0000
    # The key is dropped (CC.2.7.3), so the filter matches every UPS.
    assert "TransactionUID" not in setup.server.global_filters["A_WATCHER"]
    assert setup.server.subscriptions["A_WATCHER"] == {uid: False}


def test_a_filtered_subscription_gets_no_deletion_lock(setup: Setup) -> None:
    assoc = setup.associate()
    uid = create(assoc, PatientID="P1")
    status, _ = ups.subscribe(
        assoc, "A_WATCHER", deletion_lock=True, matching_keys=reply(PatientID="P1")
    )
    assoc.release()

    assert status.Status == 0xB301  # Table CC.2.3-3: Deletion Lock not granted
    assert setup.server.global_subscribers == {"A_WATCHER": False}
    assert setup.server.subscriptions["A_WATCHER"] == {uid: False}


def test_an_scp_may_refuse_filtered_subscriptions() -> None:
    setup = Setup(filtered_global=False)
    try:
        assoc = setup.associate()
        status, _ = ups.subscribe(
            assoc, "A_WATCHER", matching_keys=reply(PatientID="P1")
        )
        assoc.release()
    finally:
        setup.close()
    assert status.Status == 0xC307  # CC.2.3.3
    assert not setup.server.global_subscribers


def test_unsubscribing_the_filtered_subscription_ends_it(setup: Setup) -> None:
    watcher, sentinel = setup.watchers["A_WATCHER"], setup.watchers["Z_SENTINEL"]
    assoc = setup.associate()
    ups.subscribe(assoc, "A_WATCHER", matching_keys=reply(PatientID="P1"))
    first = create(assoc, PatientID="P1")
    assert watcher.states(1) == [(first, ups.SCHEDULED)]
    status, _ = ups.unsubscribe(assoc, "A_WATCHER", ups.FILTERED_GLOBAL_SUBSCRIPTION)
    ups.subscribe(assoc, "Z_SENTINEL")
    second = create(assoc, PatientID="P1")
    assert sentinel.states(1) == [(second, ups.SCHEDULED)]
    assoc.release()

    assert status.Status == 0x0000
    assert watcher.reports.empty()
    assert "A_WATCHER" not in setup.server.subscriptions


# -- UPS and Global Subscription States (Table CC.2.3-2) ---------------------------


def test_suspending_keeps_the_workitems_already_covered(setup: Setup) -> None:
    watcher, sentinel = setup.watchers["A_WATCHER"], setup.watchers["Z_SENTINEL"]
    assoc = setup.associate()
    ups.subscribe(assoc, "A_WATCHER")
    covered = create(assoc)
    assert watcher.states(1) == [(covered, ups.SCHEDULED)]
    status, _ = ups.suspend_global_subscription(assoc, "A_WATCHER")
    ups.subscribe(assoc, "Z_SENTINEL")
    newer = create(assoc)
    assert sentinel.states(1) == [(newer, ups.SCHEDULED)]
    claim(assoc, covered)
    still = watcher.states(1)
    assoc.release()

    assert status.Status == 0x0000
    assert still == [(covered, ups.IN_PROGRESS)]


def test_suspend_is_for_global_subscriptions_only(setup: Setup) -> None:
    assoc = setup.associate()
    uid = create(assoc)
    ups.subscribe(assoc, "A_WATCHER", uid)
    status, _ = assoc.send_n_action(
        reply(ReceivingAE="A_WATCHER"),
        ups.SUSPEND_GLOBAL_SUBSCRIPTION,
        PUSH,
        uid,
        1,
        WATCH,
    )
    assoc.release()

    assert status.Status == 0xC314  # Table CC.2.3-3: not appropriate
    assert setup.server.subscriptions["A_WATCHER"] == {uid: False}


def test_a_workitem_unsubscribed_stays_silent_under_a_global_one(
    setup: Setup,
) -> None:
    watcher, sentinel = setup.watchers["A_WATCHER"], setup.watchers["Z_SENTINEL"]
    assoc = setup.associate()
    ups.subscribe(assoc, "A_WATCHER")
    ups.subscribe(assoc, "Z_SENTINEL")
    quiet = create(assoc)
    assert watcher.states(1) == [(quiet, ups.SCHEDULED)]
    assert sentinel.states(1) == [(quiet, ups.SCHEDULED)]
    status, _ = ups.unsubscribe(assoc, "A_WATCHER", quiet)
    claim(assoc, quiet)
    assert sentinel.states(1) == [(quiet, ups.IN_PROGRESS)]
    newer = create(assoc)
    heard = watcher.states(1)
    assoc.release()

    assert status.Status == 0x0000
    # Instance specific instructions take precedence (CC.2.3); the global
    # subscription still covers the UPSs created afterwards.
    assert heard == [(newer, ups.SCHEDULED)]


# -- the Deletion Lock ------------------------------------------------------------


def test_a_locked_workitem_outlives_its_end_until_unsubscribed() -> None:
    setup = Setup(retain_final=False)
    try:
        assoc = setup.associate()
        locked = create(assoc)
        unlocked = create(assoc)
        ups.subscribe(assoc, "A_WATCHER", locked, deletion_lock=True)
        ups.subscribe(assoc, "Z_SENTINEL", unlocked)
        complete(assoc, locked)
        complete(assoc, unlocked)
        kept = state_of(assoc, locked)
        gone = state_of(assoc, unlocked)
        status, _ = ups.unsubscribe(assoc, "A_WATCHER", locked)
        after = state_of(assoc, locked)
        found = list(assoc.send_c_find(reply(SOPInstanceUID=""), QUERY))
        assoc.release()
    finally:
        setup.close()

    assert kept == (0x0000, ups.COMPLETED)
    assert gone == (0xC307, None)  # retain_final=False: deleted at once
    assert status.Status == 0x0000
    assert after == (0xC307, None)  # the last lock went, so did the UPS
    assert [s.Status for s, _ in found] == [0x0000]
    assert not setup.server.instances


def test_the_last_lock_released_deletes_the_workitem(setup: Setup) -> None:
    assoc = setup.associate()
    uid = create(assoc)
    ups.subscribe(assoc, "A_WATCHER", uid, deletion_lock=True)
    ups.subscribe(assoc, "Z_SENTINEL", deletion_lock=True)
    complete(assoc, uid)
    ups.unsubscribe(assoc, "A_WATCHER", uid)
    held_by_one = state_of(assoc, uid)
    ups.suspend_global_subscription(assoc, "Z_SENTINEL")
    suspended = state_of(assoc, uid)
    ups.unsubscribe(assoc, "Z_SENTINEL")
    released = state_of(assoc, uid)
    assoc.release()

    assert held_by_one == (0x0000, ups.COMPLETED)
    # Suspending keeps the UPS subscriptions, and so their locks.
    assert suspended == (0x0000, ups.COMPLETED)
    assert released == (0xC307, None)
    assert uid not in setup.server.subscriptions.get("A_WATCHER", {})
