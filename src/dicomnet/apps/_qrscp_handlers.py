"""``dicomnet qrscp``'s service handlers: the archive on the network.

C-STORE requests are stored in the archive (PS3.4 B.2.2), C-FIND requests
matched against its index (PS3.4 C.4.1.3), and the instances C-GET and C-MOVE
requests select are sent back (C-GET, PS3.4 C.4.3.3) or to the Move
Destination (C-MOVE, PS3.4 C.4.2.3). The handlers follow the library's
``evt.EVT_C_*`` contracts (those of pynetdicom): C-FIND, C-GET and C-MOVE
handlers are generators, the library turns their yields into responses and
C-STORE sub-operations. Each runs on the thread of its association; they
share only the archive, which is safe across threads.
"""

from __future__ import annotations

import errno
import logging
import sqlite3
from typing import TYPE_CHECKING, Any, Final

from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.filereader import read_file_meta_info
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

from dicomnet import build_context, evt
from dicomnet._part10 import summarise_file_meta
from dicomnet.apps._runner import peer_name
from dicomnet.archive import (
    ArchiveFullError,
    InvalidIdentifierError,
    QueryLevel,
    QueryModel,
)
from dicomnet.archive.index import ATTRIBUTES
from dicomnet.sop_class import Verification

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from pathlib import Path

    from pydicom.dataelem import DataElement

    from dicomnet.apps._qrscp_config import Destination
    from dicomnet.archive import Archive
    from dicomnet.presentation import PresentationContext

__all__ = ["ArchiveHandlers", "move_contexts", "peer_name"]

_LOGGER = logging.getLogger("dicomnet.apps.qrscp")

_SUCCESS: Final = 0x0000
#: PS3.4 B.2.3 (C-STORE) and C.4.1.1.4 (C-FIND): Refused: Out of Resources.
_OUT_OF_RESOURCES: Final = 0xA700
#: PS3.4 B.2.3: Error: Cannot understand; C.4.1.1.4, C.4.2.1.5, C.4.3.1.4:
#: Failed: Unable to process (both C000-CFFF).
_UNABLE_TO_PROCESS: Final = 0xC000
#: PS3.4 C.4.1.1.4, C.4.2.1.5, C.4.3.1.4: Identifier does not match SOP Class.
_IDENTIFIER_MISMATCH: Final = 0xA900
#: PS3.4 C.4.2.1.5, C.4.3.1.4: Refused: Out of Resources, unable to perform
#: sub-operations.
_CANNOT_PERFORM: Final = 0xA702
_CANCEL: Final = 0xFE00
#: PS3.4 C.4.1.1.4: Matches are continuing; FF01: with a warning that one or
#: more Optional Keys were not supported for matching.
_PENDING: Final = 0xFF00
_PENDING_UNSUPPORTED: Final = 0xFF01
#: PS3.7 Table 9.3-8 ff.: the sub-operation counts are US.
_MAX_SUBOPERATIONS: Final = 0xFFFF
#: PS3.8 9.3.2.2: at most 128 presentation contexts in one request.
_MAX_CONTEXTS: Final = 128
#: PS3.5 Table 6.2-1: Error Comment (0000,0902) is LO, 64 characters.
_COMMENT_LENGTH: Final = 64
_FULL: Final = frozenset({errno.ENOSPC, errno.EDQUOT})
_VERIFICATION: Final = build_context(Verification)
_NOT_KEYS: Final = frozenset({"SpecificCharacterSet", "QueryRetrieveLevel"})
#: PS3.5 A.1-A.2: the uncompressed little endian syntaxes an instance stored
#: in one of them can be re-encoded into, as a fallback for a destination.
_LITTLE_ENDIAN: Final = (ExplicitVRLittleEndian, ImplicitVRLittleEndian)


def _request(event: evt.Event) -> Any:  # noqa: ANN401  (the request primitive)
    """Return the DIMSE request of a service event (an attribute set per event)."""
    return getattr(event, "request")  # noqa: B009  (set per event)


def _model(event: evt.Event) -> QueryModel:
    """Return the information model of a C-FIND, C-GET or C-MOVE request."""
    model, _ = QueryModel.from_sop_class(str(_request(event).AffectedSOPClassUID))
    return model


