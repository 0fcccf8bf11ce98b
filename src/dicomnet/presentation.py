"""Presentation contexts and their negotiation, as pure functions.

A presentation context pairs one abstract syntax with the transfer syntaxes it
may be encoded in (PS3.8 7.1.1.13). The requestor proposes contexts, the
acceptor answers each with a result and at most one transfer syntax (PS3.8
7.1.1.14, 9.3.3.2), and SCP/SCU Role Selection (PS3.7 D.3.3.4) decides which
side may act as SCU or SCP on each. Nothing here does I/O: contexts and role
proposals go in, negotiated contexts and role replies come out.

The public names and behaviour follow pynetdicom 3's ``presentation`` module.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Final, NamedTuple

from pydicom import config
from pydicom.uid import UID

from dicomnet._globals import DEFAULT_TRANSFER_SYNTAXES
from dicomnet.ul.items import (
    ContextResult,
    PresentationContextItemAC,
    PresentationContextItemRQ,
    SCPSCURoleSelectionSubItem,
)

if TYPE_CHECKING:
    from dicomnet.pdu_primitives import SCP_SCU_RoleSelectionNegotiation

__all__ = [
    "BOTH_SCU_SCP_ROLE",
    "CONTEXT_REJECTED",
    "DEFAULT_ROLE",
    "INVERTED_ROLE",
    "SCP_SCU_ROLES",
    "PresentationContext",
    "PresentationContextTuple",
    "RoleProposals",
    "build_context",
    "build_role",
    "from_ac_item",
    "from_rq_item",
    "negotiate_as_acceptor",
    "negotiate_as_requestor",
    "to_ac_item",
    "to_rq_item",
]

#: PS3.5 9.1: a UID is at most 64 characters.
_MAX_UID_LENGTH: Final = 64
#: ``str`` -> :class:`UID` for the UIDs seen so far: a storage SCU proposes the
#: same hundred-odd SOP classes and transfer syntaxes in every A-ASSOCIATE-RQ,
#: and building a ``UID`` costs more than the rest of a context's negotiation.
#: Bounded, so that a peer sending new UIDs cannot grow it without limit.
_UIDS: Final[dict[str, UID]] = {}
_MAX_CACHED_UIDS: Final = 4096

_STATUS: Final[Mapping[int | None, str]] = {
    None: "Pending",
    ContextResult.ACCEPTANCE: "Accepted",
    ContextResult.USER_REJECTION: "User Rejected",
    ContextResult.NO_REASON: "Provider Rejected",
    ContextResult.ABSTRACT_SYNTAX_NOT_SUPPORTED: "Abstract Syntax Not Supported",
    ContextResult.TRANSFER_SYNTAXES_NOT_SUPPORTED: "Transfer Syntax(es) Not Supported",
}


def _to_uid(value: object, name: str) -> UID:
    """Return *value* as a :class:`~pydicom.uid.UID`, or raise.

    Only the PS3.5 9.1 length rules are enforced (non-empty, at most 64
    characters): peers in the field use UIDs with odd components, and refusing
    them here would refuse the association for a cosmetic fault.
    """
    if isinstance(value, bytes):
        # PS3.8 9.3.2.2.1: UIDs on the wire may carry a trailing NUL pad.
        value = value.decode("ascii", errors="replace").rstrip("\0 ")
    if not isinstance(value, str):
        raise TypeError(f"'{name}' must be str, bytes or UID, not {type(value)!r}")
    cached = _UIDS.get(value)
    if cached is not None:
        return cached
    if not value or len(value) > _MAX_UID_LENGTH:
        raise ValueError(f"Invalid '{name}' value {value!r}: must be 1 to 64 chars")
    # No pydicom validation warning: a peer's odd UID is tolerated on purpose
    # (see above), and a warning per context would flood the log.
    uid = UID(value, validation_mode=config.IGNORE)
    if len(_UIDS) < _MAX_CACHED_UIDS:
        _UIDS[str(value)] = uid
    return uid


def _check_role(value: object, name: str) -> bool | None:
    if value is not None and not isinstance(value, bool):
        raise TypeError(f"'{name}' must be bool or None, not {type(value)!r}")
    return value


class PresentationContextTuple(NamedTuple):
    """A negotiated context reduced to what the DIMSE layer needs."""

    context_id: int | None
    abstract_syntax: UID | None
    transfer_syntax: UID | None


class PresentationContext:
    """A presentation context: an abstract syntax and its transfer syntaxes.

    Used three ways, as in pynetdicom: a *requested* context (what we
    propose), a *supported* context (what we accept, with the roles we grant
    in ``scu_role``/``scp_role``) and a *negotiated* context (``result``,
    one transfer syntax, and ``as_scu``/``as_scp``).

    Attributes
    ----------
    context_id : int or None
        Odd integer 1 to 255 (PS3.8 9.3.2.2).
    abstract_syntax : pydicom.uid.UID or None
        The SOP class or meta SOP class UID.
    transfer_syntax : list of pydicom.uid.UID
        Proposed syntaxes in order of preference, or the one accepted.
    scu_role, scp_role : bool or None
        Acceptor only: whether a requestor's proposal of that role is accepted.
    result : int or None
        Result/Reason of PS3.8 Table 9-18; ``None`` until negotiated.
    """

    def __init__(self) -> None:
        self._context_id: int | None = None
        self._abstract_syntax: UID | None = None
        self._transfer_syntax: list[UID] = []
        self._scu_role: bool | None = None
        self._scp_role: bool | None = None
        self._result: int | None = None
        self._as_scu: bool | None = None
        self._as_scp: bool | None = None

    @property
    def context_id(self) -> int | None:
        """Get or set the context ID: an odd integer from 1 to 255, or None."""
        return self._context_id

    @context_id.setter
    def context_id(self, value: int | None) -> None:
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError("'context_id' must be an int or None")
            # PS3.8 9.3.2.2: odd integers between 1 and 255.
            if not (1 <= value <= 255 and value % 2):
                raise ValueError(
                    "'context_id' must be an odd integer between 1 and 255, inclusive"
                )
        self._context_id = value

    @property
    def abstract_syntax(self) -> UID | None:
        """Get or set the abstract syntax (str, bytes or UID)."""
        return self._abstract_syntax

    @abstract_syntax.setter
    def abstract_syntax(self, value: str | bytes | None) -> None:
        self._abstract_syntax = (
            None if value is None else _to_uid(value, "abstract_syntax")
        )

    @property
    def transfer_syntax(self) -> list[UID]:
        """Get or set the transfer syntaxes; setting takes a list and drops repeats."""
        return self._transfer_syntax

    @transfer_syntax.setter
    def transfer_syntax(self, value: list[str] | list[UID] | list[bytes]) -> None:
        if not isinstance(value, list):
            raise TypeError("'transfer_syntax' must be a list")
        syntaxes = [_to_uid(uid, "transfer_syntax") for uid in value]
        self._transfer_syntax = list(dict.fromkeys(syntaxes))

    def add_transfer_syntax(self, syntax: str | bytes | None) -> None:
        """Append *syntax* unless it is ``None`` or already present."""
        if syntax is None:
            return
        uid = _to_uid(syntax, "transfer_syntax")
        if uid not in self._transfer_syntax:
            self._transfer_syntax.append(uid)

    @property
    def scu_role(self) -> bool | None:
        """Get or set whether the acceptor grants a proposed requestor SCU role."""
        return self._scu_role

    @scu_role.setter
    def scu_role(self, value: bool | None) -> None:
        self._scu_role = _check_role(value, "scu_role")

    @property
    def scp_role(self) -> bool | None:
        """Get or set whether the acceptor grants a proposed requestor SCP role."""
        return self._scp_role

    @scp_role.setter
    def scp_role(self, value: bool | None) -> None:
        self._scp_role = _check_role(value, "scp_role")

    @property
    def result(self) -> int | None:
        """Get or set the result (PS3.8 Table 9-18); any value a peer sends is kept."""
        return self._result

    @result.setter
    def result(self, value: int | None) -> None:
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int)
        ):
            raise TypeError("'result' must be an int or None")
        # Kept as a plain int (not ContextResult) as pynetdicom users expect.
        self._result = None if value is None else int(value)

    @property
    def status(self) -> str:
        """A readable form of :attr:`result` (``"Pending"`` before negotiation)."""
        return _STATUS.get(self._result, "Unknown")

    @property
    def as_scu(self) -> bool | None:
        """After negotiation, whether *we* may act as SCU on this context."""
        return self._as_scu

    @property
    def as_scp(self) -> bool | None:
        """After negotiation, whether *we* may act as SCP on this context."""
        return self._as_scp

    @property
    def as_tuple(self) -> PresentationContextTuple:
        """The ID, abstract syntax and first transfer syntax as a NamedTuple."""
        first = self._transfer_syntax[0] if self._transfer_syntax else None
        return PresentationContextTuple(self._context_id, self._abstract_syntax, first)

    def __eq__(self, other: object) -> bool:
        """Equal when ID, abstract syntax and transfer syntaxes are equal."""
        if not isinstance(other, PresentationContext):
            return NotImplemented
        return (
            self._context_id == other._context_id
            and self._abstract_syntax == other._abstract_syntax
            and self._transfer_syntax == other._transfer_syntax
        )

    # Mutable and compared by value: unhashable, like list.
    __hash__ = None  # type: ignore[assignment]  # documented way to disable hashing

    def __repr__(self) -> str:
        """Return a one-line summary."""
        return (
            f"PresentationContext(context_id={self._context_id!r}, "
            f"abstract_syntax={self._abstract_syntax!r}, "
            f"transfer_syntax={[str(ts) for ts in self._transfer_syntax]!r}, "
            f"result={self._result!r})"
        )

    def __str__(self) -> str:
        """Return a multi-line human summary (not a stable format)."""
        lines = [
            f"ID: {self._context_id}" if self._context_id is not None else "ID: None",
            f"Abstract Syntax: {_uid_name(self._abstract_syntax)}",
            "Transfer Syntax(es):",
        ]
        lines.extend(f"    ={_uid_name(ts)}" for ts in self._transfer_syntax)
        if self._result is not None:
            lines.append(f"Result: {self.status}")
        if self._as_scu is not None or self._as_scp is not None:
            lines.append(
                f"Role: {_role_text(as_scu=self._as_scu, as_scp=self._as_scp)}"
            )
        return "\n".join(lines)


def _uid_name(uid: UID | None) -> str:
    # pydicom's name is the UID itself when the dictionary does not know it.
    return "None" if uid is None else uid.name


def _role_text(*, as_scu: bool | None, as_scp: bool | None) -> str:
    if as_scu and as_scp:
        return "SCU and SCP"
    if as_scu:
        return "SCU only"
    if as_scp:
        return "SCP only"
    return "(none)"


def build_context(
    abstract_syntax: str | bytes,
    transfer_syntax: str | bytes | Sequence[str | bytes] | None = None,
) -> PresentationContext:
    """Return a :class:`PresentationContext` without a context ID.

    Parameters
    ----------
    abstract_syntax : str, bytes or pydicom.uid.UID
        The SOP class UID.
    transfer_syntax : str, bytes, UID, sequence of them, or None
        ``None`` means a copy of ``DEFAULT_TRANSFER_SYNTAXES``; a single UID
        means a one-element list.

    Returns
    -------
    PresentationContext
    """
    if transfer_syntax is None:
        syntaxes: list[str | bytes] = list(DEFAULT_TRANSFER_SYNTAXES)
    elif isinstance(transfer_syntax, (str, bytes)):
        syntaxes = [transfer_syntax]
    else:
        syntaxes = list(transfer_syntax)
    cx = PresentationContext()
    cx.abstract_syntax = abstract_syntax
    for syntax in syntaxes:
        cx.add_transfer_syntax(syntax)
    return cx


# Role outcomes: (requestor as SCU, requestor as SCP, acceptor as SCU,
# acceptor as SCP). PS3.7 D.3.3.4: without a role item the requestor is SCU and
# the acceptor SCP.
DEFAULT_ROLE: Final = (True, False, False, True)
BOTH_SCU_SCP_ROLE: Final = (True, True, True, True)
CONTEXT_REJECTED: Final = (False, False, False, False)
INVERTED_ROLE: Final = (False, True, True, False)

Role = tuple[bool | None, bool | None]
RoleOutcome = tuple[bool, bool, bool, bool]

# PS3.7 D.3.3.4: the acceptor accepts each role the requestor proposed (1) or
# turns it down (0), and never grants an unproposed one; so the requestor keeps
# a role only where both sides said 1, and the acceptor takes the other one.
# Rows: requestor proposal; columns: acceptor (scu_role, scp_role).
_BOOL_ROLES: Final[Mapping[Role, Mapping[Role, RoleOutcome]]] = {
    (True, True): {
        (True, True): BOTH_SCU_SCP_ROLE,
        (True, False): DEFAULT_ROLE,
        (False, True): INVERTED_ROLE,
        (False, False): CONTEXT_REJECTED,
    },
    (True, False): {
        (True, True): DEFAULT_ROLE,
        (True, False): DEFAULT_ROLE,
        (False, True): CONTEXT_REJECTED,
        (False, False): CONTEXT_REJECTED,
    },
    (False, True): {
        (True, True): INVERTED_ROLE,
        (True, False): CONTEXT_REJECTED,
        (False, True): INVERTED_ROLE,
        (False, False): CONTEXT_REJECTED,
    },
    (False, False): {
        (True, True): CONTEXT_REJECTED,
        (True, False): CONTEXT_REJECTED,
        (False, True): CONTEXT_REJECTED,
        (False, False): CONTEXT_REJECTED,
    },
}

_ALL_ROLES: Final = tuple(
    (scu, scp) for scu in (None, False, True) for scp in (None, False, True)
)


def _build_role_table() -> dict[Role, dict[Role, RoleOutcome]]:
    """Expand :data:`_BOOL_ROLES` to every (None, bool) combination.

    No proposal, or an acceptor that did not configure both roles, leaves
    the default roles (PS3.7 D.3.3.4: no reply item means default).
    """
    table: dict[Role, dict[Role, RoleOutcome]] = {}
    for proposal in ((None, None), *_BOOL_ROLES):
        table[proposal] = {
            acceptor: _BOOL_ROLES.get(proposal, {}).get(acceptor, DEFAULT_ROLE)
            for acceptor in _ALL_ROLES
        }
    return table


#: ``SCP_SCU_ROLES[(requestor scu, scp)][(acceptor scu_role, scp_role)]``.
SCP_SCU_ROLES: Final = _build_role_table()

#: A requestor's role proposals: ``{SOP class UID: (scu, scp)}`` as in
#: pynetdicom, or the role selection sub-items themselves.
RoleProposals = Mapping[str, Role] | Iterable[SCPSCURoleSelectionSubItem]


def _role_map(roles: RoleProposals | None) -> dict[str, Role]:
    if roles is None:
        return {}
    if isinstance(roles, Mapping):
        return {str(uid): (scu, scp) for uid, (scu, scp) in roles.items()}
    # PS3.7 D.3.3.4: one item per SOP class; a repeat is ignored, not merged.
    result: dict[str, Role] = {}
    for item in roles:
        result.setdefault(item.sop_class_uid, (item.scu_role, item.scp_role))
    return result


def _supported_by_syntax(
    ac_contexts: Iterable[PresentationContext],
) -> dict[str, PresentationContext]:
    """Index the supported contexts by abstract syntax (the first one wins)."""
    index: dict[str, PresentationContext] = {}
    for cx in ac_contexts:
        if cx.abstract_syntax is not None:
            index.setdefault(cx.abstract_syntax, cx)
    return index


def _choose_syntax(
    proposed: Sequence[UID], supported: Sequence[UID], *, prefer_acceptor: bool
) -> UID | None:
    """Pick the one transfer syntax of an accepted context (PS3.8 7.1.1.14)."""
    first, second = (supported, proposed) if prefer_acceptor else (proposed, supported)
    return next((uid for uid in first if uid in second), None)


def _answer(
    rq_cx: PresentationContext,
    supported: PresentationContext | None,
    role: Role | None,
    *,
    prefer_acceptor: bool,
) -> PresentationContext:
    """Negotiate one proposed context against the acceptor's configuration."""
    # The proposal's values are UIDs already: copied without the setters.
    cx = PresentationContext()
    cx._context_id = rq_cx.context_id  # noqa: SLF001  (same module)
    cx._abstract_syntax = rq_cx.abstract_syntax  # noqa: SLF001
    # PS3.8 9.3.3.2: a rejected context still carries a transfer syntax
    # sub-item, whose value is not significant; send the first proposed one.
    cx._transfer_syntax = rq_cx.transfer_syntax[:1]  # noqa: SLF001
    cx._as_scu = cx._as_scp = False  # noqa: SLF001  (same module: negotiated state)
    if supported is None:
        cx._result = int(ContextResult.ABSTRACT_SYNTAX_NOT_SUPPORTED)  # noqa: SLF001
        return cx
    syntax = _choose_syntax(
        rq_cx.transfer_syntax,
        supported.transfer_syntax,
        prefer_acceptor=prefer_acceptor,
    )
    if syntax is None:
        cx._result = int(ContextResult.TRANSFER_SYNTAXES_NOT_SUPPORTED)  # noqa: SLF001
        return cx
    cx._transfer_syntax = [syntax]  # noqa: SLF001
    outcome = SCP_SCU_ROLES[role or (None, None)][
        (supported.scu_role, supported.scp_role)
    ]
    if outcome == CONTEXT_REJECTED:
        # PS3.7 D.3.3.4 lets the acceptor answer (0, 0), which leaves no role
        # for either side. pynetdicom 3 then rejects the context as a user
        # rejection (PS3.8 Table 9-18, result 1) and sends no role item; we do
        # the same so that a requestor sees the same AC from both.
        cx._result = int(ContextResult.USER_REJECTION)  # noqa: SLF001
        return cx
    cx._result = int(ContextResult.ACCEPTANCE)  # noqa: SLF001
    cx._as_scu, cx._as_scp = outcome[2], outcome[3]  # noqa: SLF001
    return cx


