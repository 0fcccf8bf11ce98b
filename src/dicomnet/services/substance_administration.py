"""The Substance Administration Query Service Class (PS3.4 Annex V).

Two SOP classes, each a single-level information model (V.2.1) queried by
C-FIND: the Product Characteristics Query (a product's characteristics, by
its Product Package Identifier) and the Substance Approval Query (whether a
product may be given to a patient by a route). The SCP sends at most one
Pending response, for the match of the Query search method (V.4.1.3), then
Success; a request lacking the keys Table V.6-2 says shall be present is
answered with Failure, Identifier does not match SOP Class (A900).

:class:`SubstanceAdministrationSCP` answers both over records kept in memory;
:func:`product_query` and :func:`approval_query` build SCU Identifiers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from pydicom.dataset import Dataset

from dicomnet.services._find_rules import (
    IDENTIFIER_DOES_NOT_MATCH,
    QueryProvider,
    build_query,
    key_matches,
    pending,
    return_keys,
    route,
)
from dicomnet.services._n_common import failure
from dicomnet.sop_class import ProductCharacteristicsQuery, SubstanceApprovalQuery

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

__all__ = [
    "ProductCharacteristicsQuery",
    "SubstanceAdministrationSCP",
    "SubstanceApprovalQuery",
    "approval_query",
    "missing_keys",
    "product_query",
    "route",
]

# PS3.4 Table V.6-1 / V.6-2: keys retrieved with Single Value Matching only.
_SINGLE_VALUE_ONLY: Final = ("PatientID", "AdmissionID", "ProductPackageIdentifier")
_PRODUCT_KEYS: Final = ("ProductName", "ProductDescription")
_APPROVAL_KEYS: Final = (
    "PatientName",
    "SubstanceAdministrationApproval",
    "ApprovalStatusFurtherDescription",
)


class SubstanceAdministrationSCP(QueryProvider):
    """A Substance Administration Query SCP over records in memory (PS3.4 V.4.1.3).

    Parameters
    ----------
    products : iterable of pydicom.dataset.Dataset
        Product Characteristics records (Table V.6-1 attributes).
    approvals : iterable of pydicom.dataset.Dataset
        Substance Approval records (Table V.6-2 attributes: the patient,
        the product, the administration route and the approval).
    """

    sop_classes = frozenset({ProductCharacteristicsQuery, SubstanceApprovalQuery})

    def __init__(
        self, products: Iterable[Dataset] = (), approvals: Iterable[Dataset] = ()
    ) -> None:
        self.products: list[Dataset] = list(products)
        self.approvals: list[Dataset] = list(approvals)

    def handle_find(self, event: Any) -> Iterator[tuple[object, Dataset | None]]:  # noqa: ANN401  (an evt.Event)
        """Yield the match, if any (``EVT_C_FIND`` contract).

        Parameters
        ----------
        event : evt.Event
            The C-FIND event.

        Yields
        ------
        tuple of (int or Dataset, Dataset or None)
        """
        query = event.identifier
        sop_class = str(event.request.AffectedSOPClassUID)
        missing = missing_keys(sop_class, query)
        if missing:
            comment = "Missing key(s): " + ", ".join(missing)
            yield failure(IDENTIFIER_DOES_NOT_MATCH, comment), None
            return
        records = (
            self.approvals if sop_class == SubstanceApprovalQuery else self.products
        )
        # V.4.1.3: "at most one C-FIND response for a match" (Query search).
        match = next((r for r in list(records) if _matches(r, query)), None)
        if match is not None:
            yield from pending(event, [return_keys(match, query)])


def _matches(record: Dataset, query: Dataset) -> bool:
    rest = Dataset()
    for key in query:
        if key.keyword in _SINGLE_VALUE_ONLY and key.value not in (None, ""):
            # Single Value Matching only: "*" and "?" are plain characters.
            if str(record.get(key.keyword, "")) != str(key.value):
                return False
        else:
            rest.add(key)
    return key_matches(record, rest)


def missing_keys(sop_class: str, query: Dataset) -> list[str]:
    """Return the keywords of keys the request lacks (PS3.4 Table V.6-2).

    The Substance Approval Query needs Patient ID or Admission ID, the
    Product Package Identifier and the Administration Route Code Sequence
    as matching keys.

    Parameters
    ----------
    sop_class : str
        The request's SOP Class UID.
    query : pydicom.dataset.Dataset
        The C-FIND Identifier.

    Returns
    -------
    list of str
    """
    if sop_class != SubstanceApprovalQuery:
        return []
    missing = []
    if not (query.get("PatientID") or query.get("AdmissionID")):
        missing.append("PatientID/AdmissionID")
    if not query.get("ProductPackageIdentifier"):
        missing.append("ProductPackageIdentifier")
    if not query.get("AdministrationRouteCodeSequence"):
        missing.append("AdministrationRouteCodeSequence")
    return missing


def product_query(product_package_identifier: str, **keys: object) -> Dataset:
    """Return a Product Characteristics Query Identifier (PS3.4 Table V.6-1).

    Parameters
    ----------
    product_package_identifier : str
        The matching key (Single Value Matching).
    **keys
        More keys by keyword.

    Returns
    -------
    pydicom.dataset.Dataset
    """
    return build_query(
        _PRODUCT_KEYS, ProductPackageIdentifier=product_package_identifier, **keys
    )


def approval_query(
    patient_id: str,
    product_package_identifier: str,
    route_code: tuple[str, str],
    **keys: object,
) -> Dataset:
    """Return a Substance Approval Query Identifier (PS3.4 Table V.6-2).

    Parameters
    ----------
    patient_id : str
        Patient ID (0010,0020).
    product_package_identifier : str
        Product Package Identifier (0044,0001).
    route_code : tuple of (str, str)
        Code Value and Coding Scheme Designator of the administration route.
    **keys
        More keys by keyword.

    Returns
    -------
    pydicom.dataset.Dataset
    """
    code = Dataset()
    code.CodeValue, code.CodingSchemeDesignator = route_code
    return build_query(
        _APPROVAL_KEYS,
        PatientID=patient_id,
        ProductPackageIdentifier=product_package_identifier,
        AdministrationRouteCodeSequence=[code],
        **keys,
    )
