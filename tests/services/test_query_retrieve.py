"""The Query/Retrieve service (C-FIND, C-GET, C-MOVE, C-CANCEL) between dicomnet AEs.

Everything runs over loopback. Handlers record what they saw; the tests wait
on responses, threading.Events and joins with timeouts, never on sleeps.
"""

from __future__ import annotations

import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian, generate_uid

from dicomnet import AE, build_context, build_role, evt
from dicomnet.services import storage
from dicomnet.sop_class import (
    CTImageStorage,
    PatientRootQueryRetrieveInformationModelFind,
    PatientRootQueryRetrieveInformationModelGet,
    PatientRootQueryRetrieveInformationModelMove,
    StudyRootQueryRetrieveInformationModelFind,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from dicomnet.association import Association

TIMEOUT = 10.0
LOOPBACK = "127.0.0.1"
FIND = PatientRootQueryRetrieveInformationModelFind
GET = PatientRootQueryRetrieveInformationModelGet
MOVE = PatientRootQueryRetrieveInformationModelMove
SYNTAXES = [ExplicitVRLittleEndian, ImplicitVRLittleEndian]


def timed_ae(title: str) -> AE:
    ae = AE(title)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = TIMEOUT
    return ae


@pytest.fixture
def scp_ae() -> Iterator[AE]:
    """The Q/R SCP: the three models, and CT storage as SCU for C-GET."""
    ae = timed_ae("QR_SCP")
    for model in (FIND, GET, MOVE):
        ae.add_supported_context(model, SYNTAXES)
    # PS3.7 D.3.3.4: accept the requestor's SCP role for the sub-operations.
    ae.add_supported_context(CTImageStorage, SYNTAXES, scu_role=True, scp_role=True)
    ae.add_requested_context(CTImageStorage, SYNTAXES)  # C-MOVE sub-operations
    yield ae
    ae.shutdown()


@pytest.fixture
def scu_ae() -> Iterator[AE]:
    ae = timed_ae("QR_SCU")
    for model in (FIND, GET, MOVE):
        ae.add_requested_context(model, SYNTAXES)
    ae.add_requested_context(CTImageStorage, SYNTAXES)
    yield ae
    ae.shutdown()


def serve(ae: AE, handlers: list[Any]) -> int:
    server = ae.start_server((LOOPBACK, 0), block=False, evt_handlers=handlers)
    assert server is not None
    return int(server.server_address[1])


def associate(
    ae: AE,
    port: int,
    *,
    on_store: Callable[[Any], object] | None = None,
    scp_role: bool = True,
) -> Any:
    handlers = [] if on_store is None else [(evt.EVT_C_STORE, on_store)]
    roles = [build_role(CTImageStorage, scp_role=True)] if scp_role else []
    assoc = ae.associate(
        LOOPBACK, port, ae_title="QR_SCP", ext_neg=roles, evt_handlers=handlers
    )
    assert assoc.is_established
    return assoc


def exchange(
    scp_ae: AE,
    scu_ae: AE,
    bound: tuple[Any, Any] | None,
    send: Callable[[Any], Iterable[tuple[Dataset, Dataset | None]]],
    **options: Any,
) -> list[tuple[Dataset, Dataset | None]]:
    """Serve ``bound`` (event, handler), send one request, return its responses."""
    port = serve(scp_ae, [] if bound is None or bound[1] is None else [bound])
    assoc = associate(scu_ae, port, **options)
    got = list(send(assoc))
    assert assoc.is_established  # a handler's failure is a status, not an abort
    assoc.release()
    return got


def find(assoc: Association) -> Iterable[tuple[Dataset, Dataset | None]]:
    return assoc.send_c_find(query(), FIND)


def get(assoc: Association) -> Iterable[tuple[Dataset, Dataset | None]]:
    return assoc.send_c_get(query(), GET)


def move(assoc: Association) -> Iterable[tuple[Dataset, Dataset | None]]:
    return assoc.send_c_move(query(), "STORE_DEST", MOVE)


def query(level: str = "PATIENT") -> Dataset:
    ds = Dataset()
    ds.QueryRetrieveLevel = level
    ds.PatientName = "Doe*"
    ds.PatientID = ""
    return ds


def match(index: int) -> Dataset:
    ds = Dataset()
    ds.QueryRetrieveLevel = "PATIENT"
    ds.PatientName = f"Doe^{index}"
    ds.PatientID = f"P{index}"
    return ds


def ct(index: int) -> Dataset:
    ds = Dataset()
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = generate_uid()
    ds.PatientID = f"P{index}"
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    return ds


def codes(results: Iterable[tuple[Dataset, Dataset | None]]) -> list[int]:
    return [int(status.Status) for status, _ in results]


def counts(status: Dataset) -> tuple[int | None, ...]:
    """Remaining, Completed, Failed and Warning sub-operations (None: absent)."""
    names = ("Remaining", "Completed", "Failed", "Warning")
    return tuple(status.get(f"NumberOf{name}Suboperations") for name in names)


def uids(datasets: Iterable[Dataset]) -> list[str]:
    return [str(ds.SOPInstanceUID) for ds in datasets]


def uid_list(identifier: Dataset) -> list[str]:
    """The Failed SOP Instance UID List as a list (pydicom gives VM 0/1 as str)."""
    value = identifier.FailedSOPInstanceUIDList
    if not value:
        return []
    return [value] if isinstance(value, str) else list(value)


@dataclass
class Seen:
    """What an SCP handler saw, across threads."""

    events: list[Any] = field(default_factory=list)
    cancelled: list[bool] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)


