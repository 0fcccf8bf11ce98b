"""The Instance Availability Notification Service Class (PS3.4 Annex R).

An AE that holds instances tells another where and how readily they can be
retrieved, by creating an Instance Availability Notification SOP Instance
(N-CREATE, R.3.2.1): the study, its series and, for each instance, its
Instance Availability and Retrieve AE Title.

SCU side: :func:`notify_availability` builds and sends the notification.
SCP side: :class:`AvailabilitySCP` checks it against Table R.3.2-1 and hands
it to a callback.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Final

from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from dicomnet.services._n_common import (
    INVALID_ATTRIBUTE_VALUE,
    PROCESSING_FAILURE,
    SUCCESS,
    failure,
    missing_attributes,
)
from dicomnet.services.normalized import ServiceProvider
from dicomnet.sop_class import InstanceAvailabilityNotification

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

__all__ = [
    "AVAILABILITIES",
    "AvailabilitySCP",
    "availability_notification",
    "check_notification",
    "notify_availability",
]

_LOGGER = logging.getLogger(__name__)

#: PS3.3 C.4.23.1.1: the Enumerated Values of Instance Availability.
AVAILABILITIES: Final = frozenset({"ONLINE", "NEARLINE", "OFFLINE", "UNAVAILABLE"})
# PS3.4 Table R.3.2-1: what the SCU shall send (1) or send possibly empty (2).
_TOP_TYPE1: Final = ("StudyInstanceUID", "ReferencedSeriesSequence")
_TOP_TYPE2: Final = ("ReferencedPerformedProcedureStepSequence",)
_SERIES_TYPE1: Final = ("SeriesInstanceUID", "ReferencedSOPSequence")
_INSTANCE_TYPE1: Final = (
    "ReferencedSOPClassUID",
    "ReferencedSOPInstanceUID",
    "InstanceAvailability",
    "RetrieveAETitle",
)


def availability_notification(
    study_uid: str,
    instances: Iterable[tuple[str, str, str]],
    retrieve_ae: str,
    availability: str = "ONLINE",
) -> Dataset:
    """Build the N-CREATE Attribute List of a notification (Table R.3.2-1).

    Parameters
    ----------
    study_uid : str
        The study all the instances are part of.
    instances : iterable of (str, str, str)
        ``(series UID, SOP class UID, SOP instance UID)`` of each instance.
    retrieve_ae : str
        Where they can be retrieved.
    availability : str
        One of :data:`AVAILABILITIES`.

    Returns
    -------
    pydicom.dataset.Dataset
    """
    by_series: dict[str, Sequence] = {}
    for series_uid, class_uid, instance_uid in instances:
        item = Dataset()
        item.ReferencedSOPClassUID = class_uid
        item.ReferencedSOPInstanceUID = instance_uid
        item.InstanceAvailability = availability
        item.RetrieveAETitle = retrieve_ae
        by_series.setdefault(series_uid, Sequence()).append(item)
    ds = Dataset()
    ds.ReferencedPerformedProcedureStepSequence = Sequence()
    ds.StudyInstanceUID = study_uid
    series = Sequence()
    for series_uid, items in by_series.items():
        entry = Dataset()
        entry.SeriesInstanceUID = series_uid
        entry.ReferencedSOPSequence = items
        series.append(entry)
    ds.ReferencedSeriesSequence = series
    return ds


def notify_availability(
    assoc: Any,  # noqa: ANN401  (the Association)
    notification: Dataset,
    instance_uid: str | None = None,
    msg_id: int = 1,
) -> Dataset:
    """Send a notification (N-CREATE, PS3.4 R.3.2.1.2); return the status."""
    status, _ = assoc.send_n_create(
        notification, InstanceAvailabilityNotification, instance_uid, msg_id
    )
    result: Dataset = status
    return result


class AvailabilitySCP(ServiceProvider):
    """An Instance Availability Notification SCP (PS3.4 R.3.2.1.3).

    Parameters
    ----------
    on_notification : callable
        ``on_notification(attributes, ae_title)`` with each valid
        notification and the notifying AE's title; an exception gives
        Processing Failure.
    """

    sop_classes = frozenset({InstanceAvailabilityNotification})

    def __init__(self, on_notification: Callable[[Dataset, str], object]) -> None:
        self._on_notification = on_notification

    def n_create(self, event: Any) -> tuple[object, Dataset | None]:  # noqa: ANN401
        """Check a notification and pass it on."""
        attrs = event.attribute_list
        refused = check_notification(attrs)
        if refused is not None:
            return refused, None
        try:
            self._on_notification(attrs, str(event.assoc.remote["ae_title"]).strip())
        except Exception:
            _LOGGER.exception("The availability notification callback failed")
            return PROCESSING_FAILURE, None
        return SUCCESS, None


def check_notification(attrs: Dataset) -> Dataset | None:
    """Return the refusal of a notification's Attribute List, if any (R.3.2-1)."""
    refused = missing_attributes(attrs, _TOP_TYPE1, _TOP_TYPE2)
    for series in attrs.get("ReferencedSeriesSequence") or ():
        refused = refused or missing_attributes(series, _SERIES_TYPE1)
        for item in series.get("ReferencedSOPSequence") or ():
            refused = refused or missing_attributes(item, _INSTANCE_TYPE1)
            if refused is None and item.InstanceAvailability not in AVAILABILITIES:
                refused = failure(
                    INVALID_ATTRIBUTE_VALUE,
                    f"Instance Availability {item.InstanceAvailability!r}",
                )
    return refused
