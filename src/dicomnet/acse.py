"""Association negotiation on the frozen PDUs, as pure functions.

The acceptor side takes an A-ASSOCIATE-RQ, the local configuration
(:class:`AcceptorPolicy`) and the answers of the user's intervention handlers
(:class:`NegotiationDecisions`, computed by the API layer beforehand) and
returns an A-ASSOCIATE-AC or -RJ with the negotiated facts. The requestor side
builds the A-ASSOCIATE-RQ and reads the A-ASSOCIATE-AC. No I/O, no clock, no
user code: PS3.8 9.3 PDUs in, PDUs and facts out.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

from dicomnet._globals import DEFAULT_MAX_LENGTH
from dicomnet.errors import (
    REJECT_CALLED_AE_TITLE,
    REJECT_CALLING_AE_TITLE,
    REJECT_PROTOCOL_VERSION,
    InvalidPDUParameterValueError,
    NegotiationError,
    RejectCode,
    RejectReason,
    RejectResult,
    RejectSource,
    UnexpectedPDUParameterError,
)
from dicomnet.presentation import (
    PresentationContext,
    from_ac_item,
    from_rq_item,
    negotiate_as_acceptor,
    negotiate_as_requestor,
    to_ac_item,
    to_rq_item,
)
from dicomnet.ul.items import (
    DICOM_APPLICATION_CONTEXT_NAME,
    AsynchronousOperationsWindowSubItem,
    ContextResult,
    ImplementationClassUIDSubItem,
    ImplementationVersionNameSubItem,
    MaximumLengthSubItem,
    SCPSCURoleSelectionSubItem,
    SOPClassCommonExtendedNegotiationSubItem,
    SOPClassExtendedNegotiationSubItem,
    UserIdentityACSubItem,
    UserIdentityRQSubItem,
    UserIdentityType,
    UserInformationItem,
    UserInformationSubItem,
)
from dicomnet.ul.pdu import A_ASSOCIATE_AC, A_ASSOCIATE_RJ, A_ASSOCIATE_RQ

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Mapping, Sequence

__all__ = [
    "ACSE_REJECT_PROTOCOL_VERSION",
    "REJECT_APPLICATION_CONTEXT",
    "REJECT_CALLED_AET",
    "REJECT_CALLING_AET",
    "REJECT_LOCAL_LIMIT",
    "REJECT_USER_IDENTITY",
    "AcceptorOutcome",
    "AcceptorPolicy",
    "NegotiationDecisions",
    "RequestorOutcome",
    "UserInformation",
    "build_associate_rq",
    "negotiate_acceptor",
    "negotiate_requestor",
    "rejection_error",
]

# PS3.8 9.3.4, Table 9-21: the (result, source, reason) of each rejection.
ACSE_REJECT_PROTOCOL_VERSION: Final = REJECT_PROTOCOL_VERSION
REJECT_APPLICATION_CONTEXT: Final = RejectCode(
    RejectResult.REJECTED_PERMANENT,
    RejectSource.SERVICE_USER,
    RejectReason.USER_APPLICATION_CONTEXT_NAME_NOT_SUPPORTED,
)
REJECT_CALLING_AET: Final = REJECT_CALLING_AE_TITLE
REJECT_CALLED_AET: Final = REJECT_CALLED_AE_TITLE
# Too many associations is a presentation-layer local limit, and transient:
# the same request may succeed later (what pynetdicom sends).
REJECT_LOCAL_LIMIT: Final = RejectCode(
    RejectResult.REJECTED_TRANSIENT,
    RejectSource.SERVICE_PROVIDER_PRESENTATION,
    RejectReason.PRESENTATION_LOCAL_LIMIT_EXCEEDED,
)
# PS3.7 D.3.3.7 describes an authorisation failure as "rejected permanent,
# source ACSE"; pynetdicom 3 sends rejected *transient*, source ACSE, no reason
# given. We send what pynetdicom sends, so that scripts testing `result == 2`
# keep working; the source and reason match the standard.
REJECT_USER_IDENTITY: Final = RejectCode(
    RejectResult.REJECTED_TRANSIENT,
    RejectSource.SERVICE_PROVIDER_ACSE,
    RejectReason.ACSE_NO_REASON_GIVEN,
)

_EMPTY: Final[Mapping[str, bytes]] = MappingProxyType({})

# PS3.7 D.3.3.7.2: types whose server response carries data; for the others
# (username, username and passcode) the response is zero length.
_TOKEN_IDENTITY_TYPES: Final = frozenset(
    {UserIdentityType.KERBEROS, UserIdentityType.SAML, UserIdentityType.JWT}
)


@dataclass(frozen=True, slots=True, kw_only=True)
class UserInformation:
    """The user-information sub-items of one A-ASSOCIATE PDU, by meaning.

    A sub-item that PS3.7 allows once and that appears twice keeps its first
    value; the repeats of per-SOP-class items keep the first per SOP class.
    """

    maximum_length: int | None = None
    implementation_class_uid: str | None = None
    implementation_version_name: str | None = None
    async_ops: AsynchronousOperationsWindowSubItem | None = None
    roles: Mapping[str, SCPSCURoleSelectionSubItem] = field(default_factory=dict)
    sop_class_extended: Mapping[str, bytes] = field(default_factory=dict)
    sop_class_common_extended: Mapping[
        str, SOPClassCommonExtendedNegotiationSubItem
    ] = field(default_factory=dict)
    user_identity_rq: UserIdentityRQSubItem | None = None
    user_identity_ac: UserIdentityACSubItem | None = None

    @classmethod
    def from_item(cls, item: UserInformationItem) -> UserInformation:
        """Sort the sub-items of *item* by meaning; unknown ones are skipped."""
        scalars: dict[type, UserInformationSubItem] = {}
        roles: dict[str, SCPSCURoleSelectionSubItem] = {}
        extended: dict[str, bytes] = {}
        common: dict[str, SOPClassCommonExtendedNegotiationSubItem] = {}
        for sub in item.sub_items:
            if isinstance(sub, SCPSCURoleSelectionSubItem):
                roles.setdefault(sub.sop_class_uid, sub)
            elif isinstance(sub, SOPClassExtendedNegotiationSubItem):
                extended.setdefault(
                    sub.sop_class_uid, sub.service_class_application_information
                )
            elif isinstance(sub, SOPClassCommonExtendedNegotiationSubItem):
                common.setdefault(sub.sop_class_uid, sub)
            else:
                # PS3.7 D.3.3: an unknown sub-item is ignored, never fatal.
                scalars.setdefault(type(sub), sub)
        return cls._from_scalars(scalars, roles, extended, common)

    @classmethod
    def _from_scalars(
        cls,
        scalars: Mapping[type, UserInformationSubItem],
        roles: Mapping[str, SCPSCURoleSelectionSubItem],
        extended: Mapping[str, bytes],
        common: Mapping[str, SOPClassCommonExtendedNegotiationSubItem],
    ) -> UserInformation:
        length = scalars.get(MaximumLengthSubItem)
        uid = scalars.get(ImplementationClassUIDSubItem)
        version = scalars.get(ImplementationVersionNameSubItem)
        async_ops = scalars.get(AsynchronousOperationsWindowSubItem)
        id_rq = scalars.get(UserIdentityRQSubItem)
        id_ac = scalars.get(UserIdentityACSubItem)
        return cls(
            maximum_length=length.maximum_length_received
            if isinstance(length, MaximumLengthSubItem)
            else None,
            implementation_class_uid=uid.implementation_class_uid
            if isinstance(uid, ImplementationClassUIDSubItem)
            else None,
            implementation_version_name=version.implementation_version_name
            if isinstance(version, ImplementationVersionNameSubItem)
            else None,
            async_ops=async_ops
            if isinstance(async_ops, AsynchronousOperationsWindowSubItem)
            else None,
            roles=roles,
            sop_class_extended=extended,
            sop_class_common_extended=common,
            user_identity_rq=id_rq
            if isinstance(id_rq, UserIdentityRQSubItem)
            else None,
            user_identity_ac=id_ac
            if isinstance(id_ac, UserIdentityACSubItem)
            else None,
        )

    @property
    def peer_maximum_length(self) -> int:
        """The peer's Maximum Length Received; 0 means no limit (PS3.8 D.1).

        A peer that sent none is still accepted, and assumed to take
        ``DEFAULT_MAX_LENGTH``. PS3.8 D.1 makes the sub-item mandatory and
        gives only the value 0 the meaning "no maximum length"; a peer that
        sent nothing said nothing, and may well have a limit. Treating it as
        0 would let one PDU carry a whole data set; PDUs no longer than the
        default nearly every implementation takes are the safe choice.
        """
        if self.maximum_length is None:
            return DEFAULT_MAX_LENGTH
        return self.maximum_length

    def require_implementation_class_uid(self) -> str:
        """Return the Implementation Class UID, mandatory in RQ and AC.

        For callers that want the standard's letter: the negotiation functions
        tolerate a missing one (see :func:`negotiate_acceptor`).

        Raises
        ------
        UnexpectedPDUParameterError
            If the sub-item is absent (PS3.7 D.3.3.2).
        """
        if not self.implementation_class_uid:
            raise UnexpectedPDUParameterError(
                "The peer sent no Implementation Class UID (PS3.7 D.3.3.2)"
            )
        return self.implementation_class_uid


@dataclass(frozen=True, slots=True, kw_only=True)
class AcceptorPolicy:
    """What the local acceptor supports, and the limits it applies.

    Attributes
    ----------
    ae_title : str
        Our AE title; compared without spaces when ``require_called_aet``.
    supported_contexts : tuple of PresentationContext
        One per abstract syntax, with ``scu_role``/``scp_role`` set to answer
        role proposals (both ``None`` = no role selection support).
    implementation_class_uid : str
        Sent in every A-ASSOCIATE-AC (PS3.7 D.3.3.2).
    implementation_version_name : str or None
        Sent when not ``None``.
    require_called_aet : bool
        Reject a request whose Called AE Title is not ours.
    require_calling_aet : tuple of str
        If not empty, the only Calling AE Titles accepted.
    maximum_pdu_length : int
        Our Maximum Length Received (0 = no limit).
    prefer_acceptor_transfer_syntax : bool
        Choose transfer syntaxes in our order rather than the requestor's.
    maximum_associations_reached : bool
        Set by the caller when no more associations may be accepted.
    """

    ae_title: str
    supported_contexts: tuple[PresentationContext, ...]
    implementation_class_uid: str
    implementation_version_name: str | None = None
    require_called_aet: bool = False
    require_calling_aet: tuple[str, ...] = ()
    maximum_pdu_length: int = DEFAULT_MAX_LENGTH
    prefer_acceptor_transfer_syntax: bool = False
    maximum_associations_reached: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class NegotiationDecisions:
    """The answers of the user's intervention handlers for one request.

    Attributes
    ----------
    user_identity : (bool, bytes or None) or None
        ``(is_verified, server_response)``; ``None`` when no handler is
        bound, and the user identity item is then ignored.
    sop_class_extended : mapping of str to bytes
        Application information to return, per SOP class UID.
    sop_class_common_extended : collection of str
        SOP class UIDs whose common extended negotiation is accepted.
    async_ops : (int, int) or None
        ``(max invoked, max performed)``; ``None`` sends no reply item.
    """

    user_identity: tuple[bool, bytes | None] | None = None
    sop_class_extended: Mapping[str, bytes] = field(default_factory=lambda: _EMPTY)
    sop_class_common_extended: Collection[str] = ()
    async_ops: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AcceptorOutcome:
    """The acceptor's answer and what was negotiated.

    Exactly one of ``accept`` and ``reject`` is set. The peer's facts
    (maximum length, implementation) are filled in either way;
    ``peer_implementation_class_uid`` is ``None`` if the peer sent none.
    """

    accept: A_ASSOCIATE_AC | None = None
    reject: A_ASSOCIATE_RJ | None = None
    contexts: tuple[PresentationContext, ...] = ()
    peer_maximum_length: int = DEFAULT_MAX_LENGTH
    maximum_length: int = DEFAULT_MAX_LENGTH
    peer_implementation_class_uid: str | None = None
    peer_implementation_version_name: str | None = None
    async_ops: tuple[int, int] | None = None
    roles: tuple[SCPSCURoleSelectionSubItem, ...] = ()
    user_identity: UserIdentityRQSubItem | None = None
    user_identity_response: bytes | None = None
    sop_class_extended: Mapping[str, bytes] = field(default_factory=lambda: _EMPTY)
    sop_class_common_extended: Mapping[
        str, SOPClassCommonExtendedNegotiationSubItem
    ] = field(default_factory=dict)

    @property
    def is_accepted(self) -> bool:
        """Whether the association was accepted."""
        return self.accept is not None

    @property
    def accepted_contexts(self) -> list[PresentationContext]:
        """The contexts with result 0, sorted by context ID."""
        return [cx for cx in self.contexts if cx.result == ContextResult.ACCEPTANCE]

    @property
    def rejected_contexts(self) -> list[PresentationContext]:
        """The contexts with any other result, sorted by context ID."""
        return [cx for cx in self.contexts if cx.result != ContextResult.ACCEPTANCE]


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestorOutcome:
    """What the requestor learns from an A-ASSOCIATE-AC.

    ``peer_implementation_class_uid`` is ``None`` if the acceptor sent none.
    """

    contexts: tuple[PresentationContext, ...]
    peer_maximum_length: int
    peer_implementation_class_uid: str | None
    peer_implementation_version_name: str | None = None
    async_ops: tuple[int, int] | None = None
    roles: tuple[SCPSCURoleSelectionSubItem, ...] = ()
    user_identity_response: bytes | None = None
    sop_class_extended: Mapping[str, bytes] = field(default_factory=lambda: _EMPTY)

    @property
    def accepted_contexts(self) -> list[PresentationContext]:
        """The contexts with result 0, sorted by context ID."""
        return [cx for cx in self.contexts if cx.result == ContextResult.ACCEPTANCE]

    @property
    def rejected_contexts(self) -> list[PresentationContext]:
        """The contexts with any other result, sorted by context ID."""
        return [cx for cx in self.contexts if cx.result != ContextResult.ACCEPTANCE]


# ---------------------------------------------------------------- acceptor


def _reject_code(
    rq: A_ASSOCIATE_RQ, policy: AcceptorPolicy, decisions: NegotiationDecisions
) -> RejectCode | None:
    """Return why *rq* is rejected, checked in pynetdicom's order, or None."""
    name = rq.application_context.application_context_name
    allowed = {aet.strip() for aet in policy.require_calling_aet}
    called = rq.called_ae_title.strip()
    identity = decisions.user_identity
    checks = (
        # PS3.8 9.3.2: bit 0 of the protocol version is version 1, ours.
        (not rq.protocol_version & 0x0001, ACSE_REJECT_PROTOCOL_VERSION),
        # PS3.7 A.2.1: the only application context DICOM defines.
        (name != DICOM_APPLICATION_CONTEXT_NAME, REJECT_APPLICATION_CONTEXT),
        # PS3.8 7.1.1.3/7.1.1.4: AE titles compare without space padding.
        (
            bool(allowed) and rq.calling_ae_title.strip() not in allowed,
            REJECT_CALLING_AET,
        ),
        (
            policy.require_called_aet and called != policy.ae_title.strip(),
            REJECT_CALLED_AET,
        ),
        (policy.maximum_associations_reached, REJECT_LOCAL_LIMIT),
        (identity is not None and not identity[0], REJECT_USER_IDENTITY),
    )
    return next((code for failed, code in checks if failed), None)


