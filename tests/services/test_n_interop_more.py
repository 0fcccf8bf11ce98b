"""dicomnet SCUs against SCPs written with pynetdicom handlers (marker ``interop``).

The direction ``tests/services/test_n_interop.py`` leaves out for Instance
Availability Notification (PS3.4 R), Media Creation Management (S), Display
System Management (EE) and Application Event Logging (P): each pynetdicom SCP
records what it decoded, and each test checks both what it received and the
statuses and attributes our SCU got back.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pynetdicom
import pytest
from pydicom.dataset import Dataset
from pydicom.uid import generate_uid

from dicomnet.services import display_system, event_logging, media_creation
from dicomnet.services import instance_availability as ian
from dicomnet.sop_class import (
    CTImageStorage,
    DisplaySystem,
    InstanceAvailabilityNotification,
    MediaCreationManagement,
    ProceduralEventLogging,
    SubstanceAdministrationLogging,
)
from tests.services._n_peers import Servers, our_ae, started
from tests.services.test_event_logging import FRAME, procedural_event
from tests.services.test_instance_availability import notification
from tests.services.test_media_creation import media_request
from tests.services.test_normalized import LOOPBACK, reply

pytestmark = pytest.mark.interop

EXECUTION_STATUS = 0x21000020
PIECES = 0x2200000B
MANUFACTURER = 0x00080070
MODEL = 0x00081090


@pytest.fixture
def servers() -> Iterator[Servers]:
    yield from started()


def connect(servers: Servers, handlers: list[tuple[Any, Any]], *classes: str) -> Any:
    """Start a pynetdicom SCP and associate our SCU with it."""
    port = servers.theirs("PYNETDICOM", handlers, *classes)
    ours = servers.client(our_ae("DICOMNET"))
    for uid in classes:
        ours.add_requested_context(uid)
    assoc = ours.associate(LOOPBACK, port, ae_title="PYNETDICOM")
    assert assoc.is_established
    return assoc


def test_dicomnet_notifies_availability_to_pynetdicom(servers: Servers) -> None:
    received: list[tuple[str, Dataset]] = []

    def on_create(event: Any) -> object:
        attrs = event.attribute_list
        received.append((str(event.request.AffectedSOPInstanceUID), attrs))
        items = [
            item
            for series in attrs.ReferencedSeriesSequence
            for item in series.ReferencedSOPSequence
        ]
        if not all("RetrieveAETitle" in item for item in items):
            return 0x0120, None  # PS3.4 Table R.3.2-1: Type 1
        return 0x0000, None

    assoc = connect(
        servers,
        [(pynetdicom.evt.EVT_N_CREATE, on_create)],
        InstanceAvailabilityNotification,
    )
    uid = str(generate_uid(prefix=None))
    built = ian.availability_notification(
        "1.2.3", [("1.2.3.1", CTImageStorage, "1.2.3.1.1")], "ARCHIVE", "NEARLINE"
    )
    notified = ian.notify_availability(assoc, built, uid)
    refused = ian.notify_availability(
        assoc, notification(RetrieveAETitle=None), str(generate_uid(prefix=None))
    )
    assoc.release()

    assert (notified.Status, refused.Status) == (0x0000, 0x0120)
    about, attrs = received[0]
    assert about == uid
    assert attrs.StudyInstanceUID == "1.2.3"
    assert attrs.ReferencedPerformedProcedureStepSequence == []
    (series,) = attrs.ReferencedSeriesSequence
    assert series.SeriesInstanceUID == "1.2.3.1"
    (item,) = series.ReferencedSOPSequence
    assert (item.ReferencedSOPClassUID, item.ReferencedSOPInstanceUID) == (
        CTImageStorage,
        "1.2.3.1.1",
    )
    assert (item.InstanceAvailability, item.RetrieveAETitle) == ("NEARLINE", "ARCHIVE")


class PynetdicomMediaSCP:
    """A media creation device: writes at once on Initiate (PS3.4 S.3.2)."""

    def __init__(self) -> None:
        self.requests: dict[str, Dataset] = {}
        self.initiated: list[Dataset] = []

    def handlers(self) -> list[tuple[Any, Any]]:
        on = pynetdicom.evt
        return [
            (on.EVT_N_CREATE, self.on_create),
            (on.EVT_N_ACTION, self.on_action),
            (on.EVT_N_GET, self.on_get),
        ]

    def on_create(self, event: Any) -> object:
        attrs = event.attribute_list
        attrs.ExecutionStatus = "IDLE"
        self.requests[str(event.request.AffectedSOPInstanceUID)] = attrs
        return 0x0000, attrs

    def on_action(self, event: Any) -> object:
        request = self.requests.get(str(event.request.RequestedSOPInstanceUID))
        if request is None:
            return 0x0112, None
        if event.action_type == media_creation.INITIATE:
            self.initiated.append(event.action_information)
            request.ExecutionStatus = "DONE"
            request.TotalNumberOfPiecesOfMediaCreated = 1
            return 0x0000, None
        if request.ExecutionStatus == "DONE":
            return media_creation.ALREADY_COMPLETED, None
        return 0x0000, None

    def on_get(self, event: Any) -> object:
        request = self.requests.get(str(event.request.RequestedSOPInstanceUID))
        if request is None:
            return 0x0112, None
        attrs = Dataset()
        for tag in event.attribute_identifiers:
            if tag in request:
                attrs[tag] = request[tag]
        return 0x0000, attrs


def test_dicomnet_asks_pynetdicom_for_media(servers: Servers) -> None:
    device = PynetdicomMediaSCP()
    assoc = connect(servers, device.handlers(), MediaCreationManagement)
    uid = str(generate_uid(prefix=None))
    created, attrs = assoc.send_n_create(
        media_request("1.2.3.1", "1.2.3.2"), MediaCreationManagement, uid
    )
    initiated, _ = assoc.send_n_action(
        reply(RequestPriority="HIGH", NumberOfCopies=2),
        media_creation.INITIATE,
        MediaCreationManagement,
        uid,
    )
    got, status = assoc.send_n_get(
        [EXECUTION_STATUS, PIECES], MediaCreationManagement, uid
    )
    late, _ = assoc.send_n_action(
        None, media_creation.CANCEL, MediaCreationManagement, uid
    )
    unknown, _ = assoc.send_n_get([EXECUTION_STATUS], MediaCreationManagement, "1.2.3")
    assoc.release()

    assert (created.Status, created.AffectedSOPInstanceUID) == (0x0000, uid)
    assert attrs.ExecutionStatus == "IDLE"
    assert [item.ReferencedSOPInstanceUID for item in attrs.ReferencedSOPSequence] == [
        "1.2.3.1",
        "1.2.3.2",
    ]
    assert initiated.Status == 0x0000
    (action,) = device.initiated
    assert (action.RequestPriority, action.NumberOfCopies) == ("HIGH", 2)
    assert got.Status == 0x0000
    assert (status.ExecutionStatus, status.TotalNumberOfPiecesOfMediaCreated) == (
        "DONE",
        1,
    )
    assert late.Status == media_creation.ALREADY_COMPLETED
    assert unknown.Status == 0x0112


def test_dicomnet_reads_a_pynetdicom_display_system(servers: Servers) -> None:
    asked: list[list[int]] = []
    display = reply(Manufacturer="ACME", ManufacturerModelName="View 2")

    def on_get(event: Any) -> object:
        asked.append([int(tag) for tag in event.attribute_identifiers])
        if event.request.RequestedSOPInstanceUID != (
            display_system.DISPLAY_SYSTEM_INSTANCE
        ):
            return 0x0112, None
        if not event.attribute_identifiers:
            return 0x0000, display
        attrs = Dataset()
        for tag in event.attribute_identifiers:
            attrs[tag] = display[tag]
        return 0x0000, attrs

    assoc = connect(servers, [(pynetdicom.evt.EVT_N_GET, on_get)], DisplaySystem)
    instance = display_system.DISPLAY_SYSTEM_INSTANCE
    one, maker = assoc.send_n_get([MANUFACTURER], DisplaySystem, instance)
    every, everything = assoc.send_n_get(None, DisplaySystem, instance)
    wrong, nothing = assoc.send_n_get([MANUFACTURER], DisplaySystem, "1.2.3.4")
    assoc.release()

    assert asked == [[MANUFACTURER], [], [MANUFACTURER]]
    assert (one.Status, maker) == (0x0000, reply(Manufacturer="ACME"))
    assert (every.Status, everything) == (0x0000, display)
    assert (wrong.Status, nothing) == (0x0112, None)


def test_dicomnet_logs_events_to_pynetdicom(servers: Servers) -> None:
    logged: list[tuple[str, str, int, Dataset]] = []

    def on_action(event: Any) -> object:
        request = event.request
        info = event.action_information
        logged.append(
            (
                str(request.RequestedSOPClassUID),
                str(request.RequestedSOPInstanceUID),
                event.action_type,
                info,
            )
        )
        if info.SynchronizationFrameOfReferenceUID != FRAME:
            return event_logging.FRAME_OF_REFERENCE_MISMATCH, None
        return 0x0000, None

    assoc = connect(
        servers,
        [(pynetdicom.evt.EVT_N_ACTION, on_action)],
        ProceduralEventLogging,
        SubstanceAdministrationLogging,
    )
    procedural = event_logging.log_event(assoc, procedural_event())
    mismatch = event_logging.log_event(
        assoc, procedural_event(SynchronizationFrameOfReferenceUID="1.2.3.9")
    )
    substance = event_logging.log_event(
        assoc, procedural_event(), SubstanceAdministrationLogging
    )
    assoc.release()

    assert (procedural.Status, mismatch.Status, substance.Status) == (
        0x0000,
        event_logging.FRAME_OF_REFERENCE_MISMATCH,
        0x0000,
    )
    procedural_instance = event_logging.PROCEDURAL_EVENT_LOGGING_INSTANCE
    substance_instance = event_logging.SUBSTANCE_ADMINISTRATION_LOGGING_INSTANCE
    assert [entry[:3] for entry in logged] == [
        (ProceduralEventLogging, procedural_instance, event_logging.RECORD),
        (ProceduralEventLogging, procedural_instance, event_logging.RECORD),
        (SubstanceAdministrationLogging, substance_instance, event_logging.RECORD),
    ]
    first = logged[0][3]
    assert (first.PatientID, first.PerformedLocation) == ("P1", "CATH1")
    assert first.ConceptNameCodeSequence[0].CodeValue == "110101"
