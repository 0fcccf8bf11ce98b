"""C-FIND, C-GET and C-MOVE against real, independent peers: pynetdicom and DCMTK.

dicomnet plays the SCP for pynetdicom and DCMTK ``findscu``/``getscu``/
``movescu``, and the SCU for pynetdicom and DCMTK ``dcmqrscp``; one C-MOVE
stores to DCMTK ``storescp``. DCMTK servers are waited for through
``/proc/net/tcp`` (``dcmtk_server``), never by connecting.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import pytest
from pydicom import dcmread
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian, generate_uid

from dicomnet import AE, build_role, evt
from dicomnet.sop_class import (
    CTImageStorage,
    PatientRootQueryRetrieveInformationModelFind,
    PatientRootQueryRetrieveInformationModelGet,
    PatientRootQueryRetrieveInformationModelMove,
    StudyRootQueryRetrieveInformationModelFind,
    StudyRootQueryRetrieveInformationModelGet,
    StudyRootQueryRetrieveInformationModelMove,
)
from tests.interop.capture import dcmtk_available, dcmtk_server, run_client

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = pytest.mark.interop

TIMEOUT = 10.0
LOOPBACK = "127.0.0.1"
SYNTAXES = [ExplicitVRLittleEndian, ImplicitVRLittleEndian]
P_FIND = PatientRootQueryRetrieveInformationModelFind
P_GET = PatientRootQueryRetrieveInformationModelGet
P_MOVE = PatientRootQueryRetrieveInformationModelMove
MODELS = [
    P_FIND,
    P_GET,
    P_MOVE,
    StudyRootQueryRetrieveInformationModelFind,
    StudyRootQueryRetrieveInformationModelGet,
    StudyRootQueryRetrieveInformationModelMove,
]
PATIENT_ID = "QR-INTEROP"
STUDY_UID = generate_uid()
SERIES_UID = generate_uid()


def needs(*tools: str) -> pytest.MarkDecorator:
    return pytest.mark.skipif(
        not dcmtk_available(*tools), reason=f"DCMTK {' '.join(tools)} not on PATH"
    )


def ct(index: int) -> Dataset:
    ds = Dataset()
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = generate_uid()
    ds.PatientName = "Interop^QR"
    ds.PatientID = PATIENT_ID
    ds.StudyInstanceUID = STUDY_UID
    ds.SeriesInstanceUID = SERIES_UID
    ds.Modality = "CT"
    ds.InstanceNumber = index + 1
    ds.Rows = ds.Columns = 8
    ds.BitsAllocated = ds.BitsStored = 16
    ds.HighBit = 15
    ds.SamplesPerPixel = 1
    ds.PixelRepresentation = 0
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.PixelData = bytes(range(128))
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = CTImageStorage
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    return ds


@pytest.fixture(scope="module")
def archive() -> list[Dataset]:
    return [ct(i) for i in range(3)]


def patient_query(level: str = "PATIENT") -> Dataset:
    ds = Dataset()
    ds.QueryRetrieveLevel = level
    ds.PatientID = PATIENT_ID
    ds.PatientName = ""
    return ds


def uids(datasets: list[Any]) -> list[str]:
    return sorted(str(ds.SOPInstanceUID) for ds in datasets)


def storage_ae(title: str, *, ae_class: Any = AE) -> Any:
    ae = ae_class(title)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = TIMEOUT
    ae.add_supported_context(CTImageStorage, SYNTAXES)
    return ae


class Received:
    """An EVT_C_STORE handler keeping data sets and Move Originator fields."""

    def __init__(self) -> None:
        self.datasets: list[Dataset] = []
        self.originators: list[tuple[object, object]] = []
        self.lock = threading.Lock()

    def __call__(self, event: Any) -> int:
        with self.lock:
            self.datasets.append(event.dataset)
            request = event.request
            self.originators.append(
                (
                    request.MoveOriginatorApplicationEntityTitle,
                    request.MoveOriginatorMessageID,
                )
            )
        return 0x0000


@pytest.fixture
def destination() -> Iterator[tuple[int, Received]]:
    """A dicomnet storage SCP, AE title DEST: the Move Destination."""
    ae = storage_ae("DEST")
    received = Received()
    server = ae.start_server(
        (LOOPBACK, 0), block=False, evt_handlers=[(evt.EVT_C_STORE, received)]
    )
    assert server is not None
    try:
        yield int(server.server_address[1]), received
    finally:
        ae.shutdown()


# -- a dicomnet Q/R SCP over a small in-memory archive ------------------------------


class Archive:
    """Handlers for EVT_C_FIND/GET/MOVE over ``datasets`` (one patient)."""

    def __init__(self, datasets: list[Dataset]) -> None:
        self.datasets = datasets
        self.destinations: dict[str, tuple[str, int]] = {}

    def matching(self, identifier: Dataset) -> list[Dataset]:
        wanted = identifier.get("PatientID", "")
        return [ds for ds in self.datasets if wanted in ("", "*", ds.PatientID)]

    def find(self, event: Any) -> Iterator[tuple[int, Dataset | None]]:
        identifier = event.identifier
        found = self.matching(identifier)
        if not found:
            return
        level = identifier.QueryRetrieveLevel
        rows = found[:1] if level in ("PATIENT", "STUDY") else found
        for ds in rows:
            if event.is_cancelled:
                yield 0xFE00, None
                return
            match = Dataset()
            match.QueryRetrieveLevel = level
            for keyword in identifier.dir():
                if keyword in ds:
                    match.add(ds[keyword])
            if "RetrieveAETitle" in identifier:
                match.RetrieveAETitle = "QR_SCP"
            yield 0xFF00, match

    def get(self, event: Any) -> Iterator[object]:
        found = self.matching(event.identifier)
        yield len(found)
        for ds in found:
            yield 0xFF00, ds

    def move(self, event: Any) -> Iterator[object]:
        yield self.destinations.get(event.move_destination, (None, None))
        found = self.matching(event.identifier)
        yield len(found)
        for ds in found:
            yield 0xFF00, ds


@pytest.fixture
def qr_scp(archive: list[Dataset]) -> Iterator[tuple[int, Archive]]:
    ae = AE("QR_SCP")
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = TIMEOUT
    for model in MODELS:
        ae.add_supported_context(model, SYNTAXES)
    # C-GET: take the storage SCU role the requestor offers (PS3.7 D.3.3.4).
    ae.add_supported_context(CTImageStorage, SYNTAXES, scu_role=True, scp_role=True)
    ae.add_requested_context(CTImageStorage, SYNTAXES)  # C-MOVE sub-operations
    store = Archive(archive)
    handlers = [
        (evt.EVT_C_FIND, store.find),
        (evt.EVT_C_GET, store.get),
        (evt.EVT_C_MOVE, store.move),
    ]
    server = ae.start_server((LOOPBACK, 0), block=False, evt_handlers=handlers)
    assert server is not None
    try:
        yield int(server.server_address[1]), store
    finally:
        ae.shutdown()


# -- pynetdicom SCU -> dicomnet SCP ----------------------------------------------------


@pytest.fixture
def pynetdicom_scu() -> Iterator[Any]:
    import pynetdicom

    ae = pynetdicom.AE(ae_title="PYNETDICOM")
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = TIMEOUT
    for model in (P_FIND, P_GET, P_MOVE):
        ae.add_requested_context(model, SYNTAXES)
    ae.add_requested_context(CTImageStorage, SYNTAXES)
    yield ae
    ae.shutdown()


def test_pynetdicom_find_get_move_against_dicomnet(
    qr_scp: tuple[int, Archive],
    pynetdicom_scu: Any,
    archive: list[Dataset],
    destination: tuple[int, Received],
) -> None:
    import pynetdicom

    port, store = qr_scp
    dest_port, dest_received = destination
    store.destinations["DEST"] = (LOOPBACK, dest_port)
    got: list[Dataset] = []

    def on_store(event: Any) -> int:
        got.append(event.dataset)
        return 0x0000

    role = pynetdicom.build_role(CTImageStorage, scp_role=True)
    assoc = pynetdicom_scu.associate(
        LOOPBACK,
        port,
        ae_title="QR_SCP",
        ext_neg=[role],
        evt_handlers=[(pynetdicom.evt.EVT_C_STORE, on_store)],
    )
    assert assoc.is_established
    found = list(assoc.send_c_find(patient_query(), P_FIND))
    gotten = list(assoc.send_c_get(patient_query(), P_GET, msg_id=2))
    moved = list(assoc.send_c_move(patient_query(), "DEST", P_MOVE, msg_id=3))
    assoc.release()

    assert [int(s.Status) for s, _ in found] == [0xFF00, 0x0000]
    assert found[0][1].PatientID == PATIENT_ID
    assert [int(s.Status) for s, _ in gotten] == [0xFF00] * 3 + [0x0000]
    assert gotten[-1][0].NumberOfCompletedSuboperations == 3
    assert uids(got) == uids(archive)
    assert [int(s.Status) for s, _ in moved] == [0xFF00] * 3 + [0x0000]
    assert uids(dest_received.datasets) == uids(archive)
    assert set(dest_received.originators) == {("PYNETDICOM", 3)}


def test_pynetdicom_cancel_against_dicomnet(
    qr_scp: tuple[int, Archive], pynetdicom_scu: Any, archive: list[Dataset]
) -> None:
    port, store = qr_scp
    # Many matches, so the C-CANCEL finds the query still running.
    store.datasets = [ct(i) for i in range(2000)]
    assoc = pynetdicom_scu.associate(LOOPBACK, port, ae_title="QR_SCP")
    assert assoc.is_established
    statuses = []
    for status, _identifier in assoc.send_c_find(patient_query("IMAGE"), P_FIND):
        statuses.append(int(status.Status))
        if len(statuses) == 2:
            assoc.send_c_cancel(1, query_model=P_FIND)
    assoc.release()

    # Cancel: seen by the handler (event.is_cancelled) or by the SCP itself.
    assert statuses[-1] == 0xFE00
    assert len(statuses) < 2001


# -- dicomnet SCU -> pynetdicom SCP ----------------------------------------------------


@pytest.fixture
def pynetdicom_scp(archive: list[Dataset]) -> Iterator[tuple[int, dict[str, Any]]]:
    import pynetdicom

    ae = pynetdicom.AE(ae_title="PYNETDICOM")
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = TIMEOUT
    for model in (P_FIND, P_GET, P_MOVE):
        ae.add_supported_context(model, SYNTAXES)
    ae.add_supported_context(CTImageStorage, SYNTAXES, scu_role=True, scp_role=True)
    ae.add_requested_context(CTImageStorage, SYNTAXES)
    config: dict[str, Any] = {"destinations": {}}

    def on_find(event: Any) -> Iterator[tuple[int, Dataset]]:
        config["find_identifier"] = event.identifier
        for ds in archive[:2]:
            match = Dataset()
            match.QueryRetrieveLevel = "IMAGE"
            match.SOPInstanceUID = ds.SOPInstanceUID
            yield 0xFF00, match

    def on_get(event: Any) -> Iterator[object]:
        yield len(archive)
        for ds in archive:
            yield 0xFF00, ds

    def on_move(event: Any) -> Iterator[object]:
        yield config["destinations"].get(event.move_destination, (None, None))
        yield len(archive)
        for ds in archive:
            yield 0xFF00, ds

    handlers: list[Any] = [
        (pynetdicom.evt.EVT_C_FIND, on_find),
        (pynetdicom.evt.EVT_C_GET, on_get),
        (pynetdicom.evt.EVT_C_MOVE, on_move),
    ]
    server = ae.start_server((LOOPBACK, 0), block=False, evt_handlers=handlers)
    assert server is not None
    try:
        yield int(server.server_address[1]), config
    finally:
        ae.shutdown()


def dicomnet_scu(title: str = "DICOMNET") -> AE:
    ae = AE(title)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = TIMEOUT
    for model in MODELS:
        ae.add_requested_context(model, SYNTAXES)
    ae.add_requested_context(CTImageStorage, SYNTAXES)
    return ae


def test_dicomnet_find_get_move_against_pynetdicom(
    pynetdicom_scp: tuple[int, dict[str, Any]],
    archive: list[Dataset],
    destination: tuple[int, Received],
) -> None:
    port, config = pynetdicom_scp
    dest_port, dest_received = destination
    config["destinations"]["DEST"] = (LOOPBACK, dest_port)
    got = Received()
    scu = dicomnet_scu()
    try:
        assoc = scu.associate(
            LOOPBACK,
            port,
            ae_title="PYNETDICOM",
            ext_neg=[build_role(CTImageStorage, scp_role=True)],
            evt_handlers=[(evt.EVT_C_STORE, got)],
        )
        assert assoc.is_established
        found = list(assoc.send_c_find(patient_query("IMAGE"), P_FIND, msg_id=5))
        gotten = list(assoc.send_c_get(patient_query(), P_GET, msg_id=6))
        moved = list(assoc.send_c_move(patient_query(), "DEST", P_MOVE, msg_id=7))
        nowhere = list(assoc.send_c_move(patient_query(), "NOWHERE", P_MOVE))
        assoc.release()
    finally:
        scu.shutdown()

    assert [int(s.Status) for s, _ in found] == [0xFF00, 0xFF00, 0x0000]
    assert [str(getattr(i, "SOPInstanceUID", "")) for _, i in found[:2]] == [
        str(ds.SOPInstanceUID) for ds in archive[:2]
    ]
    assert config["find_identifier"].PatientID == PATIENT_ID
    assert [int(s.Status) for s, _ in gotten] == [0xFF00] * 3 + [0x0000]
    assert uids(got.datasets) == uids(archive)
    assert int(moved[-1][0].Status) == 0x0000
    assert moved[-1][0].NumberOfCompletedSuboperations == 3
    assert uids(dest_received.datasets) == uids(archive)
    # pynetdicom names itself as Move Originator; PS3.7 9.1.1.1.7 (and
    # dicomnet) name the AE that invoked the C-MOVE.
    assert {message_id for _, message_id in dest_received.originators} == {7}
    assert [int(s.Status) for s, _ in nowhere] == [0xA801]


# -- DCMTK findscu / getscu / movescu -> dicomnet SCP ----------------------------------


def dcmtk_keys(*keys: str) -> list[str]:
    argv = []
    for key in keys:
        argv += ["-k", key]
    return argv


@needs("findscu")
def test_findscu_against_dicomnet(qr_scp: tuple[int, Archive], tmp_path: Path) -> None:
    port, _store = qr_scp
    done = run_client(
        [
            "findscu",
            "-aet",
            "FINDSCU",
            "-aec",
            "QR_SCP",
            "-P",
            "-X",
            "-od",
            str(tmp_path),
            *dcmtk_keys(
                "QueryRetrieveLevel=IMAGE",
                f"PatientID={PATIENT_ID}",
                "SOPInstanceUID",
                "InstanceNumber",
            ),
            LOOPBACK,
            str(port),
        ]
    )
    assert done.returncode == 0, done.stdout + done.stderr
    responses = sorted(tmp_path.glob("rsp*.dcm"))
    assert len(responses) == 3
    numbers = sorted(int(dcmread(path).InstanceNumber) for path in responses)
    assert numbers == [1, 2, 3]


@needs("findscu")
def test_findscu_cancel_against_dicomnet(qr_scp: tuple[int, Archive]) -> None:
    port, store = qr_scp
    store.datasets = [ct(i) for i in range(2000)]
    done = run_client(
        [
            "findscu",
            "-v",
            "-aec",
            "QR_SCP",
            "-P",
            "--cancel",
            "2",
            *dcmtk_keys("QueryRetrieveLevel=IMAGE", f"PatientID={PATIENT_ID}"),
            LOOPBACK,
            str(port),
        ]
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "Received Final Find Response (Cancel" in output
    assert output.count("Received Find Response") < 2000


@needs("getscu")
def test_getscu_against_dicomnet(
    qr_scp: tuple[int, Archive], archive: list[Dataset], tmp_path: Path
) -> None:
    port, _store = qr_scp
    done = run_client(
        [
            "getscu",
            "-aet",
            "GETSCU",
            "-aec",
            "QR_SCP",
            "-P",
            "-od",
            str(tmp_path),
            *dcmtk_keys("QueryRetrieveLevel=PATIENT", f"PatientID={PATIENT_ID}"),
            LOOPBACK,
            str(port),
        ]
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert uids([dcmread(path) for path in tmp_path.iterdir()]) == uids(archive)


@needs("movescu")
def test_movescu_against_dicomnet(
    qr_scp: tuple[int, Archive],
    archive: list[Dataset],
    destination: tuple[int, Received],
) -> None:
    port, store = qr_scp
    dest_port, received = destination
    store.destinations["DEST"] = (LOOPBACK, dest_port)
    done = run_client(
        [
            "movescu",
            "-aet",
            "MOVESCU",
            "-aec",
            "QR_SCP",
            "-aem",
            "DEST",
            "-P",
            *dcmtk_keys("QueryRetrieveLevel=PATIENT", f"PatientID={PATIENT_ID}"),
            LOOPBACK,
            str(port),
        ]
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert uids(received.datasets) == uids(archive)
    assert {aet for aet, _ in received.originators} == {"MOVESCU"}


# -- dicomnet SCU -> DCMTK dcmqrscp ----------------------------------------------------


DCMQRSCP_CONFIG = """\
NetworkTCPPort  = 104
MaxPDUSize      = 16384
MaxAssociations = 16