def negotiate_as_acceptor(
    rq_contexts: Iterable[PresentationContext],
    ac_contexts: Iterable[PresentationContext],
    roles: RoleProposals | None = None,
    *,
    prefer_acceptor_order: bool = False,
) -> tuple[list[PresentationContext], list[SCPSCURoleSelectionSubItem]]:
    """Answer each proposed context as the association acceptor.

    Parameters
    ----------
    rq_contexts : iterable of PresentationContext
        The proposed contexts (the A-ASSOCIATE-RQ's definition list).
    ac_contexts : iterable of PresentationContext
        The contexts we support; ``scu_role``/``scp_role`` say how we answer
        a role proposal for that abstract syntax.
    roles : mapping or iterable of SCPSCURoleSelectionSubItem, optional
        The requestor's role proposals, ``{SOP class UID: (scu, scp)}``.
    prefer_acceptor_order : bool, optional
        Choose the transfer syntax in the order of ``ac_contexts`` rather than
        in the requestor's order (the default, as pynetdicom).

    Returns
    -------
    contexts : list of PresentationContext
        One per proposed context, same context ID, sorted by ID, each with a
        ``result``, one transfer syntax and ``as_scu``/``as_scp`` (our roles).
    role_items : list of SCPSCURoleSelectionSubItem
        The role replies for the A-ASSOCIATE-AC.
    """
    supported = _supported_by_syntax(ac_contexts)
    proposals = _role_map(roles)
    results: list[PresentationContext] = []
    replies: dict[str, SCPSCURoleSelectionSubItem] = {}
    for rq_cx in rq_contexts:
        uid = rq_cx.abstract_syntax
        ac_cx = supported.get(uid) if uid is not None else None
        role = proposals.get(uid) if uid is not None else None
        cx = _answer(rq_cx, ac_cx, role, prefer_acceptor=prefer_acceptor_order)
        results.append(cx)
        if uid is None or role in (None, (None, None)) or ac_cx is None:
            continue  # nothing proposed: no reply (PS3.7 D.3.3.4)
        if cx.result != ContextResult.ACCEPTANCE:
            continue
        if ac_cx.scu_role is None or ac_cx.scp_role is None:
            continue  # no role configuration: no reply, so default roles
        # PS3.7 D.3.3.4: reply 1 only for a role that was proposed.
        replies.setdefault(
            uid,
            SCPSCURoleSelectionSubItem(
                sop_class_uid=uid,
                scu_role=bool(role[0] and ac_cx.scu_role),
                scp_role=bool(role[1] and ac_cx.scp_role),
            ),
        )
    results.sort(key=lambda cx: cx.context_id or 0)
    return results, list(replies.values())


