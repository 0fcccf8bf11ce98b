"""DIMSE-N services against pynetdicom, both ways (marker ``interop``).

pynetdicom is a test peer only. Each service runs pynetdicom SCU -> dicomnet
SCP and dicomnet SCU -> pynetdicom SCP: the generic N-services with failure
and warning statuses, Storage Commitment (result on the same association and
on a new one with the roles reversed), MPPS, UPS and Print Management.
DCMTK peers where practical: ``dcmprscp`` (DCMTK's print SCP, run with a
copy of its stock configuration) as the printer of a dicomnet print SCU.
DCMTK 3.6.7 has no tool for the other N-services, and its print SCU
(``dcmpsprt`` + the ``dcmprscu`` spooler) prints stored presentation states
through a spool directory, which is not practical to drive from a test.
"""

from __future__ import annotations

import queue
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pynetdicom
import pytest
from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import generate_uid

from dicomnet import AE, evt
from dicomnet.services import (
    display_system,
    event_logging,
    instance_availability,
    media_creation,
    mpps,
    storage_commitment,
    ups,
)
from dicomnet.services import print_management as pm
from dicomnet.services.normalized import route
from dicomnet.sop_class import (
    BasicFilmBox,
    BasicFilmSession,
    BasicGrayscaleImageBox,
    BasicGrayscalePrintManagementMeta,
    CTImageStorage,
    DisplaySystem,
    InstanceAvailabilityNotification,
    MediaCreationManagement,
    ModalityPerformedProcedureStep,
    Printer,
    ProceduralEventLogging,
    StorageCommitmentPushModel,
    UnifiedProcedureStepEvent,
    UnifiedProcedureStepPull,
    UnifiedProcedureStepPush,
    UnifiedProcedureStepQuery,
    UnifiedProcedureStepWatch,
)
from tests.interop.capture import (
    DcmtkServer,
    _stop,
    _wait_listening,
    dcmtk_available,
    dcmtk_env,
    free_port,
)
from tests.services.test_event_logging import procedural_event
from tests.services.test_instance_availability import notification
from tests.services.test_media_creation import media_request
from tests.services.test_mpps import final, start_step
from tests.services.test_normalized import LOOPBACK, TIMEOUT, reply
from tests.services.test_print_management import image, image_box_set
from tests.services.test_ups import performed, workitem

pytestmark = pytest.mark.interop

MPPS = ModalityPerformedProcedureStep
SC = StorageCommitmentPushModel
INSTANCE = "1.2.826.0.1.3680043.10.1234.200"
UPS_CLASSES = (
    UnifiedProcedureStepPush,
    UnifiedProcedureStepPull,
    UnifiedProcedureStepWatch,
    UnifiedProcedureStepEvent,
    UnifiedProcedureStepQuery,
)


def peer_ae(title: str) -> Any:
    ae = pynetdicom.AE(ae_title=title)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = TIMEOUT
    return ae


def our_ae(title: str) -> AE:
    ae = AE(title)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = TIMEOUT
    return ae


class Servers:
    """Start servers (dicomnet or pynetdicom) and shut them all down at the end."""

    def __init__(self) -> None:
        self.aes: list[Any] = []

    def ours(
        self,
        title: str,
        handlers: Any,
        *classes: str,
        scu_role: bool | None = None,
        scp_role: bool | None = None,
    ) -> int:
        ae = our_ae(title)
        for uid in classes:
            ae.add_supported_context(uid, scu_role=scu_role, scp_role=scp_role)
        server = ae.start_server((LOOPBACK, 0), block=False, evt_handlers=handlers)
        assert server is not None
        self.aes.append(ae)
        return int(server.server_address[1])

    def theirs(
        self,
        title: str,
        handlers: Any,
        *classes: str,
        scu_role: bool | None = None,
        scp_role: bool | None = None,
    ) -> int:
        ae = peer_ae(title)
        for uid in classes:
            ae.add_supported_context(uid, scu_role=scu_role, scp_role=scp_role)
        server = ae.start_server((LOOPBACK, 0), block=False, evt_handlers=handlers)
        self.aes.append(ae)
        return int(server.server_address[1])

    def client(self, ae: Any) -> Any:
        self.aes.append(ae)
        return ae

    def close(self) -> None:
        for ae in reversed(self.aes):
            ae.shutdown()


@pytest.fixture
def servers() -> Iterator[Servers]:
    started = Servers()
    yield started
    started.close()


# -- the six services and their statuses -----------------------------------------


