r"""``dicomnet findscu``: query a peer's information model (C-FIND SCU).

Builds an Identifier from a query file and the ``-k`` keys, sends it in a
C-FIND request (PS3.4 C.4.1, PS3.7 9.1.2) and prints each match the peer
answers with, then releases the association::

    dicomnet findscu -S -k QueryRetrieveLevel=STUDY -k PatientName=Doe* \\
        -k StudyInstanceUID 127.0.0.1 11112
    dicomnet findscu -W -k "ScheduledProcedureStepSequence[0].Modality=CT" \\
        -k PatientName 127.0.0.1 11112

The options are those of DCMTK's ``findscu`` where they apply; the keys'
syntax is described in :mod:`dicomnet.apps._query`. Choices of our own:

- The default information model is Modality Worklist (``-W``), as DCMTK's;
  ``-P``, ``-S`` and ``-O`` choose Query/Retrieve Patient Root, Study Root
  and the retired Patient/Study Only.
- Each query file is one request, changed by the ``-k`` keys; without
  files one request of the keys alone is sent. ``--repeat`` sends them all
  again, on the same association.
- Each response is printed as ``I: Find Response: 1 (Pending)`` followed
  by the match, one line per element, even without ``-v`` (``+sr``, the
  default unless ``-X``); ``-sr`` hides them, ``-q`` hides everything.
- ``-X`` writes each match to ``rsp0001.dcm``, ``rsp0002.dcm``... in the
  ``-od`` directory, written under a temporary name and renamed: a DICOM
  file in explicit VR little endian whose Media Storage SOP Class is the
  information model's C-FIND SOP Class (a match is no composite instance).
- ``--cancel N`` sends a C-CANCEL after N matches (PS3.7 9.3.2.3); the
  peer answers with status Cancel, or finishes first.
- A summary ends the run.

==  ===========================================================================
0   every request ended with Success or Warning, or Cancel after ``--cancel``
1   a request failed: a failure status, an unasked-for Cancel, no acceptable
    presentation context, an unreadable query file, a match not written
2   bad command line, or TLS files that cannot be loaded
3   the association was rejected (A-ASSOCIATE-RJ)
4   the association was aborted (A-ABORT, or no answer within a timeout)
5   no connection: refused, unreachable or timed out
==  ===========================================================================
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from pydicom import dcmwrite
from pydicom.dataset import FileMetaDataset
from pydicom.uid import UID, ExplicitVRLittleEndian, generate_uid

from dicomnet import (
    DICOMNET_IMPLEMENTATION_UID,
    DICOMNET_IMPLEMENTATION_VERSION,
    build_context,
)
from dicomnet.apps._common import (
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_USAGE,
    AppError,
    add_general_options,
    add_timeout_options,
    add_tls_options,
    make_parser,
)
from dicomnet.apps._query import (
    MODELS,
    PENDING,
    QueryModel,
    QuerySession,
    add_query_options,
    build_identifiers,
    describe_status,
    dump,
)
from dicomnet.apps._runner import run_app
from dicomnet.status import (
    MODALITY_WORKLIST_SERVICE_CLASS_STATUS,
    QR_FIND_SERVICE_CLASS_STATUS,
    code_to_category,
)

if TYPE_CHECKING:
    import argparse
    from collections.abc import Iterator, Sequence

    from pydicom.dataset import Dataset

    from dicomnet.association import Association

__all__ = ["build_parser", "main"]

_LOGGER = logging.getLogger(__name__)
#: The matches: shown without -v unless hidden (see _responses_shown).
_RESPONSES = logging.getLogger(f"{__name__}.responses")


def build_parser() -> argparse.ArgumentParser:
    """Return the command-line parser of ``dicomnet findscu``."""
    parser = make_parser(
        "dicomnet findscu", "Query a DICOM peer's information model (C-FIND SCU)."
    )
    add_query_options(
        parser,
        aetitle="FINDSCU",
        models=["worklist", "patient", "study", "psonly"],
        default_model="worklist",
    )
    add_general_options(parser)
    add_timeout_options(parser)
    add_tls_options(parser, server=False)
    output = parser.add_argument_group("output options")
    output.add_argument(
        "-od",
        "--output-directory",
        type=Path,
        default=Path(),
        metavar="DIRECTORY",
        help="write -X files to this existing directory (default: .)",
    )
    shown = output.add_mutually_exclusive_group()
    shown.add_argument(
        "+sr",
        "--show-responses",
        dest="show_responses",
        action="store_const",
        const=True,
        help="always print the matches (default unless -X)",
    )
    shown.add_argument(
        "-sr",
        "--hide-responses",
        dest="show_responses",
        action="store_const",
        const=False,
        help="never print the matches",
    )
    output.add_argument(
        "-X",
        "--extract",
        action="store_true",
        help="write each match to a file: rsp0001.dcm, rsp0002.dcm...",
    )
    return parser


@contextmanager
def _responses_shown(options: argparse.Namespace) -> Iterator[None]:
    """Let the matches through at the level the options ask for, meanwhile.

    Logged at INFO on their own logger: with its level at INFO they pass
    whatever the ``dicomnet`` logger's level, except -q; at WARNING never.
    """
    show = options.show_responses
    saved = _RESPONSES.level
    if options.log_level != "quiet":
        if show or (show is None and not options.extract):
            _RESPONSES.setLevel(logging.INFO)
        elif show is False:
            _RESPONSES.setLevel(logging.WARNING)
    try:
        yield
    finally:
        _RESPONSES.setLevel(saved)


class _Finder:
    """Sends the C-FIND requests and keeps count of what came back."""

    def __init__(self, options: argparse.Namespace) -> None:
        self.options = options
        self.model: QueryModel = MODELS[options.model]
        self.table = (
            MODALITY_WORKLIST_SERVICE_CLASS_STATUS
            if options.model == "worklist"
            else QR_FIND_SERVICE_CLASS_STATUS
        )
        self.session = QuerySession(options)
        self.requests = 0
        self.matches = 0
        self.failures = 0
        self.extracted = 0
        self._files = 0  # names taken: rsp0001.dcm...

    def find(self, assoc: Association, identifier: Dataset, message_id: int) -> None:
        """Send one C-FIND request; read its responses (PS3.4 C.4.1.2)."""
        sop_class = self.model.find
        _LOGGER.info("Sending Find Request (MsgID %d)", message_id)
        # Dumps are built only to be shown: they cost more than the exchange.
        if _LOGGER.isEnabledFor(logging.INFO):
            for line in ["Request Identifier:", *dump(identifier)]:
                _LOGGER.info("%s", line)
        self.requests += 1
        responses = self.session.responses(
            assoc,
            lambda: assoc.send_c_find(identifier, sop_class, msg_id=message_id),
            what="Find",
            message_id=message_id,
            sop_class=sop_class,
        )
        try:
            for number, (status, match) in enumerate(responses, 1):
                if int(status.Status) not in PENDING:
                    self._final(status)
                    break
                self._match(number, status, match)
        except AppError:
            self.failures += 1
            raise

    def _match(self, number: int, status: Dataset, match: Dataset | None) -> None:
        self.matches += 1
        _RESPONSES.info(
            "Find Response: %d (%s)", number, describe_status(status, self.table)
        )
        if match is None:
            # PS3.4 C.4.1.1.3.2: a Pending response carries the match.
            _LOGGER.warning("Find Response %d has no identifier to show", number)
            return
        if _RESPONSES.isEnabledFor(logging.INFO):
            for line in dump(match):
                _RESPONSES.info("%s", line)
        if self.options.extract:
            self._extract(match)

    def _final(self, status: Dataset) -> None:
        """Judge the final response (PS3.4 C.4.1.1.4, Table C.4-1)."""
        text = describe_status(status, self.table)
        category = code_to_category(int(status.Status))
        _LOGGER.info("Received Final Find Response (%s)", text)
        if category == "Success":
            return
        if category == "Warning" or (category == "Cancel" and self.options.cancel):
            _LOGGER.warning("Find ended with status %s", text)
            return
        _LOGGER.error("Find failed: %s", text)
        self.failures += 1

    def _extract(self, match: Dataset) -> None:
        """Write a match to ``rspNNNN.dcm``: a temporary file, then renamed."""
        self._files += 1
        directory: Path = self.options.output_directory
        target = directory / f"rsp{self._files:04d}.dcm"
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = UID(self.model.find)
        meta.MediaStorageSOPInstanceUID = generate_uid()
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        meta.ImplementationClassUID = DICOMNET_IMPLEMENTATION_UID
        meta.ImplementationVersionName = DICOMNET_IMPLEMENTATION_VERSION
        match.file_meta = meta
        fd, temp = tempfile.mkstemp(dir=directory, prefix=".", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as handle:
                dcmwrite(handle, match, enforce_file_format=True)
            Path(temp).replace(target)
        except OSError as exc:
            Path(temp).unlink(missing_ok=True)
            _LOGGER.error("Cannot write %s: %s", target, exc.strerror or exc)  # noqa: TRY400  (one line)
            self.failures += 1
            return
        self.extracted += 1
        _LOGGER.info("Wrote %s", target)

    def summary(self) -> str:
        extracted = (
            f", {self.extracted} written to files" if self.options.extract else ""
        )
        return (
            f"{self.matches} matches{extracted} from {self.requests} Find requests, "
            f"{self.failures} failed"
        )


def run(options: argparse.Namespace) -> int:
    """Run findscu with parsed ``options``; return the exit status.

    Raises
    ------
    AppError
        A query file cannot be read, there is nothing to query, or the
        ``-X`` directory does not exist.
    """
    if options.extract and not options.output_directory.is_dir():
        raise AppError(
            f"The output directory {options.output_directory} does not exist",
            EXIT_USAGE,
        )
    identifiers = build_identifiers(options.files, options.keys)
    finder = _Finder(options)
    context = build_context(finder.model.find, list(options.proposal))
    status = EXIT_OK
    with _responses_shown(options):
        try:
            finder.session.run(identifiers, [context], finder.find)
        except AppError as exc:
            # Reported here, so that the summary comes last.
            _LOGGER.error("%s", exc)  # noqa: TRY400  (a one-line report, no traceback)
            status = exc.status
    clean = status == EXIT_OK and not finder.failures
    _LOGGER.log(logging.INFO if clean else logging.WARNING, "%s", finder.summary())
    if status == EXIT_OK and finder.failures:
        status = EXIT_FAILURE
    return status


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``dicomnet findscu`` with ``argv`` (default: ``sys.argv[1:]``).

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
