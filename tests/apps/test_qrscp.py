"""``dicomnet qrscp`` in-process: store, find, get, move, cancel, failures, restart.

The SCP runs through ``qrscp.start`` and is stopped with ``.shutdown()``; the
SCUs and the Move Destination are dicomnet's public API. The corpus is six
instances: two patients, two studies each, one or two series per study. The
DCMTK and pynetdicom peers, and qrscp as a process, are in
``test_qrscp_interop.py``.
"""

from __future__ import annotations

import errno
import sqlite3
import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import pytest
from pydicom import dcmread
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import (
    UID,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEGBaseline8Bit,
)

from dicomnet import AE, build_role, evt
from dicomnet.apps import _qrscp_handlers, qrscp
from dicomnet.apps._qrscp_config import (
    ConfigError,
    Destination,
    PeerConfig,
    load_config,
    move_destination,
)
from dicomnet.apps._qrscp_handlers import move_contexts
from dicomnet.apps.storescp import chunked_receiving
from dicomnet.archive import ArchiveFullError
from dicomnet.sop_class import (
    CTImageStorage,
    MRImageStorage,
    PatientRootQueryRetrieveInformationModelFind,
    PatientRootQueryRetrieveInformationModelGet,
    PatientRootQueryRetrieveInformationModelMove,
    PatientStudyOnlyQueryRetrieveInformationModelFind,
    StudyRootQueryRetrieveInformationModelFind,
    StudyRootQueryRetrieveInformationModelGet,
    StudyRootQueryRetrieveInformationModelMove,
    Verification,
)

from .conftest import LOOPBACK, TIMEOUT
from .test_storescu import storage_scp

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

# -- the corpus ------------------------------------------------------------------------

PATIENTS = {"P1": "Alpha^Ann", "P2": "Beta^Bob"}
#: Study UID -> (patient, date, [(series UID, modality, number of instances)]).
STUDIES: dict[str, tuple[str, str, list[tuple[str, str, int]]]] = {
    "1.2.3.1": ("P1", "20200110", [("1.2.3.1.1", "CT", 2)]),
    "1.2.3.2": ("P1", "20210615", [("1.2.3.2.1", "MR", 1)]),
    "1.2.3.3": ("P2", "20200301", [("1.2.3.3.1", "CT", 1), ("1.2.3.3.2", "CT", 1)]),
    "1.2.3.4": ("P2", "20220101", [("1.2.3.4.1", "MR", 1)]),
}
SOP_CLASSES = {"CT": CTImageStorage, "MR": MRImageStorage}


def make_instance(
    patient: str,
    study: str,
    series: str,
    number: int,
    *,
    modality: str = "CT",
    date: str = "20200101",
    syntax: str = ExplicitVRLittleEndian,
) -> Dataset:
    """A small image with the attributes the archive indexes."""
    ds = Dataset()
    ds.SOPClassUID = SOP_CLASSES[modality]
    ds.SOPInstanceUID = f"{series}.{number}"
    ds.PatientID = patient
    ds.PatientName = PATIENTS.get(patient, "Other^Patient")
    ds.StudyInstanceUID = study
    ds.StudyDate = date
    ds.StudyID = study.rsplit(".", 1)[-1]
    ds.SeriesInstanceUID = series
    ds.Modality = modality
    ds.SeriesNumber = int(series.rsplit(".", 1)[-1])
    ds.InstanceNumber = number
    ds.Rows, ds.Columns, ds.BitsAllocated = 4, 4, 16
    ds.PixelData = bytes(range(32))
    ds["PixelData"].VR = "OW"  # as read back: no "OB or OW" ambiguity
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta.TransferSyntaxUID = UID(syntax)
    return ds


def corpus() -> list[Dataset]:
    """The six instances, in hierarchy order."""
    return [
        make_instance(patient, study, series, number, modality=modality, date=date)
        for study, (patient, date, series_list) in STUDIES.items()
        for series, modality, count in series_list
        for number in range(1, count + 1)
    ]


def parse_query(spec: str) -> Dataset:
    """``"STUDY StudyInstanceUID= StudyDate=2020-"``: a level, then keys."""
    level, *pairs = spec.split()
    return query(level, **dict(pair.split("=", 1) for pair in pairs))


def query(level: str, **keys: Any) -> Dataset:
    ds = Dataset()
    ds.QueryRetrieveLevel = level
    for keyword, value in keys.items():
        setattr(ds, keyword, value)
    return ds


