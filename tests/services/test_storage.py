"""The Storage service (C-STORE) between two dicomnet AEs over loopback.

Handlers record what they saw; the tests wait on responses and joins, never
on sleeps.
"""

from __future__ import annotations

import errno
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydicom import dcmread
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEGBaseline8Bit,
    generate_uid,
)

from dicomnet import AE, _config, evt
from dicomnet.services import _spool, storage
from dicomnet.sop_class import CTImageStorage, MRImageStorage

TIMEOUT = 10.0
UNCOMPRESSED = [ExplicitVRLittleEndian, ImplicitVRLittleEndian]


def ct_dataset(
    syntax: str = ExplicitVRLittleEndian,
    pixels: int = 64,
    sop_class: str = CTImageStorage,
) -> Dataset:
    ds = Dataset()
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = generate_uid()
    ds.PatientName = "Doe^Jane"
    ds.PatientID = "P1"
    ds.Rows = max(1, pixels // 512)
    ds.Columns = 256
    ds.BitsAllocated = 16
    ds.PixelData = bytes(range(256)) * (pixels // 256) + bytes(pixels % 256)
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = syntax
    ds.file_meta.MediaStorageSOPClassUID = sop_class
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    return ds


def write_file(ds: Dataset, path: Path) -> Path:
    ds.save_as(path, enforce_file_format=True)
    return path


@pytest.fixture
def scp() -> Iterator[AE]:
    ae = AE("STORE_SCP")
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = TIMEOUT
    for syntax in (*UNCOMPRESSED, DeflatedExplicitVRLittleEndian, ExplicitVRBigEndian):
        ae.add_supported_context(CTImageStorage, syntax)
    ae.add_supported_context(MRImageStorage, ImplicitVRLittleEndian)
    yield ae
    ae.shutdown()


@pytest.fixture
def scu() -> Iterator[AE]:
    ae = AE("STORE_SCU")
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = TIMEOUT
    yield ae
    ae.shutdown()


@pytest.fixture
def chunked_receive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_config, "STORE_RECV_CHUNKED_DATASET", True)


class Received:
    """An EVT_C_STORE handler that keeps what it saw."""

    def __init__(self, status: object = 0x0000) -> None:
        self.status = status
        self.datasets: list[Dataset] = []
        self.files: list[bytes] = []
        self.paths: list[Path] = []
        self.meta: list[FileMetaDataset] = []

    def __call__(self, event: evt.Event) -> object:
        self.datasets.append(event.dataset)
        self.files.append(event.encoded_dataset())
        self.meta.append(event.file_meta)
        try:
            path = event.dataset_path
        except AttributeError:
            pass
        else:
            assert path.exists()
            self.paths.append(path)
        return self.status


def serve(ae: AE, handler: Any) -> int:
    server = ae.start_server(
        ("127.0.0.1", 0), block=False, evt_handlers=[(evt.EVT_C_STORE, handler)]
    )
    assert server is not None
    return int(server.server_address[1])


def associate(scu: AE, port: int, *contexts: tuple[str, list[str]]) -> Any:
    for sop_class, syntaxes in contexts:
        scu.add_requested_context(sop_class, syntaxes)
    assoc = scu.associate("127.0.0.1", port, ae_title="STORE_SCP", max_pdu=16382)
    assert assoc.is_established
    return assoc


# -- SCU: data sets and files -------------------------------------------------------


@pytest.mark.parametrize("syntax", [*UNCOMPRESSED, DeflatedExplicitVRLittleEndian])
def test_a_dataset_arrives_whole_in_its_transfer_syntax(
    scp: AE, scu: AE, syntax: str
) -> None:
    received = Received()
    port = serve(scp, received)
    ds = ct_dataset(syntax, pixels=100_000)  # several PDUs of 16 KiB
    assoc = associate(scu, port, (CTImageStorage, [syntax]))
    status = assoc.send_c_store(ds, msg_id=3)
    assoc.release()

    assert status.Status == 0x0000
    (got,) = received.datasets
    assert got.SOPInstanceUID == ds.SOPInstanceUID
    assert got.PixelData == ds.PixelData
    assert received.meta[0].TransferSyntaxUID == syntax
    assert received.meta[0].MediaStorageSOPInstanceUID == ds.SOPInstanceUID


def test_encoded_dataset_is_a_part10_file(scp: AE, scu: AE, tmp_path: Path) -> None:
    received = Received()
    port = serve(scp, received)
    ds = ct_dataset()
    assoc = associate(scu, port, (CTImageStorage, UNCOMPRESSED))
    assoc.send_c_store(ds)
    assoc.release()

    path = tmp_path / "got.dcm"
    path.write_bytes(received.files[0])
    read = dcmread(path)
    assert read.file_meta.MediaStorageSOPClassUID == CTImageStorage
    assert read.SOPInstanceUID == ds.SOPInstanceUID
    assert read.PixelData == ds.PixelData


def test_a_file_goes_from_disk_without_being_decoded(
    scp: AE, scu: AE, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    received = Received()
    port = serve(scp, received)
    ds = ct_dataset(pixels=300_000)
    path = write_file(ds, tmp_path / "ct.dcm")

    def no_decoding(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the file was decoded")

    monkeypatch.setattr(storage, "dcmread", no_decoding)
    assoc = associate(scu, port, (CTImageStorage, [ExplicitVRLittleEndian]))
    status = assoc.send_c_store(str(path))
    assoc.release()

    assert status.Status == 0x0000
    assert received.datasets[0].PixelData == ds.PixelData


def test_a_file_is_reencoded_when_only_another_syntax_was_accepted(
    scp: AE, scu: AE, tmp_path: Path
) -> None:
    received = Received()
    port = serve(scp, received)
    ds = ct_dataset(ExplicitVRLittleEndian)
    path = write_file(ds, tmp_path / "ct.dcm")
    assoc = associate(scu, port, (CTImageStorage, [ImplicitVRLittleEndian]))
    status = assoc.send_c_store(path)
    assoc.release()

    assert status.Status == 0x0000
    assert received.meta[0].TransferSyntaxUID == ImplicitVRLittleEndian
    assert received.datasets[0].PatientName == "Doe^Jane"


def test_chunked_send_insists_on_the_files_own_syntax(
    scp: AE, scu: AE, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = serve(scp, Received())
    path = write_file(ct_dataset(ExplicitVRLittleEndian), tmp_path / "ct.dcm")
    monkeypatch.setattr(_config, "STORE_SEND_CHUNKED_DATASET", True)
    assoc = associate(scu, port, (CTImageStorage, [ImplicitVRLittleEndian]))
    try:
        with pytest.raises(
            ValueError, match=r"with .1\.2\.840\.10008\.1\.2\.1. transfer"
        ):
            assoc.send_c_store(path)
    finally:
        assoc.release()


def test_files_stream_one_after_another_on_one_association(
    scp: AE, scu: AE, tmp_path: Path
) -> None:
    received = Received()
    port = serve(scp, received)
    datasets = [ct_dataset(pixels=50_000 + 2 * i) for i in range(5)]
    paths = [write_file(ds, tmp_path / f"{i}.dcm") for i, ds in enumerate(datasets)]
    assoc = associate(scu, port, (CTImageStorage, [ExplicitVRLittleEndian]))
    statuses = [assoc.send_c_store(path, msg_id=i + 1) for i, path in enumerate(paths)]
    assoc.release()

    assert [s.Status for s in statuses] == [0] * 5
    assert [d.PixelData for d in received.datasets] == [d.PixelData for d in datasets]


def test_the_request_carries_priority_and_move_originator(scp: AE, scu: AE) -> None:
    requests: list[Any] = []

    def handler(event: evt.Event) -> int:
        requests.append(event.request)
        return 0

    port = serve(scp, handler)
    assoc = associate(scu, port, (CTImageStorage, UNCOMPRESSED))
    assoc.send_c_store(
        ct_dataset(), msg_id=7, priority=1, originator_aet="MOVER", originator_id=42
    )
    assoc.release()

    (request,) = requests
    assert request.MessageID == 7
    assert request.Priority == 1
    assert request.MoveOriginatorApplicationEntityTitle == "MOVER"
    assert request.MoveOriginatorMessageID == 42


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        (lambda ds: delattr(ds, "SOPClassUID"), AttributeError, "SOPClassUID"),
        (lambda ds: delattr(ds, "file_meta"), AttributeError, "TransferSyntaxUID"),
        (
            lambda ds: setattr(ds, "SOPClassUID", MRImageStorage),
            ValueError,
            "No presentation",
        ),
        (
            lambda ds: setattr(ds.file_meta, "TransferSyntaxUID", JPEGBaseline8Bit),
            ValueError,
            "No presentation",
        ),
    ],
)
def test_unsendable_datasets_raise_before_anything_is_sent(
    scp: AE, scu: AE, change: Any, error: type[Exception], match: str
) -> None:
    received = Received()
    port = serve(scp, received)
    ds = ct_dataset()
    change(ds)
    assoc = associate(scu, port, (CTImageStorage, UNCOMPRESSED))
    try:
        with pytest.raises(error, match=match):
            assoc.send_c_store(ds)
        assert assoc.is_established
        assert assoc.send_c_store(ct_dataset()).Status == 0x0000
    finally:
        assoc.release()
    assert len(received.datasets) == 1


def test_sending_on_a_released_association_is_a_runtime_error(scp: AE, scu: AE) -> None:
    port = serve(scp, Received())
    assoc = associate(scu, port, (CTImageStorage, UNCOMPRESSED))
    assoc.release()
    with pytest.raises(RuntimeError):
        assoc.send_c_store(ct_dataset())


# -- SCP: statuses -------------------------------------------------------------------


def status_dataset(code: int, comment: str | None = None) -> Dataset:
    status = Dataset()
    status.Status = code
    if comment is not None:
        status.ErrorComment = comment
    return status


def raising(_event: evt.Event) -> int:
    raise RuntimeError("handler broke")


@pytest.mark.parametrize(
    ("handler", "expected"),
    [
        (Received(0xB000), 0xB000),
        (Received(status_dataset(0xA900, "no")), 0xA900),
        (Received(Dataset()), 0xC001),
        (Received("fine"), 0xC002),
        (raising, 0xC211),
    ],
)
def test_the_handlers_status_is_checked_and_sent(
    scp: AE, scu: AE, handler: Any, expected: int
) -> None:
    port = serve(scp, handler)
    assoc = associate(scu, port, (CTImageStorage, UNCOMPRESSED))
    status = assoc.send_c_store(ct_dataset())
    second = assoc.send_c_store(ct_dataset())  # the association goes on
    assoc.release()
    assert status.Status == expected
    assert second.Status == expected
    if expected == 0xA900:
        assert status.ErrorComment == "no"


def test_without_a_handler_the_store_fails(scp: AE, scu: AE) -> None:
    server = scp.start_server(("127.0.0.1", 0), block=False)
    assert server is not None
    assoc = associate(
        scu, int(server.server_address[1]), (CTImageStorage, UNCOMPRESSED)
    )
    status = assoc.send_c_store(ct_dataset())
    assoc.release()
    assert status.Status == 0xC211


# -- SCP: streaming to a temporary file -----------------------------------------------


def temp_files() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("dicomnet-*")}


@pytest.mark.usefixtures("chunked_receive")
def test_chunked_receive_hands_a_file_that_is_deleted_afterwards(
    scp: AE, scu: AE
) -> None:
    before = temp_files()
    received = Received()
    port = serve(scp, received)
    ds = ct_dataset(pixels=200_000)
    assoc = associate(scu, port, (CTImageStorage, UNCOMPRESSED))
    status = assoc.send_c_store(ds)
    assoc.release()

    assert status.Status == 0x0000
    (path,) = received.paths
    assert not path.exists()
    assert received.datasets[0].PixelData == ds.PixelData
    assert dcmread_bytes(received.files[0]).SOPInstanceUID == ds.SOPInstanceUID
    assert temp_files() == before


def dcmread_bytes(data: bytes) -> Dataset:
    from io import BytesIO

    return dcmread(BytesIO(data))


@pytest.mark.usefixtures("chunked_receive")
def test_a_full_disk_answers_out_of_resources_and_leaves_nothing(
    scp: AE, scu: AE, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = temp_files()
    original = _spool.FileSink.write

    def full_disk(self: _spool.FileSink, fragment: memoryview) -> None:
        if self._file is not None:
            self._fail(OSError(errno.ENOSPC, "No space left on device"))
            return
        original(self, fragment)

    monkeypatch.setattr(_spool.FileSink, "write", full_disk)
    received = Received()
    port = serve(scp, received)
    assoc = associate(scu, port, (CTImageStorage, UNCOMPRESSED))
    status = assoc.send_c_store(ct_dataset(pixels=100_000))
    assoc.release()

    assert status.Status == 0xA700
    assert received.datasets == []
    assert temp_files() == before


def test_file_sink_failing_to_create_reports_the_error(tmp_path: Path) -> None:
    sink = _spool.FileSink(b"header", directory=str(tmp_path / "missing"))
    sink.write(memoryview(b"data"))
    sink.close()
    assert isinstance(sink.error, OSError)
    assert sink.path is None


def test_file_sink_keeps_header_and_fragments(tmp_path: Path) -> None:
    sink = _spool.FileSink(b"HEAD", directory=str(tmp_path))
    sink.write(memoryview(b"one"))
    sink.write(memoryview(b"two"))
    sink.close()
    assert sink.path is not None
    assert sink.path.read_bytes() == b"HEADonetwo"
    sink.discard()
    sink.discard()
    assert list(tmp_path.iterdir()) == []


# -- SCP: a peer that vanishes mid-message ---------------------------------------------


@pytest.mark.usefixtures("chunked_receive")
@pytest.mark.parametrize("how", ["close", "abort"])
def test_a_peer_vanishing_mid_store_delivers_nothing_and_leaves_no_file(
    scp: AE, how: str
) -> None:
    from dicomnet.dimse.commands import encode_command
    from dicomnet.dimse.primitives import C_STORE, to_command
    from tests.transport.rawpeer import RawPeer, associate_rq_bytes, p_data_tf

    before = temp_files()
    received = Received()
    port = serve(scp, received)
    request = C_STORE()
    request.MessageID = 1
    request.AffectedSOPClassUID = CTImageStorage
    request.AffectedSOPInstanceUID = generate_uid()
    request.Priority = 2
    fields, _ = to_command(request, response=False, external_data=True)
    with RawPeer(("127.0.0.1", port)) as peer:
        peer.send(
            associate_rq_bytes(called="STORE_SCP", abstract_syntax=CTImageStorage)
        )
        assert peer.recv_raw_pdu() is not None  # the A-ASSOCIATE-AC
        peer.send(p_data_tf(encode_command(fields)))
        peer.send(p_data_tf(b"\x08\x00\x16\x00" + bytes(4000), control=0))
        if how == "abort":
            peer.abort()
    # The peer is gone: once the association has ended, nothing is left.
    for assoc in list(scp.active_associations):
        assoc.join(TIMEOUT)
    assert scp.active_associations == []
    assert received.datasets == []
    assert temp_files() == before


@pytest.mark.usefixtures("chunked_receive")
def test_a_full_disk_in_a_batched_write_answers_out_of_resources(
    scp: AE, scu: AE, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = temp_files()

    def full(_fd: int, _buffers: object) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(_spool.os, "writev", full)
    received = Received()
    port = serve(scp, received)
    assoc = associate(scu, port, (CTImageStorage, UNCOMPRESSED))
    big = assoc.send_c_store(ct_dataset(pixels=3_000_000))  # fails mid-way
    small = assoc.send_c_store(ct_dataset(pixels=1000))  # fails at the end
    assoc.release()

    assert (big.Status, small.Status) == (0xA700, 0xA700)
    assert received.datasets == []
    assert temp_files() == before


def test_batched_writes_survive_partial_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = _spool.os.writev

    def at_most_five(fd: int, buffers: list[memoryview]) -> int:
        return real(fd, [bytes(b"".join(buffers)[:5])])

    monkeypatch.setattr(_spool.os, "writev", at_most_five)
    sink = _spool.FileSink(b"HEAD", directory=str(tmp_path))
    fragments = [bytes([i]) * (i + 3) for i in range(20)]
    for fragment in fragments:
        sink.write(memoryview(fragment))
    sink.close()
    assert sink.path is not None
    assert sink.path.read_bytes() == b"HEAD" + b"".join(fragments)


# -- SCU: waiting for the response ---------------------------------------------------


def test_a_request_that_cannot_go_out_gets_no_response(
    scp: AE, scu: AE, caplog: pytest.LogCaptureFixture
) -> None:
    # The send runs on the association's thread and is not waited for: its
    # failure reaches the caller as "no response" (and a log line).
    from dicomnet.dimse.primitives import C_ECHO

    port = serve(scp, Received())
    assoc = associate(scu, port, (CTImageStorage, UNCOMPRESSED))
    request = C_ECHO()
    request.MessageID = 1
    request.AffectedSOPClassUID = "1.2.840.10008.1.1"
    responses = assoc._send_request(99, request)  # context 99 was never accepted
    assert assoc._next_response(responses) is None
    assert "Could not send the request" in caplog.text
    assert assoc.is_established  # a refused send does not end the association
    assoc.release()


def test_the_dimse_timeout_runs_from_the_end_of_sending(
    scp: AE, scu: AE, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The SCP answers only once the SCU has timed out once while (as the
    # patched core reports) the data set was still going out: that timeout
    # must not abort, the wait starts again.
    import threading

    from dicomnet.protocol import AssociationProtocol

    release = threading.Event()

    def slow(event: evt.Event) -> int:
        assert release.wait(TIMEOUT)
        return 0x0000

    port = serve(scp, slow)
    assoc = associate(scu, port, (CTImageStorage, UNCOMPRESSED))
    assoc.dimse_timeout = 0.05
    checks: list[bool] = []

    def streaming(_self: AssociationProtocol) -> bool:
        checks.append(True)
        release.set()  # the peer now has it all and answers
        return len(checks) < 200  # "still sending", within TIMEOUT in all

    monkeypatch.setattr(AssociationProtocol, "is_streaming", property(streaming))
    status = assoc.send_c_store(ct_dataset())
    assert status.Status == 0x0000
    assert checks  # the first wait did time out
    assert assoc.is_established
    assoc.release()


def test_an_unexpected_error_while_sending_is_logged_with_its_traceback(
    scp: AE, scu: AE, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = serve(scp, Received())
    assoc = associate(scu, port, (CTImageStorage, UNCOMPRESSED))

    def broken(_context_id: int) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(assoc, "_context_tuple", broken)
    status = assoc.send_c_store(ct_dataset())
    assert "Status" not in status  # no response for the caller
    assert "RuntimeError: a bug" in caplog.text
    monkeypatch.undo()
    assoc.release()
