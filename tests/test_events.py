"""Tests for dicomnet.events: events, handler binding, dispatch and Event."""

from __future__ import annotations

import logging
import zlib
from io import BytesIO
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_dataset, write_file_meta_info
from pydicom.tag import Tag
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
)

from dicomnet import events as evt
from dicomnet._version import DICOMNET_IMPLEMENTATION_UID
from dicomnet.presentation import PresentationContextTuple

CT = "1.2.840.10008.5.1.4.1.1.2"
ALL_EVENTS = [*evt._INTERVENTION_EVENTS, *evt._NOTIFICATION_EVENTS]


def encode(ds: Dataset, syntax: str = ImplicitVRLittleEndian) -> bytes:
    fp = DicomBytesIO()
    fp.is_implicit_VR = syntax == ImplicitVRLittleEndian
    fp.is_little_endian = syntax != ExplicitVRBigEndian
    write_dataset(fp, ds)
    return fp.getvalue()


def sample() -> Dataset:
    ds = Dataset()
    ds.PatientName = "Doe^John"
    ds.SOPInstanceUID = "1.2.3.4"
    ds.SOPClassUID = CT
    return ds


def store_event(raw: bytes | None, syntax: str = ImplicitVRLittleEndian, **attrs):
    request = SimpleNamespace(
        MessageID=7,
        AffectedSOPClassUID=CT,
        AffectedSOPInstanceUID="1.2.3.4",
        DataSet=None if raw is None else BytesIO(raw),
    )
    context = PresentationContextTuple(1, CT, syntax)
    return evt.Event(
        None, evt.EVT_C_STORE, {"request": request, "context": context, **attrs}
    )


# -- event objects --------------------------------------------------------------


def test_event_kinds_and_names():
    assert len(evt._INTERVENTION_EVENTS) == 15
    assert len(evt._NOTIFICATION_EVENTS) == 17
    for event in evt._INTERVENTION_EVENTS:
        assert event.is_intervention and not event.is_notification
        assert isinstance(event, evt.InterventionEvent)
    for event in evt._NOTIFICATION_EVENTS:
        assert event.is_notification and not event.is_intervention
    for event in ALL_EVENTS:
        assert str(event) == event.name
        assert getattr(evt, event.name) is event
        assert event.name in evt.__all__


def test_event_tuple_semantics():
    assert (
        evt.InterventionEvent("EVT_C_ECHO", "C-ECHO request received") == evt.EVT_C_ECHO
    )
    assert (
        evt.NotificationEvent("EVT_C_ECHO", "C-ECHO request received") != evt.EVT_C_ECHO
    )
    assert len({*ALL_EVENTS}) == 32


# -- default handlers ----------------------------------------------------------------


def test_default_handlers():
    event = evt.Event(None, evt.EVT_C_ECHO)
    assert evt.get_default_handler(evt.EVT_C_ECHO)(event) == 0x0000
    for kind in (evt.EVT_SOP_COMMON, evt.EVT_SOP_EXTENDED):
        assert evt.get_default_handler(kind)(evt.Event(None, kind)) == {}
    for kind in set(evt._INTERVENTION_EVENTS) - {
        evt.EVT_C_ECHO,
        evt.EVT_SOP_COMMON,
        evt.EVT_SOP_EXTENDED,
    }:
        with pytest.raises(NotImplementedError, match=kind.name):
            evt.get_default_handler(kind)(evt.Event(None, kind))


# -- binding ---------------------------------------------------------------------------


def h1(event, *args):
    return ("h1", args)


def h2(event, *args):
    return ("h2", args)