# -- running the SCP ------------------------------------------------------------------


def options(*argv: str):
    return qrscp.build_parser().parse_args(list(argv))


@contextmanager
def running(storage: Path, *argv: str) -> Iterator[qrscp.QueryRetrieveServer]:
    """Run qrscp on a free loopback port with ``storage``; stop it after."""
    server = qrscp.start(
        options("0", "-b", LOOPBACK, "--storage", str(storage), "--no-fsync", *argv)
    )
    try:
        yield server
    finally:
        server.shutdown()


def scu(*contexts: str, roles: tuple[str, ...] = (), handlers=()) -> AE:
    ae = AE("QRSCU")
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = TIMEOUT
    for uid in contexts:
        ae.add_requested_context(uid)
    for uid in roles:
        ae.add_requested_context(uid, [ExplicitVRLittleEndian, ImplicitVRLittleEndian])
    return ae


@contextmanager
def association(port: int, *contexts: str, roles: tuple[str, ...] = (), handlers=()):
    """An association with qrscp; ``roles``: storage classes we are SCP of."""
    ae = scu(*contexts, roles=roles)
    ext_neg = [build_role(uid, scp_role=True) for uid in roles]
    assoc = ae.associate(
        LOOPBACK, port, ae_title="QRSCP", ext_neg=ext_neg, evt_handlers=list(handlers)
    )
    assert assoc.is_established
    try:
        yield assoc
    finally:
        if assoc.is_established:
            assoc.release()


def store_all(port: int, datasets: list[Dataset]) -> list[int]:
    """Store with the public API, each in the transfer syntax it is in."""
    ae = scu()
    for ds in datasets:
        ae.add_requested_context(ds.SOPClassUID, ds.file_meta.TransferSyntaxUID)
    assoc = ae.associate(LOOPBACK, port, ae_title="QRSCP")
    assert assoc.is_established
    try:
        return [int(assoc.send_c_store(ds).Status) for ds in datasets]
    finally:
        assoc.release()


def find(port: int, model: str, identifier: Dataset) -> tuple[list[Any], list[int]]:
    """Return the matches and every response status."""
    with association(port, model) as assoc:
        responses = list(assoc.send_c_find(identifier, model))
    matches = [ident for _, ident in responses if ident is not None]
    return matches, [int(status.Status) for status, _ in responses]


@pytest.fixture(scope="module")
def archive_server(tmp_path_factory) -> Iterator[qrscp.QueryRetrieveServer]:
    """qrscp with the corpus stored (shared by the read-only tests)."""
    storage = tmp_path_factory.mktemp("archive")
    with running(storage) as server:
        assert store_all(server.port, corpus()) == [0] * 6
        yield server


# -- command line and configuration ---------------------------------------------------


def test_defaults_and_contrary_flags():
    opts = options()
    assert (opts.port, opts.aetitle, str(opts.storage)) == (11112, "QRSCP", "archive")
    assert (opts.fsync, opts.chunked, opts.max_associations) == (True, True, 10)
    assert (opts.move_destination, opts.config) == ([], None)
    # As in DCMTK, the last of two contrary flags wins.
    assert not options("--no-fsync").fsync
    assert not options("--no-chunked").chunked
    assert options("--no-fsync", "--fsync", "--no-chunked", "--chunked").fsync


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("STORESCP=127.0.0.1:11113", Destination("STORESCP", "127.0.0.1", 11113)),
        ("VIEWER=pacs.example.org:104", Destination("VIEWER", "pacs.example.org", 104)),
        ("V6=[::1]:104", Destination("V6", "::1", 104)),
        (" PAD =h:1", Destination("PAD", "h", 1)),
    ],
)
def test_move_destination_option(value, expected):
    assert move_destination(value) == expected
    assert options("-md", value).move_destination == [expected]
    assert str(expected) == value.replace(" ", "")


@pytest.mark.parametrize(
    "value",
    ["STORESCP", "STORESCP=host", "=h:1", "X=:104", "X=h:0", "X=h:70000", "X=h:port", "TOO_LONG_AE_TITLE=h:1"],
)  # fmt: skip
def test_bad_move_destination_is_a_usage_error(value, capsys):
    assert qrscp.main(["-md", value]) == 2
    assert "move-destination" in capsys.readouterr().err


