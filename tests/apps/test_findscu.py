"""``dicomnet findscu`` in-process: keys, identifiers, responses, exit statuses.

The peers are Query/Retrieve SCPs in this process, pynetdicom's (a test peer
only) or dicomnet's, with C-FIND, C-GET and C-MOVE handlers over a small
archive; ``qr_scp`` and the archive are shared with ``test_getscu`` and
``test_movescu``. DCMTK's ``dcmqrscp`` is in ``test_qr_tools_interop``.
"""

from __future__ import annotations

import argparse
import ssl
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from pydicom import dcmread
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence as DicomSequence
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

from dicomnet import AE, evt
from dicomnet.apps import _query, findscu
from dicomnet.apps._common import AppError
from dicomnet.sop_class import (
    CTImageStorage,
    ModalityWorklistInformationModelFind,
    MRImageStorage,
    PatientRootQueryRetrieveInformationModelFind,
    PatientRootQueryRetrieveInformationModelGet,
    PatientRootQueryRetrieveInformationModelMove,
    StudyRootQueryRetrieveInformationModelFind,
    StudyRootQueryRetrieveInformationModelGet,
    StudyRootQueryRetrieveInformationModelMove,
)

from .conftest import LOOPBACK, TIMEOUT, raw_listener

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

SYNTAXES = [ExplicitVRLittleEndian, ImplicitVRLittleEndian]
MODELS = [
    PatientRootQueryRetrieveInformationModelFind,
    PatientRootQueryRetrieveInformationModelGet,
    PatientRootQueryRetrieveInformationModelMove,
    StudyRootQueryRetrieveInformationModelFind,
    StudyRootQueryRetrieveInformationModelGet,
    StudyRootQueryRetrieveInformationModelMove,
    ModalityWorklistInformationModelFind,
]
UNIQUE = {
    "PATIENT": "PatientID",
    "STUDY": "StudyInstanceUID",
    "SERIES": "SeriesInstanceUID",
    "IMAGE": "SOPInstanceUID",
}
IMPLEMENTATIONS = ["pynetdicom", "dicomnet"]


# -- the archive and its SCP (shared with test_getscu and test_movescu) ---------------


def instance(patient: int, study: int, number: int, sop_class: str) -> Dataset:
    """A small instance of patient ``patient``, study ``study``."""
    ds = Dataset()
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = f"1.2.826.0.1.3680043.9.7.{patient}.{study}.{number}"
    ds.PatientName = f"Doe^P{patient}"
    ds.PatientID = f"PID{patient}"
    ds.StudyInstanceUID = f"1.2.826.0.1.3680043.9.7.{patient}.{study}"
    ds.SeriesInstanceUID = f"1.2.826.0.1.3680043.9.7.{patient}.{study}.0"
    ds.Modality = "CT" if sop_class == CTImageStorage else "MR"
    ds.InstanceNumber = number
    ds.Rows = ds.Columns = 4
    ds.BitsAllocated = 16
    ds.PixelData = bytes(32)
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    return ds


#: Patient 1: one CT study of three instances; patient 2: one MR instance.
ARCHIVE = [
    *(instance(1, 1, number, CTImageStorage) for number in (1, 2, 3)),
    instance(2, 1, 1, MRImageStorage),
]


def worklist_item(patient: int, modality: str) -> Dataset:
    """A Modality Worklist item (PS3.4 K.6.1.2) with one scheduled step."""
    ds = Dataset()
    ds.PatientName = f"Doe^P{patient}"
    ds.PatientID = f"PID{patient}"
    step = Dataset()
    step.Modality = modality
    step.ScheduledStationAETitle = "SCANNER"
    ds.ScheduledProcedureStepSequence = DicomSequence([step])
    return ds


