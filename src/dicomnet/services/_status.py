"""A handler's returned status, checked and copied into the response.

PS3.7 Annex C: a status is a code, plus optional elements the response may
carry (Error Comment, Offending Element...). Handlers return an ``int`` or a
``Dataset`` with ``Status`` and such elements (pynetdicom's contract).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Final

from pydicom.dataset import Dataset

if TYPE_CHECKING:
    from dicomnet.dimse.primitives import DimsePrimitive

__all__ = ["NOT_A_STATUS", "NO_STATUS_IN_DATASET", "apply_status"]

_LOGGER = logging.getLogger(__name__)

#: pynetdicom's codes for a handler's unusable return value (in the
#: "Failure: unable to process" range C000-CFFF that PS3.4 leaves to
#: implementations).
NO_STATUS_IN_DATASET: Final = 0xC001
NOT_A_STATUS: Final = 0xC002


def apply_status(response: DimsePrimitive, result: object, event_name: str) -> None:
    """Copy a handler's status (an int, or a Dataset with Status) into ``response``.

    Parameters
    ----------
    response : DimsePrimitive
        The response being built.
    result : object
        What the handler returned.
    event_name : str
        For log messages (``"EVT_C_STORE"``).
    """
    if isinstance(result, Dataset):
        if "Status" not in result:
            _LOGGER.error("The %s handler's status Dataset has no 'Status'", event_name)
            response.Status = NO_STATUS_IN_DATASET
            return
        response.Status = int(result.Status)
        allowed = type(response).STATUS_OPTIONAL_KEYWORDS
        for elem in result:
            keyword = elem.keyword
            if keyword == "Status":
                continue
            if keyword not in allowed:
                _LOGGER.warning(
                    "The %s handler's status has '%s', which the response "
                    "cannot carry: ignored",
                    event_name,
                    keyword,
                )
                continue
            try:
                setattr(response, keyword, elem.value)
            except (TypeError, ValueError) as exc:
                _LOGGER.warning("Status element '%s' ignored: %s", keyword, exc)
        return
    if isinstance(result, int) and not isinstance(result, bool):
        response.Status = result
        return
    _LOGGER.error("The %s handler returned %r, not a status", event_name, result)
    response.Status = NOT_A_STATUS
