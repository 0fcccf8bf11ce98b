"""The Application Entity: configuration and presentation contexts.

:class:`ApplicationEntity` (``dicomnet.AE``) holds what every association it
requests or accepts starts from: its AE title, timeouts, limits, the
implementation identity it sends (PS3.7 D.3.3.2) and the presentation
contexts it proposes (as requestor) and supports (as acceptor). Names,
defaults and validation follow pynetdicom 3's ``ApplicationEntity``.

Invalid timeouts and limits are replaced by their default with a logged
warning rather than raised, as pynetdicom does, so that scripts written for it
keep running; invalid AE titles and UIDs raise.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final, Protocol

from dicomnet._ae_network import NetworkMixin
from dicomnet._globals import DEFAULT_MAX_LENGTH
from dicomnet._validators import check_ae_title, check_uid
from dicomnet._version import (
    DICOMNET_IMPLEMENTATION_UID,
    DICOMNET_IMPLEMENTATION_VERSION,
)
from dicomnet.presentation import PresentationContext, build_context

if TYPE_CHECKING:
    from collections.abc import Iterable

    from pydicom.uid import UID

__all__ = [
    "DEFAULT_AE_TITLE",
    "MAX_REQUESTED_CONTEXTS",
    "ApplicationEntity",
    "TrackedAssociation",
]

_LOGGER = logging.getLogger(__name__)

#: The default AE title: pynetdicom's ``"PYNETDICOM"`` under the rename rule
#: (a pynetdicom program runs after replacing the word with ``dicomnet``).
DEFAULT_AE_TITLE: Final = "DICOMNET"

#: PS3.8 9.3.2.2: context IDs are the odd integers 1 to 255, so an
#: A-ASSOCIATE-RQ proposes at most 128 presentation contexts.
MAX_REQUESTED_CONTEXTS: Final = 128

#: PS3.8 D.1.1: the maximum length received is a 4-byte unsigned integer.
_MAX_PDU_FIELD: Final = 0xFFFFFFFF

_DEFAULT_ACSE_TIMEOUT: Final = 30.0
_DEFAULT_DIMSE_TIMEOUT: Final = 30.0
_DEFAULT_NETWORK_TIMEOUT: Final = 60.0
_DEFAULT_MAXIMUM_ASSOCIATIONS: Final = 10

UIDLike = str | bytes
TransferSyntaxes = UIDLike | Sequence[UIDLike] | None


class TrackedAssociation(Protocol):
    """What the AE needs of an association it tracks: its four timeouts."""

    acse_timeout: float | None
    dimse_timeout: float | None
    network_timeout: float | None
    connection_timeout: float | None


def _timeout(
    value: object, name: str, default: float | None, *, allow_zero: bool = True
) -> float | None:
    """Return *value* if it is a valid timeout, else *default* with a warning."""
    if value is None:
        return None
    # bool is an int subclass, but True is no timeout anyone means.
    if (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and (value > 0 or (allow_zero and value == 0))
    ):
        return value  # kept as given, int or float
    _LOGGER.warning("Invalid '%s' value %r: %s set to %s", name, value, name, default)
    return default


def _as_text(value: UIDLike) -> str:
    """Return a UID given as str, UID or bytes as text, for comparisons."""
    if isinstance(value, bytes):
        return value.decode("ascii", errors="replace").rstrip("\0 ")
    return str(value)


def _syntax_set(transfer_syntax: TransferSyntaxes) -> set[str] | None:
    if transfer_syntax is None:
        return None
    if isinstance(transfer_syntax, str | bytes):
        return {_as_text(transfer_syntax)}
    return {_as_text(syntax) for syntax in transfer_syntax}


def _context_syntaxes(value: object) -> list[tuple[UID, list[UID]]]:
    """Return the abstract and transfer syntaxes of a list of contexts.

    Raises ``ValueError`` unless *value* is a sequence of
    :class:`PresentationContext` that all have an abstract syntax.
    """
    message = "'contexts' must be a list of PresentationContext items"
    if not isinstance(value, Sequence) or isinstance(value, str | bytes):
        raise ValueError(message)  # noqa: TRY004  (pynetdicom raises ValueError)
    syntaxes: list[tuple[UID, list[UID]]] = []
    for cx in value:
        if not isinstance(cx, PresentationContext):
            raise ValueError(message)  # noqa: TRY004  (as above)
        if cx.abstract_syntax is None:
            raise ValueError(f"{message}, each with an abstract syntax")
        syntaxes.append((cx.abstract_syntax, list(cx.transfer_syntax)))
    return syntaxes


def _remove_syntaxes(
    contexts: Iterable[PresentationContext],
    abstract_syntax: UIDLike,
    transfer_syntax: TransferSyntaxes,
) -> list[PresentationContext]:
    """Return *contexts* less the given syntaxes (all, if *transfer_syntax* is None).

    A context left without a transfer syntax is dropped: PS3.8 9.3.2.2 requires
    one or more in each proposed context.
    """
    target = _as_text(abstract_syntax)
    removed = _syntax_set(transfer_syntax)
    kept: list[PresentationContext] = []
    for cx in contexts:
        if cx.abstract_syntax != target:
            kept.append(cx)
            continue
        if removed is None:
            continue
        cx.transfer_syntax = [ts for ts in cx.transfer_syntax if ts not in removed]
        if cx.transfer_syntax:
            kept.append(cx)
    return kept


class ApplicationEntity(NetworkMixin):
    """A DICOM Application Entity: configuration and presentation contexts.

    Parameters
    ----------
    ae_title : str, optional
        Our AE title: 1 to 16 ASCII characters, no backslash or control
        character, not all spaces. Default ``"DICOMNET"``.

    Notes
    -----
    Changing a timeout also changes it on every association in
    :attr:`active_associations`.
    """

    def __init__(self, ae_title: str = DEFAULT_AE_TITLE) -> None:
        self._ae_title = check_ae_title(ae_title)
        self._acse_timeout: float | None = _DEFAULT_ACSE_TIMEOUT
        self._dimse_timeout: float | None = _DEFAULT_DIMSE_TIMEOUT
        self._network_timeout: float | None = _DEFAULT_NETWORK_TIMEOUT
        self._connection_timeout: float | None = None
        self._maximum_associations = _DEFAULT_MAXIMUM_ASSOCIATIONS
        self._maximum_pdu_size = DEFAULT_MAX_LENGTH
        self._require_called_aet = False
        self._require_calling_aet: list[str] = []
        self._implementation_class_uid: UID = DICOMNET_IMPLEMENTATION_UID
        self._implementation_version_name: str | None = DICOMNET_IMPLEMENTATION_VERSION
        self._requested_contexts: list[PresentationContext] = []
        # Keyed by abstract syntax: PS3.8 7.1.1.13 lets an acceptor answer each
        # abstract syntax once, so one supported context per abstract syntax.
        self._supported_contexts: dict[str, PresentationContext] = {}
        # Fed by the association layer, which may run on other threads.
        self._associations: list[TrackedAssociation] = []
        self._associations_lock = threading.Lock()
        self._network_init()

    # -- identity --------------------------------------------------------------------

    @property
    def ae_title(self) -> str:
        """Get or set our AE title (``str``; ``bytes`` are deprecated)."""
        return self._ae_title

    @ae_title.setter
    def ae_title(self, value: str) -> None:
        self._ae_title = check_ae_title(value, "ae_title")

    @property
    def implementation_class_uid(self) -> UID:
        """Get or set the Implementation Class UID we send (PS3.7 D.3.3.2.1).

        It must conform to PS3.5 9.1, whatever
        ``_config.ENFORCE_UID_CONFORMANCE`` says: a peer may check it.
        """
        return self._implementation_class_uid

    @implementation_class_uid.setter
    def implementation_class_uid(self, value: str) -> None:
        self._implementation_class_uid = check_uid(
            value, "implementation_class_uid", conformant=True
        )

    @property
    def implementation_version_name(self) -> str | None:
        """Get or set the Implementation Version Name we send (PS3.7 D.3.3.2.3).

        ``None`` leaves the optional sub-item out; otherwise 1 to 16
        characters, validated as an AE title.
        """
        return self._implementation_version_name

    @implementation_version_name.setter
    def implementation_version_name(self, value: str | None) -> None:
        if value is None:
            self._implementation_version_name = None
            return
        if not isinstance(value, str):
            raise TypeError(
                "'implementation_version_name' must be str or None, "
                f"not '{type(value).__name__}'"
            )
        self._implementation_version_name = check_ae_title(
            value, "implementation_version_name"
        )

    # -- timeouts --------------------------------------------------------------------

    def _propagate(self, name: str, value: float | None) -> None:
        for assoc in self.active_associations:
            setattr(assoc, name, value)

    @property
    def acse_timeout(self) -> float | None:
        """Get or set the ACSE timeout in seconds (``None``: none; default 30).

        How long to wait for association negotiation and release replies.
        """
        return self._acse_timeout

    @acse_timeout.setter
    def acse_timeout(self, value: float | None) -> None:
        self._acse_timeout = _timeout(value, "acse_timeout", _DEFAULT_ACSE_TIMEOUT)
        self._propagate("acse_timeout", self._acse_timeout)

    @property
    def dimse_timeout(self) -> float | None:
        """Get or set the DIMSE timeout in seconds (``None``: none; default 30).

        How long to wait for a DIMSE message.
        """
        return self._dimse_timeout

    @dimse_timeout.setter
    def dimse_timeout(self, value: float | None) -> None:
        self._dimse_timeout = _timeout(value, "dimse_timeout", _DEFAULT_DIMSE_TIMEOUT)
        self._propagate("dimse_timeout", self._dimse_timeout)

    @property
    def network_timeout(self) -> float | None:
        """Get or set the network timeout in seconds (``None``: none; default 60).

        How long an association may stay idle before it is ended.
        """
        return self._network_timeout

    @network_timeout.setter
    def network_timeout(self, value: float | None) -> None:
        self._network_timeout = _timeout(
            value, "network_timeout", _DEFAULT_NETWORK_TIMEOUT
        )
        self._propagate("network_timeout", self._network_timeout)

    @property
    def connection_timeout(self) -> float | None:
        """Get or set the TCP connect timeout in seconds (``None``, the default: none).

        Must be greater than 0.
        """
        return self._connection_timeout

    @connection_timeout.setter
    def connection_timeout(self, value: float | None) -> None:
        self._connection_timeout = _timeout(
            value, "connection_timeout", None, allow_zero=False
        )
        self._propagate("connection_timeout", self._connection_timeout)

    # -- limits ----------------------------------------------------------------------

    @property
    def maximum_associations(self) -> int:
        """Get or set how many associations we accept at once (default 10).

        Requests beyond it are rejected (PS3.8 9.3.4: rejected-transient,
        service-provider presentation, local limit exceeded).
        """
        return self._maximum_associations

    @maximum_associations.setter
    def maximum_associations(self, value: int) -> None:
        if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
            self._maximum_associations = value
            return
        _LOGGER.warning(
            "Invalid 'maximum_associations' value %r: maximum_associations set to 1",
            value,
        )
        self._maximum_associations = 1

    @property
    def maximum_pdu_size(self) -> int:
        """Get or set the Maximum Length Received we advertise (PS3.8 D.1).

        In bytes; 0 means no limit. Default 16382. Used as acceptor; a
        requestor gives its own to ``associate(max_pdu=...)``.
        """
        return self._maximum_pdu_size

    @maximum_pdu_size.setter
    def maximum_pdu_size(self, value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(
                f"'maximum_pdu_size' must be int, not '{type(value).__name__}'"
            )
        if not 0 <= value <= _MAX_PDU_FIELD:
            _LOGGER.warning(
                "Invalid 'maximum_pdu_size' value %r: left at %d",
                value,
                self._maximum_pdu_size,
            )
            return
        self._maximum_pdu_size = value

    @property
    def require_called_aet(self) -> bool:
        """Get or set whether a request's Called AE Title must be our AE title.

        Compared without trailing or leading spaces; a mismatch is rejected
        (PS3.8 9.3.4: rejected-permanent, service-user, called AE title not
        recognized).
        """
        return self._require_called_aet

    @require_called_aet.setter
    def require_called_aet(self, value: bool) -> None:
        self._require_called_aet = value

    @property
    def require_calling_aet(self) -> list[str]:
        """Get or set the Calling AE Titles we accept requests from.

        Empty (the default) accepts any; otherwise a request from another is
        rejected (PS3.8 9.3.4: rejected-permanent, service-user, calling AE
        title not recognized).
        """
        return self._require_calling_aet

    @require_calling_aet.setter
    def require_calling_aet(self, value: Sequence[str]) -> None:
        if isinstance(value, str | bytes):
            # A str is a sequence of one-letter titles: never what was meant.
            raise TypeError("'require_calling_aet' must be a list of str")
        self._require_calling_aet = [
            check_ae_title(title, "require_calling_aet") for title in value
        ]

    # -- associations ----------------------------------------------------------------

    @property
    def active_associations(self) -> list[TrackedAssociation]:
        """The live associations of this AE, requested and accepted (read-only)."""
        with self._associations_lock:
            return list(self._associations)

    def _register_association(self, assoc: TrackedAssociation) -> None:
        """Track *assoc* until :meth:`_unregister_association` (thread-safe)."""
        with self._associations_lock:
            if not any(tracked is assoc for tracked in self._associations):
                self._associations.append(assoc)

    def _unregister_association(self, assoc: TrackedAssociation) -> None:
        """Stop tracking *assoc*; no error if it is not tracked (thread-safe)."""
        with self._associations_lock:
            self._associations = [a for a in self._associations if a is not assoc]

    # -- presentation contexts -------------------------------------------------------

    @property
    def requested_contexts(self) -> list[PresentationContext]:
        """Get or set the contexts we propose as requestor, in order of addition.

        Setting an empty value clears them; setting a list *appends* its
        contexts (abstract and transfer syntaxes only) to the current ones.
        """
        return self._requested_contexts

    @requested_contexts.setter
    def requested_contexts(self, value: Sequence[PresentationContext] | None) -> None:
        if not value:
            self._requested_contexts = []
            return
        syntaxes = _context_syntaxes(value)
        # Checked before adding any, so that a list too long changes nothing.
        if len(syntaxes) + len(self._requested_contexts) > MAX_REQUESTED_CONTEXTS:
            raise ValueError(
                "The maximum allowed number of requested presentation contexts "
                f"is {MAX_REQUESTED_CONTEXTS}"
            )
        for abstract_syntax, transfer_syntaxes in syntaxes:
            self.add_requested_context(abstract_syntax, transfer_syntaxes)

    def add_requested_context(
        self, abstract_syntax: UIDLike, transfer_syntax: TransferSyntaxes = None
    ) -> None:
        """Add a presentation context to propose as requestor.

        Each call adds a separate context, even for an abstract syntax already
        proposed (to offer it with other transfer syntaxes).

        Parameters
        ----------
        abstract_syntax : str, bytes or pydicom.uid.UID
            The SOP class UID.
        transfer_syntax : UID, sequence of UIDs or None
            ``None`` proposes ``DEFAULT_TRANSFER_SYNTAXES``.

        Raises
        ------
        ValueError
            There are already 128 requested contexts (PS3.8 9.3.2.2), or a
            UID is invalid.
        """
        if len(self._requested_contexts) >= MAX_REQUESTED_CONTEXTS:
            raise ValueError(
                "Failed to add the requested presentation context: there are "
                f"already {MAX_REQUESTED_CONTEXTS}, the most an A-ASSOCIATE-RQ "
                "can carry"
            )
        self._requested_contexts.append(build_context(abstract_syntax, transfer_syntax))

    def remove_requested_context(
        self, abstract_syntax: UIDLike, transfer_syntax: TransferSyntaxes = None
    ) -> None:
        """Remove requested contexts, or transfer syntaxes from them.

        Parameters
        ----------
        abstract_syntax : str, bytes or pydicom.uid.UID
            Every context with this abstract syntax is affected.
        transfer_syntax : UID, sequence of UIDs or None
            ``None`` removes the contexts; otherwise these transfer syntaxes
            are removed from them, and a context left with none is removed.
            Nothing happens for syntaxes that are not there.
        """
        self._requested_contexts = _remove_syntaxes(
            self._requested_contexts, abstract_syntax, transfer_syntax
        )

    @property
    def supported_contexts(self) -> list[PresentationContext]:
        """Get or set the contexts we accept as acceptor, sorted by abstract syntax.

        Setting an empty value clears them; setting a list adds its contexts
        with :meth:`add_supported_context` (their roles are ignored).
        """
        return sorted(
            self._supported_contexts.values(),
            key=lambda cx: str(cx.abstract_syntax),
        )

    @supported_contexts.setter
    def supported_contexts(self, value: Sequence[PresentationContext] | None) -> None:
        if not value:
            self._supported_contexts = {}
            return
        for abstract_syntax, transfer_syntaxes in _context_syntaxes(value):
            self.add_supported_context(abstract_syntax, transfer_syntaxes)

    def add_supported_context(
        self,
        abstract_syntax: UIDLike,
        transfer_syntax: TransferSyntaxes = None,
        scu_role: bool | None = None,  # noqa: FBT001  (pynetdicom's signature)
        scp_role: bool | None = None,  # noqa: FBT001
    ) -> None:
        """Add a presentation context we accept, or extend an existing one.

        Parameters
        ----------
        abstract_syntax : str, bytes or pydicom.uid.UID
            The SOP class UID. If already supported, the transfer syntaxes
            are added to that context (no repeats) and its roles replaced.
        transfer_syntax : UID, sequence of UIDs or None
            ``None`` means ``DEFAULT_TRANSFER_SYNTAXES``.
        scu_role, scp_role : bool or None
            How to answer a requestor's SCP/SCU Role Selection proposal for
            this abstract syntax (PS3.7 D.3.3.4): ``None`` gives the default
            roles; ``True``/``False`` accepts/refuses the proposed role.

        Raises
        ------
        TypeError
            A role is neither ``None`` nor ``bool``.
        ValueError
            A UID is invalid.
        """
        for name, role in (("scu_role", scu_role), ("scp_role", scp_role)):
            if role is not None and not isinstance(role, bool):
                raise TypeError(f"'{name}' must be None or bool")
        new = build_context(abstract_syntax, transfer_syntax)
        key = str(new.abstract_syntax)
        cx = self._supported_contexts.setdefault(key, new)
        if cx is not new:
            for syntax in new.transfer_syntax:
                cx.add_transfer_syntax(syntax)
        cx.scu_role = scu_role
        cx.scp_role = scp_role

    def remove_supported_context(
        self, abstract_syntax: UIDLike, transfer_syntax: TransferSyntaxes = None
    ) -> None:
        """Remove a supported context, or transfer syntaxes from it.

        Parameters
        ----------
        abstract_syntax : str, bytes or pydicom.uid.UID
            The context's abstract syntax.
        transfer_syntax : UID, sequence of UIDs or None
            ``None`` removes the context; otherwise these transfer syntaxes
            are removed from it, and the context too if none is left.
        """
        kept = _remove_syntaxes(
            self._supported_contexts.values(), abstract_syntax, transfer_syntax
        )
        self._supported_contexts = {str(cx.abstract_syntax): cx for cx in kept}

    # -- summary ---------------------------------------------------------------------

    def __str__(self) -> str:
        """Return a multi-line human summary (not a stable format)."""
        return "\n".join(_summary_lines(self))


def _context_lines(contexts: Iterable[PresentationContext]) -> list[str]:
    lines: list[str] = []
    for cx in contexts:
        name = "None" if cx.abstract_syntax is None else cx.abstract_syntax.name
        lines.append(f"    {name}")
        lines.extend(f"        {syntax.name}" for syntax in cx.transfer_syntax)
        if cx.scu_role is not None or cx.scp_role is not None:
            lines.append(f"        SCU role: {cx.scu_role}, SCP role: {cx.scp_role}")
    return lines or ["    (none)"]


def _seconds(value: float | None) -> str:
    return "none" if value is None else f"{value} s"


def _summary_lines(ae: ApplicationEntity) -> list[str]:
    calling = ", ".join(ae.require_calling_aet) or "(any)"
    return [
        f"Application Entity '{ae.ae_title}'",
        f"  Implementation Class UID: {ae.implementation_class_uid}",
        f"  Implementation Version Name: {ae.implementation_version_name}",
        "  Requested Presentation Contexts:",
        *_context_lines(ae.requested_contexts),
        "  Supported Presentation Contexts:",
        *_context_lines(ae.supported_contexts),
        f"  ACSE timeout: {_seconds(ae.acse_timeout)}",
        f"  DIMSE timeout: {_seconds(ae.dimse_timeout)}",
        f"  Network timeout: {_seconds(ae.network_timeout)}",
        f"  Connection timeout: {_seconds(ae.connection_timeout)}",
        f"  Maximum PDU size: {ae.maximum_pdu_size or 'unlimited'}",
        f"  Require called AE title: {ae.require_called_aet}",
        f"  Require calling AE title: {calling}",
        f"  Associations: {len(ae.active_associations)}/{ae.maximum_associations}",
    ]