def test_notification_binding_order_and_duplicates():
    reg = evt.HandlerRegistry()
    assert reg.get_handlers(evt.EVT_PDU_RECV) == []
    reg.bind(evt.EVT_PDU_RECV, h1)
    reg.bind(evt.EVT_PDU_RECV, h2)
    reg.bind(evt.EVT_PDU_RECV, h1)  # same (handler, args): no-op
    reg.bind(evt.EVT_PDU_RECV, h1, ["x"])  # other args: a new binding
    assert reg.get_handlers(evt.EVT_PDU_RECV) == [(h1, None), (h2, None), (h1, ["x"])]
    # A copy, not the registry's own list
    reg.get_handlers(evt.EVT_PDU_RECV).clear()
    assert len(reg.get_handlers(evt.EVT_PDU_RECV)) == 3
    reg.unbind(evt.EVT_PDU_RECV, h1)  # every binding of h1 goes
    assert reg.get_handlers(evt.EVT_PDU_RECV) == [(h2, None)]
    reg.unbind(evt.EVT_PDU_RECV, h2)
    assert reg.get_handlers(evt.EVT_PDU_RECV) == []
    assert evt.EVT_PDU_RECV not in reg.get_events()
    reg.unbind(evt.EVT_PDU_RECV, h2)  # absent: ignored
    reg.unbind(evt.EVT_ABORTED, h2)


def test_intervention_binding_replaces_and_restores():
    reg = evt.HandlerRegistry()
    default = (evt.get_default_handler(evt.EVT_C_ECHO), None)
    assert reg.get_handlers(evt.EVT_C_ECHO) == default
    reg.bind(evt.EVT_C_ECHO, h1, [1])
    assert reg.get_handlers(evt.EVT_C_ECHO) == (h1, [1])
    reg.bind(evt.EVT_C_ECHO, h2)
    assert reg.get_handlers(evt.EVT_C_ECHO) == (h2, None)
    reg.unbind(evt.EVT_C_ECHO, h1)  # not the bound one: nothing changes
    assert reg.get_handlers(evt.EVT_C_ECHO) == (h2, None)
    reg.unbind(evt.EVT_C_ECHO, h2)
    assert reg.get_handlers(evt.EVT_C_ECHO) == default


def test_get_events_and_has_handlers():
    reg = evt.HandlerRegistry()
    assert reg.get_events() == sorted(evt._INTERVENTION_EVENTS, key=lambda e: e.name)
    assert not reg.has_handlers(evt.EVT_PDU_RECV)
    assert reg.has_handlers(evt.EVT_C_STORE)
    reg.bind(evt.EVT_PDU_RECV, h1)
    assert reg.has_handlers(evt.EVT_PDU_RECV)
    assert evt.EVT_PDU_RECV in reg.get_events()
    assert reg.get_handlers("not an event") == []  # type: ignore[arg-type]


def test_copy_is_independent():
    reg = evt.HandlerRegistry()
    reg.bind(evt.EVT_PDU_RECV, h1)
    reg.bind(evt.EVT_C_ECHO, h1)
    other = reg.copy()
    other.bind(evt.EVT_PDU_RECV, h2)
    other.unbind(evt.EVT_C_ECHO, h1)
    assert reg.get_handlers(evt.EVT_PDU_RECV) == [(h1, None)]
    assert reg.get_handlers(evt.EVT_C_ECHO) == (h1, None)
    assert other.get_handlers(evt.EVT_PDU_RECV) == [(h1, None), (h2, None)]


@pytest.mark.parametrize(
    ("event", "handler", "args"),
    [
        ("EVT_C_ECHO", h1, None),
        (evt.EVT_C_ECHO, 3, None),
        (evt.EVT_C_ECHO, h1, 5),
        (evt.EVT_C_ECHO, h1, "ab"),
    ],
)
def test_bind_type_errors(event, handler, args):
    with pytest.raises(TypeError):
        evt.HandlerRegistry().bind(event, handler, args)


# -- trigger -----------------------------------------------------------------------------


def test_trigger_notification_calls_in_order_with_args():
    calls = []
    reg = evt.HandlerRegistry()
    reg.bind(evt.EVT_PDU_RECV, lambda e, *a: calls.append(("a", e.pdu, a)))
    reg.bind(evt.EVT_PDU_RECV, lambda e, *a: calls.append(("b", e.pdu, a)), [1, 2])
    assoc = object()
    assert reg.trigger(assoc, evt.EVT_PDU_RECV, {"pdu": "P"}) is None
    assert calls == [("a", "P", ()), ("b", "P", (1, 2))]


