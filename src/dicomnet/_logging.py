"""The standard log output: :func:`debug_logger` and PDU summaries.

At DEBUG level each PDU sent and received is summarised in the layout DICOM
engineers know from association dumps ("Request Parameters:", "Our
Implementation Class UID:", one block per presentation context...), with the
field names of PS3.8 9.3 and PS3.7 Annex D. The handlers :func:`on_pdu_recv`
and :func:`on_pdu_sent` are what ``_config.LOG_HANDLER_LEVEL = "standard"``
binds to ``EVT_PDU_RECV``/``EVT_PDU_SENT``; they check the level first, so a
disabled logger costs one call and no formatting.

User identity passcodes and tokens are never written out, only their length.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Final, Protocol, TypeVar

from pydicom import config
from pydicom.uid import UID

from dicomnet._logging_dimse import on_dimse_recv, on_dimse_sent
from dicomnet.errors import AbortReason, AbortSource, RejectResult, RejectSource
from dicomnet.events import mark_debug_only
from dicomnet.ul.items import (
    AsynchronousOperationsWindowSubItem,
    ContextResult,
    ImplementationClassUIDSubItem,
    ImplementationVersionNameSubItem,
    MaximumLengthSubItem,
    SCPSCURoleSelectionSubItem,
    SOPClassCommonExtendedNegotiationSubItem,
    SOPClassExtendedNegotiationSubItem,
    UnknownSubItem,
    UserIdentityACSubItem,
    UserIdentityRQSubItem,
    UserIdentityType,
    UserInformationItem,
)
from dicomnet.ul.pdu import (
    A_ABORT,
    A_ASSOCIATE_AC,
    A_ASSOCIATE_RJ,
    A_ASSOCIATE_RQ,
    A_RELEASE_RP,
    A_RELEASE_RQ,
    P_DATA_TF,
    PDU,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

__all__ = [
    "LOGGER",
    "debug_logger",
    "on_dimse_recv",
    "on_dimse_sent",
    "on_pdu_recv",
    "on_pdu_sent",
    "summarise_pdu",
]

#: The package logger; every dicomnet logger is a child of it.
LOGGER: Final = logging.getLogger("dicomnet")
_LOGGER: Final = logging.getLogger(__name__)

_RULE_WIDTH: Final = 72

_T = TypeVar("_T")

# PS3.8 Table 9-18: Result/Reason of a presentation context.
_CONTEXT_RESULTS: Final = {
    ContextResult.ACCEPTANCE: "acceptance",
    ContextResult.USER_REJECTION: "user-rejection",
    ContextResult.NO_REASON: "no-reason (provider rejection)",
    ContextResult.ABSTRACT_SYNTAX_NOT_SUPPORTED: (
        "abstract-syntax-not-supported (provider rejection)"
    ),
    ContextResult.TRANSFER_SYNTAXES_NOT_SUPPORTED: (
        "transfer-syntaxes-not-supported (provider rejection)"
    ),
}

# PS3.8 Table 9-21: A-ASSOCIATE-RJ result, source and, per source, reason.
_REJECT_RESULTS: Final = {
    RejectResult.REJECTED_PERMANENT: "rejected-permanent",
    RejectResult.REJECTED_TRANSIENT: "rejected-transient",
}
_REJECT_SOURCES: Final = {
    RejectSource.SERVICE_USER: "DICOM UL service-user",
    RejectSource.SERVICE_PROVIDER_ACSE: (
        "DICOM UL service-provider (ACSE related function)"
    ),
    RejectSource.SERVICE_PROVIDER_PRESENTATION: (
        "DICOM UL service-provider (Presentation related function)"
    ),
}
_REJECT_REASONS: Final[dict[tuple[int, int], str]] = {
    (1, 1): "no-reason-given",
    (1, 2): "application-context-name-not-supported",
    (1, 3): "calling-AE-title-not-recognized",
    (1, 7): "called-AE-title-not-recognized",
    (2, 1): "no-reason-given",
    (2, 2): "protocol-version-not-supported",
    (3, 1): "temporary-congestion",
    (3, 2): "local-limit-exceeded",
}

# PS3.8 Table 9-26: A-ABORT source and reason.
_ABORT_SOURCES: Final = {
    AbortSource.SERVICE_USER: "DICOM UL service-user (initiated abort)",
    AbortSource.RESERVED: "reserved",
    AbortSource.SERVICE_PROVIDER: "DICOM UL service-provider (initiated abort)",
}
_ABORT_REASONS: Final = {
    AbortReason.REASON_NOT_SPECIFIED: "reason-not-specified",
    AbortReason.UNRECOGNIZED_PDU: "unrecognized-PDU",
    AbortReason.UNEXPECTED_PDU: "unexpected-PDU",
    AbortReason.RESERVED: "reserved",
    AbortReason.UNRECOGNIZED_PDU_PARAMETER: "unrecognized-PDU parameter",
    AbortReason.UNEXPECTED_PDU_PARAMETER: "unexpected-PDU parameter",
    AbortReason.INVALID_PDU_PARAMETER_VALUE: "invalid-PDU-parameter value",
}

# PS3.7 D.3.3.7.1: User-Identity-Type.
_IDENTITY_TYPES: Final = {
    UserIdentityType.USERNAME: "Username",
    UserIdentityType.USERNAME_AND_PASSCODE: "Username and passcode",
    UserIdentityType.KERBEROS: "Kerberos Service ticket",
    UserIdentityType.SAML: "SAML Assertion",
    UserIdentityType.JWT: "JSON Web Token (JWT)",
}


class PDUEvent(Protocol):
    """What the PDU handlers need of an ``EVT_PDU_RECV``/``EVT_PDU_SENT`` event."""

    @property
    def pdu(self) -> PDU:
        """The PDU received or sent."""
        ...


def debug_logger() -> None:
    """Send dicomnet's log to stderr at DEBUG level.

    Replaces the handlers of the ``"dicomnet"`` logger with one
    :class:`logging.StreamHandler` whose lines look like
    ``I: Requesting Association``.
    """
    for handler in list(LOGGER.handlers):
        LOGGER.removeHandler(handler)
    handler = logging.StreamHandler()
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(levelname).1s: %(message)s"))
    LOGGER.addHandler(handler)
    LOGGER.setLevel(logging.DEBUG)


# -- handlers ----------------------------------------------------------------------


def _log_pdu(event: PDUEvent, *, sent: bool) -> None:
    # Checked first: the summary is built only when someone will read it, so
    # a P-DATA-TF on the hot path costs one level test when DEBUG is off.
    if not _LOGGER.isEnabledFor(logging.DEBUG):
        return
    for line in summarise_pdu(event.pdu, sent=sent):
        _LOGGER.debug("%s", line)


def on_pdu_recv(event: PDUEvent) -> None:
    """Log a summary of a received PDU at DEBUG level (``EVT_PDU_RECV``).

    Parameters
    ----------
    event : Event
        The event; only its ``pdu`` is used.
    """
    _log_pdu(event, sent=False)


def on_pdu_sent(event: PDUEvent) -> None:
    """Log a summary of a sent PDU at DEBUG level (``EVT_PDU_SENT``).

    Parameters
    ----------
    event : Event
        The event; only its ``pdu`` is used.
    """
    _log_pdu(event, sent=True)


# Both test the level first (_log_pdu): with DEBUG off the events need no Event.
mark_debug_only(on_pdu_recv, _LOGGER)
mark_debug_only(on_pdu_sent, _LOGGER)


# The DIMSE message handlers (EVT_DIMSE_RECV/SENT) live in _logging_dimse and
# are re-exported above: on_dimse_recv, on_dimse_sent.


# -- summaries ---------------------------------------------------------------------


def summarise_pdu(pdu: PDU, *, sent: bool) -> list[str]:
    """Return a readable, multi-line summary of *pdu*.

    Parameters
    ----------
    pdu : PDU
        One of the seven PDUs of :mod:`dicomnet.ul.pdu`.
    sent : bool
        Whether we sent it: the implementation identity and maximum length
        of an A-ASSOCIATE-RQ/AC are then "Our ...", else "Their ...".

    Returns
    -------
    list of str
        The lines, without line ends.
    """
    summarise = _SUMMARISERS[type(pdu)]
    return summarise(pdu, "Our" if sent else "Their")


def _banner(text: str) -> str:
    return f" {text} ".center(_RULE_WIDTH, "=")


def _uid(value: str | None) -> str:
    """Show a UID by its pydicom name when known (``=Name``), else as it is."""
    if value is None:
        return "(none)"
    # IGNORE: a UID from a peer is shown as sent, without a pydicom warning.
    name = UID(value, validation_mode=config.IGNORE).name
    return value if name == value else f"={name}"


def _name(table: Mapping[Any, str], key: object) -> str:
    # Peers send values the standard reserves; they are shown, not refused.
    return table.get(key, "unknown")


def _coded(code: int, text: str) -> str:
    # The value first: it is what a reader matches against PS3.8's tables.
    return f"{code} - {text}"


# -- A-ASSOCIATE-RQ / AC (PS3.8 9.3.2, 9.3.3) ------------------------------------


def _sub_items(info: UserInformationItem, kind: type[_T]) -> list[_T]:
    return [sub for sub in info.sub_items if isinstance(sub, kind)]


def _first(info: UserInformationItem, kind: type[_T]) -> _T | None:
    found = _sub_items(info, kind)
    return found[0] if found else None


def _identity_lines(info: UserInformationItem, whose: str) -> list[str]:
    """PS3.8 D.1 and PS3.7 D.3.3.2: implementation identity and maximum length."""
    uid = _first(info, ImplementationClassUIDSubItem)
    version = _first(info, ImplementationVersionNameSubItem)
    maximum = _first(info, MaximumLengthSubItem)
    if maximum is None:
        size = "(not sent)"
    elif maximum.maximum_length_received == 0:
        size = "0 (unlimited)"
    else:
        size = str(maximum.maximum_length_received)
    return [
        f"{whose} Implementation Class UID: "
        + ("(not sent)" if uid is None else uid.implementation_class_uid),
        f"{whose} Implementation Version Name: "
        + ("(not sent)" if version is None else version.implementation_version_name),
        f"{whose} Max PDU Receive Size: {size}",
    ]


def _role_text(*, scu: bool, scp: bool) -> str:
    if scu and scp:
        return "SCU and SCP"
    if scu:
        return "SCU"
    return "SCP" if scp else "neither SCU nor SCP"


def _roles(info: UserInformationItem) -> dict[str, str]:
    # PS3.7 D.3.3.4: one role selection item per SOP class; the first counts.
    roles: dict[str, str] = {}
    for sub in _sub_items(info, SCPSCURoleSelectionSubItem):
        roles.setdefault(
            sub.sop_class_uid, _role_text(scu=sub.scu_role, scp=sub.scp_role)
        )
    return roles


def _rq_context_lines(pdu: A_ASSOCIATE_RQ) -> list[str]:
    roles = _roles(pdu.user_information)
    lines = ["Presentation Contexts:"]
    for cx in pdu.presentation_contexts:
        role = roles.get(cx.abstract_syntax, "Default")
        lines += [
            f"  Context ID: {cx.context_id} (Proposed)",
            f"    Abstract Syntax: {_uid(cx.abstract_syntax)}",
            f"    Proposed SCP/SCU Role: {role}",
            "    Proposed Transfer Syntax(es):",
            *(f"      {_uid(ts)}" for ts in cx.transfer_syntaxes),
        ]
    if not pdu.presentation_contexts:
        lines.append("  (none)")
    return lines


def _ac_context_lines(pdu: A_ASSOCIATE_AC) -> list[str]:
    lines = ["Presentation Contexts:"]
    for cx in pdu.presentation_contexts:
        lines.append(f"  Context ID: {cx.context_id}")
        lines.append(
            f"    Result: {_coded(cx.result, _name(_CONTEXT_RESULTS, cx.result))}"
        )
        # PS3.8 9.3.3.2: the transfer syntax is significant only on acceptance.
        if cx.result == ContextResult.ACCEPTANCE:
            lines.append(f"    Accepted Transfer Syntax: {_uid(cx.transfer_syntax)}")
    if not pdu.presentation_contexts:
        lines.append("  (none)")
    roles = _roles(pdu.user_information)
    lines.append("Accepted SCP/SCU Role(s):" + ("" if roles else " none"))
    lines.extend(f"  {_uid(uid)}: {role}" for uid, role in roles.items())
    return lines


def _extended_lines(info: UserInformationItem, label: str) -> list[str]:
    """PS3.7 D.3.3.5 and D.3.3.6: SOP class (common) extended negotiation."""
    extended = _sub_items(info, SOPClassExtendedNegotiationSubItem)
    lines = [f"{label} Extended Negotiation:" + ("" if extended else " none")]
    for sub in extended:
        data = sub.service_class_application_information
        lines.append(f"  {_uid(sub.sop_class_uid)}: 0x{data.hex() or '(empty)'}")
    common = _sub_items(info, SOPClassCommonExtendedNegotiationSubItem)
    lines.append(f"{label} Common Extended Negotiation:" + ("" if common else " none"))
    for item in common:
        lines.append(f"  {_uid(item.sop_class_uid)}")
        lines.append(f"    Service Class: {_uid(item.service_class_uid)}")
        lines.extend(
            f"    Related General SOP Class: {_uid(related)}"
            for related in item.related_general_sop_class_identification
        )
    return lines


def _async_lines(info: UserInformationItem, label: str) -> list[str]:
    """PS3.7 D.3.3.3: asynchronous operations window (0 means unlimited)."""
    window = _first(info, AsynchronousOperationsWindowSubItem)
    if window is None:
        return [f"{label} Asynchronous Operations Window Negotiation: none"]
    return [
        f"{label} Asynchronous Operations Window Negotiation:",
        (
            "  Maximum Number Operations Invoked: "
            f"{window.maximum_number_operations_invoked}"
        ),
        (
            "  Maximum Number Operations Performed: "
            f"{window.maximum_number_operations_performed}"
        ),
    ]


def _secret(data: bytes) -> str:
    return f"({len(data)} bytes, not shown)"


def _user_identity_rq_lines(info: UserInformationItem) -> list[str]:
    """PS3.7 D.3.3.7.1. Only a username is shown; secrets never are."""
    identity = _first(info, UserIdentityRQSubItem)
    if identity is None:
        return ["Requested User Identity Negotiation: none"]
    kind = identity.user_identity_type
    is_username = kind in {
        UserIdentityType.USERNAME,
        UserIdentityType.USERNAME_AND_PASSCODE,
    }
    primary = (
        identity.primary_field.decode("utf-8", errors="replace")
        if is_username
        else _secret(identity.primary_field)
    )
    lines = [
        "Requested User Identity Negotiation:",
        f"  User Identity Type: {_coded(kind, _name(_IDENTITY_TYPES, kind))}",
        "  Positive Response Requested: "
        + ("yes" if identity.positive_response_requested else "no"),
        f"  Primary Field: {primary}",
    ]
    if kind == UserIdentityType.USERNAME_AND_PASSCODE:
        lines.append(f"  Secondary Field: {_secret(identity.secondary_field)}")
    return lines


def _user_identity_ac_lines(info: UserInformationItem) -> list[str]:
    """PS3.7 D.3.3.7.2: the server response may be a ticket; never shown."""
    identity = _first(info, UserIdentityACSubItem)
    if identity is None:
        return ["User Identity Negotiation Response: none"]
    return [f"User Identity Negotiation Response: {_secret(identity.server_response)}"]


def _unknown_lines(info: UserInformationItem) -> list[str]:
    return [
        f"Unknown User Information Sub-item 0x{sub.item_type:02X}: "
        f"{len(sub.data)} bytes"
        for sub in _sub_items(info, UnknownSubItem)
    ]


def _context_name(pdu: A_ASSOCIATE_RQ | A_ASSOCIATE_AC) -> str:
    return pdu.application_context.application_context_name


def _summarise_associate_rq(pdu: A_ASSOCIATE_RQ, whose: str) -> list[str]:
    info = pdu.user_information
    return [
        "Request Parameters:",
        _banner("BEGIN A-ASSOCIATE-RQ"),
        f"Protocol Version: {pdu.protocol_version}",
        *_identity_lines(info, whose),
        f"Application Context Name: {_context_name(pdu)}",
        f"Calling Application Name: {pdu.calling_ae_title}",
        f"Called Application Name: {pdu.called_ae_title}",
        *_rq_context_lines(pdu),
        *_extended_lines(info, "Requested"),
        *_async_lines(info, "Requested"),
        *_user_identity_rq_lines(info),
        *_unknown_lines(info),
        _banner("END A-ASSOCIATE-RQ"),
    ]


def _summarise_associate_ac(pdu: A_ASSOCIATE_AC, whose: str) -> list[str]:
    info = pdu.user_information
    return [
        "Accept Parameters:",
        _banner("BEGIN A-ASSOCIATE-AC"),
        f"Protocol Version: {pdu.protocol_version}",
        *_identity_lines(info, whose),
        f"Application Context Name: {_context_name(pdu)}",
        # PS3.8 9.3.3: the AE title fields echo the request.
        f"Calling Application Name: {pdu.calling_ae_title}",
        f"Responding Application Name: {pdu.called_ae_title}",
        *_ac_context_lines(pdu),
        *_extended_lines(info, "Accepted"),
        *_async_lines(info, "Accepted"),
        *_user_identity_ac_lines(info),
        *_unknown_lines(info),
        _banner("END A-ASSOCIATE-AC"),
    ]


# -- the other PDUs (PS3.8 9.3.4 to 9.3.8) ---------------------------------------


def _summarise_associate_rj(pdu: A_ASSOCIATE_RJ, _whose: str) -> list[str]:
    reason = _name(_REJECT_REASONS, (pdu.source, pdu.reason))
    return [
        "Reject Parameters:",
        _banner("BEGIN A-ASSOCIATE-RJ"),
        f"Result: {_coded(pdu.result, _name(_REJECT_RESULTS, pdu.result))}",
        f"Source: {_coded(pdu.source, _name(_REJECT_SOURCES, pdu.source))}",
        f"Reason/Diag.: {_coded(pdu.reason, reason)}",
        _banner("END A-ASSOCIATE-RJ"),
    ]


def _summarise_abort(pdu: A_ABORT, _whose: str) -> list[str]:
    # PS3.8 9.3.8: the reason is significant only for a service-provider abort.
    lines = [
        "Abort Parameters:",
        f"Source: {_coded(pdu.source, _name(_ABORT_SOURCES, pdu.source))}",
    ]
    if pdu.source == AbortSource.SERVICE_PROVIDER:
        reason = _name(_ABORT_REASONS, pdu.reason)
        lines.append(f"Reason/Diag.: {_coded(pdu.reason, reason)}")
    return lines


def _summarise_p_data_tf(pdu: P_DATA_TF, _whose: str) -> list[str]:
    # PS3.8 9.3.5.1 and Annex E.2: one line per PDV, with its control header.
    lines = [f"P-DATA-TF: {len(pdu.pdvs)} PDV(s)"]
    for pdv in pdu.pdvs:
        kind = "Command" if pdv.is_command else "Data Set"
        last = "last" if pdv.is_last_fragment else "not last"
        size = len(pdv.data) if isinstance(pdv.data, bytes) else pdv.data.nbytes
        lines.append(
            f"  PDV: Context ID {pdv.context_id}, {kind}, {last} fragment, {size} bytes"
        )
    return lines


def _summarise_release_rq(_pdu: A_RELEASE_RQ, _whose: str) -> list[str]:
    return ["A-RELEASE-RQ"]


def _summarise_release_rp(_pdu: A_RELEASE_RP, _whose: str) -> list[str]:
    return ["A-RELEASE-RP"]


# Keyed by class; each value takes that class only, which a dict cannot type.
_SUMMARISERS: Final[dict[type, Callable[..., list[str]]]] = {
    A_ASSOCIATE_RQ: _summarise_associate_rq,
    A_ASSOCIATE_AC: _summarise_associate_ac,
    A_ASSOCIATE_RJ: _summarise_associate_rj,
    P_DATA_TF: _summarise_p_data_tf,
    A_RELEASE_RQ: _summarise_release_rq,
    A_RELEASE_RP: _summarise_release_rp,
    A_ABORT: _summarise_abort,
}
