"""Helpers of the DIMSE-N interop tests with pynetdicom peers.

:class:`Heard` records N-EVENT-REPORTs, as the ``EVT_N_EVENT_REPORT`` handler
of a dicomnet or a pynetdicom AE (both give the handler the same ``event``
attributes). :class:`AfterResponse` lets a pynetdicom SCP written in a test
send its notifications once its N-ACTION response has gone, as the services
ask (PS3.4 DD.3.2.5, KK.2.3: the events follow the action's response).
"""

from __future__ import annotations

import itertools
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pynetdicom
from pydicom.dataset import Dataset

from tests.services.test_n_interop import Servers, our_ae, peer_ae
from tests.services.test_normalized import TIMEOUT

__all__ = ["AfterResponse", "Heard", "Report", "Servers", "our_ae", "peer_ae"]

Report = tuple[int, str, Dataset]

# PS3.7 Table E.1-1: the Command Field of an N-ACTION-RSP.
_N_ACTION_RSP = 0x8130


class Heard:
    """An ``EVT_N_EVENT_REPORT`` handler queueing what it receives."""

    def __init__(self) -> None:
        self.reports: queue.SimpleQueue[Report] = queue.SimpleQueue()

    def __call__(self, event: Any) -> object:
        info = event.event_information
        self.reports.put(
            (event.event_type, str(event.request.AffectedSOPInstanceUID), info)
        )
        return 0x0000, None

    def next(self) -> Report:
        """Return the next report: (event type, SOP instance, information)."""
        return self.reports.get(timeout=TIMEOUT)

    def take(self, count: int) -> list[Report]:
        return [self.next() for _ in range(count)]


class AfterResponse:
    """Run work on a pynetdicom SCP's association after its N-ACTION response.

    Bind :meth:`handlers` with the SCP's; an N-ACTION handler calls
    :meth:`then`. pynetdicom answers a request on its reactor thread once the
    handler returns, so the work runs on a thread of its own that waits for
    the response to be sent (``EVT_DIMSE_SENT``); pynetdicom's ``send_*``
    then pause the reactor until the response is written.
    """

    def __init__(self) -> None:
        self._waiting: queue.SimpleQueue[threading.Event] = queue.SimpleQueue()
        self.threads: list[threading.Thread] = []
        self.statuses: queue.SimpleQueue[int] = queue.SimpleQueue()
        self._message_ids = itertools.count(101)

    def handlers(self) -> list[tuple[Any, Callable[..., object]]]:
        return [(pynetdicom.evt.EVT_DIMSE_SENT, self._on_sent)]

    def _on_sent(self, event: Any) -> None:
        # A refused N-ACTION has no work waiting for its response.
        if (
            event.message.command_set.CommandField == _N_ACTION_RSP
            and not self._waiting.empty()
        ):
            self._waiting.get_nowait().set()

    def then(self, assoc: Any, work: Callable[[Any], None]) -> None:
        sent = threading.Event()
        self._waiting.put(sent)

        def run() -> None:
            if sent.wait(TIMEOUT):
                work(assoc)

        thread = threading.Thread(target=run, daemon=True)
        self.threads.append(thread)
        thread.start()

    def report(
        self,
        assoc: Any,
        reports: Sequence[tuple[int, Dataset | None]],
        sop_class: str,
        instance: str,
    ) -> None:
        """Send N-EVENT-REPORTs; their response statuses go to ``statuses``."""
        for event_type, info in reports:
            status, _ = assoc.send_n_event_report(
                info, event_type, sop_class, instance, next(self._message_ids)
            )
            self.statuses.put(int(status.get("Status", 0xFFFF)))

    def join(self) -> None:
        for thread in self.threads:
            thread.join(TIMEOUT)


def started() -> Iterator[Servers]:
    """The body of a ``servers`` fixture: the servers of one test."""
    servers = Servers()
    yield servers
    servers.close()
