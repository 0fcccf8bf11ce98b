"""AE.associate / start_server / make_server / shutdown over loopback.

Complements tests/test_association.py: negotiation items, several servers per
AE, server-level handlers, notification events, logging, and the error
contracts of pynetdicom's API. Waits are on events, futures and joins.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from dicomnet import AE, _config, build_context, evt
from dicomnet.pdu_primitives import (
    AsynchronousOperationsWindowNegotiation,
    SCP_SCU_RoleSelectionNegotiation,
    SOPClassCommonExtendedNegotiation,
    SOPClassExtendedNegotiation,
    UserIdentityNegotiation,
)
from dicomnet.sop_class import CTImageStorage, Verification
from dicomnet.transport import AssociationServer, ThreadedAssociationServer
from dicomnet.ul.pdu import (
    A_ASSOCIATE_AC,
    A_ASSOCIATE_RQ,
    A_RELEASE_RP,
    A_RELEASE_RQ,
)

TIMEOUT = 10.0


@pytest.fixture
def server_ae() -> Iterator[AE]:
    ae = AE("SERVER")
    ae.add_supported_context(Verification)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = TIMEOUT
    yield ae
    ae.shutdown()


@pytest.fixture
def client_ae() -> Iterator[AE]:
    ae = AE("CLIENT")
    ae.add_requested_context(Verification)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = TIMEOUT
    yield ae
    ae.shutdown()


def serve(ae: AE, **kwargs: Any) -> ThreadedAssociationServer:
    server = ae.start_server(("127.0.0.1", 0), block=False, **kwargs)
    assert isinstance(server, ThreadedAssociationServer)
    return server


def port_of(server: AssociationServer) -> int:
    return int(server.server_address[1])


def wait_gone(assoc: Any) -> None:
    assoc.join(TIMEOUT)
    assert not assoc.is_alive()


# -- the association's description ---------------------------------------------


def test_both_ends_describe_each_other(server_ae: AE, client_ae: AE) -> None:
    accepted: list[Any] = []
    ready = threading.Event()

    def on_established(event: evt.Event) -> None:
        accepted.append(event)
        ready.set()

    server = serve(server_ae, evt_handlers=[(evt.EVT_ESTABLISHED, on_established)])
    assoc = client_ae.associate(
        "127.0.0.1", port_of(server), ae_title="SERVER", max_pdu=8192
    )
    assert assoc.is_established and assoc.is_requestor and not assoc.is_acceptor
    assert assoc.mode == "requestor" and assoc.ae is client_ae
    assert assoc.local["ae_title"] == "CLIENT"
    assert assoc.remote["ae_title"] == "SERVER"
    assert assoc.remote["port"] == port_of(server)
    assert assoc.requestor.is_requestor and assoc.acceptor.is_acceptor
    assert assoc.requestor.maximum_length == 8192
    assert assoc.acceptor.maximum_length == server_ae.maximum_pdu_size
    assert assoc.acceptor.implementation_class_uid == server_ae.implementation_class_uid
    assert assoc.accepted_contexts[0].abstract_syntax == Verification
    assert assoc.rejected_contexts == []
    assert assoc.is_alive()
    assert "requestor" in repr(assoc)

    assert ready.wait(TIMEOUT)
    theirs = accepted[0].assoc
    assert theirs.is_acceptor and theirs.mode == "acceptor"
    assert theirs.server is server
    assert theirs.requestor.ae_title == "CLIENT"
    assert theirs.requestor.maximum_length == 8192
    assert theirs.local["port"] == port_of(server)
    assert theirs in server.active_associations
    assoc.release()
    wait_gone(theirs)
    assert server.active_associations == []


def test_unaccepted_contexts_are_rejected_and_unusable(
    server_ae: AE, client_ae: AE
) -> None:
    client_ae.add_requested_context(CTImageStorage)
    assoc = client_ae.associate("127.0.0.1", port_of(serve(server_ae)))
    assert assoc.is_established
    assert [cx.abstract_syntax for cx in assoc.rejected_contexts] == [CTImageStorage]
    assoc.release()


def test_echo_needs_an_established_association_and_a_context(
    server_ae: AE, client_ae: AE
) -> None:
    server_ae.add_supported_context(CTImageStorage)
    port = port_of(serve(server_ae))
    assoc = client_ae.associate(
        "127.0.0.1", port, contexts=[build_context(CTImageStorage)]
    )
    assert assoc.is_established
    with pytest.raises(ValueError, match="No presentation context"):
        assoc.send_c_echo()
    assoc.release()
    assoc.release()  # released already: nothing to do
    assoc.abort()  # likewise
    assert assoc.is_released and not assoc.is_aborted
    with pytest.raises(RuntimeError):
        assoc.send_c_echo()


# -- several servers, their own settings and handlers --------------------------


def test_each_server_has_its_own_title_contexts_and_handlers(
    server_ae: AE, client_ae: AE
) -> None:
    hits: list[str] = []
    first = serve(
        server_ae,
        ae_title="FIRST",
        evt_handlers=[(evt.EVT_C_ECHO, lambda _e: hits.append("first") or 0)],
    )
    second = serve(
        server_ae,
        ae_title="SECOND",
        contexts=[build_context(CTImageStorage)],
        evt_handlers=[(evt.EVT_C_ECHO, lambda _e: hits.append("second") or 0)],
    )
    server_ae.require_called_aet = True

    one = client_ae.associate("127.0.0.1", port_of(first), ae_title="FIRST")
    assert one.is_established
    assert one.send_c_echo().Status == 0
    one.release()

    wrong = client_ae.associate("127.0.0.1", port_of(first), ae_title="SECOND")
    assert wrong.is_rejected

    two = client_ae.associate(
        "127.0.0.1",
        port_of(second),
        ae_title="SECOND",
        contexts=[build_context(Verification), build_context(CTImageStorage)],
    )
    assert [cx.abstract_syntax for cx in two.accepted_contexts] == [CTImageStorage]
    two.release()
    assert hits == ["first"]


def test_server_unbind_reaches_running_associations(
    server_ae: AE, client_ae: AE
) -> None:
    def handler(_event: evt.Event, *_args: object) -> int:
        return 0x0001

    server = serve(server_ae, evt_handlers=[(evt.EVT_C_ECHO, handler)])
    assert server.get_handlers(evt.EVT_C_ECHO) == (handler, None)
    assert evt.EVT_C_ECHO in server.get_events()
    assoc = client_ae.associate("127.0.0.1", port_of(server))
    assert assoc.send_c_echo().Status == 0x0001
    server.unbind(evt.EVT_C_ECHO, handler)
    assert assoc.send_c_echo().Status == 0x0000  # back to the default handler
    server.bind(evt.EVT_C_ECHO, handler, ["an arg"])
    assert assoc.send_c_echo().Status == 0x0001
    assoc.release()


def test_make_server_builds_a_server_that_is_not_serving(server_ae: AE) -> None:
    server = server_ae.make_server(("127.0.0.1", 0), ae_title="MADE")
    try:
        assert type(server) is AssociationServer
        assert server.ae_title == "MADE"
        assert server.active_associations == []
        assert server not in server_ae._servers
    finally:
        server.server_close()


def test_server_arguments_are_checked(server_ae: AE) -> None:
    bad = build_context(CTImageStorage)
    bad.scu_role = True
    with pytest.raises(ValueError, match="scu_role"):
        server_ae.make_server(("127.0.0.1", 0), contexts=[bad])
    with pytest.raises(ValueError):
        server_ae.make_server(("127.0.0.1", 0), ae_title="X" * 17)
    with pytest.raises(TypeError):
        server_ae.make_server(("127.0.0.1", 0), evt_handlers="nope")  # type: ignore[arg-type]
    taken = serve(server_ae)
    with pytest.raises(OSError):
        server_ae.start_server(("127.0.0.1", port_of(taken)), block=False)


def test_associate_arguments_are_checked(client_ae: AE) -> None:
    with pytest.raises(ValueError):
        client_ae.associate("127.0.0.1", 104, contexts=["not a context"])  # type: ignore[list-item]
    with pytest.raises(ValueError):
        client_ae.associate(
            "127.0.0.1", 104, contexts=[build_context(Verification)] * 129
        )
    with pytest.raises(TypeError):
        client_ae.associate("127.0.0.1", True)
    with pytest.raises(TypeError):
        client_ae.associate(("127.0.0.1",), 104)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        client_ae.associate("127.0.0.1", 104, evt_handlers=[(evt.EVT_C_ECHO,)])
    assert client_ae.active_associations == []


# -- negotiation items and intervention handlers --------------------------------


def test_extended_negotiation_reaches_the_acceptor_handlers(
    server_ae: AE, client_ae: AE
) -> None:
    seen: dict[str, Any] = {}

    def on_ext(event: evt.Event) -> dict[str, bytes]:
        seen["ext"] = event.app_info
        return dict.fromkeys(event.app_info, b"\x01")

    def on_common(event: evt.Event) -> dict[str, Any]:
        seen["common"] = sorted(event.items)
        return event.items

    def on_async(event: evt.Event) -> tuple[int, int]:
        seen["async"] = (event.nr_invoked, event.nr_performed)
        return (5, 5)

    def on_user(event: evt.Event) -> tuple[bool, bytes]:
        seen["user"] = (event.user_id_type, event.primary_field, event.secondary_field)
        return True, b"token"

    server = serve(
        server_ae,
        evt_handlers=[
            (evt.EVT_SOP_EXTENDED, on_ext),
            (evt.EVT_SOP_COMMON, on_common),
            (evt.EVT_ASYNC_OPS, on_async),
            (evt.EVT_USER_ID, on_user),
        ],
    )
    ext = SOPClassExtendedNegotiation()
    ext.sop_class_uid = Verification
    ext.service_class_application_information = b"\x00\x01"
    common = SOPClassCommonExtendedNegotiation()
    common.sop_class_uid = Verification
    common.service_class_uid = "1.2.840.10008.4.2"
    window = AsynchronousOperationsWindowNegotiation()
    window.maximum_number_operations_invoked = 3
    window.maximum_number_operations_performed = 4
    user = UserIdentityNegotiation()
    user.user_identity_type = 2
    user.primary_field = b"alice"
    user.secondary_field = b"secret"
    user.positive_response_requested = True

    assoc = client_ae.associate(
        "127.0.0.1", port_of(server), ext_neg=[ext, common, window, user]
    )
    assert assoc.is_established
    assoc.release()
    assert seen == {
        "ext": {Verification: b"\x00\x01"},
        "common": [Verification],
        "async": (3, 4),
        "user": (2, b"alice", b"secret"),
    }


@pytest.mark.parametrize(
    "event",
    [evt.EVT_SOP_EXTENDED, evt.EVT_SOP_COMMON, evt.EVT_ASYNC_OPS, evt.EVT_USER_ID],
)
def test_a_raising_negotiation_handler_never_breaks_the_server(
    server_ae: AE, client_ae: AE, event: Any, caplog: pytest.LogCaptureFixture
) -> None:
    def boom(_event: evt.Event) -> None:
        raise RuntimeError("handler bug")

    server = serve(server_ae, evt_handlers=[(event, boom)])
    ext = SOPClassExtendedNegotiation()
    ext.sop_class_uid = Verification
    ext.service_class_application_information = b"\x01"
    common = SOPClassCommonExtendedNegotiation()
    common.sop_class_uid = Verification
    common.service_class_uid = "1.2.840.10008.4.2"
    user = UserIdentityNegotiation()
    user.user_identity_type = 1
    user.primary_field = b"bob"
    items = [ext, common, AsynchronousOperationsWindowNegotiation(), user]

    assoc = client_ae.associate("127.0.0.1", port_of(server), ext_neg=items)
    # A failed identity check refuses the association (pynetdicom 4.5);
    # the other handlers' failures only drop their item.
    assert assoc.is_rejected is (event is evt.EVT_USER_ID)
    assert assoc.is_established is (event is not evt.EVT_USER_ID)
    assert f"'evt.{event.name}' handler" in caplog.text
    assoc.release()
    again = client_ae.associate("127.0.0.1", port_of(server))
    assert again.is_established
    again.release()


def test_role_selection_is_proposed_for_its_context(
    server_ae: AE, client_ae: AE
) -> None:
    server_ae.add_supported_context(CTImageStorage, scu_role=True, scp_role=True)
    role = SCP_SCU_RoleSelectionNegotiation()
    role.sop_class_uid = CTImageStorage
    role.scu_role = False
    role.scp_role = True
    assoc = client_ae.associate(
        "127.0.0.1",
        port_of(serve(server_ae)),
        contexts=[build_context(CTImageStorage)],
        ext_neg=[role],
    )
    assert assoc.is_established
    [cx] = assoc.accepted_contexts
    assert (cx.as_scu, cx.as_scp) == (False, True)
    assoc.release()


# -- notification events -----------------------------------------------------------


def test_pdu_dimse_and_fsm_events_on_the_requestor(
    server_ae: AE, client_ae: AE
) -> None:
    pdus: list[tuple[str, str]] = []
    dimse: list[tuple[str, str]] = []
    transitions: list[str] = []
    handlers = [
        (evt.EVT_PDU_SENT, lambda e: pdus.append(("sent", type(e.pdu).__name__))),
        (evt.EVT_PDU_RECV, lambda e: pdus.append(("recv", type(e.pdu).__name__))),
        (
            evt.EVT_DIMSE_SENT,
            lambda e: dimse.append(("sent", type(e.message).__name__)),
        ),
        (
            evt.EVT_DIMSE_RECV,
            lambda e: dimse.append(("recv", type(e.message).__name__)),
        ),
        (evt.EVT_FSM_TRANSITION, lambda e: transitions.append(e.current_state)),
    ]
    assoc = client_ae.associate(
        "127.0.0.1", port_of(serve(server_ae)), evt_handlers=handlers
    )
    assoc.send_c_echo()
    assoc.release()
    assert pdus == [
        ("sent", A_ASSOCIATE_RQ.__name__),
        ("recv", A_ASSOCIATE_AC.__name__),
        ("sent", "P_DATA_TF"),  # the C-ECHO request
        ("recv", "P_DATA_TF"),  # its response
        ("sent", A_RELEASE_RQ.__name__),
        ("recv", A_RELEASE_RP.__name__),
    ]
    assert dimse == [("sent", "C_ECHO"), ("recv", "C_ECHO")]
    assert transitions[0] == "Sta1"
    assert "Sta6" in transitions


def test_the_acceptor_reports_release_pdus_and_the_echo(
    server_ae: AE, client_ae: AE
) -> None:
    pdus: list[str] = []
    dimse: list[str] = []
    closed = threading.Event()
    server = serve(
        server_ae,
        evt_handlers=[
            (evt.EVT_PDU_SENT, lambda e: pdus.append("sent " + type(e.pdu).__name__)),
            (evt.EVT_PDU_RECV, lambda e: pdus.append("recv " + type(e.pdu).__name__)),
            (evt.EVT_DIMSE_RECV, lambda e: dimse.append("recv")),
            (evt.EVT_DIMSE_SENT, lambda e: dimse.append("sent")),
            (evt.EVT_CONN_CLOSE, lambda _e: closed.set()),
        ],
    )
    assoc = client_ae.associate("127.0.0.1", port_of(server))
    assoc.send_c_echo()
    assoc.release()
    assert closed.wait(TIMEOUT)
    assert pdus == [
        "recv A_ASSOCIATE_RQ",
        "sent A_ASSOCIATE_AC",
        "recv P_DATA_TF",
        "sent P_DATA_TF",
        "recv A_RELEASE_RQ",
        "sent A_RELEASE_RP",
    ]
    assert dimse == ["recv", "sent"]


def test_a_raising_notification_handler_is_logged_and_ignored(
    server_ae: AE, client_ae: AE, caplog: pytest.LogCaptureFixture
) -> None:
    def boom(_event: evt.Event) -> None:
        raise ValueError("oops")

    server = serve(server_ae, evt_handlers=[(evt.EVT_REQUESTED, boom)])
    assoc = client_ae.associate(
        "127.0.0.1", port_of(server), evt_handlers=[(evt.EVT_ESTABLISHED, boom)]
    )
    assert assoc.is_established
    assert assoc.send_c_echo().Status == 0
    assoc.release()
    assert "EVT_REQUESTED" in caplog.text and "EVT_ESTABLISHED" in caplog.text


def test_rejection_events_on_both_sides(server_ae: AE, client_ae: AE) -> None:
    rejected = threading.Event()
    server_ae.require_calling_aet = ["SOMEONE"]
    server = serve(
        server_ae, evt_handlers=[(evt.EVT_REJECTED, lambda _e: rejected.set())]
    )
    mine: list[str] = []
    assoc = client_ae.associate(
        "127.0.0.1",
        port_of(server),
        evt_handlers=[(evt.EVT_REJECTED, lambda _e: mine.append("rejected"))],
    )
    assert assoc.is_rejected and not assoc.is_established and not assoc.is_aborted
    assert mine == ["rejected"]
    assert rejected.wait(TIMEOUT)
    assert client_ae.active_associations == []


def test_an_acceptor_can_abort_from_evt_requested(server_ae: AE, client_ae: AE) -> None:
    server = serve(
        server_ae, evt_handlers=[(evt.EVT_REQUESTED, lambda e: e.assoc.abort())]
    )
    assoc = client_ae.associate("127.0.0.1", port_of(server))
    assert assoc.is_aborted and not assoc.is_established


# -- logging -------------------------------------------------------------------------


def test_standard_logging_summarises_the_negotiation_at_debug(
    server_ae: AE, client_ae: AE, caplog: pytest.LogCaptureFixture
) -> None:
    assert _config.LOG_HANDLER_LEVEL == "standard"
    with caplog.at_level(logging.DEBUG, logger="dicomnet"):
        assoc = client_ae.associate("127.0.0.1", port_of(serve(server_ae)))
        assoc.release()
    assert "A-ASSOCIATE-RQ" in caplog.text
    assert "A-ASSOCIATE-AC" in caplog.text


def test_log_handler_level_none_binds_nothing(
    client_ae: AE, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_config, "LOG_HANDLER_LEVEL", "none")
    from dicomnet.association import Association

    def notifications(assoc: Association) -> set[Any]:
        return {e for e in assoc.get_events() if e.is_notification}

    assert notifications(Association(client_ae, "requestor")) == set()
    monkeypatch.setattr(_config, "LOG_HANDLER_LEVEL", "standard")
    assert notifications(Association(client_ae, "requestor")) == {
        evt.EVT_PDU_RECV,
        evt.EVT_PDU_SENT,
        evt.EVT_DIMSE_RECV,
        evt.EVT_DIMSE_SENT,
    }


# -- timeouts, addresses -------------------------------------------------------------


def test_network_timeout_can_release_instead_of_abort(
    server_ae: AE, client_ae: AE
) -> None:
    released = threading.Event()

    def short_fuse(event: evt.Event) -> None:
        event.assoc.network_timeout_response = "A-RELEASE"

    server_ae.network_timeout = 0.2
    server = serve(
        server_ae,
        evt_handlers=[
            (evt.EVT_REQUESTED, short_fuse),
            (evt.EVT_RELEASED, lambda _e: released.set()),
        ],
    )
    assoc = client_ae.associate("127.0.0.1", port_of(server))
    assert assoc.is_established
    assert released.wait(TIMEOUT)
    wait_gone(assoc)
    assert assoc.is_released and not assoc.is_aborted


def test_bind_address_sets_our_end(server_ae: AE, client_ae: AE) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    assoc = client_ae.associate(
        "127.0.0.1", port_of(serve(server_ae)), bind_address=("127.0.0.1", free)
    )
    assert assoc.is_established
    assert assoc.local["port"] == free
    assoc.release()


def _has_ipv6() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _has_ipv6(), reason="no IPv6 loopback")
def test_ipv6_server_and_requestor(server_ae: AE, client_ae: AE) -> None:
    server = server_ae.start_server(("::1", 0), block=False)
    assert server is not None
    port = int(server.server_address[1])
    assoc = client_ae.associate("::1", port)
    assert assoc.is_established
    assert assoc.remote["address"] == "::1"
    assert assoc.send_c_echo().Status == 0
    assoc.release()
    scoped = client_ae.associate(("::1", 0, 0), port)
    assert scoped.is_established
    scoped.release()


def test_associate_after_shutdown_of_the_server_is_aborted(
    server_ae: AE, client_ae: AE
) -> None:
    server = serve(server_ae)
    port = port_of(server)
    server_ae.shutdown()
    assert server_ae._servers == []
    assoc = client_ae.associate("127.0.0.1", port)
    assert assoc.is_aborted
    assert client_ae.active_associations == []


# -- timeouts and failures the user never sees as exceptions ------------------------


def test_acse_timeout_bounds_the_wait_for_an_answer(client_ae: AE) -> None:
    # A peer that accepts the connection and never answers (PS3.8 Sta5 has
    # no ARTIM timer: the ACSE timeout must end the wait).
    client_ae.acse_timeout = 0.2
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        assoc = client_ae.associate("127.0.0.1", silent.getsockname()[1])
    assert assoc.is_aborted and not assoc.is_established
    assert client_ae.active_associations == []


def test_an_idle_connection_without_a_request_is_closed(server_ae: AE) -> None:
    server_ae.network_timeout = 0.2
    server = serve(server_ae)
    with socket.create_connection(("127.0.0.1", port_of(server)), TIMEOUT) as raw:
        received = b""
        while chunk := raw.recv(1024):
            received += chunk
    # Sta2 has no A-ABORT request (PS3.8 Table 9-10): the idle limit closes
    # the connection, long before ARTIM (acse_timeout, 10 s) would.
    assert received == b""
    for assoc in server.active_associations:
        wait_gone(assoc)
    assert server_ae.active_associations == []


def test_a_send_failure_returns_an_empty_dataset(
    server_ae: AE, client_ae: AE, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dicomnet.errors import LocalProtocolError

    assoc = client_ae.associate("127.0.0.1", port_of(serve(server_ae)))
    protocol = assoc._protocol
    assert protocol is not None

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise LocalProtocolError("refused")

    monkeypatch.setattr(protocol, "send_message", refuse)
    status = assoc.send_c_echo()
    assert "Status" not in status
    assert assoc.is_established
    monkeypatch.undo()
    assoc.release()


def test_an_association_never_started_is_inert(client_ae: AE) -> None:
    from dicomnet.association import Association

    with pytest.raises(ValueError, match="mode"):
        Association(client_ae, "bystander")
    assoc = Association(client_ae, "requestor")
    assert not assoc.is_alive()
    assoc.join(0)
    assoc.close()
    assoc.abort()
    assoc.release()
    assert not (assoc.is_aborted or assoc.is_released or assoc.is_established)


# -- UNRESTRICTED_STORAGE_SERVICE ----------------------------------------------------

PRIVATE_SOP_CLASS = "1.2.826.0.1.3680043.9.9999.1234"  # made up: no service knows it
OTHER_PRIVATE = "1.2.826.0.1.3680043.9.9999.1235"
RT_PLAN = "1.2.840.10008.5.1.4.1.1.481.5"  # a Storage SOP class the server lacks
PATIENT_ROOT_FIND = "1.2.840.10008.5.1.4.1.2.1.1"  # Query/Retrieve, not storage
IMPLICIT = "1.2.840.10008.1.2"
EXPLICIT = "1.2.840.10008.1.2.1"
BIG_ENDIAN = "1.2.840.10008.1.2.2"
JPEG_BASELINE = "1.2.840.10008.1.2.4.50"
MR = "1.2.840.10008.5.1.4.1.1.4"


def private_instance() -> Any:
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import UID

    ds = Dataset()
    ds.SOPClassUID = UID(PRIVATE_SOP_CLASS)
    ds.SOPInstanceUID = UID("1.2.826.0.1.3680043.9.9999.1234.1")
    ds.PatientID = "PRIVATE"
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = UID(IMPLICIT)
    return ds


def results(assoc: Any) -> dict[str, tuple[int, list[str]]]:
    """Each proposed abstract syntax's result and, if accepted, its syntax."""
    accepted = {
        str(cx.abstract_syntax): (0, [str(ts) for ts in cx.transfer_syntax])
        for cx in assoc.accepted_contexts
    }
    rejected: dict[str, tuple[int, list[str]]] = {
        str(cx.abstract_syntax): (cx.result, []) for cx in assoc.rejected_contexts
    }
    return accepted | rejected


