"""Tests for dicomnet.pdu_primitives (and dicomnet._negotiation_items)."""

from __future__ import annotations

import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dicomnet import _config
from dicomnet import pdu_primitives as pp
from dicomnet.presentation import build_context
from dicomnet.ul import items as it
from dicomnet.ul.pdu import (
    A_ABORT,
    A_ASSOCIATE_AC,
    A_ASSOCIATE_RJ,
    A_ASSOCIATE_RQ,
    P_DATA_TF,
    PDV,
    decode_pdu,
    encode_pdu,
)

CT = "1.2.840.10008.5.1.4.1.1.2"
VERIFICATION = "1.2.840.10008.1.1"


def check(cls, attr, good, bad):
    for value, expected in good:
        obj = cls()
        setattr(obj, attr, value)
        assert getattr(obj, attr) == expected
    for value, error in bad:
        obj = cls()
        with pytest.raises(error):
            setattr(obj, attr, value)


# -- sub-item primitives -----------------------------------------------------------------


def test_maximum_length():
    assert pp.MaximumLengthNotification().maximum_length_received == 16382
    check(
        pp.MaximumLengthNotification,
        "maximum_length_received",
        [(0, 0), (2**32 - 1, 2**32 - 1)],
        [(-1, ValueError), (2**32, ValueError), ("1", TypeError), (True, TypeError)],
    )
    item = it.MaximumLengthSubItem(maximum_length_received=1234)
    primitive = pp.MaximumLengthNotification.from_item(item)
    assert primitive.to_item() == item
    assert primitive.from_primitive() == item


def test_implementation_class_uid():
    check(
        pp.ImplementationClassUIDNotification,
        "implementation_class_uid",
        [("1.2.3", "1.2.3"), (b"1.2.3", "1.2.3"), (None, None)],
        [(3, TypeError), ("", ValueError), ("1" * 65, ValueError)],
    )
    with pytest.raises(ValueError, match="must be set"):
        pp.ImplementationClassUIDNotification().to_item()
    item = it.ImplementationClassUIDSubItem(implementation_class_uid="1.2.3")
    assert pp.ImplementationClassUIDNotification.from_item(item).to_item() == item


def test_uid_validator_is_looked_up_at_call_time(monkeypatch):
    monkeypatch.setitem(_config.VALIDATORS, "UI", lambda v: (False, "nope"))
    with pytest.raises(ValueError, match="nope"):
        pp.ImplementationClassUIDNotification().implementation_class_uid = "1.2"


def test_implementation_version_name():
    check(
        pp.ImplementationVersionNameNotification,
        "implementation_version_name",
        [("ABC", "ABC"), (None, None), ("X" * 16, "X" * 16)],
        [
            (b"ABC", TypeError),
            ("", ValueError),
            ("X" * 17, ValueError),
            ("A\\B", ValueError),
        ],
    )
    with pytest.raises(ValueError, match="must be set"):
        pp.ImplementationVersionNameNotification().to_item()
    item = it.ImplementationVersionNameSubItem(implementation_version_name="V1")
    assert pp.ImplementationVersionNameNotification.from_item(item).to_item() == item


def test_async_ops():
    primitive = pp.AsynchronousOperationsWindowNegotiation()
    assert primitive.maximum_number_operations_invoked == 1
    assert primitive.maximum_number_operations_performed == 1
    for attr in (
        "maximum_number_operations_invoked",
        "maximum_number_operations_performed",
    ):
        check(
            pp.AsynchronousOperationsWindowNegotiation,
            attr,
            [(0, 0), (65535, 65535)],
            [(-1, ValueError), (65536, ValueError), (None, TypeError)],
        )
    item = it.AsynchronousOperationsWindowSubItem(
        maximum_number_operations_invoked=3, maximum_number_operations_performed=4
    )
    assert pp.AsynchronousOperationsWindowNegotiation.from_item(item).to_item() == item


