"""The Application Event Logging Service Class (PS3.4 Annex P).

Devices taking part in a procedure report its events to a logger: an
N-ACTION "Record" (Action Type 1) on the well-known instance of the
Procedural Event Logging SOP Class (P.2) or of the Substance Administration
Logging SOP Class (P.3), the event being an SR content tree.

SCU side: :func:`log_event`. SCP side: :class:`EventLogSCP`, which checks
the request and hands each event to a callback.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Final

from pydicom.uid import UID

from dicomnet.services._n_common import (
    INVALID_ARGUMENT_VALUE,
    NO_SUCH_ACTION,
    NO_SUCH_SOP_INSTANCE,
    PROCESSING_FAILURE,
    SUCCESS,
    failure,
    missing_attributes,
    requested_sop_class,
)
from dicomnet.services.normalized import ServiceProvider
from dicomnet.sop_class import ProceduralEventLogging, SubstanceAdministrationLogging

if TYPE_CHECKING:
    from collections.abc import Callable

    from pydicom.dataset import Dataset

__all__ = [
    "FRAME_OF_REFERENCE_MISMATCH",
    "PROCEDURAL_EVENT_LOGGING_INSTANCE",
    "RECORD",
    "SUBSTANCE_ADMINISTRATION_LOGGING_INSTANCE",
    "EventLogSCP",
    "log_event",
]

_LOGGER = logging.getLogger(__name__)

#: PS3.4 P.2.3 / P.3.3 (PS3.6 Table A-1): the well-known instances.
PROCEDURAL_EVENT_LOGGING_INSTANCE: Final = UID("1.2.840.10008.1.40.1")
SUBSTANCE_ADMINISTRATION_LOGGING_INSTANCE: Final = UID("1.2.840.10008.1.42.1")
#: Table P.2-2 / P.3-2: Action Type ID of "Record ... Event".
RECORD: Final = 1
#: Table P.3-1 (warning): the event's Synchronization Frame of Reference UID
#: is not the SCP's.
FRAME_OF_REFERENCE_MISMATCH: Final = 0xB101

_INSTANCES: Final[dict[str, UID]] = {
    ProceduralEventLogging: PROCEDURAL_EVENT_LOGGING_INSTANCE,
    SubstanceAdministrationLogging: SUBSTANCE_ADMINISTRATION_LOGGING_INSTANCE,
}
# Table P.2-2: the study matching attributes a procedural event carries,
# possibly empty (Type 2), and the top SR content item (Type 1).
_PROCEDURAL_TYPE2: Final = (
    "PatientID",
    "StudyInstanceUID",
    "StudyID",
    "SynchronizationFrameOfReferenceUID",
    "PerformedLocation",
)
_CONTENT_TYPE1: Final = ("ValueType", "ConceptNameCodeSequence")


def log_event(
    assoc: Any,  # noqa: ANN401  (the Association)
    event: Dataset,
    sop_class: str = ProceduralEventLogging,
    msg_id: int = 1,
) -> Dataset:
    """Send an event to the logger (N-ACTION Record, PS3.4 P.2.2 / P.3.2).

    Parameters
    ----------
    assoc : Association
        With an accepted context of ``sop_class``.
    event : pydicom.dataset.Dataset
        The Action Information: identifiers and the SR content tree.
    sop_class : str
        Procedural Event Logging (default) or Substance Administration
        Logging.
    msg_id : int
        The request's Message ID.

    Returns
    -------
    pydicom.dataset.Dataset
        The status.
    """
    status, _ = assoc.send_n_action(
        event, RECORD, sop_class, _INSTANCES[sop_class], msg_id
    )
    result: Dataset = status
    return result


class EventLogSCP(ServiceProvider):
    """An Application Event Logging SCP (PS3.4 P.2.4, P.3.4).

    Parameters
    ----------
    record : callable
        ``record(sop_class, event, ae_title)`` for each valid event; it may
        return a status (``None`` is Success); an exception gives Processing
        Failure.
    frame_of_reference : str, optional
        The SCP's Synchronization Frame of Reference UID: an event timed in
        another one is logged with warning B101 (P.2.4).
    """

    sop_classes = frozenset(_INSTANCES)

    def __init__(
        self,
        record: Callable[[str, Dataset, str], object],
        *,
        frame_of_reference: str | None = None,
    ) -> None:
        self._record = record
        self.frame_of_reference = frame_of_reference

    def n_action(self, event: Any) -> tuple[object, Dataset | None]:  # noqa: ANN401
        """Check and record one event."""
        sop_class = requested_sop_class(event.request)
        refused = _refusal(event, sop_class)
        if refused is not None:
            return refused, None
        info = event.action_information
        try:
            status = self._record(
                sop_class, info, str(event.assoc.remote["ae_title"]).strip()
            )
        except Exception:
            _LOGGER.exception("The event logging callback failed")
            return PROCESSING_FAILURE, None
        if status is not None:
            return status, None
        frame = info.get("SynchronizationFrameOfReferenceUID")
        if self.frame_of_reference and frame and frame != self.frame_of_reference:
            return FRAME_OF_REFERENCE_MISMATCH, None
        return SUCCESS, None


def _refusal(event: Any, sop_class: str) -> Dataset | None:  # noqa: ANN401
    """Return the refusal of a malformed Record request, if any."""
    if str(event.request.RequestedSOPInstanceUID) != _INSTANCES.get(sop_class):
        return failure(NO_SUCH_SOP_INSTANCE, "Not the well-known instance")
    if event.action_type != RECORD:
        return failure(NO_SUCH_ACTION)
    type2 = _PROCEDURAL_TYPE2 if sop_class == ProceduralEventLogging else ()
    # PS3.7 10.1.4.1.10: Action Information is made of arguments.
    return missing_attributes(
        event.action_information,
        _CONTENT_TYPE1,
        type2,
        missing=INVALID_ARGUMENT_VALUE,
        empty=INVALID_ARGUMENT_VALUE,
    )
