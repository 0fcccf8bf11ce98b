"""The dicomnet exception tree.

Every error the sans-I/O core raises is a :class:`ProtocolError`. Errors caused by
bytes received from the peer carry the A-ABORT source and reason (PS3.8 9.3.8)
that the Upper Layer state machine sends in answer and, where PS3.8 answers with
an A-ASSOCIATE-RJ instead (an A-ASSOCIATE-RQ that the service provider cannot
accept, PS3.8 9.2 action AE-6), the reject result, source and reason (PS3.8 9.3.4).

::

    DicomnetError
    |-- ProtocolError
    |   |-- LocalProtocolError        we asked for something illegal in this state
    |   `-- RemoteProtocolError       the peer broke PS3.8
    |       |-- UnrecognizedPDUError              A-ABORT reason 1
    |       |-- UnexpectedPDUError                A-ABORT reason 2
    |       |-- UnrecognizedPDUParameterError     A-ABORT reason 4
    |       |-- UnexpectedPDUParameterError       A-ABORT reason 5
    |       |-- InvalidPDUParameterValueError     A-ABORT reason 6
    |       |   |-- PDUTooLargeError
    |       |   `-- InvalidFragmentError          PS3.8 Annex E fragment rules
    |       `-- InvalidMessageError               PS3.7 message (service-user abort)
    `-- NegotiationError              association rejected during negotiation
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class AbortSource(IntEnum):
    """A-ABORT PDU *Source* field (PS3.8 9.3.8, Table 9-26)."""

    SERVICE_USER = 0
    RESERVED = 1
    SERVICE_PROVIDER = 2


class AbortReason(IntEnum):
    """A-ABORT *Reason/Diag.* field for the service-provider source (PS3.8 9.3.8)."""

    REASON_NOT_SPECIFIED = 0
    UNRECOGNIZED_PDU = 1
    UNEXPECTED_PDU = 2
    RESERVED = 3
    UNRECOGNIZED_PDU_PARAMETER = 4
    UNEXPECTED_PDU_PARAMETER = 5
    INVALID_PDU_PARAMETER_VALUE = 6


class RejectResult(IntEnum):
    """A-ASSOCIATE-RJ PDU *Result* field (PS3.8 9.3.4, Table 9-21)."""

    REJECTED_PERMANENT = 1
    REJECTED_TRANSIENT = 2


class RejectSource(IntEnum):
    """A-ASSOCIATE-RJ PDU *Source* field (PS3.8 9.3.4, Table 9-21)."""

    SERVICE_USER = 1
    SERVICE_PROVIDER_ACSE = 2
    SERVICE_PROVIDER_PRESENTATION = 3


class RejectReason(IntEnum):
    """A-ASSOCIATE-RJ PDU *Reason/Diag.* values (PS3.8 9.3.4, Table 9-21).

    The meaning of a value depends on the source, so the members are prefixed
    with the source they belong to: ``USER_`` (source 1), ``ACSE_`` (source 2)
    and ``PRESENTATION_`` (source 3). Values that share a number are aliases of
    one another, as in any IntEnum; compare against ``int`` values.
    """

    USER_NO_REASON_GIVEN = 1
    USER_APPLICATION_CONTEXT_NAME_NOT_SUPPORTED = 2
    USER_CALLING_AE_TITLE_NOT_RECOGNIZED = 3
    USER_CALLED_AE_TITLE_NOT_RECOGNIZED = 7
    ACSE_NO_REASON_GIVEN = 1
    ACSE_PROTOCOL_VERSION_NOT_SUPPORTED = 2
    PRESENTATION_TEMPORARY_CONGESTION = 1
    PRESENTATION_LOCAL_LIMIT_EXCEEDED = 2


@dataclass(frozen=True, slots=True)
class RejectCode:
    """The (result, source, reason) triple of an A-ASSOCIATE-RJ (PS3.8 9.3.4)."""

    result: int
    source: int
    reason: int


#: PS3.8 9.3.4: the A-ASSOCIATE-RJ answers shared by the PDU codec (which
#: finds these faults while decoding) and ACSE negotiation.
REJECT_PROTOCOL_VERSION = RejectCode(
    RejectResult.REJECTED_PERMANENT,
    RejectSource.SERVICE_PROVIDER_ACSE,
    RejectReason.ACSE_PROTOCOL_VERSION_NOT_SUPPORTED,
)
REJECT_CALLING_AE_TITLE = RejectCode(
    RejectResult.REJECTED_PERMANENT,
    RejectSource.SERVICE_USER,
    RejectReason.USER_CALLING_AE_TITLE_NOT_RECOGNIZED,
)
REJECT_CALLED_AE_TITLE = RejectCode(
    RejectResult.REJECTED_PERMANENT,
    RejectSource.SERVICE_USER,
    RejectReason.USER_CALLED_AE_TITLE_NOT_RECOGNIZED,
)


class DicomnetError(Exception):
    """Base class of every exception dicomnet raises on purpose."""


class ProtocolError(DicomnetError):
    """A violation of PS3.8 or PS3.7.

    Attributes
    ----------
    abort_source, abort_reason:
        The A-ABORT fields (PS3.8 9.3.8) to send in answer.
    reject:
        Set when PS3.8 answers with an A-ASSOCIATE-RJ rather than an A-ABORT
        (an unacceptable A-ASSOCIATE-RQ in state Sta2, action AE-6).
    """

    abort_source: AbortSource = AbortSource.SERVICE_PROVIDER
    abort_reason: AbortReason = AbortReason.REASON_NOT_SPECIFIED

    def __init__(self, message: str, *, reject: RejectCode | None = None) -> None:
        super().__init__(message)
        self.reject = reject


class LocalProtocolError(ProtocolError):
    """The local user asked for something PS3.8 does not allow in this state."""


class RemoteProtocolError(ProtocolError):
    """The peer sent something that breaks PS3.8."""


class UnrecognizedPDUError(RemoteProtocolError):
    """A PDU of an unknown type (A-ABORT reason 1)."""

    abort_reason = AbortReason.UNRECOGNIZED_PDU


class UnexpectedPDUError(RemoteProtocolError):
    """A valid PDU that is not allowed in the current state (A-ABORT reason 2)."""

    abort_reason = AbortReason.UNEXPECTED_PDU


class UnrecognizedPDUParameterError(RemoteProtocolError):
    """An item or sub-item of an unknown type (A-ABORT reason 4)."""

    abort_reason = AbortReason.UNRECOGNIZED_PDU_PARAMETER


class UnexpectedPDUParameterError(RemoteProtocolError):
    """A known item where it is not allowed, or a required one missing (reason 5)."""

    abort_reason = AbortReason.UNEXPECTED_PDU_PARAMETER


class InvalidPDUParameterValueError(RemoteProtocolError):
    """A field whose value or length is not valid (A-ABORT reason 6)."""

    abort_reason = AbortReason.INVALID_PDU_PARAMETER_VALUE


class PDUTooLargeError(InvalidPDUParameterValueError):
    """A PDU whose declared length is above the local maximum."""


class NegotiationError(DicomnetError):
    """The association was rejected during negotiation."""

    def __init__(self, message: str, *, reject: RejectCode) -> None:
        super().__init__(message)
        self.reject = reject


class InvalidMessageError(RemoteProtocolError):
    """A DIMSE message that breaks PS3.7.

    A malformed command set (PS3.7 6.3, Annex E) or a message without a
    mandatory field (PS3.7 9.3, 10.3).

    The DIMSE layer is a user of the Upper Layer, so the abort it answers with
    is a service-user A-ABORT (PS3.8 9.3.8, source 0, reason not significant).
    """

    abort_source = AbortSource.SERVICE_USER


class InvalidFragmentError(InvalidPDUParameterValueError):
    """A PDV that breaks the fragmentation rules of PS3.8 Annex E / PS3.7 6.3.1.

    A PDV on a presentation context that was not accepted, a data fragment
    before the command's last fragment, a fragment on another context in the
    middle of a message, or a command set over the receiver's limit (A-ABORT
    reason 6, invalid PDU parameter value).
    """


# --- Drivers (dicomnet.transport) -------------------------------------------------
# Appended with issue #4: the only exceptions about sockets. The sans-I/O core
# never raises them; the drivers raise them internally, through one helper
# (dicomnet.transport._exceptions.map_exceptions), and mostly answer them by
# telling the core the transport closed (PS3.8 Evt17).


class TransportError(DicomnetError):
    """A failure of the transport connection (TCP or TLS), seen by a driver."""


class ConnectError(TransportError):
    """The transport connection could not be opened (refused, unreachable, TLS)."""


class ConnectTimeout(ConnectError):  # noqa: N818  (httpcore's names, style 4)
    """Opening the transport connection took longer than allowed."""


class ReadError(TransportError):
    """Reading from the transport connection failed (reset, TLS alert ...)."""


class WriteError(TransportError):
    """Writing to the transport connection failed."""


class WriteTimeout(WriteError):  # noqa: N818  (httpcore's names, style 4)
    """The peer did not take our bytes within the allowed time."""


class TransportClosedError(TransportError):
    """The driver has already closed its transport connection and stopped."""
