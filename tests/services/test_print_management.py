"""Basic Grayscale and Color Print Management (PS3.4 Annex H) between dicomnet AEs."""

from __future__ import annotations

import queue
from collections.abc import Iterator
from typing import Any

import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from dicomnet import AE, evt
from dicomnet.presentation import build_context
from dicomnet.services import print_management as pm
from dicomnet.services.normalized import call_after_response
from dicomnet.sop_class import (
    BasicColorImageBox,
    BasicColorPrintManagementMeta,
    BasicFilmBox,
    BasicFilmSession,
    BasicGrayscaleImageBox,
    BasicGrayscalePrintManagementMeta,
    PresentationLUT,
    Printer,
)
from tests.services.test_normalized import LOOPBACK, TIMEOUT, reply

GRAY = BasicGrayscalePrintManagementMeta
COLOR = BasicColorPrintManagementMeta


def image(*, color: bool = False, **changes: Any) -> Dataset:
    rows, columns = 4, 3
    samples = 3 if color else 1
    ds = reply(
        SamplesPerPixel=samples,
        PhotometricInterpretation="RGB" if color else "MONOCHROME2",
        Rows=rows,
        Columns=columns,
        BitsAllocated=8,
        BitsStored=8,
        HighBit=7,
        PixelRepresentation=0,
        PixelData=bytes(range(rows * columns * samples)),
    )
    if color:
        ds.PlanarConfiguration = 0
    for keyword, value in changes.items():
        if value is None:
            del ds[keyword]
        else:
            setattr(ds, keyword, value)
    return ds


def image_box_set(position: int, picture: Dataset, *, color: bool = False) -> Dataset:
    ds = reply(ImageBoxPosition=position)
    keyword = "BasicColorImageSequence" if color else "BasicGrayscaleImageSequence"
    setattr(ds, keyword, Sequence([picture]))
    return ds


class Setup:
    def __init__(self, *, failing: bool = False) -> None:
        self.films: list[pm.PrintedFilm] = []
        self.server = pm.PrintServer(on_print=self.printed if not failing else self.jam)
        self.scp = AE("PRINTER")
        for uid in (GRAY, COLOR, PresentationLUT):
            self.scp.add_supported_context(uid)
        server = self.scp.start_server(
            (LOOPBACK, 0), block=False, evt_handlers=self.server.handlers()
        )
        assert server is not None
        self.port = int(server.server_address[1])
        self.scu = AE("MODALITY")
        for ae in (self.scp, self.scu):
            ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = TIMEOUT

    def printed(self, film: pm.PrintedFilm) -> None:
        self.films.append(film)

    def jam(self, film: pm.PrintedFilm) -> None:
        raise RuntimeError("film jam")

    def associate(self, handlers: Any = None) -> Any:
        contexts = [build_context(uid) for uid in (GRAY, COLOR, PresentationLUT)]
        assoc = self.scu.associate(
            LOOPBACK, self.port, contexts=contexts, evt_handlers=handlers
        )
        assert assoc.is_established
        return assoc

    def close(self) -> None:
        self.scu.shutdown()
        self.scp.shutdown()


@pytest.fixture
def setup() -> Iterator[Setup]:
    both = Setup()
    yield both
    both.close()


def session(assoc: Any, meta: str = GRAY, **attrs: Any) -> str:
    status, _ = assoc.send_n_create(
        reply(NumberOfCopies=1, **attrs), BasicFilmSession, meta_uid=meta
    )
    assert status.Status == 0x0000
    return str(status.AffectedSOPInstanceUID)


def film_box(
    assoc: Any,
    session_uid: str,
    display: str = "STANDARD\\2,1",
    meta: str = GRAY,
    **attrs: Any,
) -> tuple[Dataset, Dataset | None]:
    ref = reply(
        ReferencedSOPClassUID=BasicFilmSession, ReferencedSOPInstanceUID=session_uid
    )
    ds = reply(
        ImageDisplayFormat=display,
        ReferencedFilmSessionSequence=Sequence([ref]),
        **attrs,
    )
    result: tuple[Dataset, Dataset | None] = assoc.send_n_create(
        ds, BasicFilmBox, meta_uid=meta
    )
    return result


