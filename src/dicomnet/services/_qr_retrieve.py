"""Query/Retrieve SCP: C-GET and C-MOVE, the retrieve operations (PS3.4 C.4.2, C.4.3).

The handler's generator first tells how many instances will be sent (and,
for C-MOVE, before that, where the Move Destination is), then yields
``(status, dataset)``: each Pending one is a C-STORE sub-operation. C-GET
sends them back over the same association (PS3.4 C.4.3.3), C-MOVE over a new
association with the destination (PS3.4 C.4.2.3). After each sub-operation a
Pending response reports the four counts; the final response's status comes
from the sub-operations' results.
"""

from __future__ import annotations

import itertools
import logging
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from pydicom.dataset import Dataset

from dicomnet import events as evt
from dicomnet._part10 import summarise_file_meta
from dicomnet.services._bulk_data import WITHOUT_BULK_DATA_GET, without_bulk_data
from dicomnet.services._qr_scp import (
    CANCEL,
    SUCCESS,
    HandlerError,
    Responder,
    category,
    iterate,
    status_pair,
    status_table,
)
from dicomnet.services._status import apply_status
from dicomnet.services.storage import send_c_store
from dicomnet.status import (
    STATUS_CANCEL,
    STATUS_PENDING,
    STATUS_SUCCESS,
    STATUS_WARNING,
    code_to_category,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterator

    from dicomnet.dimse.connection import DimseMessage
    from dicomnet.dimse.primitives import C_GET
    from dicomnet.protocol import AssociationProtocol

__all__ = [
    "MOVE_DESTINATION_UNKNOWN",
    "PENDING",
    "SUBOPERATIONS_FAILED",
    "SUBOPERATIONS_INCOMPLETE",
    "answer_c_get",
    "answer_c_move",
]

_LOGGER = logging.getLogger(__name__)

#: PS3.4 C.4.3.1.4 / C.4.2.1.5: sub-operations are continuing.
PENDING: Final = 0xFF00
#: Warning: sub-operations complete, one or more failures or warnings.
SUBOPERATIONS_INCOMPLETE: Final = 0xB000
#: Refused: out of resources, unable to perform sub-operations (all failed).
SUBOPERATIONS_FAILED: Final = 0xA702
#: Refused: Move Destination unknown (PS3.4 C.4.2.1.5).
MOVE_DESTINATION_UNKNOWN: Final = 0xA801
#: The Number of ... Sub-operations elements are US (PS3.7 Table E.1-1).
_MAX_SUBOPERATIONS: Final = 0xFFFF


@dataclass(frozen=True, slots=True)
class _Codes:
    """pynetdicom's failure codes for a misbehaving handler (C000-CFFF)."""

    event: Any
    name: str
    raised: int  # the handler raised while yielding data sets
    bad_count: int  # the number of sub-operations is not an int
    too_many: int  # more sub-operations than the counts can hold


_GET: Final = _Codes(evt.EVT_C_GET, "evt.EVT_C_GET", 0xC411, 0xC413, 0xC416)
_MOVE: Final = _Codes(evt.EVT_C_MOVE, "evt.EVT_C_MOVE", 0xC511, 0xC513, 0xC516)
#: C-MOVE: the first yield (the destination) is missing, or unusable.
_MOVE_NO_DESTINATION: Final = 0xC514
_MOVE_BAD_DESTINATION: Final = 0xC515


@dataclass(slots=True)
class _Tally:
    """The sub-operation counts (PS3.7 9.1.3) and the failed instances."""

    remaining: int
    completed: int = 0
    failed: int = 0
    warning: int = 0
    failed_uids: list[str] = field(default_factory=list)

    def record(self, status: Dataset, dataset: object) -> None:
        """Count one finished sub-operation from its C-STORE response status."""
        self.remaining -= 1
        code = status.get("Status")
        kind = "Failure" if code is None else code_to_category(int(code))
        if kind == STATUS_SUCCESS:
            self.completed += 1
        elif kind == STATUS_WARNING:
            self.warning += 1
        else:
            # PS3.4 C.4.3.1.3.2: the Failed SOP Instance UID List names them.
            self.failed += 1
            uid = _instance_uid(dataset)
            if uid:
                self.failed_uids.append(uid)

    def abandon(self) -> None:
        """Count the sub-operations that will not be attempted as failed."""
        self.failed += self.remaining
        self.remaining = 0

    def fill(self, response: C_GET, *, remaining: bool) -> None:
        """Put the counts into a response (Remaining only where it belongs)."""
        if remaining:
            response.NumberOfRemainingSuboperations = self.remaining
        response.NumberOfCompletedSuboperations = self.completed
        response.NumberOfFailedSuboperations = self.failed
        response.NumberOfWarningSuboperations = self.warning

    def final_code(self) -> int:
        """Return the final status the results call for (PS3.4 C.4.3.2, C.4.2.2)."""
        if not self.failed and not self.warning:
            return SUCCESS
        if not self.completed and not self.warning:
            return SUBOPERATIONS_FAILED
        return SUBOPERATIONS_INCOMPLETE

    def failed_list(self) -> Dataset:
        """Return the identifier of a Cancel, Warning or Failure response."""
        identifier = Dataset()
        identifier.FailedSOPInstanceUIDList = list(self.failed_uids)
        return identifier


class _Retrieval:
    """Turns the handler's ``(status, dataset)`` yields into sub-operations."""

    def __init__(
        self,
        respond: Responder,
        tally: _Tally,
        store: Callable[[Dataset | str | os.PathLike[str]], Dataset],
        codes: _Codes,
    ) -> None:
        self.respond = respond
        self.tally = tally
        self.store = store
        self.codes = codes
        name = "C-MOVE" if codes is _MOVE else "C-GET"
        self.table = status_table(respond.message.abstract_syntax, name)

    def run(self, items: Iterator[object]) -> None:
        """Perform the sub-operations, then send the final response."""
        respond, tally = self.respond, self.tally
        try:
            for item in items:
                if not respond.assoc.is_established:
                    return  # the handler released or aborted
                status, dataset = status_pair(item, self.codes.name)
                response = respond.new()
                apply_status(response, status, self.codes.name)
                if category(response.Status or 0, self.table) != STATUS_PENDING:
                    self._finish(response, dataset)
                    return
                if tally.remaining <= 0:
                    _LOGGER.warning(
                        "The %s handler yielded more data sets than it announced: "
                        "the rest are ignored",
                        self.codes.name,
                    )
                    break
                if respond.cancelled():
                    # PS3.4 C.4.3.3 / C.4.2.3: stop and answer Canceled.
                    self._finish(_with_status(respond.new(), CANCEL), None)
                    return
                tally.record(self._store(dataset), dataset)
                tally.fill(response, remaining=True)
                if not respond.send(response):
                    return
        except HandlerError:
            self._final(self.codes.raised, abandon=True)
            return
        self._final(tally.final_code(), abandon=False)

    def _store(self, dataset: object) -> Dataset:
        """One C-STORE sub-operation; its response status (empty: it failed).

        Besides a Dataset (pynetdicom's contract) the handler may yield the
        path of a Part 10 file: it is sent as stored, never decoded.
        """
        if not isinstance(dataset, Dataset | str | os.PathLike):
            _LOGGER.error(
                "The %s handler yielded %r to send, not a Dataset or a file path",
                self.codes.name,
                dataset,
            )
            return Dataset()
        try:
            return self.store(dataset)
        except Exception:  # PS3.4 C.4.3.3: a sub-operation that cannot start failed
            _LOGGER.warning("A C-STORE sub-operation failed", exc_info=True)
            return Dataset()

    def _finish(self, response: C_GET, dataset: object) -> None:
        """Answer a status the handler yielded (or Cancel) as the last response."""
        kind = category(response.Status or 0, self.table)
        if kind == STATUS_SUCCESS:
            self._final(self.tally.final_code(), abandon=False)
            return
        cancelled = kind == STATUS_CANCEL
        if not cancelled:
            self.tally.abandon()
        self.tally.fill(response, remaining=cancelled)
        if isinstance(dataset, Dataset) and "FailedSOPInstanceUIDList" in dataset:
            identifier = dataset
        else:
            identifier = self.tally.failed_list()
        response.Identifier = self.respond.encode(identifier)
        self.respond.send(response)

    def _final(self, code: int, *, abandon: bool) -> None:
        if abandon:
            self.tally.abandon()
        response = _with_status(self.respond.new(), code)
        self.tally.fill(response, remaining=False)
        if code != SUCCESS:
            response.Identifier = self.respond.encode(self.tally.failed_list())
        self.respond.send(response)


def _priority(respond: Responder) -> int:
    """Return the request's priority, kept by its sub-operations (PS3.4 C.4.2.1.2)."""
    priority = respond.request.Priority
    return 2 if priority is None else int(priority)


def _with_status(response: C_GET, code: int) -> C_GET:
    response.Status = code
    return response


def _count(items: Iterator[object], codes: _Codes) -> int | None:
    """Read the number of sub-operations; None if unusable (its status sent)."""
    try:
        value: Any = next(items)  # an int, or anything int() takes
        return int(value)
    except (HandlerError, StopIteration, TypeError, ValueError):
        _LOGGER.exception(
            "The %s handler yielded no usable number of sub-operations", codes.name
        )
        return None


def _no_store(dataset: object) -> Dataset:  # pragma: no cover - never called
    """Return nothing: a retrieval that announced no sub-operation stores none.

    :meth:`_Retrieval.run` stops at a data set beyond the count announced.
    """
    del dataset
    return Dataset()


def _check_count(
    respond: Responder, items: Iterator[object], count: int, codes: _Codes
) -> bool:
    """Whether the sub-operations go ahead; if not, the response is sent."""
    if count < 1:
        # Nothing to send. The handler may still yield a status (a refusal:
        # 0xA900, a failure...), as pynetdicom's handlers do: that status is
        # the answer, with every count zero; otherwise Success.
        _Retrieval(respond, _Tally(0), _no_store, codes).run(items)
        return False
    if count > _MAX_SUBOPERATIONS:
        _LOGGER.error("The %s handler announced %d sub-operations", codes.name, count)
        respond.send_status(codes.too_many)
        return False
    return True


# -- C-GET (PS3.4 C.4.3.3) -----------------------------------------------------------


def answer_c_get(
    assoc: Any,  # noqa: ANN401  (the Association)
    protocol: AssociationProtocol,
    message: DimseMessage,
) -> None:
    """Run the EVT_C_GET handler and its C-STORE sub-operations (PS3.7 9.1.3).

    Parameters
    ----------
    assoc : Association
        The association the request arrived on; the sub-operations use it too.
    protocol : AssociationProtocol
        Where the responses go.
    message : DimseMessage
        The C-GET request.
    """
    respond = Responder(assoc, protocol, message)
    try:
        items = _start(respond, _GET)
        if items is not None:
            try:
                _serve_get(respond, items)
            finally:
                items.close()
    finally:
        protocol.forget_request(respond.msg_id)


def _serve_get(respond: Responder, items: Iterator[object]) -> None:
    count = _count(items, _GET)
    if count is None:
        respond.send_status(_GET.bad_count)
        return
    if not _check_count(respond, items, count, _GET):
        return
    assoc, protocol = respond.assoc, respond.protocol
    priority = _priority(respond)

    # PS3.4 Z.4.2.3: this SOP class sends the instances without bulk data.
    strip = str(respond.request.AffectedSOPClassUID) == WITHOUT_BULK_DATA_GET

    def store(dataset: Dataset | str | os.PathLike[str]) -> Dataset:
        # PS3.4 C.4.3.1.2: the sub-operations keep the request's priority.
        msg_id = protocol.next_message_id()
        if strip:
            dataset = without_bulk_data(dataset)
        return send_c_store(assoc, dataset, msg_id=msg_id, priority=priority)

    _Retrieval(respond, _Tally(count), store, _GET).run(items)


def _start(respond: Responder, codes: _Codes) -> Generator[object, None, None] | None:
    """Call the handler; None if it raised (the failure response is sent)."""
    try:
        result = respond.assoc._trigger(codes.event, respond.attrs())  # noqa: SLF001
    except Exception:
        _LOGGER.exception("Exception in the '%s' handler", codes.name)
        respond.send_status(codes.raised)
        return None
    return iterate(result, codes.name)


# -- C-MOVE (PS3.4 C.4.2.3) ----------------------------------------------------------


def answer_c_move(
    assoc: Any,  # noqa: ANN401  (the Association)
    protocol: AssociationProtocol,
    message: DimseMessage,
) -> None:
    """Run the EVT_C_MOVE handler; store to the Move Destination (PS3.7 9.1.4).

    Parameters
    ----------
    assoc : Association
        The association the request arrived on.
    protocol : AssociationProtocol
        Where the responses go.
    message : DimseMessage
        The C-MOVE request.
    """
    respond = Responder(assoc, protocol, message)
    try:
        items = _start(respond, _MOVE)
        if items is not None:
            try:
                _serve_move(respond, items)
            finally:
                items.close()
    finally:
        protocol.forget_request(respond.msg_id)


def _serve_move(respond: Responder, items: Iterator[object]) -> None:
    target = _move_target(respond, items)
    if target is None:
        return
    address, port, options, count = target
    store_assoc = _associate(respond, address, port, options)
    if store_assoc is None:
        return
    try:
        store = _move_store(respond, store_assoc)
        _Retrieval(respond, _Tally(count), store, _MOVE).run(items)
    finally:
        # PS3.4 C.4.2.3: the sub-operations' association ends with them.
        store_assoc.release()


def _move_target(
    respond: Responder, items: Iterator[object]
) -> tuple[object, object, dict[str, Any], int] | None:
    """Read the destination and the count; None if the request is answered."""
    try:
        first = next(items)
    except (HandlerError, StopIteration):
        _LOGGER.error("The %s handler yielded no Move Destination", _MOVE.name)  # noqa: TRY400  (logged where raised)
        respond.send_status(_MOVE_NO_DESTINATION)
        return None
    destination = _destination(first)
    if destination is None:
        respond.send_status(_MOVE_BAD_DESTINATION)
        return None
    address, port, options = destination
    if address is None or port is None:
        # PS3.4 C.4.2.1.5: Refused, Move Destination unknown.
        _LOGGER.error("Unknown Move Destination: %s", respond.request.MoveDestination)  # type: ignore[union-attr]  # (a C_MOVE)
        respond.send_status(MOVE_DESTINATION_UNKNOWN)
        return None
    count = _count(items, _MOVE)
    if count is None:
        respond.send_status(_MOVE.bad_count)
        return None
    if not _check_count(respond, items, count, _MOVE):
        return None
    return address, port, options, count


def _destination(
    value: object,
) -> tuple[object, object, dict[str, Any]] | None:
    """``(address, port[, associate() options])`` as yielded; None if malformed."""
    if isinstance(value, tuple | list) and len(value) in (2, 3):
        options = value[2] if len(value) == 3 else {}
        if isinstance(options, dict):
            return value[0], value[1], options
    _LOGGER.error(
        "The %s handler yielded %r, not (address, port) or (address, port, kwargs)",
        _MOVE.name,
        value,
    )
    return None


def _associate(
    respond: Responder,
    address: object,
    port: object,
    options: dict[str, Any],
) -> Any:  # noqa: ANN401  (an Association, or None: its status was sent)
    """Open the sub-operations' association (PS3.4 C.4.2.3)."""
    # The Move Destination is the called AE title unless the handler said.
    options = {"ae_title": respond.request.MoveDestination, **options}  # type: ignore[union-attr]  # (a C_MOVE)
    try:
        store_assoc = respond.assoc.ae.associate(address, port, **options)
    except Exception:
        _LOGGER.exception("Could not request an association with the destination")
        respond.send_status(_MOVE_BAD_DESTINATION)
        return None
    if not store_assoc.is_established:
        _LOGGER.error("Move SCP: unable to associate with the Move Destination")
        respond.send_status(MOVE_DESTINATION_UNKNOWN)
        return None
    return store_assoc


def _move_store(
    respond: Responder,
    store_assoc: Any,  # noqa: ANN401  (the Association to the destination)
) -> Callable[[Dataset | str | os.PathLike[str]], Dataset]:
    """Return the C-STORE of one instance to the Move Destination."""
    ids = itertools.count(1)
    priority = _priority(respond)
    # PS3.7 9.1.1.1.7-8: the sub-operation names the C-MOVE it serves.
    originator = respond.assoc.remote.get("ae_title") or None

    def store(dataset: Dataset | str | os.PathLike[str]) -> Dataset:
        return send_c_store(
            store_assoc,
            dataset,
            msg_id=next(ids),
            priority=priority,
            originator_aet=originator,
            originator_id=respond.msg_id,
        )

    return store


def _instance_uid(item: object) -> str | None:
    """Return the SOP Instance UID of a yielded Dataset or Part 10 file path."""
    if isinstance(item, Dataset):
        uid = item.get("SOPInstanceUID")
        return str(uid) if uid else None
    if isinstance(item, str | os.PathLike):
        try:
            with open(item, "rb") as file:  # noqa: PTH123  (str or PathLike)
                summary = summarise_file_meta(file.read(4096))
        except OSError:
            return None
        return None if summary is None else summary.sop_instance_uid
    return None
