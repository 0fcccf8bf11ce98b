"""What the command-line applications share: options, logging, TLS, exit codes.

The option names are DCMTK's (``-aet``, ``-ta``, ``-pdu``, ``+tls``...), so the
parsers accept both ``-`` and ``+`` as option prefixes and no abbreviations
(``-ae`` would otherwise be a prefix of both ``-aet`` and ``-aec``).
"""

from __future__ import annotations

import argparse
import logging
import signal
import ssl
import struct
import sys
import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Final, NoReturn, TextIO

from pydicom.errors import InvalidDicomError

from dicomnet import __version__, _config, evt
from dicomnet.ul.pdu import A_ABORT, A_ASSOCIATE_RJ

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from dicomnet import AE
    from dicomnet.association import Association
    from dicomnet.presentation import PresentationContext

__all__ = [
    "EXIT_ABORTED",
    "EXIT_CONNECTION",
    "EXIT_FAILURE",
    "EXIT_OK",
    "EXIT_REJECTED",
    "EXIT_USAGE",
    "UNREADABLE",
    "AppError",
    "AssociationOutcome",
    "aborted_error",
    "add_general_options",
    "add_timeout_options",
    "add_tls_options",
    "ae_title",
    "app_logging",
    "client_tls",
    "describe_abort",
    "describe_reject",
    "make_parser",
    "max_pdu",
    "not_established",
    "port_number",
    "request_association",
    "run_parser",
    "server_tls",
    "sigterm_interrupts",
    "timeout",
]

_LOGGER = logging.getLogger(__name__)

#: Exit statuses, the same for every application.
EXIT_OK: Final = 0
#: The DIMSE exchange failed: a failure status, or no response at all.
EXIT_FAILURE: Final = 1
#: Bad command line or unusable option (argparse's own status).
EXIT_USAGE: Final = 2
#: The peer (or its provider) rejected the association (A-ASSOCIATE-RJ).
EXIT_REJECTED: Final = 3
#: The association was aborted (A-ABORT, A-P-ABORT, ACSE or DIMSE timeout).
EXIT_ABORTED: Final = 4
#: No transport connection: refused, unreachable, timed out, cannot listen.
EXIT_CONNECTION: Final = 5

#: PS3.8 D.1: the Maximum Length Received field is 32 bits; 0 means no limit.
_MAX_PDU_LIMIT: Final = 0xFFFFFFFF
_DEFAULT_MAX_PDU: Final = 16382
_MAX_PORT: Final = 65535

#: What reading a DICOM file may raise: pydicom raises any of these for
#: malformed input rather than one error type.
UNREADABLE: Final = (
    InvalidDicomError,
    EOFError,
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    NotImplementedError,
    struct.error,
)

_LEVELS: Final = {
    "critical": logging.CRITICAL,
    "error": logging.ERROR,
    "warn": logging.WARNING,
    "info": logging.INFO,
    "debug": logging.DEBUG,
}


class AppError(Exception):
    """A failure reported as one ``E:`` line; the app exits with ``status``.

    Parameters
    ----------
    message : str
        The line to print.
    status : int
        The exit status.
    """

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


# -- A-ASSOCIATE-RJ and A-ABORT in words -------------------------------------------

# PS3.8 9.3.4 Table 9-21: the Reason/Diag. field means something different for
# each Source, hence the (source, reason) keys.
_REJECT_REASONS: Final = {
    (1, 1): "no reason given",
    (1, 2): "application context name not supported",
    (1, 3): "calling AE title not recognized",
    (1, 7): "called AE title not recognized",
    (2, 1): "no reason given (ACSE)",
    (2, 2): "protocol version not supported",
    (3, 1): "temporary congestion",
    (3, 2): "local limit exceeded",
}
# PS3.8 9.3.8 Table 9-26: reasons of a service-provider (source 2) A-ABORT.
_ABORT_REASONS: Final = {
    0: "reason not specified",
    1: "unrecognized PDU",
    2: "unexpected PDU",
    4: "unrecognized PDU parameter",
    5: "unexpected PDU parameter",
    6: "invalid PDU parameter value",
}