def test_config_file(tmp_path):
    path = tmp_path / "qrscp.toml"
    path.write_text(
        "[destinations]\n"
        'STORESCP = { host = "127.0.0.1", port = 11113 }\n'
        '" VIEWER " = { host = "viewer", port = 104 }\n'
        "[access]\n"
        'calling_ae_titles = ["FINDSCU", "VIEWER"]\n'
    )
    config = load_config(path)
    assert config.destinations == {
        "STORESCP": Destination("STORESCP", "127.0.0.1", 11113),
        "VIEWER": Destination("VIEWER", "viewer", 104),
    }
    assert config.calling_ae_titles == ("FINDSCU", "VIEWER")
    # The command line replaces an entry of the same AE title.
    merged = config.with_destinations([Destination("VIEWER", "other", 1)])
    assert merged.destinations["VIEWER"] == Destination("VIEWER", "other", 1)
    assert merged.destinations["STORESCP"] == config.destinations["STORESCP"]
    assert merged.calling_ae_titles == config.calling_ae_titles
    path.write_text("")
    assert load_config(path) == PeerConfig()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[destination]\n", "unknown key(s) destination"),
        ("[destinations]\nA = { host = 'h', port = 1, x = 2 }\n", "unknown key(s) x"),
        ("[destinations]\nA = { host = 'h', port = 0 }\n", "'port' must be"),
        ("[destinations]\nA = { host = 'h', port = true }\n", "'port' must be"),
        ("[destinations]\nA = { host = '', port = 1 }\n", "'host' must be"),
        ("[destinations]\nA = { port = 1 }\n", "'host' must be"),
        ("[destinations]\nA = 'h:1'\n", "must be a table"),
        ("destinations = 1\n", "[destinations] must be a table"),
        ("[destinations]\n'A\\\\B' = { host = 'h', port = 1 }\n", "invalid AE title"),
        ("access = []\n", "[access] must be a table"),
        ("[access]\ncalling_ae_titles = 'A'\n", "must be a list"),
        ("[access]\ncalling_ae_titles = [1]\n", "must be a string"),
        ("[access]\ncalling_ae_titles = ['  ']\n", "may not be empty"),
        ("[access]\nallowed = []\n", "unknown key(s) allowed"),
        ("not toml", "not valid TOML"),
    ],
)
def test_bad_config_file(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert message in str(info.value)


def test_bad_config_is_a_usage_error(tmp_path, capsys):
    assert qrscp.main(["--config", str(tmp_path / "missing.toml")]) == 2
    assert "E: Bad configuration: cannot read" in capsys.readouterr().err


def test_unusable_storage_is_a_usage_error(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    assert qrscp.main(["--storage", str(blocker / "archive"), "0"]) == 2
    assert "E: Cannot open the archive in" in capsys.readouterr().err


def test_port_in_use(tmp_path, capsys):
    with running(tmp_path / "a") as server:
        status = qrscp.main(
            ["-b", LOOPBACK, "--storage", str(tmp_path / "b"), str(server.port)]
        )
    assert status == 5
    assert "E: Cannot listen on 127.0.0.1 port" in capsys.readouterr().err


STUDY_MOVE = StudyRootQueryRetrieveInformationModelMove

# -- C-STORE --------------------------------------------------------------------------


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "in-memory"])
def test_store_then_files_and_index(tmp_path, chunked):
    storage = tmp_path / "archive"
    datasets = corpus()
    with chunked_receiving(chunked), running(storage) as server:
        assert store_all(server.port, datasets) == [0] * 6
        assert server.archive.instance_count() == 6
    for ds in datasets:
        stored = dcmread(
            storage
            / ds.StudyInstanceUID
            / ds.SeriesInstanceUID
            / f"{ds.SOPInstanceUID}.dcm"
        )
        assert stored == ds
        assert stored.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
        assert stored.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID


#: PS3.5 A.4: one empty Basic Offset Table item, one fragment, the delimiter.
#: Not a real JPEG stream: nothing here decodes pixel data.
ENCAPSULATED = (
    b"\xfe\xff\x00\xe0\x00\x00\x00\x00\xfe\xff\x00\xe0\x04\x00\x00\x00"
    b"\xff\xd8\xff\xd9\xfe\xff\xdd\xe0\x00\x00\x00\x00"
)


