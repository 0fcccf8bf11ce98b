"""The ``dicomnet`` command line: ``dicomnet --version`` for now."""

from __future__ import annotations

import argparse
import sys

from dicomnet import __version__


def main(argv: list[str] | None = None) -> int:
    """Run the ``dicomnet`` command and return its exit status."""
    parser = argparse.ArgumentParser(
        prog="dicomnet",
        description="DICOM networking tools (the servers and SCUs arrive with #4, #5).",
    )
    parser.add_argument(
        "--version", action="version", version=f"dicomnet {__version__}"
    )
    parser.parse_args(argv)
    parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
