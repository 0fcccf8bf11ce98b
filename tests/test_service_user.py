"""ServiceUser (``assoc.requestor`` / ``assoc.acceptor``): pynetdicom's surface.

The first part configures a ServiceUser alone (no sockets); the second fills
both ends by a real negotiation over loopback; the last runs the same
negotiation between two pynetdicom AEs and between two dicomnet AEs and
compares what each end reports.
"""

from __future__ import annotations

import queue
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from dicomnet import AE, build_context, build_role, evt
from dicomnet._service_user import AddressInformation, ServiceUser
from dicomnet._version import DICOMNET_IMPLEMENTATION_UID
from dicomnet.pdu_primitives import (
    A_ASSOCIATE,
    AsynchronousOperationsWindowNegotiation,
    MaximumLengthNotification,
    SCP_SCU_RoleSelectionNegotiation,
    SOPClassCommonExtendedNegotiation,
    SOPClassExtendedNegotiation,
    UserIdentityNegotiation,
)
from dicomnet.ul.pdu import A_ASSOCIATE_RJ

TIMEOUT = 10.0
VERIFICATION = "1.2.840.10008.1.1"
CT = "1.2.840.10008.5.1.4.1.1.2"
MR = "1.2.840.10008.5.1.4.1.1.4"
PRIVATE = "1.2.826.0.1.3680043.9.9999.77"
STORAGE_SERVICE = "1.2.840.10008.4.2"
JPEG_BASELINE = "1.2.840.10008.1.2.4.50"


def user(mode: str, assoc_mode: str | None = None) -> ServiceUser:
    """A ServiceUser of an association in ``assoc_mode`` (default: its own)."""
    return ServiceUser(SimpleNamespace(mode=assoc_mode or mode), mode)  # type: ignore[arg-type]


def role(uid: str, *, scu: bool | None = None, scp: bool | None = None) -> Any:
    item = SCP_SCU_RoleSelectionNegotiation()
    item.sop_class_uid = uid
    item.scu_role, item.scp_role = scu, scp
    return item


def window(invoked: int, performed: int) -> AsynchronousOperationsWindowNegotiation:
    item = AsynchronousOperationsWindowNegotiation()
    item.maximum_number_operations_invoked = invoked
    item.maximum_number_operations_performed = performed
    return item


def extended(uid: str, info: bytes) -> SOPClassExtendedNegotiation:
    item = SOPClassExtendedNegotiation()
    item.sop_class_uid = uid
    item.service_class_application_information = info
    return item


def common(uid: str) -> SOPClassCommonExtendedNegotiation:
    item = SOPClassCommonExtendedNegotiation()
    item.sop_class_uid = uid
    item.service_class_uid = STORAGE_SERVICE
    item.related_general_sop_class_identification = [MR]
    return item


def identity(kind: int = 3) -> UserIdentityNegotiation:
    item = UserIdentityNegotiation()
    item.user_identity_type = kind
    item.primary_field = b"token"
    item.positive_response_requested = True
    return item


# -- one end, configured before negotiation ----------------------------------------


def test_defaults_before_negotiation() -> None:
    requestor = user("requestor")
    assert requestor.mode == "requestor"
    assert requestor.is_requestor and not requestor.is_acceptor
    assert requestor.writeable and requestor.primitive is None
    assert requestor.ae_title == ""
    assert requestor.maximum_length == 16382
    assert requestor.implementation_class_uid == DICOMNET_IMPLEMENTATION_UID
    assert requestor.implementation_version_name is None
    assert [type(i) for i in requestor.user_information] == [
        MaximumLengthNotification,
        type(requestor.user_information[1]),
    ]
    assert requestor.extended_negotiation == []
    assert requestor.asynchronous_operations == (1, 1)
    assert requestor.role_selection == {}
    assert requestor.sop_class_extended == {}
    assert requestor.sop_class_common_extended == {}
    assert requestor.user_identity is None
    # pynetdicom: 'pdv_size' appears once negotiated; no address yet.
    assert requestor.info == {
        "ae_title": "",
        "address": None,
        "port": None,
        "mode": "requestor",
    }
    with pytest.raises(ValueError, match="No address information"):
        _ = requestor.address
    with pytest.raises(ValueError, match="No address information"):
        _ = requestor.port
    with pytest.raises(AttributeError):
        requestor.mode = "acceptor"  # type: ignore[misc]
    with pytest.raises(ValueError, match="mode"):
        ServiceUser(SimpleNamespace(mode="requestor"), "both")  # type: ignore[arg-type]


