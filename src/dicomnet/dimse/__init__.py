"""The DIMSE message layer (PS3.7) as a sans-I/O core.

- :mod:`~dicomnet.dimse.commands`: command sets to and from bytes;
- :mod:`~dicomnet.dimse.primitives`: the C-/N- service primitives and their
  messages;
- :mod:`~dicomnet.dimse.fragments`: messages to and from PDV fragments;
- :mod:`~dicomnet.dimse.connection`: :class:`DimseConnection`, all of it for
  one association.
"""

from __future__ import annotations

from dicomnet.dimse.commands import (
    CommandDataSetType,
    CommandField,
    Priority,
    decode_command,
    encode_command,
)
from dicomnet.dimse.connection import DimseConnection, DimseMessage
from dicomnet.dimse.fragments import DataSink, MessageAssembler, fragment
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
    from_command,
    to_command,
)

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
    "CommandDataSetType",
    "CommandField",
    "DataSink",
    "DimseConnection",
    "DimseMessage",
    "DimsePrimitive",
    "MessageAssembler",
    "Priority",
    "decode_command",
    "encode_command",
    "fragment",
    "from_command",
    "to_command",
]
