"""Items and sub-items of the A-ASSOCIATE PDUs (PS3.8 9.3.2-9.3.3, PS3.7 Annex D)."""

from __future__ import annotations

import logging
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dicomnet.errors import (
    InvalidPDUParameterValueError,
    LocalProtocolError,
    UnexpectedPDUParameterError,
    UnrecognizedPDUParameterError,
)
from dicomnet.ul.items import (
    ApplicationContextItem,
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
    decode_item,
    encode_item,
)
from tests.ul import strategies

CODEC = settings(deadline=None, max_examples=100)
# A user information item holds up to nine generated sub-items, each of them
# also round-tripped on its own: fewer examples keep tests/ul under 5 s.
USER_INFORMATION = settings(CODEC, max_examples=50)


def item(item_type: int, body: bytes, second: int = 0) -> bytes:
    """Assemble an item by hand (PS3.8 9.3.1): type, reserved, length, value."""
    return struct.pack(">BBH", item_type, second, len(body)) + body


def field(raw: bytes) -> bytes:
    return struct.pack(">H", len(raw)) + raw


def user_info(*sub_items: bytes) -> bytes:
    return item(0x50, b"".join(sub_items))


def context_rq(context_id: int, *sub_items: bytes) -> bytes:
    return item(0x20, bytes([context_id, 0, 0, 0]) + b"".join(sub_items))


def context_ac(context_id: int, result: int, *sub_items: bytes) -> bytes:
    return item(0x21, bytes([context_id, 0, result, 0]) + b"".join(sub_items))


ABSTRACT = item(0x30, b"1.2.840.10008.1.1")
IMPLICIT = item(0x40, b"1.2.840.10008.1.2")


# -- round trips -------------------------------------------------------------------

REQUESTOR_STRATEGIES = [
    strategies.application_context_items(),
    strategies.presentation_context_rq_items(),
    strategies.presentation_context_ac_items(),
    strategies.user_information_items(requestor=True),
    strategies.maximum_length_sub_items(),
    strategies.implementation_class_uid_sub_items(),
    strategies.implementation_version_name_sub_items(),
    strategies.asynchronous_operations_window_sub_items(),
    strategies.scp_scu_role_selection_sub_items(),
    strategies.sop_class_extended_negotiation_sub_items(),
    strategies.sop_class_common_extended_negotiation_sub_items(),
    strategies.user_identity_rq_sub_items(),
    strategies.user_identity_ac_sub_items(),
    strategies.unknown_sub_items(),
    strategies.items(),
]
REQUESTOR_IDS = [
    "application-context",
    "context-rq",
    "context-ac",
    "user-information",
    "maximum-length",
    "class-uid",
    "version-name",
    "async-window",
    "role-selection",
    "ext-negotiation",
    "common-ext-negotiation",
    "identity-rq",
    "identity-ac",
    "unknown",
    "any-item",
]


@pytest.mark.parametrize("strategy", REQUESTOR_STRATEGIES, ids=REQUESTOR_IDS)
@CODEC
@given(data=st.data())
def test_item_round_trip(strategy, data):
    value = data.draw(strategy)
    raw = encode_item(value)
    assert decode_item(raw) == value
    assert encode_item(decode_item(raw)) == raw


@USER_INFORMATION
@given(strategies.user_information_items(requestor=False))
def test_acceptor_user_information_round_trip(value):
    raw = encode_item(value)
    assert decode_item(raw, requestor=False) == value


def test_item_length_field_counts_the_value_only():
    raw = encode_item(MaximumLengthSubItem(maximum_length_received=16384))
    assert raw == b"\x51\x00\x00\x04\x00\x00\x40\x00"


