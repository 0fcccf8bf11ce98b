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

SCP side: :class:`PrintServer` keeps each association's hierarchy until the
association ends (H.4.1.1) and hands every printed film to ``on_print``.
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
from dicomnet.services.normalized import ServiceProvider
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

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

__all__ = [
    "EMPTY_PAGE",
    "NO_FILM_BOX",
    "PRINT",
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
#: PS3.4 H.4.1.2.4 / H.4.2.2.4: Action Type ID of "Print".
PRINT: Final = 1
# PS3.4 H.4.6.1.1, Table H.4-12: Printer Event Type IDs.
PRINTER_NORMAL: Final = 1
PRINTER_WARNING: Final = 2
PRINTER_FAILURE: Final = 3
#: H.4.2.2.4.2 (warning): the film box has no image to print (empty page).
EMPTY_PAGE: Final = 0xB603
#: H.4.1.2.4.2 (failure): the film session has no film box to print.
NO_FILM_BOX: Final = 0xC600
_PRINTER_STATES: Final = {"NORMAL": 1, "WARNING": 2, "FAILURE": 3}

# PS3.3 C.13.1/C.13.3 and H.4.1.2.1: enumerated values a printer checks, with
# the SCP's defaults (H.4.1.2.1.3: "the SCP shall use its defaults").
_SESSION_VALUES: Final[dict[str, tuple[frozenset[str], str]]] = {
    "PrintPriority": (frozenset({"HIGH", "MED", "LOW"}), "MED"),
    "MediumType": (
        frozenset(
            {"PAPER", "CLEAR FILM", "BLUE FILM", "MAMMO CLEAR FILM", "MAMMO BLUE FILM"}
        ),
        "BLUE FILM",
    ),
    "FilmDestination": (frozenset({"MAGAZINE", "PROCESSOR"}), "MAGAZINE"),
}
_BOX_VALUES: Final[dict[str, tuple[frozenset[str], str]]] = {
    "FilmOrientation": (frozenset({"PORTRAIT", "LANDSCAPE"}), "PORTRAIT"),
    "FilmSizeID": (
        frozenset(
            {
                "8INX10IN",
                "8_5INX11IN",
                "10INX12IN",
                "10INX14IN",
                "11INX14IN",
                "11INX17IN",
                "14INX14IN",
                "14INX17IN",
                "24CMX24CM",
                "24CMX30CM",
                "A4",
                "A3",
            }
        ),
        "8INX10IN",
    ),
    "MagnificationType": (
        frozenset({"REPLICATE", "BILINEAR", "CUBIC", "NONE"}),
        "REPLICATE",
    ),
    "BorderDensity": (frozenset({"BLACK", "WHITE"}), "BLACK"),
    "EmptyImageDensity": (frozenset({"BLACK", "WHITE"}), "BLACK"),
    "Trim": (frozenset({"YES", "NO"}), "NO"),
}
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
    """

    session: Dataset
    film_box: Dataset
    images: tuple[tuple[int, Dataset | None], ...]
    color: bool


@dataclass(slots=True)
class _Box:
    uid: str
    session: str
    attrs: Dataset
    image_boxes: list[str]
    color: bool


@dataclass(slots=True)
class _ImageBox:
    uid: str
    sop_class: str
    position: int
    image: Dataset | None = None
    attrs: Dataset = field(default_factory=Dataset)


@dataclass(slots=True)
class _Hierarchy:
    """One association's film session, film boxes and image boxes (H.4.1.1)."""

    session_uid: str | None = None
    session: Dataset = field(default_factory=Dataset)
    boxes: dict[str, _Box] = field(default_factory=dict)
    image_boxes: dict[str, _ImageBox] = field(default_factory=dict)
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
    """

    sop_classes = frozenset(
        {
            BasicGrayscalePrintManagementMeta,
            BasicColorPrintManagementMeta,
            BasicFilmSession,
            BasicFilmBox,
            BasicGrayscaleImageBox,
            BasicColorImageBox,
            Printer,
            PresentationLUT,
        }
    )

    def __init__(
        self,
        *,
        on_print: Callable[[PrintedFilm], object] | None = None,
        printer: Mapping[str, object] | None = None,
    ) -> None:
        self._on_print = on_print
        self.printer = Dataset()
        for keyword, value in {**_DEFAULT_PRINTER, **(printer or {})}.items():
            setattr(self.printer, keyword, value)
        self._hierarchies: dict[int, _Hierarchy] = {}

    def handlers(self) -> list[tuple[Any, Callable[..., object]]]:
        """Return the DIMSE-N handlers and the end-of-association clean-up."""
        return [
            *super().handlers(),
            (evt.EVT_RELEASED, self._forget),
            (evt.EVT_ABORTED, self._forget),
        ]

    def _forget(self, event: Any) -> None:  # noqa: ANN401
        # H.4.1.1: the hierarchy lives as long as its association.
        self._hierarchies.pop(id(event.assoc), None)

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
        refused = _check_values(attrs, _SESSION_VALUES)
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
        refused = _check_values(attrs, _BOX_VALUES) or self._check_lut_reference(
            hierarchy, attrs
        )
        if refused is not None:
            return refused, None
        color = str(event.context.abstract_syntax) == BasicColorPrintManagementMeta
        image_class = BasicColorImageBox if color else BasicGrayscaleImageBox
        box = _Box(uid, str(session), attrs, [], color)
        references = Sequence()
        for position in range(1, count + 1):
            image_uid = str(generate_uid(prefix=None))
            hierarchy.image_boxes[image_uid] = _ImageBox(
                image_uid, image_class, position
            )
            box.image_boxes.append(image_uid)
            item = Dataset()
            item.ReferencedSOPClassUID = image_class
            item.ReferencedSOPInstanceUID = image_uid
            references.append(item)
        hierarchy.boxes[uid] = box
        # H.4.2.2.1.2: the response lists the image boxes created.
        attrs.ReferencedImageBoxSequence = references
        return SUCCESS, copy.deepcopy(attrs)

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
        """Set a film session, film box or image box (H.4.1.2.2, H.4.2.2.2, H.4.3)."""
        hierarchy = self._hierarchy(event)
        sop_class = requested_sop_class(event.request)
        uid = str(event.request.RequestedSOPInstanceUID)
        changes = copy.deepcopy(event.modification_list)
        if sop_class in (BasicGrayscaleImageBox, BasicColorImageBox):
            return self._set_image_box(hierarchy, sop_class, uid, changes), None
        if sop_class == BasicFilmSession and uid == hierarchy.session_uid:
            refused = _check_values(changes, _SESSION_VALUES, defaults=False)
            target = hierarchy.session
        elif sop_class == BasicFilmBox and uid in hierarchy.boxes:
            refused = _check_values(changes, _BOX_VALUES, defaults=False)
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
            return self._print(hierarchy, [hierarchy.boxes[uid]]), None
        if sop_class == BasicFilmSession and uid == hierarchy.session_uid:
            if not hierarchy.boxes:
                return failure(NO_FILM_BOX), None
            return self._print(hierarchy, list(hierarchy.boxes.values())), None
        if sop_class in (BasicFilmBox, BasicFilmSession):
            return failure(NO_SUCH_SOP_INSTANCE), None
        return failure(UNRECOGNIZED_OPERATION, "Not printed by N-ACTION"), None

    def _print(self, hierarchy: _Hierarchy, boxes: list[_Box]) -> object:
        empty = False
        for box in boxes:
            images = tuple(
                (hierarchy.image_boxes[uid].position, hierarchy.image_boxes[uid].image)
                for uid in box.image_boxes
            )
            empty = empty or all(image is None for _, image in images)
            film = PrintedFilm(
                copy.deepcopy(hierarchy.session),
                copy.deepcopy(box.attrs),
                images,
                box.color,
            )
            if self._on_print is not None:
                try:
                    self._on_print(film)
                except Exception:
                    _LOGGER.exception("The print callback failed")
                    return failure(0x0110, "The printer failed")
        # H.4.2.2.4.2: printing an empty page is a warning.
        return failure(EMPTY_PAGE) if empty else SUCCESS

    def n_delete(self, event: Any) -> object:  # noqa: ANN401
        """Delete a film session (and its boxes), film box or LUT (H.4.1.2.3)."""
        hierarchy = self._hierarchy(event)
        sop_class = requested_sop_class(event.request)
        uid = str(event.request.RequestedSOPInstanceUID)
        if sop_class == BasicFilmSession and uid == hierarchy.session_uid:
            luts = hierarchy.luts
            self._hierarchies[id(event.assoc)] = _Hierarchy(luts=luts)
        elif sop_class == BasicFilmBox and uid in hierarchy.boxes:
            for image_uid in hierarchy.boxes.pop(uid).image_boxes:
                hierarchy.image_boxes.pop(image_uid, None)
        elif sop_class == PresentationLUT and uid in hierarchy.luts:
            del hierarchy.luts[uid]
        elif sop_class in (BasicFilmSession, BasicFilmBox, PresentationLUT):
            return failure(NO_SUCH_SOP_INSTANCE)
        else:
            return failure(UNRECOGNIZED_OPERATION, "Not deleted by N-DELETE")
        return SUCCESS

    def n_get(self, event: Any) -> tuple[object, Dataset | None]:  # noqa: ANN401
        """Return the Printer's attributes (H.4.6.1.2)."""
        if requested_sop_class(event.request) != Printer:
            return failure(UNRECOGNIZED_OPERATION, "Only the Printer is read"), None
        if str(event.request.RequestedSOPInstanceUID) != PRINTER_INSTANCE:
            return failure(NO_SUCH_SOP_INSTANCE), None
        code, attrs, unknown = select_attributes(
            self.printer, event.attribute_identifiers
        )
        return (failure(code, attributes=unknown) if unknown else code), attrs


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


def _check_values(
    attrs: Dataset,
    allowed: Mapping[str, tuple[frozenset[str], str]],
    *,
    defaults: bool = True,
) -> Dataset | None:
    """Refuse enumerated values the printer does not know; fill in defaults.

    ``defaults``: give absent or empty attributes the SCP's default (an
    N-CREATE, H.4.1.2.1.3); an N-SET changes only what it names.
    """
    bad = []
    for keyword, (values, default) in allowed.items():
        value = attrs.get(keyword)
        if value in (None, ""):
            if defaults:
                setattr(attrs, keyword, default)
        elif not (
            value in values
            or (keyword == "FilmDestination" and str(value).startswith("BIN_"))
        ):
            bad.append(attrs[keyword].tag)
    if bad:
        return failure(INVALID_ATTRIBUTE_VALUE, "Value not supported", attributes=bad)
    return None


def report_printer_status(
    assoc: Any,  # noqa: ANN401  (the Association)
    status: str,
    info: str | None = None,
    *,
    msg_id: int = 1,
) -> Dataset:
    """Report the printer's status to a print SCU (N-EVENT-REPORT, H.4.6.1.1).

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
    report = Dataset()
    report.PrinterStatusInfo = info or status
    result: tuple[Dataset, Dataset | None] = assoc.send_n_event_report(
        report, event_type, Printer, PRINTER_INSTANCE, msg_id, meta
    )
    return result[0]
