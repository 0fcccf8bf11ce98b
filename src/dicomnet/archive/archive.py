"""The :class:`Archive`: instance files plus their index, safe across threads."""

from __future__ import annotations

import errno
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from dicomnet.archive.errors import ArchiveFullError
from dicomnet.archive.index import ConnectionPool, put_instance, write_transaction
from dicomnet.archive.query import plan_find, plan_retrieve, responses
from dicomnet.archive.store import FileStore

if TYPE_CHECKING:
    import os
    from collections.abc import Iterable, Iterator
    from types import TracebackType

    from pydicom.dataset import Dataset, FileMetaDataset
    from typing_extensions import Self

    from dicomnet.archive.model import QueryModel
    from dicomnet.archive.store import Staged

__all__ = ["Archive"]

# sqlite3.SQLITE_FULL; the constant only exists from Python 3.11.
_SQLITE_FULL = 13


class Archive:
    """DICOM instances stored as files under a root and indexed in SQLite.

    Every method may be called from several threads at once: each call
    borrows its own database connection, and writers queue on SQLite's lock.

    Processes forked from the one that opened the archive may use it too, as
    those of ``AE.start_server(..., processes=N)`` do: each opens its own
    SQLite connections (none crosses the fork), writers of every process
    queue on SQLite's lock in WAL mode, and storing one instance from two
    processes at once leaves one index entry and one complete file, the last
    stored (the file is renamed into place while the writer holds the lock).
    Fork while no other thread is inside a call. Archives opened separately
    on one root by processes running at the same time are not supported:
    opening one clears the other's staged files.

    Parameters
    ----------
    root : str or os.PathLike
        The directory of the instance files, created if missing.
    database : str or os.PathLike, optional
        The SQLite index (default ``root/index.sqlite``), created if missing.
    fsync : bool, optional
        Flush each instance file to the disk before indexing it (default).
        ``False`` trades durability across a power loss for speed.

    Examples
    --------
    >>> with Archive("/srv/archive") as archive:  # doctest: +SKIP
    ...     archive.store(dataset=ds, transfer_syntax=ExplicitVRLittleEndian)
    ...     for match in archive.find(query, QueryModel.STUDY_ROOT):
    ...         print(match.StudyInstanceUID)
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        database: str | os.PathLike[str] | None = None,
        fsync: bool = True,
    ) -> None:
        self._root = Path(root)
        self._files = FileStore(self._root, fsync=fsync)
        location = Path(database) if database is not None else None
        self._pool = ConnectionPool(location or self._root / "index.sqlite")

    @property
    def root(self) -> Path:
        """Return the directory of the instance files."""
        return self._root

    def store(
        self,
        encoded: bytes | memoryview | Iterable[bytes | memoryview] | None = None,
        *,
        path: str | os.PathLike[str] | None = None,
        transfer_syntax: str,
        file_meta: FileMetaDataset | None = None,
        dataset: Dataset | None = None,
    ) -> Path:
        """Store one instance: write its file and index it (PS3.4 B.2.3).

        Give exactly one of ``encoded``, ``path`` and ``dataset``. Storing a
        SOP Instance UID again replaces its file and index entry.

        Parameters
        ----------
        encoded : bytes, memoryview or iterable of them, optional
            The data set as received in a C-STORE request (no File Meta
            Information), whole or in chunks.
        path : str or os.PathLike, optional
            A Part 10 file, moved into the archive (copied then deleted when
            it is on another file system).
        transfer_syntax : str
            The transfer syntax of the data set.
        file_meta : pydicom.dataset.FileMetaDataset, optional
            File Meta Information for ``encoded`` or ``dataset``: its Media
            Storage SOP Class and Instance UIDs, if set, must be the data
            set's (and save reading them from ``encoded``); other elements,
            such as Source Application Entity Title, are kept in the file.
        dataset : pydicom.dataset.Dataset, optional
            The instance, encoded in ``transfer_syntax``.

        Returns
        -------
        pathlib.Path
            ``root/<StudyInstanceUID>/<SeriesInstanceUID>/<SOPInstanceUID>.dcm``.

        Raises
        ------
        ValueError
            Not exactly one source given; the data set cannot be read, lacks
            a Study, Series or SOP Instance UID or SOP Class UID, or has a
            UID that is not digits and dots.
        ArchiveFullError
            The disk is full; nothing was stored.
        """
        staged = self._stage(encoded, path, dataset, transfer_syntax, file_meta)
        try:
            with (
                self._pool.connection() as connection,
                _database_full_check(),
                write_transaction(connection),
            ):
                previous = put_instance(connection, staged.record)
                final = self._files.place(staged)
                if previous is not None:
                    # The instance moved to another study or series.
                    self._files.remove(previous)
        except BaseException:
            self._files.discard(staged)
            raise
        self._files.finish(staged)
        return final

    def _stage(
        self,
        encoded: bytes | memoryview | Iterable[bytes | memoryview] | None,
        path: str | os.PathLike[str] | None,
        dataset: Dataset | None,
        transfer_syntax: str,
        file_meta: FileMetaDataset | None,
    ) -> Staged:
        if sum(source is not None for source in (encoded, path, dataset)) != 1:
            raise ValueError("give exactly one of 'encoded', 'path' and 'dataset'")
        if path is not None:
            return self._files.stage_file(Path(path), transfer_syntax=transfer_syntax)
        if dataset is not None:
            return self._files.stage_dataset(
                dataset, transfer_syntax=transfer_syntax, file_meta=file_meta
            )
        assert encoded is not None  # noqa: S101  (one of the three is set)
        return self._files.stage_encoded(
            encoded, transfer_syntax=transfer_syntax, file_meta=file_meta
        )

    def find(
        self,
        identifier: Dataset,
        model: QueryModel,
        *,
        combined_datetime: bool = False,
    ) -> Iterator[Dataset]:
        """Match a C-FIND Identifier (PS3.4 C.4.1.3.1, C.2.2.2).

        Parameters
        ----------
        identifier : pydicom.dataset.Dataset
            The request Identifier, with Query/Retrieve Level (0008,0052).
        model : QueryModel
            The information model of the C-FIND SOP Class.
        combined_datetime : bool, optional
            Whether the SCU negotiated combined date and time matching
            (PS3.4 C.4.1.1.4).

        Returns
        -------
        iterator of pydicom.dataset.Dataset
            One response Identifier per match: the requested keys with the
            matched entity's values (empty when unknown), Query/Retrieve
            Level, and Specific Character Set when needed. The caller adds
            Retrieve AE Title.

        Raises
        ------
        InvalidIdentifierError
            Raised by this call, before iterating: the Identifier is not a
            valid hierarchical query for ``model`` (PS3.4 C.4.1.2.1).
        """
        plan = plan_find(identifier, model, combined_datetime=combined_datetime)
        with self._pool.connection() as connection:
            rows = connection.execute(plan.sql, plan.params).fetchall()
        return responses(plan, rows, self._root)

    def retrieve(self, identifier: Dataset, model: QueryModel) -> list[Path]:
        """Return the files a C-GET or C-MOVE Identifier selects.

        Parameters
        ----------
        identifier : pydicom.dataset.Dataset
            The request Identifier: Query/Retrieve Level and Unique Keys
            (PS3.4 C.4.2.2.1, C.4.3.2.1).
        model : QueryModel
            The information model of the SOP Class.

        Returns
        -------
        list of pathlib.Path
            The instance files, by study, series, Instance Number and SOP
            Instance UID.

        Raises
        ------
        InvalidIdentifierError
            A Unique Key is missing or not a single value (a list of values
            at the retrieve level is allowed).
        """
        sql, params = plan_retrieve(identifier, model)
        with self._pool.connection() as connection:
            rows = connection.execute(sql, params).fetchall()
        return [self._root.joinpath(*row[0].split("/")) for row in rows]

    def instance_count(self) -> int:
        """Return the number of instances stored."""
        with self._pool.connection() as connection:
            count: int = connection.execute("SELECT COUNT(*) FROM instance").fetchone()[
                0
            ]
        return count

    def close(self) -> None:
        """Close the index; further calls raise :class:`ValueError`."""
        self._pool.close()

    def __enter__(self) -> Self:
        """Return the archive."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Close the archive."""
        self.close()


@contextmanager
def _database_full_check() -> Iterator[None]:
    """Raise :class:`ArchiveFullError` when SQLite reports a full disk."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        if getattr(exc, "sqlite_errorcode", None) == _SQLITE_FULL:
            raise ArchiveFullError(
                errno.ENOSPC, f"no space left for the archive index: {exc}"
            ) from exc
        raise
