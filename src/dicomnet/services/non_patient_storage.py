"""The Non-Patient Object Storage Service Class (PS3.4 Annex GG).

C-STORE of composite objects whose information model does not have the
Patient at its root (Table GG.3-1): Hanging Protocols, Color Palettes,
Implant Templates, Defined Procedure Protocols, Protocol Approvals,
Inventories. :class:`NonPatientStorageSCP` receives and keeps them as a
full (level 2) SCP: every attribute as received, never modified
(GG.4.2: no change of values without a new SOP Instance UID), and answers
with the statuses of Table GG.4-1. The instances it keeps feed the
Query/Retrieve providers of :mod:`dicomnet.services.hanging_protocol`,
:mod:`~dicomnet.services.color_palette`, ... (PS3.4 U, X, BB, HH, II).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Final

from dicomnet.services._find_rules import QueryProvider, route
from dicomnet.services._n_common import failure
from dicomnet.sop_class import (
    ColorPaletteStorage,
    CTDefinedProcedureProtocolStorage,
    GenericImplantTemplateStorage,
    HangingProtocolStorage,
    ImplantAssemblyTemplateStorage,
    ImplantTemplateGroupStorage,
    InventoryStorage,
    ProtocolApprovalStorage,
    XADefinedProcedureProtocolStorage,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from pydicom.dataset import Dataset

__all__ = [
    "CANNOT_UNDERSTAND",
    "DATA_SET_DOES_NOT_MATCH",
    "NON_PATIENT_STORAGE_CLASSES",
    "OUT_OF_RESOURCES",
    "NonPatientStorageSCP",
    "route",
]

_LOGGER = logging.getLogger(__name__)

#: PS3.4 Table GG.4-1: Refused, Out of Resources.
OUT_OF_RESOURCES: Final = 0xA700
#: PS3.4 Table GG.4-1: Error, Data Set does not match SOP Class.
DATA_SET_DOES_NOT_MATCH: Final = 0xA900
#: PS3.4 Table GG.4-1: Error, Cannot understand.
CANNOT_UNDERSTAND: Final = 0xC000

#: The SOP classes of PS3.4 Table GG.3-1.
NON_PATIENT_STORAGE_CLASSES: Final = frozenset(
    {
        HangingProtocolStorage,
        ColorPaletteStorage,
        GenericImplantTemplateStorage,
        ImplantAssemblyTemplateStorage,
        ImplantTemplateGroupStorage,
        CTDefinedProcedureProtocolStorage,
        XADefinedProcedureProtocolStorage,
        ProtocolApprovalStorage,
        InventoryStorage,
    }
)


class NonPatientStorageSCP(QueryProvider):
    """A Non-Patient Object Storage SCP keeping instances in memory (PS3.4 GG.4.2).

    Parameters
    ----------
    sop_classes : iterable of str, optional
        The SOP classes served; by default :data:`NON_PATIENT_STORAGE_CLASSES`.
    capacity : int, optional
        The most instances kept; past it a new instance is refused with
        Out of Resources (A700).
    on_store : callable, optional
        Called with each instance stored, after it is kept.
    """

    def __init__(
        self,
        sop_classes: Iterable[str] | None = None,
        *,
        capacity: int | None = None,
        on_store: Callable[[Dataset], object] | None = None,
    ) -> None:
        chosen = NON_PATIENT_STORAGE_CLASSES if sop_classes is None else sop_classes
        self.sop_classes = frozenset(str(uid) for uid in chosen)
        self.capacity = capacity
        self.on_store = on_store
        self._instances: dict[str, Dataset] = {}

    def handle_store(self, event: Any) -> object:  # noqa: ANN401  (an evt.Event)
        """Keep the instance; return its status (``EVT_C_STORE`` contract).

        Parameters
        ----------
        event : evt.Event
            The C-STORE event.

        Returns
        -------
        int or pydicom.dataset.Dataset
            Success, or a failure of Table GG.4-1.
        """
        try:
            dataset = event.dataset
            dataset.file_meta = event.file_meta  # to send it on as received
            for _ in dataset.iterall():
                pass  # decode every element now: a bad one fails here
        except Exception:  # a peer's bytes: any decode failure
            _LOGGER.exception("Could not decode the received data set")
            return failure(CANNOT_UNDERSTAND, "Undecodable data set")
        request = event.request
        sop_class = str(dataset.get("SOPClassUID", ""))
        sop_instance = str(dataset.get("SOPInstanceUID", ""))
        if sop_class != str(request.AffectedSOPClassUID) or sop_instance != str(
            request.AffectedSOPInstanceUID
        ):
            # The data set is not the instance the request announced.
            return failure(DATA_SET_DOES_NOT_MATCH, "SOP Class/Instance UID mismatch")
        known = sop_instance in self._instances
        full = self.capacity is not None and len(self._instances) >= self.capacity
        if full and not known:
            return failure(OUT_OF_RESOURCES, "Storage capacity reached")
        self._instances[sop_instance] = dataset
        if self.on_store is not None:
            self.on_store(dataset)
        return 0x0000

    def add(self, dataset: Dataset) -> None:
        """Keep ``dataset`` as if received (it needs a SOP Instance UID).

        Parameters
        ----------
        dataset : pydicom.dataset.Dataset
            The instance; give it a ``file_meta`` with a Transfer Syntax UID
            if it is to be retrieved by C-GET or C-MOVE.
        """
        self._instances[str(dataset.SOPInstanceUID)] = dataset

    def remove(self, sop_instance_uid: str) -> Dataset | None:
        """Forget an instance; return it, or None if it was not kept.

        Parameters
        ----------
        sop_instance_uid : str
            Its SOP Instance UID.

        Returns
        -------
        pydicom.dataset.Dataset or None
        """
        return self._instances.pop(str(sop_instance_uid), None)

    def get(self, sop_instance_uid: str) -> Dataset | None:
        """Return the instance kept under ``sop_instance_uid``, or None.

        Parameters
        ----------
        sop_instance_uid : str
            Its SOP Instance UID.

        Returns
        -------
        pydicom.dataset.Dataset or None
        """
        return self._instances.get(str(sop_instance_uid))

    def instances(self, *sop_classes: str) -> list[Dataset]:
        """Return the instances kept, of ``sop_classes`` only if given.

        Parameters
        ----------
        *sop_classes : str
            SOP Class UIDs to select.

        Returns
        -------
        list of pydicom.dataset.Dataset
            A snapshot, in the order first received.
        """
        kept = list(self._instances.values())  # a snapshot: other threads store
        if not sop_classes:
            return kept
        wanted = {str(uid) for uid in sop_classes}
        return [ds for ds in kept if str(ds.get("SOPClassUID", "")) in wanted]
