"""The DIMSE-C service methods of :class:`~dicomnet.association.Association`.

``send_c_echo``, ``send_c_store``, ``send_c_find``, ``send_c_get``,
``send_c_move`` and ``send_c_cancel`` (PS3.7 9.1), each a thin delegation to
its service module under :mod:`dicomnet.services`, imported when first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator
    from os import PathLike

    from pydicom.dataset import Dataset

__all__ = ["CompositeServiceUser"]


class CompositeServiceUser:
    """Mixin of the DIMSE-C request methods."""

    def send_c_echo(self, msg_id: int = 1) -> Dataset:
        """Send a C-ECHO request and return the response status (PS3.7 9.1.5).

        Returns an empty ``Dataset`` when no valid response came (timeout,
        abort).
        """
        from dicomnet.services.verification import send_c_echo  # noqa: PLC0415

        return send_c_echo(self, msg_id)

    def send_c_store(
        self,
        dataset: Dataset | str | PathLike[str],
        msg_id: int = 1,
        priority: int = 2,
        originator_aet: str | None = None,
        originator_id: int | None = None,
    ) -> Dataset:
        """Send a C-STORE request and return the response status (PS3.7 9.1.1).

        Parameters
        ----------
        dataset : pydicom.dataset.Dataset, str or os.PathLike
            The instance, or the path of a Part 10 file. A file whose transfer
            syntax was accepted is sent from disk as stored, without being
            decoded; otherwise it is read and re-encoded as a data set is.
        msg_id : int
            The request's Message ID.
        priority : int
            0 medium, 1 high, 2 low.
        originator_aet, originator_id : str or int, optional
            Move Originator AE title and Message ID, for the C-STORE
            sub-operations of a C-MOVE.

        Returns
        -------
        pydicom.dataset.Dataset
            Status and the optional status elements of the response; empty
            when no valid response came.
        """
        from dicomnet.services.storage import send_c_store  # noqa: PLC0415

        return send_c_store(
            self, dataset, msg_id, priority, originator_aet, originator_id
        )

    # -- Query/Retrieve (services/query_retrieve.py) ----------------------------

    def send_c_find(
        self,
        dataset: Dataset,
        query_model: str,
        msg_id: int = 1,
        priority: int = 2,
    ) -> Iterator[tuple[Dataset, Dataset | None]]:
        """Send a C-FIND request; iterate for its responses (PS3.7 9.1.2).

        The request is checked and sent now; the returned generator yields
        one ``(status, identifier)`` per response as they arrive.

        Parameters
        ----------
        dataset : pydicom.dataset.Dataset
            The Identifier: the query keys.
        query_model : str
            The SOP class UID of the information model, e.g.
            ``PatientRootQueryRetrieveInformationModelFind``.
        msg_id : int
            The request's Message ID.
        priority : int
            0 medium, 1 high, 2 low.

        Returns
        -------
        generator of (pydicom.dataset.Dataset, pydicom.dataset.Dataset or None)
            The status, and for Pending responses the match (``None`` if it
            could not be decoded); an empty status once if no valid
            response came.

        Raises
        ------
        RuntimeError
            The association is not established.
        ValueError
            No accepted context for ``query_model`` as SCU, or ``dataset``
            cannot be encoded.
        """
        from dicomnet.services.query_retrieve import send_c_find  # noqa: PLC0415

        return send_c_find(self, dataset, query_model, msg_id, priority)

    def send_c_get(
        self,
        dataset: Dataset,
        query_model: str,
        msg_id: int = 1,
        priority: int = 2,
    ) -> Iterator[tuple[Dataset, Dataset | None]]:
        """Send a C-GET request; iterate for its responses (PS3.7 9.1.3).

        The instances come back as C-STORE requests on this association,
        answered by its ``evt.EVT_C_STORE`` handler: propose the SCP role for
        their storage SOP classes (``build_role(uid, scp_role=True)``).

        Parameters
        ----------
        dataset : pydicom.dataset.Dataset
            The Identifier: the keys of the instances to retrieve.
        query_model : str
            The SOP class UID of the information model (``...Get``).
        msg_id : int
            The request's Message ID.
        priority : int
            0 medium, 1 high, 2 low.

        Returns
        -------
        generator of (pydicom.dataset.Dataset, pydicom.dataset.Dataset or None)
            The status with the sub-operation counts; the identifier is the
            Failed SOP Instance UID List of a final Cancel, Warning or
            Failure response that has one, else ``None``.

        Raises
        ------
        RuntimeError
            The association is not established.
        ValueError
            No accepted context for ``query_model`` as SCU, or ``dataset``
            cannot be encoded.
        """
        from dicomnet.services.query_retrieve import send_c_get  # noqa: PLC0415

        return send_c_get(self, dataset, query_model, msg_id, priority)

    def send_c_move(
        self,
        dataset: Dataset,
        move_aet: str,
        query_model: str,
        msg_id: int = 1,
        priority: int = 2,
    ) -> Iterator[tuple[Dataset, Dataset | None]]:
        """Send a C-MOVE request; iterate for its responses (PS3.7 9.1.4).

        Parameters
        ----------
        dataset : pydicom.dataset.Dataset
            The Identifier: the keys of the instances to move.
        move_aet : str
            The Move Destination: the AE title of the storage SCP.
        query_model : str
            The SOP class UID of the information model (``...Move``).
        msg_id : int
            The request's Message ID.
        priority : int
            0 medium, 1 high, 2 low.

        Returns
        -------
        generator of (pydicom.dataset.Dataset, pydicom.dataset.Dataset or None)
            As :meth:`send_c_get`.

        Raises
        ------
        RuntimeError
            The association is not established.
        ValueError
            ``move_aet`` is not a valid AE title, no accepted context for
            ``query_model`` as SCU, or ``dataset`` cannot be encoded.
        """
        from dicomnet.services.query_retrieve import send_c_move  # noqa: PLC0415

        return send_c_move(self, dataset, move_aet, query_model, msg_id, priority)

    def send_c_cancel(
        self,
        msg_id: int,
        context_id: int | None = None,
        query_model: str | None = None,
    ) -> None:
        """Ask the peer to cancel a C-FIND, C-GET or C-MOVE (PS3.7 9.3.2.3).

        Callable while another thread iterates the request's responses.

        Parameters
        ----------
        msg_id : int
            The Message ID of the request to cancel.
        context_id : int, optional
            The presentation context the request went on.
        query_model : str, optional
            The request's SOP class; preferred over ``context_id``.

        Raises
        ------
        RuntimeError
            The association is not established.
        ValueError
            Neither ``query_model`` nor ``context_id`` names an accepted
            context.
        """
        from dicomnet.services.query_retrieve import send_c_cancel  # noqa: PLC0415

        send_c_cancel(self, msg_id, context_id, query_model)
