"""The pynetdicom-compatible :class:`Association` over the sans-I/O stack.

An Association owns one :class:`~dicomnet.protocol.AssociationProtocol` and the
:class:`~dicomnet.transport.sync.AssociationDriver` whose thread runs it. Every
protocol call and every event handler runs on that owner thread; a user thread
(``send_c_echo``, ``release``, ``abort``) reaches it through ``driver.call`` and
waits on a future with the ACSE or DIMSE timeout, as pynetdicom's blocking API
promises. Network trouble never raises: it shows in ``is_aborted`` and in the
empty ``Dataset`` a service method returns.
"""

from __future__ import annotations

import logging
import queue
import time
from collections import deque
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TYPE_CHECKING, Any, Final

from pydicom import config
from pydicom.dataset import Dataset
from pydicom.uid import UID

from dicomnet import _config
from dicomnet import events as evt
from dicomnet._association_c import CompositeServiceUser
from dicomnet._association_n import NormalizedServiceUser
from dicomnet._logging import on_dimse_recv, on_dimse_sent, on_pdu_recv, on_pdu_sent
from dicomnet._observers import refresh_reporting, report_data, report_pdu
from dicomnet._service_user import MODE_ACCEPTOR, MODE_REQUESTOR, ServiceUser
from dicomnet.errors import AbortSource, DicomnetError
from dicomnet.presentation import PresentationContextTuple
from dicomnet.protocol import (
    Aborted,
    AssociationAccepted,
    AssociationProtocol,
    AssociationRejected,
    AssociationRequested,
    MessageReceived,
    PDataReceived,
    PDataSent,
    ProtocolConfig,
    Released,
    ReleaseRequested,
)
from dicomnet.services import dispatch_request
from dicomnet.services._respond import message_context
from dicomnet.services._spool import make_sink_factory
from dicomnet.transport._pool import Latch as _Latch
from dicomnet.transport.sync import AssociationDriver
from dicomnet.ul.connection import Role, ULConfig
from dicomnet.ul.events import StateTransition
from dicomnet.ul.fsm import State
from dicomnet.ul.pdu import A_ABORT, A_RELEASE_RP, A_RELEASE_RQ

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import BinaryIO

    from dicomnet.acse import AcceptorOutcome, RequestorOutcome
    from dicomnet.dimse.connection import DimseMessage
    from dicomnet.dimse.primitives import DimsePrimitive
    from dicomnet.presentation import PresentationContext
    from dicomnet.ul.pdu import A_ASSOCIATE_AC, A_ASSOCIATE_RJ, A_ASSOCIATE_RQ

__all__ = ["Association", "ServiceUser"]

_LOGGER = logging.getLogger(__name__)

# States where no A-ABORT request can go out, so closing the connection is the
# way to end: no connection (Sta1), still connecting (Sta4), closing (Sta13),
# or no A-ASSOCIATE-RQ received yet (Sta2: PS3.8 Table 9-10 has no Evt15 cell).
_ENDING = frozenset({State.STA1, State.STA2, State.STA4, State.STA13})
# PS3.7 C.4.x: Pending statuses; any other status is a request's last response.
_PENDING: Final = frozenset({0xFF00, 0xFF01})


