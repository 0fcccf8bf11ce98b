"""Command sets and fragments exchanged with pynetdicom's DIMSE messages (test peer)."""

from __future__ import annotations

import io

import pytest

from dicomnet.dimse.connection import DimseConnection
from dicomnet.dimse.primitives import C_ECHO, C_STORE

pynetdicom_messages = pytest.importorskip("pynetdicom.dimse_messages")
pynetdicom_primitives = pytest.importorskip("pynetdicom.dimse_primitives")
from pynetdicom.pdu_primitives import P_DATA  # noqa: E402

from dicomnet.ul.pdu import P_DATA_TF, PDV  # noqa: E402

pytestmark = pytest.mark.interop

CT = "1.2.840.10008.5.1.4.1.1.2"
CONTEXTS = {1: ("1.2.840.10008.1.1", "1.2.840.10008.1.2"), 3: (CT, "1.2.840.10008.1.2")}


def _their_pdus(message, context_id, max_pdu):
    for p_data in message.encode_msg(context_id, max_pdu):
        for context, value in p_data.presentation_data_value_list:
            yield P_DATA_TF(pdvs=(PDV(context, value[0], memoryview(value)[1:]),))


def _decode_theirs(pdus):
    message = pynetdicom_messages.DIMSEMessage()
    for pdu in pdus:
        for pdv in pdu.pdvs:
            p_data = P_DATA()
            p_data.presentation_data_value_list = [
                [pdv.context_id, bytes([pdv.message_control_header]) + bytes(pdv.data)]
            ]
            if message.decode_msg(p_data):
                return message.message_to_primitive()
    raise AssertionError("pynetdicom did not complete the message")


@pytest.mark.parametrize("max_pdu", [16, 100, 16382])
def test_decode_pynetdicom_c_echo_rq(max_pdu):
    theirs = pynetdicom_primitives.C_ECHO()
    theirs.MessageID = 12
    theirs.AffectedSOPClassUID = "1.2.840.10008.1.1"
    message = pynetdicom_messages.C_ECHO_RQ()
    message.primitive_to_message(theirs)
    dimse = DimseConnection(CONTEXTS, 0)
    for pdu in _their_pdus(message, 1, max_pdu):
        dimse.receive(pdu)
    ours = dimse.next_message()
    assert isinstance(ours.primitive, C_ECHO)
    assert ours.primitive.MessageID == 12
    assert ours.primitive.AffectedSOPClassUID == "1.2.840.10008.1.1"


@pytest.mark.parametrize("max_pdu", [16, 100, 16382])
def test_decode_pynetdicom_c_store_rq(max_pdu):
    theirs = pynetdicom_primitives.C_STORE()
    theirs.MessageID = 7
    theirs.AffectedSOPClassUID = CT
    theirs.AffectedSOPInstanceUID = "1.2.3.4.5"
    theirs.Priority = 1
    theirs.MoveOriginatorApplicationEntityTitle = "MOVER"
    theirs.MoveOriginatorMessageID = 3
    theirs.DataSet = io.BytesIO(b"\x08\x00\x16\x00" + b"z" * 300)
    message = pynetdicom_messages.C_STORE_RQ()
    message.primitive_to_message(theirs)
    dimse = DimseConnection(CONTEXTS, 0)
    for pdu in _their_pdus(message, 3, max_pdu):
        dimse.receive(pdu)
    ours = dimse.next_message().primitive
    assert isinstance(ours, C_STORE)
    assert (ours.MessageID, ours.Priority, ours.MoveOriginatorMessageID) == (7, 1, 3)
    assert ours.AffectedSOPInstanceUID == "1.2.3.4.5"
    assert ours.MoveOriginatorApplicationEntityTitle == "MOVER"
    assert ours.DataSet.getvalue() == b"\x08\x00\x16\x00" + b"z" * 300


def test_pynetdicom_decodes_our_c_echo_rq():
    echo = C_ECHO()
    echo.MessageID = 5
    echo.AffectedSOPClassUID = "1.2.840.10008.1.1"
    theirs = _decode_theirs(DimseConnection(CONTEXTS, 20).send(1, echo, response=False))
    assert isinstance(theirs, pynetdicom_primitives.C_ECHO)
    assert theirs.MessageID == 5
    assert theirs.AffectedSOPClassUID == "1.2.840.10008.1.1"


@pytest.mark.parametrize("response", [False, True])
def test_pynetdicom_decodes_our_c_store(response):
    store = C_STORE()
    store.AffectedSOPClassUID = CT
    store.AffectedSOPInstanceUID = "1.2.3.4.5"
    if response:
        store.MessageIDBeingRespondedTo = 7
        store.Status = 0xB000
        store.ErrorComment = "warning"
    else:
        store.MessageID = 7
        store.Priority = 2
        store.MoveOriginatorApplicationEntityTitle = "MOVER"
        store.DataSet = io.BytesIO(b"q" * 333)
    pdus = DimseConnection(CONTEXTS, 64).send(3, store, response=response)
    theirs = _decode_theirs(pdus)
    assert theirs.AffectedSOPInstanceUID == "1.2.3.4.5"
    if response:
        assert (theirs.MessageIDBeingRespondedTo, theirs.Status) == (7, 0xB000)
        assert theirs.ErrorComment == "warning"
    else:
        assert theirs.MessageID == 7
        assert theirs.MoveOriginatorApplicationEntityTitle == "MOVER"
        assert theirs.DataSet.getvalue() == b"q" * 333
