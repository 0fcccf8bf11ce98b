"""``dicomnet echoscu``: check that a DICOM peer answers (Verification SCU).

Requests an association proposing the Verification SOP Class (PS3.4 Annex A),
sends one C-ECHO request (PS3.7 9.1.5) or ``--repeat`` of them, then releases
the association (or aborts it with ``--abort``)::

    dicomnet echoscu -aec STORESCP -v 127.0.0.1 11112

The options are those of DCMTK's ``echoscu``. The exit status says what went
wrong, each failure also printed as one ``E:`` line on stderr:

==  ===========================================================================
0   every C-ECHO was answered with Success
1   a C-ECHO failed: a non-Success status, or the Verification context refused
2   bad command line, or TLS files that cannot be loaded
3   the association was rejected (A-ASSOCIATE-RJ)
4   the association was aborted (A-ABORT, or no answer within a timeout)
5   no connection: refused, unreachable or timed out
==  ===========================================================================
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING, Final

from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
)

from dicomnet import AE
from dicomnet.apps._common import (
    EXIT_FAILURE,
    EXIT_OK,
    AppError,
    AssociationOutcome,
    aborted_error,
    add_general_options,
    add_timeout_options,
    add_tls_options,
    ae_title,
    make_parser,
    port_number,
    positive_count,
    request_association,
    timeout,
)
from dicomnet.apps._runner import run_app
from dicomnet.sop_class import Verification
from dicomnet.status import VERIFICATION_SERVICE_CLASS_STATUS

if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence

    from dicomnet.association import Association

__all__ = ["build_parser", "main"]

_LOGGER = logging.getLogger(__name__)

#: PS3.7 9.1.5.1.1: Message IDs are 16-bit; a long --repeat wraps 65535 -> 1.
_MAX_MESSAGE_ID: Final = 0xFFFF

# PS3.8 9.3.3.2 Table 9-18: why a presentation context was not accepted.
_CONTEXT_RESULTS: Final = {
    1: "user rejection",
    2: "no reason (provider rejection)",
    3: "abstract syntax not supported",
    4: "transfer syntaxes not supported",
}

# What -xi/-xe/-xb propose, and the proposal without any of them: the
# uncompressed transfer syntaxes PS3.5 Section 10 defines.
_DEFAULT_SYNTAXES: Final = (
    ImplicitVRLittleEndian,
    ExplicitVRLittleEndian,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
)


def build_parser() -> argparse.ArgumentParser:
    """Return the command-line parser of ``dicomnet echoscu``."""
    parser = make_parser(
        "dicomnet echoscu", "Send C-ECHO requests to a DICOM peer (Verification SCU)."
    )
    parser.add_argument("peer", help="host name or IP address of the peer")
    parser.add_argument("port", type=port_number, help="TCP port of the peer")
    add_general_options(parser)
    titles = parser.add_argument_group("application entity titles")
    titles.add_argument(
        "-aet",
        "--aetitle",
        type=ae_title,
        default="ECHOSCU",
        help="our (calling) AE title (default: ECHOSCU)",
    )
    titles.add_argument(
        "-aec",
        "--call",
        type=ae_title,
        default="ANY-SCP",
        help="the peer's (called) AE title (default: ANY-SCP)",
    )
    add_timeout_options(parser)
    _add_echo_options(parser)
    add_tls_options(parser, server=False)
    return parser


def _add_echo_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("other network options")
    group.add_argument(
        "-to",
        "--timeout",
        type=timeout,
        default=None,
        metavar="SECONDS",
        help="timeout for connection requests (default: none)",
    )
    group.add_argument(
        "-r",
        "--repeat",
        type=positive_count,
        default=1,
        metavar="N",
        help="send N C-ECHOs",
    )
    group.add_argument(
        "--abort",
        action="store_true",
        help="abort the association instead of releasing it",
    )
    syntaxes = parser.add_argument_group(
        "proposed transfer syntaxes (default: all uncompressed ones)"
    )
    for flags, uid, name in (
        (("-xi", "--request-implicit"), ImplicitVRLittleEndian, "implicit VR LE"),
        (("-xe", "--request-little"), ExplicitVRLittleEndian, "explicit VR LE"),
        (("-xb", "--request-big"), ExplicitVRBigEndian, "explicit VR BE"),
    ):
        syntaxes.add_argument(
            *flags,
            dest="syntaxes",
            action="append_const",
            const=uid,
            help=f"propose {name} (repeatable with the others)",
        )


def _check_context(assoc: Association) -> None:
    """Fail unless the peer accepted the Verification context (PS3.8 9.3.3.2)."""
    if assoc.accepted_contexts:
        return
    results = [cx.result or 0 for cx in assoc.rejected_contexts]
    why = _CONTEXT_RESULTS.get(results[0], "rejected") if results else "rejected"
    raise AppError(
        f"The peer accepted the association but not the Verification context: {why}",
        EXIT_FAILURE,
    )


def _echo_once(assoc: Association, outcome: AssociationOutcome, number: int) -> int:
    """Send C-ECHO number ``number`` and return its status (PS3.7 9.3.5)."""
    msg_id = (number - 1) % _MAX_MESSAGE_ID + 1
    _LOGGER.info("Sending Echo Request: MsgID %d", msg_id)
    try:
        status = assoc.send_c_echo(msg_id)
    except RuntimeError:
        status = None  # the association ended before the request could go
    if status is not None and "Status" in status:
        return int(status.Status)
    raise aborted_error(outcome, "C-ECHO response")


def _echo(assoc: Association, outcome: AssociationOutcome, repeat: int) -> int:
    """Send ``repeat`` C-ECHOs; return EXIT_FAILURE if any was not Success."""
    result = EXIT_OK
    for number in range(1, repeat + 1):
        code = _echo_once(assoc, outcome, number)
        category, text = VERIFICATION_SERVICE_CLASS_STATUS.get(
            code, ("Unknown", "unknown status")
        )
        if code == 0:
            _LOGGER.info("Received Echo Response (Status: Success)")
        else:
            _LOGGER.error("C-ECHO failed: status 0x%04X (%s: %s)", code, category, text)
            result = EXIT_FAILURE
    return result


def _make_ae(options: argparse.Namespace) -> AE:
    ae = AE(ae_title=options.aetitle)
    ae.acse_timeout = options.acse_timeout
    ae.dimse_timeout = options.dimse_timeout
    ae.network_timeout = options.network_timeout
    ae.connection_timeout = options.timeout
    syntaxes = list(dict.fromkeys(options.syntaxes or _DEFAULT_SYNTAXES))
    ae.add_requested_context(Verification, syntaxes)
    return ae


def run(options: argparse.Namespace) -> int:
    """Run echoscu with parsed ``options``; return the exit status.

    Raises
    ------
    AppError
        The association could not be established, or ended too early.
    """
    ae = _make_ae(options)
    outcome = AssociationOutcome()
    assoc = request_association(ae, options, outcome)
    try:
        _check_context(assoc)
        return _echo(assoc, outcome, options.repeat)
    finally:
        if assoc.is_established and options.abort:
            _LOGGER.info("Aborting Association")
            assoc.abort()
        elif assoc.is_established:
            _LOGGER.info("Releasing Association")
            assoc.release()


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``dicomnet echoscu`` with ``argv`` (default: ``sys.argv[1:]``).

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