# -- C-FIND ---------------------------------------------------------------------------


@pytest.mark.parametrize(("count", "pending"), [(0, 0), (1, 0xFF00), (5, 0xFF01)])
def test_find_sends_each_match_then_success(
    scp_ae: AE, scu_ae: AE, count: int, pending: int
) -> None:
    seen = Seen()

    def handler(event: Any) -> Iterator[tuple[int, Dataset]]:
        seen.events.append(event)
        yield from [(pending, match(i)) for i in range(count)]

    got = exchange(
        scp_ae,
        scu_ae,
        (evt.EVT_C_FIND, handler),
        lambda assoc: assoc.send_c_find(query(), FIND, msg_id=9, priority=1),
    )

    assert codes(got) == [pending] * count + [0x0000]
    names = [getattr(ident, "PatientName", None) for _, ident in got]
    assert names == [f"Doe^{i}" for i in range(count)] + [None]
    (event,) = seen.events
    assert event.identifier.PatientName == "Doe*"
    assert event.message_id == 9
    assert event.request.Priority == 1
    assert event.context.abstract_syntax == FIND


def with_comment(code: int, comment: str) -> Dataset:
    status = Dataset()
    status.Status = code
    status.ErrorComment = comment
    return status


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        pytest.param(0xA700, 0xA700, id="failure"),
        pytest.param(0xFE00, 0xFE00, id="cancel"),  # as the handler says
        pytest.param(0x0000, 0x0000, id="success"),  # ends it early
        pytest.param(0x1234, 0x1234, id="unknown"),  # sent, and ends it
        pytest.param(Dataset(), 0xC001, id="no-status"),
        pytest.param("bad", 0xC002, id="not-a-status"),
        pytest.param(with_comment(0xC000, "No archive"), 0xC000, id="with-comment"),
        # PS3.7 C.4.3: a Warning is sent, and matching goes on; the SCU (as
        # pynetdicom's) takes any status but Pending as the last, though.
        pytest.param(0x0107, 0x0107, id="warning"),
    ],
)
def test_find_statuses_but_pending_and_warning_stop_the_handler(
    scp_ae: AE, scu_ae: AE, status: object, expected: int
) -> None:
    resumed = threading.Event()

    def handler(event: Any) -> Iterator[tuple[object, object]]:
        yield 0xFF00, match(1)
        yield status, None
        resumed.set()
        yield 0xFF00, match(2)

    got = exchange(scp_ae, scu_ae, (evt.EVT_C_FIND, handler), find)
    assert codes(got) == [0xFF00, expected]
    assert got[-1][1] is None
    comment = getattr(status, "ErrorComment", None)
    assert got[-1][0].get("ErrorComment") == comment
    # The release is answered once the handler is done: no race here.
    assert resumed.is_set() == (expected == 0x0107)


