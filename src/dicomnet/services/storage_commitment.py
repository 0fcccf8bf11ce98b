"""The Storage Commitment Service Class, Push Model (PS3.4 Annex J).

A Storage Commitment SCU asks an SCP (an archive) to commit to keeping SOP
instances it stored: an N-ACTION *Request Storage Commitment* on the
well-known SOP instance (J.3.2), which the SCP acknowledges at once. The
result comes later as an N-EVENT-REPORT (J.3.3): Event Type 1 when every
instance is committed, 2 when some failed. The SCP sends it on the same
association if it is still open, otherwise on a new association it requests
to the SCU, proposing the SCP role for the SOP class (J.3.3.1.3: the roles
are reversed with respect to the association's).

SCU side: :func:`request_commitment` sends the request; a
:class:`CommitmentListener` bound as the ``evt.EVT_N_EVENT_REPORT`` handler
(of the requesting association and of the AE's server, to cover both ways
the result may come) collects the results and lets the caller wait for one.

SCP side: :class:`StorageCommitmentSCP` answers the N-ACTION, asks a user
callback which instances it commits, and delivers the result.
"""

from __future__ import annotations

import collections
import itertools
import logging
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING, Any, Final

from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import UID, generate_uid

from dicomnet import events as evt
from dicomnet.services._n_common import (
    INVALID_ARGUMENT_VALUE,
    NO_SUCH_ACTION,
    NO_SUCH_EVENT_TYPE,
    NO_SUCH_SOP_INSTANCE,
    SUCCESS,
    failure,
    missing_attributes,
)
from dicomnet.services._n_scp import call_after_response
from dicomnet.services.normalized import ServiceProvider, send_event_reports
from dicomnet.sop_class import StorageCommitmentPushModel

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

__all__ = [
    "COMMITMENT_FAILURES_EXIST",
    "COMMITMENT_SUCCESSFUL",
    "REQUEST_STORAGE_COMMITMENT",
    "STORAGE_COMMITMENT_INSTANCE",
    "CommitmentListener",
    "CommitmentRequest",
    "CommitmentResult",
    "FailureReason",
    "InstanceReference",
    "StorageCommitmentSCP",
    "commitment_request",
    "parse_result",
    "request_commitment",
]

_LOGGER = logging.getLogger(__name__)

#: PS3.4 J.3.5: the well-known Storage Commitment Push Model SOP Instance.
STORAGE_COMMITMENT_INSTANCE: Final = UID("1.2.840.10008.1.20.1.1")
#: PS3.4 J.3.2.1.1: Action Type ID of "Request Storage Commitment".
REQUEST_STORAGE_COMMITMENT: Final = 1
#: PS3.4 J.3.3.1.1: Event Type ID of "Storage Commitment Request Successful".
COMMITMENT_SUCCESSFUL: Final = 1
#: PS3.4 J.3.3.1.1: "Storage Commitment Request Complete - Failures Exist".
COMMITMENT_FAILURES_EXIST: Final = 2
# How many finished Transaction UIDs the SCP remembers to refuse their reuse
# (J.3.3.1.2: a reported Transaction UID "shall not be reused").
_REMEMBERED: Final = 10_000


class FailureReason(IntEnum):
    """Failure Reason (0008,1197) of a Failed SOP Sequence item (PS3.3 C.14.1.1)."""

    PROCESSING_FAILURE = 0x0110
    NO_SUCH_OBJECT_INSTANCE = 0x0112
    RESOURCE_LIMITATION = 0x0213
    REFERENCED_SOP_CLASS_NOT_SUPPORTED = 0x0122
    CLASS_INSTANCE_CONFLICT = 0x0119
    DUPLICATE_TRANSACTION_UID = 0x0131


@dataclass(frozen=True, slots=True)
class InstanceReference:
    """One SOP instance of a commitment request or result (PS3.3 Table 10-11).

    Attributes
    ----------
    sop_class_uid, sop_instance_uid : str
        Referenced SOP Class UID and Referenced SOP Instance UID.
    failure_reason : int or None
        For a failed instance, its Failure Reason (:class:`FailureReason`).
    """

    sop_class_uid: str
    sop_instance_uid: str
    failure_reason: int | None = None


