"""Query/Retrieve SCU: C-FIND, C-GET, C-MOVE and C-CANCEL requests (PS3.4 C.4).

Each request is checked and sent when the function is called, which then
returns a generator of ``(status, identifier)`` pairs, one per response, read
as the caller iterates (pynetdicom's contract). A C-CANCEL may be sent from
the iterating thread between two responses (PS3.7 9.3.2.3).
"""

from __future__ import annotations

import logging
import time
import zlib
from concurrent.futures import TimeoutError as FutureTimeout
from io import BytesIO
from typing import TYPE_CHECKING, Any, Final

from pydicom.dataset import Dataset
from pydicom.filereader import read_dataset
from pydicom.uid import UID, DeflatedExplicitVRLittleEndian

from dicomnet import events as evt
from dicomnet.dimse.primitives import C_CANCEL, C_FIND, C_GET, C_MOVE
from dicomnet.errors import DicomnetError
from dicomnet.services.storage import encode_dataset
from dicomnet.status import (
    STATUS_CANCEL,
    STATUS_FAILURE,
    STATUS_WARNING,
    code_to_category,
)

if TYPE_CHECKING:
    import queue
    from collections.abc import Iterator

    from dicomnet.dimse.primitives import DimsePrimitive

__all__ = [
    "send_c_cancel",
    "send_c_find",
    "send_c_get",
    "send_c_move",
]

_LOGGER = logging.getLogger(__name__)

# PS3.7 C.4.x: the statuses after which more responses follow.
_PENDING: Final = frozenset({0xFF00, 0xFF01})
# PS3.4 C.4.3.1.3.2 / C.4.2.1.4.2: final statuses whose identifier (if any)
# holds the Failed SOP Instance UID List.
_WITH_FAILED_LIST: Final = frozenset({STATUS_CANCEL, STATUS_WARNING, STATUS_FAILURE})


def send_c_find(
    assoc: Any,  # noqa: ANN401  (the Association)
    dataset: Dataset,
    query_model: str,
    msg_id: int = 1,
    priority: int = 2,
) -> Iterator[tuple[Dataset, Dataset | None]]:
    """Send a C-FIND request; see :meth:`Association.send_c_find` (PS3.7 9.1.2)."""
    request = C_FIND()
    syntax, responses = _send(assoc, request, dataset, query_model, msg_id, priority)
    return _responses(assoc, responses, syntax, pending_identifiers=True)


def send_c_get(
    assoc: Any,  # noqa: ANN401  (the Association)
    dataset: Dataset,
    query_model: str,
    msg_id: int = 1,
    priority: int = 2,
) -> Iterator[tuple[Dataset, Dataset | None]]:
    """Send a C-GET request; see :meth:`Association.send_c_get` (PS3.7 9.1.3)."""
    request = C_GET()
    syntax, responses = _send(assoc, request, dataset, query_model, msg_id, priority)
    return _responses(assoc, responses, syntax, pending_identifiers=False)


def send_c_move(  # noqa: PLR0913, PLR0917  (pynetdicom's signature)
    assoc: Any,  # noqa: ANN401  (the Association)
    dataset: Dataset,
    move_aet: str,
    query_model: str,
    msg_id: int = 1,
    priority: int = 2,
) -> Iterator[tuple[Dataset, Dataset | None]]:
    """Send a C-MOVE request; see :meth:`Association.send_c_move` (PS3.7 9.1.4)."""
    request = C_MOVE()
    request.MoveDestination = move_aet  # validated as an AE title (ValueError)
    syntax, responses = _send(assoc, request, dataset, query_model, msg_id, priority)
    return _responses(assoc, responses, syntax, pending_identifiers=False)


def _send(  # noqa: PLR0913, PLR0917  (the request's parameters)
    assoc: Any,  # noqa: ANN401
    request: C_FIND | C_GET,
    dataset: Dataset,
    query_model: str,
    msg_id: int,
    priority: int,
) -> tuple[UID, queue.SimpleQueue[DimsePrimitive | None]]:
    """Check, encode and send a request; return its syntax and response queue."""
    if not assoc.is_established:
        raise RuntimeError("The association with a peer SCP has been released")
    # PS3.4 C.4.x.1.1: the SOP class names the information model queried.
    context_id = assoc._context_for(query_model)  # noqa: SLF001  (ValueError)
    syntax = _syntax_of(assoc, context_id)
    request.MessageID = msg_id
    request.AffectedSOPClassUID = query_model
    request.Priority = priority
    request.Identifier = BytesIO(encode_dataset(dataset, syntax))  # ValueError
    return syntax, assoc._send_request(context_id, request)  # noqa: SLF001


