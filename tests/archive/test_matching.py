"""PS3.4 C.2.2.2 matching: parsing keys, normalising values, Python and SQL."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydicom import Dataset
from pydicom.dataelem import DataElement
from pydicom.sequence import Sequence

from dicomnet.archive.matching import (
    AnyOf,
    EmptyValue,
    Range,
    Single,
    Universal,
    Wildcard,
    element_matches,
    matching_items,
    normalize,
    normalize_bound,
    parse_matcher,
    query_values,
    wildcard,
)

from .corpus import key

# -- normalisation ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("vr", "value", "expected"),
    [
        # PN: case-folded, padding and trailing empty components dropped.
        ("PN", "Doe^John", "doe^john"),
        ("PN", " DOE^JOHN^^^ ", "doe^john"),
        ("PN", "Doe^John==", "doe^john"),
        ("PN", "Doe^John=ドウ^ジョン", "doe^john=ドウ^ジョン"),
        ("PN", "", ""),
        # DA: ACR-NEMA "YYYY.MM.DD" becomes "YYYYMMDD".
        ("DA", "20200110", "20200110"),
        ("DA", "2020.01.10", "20200110"),
        ("DA", " 20200110 ", "20200110"),
        # TM: fixed width, omitted components are zero (and ACR-NEMA colons).
        ("TM", "10", "100000.000000"),
        ("TM", "1015", "101500.000000"),
        ("TM", "101530.5", "101530.500000"),
        ("TM", "10:15:30", "101530.000000"),
        ("TM", "bogus", "bogus"),
        # DT: fixed width, UTC offset dropped.
        ("DT", "2020", "20200101000000.000000"),
        ("DT", "20200110103000+0100", "20200110103000.000000"),
        ("DT", "20200110103000.123-0500", "20200110103000.123000"),
        ("DT", "bogus", "bogus"),
        # Numbers: canonical.
        ("IS", " 05", "5"),
        ("IS", "+7", "7"),
        ("IS", "x", "x"),
        ("DS", "1", "1.0"),
        ("DS", "1.50", "1.5"),
        ("US", "12", "12"),
        # UI: NUL padding.
        ("UI", "1.2.3\0", "1.2.3"),
        # Text VRs keep leading spaces (PS3.5 6.2).
        ("LT", "  indented  ", "  indented"),
        ("LO", "  padded  ", "padded"),
        ("CS", "CT ", "CT"),
    ],
)
def test_normalize(vr: str, value: str, expected: str) -> None:
    assert normalize(vr, value) == expected


@pytest.mark.parametrize(
    ("vr", "value", "low", "high"),
    [
        ("TM", "10", "100000.000000", "105959.999999"),
        ("TM", "1030", "103000.000000", "103059.999999"),
        ("TM", "103015", "103015.000000", "103015.999999"),
        ("TM", "103015.5", "103015.500000", "103015.599999"),
        ("DT", "2020", "20200101000000.000000", "20201231235959.999999"),
        ("DT", "202002", "20200201000000.000000", "20200231235959.999999"),
        ("DT", "20200110", "20200110000000.000000", "20200110235959.999999"),
        ("DA", "20200110", "20200110", "20200110"),
    ],
)
def test_normalize_bound(vr: str, value: str, low: str, high: str) -> None:
    assert normalize_bound(vr, value, upper=False) == low
    assert normalize_bound(vr, value, upper=True) == high


# -- parsing keys ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "vr", "expected"),
    [
        # Universal Matching (C.2.2.2.3, and "*" by the C.2.2.2.4 note).
        ([], "PN", Universal()),
        ([""], "LO", Universal()),
        (["  "], "LO", Universal()),
        (["*"], "PN", Universal()),
        (["**"], "CS", Universal()),
        (["*"], "UI", Universal()),
        (["-"], "DA", Universal()),
        (["CT", ""], "CS", Universal()),
        # Empty Value Matching.
        (['""'], "LO", EmptyValue()),
        # Single Value Matching (C.2.2.2.1), normalised.
        (["P1"], "LO", Single("P1")),
        (["Doe^John"], "PN", Single("doe^john")),
        (["20200110"], "DA", Single("20200110")),
        (["1015"], "TM", Single("101500.000000")),
        # "*" and "?" are wild cards only in the C.2.2.2.4 VRs.
        (["1.2.*"], "UI", Single("1.2.*")),
        (["2020*"], "DA", Single("2020*")),
        (["5?"], "IS", Single("5?")),
        # A "-" makes a range only for DA, TM and DT.
        (["A-B"], "LO", Single("A-B")),
        (["1.2-3"], "UI", Single("1.2-3")),
        # Range Matching (C.2.2.2.5).
        (["20200101-20201231"], "DA", Range("20200101", "20201231")),
        (["-20201231"], "DA", Range(None, "20201231")),
        (["20200101-"], "DA", Range("20200101", None)),
        (["2020.01.01-2020.12.31"], "DA", Range("20200101", "20201231")),
        (["10-11"], "TM", Range("100000.000000", "115959.999999")),
        (["1030-"], "TM", Range("103000.000000", None)),
        (
            ["2020-2021"],
            "DT",
            Range("20200101000000.000000", "20211231235959.999999"),
        ),
        # A DT with a negative UTC offset is a single value, not a range ...
        (["20200110103000-0500"], "DT", Single("20200110103000.000000")),
        # ... unless it splits into two DTs.
        (
            ["20200110103000-0500-20200111"],
            "DT",
            Range("20200110103000.000000", "20200111235959.999999"),
        ),
        # Not a valid range: kept as a literal single value.
        (["abc-def"], "DA", Single("abc-def")),
        # List of UID Matching (C.2.2.2.2) and other multi-valued keys.
        (["1.2", "1.3"], "UI", AnyOf((Single("1.2"), Single("1.3")))),
        (["CT", '""'], "CS", AnyOf((Single("CT"), EmptyValue()))),
    ],
)
def test_parse_matcher(values: list[str], vr: str, expected: object) -> None:
    assert parse_matcher(values, vr) == expected


@pytest.mark.parametrize(
    ("values", "vr", "pattern"),
    [
        (["Doe*"], "PN", "doe*"),
        (["?OE^J*"], "PN", "?oe^j*"),
        (["C?"], "CS", "C?"),
        (["ACC*"], "SH", "ACC*"),
        (["*head*"], "LO", "*head*"),
        (["HE*"], "CS", "HE*"),
    ],
)
def test_wildcard_keys(values: list[str], vr: str, pattern: str) -> None:
    matcher = parse_matcher(values, vr)
    assert isinstance(matcher, Wildcard)
    assert matcher.pattern == pattern


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("doe*", "doe^john", True),
        ("doe*", "doe", True),
        ("doe*", "roe^jane", False),
        ("d?e*", "doe^john", True),
        ("d?e", "de", False),
        ("*", "", True),
        ("a*b", "a\nb", True),
        ("[x]*", "[x]yz", True),
        ("[x]*", "xyz", False),
        ("a.c", "abc", False),
    ],
)
def test_wildcard_matches(pattern: str, value: str, expected: bool) -> None:
    assert wildcard(pattern).matches(value) is expected


def test_range_excludes_empty_values() -> None:
    assert not Range(None, "20201231").matches("")
    assert not Range("20200101", None).matches("")
    assert Range("20200101", "20201231").matches("20200615")
    assert Range("20200101", "20201231").matches("20200101")
    assert Range("20200101", "20201231").matches("20201231")
    assert not Range("20200101", "20201231").matches("20210101")


# -- SQL agrees with Python -----------------------------------------------------


@pytest.fixture(scope="module")
def connection() -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(":memory:")
    yield connection
    connection.close()


def sql_matches(connection: sqlite3.Connection, matcher: object, value: str) -> bool:
    sql, params = matcher.to_sql("v")  # type: ignore[attr-defined]
    row = connection.execute(
        f"SELECT EXISTS (SELECT 1 FROM (SELECT ? AS v) WHERE {sql})",
        (value, *params),
    ).fetchone()
    return bool(row[0])


ALPHABET = "aAbB^=*?[]-.0123 é\\"
texts = st.text(alphabet=ALPHABET, max_size=8)
dates = st.sampled_from(
    ["", "19991231", "20200101", "20200110", "20201231", "2021", "-", "x"]
)
times = st.sampled_from(["", "00", "0830", "1015", "101530.5", "2359", "x"])


@settings(max_examples=300, deadline=None)
@given(
    vr=st.sampled_from(["PN", "LO", "CS", "UI", "SH", "LT", "IS"]),
    keys=st.lists(texts, max_size=3),
    value=texts,
)
def test_sql_agrees_with_python_on_strings(
    connection: sqlite3.Connection, vr: str, keys: list[str], value: str
) -> None:
    matcher = parse_matcher(keys, vr)
    stored = normalize(vr, value)
    assert sql_matches(connection, matcher, stored) is matcher.matches(stored)


@settings(max_examples=300, deadline=None)
@given(
    vr_values=st.sampled_from(["DA", "TM"]).flatmap(
        lambda vr: st.tuples(
            st.just(vr),
            dates if vr == "DA" else times,
            dates if vr == "DA" else times,
            dates if vr == "DA" else times,
        )
    ),
    form=st.sampled_from(["{}-{}", "-{}", "{}-", "{}"]),
)
def test_sql_agrees_with_python_on_ranges(
    connection: sqlite3.Connection, vr_values: tuple[str, str, str, str], form: str
) -> None:
    vr, low, high, value = vr_values
    key = form.format(low, high) if form.count("{}") == 2 else form.format(low or high)
    matcher = parse_matcher([key], vr)
    stored = normalize(vr, value)
    assert sql_matches(connection, matcher, stored) is matcher.matches(stored)


def test_glob_brackets_are_literal(connection: sqlite3.Connection) -> None:
    matcher = parse_matcher(["[ab]*"], "LO")
    assert sql_matches(connection, matcher, "[ab]c")
    assert not sql_matches(connection, matcher, "ac")


def test_uid_list_is_an_in_clause() -> None:
    sql, params = parse_matcher(["1.2", "1.3", "1.4"], "UI").to_sql("x")
    assert sql == "x IN (?, ?, ?)"
    assert params == ("1.2", "1.3", "1.4")


def test_single_value_is_case_sensitive_except_pn(
    connection: sqlite3.Connection,
) -> None:
    # C.2.2.2.1: only PN may ignore case.
    assert not sql_matches(connection, parse_matcher(["ct"], "CS"), "CT")
    assert sql_matches(
        connection, parse_matcher(["DOE^JOHN"], "PN"), normalize("PN", "Doe^john")
    )


# -- data elements (the Python side, for attributes read from files) -----------


def element(keyword: str, value: object) -> DataElement:
    return key(keyword, value)


def test_query_values() -> None:
    assert query_values(element("PatientName", "")) == []
    assert query_values(element("PatientName", "Doe^John")) == ["Doe^John"]
    assert query_values(element("ImageType", ["A", "B"])) == ["A", "B"]
    assert query_values(element("Rows", 256)) == ["256"]
    assert query_values(DataElement(0x00091001, "OB", b"\x01")) == []


@pytest.mark.parametrize(
    ("key", "stored", "expected"),
    [
        (("ImageType", "ORIGINAL"), ("ImageType", ["ORIGINAL", "PRIMARY"]), True),
        (("ImageType", "PRIMARY"), ("ImageType", ["ORIGINAL", "PRIMARY"]), True),
        (("ImageType", "DERIVED"), ("ImageType", ["ORIGINAL", "PRIMARY"]), False),
        (("ImageType", "ORIG*"), ("ImageType", ["ORIGINAL", "PRIMARY"]), True),
        (("Rows", 256), ("Rows", 256), True),
        (("Rows", 512), ("Rows", 256), False),
        (("BodyPartExamined", '""'), None, True),
        (("BodyPartExamined", "HEAD"), None, False),
        (("BodyPartExamined", ""), None, True),
        (("ContentDate", "20200101-"), ("ContentDate", "20200110"), True),
        (("ContentDate", "-20191231"), ("ContentDate", "20200110"), False),
    ],
)
def test_element_matches(
    key: tuple[str, object], stored: tuple[str, object] | None, expected: bool
) -> None:
    stored_element = element(*stored) if stored is not None else None
    assert element_matches(element(*key), stored_element) is expected


def sequence(*items: dict[str, object]) -> Sequence:
    result = []
    for attributes in items:
        item = Dataset()
        for keyword, value in attributes.items():
            item.add(key(keyword, value))
        result.append(item)
    return Sequence(result)


STORED_SEQUENCE = sequence(
    {"ReferencedSOPClassUID": "1.2.840.1", "ReferencedSOPInstanceUID": "1.1"},
    {"ReferencedSOPClassUID": "1.2.840.2", "ReferencedSOPInstanceUID": "1.2"},
)


def test_sequence_matching_selects_and_reduces_items() -> None:
    # C.2.2.2.6: one key item; matching items come back with the keys asked.
    key = element(
        "SourceImageSequence",
        sequence({"ReferencedSOPInstanceUID": "1.2", "ReferencedSOPClassUID": ""}),
    )
    stored = element("SourceImageSequence", STORED_SEQUENCE)
    assert element_matches(key, stored)
    items = matching_items(key, stored)
    assert len(items) == 1
    assert items[0].ReferencedSOPClassUID == "1.2.840.2"
    only_uid = element(
        "SourceImageSequence", sequence({"ReferencedSOPInstanceUID": "1.*"})
    )
    # UI has no wild cards: "1.*" is a literal single value.
    assert not element_matches(only_uid, stored)


def test_sequence_key_without_item_keys_is_universal() -> None:
    stored = element("SourceImageSequence", STORED_SEQUENCE)
    for empty_key in (
        element("SourceImageSequence", Sequence()),
        element("SourceImageSequence", sequence({})),
    ):
        assert element_matches(empty_key, stored)
        assert element_matches(empty_key, None)
        assert len(matching_items(empty_key, stored)) == 2


def test_sequence_key_against_absent_sequence() -> None:
    key = element("SourceImageSequence", sequence({"ReferencedSOPInstanceUID": "1.1"}))
    assert not element_matches(key, None)
    assert matching_items(key, None) == []


def test_nested_sequence_reduction() -> None:
    inner = sequence({"CodeValue": "T-A0100", "CodingSchemeDesignator": "SRT"})
    stored = element(
        "AnatomicRegionSequence",
        sequence({"CodeMeaning": "Brain", "AnatomicRegionModifierSequence": inner}),
    )
    key = element(
        "AnatomicRegionSequence",
        sequence(
            {
                "CodeMeaning": "",
                "AnatomicRegionModifierSequence": sequence({"CodeValue": "T-A*"}),
            }
        ),
    )
    items = matching_items(key, stored)
    assert len(items) == 1
    modifier = items[0].AnatomicRegionModifierSequence[0]
    assert modifier.CodeValue == "T-A0100"
    assert "CodingSchemeDesignator" not in modifier
    # The absent requested key comes back empty.
    key_missing = element(
        "AnatomicRegionSequence", sequence({"CodeMeaning": "", "CodeValue": ""})
    )
    reduced = matching_items(key_missing, stored)[0]
    assert reduced.CodeValue in ("", None)