def syntax_instances() -> list[Dataset]:
    """One instance in each of three transfer syntaxes, one series."""
    syntaxes = (ImplicitVRLittleEndian, ExplicitVRBigEndian, JPEGBaseline8Bit)
    instances = [
        make_instance("P9", "9.1", "9.1.1", n, syntax=syntax)
        for n, syntax in enumerate(syntaxes, start=1)
    ]
    instances[2].PixelData = ENCAPSULATED
    instances[2]["PixelData"].VR = "OB"
    return instances


def test_stored_and_moved_in_the_transfer_syntax_received(tmp_path):
    """Never transcoded: stored as received, sent to the destination as stored."""
    storage = tmp_path / "archive"
    syntaxes = [ImplicitVRLittleEndian, ExplicitVRBigEndian, JPEGBaseline8Bit]
    with with_destination(storage, syntaxes=syntaxes) as (server, destination):
        assert store_all(server.port, syntax_instances()) == [0, 0, 0]
        spec = "SERIES StudyInstanceUID=9.1 SeriesInstanceUID=9.1.1"
        responses = move(server.port, STUDY_MOVE, spec, "DEST")
    stored = {
        path.stem: dcmread(path, stop_before_pixels=True).file_meta.TransferSyntaxUID
        for path in (storage / "9.1" / "9.1.1").iterdir()
    }
    assert stored == {f"9.1.1.{n}": uid for n, uid in enumerate(syntaxes, start=1)}
    assert responses[-1][0].Status == 0x0000
    assert sorted(destination.syntaxes) == sorted(syntaxes)


def raising(exc: BaseException):
    def store(*args, **kwargs):
        raise exc

    return store


@pytest.mark.parametrize(
    "case",
    [
        (ArchiveFullError(errno.ENOSPC, "no space"), 0xA700, "Out of resources"),
        (OSError(errno.EDQUOT, "quota"), 0xA700, "Out of resources"),
        (OSError(errno.EIO, "I/O error"), 0xC000, "Cannot write the instance"),
        (ValueError("no Study Instance UID"), 0xC000, "Cannot store: no Study"),
        (sqlite3.OperationalError("locked"), 0xC000, "Cannot index"),
    ],
    ids=["full", "quota", "io-error", "unreadable", "database"],
)
@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "in-memory"])
def test_store_failures(tmp_path, monkeypatch, caplog, case, chunked):
    exc, status, comment = case
    with chunked_receiving(chunked), running(tmp_path / "archive") as server:
        monkeypatch.setattr(server.archive, "store", raising(exc))
        with association(server.port, CTImageStorage) as assoc:
            response = assoc.send_c_store(corpus()[0])
    assert response.Status == status
    assert response.ErrorComment.startswith(comment)
    assert any(record.levelname == "ERROR" for record in caplog.records)


@pytest.mark.parametrize("fsync", [True, False], ids=["fsync", "no-fsync"])
def test_spooled_file_is_flushed_with_fsync(tmp_path, monkeypatch, fsync):
    """The archive moves a spooled file in: with --fsync its data is flushed."""
    import dicomnet.archive.store as archive_store

    flushed: list[int] = []
    real_fsync = archive_store.os.fsync

    def counting(fd: int) -> None:
        flushed.append(fd)
        real_fsync(fd)

    monkeypatch.setattr(archive_store.os, "fsync", counting)
    argv = ["0", "-b", LOOPBACK, "--storage", str(tmp_path / "a")]
    with chunked_receiving(True):
        server = qrscp.start(options(*argv, "--fsync" if fsync else "--no-fsync"))
        try:
            assert store_all(server.port, corpus()[:1]) == [0]
        finally:
            server.shutdown()
    # The moved file's data, then its directory entry.
    assert (len(flushed) >= 2) is fsync
    assert (flushed == []) is not fsync


# -- C-FIND ---------------------------------------------------------------------------

PATIENT_FIND = PatientRootQueryRetrieveInformationModelFind
STUDY_FIND = StudyRootQueryRetrieveInformationModelFind
PS_FIND = PatientStudyOnlyQueryRetrieveInformationModelFind


