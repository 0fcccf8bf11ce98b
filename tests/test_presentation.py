from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydicom.uid import UID

from dicomnet._globals import (
    ALL_TRANSFER_SYNTAXES,
    APPLICATION_CONTEXT_NAME,
    DEFAULT_MAX_LENGTH,
    DEFAULT_TRANSFER_SYNTAXES,
)
from dicomnet.presentation import (
    BOTH_SCU_SCP_ROLE,
    CONTEXT_REJECTED,
    DEFAULT_ROLE,
    INVERTED_ROLE,
    SCP_SCU_ROLES,
    PresentationContext,
    PresentationContextTuple,
    build_context,
    from_ac_item,
    from_rq_item,
    negotiate_as_acceptor,
    negotiate_as_requestor,
    to_ac_item,
    to_rq_item,
)
from dicomnet.ul.items import (
    PresentationContextItemAC,
    PresentationContextItemRQ,
    SCPSCURoleSelectionSubItem,
)

IMPLICIT = "1.2.840.10008.1.2"
EXPLICIT = "1.2.840.10008.1.2.1"
DEFLATED = "1.2.840.10008.1.2.1.99"
BIG = "1.2.840.10008.1.2.2"
VERIFICATION = "1.2.840.10008.1.1"
CT = "1.2.840.10008.5.1.4.1.1.2"


# ------------------------------------------------------------------ globals


def test_transfer_syntax_lists():
    assert DEFAULT_TRANSFER_SYNTAXES == [IMPLICIT, EXPLICIT, DEFLATED, BIG]
    assert ALL_TRANSFER_SYNTAXES[:4] == DEFAULT_TRANSFER_SYNTAXES
    assert len(ALL_TRANSFER_SYNTAXES) == len(set(ALL_TRANSFER_SYNTAXES)) == 45
    assert all(type(uid) is str for uid in ALL_TRANSFER_SYNTAXES)
    assert isinstance(ALL_TRANSFER_SYNTAXES, list)
    assert ALL_TRANSFER_SYNTAXES[-1] == "1.2.840.10008.1.2.8.1"
    assert DEFAULT_MAX_LENGTH == 16382
    assert APPLICATION_CONTEXT_NAME == "1.2.840.10008.3.1.1.1"


# ------------------------------------------------------ PresentationContext


def test_new_context_is_pending():
    cx = PresentationContext()
    assert cx.context_id is None
    assert cx.abstract_syntax is None
    assert cx.transfer_syntax == []
    assert (cx.scu_role, cx.scp_role, cx.as_scu, cx.as_scp) == (None,) * 4
    assert cx.result is None
    assert cx.status == "Pending"
    assert cx.as_tuple == PresentationContextTuple(None, None, None)


@pytest.mark.parametrize("value", [1, 3, 127, 255, None])
def test_context_id_valid(value):
    cx = PresentationContext()
    cx.context_id = value
    assert cx.context_id == value


@pytest.mark.parametrize("value", [0, 2, 254, 256, -1, 257])
def test_context_id_out_of_range(value):
    cx = PresentationContext()
    with pytest.raises(ValueError, match="odd integer"):
        cx.context_id = value


@pytest.mark.parametrize("value", ["1", 1.0, True])
def test_context_id_wrong_type(value):
    cx = PresentationContext()
    with pytest.raises(TypeError):
        cx.context_id = value


def test_abstract_syntax_forms():
    cx = PresentationContext()
    cx.abstract_syntax = b"1.2.3\x00"
    assert cx.abstract_syntax == "1.2.3"
    assert isinstance(cx.abstract_syntax, UID)
    cx.abstract_syntax = UID(CT)
    assert cx.abstract_syntax.name == "CT Image Storage"
    cx.abstract_syntax = None
    assert cx.abstract_syntax is None


@pytest.mark.parametrize("value", ["", "1" * 65, b""])
def test_abstract_syntax_invalid(value):
    cx = PresentationContext()
    with pytest.raises(ValueError, match="1 to 64"):
        cx.abstract_syntax = value


