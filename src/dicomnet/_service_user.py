"""The two ends of an association, ``assoc.requestor`` and ``assoc.acceptor``.

A :class:`ServiceUser` describes one application entity of an association with
the parameters of the A-ASSOCIATE service (PS3.8 7.1.1): its AE title
(7.1.1.3 - 7.1.1.5), its presentation address (7.1.1.10 - 7.1.1.12), the
presentation contexts it proposes or supports (7.1.1.13, 7.1.1.14) and its user
information (7.1.1.6: PS3.8 Annex D and PS3.7 D.3.3).

The local end is configured before negotiation starts. Each end is then filled
from the A-ASSOCIATE primitive it sent or received (:attr:`ServiceUser.primitive`);
from that moment it is no longer :attr:`~ServiceUser.writeable` and only its AE
title may change, as in pynetdicom.
"""

from __future__ import annotations

import ipaddress
import logging
from typing import TYPE_CHECKING, Any, Final, TypeAlias

from pydicom.uid import UID

from dicomnet._negotiation_items import (
    AsynchronousOperationsWindowNegotiation,
    ImplementationClassUIDNotification,
    ImplementationVersionNameNotification,
    MaximumLengthNotification,
    SCP_SCU_RoleSelectionNegotiation,
    SOPClassCommonExtendedNegotiation,
    SOPClassExtendedNegotiation,
    UserIdentityNegotiation,
)
from dicomnet._validators import check_ae_title
from dicomnet._version import DICOMNET_IMPLEMENTATION_UID
from dicomnet.pdu_primitives import A_ASSOCIATE
from dicomnet.presentation import PresentationContext
from dicomnet.ul.pdu import A_ASSOCIATE_RJ, A_ASSOCIATE_RQ

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from dicomnet._negotiation_items import NegotiationPrimitive
    from dicomnet.association import Association
    from dicomnet.ul.items import SOPClassCommonExtendedNegotiationSubItem
    from dicomnet.ul.pdu import A_ASSOCIATE_AC

__all__ = ["MODE_ACCEPTOR", "MODE_REQUESTOR", "AddressInformation", "ServiceUser"]

MODE_REQUESTOR = "requestor"
MODE_ACCEPTOR = "acceptor"

_LOGGER = logging.getLogger(__name__)

#: The user information items a service user adds with ``add_negotiation_item``.
ExtendedItem: TypeAlias = (
    SCP_SCU_RoleSelectionNegotiation
    | AsynchronousOperationsWindowNegotiation
    | UserIdentityNegotiation
    | SOPClassExtendedNegotiation
    | SOPClassCommonExtendedNegotiation
)

_REQUESTOR_ITEMS: Final = (
    SCP_SCU_RoleSelectionNegotiation,
    AsynchronousOperationsWindowNegotiation,
    UserIdentityNegotiation,
    SOPClassExtendedNegotiation,
    SOPClassCommonExtendedNegotiation,
)
# PS3.7 D.3.3.6: SOP Class Common Extended Negotiation has no A-ASSOCIATE-AC
# form, so an acceptor never holds one.
_ACCEPTOR_ITEMS: Final = _REQUESTOR_ITEMS[:-1]

# PS3.8 9.3.2.2: at most 128 presentation contexts (odd IDs 1 to 255).
_MAX_CONTEXTS: Final = 128


