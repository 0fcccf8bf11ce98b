"""Hypothesis strategies for every Upper Layer PDU, item and sub-item.

Every value generated here is canonical: ``decode(encode(x)) == x`` holds for
it. Other suites import these (``pdus()`` above all) to drive the state
machine and the connection with valid PDUs.
"""

from __future__ import annotations

from hypothesis import strategies as st

from dicomnet.ul.items import (
    ApplicationContextItem,
    AsynchronousOperationsWindowSubItem,
    ContextResult,
    ImplementationClassUIDSubItem,
    ImplementationVersionNameSubItem,
    ItemType,
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
    UserInformationSubItem,
)
from dicomnet.ul.pdu import (
    A_ABORT,
    A_ASSOCIATE_AC,
    A_ASSOCIATE_RJ,
    A_ASSOCIATE_RQ,
    A_RELEASE_RP,
    A_RELEASE_RQ,
    P_DATA_TF,
    PDU,
    PDV,
)

__all__ = [
    "a_aborts",
    "a_associate_acs",
    "a_associate_rjs",
    "a_associate_rqs",
    "a_release_rps",
    "a_release_rqs",
    "ac_ae_titles",
    "application_context_items",
    "asynchronous_operations_window_sub_items",
    "context_ids",
    "implementation_class_uid_sub_items",
    "implementation_version_name_sub_items",
    "items",
    "maximum_length_sub_items",
    "p_data_tfs",
    "pdus",
    "pdvs",
    "presentation_context_ac_items",
    "presentation_context_rq_items",
    "rq_ae_titles",
    "scp_scu_role_selection_sub_items",
    "sop_class_common_extended_negotiation_sub_items",
    "sop_class_extended_negotiation_sub_items",
    "uids",
    "unknown_sub_items",
    "user_identity_ac_sub_items",
    "user_identity_rq_sub_items",
    "user_information_items",
    "user_information_sub_items",
]

_BYTE = st.integers(0, 0xFF)
_U16 = st.integers(0, 0xFFFF)
_U32 = st.integers(0, 0xFFFF_FFFF)


# -- fields -------------------------------------------------------------------------


def uids(max_size: int = 64) -> st.SearchStrategy[str]:
    """UIDs of 1 to ``max_size`` digits and dots (PS3.5 9.1 repertoire)."""
    return st.text(alphabet="0123456789.", min_size=1, max_size=max_size)


def rq_ae_titles() -> st.SearchStrategy[str]:
    """Non-empty A-ASSOCIATE-RQ AE titles: PS3.5 AE characters, no trailing space."""
    alphabet = st.characters(
        min_codepoint=0x20, max_codepoint=0x7E, exclude_characters="\\"
    )
    return (
        st.text(alphabet=alphabet, min_size=1, max_size=16).map(str.rstrip).filter(bool)
    )


def ac_ae_titles() -> st.SearchStrategy[str]:
    """A-ASSOCIATE-AC AE titles: any Latin-1 text, as the fields are not tested."""
    alphabet = st.characters(min_codepoint=0, max_codepoint=0xFF)
    return st.text(alphabet=alphabet, max_size=16).map(lambda s: s.rstrip(" \x00"))


def context_ids() -> st.SearchStrategy[int]:
    """Presentation context IDs: odd, 1 to 255 (PS3.8 9.3.2.2)."""
    return st.integers(0, 127).map(lambda n: 2 * n + 1)


# -- variable items -------------------------------------------------------------------


def application_context_items() -> st.SearchStrategy[ApplicationContextItem]:
    """Application context items, mostly the DICOM one."""
    return st.one_of(
        st.just(ApplicationContextItem()),
        st.builds(ApplicationContextItem, application_context_name=uids()),
    )


def presentation_context_rq_items(
    max_transfer_syntaxes: int = 8,
) -> st.SearchStrategy[PresentationContextItemRQ]:
    """Presentation context items of a request.

    The reserved bytes 6-8 are mostly zeros, as PS3.8 9.3.2.2 sends them, and
    otherwise any three bytes, as a peer may fill them (DCMTK sends FFH).
    """
    return st.builds(
        PresentationContextItemRQ,
        context_id=context_ids(),
        abstract_syntax=uids(),
        transfer_syntaxes=st.lists(
            uids(), min_size=1, max_size=max_transfer_syntaxes
        ).map(tuple),
        reserved=st.one_of(st.just(bytes(3)), st.binary(min_size=3, max_size=3)),
    )


