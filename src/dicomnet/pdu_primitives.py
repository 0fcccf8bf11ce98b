"""The ACSE and Upper Layer service primitives of PS3.8 7, as users build them.

These are the pynetdicom-compatible, mutable classes: each parameter is a
property whose setter checks its type (:class:`TypeError`) and value
(:class:`ValueError`), because users fill them in field by field. The wire form
is the frozen items of :mod:`dicomnet.ul.items` and PDUs of
:mod:`dicomnet.ul.pdu`; ``to_item()``/``from_item()`` and
``to_*_pdu()``/``from_pdu()`` convert at that one boundary (``from_primitive()``
is kept as pynetdicom's name for ``to_item()``).

AE titles and UIDs are checked with ``dicomnet._config.VALIDATORS["AE"]`` and
``["UI"]``, looked up at each call so that users can replace them.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Final, TypeVar

from pydicom import config
from pydicom.uid import UID

from dicomnet._negotiation_items import (
    AsynchronousOperationsWindowNegotiation,
    ImplementationClassUIDNotification,
    ImplementationVersionNameNotification,
    MaximumLengthNotification,
    NegotiationPrimitive,
    Primitive,
    SCP_SCU_RoleSelectionNegotiation,
    SOPClassCommonExtendedNegotiation,
    SOPClassExtendedNegotiation,
    UserIdentityNegotiation,
    check_ae_title,
    check_uid,
    primitive_from_item,
    require,
)
from dicomnet.presentation import (
    PresentationContext,
    from_ac_item,
    from_rq_item,
    to_ac_item,
    to_rq_item,
)
from dicomnet.ul.items import (
    DICOM_APPLICATION_CONTEXT_NAME,
    ApplicationContextItem,
    PresentationContextItemAC,
    PresentationContextItemRQ,
    UserInformationItem,
)
from dicomnet.ul.pdu import A_ABORT as A_ABORT_PDU
from dicomnet.ul.pdu import (
    A_ASSOCIATE_AC,
    A_ASSOCIATE_RJ,
    A_ASSOCIATE_RQ,
    P_DATA_TF,
    PDV,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

__all__ = [
    "A_ABORT",
    "A_ASSOCIATE",
    "A_P_ABORT",
    "A_RELEASE",
    "P_DATA",
    "AsynchronousOperationsWindowNegotiation",
    "ImplementationClassUIDNotification",
    "ImplementationVersionNameNotification",
    "MaximumLengthNotification",
    "SCP_SCU_RoleSelectionNegotiation",
    "SOPClassCommonExtendedNegotiation",
    "SOPClassExtendedNegotiation",
    "UserIdentityNegotiation",
]

_LOGGER = logging.getLogger(__name__)

# PS3.8 7.1.1.7, Table 9-21: result, result source and diagnostic, as text.
_RESULT_STR: Final = {0: "Accepted", 1: "Rejected Permanent", 2: "Rejected Transient"}
_SOURCE_STR: Final = {
    1: "Service User",
    2: "Service Provider (ACSE)",
    3: "Service Provider (Presentation)",
}
_REASON_STR: Final = {
    1: {
        1: "No reason given",
        2: "Application context name not supported",
        3: "Calling AE title not recognised",
        7: "Called AE title not recognised",
    },
    2: {1: "No reason given", 2: "Protocol version not supported"},
    3: {1: "Temporary congestion", 2: "Local limit exceeded"},
}
_DIAGNOSTICS: Final = frozenset({1, 2, 3, 7})
_NO_VALUE: Final = "(no value available)"


def _check_address(value: object, name: str) -> object:
    """Accept ``None``, an ``(host, port)`` tuple or an AddressInformation."""
    if value is None or hasattr(value, "as_tuple"):
        return value
    if (
        isinstance(value, tuple)
        and len(value) in (2, 4)
        and isinstance(value[0], str)
        and all(isinstance(part, int) for part in value[1:])
    ):
        return value
    raise TypeError(
        f"'{name}' must be an AddressInformation, a (host, port) tuple or None, "
        f"not {type(value).__name__}"
    )


def _only(items: object, kind: type | tuple[type, ...], name: str) -> list[Any]:
    """Return the members of a list that are of ``kind``, warning about others."""
    if not isinstance(items, list):
        raise TypeError(f"'{name}' must be a list")
    kept = [item for item in items if isinstance(item, kind)]
    if len(kept) != len(items):
        # pynetdicom drops them too; say so rather than fail silently.
        _LOGGER.warning("Ignored %d invalid '%s' items", len(items) - len(kept), name)
    return kept


_Item = TypeVar("_Item", PresentationContextItemRQ, PresentationContextItemAC)


def _read(
    items: Sequence[_Item], convert: Callable[[_Item], PresentationContext]
) -> list[PresentationContext]:
    """Convert received context items; one that cannot be is logged and skipped.

    The negotiation judged the PDU itself (an RQ item that does not convert
    was refused there); the primitive only shows what arrived.
    """
    contexts = []
    for item in items:
        try:
            contexts.append(convert(item))
        except (TypeError, ValueError, UserWarning) as exc:  # noqa: PERF203  (rare)
            _LOGGER.warning(
                "Could not read presentation context item %r: %s", item, exc
            )
    return contexts


class A_ASSOCIATE(Primitive):  # noqa: N801  (PS3.8 name)
    """The A-ASSOCIATE primitive (PS3.8 7.1.1): request, indication, response.

    Parameters without a setter are fixed by PS3.8 for DICOM: ``mode`` is
    ``"normal"``, ``presentation_requirements`` ``"Presentation Kernel"``,
    ``session_requirements`` empty; ``responding_ae_title`` is the called AE
    title (PS3.8 7.1.1.5).
    """

    def __init__(self) -> None:
        self._application_context_name: UID | None = None
        self._calling_ae_title = "DEFAULT"
        self._called_ae_title = "DEFAULT"
        self._user_information: list[NegotiationPrimitive] = []
        self._result: int | None = None
        self._result_source: int | None = None
        self._diagnostic: int | None = None
        self._calling_presentation_address: object = None
        self._called_presentation_address: object = None
        self._presentation_context_definition_list: list[PresentationContext] = []
        self._presentation_context_definition_results_list: list[
            PresentationContext
        ] = []
        # A received PDU's context items, converted on first use: a storage
        # SCU proposes a hundred contexts that few handlers ever look at.
        self._unread: tuple[PresentationContextItemRQ, ...] | None = None
        self._unread_results: tuple[PresentationContextItemAC, ...] | None = None
        self._abstract_syntaxes: Mapping[int, str] = {}

    @property
    def mode(self) -> str:
        """Always ``"normal"`` (PS3.8 7.1.1.1)."""
        return "normal"

    @property
    def presentation_requirements(self) -> str:
        """Always ``"Presentation Kernel"`` (PS3.8 7.1.1.15)."""
        return "Presentation Kernel"

    @property
    def session_requirements(self) -> str:
        """Always empty (PS3.8 7.1.1.16)."""
        return ""

    @property
    def application_context_name(self) -> UID | None:
        """Get or set the application context name (PS3.8 7.1.1.2)."""
        return self._application_context_name

    @application_context_name.setter
    def application_context_name(self, value: str | bytes | None) -> None:
        self._application_context_name = check_uid(value, "application_context_name")

    @property
    def calling_ae_title(self) -> str:
        """Get or set the calling AE title (PS3.8 7.1.1.3)."""
        return self._calling_ae_title

    @calling_ae_title.setter
    def calling_ae_title(self, value: str) -> None:
        self._calling_ae_title = check_ae_title(value, "calling_ae_title")

    @property
    def called_ae_title(self) -> str:
        """Get or set the called AE title (PS3.8 7.1.1.4)."""
        return self._called_ae_title

    @called_ae_title.setter
    def called_ae_title(self, value: str) -> None:
        self._called_ae_title = check_ae_title(value, "called_ae_title")

    @property
    def responding_ae_title(self) -> str:
        """The responding AE title: the called AE title (PS3.8 7.1.1.5)."""
        return self._called_ae_title

    @property
    def user_information(self) -> list[NegotiationPrimitive]:
        """Get or set the user information primitives (a list)."""
        return self._user_information

    @user_information.setter
    def user_information(self, value: list[NegotiationPrimitive]) -> None:
        self._user_information = _only(
            value, NegotiationPrimitive.__args__, "user_information"
        )

    @property
    def result(self) -> int | None:
        """Get or set the result: 0 accepted, 1 or 2 rejected (PS3.8 7.1.1.7)."""
        return self._result

    @result.setter
    def result(self, value: int | None) -> None:
        if value not in (None, 0, 1, 2):
            raise ValueError(f"Unknown A_ASSOCIATE.result value {value!r}")
        self._result = value

    @property
    def result_source(self) -> int | None:
        """Get or set the result source, 1 to 3 (PS3.8 7.1.1.8)."""
        return self._result_source

    @result_source.setter
    def result_source(self, value: int | None) -> None:
        if value not in (None, 1, 2, 3):
            raise ValueError(f"Unknown A_ASSOCIATE.result_source value {value!r}")
        self._result_source = value

    @property
    def diagnostic(self) -> int | None:
        """Get or set the diagnostic: 1, 2, 3 or 7 (PS3.8 7.1.1.9, Table 9-21)."""
        return self._diagnostic

    @diagnostic.setter
    def diagnostic(self, value: int | None) -> None:
        if value is not None and value not in _DIAGNOSTICS:
            raise ValueError(f"Unknown A_ASSOCIATE.diagnostic value {value!r}")
        self._diagnostic = value

    @property
    def result_str(self) -> str:
        """The result as text."""
        return _RESULT_STR.get(self._result, _NO_VALUE)  # type: ignore[arg-type]  # None -> default

    @property
    def source_str(self) -> str:
        """The result source as text."""
        return _SOURCE_STR.get(self._result_source, _NO_VALUE)  # type: ignore[arg-type]  # None -> default

    @property
    def reason_str(self) -> str:
        """The diagnostic as text; its meaning depends on the source."""
        reasons = _REASON_STR.get(self._result_source, {})  # type: ignore[arg-type]  # None -> default
        return reasons.get(self._diagnostic, _NO_VALUE)  # type: ignore[arg-type]  # None -> default

    @property
    def calling_presentation_address(self) -> Any:  # noqa: ANN401  (AddressInformation or tuple)
        """Get or set the requestor's address (PS3.8 7.1.1.10)."""
        return self._calling_presentation_address

    @calling_presentation_address.setter
    def calling_presentation_address(self, value: object) -> None:
        self._calling_presentation_address = _check_address(
            value, "calling_presentation_address"
        )

    @property
    def called_presentation_address(self) -> Any:  # noqa: ANN401
        """Get or set the acceptor's address (PS3.8 7.1.1.11)."""
        return self._called_presentation_address

    @called_presentation_address.setter
    def called_presentation_address(self, value: object) -> None:
        self._called_presentation_address = _check_address(
            value, "called_presentation_address"
        )

    @property
    def responding_presentation_address(self) -> Any:  # noqa: ANN401
        """The responding address: the called address (PS3.8 7.1.1.12)."""
        return self._called_presentation_address

    @property
    def presentation_context_definition_list(self) -> list[PresentationContext]:
        """Get or set the proposed contexts (PS3.8 7.1.1.13)."""
        if self._unread is not None:
            items, self._unread = self._unread, None
            self._presentation_context_definition_list = _read(items, from_rq_item)
        return self._presentation_context_definition_list

    @presentation_context_definition_list.setter
    def presentation_context_definition_list(
        self, value: list[PresentationContext]
    ) -> None:
        self._unread = None
        self._presentation_context_definition_list = _only(
            value, PresentationContext, "presentation_context_definition_list"
        )

    @property
    def presentation_context_definition_results_list(
        self,
    ) -> list[PresentationContext]:
        """Get or set the negotiated contexts (PS3.8 7.1.1.14)."""
        if self._unread_results is not None:
            items, self._unread_results = self._unread_results, None
            contexts = _read(items, from_ac_item)
            for cx in contexts:
                # PS3.8 9.3.3.2: the AC does not repeat the abstract syntax.
                uid = self._abstract_syntaxes.get(cx.context_id or 0)
                if cx.abstract_syntax is None and uid is not None:
                    cx.abstract_syntax = uid
            self._presentation_context_definition_results_list = contexts
        return self._presentation_context_definition_results_list

    @presentation_context_definition_results_list.setter
    def presentation_context_definition_results_list(
        self, value: list[PresentationContext]
    ) -> None:
        self._unread_results = None
        self._presentation_context_definition_results_list = _only(
            value, PresentationContext, "presentation_context_definition_results_list"
        )

    def _find(self, kind: type) -> Any:  # noqa: ANN401
        return next((i for i in self._user_information if isinstance(i, kind)), None)

    @property
    def maximum_length_received(self) -> int | None:
        """Get or set the Maximum Length user information item's value."""
        item = self._find(MaximumLengthNotification)
        return None if item is None else int(item.maximum_length_received)

    @maximum_length_received.setter
    def maximum_length_received(self, value: int) -> None:
        item = self._find(MaximumLengthNotification)
        if item is None:
            item = MaximumLengthNotification()
            item.maximum_length_received = value
            self._user_information.append(item)
        item.maximum_length_received = value

    @property
    def implementation_class_uid(self) -> UID | None:
        """Get or set the Implementation Class UID user information item's value."""
        item = self._find(ImplementationClassUIDNotification)
        return None if item is None else item.implementation_class_uid

    @implementation_class_uid.setter
    def implementation_class_uid(self, value: str | bytes) -> None:
        item = self._find(ImplementationClassUIDNotification)
        if item is None:
            item = ImplementationClassUIDNotification()
            item.implementation_class_uid = value
            self._user_information.append(item)
        item.implementation_class_uid = value

    # -- conversion to and from the PDUs (PS3.8 9.3.2 - 9.3.4) ----------------------

    def _user_information_item(self) -> UserInformationItem:
        return UserInformationItem(
            sub_items=tuple(item.to_item() for item in self._user_information)
        )

    def _application_context(self) -> ApplicationContextItem:
        name = self._application_context_name or DICOM_APPLICATION_CONTEXT_NAME
        return ApplicationContextItem(application_context_name=str(name))

    def to_rq_pdu(self) -> A_ASSOCIATE_RQ:
        """Return the A-ASSOCIATE-RQ PDU of a request (PS3.8 9.3.2).

        Returns
        -------
        A_ASSOCIATE_RQ

        Raises
        ------
        ValueError
            A context or user information item is incomplete.
        """
        return A_ASSOCIATE_RQ(
            called_ae_title=self._called_ae_title,
            calling_ae_title=self._calling_ae_title,
            presentation_contexts=tuple(
                to_rq_item(cx) for cx in self.presentation_context_definition_list
            ),
            user_information=self._user_information_item(),
            application_context=self._application_context(),
        )

    def to_ac_pdu(self) -> A_ASSOCIATE_AC:
        """Return the A-ASSOCIATE-AC PDU of an accepting response (PS3.8 9.3.3).

        Returns
        -------
        A_ASSOCIATE_AC
        """
        return A_ASSOCIATE_AC(
            called_ae_title=self._called_ae_title,
            calling_ae_title=self._calling_ae_title,
            presentation_contexts=tuple(
                to_ac_item(cx)
                for cx in self.presentation_context_definition_results_list
            ),
            user_information=self._user_information_item(),
            application_context=self._application_context(),
        )

    def to_rj_pdu(self) -> A_ASSOCIATE_RJ:
        """Return the A-ASSOCIATE-RJ PDU of a rejecting response (PS3.8 9.3.4).

        Returns
        -------
        A_ASSOCIATE_RJ

        Raises
        ------
        ValueError
            The result is not a rejection, or the source or diagnostic is unset.
        """
        if self._result not in (1, 2):
            raise ValueError("A rejection needs a result of 1 or 2")
        return A_ASSOCIATE_RJ(
            result=self._result,
            source=require(self._result_source, "result_source"),
            reason=require(self._diagnostic, "diagnostic"),
        )

    @classmethod
    def from_pdu(
        cls,
        pdu: A_ASSOCIATE_RQ | A_ASSOCIATE_AC | A_ASSOCIATE_RJ,
        *,
        abstract_syntaxes: Mapping[int, str] | None = None,
    ) -> A_ASSOCIATE:
        """Return the indication or confirmation primitive a PDU carries.

        Values are taken as received, without the setters' checks: the codec
        checked them, and the association decides what to refuse.

        Parameters
        ----------
        pdu : A_ASSOCIATE_RQ, A_ASSOCIATE_AC or A_ASSOCIATE_RJ
            The decoded PDU.
        abstract_syntaxes : mapping of int to str, optional
            An A-ASSOCIATE-AC's abstract syntaxes by context ID, which the AC
            does not repeat (PS3.8 9.3.3.2), taken from the request.

        Returns
        -------
        A_ASSOCIATE
        """
        primitive = cls()
        if isinstance(pdu, A_ASSOCIATE_RJ):
            primitive._result = pdu.result
            primitive._result_source = pdu.source
            primitive._diagnostic = pdu.reason
            return primitive
        primitive._called_ae_title = pdu.called_ae_title
        primitive._calling_ae_title = pdu.calling_ae_title
        primitive._application_context_name = UID(
            pdu.application_context.application_context_name,
            validation_mode=config.IGNORE,  # as received: the codec checked it
        )
        subs = (primitive_from_item(sub) for sub in pdu.user_information.sub_items)
        primitive._user_information = [sub for sub in subs if sub is not None]
        if isinstance(pdu, A_ASSOCIATE_RQ):
            primitive._unread = pdu.presentation_contexts
        else:
            primitive._result = 0
            primitive._unread_results = pdu.presentation_contexts
            primitive._abstract_syntaxes = abstract_syntaxes or {}
        return primitive


