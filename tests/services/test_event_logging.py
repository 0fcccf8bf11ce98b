"""Application Event Logging (PS3.4 Annex P) between dicomnet AEs."""

from __future__ import annotations

from typing import Any

import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from dicomnet.services import event_logging as el
from dicomnet.sop_class import ProceduralEventLogging, SubstanceAdministrationLogging
from tests.services.test_normalized import Pair, reply

FRAME = "1.2.826.0.1.3680043.10.1234.400"


def procedural_event(**changes: Any) -> Dataset:
    code = reply(
        CodeValue="110101", CodingSchemeDesignator="DCM", CodeMeaning="Procedure action"
    )
    ds = reply(
        PatientID="P1",
        StudyInstanceUID="1.2.3",
        StudyID="S1",
        SynchronizationFrameOfReferenceUID=FRAME,
        PerformedLocation="CATH1",
        ValueType="CONTAINER",
        ConceptNameCodeSequence=Sequence([code]),
    )
    for keyword, value in changes.items():
        if value is None:
            del ds[keyword]
        else:
            setattr(ds, keyword, value)
    return ds


def run(
    *requests: tuple[Dataset, str, int, str | None], result: object = None
) -> list[int]:
    logged: list[tuple[str, str]] = []

    def record(sop_class: str, event: Dataset, ae_title: str) -> object:
        if isinstance(result, Exception):
            raise result
        logged.append((sop_class, ae_title))
        return result

    peers = Pair()
    scp = el.EventLogSCP(record, frame_of_reference=FRAME)
    try:
        peers.serve(
            scp.handlers(), ProceduralEventLogging, SubstanceAdministrationLogging
        )
        assoc = peers.associate(ProceduralEventLogging, SubstanceAdministrationLogging)
        codes = []
        for info, sop_class, action, instance in requests:
            if instance is None and action == el.RECORD:
                codes.append(el.log_event(assoc, info, sop_class).Status)
            else:
                status, _ = assoc.send_n_action(
                    info, action, sop_class, instance or "1.2.3"
                )
                codes.append(status.Status)
        assoc.release()
    finally:
        peers.close()
    return codes


def test_events_are_logged() -> None:
    codes = run(
        (procedural_event(), ProceduralEventLogging, el.RECORD, None),
        (
            procedural_event(PatientID=None),
            SubstanceAdministrationLogging,
            el.RECORD,
            None,
        ),
        (
            procedural_event(SynchronizationFrameOfReferenceUID="1.2.9"),
            ProceduralEventLogging,
            el.RECORD,
            None,
        ),
    )
    # B101 (Table P.3-1): logged, but timed in another frame of reference.
    assert codes == [0x0000, 0x0000, el.FRAME_OF_REFERENCE_MISMATCH]


@pytest.mark.parametrize(
    ("info", "action", "instance", "code"),
    [
        pytest.param(
            procedural_event(), el.RECORD, "1.2.3.4", 0x0112, id="wrong-instance"
        ),
        pytest.param(
            procedural_event(),
            2,
            el.PROCEDURAL_EVENT_LOGGING_INSTANCE,
            0x0123,
            id="no-such-action",
        ),
        pytest.param(
            procedural_event(StudyID=None), el.RECORD, None, 0x0115, id="missing-type2"
        ),
        pytest.param(
            procedural_event(ValueType=""), el.RECORD, None, 0x0115, id="empty-content"
        ),
    ],
)
def test_bad_events_are_refused(
    info: Dataset, action: int, instance: str | None, code: int
) -> None:
    assert run((info, ProceduralEventLogging, action, instance)) == [code]


def test_the_callback_decides_the_status() -> None:
    assert run(
        (procedural_event(), ProceduralEventLogging, el.RECORD, None), result=0xC103
    ) == [0xC103]
    assert run(
        (procedural_event(), ProceduralEventLogging, el.RECORD, None),
        result=RuntimeError("x"),
    ) == [0x0110]
