"""Service classes of PS3.4, one module each; this module routes requests to them.

A request arrives on the association's owner thread as a DIMSE message; the
service it belongs to is found from the message (its primitive and the
context's abstract syntax). Services answer through the protocol object.
Services not implemented yet answer "unrecognized operation" (PS3.7 C.4.x
general status 0x0211) so that a peer is never left waiting.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from dicomnet.dimse.primitives import C_CANCEL, C_ECHO, C_FIND, C_GET, C_MOVE, C_STORE
from dicomnet.errors import LocalProtocolError
from dicomnet.services._respond import send_response
from dicomnet.services.normalized import NORMALIZED_REQUESTS, answer_normalized
from dicomnet.services.query_retrieve import answer_c_find, answer_c_get, answer_c_move
from dicomnet.services.storage import answer_c_store
from dicomnet.services.verification import answer_c_echo

if TYPE_CHECKING:
    from dicomnet.dimse.connection import DimseMessage
    from dicomnet.protocol import AssociationProtocol

__all__ = ["UNRECOGNIZED_OPERATION", "dispatch_request"]

_LOGGER = logging.getLogger(__name__)

#: PS3.7 Annex C (C.4.x "Unrecognized Operation"): the operation is not one
#: the two DIMSE-service-users agreed on.
UNRECOGNIZED_OPERATION = 0x0211


def dispatch_request(
    assoc: Any,  # noqa: ANN401  (the Association: API ring, typed loosely)
    protocol: AssociationProtocol,
    message: DimseMessage,
) -> None:
    """Hand a received request to its service class.

    Parameters
    ----------
    assoc : Association
        The association (event handlers are looked up on it).
    protocol : AssociationProtocol
        Where the response goes.
    message : DimseMessage
        The request.
    """
    request = message.primitive
    if isinstance(request, C_STORE):
        answer_c_store(assoc, protocol, message)
    elif isinstance(request, C_ECHO):
        answer_c_echo(assoc, protocol, message)
    # -- Query/Retrieve (PS3.4 Annex C); C_MOVE first: it is a C_GET subclass --
    elif isinstance(request, C_FIND):
        answer_c_find(assoc, protocol, message)
    elif isinstance(request, C_MOVE):
        answer_c_move(assoc, protocol, message)
    elif isinstance(request, C_GET):
        answer_c_get(assoc, protocol, message)
    # -- end Query/Retrieve --
    # -- the DIMSE-N services (PS3.7 10; services/normalized.py) --
    elif isinstance(request, NORMALIZED_REQUESTS):
        answer_normalized(assoc, protocol, message)
    elif isinstance(request, C_CANCEL):
        # Dispatched only when no service runs: the request it names is over
        # (or never was). Forget it, or a later request reusing that Message
        # ID would be taken as cancelled (PS3.7 9.3.2.3).
        message_id = int(request.MessageIDBeingRespondedTo or 0)
        protocol.forget_request(message_id)
        _LOGGER.debug("C-CANCEL for message %s: nothing is running", message_id)
    else:
        _answer_unsupported(assoc, protocol, message)


def _answer_unsupported(
    assoc: Any,  # noqa: ANN401
    protocol: AssociationProtocol,
    message: DimseMessage,
) -> None:
    request = message.primitive
    _LOGGER.warning(
        "No service for %s on %s yet: answering 'unrecognized operation'",
        type(request).__name__,
        message.abstract_syntax,
    )
    response = type(request)()
    response.MessageIDBeingRespondedTo = request.MessageID
    for keyword in ("AffectedSOPClassUID", "AffectedSOPInstanceUID"):
        value = getattr(request, keyword, None)
        if value is not None and hasattr(response, keyword):
            setattr(response, keyword, value)
    response.Status = UNRECOGNIZED_OPERATION
    try:
        send_response(assoc, protocol, message.context_id, response)
    except LocalProtocolError:
        # No response form with these parameters (an N- request naming no
        # affected instance...): abort rather than leave the peer waiting.
        protocol.abort(time.monotonic())