#: id -> (model, "LEVEL Key=value ...", key to compare, the matches' values).
FIND_CASES = {
    "patient-all": (PATIENT_FIND, "PATIENT PatientID= PatientName=*", "PatientID", "P1 P2"),
    "patient-wildcard": (PATIENT_FIND, "PATIENT PatientID= PatientName=Alpha*", "PatientID", "P1"),
    "patient-root-study-range": (PATIENT_FIND, "STUDY PatientID=P1 StudyInstanceUID= StudyDate=20200101-20201231", "StudyInstanceUID", "1.2.3.1"),
    "study-open-range": (STUDY_FIND, "STUDY StudyInstanceUID= StudyDate=20210101-", "StudyInstanceUID", "1.2.3.2 1.2.3.4"),
    "study-closed-range": (STUDY_FIND, "STUDY StudyInstanceUID= StudyDate=-20201231", "StudyInstanceUID", "1.2.3.1 1.2.3.3"),
    "modalities-in-study": (STUDY_FIND, "STUDY StudyInstanceUID= ModalitiesInStudy=MR", "StudyInstanceUID", "1.2.3.2 1.2.3.4"),
    "series": (STUDY_FIND, "SERIES StudyInstanceUID=1.2.3.3 SeriesInstanceUID= Modality=CT", "SeriesInstanceUID", "1.2.3.3.1 1.2.3.3.2"),
    "image": (STUDY_FIND, "IMAGE StudyInstanceUID=1.2.3.1 SeriesInstanceUID=1.2.3.1.1 SOPInstanceUID=", "SOPInstanceUID", "1.2.3.1.1.1 1.2.3.1.1.2"),
    "image-number": (STUDY_FIND, "IMAGE StudyInstanceUID=1.2.3.1 SeriesInstanceUID=1.2.3.1.1 SOPInstanceUID= InstanceNumber=2", "SOPInstanceUID", "1.2.3.1.1.2"),
    "psonly-study": (PS_FIND, "STUDY PatientID=P2 StudyInstanceUID=", "StudyInstanceUID", "1.2.3.3 1.2.3.4"),
    "psonly-patient": (PS_FIND, "PATIENT PatientID=P? NumberOfPatientRelatedStudies=", "NumberOfPatientRelatedStudies", "2 2"),
    "no-match": (STUDY_FIND, "STUDY StudyInstanceUID= PatientName=Nobody*", "StudyInstanceUID", ""),
}  # fmt: skip


@pytest.mark.parametrize(
    ("model", "spec", "key", "expected"), FIND_CASES.values(), ids=FIND_CASES.keys()
)
def test_find(archive_server, model, spec, key, expected):
    identifier = parse_query(spec)
    matches, statuses = find(archive_server.port, model, identifier)
    assert sorted(str(match[key].value) for match in matches) == expected.split()
    assert statuses == [0xFF00] * len(expected.split()) + [0x0000]
    for match in matches:
        assert match.RetrieveAETitle == "QRSCP"
        assert match.QueryRetrieveLevel == identifier.QueryRetrieveLevel


def test_find_returns_the_requested_keys(archive_server):
    identifier = query(
        "STUDY",
        StudyInstanceUID="1.2.3.2",
        PatientName="",
        PatientID="",
        StudyDate="",
        NumberOfStudyRelatedInstances="",
    )
    (match,), _ = find(archive_server.port, STUDY_FIND, identifier)
    assert match.PatientName == "Alpha^Ann"
    assert match.PatientID == "P1"
    assert match.StudyDate == "20210615"
    assert match.NumberOfStudyRelatedInstances == 1


def test_find_with_an_unmatched_key_warns_ff01(archive_server):
    """InstitutionName is not indexed: returned empty, not matched (C.2.2.1)."""
    identifier = query("STUDY", StudyInstanceUID="", InstitutionName="Nowhere")
    matches, statuses = find(archive_server.port, STUDY_FIND, identifier)
    assert len(matches) == 4
    assert statuses == [0xFF01] * 4 + [0x0000]
    assert all(match.InstitutionName in ("", None) for match in matches)


def test_find_with_an_empty_unindexed_key_is_ff00(archive_server):
    identifier = query("STUDY", StudyInstanceUID="", InstitutionName="")
    _, statuses = find(archive_server.port, STUDY_FIND, identifier)
    assert statuses == [0xFF00] * 4 + [0x0000]


@pytest.mark.parametrize(
    "identifier",
    [
        query("PATIENT", PatientID=""),  # Study Root has no PATIENT level
        query("SERIES", SeriesInstanceUID=""),  # no Study Instance UID
        query("WARD"),
        query("STUDY", StudyInstanceUID=""),  # level removed below
    ],
    ids=["level-not-in-model", "missing-higher-key", "unknown-level", "no-level"],
)
def test_find_with_an_invalid_identifier_is_a900(archive_server, identifier):
    if identifier.get("StudyInstanceUID") == "":
        del identifier.QueryRetrieveLevel
    matches, statuses = find(archive_server.port, STUDY_FIND, identifier)
    assert (matches, statuses) == ([], [0xA900])


