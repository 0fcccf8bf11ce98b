"""DimseConnection: two in memory, wired through the PDU codec."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dicomnet.dimse.commands import encode_command
from dicomnet.dimse.connection import DimseConnection
from dicomnet.dimse.primitives import C_ECHO, C_STORE
from dicomnet.errors import InvalidMessageError, LocalProtocolError
from dicomnet.ul.pdu import P_DATA_TF, PDV, decode_pdu, encode_pdu

from .strategies import MESSAGES, primitives

VERIFICATION = "1.2.840.10008.1.1"
CT = "1.2.840.10008.5.1.4.1.1.2"
IMPLICIT = "1.2.840.10008.1.2"
CONTEXTS = {1: (VERIFICATION, IMPLICIT), 3: (CT, IMPLICIT)}


def transfer(pdus, receiver):
    for pdu in pdus:
        receiver.receive(decode_pdu(encode_pdu(pdu)))


def echo_rq(message_id=1):
    echo = C_ECHO()
    echo.MessageID = message_id
    echo.AffectedSOPClassUID = VERIFICATION
    return echo


def store_rq(data=None):
    store = C_STORE()
    store.MessageID = 9
    store.AffectedSOPClassUID = CT
    store.AffectedSOPInstanceUID = "1.2.3.4"
    store.Priority = 2
    if data is not None:
        store.DataSet = io.BytesIO(data)
    return store


def test_echo_request_and_response():
    scu = DimseConnection(CONTEXTS, 16382)
    scp = DimseConnection(CONTEXTS, 16382)
    transfer(scu.send(1, echo_rq(scu.next_message_id()), response=False), scp)
    message = scp.next_message()
    assert scp.next_message() is None
    assert not message.is_response
    assert (message.context_id, message.abstract_syntax) == (1, VERIFICATION)
    assert message.transfer_syntax == IMPLICIT
    assert message.primitive.MessageID == 1
    assert message.command["CommandField"] == 0x0030
    answer = C_ECHO()
    answer.MessageIDBeingRespondedTo = message.primitive.MessageID
    answer.Status = 0
    transfer(scp.send(1, answer, response=True), scu)
    reply = scu.next_message()
    assert reply.is_response
    assert reply.primitive.Status == 0
    assert reply.primitive.MessageIDBeingRespondedTo == 1


@pytest.mark.parametrize(("cls", "response"), MESSAGES)
@settings(max_examples=25)
@given(data=st.data(), max_pdu=st.integers(7, 200) | st.just(0))
def test_every_message_through_the_pair(cls, response, data, max_pdu):
    primitive, _ = data.draw(primitives(cls, response))
    sender = DimseConnection(CONTEXTS, max_pdu)
    receiver = DimseConnection(CONTEXTS, 0)
    transfer(sender.send(3, primitive, response=response), receiver)
    message = receiver.next_message()
    assert type(message.primitive) is cls
    assert message.is_response is response


def test_several_messages_in_one_pdu_queue_in_order():
    scu = DimseConnection(CONTEXTS, 0)
    pdvs = [
        pdv
        for i in (1, 2)
        for pdu in scu.send(1, echo_rq(i), response=False)
        for pdv in pdu.pdvs
    ]
    scp = DimseConnection(CONTEXTS, 0)
    scp.receive(P_DATA_TF(pdvs=tuple(pdvs)))
    assert [scp.next_message().primitive.MessageID for _ in range(2)] == [1, 2]


def test_store_with_data_override_from_file():
    scu = DimseConnection(CONTEXTS, 64, chunk_size=100)
    scp = DimseConnection(CONTEXTS, 0)
    transfer(scu.send(3, store_rq(), response=False, data=io.BytesIO(b"d" * 500)), scp)
    assert scp.next_message().primitive.DataSet.getvalue() == b"d" * 500


def test_store_spooled_to_sink():
    class Sink:
        def __init__(self):
            self.parts, self.closed, self.discarded = [], False, False

        def write(self, fragment):
            self.parts.append(bytes(fragment))

        def close(self):
            self.closed = True

        def discard(self):
            self.discarded = True

    sinks = []

    def factory(context_id, command):
        sinks.append(Sink())
        return sinks[-1]

    scu = DimseConnection(CONTEXTS, 50)
    scp = DimseConnection(CONTEXTS, 0, sink_factory=factory)
    transfer(scu.send(3, store_rq(b"p" * 120), response=False), scp)
    message = scp.next_message()
    assert message.sink is sinks[0]
    assert message.primitive.DataSet is None
    assert b"".join(sinks[0].parts) == b"p" * 120
    # A message that fails PS3.7 after its data was spooled: the sink is dropped.
    bad = encode_command(
        {"CommandField": 0x0001, "MessageID": 1, "CommandDataSetType": 1}
    )
    with pytest.raises(InvalidMessageError, match="without"):
        scp.receive(P_DATA_TF(pdvs=(PDV(3, 0x03, bad), PDV(3, 0x02, b"x"))))
    assert sinks[1].discarded
    # close() mid-message discards the partial data set.
    pdus = list(scu.send(3, store_rq(b"q" * 120), response=False))
    transfer(pdus[:-1], scp)
    scp.close()
    assert sinks[2].discarded
    assert not sinks[2].closed


def test_send_errors():
    dimse = DimseConnection(CONTEXTS, 0)
    with pytest.raises(LocalProtocolError, match="not accepted"):
        dimse.send(5, echo_rq(), response=False)
    with pytest.raises(LocalProtocolError, match="without"):
        dimse.send(1, C_ECHO(), response=False)
    with pytest.raises(LocalProtocolError):
        DimseConnection(CONTEXTS, 6)


def test_message_ids_wrap():
    dimse = DimseConnection(CONTEXTS, 0)
    assert [dimse.next_message_id() for _ in range(3)] == [1, 2, 3]
    for _ in range(65535 - 3):
        dimse.next_message_id()
    assert dimse.next_message_id() == 1


def test_data_override_for_message_without_data_set():
    dimse = DimseConnection(CONTEXTS, 0)
    with pytest.raises(LocalProtocolError, match="carries no data set"):
        dimse.send(1, echo_rq(), response=False, data=b"x")


def test_invalid_message_in_memory():
    dimse = DimseConnection(CONTEXTS, 0)
    bad = encode_command({"CommandField": 0x0030, "CommandDataSetType": 0x0101})
    with pytest.raises(InvalidMessageError, match="without"):
        dimse.receive(P_DATA_TF(pdvs=(PDV(1, 0x03, bad),)))
    assert dimse.next_message() is None