def matches(query: Dataset, archive: Sequence[Dataset]) -> list[Dataset]:
    """The archive's data sets the query's non-empty, non-sequence keys match."""

    def fits(ds: Dataset) -> bool:
        for element in query:
            if element.keyword == "QueryRetrieveLevel" or element.VR == "SQ":
                continue
            wanted = "" if element.value is None else str(element.value)
            if wanted and not fnmatch(str(ds.get(element.keyword, "")), wanted):
                return False
        return True

    return [ds for ds in archive if fits(ds)]


def find_answers(query: Dataset, archive: Sequence[Dataset]) -> list[Dataset]:
    """One identifier per entity at the query's level (PS3.4 C.2.2.1)."""
    level = str(query.get("QueryRetrieveLevel", "PATIENT"))
    answers: dict[str, Dataset] = {}
    for ds in matches(query, archive):
        unique = str(ds.get(UNIQUE[level], ""))
        if unique in answers:
            continue
        answer = Dataset()
        for element in query:
            setattr(answer, element.keyword, ds.get(element.keyword, element.value))
        answers[unique] = answer
    return list(answers.values())


@dataclass
class QRPeer:
    """A Query/Retrieve SCP in this process, and what it saw."""

    port: int
    implementation: str
    queries: list[Dataset] = field(default_factory=list)
    message_ids: list[int] = field(default_factory=list)
    cancelled: list[bool] = field(default_factory=list)
    ends: list[str] = field(default_factory=list)
    cancel_received: threading.Event = field(default_factory=threading.Event)
    closed: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(0))

    def wait_closed(self) -> list[str]:
        assert self.closed.acquire(timeout=TIMEOUT), "connection still open"
        return self.ends


def _library(implementation: str) -> tuple[Any, Any]:
    if implementation == "pynetdicom":
        import pynetdicom

        return pynetdicom.AE, pynetdicom.evt
    return AE, evt


@contextmanager
def qr_scp(
    implementation: str = "dicomnet",
    *,
    archive: Sequence[Dataset] = ARCHIVE,
    destinations: dict[str, int] | None = None,
    status: int | None = None,
    wait_for_cancel: bool = False,
    ssl_context: ssl.SSLContext | None = None,
    **settings: Any,
) -> Iterator[QRPeer]:
    """A C-FIND/C-GET/C-MOVE SCP over ``archive``; ``status`` ends each request.

    ``destinations`` maps Move Destination AE titles to loopback ports. With
    ``wait_for_cancel`` the C-FIND handler, after the first match, waits for
    the C-CANCEL to arrive (pynetdicom receives it on its reader thread).
    """
    ae_class, events = _library(implementation)
    ae = ae_class("QRSCP")
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = TIMEOUT
    for name, value in settings.items():
        setattr(ae, name, value)
    for model in MODELS:
        ae.add_supported_context(model, SYNTAXES)
    for storage in (CTImageStorage, MRImageStorage):
        # C-GET: the SCU proposes the SCP role (PS3.7 D.3.3.4); C-MOVE: we
        # request the destination's association.
        ae.add_supported_context(storage, SYNTAXES, scu_role=True, scp_role=True)
        ae.add_requested_context(storage, ExplicitVRLittleEndian)
    peer = QRPeer(0, implementation)

    def record(event: Any) -> Dataset:
        query: Dataset = event.identifier
        peer.queries.append(query)
        peer.message_ids.append(event.request.MessageID)
        return query

    def on_find(event: Any) -> Iterator[tuple[int, Dataset | None]]:
        query = record(event)
        if status is not None:
            yield status, None
            return
        for number, answer in enumerate(find_answers(query, archive)):
            if wait_for_cancel and number == 1:
                assert peer.cancel_received.wait(TIMEOUT)
            # pynetdicom notes the C-CANCEL just after EVT_DIMSE_RECV: look
            # again until it did (no sleep; bounded).
            if any(
                event.is_cancelled for _ in range(100_000 if wait_for_cancel else 1)
            ):
                peer.cancelled.append(True)
                yield 0xFE00, None
                return
            yield 0xFF00, answer

    def retrieve(event: Any) -> Iterator[Any]:
        found = matches(record(event), archive)
        yield len(found)
        for ds in found:
            if status is not None:
                yield status, None
                return
            yield 0xFF00, ds

    def on_move(event: Any) -> Iterator[Any]:
        port = (destinations or {}).get(event.move_destination.strip())
        yield (LOOPBACK, port) if port else (None, None)
        yield from retrieve(event)

    def on_dimse_recv(event: Any) -> None:
        # pynetdicom's message classes are C_CANCEL_RQ...
        if "CANCEL" in type(event.message).__name__:
            peer.cancel_received.set()

    handlers = [
        (events.EVT_C_FIND, on_find),
        (events.EVT_C_GET, retrieve),
        (events.EVT_C_MOVE, on_move),
        (events.EVT_DIMSE_RECV, on_dimse_recv),
        (events.EVT_RELEASED, lambda event: peer.ends.append("released")),
        (events.EVT_ABORTED, lambda event: peer.ends.append("aborted")),
        (events.EVT_CONN_CLOSE, lambda event: peer.closed.release()),
    ]
    server = ae.start_server(
        (LOOPBACK, 0), block=False, evt_handlers=handlers, ssl_context=ssl_context
    )
    assert server is not None
    peer.port = server.server_address[1]
    try:
        yield peer
    finally:
        ae.shutdown()


