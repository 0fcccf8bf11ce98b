"""Basic Grayscale and Color Print Management (PS3.4 Annex H).

A print SCU builds a hierarchy on the printer, within one association: a
Film Session (N-CREATE), Film Boxes in it (N-CREATE, which creates their
Image Boxes, one per position of the Image Display Format), a preformatted
image in each Image Box (N-SET), then prints a film box or the whole
session (N-ACTION). The Printer's status is read with N-GET and reported by
the printer with N-EVENT-REPORT. A Presentation LUT may be created and
referenced by film boxes. The SOP classes are negotiated under the Basic
Grayscale or Basic Color Print Management Meta SOP Class (H.3), so requests
name their own SOP class on the Meta SOP Class's context (``meta_uid``).

Optional SOP classes, each negotiated on its own context (H.3): Print Job
(H.4.5: a print N-ACTION creates a job, whose execution the printer
reports with N-EVENT-REPORT and the SCU may read with N-GET), Basic
Annotation Box (H.4.4: text boxes made with a film box, filled with N-SET),
Presentation LUT (H.4.9) and Printer Configuration Retrieval (H.4.11).

SCP side: :class:`PrintServer` keeps each association's hierarchy until the
association ends (H.4.1.1) and hands every printed film to ``on_print``;
the application drives print jobs with :meth:`PrintServer.set_job_status`
and reports the printer's status with :meth:`PrintServer.set_printer_status`.
SCU side: ``Association.send_n_*`` with ``meta_uid``, plus
:func:`report_printer_status` for a printer that reports on its own.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import UID, generate_uid

from dicomnet import events as evt
from dicomnet.services import _print_rules as rules
from dicomnet.services._n_common import (
    CLASS_INSTANCE_CONFLICT,
    INVALID_ATTRIBUTE_VALUE,
    NO_SUCH_ACTION,
    NO_SUCH_SOP_INSTANCE,
    SUCCESS,
    UNRECOGNIZED_OPERATION,
    failure,
    missing_attributes,
    requested_sop_class,
    select_attributes,
)
from dicomnet.services._print_jobs import (
    JOB_STATES,
    JobTable,
    MessageIDs,
    PrinterListeners,
    job_reference,
    negotiated,
)
from dicomnet.services.normalized import ServiceProvider, call_after_response
from dicomnet.sop_class import (
    BasicAnnotationBox,
    BasicColorImageBox,
    BasicColorPrintManagementMeta,
    BasicFilmBox,
    BasicFilmSession,
    BasicGrayscaleImageBox,
    BasicGrayscalePrintManagementMeta,
    PresentationLUT,
    Printer,
    PrinterConfigurationRetrieval,
    PrintJob,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

__all__ = [
    "ANNOTATION_FORMATS",
    "EMPTY_PAGE",
    "EMPTY_SESSION",
    "JOB_DONE",
    "JOB_FAILURE",
    "JOB_PENDING",
    "JOB_PRINTING",
    "NO_FILM_BOX",
    "PRINT",
    "PRINTER_CONFIGURATION_INSTANCE",
    "PRINTER_FAILURE",
    "PRINTER_INSTANCE",
    "PRINTER_NORMAL",
    "PRINTER_WARNING",
    "PrintServer",
    "PrintedFilm",
    "report_printer_status",
]

_LOGGER = logging.getLogger(__name__)

#: PS3.4 H.4.6.1.1 (Annex H.5): the well-known Printer SOP Instance.
PRINTER_INSTANCE: Final = UID("1.2.840.10008.5.1.1.17")
#: PS3.4 H.4.11.1 (Annex H.5): the well-known Printer Configuration
#: Retrieval SOP Instance.
PRINTER_CONFIGURATION_INSTANCE: Final = UID("1.2.840.10008.5.1.1.17.376")
#: PS3.4 H.4.1.2.4 / H.4.2.2.4: Action Type ID of "Print".
PRINT: Final = 1
# PS3.4 H.4.6.2.1.1: Printer Event Type IDs.
PRINTER_NORMAL: Final = 1
PRINTER_WARNING: Final = 2
PRINTER_FAILURE: Final = 3
# PS3.4 H.4.5.2.1.1: Print Job Event Type IDs, one per Execution Status.
JOB_PENDING: Final = JOB_STATES["PENDING"]
JOB_PRINTING: Final = JOB_STATES["PRINTING"]
JOB_DONE: Final = JOB_STATES["DONE"]
JOB_FAILURE: Final = JOB_STATES["FAILURE"]
#: H.4.2.2.4.2 (warning): the film box has no image to print (empty page).
EMPTY_PAGE: Final = 0xB603
#: H.4.1.2.4.2 (warning): a film box of the printed session is an empty page.
EMPTY_SESSION: Final = 0xB602
#: H.4.1.2.4.2 (failure): the film session has no film box to print.
NO_FILM_BOX: Final = 0xC600
_PRINTER_STATES: Final = {"NORMAL": 1, "WARNING": 2, "FAILURE": 3}
#: The Annotation Display Format IDs (2010,0030) :class:`PrintServer` lays
#: out by default, with their number of annotation boxes. PS3.3 C.13.3
#: leaves the formats to the printer's Conformance Statement.
ANNOTATION_FORMATS: Final[Mapping[str, int]] = {"LABEL": 1, "HEADER_FOOTER": 2}

_DEFAULT_PRINTER: Final = {
    "PrinterStatus": "NORMAL",
    "PrinterStatusInfo": "NORMAL",
    "PrinterName": "DICOMNET",
    "Manufacturer": "dicomnet",
    "ManufacturerModelName": "PrintServer",
}


@dataclass(frozen=True, slots=True)
class PrintedFilm:
    """One film as printed: what :class:`PrintServer` hands to ``on_print``.

    Attributes
    ----------
    session : pydicom.dataset.Dataset
        The Film Session's attributes (copies, priority, medium...).
    film_box : pydicom.dataset.Dataset
        The Film Box's attributes (display format, orientation, size...).
    images : tuple of (int, pydicom.dataset.Dataset or None)
        For each Image Box Position, its preformatted image (the item of
        Basic Grayscale/Color Image Sequence), ``None`` for an empty box.
    color : bool
        Printed under the Basic Color Print Management Meta SOP Class.
    annotations : tuple of (int, str or None)
        For each Annotation Position, its Text String (``None``: not set).
    job_uid : str or None
        The Print Job SOP Instance of the print, when the SCU negotiated
        the Print Job SOP Class (H.4.5).
    """

    session: Dataset
    film_box: Dataset
    images: tuple[tuple[int, Dataset | None], ...]
    color: bool
    annotations: tuple[tuple[int, str | None], ...] = ()
    job_uid: str | None = None


@dataclass(slots=True)
class _Box:
    uid: str
    session: str
    attrs: Dataset
    image_boxes: list[str]
    color: bool
    annotations: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _ImageBox:
    uid: str
    sop_class: str
    position: int
    image: Dataset | None = None
    attrs: Dataset = field(default_factory=Dataset)


@dataclass(slots=True)
class _AnnotationBox:
    position: int
    text: str | None = None


@dataclass(slots=True)
class _Hierarchy:
    """One association's film session, film boxes and image boxes (H.4.1.1)."""

    session_uid: str | None = None
    session: Dataset = field(default_factory=Dataset)
    boxes: dict[str, _Box] = field(default_factory=dict)
    image_boxes: dict[str, _ImageBox] = field(default_factory=dict)
    annotations: dict[str, _AnnotationBox] = field(default_factory=dict)
    luts: dict[str, Dataset] = field(default_factory=dict)


