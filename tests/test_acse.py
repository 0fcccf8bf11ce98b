from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dicomnet.acse import (
    AcceptorPolicy,
    NegotiationDecisions,
    UserInformation,
    build_associate_rq,
    negotiate_acceptor,
    negotiate_requestor,
    rejection_error,
)
from dicomnet.errors import (
    InvalidPDUParameterValueError,
    NegotiationError,
    UnexpectedPDUParameterError,
)
from dicomnet.presentation import PresentationContext, build_context
from dicomnet.ul.items import (
    ApplicationContextItem,
    AsynchronousOperationsWindowSubItem,
    ImplementationClassUIDSubItem,
    ImplementationVersionNameSubItem,
    MaximumLengthSubItem,
    PresentationContextItemAC,
    PresentationContextItemRQ,
    SCPSCURoleSelectionSubItem,
    SOPClassCommonExtendedNegotiationSubItem,
    SOPClassExtendedNegotiationSubItem,
    UnknownSubItem,
    UserIdentityACSubItem,
    UserIdentityRQSubItem,
    UserInformationItem,
)
from dicomnet.ul.pdu import A_ASSOCIATE_AC, A_ASSOCIATE_RJ

IMPLICIT = "1.2.840.10008.1.2"
EXPLICIT = "1.2.840.10008.1.2.1"
VERIFICATION = "1.2.840.10008.1.1"
CT = "1.2.840.10008.5.1.4.1.1.2"
MR = "1.2.840.10008.5.1.4.1.1.4"
OUR_UID = "1.2.826.0.1.3680043.9.9999.1"
PEER_UID = "1.2.826.0.1.3680043.9.9999.2"


def policy(**changes):
    base = AcceptorPolicy(
        ae_title="STORESCP",
        supported_contexts=(build_context(VERIFICATION), build_context(CT)),
        implementation_class_uid=OUR_UID,
        implementation_version_name="DICOMNET_01",
    )
    return replace(base, **changes)


def request(extra=(), contexts=None, **changes):
    rq = build_associate_rq(
        called_ae_title="STORESCP",
        calling_ae_title="ECHOSCU",
        contexts=contexts
        or [build_context(VERIFICATION), build_context(CT, [EXPLICIT])],
        implementation_class_uid=PEER_UID,
        implementation_version_name="PEER",
        maximum_length=32768,
        extended_negotiation=extra,
    )
    return replace(rq, **changes)


def sub_items(pdu, kind):
    return [sub for sub in pdu.user_information.sub_items if isinstance(sub, kind)]


# ------------------------------------------------------------- build the RQ


def test_build_associate_rq_numbers_and_orders():
    role = SCPSCURoleSelectionSubItem(sop_class_uid=CT, scu_role=True, scp_role=True)
    identity = UserIdentityRQSubItem(
        user_identity_type=1, positive_response_requested=False, primary_field=b"bob"
    )
    window = AsynchronousOperationsWindowSubItem(
        maximum_number_operations_invoked=2, maximum_number_operations_performed=3
    )
    source = [build_context(VERIFICATION), build_context(CT, [EXPLICIT])]
    rq = request([identity, role, window], contexts=source)
    assert [cx.context_id for cx in rq.presentation_contexts] == [1, 3]
    assert rq.presentation_contexts[1] == PresentationContextItemRQ(
        context_id=3, abstract_syntax=CT, transfer_syntaxes=(EXPLICIT,)
    )
    assert source[0].context_id is None  # numbered copies, not the originals
    assert [type(sub) for sub in rq.user_information.sub_items] == [
        MaximumLengthSubItem,
        ImplementationClassUIDSubItem,
        AsynchronousOperationsWindowSubItem,
        SCPSCURoleSelectionSubItem,
        ImplementationVersionNameSubItem,
        UserIdentityRQSubItem,
    ]
    assert rq.user_information.sub_items[0].maximum_length_received == 32768
    assert rq.called_ae_title == "STORESCP"
    assert rq.calling_ae_title == "ECHOSCU"


def test_build_associate_rq_keeps_given_ids():
    a = build_context(CT)
    a.context_id = 7
    b = build_context(MR)
    b.context_id = 1
    rq = build_associate_rq(
        called_ae_title="A",
        calling_ae_title="B",
        contexts=[a, b],
        implementation_class_uid=OUR_UID,
    )
    assert [cx.context_id for cx in rq.presentation_contexts] == [7, 1]
    assert not sub_items(rq, ImplementationVersionNameSubItem)