def _proposed_contexts(rq: A_ASSOCIATE_RQ) -> list[PresentationContext]:
    """Convert the RQ items, turning bad values into a protocol error."""
    contexts: list[PresentationContext] = []
    seen: set[int] = set()
    for item in rq.presentation_contexts:
        if item.context_id in seen:
            raise InvalidPDUParameterValueError(
                f"Presentation context ID {item.context_id} proposed twice"
            )
        seen.add(item.context_id)
        try:
            contexts.append(from_rq_item(item))
        except (TypeError, ValueError) as exc:
            raise InvalidPDUParameterValueError(str(exc)) from exc
    return contexts


def _window(decided: int, proposed: int) -> int:
    """Clamp a decided window to the proposed one; 0 is unlimited."""
    if proposed == 0:
        return decided
    if decided == 0:
        return proposed
    return min(decided, proposed)


def _async_reply(
    proposed: AsynchronousOperationsWindowSubItem | None,
    decided: tuple[int, int] | None,
) -> tuple[int, int] | None:
    """Return the window we answer (PS3.7 D.3.3.3), or None for no reply item.

    The acceptor's values shall not exceed the requestor's, so the handler's
    decision is clamped to the proposal. dicomnet performs operations one at
    a time today, so any window it grants is honoured by being sequential.
    """
    if proposed is None or decided is None:
        return None
    return (
        _window(decided[0], proposed.maximum_number_operations_invoked),
        _window(decided[1], proposed.maximum_number_operations_performed),
    )