def test_abstract_syntax_wrong_type():
    cx = PresentationContext()
    with pytest.raises(TypeError):
        cx.abstract_syntax = 12


def test_transfer_syntax_setter():
    cx = PresentationContext()
    cx.transfer_syntax = [IMPLICIT, b"1.2.840.10008.1.2.1", IMPLICIT]
    assert cx.transfer_syntax == [IMPLICIT, EXPLICIT]
    assert all(isinstance(ts, UID) for ts in cx.transfer_syntax)
    with pytest.raises(TypeError):
        cx.transfer_syntax = (IMPLICIT,)
    with pytest.raises(ValueError, match="1 to 64"):
        cx.transfer_syntax = [""]


def test_add_transfer_syntax():
    cx = PresentationContext()
    cx.add_transfer_syntax(IMPLICIT)
    cx.add_transfer_syntax(None)
    cx.add_transfer_syntax(IMPLICIT)
    cx.add_transfer_syntax(EXPLICIT)
    assert cx.transfer_syntax == [IMPLICIT, EXPLICIT]


def test_roles_validate():
    cx = PresentationContext()
    cx.scu_role = True
    cx.scp_role = False
    assert (cx.scu_role, cx.scp_role) == (True, False)
    with pytest.raises(TypeError):
        cx.scu_role = 1
    with pytest.raises(TypeError):
        cx.scp_role = "yes"


@pytest.mark.parametrize(
    ("result", "status"),
    [
        (0, "Accepted"),
        (1, "User Rejected"),
        (2, "Provider Rejected"),
        (3, "Abstract Syntax Not Supported"),
        (4, "Transfer Syntax(es) Not Supported"),
        (5, "Unknown"),
        (None, "Pending"),
    ],
)
def test_status(result, status):
    cx = PresentationContext()
    cx.result = result
    assert cx.status == status


def test_result_wrong_type():
    cx = PresentationContext()
    with pytest.raises(TypeError):
        cx.result = "0"
    with pytest.raises(TypeError):
        cx.result = False


def test_equality_and_hash():
    a = build_context(CT, [IMPLICIT])
    b = build_context(CT, [IMPLICIT])
    assert a == b
    b.context_id = 1
    assert a != b
    a.context_id = 1
    a.result = 3  # result is not part of the identity
    assert a == b
    assert a != CT
    with pytest.raises(TypeError):
        hash(a)


def test_str_and_repr():
    cx = build_context(CT, [IMPLICIT, "1.2.3.4"])
    cx.context_id = 3
    text = str(cx)
    assert "ID: 3" in text
    assert "Abstract Syntax: CT Image Storage" in text
    assert "=Implicit VR Little Endian" in text
    assert "=1.2.3.4" in text
    assert "Result" not in text
    assert "ID: None" in str(PresentationContext())
    assert "Abstract Syntax: None" in str(PresentationContext())
    assert "context_id=3" in repr(cx)


@pytest.mark.parametrize(
    ("roles", "text"),
    [
        ((True, True), "SCU and SCP"),
        ((True, False), "SCU only"),
        ((False, True), "SCP only"),
        ((False, False), "(none)"),
    ],
)
def test_str_shows_negotiated_role(roles, text):
    cx = build_context(CT, [IMPLICIT])
    cx.context_id = 1
    cx.scp_role = roles[0] and roles[1]  # irrelevant to the rendered role
    cx._as_scu, cx._as_scp = roles
    cx.result = 0
    rendered = str(cx)
    assert "Result: Accepted" in rendered
    assert f"Role: {text}" in rendered


# ------------------------------------------------------------ build_context


def test_build_context_defaults():
    cx = build_context(CT)
    assert cx.abstract_syntax == CT
    assert cx.transfer_syntax == DEFAULT_TRANSFER_SYNTAXES
    assert cx.context_id is None
    cx.transfer_syntax.append("1.2.3")
    assert DEFAULT_TRANSFER_SYNTAXES == [IMPLICIT, EXPLICIT, DEFLATED, BIG]