class AddressInformation:
    """A presentation address: host, port and, for IPv6, flow info and scope.

    Parameters
    ----------
    addr : str
        The IPv4 or IPv6 address (a host name is kept as given).
    port : int
        The TCP port.
    flowinfo, scope_id : int, optional
        The IPv6 flow information and scope ID.
    """

    def __init__(
        self, addr: str, port: int, flowinfo: int = 0, scope_id: int = 0
    ) -> None:
        if not isinstance(addr, str):
            raise TypeError("'addr' must be str")
        if isinstance(port, bool) or not isinstance(port, int):
            raise TypeError("'port' must be int")
        self.address = addr
        self.port = port
        self.flowinfo = flowinfo
        self.scope_id = scope_id

    @property
    def is_ipv6(self) -> bool:
        """Whether the address is an IPv6 literal."""
        try:
            return ipaddress.ip_address(self.address).version == 6
        except ValueError:
            # A host name: only an IPv6 literal contains a colon.
            return ":" in self.address

    @property
    def is_ipv4(self) -> bool:
        """Whether the address is not IPv6 (IPv4 literals and host names)."""
        return not self.is_ipv6

    @property
    def as_tuple(self) -> tuple[str, int] | tuple[str, int, int, int]:
        """``(addr, port)``, or ``(addr, port, flowinfo, scope_id)`` for IPv6."""
        if self.is_ipv6:
            return (self.address, self.port, self.flowinfo, self.scope_id)
        return (self.address, self.port)

    @classmethod
    def from_tuple(cls, address: Sequence[Any]) -> AddressInformation:
        """Return the address of a socket address tuple (2 or 4 members).

        Parameters
        ----------
        address : tuple
            ``(addr, port)`` or ``(addr, port, flowinfo, scope_id)``.

        Returns
        -------
        AddressInformation
        """
        return cls(*address)

    @classmethod
    def from_addr_port(
        cls, addr: str | tuple[str, int, int], port: int
    ) -> AddressInformation:
        """Return the address of ``associate()``'s ``addr`` and ``port``.

        Parameters
        ----------
        addr : str or (str, int, int)
            An address, or an IPv6 ``(addr, flowinfo, scope_id)``.
        port : int
            The TCP port.

        Returns
        -------
        AddressInformation
        """
        if isinstance(addr, tuple):
            return cls(addr[0], port, addr[1], addr[2])
        return cls(addr, port)

    def __repr__(self) -> str:
        """Show the address as a tuple."""
        return f"AddressInformation{self.as_tuple!r}"


