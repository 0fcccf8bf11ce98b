"""The Media Creation Management Service Class (PS3.4 Annex S).

An SCU asks a device to write instances to interchange media (CD, DVD...):
it creates a Media Creation Management SOP Instance listing them (N-CREATE,
S.3.2.1), starts the creation (N-ACTION Initiate, S.3.2.2) or cancels it
(N-ACTION Cancel, S.3.2.3), and follows it with N-GET (Execution Status,
S.3.2.4).

SCP side: :class:`MediaCreationSCP` keeps the requests and runs a callback
that writes the media once the Initiate request is answered.
"""

from __future__ import annotations

import copy
import logging
from typing import TYPE_CHECKING, Any, Final

from pydicom.dataset import Dataset
from pydicom.uid import generate_uid

from dicomnet.services._n_common import (
    DUPLICATE_SOP_INSTANCE,
    INVALID_ARGUMENT_VALUE,
    NO_SUCH_ACTION,
    NO_SUCH_SOP_INSTANCE,
    SUCCESS,
    failure,
    missing_attributes,
    select_attributes,
)
from dicomnet.services._n_scp import call_after_response
from dicomnet.services.normalized import ServiceProvider
from dicomnet.sop_class import MediaCreationManagement

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "ALREADY_COMPLETED",
    "ALREADY_INITIATED",
    "CANCEL",
    "CANCEL_DENIED",
    "INITIATE",
    "IN_PROGRESS",
    "MediaCreationSCP",
]

_LOGGER = logging.getLogger(__name__)

# PS3.4 S.3.2.2.1 / S.3.2.3.1: Action Type IDs.
INITIATE: Final = 1
CANCEL: Final = 2
# PS3.4 S.3.2.1.4, S.3.2.2.4, S.3.2.3.4: the service's failure statuses.
ALREADY_INITIATED: Final = 0xA510
ALREADY_COMPLETED: Final = 0xC201
IN_PROGRESS: Final = 0xC202
CANCEL_DENIED: Final = 0xC203
# PS3.3 C.22.1: Execution Status values.
_IDLE, _PENDING, _CREATING, _DONE, _FAILURE = (
    "IDLE",
    "PENDING",
    "CREATING",
    "DONE",
    "FAILURE",
)
# Table S.3.2.1-1: the instances to write (Type 1 in the N-CREATE).
_REFERENCE_TYPE1: Final = ("ReferencedSOPClassUID", "ReferencedSOPInstanceUID")
_PRIORITIES: Final = frozenset({"HIGH", "MED", "LOW"})


class MediaCreationSCP(ServiceProvider):
    """A Media Creation Management SCP (PS3.4 S.3.2).

    Parameters
    ----------
    create_media : callable
        ``create_media(request) -> pieces``: writes the media for the
        request's attributes (after the Initiate response) and returns how
        many pieces were written; an exception marks it FAILURE with the
        exception's text as Execution Status Info.

    Attributes
    ----------
    requests : dict
        The requests by SOP Instance UID, with their Execution Status.
    """

    sop_classes = frozenset({MediaCreationManagement})

    def __init__(self, create_media: Callable[[Dataset], int]) -> None:
        self._create_media = create_media
        self.requests: dict[str, Dataset] = {}

    def n_create(self, event: Any) -> tuple[object, Dataset | None]:  # noqa: ANN401
        """Record a media creation request (S.3.2.1.3)."""
        uid = str(event.request.AffectedSOPInstanceUID or generate_uid(prefix=None))
        if uid in self.requests:
            return failure(DUPLICATE_SOP_INSTANCE), None
        attrs = copy.deepcopy(event.attribute_list)
        refused = missing_attributes(attrs, ("ReferencedSOPSequence",))
        for item in attrs.get("ReferencedSOPSequence") or ():
            refused = refused or missing_attributes(item, _REFERENCE_TYPE1)
        if refused is not None:
            return refused, None
        attrs.SOPClassUID = MediaCreationManagement
        attrs.SOPInstanceUID = uid
        attrs.ExecutionStatus = _IDLE
        self.requests[uid] = attrs
        status = Dataset()
        status.Status = SUCCESS
        status.AffectedSOPInstanceUID = uid
        return status, copy.deepcopy(attrs)

    def n_action(self, event: Any) -> tuple[object, Dataset | None]:  # noqa: ANN401
        """Initiate (S.3.2.2.3) or cancel (S.3.2.3.3) a media creation."""
        request = self.requests.get(str(event.request.RequestedSOPInstanceUID))
        if request is None:
            return failure(NO_SUCH_SOP_INSTANCE), None
        if event.action_type == INITIATE:
            return self._initiate(event, request), None
        if event.action_type == CANCEL:
            return _cancel(request), None
        return failure(NO_SUCH_ACTION), None

    def n_get(self, event: Any) -> tuple[object, Dataset | None]:  # noqa: ANN401
        """Return a request's attributes and status (S.3.2.4.3)."""
        request = self.requests.get(str(event.request.RequestedSOPInstanceUID))
        if request is None:
            return failure(NO_SUCH_SOP_INSTANCE), None
        code, attrs, unknown = select_attributes(request, event.attribute_identifiers)
        return (failure(code, attributes=unknown) if unknown else code), attrs

    def _initiate(self, event: Any, request: Dataset) -> object:  # noqa: ANN401
        if request.ExecutionStatus != _IDLE:
            return failure(ALREADY_INITIATED)
        info = event.action_information
        priority = info.get("RequestPriority")
        copies = info.get("NumberOfCopies", 1)
        if priority not in (None, "", *_PRIORITIES) or not (
            isinstance(copies, int) and copies > 0
        ):
            return failure(
                INVALID_ARGUMENT_VALUE, "Request Priority or Number of Copies"
            )
        request.update(info)
        request.ExecutionStatus = _PENDING
        call_after_response(event, lambda: self._run(request))
        return SUCCESS

    def _run(self, request: Dataset) -> None:
        if request.ExecutionStatus != _PENDING:
            return  # canceled meanwhile
        request.ExecutionStatus = _CREATING
        try:
            pieces = self._create_media(copy.deepcopy(request))
        except Exception:
            _LOGGER.exception("Media creation failed")
            request.ExecutionStatus = _FAILURE
            request.ExecutionStatusInfo = "UNKNOWN"  # PS3.3 C.22.1.1: a CS term
            return
        request.TotalNumberOfPiecesOfMediaCreated = int(pieces)
        request.ExecutionStatus = _DONE


def _cancel(request: Dataset) -> object:
    state = request.ExecutionStatus
    if state == _DONE:
        return failure(ALREADY_COMPLETED)
    if state == _CREATING:
        return failure(IN_PROGRESS)
    if state == _FAILURE:
        return failure(CANCEL_DENIED, "The creation already failed")
    request.ExecutionStatus = _FAILURE
    request.ExecutionStatusInfo = "CANCELED"  # S.3.2.3.3: retrievable by N-GET
    return SUCCESS
