"""The Implant Template Query/Retrieve Service Classes (PS3.4 Annex BB).

Query and retrieval of Generic Implant Template, Implant Assembly Template and
Implant Template Group instances kept by an SCP. Each information model has a
single entity: C-FIND sends one Pending response per
matching instance (PS3.4 BB.6.1.1), with the semantics of Basic Worklist
Management; C-GET and C-MOVE retrieve by SOP Instance UID (one or a list),
the only Unique Key, and the Identifier has no Query/Retrieve Level
(BB.4.2, BB.4.3).

:class:`ImplantTemplateQRSCP` serves the instances that a
:class:`~dicomnet.services.non_patient_storage.NonPatientStorageSCP` (Annex GG)
received, or any collection; :func:`implant_template_query` builds an SCU Identifier.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from dicomnet.services._composite_qr import CompositeObjectQR, InformationModel
from dicomnet.services._find_rules import build_query, route
from dicomnet.sop_class import (
    GenericImplantTemplateInformationModelFind,
    GenericImplantTemplateInformationModelGet,
    GenericImplantTemplateInformationModelMove,
    GenericImplantTemplateStorage,
    ImplantAssemblyTemplateInformationModelFind,
    ImplantAssemblyTemplateInformationModelGet,
    ImplantAssemblyTemplateInformationModelMove,
    ImplantAssemblyTemplateStorage,
    ImplantTemplateGroupInformationModelFind,
    ImplantTemplateGroupInformationModelGet,
    ImplantTemplateGroupInformationModelMove,
    ImplantTemplateGroupStorage,
)

if TYPE_CHECKING:
    from pydicom.dataset import Dataset

__all__ = [
    "GENERIC_IMPLANT_TEMPLATE_MODEL",
    "IMPLANT_ASSEMBLY_TEMPLATE_MODEL",
    "IMPLANT_TEMPLATE_GROUP_MODEL",
    "QUERY_KEYS",
    "GenericImplantTemplateInformationModelFind",
    "GenericImplantTemplateInformationModelGet",
    "GenericImplantTemplateInformationModelMove",
    "GenericImplantTemplateStorage",
    "ImplantAssemblyTemplateInformationModelFind",
    "ImplantAssemblyTemplateInformationModelGet",
    "ImplantAssemblyTemplateInformationModelMove",
    "ImplantAssemblyTemplateStorage",
    "ImplantTemplateGroupInformationModelFind",
    "ImplantTemplateGroupInformationModelGet",
    "ImplantTemplateGroupInformationModelMove",
    "ImplantTemplateGroupStorage",
    "ImplantTemplateQRSCP",
    "implant_template_query",
    "route",
]

#: The Implant Template Information Model (BB.6.1).
GENERIC_IMPLANT_TEMPLATE_MODEL: Final = InformationModel(
    find=GenericImplantTemplateInformationModelFind,
    get=GenericImplantTemplateInformationModelGet,
    move=GenericImplantTemplateInformationModelMove,
    storage=frozenset({GenericImplantTemplateStorage}),
)

#: The Implant Assembly Template Information Model (BB.6.1).
IMPLANT_ASSEMBLY_TEMPLATE_MODEL: Final = InformationModel(
    find=ImplantAssemblyTemplateInformationModelFind,
    get=ImplantAssemblyTemplateInformationModelGet,
    move=ImplantAssemblyTemplateInformationModelMove,
    storage=frozenset({ImplantAssemblyTemplateStorage}),
)

#: The Implant Template Group Information Model (BB.6.1).
IMPLANT_TEMPLATE_GROUP_MODEL: Final = InformationModel(
    find=ImplantTemplateGroupInformationModelFind,
    get=ImplantTemplateGroupInformationModelGet,
    move=ImplantTemplateGroupInformationModelMove,
    storage=frozenset({ImplantTemplateGroupStorage}),
)

#: Keys of PS3.4 Table BB.6-1 (Generic Implant Template) for
#: :func:`implant_template_query`.
QUERY_KEYS: Final = (
    "SOPClassUID",
    "SOPInstanceUID",
    "Manufacturer",
    "ImplantName",
    "ImplantSize",
    "ImplantPartNumber",
)


class ImplantTemplateQRSCP(CompositeObjectQR):
    """The SCP of the Implant Template Query/Retrieve SOP classes (PS3.4 BB).

    Parameters
    ----------
    source : NonPatientStorageSCP, iterable or callable
        The stored instances.
    destinations : mapping, optional
        Move Destination AE title -> ``(address, port)``.
    """

    models = (
        GENERIC_IMPLANT_TEMPLATE_MODEL,
        IMPLANT_ASSEMBLY_TEMPLATE_MODEL,
        IMPLANT_TEMPLATE_GROUP_MODEL,
    )


def implant_template_query(**keys: object) -> Dataset:
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