def test_a_grayscale_film_is_printed(setup: Setup) -> None:
    assoc = setup.associate()
    session_uid = session(assoc, PrintPriority="HIGH")
    created, box = film_box(assoc, session_uid, FilmOrientation="LANDSCAPE")
    assert created.Status == 0x0000
    assert box is not None
    boxes = box.ReferencedImageBoxSequence
    statuses = [
        assoc.send_n_set(
            image_box_set(position, image()),
            BasicGrayscaleImageBox,
            item.ReferencedSOPInstanceUID,
            meta_uid=GRAY,
        )[0].Status
        for position, item in enumerate(boxes, start=1)
    ]
    printed, _ = assoc.send_n_action(
        None, pm.PRINT, BasicFilmBox, created.AffectedSOPInstanceUID, meta_uid=GRAY
    )
    whole, _ = assoc.send_n_action(
        None, pm.PRINT, BasicFilmSession, session_uid, meta_uid=GRAY
    )
    deleted_box = assoc.send_n_delete(
        BasicFilmBox, created.AffectedSOPInstanceUID, meta_uid=GRAY
    )
    deleted = assoc.send_n_delete(BasicFilmSession, session_uid, meta_uid=GRAY)
    assoc.release()

    assert [item.ReferencedSOPClassUID for item in boxes] == [
        BasicGrayscaleImageBox
    ] * 2
    assert statuses == [0x0000, 0x0000]
    assert (printed.Status, whole.Status) == (0x0000, 0x0000)
    assert (deleted_box.Status, deleted.Status) == (0x0000, 0x0000)
    film = setup.films[0]
    assert len(setup.films) == 2
    assert not film.color
    assert film.session.PrintPriority == "HIGH"
    assert film.session.MediumType == "BLUE FILM"  # the SCP's default
    assert film.film_box.FilmOrientation == "LANDSCAPE"
    assert [position for position, _ in film.images] == [1, 2]
    assert film.images[0][1] is not None
    assert film.images[0][1].PixelData == image().PixelData


def test_a_color_film_is_printed(setup: Setup) -> None:
    assoc = setup.associate()
    session_uid = session(assoc, COLOR)
    created, box = film_box(assoc, session_uid, "STANDARD\\1,1", COLOR)
    assert box is not None
    (item,) = box.ReferencedImageBoxSequence
    set_status, _ = assoc.send_n_set(
        image_box_set(1, image(color=True), color=True),
        BasicColorImageBox,
        item.ReferencedSOPInstanceUID,
        meta_uid=COLOR,
    )
    wrong_class, _ = assoc.send_n_set(
        image_box_set(1, image()),
        BasicGrayscaleImageBox,
        item.ReferencedSOPInstanceUID,
        meta_uid=COLOR,
    )
    printed, _ = assoc.send_n_action(
        None, pm.PRINT, BasicFilmBox, created.AffectedSOPInstanceUID, meta_uid=COLOR
    )
    assoc.release()

    assert item.ReferencedSOPClassUID == BasicColorImageBox
    assert set_status.Status == 0x0000
    assert wrong_class.Status == 0x0119
    assert printed.Status == 0x0000
    assert setup.films[0].color


def test_the_printer_is_read(setup: Setup) -> None:
    assoc = setup.associate()
    status, attrs = assoc.send_n_get(
        [0x21100010, 0x21100030], Printer, pm.PRINTER_INSTANCE, meta_uid=GRAY
    )
    wrong, _ = assoc.send_n_get(None, Printer, "1.2.3.4", meta_uid=GRAY)
    assoc.release()

    assert status.Status == 0x0000
    assert attrs is not None
    assert (attrs.PrinterStatus, attrs.PrinterName) == ("NORMAL", "DICOMNET")
    assert wrong.Status == 0x0112


