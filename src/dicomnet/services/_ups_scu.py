"""The SCU side of the Unified Procedure Step Service Class (PS3.4 Annex CC).

The N-ACTIONs of the Pull and Watch SOP classes, built from their Action
Information (Tables CC.2.1-1, CC.2.2-1 and CC.2.3-1). Re-exported by
:mod:`dicomnet.services.ups`, which documents them.
"""

from __future__ import annotations

from typing import Any, Final

from pydicom.dataset import Dataset
from pydicom.uid import UID

from dicomnet.services._ups_events import GLOBAL_SUBSCRIPTION
from dicomnet.sop_class import (
    UnifiedProcedureStepPull,
    UnifiedProcedureStepPush,
    UnifiedProcedureStepWatch,
)

__all__ = [
    "CHANGE_STATE",
    "FILTERED_GLOBAL_SUBSCRIPTION",
    "REQUEST_CANCEL",
    "SUBSCRIBE",
    "SUSPEND_GLOBAL_SUBSCRIPTION",
    "UNSUBSCRIBE",
    "change_state",
    "request_cancel",
    "subscribe",
    "suspend_global_subscription",
    "unsubscribe",
]

# PS3.4 CC.2.1-CC.2.3: Action Type IDs.
CHANGE_STATE: Final = 1
REQUEST_CANCEL: Final = 2
SUBSCRIBE: Final = 3
UNSUBSCRIBE: Final = 4
SUSPEND_GLOBAL_SUBSCRIPTION: Final = 5

#: PS3.4 CC.3.1 (Table CC.3.1-1): the well-known UID of filtered global
#: subscriptions (CC.2.3.3).
FILTERED_GLOBAL_SUBSCRIPTION: Final = UID("1.2.840.10008.5.1.4.34.5.1")


def change_state(
    assoc: Any,  # noqa: ANN401
    ups_uid: str,
    state: str,
    transaction_uid: str,
    msg_id: int = 1,
) -> tuple[Dataset, Dataset | None]:
    """Change a UPS's state as its performer (PS3.4 CC.2.1.2, Pull SOP Class).

    Parameters
    ----------
    assoc : Association
        With an accepted UPS Pull context.
    ups_uid : str
        The UPS's SOP Instance UID.
    state : str
        ``IN_PROGRESS`` (claiming it), ``COMPLETED`` or ``CANCELED``.
    transaction_uid : str
        The performer's Transaction UID: new when claiming, then the same.
    msg_id : int
        The request's Message ID.

    Returns
    -------
    tuple of (pydicom.dataset.Dataset, pydicom.dataset.Dataset or None)
        As ``Association.send_n_action``.
    """
    info = Dataset()
    info.ProcedureStepState = state
    info.TransactionUID = transaction_uid
    # CC.2.1.2: the Requested SOP Class is UPS Push, on the Pull context.
    result: tuple[Dataset, Dataset | None] = assoc.send_n_action(
        info,
        CHANGE_STATE,
        UnifiedProcedureStepPush,
        ups_uid,
        msg_id,
        UnifiedProcedureStepPull,
    )
    return result


def request_cancel(  # noqa: PLR0913  (the optional arguments of CC.2.2.2)
    assoc: Any,  # noqa: ANN401
    ups_uid: str,
    reason: str | None = None,
    *,
    contact_name: str | None = None,
    contact_uri: str | None = None,
    msg_id: int = 1,
    meta_uid: str = UnifiedProcedureStepPush,
) -> tuple[Dataset, Dataset | None]:
    """Ask for a UPS to be canceled (PS3.4 CC.2.2.2).

    Parameters
    ----------
    assoc : Association
        With an accepted UPS Push (or Watch) context.
    ups_uid : str
        The UPS's SOP Instance UID.
    reason : str, optional
        Reason For Cancellation.
    contact_name, contact_uri : str, optional
        Who to discuss the request with.
    msg_id : int
        The request's Message ID.
    meta_uid : str
        The SOP class of the context to use (Push or Watch).

    Returns
    -------
    tuple of (pydicom.dataset.Dataset, pydicom.dataset.Dataset or None)
    """
    info = Dataset()
    for keyword, value in (
        ("ReasonForCancellation", reason),
        ("ContactDisplayName", contact_name),
        ("ContactURI", contact_uri),
    ):
        if value is not None:
            setattr(info, keyword, value)
    result: tuple[Dataset, Dataset | None] = assoc.send_n_action(
        info, REQUEST_CANCEL, UnifiedProcedureStepPush, ups_uid, msg_id, meta_uid
    )
    return result