def test_trigger_without_handlers_builds_no_event(monkeypatch):
    def boom(*args, **kwargs):
        raise AssertionError("Event built")

    monkeypatch.setattr(evt, "Event", boom)
    assert evt.HandlerRegistry().trigger(None, evt.EVT_PDU_RECV, {"pdu": 1}) is None


def test_debug_only_handlers_skipped_unless_debug(monkeypatch):
    logger = logging.getLogger("dicomnet.test_debug_only")
    calls = []

    def quiet(event):
        calls.append(event.pdu)

    monkeypatch.setattr(evt, "_DEBUG_ONLY", {})
    evt.mark_debug_only(quiet, logger)
    reg = evt.HandlerRegistry()
    reg.bind(evt.EVT_PDU_RECV, quiet)
    logger.setLevel(logging.INFO)
    reg.trigger(None, evt.EVT_PDU_RECV, {"pdu": 1})
    assert calls == []  # below DEBUG: no Event, no call
    logger.setLevel(logging.DEBUG)
    reg.trigger(None, evt.EVT_PDU_RECV, {"pdu": 2})
    assert calls == [2]
    # Any other handler bound to the event: everyone is called, as before.
    logger.setLevel(logging.INFO)
    reg.bind(evt.EVT_PDU_RECV, lambda e: calls.append(-e.pdu))
    reg.trigger(None, evt.EVT_PDU_RECV, {"pdu": 3})
    assert calls == [2, 3, -3]


def test_unhashable_handler_object_is_called(monkeypatch):
    # A callable object with __eq__ and no __hash__ cannot be looked up among
    # the debug-only handlers: it is a user's handler, so it is called.
    logger = logging.getLogger("dicomnet.test_debug_only")
    logger.setLevel(logging.INFO)
    calls = []

    def quiet(event):
        calls.append(("quiet", event.pdu))

    class Recorder:
        __hash__ = None  # type: ignore[assignment]

        def __eq__(self, other):
            return self is other

        def __call__(self, event):
            calls.append(("recorder", event.pdu))

    monkeypatch.setattr(evt, "_DEBUG_ONLY", {})
    evt.mark_debug_only(quiet, logger)
    reg = evt.HandlerRegistry()
    reg.bind(evt.EVT_PDU_RECV, quiet)
    reg.bind(evt.EVT_PDU_RECV, Recorder())
    reg.trigger(None, evt.EVT_PDU_RECV, {"pdu": 7})
    assert ("recorder", 7) in calls


def test_standard_pdu_log_handlers_are_debug_only():
    from dicomnet._logging import on_pdu_recv, on_pdu_sent

    marked = list(evt._DEBUG_ONLY)
    assert on_pdu_recv in marked
    assert on_pdu_sent in marked


def test_trigger_notification_exception_logged_and_swallowed(caplog):
    calls = []

    def bad(event):
        raise RuntimeError("oops")

    reg = evt.HandlerRegistry()
    reg.bind(evt.EVT_ESTABLISHED, bad)
    reg.bind(evt.EVT_ESTABLISHED, lambda e: calls.append(e.event))
    with caplog.at_level(logging.ERROR, logger="dicomnet.events"):
        reg.trigger(None, evt.EVT_ESTABLISHED)
    assert calls == [evt.EVT_ESTABLISHED]
    (record,) = caplog.records
    assert record.getMessage() == (
        "Exception raised in user's 'evt.EVT_ESTABLISHED' event handler 'bad'"
    )
    assert record.exc_info is not None


def test_trigger_intervention_returns_and_propagates():
    reg = evt.HandlerRegistry()
    assert reg.trigger(None, evt.EVT_C_ECHO) == 0
    reg.bind(evt.EVT_C_ECHO, lambda e, x: (e.assoc, x), ["arg"])
    assert reg.trigger("A", evt.EVT_C_ECHO) == ("A", "arg")
    with pytest.raises(NotImplementedError):
        reg.trigger(None, evt.EVT_C_STORE)

    def bad(event):
        raise ValueError("x")

    reg.bind(evt.EVT_C_ECHO, bad)
    with pytest.raises(ValueError, match="x"):
        reg.trigger(None, evt.EVT_C_ECHO)