def _identity_response(
    proposed: UserIdentityRQSubItem | None,
    decided: tuple[bool, bytes | None] | None,
) -> bytes | None:
    """Return the server response to send (PS3.7 D.3.3.7), or None for no item.

    A response is sent only when the requestor asked for one and the handler
    verified the identity. PS3.7 D.3.3.7.2 makes it zero length for the
    username types; pynetdicom sends nothing for those, but the standard's
    wording is followed here. For the token types the handler's response is
    sent, and nothing if it gave none.
    """
    if proposed is None or decided is None or not proposed.positive_response_requested:
        return None
    if proposed.user_identity_type not in _TOKEN_IDENTITY_TYPES:
        return b""
    return decided[1]


def _ac_user_information(
    policy: AcceptorPolicy,
    async_ops: tuple[int, int] | None,
    roles: Sequence[SCPSCURoleSelectionSubItem],
    extended: Mapping[str, bytes],
    identity: bytes | None,
) -> UserInformationItem:
    """Assemble the AC's sub-items in item-type order (PS3.7 Annex D)."""
    subs: list[UserInformationSubItem] = [
        MaximumLengthSubItem(maximum_length_received=policy.maximum_pdu_length),
        ImplementationClassUIDSubItem(
            implementation_class_uid=policy.implementation_class_uid
        ),
    ]
    if async_ops is not None:
        subs.append(
            AsynchronousOperationsWindowSubItem(
                maximum_number_operations_invoked=async_ops[0],
                maximum_number_operations_performed=async_ops[1],
            )
        )
    subs.extend(roles)
    if policy.implementation_version_name is not None:
        subs.append(
            ImplementationVersionNameSubItem(
                implementation_version_name=policy.implementation_version_name
            )
        )
    subs.extend(
        SOPClassExtendedNegotiationSubItem(
            sop_class_uid=uid, service_class_application_information=info
        )
        for uid, info in extended.items()
    )
    if identity is not None:
        subs.append(UserIdentityACSubItem(server_response=identity))
    return UserInformationItem(sub_items=tuple(subs))


