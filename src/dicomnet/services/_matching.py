"""Attribute matching of C-FIND keys against an instance (PS3.4 C.2.2.2).

Used by the reference SCPs that keep their instances in memory (the UPS
worklist). The kinds of matching: universal (an empty key), single value,
list of UIDs, wildcard (``*`` and ``?``), range (dates and times) and
sequence matching (an item of the instance's sequence matching every key of
the query's item).
"""

from __future__ import annotations

import copy
import re
from typing import Final

from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.sequence import Sequence

# The containers a multi-valued element or a sequence arrives in; pydicom's
# Sequence is not a list (it is a MutableSequence of its own).
_MANY: Final = (list, tuple, MultiValue, Sequence)

__all__ = ["identifier_for", "matches"]

# Elements that steer the query rather than select instances (PS3.4 C.4.1.1.3).
_NOT_KEYS: Final = frozenset({0x00080005, 0x00080052, 0x00080056})
# PS3.4 C.2.2.2.4: VRs whose values may be matched with wildcards.
_WILDCARD_VRS: Final = frozenset({"AE", "CS", "LO", "LT", "PN", "SH", "ST", "UC", "UT"})
# PS3.4 C.2.2.2.5: VRs whose keys may be ranges.
_RANGE_VRS: Final = frozenset({"DA", "TM", "DT"})


def matches(instance: Dataset, query: Dataset) -> bool:
    """Return whether ``instance`` matches every key of ``query``.

    Parameters
    ----------
    instance : pydicom.dataset.Dataset
        The candidate's attributes.
    query : pydicom.dataset.Dataset
        The C-FIND Identifier.

    Returns
    -------
    bool
    """
    for key in query:
        if key.tag in _NOT_KEYS or _is_universal(key.value):
            continue  # C.2.2.2.3: an empty key matches everything
        if key.tag not in instance:
            return False
        if not _element_matches(instance[key.tag].value, key.value, key.VR):
            return False
    return True


def identifier_for(instance: Dataset, query: Dataset) -> Dataset:
    """Return the response Identifier: the query's keys with the instance's values.

    Parameters
    ----------
    instance : pydicom.dataset.Dataset
        The matching instance.
    query : pydicom.dataset.Dataset
        The C-FIND Identifier.

    Returns
    -------
    pydicom.dataset.Dataset
    """
    out = Dataset()
    if "SpecificCharacterSet" in instance:
        out.SpecificCharacterSet = instance.SpecificCharacterSet
    for key in query:
        if key.tag in _NOT_KEYS:
            continue
        if key.tag in instance:
            out[key.tag] = copy.deepcopy(instance[key.tag])
        else:
            out.add_new(key.tag, key.VR, None)
    return out


def _is_universal(value: object) -> bool:
    if value is None or value in ("", b""):
        return True
    if isinstance(value, _MANY) and not value:
        return True
    # C.2.2.2.6: a sequence key with one empty item is universal too.
    return (
        isinstance(value, _MANY)
        and len(value) == 1
        and isinstance(value[0], Dataset)
        and len(value[0]) == 0
    )


def _element_matches(have: object, want: object, vr: str) -> bool:
    if vr == "SQ":
        return _sequence_matches(have, want)
    wanted = _values(want)
    if vr == "UI" and len(wanted) > 1:
        return any(str(value) in wanted for value in _values(have))  # C.2.2.2.2
    key = wanted[0] if wanted else ""
    return any(_value_matches(str(value), key, vr) for value in _values(have))


def _sequence_matches(have: object, want: object) -> bool:
    # C.2.2.2.6: some item of the instance's sequence matches the query item.
    if not isinstance(want, _MANY) or not want:
        return True
    query_item = want[0]
    items = have if isinstance(have, _MANY) else []
    return any(
        isinstance(item, Dataset) and matches(item, query_item) for item in items
    )


def _value_matches(value: str, key: str, vr: str) -> bool:
    if vr in _RANGE_VRS and "-" in key:
        low, _, high = key.partition("-")
        # C.2.2.2.5: DICOM dates and times compare as strings of digits.
        return (not low or value >= low) and (not high or value[: len(high)] <= high)
    if vr in _WILDCARD_VRS and ("*" in key or "?" in key):
        pattern = "".join(
            ".*" if char == "*" else "." if char == "?" else re.escape(char)
            for char in key
        )
        return re.fullmatch(pattern, value, flags=re.DOTALL) is not None
    if vr == "PN":
        return value.casefold() == key.casefold()  # C.2.2.2.1: SCP's choice
    return value == key


def _values(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, _MANY):
        return [str(item) for item in value]
    return [str(value)]