def test_ae_title_is_validated() -> None:
    requestor = user("requestor")
    requestor.ae_title = "  PADDED  "
    assert requestor.ae_title == "  PADDED  "  # kept as given
    for bad in ("", "    ", "X" * 17, "BACK\\SLASH"):
        with pytest.raises(ValueError, match="ae_title"):
            requestor.ae_title = bad
    with pytest.raises(TypeError):
        requestor.ae_title = 5  # type: ignore[assignment]
    with pytest.warns(DeprecationWarning, match="bytes"):
        requestor.ae_title = b"BYTES"  # type: ignore[assignment]
    assert requestor.ae_title == "BYTES"


def test_notifications_are_validated_and_optional() -> None:
    acceptor = user("acceptor")
    with pytest.raises(ValueError, match="maximum_length"):
        acceptor.maximum_length = -1
    with pytest.raises(TypeError):
        acceptor.maximum_length = "1"  # type: ignore[assignment]
    acceptor.maximum_length = 0  # PS3.8 D.1: no limit
    assert acceptor.maximum_length == 0
    with pytest.raises(ValueError, match="implementation_class_uid"):
        acceptor.implementation_class_uid = "1." + "2" * 70
    for bad in ("", "V" * 17):
        with pytest.raises(ValueError, match="implementation_version_name"):
            acceptor.implementation_version_name = bad
    acceptor.implementation_version_name = "MYVERSION"
    assert acceptor.implementation_version_name == "MYVERSION"
    assert len(acceptor.user_information) == 3
    acceptor.implementation_class_uid = None
    acceptor.implementation_version_name = None
    assert acceptor.implementation_class_uid is None
    assert [type(i) for i in acceptor.user_information] == [MaximumLengthNotification]


def test_extended_negotiation_items() -> None:
    requestor = user("requestor")
    with pytest.raises(TypeError, match="extended negotiation item"):
        requestor.add_negotiation_item(MaximumLengthNotification())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="extended negotiation item"):
        requestor.add_negotiation_item("role")  # type: ignore[arg-type]
    first, second = role(CT, scu=True), role(CT, scp=True)
    requestor.add_negotiation_item(first)
    requestor.add_negotiation_item(role(MR, scu=True, scp=True))
    requestor.add_negotiation_item(second)  # PS3.7 D.3.3.4: one per SOP class
    assert {
        uid: (r.scu_role, r.scp_role) for uid, r in requestor.role_selection.items()
    } == {
        MR: (True, True),
        CT: (None, True),
    }
    requestor.add_negotiation_item(window(5, 1))
    requestor.add_negotiation_item(window(7, 2))  # one window in all
    assert requestor.asynchronous_operations == (7, 2)
    requestor.add_negotiation_item(extended(CT, b"\x01"))
    requestor.add_negotiation_item(common(CT))
    token = identity()
    requestor.add_negotiation_item(token)
    assert requestor.user_identity is token
    assert requestor.sop_class_extended == {CT: b"\x01"}
    assert set(requestor.sop_class_common_extended) == {CT}
    assert len(requestor.extended_negotiation) == 6
    assert requestor.user_information[-6:] == requestor.extended_negotiation

    requestor.remove_negotiation_item(first)  # replaced already: nothing to do
    requestor.remove_negotiation_item(second)
    assert set(requestor.role_selection) == {MR}
    with pytest.raises(TypeError):
        requestor.remove_negotiation_item(MaximumLengthNotification())  # type: ignore[arg-type]
    requestor.reset_negotiation_items()
    assert requestor.extended_negotiation == []
    assert requestor.asynchronous_operations == (1, 1)
    assert len(requestor.user_information) == 2


