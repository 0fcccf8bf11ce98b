"""The Storage Service Class (PS3.4 Annex B): C-STORE as SCU and SCP.

SCU: :func:`send_c_store` sends a data set, or a Part 10 file straight from
disk when a presentation context with the file's transfer syntax was accepted
(the data set is then never decoded: PS3.4 B.4.1 asks the SCU to send the
instance as is).

SCP: :func:`answer_c_store` runs the ``evt.EVT_C_STORE`` handler and answers
with its status. The handler gets the data set lazily (``event.dataset``
decodes on first access) or, with ``_config.STORE_RECV_CHUNKED_DATASET``, as
a temporary file (``event.dataset_path``) deleted when the handler returns.
"""

from __future__ import annotations

import logging
import os
import zlib
from typing import TYPE_CHECKING, Any, BinaryIO, Final

from pydicom import dcmread
from pydicom.filebase import DicomBytesIO
from pydicom.filereader import read_file_meta_info
from pydicom.filewriter import write_dataset
from pydicom.uid import (
    UID,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
)

from dicomnet import _config
from dicomnet import events as evt
from dicomnet._part10 import FileMetaSummary, data_set_offset, summarise_file_meta
from dicomnet.dimse.primitives import C_STORE, response_to
from dicomnet.services._respond import message_context, send_response
from dicomnet.services._spool import FileSink
from dicomnet.services._status import apply_status

if TYPE_CHECKING:
    from pydicom.dataset import Dataset

    from dicomnet.dimse.connection import DimseMessage
    from dicomnet.protocol import AssociationProtocol

__all__ = [
    "OUT_OF_RESOURCES",
    "STORE_HANDLER_FAILURE",
    "answer_c_store",
    "send_c_store",
]

_LOGGER = logging.getLogger(__name__)

#: PS3.4 B.2.3: Refused: Out of Resources.
OUT_OF_RESOURCES: Final = 0xA700
#: The handler failed ("Cannot understand", C000-CFFF; pynetdicom's code).
STORE_HANDLER_FAILURE: Final = 0xC211
# Enough to hold the whole File Meta Information of nearly every file.
_META_HEAD: Final = 4096
# Uncompressed transfer syntaxes a data set can be re-encoded into by pydicom,
# by byte order (PS3.5 10.1, A.1-A.3).
_UNCOMPRESSED: Final = {
    True: (ExplicitVRLittleEndian, ImplicitVRLittleEndian),
    False: (ExplicitVRBigEndian,),
}


# -- SCU -------------------------------------------------------------------------


def send_c_store(  # noqa: PLR0913, PLR0917  (pynetdicom's signature)
    assoc: Any,  # noqa: ANN401  (the Association)
    dataset: Dataset | str | os.PathLike[str],
    msg_id: int = 1,
    priority: int = 2,
    originator_aet: str | None = None,
    originator_id: int | None = None,
) -> Dataset:
    """Send a C-STORE request; see :meth:`Association.send_c_store`."""
    from dicomnet.association import status_dataset  # noqa: PLC0415  (cycle)

    if not assoc.is_established:
        raise RuntimeError("The association with a peer SCP has been released")
    data: bytes | BinaryIO
    if isinstance(dataset, str | os.PathLike):
        context_id, sop_class, sop_instance, data = _from_file(assoc, dataset)
    else:
        context_id, sop_class, sop_instance, data = _from_dataset(assoc, dataset)
    request = C_STORE()
    request.MessageID = msg_id
    request.AffectedSOPClassUID = sop_class
    request.AffectedSOPInstanceUID = sop_instance
    request.Priority = priority
    if originator_aet is not None:
        request.MoveOriginatorApplicationEntityTitle = originator_aet
    if originator_id is not None:
        request.MoveOriginatorMessageID = originator_id
    try:
        responses = assoc._send_request(context_id, request, data)  # noqa: SLF001
    except BaseException:
        if not isinstance(data, bytes):
            data.close()
        raise
    return status_dataset(assoc._next_response(responses))  # noqa: SLF001


def _from_file(
    assoc: Any,  # noqa: ANN401
    path: str | os.PathLike[str],
) -> tuple[int, str, str, bytes | BinaryIO]:
    """Context, UIDs and data of a Part 10 file: from disk if its syntax fits."""
    file = open(path, "rb")  # noqa: SIM115, PTH123  (closed once sent, or below)
    try:
        head = file.read(_META_HEAD)
        sop_class, sop_instance, syntax, offset = _file_meta(path, head)
        context_id = assoc._find_context(sop_class, syntax)  # noqa: SLF001
        if context_id is not None:
            # One open file: its data set is read as it is sent.
            file.seek(offset if offset >= 0 else data_set_offset(head))
            return context_id, sop_class, sop_instance, file
    except BaseException:
        file.close()
        raise
    file.close()
    if _config.STORE_SEND_CHUNKED_DATASET:
        # The file is sent as stored or not at all (pynetdicom's contract).
        assoc._context_for(sop_class, syntax)  # noqa: SLF001  (raises ValueError)
    return _from_dataset(assoc, dcmread(path))