@dataclass(frozen=True, slots=True)
class CommitmentRequest:
    """A Storage Commitment request as the SCP received it (PS3.4 J.3.2).

    Attributes
    ----------
    transaction_uid : str
        Its Transaction UID (0008,1195).
    references : tuple of InstanceReference
        The instances to commit (Referenced SOP Sequence).
    requestor : str
        The AE title of the SCU (the association's calling AE title).
    action_information : pydicom.dataset.Dataset
        The whole Action Information.
    """

    transaction_uid: str
    references: tuple[InstanceReference, ...]
    requestor: str
    action_information: Dataset


@dataclass(frozen=True, slots=True)
class CommitmentResult:
    """A Storage Commitment result, from its N-EVENT-REPORT (PS3.4 J.3.3).

    Attributes
    ----------
    transaction_uid : str
        The Transaction UID of the request answered.
    committed : tuple of InstanceReference
        The instances the SCP commits to keep (Referenced SOP Sequence).
    failed : tuple of InstanceReference
        The others, each with its Failure Reason (Failed SOP Sequence).
    event_type : int
        :data:`COMMITMENT_SUCCESSFUL` or :data:`COMMITMENT_FAILURES_EXIST`.
    event_information : pydicom.dataset.Dataset
        The whole Event Information.
    """

    transaction_uid: str
    committed: tuple[InstanceReference, ...]
    failed: tuple[InstanceReference, ...]
    event_type: int
    event_information: Dataset

    @property
    def is_successful(self) -> bool:
        """Whether every instance was committed."""
        return self.event_type == COMMITMENT_SUCCESSFUL and not self.failed


# -- the SCU ---------------------------------------------------------------------


def commitment_request(
    references: Iterable[tuple[str, str] | InstanceReference],
    transaction_uid: str | None = None,
) -> Dataset:
    """Build the Action Information of a commitment request (PS3.4 Table J.3-1).

    Parameters
    ----------
    references : iterable
        ``(SOP Class UID, SOP Instance UID)`` pairs or references.
    transaction_uid : str, optional
        The Transaction UID; a new one by default (J.3.2.1.2: unique per
        request).

    Returns
    -------
    pydicom.dataset.Dataset

    Raises
    ------
    ValueError
        No references: the Referenced SOP Sequence is Type 1.
    """
    items = Sequence()
    for ref in references:
        class_uid, instance_uid = (
            (ref.sop_class_uid, ref.sop_instance_uid)
            if isinstance(ref, InstanceReference)
            else ref
        )
        item = Dataset()
        item.ReferencedSOPClassUID = class_uid
        item.ReferencedSOPInstanceUID = instance_uid
        items.append(item)
    if not items:
        raise ValueError("A storage commitment request needs at least one instance")
    info = Dataset()
    info.TransactionUID = transaction_uid or generate_uid(prefix=None)
    info.ReferencedSOPSequence = items
    return info


def request_commitment(
    assoc: Any,  # noqa: ANN401  (the Association)
    references: Iterable[tuple[str, str] | InstanceReference],
    transaction_uid: str | None = None,
    msg_id: int = 1,
) -> tuple[Dataset, str]:
    """Send a Storage Commitment request (N-ACTION, PS3.4 J.3.2.1.2).

    Parameters
    ----------
    assoc : Association
        An association with a Storage Commitment Push Model context.
    references : iterable
        ``(SOP Class UID, SOP Instance UID)`` pairs or references.
    transaction_uid : str, optional
        The Transaction UID; a new one by default.
    msg_id : int
        The request's Message ID.

    Returns
    -------
    tuple of (pydicom.dataset.Dataset, str)
        The N-ACTION status (Success: the SCP has the request, and the
        result will follow) and the Transaction UID the result will carry.
    """
    info = commitment_request(references, transaction_uid)
    status, _ = assoc.send_n_action(
        info,
        REQUEST_STORAGE_COMMITMENT,
        StorageCommitmentPushModel,
        STORAGE_COMMITMENT_INSTANCE,
        msg_id=msg_id,
    )
    return status, str(info.TransactionUID)


