"""UPS event reports (PS3.4 CC.2.4) from dicomnet's UPS SCP to pynetdicom.

pynetdicom subscribers receive UPS Assigned (event type 5) and the SCP Status
Change (event type 4), and a Filtered Global Subscription (CC.2.3.3) keeps
the reports about the workitems it does not match from them; on the
subscriber's own association and on new associations to its server.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pynetdicom
import pytest
from pydicom.sequence import Sequence
from pydicom.uid import generate_uid

from dicomnet.services import ups
from dicomnet.sop_class import UnifiedProcedureStepEvent
from tests.services._n_peers import Heard, Servers, our_ae, peer_ae, started
from tests.services.test_n_interop import UPS_CLASSES
from tests.services.test_normalized import LOOPBACK, reply
from tests.services.test_ups import PULL, PUSH, WATCH, workitem
from tests.services.test_ups_events import code, performer

pytestmark = pytest.mark.interop

# Nothing listens there: a report sent on a new association is lost.
NOWHERE = (LOOPBACK, 1)


@pytest.fixture
def servers() -> Iterator[Servers]:
    yield from started()


def create(assoc: Any, **changes: Any) -> str:
    uid = str(generate_uid(prefix=None))
    status, _ = assoc.send_n_create(workitem(**changes), PUSH, uid)
    assert status.Status == 0x0000
    return uid


def test_a_filtered_subscriber_hears_assignments_on_its_association(
    servers: Servers,
) -> None:
    server = ups.UPSServer(peers={"WATCHER": NOWHERE})
    port = servers.ours("UPS_SCP", server.handlers(), *UPS_CLASSES)
    heard = Heard()
    watcher = servers.client(peer_ae("WATCHER"))
    for sop_class in UPS_CLASSES:
        watcher.add_requested_context(sop_class)
    assoc = watcher.associate(
        LOOPBACK,
        port,
        ae_title="UPS_SCP",
        evt_handlers=[(pynetdicom.evt.EVT_N_EVENT_REPORT, heard)],
    )
    assert assoc.is_established
    keys = reply(ReceivingAE="WATCHER", DeletionLock="TRUE", PatientID="P1")
    subscribed, _ = assoc.send_n_action(
        keys, ups.SUBSCRIBE, PUSH, ups.FILTERED_GLOBAL_SUBSCRIPTION, meta_uid=WATCH
    )
    station = Sequence([code("CT1")])
    other = create(assoc, PatientID="P2", ScheduledStationNameCodeSequence=station)
    mine = create(assoc, PatientID="P1", ScheduledStationNameCodeSequence=station)
    at_creation = heard.take(2)
    people = reply(ScheduledHumanPerformersSequence=performer("DR1"))
    assigned, _ = assoc.send_n_set(people, PUSH, mine, meta_uid=PULL)
    by_n_set = heard.next()
    elsewhere, _ = assoc.send_n_set(people, PUSH, other, meta_uid=PULL)
    ready = reply(InputReadinessState="INCOMPLETE")
    readiness, _ = assoc.send_n_set(ready, PUSH, mine, meta_uid=PULL)
    after = heard.next()
    assoc.release()

    # Table CC.2.3-3 B301: subscribed, but no Deletion Lock on a filter.
    assert subscribed.Status == 0xB301
    assert [report[:2] for report in at_creation] == [
        (ups.STATE_REPORT, mine),
        (ups.UPS_ASSIGNED, mine),
    ]
    assert at_creation[0][2].ProcedureStepState == ups.SCHEDULED
    assert at_creation[1][2].ScheduledStationNameCodeSequence[0].CodeValue == "CT1"
    assert (assigned.Status, elsewhere.Status, readiness.Status) == (0, 0, 0)
    assert by_n_set[:2] == (ups.UPS_ASSIGNED, mine)
    item = by_n_set[2].ScheduledHumanPerformersSequence[0]
    assert item.HumanPerformerCodeSequence[0].CodeValue == "DR1"
    # P2's assignment was not reported: the next report is P1's readiness.
    assert after[:2] == (ups.STATE_REPORT, mine)
    assert after[2].InputReadinessState == "INCOMPLETE"


def watcher_server(servers: Servers, title: str, heard: Heard) -> int:
    return servers.theirs(
        title,
        [(pynetdicom.evt.EVT_N_EVENT_REPORT, heard)],
        UnifiedProcedureStepEvent,
        scu_role=True,
        scp_role=True,
    )


def test_global_subscribers_hear_assignments_and_scp_status_changes(
    servers: Servers,
) -> None:
    watcher, bystander = Heard(), Heard()
    peers = {
        "WATCHER": (LOOPBACK, watcher_server(servers, "WATCHER", watcher)),
        "BYSTANDER": (LOOPBACK, watcher_server(servers, "BYSTANDER", bystander)),
    }
    server = ups.UPSServer(peers=peers)
    port = servers.ours("UPS_SCP", server.handlers(), *UPS_CLASSES)
    performer_ae = servers.client(peer_ae("PERFORMER"))
    for sop_class in UPS_CLASSES:
        performer_ae.add_requested_context(sop_class)
    assoc = performer_ae.associate(LOOPBACK, port, ae_title="UPS_SCP")
    subscription = reply(ReceivingAE="WATCHER", DeletionLock="FALSE")
    subscribed, _ = assoc.send_n_action(
        subscription, ups.SUBSCRIBE, PUSH, ups.GLOBAL_SUBSCRIPTION, meta_uid=WATCH
    )
    uid = create(assoc, ScheduledHumanPerformersSequence=performer("DR2"))
    created = watcher.take(2)
    assoc.release()
    ours = servers.client(our_ae("UPS_SCP"))
    going = server.report_scp_status(ours, ups.GOING_DOWN)
    down = watcher.next()
    back = server.report_scp_status(
        ours, ups.RESTARTED, subscription_list=ups.COLD_START, ups_list=ups.COLD_START
    )
    restarted = {"WATCHER": watcher.next(), "BYSTANDER": bystander.next()}

    assert subscribed.Status == 0x0000
    assert [report[:2] for report in created] == [
        (ups.STATE_REPORT, uid),
        (ups.UPS_ASSIGNED, uid),
    ]
    people = created[1][2].ScheduledHumanPerformersSequence[0]
    assert people.HumanPerformerCodeSequence[0].CodeValue == "DR2"
    # CC.2.4.3: about the well-known global subscription instance.
    assert {title: [s.Status for s in sent] for title, sent in going.items()} == {
        "WATCHER": [0x0000]
    }
    assert down[:2] == (ups.SCP_STATUS_CHANGE, ups.GLOBAL_SUBSCRIPTION)
    assert (down[2].SCPStatus, down[2].SubscriptionListStatus) == (
        ups.GOING_DOWN,
        ups.WARM_START,
    )
    assert down[2].UnifiedProcedureStepListStatus == ups.WARM_START
    # A cold start lost the subscribers: every known peer is told.
    assert sorted(back) == ["BYSTANDER", "WATCHER"]
    assert all(sent[0].Status == 0x0000 for sent in back.values())
    for kind, instance, info in restarted.values():
        assert (kind, instance) == (ups.SCP_STATUS_CHANGE, ups.GLOBAL_SUBSCRIPTION)
        assert (info.SCPStatus, info.SubscriptionListStatus) == (
            ups.RESTARTED,
            ups.COLD_START,
        )
        assert info.UnifiedProcedureStepListStatus == ups.COLD_START