def test_build_context_single_and_list():
    assert build_context(CT, EXPLICIT).transfer_syntax == [EXPLICIT]
    assert build_context(CT, b"1.2.840.10008.1.2.1").transfer_syntax == [EXPLICIT]
    assert build_context(CT, (BIG, IMPLICIT)).transfer_syntax == [BIG, IMPLICIT]
    assert build_context(CT, [IMPLICIT]).as_tuple == (None, CT, IMPLICIT)


# ---------------------------------------------------------- role table 6.4

T, F, N = True, False, None
DEFAULT = (T, F, F, T)
BOTH = (T, T, T, T)
INVERTED = (F, T, T, F)
REJECTED = (F, F, F, F)
ACCEPTOR_COLUMNS = [(N, N), (T, T), (T, F), (F, T), (F, F)]
# API summary 6.4, typed independently of the implementation.
EXPECTED_ROLES = {
    (N, N): [DEFAULT, DEFAULT, DEFAULT, DEFAULT, DEFAULT],
    (T, T): [DEFAULT, BOTH, DEFAULT, INVERTED, REJECTED],
    (T, F): [DEFAULT, DEFAULT, DEFAULT, REJECTED, REJECTED],
    (F, T): [DEFAULT, INVERTED, REJECTED, INVERTED, REJECTED],
    (F, F): [DEFAULT, REJECTED, REJECTED, REJECTED, REJECTED],
}
CELLS = [
    (proposal, acceptor, outcomes[i])
    for proposal, outcomes in EXPECTED_ROLES.items()
    for i, acceptor in enumerate(ACCEPTOR_COLUMNS)
]


def test_role_constants():
    assert DEFAULT_ROLE == DEFAULT
    assert BOTH_SCU_SCP_ROLE == BOTH
    assert CONTEXT_REJECTED == REJECTED
    assert INVERTED_ROLE == INVERTED


@pytest.mark.parametrize(("proposal", "acceptor", "outcome"), CELLS)
def test_role_table_cell(proposal, acceptor, outcome):
    assert SCP_SCU_ROLES[proposal][acceptor] == outcome


def test_role_table_partial_none_is_default():
    for proposal in EXPECTED_ROLES:
        for acceptor in [(T, N), (N, T), (F, N), (N, F)]:
            assert SCP_SCU_ROLES[proposal][acceptor] == DEFAULT
    assert set(SCP_SCU_ROLES) == set(EXPECTED_ROLES)


@pytest.mark.parametrize(
    ("proposal", "acceptor"),
    list(itertools.product([(T, T), (T, F), (F, T), (F, F)], repeat=2)),
)
def test_role_table_follows_d334(proposal, acceptor):
    # PS3.7 D.3.3.4: the requestor keeps a role where both sides said 1.
    scu = proposal[0] and acceptor[0]
    scp = proposal[1] and acceptor[1]
    expected = REJECTED if not (scu or scp) else (scu, scp, scp, scu)
    assert SCP_SCU_ROLES[proposal][acceptor] == expected


def _rq(cid, abstract, syntaxes):
    cx = build_context(abstract, syntaxes)
    cx.context_id = cid
    return cx


def _supported(abstract, syntaxes=None, scu=None, scp=None):
    cx = build_context(abstract, syntaxes)
    cx.scu_role, cx.scp_role = scu, scp
    return cx


@pytest.mark.parametrize(("proposal", "acceptor", "outcome"), CELLS)
def test_acceptor_applies_role_cell(proposal, acceptor, outcome):
    roles = None if proposal == (N, N) else {CT: proposal}
    results, replies = negotiate_as_acceptor(
        [_rq(1, CT, [IMPLICIT])], [_supported(CT, [IMPLICIT], *acceptor)], roles
    )
    (cx,) = results
    if outcome == REJECTED:
        assert cx.result == 1
        assert (cx.as_scu, cx.as_scp) == (False, False)
        assert replies == []
        return
    assert cx.result == 0
    assert (cx.as_scu, cx.as_scp) == (outcome[2], outcome[3])
    if roles is None or None in acceptor:
        assert replies == []
    else:
        (reply,) = replies
        assert reply.sop_class_uid == CT
        # PS3.7 D.3.3.4: never 1 for a role that was not proposed.
        assert reply.scu_role == (proposal[0] and acceptor[0])
        assert reply.scp_role == (proposal[1] and acceptor[1])


