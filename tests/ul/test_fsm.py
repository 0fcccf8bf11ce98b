"""PS3.8 Table 9-10: the table itself and the behaviour of every one of its cells."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dicomnet.errors import (
    AbortReason,
    AbortSource,
    InvalidPDUParameterValueError,
    LocalProtocolError,
    UnexpectedPDUError,
)
from dicomnet.ul.connection import ULConfig, UpperLayer
from dicomnet.ul.events import (
    AbortIndication,
    AssociateAccepted,
    AssociateIndication,
    AssociateRejected,
    DataIndication,
    ProviderAbortIndication,
    ReleaseConfirmation,
    ReleaseIndication,
    TransportCloseRequested,
    TransportConnectRequested,
)
from dicomnet.ul.fsm import (
    TRANSITIONS,
    Action,
    Event,
    Machine,
    Role,
    State,
    accepts_data,
    fire,
)
from dicomnet.ul.pdu import (
    A_ABORT,
    A_ASSOCIATE_AC,
    A_ASSOCIATE_RJ,
    A_ASSOCIATE_RQ,
    A_RELEASE_RP,
    A_RELEASE_RQ,
    P_DATA_TF,
)
from tests.ul.ps38_table import PS38_TABLE

ARTIM = 30.0
CELLS = [(state, event) for event in Event for state in State]
CELL_IDS = [f"{state.value}-{event.value}" for state, event in CELLS]

LOCAL_EVENTS = frozenset(
    {
        Event.EVT1,
        Event.EVT2,
        Event.EVT5,
        Event.EVT7,
        Event.EVT8,
        Event.EVT9,
        Event.EVT11,
        Event.EVT14,
        Event.EVT15,
    }
)


# -- the table -----------------------------------------------------------------------


@pytest.mark.parametrize(("state", "event"), CELLS, ids=CELL_IDS)
def test_transitions_match_ps38_table_9_10(state, event):
    expected = PS38_TABLE[state.value, event.value]
    actual = TRANSITIONS.get((state, event))
    assert (None if actual is None else actual.value) == expected


def test_transitions_has_no_cell_outside_the_table():
    assert set(TRANSITIONS) <= {(s, e) for s, e in CELLS}
    assert len(PS38_TABLE) == 13 * 19


def test_enums_keep_the_standard_names():
    assert [s.value for s in State] == [f"Sta{i}" for i in range(1, 14)]
    assert [e.value for e in Event] == [f"Evt{i}" for i in range(1, 20)]
    names = [f"AE-{i}" for i in range(1, 9)] + ["DT-1", "DT-2"]
    names += [f"AR-{i}" for i in range(1, 11)] + [f"AA-{i}" for i in range(1, 9)]
    assert [a.value for a in Action] == names
    # String-compatible for EVT_FSM_TRANSITION handlers written for pynetdicom.
    assert State.STA6 == "Sta6"
    assert Action.DT_2 == "DT-2"


def test_every_action_is_used_by_the_table():
    assert set(TRANSITIONS.values()) == set(Action)


def test_descriptions_come_from_ps38():
    assert State.STA1.description == "Idle"
    assert "release collision requestor" in State.STA9.description.lower()
    assert Event.EVT19.description == "Unrecognized or invalid PDU received"
    assert Event.EVT18.description.startswith("ARTIM timer expired")
    assert "Sta9" in Action.AR_8.description
    assert "Sta10" in Action.AR_8.description
    for member in (*State, *Event, *Action):
        assert member.description


# -- every cell through an UpperLayer ------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What an action does, as seen from outside the UpperLayer."""

    next_state: State | None  # None: depends on the role (AR-8)
    sent: tuple[type, ...] = ()
    events: tuple[type, ...] = ()
    timer: str = "keep"  # "start", "stop" or "keep"