def _requestor_roles(
    rq_cx: PresentationContext, reply: Role | None
) -> tuple[bool, bool]:
    """Our (as_scu, as_scp) as requestor for one accepted context."""
    proposed = (rq_cx.scu_role, rq_cx.scp_role)
    if reply is None or proposed == (None, None):
        return DEFAULT_ROLE[0], DEFAULT_ROLE[1]
    # PS3.7 D.3.3.4: the requestor ignores a reply for a role it did not
    # propose, and a role the acceptor answered 0 is lost.
    return bool(proposed[0] and reply[0]), bool(proposed[1] and reply[1])


def negotiate_as_requestor(
    rq_contexts: Iterable[PresentationContext],
    ac_contexts: Iterable[PresentationContext],
    roles: RoleProposals | None = None,
) -> list[PresentationContext]:
    """Merge the acceptor's answers into the contexts we proposed.

    Parameters
    ----------
    rq_contexts : iterable of PresentationContext
        The contexts we proposed; ``scu_role``/``scp_role`` hold the roles we
        proposed for that abstract syntax (``None`` = no proposal).
    ac_contexts : iterable of PresentationContext
        The A-ASSOCIATE-AC's results (context ID, result, transfer syntax).
    roles : mapping or iterable of SCPSCURoleSelectionSubItem, optional
        The acceptor's role replies.

    Returns
    -------
    list of PresentationContext
        One per proposed context, sorted by context ID, with the abstract
        syntax, result, chosen transfer syntax and our ``as_scu``/``as_scp``.
        A proposed context missing from the AC is a provider rejection
        (result 2): PS3.8 7.1.1.14 requires one result per proposed context.
    """
    answers = {cx.context_id: cx for cx in ac_contexts}
    replies = _role_map(roles)
    merged: list[PresentationContext] = []
    for rq_cx in rq_contexts:
        cx = PresentationContext()
        cx.context_id = rq_cx.context_id
        cx.abstract_syntax = rq_cx.abstract_syntax
        answer = answers.get(rq_cx.context_id)
        cx.result = ContextResult.NO_REASON if answer is None else answer.result
        accepted = answer is not None and answer.result == ContextResult.ACCEPTANCE
        source = answer if accepted and answer is not None else rq_cx
        cx.transfer_syntax = list(source.transfer_syntax)
        cx._as_scu = cx._as_scp = False  # noqa: SLF001
        if accepted and rq_cx.abstract_syntax is not None:
            reply = replies.get(rq_cx.abstract_syntax)
            cx._as_scu, cx._as_scp = _requestor_roles(rq_cx, reply)  # noqa: SLF001
        merged.append(cx)
    merged.sort(key=lambda cx: cx.context_id or 0)
    return merged


