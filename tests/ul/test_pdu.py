"""The seven PDUs (PS3.8 9.3): golden bytes, round trips, malformed input."""

from __future__ import annotations

import contextlib
import logging
import struct
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dicomnet.errors import (
    InvalidPDUParameterValueError,
    LocalProtocolError,
    RejectCode,
    RemoteProtocolError,
    UnexpectedPDUParameterError,
    UnrecognizedPDUError,
    UnrecognizedPDUParameterError,
)
from dicomnet.ul.items import (
    ApplicationContextItem,
    ImplementationClassUIDSubItem,
    ImplementationVersionNameSubItem,
    MaximumLengthSubItem,
    PresentationContextItemAC,
    PresentationContextItemRQ,
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
    PDV,
    decode_pdu,
    encode_p_data_tf_parts,
    encode_pdu,
)
from tests.ul import strategies
from tests.ul.test_items import ABSTRACT, IMPLICIT, context_ac, context_rq, item

# Whole PDUs are slow to generate (up to 8 contexts of 8 UIDs): 100 examples
# each keeps tests/ul under 5 s; test_items round-trips every item on its own.
CODEC = settings(deadline=None, max_examples=100)
FUZZ = settings(
    deadline=None, max_examples=200, suppress_health_check=[HealthCheck.too_slow]
)
FUZZ_PDUS = settings(FUZZ, max_examples=100)


def pdu(pdu_type: int, body: bytes) -> bytes:
    """Assemble a PDU by hand (PS3.8 9.3.1): type, reserved, 4-byte length."""
    return struct.pack(">BBL", pdu_type, 0, len(body)) + body


APP_CONTEXT = item(0x10, b"1.2.840.10008.3.1.1.1")
USER_INFO = item(0x50, item(0x51, b"\x00\x00\x40\x00"))


def associate(
    pdu_type: int = 1,
    items: bytes = APP_CONTEXT + context_rq(1, ABSTRACT, IMPLICIT) + USER_INFO,
    *,
    version: bytes = b"\x00\x01",
    called: bytes = b"ANY-SCP         ",
    calling: bytes = b"ECHOSCU         ",
) -> bytes:
    """An A-ASSOCIATE-RQ/AC with the given fixed fields and variable items."""
    return pdu(pdu_type, version + b"\x00\x00" + called + calling + bytes(32) + items)


# -- golden bytes, assembled from the PS3.8 tables --------------------------------

GOLDEN_RQ = (
    bytes([0x01, 0x00])  # PDU-type 01H, reserved (Table 9-11)
    + bytes([0x00, 0x00, 0x00, 0xB5])  # PDU-length 181
    + bytes([0x00, 0x01])  # protocol-version: bit 0
    + bytes([0x00, 0x00])  # reserved
    + b"ANY-SCP         "  # called-AE-title, space padded
    + b"ECHOSCU         "  # calling-AE-title
    + bytes(32)  # reserved
    # Application context item (Table 9-12): 10H, reserved, length 21
    + bytes([0x10, 0x00, 0x00, 0x15])
    + b"1.2.840.10008.3.1.1.1"
    # Presentation context item (Table 9-13): 20H, reserved, length 46,
    # context ID 1, three reserved bytes
    + bytes([0x20, 0x00, 0x00, 0x2E, 0x01, 0x00, 0x00, 0x00])
    # Abstract syntax sub-item (Table 9-14): 30H, reserved, length 17
    + bytes([0x30, 0x00, 0x00, 0x11])
    + b"1.2.840.10008.1.1"
    # Transfer syntax sub-item (Table 9-15): 40H, reserved, length 17
    + bytes([0x40, 0x00, 0x00, 0x11])
    + b"1.2.840.10008.1.2"
    # User information item (Table 9-16): 50H, reserved, length 34
    + bytes([0x50, 0x00, 0x00, 0x22])
    # Maximum length sub-item (PS3.8 D.1): 51H, reserved, length 4, 16384
    + bytes([0x51, 0x00, 0x00, 0x04, 0x00, 0x00, 0x40, 0x00])
    # Implementation class UID (PS3.7 D.3.3.2.1): 52H, reserved, length 7
    + bytes([0x52, 0x00, 0x00, 0x07])
    + b"1.2.3.4"
    # Implementation version name (PS3.7 D.3.3.2.3): 55H, reserved, length 11
    + bytes([0x55, 0x00, 0x00, 0x0B])
    + b"DICOMNET_01"
)

