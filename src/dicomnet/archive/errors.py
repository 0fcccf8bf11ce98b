"""The exceptions of :mod:`dicomnet.archive`."""

from __future__ import annotations

__all__ = ["ArchiveFullError", "InvalidIdentifierError"]


class ArchiveFullError(OSError):
    """The archive's disk (or its database) has no space left.

    A subclass of :class:`OSError` whose ``errno`` is the one the system
    reported (``ENOSPC`` or ``EDQUOT``); no partial file is left behind. A
    C-STORE SCP answers it with *Refused: Out of Resources* (PS3.4 B.2.3,
    status ``0xA7xx``).
    """


class InvalidIdentifierError(ValueError):
    """A C-FIND, C-GET or C-MOVE Identifier the archive cannot process.

    Raised for a missing or unknown Query/Retrieve Level (0008,0052), a level
    the information model does not have, or a missing Unique Key of a higher
    level (PS3.4 C.4.1.2.1, C.4.2.2.1). A Query/Retrieve SCP answers it with
    *Identifier does not match SOP Class* (``0xA900``).
    """
