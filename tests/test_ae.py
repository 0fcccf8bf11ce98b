"""Tests of dicomnet.ae.ApplicationEntity: configuration and contexts."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydicom.uid import UID

from dicomnet import _version
from dicomnet._globals import DEFAULT_TRANSFER_SYNTAXES
from dicomnet._version import (
    DICOMNET_IMPLEMENTATION_UID,
    DICOMNET_IMPLEMENTATION_VERSION,
)
from dicomnet.ae import MAX_REQUESTED_CONTEXTS, ApplicationEntity
from dicomnet.presentation import PresentationContext, build_context

VERIFICATION = "1.2.840.10008.1.1"
CT = "1.2.840.10008.5.1.4.1.1.2"
MR = "1.2.840.10008.5.1.4.1.1.4"
IMPLICIT = "1.2.840.10008.1.2"
EXPLICIT = "1.2.840.10008.1.2.1"
BIG = "1.2.840.10008.1.2.2"


@pytest.fixture
def ae() -> ApplicationEntity:
    return ApplicationEntity()


@dataclass(eq=False)
class FakeAssociation:
    acse_timeout: float | None = None
    dimse_timeout: float | None = None
    network_timeout: float | None = None
    connection_timeout: float | None = None


# -- defaults --------------------------------------------------------------------


def test_defaults(ae: ApplicationEntity) -> None:
    assert ae.ae_title == "DICOMNET"
    assert ae.acse_timeout == 30
    assert ae.dimse_timeout == 30
    assert ae.network_timeout == 60
    assert ae.connection_timeout is None
    assert ae.maximum_associations == 10
    assert ae.maximum_pdu_size == 16382
    assert ae.require_called_aet is False
    assert ae.require_calling_aet == []
    assert ae.implementation_class_uid == DICOMNET_IMPLEMENTATION_UID
    assert ae.implementation_version_name == DICOMNET_IMPLEMENTATION_VERSION
    assert ae.requested_contexts == []
    assert ae.supported_contexts == []
    assert ae.active_associations == []


@pytest.mark.parametrize(
    ("text", "release"),
    [
        ("1.2.3", (1, 2, 3)),
        ("0.1.0.dev0", (0, 1, 0)),
        ("2", (2, 0, 0)),
        ("x", (0, 0, 0)),
    ],
)
def test_release_numbers_of_a_version(text: str, release: tuple[int, int, int]) -> None:
    assert _version._release(text) == release


def test_implementation_identity_is_valid() -> None:
    # PS3.5 B.2: a UUID-derived root; PS3.7 D.3.3.2.3: 1-16 characters.
    assert DICOMNET_IMPLEMENTATION_UID.startswith("2.25.")
    assert DICOMNET_IMPLEMENTATION_UID.is_valid
    assert 1 <= len(DICOMNET_IMPLEMENTATION_VERSION) <= 16


# -- ae_title --------------------------------------------------------------------


def test_ae_title_in_constructor_and_setter(ae: ApplicationEntity) -> None:
    assert ApplicationEntity("STORESCP").ae_title == "STORESCP"
    ae.ae_title = "  PADDED "
    assert ae.ae_title == "  PADDED "


def test_ae_title_bytes_deprecated(ae: ApplicationEntity) -> None:
    with pytest.deprecated_call():
        ae.ae_title = b"BYTES"  # type: ignore[assignment]
    assert ae.ae_title == "BYTES"


@pytest.mark.parametrize("value", ["", "    ", "A" * 17, "A\\B", "A\rB", "ÄE"])
def test_ae_title_value_error(ae: ApplicationEntity, value: str) -> None:
    with pytest.raises(ValueError, match="ae_title"):
        ae.ae_title = value
    assert ae.ae_title == "DICOMNET"


@pytest.mark.parametrize("value", [None, 12, ["AE"]])
def test_ae_title_type_error(value: object) -> None:
    with pytest.raises(TypeError, match="'ae_title' must be str"):
        ApplicationEntity(value)  # type: ignore[arg-type]


# -- timeouts ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "default"),
    [("acse_timeout", 30), ("dimse_timeout", 30), ("network_timeout", 60)],
)
@pytest.mark.parametrize("good", [None, 0, 5, 2.5])
def test_timeouts_accept(
    ae: ApplicationEntity, name: str, default: float, good: float | None
) -> None:
    setattr(ae, name, good)
    assert getattr(ae, name) == good


@pytest.mark.parametrize(
    ("name", "default"),
    [
        ("acse_timeout", 30),
        ("dimse_timeout", 30),
        ("network_timeout", 60),
        ("connection_timeout", None),
    ],
)
@pytest.mark.parametrize("bad", [-1, "x", True, [1]])
def test_timeouts_bad_value_warns_and_defaults(
    ae: ApplicationEntity,
    caplog: pytest.LogCaptureFixture,
    name: str,
    default: float | None,
    bad: object,
) -> None:
    setattr(ae, name, 7)
    with caplog.at_level(logging.WARNING, logger="dicomnet.ae"):
        setattr(ae, name, bad)
    assert getattr(ae, name) == default
    assert f"Invalid '{name}'" in caplog.text


@pytest.mark.parametrize("good", [5, 1.5, None])
def test_connection_timeout_accepts(ae: ApplicationEntity, good: float | None) -> None:
    ae.connection_timeout = 3
    ae.connection_timeout = good
    assert ae.connection_timeout == good


def _typed(value: float | None) -> float | None:
    # Keeps mypy from narrowing the property to the assigned literal.
    return value


def test_connection_timeout_zero_warns_and_sets_none(
    ae: ApplicationEntity, caplog: pytest.LogCaptureFixture
) -> None:
    ae.connection_timeout = 1.5
    with caplog.at_level(logging.WARNING, logger="dicomnet.ae"):
        ae.connection_timeout = _typed(0)  # a zero connect timeout is never meant
    assert ae.connection_timeout is None
    assert "connection_timeout" in caplog.text


@pytest.mark.parametrize(
    "name", ["acse_timeout", "dimse_timeout", "network_timeout", "connection_timeout"]
)
def test_timeouts_propagate_to_active_associations(
    ae: ApplicationEntity, name: str
) -> None:
    first, second, gone = FakeAssociation(), FakeAssociation(), FakeAssociation()
    for assoc in (first, second, gone):
        ae._register_association(assoc)
    ae._unregister_association(gone)
    setattr(ae, name, 12)
    assert getattr(first, name) == 12
    assert getattr(second, name) == 12
    assert getattr(gone, name) is None
    # A bad value propagates as the value actually set.
    setattr(ae, name, -5)
    assert getattr(first, name) == getattr(ae, name)


# -- limits --------------------------------------------------------------------


@pytest.mark.parametrize("good", [1, 5, 500])
def test_maximum_associations_accepts(ae: ApplicationEntity, good: int) -> None:
    ae.maximum_associations = good
    assert ae.maximum_associations == good


@pytest.mark.parametrize("bad", [0, -1, 2.5, "x", None, True])
def test_maximum_associations_bad_value_warns_and_sets_1(
    ae: ApplicationEntity, caplog: pytest.LogCaptureFixture, bad: object
) -> None:
    with caplog.at_level(logging.WARNING, logger="dicomnet.ae"):
        ae.maximum_associations = bad  # type: ignore[assignment]
    assert ae.maximum_associations == 1
    assert "maximum_associations" in caplog.text


@pytest.mark.parametrize("good", [0, 1, 16382, 0xFFFFFFFF])
def test_maximum_pdu_size_accepts(ae: ApplicationEntity, good: int) -> None:
    ae.maximum_pdu_size = good
    assert ae.maximum_pdu_size == good


@pytest.mark.parametrize("bad", [-1, 0x1_0000_0000])
def test_maximum_pdu_size_out_of_range_warns_and_keeps_value(
    ae: ApplicationEntity, caplog: pytest.LogCaptureFixture, bad: int
) -> None:
    ae.maximum_pdu_size = 1000
    with caplog.at_level(logging.WARNING, logger="dicomnet.ae"):
        ae.maximum_pdu_size = bad
    assert ae.maximum_pdu_size == 1000
    assert "maximum_pdu_size" in caplog.text


@pytest.mark.parametrize("bad", ["x", None, 2.5, True])
def test_maximum_pdu_size_type_error(ae: ApplicationEntity, bad: object) -> None:
    with pytest.raises(TypeError, match="maximum_pdu_size"):
        ae.maximum_pdu_size = bad  # type: ignore[assignment]


def test_require_called_aet(ae: ApplicationEntity) -> None:
    ae.require_called_aet = True
    assert ae.require_called_aet is True


def test_require_calling_aet(ae: ApplicationEntity) -> None:
    ae.require_calling_aet = ["A", "  B "]
    assert ae.require_calling_aet == ["A", "  B "]
    ae.require_calling_aet = ("C",)
    assert ae.require_calling_aet == ["C"]
    ae.require_calling_aet = []
    assert ae.require_calling_aet == []


def test_require_calling_aet_bytes_deprecated(ae: ApplicationEntity) -> None:
    with pytest.deprecated_call():
        ae.require_calling_aet = [b"B"]  # type: ignore[list-item]
    assert ae.require_calling_aet == ["B"]


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ([""], ValueError),
        (["A" * 17], ValueError),
        ([5], TypeError),
        ("ABC", TypeError),
    ],
)
def test_require_calling_aet_invalid(
    ae: ApplicationEntity, value: object, error: type[Exception]
) -> None:
    ae.require_calling_aet = ["KEEP"]
    with pytest.raises(error, match="require_calling_aet"):
        ae.require_calling_aet = value  # type: ignore[assignment]
    assert ae.require_calling_aet == ["KEEP"]


# -- implementation identity -----------------------------------------------------


def test_implementation_class_uid(ae: ApplicationEntity) -> None:
    ae.implementation_class_uid = "1.2.3.4"
    assert ae.implementation_class_uid == "1.2.3.4"
    assert isinstance(ae.implementation_class_uid, UID)
    ae.implementation_class_uid = b"1.2.3"  # type: ignore[assignment]
    assert ae.implementation_class_uid == "1.2.3"


@pytest.mark.parametrize("bad", ["", "1.2.03", "1.2.", "x" * 65])
def test_implementation_class_uid_must_conform(ae: ApplicationEntity, bad: str) -> None:
    with pytest.raises(ValueError, match="implementation_class_uid"):
        ae.implementation_class_uid = bad


@pytest.mark.parametrize("bad", [None, 5])
def test_implementation_class_uid_type_error(
    ae: ApplicationEntity, bad: object
) -> None:
    with pytest.raises(TypeError, match="implementation_class_uid"):
        ae.implementation_class_uid = bad  # type: ignore[assignment]


def test_implementation_version_name(ae: ApplicationEntity) -> None:
    ae.implementation_version_name = "MY_IMPL_1"
    assert ae.implementation_version_name == "MY_IMPL_1"
    ae.implementation_version_name = None
    assert ae.implementation_version_name is None


@pytest.mark.parametrize("bad", ["", "A" * 17, "A\\B"])
def test_implementation_version_name_value_error(
    ae: ApplicationEntity, bad: str
) -> None:
    with pytest.raises(ValueError, match="implementation_version_name"):
        ae.implementation_version_name = bad


@pytest.mark.parametrize("bad", [b"AB", 5])
def test_implementation_version_name_type_error(
    ae: ApplicationEntity, bad: object
) -> None:
    with pytest.raises(TypeError, match="implementation_version_name"):
        ae.implementation_version_name = bad  # type: ignore[assignment]


# -- requested contexts ----------------------------------------------------------


def _syntaxes(contexts: list[PresentationContext]) -> list[tuple[str, list[str]]]:
    return [(str(cx.abstract_syntax), list(cx.transfer_syntax)) for cx in contexts]


def test_add_requested_context(ae: ApplicationEntity) -> None:
    ae.add_requested_context(VERIFICATION)
    ae.add_requested_context(CT, IMPLICIT)
    ae.add_requested_context(CT, [EXPLICIT, EXPLICIT, BIG])
    assert _syntaxes(ae.requested_contexts) == [
        (VERIFICATION, DEFAULT_TRANSFER_SYNTAXES),
        (CT, [IMPLICIT]),
        (CT, [EXPLICIT, BIG]),
    ]
    assert all(cx.context_id is None for cx in ae.requested_contexts)
    assert all(isinstance(cx.abstract_syntax, UID) for cx in ae.requested_contexts)


def test_add_requested_context_limit(ae: ApplicationEntity) -> None:
    for index in range(MAX_REQUESTED_CONTEXTS):
        ae.add_requested_context(f"1.2.3.{index}")
    with pytest.raises(ValueError, match="128"):
        ae.add_requested_context(VERIFICATION)
    assert len(ae.requested_contexts) == 128


def test_requested_contexts_setter_appends(ae: ApplicationEntity) -> None:
    ae.add_requested_context(VERIFICATION)
    cx = build_context(CT, [IMPLICIT])
    cx.context_id = 5
    ae.requested_contexts = [cx]
    assert _syntaxes(ae.requested_contexts) == [
        (VERIFICATION, DEFAULT_TRANSFER_SYNTAXES),
        (CT, [IMPLICIT]),
    ]
    # A copy is stored, not the caller's object or its ID.
    assert ae.requested_contexts[1] is not cx
    assert ae.requested_contexts[1].context_id is None


@pytest.mark.parametrize("empty", [[], None, ()])
def test_requested_contexts_setter_falsy_clears(
    ae: ApplicationEntity, empty: object
) -> None:
    ae.add_requested_context(VERIFICATION)
    ae.requested_contexts = empty  # type: ignore[assignment]
    assert ae.requested_contexts == []


@pytest.mark.parametrize(
    "bad", [["1.2.3"], [build_context(CT), "x"], "1.2.3", 5, [PresentationContext()]]
)
def test_requested_contexts_setter_rejects_non_contexts(
    ae: ApplicationEntity, bad: object
) -> None:
    ae.add_requested_context(VERIFICATION)
    with pytest.raises(ValueError, match="PresentationContext"):
        ae.requested_contexts = bad  # type: ignore[assignment]
    assert len(ae.requested_contexts) == 1


def test_requested_contexts_setter_over_limit_changes_nothing(
    ae: ApplicationEntity,
) -> None:
    with pytest.raises(ValueError, match="128"):
        ae.requested_contexts = [build_context(f"1.2.{i}") for i in range(129)]
    ae.requested_contexts = [build_context(f"1.2.{i}") for i in range(100)]
    with pytest.raises(ValueError, match="128"):
        ae.requested_contexts = [build_context(f"1.3.{i}") for i in range(29)]
    assert len(ae.requested_contexts) == 100


def test_remove_requested_context(ae: ApplicationEntity) -> None:
    ae.add_requested_context(CT, [IMPLICIT, EXPLICIT])
    ae.add_requested_context(CT, [EXPLICIT])
    ae.add_requested_context(VERIFICATION)
    ae.remove_requested_context(CT, EXPLICIT)
    assert _syntaxes(ae.requested_contexts) == [
        (CT, [IMPLICIT]),
        (VERIFICATION, DEFAULT_TRANSFER_SYNTAXES),
    ]
    ae.remove_requested_context(VERIFICATION, [BIG, "1.2.9.9"])
    assert ae.requested_contexts[1].transfer_syntax == [
        ts for ts in DEFAULT_TRANSFER_SYNTAXES if ts != BIG
    ]
    ae.remove_requested_context(b"1.2.840.10008.1.1")
    ae.remove_requested_context("9.9.9")  # not there: silent
    assert _syntaxes(ae.requested_contexts) == [(CT, [IMPLICIT])]


def test_remove_requested_context_all_of_an_abstract_syntax(
    ae: ApplicationEntity,
) -> None:
    ae.add_requested_context(CT, [IMPLICIT])
    ae.add_requested_context(CT, [EXPLICIT])
    ae.remove_requested_context(UID(CT))
    assert ae.requested_contexts == []


# -- supported contexts ----------------------------------------------------------


def test_add_supported_context_merges(ae: ApplicationEntity) -> None:
    ae.add_supported_context(CT, IMPLICIT, scu_role=True, scp_role=True)
    ae.add_supported_context(CT, [EXPLICIT, IMPLICIT])
    (cx,) = ae.supported_contexts
    assert cx.transfer_syntax == [IMPLICIT, EXPLICIT]
    # Roles are replaced by the later call, None included.
    assert cx.scu_role is None
    assert cx.scp_role is None
    ae.add_supported_context(CT, scu_role=False, scp_role=True)
    (cx,) = ae.supported_contexts
    assert (cx.scu_role, cx.scp_role) == (False, True)
    assert cx.transfer_syntax == [
        IMPLICIT,
        EXPLICIT,
        *(ts for ts in DEFAULT_TRANSFER_SYNTAXES if ts not in {IMPLICIT, EXPLICIT}),
    ]


@pytest.mark.parametrize(("scu", "scp"), [(1, None), (None, "yes"), (0, False)])
def test_add_supported_context_role_type_error(
    ae: ApplicationEntity, scu: object, scp: object
) -> None:
    with pytest.raises(TypeError, match="role"):
        ae.add_supported_context(CT, scu_role=scu, scp_role=scp)  # type: ignore[arg-type]
    assert ae.supported_contexts == []


def test_supported_contexts_have_no_limit(ae: ApplicationEntity) -> None:
    for index in range(MAX_REQUESTED_CONTEXTS + 5):
        ae.add_supported_context(f"1.2.3.{index}")
    assert len(ae.supported_contexts) == 133


def test_supported_contexts_sorted_by_abstract_syntax(ae: ApplicationEntity) -> None:
    for uid in (MR, VERIFICATION, CT, "1.2.10", "1.2.9"):
        ae.add_supported_context(uid)
    names = [str(cx.abstract_syntax) for cx in ae.supported_contexts]
    assert names == sorted(names)


def test_supported_contexts_setter_merges_and_ignores_roles(
    ae: ApplicationEntity,
) -> None:
    ae.add_supported_context(CT, IMPLICIT)
    incoming = build_context(CT, [EXPLICIT])
    incoming.scu_role = True
    incoming.scp_role = True
    ae.supported_contexts = [incoming, build_context(VERIFICATION)]
    assert _syntaxes(ae.supported_contexts) == [
        (VERIFICATION, DEFAULT_TRANSFER_SYNTAXES),
        (CT, [IMPLICIT, EXPLICIT]),
    ]
    assert ae.supported_contexts[1].scu_role is None


def test_supported_contexts_setter_falsy_clears_and_validates(
    ae: ApplicationEntity,
) -> None:
    ae.add_supported_context(CT)
    with pytest.raises(ValueError, match="PresentationContext"):
        ae.supported_contexts = [CT]  # type: ignore[list-item]
    assert len(ae.supported_contexts) == 1
    ae.supported_contexts = []
    assert ae.supported_contexts == []


def test_remove_supported_context(ae: ApplicationEntity) -> None:
    ae.add_supported_context(CT, [IMPLICIT, EXPLICIT])
    ae.add_supported_context(VERIFICATION)
    ae.remove_supported_context(CT, [IMPLICIT])
    assert _syntaxes(ae.supported_contexts) == [
        (VERIFICATION, DEFAULT_TRANSFER_SYNTAXES),
        (CT, [EXPLICIT]),
    ]
    ae.remove_supported_context(CT, EXPLICIT)  # the last one: context goes
    ae.remove_supported_context(MR)  # not there: silent
    assert _syntaxes(ae.supported_contexts) == [
        (VERIFICATION, DEFAULT_TRANSFER_SYNTAXES)
    ]
    ae.remove_supported_context(VERIFICATION)
    assert ae.supported_contexts == []
    # Removal leaves the AE able to add the context again.
    ae.add_supported_context(VERIFICATION, IMPLICIT)
    assert _syntaxes(ae.supported_contexts) == [(VERIFICATION, [IMPLICIT])]


@given(
    st.lists(
        st.tuples(
            st.sampled_from([CT, MR, VERIFICATION]),
            st.lists(st.sampled_from([IMPLICIT, EXPLICIT, BIG]), min_size=1),
        ),
        max_size=10,
    )
)
def test_supported_contexts_union_of_additions(
    additions: list[tuple[str, list[str]]],
) -> None:
    ae = ApplicationEntity()
    expected: dict[str, list[str]] = {}
    for abstract, syntaxes in additions:
        ae.add_supported_context(abstract, syntaxes)
        merged = expected.setdefault(abstract, [])
        merged.extend(ts for ts in syntaxes if ts not in merged)
    assert _syntaxes(ae.supported_contexts) == sorted(expected.items())


# -- associations registry -------------------------------------------------------


def test_register_is_idempotent_and_unregister_silent(ae: ApplicationEntity) -> None:
    assoc = FakeAssociation()
    ae._register_association(assoc)
    ae._register_association(assoc)
    assert ae.active_associations == [assoc]
    ae._unregister_association(assoc)
    ae._unregister_association(assoc)
    assert ae.active_associations == []


def test_active_associations_is_a_snapshot(ae: ApplicationEntity) -> None:
    assoc = FakeAssociation()
    ae._register_association(assoc)
    snapshot = ae.active_associations
    snapshot.clear()
    assert ae.active_associations == [assoc]


def test_registry_is_thread_safe(ae: ApplicationEntity) -> None:
    # Not timing-based: many threads register and unregister concurrently and
    # the registry ends consistent.
    assocs = [FakeAssociation() for _ in range(400)]
    keep = assocs[::2]

    def work(chunk: list[FakeAssociation]) -> None:
        for assoc in chunk:
            ae._register_association(assoc)
        for assoc in chunk:
            if assoc not in keep:
                ae._unregister_association(assoc)

    threads = [threading.Thread(target=work, args=(assocs[i::8],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(map(id, ae.active_associations)) == sorted(map(id, keep))


# -- summary ---------------------------------------------------------------------


def test_str_summary(ae: ApplicationEntity) -> None:
    ae.add_requested_context(VERIFICATION)
    ae.add_supported_context(CT, IMPLICIT, scu_role=True, scp_role=False)
    ae.require_calling_aet = ["MODALITY"]
    ae.connection_timeout = 3
    ae.maximum_pdu_size = 0
    ae._register_association(FakeAssociation())
    text = str(ae)
    assert "Application Entity 'DICOMNET'" in text
    assert "Verification SOP Class" in text
    assert "CT Image Storage" in text
    assert "Implicit VR Little Endian" in text
    assert "SCU role: True, SCP role: False" in text
    assert "Require calling AE title: MODALITY" in text
    assert "Connection timeout: 3 s" in text
    assert "Maximum PDU size: unlimited" in text
    assert "Associations: 1/10" in text


def test_str_summary_empty(ae: ApplicationEntity) -> None:
    text = str(ae)
    assert text.count("(none)") == 2
    assert "Require calling AE title: (any)" in text
    assert "Connection timeout: none" in text
