"""Query/Retrieve of non-patient composite objects: what PS3.4 U, X, BB, HH, II share.

Each of these services has single-entity information models (U.6.1.1,
X.6.1.1, BB.6.1.1, HH.6.1.1, II.6.1.1): a C-FIND returns one response per
matching stored instance, with the semantics of Basic Worklist Management
(U.1.4: K.4.1.3); C-GET and C-MOVE retrieve by SOP Instance UID, the only
Unique Key, one UID or a list (U.4.2, U.4.3), with no Query/Retrieve Level.
The service modules (:mod:`~dicomnet.services.hanging_protocol`...) name
their SOP classes; :class:`CompositeObjectQR` does the rest over the
instances a :class:`~dicomnet.services.non_patient_storage.NonPatientStorageSCP`
(or any callable) supplies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from pydicom.multival import MultiValue

from dicomnet.services._find_rules import (
    IDENTIFIER_DOES_NOT_MATCH,
    PENDING,
    QueryProvider,
    key_matches,
    pending,
    return_keys,
)
from dicomnet.services._n_common import failure

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping

    from pydicom.dataset import Dataset

__all__ = ["CompositeObjectQR", "InformationModel", "Source"]

#: Where a provider finds the stored instances: a storage provider (it has
#: ``instances()``), an iterable of Datasets, or a callable returning one.
Source = Any


@dataclass(frozen=True, slots=True)
class InformationModel:
    """The SOP classes of one information model and the objects it holds.

    Attributes
    ----------
    find, get, move : str
        The Information Model - FIND, - GET and - MOVE SOP Class UIDs.
    storage : frozenset of str
        The storage SOP classes of the objects the model holds.
    """

    find: str
    get: str
    move: str
    storage: frozenset[str]


class CompositeObjectQR(QueryProvider):
    """A Query/Retrieve SCP for stored non-patient objects.

    Parameters
    ----------
    source : NonPatientStorageSCP, iterable or callable
        The stored instances: a provider with ``instances()``, an iterable
        of Datasets, or a callable returning them. Instances to retrieve
        need a ``file_meta`` with a Transfer Syntax UID.
    destinations : mapping, optional
        Move Destination AE title -> ``(address, port)`` (PS3.4 C.4.2.3).
    """

    #: The information models served (set by each service module).
    models: ClassVar[tuple[InformationModel, ...]] = ()

    def __init__(
        self,
        source: Source,
        destinations: Mapping[str, tuple[str, int]] | None = None,
    ) -> None:
        self.source = source
        self.destinations: dict[str, tuple[str, int]] = dict(destinations or {})
        self._by_class: dict[str, InformationModel] = {}
        for model in self.models:
            for uid in (model.find, model.get, model.move):
                self._by_class[str(uid)] = model
        self.sop_classes = frozenset(self._by_class)

    def candidates(self, sop_class: str) -> list[Dataset]:
        """Return the stored instances the model of ``sop_class`` holds.

        Parameters
        ----------
        sop_class : str
            A FIND, GET or MOVE SOP Class UID of one of :attr:`models`.

        Returns
        -------
        list of pydicom.dataset.Dataset
        """
        model = self._by_class.get(str(sop_class))
        if model is None:
            return []
        return [
            ds
            for ds in _instances(self.source)
            if str(ds.get("SOPClassUID", "")) in model.storage
        ]

    def handle_find(self, event: Any) -> Iterator[tuple[object, Dataset | None]]:  # noqa: ANN401  (an evt.Event)
        """Yield one Pending response per matching instance (``EVT_C_FIND``).

        Parameters
        ----------
        event : evt.Event
            The C-FIND event.

        Yields
        ------
        tuple of (int or Dataset, Dataset or None)
        """
        query = event.identifier
        stored = self.candidates(str(event.request.AffectedSOPClassUID))
        found = (return_keys(ds, query) for ds in stored if key_matches(ds, query))
        yield from pending(event, found)

    def handle_get(self, event: Any) -> Iterator[object]:  # noqa: ANN401
        """Yield the count, then each instance to send (``EVT_C_GET``).

        Parameters
        ----------
        event : evt.Event
            The C-GET event.

        Yields
        ------
        int, then tuple of (int or Dataset, Dataset or None)
        """
        yield from self._retrieve(event)

    def handle_move(self, event: Any) -> Iterator[object]:  # noqa: ANN401
        """Yield the destination, the count, then each instance (``EVT_C_MOVE``).

        Parameters
        ----------
        event : evt.Event
            The C-MOVE event.

        Yields
        ------
        tuple, int, then tuple of (int or Dataset, Dataset or None)
        """
        # An unknown destination makes the service answer A801 (C.4.2.1.5).
        yield self.destinations.get(str(event.move_destination).strip(), (None, None))
        yield from self._retrieve(event)

    def _retrieve(self, event: Any) -> Iterator[object]:  # noqa: ANN401
        wanted = _instance_uids(event.identifier)
        if not wanted:
            # U.4.2/U.4.3: SOP Instance UID is the Unique Key the SCU shall send.
            yield 0  # no sub-operation: the status below is the answer
            yield failure(IDENTIFIER_DOES_NOT_MATCH, "No SOP Instance UID"), None
            return
        stored = self.candidates(str(event.request.AffectedSOPClassUID))
        found = [ds for ds in stored if str(ds.SOPInstanceUID) in wanted]
        yield len(found)
        for ds in found:
            yield PENDING, ds


def _instances(source: Source) -> Iterable[Dataset]:
    instances: Callable[[], Iterable[Dataset]] | None = getattr(
        source, "instances", None
    )
    if callable(instances):
        return instances()
    if callable(source):
        return list(source())
    return list(source)


def _instance_uids(identifier: Dataset) -> set[str]:
    """Return the SOP Instance UID key: one UID or a list (List of UID matching)."""
    value = identifier.get("SOPInstanceUID")
    if not value:
        return set()
    if isinstance(value, list | MultiValue | tuple):
        return {str(uid) for uid in value}
    return {str(value)}