def run_app(
    main: Any, capsys: pytest.CaptureFixture[str], *argv: str
) -> tuple[int, str]:
    status = main(list(argv))
    return status, capsys.readouterr().err


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    return run_app(findscu.main, capsys, *argv)


def find_lines(err: str) -> list[str]:
    """The Pending responses' lines."""
    return [line for line in err.splitlines() if "Find Response: " in line]


# -- keys --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tags", "vr", "value"),
    [
        ("PatientName=Doe*", [0x00100010], "PN", "Doe*"),
        ("PatientName", [0x00100010], "PN", None),
        ("PatientName=", [0x00100010], "PN", None),
        ("0010,0020=ID1", [0x00100020], "LO", "ID1"),
        ("(0010,0020)=ID1", [0x00100020], "LO", "ID1"),
        ("(0008,0061)=CT\\MR", [0x00080061], "CS", "CT\\MR"),
        ("StudyDate=20240101-20241231", [0x00080020], "DA", "20240101-20241231"),
        ("Rows=512", [0x00280010], "US", 512),
        ("SmallestImagePixelValue=0x10", [0x00280106], "US", 16),
        ("ReferencedFrameNumber=1\\2", [0x00081160], "IS", "1\\2"),
        ("FrameTime=33.5", [0x00181063], "DS", "33.5"),
        ("DiffusionBValue=2.5", [0x00189087], "FD", 2.5),
        ("FrameIncrementPointer=00181063", [0x00280009], "AT", 0x00181063),
        ("ReferencedStudySequence", [0x00081110], "SQ", None),
        (
            "ScheduledProcedureStepSequence[0].Modality=CT",
            [0x00400100, 0x00080060],
            "CS",
            "CT",
        ),
        (
            "(0040,0100).ScheduledStationAETitle",
            [0x00400100, 0x00400001],
            "AE",
            None,
        ),
        ("0009,1001=private", [0x00091001], "UN", b"private"),
    ],
)
def test_parse_key(text, tags, vr, value):
    key = _query.parse_key(text)
    assert [part.tag for part in key.parts] == tags
    assert key.parts[-1].vr == vr
    assert key.value == value
    assert key.text == text
    # Every step but the last is an item of a sequence.
    assert all(part.item == 0 for part in key.parts[:-1])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("NoSuchKeyword=1", "unknown keyword 'NoSuchKeyword'"),
        ("0010,00ZZ=1", "not a keyword or gggg,eeee tag"),
        ("Patient Name=x", "not a keyword or gggg,eeee tag"),
        ("Rows=many", "not a valid US value: 'many'"),
        ("PatientName[0]", "PatientName[0] is not a sequence"),
        ("PatientName.PatientID", "PatientName is not a sequence"),
        ("ReferencedStudySequence=1.2", "a sequence takes no value"),
        ("PixelData=00", "OB keys take no value"),
        ("ReferencedStudySequence[1000]", "item number out of range"),
    ],
)
def test_parse_key_refuses(text, message):
    with pytest.raises(argparse.ArgumentTypeError, match=message.replace("[", r"\[")):
        _query.parse_key(text)


