"""``dicomnet storescu`` in-process: options, input files, contexts, exit statuses.

The peers are dicomnet Storage SCPs built with the public API in this process;
the DCMTK and pynetdicom peers are in ``test_store_interop.py``. The helpers
here (``write_instance``, ``storage_scp``) are shared with the other store
test modules.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, cast

import pytest
from pydicom import dcmread
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_dataset
from pydicom.uid import (
    UID,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEGBaseline8Bit,
    generate_uid,
)

from dicomnet import AE, AllStoragePresentationContexts, evt
from dicomnet.apps import _progress, storescp, storescu
from dicomnet.sop_class import CTImageStorage, MRImageStorage, Verification

from .conftest import LOOPBACK, TIMEOUT

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

UNCOMPRESSED = [ExplicitVRLittleEndian, ImplicitVRLittleEndian, ExplicitVRBigEndian]


# -- helpers shared with test_storescp and test_store_interop -------------------------


def make_dataset(
    sop_class: str = CTImageStorage,
    syntax: str = ExplicitVRLittleEndian,
    pixels: int = 512,
) -> Dataset:
    """A small image data set with its File Meta Information."""
    ds = Dataset()
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = generate_uid()
    ds.PatientName = "Store^Test"
    ds.PatientID = "STORE"
    ds.Rows = max(1, pixels // 512)
    ds.Columns = 256
    ds.BitsAllocated = 16
    ds.PixelData = bytes(range(256)) * (pixels // 256)
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = UID(sop_class)
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta.TransferSyntaxUID = UID(syntax)
    return ds


def write_instance(
    directory: Path,
    name: str,
    sop_class: str = CTImageStorage,
    syntax: str = ExplicitVRLittleEndian,
    pixels: int = 512,
) -> Path:
    """Write a Part 10 file (PS3.10 7) and return its path."""
    path = directory / name
    make_dataset(sop_class, syntax, pixels).save_as(path, enforce_file_format=True)
    return path


def write_bare_dataset(directory: Path, name: str, *, implicit: bool = True) -> Path:
    """Write a data set without File Meta Information (what ``-f`` reads)."""
    ds = make_dataset()
    del ds.file_meta
    out = DicomBytesIO()
    out.is_little_endian, out.is_implicit_VR = True, implicit
    write_dataset(out, ds)
    path = directory / name
    path.write_bytes(out.getvalue())
    return path


@dataclass
class Received:
    """What a storage SCP in this process saw."""

    ae: AE
    port: int
    datasets: list[Dataset] = field(default_factory=list)
    syntaxes: list[str] = field(default_factory=list)
    message_ids: list[int] = field(default_factory=list)
    associations: int = 0
    ends: list[str] = field(default_factory=list)
    closed: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(0))

    def wait_closed(self, count: int = 1) -> list[str]:
        for _ in range(count):
            assert self.closed.acquire(timeout=TIMEOUT), "connection still open"
        return self.ends


@contextmanager
def storage_scp(
    *,
    status: int | Sequence[int] = 0x0000,
    sop_classes: Sequence[str] | None = None,
    syntaxes: Sequence[str] = UNCOMPRESSED,
    handlers: Sequence[Any] = (),
    **settings: Any,
) -> Iterator[Received]:
    """A dicomnet Storage SCP answering ``status`` (one per request, in turn)."""
    ae = AE("STORESCP")
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = TIMEOUT
    for name, value in settings.items():
        setattr(ae, name, value)
    classes = sop_classes or [
        str(cx.abstract_syntax) for cx in AllStoragePresentationContexts
    ]
    for uid in classes:
        ae.add_supported_context(uid, list(syntaxes))
    ae.add_supported_context(Verification)
    peer = Received(ae, 0)
    statuses = [status] if isinstance(status, int) else list(status)

    def on_store(event: evt.Event) -> int:
        peer.datasets.append(event.dataset)
        context = getattr(event, "context")  # noqa: B009  (a dynamic attribute)
        peer.syntaxes.append(str(context.transfer_syntax))
        peer.message_ids.append(event.message_id)
        return statuses[min(len(peer.datasets), len(statuses)) - 1]

    def on_accepted(event: evt.Event) -> None:
        peer.associations += 1

    def on_end(event: evt.Event) -> None:
        peer.ends.append(event.event.name)

    bound = [
        (evt.EVT_C_STORE, on_store),
        (evt.EVT_ACCEPTED, on_accepted),
        (evt.EVT_RELEASED, on_end),
        (evt.EVT_ABORTED, on_end),
        (evt.EVT_CONN_CLOSE, lambda event: peer.closed.release()),
        *handlers,
    ]
    server = ae.start_server((LOOPBACK, 0), block=False, evt_handlers=bound)
    assert server is not None
    peer.port = server.server_address[1]
    try:
        yield peer
    finally:
        ae.shutdown()


def same_dataset(received: Dataset, path: Path) -> bool:
    """Whether a received data set equals the one in a file, element by element."""
    original = dcmread(path)
    return received == original and bytes(received.PixelData) == bytes(
        original.PixelData
    )


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    status = storescu.main(list(argv))
    return status, capsys.readouterr().err


# -- command line ----------------------------------------------------------------------


def test_defaults():
    options = storescu.build_parser().parse_args([LOOPBACK, "104", "a.dcm"])
    assert (options.aetitle, options.call) == ("STORESCU", "ANY-SCP")
    assert options.files == ["a.dcm"]
    assert options.read_mode == "auto"
    assert options.proposal == "local"
    assert (options.halt, options.chunked, options.combine) == (True, True, False)
    assert (options.scan_directories, options.recurse, options.repeat) == (
        False,
        False,
        1,
    )
    assert options.progress is None


@pytest.mark.parametrize(
    ("flags", "attribute", "value"),
    [
        (["-xe"], "proposal", "little"),
        (["-xb"], "proposal", "big"),
        (["-xi"], "proposal", "implicit"),
        (["-xi", "-x="], "proposal", "local"),
        (["+fo"], "read_mode", "file"),
        (["-f"], "read_mode", "dataset"),
        (["+r"], "recurse", True),
        (["+r", "-r"], "recurse", False),
        (["-nh"], "halt", False),
        (["--no-chunked"], "chunked", False),
        (["+C"], "combine", True),
        (["--progress"], "progress", True),
        (["--no-progress"], "progress", False),
        (["--repeat", "3"], "repeat", 3),
        (["-to", "2.5"], "timeout", 2.5),
    ],
)
def test_options(flags, attribute, value):
    options = storescu.build_parser().parse_args([*flags, LOOPBACK, "104", "a.dcm"])
    assert getattr(options, attribute) == value


@pytest.mark.parametrize(
    "argv",
    [
        [LOOPBACK, "104"],
        [LOOPBACK, "port", "a.dcm"],
        ["--repeat", "0", LOOPBACK, "104", "a.dcm"],
        ["-aet", "A" * 17, LOOPBACK, "104", "a.dcm"],
        ["+f", "+fo", LOOPBACK, "104", "a.dcm"],
        ["--progress", "--no-progress", LOOPBACK, "104", "a.dcm"],
        ["-xz", LOOPBACK, "104", "a.dcm"],
    ],
)
def test_usage_errors(capsys, argv):
    assert storescu.main(argv) == 2
    assert "usage: dicomnet storescu" in capsys.readouterr().err


def test_scan_pattern_needs_scan_directories(tmp_path, capsys):
    status, err = run(capsys, "+sp", "*.dcm", LOOPBACK, "104", str(tmp_path))
    assert status == 2
    assert err == "E: +sp (--scan-pattern) needs +sd (--scan-directories)\n"


# -- input files -----------------------------------------------------------------------


def test_find_files(tmp_path, caplog):
    (tmp_path / "sub").mkdir()
    for name in ("b.dcm", "a.dcm", "notes.txt", "sub/c.dcm"):
        (tmp_path / name).write_bytes(b"")
    single = tmp_path / "notes.txt"
    names = [str(single), str(tmp_path)]
    flat = storescu.find_files(names, scan=True, recurse=False, pattern=None)
    assert flat == [single, tmp_path / "a.dcm", tmp_path / "b.dcm", single]
    deep = storescu.find_files(names, scan=True, recurse=True, pattern="*.dcm")
    assert deep == [
        single,
        tmp_path / "a.dcm",
        tmp_path / "b.dcm",
        tmp_path / "sub/c.dcm",
    ]
    assert storescu.find_files(names, scan=False, recurse=True, pattern=None) == [
        single
    ]
    assert "Ignoring directory" in caplog.text


def test_read_instance_reads_the_meta(tmp_path):
    path = write_instance(tmp_path, "mr.dcm", MRImageStorage, ExplicitVRBigEndian)
    instance = storescu.read_instance(path, "auto")
    ds = dcmread(path)
    assert instance.sop_class == MRImageStorage
    assert instance.sop_instance == ds.SOPInstanceUID
    assert instance.transfer_syntax == ExplicitVRBigEndian
    assert instance.has_meta
    assert instance.size == path.stat().st_size


@pytest.mark.parametrize(
    ("implicit", "syntax"),
    [(True, ImplicitVRLittleEndian), (False, ExplicitVRLittleEndian)],
)
def test_read_instance_of_a_bare_data_set(tmp_path, implicit, syntax):
    path = write_bare_dataset(tmp_path, "bare", implicit=implicit)
    for mode in ("auto", "dataset"):
        instance = storescu.read_instance(path, mode)
        assert (instance.sop_class, instance.transfer_syntax) == (
            CTImageStorage,
            syntax,
        )
        assert not instance.has_meta
    with pytest.raises(storescu.NotDicomError, match="File Meta Information"):
        storescu.read_instance(path, "file")


@pytest.mark.parametrize(
    "content",
    [b"", b"hello, world\n", bytes(128) + b"DICM" + bytes(range(256)) * 4],
)
def test_read_instance_refuses_other_files(tmp_path, content):
    path = tmp_path / "junk"
    path.write_bytes(content)
    for mode in ("auto", "file", "dataset"):
        with pytest.raises(storescu.NotDicomError):
            storescu.read_instance(path, mode)


def test_read_instance_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        storescu.read_instance(tmp_path / "nothing", "auto")


# -- presentation contexts -----------------------------------------------------------


def instance(sop_class: str, syntax: str, name: str = "x") -> storescu.Instance:
    uids = UID(sop_class), generate_uid(), UID(syntax)
    return storescu.Instance(Path(name), *uids, has_meta=True, size=1)


def summary(plan) -> list[tuple[str, list[str]]]:
    return [(str(cx.abstract_syntax), list(cx.transfer_syntax)) for cx in plan.contexts]


def test_plan_one_context_per_sop_class_and_foreign_syntax():
    local = storescu.PROPOSALS["local"]
    instances = [
        instance(CTImageStorage, ImplicitVRLittleEndian, "a"),
        instance(MRImageStorage, ExplicitVRLittleEndian, "b"),
        instance(CTImageStorage, ExplicitVRLittleEndian, "c"),
        instance(CTImageStorage, JPEGBaseline8Bit, "d"),
        instance(CTImageStorage, ExplicitVRBigEndian, "e"),
    ]
    [plan] = storescu.plan_associations(instances, local)
    assert summary(plan) == [
        (CTImageStorage, list(local)),
        (CTImageStorage, [JPEGBaseline8Bit]),
        (CTImageStorage, [ExplicitVRBigEndian]),
        (MRImageStorage, list(local)),
    ]
    assert [each.path.name for each in plan.instances] == ["a", "b", "c", "d", "e"]


def test_plan_combined():
    implicit = storescu.PROPOSALS["implicit"]
    instances = [
        instance(CTImageStorage, JPEGBaseline8Bit),
        instance(CTImageStorage, ExplicitVRLittleEndian),
        instance(MRImageStorage, JPEGBaseline8Bit),
    ]
    [plan] = storescu.plan_associations(instances, implicit, combine=True)
    assert summary(plan) == [
        (CTImageStorage, [JPEGBaseline8Bit, ImplicitVRLittleEndian]),
        (MRImageStorage, [JPEGBaseline8Bit]),
    ]


def test_plan_splits_beyond_128_contexts_without_splitting_a_class():
    classes = [f"1.2.826.0.1.3680043.9999.{n}" for n in range(127)]
    instances = [instance(uid, ExplicitVRLittleEndian) for uid in classes]
    # The last class needs two contexts: 127 + 2 > 128.
    instances += [
        instance(CTImageStorage, ExplicitVRLittleEndian),
        instance(CTImageStorage, JPEGBaseline8Bit),
    ]
    first, second = storescu.plan_associations(instances, storescu.PROPOSALS["local"])
    assert len(first.contexts) == 127
    assert len(second.contexts) == 2
    assert len(first.instances) == 127
    assert [each.sop_class for each in second.instances] == [CTImageStorage] * 2


def test_proposals_put_the_named_syntax_first():
    assert storescu.PROPOSALS["little"][0] == ExplicitVRLittleEndian
    assert storescu.PROPOSALS["big"][0] == ExplicitVRBigEndian
    assert storescu.PROPOSALS["implicit"] == (ImplicitVRLittleEndian,)
    assert set(storescu.PROPOSALS["local"]) == set(UNCOMPRESSED)


# -- sending -------------------------------------------------------------------------


def test_sends_every_file_and_is_silent(tmp_path, capsys):
    paths = [
        write_instance(tmp_path, "ct1.dcm"),
        write_instance(tmp_path, "mr.dcm", MRImageStorage, ImplicitVRLittleEndian),
        write_instance(tmp_path, "ct2.dcm", CTImageStorage, ExplicitVRBigEndian),
    ]
    with storage_scp() as peer:
        status, err = run(capsys, LOOPBACK, str(peer.port), *map(str, paths))
        assert peer.wait_closed() == ["EVT_RELEASED"]
    assert (status, err) == (0, "")
    assert peer.message_ids == [1, 2, 3]
    assert all(map(same_dataset, peer.datasets, paths))
    # Each went in its own transfer syntax: the big endian one has a context.
    assert peer.syntaxes == [
        ExplicitVRLittleEndian,
        ExplicitVRLittleEndian,
        ExplicitVRBigEndian,
    ]


def test_verbose_reports_each_file_and_a_summary(tmp_path, capsys):
    path = write_instance(tmp_path, "ct.dcm")
    with storage_scp() as peer:
        status, err = run(capsys, "-v", LOOPBACK, str(peer.port), str(path))
    assert status == 0
    lines = err.splitlines()
    assert f"I: Requesting Association with {LOOPBACK} port {peer.port}" in lines
    assert f"I: Sending Store Request: MsgID 1, {path} (CT Image Storage)" in lines
    assert "I: Received Store Response: Success" in lines
    assert lines[-1] == (
        "I: 1 of 1 instances stored (0 with warnings), 0 failed, 0 not sent; "
        "0 input files were not DICOM"
    )


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ((), ExplicitVRLittleEndian),
        (("-xe",), ExplicitVRLittleEndian),
        (("-xb",), ExplicitVRBigEndian),
        (("-xi",), ImplicitVRLittleEndian),
    ],
)
def test_proposed_syntaxes_for_uncompressed_files(tmp_path, capsys, flags, expected):
    # The SCP accepts the requestor's first choice among its own.
    path = write_instance(tmp_path, "ct.dcm", syntax=ImplicitVRLittleEndian)
    with storage_scp() as peer:
        status, _ = run(capsys, *flags, LOOPBACK, str(peer.port), str(path))
    if expected == ExplicitVRBigEndian:
        # The library re-encodes within one byte order only: little endian
        # data cannot go in a big endian context.
        assert status == 1
        return
    assert status == 0
    assert peer.syntaxes == [expected]
    assert same_dataset(peer.datasets[0], path)


def test_chunked_streams_without_decoding(tmp_path, capsys, monkeypatch):
    path = write_instance(tmp_path, "ct.dcm", pixels=40000)

    def no_decoding(instance):
        raise ValueError("decoded")

    monkeypatch.setattr(storescu, "_decode", no_decoding)
    with storage_scp(maximum_pdu_size=4096) as peer:
        assert run(capsys, LOOPBACK, str(peer.port), str(path))[0] == 0
        # --no-chunked decodes: here it cannot.
        status, err = run(capsys, "--no-chunked", LOOPBACK, str(peer.port), str(path))
    assert (status, err.splitlines()[0]) == (1, f"E: Store of {path} failed: decoded")
    assert len(peer.datasets) == 1
    assert same_dataset(peer.datasets[0], path)


def test_no_chunked_still_sends(tmp_path, capsys):
    path = write_instance(tmp_path, "ct.dcm")
    with storage_scp() as peer:
        assert run(capsys, "--no-chunked", LOOPBACK, str(peer.port), str(path))[0] == 0
    assert same_dataset(peer.datasets[0], path)


def test_bare_data_sets_are_sent(tmp_path, capsys):
    path = write_bare_dataset(tmp_path, "bare", implicit=False)
    with storage_scp() as peer:
        assert run(capsys, "-f", LOOPBACK, str(peer.port), str(path))[0] == 0
    assert peer.datasets[0].SOPInstanceUID == dcmread(path, force=True).SOPInstanceUID


def test_failure_status_halts(tmp_path, capsys):
    paths = [str(write_instance(tmp_path, f"{n}.dcm")) for n in range(3)]
    with storage_scp(status=0xA700) as peer:
        status, err = run(capsys, LOOPBACK, str(peer.port), *paths)
        assert peer.wait_closed() == ["EVT_RELEASED"]
    assert status == 1
    assert len(peer.datasets) == 1
    assert err.splitlines() == [
        f"E: Store of {paths[0]} failed: status 0xA700 (Failure: Refused: out of resources)",
        (
            "W: 0 of 3 instances stored (0 with warnings), 1 failed, 2 not sent; "
            "0 input files were not DICOM"
        ),
    ]


def test_no_halt_carries_on(tmp_path, capsys):
    paths = [str(write_instance(tmp_path, f"{n}.dcm")) for n in range(3)]
    with storage_scp(status=[0x0000, 0xA700, 0x0000]) as peer:
        status, err = run(capsys, "-nh", LOOPBACK, str(peer.port), *paths)
    assert status == 1
    assert len(peer.datasets) == 3
    assert "2 of 3 instances stored (0 with warnings), 1 failed, 0 not sent" in err


def test_warning_status_counts_as_stored(tmp_path, capsys):
    path = str(write_instance(tmp_path, "ct.dcm"))
    with storage_scp(status=0xB000) as peer:
        status, err = run(capsys, LOOPBACK, str(peer.port), path)
    assert status == 0
    assert err.splitlines()[0] == (
        f"W: Stored {path} with a warning: status 0xB000 (Coercion of data elements)"
    )


def test_context_refused_by_the_peer(tmp_path, capsys):
    ct = str(write_instance(tmp_path, "ct.dcm"))
    mr = str(write_instance(tmp_path, "mr.dcm", MRImageStorage))
    with storage_scp(sop_classes=[CTImageStorage]) as peer:
        status, err = run(capsys, "-nh", LOOPBACK, str(peer.port), mr, ct)
    assert status == 1
    assert len(peer.datasets) == 1
    assert (
        f"E: Store of {mr} failed: no presentation context accepted for "
        "MR Image Storage in Explicit VR Little Endian"
    ) in err


def test_non_dicom_files_are_skipped(tmp_path, capsys):
    junk = tmp_path / "junk.txt"
    junk.write_text("not DICOM")
    path = str(write_instance(tmp_path, "ct.dcm"))
    with storage_scp() as peer:
        status, err = run(capsys, LOOPBACK, str(peer.port), str(junk), path)
    assert status == 0
    assert len(peer.datasets) == 1
    assert err.splitlines()[0].startswith(f"W: Ignoring {junk}: not a DICOM file (")
    assert "1 input files were not DICOM" in err


def test_read_file_only_makes_them_errors(tmp_path, capsys):
    bare = str(write_bare_dataset(tmp_path, "bare"))
    path = str(write_instance(tmp_path, "ct.dcm"))
    with storage_scp() as peer:
        halted, err = run(capsys, "+fo", LOOPBACK, str(peer.port), bare, path)
        assert peer.datasets == []
        carried_on, _ = run(capsys, "+fo", "-nh", LOOPBACK, str(peer.port), bare, path)
    assert (halted, carried_on) == (1, 1)
    assert err.splitlines()[0].startswith(f"E: {bare} is not a DICOM file: ")
    assert (
        err.splitlines()[-1]
        == "E: Nothing sent: bad input files (-nh sends the others)"
    )
    assert len(peer.datasets) == 1


def test_missing_file_is_an_error(tmp_path, capsys):
    status, err = run(capsys, LOOPBACK, "104", str(tmp_path / "nothing.dcm"))
    assert status == 1
    assert err.startswith(f"E: Cannot read {tmp_path / 'nothing.dcm'}: ")


def test_nothing_to_send(tmp_path, capsys):
    junk = tmp_path / "junk"
    junk.write_bytes(b"\x00")
    status, err = run(capsys, LOOPBACK, "104", str(junk))
    assert status == 1
    assert err.splitlines()[-1] == "E: No DICOM files to send"


def test_scanned_directories(tmp_path, capsys):
    (tmp_path / "a" / "b").mkdir(parents=True)
    write_instance(tmp_path / "a", "1.dcm")
    write_instance(tmp_path / "a" / "b", "2.dcm")
    write_instance(tmp_path / "a" / "b", "3.img")
    with storage_scp() as peer:
        flat, _ = run(capsys, "+sd", LOOPBACK, str(peer.port), str(tmp_path / "a"))
        deep, _ = run(
            capsys, "+sd", "+r", "+sp", "*.dcm", LOOPBACK, str(peer.port), str(tmp_path)
        )
    assert (flat, deep) == (0, 0)
    assert len(peer.datasets) == 1 + 2


def test_repeat_and_message_ids(tmp_path, capsys):
    paths = [str(write_instance(tmp_path, f"{n}.dcm")) for n in range(2)]
    with storage_scp() as peer:
        status, _ = run(capsys, "--repeat", "3", LOOPBACK, str(peer.port), *paths)
    assert status == 0
    assert peer.message_ids == [1, 2, 3, 4, 5, 6]
    assert peer.associations == 1


def test_abort_instead_of_release(tmp_path, capsys):
    path = str(write_instance(tmp_path, "ct.dcm"))
    with storage_scp() as peer:
        status, _ = run(capsys, "--abort", LOOPBACK, str(peer.port), path)
        assert peer.wait_closed() == ["EVT_ABORTED"]
    assert status == 0


def test_more_than_128_contexts_take_several_associations(tmp_path, capsys):
    classes = [str(cx.abstract_syntax) for cx in AllStoragePresentationContexts][:130]
    paths = [
        str(write_instance(tmp_path, f"{n}.dcm", uid, pixels=0))
        for n, uid in enumerate(classes)
    ]
    with storage_scp(syntaxes=[ExplicitVRLittleEndian]) as peer:
        status, _ = run(capsys, LOOPBACK, str(peer.port), *paths)
    assert status == 0
    assert peer.associations == 2
    assert sorted(str(ds.SOPClassUID) for ds in peer.datasets) == sorted(classes)


def test_rejected_association(tmp_path, capsys):
    path = str(write_instance(tmp_path, "ct.dcm"))
    with storage_scp(require_called_aet=True) as peer:
        status, err = run(capsys, "-aec", "SOMEONE", LOOPBACK, str(peer.port), path)
    assert status == 3
    assert err.splitlines()[0] == (
        "E: Association rejected: called AE title not recognized "
        "(result 1, source 1, reason 7)"
    )


def test_connection_refused(tmp_path, capsys, closed_port):
    path = str(write_instance(tmp_path, "ct.dcm"))
    status, err = run(capsys, LOOPBACK, str(closed_port), path)
    assert status == 5
    assert f"E: Cannot connect to {LOOPBACK} port {closed_port}" in err
    assert "0 of 1 instances stored (0 with warnings), 0 failed, 1 not sent" in err


def test_peer_aborts_during_the_store(tmp_path, capsys):
    def abort(event: evt.Event) -> int:
        event.assoc.abort()
        return 0

    path = str(write_instance(tmp_path, "ct.dcm"))
    with storage_scp(handlers=[(evt.EVT_C_STORE, abort)]) as peer:
        status, err = run(capsys, LOOPBACK, str(peer.port), path, path)
    assert status == 4
    assert "E: Association aborted" in err


# -- progress bar ----------------------------------------------------------------------


def test_progress_bar_when_asked(tmp_path, capsys):
    paths = [str(write_instance(tmp_path, f"{n}.dcm")) for n in range(2)]
    with storage_scp() as peer:
        status, err = run(capsys, "--progress", LOOPBACK, str(peer.port), *paths)
        assert status == 0
        assert "2/2 files" in err
        assert "B/s" in err
        # Not a terminal: no bar unless asked.
        status, err = run(capsys, LOOPBACK, str(peer.port), *paths)
        assert (status, err) == (0, "")


def test_progress_keeps_log_lines_whole(tmp_path, capsys):
    paths = [str(write_instance(tmp_path, f"{n}.dcm")) for n in range(2)]
    with storage_scp() as peer:
        status, err = run(capsys, "-v", "--progress", LOOPBACK, str(peer.port), *paths)
    assert status == 0
    # Each line is printed whole, after the bar was cleared ("\r  \r").
    lines = [line.rsplit("\r", 1)[-1] for line in err.split("\n")]
    assert lines.count("I: Received Store Response: Success") == 2


class FakeTerminal:
    def __init__(self, tty: bool) -> None:
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize(
    ("files", "tty", "choice", "expected"),
    [
        (2, True, None, True),
        (1, True, None, False),
        (2, False, None, False),
        (1, False, True, True),
        (5, True, False, False),
    ],
)
def test_progress_wanted(files, tty, choice, expected):
    stream = cast("TextIO", FakeTerminal(tty))
    assert _progress.progress_wanted(files, stream, choice=choice) is expected


def test_disabled_progress_prints_nothing(capsys):
    with _progress.TransferProgress(3, 300, enabled=False) as progress:
        for _ in range(3):
            progress.file_done(100)
    assert progress.done == 3
    assert capsys.readouterr().err == ""


def test_tls(tmp_path, pki, capsys):
    server_cert, server_key = pki["server"]
    out = tmp_path / "out"
    out.mkdir()
    path = write_instance(tmp_path, "ct.dcm")
    scp_options = storescp.build_parser().parse_args(
        [
            "-b",
            LOOPBACK,
            "-od",
            str(out),
            "+tls",
            str(server_key),
            str(server_cert),
            "-ic",
            "0",
        ]
    )
    ae, server = storescp.start(scp_options)
    try:
        port = str(server.server_address[1])
        trusted = storescu.main(
            ["+tla", "+cf", str(server_cert), LOOPBACK, port, str(path)]
        )
        untrusted = storescu.main(["+tla", LOOPBACK, port, str(path)])
    finally:
        ae.shutdown()
    assert (trusted, untrusted) == (0, 4)
    assert "the TLS handshake failed" in capsys.readouterr().err
    assert len(list(out.iterdir())) == 1