def negotiate_acceptor(
    rq: A_ASSOCIATE_RQ,
    policy: AcceptorPolicy,
    decisions: NegotiationDecisions | None = None,
) -> AcceptorOutcome:
    """Answer an A-ASSOCIATE-RQ with an A-ASSOCIATE-AC or -RJ.

    A request without an Implementation Class UID or a Maximum Length
    sub-item is negotiated all the same. PS3.7 D.3.3.2 and PS3.8 D.1 make
    both mandatory, but neither changes what can be agreed: the UID only
    names the peer's software, and a missing length is taken as
    ``DEFAULT_MAX_LENGTH`` (:attr:`UserInformation.peer_maximum_length`).
    Refusing would only lose associations that work; the API layer logs a
    warning instead.

    Parameters
    ----------
    rq : A_ASSOCIATE_RQ
        The request received.
    policy : AcceptorPolicy
        Our configuration.
    decisions : NegotiationDecisions, optional
        The user's handlers' answers; default: no handlers bound.

    Returns
    -------
    AcceptorOutcome

    Raises
    ------
    InvalidPDUParameterValueError
        If a presentation context item is malformed or repeats an ID.
    """
    decisions = decisions or NegotiationDecisions()
    info = UserInformation.from_item(rq.user_information)
    base = AcceptorOutcome(
        peer_maximum_length=info.peer_maximum_length,
        maximum_length=policy.maximum_pdu_length,
        peer_implementation_class_uid=info.implementation_class_uid,
        peer_implementation_version_name=info.implementation_version_name,
        user_identity=info.user_identity_rq,
    )
    code = _reject_code(rq, policy, decisions)
    if code is not None:
        rj = A_ASSOCIATE_RJ(result=code.result, source=code.source, reason=code.reason)
        return replace(base, reject=rj)
    # PS3.7 D.3.3.4: role proposals are answered with the context results.
    contexts, roles = negotiate_as_acceptor(
        _proposed_contexts(rq),
        policy.supported_contexts,
        [info.roles[uid] for uid in info.roles],
        prefer_acceptor_order=policy.prefer_acceptor_transfer_syntax,
    )
    async_ops = _async_reply(info.async_ops, decisions.async_ops)
    # PS3.7 D.3.3.5: reply only for SOP classes the requestor asked about.
    extended = {
        uid: data
        for uid, data in decisions.sop_class_extended.items()
        if uid in info.sop_class_extended
    }
    # PS3.7 D.3.3.6: the sub-item has no A-ASSOCIATE-AC form; the accepted
    # ones are only recorded, for service routing.
    common = {
        uid: sub
        for uid, sub in info.sop_class_common_extended.items()
        if uid in decisions.sop_class_common_extended
    }
    identity = _identity_response(info.user_identity_rq, decisions.user_identity)
    # PS3.8 9.3.3: the AE title fields echo the RQ.
    ac = A_ASSOCIATE_AC(
        called_ae_title=rq.called_ae_title,
        calling_ae_title=rq.calling_ae_title,
        presentation_contexts=tuple(to_ac_item(cx) for cx in contexts),
        user_information=_ac_user_information(
            policy, async_ops, roles, extended, identity
        ),
    )
    return replace(
        base,
        accept=ac,
        contexts=tuple(contexts),
        async_ops=async_ops,
        roles=tuple(roles),
        user_identity_response=identity,
        sop_class_extended=extended,
        sop_class_common_extended=common,
    )


