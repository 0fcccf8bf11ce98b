"""The DIMSE-N service methods of :class:`~dicomnet.association.Association`.

``send_n_action``, ``send_n_create``, ``send_n_delete``,
``send_n_event_report``, ``send_n_get`` and ``send_n_set`` (PS3.7 10.1), each
a thin delegation to :mod:`dicomnet.services.normalized`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pydicom.dataset import Dataset
    from pydicom.tag import BaseTag

__all__ = ["NormalizedServiceUser"]


class NormalizedServiceUser:
    """Mixin of the DIMSE-N request methods (pynetdicom's signatures).

    Every method raises :class:`RuntimeError` when the association is not
    established and :class:`ValueError` when no presentation context for the
    SOP class (or ``meta_uid``) was accepted, or a data set cannot be encoded.
    A DIMSE timeout, an abort or an invalid response abort the association
    and give an empty status ``Dataset`` (and ``None``).
    """

    def send_n_action(  # noqa: PLR0913, PLR0917  (pynetdicom's signature)
        self,
        dataset: Dataset | None,
        action_type: int,
        class_uid: str,
        instance_uid: str,
        msg_id: int = 1,
        meta_uid: str | None = None,
    ) -> tuple[Dataset, Dataset | None]:
        """Ask the peer to perform an action on a SOP instance (PS3.7 10.1.4).

        Parameters
        ----------
        dataset : pydicom.dataset.Dataset or None
            The Action Information.
        action_type : int
            The Action Type ID (PS3.4 gives them per SOP class).
        class_uid : str
            The Requested SOP Class UID.
        instance_uid : str
            The Requested SOP Instance UID.
        msg_id : int
            The request's Message ID.
        meta_uid : str, optional
            The Meta SOP Class whose presentation context to use (PS3.4 H.3).

        Returns
        -------
        tuple of (pydicom.dataset.Dataset, pydicom.dataset.Dataset or None)
            The status and the Action Reply: decoded for Success or Warning
            (empty if the peer sent none), otherwise ``None``.
        """
        from dicomnet.services.normalized import send_n_action  # noqa: PLC0415

        return send_n_action(
            self, dataset, action_type, class_uid, instance_uid, msg_id, meta_uid
        )

    def send_n_create(
        self,
        dataset: Dataset | None,
        class_uid: str,
        instance_uid: str | None = None,
        msg_id: int = 1,
        meta_uid: str | None = None,
    ) -> tuple[Dataset, Dataset | None]:
        """Ask the peer to create a SOP instance (PS3.7 10.1.5).

        Parameters
        ----------
        dataset : pydicom.dataset.Dataset or None
            The Attribute List.
        class_uid : str
            The Affected SOP Class UID.
        instance_uid : str, optional
            The Affected SOP Instance UID; ``None`` lets the peer assign it
            (then in the status's ``AffectedSOPInstanceUID``).
        msg_id : int
            The request's Message ID.
        meta_uid : str, optional
            The Meta SOP Class whose presentation context to use.

        Returns
        -------
        tuple of (pydicom.dataset.Dataset, pydicom.dataset.Dataset or None)
            The status and the Attribute List of the response.
        """
        from dicomnet.services.normalized import send_n_create  # noqa: PLC0415

        return send_n_create(self, dataset, class_uid, instance_uid, msg_id, meta_uid)

    def send_n_delete(
        self,
        class_uid: str,
        instance_uid: str,
        msg_id: int = 1,
        meta_uid: str | None = None,
    ) -> Dataset:
        """Ask the peer to delete a SOP instance (PS3.7 10.1.6).

        Parameters
        ----------
        class_uid : str
            The Requested SOP Class UID.
        instance_uid : str
            The Requested SOP Instance UID.
        msg_id : int
            The request's Message ID.
        meta_uid : str, optional
            The Meta SOP Class whose presentation context to use.

        Returns
        -------
        pydicom.dataset.Dataset
            The status.
        """
        from dicomnet.services.normalized import send_n_delete  # noqa: PLC0415

        return send_n_delete(self, class_uid, instance_uid, msg_id, meta_uid)

    def send_n_event_report(  # noqa: PLR0913, PLR0917  (pynetdicom's signature)
        self,
        dataset: Dataset | None,
        event_type: int,
        class_uid: str,
        instance_uid: str,
        msg_id: int = 1,
        meta_uid: str | None = None,
    ) -> tuple[Dataset, Dataset | None]:
        """Report an event of a SOP instance to the peer (PS3.7 10.1.1).

        Usually sent by the SOP class's SCP (Storage Commitment results,
        UPS and MPPS notifications...), so any accepted context of the SOP
        class will do, whatever the negotiated roles.

        Parameters
        ----------
        dataset : pydicom.dataset.Dataset or None
            The Event Information.
        event_type : int
            The Event Type ID.
        class_uid : str
            The Affected SOP Class UID.
        instance_uid : str
            The Affected SOP Instance UID.
        msg_id : int
            The request's Message ID.
        meta_uid : str, optional
            The Meta SOP Class whose presentation context to use.

        Returns
        -------
        tuple of (pydicom.dataset.Dataset, pydicom.dataset.Dataset or None)
            The status and the Event Reply.
        """
        from dicomnet.services.normalized import send_n_event_report  # noqa: PLC0415

        return send_n_event_report(
            self, dataset, event_type, class_uid, instance_uid, msg_id, meta_uid
        )

    def send_n_get(
        self,
        identifier_list: Sequence[BaseTag | int | str | tuple[int, int]] | None,
        class_uid: str,
        instance_uid: str,
        msg_id: int = 1,
        meta_uid: str | None = None,
    ) -> tuple[Dataset, Dataset | None]:
        """Ask the peer for attribute values of a SOP instance (PS3.7 10.1.2).

        Parameters
        ----------
        identifier_list : list of pydicom.tag.BaseTag, or None
            The Attribute Identifier List; empty or ``None`` asks for all.
        class_uid : str
            The Requested SOP Class UID.
        instance_uid : str
            The Requested SOP Instance UID.
        msg_id : int
            The request's Message ID.
        meta_uid : str, optional
            The Meta SOP Class whose presentation context to use.

        Returns
        -------
        tuple of (pydicom.dataset.Dataset, pydicom.dataset.Dataset or None)
            The status and the Attribute List.
        """
        from dicomnet.services.normalized import send_n_get  # noqa: PLC0415

        return send_n_get(
            self, identifier_list, class_uid, instance_uid, msg_id, meta_uid
        )

    def send_n_set(
        self,
        dataset: Dataset,
        class_uid: str,
        instance_uid: str,
        msg_id: int = 1,
        meta_uid: str | None = None,
    ) -> tuple[Dataset, Dataset | None]:
        """Ask the peer to modify attribute values of a SOP instance (PS3.7 10.1.3).

        Parameters
        ----------
        dataset : pydicom.dataset.Dataset
            The Modification List.
        class_uid : str
            The Requested SOP Class UID.
        instance_uid : str
            The Requested SOP Instance UID.
        msg_id : int
            The request's Message ID.
        meta_uid : str, optional
            The Meta SOP Class whose presentation context to use.

        Returns
        -------
        tuple of (pydicom.dataset.Dataset, pydicom.dataset.Dataset or None)
            The status and the Attribute List of the response.
        """
        from dicomnet.services.normalized import send_n_set  # noqa: PLC0415

        return send_n_set(self, dataset, class_uid, instance_uid, msg_id, meta_uid)