class A_RELEASE(Primitive):  # noqa: N801  (PS3.8 name)
    """The A-RELEASE primitive (PS3.8 7.2): ``reason`` is always ``"normal"``."""

    def __init__(self) -> None:
        self._result: str | None = None

    @property
    def reason(self) -> str:
        """Always ``"normal"`` (PS3.8 7.2.1.1)."""
        return "normal"

    @property
    def result(self) -> str | None:
        """Get or set the result: ``None`` (request) or ``"affirmative"``."""
        return self._result

    @result.setter
    def result(self, value: str | None) -> None:
        # PS3.8 7.2.1.2: the response's result is always affirmative.
        if value not in (None, "affirmative"):
            raise ValueError("A_RELEASE.result must be None or 'affirmative'")
        self._result = value


class A_ABORT(Primitive):  # noqa: N801  (PS3.8 name)
    """The A-ABORT primitive (PS3.8 7.3): an abort by a service user."""

    def __init__(self) -> None:
        self._abort_source: int | None = None

    @property
    def abort_source(self) -> int | None:
        """Get or set the source: 0 user, 1 reserved, 2 provider (PS3.8 9.3.8)."""
        return self._abort_source

    @abort_source.setter
    def abort_source(self, value: int) -> None:
        if isinstance(value, bool) or value not in (0, 1, 2):
            raise ValueError(f"Invalid A-ABORT 'Source' value {value!r}")
        self._abort_source = value

    def to_pdu(self) -> A_ABORT_PDU:
        """Return the A-ABORT PDU; the reason is 0, as for a user abort.

        Returns
        -------
        dicomnet.ul.pdu.A_ABORT
        """
        return A_ABORT_PDU(source=require(self._abort_source, "abort_source"))

    @classmethod
    def from_pdu(cls, pdu: A_ABORT_PDU) -> A_ABORT:
        """Return the primitive of a received A-ABORT PDU (source as sent).

        Parameters
        ----------
        pdu : dicomnet.ul.pdu.A_ABORT
            The decoded PDU.

        Returns
        -------
        A_ABORT
        """
        primitive = cls()
        primitive._abort_source = pdu.source
        return primitive