@pytest.mark.parametrize(("proposal", "acceptor", "outcome"), CELLS)
def test_round_trip_roles_agree(proposal, acceptor, outcome):
    rq = [_rq(1, CT, [IMPLICIT])]
    if proposal != (N, N):
        rq[0].scu_role, rq[0].scp_role = proposal
    roles = None if proposal == (N, N) else {CT: proposal}
    ac, replies = negotiate_as_acceptor(rq, [_supported(CT, None, *acceptor)], roles)
    (mine,) = negotiate_as_requestor(rq, ac, replies)
    if outcome == REJECTED:
        assert mine.result == 1
        assert (mine.as_scu, mine.as_scp) == (False, False)
    else:
        assert (mine.as_scu, mine.as_scp) == (outcome[0], outcome[1])
        assert (ac[0].as_scu, ac[0].as_scp) == (outcome[2], outcome[3])


# ------------------------------------------------- negotiate_as_acceptor


def test_acceptor_results():
    rq = [
        _rq(1, VERIFICATION, [EXPLICIT, IMPLICIT]),
        _rq(3, CT, ["1.2.3.4"]),
        _rq(5, "1.2.3", [IMPLICIT]),
    ]
    ac = [_supported(VERIFICATION), _supported(CT, [IMPLICIT])]
    results, replies = negotiate_as_acceptor(rq, ac)
    assert [cx.context_id for cx in results] == [1, 3, 5]
    assert [cx.result for cx in results] == [0, 4, 3]
    # Requestor order wins: EXPLICIT was proposed first.
    assert results[0].transfer_syntax == [EXPLICIT]
    assert results[0].abstract_syntax == VERIFICATION
    assert (results[0].as_scu, results[0].as_scp) == (False, True)
    assert (results[1].as_scu, results[1].as_scp) == (False, False)
    # A rejected context keeps one (insignificant) transfer syntax.
    assert results[1].transfer_syntax == ["1.2.3.4"]
    assert results[2].transfer_syntax == [IMPLICIT]
    assert replies == []


def test_acceptor_prefers_own_order_when_asked():
    rq = [_rq(1, CT, [BIG, EXPLICIT, IMPLICIT])]
    ac = [_supported(CT, [IMPLICIT, EXPLICIT])]
    (default,), _ = negotiate_as_acceptor(rq, ac)
    assert default.transfer_syntax == [EXPLICIT]
    (preferred,), _ = negotiate_as_acceptor(rq, ac, prefer_acceptor_order=True)
    assert preferred.transfer_syntax == [IMPLICIT]


def test_acceptor_sorts_by_context_id_and_does_not_mutate():
    rq = [_rq(5, CT, [IMPLICIT]), _rq(1, CT, [EXPLICIT])]
    support = _supported(CT, [EXPLICIT, IMPLICIT], T, T)
    results, _ = negotiate_as_acceptor(rq, [support])
    assert [cx.context_id for cx in results] == [1, 5]
    assert support.transfer_syntax == [EXPLICIT, IMPLICIT]
    assert support.result is None
    assert rq[0].transfer_syntax == [IMPLICIT]


def test_acceptor_one_reply_per_sop_class():
    rq = [_rq(1, CT, [IMPLICIT]), _rq(3, CT, [EXPLICIT]), _rq(5, CT, ["9.9"])]
    items = [SCPSCURoleSelectionSubItem(sop_class_uid=CT, scu_role=F, scp_role=T)]
    results, replies = negotiate_as_acceptor(
        rq, [_supported(CT, [IMPLICIT, EXPLICIT], T, T)], items
    )
    assert [cx.result for cx in results] == [0, 0, 4]
    assert replies == [
        SCPSCURoleSelectionSubItem(sop_class_uid=CT, scu_role=F, scp_role=T)
    ]
    assert [(cx.as_scu, cx.as_scp) for cx in results] == [(T, F), (T, F), (F, F)]