def describe_reject(result: int, source: int, reason: int) -> str:
    """Return an A-ASSOCIATE-RJ's fields in words, then as numbers.

    Parameters
    ----------
    result, source, reason : int
        The PDU's fields (PS3.8 9.3.4).

    Returns
    -------
    str
        For example ``called AE title not recognized (result 1, source 1,
        reason 7)``; a reserved value reads ``reserved reason``.
    """
    words = _REJECT_REASONS.get((source, reason), "reserved reason")
    return f"{words} (result {result}, source {source}, reason {reason})"


def describe_abort(source: int, reason: int) -> str:
    """Return who aborted and why, from an A-ABORT's fields (PS3.8 9.3.8).

    Parameters
    ----------
    source, reason : int
        The PDU's fields.

    Returns
    -------
    str
        For example ``by the peer's service-user (source 0)``.
    """
    if source == 0:
        # The reason field is not significant when the service-user aborts.
        return f"by the peer's service-user (source {source})"
    words = _ABORT_REASONS.get(reason, "reserved reason")
    return f"by the peer's service-provider: {words} (source {source}, reason {reason})"


# -- argument types --------------------------------------------------------------


def ae_title(value: str) -> str:
    """Return ``value`` if it is a usable AE title (PS3.5 Table 6.2-1, VR AE).

    Parameters
    ----------
    value : str
        The option's value.

    Returns
    -------
    str
        ``value``, unchanged.

    Raises
    ------
    argparse.ArgumentTypeError
        The title is blank or fails ``_config.VALIDATORS["AE"]``.
    """
    valid, reason = _config.VALIDATORS["AE"](value)
    if not valid:
        raise argparse.ArgumentTypeError(f"invalid AE title {value!r}: {reason}")
    # PS3.5 6.2: leading and trailing spaces are not significant, so a title
    # of spaces only is empty.
    if not value.strip():
        raise argparse.ArgumentTypeError("an AE title may not be empty")
    return value


def _integer(value: str, what: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not {what}: {value!r}") from None
    if not low <= number <= high:
        raise argparse.ArgumentTypeError(f"{what} out of range {low}..{high}: {number}")
    return number


def port_number(value: str) -> int:
    """Return a TCP port number 0..65535 (0: any free port, for listeners).

    Parameters
    ----------
    value : str
        The argument.

    Returns
    -------
    int
        The port.
    """
    return _integer(value, "a port number", 0, _MAX_PORT)


def max_pdu(value: str) -> int:
    """Return a Maximum Length (PS3.8 D.1); ``0`` means unlimited.

    Parameters
    ----------
    value : str
        The option's value.

    Returns
    -------
    int
        The length in bytes.
    """
    return _integer(value, "a PDU length", 0, _MAX_PDU_LIMIT)


def timeout(value: str) -> float | None:
    """Return a timeout in seconds; ``0`` or ``none`` means no timeout.

    Parameters
    ----------
    value : str
        The option's value.

    Returns
    -------
    float or None
        The timeout, ``None`` for none.
    """
    if value.lower() == "none":
        return None
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a number of seconds: {value!r}"
        ) from None
    if not seconds >= 0:  # also refuses NaN
        raise argparse.ArgumentTypeError(f"a timeout must be >= 0: {value!r}")
    return seconds or None


def positive_count(value: str) -> int:
    """Return an integer of at least 1 (``--repeat``, ``--max-associations``).

    Parameters
    ----------
    value : str
        The option's value.

    Returns
    -------
    int
        The count.
    """
    return _integer(value, "a count", 1, sys.maxsize)


# -- parsers ---------------------------------------------------------------------


def make_parser(prog: str, description: str) -> argparse.ArgumentParser:
    """Return a parser for DCMTK-style options (``-`` and ``+`` prefixes).

    Parameters
    ----------
    prog : str
        The name in the usage line (``dicomnet echoscu``).
    description : str
        What the application does, in one line.

    Returns
    -------
    argparse.ArgumentParser
        A parser without abbreviations.
    """
    return argparse.ArgumentParser(
        prog=prog,
        description=description,
        prefix_chars="-+",
        allow_abbrev=False,
    )


