"""The RT Machine Verification Service Classes (PS3.4 Annex DD).

A treatment delivery system (TDS, the SCU) asks a Machine Parameter Verifier
(MPV, the SCP) to check its settings against the RT Plan before each beam
(DD.2.1). At the plan level it creates a verification instance naming the
plan (N-CREATE) and deletes it when done (N-DELETE); at the beam level it
sets the beam's parameters (N-SET), starts the verification (N-ACTION) and
hears the result by N-EVENT-REPORT, "Pending" and then "Done" with the
Treatment Verification Status; N-GET reads the result and the failed or
overridden parameters.

SCP side: :class:`MachineVerificationSCP` keeps the instances in memory and
leaves the verdict to the application: a ``verify`` callback, or
:func:`compare_with_reference` to compare the parameters with expected values.
The SCU side needs nothing beyond ``Association.send_n_*`` and an
``evt.EVT_N_EVENT_REPORT`` handler for the results.
"""

from __future__ import annotations

import copy
import itertools
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.tag import Tag
from pydicom.uid import generate_uid

from dicomnet.services._n_common import (
    DUPLICATE_SOP_INSTANCE,
    INVALID_ATTRIBUTE_VALUE,
    MISSING_ATTRIBUTE,
    NO_SUCH_ACTION,
    NO_SUCH_SOP_INSTANCE,
    SUCCESS,
    failure,
    missing_attributes,
    select_attributes,
)
from dicomnet.services._n_scp import call_after_response
from dicomnet.services.normalized import ServiceProvider
from dicomnet.sop_class import (
    RTConventionalMachineVerification,
    RTIonMachineVerification,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

__all__ = [
    "ALREADY_VERIFYING",
    "BEAM_NOT_FOUND",
    "DEVICE_NOT_FOUND",
    "DEVICE_NOT_SUPPORTED",
    "DONE",
    "FRACTION_GROUP_NOT_FOUND",
    "INSTANCE_NOT_FOUND",
    "NOT_VERIFIED",
    "NO_BEAMS",
    "PENDING",
    "PLAN_NOT_FOUND",
    "REQUEST_BEAM_VERIFICATION",
    "VERIFIED",
    "VERIFIED_OVR",
    "MachineVerificationSCP",
    "VerificationResult",
    "compare_with_reference",
    "parameter_reference",
]

_LOGGER = logging.getLogger(__name__)

# DD.3.2.2.4: the values of Treatment Verification Status (3008,002C).
VERIFIED: Final = "VERIFIED"
VERIFIED_OVR: Final = "VERIFIED_OVR"
NOT_VERIFIED: Final = "NOT_VERIFIED"
_VERDICTS: Final = frozenset({VERIFIED, VERIFIED_OVR, NOT_VERIFIED})

#: Table DD.3.2.3-1: the one Action Type ID, with no Action Information.
REQUEST_BEAM_VERIFICATION: Final = 1
# Table DD.3.2.5-1: Event Type IDs of the notifications the SCP sends.
PENDING: Final = 1
DONE: Final = 2

#: Tables DD.3.2.2.3-1 and DD.3.2.3-2 (N-GET, N-ACTION): instance not found.
INSTANCE_NOT_FOUND: Final = 0xC112
# Table DD.3.2.1.2-1 (N-CREATE) failures.
FRACTION_GROUP_NOT_FOUND: Final = 0xC221
NO_BEAMS: Final = 0xC222
ALREADY_VERIFYING: Final = 0xC223
PLAN_NOT_FOUND: Final = 0xC227
# The N-SET failures of DD.3.2.1.2; C225/C226 are for the application's
# ``verify``-side checks of devices and accessories, not raised here.
BEAM_NOT_FOUND: Final = 0xC224
DEVICE_NOT_SUPPORTED: Final = 0xC225
DEVICE_NOT_FOUND: Final = 0xC226

_GENERAL: Final = "GeneralMachineVerificationSequence"
# The module sequence and its control point sequence of each SOP class
# (Tables DD.3.2.1-1 and DD.3.2.1-2).
_MODULE: Final[dict[str, tuple[str, str]]] = {
    str(RTConventionalMachineVerification): (
        "ConventionalMachineVerificationSequence",
        "ConventionalControlPointVerificationSequence",
    ),
    str(RTIonMachineVerification): (
        "IonMachineVerificationSequence",
        "IonControlPointVerificationSequence",
    ),
}
# Set by the SCP only: "Not allowed" in both N-CREATE and N-SET.
_RESULTS: Final = (
    "TreatmentVerificationStatus",
    "FailedAttributesSequence",
    "OverriddenAttributesSequence",
)
# The plan-level attributes, fixed by the N-CREATE ("Not allowed" in N-SET).
_PLAN_LEVEL: Final = (
    "ReferencedRTPlanSequence",
    "ReferencedFractionGroupNumber",
    "PatientID",
    "IssuerOfPatientID",
    "IssuerOfPatientIDQualifiersSequence",
)
_PLAN_REFERENCE_TYPE1: Final = ("ReferencedSOPClassUID", "ReferencedSOPInstanceUID")
# The Type 1 attributes of the General Machine Verification item in an N-SET.
_GENERAL_TYPE1: Final = (
    "ReferencedBeamNumber",
    "TreatmentMachineName",
    "RadiationType",
    "NumberOfWedges",
    "NumberOfCompensators",
    "NumberOfBoli",
    "NumberOfBlocks",
    "NumberOfControlPoints",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class VerificationResult:
    """The verdict on a beam's parameters (PS3.4 DD.3.2.2.4).

    Parameters
    ----------
    status : str
        ``VERIFIED``, ``VERIFIED_OVR`` or ``NOT_VERIFIED``.
    failed : tuple of pydicom.dataset.Dataset
        Failed Parameters Sequence items (:func:`parameter_reference`); one
        or more when ``NOT_VERIFIED``.
    overridden : tuple of pydicom.dataset.Dataset
        Overridden Parameters Sequence items, which may add Operators' Name
        and Override Reason; one or more when ``VERIFIED_OVR``.
    """

    status: str
    failed: tuple[Dataset, ...] = ()
    overridden: tuple[Dataset, ...] = ()

    def __post_init__(self) -> None:
        """Check the status is one of DD.3.2.2.4's three values."""
        if self.status not in _VERDICTS:
            msg = f"Not a Treatment Verification Status: {self.status!r}"
            raise ValueError(msg)


def parameter_reference(
    tag: int, path: Iterable[tuple[int, int]] = (), value_number: int = 0
) -> Dataset:
    """Return a Failed/Overridden Parameters item naming one attribute.

    The item is the Verification Parameters Selector Attribute Macro of
    PS3.4 Table DD.3.2.2.1-1.

    Parameters
    ----------
    tag : int
        The attribute (Selector Attribute).
    path : iterable of (int, int)
        The sequences holding it, outermost first, as ``(sequence tag, item
        number)``; item numbers start at 1.
    value_number : int
        The value meant, starting at 1; 0 for all of them.

    Returns
    -------
    pydicom.dataset.Dataset
    """
    item = Dataset()
    item.SelectorAttribute = Tag(tag)
    item.SelectorValueNumber = value_number
    steps = list(path)
    if steps:
        item.SelectorSequencePointer = [Tag(seq) for seq, _ in steps]
        item.SelectorSequencePointerItems = [number for _, number in steps]
    return item


def compare_with_reference(
    reference: Mapping[int, Dataset],
) -> Callable[[Dataset, Dataset | None], VerificationResult]:
    """Return a ``verify`` callback comparing parameters with expected values.

    Each expected attribute of the beam (by Referenced Beam Number) is looked
    for in the General Machine Verification item and then in the control point
    item of the SOP class's module; a missing or different value fails it
    (DD.3.2.2.4: out of range, or a value required for verification not
    supplied). Tolerances, overrides and plan-derived references are the
    application's to add with its own callback.

    Parameters
    ----------
    reference : mapping of int to pydicom.dataset.Dataset
        The expected attribute values (no sequences) of each beam number.

    Returns
    -------
    callable
        ``verify(instance, plan) -> VerificationResult``.
    """

    def verify(instance: Dataset, plan: Dataset | None) -> VerificationResult:
        del plan  # the reference stands for it
        general = instance[_GENERAL].value[0]
        expected = reference.get(int(general.ReferencedBeamNumber))
        if expected is None:
            failed = [parameter_reference(0x300C0006, [(Tag(_GENERAL), 1)])]
            return VerificationResult(status=NOT_VERIFIED, failed=tuple(failed))
        places = _parameter_places(instance)
        failed = []
        for elem in expected:
            found = _find(places, elem.tag)
            if found is None or found[0].value != elem.value:
                path = found[1] if found is not None else [(Tag(_GENERAL), 1)]
                failed.append(parameter_reference(elem.tag, path))
        if failed:
            return VerificationResult(status=NOT_VERIFIED, failed=tuple(failed))
        return VerificationResult(status=VERIFIED)

    return verify


Place = tuple[Dataset, list[tuple[int, int]]]


def _parameter_places(instance: Dataset) -> list[Place]:
    """Return the items holding beam parameters, with their sequence paths."""
    places: list[Place] = [(instance[_GENERAL].value[0], [(Tag(_GENERAL), 1)])]
    module, points = _MODULE.get(str(instance.get("SOPClassUID", "")), ("", ""))
    if module in instance and instance[module].value:
        item = instance[module].value[0]
        if points in item and item[points].value:
            path: list[tuple[int, int]] = [(Tag(module), 1), (Tag(points), 1)]
            places.append((item[points].value[0], path))
    return places


def _find(places: list[Place], tag: int) -> tuple[Any, list[tuple[int, int]]] | None:
    for item, path in places:
        if tag in item:
            return item[tag], path
    return None


def _always_verified(instance: Dataset, plan: Dataset | None) -> VerificationResult:
    del instance, plan
    return VerificationResult(status=VERIFIED)


class MachineVerificationSCP(ServiceProvider):
    """An MPV: SCP of RT Conventional and RT Ion Machine Verification.

    Parameters
    ----------
    verify : callable, optional
        ``verify(instance, plan) -> VerificationResult``, run after the
        N-ACTION response with a copy of the instance's attributes and the
        referenced RT Plan (``None`` when ``plans`` is not given). By default
        every beam whose parameters were set is VERIFIED; see
        :func:`compare_with_reference`. An exception makes it NOT_VERIFIED.
    plans : mapping, optional
        The RT Plans by SOP Instance UID. When given, N-CREATE checks the
        plan, its fraction group and beams (C227, C221, C222) and N-SET the
        beam number (C224).
    report_pending : bool
        Send the "Pending" event before verifying (DD.3.2.5.3).

    Attributes
    ----------
    instances : dict
        The machine verification instances by SOP Instance UID.
    """

    sop_classes = frozenset(
        {RTConventionalMachineVerification, RTIonMachineVerification}
    )

    def __init__(
        self,
        verify: Callable[[Dataset, Dataset | None], VerificationResult] | None = None,
        *,
        plans: Mapping[str, Dataset] | None = None,
        report_pending: bool = False,
    ) -> None:
        self._verify = verify or _always_verified
        self.plans = plans
        self.report_pending = report_pending
        self.instances: dict[str, Dataset] = {}
        self._sessions: dict[str, str] = {}  # instance UID -> SCU AE title
        self._message_ids = itertools.count(1)

    def n_create(self, event: Any) -> tuple[object, Dataset | None]:  # noqa: ANN401
        """Create a verification instance for a plan (DD.3.2.1.3.1)."""
        request = event.request
        sop_class = str(request.AffectedSOPClassUID)
        uid = str(request.AffectedSOPInstanceUID or generate_uid(prefix=None))
        if uid in self.instances:
            return failure(DUPLICATE_SOP_INSTANCE), None
        attrs = event.attribute_list
        refused = _check_create(attrs, sop_class) or self._check_plan(attrs)
        if refused is not None:
            return refused, None
        scu = str(event.assoc.requestor.ae_title).strip()
        if scu in self._sessions.values():
            # Table DD.3.2.1.2-1: this SCU's plan-level session is still open
            # (DD.2.1: it ends with the N-DELETE).
            return failure(ALREADY_VERIFYING, "A verification is open"), None
        instance = copy.deepcopy(attrs)
        instance.SOPClassUID = sop_class
        instance.SOPInstanceUID = uid
        # DD.3.2.1.3.1: the parameter sequences start empty.
        setattr(instance, _GENERAL, Sequence())
        setattr(instance, _MODULE[sop_class][0], Sequence())
        self.instances[uid] = instance
        self._sessions[uid] = scu
        status = Dataset()
        status.Status = SUCCESS
        status.AffectedSOPInstanceUID = uid
        return status, copy.deepcopy(instance)

    def n_set(self, event: Any) -> tuple[object, Dataset | None]:  # noqa: ANN401
        """Set a beam's parameters for verification (DD.3.2.1.3.2)."""
        instance = self.instances.get(str(event.request.RequestedSOPInstanceUID))
        if instance is None:
            return failure(NO_SUCH_SOP_INSTANCE), None
        changes = event.modification_list
        fixed = [
            elem.tag for elem in changes if elem.keyword in (*_PLAN_LEVEL, *_RESULTS)
        ]
        if fixed:
            comment = "Attributes not allowed in N-SET"
            return failure(INVALID_ATTRIBUTE_VALUE, comment, attributes=fixed), None
        refused = _check_set(changes, str(instance.SOPClassUID)) or self._check_beam(
            instance, changes
        )
        if refused is not None:
            return refused, None
        for elem in changes:
            instance[elem.tag] = copy.deepcopy(elem)
        # New parameters void the verdict on the previous ones.
        for keyword in _RESULTS:
            if keyword in instance:
                del instance[keyword]
        return SUCCESS, copy.deepcopy(changes)

    def n_get(self, event: Any) -> tuple[object, Dataset | None]:  # noqa: ANN401
        """Return the verification status and results (DD.3.2.2.4)."""
        instance = self.instances.get(str(event.request.RequestedSOPInstanceUID))
        if instance is None:
            return failure(INSTANCE_NOT_FOUND), None
        code, attrs, unknown = select_attributes(instance, event.attribute_identifiers)
        return (failure(code, attributes=unknown) if unknown else code), attrs

    def n_action(self, event: Any) -> tuple[object, Dataset | None]:  # noqa: ANN401
        """Start verifying the beam; the result follows (DD.3.2.3.3, DD.3.2.5)."""
        uid = str(event.request.RequestedSOPInstanceUID)
        if uid not in self.instances:
            return failure(INSTANCE_NOT_FOUND), None
        if event.action_type != REQUEST_BEAM_VERIFICATION:
            return failure(NO_SUCH_ACTION), None
        assoc = event.assoc
        call_after_response(event, lambda: self._run(assoc, uid))
        return SUCCESS, None

    def n_delete(self, event: Any) -> object:  # noqa: ANN401
        """End the plan-level session (DD.3.2.4.3)."""
        uid = str(event.request.RequestedSOPInstanceUID)
        if self.instances.pop(uid, None) is None:
            return failure(NO_SUCH_SOP_INSTANCE)
        self._sessions.pop(uid, None)
        return SUCCESS

    def _plan(self, instance: Dataset) -> Dataset | None:
        if self.plans is None:
            return None
        uid = str(instance.ReferencedRTPlanSequence[0].ReferencedSOPInstanceUID)
        return self.plans.get(uid)

    def _check_plan(self, attrs: Dataset) -> Dataset | None:
        """Check the referenced plan and fraction group (Table DD.3.2.1.2-1)."""
        if self.plans is None:
            return None
        plan = self._plan(attrs)
        if plan is None:
            return failure(PLAN_NOT_FOUND)
        groups = list(plan.get("FractionGroupSequence") or ())
        number = attrs.get("ReferencedFractionGroupNumber")
        if number is None and len(groups) > 1:
            # Table DD.3.2.1-1: 1C, required if the plan has several.
            return failure(MISSING_ATTRIBUTE, "Missing ReferencedFractionGroupNumber")
        group = _select_group(groups, number)
        if group is None and number is not None:
            return failure(FRACTION_GROUP_NOT_FOUND)
        if group is None or not group.get("ReferencedBeamSequence"):
            return failure(NO_BEAMS)
        return None

    def _check_beam(self, instance: Dataset, changes: Dataset) -> Dataset | None:
        plan = self._plan(instance)
        if plan is None:
            return None
        groups = list(plan.get("FractionGroupSequence") or ())
        group = _select_group(groups, instance.get("ReferencedFractionGroupNumber"))
        if group is None:
            return failure(BEAM_NOT_FOUND, "The fraction group is gone")
        beams = {
            int(beam.ReferencedBeamNumber) for beam in group.ReferencedBeamSequence
        }
        if int(changes[_GENERAL].value[0].ReferencedBeamNumber) not in beams:
            return failure(BEAM_NOT_FOUND)
        return None

    def _run(self, assoc: Any, uid: str) -> None:  # noqa: ANN401
        """Verify, keep the result for N-GET, report it (DD.3.2.5.3)."""
        instance = self.instances.get(uid)
        if instance is None:
            return  # deleted meanwhile
        sop_class = str(instance.SOPClassUID)
        if self.report_pending:
            self._report(assoc, sop_class, uid, PENDING, None)
        result = self._decide(instance)
        instance.TreatmentVerificationStatus = result.status
        instance.FailedAttributesSequence = Sequence(copy.deepcopy(list(result.failed)))
        instance.OverriddenAttributesSequence = Sequence(
            copy.deepcopy(list(result.overridden))
        )
        info = Dataset()
        info.TreatmentVerificationStatus = result.status
        self._report(assoc, sop_class, uid, DONE, info)

    def _decide(self, instance: Dataset) -> VerificationResult:
        if not instance[_GENERAL].value:
            # DD.3.2.2.4: values required for verification were not supplied.
            missing = parameter_reference(Tag(_GENERAL))
            return VerificationResult(status=NOT_VERIFIED, failed=(missing,))
        try:
            return self._verify(copy.deepcopy(instance), self._plan(instance))
        except Exception:
            _LOGGER.exception("The machine verification callback failed")
            unknown = parameter_reference(Tag(_GENERAL))
            return VerificationResult(status=NOT_VERIFIED, failed=(unknown,))

    def _report(
        self,
        assoc: Any,  # noqa: ANN401  (the Association)
        sop_class: str,
        uid: str,
        event_type: int,
        info: Dataset | None,
    ) -> None:
        if not assoc.is_established:
            _LOGGER.error("The TDS has gone: machine verification event not sent")
            return
        status, _ = assoc.send_n_event_report(
            info, event_type, sop_class, uid, next(self._message_ids)
        )
        if status.get("Status") != SUCCESS:
            _LOGGER.warning(
                "The TDS answered the machine verification event with 0x%04X",
                status.get("Status", 0xFFFF),
            )


def _select_group(groups: list[Dataset], number: object) -> Dataset | None:
    """Return the fraction group referenced, or the plan's only one."""
    if number is None:
        return groups[0] if groups else None
    for group in groups:
        if group.get("FractionGroupNumber") == number:
            return group
    return None


def _check_create(attrs: Dataset, sop_class: str) -> Dataset | None:
    """Return the refusal of an N-CREATE Attribute List (Tables DD.3.2.1-1/-2)."""
    if any(keyword in attrs for keyword in _RESULTS):
        return failure(INVALID_ATTRIBUTE_VALUE, "Attributes not allowed in N-CREATE")
    module = _MODULE[sop_class][0]
    refused = missing_attributes(
        attrs, ("ReferencedRTPlanSequence", "PatientID"), (_GENERAL, module)
    )
    if refused is not None:
        return refused
    plans = attrs.ReferencedRTPlanSequence
    if len(plans) != 1:
        return failure(INVALID_ATTRIBUTE_VALUE, "One Referenced RT Plan item only")
    refused = missing_attributes(plans[0], _PLAN_REFERENCE_TYPE1)
    if refused is not None:
        return refused
    if attrs[_GENERAL].value or attrs[module].value:
        # DD.3.2.1.3.1: parameters are deferred until the N-SET.
        return failure(INVALID_ATTRIBUTE_VALUE, "Parameter sequences must be empty")
    return None


def _check_set(changes: Dataset, sop_class: str) -> Dataset | None:
    """Return the refusal of an N-SET Modification List (Tables DD.3.2.1-1/-2)."""
    module, points = _MODULE[sop_class]
    refused = missing_attributes(changes, (_GENERAL, module))
    if refused is not None:
        return refused
    if len(changes[_GENERAL].value) != 1 or len(changes[module].value) != 1:
        return failure(INVALID_ATTRIBUTE_VALUE, "One parameter item per sequence")
    refused = missing_attributes(changes[_GENERAL].value[0], _GENERAL_TYPE1)
    if refused is not None:
        return refused
    item = changes[module].value[0]
    refused = missing_attributes(item, (points,))
    if refused is not None:
        return refused
    if len(item[points].value) != 1:
        # DD.3.2.1.3.2: the delivery system's actual values, one item.
        return failure(INVALID_ATTRIBUTE_VALUE, "One control point item")
    return missing_attributes(item[points].value[0], ("ReferencedControlPointIndex",))
