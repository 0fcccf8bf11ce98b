"""Media Creation Management (PS3.4 Annex S) between dicomnet AEs."""

from __future__ import annotations

import queue
from typing import Any

from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from dicomnet.services import media_creation as mc
from dicomnet.sop_class import CTImageStorage, MediaCreationManagement
from tests.services.test_normalized import TIMEOUT, Pair, reply

MCM = MediaCreationManagement


def media_request(*uids: str) -> Dataset:
    items = [
        reply(ReferencedSOPClassUID=CTImageStorage, ReferencedSOPInstanceUID=uid)
        for uid in uids
    ]
    return reply(ReferencedSOPSequence=Sequence(items), LabelText="Study of Doe")


def test_media_are_created_and_followed() -> None:
    written: queue.SimpleQueue[Dataset] = queue.SimpleQueue()

    def create_media(request: Dataset) -> int:
        written.put(request)
        return 2

    peers = Pair()
    scp = mc.MediaCreationSCP(create_media)
    try:
        peers.serve(scp.handlers(), MCM)
        assoc = peers.associate(MCM)
        created, _ = assoc.send_n_create(media_request("1.2.3.1", "1.2.3.2"), MCM)
        uid = created.AffectedSOPInstanceUID
        started, _ = assoc.send_n_action(
            reply(RequestPriority="HIGH", NumberOfCopies=1), mc.INITIATE, MCM, uid
        )
        request = written.get(timeout=TIMEOUT)
        again, _ = assoc.send_n_action(None, mc.INITIATE, MCM, uid)
        status, attrs = assoc.send_n_get([0x21000020, 0x2200000B], MCM, uid)
        too_late, _ = assoc.send_n_action(None, mc.CANCEL, MCM, uid)
        assoc.release()
    finally:
        peers.close()

    assert (created.Status, started.Status) == (0x0000, 0x0000)
    assert request.LabelText == "Study of Doe"
    assert request.RequestPriority == "HIGH"
    assert again.Status == mc.ALREADY_INITIATED
    assert status.Status == 0x0000
    assert attrs is not None
    assert (attrs.ExecutionStatus, attrs.TotalNumberOfPiecesOfMediaCreated) == (
        "DONE",
        2,
    )
    assert too_late.Status == mc.ALREADY_COMPLETED


def test_bad_requests_and_cancel() -> None:
    def broken(request: Dataset) -> Any:
        raise RuntimeError("no blank media")

    peers = Pair()
    scp = mc.MediaCreationSCP(broken)
    try:
        peers.serve(scp.handlers(), MCM)
        assoc = peers.associate(MCM)
        empty, _ = assoc.send_n_create(reply(LabelText="x"), MCM)
        no_uid, _ = assoc.send_n_create(
            reply(
                ReferencedSOPSequence=Sequence(
                    [reply(ReferencedSOPClassUID=CTImageStorage)]
                )
            ),
            MCM,
        )
        created, _ = assoc.send_n_create(media_request("1.2.3.1"), MCM, "1.2.3.77")
        duplicate, _ = assoc.send_n_create(media_request("1.2.3.1"), MCM, "1.2.3.77")
        bad_priority, _ = assoc.send_n_action(
            reply(RequestPriority="URGENT"), mc.INITIATE, MCM, "1.2.3.77"
        )
        no_action, _ = assoc.send_n_action(None, 7, MCM, "1.2.3.77")
        unknown, _ = assoc.send_n_action(None, mc.INITIATE, MCM, "1.2.3.999")
        canceled, _ = assoc.send_n_action(None, mc.CANCEL, MCM, "1.2.3.77")
        _, attrs = assoc.send_n_get([0x21000020, 0x21000030], MCM, "1.2.3.77")
        after_cancel, _ = assoc.send_n_action(None, mc.INITIATE, MCM, "1.2.3.77")
        second, _ = assoc.send_n_create(media_request("1.2.3.2"), MCM, "1.2.3.78")
        assoc.send_n_action(None, mc.INITIATE, MCM, "1.2.3.78")
        _, failed = assoc.send_n_get([0x21000020, 0x21000030], MCM, "1.2.3.78")
        denied, _ = assoc.send_n_action(None, mc.CANCEL, MCM, "1.2.3.78")
        assoc.release()
    finally:
        peers.close()

    assert (empty.Status, no_uid.Status) == (0x0120, 0x0120)
    assert (created.Status, duplicate.Status) == (0x0000, 0x0111)
    assert bad_priority.Status == 0x0115
    assert no_action.Status == 0x0123
    assert unknown.Status == 0x0112
    assert canceled.Status == 0x0000
    assert attrs is not None
    assert (attrs.ExecutionStatus, attrs.ExecutionStatusInfo) == ("FAILURE", "CANCELED")
    assert after_cancel.Status == mc.ALREADY_INITIATED
    assert second.Status == 0x0000
    assert failed is not None
    assert (failed.ExecutionStatus, failed.ExecutionStatusInfo) == (
        "FAILURE",
        "UNKNOWN",
    )
    assert denied.Status == mc.CANCEL_DENIED