def test_context_rq_at_the_item_length_limit():
    # 4 + (4 + 2) + n * (4 + 1) = 65535 -> n = 13105 transfer syntaxes.
    value = PresentationContextItemRQ(
        context_id=255, abstract_syntax="12", transfer_syntaxes=("2",) * 13105
    )
    raw = encode_item(value)
    assert raw[2:4] == b"\xff\xff"
    assert decode_item(raw) == value
    too_many = PresentationContextItemRQ(
        context_id=1, abstract_syntax="1", transfer_syntaxes=("2",) * 13106
    )
    with pytest.raises(LocalProtocolError):
        encode_item(too_many)


def test_user_identity_fields_at_the_length_limit():
    # Item value: 2 + (2 + p) + (2 + s) = 65535.
    value = UserIdentityRQSubItem(
        user_identity_type=2,
        positive_response_requested=True,
        primary_field=b"u" * 65000,
        secondary_field=b"p" * 529,
    )
    raw = encode_item(value)
    assert len(raw) == 4 + 0xFFFF
    assert decode_item(raw) == value
    with pytest.raises(LocalProtocolError):
        encode_item(UserIdentityACSubItem(server_response=b"x" * 0x10000))


def test_extended_negotiation_with_empty_information():
    value = SOPClassExtendedNegotiationSubItem(
        sop_class_uid="1.2", service_class_application_information=b""
    )
    assert encode_item(value) == item(0x56, field(b"1.2"))
    assert decode_item(encode_item(value)) == value


def test_common_extended_negotiation_golden():
    # PS3.7 Table D.3-12: the sub-item version sits in the reserved byte.
    raw = item(
        0x57,
        field(b"1.2.840.10008.5.1.4.1.1.88.40")
        + field(b"1.2.840.10008.4.2")
        + field(field(b"1.2.840.10008.5.1.4.1.1.88.22")),
        second=0,
    )
    assert decode_item(raw) == SOPClassCommonExtendedNegotiationSubItem(
        sop_class_uid="1.2.840.10008.5.1.4.1.1.88.40",
        service_class_uid="1.2.840.10008.4.2",
        related_general_sop_class_identification=("1.2.840.10008.5.1.4.1.1.88.22",),
    )


def decode_context_ac(raw: bytes) -> PresentationContextItemAC:
    value = decode_item(raw)
    assert isinstance(value, PresentationContextItemAC)
    return value


def test_rejected_context_transfer_syntax_forms():
    # PS3.8 9.3.3.2: not significant unless accepted; absent, empty or any
    # bytes are all accepted and kept apart so that they re-encode exactly.
    absent = context_ac(1, 3)
    empty = context_ac(3, 4, item(0x40, b""))
    odd = context_ac(5, 1, item(0x40, b"\xe9t\xe9\x00"))
    assert decode_context_ac(absent).transfer_syntax is None
    assert decode_context_ac(empty).transfer_syntax == ""
    assert decode_context_ac(odd).transfer_syntax == "\xe9t\xe9"
    assert encode_item(decode_item(absent)) == absent
    assert encode_item(decode_item(empty)) == empty


def test_context_rq_reserved_bytes_are_kept():
    # DCMTK 3.6.7 sends FFH in item byte 7 (PS3.8 Table 9-13: bytes 6-8 are
    # reserved, sent as 00H, not tested). They are kept, not tested, and sent
    # back, so that the item re-encodes exactly.
    raw = item(0x20, bytes([1, 0x00, 0xFF, 0x00]) + ABSTRACT + IMPLICIT)
    value = decode_item(raw)
    assert value == PresentationContextItemRQ(
        context_id=1,
        abstract_syntax="1.2.840.10008.1.1",
        transfer_syntaxes=("1.2.840.10008.1.2",),
        reserved=b"\x00\xff\x00",
    )
    assert encode_item(value) == raw
    assert "reserved" not in repr(value)


def test_context_rq_built_here_sends_zero_reserved_bytes():
    value = PresentationContextItemRQ(
        context_id=3, abstract_syntax="1.2", transfer_syntaxes=("1.2.840.10008.1.2",)
    )
    assert value.reserved == bytes(3)
    assert encode_item(value)[4:8] == b"\x03\x00\x00\x00"