class PrintServer(ServiceProvider):
    """A print SCP for Basic Grayscale and Color Print Management (PS3.4 H).

    Parameters
    ----------
    on_print : callable, optional
        Called with each :class:`PrintedFilm` when a film box or film
        session is printed; an exception fails the print (0x0110).
    printer : mapping, optional
        Printer SOP Instance attributes returned by N-GET (PS3.3 C.13.9),
        by keyword; defaults describe a normal dicomnet printer.
    complete_jobs : bool
        When the SCU negotiated the Print Job SOP Class: report each job
        Done as soon as the N-ACTION that made it is answered (the
        default), or leave it PENDING for :meth:`set_job_status`.
    annotation_formats : mapping of str to int, optional
        Number of annotation boxes of each Annotation Display Format ID
        the printer lays out (default :data:`ANNOTATION_FORMATS`).
    configuration : iterable of pydicom.dataset.Dataset, optional
        The items of Printer Configuration Sequence (H.4.11); by default
        one describing this SCP.
    """

    sop_classes = frozenset(
        {
            BasicGrayscalePrintManagementMeta,
            BasicColorPrintManagementMeta,
            BasicFilmSession,
            BasicFilmBox,
            BasicGrayscaleImageBox,
            BasicColorImageBox,
            BasicAnnotationBox,
            PrintJob,
            Printer,
            PrinterConfigurationRetrieval,
            PresentationLUT,
        }
    )

    def __init__(
        self,
        *,
        on_print: Callable[[PrintedFilm], object] | None = None,
        printer: Mapping[str, object] | None = None,
        complete_jobs: bool = True,
        annotation_formats: Mapping[str, int] | None = None,
        configuration: Iterable[Dataset] | None = None,
    ) -> None:
        self._on_print = on_print
        self.printer = Dataset()
        for keyword, value in {**_DEFAULT_PRINTER, **(printer or {})}.items():
            setattr(self.printer, keyword, value)
        self.complete_jobs = complete_jobs
        self.annotation_formats = dict(
            ANNOTATION_FORMATS if annotation_formats is None else annotation_formats
        )
        self.configuration = Dataset()
        items = configuration or [rules.printer_configuration(self.sop_classes)]
        self.configuration.PrinterConfigurationSequence = Sequence(items)
        self._hierarchies: dict[int, _Hierarchy] = {}
        # One series of Message IDs for all the requests the printer invokes.
        ids = MessageIDs()
        self._jobs = JobTable(ids)
        self._listeners = PrinterListeners(ids)

    def handlers(self) -> list[tuple[Any, Callable[..., object]]]:
        """Return the DIMSE-N handlers and the association bookkeeping."""
        return [
            *super().handlers(),
            (evt.EVT_ESTABLISHED, self._join),
            (evt.EVT_RELEASED, self._forget),
            (evt.EVT_ABORTED, self._forget),
        ]

    def _join(self, event: Any) -> None:  # noqa: ANN401
        self._listeners.join(event.assoc)

    def _forget(self, event: Any) -> None:  # noqa: ANN401
        # H.4.1.1: the hierarchy lives as long as its association.
        self._hierarchies.pop(id(event.assoc), None)
        self._listeners.leave(event.assoc)

    def _hierarchy(self, event: Any) -> _Hierarchy:  # noqa: ANN401
        return self._hierarchies.setdefault(id(event.assoc), _Hierarchy())

    # -- N-CREATE ----------------------------------------------------------------

    def n_create(self, event: Any) -> tuple[object, Dataset | None]:  # noqa: ANN401
        """Create a film session, film box or presentation LUT (H.4.1-H.4.2, H.4.9)."""
        sop_class = requested_sop_class(event.request)
        uid = str(event.request.AffectedSOPInstanceUID or generate_uid(prefix=None))
        attrs = copy.deepcopy(event.attribute_list)
        if sop_class == BasicFilmSession:
            result = self._create_session(event, uid, attrs)
        elif sop_class == BasicFilmBox:
            result = self._create_film_box(event, uid, attrs)
        elif sop_class == PresentationLUT:
            result = self._create_lut(event, uid, attrs)
        else:
            return failure(UNRECOGNIZED_OPERATION, "Not created by N-CREATE"), None
        status, reply = result
        if isinstance(status, Dataset) or status != SUCCESS:
            return status, reply
        created = Dataset()
        created.Status = SUCCESS
        created.AffectedSOPInstanceUID = uid
        return created, reply

    def _create_session(
        self,
        event: Any,  # noqa: ANN401  (an evt.Event)
        uid: str,
        attrs: Dataset,
    ) -> tuple[object, Dataset | None]:
        hierarchy = self._hierarchy(event)
        if hierarchy.session_uid is not None:
            # H.4.1.1: one film session per association.
            return failure(0x0111, "This association has a film session"), None
        refused = rules.check_values(attrs, rules.SESSION_VALUES)
        if refused is not None:
            return refused, None
        copies = attrs.get("NumberOfCopies", 1)
        if not isinstance(copies, int) or copies < 1:
            return failure(INVALID_ATTRIBUTE_VALUE, attributes=[0x20000010]), None
        attrs.NumberOfCopies = copies
        hierarchy.session_uid, hierarchy.session = uid, attrs
        return SUCCESS, copy.deepcopy(attrs)

    def _create_film_box(
        self,
        event: Any,  # noqa: ANN401  (an evt.Event)
        uid: str,
        attrs: Dataset,
    ) -> tuple[object, Dataset | None]:
        hierarchy = self._hierarchy(event)
        refused = missing_attributes(
            attrs, ("ImageDisplayFormat", "ReferencedFilmSessionSequence")
        )
        if refused is not None:
            return refused, None
        session = attrs.ReferencedFilmSessionSequence[0].get("ReferencedSOPInstanceUID")
        if session is None or str(session) != hierarchy.session_uid:
            return failure(
                INVALID_ATTRIBUTE_VALUE, "No such film session", attributes=[0x20100500]
            ), None
        count = rules.image_box_count(attrs.ImageDisplayFormat)
        if count is None:
            return failure(
                INVALID_ATTRIBUTE_VALUE,
                "Unsupported display format",
                attributes=[0x20100010],
            ), None
        refused = rules.check_values(attrs, rules.BOX_VALUES)
        refused = refused or self._check_lut_reference(hierarchy, attrs)
        if refused is not None:
            return refused, None
        annotations = self._annotation_count(event, attrs)
        if isinstance(annotations, Dataset):
            return annotations, None
        color = str(event.context.abstract_syntax) == BasicColorPrintManagementMeta
        box = _Box(uid, str(session), attrs, [], color)
        # H.4.2.2.1.2: the response lists the image boxes created...
        attrs.ReferencedImageBoxSequence = _make_image_boxes(hierarchy, box, count)
        if annotations:
            # ... and the annotation boxes (H.4.4.1: made with the film box).
            attrs.ReferencedBasicAnnotationBoxSequence = _make_annotation_boxes(
                hierarchy, box, annotations
            )
        hierarchy.boxes[uid] = box
        return SUCCESS, copy.deepcopy(attrs)

    def _annotation_count(self, event: Any, attrs: Dataset) -> int | Dataset:  # noqa: ANN401
        """Return how many annotation boxes the film box gets (H.4.4.1)."""
        format_id = attrs.get("AnnotationDisplayFormatID")
        if not format_id or not negotiated(event.assoc, BasicAnnotationBox):
            # H.3: no Basic Annotation Box SOP Class, no annotation box.
            return 0
        count = self.annotation_formats.get(str(format_id).strip())
        if count is None:
            return failure(
                INVALID_ATTRIBUTE_VALUE,
                "Unsupported annotation display format",
                attributes=[0x20100030],
            )
        return count

    def _create_lut(
        self,
        event: Any,  # noqa: ANN401  (an evt.Event)
        uid: str,
        attrs: Dataset,
    ) -> tuple[object, Dataset | None]:
        # PS3.3 C.11.4: a LUT sequence or a shape, one of the two.
        if (
            "PresentationLUTSequence" not in attrs
            and "PresentationLUTShape" not in attrs
        ):
            return failure(0x0120, "Missing PresentationLUTShape"), None
        shape = attrs.get("PresentationLUTShape")
        if shape is not None and shape not in ("IDENTITY", "LIN OD"):
            return failure(INVALID_ATTRIBUTE_VALUE, attributes=[0x20500020]), None
        self._hierarchy(event).luts[uid] = attrs
        return SUCCESS, copy.deepcopy(attrs)

    @staticmethod
    def _check_lut_reference(hierarchy: _Hierarchy, attrs: Dataset) -> Dataset | None:
        for item in attrs.get("ReferencedPresentationLUTSequence") or ():
            if str(item.get("ReferencedSOPInstanceUID")) not in hierarchy.luts:
                return failure(
                    INVALID_ATTRIBUTE_VALUE,
                    "No such Presentation LUT",
                    attributes=[0x20500500],
                )
        return None

    # -- N-SET -------------------------------------------------------------------

    def n_set(self, event: Any) -> tuple[object, Dataset | None]:  # noqa: ANN401
        """Set a film session, film box, image or annotation box (H.4.1-H.4.4)."""
        hierarchy = self._hierarchy(event)
        sop_class = requested_sop_class(event.request)
        uid = str(event.request.RequestedSOPInstanceUID)
        changes = copy.deepcopy(event.modification_list)
        if sop_class in (BasicGrayscaleImageBox, BasicColorImageBox):
            return self._set_image_box(hierarchy, sop_class, uid, changes), None
        if sop_class == BasicAnnotationBox:
            return _set_annotation_box(hierarchy, uid, changes)
        if sop_class == BasicFilmSession and uid == hierarchy.session_uid:
            refused = rules.check_values(changes, rules.SESSION_VALUES, defaults=False)
            target = hierarchy.session
        elif sop_class == BasicFilmBox and uid in hierarchy.boxes:
            refused = rules.check_values(changes, rules.BOX_VALUES, defaults=False)
            target = hierarchy.boxes[uid].attrs
        elif sop_class in (BasicFilmSession, BasicFilmBox):
            return failure(NO_SUCH_SOP_INSTANCE), None
        else:
            return failure(UNRECOGNIZED_OPERATION, "Not set by N-SET"), None
        if refused is not None:
            return refused, None
        target.update(changes)
        return SUCCESS, changes

    @staticmethod
    def _set_image_box(
        hierarchy: _Hierarchy, sop_class: str, uid: str, changes: Dataset
    ) -> object:
        box = hierarchy.image_boxes.get(uid)
        if box is None:
            return failure(NO_SUCH_SOP_INSTANCE)
        if box.sop_class != sop_class:
            return failure(CLASS_INSTANCE_CONFLICT)
        refused = _check_image_box(box, changes)
        if refused is not None:
            return refused
        keyword = _image_keyword(box)
        box.image = changes[keyword].value[0]
        del changes[keyword]
        box.attrs.update(changes)
        return SUCCESS

    # -- N-ACTION, N-DELETE, N-GET ----------------------------------------------

    def n_action(self, event: Any) -> tuple[object, Dataset | None]:  # noqa: ANN401
        """Print a film box or the whole film session (H.4.1.2.4, H.4.2.2.4)."""
        if event.action_type != PRINT:
            return failure(NO_SUCH_ACTION), None
        hierarchy = self._hierarchy(event)
        sop_class = requested_sop_class(event.request)
        uid = str(event.request.RequestedSOPInstanceUID)
        if sop_class == BasicFilmBox and uid in hierarchy.boxes:
            return self._print(event, hierarchy, [hierarchy.boxes[uid]], session=False)
        if sop_class == BasicFilmSession and uid == hierarchy.session_uid:
            if not hierarchy.boxes:
                return failure(NO_FILM_BOX), None
            boxes = list(hierarchy.boxes.values())
            return self._print(event, hierarchy, boxes, session=True)
        if sop_class in (BasicFilmBox, BasicFilmSession):
            return failure(NO_SUCH_SOP_INSTANCE), None
        return failure(UNRECOGNIZED_OPERATION, "Not printed by N-ACTION"), None

    def _print(
        self,
        event: Any,  # noqa: ANN401  (an evt.Event)
        hierarchy: _Hierarchy,
        boxes: list[_Box],
        *,
        session: bool,
    ) -> tuple[object, Dataset | None]:
        job_uid = None
        if negotiated(event.assoc, PrintJob):
            # H.4.2.2.4.3: the job holds a copy of the "working" hierarchy.
            job_uid = self._jobs.create(
                event.assoc, hierarchy.session, str(self.printer.PrinterName)
            )
        empty = False
        for box in boxes:
            film = _film(hierarchy, box, job_uid)
            empty = empty or all(image is None for _, image in film.images)
            if self._on_print is not None:
                try:
                    self._on_print(film)
                except Exception:
                    _LOGGER.exception("The print callback failed")
                    if job_uid is not None:
                        self._jobs.discard(job_uid)
                    return failure(0x0110, "The printer failed"), None
        # H.4.1.2.4.2, H.4.2.2.4.2: printing an empty page is a warning.
        status: object = SUCCESS
        if empty:
            status = failure(EMPTY_SESSION if session else EMPTY_PAGE)
        if job_uid is None:
            return status, None
        if self.complete_jobs:
            uid = job_uid
            call_after_response(event, lambda: self._jobs.set_status(uid, "DONE", None))
        # H.4.2.2.4.1: the Action Reply references the job.
        return status, job_reference(job_uid)

    def n_delete(self, event: Any) -> object:  # noqa: ANN401
        """Delete a film session (and its boxes), film box or LUT (H.4.1.2.3)."""
        hierarchy = self._hierarchy(event)
        sop_class = requested_sop_class(event.request)
        uid = str(event.request.RequestedSOPInstanceUID)
        if sop_class == BasicFilmSession and uid == hierarchy.session_uid:
            luts = hierarchy.luts
            self._hierarchies[id(event.assoc)] = _Hierarchy(luts=luts)
        elif sop_class == BasicFilmBox and uid in hierarchy.boxes:
            box = hierarchy.boxes.pop(uid)
            for image_uid in box.image_boxes:
                hierarchy.image_boxes.pop(image_uid, None)
            for annotation_uid in box.annotations:
                hierarchy.annotations.pop(annotation_uid, None)
        elif sop_class == PresentationLUT and uid in hierarchy.luts:
            del hierarchy.luts[uid]
        elif sop_class in (BasicFilmSession, BasicFilmBox, PresentationLUT):
            return failure(NO_SUCH_SOP_INSTANCE)
        else:
            return failure(UNRECOGNIZED_OPERATION, "Not deleted by N-DELETE")
        return SUCCESS

    def n_get(self, event: Any) -> tuple[object, Dataset | None]:  # noqa: ANN401
        """Read the Printer, a Print Job or the configuration (H.4.5, H.4.6, H.4.11)."""
        sop_class = requested_sop_class(event.request)
        uid = str(event.request.RequestedSOPInstanceUID)
        if sop_class == Printer:
            instance = self.printer if uid == PRINTER_INSTANCE else None
        elif sop_class == PrintJob:
            instance = self._jobs.get(uid)
        elif sop_class == PrinterConfigurationRetrieval:
            # H.4.11.2.2: the well-known instance only.
            instance = (
                self.configuration if uid == PRINTER_CONFIGURATION_INSTANCE else None
            )
        else:
            return failure(UNRECOGNIZED_OPERATION, "Not read by N-GET"), None
        if instance is None:
            return failure(NO_SUCH_SOP_INSTANCE), None
        code, attrs, unknown = select_attributes(instance, event.attribute_identifiers)
        return (failure(code, attributes=unknown) if unknown else code), attrs

    # -- the application's side -------------------------------------------------

    def set_job_status(
        self, job_uid: str, status: str, info: str | None = None
    ) -> Dataset | None:
        """Change a Print Job's Execution Status and tell its SCU (H.4.5.2.1).

        For a server made with ``complete_jobs=False``. Call it once the
        N-ACTION that made the job has been answered: from another thread,
        or with :func:`~dicomnet.services.normalized.call_after_response`.
        A job reported Done or Failure is deleted (H.4.5.2.1.2).

        Parameters
        ----------
        job_uid : str
            The job's SOP Instance UID (:attr:`PrintedFilm.job_uid`).
        status : str
            ``"PENDING"``, ``"PRINTING"``, ``"DONE"`` or ``"FAILURE"``.
        info : str, optional
            Execution Status Info (PS3.3 C.13.9.1), e.g. ``"FILM JAM"``;
            by default ``QUEUED`` (pending), ``NORMAL`` or ``UNKNOWN``
            (failure).

        Returns
        -------
        pydicom.dataset.Dataset or None
            The N-EVENT-REPORT status; ``None`` when the job's association
            has ended, so that nobody was told.

        Raises
        ------
        KeyError
            No such job (never made, or already Done or failed).
        ValueError
            An unknown status.
        """
        return self._jobs.set_status(job_uid, status, info)

    @property
    def print_jobs(self) -> dict[str, Dataset]:
        """The Print Jobs not yet Done or failed: UID to a copy of the job."""
        jobs = {uid: self._jobs.get(uid) for uid in self._jobs.uids()}
        return {uid: job for uid, job in jobs.items() if job is not None}

    def set_printer_status(self, status: str, info: str | None = None) -> list[Dataset]:
        """Change the Printer's status and tell every SCU using it (H.4.6.2.1).

        Updates Printer Status and Printer Status Info (what N-GET
        returns), then sends the N-EVENT-REPORT on each established
        association that negotiated the Printer SOP Class. Call it from
        the application's thread, not from a handler of this server.

        Parameters
        ----------
        status : str
            ``"NORMAL"``, ``"WARNING"`` or ``"FAILURE"`` (the Event Type).
        info : str, optional
            Printer Status Info (PS3.3 C.13.9.1), e.g. ``"FILM JAM"``.

        Returns
        -------
        list of pydicom.dataset.Dataset
            The status of each report sent (empty for one not answered).

        Raises
        ------
        ValueError
            An unknown status.
        """
        if status not in _PRINTER_STATES:
            raise ValueError(f"Unknown printer status {status!r}")
        self.printer.PrinterStatus = status
        self.printer.PrinterStatusInfo = info or status
        statuses = []
        for assoc in self._listeners.established():
            try:
                sent = report_printer_status(
                    assoc,
                    status,
                    info,
                    msg_id=self._listeners.ids.next(),
                    printer_name=str(self.printer.PrinterName),
                )
            except RuntimeError:  # the association ended meanwhile
                sent = Dataset()
            statuses.append(sent)
        return statuses


