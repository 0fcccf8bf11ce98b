"""Fixtures: an empty archive, and one holding the corpus of ``corpus.py``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dicomnet.archive import Archive

from .corpus import corpus


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[Archive]:
    with Archive(tmp_path / "archive", fsync=False) as opened:
        yield opened


def store_corpus(archive: Archive) -> Archive:
    for instance in corpus():
        archive.store(dataset=instance, transfer_syntax="1.2.840.10008.1.2.1")
    return archive


@pytest.fixture(scope="session")
def populated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archive]:
    """The corpus, stored once for the tests that only read it."""
    with Archive(tmp_path_factory.mktemp("corpus"), fsync=False) as archive:
        yield store_corpus(archive)


@pytest.fixture
def populated_copy(archive: Archive) -> Archive:
    """The corpus in an archive of the test's own, to change."""
    return store_corpus(archive)