def test_apply_keys_builds_nested_items_and_replaces_values():
    ds = Dataset()
    ds.PatientName = "From^File"
    ds.ScheduledProcedureStepSequence = DicomSequence([Dataset()])
    ds.ScheduledProcedureStepSequence[0].Modality = "MR"
    keys = [
        _query.parse_key(text)
        for text in (
            "PatientName=Doe*",
            "ScheduledProcedureStepSequence[0].Modality=CT",
            "ScheduledProcedureStepSequence[2].ScheduledStationAETitle=ST2",
            "OtherPatientIDsSequence[0]",
            "ReferencedStudySequence",
            "Rows=1\\2",
        )
    ]
    _query.apply_keys(ds, keys)
    assert ds.PatientName == "Doe*"
    steps = ds.ScheduledProcedureStepSequence
    assert [item.get("Modality") for item in steps] == ["CT", None, None]
    assert steps[2].ScheduledStationAETitle == "ST2"
    assert len(ds.OtherPatientIDsSequence) == 1
    assert len(ds.OtherPatientIDsSequence[0]) == 0
    assert list(ds.ReferencedStudySequence) == []
    assert list(ds.Rows) == [1, 2]
    assert "SpecificCharacterSet" not in ds


def test_apply_keys_sets_utf8_for_other_characters():
    ds = _query.apply_keys(Dataset(), [_query.parse_key("PatientName=Müller^Jörg")])
    assert ds.SpecificCharacterSet == "ISO_IR 192"
    kept = Dataset()
    kept.SpecificCharacterSet = "ISO_IR 100"
    _query.apply_keys(kept, [_query.parse_key("PatientName=Müller")])
    assert kept.SpecificCharacterSet == "ISO_IR 100"


def test_query_files_and_keys(tmp_path):
    query = Dataset()
    query.QueryRetrieveLevel = "PATIENT"
    query.PatientID = "FROM-FILE"
    query.PatientName = ""
    path = tmp_path / "query.dcm"
    query.save_as(path, implicit_vr=True, little_endian=True)
    keys = [_query.parse_key("PatientID=FROM-KEY")]
    [built] = _query.build_identifiers([path, path][:1], keys)
    assert built.PatientID == "FROM-KEY"
    assert built.QueryRetrieveLevel == "PATIENT"
    assert "PatientName" in built
    assert not hasattr(built, "file_meta") or not built.file_meta
    assert len(_query.build_identifiers([path, path], [])) == 2


@pytest.mark.parametrize("content", [b"", b"not DICOM at all\n"])
def test_read_query_refuses_other_files(tmp_path, content):
    path = tmp_path / "junk"
    path.write_bytes(content)
    with pytest.raises(AppError, match="is not a DICOM file") as raised:
        _query.read_query(path)
    assert raised.value.status == 1
    with pytest.raises(AppError, match="Cannot read") as missing:
        _query.read_query(tmp_path / "missing.dcm")
    assert missing.value.status == 1


def test_nothing_to_query():
    with pytest.raises(AppError, match="Nothing to query") as raised:
        _query.build_identifiers([], [])
    assert raised.value.status == 2