# ---------------------------------------------------------------- requestor

# Extended negotiation sub-items a requestor may add (pynetdicom's ext_neg).
_EXT_NEG_TYPES: Final = (
    AsynchronousOperationsWindowSubItem,
    SCPSCURoleSelectionSubItem,
    SOPClassExtendedNegotiationSubItem,
    SOPClassCommonExtendedNegotiationSubItem,
    UserIdentityRQSubItem,
)

# PS3.8 9.3.2.2: at most 128 presentation contexts (odd IDs 1 to 255).
_MAX_CONTEXTS: Final = 128


def _numbered(contexts: Sequence[PresentationContext]) -> list[PresentationContext]:
    """Return *contexts*, numbered 1, 3, 5... if none has an ID yet."""
    if not contexts or len(contexts) > _MAX_CONTEXTS:
        raise ValueError("Between 1 and 128 presentation contexts are required")
    ids = [cx.context_id for cx in contexts]
    if all(cid is None for cid in ids):
        # pynetdicom's associate(): copies numbered 1, 3, 5... in order.
        return [_copy(cx, 2 * index + 1) for index, cx in enumerate(contexts)]
    if None in ids or len(set(ids)) != len(ids):
        raise ValueError("Context IDs must all be set and unique, or all None")
    return list(contexts)


