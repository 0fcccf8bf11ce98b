from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydicom.dataset import Dataset

from dicomnet import status
from dicomnet.status import (
    GENERAL_STATUS,
    Status,
    code_to_category,
    code_to_status,
)

TABLES = {
    name: getattr(status, name) for name in status.__all__ if name.endswith("STATUS")
}


@pytest.mark.parametrize(
    ("code", "category"),
    [
        (0x0000, "Success"),
        (0xFE00, "Cancel"),
        (0xFF00, "Pending"),
        (0xFF01, "Pending"),
        (0x0001, "Warning"),
        (0x0107, "Warning"),
        (0x0116, "Warning"),
        (0xB000, "Warning"),
        (0xBFFF, "Warning"),
        (0xA000, "Failure"),
        (0xA801, "Failure"),
        (0xAFFF, "Failure"),
        (0xC000, "Failure"),
        (0xCFFF, "Failure"),
        (0x0105, "Failure"),
        (0x0110, "Failure"),
        (0x0122, "Failure"),
        (0x0211, "Failure"),
        (0x0213, "Failure"),
        (0x0002, "Unknown"),
        (0x0200, "Unknown"),
        (0xD000, "Unknown"),
        (0x9FFF, "Unknown"),
        (0xFFFF, "Unknown"),
    ],
)
def test_code_to_category(code, category):
    assert code_to_category(code) == category


@pytest.mark.parametrize("bad", ["x", 1.0, -1, 0x10000, None, True])
def test_bad_codes_raise_value_error(bad):
    with pytest.raises(ValueError, match="code"):
        code_to_category(bad)
    with pytest.raises(ValueError, match="code"):
        code_to_status(bad)


@given(st.integers(0, 0xFFFF))
def test_code_to_status(code):
    ds = code_to_status(code)
    assert isinstance(ds, Dataset)
    assert ds.Status == code
    assert code_to_category(code) in {
        "Success",
        "Warning",
        "Failure",
        "Cancel",
        "Pending",
        "Unknown",
    }


@pytest.mark.parametrize("name", sorted(TABLES))
def test_tables_agree_with_code_to_category(name):
    # Every row's category is the one PS3.7 C.1 derives from the code.
    for code, (category, description) in TABLES[name].items():
        assert category == code_to_category(code), (name, hex(code))
        assert description


@pytest.mark.parametrize("name", sorted(set(TABLES) - {"HANDLER_FAILURE_STATUS"}))
def test_every_service_table_includes_the_general_statuses(name):
    for code in GENERAL_STATUS:
        assert code in TABLES[name]


def test_key_codes_of_the_api_contract():
    s = status
    assert s.STORAGE_SERVICE_CLASS_STATUS[0xA700][0] == "Failure"
    assert s.STORAGE_SERVICE_CLASS_STATUS[0xA7FF][0] == "Failure"
    assert s.STORAGE_SERVICE_CLASS_STATUS[0xA9FF][0] == "Failure"
    assert s.STORAGE_SERVICE_CLASS_STATUS[0xB007][0] == "Warning"
    assert s.STORAGE_SERVICE_CLASS_STATUS[0xB006][0] == "Warning"
    assert 0xA801 in s.QR_MOVE_SERVICE_CLASS_STATUS
    assert 0xA801 not in s.QR_GET_SERVICE_CLASS_STATUS
    for table in (s.QR_GET_SERVICE_CLASS_STATUS, s.QR_MOVE_SERVICE_CLASS_STATUS):
        for code in (0xA701, 0xA702, 0xA900, 0xB000, 0xFE00, 0xFF00, 0xC123):
            assert code in table
    assert len(s.QR_FIND_SERVICE_CLASS_STATUS.keys() & range(0xC000, 0xD000)) == 4096
    # Relevant Patient lists three specific C codes, not the whole range.
    assert 0xC100 in s.RELEVANT_PATIENT_SERVICE_CLASS_STATUS
    assert 0xC001 in s.RELEVANT_PATIENT_SERVICE_CLASS_STATUS
    assert 0xC005 not in s.RELEVANT_PATIENT_SERVICE_CLASS_STATUS


