"""``dicomnet echoscu`` run in-process: exit statuses and messages."""

from __future__ import annotations

import logging
import threading
from types import SimpleNamespace

import pytest
from pydicom.dataset import Dataset
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

from dicomnet import __version__, build_context, evt
from dicomnet.apps import _common, echoscu
from dicomnet.sop_class import Verification
from dicomnet.ul.pdu import A_ABORT, A_RELEASE_RQ

from .conftest import A_ABORT_BYTES, LOOPBACK, TIMEOUT, dicomnet_scp, raw_listener

# PS3.8 9.3.4: A-ASSOCIATE-RJ, rejected-permanent by the service-user,
# reason 7 (called AE title not recognized); and a reserved reason (5).
A_ASSOCIATE_RJ_CALLED = bytes([0x03, 0, 0, 0, 0, 4, 0, 1, 1, 7])
A_ASSOCIATE_RJ_RESERVED = bytes([0x03, 0, 0, 0, 0, 4, 0, 1, 1, 5])


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    status = echoscu.main(list(argv))
    return status, capsys.readouterr().err


def test_success_is_silent_by_default(scp, capsys):
    status, err = run(capsys, LOOPBACK, str(scp.port))
    assert status == 0
    assert err == ""
    assert scp.message_ids == [1]
    assert scp.wait_closed() == ["EVT_RELEASED"]


def test_verbose_reports_each_step(scp, capsys):
    status, err = run(capsys, "-v", LOOPBACK, str(scp.port))
    assert status == 0
    lines = err.splitlines()
    assert f"I: Requesting Association with {LOOPBACK} port {scp.port}" in lines
    assert "I: Association Accepted" in lines
    assert "I: Sending Echo Request: MsgID 1" in lines
    assert "I: Received Echo Response (Status: Success)" in lines
    assert "I: Releasing Association" in lines


def test_debug_shows_the_pdus(scp, capsys):
    status, err = run(capsys, "-d", LOOPBACK, str(scp.port))
    assert status == 0
    assert "A-ASSOCIATE-RQ" in err
    assert any(line.startswith("D: ") for line in err.splitlines())


def test_repeat_sends_numbered_requests_on_one_association(scp, capsys):
    status, _ = run(capsys, "--repeat", "3", LOOPBACK, str(scp.port))
    assert status == 0
    assert scp.message_ids == [1, 2, 3]
    assert scp.wait_closed() == ["EVT_RELEASED"]


def test_abort_instead_of_release(scp, capsys):
    status, _ = run(capsys, "--abort", LOOPBACK, str(scp.port))
    assert status == 0
    assert scp.message_ids == [1]
    assert scp.wait_closed() == ["EVT_ABORTED"]


def test_titles_and_max_pdu_reach_the_peer(capsys):
    seen = {}

    def on_accepted(event: evt.Event) -> None:
        seen["calling"] = event.assoc.requestor.ae_title
        # The Called AE Title as sent (acceptor.ae_title is our own title).
        seen["called"] = event.assoc.requestor.primitive.called_ae_title
        seen["max_pdu"] = event.assoc.requestor.maximum_length

    with dicomnet_scp(handlers=[(evt.EVT_ACCEPTED, on_accepted)]) as peer:
        args = ["-aet", "MYSCU", "-aec", "THEIRS", "-pdu", "32768"]
        status, _ = run(capsys, *args, LOOPBACK, str(peer.port))
    assert status == 0
    assert seen == {"calling": "MYSCU", "called": "THEIRS", "max_pdu": 32768}


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ((), ImplicitVRLittleEndian),
        (("-xi",), ImplicitVRLittleEndian),
        (("-xe",), ExplicitVRLittleEndian),
        (("-xe", "-xi"), ExplicitVRLittleEndian),
        (("-xi", "-xe", "-xi"), ImplicitVRLittleEndian),
    ],
)
def test_transfer_syntax_proposal(capsys, flags, expected):
    seen = []

    def on_echo(event: evt.Event) -> int:
        seen.append(getattr(event, "context").transfer_syntax)  # noqa: B009  (a dynamic attribute)
        return 0

    # The SCP accepts the requestor's first choice among its own.
    syntaxes = [ExplicitVRLittleEndian, ImplicitVRLittleEndian]
    handlers = [(evt.EVT_C_ECHO, on_echo)]
    with dicomnet_scp(handlers=handlers, transfer_syntaxes=syntaxes) as peer:
        status, _ = run(capsys, *flags, LOOPBACK, str(peer.port))
    assert status == 0
    assert seen == [expected]