def test_module_trigger_uses_assoc_get_handlers():
    reg = evt.HandlerRegistry()
    seen = []
    reg.bind(evt.EVT_RELEASED, lambda e: seen.append(e.assoc))
    reg.bind(evt.EVT_C_ECHO, lambda e: 0x0110)
    assoc = SimpleNamespace(get_handlers=reg.get_handlers)
    assert evt.trigger(assoc, evt.EVT_RELEASED) is None
    assert seen == [assoc]
    assert evt.trigger(assoc, evt.EVT_C_ECHO) == 0x0110
    assert evt.trigger(assoc, evt.EVT_ABORTED) is None  # nothing bound
    # A pynetdicom-style single binding for a notification is accepted too
    single = SimpleNamespace(get_handlers=lambda e: (h1, None))
    assert evt.trigger(single, evt.EVT_RELEASED) is None


# -- normalise_handlers ------------------------------------------------------------------


def test_normalise_handlers():
    assert evt.normalise_handlers(None) == []
    assert evt.normalise_handlers([]) == []
    assert evt.normalise_handlers(
        [(evt.EVT_C_ECHO, h1), [evt.EVT_PDU_RECV, h2, ["a"]]]
    ) == [(evt.EVT_C_ECHO, h1, None), (evt.EVT_PDU_RECV, h2, ["a"])]


@pytest.mark.parametrize(
    "value",
    [
        "abc",
        5,
        [5],
        ["ab"],
        [(evt.EVT_C_ECHO,)],
        [(evt.EVT_C_ECHO, h1, [], 4)],
        [("EVT_C_ECHO", h1)],
        [(evt.EVT_C_ECHO, 3)],
        [(evt.EVT_C_ECHO, h1, 7)],
    ],
)
def test_normalise_handlers_rejects(value):
    with pytest.raises(TypeError):
        evt.normalise_handlers(value)


# -- Event -------------------------------------------------------------------------------


def test_event_basic_attributes():
    event = evt.Event("assoc", evt.EVT_CONN_OPEN, {"address": ("1.2.3.4", 104)})
    assert event.assoc == "assoc"
    assert event.event is evt.EVT_CONN_OPEN
    assert event.address == ("1.2.3.4", 104)
    assert event.timestamp is not None
    assert event.is_cancelled is False
    with pytest.raises(AttributeError, match="message_id"):
        _ = event.message_id
    for name in ("dataset", "identifier", "attribute_list", "move_destination"):
        with pytest.raises(AttributeError, match="not a"):
            getattr(event, name)


@pytest.mark.parametrize("key", ["event", "dataset", "assoc", "timestamp"])
def test_event_attr_clash(key):
    with pytest.raises(AttributeError, match=key):
        evt.Event(None, evt.EVT_C_STORE, {key: 1})


def test_is_cancelled_asks_the_association():
    state = {"cancelled": False}
    event = evt.Event(
        None, evt.EVT_C_FIND, {"_is_cancelled": lambda: state["cancelled"]}
    )
    assert event.is_cancelled is False
    state["cancelled"] = True
    assert event.is_cancelled is True


@pytest.mark.parametrize(
    "syntax",
    [
        ImplicitVRLittleEndian,
        ExplicitVRLittleEndian,
        ExplicitVRBigEndian,
    ],
)
def test_store_dataset_decoded_lazily_and_cached(syntax):
    event = store_event(encode(sample(), syntax), syntax)
    assert event.message_id == 7
    ds = event.dataset
    assert ds.PatientName == "Doe^John"
    assert event.dataset is ds  # cached
    assert ds.original_encoding == (
        syntax == ImplicitVRLittleEndian,
        syntax != ExplicitVRBigEndian,
    )