def test_acceptor_holds_no_common_extended_items() -> None:
    # PS3.7 D.3.3.6: the item has no A-ASSOCIATE-AC form.
    acceptor = user("acceptor")
    with pytest.raises(TypeError):
        acceptor.add_negotiation_item(common(CT))
    acceptor.add_negotiation_item(identity())
    assert acceptor.sop_class_common_extended == {}
    assert acceptor.accepted_common_extended == {}
    with pytest.raises(RuntimeError, match="only available for the 'acceptor'"):
        _ = user("requestor").accepted_common_extended


def test_contexts_belong_to_one_side() -> None:
    requestor, acceptor = user("requestor"), user("acceptor")
    assert requestor.requested_contexts == []
    requestor.requested_contexts = [build_context(CT)]
    requestor.requested_contexts = [build_context(VERIFICATION)]  # replaces
    assert [cx.abstract_syntax for cx in requestor.get_contexts("requested")] == [
        VERIFICATION
    ]
    acceptor.supported_contexts = [build_context(CT)]
    assert [cx.abstract_syntax for cx in acceptor.supported_contexts] == [CT]
    with pytest.raises(AttributeError, match="requestor"):
        acceptor.requested_contexts = [build_context(CT)]
    with pytest.raises(AttributeError, match="acceptor"):
        requestor.supported_contexts = [build_context(CT)]
    with pytest.raises(ValueError, match="PresentationContext"):
        requestor.requested_contexts = ["1.2.3"]  # type: ignore[list-item]
    with pytest.raises(ValueError, match="128"):
        requestor.requested_contexts = [build_context(CT)] * 129
    for side, available in ((requestor, "requested"), (acceptor, "supported")):
        for kind in ("requested", "supported", "pcdl", "pcdrl", "other"):
            if kind == available:
                continue
            with pytest.raises(ValueError, match=f"No '{kind}' presentation"):
                side.get_contexts(kind)
    with pytest.raises(ValueError, match="'requested'"):
        _ = acceptor.requested_contexts
    with pytest.raises(ValueError, match="'supported'"):
        _ = requestor.supported_contexts
    # The peer's end has no local contexts: only what negotiation brings.
    with pytest.raises(ValueError, match="'pcdl'"):
        _ = user("requestor", assoc_mode="acceptor").requested_contexts


def test_nothing_but_the_title_changes_once_negotiated() -> None:
    from dicomnet.acse import build_associate_rq

    requestor = user("requestor")
    ours = build_context(CT)
    ours.context_id = 1
    ours.scu_role = True  # a role we propose
    requestor.requested_contexts = [ours]
    rq = build_associate_rq(
        called_ae_title="THEM",
        calling_ae_title="US",
        contexts=[build_context(CT)],
        implementation_class_uid="1.2.3.4",
        maximum_length=4096,
    )
    requestor._negotiated(rq)
    assert not requestor.writeable
    assert isinstance(requestor.primitive, A_ASSOCIATE)
    assert requestor.ae_title == "US"
    assert requestor.maximum_length == 4096
    assert requestor.implementation_class_uid == "1.2.3.4"
    assert requestor.info["pdv_size"] == 4096
    # The request was made from our contexts: the primitive shows them.
    assert [cx.scu_role for cx in requestor.get_contexts("pcdl")] == [True]
    changes: list[Callable[[], None]] = [
        lambda: setattr(requestor, "maximum_length", 1),
        lambda: setattr(requestor, "implementation_class_uid", "1.2"),
        lambda: setattr(requestor, "implementation_version_name", "V"),
        lambda: setattr(requestor, "requested_contexts", []),
        lambda: requestor.add_negotiation_item(role(CT, scu=True)),
        lambda: requestor.remove_negotiation_item(role(CT, scu=True)),
        requestor.reset_negotiation_items,
    ]
    for change in changes:
        with pytest.raises(RuntimeError, match="after negotiation has started"):
            change()
    requestor.ae_title = "RENAMED"  # pynetdicom allows this one
    assert requestor.ae_title == "RENAMED"


def test_a_rejection_keeps_the_configuration() -> None:
    acceptor = user("acceptor")
    acceptor.maximum_length = 1234
    acceptor._negotiated(A_ASSOCIATE_RJ(result=1, source=1, reason=7))
    assert not acceptor.writeable
    assert acceptor.primitive is not None
    assert (acceptor.primitive.result, acceptor.primitive.diagnostic) == (1, 7)
    assert acceptor.maximum_length == 1234
    with pytest.raises(ValueError, match="'pcdrl'"):
        acceptor.get_contexts("pcdrl")