def parse_result(event_type: int | None, info: Dataset) -> CommitmentResult:
    """Read a commitment result's Event Information (PS3.4 Table J.3-2).

    Parameters
    ----------
    event_type : int
        The Event Type ID.
    info : pydicom.dataset.Dataset
        The Event Information.

    Returns
    -------
    CommitmentResult

    Raises
    ------
    ValueError
        Not a result: unknown event type, or no Transaction UID.
    """
    if event_type not in (COMMITMENT_SUCCESSFUL, COMMITMENT_FAILURES_EXIST):
        raise ValueError(f"Event Type ID {event_type} is not a commitment result")
    transaction_uid = str(info.get("TransactionUID") or "")
    if not transaction_uid:
        raise ValueError("The commitment result has no Transaction UID")
    return CommitmentResult(
        transaction_uid=transaction_uid,
        committed=tuple(_references(info.get("ReferencedSOPSequence") or ())),
        failed=tuple(_references(info.get("FailedSOPSequence") or (), failed=True)),
        event_type=int(event_type),
        event_information=info,
    )


def _references(
    items: Iterable[Dataset], *, failed: bool = False
) -> list[InstanceReference]:
    refs = []
    for item in items:
        reason = item.get("FailureReason") if failed else None
        refs.append(
            InstanceReference(
                str(item.get("ReferencedSOPClassUID") or ""),
                str(item.get("ReferencedSOPInstanceUID") or ""),
                None if reason is None else int(reason),
            )
        )
    return refs


class CommitmentListener:
    """The SCU's ``evt.EVT_N_EVENT_REPORT`` handler for commitment results.

    Bind it to the association that sends the request (``AE.associate(...,
    evt_handlers=listener.handlers())``) and to the SCU's server, where an
    SCP that reports on a new association connects (with a supported
    Storage Commitment context accepting the SCP role for the peer:
    ``add_supported_context(StorageCommitmentPushModel, scu_role=True,
    scp_role=True)``).

    Parameters
    ----------
    on_result : callable, optional
        Called with each :class:`CommitmentResult` on the association's
        thread, before the N-EVENT-REPORT response is sent; an exception
        it raises is answered with Processing Failure.
    """

    def __init__(
        self, on_result: Callable[[CommitmentResult], object] | None = None
    ) -> None:
        self._on_result = on_result
        self._results: dict[str, Future[CommitmentResult]] = {}

    def handlers(self) -> list[tuple[Any, Callable[..., object]]]:
        """Return ``[(evt.EVT_N_EVENT_REPORT, self)]`` for ``evt_handlers=``."""
        return [(evt.EVT_N_EVENT_REPORT, self)]

    def _future(self, transaction_uid: str) -> Future[CommitmentResult]:
        # dict.setdefault is atomic: the result may arrive on the
        # association's thread while the user thread starts waiting.
        return self._results.setdefault(transaction_uid, Future())

    def wait(
        self, transaction_uid: str, timeout: float | None = None
    ) -> CommitmentResult | None:
        """Wait for the result of a request.

        Parameters
        ----------
        transaction_uid : str
            The request's Transaction UID.
        timeout : float, optional
            Seconds to wait; ``None`` waits for ever.

        Returns
        -------
        CommitmentResult or None
            ``None`` when no result came in time.
        """
        try:
            return self._future(transaction_uid).result(timeout)
        except FutureTimeout:
            return None

    def __call__(self, event: Any) -> tuple[object, Dataset | None]:  # noqa: ANN401
        """Answer a commitment result N-EVENT-REPORT (PS3.4 J.3.3.1.3)."""
        if str(event.request.AffectedSOPClassUID) != StorageCommitmentPushModel:
            return failure(NO_SUCH_EVENT_TYPE, "Not a Storage Commitment report"), None
        if str(event.request.AffectedSOPInstanceUID) != STORAGE_COMMITMENT_INSTANCE:
            return failure(NO_SUCH_SOP_INSTANCE), None
        try:
            result = parse_result(event.event_type, event.event_information)
        except ValueError as exc:
            code = (
                NO_SUCH_EVENT_TYPE
                if "Event Type" in str(exc)
                else INVALID_ARGUMENT_VALUE
            )
            return failure(code, str(exc)), None
        if self._on_result is not None:
            self._on_result(result)
        future = self._future(result.transaction_uid)
        if not future.done():
            future.set_result(result)
        return SUCCESS, None


