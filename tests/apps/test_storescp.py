"""``dicomnet storescp`` in-process: options, file names, writing, failures.

The SCP runs through ``storescp.start`` and is stopped with ``ae.shutdown()``;
the SCU is the public API, so that only the SCP configures the logger. The
DCMTK and pynetdicom peers, and the SCP as a subprocess, are in
``test_store_interop.py``.
"""

from __future__ import annotations

import errno
import os
import stat
from contextlib import contextmanager
from typing import TYPE_CHECKING

import pytest
from pydicom import dcmread
from pydicom.uid import (
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEGBaseline8Bit,
)

from dicomnet import AE, build_context
from dicomnet.apps import storescp
from dicomnet.apps._common import app_logging
from dicomnet.sop_class import (
    BasicTextSRStorage,
    CTImageStorage,
    GrayscaleSoftcopyPresentationStateStorage,
    MRImageStorage,
    RTDoseStorage,
    SecondaryCaptureImageStorage,
    Verification,
)

from .conftest import LOOPBACK, TIMEOUT
from .test_storescu import write_instance

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


def options(*argv: str):
    return storescp.build_parser().parse_args(list(argv))


@contextmanager
def running(*argv: str) -> Iterator[int]:
    """Run the SCP on a free loopback port; yield the port."""
    ae, server = storescp.start(options("0", "-b", LOOPBACK, *argv))
    try:
        yield server.server_address[1]
    finally:
        ae.shutdown()


def store(port: int, *paths: Path) -> list[int]:
    """Send files with the public API; return the response statuses."""
    ae = AE("STORESCU")
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = TIMEOUT
    metas = [dcmread(path, stop_before_pixels=True).file_meta for path in paths]
    for meta in metas:
        ae.add_requested_context(meta.MediaStorageSOPClassUID, meta.TransferSyntaxUID)
    assoc = ae.associate(LOOPBACK, port, ae_title="STORESCP")
    assert assoc.is_established
    try:
        return [int(assoc.send_c_store(path).Status) for path in paths]
    finally:
        assoc.release()


def stored_name(path: Path, extension: str = "") -> str:
    meta = dcmread(path, stop_before_pixels=True).file_meta
    prefix = storescp.modality_prefix(meta.MediaStorageSOPClassUID)
    return f"{prefix}.{meta.MediaStorageSOPInstanceUID}{extension}"


def same_file(received: Path, original: Path) -> bool:
    """Same data set, same transfer syntax."""
    ours, theirs = dcmread(received), dcmread(original)
    return (
        ours == theirs
        and ours.file_meta.TransferSyntaxUID == theirs.file_meta.TransferSyntaxUID
        and ours.file_meta.MediaStorageSOPInstanceUID == theirs.SOPInstanceUID
    )


@pytest.fixture
def originals(tmp_path) -> list[Path]:
    source = tmp_path / "source"
    source.mkdir()
    return [
        write_instance(source, "ct.dcm", pixels=20000),
        write_instance(source, "mr.dcm", MRImageStorage, ImplicitVRLittleEndian),
        write_instance(source, "be.dcm", CTImageStorage, ExplicitVRBigEndian),
    ]


@pytest.fixture
def out(tmp_path) -> Path:
    directory = tmp_path / "out"
    directory.mkdir()
    return directory


# -- command line ----------------------------------------------------------------------


def test_defaults():
    opts = options()
    assert opts.port == 11112
    assert opts.aetitle == "STORESCP"
    assert str(opts.output_directory) == "."
    assert (opts.ignore, opts.unique, opts.chunked) == (False, False, True)
    assert opts.filename_extension == ""
    assert opts.syntaxes == (
        ImplicitVRLittleEndian,
        ExplicitVRLittleEndian,
        "1.2.840.10008.1.2.1.99",
        ExplicitVRBigEndian,
    )


@pytest.mark.parametrize(
    ("flags", "attribute", "value"),
    [
        (["+xi"], "syntaxes", (ImplicitVRLittleEndian,)),
        (["+uf"], "unique", True),
        (["+uf", "-uf"], "unique", False),
        (["-fe", ".dcm"], "filename_extension", ".dcm"),
        (["--no-chunked"], "chunked", False),
        (["--ignore"], "ignore", True),
        (["--max-associations", "2"], "max_associations", 2),
        (["-aet", "ME"], "aetitle", "ME"),
    ],
)
def test_options(flags, attribute, value):
    assert getattr(options(*flags, "104"), attribute) == value


