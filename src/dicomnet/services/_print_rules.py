"""Checks of Print Management requests (PS3.4 Annex H, PS3.3 C.13).

Pure functions: how many image boxes an Image Display Format makes
(C.13.5.1), and whether the preformatted image given an image box is one
the printer can take (H.4.3.1.2.1, C.13.5 Basic Grayscale/Color Image
Box). Each check returns the failure status or ``None``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from dicomnet.services._n_common import (
    INVALID_ATTRIBUTE_VALUE,
    failure,
    missing_attributes,
)

if TYPE_CHECKING:
    from pydicom.dataset import Dataset

__all__ = ["check_image", "image_box_count"]

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