@pytest.mark.parametrize("reserved", [b"", b"\x00\x00", bytes(4)], ids=len)
def test_context_rq_reserved_of_another_length_is_a_local_error(reserved):
    value = PresentationContextItemRQ(
        context_id=1,
        abstract_syntax="1.2",
        transfer_syntaxes=("1.2",),
        reserved=reserved,
    )
    with pytest.raises(LocalProtocolError, match="reserved"):
        encode_item(value)


# -- malformed items ---------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"\x51\x00\x00", id="truncated-header"),
        pytest.param(b"\x51\x00\x00\x05\x00\x00\x40\x00", id="overruns-parent"),
        pytest.param(item(0x51, b"\x00\x00\x40"), id="max-length-short"),
        pytest.param(item(0x53, b"\x00\x01\x00"), id="async-window-short"),
        pytest.param(item(0x54, b"\x00\x09abc\x01\x01"), id="role-uid-overruns"),
        pytest.param(item(0x54, b"\x00"), id="role-truncated-length"),
        pytest.param(item(0x54, field(b"1.2") + b"\x01"), id="role-missing-byte"),
        pytest.param(item(0x54, field(b"1.2") + b"\x02\x01"), id="role-scu-2"),
        pytest.param(item(0x54, field(b"1.2") + b"\x01\xff"), id="role-scp-255"),
        pytest.param(item(0x56, b"\x00\x05ab"), id="ext-neg-uid-overruns"),
        pytest.param(
            item(0x57, field(b"1") + field(b"2") + field(b"") + b"x"),
            id="common-ext-trailing",
        ),
        pytest.param(
            item(0x57, field(b"1") + field(b"2") + field(b"\x00\x09abc")),
            id="common-ext-related-overruns",
        ),
        pytest.param(item(0x57, field(b"1") + field(b"2")), id="common-ext-no-related"),
        pytest.param(item(0x58, b"\x01\x00\x00"), id="identity-truncated"),
        pytest.param(item(0x58, b"\x01\x00" + field(b"u")), id="identity-no-second"),
        pytest.param(
            item(0x58, b"\x02\x00" + field(b"u") + field(b"p") + b"!"),
            id="identity-trailing",
        ),
        pytest.param(
            item(0x58, b"\x01\x02" + field(b"u") + field(b"")), id="identity-positive-2"
        ),
        pytest.param(item(0x59, field(b"r") + b"!"), id="identity-ac-trailing"),
        pytest.param(item(0x20, b"\x01\x00\x00"), id="context-rq-truncated"),
        pytest.param(item(0x21, b"\x01\x00\x00"), id="context-ac-truncated"),
        pytest.param(context_rq(2, ABSTRACT, IMPLICIT), id="context-rq-even-id"),
        pytest.param(context_rq(0, ABSTRACT, IMPLICIT), id="context-rq-id-0"),
        pytest.param(context_ac(4, 0, IMPLICIT), id="context-ac-even-id"),
        pytest.param(context_ac(1, 5, IMPLICIT), id="context-ac-result-5"),
        pytest.param(item(0x10, b""), id="empty-application-context"),
        pytest.param(item(0x10, b"1.2.\xc3\xa9"), id="non-ascii-uid"),
        pytest.param(item(0x52, b" \x00"), id="padding-only-uid"),
        pytest.param(context_rq(1, ABSTRACT, item(0x40, b"")), id="empty-ts"),
        pytest.param(context_ac(1, 0, item(0x40, b"")), id="accepted-empty-ts"),
        pytest.param(ABSTRACT + IMPLICIT, id="two-items"),
        pytest.param(b"", id="no-item"),
    ],
)
def test_invalid_parameter_value(raw):
    with pytest.raises(InvalidPDUParameterValueError) as info:
        decode_item(raw)
    assert info.value.abort_reason == 6
    assert info.value.reject is None


