"""Query/Retrieve SCP: the pieces C-FIND, C-GET and C-MOVE share, and C-FIND.

The handler bound to ``evt.EVT_C_FIND`` (``EVT_C_GET``, ``EVT_C_MOVE``) is a
generator; the service runs it on the association's owner thread and turns
what it yields into responses (PS3.7 9.1.2-9.1.4). Between responses the
service lets the association take in what the peer sent, so that a C-CANCEL
(PS3.7 9.3.2.3, 9.3.3.3, 9.3.4.3) is seen while the handler still runs; the
handler can look too, through ``event.is_cancelled``.
"""

from __future__ import annotations

import logging
from io import BytesIO
from typing import TYPE_CHECKING, Any, Final

from pydicom.dataset import Dataset
from pydicom.uid import UID

from dicomnet import events as evt
from dicomnet._sop_registry import uid_to_service_class
from dicomnet.errors import DicomnetError
from dicomnet.service_class import QueryRetrieveServiceClass
from dicomnet.services._respond import message_context, send_response
from dicomnet.services._status import apply_status
from dicomnet.services.storage import encode_dataset
from dicomnet.status import (
    STATUS_PENDING,
    STATUS_UNKNOWN,
    STATUS_WARNING,
    StatusTable,
)

if TYPE_CHECKING:
    from collections.abc import Generator, Iterator

    from dicomnet.dimse.connection import DimseMessage
    from dicomnet.dimse.primitives import C_FIND, C_GET, DimsePrimitive
    from dicomnet.protocol import AssociationProtocol

__all__ = [
    "CANCEL",
    "FIND_HANDLER_FAILURE",
    "FIND_IDENTIFIER_FAILURE",
    "SUCCESS",
    "HandlerError",
    "Responder",
    "answer_c_find",
    "iterate",
]

_LOGGER = logging.getLogger(__name__)

SUCCESS: Final = 0x0000
#: PS3.7 C.3: the operation was terminated by a C-CANCEL.
CANCEL: Final = 0xFE00
#: The C-FIND handler raised (pynetdicom's code, in PS3.4 C.4.1.1.4's
#: implementation-defined "Unable to process" range C000-CFFF).
FIND_HANDLER_FAILURE: Final = 0xC311
#: A yielded identifier could not be encoded (same range).
FIND_IDENTIFIER_FAILURE: Final = 0xC312
_FIND: Final = "evt.EVT_C_FIND"


class HandlerError(Exception):
    """The service handler raised, or yielded something unusable (logged)."""


def iterate(result: object, event_name: str) -> Generator[object, None, None]:
    """Return the items of a handler's result, raising :class:`HandlerError`.

    ``None`` (the handler returned nothing) has no items. An exception raised
    by the handler's generator is logged and becomes a :class:`HandlerError`,
    so that the service answers with its failure status.
    """
    if result is None:
        return
    try:
        iterator = iter(result)  # type: ignore[call-overload]  # (checked here)
    except TypeError as exc:
        _LOGGER.error("The %s handler returned %r, not an iterable", event_name, result)  # noqa: TRY400  (no traceback to show)
        raise HandlerError from exc
    try:
        while True:
            try:
                item = next(iterator)
            except StopIteration:
                return
            except Exception as exc:
                _LOGGER.exception("Exception in the '%s' handler", event_name)
                raise HandlerError from exc
            yield item
    finally:
        _close(iterator, event_name)


def _close(iterator: object, event_name: str) -> None:
    """Close the handler's generator now, so that its cleanup runs now."""
    close = getattr(iterator, "close", None)
    if not callable(close):
        return
    try:
        close()
    except Exception:
        _LOGGER.exception("Exception closing the '%s' handler", event_name)


def status_pair(item: object, event_name: str) -> tuple[object, object]:
    """Return a yielded ``(status, data set)`` pair, or raise :class:`HandlerError`."""
    if isinstance(item, tuple | list) and len(item) == 2:
        return item[0], item[1]
    _LOGGER.error(
        "The %s handler yielded %r, not a (status, dataset) pair", event_name, item
    )
    raise HandlerError


def status_table(abstract_syntax: str, message: str) -> StatusTable:
    """Return the statuses of ``message`` for the SOP class (PS3.4, by service)."""
    service = uid_to_service_class(abstract_syntax)
    if message in service.dimse_messages():
        return service.status_table(message)
    # An unregistered SOP class served anyway: the Q/R tables (PS3.4 C.4).
    return QueryRetrieveServiceClass.status_table(message)


def category(code: int, table: StatusTable) -> str:
    """Return the category of ``code`` in ``table`` (``"Unknown"`` if absent)."""
    found = table.get(code)
    return STATUS_UNKNOWN if found is None else found[0]


