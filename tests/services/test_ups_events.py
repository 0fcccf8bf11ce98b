"""UPS event reports (PS3.4 CC.2.4) between dicomnet AEs.

UPS Assigned at creation and on N-SET, State Reports of a readiness change,
and the SCP Status Change the application sends when the SCP goes down or
comes back.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from dicomnet.services import _ups_events as events
from dicomnet.services import ups
from tests.services.test_normalized import reply
from tests.services.test_ups import PULL, PUSH, Setup, create


@pytest.fixture
def setup() -> Iterator[Setup]:
    both = Setup()
    yield both
    both.close()


def code(value: str) -> Dataset:
    return reply(CodeValue=value, CodingSchemeDesignator="99TEST", CodeMeaning=value)


def performer(name: str) -> Sequence:
    item = reply(HumanPerformerCodeSequence=Sequence([code(name)]))
    return Sequence([item])


# -- UPS Assigned ------------------------------------------------------------------


def test_a_workitem_created_assigned_is_reported_assigned(setup: Setup) -> None:
    watcher = setup.watchers["A_WATCHER"]
    assoc = setup.associate()
    ups.subscribe(assoc, "A_WATCHER")
    uid = create(assoc, ScheduledStationNameCodeSequence=Sequence([code("CT1")]))
    state = watcher.next()
    kind, about, info = watcher.next()
    assoc.release()

    assert state[:2] == (ups.STATE_REPORT, uid)
    # CC.2.4.3: the UPS Assigned report follows the creation's State Report.
    assert (kind, about) == (ups.UPS_ASSIGNED, uid)
    assert info.ScheduledStationNameCodeSequence[0].CodeValue == "CT1"
    assert "ScheduledHumanPerformersSequence" not in info


def test_a_workitem_created_unassigned_is_not(setup: Setup) -> None:
    watcher = setup.watchers["A_WATCHER"]
    assoc = setup.associate()
    ups.subscribe(assoc, "A_WATCHER")
    # Only the station name and human performers count at creation.
    first = create(assoc, ScheduledStationClassCodeSequence=Sequence([code("CLASS")]))
    second = create(assoc)
    heard = [watcher.next()[:2] for _ in range(2)]
    assoc.release()

    assert heard == [(ups.STATE_REPORT, first), (ups.STATE_REPORT, second)]


def test_assigning_by_n_set_is_reported(setup: Setup) -> None:
    watcher = setup.watchers["A_WATCHER"]
    assoc = setup.associate()
    uid = create(assoc)
    ups.subscribe(assoc, "A_WATCHER", uid)
    watcher.states(1)
    label, _ = assoc.send_n_set(reply(ProcedureStepLabel="x"), PUSH, uid, meta_uid=PULL)
    changes = reply(
        ScheduledHumanPerformersSequence=performer("DR1"),
        ScheduledStationGeographicLocationCodeSequence=Sequence([code("ROOM2")]),
    )
    assigned, _ = assoc.send_n_set(changes, PUSH, uid, meta_uid=PULL)
    same, _ = assoc.send_n_set(changes, PUSH, uid, meta_uid=PULL)
    ready, _ = assoc.send_n_set(
        reply(InputReadinessState="INCOMPLETE"), PUSH, uid, meta_uid=PULL
    )
    kind, about, info = watcher.next()
    after = watcher.next()
    assoc.release()

    assert (label.Status, assigned.Status, same.Status, ready.Status) == (0, 0, 0, 0)
    # The label changed nothing reported; the assignment did.
    assert (kind, about) == (ups.UPS_ASSIGNED, uid)
    people = info.ScheduledHumanPerformersSequence[0].HumanPerformerCodeSequence
    assert people[0].CodeValue == "DR1"
    assert info.ScheduledStationGeographicLocationCodeSequence[0].CodeValue == "ROOM2"
    # The same values again assign nothing new: next is the readiness change.
    assert after[:2] == (ups.STATE_REPORT, uid)
    assert after[2].InputReadinessState == "INCOMPLETE"


# -- SCP Status Change ---------------------------------------------------------------


def status_reports(setup: Setup, *titles: str) -> dict[str, tuple[int, str, Any]]:
    return {title: setup.watchers[title].next() for title in titles}


def test_going_down_is_reported_to_every_subscriber(setup: Setup) -> None:
    assoc = setup.associate()
    uid = create(assoc)
    ups.subscribe(assoc, "A_WATCHER", uid)
    setup.watchers["A_WATCHER"].states(1)
    ups.subscribe(assoc, "Z_SENTINEL")
    assoc.release()
    results = setup.server.report_scp_status(
        setup.scp, ups.GOING_DOWN, ups_list=ups.COLD_START
    )
    heard = status_reports(setup, "A_WATCHER", "Z_SENTINEL")

    assert {title: [s.Status for s in got] for title, got in results.items()} == {
        "A_WATCHER": [0x0000],
        "Z_SENTINEL": [0x0000],
    }
    for kind, about, info in heard.values():
        # CC.2.4.1: about the SCP, so about the global subscription instance.
        assert (kind, about) == (ups.SCP_STATUS_CHANGE, ups.GLOBAL_SUBSCRIPTION)
        assert info.SCPStatus == "GOING DOWN"
        assert info.SubscriptionListStatus == "WARM START"
        assert info.UnifiedProcedureStepListStatus == "COLD START"


def test_a_cold_restart_is_reported_to_every_peer(setup: Setup) -> None:
    # A restarted SCP that lost its subscriptions knows no subscriber.
    results = setup.server.report_scp_status(
        setup.scp,
        ups.RESTARTED,
        subscription_list=ups.COLD_START,
        ups_list=ups.COLD_START,
    )
    heard = status_reports(setup, "A_WATCHER", "Z_SENTINEL")

    assert sorted(results) == ["A_WATCHER", "Z_SENTINEL"]
    assert {info.SCPStatus for _, _, info in heard.values()} == {"RESTARTED"}
    assert {info.SubscriptionListStatus for _, _, info in heard.values()} == {
        "COLD START"
    }


def test_a_warm_restart_goes_to_the_subscribers_only(setup: Setup) -> None:
    assoc = setup.associate()
    ups.subscribe(assoc, "Z_SENTINEL")
    assoc.release()
    setup.server.peers["UNREACHABLE"] = setup.server.peers["A_WATCHER"]
    setup.server.subscriptions["NO_ADDRESS"] = {"1.2.3": False}
    results = setup.server.report_scp_status(setup.scp, ups.RESTARTED)
    kind, _, info = setup.watchers["Z_SENTINEL"].next()

    assert sorted(results) == ["NO_ADDRESS", "Z_SENTINEL"]
    assert results["NO_ADDRESS"] == [Dataset()]  # not sent: no address
    assert (kind, info.SubscriptionListStatus) == (ups.SCP_STATUS_CHANGE, "WARM START")
    assert setup.watchers["A_WATCHER"].reports.empty()


@pytest.mark.parametrize(
    ("status", "lists"),
    [
        pytest.param("PAUSED", ("WARM START", "WARM START"), id="scp-status"),
        pytest.param("RESTARTED", ("LUKEWARM", "WARM START"), id="subscriptions"),
        pytest.param("RESTARTED", ("WARM START", ""), id="workitems"),
    ],
)
def test_scp_status_values_are_the_defined_terms(
    status: str, lists: tuple[str, str]
) -> None:
    with pytest.raises(ValueError, match="must be"):
        events.scp_status_change(status, *lists)