def test_find_database_error_is_c000(tmp_path, monkeypatch):
    with running(tmp_path / "archive") as server:
        monkeypatch.setattr(
            server.archive,
            "find",
            raising(sqlite3.OperationalError("disk I/O error")),
        )
        with association(server.port, STUDY_FIND) as assoc:
            ((status, _),) = list(assoc.send_c_find(query("STUDY"), STUDY_FIND))
    assert status.Status == 0xC000
    assert status.ErrorComment == "Cannot query the archive"


def test_cancel_during_find(archive_server, monkeypatch):
    """A C-CANCEL stops a C-FIND over (here: endless) matches with FE00."""
    cancel_sent = threading.Event()
    real_find = archive_server.archive.find
    produced = []

    def endless(identifier, model, **kwargs):
        first = next(iter(real_find(identifier, model, **kwargs)))

        def matches():
            yield first
            # The first match is out; the rest wait for the C-CANCEL.
            assert cancel_sent.wait(TIMEOUT)
            for _ in range(100_000):
                produced.append(1)
                yield first.copy()

        return matches()

    monkeypatch.setattr(archive_server.archive, "find", endless)
    identifier = query("STUDY", StudyInstanceUID="")
    statuses = []
    with association(archive_server.port, STUDY_FIND) as assoc:
        responses = assoc.send_c_find(identifier, STUDY_FIND, msg_id=7)
        for status, _ in responses:
            statuses.append(int(status.Status))
            if len(statuses) == 1:
                assoc.send_c_cancel(7, query_model=STUDY_FIND)
                cancel_sent.set()
    assert statuses[0] == 0xFF00
    assert statuses[-1] == 0xFE00
    assert set(statuses[1:-1]) <= {0xFF00}
    assert len(produced) < 100_000


# -- C-GET ----------------------------------------------------------------------------


class Collector:
    """An EVT_C_STORE handler keeping what C-GET sends back."""

    def __init__(self, status: int = 0x0000) -> None:
        self.datasets: list[Dataset] = []
        self.status = status

    def __call__(self, event: evt.Event) -> int:
        self.datasets.append(event.dataset)
        return self.status


def get(port: int, model: str, spec: str, roles=(CTImageStorage, MRImageStorage)):
    """C-GET as SCP of ``roles``; return the responses and what came back."""
    collector = Collector()
    handlers = [(evt.EVT_C_STORE, collector)]
    with association(port, model, roles=roles, handlers=handlers) as assoc:
        return list(assoc.send_c_get(parse_query(spec), model)), collector.datasets


GET_STUDY = StudyRootQueryRetrieveInformationModelGet
#: id -> (model, "LEVEL Key=value ...", the SOP Instance UIDs sent back).
GET_CASES = {
    "study": (GET_STUDY, "STUDY StudyInstanceUID=1.2.3.1", "1.2.3.1.1.1 1.2.3.1.1.2"),
    "patient": (PatientRootQueryRetrieveInformationModelGet, "PATIENT PatientID=P2", "1.2.3.3.1.1 1.2.3.3.2.1 1.2.3.4.1.1"),
    "image": (GET_STUDY, "IMAGE StudyInstanceUID=1.2.3.3 SeriesInstanceUID=1.2.3.3.2 SOPInstanceUID=1.2.3.3.2.1", "1.2.3.3.2.1"),
    "series-list": (GET_STUDY, "SERIES StudyInstanceUID=1.2.3.3 SeriesInstanceUID=1.2.3.3.1\\1.2.3.3.2", "1.2.3.3.1.1 1.2.3.3.2.1"),
    "nothing": (GET_STUDY, "STUDY StudyInstanceUID=9.9.9", ""),
}  # fmt: skip


@pytest.mark.parametrize(
    ("model", "spec", "expected"), GET_CASES.values(), ids=GET_CASES.keys()
)
def test_get(archive_server, model, spec, expected):
    expected = expected.split()
    responses, received = get(archive_server.port, model, spec)
    assert sorted(str(ds.SOPInstanceUID) for ds in received) == expected
    originals = {str(ds.SOPInstanceUID): ds for ds in corpus()}
    assert all(ds == originals[str(ds.SOPInstanceUID)] for ds in received)
    *pending, (final, _) = responses
    assert [int(status.Status) for status, _ in pending] == [0xFF00] * len(expected)
    assert final.Status == 0x0000
    assert final.NumberOfCompletedSuboperations == len(expected)
    assert final.NumberOfFailedSuboperations == 0