def test_rejected_context_is_a_failure(capsys):
    with dicomnet_scp(transfer_syntaxes=[ExplicitVRLittleEndian]) as peer:
        status, err = run(capsys, "-xi", LOOPBACK, str(peer.port))
        assert status == 1
        assert err.splitlines() == [
            (
                "E: The peer accepted the association but not the Verification "
                "context: transfer syntaxes not supported"
            )
        ]
        # The association was released, not left open.
        assert peer.wait_closed() == ["EVT_RELEASED"]


def test_failure_status(capsys):
    with dicomnet_scp(status=0x0110) as peer:
        status, err = run(capsys, "-r", "2", LOOPBACK, str(peer.port))
    assert status == 1
    assert (
        err.splitlines()
        == ["E: C-ECHO failed: status 0x0110 (Failure: Processing failure)"] * 2
    )


def test_unknown_status_is_named_so(capsys):
    with dicomnet_scp(status=0xC123) as peer:
        status, err = run(capsys, LOOPBACK, str(peer.port))
    assert status == 1
    assert "status 0xC123" in err


def test_rejected_called_ae_title(capsys):
    with dicomnet_scp(require_called_aet=True) as peer:
        status, err = run(capsys, "-aec", "SOMEONE", LOOPBACK, str(peer.port))
    assert status == 3
    assert err.splitlines() == [
        (
            "E: Association rejected: called AE title not recognized "
            "(result 1, source 1, reason 7)"
        )
    ]


def test_rejected_calling_ae_title(capsys):
    with dicomnet_scp(require_calling_aet=["FRIEND"]) as peer:
        status, err = run(capsys, "-aet", "STRANGER", LOOPBACK, str(peer.port))
    assert status == 3
    assert "calling AE title not recognized (result 1, source 1, reason 3)" in err


def test_rejected_with_a_reserved_reason(capsys):
    with raw_listener(A_ASSOCIATE_RJ_RESERVED) as port:
        status, err = run(capsys, LOOPBACK, str(port))
    assert status == 3
    assert "reserved reason (result 1, source 1, reason 5)" in err


def test_rejected_by_a_raw_peer(capsys):
    with raw_listener(A_ASSOCIATE_RJ_CALLED) as port:
        status, err = run(capsys, LOOPBACK, str(port))
    assert status == 3
    assert "called AE title not recognized" in err


def test_association_limit(capsys):
    with dicomnet_scp(maximum_associations=1) as peer:
        holder = peer.ae.associate(
            LOOPBACK, peer.port, contexts=[build_context(Verification)]
        )
        assert holder.is_established
        try:
            status, err = run(capsys, LOOPBACK, str(peer.port))
        finally:
            holder.release()
    assert status == 3
    assert "local limit exceeded (result 2, source 3, reason 2)" in err


def test_connection_refused(closed_port, capsys):
    status, err = run(capsys, LOOPBACK, str(closed_port))
    assert status == 5
    assert err.splitlines() == [
        (
            f"E: Cannot connect to {LOOPBACK} port {closed_port}: connection refused, "
            "host unreachable or connection timeout"
        )
    ]


def test_quiet_prints_nothing_even_on_errors(closed_port, capsys):
    status, err = run(capsys, "-q", LOOPBACK, str(closed_port))
    assert status == 5
    assert err == ""


def test_peer_aborts_the_request(capsys):
    with raw_listener(A_ABORT_BYTES) as port:
        status, err = run(capsys, LOOPBACK, str(port))
    assert status == 4
    assert err.startswith("E: Association aborted")


def test_acse_timeout(capsys):
    with raw_listener(None) as port:
        status, err = run(capsys, "-ta", "0.5", LOOPBACK, str(port))
    assert status == 4
    # The library may log the timeout too; the app's line comes last.
    assert err.splitlines()[-1] == (
        f"E: Association aborted: no answer from {LOOPBACK} port {port} to the "
        "association request (the connection closed or the ACSE timeout expired)"
    )


def test_dimse_timeout(capsys):
    proceed = threading.Event()

    def stall(event: evt.Event) -> int:
        proceed.wait(TIMEOUT)
        return 0

    with dicomnet_scp(handlers=[(evt.EVT_C_ECHO, stall)]) as peer:
        try:
            status, err = run(capsys, "-td", "0.5", LOOPBACK, str(peer.port))
        finally:
            proceed.set()
    assert status == 4
    assert "E: Association aborted: no C-ECHO response" in err