def _make_image_boxes(hierarchy: _Hierarchy, box: _Box, count: int) -> Sequence:
    """Create a film box's image boxes; return their references (H.4.2.2.1.2)."""
    image_class = BasicColorImageBox if box.color else BasicGrayscaleImageBox
    references = Sequence()
    for position in range(1, count + 1):
        uid = str(generate_uid(prefix=None))
        hierarchy.image_boxes[uid] = _ImageBox(uid, image_class, position)
        box.image_boxes.append(uid)
        references.append(_reference(image_class, uid))
    return references


def _make_annotation_boxes(hierarchy: _Hierarchy, box: _Box, count: int) -> Sequence:
    """Create a film box's annotation boxes; return their references (H.4.4.1)."""
    references = Sequence()
    for position in range(1, count + 1):
        uid = str(generate_uid(prefix=None))
        hierarchy.annotations[uid] = _AnnotationBox(position)
        box.annotations.append(uid)
        references.append(_reference(BasicAnnotationBox, uid))
    return references


def _reference(sop_class: str, uid: str) -> Dataset:
    item = Dataset()
    item.ReferencedSOPClassUID = sop_class
    item.ReferencedSOPInstanceUID = uid
    return item


def _film(hierarchy: _Hierarchy, box: _Box, job_uid: str | None) -> PrintedFilm:
    """Copy a film box's part of the "working" hierarchy (H.4.2.2.4.3)."""
    images = tuple(
        (hierarchy.image_boxes[uid].position, hierarchy.image_boxes[uid].image)
        for uid in box.image_boxes
    )
    annotations = tuple(
        (hierarchy.annotations[uid].position, hierarchy.annotations[uid].text)
        for uid in box.annotations
    )
    return PrintedFilm(
        copy.deepcopy(hierarchy.session),
        copy.deepcopy(box.attrs),
        copy.deepcopy(images),
        box.color,
        annotations,
        job_uid,
    )


