"""Print Jobs and the notifications of a print SCP (PS3.4 H.4.5, H.4.6).

A print N-ACTION creates a Print Job SOP Instance when the SCU negotiated
the Print Job SOP Class (H.4.1.2.4, H.4.2.2.4); the SCP reports each change
of its Execution Status with an N-EVENT-REPORT on the association that
created it (H.4.5.2.1.2) and deletes it once Done or Failure has been
confirmed. :class:`JobTable` keeps those jobs; :class:`PrinterListeners`
keeps the associations to tell of a change of the Printer's status
(H.4.6.2.1.2: all the SCUs with an association using the printer).
"""

from __future__ import annotations

import copy
import itertools
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import generate_uid

from dicomnet.sop_class import (
    BasicColorPrintManagementMeta,
    BasicGrayscalePrintManagementMeta,
    Printer,
    PrintJob,
)

__all__ = [
    "JOB_STATES",
    "JobTable",
    "MessageIDs",
    "PrinterListeners",
    "job_reference",
    "negotiated",
    "send_report",
]

_LOGGER = logging.getLogger(__name__)

#: PS3.4 H.4.5.2.1.1: the Event Type ID of each Execution Status.
JOB_STATES: Final = {"PENDING": 1, "PRINTING": 2, "DONE": 3, "FAILURE": 4}
# PS3.3 C.13.9.1 defined terms: what Execution Status Info says by default.
_DEFAULT_INFO: Final = {
    "PENDING": "QUEUED",
    "PRINTING": "NORMAL",
    "DONE": "NORMAL",
    "FAILURE": "UNKNOWN",
}
# H.4.5.2.1.2: after these the job is deleted.
_FINAL: Final = frozenset({"DONE", "FAILURE"})
# The keyword of (2100,0500) Referenced Print Job Sequence (H.4.2.2.4.1),
# which pydicom's dictionary (from PS3.6) names "... (Pull Stored Print)".
_JOB_SEQUENCE: Final = "ReferencedPrintJobSequencePullStoredPrint"
_PRINTER_CLASSES: Final = frozenset(
    {BasicGrayscalePrintManagementMeta, BasicColorPrintManagementMeta, Printer}
)


def negotiated(assoc: Any, sop_class: str) -> bool:  # noqa: ANN401  (the Association)
    """Return whether a context of ``sop_class`` was accepted on ``assoc``."""
    return any(cx.abstract_syntax == sop_class for cx in assoc.accepted_contexts)


def job_reference(uid: str) -> Dataset:
    """Return the Action Reply of a print N-ACTION (H.4.2.2.4.1, Table H.4-8)."""
    item = Dataset()
    item.ReferencedSOPClassUID = PrintJob
    item.ReferencedSOPInstanceUID = uid
    reply = Dataset()
    setattr(reply, _JOB_SEQUENCE, Sequence([item]))
    return reply