class Association(CompositeServiceUser, NormalizedServiceUser):
    """An association with a peer (pynetdicom's ``Association``, not a Thread).

    Parameters
    ----------
    ae : ApplicationEntity
        The local AE.
    mode : str
        ``"requestor"`` or ``"acceptor"``.
    """

    def __init__(self, ae: Any, mode: str) -> None:  # noqa: ANN401  (the AE; cycle)
        if mode not in (MODE_REQUESTOR, MODE_ACCEPTOR):
            raise ValueError(f"Invalid association 'mode' value: {mode!r}")
        self._ae = ae
        self._mode = mode
        self.is_established = False
        self.is_rejected = False
        self.is_aborted = False
        self.is_released = False
        self.acse_timeout: float | None = ae.acse_timeout
        self.dimse_timeout: float | None = ae.dimse_timeout
        self._network_timeout: float | None = ae.network_timeout
        self.connection_timeout: float | None = ae.connection_timeout
        self.network_timeout_response = "A-ABORT"
        self.requestor = ServiceUser(self, MODE_REQUESTOR)
        self.acceptor = ServiceUser(self, MODE_ACCEPTOR)
        self.name = f"{mode.capitalize()}Thread@{_stamp()}"
        self.server: Any = None
        self._handlers = _default_handlers()
        self._contexts: list[PresentationContext] = []
        self._context_tuples: dict[int, PresentationContextTuple] = {}
        self._acceptor_policy: Callable[[A_ASSOCIATE_RQ], Any] | None = None
        self._established: _Latch[bool] = _Latch()
        self._ended: _Latch[None] = _Latch()
        self._pending: dict[int, queue.SimpleQueue[DimsePrimitive | None]] = {}
        # Requests that arrived while a service was still answering one (it
        # waits for the peer on the owner thread: C-GET sub-operations...).
        self._backlog: deque[DimseMessage] = deque()
        self._serving = False
        self._protocol: AssociationProtocol | None = None
        self._driver: AssociationDriver | None = None
        self._unregistered = False
        self._answered_release = False
        # An A-RELEASE-RQ read while a service was running, answered after it.
        self._release_held = False

    # -- pynetdicom's read-only surface ---------------------------------------

    @property
    def network_timeout(self) -> float | None:
        """Seconds without traffic before the association is aborted (or released).

        Setting it restarts the running association's idle timer.
        """
        return self._network_timeout

    @network_timeout.setter
    def network_timeout(self, value: float | None) -> None:
        self._network_timeout = value
        driver = self._driver
        if driver is not None:
            driver.call(lambda: driver.set_idle_timeout(value))

    @property
    def ae(self) -> Any:  # noqa: ANN401
        """The local application entity."""
        return self._ae

    @property
    def mode(self) -> str:
        """``"requestor"`` or ``"acceptor"``."""
        return self._mode

    @property
    def is_requestor(self) -> bool:
        """Whether we asked for the association."""
        return self._mode == MODE_REQUESTOR

    @property
    def is_acceptor(self) -> bool:
        """Whether the peer asked for the association."""
        return self._mode == MODE_ACCEPTOR

    @property
    def local(self) -> dict[str, Any]:
        """Our end's details."""
        return (self.requestor if self.is_requestor else self.acceptor).info

    @property
    def remote(self) -> dict[str, Any]:
        """The peer's details."""
        return (self.acceptor if self.is_requestor else self.requestor).info

    @property
    def accepted_contexts(self) -> list[PresentationContext]:
        """Accepted presentation contexts, by context ID."""
        return [cx for cx in self._contexts if cx.result == 0]

    @property
    def rejected_contexts(self) -> list[PresentationContext]:
        """Rejected presentation contexts, by context ID."""
        return [cx for cx in self._contexts if cx.result not in (0, None)]

    def close(self) -> None:
        """Abort without waiting (the server's shutdown uses this, then joins)."""
        self._abort_now(wait=False)

    def is_alive(self) -> bool:
        """Whether the association's thread still runs."""
        return self._driver is not None and self._driver.is_alive()

    def join(self, timeout: float | None = None) -> None:
        """Wait for the association's thread to end."""
        if self._driver is not None:
            self._driver.join(timeout)

    # -- handlers ------------------------------------------------------------

    def bind(self, event: Any, handler: Any, args: Sequence[Any] | None = None) -> None:  # noqa: ANN401
        """Bind ``handler`` to ``event`` on this association only."""
        self._handlers.bind(event, handler, args)
        self._refresh_reporting()

    def unbind(self, event: Any, handler: Any) -> None:  # noqa: ANN401
        """Unbind ``handler`` from ``event``."""
        self._handlers.unbind(event, handler)
        self._refresh_reporting()

    def _refresh_reporting(self) -> None:
        # The core reports transitions and P-DATA PDUs only on request.
        driver = self._driver
        if driver is not None:
            driver.call(lambda: refresh_reporting(self))

    def _context_tuple(self, context_id: int) -> PresentationContextTuple | None:
        """Return accepted context ``context_id`` as events carry it, if any."""
        return self._context_tuples.get(context_id)

    def _report_pdu(self, pdu: Any, *, sent: bool) -> None:  # noqa: ANN401
        report_pdu(self, pdu, sent=sent)

    def get_handlers(self, event: Any) -> Any:  # noqa: ANN401
        """Return the handlers bound to ``event`` (pynetdicom's shapes)."""
        return self._handlers.get_handlers(event)

    def get_events(self) -> list[Any]:
        """Events with handlers bound."""
        return self._handlers.get_events()

    def _trigger(self, event: Any, attrs: dict[str, Any] | None = None) -> Any:  # noqa: ANN401
        return self._handlers.trigger(self, event, attrs)

    # -- starting (called by the AE) -------------------------------------------

    def _start(self, sock: Any = None, **options: Any) -> None:  # noqa: ANN401
        """Create the protocol and driver and start the owner thread."""
        role = Role.REQUESTOR if self.is_requestor else Role.ACCEPTOR
        local = self.requestor if self.is_requestor else self.acceptor
        length = local.maximum_length
        # Only a received PDU clears it; ours is configured, never received.
        assert length is not None  # noqa: S101
        config = ProtocolConfig(
            ul=ULConfig(
                artim_timeout=self.acse_timeout,
                max_pdu_length=length,
                report_transitions=self._handlers.has_handlers(evt.EVT_FSM_TRANSITION),
            ),
            sink_factory=make_sink_factory(self),
        )

        self._protocol = AssociationProtocol(role, config)
        self._driver = AssociationDriver(
            self._protocol,
            self._handle_event,
            name=self.name,
            idle_timeout=self._network_timeout,
            on_idle=self._on_idle,
            on_stopped=self._on_stopped,
            on_connected=None if sock is not None else self._on_connected,
            on_received=lambda data: report_data(self, data, sent=False),
            on_sent=lambda parts: report_data(self, parts, sent=True),
        )
        refresh_reporting(self)
        if sock is not None:
            # Before the owner thread starts, so EVT_CONN_OPEN comes first.
            self._trigger(evt.EVT_CONN_OPEN, {"address": tuple(sock.getpeername()[:2])})
            self._driver.start_acceptor(
                sock,
                ssl_context=options.get("ssl_context"),
                pool=options.get("pool"),
            )
            self._set_addresses()
        else:
            self._driver.start_requestor(
                options["address"],
                connect_timeout=self.connection_timeout,
                bind_address=options.get("bind_address"),
                tls=options.get("tls"),
            )

    def _request(self, rq: A_ASSOCIATE_RQ) -> None:
        """Requestor: issue the A-ASSOCIATE request, wait for the answer."""
        driver = self._driver
        protocol = self._protocol
        assert driver is not None  # noqa: S101  (_start ran)
        assert protocol is not None  # noqa: S101
        # PS3.8 7.1.1: the request primitive describes our end from now on.
        self.requestor._negotiated(rq)  # noqa: SLF001  (the association fills its ends)
        self._report_pdu(rq, sent=True)
        driver.call(lambda: protocol.request(rq, time.monotonic()))
        try:
            # PS3.8 runs no ARTIM timer while a requestor awaits the answer
            # (Sta5): the ACSE timeout is what bounds that wait.
            established = self._established.result(self.acse_timeout)
        except FutureTimeout:
            _LOGGER.error("ACSE timeout: no answer to the association request")  # noqa: TRY400  (no traceback to show)
            self._abort_now()
            return
        if not established:
            # Rejected or aborted: let the connection finish closing, so the
            # association has left the AE's registry when associate() returns.
            self._wait_end(self.acse_timeout)

    def _set_addresses(self) -> None:
        driver = self._driver
        if driver is None:
            return
        ours = self.requestor if self.is_requestor else self.acceptor
        theirs = self.acceptor if self.is_requestor else self.requestor
        if driver.local_address is not None:
            ours.address, ours.port = driver.local_address
        if driver.peer_address is not None:
            theirs.address, theirs.port = driver.peer_address

    # -- the user's calls ------------------------------------------------------

    def _context_for(
        self, abstract_syntax: str, transfer_syntax: str | None = None
    ) -> int:
        """Return an accepted context where we may be SCU of ``abstract_syntax``."""
        if not self.is_established:
            raise RuntimeError("The association with a peer SCP has been released")
        context_id = self._find_context(abstract_syntax, transfer_syntax)
        if context_id is None:
            with_syntax = (
                ""
                if transfer_syntax is None
                else f" with '{transfer_syntax}' transfer syntax"
            )
            raise ValueError(
                f"No presentation context for '{abstract_syntax}' has been accepted "
                f"by the peer{with_syntax} for the SCU role"
            )
        return context_id

    def _find_context(
        self, abstract_syntax: str, transfer_syntax: str | None = None
    ) -> int | None:
        for cx in self.accepted_contexts:
            if cx.abstract_syntax != abstract_syntax or cx.as_scu is False:
                continue
            if transfer_syntax is None or cx.transfer_syntax[0] == transfer_syntax:
                return int(cx.context_id or 0)
        return None

    def _send_request(
        self,
        context_id: int,
        request: DimsePrimitive,
        data: bytes | BinaryIO | None = None,
    ) -> queue.SimpleQueue[DimsePrimitive | None]:
        """Send a request; its responses will arrive on the returned queue.

        A request that cannot be sent (the association ended) gets ``None``
        on its queue, like one whose association ends while it waits.
        """
        driver = self._driver
        protocol = self._protocol
        assert driver is not None  # noqa: S101  (_start ran)
        assert protocol is not None  # noqa: S101
        responses: queue.SimpleQueue[DimsePrimitive | None] = queue.SimpleQueue()
        msg_id = int(request.MessageID or 0)

        def send() -> None:
            self._pending[msg_id] = responses
            protocol.send_message(
                context_id, request, response=False, now=time.monotonic(), data=data
            )
            self._trigger(
                evt.EVT_DIMSE_SENT,
                {"message": request, "context": self._context_tuple(context_id)},
            )

        def failed(sent: Future[None]) -> None:
            exc = sent.exception()
            if exc is None:
                return
            if isinstance(exc, DicomnetError):
                _LOGGER.error("Could not send the request: %s", exc)
            else:
                _LOGGER.error("Could not send the request", exc_info=exc)
            self._pending.pop(msg_id, None)
            responses.put(None)

        # Not waited for: the caller waits for the responses anyway, and a
        # request that fails to go out puts None there. One hand-off between
        # threads per message instead of two (bench W6).
        driver.call(send).add_done_callback(failed)
        return responses

    def _next_response(
        self, responses: queue.SimpleQueue[DimsePrimitive | None]
    ) -> DimsePrimitive | None:
        """Wait (DIMSE timeout) for the next response; ``None``: there is none.

        On the owner thread (a handler sending C-STORE sub-operations) the
        association is served meanwhile; elsewhere this blocks on the queue.
        """
        driver = self._driver
        timeout = self.dimse_timeout
        try:
            if driver is not None and self._on_owner_thread():
                if not driver.run_until(lambda: not responses.empty(), timeout):
                    raise queue.Empty  # noqa: TRY301  (one timeout path)
                return responses.get_nowait()
            return self._wait_response(responses, timeout)
        except queue.Empty:
            if self._protocol is not None and self._protocol.state in _ENDING:
                return None
            _LOGGER.error("DIMSE timeout: no response from the peer; aborting")  # noqa: TRY400  (no traceback to show)
            self._abort_now()
        return None

    def _wait_response(
        self,
        responses: queue.SimpleQueue[DimsePrimitive | None],
        timeout: float | None,
    ) -> DimsePrimitive | None:
        """Block for a response; the DIMSE timeout runs once sending is done.

        A large data set may take longer to send than the timeout: the peer
        cannot answer before it has it all, so the wait starts again while
        the core is still streaming it out.
        """
        while True:
            try:
                return responses.get(timeout=timeout)
            except queue.Empty:  # noqa: PERF203  (taken only at a timeout)
                protocol = self._protocol
                if protocol is None or not protocol.is_streaming:
                    raise

    def _poll(self) -> None:
        """Owner thread only: take in what the peer has sent, without waiting."""
        if self._driver is not None and self._on_owner_thread():
            self._driver.run_until(lambda: False, 0)

    def release(self) -> None:
        """Release the association (A-RELEASE, PS3.8 7.2); blocks until done."""
        driver, protocol = self._driver, self._protocol
        if not self.is_established or driver is None or protocol is None:
            return

        def release() -> None:
            protocol.release(time.monotonic())
            self._report_pdu(A_RELEASE_RQ(), sent=True)

        driver.call(release)
        if not self._on_owner_thread():
            # From a handler (the owner thread) the release completes after
            # the handler returns: waiting here would wait for ourselves.
            self._wait_end(self.acse_timeout)

    def abort(self) -> None:
        """Abort the association (A-ABORT, service-user source, PS3.8 7.3)."""
        if self.is_released or self.is_aborted or self._driver is None:
            return
        self._abort_now()

    def _abort_now(self, *, wait: bool = True) -> None:
        driver, protocol = self._driver, self._protocol
        if driver is None or protocol is None:
            return

        def abort() -> None:
            if protocol.state not in _ENDING:
                self._send_abort(protocol)
            else:
                driver.close()

        driver.call(abort)
        if wait and not self._on_owner_thread():
            self._wait_end(self.acse_timeout)

    def _on_owner_thread(self) -> bool:
        driver = self._driver
        return driver is not None and driver.on_owner_thread()

    def _send_abort(
        self,
        protocol: AssociationProtocol,
        source: AbortSource = AbortSource.SERVICE_USER,
    ) -> None:
        # PS3.8 7.3: an A-ABORT request, by default as the service-user.
        protocol.abort(time.monotonic(), source=source)
        self._report_pdu(A_ABORT(source=source, reason=0), sent=True)

    def _wait_end(self, timeout: float | None) -> None:
        try:
            self._ended.result(None if timeout is None else timeout + 5)
        except FutureTimeout:
            if self._driver is not None:
                self._driver.close()
                self._driver.join(5)

    # -- the owner thread ------------------------------------------------------

    def _handle_event(self, event: object) -> None:
        if isinstance(event, MessageReceived):
            self._message(event)
        elif isinstance(event, AssociationRequested):
            self._requested(event.rq)
        elif isinstance(event, AssociationAccepted):
            if self.is_requestor:
                self._report_pdu(event.ac, sent=False)
            self._accepted(event.outcome, event.ac)
        elif isinstance(event, AssociationRejected):
            self._rejected(event.rj, by_peer=event.by_peer)
        elif isinstance(event, ReleaseRequested):
            self._release_requested()
        elif isinstance(event, Released):
            self._released()
        elif isinstance(event, Aborted):
            self._aborted(event)
        elif isinstance(event, PDataReceived | PDataSent):
            self._report_pdu(event.pdu, sent=isinstance(event, PDataSent))
        elif isinstance(event, StateTransition):
            self._trigger(
                evt.EVT_FSM_TRANSITION,
                {
                    "current_state": event.current_state.value,
                    "fsm_event": event.event.value,
                    "action": event.action.value,
                    "next_state": event.next_state.value,
                },
            )

    def _requested(self, rq: A_ASSOCIATE_RQ) -> None:
        """Acceptor: run EVT_REQUESTED, the negotiation handlers, then answer."""
        self._report_pdu(rq, sent=False)
        # PS3.8 7.1.1: the indication describes the requestor, already for
        # EVT_REQUESTED handlers. Our acceptor keeps the server's AE title,
        # whatever the peer called it (pynetdicom does the same).
        self.requestor._negotiated(rq)  # noqa: SLF001  (the association fills its ends)
        self._trigger(evt.EVT_REQUESTED)
        protocol = self._protocol
        if protocol is None or protocol.state is not State.STA3:
            return  # an EVT_REQUESTED handler aborted or rejected it
        if self._acceptor_policy is None:
            return
        policy, decisions = self._acceptor_policy(rq)
        # The protocol reports the outcome as AssociationAccepted or
        # AssociationRejected, which the next events dispatch.
        try:
            outcome = protocol.accept(policy, decisions, time.monotonic())
        except Exception:  # a safety net: the peer always gets an answer
            # The core should turn any request into an AC or RJ; if it fails
            # (a bug), answer with an A-ABORT rather than a silent close.
            _LOGGER.exception("Could not negotiate the association request")
            if protocol.state not in _ENDING:
                self._send_abort(protocol, source=AbortSource.SERVICE_PROVIDER)
            return
        if outcome.accept is not None:
            self._report_pdu(outcome.accept, sent=True)

    def _release_requested(self) -> None:
        self._report_pdu(A_RELEASE_RQ(), sent=False)
        if self._serving:
            # A service still runs on this thread (its handler read the request
            # while looking for a C-CANCEL). PS3.8 7.2 lets us answer when we
            # are ready, and P-DATA may still go out meanwhile (Sta8, AR-7):
            # the operation finishes first, then the A-RELEASE-RP.
            self._release_held = True
            return
        self._answer_release()

    def _answer_release(self) -> None:
        # PS3.8 7.2: we always agree to release (no negative A-RELEASE answer).
        self._answered_release = True
        if self._protocol is not None:
            self._protocol.answer_release(time.monotonic())
            self._report_pdu(A_RELEASE_RP(), sent=True)

    def _released(self) -> None:
        if not self._answered_release:
            # Our request was confirmed: the peer's A-RELEASE-RP arrived.
            self._report_pdu(A_RELEASE_RP(), sent=False)
        self.is_established = False
        self.is_released = True
        self._trigger(evt.EVT_RELEASED)
        self._fail_pending()

    def _accepted(
        self, outcome: AcceptorOutcome | RequestorOutcome, ac: A_ASSOCIATE_AC
    ) -> None:
        self._contexts = sorted(outcome.contexts, key=lambda cx: cx.context_id or 0)
        # Built once: events of every message on a context carry the same tuple.
        self._context_tuples = {
            cx.context_id: PresentationContextTuple(
                cx.context_id,
                UID(cx.abstract_syntax or "", validation_mode=config.IGNORE),
                UID(cx.transfer_syntax[0], validation_mode=config.IGNORE),
            )
            for cx in self.accepted_contexts
            if cx.context_id is not None
        }
        # The acceptance describes the acceptor; the AC does not repeat the
        # abstract syntaxes (PS3.8 9.3.3.2), the negotiation knows them.
        self.acceptor._negotiated(  # noqa: SLF001  (the association fills its ends)
            ac,
            abstract_syntaxes={
                cx.context_id: str(cx.abstract_syntax)
                for cx in outcome.contexts
                if cx.context_id is not None and cx.abstract_syntax is not None
            },
            common_extended=getattr(outcome, "sop_class_common_extended", None),
        )
        peer = self.acceptor if self.is_requestor else self.requestor
        if peer.implementation_class_uid is None:
            # PS3.7 D.3.3.2 makes it mandatory, but nothing negotiated depends
            # on it: tolerated (pynetdicom accepts such requests too).
            _LOGGER.warning("The peer sent no Implementation Class UID (PS3.7 D.3.3.2)")
        self._set_addresses()
        self.is_established = True
        self._trigger(evt.EVT_ACCEPTED)
        self._trigger(evt.EVT_ESTABLISHED)
        _resolve(self._established, value=True)

    def _rejected(self, rj: A_ASSOCIATE_RJ, *, by_peer: bool) -> None:
        self.is_rejected = True
        # PS3.8 7.1.1.7: the rejection is the acceptor's answer, sent or received.
        self.acceptor._negotiated(rj)  # noqa: SLF001  (the association fills its ends)
        self._report_pdu(rj, sent=not by_peer)
        self._trigger(evt.EVT_REJECTED)
        _resolve(self._established, value=False)

    def _aborted(self, event: Aborted) -> None:
        if event.pdu is not None:
            self._report_pdu(event.pdu, sent=False)
        self.is_established = False
        self.is_aborted = True
        self._trigger(evt.EVT_ABORTED)
        self._fail_pending()
        _resolve(self._established, value=False)

    def _message(self, event: MessageReceived) -> None:
        refresh_reporting(self)  # a log level may have changed (debug_logger())
        message = event.message
        if self._handlers.is_observed(evt.EVT_DIMSE_RECV):
            # Tested first: the attributes are built for every message otherwise.
            self._trigger(
                evt.EVT_DIMSE_RECV,
                {
                    "message": message.primitive,
                    "context": message_context(self, message),
                },
            )
        if message.is_response:
            self._response(message.primitive)
            return
        if self._serving:
            # A service is waiting for the peer inside its handler; the
            # request is answered after it (C-CANCEL was noted by the core).
            self._backlog.append(message)
            return
        self._serving = True
        try:
            self._serve(message)
            while self._backlog:
                self._serve(self._backlog.popleft())
        finally:
            self._serving = False
            if self._release_held:
                self._release_held = False
                self._answer_release()

    def _serve(self, message: DimseMessage) -> None:
        protocol = self._protocol
        if protocol is None or not self.is_established:
            # PS3.7 9.2 / pynetdicom: requests arriving while the association
            # ends are not answered; a streamed data set is dropped.
            if message.sink is not None:
                message.sink.discard()
            return
        dispatch_request(self, protocol, message)

    def _response(self, response: DimsePrimitive) -> None:
        msg_id = int(getattr(response, "MessageIDBeingRespondedTo", None) or 0)
        responses = self._pending.get(msg_id)
        if responses is None:
            _LOGGER.warning("A response to no outstanding request (ID %s)", msg_id)
            return
        if getattr(response, "Status", None) not in _PENDING:
            del self._pending[msg_id]
        responses.put(response)

    def _on_idle(self) -> None:
        """No traffic for ``network_timeout``: abort (or release), pynetdicom-style."""
        protocol = self._protocol
        if protocol is None:
            return
        _LOGGER.info("Network timeout reached")
        if self.network_timeout_response == "A-RELEASE" and self.is_established:
            protocol.release(time.monotonic())
            self._report_pdu(A_RELEASE_RQ(), sent=True)
        elif protocol.state not in _ENDING:
            self._send_abort(protocol)
        elif self._driver is not None:
            self._driver.close()

    def _on_connected(self) -> None:
        """Requestor: the TCP (or TLS) connection is open: EVT_CONN_OPEN."""
        self._set_addresses()
        driver = self._driver
        if driver is not None:
            self._trigger(evt.EVT_CONN_OPEN, {"address": driver.peer_address})

    def _on_stopped(self) -> None:
        """Report the connection gone and leave every registry."""
        if not (self.is_released or self.is_rejected):
            if self.is_established or not self._established.done():
                self.is_aborted = True
            self.is_established = False
        self._fail_pending()
        _resolve(self._established, value=False)
        if self._driver is not None and self._driver.peer_address is not None:
            self._trigger(evt.EVT_CONN_CLOSE, {"address": self._driver.peer_address})
        self._unregister()
        _resolve(self._ended, value=None)

    def _unregister(self) -> None:
        if self._unregistered:
            return
        self._unregistered = True
        # The server prunes by is_alive(); the AE keeps its own registry.
        self._ae._unregister_association(self)  # noqa: SLF001  (the AE's own registry)

    def _fail_pending(self) -> None:
        pending, self._pending = self._pending, {}
        for responses in pending.values():
            responses.put(None)

    def __repr__(self) -> str:
        """Name the association and its mode."""
        return f"<Association({self.name}, {self._mode})>"