def test_unrestricted_storage_accepts_unknown_sop_classes_as_storage(
    server_ae: AE, client_ae: AE, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_config, "UNRESTRICTED_STORAGE_SERVICE", True)
    # The storage syntaxes: the union of the supported Storage contexts'.
    server_ae.add_supported_context(CTImageStorage, [EXPLICIT, JPEG_BASELINE])
    server_ae.add_supported_context(MR, [IMPLICIT])
    stored: list[tuple[str, str, str]] = []

    def on_store(event: Any) -> int:
        stored.append(
            (
                str(event.request.AffectedSOPClassUID),
                str(event.context.abstract_syntax),
                str(event.dataset.PatientID),
            )
        )
        return 0x0000

    server = serve(server_ae, evt_handlers=[(evt.EVT_C_STORE, on_store)])
    contexts = [
        build_context(PRIVATE_SOP_CLASS, [BIG_ENDIAN, IMPLICIT]),
        build_context(OTHER_PRIVATE, [BIG_ENDIAN]),  # not a storage syntax here
        build_context(RT_PLAN, [JPEG_BASELINE]),
        build_context(PATIENT_ROOT_FIND),
        build_context(MR, [EXPLICIT]),  # supported: keeps its own syntaxes
    ]
    assoc = client_ae.associate("127.0.0.1", port_of(server), contexts=contexts)
    assert assoc.is_established
    assert results(assoc) == {
        PRIVATE_SOP_CLASS: (0, [IMPLICIT]),
        OTHER_PRIVATE: (4, []),
        RT_PLAN: (0, [JPEG_BASELINE]),
        PATIENT_ROOT_FIND: (3, []),
        MR: (4, []),
    }
    (private,) = [cx for cx in assoc.accepted_contexts if cx.context_id == 1]
    assert (private.as_scu, private.as_scp) == (True, False)  # the peer is its SCP
    status = assoc.send_c_store(private_instance())
    assert status.Status == 0x0000
    assert stored == [(PRIVATE_SOP_CLASS, PRIVATE_SOP_CLASS, "PRIVATE")]
    assoc.release()