GOLDEN_RQ_PDU = A_ASSOCIATE_RQ(
    called_ae_title="ANY-SCP",
    calling_ae_title="ECHOSCU",
    presentation_contexts=(
        PresentationContextItemRQ(
            context_id=1,
            abstract_syntax="1.2.840.10008.1.1",
            transfer_syntaxes=("1.2.840.10008.1.2",),
        ),
    ),
    user_information=UserInformationItem(
        sub_items=(
            MaximumLengthSubItem(maximum_length_received=16384),
            ImplementationClassUIDSubItem(implementation_class_uid="1.2.3.4"),
            ImplementationVersionNameSubItem(implementation_version_name="DICOMNET_01"),
        )
    ),
)


def test_golden_a_associate_rq():
    decoded = decode_pdu(GOLDEN_RQ)
    assert isinstance(decoded, A_ASSOCIATE_RQ)
    assert decoded.protocol_version == 1
    assert decoded.called_ae_title == "ANY-SCP"
    assert decoded.calling_ae_title == "ECHOSCU"
    assert decoded.application_context == ApplicationContextItem()
    assert decoded.presentation_contexts == GOLDEN_RQ_PDU.presentation_contexts
    assert decoded.user_information == GOLDEN_RQ_PDU.user_information
    assert decoded == GOLDEN_RQ_PDU
    assert encode_pdu(GOLDEN_RQ_PDU) == GOLDEN_RQ


def test_golden_a_associate_ac():
    raw = (
        bytes([0x02, 0x00, 0x00, 0x00, 0x00, 0x8E])  # 02H, reserved, length 142
        + bytes([0x00, 0x01, 0x00, 0x00])  # protocol-version, reserved
        + b"ANY-SCP         ECHOSCU         "  # echoed, not tested
        + bytes(32)
        + bytes([0x10, 0x00, 0x00, 0x15])  # application context item
        + b"1.2.840.10008.3.1.1.1"
        # Presentation context item (Table 9-18): 21H, reserved, length 25,
        # context ID 1, reserved, result 0 (acceptance), reserved
        + bytes([0x21, 0x00, 0x00, 0x19, 0x01, 0x00, 0x00, 0x00])
        + bytes([0x40, 0x00, 0x00, 0x11])  # transfer syntax sub-item, length 17
        + b"1.2.840.10008.1.2"
        # Presentation context 3: result 3 (abstract syntax not supported), no
        # transfer syntax sub-item
        + bytes([0x21, 0x00, 0x00, 0x04, 0x03, 0x00, 0x03, 0x00])
        + bytes([0x50, 0x00, 0x00, 0x08])  # user information item, length 8
        + bytes([0x51, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00])  # no limit
    )
    expected = A_ASSOCIATE_AC(
        called_ae_title="ANY-SCP",
        calling_ae_title="ECHOSCU",
        presentation_contexts=(
            PresentationContextItemAC(
                context_id=1, result=0, transfer_syntax="1.2.840.10008.1.2"
            ),
            PresentationContextItemAC(context_id=3, result=3, transfer_syntax=None),
        ),
        user_information=UserInformationItem(
            sub_items=(MaximumLengthSubItem(maximum_length_received=0),)
        ),
    )
    assert decode_pdu(raw) == expected
    assert encode_pdu(expected) == raw


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # Table 9-21: reserved, result 1, source 2, reason 2.
        (
            b"\x03\x00\x00\x00\x00\x04\x00\x01\x02\x02",
            A_ASSOCIATE_RJ(result=1, source=2, reason=2),
        ),
        # Table 9-24 / 9-25: four reserved bytes.
        (b"\x05\x00\x00\x00\x00\x04\x00\x00\x00\x00", A_RELEASE_RQ()),
        (b"\x06\x00\x00\x00\x00\x04\x00\x00\x00\x00", A_RELEASE_RP()),
        # Table 9-26: two reserved, source 2, reason 6.
        (b"\x07\x00\x00\x00\x00\x04\x00\x00\x02\x06", A_ABORT(source=2, reason=6)),
    ],
    ids=["rj", "release-rq", "release-rp", "abort"],
)
def test_golden_fixed_length_pdus(raw, expected):
    assert decode_pdu(raw) == expected
    assert encode_pdu(expected) == raw


