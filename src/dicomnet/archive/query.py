"""C-FIND, C-GET and C-MOVE Identifiers to SQL, and rows to responses.

What SQLite does and what Python does:

* SQL: every key the index stores (:data:`dicomnet.archive.index.ATTRIBUTES`)
  at or above the query level is matched in the WHERE clause (``=``, ``IN``,
  ``GLOB``, ``>=``/``<=``, ``EXISTS`` for ModalitiesInStudy), derived counts
  are sub-queries, and rows come back in hierarchy order.
* Python: building the response Identifiers and, at the IMAGE level only,
  matching and returning keys the index does not store, read from each
  candidate file (PS3.4 C.2.2.1 lets an SCP support them or not; it costs one
  partial file read per candidate, so it is done only when such keys are
  present). Keys the index lacks at other levels are returned empty and not
  matched, which C.2.2.1 allows for Optional keys.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from pydicom import dcmread
from pydicom.charset import convert_encodings
from pydicom.config import IGNORE
from pydicom.datadict import dictionary_VR
from pydicom.dataelem import DataElement, empty_value_for_VR
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.tag import Tag

from dicomnet.archive.errors import InvalidIdentifierError
from dicomnet.archive.index import ATTRIBUTES, Attribute, element_text
from dicomnet.archive.matching import (
    AnyOf,
    Matcher,
    Range,
    Single,
    Universal,
    element_matches,
    matching_items,
    normalize,
    parse_matcher,
)
from dicomnet.archive.model import UNIQUE_KEYS, QueryLevel, QueryModel

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from pathlib import Path

    from pydicom.tag import BaseTag

__all__ = ["FindPlan", "plan_find", "plan_retrieve", "responses"]

_LOGGER = logging.getLogger(__name__)

_P, _ST, _SE, _I = QueryLevel
_JOIN_STUDY: Final = " JOIN patient AS p ON p.pk = st.patient_pk"
_JOIN_SERIES: Final = " JOIN study AS st ON st.pk = se.study_pk" + _JOIN_STUDY
_FROM: Final = {
    _P: "patient AS p",
    _ST: "study AS st" + _JOIN_STUDY,
    _SE: "series AS se" + _JOIN_SERIES,
    _I: "instance AS i JOIN series AS se ON se.pk = i.series_pk" + _JOIN_SERIES,
}
# Hierarchy order; within a series by Instance Number, then by UID.
_ORDER: Final = {
    _P: "p.patient_id",
    _ST: "st.study_uid",
    _SE: "st.study_uid, se.series_order NULLS LAST, se.series_uid",
    _I: "st.study_uid, se.series_order NULLS LAST, se.series_uid,"
    " i.instance_order NULLS LAST, i.sop_uid",
}
_CHARSETS: Final = {
    _P: ("p.charset",),
    _ST: ("p.charset", "st.charset"),
    _SE: ("p.charset", "st.charset", "se.charset"),
    _I: ("p.charset", "st.charset", "se.charset", "i.charset"),
}
_BY_TAG: Final = {Tag(keyword): attribute for keyword, attribute in ATTRIBUTES.items()}
_DEFAULT_ENCODINGS: Final = ("iso8859",)
_SINGLE_TEXT_VRS: Final = frozenset({"LT", "ST", "UT", "UR"})
_NOT_KEYS: Final = frozenset({Tag("SpecificCharacterSet"), Tag("QueryRetrieveLevel")})
_DATE_TIME_LOW: Final = "000000.000000"
_DATE_TIME_HIGH: Final = "235959.999999"
#: The character set of a response whose values come from several.
_UNICODE: Final = "ISO_IR 192"


@dataclass(frozen=True, slots=True)
class _Output:
    """One requested key: where its value comes from."""

    tag: BaseTag
    vr: str
    column: int | None = None  # the row index of an indexed value
    key: DataElement | None = None  # the key of a value read from the file


@dataclass(frozen=True, slots=True)
class FindPlan:
    """A validated C-FIND Identifier as an SQL query and a response template.

    Attributes
    ----------
    level : QueryLevel
        The Query/Retrieve Level.
    sql : str
        The SELECT; each row starts with the character sets of the entities
        involved, then (IMAGE level) the file path, then the requested values.
    params : tuple of str
        Its parameters.
    outputs : tuple
        The requested keys, in Identifier order.
    file_keys : tuple of pydicom.dataelem.DataElement
        IMAGE-level keys matched in Python on the files.
    """

    level: QueryLevel
    sql: str
    params: tuple[str, ...]
    outputs: tuple[_Output, ...] = field(repr=False)
    file_keys: tuple[DataElement, ...]


def query_level(identifier: Dataset, model: QueryModel) -> QueryLevel:
    """Return the Query/Retrieve Level of an Identifier, checked against a model.

    Raises
    ------
    InvalidIdentifierError
        The level is missing, unknown, or not a level of ``model``.
    """
    value = element_text(identifier, Tag("QueryRetrieveLevel"), "CS", ())
    if not value:
        raise InvalidIdentifierError(
            "the Identifier has no Query/Retrieve Level (0008,0052)"
        )
    try:
        level = QueryLevel(value)
    except ValueError:
        raise InvalidIdentifierError(
            f"unknown Query/Retrieve Level (0008,0052) {value!r}"
        ) from None
    if level not in model.levels:
        raise InvalidIdentifierError(
            f"the {model.name} information model has no {level.value} level"
        )
    return level


def _check_higher_keys(
    identifier: Dataset, model: QueryModel, level: QueryLevel
) -> None:
    """Check the Unique Keys of the levels above ``level``.

    PS3.4 C.4.1.2.1 (C-FIND) and C.4.2.2.1 (C-MOVE, C-GET): in a hierarchical
    query, each level above the query level is given by a single value of
    its Unique Key.
    """
    for higher in model.levels[: model.levels.index(level)]:
        keyword = UNIQUE_KEYS[higher]
        vr = ATTRIBUTES[keyword].vr
        values = key_values(identifier, Tag(keyword), vr)
        if len(values) != 1 or not isinstance(parse_matcher(values, vr), Single):
            raise InvalidIdentifierError(
                f"a query at the {level.value} level of the {model.name} "
                f"information model needs a single value of {keyword} "
                "(PS3.4 C.4.1.2.1)"
            )


def plan_find(
    identifier: Dataset, model: QueryModel, *, combined_datetime: bool = False
) -> FindPlan:
    """Validate a C-FIND Identifier and build its query (PS3.4 C.4.1.3.1).

    Parameters
    ----------
    identifier : pydicom.dataset.Dataset
        The Identifier of the C-FIND request.
    model : QueryModel
        The information model of the SOP Class used.
    combined_datetime : bool
        Whether the SCU negotiated combined date and time range matching
        (PS3.4 C.2.2.2.5, C.4.1.1.4): StudyDate and StudyTime ranges then
        make one date-time range.

    Raises
    ------
    InvalidIdentifierError
        The level is missing, unknown or not in ``model``, or a Unique Key of
        a higher level is not given as a single value.
    """
    level = query_level(identifier, model)
    _check_higher_keys(identifier, model, level)
    select = list(_CHARSETS[level])
    if level is _I:
        select.append("i.path")
    outputs: list[_Output] = []
    file_keys: list[DataElement] = []
    matchers: dict[str, tuple[Attribute, Matcher]] = {}
    encodings = _encodings(identifier)
    for tag in sorted(identifier.keys()):
        if tag in _NOT_KEYS or tag.element == 0:
            continue
        attribute = _BY_TAG.get(tag)
        if attribute is not None and attribute.level <= level:
            keys = key_values(identifier, tag, attribute.vr, encodings)
            matchers[attribute.keyword] = (attribute, parse_matcher(keys, attribute.vr))
            outputs.append(_Output(tag, attribute.vr, len(select)))
            select.append(attribute.value_sql)
        elif attribute is None and level is _I:
            element = identifier[tag]  # matched like the files' elements
            file_keys.append(element)
            outputs.append(_Output(tag, element.VR, key=element))
        else:
            outputs.append(_Output(tag, _vr(identifier, tag)))
    where, params = _where(matchers, combined_datetime=combined_datetime)
    sql = f"SELECT {', '.join(select)} FROM {_FROM[level]}{where}"  # noqa: S608  (values are bound)
    return FindPlan(
        level,
        f"{sql} ORDER BY {_ORDER[level]}",
        params,
        tuple(outputs),
        tuple(file_keys),
    )


def _where(
    matchers: dict[str, tuple[Attribute, Matcher]], *, combined_datetime: bool
) -> tuple[str, tuple[str, ...]]:
    conditions: list[str] = []
    params: list[str] = []
    if combined_datetime and (combined := _combined_range(matchers)) is not None:
        conditions.append(combined[0])
        params.extend(combined[1])
        del matchers["StudyDate"], matchers["StudyTime"]
    for attribute, matcher in matchers.values():
        if isinstance(matcher, Universal):
            continue
        sql, values = matcher.to_sql(attribute.match_sql)
        if attribute.exists_sql is not None:
            sql = attribute.exists_sql.format(sql)
        conditions.append(sql)
        params.extend(values)
    if not conditions:
        return "", ()
    return " WHERE " + " AND ".join(conditions), tuple(params)


def _combined_range(
    matchers: dict[str, tuple[Attribute, Matcher]],
) -> tuple[str, tuple[str, ...]] | None:
    """Return one condition for StudyDate and StudyTime ranges together.

    PS3.4 C.2.2.2.5: with combined matching, ``20240101-20240102`` and
    ``2200-0600`` select from 2024-01-01 22:00 to 2024-01-02 06:00, not two
    separate ranges. A missing time bound is the start or end of the day.
    """
    date = matchers.get("StudyDate", (None, None))[1]
    time = matchers.get("StudyTime", (None, None))[1]
    if not isinstance(date, Range) or not isinstance(time, Range):
        return None
    low = None if date.low is None else date.low + (time.low or _DATE_TIME_LOW)
    high = None if date.high is None else date.high + (time.high or _DATE_TIME_HIGH)
    expr = (
        "(st.study_date || CASE WHEN st.study_time_m = ''"
        f" THEN '{_DATE_TIME_LOW}' ELSE st.study_time_m END)"
    )
    sql, params = Range(low, high).to_sql(expr)
    return f"(st.study_date <> '' AND {sql})", params


def plan_retrieve(
    identifier: Dataset, model: QueryModel
) -> tuple[str, tuple[str, ...]]:
    """Validate a C-GET or C-MOVE Identifier and build its query.

    PS3.4 C.4.2.2.1 / C.4.3.2.1: Unique Keys only, a single value for each
    level above the Query/Retrieve Level and a single value or a list of
    values at that level. Other keys are ignored.

    Returns
    -------
    tuple of str and tuple of str
        The SELECT of the instances' relative paths, and its parameters.

    Raises
    ------
    InvalidIdentifierError
        The level or a Unique Key is missing or invalid.
    """
    level = query_level(identifier, model)
    _check_higher_keys(identifier, model, level)
    keyword = UNIQUE_KEYS[level]
    values = key_values(identifier, Tag(keyword), ATTRIBUTES[keyword].vr)
    if not values or not all(value.strip(" \0") for value in values):
        raise InvalidIdentifierError(
            f"a retrieve at the {level.value} level needs a value of {keyword} "
            "(PS3.4 C.4.2.2.1)"
        )
    conditions: list[str] = []
    params: list[str] = []
    for entity in model.levels[: model.levels.index(level) + 1]:
        attribute = ATTRIBUTES[UNIQUE_KEYS[entity]]
        keys = key_values(identifier, Tag(attribute.keyword), attribute.vr)
        # Unique key matching only: "*" or "?" in a Patient ID are literal.
        singles = tuple(Single(normalize(attribute.vr, key)) for key in keys)
        matcher = singles[0] if len(singles) == 1 else AnyOf(singles)
        sql, values_sql = matcher.to_sql(attribute.match_sql)
        conditions.append(sql)
        params.extend(values_sql)
    where = " AND ".join(conditions)
    sql = f"SELECT i.path FROM {_FROM[_I]} WHERE {where} ORDER BY {_ORDER[_I]}"  # noqa: S608  (parameters are bound)
    return sql, tuple(params)


def key_values(
    identifier: Dataset,
    tag: BaseTag,
    vr: str,
    encodings: Sequence[str] = _DEFAULT_ENCODINGS,
) -> list[str]:
    """Return the values of a Key Attribute as text (none when zero length).

    Read from the encoded value when pydicom has not converted it yet, so
    that the forms only matching allows (``""`` in an IS key, a range in a
    TM key) give no warning about invalid values.
    """
    text = element_text(identifier, tag, vr, encodings)
    if not text:
        return []
    # PS3.5 6.2: a backslash separates values except in the text VRs.
    return [text] if vr in _SINGLE_TEXT_VRS else text.split("\\")


def _encodings(identifier: Dataset) -> Sequence[str]:
    charset = element_text(identifier, Tag("SpecificCharacterSet"), "CS", ())
    return convert_encodings(charset.split("\\")) if charset else _DEFAULT_ENCODINGS


def _vr(identifier: Dataset, tag: BaseTag) -> str:
    """Return the VR of a key the archive does not know."""
    element = identifier.get_item(tag)
    if element is not None and element.VR:
        return str(element.VR)
    try:
        vr = dictionary_VR(tag)
    except KeyError:
        return "UN"
    # Ambiguous VRs ("US or SS") only matter for values; the key is empty.
    return vr.split(" or ")[0]


# -- responses -------------------------------------------------------------------


def responses(
    plan: FindPlan, rows: Sequence[Sequence[Any]], root: Path
) -> Iterator[Dataset]:
    """Yield the C-FIND response Identifier of each matching row.

    Parameters
    ----------
    plan : FindPlan
        The query.
    rows : sequence of rows
        What its SQL returned.
    root : pathlib.Path
        The archive root, for the files of IMAGE-level rows.
    """
    charsets = len(_CHARSETS[plan.level])
    for row in rows:
        instance: Dataset | None = None
        if plan.file_keys:
            instance = _read_keys(root / row[charsets], plan.file_keys)
            if instance is None or not all(
                element_matches(key, _get(instance, key.tag)) for key in plan.file_keys
            ):
                continue
        yield _response(plan, row, charsets, instance)


def _response(
    plan: FindPlan, row: Sequence[Any], charsets: int, instance: Dataset | None
) -> Dataset:
    response = Dataset()
    texts: list[str] = []
    for output in plan.outputs:
        if output.column is not None:
            value = row[output.column]
            if isinstance(value, str):
                texts.append(value)
            if value is None or value == "":
                value = empty_value_for_VR(output.vr)
            # Values are returned as stored, valid or not: no validation.
            response.add(
                DataElement(output.tag, output.vr, value, validation_mode=IGNORE)
            )
        elif output.key is not None and instance is not None:
            response.add(_file_value(output.key, instance))
        else:
            response.add_new(output.tag, output.vr, empty_value_for_VR(output.vr))
    response.QueryRetrieveLevel = plan.level.value
    charset = _charset(row[:charsets], texts)
    if charset:
        response.SpecificCharacterSet = charset.split("\\")
    return response


def _charset(charsets: Sequence[str], texts: list[str]) -> str:
    """Return the Specific Character Set of a response (PS3.4 C.4.1.1.3.2).

    The one of the entities the values come from; UTF-8 when they differ, or
    when non-ASCII values were stored without one.
    """
    distinct = {charset for charset in charsets if charset}
    if len(distinct) == 1:
        return distinct.pop()
    if distinct or not all(text.isascii() for text in texts):
        return _UNICODE
    return ""


def _read_keys(path: Path, keys: tuple[DataElement, ...]) -> Dataset | None:
    """Read the attributes ``keys`` ask for from an instance file."""
    tags = [Tag("SpecificCharacterSet"), *(key.tag for key in keys)]
    try:
        return dcmread(path, stop_before_pixels=True, specific_tags=tags)
    except (OSError, InvalidDicomError) as exc:
        # The index names a file that is gone or broken: report, skip it.
        _LOGGER.warning("Cannot read archived instance %s: %s", path, exc)
        return None


def _file_value(key: DataElement, instance: Dataset) -> DataElement:
    stored = _get(instance, key.tag)
    if key.VR == "SQ":
        return DataElement(key.tag, "SQ", matching_items(key, stored))
    if stored is None:
        return DataElement(key.tag, key.VR, empty_value_for_VR(key.VR))
    return DataElement(key.tag, stored.VR, stored.value)


def _get(dataset: Dataset, tag: BaseTag) -> DataElement | None:
    # Dataset.get() answers a keyword with a value but a tag with an element.
    element: DataElement | None = dataset.get(tag)
    return element