def test_a_release_waits_for_the_running_find_to_finish(scp_ae: AE, scu_ae: AE) -> None:
    # PS3.7 C.4.3: after a Warning the SCP goes on matching, while the SCU
    # (taking the Warning as final) already releases. The A-RELEASE-RQ is
    # read while the handler runs (its C-CANCEL check reads the connection),
    # but PS3.8 7.2 lets the acceptor answer when it is ready: only after the
    # operation, or a later response would follow the A-RELEASE-RP.
    order: list[str] = []
    release_seen = threading.Event()

    def acse_received(event: Any) -> None:
        if type(event.primitive).__name__ == "A_RELEASE":
            release_seen.set()

    def acse_sent(event: Any) -> None:
        order.append(type(event.primitive).__name__)

    def handler(event: Any) -> Iterator[tuple[object, object]]:
        yield 0xFF00, match(1)
        yield 0x0107, None
        # Serve the connection (as the cancel check does) until the release
        # request has been read.
        assert event.assoc._driver.run_until(release_seen.is_set, 10)
        order.append("find done")

    port = serve(
        scp_ae,
        [
            (evt.EVT_C_FIND, handler),
            (evt.EVT_ACSE_RECV, acse_received),
            (evt.EVT_ACSE_SENT, acse_sent),
        ],
    )
    assoc = associate(scu_ae, port)
    assert codes(list(find(assoc))) == [0xFF00, 0x0107]
    assoc.release()
    assert assoc.is_released
    assert order[-2:] == ["find done", "A_RELEASE"]


def raising_handler(_event: Any) -> Any:
    raise RuntimeError("no database")


def raising_generator(_event: Any) -> Iterator[tuple[int, Dataset]]:
    yield 0xFF00, match(1)
    raise RuntimeError("lost the database")


def unpackable(_event: Any) -> Iterator[object]:
    yield 0xFF00


@pytest.mark.parametrize(
    ("handler", "expected"),
    [
        pytest.param(raising_handler, [0xC311], id="raises"),
        pytest.param(raising_generator, [0xFF00, 0xC311], id="raises-later"),
        pytest.param(unpackable, [0xC311], id="not-a-pair"),
        pytest.param(lambda _e: 42, [0xC311], id="not-iterable"),
        pytest.param(None, [0xC311], id="unbound"),  # the default raises
        # Not a generator: any iterable, or None for no match, will do.
        pytest.param(lambda _e: None, [0x0000], id="returns-none"),
        pytest.param(lambda _e: [], [0x0000], id="returns-empty"),
        pytest.param(lambda _e: [(0xFF00, match(1))], [0xFF00, 0], id="returns-list"),
    ],
)
def test_find_handler_results(
    scp_ae: AE, scu_ae: AE, handler: Any, expected: list[int]
) -> None:
    assert codes(exchange(scp_ae, scu_ae, (evt.EVT_C_FIND, handler), find)) == expected


def unencodable() -> Dataset:
    ds = Dataset()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydicom warns of the bad value
        ds.add_new(0x00280010, "US", "not a number")  # Rows
    return ds


@pytest.mark.parametrize("identifier", ["a string", None, unencodable()], ids=repr)
def test_find_unencodable_identifier_answers_c312(
    scp_ae: AE, scu_ae: AE, identifier: object
) -> None:
    results = [(0xFF00, match(1)), (0xFF00, identifier), (0xFF00, match(2))]
    bound = (evt.EVT_C_FIND, lambda _e: iter(results))
    assert codes(exchange(scp_ae, scu_ae, bound, find)) == [0xFF00, 0xC312]


# -- C-CANCEL -------------------------------------------------------------------------


def endless_matches(
    seen: Seen, second_sent: threading.Event, *, check: bool
) -> Callable[[Any], Iterator[tuple[int, Dataset | None]]]:
    """A long C-FIND: after two matches it waits for the SCU to have cancelled.

    With ``check`` the handler then looks (``event.is_cancelled``) until the
    C-CANCEL, already sent, is in; without, the SCP has to notice it.
    """

    def handler(event: Any) -> Iterator[tuple[int, Dataset | None]]:
        seen.events.append(event)
        for index in range(5000):
            if index == 2:
                assert second_sent.wait(TIMEOUT)
                if check and any(event.is_cancelled for _ in range(100_000)):
                    seen.cancelled.append(True)
                    yield 0xFE00, None
                    return
            yield 0xFF00, match(index)
        seen.done.set()

    return handler


