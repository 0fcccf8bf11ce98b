"""Print Job, Basic Annotation Box, Printer Configuration Retrieval and the
Printer's event reports (PS3.4 H.4.4, H.4.5, H.4.6, H.4.11) between dicomnet AEs.
"""

from __future__ import annotations

import queue
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from pydicom.dataset import Dataset

from dicomnet import AE, evt
from dicomnet.presentation import build_context
from dicomnet.services import _print_rules as rules
from dicomnet.services import print_management as pm
from dicomnet.sop_class import (
    BasicAnnotationBox,
    BasicFilmBox,
    BasicFilmSession,
    BasicGrayscaleImageBox,
    BasicGrayscalePrintManagementMeta,
    PresentationLUT,
    Printer,
    PrinterConfigurationRetrieval,
    PrintJob,
)
from tests.services.test_normalized import LOOPBACK, TIMEOUT, reply
from tests.services.test_print_management import film_box, image, image_box_set, session

GRAY = BasicGrayscalePrintManagementMeta
JOB_SEQUENCE = 0x21000500  # Referenced Print Job Sequence (H.4.2.2.4.1)
OPTIONAL = (PrintJob, BasicAnnotationBox, PrinterConfigurationRetrieval)

Report = tuple[str, str, int, Dataset]


class Printing:
    """A PrintServer on loopback and dicomnet SCUs that record event reports."""

    def __init__(self, on_print: Any = None, **options: Any) -> None:
        self.films: list[pm.PrintedFilm] = []
        self.server = pm.PrintServer(on_print=on_print or self.films.append, **options)
        self.scp = AE("PRINTER")
        for uid in (GRAY, PresentationLUT, *OPTIONAL):
            self.scp.add_supported_context(uid)
        server = self.scp.start_server(
            (LOOPBACK, 0), block=False, evt_handlers=self.server.handlers()
        )
        assert server is not None
        self.port = int(server.server_address[1])
        self.scu = AE("MODALITY")
        for ae in (self.scp, self.scu):
            ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = TIMEOUT

    def associate(self, *uids: str) -> tuple[Any, queue.SimpleQueue[Report]]:
        """Associate with ``uids`` negotiated; reports land on the queue."""
        heard: queue.SimpleQueue[Report] = queue.SimpleQueue()

        def on_report(event: Any) -> object:
            request = event.request
            heard.put(
                (
                    str(request.AffectedSOPClassUID),
                    str(request.AffectedSOPInstanceUID),
                    event.event_type,
                    event.event_information,
                )
            )
            return 0x0000, None

        assoc = self.scu.associate(
            LOOPBACK,
            self.port,
            contexts=[build_context(uid) for uid in uids or (GRAY, *OPTIONAL)],
            evt_handlers=[(evt.EVT_N_EVENT_REPORT, on_report)],
        )
        assert assoc.is_established
        return assoc, heard

    def close(self) -> None:
        self.scu.shutdown()
        self.scp.shutdown()


@pytest.fixture
def printing() -> Iterator[Printing]:
    both = Printing()
    yield both
    both.close()


@pytest.fixture
def manual() -> Iterator[Printing]:
    both = Printing(complete_jobs=False)
    yield both
    both.close()


def filled_box(assoc: Any, session_uid: str, **attrs: Any) -> tuple[Dataset, Dataset]:
    """Create a one-image film box and set its image."""
    created, box = film_box(assoc, session_uid, "STANDARD\\1,1", **attrs)
    assert created.Status == 0x0000
    assert box is not None
    uid = box.ReferencedImageBoxSequence[0].ReferencedSOPInstanceUID
    status, _ = assoc.send_n_set(
        image_box_set(1, image()), BasicGrayscaleImageBox, uid, meta_uid=GRAY
    )
    assert status.Status == 0x0000
    return created, box


def job_of(action_reply: Dataset | None) -> str:
    assert action_reply is not None
    (item,) = action_reply[JOB_SEQUENCE].value
    assert item.ReferencedSOPClassUID == PrintJob
    return str(item.ReferencedSOPInstanceUID)


# -- Print Job (H.4.5) ------------------------------------------------------------


