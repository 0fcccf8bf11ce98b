"""The Verification Service Class (PS3.4 Annex A): C-ECHO as SCP.

With no ``evt.EVT_C_ECHO`` handler bound the answer is Success (0x0000). A
handler returns the status: an ``int`` or a ``Dataset`` with ``Status`` (and
optionally ``ErrorComment``). A handler that raises is logged with its
traceback and answered with Processing Failure (0x0110, PS3.7 C.4.2): the
request could not be processed, and the association goes on. (pynetdicom
answers Success in that case; dicomnet reports the failure the standard has.)
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from dicomnet import events as evt
from dicomnet.dimse.primitives import C_ECHO, response_to
from dicomnet.services._respond import message_context, send_response
from dicomnet.services._status import apply_status

if TYPE_CHECKING:
    from pydicom.dataset import Dataset

    from dicomnet.dimse.connection import DimseMessage
    from dicomnet.protocol import AssociationProtocol

__all__ = [
    "PROCESSING_FAILURE",
    "SUCCESS",
    "VERIFICATION",
    "answer_c_echo",
    "send_c_echo",
]

_LOGGER = logging.getLogger(__name__)

#: The Verification SOP Class (PS3.4 A.4).
VERIFICATION = "1.2.840.10008.1.1"
SUCCESS = 0x0000
#: PS3.7 C.4.2: the request could not be processed.
PROCESSING_FAILURE = 0x0110


def answer_c_echo(
    assoc: Any,  # noqa: ANN401  (the Association)
    protocol: AssociationProtocol,
    message: DimseMessage,
) -> None:
    """Run the EVT_C_ECHO handler and send the C-ECHO response (PS3.7 9.3.5)."""
    request = message.primitive
    context = message_context(assoc, message)
    response = response_to(request)
    try:
        result = assoc._trigger(  # noqa: SLF001  (the association's own registry)
            evt.EVT_C_ECHO, {"request": request, "context": context}
        )
    except Exception:
        _LOGGER.exception("Exception in the 'evt.EVT_C_ECHO' handler")
        result = PROCESSING_FAILURE
    apply_status(response, result, "EVT_C_ECHO")
    send_response(assoc, protocol, message.context_id, response)


def send_c_echo(assoc: Any, msg_id: int = 1) -> Dataset:  # noqa: ANN401  (the Association)
    """Send a C-ECHO request; see :meth:`Association.send_c_echo`."""
    from dicomnet.association import status_dataset  # noqa: PLC0415  (cycle)

    request = C_ECHO()
    request.MessageID = msg_id
    request.AffectedSOPClassUID = VERIFICATION
    context_id = assoc._context_for(VERIFICATION)  # noqa: SLF001
    responses = assoc._send_request(context_id, request)  # noqa: SLF001
    return status_dataset(assoc._next_response(responses))  # noqa: SLF001
