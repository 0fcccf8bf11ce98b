"""What the C-FIND based service modules share: providers, routing, keys, Cancel.

The generic Query/Retrieve machinery (:mod:`dicomnet.services.query_retrieve`)
runs one ``evt.EVT_C_FIND`` (``EVT_C_GET``, ``EVT_C_MOVE``, ``EVT_C_STORE``)
handler per AE. The reference SCPs of the service modules built on C-FIND
(Basic Worklist Management, Relevant Patient Information Query, Substance
Administration Query, the composite object Query/Retrieve services and
Non-Patient Object Storage) are :class:`QueryProvider` objects; :func:`route`
binds several to one AE, each request going to the provider of its SOP class.

The helpers implement what these annexes take from PS3.4 C.2.2.2 and C.4.1.3:
the response Identifier holds the requested keys only (K.4.1.1.3.2), and a
C-CANCEL stops matching with status Cancel (K.4.1.3, C.4.1.3).
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

from pydicom.dataset import Dataset

from dicomnet import events as evt
from dicomnet.services._matching import matches

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

__all__ = [
    "CANCEL",
    "IDENTIFIER_DOES_NOT_MATCH",
    "OUT_OF_RESOURCES",
    "PENDING",
    "SOP_CLASS_NOT_SUPPORTED",
    "SUCCESS",
    "UNABLE_TO_PROCESS",
    "QueryProvider",
    "build_query",
    "key_matches",
    "pending",
    "return_keys",
    "route",
]

_LOGGER = logging.getLogger(__name__)

SUCCESS: Final = 0x0000
#: PS3.4 C.4.1.1.4 (and K.4-1, Q.2-1, V.4-1): a match is supplied.
PENDING: Final = 0xFF00
#: PS3.7 C.3: matching terminated by a C-CANCEL.
CANCEL: Final = 0xFE00
#: PS3.4 C.4.1.1.4: Refused: Out of Resources.
OUT_OF_RESOURCES: Final = 0xA700
#: PS3.4 C.4.1.1.4: Identifier does not match SOP Class.
IDENTIFIER_DOES_NOT_MATCH: Final = 0xA900
#: PS3.4 C.4.1.1.4: Unable to process (the first code of C000-CFFF).
UNABLE_TO_PROCESS: Final = 0xC000
#: PS3.7 C.5.1: Refused: SOP Class not supported.
SOP_CLASS_NOT_SUPPORTED: Final = 0x0122

# Elements that steer a query rather than select or return (PS3.4 C.4.1.1.3):
# Specific Character Set, Query/Retrieve Level, Query/Retrieve View.
_NOT_RETURNED: Final = frozenset({0x00080005, 0x00080052, 0x00080053})


class QueryProvider:
    """Base of the reference SCPs of the C-FIND, C-GET, C-MOVE and C-STORE services.

    A provider answers the requests of its :attr:`sop_classes`; each
    ``handle_*`` method has the signature and contract of the matching
    ``evt.EVT_C_*`` handler. A method left as it is here refuses with
    Refused: SOP Class not supported (PS3.7 C.5.1), and :func:`route` does
    not bind its event unless another provider implements it.
    """

    #: The SOP classes whose requests the provider answers.
    sop_classes: frozenset[str] = frozenset()

    def handle_find(self, event: Any) -> Iterator[tuple[object, Dataset | None]]:  # noqa: ANN401  (an evt.Event)
        """Answer a C-FIND request (``EVT_C_FIND`` contract)."""
        del event
        yield SOP_CLASS_NOT_SUPPORTED, None

    def handle_get(self, event: Any) -> Iterator[object]:  # noqa: ANN401
        """Answer a C-GET request (``EVT_C_GET`` contract)."""
        del event
        # The generic machinery reads a count before any status (PS3.4 C.4.3.3).
        yield 1
        yield SOP_CLASS_NOT_SUPPORTED, None

    def handle_move(self, event: Any) -> Iterator[object]:  # noqa: ANN401
        """Answer a C-MOVE request (``EVT_C_MOVE`` contract)."""
        raise LookupError(f"No C-MOVE for {event.request.AffectedSOPClassUID}")

    def handle_store(self, event: Any) -> object:  # noqa: ANN401
        """Answer a C-STORE request (``EVT_C_STORE`` contract)."""
        del event
        return SOP_CLASS_NOT_SUPPORTED

    def handlers(self) -> list[tuple[Any, Callable[..., object]]]:
        """Return the ``(event, handler)`` pairs that bind this provider alone.

        Returns
        -------
        list of tuple
            For ``evt_handlers=`` of ``AE.start_server`` or ``AE.associate``.
        """
        return route(self)


_METHODS: Final[dict[Any, str]] = {
    evt.EVT_C_FIND: "handle_find",
    evt.EVT_C_GET: "handle_get",
    evt.EVT_C_MOVE: "handle_move",
    evt.EVT_C_STORE: "handle_store",
}


def route(*providers: QueryProvider) -> list[tuple[Any, Callable[..., object]]]:
    """Return handlers sending each request to the provider of its SOP class.

    The request's Affected SOP Class UID is looked up first, then the
    presentation context's abstract syntax. Only the events some provider
    implements are bound.

    Parameters
    ----------
    *providers : QueryProvider
        The providers; the first claiming a SOP class answers for it.

    Returns
    -------
    list of tuple
        ``(evt.EVT_C_*, handler)`` pairs for ``evt_handlers=``.
    """
    by_class: dict[str, QueryProvider] = {}
    for provider in providers:
        for uid in provider.sop_classes:
            by_class.setdefault(str(uid), provider)

    def handler(event: Any) -> object:  # noqa: ANN401  (an evt.Event)
        uid = str(event.request.AffectedSOPClassUID or "")
        provider = by_class.get(uid) or by_class.get(str(event.context.abstract_syntax))
        if provider is None:
            _LOGGER.warning("No provider for SOP Class %s", uid)
            provider = QueryProvider()
        return getattr(provider, _METHODS[event.event])(event)

    bound = [
        event
        for event, name in _METHODS.items()
        if any(
            getattr(type(p), name) is not getattr(QueryProvider, name)
            for p in providers
        )
    ]
    return [(event, handler) for event in bound]


def pending(
    event: Any,  # noqa: ANN401  (an evt.Event)
    identifiers: Iterable[Dataset],
) -> Iterator[tuple[int, Dataset | None]]:
    """Yield a Pending response per identifier, or Cancel once cancelled.

    ``identifiers`` is consumed lazily, so that matching stops at the
    C-CANCEL (PS3.4 K.4.1.3, C.4.1.3: "interrupt the matching process").

    Parameters
    ----------
    event : evt.Event
        The C-FIND event (``event.is_cancelled``).
    identifiers : iterable of pydicom.dataset.Dataset
        The response Identifiers, one per match.

    Yields
    ------
    tuple of (int, Dataset or None)
    """
    for identifier in identifiers:
        if event.is_cancelled:
            yield CANCEL, None
            return
        yield PENDING, identifier


def return_keys(instance: Dataset, query: Dataset) -> Dataset:
    """Return the response Identifier: the query's keys with the instance's values.

    PS3.4 K.4.1.1.3.2 (and C.4.1.1.3.2): the response holds no attribute
    that was not in the request. A key the instance lacks is returned empty;
    a sequence key with keys in its item returns every item of the
    instance's sequence reduced to those keys; an empty sequence key returns
    the whole sequence (universal matching, C.2.2.2.3).

    Parameters
    ----------
    instance : pydicom.dataset.Dataset
        The matching entity.
    query : pydicom.dataset.Dataset
        The request Identifier (or a sequence item of it).

    Returns
    -------
    pydicom.dataset.Dataset
    """
    out = Dataset()
    if "SpecificCharacterSet" in instance:
        out.SpecificCharacterSet = instance.SpecificCharacterSet
    for key in query:
        if key.tag in _NOT_RETURNED:
            continue
        if key.tag not in instance:
            out.add_new(key.tag, key.VR, None)
            continue
        have = instance[key.tag]
        sub_query = _item_of(key.value) if key.VR == "SQ" else None
        if sub_query is not None and len(sub_query) and have.VR == "SQ":
            items = [return_keys(item, sub_query) for item in have.value or []]
            out.add_new(key.tag, "SQ", items)
        else:
            out[key.tag] = copy.deepcopy(have)
    return out


def key_matches(instance: Dataset, query: Dataset) -> bool:
    """Return whether ``instance`` matches every key of ``query`` (PS3.4 C.2.2.2).

    As :func:`dicomnet.services._matching.matches`, and a key of a single
    ``*`` matches every entity, including one whose value is empty
    (C.2.2.2.4; K.2.2.1.1.1 Note 1).

    Parameters
    ----------
    instance : pydicom.dataset.Dataset
        The candidate entity.
    query : pydicom.dataset.Dataset
        The request Identifier.

    Returns
    -------
    bool
    """
    flat = Dataset()
    for key in query:
        if key.VR == "SQ":
            if not _sequence_matches(instance, key.tag, _item_of(key.value)):
                return False
        elif isinstance(key.value, str) and key.value == "*":
            continue  # universal
        else:
            flat.add(key)
    return matches(instance, flat)


def _sequence_matches(instance: Dataset, tag: int, query_item: Dataset | None) -> bool:
    """Sequence matching (C.2.2.2.6): some item matches every key of the query's.

    Done here rather than by :mod:`._matching` so that the ``*`` rule of
    :func:`key_matches` holds inside the items too.
    """
    if query_item is None or not len(query_item):
        return True  # C.2.2.2.6: an empty item is universal
    if tag not in instance:
        return False
    items = instance[tag].value or []
    return any(isinstance(i, Dataset) and key_matches(i, query_item) for i in items)


def _item_of(value: object) -> Dataset | None:
    """Return the first item of a sequence key, or None."""
    if isinstance(value, Sequence) and not isinstance(value, str) and value:
        first = value[0]
        return first if isinstance(first, Dataset) else None
    return None


def build_query(keywords: Iterable[str], **values: object) -> Dataset:
    """Return an Identifier with each keyword as an empty return key, then ``values``.

    Parameters
    ----------
    keywords : iterable of str
        Return keys (zero length: universal matching, C.2.2.2.3).
    **values
        Matching keys by DICOM keyword.

    Returns
    -------
    pydicom.dataset.Dataset
    """
    query = Dataset()
    for keyword in keywords:
        setattr(query, keyword, None)
    for keyword, value in values.items():
        setattr(query, keyword, value)
    return query