def test_build_associate_rq_errors():
    kwargs = {
        "called_ae_title": "A",
        "calling_ae_title": "B",
        "implementation_class_uid": OUR_UID,
    }
    with pytest.raises(ValueError, match="Between 1 and 128"):
        build_associate_rq(contexts=[], **kwargs)
    with pytest.raises(ValueError, match="Between 1 and 128"):
        build_associate_rq(contexts=[build_context(CT)] * 129, **kwargs)
    a, b = build_context(CT), build_context(MR)
    a.context_id = 1
    with pytest.raises(ValueError, match="unique"):
        build_associate_rq(contexts=[a, b], **kwargs)
    b.context_id = 1
    with pytest.raises(ValueError, match="unique"):
        build_associate_rq(contexts=[a, b], **kwargs)
    with pytest.raises(TypeError, match="extended negotiation"):
        build_associate_rq(
            contexts=[build_context(CT)],
            extended_negotiation=[MaximumLengthSubItem(maximum_length_received=1)],
            **kwargs,
        )


# ---------------------------------------------------------------- rejects


def rejected(outcome):
    assert not outcome.is_accepted
    assert outcome.accept is None
    assert outcome.contexts == ()
    rj = outcome.reject
    return (rj.result, rj.source, rj.reason)


def test_accept_plain():
    outcome = negotiate_acceptor(request(), policy())
    assert outcome.is_accepted
    assert outcome.reject is None
    ac = outcome.accept
    assert ac.called_ae_title == "STORESCP"
    assert ac.calling_ae_title == "ECHOSCU"
    assert ac.presentation_contexts == (
        PresentationContextItemAC(context_id=1, result=0, transfer_syntax=IMPLICIT),
        PresentationContextItemAC(context_id=3, result=0, transfer_syntax=EXPLICIT),
    )
    assert [type(sub) for sub in ac.user_information.sub_items] == [
        MaximumLengthSubItem,
        ImplementationClassUIDSubItem,
        ImplementationVersionNameSubItem,
    ]
    assert outcome.peer_maximum_length == 32768
    assert outcome.maximum_length == 16382
    assert outcome.peer_implementation_class_uid == PEER_UID
    assert outcome.peer_implementation_version_name == "PEER"
    assert outcome.async_ops is None
    assert outcome.user_identity is None
    assert outcome.user_identity_response is None
    assert len(outcome.accepted_contexts) == 2
    assert outcome.rejected_contexts == []


def test_reject_protocol_version():
    assert rejected(negotiate_acceptor(request(protocol_version=2), policy())) == (
        1,
        2,
        2,
    )


def test_reject_application_context():
    rq = request(
        application_context=ApplicationContextItem(application_context_name="1.2.3")
    )
    assert rejected(negotiate_acceptor(rq, policy())) == (1, 1, 2)


def test_reject_calling_aet():
    outcome = negotiate_acceptor(request(), policy(require_calling_aet=("OTHER",)))
    assert rejected(outcome) == (1, 1, 3)
    # The peer's facts are known even when rejecting.
    assert outcome.peer_implementation_class_uid == PEER_UID
    accepted = negotiate_acceptor(
        request(calling_ae_title=" ECHOSCU  "),
        policy(require_calling_aet=("ECHOSCU ", "X")),
    )
    assert accepted.is_accepted


def test_reject_called_aet():
    assert rejected(
        negotiate_acceptor(
            request(called_ae_title="ANY-SCP"), policy(require_called_aet=True)
        )
    ) == (1, 1, 7)
    assert negotiate_acceptor(
        request(called_ae_title="STORESCP  "),
        policy(require_called_aet=True, ae_title=" STORESCP"),
    ).is_accepted
    # Not required: any called AE title is fine.
    assert negotiate_acceptor(request(called_ae_title="ANY-SCP"), policy()).is_accepted


def test_reject_maximum_associations():
    assert rejected(
        negotiate_acceptor(request(), policy(maximum_associations_reached=True))
    ) == (2, 3, 2)


def test_reject_user_identity():
    identity = UserIdentityRQSubItem(
        user_identity_type=2,
        positive_response_requested=True,
        primary_field=b"bob",
        secondary_field=b"pw",
    )
    outcome = negotiate_acceptor(
        request([identity]), policy(), NegotiationDecisions(user_identity=(False, None))
    )
    assert rejected(outcome) == (2, 2, 1)
    assert outcome.user_identity == identity