# -- the SCP ---------------------------------------------------------------------


class StorageCommitmentSCP(ServiceProvider):
    """A Storage Commitment Push Model SCP (PS3.4 J.3.2.1.3, J.3.3.1.2).

    It answers the N-ACTION request, then (after the response) asks
    ``commit`` which instances it commits and sends the result: on the
    same association when ``same_association`` and the association still
    stands, otherwise on a new association to the SCU's address in
    ``peers``.

    Parameters
    ----------
    commit : callable
        ``commit(request) -> {sop_instance_uid: failure_reason}``: the
        instances *not* committed, each with its :class:`FailureReason`;
        the others are committed. An exception fails every instance with
        Processing Failure.
    peers : mapping, optional
        ``{ae_title: (address, port)}``: where each SCU accepts associations.
    same_association : bool
        Try the requesting association first (default ``True``).
    on_report : callable, optional
        Called with the sent :class:`CommitmentResult` and the status of
        its N-EVENT-REPORT (an empty Dataset if it could not be delivered).
    """

    sop_classes = frozenset({StorageCommitmentPushModel})

    def __init__(
        self,
        commit: Callable[[CommitmentRequest], Mapping[str, int]],
        *,
        peers: Mapping[str, tuple[str, int]] | None = None,
        same_association: bool = True,
        on_report: Callable[[CommitmentResult, Dataset], object] | None = None,
    ) -> None:
        self._commit = commit
        self.peers: dict[str, tuple[str, int]] = dict(peers or {})
        self.same_association = same_association
        self._on_report = on_report
        self._used: collections.deque[str] = collections.deque(maxlen=_REMEMBERED)
        self._message_ids = itertools.count(1)

    def n_action(self, event: Any) -> tuple[object, Dataset | None]:  # noqa: ANN401
        """Accept a valid request and schedule its result (PS3.4 J.3.2.1.3)."""
        request = event.request
        if str(request.RequestedSOPInstanceUID) != STORAGE_COMMITMENT_INSTANCE:
            return failure(NO_SUCH_SOP_INSTANCE, "Not the well-known instance"), None
        if event.action_type != REQUEST_STORAGE_COMMITMENT:
            return failure(NO_SUCH_ACTION), None
        info = event.action_information
        refused = _check_request(info)
        if refused is not None:
            return refused, None
        commitment = CommitmentRequest(
            transaction_uid=str(info.TransactionUID),
            references=tuple(_references(info.ReferencedSOPSequence)),
            requestor=str(event.assoc.requestor.ae_title).strip(),
            action_information=info,
        )
        duplicate = commitment.transaction_uid in self._used
        self._used.append(commitment.transaction_uid)
        call_after_response(
            event, lambda: self._report(event.assoc, commitment, duplicate=duplicate)
        )
        return SUCCESS, None

    def result_for(
        self, request: CommitmentRequest, *, duplicate: bool = False
    ) -> CommitmentResult:
        """Decide the result of ``request`` with the ``commit`` callback.

        Parameters
        ----------
        request : CommitmentRequest
            The request.
        duplicate : bool
            Its Transaction UID was used before: every instance fails with
            Duplicate Transaction UID (PS3.3 C.14.1.1).

        Returns
        -------
        CommitmentResult
        """
        if duplicate:
            failures: Mapping[str, int] = dict.fromkeys(
                (ref.sop_instance_uid for ref in request.references),
                FailureReason.DUPLICATE_TRANSACTION_UID,
            )
        else:
            try:
                failures = self._commit(request)
            except Exception:
                _LOGGER.exception("The storage commitment callback failed")
                failures = dict.fromkeys(
                    (ref.sop_instance_uid for ref in request.references),
                    FailureReason.PROCESSING_FAILURE,
                )
        return _result(request, failures)

    def _report(
        self,
        assoc: Any,  # noqa: ANN401  (the Association)
        request: CommitmentRequest,
        *,
        duplicate: bool,
    ) -> None:
        result = self.result_for(request, duplicate=duplicate)
        status = Dataset()
        report = (
            result.event_type,
            STORAGE_COMMITMENT_INSTANCE,
            result.event_information,
        )
        if self.same_association and assoc.is_established:
            status, _ = assoc.send_n_event_report(
                result.event_information,
                result.event_type,
                StorageCommitmentPushModel,
                STORAGE_COMMITMENT_INSTANCE,
                msg_id=self._next_message_id(),
            )
        if "Status" not in status:
            # J.3.3.1.2: the SCP shall be able to report on a new association.
            status = self._report_elsewhere(assoc.ae, request.requestor, report)
        if self._on_report is not None:
            self._on_report(result, status)

    def _report_elsewhere(
        self,
        ae: Any,  # noqa: ANN401  (the ApplicationEntity)
        ae_title: str,
        report: tuple[int, str, Dataset],
    ) -> Dataset:
        address = self.peers.get(ae_title)
        if address is None:
            _LOGGER.error(
                "Cannot report the storage commitment result to '%s': its "
                "address is not in 'peers'",
                ae_title,
            )
            return Dataset()
        (status,) = send_event_reports(
            ae, address, ae_title, StorageCommitmentPushModel, [report]
        )
        return status

    def _next_message_id(self) -> int:
        return next(self._message_ids) % 0x10000 or 1


