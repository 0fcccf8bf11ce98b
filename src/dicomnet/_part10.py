"""The DICOM File Format (PS3.10 7.1) around an encoded data set.

A C-STORE data set travels without File Meta Information; to keep it as a
Part 10 file it needs the 128-byte preamble, ``DICM`` and group 0002 in front
of it. These helpers build that header and find where a file's data set
starts, so that files are written and sent without decoding the data set.
"""

from __future__ import annotations

from struct import Struct
from typing import Final

from pydicom.dataset import FileMetaDataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_file_meta_info
from pydicom.uid import UID

from dicomnet._version import (
    DICOMNET_IMPLEMENTATION_UID,
    DICOMNET_IMPLEMENTATION_VERSION,
)

__all__ = [
    "build_file_meta",
    "data_set_offset",
    "file_header",
    "part10_header",
]

#: PS3.10 7.1: the preamble (128 bytes) and the prefix "DICM".
PREAMBLE_AND_PREFIX: Final = 132
# File Meta Information Group Length (0002,0000), explicit VR little endian:
# tag (4), VR (2), length (2), then the UL value giving the rest of group 2.
_GROUP_LENGTH_ELEMENT: Final = Struct("<HH2sHL")
# Explicit VR little endian element headers (PS3.5 7.1.2): a 2-byte length,
# or 2 reserved bytes and a 4-byte length for OB.
_SHORT_ELEMENT: Final = Struct("<HH2sH")
_LONG_ELEMENT: Final = Struct("<HH2s2xL")
_VERSION_ELEMENT: Final = _LONG_ELEMENT.pack(2, 0x0001, b"OB", 2) + b"\x00\x01"


def build_file_meta(
    sop_class_uid: str, sop_instance_uid: str, transfer_syntax: str
) -> FileMetaDataset:
    """Return the File Meta Information of an instance (PS3.10 7.1).

    Parameters
    ----------
    sop_class_uid, sop_instance_uid : str
        The Media Storage SOP Class and Instance UIDs.
    transfer_syntax : str
        The transfer syntax the data set is encoded in.
    """
    meta = FileMetaDataset()
    meta.FileMetaInformationVersion = b"\x00\x01"
    meta.MediaStorageSOPClassUID = UID(sop_class_uid)
    meta.MediaStorageSOPInstanceUID = UID(sop_instance_uid)
    meta.TransferSyntaxUID = UID(transfer_syntax)
    meta.ImplementationClassUID = DICOMNET_IMPLEMENTATION_UID
    meta.ImplementationVersionName = DICOMNET_IMPLEMENTATION_VERSION
    return meta


def part10_header(meta: FileMetaDataset) -> bytes:
    """Return preamble, ``DICM`` and the encoded File Meta Information."""
    out = DicomBytesIO()
    out.write(b"\x00" * 128 + b"DICM")
    write_file_meta_info(out, meta, enforce_standard=True)
    return out.getvalue()


def file_header(
    sop_class_uid: str, sop_instance_uid: str, transfer_syntax: str
) -> bytes:
    """Return what :func:`part10_header` returns for :func:`build_file_meta`'s meta.

    Packed directly: pydicom takes about 0.2 ms to encode these six elements,
    as much as receiving a small instance; this takes about 0.01 ms. The tests
    check that both give the same bytes.
    """
    group = b"".join(
        (
            _VERSION_ELEMENT,
            _short(0x0002, b"UI", sop_class_uid),
            _short(0x0003, b"UI", sop_instance_uid),
            _short(0x0010, b"UI", transfer_syntax),
            _short(0x0012, b"UI", DICOMNET_IMPLEMENTATION_UID),
            _short(0x0013, b"SH", DICOMNET_IMPLEMENTATION_VERSION),
        )
    )
    length = _GROUP_LENGTH_ELEMENT.pack(2, 0x0000, b"UL", 4, len(group))
    return b"".join((b"\x00" * 128, b"DICM", length, group))


def _short(element: int, vr: bytes, text: str) -> bytes:
    value = text.encode("ascii")
    if len(value) % 2:
        # PS3.5 6.2: UI values are padded with NUL, other strings with space.
        value += b"\x00" if vr == b"UI" else b" "
    return _SHORT_ELEMENT.pack(2, element, vr, len(value)) + value


def data_set_offset(head: bytes) -> int:
    """Return where the data set of a Part 10 file starts.

    Parameters
    ----------
    head : bytes
        The first bytes of the file: at least up to the end of the group
        length element (144 bytes).

    Returns
    -------
    int
        The offset of the data set; 0 when ``head`` has no ``DICM`` prefix
        (a bare data set).

    Raises
    ------
    ValueError
        The File Meta Information does not start with its group length
        (PS3.10 7.1 makes it Type 1).
    """
    if head[128:PREAMBLE_AND_PREFIX] != b"DICM":
        return 0
    if len(head) < PREAMBLE_AND_PREFIX + _GROUP_LENGTH_ELEMENT.size:
        raise ValueError("File Meta Information is truncated")
    group, element, _vr, _length, value = _GROUP_LENGTH_ELEMENT.unpack_from(
        head, PREAMBLE_AND_PREFIX
    )
    if (group, element) != (0x0002, 0x0000):
        raise ValueError("File Meta Information Group Length is missing")
    return PREAMBLE_AND_PREFIX + _GROUP_LENGTH_ELEMENT.size + int(value)
