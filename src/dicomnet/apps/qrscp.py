"""``dicomnet qrscp``: a DICOM archive (Storage and Query/Retrieve SCP).

Stores the instances it receives by C-STORE (PS3.4 Annex B) in an archive of
files indexed in SQLite (:class:`dicomnet.archive.Archive`), and answers
C-FIND, C-GET and C-MOVE requests from it (PS3.4 Annex C) in the Patient
Root, Study Root and Patient/Study Only information models, until
interrupted by Ctrl-C (SIGINT) or SIGTERM::

    dicomnet qrscp -v --storage /srv/archive -md STORESCP=127.0.0.1:11113 11112

Like DCMTK's ``dcmqrscp``, with a simpler configuration:

- ``--storage DIR`` (default ``./archive``, created if missing) holds the
  instance files, ``<Study>/<Series>/<SOP Instance UID>.dcm``, and the index,
  ``index.sqlite``. Restarting on the same directory finds the same
  instances.
- C-MOVE destinations come from ``--move-destination AET=HOST:PORT``
  (repeatable) and/or a TOML file, ``--config FILE`` (Python 3.11+), which
  may also list the calling AE titles allowed to associate (see
  :mod:`dicomnet.apps._qrscp_config`). An unknown Move Destination is
  refused with status ``0xA801``.
- Every Storage SOP Class is accepted, in every transfer syntax the library
  knows (uncompressed, deflated, and the encapsulated compressed ones), and
  stored as received, never transcoded. The Storage contexts accept the
  SCP/SCU role selection a C-GET requestor proposes (PS3.7 D.3.3.4), so that
  C-GET can send the instances back over the same association.
- C-STORE statuses: ``0xA700`` when the disk is full, ``0xC000`` with an
  Error Comment when the instance cannot be read, indexed or written.
  C-FIND: one Pending response per match (``0xFF01`` when a key is given
  that the archive returns but cannot match at that level), ``0xA900`` for
  an Identifier that does not fit the information model.
- ``--processes N`` serves from N processes (POSIX) sharing the listening
  port and the archive: the port is bound once and N - 1 workers are forked
  before any association (the library's ``AE.start_server(...,
  processes=N)``). Each process opens its own SQLite connections to the
  index, which is in WAL mode: readers never wait, and writers of every
  process queue on SQLite's lock (a busy timeout) rather than fail. An
  instance stored by two processes at once ends as one index entry and one
  complete file, the last stored. ``--max-associations`` counts per
  process, and a C-MOVE's sub-association is made by the process serving the
  C-MOVE. At ``-v`` the processes' IDs are logged, and every line carries
  the ID of the process that wrote it. SIGTERM or Ctrl-C stops every process.
- Each association and each operation is logged at INFO level (``-v``);
  by default only warnings and errors are printed. The exit status is 0
  after an interrupt, 2 for a bad command line, configuration or storage
  directory, and 5 when the port cannot be listened on.
"""

from __future__ import annotations

import logging
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from dicomnet import (
    AE,
    ALL_TRANSFER_SYNTAXES,
    DEFAULT_TRANSFER_SYNTAXES,
    AllStoragePresentationContexts,
    evt,
)
from dicomnet.apps._common import (
    EXIT_USAGE,
    AppError,
    add_general_options,
    add_timeout_options,
    add_tls_options,
    make_parser,
    port_number,
    server_tls,
)
from dicomnet.apps._qrscp_config import (
    ConfigError,
    PeerConfig,
    load_config,
    move_destination,
)
from dicomnet.apps._qrscp_handlers import ArchiveHandlers
from dicomnet.apps._runner import (
    AssociationLog,
    add_network_options,
    listen,
    log_start,
    peer_name,
    run_app,
    serve_in_processes,
    serve_until_interrupted,
    server_ae,
)
from dicomnet.apps.storescp import chunked_receiving
from dicomnet.archive import Archive
from dicomnet.sop_class import (
    PatientRootQueryRetrieveInformationModelFind,
    PatientRootQueryRetrieveInformationModelGet,
    PatientRootQueryRetrieveInformationModelMove,
    PatientStudyOnlyQueryRetrieveInformationModelFind,
    PatientStudyOnlyQueryRetrieveInformationModelGet,
    PatientStudyOnlyQueryRetrieveInformationModelMove,
    StudyRootQueryRetrieveInformationModelFind,
    StudyRootQueryRetrieveInformationModelGet,
    StudyRootQueryRetrieveInformationModelMove,
    Verification,
)

if TYPE_CHECKING:
    import argparse
    import ssl
    from collections.abc import Sequence

    from dicomnet.transport import ThreadedAssociationServer

__all__ = ["QueryRetrieveServer", "build_parser", "main", "serve", "start"]

_LOGGER = logging.getLogger(__name__)