@pytest.mark.parametrize("check", [True, False], ids=["handler-checks", "scp-checks"])
@pytest.mark.parametrize("by", ["query_model", "context_id"])
def test_cancel_after_the_second_match_ends_with_fe00(
    scp_ae: AE, scu_ae: AE, *, check: bool, by: str
) -> None:
    seen = Seen()
    cancelled = threading.Event()
    port = serve(
        scp_ae, [(evt.EVT_C_FIND, endless_matches(seen, cancelled, check=check))]
    )
    assoc = associate(scu_ae, port)
    (context_id,) = [cx.context_id for cx in assoc.accepted_contexts[:1]]
    assert assoc.accepted_contexts[0].abstract_syntax == FIND
    how = {"query_model": FIND} if by == "query_model" else {"context_id": context_id}
    got = []
    for status, identifier in assoc.send_c_find(query(), FIND, msg_id=21):
        got.append((int(status.Status), identifier))
        if len(got) == 2:
            assoc.send_c_cancel(21, **how)
            cancelled.set()
    assert assoc.is_established
    assoc.release()

    assert got[-1] == (0xFE00, None)
    assert {code for code, _ in got[:-1]} == {0xFF00}
    assert 2 <= len(got) - 1 < 5000
    assert not seen.done.is_set()  # matching stopped
    assert seen.cancelled == ([True] if check else [])


# -- SCU validation -------------------------------------------------------------------


def test_requests_check_before_sending(scp_ae: AE, scu_ae: AE) -> None:
    assoc = associate(scu_ae, serve(scp_ae, []))
    study_find = StudyRootQueryRetrieveInformationModelFind
    refused: list[tuple[str, Callable[[], object]]] = [
        ("No presentation context", lambda: assoc.send_c_find(query(), study_find)),
        (
            "No presentation context",
            lambda: assoc.send_c_cancel(1, query_model=study_find),
        ),
        ("query_model", lambda: assoc.send_c_cancel(1)),
        ("context", lambda: assoc.send_c_cancel(1, context_id=255)),
        ("encode", lambda: assoc.send_c_find(unencodable(), FIND)),
        ("encode", lambda: assoc.send_c_get(unencodable(), GET)),
        ("MoveDestination", lambda: assoc.send_c_move(query(), "A\\B", MOVE)),
        ("65535", lambda: assoc.send_c_move(query(), "DEST", MOVE, msg_id=70000)),
    ]
    for message, call in refused:
        with pytest.raises(ValueError, match=message):
            call()
    assoc.send_c_cancel(77, query_model=FIND)  # for nothing running: ignored
    assert codes(find(assoc)) == [0xC311]  # no handler bound; the association goes on
    assoc.release()
    for request in (find, get, move, lambda a: a.send_c_cancel(1, query_model=FIND)):
        with pytest.raises(RuntimeError):
            request(assoc)


def test_a_peer_that_never_answers_gives_one_empty_status(scu_ae: AE) -> None:
    peer = timed_ae("SILENT")
    peer.add_supported_context(FIND)
    answering = threading.Event()
    release = threading.Event()

    def stall(_event: Any) -> Iterator[tuple[int, None]]:
        answering.set()
        release.wait(TIMEOUT)
        yield 0x0000, None

    port = serve(peer, [(evt.EVT_C_FIND, stall)])
    try:
        # The abort then waits for the stalled peer to close (ARTIM, PS3.8).
        scu_ae.dimse_timeout = scu_ae.acse_timeout = 0.5
        assoc = associate(scu_ae, port, scp_role=False)
        assert list(assoc.send_c_find(query(), FIND)) == [(Dataset(), None)]
        assert answering.is_set()
        assert assoc.is_aborted  # pynetdicom: a DIMSE timeout aborts
    finally:
        release.set()
        peer.shutdown()


# -- C-GET ----------------------------------------------------------------------------


class Store:
    """EVT_C_STORE: a status per instance (default Success); a hook before each."""

    def __init__(
        self,
        statuses: Iterable[int] = (),
        before_answer: Callable[[int, Any], None] | None = None,
    ) -> None:
        self.statuses = list(statuses)
        self.received: list[Dataset] = []
        self.requests: list[Any] = []
        self.before_answer = before_answer

    def __call__(self, event: Any) -> int:
        self.received.append(event.dataset)
        self.requests.append(event.request)
        index = len(self.received) - 1
        if self.before_answer is not None:
            self.before_answer(index + 1, event)
        return self.statuses[index] if index < len(self.statuses) else 0x0000


