"""C-FIND attribute matching (PS3.4 C.2.2.2) as pure functions.

A Key Attribute value of a C-FIND Identifier becomes a *matcher*: one of
:class:`Universal`, :class:`EmptyValue`, :class:`Single`, :class:`Wildcard`,
:class:`Range` or :class:`AnyOf`. Each matcher answers two questions the
same way:

* ``matches(value)``: does a stored value match? (the Python side, used for
  attributes read from files and as the reference in the tests), and
* ``to_sql(expr)``: an SQL condition and its parameters that say the same of
  the column or expression ``expr`` (the SQLite side, used for the index).

Both sides compare *normalised* values (:func:`normalize`): the index stores
values normalised the same way, so that matching stays plain SQL (``=``,
``IN``, ``GLOB``, ``>=``/``<=``) that SQLite can answer from its indexes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, TypeAlias

from pydicom.dataset import Dataset
from pydicom.multival import MultiValue

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pydicom.dataelem import DataElement

__all__ = [
    "RANGE_VRS",
    "WILDCARD_VRS",
    "AnyOf",
    "EmptyValue",
    "Matcher",
    "Range",
    "Single",
    "Universal",
    "Wildcard",
    "element_matches",
    "matching_items",
    "normalize",
    "normalize_bound",
    "parse_matcher",
    "query_values",
]

#: VRs on which "*" and "?" are wild cards (PS3.4 C.2.2.2.4).
WILDCARD_VRS: Final = frozenset(
    {"AE", "CS", "LO", "LT", "PN", "SH", "ST", "UC", "UR", "UT"}
)
#: VRs with Range Matching (PS3.4 C.2.2.2.5).
RANGE_VRS: Final = frozenset({"DA", "TM", "DT"})

_INTEGER_VRS: Final = frozenset({"IS", "SL", "SS", "SV", "UL", "US", "UV"})
_DECIMAL_VRS: Final = frozenset({"DS", "FD", "FL"})
# PS3.5 6.2: leading spaces are significant in these text VRs, trailing are not.
_TEXT_VRS: Final = frozenset({"LT", "ST", "UT", "UR"})
# Empty Value Matching (PS3.4 C.2.2.2): a value of two QUOTATION MARKs.
_EMPTY_VALUE_KEY: Final = '""'

_TIME = re.compile(r"(\d{2})(?:(\d{2})(?:(\d{2})(?:\.(\d{1,6}))?)?)?")
_DATETIME = re.compile(
    r"(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:\.(\d{1,6}))?([+-]\d{4})?"
)
_DATE = re.compile(r"\d{8}")
_LEGACY_DATE = re.compile(r"\d{4}\.\d{2}\.\d{2}")


# -- normalisation ---------------------------------------------------------------


def normalize(vr: str, value: str) -> str:
    """Return the form of ``value`` that matching compares.

    Parameters
    ----------
    vr : str
        The Value Representation of the attribute.
    value : str
        One value, as text (an empty string for an empty value).

    Returns
    -------
    str
        Padding removed (PS3.5 6.2); PN case-folded and without trailing
        empty components, so that ``Doe^John^^`` and ``DOE^JOHN`` are equal
        (PS3.4 C.2.2.2.1 lets PN matching ignore case); DA without the
        ACR-NEMA dots; TM and DT to a fixed width so that text order is time
        order (DT drops its UTC offset: stored and query values compare as
        local times); numbers in canonical form. A value that does not parse
        is kept as it is: it then matches only itself.
    """
    if vr in RANGE_VRS:
        return normalize_bound(vr, value, upper=False)
    text = value.rstrip(" \0") if vr in _TEXT_VRS else value.strip(" \0")
    if vr == "PN":
        groups = (group.strip(" ").rstrip("^ ") for group in text.split("="))
        return "=".join(groups).rstrip("=").casefold()
    if vr in _INTEGER_VRS:
        return _canonical(text, int)
    if vr in _DECIMAL_VRS:
        return _canonical(text, float)
    return text


def _canonical(text: str, kind: type[int | float]) -> str:
    try:
        return repr(kind(text))
    except ValueError:
        return text


def normalize_bound(vr: str, value: str, *, upper: bool) -> str:
    """Return a DA, TM or DT value as the low or high end of its precision.

    PS3.5 6.2 lets TM and DT omit their trailing components; a range bound
    ``1030`` means 10:30:00 as a lower bound and 10:30:59.999999 as an upper
    bound (PS3.4 C.2.2.2.5).

    Parameters
    ----------
    vr : {"DA", "TM", "DT"}
        The Value Representation.
    value : str
        The value.
    upper : bool
        ``True`` to fill omitted components with their highest value.

    Returns
    -------
    str
        ``YYYYMMDD``, ``HHMMSS.FFFFFF`` or ``YYYYMMDDHHMMSS.FFFFFF``; the value
        stripped of padding when it does not parse.
    """
    text = value.strip(" \0")
    if vr == "DA":
        return text.replace(".", "") if _LEGACY_DATE.fullmatch(text) else text
    if vr == "TM":
        return _normalize_time(text.replace(":", ""), upper=upper) or text
    return _normalize_datetime(text, upper=upper) or text


def _normalize_time(text: str, *, upper: bool) -> str | None:
    match = _TIME.fullmatch(text)
    if match is None:
        return None
    hour, minute, second, fraction = match.groups()
    fill = "59" if upper else "00"
    return "{}{}{}.{}".format(
        hour,
        minute or fill,
        second or fill,
        (fraction or "").ljust(6, "9" if upper else "0"),
    )


def _normalize_datetime(text: str, *, upper: bool) -> str | None:
    match = _DATETIME.fullmatch(text)
    if match is None:
        return None
    parts = match.groups()
    fills = _DATETIME_HIGH if upper else _DATETIME_LOW
    date_time = "".join(
        part if part is not None else fill
        for part, fill in zip(parts[:6], fills, strict=True)
    )
    fraction = (parts[6] or "").ljust(6, "9" if upper else "0")
    return f"{date_time}.{fraction}"


# Omitted DT components (month, day, hour, minute, second) of a low and a high
# bound. Day 31 of a shorter month is no real date, but as text it still sorts
# after every day of that month and before the next month.
_DATETIME_LOW: Final = ("", "01", "01", "00", "00", "00")
_DATETIME_HIGH: Final = ("", "12", "31", "23", "59", "59")


# -- matchers --------------------------------------------------------------------

#: An SQL condition and its parameters.
SQL: TypeAlias = tuple[str, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class Universal:
    """Universal Matching (PS3.4 C.2.2.2.3): every value matches."""

    def matches(self, value: str) -> bool:  # noqa: ARG002  (matches any value)
        """Return ``True``."""
        return True

    def to_sql(self, expr: str) -> SQL:  # noqa: ARG002  (no condition at all)
        """Return an always-true condition."""
        return ("1", ())


@dataclass(frozen=True, slots=True)
class EmptyValue:
    """Empty Value Matching (PS3.4 C.2.2.2): absent or zero-length values."""

    def matches(self, value: str) -> bool:
        """Return whether the normalised ``value`` is empty."""
        return not value

    def to_sql(self, expr: str) -> SQL:
        """Return ``expr = ''``: the index stores absent values as ``''``."""
        return (f"{expr} = ''", ())


@dataclass(frozen=True, slots=True)
class Single:
    """Single Value Matching (PS3.4 C.2.2.2.1) of a normalised value."""

    value: str

    def matches(self, value: str) -> bool:
        """Return whether the normalised ``value`` equals the key."""
        return value == self.value

    def to_sql(self, expr: str) -> SQL:
        """Return ``expr = ?``."""
        return (f"{expr} = ?", (self.value,))


@dataclass(frozen=True, slots=True)
class Wildcard:
    """Wild Card Matching (PS3.4 C.2.2.2.4) of a normalised pattern.

    ``*`` matches any sequence of characters, including none; ``?`` matches
    one character. Use :func:`wildcard` to build one.
    """

    pattern: str
    regex: re.Pattern[str] = field(compare=False, repr=False)

    def matches(self, value: str) -> bool:
        """Return whether the normalised ``value`` matches the pattern."""
        return self.regex.fullmatch(value) is not None

    def to_sql(self, expr: str) -> SQL:
        """Return ``expr GLOB ?``.

        GLOB is case-sensitive and has the same ``*`` and ``?`` as DICOM; its
        only other special character, ``[``, is escaped as ``[[]``.
        """
        return (f"{expr} GLOB ?", (self.pattern.replace("[", "[[]"),))


def wildcard(pattern: str) -> Wildcard:
    """Return the :class:`Wildcard` matcher of a normalised ``pattern``."""
    regex = "".join(
        ".*" if char == "*" else "." if char == "?" else re.escape(char)
        for char in pattern
    )
    return Wildcard(pattern, re.compile(regex, re.DOTALL))


@dataclass(frozen=True, slots=True)
class Range:
    """Range Matching (PS3.4 C.2.2.2.5): inclusive bounds, either may be open.

    An empty value is in no range.
    """

    low: str | None
    high: str | None

    def matches(self, value: str) -> bool:
        """Return whether the normalised ``value`` lies within the bounds."""
        if not value:
            return False
        return (self.low is None or value >= self.low) and (
            self.high is None or value <= self.high
        )

    def to_sql(self, expr: str) -> SQL:
        """Return ``expr <> '' AND expr >= ? AND expr <= ?`` (open ends left out)."""
        terms = [f"{expr} <> ''"]
        params: list[str] = []
        if self.low is not None:
            terms.append(f"{expr} >= ?")
            params.append(self.low)
        if self.high is not None:
            terms.append(f"{expr} <= ?")
            params.append(self.high)
        return ("(" + " AND ".join(terms) + ")", tuple(params))


#: A matcher that can be one of the values of a multi-valued key.
_Option: TypeAlias = EmptyValue | Single | Wildcard | Range


@dataclass(frozen=True, slots=True)
class AnyOf:
    r"""A multi-valued key: a value matches if it matches any of the options.

    This is List of UID Matching (PS3.4 C.2.2.2.2) for UIDs; for other VRs a
    backslash-separated key is read the same way (as ModalitiesInStudy
    queries such as ``CT\MR`` expect).
    """

    options: tuple[_Option, ...]

    def matches(self, value: str) -> bool:
        """Return whether the normalised ``value`` matches any option."""
        return any(option.matches(value) for option in self.options)

    def to_sql(self, expr: str) -> SQL:
        """Return ``expr IN (?, ...)`` for single values, else ORed conditions."""
        if all(isinstance(option, Single) for option in self.options):
            marks = ", ".join("?" * len(self.options))
            values = tuple(option.to_sql(expr)[1][0] for option in self.options)
            return (f"{expr} IN ({marks})", values)
        conditions = [option.to_sql(expr) for option in self.options]
        sql = " OR ".join(condition for condition, _ in conditions)
        params = tuple(param for _, values in conditions for param in values)
        return (f"({sql})", params)


#: Any matcher.
Matcher: TypeAlias = Universal | EmptyValue | Single | Wildcard | Range | AnyOf


def parse_matcher(values: Sequence[str], vr: str) -> Matcher:
    """Return the matcher of a Key Attribute's values.

    Parameters
    ----------
    values : sequence of str
        The values of the key (:func:`query_values`): none for a zero-length
        key, several for a backslash-separated one.
    vr : str
        The Value Representation of the attribute.

    Returns
    -------
    Matcher
        The matching type that PS3.4 C.2.2.2 gives the key.
    """
    options: list[_Option] = []
    for value in values:
        option = _parse_one(value, vr)
        if isinstance(option, Universal):
            # One value matching anything makes the whole key match anything.
            return option
        options.append(option)
    if not options:
        return Universal()
    return options[0] if len(options) == 1 else AnyOf(tuple(options))


def _parse_one(value: str, vr: str) -> Universal | _Option:
    text = value.strip(" \0")
    if not text.strip("*"):
        # A zero-length key is Universal Matching (PS3.4 C.2.2.2.3), and so is
        # "*" (C.2.2.2.4 note); a "*" key of another VR (a UID, a date) can
        # mean nothing else, so it is read the same way.
        return Universal()
    if text == _EMPTY_VALUE_KEY:
        return EmptyValue()
    if vr in RANGE_VRS and "-" in text:
        bounds = _parse_range(text, vr)
        if bounds is not None:
            low, high = bounds
            if low is None and high is None:
                return Universal()
            return Range(low, high)
    if vr in WILDCARD_VRS and ("*" in text or "?" in text):
        return wildcard(normalize(vr, text))
    return Single(normalize(vr, value))


def _parse_range(text: str, vr: str) -> tuple[str | None, str | None] | None:
    """Return the bounds of ``<low>-<high>``, ``-<high>`` or ``<low>-``.

    A DT value may itself contain "-" (a negative UTC offset, PS3.5 6.2), so
    ``20200110103000-0500`` is one value: a DT key is a single value when it
    has a valid offset after more than a year (``2020-2021`` is a range of
    years, even though it also parses as the year 2020 at UTC-20:21).
    """
    if vr == "DT" and _is_offset_datetime(text):
        return None
    for index, char in enumerate(text):
        if char != "-":
            continue
        low, high = text[:index].strip(), text[index + 1 :].strip()
        if _valid_bound(low, vr) and _valid_bound(high, vr):
            return (
                normalize_bound(vr, low, upper=False) if low else None,
                normalize_bound(vr, high, upper=True) if high else None,
            )
    return None


def _is_offset_datetime(text: str) -> bool:
    match = _DATETIME.fullmatch(text)
    if match is None or match.group(8) is None or match.group(2) is None:
        return False
    hours, minutes = int(match.group(8)[1:3]), int(match.group(8)[3:])
    # PS3.5 6.2: offsets run from -1200 to +1400.
    return hours <= 14 and minutes < 60


def _valid_bound(text: str, vr: str) -> bool:
    if not text:
        return True
    if vr == "DA":
        return bool(_DATE.fullmatch(text) or _LEGACY_DATE.fullmatch(text))
    if vr == "TM":
        return _TIME.fullmatch(text.replace(":", "")) is not None
    return _DATETIME.fullmatch(text) is not None


# -- data elements ---------------------------------------------------------------


def query_values(element: DataElement) -> list[str]:
    """Return the values of a data element as text (none if it is empty).

    Binary values (OB, UN...) have no text form and give no values.
    """
    if element.is_empty:
        return []
    value = element.value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return []
    if isinstance(value, (MultiValue, list, tuple)):
        return [str(item) if item is not None else "" for item in value]
    return [str(value)]


def element_matches(key: DataElement, stored: DataElement | None) -> bool:
    """Return whether a stored data element matches a Key Attribute.

    Parameters
    ----------
    key : pydicom.dataelem.DataElement
        The Key Attribute from the Identifier.
    stored : pydicom.dataelem.DataElement or None
        The attribute of the entity, ``None`` when it is absent.

    Returns
    -------
    bool
        For a multi-valued stored attribute, whether any value matches; for a
        sequence, Sequence Matching (PS3.4 C.2.2.2.6).
    """
    if key.VR == "SQ":
        return _key_item(key) is None or bool(matching_items(key, stored))
    matcher = parse_matcher(query_values(key), key.VR)
    if isinstance(matcher, Universal):
        return True
    values = query_values(stored) if stored is not None else []
    if not values:
        return matcher.matches("")
    return any(matcher.matches(normalize(key.VR, value)) for value in values)


def matching_items(key: DataElement, stored: DataElement | None) -> list[Dataset]:
    """Return the items of a stored sequence that match a sequence key.

    PS3.4 C.2.2.2.6: the key holds one item of Item Key Attributes; an item
    matches when all of them match, and the response holds the matching items
    reduced to the requested attributes. A key with no item, or an empty
    item, asks for the whole sequence.

    Parameters
    ----------
    key : pydicom.dataelem.DataElement
        The sequence Key Attribute.
    stored : pydicom.dataelem.DataElement or None
        The entity's sequence, ``None`` when it is absent.

    Returns
    -------
    list of pydicom.dataset.Dataset
        The response items.
    """
    if stored is None or stored.VR != "SQ" or stored.is_empty:
        return []
    key_item = _key_item(key)
    if key_item is None:
        return list(stored.value)
    return [
        _reduce(key_item, item)
        for item in stored.value
        if all(element_matches(sub, _get(item, sub.tag)) for sub in key_item)
    ]


def _key_item(key: DataElement) -> Dataset | None:
    """Return the Item Key Attributes of a sequence key, ``None`` if none."""
    items = [] if key.is_empty else list(key.value)
    if not items or len(items[0]) == 0:
        return None
    item: Dataset = items[0]
    return item


def _reduce(key_item: Dataset, item: Dataset) -> Dataset:
    """Return ``item`` holding only the attributes ``key_item`` asks for."""
    reduced = Dataset()
    for sub in key_item:
        stored = _get(item, sub.tag)
        if sub.VR == "SQ":
            reduced.add_new(sub.tag, "SQ", matching_items(sub, stored))
        elif stored is not None:
            reduced.add_new(sub.tag, stored.VR, stored.value)
        else:
            reduced.add_new(sub.tag, sub.VR, None)
    return reduced


def _get(item: Dataset, tag: int) -> DataElement | None:
    # Dataset.get() answers a keyword with a value but a tag with an element.
    element: DataElement | None = item.get(tag)
    return element
