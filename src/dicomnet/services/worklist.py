"""The Basic Worklist Management Service Class (PS3.4 Annex K).

SCP: :class:`WorklistSCP` keeps worklist items (Datasets of the Modality
Worklist Information Model, K.6.1) and answers C-FIND: one Pending response
per matching item with the requested keys (K.4.1.3), Success at the end,
Cancel once a C-CANCEL arrived. Matching is that of K.2.2 / C.2.2.2: single
value, list of UIDs, wildcard, range, sequence and universal matching; the
Scheduled Procedure Step Start Date and Start Time keys of an item of the
Scheduled Procedure Step Sequence are matched as one date-time.

SCU: :func:`worklist_query` builds an Identifier with the usual return keys,
:func:`find_worklist` sends it (``Association.send_c_find`` on the Modality
Worklist Information Model - FIND SOP Class).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from pydicom.dataset import Dataset

from dicomnet.services._find_rules import (
    QueryProvider,
    build_query,
    key_matches,
    pending,
    return_keys,
    route,
)
from dicomnet.sop_class import (
    ModalityWorklistInformationFind,
    ModalityWorklistInformationModelFind,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

__all__ = [
    "ModalityWorklistInformationFind",
    "ModalityWorklistInformationModelFind",
    "WorklistSCP",
    "datetime_matches",
    "find_worklist",
    "item_matches",
    "route",
    "worklist_query",
]

_SPS: Final = 0x00400100  # Scheduled Procedure Step Sequence
_SPS_DATE: Final = 0x00400002  # Scheduled Procedure Step Start Date
_SPS_TIME: Final = 0x00400003  # Scheduled Procedure Step Start Time

#: Return keys of a typical Modality Worklist query (PS3.4 Table K.6-1).
_TOP_KEYS: Final = (
    "AccessionNumber",
    "ReferringPhysicianName",
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "PatientSex",
    "StudyInstanceUID",
    "RequestedProcedureID",
    "RequestedProcedureDescription",
)
_SPS_KEYS: Final = (
    "ScheduledStationAETitle",
    "ScheduledProcedureStepStartDate",
    "ScheduledProcedureStepStartTime",
    "Modality",
    "ScheduledPerformingPhysicianName",
    "ScheduledProcedureStepDescription",
    "ScheduledStationName",
    "ScheduledProcedureStepLocation",
    "ScheduledProcedureStepID",
)


class WorklistSCP(QueryProvider):
    """A Modality Worklist SCP over worklist items kept in memory (PS3.4 K.4.1.3).

    Parameters
    ----------
    items : iterable of pydicom.dataset.Dataset, optional
        The worklist items (PS3.4 Table K.6-1 attributes); :attr:`items`
        may be changed afterwards.
    """

    sop_classes = frozenset({ModalityWorklistInformationModelFind})

    def __init__(self, items: Iterable[Dataset] = ()) -> None:
        self.items: list[Dataset] = list(items)

    def handle_find(self, event: Any) -> Iterator[tuple[object, Dataset | None]]:  # noqa: ANN401  (an evt.Event)
        """Yield a Pending response per matching item (``EVT_C_FIND`` contract).

        Parameters
        ----------
        event : evt.Event
            The C-FIND event.

        Yields
        ------
        tuple of (int, Dataset or None)
        """
        query = event.identifier
        snapshot = list(self.items)  # the application may change the list meanwhile
        found = (
            return_keys(item, query) for item in snapshot if item_matches(item, query)
        )
        yield from pending(event, found)


def item_matches(item: Dataset, query: Dataset) -> bool:
    """Return whether a worklist item matches a C-FIND Identifier (PS3.4 K.2.2.2).

    Parameters
    ----------
    item : pydicom.dataset.Dataset
        The worklist item.
    query : pydicom.dataset.Dataset
        The request Identifier.

    Returns
    -------
    bool
    """
    top = Dataset()
    for key in query:
        if key.tag != _SPS:
            top.add(key)
    if not key_matches(item, top):
        return False
    sps_query = _first_item(query.get(_SPS))
    if sps_query is None or not len(sps_query):
        return True  # C.2.2.2.6: an empty sequence key is universal
    steps = item.get(_SPS)
    return any(
        _step_matches(step, sps_query) for step in (steps.value if steps else [])
    )


def _step_matches(step: Dataset, query: Dataset) -> bool:
    """Sequence matching of one Scheduled Procedure Step item (C.2.2.2.6)."""
    rest = Dataset()
    for key in query:
        if key.tag not in (_SPS_DATE, _SPS_TIME):
            rest.add(key)
    if not key_matches(step, rest):
        return False
    date_key = _text(query.get(_SPS_DATE))
    time_key = _text(query.get(_SPS_TIME))
    if not date_key and not time_key:
        return True
    return datetime_matches(
        _text(step.get(_SPS_DATE)), _text(step.get(_SPS_TIME)), date_key, time_key
    )


def datetime_matches(date: str, time: str, date_key: str, time_key: str) -> bool:
    """Match a date and time pair against a date key and a time key as one.

    PS3.4 Table K.6-1 (Scheduled Procedure Step Start Date and Time) with
    C.2.2.2.5: a date range ``d1-d2`` and a time range ``t1-t2`` select the
    moments from ``d1 t1`` to ``d2 t2``, not the times ``t1``-``t2`` of each
    day. With no date key the time key is matched alone. An entity whose
    value is empty matches no key (K.2.2.1.1.1).

    Parameters
    ----------
    date, time : str
        The entity's DA and TM values (``time`` may be empty).
    date_key, time_key : str
        The keys: a single value, ``low-high``, ``low-`` or ``-high``.

    Returns
    -------
    bool
    """
    time = time.replace(":", "")  # ACR-NEMA style times (PS3.5 6.2, TM note)
    if not date_key:
        low, high = _bounds(time_key)
        return bool(time) and _within(time, low, high)
    if not date:
        return False
    date_low, date_high = _bounds(date_key)
    time_low, time_high = _bounds(time_key)
    # The time bounds only refine the date bounds they belong to.
    low = date_low + time_low if date_low else ""
    high = date_high + time_high if date_high else ""
    return _within(date + time, low, high)


def _bounds(key: str) -> tuple[str, str]:
    """``(low, high)`` of a single value or range key; ``""`` is open."""
    key = key.replace(":", "").strip()
    if "-" not in key:
        return key, key
    low, _, high = key.partition("-")
    return low.strip(), high.strip()


def _within(value: str, low: str, high: str) -> bool:
    # DICOM dates and times compare as digit strings (C.2.2.2.5); a bound
    # with less precision covers the whole of its last unit.
    return (not low or value >= low) and (not high or value[: len(high)] <= high)


def _text(element: object) -> str:
    value = getattr(element, "value", None)
    return "" if value is None else str(value)


def _first_item(element: object) -> Dataset | None:
    value = getattr(element, "value", None)
    if value and isinstance(value[0], Dataset):
        return value[0]
    return None


# -- SCU -----------------------------------------------------------------------------


def worklist_query(
    scheduled_step: dict[str, object] | None = None, **keys: object
) -> Dataset:
    """Return a Modality Worklist Identifier with the usual return keys (Table K.6-1).

    Parameters
    ----------
    scheduled_step : dict, optional
        Matching keys of the Scheduled Procedure Step Sequence item, by
        keyword (``{"Modality": "CT", "ScheduledProcedureStepStartDate":
        "20240101-20240102"}``).
    **keys
        Matching keys at the top level, by keyword (``PatientID="123"``).

    Returns
    -------
    pydicom.dataset.Dataset
    """
    query = build_query(_TOP_KEYS, **keys)
    query.ScheduledProcedureStepSequence = [
        build_query(_SPS_KEYS, **(scheduled_step or {}))
    ]
    return query


def find_worklist(
    assoc: Any,  # noqa: ANN401  (the Association)
    query: Dataset,
    msg_id: int = 1,
    priority: int = 2,
) -> Iterator[tuple[Dataset, Dataset | None]]:
    """Send a Modality Worklist C-FIND; yield ``(status, identifier)`` per response.

    Parameters
    ----------
    assoc : Association
        An association with a Modality Worklist Information Model - FIND
        presentation context accepted.
    query : pydicom.dataset.Dataset
        The Identifier (see :func:`worklist_query`).
    msg_id : int
        The request's Message ID.
    priority : int
        The request's Priority (PS3.7 9.1.2.1.4).

    Returns
    -------
    iterator of tuple
        As :meth:`Association.send_c_find`.
    """
    return assoc.send_c_find(  # type: ignore[no-any-return]  # (Association typed loosely)
        query, ModalityWorklistInformationModelFind, msg_id, priority
    )
