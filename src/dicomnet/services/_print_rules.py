"""Checks of Print Management requests (PS3.4 Annex H, PS3.3 C.13).

Pure functions: how many image boxes an Image Display Format makes
(C.13.5.1), whether the preformatted image given an image box is one the
printer can take (H.4.3.1.2.1, C.13.5 Basic Grayscale/Color Image Box),
whether an annotation box N-SET is one it can take (H.4.4.2.1, C.13.7),
and the printer's default configuration (H.4.11.2.2). Each check returns
the failure status or ``None``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from dicomnet.services._n_common import (
    INVALID_ATTRIBUTE_VALUE,
    NO_SUCH_ATTRIBUTE,
    failure,
    missing_attributes,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

__all__ = [
    "BOX_VALUES",
    "SESSION_VALUES",
    "check_annotation",
    "check_image",
    "check_values",
    "image_box_count",
    "printer_configuration",
]

# PS3.3 C.13.1/C.13.3 and H.4.1.2.1: enumerated values a printer checks, with
# the SCP's defaults (H.4.1.2.1.3: "the SCP shall use its defaults").
SESSION_VALUES: Final[dict[str, tuple[frozenset[str], str]]] = {
    "PrintPriority": (frozenset({"HIGH", "MED", "LOW"}), "MED"),
    "MediumType": (
        frozenset(
            {"PAPER", "CLEAR FILM", "BLUE FILM", "MAMMO CLEAR FILM", "MAMMO BLUE FILM"}
        ),
        "BLUE FILM",
    ),
    "FilmDestination": (frozenset({"MAGAZINE", "PROCESSOR"}), "MAGAZINE"),
}
BOX_VALUES: Final[dict[str, tuple[frozenset[str], str]]] = {
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
# PS3.3 C.13.5.1: "STANDARD\C,R", "ROW\n1,n2,...", "COL\n1,n2,...".
_STANDARD: Final = re.compile(r"STANDARD\\(\d+),(\d+)")
_ROW_OR_COL: Final = re.compile(r"(ROW|COL)\\(\d+(?:,\d+)*)")
# A page of more image boxes than this is taken for a malformed request.
_MAX_BOXES: Final = 1024

# PS3.3 C.13.5 (Image Box Pixel Presentation): the pixel module attributes a
# preformatted image must have.
_IMAGE_TYPE1: Final = (
    "SamplesPerPixel",
    "PhotometricInterpretation",
    "Rows",
    "Columns",
    "BitsAllocated",
    "BitsStored",
    "HighBit",
    "PixelRepresentation",
    "PixelData",
)
# (samples per pixel, photometric interpretations, bits allocated) by kind.
_GRAYSCALE: Final = (1, frozenset({"MONOCHROME1", "MONOCHROME2"}), frozenset({8, 16}))
_COLOR: Final = (3, frozenset({"RGB"}), frozenset({8}))


def image_box_count(display_format: object) -> int | None:
    """Return the number of image boxes of an Image Display Format (C.13.5.1).

    Parameters
    ----------
    display_format : object
        The value of Image Display Format (2010,0010).

    Returns
    -------
    int or None
        ``None`` for a format this printer does not lay out (SLIDE,
        SUPERSLIDE, CUSTOM) or a malformed one.
    """
    text = str(display_format or "").strip().upper()
    if match := _STANDARD.fullmatch(text):
        count = int(match[1]) * int(match[2])
    elif match := _ROW_OR_COL.fullmatch(text):
        count = sum(int(part) for part in match[2].split(","))
    else:
        return None
    return count if 0 < count <= _MAX_BOXES else None


def check_image(image: Dataset, *, color: bool) -> Dataset | None:
    """Return the refusal of an image box's preformatted image, if any.

    Parameters
    ----------
    image : pydicom.dataset.Dataset
        The item of Basic Grayscale (or Color) Image Sequence.
    color : bool
        For a Basic Color Image Box.

    Returns
    -------
    pydicom.dataset.Dataset or None
    """
    refused = missing_attributes(image, _IMAGE_TYPE1)
    if refused is not None:
        return refused
    samples, photometric, bits = _COLOR if color else _GRAYSCALE
    problems = []
    if image.SamplesPerPixel != samples:
        problems.append(0x00280002)
    if image.PhotometricInterpretation not in photometric:
        problems.append(0x00280004)
    if image.BitsAllocated not in bits:
        problems.append(0x00280100)
    if image.PixelRepresentation != 0:
        problems.append(0x00280103)  # C.13.5: unsigned pixels only
    expected = image.Rows * image.Columns * samples * image.BitsAllocated // 8
    if len(image.PixelData) < expected:
        problems.append(0x7FE00010)
    if problems:
        return failure(
            INVALID_ATTRIBUTE_VALUE, "Image not printable as given", attributes=problems
        )
    return None


# PS3.4 H.4.4.2.1: what an annotation box N-SET may name (besides the
# character set of its text, PS3.3 C.12.1.1.2).
_ANNOTATION_TAGS: Final = frozenset({0x00080005, 0x20300010, 0x20300020})
#: PS3.5 Table 6.2-1: Text String (2030,0020) is a Long String, 64 characters.
_LO_MAX: Final = 64


def check_annotation(position: int, changes: Dataset) -> Dataset | None:
    """Return the refusal of a Basic Annotation Box N-SET, if any (H.4.4.2.1).

    Parameters
    ----------
    position : int
        The Annotation Position of the box the request names.
    changes : pydicom.dataset.Dataset
        The Modification List.

    Returns
    -------
    pydicom.dataset.Dataset or None
    """
    unknown = [int(elem.tag) for elem in changes if elem.tag not in _ANNOTATION_TAGS]
    if unknown:
        # PS3.7 C.4.1: only Annotation Position and Text String are set.
        return failure(NO_SUCH_ATTRIBUTE, attributes=unknown)
    given = changes.get("AnnotationPosition")
    if given is not None and given != position:
        # PS3.3 C.13.7: the position names the box, it does not move it.
        return failure(
            INVALID_ATTRIBUTE_VALUE,
            "Wrong Annotation Position",
            attributes=[0x20300010],
        )
    text = changes.get("TextString")
    if text is not None and len(str(text)) > _LO_MAX:
        return failure(INVALID_ATTRIBUTE_VALUE, attributes=[0x20300020])
    return None


# The configuration a printer reports (H.4.11.2.2, Table H.4-26), for the
# defaults of dicomnet's PrintServer: 8INX10IN film at 0.1 mm per pixel.
_FILM_SIZE: Final = "8INX10IN"
_PIXEL_SPACING: Final = (0.1, 0.1)
_FILM_PIXELS: Final = (2540, 2032)  # rows, columns in portrait orientation
_MEDIA: Final = (
    "BLUE FILM",
    "CLEAR FILM",
    "PAPER",
    "MAMMO CLEAR FILM",
    "MAMMO BLUE FILM",
)
_LAYOUTS: Final = ((1, 1), (1, 2), (2, 1), (2, 2), (2, 3), (3, 3), (3, 4), (4, 5))
# PS3.3 C.13.3: Min/Max Density in hundredths of optical density.
_DENSITY: Final = (20, 300)
# Film boxes one film session N-ACTION may print (no limit is enforced).
_MAX_COLLATED: Final = 1024


def _medium(medium: str, number: int | None = None) -> Dataset:
    item = Dataset()
    if number is not None:
        item.ItemNumber = number
    item.MediumType = medium
    item.FilmSizeID = _FILM_SIZE
    item.MinDensity, item.MaxDensity = _DENSITY
    return item


def _display_format(columns: int, rows: int, orientation: str) -> Dataset:
    film_rows, film_columns = _FILM_PIXELS
    if orientation == "LANDSCAPE":
        film_rows, film_columns = film_columns, film_rows
    item = Dataset()
    # H.4.11.2.2: Rows and Columns when every image box has the same size.
    item.Rows = film_rows // rows
    item.Columns = film_columns // columns
    item.ImageDisplayFormat = f"STANDARD\\{columns},{rows}"
    item.FilmOrientation = orientation
    item.FilmSizeID = _FILM_SIZE
    item.PrinterResolutionID = "STANDARD"
    item.PrinterPixelSpacing = list(_PIXEL_SPACING)
    item.RequestedImageSizeFlag = "NO"
    return item


def printer_configuration(sop_classes: Iterable[str]) -> Dataset:
    """Return a default item of Printer Configuration Sequence (H.4.11.2.2).

    Parameters
    ----------
    sop_classes : iterable of str
        The SOP classes the printer supports (SOP Classes Supported).

    Returns
    -------
    pydicom.dataset.Dataset
    """
    item = Dataset()
    item.SOPClassesSupported = sorted(str(uid) for uid in sop_classes)
    item.MaximumMemoryAllocation = 0  # C.13.1: no memory is reserved ahead
    item.MemoryBitDepth = 16
    item.PrintingBitDepth = 8
    item.MediaInstalledSequence = Sequence([_medium(_MEDIA[0], 1)])
    item.OtherMediaAvailableSequence = Sequence([_medium(m) for m in _MEDIA[1:]])
    item.SupportedImageDisplayFormatsSequence = Sequence(
        _display_format(columns, rows, orientation)
        for orientation in ("PORTRAIT", "LANDSCAPE")
        for columns, rows in _LAYOUTS
    )
    item.DefaultPrinterResolutionID = "STANDARD"
    item.DefaultMagnificationType = "REPLICATE"
    item.OtherMagnificationTypesAvailable = ["BILINEAR", "CUBIC", "NONE"]
    item.DefaultSmoothingType = "NONE"
    item.OtherSmoothingTypesAvailable = []
    item.ConfigurationInformationDescription = ""
    item.MaximumCollatedFilms = _MAX_COLLATED
    return item


def check_values(
    attrs: Dataset,
    allowed: Mapping[str, tuple[frozenset[str], str]],
    *,
    defaults: bool = True,
) -> Dataset | None:
    """Refuse enumerated values the printer does not know; fill in defaults.

    Parameters
    ----------
    attrs : pydicom.dataset.Dataset
        The Attribute List of an N-CREATE or Modification List of an N-SET.
    allowed : mapping
        By keyword, the values the printer takes and its default.
    defaults : bool
        Give absent or empty attributes the SCP's default (an N-CREATE,
        H.4.1.2.1.3); an N-SET changes only what it names.

    Returns
    -------
    pydicom.dataset.Dataset or None
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
