"""The DIMSE-C service classes of PS3.4, as a registry of plain classes.

Each class names one PS3.4 service class, the DIMSE messages its SOP classes
use, and the status table of each message. SCP behaviour (the ``SCP()`` method
pynetdicom users may override) is added by the service modules of
:mod:`dicomnet.services`; nothing here touches the network.

The DIMSE-N service classes live in :mod:`dicomnet.service_class_n`.
"""

from __future__ import annotations

from typing import ClassVar, Final

from dicomnet import status as _st

__all__ = [
    "C_ECHO",
    "C_FIND",
    "C_GET",
    "C_MOVE",
    "C_STORE",
    "BasicWorklistManagementServiceClass",
    "ColorPaletteQueryRetrieveServiceClass",
    "DefinedProcedureProtocolQueryRetrieveServiceClass",
    "HangingProtocolQueryRetrieveServiceClass",
    "ImplantTemplateQueryRetrieveServiceClass",
    "InventoryQueryRetrieveServiceClass",
    "NonPatientObjectStorageServiceClass",
    "ProtocolApprovalQueryRetrieveServiceClass",
    "QueryRetrieveServiceClass",
    "RelevantPatientInformationQueryServiceClass",
    "ServiceClass",
    "StorageServiceClass",
    "SubstanceAdministrationQueryServiceClass",
    "VerificationServiceClass",
]

# PS3.7 9.1: the DIMSE-C services, spelled as pynetdicom's ``dimse_msg_type``.
C_ECHO: Final = "C-ECHO"
C_STORE: Final = "C-STORE"
C_FIND: Final = "C-FIND"
C_GET: Final = "C-GET"
C_MOVE: Final = "C-MOVE"


class ServiceClass:
    """Base of every service class; also the class of unknown SOP classes.

    Parameters
    ----------
    assoc : object
        The association the service runs on (kept for the SCP behaviour that
        later issues add; unused here).

    Attributes
    ----------
    statuses : dict
        The status table of the class's main DIMSE message.
    dimse_statuses : dict
        The status table of each DIMSE message the class serves, by message
        name (``"C-FIND"`` ...); its keys are the messages the class serves.
    """

    statuses: ClassVar[_st.StatusTable] = _st.GENERAL_STATUS
    dimse_statuses: ClassVar[dict[str, _st.StatusTable]] = {}

    def __init__(self, assoc: object) -> None:
        self.assoc = assoc

    @classmethod
    def dimse_messages(cls) -> tuple[str, ...]:
        """Return the DIMSE messages this service class serves.

        Returns
        -------
        tuple of str
            Message names such as ``"C-STORE"``, in PS3.7 order.
        """
        return tuple(cls.dimse_statuses)

    @classmethod
    def status_table(cls, message: str) -> _st.StatusTable:
        """Return the status table that applies to a DIMSE message.

        Parameters
        ----------
        message : str
            A DIMSE message name such as ``"C-GET"``.

        Returns
        -------
        dict
            The message's table, or :attr:`statuses` for a message the class
            does not serve.
        """
        return cls.dimse_statuses.get(message, cls.statuses)


def _serves(**tables: _st.StatusTable) -> dict[str, _st.StatusTable]:
    # Keyword arguments cannot contain "-": C_FIND= stands for "C-FIND".
    return {name.replace("_", "-"): table for name, table in tables.items()}


_FIND_GET_MOVE: Final = _serves(
    C_FIND=_st.QR_FIND_SERVICE_CLASS_STATUS,
    C_GET=_st.QR_GET_SERVICE_CLASS_STATUS,
    C_MOVE=_st.QR_MOVE_SERVICE_CLASS_STATUS,
)


class VerificationServiceClass(ServiceClass):
    """PS3.4 Annex A: C-ECHO."""

    statuses = _st.VERIFICATION_SERVICE_CLASS_STATUS
    dimse_statuses = _serves(C_ECHO=_st.VERIFICATION_SERVICE_CLASS_STATUS)


class StorageServiceClass(ServiceClass):
    """PS3.4 Annex B: C-STORE of composite instances."""

    statuses = _st.STORAGE_SERVICE_CLASS_STATUS
    dimse_statuses = _serves(C_STORE=_st.STORAGE_SERVICE_CLASS_STATUS)


class QueryRetrieveServiceClass(ServiceClass):
    """PS3.4 Annex C: C-FIND, C-GET and C-MOVE information models."""

    statuses = _st.QR_FIND_SERVICE_CLASS_STATUS
    dimse_statuses = _FIND_GET_MOVE


class BasicWorklistManagementServiceClass(ServiceClass):
    """PS3.4 Annex K: Modality Worklist C-FIND."""

    statuses = _st.MODALITY_WORKLIST_SERVICE_CLASS_STATUS
    dimse_statuses = _serves(C_FIND=_st.MODALITY_WORKLIST_SERVICE_CLASS_STATUS)


class RelevantPatientInformationQueryServiceClass(ServiceClass):
    """PS3.4 Annex Q: Relevant Patient Information Query C-FIND."""

    statuses = _st.RELEVANT_PATIENT_SERVICE_CLASS_STATUS
    dimse_statuses = _serves(C_FIND=_st.RELEVANT_PATIENT_SERVICE_CLASS_STATUS)


class SubstanceAdministrationQueryServiceClass(ServiceClass):
    """PS3.4 Annex V: Product Characteristics and Substance Approval C-FIND."""

    statuses = _st.SUBSTANCE_ADMINISTRATION_SERVICE_CLASS_STATUS
    dimse_statuses = _serves(C_FIND=_st.SUBSTANCE_ADMINISTRATION_SERVICE_CLASS_STATUS)


class NonPatientObjectStorageServiceClass(ServiceClass):
    """PS3.4 Annex GG: C-STORE of non-patient objects."""

    statuses = _st.NON_PATIENT_SERVICE_CLASS_STATUS
    dimse_statuses = _serves(C_STORE=_st.NON_PATIENT_SERVICE_CLASS_STATUS)


class HangingProtocolQueryRetrieveServiceClass(QueryRetrieveServiceClass):
    """PS3.4 Annex U: Hanging Protocol Query/Retrieve."""


class DefinedProcedureProtocolQueryRetrieveServiceClass(QueryRetrieveServiceClass):
    """PS3.4 Annex HH: Defined Procedure Protocol Query/Retrieve."""


class ColorPaletteQueryRetrieveServiceClass(QueryRetrieveServiceClass):
    """PS3.4 Annex X: Color Palette Query/Retrieve."""


class ImplantTemplateQueryRetrieveServiceClass(QueryRetrieveServiceClass):
    """PS3.4 Annex BB: Implant Template Query/Retrieve."""


class ProtocolApprovalQueryRetrieveServiceClass(QueryRetrieveServiceClass):
    """PS3.4 Annex II: Protocol Approval Query/Retrieve."""


class InventoryQueryRetrieveServiceClass(QueryRetrieveServiceClass):
    """PS3.4 Annex JJ: Inventory Query/Retrieve."""
