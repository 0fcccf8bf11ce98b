r"""``dicomnet movescu``: have a peer send instances to a Move Destination (C-MOVE SCU).

Sends a C-MOVE request (PS3.4 C.4.2, PS3.7 9.1.4) built like ``findscu``'s
query; the peer sends the matching instances to the Move Destination, a
Storage SCP it knows by AE title, over an association of its own, and
reports the sub-operations in its responses::

    dicomnet movescu -S -aem ARCHIVE -k QueryRetrieveLevel=STUDY \\
        -k StudyInstanceUID=1.2.3 127.0.0.1 11112
    dicomnet movescu -S +P 11113 -od incoming -k QueryRetrieveLevel=STUDY \\
        -k StudyInstanceUID=1.2.3 127.0.0.1 11112

The options are those of DCMTK's ``movescu`` where they apply. Choices of our
own:

- The default information model is Patient Root (``-P``), as DCMTK's.
- The Move Destination (``-aem``) defaults to our own AE title (``-aet``):
  with ``+P PORT``, we are the destination, listening on PORT (every
  interface, no TLS) while the request lasts and writing what arrives to
  ``-od`` as ``getscu`` does. The peer must know our AE title with this
  host and port. After the final response we wait, up to the ACSE timeout,
  for its sub-associations to end.
- The listener accepts every storage SOP Class in the uncompressed transfer
  syntaxes; ``+xa`` accepts every transfer syntax, ``+xi`` implicit VR little
  endian only.
- Each response is logged with its sub-operation counts (``-v``);
  ``--progress`` draws a progress bar from them, shown by default on a
  terminal. A summary ends the run.

==  ===========================================================================
0   every request ended with Success, with Warning when no sub-operation
    failed, or with Cancel after ``--cancel``
1   a request failed: a failure status (Move Destination unknown...), failed
    sub-operations, an unasked-for Cancel, no acceptable presentation
    context, an unreadable query file, an instance not written
2   bad command line, missing output directory, TLS files that cannot load
3   the association was rejected (A-ASSOCIATE-RJ)
4   the association was aborted (A-ABORT, or no answer within a timeout)
5   no connection, or ``+P``'s port cannot be listened on
==  ===========================================================================
"""

from __future__ import annotations

import logging
import sys
import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from dicomnet import AE, AllStoragePresentationContexts, build_context, evt
from dicomnet.apps._common import (
    EXIT_CONNECTION,
    AppError,
    add_general_options,
    add_timeout_options,
    add_tls_options,
    ae_title,
    make_parser,
    port_number,
)
from dicomnet.apps._progress import add_progress_options
from dicomnet.apps._query import MODELS, add_query_options, build_identifiers
from dicomnet.apps._runner import run_app
from dicomnet.apps.getscu import (
    InstanceWriter,
    Retrieval,
    add_retrieve_options,
    check_output_directory,
)
from dicomnet.sop_class import Verification
from dicomnet.status import QR_MOVE_SERVICE_CLASS_STATUS

if TYPE_CHECKING:
    import argparse
    from collections.abc import Iterator, Sequence

    from pydicom.dataset import Dataset

    from dicomnet.association import Association

__all__ = ["Receiver", "build_parser", "main", "receiving"]

_LOGGER = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    """Return the command-line parser of ``dicomnet movescu``."""
    parser = make_parser(
        "dicomnet movescu",
        "Have a DICOM peer send instances to a Move Destination (C-MOVE SCU).",
    )
    add_query_options(
        parser,
        aetitle="MOVESCU",
        models=["patient", "study", "psonly"],
        default_model="patient",
    )
    titles = parser.add_argument_group("move destination")
    titles.add_argument(
        "-aem",
        "--move",
        type=ae_title,
        default=None,
        metavar="AETITLE",
        help="the Move Destination's AE title (default: -aet)",
    )
    titles.add_argument(
        "+P",
        "--port",
        dest="listen_port",
        type=port_number,
        default=None,
        metavar="PORT",
        help="be the destination: receive the instances on PORT",
    )
    titles.add_argument(
        "--no-port",
        dest="listen_port",
        action="store_const",
        const=None,
        help="receive nothing: another AE is the destination (default)",
    )
    add_general_options(parser)
    add_timeout_options(parser)
    add_retrieve_options(parser, "accepted with +P")
    add_progress_options(parser)
    add_tls_options(parser, server=False)
    return parser


