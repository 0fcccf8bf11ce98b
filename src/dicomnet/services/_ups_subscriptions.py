"""The subscription states of the UPS Watch SOP Class (PS3.4 CC.2.3).

PS3.4 CC.2.3 gives each AE a UPS Subscription State per UPS (Not Subscribed,
Subscribed with or w/o Deletion Lock) and a Global Subscription State (none,
with or w/o Lock); Table CC.2.3-2 says how the subscription actions and the
creation of a UPS move them. :class:`Subscriptions` keeps both, pure
bookkeeping: the provider in :mod:`dicomnet.services.ups` answers the
requests, sends the reports and deletes the UPSs no lock holds any more.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dicomnet.services._matching import matches

if TYPE_CHECKING:
    from collections.abc import Iterable

    from pydicom.dataset import Dataset

__all__ = ["Subscriptions"]


class Subscriptions:
    """The UPS and Global Subscription States of every AE (CC.2.3).

    Attributes
    ----------
    instances : dict
        ``{ae_title: {ups_uid: deletion_lock}}``: the UPS Subscription State
        of each AE for each UPS it is subscribed to.
    global_locks : dict
        ``{ae_title: deletion_lock}``: the AEs with a Global Subscription
        (filtered or not).
    filters : dict
        ``{ae_title: matching_keys}``: the Matching Keys of the AEs whose
        global subscription is filtered (CC.2.3.3).
    """

    def __init__(self) -> None:
        self.instances: dict[str, dict[str, bool]] = {}
        self.global_locks: dict[str, bool] = {}
        self.filters: dict[str, Dataset] = {}

    def subscribe(self, title: str, uid: str, *, lock: bool) -> None:
        """Subscribe ``title`` to one UPS (Table CC.2.3-2, "Subscribe")."""
        self.instances.setdefault(title, {})[uid] = lock

    def subscribe_global(
        self,
        title: str,
        existing: Iterable[Dataset],
        *,
        lock: bool,
        keys: Dataset | None = None,
    ) -> list[Dataset]:
        """Subscribe ``title`` to all UPSs, or to those matching ``keys``.

        Every existing UPS (that matches) gets the subscription too: one the
        AE was not subscribed to with the requested lock; one it was keeps
        its own subscription (instance specific instructions take
        precedence, CC.2.3), gaining the lock if the AE asks for one.

        Parameters
        ----------
        title : str
            The Receiving AE.
        existing : iterable of pydicom.dataset.Dataset
            The UPSs the SCP manages now.
        lock : bool
            Deletion Lock.
        keys : pydicom.dataset.Dataset, optional
            The Matching Keys of a Filtered Global Subscription.

        Returns
        -------
        list of pydicom.dataset.Dataset
            The UPSs now covered by the subscription.
        """
        self.global_locks[title] = lock
        if keys is None:
            self.filters.pop(title, None)
        else:
            self.filters[title] = keys
        mine = self.instances.setdefault(title, {})
        covered = [ups for ups in existing if keys is None or matches(ups, keys)]
        for ups in covered:
            uid = str(ups.SOPInstanceUID)
            mine[uid] = mine.get(uid, False) or lock
        return covered

    def unsubscribe(self, title: str, uid: str) -> None:
        """Unsubscribe ``title`` from one UPS, global state unchanged."""
        self.instances.get(title, {}).pop(uid, None)

    def end_global(self, title: str, *, keep_instances: bool) -> None:
        """End the global subscription of ``title``.

        Parameters
        ----------
        title : str
            The Receiving AE.
        keep_instances : bool
            ``True`` to Suspend Global Subscription: no new UPSs, the
            current ones stay. ``False`` to Unsubscribe globally, which
            also ends every UPS subscription of the AE (CC.2.3: the one
            global instruction that overrides the instance specific ones).
        """
        self.global_locks.pop(title, None)
        self.filters.pop(title, None)
        if not keep_instances:
            self.instances.pop(title, None)

    def on_create(self, ups: Dataset) -> list[str]:
        """Subscribe the global subscribers to a new UPS; return their titles.

        CC.2.5.3 and Table CC.2.3-2: a new UPS takes the Global Subscription
        State of each AE, if it matches the AE's filter (CC.2.3.3).
        """
        uid = str(ups.SOPInstanceUID)
        titles = []
        for title, lock in self.global_locks.items():
            keys = self.filters.get(title)
            if keys is None or matches(ups, keys):
                self.instances.setdefault(title, {})[uid] = lock
                titles.append(title)
        return sorted(titles)

    def subscribers(self, uid: str) -> list[str]:
        """Return the AEs subscribed to a UPS, sorted."""
        return sorted(title for title, subs in self.instances.items() if uid in subs)

    def everyone(self) -> list[str]:
        """Return the AEs with any subscription, global or to a UPS, sorted."""
        titles = set(self.global_locks)
        titles.update(title for title, subs in self.instances.items() if subs)
        return sorted(titles)

    def locks_of(self, title: str) -> list[str]:
        """Return the UPSs ``title`` holds a Deletion Lock on."""
        return [uid for uid, lock in self.instances.get(title, {}).items() if lock]

    def is_locked(self, uid: str) -> bool:
        """Return whether any AE holds a Deletion Lock on a UPS."""
        return any(subs.get(uid) for subs in self.instances.values())

    def forget(self, uid: str) -> None:
        """Drop every subscription to a deleted UPS."""
        for subs in self.instances.values():
            subs.pop(uid, None)