def dicomnet_handlers() -> list[tuple[Any, Any]]:
    def on_get(event: Any) -> object:
        if str(event.request.RequestedSOPInstanceUID) != INSTANCE:
            return 0x0112, None
        return 0x0000, reply(
            PatientName="Doe^J", PatientID=str(len(event.attribute_identifiers))
        )

    def on_set(event: Any) -> object:
        status = reply(Status=0x0107, AttributeIdentifierList=[0x00091001])
        return status, event.modification_list

    def on_create(event: Any) -> object:
        return reply(
            Status=0x0000, AffectedSOPInstanceUID=INSTANCE
        ), event.attribute_list

    def on_action(event: Any) -> object:
        raise RuntimeError("a faulty handler")

    def on_report(event: Any) -> object:
        return 0x0000, reply(PatientID=str(event.event_type))

    def on_delete(event: Any) -> object:
        return reply(Status=0x0112, ErrorComment="No such film session")

    return [
        (evt.EVT_N_GET, on_get),
        (evt.EVT_N_SET, on_set),
        (evt.EVT_N_CREATE, on_create),
        (evt.EVT_N_ACTION, on_action),
        (evt.EVT_N_EVENT_REPORT, on_report),
        (evt.EVT_N_DELETE, on_delete),
    ]


def test_pynetdicom_scu_to_dicomnet_scp(servers: Servers) -> None:
    port = servers.ours("DICOMNET", dicomnet_handlers(), MPPS, SC, BasicFilmSession)
    peer = servers.client(peer_ae("PYNETDICOM"))
    for uid in (MPPS, SC, BasicFilmSession):
        peer.add_requested_context(uid)
    assoc = peer.associate(LOOPBACK, port, ae_title="DICOMNET")
    assert assoc.is_established
    got, attrs = assoc.send_n_get([0x00100010, 0x00100020], MPPS, INSTANCE)
    missing, none = assoc.send_n_get([0x00100010], MPPS, "1.2.3.999")
    warned, modified = assoc.send_n_set(reply(PatientID="9"), MPPS, INSTANCE)
    created, created_attrs = assoc.send_n_create(reply(PatientID="7"), MPPS)
    failed, no_reply = assoc.send_n_action(reply(PatientID="1"), 1, SC, INSTANCE)
    reported, event_reply = assoc.send_n_event_report(
        reply(PatientID="1"), 2, MPPS, INSTANCE
    )
    deleted = assoc.send_n_delete(BasicFilmSession, INSTANCE)
    unrecognized = assoc.send_n_delete(MPPS, INSTANCE)
    assoc.release()

    assert got.Status == 0x0000
    assert attrs.PatientName == "Doe^J"
    assert attrs.PatientID == "2"
    assert (missing.Status, none) == (0x0112, None)
    assert warned.Status == 0x0107
    assert warned.AttributeIdentifierList == 0x00091001
    assert modified.PatientID == "9"
    assert created.Status == 0x0000
    assert created_attrs.PatientID == "7"
    assert (failed.Status, no_reply) == (0x0110, None)
    assert reported.Status == 0x0000
    assert event_reply.PatientID == "2"
    assert deleted.Status == 0x0112
    assert deleted.ErrorComment == "No such film session"
    assert unrecognized.Status == 0x0211


def test_dicomnet_scu_to_pynetdicom_scp(servers: Servers) -> None:
    seen: list[Any] = []

    def record(event: Any, result: object) -> object:
        seen.append((event.event.name, event.request.MessageID))
        return result

    handlers = [
        (
            pynetdicom.evt.EVT_N_GET,
            lambda e: record(e, (0x0000, reply(PatientName="Doe^J"))),
        ),
        (pynetdicom.evt.EVT_N_SET, lambda e: record(e, (0x0116, e.modification_list))),
        (pynetdicom.evt.EVT_N_CREATE, lambda e: record(e, (0x0000, e.attribute_list))),
        (pynetdicom.evt.EVT_N_ACTION, lambda e: record(e, (0x0123, None))),
        (
            pynetdicom.evt.EVT_N_EVENT_REPORT,
            lambda e: record(e, (0x0000, reply(PatientID=str(e.event_type)))),
        ),
        (pynetdicom.evt.EVT_N_DELETE, lambda e: record(e, 0x0000)),
    ]
    port = servers.theirs("PYNETDICOM", handlers, MPPS, SC, BasicFilmSession)
    ours = servers.client(our_ae("DICOMNET"))
    for uid in (MPPS, SC, BasicFilmSession):
        ours.add_requested_context(uid)
    assoc = ours.associate(LOOPBACK, port, ae_title="PYNETDICOM")
    assert assoc.is_established
    got, attrs = assoc.send_n_get([0x00100010], MPPS, INSTANCE, msg_id=11)
    warned, modified = assoc.send_n_set(reply(PatientID="9"), MPPS, INSTANCE, msg_id=12)
    created, created_attrs = assoc.send_n_create(
        reply(PatientID="7"), MPPS, INSTANCE, msg_id=13
    )
    refused, no_reply = assoc.send_n_action(None, 7, SC, INSTANCE, msg_id=14)
    reported, event_reply = assoc.send_n_event_report(
        None, 3, MPPS, INSTANCE, msg_id=15
    )
    deleted = assoc.send_n_delete(BasicFilmSession, INSTANCE, msg_id=16)
    assoc.release()

    assert (got.Status, attrs.PatientName) == (0x0000, "Doe^J")
    assert (warned.Status, modified.PatientID) == (0x0116, "9")
    assert (created.Status, created_attrs.PatientID) == (0x0000, "7")
    assert created.AffectedSOPInstanceUID == INSTANCE
    assert (refused.Status, no_reply) == (0x0123, None)
    assert (reported.Status, event_reply.PatientID) == (0x0000, "3")
    assert deleted.Status == 0x0000
    assert [msg_id for _, msg_id in seen] == [11, 12, 13, 14, 15, 16]