def _syntax_of(assoc: Any, context_id: int) -> UID:  # noqa: ANN401
    for cx in assoc.accepted_contexts:
        if cx.context_id == context_id:
            return UID(cx.transfer_syntax[0])
    raise ValueError(f"Presentation context {context_id} has not been accepted")


def _responses(
    assoc: Any,  # noqa: ANN401
    responses: queue.SimpleQueue[DimsePrimitive | None],
    syntax: UID,
    *,
    pending_identifiers: bool,
) -> Iterator[tuple[Dataset, Dataset | None]]:
    """Yield ``(status, identifier)`` per response, until the final one.

    C-FIND's Pending responses carry a match (PS3.4 C.4.1.3); C-GET and
    C-MOVE's carry only counts, and their final Cancel, Warning or Failure
    may carry the Failed SOP Instance UID List (PS3.4 C.4.3.2, C.4.2.2).
    """
    from dicomnet.association import status_dataset  # noqa: PLC0415  (cycle)

    while True:
        response = assoc._next_response(responses)  # noqa: SLF001
        code = None if response is None else response.Status
        if response is None or code is None:
            # DIMSE timeout (the association was aborted) or the association
            # ended: pynetdicom yields an empty status once.
            yield Dataset(), None
            return
        status = status_dataset(response)
        data = getattr(response, "Identifier", None)
        if code in _PENDING:
            yield status, _decode(data, syntax) if pending_identifiers else None
            continue
        identifier = None
        if not pending_identifiers and code_to_category(code) in _WITH_FAILED_LIST:
            identifier = _decode(data, syntax)
        yield status, identifier
        return


def _decode(data: object, syntax: UID) -> Dataset | None:
    """Decode a response's identifier; None if absent or undecodable."""
    raw = data.getvalue() if isinstance(data, BytesIO) else b""
    if not raw:
        return None
    try:
        if syntax == DeflatedExplicitVRLittleEndian:
            raw = zlib.decompress(raw, -zlib.MAX_WBITS)  # PS3.5 A.5
        implicit, little = syntax.is_implicit_VR, syntax.is_little_endian
        identifier = read_dataset(BytesIO(raw), implicit, little)
        identifier.set_original_encoding(implicit, little)
    except Exception:  # a peer's bytes: any decode failure
        _LOGGER.exception("Failed to decode the response's identifier")
        return None
    return identifier


def send_c_cancel(
    assoc: Any,  # noqa: ANN401  (the Association)
    msg_id: int,
    context_id: int | None = None,
    query_model: str | None = None,
) -> None:
    """Send a C-CANCEL request; see :meth:`Association.send_c_cancel`."""
    if not assoc.is_established:
        raise RuntimeError("The association with a peer SCP has been released")
    if query_model is not None:
        context_id = assoc._context_for(query_model)  # noqa: SLF001
    elif context_id is not None:
        if all(cx.context_id != context_id for cx in assoc.accepted_contexts):
            raise ValueError(f"Presentation context {context_id} has not been accepted")
    else:
        raise ValueError(
            "'send_c_cancel' requires either the 'query_model' used for "
            "the service request or the corresponding 'context_id'"
        )
    # PS3.7 9.3.2.3: the C-CANCEL-RQ names the request it cancels.
    cancel = C_CANCEL()
    cancel.MessageIDBeingRespondedTo = msg_id
    _send_cancel(assoc, int(context_id), cancel)


def _send_cancel(assoc: Any, context_id: int, cancel: C_CANCEL) -> None:  # noqa: ANN401
    driver, protocol = assoc._driver, assoc._protocol  # noqa: SLF001

    def send() -> None:
        # Not through _send_request: no response comes, and the request being
        # cancelled keeps its place among the outstanding ones.
        protocol.send_message(context_id, cancel, response=False, now=time.monotonic())
        assoc._trigger(evt.EVT_DIMSE_SENT, {"message": cancel})  # noqa: SLF001

    try:
        driver.call(send).result(assoc.dimse_timeout)
    except FutureTimeout:
        _LOGGER.error("DIMSE timeout: the C-CANCEL could not be sent")  # noqa: TRY400  (no traceback to show)
    except DicomnetError as exc:
        _LOGGER.error("Could not send the C-CANCEL: %s", exc)  # noqa: TRY400