#: PS3.8 9.1.1: the "registered" DICOM port, for unprivileged listeners.
_DEFAULT_PORT: Final = 11112
_DEFAULT_STORAGE: Final = Path("archive")
#: PS3.4 C.6.1.3, C.6.2.3, C.6.3.3: the SOP Classes of the three models.
QUERY_RETRIEVE_CLASSES: Final = (
    PatientRootQueryRetrieveInformationModelFind,
    PatientRootQueryRetrieveInformationModelGet,
    PatientRootQueryRetrieveInformationModelMove,
    StudyRootQueryRetrieveInformationModelFind,
    StudyRootQueryRetrieveInformationModelGet,
    StudyRootQueryRetrieveInformationModelMove,
    PatientStudyOnlyQueryRetrieveInformationModelFind,
    PatientStudyOnlyQueryRetrieveInformationModelGet,
    PatientStudyOnlyQueryRetrieveInformationModelMove,
)


def build_parser() -> argparse.ArgumentParser:
    """Return the command-line parser of ``dicomnet qrscp``."""
    parser = make_parser(
        "dicomnet qrscp",
        "Store DICOM instances in an archive and answer C-FIND, C-GET and "
        "C-MOVE from it (Query/Retrieve SCP) until interrupted.",
    )
    parser.add_argument(
        "port",
        type=port_number,
        nargs="?",
        default=_DEFAULT_PORT,
        help=f"TCP port to listen on (default: {_DEFAULT_PORT}; 0: any free port)",
    )
    add_general_options(parser)
    add_network_options(parser, aetitle="QRSCP")
    _add_peer_options(parser)
    add_timeout_options(parser)
    _add_storage_options(parser)
    add_tls_options(parser, server=True)
    return parser


def _add_peer_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("peers (C-MOVE destinations, access)")
    group.add_argument(
        "-md",
        "--move-destination",
        type=move_destination,
        action="append",
        default=[],
        metavar="AET=HOST:PORT",
        help="send C-MOVE sub-operations for AET to HOST:PORT (repeatable; "
        "replaces an entry of --config)",
    )
    group.add_argument(
        "-c",
        "--config",
        type=Path,
        metavar="FILE",
        help="read Move Destinations and the allowed calling AE titles from "
        "this TOML file (Python 3.11+)",
    )


def _add_storage_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("storage options")
    group.add_argument(
        "--storage",
        type=Path,
        default=_DEFAULT_STORAGE,
        metavar="DIRECTORY",
        help="the archive: instance files and their SQLite index "
        f"(default: ./{_DEFAULT_STORAGE}; created if missing)",
    )
    # As in DCMTK, the last of two contrary flags wins.
    group.add_argument(
        "--fsync",
        dest="fsync",
        action="store_true",
        help="flush each instance to the disk before answering (default)",
    )
    group.add_argument(
        "--no-fsync",
        dest="fsync",
        action="store_false",
        help="don't: faster, but a power loss may lose acknowledged instances",
    )
    group.add_argument(
        "--chunked",
        dest="chunked",
        action="store_true",
        help="spool received data sets to disk as they arrive (default)",
    )
    group.add_argument(
        "--no-chunked",
        dest="chunked",
        action="store_false",
        help="hold each received data set in memory until it is complete",
    )
    # Chunked by default, measured with DCMTK storescu sending to a qrscp
    # process over loopback (3 runs each, --fsync): 8 x 64 MB took 1.4-1.8 s
    # at 43 MB peak RSS, against 2.5-3.8 s and 177 MB held in memory; 300 x
    # 64 kB took 1.3-2.1 s against 1.2-1.4 s, at 43 MB either way. The spooled
    # file is renamed into the archive: its bytes are written once.
    parser.set_defaults(fsync=True, chunked=True)


# -- what the SCP logs ---------------------------------------------------------------


def _on_c_echo(event: evt.Event) -> int:
    _LOGGER.info("C-ECHO from %s", peer_name(event.assoc))
    return 0x0000


# -- starting --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueryRetrieveServer:
    """A running ``qrscp``: its AE, server and archive.

    Attributes
    ----------
    ae : AE
        Our application entity.
    server : ThreadedAssociationServer
        The listening server.
    archive : Archive
        The archive it stores into and answers from.
    peers : PeerConfig
        The Move Destinations and allowed calling AE titles.
    """

    ae: AE
    server: ThreadedAssociationServer
    archive: Archive
    peers: PeerConfig

    @property
    def port(self) -> int:
        """Return the port listened on (the real one, for port 0)."""
        return int(self.server.server_address[1])

    def shutdown(self) -> None:
        """Abort the associations, stop listening, close the archive."""
        self.ae.shutdown()
        self.archive.close()


def _peers(options: argparse.Namespace) -> PeerConfig:
    peers = PeerConfig()
    if options.config is not None:
        try:
            peers = load_config(options.config)
        except ConfigError as exc:
            raise AppError(f"Bad configuration: {exc}", EXIT_USAGE) from exc
    return peers.with_destinations(options.move_destination)