# PS3.8 9.2.2, Tables 9-6 to 9-9, written as observable outcomes.
OUTCOMES: dict[str, Outcome] = {
    "AE-1": Outcome(State.STA4, events=(TransportConnectRequested,)),
    "AE-2": Outcome(State.STA5, sent=(A_ASSOCIATE_RQ,)),
    "AE-3": Outcome(State.STA6, events=(AssociateAccepted,)),
    "AE-4": Outcome(State.STA1, events=(AssociateRejected, TransportCloseRequested)),
    "AE-5": Outcome(State.STA2, timer="start"),
    "AE-6": Outcome(State.STA3, events=(AssociateIndication,), timer="stop"),
    "AE-7": Outcome(State.STA6, sent=(A_ASSOCIATE_AC,)),
    "AE-8": Outcome(State.STA13, sent=(A_ASSOCIATE_RJ,), timer="start"),
    "DT-1": Outcome(State.STA6, sent=(P_DATA_TF,)),
    "DT-2": Outcome(State.STA6, events=(DataIndication,)),
    "AR-1": Outcome(State.STA7, sent=(A_RELEASE_RQ,)),
    "AR-2": Outcome(State.STA8, events=(ReleaseIndication,)),
    "AR-3": Outcome(State.STA1, events=(ReleaseConfirmation, TransportCloseRequested)),
    "AR-4": Outcome(State.STA13, sent=(A_RELEASE_RP,), timer="start"),
    "AR-5": Outcome(State.STA1, timer="stop"),
    "AR-6": Outcome(State.STA7, events=(DataIndication,)),
    "AR-7": Outcome(State.STA8, sent=(P_DATA_TF,)),
    "AR-8": Outcome(None, events=(ReleaseIndication,)),
    "AR-9": Outcome(State.STA11, sent=(A_RELEASE_RP,)),
    "AR-10": Outcome(State.STA12, events=(ReleaseConfirmation,)),
    "AA-1": Outcome(State.STA13, sent=(A_ABORT,), timer="start"),
    "AA-2": Outcome(State.STA1, events=(TransportCloseRequested,), timer="stop"),
    "AA-3": Outcome(State.STA1, events=(AbortIndication, TransportCloseRequested)),
    "AA-4": Outcome(State.STA1, events=(ProviderAbortIndication,)),
    "AA-5": Outcome(State.STA1, timer="stop"),
    "AA-6": Outcome(State.STA13),
    "AA-7": Outcome(State.STA13, sent=(A_ABORT,)),
    "AA-8": Outcome(
        State.STA13, sent=(A_ABORT,), events=(ProviderAbortIndication,), timer="start"
    ),
}


def role_for(state: State, event: Event, drive) -> Role | None:
    """The role to test a cell with, or None when no legal path reaches it."""
    if event in {Event.EVT1, Event.EVT2}:
        role = Role.REQUESTOR
    elif event is Event.EVT5:
        role = Role.ACCEPTOR
    else:
        role = drive.default_role[state]
    return role if drive.reachable(role, state) else None


def trigger(ul: UpperLayer, event: Event, now: float, pdus) -> None:
    """Make ``event`` happen to ``ul`` through its public interface."""
    match event:
        case Event.EVT2 | Event.EVT5:
            ul.transport_connected(now)
        case Event.EVT17:
            ul.receive_data(b"", now)
        case Event.EVT18:
            deadline = ul.get_timer()
            ul.handle_timer(now + 1e9 if deadline is None else deadline)
        case Event.EVT19:
            ul.receive_data(pdus.invalid, now)
        case _:
            kind, pdu = STIMULI[event](pdus)
            if kind == "send":
                ul.send(pdu, now)
            else:
                ul.receive_data(pdus.wire(pdu), now)


STIMULI = {
    Event.EVT1: lambda f: ("send", f.rq()),
    Event.EVT3: lambda f: ("recv", f.ac()),
    Event.EVT4: lambda f: ("recv", f.rj()),
    Event.EVT6: lambda f: ("recv", f.rq()),
    Event.EVT7: lambda f: ("send", f.ac()),
    Event.EVT8: lambda f: ("send", f.rj()),
    Event.EVT9: lambda f: ("send", f.pdata()),
    Event.EVT10: lambda f: ("recv", f.pdata()),
    Event.EVT11: lambda _: ("send", A_RELEASE_RQ()),
    Event.EVT12: lambda _: ("recv", A_RELEASE_RQ()),
    Event.EVT13: lambda _: ("recv", A_RELEASE_RP()),
    Event.EVT14: lambda _: ("send", A_RELEASE_RP()),
    Event.EVT15: lambda f: ("send", f.abort()),
    Event.EVT16: lambda f: ("recv", f.abort()),
}


