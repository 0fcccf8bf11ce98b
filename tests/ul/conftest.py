"""Fixtures for the Upper Layer state machine tests.

``clock`` (FakeClock), ``pdus`` (PDUFactory), ``drive`` (brings an UpperLayer
to any PS3.8 state through legal inputs) and ``pair`` (ULPair: a requestor and
an acceptor wired together in memory).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import pytest

from dicomnet.ul.connection import Role, ULConfig, UpperLayer
from dicomnet.ul.events import (
    TransportCloseRequested,
    TransportConnectRequested,
    ULEvent,
)
from dicomnet.ul.fsm import State
from dicomnet.ul.items import (
    MaximumLengthSubItem,
    PresentationContextItemAC,
    PresentationContextItemRQ,
    UserInformationItem,
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
    decode_pdu,
    encode_pdu,
)

VERIFICATION = "1.2.840.10008.1.1"
IMPLICIT_LE = "1.2.840.10008.1.2"
ARTIM = 30.0


@dataclass
class FakeClock:
    """A clock the test moves by hand; ``now`` is passed to the UpperLayer."""

    now: float = 1000.0

    def advance(self, seconds: float) -> float:
        self.now += seconds
        return self.now


def _user_info(max_length: int | None) -> UserInformationItem:
    if max_length is None:
        return UserInformationItem()
    return UserInformationItem(
        sub_items=(MaximumLengthSubItem(maximum_length_received=max_length),)
    )


class PDUFactory:
    """Builds the PDUs the tests send and receive (h2's FrameFactory idea)."""

    # A P-DATA-TF whose one PDV names presentation context 2: well framed, but
    # an even context ID is invalid (PS3.8 9.3.2.2) -> A-ABORT reason 6.
    invalid = bytes.fromhex("04 00 00000007 00000003 02 03 ff")
    # A PDU type PS3.8 does not define: condemned by its first byte (reason 1).
    unknown = bytes.fromhex("0a 00 00000000")

    @staticmethod
    def rq(max_length: int | None = 16382, protocol_version: int = 1) -> A_ASSOCIATE_RQ:
        return A_ASSOCIATE_RQ(
            called_ae_title="ANY-SCP",
            calling_ae_title="ECHOSCU",
            presentation_contexts=(
                PresentationContextItemRQ(
                    context_id=1,
                    abstract_syntax=VERIFICATION,
                    transfer_syntaxes=(IMPLICIT_LE,),
                ),
            ),
            user_information=_user_info(max_length),
            protocol_version=protocol_version,
        )

    @staticmethod
    def ac(max_length: int | None = 16382) -> A_ASSOCIATE_AC:
        return A_ASSOCIATE_AC(
            called_ae_title="ANY-SCP",
            calling_ae_title="ECHOSCU",
            presentation_contexts=(
                PresentationContextItemAC(
                    context_id=1, result=0, transfer_syntax=IMPLICIT_LE
                ),
            ),
            user_information=_user_info(max_length),
        )

    @staticmethod
    def rj() -> A_ASSOCIATE_RJ:
        return A_ASSOCIATE_RJ(result=1, source=1, reason=7)

    @staticmethod
    def pdata(size: int = 8, context_id: int = 1) -> P_DATA_TF:
        fragment = bytes(i % 251 for i in range(size))
        return P_DATA_TF(pdvs=(PDV(context_id, 0x03, fragment),))

    @staticmethod
    def abort(source: int = 0, reason: int = 0) -> A_ABORT:
        return A_ABORT(source=source, reason=reason)

    @staticmethod
    def wire(pdu: PDU) -> bytes:
        return encode_pdu(pdu)

    @staticmethod
    def decode_all(data: bytes) -> list[PDU]:
        """Split ``data`` into PDUs and decode each one."""
        pdus = []
        offset = 0
        while offset < len(data):
            length = int.from_bytes(data[offset + 2 : offset + 6], "big")
            pdus.append(decode_pdu(data[offset : offset + 6 + length]))
            offset += 6 + length
        return pdus


_F = PDUFactory


def drain(ul: UpperLayer) -> list[ULEvent]:
    """Every event ``ul`` has queued, in order."""
    events = []
    while (event := ul.next_event()) is not None:
        events.append(event)
    return events


# How to bring a fresh UpperLayer of a role to each state through legal
# inputs only: (method, argument) steps.
Steps = list[tuple[str, PDU | None]]

_ACC_STA2: Steps = [("connect", None)]
_ACC_STA3: Steps = [*_ACC_STA2, ("recv", _F.rq())]
_ACC_STA6: Steps = [*_ACC_STA3, ("send", _F.ac())]
_ACC_STA7: Steps = [*_ACC_STA6, ("send", A_RELEASE_RQ())]
_ACC_STA10: Steps = [*_ACC_STA7, ("recv", A_RELEASE_RQ())]
_REQ_STA4: Steps = [("send", _F.rq())]
_REQ_STA5: Steps = [*_REQ_STA4, ("connect", None)]
_REQ_STA6: Steps = [*_REQ_STA5, ("recv", _F.ac())]
_REQ_STA7: Steps = [*_REQ_STA6, ("send", A_RELEASE_RQ())]
_REQ_STA9: Steps = [*_REQ_STA7, ("recv", A_RELEASE_RQ())]

_PATHS: dict[tuple[Role, State], Steps] = {
    (Role.ACCEPTOR, State.STA1): [],
    (Role.ACCEPTOR, State.STA2): _ACC_STA2,
    (Role.ACCEPTOR, State.STA3): _ACC_STA3,
    (Role.ACCEPTOR, State.STA6): _ACC_STA6,
    (Role.ACCEPTOR, State.STA7): _ACC_STA7,
    (Role.ACCEPTOR, State.STA8): [*_ACC_STA6, ("recv", A_RELEASE_RQ())],
    (Role.ACCEPTOR, State.STA10): _ACC_STA10,
    (Role.ACCEPTOR, State.STA12): [*_ACC_STA10, ("recv", A_RELEASE_RP())],
    (Role.ACCEPTOR, State.STA13): [*_ACC_STA3, ("send", _F.rj())],
    (Role.REQUESTOR, State.STA1): [],
    (Role.REQUESTOR, State.STA4): _REQ_STA4,
    (Role.REQUESTOR, State.STA5): _REQ_STA5,
    (Role.REQUESTOR, State.STA6): _REQ_STA6,
    (Role.REQUESTOR, State.STA7): _REQ_STA7,
    (Role.REQUESTOR, State.STA8): [*_REQ_STA6, ("recv", A_RELEASE_RQ())],
    (Role.REQUESTOR, State.STA9): _REQ_STA9,
    (Role.REQUESTOR, State.STA11): [*_REQ_STA9, ("send", A_RELEASE_RP())],
    (Role.REQUESTOR, State.STA13): [*_REQ_STA6, ("send", _F.abort())],
}


class Driver:
    """Brings a fresh UpperLayer to any PS3.8 state through legal inputs."""

    #: The role used to reach each state when the test does not care.
    default_role: ClassVar[dict[State, Role]] = {
        State.STA1: Role.ACCEPTOR,
        State.STA2: Role.ACCEPTOR,
        State.STA3: Role.ACCEPTOR,
        State.STA4: Role.REQUESTOR,
        State.STA5: Role.REQUESTOR,
        State.STA6: Role.REQUESTOR,
        State.STA7: Role.REQUESTOR,
        State.STA8: Role.ACCEPTOR,
        State.STA9: Role.REQUESTOR,
        State.STA10: Role.ACCEPTOR,
        State.STA11: Role.REQUESTOR,
        State.STA12: Role.ACCEPTOR,
        State.STA13: Role.ACCEPTOR,
    }
    drain = staticmethod(drain)
    clock = FakeClock

    @staticmethod
    def reachable(role: Role, state: State) -> bool:
        return (role, state) in _PATHS

    def to(
        self,
        state: State,
        clock: FakeClock,
        role: Role | None = None,
        config: ULConfig | None = None,
    ) -> UpperLayer:
        """A fresh UpperLayer brought to ``state``; its outputs drained."""
        role = self.default_role[state] if role is None else role
        if config is None:
            config = ULConfig(artim_timeout=ARTIM)
        ul = UpperLayer(role, config)
        for method, argument in _PATHS[role, state]:
            if argument is None:
                ul.transport_connected(clock.now)
            elif method == "send":
                ul.send(argument, clock.now)
            else:
                ul.receive_data(encode_pdu(argument), clock.now)
        assert ul.state is state
        ul.data_to_send()
        drain(ul)
        return ul


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session")
def pdus() -> PDUFactory:
    return PDUFactory()


@pytest.fixture(scope="session")
def drive() -> Driver:
    return Driver()


@dataclass
class ULPair:
    """A requestor and an acceptor wired together in memory.

    ``pump()`` plays both drivers: it carries each side's ``data_to_send()``
    to the other's ``receive_data()``, opens the transport on
    TransportConnectRequested and closes it (an empty read on the other side)
    on TransportCloseRequested, until nothing moves. Every other event is
    collected in ``requestor_events`` / ``acceptor_events``.
    """

    clock: FakeClock
    config: ULConfig = field(default_factory=lambda: ULConfig(artim_timeout=ARTIM))
    requestor: UpperLayer = field(init=False)
    acceptor: UpperLayer = field(init=False)
    requestor_events: list[ULEvent] = field(default_factory=list)
    acceptor_events: list[ULEvent] = field(default_factory=list)
    connected: bool = False
    closed_by: Role | None = None

    def __post_init__(self) -> None:
        self.requestor = UpperLayer(Role.REQUESTOR, self.config)
        self.acceptor = UpperLayer(Role.ACCEPTOR, self.config)

    def peer(self, ul: UpperLayer) -> UpperLayer:
        return self.acceptor if ul is self.requestor else self.requestor

    def events(self, ul: UpperLayer) -> list[ULEvent]:
        return self.requestor_events if ul is self.requestor else self.acceptor_events

    def pump(self) -> None:
        moved = True
        while moved:
            moved = False
            for ul in (self.requestor, self.acceptor):
                moved |= self._step(ul)

    def _step(self, ul: UpperLayer) -> bool:
        moved = False
        data = ul.data_to_send()
        if data and self.connected:
            self.peer(ul).receive_data(data, self.clock.now)
            moved = True
        while (event := ul.next_event()) is not None:
            moved = True
            if isinstance(event, TransportConnectRequested):
                self.connected = True
                self.acceptor.transport_connected(self.clock.now)
                ul.transport_connected(self.clock.now)
            elif isinstance(event, TransportCloseRequested):
                self.close(ul)
            else:
                self.events(ul).append(event)
        return moved

    def close(self, ul: UpperLayer) -> None:
        """``ul``'s driver closes the connection: the peer reads EOF."""
        if self.connected:
            self.connected = False
            self.closed_by = ul.role
            self.peer(ul).receive_data(b"", self.clock.now)

    def associate(self) -> None:
        """Request, accept: both sides end in Sta6."""
        self.requestor.send(PDUFactory.rq(), self.clock.now)
        self.pump()
        self.acceptor.send(PDUFactory.ac(), self.clock.now)
        self.pump()
        assert self.requestor.state is State.STA6
        assert self.acceptor.state is State.STA6
        self.requestor_events.clear()
        self.acceptor_events.clear()


@pytest.fixture
def pair(clock: FakeClock) -> ULPair:
    return ULPair(clock)