def test_accept_all():
    syntaxes = options("+xa", "104").syntaxes
    assert JPEGBaseline8Bit in syntaxes
    assert ExplicitVRLittleEndian in syntaxes


@pytest.mark.parametrize(
    "argv",
    [["70000"], ["port"], ["+xa", "+xi"], ["-aet", "A" * 17], ["104", "105"]],
)
def test_usage_errors(capsys, argv):
    assert storescp.main(argv) == 2
    assert "usage: dicomnet storescp" in capsys.readouterr().err


def test_missing_output_directory(tmp_path, capsys):
    missing = tmp_path / "missing"
    assert storescp.main(["-od", str(missing), "0"]) == 2
    assert capsys.readouterr().err == (
        f"E: The output directory {missing} does not exist\n"
    )


def test_port_in_use(capsys):
    with running() as port:
        assert storescp.main(["-b", LOOPBACK, str(port)]) == 5
    assert f"E: Cannot listen on {LOOPBACK} port {port}: " in capsys.readouterr().err


# -- file names --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sop_class", "prefix"),
    [
        (CTImageStorage, "CT"),
        ("1.2.840.10008.5.1.4.1.1.2.1", "CT"),  # Enhanced CT
        (MRImageStorage, "MR"),
        (RTDoseStorage, "RTDOSE"),
        (BasicTextSRStorage, "SR"),
        ("1.2.840.10008.5.1.4.1.1.88.67", "SR"),  # X-Ray Radiation Dose SR
        (SecondaryCaptureImageStorage, "SC"),
        (GrayscaleSoftcopyPresentationStateStorage, "PR"),
        ("1.2.840.10008.5.1.4.1.1.1.2", "MG"),  # Digital Mammography
        ("1.2.840.10008.5.1.4.1.1.1.1", "DX"),  # Digital X-Ray
        ("1.2.840.10008.5.1.4.1.1.128", "PT"),
        ("1.2.826.0.1.3680043.9999.1", "OT"),  # unknown
    ],
)
def test_modality_prefix(sop_class, prefix):
    assert storescp.modality_prefix(sop_class) == prefix


def test_instance_filename():
    assert storescp.instance_filename(CTImageStorage, "1.2.3") == "CT.1.2.3"
    assert storescp.instance_filename(MRImageStorage, "1.2", ".dcm") == "MR.1.2.dcm"
    # A peer's UID never names another directory.
    assert storescp.instance_filename(CTImageStorage, "../../etc/x") == "CT..._..______"
    assert storescp.instance_filename(CTImageStorage, "") == "CT._"


# -- storing -------------------------------------------------------------------------------


@pytest.mark.parametrize("chunked", [True, False])
def test_stores_each_instance_as_a_file(originals, out, chunked):
    with storescp.chunked_receiving(chunked), running("-od", str(out)) as port:
        assert store(port, *originals) == [0, 0, 0]
    names = sorted(path.name for path in out.iterdir())
    assert names == sorted(stored_name(path) for path in originals)
    for original in originals:
        received = out / stored_name(original)
        assert same_file(received, original)
        # Temporary files are private; stored ones follow the umask.
        umask = os.umask(0o022)
        os.umask(umask)
        assert stat.S_IMODE(received.stat().st_mode) == 0o666 & ~umask


def test_chunked_moves_the_spooled_file(originals, out, monkeypatch):
    def fail(handle, data):
        raise AssertionError("written from memory")

    monkeypatch.setattr(storescp, "_write", fail)
    with storescp.chunked_receiving(True), running("-od", str(out)) as port:
        assert store(port, originals[0]) == [0]
    assert same_file(out / stored_name(originals[0]), originals[0])


