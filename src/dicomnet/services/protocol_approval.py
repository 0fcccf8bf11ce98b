"""The Protocol Approval Query/Retrieve Service Class (PS3.4 Annex II).

Query and retrieval of Protocol Approval instances kept by an SCP. The
information model has a single entity: C-FIND sends one Pending response per
matching instance (PS3.4 II.6.1.1), with the semantics of Basic Worklist
Management; C-GET and C-MOVE retrieve by SOP Instance UID (one or a list),
the only Unique Key, and the Identifier has no Query/Retrieve Level
(II.4.2, II.4.3).

:class:`ProtocolApprovalQRSCP` serves the instances that a
:class:`~dicomnet.services.non_patient_storage.NonPatientStorageSCP` (Annex GG)
received, or any collection; :func:`protocol_approval_query` builds an SCU Identifier.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from dicomnet.services._composite_qr import CompositeObjectQR, InformationModel
from dicomnet.services._find_rules import build_query, route
from dicomnet.sop_class import (
    ProtocolApprovalInformationModelFind,
    ProtocolApprovalInformationModelGet,
    ProtocolApprovalInformationModelMove,
    ProtocolApprovalStorage,
)

if TYPE_CHECKING:
    from pydicom.dataset import Dataset

__all__ = [
    "PROTOCOL_APPROVAL_MODEL",
    "QUERY_KEYS",
    "ProtocolApprovalInformationModelFind",
    "ProtocolApprovalInformationModelGet",
    "ProtocolApprovalInformationModelMove",
    "ProtocolApprovalQRSCP",
    "ProtocolApprovalStorage",
    "protocol_approval_query",
    "route",
]

#: The Protocol Approval Information Model (II.6.1).
PROTOCOL_APPROVAL_MODEL: Final = InformationModel(
    find=ProtocolApprovalInformationModelFind,
    get=ProtocolApprovalInformationModelGet,
    move=ProtocolApprovalInformationModelMove,
    storage=frozenset({ProtocolApprovalStorage}),
)

#: Keys of PS3.4 Table II.6-1 returned by :func:`protocol_approval_query`.
QUERY_KEYS: Final = (
    "SOPClassUID",
    "SOPInstanceUID",
)


class ProtocolApprovalQRSCP(CompositeObjectQR):
    """The SCP of the Protocol Approval Query/Retrieve SOP classes (PS3.4 II).

    Parameters
    ----------
    source : NonPatientStorageSCP, iterable or callable
        The stored instances.
    destinations : mapping, optional
        Move Destination AE title -> ``(address, port)``.
    """

    models = (PROTOCOL_APPROVAL_MODEL,)


def protocol_approval_query(**keys: object) -> Dataset:
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
