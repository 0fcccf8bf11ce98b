"""Test peers for the drivers: the Upper Layer core on both ends, over loopback.

A fake AE gives the server the one hook it calls (``_new_acceptor``) and answers
like a Verification SCP with ``dicomnet.acse``; a requestor helper drives an
UpperLayer through an AssociationDriver. Every wait is on a queue or a thread
with a timeout, never a sleep.
"""

from __future__ import annotations

import queue
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dicomnet.acse import AcceptorPolicy, build_associate_rq, negotiate_acceptor
from dicomnet.presentation import build_context
from dicomnet.transport.server import AssociationServer, ThreadedAssociationServer
from dicomnet.transport.sync import AssociationDriver
from dicomnet.ul.connection import Role, ULConfig, UpperLayer
from dicomnet.ul.events import (
    AssociateAccepted,
    AssociateIndication,
    DataIndication,
    ReleaseConfirmation,
    ReleaseIndication,
)
from dicomnet.ul.pdu import A_ABORT, A_RELEASE_RP, A_RELEASE_RQ, P_DATA_TF, PDV
from tests.interop.echo_commands import VERIFICATION, decode_command, echo_rq, echo_rsp

OUR_UID = "1.2.826.0.1.3680043.10.1081.1"
TIMEOUT = 10.0


class Recorder:
    """A ``handle_event``: keeps every event and the thread it arrived on."""

    def __init__(self) -> None:
        self.events: list[object] = []
        self.threads: set[int] = set()
        self._queue: queue.Queue[object] = queue.Queue()

    def __call__(self, event: object) -> None:
        self.events.append(event)
        self.threads.add(threading.get_ident())
        self._queue.put(event)

    def wait_for(self, kind: type | tuple[type, ...], timeout: float = TIMEOUT) -> Any:
        """Return the next event of ``kind``, skipping others."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                event = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no {kind} in {self.names()}") from None
            if isinstance(event, kind):
                return event

    def names(self) -> list[str]:
        return [type(e).__name__ for e in self.events]


def policy(ae_title: str = "DICOMNET", **overrides: Any) -> AcceptorPolicy:
    fields: dict[str, Any] = {
        "ae_title": ae_title,
        "supported_contexts": (build_context(VERIFICATION),),
        "implementation_class_uid": OUR_UID,
    }
    fields.update(overrides)
    return AcceptorPolicy(**fields)


class EchoAcceptor(Recorder):
    """Acceptor handler: negotiate, answer C-ECHO-RQ, answer A-RELEASE-RQ."""

    def __init__(self, ul: UpperLayer, acceptor_policy: AcceptorPolicy) -> None:
        super().__init__()
        self.ul = ul
        self.policy = acceptor_policy
        self.received = 0  # bytes of P-DATA that were not a C-ECHO-RQ

    def __call__(self, event: object) -> None:
        super().__call__(event)
        now = time.monotonic()
        if isinstance(event, AssociateIndication):
            outcome = negotiate_acceptor(event.pdu, self.policy)
            answer = outcome.accept or outcome.reject
            assert answer is not None
            self.ul.send(answer, now)
        elif isinstance(event, DataIndication):
            pdv = event.pdu.pdvs[0]
            if pdv.is_command:
                request = decode_command(bytes(pdv.data))
                rsp = echo_rsp(request.MessageID)
                self.ul.send(P_DATA_TF(pdvs=(PDV(pdv.context_id, 0x03, rsp),)), now)
            else:
                self.received += sum(len(p.data) for p in event.pdu.pdvs)
        elif isinstance(event, ReleaseIndication):
            self.ul.send(A_RELEASE_RP(), now)


@dataclass
class FakeAE:
    """The AE as the server sees it: builds one driver per connection."""

    artim_timeout: float = 5.0
    max_pdu_length: int = 16382
    idle_timeout: float | None = None
    handler_factory: Callable[[UpperLayer, AcceptorPolicy], Recorder] = EchoAcceptor
    acceptors: list[tuple[AssociationDriver, Recorder]] = field(default_factory=list)
    started: queue.Queue[tuple[AssociationDriver, Recorder]] = field(
        default_factory=queue.Queue
    )

    def _new_acceptor(
        self, server: AssociationServer, sock: socket.socket, client_address: Any
    ) -> AssociationDriver:
        ul = UpperLayer(
            Role.ACCEPTOR,
            ULConfig(
                artim_timeout=self.artim_timeout, max_pdu_length=self.max_pdu_length
            ),
        )
        handler = self.handler_factory(
            ul, policy(server.ae_title, maximum_pdu_length=self.max_pdu_length)
        )
        driver = AssociationDriver(
            ul, handler, name="AcceptorThread@test", idle_timeout=self.idle_timeout
        )
        driver.start_acceptor(sock, ssl_context=server.ssl_context)
        self.acceptors.append((driver, handler))
        self.started.put((driver, handler))
        return driver

    def next_acceptor(self) -> tuple[AssociationDriver, Recorder]:
        return self.started.get(timeout=TIMEOUT)


def serve(
    ae: Any, address: tuple[Any, ...] = ("127.0.0.1", 0), **kwargs: Any
) -> ThreadedAssociationServer:
    server = ThreadedAssociationServer(
        ae, address, "DICOMNET", [build_context(VERIFICATION)], **kwargs
    )
    server.start()
    return server


def associate_rq(called: str = "DICOMNET", max_pdu: int = 16382) -> Any:
    return build_associate_rq(
        called_ae_title=called,
        calling_ae_title="REQUESTOR",
        contexts=[build_context(VERIFICATION)],
        implementation_class_uid=OUR_UID,
        maximum_length=max_pdu,
    )


class Requestor:
    """Our association-requestor: an UpperLayer on an AssociationDriver."""

    def __init__(self, **driver_kwargs: Any) -> None:
        self.ul = UpperLayer(Role.REQUESTOR, ULConfig(artim_timeout=5.0))
        self.events = Recorder()
        self.driver = AssociationDriver(
            self.ul, self.events, name="RequestorThread@test", **driver_kwargs
        )

    def associate(
        self, address: tuple[Any, ...], called: str = "DICOMNET", **start: Any
    ) -> None:
        # Issued before the thread starts: its TransportConnectRequested (AE-1)
        # is the first thing the owner thread handles.
        self.ul.send(associate_rq(called), time.monotonic())
        start.setdefault("connect_timeout", TIMEOUT)
        self.driver.start_requestor(address, **start)

    def establish(self, address: tuple[Any, ...], **start: Any) -> AssociateAccepted:
        self.associate(address, **start)
        accepted: AssociateAccepted = self.events.wait_for(AssociateAccepted)
        return accepted

    def send(self, pdu: Any) -> None:
        self.driver.call(lambda: self.ul.send(pdu, time.monotonic())).result(TIMEOUT)

    def echo(self, message_id: int = 1) -> int:
        self.send(P_DATA_TF(pdvs=(PDV(1, 0x03, echo_rq(message_id)),)))
        data = self.events.wait_for(DataIndication)
        response = decode_command(bytes(data.pdu.pdvs[0].data))
        assert response.MessageIDBeingRespondedTo == message_id
        return int(response.Status)

    def release(self) -> None:
        self.send(A_RELEASE_RQ())
        self.events.wait_for(ReleaseConfirmation)
        self.driver.join(TIMEOUT)
        assert not self.driver.is_alive()

    def abort(self) -> None:
        self.send(A_ABORT(source=0, reason=0))


def joined(driver: AssociationDriver) -> bool:
    driver.join(TIMEOUT)
    return not driver.is_alive()
