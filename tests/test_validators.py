"""Tests of dicomnet._validators: the AE and UI validators and checkers."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydicom.uid import UID

from dicomnet import _config
from dicomnet._validators import (
    check_ae_title,
    check_uid,
    is_conformant_uid,
    validate_ae,
    validate_ui,
)


@pytest.fixture
def enforce_uids(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_config, "ENFORCE_UID_CONFORMANCE", True)


# -- validate_ae -----------------------------------------------------------------


@pytest.mark.parametrize("value", ["A", "A" * 16, "  AE  ", "a b", "", "   ", "!~"])
def test_validate_ae_accepts(value: str) -> None:
    assert validate_ae(value) == (True, "")


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"AE", "must be str"),
        (None, "must be str"),
        (16, "must be str"),
        ("A" * 17, "must not exceed 16 characters"),
        ("é", "must only contain ASCII characters"),
        ("A\\B", "must not contain control characters or backslashes"),
        ("A\nB", "must not contain control characters or backslashes"),
        ("A\x00", "must not contain control characters or backslashes"),
        ("\x1b", "must not contain control characters or backslashes"),
        ("\x7f", "must not contain control characters or backslashes"),
    ],
)
def test_validate_ae_rejects(value: object, reason: str) -> None:
    assert validate_ae(value) == (False, reason)


@given(st.text(alphabet=string.printable, max_size=20))
def test_validate_ae_matches_the_vr_definition(value: str) -> None:
    # PS3.5 Table 6.2-1: up to 16 characters, no backslash, no control chars.
    expected = (
        len(value) <= 16
        and "\\" not in value
        and all(0x20 <= ord(char) < 0x7F for char in value)
    )
    assert validate_ae(value)[0] is expected


# -- validate_ui -----------------------------------------------------------------


@pytest.mark.parametrize("value", ["1.2", "1.2.03", "1.2.", "abc", "x" * 64])
def test_validate_ui_lenient_accepts_1_to_64_chars(value: str) -> None:
    assert validate_ui(value) == (True, "")


def test_validate_ui_accepts_a_pydicom_uid() -> None:
    assert validate_ui(UID("1.2.840.10008.1.1")) == (True, "")


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "must not be an empty str"),
        ("1" * 65, "must not exceed 64 characters"),
        (b"1.2", "must be str or pydicom.uid.UID"),
        (None, "must be str or pydicom.uid.UID"),
    ],
)
def test_validate_ui_lenient_rejects(value: object, reason: str) -> None:
    assert validate_ui(value) == (False, reason)


@pytest.mark.usefixtures("enforce_uids")
@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("1.2", True),
        ("0", True),
        ("1.2.0.3", True),
        ("1.2.03", False),
        ("1.2.", False),
        (".1", False),
        ("abc", False),
        ("", False),
        ("1." + "2" * 62, True),
        ("1." + "2" * 63, False),
    ],
)
def test_validate_ui_enforced_requires_conformance(value: str, ok: bool) -> None:
    assert validate_ui(value) == (
        (True, "") if ok else (False, "UID is non-conformant")
    )


def test_validate_ui_reads_the_option_at_call_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert validate_ui("1.2.03")[0]
    monkeypatch.setattr(_config, "ENFORCE_UID_CONFORMANCE", True)
    assert not validate_ui("1.2.03")[0]


@given(st.lists(st.integers(min_value=0, max_value=10**12), min_size=1, max_size=8))
def test_is_conformant_uid_agrees_with_pydicom(components: list[int]) -> None:
    value = ".".join(map(str, components))
    assert is_conformant_uid(value) is UID(value, validation_mode=0).is_valid


# -- check_ae_title --------------------------------------------------------------


def test_check_ae_title_returns_value_unchanged() -> None:
    assert check_ae_title("  AE ") == "  AE "


def test_check_ae_title_bytes_are_deprecated() -> None:
    with pytest.deprecated_call(match="'ae_title' is deprecated"):
        assert check_ae_title(b"BYTES") == "BYTES"


@pytest.mark.parametrize(
    ("value", "match"),
    [
        ("", "must not be an empty str"),
        ("    ", "must not consist entirely of spaces"),
        ("A" * 17, "must not exceed 16 characters"),
        ("A\\B", "backslashes"),
    ],
)
def test_check_ae_title_value_errors(value: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        check_ae_title(value, "ae_title")


def test_check_ae_title_type_error() -> None:
    with pytest.raises(TypeError, match="'title' must be str, not 'int'"):
        check_ae_title(12, "title")


def test_check_ae_title_uses_the_configured_validator(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(_config.VALIDATORS, "AE", lambda v: (False, "house rule"))
    with pytest.raises(ValueError, match="house rule"):
        check_ae_title("AE")
    monkeypatch.setitem(_config.VALIDATORS, "AE", lambda v: (True, ""))
    assert check_ae_title("A" * 20) == "A" * 20


# -- check_uid -------------------------------------------------------------------


def test_check_uid_returns_a_uid() -> None:
    uid = check_uid("1.2.840.10008.1.1", "uid")
    assert isinstance(uid, UID)
    assert uid == "1.2.840.10008.1.1"


def test_check_uid_decodes_padded_bytes() -> None:
    assert check_uid(b"1.2.3\x00", "uid") == "1.2.3"


def test_check_uid_non_conformant_lenient_without_warning() -> None:
    # filterwarnings=error: a pydicom warning would fail this test.
    assert check_uid("1.2.03", "uid") == "1.2.03"


def test_check_uid_conformant_flag() -> None:
    with pytest.raises(ValueError, match="non-conformant"):
        check_uid("1.2.03", "uid", conformant=True)


@pytest.mark.parametrize(("value", "error"), [(None, TypeError), (5, TypeError)])
def test_check_uid_type_errors(value: object, error: type[Exception]) -> None:
    with pytest.raises(error, match="'uid' must be str, bytes or UID"):
        check_uid(value, "uid")


def test_check_uid_empty() -> None:
    with pytest.raises(ValueError, match="must not be an empty str"):
        check_uid("", "uid")


def test_a_uid_accepted_before_is_checked_again_under_new_rules(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    odd = "1.2.03.4"  # a leading zero in a component: not PS3.5 9.1 conformant
    assert check_uid(odd, "uid") == odd
    assert check_uid(odd, "uid") == odd  # accepted again (from the cache)
    monkeypatch.setattr(_config, "ENFORCE_UID_CONFORMANCE", True)
    with pytest.raises(ValueError, match="non-conformant"):
        check_uid(odd, "uid")
    monkeypatch.setattr(_config, "ENFORCE_UID_CONFORMANCE", False)
    monkeypatch.setitem(_config.VALIDATORS, "UI", lambda _value: (False, "refused"))
    with pytest.raises(ValueError, match="refused"):
        check_uid(odd, "uid")