def test_handler_codes_are_in_the_service_tables():
    s = status
    expected = {
        0xC001: s.STORAGE_SERVICE_CLASS_STATUS,
        0xC211: s.STORAGE_SERVICE_CLASS_STATUS,
        0xC311: s.QR_FIND_SERVICE_CLASS_STATUS,
        0xC312: s.MODALITY_WORKLIST_SERVICE_CLASS_STATUS,
        0xC413: s.QR_GET_SERVICE_CLASS_STATUS,
        0xC416: s.QR_GET_SERVICE_CLASS_STATUS,
        0xC514: s.QR_MOVE_SERVICE_CLASS_STATUS,
        0xC516: s.QR_MOVE_SERVICE_CLASS_STATUS,
    }
    for code, table in expected.items():
        assert table[code] == s.HANDLER_FAILURE_STATUS[code]
    assert set(s.HANDLER_FAILURE_STATUS) == {
        0xC001, 0xC002, 0xC211, 0xC311, 0xC312, 0xC411, 0xC413, 0xC416,
        0xC511, 0xC513, 0xC514, 0xC515, 0xC516,
    }  # fmt: skip


def test_status_enum():
    assert Status.SUCCESS == 0
    assert Status.CANCEL == 0xFE00
    assert Status.PENDING == 0xFF00
    assert Status.MOVE_DESTINATION_UNKNOWN == 0xA801


def test_status_add():
    Status.add("UNIT_TEST_CODE", 0xC0DE)
    assert Status.UNIT_TEST_CODE == 0xC0DE
    assert Status(0xC0DE) is Status.UNIT_TEST_CODE
    assert Status["UNIT_TEST_CODE"] is Status.UNIT_TEST_CODE
    assert "UNIT_TEST_CODE" in [m.name for m in Status]
    with pytest.raises(ValueError, match="new Status member"):
        Status.add("SUCCESS", 0xC0DF)
    with pytest.raises(ValueError, match="new Status member"):
        Status.add("not an identifier", 0xC0DF)
    with pytest.raises(ValueError, match="0xFFFF"):
        Status.add("TOO_BIG", 0x10000)


def test_tables_are_the_generated_ones():
    # dicomnet.status re-exports what tools/gen_status.py generates.
    from dicomnet import _status_tables

    for name in TABLES:
        assert getattr(status, name) is getattr(_status_tables, name), name
    assert status.StatusTable is _status_tables.StatusTable
    assert status.StatusTable == dict[int, tuple[str, str]]


def test_a_later_row_overrides_an_earlier_one():
    s = status
    # A service table refines a general code...
    assert s.GENERAL_STATUS[0x0110] == ("Failure", "Processing failure")
    assert s.PROCEDURE_STEP_STATUS[0x0110] == (
        "Failure",
        "Performed Procedure Step Object may no longer be updated",
    )
    assert s.QR_GET_SERVICE_CLASS_STATUS[0xFE00] == (
        "Cancel",
        "Sub-operations terminated due to Cancel",
    )
    # ... and dicomnet's handler codes refine PS3.4's Cxxx range.
    assert s.STORAGE_SERVICE_CLASS_STATUS[0xC005] == (
        "Failure",
        "Error: cannot understand",
    )
    assert s.STORAGE_SERVICE_CLASS_STATUS[0xC211] == (
        "Failure",
        "Unhandled exception in the C-STORE handler",
    )
    # A code-range row covers its whole range and nothing more.
    storage = s.STORAGE_SERVICE_CLASS_STATUS
    assert storage.keys() & range(0xA700, 0xA800) == set(range(0xA700, 0xA800))
    assert 0xA800 not in storage
    assert 0xA6FF not in storage
