"""Just enough of PS3.7 for the Upper Layer interop tests: C-ECHO command sets.

The DIMSE layer proper arrives with issue #5; these tests only need to answer a
real peer's C-ECHO-RQ so that it goes on to release the association.
"""

from __future__ import annotations

from io import BytesIO

from pydicom.dataset import Dataset
from pydicom.filebase import DicomBytesIO
from pydicom.filereader import read_dataset
from pydicom.filewriter import write_dataset

VERIFICATION = "1.2.840.10008.1.1"
C_ECHO_RQ = 0x0030
C_ECHO_RSP = 0x8030
NO_DATA_SET = 0x0101


def encode_command(ds: Dataset) -> bytes:
    """Encode a command set in Implicit VR Little Endian with its group length (PS3.7 6.3.1)."""
    body = DicomBytesIO()
    body.is_little_endian = True
    body.is_implicit_VR = True
    write_dataset(body, ds)
    encoded = body.getvalue()
    length = Dataset()
    length.CommandGroupLength = len(encoded)
    head = DicomBytesIO()
    head.is_little_endian = True
    head.is_implicit_VR = True
    write_dataset(head, length)
    return head.getvalue() + encoded


def decode_command(data: bytes) -> Dataset:
    return read_dataset(BytesIO(data), is_implicit_VR=True, is_little_endian=True)


def echo_rq(message_id: int = 1) -> bytes:
    ds = Dataset()
    ds.AffectedSOPClassUID = VERIFICATION
    ds.CommandField = C_ECHO_RQ
    ds.MessageID = message_id
    ds.CommandDataSetType = NO_DATA_SET
    return encode_command(ds)


def echo_rsp(message_id: int, status: int = 0) -> bytes:
    ds = Dataset()
    ds.AffectedSOPClassUID = VERIFICATION
    ds.CommandField = C_ECHO_RSP
    ds.MessageIDBeingRespondedTo = message_id
    ds.CommandDataSetType = NO_DATA_SET
    ds.Status = status
    return encode_command(ds)
