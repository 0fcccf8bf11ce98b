"""Hanging Protocol Query/Retrieve (PS3.4 Annex U) between dicomnet AEs over loopback.

The SCP serves what its Non-Patient Object Storage provider (Annex GG)
received; C-GET stores back over the same association, C-MOVE to a third AE.
The helpers here are shared by the tests of the other composite object
Query/Retrieve modules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from pydicom.dataset import Dataset

from dicomnet import AE, build_role
from dicomnet.services import hanging_protocol as hp
from dicomnet.services.non_patient_storage import NonPatientStorageSCP
from tests.services.test_non_patient_storage import non_patient
from tests.services.test_normalized import LOOPBACK, TIMEOUT, Pair

if TYPE_CHECKING:
    from collections.abc import Iterator


class Peers:
    """An SCP serving ``provider`` and the storage provider; a dicomnet SCU."""

    def __init__(self, provider: Any, storage: NonPatientStorageSCP) -> None:
        self.pair = Pair()
        self.storage_classes = sorted(storage.sop_classes)
        for uid in self.storage_classes:
            self.pair.scp.add_requested_context(uid)  # C-MOVE sub-operations
        self.pair.serve(
            hp.route(provider, storage), *provider.sop_classes, *self.storage_classes
        )
        self.received = NonPatientStorageSCP()

    def associate(self, *sop_classes: str) -> Any:
        # PS3.7 D.3.3.4: the SCU takes the storage SCP role for C-GET.
        roles = [build_role(uid, scp_role=True) for uid in self.storage_classes]
        return self.pair.associate(
            *sop_classes,
            *self.storage_classes,
            ext_neg=roles,
            handlers=self.received.handlers(),
        )

    def close(self) -> None:
        self.pair.close()


def statuses(responses: list[tuple[Dataset, Dataset | None]]) -> list[int]:
    return [int(status.Status) for status, _ in responses]


def uid_list(*datasets: Dataset) -> Dataset:
    query = Dataset()
    query.SOPInstanceUID = [str(ds.SOPInstanceUID) for ds in datasets]
    return query


CHEST = non_patient(
    hp.HangingProtocolStorage,
    HangingProtocolName="CHEST PA",
    HangingProtocolLevel="SITE",
    HangingProtocolDescription="Chest",
)
HEAD = non_patient(
    hp.HangingProtocolStorage, HangingProtocolName="HEAD", HangingProtocolLevel="USER"
)
_modality = Dataset()
_modality.Modality = "CR"
CHEST.HangingProtocolDefinitionSequence = [_modality]


@pytest.fixture
def peers() -> Iterator[Peers]:
    storage = NonPatientStorageSCP()
    for ds in (CHEST, HEAD):
        storage.add(ds)
    peers = Peers(hp.HangingProtocolQRSCP(storage), storage)
    yield peers
    peers.close()


def test_find_by_name_level_and_definition_sequence(peers: Peers) -> None:
    assoc = peers.associate(hp.HangingProtocolInformationModelFind)
    by_name = list(
        assoc.send_c_find(
            hp.hanging_protocol_query(HangingProtocolName="CH*"),
            hp.HangingProtocolInformationModelFind,
        )
    )
    modality = Dataset()
    modality.Modality = "CR"
    by_sequence = Dataset()
    by_sequence.SOPInstanceUID = ""
    by_sequence.HangingProtocolDefinitionSequence = [modality]
    by_modality = list(
        assoc.send_c_find(by_sequence, hp.HangingProtocolInformationModelFind)
    )
    every = list(
        assoc.send_c_find(
            hp.hanging_protocol_query(), hp.HangingProtocolInformationModelFind
        )
    )
    assoc.release()

    assert statuses(by_name) == [0xFF00, 0x0000]
    identifier = by_name[0][1]
    assert identifier is not None
    assert identifier.HangingProtocolDescription == "Chest"
    assert "QueryRetrieveLevel" not in identifier  # U.4: no level
    assert "HangingProtocolDefinitionSequence" not in identifier
    assert statuses(by_modality) == [0xFF00, 0x0000]
    assert by_modality[0][1].SOPInstanceUID == CHEST.SOPInstanceUID
    assert statuses(every) == [0xFF00, 0xFF00, 0x0000]


def test_get_by_a_list_of_uids(peers: Peers) -> None:
    assoc = peers.associate(hp.HangingProtocolInformationModelGet)
    responses = list(
        assoc.send_c_get(uid_list(CHEST, HEAD), hp.HangingProtocolInformationModelGet)
    )
    assoc.release()

    assert statuses(responses) == [0xFF00, 0xFF00, 0x0000]
    assert responses[-1][0].NumberOfCompletedSuboperations == 2
    got = {str(ds.SOPInstanceUID) for ds in peers.received.instances()}
    assert got == {CHEST.SOPInstanceUID, HEAD.SOPInstanceUID}


def test_get_without_a_sop_instance_uid_is_refused(peers: Peers) -> None:
    assoc = peers.associate(hp.HangingProtocolInformationModelGet)
    query = Dataset()
    query.HangingProtocolName = "CHEST PA"
    responses = list(assoc.send_c_get(query, hp.HangingProtocolInformationModelGet))
    assoc.release()

    assert statuses(responses) == [0xA900]
    assert peers.received.instances() == []


def test_move_to_a_known_destination() -> None:
    destination = AE("HP_DEST")
    destination.acse_timeout = destination.dimse_timeout = TIMEOUT
    destination.network_timeout = TIMEOUT
    destination.add_supported_context(hp.HangingProtocolStorage)
    arrived = NonPatientStorageSCP()
    server = destination.start_server(
        (LOOPBACK, 0), block=False, evt_handlers=arrived.handlers()
    )
    assert server is not None
    storage = NonPatientStorageSCP([hp.HangingProtocolStorage])
    storage.add(CHEST)
    address = (LOOPBACK, int(server.server_address[1]))
    provider = hp.HangingProtocolQRSCP(storage, {"HP_DEST": address})
    peers = Peers(provider, storage)
    try:
        assoc = peers.associate(hp.HangingProtocolInformationModelMove)
        moved = list(
            assoc.send_c_move(
                uid_list(CHEST), "HP_DEST", hp.HangingProtocolInformationModelMove
            )
        )
        unknown = list(
            assoc.send_c_move(
                uid_list(CHEST), "NOWHERE", hp.HangingProtocolInformationModelMove, 2
            )
        )
        assoc.release()
    finally:
        peers.close()
        destination.shutdown()

    assert statuses(moved) == [0xFF00, 0x0000]
    assert [ds.SOPInstanceUID for ds in arrived.instances()] == [CHEST.SOPInstanceUID]
    assert statuses(unknown) == [0xA801]
