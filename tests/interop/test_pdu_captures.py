"""Decode and re-encode PDUs recorded between real DCMTK and pynetdicom peers.

Issue #3: bytes produced by other implementations (captured here over loopback,
never pasted) decode, and re-encode to identical bytes. Each test is
parametrized by recorded session, so a failure names the peers involved.
"""

from __future__ import annotations

from itertools import groupby, pairwise
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dicomnet.ul.items import (
    DICOM_APPLICATION_CONTEXT_NAME,
    AsynchronousOperationsWindowSubItem,
    ContextResult,
    ImplementationClassUIDSubItem,
    MaximumLengthSubItem,
    SCPSCURoleSelectionSubItem,
    SOPClassCommonExtendedNegotiationSubItem,
    SOPClassExtendedNegotiationSubItem,
    UserIdentityACSubItem,
    UserIdentityRQSubItem,
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
    PDUType,
    decode_pdu,
    encode_pdu,
)

from .capture import PDU_HEADER, Capture, Direction, PDUSplitter, RecordedPDU
from .conftest import (
    CT_IMAGE_STORAGE,
    ENHANCED_CT_IMAGE_STORAGE,
    LEGACY_CT_IMAGE_STORAGE,
    SOP_EXTENDED_INFO,
    STORAGE_SERVICE_CLASS,
    Session,
)

pytestmark = pytest.mark.interop

#: The PDU class PS3.8 9.3.1 assigns to each PDU-type byte.
CLASSES: dict[int, type] = {
    PDUType.A_ASSOCIATE_RQ: A_ASSOCIATE_RQ,
    PDUType.A_ASSOCIATE_AC: A_ASSOCIATE_AC,
    PDUType.A_ASSOCIATE_RJ: A_ASSOCIATE_RJ,
    PDUType.P_DATA_TF: P_DATA_TF,
    PDUType.A_RELEASE_RQ: A_RELEASE_RQ,
    PDUType.A_RELEASE_RP: A_RELEASE_RP,
    PDUType.A_ABORT: A_ABORT,
}
SHORT_NAMES = {1: "RQ", 2: "AC", 3: "RJ", 4: "P", 5: "RL", 6: "RP", 7: "AB"}
ARROWS = {Direction.TO_ACCEPTOR: ">", Direction.TO_REQUESTOR: "<"}


def flows(capture: Capture) -> list[str]:
    """One flow string per connection, runs of equal steps written once."""
    result = []
    for _, pdus in groupby(capture.pdus, key=lambda pdu: pdu.connection):
        steps = [ARROWS[pdu.direction] + SHORT_NAMES[pdu.pdu_type] for pdu in pdus]
        result.append(" ".join(step for step, _ in groupby(steps)))
    return result


def decoded(capture: Capture, cls: type[PDU]) -> list[PDU]:
    """Every recorded PDU of class ``cls``, decoded."""
    return [
        decode_pdu(pdu.data) for pdu in capture.pdus if CLASSES[pdu.pdu_type] is cls
    ]


def only(capture: Capture, cls: type[PDU]) -> PDU:
    """The single PDU of class ``cls`` the session recorded (one association)."""
    found = decoded(capture, cls)
    assert len(found) == 1, f"{len(found)} {cls.__name__} in {flows(capture)}"
    return found[0]


def sub_items(pdu: A_ASSOCIATE_RQ | A_ASSOCIATE_AC, cls: type) -> list[Any]:
    return [item for item in pdu.user_information.sub_items if isinstance(item, cls)]


# --- every session ---------------------------------------------------------------


def test_capture_is_whole_and_follows_the_expected_flow(
    recipe: Session, recorded: Capture
) -> None:
    # A capture that missed PDUs or cut one short would make the round-trip
    # tests below pass on too little.
    assert recorded.leftovers == {}, recorded.log
    assert flows(recorded) == list(recipe.flows), recorded.log


def first_difference(left: bytes, right: bytes) -> int:
    """Offset of the first byte where ``left`` and ``right`` differ."""
    for offset, (a, b) in enumerate(zip(left, right, strict=False)):
        if a != b:
            return offset
    return min(len(left), len(right))


def test_every_pdu_round_trips_to_identical_bytes(
    recipe: Session, recorded: Capture
) -> None:
    # Issue #3: byte for byte, reserved bytes included (DCMTK 3.6.7 sends FFH
    # in byte 7 of each presentation context item of its A-ASSOCIATE-RQ).
    assert recorded.pdus, recorded.log
    mismatches = []
    for pdu in recorded.pdus:
        result = decode_pdu(pdu.data)
        assert type(result) is CLASSES[pdu.pdu_type], pdu.describe()
        encoded = encode_pdu(result)
        if encoded != pdu.data:
            offset = first_difference(encoded, pdu.data)
            mismatches.append(f"{pdu.describe()}: differs from byte offset {offset}")
    assert mismatches == []