def _check_request(info: Dataset) -> Dataset | None:
    """Return the failure status of malformed Action Information (Table J.3-1)."""
    # PS3.7 10.1.4.1.10: a missing or empty argument is Invalid argument value.
    refused = missing_attributes(
        info,
        ("TransactionUID", "ReferencedSOPSequence"),
        missing=INVALID_ARGUMENT_VALUE,
        empty=INVALID_ARGUMENT_VALUE,
    )
    if refused is not None:
        return refused
    for item in info.ReferencedSOPSequence:
        refused = missing_attributes(
            item,
            ("ReferencedSOPClassUID", "ReferencedSOPInstanceUID"),
            missing=INVALID_ARGUMENT_VALUE,
            empty=INVALID_ARGUMENT_VALUE,
        )
        if refused is not None:
            return refused
    return None


def _result(
    request: CommitmentRequest, failures: Mapping[str, int]
) -> CommitmentResult:
    """Build the result's Event Information (PS3.4 Table J.3-2)."""
    info = Dataset()
    info.TransactionUID = request.transaction_uid
    committed, failed = Sequence(), Sequence()
    refs_ok, refs_failed = [], []
    for ref in request.references:
        item = Dataset()
        item.ReferencedSOPClassUID = ref.sop_class_uid
        item.ReferencedSOPInstanceUID = ref.sop_instance_uid
        reason = failures.get(ref.sop_instance_uid)
        if reason is None:
            committed.append(item)
            refs_ok.append(ref)
        else:
            item.FailureReason = int(reason)
            failed.append(item)
            refs_failed.append(
                InstanceReference(ref.sop_class_uid, ref.sop_instance_uid, int(reason))
            )
    # J.3.3.1.2: both event types reference every instance of the request.
    if committed:
        info.ReferencedSOPSequence = committed
    if failed:
        info.FailedSOPSequence = failed
    return CommitmentResult(
        transaction_uid=request.transaction_uid,
        committed=tuple(refs_ok),
        failed=tuple(refs_failed),
        event_type=COMMITMENT_FAILURES_EXIST if failed else COMMITMENT_SUCCESSFUL,
        event_information=info,
    )