def test_role_selection():
    check(
        pp.SCP_SCU_RoleSelectionNegotiation,
        "scu_role",
        [(True, True), (False, False), (None, None)],
        [(1, TypeError), ("yes", TypeError)],
    )
    check(
        pp.SCP_SCU_RoleSelectionNegotiation,
        "scp_role",
        [(True, True)],
        [(0, TypeError)],
    )
    check(
        pp.SCP_SCU_RoleSelectionNegotiation,
        "sop_class_uid",
        [(CT, CT), (CT.encode(), CT), (None, None)],
        [(1, TypeError)],
    )
    role = pp.SCP_SCU_RoleSelectionNegotiation()
    role.scp_role = True
    with pytest.raises(ValueError, match="must be set"):
        role.to_item()
    role.sop_class_uid = CT
    assert role.to_item() == it.SCPSCURoleSelectionSubItem(
        sop_class_uid=CT, scu_role=False, scp_role=True
    )
    role.scp_role = None
    role.scu_role = False
    with pytest.raises(ValueError, match="both be unsupported"):
        role.to_item()
    reply = it.SCPSCURoleSelectionSubItem(
        sop_class_uid=CT, scu_role=False, scp_role=False
    )
    parsed = pp.SCP_SCU_RoleSelectionNegotiation.from_item(reply)
    assert (parsed.sop_class_uid, parsed.scu_role, parsed.scp_role) == (
        CT,
        False,
        False,
    )


def test_sop_class_extended():
    check(
        pp.SOPClassExtendedNegotiation,
        "service_class_application_information",
        [(b"\x01", b"\x01"), (None, None)],
        [("ab", TypeError), (bytearray(b"a"), TypeError)],
    )
    primitive = pp.SOPClassExtendedNegotiation()
    primitive.sop_class_uid = CT
    with pytest.raises(ValueError, match="service_class_application_information"):
        primitive.to_item()
    primitive.service_class_application_information = b"\x01\x00"
    item = primitive.to_item()
    assert item.service_class_application_information == b"\x01\x00"
    assert pp.SOPClassExtendedNegotiation.from_item(item).sop_class_uid == CT
    assert pp.SOPClassExtendedNegotiation.from_item(item).to_item() == item


def test_sop_class_common_extended():
    check(
        pp.SOPClassCommonExtendedNegotiation,
        "related_general_sop_class_identification",
        [(["1.2"], ["1.2"]), ([], []), ([b"1.2"], ["1.2"])],
        [
            ("1.2", TypeError),
            (("1.2",), TypeError),
            ([None], TypeError),
            ([3], TypeError),
        ],
    )
    check(
        pp.SOPClassCommonExtendedNegotiation,
        "service_class_uid",
        [("1.2", "1.2"), (None, None)],
        [(3, TypeError)],
    )
    primitive = pp.SOPClassCommonExtendedNegotiation()
    primitive.sop_class_uid = CT
    with pytest.raises(ValueError, match="service_class_uid"):
        primitive.to_item()
    primitive.service_class_uid = "1.2.840.10008.4.2"
    primitive.related_general_sop_class_identification = ["1.2.3"]
    item = primitive.to_item()
    assert item.related_general_sop_class_identification == ("1.2.3",)
    back = pp.SOPClassCommonExtendedNegotiation.from_item(item)
    assert (back.sop_class_uid, back.service_class_uid) == (CT, "1.2.840.10008.4.2")
    assert back.to_item() == item


def test_user_identity_setters():
    primitive = pp.UserIdentityNegotiation()
    assert primitive.positive_response_requested is False
    check(
        pp.UserIdentityNegotiation,
        "user_identity_type",
        [(1, 1), (5, 5), (None, None)],
        [(0, ValueError), (6, ValueError), ("1", TypeError), (True, TypeError)],
    )
    check(
        pp.UserIdentityNegotiation,
        "positive_response_requested",
        [(True, True)],
        [(1, TypeError), (None, TypeError)],
    )
    for attr in ("primary_field", "secondary_field", "server_response"):
        check(
            pp.UserIdentityNegotiation,
            attr,
            [(b"a", b"a"), (None, None)],
            [("a", TypeError), (1, TypeError)],
        )