# -- Storage Commitment -------------------------------------------------------------


def committed(request: storage_commitment.CommitmentRequest) -> dict[str, int]:
    return {}


@pytest.mark.parametrize("same_association", [True, False])
def test_pynetdicom_commitment_scu_to_dicomnet_scp(
    servers: Servers, same_association: bool
) -> None:
    results: queue.SimpleQueue[tuple[int, Dataset]] = queue.SimpleQueue()

    def on_result(event: Any) -> object:
        results.put((event.event_type, event.event_information))
        return 0x0000, None

    # The modality's server for a result on a new association (J.3.3.1.3).
    modality_port = servers.theirs(
        "MODALITY",
        [(pynetdicom.evt.EVT_N_EVENT_REPORT, on_result)],
        SC,
        scu_role=False,
        scp_role=True,
    )
    provider = storage_commitment.StorageCommitmentSCP(
        committed,
        peers={"MODALITY": (LOOPBACK, modality_port)},
        same_association=same_association,
    )
    archive_port = servers.ours("ARCHIVE", provider.handlers(), SC)
    modality = servers.client(peer_ae("MODALITY"))
    modality.add_requested_context(SC)
    assoc = modality.associate(
        LOOPBACK,
        archive_port,
        ae_title="ARCHIVE",
        evt_handlers=[(pynetdicom.evt.EVT_N_EVENT_REPORT, on_result)],
    )
    info = storage_commitment.commitment_request([(CTImageStorage, "1.2.3.4")])
    status, _ = assoc.send_n_action(
        info, 1, SC, storage_commitment.STORAGE_COMMITMENT_INSTANCE
    )
    event_type, result = results.get(timeout=TIMEOUT)
    assoc.release()

    assert status.Status == 0x0000
    assert event_type == storage_commitment.COMMITMENT_SUCCESSFUL
    assert result.TransactionUID == info.TransactionUID
    assert result.ReferencedSOPSequence[0].ReferencedSOPInstanceUID == "1.2.3.4"


@pytest.mark.parametrize("same_association", [True, False])
def test_dicomnet_commitment_scu_to_pynetdicom_scp(
    servers: Servers, same_association: bool
) -> None:
    listener = storage_commitment.CommitmentListener()
    modality_port = servers.ours(
        "MODALITY", listener.handlers(), SC, scu_role=False, scp_role=True
    )

    def report(assoc: Any, info: Dataset) -> None:
        result = Dataset()
        result.TransactionUID = info.TransactionUID
        result.FailedSOPSequence = info.ReferencedSOPSequence
        result.FailedSOPSequence[0].FailureReason = 0x0112
        if same_association:
            assoc.send_n_event_report(
                result, 2, SC, storage_commitment.STORAGE_COMMITMENT_INSTANCE
            )
            return
        # PS3.4 J.3.3.1.3: a new association, the SCP role proposed.
        archive = peer_ae("ARCHIVE")
        archive.add_requested_context(SC)
        role = pynetdicom.build_role(SC, scp_role=True)
        reverse = archive.associate(
            LOOPBACK, modality_port, ae_title="MODALITY", ext_neg=[role]
        )
        reverse.send_n_event_report(
            result, 2, SC, storage_commitment.STORAGE_COMMITMENT_INSTANCE
        )
        reverse.release()
        archive.shutdown()

    def on_action(event: Any) -> object:
        info = event.action_information
        threading.Thread(target=report, args=(event.assoc, info)).start()
        return 0x0000, None

    archive_port = servers.theirs(
        "ARCHIVE", [(pynetdicom.evt.EVT_N_ACTION, on_action)], SC
    )
    ours = servers.client(our_ae("MODALITY"))
    ours.add_requested_context(SC)
    assoc = ours.associate(
        LOOPBACK, archive_port, ae_title="ARCHIVE", evt_handlers=listener.handlers()
    )
    status, transaction = storage_commitment.request_commitment(
        assoc, [(CTImageStorage, "1.2.3.4")]
    )
    result = listener.wait(transaction, TIMEOUT)
    assoc.release()

    assert status.Status == 0x0000
    assert result is not None
    assert result.event_type == storage_commitment.COMMITMENT_FAILURES_EXIST
    assert result.failed == (
        storage_commitment.InstanceReference(CTImageStorage, "1.2.3.4", 0x0112),
    )