def test_reserved_fields_are_not_tested():
    # PS3.8 9.3.1: reserved fields are sent as 00H but not tested on receipt.
    assert decode_pdu(b"\x05\xff\x00\x00\x00\x04\xff\xff\xff\xff") == A_RELEASE_RQ()
    assert decode_pdu(b"\x07\xaa\x00\x00\x00\x04\xbb\xcc\x00\x01") == A_ABORT(
        source=0, reason=1
    )
    raw = bytearray(GOLDEN_RQ)
    raw[1] = raw[8] = raw[9] = 0xFF  # PDU and version-trailing reserved bytes
    raw[42:74] = b"\xee" * 32
    raw[75] = 0x99  # application context item's reserved byte
    assert decode_pdu(raw) == GOLDEN_RQ_PDU


def test_context_reserved_bytes_filled_by_the_peer_round_trip():
    # A DCMTK 3.6.7 A-ASSOCIATE-RQ: FFH in item byte 7 of the presentation
    # context item (PS3.8 Table 9-13, reserved, not tested). Issue #3: the PDU
    # decodes to the same context and re-encodes to the bytes received.
    raw = bytearray(GOLDEN_RQ)
    context = 74 + 4 + 21  # fixed fields, then the application context item
    assert raw[context] == 0x20
    raw[context + 6] = 0xFF
    decoded = decode_pdu(raw)
    assert isinstance(decoded, A_ASSOCIATE_RQ)
    (item,) = decoded.presentation_contexts
    assert item.reserved == b"\x00\xff\x00"
    assert replace(item, reserved=bytes(3)) == GOLDEN_RQ_PDU.presentation_contexts[0]
    assert encode_pdu(decoded) == raw


GOLDEN_P_DATA = (
    bytes([0x04, 0x00, 0x00, 0x00, 0x00, 0x0F])  # 04H, reserved, length 15
    # PDV item (Table 9-23): length 5, context ID 1, control 03H (command, last)
    + bytes([0x00, 0x00, 0x00, 0x05, 0x01, 0x03])
    + bytes([0xAA, 0xBB, 0xCC])
    # PDV item: length 2, context ID 3, control 00H, empty fragment
    + bytes([0x00, 0x00, 0x00, 0x02, 0x03, 0x00])
)


def test_golden_p_data_tf():
    decoded = decode_pdu(GOLDEN_P_DATA)
    assert isinstance(decoded, P_DATA_TF)
    first, second = decoded.pdvs
    assert (first.context_id, first.message_control_header) == (1, 3)
    assert first.is_command
    assert first.is_last_fragment
    assert bytes(first.data) == b"\xaa\xbb\xcc"
    assert (second.context_id, second.message_control_header, bytes(second.data)) == (
        3,
        0,
        b"",
    )
    assert not second.is_command
    assert not second.is_last_fragment
    assert encode_pdu(decoded) == GOLDEN_P_DATA


def test_pdv_data_are_views_of_the_input():
    data = GOLDEN_P_DATA
    decoded = decode_pdu(memoryview(data))
    assert isinstance(decoded, P_DATA_TF)
    for pdv in decoded.pdvs:
        assert isinstance(pdv.data, memoryview)
        assert pdv.data.obj is data


def test_large_p_data_tf_is_sliced_not_copied():
    payload = bytes(range(256)) * 4096  # 1 MiB
    data = encode_pdu(P_DATA_TF(pdvs=(PDV(1, 0, payload), PDV(3, 2, payload[:10]))))
    decoded = decode_pdu(data)
    assert isinstance(decoded, P_DATA_TF)
    view = decoded.pdvs[0].data
    assert isinstance(view, memoryview)
    assert view.obj is data
    assert view == payload


# -- round trips -------------------------------------------------------------------


@CODEC
@given(strategies.pdus())
def test_round_trip(value):
    raw = encode_pdu(value)
    assert decode_pdu(raw) == value
    assert encode_pdu(decode_pdu(raw)) == raw


@settings(deadline=None, max_examples=10)
@given(strategies.a_associate_rqs(max_contexts=128))
def test_round_trip_many_contexts(value):
    assert decode_pdu(encode_pdu(value)) == value


def test_round_trip_128_contexts():
    contexts = tuple(
        PresentationContextItemRQ(
            context_id=2 * n + 1,
            abstract_syntax=f"1.2.840.10008.5.1.4.1.1.{n}",
            transfer_syntaxes=("1.2.840.10008.1.2", "1.2.840.10008.1.2.1"),
        )
        for n in range(128)
    )
    value = A_ASSOCIATE_RQ(
        called_ae_title="A" * 16,
        calling_ae_title=" LEADING",
        presentation_contexts=contexts,
    )
    assert decode_pdu(encode_pdu(value)) == value


