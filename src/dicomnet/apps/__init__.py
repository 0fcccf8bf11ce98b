"""Command-line tools built on dicomnet's public API (``dicomnet <app>``)."""

from __future__ import annotations

#: ``dicomnet <name>`` runs ``main(argv)`` of the module, with its summary.
APPS: dict[str, tuple[str, str]] = {
    "echoscu": ("dicomnet.apps.echoscu", "Verification SCU: send C-ECHO requests"),
    "echoscp": ("dicomnet.apps.echoscp", "Verification SCP: answer C-ECHO requests"),
}

__all__ = ["APPS"]
