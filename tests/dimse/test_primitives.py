"""DIMSE primitives: validation, message conversion, mandatory fields."""

from __future__ import annotations

from io import BytesIO

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydicom.tag import BaseTag
from pydicom.uid import UID

from dicomnet import dimse_primitives
from dicomnet.dimse.commands import CommandField, decode_command, encode_command
from dicomnet.dimse.primitives import (
    C_CANCEL,
    C_ECHO,
    C_FIND,
    C_GET,
    C_MOVE,
    C_STORE,
    N_ACTION,
    N_CREATE,
    N_DELETE,
    N_EVENT_REPORT,
    N_GET,
    N_SET,
    _layout,
    from_command,
    message_kind,
    to_command,
)
from dicomnet.errors import InvalidMessageError, LocalProtocolError

from .strategies import ALL_PRIMITIVES, MESSAGES, primitives

ECHO = "1.2.840.10008.1.1"


@pytest.mark.parametrize(("cls", "response"), MESSAGES)
@settings(max_examples=25)
@given(data=st.data())
def test_round_trip_every_message(cls, response, data):
    primitive, values = data.draw(primitives(cls, response))
    fields, payload = to_command(primitive, response=response)
    decoded = decode_command(encode_command(fields))
    assert message_kind(decoded) == (cls, response)
    back = from_command(decoded, payload)
    assert type(back) is cls
    _, data_name, _ = _layout(cls, response=response)
    for name, value in values.items():
        got = getattr(back, name)
        if name == data_name:
            assert got.getvalue() == value
        else:
            assert got == value, name
    names, _, _ = _layout(cls, response=response)
    for name in names:
        if name not in values:
            assert getattr(back, name) is None


@pytest.mark.parametrize(("cls", "response"), MESSAGES)
def test_missing_mandatory_field(cls, response):
    with pytest.raises(LocalProtocolError, match="without"):
        to_command(cls(), response=response)
    command = cls._RESPONSE_COMMAND if response else cls._REQUEST_COMMAND
    with pytest.raises(InvalidMessageError, match="without"):
        from_command({"CommandField": command, "CommandDataSetType": 0x0101})


def test_c_echo_attributes_and_validity():
    echo = C_ECHO()
    assert echo.msg_type == "C-ECHO"
    assert not echo.is_valid_request
    assert not echo.is_valid_response
    echo.MessageID = 1
    echo.AffectedSOPClassUID = ECHO
    assert echo.is_valid_request
    assert isinstance(echo.AffectedSOPClassUID, UID)
    echo.MessageIDBeingRespondedTo = 1
    echo.Status = 0
    assert echo.is_valid_response
    echo.MessageID = None
    assert echo.MessageID is None
    assert C_ECHO.MessageID is None  # class access: no instance value
    assert N_EVENT_REPORT().msg_type == "N-EVENT-REPORT"


@pytest.mark.parametrize(
    ("attribute", "value", "error"),
    [
        ("MessageID", 65536, ValueError),
        ("MessageID", -1, ValueError),
        ("MessageID", "1", TypeError),
        ("MessageID", True, TypeError),
        ("Priority", 3, ValueError),
        ("Priority", "1", TypeError),
        ("Priority", False, TypeError),
        ("AffectedSOPClassUID", "x" * 65, ValueError),
        ("AffectedSOPClassUID", 12, TypeError),
        ("MoveOriginatorApplicationEntityTitle", "A" * 17, ValueError),
        ("MoveOriginatorApplicationEntityTitle", "   ", ValueError),
        ("MoveOriginatorApplicationEntityTitle", 1, TypeError),
        ("ErrorComment", "x" * 65, ValueError),
        ("ErrorComment", 1, TypeError),
        ("OffendingElement", 1.5, TypeError),
        ("OffendingElement", [1 << 40], ValueError),
        ("OffendingElement", "NotAKeyword", ValueError),
        ("DataSet", b"raw", TypeError),
    ],
)
def test_setters_validate(attribute, value, error):
    store = C_STORE()
    with pytest.raises(error):
        setattr(store, attribute, value)


def test_setters_convert():
    store = C_STORE()
    store.AffectedSOPInstanceUID = b"1.2.3\x00"
    assert store.AffectedSOPInstanceUID == "1.2.3"
    store.MoveOriginatorApplicationEntityTitle = " ORIGIN "
    assert store.MoveOriginatorApplicationEntityTitle == "ORIGIN"
    store.OffendingElement = 0x00100010
    assert store.OffendingElement == [BaseTag(0x00100010)]
    store.OffendingElement = [(0x10, 0x20), "PatientName"]
    assert store.OffendingElement == [0x00100020, 0x00100010]
    store.Priority = 1
    assert store.Priority == 1


def test_status_optional_keywords_match_pynetdicom():
    pynetdicom = pytest.importorskip("pynetdicom.dimse_primitives")
    for cls in ALL_PRIMITIVES:
        theirs = getattr(pynetdicom, cls.__name__)
        if cls is C_CANCEL:
            continue
        assert cls.STATUS_OPTIONAL_KEYWORDS == theirs.STATUS_OPTIONAL_KEYWORDS
        assert cls.REQUEST_KEYWORDS == theirs.REQUEST_KEYWORDS
        assert cls.RESPONSE_KEYWORDS == theirs.RESPONSE_KEYWORDS