# The standard logging handlers, bound once: each association gets a copy
# (bench_associations: ~2 us less than four binds per association).
_STANDARD_HANDLERS: Final = evt.HandlerRegistry()
_STANDARD_HANDLERS.bind(evt.EVT_PDU_RECV, on_pdu_recv)
_STANDARD_HANDLERS.bind(evt.EVT_PDU_SENT, on_pdu_sent)
_STANDARD_HANDLERS.bind(evt.EVT_DIMSE_RECV, on_dimse_recv)
_STANDARD_HANDLERS.bind(evt.EVT_DIMSE_SENT, on_dimse_sent)


def _default_handlers() -> evt.HandlerRegistry:
    """Return a new association's registry: the standard log handlers, or none."""
    if _config.LOG_HANDLER_LEVEL == "standard":
        return _STANDARD_HANDLERS.copy()
    return evt.HandlerRegistry()


_last_stamp: tuple[int, str] = (0, "")


def _stamp() -> str:
    """Return the local time as ``YYYYmmddHHMMSS`` for a name, cached per second.

    ``datetime.now()`` formatted anew cost ~2 us per association; a stale
    read from another thread only repeats the previous second's text.
    """
    global _last_stamp  # noqa: PLW0603  (a cache)
    now = int(time.time())
    second, text = _last_stamp
    if second != now:
        text = time.strftime("%Y%m%d%H%M%S", time.localtime(now))
        _last_stamp = (now, text)
    return text


def _resolve(latch: _Latch[Any], *, value: Any) -> None:  # noqa: ANN401
    if not latch.done():
        latch.set_result(value)


def status_dataset(response: DimsePrimitive | None) -> Dataset:
    """Return the status Dataset of a response: Status and optional elements.

    The optional elements are those PS3.7 Annex C allows in the response
    (``ErrorComment``, ``OffendingElement``, sub-operation counts...).
    """
    status = Dataset()
    if response is None or getattr(response, "Status", None) is None:
        return status
    status.Status = response.Status
    keywords = (*type(response).STATUS_OPTIONAL_KEYWORDS, "ErrorID")
    for keyword in dict.fromkeys(keywords):
        value = getattr(response, keyword, None)
        if value is not None:
            setattr(status, keyword, value)
    return status
