"""The Relevant Patient Information Query Service Class (PS3.4 Annex Q).

The SCU asks for the relevant information on one patient, structured by a
template named in the Content Template Sequence of the Identifier (Q.2.1.1.3.1).
The SCP answers with at most one match (Q.2.1, Q.4.2): one Pending response
whose Identifier holds the keys and the template's content, then Success;
or a Failure when more than one patient matches (C100) or the template is
not supported (C200).

:class:`RelevantPatientSCP` does the service's part and leaves the look-up
to a user callable; :func:`relevant_patient_query` builds an SCU Identifier.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, Final

from pydicom.dataset import Dataset

from dicomnet.services._find_rules import (
    CANCEL,
    IDENTIFIER_DOES_NOT_MATCH,
    QueryProvider,
    pending,
    return_keys,
    route,
)
from dicomnet.services._n_common import failure
from dicomnet.sop_class import (
    BreastImagingRelevantPatientInformationQuery,
    CardiacRelevantPatientInformationQuery,
    GeneralRelevantPatientInformationQuery,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping, Sequence

__all__ = [
    "DEFAULT_TEMPLATES",
    "MORE_THAN_ONE_MATCH",
    "UNSUPPORTED_TEMPLATE",
    "BreastImagingRelevantPatientInformationQuery",
    "CardiacRelevantPatientInformationQuery",
    "GeneralRelevantPatientInformationQuery",
    "RelevantPatientSCP",
    "relevant_patient_query",
    "requested_template",
    "route",
]

#: PS3.4 Table Q.2-1: Failure, more than one match found.
MORE_THAN_ONE_MATCH: Final = 0xC100
#: PS3.4 Table Q.2-1: Failure, unable to support requested template.
UNSUPPORTED_TEMPLATE: Final = 0xC200

#: The template (PS3.16 TID, Mapping Resource DCMR) each SOP class answers
#: with (PS3.4 Q.6: General TID 9007, Breast Imaging TID 9000, Cardiac TID 3802).
DEFAULT_TEMPLATES: Final[Mapping[str, frozenset[str]]] = {
    GeneralRelevantPatientInformationQuery: frozenset({"9007"}),
    BreastImagingRelevantPatientInformationQuery: frozenset({"9000"}),
    CardiacRelevantPatientInformationQuery: frozenset({"3802"}),
}
_MAPPING_RESOURCE: Final = "DCMR"
# The SR content of the template's root (PS3.3 C.17.3 SR Document Content),
# carried by the response Identifier besides the keys (Q.2.1.1.3.2).
_CONTENT: Final = (
    "ValueType",
    "ConceptNameCodeSequence",
    "ContinuityOfContent",
    "ContentSequence",
)


class RelevantPatientSCP(QueryProvider):
    """A Relevant Patient Information Query SCP (PS3.4 Q.4.2) over a look-up.

    Parameters
    ----------
    lookup : callable
        ``lookup(identifier, template_id)`` returns the records (Datasets)
        of the patients matching the Identifier's keys; each record holds
        the patient's attributes and the template's SR content
        (Value Type, Concept Name Code Sequence, Content Sequence...).
    templates : mapping, optional
        Template identifiers supported per SOP Class UID; by default
        :data:`DEFAULT_TEMPLATES`.
    """

    def __init__(
        self,
        lookup: Callable[[Dataset, str], Sequence[Dataset]],
        templates: Mapping[str, frozenset[str]] | None = None,
    ) -> None:
        self.lookup = lookup
        self.templates = dict(DEFAULT_TEMPLATES if templates is None else templates)
        self.sop_classes = frozenset(self.templates)

    def handle_find(self, event: Any) -> Iterator[tuple[object, Dataset | None]]:  # noqa: ANN401  (an evt.Event)
        """Yield at most one match, or the failure (``EVT_C_FIND`` contract).

        Parameters
        ----------
        event : evt.Event
            The C-FIND event.

        Yields
        ------
        tuple of (int or Dataset, Dataset or None)
        """
        query = event.identifier
        template = requested_template(query)
        if template is None:
            # Q.2.1.1.3.1: the request shall name one template.
            yield (
                failure(IDENTIFIER_DOES_NOT_MATCH, "No Content Template Sequence item"),
                None,
            )
            return
        resource, tid = template
        supported = self.templates.get(str(event.request.AffectedSOPClassUID), ())
        if resource != _MAPPING_RESOURCE or tid not in supported:
            yield failure(UNSUPPORTED_TEMPLATE, f"Template {resource} {tid}"), None
            return
        if event.is_cancelled:
            yield CANCEL, None
            return
        found = list(self.lookup(query, tid))
        if len(found) > 1:
            # Q.2.1 / Q.4.2: information on at most one patient.
            yield failure(MORE_THAN_ONE_MATCH, f"{len(found)} patients match"), None
            return
        yield from pending(event, (_response(record, query) for record in found))


def _response(record: Dataset, query: Dataset) -> Dataset:
    """Return the keys, the Content Template Sequence and the template's content."""
    identifier = return_keys(record, query)
    identifier.ContentTemplateSequence = copy.deepcopy(query.ContentTemplateSequence)
    for keyword in _CONTENT:
        if keyword in record:
            identifier[keyword] = copy.deepcopy(record[keyword])
    return identifier


def requested_template(query: Dataset) -> tuple[str, str] | None:
    """Return ``(Mapping Resource, Template Identifier)`` asked for, or None.

    Parameters
    ----------
    query : pydicom.dataset.Dataset
        The C-FIND Identifier.

    Returns
    -------
    tuple of str, or None
        None if the Content Template Sequence does not hold exactly one
        item with both attributes (Q.2.1.1.3.1).
    """
    items = query.get("ContentTemplateSequence")
    if not items or len(items) != 1:
        return None
    item = items[0]
    resource = str(item.get("MappingResource") or "")
    tid = str(item.get("TemplateIdentifier") or "")
    return (resource, tid) if resource and tid else None


def relevant_patient_query(
    patient_id: str, template_id: str = "9007", **keys: object
) -> Dataset:
    """Return a Relevant Patient Information Query Identifier (PS3.4 Q.2.1.1.3.1).

    Parameters
    ----------
    patient_id : str
        Patient ID (0010,0020), the matching key.
    template_id : str
        The PS3.16 template (DCMR) of the response; 9007 for the General
        Relevant Patient Information Query.
    **keys
        More keys by keyword (``PatientName=""`` asks for the name).

    Returns
    -------
    pydicom.dataset.Dataset
    """
    query = Dataset()
    query.PatientID = patient_id
    for keyword, value in keys.items():
        setattr(query, keyword, value)
    item = Dataset()
    item.MappingResource = _MAPPING_RESOURCE
    item.TemplateIdentifier = template_id
    query.ContentTemplateSequence = [item]
    return query