def to_rq_item(cx: PresentationContext) -> PresentationContextItemRQ:
    """Return the A-ASSOCIATE-RQ item (PS3.8 9.3.2.2) for a requested context.

    Raises
    ------
    ValueError
        If the context has no ID, abstract syntax or transfer syntax.
    """
    if cx.context_id is None or cx.abstract_syntax is None or not cx.transfer_syntax:
        raise ValueError(
            "A requested context needs an ID, an abstract syntax and at least "
            f"one transfer syntax: {cx!r}"
        )
    return PresentationContextItemRQ(
        context_id=cx.context_id,
        abstract_syntax=str(cx.abstract_syntax),
        transfer_syntaxes=tuple(str(ts) for ts in cx.transfer_syntax),
    )


def to_ac_item(cx: PresentationContext) -> PresentationContextItemAC:
    """Return the A-ASSOCIATE-AC item (PS3.8 9.3.3.2) for a negotiated context.

    Raises
    ------
    ValueError
        If the context has no ID or no result.
    """
    if cx.context_id is None or cx.result is None:
        raise ValueError(f"A negotiated context needs an ID and a result: {cx!r}")
    syntax = str(cx.transfer_syntax[0]) if cx.transfer_syntax else None
    return PresentationContextItemAC(
        context_id=cx.context_id, result=cx.result, transfer_syntax=syntax
    )


