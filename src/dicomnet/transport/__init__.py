"""Drivers: the only part of dicomnet that touches sockets, TLS and threads.

:mod:`dicomnet.transport.sync` runs one association's sans-I/O core on one
thread; :mod:`dicomnet.transport.server` accepts connections. The server class
names are pynetdicom's (``pynetdicom.transport``).
"""

from __future__ import annotations

from dicomnet.transport.server import AssociationServer, ThreadedAssociationServer
from dicomnet.transport.sync import AssociationDriver, SansIOConnection

__all__ = [
    "AssociationDriver",
    "AssociationServer",
    "SansIOConnection",
    "ThreadedAssociationServer",
]