@st.composite
def presentation_context_ac_items(
    draw: st.DrawFn,
) -> PresentationContextItemAC:
    """Presentation context items of an acceptance, accepted or not."""
    result = draw(st.sampled_from(ContextResult))
    if result == ContextResult.ACCEPTANCE:
        transfer_syntax: str | None = draw(uids())
    else:
        transfer_syntax = draw(st.one_of(st.none(), st.just(""), uids()))
    return PresentationContextItemAC(
        context_id=draw(context_ids()),
        result=int(result),
        transfer_syntax=transfer_syntax,
    )


# -- user information sub-items ------------------------------------------------------


def maximum_length_sub_items() -> st.SearchStrategy[MaximumLengthSubItem]:
    """Maximum length sub-items, 0 (no limit) to 2**32 - 1."""
    return st.builds(MaximumLengthSubItem, maximum_length_received=_U32)


def implementation_class_uid_sub_items() -> st.SearchStrategy[
    ImplementationClassUIDSubItem
]:
    """Implementation class UID sub-items."""
    return st.builds(ImplementationClassUIDSubItem, implementation_class_uid=uids())


def implementation_version_name_sub_items() -> st.SearchStrategy[
    ImplementationVersionNameSubItem
]:
    """Implementation version name sub-items, 1 to 16 ISO 646 characters."""
    alphabet = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
    return st.builds(
        ImplementationVersionNameSubItem,
        implementation_version_name=st.text(alphabet=alphabet, min_size=1, max_size=16),
    )


def asynchronous_operations_window_sub_items() -> st.SearchStrategy[
    AsynchronousOperationsWindowSubItem
]:
    """Asynchronous operations window sub-items."""
    return st.builds(
        AsynchronousOperationsWindowSubItem,
        maximum_number_operations_invoked=_U16,
        maximum_number_operations_performed=_U16,
    )


def scp_scu_role_selection_sub_items() -> st.SearchStrategy[SCPSCURoleSelectionSubItem]:
    """SCP/SCU role selection sub-items."""
    return st.builds(
        SCPSCURoleSelectionSubItem,
        sop_class_uid=uids(),
        scu_role=st.booleans(),
        scp_role=st.booleans(),
    )


def sop_class_extended_negotiation_sub_items() -> st.SearchStrategy[
    SOPClassExtendedNegotiationSubItem
]:
    """SOP class extended negotiation sub-items, including empty information."""
    return st.builds(
        SOPClassExtendedNegotiationSubItem,
        sop_class_uid=uids(),
        service_class_application_information=st.binary(max_size=64),
    )


def sop_class_common_extended_negotiation_sub_items() -> st.SearchStrategy[
    SOPClassCommonExtendedNegotiationSubItem
]:
    """SOP class common extended negotiation sub-items."""
    return st.builds(
        SOPClassCommonExtendedNegotiationSubItem,
        sop_class_uid=uids(),
        service_class_uid=uids(),
        related_general_sop_class_identification=st.lists(uids(), max_size=4).map(
            tuple
        ),
        sub_item_version=_BYTE,
    )


def user_identity_rq_sub_items() -> st.SearchStrategy[UserIdentityRQSubItem]:
    """User identity request sub-items, types 1 to 5, empty secondary field allowed."""
    return st.builds(
        UserIdentityRQSubItem,
        user_identity_type=st.integers(1, 5),
        positive_response_requested=st.booleans(),
        primary_field=st.binary(max_size=64),
        secondary_field=st.binary(max_size=64),
    )


def user_identity_ac_sub_items() -> st.SearchStrategy[UserIdentityACSubItem]:
    """User identity acceptance sub-items."""
    return st.builds(UserIdentityACSubItem, server_response=st.binary(max_size=64))


def unknown_sub_items() -> st.SearchStrategy[UnknownSubItem]:
    """Sub-items of types this implementation does not know."""
    known = {int(item_type) for item_type in ItemType}
    return st.builds(
        UnknownSubItem,
        item_type=_BYTE.filter(lambda t: t not in known),
        data=st.binary(max_size=64),
    )


def user_information_sub_items(
    *, requestor: bool = True
) -> st.SearchStrategy[UserInformationSubItem]:
    """Any one sub-item allowed in a request's (or an acceptance's) user information."""
    identity = (
        user_identity_rq_sub_items() if requestor else user_identity_ac_sub_items()
    )
    return st.one_of(
        maximum_length_sub_items(),
        implementation_class_uid_sub_items(),
        implementation_version_name_sub_items(),
        asynchronous_operations_window_sub_items(),
        scp_scu_role_selection_sub_items(),
        sop_class_extended_negotiation_sub_items(),
        sop_class_common_extended_negotiation_sub_items(),
        identity,
        unknown_sub_items(),
    )