class Receiver:
    """The ``+P`` Storage SCP: counts its open connections, to wait for them.

    Parameters
    ----------
    ae : AE
        The listening AE.
    """

    def __init__(self, ae: AE) -> None:
        self.ae = ae
        self.port = 0
        self._open = 0
        self._changed = threading.Condition()

    def handlers(self, writer: InstanceWriter) -> list[tuple[Any, Any]]:
        """Return the server's handlers: storing, and counting connections."""
        return [
            (evt.EVT_C_STORE, writer),
            (evt.EVT_ACCEPTED, self._accepted),
            (evt.EVT_CONN_OPEN, self._opened),
            (evt.EVT_CONN_CLOSE, self._closed),
        ]

    def _accepted(self, event: evt.Event) -> None:
        requestor = event.assoc.requestor
        _LOGGER.info(
            "Sub-association accepted from %s (%s port %d)",
            requestor.ae_title,
            requestor.address,
            requestor.port,
        )

    def _opened(self, event: evt.Event) -> None:
        del event
        with self._changed:
            self._open += 1

    def _closed(self, event: evt.Event) -> None:
        del event
        with self._changed:
            self._open -= 1
            self._changed.notify_all()

    def wait_idle(self, timeout: float | None) -> bool:
        """Wait until no connection is open; return False on timeout.

        Parameters
        ----------
        timeout : float or None
            Seconds; ``None`` waits as long as it takes.

        Returns
        -------
        bool
            Whether every connection ended.
        """
        with self._changed:
            return self._changed.wait_for(lambda: self._open <= 0, timeout)


@contextmanager
def receiving(
    options: argparse.Namespace, writer: InstanceWriter | None
) -> Iterator[Receiver | None]:
    """Listen on ``+P``'s port meanwhile, if given; then stop listening.

    Parameters
    ----------
    options : argparse.Namespace
        The parsed options.
    writer : InstanceWriter or None
        The C-STORE handler; ``None`` without ``+P``.

    Yields
    ------
    Receiver or None
        The listener, ``None`` without ``+P``.

    Raises
    ------
    AppError
        The port cannot be listened on (exit status 5).
    """
    if writer is None:
        yield None
        return
    ae = AE(ae_title=options.aetitle)
    ae.acse_timeout = options.acse_timeout
    ae.dimse_timeout = options.dimse_timeout
    ae.network_timeout = options.network_timeout
    ae.maximum_pdu_size = options.max_pdu
    syntaxes = list(options.syntaxes)
    for context in AllStoragePresentationContexts:
        ae.add_supported_context(str(context.abstract_syntax), syntaxes)
    ae.add_supported_context(Verification, syntaxes)
    receiver = Receiver(ae)
    try:
        server = ae.start_server(
            ("", options.listen_port),
            block=False,
            evt_handlers=receiver.handlers(writer),
        )
    except OSError as exc:
        raise AppError(
            f"Cannot listen on port {options.listen_port}: {exc.strerror or exc}",
            EXIT_CONNECTION,
        ) from exc
    assert server is not None  # noqa: S101  (block=False returns the server)
    receiver.port = server.server_address[1]
    _LOGGER.info("Listening on port %d as %s", receiver.port, options.aetitle)
    try:
        yield receiver
        # The final response may come before the sub-association is released.
        if not receiver.wait_idle(options.acse_timeout):
            _LOGGER.warning("A sub-association is still open: aborting it")
    finally:
        ae.shutdown()


def run(options: argparse.Namespace) -> int:
    """Run movescu with parsed ``options``; return the exit status.

    Raises
    ------
    AppError
        A query file cannot be read, there is nothing to query, the output
        directory does not exist, or ``+P``'s port cannot be listened on.
    """
    receive = options.listen_port is not None
    writer = check_output_directory(options) if receive else None
    identifiers = build_identifiers(options.files, options.keys)
    sop_class = MODELS[options.model].move
    assert sop_class is not None  # noqa: S101  (-W is not offered)
    destination = options.move or options.aetitle
    retrieval = Retrieval(options, "Move", QR_MOVE_SERVICE_CLASS_STATUS, writer)

    def move(assoc: Association, identifier: Dataset, message_id: int) -> None:
        def send() -> Iterator[tuple[Dataset, Dataset | None]]:
            return assoc.send_c_move(
                identifier, destination, sop_class, msg_id=message_id
            )

        retrieval.request(assoc, send, identifier, message_id, sop_class)

    context = build_context(sop_class, list(options.proposal))
    _LOGGER.info("Move Destination: %s", destination)
    with receiving(options, writer):
        return retrieval.run(identifiers, [context], move)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``dicomnet movescu`` with ``argv`` (default: ``sys.argv[1:]``).

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after the command name.

    Returns
    -------
    int
        The exit status (see the module's documentation).
    """
    return run_app(build_parser, run, argv, logger=_LOGGER, default_level="warn")


if __name__ == "__main__":
    sys.exit(main())