def test_reject_order():
    rq = request(
        application_context=ApplicationContextItem(application_context_name="1.2.3"),
        called_ae_title="WRONG",
        calling_ae_title="WRONG",
    )
    strict = policy(
        require_called_aet=True,
        require_calling_aet=("X",),
        maximum_associations_reached=True,
    )
    deny = NegotiationDecisions(user_identity=(False, None))
    assert rejected(negotiate_acceptor(rq, strict, deny)) == (1, 1, 2)
    rq = replace(rq, application_context=ApplicationContextItem())
    assert rejected(negotiate_acceptor(rq, strict, deny)) == (1, 1, 3)
    strict = replace(strict, require_calling_aet=())
    assert rejected(negotiate_acceptor(rq, strict, deny)) == (1, 1, 7)
    strict = replace(strict, require_called_aet=False)
    assert rejected(negotiate_acceptor(rq, strict, deny)) == (2, 3, 2)
    strict = replace(strict, maximum_associations_reached=False)
    assert rejected(negotiate_acceptor(rq, strict, deny)) == (2, 2, 1)


def test_rejection_error():
    error = rejection_error(A_ASSOCIATE_RJ(result=1, source=1, reason=7))
    assert isinstance(error, NegotiationError)
    assert (error.reject.result, error.reject.source, error.reject.reason) == (1, 1, 7)
    assert "permanent" in str(error)
    assert "Called AE title" in str(error)
    error = rejection_error(A_ASSOCIATE_RJ(result=2, source=3, reason=2))
    assert "transient" in str(error)
    assert "Local limit" in str(error)
    error = rejection_error(A_ASSOCIATE_RJ(result=9, source=1, reason=9))
    assert "unknown" in str(error)
    assert "Reserved" in str(error)


# ------------------------------------------------------- contexts and PDUs


def test_no_acceptable_context_still_accepts():
    outcome = negotiate_acceptor(request(contexts=[build_context(MR)]), policy())
    assert outcome.is_accepted
    assert [item.result for item in outcome.accept.presentation_contexts] == [3]
    assert outcome.accepted_contexts == []
    assert len(outcome.rejected_contexts) == 1


def test_prefer_acceptor_transfer_syntax():
    rq = request(contexts=[build_context(CT, [EXPLICIT, IMPLICIT])])
    supported = (build_context(CT, [IMPLICIT, EXPLICIT]),)
    plain = negotiate_acceptor(rq, policy(supported_contexts=supported))
    assert plain.accept.presentation_contexts[0].transfer_syntax == EXPLICIT
    preferred = negotiate_acceptor(
        rq, policy(supported_contexts=supported, prefer_acceptor_transfer_syntax=True)
    )
    assert preferred.accept.presentation_contexts[0].transfer_syntax == IMPLICIT


def test_max_pdu_lengths():
    outcome = negotiate_acceptor(request(), policy(maximum_pdu_length=0))
    (length,) = sub_items(outcome.accept, MaximumLengthSubItem)
    assert length.maximum_length_received == 0
    assert outcome.maximum_length == 0
    no_length = replace(
        request(),
        user_information=UserInformationItem(
            sub_items=(
                ImplementationClassUIDSubItem(implementation_class_uid=PEER_UID),
            )
        ),
    )
    outcome = negotiate_acceptor(no_length, policy())
    assert outcome.peer_maximum_length == 16382
    assert outcome.peer_implementation_version_name is None


def test_missing_implementation_class_uid_is_tolerated():
    # PS3.7 D.3.3.2 makes it mandatory; nothing negotiated depends on it.
    rq = replace(request(), user_information=UserInformationItem())
    outcome = negotiate_acceptor(rq, policy())
    assert outcome.is_accepted
    assert outcome.peer_implementation_class_uid is None
    assert outcome.peer_implementation_version_name is None
    assert outcome.peer_maximum_length == 16382  # no Maximum Length either
    assert [cx.result for cx in outcome.contexts] == [0, 0]
    # Our own answer still carries ours (PS3.7 D.3.3.2).
    (uid,) = sub_items(outcome.accept, ImplementationClassUIDSubItem)
    assert uid.implementation_class_uid == OUR_UID


def test_answer_without_implementation_class_uid_is_tolerated():
    rq = request()
    ac = negotiate_acceptor(rq, policy()).accept
    bare = replace(
        ac,
        user_information=UserInformationItem(
            sub_items=(MaximumLengthSubItem(maximum_length_received=4096),)
        ),
    )
    outcome = negotiate_requestor(rq, bare)
    assert outcome.peer_implementation_class_uid is None
    assert outcome.peer_maximum_length == 4096
    assert len(outcome.accepted_contexts) == 2
    nothing = negotiate_requestor(
        rq, replace(ac, user_information=UserInformationItem())
    )
    assert nothing.peer_maximum_length == 16382
    assert nothing.peer_implementation_class_uid is None