@CODEC
@given(st.lists(strategies.pdvs(), min_size=1, max_size=8))
def test_p_data_tf_parts_join_to_the_pdu(pdvs):
    parts = encode_p_data_tf_parts(pdvs)
    assert b"".join(parts) == encode_pdu(P_DATA_TF(pdvs=tuple(pdvs)))
    # The fragments are passed through, not copied.
    assert all(part is pdv.data for part, pdv in zip(parts[2::2], pdvs, strict=True))


def test_p_data_tf_parts_count_bytes_of_wide_views():
    wide = memoryview(struct.pack("<4I", 1, 2, 3, 4)).cast("I")
    raw = b"".join(encode_p_data_tf_parts([PDV(1, 2, wide)]))
    decoded = decode_pdu(raw)
    assert isinstance(decoded, P_DATA_TF)
    assert bytes(decoded.pdvs[0].data) == wide.tobytes()


@pytest.mark.parametrize(
    "pdvs",
    [[], [PDV(2, 0, b"")], [PDV(0, 0, b"")], [PDV(257, 0, b"")], [PDV(1, 256, b"")]],
    ids=["no-pdv", "even-id", "id-0", "id-257", "control-256"],
)
def test_p_data_tf_parts_refuse_invalid_pdvs(pdvs):
    with pytest.raises(LocalProtocolError):
        encode_p_data_tf_parts(pdvs)
    if pdvs:
        with pytest.raises(LocalProtocolError):
            encode_pdu(P_DATA_TF(pdvs=tuple(pdvs)))


# -- malformed PDUs ----------------------------------------------------------------


@pytest.mark.parametrize("pdu_type", [0x00, 0x08, 0x10, 0xFF])
def test_unknown_pdu_type(pdu_type):
    with pytest.raises(UnrecognizedPDUError) as info:
        decode_pdu(pdu(pdu_type, bytes(4)))
    assert info.value.abort_reason == 1


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"\x05\x00\x00\x00\x00", id="truncated-header"),
        pytest.param(b"\x05\x00\x00\x00\x00\x04\x00\x00\x00", id="shorter-than-length"),
        pytest.param(b"\x05\x00\x00\x00\x00\x04" + bytes(5), id="longer-than-length"),
        pytest.param(pdu(5, bytes(5)), id="release-rq-length-5"),
        pytest.param(pdu(6, bytes(3)), id="release-rp-length-3"),
        pytest.param(pdu(3, bytes(6)), id="rj-length-6"),
        pytest.param(pdu(7, b""), id="abort-length-0"),
        pytest.param(pdu(1, bytes(67)), id="rq-short"),
        pytest.param(pdu(2, bytes(10)), id="ac-short"),
        pytest.param(associate(items=APP_CONTEXT + b"\x50\x00"), id="truncated-item"),
        pytest.param(
            associate(items=APP_CONTEXT + b"\x50\x00\x00\x09" + bytes(8)),
            id="item-overruns-pdu",
        ),
        pytest.param(
            associate(
                items=APP_CONTEXT
                + item(0x50, b"\x51\x00\x00\x08\x00\x00\x40\x00")
                + context_rq(1, ABSTRACT, IMPLICIT)
            ),
            id="sub-item-overruns-item",
        ),
        pytest.param(
            associate(
                items=APP_CONTEXT + context_rq(2, ABSTRACT, IMPLICIT) + USER_INFO
            ),
            id="even-context-id",
        ),
        pytest.param(pdu(4, b"\x00\x00\x00\x01\x01"), id="pdv-truncated-header"),
        pytest.param(pdu(4, b"\x00\x00\x00\x01\x01\x00"), id="pdv-length-1"),
        pytest.param(pdu(4, b"\x00\x00\x00\x05\x01\x00ab"), id="pdv-overruns"),
        pytest.param(pdu(4, b"\x00\x00\x00\x02\x00\x00"), id="pdv-context-0"),
        pytest.param(pdu(4, b"\x00\x00\x00\x02\x02\x00"), id="pdv-context-even"),
        pytest.param(
            pdu(4, b"\x00\x00\x00\x02\x01\x00" + b"\x00\x00\x00\x03\x01\x00"),
            id="second-pdv-overruns",
        ),
    ],
)
def test_invalid_parameter_value(raw):
    with pytest.raises(InvalidPDUParameterValueError) as info:
        decode_pdu(raw)
    assert info.value.abort_reason == 6
    assert info.value.reject is None