class Responder:
    """Builds and sends the responses to one C-FIND, C-GET or C-MOVE request.

    Parameters
    ----------
    assoc : Association
        The association the request arrived on.
    protocol : AssociationProtocol
        Its core object (owner thread).
    message : DimseMessage
        The request.
    """

    def __init__(
        self,
        assoc: Any,  # noqa: ANN401  (the Association)
        protocol: AssociationProtocol,
        message: DimseMessage,
    ) -> None:
        self.assoc = assoc
        self.protocol = protocol
        self.message = message
        self.request: C_FIND | C_GET = message.primitive  # type: ignore[assignment]  # (routed by type)
        self.msg_id = int(self.request.MessageID or 0)
        self.syntax = UID(message.transfer_syntax)
        self.context = message_context(assoc, message)

    def attrs(self) -> dict[str, Any]:
        """Return the handler's Event attributes (``_is_cancelled`` included)."""
        return {
            "request": self.request,
            "context": self.context,
            "_is_cancelled": self.cancelled,
        }

    def cancelled(self) -> bool:
        """Take in what arrived, then say whether the request was cancelled."""
        # PS3.7 9.3.2.3: the C-CANCEL may arrive at any time; the core notes
        # it as soon as the association reads it.
        self.assoc._poll()  # noqa: SLF001  (owner thread: read without waiting)
        return self.protocol.cancel_requested(self.msg_id)

    def new(self) -> Any:  # noqa: ANN401  (the request's own primitive class)
        """Return a fresh response to the request (PS3.7 9.3.2.2 and after)."""
        response = type(self.request)()
        response.MessageIDBeingRespondedTo = self.msg_id
        response.AffectedSOPClassUID = self.request.AffectedSOPClassUID
        return response

    def encode(self, dataset: object) -> BytesIO | None:
        """Encode an identifier in the context's transfer syntax; None if it fails."""
        if not isinstance(dataset, Dataset):
            _LOGGER.error("The identifier to send is %r, not a Dataset", dataset)
            return None
        try:
            return BytesIO(encode_dataset(dataset, self.syntax))
        except ValueError:
            _LOGGER.exception("Failed to encode the response's identifier")
            return None

    def send(self, response: DimsePrimitive) -> bool:
        """Send ``response`` now; False if the association has ended."""
        if not self.assoc.is_established:
            return False  # a handler released or aborted: nothing more goes out
        try:
            send_response(self.assoc, self.protocol, self.message.context_id, response)
        except DicomnetError as exc:
            _LOGGER.error("Could not send the response: %s", exc)  # noqa: TRY400  (no traceback to show)
            return False
        # Out at once, not when the handler is done: the peer sees each
        # Pending response while matching continues.
        self.assoc._poll()  # noqa: SLF001
        return True

    def send_status(self, code: int) -> bool:
        """Send a response carrying only ``code``."""
        response = self.new()
        response.Status = code
        return self.send(response)


# -- C-FIND (PS3.4 C.4.1.3) ------------------------------------------------------


def answer_c_find(
    assoc: Any,  # noqa: ANN401  (the Association)
    protocol: AssociationProtocol,
    message: DimseMessage,
) -> None:
    """Run the EVT_C_FIND handler and send its matches (PS3.7 9.1.2, PS3.4 C.4.1.3).

    Parameters
    ----------
    assoc : Association
        The association the request arrived on.
    protocol : AssociationProtocol
        Where the responses go.
    message : DimseMessage
        The C-FIND request.
    """
    respond = Responder(assoc, protocol, message)
    try:
        try:
            result = assoc._trigger(evt.EVT_C_FIND, respond.attrs())  # noqa: SLF001
        except Exception:
            _LOGGER.exception("Exception in the 'evt.EVT_C_FIND' handler")
            respond.send_status(FIND_HANDLER_FAILURE)
            return
        items = iterate(result, _FIND)
        try:
            if _send_matches(respond, items):
                # PS3.4 C.4.1.3: Success once every match was sent.
                respond.send_status(SUCCESS)
        finally:
            items.close()
    finally:
        protocol.forget_request(respond.msg_id)


def _send_matches(respond: Responder, items: Iterator[object]) -> bool:
    """Send a response per yielded match; True if a final Success is due."""
    table = status_table(respond.message.abstract_syntax, "C-FIND")
    try:
        for item in items:
            if not respond.assoc.is_established:
                return False  # the handler released or aborted
            if not _answer_match(respond, table, item):
                return False
    except HandlerError:
        respond.send_status(FIND_HANDLER_FAILURE)
        return False
    return respond.assoc.is_established is True


def _answer_match(respond: Responder, table: StatusTable, item: object) -> bool:
    """Send the response for one yield; whether matching goes on."""
    status, identifier = status_pair(item, _FIND)
    response = respond.new()
    apply_status(response, status, _FIND)
    kind = category(int(response.Status), table)
    if kind == STATUS_PENDING:
        if respond.cancelled():
            # PS3.4 C.4.1.3: stop matching and answer Cancel.
            respond.send_status(CANCEL)
            return False
        response.Identifier = respond.encode(identifier)
        if response.Identifier is None:
            respond.send_status(FIND_IDENTIFIER_FAILURE)
            return False
    elif kind != STATUS_WARNING:
        # Success, Cancel, Failure, or a status we cannot place: the last
        # response (PS3.7 9.1.2.1.6). A Warning is sent, and matching goes on.
        respond.send(response)
        return False
    return respond.send(response)
