"""Inventory Creation, of the Storage Management Service Class (PS3.4 Annex KK).

An SCU asks a repository to produce an Inventory of the studies it manages
(N-ACTION "Initiate" on the well-known Storage Management SOP Instance,
KK.2.2), follows it ("Request Status"), and may "Cancel", "Pause" or
"Resume" it. The repository reports by N-EVENT-REPORT (KK.2.3): "Inventory
Status" on each change of state and on request, then "Inventory Terminated
with Instances" naming the root Inventory SOP Instance, or "Inventory
Terminated without Instances". The reports go on the requesting association
while it lasts, else on a new association to the requestor (KK.2.2.2: the
Transaction UID matches requests and results across associations).

SCP side: :class:`InventorySCP` keeps the transactions and leaves the work to
the application's ``produce`` callable. The Inventory SOP Instances produced
are then read with Inventory FIND/MOVE/GET (PS3.4 Annex JJ), which are plain
C-FIND/C-MOVE/C-GET SOP classes: the generic Query/Retrieve machinery of
:mod:`dicomnet.services.query_retrieve` serves them, with ``evt.EVT_C_FIND``
/ ``EVT_C_MOVE`` / ``EVT_C_GET`` handlers bound as for any Q/R SOP class.
"""

from __future__ import annotations

import copy
import itertools
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from pydicom.dataset import Dataset

from dicomnet.services._n_common import (
    INVALID_ARGUMENT_VALUE,
    MISTYPED_ARGUMENT,
    NO_SUCH_ACTION,
    NO_SUCH_SOP_INSTANCE,
    PROCESSING_FAILURE,
    SUCCESS,
    failure,
    missing_attributes,
)
from dicomnet.services._n_scp import call_after_response
from dicomnet.services.normalized import ServiceProvider, send_event_reports
from dicomnet.sop_class import InventoryCreation, StorageManagementInstance

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Mapping

__all__ = [
    "CANCEL",
    "CANCELED",
    "COMPLETE",
    "FAILURE",
    "INITIATE",
    "INVENTORY_STATUS",
    "KEYS_NOT_SUPPORTED",
    "LEVELS",
    "PAUSE",
    "PAUSED",
    "PROCESSING",
    "REQUEST_STATUS",
    "RESUME",
    "STORAGE_MANAGEMENT_INSTANCE",
    "TERMINATED_WITHOUT_INSTANCES",
    "TERMINATED_WITH_INSTANCES",
    "InventorySCP",
    "InventoryTransaction",
]

_LOGGER = logging.getLogger(__name__)

#: KK.1.3.2: the well-known Storage Management SOP Instance.
STORAGE_MANAGEMENT_INSTANCE: Final = StorageManagementInstance

# Table KK.2-1: Action Type IDs.
INITIATE: Final = 11
REQUEST_STATUS: Final = 12
CANCEL: Final = 13
PAUSE: Final = 14
RESUME: Final = 15
# Table KK.2-2: Event Type IDs.
TERMINATED_WITH_INSTANCES: Final = 11
INVENTORY_STATUS: Final = 12
TERMINATED_WITHOUT_INSTANCES: Final = 13
# PS3.3 Table C.38.3-1: Transaction Status (0008,0417).
PROCESSING: Final = "PROCESSING"
COMPLETE: Final = "COMPLETE"
FAILURE: Final = "FAILURE"
CANCELED: Final = "CANCELED"
PAUSED: Final = "PAUSED"
_TERMINAL: Final = frozenset({COMPLETE, FAILURE, CANCELED})
#: PS3.3 Table C.38.3-1: Inventory Level (0008,0403).
LEVELS: Final = frozenset({"STUDY", "SERIES", "INSTANCE"})
#: Table KK.2.2.3-1 (warning): Key Attributes not supported for matching.
KEYS_NOT_SUPPORTED: Final = 0xB010