def test_malformed_context_items():
    bad_id = replace(
        request(),
        presentation_contexts=(
            PresentationContextItemRQ(
                context_id=2, abstract_syntax=CT, transfer_syntaxes=(IMPLICIT,)
            ),
        ),
    )
    with pytest.raises(InvalidPDUParameterValueError, match="odd"):
        negotiate_acceptor(bad_id, policy())
    item = PresentationContextItemRQ(
        context_id=1, abstract_syntax=CT, transfer_syntaxes=(IMPLICIT,)
    )
    twice = replace(request(), presentation_contexts=(item, item))
    with pytest.raises(InvalidPDUParameterValueError, match="twice"):
        negotiate_acceptor(twice, policy())


def test_user_information_first_wins_and_unknown_skipped():
    info = UserInformation.from_item(
        UserInformationItem(
            sub_items=(
                UnknownSubItem(item_type=0x70, data=b"x"),
                MaximumLengthSubItem(maximum_length_received=10),
                MaximumLengthSubItem(maximum_length_received=20),
                SOPClassExtendedNegotiationSubItem(
                    sop_class_uid=CT, service_class_application_information=b"\x01"
                ),
                SOPClassExtendedNegotiationSubItem(
                    sop_class_uid=CT, service_class_application_information=b"\x02"
                ),
                UserIdentityACSubItem(server_response=b"ok"),
            )
        )
    )
    assert info.maximum_length == 10
    assert info.sop_class_extended == {CT: b"\x01"}
    assert info.user_identity_ac == UserIdentityACSubItem(server_response=b"ok")
    assert info.implementation_class_uid is None
    assert info.async_ops is None
    with pytest.raises(UnexpectedPDUParameterError):
        info.require_implementation_class_uid()


# ------------------------------------------------- extended negotiation


def test_roles_negotiated_and_answered():
    role = SCPSCURoleSelectionSubItem(sop_class_uid=CT, scu_role=False, scp_role=True)
    supported = (build_context(CT),)
    supported[0].scu_role, supported[0].scp_role = True, True
    rq = request([role], contexts=[build_context(CT)])
    outcome = negotiate_acceptor(rq, policy(supported_contexts=supported))
    assert sub_items(outcome.accept, SCPSCURoleSelectionSubItem) == [role]
    assert outcome.roles == (role,)
    (cx,) = outcome.accepted_contexts
    assert (cx.as_scu, cx.as_scp) == (True, False)
    mine = negotiate_requestor(rq, outcome.accept)
    (cx,) = mine.accepted_contexts
    assert (cx.as_scu, cx.as_scp) == (False, True)
    assert mine.roles == (role,)


def test_role_rejection_is_user_rejection():
    role = SCPSCURoleSelectionSubItem(sop_class_uid=CT, scu_role=False, scp_role=True)
    supported = (build_context(CT),)
    supported[0].scu_role, supported[0].scp_role = False, False
    rq = request([role], contexts=[build_context(CT)])
    outcome = negotiate_acceptor(rq, policy(supported_contexts=supported))
    assert outcome.accept.presentation_contexts[0].result == 1
    assert outcome.roles == ()
    assert negotiate_requestor(rq, outcome.accept).accepted_contexts == []


@pytest.mark.parametrize(
    ("proposed", "decided", "answered"),
    [
        ((5, 5), (1, 1), (1, 1)),
        ((1, 1), (4, 4), (1, 1)),
        ((0, 0), (3, 0), (3, 0)),
        ((2, 0), (0, 7), (2, 7)),
        ((3, 2), (0, 0), (3, 2)),
    ],
)
def test_async_ops_window(proposed, decided, answered):
    window = AsynchronousOperationsWindowSubItem(
        maximum_number_operations_invoked=proposed[0],
        maximum_number_operations_performed=proposed[1],
    )
    rq = request([window])
    outcome = negotiate_acceptor(rq, policy(), NegotiationDecisions(async_ops=decided))
    assert outcome.async_ops == answered
    (item,) = sub_items(outcome.accept, AsynchronousOperationsWindowSubItem)
    assert (
        item.maximum_number_operations_invoked,
        item.maximum_number_operations_performed,
    ) == answered
    assert negotiate_requestor(rq, outcome.accept).async_ops == answered