def test_user_identity_items():
    primitive = pp.UserIdentityNegotiation()
    with pytest.raises(ValueError, match="user_identity_type"):
        primitive.to_item()
    primitive.user_identity_type = 2
    primitive.primary_field = b"user"
    with pytest.raises(ValueError, match="type is 2"):
        primitive.to_item()
    primitive.secondary_field = b"pass"
    primitive.positive_response_requested = True
    item = primitive.to_item()
    assert item == it.UserIdentityRQSubItem(
        user_identity_type=2,
        positive_response_requested=True,
        primary_field=b"user",
        secondary_field=b"pass",
    )
    assert pp.UserIdentityNegotiation.from_item(item).to_item() == item
    primitive.user_identity_type = 1
    with pytest.raises(ValueError, match="only sent"):
        primitive.to_item()
    primitive.secondary_field = None
    back = pp.UserIdentityNegotiation.from_item(primitive.to_item())
    assert back.secondary_field is None
    reply = pp.UserIdentityNegotiation()
    reply.server_response = b"token"
    ac = reply.to_item()
    assert ac == it.UserIdentityACSubItem(server_response=b"token")
    assert pp.UserIdentityNegotiation.from_item(ac).server_response == b"token"


def test_primitive_from_unknown_item_is_none():
    from dicomnet._negotiation_items import primitive_from_item

    assert primitive_from_item(it.UnknownSubItem(item_type=0x70, data=b"")) is None


def test_repr():
    text = repr(pp.MaximumLengthNotification())
    assert text == "MaximumLengthNotification(maximum_length_received=16382)"


# -- A-ASSOCIATE -------------------------------------------------------------------------


def test_associate_fixed_and_defaults():
    a = pp.A_ASSOCIATE()
    assert a.mode == "normal"
    assert a.presentation_requirements == "Presentation Kernel"
    assert a.session_requirements == ""
    assert a.calling_ae_title == a.called_ae_title == a.responding_ae_title == "DEFAULT"
    assert a.maximum_length_received is None
    assert a.implementation_class_uid is None
    for attr in ("mode", "responding_ae_title", "presentation_requirements"):
        with pytest.raises(AttributeError):
            setattr(a, attr, "x")
    assert (a.result_str, a.source_str, a.reason_str) == ("(no value available)",) * 3


def test_associate_setters():
    check(
        pp.A_ASSOCIATE,
        "calling_ae_title",
        [("ABC", "ABC"), ("  AB  ", "  AB  ")],
        [
            (b"ABC", TypeError),
            (None, TypeError),
            ("", ValueError),
            ("   ", ValueError),
            ("X" * 17, ValueError),
            ("A\\B", ValueError),
        ],
    )
    check(pp.A_ASSOCIATE, "called_ae_title", [("S", "S")], [(3, TypeError)])
    check(
        pp.A_ASSOCIATE,
        "application_context_name",
        [("1.2.3", "1.2.3"), (b"1.2", "1.2"), (None, None)],
        [(3, TypeError)],
    )
    check(pp.A_ASSOCIATE, "result", [(0, 0), (2, 2), (None, None)], [(3, ValueError)])
    check(pp.A_ASSOCIATE, "result_source", [(3, 3)], [(0, ValueError), (4, ValueError)])
    check(
        pp.A_ASSOCIATE,
        "diagnostic",
        [(7, 7), (None, None)],
        [(4, ValueError), (0, ValueError)],
    )
    address = ("127.0.0.1", 104)
    for attr in ("calling_presentation_address", "called_presentation_address"):
        check(
            pp.A_ASSOCIATE,
            attr,
            [(address, address), (("::1", 1, 0, 0), ("::1", 1, 0, 0)), (None, None)],
            [("x", TypeError), ((1, 2), TypeError), (["a", 1], TypeError)],
        )
    duck = type("AddressInformation", (), {"as_tuple": address})()
    a = pp.A_ASSOCIATE()
    a.called_presentation_address = duck
    assert a.responding_presentation_address is duck


