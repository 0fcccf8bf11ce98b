"""Tests of dicomnet._config: options, defaults and the validators table."""

from __future__ import annotations

import subprocess
import sys

import pytest

from dicomnet import _config, _validators


def test_defaults() -> None:
    fresh = _config
    assert fresh.LOG_HANDLER_LEVEL == "standard"
    assert fresh.ENFORCE_UID_CONFORMANCE is False
    assert fresh.USE_SHORT_DIMSE_AET is True
    assert fresh.LOG_RESPONSE_IDENTIFIERS is True
    assert fresh.LOG_REQUEST_IDENTIFIERS is True
    assert fresh.STORE_SEND_CHUNKED_DATASET is False
    assert fresh.STORE_RECV_CHUNKED_DATASET is False
    assert fresh.PASS_CONTEXTVARS is False
    assert fresh.WINDOWS_TIMER_RESOLUTION == 1
    assert fresh.CODECS == ("ascii",)
    assert fresh.UNRESTRICTED_STORAGE_SERVICE is False
    assert set(fresh.VALIDATORS) == {"AE", "UI"}
    assert fresh.VALIDATORS["AE"] is _validators.validate_ae
    assert fresh.VALIDATORS["UI"] is _validators.validate_ui


def test_every_pynetdicom_option_exists() -> None:
    names = {
        "LOG_HANDLER_LEVEL",
        "ENFORCE_UID_CONFORMANCE",
        "USE_SHORT_DIMSE_AET",
        "LOG_RESPONSE_IDENTIFIERS",
        "LOG_REQUEST_IDENTIFIERS",
        "STORE_SEND_CHUNKED_DATASET",
        "STORE_RECV_CHUNKED_DATASET",
        "PASS_CONTEXTVARS",
        "WINDOWS_TIMER_RESOLUTION",
        "CODECS",
        "VALIDATORS",
        "UNRESTRICTED_STORAGE_SERVICE",
    }
    assert names <= set(vars(_config))


def test_validators_replaced_after_import_take_effect(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from dicomnet.ae import ApplicationEntity

    monkeypatch.setitem(_config.VALIDATORS, "AE", lambda value: (False, "nope"))
    with pytest.raises(ValueError, match="nope"):
        ApplicationEntity("ANY")


@pytest.mark.parametrize("first", ["dicomnet._validators", "dicomnet._config"])
def test_either_module_may_be_imported_first(first: str) -> None:
    # _config imports _validators; the reverse import is deferred to call
    # time, so a fresh interpreter may import either first.
    code = (
        f"import {first}; from dicomnet import _config, _validators; "
        "assert _config.VALIDATORS['UI'] is _validators.validate_ui; "
        "assert _validators.validate_ui('1.2') == (True, '')"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
