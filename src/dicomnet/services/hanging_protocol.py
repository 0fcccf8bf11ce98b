"""The Hanging Protocol Query/Retrieve Service Class (PS3.4 Annex U).

Query and retrieval of Hanging Protocol instances (PS3.3 A.44) kept by an SCP. The
information model has a single entity: C-FIND sends one Pending response per
matching instance (PS3.4 U.6.1.1), with the semantics of Basic Worklist
Management; C-GET and C-MOVE retrieve by SOP Instance UID (one or a list),
the only Unique Key, and the Identifier has no Query/Retrieve Level
(U.4.2, U.4.3).

:class:`HangingProtocolQRSCP` serves the instances that a
:class:`~dicomnet.services.non_patient_storage.NonPatientStorageSCP` (Annex GG)
received, or any collection; :func:`hanging_protocol_query` builds an SCU Identifier.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from dicomnet.services._composite_qr import CompositeObjectQR, InformationModel
from dicomnet.services._find_rules import build_query, route
from dicomnet.sop_class import (
    HangingProtocolInformationModelFind,
    HangingProtocolInformationModelGet,
    HangingProtocolInformationModelMove,
    HangingProtocolStorage,
)

if TYPE_CHECKING:
    from pydicom.dataset import Dataset

__all__ = [
    "HANGING_PROTOCOL_MODEL",
    "QUERY_KEYS",
    "HangingProtocolInformationModelFind",
    "HangingProtocolInformationModelGet",
    "HangingProtocolInformationModelMove",
    "HangingProtocolQRSCP",
    "HangingProtocolStorage",
    "hanging_protocol_query",
    "route",
]

#: The Hanging Protocol Information Model (U.6.1).
HANGING_PROTOCOL_MODEL: Final = InformationModel(
    find=HangingProtocolInformationModelFind,
    get=HangingProtocolInformationModelGet,
    move=HangingProtocolInformationModelMove,
    storage=frozenset({HangingProtocolStorage}),
)

#: Keys of PS3.4 Table U.6-1 returned by :func:`hanging_protocol_query`.
QUERY_KEYS: Final = (
    "SOPClassUID",
    "SOPInstanceUID",
    "HangingProtocolName",
    "HangingProtocolDescription",
    "HangingProtocolLevel",
    "HangingProtocolCreator",
    "HangingProtocolCreationDateTime",
)


class HangingProtocolQRSCP(CompositeObjectQR):
    """The SCP of the Hanging Protocol Query/Retrieve SOP classes (PS3.4 U).

    Parameters
    ----------
    source : NonPatientStorageSCP, iterable or callable
        The stored instances.
    destinations : mapping, optional
        Move Destination AE title -> ``(address, port)``.
    """

    models = (HANGING_PROTOCOL_MODEL,)


def hanging_protocol_query(**keys: object) -> Dataset:
    """Return a C-FIND Identifier: :data:`QUERY_KEYS` as return keys, then ``keys``.

    Parameters
    ----------
    **keys
        Matching keys by keyword.

    Returns
    -------
    pydicom.dataset.Dataset
    """
    return build_query(QUERY_KEYS, **keys)
