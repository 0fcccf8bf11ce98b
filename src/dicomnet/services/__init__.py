"""Service classes of PS3.4, one module each; this module routes requests to them.

A request arrives on the association's owner thread as a DIMSE message; the
service it belongs to is found from the message (its primitive and the
context's abstract syntax). Services answer through the protocol object.
Services not implemented yet answer "unrecognized operation" (PS3.7 C.4.x
general status 0x0211) so that a peer is never left waiting.

A service module is imported when the first request of its kind arrives, not
by ``import dicomnet``: a storage SCU never loads Query/Retrieve or the
DIMSE-N services. The answer function found for a primitive type is cached,
so the import statement runs once per type, not once per message.
"""

from __future__ import annotations

import importlib
import logging
import time
from typing import TYPE_CHECKING, Any

from dicomnet.dimse.primitives import (
    C_CANCEL,
    C_ECHO,
    C_FIND,
    C_GET,
    C_MOVE,
    C_STORE,
    NORMALIZED_REQUESTS,
)
from dicomnet.errors import LocalProtocolError
from dicomnet.services._respond import send_response

if TYPE_CHECKING:
    from collections.abc import Callable

    from dicomnet.dimse.connection import DimseMessage
    from dicomnet.dimse.primitives import DimsePrimitive
    from dicomnet.protocol import AssociationProtocol

    _Answer = Callable[[Any, AssociationProtocol, DimseMessage], None]

__all__ = ["UNRECOGNIZED_OPERATION", "dispatch_request"]

_LOGGER = logging.getLogger(__name__)

#: PS3.7 Annex C (C.4.x "Unrecognized Operation"): the operation is not one
#: the two DIMSE-service-users agreed on.
UNRECOGNIZED_OPERATION = 0x0211


# Primitive type -> the function answering it, filled on first use.
_ANSWERS: dict[type[DimsePrimitive], _Answer] = {}


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
    kind = type(message.primitive)
    answer = _ANSWERS.get(kind)
    if answer is None:
        answer = _ANSWERS[kind] = _find_answer(message.primitive)
    answer(assoc, protocol, message)


def _find_answer(request: DimsePrimitive) -> _Answer:  # noqa: PLR0911  (one per service)
    """Return the function answering `request`, importing its service module."""
    # Imports below: each service module loads on its first request only.
    if isinstance(request, C_STORE):
        from dicomnet.services.storage import answer_c_store  # noqa: PLC0415

        return answer_c_store
    if isinstance(request, C_ECHO):
        from dicomnet.services.verification import answer_c_echo  # noqa: PLC0415

        return answer_c_echo
    # -- Query/Retrieve (PS3.4 Annex C); C_MOVE first: it is a C_GET subclass --
    if isinstance(request, C_FIND | C_MOVE | C_GET):
        from dicomnet.services import query_retrieve as qr  # noqa: PLC0415

        if isinstance(request, C_FIND):
            return qr.answer_c_find
        return qr.answer_c_move if isinstance(request, C_MOVE) else qr.answer_c_get
    # -- the DIMSE-N services (PS3.7 10; services/normalized.py) --
    if isinstance(request, NORMALIZED_REQUESTS):
        from dicomnet.services.normalized import answer_normalized  # noqa: PLC0415

        return answer_normalized
    if isinstance(request, C_CANCEL):
        return _answer_c_cancel
    return _answer_unsupported


def _answer_c_cancel(
    assoc: Any,  # noqa: ANN401, ARG001  (the dispatch signature)
    protocol: AssociationProtocol,
    message: DimseMessage,
) -> None:
    # Dispatched only when no service runs: the request it names is over
    # (or never was). Forget it, or a later request reusing that Message
    # ID would be taken as cancelled (PS3.7 9.3.2.3).
    request = message.primitive
    message_id = int(request.MessageIDBeingRespondedTo or 0)
    protocol.forget_request(message_id)
    _LOGGER.debug("C-CANCEL for message %s: nothing is running", message_id)


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


# The service modules ``import dicomnet`` loaded before they became lazy:
# ``dicomnet.services.storage`` after a bare ``import dicomnet.services``
# still works, importing the module on first access (PEP 562).
_LAZY_SUBMODULES = frozenset(
    (
        "_bulk_data",
        "_n_common",
        "_n_scp",
        "_n_scu",
        "_qr_retrieve",
        "_qr_scp",
        "_qr_scu",
        "_status",
        "normalized",
        "query_retrieve",
        "storage",
        "verification",
    )
)


def __getattr__(name: str) -> Any:  # noqa: ANN401  (a module)
    if name in _LAZY_SUBMODULES:
        # import_module binds the submodule here: later accesses skip this.
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
