"""The network half of :class:`~dicomnet.ae.ApplicationEntity`.

``associate`` (requestor), ``make_server``/``start_server`` (acceptor),
``shutdown``, and the hook every server calls for an accepted connection. Kept
apart from the configuration surface in :mod:`dicomnet.ae` so that each module
has one responsibility; ``ApplicationEntity`` inherits this mixin.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import os
import threading
from typing import TYPE_CHECKING, Any

from dicomnet import _config
from dicomnet import events as evt
from dicomnet._globals import DEFAULT_MAX_LENGTH, DEFAULT_TRANSFER_SYNTAXES
from dicomnet._negotiation_items import SCP_SCU_RoleSelectionNegotiation
from dicomnet._service_user import AddressInformation
from dicomnet._validators import check_ae_title
from dicomnet.acse import (
    AcceptorPolicy,
    NegotiationDecisions,
    UserInformation,
    build_associate_rq,
)
from dicomnet.association import Association
from dicomnet.presentation import PresentationContext, build_context
from dicomnet.transport.server import AssociationServer, ThreadedAssociationServer

if TYPE_CHECKING:
    import socket
    import ssl
    from collections.abc import Sequence

    from dicomnet.ul.pdu import A_ASSOCIATE_RQ

__all__ = ["NetworkMixin"]

_LOGGER = logging.getLogger("dicomnet.ae")

_MAX_CONTEXTS = 128


class NetworkMixin:
    """``associate``, servers and ``shutdown`` for the application entity."""

    # Provided by ApplicationEntity.
    ae_title: str
    requested_contexts: list[PresentationContext]
    supported_contexts: list[PresentationContext]
    maximum_associations: int
    maximum_pdu_size: int
    require_called_aet: bool
    require_calling_aet: list[str]
    implementation_class_uid: str
    implementation_version_name: str | None
    _register_association: Any
    _unregister_association: Any

    @property
    def active_associations(self) -> list[Any]:  # pragma: no cover - see AE
        """Return the live associations (ApplicationEntity defines it)."""
        raise NotImplementedError

    _servers: list[AssociationServer]
    _servers_lock: threading.Lock

    def _network_init(self) -> None:
        self._servers = []
        self._servers_lock = threading.Lock()

    # -- requestor -------------------------------------------------------------

    def associate(  # noqa: PLR0913, PLR0917  (pynetdicom's signature)
        self,
        addr: str | tuple[str, int, int],
        port: int,
        contexts: Sequence[PresentationContext] | None = None,
        ae_title: str = "ANY-SCP",
        max_pdu: int = DEFAULT_MAX_LENGTH,
        ext_neg: Sequence[Any] | None = None,
        bind_address: tuple[Any, ...] | None = None,
        tls_args: tuple[ssl.SSLContext, str | None] | None = None,
        evt_handlers: Sequence[Any] | None = None,
    ) -> Association:
        """Request an association with a peer (pynetdicom's ``AE.associate``).

        Always returns an :class:`Association`: check ``is_established``;
        connection failures and timeouts leave it ``is_aborted``, a refusal
        ``is_rejected``.
        """
        address = _peer_address(addr, port)
        called = check_ae_title(ae_title, "ae_title")
        requested = _numbered(
            contexts if contexts is not None else self.requested_contexts
        )
        handlers = evt.normalise_handlers(evt_handlers)
        assoc = Association(self, "requestor")
        # Our end is configured first; the request is built from it.
        requestor = assoc.requestor
        requestor.ae_title = self.ae_title
        requestor.maximum_length = max_pdu
        requestor.implementation_class_uid = self.implementation_class_uid
        requestor.implementation_version_name = self.implementation_version_name
        for item in ext_neg or []:
            requestor.add_negotiation_item(item)  # TypeError for other items
        _apply_roles(requested, requestor.extended_negotiation)
        requestor.requested_contexts = requested
        assoc.acceptor.ae_title = called
        # Nominal until connected, when the driver reports the real address.
        assoc.acceptor.address_info = AddressInformation.from_tuple(address)
        rq = build_associate_rq(
            called_ae_title=called,
            calling_ae_title=self.ae_title,
            contexts=requested,
            implementation_class_uid=self.implementation_class_uid,
            implementation_version_name=self.implementation_version_name,
            maximum_length=max_pdu,
            extended_negotiation=[
                item.to_item() for item in requestor.extended_negotiation
            ],
        )
        for event, handler, args in handlers:
            assoc.bind(event, handler, args)
        self._register_association(assoc)
        assoc._start(  # noqa: SLF001  (the AE starts what it creates)
            address=address, bind_address=bind_address, tls=tls_args
        )
        assoc._request(rq)  # noqa: SLF001
        return assoc

    # -- acceptor --------------------------------------------------------------

    def make_server(  # noqa: PLR0913, PLR0917  (pynetdicom's signature)
        self,
        address: tuple[Any, ...],
        ae_title: str | None = None,
        contexts: Sequence[PresentationContext] | None = None,
        ssl_context: ssl.SSLContext | None = None,
        evt_handlers: Sequence[Any] | None = None,
        server_class: type[AssociationServer] | None = None,
        **kwargs: Any,  # noqa: ANN401
    ) -> AssociationServer:
        """Create, without starting, an association server (pynetdicom's).

        With ``_config.UNRESTRICTED_STORAGE_SERVICE`` the server may have no
        supported contexts: it accepts proposals as storage (see
        :func:`unrestricted_storage_contexts`).
        """
        title = check_ae_title(ae_title, "ae_title") if ae_title else self.ae_title
        supported = list(contexts) if contexts is not None else self.supported_contexts
        if not supported and not _config.UNRESTRICTED_STORAGE_SERVICE:
            raise ValueError(
                "No supported presentation contexts: add some with "
                "'add_supported_context()' or pass 'contexts'"
            )
        for cx in supported:
            if (cx.scu_role is None) != (cx.scp_role is None):
                raise ValueError(
                    "A supported context must set both 'scu_role' and 'scp_role' "
                    f"or neither: {cx.abstract_syntax}"
                )
        handlers = evt.normalise_handlers(evt_handlers)
        cls = server_class or AssociationServer
        server = cls(self, address, title, supported, ssl_context, handlers, **kwargs)
        registry = evt.HandlerRegistry()
        for event, handler, args in handlers:
            registry.bind(event, handler, args)
        server.handlers = registry
        return server

    def start_server(  # noqa: PLR0913, PLR0917  (pynetdicom's signature)
        self,
        address: tuple[Any, ...],
        block: bool = True,  # noqa: FBT001, FBT002  (pynetdicom's signature)
        ssl_context: ssl.SSLContext | None = None,
        evt_handlers: Sequence[Any] | None = None,
        ae_title: str | None = None,
        contexts: Sequence[PresentationContext] | None = None,
        *,
        processes: int = 1,
    ) -> ThreadedAssociationServer | None:
        """Listen for association requests (pynetdicom's ``AE.start_server``).

        ``block=True`` serves on this thread until :meth:`shutdown` runs on
        another one (or Ctrl-C) and returns ``None``; ``block=False`` returns
        the running :class:`~dicomnet.transport.ThreadedAssociationServer`.

        Parameters
        ----------
        address : tuple
            ``(host, port)`` or the IPv6 ``(host, port, flowinfo, scope_id)``.
        block : bool, optional
            Serve on this thread (default) or on a thread of the server's.
        ssl_context : ssl.SSLContext, optional
            Wrap accepted connections in TLS.
        evt_handlers : list, optional
            ``(event, handler[, args])`` items bound on the server.
        ae_title : str, optional
            The AE title to answer to, default :attr:`ae_title`.
        contexts : list of PresentationContext, optional
            The supported contexts, default :attr:`supported_contexts`.
        processes : int, optional
            A dicomnet extension for multi-core servers (POSIX, ``block=True``
            only): with ``N > 1`` the address is bound and listened on once,
            then ``N - 1`` worker processes are forked, before any server
            thread starts, and every process accepts on the shared socket and
            serves its associations on its own threads, with the handlers
            inherited through the fork. What is per process:
            :attr:`maximum_associations` and :attr:`active_associations`
            count that process's associations only, and a handler's side
            effects (counters, lists, open files) happen in the process that
            served the association, as in gunicorn's workers. :meth:`shutdown`
            from another thread of this process, SIGTERM or Ctrl-C (both only
            when this runs on the main thread) ends the workers too, and this
            method returns once all have exited. A worker that dies is logged
            and not replaced; workers exit if this process is killed.

            .. versionadded:: 0.1

        Returns
        -------
        ThreadedAssociationServer or None
            The running server with ``block=False``, else ``None``.

        Raises
        ------
        ValueError
            ``processes`` below 1, or above 1 with ``block=False`` or where
            ``os.fork`` does not exist.
        """
        _check_processes(processes, block=block)
        server_class = AssociationServer if block else ThreadedAssociationServer
        server = self.make_server(
            address, ae_title, contexts, ssl_context, evt_handlers, server_class
        )
        with self._servers_lock:
            self._servers.append(server)
        if not block:
            assert isinstance(server, ThreadedAssociationServer)  # noqa: S101
            server.start()
            return server
        if processes > 1:
            # Ctrl-C is a graceful stop there, unless the user set a SIGINT
            # handler of their own that raises.
            # Imported here: only a pre-forking server needs it (and signal).
            from dicomnet.transport._prefork import serve_preforked  # noqa: PLC0415

            with contextlib.suppress(KeyboardInterrupt):
                serve_preforked(server, processes)
            return None
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            server.shutdown()
        finally:
            server.server_close()
        return None

    def shutdown(self) -> None:
        """Abort every association and stop every server ``start_server`` made."""
        # Abort them all first, then wait: each waits for its peer to close
        # (PS3.8 AA-1, bounded by ARTIM), and those waits may overlap.
        associations = self.active_associations
        for assoc in associations:
            assoc.close()
        for assoc in associations:
            assoc.join(None if assoc.acse_timeout is None else assoc.acse_timeout + 5)
        with self._servers_lock:
            servers, self._servers = self._servers, []
        for server in servers:
            server.shutdown()

    def _new_acceptor(
        self,
        server: AssociationServer,
        sock: socket.socket,
        client_address: tuple[Any, ...],
    ) -> Association:
        """Start an acceptor association for a connection ``server`` accepted."""
        del client_address  # the driver reads the peer's address itself
        assoc = Association(self, "acceptor")
        assoc.server = server
        registry = server.handlers
        if registry is not None:
            # Before the association starts: nothing to tell its core yet.
            assoc._handlers.update(registry)  # noqa: SLF001  (its own registry)
        assoc.acceptor.ae_title = server.ae_title
        assoc.acceptor.maximum_length = self.maximum_pdu_size
        assoc.acceptor.implementation_class_uid = self.implementation_class_uid
        assoc.acceptor.implementation_version_name = self.implementation_version_name
        assoc.acceptor.supported_contexts = list(server.contexts)
        assoc._acceptor_policy = lambda rq: self._negotiation(server, assoc, rq)  # noqa: SLF001
        self._register_association(assoc)
        assoc._start(  # noqa: SLF001
            sock,
            ssl_context=server.ssl_context,
            pool=getattr(server, "acceptor_pool", None),
        )
        return assoc

    def _negotiation(
        self, server: AssociationServer, assoc: Association, rq: A_ASSOCIATE_RQ
    ) -> tuple[AcceptorPolicy, NegotiationDecisions]:
        """Return the acceptor's policy and the user's decisions for ``rq``."""
        others = [
            a
            for a in self.active_associations
            if a is not assoc and a.is_acceptor and not a.is_released
        ]
        supported = tuple(server.contexts)
        policy = AcceptorPolicy(
            ae_title=server.ae_title,
            supported_contexts=supported + unrestricted_storage_contexts(rq, supported),
            implementation_class_uid=self.implementation_class_uid,
            implementation_version_name=self.implementation_version_name,
            require_called_aet=self.require_called_aet,
            require_calling_aet=tuple(self.require_calling_aet),
            maximum_pdu_length=self.maximum_pdu_size,
            maximum_associations_reached=len(others) >= self.maximum_associations,
        )
        return policy, _decisions(assoc, UserInformation.from_item(rq.user_information))


def _check_processes(processes: object, *, block: bool) -> None:
    """Validate ``start_server``'s ``processes`` argument."""
    if not isinstance(processes, int) or isinstance(processes, bool):
        raise TypeError("'processes' must be an int")
    if processes < 1:
        raise ValueError("'processes' must be at least 1")
    if processes > 1 and not block:
        raise ValueError("'processes' > 1 requires 'block=True'")
    if processes > 1 and not hasattr(os, "fork"):
        raise ValueError("'processes' > 1 requires os.fork() (POSIX)")


def unrestricted_storage_contexts(
    rq: A_ASSOCIATE_RQ, supported: Sequence[PresentationContext]
) -> tuple[PresentationContext, ...]:
    """Return the contexts ``_config.UNRESTRICTED_STORAGE_SERVICE`` adds.

    When the option is set, each proposed abstract syntax that ``supported``
    lacks and that may be a Storage SOP class (an unknown or private UID, or
    a known Storage or Non-Patient Object Storage SOP class: PS3.4 B, GG) is
    supported as storage: with the union of the transfer syntaxes of the
    supported Storage contexts, or ``DEFAULT_TRANSFER_SYNTAXES`` when there
    are none, and without role selection, so we are its SCP (PS3.7 D.3.3.4
    default roles). Known SOP classes of other services stay unsupported
    (result 3, PS3.8 9.3.3.2). Supported contexts keep their own syntaxes.

    Parameters
    ----------
    rq : A_ASSOCIATE_RQ
        The request.
    supported : sequence of PresentationContext
        The server's supported contexts.

    Returns
    -------
    tuple of PresentationContext
        Empty when the option is off.
    """
    if not _config.UNRESTRICTED_STORAGE_SERVICE:
        return ()
    known = {str(cx.abstract_syntax) for cx in supported}
    syntaxes = _storage_transfer_syntaxes(supported)
    added: dict[str, PresentationContext] = {}
    for item in rq.presentation_contexts:
        uid = item.abstract_syntax
        if uid in known or uid in added or not _may_be_storage(uid):
            continue
        try:
            added[uid] = build_context(uid, syntaxes)
        except ValueError:
            continue  # not a valid UID: the negotiation refuses the item itself
    return tuple(added.values())


# The SOP class registry is imported by the two helpers below, used only with
# _config.UNRESTRICTED_STORAGE_SERVICE: ``import dicomnet`` does not load it.


def _is_storage(uid: str) -> bool:
    from dicomnet.service_class import (  # noqa: PLC0415
        NonPatientObjectStorageServiceClass,
        StorageServiceClass,
    )
    from dicomnet.sop_class import uid_to_service_class  # noqa: PLC0415

    service = uid_to_service_class(uid)
    return issubclass(
        service, StorageServiceClass | NonPatientObjectStorageServiceClass
    )


def _may_be_storage(uid: str) -> bool:
    from dicomnet.service_class import ServiceClass  # noqa: PLC0415
    from dicomnet.sop_class import uid_to_service_class  # noqa: PLC0415

    # An unknown UID maps to the base ServiceClass: it may be private storage.
    return uid_to_service_class(uid) is ServiceClass or _is_storage(uid)


def _storage_transfer_syntaxes(supported: Sequence[PresentationContext]) -> list[str]:
    """Return the transfer syntaxes of our Storage contexts, or the defaults."""
    syntaxes: dict[str, None] = {}
    for cx in supported:
        if cx.abstract_syntax is not None and _is_storage(cx.abstract_syntax):
            syntaxes.update(dict.fromkeys(str(ts) for ts in cx.transfer_syntax))
    return list(syntaxes) or list(DEFAULT_TRANSFER_SYNTAXES)


def _peer_address(addr: object, port: object) -> tuple[Any, ...]:
    if not isinstance(port, int) or isinstance(port, bool):
        raise TypeError("'port' must be an int")
    if isinstance(addr, str):
        return (addr, port)
    if isinstance(addr, tuple) and len(addr) == 3 and isinstance(addr[0], str):
        return (addr[0], port, addr[1], addr[2])
    raise TypeError("'addr' must be str or tuple[str, int, int]")


def _numbered(contexts: Sequence[PresentationContext]) -> list[PresentationContext]:
    """Deep copies of the requested contexts with IDs 1, 3, 5... (PS3.8 9.3.2.2)."""
    if len(contexts) > _MAX_CONTEXTS:
        raise ValueError("No more than 128 presentation contexts may be requested")
    if not all(isinstance(cx, PresentationContext) for cx in contexts):
        raise ValueError("'contexts' must be a list of PresentationContext")
    if not contexts:
        raise RuntimeError(
            "At least one requested presentation context is required before "
            "associating with a peer"
        )
    numbered = []
    for index, cx in enumerate(contexts):
        clone = copy.deepcopy(cx)
        clone.context_id = 2 * index + 1
        numbered.append(clone)
    return numbered


def _apply_roles(contexts: list[PresentationContext], items: Sequence[object]) -> None:
    """Mark the roles we propose on the contexts they concern (PS3.7 D.3.3.4)."""
    for item in items:
        if not isinstance(item, SCP_SCU_RoleSelectionNegotiation):
            continue
        uid = item.sop_class_uid
        for cx in contexts:
            if cx.abstract_syntax == uid:
                cx.scu_role = item.scu_role
                cx.scp_role = item.scp_role


def _decisions(assoc: Association, info: UserInformation) -> NegotiationDecisions:
    """Run the negotiation intervention handlers (pynetdicom 4.4, 4.5)."""
    return NegotiationDecisions(
        user_identity=_user_identity(assoc, info),
        sop_class_extended=_sop_extended(assoc, info),
        sop_class_common_extended=_sop_common(assoc, info),
        async_ops=_async_ops(assoc, info),
    )


def _is_default(assoc: Association, event: Any) -> bool:  # noqa: ANN401
    handler, _args = assoc.get_handlers(event)
    return bool(handler is evt.get_default_handler(event))


def _user_identity(
    assoc: Association, info: UserInformation
) -> tuple[bool, bytes | None] | None:
    identity = info.user_identity_rq
    if identity is None or _is_default(assoc, evt.EVT_USER_ID):
        return None  # no handler: the identity is ignored
    attrs = {
        "user_id_type": identity.user_identity_type,
        "primary_field": identity.primary_field,
        "secondary_field": identity.secondary_field or None,
    }
    try:
        verified, response = assoc._trigger(evt.EVT_USER_ID, attrs)  # noqa: SLF001
    except Exception:
        _LOGGER.exception("Exception in the 'evt.EVT_USER_ID' handler")
        return (False, None)
    return (bool(verified), response)


def _sop_extended(assoc: Association, info: UserInformation) -> dict[str, bytes]:
    if not info.sop_class_extended:
        return {}
    try:
        result = assoc._trigger(  # noqa: SLF001
            evt.EVT_SOP_EXTENDED, {"app_info": dict(info.sop_class_extended)}
        )
    except Exception:
        _LOGGER.exception("Exception in the 'evt.EVT_SOP_EXTENDED' handler")
        return {}
    return {str(k): bytes(v) for k, v in (result or {}).items() if isinstance(v, bytes)}


def _sop_common(assoc: Association, info: UserInformation) -> list[str]:
    if not info.sop_class_common_extended:
        return []
    from dicomnet.pdu_primitives import SOPClassCommonExtendedNegotiation  # noqa: PLC0415

    items = {
        uid: SOPClassCommonExtendedNegotiation.from_item(sub)
        for uid, sub in info.sop_class_common_extended.items()
    }
    try:
        result = assoc._trigger(evt.EVT_SOP_COMMON, {"items": items})  # noqa: SLF001
    except Exception:
        _LOGGER.exception("Exception in the 'evt.EVT_SOP_COMMON' handler")
        return []
    return [
        str(uid)
        for uid, item in (result or {}).items()
        if isinstance(item, SOPClassCommonExtendedNegotiation)
    ]


def _async_ops(assoc: Association, info: UserInformation) -> tuple[int, int] | None:
    proposed = info.async_ops
    if proposed is None or _is_default(assoc, evt.EVT_ASYNC_OPS):
        return None
    attrs = {
        "nr_invoked": proposed.maximum_number_operations_invoked,
        "nr_performed": proposed.maximum_number_operations_performed,
    }
    try:
        assoc._trigger(evt.EVT_ASYNC_OPS, attrs)  # noqa: SLF001
    except Exception:
        _LOGGER.exception("Exception in the 'evt.EVT_ASYNC_OPS' handler")
    # dicomnet performs operations one at a time: it can honour (1, 1) only
    # (PS3.7 D.3.3.3), whatever the handler would allow.
    return (1, 1)