HostTable BEGIN
dest = (DEST, 127.0.0.1, {dest_port})
dicomnet = (DICOMNET, 127.0.0.1, 1)
HostTable END

VendorTable BEGIN
VendorTable END

AETable BEGIN
DCMQRSCP {storage} RW (20, 64mb) ANY
AETable END
"""


@needs("dcmqrscp")
def test_dicomnet_against_dcmqrscp(
    archive: list[Dataset], destination: tuple[int, Received], tmp_path: Path
) -> None:
    dest_port, dest_received = destination
    storage = tmp_path / "db"
    storage.mkdir()
    config = tmp_path / "dcmqrscp.cfg"
    config.write_text(DCMQRSCP_CONFIG.format(dest_port=dest_port, storage=storage))
    got = Received()
    scu = dicomnet_scu()
    with dcmtk_server("dcmqrscp", ["-c", str(config)]) as server:
        try:
            # Fill the archive with dicomnet's own C-STORE.
            store = scu.associate(LOOPBACK, server.port, ae_title="DCMQRSCP")
            assert store.is_established
            assert [store.send_c_store(ds).Status for ds in archive] == [0] * 3
            store.release()

            assoc = scu.associate(
                LOOPBACK,
                server.port,
                ae_title="DCMQRSCP",
                ext_neg=[build_role(CTImageStorage, scp_role=True)],
                evt_handlers=[(evt.EVT_C_STORE, got)],
            )
            assert assoc.is_established, server.output()
            found = list(assoc.send_c_find(patient_query(), P_FIND))
            gotten = list(assoc.send_c_get(patient_query(), P_GET, msg_id=2))
            moved = list(assoc.send_c_move(patient_query(), "DEST", P_MOVE, msg_id=3))
            assoc.release()
        finally:
            scu.shutdown()
        output = server.output()

    assert [int(s.Status) for s, _ in found] == [0xFF00, 0x0000], output
    assert getattr(found[0][1], "PatientID", None) == PATIENT_ID
    assert int(gotten[-1][0].Status) == 0x0000, output
    assert gotten[-1][0].NumberOfCompletedSuboperations == 3
    assert uids(got.datasets) == uids(archive)
    assert int(moved[-1][0].Status) == 0x0000, output
    assert uids(dest_received.datasets) == uids(archive)
    assert set(dest_received.originators) == {("DICOMNET", 3)}


# -- a C-MOVE to DCMTK storescp ----------------------------------------------------------


@needs("storescp")
def test_move_to_dcmtk_storescp(
    qr_scp: tuple[int, Archive], archive: list[Dataset], tmp_path: Path
) -> None:
    port, store = qr_scp
    out = tmp_path / "out"
    out.mkdir()
    scu = dicomnet_scu()
    with dcmtk_server("storescp", ["-aet", "STORESCP", "-od", str(out)]) as server:
        store.destinations["STORESCP"] = (LOOPBACK, server.port)
        try:
            assoc = scu.associate(LOOPBACK, port, ae_title="QR_SCP")
            assert assoc.is_established
            moved = list(assoc.send_c_move(patient_query(), "STORESCP", P_MOVE))
            assoc.release()
        finally:
            scu.shutdown()
        output = server.output()

    assert [int(s.Status) for s, _ in moved] == [0xFF00] * 3 + [0x0000], output
    assert uids([dcmread(path) for path in out.iterdir()]) == uids(archive)