def _status(code: int, comment: str) -> Dataset:
    """Return a status with an Error Comment (PS3.7 C.4: optional for failures)."""
    status = Dataset()
    status.Status = code
    status.ErrorComment = comment[:_COMMENT_LENGTH]
    return status


def _has_value(element: DataElement) -> bool:
    """Whether a key asks for matching: a value, or a sequence item with one."""
    if element.VR == "SQ":
        return any(
            _has_value(item_element) for item in element.value for item_element in item
        )
    return not element.is_empty


def _unsupported_keys(identifier: Dataset) -> list[str]:
    """Return the matching keys the archive returns but does not match on.

    PS3.4 C.2.2.1: an SCP may leave Optional Keys unmatched, and then answers
    Pending with status FF01 (C.4.1.1.4). The archive matches the keys its
    index holds at or above the query level; at the other levels it returns
    the rest empty (at the IMAGE level it matches them on the files).
    """
    level = QueryLevel(str(identifier.QueryRetrieveLevel).strip())
    if level is QueryLevel.IMAGE:
        return []
    unsupported = []
    for element in identifier:
        keyword = element.keyword
        if not keyword or keyword in _NOT_KEYS or element.tag.element == 0:
            continue
        attribute = ATTRIBUTES.get(keyword)
        if (attribute is None or level < attribute.level) and _has_value(element):
            unsupported.append(keyword)
    return unsupported


def _instance(path: Path) -> Dataset | str:
    """Return what to yield for a file: its path, sent as stored.

    dicomnet's C-GET and C-MOVE SCP sends a yielded path's bytes as they are,
    never decoded: measured in one process (C-GET over loopback), 8 x 64 MB
    took 1.4 s against 2.4-3.0 s through dcmread and re-encoding, at 182 MB
    peak RSS against 311 MB; 300 x 64 kB took 0.7 s either way.
    """
    try:
        with path.open("rb") as file:
            if summarise_file_meta(file.read(4096)) is not None:
                return str(path)
        return dcmread(path)
    except (OSError, InvalidDicomError, ValueError) as exc:
        _LOGGER.error("Cannot read %s to send it: %s", path, exc)  # noqa: TRY400  (one line)
        # Sending this fails (no File Meta Information): the sub-operation is
        # counted as failed, and named in the Failed SOP Instance UID List.
        failed = Dataset()
        failed.SOPInstanceUID = path.stem
        return failed


def _stored_as(path: Path) -> tuple[str, str] | None:
    """Return the SOP Class and transfer syntax of a file; None if unreadable."""
    try:
        meta = read_file_meta_info(path)
        return str(meta.MediaStorageSOPClassUID), str(meta.TransferSyntaxUID)
    except (OSError, InvalidDicomError, AttributeError) as exc:
        # Its sub-operation will fail, and be counted so.
        _LOGGER.warning("Cannot read the File Meta Information of %s: %s", path, exc)
        return None


def move_contexts(paths: list[Path]) -> list[PresentationContext]:
    """Return the presentation contexts to propose to a Move Destination.

    One context per SOP Class and stored transfer syntax, so that every
    instance can go as stored (PS3.4 B.4.1: no transcoding); an uncompressed
    little endian one also offers the other little endian syntax. PS3.4
    C.4.2.3: an instance no accepted context fits is a failed sub-operation.

    Parameters
    ----------
    paths : list of pathlib.Path
        The instance files to send.

    Returns
    -------
    list of PresentationContext
        At most 128 (PS3.8 9.3.2.2); the rest are left out, with a warning.
    """
    # Ordered and without repeats: a dict's keys.
    pairs = dict.fromkeys(pair for pair in map(_stored_as, paths) if pair)
    contexts = []
    for sop_class, syntax in pairs:
        offered = [syntax]
        if syntax in _LITTLE_ENDIAN:
            offered += [other for other in _LITTLE_ENDIAN if other != syntax]
        contexts.append(build_context(sop_class, offered))
    if len(contexts) > _MAX_CONTEXTS:
        _LOGGER.warning(
            "The instances need %d presentation contexts; proposing the first %d",
            len(contexts),
            _MAX_CONTEXTS,
        )
    return contexts[:_MAX_CONTEXTS]