def test_dump():
    ds = _query.apply_keys(
        Dataset(),
        [
            _query.parse_key(text)
            for text in (
                "QueryRetrieveLevel=STUDY",
                "PatientName",
                "ScheduledProcedureStepSequence[0].Modality=CT\\MR",
            )
        ],
    )
    ds.PixelData = bytes(10)
    ds.ImageComments = "x" * 100
    lines = _query.dump(ds)
    assert lines[0].startswith("(0008,0052) CS [STUDY]")
    assert lines[0].endswith("# QueryRetrieveLevel")
    assert lines[1].startswith("(0010,0010) PN (no value)")
    assert lines[2].startswith("(0020,4000) LT [xxx")
    assert "...]" in lines[2]
    assert lines[3] == "(0040,0100) SQ (1 items)  # ScheduledProcedureStepSequence"
    assert lines[4] == "  item 1:"
    assert lines[5].startswith("    (0008,0060) CS [CT\\MR]")
    assert lines[6].startswith("(7FE0,0010) OB or OW (10 bytes)")


@pytest.mark.parametrize(
    ("code", "comment", "text"),
    [
        (0x0000, None, "Success"),
        (0xFF00, None, "Pending"),
        (0xFF01, None, "Pending 0xFF01: Matches are continuing; one or more"),
        (0xFE00, None, "Cancel 0xFE00: Cancel: operation terminated"),
        (0xA700, "disk full", "Failure 0xA700: Refused: out of resources (disk full)"),
        (0xC123, None, "Failure 0xC123: Unable to process"),
    ],
)
def test_describe_status(code, comment, text):
    status = Dataset()
    status.Status = code
    if comment:
        status.ErrorComment = comment
    from dicomnet.status import QR_FIND_SERVICE_CLASS_STATUS

    assert _query.describe_status(status, QR_FIND_SERVICE_CLASS_STATUS).startswith(text)


# -- command line -------------------------------------------------------------------------


def test_defaults():
    options = findscu.build_parser().parse_args([LOOPBACK, "104"])
    assert (options.aetitle, options.call) == ("FINDSCU", "ANY-SCP")
    assert options.model == "worklist"
    assert options.keys == []
    assert options.files == []
    assert options.proposal[0] == ExplicitVRLittleEndian
    assert (options.repeat, options.abort, options.cancel) == (1, False, None)
    assert (options.extract, options.show_responses) == (False, None)
    assert options.timeout is None


@pytest.mark.parametrize(
    ("flags", "attribute", "value"),
    [
        (["-P"], "model", "patient"),
        (["-S"], "model", "study"),
        (["-O"], "model", "psonly"),
        (["-S", "-W"], "model", "worklist"),
        (["-xi"], "proposal", (ImplicitVRLittleEndian,)),
        (["--cancel", "2"], "cancel", 2),
        (["--repeat", "3"], "repeat", 3),
        (["-X"], "extract", True),
        (["+sr"], "show_responses", True),
        (["-sr"], "show_responses", False),
        (["-od", "out"], "output_directory", Path("out")),
        (["-to", "1.5"], "timeout", 1.5),
    ],
)
def test_options(flags, attribute, value):
    options = findscu.build_parser().parse_args([*flags, LOOPBACK, "104"])
    assert getattr(options, attribute) == value


def test_keys_and_files_are_collected():
    options = findscu.build_parser().parse_args(
        ["-k", "PatientName=A*", "-k", "PatientID", LOOPBACK, "104", "q1", "q2"]
    )
    assert [key.text for key in options.keys] == ["PatientName=A*", "PatientID"]
    assert options.files == ["q1", "q2"]


@pytest.mark.parametrize(
    "argv",
    [
        [LOOPBACK],
        [LOOPBACK, "port"],
        [LOOPBACK, "70000"],
        ["-k", "NoSuchKeyword", LOOPBACK, "104"],
        ["-k", "Rows=many", LOOPBACK, "104"],
        ["--cancel", "0", LOOPBACK, "104"],
        ["+sr", "-sr", LOOPBACK, "104"],
        ["-aet", "", LOOPBACK, "104"],
    ],
)
def test_usage_errors(capsys, argv):
    assert findscu.main(argv) == 2
    assert "usage: dicomnet findscu" in capsys.readouterr().err