def test_a_presentation_lut_is_created_and_referenced(setup: Setup) -> None:
    assoc = setup.associate()
    lut, _ = assoc.send_n_create(
        reply(PresentationLUTShape="IDENTITY"), PresentationLUT
    )
    no_shape, _ = assoc.send_n_create(reply(PatientID="x"), PresentationLUT)
    bad_shape, _ = assoc.send_n_create(
        reply(PresentationLUTShape="LOG"), PresentationLUT
    )
    session_uid = session(assoc)
    ref = reply(
        ReferencedSOPClassUID=PresentationLUT,
        ReferencedSOPInstanceUID=lut.AffectedSOPInstanceUID,
    )
    with_lut, _ = film_box(
        assoc, session_uid, ReferencedPresentationLUTSequence=Sequence([ref])
    )
    ref.ReferencedSOPInstanceUID = "1.2.3.999"
    unknown_lut, _ = film_box(
        assoc, session_uid, ReferencedPresentationLUTSequence=Sequence([ref])
    )
    deleted = assoc.send_n_delete(PresentationLUT, lut.AffectedSOPInstanceUID)
    assoc.release()

    assert lut.Status == 0x0000
    assert no_shape.Status == 0x0120
    assert bad_shape.Status == 0x0106
    assert with_lut.Status == 0x0000
    assert unknown_lut.Status == 0x0106
    assert deleted.Status == 0x0000


# -- bad requests -----------------------------------------------------------------


def test_bad_film_boxes_are_refused(setup: Setup) -> None:
    assoc = setup.associate()
    session_uid = session(assoc)
    no_session, _ = film_box(assoc, "1.2.3.999")
    slide, _ = film_box(assoc, session_uid, "SLIDE")
    orientation, _ = film_box(assoc, session_uid, FilmOrientation="SIDEWAYS")
    missing, _ = assoc.send_n_create(
        reply(FilmOrientation="PORTRAIT"), BasicFilmBox, meta_uid=GRAY
    )
    second_session, _ = assoc.send_n_create(
        reply(NumberOfCopies=1), BasicFilmSession, meta_uid=GRAY
    )
    bad_copies, _ = assoc.send_n_set(
        reply(MediumType="PARCHMENT"), BasicFilmSession, session_uid, meta_uid=GRAY
    )
    empty_print, _ = assoc.send_n_action(
        None, pm.PRINT, BasicFilmSession, session_uid, meta_uid=GRAY
    )
    assert assoc.is_established
    assoc.release()

    assert no_session.Status == 0x0106
    assert slide.Status == 0x0106
    assert orientation.Status == 0x0106
    assert (
        orientation.AttributeIdentifierList == 0x20100040
        if "AttributeIdentifierList" in orientation
        else True
    )
    assert missing.Status == 0x0120
    assert second_session.Status == 0x0111
    assert bad_copies.Status == 0x0106
    assert empty_print.Status == pm.NO_FILM_BOX


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        pytest.param(image_box_set(2, image()), 0x0106, id="wrong-position"),
        pytest.param(
            image_box_set(1, image(BitsAllocated=12)), 0x0106, id="bits-allocated"
        ),
        pytest.param(
            image_box_set(1, image(PhotometricInterpretation="RGB")),
            0x0106,
            id="not-monochrome",
        ),
        pytest.param(image_box_set(1, image(PixelData=None)), 0x0120, id="no-pixels"),
        pytest.param(
            image_box_set(1, image(PixelData=b"\x00\x01")), 0x0106, id="short-pixels"
        ),
        pytest.param(reply(ImageBoxPosition=1), 0x0120, id="no-image-sequence"),
    ],
)
def test_bad_images_are_refused(setup: Setup, changes: Dataset, code: int) -> None:
    assoc = setup.associate()
    _, box = film_box(assoc, session(assoc), "STANDARD\\1,1")
    assert box is not None
    uid = box.ReferencedImageBoxSequence[0].ReferencedSOPInstanceUID
    status, _ = assoc.send_n_set(changes, BasicGrayscaleImageBox, uid, meta_uid=GRAY)
    assoc.release()
    assert status.Status == code