def payload_for(event: Event, pdus):
    """The payload an event carries, for driving a bare Machine."""
    if event in STIMULI:
        return STIMULI[event](pdus)[1]
    if event is Event.EVT19:
        return InvalidPDUParameterValueError("test")
    return None


def assert_blank_cell_refused(state: State, event: Event, role: Role, pdus) -> None:
    machine = Machine(role, artim_timeout=ARTIM)
    machine.state = state
    with pytest.raises(LocalProtocolError):
        fire(machine, event, payload_for(event, pdus), 5.0)
    assert machine.state is state
    assert not machine.outbox
    assert not machine.events


@pytest.mark.parametrize(("state", "event"), CELLS, ids=CELL_IDS)
def test_cell_behaviour(state, event, clock, pdus, drive):
    expected = PS38_TABLE[state.value, event.value]
    role = role_for(state, event, drive)
    if role is None:
        # Transport events of the other role (Evt2 for an acceptor, Evt5 and
        # Evt1 for a requestor...) cannot reach this state's UpperLayer: the
        # machine itself refuses them.
        assert expected is None
        other = Role.REQUESTOR if event in {Event.EVT1, Event.EVT2} else Role.ACCEPTOR
        assert_blank_cell_refused(state, event, other, pdus)
        return
    ul = drive.to(state, clock, role)
    deadline = ul.get_timer()
    now = clock.advance(1.0)
    if expected is None:
        check_blank_cell(ul, state, event, now, pdus)
        return
    trigger(ul, event, now, pdus)
    check_outcome(
        ul, state, event, expected, deadline=deadline, now=now, pdus=pdus, drive=drive
    )


def check_blank_cell(ul, state, event, now, pdus) -> None:
    deadline = ul.get_timer()
    if event is Event.EVT18:
        # No ARTIM runs outside Sta2 and Sta13: there is nothing to expire.
        assert deadline is None
        trigger(ul, event, now, pdus)
    elif event in LOCAL_EVENTS or state is State.STA4:
        # A local primitive in the wrong state, or bytes fed before the
        # transport connected: the caller's mistake.
        with pytest.raises(LocalProtocolError):
            trigger(ul, event, now, pdus)
    else:
        # Sta1: there is no transport connection, received bytes are dropped.
        assert state is State.STA1
        trigger(ul, event, now, pdus)
    assert ul.state is state
    assert ul.data_to_send() == b""
    assert ul.next_event() is None
    assert ul.get_timer() == deadline


def check_outcome(ul, state, event, action, *, deadline, now, pdus, drive) -> None:
    outcome = OUTCOMES[action]
    next_state = outcome.next_state
    if next_state is None:  # AR-8: PS3.8 7.2.2, requestor and acceptor differ
        next_state = State.STA9 if ul.role is Role.REQUESTOR else State.STA10
    assert ul.state is next_state
    sent = pdus.decode_all(ul.data_to_send())
    assert tuple(type(pdu) for pdu in sent) == outcome.sent
    events = drive.drain(ul)
    event_types = tuple(type(e) for e in events)
    if action == "AA-3" and event is Event.EVT16:
        assert events[0] == AbortIndication(source=0, reason=0)
    assert event_types == outcome.events
    if outcome.timer == "start":
        assert ul.get_timer() == now + ARTIM
    elif outcome.timer == "stop":
        assert ul.get_timer() is None
    else:
        assert ul.get_timer() == deadline
    check_abort_details(action, state, event, sent, events)