def test_p_data_tf_without_pdv():
    with pytest.raises(UnexpectedPDUParameterError):
        decode_pdu(pdu(4, b""))


@pytest.mark.parametrize(
    ("pdu_type", "items"),
    [
        pytest.param(
            1, context_rq(1, ABSTRACT, IMPLICIT) + USER_INFO, id="rq-no-app-context"
        ),
        pytest.param(
            1, APP_CONTEXT + context_rq(1, ABSTRACT, IMPLICIT), id="rq-no-user-info"
        ),
        pytest.param(
            1, APP_CONTEXT + APP_CONTEXT + USER_INFO, id="rq-two-app-contexts"
        ),
        pytest.param(1, APP_CONTEXT + USER_INFO + USER_INFO, id="rq-two-user-infos"),
        pytest.param(
            1,
            APP_CONTEXT + context_ac(1, 0, IMPLICIT) + USER_INFO,
            id="ac-context-in-rq",
        ),
        pytest.param(
            2,
            APP_CONTEXT + context_rq(1, ABSTRACT, IMPLICIT) + USER_INFO,
            id="rq-context-in-ac",
        ),
        pytest.param(
            1, APP_CONTEXT + IMPLICIT + USER_INFO, id="transfer-syntax-at-top"
        ),
        pytest.param(
            1, APP_CONTEXT + USER_INFO + item(0x51, bytes(4)), id="sub-item-at-top"
        ),
        pytest.param(2, USER_INFO, id="ac-no-app-context"),
        pytest.param(2, APP_CONTEXT, id="ac-no-user-info"),
        pytest.param(1, b"", id="no-items"),
    ],
)
def test_unexpected_parameter(pdu_type, items):
    with pytest.raises(UnexpectedPDUParameterError) as info:
        decode_pdu(associate(pdu_type, items))
    assert info.value.abort_reason == 5


@pytest.mark.parametrize("pdu_type", [1, 2])
def test_unknown_variable_item(pdu_type):
    items = APP_CONTEXT + item(0x60, b"?") + USER_INFO
    with pytest.raises(UnrecognizedPDUParameterError) as info:
        decode_pdu(associate(pdu_type, items))
    assert info.value.abort_reason == 4


def test_items_in_any_order_and_no_context():
    # Order is not tested; zero presentation contexts is left to negotiation.
    decoded = decode_pdu(associate(items=USER_INFO + APP_CONTEXT))
    assert isinstance(decoded, A_ASSOCIATE_RQ)
    assert decoded.presentation_contexts == ()


@pytest.mark.parametrize("version", [b"\x00\x00", b"\x00\x02", b"\xff\xfe"])
def test_protocol_version_without_bit_0_is_rejected(version):
    with pytest.raises(InvalidPDUParameterValueError) as info:
        decode_pdu(associate(version=version))
    # PS3.8 9.3.4: rejected-permanent, ACSE, protocol-version-not-supported.
    assert info.value.reject == RejectCode(result=1, source=2, reason=2)


def test_protocol_version_with_more_bits_is_accepted():
    decoded = decode_pdu(associate(version=b"\x00\x03"))
    assert isinstance(decoded, A_ASSOCIATE_RQ)
    assert decoded.protocol_version == 3


def test_protocol_version_of_acceptance_is_not_tested():
    decoded = decode_pdu(associate(2, APP_CONTEXT + USER_INFO, version=b"\x00\x00"))
    assert isinstance(decoded, A_ASSOCIATE_AC)
    assert decoded.protocol_version == 0


BAD_TITLES = [
    pytest.param(b"BAD\\TITLE".ljust(16), id="backslash"),
    pytest.param(b"BAD\tTITLE".ljust(16), id="tab"),
    pytest.param(b"\x00BAD".ljust(16), id="leading-nul"),
    pytest.param(b"CAF\xc9".ljust(16), id="non-ascii"),
    pytest.param(b"DEL\x7f".ljust(16), id="delete"),
]


@pytest.mark.parametrize("title", BAD_TITLES)
def test_bad_called_ae_title_is_rejected(title):
    with pytest.raises(InvalidPDUParameterValueError) as info:
        decode_pdu(associate(called=title))
    # PS3.8 9.3.4: rejected-permanent, service user, called AE not recognized.
    assert info.value.reject == RejectCode(result=1, source=1, reason=7)