# Scope of Inventory Sequence item attributes that qualify the keys rather
# than being keys (PS3.3 C.38.2.1).
_NOT_KEYS: Final = frozenset(
    {
        "ExtendedMatchingMechanisms",
        "SpecificCharacterSet",
        "TimezoneOffsetFromUTC",
        "RangeMatchingSequence",
        "ListOfUIDMatchingSequence",
        "EmptyValueMatchingSequence",
        "GeneralMatchingSequence",
    }
)
# KK.2.3.1.1: how the SCU may reach the Inventory; one at least.
_ACCESS: Final = ("RetrieveAETitle", "RetrieveURL")


@dataclass(slots=True)
class InventoryTransaction:
    """One Inventory Creation request and its state (PS3.4 KK.2.1.1).

    Attributes
    ----------
    transaction_uid : str
        Its Transaction UID.
    request : pydicom.dataset.Dataset
        The Initiate Action Information (Scope of Inventory, Inventory
        Level...).
    requestor : str
        The AE title of the SCU, to report to on a new association.
    status : str
        Transaction Status: PROCESSING, PAUSED, COMPLETE, FAILURE, CANCELED.
    study_records : int
        Total Number of Study Records so far; the application may update it.
    comment : str
        Transaction Status Comment, if any.
    assoc : Association
        The association of the last request about it, where reports go
        while it is established.
    """

    transaction_uid: str
    request: Dataset
    requestor: str
    status: str = PROCESSING
    study_records: int = 0
    comment: str = ""
    assoc: Any = field(default=None, repr=False)


