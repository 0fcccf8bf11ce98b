"""A DICOM archive: instance files and their SQLite index, without networking.

The storage and query side of a Query/Retrieve SCP (PS3.4 Annex C): received
instances are written as DICOM files and indexed (:meth:`Archive.store`),
C-FIND Identifiers are matched against the index (:meth:`Archive.find`), and
C-GET and C-MOVE Identifiers select the files to send
(:meth:`Archive.retrieve`). The network side is the caller's.

Modules: :mod:`~dicomnet.archive.model` (information models and levels),
:mod:`~dicomnet.archive.matching` (PS3.4 C.2.2.2 attribute matching),
:mod:`~dicomnet.archive.index` (the SQLite schema),
:mod:`~dicomnet.archive.store` (the files) and
:mod:`~dicomnet.archive.query` (Identifiers to SQL).
"""

from __future__ import annotations

from dicomnet.archive.archive import Archive
from dicomnet.archive.errors import ArchiveFullError, InvalidIdentifierError
from dicomnet.archive.model import QueryLevel, QueryModel

__all__ = [
    "Archive",
    "ArchiveFullError",
    "InvalidIdentifierError",
    "QueryLevel",
    "QueryModel",
]