def _copy(cx: PresentationContext, context_id: int) -> PresentationContext:
    copy = PresentationContext()
    copy.context_id = context_id
    copy.abstract_syntax = cx.abstract_syntax
    copy.transfer_syntax = list(cx.transfer_syntax)
    copy.scu_role, copy.scp_role = cx.scu_role, cx.scp_role
    return copy


def build_associate_rq(  # noqa: PLR0913  (the A-ASSOCIATE request parameters)
    *,
    called_ae_title: str,
    calling_ae_title: str,
    contexts: Sequence[PresentationContext],
    implementation_class_uid: str,
    implementation_version_name: str | None = None,
    maximum_length: int = DEFAULT_MAX_LENGTH,
    extended_negotiation: Iterable[UserInformationSubItem] = (),
) -> A_ASSOCIATE_RQ:
    """Build the A-ASSOCIATE-RQ for the given contexts and negotiation items.

    Parameters
    ----------
    called_ae_title, calling_ae_title : str
        The peer's AE title and ours.
    contexts : sequence of PresentationContext
        1 to 128 contexts; if none has an ID they are numbered 1, 3, 5...
        in order, otherwise every one needs a unique ID.
    implementation_class_uid : str
        Mandatory (PS3.7 D.3.3.2).
    implementation_version_name : str, optional
        Sent when given.
    maximum_length : int, optional
        Our Maximum Length Received (PS3.8 D.1); 0 means no limit.
    extended_negotiation : iterable of sub-items, optional
        Async operations window, role selection, SOP class (common) extended
        negotiation and user identity sub-items.

    Returns
    -------
    A_ASSOCIATE_RQ

    Raises
    ------
    TypeError
        If an extended negotiation item is of another type.
    ValueError
        If the contexts are not 1 to 128 with valid, unique IDs.
    """
    extras = list(extended_negotiation)
    for sub in extras:
        if not isinstance(sub, _EXT_NEG_TYPES):
            raise TypeError(f"Not an extended negotiation item: {sub!r}")
    numbered = _numbered(contexts)
    subs: list[UserInformationSubItem] = [
        MaximumLengthSubItem(maximum_length_received=maximum_length),
        ImplementationClassUIDSubItem(
            implementation_class_uid=implementation_class_uid
        ),
        *extras,
    ]
    if implementation_version_name is not None:
        subs.append(
            ImplementationVersionNameSubItem(
                implementation_version_name=implementation_version_name
            )
        )
    # PS3.7 Annex D lists the sub-items in item-type order; peers expect it.
    subs.sort(key=_item_type)
    return A_ASSOCIATE_RQ(
        called_ae_title=called_ae_title,
        calling_ae_title=calling_ae_title,
        presentation_contexts=tuple(to_rq_item(cx) for cx in numbered),
        user_information=UserInformationItem(sub_items=tuple(subs)),
    )