def _file_meta(path: str | os.PathLike[str], head: bytes) -> FileMetaSummary:
    """Return the UIDs and data set offset of a file, from ``head`` if it can."""
    summary = summarise_file_meta(head)
    if summary is not None:
        return summary
    # Unusual meta (more than 4 KiB, odd elements): pydicom reads it.
    meta = read_file_meta_info(path)
    try:
        return FileMetaSummary(
            str(meta.MediaStorageSOPClassUID),
            str(meta.MediaStorageSOPInstanceUID),
            str(meta.TransferSyntaxUID),
            -1,
        )
    except AttributeError as exc:
        raise AttributeError(
            f"The file meta of '{path}' lacks an element C-STORE needs: {exc}"
        ) from exc


def _from_dataset(
    assoc: Any,  # noqa: ANN401
    dataset: Dataset,
) -> tuple[int, str, str, bytes]:
    """Context, UIDs and encoding of a data set (PS3.4 B.4.1)."""
    try:
        sop_class = str(dataset.SOPClassUID)
        sop_instance = str(dataset.SOPInstanceUID)
    except AttributeError as exc:
        raise AttributeError(
            "The dataset to send needs 'SOPClassUID' and 'SOPInstanceUID'"
        ) from exc
    meta = getattr(dataset, "file_meta", None)
    syntax = None if meta is None else meta.get("TransferSyntaxUID")
    if syntax is None:
        raise AttributeError(
            "The dataset to send needs a 'file_meta' with a 'TransferSyntaxUID'"
        )
    syntax = UID(syntax)
    context_id = assoc._find_context(sop_class, syntax)  # noqa: SLF001
    if context_id is None and not syntax.is_compressed:
        # PS3.5 A.1-A.3: re-encode into another uncompressed syntax with the
        # same byte order, when the peer accepted one.
        for other in _UNCOMPRESSED[syntax.is_little_endian]:
            context_id = assoc._find_context(sop_class, other)  # noqa: SLF001
            if context_id is not None:
                syntax = UID(other)
                break
    if context_id is None:
        assoc._context_for(sop_class, syntax)  # noqa: SLF001  (raises ValueError)
    return (
        int(context_id or 0),
        sop_class,
        sop_instance,
        encode_dataset(dataset, syntax),
    )


def encode_dataset(dataset: Dataset, syntax: UID) -> bytes:
    """Encode ``dataset`` in transfer syntax ``syntax`` (PS3.5 A).

    Raises
    ------
    ValueError
        The data set cannot be encoded.
    """
    out = DicomBytesIO()
    deflated = syntax == DeflatedExplicitVRLittleEndian
    out.is_little_endian = syntax.is_little_endian
    out.is_implicit_VR = False if deflated else syntax.is_implicit_VR
    try:
        write_dataset(out, dataset)
    except Exception as exc:
        raise ValueError(f"Failed to encode the supplied dataset: {exc}") from exc
    data = out.getvalue()
    if deflated:
        # PS3.5 A.5: the whole data set as one raw deflate stream.
        compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
        data = compressor.compress(data) + compressor.flush()
    return data


# -- SCP -------------------------------------------------------------------------


def answer_c_store(
    assoc: Any,  # noqa: ANN401  (the Association)
    protocol: AssociationProtocol,
    message: DimseMessage,
) -> None:
    """Run the EVT_C_STORE handler and send the C-STORE response (PS3.7 9.3.1)."""
    request = message.primitive
    response = response_to(request)
    sink = message.sink
    try:
        result = _run_handler(assoc, message, sink)
    finally:
        if sink is not None:
            sink.discard()  # the temporary file lives as long as the handler
    apply_status(response, result, "EVT_C_STORE")
    send_response(assoc, protocol, message.context_id, response)


def _run_handler(
    assoc: Any,  # noqa: ANN401
    message: DimseMessage,
    sink: object,
) -> object:
    if isinstance(sink, FileSink) and (sink.error is not None or sink.path is None):
        # PS3.4 B.2.3: the data set could not be kept.
        return OUT_OF_RESOURCES
    context = message_context(assoc, message)
    attrs: dict[str, Any] = {"request": message.primitive, "context": context}
    if isinstance(sink, FileSink):
        attrs["_dataset_path"] = sink.path
    try:
        return assoc._trigger(evt.EVT_C_STORE, attrs)  # noqa: SLF001
    except Exception:
        _LOGGER.exception("Exception in the 'evt.EVT_C_STORE' handler")
        return STORE_HANDLER_FAILURE
