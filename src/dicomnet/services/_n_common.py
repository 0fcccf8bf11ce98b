"""What the DIMSE-N services share: status codes, data set codecs, checks.

The status codes are the general ones of PS3.7 Annex C that the normalized
services use (C.4 failures and warnings, C.5 refusals). The helpers build the
status a handler returns (:func:`failure`) and check a request's data set
for the attributes a service requires (:func:`missing_attributes`).
"""

from __future__ import annotations

import copy
import zlib
from collections.abc import Sized
from io import BytesIO
from typing import TYPE_CHECKING, Final

from pydicom.datadict import dictionary_has_tag, dictionary_VR
from pydicom.dataset import Dataset
from pydicom.filereader import read_dataset
from pydicom.uid import UID, DeflatedExplicitVRLittleEndian

from dicomnet.dimse.primitives import N_CREATE, N_EVENT_REPORT

if TYPE_CHECKING:
    from collections.abc import Iterable

    from dicomnet.dimse.primitives import DimsePrimitive

__all__ = [
    "ATTRIBUTE_LIST_ERROR",
    "ATTRIBUTE_VALUE_OUT_OF_RANGE",
    "CLASS_INSTANCE_CONFLICT",
    "DUPLICATE_INVOCATION",
    "DUPLICATE_SOP_INSTANCE",
    "INVALID_ARGUMENT_VALUE",
    "INVALID_ATTRIBUTE_VALUE",
    "INVALID_OBJECT_INSTANCE",
    "MISSING_ATTRIBUTE",
    "MISSING_ATTRIBUTE_VALUE",
    "MISTYPED_ARGUMENT",
    "NOT_AUTHORIZED",
    "NO_SUCH_ACTION",
    "NO_SUCH_ARGUMENT",
    "NO_SUCH_ATTRIBUTE",
    "NO_SUCH_EVENT_TYPE",
    "NO_SUCH_SOP_CLASS",
    "NO_SUCH_SOP_INSTANCE",
    "PROCESSING_FAILURE",
    "RESOURCE_LIMITATION",
    "SOP_CLASS_NOT_SUPPORTED",
    "SUCCESS",
    "UNRECOGNIZED_OPERATION",
    "decode_dataset",
    "failure",
    "missing_attributes",
    "requested_instance",
    "requested_sop_class",
    "select_attributes",
]

SUCCESS: Final = 0x0000
#: PS3.7 C.4.1: an attribute named in the request is not one of the instance.
NO_SUCH_ATTRIBUTE: Final = 0x0105
#: PS3.7 C.4.2: an attribute value in the request is not valid.
INVALID_ATTRIBUTE_VALUE: Final = 0x0106
#: PS3.7 C.4.3 (warning): some attributes could not be read or modified.
ATTRIBUTE_LIST_ERROR: Final = 0x0107
#: PS3.7 C.4.4: a general failure in processing the operation.
PROCESSING_FAILURE: Final = 0x0110
#: PS3.7 C.4.5: the SOP Instance to create is already registered.
DUPLICATE_SOP_INSTANCE: Final = 0x0111
#: PS3.7 C.4.6: the SOP Instance is not one the performing user manages.
NO_SUCH_SOP_INSTANCE: Final = 0x0112
#: PS3.7 C.4.7: the Event Type ID is not one of the SOP class.
NO_SUCH_EVENT_TYPE: Final = 0x0113
#: PS3.7 C.4.8: the event/action information holds an unknown argument.
NO_SUCH_ARGUMENT: Final = 0x0114
#: PS3.7 C.4.9: an argument of the event/action information is not valid.
INVALID_ARGUMENT_VALUE: Final = 0x0115
#: PS3.7 C.4.10 (warning): an attribute value was out of range.
ATTRIBUTE_VALUE_OUT_OF_RANGE: Final = 0x0116
#: PS3.7 C.4.11: the SOP Instance's attributes do not make a valid instance.
INVALID_OBJECT_INSTANCE: Final = 0x0117
#: PS3.7 C.4.12: the SOP Class is not recognized.
NO_SUCH_SOP_CLASS: Final = 0x0118
#: PS3.7 C.4.13: the SOP Instance is not of the SOP Class named.
CLASS_INSTANCE_CONFLICT: Final = 0x0119
#: PS3.7 C.4.14: a required attribute was not supplied.
MISSING_ATTRIBUTE: Final = 0x0120
#: PS3.7 C.4.15: a required attribute was supplied without a value.
MISSING_ATTRIBUTE_VALUE: Final = 0x0121
#: PS3.7 C.5.1: the SOP Class is not supported.
SOP_CLASS_NOT_SUPPORTED: Final = 0x0122
#: PS3.7 C.4.16: the Action Type ID is not one of the SOP class.
NO_SUCH_ACTION: Final = 0x0123
#: PS3.7 C.5.2: the requestor is not allowed to do this.
NOT_AUTHORIZED: Final = 0x0124
#: PS3.7 C.4.17: the Message ID is already in use.
DUPLICATE_INVOCATION: Final = 0x0210
#: PS3.7 C.4.18: the operation is not one the two users agreed on.
UNRECOGNIZED_OPERATION: Final = 0x0211
#: PS3.7 C.4.19: a parameter is of the wrong type.
MISTYPED_ARGUMENT: Final = 0x0212
#: PS3.7 C.4.20: not enough resources to perform the operation.
RESOURCE_LIMITATION: Final = 0x0213