def test_nothing_to_query_is_a_usage_error(capsys):
    status, err = run(capsys, LOOPBACK, "104")
    assert (status, err) == (2, "E: Nothing to query: give -k keys or query files\n")


def test_extract_needs_the_directory(tmp_path, capsys):
    argv = ["-X", "-od", str(tmp_path / "none"), "-k", "PatientID", LOOPBACK, "104"]
    status, err = run(capsys, *argv)
    assert status == 2
    assert "does not exist" in err


# -- against in-process SCPs ----------------------------------------------------------------


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
def test_matches_are_printed_without_verbose(capsys, implementation):
    with qr_scp(implementation) as peer:
        status, err = run(
            capsys,
            "-P",
            "-k",
            "QueryRetrieveLevel=PATIENT",
            "-k",
            "PatientID",
            "-k",
            "PatientName=Doe*",
            LOOPBACK,
            str(peer.port),
        )
        assert peer.wait_closed() == ["released"]
    assert status == 0, err
    lines = err.splitlines()
    assert find_lines(err) == [
        "I: Find Response: 1 (Pending)",
        "I: Find Response: 2 (Pending)",
    ]
    assert any(line.startswith("I: (0010,0020) LO [PID1]") for line in lines)
    assert any(line.startswith("I: (0010,0020) LO [PID2]") for line in lines)
    # Nothing else without -v: no association steps, no summary.
    assert not any("Association" in line for line in lines)
    [query] = peer.queries
    assert query.QueryRetrieveLevel == "PATIENT"
    assert query.PatientName == "Doe*"
    assert query.PatientID == ""
    assert peer.message_ids == [1]


def test_verbose_reports_the_request_and_a_summary(capsys):
    with qr_scp() as peer:
        status, err = run(
            capsys,
            "-v",
            "-S",
            "-k",
            "QueryRetrieveLevel=STUDY",
            "-k",
            "StudyInstanceUID",
            "-k",
            "PatientID=PID1",
            LOOPBACK,
            str(peer.port),
        )
    assert status == 0
    lines = err.splitlines()
    assert "I: Sending Find Request (MsgID 1)" in lines
    assert "I: Request Identifier:" in lines
    assert "I: Received Final Find Response (Success)" in lines
    assert "I: Releasing Association" in lines
    assert lines[-1] == "I: 1 matches from 1 Find requests, 0 failed"
    assert peer.queries[0].PatientID == "PID1"


def test_quiet_and_hidden_responses(capsys):
    argv = ["-P", "-k", "QueryRetrieveLevel=PATIENT", "-k", "PatientID"]
    with qr_scp() as peer:
        quiet = run(capsys, "-q", *argv, LOOPBACK, str(peer.port))
        hidden = run(capsys, "-sr", "-v", *argv, LOOPBACK, str(peer.port))
    assert quiet == (0, "")
    assert hidden[0] == 0
    assert find_lines(hidden[1]) == []
    assert "I: 2 matches from 1 Find requests, 0 failed" in hidden[1]


def test_worklist_query_with_a_sequence(capsys):
    archive = [worklist_item(1, "CT"), worklist_item(2, "MR")]
    with qr_scp(archive=archive) as peer:
        status, err = run(
            capsys,
            "-k",
            "ScheduledProcedureStepSequence[0].Modality=CT",
            "-k",
            "ScheduledProcedureStepSequence[0].ScheduledStationAETitle",
            "-k",
            "PatientName",
            LOOPBACK,
            str(peer.port),
        )
    assert status == 0, err
    [query] = peer.queries
    step = query.ScheduledProcedureStepSequence[0]
    assert step.Modality == "CT"
    assert step.ScheduledStationAETitle == ""
    assert "QueryRetrieveLevel" not in query
    # The SCP here does not match inside sequences: both items come back.
    assert len(find_lines(err)) == 2
    assert "I:     (0008,0060) CS [CT]" in "\n".join(err.splitlines())