@st.composite
def user_information_items(
    draw: st.DrawFn, *, requestor: bool = True
) -> UserInformationItem:
    """User information items: each single sub-item at most once, in any order."""
    singles: list[st.SearchStrategy[UserInformationSubItem]] = [
        maximum_length_sub_items(),
        implementation_class_uid_sub_items(),
        implementation_version_name_sub_items(),
        asynchronous_operations_window_sub_items(),
        user_identity_rq_sub_items() if requestor else user_identity_ac_sub_items(),
    ]
    sub_items: list[UserInformationSubItem] = [
        draw(strategy) for strategy in singles if draw(st.booleans())
    ]
    repeatable = st.one_of(
        scp_scu_role_selection_sub_items(),
        sop_class_extended_negotiation_sub_items(),
        sop_class_common_extended_negotiation_sub_items(),
        unknown_sub_items(),
    )
    sub_items += draw(st.lists(repeatable, max_size=4))
    return UserInformationItem(sub_items=tuple(draw(st.permutations(sub_items))))


def items() -> st.SearchStrategy[
    ApplicationContextItem
    | PresentationContextItemRQ
    | PresentationContextItemAC
    | UserInformationItem
    | UserInformationSubItem
]:
    """Any item or sub-item that ``decode_item(..., requestor=True)`` reads back."""
    return st.one_of(
        application_context_items(),
        presentation_context_rq_items(),
        presentation_context_ac_items(),
        user_information_items(),
        user_information_sub_items(),
        user_identity_ac_sub_items(),
    )


# -- PDUs ----------------------------------------------------------------------------


def a_associate_rqs(max_contexts: int = 8) -> st.SearchStrategy[A_ASSOCIATE_RQ]:
    """A-ASSOCIATE-RQ PDUs (protocol version with bit 0 set)."""
    return st.builds(
        A_ASSOCIATE_RQ,
        called_ae_title=rq_ae_titles(),
        calling_ae_title=rq_ae_titles(),
        presentation_contexts=st.lists(
            presentation_context_rq_items(), max_size=max_contexts
        ).map(tuple),
        user_information=user_information_items(requestor=True),
        application_context=application_context_items(),
        protocol_version=st.one_of(
            st.just(1), st.integers(0, 0x7FFF).map(lambda n: 2 * n + 1)
        ),
    )


def a_associate_acs(max_contexts: int = 8) -> st.SearchStrategy[A_ASSOCIATE_AC]:
    """A-ASSOCIATE-AC PDUs."""
    return st.builds(
        A_ASSOCIATE_AC,
        called_ae_title=ac_ae_titles(),
        calling_ae_title=ac_ae_titles(),
        presentation_contexts=st.lists(
            presentation_context_ac_items(), max_size=max_contexts
        ).map(tuple),
        user_information=user_information_items(requestor=False),
        application_context=application_context_items(),
        protocol_version=st.one_of(st.just(1), _U16),
    )


def a_associate_rjs() -> st.SearchStrategy[A_ASSOCIATE_RJ]:
    """A-ASSOCIATE-RJ PDUs, any byte values (they are not tested)."""
    return st.builds(A_ASSOCIATE_RJ, result=_BYTE, source=_BYTE, reason=_BYTE)


def pdvs(max_size: int = 256) -> st.SearchStrategy[PDV]:
    """PDVs with any message control header and fragments up to ``max_size``."""
    return st.builds(
        PDV,
        context_id=context_ids(),
        message_control_header=_BYTE,
        data=st.binary(max_size=max_size),
    )


def p_data_tfs(max_pdvs: int = 8) -> st.SearchStrategy[P_DATA_TF]:
    """P-DATA-TF PDUs with one or more PDVs."""
    return st.builds(
        P_DATA_TF, pdvs=st.lists(pdvs(), min_size=1, max_size=max_pdvs).map(tuple)
    )


def a_release_rqs() -> st.SearchStrategy[A_RELEASE_RQ]:
    """The A-RELEASE-RQ PDU."""
    return st.just(A_RELEASE_RQ())


def a_release_rps() -> st.SearchStrategy[A_RELEASE_RP]:
    """The A-RELEASE-RP PDU."""
    return st.just(A_RELEASE_RP())


def a_aborts() -> st.SearchStrategy[A_ABORT]:
    """A-ABORT PDUs, any byte values."""
    return st.builds(A_ABORT, source=_BYTE, reason=_BYTE)


def pdus() -> st.SearchStrategy[PDU]:
    """Any of the seven PDUs."""
    return st.one_of(
        a_associate_rqs(),
        a_associate_acs(),
        a_associate_rjs(),
        p_data_tfs(),
        a_release_rqs(),
        a_release_rps(),
        a_aborts(),
    )