def test_associate_lists_filter_with_warning(caplog):
    a = pp.A_ASSOCIATE()
    cx = build_context(VERIFICATION)
    with caplog.at_level(logging.WARNING):
        a.presentation_context_definition_list = [cx, "x"]
        a.presentation_context_definition_results_list = [cx]
        a.user_information = [pp.MaximumLengthNotification(), 3]
    assert a.presentation_context_definition_list == [cx]
    assert a.presentation_context_definition_results_list == [cx]
    assert len(a.user_information) == 1
    assert len(caplog.records) == 2
    with pytest.raises(TypeError):
        a.user_information = ()


def test_associate_user_information_shortcuts():
    a = pp.A_ASSOCIATE()
    a.maximum_length_received = 100
    a.maximum_length_received = 200
    a.implementation_class_uid = "1.2.3"
    a.implementation_class_uid = "1.2.4"
    assert len(a.user_information) == 2
    assert a.maximum_length_received == 200
    assert a.implementation_class_uid == "1.2.4"
    with pytest.raises(TypeError):
        a.maximum_length_received = "x"


@pytest.mark.parametrize(
    ("result", "source", "diag", "texts"),
    [
        (
            1,
            1,
            7,
            ("Rejected Permanent", "Service User", "Called AE title not recognised"),
        ),
        (
            2,
            2,
            2,
            (
                "Rejected Transient",
                "Service Provider (ACSE)",
                "Protocol version not supported",
            ),
        ),
        (
            2,
            3,
            2,
            (
                "Rejected Transient",
                "Service Provider (Presentation)",
                "Local limit exceeded",
            ),
        ),
        (0, None, None, ("Accepted", "(no value available)", "(no value available)")),
        (
            1,
            2,
            7,
            ("Rejected Permanent", "Service Provider (ACSE)", "(no value available)"),
        ),
    ],
)
def test_associate_strings(result, source, diag, texts):
    a = pp.A_ASSOCIATE()
    a.result, a.result_source, a.diagnostic = result, source, diag
    assert (a.result_str, a.source_str, a.reason_str) == texts


def request_primitive() -> pp.A_ASSOCIATE:
    a = pp.A_ASSOCIATE()
    a.calling_ae_title = "SCU"
    a.called_ae_title = "ANY-SCP"
    cx = build_context(VERIFICATION)
    cx.context_id = 1
    a.presentation_context_definition_list = [cx]
    a.maximum_length_received = 16384
    a.implementation_class_uid = "1.2.3.4"
    role = pp.SCP_SCU_RoleSelectionNegotiation()
    role.sop_class_uid = CT
    role.scp_role = True
    a.user_information.append(role)
    return a


def test_associate_rq_round_trip():
    a = request_primitive()
    rq = a.to_rq_pdu()
    assert isinstance(rq, A_ASSOCIATE_RQ)
    assert rq.application_context.application_context_name == "1.2.840.10008.3.1.1.1"
    assert rq.called_ae_title == "ANY-SCP"
    decoded = decode_pdu(encode_pdu(rq))
    back = pp.A_ASSOCIATE.from_pdu(decoded)
    assert back.calling_ae_title == "SCU"
    assert back.called_ae_title == "ANY-SCP"
    assert back.application_context_name == "1.2.840.10008.3.1.1.1"
    assert back.maximum_length_received == 16384
    assert back.implementation_class_uid == "1.2.3.4"
    assert (
        back.presentation_context_definition_list
        == a.presentation_context_definition_list
    )
    assert back.to_rq_pdu() == rq


