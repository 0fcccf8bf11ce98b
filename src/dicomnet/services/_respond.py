"""Sending a service's response: the one place that also reports EVT_DIMSE_SENT."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from pydicom.uid import UID

from dicomnet import events as evt
from dicomnet.presentation import PresentationContextTuple

if TYPE_CHECKING:
    from dicomnet.dimse.connection import DimseMessage
    from dicomnet.dimse.primitives import DimsePrimitive
    from dicomnet.protocol import AssociationProtocol

__all__ = ["message_context", "send_response"]


def send_response(
    assoc: Any,  # noqa: ANN401  (the Association: API ring, typed loosely)
    protocol: AssociationProtocol,
    context_id: int,
    response: DimsePrimitive,
) -> None:
    """Send ``response`` on ``context_id``, then fire ``EVT_DIMSE_SENT``.

    Parameters
    ----------
    assoc : Association
        Whose handlers hear of the message.
    protocol : AssociationProtocol
        The association's core object (owner thread only).
    context_id : int
        The presentation context of the request answered (PS3.7 9.1.1).
    response : DimsePrimitive
        The response primitive.

    Raises
    ------
    LocalProtocolError
        The response cannot be sent (from the protocol); nothing is reported.
    """
    protocol.send_message(context_id, response, response=True, now=time.monotonic())
    context = assoc._context_tuple(context_id)  # noqa: SLF001
    assoc._trigger(evt.EVT_DIMSE_SENT, {"message": response, "context": context})  # noqa: SLF001


def message_context(
    assoc: Any,  # noqa: ANN401  (the Association)
    message: DimseMessage,
) -> PresentationContextTuple:
    """Return the presentation context of ``message`` as events carry it.

    The association keeps one tuple per accepted context (building UIDs per
    message costs more than the rest of a small C-STORE's dispatch).
    """
    getter = getattr(assoc, "_context_tuple", None)
    context = None if getter is None else getter(message.context_id)
    if context is None:
        context = PresentationContextTuple(
            message.context_id,
            UID(message.abstract_syntax),
            UID(message.transfer_syntax),
        )
    return context