def run_parser(
    parser: argparse.ArgumentParser, argv: list[str] | None
) -> argparse.Namespace | int:
    """Parse ``argv``; return the exit status instead for errors and ``--help``.

    argparse ends the process with ``SystemExit``; the apps' ``main`` returns
    the status instead, so that they can run in-process.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The application's parser.
    argv : list of str or None
        The arguments (``None``: ``sys.argv[1:]``).

    Returns
    -------
    argparse.Namespace or int
        The options, or the exit status when parsing ended the run.
    """
    try:
        return parser.parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE


def add_general_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--version``, ``-q``, ``-v``, ``-d`` and ``-ll``.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The application's parser.
    """
    group = parser.add_argument_group("general options")
    group.add_argument(
        "--version", action="version", version=f"%(prog)s (dicomnet {__version__})"
    )
    verbosity = group.add_mutually_exclusive_group()
    for flags, const, text in (
        (("-q", "--quiet"), "quiet", "quiet mode: print no warnings and errors"),
        (("-v", "--verbose"), "info", "verbose mode: print processing details"),
        (("-d", "--debug"), "debug", "debug mode: also print each PDU, summarised"),
    ):
        verbosity.add_argument(
            *flags, dest="log_level", action="store_const", const=const, help=text
        )
    verbosity.add_argument(
        "-ll",
        "--log-level",
        dest="log_level",
        choices=list(_LEVELS),
        help="use this logging level",
    )


def add_timeout_options(parser: argparse.ArgumentParser) -> None:
    """Add ``-ta``, ``-td``, ``-tn`` and ``-pdu``.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The application's parser.
    """
    group = parser.add_argument_group("timeouts and PDU size")
    for flags, default, text in (
        (("-ta", "--acse-timeout"), 30.0, "timeout for ACSE messages"),
        (("-td", "--dimse-timeout"), 30.0, "timeout for DIMSE messages"),
        (("-tn", "--network-timeout"), 60.0, "abort an association idle this long"),
    ):
        group.add_argument(
            *flags,
            type=timeout,
            default=default,
            metavar="SECONDS",
            help=f"{text} (default: {default:g}; 0: none)",
        )
    group.add_argument(
        "-pdu",
        "--max-pdu",
        type=max_pdu,
        default=_DEFAULT_MAX_PDU,
        metavar="BYTES",
        help=f"maximum PDU length we receive (default: {_DEFAULT_MAX_PDU}; "
        "0: unlimited)",
    )


def add_tls_options(parser: argparse.ArgumentParser, *, server: bool) -> None:
    """Add the TLS options: ``+tls KEY CERT``, ``+cf FILE``, ``-ic`` (+ ``+tla``).

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The application's parser.
    server : bool
        Whether the application listens (no ``+tla`` then).
    """
    group = parser.add_argument_group("transport layer security (TLS) options")
    group.add_argument(
        "+tls",
        "--enable-tls",
        dest="tls",
        nargs=2,
        metavar=("KEY", "CERT"),
        help="use TLS with this PEM private key and certificate",
    )
    if not server:
        group.add_argument(
            "+tla",
            "--anonymous-tls",
            action="store_true",
            help="use TLS without a certificate of our own",
        )
    group.add_argument(
        "+cf",
        "--add-cert-file",
        dest="tls_ca",
        action="append",
        default=[],
        metavar="FILE",
        help="trust the certificates in this PEM file (repeatable)",
    )
    group.add_argument(
        "-ic",
        "--ignore-peer-cert",
        action="store_true",
        help="don't verify the peer's certificate"
        + (" (don't ask clients for one)" if server else ""),
    )


# -- TLS -------------------------------------------------------------------------


def _load(context: ssl.SSLContext, options: argparse.Namespace) -> ssl.SSLContext:
    """Load our key pair and the trusted certificates into ``context``."""
    try:
        if options.tls:
            key, cert = options.tls
            context.load_cert_chain(certfile=cert, keyfile=key)
        for cafile in options.tls_ca:
            context.load_verify_locations(cafile=cafile)
    except (OSError, ssl.SSLError) as exc:
        raise AppError(f"Cannot load the TLS files: {exc}", EXIT_USAGE) from exc
    return context


def client_tls(
    options: argparse.Namespace, peer: str
) -> tuple[ssl.SSLContext, str | None] | None:
    """Return ``associate()``'s ``tls_args`` for the TLS options, or ``None``.

    Parameters
    ----------
    options : argparse.Namespace
        The parsed options.
    peer : str
        The peer's host name, checked against its certificate.

    Returns
    -------
    tuple of (ssl.SSLContext, str or None), or None
        The context and the name to check; ``None`` without TLS.

    Raises
    ------
    AppError
        A key or certificate file cannot be loaded.
    """
    if not (options.tls or options.anonymous_tls):
        return None
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    if options.ignore_peer_cert:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return _load(context, options), peer


def server_tls(options: argparse.Namespace) -> ssl.SSLContext | None:
    """Return the server's ``ssl_context`` for the TLS options, or ``None``.

    As DCMTK's servers do, a TLS server requires a client certificate signed
    by a trusted certificate (``+cf``) unless ``-ic`` is given.

    Parameters
    ----------
    options : argparse.Namespace
        The parsed options.

    Returns
    -------
    ssl.SSLContext or None
        The context; ``None`` without ``+tls``.

    Raises
    ------
    AppError
        A key or certificate file cannot be loaded.
    """
    if not options.tls:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.verify_mode = (
        ssl.CERT_NONE if options.ignore_peer_cert else ssl.CERT_REQUIRED
    )
    return _load(context, options)


# -- logging ---------------------------------------------------------------------


@contextmanager
def app_logging(options: argparse.Namespace, default: str) -> Iterator[None]:
    """Log to stderr as ``L: message`` at the level the options ask for.

    The ``dicomnet`` logger's level, handlers and propagation come back on
    exit, so that the apps can run in-process (tests, other programs) and
    leave no handler behind on a stream that may be closed by then.

    Parameters
    ----------
    options : argparse.Namespace
        The parsed options (``log_level``; with ``processes`` above 1 each
        line carries the process ID: ``I: [1234] message``).
    default : str
        The level without ``-q``/``-v``/``-d``/``-ll``.

    Yields
    ------
    None
        While the handler is installed.
    """
    logger = logging.getLogger("dicomnet")
    name = options.log_level or default
    # Quiet: nothing at all, not even errors (DCMTK's -q).
    level = logging.CRITICAL + 1 if name == "quiet" else _LEVELS[name]
    handler: logging.StreamHandler[TextIO] = logging.StreamHandler(sys.stderr)
    # A server in several processes (--processes) tells whose line it is.
    several = getattr(options, "processes", 1) > 1
    prefix = "%(levelname).1s: [%(process)d] " if several else "%(levelname).1s: "
    handler.setFormatter(logging.Formatter(prefix + "%(message)s"))
    saved_level, saved_propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(level)
    # The apps own stderr: a root handler configured by a host program would
    # print every line twice.
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved_level)
        logger.propagate = saved_propagate


# -- how an association went (SCUs) ----------------------------------------------


class AssociationOutcome:
    """What a requestor's association events tell about how it went.

    Bind :meth:`handlers` with ``associate(evt_handlers=...)``. The handlers run
    on the association's own thread; ``associate()`` and the ``send_*()``
    methods return only after the events they wait for were dispatched, so
    the calling thread reads these fields afterwards.

    Attributes
    ----------
    connected : bool
        Whether the transport connection was ever open.
    reject : A_ASSOCIATE_RJ or None
        The A-ASSOCIATE-RJ received, if any.
    abort : A_ABORT or None
        The A-ABORT received, if any.
    """

    def __init__(self) -> None:
        self.connected = False
        self.reject: A_ASSOCIATE_RJ | None = None
        self.abort: A_ABORT | None = None

    def handlers(self) -> list[tuple[Any, Any]]:
        """Return the ``(event, handler)`` pairs that fill in the fields."""
        return [
            (evt.EVT_CONN_OPEN, self._on_connection),
            (evt.EVT_CONN_CLOSE, self._on_connection),
            (evt.EVT_PDU_RECV, self._on_pdu),
        ]

    def _on_connection(self, event: evt.Event) -> None:
        del event
        # A closed connection was open once: this also tells a requestor
        # that its connect() succeeded.
        self.connected = True

    def _on_pdu(self, event: evt.Event) -> None:
        pdu = getattr(event, "pdu", None)
        if isinstance(pdu, A_ASSOCIATE_RJ):
            self.reject = pdu
        elif isinstance(pdu, A_ABORT):
            self.abort = pdu


def not_established(
    outcome: AssociationOutcome, peer: str, port: int, *, tls: bool
) -> AppError:
    """Return the error for an association request that did not succeed.

    Parameters
    ----------
    outcome : AssociationOutcome
        What the request's events told.
    peer : str
        The peer's host, as given.
    port : int
        The peer's port.
    tls : bool
        Whether TLS was used (a failed handshake is then a likely cause).

    Returns
    -------
    AppError
        Exit status 3 (rejected), 4 (aborted or no answer) or 5 (no
        connection).
    """
    if outcome.reject is not None:
        rj = outcome.reject
        text = describe_reject(rj.result, rj.source, rj.reason)
        return AppError(f"Association rejected: {text}", EXIT_REJECTED)
    if outcome.abort is not None:
        text = describe_abort(outcome.abort.source, outcome.abort.reason)
        return AppError(f"Association aborted {text}", EXIT_ABORTED)
    where = f"{peer} port {port}"
    if not outcome.connected:
        return AppError(
            f"Cannot connect to {where}: connection refused, host unreachable "
            "or connection timeout",
            EXIT_CONNECTION,
        )
    handshake = ", the TLS handshake failed" if tls else ""
    return AppError(
        f"Association aborted: no answer from {where} to the association "
        f"request (the connection closed{handshake} or the ACSE timeout expired)",
        EXIT_ABORTED,
    )


def request_association(
    ae: AE,
    options: argparse.Namespace,
    outcome: AssociationOutcome,
    contexts: Sequence[PresentationContext] | None = None,
) -> Association:
    """Request an association with the peer the SCU options name.

    Parameters
    ----------
    ae : AE
        Our AE, timeouts set.
    options : argparse.Namespace
        The parsed options: ``peer``, ``port``, ``call``, ``max_pdu`` and
        the TLS options of :func:`add_tls_options` (client side).
    outcome : AssociationOutcome
        Bound to the association, to explain a failure.
    contexts : sequence of PresentationContext, optional
        What to propose (default: ``ae.requested_contexts``).

    Returns
    -------
    Association
        The established association.

    Raises
    ------
    AppError
        The TLS files cannot be loaded, or the association was not
        established (see :func:`not_established`).
    """
    tls = client_tls(options, options.peer)
    _LOGGER.info("Requesting Association with %s port %d", options.peer, options.port)
    assoc = ae.associate(
        options.peer,
        options.port,
        contexts=None if contexts is None else list(contexts),
        ae_title=options.call,
        max_pdu=options.max_pdu,
        tls_args=tls,
        evt_handlers=outcome.handlers(),
    )
    if not assoc.is_established:
        raise not_established(outcome, options.peer, options.port, tls=tls is not None)
    _LOGGER.info("Association Accepted")
    return assoc


def aborted_error(outcome: AssociationOutcome, waiting_for: str) -> AppError:
    """Return the error for an association that ended during a DIMSE exchange.

    Parameters
    ----------
    outcome : AssociationOutcome
        What the association's events told.
    waiting_for : str
        What did not arrive (``"C-STORE response"``).

    Returns
    -------
    AppError
        Exit status 4.
    """
    if outcome.abort is not None:
        text = describe_abort(outcome.abort.source, outcome.abort.reason)
        return AppError(f"Association aborted {text}", EXIT_ABORTED)
    return AppError(
        f"Association aborted: no {waiting_for} (the DIMSE timeout expired "
        "or the connection closed)",
        EXIT_ABORTED,
    )


# -- servers -------------------------------------------------------------------


def _interrupt(signum: int, frame: object) -> NoReturn:
    del signum, frame
    raise KeyboardInterrupt


@contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """Make SIGTERM interrupt like Ctrl-C, so that both stop a server cleanly.

    Only the main thread may set signal handlers; elsewhere (an embedding
    program, a test) nothing changes.

    Yields
    ------
    None
        While SIGTERM raises :class:`KeyboardInterrupt` in the main thread.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