def test_a_print_makes_a_job_reported_done(printing: Printing) -> None:
    assoc, heard = printing.associate()
    session_uid = session(assoc, FilmSessionLabel="CHEST")
    created, _ = filled_box(assoc, session_uid)
    status, action_reply = assoc.send_n_action(
        None, pm.PRINT, BasicFilmBox, created.AffectedSOPInstanceUID, meta_uid=GRAY
    )
    sop_class, instance, event_type, info = heard.get(timeout=TIMEOUT)
    assoc.release()

    assert status.Status == 0x0000
    job_uid = job_of(action_reply)
    # H.4.5.2.1: the default printer prints at once and reports Done.
    assert (sop_class, instance, event_type) == (PrintJob, job_uid, pm.JOB_DONE)
    assert info.ExecutionStatusInfo == "NORMAL"
    assert (info.FilmSessionLabel, info.PrinterName) == ("CHEST", "DICOMNET")
    assert printing.films[0].job_uid == job_uid


def test_no_job_without_the_print_job_sop_class(printing: Printing) -> None:
    assoc, _ = printing.associate(GRAY)
    created, _ = filled_box(assoc, session(assoc))
    status, action_reply = assoc.send_n_action(
        None, pm.PRINT, BasicFilmBox, created.AffectedSOPInstanceUID, meta_uid=GRAY
    )
    assoc.release()

    assert status.Status == 0x0000
    # H.4.2.2.4.1: no Action Reply when the Print Job SOP Class is not used.
    assert action_reply is not None
    assert JOB_SEQUENCE not in action_reply
    assert printing.films[0].job_uid is None
    assert printing.server.print_jobs == {}


def test_the_application_drives_a_job(manual: Printing) -> None:
    assoc, heard = manual.associate()
    session_uid = session(assoc, PrintPriority="HIGH")
    filled_box(assoc, session_uid)
    filled_box(assoc, session_uid)
    status, action_reply = assoc.send_n_action(
        None, pm.PRINT, BasicFilmSession, session_uid, meta_uid=GRAY
    )
    job_uid = job_of(action_reply)
    _, pending = assoc.send_n_get(None, PrintJob, job_uid)
    printing = manual.server.set_job_status(job_uid, "PRINTING")
    first = heard.get(timeout=TIMEOUT)[2]
    get_status, during = assoc.send_n_get([0x21000020, 0x21000030], PrintJob, job_uid)
    failed = manual.server.set_job_status(job_uid, "FAILURE", "FILM JAM")
    _, _, second, info = heard.get(timeout=TIMEOUT)
    gone, _ = assoc.send_n_get(None, PrintJob, job_uid)
    assoc.release()

    assert status.Status == 0x0000
    # One job for the two films of the session (H.4.1.2.4.3).
    assert [film.job_uid for film in manual.films] == [job_uid, job_uid]
    assert pending is not None
    assert (pending.ExecutionStatus, pending.ExecutionStatusInfo) == (
        "PENDING",
        "QUEUED",
    )
    assert (pending.PrintPriority, pending.Originator) == ("HIGH", "MODALITY")
    assert pending.PrinterName == "DICOMNET"
    assert len(pending.CreationDate) == 8
    assert printing is not None
    assert printing.Status == 0x0000
    assert first == pm.JOB_PRINTING
    assert get_status.Status == 0x0000
    assert during is not None
    assert (during.ExecutionStatus, during.ExecutionStatusInfo) == (
        "PRINTING",
        "NORMAL",
    )
    assert failed is not None
    assert failed.Status == 0x0000
    assert (second, info.ExecutionStatusInfo) == (pm.JOB_FAILURE, "FILM JAM")
    # H.4.5.2.1.2: deleted once Failure was confirmed.
    assert gone.Status == 0x0112
    assert manual.server.print_jobs == {}
    with pytest.raises(KeyError):
        manual.server.set_job_status(job_uid, "DONE")


