"""``dicomnet echoscp``: answer C-ECHO requests (Verification SCP).

Listens for association requests that propose the Verification SOP Class
(PS3.4 Annex A) and answers every C-ECHO request (PS3.7 9.1.5) with Success,
until interrupted by Ctrl-C (SIGINT) or SIGTERM::

    dicomnet echoscp 11112

Each association is logged at INFO level (shown by default; ``-q`` hides
it). Port 0 listens on a free port, which the "Listening" line names. The
exit status is 0 after an interrupt, 2 for a bad command line and 5 when the
port cannot be listened on.
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING, Any, Final

from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
)

from dicomnet import AE, evt
from dicomnet.apps._common import (
    EXIT_CONNECTION,
    AppError,
    add_general_options,
    add_timeout_options,
    add_tls_options,
    ae_title,
    describe_reject,
    make_parser,
    port_number,
    positive_count,
    server_tls,
)
from dicomnet.apps._runner import run_app, serve_until_interrupted
from dicomnet.sop_class import Verification
from dicomnet.ul.pdu import A_ASSOCIATE_RJ

if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence

    from dicomnet.association import Association
    from dicomnet.transport import ThreadedAssociationServer

__all__ = ["build_parser", "main", "start"]

_LOGGER = logging.getLogger(__name__)

#: PS3.7 C.1: the C-ECHO response status this SCP always sends.
_SUCCESS: Final = 0x0000

#: Accepted by default: the uncompressed transfer syntaxes (PS3.5 Section 10).
#: Of those the requestor proposes, its first one is chosen (as pynetdicom).
_UNCOMPRESSED: Final = (
    ImplicitVRLittleEndian,
    ExplicitVRLittleEndian,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
)
_IMPLICIT_ONLY: Final = (ImplicitVRLittleEndian,)


def build_parser() -> argparse.ArgumentParser:
    """Return the command-line parser of ``dicomnet echoscp``."""
    parser = make_parser(
        "dicomnet echoscp",
        "Answer C-ECHO requests (Verification SCP) until interrupted.",
    )
    parser.add_argument(
        "port", type=port_number, help="TCP port to listen on (0: any free port)"
    )
    add_general_options(parser)
    group = parser.add_argument_group("application entity")
    group.add_argument(
        "-aet",
        "--aetitle",
        type=ae_title,
        default="ECHOSCP",
        help="our AE title (default: ECHOSCP)",
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
    group.add_argument(
        "--require-called-aet",
        action="store_true",
        help="reject requests whose called AE title is not ours",
    )
    group.add_argument(
        "--require-calling-aet",
        type=ae_title,
        action="append",
        default=[],
        metavar="AET",
        help="reject requests from calling AE titles not given (repeatable)",
    )
    add_timeout_options(parser)
    _add_syntax_options(parser)
    add_tls_options(parser, server=True)
    return parser


def _add_syntax_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("accepted transfer syntaxes")
    group.add_argument(
        "-xi",
        "--implicit",
        dest="syntaxes",
        action="store_const",
        const=_IMPLICIT_ONLY,
        default=_UNCOMPRESSED,
        help="accept implicit VR little endian only (default: every "
        "uncompressed transfer syntax)",
    )


# -- what the SCP logs -----------------------------------------------------------


def _peer(assoc: Association) -> str:
    requestor = assoc.requestor
    return f"{requestor.ae_title} ({requestor.address} port {requestor.port})"


def _on_accepted(event: evt.Event) -> None:
    _LOGGER.info("Association accepted from %s", _peer(event.assoc))


def _on_pdu_sent(event: evt.Event) -> None:
    pdu = getattr(event, "pdu", None)
    if isinstance(pdu, A_ASSOCIATE_RJ):
        text = describe_reject(pdu.result, pdu.source, pdu.reason)
        _LOGGER.info("Association from %s rejected: %s", _peer(event.assoc), text)


def _on_released(event: evt.Event) -> None:
    _LOGGER.info("Association with %s released", _peer(event.assoc))


def _on_aborted(event: evt.Event) -> None:
    _LOGGER.info("Association with %s aborted", _peer(event.assoc))


def _on_c_echo(event: evt.Event) -> int:
    _LOGGER.info(
        "Received C-ECHO request (MsgID %s) from %s",
        event.message_id,
        _peer(event.assoc),
    )
    return _SUCCESS


_HANDLERS: Final[list[tuple[Any, Any]]] = [
    (evt.EVT_ACCEPTED, _on_accepted),
    (evt.EVT_PDU_SENT, _on_pdu_sent),
    (evt.EVT_RELEASED, _on_released),
    (evt.EVT_ABORTED, _on_aborted),
    (evt.EVT_C_ECHO, _on_c_echo),
]


# -- serving ---------------------------------------------------------------------


def _make_ae(options: argparse.Namespace) -> AE:
    ae = AE(ae_title=options.aetitle)
    ae.acse_timeout = options.acse_timeout
    ae.dimse_timeout = options.dimse_timeout
    ae.network_timeout = options.network_timeout
    ae.maximum_pdu_size = options.max_pdu
    ae.maximum_associations = options.max_associations
    ae.require_called_aet = options.require_called_aet
    ae.require_calling_aet = options.require_calling_aet
    ae.add_supported_context(Verification, list(options.syntaxes))
    return ae


def start(options: argparse.Namespace) -> tuple[AE, ThreadedAssociationServer]:
    """Start the SCP in the background; return the AE and its server.

    ``ae.shutdown()`` stops it. The server's ``server_address`` holds the
    port actually listened on (for port 0).

    Raises
    ------
    AppError
        The TLS files cannot be loaded, or the address cannot be listened on.
    """
    context = server_tls(options)
    ae = _make_ae(options)
    try:
        server = ae.start_server(
            (options.bind, options.port),
            block=False,
            ssl_context=context,
            evt_handlers=_HANDLERS,
        )
    except OSError as exc:
        where = options.bind or "every interface"
        raise AppError(
            f"Cannot listen on {where} port {options.port}: {exc.strerror or exc}",
            EXIT_CONNECTION,
        ) from exc
    assert server is not None  # noqa: S101  (block=False returns the server)
    host, port = server.server_address[:2]
    _LOGGER.info(
        "Listening on %s port %d as %s%s",
        host,
        port,
        options.aetitle,
        " (TLS)" if context is not None else "",
    )
    return ae, server


def serve(options: argparse.Namespace) -> int:
    """Run the SCP until SIGINT or SIGTERM; return the exit status.

    Raises
    ------
    AppError
        As :func:`start`.
    """
    return serve_until_interrupted(lambda: start(options)[0], logger=_LOGGER)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``dicomnet echoscp`` with ``argv`` (default: ``sys.argv[1:]``).

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after the command name.

    Returns
    -------
    int
        The exit status: 0 once interrupted, else why it could not start.
    """
    return run_app(build_parser, serve, argv, logger=_LOGGER, default_level="info")


if __name__ == "__main__":
    sys.exit(main())