def test_associate_rq_skips_unknown_sub_items():
    rq = A_ASSOCIATE_RQ(
        called_ae_title="A",
        calling_ae_title="B",
        presentation_contexts=(),
        user_information=it.UserInformationItem(
            sub_items=(it.UnknownSubItem(item_type=0x70, data=b"x"),)
        ),
    )
    assert pp.A_ASSOCIATE.from_pdu(rq).user_information == []


def test_associate_ac_round_trip():
    a = pp.A_ASSOCIATE()
    a.calling_ae_title = "SCU"
    a.called_ae_title = "SCP"
    a.result = 0
    cx = build_context(VERIFICATION, "1.2.840.10008.1.2")
    cx.context_id = 1
    cx.result = 0
    a.presentation_context_definition_results_list = [cx]
    a.maximum_length_received = 0
    ac = a.to_ac_pdu()
    assert isinstance(ac, A_ASSOCIATE_AC)
    back = pp.A_ASSOCIATE.from_pdu(decode_pdu(encode_pdu(ac)))
    assert back.result == 0
    (result,) = back.presentation_context_definition_results_list
    assert (result.context_id, result.result) == (1, 0)
    assert result.transfer_syntax == ["1.2.840.10008.1.2"]
    assert back.to_ac_pdu() == ac


def test_received_contexts_are_read_when_first_asked_for(caplog):
    # An A-ASSOCIATE-RQ's contexts become PresentationContexts on first use; a
    # context item the primitive cannot represent (a UID over 64 characters,
    # which the codec tolerates) is logged and left out, not raised.
    good = it.PresentationContextItemRQ(
        context_id=1,
        abstract_syntax=VERIFICATION,
        transfer_syntaxes=("1.2.840.10008.1.2",),
    )
    bad = it.PresentationContextItemRQ(
        context_id=3,
        abstract_syntax="1." + "2" * 70,
        transfer_syntaxes=("1.2.840.10008.1.2",),
    )
    rq = A_ASSOCIATE_RQ(
        called_ae_title="SCP",
        calling_ae_title="SCU",
        presentation_contexts=(good, bad),
        user_information=it.UserInformationItem(sub_items=()),
    )
    primitive = pp.A_ASSOCIATE.from_pdu(rq)
    with caplog.at_level(logging.WARNING):
        (cx,) = primitive.presentation_context_definition_list
    assert (cx.context_id, cx.abstract_syntax) == (1, VERIFICATION)
    assert "Could not read presentation context item" in caplog.text
    assert primitive.presentation_context_definition_list[0] is cx  # read once


def test_ac_contexts_take_the_abstract_syntaxes_given():
    ac = A_ASSOCIATE_AC(
        called_ae_title="SCP",
        calling_ae_title="SCU",
        presentation_contexts=(
            it.PresentationContextItemAC(
                context_id=1, result=0, transfer_syntax="1.2.840.10008.1.2"
            ),
            it.PresentationContextItemAC(context_id=3, result=3, transfer_syntax=None),
        ),
        user_information=it.UserInformationItem(sub_items=()),
    )
    primitive = pp.A_ASSOCIATE.from_pdu(ac, abstract_syntaxes={1: VERIFICATION})
    first, second = primitive.presentation_context_definition_results_list
    assert first.abstract_syntax == VERIFICATION
    assert second.abstract_syntax is None


def test_associate_rj():
    a = pp.A_ASSOCIATE()
    with pytest.raises(ValueError, match="rejection"):
        a.to_rj_pdu()
    a.result = 1
    with pytest.raises(ValueError, match="result_source"):
        a.to_rj_pdu()
    a.result_source = 1
    a.diagnostic = 3
    rj = a.to_rj_pdu()
    assert rj == A_ASSOCIATE_RJ(result=1, source=1, reason=3)
    back = pp.A_ASSOCIATE.from_pdu(rj)
    assert (back.result, back.result_source, back.diagnostic) == (1, 1, 3)


