"""The outer shell every application shares: parse, log, run, report, exit.

Client tools run once and exit with the status their run gives; servers run
until SIGINT or SIGTERM and exit 0. Either way a startup failure
(:class:`~dicomnet.apps._common.AppError`) is one logged line and its status.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Protocol

from dicomnet.apps._common import (
    EXIT_OK,
    AppError,
    app_logging,
    run_parser,
    sigterm_interrupts,
)

if TYPE_CHECKING:
    import argparse
    import logging
    from collections.abc import Callable, Sequence

__all__ = ["Stoppable", "run_app", "serve_until_interrupted"]


class Stoppable(Protocol):
    """What a server application starts: anything it can shut down."""

    def shutdown(self) -> None:
        """Stop serving and end the associations."""


def run_app(
    build_parser: Callable[[], argparse.ArgumentParser],
    run: Callable[[argparse.Namespace], int],
    argv: Sequence[str] | None,
    *,
    logger: logging.Logger,
    default_level: str = "warn",
) -> int:
    """Parse ``argv``, set up logging, call ``run`` and return the exit status.

    Parameters
    ----------
    build_parser : callable
        Returns the application's parser.
    run : callable
        Runs the application with the parsed options; returns its status.
    argv : sequence of str or None
        The arguments after the command name (``None``: ``sys.argv[1:]``).
    logger : logging.Logger
        Where an :class:`AppError` is reported, as one line.
    default_level : str
        The log level without ``-v``/``-d``/``-q``.
    """
    parsed = run_parser(build_parser(), None if argv is None else list(argv))
    if isinstance(parsed, int):
        return parsed
    with app_logging(parsed, default=default_level):
        try:
            return run(parsed)
        except AppError as exc:
            logger.error("%s", exc)  # noqa: TRY400  (a one-line report, no traceback)
            return exc.status


def serve_until_interrupted(
    start: Callable[[], Stoppable], *, logger: logging.Logger
) -> int:
    """Start a server, serve until SIGINT or SIGTERM, shut it down, return 0.

    Raises
    ------
    AppError
        From ``start``: the server could not start.
    """
    with sigterm_interrupts():
        running: Stoppable | None = None
        try:
            running = start()
            # Nothing sets it: the wait ends with the KeyboardInterrupt that
            # SIGINT, or SIGTERM through sigterm_interrupts, raises here.
            threading.Event().wait()
        except KeyboardInterrupt:
            logger.info("Interrupted: shutting down")
        finally:
            if running is not None:
                running.shutdown()
    return EXIT_OK