def test_store_dataset_deflated():
    compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    raw = encode(sample(), ExplicitVRLittleEndian)
    deflated = compressor.compress(raw) + compressor.flush()
    event = store_event(deflated, DeflatedExplicitVRLittleEndian)
    assert event.dataset.SOPInstanceUID == "1.2.3.4"


@pytest.mark.parametrize("raw", [None, b""])
def test_store_empty_dataset(raw):
    assert store_event(raw).dataset == Dataset()


def test_store_file_meta_and_encoded_dataset(tmp_path):
    raw = encode(sample())
    event = store_event(raw)
    meta = event.file_meta
    assert meta.MediaStorageSOPClassUID == CT
    assert meta.MediaStorageSOPInstanceUID == "1.2.3.4"
    assert meta.TransferSyntaxUID == ImplicitVRLittleEndian
    assert meta.ImplementationClassUID == DICOMNET_IMPLEMENTATION_UID
    assert meta.FileMetaInformationVersion == b"\x00\x01"
    assert event.encoded_dataset(include_meta=False) == raw
    part10 = event.encoded_dataset()
    assert part10[:132] == b"\x00" * 128 + b"DICM"
    path = tmp_path / "x.dcm"
    path.write_bytes(part10)
    ds = dcmread(path)
    assert ds.PatientName == "Doe^John"
    assert ds.file_meta.MediaStorageSOPInstanceUID == "1.2.3.4"
    with pytest.raises(AttributeError, match="dataset_path"):
        _ = event.dataset_path


def part10_file(tmp_path: Path, raw: bytes, meta) -> Path:
    fp = DicomBytesIO()
    fp.write(b"\x00" * 128 + b"DICM")
    write_file_meta_info(fp, meta, enforce_standard=True)
    path = tmp_path / "stream.dcm"
    path.write_bytes(fp.getvalue() + raw)
    return path


def test_store_dataset_path(tmp_path):
    raw = encode(sample())
    meta = store_event(raw).file_meta
    path = part10_file(tmp_path, raw, meta)
    event = store_event(None, _dataset_path=path)
    assert event.dataset_path == path
    assert event.dataset.PatientName == "Doe^John"
    assert event.dataset is event.dataset
    assert event.encoded_dataset(include_meta=False) == raw
    assert dcmread(BytesIO(event.encoded_dataset())).SOPInstanceUID == "1.2.3.4"


def test_store_dataset_path_without_meta(tmp_path):
    raw = encode(sample())
    path = tmp_path / "raw.bin"
    path.write_bytes(raw)
    event = store_event(None, _dataset_path=str(path))
    assert event.encoded_dataset(include_meta=False) == raw


def test_store_dataset_path_bad_meta(tmp_path):
    path = tmp_path / "bad.dcm"
    path.write_bytes(b"\x00" * 128 + b"DICM" + b"\x02\x00\x01\x00OB\x00\x00" + bytes(8))
    event = store_event(None, _dataset_path=path)
    with pytest.raises(ValueError, match="Group Length"):
        event.encoded_dataset(include_meta=False)


def test_store_dataset_bytes_and_bad_type():
    request = SimpleNamespace(MessageID=1, DataSet=encode(sample()))
    context = PresentationContextTuple(1, CT, ImplicitVRLittleEndian)
    event = evt.Event(None, evt.EVT_C_STORE, {"request": request, "context": context})
    assert event.dataset.SOPClassUID == CT
    request.DataSet = 42
    event = evt.Event(None, evt.EVT_C_STORE, {"request": request, "context": context})
    with pytest.raises(TypeError):
        _ = event.dataset


def service_event(kind, **request_attrs):
    request = SimpleNamespace(MessageID=3, **request_attrs)
    context = PresentationContextTuple(1, CT, ImplicitVRLittleEndian)
    return evt.Event(None, kind, {"request": request, "context": context})