def test_unrestricted_storage_needs_no_supported_context(
    client_ae: AE, monkeypatch: pytest.MonkeyPatch
) -> None:
    bare = AE("BARE")
    bare.acse_timeout = bare.dimse_timeout = bare.network_timeout = TIMEOUT
    with pytest.raises(ValueError, match="No supported presentation contexts"):
        bare.make_server(("127.0.0.1", 0))
    monkeypatch.setattr(_config, "UNRESTRICTED_STORAGE_SERVICE", True)
    try:
        server = serve(bare, evt_handlers=[(evt.EVT_C_STORE, lambda _e: 0)])
        # No Storage context to take syntaxes from: DEFAULT_TRANSFER_SYNTAXES.
        contexts = [
            build_context(PRIVATE_SOP_CLASS, [BIG_ENDIAN]),
            build_context(OTHER_PRIVATE, [JPEG_BASELINE]),
            build_context(Verification),
        ]
        assoc = client_ae.associate("127.0.0.1", port_of(server), contexts=contexts)
        assert assoc.is_established
        assert results(assoc) == {
            PRIVATE_SOP_CLASS: (0, [BIG_ENDIAN]),
            OTHER_PRIVATE: (4, []),
            Verification: (3, []),  # a known service, not storage
        }
        assoc.release()
    finally:
        bare.shutdown()


