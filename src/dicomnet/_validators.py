"""Validators for the AE and UI value representations.

Each validator takes any value and returns ``(ok, reason)``: ``ok`` is whether
the value may be used, ``reason`` says why not (empty when ``ok``). They are
looked up through :data:`dicomnet._config.VALIDATORS` wherever AE titles and
UIDs are checked, so users can replace them.
"""

from __future__ import annotations

import re
import sys
import warnings
from typing import TYPE_CHECKING, Final

from pydicom import config
from pydicom.uid import UID

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import ModuleType

__all__ = [
    "check_ae_title",
    "check_uid",
    "is_conformant_uid",
    "validate_ae",
    "validate_ui",
]

#: PS3.5 Table 6.2-1 (AE): at most 16 characters.
_AE_MAX_LENGTH: Final = 16
#: PS3.5 9.1: a UID is at most 64 characters.
_UI_MAX_LENGTH: Final = 64
#: PS3.5 9.1: numeric components separated by ".", none with a leading zero
#: unless the component is the single digit "0".
_UID_PATTERN: Final = re.compile(r"(?:0|[1-9][0-9]*)(?:\.(?:0|[1-9][0-9]*))*")
#: ASCII DEL, a control character like those below 0x20.
_DEL: Final = 0x7F


def _settings() -> ModuleType:
    """Return :mod:`dicomnet._config`, read at each check (users change it).

    Not imported at the top: ``_config`` imports this module to fill
    ``VALIDATORS``. A ``sys.modules`` lookup rather than an import statement
    in each function: every received UID passes here, and an import statement
    of a loaded module costs ten times as much.
    """
    module = sys.modules.get("dicomnet._config")
    if module is not None:
        return module
    from dicomnet import _config  # noqa: PLC0415  (see above)

    return _config


def is_conformant_uid(value: str) -> bool:
    """Return whether *value* is a UID that conforms to PS3.5 9.1.

    Parameters
    ----------
    value : str
        The UID to check.

    Returns
    -------
    bool
        ``True`` for 1 to 64 characters of dot-separated numeric components
        without leading zeros.
    """
    # A regex rather than pydicom's UID.is_valid: building a UID from a bad
    # value makes pydicom warn, and a validator must not.
    return len(value) <= _UI_MAX_LENGTH and _UID_PATTERN.fullmatch(value) is not None


def validate_ae(value: object) -> tuple[bool, str]:
    """Validate an Application Entity title (PS3.5 Table 6.2-1, VR AE).

    Empty and all-space values pass here: whether they are acceptable depends
    on where the title is used (an AE's own title may not be blank).

    Parameters
    ----------
    value : object
        The candidate AE title.

    Returns
    -------
    tuple of (bool, str)
        Whether *value* is valid, and why not.
    """
    if not isinstance(value, str):
        return False, "must be str"
    if len(value) > _AE_MAX_LENGTH:
        return False, "must not exceed 16 characters"
    # PS3.5 6.1.2: the AE VR uses the Default Character Repertoire (ASCII).
    if not value.isascii():
        return False, "must only contain ASCII characters"
    # PS3.5 Table 6.2-1: no backslash (the value delimiter) and no control
    # characters.
    if "\\" in value or any(ord(char) < 0x20 or ord(char) == _DEL for char in value):
        return False, "must not contain control characters or backslashes"
    return True, ""


def validate_ui(value: object) -> tuple[bool, str]:
    """Validate a Unique Identifier (PS3.5 9.1, VR UI).

    With :data:`dicomnet._config.ENFORCE_UID_CONFORMANCE` (read at each call)
    the UID must conform fully to PS3.5 9.1; otherwise it need only be 1 to 64
    characters, as devices in the field send UIDs with odd components.

    Parameters
    ----------
    value : object
        The candidate UID (``str`` or :class:`pydicom.uid.UID`).

    Returns
    -------
    tuple of (bool, str)
        Whether *value* is valid, and why not.
    """
    _config = _settings()
    if not isinstance(value, str):
        return False, "must be str or pydicom.uid.UID"
    if _config.ENFORCE_UID_CONFORMANCE:
        if is_conformant_uid(value):
            return True, ""
        return False, "UID is non-conformant"
    if not value:
        return False, "must not be an empty str"
    if len(value) > _UI_MAX_LENGTH:
        return False, "must not exceed 64 characters"
    return True, ""


