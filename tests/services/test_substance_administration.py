"""Substance Administration Query (PS3.4 Annex V) between dicomnet AEs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from pydicom.dataset import Dataset

from dicomnet.services import substance_administration as sa
from tests.services.test_normalized import Pair

if TYPE_CHECKING:
    from collections.abc import Iterator

PRODUCT = sa.ProductCharacteristicsQuery
APPROVAL = sa.SubstanceApprovalQuery
ORAL = ("26643006", "SCT")


def product(identifier: str, name: str) -> Dataset:
    ds = Dataset()
    ds.ProductPackageIdentifier = identifier
    ds.ProductName = name
    ds.ProductDescription = f"{name} 100 ml"
    return ds


def approval(patient_id: str, package: str, approved: str) -> Dataset:
    ds = sa.approval_query(patient_id, package, ORAL)
    ds.PatientName = "DOE^JOHN"
    ds.SubstanceAdministrationApproval = approved
    ds.ApprovalStatusFurtherDescription = "Checked"
    return ds


@pytest.fixture
def peers() -> Iterator[Pair]:
    scp = sa.SubstanceAdministrationSCP(
        products=[
            product("PKG-1", "CONTRAST A"),
            product("PKG-1", "CONTRAST A (old)"),
            product("PKG-*", "STAR"),
        ],
        approvals=[
            approval("1", "PKG-1", "APPROVED"),
            approval("2", "PKG-1", "WARNING"),
        ],
    )
    pair = Pair()
    pair.serve(scp.handlers(), PRODUCT, APPROVAL)
    yield pair
    pair.close()


def ask(pair: Pair, query: Dataset, sop_class: str) -> list[tuple[int, Dataset | None]]:
    assoc = pair.associate(PRODUCT, APPROVAL)
    try:
        return [(int(s.Status), i) for s, i in assoc.send_c_find(query, sop_class)]
    finally:
        assoc.release()


def test_product_characteristics_at_most_one_match(peers: Pair) -> None:
    responses = ask(peers, sa.product_query("PKG-1"), PRODUCT)
    star = ask(peers, sa.product_query("PKG-*"), PRODUCT)

    # V.4.1.3: one response for the match, though two records match.
    assert [status for status, _ in responses] == [0xFF00, 0x0000]
    first = responses[0][1]
    assert first is not None
    assert first.ProductName == "CONTRAST A"
    # Single Value Matching only: "*" is not a wildcard here.
    assert [i.ProductName for _, i in star if i is not None] == ["STAR"]


def test_substance_approval(peers: Pair) -> None:
    responses = ask(peers, sa.approval_query("2", "PKG-1", ORAL), APPROVAL)
    other_route = ask(
        peers, sa.approval_query("2", "PKG-1", ("47625008", "SCT")), APPROVAL
    )

    assert [status for status, _ in responses] == [0xFF00, 0x0000]
    first = responses[0][1]
    assert first is not None
    assert first.SubstanceAdministrationApproval == "WARNING"
    assert other_route == [(0x0000, None)]


def test_substance_approval_without_its_required_keys(peers: Pair) -> None:
    query = sa.approval_query("", "PKG-1", ORAL)
    del query.AdministrationRouteCodeSequence
    responses = ask(peers, query, APPROVAL)

    assert responses == [(0xA900, None)]
    assert sa.missing_keys(APPROVAL, query) == [
        "PatientID/AdmissionID",
        "AdministrationRouteCodeSequence",
    ]
    assert sa.missing_keys(PRODUCT, Dataset()) == []