def test_by_default_an_unknown_abstract_syntax_is_not_supported(
    server_ae: AE, client_ae: AE
) -> None:
    assert _config.UNRESTRICTED_STORAGE_SERVICE is False
    server = serve(server_ae)
    contexts = [build_context(Verification), build_context(PRIVATE_SOP_CLASS)]
    assoc = client_ae.associate("127.0.0.1", port_of(server), contexts=contexts)
    assert assoc.is_established
    # PS3.8 Table 9-18: result 3, abstract syntax not supported.
    assert results(assoc)[PRIVATE_SOP_CLASS] == (3, [])
    with pytest.raises(ValueError, match="No presentation context"):
        assoc.send_c_store(private_instance())
    assoc.release()


# -- tolerant negotiation: raw A-ASSOCIATE-RQs missing mandatory sub-items ------------


def raw_rq(sub_items: tuple[Any, ...]) -> bytes:
    from dataclasses import replace

    from dicomnet.ul.items import UserInformationItem
    from dicomnet.ul.pdu import encode_pdu
    from tests.transport.rawpeer import associate_rq

    rq = replace(
        associate_rq(called="SERVER"),
        user_information=UserInformationItem(sub_items=sub_items),
    )
    return encode_pdu(rq)


def _sub_items(case: str) -> tuple[Any, ...]:
    from dicomnet.ul.items import ImplementationClassUIDSubItem, MaximumLengthSubItem
    from tests.transport.rawpeer import PEER_IMPLEMENTATION_UID

    length = MaximumLengthSubItem(maximum_length_received=4096)
    uid = ImplementationClassUIDSubItem(
        implementation_class_uid=PEER_IMPLEMENTATION_UID
    )
    return {"no uid": (length,), "no length": (uid,), "neither": ()}[case]