def test_address_information() -> None:
    ipv4 = AddressInformation("127.0.0.1", 104)
    assert ipv4.is_ipv4 and not ipv4.is_ipv6
    assert ipv4.as_tuple == ("127.0.0.1", 104)
    ipv6 = AddressInformation.from_addr_port(("::1", 1, 2), 11112)
    assert ipv6.is_ipv6
    assert ipv6.as_tuple == ("::1", 11112, 1, 2)
    assert AddressInformation.from_tuple(("::1", 5, 0, 0)).as_tuple == ("::1", 5, 0, 0)
    assert AddressInformation("pacs.example", 104).is_ipv4  # a host name
    assert "127.0.0.1" in repr(ipv4)
    with pytest.raises(TypeError):
        AddressInformation("127.0.0.1", "104")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        AddressInformation(None, 104)  # type: ignore[arg-type]
    requestor = user("requestor")
    requestor.port = 5
    requestor.address = "10.0.0.1"
    assert (requestor.address, requestor.port) == ("10.0.0.1", 5)
    assert requestor.address_info is not None


# -- both ends, filled by a real negotiation ------------------------------------------


def ext_neg() -> list[Any]:
    return [
        build_role(CT, scu_role=True, scp_role=True),
        extended(CT, b"\x01"),
        common(CT),
        identity(),
        window(3, 4),
    ]


@pytest.fixture
def server_ae() -> Iterator[AE]:
    ae = AE("SERVER")
    ae.add_supported_context(VERIFICATION)
    ae.add_supported_context(CT, scu_role=True, scp_role=True)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = TIMEOUT
    yield ae
    ae.shutdown()


def negotiation_handlers(found: queue.Queue[Any], events: Any = evt) -> list[Any]:
    return [
        (events.EVT_ESTABLISHED, lambda event: found.put(event.assoc)),
        (events.EVT_USER_ID, lambda _event: (True, b"granted")),
        (events.EVT_SOP_EXTENDED, lambda event: dict.fromkeys(event.app_info, b"back")),
        (events.EVT_SOP_COMMON, lambda event: event.items),
        (events.EVT_ASYNC_OPS, lambda _event: (2, 2)),
    ]


