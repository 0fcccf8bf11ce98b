"""A pynetdicom print SCU against dicomnet's PrintServer (marker ``interop``).

pynetdicom is a test peer only: it negotiates the optional Print Job, Basic
Annotation Box and Printer Configuration Retrieval SOP Classes (PS3.4 H.3)
and receives the job's and the Printer's N-EVENT-REPORTs.
"""

from __future__ import annotations

import logging
import queue
from collections.abc import Iterator
from typing import Any

import pynetdicom
import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import generate_uid

from dicomnet import AE
from dicomnet.services import print_management as pm
from dicomnet.sop_class import (
    BasicAnnotationBox,
    BasicFilmBox,
    BasicFilmSession,
    BasicGrayscaleImageBox,
    BasicGrayscalePrintManagementMeta,
    Printer,
    PrinterConfigurationRetrieval,
    PrintJob,
)
from tests.services.test_normalized import LOOPBACK, TIMEOUT, reply
from tests.services.test_print_management import image, image_box_set

pytestmark = pytest.mark.interop

GRAY = BasicGrayscalePrintManagementMeta
CLASSES = (GRAY, PrintJob, BasicAnnotationBox, PrinterConfigurationRetrieval)


class Peers:
    """dicomnet's PrintServer and a pynetdicom SCU that records event reports."""

    def __init__(self) -> None:
        self.films: list[pm.PrintedFilm] = []
        self.server = pm.PrintServer(on_print=self.films.append)
        self.scp = AE("PRINTER")
        for uid in CLASSES:
            self.scp.add_supported_context(uid)
        self.scp.acse_timeout = self.scp.dimse_timeout = TIMEOUT
        self.scp.network_timeout = TIMEOUT
        server = self.scp.start_server(
            (LOOPBACK, 0), block=False, evt_handlers=self.server.handlers()
        )
        assert server is not None
        self.port = int(server.server_address[1])
        self.scu = pynetdicom.AE(ae_title="MODALITY")
        self.scu.acse_timeout = self.scu.dimse_timeout = TIMEOUT
        self.scu.network_timeout = TIMEOUT
        for uid in CLASSES:
            self.scu.add_requested_context(uid)
        self.heard: queue.SimpleQueue[tuple[str, int, Dataset]] = queue.SimpleQueue()

    def on_report(self, event: Any) -> object:
        self.heard.put(
            (
                str(event.request.AffectedSOPClassUID),
                event.event_type,
                event.event_information,
            )
        )
        return 0x0000, None

    def associate(self) -> Any:
        assoc = self.scu.associate(
            LOOPBACK,
            self.port,
            ae_title="PRINTER",
            evt_handlers=[(pynetdicom.evt.EVT_N_EVENT_REPORT, self.on_report)],
        )
        assert assoc.is_established
        return assoc

    def close(self) -> None:
        self.scu.shutdown()
        self.scp.shutdown()


@pytest.fixture
def peers() -> Iterator[Peers]:
    both = Peers()
    yield both
    both.close()


#: pynetdicom's requestor runs a reactor thread that can take the response its
#: ``send_*()`` method is waiting for (pynetdicom issue #875, "Received
#: unexpected ... service message"); that association then ends in a DIMSE
#: timeout. A scenario that shows this signature in pynetdicom's log is run
#: again on a fresh pair; nothing else is retried.
PEER_RACE = "Received unexpected"
ATTEMPTS = 3


def print_with_a_job_and_an_annotation(peers: Peers) -> dict[str, Any]:
    """The pynetdicom side of a print with a job and an annotation."""
    assoc = peers.associate()
    session_uid = str(generate_uid(prefix=None))
    assoc.send_n_create(
        reply(NumberOfCopies=1), BasicFilmSession, session_uid, meta_uid=GRAY
    )
    ref = reply(
        ReferencedSOPClassUID=BasicFilmSession, ReferencedSOPInstanceUID=session_uid
    )
    box_uid = str(generate_uid(prefix=None))
    _, box = assoc.send_n_create(
        reply(
            ImageDisplayFormat="STANDARD\\1,1",
            AnnotationDisplayFormatID="LABEL",
            ReferencedFilmSessionSequence=Sequence([ref]),
        ),
        BasicFilmBox,
        box_uid,
        meta_uid=GRAY,
    )
    image_uid = box.ReferencedImageBoxSequence[0].ReferencedSOPInstanceUID
    assoc.send_n_set(
        image_box_set(1, image()), BasicGrayscaleImageBox, image_uid, meta_uid=GRAY
    )
    annotation_uid = box.ReferencedBasicAnnotationBoxSequence[
        0
    ].ReferencedSOPInstanceUID
    annotated, _ = assoc.send_n_set(
        reply(AnnotationPosition=1, TextString="WARD 7"),
        BasicAnnotationBox,
        annotation_uid,
    )
    printed, action_reply = assoc.send_n_action(
        None, pm.PRINT, BasicFilmBox, box_uid, meta_uid=GRAY
    )
    job_event = peers.heard.get(timeout=TIMEOUT)
    config_status, config = assoc.send_n_get(
        [0x2000001E], PrinterConfigurationRetrieval, pm.PRINTER_CONFIGURATION_INSTANCE
    )
    assoc.release()
    return {
        "annotated": annotated,
        "printed": printed,
        "action_reply": action_reply,
        "job_event": job_event,
        "config_status": config_status,
        "config": config,
    }


def test_pynetdicom_prints_with_a_job_and_an_annotation(
    caplog: pytest.LogCaptureFixture,
) -> None:
    for attempt in range(1, ATTEMPTS + 1):
        caplog.clear()
        peers = Peers()
        try:
            with caplog.at_level(logging.WARNING, logger="pynetdicom"):
                outcome = print_with_a_job_and_an_annotation(peers)
        except Exception:
            if PEER_RACE in caplog.text and attempt < ATTEMPTS:
                continue
            raise
        finally:
            peers.close()
        if PEER_RACE not in caplog.text or attempt == ATTEMPTS:
            break
    films = peers.films

    assert outcome["annotated"].Status == 0x0000
    assert outcome["printed"].Status == 0x0000
    (job,) = outcome["action_reply"][0x21000500].value
    assert job.ReferencedSOPClassUID == PrintJob
    sop_class, event_type, info = outcome["job_event"]
    assert (sop_class, event_type) == (PrintJob, pm.JOB_DONE)
    assert info.ExecutionStatusInfo == "NORMAL"
    assert films[0].annotations == ((1, "WARD 7"),)
    assert films[0].job_uid == job.ReferencedSOPInstanceUID
    assert outcome["config_status"].Status == 0x0000
    assert outcome["config"].PrinterConfigurationSequence[0].MemoryBitDepth == 16


def test_pynetdicom_hears_the_printer(peers: Peers) -> None:
    assoc = peers.associate()
    # A round trip: the server has seen the association start.
    assoc.send_n_get([0x21100010], Printer, pm.PRINTER_INSTANCE, meta_uid=GRAY)
    statuses = peers.server.set_printer_status("FAILURE", "SUPPLY EMPTY")
    heard = peers.heard.get(timeout=TIMEOUT)
    assoc.release()

    assert [status.Status for status in statuses] == [0x0000]
    sop_class, event_type, info = heard
    assert (sop_class, event_type) == (Printer, pm.PRINTER_FAILURE)
    assert info.PrinterStatusInfo == "SUPPLY EMPTY"