def test_query_files_are_one_request_each_and_repeated(tmp_path, capsys):
    paths = []
    for patient in ("PID1", "PID2"):
        query = Dataset()
        query.QueryRetrieveLevel = "PATIENT"
        query.PatientID = patient
        query.PatientName = ""
        paths.append(tmp_path / f"{patient}.dcm")
        query.save_as(paths[-1], implicit_vr=False, little_endian=True)
    with qr_scp() as peer:
        status, err = run(
            capsys,
            "-P",
            "--repeat",
            "2",
            "-k",
            "PatientName=Doe^P*",
            LOOPBACK,
            str(peer.port),
            *map(str, paths),
        )
        assert peer.wait_closed() == ["released"]
    assert status == 0, err
    assert [str(query.PatientID) for query in peer.queries] == ["PID1", "PID2"] * 2
    assert {str(query.PatientName) for query in peer.queries} == {"Doe^P*"}
    assert peer.message_ids == [1, 2, 3, 4]
    assert len(find_lines(err)) == 4


def test_unreadable_query_file(tmp_path, capsys):
    junk = tmp_path / "junk.dcm"
    junk.write_bytes(b"")
    status, err = run(capsys, "-P", LOOPBACK, "104", str(junk))
    assert status == 1
    assert err == f"E: {junk} is not a DICOM file: no data elements\n"


def test_extract_writes_each_match(tmp_path, capsys):
    with qr_scp() as peer:
        status, err = run(
            capsys,
            "-X",
            "-od",
            str(tmp_path),
            "-S",
            "-k",
            "QueryRetrieveLevel=PATIENT",
            "-k",
            "PatientID",
            LOOPBACK,
            str(peer.port),
        )
    assert status == 0, err
    # -X hides the matches unless -v or +sr.
    assert find_lines(err) == []
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "rsp0001.dcm",
        "rsp0002.dcm",
    ]
    first = dcmread(tmp_path / "rsp0001.dcm")
    assert first.file_meta.MediaStorageSOPClassUID == (
        StudyRootQueryRetrieveInformationModelFind
    )
    assert first.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
    assert first.PatientID == "PID1"
    assert dcmread(tmp_path / "rsp0002.dcm").PatientID == "PID2"


def test_extract_failure_is_counted(tmp_path, capsys, monkeypatch):
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(findscu, "dcmwrite", refuse)
    with qr_scp() as peer:
        status, err = run(
            capsys,
            "-X",
            "-od",
            str(tmp_path),
            "-P",
            "-k",
            "QueryRetrieveLevel=PATIENT",
            "-k",
            "PatientID=PID1",
            LOOPBACK,
            str(peer.port),
        )
    assert status == 1
    assert f"E: Cannot write {tmp_path / 'rsp0001.dcm'}: No space left on device" in err
    assert list(tmp_path.iterdir()) == []
    assert err.splitlines()[-1] == (
        "W: 1 matches, 0 written to files from 1 Find requests, 1 failed"
    )


def test_cancel_after_the_first_match(capsys):
    with qr_scp("pynetdicom", wait_for_cancel=True) as peer:
        status, err = run(
            capsys,
            "-v",
            "--cancel",
            "1",
            "-P",
            "-k",
            "QueryRetrieveLevel=PATIENT",
            "-k",
            "PatientID",
            LOOPBACK,
            str(peer.port),
        )
    assert status == 0, err
    lines = err.splitlines()
    assert find_lines(err) == ["I: Find Response: 1 (Pending)"]
    assert (
        "I: Received Final Find Response (Cancel 0xFE00: Cancel: operation terminated)"
    ) in lines
    assert lines.index("I: Sending Cancel Request (MsgID 1)") > lines.index(
        "I: Find Response: 1 (Pending)"
    )
    assert peer.cancelled == [True]


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
def test_failure_status(capsys, implementation):
    argv = ["-P", "-k", "QueryRetrieveLevel=PATIENT", "-k", "PatientID"]
    with qr_scp(implementation, status=0xA700) as peer:
        status, err = run(capsys, *argv, LOOPBACK, str(peer.port))
    assert status == 1
    assert err.splitlines() == [
        "E: Find failed: Failure 0xA700: Refused: out of resources",
        "W: 0 matches from 1 Find requests, 1 failed",
    ]