def test_acceptor_no_reply_for_rejected_syntax_or_abstract():
    rq = [_rq(1, CT, ["9.9"]), _rq(3, VERIFICATION, [IMPLICIT])]
    _, replies = negotiate_as_acceptor(
        rq, [_supported(CT, [IMPLICIT], T, T)], {CT: (T, T), VERIFICATION: (T, T)}
    )
    assert replies == []


def test_acceptor_first_of_repeated_role_items_wins():
    items = [
        SCPSCURoleSelectionSubItem(sop_class_uid=CT, scu_role=F, scp_role=T),
        SCPSCURoleSelectionSubItem(sop_class_uid=CT, scu_role=T, scp_role=F),
    ]
    (cx,), _ = negotiate_as_acceptor(
        [_rq(1, CT, [IMPLICIT])], [_supported(CT, None, T, T)], items
    )
    assert (cx.as_scu, cx.as_scp) == (T, F)


def test_acceptor_first_supported_context_per_syntax_wins():
    first = _supported(CT, [EXPLICIT])
    second = _supported(CT, [IMPLICIT])
    nameless = PresentationContext()
    (cx,), _ = negotiate_as_acceptor(
        [_rq(1, CT, [IMPLICIT, EXPLICIT])], [nameless, first, second]
    )
    assert cx.transfer_syntax == [EXPLICIT]


def test_acceptor_context_without_abstract_syntax():
    rq = PresentationContext()
    rq.context_id = 1
    rq.add_transfer_syntax(IMPLICIT)
    (cx,), replies = negotiate_as_acceptor([rq], [_supported(CT)], {CT: (T, T)})
    assert cx.result == 3
    assert replies == []


def test_acceptor_no_contexts():
    assert negotiate_as_acceptor([], [_supported(CT)]) == ([], [])


UIDS = ["1.2.1", "1.2.2", "1.2.3", "1.2.4"]
SYNTAXES = [IMPLICIT, EXPLICIT, DEFLATED, BIG, "1.2.9"]


@st.composite
def proposals(draw):
    count = draw(st.integers(0, 8))
    contexts = []
    for index in range(count):
        syntaxes = draw(st.lists(st.sampled_from(SYNTAXES), min_size=1, unique=True))
        contexts.append(_rq(2 * index + 1, draw(st.sampled_from(UIDS)), syntaxes))
    return draw(st.permutations(contexts))


@st.composite
def supported_sets(draw):
    uids = draw(st.lists(st.sampled_from(UIDS), unique=True))
    roles = st.sampled_from([N, T, F])
    return [
        _supported(
            uid,
            draw(st.lists(st.sampled_from(SYNTAXES), min_size=1, unique=True)),
            draw(roles),
            draw(roles),
        )
        for uid in uids
    ]


@given(proposals(), supported_sets(), st.booleans())
def test_acceptor_invariants(rq, ac, prefer):
    results, _ = negotiate_as_acceptor(rq, ac, prefer_acceptor_order=prefer)
    assert sorted(cx.context_id for cx in rq) == [cx.context_id for cx in results]
    by_id = {cx.context_id: cx for cx in rq}
    supported = {cx.abstract_syntax: cx for cx in ac}
    for cx in results:
        proposed = by_id[cx.context_id]
        assert cx.abstract_syntax == proposed.abstract_syntax
        assert len(cx.transfer_syntax) == 1
        if proposed.abstract_syntax not in supported:
            assert cx.result == 3
            continue
        common = set(proposed.transfer_syntax) & set(
            supported[cx.abstract_syntax].transfer_syntax
        )
        if not common:
            assert cx.result == 4
            continue
        assert cx.result == 0  # no role proposals: never a role rejection
        assert cx.transfer_syntax[0] in common
        order = (
            supported[cx.abstract_syntax].transfer_syntax
            if prefer
            else proposed.transfer_syntax
        )
        assert cx.transfer_syntax[0] == next(ts for ts in order if ts in common)


