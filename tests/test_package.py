"""The package's public names: pynetdicom's __all__ under the new name."""

from __future__ import annotations

import subprocess
import sys

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


# -- start-up cost: what ``import dicomnet`` loads, and what waits for first use --

# Modules a bare ``import dicomnet`` loaded before they became lazy: the SOP
# class and status tables, and every service but the dispatcher.
LAZY_MODULES = frozenset(
    {
        "dicomnet._sop_registry",
        "dicomnet._status_tables",
        "dicomnet.presentation_contexts",
        "dicomnet.service_class",
        "dicomnet.service_class_n",
        "dicomnet.sop_class",
        "dicomnet.status",
        "dicomnet.transport._prefork",
    }
    | {f"dicomnet.services.{name}" for name in dicomnet.services._LAZY_SUBMODULES}
)

_LIST_MODULES = (
    "import sys; print(sorted(m for m in sys.modules if m.startswith('dicomnet')))"
)


def _modules_after(code: str) -> set[str]:
    """Run `code` in a fresh interpreter; return the dicomnet modules it loaded."""
    done = subprocess.run(
        [sys.executable, "-c", f"{code}\n{_LIST_MODULES}"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    names: list[str] = eval(done.stdout.splitlines()[-1])  # a list's repr
    return set(names)


def test_import_dicomnet_does_not_load_the_lazy_modules() -> None:
    loaded = _modules_after("import dicomnet")
    assert "dicomnet.association" in loaded  # AE and Association stay eager
    assert not loaded & LAZY_MODULES, sorted(loaded & LAZY_MODULES)
    services = {name for name in loaded if name.startswith("dicomnet.services.")}
    assert services <= {"dicomnet.services._respond", "dicomnet.services._spool"}


_STORE_SCU = """
import os, tempfile
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian as EVRLE
from dicomnet import AE, evt
CT = "1.2.840.10008.5.1.4.1.1.2"
ds = Dataset()
ds.SOPClassUID, ds.SOPInstanceUID, ds.PatientName = CT, "1.2.3.4", "A^B"
ds.file_meta = FileMetaDataset()
ds.file_meta.TransferSyntaxUID = EVRLE
ds.file_meta.MediaStorageSOPClassUID = CT
ds.file_meta.MediaStorageSOPInstanceUID = "1.2.3.4"
path = os.path.join(tempfile.mkdtemp(), "ct.dcm")
ds.save_as(path, enforce_file_format=True)
scp = AE()
scp.add_supported_context(CT, EVRLE)
handlers = [(evt.EVT_C_STORE, lambda event: 0x0000)]
server = scp.start_server(("127.0.0.1", 0), block=False, evt_handlers=handlers)
ae = AE()
ae.add_requested_context(CT, EVRLE)
assoc = ae.associate("127.0.0.1", server.server_address[1])
assert assoc.is_established
assert assoc.send_c_store(path).Status == 0x0000
assoc.release()
server.shutdown()
"""


def test_a_storage_scu_and_scp_load_only_the_storage_service() -> None:
    loaded = _modules_after(_STORE_SCU)
    assert "dicomnet.services.storage" in loaded
    unused = LAZY_MODULES - {
        "dicomnet.services.storage",
        "dicomnet.services._status",
    }
    assert not loaded & unused, sorted(loaded & unused)


_PUBLIC_MODULES = """
import importlib, pkgutil, dicomnet
names = [
    m.name for m in pkgutil.walk_packages(dicomnet.__path__, "dicomnet.")
    if not any(part.startswith("_") for part in m.name.split("."))
]
# First the lazy path: a module's __all__ names, each resolved on first use.
lazy = {}
for module_name in names:
    module = importlib.import_module(module_name)
    for name in getattr(module, "__all__", ()):
        lazy[module_name, name] = getattr(module, name)
        assert name in dir(module), (module_name, name)
# Then every module imported: the same objects, by `from ... import`.
for module_name, name in lazy:
    space = {}
    exec(f"from {module_name} import {name} as value", space)
    assert space["value"] is lazy[module_name, name], (module_name, name)
print(len(names), len(lazy))
"""


def test_every_public_name_resolves_to_the_eagerly_imported_object() -> None:
    # In a fresh interpreter: this process has long loaded everything.
    done = subprocess.run(
        [sys.executable, "-c", _PUBLIC_MODULES],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    modules, names = map(int, done.stdout.split())
    assert modules > 40
    assert names > 500


def test_the_package_lists_and_resolves_its_lazy_names() -> None:
    listing = dir(dicomnet)
    assert set(dicomnet.__all__) <= set(listing)
    for name in dicomnet.__all__:
        space: dict[str, object] = {}
        exec(f"from dicomnet import {name} as value", space)
        assert space["value"] is getattr(dicomnet, name), name


@pytest.mark.parametrize(
    ("package", "attribute"),
    [
        ("dicomnet", "sop_class"),
        ("dicomnet", "status"),
        ("dicomnet", "service_class"),
        ("dicomnet.services", "storage"),
        ("dicomnet.services", "query_retrieve"),
        ("dicomnet.services", "normalized"),
    ],
)
def test_a_lazy_submodule_is_an_attribute_after_a_bare_import(
    package: str, attribute: str
) -> None:
    code = (
        f"import {package} as p\n"
        f"assert p.{attribute}.__name__ == '{package}.{attribute}'"
    )
    assert f"{package}.{attribute}" in _modules_after(code)


def test_the_services_package_has_no_other_lazy_names() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        _ = dicomnet.services.nothing
