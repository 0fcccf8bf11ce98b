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

__all__ = ["build_file_meta", "data_set_offset", "part10_header"]

#: PS3.10 7.1: the preamble (128 bytes) and the prefix "DICM".
PREAMBLE_AND_PREFIX: Final = 132
# File Meta Information Group Length (0002,0000), explicit VR little endian:
# tag (4), VR (2), length (2), then the UL value giving the rest of group 2.
_GROUP_LENGTH_ELEMENT: Final = Struct("<HH2sHL")


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