# -- MPPS --------------------------------------------------------------------------


def test_pynetdicom_mpps_scu_to_dicomnet_scp(servers: Servers) -> None:
    server = mpps.MPPSServer()
    port = servers.ours("RIS", server.handlers(), MPPS)
    modality = servers.client(peer_ae("MODALITY"))
    modality.add_requested_context(MPPS)
    assoc = modality.associate(LOOPBACK, port, ae_title="RIS")
    uid = str(generate_uid(prefix=None))
    created, _ = assoc.send_n_create(start_step(), MPPS, uid)
    incomplete, _ = assoc.send_n_create(
        start_step(Modality=None), MPPS, str(generate_uid())
    )
    unknown, _ = assoc.send_n_set(
        reply(PerformedProcedureStepDescription="x"), MPPS, "1.2.3.999"
    )
    done, _ = assoc.send_n_set(final(), MPPS, uid)
    late, _ = assoc.send_n_set(reply(PerformedProcedureStepDescription="x"), MPPS, uid)
    assoc.release()

    assert created.Status == 0x0000
    assert incomplete.Status == 0x0120
    assert unknown.Status == 0x0112
    assert done.Status == 0x0000
    assert (late.Status, late.ErrorID) == (0x0110, 0xA710)


def test_dicomnet_mpps_scu_to_pynetdicom_scp(servers: Servers) -> None:
    steps: dict[str, Dataset] = {}

    def on_create(event: Any) -> object:
        steps[str(event.request.AffectedSOPInstanceUID)] = event.attribute_list
        return 0x0000, event.attribute_list

    def on_set(event: Any) -> object:
        step = steps.get(str(event.request.RequestedSOPInstanceUID))
        if step is None:
            return 0x0112, None
        step.update(event.modification_list)
        return 0x0000, event.modification_list

    port = servers.theirs(
        "RIS",
        [(pynetdicom.evt.EVT_N_CREATE, on_create), (pynetdicom.evt.EVT_N_SET, on_set)],
        MPPS,
    )
    modality = servers.client(our_ae("MODALITY"))
    modality.add_requested_context(MPPS)
    assoc = modality.associate(LOOPBACK, port, ae_title="RIS")
    uid = str(generate_uid(prefix=None))
    created, attrs = assoc.send_n_create(start_step(), MPPS, uid)
    done, _ = assoc.send_n_set(
        reply(PerformedProcedureStepStatus="COMPLETED"), MPPS, uid
    )
    unknown, _ = assoc.send_n_set(
        reply(PerformedProcedureStepStatus="COMPLETED"), MPPS, "1.2.3"
    )
    assoc.release()

    assert created.Status == 0x0000
    assert attrs.PerformedProcedureStepID == "PPS1"
    assert done.Status == 0x0000
    assert steps[uid].PerformedProcedureStepStatus == "COMPLETED"
    assert unknown.Status == 0x0112


# -- UPS ---------------------------------------------------------------------------