# -- release, aborts, data ----------------------------------------------------------------


def test_release():
    r = pp.A_RELEASE()
    assert r.reason == "normal"
    assert r.result is None
    check(
        pp.A_RELEASE,
        "result",
        [("affirmative", "affirmative"), (None, None)],
        [("x", ValueError)],
    )
    with pytest.raises(AttributeError):
        r.reason = "x"


def test_abort():
    assert pp.A_ABORT().abort_source is None
    check(
        pp.A_ABORT,
        "abort_source",
        [(0, 0), (2, 2)],
        [(3, ValueError), (None, ValueError), (True, ValueError)],
    )
    with pytest.raises(ValueError, match="abort_source"):
        pp.A_ABORT().to_pdu()
    a = pp.A_ABORT()
    a.abort_source = 0
    assert a.to_pdu() == A_ABORT(source=0, reason=0)
    assert pp.A_ABORT.from_pdu(A_ABORT(source=2, reason=6)).abort_source == 2


def test_p_abort():
    check(
        pp.A_P_ABORT,
        "provider_reason",
        [(0, 0), (6, 6)],
        [(3, ValueError), (7, ValueError), (None, ValueError)],
    )
    with pytest.raises(ValueError, match="provider_reason"):
        pp.A_P_ABORT().to_pdu()
    p = pp.A_P_ABORT()
    p.provider_reason = 2
    assert p.to_pdu() == A_ABORT(source=2, reason=2)
    assert pp.A_P_ABORT.from_pdu(A_ABORT(source=2, reason=5)).provider_reason == 5


def test_p_data():
    check(
        pp.P_DATA,
        "presentation_data_value_list",
        [([[1, b"\x03ab"]], [[1, b"\x03ab"]]), ([], [])],
        [
            (None, TypeError),
            ([1], TypeError),
            ([(1, b"a")], TypeError),
            ([[1, "a"]], TypeError),
            ([["1", b"a"]], TypeError),
            ([[True, b"a"]], TypeError),
            ([[1, b"a", 3]], TypeError),
        ],
    )
    p = pp.P_DATA()
    p.presentation_data_value_list = [[1, b"\x03abc"], [3, b"\x00"]]
    pdu = p.to_pdu()
    assert [
        (v.context_id, v.message_control_header, bytes(v.data)) for v in pdu.pdvs
    ] == [
        (1, 3, b"abc"),
        (3, 0, b""),
    ]
    back = pp.P_DATA.from_pdu(decode_pdu(encode_pdu(pdu)))
    assert back.presentation_data_value_list == [[1, b"\x03abc"], [3, b"\x00"]]
    p.presentation_data_value_list = [[1, b""]]
    with pytest.raises(ValueError, match="message control header"):
        p.to_pdu()


@given(
    st.lists(
        st.tuples(
            st.integers(0, 127).map(lambda i: 2 * i + 1),
            st.integers(0, 3),
            st.binary(max_size=32),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_p_data_round_trip(pdvs):
    pdu = P_DATA_TF(pdvs=tuple(PDV(c, m, d) for c, m, d in pdvs))
    back = pp.P_DATA.from_pdu(pdu).to_pdu()
    assert [
        (v.context_id, v.message_control_header, bytes(v.data)) for v in back.pdvs
    ] == pdvs


@given(
    st.integers(1, 5),
    st.booleans(),
    st.binary(min_size=1, max_size=40),
    st.binary(min_size=1, max_size=40),
)
def test_user_identity_round_trip(identity, positive, primary, secondary):
    item = it.UserIdentityRQSubItem(
        user_identity_type=identity,
        positive_response_requested=positive,
        primary_field=primary,
        secondary_field=secondary if identity == 2 else b"",
    )
    assert pp.UserIdentityNegotiation.from_item(item).to_item() == item