def retrieve_handler(
    count: object, datasets: list[Dataset], seen: Seen | None = None, *where: object
) -> Any:
    """A C-GET handler; with ``where`` (the destination), a C-MOVE handler."""

    def handler(event: Any) -> Iterator[object]:
        if seen is not None:
            seen.events.append(event)
        yield from where
        yield count
        for ds in datasets:
            yield 0xFF00, ds

    return handler


def move_handler(
    where: object, count: object, datasets: list[Dataset], seen: Seen | None = None
) -> Any:
    return retrieve_handler(count, datasets, seen, where)


def test_get_sends_every_instance_over_the_same_association(
    scp_ae: AE, scu_ae: AE
) -> None:
    datasets = [ct(i) for i in range(3)]
    seen, store = Seen(), Store()
    got = exchange(
        scp_ae,
        scu_ae,
        (evt.EVT_C_GET, retrieve_handler(3, datasets, seen)),
        lambda assoc: assoc.send_c_get(query(), GET, msg_id=4, priority=0),
        on_store=store,
    )

    assert uids(store.received) == uids(datasets)
    assert codes(got) == [0xFF00, 0xFF00, 0xFF00, 0x0000]
    # The final response has no Remaining count (PS3.7 9.1.3).
    expected = [(2, 1, 0, 0), (1, 2, 0, 0), (0, 3, 0, 0), (None, 3, 0, 0)]
    assert [counts(status) for status, _ in got] == expected
    assert got[-1][1] is None
    # PS3.4 C.4.3.1.2: the sub-operations keep the C-GET's priority.
    assert {request.Priority for request in store.requests} == {0}
    assert seen.events[0].identifier.PatientName == "Doe*"