def test_get_without_scp_role_fails_the_sub_operations(archive_server):
    """No storage context with our SCP role: every sub-operation fails (A702)."""
    spec = "STUDY StudyInstanceUID=1.2.3.1"
    responses, _ = get(archive_server.port, GET_STUDY, spec, roles=())
    final, identifier = responses[-1]
    assert (final.Status, final.NumberOfFailedSuboperations) == (0xA702, 2)
    assert sorted(identifier.FailedSOPInstanceUIDList) == ["1.2.3.1.1.1", "1.2.3.1.1.2"]


def test_get_with_an_invalid_identifier_is_a900(archive_server):
    responses, received = get(archive_server.port, GET_STUDY, "STUDY")
    final, _ = responses[-1]
    assert final.Status == 0xA900
    assert "StudyInstanceUID" in final.ErrorComment
    assert received == []


def test_get_of_a_missing_file_fails_that_instance(tmp_path):
    storage = tmp_path / "archive"
    with running(storage) as server:
        assert store_all(server.port, corpus()[:2]) == [0, 0]
        (storage / "1.2.3.1" / "1.2.3.1.1" / "1.2.3.1.1.1.dcm").unlink()
        responses, received = get(
            server.port, GET_STUDY, "STUDY StudyInstanceUID=1.2.3.1"
        )
    assert [str(ds.SOPInstanceUID) for ds in received] == ["1.2.3.1.1.2"]
    final, identifier = responses[-1]
    assert final.Status == 0xB000  # some sub-operations failed
    assert (
        final.NumberOfCompletedSuboperations,
        final.NumberOfFailedSuboperations,
    ) == (1, 1)
    assert identifier.FailedSOPInstanceUIDList == "1.2.3.1.1.1"


def test_cancel_during_get(archive_server, monkeypatch):
    """A C-CANCEL interrupts the sub-operations: FE00 with the counts so far."""
    real_retrieve = archive_server.archive.retrieve
    many = 300  # each instance of the patient, 300 times over

    def retrieve(identifier, model):
        return real_retrieve(identifier, model) * many

    monkeypatch.setattr(archive_server.archive, "retrieve", retrieve)
    collector = Collector()
    model = PatientRootQueryRetrieveInformationModelGet
    statuses = []
    with association(
        archive_server.port,
        model,
        roles=(CTImageStorage, MRImageStorage),
        handlers=[(evt.EVT_C_STORE, collector)],
    ) as assoc:
        identifier = query("PATIENT", PatientID="P2")
        for status, _ in assoc.send_c_get(identifier, model, msg_id=3):
            statuses.append(status)
            if len(statuses) == 1:
                assoc.send_c_cancel(3, query_model=model)
    final = statuses[-1]
    assert final.Status == 0xFE00
    done = final.NumberOfCompletedSuboperations
    assert 1 <= done < 3 * many
    assert final.NumberOfRemainingSuboperations == 3 * many - done
    assert len(collector.datasets) == done


# -- C-MOVE ---------------------------------------------------------------------------


def move(port: int, model: str, spec: str, destination: str) -> list[Any]:
    with association(port, model) as assoc:
        return list(assoc.send_c_move(parse_query(spec), destination, model))


@contextmanager
def with_destination(storage: Path, **settings: Any):
    """qrscp, and a dicomnet Storage SCP as its Move Destination ``DEST``."""
    with storage_scp(**settings) as destination:
        with running(storage, "-md", f"DEST={LOOPBACK}:{destination.port}") as server:
            yield server, destination
        destination.wait_closed()


def test_move_to_a_second_ae(tmp_path):
    with with_destination(tmp_path / "archive") as (server, destination):
        assert store_all(server.port, corpus()) == [0] * 6
        model = PatientRootQueryRetrieveInformationModelMove
        responses = move(server.port, model, "PATIENT PatientID=P2", "DEST")
    final, _ = responses[-1]
    assert final.Status == 0x0000
    assert final.NumberOfCompletedSuboperations == 3
    received = sorted(str(ds.SOPInstanceUID) for ds in destination.datasets)
    assert received == ["1.2.3.3.1.1", "1.2.3.3.2.1", "1.2.3.4.1.1"]
    assert destination.associations == 1  # one association for the sub-operations


