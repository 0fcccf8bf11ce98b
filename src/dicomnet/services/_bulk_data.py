"""Composite Instance Retrieve Without Bulk Data (PS3.4 Annex Z): what is left out.

A C-GET under that SOP class sends each instance without the attributes of
PS3.4 Z.1.3 (Table Z.1-1): pixel data and the other potentially large
values at the top level of the data set, and the Waveform Data inside the
Waveform Sequence. Pixel data inside Icon Image Sequence items is kept (the
table applies to the top level only), and nothing else changes (Z.4.2.3).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from pydicom import dcmread
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

if TYPE_CHECKING:
    import os

__all__ = ["WITHOUT_BULK_DATA_GET", "without_bulk_data"]

#: Composite Instance Retrieve Without Bulk Data - GET (PS3.4 Z.3).
WITHOUT_BULK_DATA_GET: Final = "1.2.840.10008.5.1.4.1.2.5.3"

# PS3.4 Table Z.1-1, by tag: Pixel Data, its float and double float forms,
# Pixel Data Provider URL, Spectroscopy Data.
_TOP_LEVEL: Final = frozenset(
    {0x7FE00010, 0x7FE00008, 0x7FE00009, 0x00287FE0, 0x56000020}
)
# Repeating groups of Table Z.1-1 (group & 0xFF00, element): Overlay Data
# (60xx,3000), Curve Data (50xx,3000), Audio Sample Data (50xx,200C).
_REPEATING: Final = frozenset({(0x6000, 0x3000), (0x5000, 0x3000), (0x5000, 0x200C)})
_WAVEFORM_SEQUENCE: Final = 0x54000100
_WAVEFORM_DATA: Final = 0x54001010


def _left_out(tag: int) -> bool:
    group, element = tag >> 16, tag & 0xFFFF
    return tag in _TOP_LEVEL or ((group & 0xFF00), element) in _REPEATING


def without_bulk_data(instance: Dataset | str | os.PathLike[str]) -> Dataset:
    """Return ``instance`` without the bulk data of PS3.4 Table Z.1-1.

    Parameters
    ----------
    instance : Dataset, str or os.PathLike
        The instance, or the path of its Part 10 file (read here: what is
        sent is no longer the file's bytes).

    Returns
    -------
    Dataset
        A new data set with the same File Meta Information; ``instance`` is
        not changed.
    """
    source = instance if isinstance(instance, Dataset) else dcmread(instance)
    out = Dataset()
    for element in source:
        if _left_out(element.tag):
            continue
        if element.tag == _WAVEFORM_SEQUENCE and element.VR == "SQ":
            out.add(_waveforms_without_data(element))
        else:
            out.add(element)
    meta = getattr(source, "file_meta", None)
    if meta is not None:
        out.file_meta = meta
    return out


def _waveforms_without_data(sequence: DataElement) -> DataElement:
    """PS3.4 Z.1.3: the Waveform Sequence, its items without Waveform Data."""
    items = []
    for item in sequence.value:
        kept = Dataset()
        for element in item:
            if element.tag != _WAVEFORM_DATA:
                kept.add(element)
        items.append(kept)
    return DataElement(sequence.tag, "SQ", Sequence(items))
