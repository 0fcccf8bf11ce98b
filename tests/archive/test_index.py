"""The index module: schema, text of elements, the connection pool (and forks)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from types import SimpleNamespace

import pytest
from pydicom import Dataset
from pydicom.dataelem import RawDataElement
from pydicom.tag import Tag

from dicomnet.archive import index
from dicomnet.archive.index import (
    _COLUMNS,
    _TABLES,
    ATTRIBUTES,
    ConnectionPool,
    element_text,
)


def test_schema_has_every_column(tmp_path: Path) -> None:
    pool = ConnectionPool(tmp_path / "index.sqlite")
    with pool.connection() as connection:
        for table in _TABLES:
            rows = connection.execute(f"PRAGMA table_info({table.name})").fetchall()
            names = {row[1] for row in rows}
            assert set(_COLUMNS[table.name]) <= names
            assert table.key in names
        # Every attribute's SQL is valid against the schema.
        for attribute in ATTRIBUTES.values():
            sql = attribute.exists_sql or "{}"
            condition = sql.format(f"{attribute.match_sql} = ''")
            connection.execute(
                "SELECT " + attribute.value_sql + " FROM instance AS i"
                " JOIN series AS se ON se.pk = i.series_pk"
                " JOIN study AS st ON st.pk = se.study_pk"
                " JOIN patient AS p ON p.pk = st.patient_pk WHERE " + condition
            ).fetchall()
    pool.close()


def test_element_text() -> None:
    ds = Dataset()
    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    ds.Rows = 256
    ds.PatientName = "Doe^John "
    assert element_text(ds, 0x00080008, "CS", ()) == "ORIGINAL\\PRIMARY"
    assert element_text(ds, 0x00280010, "US", ()) == "256"
    assert element_text(ds, 0x00100010, "PN", ()) == "Doe^John"
    assert element_text(ds, 0x00100020, "LO", ()) == ""
    # Encoded values: strings decoded here, binary ones by pydicom.
    raw = Dataset()
    raw[0x00280010] = RawDataElement(
        Tag(0x00280010), "US", 2, b"\x00\x01", 0, False, True
    )
    raw[0x00100010] = RawDataElement(
        Tag(0x00100010), "PN", 10, "Müller^Jo".encode("latin-1") + b" ", 0, False, True
    )
    assert element_text(raw, 0x00280010, "US", ()) == "256"
    assert element_text(raw, 0x00100010, "PN", ["latin_1"]) == "Müller^Jo"


def test_pool_closes_lent_connections_when_returned(tmp_path: Path) -> None:
    pool = ConnectionPool(tmp_path / "index.sqlite")
    with pool.connection() as lent:
        pool.close()
        assert lent.execute("SELECT 1").fetchone() == (1,)
    with pytest.raises(sqlite3.ProgrammingError):
        lent.execute("SELECT 1")
    with pytest.raises(ValueError, match="closed"), pool.connection():
        pass


def test_pool_reuses_connections(tmp_path: Path) -> None:
    pool = ConnectionPool(tmp_path / "index.sqlite")
    with pool.connection() as first, pool.connection() as second:
        assert first is not second
    with pool.connection() as again:
        assert again in (first, second)
    pool.close()


def test_pool_in_another_process_opens_its_own_connections(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a fork (another PID) the inherited connections are never lent."""
    pool = ConnectionPool(tmp_path / "index.sqlite")
    with pool.connection() as before:
        pass
    # What os.getpid() returns in a forked child, without forking pytest.
    child = SimpleNamespace(getpid=lambda: os.getpid() + 1)
    monkeypatch.setattr(index, "os", child)
    with pool.connection() as connection:
        assert connection is not before
        assert connection.execute("SELECT COUNT(*) FROM instance").fetchone() == (0,)
    pool.close()
    # Neither used nor closed in the child: closing is the parent's business.
    assert before.execute("SELECT 1").fetchone() == (1,)
    assert before in index._INHERITED
    with pytest.raises(sqlite3.ProgrammingError):  # the child's own: closed
        connection.execute("SELECT 1")
    index._INHERITED.remove(before)
    before.close()


def test_idle_connections_are_closed_before_a_fork(tmp_path: Path) -> None:
    pool = ConnectionPool(tmp_path / "index.sqlite")
    with pool.connection() as lent:
        with pool.connection() as idle:
            pass
        index._close_idle_before_fork()  # what os.fork() runs first
        # A connection lent to a thread at that moment is left alone.
        assert lent.execute("SELECT 1").fetchone() == (1,)
    with pytest.raises(sqlite3.ProgrammingError):
        idle.execute("SELECT 1")
    # The pool opens new connections afterwards.
    with pool.connection() as connection:
        assert connection.execute("SELECT 1").fetchone() == (1,)
    pool.close()
    assert pool not in index._POOLS