@pytest.mark.parametrize("case", ["no uid", "no length", "neither"])
def test_a_request_missing_mandatory_sub_items_is_accepted(
    server_ae: AE, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    from dicomnet.ul.pdu import P_DATA_TF
    from tests.transport.rawpeer import (
        PEER_IMPLEMENTATION_UID,
        RELEASE_RQ,
        RawPeer,
        c_echo_rq_command,
        p_data_tf,
    )

    found: list[Any] = []
    established = threading.Event()

    def on_established(event: evt.Event) -> None:
        found.append(event.assoc)
        established.set()

    server = serve(server_ae, evt_handlers=[(evt.EVT_ESTABLISHED, on_established)])
    caplog.set_level(logging.WARNING, logger="dicomnet")
    with RawPeer(("127.0.0.1", port_of(server)), timeout=TIMEOUT) as peer:
        peer.send(raw_rq(_sub_items(case)))
        assert isinstance(peer.recv_pdu(TIMEOUT), A_ASSOCIATE_AC)
        assert established.wait(TIMEOUT)
        requestor = found[0].requestor
        # The association works: a C-ECHO is answered, then released.
        peer.send(p_data_tf(c_echo_rq_command()))
        assert isinstance(peer.recv_pdu(TIMEOUT), P_DATA_TF)
        peer.send(RELEASE_RQ)
        assert isinstance(peer.recv_pdu(TIMEOUT), A_RELEASE_RP)
    # The ServiceUser shows what the peer sent: None where it sent nothing.
    if case == "no length":
        assert requestor.implementation_class_uid == PEER_IMPLEMENTATION_UID
    else:
        assert requestor.implementation_class_uid is None
        assert "no Implementation Class UID" in caplog.text
    expected_length = 4096 if case == "no uid" else None
    assert requestor.maximum_length == expected_length
    assert requestor.info["pdv_size"] == expected_length
    wait_gone(found[0])


def test_a_request_without_user_information_item_is_aborted(server_ae: AE) -> None:
    from dicomnet.ul.pdu import A_ABORT
    from tests.transport.rawpeer import RawPeer, with_pdu_length

    # PS3.8 9.3.2 (Table 9-11): the variable items include one User
    # Information Item. Without it the PDU is invalid: Evt19 in Sta2 is AA-1,
    # an A-ABORT (PS3.8 Table 9-10).
    data = raw_rq(())
    assert data.endswith(b"\x50\x00\x00\x00")  # the empty item comes last
    server = serve(server_ae)
    with RawPeer(("127.0.0.1", port_of(server)), timeout=TIMEOUT) as peer:
        peer.send(with_pdu_length(data[:-4]))
        answer = peer.recv_pdu(TIMEOUT)
        assert isinstance(answer, A_ABORT)
        assert answer.source == 0  # AA-1: service-user source
    for assoc in list(server.active_associations):
        wait_gone(assoc)
    assert server.active_associations == []
