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
    add_general_options,
    add_timeout_options,
    add_tls_options,
    make_parser,
    port_number,
    server_tls,
)
from dicomnet.apps._runner import (
    AssociationLog,
    add_network_options,
    listen,
    log_start,
    peer_name,
    run_app,
    serve_until_interrupted,
    server_ae,
)
from dicomnet.sop_class import Verification

if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence

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
    add_network_options(parser, aetitle="ECHOSCP", processes=False, calling_aet=True)
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


def _on_c_echo(event: evt.Event) -> int:
    _LOGGER.info(
        "Received C-ECHO request (MsgID %s) from %s",
        event.message_id,
        peer_name(event.assoc),
    )
    return _SUCCESS


_HANDLERS: Final[list[tuple[Any, Any]]] = [
    *AssociationLog(_LOGGER).handlers(),
    (evt.EVT_C_ECHO, _on_c_echo),
]


# -- serving ---------------------------------------------------------------------


def _make_ae(options: argparse.Namespace) -> AE:
    ae = server_ae(options)
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
    server = listen(ae, options, ssl_context=context, evt_handlers=_HANDLERS)
    log_start(_LOGGER, options, tls=context is not None, server=server)
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
