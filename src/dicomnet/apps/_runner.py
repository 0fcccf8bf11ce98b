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

from dicomnet import AE, evt
from dicomnet.apps._common import (
    EXIT_CONNECTION,
    EXIT_OK,
    EXIT_USAGE,
    AppError,
    ae_title,
    app_logging,
    describe_reject,
    positive_count,
    run_parser,
    sigterm_interrupts,
)
from dicomnet.ul.pdu import A_ASSOCIATE_RJ

if TYPE_CHECKING:
    import argparse
    import logging
    import ssl
    from collections.abc import Callable, Sequence

    from dicomnet.association import Association
    from dicomnet.transport import ThreadedAssociationServer

__all__ = [
    "AssociationLog",
    "Stoppable",
    "add_network_options",
    "add_processes_option",
    "cannot_listen",
    "listen",
    "log_start",
    "peer_name",
    "run_app",
    "serve_in_processes",
    "serve_until_interrupted",
    "server_ae",
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


def add_network_options(
    parser: argparse.ArgumentParser,
    *,
    aetitle: str,
    processes: bool = True,
    fork: bool = False,
    calling_aet: bool = False,
) -> argparse._ArgumentGroup:
    """Add a server's network options: ``-aet``, ``-b``, ``--max-associations``...

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The application's parser.
    aetitle : str
        Our default AE title (``STORESCP``).
    processes : bool, optional
        Add ``--processes`` (see :func:`add_processes_option`).
    fork : bool, optional
        Add ``--fork`` too.
    calling_aet : bool, optional
        Add ``--require-calling-aet AET`` (repeatable).

    Returns
    -------
    argparse._ArgumentGroup
        The group, for the application's own network options.
    """
    group = parser.add_argument_group("network options")
    group.add_argument(
        "-aet",
        "--aetitle",
        type=ae_title,
        default=aetitle,
        help=f"our AE title (default: {aetitle})",
    )
    group.add_argument(
        "-b",
        "-ba",
        "--bind",
        "--bind-address",
        dest="bind",
        default="",
        metavar="ADDRESS",
        help="listen on this address only (default: every IPv4 interface; "
        "'::' for every IPv6 one)",
    )
    group.add_argument(
        "--max-associations",
        type=positive_count,
        default=10,
        metavar="N",
        help="reject association requests beyond N at once (default: 10)",
    )
    if processes:
        add_processes_option(group, fork=fork)
    group.add_argument(
        "--require-called-aet",
        action="store_true",
        help="reject requests whose called AE title is not ours",
    )
    if calling_aet:
        group.add_argument(
            "--require-calling-aet",
            type=ae_title,
            action="append",
            default=[],
            metavar="AET",
            help="reject requests from calling AE titles not given (repeatable)",
        )
    return group


def server_ae(options: argparse.Namespace) -> AE:
    """Return an AE set up from a server's network and timeout options.

    Parameters
    ----------
    options : argparse.Namespace
        The options of :func:`add_network_options` and
        :func:`~dicomnet.apps._common.add_timeout_options`.

    Returns
    -------
    AE
        The AE, without presentation contexts yet.
    """
    ae = AE(ae_title=options.aetitle)
    ae.acse_timeout = options.acse_timeout
    ae.dimse_timeout = options.dimse_timeout
    ae.network_timeout = options.network_timeout
    ae.maximum_pdu_size = options.max_pdu
    ae.maximum_associations = options.max_associations
    ae.require_called_aet = options.require_called_aet
    return ae


def peer_name(assoc: Association) -> str:
    """Return ``AET (host port N)`` of an association's requestor."""
    requestor = assoc.requestor
    return f"{requestor.ae_title} ({requestor.address} port {requestor.port})"


class AssociationLog:
    """The handlers that log, at INFO, how each association of a server went.

    Parameters
    ----------
    logger : logging.Logger
        The application's logger.
    """

    def __init__(self, logger: logging.Logger) -> None:
        self.logger = logger

    def handlers(self) -> list[tuple[Any, Any]]:
        """Return the ``(event, handler)`` pairs to bind."""
        return [
            (evt.EVT_ACCEPTED, self._on_accepted),
            (evt.EVT_PDU_SENT, self._on_pdu_sent),
            (evt.EVT_RELEASED, self._on_released),
            (evt.EVT_ABORTED, self._on_aborted),
        ]

    def _on_accepted(self, event: evt.Event) -> None:
        self.logger.info("Association accepted from %s", peer_name(event.assoc))

    def _on_pdu_sent(self, event: evt.Event) -> None:
        # A rejection has no event of its own: the A-ASSOCIATE-RJ sent tells.
        pdu = getattr(event, "pdu", None)
        if isinstance(pdu, A_ASSOCIATE_RJ):
            text = describe_reject(pdu.result, pdu.source, pdu.reason)
            peer = peer_name(event.assoc)
            self.logger.info("Association from %s rejected: %s", peer, text)

    def _on_released(self, event: evt.Event) -> None:
        self.logger.info("Association with %s released", peer_name(event.assoc))

    def _on_aborted(self, event: evt.Event) -> None:
        self.logger.info("Association with %s aborted", peer_name(event.assoc))


def listen(
    ae: AE,
    options: argparse.Namespace,
    *,
    ssl_context: ssl.SSLContext | None,
    evt_handlers: list[tuple[Any, Any]],
) -> ThreadedAssociationServer:
    """Listen on ``(options.bind, options.port)`` in the background.

    Parameters
    ----------
    ae : AE
        The configured AE; ``ae.shutdown()`` stops the server.
    options : argparse.Namespace
        ``bind`` and ``port``.
    ssl_context : ssl.SSLContext or None
        TLS for every accepted connection.
    evt_handlers : list of tuple
        The ``(event, handler)`` pairs to bind.

    Returns
    -------
    ThreadedAssociationServer
        The running server; its ``server_address`` holds the port actually
        listened on (for port 0).

    Raises
    ------
    AppError
        The address cannot be listened on (status 5).
    """
    try:
        server = ae.start_server(
            (options.bind, options.port),
            block=False,
            ssl_context=ssl_context,
            evt_handlers=evt_handlers,
        )
    except OSError as exc:
        raise cannot_listen(options.bind, options.port, exc) from exc
    assert server is not None  # noqa: S101  (block=False returns the server)
    return server


def log_start(
    logger: logging.Logger,
    options: argparse.Namespace,
    *,
    tls: bool,
    server: ThreadedAssociationServer | None = None,
    detail: str = "",
) -> None:
    """Log at INFO where a server listens, or how many processes it starts.

    Parameters
    ----------
    logger : logging.Logger
        The application's logger.
    options : argparse.Namespace
        ``aetitle``; ``processes`` without ``server``.
    tls : bool
        Whether connections use TLS.
    server : ThreadedAssociationServer, optional
        The server listening in this process; ``None`` before
        :func:`serve_in_processes`, which logs the address itself.
    detail : str, optional
        What the application adds (``", storing in incoming"``).
    """
    suffix = (" (TLS)" if tls else "") + detail
    if server is None:
        logger.info(
            "Starting %d processes as %s%s", options.processes, options.aetitle, suffix
        )
        return
    host, port = server.server_address[:2]
    logger.info("Listening on %s port %d as %s%s", host, port, options.aetitle, suffix)


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