def _text(value: object, name: str) -> object:
    """Decode a ``bytes`` value with a DeprecationWarning; pass others through."""
    if isinstance(value, bytes):
        warnings.warn(
            f"The use of bytes with '{name}' is deprecated, use an ASCII str instead",
            DeprecationWarning,
            stacklevel=4,
        )
        return value.decode("ascii", errors="replace")
    return value


def check_ae_title(value: object, name: str = "ae_title") -> str:
    """Return *value* as a usable AE title, or raise.

    ``bytes`` are decoded (deprecated, with a :class:`DeprecationWarning`).
    The value must pass ``_config.VALIDATORS["AE"]`` and, being significant
    in PS3.8 negotiation, may not be empty or all spaces (PS3.5 Table 6.2-1).
    It is returned as given, not padded or stripped.

    Parameters
    ----------
    value : object
        The candidate AE title.
    name : str
        The parameter's name, for messages.

    Returns
    -------
    str

    Raises
    ------
    TypeError
        *value* is not ``str`` (or ``bytes``).
    ValueError
        *value* fails validation, is empty or is all spaces.
    """
    _config = _settings()

    value = _text(value, name)
    if not isinstance(value, str):
        raise TypeError(f"'{name}' must be str, not '{type(value).__name__}'")
    ok, reason = _config.VALIDATORS["AE"](value)
    if not ok:
        raise ValueError(f"Invalid '{name}' value {value!r} - {reason}")
    if not value:
        raise ValueError(f"Invalid '{name}' value - must not be an empty str")
    if not value.strip(" "):
        raise ValueError(
            f"Invalid '{name}' value - must not consist entirely of spaces"
        )
    return value


# Values check_uid() has accepted, by (value, conformant, enforce, validator);
# UIDs are immutable str subclasses, so one object can be handed out again.
_CHECKED_UIDS: dict[
    tuple[str, bool, bool, Callable[[object], tuple[bool, str]]], UID
] = {}
_CHECKED_UIDS_MAX: Final = 4096


def check_uid(value: object, name: str, *, conformant: bool = False) -> UID:
    """Return *value* as a :class:`~pydicom.uid.UID`, or raise.

    Parameters
    ----------
    value : object
        The candidate UID: ``str``, ``UID`` or ``bytes`` (ASCII).
    name : str
        The parameter's name, for messages.
    conformant : bool
        Also require conformance to PS3.5 9.1, whatever
        ``_config.ENFORCE_UID_CONFORMANCE`` says.

    Returns
    -------
    pydicom.uid.UID

    Raises
    ------
    TypeError
        *value* is not ``str``, ``UID`` or ``bytes``.
    ValueError
        *value* fails ``_config.VALIDATORS["UI"]`` or, with *conformant*,
        PS3.5 9.1.
    """
    _config = _settings()

    if isinstance(value, bytes):
        # PS3.5 9.1: a UID may be padded to even length with a NUL.
        value = value.decode("ascii", errors="replace").rstrip("\0 ")
    if not isinstance(value, str):
        raise TypeError(
            f"'{name}' must be str, bytes or UID, not '{type(value).__name__}'"
        )
    validator = _config.VALIDATORS["UI"]
    key = (value, conformant, _config.ENFORCE_UID_CONFORMANCE, validator)
    checked = _CHECKED_UIDS.get(key)
    if checked is not None:
        # The same value under the same rules: a DIMSE exchange sets the same
        # SOP Class and Instance UIDs several times (request, response).
        return checked
    ok, reason = validator(value)
    if ok and conformant and not is_conformant_uid(value):
        ok, reason = False, "UID is non-conformant"
    if not ok:
        raise ValueError(f"Invalid '{name}' value {value!r} - {reason}")
    # IGNORE: the value has been validated by the rules above; pydicom's own
    # check would warn again about a value the user chose to allow.
    checked = UID(value, validation_mode=config.IGNORE)
    if len(_CHECKED_UIDS) >= _CHECKED_UIDS_MAX:
        _CHECKED_UIDS.clear()  # bounded; a miss only costs a check
    _CHECKED_UIDS[key] = checked
    return checked