def test_associate_rq_carries_what_the_requestor_was_told(
    recipe: Session, recorded: Capture
) -> None:
    rq = only(recorded, A_ASSOCIATE_RQ)
    assert isinstance(rq, A_ASSOCIATE_RQ)
    assert rq.called_ae_title == recipe.called_ae
    assert rq.calling_ae_title == recipe.calling_ae
    assert rq.application_context.application_context_name == (
        DICOM_APPLICATION_CONTEXT_NAME
    )
    ids = [context.context_id for context in rq.presentation_contexts]
    assert len(ids) >= recipe.min_contexts
    # PS3.8 9.3.2.2: odd IDs 1..255, unique within the association.
    assert all(i % 2 == 1 for i in ids)
    assert len(set(ids)) == len(ids)
    assert all(context.transfer_syntaxes for context in rq.presentation_contexts)
    # PS3.7 D.3.3.2 and PS3.8 D.1: both peers always send these two sub-items.
    assert len(sub_items(rq, MaximumLengthSubItem)) == 1
    (uid,) = sub_items(rq, ImplementationClassUIDSubItem)
    assert uid.implementation_class_uid.replace(".", "").isdigit()


@pytest.mark.capture_feature("accepted")
def test_associate_ac_answers_the_rq_contexts(
    recipe: Session, recorded: Capture
) -> None:
    rq, ac = only(recorded, A_ASSOCIATE_RQ), only(recorded, A_ASSOCIATE_AC)
    assert isinstance(rq, A_ASSOCIATE_RQ)
    assert isinstance(ac, A_ASSOCIATE_AC)
    # PS3.8 9.3.3: the AC echoes the RQ's AE titles and answers each context.
    assert (ac.called_ae_title, ac.calling_ae_title) == (
        rq.called_ae_title,
        rq.calling_ae_title,
    )
    proposed = {pc.context_id: pc.transfer_syntaxes for pc in rq.presentation_contexts}
    assert {pc.context_id for pc in ac.presentation_contexts} == set(proposed)
    accepted = [
        pc for pc in ac.presentation_contexts if pc.result == ContextResult.ACCEPTANCE
    ]
    assert accepted
    for pc in accepted:
        assert pc.transfer_syntax in proposed[pc.context_id]


# --- sessions showing one feature ------------------------------------------------


@pytest.mark.capture_feature("has_p_data")
def test_p_data_pdvs_are_views_of_the_received_bytes(
    recipe: Session, recorded: Capture
) -> None:
    ac = only(recorded, A_ASSOCIATE_AC)
    assert isinstance(ac, A_ASSOCIATE_AC)
    accepted = {
        pc.context_id
        for pc in ac.presentation_contexts
        if pc.result == ContextResult.ACCEPTANCE
    }
    p_data = [pdu for pdu in recorded.pdus if pdu.pdu_type == PDUType.P_DATA_TF]
    assert p_data
    for pdu in p_data:
        assert_pdvs_match_wire(pdu, accepted)


def assert_pdvs_match_wire(pdu: RecordedPDU, accepted: set[int]) -> None:
    """Walk the PDV items by hand (PS3.8 9.3.5.1) and compare with the decoder."""
    result = decode_pdu(pdu.data)
    assert isinstance(result, P_DATA_TF)
    offset = 6
    for pdv in result.pdvs:
        length = int.from_bytes(pdu.data[offset : offset + 4], "big")
        context_id, header = pdu.data[offset + 4], pdu.data[offset + 5]
        assert isinstance(pdv.data, memoryview), pdu.describe()
        assert (pdv.context_id, pdv.message_control_header) == (context_id, header)
        assert pdv.context_id in accepted
        assert pdv.data == pdu.data[offset + 6 : offset + 4 + length]
        offset += 4 + length
    assert offset == len(pdu.data), pdu.describe()


@pytest.mark.capture_feature("user_identity")
def test_user_identity_rq_is_what_was_sent(recipe: Session, recorded: Capture) -> None:
    assert recipe.user_identity is not None
    kind, positive, primary, secondary = recipe.user_identity
    rq = only(recorded, A_ASSOCIATE_RQ)
    assert isinstance(rq, A_ASSOCIATE_RQ)
    (identity,) = sub_items(rq, UserIdentityRQSubItem)
    assert identity.user_identity_type == kind
    assert identity.positive_response_requested is positive
    assert identity.primary_field == primary
    assert identity.secondary_field == secondary


