"""DIMSE messages to and from PDV fragments (PS3.8 9.3.5.1, Annex E; PS3.7 6.3.1, 8).

A message is its command set, then its data set if it has one, each cut into
Presentation Data Value fragments whose message control header (PS3.8 E.2)
says which of the two the fragment belongs to (bit 0) and whether it is the
last of it (bit 1). :func:`fragment` does the cutting for sending and
:class:`MessageAssembler` the gluing on receipt.

The P-DATA path is the hot one: fragments are ``memoryview`` slices, never
copies; a file-like data set is read in chunks as the PDUs are taken; received
data fragments are either kept as views and joined once at the end, or handed
to a caller's :class:`DataSink` (a temporary file, for instance) as they come.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO, Final, Protocol

from dicomnet.dimse.commands import CommandValue, decode_command, has_data_set
from dicomnet.errors import InvalidFragmentError, LocalProtocolError
from dicomnet.ul.pdu import MCH_COMMAND, MCH_LAST_FRAGMENT, P_DATA_TF, PDV

if TYPE_CHECKING:
    from collections.abc import Collection, Iterator

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "DEFAULT_MAX_COMMAND_LENGTH",
    "PDV_OVERHEAD",
    "DataSink",
    "MessageAssembler",
    "ReceivedMessage",
    "SinkFactory",
    "fragment",
    "fragment_size",
]

#: PS3.8 9.3.5.1: each PDV item costs its item-length field (4), the
#: presentation context ID (1) and the message control header (1) on top of
#: its fragment, and the Maximum Length Received (PS3.8 D.1) bounds the sum.
PDV_OVERHEAD: Final = 6
#: The 32-bit PDU-length field bounds a PDV when the peer sets no maximum.
_UNLIMITED_FRAGMENT: Final = 0xFFFFFFFF - PDV_OVERHEAD
#: Bytes read at a time from a file-like data set (rounded to whole fragments).
DEFAULT_CHUNK_SIZE: Final = 1 << 20
#: Largest command set accepted on receipt. PS3.7 sets no limit; real ones are
#: a few hundred bytes, so this only stops a peer from filling our memory.
DEFAULT_MAX_COMMAND_LENGTH: Final = 1 << 20

_COMMAND_LAST: Final = MCH_COMMAND | MCH_LAST_FRAGMENT


def fragment_size(max_pdu_length: int) -> int:
    """Return the largest fragment a PDU of ``max_pdu_length`` can carry.

    Parameters
    ----------
    max_pdu_length : int
        The peer's Maximum Length Received (PS3.8 D.1); 0 means no limit.

    Returns
    -------
    int
        The fragment size, one PDV per PDU.

    Raises
    ------
    LocalProtocolError
        ``max_pdu_length`` is between 1 and 6: no fragment fits.
    """
    if max_pdu_length == 0:
        return _UNLIMITED_FRAGMENT
    if max_pdu_length <= PDV_OVERHEAD:
        # PS3.8 D.1: the maximum must leave room for at least one byte.
        raise LocalProtocolError(
            f"maximum PDU length {max_pdu_length} cannot carry a fragment"
        )
    return min(max_pdu_length - PDV_OVERHEAD, _UNLIMITED_FRAGMENT)


def _split(
    context_id: int, control: int, view: memoryview, size: int, *, last: bool = True
) -> Iterator[P_DATA_TF]:
    """One P-DATA-TF per fragment of ``view``; ``last`` marks the final one."""
    total = len(view)
    if not total:
        # An empty command or data set is still one (empty) last fragment.
        yield P_DATA_TF(pdvs=(PDV(context_id, control | MCH_LAST_FRAGMENT, view),))
        return
    for start in range(0, total, size):
        stop = start + size
        bits = control | MCH_LAST_FRAGMENT if last and stop >= total else control
        yield P_DATA_TF(pdvs=(PDV(context_id, bits, view[start:stop]),))


def _stream(
    context_id: int, data: BinaryIO, size: int, chunk_size: int
) -> Iterator[P_DATA_TF]:
    """Fragments of a file-like data set, read one chunk ahead of the last."""
    # Whole fragments per read, so that only the final PDU is short.
    chunk = size * (chunk_size // size) if size <= chunk_size else chunk_size
    current = data.read(chunk)
    while True:
        # An empty read is the end: an empty first read sends one empty
        # last fragment, and the loop never sees an empty ``current`` again.
        following = data.read(chunk) if current else b""
        yield from _split(context_id, 0, memoryview(current), size, last=not following)
        if not following:
            return
        current = following


def fragment(
    context_id: int,
    command: bytes,
    data: bytes | bytearray | memoryview | BinaryIO | None,
    max_pdu_length: int,
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> Iterator[P_DATA_TF]:
    """Cut a message into P-DATA-TF PDUs that fit the peer's maximum length.

    Each PDU holds one PDV: the command fragments come first, then the data
    set's (PS3.7 6.3.1: a message's command and data set never share a PDV),
    the last of each with bit 1 of the message control header set.

    Parameters
    ----------
    context_id : int
        The presentation context of the message.
    command : bytes
        The encoded command set.
    data : bytes-like, binary file or None
        The encoded data set. A file is read in chunks as the iterator is
        consumed, from its current position to its end.
    max_pdu_length : int
        The peer's Maximum Length Received (PS3.8 D.1); 0 means no limit.
    chunk_size : int
        Roughly how many bytes to read from a file-like ``data`` at a time.

    Returns
    -------
    Iterator of P_DATA_TF
        The PDUs to send, in order; fragments are views, never copies.

    Raises
    ------
    LocalProtocolError
        ``max_pdu_length`` is between 1 and 6: no fragment fits.
    """
    size = fragment_size(max_pdu_length)
    return _fragments(context_id, command, data, size, chunk_size)


def _fragments(
    context_id: int,
    command: bytes,
    data: bytes | bytearray | memoryview | BinaryIO | None,
    size: int,
    chunk_size: int,
) -> Iterator[P_DATA_TF]:
    yield from _split(context_id, MCH_COMMAND, memoryview(command), size)
    if data is None:
        return
    if isinstance(data, bytes | bytearray | memoryview):
        # cast("B"): fragment by bytes whatever the view's item format.
        yield from _split(context_id, 0, memoryview(data).cast("B"), size)
    else:
        yield from _stream(context_id, data, size, max(chunk_size, 1))


class DataSink(Protocol):
    """Where the data fragments of a received message go, instead of memory.

    A sink should not raise; if it does, the assembler discards the message
    (calling :meth:`discard`) and lets the exception through.
    """

    def write(self, fragment: memoryview) -> None:
        """Take the next fragment; the view is only valid during the call."""

    def close(self) -> None:
        """Take note that the last fragment has been written."""

    def discard(self) -> None:
        """Drop what was written: the message will never be complete."""


#: ``sink_factory(context_id, command) -> DataSink | None``: called once the
#: command of a message with a data set is complete; ``None`` keeps the data
#: in memory.
SinkFactory = Callable[[int, dict[str, CommandValue]], "DataSink | None"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ReceivedMessage:
    """A reassembled message.

    Attributes
    ----------
    context_id : int
        The presentation context its PDVs came on.
    command : dict of str to CommandValue
        The decoded command set.
    data : tuple of bytes-like, or None
        The data set's fragments, when it was kept in memory.
    sink : DataSink or None
        The closed sink that took the data set, when one did.
    """

    context_id: int
    command: dict[str, CommandValue]
    data: tuple[bytes | memoryview, ...] | None = None
    sink: DataSink | None = None


class MessageAssembler:
    """Reassemble DIMSE messages from the PDVs of received P-DATA-TF PDUs.

    Parameters
    ----------
    context_ids : collection of int
        The accepted presentation context IDs.
    max_command_length : int
        Largest command set accepted.
    sink_factory : callable, optional
        See :data:`SinkFactory`; by default data sets are kept in memory.
    """

    def __init__(
        self,
        context_ids: Collection[int],
        *,
        max_command_length: int = DEFAULT_MAX_COMMAND_LENGTH,
        sink_factory: SinkFactory | None = None,
    ) -> None:
        self._context_ids = frozenset(context_ids)
        self._max_command_length = max_command_length
        self._sink_factory = sink_factory
        self._reset()

    def _reset(self) -> None:
        self._context: int | None = None
        self._parts: list[bytes | memoryview] = []
        self._size = 0
        self._command: dict[str, CommandValue] | None = None
        self._sink: DataSink | None = None

    @property
    def in_progress(self) -> bool:
        """Whether part of a message has been received."""
        return self._context is not None

    def discard(self) -> None:
        """Abandon the message in progress, discarding its sink if it has one."""
        sink = self._sink
        self._reset()
        if sink is not None:
            sink.discard()

    def feed(self, pdv: PDV) -> ReceivedMessage | None:
        """Take one received PDV.

        Parameters
        ----------
        pdv : PDV
            The next PDV, in the order received.

        Returns
        -------
        ReceivedMessage or None
            The message this PDV completes, if any.

        Raises
        ------
        InvalidFragmentError
            The PDV breaks PS3.8 Annex E (see the exception's documentation).
        InvalidMessageError
            The completed command set is malformed.
        """
        try:
            return self._feed(pdv)
        except BaseException:
            self.discard()
            raise

    def _feed(self, pdv: PDV) -> ReceivedMessage | None:
        context_id, control, data = pdv
        if self._context != context_id:
            self._check_context(context_id)
        if control & MCH_COMMAND:
            return self._feed_command(context_id, control, data)
        command = self._command
        # PS3.8 E.2: a data set fragment follows the command's last fragment.
        if command is None:
            raise InvalidFragmentError(
                "data set fragment before the last fragment of the command"
            )
        sink = self._sink
        if sink is None:
            self._parts.append(data)
        else:
            sink.write(memoryview(data))
        if not control & MCH_LAST_FRAGMENT:
            return None
        if sink is None:
            # Joined only if someone reads it (dimse.parts.FragmentedBytesIO).
            return self._finish(context_id, command, tuple(self._parts))
        sink.close()
        return self._finish(context_id, command, None, sink)

    def _check_context(self, context_id: int) -> None:
        if self._context is not None:
            # PS3.7 6.3.1: all fragments of a message share its context.
            raise InvalidFragmentError(
                f"fragment on context {context_id} in the middle of a message "
                f"on context {self._context}"
            )
        if context_id not in self._context_ids:
            # PS3.8 9.3.5.1: the context ID is one of those accepted.
            raise InvalidFragmentError(f"PDV on unaccepted context {context_id}")
        self._context = context_id

    def _feed_command(
        self, context_id: int, control: int, data: bytes | memoryview
    ) -> ReceivedMessage | None:
        if self._command is not None:
            raise InvalidFragmentError("command fragment after the command's last")
        self._size += len(data)
        if self._size > self._max_command_length:
            raise InvalidFragmentError(
                f"command set over {self._max_command_length} bytes"
            )
        self._parts.append(data)
        if not control & MCH_LAST_FRAGMENT:
            return None
        command = decode_command(b"".join(self._parts))
        if not has_data_set(command):
            return self._finish(context_id, command, None)
        self._parts = []
        self._command = command
        if self._sink_factory is not None:
            self._sink = self._sink_factory(context_id, command)
        return None

    def _finish(
        self,
        context_id: int,
        command: dict[str, CommandValue],
        data: tuple[bytes | memoryview, ...] | None,
        sink: DataSink | None = None,
    ) -> ReceivedMessage:
        self._reset()
        return ReceivedMessage(
            context_id=context_id, command=command, data=data, sink=sink
        )
