"""The DIMSE-N services (PS3.7 10) shared by the normalized service classes.

SCU: :func:`send_n_action`, :func:`send_n_create`, :func:`send_n_delete`,
:func:`send_n_event_report`, :func:`send_n_get` and :func:`send_n_set` (the
``Association.send_n_*`` methods delegate here).

SCP: :func:`answer_normalized` runs the ``evt.EVT_N_*`` handler of a
request and sends its response. Handlers may be written by hand
(pynetdicom's contract) or come from a :class:`ServiceProvider`: the
reference SCPs of :mod:`dicomnet.services` (Storage Commitment, MPPS, UPS,
Print Management...) implement PS3.4's behaviour as providers, and
:func:`route` binds several of them to one AE, each request going to the
provider of its SOP class.

Helpers: :func:`call_after_response` (work that must follow a response,
such as an N-EVENT-REPORT), :func:`send_event_reports` (notifications on a
new association, as the SCP of an event SOP class), :func:`failure` and
:func:`missing_attributes` (statuses for handlers).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, ClassVar

from pydicom.dataset import Dataset

from dicomnet import events as evt
from dicomnet.dimse.primitives import (
    NORMALIZED_REQUESTS,
)
from dicomnet.presentation import build_context, build_role
from dicomnet.services._n_common import (
    ATTRIBUTE_LIST_ERROR,
    ATTRIBUTE_VALUE_OUT_OF_RANGE,
    CLASS_INSTANCE_CONFLICT,
    DUPLICATE_INVOCATION,
    DUPLICATE_SOP_INSTANCE,
    INVALID_ARGUMENT_VALUE,
    INVALID_ATTRIBUTE_VALUE,
    INVALID_OBJECT_INSTANCE,
    MISSING_ATTRIBUTE,
    MISSING_ATTRIBUTE_VALUE,
    MISTYPED_ARGUMENT,
    NO_SUCH_ACTION,
    NO_SUCH_ARGUMENT,
    NO_SUCH_ATTRIBUTE,
    NO_SUCH_EVENT_TYPE,
    NO_SUCH_SOP_CLASS,
    NO_SUCH_SOP_INSTANCE,
    NOT_AUTHORIZED,
    PROCESSING_FAILURE,
    RESOURCE_LIMITATION,
    SOP_CLASS_NOT_SUPPORTED,
    SUCCESS,
    UNRECOGNIZED_OPERATION,
    decode_dataset,
    failure,
    missing_attributes,
    requested_instance,
    requested_sop_class,
)
from dicomnet.services._n_scp import answer_normalized, call_after_response
from dicomnet.services._n_scu import (
    send_n_action,
    send_n_create,
    send_n_delete,
    send_n_event_report,
    send_n_get,
    send_n_set,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

__all__ = [
    "ATTRIBUTE_LIST_ERROR",
    "ATTRIBUTE_VALUE_OUT_OF_RANGE",
    "CLASS_INSTANCE_CONFLICT",
    "DUPLICATE_INVOCATION",
    "DUPLICATE_SOP_INSTANCE",
    "INVALID_ARGUMENT_VALUE",
    "INVALID_ATTRIBUTE_VALUE",
    "INVALID_OBJECT_INSTANCE",
    "MISSING_ATTRIBUTE",
    "MISSING_ATTRIBUTE_VALUE",
    "MISTYPED_ARGUMENT",
    "NORMALIZED_REQUESTS",
    "NOT_AUTHORIZED",
    "NO_SUCH_ACTION",
    "NO_SUCH_ARGUMENT",
    "NO_SUCH_ATTRIBUTE",
    "NO_SUCH_EVENT_TYPE",
    "NO_SUCH_SOP_CLASS",
    "NO_SUCH_SOP_INSTANCE",
    "PROCESSING_FAILURE",
    "RESOURCE_LIMITATION",
    "SOP_CLASS_NOT_SUPPORTED",
    "SUCCESS",
    "UNRECOGNIZED_OPERATION",
    "EventReport",
    "ServiceProvider",
    "answer_normalized",
    "call_after_response",
    "decode_dataset",
    "failure",
    "missing_attributes",
    "requested_instance",
    "requested_sop_class",
    "route",
    "send_event_reports",
    "send_n_action",
    "send_n_create",
    "send_n_delete",
    "send_n_event_report",
    "send_n_get",
    "send_n_set",
]

_LOGGER = logging.getLogger(__name__)

#: One notification: (Event Type ID, Affected SOP Instance UID, Event Information).
EventReport = tuple[int, str, Dataset | None]


class ServiceProvider:
    """Base of the reference SCPs of the DIMSE-N service classes.

    A provider answers the requests of its :attr:`sop_classes`: one method
    per DIMSE-N service, each with the signature and return value of the
    matching ``evt.EVT_N_*`` handler. The defaults refuse the operation
    (0x0211, PS3.7 C.4.18). Bind a provider with
    ``evt_handlers=provider.handlers()``, or several with :func:`route`.
    """

    #: The SOP classes (and Meta SOP Classes) whose requests it answers.
    sop_classes: ClassVar[frozenset[str]] = frozenset()

    def n_action(self, event: evt.Event) -> tuple[object, Dataset | None]:
        """Answer an N-ACTION request (``EVT_N_ACTION`` contract)."""
        return _unsupported(event), None

    def n_create(self, event: evt.Event) -> tuple[object, Dataset | None]:
        """Answer an N-CREATE request (``EVT_N_CREATE`` contract)."""
        return _unsupported(event), None

    def n_delete(self, event: evt.Event) -> object:
        """Answer an N-DELETE request (``EVT_N_DELETE`` contract)."""
        return _unsupported(event)

    def n_event_report(self, event: evt.Event) -> tuple[object, Dataset | None]:
        """Answer an N-EVENT-REPORT request (``EVT_N_EVENT_REPORT`` contract)."""
        return _unsupported(event), None

    def n_get(self, event: evt.Event) -> tuple[object, Dataset | None]:
        """Answer an N-GET request (``EVT_N_GET`` contract)."""
        return _unsupported(event), None

    def n_set(self, event: evt.Event) -> tuple[object, Dataset | None]:
        """Answer an N-SET request (``EVT_N_SET`` contract)."""
        return _unsupported(event), None

    def handlers(self) -> list[tuple[Any, Callable[..., object]]]:
        """Return the ``(event, handler)`` pairs to bind this provider alone.

        Returns
        -------
        list of tuple
            For ``evt_handlers=`` of ``AE.start_server`` or ``AE.associate``.
        """
        return route(self)


def _unsupported(event: evt.Event) -> Dataset:
    name = event.event.name[4:].replace("_", "-")
    return failure(UNRECOGNIZED_OPERATION, f"{name} is not supported here")


_METHODS: dict[Any, str] = {
    evt.EVT_N_ACTION: "n_action",
    evt.EVT_N_CREATE: "n_create",
    evt.EVT_N_DELETE: "n_delete",
    evt.EVT_N_EVENT_REPORT: "n_event_report",
    evt.EVT_N_GET: "n_get",
    evt.EVT_N_SET: "n_set",
}


def route(*providers: ServiceProvider) -> list[tuple[Any, Callable[..., object]]]:
    """Return handlers sending each DIMSE-N request to the provider of its SOP class.

    The request's SOP class is looked up first, then the presentation
    context's abstract syntax (a Meta SOP Class, PS3.4 H.3); a request no
    provider claims is refused with SOP Class not supported (0x0122).

    Parameters
    ----------
    *providers : ServiceProvider
        The providers; the first claiming a SOP class answers for it.

    Returns
    -------
    list of tuple
        ``(evt.EVT_N_*, handler)`` pairs for ``evt_handlers=``.
    """
    by_class: dict[str, ServiceProvider] = {}
    for provider in providers:
        for uid in provider.sop_classes:
            by_class.setdefault(str(uid), provider)

    def handler(event: Any) -> object:  # noqa: ANN401  (an evt.Event)
        provider = by_class.get(requested_sop_class(event.request)) or by_class.get(
            str(event.context.abstract_syntax)
        )
        if provider is None:
            refused = failure(SOP_CLASS_NOT_SUPPORTED, "No provider for this SOP Class")
            return refused if event.event is evt.EVT_N_DELETE else (refused, None)
        return getattr(provider, _METHODS[event.event])(event)

    return [(event, handler) for event in _METHODS]


def send_event_reports(  # noqa: PLR0913  (where, what, and how to negotiate)
    ae: Any,  # noqa: ANN401  (the ApplicationEntity)
    address: tuple[str, int],
    ae_title: str,
    sop_class: str,
    reports: Iterable[EventReport],
    *,
    context_class: str | None = None,
    scp_role: bool = True,
) -> list[Dataset]:
    """Send N-EVENT-REPORTs on a new association, as the event's SCP.

    The notifying SCP requests the association and, since it invokes
    N-EVENT-REPORT as the SOP class's SCP, proposes the SCP role for it
    besides the default SCU role (SCP/SCU Role Selection, PS3.7 D.3.3.4;
    PS3.4 J.3.3.1.3 describes this for Storage Commitment results). A peer
    that ignores role selection leaves the default roles, and the reports
    are sent all the same.

    Parameters
    ----------
    ae : ApplicationEntity
        The local AE that requests the association.
    address : tuple of (str, int)
        The peer's address and port.
    ae_title : str
        The peer's AE title (Called AE Title).
    sop_class : str
        The Affected SOP Class UID of the reports.
    reports : iterable of EventReport
        ``(event type ID, affected SOP instance UID, event information)``.
    context_class : str, optional
        The SOP class to negotiate, when not ``sop_class`` (UPS events go
        on a UPS Event context but name the UPS Push class, PS3.4 CC.2.4.3).
    scp_role : bool
        Propose the SCP role for the negotiated class (default ``True``).

    Returns
    -------
    list of pydicom.dataset.Dataset
        The status of each report sent, in order; empty datasets for
        reports not sent (the association could not be established or
        ended early).
    """
    pending = list(reports)
    negotiated = context_class or sop_class
    ext_neg = [build_role(negotiated, scu_role=True, scp_role=True)] if scp_role else []
    assoc = ae.associate(
        address[0],
        address[1],
        contexts=[build_context(negotiated)],
        ae_title=ae_title,
        ext_neg=ext_neg or None,
    )
    if not assoc.is_established:
        _LOGGER.error(
            "Could not associate with %s at %s:%s to send %d event report(s)",
            ae_title,
            address[0],
            address[1],
            len(pending),
        )
        return [Dataset() for _ in pending]
    statuses: list[Dataset] = []
    try:
        for msg_id, (event_type, instance, info) in enumerate(pending, start=1):
            if not assoc.is_established:
                statuses.append(Dataset())
                continue
            status, _ = assoc.send_n_event_report(
                info, event_type, sop_class, instance, msg_id, negotiated
            )
            statuses.append(status)
    finally:
        assoc.release()
    return statuses
