"""pynetdicom-compatible home of the DIMSE service primitives (re-exports only).

The classes live in :mod:`dicomnet.dimse.primitives`.
"""

from __future__ import annotations

from dicomnet.dimse.primitives import (
    C_CANCEL,
    C_ECHO,
    C_FIND,
    C_GET,
    C_MOVE,
    C_STORE,
    N_ACTION,
    N_CREATE,
    N_DELETE,
    N_EVENT_REPORT,
    N_GET,
    N_SET,
    DimsePrimitive,
)

#: pynetdicom's name for the common base class.
DIMSEPrimitive = DimsePrimitive

__all__ = [
    "C_CANCEL",
    "C_ECHO",
    "C_FIND",
    "C_GET",
    "C_MOVE",
    "C_STORE",
    "N_ACTION",
    "N_CREATE",
    "N_DELETE",
    "N_EVENT_REPORT",
    "N_GET",
    "N_SET",
    "DIMSEPrimitive",
    "DimsePrimitive",
]