class ServiceUser:
    """One end of an association: the requestor or the acceptor.

    Parameters
    ----------
    assoc : Association
        The association this end belongs to.
    mode : str
        ``"requestor"`` or ``"acceptor"``.

    Attributes
    ----------
    assoc : Association
        The association.
    primitive : dicomnet.pdu_primitives.A_ASSOCIATE or None
        The A-ASSOCIATE primitive this end sent or received: the request for
        the requestor, the acceptance or rejection for the acceptor; ``None``
        until negotiation reaches this end.
    address_info : AddressInformation or None
        This end's presentation address, once known.
    """

    def __init__(self, assoc: Association, mode: str) -> None:
        if mode not in (MODE_REQUESTOR, MODE_ACCEPTOR):
            raise ValueError(f"Invalid 'mode' value: {mode!r}")
        self.assoc = assoc
        self._mode = mode
        self._ae_title = ""
        self.primitive: A_ASSOCIATE | None = None
        self.address_info: AddressInformation | None = None
        self._contexts: list[PresentationContext] = []
        self._length: MaximumLengthNotification | None = MaximumLengthNotification()
        # Our Implementation Class UID item is built on first use: an
        # acceptor's is replaced by the AE's, a peer's by what it sent.
        self._uid_item: ImplementationClassUIDNotification | None = None
        self._uid_default = True
        self._version: ImplementationVersionNameNotification | None = None
        self._extended: list[ExtendedItem] = []
        self._accepted_common: dict[UID, tuple[UID, list[UID]]] = {}

    @property
    def _uid(self) -> ImplementationClassUIDNotification | None:
        if self._uid_default:
            item = ImplementationClassUIDNotification()
            item.implementation_class_uid = DICOMNET_IMPLEMENTATION_UID
            self._uid_item, self._uid_default = item, False
        return self._uid_item

    @_uid.setter
    def _uid(self, item: ImplementationClassUIDNotification | None) -> None:
        self._uid_item, self._uid_default = item, False

    # -- who and where ---------------------------------------------------------

    @property
    def mode(self) -> str:
        """``"requestor"`` or ``"acceptor"``."""
        return self._mode

    @property
    def is_requestor(self) -> bool:
        """Whether this end asked for the association."""
        return self._mode == MODE_REQUESTOR

    @property
    def is_acceptor(self) -> bool:
        """Whether this end accepted (or refused) the association."""
        return self._mode == MODE_ACCEPTOR

    @property
    def _is_local(self) -> bool:
        # The association's own end; the other one is the peer.
        return getattr(self.assoc, "mode", None) == self._mode

    @property
    def ae_title(self) -> str:
        """Get or set the AE title (validated; ``bytes`` are deprecated)."""
        return self._ae_title

    @ae_title.setter
    def ae_title(self, value: str) -> None:
        self._ae_title = check_ae_title(value, "ae_title")

    @property
    def address(self) -> str:
        """Get or set the IP address; ``ValueError`` while none is known."""
        return self._address_info().address

    @address.setter
    def address(self, value: str) -> None:
        if self.address_info is None:
            self.address_info = AddressInformation(value, 0)
        else:
            self.address_info.address = value

    @property
    def port(self) -> int:
        """Get or set the TCP port; ``ValueError`` while none is known."""
        return self._address_info().port

    @port.setter
    def port(self, value: int) -> None:
        if self.address_info is None:
            self.address_info = AddressInformation("", value)
        else:
            self.address_info.port = value

    def _address_info(self) -> AddressInformation:
        if self.address_info is None:
            raise ValueError("No address information has been set")
        return self.address_info

    @property
    def writeable(self) -> bool:
        """Whether this end may still be changed: negotiation has not reached it."""
        return self.primitive is None

    def _check_writeable(self, what: str) -> None:
        if not self.writeable:
            raise RuntimeError(f"Can't {what} after negotiation has started")

    @property
    def info(self) -> dict[str, Any]:
        """A summary: AE title, address, port, mode and, once negotiated, PDV size."""
        where = self.address_info
        info: dict[str, Any] = {
            "ae_title": self._ae_title,
            "address": None if where is None else where.address,
            "port": None if where is None else where.port,
            "mode": self._mode,
        }
        if not self.writeable:
            info["pdv_size"] = self.maximum_length
        return info

    # -- the user information parameter (PS3.8 7.1.1.6) -------------------------

    @property
    def maximum_length(self) -> int | None:
        """Get or set the Maximum Length Received (PS3.8 D.1); 0 means no limit.

        ``None`` for a peer that sent no Maximum Length sub-item. Setting it
        after negotiation started raises :class:`RuntimeError`.
        """
        return None if self._length is None else self._length.maximum_length_received

    @maximum_length.setter
    def maximum_length(self, value: int) -> None:
        self._check_writeable("set the Maximum Length")
        item = MaximumLengthNotification()
        item.maximum_length_received = value
        self._length = item

    @property
    def implementation_class_uid(self) -> UID | None:
        """Get or set the Implementation Class UID (PS3.7 D.3.3.2).

        ``None`` for a peer that sent none.
        """
        return None if self._uid is None else self._uid.implementation_class_uid

    @implementation_class_uid.setter
    def implementation_class_uid(self, value: str | None) -> None:
        self._check_writeable("set the Implementation Class UID")
        if value is None:
            self._uid = None
            return
        item = ImplementationClassUIDNotification()
        item.implementation_class_uid = value
        self._uid = item

    @property
    def implementation_version_name(self) -> str | None:
        """Get or set the Implementation Version Name (PS3.7 D.3.3.2.3), or None."""
        return (
            None if self._version is None else self._version.implementation_version_name
        )

    @implementation_version_name.setter
    def implementation_version_name(self, value: str | None) -> None:
        self._check_writeable("set the Implementation Version Name")
        if value is None:
            self._version = None
            return
        item = ImplementationVersionNameNotification()
        item.implementation_version_name = value
        self._version = item

    @property
    def user_information(self) -> list[NegotiationPrimitive]:
        """The user information items: notifications, then extended negotiation."""
        items: list[NegotiationPrimitive] = [
            item
            for item in (self._length, self._uid, self._version)
            if item is not None
        ]
        items.extend(self._extended)
        return items

    @property
    def extended_negotiation(self) -> list[ExtendedItem]:
        """The extended negotiation items (roles, window, identity, SOP class)."""
        return list(self._extended)

    def _allowed_items(self) -> tuple[type, ...]:
        return _REQUESTOR_ITEMS if self.is_requestor else _ACCEPTOR_ITEMS

    def add_negotiation_item(self, item: ExtendedItem) -> None:
        """Add an extended negotiation item, before negotiation starts.

        An item of the same kind for the same SOP class (or, for the window
        and user identity items, of the same kind) replaces the earlier one:
        PS3.7 D.3.3 allows one per SOP class, or one in all.

        Parameters
        ----------
        item : pdu_primitives item
            A role selection, asynchronous operations window, user identity,
            SOP class extended or (requestor only) SOP class common extended
            negotiation item.

        Raises
        ------
        RuntimeError
            If negotiation has started.
        TypeError
            If ``item`` is not one of those items.
        """
        self._check_writeable("add extended negotiation items")
        if not isinstance(item, self._allowed_items()):
            raise TypeError("'item' is not a valid extended negotiation item")
        self._extended = [old for old in self._extended if not _same_slot(old, item)]
        self._extended.append(item)

    def remove_negotiation_item(self, item: ExtendedItem) -> None:
        """Remove an extended negotiation item (nothing if it is absent).

        Parameters
        ----------
        item : pdu_primitives item
            An item added with :meth:`add_negotiation_item`.

        Raises
        ------
        RuntimeError
            If negotiation has started.
        TypeError
            If ``item`` is not an extended negotiation item.
        """
        self._check_writeable("remove extended negotiation items")
        if not isinstance(item, self._allowed_items()):
            raise TypeError("'item' is not a valid extended negotiation item")
        self._extended = [old for old in self._extended if old is not item]

    def reset_negotiation_items(self) -> None:
        """Remove every extended negotiation item.

        Raises
        ------
        RuntimeError
            If negotiation has started.
        """
        self._check_writeable("reset the extended negotiation items")
        self._extended = []

    def _items(self, kind: type[ExtendedItem]) -> list[Any]:
        return [item for item in self._extended if isinstance(item, kind)]

    @property
    def role_selection(self) -> dict[UID, SCP_SCU_RoleSelectionNegotiation]:
        """The SCP/SCU Role Selection items, by SOP class UID (PS3.7 D.3.3.4)."""
        found: dict[UID, SCP_SCU_RoleSelectionNegotiation] = {}
        for item in self._items(SCP_SCU_RoleSelectionNegotiation):
            if item.sop_class_uid is not None:
                found.setdefault(item.sop_class_uid, item)
        return found

    @property
    def sop_class_extended(self) -> dict[UID, bytes]:
        """The SOP Class Extended application information, by SOP class UID.

        PS3.7 D.3.3.5.
        """
        found: dict[UID, bytes] = {}
        for item in self._items(SOPClassExtendedNegotiation):
            info = item.service_class_application_information
            if item.sop_class_uid is not None and info is not None:
                found.setdefault(item.sop_class_uid, info)
        return found

    @property
    def sop_class_common_extended(self) -> dict[UID, SOPClassCommonExtendedNegotiation]:
        """The SOP Class Common Extended items, by SOP class UID (PS3.7 D.3.3.6).

        Only a requestor sends them; an acceptor's is always empty.
        """
        found: dict[UID, SOPClassCommonExtendedNegotiation] = {}
        for item in self._items(SOPClassCommonExtendedNegotiation):
            if item.sop_class_uid is not None:
                found.setdefault(item.sop_class_uid, item)
        return found

    @property
    def accepted_common_extended(self) -> dict[UID, tuple[UID, list[UID]]]:
        """The SOP Class Common Extended items the acceptor accepted.

        ``{sop_class_uid: (service_class_uid, related_general_sop_classes)}``;
        known only on the side that accepted them.

        Raises
        ------
        RuntimeError
            For the requestor.
        """
        if not self.is_acceptor:
            raise RuntimeError(
                "'accepted_common_extended' is only available for the 'acceptor'"
            )
        return {
            uid: (service, list(related))
            for uid, (service, related) in self._accepted_common.items()
        }

    @property
    def user_identity(self) -> UserIdentityNegotiation | None:
        """The User Identity item (PS3.7 D.3.3.7), or None."""
        found = self._items(UserIdentityNegotiation)
        return found[0] if found else None

    @property
    def asynchronous_operations(self) -> tuple[int, int]:
        """``(max invoked, max performed)`` (PS3.7 D.3.3.3); (1, 1) by default."""
        found = self._items(AsynchronousOperationsWindowNegotiation)
        if not found:
            return (1, 1)
        return (
            found[0].maximum_number_operations_invoked,
            found[0].maximum_number_operations_performed,
        )

    # -- presentation contexts (PS3.8 7.1.1.13, 7.1.1.14) ------------------------

    def get_contexts(self, cx_type: str) -> list[PresentationContext]:
        """Return presentation contexts of one kind.

        Parameters
        ----------
        cx_type : str
            ``"requested"`` (our requestor's proposal), ``"supported"`` (our
            acceptor's configuration), ``"pcdl"`` (the Presentation Context
            Definition List of the A-ASSOCIATE request) or ``"pcdrl"`` (the
            Definition Result List of the acceptance, with each context's
            abstract syntax filled in).

        Returns
        -------
        list of PresentationContext

        Raises
        ------
        ValueError
            If this end has no contexts of that kind (yet).
        """
        primitive = self.primitive
        if self.is_requestor:
            if cx_type == "requested" and self._is_local:
                return self._contexts
            if cx_type == "pcdl" and primitive is not None:
                return primitive.presentation_context_definition_list
        else:
            if cx_type == "supported" and self._is_local:
                return self._contexts
            if cx_type == "pcdrl" and primitive is not None and primitive.result == 0:
                return primitive.presentation_context_definition_results_list
        raise ValueError(
            f"No '{cx_type}' presentation contexts are available for the "
            f"{self._mode} service user"
        )

    @property
    def requested_contexts(self) -> list[PresentationContext]:
        """Get or set the requestor's contexts: ours, or those the peer proposed.

        Raises
        ------
        ValueError
            When read on the acceptor, or before a peer's request arrived.
        AttributeError
            When set on the acceptor.
        RuntimeError
            When set after negotiation started.
        """
        if self.is_requestor and not self._is_local:
            return self.get_contexts("pcdl")
        return self.get_contexts("requested")

    @requested_contexts.setter
    def requested_contexts(self, value: Sequence[PresentationContext]) -> None:
        if not self.is_requestor:
            raise AttributeError(
                "'requested_contexts' can only be set for the association requestor"
            )
        self._set_contexts(value, "requested")

    @property
    def supported_contexts(self) -> list[PresentationContext]:
        """Get or set the acceptor's contexts: ours, or those the peer accepted.

        Raises
        ------
        ValueError
            When read on the requestor, or before a peer's answer arrived.
        AttributeError
            When set on the requestor.
        RuntimeError
            When set after negotiation started.
        """
        if self.is_acceptor and not self._is_local:
            return self.get_contexts("pcdrl")
        return self.get_contexts("supported")

    @supported_contexts.setter
    def supported_contexts(self, value: Sequence[PresentationContext]) -> None:
        if not self.is_acceptor:
            raise AttributeError(
                "'supported_contexts' can only be set for the association acceptor"
            )
        self._set_contexts(value, "supported")

    def _set_contexts(self, value: Sequence[PresentationContext], kind: str) -> None:
        self._check_writeable(f"set the {kind} presentation contexts")
        contexts = list(value)
        if not all(isinstance(cx, PresentationContext) for cx in contexts):
            raise ValueError(f"'{kind}_contexts' must be a list of PresentationContext")
        if kind == "requested" and len(contexts) > _MAX_CONTEXTS:
            raise ValueError("No more than 128 presentation contexts may be requested")
        self._contexts = contexts

    # -- filled in by the association --------------------------------------------

    def _negotiated(
        self,
        pdu: A_ASSOCIATE_RQ | A_ASSOCIATE_AC | A_ASSOCIATE_RJ,
        *,
        abstract_syntaxes: Mapping[int, str] | None = None,
        common_extended: Mapping[str, SOPClassCommonExtendedNegotiationSubItem]
        | None = None,
    ) -> None:
        """Record the A-ASSOCIATE PDU this end sent or received.

        Its primitive becomes :attr:`primitive` and its user information this
        end's. A rejection carries no user information (PS3.8 9.3.4), so the
        configured values stay. ``abstract_syntaxes`` (by context ID) fills in
        the abstract syntaxes an A-ASSOCIATE-AC does not repeat (PS3.8
        9.3.3.2); ``common_extended`` are the SOP Class Common Extended items
        an acceptor accepted.

        A PDU the primitive cannot represent (a malformed context item, or a
        non-conformant UID where pydicom's warnings are errors) is logged and
        leaves this end as it was: the negotiation judges the PDU itself.
        """
        try:
            primitive = A_ASSOCIATE.from_pdu(pdu, abstract_syntaxes=abstract_syntaxes)
        except (TypeError, ValueError, UserWarning) as exc:
            _LOGGER.warning("Could not read the %s: %s", type(pdu).__name__, exc)
            return
        self.primitive = primitive
        if isinstance(pdu, A_ASSOCIATE_RJ):
            return
        if isinstance(pdu, A_ASSOCIATE_RQ) and self.is_requestor:
            # PS3.8 7.1.1.3: the Calling AE Title names the requestor.
            self._ae_title = pdu.calling_ae_title
            if self._is_local and self._contexts:
                # Our request was made from our contexts: keep them, with the
                # roles we proposed (pynetdicom shows the same).
                primitive.presentation_context_definition_list = list(self._contexts)
        self._length = self._uid = self._version = None
        self._extended = []
        for item in primitive.user_information:
            self._take(item)
        for uid, sub in (common_extended or {}).items():
            self._accepted_common[UID(uid)] = (
                UID(sub.service_class_uid),
                [
                    UID(related)
                    for related in sub.related_general_sop_class_identification
                ],
            )

    def _take(self, item: NegotiationPrimitive) -> None:
        # PS3.8 D.1, PS3.7 D.3.3.2: one of each notification; the first counts,
        # as in dicomnet.acse.UserInformation.
        if isinstance(item, MaximumLengthNotification):
            self._length = self._length or item
        elif isinstance(item, ImplementationClassUIDNotification):
            self._uid = self._uid or item
        elif isinstance(item, ImplementationVersionNameNotification):
            self._version = self._version or item
        else:
            self._extended.append(item)


def _same_slot(old: ExtendedItem, new: ExtendedItem) -> bool:
    """Whether ``new`` takes the place of ``old`` (same kind, same SOP class).

    The window and user identity items have no SOP class: one of each.
    """
    return type(old) is type(new) and getattr(old, "sop_class_uid", None) == getattr(
        new, "sop_class_uid", None
    )