def from_rq_item(item: PresentationContextItemRQ) -> PresentationContext:
    """Return the :class:`PresentationContext` an A-ASSOCIATE-RQ item proposes."""
    # build_context's work without its argument forms: this runs for every
    # context of every A-ASSOCIATE-RQ (a storage SCU proposes a hundred).
    cx = PresentationContext()
    cx.context_id = item.context_id
    cx._abstract_syntax = _to_uid(item.abstract_syntax, "abstract_syntax")  # noqa: SLF001  (same module)
    syntaxes = [_to_uid(uid, "transfer_syntax") for uid in item.transfer_syntaxes]
    cx._transfer_syntax = list(dict.fromkeys(syntaxes))  # noqa: SLF001
    return cx


def from_ac_item(item: PresentationContextItemAC) -> PresentationContext:
    """Return the result an A-ASSOCIATE-AC item carries (no abstract syntax)."""
    cx = PresentationContext()
    cx.context_id = item.context_id
    cx._result = item.result  # noqa: SLF001  (a decoded int, kept as sent)
    if item.transfer_syntax:
        cx._transfer_syntax = [_to_uid(item.transfer_syntax, "transfer_syntax")]  # noqa: SLF001
    return cx


def build_role(
    uid: str | bytes,
    scu_role: bool = False,  # noqa: FBT001, FBT002  (pynetdicom's signature)
    scp_role: bool = False,  # noqa: FBT001, FBT002
) -> SCP_SCU_RoleSelectionNegotiation:
    """Return an SCP/SCU Role Selection proposal for ``ext_neg`` (PS3.7 D.3.3.4).

    Parameters
    ----------
    uid : str, bytes or pydicom.uid.UID
        The SOP class UID the proposal is for.
    scu_role : bool, optional
        Propose that the requestor may act as SCU (default ``False``).
    scp_role : bool, optional
        Propose that the requestor may act as SCP (default ``False``), e.g.
        to receive the C-STORE sub-operations of a C-GET.

    Returns
    -------
    pdu_primitives.SCP_SCU_RoleSelectionNegotiation
    """
    # The compat primitive lives in the API ring, which imports this module;
    # importing it at call time keeps the core free of it at import time.
    from dicomnet.pdu_primitives import (  # noqa: PLC0415
        SCP_SCU_RoleSelectionNegotiation as Role,
    )

    role = Role()
    role.sop_class_uid = uid
    role.scu_role = scu_role
    role.scp_role = scp_role
    return role
