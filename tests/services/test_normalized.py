"""The DIMSE-N services between two dicomnet AEs over loopback (PS3.7 10).

The handlers record what they saw; tests wait on responses, futures and
joins, never on sleeps. The helpers here (``Pair``) are shared by the tests
of the normalized service classes.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from io import BytesIO
from typing import Any

import pytest
from pydicom.dataset import Dataset
from pydicom.tag import Tag
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

from dicomnet import AE, evt
from dicomnet import sop_class as sc
from dicomnet.dimse.primitives import N_CREATE
from dicomnet.presentation import build_context
from dicomnet.services import _n_scu, normalized
from dicomnet.services.mpps import MPPSServer
from dicomnet.services.normalized import ServiceProvider, call_after_response, route
from dicomnet.sop_class import (
    BasicFilmSession,
    BasicGrayscalePrintManagementMeta,
    CTImageStorage,
    ModalityPerformedProcedureStep,
    ModalityPerformedProcedureStepRetrieve,
    StorageCommitmentPushModel,
    Verification,
)

TIMEOUT = 10.0
LOOPBACK = "127.0.0.1"
MPPS = ModalityPerformedProcedureStep
INSTANCE = "1.2.826.0.1.3680043.10.1234.1"
Handlers = list[tuple[Any, Callable[..., Any]]]


class Pair:
    """A dicomnet SCP server and a dicomnet SCU associated with it."""

    def __init__(self) -> None:
        self.scp = AE("N_SCP")
        self.scu = AE("N_SCU")
        for ae in (self.scp, self.scu):
            ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = TIMEOUT
        self.port = 0

    def serve(self, handlers: Handlers, *sop_classes: str) -> int:
        for uid in (*sop_classes, Verification):
            self.scp.add_supported_context(uid, scu_role=True, scp_role=True)
        server = self.scp.start_server(
            (LOOPBACK, 0), block=False, evt_handlers=handlers
        )
        assert server is not None
        self.port = int(server.server_address[1])
        return self.port

    def associate(
        self, *sop_classes: str, handlers: Handlers | None = None, **kwargs: Any
    ) -> Any:
        contexts = [build_context(uid) for uid in (*sop_classes, Verification)]
        assoc = self.scu.associate(
            LOOPBACK,
            self.port,
            contexts=contexts,
            ae_title="N_SCP",
            evt_handlers=handlers,
            **kwargs,
        )
        assert assoc.is_established
        return assoc

    def close(self) -> None:
        self.scu.shutdown()
        self.scp.shutdown()


@pytest.fixture
def pair() -> Iterator[Pair]:
    peers = Pair()
    yield peers
    peers.close()


class Recorder:
    """A handler returning a fixed result and keeping the events it saw."""

    def __init__(self, result: object = (0x0000, None)) -> None:
        self.result = result
        self.events: list[Any] = []

    def __call__(self, event: Any) -> object:
        self.events.append(event)
        # Read the lazily decoded parameters while the event is current.
        for name in (
            "action_information",
            "attribute_list",
            "event_information",
            "modification_list",
        ):
            with contextlib.suppress(AttributeError):
                getattr(event, name)
        return self.result


def reply(**elements: Any) -> Dataset:
    ds = Dataset()
    for keyword, value in elements.items():
        setattr(ds, keyword, value)
    return ds


def still_usable(assoc: Any) -> None:
    """The association survived whatever the test did to it."""
    assert assoc.is_established
    assert assoc.send_c_echo().Status == 0x0000


# -- SCU and SCP: each service, its parameters and its response -----------------------


def test_n_get_carries_the_identifiers_and_returns_the_attributes(pair: Pair) -> None:
    handler = Recorder((0x0000, reply(PatientName="Doe^J", PatientID="P1")))
    pair.serve([(evt.EVT_N_GET, handler)], MPPS)
    assoc = pair.associate(MPPS)
    status, attrs = assoc.send_n_get(
        [Tag("PatientName"), 0x00100020], MPPS, INSTANCE, msg_id=7
    )
    still_usable(assoc)
    assoc.release()

    assert status.Status == 0x0000
    assert attrs is not None
    assert attrs.PatientName == "Doe^J"
    (event,) = handler.events
    assert event.attribute_identifiers == [Tag(0x00100010), Tag(0x00100020)]
    assert event.request.RequestedSOPClassUID == MPPS
    assert event.request.RequestedSOPInstanceUID == INSTANCE
    assert event.message_id == 7
    assert event.context.abstract_syntax == MPPS


def test_n_get_without_identifiers_asks_for_everything(pair: Pair) -> None:
    handler = Recorder((0x0000, None))
    pair.serve([(evt.EVT_N_GET, handler)], MPPS)
    assoc = pair.associate(MPPS)
    status, attrs = assoc.send_n_get([], MPPS, INSTANCE)
    assoc.release()

    assert status.Status == 0x0000
    assert attrs == Dataset()  # success without a data set: an empty one
    assert handler.events[0].attribute_identifiers == []


def test_n_set_sends_the_modification_list(pair: Pair) -> None:
    handler = Recorder((0x0000, reply(PatientName="New")))
    pair.serve([(evt.EVT_N_SET, handler)], MPPS)
    assoc = pair.associate(MPPS)
    status, attrs = assoc.send_n_set(reply(PatientName="New"), MPPS, INSTANCE)
    assoc.release()

    assert status.Status == 0x0000
    assert attrs is not None
    assert attrs.PatientName == "New"
    assert handler.events[0].modification_list.PatientName == "New"


def test_n_action_sends_type_and_information(pair: Pair) -> None:
    handler = Recorder((0x0000, reply(TransactionUID="1.2.3")))
    pair.serve([(evt.EVT_N_ACTION, handler)], StorageCommitmentPushModel)
    assoc = pair.associate(StorageCommitmentPushModel)
    status, action_reply = assoc.send_n_action(
        reply(TransactionUID="1.2.3"), 1, StorageCommitmentPushModel, INSTANCE
    )
    assoc.release()

    assert status.Status == 0x0000
    assert action_reply is not None
    assert action_reply.TransactionUID == "1.2.3"
    (event,) = handler.events
    assert event.action_type == 1
    assert event.action_information.TransactionUID == "1.2.3"


def test_n_action_without_information(pair: Pair) -> None:
    handler = Recorder((0x0000, None))
    pair.serve([(evt.EVT_N_ACTION, handler)], StorageCommitmentPushModel)
    assoc = pair.associate(StorageCommitmentPushModel)
    status, action_reply = assoc.send_n_action(
        None, 5, StorageCommitmentPushModel, INSTANCE
    )
    assoc.release()

    assert status.Status == 0x0000
    assert action_reply == Dataset()
    assert handler.events[0].action_information == Dataset()


def test_n_event_report_from_the_requestor(pair: Pair) -> None:
    handler = Recorder((0x0000, reply(PatientID="R")))
    pair.serve([(evt.EVT_N_EVENT_REPORT, handler)], MPPS)
    assoc = pair.associate(MPPS)
    status, event_reply = assoc.send_n_event_report(
        reply(PatientID="E"), 3, MPPS, INSTANCE
    )
    assoc.release()

    assert status.Status == 0x0000
    # PS3.7 10.1.1.1: the response echoes the instance and the event type.
    assert status.AffectedSOPInstanceUID == INSTANCE
    assert status.EventTypeID == 3
    assert event_reply is not None
    assert event_reply.PatientID == "R"
    (event,) = handler.events
    assert event.event_type == 3
    assert event.event_information.PatientID == "E"


def test_n_delete_returns_the_status(pair: Pair) -> None:
    handler = Recorder(0x0000)
    pair.serve([(evt.EVT_N_DELETE, handler)], BasicFilmSession)
    assoc = pair.associate(BasicFilmSession)
    status = assoc.send_n_delete(BasicFilmSession, INSTANCE)
    assoc.release()

    assert status.Status == 0x0000
    assert handler.events[0].request.RequestedSOPInstanceUID == INSTANCE


# -- N-CREATE: who names the new instance (PS3.7 10.1.5.1.4) -----------------------------


def test_n_create_keeps_the_requested_instance_uid(pair: Pair) -> None:
    handler = Recorder((0x0000, reply(PatientName="Doe")))
    pair.serve([(evt.EVT_N_CREATE, handler)], MPPS)
    assoc = pair.associate(MPPS)
    status, attrs = assoc.send_n_create(reply(PatientName="Doe"), MPPS, INSTANCE)
    assoc.release()

    assert status.Status == 0x0000
    assert status.AffectedSOPInstanceUID == INSTANCE
    assert attrs is not None
    assert attrs.PatientName == "Doe"
    event = handler.events[0]
    assert event.attribute_list.PatientName == "Doe"
    assert event.request.AffectedSOPInstanceUID == INSTANCE


def test_n_create_takes_the_uid_the_handler_assigns(pair: Pair) -> None:
    status_ds = reply(Status=0x0000, AffectedSOPInstanceUID="1.2.3.4.5")
    pair.serve([(evt.EVT_N_CREATE, Recorder((status_ds, None)))], MPPS)
    assoc = pair.associate(MPPS)
    status, _ = assoc.send_n_create(None, MPPS)
    assoc.release()

    assert status.AffectedSOPInstanceUID == "1.2.3.4.5"


def test_n_create_assigns_a_uid_when_nobody_did(
    pair: Pair, caplog: pytest.LogCaptureFixture
) -> None:
    pair.serve([(evt.EVT_N_CREATE, Recorder((0x0000, None)))], MPPS)
    assoc = pair.associate(MPPS)
    with caplog.at_level(logging.WARNING):
        status, _ = assoc.send_n_create(None, MPPS)
    assoc.release()

    assert status.AffectedSOPInstanceUID.startswith("2.25.")
    assert "assigning one" in caplog.text


def test_n_create_failure_names_no_instance(pair: Pair) -> None:
    pair.serve([(evt.EVT_N_CREATE, Recorder((0x0111, reply(PatientID="x"))))], MPPS)
    assoc = pair.associate(MPPS)
    status, attrs = assoc.send_n_create(None, MPPS, INSTANCE)
    assoc.release()

    assert status.Status == 0x0111
    assert "AffectedSOPInstanceUID" not in status
    assert attrs is None


# -- statuses: failures, warnings and their optional elements ---------------------


def test_a_failure_carries_no_data_set(pair: Pair) -> None:
    pair.serve([(evt.EVT_N_GET, Recorder((0x0112, reply(PatientID="x"))))], MPPS)
    assoc = pair.associate(MPPS)
    status, attrs = assoc.send_n_get(None, MPPS, INSTANCE)
    still_usable(assoc)
    assoc.release()

    assert status.Status == 0x0112
    assert attrs is None


def test_a_warning_carries_its_data_set_and_status_elements(pair: Pair) -> None:
    status_ds = normalized.failure(
        0x0107, "Unknown attribute", error_id=12, attributes=[0x00101010]
    )
    pair.serve([(evt.EVT_N_GET, Recorder((status_ds, reply(PatientID="1"))))], MPPS)
    assoc = pair.associate(MPPS)
    status, attrs = assoc.send_n_get([0x00100020, 0x00101010], MPPS, INSTANCE)
    assoc.release()

    assert status.Status == 0x0107
    assert status.ErrorComment == "Unknown attribute"
    assert status.ErrorID == 12
    assert status.AttributeIdentifierList == Tag(0x00101010)
    assert attrs is not None
    assert attrs.PatientID == "1"


def test_an_unknown_status_code_is_sent_with_a_warning(
    pair: Pair, caplog: pytest.LogCaptureFixture
) -> None:
    pair.serve([(evt.EVT_N_SET, Recorder((0x0F0F, None)))], MPPS)
    assoc = pair.associate(MPPS)
    with caplog.at_level(logging.WARNING):
        status, _ = assoc.send_n_set(reply(PatientID="1"), MPPS, INSTANCE)
    assoc.release()

    assert status.Status == 0x0F0F
    assert "Unknown status" in caplog.text


def test_status_elements_the_response_cannot_carry_are_dropped(pair: Pair) -> None:
    status_ds = reply(Status=0x0000, PatientName="not a status element")
    pair.serve([(evt.EVT_N_DELETE, Recorder(status_ds))], BasicFilmSession)
    assoc = pair.associate(BasicFilmSession)
    status = assoc.send_n_delete(BasicFilmSession, INSTANCE)
    assoc.release()

    assert status.Status == 0x0000
    assert "PatientName" not in status


# -- bad handlers: the peer always gets Processing Failure (PS3.7 C.4.4) -------------


def unencodable() -> Dataset:
    ds = Dataset()
    ds.Rows = 1
    ds["Rows"]._value = object()  # US: pydicom cannot write it
    return ds


@pytest.mark.parametrize(
    "result",
    [
        pytest.param(RuntimeError("boom"), id="raises"),
        pytest.param(0x0000, id="not-a-pair"),
        pytest.param(("OK", None), id="status-of-bad-type"),
        pytest.param((0x1FFFF, None), id="status-out-of-range"),
        pytest.param((True, None), id="status-is-a-bool"),
        pytest.param((0xFF00, None), id="pending"),
        pytest.param((0xFE00, None), id="cancel"),
        pytest.param((Dataset(), None), id="status-dataset-without-status"),
        pytest.param((0x0000, {"PatientID": "1"}), id="reply-not-a-dataset"),
        pytest.param((0x0000, unencodable()), id="reply-cannot-be-encoded"),
    ],
)
def test_a_faulty_handler_gets_processing_failure(pair: Pair, result: object) -> None:
    def handler(event: Any) -> object:
        if isinstance(result, Exception):
            raise result
        return result

    pair.serve([(evt.EVT_N_GET, handler)], MPPS)
    assoc = pair.associate(MPPS)
    status, attrs = assoc.send_n_get(None, MPPS, INSTANCE)
    still_usable(assoc)
    assoc.release()

    assert status.Status == 0x0110
    assert attrs is None


def test_no_handler_bound_is_processing_failure(pair: Pair) -> None:
    pair.serve([], MPPS, StorageCommitmentPushModel, BasicFilmSession)
    assoc = pair.associate(MPPS, StorageCommitmentPushModel, BasicFilmSession)
    ds = reply(PatientID="1")
    statuses = [
        assoc.send_n_create(ds, MPPS)[0],
        assoc.send_n_set(ds, MPPS, INSTANCE)[0],
        assoc.send_n_get(None, MPPS, INSTANCE)[0],
        assoc.send_n_event_report(ds, 1, MPPS, INSTANCE)[0],
        assoc.send_n_action(ds, 1, StorageCommitmentPushModel, INSTANCE)[0],
        assoc.send_n_delete(BasicFilmSession, INSTANCE),
    ]
    still_usable(assoc)
    assoc.release()

    assert [s.Status for s in statuses] == [0x0110] * 6


def test_n_delete_handler_returning_a_pair_is_a_fault(pair: Pair) -> None:
    pair.serve([(evt.EVT_N_DELETE, Recorder((0x0000, None)))], BasicFilmSession)
    assoc = pair.associate(BasicFilmSession)
    status = assoc.send_n_delete(BasicFilmSession, INSTANCE)
    assoc.release()

    assert status.Status == 0x0110


# -- requests the negotiated SOP class cannot take ------------------------------


def test_an_operation_the_sop_class_does_not_use_is_unrecognized(pair: Pair) -> None:
    handler = Recorder(0x0000)
    pair.serve([(evt.EVT_N_DELETE, handler)], MPPS)
    assoc = pair.associate(MPPS)
    # PS3.4 F.7: MPPS has no N-DELETE.
    status = assoc.send_n_delete(MPPS, INSTANCE)
    still_usable(assoc)
    assoc.release()

    assert status.Status == 0x0211
    assert not handler.events


def test_an_n_request_on_a_storage_context_is_unrecognized(pair: Pair) -> None:
    pair.serve([], CTImageStorage)
    assoc = pair.associate(CTImageStorage)
    status, _ = assoc.send_n_get(None, CTImageStorage, INSTANCE)
    still_usable(assoc)
    assoc.release()

    assert status.Status == 0x0211


def test_a_sop_class_of_another_service_is_not_supported(pair: Pair) -> None:
    handler = Recorder((0x0000, None))
    pair.serve([(evt.EVT_N_GET, handler)], MPPS)
    assoc = pair.associate(MPPS)
    # The MPPS context, but a Storage Commitment class in the request.
    status, _ = assoc.send_n_get(
        None, StorageCommitmentPushModel, INSTANCE, meta_uid=MPPS
    )
    unknown, _ = assoc.send_n_get(None, "1.2.3.999", INSTANCE, meta_uid=MPPS)
    assoc.release()

    assert status.Status == 0x0122
    assert unknown.Status == 0x0118
    assert not handler.events


def test_a_sop_class_of_the_same_service_is_accepted(pair: Pair) -> None:
    handler = Recorder((0x0000, None))
    pair.serve([(evt.EVT_N_GET, handler)], ModalityPerformedProcedureStepRetrieve)
    assoc = pair.associate(ModalityPerformedProcedureStepRetrieve)
    status, _ = assoc.send_n_get(
        None, MPPS, INSTANCE, meta_uid=ModalityPerformedProcedureStepRetrieve
    )
    assoc.release()

    assert status.Status == 0x0000
    assert handler.events[0].request.RequestedSOPClassUID == MPPS


def test_meta_uid_picks_the_meta_sop_class_context(pair: Pair) -> None:
    handler = Recorder((0x0000, None))
    pair.serve([(evt.EVT_N_CREATE, handler)], BasicGrayscalePrintManagementMeta)
    assoc = pair.associate(BasicGrayscalePrintManagementMeta)
    status, _ = assoc.send_n_create(
        None, BasicFilmSession, meta_uid=BasicGrayscalePrintManagementMeta
    )
    assoc.release()

    assert status.Status == 0x0000
    event = handler.events[0]
    assert event.context.abstract_syntax == BasicGrayscalePrintManagementMeta
    assert event.request.AffectedSOPClassUID == BasicFilmSession


def test_a_private_sop_class_goes_to_the_handler(pair: Pair) -> None:
    private = "1.2.826.0.1.3680043.10.1234.99"
    handler = Recorder((0x0000, None))
    pair.serve([(evt.EVT_N_ACTION, handler)], private)
    assoc = pair.associate(private)
    status, _ = assoc.send_n_action(None, 9, private, INSTANCE)
    assoc.release()

    assert status.Status == 0x0000
    assert handler.events[0].action_type == 9


# -- SCU argument checks (pynetdicom's exceptions) ---------------------------------


def test_send_on_a_released_association_raises(pair: Pair) -> None:
    pair.serve([], MPPS)
    assoc = pair.associate(MPPS)
    assoc.release()
    with pytest.raises(RuntimeError):
        assoc.send_n_get(None, MPPS, INSTANCE)


def test_send_without_a_context_raises(pair: Pair) -> None:
    pair.serve([], MPPS)
    assoc = pair.associate(MPPS)
    try:
        with pytest.raises(ValueError, match="No presentation context for"):
            assoc.send_n_create(None, StorageCommitmentPushModel)
        with pytest.raises(ValueError, match="No presentation context for"):
            assoc.send_n_event_report(None, 1, StorageCommitmentPushModel, INSTANCE)
        with pytest.raises(TypeError):
            assoc.send_n_set({"PatientID": "1"}, MPPS, INSTANCE)
        with pytest.raises(ValueError, match="Modification List"):
            assoc.send_n_set(None, MPPS, INSTANCE)
        with pytest.raises(ValueError, match="encode"):
            assoc.send_n_create(unencodable(), MPPS)
        with pytest.raises(ValueError, match="65535"):
            assoc.send_n_get(None, MPPS, INSTANCE, msg_id=70000)
        still_usable(assoc)
    finally:
        assoc.release()


def test_an_undecodable_reply_is_processing_failure(
    pair: Pair, monkeypatch: pytest.MonkeyPatch
) -> None:
    pair.serve([(evt.EVT_N_GET, Recorder((0x0000, reply(PatientID="1"))))], MPPS)
    assoc = pair.associate(MPPS)

    def broken(raw: bytes, syntax: str) -> Dataset:
        raise ValueError("corrupt")

    monkeypatch.setattr(_n_scu, "decode_dataset", broken)
    status, attrs = assoc.send_n_get(None, MPPS, INSTANCE)
    assoc.release()

    assert status.Status == 0x0110
    assert attrs is None


def test_a_dimse_timeout_aborts_and_returns_empty(pair: Pair) -> None:
    release = threading.Event()

    def slow(event: Any) -> object:
        release.wait(TIMEOUT)
        return 0x0000, None

    pair.serve([(evt.EVT_N_GET, slow)], MPPS)
    # The blocked peer will not close the connection after our A-ABORT: the
    # ARTIM timer (the ACSE timeout, PS3.8 9.1.5) ends the wait.
    pair.scu.acse_timeout = 1.0
    assoc = pair.associate(MPPS)
    assoc.dimse_timeout = 0.3
    try:
        status, attrs = assoc.send_n_get(None, MPPS, INSTANCE)
    finally:
        release.set()
    assert status == Dataset()
    assert attrs is None
    assert assoc.is_aborted


# -- N-EVENT-REPORT to the requestor, and work after the response ----------------


def test_the_scp_reports_to_the_requestor_after_its_response(pair: Pair) -> None:
    order: list[str] = []
    outcome: Future[Dataset] = Future()

    def on_action(event: Any) -> object:
        def report() -> None:
            status, _ = event.assoc.send_n_event_report(
                reply(TransactionUID="1.2.3"),
                2,
                StorageCommitmentPushModel,
                INSTANCE,
                msg_id=101,
            )
            outcome.set_result(status)

        call_after_response(event, report)
        order.append("action handled")
        return 0x0000, None

    def on_report(event: Any) -> object:
        order.append("report received")
        assert event.event_information.TransactionUID == "1.2.3"
        return 0x0000, reply(PatientID="thanks")

    pair.serve([(evt.EVT_N_ACTION, on_action)], StorageCommitmentPushModel)
    assoc = pair.associate(
        StorageCommitmentPushModel, handlers=[(evt.EVT_N_EVENT_REPORT, on_report)]
    )
    status, _ = assoc.send_n_action(None, 1, StorageCommitmentPushModel, INSTANCE)
    report_status = outcome.result(TIMEOUT)
    still_usable(assoc)
    assoc.release()

    assert status.Status == 0x0000
    assert report_status.Status == 0x0000
    assert order == ["action handled", "report received"]


def test_a_report_from_another_thread_waits_for_the_response(pair: Pair) -> None:
    outcome: Future[Dataset] = Future()
    received: Future[int] = Future()

    def on_action(event: Any) -> object:
        def report() -> None:
            status, _ = event.assoc.send_n_event_report(
                None, 1, StorageCommitmentPushModel, INSTANCE, msg_id=5
            )
            outcome.set_result(status)

        threading.Thread(target=report).start()
        return 0x0000, None

    def on_report(event: Any) -> object:
        received.set_result(event.event_type)
        return 0x0000, None

    pair.serve([(evt.EVT_N_ACTION, on_action)], StorageCommitmentPushModel)
    assoc = pair.associate(
        StorageCommitmentPushModel, handlers=[(evt.EVT_N_EVENT_REPORT, on_report)]
    )
    status, _ = assoc.send_n_action(None, 1, StorageCommitmentPushModel, INSTANCE)
    assert received.result(TIMEOUT) == 1
    assert outcome.result(TIMEOUT).Status == 0x0000
    assoc.release()
    assert status.Status == 0x0000


def test_a_failing_after_response_callback_is_only_logged(
    pair: Pair, caplog: pytest.LogCaptureFixture
) -> None:
    def on_get(event: Any) -> object:
        def boom() -> None:
            raise RuntimeError("after")

        call_after_response(event, boom)
        return 0x0000, None

    pair.serve([(evt.EVT_N_GET, on_get)], MPPS)
    assoc = pair.associate(MPPS)
    with caplog.at_level(logging.ERROR):
        status, _ = assoc.send_n_get(None, MPPS, INSTANCE)
        still_usable(assoc)
    assoc.release()

    assert status.Status == 0x0000
    assert "after the N-GET response" in caplog.text


def test_call_after_response_needs_an_n_event(pair: Pair) -> None:
    errors: Future[BaseException] = Future()

    def on_echo(event: Any) -> int:
        try:
            call_after_response(event, lambda: None)
        except TypeError as exc:
            errors.set_result(exc)
        return 0x0000

    pair.serve([(evt.EVT_C_ECHO, on_echo)])
    assoc = pair.associate()
    assoc.send_c_echo()
    assoc.release()
    assert isinstance(errors.result(TIMEOUT), TypeError)


# -- providers and routing ------------------------------------------------------


def echo_provider(sop_class: str, name: str) -> ServiceProvider:
    class Echo(ServiceProvider):
        sop_classes = frozenset({sop_class})

        def n_get(self, event: Any) -> tuple[object, Dataset | None]:
            return 0x0000, reply(PatientID=name)

    return Echo()


def test_route_sends_each_sop_class_to_its_provider(pair: Pair) -> None:
    first = echo_provider(MPPS, "mpps")
    second = echo_provider(BasicGrayscalePrintManagementMeta, "print")
    pair.serve(
        route(first, second),
        MPPS,
        BasicGrayscalePrintManagementMeta,
        StorageCommitmentPushModel,
    )
    assoc = pair.associate(
        MPPS, BasicGrayscalePrintManagementMeta, StorageCommitmentPushModel
    )
    _, mpps = assoc.send_n_get(None, MPPS, INSTANCE)
    _, printed = assoc.send_n_get(
        None, BasicFilmSession, INSTANCE, meta_uid=BasicGrayscalePrintManagementMeta
    )
    unclaimed, _ = assoc.send_n_action(None, 1, StorageCommitmentPushModel, INSTANCE)
    unsupported, _ = assoc.send_n_set(reply(PatientID="1"), MPPS, INSTANCE)
    not_claimed_delete = assoc.send_n_delete(
        BasicFilmSession, INSTANCE, meta_uid=BasicGrayscalePrintManagementMeta
    )
    assoc.release()

    assert mpps is not None
    assert mpps.PatientID == "mpps"
    assert printed is not None
    assert printed.PatientID == "print"
    assert unclaimed.Status == 0x0122
    assert unsupported.Status == 0x0211  # the provider does not do N-SET
    assert not_claimed_delete.Status == 0x0211


def test_missing_attributes_names_the_first_gap() -> None:
    ds = reply(PatientID="1", PatientName="")
    assert normalized.missing_attributes(ds, ["PatientID"]) is None
    missing = normalized.missing_attributes(ds, ["PatientID", "StudyDate"])
    empty = normalized.missing_attributes(ds, ["PatientName"])
    type2 = normalized.missing_attributes(ds, (), ["PatientName", "Modality"])
    assert missing is not None
    assert (missing.Status, missing.ErrorComment) == (0x0120, "Missing StudyDate")
    assert empty is not None
    assert empty.Status == 0x0121
    assert type2 is not None
    assert type2.ErrorComment == "Missing Modality"


def test_failure_cuts_the_comment_to_64_characters() -> None:
    status = normalized.failure(0x0110, "x" * 100)
    assert len(status.ErrorComment) == 64


@pytest.mark.parametrize("syntax", [ImplicitVRLittleEndian, ExplicitVRLittleEndian])
def test_data_sets_use_the_context_transfer_syntax(pair: Pair, syntax: str) -> None:
    handler = Recorder(
        (0x0000, reply(PatientName="Ünïcode", SpecificCharacterSet="ISO_IR 192"))
    )
    pair.serve([(evt.EVT_N_SET, handler)], MPPS)
    pair.scu.add_requested_context(MPPS, [syntax])
    assoc = pair.scu.associate(LOOPBACK, pair.port, ae_title="N_SCP")
    status, attrs = assoc.send_n_set(reply(PatientID="1"), MPPS, INSTANCE)
    assoc.release()

    assert status.Status == 0x0000
    assert handler.events[0].context.transfer_syntax == syntax
    assert attrs is not None
    assert attrs.PatientName == "Ünïcode"


# -- empty data sets ----------------------------------------------------------------


def test_empty_data_sets_travel_as_none(pair: Pair) -> None:
    handler = Recorder((0x0000, Dataset()))
    pair.serve([(evt.EVT_N_ACTION, handler)], StorageCommitmentPushModel)
    assoc = pair.associate(StorageCommitmentPushModel)
    status, action_reply = assoc.send_n_action(
        Dataset(), 1, StorageCommitmentPushModel, INSTANCE
    )
    with pytest.raises(ValueError, match="non-empty"):
        assoc.send_n_set(Dataset(), StorageCommitmentPushModel, INSTANCE)
    still_usable(assoc)
    assoc.release()

    assert status.Status == 0x0000
    assert action_reply == Dataset()
    assert handler.events[0].action_information == Dataset()


# -- every normalized SOP class: its operations reach the handler ------------------

_EVERY_N: dict[str, set[str]] = {
    # PS3.4: the DIMSE-N operations each service class uses.
    sc.RTConventionalMachineVerification: {
        "N-CREATE",
        "N-SET",
        "N-GET",
        "N-ACTION",
        "N-DELETE",
        "N-EVENT-REPORT",
    },
    sc.RTIonMachineVerification: {
        "N-CREATE",
        "N-SET",
        "N-GET",
        "N-ACTION",
        "N-DELETE",
        "N-EVENT-REPORT",
    },
    sc.InventoryCreation: {"N-ACTION", "N-GET", "N-EVENT-REPORT"},
    sc.ProceduralEventLogging: {"N-ACTION"},
    sc.SubstanceAdministrationLogging: {"N-ACTION"},
    sc.DisplaySystem: {"N-GET"},
    sc.MediaCreationManagement: {"N-CREATE", "N-ACTION", "N-GET"},
    sc.InstanceAvailabilityNotification: {"N-CREATE"},
    sc.StorageCommitmentPushModel: {"N-ACTION", "N-EVENT-REPORT"},
    sc.ModalityPerformedProcedureStep: {"N-CREATE", "N-SET", "N-GET", "N-EVENT-REPORT"},
    sc.UnifiedProcedureStepPush: {
        "N-CREATE",
        "N-SET",
        "N-GET",
        "N-ACTION",
        "N-EVENT-REPORT",
    },
    sc.BasicFilmSession: {
        "N-CREATE",
        "N-SET",
        "N-GET",
        "N-ACTION",
        "N-DELETE",
        "N-EVENT-REPORT",
    },
}


def _send_each(assoc: Any, uid: str) -> dict[str, int]:
    ds = reply(PatientID="1")
    return {
        "N-CREATE": assoc.send_n_create(ds, uid)[0].Status,
        "N-SET": assoc.send_n_set(ds, uid, INSTANCE)[0].Status,
        "N-GET": assoc.send_n_get(None, uid, INSTANCE)[0].Status,
        "N-ACTION": assoc.send_n_action(ds, 1, uid, INSTANCE)[0].Status,
        "N-DELETE": assoc.send_n_delete(uid, INSTANCE).Status,
        "N-EVENT-REPORT": assoc.send_n_event_report(ds, 1, uid, INSTANCE)[0].Status,
    }


@pytest.mark.parametrize(
    "uid", list(_EVERY_N), ids=lambda uid: sc.uid_to_sop_class(uid).keyword
)
def test_each_service_class_takes_its_operations_only(pair: Pair, uid: str) -> None:
    # A warning (PS3.7 C.1: Bxxx) the handler chose: it was asked.
    warned = (0xB000, None)
    handlers: Handlers = [
        (event, Recorder(warned if event is not evt.EVT_N_DELETE else 0xB000))
        for event in (
            evt.EVT_N_CREATE,
            evt.EVT_N_SET,
            evt.EVT_N_GET,
            evt.EVT_N_ACTION,
            evt.EVT_N_DELETE,
            evt.EVT_N_EVENT_REPORT,
        )
    ]
    pair.serve(handlers, uid)
    assoc = pair.associate(uid)
    statuses = _send_each(assoc, uid)
    assoc.release()

    expected = {name: 0xB000 if name in _EVERY_N[uid] else 0x0211 for name in statuses}
    assert statuses == expected


def test_an_undecodable_request_data_set_is_processing_failure(pair: Pair) -> None:
    pair.serve(MPPSServer().handlers(), MPPS)
    assoc = pair.associate(MPPS)
    request = N_CREATE()
    request.MessageID = 3
    request.AffectedSOPClassUID = MPPS
    request.AffectedSOPInstanceUID = INSTANCE
    # A sequence of undefined length whose item is cut off: not a data set.
    request.AttributeList = BytesIO(
        b"\x40\x00\x70\x02\xff\xff\xff\xff\xfe\xff\x00\xe0\x10\x00\x00\x00"
    )
    context_id = assoc._context_for(MPPS)
    response = assoc._next_response(assoc._send_request(context_id, request))
    still_usable(assoc)
    assoc.release()

    assert response is not None
    assert response.Status == 0x0110
