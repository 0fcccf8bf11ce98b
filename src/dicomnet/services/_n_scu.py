"""DIMSE-N requests as SCU: N-ACTION, N-CREATE, N-DELETE, N-EVENT-REPORT, N-GET, N-SET.

Each function checks its arguments and the association, sends the request on
the accepted presentation context of the SOP class (or of ``meta_uid``, the
Meta SOP Class a service such as Print Management is negotiated under), waits
``dimse_timeout`` for the response and returns pynetdicom's shapes: the
status :class:`~pydicom.dataset.Dataset` (empty when no valid response came)
and, for all but N-DELETE, the decoded data set of the response (``None``
unless the status is Success or Warning).
"""

from __future__ import annotations

import logging
from io import BytesIO
from typing import TYPE_CHECKING, Any, Final

from pydicom.dataset import Dataset
from pydicom.uid import UID

from dicomnet.dimse.primitives import (
    N_ACTION,
    N_CREATE,
    N_DELETE,
    N_EVENT_REPORT,
    N_GET,
    N_SET,
)
from dicomnet.services._n_common import PROCESSING_FAILURE, decode_dataset
from dicomnet.services.storage import encode_dataset
from dicomnet.status import STATUS_SUCCESS, STATUS_WARNING, code_to_category

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pydicom.tag import BaseTag

    from dicomnet.dimse.primitives import DimsePrimitive

__all__ = [
    "send_n_action",
    "send_n_create",
    "send_n_delete",
    "send_n_event_report",
    "send_n_get",
    "send_n_set",
]

_LOGGER = logging.getLogger(__name__)

# PS3.7 10.1.x.1: a response carries its data set only with these statuses.
_WITH_DATA: Final = frozenset({STATUS_SUCCESS, STATUS_WARNING})


def send_n_action(  # noqa: PLR0913, PLR0917  (pynetdicom's signature)
    assoc: Any,  # noqa: ANN401  (the Association)
    dataset: Dataset | None,
    action_type: int,
    class_uid: str,
    instance_uid: str,
    msg_id: int = 1,
    meta_uid: str | None = None,
) -> tuple[Dataset, Dataset | None]:
    """Send an N-ACTION request (PS3.7 10.1.4); see ``Association.send_n_action``."""
    context_id, syntax = _context(assoc, meta_uid or class_uid, scu=True)
    request = N_ACTION()
    request.MessageID = msg_id
    request.RequestedSOPClassUID = UID(class_uid)
    request.RequestedSOPInstanceUID = UID(instance_uid)
    request.ActionTypeID = action_type
    request.ActionInformation = _encode(dataset, syntax, "Action Information")
    return _exchange(assoc, context_id, syntax, request, "ActionReply")


def send_n_create(  # noqa: PLR0913, PLR0917  (pynetdicom's signature)
    assoc: Any,  # noqa: ANN401  (the Association)
    dataset: Dataset | None,
    class_uid: str,
    instance_uid: str | None = None,
    msg_id: int = 1,
    meta_uid: str | None = None,
) -> tuple[Dataset, Dataset | None]:
    """Send an N-CREATE request (PS3.7 10.1.5); see ``Association.send_n_create``."""
    context_id, syntax = _context(assoc, meta_uid or class_uid, scu=True)
    request = N_CREATE()
    request.MessageID = msg_id
    request.AffectedSOPClassUID = UID(class_uid)
    # PS3.7 10.1.5.1.4: without it, the performing user assigns the UID.
    request.AffectedSOPInstanceUID = UID(instance_uid) if instance_uid else None
    request.AttributeList = _encode(dataset, syntax, "Attribute List")
    return _exchange(assoc, context_id, syntax, request, "AttributeList")


def send_n_delete(
    assoc: Any,  # noqa: ANN401  (the Association)
    class_uid: str,
    instance_uid: str,
    msg_id: int = 1,
    meta_uid: str | None = None,
) -> Dataset:
    """Send an N-DELETE request (PS3.7 10.1.6); see ``Association.send_n_delete``."""
    context_id, syntax = _context(assoc, meta_uid or class_uid, scu=True)
    request = N_DELETE()
    request.MessageID = msg_id
    request.RequestedSOPClassUID = UID(class_uid)
    request.RequestedSOPInstanceUID = UID(instance_uid)
    status, _ = _exchange(assoc, context_id, syntax, request, None)
    return status


def send_n_event_report(  # noqa: PLR0913, PLR0917  (pynetdicom's signature)
    assoc: Any,  # noqa: ANN401  (the Association)
    dataset: Dataset | None,
    event_type: int,
    class_uid: str,
    instance_uid: str,
    msg_id: int = 1,
    meta_uid: str | None = None,
) -> tuple[Dataset, Dataset | None]:
    """Send an N-EVENT-REPORT request (PS3.7 10.1.1); see the Association method."""
    # The invoker of N-EVENT-REPORT is usually the SOP class's SCP (PS3.4
    # J.3.3, CC.2.4), on an association either end requested: any accepted
    # context of the SOP class will do.
    context_id, syntax = _context(assoc, meta_uid or class_uid, scu=False)
    request = N_EVENT_REPORT()
    request.MessageID = msg_id
    request.AffectedSOPClassUID = UID(class_uid)
    request.AffectedSOPInstanceUID = UID(instance_uid)
    request.EventTypeID = event_type
    request.EventInformation = _encode(dataset, syntax, "Event Information")
    return _exchange(assoc, context_id, syntax, request, "EventReply")