def test_job_statuses_are_checked(manual: Printing) -> None:
    assoc, _ = manual.associate()
    created, _ = filled_box(assoc, session(assoc))
    _, action_reply = assoc.send_n_action(
        None, pm.PRINT, BasicFilmBox, created.AffectedSOPInstanceUID, meta_uid=GRAY
    )
    job_uid = job_of(action_reply)
    unknown_job, _ = assoc.send_n_get(None, PrintJob, "1.2.3.999")
    with pytest.raises(ValueError, match="Unknown execution status"):
        manual.server.set_job_status(job_uid, "LOST")
    assert list(manual.server.print_jobs) == [job_uid]
    assoc.release()

    assert unknown_job.Status == 0x0112
    # The association is gone: the change is kept, nobody is told.
    assert manual.server.set_job_status(job_uid, "DONE") is None
    assert manual.server.print_jobs == {}


def test_a_failed_print_makes_no_job() -> None:
    def jam(film: pm.PrintedFilm) -> None:
        raise RuntimeError("film jam")

    both = Printing(on_print=jam, complete_jobs=False)
    try:
        assoc, _ = both.associate()
        created, _ = filled_box(assoc, session(assoc))
        status, action_reply = assoc.send_n_action(
            None, pm.PRINT, BasicFilmBox, created.AffectedSOPInstanceUID, meta_uid=GRAY
        )
        assoc.release()
    finally:
        both.close()
    assert status.Status == 0x0110
    assert action_reply is None
    assert both.server.print_jobs == {}


def test_an_empty_session_print_is_a_session_warning(manual: Printing) -> None:
    assoc, _ = manual.associate(GRAY)
    session_uid = session(assoc)
    film_box(assoc, session_uid, "STANDARD\\1,1")
    status, _ = assoc.send_n_action(
        None, pm.PRINT, BasicFilmSession, session_uid, meta_uid=GRAY
    )
    assoc.release()
    # H.4.1.2.4.2: B602, where a film box's own N-ACTION says B603.
    assert status.Status == pm.EMPTY_SESSION


# -- Basic Annotation Box (H.4.4) -------------------------------------------------


def test_annotation_boxes_are_made_set_and_printed(printing: Printing) -> None:
    assoc, _ = printing.associate()
    session_uid = session(assoc)
    created, box = filled_box(assoc, session_uid, AnnotationDisplayFormatID="LABEL")
    plain, no_annotation = film_box(assoc, session_uid)
    unknown, _ = film_box(assoc, session_uid, AnnotationDisplayFormatID="BANNER")
    (item,) = box.ReferencedBasicAnnotationBoxSequence
    uid = item.ReferencedSOPInstanceUID
    statuses = [
        assoc.send_n_set(changes, BasicAnnotationBox, uid)[0].Status
        for changes in (
            reply(AnnotationPosition=1, TextString="Dr. Who"),
            reply(AnnotationPosition=2, TextString="elsewhere"),
            reply(PatientID="123"),
        )
    ]
    missing, _ = assoc.send_n_set(reply(TextString="x"), BasicAnnotationBox, "1.2.3")
    assoc.send_n_action(
        None, pm.PRINT, BasicFilmBox, created.AffectedSOPInstanceUID, meta_uid=GRAY
    )
    assoc.release()

    assert item.ReferencedSOPClassUID == BasicAnnotationBox
    assert plain.Status == 0x0000
    assert no_annotation is not None
    assert "ReferencedBasicAnnotationBoxSequence" not in no_annotation
    assert unknown.Status == 0x0106
    assert statuses == [0x0000, 0x0106, 0x0105]
    assert missing.Status == 0x0112
    assert printing.films[0].annotations == ((1, "Dr. Who"),)


def test_an_annotation_text_is_a_long_string() -> None:
    changes = Dataset()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydicom warns of the value it is given
        changes.TextString = "x" * 65
    refused = rules.check_annotation(1, changes)
    assert refused is not None
    assert (refused.Status, refused.AttributeIdentifierList) == (0x0106, 0x20300020)
    assert rules.check_annotation(1, reply(TextString="x" * 64)) is None


