"""Query/Retrieve Information Models and their levels (PS3.4 C.3, C.6).

An information model is a hierarchy of levels, each with one Unique Key
(PS3.4 C.3): the Patient Root model has PATIENT, STUDY, SERIES and IMAGE
(C.6.1), the Study Root model starts at STUDY and carries the patient
attributes there (C.6.2), and the retired Patient/Study Only model stops at
STUDY (C.6.3).
"""

from __future__ import annotations

import enum
from typing import Final, Literal

__all__ = ["UNIQUE_KEYS", "Operation", "QueryLevel", "QueryModel"]

#: The DIMSE service a Query/Retrieve SOP Class is for.
Operation = Literal["FIND", "GET", "MOVE"]


class QueryLevel(enum.Enum):
    """A Query/Retrieve Level (0008,0052) value (PS3.4 C.3).

    Members compare by position in the hierarchy: ``PATIENT < IMAGE``.
    """

    PATIENT = "PATIENT"
    STUDY = "STUDY"
    SERIES = "SERIES"
    IMAGE = "IMAGE"

    @property
    def depth(self) -> int:
        """Return the position of the level, 0 for PATIENT to 3 for IMAGE."""
        return _DEPTH[self]

    def __lt__(self, other: object) -> bool:
        """Return whether this level is above (closer to the root) ``other``."""
        if not isinstance(other, QueryLevel):
            return NotImplemented
        return self.depth < other.depth

    def __le__(self, other: object) -> bool:
        """Return whether this level is ``other`` or above it."""
        if not isinstance(other, QueryLevel):
            return NotImplemented
        return self.depth <= other.depth


_DEPTH: Final = {level: depth for depth, level in enumerate(QueryLevel)}

#: The Unique Key of each level (PS3.4 C.6.1.1.2 to C.6.1.1.5).
UNIQUE_KEYS: Final[dict[QueryLevel, str]] = {
    QueryLevel.PATIENT: "PatientID",
    QueryLevel.STUDY: "StudyInstanceUID",
    QueryLevel.SERIES: "SeriesInstanceUID",
    QueryLevel.IMAGE: "SOPInstanceUID",
}


class QueryModel(enum.Enum):
    """A Query/Retrieve Information Model (PS3.4 C.6)."""

    #: PS3.4 C.6.1.
    PATIENT_ROOT = "PATIENT_ROOT"
    #: PS3.4 C.6.2.
    STUDY_ROOT = "STUDY_ROOT"
    #: PS3.4 C.6.3 (retired).
    PATIENT_STUDY_ONLY = "PATIENT_STUDY_ONLY"

    @property
    def levels(self) -> tuple[QueryLevel, ...]:
        """Return the levels of the model, from the root down."""
        return _LEVELS[self]

    @classmethod
    def from_sop_class(cls, uid: str) -> tuple[QueryModel, Operation]:
        """Return the model and the service of a Query/Retrieve SOP Class.

        Parameters
        ----------
        uid : str
            A Patient Root, Study Root or Patient/Study Only
            FIND, MOVE or GET SOP Class UID (PS3.4 C.6.1.3, C.6.2.3, C.6.3.3).

        Returns
        -------
        tuple of QueryModel and str
            The model, and ``"FIND"``, ``"GET"`` or ``"MOVE"``.

        Raises
        ------
        KeyError
            ``uid`` is not one of those nine SOP Classes.
        """
        return _SOP_CLASSES[str(uid)]


_LEVELS: Final = {
    QueryModel.PATIENT_ROOT: tuple(QueryLevel),
    QueryModel.STUDY_ROOT: (QueryLevel.STUDY, QueryLevel.SERIES, QueryLevel.IMAGE),
    QueryModel.PATIENT_STUDY_ONLY: (QueryLevel.PATIENT, QueryLevel.STUDY),
}

# PS3.6 Annex A: the root of each model is 1.2.840.10008.5.1.4.1.2.<n>, and
# its FIND, MOVE and GET SOP Classes end in .1, .2 and .3.
_MODEL_ROOTS: Final = {
    QueryModel.PATIENT_ROOT: "1.2.840.10008.5.1.4.1.2.1",
    QueryModel.STUDY_ROOT: "1.2.840.10008.5.1.4.1.2.2",
    QueryModel.PATIENT_STUDY_ONLY: "1.2.840.10008.5.1.4.1.2.3",
}
_OPERATIONS: Final[tuple[Operation, ...]] = ("FIND", "MOVE", "GET")
_SOP_CLASSES: Final[dict[str, tuple[QueryModel, Operation]]] = {
    f"{root}.{number}": (model, operation)
    for model, root in _MODEL_ROOTS.items()
    for number, operation in enumerate(_OPERATIONS, start=1)
}