def send_n_get(  # noqa: PLR0913, PLR0917  (pynetdicom's signature)
    assoc: Any,  # noqa: ANN401  (the Association)
    identifier_list: Sequence[BaseTag | int | str | tuple[int, int]] | None,
    class_uid: str,
    instance_uid: str,
    msg_id: int = 1,
    meta_uid: str | None = None,
) -> tuple[Dataset, Dataset | None]:
    """Send an N-GET request (PS3.7 10.1.2); see :meth:`Association.send_n_get`."""
    context_id, syntax = _context(assoc, meta_uid or class_uid, scu=True)
    request = N_GET()
    request.MessageID = msg_id
    request.RequestedSOPClassUID = UID(class_uid)
    request.RequestedSOPInstanceUID = UID(instance_uid)
    # PS3.7 10.1.2.1.3: no list asks for every attribute of the instance.
    if identifier_list:
        request.AttributeIdentifierList = list(identifier_list)
    return _exchange(assoc, context_id, syntax, request, "AttributeList")


def send_n_set(  # noqa: PLR0913, PLR0917  (pynetdicom's signature)
    assoc: Any,  # noqa: ANN401  (the Association)
    dataset: Dataset,
    class_uid: str,
    instance_uid: str,
    msg_id: int = 1,
    meta_uid: str | None = None,
) -> tuple[Dataset, Dataset | None]:
    """Send an N-SET request (PS3.7 10.1.3); see :meth:`Association.send_n_set`."""
    context_id, syntax = _context(assoc, meta_uid or class_uid, scu=True)
    request = N_SET()
    request.MessageID = msg_id
    request.RequestedSOPClassUID = UID(class_uid)
    request.RequestedSOPInstanceUID = UID(instance_uid)
    # PS3.7 10.1.3.1.5: the Modification List is mandatory.
    request.ModificationList = _encode(dataset, syntax, "Modification List")
    if request.ModificationList is None:
        # PS3.7 10.1.3.1.5: the Modification List is mandatory. (An empty
        # one would modify nothing; it is refused here because the sync
        # driver cannot write an empty data set PDV yet.)
        raise ValueError("N-SET needs a non-empty 'Modification List' dataset")
    return _exchange(assoc, context_id, syntax, request, "AttributeList")


# -- shared steps --------------------------------------------------------------


def _context(
    assoc: Any,  # noqa: ANN401
    abstract_syntax: str,
    *,
    scu: bool,
) -> tuple[int, str]:
    """Return the context ID and transfer syntax to send on (pynetdicom's errors)."""
    if not assoc.is_established:
        raise RuntimeError("The association with a peer SCP has been released")
    abstract_syntax = str(abstract_syntax)
    if scu:
        context_id = assoc._context_for(abstract_syntax)  # noqa: SLF001
    else:
        context_id = _any_context(assoc, abstract_syntax)
    for cx in assoc.accepted_contexts:
        if cx.context_id == context_id:
            return int(context_id), str(cx.transfer_syntax[0])
    raise ValueError(f"No accepted presentation context with ID {context_id}")


def _any_context(assoc: Any, abstract_syntax: str) -> int:  # noqa: ANN401
    # Prefer a context where we act as SCP (we invoke the notification as
    # the SOP class's provider), then any other (pynetdicom: no role check).
    matching = [
        cx for cx in assoc.accepted_contexts if cx.abstract_syntax == abstract_syntax
    ]
    matching.sort(key=lambda cx: cx.as_scp is not True)
    if not matching:
        raise ValueError(
            f"No presentation context for '{abstract_syntax}' has been accepted "
            "by the peer"
        )
    return int(matching[0].context_id or 0)


def _encode(dataset: Dataset | None, syntax: str, name: str) -> BytesIO | None:
    if dataset is None:
        return None
    if not isinstance(dataset, Dataset):
        raise TypeError(f"The '{name}' must be a pydicom Dataset or None")
    try:
        encoded = encode_dataset(dataset, UID(syntax))
    except ValueError as exc:
        raise ValueError(f"Failed to encode the supplied '{name}' dataset") from exc
    # An empty data set says what no data set says (PS3.7 10.1: the data set
    # parameters are optional); sending none also spares the transport an
    # empty data set PDV.
    return BytesIO(encoded) if encoded else None


def _exchange(
    assoc: Any,  # noqa: ANN401
    context_id: int,
    syntax: str,
    request: DimsePrimitive,
    data_keyword: str | None,
) -> tuple[Dataset, Dataset | None]:
    """Send ``request``, wait for its response; return (status, data set)."""
    responses = assoc._send_request(context_id, request)  # noqa: SLF001
    response = assoc._next_response(responses)  # noqa: SLF001
    if response is None:
        return Dataset(), None
    if type(response) is not type(request) or not response.is_valid_response:
        _LOGGER.error(
            "Received an invalid response to the %s request; aborting",
            request.msg_type,
        )
        assoc.abort()
        return Dataset(), None
    status = _status_dataset(response)
    if data_keyword is None or code_to_category(status.Status) not in _WITH_DATA:
        return status, None
    raw = getattr(response, data_keyword, None)
    if raw is None:
        return status, Dataset()
    try:
        return status, decode_dataset(raw.getvalue(), syntax)
    except Exception:  # any decoding error: pynetdicom's contract
        _LOGGER.exception(
            "Unable to decode the %s response's data set", request.msg_type
        )
        status.Status = PROCESSING_FAILURE
        return status, None


def _status_dataset(response: DimsePrimitive) -> Dataset:
    from dicomnet.association import status_dataset  # noqa: PLC0415  (cycle)

    status = status_dataset(response)
    if isinstance(response, N_CREATE) and response.AffectedSOPInstanceUID:
        # PS3.7 10.1.5.1.4: the UID the SCP gave the instance it created.
        status.AffectedSOPInstanceUID = response.AffectedSOPInstanceUID
    return status