#: PS3.8 7.4.1.1 and 9.3.8: the provider reasons an A-P-ABORT carries.
_PROVIDER_REASONS: Final = frozenset({0, 1, 2, 4, 5, 6})


class A_P_ABORT(Primitive):  # noqa: N801  (PS3.8 name)
    """The A-P-ABORT primitive (PS3.8 7.4): an abort by the service provider."""

    def __init__(self) -> None:
        self._provider_reason: int | None = None

    @property
    def provider_reason(self) -> int | None:
        """Get or set the reason: 0, 1, 2, 4, 5 or 6 (PS3.8 9.3.8)."""
        return self._provider_reason

    @provider_reason.setter
    def provider_reason(self, value: int) -> None:
        if isinstance(value, bool) or value not in _PROVIDER_REASONS:
            raise ValueError(f"Invalid A_P_ABORT.provider_reason value {value!r}")
        self._provider_reason = value

    def to_pdu(self) -> A_ABORT_PDU:
        """Return the A-ABORT PDU with source 2, service provider (PS3.8 9.3.8).

        Returns
        -------
        dicomnet.ul.pdu.A_ABORT
        """
        reason = require(self._provider_reason, "provider_reason")
        return A_ABORT_PDU(source=2, reason=reason)

    @classmethod
    def from_pdu(cls, pdu: A_ABORT_PDU) -> A_P_ABORT:
        """Return the primitive of a received provider A-ABORT (reason as sent).

        Parameters
        ----------
        pdu : dicomnet.ul.pdu.A_ABORT
            The decoded PDU.

        Returns
        -------
        A_P_ABORT
        """
        primitive = cls()
        primitive._provider_reason = pdu.reason
        return primitive


