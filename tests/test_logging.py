"""Tests of dicomnet._logging: debug_logger, PDU summaries and handlers."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dicomnet import _logging
from dicomnet._logging import debug_logger, on_pdu_recv, on_pdu_sent, summarise_pdu
from dicomnet.ul.items import (
    AsynchronousOperationsWindowSubItem,
    ImplementationClassUIDSubItem,
    ImplementationVersionNameSubItem,
    MaximumLengthSubItem,
    PresentationContextItemAC,
    PresentationContextItemRQ,
    SCPSCURoleSelectionSubItem,
    SOPClassCommonExtendedNegotiationSubItem,
    SOPClassExtendedNegotiationSubItem,
    UnknownSubItem,
    UserIdentityACSubItem,
    UserIdentityRQSubItem,
    UserInformationItem,
)
from dicomnet.ul.pdu import (
    A_ABORT,
    A_ASSOCIATE_AC,
    A_ASSOCIATE_RJ,
    A_ASSOCIATE_RQ,
    A_RELEASE_RP,
    A_RELEASE_RQ,
    P_DATA_TF,
    PDU,
    PDV,
)

VERIFICATION = "1.2.840.10008.1.1"
CT = "1.2.840.10008.5.1.4.1.1.2"
IMPLICIT = "1.2.840.10008.1.2"
PRIVATE = "1.2.3.4.5"


@dataclass
class FakeEvent:
    pdu: PDU


@pytest.fixture
def restore_logger() -> Iterator[logging.Logger]:
    logger = logging.getLogger("dicomnet")
    handlers, level, propagate = list(logger.handlers), logger.level, logger.propagate
    yield logger
    logger.handlers[:] = handlers
    logger.setLevel(level)
    logger.propagate = propagate


def _rq(
    *sub_items: object, contexts: tuple[PresentationContextItemRQ, ...] | None = None
) -> A_ASSOCIATE_RQ:
    if contexts is None:
        contexts = (
            PresentationContextItemRQ(
                context_id=1,
                abstract_syntax=VERIFICATION,
                transfer_syntaxes=(IMPLICIT, PRIVATE),
            ),
            PresentationContextItemRQ(
                context_id=3, abstract_syntax=CT, transfer_syntaxes=(IMPLICIT,)
            ),
        )
    return A_ASSOCIATE_RQ(
        called_ae_title="ANY-SCP",
        calling_ae_title="STORESCU",
        presentation_contexts=contexts,
        user_information=UserInformationItem(sub_items=tuple(sub_items)),  # type: ignore[arg-type]
    )


IDENTITY = (
    MaximumLengthSubItem(maximum_length_received=16382),
    ImplementationClassUIDSubItem(implementation_class_uid="1.2.826.0.1.3680043.1"),
    ImplementationVersionNameSubItem(implementation_version_name="OTHER_1"),
)


# -- debug_logger ----------------------------------------------------------------


def test_debug_logger_configures_the_package_logger(
    restore_logger: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    logger = restore_logger
    logger.addHandler(logging.NullHandler())
    debug_logger()
    debug_logger()  # twice: still one handler
    assert logger.level == logging.DEBUG
    assert len(logger.handlers) == 1
    assert isinstance(logger.handlers[0], logging.StreamHandler)
    logging.getLogger("dicomnet.ae").info("Requesting Association")
    assert "I: Requesting Association" in capsys.readouterr().err


# -- A-ASSOCIATE-RQ --------------------------------------------------------------


def test_rq_sent_summary() -> None:
    lines = summarise_pdu(_rq(*IDENTITY), sent=True)
    text = "\n".join(lines)
    assert lines[0] == "Request Parameters:"
    assert "BEGIN A-ASSOCIATE-RQ" in lines[1]
    assert "END A-ASSOCIATE-RQ" in lines[-1]
    assert "Our Implementation Class UID: 1.2.826.0.1.3680043.1" in text
    assert "Our Implementation Version Name: OTHER_1" in text
    assert "Our Max PDU Receive Size: 16382" in text
    assert "Application Context Name: 1.2.840.10008.3.1.1.1" in text
    assert "Calling Application Name: STORESCU" in text
    assert "Called Application Name: ANY-SCP" in text
    assert "  Context ID: 1 (Proposed)" in lines
    assert "    Abstract Syntax: =Verification SOP Class" in lines
    assert "    Proposed Transfer Syntax(es):" in lines
    assert "      =Implicit VR Little Endian" in lines
    assert f"      {PRIVATE}" in lines  # unknown UIDs shown as they are
    assert "    Proposed SCP/SCU Role: Default" in lines
    assert "Requested Extended Negotiation: none" in lines
    assert "Requested Common Extended Negotiation: none" in lines
    assert "Requested Asynchronous Operations Window Negotiation: none" in lines
    assert "Requested User Identity Negotiation: none" in lines


def test_rq_received_is_theirs_and_missing_items_marked() -> None:
    text = "\n".join(summarise_pdu(_rq(), sent=False))
    assert "Their Implementation Class UID: (not sent)" in text
    assert "Their Implementation Version Name: (not sent)" in text
    assert "Their Max PDU Receive Size: (not sent)" in text


def test_rq_unlimited_pdu_and_no_contexts() -> None:
    pdu = _rq(MaximumLengthSubItem(maximum_length_received=0), contexts=())
    lines = summarise_pdu(pdu, sent=True)
    assert "Our Max PDU Receive Size: 0 (unlimited)" in lines
    assert lines[lines.index("Presentation Contexts:") + 1] == "  (none)"


@pytest.mark.parametrize(
    ("scu", "scp", "text"),
    [
        (True, True, "SCU and SCP"),
        (True, False, "SCU"),
        (False, True, "SCP"),
        (False, False, "neither SCU nor SCP"),
    ],
)
def test_rq_role_selection(scu: bool, scp: bool, text: str) -> None:
    role = SCPSCURoleSelectionSubItem(sop_class_uid=CT, scu_role=scu, scp_role=scp)
    lines = summarise_pdu(_rq(role), sent=True)
    ct = lines.index("    Abstract Syntax: =CT Image Storage")
    assert lines[ct + 1] == f"    Proposed SCP/SCU Role: {text}"


def test_rq_extended_negotiation_and_async_window() -> None:
    pdu = _rq(
        SOPClassExtendedNegotiationSubItem(
            sop_class_uid=CT, service_class_application_information=b"\x01\x00"
        ),
        SOPClassCommonExtendedNegotiationSubItem(
            sop_class_uid=CT,
            service_class_uid="1.2.840.10008.4.2",
            related_general_sop_class_identification=(PRIVATE,),
        ),
        AsynchronousOperationsWindowSubItem(
            maximum_number_operations_invoked=5,
            maximum_number_operations_performed=0,
        ),
    )
    lines = summarise_pdu(pdu, sent=True)
    assert "Requested Extended Negotiation:" in lines
    assert "  =CT Image Storage: 0x0100" in lines
    assert "Requested Common Extended Negotiation:" in lines
    assert "    Service Class: =Storage Service Class" in lines
    assert f"    Related General SOP Class: {PRIVATE}" in lines
    assert "  Maximum Number Operations Invoked: 5" in lines
    assert "  Maximum Number Operations Performed: 0" in lines


def test_rq_empty_extended_negotiation_information() -> None:
    pdu = _rq(
        SOPClassExtendedNegotiationSubItem(
            sop_class_uid=CT, service_class_application_information=b""
        )
    )
    assert "  =CT Image Storage: 0x(empty)" in summarise_pdu(pdu, sent=True)


def test_rq_user_identity_never_shows_the_passcode() -> None:
    identity = UserIdentityRQSubItem(
        user_identity_type=2,
        positive_response_requested=True,
        primary_field=b"alice",
        secondary_field=b"s3cr3t-pass",
    )
    lines = summarise_pdu(_rq(identity), sent=False)
    text = "\n".join(lines)
    assert "  User Identity Type: 2 - Username and passcode" in lines
    assert "  Positive Response Requested: yes" in lines
    assert "  Primary Field: alice" in lines
    assert "  Secondary Field: (11 bytes, not shown)" in lines
    assert "s3cr3t" not in text


@pytest.mark.parametrize(("kind", "name"), [(3, "Kerberos"), (4, "SAML"), (5, "JWT")])
def test_rq_user_identity_tokens_never_shown(kind: int, name: str) -> None:
    identity = UserIdentityRQSubItem(
        user_identity_type=kind,
        positive_response_requested=False,
        primary_field=b"TOKEN-CONTENT",
    )
    lines = summarise_pdu(_rq(identity), sent=False)
    text = "\n".join(lines)
    assert name in text
    assert "  Positive Response Requested: no" in lines
    assert "  Primary Field: (13 bytes, not shown)" in lines
    assert "TOKEN-CONTENT" not in text
    assert "Secondary Field" not in text


def test_rq_user_identity_username_only_and_unknown_type() -> None:
    one = UserIdentityRQSubItem(
        user_identity_type=1, positive_response_requested=False, primary_field=b"bob"
    )
    assert "  Primary Field: bob" in summarise_pdu(_rq(one), sent=True)
    odd = UserIdentityRQSubItem(
        user_identity_type=9, positive_response_requested=False, primary_field=b"x"
    )
    assert "  User Identity Type: 9 - unknown" in summarise_pdu(_rq(odd), sent=True)


def test_unknown_sub_item_is_reported() -> None:
    pdu = _rq(UnknownSubItem(item_type=0x70, data=b"abc"))
    assert "Unknown User Information Sub-item 0x70: 3 bytes" in summarise_pdu(
        pdu, sent=False
    )


# -- A-ASSOCIATE-AC --------------------------------------------------------------


def _ac(*sub_items: object) -> A_ASSOCIATE_AC:
    return A_ASSOCIATE_AC(
        called_ae_title="ANY-SCP",
        calling_ae_title="STORESCU",
        presentation_contexts=(
            PresentationContextItemAC(context_id=1, result=0, transfer_syntax=IMPLICIT),
            PresentationContextItemAC(context_id=3, result=3, transfer_syntax=None),
            PresentationContextItemAC(context_id=5, result=4, transfer_syntax=""),
        ),
        user_information=UserInformationItem(sub_items=tuple(sub_items)),  # type: ignore[arg-type]
    )


def test_ac_summary() -> None:
    lines = summarise_pdu(_ac(*IDENTITY), sent=False)
    assert lines[0] == "Accept Parameters:"
    assert "BEGIN A-ASSOCIATE-AC" in lines[1]
    assert "END A-ASSOCIATE-AC" in lines[-1]
    assert "Their Implementation Class UID: 1.2.826.0.1.3680043.1" in lines
    assert "Responding Application Name: ANY-SCP" in lines
    assert "  Context ID: 1" in lines
    assert "    Result: 0 - acceptance" in lines
    assert "    Accepted Transfer Syntax: =Implicit VR Little Endian" in lines
    assert "    Result: 3 - abstract-syntax-not-supported (provider rejection)" in lines
    assert (
        "    Result: 4 - transfer-syntaxes-not-supported (provider rejection)" in lines
    )
    # Only the accepted context shows a transfer syntax (PS3.8 9.3.3.2).
    assert sum("Accepted Transfer Syntax" in line for line in lines) == 1
    assert "Accepted SCP/SCU Role(s): none" in lines
    assert "Accepted Extended Negotiation: none" in lines
    assert "User Identity Negotiation Response: none" in lines


def test_ac_sent_roles_and_user_identity_response() -> None:
    pdu = _ac(
        SCPSCURoleSelectionSubItem(sop_class_uid=CT, scu_role=False, scp_role=True),
        UserIdentityACSubItem(server_response=b"kerberos-ticket"),
    )
    lines = summarise_pdu(pdu, sent=True)
    assert "Our Max PDU Receive Size: (not sent)" in lines
    assert "Accepted SCP/SCU Role(s):" in lines
    assert "  =CT Image Storage: SCP" in lines
    assert "User Identity Negotiation Response: (15 bytes, not shown)" in lines
    assert "kerberos" not in "\n".join(lines)


def test_ac_accepted_without_transfer_syntax() -> None:
    # Only a hand-built PDU can hold this; the summary still shows it.
    pdu = A_ASSOCIATE_AC(
        called_ae_title="A",
        calling_ae_title="B",
        presentation_contexts=(
            PresentationContextItemAC(context_id=1, result=0, transfer_syntax=None),
        ),
    )
    assert "    Accepted Transfer Syntax: (none)" in summarise_pdu(pdu, sent=True)


def test_ac_without_contexts() -> None:
    pdu = A_ASSOCIATE_AC(
        called_ae_title="A", calling_ae_title="B", presentation_contexts=()
    )
    lines = summarise_pdu(pdu, sent=True)
    assert lines[lines.index("Presentation Contexts:") + 1] == "  (none)"


# -- other PDUs ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rj", "expected"),
    [
        (
            (1, 1, 7),
            [
                "Result: 1 - rejected-permanent",
                "Source: 1 - DICOM UL service-user",
                "Reason/Diag.: 7 - called-AE-title-not-recognized",
            ],
        ),
        (
            (1, 2, 2),
            [
                "Source: 2 - DICOM UL service-provider (ACSE related function)",
                "Reason/Diag.: 2 - protocol-version-not-supported",
            ],
        ),
        (
            (2, 3, 2),
            [
                "Result: 2 - rejected-transient",
                "Source: 3 - DICOM UL service-provider (Presentation related function)",
                "Reason/Diag.: 2 - local-limit-exceeded",
            ],
        ),
        (
            (9, 9, 9),
            ["Result: 9 - unknown", "Source: 9 - unknown", "Reason/Diag.: 9 - unknown"],
        ),
    ],
)
def test_rj_summary(rj: tuple[int, int, int], expected: list[str]) -> None:
    result, source, reason = rj
    lines = summarise_pdu(
        A_ASSOCIATE_RJ(result=result, source=source, reason=reason), sent=True
    )
    assert lines[0] == "Reject Parameters:"
    for line in expected:
        assert line in lines


def test_abort_summary() -> None:
    user = summarise_pdu(A_ABORT(source=0, reason=0), sent=True)
    assert user == [
        "Abort Parameters:",
        "Source: 0 - DICOM UL service-user (initiated abort)",
    ]
    provider = summarise_pdu(A_ABORT(source=2, reason=2), sent=False)
    assert "Reason/Diag.: 2 - unexpected-PDU" in provider


def test_release_summaries() -> None:
    assert summarise_pdu(A_RELEASE_RQ(), sent=True) == ["A-RELEASE-RQ"]
    assert summarise_pdu(A_RELEASE_RP(), sent=False) == ["A-RELEASE-RP"]


def test_p_data_tf_summary() -> None:
    pdu = P_DATA_TF(pdvs=(PDV(1, 0x03, b"abcd"), PDV(3, 0x00, memoryview(b"xy"))))
    assert summarise_pdu(pdu, sent=False) == [
        "P-DATA-TF: 2 PDV(s)",
        "  PDV: Context ID 1, Command, last fragment, 4 bytes",
        "  PDV: Context ID 3, Data Set, not last fragment, 2 bytes",
    ]


@given(
    result=st.integers(0, 255), source=st.integers(0, 255), reason=st.integers(0, 255)
)
def test_any_field_values_summarise(result: int, source: int, reason: int) -> None:
    # Peers send reserved values; a summary never fails on them.
    assert summarise_pdu(
        A_ASSOCIATE_RJ(result=result, source=source, reason=reason), sent=False
    )
    assert summarise_pdu(A_ABORT(source=source, reason=reason), sent=False)


def test_non_conformant_uid_summarised_without_warning() -> None:
    # filterwarnings=error turns a pydicom UID warning into a failure.
    pdu = _rq(
        contexts=(
            PresentationContextItemRQ(
                context_id=1, abstract_syntax="1.2.03", transfer_syntaxes=("abc",)
            ),
        )
    )
    lines = summarise_pdu(pdu, sent=False)
    assert "    Abstract Syntax: 1.2.03" in lines
    assert "      abc" in lines


# -- handlers ----------------------------------------------------------------------


def test_handlers_log_each_line_at_debug(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="dicomnet"):
        on_pdu_sent(FakeEvent(_rq(*IDENTITY)))
        on_pdu_recv(FakeEvent(A_RELEASE_RP()))
    messages = [record.getMessage() for record in caplog.records]
    assert messages[0] == "Request Parameters:"
    assert "Our Implementation Version Name: OTHER_1" in messages
    assert messages[-1] == "A-RELEASE-RP"
    assert all(record.levelno == logging.DEBUG for record in caplog.records)
    assert all(record.name.startswith("dicomnet") for record in caplog.records)


def test_handlers_direction() -> None:
    with mock.patch.object(_logging, "summarise_pdu", return_value=[]) as summary:
        logger = logging.getLogger(_logging.__name__)
        with mock.patch.object(logger, "isEnabledFor", return_value=True):
            on_pdu_sent(FakeEvent(A_RELEASE_RQ()))
            on_pdu_recv(FakeEvent(A_RELEASE_RQ()))
    assert [call.kwargs["sent"] for call in summary.call_args_list] == [True, False]


def test_handlers_do_no_formatting_when_debug_is_off(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with (
        caplog.at_level(logging.INFO, logger="dicomnet"),
        mock.patch.object(_logging, "summarise_pdu") as summary,
    ):
        on_pdu_sent(FakeEvent(_rq()))
        on_pdu_recv(FakeEvent(A_ABORT(source=0)))
    summary.assert_not_called()
    assert caplog.records == []
