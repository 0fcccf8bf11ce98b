"""DIMSE status codes: categories, per-service tables and the ``Status`` enum.

Each table maps a status code to ``(category, description)``. The rows are
written from PS3.7 Annex C (general statuses) and the status tables of the
PS3.4 service annexes, each cited where it is defined. A row may cover a range
of codes (PS3.4 writes them as ``A7xx`` or "C000 through CFFF"); the tables are
expanded at import so that a lookup is one ``dict`` access.

pydicom ships no machine-readable status dictionary, so unlike
:mod:`dicomnet.sop_class` these rows are hand-written rather than generated.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Final

from pydicom.dataset import Dataset

from dicomnet._globals import (
    STATUS_CANCEL,
    STATUS_FAILURE,
    STATUS_PENDING,
    STATUS_SUCCESS,
    STATUS_UNKNOWN,
    STATUS_WARNING,
)

__all__ = [
    "APPLICATION_EVENT_LOGGING_SERVICE_CLASS_STATUS",
    "GENERAL_STATUS",
    "HANDLER_FAILURE_STATUS",
    "MEDIA_CREATION_MANAGEMENT_SERVICE_CLASS_STATUS",
    "MODALITY_WORKLIST_SERVICE_CLASS_STATUS",
    "NON_PATIENT_SERVICE_CLASS_STATUS",
    "PRINT_JOB_MANAGEMENT_SERVICE_CLASS_STATUS",
    "PROCEDURE_STEP_STATUS",
    "QR_FIND_SERVICE_CLASS_STATUS",
    "QR_GET_SERVICE_CLASS_STATUS",
    "QR_MOVE_SERVICE_CLASS_STATUS",
    "RELEVANT_PATIENT_SERVICE_CLASS_STATUS",
    "RT_MACHINE_VERIFICATION_SERVICE_CLASS_STATUS",
    "STATUS_CANCEL",
    "STATUS_FAILURE",
    "STATUS_PENDING",
    "STATUS_SUCCESS",
    "STATUS_UNKNOWN",
    "STATUS_WARNING",
    "STORAGE_COMMITMENT_SERVICE_CLASS_STATUS",
    "STORAGE_MANAGEMENT_SERVICE_CLASS_STATUS",
    "STORAGE_SERVICE_CLASS_STATUS",
    "SUBSTANCE_ADMINISTRATION_SERVICE_CLASS_STATUS",
    "UNIFIED_PROCEDURE_STEP_SERVICE_CLASS_STATUS",
    "VERIFICATION_SERVICE_CLASS_STATUS",
    "Status",
    "StatusTable",
    "code_to_category",
    "code_to_status",
]

#: ``{code: (category, description)}``
StatusTable = dict[int, tuple[str, str]]

# (first code, last code, category, description); first == last for one code.
_Row = tuple[int, int, str, str]

_F = STATUS_FAILURE
_W = STATUS_WARNING
_P = STATUS_PENDING

# Largest value of the US-valued Status (0000,0900) (PS3.7 E.1).
_MAX_CODE: Final = 0xFFFF


def _one(code: int, category: str, description: str) -> _Row:
    return (code, code, category, description)


def _expand(*groups: tuple[_Row, ...]) -> StatusTable:
    """Expand ranged rows into one table; a later row overrides an earlier one."""
    table: StatusTable = {}
    for rows in groups:
        for first, last, category, description in rows:
            for code in range(first, last + 1):
                table[code] = (category, description)
    return table


# PS3.7 C.1 to C.5 (Annex C "Status Type Encoding"), Table C-1 and the
# per-code sections C.4.x (failure and warning) and C.5.x (refused, etc.).
_GENERAL_ROWS: Final[tuple[_Row, ...]] = (
    _one(0x0000, STATUS_SUCCESS, "Success"),
    _one(0x0105, _F, "No such attribute"),  # C.4.1
    _one(0x0106, _F, "Invalid attribute value"),  # C.4.2
    _one(0x0107, _W, "Attribute list error"),  # C.4.3
    _one(0x0110, _F, "Processing failure"),  # C.4.4
    _one(0x0111, _F, "Duplicate SOP Instance"),  # C.4.5
    _one(0x0112, _F, "No such SOP Instance"),  # C.4.6
    _one(0x0113, _F, "No such event type"),  # C.4.7
    _one(0x0114, _F, "No such argument"),  # C.4.8
    _one(0x0115, _F, "Invalid argument value"),  # C.4.9
    _one(0x0116, _W, "Attribute value out of range"),  # C.4.10
    _one(0x0117, _F, "Invalid object instance"),  # C.4.11
    _one(0x0118, _F, "No such SOP Class"),  # C.4.12
    _one(0x0119, _F, "Class-instance conflict"),  # C.4.13
    _one(0x0120, _F, "Missing attribute"),  # C.4.14
    _one(0x0121, _F, "Missing attribute value"),  # C.4.15
    _one(0x0122, _F, "Refused: SOP Class not supported"),  # C.5.1
    _one(0x0123, _F, "No such action"),  # C.4.16
    _one(0x0124, _F, "Refused: not authorized"),  # C.5.2
    _one(0x0210, _F, "Duplicate invocation"),  # C.4.17
    _one(0x0211, _F, "Unrecognized operation"),  # C.4.18
    _one(0x0212, _F, "Mistyped argument"),  # C.4.19
    _one(0x0213, _F, "Resource limitation"),  # C.4.20
    _one(0xFE00, STATUS_CANCEL, "Cancel: operation terminated"),  # C.3
)

#: PS3.7 Annex C: the statuses every DIMSE service may return.
GENERAL_STATUS: Final[StatusTable] = _expand(_GENERAL_ROWS)

# Failure codes dicomnet's SCP sends when a user's event handler misbehaves.
# They sit in the implementation-defined C000-CFFF "Unable to process" range
# (e.g. PS3.4 C.4.1.1.4) and keep pynetdicom's numbers, which users match on.
_HANDLER_ROWS: Final[dict[str, tuple[_Row, ...]]] = {
    "any": (
        _one(0xC001, _F, "Handler returned a status Dataset without a Status"),
        _one(0xC002, _F, "Handler returned a status of an unusable type"),
    ),
    "C-STORE": (_one(0xC211, _F, "Unhandled exception in the C-STORE handler"),),
    "C-FIND": (
        _one(0xC311, _F, "Unhandled exception in the C-FIND handler"),
        _one(0xC312, _F, "C-FIND handler yielded an identifier that cannot be encoded"),
    ),
    "C-GET": (
        _one(0xC411, _F, "Unhandled exception in the C-GET handler"),
        _one(0xC413, _F, "C-GET handler yielded an invalid sub-operation count"),
        _one(0xC416, _F, "C-GET handler failed while yielding datasets"),
    ),
    "C-MOVE": (
        _one(0xC511, _F, "Unhandled exception in the C-MOVE handler"),
        _one(0xC513, _F, "C-MOVE handler yielded an invalid sub-operation count"),
        _one(0xC514, _F, "C-MOVE handler yielded an invalid move destination"),
        _one(0xC515, _F, "C-MOVE handler failed while yielding the destination"),
        _one(0xC516, _F, "C-MOVE handler failed while yielding datasets"),
    ),
}

#: The handler failure codes above, as one table.
HANDLER_FAILURE_STATUS: Final[StatusTable] = _expand(*_HANDLER_ROWS.values())

_UNABLE = (0xC000, 0xCFFF, _F, "Unable to process")
_OUT_OF_RESOURCES = _one(0xA700, _F, "Refused: out of resources")
_IDENTIFIER_MISMATCH = _one(0xA900, _F, "Identifier does not match SOP Class")
_PENDING = _one(0xFF00, _P, "Matches are continuing")
_PENDING_OPTIONAL = _one(
    0xFF01, _P, "Matches are continuing; one or more Optional Keys not supported"
)
_FIND_ROWS: Final = (
    _OUT_OF_RESOURCES,
    _IDENTIFIER_MISMATCH,
    _UNABLE,
    _PENDING,
    _PENDING_OPTIONAL,
)

#: PS3.4 A.4: Verification uses the general statuses only.
VERIFICATION_SERVICE_CLASS_STATUS: Final = _expand(_GENERAL_ROWS)

#: PS3.4 B.2.3, Table B.2-1 (C-STORE).
STORAGE_SERVICE_CLASS_STATUS: Final = _expand(
    _GENERAL_ROWS,
    (
        (0xA700, 0xA7FF, _F, "Refused: out of resources"),
        (0xA900, 0xA9FF, _F, "Error: data set does not match SOP Class"),
        (0xC000, 0xCFFF, _F, "Error: cannot understand"),
        _one(0xB000, _W, "Coercion of data elements"),
        _one(0xB006, _W, "Elements discarded"),
        _one(0xB007, _W, "Data set does not match SOP Class"),
    ),
    _HANDLER_ROWS["any"],
    _HANDLER_ROWS["C-STORE"],
)

#: PS3.4 C.4.1.1.4, Table C.4-1 (C-FIND).
QR_FIND_SERVICE_CLASS_STATUS: Final = _expand(
    _GENERAL_ROWS, _FIND_ROWS, _HANDLER_ROWS["any"], _HANDLER_ROWS["C-FIND"]
)

# PS3.4 C.4.2.1.5 Table C.4-2 (C-MOVE) and C.4.3.1.4 Table C.4-3 (C-GET), with
# the frame-level and without-bulk-data retrieve failures of Z.4.2.3/Y.4.2.3.
_RETRIEVE_ROWS: Final = (
    _one(
        0xA701, _F, "Refused: out of resources; unable to calculate number of matches"
    ),
    _one(0xA702, _F, "Refused: out of resources; unable to perform sub-operations"),
    _IDENTIFIER_MISMATCH,
    _one(0xAA00, _F, "None of the frames requested were found in the SOP Instance"),
    _one(0xAA01, _F, "Unable to create new object for this SOP Class"),
    _one(0xAA02, _F, "Unable to extract frames"),
    _one(0xAA03, _F, "Time-based request received for a non-time-based SOP Instance"),
    _one(0xAA04, _F, "Invalid request"),
    _UNABLE,
    _one(0xB000, _W, "Sub-operations complete; one or more failures or warnings"),
    _one(0xFF00, _P, "Sub-operations are continuing"),
    _one(0xFE00, STATUS_CANCEL, "Sub-operations terminated due to Cancel"),
)

#: PS3.4 C.4.3.1.4, Table C.4-3 (C-GET).
QR_GET_SERVICE_CLASS_STATUS: Final = _expand(
    _GENERAL_ROWS, _RETRIEVE_ROWS, _HANDLER_ROWS["any"], _HANDLER_ROWS["C-GET"]
)

#: PS3.4 C.4.2.1.5, Table C.4-2 (C-MOVE).
QR_MOVE_SERVICE_CLASS_STATUS: Final = _expand(
    _GENERAL_ROWS,
    _RETRIEVE_ROWS,
    (_one(0xA801, _F, "Refused: move destination unknown"),),
    _HANDLER_ROWS["any"],
    _HANDLER_ROWS["C-MOVE"],
)

#: PS3.4 K.4.1.1.4, Table K.4-1 (Modality Worklist C-FIND).
MODALITY_WORKLIST_SERVICE_CLASS_STATUS: Final = _expand(
    _GENERAL_ROWS, _FIND_ROWS, _HANDLER_ROWS["any"], _HANDLER_ROWS["C-FIND"]
)

#: PS3.4 Q.2.1.1.4, Table Q.2-1 (Relevant Patient Information Query C-FIND).
RELEVANT_PATIENT_SERVICE_CLASS_STATUS: Final = _expand(
    _GENERAL_ROWS,
    (
        _OUT_OF_RESOURCES,
        _IDENTIFIER_MISMATCH,
        _one(0xC000, _F, "Unable to process"),
        _one(0xC100, _F, "More than one match found"),
        _one(0xC200, _F, "Unable to support requested template"),
        _PENDING,
    ),
    _HANDLER_ROWS["any"],
    _HANDLER_ROWS["C-FIND"],
)

#: PS3.4 V.4.1.1.4, Table V.4-1 (Substance Administration Query C-FIND).
SUBSTANCE_ADMINISTRATION_SERVICE_CLASS_STATUS: Final = _expand(
    _GENERAL_ROWS, _FIND_ROWS, _HANDLER_ROWS["any"], _HANDLER_ROWS["C-FIND"]
)

#: PS3.4 GG.4.2, Table GG.4-1 (Non-Patient Object Storage C-STORE).
NON_PATIENT_SERVICE_CLASS_STATUS: Final = _expand(
    _GENERAL_ROWS,
    (
        _OUT_OF_RESOURCES,
        _one(0xA900, _F, "Data set does not match SOP Class"),
        _one(0xC000, _F, "Cannot understand"),
    ),
    _HANDLER_ROWS["any"],
    _HANDLER_ROWS["C-STORE"],
)

#: PS3.4 F.7.2 (Modality Performed Procedure Step N-CREATE/N-SET): 0110 has a
#: specific meaning there; 0001 is the optional-attributes warning of N-GET.
PROCEDURE_STEP_STATUS: Final = _expand(
    _GENERAL_ROWS,
    (
        _one(0x0001, _W, "Requested optional attributes are not supported"),
        _one(0x0110, _F, "Performed Procedure Step Object may no longer be updated"),
    ),
)

#: PS3.4 H.4 (Basic Film Session H.4.1, Basic Film Box H.4.2, Image Box H.4.3
#: and Print Job H.4.5 status tables).
PRINT_JOB_MANAGEMENT_SERVICE_CLASS_STATUS: Final = _expand(
    _GENERAL_ROWS,
    (
        _one(0xB600, _W, "Memory allocation not supported"),
        _one(0xB601, _W, "Film session printing (collation) is not supported"),
        _one(0xB602, _W, "Film session contains at least one empty film box"),
        _one(0xB603, _W, "Film box contains no image box (nothing printed)"),
        _one(0xB604, _W, "Image larger than image box; image demagnified"),
        _one(0xB605, _W, "Requested min/max density outside printer's range"),
        _one(0xB609, _W, "Image larger than image box; image cropped to fit"),
        _one(0xB60A, _W, "Image larger than image box; image decimated to fit"),
        _one(0xC600, _F, "Film session contains no film box"),
        _one(0xC601, _F, "Unable to create Print Job; print queue is full"),
        _one(0xC602, _F, "Unable to create Print Job; print queue is full"),
        _one(0xC603, _F, "Image size is larger than image box size"),
        _one(0xC605, _F, "Insufficient memory in printer to store the image"),
        _one(0xC613, _F, "Combined print image size larger than image box size"),
        _one(0xC616, _F, "An existing film box has not been printed"),
    ),
)

#: PS3.4 S.3.2 (Media Creation Management N-CREATE/N-ACTION/N-GET).
MEDIA_CREATION_MANAGEMENT_SERVICE_CLASS_STATUS: Final = _expand(
    _GENERAL_ROWS,
    (
        _one(0x0001, _W, "Requested optional attributes are not supported"),
        _one(0xA510, _F, "Refused: an Initiate Media Creation was already received"),
        _one(0xC201, _F, "Media creation request already completed"),
        _one(0xC202, _F, "Media creation request already in progress"),
        _one(0xC203, _F, "Cancellation denied for unspecified reason"),
    ),
)

#: PS3.4 J.3.2: Storage Commitment uses the general statuses only.
STORAGE_COMMITMENT_SERVICE_CLASS_STATUS: Final = _expand(_GENERAL_ROWS)

#: PS3.4 P.3.2, Table P.3-1 (Application Event Logging N-ACTION).
APPLICATION_EVENT_LOGGING_SERVICE_CLASS_STATUS: Final = _expand(
    _GENERAL_ROWS,
    (
        _one(0xB101, _W, "Synchronization Frame of Reference UID does not match"),
        _one(0xB102, _W, "Study Instance UID coercion; event logged"),
        _one(0xB104, _W, "IDs inconsistent in matching a current study; event logged"),
        _one(0xC101, _F, "Procedural logging not available for the study"),
        _one(0xC102, _F, "Event information does not match template"),
        _one(0xC103, _F, "Cannot match event to a current study"),
        _one(0xC104, _F, "IDs inconsistent in matching a current study; not logged"),
        _one(0xC10E, _F, "Operator not authorized to add entry to the record"),
        _one(0xC110, _F, "Patient cannot be identified from the given IDs"),
        _one(0xC111, _F, "Update of Medication Administration Record failed"),
    ),
)

#: PS3.4 DD.3.2 (RT Machine Verification N-GET/N-ACTION, Tables DD.3.2.2.3-1 and
#: DD.3.2.3-2).
RT_MACHINE_VERIFICATION_SERVICE_CLASS_STATUS: Final = _expand(
    _GENERAL_ROWS,
    (_one(0xC112, _F, "Machine Verification requested instance not found"),),
)

#: PS3.4 CC.2 (Unified Procedure Step N-CREATE/N-SET/N-GET/N-ACTION/C-FIND).
UNIFIED_PROCEDURE_STEP_SERVICE_CLASS_STATUS: Final = _expand(
    _GENERAL_ROWS,
    (
        _one(0x0001, _W, "Requested optional attributes are not supported"),
        _OUT_OF_RESOURCES,
        _IDENTIFIER_MISMATCH,
        _UNABLE,
        _one(0xB300, _W, "The UPS was created with modifications"),
        _one(0xB301, _W, "Deletion lock not granted"),
        _one(0xB304, _W, "The UPS is already in the requested state of CANCELED"),
        _one(0xB305, _W, "Coerced invalid values to valid values"),
        _one(0xB306, _W, "The UPS is already in the requested state of COMPLETED"),
        _one(0xC300, _F, "The UPS may no longer be updated"),
        _one(0xC301, _F, "The correct Transaction UID was not provided"),
        _one(0xC302, _F, "The UPS is already IN PROGRESS"),
        _one(0xC303, _F, "The UPS may only become SCHEDULED via N-CREATE"),
        _one(0xC304, _F, "The UPS has not met final state requirements"),
        _one(0xC307, _F, "Specified SOP Instance UID is not a UPS on this SCP"),
        _one(0xC308, _F, "Receiving AE title is unknown to this SCP"),
        _one(0xC309, _F, "The provided value of UPS State was not SCHEDULED"),
        _one(0xC310, _F, "The UPS is not yet in the IN PROGRESS state"),
        _one(0xC311, _F, "The UPS is already COMPLETED"),
        _one(0xC312, _F, "Performer chooses not to cancel"),
        _PENDING,
        _PENDING_OPTIONAL,
    ),
)

#: PS3.4 LL (Storage Management): the general statuses.
STORAGE_MANAGEMENT_SERVICE_CLASS_STATUS: Final = _expand(_GENERAL_ROWS)


class Status(IntEnum):
    """Named status codes; :meth:`add` registers more at run time."""

    SUCCESS = 0x0000
    CANCEL = 0xFE00
    PENDING = 0xFF00
    MOVE_DESTINATION_UNKNOWN = 0xA801

    @classmethod
    def add(cls, name: str, code: int) -> None:
        """Add a named status code to the enum.

        Parameters
        ----------
        name : str
            The member name, a Python identifier not yet used by the enum.
        code : int
            The status code, 0x0000 to 0xFFFF.

        Raises
        ------
        ValueError
            If `name` is not an identifier or already used, or `code` is out
            of range.
        """
        if not name.isidentifier() or name in cls.__members__:
            raise ValueError(f"{name!r} is not a new Status member name")
        _check_code(code)
        # IntEnum has no public way to grow; this mirrors what EnumType does
        # for members declared in the class body.
        member = int.__new__(cls, code)
        member._name_ = name
        member._value_ = code
        # Bind the attribute first: EnumType refuses to set a mapped name.
        setattr(cls, name, member)
        cls._member_map_[name] = member
        cls._member_names_.append(name)
        cls._value2member_map_.setdefault(code, member)


def _check_code(code: object) -> int:
    # bool is an int subclass, but True is not a status a user means to send.
    if not isinstance(code, int) or isinstance(code, bool):
        # pynetdicom's contract (API 8.2) is ValueError for a wrong type too.
        msg = f"'code' must be an int, not {type(code).__name__}"
        raise ValueError(msg)  # noqa: TRY004
    if not 0 <= code <= _MAX_CODE:
        raise ValueError(f"'code' must be 0x0000 to 0xFFFF, not {code:#x}")
    return code


def code_to_category(code: int) -> str:
    """Return the category of a status code (PS3.7 C.1, Table C-1).

    Parameters
    ----------
    code : int
        The value of Status (0000,0900).

    Returns
    -------
    str
        ``"Success"``, ``"Warning"``, ``"Failure"``, ``"Cancel"``,
        ``"Pending"`` or ``"Unknown"``.

    Raises
    ------
    ValueError
        If `code` is not an int from 0x0000 to 0xFFFF.
    """
    _check_code(code)
    if code in GENERAL_STATUS:
        return GENERAL_STATUS[code][0]
    if code in (0xFF00, 0xFF01):
        return STATUS_PENDING
    # PS3.7 C.1: Warning 0001 and Bxxx; Failure Axxx and Cxxx.
    if code == 0x0001 or 0xB000 <= code <= 0xBFFF:
        return STATUS_WARNING
    if 0xA000 <= code <= 0xAFFF or 0xC000 <= code <= 0xCFFF:
        return STATUS_FAILURE
    return STATUS_UNKNOWN


def code_to_status(code: int) -> Dataset:
    """Return a :class:`~pydicom.dataset.Dataset` with Status set to `code`.

    Parameters
    ----------
    code : int
        The value of Status (0000,0900).

    Returns
    -------
    pydicom.dataset.Dataset

    Raises
    ------
    ValueError
        If `code` is not an int from 0x0000 to 0xFFFF.
    """
    ds = Dataset()
    ds.Status = _check_code(code)
    return ds