def test_unknown_instances_and_actions(setup: Setup) -> None:
    assoc = setup.associate()
    session_uid = session(assoc)
    created, _ = film_box(assoc, session_uid)
    unknown_box, _ = assoc.send_n_set(
        image_box_set(1, image()), BasicGrayscaleImageBox, "1.2.3.999", meta_uid=GRAY
    )
    no_action, _ = assoc.send_n_action(
        None, 2, BasicFilmBox, created.AffectedSOPInstanceUID, meta_uid=GRAY
    )
    empty_page, _ = assoc.send_n_action(
        None, pm.PRINT, BasicFilmBox, created.AffectedSOPInstanceUID, meta_uid=GRAY
    )
    unknown_delete = assoc.send_n_delete(BasicFilmBox, "1.2.3.999", meta_uid=GRAY)
    printer_delete = assoc.send_n_delete(Printer, pm.PRINTER_INSTANCE, meta_uid=GRAY)
    assoc.release()

    assert unknown_box.Status == 0x0112
    assert no_action.Status == 0x0123
    assert empty_page.Status == pm.EMPTY_PAGE  # H.4.2.2.4.2: a warning
    assert unknown_delete.Status == 0x0112
    assert printer_delete.Status == 0x0211


def test_a_failing_printer_fails_the_print() -> None:
    setup = Setup(failing=True)
    try:
        assoc = setup.associate()
        created, _box = film_box(assoc, session(assoc), "STANDARD\\1,1")
        status, _ = assoc.send_n_action(
            None, pm.PRINT, BasicFilmBox, created.AffectedSOPInstanceUID, meta_uid=GRAY
        )
        assoc.release()
    finally:
        setup.close()
    assert status.Status == 0x0110


def test_the_hierarchy_ends_with_the_association(setup: Setup) -> None:
    first = setup.associate()
    session_uid = session(first)
    first.release()
    second = setup.associate()
    gone, _ = second.send_n_set(
        reply(NumberOfCopies=2), BasicFilmSession, session_uid, meta_uid=GRAY
    )
    again = session(second)
    second.release()

    assert gone.Status == 0x0112
    assert again != session_uid


def test_the_printer_reports_its_status(setup: Setup) -> None:
    heard: queue.SimpleQueue[tuple[int, str]] = queue.SimpleQueue()

    def on_report(event: Any) -> object:
        assert event.request.AffectedSOPClassUID == Printer
        heard.put((event.event_type, event.event_information.PrinterStatusInfo))
        return 0x0000, None

    def on_action(event: Any) -> object:
        call_after_response(
            event, lambda: pm.report_printer_status(event.assoc, "WARNING", "FILM JAM")
        )
        return setup.server.n_action(event)

    setup.scp.shutdown()
    scp = AE("PRINTER")
    scp.add_supported_context(GRAY)
    handlers = [*setup.server.handlers(), (evt.EVT_N_ACTION, on_action)]
    server = scp.start_server((LOOPBACK, 0), block=False, evt_handlers=handlers)
    assert server is not None
    setup.port = int(server.server_address[1])
    try:
        assoc = setup.associate(handlers=[(evt.EVT_N_EVENT_REPORT, on_report)])
        created, _ = film_box(assoc, session(assoc), "STANDARD\\1,1")
        assoc.send_n_action(
            None, pm.PRINT, BasicFilmBox, created.AffectedSOPInstanceUID, meta_uid=GRAY
        )
        got = heard.get(timeout=TIMEOUT)
        assoc.release()
    finally:
        scp.shutdown()
    assert got == (pm.PRINTER_WARNING, "FILM JAM")
    with pytest.raises(ValueError, match="Unknown printer status"):
        pm.report_printer_status(assoc, "ON FIRE")