def test_pynetdicom_ups_scus_with_a_dicomnet_scp(servers: Servers) -> None:
    reports: queue.SimpleQueue[tuple[int, str]] = queue.SimpleQueue()

    def on_report(event: Any) -> object:
        reports.put((event.event_type, event.event_information.ProcedureStepState))
        return 0x0000, None

    watcher_port = servers.theirs(
        "WATCHER",
        [(pynetdicom.evt.EVT_N_EVENT_REPORT, on_report)],
        UnifiedProcedureStepEvent,
        scu_role=True,
        scp_role=True,
    )
    server = ups.UPSServer(peers={"WATCHER": (LOOPBACK, watcher_port)})
    port = servers.ours("UPS_SCP", server.handlers(), *UPS_CLASSES)
    performer = servers.client(peer_ae("PERFORMER"))
    for sop_class in UPS_CLASSES:
        performer.add_requested_context(sop_class)
    assoc = performer.associate(LOOPBACK, port, ae_title="UPS_SCP")
    subscribe = reply(ReceivingAE="WATCHER", DeletionLock="FALSE")
    subscribed, _ = assoc.send_n_action(
        subscribe,
        ups.SUBSCRIBE,
        UnifiedProcedureStepPush,
        ups.GLOBAL_SUBSCRIPTION,
        meta_uid=UnifiedProcedureStepWatch,
    )
    created, _ = assoc.send_n_create(workitem(), UnifiedProcedureStepPush)
    uid = str(created.get("AffectedSOPInstanceUID") or next(iter(server.instances)))
    found = [
        ds.SOPInstanceUID
        for status, ds in assoc.send_c_find(
            reply(SOPInstanceUID="", PatientID="P1"), UnifiedProcedureStepQuery
        )
        if status.Status == 0xFF00
    ]
    transaction = str(generate_uid(prefix=None))
    claim = reply(ProcedureStepState="IN PROGRESS", TransactionUID=transaction)
    claimed, _ = assoc.send_n_action(
        claim,
        ups.CHANGE_STATE,
        UnifiedProcedureStepPush,
        uid,
        meta_uid=UnifiedProcedureStepPull,
    )
    changes = performed()
    changes.TransactionUID = transaction
    assoc.send_n_set(
        changes, UnifiedProcedureStepPush, uid, meta_uid=UnifiedProcedureStepPull
    )
    done = reply(ProcedureStepState="COMPLETED", TransactionUID=transaction)
    completed, _ = assoc.send_n_action(
        done,
        ups.CHANGE_STATE,
        UnifiedProcedureStepPush,
        uid,
        meta_uid=UnifiedProcedureStepPull,
    )
    wrong, _ = assoc.send_n_get(None, UnifiedProcedureStepPush, "1.2.3.999")
    heard = [reports.get(timeout=TIMEOUT) for _ in range(3)]
    assoc.release()

    assert subscribed.Status == 0x0000
    assert created.Status == 0x0000
    assert found == [uid]
    assert claimed.Status == 0x0000
    assert completed.Status == 0x0000
    assert wrong.Status == 0xC307
    assert heard == [(1, "SCHEDULED"), (1, "IN PROGRESS"), (1, "COMPLETED")]


def test_dicomnet_ups_scus_with_a_pynetdicom_scp(servers: Servers) -> None:
    """Our UPS SCU calls against hand-written pynetdicom handlers."""
    watcher = ups_watcher_ours(servers)
    worklist: dict[str, Dataset] = {}

    def on_create(event: Any) -> object:
        worklist[str(event.request.AffectedSOPInstanceUID)] = event.attribute_list
        return 0x0000, None

    def on_action(event: Any) -> object:
        info = event.action_information
        if event.action_type == ups.SUBSCRIBE:
            threading.Thread(target=notify, args=(info.ReceivingAE,)).start()
            return 0x0000, None
        if (
            event.action_type == ups.CHANGE_STATE
            and info.ProcedureStepState == "COMPLETED"
        ):
            return 0xC304, None
        return 0x0000, None

    def notify(title: str) -> None:
        peer = peer_ae("UPS_SCP")
        peer.add_requested_context(UnifiedProcedureStepEvent)
        role = pynetdicom.build_role(UnifiedProcedureStepEvent, scp_role=True)
        assoc = peer.associate(LOOPBACK, watcher.port, ae_title=title, ext_neg=[role])
        for uid in worklist:
            info = reply(ProcedureStepState="SCHEDULED", InputReadinessState="READY")
            assoc.send_n_event_report(
                info,
                ups.STATE_REPORT,
                UnifiedProcedureStepPush,
                uid,
                meta_uid=UnifiedProcedureStepEvent,
            )
        assoc.release()
        peer.shutdown()

    port = servers.theirs(
        "UPS_SCP",
        [
            (pynetdicom.evt.EVT_N_CREATE, on_create),
            (pynetdicom.evt.EVT_N_ACTION, on_action),
        ],
        *UPS_CLASSES,
    )
    performer = servers.client(our_ae("PERFORMER"))
    for sop_class in UPS_CLASSES:
        performer.add_requested_context(sop_class)
    assoc = performer.associate(LOOPBACK, port, ae_title="UPS_SCP")
    uid = str(generate_uid(prefix=None))
    created, _ = assoc.send_n_create(workitem(), UnifiedProcedureStepPush, uid)
    subscribed, _ = ups.subscribe(assoc, "WATCHER")
    kind, about, state = watcher.reports.get(timeout=TIMEOUT)
    claimed, _ = ups.change_state(assoc, uid, ups.IN_PROGRESS, "1.2.3")
    refused, _ = ups.change_state(assoc, uid, ups.COMPLETED, "1.2.3")
    assoc.release()

    assert created.Status == 0x0000
    assert subscribed.Status == 0x0000
    assert (kind, about, state) == (ups.STATE_REPORT, uid, "SCHEDULED")
    assert claimed.Status == 0x0000
    assert refused.Status == 0xC304