def test_both_ends_are_filled_from_the_negotiation(server_ae: AE) -> None:
    found: queue.Queue[Any] = queue.Queue()
    requested_at: list[tuple[bool, bool]] = []

    def on_requested(event: evt.Event) -> None:
        ends = event.assoc
        requested_at.append((ends.requestor.writeable, ends.acceptor.writeable))

    server = server_ae.start_server(
        ("127.0.0.1", 0),
        block=False,
        evt_handlers=[*negotiation_handlers(found), (evt.EVT_REQUESTED, on_requested)],
    )
    assert server is not None
    port = server.server_address[1]
    client = AE("CLIENT")
    for uid in (VERIFICATION, CT, PRIVATE):
        client.add_requested_context(uid)
    assoc = client.associate(
        "127.0.0.1", port, ae_title="CALLED", ext_neg=ext_neg(), max_pdu=12345
    )
    assert assoc.is_established
    theirs = found.get(timeout=TIMEOUT)
    # EVT_REQUESTED: the request is known, the answer not yet (pynetdicom).
    assert requested_at == [(False, True)]
    for requestor in (assoc.requestor, theirs.requestor):
        assert not requestor.writeable
        assert requestor.ae_title == "CLIENT"
        assert requestor.maximum_length == 12345
        assert requestor.info["pdv_size"] == 12345
        assert requestor.asynchronous_operations == (3, 4)
        assert requestor.sop_class_extended == {CT: b"\x01"}
        assert set(requestor.sop_class_common_extended) == {CT}
        assert requestor.user_identity is not None
        assert requestor.user_identity.primary_field == b"token"
        assert requestor.primitive is not None
        assert requestor.primitive.called_ae_title == "CALLED"
        assert [cx.context_id for cx in requestor.get_contexts("pcdl")] == [1, 3, 5]
    # Our own request keeps its roles; the peer's view is the primitive's.
    assert [cx.scu_role for cx in assoc.requestor.requested_contexts] == [
        None,
        True,
        None,
    ]
    with pytest.raises(ValueError, match="'requested'"):
        theirs.requestor.get_contexts("requested")

    for acceptor in (assoc.acceptor, theirs.acceptor):
        assert not acceptor.writeable
        assert acceptor.maximum_length == server_ae.maximum_pdu_size
        assert acceptor.implementation_class_uid == server_ae.implementation_class_uid
        assert acceptor.sop_class_extended == {CT: b"back"}
        assert acceptor.asynchronous_operations == (1, 1)
        assert acceptor.user_identity is not None
        assert acceptor.user_identity.server_response == b"granted"
        assert set(acceptor.role_selection) == {CT}
        results = acceptor.get_contexts("pcdrl")
        # The AC does not repeat abstract syntaxes; both ends show them.
        assert [(cx.abstract_syntax, cx.result) for cx in results] == [
            (VERIFICATION, 0),
            (CT, 0),
            (PRIVATE, 3),
        ]
    # pynetdicom: the client names the acceptor as called; the server keeps its title.
    assert assoc.acceptor.ae_title == "CALLED"
    assert theirs.acceptor.ae_title == "SERVER"
    assert theirs.acceptor.accepted_common_extended == {CT: (STORAGE_SERVICE, [MR])}
    assert assoc.acceptor.accepted_common_extended == {}  # not told (no AC item)
    assert [cx.abstract_syntax for cx in theirs.acceptor.supported_contexts] == [
        VERIFICATION,
        CT,
    ]
    assert len(assoc.acceptor.supported_contexts) == 3  # its answer, as we saw it
    assert assoc.local == assoc.requestor.info
    assert assoc.remote["port"] == port == theirs.acceptor.port
    assert theirs.remote["port"] == assoc.requestor.port
    assert assoc.acceptor.address_info is not None
    assert assoc.acceptor.address_info.as_tuple == ("127.0.0.1", port)
    assoc.release()


def test_bad_ext_neg_item_is_a_type_error(server_ae: AE) -> None:
    client = AE("CLIENT")
    client.add_requested_context(VERIFICATION)
    with pytest.raises(TypeError, match="extended negotiation item"):
        client.associate("127.0.0.1", 1, ext_neg=[MaximumLengthNotification()])
    assert client.active_associations == []


def test_a_rejected_request_is_reported_on_both_ends(server_ae: AE) -> None:
    found: queue.Queue[Any] = queue.Queue()
    server_ae.require_called_aet = True
    server = server_ae.start_server(
        ("127.0.0.1", 0),
        block=False,
        evt_handlers=[(evt.EVT_REJECTED, lambda event: found.put(event.assoc))],
    )
    assert server is not None
    client = AE("CLIENT")
    client.add_requested_context(VERIFICATION)
    assoc = client.associate("127.0.0.1", server.server_address[1], ae_title="OTHER")
    assert assoc.is_rejected
    theirs = found.get(timeout=TIMEOUT)
    for acceptor in (assoc.acceptor, theirs.acceptor):
        primitive = acceptor.primitive
        assert primitive is not None
        # PS3.8 Table 9-21: rejected permanent, service-user, called AE title.
        assert (primitive.result, primitive.result_source, primitive.diagnostic) == (
            1,
            1,
            7,
        )
        assert not acceptor.writeable
    assert theirs.requestor.ae_title == "CLIENT"


# -- compared with pynetdicom ---------------------------------------------------------


def describe_contexts(side: Any, kind: str) -> Any:
    try:
        contexts = side.get_contexts(kind)
    except ValueError:
        return "ValueError"
    # pynetdicom leaves the abstract syntax of a received AC's contexts unset;
    # dicomnet fills it in (tested above), so it is left out of the comparison.
    show_syntax = kind != "pcdrl"
    return [
        (
            cx.context_id,
            str(cx.abstract_syntax) if show_syntax else "",
            [str(ts) for ts in cx.transfer_syntax],
            cx.result,
            cx.scu_role,
            cx.scp_role,
        )
        for cx in contexts
    ]