def test_get_sends_yielded_file_paths_as_stored(
    scp_ae: AE, scu_ae: AE, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A dicomnet extension: a path is sent from disk, never decoded.
    datasets = [ct(i) for i in range(3)]
    paths = []
    for i, ds in enumerate(datasets):
        path = tmp_path / f"{i}.dcm"
        ds.save_as(path, enforce_file_format=True)
        paths.append(str(path))
    missing = str(tmp_path / "gone.dcm")

    def no_decoding(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("a file was decoded")

    monkeypatch.setattr(storage, "dcmread", no_decoding)
    store = Store()
    got = exchange(
        scp_ae,
        scu_ae,
        (evt.EVT_C_GET, retrieve_handler(4, [*paths, missing])),
        get,
        on_store=store,
    )
    assert uids(store.received) == uids(datasets)
    status, _identifier = got[-1]
    assert status.Status == 0xB000  # the missing file failed
    assert counts(status) == (None, 3, 1, 0)


@pytest.mark.parametrize(
    ("statuses", "final", "failed_indexes", "done"),
    [
        pytest.param([0, 0xA700, 0], 0xB000, [1], (2, 1, 0), id="one-fails"),
        pytest.param([0xB007, 0, 0], 0xB000, [], (2, 0, 1), id="one-warns"),
        pytest.param(
            [0xA700, 0xC000, 0xA900], 0xA702, [0, 1, 2], (0, 3, 0), id="all-fail"
        ),
        # PS3.4 C.4.3.3: with no context to store on, a sub-operation failed.
        pytest.param(None, 0xA702, [0, 1, 2], (0, 3, 0), id="no-scp-role"),
    ],
)
def test_get_final_status_comes_from_the_sub_operations(
    scp_ae: AE,
    scu_ae: AE,
    *,
    statuses: list[int] | None,
    final: int,
    failed_indexes: list[int],
    done: tuple[int, int, int],
) -> None:
    datasets = [ct(i) for i in range(3)]
    bound = (evt.EVT_C_GET, retrieve_handler(3, datasets))
    store = Store(statuses or [])
    role = statuses is not None
    got = exchange(scp_ae, scu_ae, bound, get, on_store=store, scp_role=role)

    assert len(store.received) == (3 if role else 0)
    status, identifier = got[-1]
    assert status.Status == final
    assert counts(status) == (None, *done)
    assert identifier is not None
    assert uid_list(identifier) == [datasets[i].SOPInstanceUID for i in failed_indexes]


def raising_after_one(_event: Any) -> Iterator[object]:
    yield 3
    yield 0xFF00, ct(1)
    raise RuntimeError("lost the archive")


def no_yields(_event: Any) -> Iterator[object]:
    return
    yield  # pragma: no cover


@pytest.mark.parametrize(
    ("handler", "expected"),
    [
        pytest.param(retrieve_handler("three", []), [0xC413], id="not-a-count"),
        pytest.param(retrieve_handler(70000, []), [0xC416], id="too-many"),
        pytest.param(retrieve_handler(0, [ct(1)]), [0x0000], id="zero"),
        pytest.param(
            retrieve_handler(2, [ct(1), ct(2), ct(3)]),  # the third is ignored
            [0xFF00, 0xFF00, 0x0000],
            id="more-than-announced",
        ),
        pytest.param(no_yields, [0xC413], id="no-yields"),
        pytest.param(raising_handler, [0xC411], id="raises"),
        pytest.param(raising_after_one, [0xFF00, 0xC411], id="raises-later"),
        pytest.param(None, [0xC411], id="unbound"),
    ],
)
def test_get_handler_errors(
    scp_ae: AE, scu_ae: AE, handler: Any, expected: list[int]
) -> None:
    got = exchange(scp_ae, scu_ae, (evt.EVT_C_GET, handler), get, on_store=Store())
    assert codes(got) == expected
    if expected == [0x0000]:
        assert counts(got[0][0]) == (None, 0, 0, 0)
    if expected[-1] == 0xC411 and len(expected) == 2:
        # The rest is counted failed; the stored one is complete.
        assert counts(got[-1][0]) == (None, 1, 2, 0)


@pytest.mark.parametrize(
    ("status", "expected", "remaining"),
    [(0xA700, 0xA700, None), (0xFE00, 0xFE00, 2), (0x0000, 0x0000, None)],
    ids=["failure", "cancel", "success"],
)
def test_get_handler_may_end_it(
    scp_ae: AE, scu_ae: AE, status: int, expected: int, remaining: int | None
) -> None:
    def handler(_event: Any) -> Iterator[object]:
        yield 3
        yield 0xFF00, ct(1)
        yield status, None

    got = exchange(scp_ae, scu_ae, (evt.EVT_C_GET, handler), get, on_store=Store())
    final, identifier = got[-1]
    assert codes(got) == [0xFF00, expected]
    assert counts(final)[:2] == (remaining, 1)
    # PS3.4 C.4.3.1.3.2: the Failed SOP Instance UID List, unless Success.
    assert (identifier is None) == (expected == 0x0000)
    assert identifier is None or "FailedSOPInstanceUIDList" in identifier


def test_a_get_handler_announcing_nothing_may_refuse(scp_ae: AE, scu_ae: AE) -> None:
    # pynetdicom's handlers refuse a request by announcing no sub-operation
    # and yielding a failure: that status is the answer, every count zero.
    def handler(_event: Any) -> Iterator[object]:
        yield 0
        yield 0xA900, None

    got = exchange(scp_ae, scu_ae, (evt.EVT_C_GET, handler), get, on_store=Store())
    assert codes(got) == [0xA900]
    assert counts(got[0][0])[1:] == (0, 0, 0)


def test_a_move_handler_announcing_nothing_may_refuse(scp_ae: AE, scu_ae: AE) -> None:
    # No sub-association is opened for it either: the destination (port 1)
    # refuses every connection, which would be reported as 0xA801.
    def handler(_event: Any) -> Iterator[object]:
        yield LOOPBACK, 1
        yield 0
        yield 0xC000, None

    got = exchange(scp_ae, scu_ae, (evt.EVT_C_MOVE, handler), move)
    assert codes(got) == [0xC000]
    assert counts(got[0][0])[1:] == (0, 0, 0)


def test_cancel_during_get_stops_the_sub_operations(scp_ae: AE, scu_ae: AE) -> None:
    datasets = [ct(i) for i in range(5)]

    def cancel_on_second(index: int, event: Any) -> None:
        if index == 2:
            # Sent before this C-STORE's response: the SCP sees it next.
            event.assoc.send_c_cancel(6, query_model=GET)

    store = Store(before_answer=cancel_on_second)
    got = exchange(
        scp_ae,
        scu_ae,
        (evt.EVT_C_GET, retrieve_handler(5, datasets)),
        lambda assoc: assoc.send_c_get(query(), GET, msg_id=6),
        on_store=store,
    )

    final, identifier = got[-1]
    assert codes(got) == [0xFF00, 0xFF00, 0xFE00]
    assert counts(final) == (3, 2, 0, 0)
    assert identifier is not None
    assert "FailedSOPInstanceUIDList" in identifier
    assert len(store.received) == 2


def test_a_peer_aborting_mid_get_leaves_nothing_outstanding(
    scp_ae: AE, scu_ae: AE
) -> None:
    closed = threading.Event()
    seen = Seen()

    def handler(event: Any) -> Iterator[object]:
        seen.events.append(event)
        try:
            yield 3
            for index in range(3):
                yield 0xFF00, ct(index)
        finally:
            closed.set()

    def abort_on_second(index: int, event: Any) -> None:
        if index == 2:
            event.assoc.abort()

    store = Store(before_answer=abort_on_second)
    port = serve(scp_ae, [(evt.EVT_C_GET, handler)])
    assoc = associate(scu_ae, port, on_store=store)
    got = list(assoc.send_c_get(query(), GET))

    assert got[-1] == (Dataset(), None)
    assert assoc.is_aborted
    assert assoc._pending == {}
    scp_assoc = seen.events[0].assoc
    scp_assoc.join(TIMEOUT)
    assert not scp_assoc.is_alive()
    assert scp_assoc.is_aborted
    assert closed.is_set()  # the handler's generator was closed
    assert scp_assoc._pending == {}
    assert not scp_assoc._backlog
    assert not scp_assoc._protocol.cancel_requested(1)
    assert len(store.received) == 2


# -- C-MOVE ---------------------------------------------------------------------------


@pytest.fixture
def destination() -> Iterator[tuple[AE, Store, int]]:
    ae = timed_ae("STORE_DEST")
    ae.add_supported_context(CTImageStorage, SYNTAXES)
    store = Store()
    port = serve(ae, [(evt.EVT_C_STORE, store)])
    yield ae, store, port
    ae.shutdown()


@pytest.mark.parametrize("with_kwargs", [False, True], ids=["ae-contexts", "kwargs"])
def test_move_stores_to_the_destination(
    scp_ae: AE,
    scu_ae: AE,
    destination: tuple[AE, Store, int],
    *,
    with_kwargs: bool,
) -> None:
    _dest, store, dest_port = destination
    datasets = [ct(i) for i in range(2)]
    where: tuple[object, ...] = (LOOPBACK, dest_port)
    if with_kwargs:
        scp_ae.requested_contexts = []
        where = (LOOPBACK, dest_port, {"contexts": [build_context(CTImageStorage)]})
    seen = Seen()
    got = exchange(
        scp_ae,
        scu_ae,
        (evt.EVT_C_MOVE, move_handler(where, 2, datasets, seen)),
        lambda assoc: assoc.send_c_move(query(), "STORE_DEST", MOVE, msg_id=12),
    )

    assert codes(got) == [0xFF00, 0xFF00, 0x0000]
    assert got[-1][0].NumberOfCompletedSuboperations == 2
    assert uids(store.received) == uids(datasets)
    # PS3.7 9.1.1.1.7-8: each sub-operation names the C-MOVE it serves.
    originators = {
        (rq.MoveOriginatorApplicationEntityTitle, rq.MoveOriginatorMessageID)
        for rq in store.requests
    }
    assert originators == {("QR_SCU", 12)}
    assert seen.events[0].move_destination == "STORE_DEST"


def test_move_to_a_refusing_destination_answers_a801(scp_ae: AE, scu_ae: AE) -> None:
    picky = timed_ae("PICKY")
    picky.add_supported_context(CTImageStorage)
    picky.require_calling_aet = ["SOMEONE_ELSE"]
    dest_port = serve(picky, [])
    try:
        bound = (evt.EVT_C_MOVE, move_handler((LOOPBACK, dest_port), 1, [ct(1)]))
        got = codes(exchange(scp_ae, scu_ae, bound, move))
    finally:
        picky.shutdown()

    assert got == [0xA801]


def test_move_failures_at_the_destination_are_counted(
    scp_ae: AE, scu_ae: AE, destination: tuple[AE, Store, int]
) -> None:
    _dest, store, dest_port = destination
    store.statuses = [0xA700, 0xA700]
    datasets = [ct(i) for i in range(2)]
    bound = (evt.EVT_C_MOVE, move_handler((LOOPBACK, dest_port), 2, datasets))
    status, identifier = exchange(scp_ae, scu_ae, bound, move)[-1]
    assert status.Status == 0xA702
    assert status.NumberOfFailedSuboperations == 2
    assert identifier is not None
    assert uid_list(identifier) == [ds.SOPInstanceUID for ds in datasets]


def no_routing_table() -> Iterator[object]:
    raise RuntimeError("no routing table")


def move_raising_first(_event: Any) -> Iterator[object]:
    yield from no_routing_table()


@pytest.mark.parametrize(
    ("handler", "expected"),
    [
        # PS3.4 C.4.2.1.5: Refused, Move Destination unknown.
        pytest.param(move_handler((None, None), 1, [ct(1)]), [0xA801], id="unknown"),
        pytest.param(move_handler("nowhere", 1, []), [0xC515], id="bad-destination"),
        pytest.param(lambda _e: iter(()), [0xC514], id="no-yields"),
        pytest.param(move_raising_first, [0xC514], id="raises-first"),
        pytest.param(
            move_handler((LOOPBACK, 1, "not-a-dict"), 1, []), [0xC515], id="bad-kwargs"
        ),
        pytest.param(
            move_handler((LOOPBACK, "p"), 1, [ct(1)]), [0xC515], id="bad-port"
        ),
        pytest.param(
            move_handler((LOOPBACK, 1), "one", []), [0xC513], id="not-a-count"
        ),
        pytest.param(move_handler((LOOPBACK, 1), 70000, []), [0xC516], id="too-many"),
        pytest.param(move_handler((LOOPBACK, 1), 0, []), [0x0000], id="zero"),
        pytest.param(raising_handler, [0xC511], id="raises"),
    ],
)
def test_move_handler_errors(
    scp_ae: AE, scu_ae: AE, handler: Any, expected: list[int]
) -> None:
    assert codes(exchange(scp_ae, scu_ae, (evt.EVT_C_MOVE, handler), move)) == expected


def test_move_handler_raising_mid_way_counts_the_rest_failed(
    scp_ae: AE, scu_ae: AE, destination: tuple[AE, Store, int]
) -> None:
    _dest, store, dest_port = destination

    def handler(_event: Any) -> Iterator[object]:
        yield LOOPBACK, dest_port
        yield 3
        yield 0xFF00, ct(1)
        raise RuntimeError("lost the archive")

    got = exchange(scp_ae, scu_ae, (evt.EVT_C_MOVE, handler), move)
    assert codes(got) == [0xFF00, 0xC511]
    assert counts(got[-1][0]) == (None, 1, 2, 0)
    assert len(store.received) == 1


def test_cancel_during_move_stops_the_sub_operations(
    scp_ae: AE, scu_ae: AE, destination: tuple[AE, Store, int]
) -> None:
    _dest, store, dest_port = destination
    cancelled = threading.Event()

    def hold_second(index: int, _event: Any) -> None:
        if index == 2:
            # Hold the second sub-operation until the SCU has cancelled.
            assert cancelled.wait(TIMEOUT)

    store.before_answer = hold_second
    datasets = [ct(i) for i in range(3)]
    handler = move_handler((LOOPBACK, dest_port), 3, datasets)
    port = serve(scp_ae, [(evt.EVT_C_MOVE, handler)])
    assoc = associate(scu_ae, port)
    got = []
    for status, identifier in assoc.send_c_move(query(), "STORE_DEST", MOVE, msg_id=8):
        got.append((status, identifier))
        if len(got) == 1:
            assoc.send_c_cancel(8, query_model=MOVE)
            cancelled.set()
    assoc.release()

    # The C-CANCEL is seen before the second or the third sub-operation,
    # depending on when it gets in; the third never runs.
    final, identifier = got[-1]
    assert codes(got) in ([0xFF00, 0xFE00], [0xFF00, 0xFF00, 0xFE00])
    done = len(got) - 1
    assert counts(final) == (3 - done, done, 0, 0)
    assert identifier is not None
    assert len(store.received) == done


def test_an_empty_identifier_gets_its_answer(scp_ae: AE, scu_ae: AE) -> None:
    # An empty data set is one empty PDV fragment; it once made the driver's
    # sendmsg loop spin, and the response never left.
    def on_find(event: Any) -> Iterator[tuple[int, Dataset | None]]:
        assert len(event.identifier) == 0
        yield 0xA900, None

    got = exchange(
        scp_ae,
        scu_ae,
        (evt.EVT_C_FIND, on_find),
        lambda assoc: assoc.send_c_find(Dataset(), FIND),
    )
    assert codes(got) == [0xA900]