# ------------------------------------------------- negotiate_as_requestor


def _answer(cid, result, syntax=IMPLICIT):
    return from_ac_item(
        PresentationContextItemAC(context_id=cid, result=result, transfer_syntax=syntax)
    )


def test_requestor_merge():
    rq = [
        _rq(3, CT, [EXPLICIT, IMPLICIT]),
        _rq(1, VERIFICATION, [IMPLICIT]),
        _rq(5, CT, [BIG]),
    ]
    ac = [_answer(1, 0), _answer(3, 4, None)]
    merged = negotiate_as_requestor(rq, ac)
    assert [cx.context_id for cx in merged] == [1, 3, 5]
    one, three, five = merged
    assert (one.abstract_syntax, one.result, one.transfer_syntax) == (
        VERIFICATION,
        0,
        [IMPLICIT],
    )
    assert (one.as_scu, one.as_scp) == (True, False)
    assert three.result == 4
    assert three.transfer_syntax == [EXPLICIT, IMPLICIT]
    assert (three.as_scu, three.as_scp) == (False, False)
    # Missing from the AC: provider rejection (PS3.8 7.1.1.14).
    assert five.result == 2
    assert five.status == "Provider Rejected"
    assert (five.as_scu, five.as_scp) == (False, False)
    assert rq[0].result is None  # inputs untouched


@pytest.mark.parametrize(
    ("proposal", "reply", "expected"),
    [
        ((N, N), (T, T), (T, F)),  # nothing proposed: reply ignored
        ((T, T), None, (T, F)),  # no reply: default roles
        ((T, T), (T, T), (T, T)),
        ((T, T), (F, T), (F, T)),
        ((T, T), (F, F), (F, F)),
        ((F, T), (T, T), (F, T)),  # unproposed SCU ignored
        ((F, T), (T, F), (F, F)),
        ((T, F), (T, T), (T, F)),
    ],
)
def test_requestor_roles(proposal, reply, expected):
    cx = _rq(1, CT, [IMPLICIT])
    cx.scu_role, cx.scp_role = proposal
    roles = None if reply is None else {CT: reply}
    (merged,) = negotiate_as_requestor([cx], [_answer(1, 0)], roles)
    assert (merged.as_scu, merged.as_scp) == expected


# ------------------------------------------------------------ conversions


def test_item_conversions():
    cx = _rq(7, CT, [EXPLICIT, IMPLICIT])
    item = to_rq_item(cx)
    assert item == PresentationContextItemRQ(
        context_id=7, abstract_syntax=CT, transfer_syntaxes=(EXPLICIT, IMPLICIT)
    )
    assert type(item.abstract_syntax) is str
    assert from_rq_item(item) == cx
    cx.result = 0
    cx.transfer_syntax = [EXPLICIT]
    assert to_ac_item(cx) == PresentationContextItemAC(
        context_id=7, result=0, transfer_syntax=EXPLICIT
    )
    cx.transfer_syntax = []
    assert to_ac_item(cx).transfer_syntax is None
    back = from_ac_item(
        PresentationContextItemAC(context_id=7, result=3, transfer_syntax=None)
    )
    assert (back.context_id, back.result, back.transfer_syntax) == (7, 3, [])


def test_conversion_errors():
    with pytest.raises(ValueError, match="requested context"):
        to_rq_item(build_context(CT))
    with pytest.raises(ValueError, match="negotiated context"):
        to_ac_item(_rq(1, CT, [IMPLICIT]))


def test_remembered_uids_are_bounded():
    # UIDs are built once per distinct string, but a peer that keeps sending
    # new ones must not grow the memory without limit.
    from dicomnet import presentation

    presentation._UIDS.clear()
    first = build_context("1.2.3.999").abstract_syntax
    assert build_context("1.2.3.999").abstract_syntax is first
    for n in range(presentation._MAX_CACHED_UIDS + 10):
        assert build_context(f"1.2.3.{n}").abstract_syntax == f"1.2.3.{n}"
    assert len(presentation._UIDS) <= presentation._MAX_CACHED_UIDS