def test_annotation_formats_are_the_printers() -> None:
    both = Printing(annotation_formats={"TOP_BOTTOM": 2})
    try:
        assoc, _ = both.associate()
        with_boxes = film_box(
            assoc, session(assoc), AnnotationDisplayFormatID="TOP_BOTTOM"
        )[1]
        assoc.release()
        # H.3: without the Basic Annotation Box SOP Class, no annotation box.
        other, _ = both.associate(GRAY)
        without = film_box(
            other, session(other), AnnotationDisplayFormatID="TOP_BOTTOM"
        )[1]
        other.release()
    finally:
        both.close()
    assert with_boxes is not None
    positions = with_boxes.ReferencedBasicAnnotationBoxSequence
    assert len(positions) == 2
    assert without is not None
    assert "ReferencedBasicAnnotationBoxSequence" not in without


# -- Printer Configuration Retrieval (H.4.11) -------------------------------------


def test_the_printer_configuration_is_read(printing: Printing) -> None:
    assoc, _ = printing.associate()
    status, attrs = assoc.send_n_get(
        [0x2000001E], PrinterConfigurationRetrieval, pm.PRINTER_CONFIGURATION_INSTANCE
    )
    wrong, _ = assoc.send_n_get(None, PrinterConfigurationRetrieval, "1.2.3.4")
    assoc.release()

    assert status.Status == 0x0000
    assert attrs is not None
    (config,) = attrs.PrinterConfigurationSequence
    assert PrintJob in config.SOPClassesSupported
    assert BasicAnnotationBox in config.SOPClassesSupported
    assert config.MediaInstalledSequence[0].MediumType == "BLUE FILM"
    formats = config.SupportedImageDisplayFormatsSequence
    assert "STANDARD\\2,2" in [item.ImageDisplayFormat for item in formats]
    assert wrong.Status == 0x0112


def test_a_given_configuration_is_returned() -> None:
    item = reply(MaximumCollatedFilms=3, DefaultMagnificationType="CUBIC")
    both = Printing(configuration=[item])
    try:
        assoc, _ = both.associate()
        _, attrs = assoc.send_n_get(
            None, PrinterConfigurationRetrieval, pm.PRINTER_CONFIGURATION_INSTANCE
        )
        assoc.release()
    finally:
        both.close()
    assert attrs is not None
    assert attrs.PrinterConfigurationSequence[0].MaximumCollatedFilms == 3


# -- the Printer's N-EVENT-REPORT (H.4.6.2.1) -------------------------------------


def test_the_printer_tells_every_scu_using_it(printing: Printing) -> None:
    first, heard_first = printing.associate()
    second, heard_second = printing.associate(GRAY)
    other, heard_other = printing.associate(PresentationLUT)
    # A round trip each: the server has seen the three associations start.
    for assoc in (first, second):
        assoc.send_n_get([0x21100010], Printer, pm.PRINTER_INSTANCE, meta_uid=GRAY)
    other.send_n_create(reply(PresentationLUTShape="IDENTITY"), PresentationLUT)

    statuses = printing.server.set_printer_status("WARNING", "FILM JAM")
    reports = [heard.get(timeout=TIMEOUT) for heard in (heard_first, heard_second)]
    _, now = first.send_n_get(None, Printer, pm.PRINTER_INSTANCE, meta_uid=GRAY)
    second.release()
    back = printing.server.set_printer_status("NORMAL")
    normal = heard_first.get(timeout=TIMEOUT)
    first.release()
    other.release()

    assert [status.Status for status in statuses] == [0x0000, 0x0000]
    for sop_class, instance, event_type, info in reports:
        assert (sop_class, instance, event_type) == (
            Printer,
            pm.PRINTER_INSTANCE,
            pm.PRINTER_WARNING,
        )
        assert (info.PrinterStatusInfo, info.PrinterName) == ("FILM JAM", "DICOMNET")
    assert heard_other.empty()
    assert now is not None
    assert (now.PrinterStatus, now.PrinterStatusInfo) == ("WARNING", "FILM JAM")
    # The released association is no longer told.
    assert [status.Status for status in back if "Status" in status] == [0x0000]
    assert heard_second.empty()
    assert normal[2] == pm.PRINTER_NORMAL
    with pytest.raises(ValueError, match="Unknown printer status"):
        printing.server.set_printer_status("ON FIRE")
