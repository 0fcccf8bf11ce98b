"""Module-level options users assign, as in pynetdicom's ``_config``.

Every option is read where it is used, never copied at import time, so that
``dicomnet._config.X = value`` after ``import dicomnet`` takes effect.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dicomnet._validators import validate_ae, validate_ui

if TYPE_CHECKING:
    from collections.abc import Callable

#: ``"standard"``: each new association binds the standard PDU and DIMSE
#: logging handlers (:mod:`dicomnet._logging`); ``"none"``: none are bound.
LOG_HANDLER_LEVEL: str = "standard"

#: ``True``: UIDs must conform fully to PS3.5 9.1; ``False``: they need only be
#: 1 to 64 characters long.
ENFORCE_UID_CONFORMANCE: bool = False

#: ``True``: AE title elements of DIMSE messages (Move Destination, Move
#: Originator Application Entity Title) are sent without trailing spaces;
#: ``False``: padded with spaces to 16 characters.
USE_SHORT_DIMSE_AET: bool = True

#: Log the identifiers of C-FIND, C-GET and C-MOVE responses.
LOG_RESPONSE_IDENTIFIERS: bool = True

#: Log the identifiers of C-FIND, C-GET and C-MOVE requests.
LOG_REQUEST_IDENTIFIERS: bool = True

#: ``send_c_store()`` given a file path streams the encoded data set from the
#: file instead of decoding it; the accepted transfer syntax must match the
#: file's.
STORE_SEND_CHUNKED_DATASET: bool = False

#: A C-STORE SCP writes each received data set to a temporary file in the DICOM
#: File Format and hands the handler its path (``event.dataset_path``).
STORE_RECV_CHUNKED_DATASET: bool = False

#: Copy the caller's :mod:`contextvars` context into the threads dicomnet
#: starts for associations and servers.
PASS_CONTEXTVARS: bool = False

#: Windows only: the timer resolution (ms) requested while an association
#: runs; ``None`` leaves it alone. Ignored elsewhere.
WINDOWS_TIMER_RESOLUTION: float | None = 1

#: Codecs tried in turn to decode AE titles, UIDs and the implementation version
#: name of received A-ASSOCIATE PDUs. Encoding is always ASCII.
CODECS: tuple[str, ...] = ("ascii",)

#: Validators of the AE and UI value representations: ``f(value) -> (ok,
#: reason)``. Replace an entry to relax or tighten validation everywhere.
VALIDATORS: dict[str, Callable[[object], tuple[bool, str]]] = {
    "AE": validate_ae,
    "UI": validate_ui,
}

#: An SCP accepts any proposed abstract syntax it does not know as a Storage
#: SOP class, with any transfer syntax it supports.
UNRESTRICTED_STORAGE_SERVICE: bool = False