@pytest.mark.parametrize(
    ("raw", "requestor"),
    [
        pytest.param(context_rq(1, IMPLICIT), True, id="context-no-abstract"),
        pytest.param(context_rq(1, ABSTRACT), True, id="context-no-transfer"),
        pytest.param(
            context_rq(1, ABSTRACT, ABSTRACT, IMPLICIT), True, id="two-abstract"
        ),
        pytest.param(
            context_rq(1, ABSTRACT, IMPLICIT, item(0x51, bytes(4))),
            True,
            id="sub-item-in-context",
        ),
        pytest.param(context_ac(1, 0), True, id="accepted-no-transfer"),
        pytest.param(context_ac(1, 0, IMPLICIT, IMPLICIT), True, id="two-transfer"),
        pytest.param(context_ac(1, 0, ABSTRACT), True, id="abstract-in-ac"),
        pytest.param(
            user_info(item(0x59, field(b""))), True, id="identity-ac-in-request"
        ),
        pytest.param(
            user_info(item(0x58, b"\x01\x00" + field(b"u") + field(b""))),
            False,
            id="identity-rq-in-acceptance",
        ),
        pytest.param(user_info(item(0x10, b"1.2")), True, id="item-in-user-info"),
        pytest.param(ABSTRACT, True, id="abstract-alone"),
    ],
)
def test_unexpected_parameter(raw, requestor):
    with pytest.raises(UnexpectedPDUParameterError) as info:
        decode_item(raw, requestor=requestor)
    assert info.value.abort_reason == 5


@pytest.mark.parametrize(
    "sub_item",
    [
        item(0x51, bytes(4)),
        item(0x52, b"1.2"),
        item(0x53, bytes(4)),
        item(0x55, b"NAME"),
        item(0x58, b"\x01\x00" + field(b"u") + field(b"")),
    ],
    ids=["max-length", "class-uid", "async-window", "version", "identity"],
)
def test_repeated_single_sub_item_is_unexpected(sub_item):
    with pytest.raises(UnexpectedPDUParameterError):
        decode_item(user_info(sub_item, sub_item))


def test_repeated_identity_ac_is_unexpected():
    sub_item = item(0x59, field(b"ok"))
    with pytest.raises(UnexpectedPDUParameterError):
        decode_item(user_info(sub_item, sub_item), requestor=False)


def test_unknown_sub_item_in_context_is_unrecognized():
    with pytest.raises(UnrecognizedPDUParameterError) as info:
        decode_item(context_rq(1, ABSTRACT, IMPLICIT, item(0x99, b"")))
    assert info.value.abort_reason == 4


# -- tolerances --------------------------------------------------------------------


def test_unknown_user_information_sub_item_is_kept(caplog):
    raw = user_info(item(0x51, b"\x00\x00\x40\x00"), item(0xA7, b"\x01\x02\x03"))
    with caplog.at_level(logging.WARNING):
        value = decode_item(raw)
    assert value == UserInformationItem(
        sub_items=(
            MaximumLengthSubItem(maximum_length_received=0x4000),
            UnknownSubItem(item_type=0xA7, data=b"\x01\x02\x03"),
        )
    )
    assert "0xA7" in caplog.text
    assert encode_item(value) == raw


def test_unknown_item_alone_is_an_unknown_sub_item(caplog):
    with caplog.at_level(logging.WARNING):
        assert decode_item(item(0xEE, b"x")) == UnknownSubItem(
            item_type=0xEE, data=b"x"
        )
    assert "0xEE" in caplog.text


def test_common_extended_negotiation_in_acceptance_is_tolerated():
    sub_item = item(0x57, field(b"1") + field(b"2") + field(b""))
    value = decode_item(user_info(sub_item), requestor=False)
    assert isinstance(value, UserInformationItem)
    assert value.sub_items == (
        SOPClassCommonExtendedNegotiationSubItem(
            sop_class_uid="1", service_class_uid="2"
        ),
    )