def test_async_ops_needs_handler_and_proposal():
    window = AsynchronousOperationsWindowSubItem(
        maximum_number_operations_invoked=2, maximum_number_operations_performed=2
    )
    no_handler = negotiate_acceptor(request([window]), policy())
    assert no_handler.async_ops is None
    assert not sub_items(no_handler.accept, AsynchronousOperationsWindowSubItem)
    not_proposed = negotiate_acceptor(
        request(), policy(), NegotiationDecisions(async_ops=(1, 1))
    )
    assert not_proposed.async_ops is None
    assert negotiate_requestor(request(), not_proposed.accept).async_ops is None


def test_sop_class_extended_only_for_proposed():
    ext = SOPClassExtendedNegotiationSubItem(
        sop_class_uid=CT, service_class_application_information=b"\x01\x01"
    )
    rq = request([ext])
    decisions = NegotiationDecisions(sop_class_extended={CT: b"\x01\x00", MR: b"\x01"})
    outcome = negotiate_acceptor(rq, policy(), decisions)
    assert outcome.sop_class_extended == {CT: b"\x01\x00"}
    assert sub_items(outcome.accept, SOPClassExtendedNegotiationSubItem) == [
        SOPClassExtendedNegotiationSubItem(
            sop_class_uid=CT, service_class_application_information=b"\x01\x00"
        )
    ]
    assert negotiate_requestor(rq, outcome.accept).sop_class_extended == {
        CT: b"\x01\x00"
    }


def test_sop_class_common_extended_recorded_not_sent():
    common = SOPClassCommonExtendedNegotiationSubItem(
        sop_class_uid=CT,
        service_class_uid="1.2.840.10008.4.2",
        related_general_sop_class_identification=("1.2.3",),
    )
    other = replace(common, sop_class_uid=MR)
    decisions = NegotiationDecisions(sop_class_common_extended={CT, VERIFICATION})
    outcome = negotiate_acceptor(request([common, other]), policy(), decisions)
    assert outcome.sop_class_common_extended == {CT: common}
    assert not sub_items(outcome.accept, SOPClassCommonExtendedNegotiationSubItem)


def identity_item(kind, *, positive=True):
    return UserIdentityRQSubItem(
        user_identity_type=kind,
        positive_response_requested=positive,
        primary_field=b"who",
        secondary_field=b"pw" if kind == 2 else b"",
    )


@pytest.mark.parametrize(
    ("kind", "positive", "decision", "response"),
    [
        (1, True, (True, None), b""),  # PS3.7 D.3.3.7.2: zero length
        (2, True, (True, b"ignored"), b""),
        (3, True, (True, b"ticket"), b"ticket"),
        (4, True, (True, b"<saml/>"), b"<saml/>"),
        (5, True, (True, b"jwt"), b"jwt"),
        (3, True, (True, None), None),  # nothing to send
        (3, False, (True, b"ticket"), None),  # not requested
        (1, True, None, None),  # no handler: identity ignored
    ],
)
def test_user_identity_response(kind, positive, decision, response):
    rq = request([identity_item(kind, positive=positive)])
    outcome = negotiate_acceptor(
        rq, policy(), NegotiationDecisions(user_identity=decision)
    )
    assert outcome.is_accepted
    assert outcome.user_identity_response == response
    items = sub_items(outcome.accept, UserIdentityACSubItem)
    if response is None:
        assert items == []
    else:
        assert items == [UserIdentityACSubItem(server_response=response)]
    assert negotiate_requestor(rq, outcome.accept).user_identity_response == response


# ---------------------------------------------------------------- requestor


def test_requestor_outcome():
    rq = request()
    ac = A_ASSOCIATE_AC(
        called_ae_title="STORESCP",
        calling_ae_title="ECHOSCU",
        presentation_contexts=(
            PresentationContextItemAC(context_id=3, result=0, transfer_syntax=EXPLICIT),
        ),
        user_information=UserInformationItem(
            sub_items=(
                MaximumLengthSubItem(maximum_length_received=0),
                ImplementationClassUIDSubItem(implementation_class_uid=OUR_UID),
                ImplementationVersionNameSubItem(implementation_version_name="V"),
            )
        ),
    )
    outcome = negotiate_requestor(rq, ac)
    assert [cx.context_id for cx in outcome.contexts] == [1, 3]
    assert [cx.result for cx in outcome.contexts] == [2, 0]
    (accepted,) = outcome.accepted_contexts
    assert (accepted.abstract_syntax, accepted.transfer_syntax) == (CT, [EXPLICIT])
    assert (accepted.as_scu, accepted.as_scp) == (True, False)
    assert [cx.context_id for cx in outcome.rejected_contexts] == [1]
    assert outcome.peer_maximum_length == 0
    assert outcome.peer_implementation_class_uid == OUR_UID
    assert outcome.peer_implementation_version_name == "V"
    assert outcome.roles == ()
    assert outcome.sop_class_extended == {}


