"""The archive's SQLite index: schema, attributes, upsert, connections.

Schema
------
Four tables, one per Query/Retrieve level (PS3.4 C.6.1.1): ``patient``,
``study``, ``series`` and ``instance``, each pointing to its parent. A
normalised schema keeps a STUDY-level query over 100,000 instances a scan of
the study table (hundreds of rows) rather than of every instance, and the
derived attributes (ModalitiesInStudy, NumberOfStudyRelatedInstances...) are
counts over the child tables' foreign-key indexes.

Each stored attribute has one TEXT column holding the value returned in C-FIND
responses (absent values are ``''``, so SQL never meets NULL). PN and TM
attributes also have a ``*_m`` column with the normalised form that matching
compares (:func:`dicomnet.archive.matching.normalize`: case-folded names,
fixed-width times); the other attributes are stored normalised already.

A patient is identified by Patient ID alone, as the Patient Root model does
(PS3.4 C.6.1.1.2); Issuer of Patient ID is not indexed. When instances of one
entity disagree, a non-empty value replaces the stored one and an empty value
does not: an instance without a Study Description does not erase it.

``PRAGMA user_version`` holds :data:`SCHEMA_VERSION`.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import weakref
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from pydicom.charset import convert_encodings, decode_bytes
from pydicom.multival import MultiValue
from pydicom.tag import Tag

from dicomnet.archive.matching import normalize
from dicomnet.archive.model import QueryLevel

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence
    from pathlib import Path

    from pydicom.dataset import Dataset

__all__ = [
    "ATTRIBUTES",
    "INDEXED_TAGS",
    "SCHEMA_VERSION",
    "Attribute",
    "ConnectionPool",
    "InstanceRecord",
    "element_text",
    "put_instance",
    "record_from_dataset",
    "write_transaction",
]

#: The schema version kept in ``PRAGMA user_version``.
SCHEMA_VERSION: Final = 1

_SCHEMA: Final = (
    """CREATE TABLE patient (
        pk INTEGER PRIMARY KEY,
        patient_id TEXT NOT NULL UNIQUE,
        patient_name TEXT NOT NULL, patient_name_m TEXT NOT NULL,
        birth_date TEXT NOT NULL, sex TEXT NOT NULL,
        charset TEXT NOT NULL)""",
    """CREATE TABLE study (
        pk INTEGER PRIMARY KEY,
        patient_pk INTEGER NOT NULL REFERENCES patient (pk),
        study_uid TEXT NOT NULL UNIQUE,
        study_date TEXT NOT NULL,
        study_time TEXT NOT NULL, study_time_m TEXT NOT NULL,
        accession_number TEXT NOT NULL, study_id TEXT NOT NULL,
        description TEXT NOT NULL,
        referring_name TEXT NOT NULL, referring_name_m TEXT NOT NULL,
        charset TEXT NOT NULL)""",
    """CREATE TABLE series (
        pk INTEGER PRIMARY KEY,
        study_pk INTEGER NOT NULL REFERENCES study (pk),
        series_uid TEXT NOT NULL UNIQUE,
        modality TEXT NOT NULL,
        series_number TEXT NOT NULL, series_order INTEGER,
        description TEXT NOT NULL,
        charset TEXT NOT NULL)""",
    """CREATE TABLE instance (
        pk INTEGER PRIMARY KEY,
        series_pk INTEGER NOT NULL REFERENCES series (pk),
        sop_uid TEXT NOT NULL UNIQUE,
        sop_class_uid TEXT NOT NULL,
        instance_number TEXT NOT NULL, instance_order INTEGER,
        transfer_syntax TEXT NOT NULL,
        path TEXT NOT NULL,
        charset TEXT NOT NULL)""",
    # Foreign keys: counting children and joining down the hierarchy.
    "CREATE INDEX study_patient ON study (patient_pk)",
    "CREATE INDEX series_study ON series (study_pk)",
    "CREATE INDEX instance_series ON instance (series_pk, instance_order)",
    # The keys queried most often besides the UIDs (already UNIQUE).
    "CREATE INDEX patient_name ON patient (patient_name_m)",
    "CREATE INDEX study_date ON study (study_date)",
    "CREATE INDEX study_accession ON study (accession_number)",
)


@dataclass(frozen=True, slots=True)
class Attribute:
    """An attribute the index can match and return.

    Attributes
    ----------
    keyword, vr : str
        The DICOM keyword and Value Representation.
    level : QueryLevel
        The entity (table) that holds it.
    value_sql : str
        SQL for the value returned, on the table aliases ``p``, ``st``, ``se``
        and ``i``.
    match_sql : str
        SQL for the normalised value that matching compares.
    exists_sql : str or None
        For a value derived from child rows, a condition template whose
        ``{}`` receives the condition on ``match_sql``.
    column : str or None
        The column storing the attribute; ``None`` for derived attributes.
    """

    keyword: str
    vr: str
    level: QueryLevel
    value_sql: str
    match_sql: str
    exists_sql: str | None = None
    column: str | None = None


def _stored(keyword: str, vr: str, level: QueryLevel, column: str) -> Attribute:
    alias = _ALIASES[level]
    normalised = f"{column}_m" if vr in _SEPARATELY_NORMALISED else column
    return Attribute(
        keyword, vr, level, f"{alias}.{column}", f"{alias}.{normalised}", None, column
    )


def _derived(keyword: str, level: QueryLevel, count_sql: str) -> Attribute:
    # COUNT(*) is an integer; matching compares text (IS values).
    return Attribute(keyword, "IS", level, count_sql, f"CAST({count_sql} AS TEXT)")


_ALIASES: Final = {
    QueryLevel.PATIENT: "p",
    QueryLevel.STUDY: "st",
    QueryLevel.SERIES: "se",
    QueryLevel.IMAGE: "i",
}
# VRs whose returned value and matched value differ (see the module docstring).
_SEPARATELY_NORMALISED: Final = frozenset({"PN", "TM"})
_P, _ST, _SE, _I = QueryLevel

_MODALITIES_SQL: Final = (
    "(SELECT group_concat(m, '\\') FROM (SELECT DISTINCT modality AS m"
    " FROM series WHERE study_pk = st.pk AND modality <> '' ORDER BY m))"
)

#: Every attribute the index matches and returns, by keyword. PS3.4 C.6.1.1.2
#: to C.6.1.1.5 list them as Required, Unique or Optional keys.
ATTRIBUTES: Final[Mapping[str, Attribute]] = {
    attribute.keyword: attribute
    for attribute in (
        _stored("PatientID", "LO", _P, "patient_id"),
        _stored("PatientName", "PN", _P, "patient_name"),
        _stored("PatientBirthDate", "DA", _P, "birth_date"),
        _stored("PatientSex", "CS", _P, "sex"),
        _derived(
            "NumberOfPatientRelatedStudies",
            _P,
            "(SELECT COUNT(*) FROM study WHERE patient_pk = p.pk)",
        ),
        _derived(
            "NumberOfPatientRelatedSeries",
            _P,
            "(SELECT COUNT(*) FROM series JOIN study ON study.pk = series.study_pk"
            " WHERE study.patient_pk = p.pk)",
        ),
        _derived(
            "NumberOfPatientRelatedInstances",
            _P,
            "(SELECT COUNT(*) FROM instance"
            " JOIN series ON series.pk = instance.series_pk"
            " JOIN study ON study.pk = series.study_pk"
            " WHERE study.patient_pk = p.pk)",
        ),
        _stored("StudyInstanceUID", "UI", _ST, "study_uid"),
        _stored("StudyDate", "DA", _ST, "study_date"),
        _stored("StudyTime", "TM", _ST, "study_time"),
        _stored("AccessionNumber", "SH", _ST, "accession_number"),
        _stored("StudyID", "SH", _ST, "study_id"),
        _stored("StudyDescription", "LO", _ST, "description"),
        _stored("ReferringPhysicianName", "PN", _ST, "referring_name"),
        # PS3.4 C.6.1.1.3: a study matches ModalitiesInStudy when one of its
        # series has a matching Modality.
        Attribute(
            "ModalitiesInStudy",
            "CS",
            _ST,
            _MODALITIES_SQL,
            "ms.modality",
            "EXISTS (SELECT 1 FROM series AS ms WHERE ms.study_pk = st.pk AND {})",
        ),
        _derived(
            "NumberOfStudyRelatedSeries",
            _ST,
            "(SELECT COUNT(*) FROM series WHERE study_pk = st.pk)",
        ),
        _derived(
            "NumberOfStudyRelatedInstances",
            _ST,
            "(SELECT COUNT(*) FROM instance JOIN series"
            " ON series.pk = instance.series_pk WHERE series.study_pk = st.pk)",
        ),
        _stored("SeriesInstanceUID", "UI", _SE, "series_uid"),
        _stored("Modality", "CS", _SE, "modality"),
        _stored("SeriesNumber", "IS", _SE, "series_number"),
        _stored("SeriesDescription", "LO", _SE, "description"),
        _derived(
            "NumberOfSeriesRelatedInstances",
            _SE,
            "(SELECT COUNT(*) FROM instance WHERE series_pk = se.pk)",
        ),
        _stored("SOPInstanceUID", "UI", _I, "sop_uid"),
        _stored("SOPClassUID", "UI", _I, "sop_class_uid"),
        _stored("InstanceNumber", "IS", _I, "instance_number"),
    )
}

_STORED: Final = tuple(a for a in ATTRIBUTES.values() if a.column is not None)
_STORED_BY_TAG: Final = {int(Tag(a.keyword)): a for a in _STORED}
_CHARSET_TAG: Final = 0x00080005
# PS3.5 6.1.2.3: the VRs whose values may use the Specific Character Set.
_CHARSET_VRS: Final = frozenset({"LO", "LT", "PN", "SH", "ST", "UC", "UT"})
# PS3.5 6.1.2.5.3: code extensions reset at "^" and "=" in PN, and at "\".
_PN_DELIMITERS: Final = {0x5C, 0x5E, 0x3D}
_BACKSLASH: Final = {0x5C}
# PS3.5 6.2: the VRs whose values are character strings.
_STRING_VRS: Final = frozenset(
    {"AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "LT", "PN", "SH", "ST", "TM"}
    | {"UC", "UI", "UR", "UT"}
)
#: The tags read from a file to index it.
INDEXED_TAGS: Final = (
    "SpecificCharacterSet",
    *(attribute.keyword for attribute in _STORED),
)


@dataclass(frozen=True, slots=True)
class InstanceRecord:
    r"""What the index stores of one instance.

    Attributes
    ----------
    values : Mapping[str, str]
        Each stored attribute's value by keyword, ``''`` when absent.
    charset : str
        Specific Character Set (0008,0005), values joined with ``\\``.
    transfer_syntax : str
        The transfer syntax of the file.
    path : str
        The file, relative to the archive root, with ``/`` separators.
    """

    values: Mapping[str, str]
    charset: str
    transfer_syntax: str
    path: str


def record_from_dataset(
    dataset: Dataset, *, transfer_syntax: str, path: str
) -> InstanceRecord:
    """Return the :class:`InstanceRecord` of a (partially read) data set.

    Parameters
    ----------
    dataset : pydicom.dataset.Dataset
        The instance, holding at least :data:`INDEXED_TAGS` that it has.
    transfer_syntax : str
        Its transfer syntax.
    path : str
        Its file relative to the archive root.
    """
    charset = element_text(dataset, _CHARSET_TAG, "CS", ())
    encodings = convert_encodings(charset.split("\\")) if charset else ["iso8859"]
    values = {
        attribute.keyword: element_text(dataset, tag, attribute.vr, encodings)
        for tag, attribute in _STORED_BY_TAG.items()
    }
    return InstanceRecord(values, charset, transfer_syntax, path)


def element_text(dataset: Dataset, tag: int, vr: str, encodings: Sequence[str]) -> str:
    """Return an element's value as text, values joined with a backslash.

    A value not yet converted by pydicom is decoded here, without pydicom's
    value validation: that would warn about every non-conformant value
    received (and the index takes values as they come). The character set
    only applies to the VRs that PS3.5 6.1.2.3 lets use it; the others are
    in the default repertoire.

    Parameters
    ----------
    dataset : pydicom.dataset.Dataset
        The data set.
    tag : int
        The element.
    vr : str
        Its Value Representation.
    encodings : sequence of str
        Python codecs of the data set's Specific Character Set.

    Returns
    -------
    str
        The text, each value stripped of padding; ``''`` when absent.
    """
    element = dataset.get_item(tag)
    if element is not None and vr not in _STRING_VRS:
        element = dataset[tag]  # binary values: pydicom decodes them
    value = None if element is None else element.value
    if value is None or value == "":
        return ""
    if isinstance(value, (bytes, bytearray)):
        if vr in _CHARSET_VRS:
            delimiters = _PN_DELIMITERS if vr == "PN" else _BACKSLASH
            text = decode_bytes(bytes(value), encodings, delimiters)
        else:
            text = bytes(value).decode("latin-1")
        parts = text.split("\\")
    elif isinstance(value, MultiValue):
        parts = [str(item) for item in value]
    else:
        parts = [str(value)]
    return "\\".join(part.strip(" \0") for part in parts)


def _order(number: str) -> int | None:
    """Return an IS value as an integer for sorting, ``None`` if it has none."""
    try:
        return int(number)
    except ValueError:
        return None


# -- writing ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Table:
    name: str
    level: QueryLevel
    key: str  # the Unique Key column
    parent: str | None  # the foreign key column
    extra: tuple[str, ...]  # columns not holding an attribute


_TABLES: Final = (
    _Table("patient", _P, "patient_id", None, ("charset",)),
    _Table("study", _ST, "study_uid", "patient_pk", ("charset",)),
    _Table("series", _SE, "series_uid", "study_pk", ("series_order", "charset")),
    _Table(
        "instance",
        _I,
        "sop_uid",
        "series_pk",
        ("instance_order", "transfer_syntax", "path", "charset"),
    ),
)


def _attribute_columns(table: _Table) -> tuple[str, ...]:
    columns: list[str] = []
    for attribute in _STORED:
        if attribute.level is not table.level or attribute.column == table.key:
            continue
        assert attribute.column is not None  # noqa: S101  (_STORED has columns)
        columns.append(attribute.column)
        if attribute.vr in _SEPARATELY_NORMALISED:
            columns.append(f"{attribute.column}_m")
    return tuple(columns)


def _upsert_sql(table: _Table, columns: tuple[str, ...]) -> str:
    """Return the INSERT ... ON CONFLICT DO UPDATE ... RETURNING pk of a table."""
    names = [table.key, *([table.parent] if table.parent else []), *columns]
    updates = [f"{table.parent} = excluded.{table.parent}"] if table.parent else []
    for column in columns:
        if table.level is _I:
            # A re-stored instance replaces its row (PS3.4 B.2.3).
            updates.append(f"{column} = excluded.{column}")
            continue
        # Entities above the instance keep a value that a later instance
        # lacks: only non-empty values overwrite.
        source = _SOURCE_COLUMNS.get(column, column.removesuffix("_m"))
        updates.append(
            f"{column} = CASE WHEN excluded.{source} <> '' THEN excluded.{column}"
            f" ELSE {table.name}.{column} END"
        )
    # Identifiers come from the module's tables; values are bound parameters.
    return (
        f"INSERT INTO {table.name} ({', '.join(names)})"  # noqa: S608  (see above)
        f" VALUES ({', '.join('?' * len(names))})"
        f" ON CONFLICT ({table.key}) DO UPDATE SET {', '.join(updates)}"
        " RETURNING pk"
    )


_SOURCE_COLUMNS: Final = {"series_order": "series_number"}
_COLUMNS: Final = {
    table.name: _attribute_columns(table) + table.extra for table in _TABLES
}
_UPSERTS: Final = {
    table.name: _upsert_sql(table, _COLUMNS[table.name]) for table in _TABLES
}
_KEY_KEYWORDS: Final = {
    _P: "PatientID",
    _ST: "StudyInstanceUID",
    _SE: "SeriesInstanceUID",
    _I: "SOPInstanceUID",
}


def _row(table: _Table, record: InstanceRecord) -> tuple[object, ...]:
    """Return the values of ``_COLUMNS[table.name]`` for ``record``."""
    values: dict[str, object] = {}
    for attribute in _STORED:
        if attribute.level is not table.level or attribute.column == table.key:
            continue
        raw = record.values[attribute.keyword]
        if attribute.vr in _SEPARATELY_NORMALISED:
            values[f"{attribute.column}"] = raw
            values[f"{attribute.column}_m"] = normalize(attribute.vr, raw)
        else:
            values[f"{attribute.column}"] = normalize(attribute.vr, raw)
    values["charset"] = record.charset
    if table.level is _SE:
        values["series_order"] = _order(record.values["SeriesNumber"])
    elif table.level is _I:
        values["instance_order"] = _order(record.values["InstanceNumber"])
        values["transfer_syntax"] = record.transfer_syntax
        values["path"] = record.path
    return tuple(values[column] for column in _COLUMNS[table.name])


def put_instance(connection: sqlite3.Connection, record: InstanceRecord) -> str | None:
    """Insert or replace the rows of an instance, inside a write transaction.

    Parameters
    ----------
    connection : sqlite3.Connection
        A connection in a :func:`write_transaction`.
    record : InstanceRecord
        The instance.

    Returns
    -------
    str or None
        The path of the file the instance had before, when it was stored
        already under another path (its study or series changed); the caller
        deletes that file.
    """
    before = _Before.read(connection, record)
    pk: int | None = None
    now: list[int] = []
    for table in _TABLES:
        key = normalize("UI", record.values[_KEY_KEYWORDS[table.level]])
        parent = (pk,) if table.parent else ()
        params = (key, *parent, *_row(table, record))
        pk = connection.execute(_UPSERTS[table.name], params).fetchone()[0]
        now.append(pk)
    # Only the rows the instance (or its series, or study) left can be empty.
    patient, study, series, _ = now
    before.series.discard(series)
    before.studies.discard(study)
    before.patients.discard(patient)
    before.prune(connection)
    if before.path is None or before.path == record.path:
        return None
    return before.path


@dataclass(slots=True)
class _Before:
    """The rows an instance was attached to before it is (re-)stored.

    Re-storing an instance, or storing one whose series or study moved to
    another parent, may leave rows without children; those are deleted.
    """

    path: str | None
    series: set[int]
    studies: set[int]
    patients: set[int]

    @classmethod
    def read(cls, connection: sqlite3.Connection, record: InstanceRecord) -> _Before:
        values = record.values
        before = cls(None, set(), set(), set())
        row = connection.execute(
            "SELECT i.path, se.pk, st.pk, st.patient_pk FROM instance AS i"
            " JOIN series AS se ON se.pk = i.series_pk"
            " JOIN study AS st ON st.pk = se.study_pk WHERE i.sop_uid = ?",
            (values["SOPInstanceUID"],),
        ).fetchone()
        if row is not None:
            before.path = row[0]
            before.add(*row[1:])
        row = connection.execute(
            "SELECT se.pk, st.pk, st.patient_pk FROM series AS se"
            " JOIN study AS st ON st.pk = se.study_pk WHERE se.series_uid = ?",
            (values["SeriesInstanceUID"],),
        ).fetchone()
        if row is not None:
            before.add(*row)
        row = connection.execute(
            "SELECT patient_pk FROM study WHERE study_uid = ?",
            (values["StudyInstanceUID"],),
        ).fetchone()
        if row is not None:
            before.patients.add(row[0])
        return before

    def add(self, series: int, study: int, patient: int) -> None:
        self.series.add(series)
        self.studies.add(study)
        self.patients.add(patient)

    def prune(self, connection: sqlite3.Connection) -> None:
        for table, child, fk, pks in (
            ("series", "instance", "series_pk", self.series),
            ("study", "series", "study_pk", self.studies),
            ("patient", "study", "patient_pk", self.patients),
        ):
            if not pks:
                continue
            marks = ", ".join("?" * len(pks))
            connection.execute(
                f"DELETE FROM {table} WHERE pk IN ({marks}) AND NOT EXISTS"  # noqa: S608  (fixed names)
                f" (SELECT 1 FROM {child} WHERE {child}.{fk} = {table}.pk)",
                tuple(pks),
            )


# -- connections -----------------------------------------------------------------


@contextmanager
def write_transaction(connection: sqlite3.Connection) -> Iterator[None]:
    """Run the block in an IMMEDIATE transaction: commit, or roll back on error.

    IMMEDIATE takes SQLite's write lock at once, so writers from several
    threads queue on the busy timeout instead of failing on upgrade.
    """
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise


class ConnectionPool:
    """SQLite connections shared by threads, one thread at a time each.

    A server calls the archive from one thread per association, and
    associations come and go: a connection per thread would leak one
    connection per association, so idle connections are kept for reuse. WAL
    mode lets readers proceed while a writer commits, and the busy timeout
    makes a writer wait for another's lock, in this process or another one.

    A connection never crosses a fork: SQLite forbids using in a child a
    connection its parent opened (its locks belong to the parent, and the
    library state that tracks them is copied). Before :func:`os.fork` every
    pool closes its idle connections, and a pool used in another process
    than the one it last ran in (found by :func:`os.getpid`) opens new ones
    and leaves those it inherited alone; so each of the processes of
    ``AE.start_server(..., processes=N)`` opens its own, lazily.

    Parameters
    ----------
    path : pathlib.Path
        The database file, created with the schema if missing.
    timeout : float
        Seconds a writer waits for another writer's lock.

    Raises
    ------
    ValueError
        The database has a schema version other than :data:`SCHEMA_VERSION`.
    """

    def __init__(self, path: Path, *, timeout: float = 60.0) -> None:
        self._path = path
        self._timeout = timeout
        self._lock = threading.Lock()
        self._idle: list[sqlite3.Connection] = []
        self._closed = False
        self._pid = os.getpid()
        connection = self._connect()
        try:
            # WAL is a property of the database file: set once, kept.
            connection.execute("PRAGMA journal_mode = WAL")
            _initialise(connection)
        except BaseException:
            connection.close()
            raise
        self._idle.append(connection)
        _POOLS.add(self)

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(
            self._path,
            timeout=self._timeout,  # the busy timeout: writers wait, not fail
            isolation_level=None,  # autocommit: transactions are explicit
            check_same_thread=False,  # the pool hands it to one thread at a time
        )
        # NORMAL: a WAL commit does not wait for fsync (a power loss may lose
        # the last commits, never consistency).
        connection.execute("PRAGMA synchronous = NORMAL")
        connection.execute("PRAGMA foreign_keys = ON")
        return connection

    @contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        """Lend a connection for the block.

        Raises
        ------
        ValueError
            The pool is closed.
        """
        with self._lock:
            if self._closed:
                raise ValueError("the archive is closed")
            self._adopt()
            connection = self._idle.pop() if self._idle else None
        if connection is None:
            connection = self._connect()
        try:
            yield connection
        finally:
            self._give_back(connection)

    def _adopt(self) -> None:
        """In a forked child, drop the connections the parent opened.

        Called with the lock held, before any connection is lent or closed.
        """
        pid = os.getpid()
        if pid == self._pid:
            return
        # Never used nor closed here: closing runs SQLite's last-connection
        # cleanup (checkpoint, WAL removal) on the parent's behalf. They stay
        # referenced so that garbage collection does not close them either.
        _INHERITED.extend(self._idle)
        self._idle = []
        self._pid = pid

    def _give_back(self, connection: sqlite3.Connection) -> None:
        with self._lock:
            if self._closed:
                connection.close()
            else:
                self._idle.append(connection)

    def close_idle(self) -> None:
        """Close the idle connections; the pool opens new ones when asked."""
        with self._lock:
            self._adopt()
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()

    def close(self) -> None:
        """Close idle connections now and lent ones when they come back."""
        with self._lock:
            self._closed = True
        self.close_idle()
        _POOLS.discard(self)


#: Every open pool, for the fork hook below.
_POOLS: Final[weakref.WeakSet[ConnectionPool]] = weakref.WeakSet()
#: Connections a forked child inherited: kept open and unused until it exits.
_INHERITED: Final[list[sqlite3.Connection]] = []


def _close_idle_before_fork() -> None:
    # Runs in the forking thread just before os.fork(): the child then starts
    # with no SQLite file open (a connection lent to another thread at that
    # moment stays open in the parent and is left alone in the child).
    for pool in list(_POOLS):
        pool.close_idle()


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(before=_close_idle_before_fork)


def _initialise(connection: sqlite3.Connection) -> None:
    with write_transaction(connection):
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        if version == SCHEMA_VERSION:
            return
        if version != 0:
            raise ValueError(
                f"the archive index has schema version {version}, "
                f"this dicomnet reads version {SCHEMA_VERSION}"
            )
        for statement in _SCHEMA:
            connection.execute(statement)
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