def test_unasked_for_cancel_is_a_failure(capsys):
    argv = ["-P", "-k", "QueryRetrieveLevel=PATIENT", "-k", "PatientID"]
    with qr_scp(status=0xFE00) as peer:
        status, err = run(capsys, *argv, LOOPBACK, str(peer.port))
    assert status == 1
    assert "E: Find failed: Cancel 0xFE00" in err


def test_no_acceptable_context(capsys):
    # The peer supports the Q/R models; -O proposes Patient/Study Only.
    with qr_scp() as peer:
        status, err = run(capsys, "-O", "-k", "PatientID", LOOPBACK, str(peer.port))
        assert peer.wait_closed() == ["released"]
    assert status == 1
    assert err.splitlines() == [
        (
            "E: The peer accepted no context for Patient/Study Only Query/Retrieve "
            "Information Model - FIND"
        ),
        "W: 0 matches from 1 Find requests, 1 failed",
    ]


def test_abort_instead_of_release(capsys):
    with qr_scp() as peer:
        status, _ = run(
            capsys, "--abort", "-P", "-k", "PatientID", LOOPBACK, str(peer.port)
        )
        assert peer.wait_closed() == ["aborted"]
    assert status == 0


def test_rejected(capsys):
    with qr_scp(require_called_aet=True) as peer:
        status, err = run(
            capsys, "-aec", "WRONG", "-P", "-k", "PatientID", LOOPBACK, str(peer.port)
        )
        peer.wait_closed()
    assert status == 3
    assert err.startswith("E: Association rejected: called AE title not recognized")


def test_connection_refused(capsys, closed_port):
    status, err = run(capsys, "-P", "-k", "PatientID", LOOPBACK, str(closed_port))
    assert status == 5
    assert f"E: Cannot connect to {LOOPBACK} port {closed_port}" in err
    assert err.splitlines()[-1] == "W: 0 matches from 0 Find requests, 0 failed"


def test_peer_aborts_during_the_find(capsys):
    def abort(event: Any) -> Iterator[tuple[int, Dataset | None]]:
        event.assoc.abort()
        yield 0xFF00, None

    # A dicomnet SCP whose C-FIND handler aborts the association.
    ae = AE("QRSCP")
    ae.add_supported_context(PatientRootQueryRetrieveInformationModelFind, SYNTAXES)
    server = ae.start_server(
        (LOOPBACK, 0), block=False, evt_handlers=[(evt.EVT_C_FIND, abort)]
    )
    assert server is not None
    try:
        status, err = run(
            capsys, "-P", "-k", "PatientID", LOOPBACK, str(server.server_address[1])
        )
    finally:
        ae.shutdown()
    assert status == 4
    assert "E: Association aborted" in err


def test_no_answer_to_the_association_request(capsys):
    with raw_listener(None) as port:
        status, err = run(
            capsys, "-ta", "0.2", "-P", "-k", "PatientID", LOOPBACK, str(port)
        )
    assert status == 4
    assert "no answer" in err


def test_tls(pki, capsys):
    server_cert, server_key = pki["server"]
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certfile=server_cert, keyfile=server_key)
    context.verify_mode = ssl.CERT_NONE
    argv = ["-P", "-k", "QueryRetrieveLevel=PATIENT", "-k", "PatientID"]
    with qr_scp(ssl_context=context) as peer:
        trusted = run(
            capsys, "+tla", "+cf", str(server_cert), *argv, LOOPBACK, str(peer.port)
        )
        untrusted = run(capsys, "+tla", *argv, LOOPBACK, str(peer.port))
    assert trusted[0] == 0, trusted[1]
    assert len(find_lines(trusted[1])) == 2
    assert untrusted[0] == 4
    assert "the TLS handshake failed" in untrusted[1]