class OurWatcher:
    def __init__(self) -> None:
        self.reports: queue.SimpleQueue[tuple[int, str, str]] = queue.SimpleQueue()
        self.port = 0

    def __call__(self, event: Any) -> object:
        self.reports.put(
            (
                event.event_type,
                str(event.request.AffectedSOPInstanceUID),
                event.event_information.ProcedureStepState,
            )
        )
        return 0x0000, None


def ups_watcher_ours(servers: Servers) -> OurWatcher:
    watcher = OurWatcher()
    watcher.port = servers.ours(
        "WATCHER",
        [(evt.EVT_N_EVENT_REPORT, watcher)],
        UnifiedProcedureStepEvent,
        scu_role=True,
        scp_role=True,
    )
    return watcher


def test_pynetdicom_sends_an_mpps_step_with_sequences(servers: Servers) -> None:
    """Nested sequences survive both codecs (Performed Series Sequence)."""
    server = mpps.MPPSServer()
    port = servers.ours("RIS", server.handlers(), MPPS)
    modality = servers.client(peer_ae("MODALITY"))
    modality.add_requested_context(MPPS)
    assoc = modality.associate(LOOPBACK, port, ae_title="RIS")
    uid = str(generate_uid(prefix=None))
    assoc.send_n_create(start_step(), MPPS, uid)
    series = reply(
        SeriesInstanceUID="1.2.3.4",
        ReferencedImageSequence=Sequence([reply(ReferencedSOPInstanceUID="1.2.3.4.5")]),
    )
    status, _ = assoc.send_n_set(
        reply(PerformedSeriesSequence=Sequence([series])), MPPS, uid
    )
    got, attrs = assoc.send_n_get([0x00400340], MPPS, uid)
    assoc.release()

    assert status.Status == 0x0000
    assert got.Status == 0x0000
    image = attrs.PerformedSeriesSequence[0].ReferencedImageSequence[0]
    assert image.ReferencedSOPInstanceUID == "1.2.3.4.5"


# -- Print Management -----------------------------------------------------------------


def test_pynetdicom_print_scu_to_dicomnet_printer(servers: Servers) -> None:
    films: list[pm.PrintedFilm] = []
    server = pm.PrintServer(on_print=films.append)
    port = servers.ours("PRINTER", server.handlers(), BasicGrayscalePrintManagementMeta)
    meta = BasicGrayscalePrintManagementMeta
    modality = servers.client(peer_ae("MODALITY"))
    modality.add_requested_context(meta)
    assoc = modality.associate(LOOPBACK, port, ae_title="PRINTER")
    printer, attrs = assoc.send_n_get(
        [0x21100010], Printer, pm.PRINTER_INSTANCE, meta_uid=meta
    )
    session_uid = str(generate_uid(prefix=None))
    made, _ = assoc.send_n_create(
        reply(NumberOfCopies=2), BasicFilmSession, session_uid, meta_uid=meta
    )
    ref = reply(
        ReferencedSOPClassUID=BasicFilmSession, ReferencedSOPInstanceUID=session_uid
    )
    box_uid = str(generate_uid(prefix=None))
    box_status, box = assoc.send_n_create(
        reply(
            ImageDisplayFormat="STANDARD\\1,1",
            ReferencedFilmSessionSequence=Sequence([ref]),
        ),
        BasicFilmBox,
        box_uid,
        meta_uid=meta,
    )
    assert box is not None
    image_uid = box.ReferencedImageBoxSequence[0].ReferencedSOPInstanceUID
    set_status, _ = assoc.send_n_set(
        image_box_set(1, image()), BasicGrayscaleImageBox, image_uid, meta_uid=meta
    )
    bad_image, _ = assoc.send_n_set(
        image_box_set(1, image(BitsAllocated=12)),
        BasicGrayscaleImageBox,
        image_uid,
        meta_uid=meta,
    )
    printed, _ = assoc.send_n_action(
        None, pm.PRINT, BasicFilmBox, box_uid, meta_uid=meta
    )
    assoc.release()

    assert (printer.Status, attrs.PrinterStatus) == (0x0000, "NORMAL")
    assert (made.Status, box_status.Status) == (0x0000, 0x0000)
    assert set_status.Status == 0x0000
    assert bad_image.Status == 0x0106
    assert printed.Status == 0x0000
    (film,) = films
    assert film.session.NumberOfCopies == 2
    assert film.images[0][1] is not None