def test_verbose_logs_each_instance(originals, out, capsys):
    opts = options("0", "-b", LOOPBACK, "-od", str(out), "-v")
    with app_logging(opts, "warn"):
        ae, server = storescp.start(opts)
        try:
            store(server.server_address[1], originals[0])
        finally:
            ae.shutdown()
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == (
        f"I: Listening on {LOOPBACK} port {server.server_address[1]} as STORESCP, "
        f"storing in {out}"
    )
    stored = [line for line in lines if line.startswith("I: Stored ")]
    assert len(stored) == 1
    assert stored[0].startswith(
        f"I: Stored {out / stored_name(originals[0])} from STORESCU ({LOOPBACK} port "
    )
    assert stored[0].endswith(") (MsgID 1)")


def test_ignore_writes_nothing(originals, out):
    with running("-od", str(out), "--ignore") as port:
        assert store(port, *originals) == [0, 0, 0]
    assert list(out.iterdir()) == []


def test_same_instance_replaces_by_default(originals, out):
    with running("-od", str(out), "-fe", ".dcm") as port:
        assert store(port, originals[0], originals[0]) == [0, 0]
    assert [path.name for path in out.iterdir()] == [stored_name(originals[0], ".dcm")]


def test_unique_filenames_keep_both(originals, out):
    with running("-od", str(out), "+uf", "-fe", ".dcm") as port:
        assert store(port, originals[0], originals[0], originals[0]) == [0, 0, 0]
    name = stored_name(originals[0])
    assert sorted(path.name for path in out.iterdir()) == [
        f"{name}-1.dcm",
        f"{name}-2.dcm",
        f"{name}.dcm",
    ]


@pytest.mark.parametrize("chunked", [True, False])
def test_full_disk_is_out_of_resources(originals, out, monkeypatch, caplog, chunked):
    def full(handle, data):
        handle.write(data[:100])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def full_copy(source, target):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(storescp, "_write", full)
    monkeypatch.setattr(storescp, "_move", full_copy)
    with storescp.chunked_receiving(chunked), running("-od", str(out)) as port:
        assert store(port, *originals) == [0xA700] * 3
    # No partial file left behind, not even a temporary one.
    assert list(out.iterdir()) == []
    assert "no space left on device" in caplog.text


def test_other_write_errors_are_out_of_resources_too(originals, out, caplog):
    with running("-od", str(out)) as port:
        out.rmdir()
        assert store(port, originals[0]) == [0xA700]
    assert f"Cannot store {stored_name(originals[0])} in {out}: " in caplog.text


# -- negotiation ---------------------------------------------------------------------------


def negotiate(port: int, *syntaxes: str) -> list[str]:
    ae = AE("STORESCU")
    ae.acse_timeout = TIMEOUT
    contexts = [build_context(CTImageStorage, [syntax]) for syntax in syntaxes]
    contexts.append(build_context(Verification))
    assoc = ae.associate(LOOPBACK, port, contexts=contexts)
    assert assoc.is_established
    try:
        assert int(assoc.send_c_echo().Status) == 0
        return [str(cx.transfer_syntax[0]) for cx in assoc.accepted_contexts]
    finally:
        assoc.release()


def test_accepts_uncompressed_syntaxes_and_echo(out):
    with running("-od", str(out)) as port:
        accepted = negotiate(port, JPEGBaseline8Bit, ExplicitVRLittleEndian)
    assert accepted == [ExplicitVRLittleEndian, ImplicitVRLittleEndian]


def test_accept_all_takes_compressed_syntaxes(out):
    with running("-od", str(out), "+xa") as port:
        accepted = negotiate(port, JPEGBaseline8Bit)
    assert accepted == [JPEGBaseline8Bit, ImplicitVRLittleEndian]


def test_implicit_only(out):
    with running("-od", str(out), "+xi") as port:
        accepted = negotiate(port, ExplicitVRLittleEndian, ImplicitVRLittleEndian)
    assert accepted == [ImplicitVRLittleEndian, ImplicitVRLittleEndian]


def test_require_called_aet(out):
    with running("-od", str(out), "--require-called-aet") as port:
        ae = AE("STORESCU")
        ae.acse_timeout = TIMEOUT
        ae.add_requested_context(Verification)
        assoc = ae.associate(LOOPBACK, port, ae_title="SOMEONE")
    assert assoc.is_rejected