class InventorySCP(ServiceProvider):
    """An SCP of the Inventory Creation SOP Class (PS3.4 KK.2).

    Parameters
    ----------
    produce : callable
        ``produce(transaction) -> Dataset or None``, run after the Initiate
        response. It returns the Event Information of the produced Inventory
        (Referenced SOP Class/Instance UID of the root Inventory instance,
        Retrieve AE Title and/or Retrieve URL, Total Number of Study Records,
        Table KK.2-2), or ``None`` when the production goes on elsewhere:
        the application then calls :meth:`finish` or :meth:`fail`. An
        exception makes it FAILURE.
    levels : collection of str
        The Inventory Levels it can produce.
    matching_keys : collection of str, optional
        Keywords of the Scope of Inventory keys it can match on; others get
        the B010 warning. By default every key is supported.
    character_sets : collection of str
        Specific Character Set terms it supports in the scope.
    peers : mapping, optional
        ``{ae_title: (address, port)}`` to report on a new association once
        the requesting one has ended.

    Attributes
    ----------
    transactions : dict
        The :class:`InventoryTransaction` by Transaction UID.
    """

    sop_classes = frozenset({InventoryCreation})

    def __init__(
        self,
        produce: Callable[[InventoryTransaction], Dataset | None],
        *,
        levels: Collection[str] = LEVELS,
        matching_keys: Collection[str] | None = None,
        character_sets: Collection[str] = ("ISO_IR 100", "ISO_IR 192"),
        peers: Mapping[str, tuple[str, int]] | None = None,
    ) -> None:
        self._produce = produce
        self.levels = frozenset(levels)
        self.matching_keys = None if matching_keys is None else frozenset(matching_keys)
        self.character_sets = frozenset(character_sets)
        self.peers = dict(peers or {})
        self.transactions: dict[str, InventoryTransaction] = {}
        self._message_ids = itertools.count(1)

    def n_action(self, event: Any) -> tuple[object, Dataset | None]:  # noqa: ANN401
        """Answer an Inventory Creation request (KK.2.2.3)."""
        if str(event.request.RequestedSOPInstanceUID) != STORAGE_MANAGEMENT_INSTANCE:
            return failure(NO_SUCH_SOP_INSTANCE, "Not the well-known instance"), None
        action = event.action_type
        info = event.action_information
        if action == INITIATE:
            return self._initiate(event, info), None
        if action not in (REQUEST_STATUS, CANCEL, PAUSE, RESUME):
            return failure(NO_SUCH_ACTION), None
        return self._follow_up(event, action, info), None

    def finish(self, transaction_uid: str, information: Dataset) -> None:
        """Report the Inventory of a transaction as produced (KK.2.3.2).

        Parameters
        ----------
        transaction_uid : str
            The Transaction UID.
        information : pydicom.dataset.Dataset
            The Event Information of the produced Inventory (see ``produce``).
        """
        transaction = self.transactions[transaction_uid]
        if transaction.status in _TERMINAL:
            _LOGGER.warning("Inventory %s already ended", transaction_uid)
            return
        if not all(k in information for k in _PLACE) or not any(
            k in information for k in _ACCESS
        ):
            self.fail(transaction_uid, "The Inventory produced cannot be reached")
            return
        transaction.status = COMPLETE
        transaction.study_records = int(
            information.get("TotalNumberOfStudyRecords", transaction.study_records)
        )
        self._report(transaction, TERMINATED_WITH_INSTANCES, information)

    def fail(self, transaction_uid: str, comment: str = "") -> None:
        """Report that a transaction's Inventory could not be produced.

        Parameters
        ----------
        transaction_uid : str
            The Transaction UID.
        comment : str
            Transaction Status Comment.
        """
        transaction = self.transactions[transaction_uid]
        if transaction.status in _TERMINAL:
            _LOGGER.warning("Inventory %s already ended", transaction_uid)
            return
        transaction.status = FAILURE
        transaction.comment = comment
        self._report(transaction, TERMINATED_WITHOUT_INSTANCES)

    def _initiate(self, event: Any, info: Dataset) -> Dataset | int:  # noqa: ANN401
        refused = _required(info, ("TransactionUID", "InventoryLevel")) or _required(
            info, (), ("ScopeOfInventorySequence",)
        )
        if refused is not None:
            return refused
        uid = str(info.TransactionUID)
        if uid in self.transactions:
            return failure(INVALID_ARGUMENT_VALUE, "Transaction UID already used")
        refused = self._unsupported(info)
        if refused is not None:
            return refused
        unknown = self._unknown_keys(info)
        transaction = InventoryTransaction(
            transaction_uid=uid,
            request=copy.deepcopy(info),
            requestor=str(event.assoc.requestor.ae_title).strip(),
            assoc=event.assoc,
        )
        self.transactions[uid] = transaction
        call_after_response(event, lambda: self._start(transaction))
        if unknown:
            # KK.2.2.3: processed, but those keys are not matched on.
            return failure(KEYS_NOT_SUPPORTED, attributes=unknown)
        return SUCCESS

    def _unsupported(self, info: Dataset) -> Dataset | None:
        """KK.2.2.3: 0212 for a level, character set or matching not supported."""
        if info.InventoryLevel not in self.levels:
            return failure(MISTYPED_ARGUMENT, f"Inventory Level {info.InventoryLevel}")
        for item in info.ScopeOfInventorySequence:
            terms = item.get("SpecificCharacterSet") or []
            terms = [terms] if isinstance(terms, str) else list(terms)
            if any(term and term not in self.character_sets for term in terms):
                return failure(MISTYPED_ARGUMENT, "Specific Character Set")
            if item.get("ExtendedMatchingMechanisms"):
                return failure(MISTYPED_ARGUMENT, "Extended Matching Mechanisms")
        return None

    def _unknown_keys(self, info: Dataset) -> list[int]:
        if self.matching_keys is None:
            return []
        return [
            int(elem.tag)
            for item in info.ScopeOfInventorySequence
            for elem in item
            if elem.keyword not in _NOT_KEYS and elem.keyword not in self.matching_keys
        ]

    def _start(self, transaction: InventoryTransaction) -> None:
        # KK.2.3.2: production starts, a change of state to report.
        self._report(transaction, INVENTORY_STATUS)
        try:
            produced = self._produce(transaction)
        except Exception:
            _LOGGER.exception("Inventory production failed")
            self.fail(transaction.transaction_uid, "Inventory production failed")
            return
        if produced is not None:
            self.finish(transaction.transaction_uid, produced)

    def _follow_up(self, event: Any, action: int, info: Dataset) -> Dataset | int:  # noqa: ANN401
        """Request Status, Cancel, Pause or Resume a transaction (KK.2.2.2)."""
        required = ("TransactionUID", "RetainInstances") if action == CANCEL else None
        refused = _required(info, required or ("TransactionUID",))
        if refused is not None:
            return refused
        transaction = self.transactions.get(str(info.TransactionUID))
        if transaction is None:
            return failure(INVALID_ARGUMENT_VALUE, "Unknown Transaction UID")
        transaction.assoc = event.assoc
        if action == REQUEST_STATUS:
            # KK.2.3.2: an Inventory Status report answers the request.
            self._after(event, transaction, INVENTORY_STATUS)
            return SUCCESS
        return self._change(event, transaction, action)

    def _change(
        self,
        event: Any,  # noqa: ANN401
        transaction: InventoryTransaction,
        action: int,
    ) -> Dataset | int:
        """Cancel, pause or resume a transaction (KK.2.2.3, KK.2.1.1)."""
        allowed, new_state = {
            CANCEL: ((PROCESSING, PAUSED), CANCELED),
            PAUSE: ((PROCESSING,), PAUSED),
            RESUME: ((PAUSED,), PROCESSING),
        }[action]
        if transaction.status not in allowed:
            return failure(PROCESSING_FAILURE, f"The Inventory is {transaction.status}")
        transaction.status = new_state
        # KK.2.3.2: nothing was produced to retain, whatever Retain Instances.
        report = TERMINATED_WITHOUT_INSTANCES if action == CANCEL else INVENTORY_STATUS
        self._after(event, transaction, report)
        return SUCCESS

    def _after(self, event: Any, transaction: InventoryTransaction, kind: int) -> None:  # noqa: ANN401
        call_after_response(event, lambda: self._report(transaction, kind))

    def _report(
        self,
        transaction: InventoryTransaction,
        event_type: int,
        produced: Dataset | None = None,
    ) -> None:
        """Send one notification, on the association if it lasts (KK.2.3)."""
        info = Dataset() if produced is None else copy.deepcopy(produced)
        info.TransactionUID = transaction.transaction_uid
        info.TransactionStatus = transaction.status
        if transaction.comment:
            info.TransactionStatusComment = transaction.comment
        if event_type != TERMINATED_WITHOUT_INSTANCES:
            info.TotalNumberOfStudyRecords = transaction.study_records
        assoc = transaction.assoc
        if assoc.is_established:
            status, _ = assoc.send_n_event_report(
                info,
                event_type,
                InventoryCreation,
                STORAGE_MANAGEMENT_INSTANCE,
                next(self._message_ids),
            )
            if "Status" in status:
                return
        address = self.peers.get(transaction.requestor)
        if address is None:
            _LOGGER.error(
                "Cannot report Inventory %s to '%s': no association, no address",
                transaction.transaction_uid,
                transaction.requestor,
            )
            return
        report = (event_type, STORAGE_MANAGEMENT_INSTANCE, info)
        send_event_reports(
            assoc.ae,
            address,
            transaction.requestor,
            InventoryCreation,
            [report],
        )


# Table KK.2-2: the produced root Inventory instance, always named.
_PLACE: Final = ("ReferencedSOPClassUID", "ReferencedSOPInstanceUID")


def _required(
    info: Dataset, type1: Collection[str], type2: Collection[str] = ()
) -> Dataset | None:
    # PS3.7 10.1.4.1.10: a missing or empty argument is Invalid argument value.
    return missing_attributes(
        info, type1, type2, missing=INVALID_ARGUMENT_VALUE, empty=INVALID_ARGUMENT_VALUE
    )
