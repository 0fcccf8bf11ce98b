"""Storage Commitment Push Model (PS3.4 Annex J) between dicomnet AEs.

The result comes back both ways the standard allows: on the association of
the request, and on a new association the SCP requests to the SCU with the
roles reversed (J.3.3.1.3).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from concurrent.futures import Future
from typing import Any

import pytest
from pydicom.dataset import Dataset

from dicomnet import AE, evt
from dicomnet.services import storage_commitment as sc
from dicomnet.sop_class import (
    CTImageStorage,
    MRImageStorage,
    StorageCommitmentPushModel,
)
from tests.services.test_normalized import LOOPBACK, TIMEOUT, reply

SC = StorageCommitmentPushModel
STORED = {"1.2.826.0.1.3680043.10.1234.11", "1.2.826.0.1.3680043.10.1234.12"}
MISSING = "1.2.826.0.1.3680043.10.1234.13"
REFERENCES = [(CTImageStorage, uid) for uid in sorted(STORED)]


def commit_stored(request: sc.CommitmentRequest) -> Mapping[str, int]:
    return {
        ref.sop_instance_uid: sc.FailureReason.NO_SUCH_OBJECT_INSTANCE
        for ref in request.references
        if ref.sop_instance_uid not in STORED
    }


class Setup:
    """An archive (the SCP) and a modality (the SCU, with its own server)."""

    def __init__(self) -> None:
        self.modality = AE("MODALITY")
        self.archive = AE("ARCHIVE")
        for ae in (self.modality, self.archive):
            ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = TIMEOUT
        self.listener = sc.CommitmentListener()
        self.reports: Future[tuple[sc.CommitmentResult, Dataset]] = Future()
        self.seen_on: list[Any] = []
        self.modality_port = 0
        self.archive_port = 0

    def record(self, event: Any) -> object:
        self.seen_on.append(event.assoc)
        return self.listener(event)

    def start(
        self,
        commit: Any = commit_stored,
        *,
        same_association: bool = True,
        peers: bool = True,
        roles: tuple[bool, bool] = (False, True),
    ) -> sc.StorageCommitmentSCP:
        # J.3.3.1.3: the SCU accepts the SCP role proposed by the archive.
        self.modality.add_supported_context(SC, scu_role=roles[0], scp_role=roles[1])
        server = self.modality.start_server(
            (LOOPBACK, 0),
            block=False,
            evt_handlers=[(evt.EVT_N_EVENT_REPORT, self.record)],
        )
        assert server is not None
        self.modality_port = int(server.server_address[1])
        provider = sc.StorageCommitmentSCP(
            commit,
            peers={"MODALITY": (LOOPBACK, self.modality_port)} if peers else None,
            same_association=same_association,
            on_report=lambda result, status: self.reports.set_result((result, status)),
        )
        self.archive.add_supported_context(SC)
        archive = self.archive.start_server(
            (LOOPBACK, 0), block=False, evt_handlers=provider.handlers()
        )
        assert archive is not None
        self.archive_port = int(archive.server_address[1])
        return provider

    def associate(self) -> Any:
        self.modality.add_requested_context(SC)
        assoc = self.modality.associate(
            LOOPBACK,
            self.archive_port,
            ae_title="ARCHIVE",
            evt_handlers=[(evt.EVT_N_EVENT_REPORT, self.record)],
        )
        assert assoc.is_established
        return assoc

    def close(self) -> None:
        self.modality.shutdown()
        self.archive.shutdown()


@pytest.fixture
def setup() -> Iterator[Setup]:
    both = Setup()
    yield both
    both.close()


# -- the result, both ways -------------------------------------------------------


def test_result_on_the_same_association(setup: Setup) -> None:
    setup.start()
    assoc = setup.associate()
    status, transaction = sc.request_commitment(assoc, REFERENCES)
    result = setup.listener.wait(transaction, TIMEOUT)
    assoc.release()

    assert status.Status == 0x0000
    assert result is not None
    assert result.is_successful
    assert result.event_type == sc.COMMITMENT_SUCCESSFUL
    assert {ref.sop_instance_uid for ref in result.committed} == STORED
    assert result.failed == ()
    assert setup.seen_on == [assoc]
    sent, report_status = setup.reports.result(TIMEOUT)
    assert sent.transaction_uid == transaction
    assert report_status.Status == 0x0000


def test_result_on_a_new_association_with_roles_reversed(setup: Setup) -> None:
    setup.start(same_association=False)
    assoc = setup.associate()
    refs = [*REFERENCES, (MRImageStorage, MISSING)]
    status, transaction = sc.request_commitment(assoc, refs, msg_id=9)
    # J.3.2.1.2: the SCU may release as soon as it has the N-ACTION response.
    assoc.release()
    result = setup.listener.wait(transaction, TIMEOUT)

    assert status.Status == 0x0000
    assert result is not None
    assert not result.is_successful
    assert result.event_type == sc.COMMITMENT_FAILURES_EXIST
    assert {ref.sop_instance_uid for ref in result.committed} == STORED
    assert result.failed == (
        sc.InstanceReference(
            MRImageStorage, MISSING, sc.FailureReason.NO_SUCH_OBJECT_INSTANCE
        ),
    )
    (reverse,) = setup.seen_on
    assert reverse is not assoc
    assert reverse.is_acceptor
    assert reverse.requestor.ae_title == "ARCHIVE"
    # PS3.7 D.3.3.4: the archive, requesting, was granted the SCP role.
    (context,) = reverse.accepted_contexts
    assert context.abstract_syntax == SC
    assert context.as_scu is True  # the modality performs the report
    assert setup.reports.result(TIMEOUT)[1].Status == 0x0000


def test_result_comes_even_when_the_scu_releases_at_once(setup: Setup) -> None:
    setup.start()
    assoc = setup.associate()
    status, transaction = sc.request_commitment(assoc, REFERENCES)
    assoc.release()
    result = setup.listener.wait(transaction, TIMEOUT)

    assert status.Status == 0x0000
    assert result is not None
    assert result.is_successful


def test_a_peer_that_ignores_role_selection_still_gets_the_result(setup: Setup) -> None:
    setup.start(same_association=False, roles=(True, True))
    assoc = setup.associate()
    _, transaction = sc.request_commitment(assoc, REFERENCES)
    assoc.release()
    assert setup.listener.wait(transaction, TIMEOUT) is not None


def test_unknown_scu_address_is_reported_not_raised(
    setup: Setup, caplog: pytest.LogCaptureFixture
) -> None:
    setup.start(same_association=False, peers=False)
    assoc = setup.associate()
    with caplog.at_level(logging.ERROR):
        status, transaction = sc.request_commitment(assoc, REFERENCES)
        result, report_status = setup.reports.result(TIMEOUT)
    assoc.release()

    assert status.Status == 0x0000
    assert result.transaction_uid == transaction
    assert report_status == Dataset()
    assert "not in 'peers'" in caplog.text


def test_a_failing_commit_callback_fails_every_instance(setup: Setup) -> None:
    def broken(request: sc.CommitmentRequest) -> Mapping[str, int]:
        raise RuntimeError("database down")

    setup.start(broken)
    assoc = setup.associate()
    _, transaction = sc.request_commitment(assoc, REFERENCES)
    result = setup.listener.wait(transaction, TIMEOUT)
    assoc.release()

    assert result is not None
    assert result.committed == ()
    assert {ref.failure_reason for ref in result.failed} == {0x0110}


def test_a_reused_transaction_uid_fails_as_duplicate(setup: Setup) -> None:
    setup.start()
    assoc = setup.associate()
    _, transaction = sc.request_commitment(assoc, REFERENCES)
    assert setup.listener.wait(transaction, TIMEOUT) is not None
    outcomes: list[sc.CommitmentResult] = []
    listener = sc.CommitmentListener(on_result=outcomes.append)
    assoc.bind(evt.EVT_N_EVENT_REPORT, listener)
    status, _ = sc.request_commitment(assoc, REFERENCES, transaction_uid=transaction)
    second = listener.wait(transaction, TIMEOUT)
    assoc.release()

    assert status.Status == 0x0000
    assert second is not None
    assert outcomes == [second]
    assert {ref.failure_reason for ref in second.failed} == {0x0131}


# -- bad requests: the SCP refuses them and reports nothing -------------------------


def info(**changes: Any) -> Dataset:
    ds = sc.commitment_request(REFERENCES)
    for keyword, value in changes.items():
        if value is None:
            del ds[keyword]
        else:
            setattr(ds, keyword, value)
    return ds


def bad_item() -> Dataset:
    ds = sc.commitment_request(REFERENCES)
    del ds.ReferencedSOPSequence[0].ReferencedSOPInstanceUID
    return ds


@pytest.mark.parametrize(
    ("action_info", "action_type", "instance", "code"),
    [
        pytest.param(info(), 1, "1.2.3.4", 0x0112, id="not-the-well-known-instance"),
        pytest.param(
            info(), 2, sc.STORAGE_COMMITMENT_INSTANCE, 0x0123, id="no-such-action"
        ),
        pytest.param(
            info(TransactionUID=None),
            1,
            sc.STORAGE_COMMITMENT_INSTANCE,
            0x0115,
            id="no-transaction",
        ),
        pytest.param(
            info(TransactionUID=""),
            1,
            sc.STORAGE_COMMITMENT_INSTANCE,
            0x0115,
            id="empty-transaction",
        ),
        pytest.param(
            info(ReferencedSOPSequence=[]),
            1,
            sc.STORAGE_COMMITMENT_INSTANCE,
            0x0115,
            id="no-references",
        ),
        pytest.param(
            bad_item(),
            1,
            sc.STORAGE_COMMITMENT_INSTANCE,
            0x0115,
            id="reference-without-uid",
        ),
        pytest.param(
            None, 1, sc.STORAGE_COMMITMENT_INSTANCE, 0x0115, id="no-information"
        ),
    ],
)
def test_a_bad_request_is_refused(
    setup: Setup,
    action_info: Dataset | None,
    action_type: int,
    instance: str,
    code: int,
) -> None:
    setup.start()
    assoc = setup.associate()
    status, _ = assoc.send_n_action(action_info, action_type, SC, instance)
    assert assoc.is_established
    assoc.release()

    assert status.Status == code
    assert not setup.reports.done()
    assert setup.seen_on == []


# -- bad results: the SCU's listener refuses them -----------------------------------


@pytest.mark.parametrize(
    ("event_info", "event_type", "instance", "code"),
    [
        pytest.param(
            reply(TransactionUID="1.2.3"),
            3,
            sc.STORAGE_COMMITMENT_INSTANCE,
            0x0113,
            id="no-such-event",
        ),
        pytest.param(
            reply(PatientID="x"),
            1,
            sc.STORAGE_COMMITMENT_INSTANCE,
            0x0115,
            id="no-transaction",
        ),
        pytest.param(
            reply(TransactionUID="1.2.3"), 1, "1.2.3.4", 0x0112, id="wrong-instance"
        ),
    ],
)
def test_the_listener_refuses_bad_reports(
    setup: Setup, event_info: Dataset, event_type: int, instance: str, code: int
) -> None:
    setup.start()
    # The archive sends a report of its own making to the modality's server.
    setup.archive.add_requested_context(SC)
    assoc = setup.archive.associate(LOOPBACK, setup.modality_port, ae_title="MODALITY")
    status, _ = assoc.send_n_event_report(event_info, event_type, SC, instance)
    assoc.release()

    assert status.Status == code


def test_waiting_for_a_result_that_never_comes() -> None:
    listener = sc.CommitmentListener()
    assert listener.wait("1.2.3", timeout=0) is None


# -- building and reading the data sets ------------------------------------------


def test_commitment_request_needs_instances() -> None:
    with pytest.raises(ValueError, match="at least one"):
        sc.commitment_request([])
    request = sc.commitment_request(
        [sc.InstanceReference(CTImageStorage, "1.2.3")], "9.8"
    )
    assert request.TransactionUID == "9.8"
    assert request.ReferencedSOPSequence[0].ReferencedSOPInstanceUID == "1.2.3"


def test_parse_result_needs_a_result() -> None:
    with pytest.raises(ValueError, match="Event Type"):
        sc.parse_result(5, reply(TransactionUID="1.2"))
    with pytest.raises(ValueError, match="Transaction UID"):
        sc.parse_result(1, Dataset())
    result = sc.parse_result(1, reply(TransactionUID="1.2"))
    assert result.committed == ()
    assert result.is_successful