def _set_annotation_box(
    hierarchy: _Hierarchy, uid: str, changes: Dataset
) -> tuple[object, Dataset | None]:
    """Set an annotation box's text (H.4.4.2.1)."""
    box = hierarchy.annotations.get(uid)
    if box is None:
        return failure(NO_SUCH_SOP_INSTANCE), None
    refused = rules.check_annotation(box.position, changes)
    if refused is not None:
        return refused, None
    if "TextString" in changes:
        box.text = str(changes.TextString or "") or None
    return SUCCESS, changes


def _image_keyword(box: _ImageBox) -> str:
    if box.sop_class == BasicColorImageBox:
        return "BasicColorImageSequence"
    return "BasicGrayscaleImageSequence"


def _check_image_box(box: _ImageBox, changes: Dataset) -> Dataset | None:
    """Refuse an image box N-SET the printer cannot take (H.4.3.1.2.1)."""
    keyword = _image_keyword(box)
    refused = missing_attributes(changes, ("ImageBoxPosition", keyword))
    if refused is not None:
        return refused
    if changes.ImageBoxPosition != box.position:
        return failure(
            INVALID_ATTRIBUTE_VALUE, "Wrong Image Box Position", attributes=[0x20200010]
        )
    if changes.get("Polarity", "NORMAL") not in ("NORMAL", "REVERSE"):
        return failure(INVALID_ATTRIBUTE_VALUE, attributes=[0x20200020])
    image = changes[keyword].value[0]
    return rules.check_image(image, color=box.sop_class == BasicColorImageBox)