@pytest.mark.capture_feature("server_response")
def test_user_identity_ac_carries_the_server_response(
    recipe: Session, recorded: Capture
) -> None:
    ac = only(recorded, A_ASSOCIATE_AC)
    assert isinstance(ac, A_ASSOCIATE_AC)
    (identity,) = sub_items(ac, UserIdentityACSubItem)
    assert identity.server_response == recipe.server_response


@pytest.mark.capture_feature("reject")
def test_reject_fields(recipe: Session, recorded: Capture) -> None:
    rj = only(recorded, A_ASSOCIATE_RJ)
    assert isinstance(rj, A_ASSOCIATE_RJ)
    assert (rj.result, rj.source, rj.reason) == recipe.reject


@pytest.mark.capture_feature("flows")
def test_abort_source(recipe: Session, recorded: Capture) -> None:
    aborts = decoded(recorded, A_ABORT)
    assert len(aborts) == (recipe.abort_source is not None)
    for abort in aborts:
        assert isinstance(abort, A_ABORT)
        assert abort.source == recipe.abort_source


@pytest.mark.capture_feature("role_uids")
def test_role_selection_is_proposed(recipe: Session, recorded: Capture) -> None:
    rq = only(recorded, A_ASSOCIATE_RQ)
    assert isinstance(rq, A_ASSOCIATE_RQ)
    roles = {
        item.sop_class_uid: item for item in sub_items(rq, SCPSCURoleSelectionSubItem)
    }
    assert set(recipe.role_uids) <= set(roles)
    # Both proposers ask for the SCP role of the storage SOP Class they name.
    assert roles[CT_IMAGE_STORAGE].scp_role is True


@pytest.mark.capture_feature("full_ext_neg")
def test_extended_negotiation_items(recipe: Session, recorded: Capture) -> None:
    rq, ac = only(recorded, A_ASSOCIATE_RQ), only(recorded, A_ASSOCIATE_AC)
    assert isinstance(rq, A_ASSOCIATE_RQ)
    assert isinstance(ac, A_ASSOCIATE_AC)
    (window,) = sub_items(rq, AsynchronousOperationsWindowSubItem)
    assert (
        window.maximum_number_operations_invoked,
        window.maximum_number_operations_performed,
    ) == (5, 3)
    (extended,) = sub_items(rq, SOPClassExtendedNegotiationSubItem)
    assert extended.sop_class_uid == CT_IMAGE_STORAGE
    assert extended.service_class_application_information == SOP_EXTENDED_INFO
    (common,) = sub_items(rq, SOPClassCommonExtendedNegotiationSubItem)
    assert common.sop_class_uid == ENHANCED_CT_IMAGE_STORAGE
    assert common.service_class_uid == STORAGE_SERVICE_CLASS
    assert common.related_general_sop_class_identification == (
        CT_IMAGE_STORAGE,
        LEGACY_CT_IMAGE_STORAGE,
    )
    # The SCP's handlers answered: PS3.7 D.3.3.5.2 and D.3.3.3.2 items come back.
    (answer,) = sub_items(ac, SOPClassExtendedNegotiationSubItem)
    assert answer.service_class_application_information == SOP_EXTENDED_INFO
    assert len(sub_items(ac, AsynchronousOperationsWindowSubItem)) == 1
    assert sub_items(ac, SCPSCURoleSelectionSubItem)


# --- the harness itself ----------------------------------------------------------


@given(
    bodies=st.lists(st.binary(max_size=300), max_size=6),
    cuts=st.lists(st.integers(min_value=0, max_value=2000), max_size=10),
    tail=st.integers(min_value=0, max_value=5),
)
def test_splitter_cuts_any_chunking_into_whole_pdus(
    bodies: list[bytes], cuts: list[int], tail: int
) -> None:
    # Whatever the TCP segmentation, the recorded PDUs are exactly those sent,
    # and an incomplete trailing PDU is kept apart, not recorded.
    pdus = [PDU_HEADER.pack(4, 0, len(body)) + body for body in bodies]
    partial = PDU_HEADER.pack(7, 0, 4)[:tail] if tail < PDU_HEADER.size else b""
    stream = b"".join(pdus) + partial
    bounds = sorted({0, len(stream), *(cut % (len(stream) + 1) for cut in cuts)})
    splitter = PDUSplitter()
    got = []
    for start, end in pairwise(bounds):
        got += splitter.feed(stream[start:end])
    assert got == pdus
    assert splitter.leftover == partial