def test_repeated_role_selection_is_kept_with_a_warning(caplog):
    role = item(0x54, field(b"1.2") + b"\x01\x00")
    with caplog.at_level(logging.WARNING):
        value = decode_item(user_info(role, role))
    assert isinstance(value, UserInformationItem)
    assert len(value.sub_items) == 2
    assert "repeated SCPSCURoleSelectionSubItem" in caplog.text


@pytest.mark.parametrize("padding", [b"\x00", b" ", b" \x00"])
def test_uid_with_trailing_padding_is_accepted(caplog, padding):
    with caplog.at_level(logging.WARNING):
        value = decode_item(item(0x52, b"1.2.3" + padding))
    assert value == ImplementationClassUIDSubItem(implementation_class_uid="1.2.3")
    assert "trailing padding" in caplog.text


def test_padded_uid_is_warned_of_every_time(caplog):
    # Well-formed UIDs are remembered once decoded; a padded one never is, so
    # each request that carries it is logged.
    for _ in range(2):
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            decode_item(item(0x52, b"1.2.3.4\x00"))
        assert "trailing padding" in caplog.text


def test_remembered_uids_are_bounded():
    from dicomnet.ul import _text

    for n in range(_text._MAX_DECODED_UIDS + 10):
        assert _text.decode_uid(f"1.2.{n}".encode(), field="test") == f"1.2.{n}"
    assert len(_text._DECODED_UIDS) <= _text._MAX_DECODED_UIDS


def test_uid_longer_than_64_is_accepted(caplog):
    uid = "1." + "2" * 70
    with caplog.at_level(logging.WARNING):
        value = decode_item(item(0x10, uid.encode()))
    assert value == ApplicationContextItem(application_context_name=uid)
    assert "longer than 64" in caplog.text


def test_uid_of_64_is_silent(caplog):
    uid = "1" * 64
    with caplog.at_level(logging.WARNING):
        decode_item(item(0x10, uid.encode()))
    assert not caplog.records


@pytest.mark.parametrize("name", [b"", b"X" * 17])
def test_odd_version_name_length_is_tolerated(caplog, name):
    with caplog.at_level(logging.WARNING):
        value = decode_item(item(0x55, name))
    assert value == ImplementationVersionNameSubItem(
        implementation_version_name=name.decode()
    )
    assert "version name" in caplog.text


def test_non_ascii_version_name_round_trips():
    raw = item(0x55, b"CAF\xc9")
    assert encode_item(decode_item(raw)) == raw


def test_user_identity_type_outside_1_to_5_is_kept():
    # PS3.7 D.3.3.7: what to do with an identity it cannot check is the
    # acceptor's policy, so the codec keeps the type as sent.
    raw = item(0x58, b"\x09\x01" + field(b"token") + field(b""))
    value = decode_item(raw)
    assert value == UserIdentityRQSubItem(
        user_identity_type=9, positive_response_requested=True, primary_field=b"token"
    )


# -- encoding errors ---------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        PresentationContextItemRQ(
            context_id=257, abstract_syntax="1", transfer_syntaxes=("1",)
        ),
        PresentationContextItemAC(context_id=1, result=0, transfer_syntax="\u20ac"),
        ApplicationContextItem(application_context_name="1.2.\xe9"),
        ImplementationVersionNameSubItem(implementation_version_name="\u20ac"),
        MaximumLengthSubItem(maximum_length_received=-1),
        MaximumLengthSubItem(maximum_length_received=1 << 32),
        SCPSCURoleSelectionSubItem(
            sop_class_uid="1" * 0x10000, scu_role=True, scp_role=False
        ),
        UnknownSubItem(item_type=0x100, data=b""),
    ],
    ids=repr,
)
def test_unencodable_value_is_a_local_error(value):
    with pytest.raises(LocalProtocolError):
        encode_item(value)


def test_uid_decodes_from_any_bytes_like():
    from dicomnet.ul import _text

    assert _text.decode_uid(bytearray(b"1.2.840.10008.1.1"), field="test") == (
        "1.2.840.10008.1.1"
    )