class ArchiveHandlers:
    """The ``EVT_C_STORE``, ``EVT_C_FIND``, ``EVT_C_GET``, ``EVT_C_MOVE`` handlers.

    Parameters
    ----------
    archive : Archive
        Where instances are stored and found.
    ae_title : str
        Our AE title: the Retrieve AE Title of each C-FIND match.
    destinations : dict of str to Destination
        The Move Destinations by AE title.
    fsync : bool, optional
        Whether the archive flushes instances to the disk (default): a
        spooled file is then flushed here, as the archive moves it unread.
    """

    def __init__(
        self,
        archive: Archive,
        ae_title: str,
        destinations: Mapping[str, Destination],
        *,
        fsync: bool = True,
    ) -> None:
        self.archive = archive
        self.ae_title = ae_title.strip()
        self.destinations = destinations
        self.fsync = fsync

    def handlers(self) -> list[tuple[Any, Any]]:
        """Return the ``(event, handler)`` pairs to bind to the server."""
        return [
            (evt.EVT_C_STORE, self.on_store),
            (evt.EVT_C_FIND, self.on_find),
            (evt.EVT_C_GET, self.on_get),
            (evt.EVT_C_MOVE, self.on_move),
        ]

    # -- C-STORE (PS3.4 B.2.2) ---------------------------------------------------

    def on_store(self, event: evt.Event) -> int | Dataset:
        """Store the instance of a C-STORE request; return the status."""
        syntax = str(getattr(event, "context").transfer_syntax)  # noqa: B009  (set per event)
        # With _config.STORE_RECV_CHUNKED_DATASET the library spooled the
        # data set to a Part 10 file, which the archive moves into place.
        spooled: Path | None = getattr(event, "dataset_path", None)
        try:
            if spooled is not None:
                # The archive flushes the moved file too when fsync is on.
                stored = self.archive.store(path=spooled, transfer_syntax=syntax)
            else:
                stored = self.archive.store(
                    event.encoded_dataset(include_meta=False),
                    transfer_syntax=syntax,
                    file_meta=event.file_meta,
                )
        except OSError as exc:
            return self._store_failed(event, exc)
        except ValueError as exc:
            # The data set cannot be read or lacks the UIDs that index it.
            peer = peer_name(event.assoc)
            _LOGGER.error("Cannot store the instance from %s: %s", peer, exc)  # noqa: TRY400  (one line)
            return _status(_UNABLE_TO_PROCESS, f"Cannot store: {exc}")
        except sqlite3.Error as exc:
            _LOGGER.error("Cannot index the instance: %s", exc)  # noqa: TRY400  (one line)
            return _status(_UNABLE_TO_PROCESS, "Cannot index the instance")
        _LOGGER.info("Stored %s from %s", stored.stem, peer_name(event.assoc))
        return _SUCCESS

    def _store_failed(self, event: evt.Event, exc: OSError) -> Dataset:
        peer = peer_name(event.assoc)
        if isinstance(exc, ArchiveFullError) or exc.errno in _FULL:
            # PS3.4 B.2.3: Refused: Out of Resources.
            _LOGGER.error(
                "Cannot store the instance from %s: disk full (%s)", peer, exc
            )
            return _status(_OUT_OF_RESOURCES, "Out of resources: disk full")
        _LOGGER.error("Cannot store the instance from %s: %s", peer, exc)
        return _status(_UNABLE_TO_PROCESS, "Cannot write the instance")

    # -- C-FIND (PS3.4 C.4.1.3) --------------------------------------------------

    def on_find(
        self, event: evt.Event
    ) -> Iterator[tuple[int | Dataset, Dataset | None]]:
        """Yield a Pending response per match (PS3.4 C.4.1.3.1)."""
        model = _model(event)
        peer = peer_name(event.assoc)
        identifier = event.identifier
        try:
            matches = self.archive.find(identifier, model)
        except InvalidIdentifierError as exc:
            _LOGGER.warning("C-FIND from %s refused: %s", peer, exc)
            yield _status(_IDENTIFIER_MISMATCH, str(exc)), None
            return
        except sqlite3.Error as exc:
            _LOGGER.error("C-FIND from %s failed: %s", peer, exc)  # noqa: TRY400  (one line)
            yield _status(_UNABLE_TO_PROCESS, "Cannot query the archive"), None
            return
        unsupported = _unsupported_keys(identifier)
        pending = _PENDING_UNSUPPORTED if unsupported else _PENDING
        # "stopped": the library ended the generator (it saw the C-CANCEL
        # first, or the association ended).
        count, outcome = 0, "stopped"
        try:
            for match in matches:
                # PS3.4 C.4.1.3: a C-CANCEL stops matching.
                if event.is_cancelled:
                    outcome = "cancelled"
                    yield _CANCEL, None
                    return
                # PS3.4 C.4.1.1.3.2: a response Identifier names where to retrieve.
                match.RetrieveAETitle = self.ae_title
                count += 1
                yield pending, match
            outcome = "complete"
        finally:
            _LOGGER.info(
                "C-FIND (%s, %s level) from %s: %d match(es), %s%s",
                model.name,
                identifier.QueryRetrieveLevel,
                peer,
                count,
                outcome,
                f"; keys not matched: {', '.join(unsupported)}" if unsupported else "",
            )

    # -- C-GET and C-MOVE (PS3.4 C.4.3.3, C.4.2.3) -------------------------------

    def _select(self, event: evt.Event, name: str) -> list[Path] | Dataset:
        """Return the files a retrieve selects, or the failure status to answer."""
        model = _model(event)
        peer = peer_name(event.assoc)
        try:
            paths = self.archive.retrieve(event.identifier, model)
        except InvalidIdentifierError as exc:
            _LOGGER.warning("%s from %s refused: %s", name, peer, exc)
            return _status(_IDENTIFIER_MISMATCH, str(exc))
        except sqlite3.Error as exc:
            _LOGGER.error("%s from %s failed: %s", name, peer, exc)  # noqa: TRY400  (one line)
            return _status(_UNABLE_TO_PROCESS, "Cannot query the archive")
        if len(paths) > _MAX_SUBOPERATIONS:
            _LOGGER.warning("%s from %s refused: %d instances", name, peer, len(paths))
            return _status(
                _CANNOT_PERFORM,
                f"{len(paths)} instances: more than {_MAX_SUBOPERATIONS}",
            )
        return paths

    def _sub_operations(
        self, event: evt.Event, paths: list[Path]
    ) -> Iterator[tuple[int, Dataset | str | None]]:
        for path in paths:
            # PS3.4 C.4.3.3, C.4.2.3: a C-CANCEL interrupts the sub-operations.
            if event.is_cancelled:
                yield _CANCEL, None
                return
            yield _PENDING, _instance(path)

    def on_get(self, event: evt.Event) -> Iterator[object]:
        """Yield the number of instances, then each one (PS3.4 C.4.3.3)."""
        selected = self._select(event, "C-GET")
        if isinstance(selected, Dataset):
            # The contract wants a count first; the failure then ends it.
            yield 1
            yield selected, None
            return
        _LOGGER.info(
            "C-GET from %s: %d instance(s) to send back",
            peer_name(event.assoc),
            len(selected),
        )
        yield len(selected)
        yield from self._sub_operations(event, selected)

    def on_move(self, event: evt.Event) -> Iterator[object]:
        """Yield the destination, the number of instances, then each one."""
        peer = peer_name(event.assoc)
        name = event.move_destination.strip()
        destination = self.destinations.get(name)
        if destination is None:
            # PS3.4 C.4.2.1.5: Refused: Move Destination unknown (A801).
            _LOGGER.warning("C-MOVE from %s: unknown Move Destination %r", peer, name)
            yield None, None
            return
        selected = self._select(event, "C-MOVE")
        if isinstance(selected, Dataset):
            # The library associates with the destination before it reads a
            # status, and an association needs a context: Verification's.
            yield destination.host, destination.port, {"contexts": [_VERIFICATION]}
            yield 1
            yield selected, None
            return
        _LOGGER.info(
            "C-MOVE from %s: %d instance(s) to %s",
            peer,
            len(selected),
            destination,
        )
        # PS3.4 C.4.2.3: the sub-operations go over an association of ours
        # with the destination, calling it by its AE title.
        options = {"contexts": move_contexts(selected), "ae_title": name}
        yield destination.host, destination.port, options
        yield len(selected)
        yield from self._sub_operations(event, selected)