@pytest.mark.parametrize("kind", [evt.EVT_C_FIND, evt.EVT_C_GET, evt.EVT_C_MOVE])
def test_identifier(kind):
    event = service_event(kind, Identifier=BytesIO(encode(sample())))
    assert event.identifier.PatientName == "Doe^John"
    assert service_event(kind, Identifier=BytesIO()).identifier == Dataset()
    with pytest.raises(AttributeError):
        _ = event.dataset


def test_move_destination():
    assert service_event(evt.EVT_C_MOVE, MoveDestination="STORE").move_destination == (
        "STORE"
    )
    assert service_event(evt.EVT_C_MOVE, MoveDestination=None).move_destination == ""
    with pytest.raises(AttributeError):
        _ = service_event(evt.EVT_C_FIND).move_destination


@pytest.mark.parametrize(
    ("kind", "keyword", "prop"),
    [
        (evt.EVT_N_ACTION, "ActionInformation", "action_information"),
        (evt.EVT_N_CREATE, "AttributeList", "attribute_list"),
        (evt.EVT_N_EVENT_REPORT, "EventInformation", "event_information"),
        (evt.EVT_N_SET, "ModificationList", "modification_list"),
    ],
)
def test_n_datasets(kind, keyword, prop):
    event = service_event(kind, **{keyword: BytesIO(encode(sample()))})
    assert getattr(event, prop).SOPInstanceUID == "1.2.3.4"
    assert getattr(service_event(kind, **{keyword: None}), prop) == Dataset()
    with pytest.raises(AttributeError):
        getattr(service_event(evt.EVT_C_ECHO), prop)


def test_n_ids():
    assert service_event(evt.EVT_N_ACTION, ActionTypeID=2).action_type == 2
    assert service_event(evt.EVT_N_ACTION, ActionTypeID=None).action_type is None
    assert service_event(evt.EVT_N_EVENT_REPORT, EventTypeID=5).event_type == 5
    assert service_event(evt.EVT_N_EVENT_REPORT).event_type is None
    with pytest.raises(AttributeError):
        _ = service_event(evt.EVT_N_SET).event_type


def test_attribute_identifiers():
    assert service_event(evt.EVT_N_GET).attribute_identifiers == []
    ids = service_event(
        evt.EVT_N_GET, AttributeIdentifierList=[0x00100010, (0x0008, 0x0018)]
    ).attribute_identifiers
    assert ids == [Tag(0x00100010), Tag(0x00080018)]
    single = service_event(evt.EVT_N_GET, AttributeIdentifierList=0x00100010)
    assert single.attribute_identifiers == [Tag(0x00100010)]
    with pytest.raises(AttributeError):
        _ = service_event(evt.EVT_N_SET).attribute_identifiers


def test_service_event_without_request():
    with pytest.raises(AttributeError, match="C-STORE"):
        _ = evt.Event(None, evt.EVT_C_STORE).dataset


@given(st.lists(st.sampled_from([h1, h2]), max_size=8))
def test_notification_bindings_are_unique_in_order(handlers):
    reg = evt.HandlerRegistry()
    for handler in handlers:
        reg.bind(evt.EVT_DATA_RECV, handler)
    expected = list(dict.fromkeys(handlers))
    assert [h for h, _ in reg.get_handlers(evt.EVT_DATA_RECV)] == expected


def test_update_copies_only_what_is_explicitly_bound() -> None:
    def notify(_event: evt.Event, *_args: object) -> None:
        return None

    def echo(_event: evt.Event) -> int:
        return 0

    def store(_event: evt.Event) -> int:
        return 0

    server = evt.HandlerRegistry()
    server.bind(evt.EVT_CONN_OPEN, notify, ["x"])
    server.bind(evt.EVT_C_ECHO, echo)
    assoc = evt.HandlerRegistry()
    assoc.bind(evt.EVT_C_STORE, store)  # the association's own
    assoc.update(server)
    assert assoc.get_handlers(evt.EVT_CONN_OPEN) == [(notify, ["x"])]
    assert assoc.get_handlers(evt.EVT_C_ECHO) == (echo, None)
    # Not bound on the server: the association's binding stays.
    assert assoc.get_handlers(evt.EVT_C_STORE) == (store, None)