def report_printer_status(
    assoc: Any,  # noqa: ANN401  (the Association)
    status: str,
    info: str | None = None,
    *,
    msg_id: int = 1,
    printer_name: str | None = None,
) -> Dataset:
    """Report the printer's status to a print SCU (N-EVENT-REPORT, H.4.6.2.1).

    Sent on the association's Basic Grayscale (or Color) Print Management
    Meta SOP Class context.

    Parameters
    ----------
    assoc : Association
        The association with the print SCU.
    status : str
        ``"NORMAL"``, ``"WARNING"`` or ``"FAILURE"`` (the Event Type).
    info : str, optional
        Printer Status Info (PS3.3 C.13.9.1), e.g. ``"FILM JAM"``.
    msg_id : int
        The request's Message ID.
    printer_name : str, optional
        Printer Name (2110,0030), an optional part of the event.

    Returns
    -------
    pydicom.dataset.Dataset
        The N-EVENT-REPORT status.

    Raises
    ------
    ValueError
        An unknown status, or no print management context.
    """
    event_type = _PRINTER_STATES.get(status)
    if event_type is None:
        raise ValueError(f"Unknown printer status {status!r}")
    meta = next(
        (
            cx.abstract_syntax
            for cx in assoc.accepted_contexts
            if cx.abstract_syntax
            in (BasicGrayscalePrintManagementMeta, BasicColorPrintManagementMeta)
        ),
        Printer,
    )
    # PS3.4 H.4.6.2.1.1: the Event Information.
    report = Dataset()
    report.PrinterStatusInfo = info or status
    if printer_name:
        report.PrinterName = printer_name
    result: tuple[Dataset, Dataset | None] = assoc.send_n_event_report(
        report, event_type, Printer, PRINTER_INSTANCE, msg_id, meta
    )
    return result[0]