def test_dicomnet_print_scu_to_pynetdicom_printer(servers: Servers) -> None:
    images: list[Dataset] = []
    image_uid = str(generate_uid(prefix=None))

    def on_create(event: Any) -> object:
        attrs = event.attribute_list
        if event.request.AffectedSOPClassUID == BasicFilmBox:
            item = reply(
                ReferencedSOPClassUID=BasicGrayscaleImageBox,
                ReferencedSOPInstanceUID=image_uid,
            )
            attrs.ReferencedImageBoxSequence = Sequence([item])
        return 0x0000, attrs

    def on_set(event: Any) -> object:
        images.append(event.modification_list.BasicGrayscaleImageSequence[0])
        return 0x0000, None

    def on_action(event: Any) -> object:
        return (0x0000 if images else pm.EMPTY_PAGE), None

    meta = BasicGrayscalePrintManagementMeta
    port = servers.theirs(
        "PRINTER",
        [
            (pynetdicom.evt.EVT_N_CREATE, on_create),
            (pynetdicom.evt.EVT_N_SET, on_set),
            (pynetdicom.evt.EVT_N_ACTION, on_action),
        ],
        meta,
    )
    modality = servers.client(our_ae("MODALITY"))
    modality.add_requested_context(meta)
    assoc = modality.associate(LOOPBACK, port, ae_title="PRINTER")
    session_uid = str(generate_uid(prefix=None))
    assoc.send_n_create(
        reply(NumberOfCopies=1), BasicFilmSession, session_uid, meta_uid=meta
    )
    ref = reply(
        ReferencedSOPClassUID=BasicFilmSession, ReferencedSOPInstanceUID=session_uid
    )
    box_uid = str(generate_uid(prefix=None))
    _, box = assoc.send_n_create(
        reply(
            ImageDisplayFormat="STANDARD\\1,1",
            ReferencedFilmSessionSequence=Sequence([ref]),
        ),
        BasicFilmBox,
        box_uid,
        meta_uid=meta,
    )
    empty, _ = assoc.send_n_action(None, pm.PRINT, BasicFilmBox, box_uid, meta_uid=meta)
    uid = box.ReferencedImageBoxSequence[0].ReferencedSOPInstanceUID
    assoc.send_n_set(
        image_box_set(1, image()), BasicGrayscaleImageBox, uid, meta_uid=meta
    )
    printed, _ = assoc.send_n_action(
        None, pm.PRINT, BasicFilmBox, box_uid, meta_uid=meta
    )
    assoc.release()

    assert empty.Status == pm.EMPTY_PAGE
    assert printed.Status == 0x0000
    assert images[0].PixelData == image().PixelData


# -- DCMTK: dcmprscp as the printer ---------------------------------------------------


def _printer_config(tmp_path: Path, port: int) -> Path:
    """DCMTK's stock configuration, its IHEFULL printer on ``port`` under ``tmp_path``."""
    text = Path("/etc/dcmtk/dcmpstat.cfg").read_text(encoding="latin-1")
    section = text.index("[IHEFULL]")
    at = text.index("Port = 10005", section)
    text = text[:at] + f"Port = {port}" + text[at + len("Port = 10005") :]
    for key, value in (
        ("Directory = database", f"Directory = {tmp_path / 'db'}"),
        ("Directory = spool", f"Directory = {tmp_path / 'spool'}"),
        ("LogDirectory = log", f"LogDirectory = {tmp_path}"),
        ("MessagePort = 11000", "MessagePort = 0"),
    ):
        text = text.replace(key, value)
    for name in ("db", "spool"):
        (tmp_path / name).mkdir()
    config = tmp_path / "dcmpstat.cfg"
    config.write_text(text, encoding="latin-1")
    return config


