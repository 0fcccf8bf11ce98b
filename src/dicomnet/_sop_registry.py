"""The UID -> service class registry behind :mod:`dicomnet.sop_class`.

:mod:`dicomnet.sop_class` is generated and holds only the table of SOP
classes; the class, the look-ups and :func:`register_uid` are written here by
hand, so that the generated file carries data and no logic.
"""

from __future__ import annotations

import importlib
import keyword as _keyword
from typing import Final

from pydicom import config
from pydicom.uid import UID

from dicomnet.service_class import C_FIND, C_GET, C_MOVE, ServiceClass

__all__ = [
    "SOPClass",
    "register_uid",
    "uid_to_dimse_msg_type",
    "uid_to_service_class",
    "uid_to_sop_class",
]

# PS3.4 C.4: the messages that tell a Q/R-style SOP class's role apart.
_RETRIEVE_MESSAGES: Final = frozenset({C_FIND, C_GET, C_MOVE})

_SERVICE_BY_UID: dict[str, type[ServiceClass]] = {}
_MSG_TYPE_BY_UID: dict[str, str] = {}
_SOP_BY_UID: dict[str, SOPClass] = {}


class SOPClass(UID):
    """A SOP class UID that knows its service class.

    A :class:`pydicom.uid.UID` (so a ``str``), usable wherever a UID is.
    """

    @property
    def service_class(self) -> type[ServiceClass]:
        """Return the service class the SOP class belongs to (PS3.4).

        Returns
        -------
        type
            A :class:`~dicomnet.service_class.ServiceClass` subclass, or
            ``ServiceClass`` itself for an unregistered UID.
        """
        return uid_to_service_class(self)


def _add(
    uid: str,
    keyword: str,
    service_class: type[ServiceClass],
    dimse_msg_type: str = "",
) -> SOPClass:
    """Register a SOP class without validation (the generated table's path)."""
    del keyword  # the caller binds the module attribute itself
    sop = SOPClass(uid)
    _SERVICE_BY_UID[uid] = service_class
    _SOP_BY_UID[uid] = sop
    if dimse_msg_type:
        _MSG_TYPE_BY_UID[uid] = dimse_msg_type
    return sop


def uid_to_service_class(uid: str) -> type[ServiceClass]:
    """Return the service class of a SOP class UID.

    Parameters
    ----------
    uid : str
        A SOP class UID.

    Returns
    -------
    type
        The registered service class, or the base ``ServiceClass`` for an
        unknown UID.
    """
    return _SERVICE_BY_UID.get(str(uid), ServiceClass)


def uid_to_sop_class(uid: str) -> SOPClass:
    """Return the :class:`SOPClass` for a UID.

    Parameters
    ----------
    uid : str
        A SOP class UID.

    Returns
    -------
    SOPClass
        The registered instance, or a new one whose service class is the base
        ``ServiceClass`` for an unknown UID.
    """
    found = _SOP_BY_UID.get(str(uid))
    return found if found is not None else SOPClass(uid)


def uid_to_dimse_msg_type(uid: str) -> str:
    """Return the DIMSE-C message a Q/R-style SOP class is used with.

    Parameters
    ----------
    uid : str
        A SOP class UID.

    Returns
    -------
    str
        ``"C-FIND"``, ``"C-GET"`` or ``"C-MOVE"`` for the information models
        of PS3.4 Annexes C, K, Q, U, V, X, BB, HH, II and KK; ``""`` otherwise.
    """
    return _MSG_TYPE_BY_UID.get(str(uid), "")


def _check_registration(
    uid: object, keyword: object, service_class: object, dimse_msg_type: object
) -> None:
    if not isinstance(service_class, type) or not issubclass(
        service_class, ServiceClass
    ):
        raise TypeError(
            "'service_class' must be a ServiceClass subclass such as "
            f"StorageServiceClass, not {service_class!r}"
        )
    # IGNORE: pydicom would warn on the invalid value we are about to reject.
    if not isinstance(uid, str) or not UID(uid, config.IGNORE).is_valid:
        raise ValueError(f"{uid!r} is not a valid UID")
    if (
        not isinstance(keyword, str)
        or not keyword.isidentifier()
        or _keyword.iskeyword(keyword)
    ):
        raise ValueError(
            f"The keyword {keyword!r} is not a valid Python identifier or is a "
            "Python keyword"
        )
    served = _RETRIEVE_MESSAGES.intersection(service_class.dimse_messages())
    # A class serving several of C-FIND/C-GET/C-MOVE (Q/R and its kin) cannot
    # tell which one a new model is for without being told.
    if len(served) > 1 and dimse_msg_type not in served:
        raise ValueError(
            f"'dimse_msg_type' must be one of {sorted(served)} when registering "
            f"a UID with {service_class.__name__}"
        )
    if len(served) <= 1 and dimse_msg_type not in ("", *served):
        raise ValueError(
            f"{service_class.__name__} does not serve {dimse_msg_type!r} messages"
        )


def register_uid(
    uid: str,
    keyword: str,
    service_class: type[ServiceClass],
    dimse_msg_type: str = "",
) -> None:
    """Register a private or new SOP class UID.

    Adds ``keyword`` as a :class:`SOPClass` attribute of
    :mod:`dicomnet.sop_class` and maps `uid` to `service_class`, so that an SCP
    handles the SOP class with that service.

    Parameters
    ----------
    uid : str
        The SOP class UID.
    keyword : str
        The attribute name, a Python identifier.
    service_class : type
        A :class:`~dicomnet.service_class.ServiceClass` subclass.
    dimse_msg_type : str, optional
        For Query/Retrieve-style service classes, which of ``"C-FIND"``,
        ``"C-GET"`` or ``"C-MOVE"`` the SOP class is used with.

    Raises
    ------
    TypeError
        If `service_class` is not a ``ServiceClass`` subclass.
    ValueError
        If `uid` or `keyword` is invalid, `dimse_msg_type` is missing or does
        not fit the service class, or `keyword` names a module attribute that
        is not a SOP class.
    """
    _check_registration(uid, keyword, service_class, dimse_msg_type)
    module = importlib.import_module("dicomnet.sop_class")
    existing = getattr(module, keyword, None)
    # Re-registering a SOP class keyword is allowed; shadowing a function or
    # constant of the module would break it.
    if existing is not None and not isinstance(existing, SOPClass):
        raise ValueError(f"{keyword!r} is already used by dicomnet.sop_class")
    setattr(module, keyword, _add(uid, keyword, service_class, dimse_msg_type))
