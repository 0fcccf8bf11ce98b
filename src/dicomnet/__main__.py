"""The ``dicomnet`` command: ``dicomnet <app> [options]`` runs an application.

``dicomnet echoscp 11112`` answers C-ECHO requests on port 11112 until
Ctrl-C; ``dicomnet echoscu 127.0.0.1 11112`` sends one. ``dicomnet --help``
lists the applications, ``dicomnet <app> --help`` their options.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import TYPE_CHECKING

from dicomnet import __version__
from dicomnet.apps import APPS

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

_USAGE_ERROR = 2


def _parser() -> argparse.ArgumentParser:
    apps = "\n".join(f"  {name:<10}{summary}" for name, (_, summary) in APPS.items())
    parser = argparse.ArgumentParser(
        prog="dicomnet",
        usage="dicomnet [--version] [-h] <app> [options]",
        description="DICOM networking tools.",
        epilog=f"applications:\n{apps}\n\n'dicomnet <app> --help' lists its options.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--version", action="version", version=f"dicomnet {__version__}"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``dicomnet`` command and return its exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after ``dicomnet`` (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        The application's exit status; 2 for an unknown application.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in APPS:
        module = importlib.import_module(APPS[args[0]][0])
        app_main: Callable[[list[str]], int] = module.main
        return app_main(args[1:])
    parser = _parser()
    if args and not args[0].startswith("-"):
        parser.print_usage(sys.stderr)
        sys.stderr.write(f"dicomnet: error: unknown application {args[0]!r}\n")
        return _USAGE_ERROR
    try:
        parser.parse_args(args)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else _USAGE_ERROR
    parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
