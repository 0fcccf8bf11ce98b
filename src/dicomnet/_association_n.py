"""The DIMSE-N service methods of :class:`~dicomnet.association.Association`.

``send_n_action``, ``send_n_create``, ``send_n_delete``,
``send_n_event_report``, ``send_n_get`` and ``send_n_set`` (PS3.7 10.1), each
a thin delegation to its service module under :mod:`dicomnet.services`.
"""

from __future__ import annotations

__all__ = ["NormalizedServiceUser"]


class NormalizedServiceUser:
    """Mixin of the DIMSE-N request methods (issue #6)."""