def test_c_cancel_has_no_response():
    cancel = C_CANCEL()
    cancel.MessageIDBeingRespondedTo = 3
    with pytest.raises(LocalProtocolError, match="no response"):
        to_command(cancel, response=True)
    fields, data = to_command(cancel, response=False)
    assert fields == {
        "CommandField": CommandField.C_CANCEL_RQ,
        "MessageIDBeingRespondedTo": 3,
        "CommandDataSetType": 0x0101,
    }
    assert data is None


def test_from_command_errors():
    base = {"CommandField": 0x0030, "MessageID": 1, "AffectedSOPClassUID": ECHO}
    with pytest.raises(InvalidMessageError, match="CommandField"):
        from_command({"CommandDataSetType": 0x0101})
    with pytest.raises(InvalidMessageError, match="CommandField"):
        from_command({"CommandField": 0x1234, "CommandDataSetType": 0x0101})
    with pytest.raises(InvalidMessageError, match="CommandDataSetType"):
        from_command(base)
    with pytest.raises(InvalidMessageError, match="with a data set"):
        from_command({**base, "CommandDataSetType": 1}, b"x")
    with pytest.raises(InvalidMessageError, match="C-ECHO"):
        from_command({**base, "CommandDataSetType": 0x0101, "MessageID": "x"})
    # A C-STORE-RQ whose data set is not announced lacks its DataSet.
    store = {
        "CommandField": 0x0001,
        "MessageID": 1,
        "AffectedSOPClassUID": "1.2",
        "AffectedSOPInstanceUID": "1.2.3",
        "Priority": 0,
        "CommandDataSetType": 0x0101,
    }
    with pytest.raises(InvalidMessageError, match="DataSet"):
        from_command(store)
    # Announced but spooled elsewhere (data None): valid, attribute unset.
    spooled = from_command({**store, "CommandDataSetType": 1}, None)
    assert spooled.DataSet is None


def test_empty_text_is_no_value():
    fields = {
        "CommandField": 0x0001,
        "MessageID": 1,
        "AffectedSOPClassUID": "1.2",
        "AffectedSOPInstanceUID": "1.2.3",
        "Priority": 0,
        "CommandDataSetType": 1,
        "MoveOriginatorApplicationEntityTitle": "",
    }
    store = from_command(fields, b"")
    assert store.MoveOriginatorApplicationEntityTitle is None
    assert store.DataSet.getvalue() == b""


def test_move_destination_is_part_of_c_move_request():
    move = C_MOVE()
    move.MessageID = 2
    move.AffectedSOPClassUID = "1.2.840.10008.5.1.4.1.2.1.2"
    move.Priority = 2
    move.Identifier = BytesIO(b"id")
    assert not move.is_valid_request
    move.MoveDestination = "STORESCP"
    fields, data = to_command(move, response=False)
    assert fields["MoveDestination"] == "STORESCP"
    assert fields["CommandField"] == CommandField.C_MOVE_RQ
    assert data == b"id"


def test_compat_facade_reexports():
    for cls in ALL_PRIMITIVES:
        assert getattr(dimse_primitives, cls.__name__) is cls
    assert dimse_primitives.DIMSEPrimitive is dimse_primitives.DimsePrimitive
    assert {C_FIND, C_GET, N_ACTION, N_CREATE, N_DELETE, N_GET, N_SET} <= set(
        ALL_PRIMITIVES
    )


def test_response_to_echoes_the_request() -> None:
    from dicomnet.dimse.primitives import C_ECHO, C_STORE, N_ACTION, response_to

    store = C_STORE()
    store.MessageID = 7
    store.AffectedSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    store.AffectedSOPInstanceUID = "1.2.3.4"
    response = response_to(store)
    assert type(response) is C_STORE
    assert response.MessageIDBeingRespondedTo == 7
    assert response.AffectedSOPClassUID == "1.2.840.10008.5.1.4.1.1.2"
    assert response.AffectedSOPInstanceUID == "1.2.3.4"
    assert response.MessageID is None
    assert response.Status is None

    echo = C_ECHO()
    echo.MessageID = 3
    echo.AffectedSOPClassUID = "1.2.840.10008.1.1"
    answer = response_to(echo)
    assert (answer.MessageIDBeingRespondedTo, answer.AffectedSOPClassUID) == (
        3,
        "1.2.840.10008.1.1",
    )
    assert not hasattr(type(answer), "AffectedSOPInstanceUID")

    # N-ACTION names the instance as Requested...; the response's Affected
    # SOP Instance UID is the service's to set, not copied.
    action = N_ACTION()
    action.MessageID = 9
    action.RequestedSOPClassUID = "1.2.840.10008.1.20.1"
    action.RequestedSOPInstanceUID = "1.2.840.10008.1.20.1.1"
    assert response_to(action).AffectedSOPInstanceUID is None
