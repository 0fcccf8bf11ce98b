"""The package's public names: pynetdicom's __all__ under the new name."""

from __future__ import annotations

import pytest

import dicomnet


def test_every_name_in_all_is_importable() -> None:
    for name in dicomnet.__all__:
        assert getattr(dicomnet, name) is not None, name


def test_context_lists_load_on_first_use_with_pynetdicom_counts() -> None:
    assert len(dicomnet.VerificationPresentationContexts) == 1
    assert len(dicomnet.StoragePresentationContexts) == 120
    assert len(dicomnet.QueryRetrievePresentationContexts) == 13


def test_register_uid_is_reachable_from_the_package() -> None:
    from dicomnet._sop_registry import register_uid

    assert dicomnet.register_uid is register_uid


def test_unknown_names_raise_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'NoSuchThing'"):
        _ = dicomnet.NoSuchThing  # type: ignore[attr-defined]


def test_the_implementation_identity_is_dicomnets() -> None:
    assert dicomnet.DICOMNET_IMPLEMENTATION_UID.startswith(dicomnet.DICOMNET_UID_PREFIX)
    assert dicomnet.DICOMNET_IMPLEMENTATION_UID.is_valid
    assert (
        dicomnet.AE().implementation_class_uid == dicomnet.DICOMNET_IMPLEMENTATION_UID
    )
