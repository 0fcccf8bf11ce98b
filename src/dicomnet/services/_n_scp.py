"""DIMSE-N requests as SCP: run the ``evt.EVT_N_*`` handler, send the response.

The handler contract is pynetdicom's: N-ACTION, N-CREATE, N-EVENT-REPORT,
N-GET and N-SET handlers return ``(status, dataset)``, N-DELETE handlers a
status; a status is an ``int`` or a :class:`~pydicom.dataset.Dataset` with
``Status`` and optional status elements (PS3.7 Annex C). Before the handler
runs, a request the negotiated SOP class cannot take is refused: a message
its service class does not use (0x0211) or a SOP class of another service
(0x0118, 0x0122). Whatever the handler does, the peer gets a response: an
exception, a value that is not of the contract's shape, a status that is not
a DIMSE-N status (out of range, Pending or Cancel) or a data set that cannot
be encoded are answered with Processing Failure (0x0110, PS3.7 C.4.4).
"""

from __future__ import annotations

import logging
import time
from io import BytesIO
from typing import TYPE_CHECKING, Any, Final

from pydicom.dataset import Dataset
from pydicom.uid import UID, generate_uid

from dicomnet import events as evt
from dicomnet import service_class_n as scn
from dicomnet._sop_registry import uid_to_service_class
from dicomnet.dimse.primitives import (
    N_ACTION,
    N_CREATE,
    N_DELETE,
    N_EVENT_REPORT,
    N_GET,
    N_SET,
)
from dicomnet.errors import LocalProtocolError
from dicomnet.presentation import PresentationContextTuple
from dicomnet.service_class import ServiceClass
from dicomnet.services._n_common import (
    INVALID_ATTRIBUTE_VALUE,
    NO_SUCH_SOP_CLASS,
    PROCESSING_FAILURE,
    SOP_CLASS_NOT_SUPPORTED,
    UNRECOGNIZED_OPERATION,
    failure,
    requested_sop_class,
)
from dicomnet.services._respond import send_response
from dicomnet.services.storage import encode_dataset
from dicomnet.status import (
    GENERAL_STATUS,
    STATUS_CANCEL,
    STATUS_PENDING,
    STATUS_SUCCESS,
    STATUS_WARNING,
    code_to_category,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from dicomnet.dimse.connection import DimseMessage
    from dicomnet.dimse.primitives import DimsePrimitive
    from dicomnet.protocol import AssociationProtocol

__all__ = ["answer_normalized", "call_after_response"]

_LOGGER = logging.getLogger(__name__)

# Request primitive -> (event, PS3.7 message name, response data set keyword).
_SERVICES: Final[dict[type[DimsePrimitive], tuple[Any, str, str | None]]] = {
    N_ACTION: (evt.EVT_N_ACTION, scn.N_ACTION, "ActionReply"),
    N_CREATE: (evt.EVT_N_CREATE, scn.N_CREATE, "AttributeList"),
    N_DELETE: (evt.EVT_N_DELETE, scn.N_DELETE, None),
    N_EVENT_REPORT: (evt.EVT_N_EVENT_REPORT, scn.N_EVENT_REPORT, "EventReply"),
    N_GET: (evt.EVT_N_GET, scn.N_GET, "AttributeList"),
    N_SET: (evt.EVT_N_SET, scn.N_SET, "AttributeList"),
}
# PS3.7 10.1.x.1: a response carries its data set only with these statuses.
_WITH_DATA: Final = frozenset({STATUS_SUCCESS, STATUS_WARNING})
# PS3.7 C.1: DIMSE-N operations have one response; these categories would
# leave the invoker waiting for another.
_NOT_FINAL: Final = frozenset({STATUS_PENDING, STATUS_CANCEL})
_US_MAX: Final = 0xFFFF
# The Event attribute holding the callbacks to run once the response is sent.
_AFTER: Final = "_after_response"


def call_after_response(event: Any, callback: Callable[[], object]) -> None:  # noqa: ANN401
    """Run ``callback`` once the response to the event's request has been sent.

    For work that must follow the response on the same association: PS3.4
    J.3.3 has the Storage Commitment result (an N-EVENT-REPORT) come after
    the N-ACTION response, CC.2.4.3 the UPS event reports after the change
    that caused them. The callback runs on the association's thread; an
    exception it raises is logged.

    Parameters
    ----------
    event : dicomnet.events.Event
        The event of an ``EVT_N_*`` handler.
    callback : callable
        Called with no arguments.

    Raises
    ------
    TypeError
        ``event`` is not the event of a DIMSE-N request.
    """
    callbacks = event.__dict__.get(_AFTER)
    if not isinstance(callbacks, list):
        raise TypeError("call_after_response() needs the event of a DIMSE-N request")
    callbacks.append(callback)


def answer_normalized(
    assoc: Any,  # noqa: ANN401  (the Association)
    protocol: AssociationProtocol,
    message: DimseMessage,
) -> None:
    """Answer a DIMSE-N request (PS3.7 10.1, 10.3) with its handler's result."""
    request = message.primitive
    event, name, reply_keyword = _SERVICES[type(request)]
    after: list[Callable[[], object]] = []
    refusal = _refusal(message, name)
    if refusal is not None:
        _LOGGER.warning(
            "No service for %s on %s: %s (status 0x%04X)",
            type(request).__name__,
            message.abstract_syntax,
            refusal.get("ErrorComment", ""),
            refusal.Status,
        )
        result: tuple[object, object] = (refusal, None)
    else:
        result = _run_handler(assoc, message, event, after)
    response = _build_response(message, name, reply_keyword, result)
    try:
        send_response(assoc, protocol, message.context_id, response)
    except LocalProtocolError:
        _LOGGER.exception("Could not send the %s response; aborting", name)
        protocol.abort(time.monotonic())
        return
    for callback in after:
        _run_callback(callback, name)


def _run_callback(callback: Callable[[], object], name: str) -> None:
    try:
        callback()
    except Exception:
        _LOGGER.exception("Exception in a callback run after the %s response", name)


def _refusal(message: DimseMessage, name: str) -> Dataset | None:
    """Return the status refusing a request the context cannot take, if any."""
    served = uid_to_service_class(message.abstract_syntax)
    if served is ServiceClass:
        return None  # a SOP class dicomnet does not know: the handler decides
    if name not in served.dimse_statuses:
        # PS3.7 C.4.18: not an operation of the negotiated SOP class.
        return failure(
            UNRECOGNIZED_OPERATION,
            f"{name} is not an operation of {served.__name__}",
        )
    sop_class = requested_sop_class(message.primitive)
    if sop_class == message.abstract_syntax:
        return None
    requested = uid_to_service_class(sop_class)
    if requested is ServiceClass:
        return failure(NO_SUCH_SOP_CLASS, f"Unknown SOP Class {sop_class}")
    if requested is not served:
        # A Meta SOP Class (PS3.4 H.3) or a SOP class family (UPS Push on
        # the Pull context, PS3.4 CC.3.1) share one service class; any
        # other SOP class was not negotiated on this context.
        return failure(SOP_CLASS_NOT_SUPPORTED, f"{sop_class} is not negotiated")
    return None


def _run_handler(
    assoc: Any,  # noqa: ANN401
    message: DimseMessage,
    event: Any,  # noqa: ANN401
    after: list[Callable[[], object]],
) -> tuple[object, object]:
    request = message.primitive
    context = PresentationContextTuple(
        message.context_id, UID(message.abstract_syntax), UID(message.transfer_syntax)
    )
    attrs = {"request": request, "context": context, _AFTER: after}
    try:
        result = assoc._trigger(event, attrs)  # noqa: SLF001
    except Exception:
        _LOGGER.exception("Exception in the 'evt.%s' handler", event.name)
        return PROCESSING_FAILURE, None
    if isinstance(request, N_DELETE):
        return result, None
    if isinstance(result, tuple | list) and len(result) == 2:
        return result[0], result[1]
    _LOGGER.error(
        "The 'evt.%s' handler must return (status, dataset or None), not %r",
        event.name,
        result,
    )
    return PROCESSING_FAILURE, None


def _build_response(
    message: DimseMessage,
    name: str,
    reply_keyword: str | None,
    result: tuple[object, object],
) -> DimsePrimitive:
    request = message.primitive
    response = type(request)()
    response.MessageIDBeingRespondedTo = request.MessageID
    status, data = result
    code, extras = _status(status, name, message.abstract_syntax)
    encoded = None
    if reply_keyword is not None and _with_data(code, reply_keyword):
        encoded = _encode_reply(data, message.transfer_syntax, name)
        if encoded is False:
            # The handler's data set cannot be sent: its status is moot.
            code, extras, encoded = PROCESSING_FAILURE, Dataset(), None
    response.Status = code
    _set_affected(response, request, code, extras, data)
    if encoded is not None and reply_keyword is not None:
        setattr(response, reply_keyword, encoded)
    _copy_extras(response, extras, name)
    return response


def _with_data(code: int, reply_keyword: str) -> bool:
    # PS3.7 10.1.x.1: a data set goes with Success and Warning; C.4.2 lets
    # Invalid Attribute Value carry the offending values of an N-CREATE or
    # N-SET in the Attribute List.
    if code == INVALID_ATTRIBUTE_VALUE:
        return reply_keyword == "AttributeList"
    return code_to_category(code) in _WITH_DATA


def _status(status: object, name: str, abstract_syntax: str) -> tuple[int, Dataset]:
    """Return the status code and the status elements of a handler's status."""
    extras = Dataset()
    if isinstance(status, Dataset):
        code = status.get("Status")
        extras = status
    else:
        code = status
    if not isinstance(code, int) or isinstance(code, bool) or not 0 <= code <= _US_MAX:
        _LOGGER.error("The %s handler's status %r is not a status code", name, status)
        return PROCESSING_FAILURE, Dataset()
    code = int(code)
    if code_to_category(code) in _NOT_FINAL:
        _LOGGER.error(
            "The %s handler's status 0x%04X would promise another response", name, code
        )
        return PROCESSING_FAILURE, Dataset()
    table = uid_to_service_class(abstract_syntax).dimse_statuses.get(name, {})
    if code not in table and code not in GENERAL_STATUS:
        # pynetdicom's contract: sent as is, with a warning.
        _LOGGER.warning(
            "Unknown status value returned by the %s handler: 0x%04X", name, code
        )
    return code, extras


def _encode_reply(data: object, syntax: str, name: str) -> BytesIO | bool | None:
    """Encode the reply data set: ``None`` if there is none, ``False`` if bad."""
    if data is None:
        return None
    if not isinstance(data, Dataset):
        _LOGGER.error("The %s handler returned %r, not a Dataset", name, data)
        return False
    try:
        encoded = encode_dataset(data, UID(syntax))
    except ValueError:
        _LOGGER.exception("Could not encode the %s handler's data set", name)
        return False
    # An empty data set is sent as none (the SCU reads both as empty).
    return BytesIO(encoded) if encoded else None


def _set_affected(
    response: DimsePrimitive,
    request: DimsePrimitive,
    code: int,
    extras: Dataset,
    data: object,
) -> None:
    """Fill Affected SOP Class/Instance UID as PS3.7 10.1.x.1 asks."""
    if isinstance(request, N_CREATE):
        response.AffectedSOPClassUID = request.AffectedSOPClassUID
        # PS3.7 10.1.5.1.4: only in a success response, and then always.
        if code_to_category(code) in _WITH_DATA:
            uid = _created_uid(request, extras, data)
            setattr(response, "AffectedSOPInstanceUID", uid)  # noqa: B010  (typed loosely)
        return
    if isinstance(request, N_EVENT_REPORT):
        copies = {
            "AffectedSOPClassUID": "AffectedSOPClassUID",
            "AffectedSOPInstanceUID": "AffectedSOPInstanceUID",
            "EventTypeID": "EventTypeID",
        }
    else:
        # PS3.7 10.1.2-10.1.6: the response names the instance acted on.
        copies = {
            "AffectedSOPClassUID": "RequestedSOPClassUID",
            "AffectedSOPInstanceUID": "RequestedSOPInstanceUID",
        }
        if isinstance(request, N_ACTION):
            copies["ActionTypeID"] = "ActionTypeID"
    for target, source in copies.items():
        setattr(response, target, getattr(request, source))


def _created_uid(request: N_CREATE, extras: Dataset, data: object) -> UID:
    """Return the UID of the instance an N-CREATE made: given, or assigned."""
    for candidate in (
        extras.get("AffectedSOPInstanceUID"),
        request.AffectedSOPInstanceUID,
        data.get("SOPInstanceUID") if isinstance(data, Dataset) else None,
    ):
        if candidate:
            return UID(str(candidate))
    _LOGGER.warning(
        "The N-CREATE request named no instance and the handler returned no "
        "'AffectedSOPInstanceUID': assigning one"
    )
    return generate_uid(prefix=None)  # 2.25 + a UUID (PS3.5 B.2)


def _copy_extras(response: DimsePrimitive, extras: Dataset, name: str) -> None:
    allowed = type(response).STATUS_OPTIONAL_KEYWORDS
    for elem in extras:
        keyword = elem.keyword
        # Status is set already; an N-CREATE's instance UID was placed above.
        if keyword == "Status" or (
            keyword == "AffectedSOPInstanceUID" and isinstance(response, N_CREATE)
        ):
            continue
        if keyword not in allowed:
            if keyword == "AttributeIdentifierList":
                # PS3.7 10.1.5/10.1.6: N-CREATE and N-DELETE responses have
                # no such field; the status code says enough.
                _LOGGER.debug("%s response: Attribute Identifier List dropped", name)
                continue
            _LOGGER.warning(
                "The %s handler's status has '%s', which the response cannot "
                "carry: ignored",
                name,
                keyword,
            )
            continue
        try:
            setattr(response, keyword, elem.value)
        except (TypeError, ValueError) as exc:
            _LOGGER.warning("Status element '%s' ignored: %s", keyword, exc)