@pytest.mark.parametrize("title", BAD_TITLES)
def test_bad_calling_ae_title_is_rejected(title):
    with pytest.raises(InvalidPDUParameterValueError) as info:
        decode_pdu(associate(calling=title))
    # PS3.8 9.3.4: rejected-permanent, service user, calling AE not recognized.
    assert info.value.reject == RejectCode(result=1, source=1, reason=3)


@pytest.mark.parametrize("title", BAD_TITLES)
def test_acceptance_ae_titles_are_not_tested(title):
    decoded = decode_pdu(
        associate(2, APP_CONTEXT + USER_INFO, called=title, calling=title)
    )
    assert isinstance(decoded, A_ASSOCIATE_AC)
    assert decoded.called_ae_title == title.rstrip(b" ").decode("latin-1")


@pytest.mark.parametrize("title", [b" " * 16, b"\x00" * 16, b" \x00" * 8])
def test_empty_ae_title_is_accepted_with_a_warning(caplog, title):
    with caplog.at_level(logging.WARNING):
        decoded = decode_pdu(associate(calling=title))
    assert isinstance(decoded, A_ASSOCIATE_RQ)
    assert decoded.calling_ae_title == ""
    assert "calling AE title is empty" in caplog.text


def test_ae_title_padding_and_leading_spaces():
    decoded = decode_pdu(
        associate(called=b"  PACS\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00")
    )
    assert isinstance(decoded, A_ASSOCIATE_RQ)
    assert decoded.called_ae_title == "  PACS"
    assert encode_pdu(decoded)[10:26] == b"  PACS          "


# -- encoding errors ---------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        A_ASSOCIATE_RQ(
            called_ae_title="A" * 17, calling_ae_title="B", presentation_contexts=()
        ),
        A_ASSOCIATE_RQ(
            called_ae_title="A\\B", calling_ae_title="B", presentation_contexts=()
        ),
        A_ASSOCIATE_RQ(
            called_ae_title="A", calling_ae_title="CAF\xc9", presentation_contexts=()
        ),
        A_ASSOCIATE_AC(
            called_ae_title="\u20ac", calling_ae_title="B", presentation_contexts=()
        ),
        A_ASSOCIATE_RQ(
            called_ae_title="A",
            calling_ae_title="B",
            presentation_contexts=(),
            protocol_version=0x10000,
        ),
        A_ASSOCIATE_RJ(result=256, source=1, reason=1),
        A_ABORT(source=-1),
    ],
    ids=repr,
)
def test_unencodable_pdu_is_a_local_error(value):
    with pytest.raises(LocalProtocolError):
        encode_pdu(value)


def test_acceptance_ae_titles_encode_latin_1():
    value = A_ASSOCIATE_AC(
        called_ae_title="CAF\xc9", calling_ae_title="A\\B", presentation_contexts=()
    )
    assert decode_pdu(encode_pdu(value)) == value


# -- fuzz: only RemoteProtocolError ever escapes ---------------------------------


def decode_or_protocol_error(raw: bytes) -> None:
    with contextlib.suppress(RemoteProtocolError):
        decode_pdu(raw)


@FUZZ
@given(st.binary(max_size=512))
def test_fuzz_random_bytes(raw):
    decode_or_protocol_error(raw)


@FUZZ
@given(st.integers(1, 7), st.binary(max_size=512))
def test_fuzz_random_body_with_valid_header(pdu_type, body):
    decode_or_protocol_error(pdu(pdu_type, body))


@st.composite
def mutated_encodings(draw: st.DrawFn) -> bytes:
    raw = bytearray(encode_pdu(draw(strategies.pdus())))
    for _ in range(draw(st.integers(1, 4))):
        position = draw(st.integers(0, len(raw) - 1))
        action = draw(st.sampled_from(["flip", "delete", "insert"]))
        if action == "flip":
            raw[position] = draw(st.integers(0, 255))
        elif action == "delete":
            del raw[position]
        else:
            raw.insert(position, draw(st.integers(0, 255)))
        if not raw:
            break
    if draw(st.booleans()) and len(raw) >= 6:
        # Keep the PDU-length consistent so that the body parsers are reached.
        raw[2:6] = struct.pack(">L", len(raw) - 6)
    return bytes(raw)


@FUZZ_PDUS
@given(mutated_encodings())
def test_fuzz_mutated_encodings(raw):
    decode_or_protocol_error(raw)