_ITEM_ORDER: Final[Mapping[type, int]] = {
    MaximumLengthSubItem: 0x51,
    ImplementationClassUIDSubItem: 0x52,
    AsynchronousOperationsWindowSubItem: 0x53,
    SCPSCURoleSelectionSubItem: 0x54,
    ImplementationVersionNameSubItem: 0x55,
    SOPClassExtendedNegotiationSubItem: 0x56,
    SOPClassCommonExtendedNegotiationSubItem: 0x57,
    UserIdentityRQSubItem: 0x58,
}


def _item_type(sub: UserInformationSubItem) -> int:
    return _ITEM_ORDER[type(sub)]


def _check_accepted(
    proposed: Mapping[int, PresentationContext],
    contexts: Iterable[PresentationContext],
) -> None:
    """Check each accepted context carries a syntax we proposed (PS3.8 9.3.3.2)."""
    for cx in contexts:
        if cx.result != ContextResult.ACCEPTANCE or cx.context_id is None:
            continue
        offered = proposed[cx.context_id].transfer_syntax
        if len(cx.transfer_syntax) != 1 or cx.transfer_syntax[0] not in offered:
            raise InvalidPDUParameterValueError(
                f"Context {cx.context_id} accepted with a transfer syntax "
                f"that was not proposed: {cx.transfer_syntax!r}"
            )