def test_move_to_an_unknown_destination_is_a801(archive_server):
    spec = "STUDY StudyInstanceUID=1.2.3.1"
    ((final, _),) = move(archive_server.port, STUDY_MOVE, spec, "NOWHERE")
    assert final.Status == 0xA801


def test_move_to_a_destination_that_is_down_is_a801(tmp_path, closed_port):
    with running(
        tmp_path / "archive", "-md", f"DOWN={LOOPBACK}:{closed_port}"
    ) as server:
        assert store_all(server.port, corpus()[:1]) == [0]
        spec = "STUDY StudyInstanceUID=1.2.3.1"
        responses = move(server.port, STUDY_MOVE, spec, "DOWN")
    assert responses[-1][0].Status == 0xA801


def test_move_with_an_invalid_identifier_is_a900(tmp_path):
    with with_destination(tmp_path / "archive") as (server, destination):
        # No Series Instance UID above the IMAGE level.
        spec = "IMAGE StudyInstanceUID=1.2.3.1 SOPInstanceUID=1.2.3.1.1.1"
        responses = move(server.port, STUDY_MOVE, spec, "DEST")
    final, _ = responses[-1]
    assert final.Status == 0xA900
    assert destination.datasets == []


def test_move_contexts_one_per_class_and_syntax(tmp_path):
    instances = [
        *syntax_instances(),  # CT: implicit LE, explicit BE, JPEG
        make_instance("P", "1", "1.1", 1),
        make_instance("P", "1", "1.1", 2),
        make_instance("P", "1", "1.2", 1, modality="MR", syntax=ImplicitVRLittleEndian),
    ]
    paths = [tmp_path / f"{ds.SOPInstanceUID}.dcm" for ds in instances]
    for ds, path in zip(instances, paths, strict=True):
        ds.save_as(path, enforce_file_format=True)
    paths.append(tmp_path / "missing.dcm")  # left out, with a warning
    contexts = [(cx.abstract_syntax, cx.transfer_syntax) for cx in move_contexts(paths)]
    assert contexts == [
        (CTImageStorage, [ImplicitVRLittleEndian, ExplicitVRLittleEndian]),
        (CTImageStorage, [ExplicitVRBigEndian]),
        (CTImageStorage, [JPEGBaseline8Bit]),
        (CTImageStorage, [ExplicitVRLittleEndian, ImplicitVRLittleEndian]),
        (MRImageStorage, [ImplicitVRLittleEndian, ExplicitVRLittleEndian]),
    ]


def test_move_contexts_at_most_128(tmp_path, monkeypatch):
    """PS3.8 9.3.2.2: 200 SOP classes still make one valid request."""
    pairs = iter((f"1.2.3.{n}", ExplicitVRBigEndian) for n in range(200))
    monkeypatch.setattr(_qrscp_handlers, "_stored_as", lambda path: next(pairs))
    assert len(move_contexts([tmp_path] * 200)) == 128


# -- access and restart -------------------------------------------------------------------


def test_calling_ae_titles_from_the_config(tmp_path):
    config = tmp_path / "qrscp.toml"
    config.write_text('[access]\ncalling_ae_titles = ["FRIEND"]\n')
    with running(tmp_path / "archive", "--config", str(config)) as server:
        for title, accepted in (("QRSCU", False), ("FRIEND", True)):
            ae = AE(title)
            ae.add_requested_context(Verification)
            assoc = ae.associate(LOOPBACK, server.port, ae_title="QRSCP")
            assert (assoc.is_established, assoc.is_rejected) == (accepted, not accepted)
            if accepted:
                assert assoc.send_c_echo().Status == 0x0000
                assoc.release()


def test_restart_finds_the_same_instances(tmp_path):
    storage = tmp_path / "archive"
    with running(storage) as server:
        assert store_all(server.port, corpus()) == [0] * 6
    with running(storage) as server:
        assert server.archive.instance_count() == 6
        spec = (
            "IMAGE StudyInstanceUID=1.2.3.3 SeriesInstanceUID=1.2.3.3.2 SOPInstanceUID="
        )
        matches, _ = find(server.port, STUDY_FIND, parse_query(spec))
        _, received = get(server.port, GET_STUDY, "STUDY StudyInstanceUID=1.2.3.2")
    assert [match.SOPInstanceUID for match in matches] == ["1.2.3.3.2.1"]
    assert [ds.SOPInstanceUID for ds in received] == ["1.2.3.2.1.1"]