def subscribe(  # noqa: PLR0913  (the Action Information of Table CC.2.3-1)
    assoc: Any,  # noqa: ANN401
    receiving_ae: str,
    ups_uid: str = GLOBAL_SUBSCRIPTION,
    *,
    deletion_lock: bool = False,
    matching_keys: Dataset | None = None,
    msg_id: int = 1,
) -> tuple[Dataset, Dataset | None]:
    """Subscribe an AE to the events of a UPS, or of all (PS3.4 CC.2.3.2).

    Parameters
    ----------
    assoc : Association
        With an accepted UPS Watch context.
    receiving_ae : str
        The AE title the events go to (may differ from ours).
    ups_uid : str
        A UPS, or :data:`GLOBAL_SUBSCRIPTION` (the default) for every UPS.
    deletion_lock : bool
        Ask the SCP to keep finished UPSs until unsubscribed.
    matching_keys : pydicom.dataset.Dataset, optional
        Subscribe only to the UPSs matching these keys, as a C-FIND would: a
        Filtered Global Subscription (CC.2.3.1), addressed to
        :data:`FILTERED_GLOBAL_SUBSCRIPTION` when ``ups_uid`` is left global.
    msg_id : int
        The request's Message ID.

    Returns
    -------
    tuple of (pydicom.dataset.Dataset, pydicom.dataset.Dataset or None)
    """
    info = Dataset()
    if matching_keys is not None:
        # Table CC.2.3-1: the Matching Keys go in the Action Information.
        info.update(matching_keys)
        if ups_uid == GLOBAL_SUBSCRIPTION:
            ups_uid = FILTERED_GLOBAL_SUBSCRIPTION
    info.ReceivingAE = receiving_ae
    info.DeletionLock = "TRUE" if deletion_lock else "FALSE"
    return _watch(assoc, SUBSCRIBE, ups_uid, info, msg_id)


def unsubscribe(
    assoc: Any,  # noqa: ANN401
    receiving_ae: str,
    ups_uid: str = GLOBAL_SUBSCRIPTION,
    msg_id: int = 1,
) -> tuple[Dataset, Dataset | None]:
    """Unsubscribe an AE from a UPS, or from all (PS3.4 CC.2.3.2)."""
    info = Dataset()
    info.ReceivingAE = receiving_ae
    return _watch(assoc, UNSUBSCRIBE, ups_uid, info, msg_id)


def suspend_global_subscription(
    assoc: Any,  # noqa: ANN401
    receiving_ae: str,
    msg_id: int = 1,
) -> tuple[Dataset, Dataset | None]:
    """Stop being subscribed to new UPSs, keeping current ones (PS3.4 CC.2.3.2)."""
    info = Dataset()
    info.ReceivingAE = receiving_ae
    return _watch(assoc, SUSPEND_GLOBAL_SUBSCRIPTION, GLOBAL_SUBSCRIPTION, info, msg_id)


def _watch(
    assoc: Any,  # noqa: ANN401
    action: int,
    ups_uid: str,
    info: Dataset,
    msg_id: int,
) -> tuple[Dataset, Dataset | None]:
    # CC.2.3.2: the Requested SOP Class is UPS Push, on the Watch context.
    result: tuple[Dataset, Dataset | None] = assoc.send_n_action(
        info,
        action,
        UnifiedProcedureStepPush,
        ups_uid,
        msg_id,
        UnifiedProcedureStepWatch,
    )
    return result