class MessageIDs:
    """Message IDs of the N-EVENT-REPORTs the SCP invokes (PS3.7 10.1.1.1.1)."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)

    def next(self) -> int:
        """Return the next Message ID (1 to 65535, then round again)."""
        return next(self._ids) % 0x10000 or 1


@dataclass(slots=True)
class _Job:
    assoc: Any
    attrs: Dataset
    label: str | None


class JobTable:
    """The Print Job SOP Instances of a print SCP (PS3.4 H.4.5)."""

    def __init__(self, ids: MessageIDs) -> None:
        self._jobs: dict[str, _Job] = {}
        self._ids = ids

    def create(
        self,
        assoc: Any,  # noqa: ANN401  (the Association)
        session: Dataset,
        printer_name: str,
    ) -> str:
        """Create a PENDING job of ``session``'s films; return its UID."""
        now = datetime.now()  # noqa: DTZ005  (DA/TM are local time, PS3.5 6.2)
        attrs = Dataset()
        # PS3.3 C.13.8 (Print Job Module), the attributes of H.4.5.2.2.1.
        attrs.ExecutionStatus = "PENDING"
        attrs.ExecutionStatusInfo = _DEFAULT_INFO["PENDING"]
        attrs.PrintPriority = session.get("PrintPriority", "MED")
        attrs.CreationDate = now.strftime("%Y%m%d")
        attrs.CreationTime = now.strftime("%H%M%S")
        attrs.PrinterName = printer_name
        attrs.Originator = assoc.requestor.ae_title
        uid = str(generate_uid(prefix=None))
        self._jobs[uid] = _Job(assoc, attrs, session.get("FilmSessionLabel") or None)
        return uid

    def discard(self, uid: str) -> None:
        """Forget a job whose print failed before it was announced."""
        self._jobs.pop(uid, None)

    def get(self, uid: str) -> Dataset | None:
        """Return a copy of a job's attributes, ``None`` for no such job."""
        job = self._jobs.get(uid)
        return None if job is None else copy.deepcopy(job.attrs)

    def uids(self) -> list[str]:
        """Return the UIDs of the jobs not yet Done or failed."""
        return list(self._jobs)

    def set_status(self, uid: str, status: str, info: str | None) -> Dataset | None:
        """Change a job's Execution Status and report it (H.4.5.2.1).

        Returns the N-EVENT-REPORT status, ``None`` when the association
        that created the job has ended. Raises :class:`KeyError` for an
        unknown job, :class:`ValueError` for an unknown status.
        """
        event_type = JOB_STATES.get(status)
        if event_type is None:
            raise ValueError(f"Unknown execution status {status!r}")
        job = self._jobs[uid]
        job.attrs.ExecutionStatus = status
        job.attrs.ExecutionStatusInfo = info or _DEFAULT_INFO[status]
        # PS3.4 H.4.5.2.1.1: the Event Information of every job event.
        event = Dataset()
        event.ExecutionStatusInfo = job.attrs.ExecutionStatusInfo
        if job.label is not None:
            event.FilmSessionLabel = job.label
        event.PrinterName = job.attrs.PrinterName
        result = None
        if job.assoc.is_established:
            # H.4.5.2.1.2: only on the association that created the job.
            result = send_report(
                job.assoc, event, event_type, (PrintJob, uid), msg_id=self._ids.next()
            )
        if status in _FINAL:
            # H.4.5.2.1.2: deleted once the SCU confirmed Done or Failure
            # (or could not, its association being gone).
            self._jobs.pop(uid, None)
        return result


def send_report(
    assoc: Any,  # noqa: ANN401  (the Association)
    info: Dataset,
    event_type: int,
    instance: tuple[str, str],
    *,
    msg_id: int,
) -> Dataset | None:
    """Send an N-EVENT-REPORT of ``instance`` (SOP class, UID); ``None``: not sent."""
    try:
        status, _ = assoc.send_n_event_report(
            info, event_type, instance[0], instance[1], msg_id
        )
    except (RuntimeError, ValueError):
        # The association ended meanwhile, or has no such context.
        _LOGGER.warning("Could not report event %d of %s", event_type, instance[1])
        return None
    # An empty status: the association ended before the SCU answered.
    result: Dataset | None = status if "Status" in status else None
    return result


class PrinterListeners:
    """The associations to tell of a change of the Printer's status (H.4.6.2.1)."""

    def __init__(self, ids: MessageIDs) -> None:
        self._assocs: dict[int, Any] = {}
        self.ids = ids

    def join(self, assoc: Any) -> None:  # noqa: ANN401  (the Association)
        """Listen on ``assoc`` if it negotiated the Printer SOP Class (H.3)."""
        contexts = assoc.accepted_contexts
        if any(cx.abstract_syntax in _PRINTER_CLASSES for cx in contexts):
            self._assocs[id(assoc)] = assoc

    def leave(self, assoc: Any) -> None:  # noqa: ANN401  (the Association)
        """Stop listening on an ended association."""
        self._assocs.pop(id(assoc), None)

    def established(self) -> list[Any]:
        """Return the listening associations still established."""
        # list() copies at once: other associations join on their threads.
        assocs = list(self._assocs.values())
        return [assoc for assoc in assocs if assoc.is_established]
