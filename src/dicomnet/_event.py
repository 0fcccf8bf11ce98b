"""The :class:`Event` a handler receives, with its lazily decoded data sets."""

from __future__ import annotations

import zlib
from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import Any, Final

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filereader import read_dataset
from pydicom.tag import BaseTag, Tag
from pydicom.uid import UID, DeflatedExplicitVRLittleEndian

from dicomnet._event_types import (
    EVT_C_FIND,
    EVT_C_GET,
    EVT_C_MOVE,
    EVT_C_STORE,
    EVT_N_ACTION,
    EVT_N_CREATE,
    EVT_N_EVENT_REPORT,
    EVT_N_GET,
    EVT_N_SET,
    EventType,
)
from dicomnet._part10 import build_file_meta, data_set_offset, file_header
from dicomnet.dimse.parts import FragmentedBytesIO

__all__ = ["Event"]

# -- the Event object ---------------------------------------------------------------

_STORE: Final = frozenset({EVT_C_STORE})
_QUERY_RETRIEVE: Final = frozenset({EVT_C_FIND, EVT_C_GET, EVT_C_MOVE})
_DEFLATED: Final = UID(DeflatedExplicitVRLittleEndian)


class Event:
    """What a handler receives: the association, the event, and its details.

    Parameters
    ----------
    assoc : Association
        The association the event belongs to.
    event : NotificationEvent or InterventionEvent
        The event.
    attrs : dict, optional
        Extra attributes; each key becomes an attribute (``request``,
        ``context``, ``pdu``, ``address``...). A key naming an existing
        attribute raises :class:`AttributeError`. The key ``_is_cancelled``
        takes a no-argument callable, provided by the association for C-FIND,
        C-GET and C-MOVE, that says whether a matching C-CANCEL arrived; the
        key ``_dataset_path`` takes the :class:`~pathlib.Path` of a Part 10
        file the received C-STORE data set was streamed to.

    Attributes
    ----------
    assoc : Association
        The association.
    timestamp : datetime.datetime
        When the event was created.
    request : dimse_primitives.C_STORE etc.
        The DIMSE request of a service event.
    context : PresentationContextTuple
        The presentation context the request arrived on.
    """

    def __init__(
        self,
        assoc: Any,  # noqa: ANN401
        event: EventType,
        attrs: dict[str, Any] | None = None,
    ) -> None:
        self.assoc = assoc
        self._event = event
        # The handler-facing layer may read the clock; the core never does.
        self.timestamp = datetime.now()  # noqa: DTZ005  (pynetdicom: naive local time)
        self._decoded: dict[str, Dataset] = {}
        if attrs:
            taken = _taken_names(type(self))
            for key in attrs:
                if key in taken:
                    raise AttributeError(
                        f"'Event' object already has an attribute '{key}'"
                    )
            self.__dict__.update(attrs)

    @property
    def event(self) -> EventType:
        """The event (an ``EVT_*`` tuple)."""
        return self._event

    @property
    def message_id(self) -> int:
        """The request's *Message ID* (DIMSE service events only)."""
        request = self.__dict__.get("request")
        if request is None:
            raise AttributeError(
                "The corresponding event is not a DIMSE service request "
                "and has no 'message_id'"
            )
        return int(request.MessageID)

    @property
    def is_cancelled(self) -> bool:
        """Whether a C-CANCEL for this C-FIND/C-GET/C-MOVE request has arrived."""
        check = self.__dict__.get("_is_cancelled")
        return bool(check()) if callable(check) else False

    def _request_attr(self, events: frozenset[EventType], keyword: str) -> Any:  # noqa: ANN401
        if self._event not in events or "request" not in self.__dict__:
            names = " or ".join(sorted(ev.name[4:].replace("_", "-") for ev in events))
            raise AttributeError(
                f"The corresponding event is not a {names} request and has no "
                f"'{keyword}' parameter"
            )
        return getattr(self.__dict__["request"], keyword, None)

    def _decode(self, events: frozenset[EventType], keyword: str) -> Dataset:
        """Decode (once) a data set parameter of the request."""
        value = self._request_attr(events, keyword)
        if keyword in self._decoded:
            return self._decoded[keyword]
        raw = _read_all(value)
        dataset = Dataset() if not raw else self._decode_bytes(raw)
        self._decoded[keyword] = dataset
        return dataset

    def _decode_bytes(self, raw: bytes) -> Dataset:
        syntax = UID(self.__dict__["context"].transfer_syntax)
        if syntax == _DEFLATED:
            # PS3.5 A.5: the whole data set is a raw deflate stream.
            raw = zlib.decompress(raw, -zlib.MAX_WBITS)
        implicit, little = syntax.is_implicit_VR, syntax.is_little_endian
        dataset = read_dataset(BytesIO(raw), implicit, little)
        dataset.set_original_encoding(implicit, little)
        return dataset

    @property
    def dataset(self) -> Dataset:
        """The C-STORE request's data set, decoded on first access and cached.

        Decoded with the presentation context's transfer syntax (read from
        the streamed file when :attr:`dataset_path` is set). An empty
        parameter gives an empty :class:`~pydicom.dataset.Dataset`.
        """
        path = self.__dict__.get("_dataset_path")
        if path is None:
            return self._decode(_STORE, "DataSet")
        self._request_attr(_STORE, "DataSet")
        if "DataSet" not in self._decoded:
            self._decoded["DataSet"] = self._decode_bytes(
                _strip_meta(Path(path).read_bytes())
            )
        return self._decoded["DataSet"]

    @property
    def dataset_path(self) -> Path:
        """The Part 10 file a C-STORE data set was streamed to, if it was."""
        self._request_attr(_STORE, "DataSet")
        path = self.__dict__.get("_dataset_path")
        if path is None:
            raise AttributeError(
                "The C-STORE data set was received in memory; 'dataset_path' "
                "exists only when it was streamed to a file"
            )
        return Path(path)

    @property
    def file_meta(self) -> FileMetaDataset:
        """The PS3.10 File Meta Information for the C-STORE data set."""
        self._request_attr(_STORE, "DataSet")
        request = self.__dict__["request"]
        return build_file_meta(
            request.AffectedSOPClassUID,
            request.AffectedSOPInstanceUID,
            self.__dict__["context"].transfer_syntax,
        )

    def encoded_dataset(self, *, include_meta: bool = True) -> bytes:
        """Return the C-STORE data set as received, without decoding it.

        Parameters
        ----------
        include_meta : bool, optional
            Prefix the PS3.10 preamble, ``DICM`` and :attr:`file_meta`, so
            that the bytes are a valid Part 10 file (default ``True``).

        Returns
        -------
        bytes
        """
        value = self._request_attr(_STORE, "DataSet")
        path = self.__dict__.get("_dataset_path")
        if path is not None:
            raw = Path(path).read_bytes()
            return raw if include_meta else _strip_meta(raw)
        if not include_meta:
            return _read_all(value)
        request = self.__dict__["request"]
        # PS3.10 7.1: preamble, "DICM" and the File Meta Information first.
        header = file_header(
            request.AffectedSOPClassUID,
            request.AffectedSOPInstanceUID,
            self.__dict__["context"].transfer_syntax,
        )
        fragments = value.fragments if isinstance(value, FragmentedBytesIO) else None
        if fragments is not None:
            # Never joined: header and fragments go into one bytes, one copy.
            return b"".join((header, *fragments))
        return header + _read_all(value)

    @property
    def identifier(self) -> Dataset:
        """The decoded *Identifier* of a C-FIND, C-GET or C-MOVE request."""
        return self._decode(_QUERY_RETRIEVE, "Identifier")

    @property
    def move_destination(self) -> str:
        """The *Move Destination* AE title of a C-MOVE request."""
        value = self._request_attr(frozenset({EVT_C_MOVE}), "MoveDestination")
        return str(value) if value is not None else ""

    @property
    def action_type(self) -> int | None:
        """The *Action Type ID* of an N-ACTION request."""
        value = self._request_attr(frozenset({EVT_N_ACTION}), "ActionTypeID")
        return None if value is None else int(value)

    @property
    def action_information(self) -> Dataset:
        """The decoded *Action Information* of an N-ACTION request."""
        return self._decode(frozenset({EVT_N_ACTION}), "ActionInformation")

    @property
    def attribute_identifiers(self) -> list[BaseTag]:
        """The *Attribute Identifier List* of an N-GET request (``[]`` if none)."""
        value = self._request_attr(frozenset({EVT_N_GET}), "AttributeIdentifierList")
        if value is None:
            return []
        if isinstance(value, int | str | BaseTag):
            value = [value]
        return [Tag(tag) for tag in value]

    @property
    def attribute_list(self) -> Dataset:
        """The decoded *Attribute List* of an N-CREATE request."""
        return self._decode(frozenset({EVT_N_CREATE}), "AttributeList")

    @property
    def event_type(self) -> int | None:
        """The *Event Type ID* of an N-EVENT-REPORT request."""
        value = self._request_attr(frozenset({EVT_N_EVENT_REPORT}), "EventTypeID")
        return None if value is None else int(value)

    @property
    def event_information(self) -> Dataset:
        """The decoded *Event Information* of an N-EVENT-REPORT request."""
        return self._decode(frozenset({EVT_N_EVENT_REPORT}), "EventInformation")

    @property
    def modification_list(self) -> Dataset:
        """The decoded *Modification List* of an N-SET request."""
        return self._decode(frozenset({EVT_N_SET}), "ModificationList")


def _read_all(value: object) -> bytes:
    """Return the bytes of a data set parameter (``BytesIO``, bytes or None)."""
    if value is None:
        return b""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if isinstance(value, BytesIO):
        return value.getvalue()
    raise TypeError(f"Cannot read an encoded data set from {type(value).__name__}")


def _strip_meta(data: bytes) -> bytes:
    """Return the data set of a Part 10 file, after its File Meta Information."""
    return data[data_set_offset(data) :]


_TAKEN: dict[type, frozenset[str]] = {}


def _taken_names(cls: type) -> frozenset[str]:
    """Names an event attribute may not take: the class's and ``__init__``'s.

    Computed once per class; an Event is built for every DIMSE message.
    """
    names = _TAKEN.get(cls)
    if names is None:
        names = frozenset(dir(cls)) | {"assoc", "_event", "timestamp", "_decoded"}
        _TAKEN[cls] = names
    return names
