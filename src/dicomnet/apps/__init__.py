"""Command-line tools built on dicomnet's public API (``dicomnet <app>``)."""

from __future__ import annotations

#: ``dicomnet <name>`` runs ``main(argv)`` of the module, with its summary.
APPS: dict[str, tuple[str, str]] = {
    "echoscu": ("dicomnet.apps.echoscu", "Verification SCU: send C-ECHO requests"),
    "echoscp": ("dicomnet.apps.echoscp", "Verification SCP: answer C-ECHO requests"),
    "storescu": ("dicomnet.apps.storescu", "Storage SCU: send DICOM files"),
    "storescp": ("dicomnet.apps.storescp", "Storage SCP: receive DICOM files"),
}

__all__ = ["APPS"]