def test_peer_aborts_during_the_echo(capsys):
    def abort(event: evt.Event) -> int:
        event.assoc.abort()
        return 0

    with dicomnet_scp(handlers=[(evt.EVT_C_ECHO, abort)]) as peer:
        status, err = run(capsys, LOOPBACK, str(peer.port))
    assert status == 4
    assert "E: Association aborted" in err


@pytest.mark.parametrize(
    "argv",
    [
        [],
        [LOOPBACK],
        [LOOPBACK, "port"],
        [LOOPBACK, "70000"],
        ["-aet", "A" * 17, LOOPBACK, "104"],
        ["-aec", "   ", LOOPBACK, "104"],
        ["-aet", "BACK\\SLASH", LOOPBACK, "104"],
        ["-r", "0", LOOPBACK, "104"],
        ["-ta", "-1", LOOPBACK, "104"],
        ["-ta", "nan", LOOPBACK, "104"],
        ["-td", "soon", LOOPBACK, "104"],
        ["-pdu", "-1", LOOPBACK, "104"],
        ["-q", "-v", LOOPBACK, "104"],
        ["-ae", "X", LOOPBACK, "104"],  # no abbreviations: -aet or -aec?
        ["--bogus", LOOPBACK, "104"],
    ],
)
def test_usage_errors(capsys, argv):
    status, err = run(capsys, *argv)
    assert status == 2
    assert "usage: dicomnet echoscu" in err


def test_help_and_version(capsys):
    assert echoscu.main(["--help"]) == 0
    out = capsys.readouterr().out
    for flag in ("-aet", "-aec", "-to", "-ta", "-td", "-pdu", "--repeat", "+tls"):
        assert flag in out
    assert echoscu.main(["--version"]) == 0
    assert __version__ in capsys.readouterr().out


def test_timeouts_accept_none_and_zero(scp, capsys):
    argv = ["-ta", "none", "-td", "0", "-tn", "0", "-to", "5", LOOPBACK, str(scp.port)]
    status, _ = run(capsys, *argv)
    assert status == 0


def test_logging_is_left_as_found(scp, capsys):
    logger = logging.getLogger("dicomnet")
    handlers, level, propagate = list(logger.handlers), logger.level, logger.propagate
    assert run(capsys, "-d", LOOPBACK, str(scp.port))[0] == 0
    assert logger.handlers == handlers
    assert (logger.level, logger.propagate) == (level, propagate)


# -- what the association's events tell ---------------------------------------------
# The association reports a received A-ABORT through EVT_PDU_RECV in pynetdicom;
# these tests feed the recorded PDUs directly, so the messages hold whether or
# not the library in use reports it.


def _outcome_with(pdu) -> _common.AssociationOutcome:
    outcome = _common.AssociationOutcome()
    outcome._on_pdu(SimpleNamespace(pdu=pdu))
    return outcome


def test_an_abort_during_negotiation_is_described():
    outcome = _outcome_with(A_ABORT(source=2, reason=6))
    error = _common.not_established(outcome, LOOPBACK, 104, tls=False)
    assert error.status == 4
    assert str(error) == (
        "Association aborted by the peer's service-provider: invalid PDU "
        "parameter value (source 2, reason 6)"
    )


def test_an_abort_during_the_echo_is_described():
    class Ended:
        def send_c_echo(self, msg_id: int):
            raise RuntimeError("The association with a peer SCP has been released")

    outcome = _outcome_with(A_ABORT(source=0, reason=0))
    with pytest.raises(echoscu.AppError) as raised:
        echoscu._echo_once(Ended(), outcome, 1)  # type: ignore[arg-type]
    assert raised.value.status == 4
    assert (
        str(raised.value) == "Association aborted by the peer's service-user (source 0)"
    )


def test_other_pdus_are_ignored():
    outcome = _outcome_with(A_RELEASE_RQ())
    assert (outcome.reject, outcome.abort) == (None, None)


def test_message_ids_wrap_after_65535():
    sent = []

    class Echoes:
        def send_c_echo(self, msg_id: int):
            sent.append(msg_id)
            return Dataset()

    with pytest.raises(echoscu.AppError):
        echoscu._echo_once(Echoes(), _common.AssociationOutcome(), 65536)  # type: ignore[arg-type]
    assert sent == [1]