def _make_ae(options: argparse.Namespace, peers: PeerConfig) -> AE:
    ae = server_ae(options)
    ae.require_calling_aet = list(peers.calling_ae_titles)
    # Stored as received: every syntax the library knows, so that nothing
    # needs transcoding. scu_role and scp_role True accept whatever role a
    # requestor proposes (PS3.7 D.3.3.4): C-GET requestors propose SCP.
    for context in AllStoragePresentationContexts:
        ae.add_supported_context(
            str(context.abstract_syntax),
            ALL_TRANSFER_SYNTAXES,
            scu_role=True,
            scp_role=True,
        )
    for uid in (Verification, *QUERY_RETRIEVE_CLASSES):
        ae.add_supported_context(uid, DEFAULT_TRANSFER_SYNTAXES)
    return ae


def _open_archive(options: argparse.Namespace) -> Archive:
    try:
        return Archive(options.storage, fsync=options.fsync)
    except (OSError, sqlite3.Error) as exc:
        raise AppError(
            f"Cannot open the archive in {options.storage}: {exc}", EXIT_USAGE
        ) from exc


@dataclass(frozen=True, slots=True)
class _Setup:
    """What :func:`start` and the multi-process server both build first."""

    ae: AE
    context: ssl.SSLContext | None
    archive: Archive
    peers: PeerConfig
    handlers: list[tuple[Any, Any]]


def _prepare(options: argparse.Namespace) -> _Setup:
    """Check the options, open the archive, make the AE and the handlers."""
    peers = _peers(options)
    context = server_tls(options)
    ae = _make_ae(options, peers)
    archive = _open_archive(options)
    handlers: list[tuple[Any, Any]] = [
        *AssociationLog(_LOGGER).handlers(),
        (evt.EVT_C_ECHO, _on_c_echo),
        *ArchiveHandlers(
            archive, options.aetitle, peers.destinations, fsync=options.fsync
        ).handlers(),
    ]
    return _Setup(ae, context, archive, peers, handlers)


def start(options: argparse.Namespace) -> QueryRetrieveServer:
    """Start the SCP in the background, in this process; ``.shutdown()`` stops it.

    :func:`serve` also sets the library's chunked receiving; a caller of
    ``start`` may use :func:`dicomnet.apps.storescp.chunked_receiving`.
    ``options.processes`` is not used here (see :func:`serve`).

    Parameters
    ----------
    options : argparse.Namespace
        The options of :func:`build_parser`.

    Returns
    -------
    QueryRetrieveServer
        The running server.

    Raises
    ------
    AppError
        The configuration, TLS files or archive cannot be used, or the
        address cannot be listened on.
    """
    setup = _prepare(options)
    try:
        server = listen(
            setup.ae, options, ssl_context=setup.context, evt_handlers=setup.handlers
        )
    except AppError:
        setup.archive.close()
        raise
    running = QueryRetrieveServer(setup.ae, server, setup.archive, setup.peers)
    log_start(
        _LOGGER,
        options,
        tls=setup.context is not None,
        server=server,
        detail=_archive_detail(options, setup.archive),
    )
    _log_peers(setup.peers)
    return running


def _archive_detail(options: argparse.Namespace, archive: Archive) -> str:
    return f", archive {options.storage} ({archive.instance_count()} instances)"


def _log_peers(peers: PeerConfig) -> None:
    for destination in peers.destinations.values():
        _LOGGER.info("Move Destination %s", destination)
    if peers.calling_ae_titles:
        _LOGGER.info(
            "Calling AE titles allowed: %s", ", ".join(peers.calling_ae_titles)
        )


def _serve_in_processes(options: argparse.Namespace) -> int:
    """Serve from ``options.processes`` processes until SIGINT or SIGTERM."""
    setup = _prepare(options)
    try:
        # The library logs the address listened on and the process IDs next.
        log_start(
            _LOGGER,
            options,
            tls=setup.context is not None,
            detail=_archive_detail(options, setup.archive),
        )
        _log_peers(setup.peers)
        # The index's connections are closed before the fork and opened
        # again by each process (dicomnet.archive.index.ConnectionPool).
        return serve_in_processes(
            setup.ae,
            options,
            ssl_context=setup.context,
            evt_handlers=setup.handlers,
            logger=_LOGGER,
        )
    finally:
        # Only this process gets here: the workers leave with os._exit().
        setup.archive.close()


def serve(options: argparse.Namespace) -> int:
    """Run the SCP until SIGINT or SIGTERM; return the exit status.

    With ``options.processes`` above 1, from that many pre-forked processes
    (see the module's documentation).

    Raises
    ------
    AppError
        As :func:`start`; or ``--processes`` on a system without ``fork``.
    """
    with chunked_receiving(options.chunked):
        if options.processes > 1:
            return _serve_in_processes(options)
        return serve_until_interrupted(lambda: start(options), logger=_LOGGER)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``dicomnet qrscp`` with ``argv`` (default: ``sys.argv[1:]``).

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after the command name.

    Returns
    -------
    int
        The exit status: 0 once interrupted, else why it could not start.
    """
    return run_app(build_parser, serve, argv, logger=_LOGGER, default_level="warn")


if __name__ == "__main__":
    sys.exit(main())