@pytest.mark.skipif(
    not (dcmtk_available("dcmprscp") and Path("/etc/dcmtk/dcmpstat.cfg").exists()),
    reason="DCMTK's print SCP or its configuration is not installed",
)
def test_dicomnet_print_scu_to_dcmtk_dcmprscp(tmp_path: Path) -> None:
    port = free_port()
    config = _printer_config(tmp_path, port)
    log = (tmp_path / "dcmprscp.log").open("wb")
    process = subprocess.Popen(
        ["dcmprscp", "-c", str(config), "-p", "IHEFULL"],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=dcmtk_env(),
    )
    meta = BasicGrayscalePrintManagementMeta
    try:
        assert _wait_listening(DcmtkServer(process, port, log), TIMEOUT)
        ours = our_ae("MODALITY")
        ours.add_requested_context(meta)
        assoc = ours.associate(LOOPBACK, port, ae_title="IHEFULL")
        assert assoc.is_established
        printer, attrs = assoc.send_n_get(
            None, Printer, pm.PRINTER_INSTANCE, meta_uid=meta
        )
        session, _ = assoc.send_n_create(
            reply(NumberOfCopies=1, MediumType="PAPER"), BasicFilmSession, meta_uid=meta
        )
        ref = reply(
            ReferencedSOPClassUID=BasicFilmSession,
            ReferencedSOPInstanceUID=session.AffectedSOPInstanceUID,
        )
        box_status, box = assoc.send_n_create(
            reply(
                ImageDisplayFormat="STANDARD\\1,1",
                ReferencedFilmSessionSequence=Sequence([ref]),
            ),
            BasicFilmBox,
            meta_uid=meta,
        )
        assert box is not None
        picture = image(Rows=16, Columns=16, PixelData=bytes(range(256)))
        set_status, _ = assoc.send_n_set(
            image_box_set(1, picture),
            BasicGrayscaleImageBox,
            box.ReferencedImageBoxSequence[0].ReferencedSOPInstanceUID,
            meta_uid=meta,
        )
        printed, _ = assoc.send_n_action(
            None,
            pm.PRINT,
            BasicFilmBox,
            box_status.AffectedSOPInstanceUID,
            meta_uid=meta,
        )
        assoc.release()
        ours.shutdown()
    finally:
        _stop(process, TIMEOUT)
        log.close()

    assert attrs is not None
    assert (printer.Status, attrs.PrinterStatus) == (0x0000, "NORMAL")
    assert (session.Status, box_status.Status, set_status.Status) == (0, 0, 0)
    assert printed.Status == 0x0000
    # dcmprscp keeps the image as a Hardcopy Grayscale Image (HG_*.dcm).
    (stored,) = (tmp_path / "db").glob("HG_*.dcm")
    assert dcmread(stored).PixelData == picture.PixelData


# -- the other normalized services: pynetdicom SCU -> dicomnet providers --------------


def _written(pieces: queue.SimpleQueue[int]) -> int:
    pieces.put(1)
    return 1


def test_pynetdicom_scu_with_the_other_dicomnet_providers(servers: Servers) -> None:
    notified: list[str] = []
    logged: list[str] = []
    written: queue.SimpleQueue[int] = queue.SimpleQueue()
    providers = route(
        instance_availability.AvailabilitySCP(lambda ds, title: notified.append(title)),
        display_system.DisplaySystemSCP({"Manufacturer": "ACME"}),
        event_logging.EventLogSCP(lambda cls, ds, title: logged.append(title)),
        media_creation.MediaCreationSCP(lambda ds: _written(written)),
    )
    classes = (
        InstanceAvailabilityNotification,
        DisplaySystem,
        ProceduralEventLogging,
        MediaCreationManagement,
    )
    port = servers.ours("DICOMNET", providers, *classes)
    peer = servers.client(peer_ae("PYNETDICOM"))
    for uid in classes:
        peer.add_requested_context(uid)
    assoc = peer.associate(LOOPBACK, port, ae_title="DICOMNET")
    ian_ok, _ = assoc.send_n_create(
        notification(), InstanceAvailabilityNotification, str(generate_uid())
    )
    ian_bad, _ = assoc.send_n_create(
        notification(RetrieveAETitle=None),
        InstanceAvailabilityNotification,
        str(generate_uid()),
    )
    display, attrs = assoc.send_n_get(
        [0x00080070], DisplaySystem, display_system.DISPLAY_SYSTEM_INSTANCE
    )
    display_bad, _ = assoc.send_n_get([0x00080070], DisplaySystem, "1.2.3.4")
    log_ok, _ = assoc.send_n_action(
        procedural_event(),
        event_logging.RECORD,
        ProceduralEventLogging,
        event_logging.PROCEDURAL_EVENT_LOGGING_INSTANCE,
    )
    log_bad, _ = assoc.send_n_action(
        procedural_event(),
        2,
        ProceduralEventLogging,
        event_logging.PROCEDURAL_EVENT_LOGGING_INSTANCE,
    )
    media_uid = str(generate_uid())
    media, _ = assoc.send_n_create(
        media_request("1.2.3.1"), MediaCreationManagement, media_uid
    )
    started, _ = assoc.send_n_action(
        None, media_creation.INITIATE, MediaCreationManagement, media_uid
    )
    pieces = written.get(timeout=TIMEOUT)
    assoc.release()

    assert (ian_ok.Status, ian_bad.Status) == (0x0000, 0x0120)
    assert notified == ["PYNETDICOM"]
    assert (display.Status, attrs.Manufacturer, display_bad.Status) == (
        0x0000,
        "ACME",
        0x0112,
    )
    assert (log_ok.Status, log_bad.Status) == (0x0000, 0x0123)
    assert logged == ["PYNETDICOM"]
    assert (media.Status, started.Status, pieces) == (0x0000, 0x0000, 1)
