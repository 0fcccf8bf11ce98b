"""Command-line tools built on dicomnet's public API (``dicomnet <app>``)."""

from __future__ import annotations

#: ``dicomnet <name>`` runs ``main(argv)`` of the module, with its summary.
APPS: dict[str, tuple[str, str]] = {
    "echoscu": ("dicomnet.apps.echoscu", "Verification SCU: send C-ECHO requests"),
    "echoscp": ("dicomnet.apps.echoscp", "Verification SCP: answer C-ECHO requests"),
    "storescu": ("dicomnet.apps.storescu", "Storage SCU: send DICOM files"),
    "storescp": ("dicomnet.apps.storescp", "Storage SCP: receive DICOM files"),
    "findscu": ("dicomnet.apps.findscu", "Query SCU: send C-FIND requests"),
    "getscu": ("dicomnet.apps.getscu", "Retrieve SCU: C-GET instances into files"),
    "movescu": ("dicomnet.apps.movescu", "Retrieve SCU: send C-MOVE requests"),
    "qrscp": ("dicomnet.apps.qrscp", "Archive: Storage and Query/Retrieve SCP"),
}

__all__ = ["APPS"]
