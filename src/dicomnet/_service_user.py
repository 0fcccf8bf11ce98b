"""The two ends of an association, ``assoc.requestor`` and ``assoc.acceptor``."""

from __future__ import annotations

from typing import Any

__all__ = ["MODE_ACCEPTOR", "MODE_REQUESTOR", "ServiceUser"]

MODE_REQUESTOR = "requestor"
MODE_ACCEPTOR = "acceptor"


class ServiceUser:
    """One end of an association: the requestor or the acceptor (pynetdicom 3.3)."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.ae_title = ""
        self.address = ""
        self.port = 0
        self.maximum_length: int = 16382
        self.implementation_class_uid: str | None = None
        self.implementation_version_name: str | None = None
        self.user_identity: Any = None
        self.asynchronous_operations: tuple[int, int] = (1, 1)
        self.role_selection: dict[str, Any] = {}
        self.sop_class_extended: dict[str, bytes] = {}
        self.primitive: Any = None

    @property
    def is_requestor(self) -> bool:
        """Whether this end asked for the association."""
        return self.mode == MODE_REQUESTOR

    @property
    def is_acceptor(self) -> bool:
        """Whether this end accepted (or refused) the association."""
        return self.mode == MODE_ACCEPTOR

    @property
    def info(self) -> dict[str, Any]:
        """The ``local``/``remote`` summary pynetdicom users read."""
        return {
            "ae_title": self.ae_title,
            "address": self.address,
            "port": self.port,
            "mode": self.mode,
            "pdv_size": self.maximum_length,
        }
