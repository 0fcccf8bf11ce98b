"""The DIMSE side of one association, without I/O (PS3.7 6.3, 8; PS3.8 Annex E).

:class:`DimseConnection` sits on an established association: received
P-DATA-TF PDUs go in, whole DIMSE messages come out as :class:`DimseMessage`
(the primitive built from the command set and data set); a primitive to send
goes in, the P-DATA-TF PDUs to hand to ``UpperLayer.send`` come out::

    dimse = DimseConnection(
        {1: (VERIFICATION, IMPLICIT_VR_LITTLE_ENDIAN)}, peer_max_pdu_length=16382
    )
    dimse.receive(event.pdu)                  # a P-DATA indication from the UL
    while (message := dimse.next_message()) is not None:
        if not message.is_response and isinstance(message.primitive, C_ECHO):
            answer = C_ECHO()
            answer.MessageIDBeingRespondedTo = message.primitive.MessageID
            answer.Status = 0x0000
            for pdu in dimse.send(message.context_id, answer, response=True):
                ul.send(pdu, now)

It holds no timers and knows nothing of services: which responses a request
expects, C-CANCEL matching and DIMSE timeouts belong to the layer above.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO, Final

from dicomnet.dimse.commands import encode_command
from dicomnet.dimse.fragments import (
    DEFAULT_CHUNK_SIZE,
    DEFAULT_MAX_COMMAND_LENGTH,
    MessageAssembler,
    fragment,
    fragment_size,
)
from dicomnet.dimse.primitives import from_command, message_kind, to_command
from dicomnet.errors import LocalProtocolError

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from dicomnet.dimse.commands import CommandValue
    from dicomnet.dimse.fragments import DataSink, SinkFactory
    from dicomnet.dimse.primitives import DimsePrimitive
    from dicomnet.ul.pdu import P_DATA_TF

__all__ = ["DimseConnection", "DimseMessage"]

#: PS3.7 E.1: Message ID is a US; 0 is left out so that it never looks unset.
_FIRST_MESSAGE_ID: Final = 1
_LAST_MESSAGE_ID: Final = 0xFFFF


@dataclass(frozen=True, slots=True, kw_only=True)
class DimseMessage:
    """A received DIMSE message.

    Attributes
    ----------
    context_id : int
        Its presentation context.
    abstract_syntax, transfer_syntax : str
        The context's accepted abstract and transfer syntaxes.
    primitive : DimsePrimitive
        The request or response parameters; the data set, when kept in memory,
        is in its data set attribute (``DataSet``, ``Identifier``...).
    is_response : bool
        Whether the message is a response (-RSP) rather than a request.
    command : dict of str to CommandValue
        The decoded command set, unknown elements included.
    sink : DataSink or None
        The closed sink that took the data set, when one did.
    """

    context_id: int
    abstract_syntax: str
    transfer_syntax: str
    primitive: DimsePrimitive
    is_response: bool
    command: dict[str, CommandValue]
    sink: DataSink | None = None


class DimseConnection:
    """DIMSE messages over the P-DATA service of one association.

    Parameters
    ----------
    contexts : mapping of int to (str, str)
        Accepted presentation context ID -> (abstract syntax, transfer syntax).
    peer_max_pdu_length : int
        The peer's Maximum Length Received (PS3.8 D.1); 0 means no limit.
    max_command_length : int
        Largest command set accepted on receipt.
    sink_factory : callable, optional
        Where received data sets go (see
        :data:`~dicomnet.dimse.fragments.SinkFactory`); by default, memory.
    chunk_size : int
        Bytes read at a time from a file-like data set being sent.

    Raises
    ------
    LocalProtocolError
        ``peer_max_pdu_length`` is too small to carry a fragment.
    """

    def __init__(
        self,
        contexts: Mapping[int, tuple[str, str]],
        peer_max_pdu_length: int,
        *,
        max_command_length: int = DEFAULT_MAX_COMMAND_LENGTH,
        sink_factory: SinkFactory | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> None:
        fragment_size(peer_max_pdu_length)  # fail now, not on the first send
        self._contexts = dict(contexts)
        self._peer_max_pdu_length = peer_max_pdu_length
        self._chunk_size = chunk_size
        self._assembler = MessageAssembler(
            self._contexts,
            max_command_length=max_command_length,
            sink_factory=sink_factory,
        )
        self._messages: deque[DimseMessage] = deque()
        self._message_id = _LAST_MESSAGE_ID

    def receive(self, pdu: P_DATA_TF) -> bool:
        """Take a received P-DATA-TF; completed messages queue for :meth:`next_message`.

        Parameters
        ----------
        pdu : P_DATA_TF
            The PDU of a P-DATA indication.

        Returns
        -------
        bool
            Whether it completed a message (most PDUs of a large data set
            do not, and then there is nothing to ask :meth:`next_message`).

        Raises
        ------
        InvalidFragmentError
            A PDV breaks PS3.8 Annex E.
        InvalidMessageError
            A command set is malformed or a message breaks PS3.7.
        """
        completed = False
        for pdv in pdu.pdvs:
            received = self._assembler.feed(pdv)
            if received is None:
                continue
            completed = True
            try:
                primitive = from_command(received.command, received.data)
                _, is_response = message_kind(received.command)
            except BaseException:
                if received.sink is not None:
                    received.sink.discard()
                raise
            abstract_syntax, transfer_syntax = self._contexts[received.context_id]
            self._messages.append(
                DimseMessage(
                    context_id=received.context_id,
                    abstract_syntax=abstract_syntax,
                    transfer_syntax=transfer_syntax,
                    primitive=primitive,
                    is_response=is_response,
                    command=received.command,
                    sink=received.sink,
                )
            )
        return completed

    def next_message(self) -> DimseMessage | None:
        """Return the next completed message, or None."""
        return self._messages.popleft() if self._messages else None

    def send(
        self,
        context_id: int,
        primitive: DimsePrimitive,
        *,
        response: bool,
        data: bytes | bytearray | memoryview | BinaryIO | None = None,
    ) -> Iterator[P_DATA_TF]:
        """Encode a message and return its P-DATA-TF PDUs.

        The command set is built and checked now; the PDUs are produced as the
        iterator is consumed, so a file-like data set is read as it is sent.

        Parameters
        ----------
        context_id : int
            An accepted presentation context.
        primitive : DimsePrimitive
            The request or response to send.
        response : bool
            Send the response (-RSP) message rather than the request.
        data : bytes-like, binary file or None
            The encoded data set, instead of the primitive's own (a file to
            stream, for instance).

        Returns
        -------
        Iterator of P_DATA_TF

        Raises
        ------
        LocalProtocolError
            The context was not accepted, a mandatory parameter is missing,
            ``data`` for a message without data set, or a value does not fit
            its element.
        """
        if context_id not in self._contexts:
            raise LocalProtocolError(f"presentation context {context_id} not accepted")
        fields, own_data = to_command(
            primitive, response=response, external_data=data is not None
        )
        if data is None:
            data = own_data
        command = encode_command(fields)
        return fragment(
            context_id,
            command,
            data,
            self._peer_max_pdu_length,
            chunk_size=self._chunk_size,
        )

    def next_message_id(self) -> int:
        """Return a new Message ID: 1, 2, ... 65535, then 1 again."""
        self._message_id = (
            _FIRST_MESSAGE_ID
            if self._message_id >= _LAST_MESSAGE_ID
            else self._message_id + 1
        )
        return self._message_id

    def close(self) -> None:
        """Abandon a partly received message (the association has ended).

        Its sink, if any, is discarded, so no partial data set is left behind.
        """
        self._assembler.discard()
