"""The Defined Procedure Protocol Query/Retrieve Service Class (PS3.4 Annex HH).

Query and retrieval of CT and XA Defined Procedure Protocol instances kept by
an SCP. The information model has a single entity: C-FIND sends one Pending response per
matching instance (PS3.4 HH.6.1.1), with the semantics of Basic Worklist
Management; C-GET and C-MOVE retrieve by SOP Instance UID (one or a list),
the only Unique Key, and the Identifier has no Query/Retrieve Level
(HH.4.2, HH.4.3).

:class:`DefinedProcedureProtocolQRSCP` serves the instances that a
:class:`~dicomnet.services.non_patient_storage.NonPatientStorageSCP` (Annex GG)
received, or any collection; :func:`defined_procedure_protocol_query` builds
an SCU Identifier.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from dicomnet.services._composite_qr import CompositeObjectQR, InformationModel
from dicomnet.services._find_rules import build_query, route
from dicomnet.sop_class import (
    CTDefinedProcedureProtocolStorage,
    DefinedProcedureProtocolInformationModelFind,
    DefinedProcedureProtocolInformationModelGet,
    DefinedProcedureProtocolInformationModelMove,
    XADefinedProcedureProtocolStorage,
)

if TYPE_CHECKING:
    from pydicom.dataset import Dataset

__all__ = [
    "DEFINED_PROCEDURE_PROTOCOL_MODEL",
    "QUERY_KEYS",
    "CTDefinedProcedureProtocolStorage",
    "DefinedProcedureProtocolInformationModelFind",
    "DefinedProcedureProtocolInformationModelGet",
    "DefinedProcedureProtocolInformationModelMove",
    "DefinedProcedureProtocolQRSCP",
    "XADefinedProcedureProtocolStorage",
    "defined_procedure_protocol_query",
    "route",
]

#: The Defined Procedure Protocol Information Model (HH.6.1).
DEFINED_PROCEDURE_PROTOCOL_MODEL: Final = InformationModel(
    find=DefinedProcedureProtocolInformationModelFind,
    get=DefinedProcedureProtocolInformationModelGet,
    move=DefinedProcedureProtocolInformationModelMove,
    storage=frozenset(
        {CTDefinedProcedureProtocolStorage, XADefinedProcedureProtocolStorage}
    ),
)

#: Keys of PS3.4 Table HH.6-1 returned by :func:`defined_procedure_protocol_query`.
QUERY_KEYS: Final = (
    "SOPClassUID",
    "SOPInstanceUID",
)


class DefinedProcedureProtocolQRSCP(CompositeObjectQR):
    """The SCP of the Defined Procedure Protocol Query/Retrieve SOP classes (PS3.4 HH).

    Parameters
    ----------
    source : NonPatientStorageSCP, iterable or callable
        The stored instances.
    destinations : mapping, optional
        Move Destination AE title -> ``(address, port)``.
    """

    models = (DEFINED_PROCEDURE_PROTOCOL_MODEL,)


def defined_procedure_protocol_query(**keys: object) -> Dataset:
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