class P_DATA(Primitive):  # noqa: N801  (PS3.8 name)
    """The P-DATA primitive (PS3.8 7.6).

    ``presentation_data_value_list`` holds ``[context_id, data]`` pairs whose
    ``data`` starts with the message control header byte (PS3.8 E.2), as in
    pynetdicom.
    """

    def __init__(self) -> None:
        self._presentation_data_value_list: list[list[Any]] = []

    @property
    def presentation_data_value_list(self) -> list[list[Any]]:
        """Get or set the ``[context_id, header + fragment]`` pairs."""
        return self._presentation_data_value_list

    @presentation_data_value_list.setter
    def presentation_data_value_list(self, value: list[list[Any]]) -> None:
        message = "'presentation_data_value_list' must be a list of [int, bytes]"
        if not isinstance(value, list):
            raise TypeError(message)
        for pair in value:
            if (
                not isinstance(pair, list)
                or len(pair) != 2
                or isinstance(pair[0], bool)
                or not isinstance(pair[0], int)
                or not isinstance(pair[1], bytes | bytearray | memoryview)
            ):
                raise TypeError(message)
        self._presentation_data_value_list = value

    def to_pdu(self) -> P_DATA_TF:
        """Return the P-DATA-TF PDU (PS3.8 9.3.5).

        Returns
        -------
        P_DATA_TF

        Raises
        ------
        ValueError
            A value is empty, so has no message control header.
        """
        pdvs = []
        for context_id, data in self._presentation_data_value_list:
            if not data:
                raise ValueError("A PDV needs at least its message control header")
            pdvs.append(PDV(context_id, data[0], memoryview(data)[1:]))
        return P_DATA_TF(pdvs=tuple(pdvs))

    @classmethod
    def from_pdu(cls, pdu: P_DATA_TF) -> P_DATA:
        """Return the primitive of a received P-DATA-TF (this copies each PDV).

        Parameters
        ----------
        pdu : P_DATA_TF
            The decoded PDU.

        Returns
        -------
        P_DATA
        """
        primitive = cls()
        primitive._presentation_data_value_list = [
            [pdv.context_id, bytes((pdv.message_control_header,)) + bytes(pdv.data)]
            for pdv in pdu.pdvs
        ]
        return primitive
