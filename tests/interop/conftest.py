"""Recorded sessions between real DICOM peers, for the PDU codec interop tests.

Each :class:`Session` runs one or more associations between DCMTK and/or
pynetdicom peers through a :class:`~.capture.RecordingProxy` on loopback and
records every PDU of both directions. Each session runs at most once per test
run (the :func:`captures` fixture caches it) and only when a test asks for it.

Expected flows are written as a compact string: ``>`` is requestor to acceptor,
``<`` acceptor to requestor, and ``RQ AC RJ P RL RP AB`` name the PDU types of
PS3.8 9.3.1 (P = P-DATA-TF; a run of consecutive P-DATA-TF in one direction is
written once).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from .capture import (
    DEFAULT_TIMEOUT,
    LOOPBACK,
    Capture,
    RecordingProxy,
    dcmtk_available,
    dcmtk_server,
    run_client,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from pynetdicom.events import EventHandlerType

VERIFICATION = "1.2.840.10008.1.1"
CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2"
ENHANCED_CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2.1"
LEGACY_CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2.2"
STORAGE_SERVICE_CLASS = "1.2.840.10008.4.2"
EXPLICIT_VR_LE = "1.2.840.10008.1.2.1"
IMPLICIT_VR_LE = "1.2.840.10008.1.2"
PATIENT_ROOT_GET = "1.2.840.10008.5.1.4.1.2.1.3"

CALLED = "INTEROP-SCP"
CALLING = "INTEROP-SCU"

#: One sample identity per User-Identity-Type (PS3.7 D.3.3.7.1), type -> (primary, secondary).
IDENTITIES: dict[int, tuple[bytes, bytes]] = {
    1: (b"alice", b""),
    2: (b"alice", b"s3cret"),
    3: (b"\x60\x82\x01\x00kerberos-service-ticket", b""),
    4: (b"<saml:Assertion>interop</saml:Assertion>", b""),
    5: (b"eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.", b""),
}
SERVER_RESPONSE = b"interop-server-response"
SOP_EXTENDED_INFO = b"\x01\x00\x01"


@dataclass(frozen=True)
class Session:
    """A recipe for one recorded session and what its PDUs must show."""

    name: str
    run: Callable[[Path], Capture]
    #: DCMTK binaries the session needs (skip, with reason, if one is missing).
    tools: tuple[str, ...] = ()
    #: Expected flow per connection, in the notation of the module docstring.
    flows: tuple[str, ...] = ()
    called_ae: str = CALLED
    calling_ae: str = CALLING
    #: Minimum number of presentation contexts the A-ASSOCIATE-RQ proposes.
    min_contexts: int = 1
    #: (type, positive response requested, primary field, secondary field) of
    #: the user identity RQ sub-item.
    user_identity: tuple[int, bool, bytes, bytes] | None = None
    #: Server response expected in the AC's user identity sub-item.
    server_response: bytes | None = None
    #: (result, source, reason) of the A-ASSOCIATE-RJ.
    reject: tuple[int, int, int] | None = None
    #: Source of the A-ABORT.
    abort_source: int | None = None
    #: SOP Class UIDs that must carry an SCP/SCU role selection sub-item in the RQ.
    role_uids: tuple[str, ...] = ()
    #: Whether the RQ carries every extended negotiation sub-item pynetdicom can send.
    full_ext_neg: bool = False

    @property
    def accepted(self) -> bool:
        """Whether the expected flow has the acceptor send an A-ASSOCIATE-AC."""
        return any("<AC" in flow.split() for flow in self.flows)

    @property
    def has_p_data(self) -> bool:
        """Whether the expected flow carries P-DATA-TF PDUs."""
        return any(step[1:] == "P" for flow in self.flows for step in flow.split())


# --- generated input files -------------------------------------------------------


def write_ct_file(directory: Path, name: str = "ct.dcm", size: int = 20000) -> Path:
    """A small CT Image Storage file, big enough to span several P-DATA-TF PDUs."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import UID, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UID(CT_IMAGE_STORAGE)
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = UID(EXPLICIT_VR_LE)
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = CT_IMAGE_STORAGE
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.PatientID = "INTEROP"
    ds.PatientName = "Interop^Capture"
    ds.Modality = "CT"
    ds.Rows = 100
    ds.Columns = size // 200
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.PixelData = bytes(range(256)) * (size // 256) + bytes(size % 256)
    path = directory / name
    ds.save_as(path, enforce_file_format=True)
    return path


# --- DCMTK sessions --------------------------------------------------------------


def _dcmtk_session(
    name: str,
    client: Callable[[int, Path], list[str]],
    scp_args: tuple[str, ...] = (),
) -> Callable[[Path], Capture]:
    """Record ``client`` (argv built from the proxy port) against ``storescp``."""

    def run(tmp: Path) -> Capture:
        args = ("--ignore", "-aet", CALLED, *scp_args)
        with dcmtk_server("storescp", args) as scp, RecordingProxy(scp.port) as proxy:
            result = run_client(client(proxy.port, tmp))
            proxy.wait()
            log = f"{result.args}\n{result.stdout}{result.stderr}\n{scp.output()}"
            return proxy.capture(name, log)

    return run


def _echoscu(*options: str) -> Callable[[int, Path], list[str]]:
    def argv(port: int, _tmp: Path) -> list[str]:
        return [
            "echoscu",
            "-aet",
            CALLING,
            "-aec",
            CALLED,
            *options,
            LOOPBACK,
            str(port),
        ]

    return argv


#: storescu options that take a file, and the identity type whose primary field it holds.
IDENTITY_FILES = {"kerberos": 3, "saml": 4, "jwt": 5}


def _storescu(*options: str) -> Callable[[int, Path], list[str]]:
    def argv(port: int, tmp: Path) -> list[str]:
        path = write_ct_file(tmp)
        for stem, kind in IDENTITY_FILES.items():
            (tmp / stem).write_bytes(IDENTITIES[kind][0])
        opts = [str(tmp / o) if o in IDENTITY_FILES else o for o in options]
        return [
            "storescu",
            "-aet",
            CALLING,
            "-aec",
            CALLED,
            *opts,
            LOOPBACK,
            str(port),
            str(path),
        ]

    return argv


def _getscu(port: int, _tmp: Path) -> list[str]:
    return [
        "getscu", "-aet", CALLING, "-aec", CALLED, "-P",
        "-k", "QueryRetrieveLevel=PATIENT", "-k", "PatientID=INTEROP",
        LOOPBACK, str(port),
    ]  # fmt: skip


# --- pynetdicom sessions ---------------------------------------------------------


def _on_user_id(event: Any) -> tuple[bool, bytes]:
    return True, SERVER_RESPONSE


def _on_sop_extended(event: Any) -> dict[str, bytes]:
    return dict(event.app_info)


def _on_sop_common(event: Any) -> dict[str, Any]:
    return dict(event.items)


def _on_async_ops(event: Any) -> tuple[int, int]:
    return event.invoked, event.performed


@contextmanager
def pynetdicom_scp(*, require_called_aet: bool = False) -> Iterator[int]:
    """A pynetdicom SCP on a loopback ephemeral port answering every negotiation."""
    from pynetdicom import AE, evt

    ae = AE(ae_title=CALLED)
    ae.require_called_aet = require_called_aet
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = DEFAULT_TIMEOUT
    for uid in (VERIFICATION, CT_IMAGE_STORAGE):
        ae.add_supported_context(
            uid, [EXPLICIT_VR_LE, IMPLICIT_VR_LE], scu_role=True, scp_role=True
        )
    handlers: list[EventHandlerType] = [
        (evt.EVT_USER_ID, _on_user_id),
        (evt.EVT_SOP_EXTENDED, _on_sop_extended),
        (evt.EVT_SOP_COMMON, _on_sop_common),
        (evt.EVT_ASYNC_OPS, _on_async_ops),
        (evt.EVT_C_STORE, lambda _event: 0x0000),
    ]
    # The listening socket is bound and listening once start_server returns.
    server = ae.start_server((LOOPBACK, 0), block=False, evt_handlers=handlers)
    assert server is not None  # block=False always returns the server
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()


def full_ext_neg(identity_type: int) -> list[Any]:
    """One of every user-information sub-item pynetdicom sends (PS3.7 D.3.3)."""
    from pynetdicom.pdu_primitives import (
        AsynchronousOperationsWindowNegotiation,
        SCP_SCU_RoleSelectionNegotiation,
        SOPClassCommonExtendedNegotiation,
        SOPClassExtendedNegotiation,
        UserIdentityNegotiation,
    )

    items: list[Any] = []
    for uid, scu, scp in ((CT_IMAGE_STORAGE, True, True), (VERIFICATION, True, False)):
        role = SCP_SCU_RoleSelectionNegotiation()
        role.sop_class_uid, role.scu_role, role.scp_role = uid, scu, scp
        items.append(role)
    window = AsynchronousOperationsWindowNegotiation()
    window.maximum_number_operations_invoked = 5
    window.maximum_number_operations_performed = 3
    extended = SOPClassExtendedNegotiation()
    extended.sop_class_uid = CT_IMAGE_STORAGE
    extended.service_class_application_information = SOP_EXTENDED_INFO
    common = SOPClassCommonExtendedNegotiation()
    common.sop_class_uid = ENHANCED_CT_IMAGE_STORAGE
    common.service_class_uid = STORAGE_SERVICE_CLASS
    common.related_general_sop_class_identification = [
        CT_IMAGE_STORAGE,
        LEGACY_CT_IMAGE_STORAGE,
    ]
    identity = UserIdentityNegotiation()
    identity.user_identity_type = identity_type
    identity.positive_response_requested = True
    identity.primary_field, secondary = IDENTITIES[identity_type]
    if secondary:
        identity.secondary_field = secondary
    return [*items, window, extended, common, identity]


def pynetdicom_scu(
    port: int,
    *,
    called: str = CALLED,
    ext_neg: list[Any] | None = None,
    store: Path | None = None,
    abort: bool = False,
) -> str:
    """Associate, C-ECHO (and C-STORE ``store``), then release or abort."""
    from pydicom import dcmread
    from pynetdicom import AE

    ae = AE(ae_title=CALLING)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = DEFAULT_TIMEOUT
    for uid in (VERIFICATION, CT_IMAGE_STORAGE):
        ae.add_requested_context(uid, [EXPLICIT_VR_LE, IMPLICIT_VR_LE])
    assoc = ae.associate(LOOPBACK, port, ae_title=called, ext_neg=ext_neg)
    outcome = "not established"
    if assoc.is_established:
        outcome = f"echo {assoc.send_c_echo()}"
        if store is not None:
            outcome += f", store {assoc.send_c_store(dcmread(store))}"
        if abort:
            assoc.abort()
        else:
            assoc.release()
    if assoc.ident is not None:  # a rejected association never starts its thread
        assoc.join(DEFAULT_TIMEOUT)
    return outcome


def _pynetdicom_pair(
    name: str,
    *,
    require_called_aet: bool = False,
    identity: int | None = None,
    **scu: Any,
) -> Callable[[Path], Capture]:
    def run(_tmp: Path) -> Capture:
        # Built here, not at collection: pynetdicom is imported only when used.
        ext_neg = None if identity is None else full_ext_neg(identity)
        with (
            pynetdicom_scp(require_called_aet=require_called_aet) as port,
            RecordingProxy(port) as proxy,
        ):
            outcome = pynetdicom_scu(proxy.port, ext_neg=ext_neg, **scu)
            proxy.wait()
            return proxy.capture(name, outcome)

    return run


def _echoscu_to_pynetdicom(tmp: Path) -> Capture:
    with pynetdicom_scp() as port, RecordingProxy(port) as proxy:
        result = run_client(_echoscu()(proxy.port, tmp))
        proxy.wait()
        return proxy.capture("echoscu-pynetdicom", result.stdout + result.stderr)


def _pynetdicom_to_storescp(tmp: Path) -> Capture:
    path = write_ct_file(tmp)
    args = ("--ignore", "-aet", CALLED)
    with dcmtk_server("storescp", args) as scp, RecordingProxy(scp.port) as proxy:
        outcome = pynetdicom_scu(proxy.port, store=path)
        proxy.wait()
        return proxy.capture("pynetdicom-storescp", f"{outcome}\n{scp.output()}")


# --- the catalogue ---------------------------------------------------------------

ECHO_FLOW = ">RQ <AC >P <P >RL <RP"
STORE_FLOW = ECHO_FLOW


def _catalogue() -> list[Session]:
    dcmtk: list[Session] = [
        Session(
            "dcmtk-echo",
            _dcmtk_session("dcmtk-echo", _echoscu()),
            ("echoscu", "storescp"),
            (ECHO_FLOW,),
        ),
        Session(
            "dcmtk-echo-abort",
            _dcmtk_session("dcmtk-echo-abort", _echoscu("--abort")),
            ("echoscu", "storescp"),
            (">RQ <AC >P <P >AB",),
            abort_source=0,
        ),
        Session(
            "dcmtk-echo-128-contexts",
            # The largest RQ echoscu can make: 128 contexts x 38 transfer syntaxes.
            _dcmtk_session(
                "dcmtk-echo-128-contexts", _echoscu("-ppc", "128", "-pts", "38")
            ),
            ("echoscu", "storescp"),
            (ECHO_FLOW,),
            min_contexts=128,
        ),
        Session(
            "dcmtk-refuse",
            _dcmtk_session("dcmtk-refuse", _echoscu(), ("--refuse",)),
            ("echoscu", "storescp"),
            (">RQ <RJ",),
            reject=(1, 1, 1),
        ),
        Session(
            "dcmtk-scp-abort",
            _dcmtk_session("dcmtk-scp-abort", _storescu("-R"), ("--abort-after",)),
            ("storescu", "storescp"),
            (">RQ <AC >P <AB",),
            abort_source=0,
        ),
        Session(
            "dcmtk-getscu-roles",
            _dcmtk_session("dcmtk-getscu-roles", _getscu),
            ("getscu", "storescp"),
            (">RQ <AC",),
            role_uids=(CT_IMAGE_STORAGE,),
        ),
    ]
    # storescp never answers user identity: with -rsp, storescu drops the
    # connection after the AC for username (and passcode) types but carries on
    # for the others (DCMTK 3.6.7), so type 2 goes without it to record a store.
    identities = {
        1: (("-usr", "alice", "-rsp"), ">RQ <AC"),
        2: (("-usr", "alice", "-pwd", "s3cret"), STORE_FLOW),
        3: (("-kt", "kerberos", "-rsp"), STORE_FLOW),
        4: (("--saml", "saml", "-rsp"), STORE_FLOW),
        5: (("--jwt", "jwt", "-rsp"), STORE_FLOW),
    }
    for kind, (options, flow) in identities.items():
        name = f"dcmtk-store-identity-{kind}"
        dcmtk.append(
            Session(
                name,
                # A small receive limit on storescp makes storescu fragment.
                _dcmtk_session(name, _storescu(*options), ("-pdu", "4096")),
                ("storescu", "storescp"),
                (flow,),
                min_contexts=100,
                user_identity=(kind, "-rsp" in options, *IDENTITIES[kind]),
            )
        )
    pynetdicom: list[Session] = [
        Session(
            f"pynetdicom-ext-neg-identity-{kind}",
            _pynetdicom_pair(f"pynetdicom-ext-neg-identity-{kind}", identity=kind),
            flows=(ECHO_FLOW,),
            min_contexts=2,
            user_identity=(kind, True, *IDENTITIES[kind]),
            # pynetdicom answers only Kerberos, SAML and JWT identities
            # (PS3.7 D.3.3.7.2 lets an acceptor stay silent for the others).
            server_response=SERVER_RESPONSE if kind >= 3 else None,
            role_uids=(CT_IMAGE_STORAGE, VERIFICATION),
            full_ext_neg=True,
        )
        for kind in IDENTITIES
    ]
    pynetdicom += [
        Session(
            "pynetdicom-reject",
            _pynetdicom_pair(
                "pynetdicom-reject", require_called_aet=True, called="SOMEONE-ELSE"
            ),
            flows=(">RQ <RJ",),
            called_ae="SOMEONE-ELSE",
            reject=(1, 1, 7),
        ),
        Session(
            "pynetdicom-abort",
            _pynetdicom_pair("pynetdicom-abort", abort=True),
            flows=(">RQ <AC >P <P >AB",),
            abort_source=0,
        ),
        Session(
            "echoscu-pynetdicom", _echoscu_to_pynetdicom, ("echoscu",), (ECHO_FLOW,)
        ),
        Session(
            "pynetdicom-storescp",
            _pynetdicom_to_storescp,
            ("storescp",),
            (">RQ <AC >P <P >P <P >RL <RP",),
        ),
    ]
    return dcmtk + pynetdicom


SESSIONS: dict[str, Session] = {session.name: session for session in _catalogue()}


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker that narrows a test to the sessions showing a feature."""
    config.addinivalue_line(
        "markers",
        "capture_feature(name): run only for recorded sessions whose Session.<name> "
        "is truthy",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize every test asking for ``recipe`` by session, named after it.

    A ``capture_feature`` marker keeps only the sessions that show the feature,
    so a check never passes vacuously on a session that cannot exercise it.
    """
    if "recipe" not in metafunc.fixturenames:
        return
    sessions = list(SESSIONS.values())
    for marker in metafunc.definition.iter_markers("capture_feature"):
        sessions = [s for s in sessions if getattr(s, marker.args[0])]
    metafunc.parametrize("recipe", sessions, ids=[s.name for s in sessions])


@pytest.fixture(scope="session")
def capture_cache() -> dict[str, Capture]:
    """Captures already recorded in this test run, by session name."""
    return {}


@pytest.fixture
def recorded(
    recipe: Session,
    capture_cache: dict[str, Capture],
    tmp_path_factory: pytest.TempPathFactory,
) -> Capture:
    """The capture of ``recipe``, recorded on first use (each peer runs once)."""
    missing = [tool for tool in recipe.tools if not dcmtk_available(tool)]
    if missing:
        pytest.skip(f"DCMTK not installed: {', '.join(missing)} missing from PATH")
    if recipe.name not in capture_cache:
        capture_cache[recipe.name] = recipe.run(tmp_path_factory.mktemp(recipe.name))
    return capture_cache[recipe.name]
