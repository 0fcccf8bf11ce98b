"""Reporting an association's traffic to the notification events that observe it.

``EVT_PDU_RECV``/``EVT_PDU_SENT`` carry each PDU, ``EVT_ACSE_RECV``/
``EVT_ACSE_SENT`` the ACSE primitive of each association-level PDU (PS3.8
7.1-7.4: A-ASSOCIATE, A-RELEASE, A-ABORT, A-P-ABORT), ``EVT_DATA_RECV``/
``EVT_DATA_SENT`` the raw bytes. Observing costs something only when someone
observes: the core reports P-DATA-TF PDUs and state transitions on request,
and these functions keep those requests in step with the bound handlers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dicomnet import events as evt
from dicomnet.pdu_primitives import A_ABORT as A_ABORT_PRIMITIVE
from dicomnet.pdu_primitives import A_ASSOCIATE, A_P_ABORT, A_RELEASE
from dicomnet.ul.pdu import (
    A_ABORT,
    A_ASSOCIATE_AC,
    A_ASSOCIATE_RJ,
    A_ASSOCIATE_RQ,
    A_RELEASE_RP,
    A_RELEASE_RQ,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from dicomnet.ul.pdu import PDU

__all__ = ["acse_primitive", "refresh_reporting", "report_data", "report_pdu"]

#: PS3.8 9.3.8: A-ABORT source 2 is the service-provider (an A-P-ABORT).
_PROVIDER = 2


def report_pdu(assoc: Any, pdu: PDU, *, sent: bool) -> None:  # noqa: ANN401  (the Association)
    """Fire EVT_PDU_SENT/RECV for ``pdu``, and the ACSE event if it has a primitive."""
    assoc._trigger(evt.EVT_PDU_SENT if sent else evt.EVT_PDU_RECV, {"pdu": pdu})  # noqa: SLF001
    acse = evt.EVT_ACSE_SENT if sent else evt.EVT_ACSE_RECV
    if assoc._handlers.has_handlers(acse):  # noqa: SLF001
        primitive = acse_primitive(pdu)
        if primitive is not None:
            assoc._trigger(acse, {"primitive": primitive})  # noqa: SLF001


def acse_primitive(pdu: PDU) -> object | None:
    """Return the ACSE service primitive an association-level PDU conveys.

    ``None`` for P-DATA-TF, which belongs to the presentation service.
    """
    if isinstance(pdu, A_ASSOCIATE_RQ | A_ASSOCIATE_AC | A_ASSOCIATE_RJ):
        return A_ASSOCIATE.from_pdu(pdu)
    if isinstance(pdu, A_RELEASE_RQ | A_RELEASE_RP):
        primitive = A_RELEASE()
        if isinstance(pdu, A_RELEASE_RP):
            # PS3.8 7.2.1.1: the response's Result is always "affirmative".
            primitive.result = "affirmative"
        return primitive
    if isinstance(pdu, A_ABORT):
        if pdu.source == _PROVIDER:
            return A_P_ABORT.from_pdu(pdu)
        return A_ABORT_PRIMITIVE.from_pdu(pdu)
    return None


def report_data(
    assoc: Any,  # noqa: ANN401  (the Association)
    data: bytes | Sequence[bytes | memoryview],
    *,
    sent: bool,
) -> None:
    """Fire EVT_DATA_SENT/RECV with the bytes, when someone listens."""
    event = evt.EVT_DATA_SENT if sent else evt.EVT_DATA_RECV
    if not assoc._handlers.has_handlers(event):  # noqa: SLF001
        return
    if not isinstance(data, bytes):
        data = b"".join(data)
    assoc._trigger(event, {"data": data})  # noqa: SLF001


def refresh_reporting(assoc: Any) -> None:  # noqa: ANN401
    """Ask the core for the reports the bound handlers want (owner thread)."""
    protocol = assoc._protocol  # noqa: SLF001
    if protocol is None:
        return
    handlers = assoc._handlers  # noqa: SLF001
    protocol.report_transitions = handlers.has_handlers(evt.EVT_FSM_TRANSITION)
    protocol.report_pdata = handlers.is_observed(
        evt.EVT_PDU_RECV
    ) or handlers.is_observed(evt.EVT_PDU_SENT)
