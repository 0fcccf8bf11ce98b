"""map_exceptions: OSError and friends become TransportError subclasses."""

from __future__ import annotations

import ssl

import pytest

from dicomnet.errors import (
    ConnectError,
    ConnectTimeout,
    DicomnetError,
    TransportError,
)
from dicomnet.transport._exceptions import map_exceptions

CONNECT = {TimeoutError: ConnectTimeout, OSError: ConnectError}


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (TimeoutError("slow"), ConnectTimeout),
        (ConnectionRefusedError(111, "refused"), ConnectError),
        (ssl.SSLError(1, "bad certificate"), ConnectError),
        (OSError(), ConnectError),
    ],
)
def test_mapped(raised: BaseException, expected: type[TransportError]) -> None:
    with pytest.raises(expected) as info, map_exceptions(CONNECT):
        raise raised
    assert info.value.__cause__ is raised
    assert str(info.value)  # never empty, even for a bare OSError()
    assert isinstance(info.value, DicomnetError)


def test_first_match_wins() -> None:
    with pytest.raises(ConnectTimeout), map_exceptions(CONNECT):
        raise TimeoutError


def test_unmapped_passes_through() -> None:
    with pytest.raises(ValueError, match="other"), map_exceptions(CONNECT):
        raise ValueError("other")


def test_no_exception() -> None:
    with map_exceptions(CONNECT):
        pass
