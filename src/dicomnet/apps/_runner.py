"""The outer shell every application shares: parse, log, run, report, exit.

Client tools run once and exit with the status their run gives; servers run
until SIGINT or SIGTERM and exit 0. Either way a startup failure
(:class:`~dicomnet.apps._common.AppError`) is one logged line and its status.

A server runs in one process (:func:`serve_until_interrupted`), or with
``--processes N`` in N pre-forked processes sharing the listening socket
(:func:`serve_in_processes`, on ``AE.start_server(..., processes=N)``).
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any, Protocol

from dicomnet.apps._common import (
    EXIT_CONNECTION,
    EXIT_OK,
    EXIT_USAGE,
    AppError,
    app_logging,
    positive_count,
    run_parser,
    sigterm_interrupts,
)

if TYPE_CHECKING:
    import argparse
    import logging
    import ssl
    from collections.abc import Callable, Sequence

    from dicomnet import AE

__all__ = [
    "Stoppable",
    "add_processes_option",
    "cannot_listen",
    "run_app",
    "serve_in_processes",
    "serve_until_interrupted",
]


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


def add_processes_option(
    group: argparse._ArgumentGroup,
    *,
    fork: bool = False,
) -> None:
    """Add ``--processes N`` (and, with ``fork``, DCMTK's ``--fork``).

    Parameters
    ----------
    group : argparse._ArgumentGroup
        The parser's group of network options.
    fork : bool, optional
        Also add ``--fork``, ``--processes`` with one process per CPU core.
    """
    group.add_argument(
        "--processes",
        type=positive_count,
        default=1,
        metavar="N",
        help="serve from N processes sharing the listening port, forked at "
        "start (POSIX; default: 1); the association limit is per process",
    )
    if fork:
        cores = os.cpu_count() or 1
        group.add_argument(
            "--fork",
            dest="processes",
            action="store_const",
            const=cores,
            help=f"--processes {cores}, one process per CPU core. DCMTK's "
            "storescp --fork forks a child per association; this forks the "
            "processes once, at start, and each serves many associations",
        )


def cannot_listen(bind: str, port: int, exc: OSError) -> AppError:
    """Return the error for an address that cannot be listened on (status 5).

    Parameters
    ----------
    bind : str
        The address asked for (``""``: every interface).
    port : int
        The port asked for.
    exc : OSError
        What binding or listening raised.

    Returns
    -------
    AppError
        ``Cannot listen on ADDRESS port PORT: reason``.
    """
    where = bind or "every interface"
    return AppError(
        f"Cannot listen on {where} port {port}: {exc.strerror or exc}",
        EXIT_CONNECTION,
    )


def serve_in_processes(
    ae: AE,
    options: argparse.Namespace,
    *,
    ssl_context: ssl.SSLContext | None,
    evt_handlers: list[tuple[Any, Any]],
    logger: logging.Logger,
) -> int:
    """Serve from ``options.processes`` processes until SIGINT or SIGTERM; return 0.

    ``AE.start_server(..., processes=N)`` binds ``(options.bind,
    options.port)``, forks N - 1 workers that inherit the AE and handlers,
    logs the address and the process IDs at INFO, and serves from every
    process. SIGINT or SIGTERM to this process (or Ctrl-C to the process
    group) stops them all; this returns once every worker has exited. It
    must run on the main thread before any other thread starts: a fork
    copies only the calling thread.

    Parameters
    ----------
    ae : AE
        The configured AE.
    options : argparse.Namespace
        ``bind``, ``port`` and ``processes`` (at least 2).
    ssl_context : ssl.SSLContext or None
        TLS for every accepted connection.
    evt_handlers : list of tuple
        The ``(event, handler)`` pairs to bind.
    logger : logging.Logger
        Where the end is logged, at INFO.

    Returns
    -------
    int
        0, once stopped.

    Raises
    ------
    AppError
        This system cannot fork (status 2), or the address cannot be
        listened on (status 5).
    """
    if not hasattr(os, "fork"):
        raise AppError("--processes above 1 needs os.fork() (POSIX)", EXIT_USAGE)
    try:
        ae.start_server(
            (options.bind, options.port),
            block=True,
            ssl_context=ssl_context,
            evt_handlers=evt_handlers,
            processes=options.processes,
        )
    except OSError as exc:
        raise cannot_listen(options.bind, options.port, exc) from exc
    finally:
        ae.shutdown()
    logger.info("Stopped: every process has exited")
    return EXIT_OK