_DEFLATED: Final = UID(DeflatedExplicitVRLittleEndian)
#: PS3.5 Table 6.2-1: Error Comment is a Long String, 64 characters at most.
_COMMENT_MAX: Final = 64


def decode_dataset(raw: bytes, syntax: str) -> Dataset:
    """Decode a data set received in transfer syntax ``syntax`` (PS3.5 A).

    Parameters
    ----------
    raw : bytes
        The encoded data set; ``b""`` gives an empty data set.
    syntax : str
        The presentation context's transfer syntax UID.

    Returns
    -------
    pydicom.dataset.Dataset

    Raises
    ------
    Exception
        Whatever pydicom or zlib raise for bytes that are not a data set.
    """
    uid = UID(syntax)
    if uid == _DEFLATED:
        # PS3.5 A.5: the whole data set is one raw deflate stream.
        raw = zlib.decompress(raw, -zlib.MAX_WBITS)
    implicit, little = uid.is_implicit_VR, uid.is_little_endian
    dataset = read_dataset(BytesIO(raw), implicit, little)
    # Parse every element now, so that a malformed value fails here and
    # not later in the user's hands.
    for _ in dataset.iterall():
        pass
    dataset.set_original_encoding(implicit, little)
    return dataset


def failure(
    code: int,
    comment: str | None = None,
    *,
    error_id: int | None = None,
    attributes: Iterable[int] | None = None,
) -> Dataset:
    """Return a status :class:`~pydicom.dataset.Dataset` for a handler to return.

    Parameters
    ----------
    code : int
        The status code.
    comment : str, optional
        Error Comment (0000,0902); cut to the 64 characters it may hold.
    error_id : int, optional
        Error ID (0000,0903).
    attributes : iterable of int, optional
        Attribute Identifier List (0000,1005): the offending attributes, for
        the responses that carry it (N-GET, N-SET, N-ACTION).

    Returns
    -------
    pydicom.dataset.Dataset
    """
    status = Dataset()
    status.Status = code
    if comment:
        status.ErrorComment = comment[:_COMMENT_MAX]
    if error_id is not None:
        status.ErrorID = error_id
    if attributes:
        status.AttributeIdentifierList = list(attributes)
    return status