def check_abort_details(action, state, event, sent, events) -> None:
    """The A-ABORT fields and indication PS3.8 9.3.8 and 7.4 ask for."""
    if action == "AA-1":
        # Service-user source; Evt15 sends the user's PDU, which is the same.
        assert sent == [A_ABORT(source=0, reason=0)]
    elif action in {"AA-7", "AA-8"}:
        reason = (
            AbortReason.INVALID_PDU_PARAMETER_VALUE
            if event is Event.EVT19
            else AbortReason.UNEXPECTED_PDU
        )
        assert sent == [A_ABORT(source=AbortSource.SERVICE_PROVIDER, reason=reason)]
        if action == "AA-8":
            (indication,) = events
            assert indication.reason == reason
            error_type = (
                InvalidPDUParameterValueError
                if event is Event.EVT19
                else UnexpectedPDUError
            )
            assert isinstance(indication.error, error_type)
    elif action == "AR-8":
        assert events == [ReleaseIndication(collision=True)]
    elif action == "AR-2":
        assert events == [ReleaseIndication(collision=False)]
    elif action == "AA-4":
        assert events == [ProviderAbortIndication(reason=0, error=None)]


# -- anything, anywhere --------------------------------------------------------------


@given(
    state=st.sampled_from(State),
    event=st.sampled_from(Event),
    role=st.sampled_from(Role),
)
def test_any_event_in_any_state(state, event, role, pdus, drive):
    """Only LocalProtocolError may escape, and the machine stays in a state."""
    clock_now = 100.0
    if not drive.reachable(role, state):
        machine = Machine(role, artim_timeout=ARTIM)
        machine.state = state
        try:
            fire(machine, event, payload_for(event, pdus), clock_now)
        except LocalProtocolError:
            assert machine.state is state
        assert machine.state in State
        return
    ul = drive.to(state, drive.clock(clock_now), role)
    try:
        trigger(ul, event, clock_now + 1, pdus)
    except LocalProtocolError:
        assert ul.state is state
        assert ul.data_to_send() == b""
    assert ul.state in State
    # The ARTIM deadline exists exactly in the states that wait on it.
    if ul.get_timer() is not None:
        assert ul.state in {State.STA2, State.STA13}


# -- the machine on its own ----------------------------------------------------------


def test_payload_of_the_wrong_type_is_refused(pdus):
    machine = Machine(Role.REQUESTOR)
    machine.state = State.STA6
    with pytest.raises(LocalProtocolError, match="expected P_DATA_TF"):
        fire(machine, Event.EVT9, A_RELEASE_RQ(), 0.0)
    assert machine.state is State.STA6
    assert not machine.outbox


def test_accepts_data_per_state():
    assert not accepts_data(State.STA1)
    with pytest.raises(LocalProtocolError):
        accepts_data(State.STA4)
    for state in set(State) - {State.STA1, State.STA4}:
        assert accepts_data(state)


def test_blank_received_event_in_sta1_is_dropped():
    machine = Machine(Role.ACCEPTOR)
    fire(machine, Event.EVT10, None, 0.0)
    assert machine.state is State.STA1
    assert not machine.events


def test_artim_disabled_sets_no_deadline():
    ul = UpperLayer(Role.ACCEPTOR, ULConfig(artim_timeout=None))
    ul.transport_connected(0.0)
    assert ul.state is State.STA2
    assert ul.get_timer() is None


# -- the generated docs page ---------------------------------------------------------


def test_docs_table_is_up_to_date():
    """docs/ps38-state-table.md is what tools/ps38_table.py renders today."""
    root = Path(__file__).resolve().parents[2]
    spec = importlib.util.spec_from_file_location(
        "ps38_table_tool", root / "tools" / "ps38_table.py"
    )
    assert spec is not None
    assert spec.loader is not None
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    page = tool.render()
    assert (root / "docs" / "ps38-state-table.md").read_text() == page
    # The diagram's release collision edges come from running AR-8 per role.
    assert "Sta7 --> Sta9: Evt12 AR-8" in page
    assert "Sta7 --> Sta10: Evt12 AR-8" in page
