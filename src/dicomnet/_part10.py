"""The DICOM File Format (PS3.10 7.1) around an encoded data set.

A C-STORE data set travels without File Meta Information; to keep it as a
Part 10 file it needs the 128-byte preamble, ``DICM`` and group 0002 in front
of it. These helpers build that header and find where a file's data set
starts, so that files are written and sent without decoding the data set.
"""

from __future__ import annotations

from struct import Struct
from struct import error as struct_error
from typing import Final, NamedTuple

from pydicom.dataset import FileMetaDataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_file_meta_info
from pydicom.uid import UID

from dicomnet._version import (
    DICOMNET_IMPLEMENTATION_UID,
    DICOMNET_IMPLEMENTATION_VERSION,
)

__all__ = [
    "FileMetaSummary",
    "build_file_meta",
    "data_set_offset",
    "file_header",
    "part10_header",
    "summarise_file_meta",
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


class FileMetaSummary(NamedTuple):
    """What sending a Part 10 file needs of its File Meta Information."""

    sop_class_uid: str
    sop_instance_uid: str
    transfer_syntax: str
    #: Where the data set starts in the file.
    offset: int


#: Long-form explicit VR headers (PS3.5 7.1.2): 2 reserved bytes, 4-byte length.
_LONG_VRS: Final = frozenset(
    {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"UC"}
) | {
    b"UN",
    b"UR",
    b"UT",
}
_TAG_VR_LENGTH: Final = Struct("<HH2sH")
_LONG_LENGTH: Final = Struct("<L")
_WANTED: Final = {0x0002: "sop_class_uid", 0x0003: "sop_instance_uid", 0x0010: "ts"}


def summarise_file_meta(head: bytes) -> FileMetaSummary | None:
    """Read the UIDs and data set offset of a Part 10 file from its first bytes.

    A plain walk over group 0002 (PS3.10 7.1: always explicit VR little
    endian): pydicom's ``read_file_meta_info`` takes about 0.2 ms a file,
    which a sender of many small files feels; this takes a few microseconds.

    Parameters
    ----------
    head : bytes
        The start of the file: enough to hold the whole File Meta
        Information (a few hundred bytes; 4 KiB is plenty in practice).

    Returns
    -------
    FileMetaSummary or None
        ``None`` when ``head`` is not a complete, well-formed Part 10 header
        with the three UIDs: let pydicom read the file instead.
    """
    try:
        offset = data_set_offset(head)
        found = _walk_group_2(head, offset)
    except (ValueError, struct_error):  # struct: an element header cut short
        return None
    if len(found) != len(_WANTED):
        return None
    return FileMetaSummary(
        found["sop_class_uid"], found["sop_instance_uid"], found["ts"], offset
    )


def _walk_group_2(head: bytes, offset: int) -> dict[str, str]:
    """Return the wanted UIDs of the File Meta Information ending at ``offset``.

    Raises
    ------
    ValueError
        Not a complete, well-formed group 0002 within ``head``.
    """
    if offset == 0 or offset > len(head):
        raise ValueError("no complete File Meta Information")
    found: dict[str, str] = {}
    position = PREAMBLE_AND_PREFIX + _GROUP_LENGTH_ELEMENT.size
    while position < offset:
        group, element, vr, length = _TAG_VR_LENGTH.unpack_from(head, position)
        position += _TAG_VR_LENGTH.size
        if vr in _LONG_VRS:
            (length,) = _LONG_LENGTH.unpack_from(head, position)
            position += _LONG_LENGTH.size
        if group != 0x0002 or position + length > offset:
            raise ValueError("element outside group 0002 or its length")
        name = _WANTED.get(element)
        if name is not None:
            value = head[position : position + length]
            # PS3.5 9.1: UIDs are padded to even length with a NUL.
            found[name] = value.rstrip(b"\x00 ").decode("ascii", "replace")
        position += length
    return found