def missing_attributes(
    dataset: Dataset,
    type1: Iterable[str] = (),
    type2: Iterable[str] = (),
    *,
    missing: int = MISSING_ATTRIBUTE,
    empty: int = MISSING_ATTRIBUTE_VALUE,
) -> Dataset | None:
    """Return the failure status for the first required attribute missing.

    PS3.4 gives, for each N-CREATE/N-SET/N-ACTION of a SOP class, the
    attributes the SCU shall send: with a value (Type 1) or possibly empty
    (Type 2). An absent one is Missing Attribute (0x0120, PS3.7 C.4.14), a
    Type 1 one without a value Missing Attribute Value (0x0121, C.4.15).

    Parameters
    ----------
    dataset : pydicom.dataset.Dataset
        The request's data set.
    type1, type2 : iterable of str
        Keywords of the required attributes.
    missing, empty : int
        The codes for an absent attribute and an empty Type 1 one. The
        Action Information of an N-ACTION is made of *arguments*, whose
        codes are No such argument/Invalid argument value (0x0114/0x0115,
        PS3.7 10.1.4.1.10) rather than 0x0120/0x0121.

    Returns
    -------
    pydicom.dataset.Dataset or None
        The status to answer with, or ``None`` when nothing is missing.
    """
    for keyword in type1:
        if keyword not in dataset:
            return failure(missing, f"Missing {keyword}")
        if _is_empty(dataset[keyword].value):
            return failure(empty, f"No value for {keyword}")
    for keyword in type2:
        if keyword not in dataset:
            return failure(missing, f"Missing {keyword}")
    return None


def select_attributes(
    instance: Dataset, tags: Iterable[int] | None
) -> tuple[int, Dataset, list[int]]:
    """Pick the attributes an N-GET asks for from a SOP instance (PS3.7 10.1.2).

    An empty or absent identifier list asks for every attribute. A requested
    attribute the instance lacks is returned empty when the data dictionary
    knows it (its value is unknown, PS3.5 7.4); one it does not know is left
    out and named in the warning Attribute List Error (0x0107, C.4.3).

    Parameters
    ----------
    instance : pydicom.dataset.Dataset
        The SOP instance's attributes.
    tags : iterable of int, or None
        The Attribute Identifier List.

    Returns
    -------
    tuple of (int, pydicom.dataset.Dataset, list of int)
        The status code, the attributes, and the tags left out.
    """
    wanted = list(tags or ())
    if not wanted:
        return SUCCESS, copy.deepcopy(instance), []
    out = Dataset()
    unknown: list[int] = []
    for tag in wanted:
        if tag in instance:
            out[tag] = copy.deepcopy(instance[tag])
        elif dictionary_has_tag(tag):
            # A tag of several possible VRs (US or SS...) takes the first.
            out.add_new(tag, dictionary_VR(tag).split(" or ")[0], None)
        else:
            unknown.append(int(tag))
    return (ATTRIBUTE_LIST_ERROR if unknown else SUCCESS), out, unknown


def _is_empty(value: object) -> bool:
    # PS3.5 7.4: a zero-length value (text, bytes, multi-value, sequence).
    return value is None or (isinstance(value, Sized) and len(value) == 0)


def requested_sop_class(request: DimsePrimitive) -> str:
    """Return the SOP class a DIMSE-N request acts on (PS3.7 10.1).

    N-CREATE and N-EVENT-REPORT name it as the *Affected* SOP Class UID, the
    others as the *Requested* one.
    """
    if isinstance(request, N_CREATE | N_EVENT_REPORT):
        return str(request.AffectedSOPClassUID or "")
    return str(getattr(request, "RequestedSOPClassUID", None) or "")


def requested_instance(request: DimsePrimitive) -> str | None:
    """Return the SOP instance a DIMSE-N request names, if any (PS3.7 10.1)."""
    if isinstance(request, N_CREATE | N_EVENT_REPORT):
        value = request.AffectedSOPInstanceUID
    else:
        value = getattr(request, "RequestedSOPInstanceUID", None)
    return None if value is None else str(value)
