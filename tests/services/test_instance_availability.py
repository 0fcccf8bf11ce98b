"""Instance Availability Notification (PS3.4 Annex R) between dicomnet AEs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pydicom.dataset import Dataset

from dicomnet.services import instance_availability as ian
from dicomnet.sop_class import CTImageStorage, InstanceAvailabilityNotification
from tests.services.test_normalized import Pair

IAN = InstanceAvailabilityNotification
STUDY = "1.2.826.0.1.3680043.10.1234.300"


def notification(**item_changes: Any) -> Dataset:
    ds = ian.availability_notification(
        STUDY,
        [
            ("1.2.3.1", CTImageStorage, "1.2.3.1.1"),
            ("1.2.3.1", CTImageStorage, "1.2.3.1.2"),
        ],
        "ARCHIVE",
    )
    item = ds.ReferencedSeriesSequence[0].ReferencedSOPSequence[0]
    for keyword, value in item_changes.items():
        if value is None:
            del item[keyword]
        else:
            setattr(item, keyword, value)
    return ds


class Setup(Pair):
    def __init__(self, *, failing: bool = False) -> None:
        super().__init__()
        self.received: list[tuple[Dataset, str]] = []
        self.failing = failing
        self.serve(ian.AvailabilitySCP(self.on_notification).handlers(), IAN)

    def on_notification(self, attrs: Dataset, ae_title: str) -> None:
        if self.failing:
            raise RuntimeError("database down")
        self.received.append((attrs, ae_title))


@pytest.fixture
def setup() -> Iterator[Setup]:
    peers = Setup()
    yield peers
    peers.close()


def test_a_notification_is_delivered(setup: Setup) -> None:
    assoc = setup.associate(IAN)
    status = ian.notify_availability(assoc, notification())
    assoc.release()

    assert status.Status == 0x0000
    ((attrs, ae_title),) = setup.received
    assert ae_title == "N_SCU"
    series = attrs.ReferencedSeriesSequence
    assert len(series) == 1
    assert [
        item.ReferencedSOPInstanceUID for item in series[0].ReferencedSOPSequence
    ] == [
        "1.2.3.1.1",
        "1.2.3.1.2",
    ]


@pytest.mark.parametrize(
    ("attrs", "code"),
    [
        pytest.param(
            notification(InstanceAvailability="SOMEWHERE"),
            0x0106,
            id="bad-availability",
        ),
        pytest.param(notification(RetrieveAETitle=None), 0x0120, id="no-retrieve-ae"),
        pytest.param(
            notification(ReferencedSOPInstanceUID=""), 0x0121, id="empty-instance"
        ),
        pytest.param(Dataset(), 0x0120, id="empty-notification"),
    ],
)
def test_a_bad_notification_is_refused(setup: Setup, attrs: Dataset, code: int) -> None:
    assoc = setup.associate(IAN)
    status, _ = assoc.send_n_create(attrs, IAN)
    assoc.release()
    assert status.Status == code
    assert not setup.received


def test_a_failing_callback_is_processing_failure() -> None:
    peers = Setup(failing=True)
    try:
        assoc = peers.associate(IAN)
        status = ian.notify_availability(assoc, notification())
        assoc.release()
    finally:
        peers.close()
    assert status.Status == 0x0110
