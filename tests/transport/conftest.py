"""Fixtures of the driver tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from .pki import make_certificate


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    directory = tmp_path_factory.mktemp("pki")
    return {
        name: make_certificate(directory, name)
        for name in ("server", "client", "rogue")
    }