def negotiate_requestor(rq: A_ASSOCIATE_RQ, ac: A_ASSOCIATE_AC) -> RequestorOutcome:
    """Read the acceptor's answer to our request.

    Like :func:`negotiate_acceptor`, this tolerates an answer without an
    Implementation Class UID or a Maximum Length sub-item.

    Parameters
    ----------
    rq : A_ASSOCIATE_RQ
        The request we sent (its role items are our role proposals).
    ac : A_ASSOCIATE_AC
        The acceptor's answer.

    Returns
    -------
    RequestorOutcome

    Raises
    ------
    InvalidPDUParameterValueError
        If a context is accepted with a transfer syntax we did not propose.
    """
    ours = UserInformation.from_item(rq.user_information)
    theirs = UserInformation.from_item(ac.user_information)
    requested = _proposed_contexts(rq)
    for cx in requested:
        role = ours.roles.get(str(cx.abstract_syntax))
        if role is not None:
            cx.scu_role, cx.scp_role = role.scu_role, role.scp_role
    answers = [from_ac_item(item) for item in ac.presentation_contexts]
    contexts = negotiate_as_requestor(requested, answers, theirs.roles.values())
    _check_accepted({cx.context_id or 0: cx for cx in requested}, contexts)
    async_ops = theirs.async_ops
    identity = theirs.user_identity_ac
    return RequestorOutcome(
        contexts=tuple(contexts),
        peer_maximum_length=theirs.peer_maximum_length,
        peer_implementation_class_uid=theirs.implementation_class_uid,
        peer_implementation_version_name=theirs.implementation_version_name,
        async_ops=None
        if async_ops is None
        else (
            async_ops.maximum_number_operations_invoked,
            async_ops.maximum_number_operations_performed,
        ),
        roles=tuple(theirs.roles.values()),
        user_identity_response=None if identity is None else identity.server_response,
        sop_class_extended=dict(theirs.sop_class_extended),
    )


_REJECT_TEXT: Final[Mapping[tuple[int, int], str]] = {
    (1, 1): "No reason given",
    (1, 2): "Application context name not supported",
    (1, 3): "Calling AE title not recognised",
    (1, 7): "Called AE title not recognised",
    (2, 1): "No reason given",
    (2, 2): "Protocol version not supported",
    (3, 1): "Temporary congestion",
    (3, 2): "Local limit exceeded",
}


def rejection_error(rj: A_ASSOCIATE_RJ) -> NegotiationError:
    """Return the :class:`~dicomnet.errors.NegotiationError` an RJ stands for."""
    kind = {1: "permanent", 2: "transient"}.get(rj.result, "unknown")
    reason = _REJECT_TEXT.get((rj.source, rj.reason), "Reserved reason")
    return NegotiationError(
        f"Association rejected ({kind}, source {rj.source}): {reason}",
        reject=RejectCode(rj.result, rj.source, rj.reason),
    )