@pytest.mark.parametrize("syntax", ["1.2.3", None])
def test_requestor_rejects_unproposed_syntax(syntax):
    ac = A_ASSOCIATE_AC(
        called_ae_title="A",
        calling_ae_title="B",
        presentation_contexts=(
            PresentationContextItemAC(context_id=1, result=0, transfer_syntax=syntax),
        ),
        user_information=UserInformationItem(
            sub_items=(ImplementationClassUIDSubItem(implementation_class_uid=OUR_UID),)
        ),
    )
    with pytest.raises(InvalidPDUParameterValueError, match="not proposed"):
        negotiate_requestor(request(), ac)


UIDS = [VERIFICATION, CT, MR, "1.2.3.4"]
SYNTAXES = [IMPLICIT, EXPLICIT, "1.2.840.10008.1.2.2", "1.2.9"]
ROLES = st.sampled_from(
    [None, (True, True), (True, False), (False, True), (False, False)]
)


@st.composite
def scenario(draw):
    requested = [
        build_context(
            draw(st.sampled_from(UIDS)),
            draw(
                st.lists(st.sampled_from(SYNTAXES), min_size=1, max_size=3, unique=True)
            ),
        )
        for _ in range(draw(st.integers(1, 6)))
    ]
    supported = []
    for uid in draw(st.lists(st.sampled_from(UIDS), unique=True)):
        cx = build_context(
            uid, draw(st.lists(st.sampled_from(SYNTAXES), min_size=1, unique=True))
        )
        cx.scu_role, cx.scp_role = draw(ROLES) or (None, None)
        supported.append(cx)
    roles = []
    for uid in draw(st.lists(st.sampled_from(UIDS), unique=True)):
        scu, scp = draw(ROLES) or (True, False)
        roles.append(
            SCPSCURoleSelectionSubItem(sop_class_uid=uid, scu_role=scu, scp_role=scp)
        )
    return requested, tuple(supported), roles, draw(st.booleans())


@given(scenario())
def test_round_trip_agrees(case):
    requested, supported, roles, prefer = case
    rq = request(roles, contexts=requested)
    acceptor = negotiate_acceptor(
        rq,
        policy(supported_contexts=supported, prefer_acceptor_transfer_syntax=prefer),
    )
    requestor = negotiate_requestor(rq, acceptor.accept)
    assert [cx.context_id for cx in acceptor.contexts] == [
        item.context_id for item in rq.presentation_contexts
    ]
    assert len(acceptor.accept.presentation_contexts) == len(rq.presentation_contexts)
    theirs = {cx.context_id: cx for cx in acceptor.contexts}
    assert len(requestor.contexts) == len(theirs)
    for mine in requestor.contexts:
        other = theirs[mine.context_id]
        assert mine.result == other.result
        assert mine.abstract_syntax == other.abstract_syntax
        if mine.result != 0:
            assert (mine.as_scu, mine.as_scp, other.as_scu, other.as_scp) == (
                False,
            ) * 4
            continue
        assert mine.transfer_syntax == other.transfer_syntax
        # Roles mirror: what I may do as SCU, the peer does as SCP.
        assert (mine.as_scu, mine.as_scp) == (other.as_scp, other.as_scu)
        assert mine.as_scu or mine.as_scp


def test_policy_contexts_not_mutated():
    supported = (build_context(CT, [IMPLICIT, EXPLICIT]),)
    negotiate_acceptor(request(), policy(supported_contexts=supported))
    assert supported[0].result is None
    assert supported[0].transfer_syntax == [IMPLICIT, EXPLICIT]
    assert isinstance(supported[0], PresentationContext)


def test_no_version_name_sent_when_none():
    outcome = negotiate_acceptor(request(), policy(implementation_version_name=None))
    assert not sub_items(outcome.accept, ImplementationVersionNameSubItem)
    assert (
        negotiate_requestor(request(), outcome.accept).peer_implementation_version_name
        is None
    )