def describe(side: Any, server_port: int) -> dict[str, Any]:
    """What a script can read from a ServiceUser, in comparable form."""
    try:
        common_accepted: Any = side.accepted_common_extended
    except RuntimeError:
        common_accepted = "RuntimeError"
    user_id = side.user_identity
    return {
        "mode": (side.mode, side.is_requestor, side.is_acceptor),
        "ae_title": side.ae_title,
        "writeable": side.writeable,
        "maximum_length": side.maximum_length,
        # Each library sends its own implementation UID and name.
        "implementation": (
            side.implementation_class_uid is not None,
            side.implementation_version_name is not None,
        ),
        "info": sorted(side.info),
        "pdv_size": side.info.get("pdv_size"),
        "address": (side.address, side.port == server_port),
        "user_information": sorted(type(i).__name__ for i in side.user_information),
        "extended_negotiation": sorted(
            type(i).__name__ for i in side.extended_negotiation
        ),
        "role_selection": {
            str(k): (v.scu_role, v.scp_role) for k, v in side.role_selection.items()
        },
        "sop_class_extended": {str(k): v for k, v in side.sop_class_extended.items()},
        "sop_class_common_extended": {
            str(k): (
                str(v.service_class_uid),
                [str(u) for u in v.related_general_sop_class_identification],
            )
            for k, v in side.sop_class_common_extended.items()
        },
        "accepted_common_extended": common_accepted,
        "user_identity": None
        if user_id is None
        else (
            user_id.user_identity_type,
            user_id.primary_field,
            user_id.server_response,
        ),
        "asynchronous_operations": side.asynchronous_operations,
        **{
            f"get_contexts({kind})": describe_contexts(side, kind)
            for kind in ("requested", "supported", "pcdl", "pcdrl")
        },
    }


def negotiate(lib: Any) -> tuple[dict[str, Any], ...]:
    """Associate two AEs of ``lib`` with every negotiation item; describe the ends."""
    found: queue.Queue[Any] = queue.Queue()
    server_ae = lib.AE("SERVER")
    server_ae.add_supported_context(VERIFICATION)
    server_ae.add_supported_context(CT, scu_role=True, scp_role=True)
    server = server_ae.start_server(
        ("127.0.0.1", 0), block=False, evt_handlers=negotiation_handlers(found, lib.evt)
    )
    port = server.server_address[1]
    client = lib.AE("CLIENT")
    for uid in (VERIFICATION, CT, PRIVATE):
        client.add_requested_context(uid)
    items = [
        lib.build_role(CT, scu_role=True, scp_role=True),
        *(_to(lib, item) for item in ext_neg()[1:]),
    ]
    try:
        assoc = client.associate(
            "127.0.0.1", port, ae_title="SERVER", ext_neg=items, max_pdu=12345
        )
        assert assoc.is_established
        theirs = found.get(timeout=TIMEOUT)
        ends = (assoc.requestor, assoc.acceptor, theirs.requestor, theirs.acceptor)
        described = tuple(describe(end, port) for end in ends)
        assoc.release()
    finally:
        server_ae.shutdown()
    return described


def _to(lib: Any, item: Any) -> Any:
    """The same negotiation item, as ``lib``'s class."""
    copy = getattr(lib.pdu_primitives, type(item).__name__)()
    for name in (
        "sop_class_uid",
        "service_class_application_information",
        "service_class_uid",
        "related_general_sop_class_identification",
        "user_identity_type",
        "primary_field",
        "positive_response_requested",
        "maximum_number_operations_invoked",
        "maximum_number_operations_performed",
    ):
        if hasattr(type(item), name):
            setattr(copy, name, getattr(item, name))
    return copy


@pytest.mark.interop
def test_the_ends_read_as_pynetdicom_reads_them() -> None:
    pytest.importorskip("pynetdicom")
    import pynetdicom.pdu_primitives

    import dicomnet.pdu_primitives

    theirs = negotiate(pynetdicom)
    ours = negotiate(dicomnet)
    names = (
        "client requestor",
        "client acceptor",
        "server requestor",
        "server acceptor",
    )
    for name, expected, actual in zip(names, theirs, ours, strict=True):
        differences = {
            key: (expected[key], actual[key])
            for key in expected
            if expected[key] != actual[key]
        }
        assert differences == {}, f"{name}: {differences}"
