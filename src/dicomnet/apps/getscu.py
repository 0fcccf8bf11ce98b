r"""``dicomnet getscu``: retrieve instances over the query's association (C-GET SCU).

Sends a C-GET request (PS3.4 C.4.3, PS3.7 9.1.3) built like ``findscu``'s
query; the peer sends the matching instances back over the same association
as C-STORE sub-operations, which this SCU answers as a Storage SCP, writing
each instance to the output directory::

    dicomnet getscu -S -k QueryRetrieveLevel=STUDY \\
        -k StudyInstanceUID=1.2.3 -od incoming 127.0.0.1 11112

The options are those of DCMTK's ``getscu`` where they apply. Choices of our
own:

- The default information model is Patient Root (``-P``), as DCMTK's.
- Besides the C-GET context, the association proposes the 120 storage SOP
  Classes of ``StoragePresentationContexts`` (the 128-context limit of PS3.8
  9.3.2.2 leaves no room for all of them), each with an SCP/SCU Role
  Selection item asking for the SCP role (PS3.7 D.3.3.4), in the
  uncompressed transfer syntaxes; ``+xa`` proposes every transfer syntax,
  ``+xi`` implicit VR little endian only.
- Instances are named and written as ``storescp`` does: ``CT.<SOP Instance
  UID>`` in ``-od``, under a temporary name first, then renamed; the library
  spools large data sets to disk as they arrive. A failed write answers
  ``0xA700`` (Refused: out of resources, PS3.4 B.2.3). ``--ignore`` stores
  nothing.
- Each response is logged with its sub-operation counts (``-v``);
  ``--progress`` draws a progress bar from them, shown by default on a
  terminal. A summary ends the run.

==  ===========================================================================
0   every request ended with Success, with Warning when no sub-operation
    failed, or with Cancel after ``--cancel``
1   a request failed: a failure status, failed sub-operations, an unasked-for
    Cancel, no acceptable presentation context, an unreadable query file, an
    instance not written
2   bad command line, missing output directory, TLS files that cannot load
3   the association was rejected (A-ASSOCIATE-RJ)
4   the association was aborted (A-ABORT, or no answer within a timeout)
5   no connection: refused, unreachable or timed out
==  ===========================================================================
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
import threading
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TextIO

from pydicom.uid import ImplicitVRLittleEndian

# tqdm ships no type information of its own; types-tqdm may be installed.
from tqdm import tqdm  # type: ignore[import-untyped, unused-ignore]
from tqdm.contrib.logging import (  # type: ignore[import-untyped, unused-ignore]
    logging_redirect_tqdm,
)

from dicomnet import (
    ALL_TRANSFER_SYNTAXES,
    DEFAULT_TRANSFER_SYNTAXES,
    StoragePresentationContexts,
    build_context,
    build_role,
    evt,
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
from dicomnet.apps._progress import add_progress_options, progress_wanted
from dicomnet.apps._query import (
    MODELS,
    PENDING,
    QuerySession,
    add_query_options,
    build_identifiers,
    describe_status,
    dump,
)
from dicomnet.apps._runner import run_app
from dicomnet.apps.storescp import chunked_receiving, instance_filename
from dicomnet.status import QR_GET_SERVICE_CLASS_STATUS, code_to_category

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Iterator, Mapping, Sequence
    from types import TracebackType

    from pydicom.dataset import Dataset
    from typing_extensions import Self

    from dicomnet.association import Association
    from dicomnet.presentation import PresentationContext

__all__ = [
    "InstanceWriter",
    "Retrieval",
    "RetrieveProgress",
    "SubOperations",
    "add_retrieve_options",
    "build_parser",
    "check_output_directory",
    "main",
]

_LOGGER = logging.getLogger(__name__)

#: PS3.4 B.2.3, Table B.2-1: the C-STORE statuses this SCU answers with.
_SUCCESS: Final = 0x0000
_OUT_OF_RESOURCES: Final = 0xA700
#: PS3.8 9.3.2.2: at most 128 presentation contexts; one is the C-GET's.
_MAX_STORAGE_CONTEXTS: Final = 127


def build_parser() -> argparse.ArgumentParser:
    """Return the command-line parser of ``dicomnet getscu``."""
    parser = make_parser(
        "dicomnet getscu",
        "Retrieve DICOM instances over the query's association (C-GET SCU).",
    )
    add_query_options(
        parser,
        aetitle="GETSCU",
        models=["patient", "study", "psonly"],
        default_model="patient",
    )
    add_general_options(parser)
    add_timeout_options(parser)
    add_retrieve_options(parser, "proposed for the C-STORE sub-operations")
    add_progress_options(parser)
    add_tls_options(parser, server=False)
    return parser


def add_retrieve_options(parser: argparse.ArgumentParser, syntaxes: str) -> None:
    """Add ``+xa``, ``+xi``, ``-od`` and ``--ignore`` (getscu and movescu).

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The application's parser.
    syntaxes : str
        What the transfer syntax options apply to, for the help text.
    """
    group = parser.add_argument_group(f"transfer syntaxes {syntaxes}")
    choice = group.add_mutually_exclusive_group()
    choice.add_argument(
        "+xa",
        "--accept-all",
        dest="syntaxes",
        action="store_const",
        const=tuple(ALL_TRANSFER_SYNTAXES),
        help="every transfer syntax, compressed ones too (default: the "
        "uncompressed ones)",
    )
    choice.add_argument(
        "+xi",
        "--implicit",
        dest="syntaxes",
        action="store_const",
        const=(ImplicitVRLittleEndian,),
        help="implicit VR little endian only",
    )
    parser.set_defaults(syntaxes=tuple(DEFAULT_TRANSFER_SYNTAXES))
    output = parser.add_argument_group("output options")
    output.add_argument(
        "-od",
        "--output-directory",
        type=Path,
        default=Path(),
        metavar="DIRECTORY",
        help="write received instances to this existing directory (default: .)",
    )
    output.add_argument(
        "--ignore", action="store_true", help="receive the data but store nothing"
    )


# -- receiving the instances ---------------------------------------------------------


def _file_mode() -> int:
    """Return the mode a new file gets here: 0666 less the umask."""
    # Reading the umask means setting it; done once, before any handler runs.
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


class InstanceWriter:
    """The ``evt.EVT_C_STORE`` handler: writes each instance to a directory.

    A file is written under a temporary name in the directory, then renamed
    to its ``storescp`` name: no reader ever sees half a file. Handlers of
    several associations may run at once (``movescu +P``).

    Parameters
    ----------
    directory : pathlib.Path
        Where to write.
    ignore : bool
        Receive, answer Success, write nothing.

    Attributes
    ----------
    received, written, failed : int
        Instances received, written, not written.
    """

    def __init__(self, directory: Path, *, ignore: bool) -> None:
        self.directory = directory
        self.ignore = ignore
        self.received = 0
        self.written = 0
        self.failed = 0
        self._mode = _file_mode()
        self._lock = threading.Lock()

    def __call__(self, event: evt.Event) -> int:
        """Store the instance of a C-STORE request; return its status."""
        request: Any = getattr(event, "request")  # noqa: B009  (set per event)
        name = instance_filename(
            str(request.AffectedSOPClassUID), str(request.AffectedSOPInstanceUID)
        )
        with self._lock:
            self.received += 1
        _LOGGER.info("Received Store Request (MsgID %d, %s)", event.message_id, name)
        if self.ignore:
            return _SUCCESS
        try:
            target = self._write(event, name)
        except OSError as exc:
            _LOGGER.error("Cannot store %s in %s: %s", name, self.directory, exc)  # noqa: TRY400  (one line)
            with self._lock:
                self.failed += 1
            # PS3.4 B.2.3: "Refused: Out of Resources" fits a full disk best.
            return _OUT_OF_RESOURCES
        with self._lock:
            self.written += 1
        _LOGGER.info("Stored %s", target)
        return _SUCCESS

    def _write(self, event: evt.Event, name: str) -> Path:
        fd, temp = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".part")
        staged = Path(temp)
        try:
            # Spooled by the library (chunked receiving), or in memory.
            spooled: Path | None = getattr(event, "dataset_path", None)
            with os.fdopen(fd, "wb") as handle:
                if spooled is None:
                    handle.write(event.encoded_dataset(include_meta=True))
            if spooled is not None:
                try:
                    Path(spooled).replace(staged)  # a rename within one disk
                except OSError:
                    shutil.copyfile(spooled, staged)
            # Temporary files are private (0600); a stored one is not.
            staged.chmod(self._mode)
            target = self.directory / name
            staged.replace(target)
        except OSError:
            staged.unlink(missing_ok=True)
            raise
        return target


# -- sub-operations and progress -------------------------------------------------------


@dataclass
class SubOperations:
    """The four counts of a C-GET or C-MOVE response (PS3.7 Table 9.3-7).

    Attributes
    ----------
    remaining : int or None
        Number of Remaining Sub-operations, when the response has it.
    completed, failed, warning : int
        The others; 0 when absent.
    """

    remaining: int | None = None
    completed: int = 0
    failed: int = 0
    warning: int = 0

    @classmethod
    def from_status(cls, status: Dataset) -> SubOperations:
        """Return the counts in a response's status."""
        remaining = status.get("NumberOfRemainingSuboperations")
        return cls(
            None if remaining is None else int(remaining),
            int(status.get("NumberOfCompletedSuboperations") or 0),
            int(status.get("NumberOfFailedSuboperations") or 0),
            int(status.get("NumberOfWarningSuboperations") or 0),
        )

    @property
    def done(self) -> int:
        """Completed, failed or with a warning."""
        return self.completed + self.failed + self.warning

    def text(self) -> str:
        """Return the counts in words."""
        remaining = "" if self.remaining is None else f"{self.remaining} remaining, "
        return (
            f"{remaining}{self.completed} completed, {self.failed} failed, "
            f"{self.warning} warning"
        )


class RetrieveProgress:
    """Sub-operations done out of the total, as one tqdm bar.

    The totals come from the responses' counts (remaining + done); several
    requests add up. Disabled, every method does nothing.

    Parameters
    ----------
    enabled : bool
        Whether to show the bar at all.
    stream : TextIO, optional
        Where to draw it (default: ``sys.stderr`` at construction).
    """

    def __init__(self, *, enabled: bool, stream: TextIO | None = None) -> None:
        self._enabled = enabled
        self._stream = sys.stderr if stream is None else stream
        self._bar: Any = None  # a tqdm, untyped
        self._stack = ExitStack()
        self._before = 0  # sub-operations of the requests already finished

    def __enter__(self) -> Self:
        """Draw the bar and route the ``dicomnet`` log lines above it."""
        if self._enabled:
            self._bar = self._stack.enter_context(
                tqdm(
                    total=None,
                    desc="Retrieving",
                    unit=" instances",
                    file=self._stream,
                    dynamic_ncols=True,
                    smoothing=0,
                )
            )
            self._stack.enter_context(
                logging_redirect_tqdm(loggers=[logging.getLogger("dicomnet")])
            )
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Close the bar, leaving its last state on the screen."""
        self._stack.close()
        self._bar = None

    def update(self, counts: SubOperations, *, final: bool = False) -> None:
        """Show the counts of the current request's latest response.

        Parameters
        ----------
        counts : SubOperations
            From the response.
        final : bool, optional
            Whether it is the request's final response.
        """
        done = self._before + counts.done
        if final:
            self._before = done
        if self._bar is None:
            return
        self._bar.total = done + (counts.remaining or 0)
        self._bar.n = done
        self._bar.set_postfix_str(
            f"{counts.failed} failed, {counts.warning} warning", refresh=False
        )
        self._bar.refresh()


# -- the requests ----------------------------------------------------------------


class Retrieval:
    """Sends C-GET or C-MOVE requests, follows their sub-operations, judges them.

    Parameters
    ----------
    options : argparse.Namespace
        The parsed options.
    what : str
        ``Get`` or ``Move``, for messages.
    table : mapping
        The service's status table.
    writer : InstanceWriter or None
        Where received instances go, if they come to us.
    """

    def __init__(
        self,
        options: argparse.Namespace,
        what: str,
        table: Mapping[int, tuple[str, str]],
        writer: InstanceWriter | None,
    ) -> None:
        self.options = options
        self.what = what
        self.table = table
        self.writer = writer
        self.session = QuerySession(options)
        self.progress = RetrieveProgress(enabled=False)
        self.requests = 0
        self.failures = 0
        self.totals = SubOperations(remaining=None)

    def request(
        self,
        assoc: Association,
        send: Callable[[], Iterator[tuple[Dataset, Dataset | None]]],
        identifier: Dataset,
        message_id: int,
        sop_class: str,
    ) -> None:
        """Send one request with ``send()``; read its responses.

        Parameters
        ----------
        assoc : Association
            Where the request goes.
        send : callable
            Sends it; returns the library's response generator.
        identifier : pydicom.dataset.Dataset
            The request's identifier, for the log.
        message_id : int
            Its Message ID.
        sop_class : str
            Its SOP Class.
        """
        _LOGGER.info("Sending %s Request (MsgID %d)", self.what, message_id)
        # Dumps are built only to be shown.
        if _LOGGER.isEnabledFor(logging.INFO):
            for line in ["Request Identifier:", *dump(identifier)]:
                _LOGGER.info("%s", line)
        self.requests += 1
        responses = self.session.responses(
            assoc, send, what=self.what, message_id=message_id, sop_class=sop_class
        )
        try:
            for number, (status, failed_list) in enumerate(responses, 1):
                counts = SubOperations.from_status(status)
                if int(status.Status) not in PENDING:
                    self.progress.update(counts, final=True)
                    self._final(status, counts, failed_list)
                    break
                self.progress.update(counts)
                _LOGGER.info(
                    "Received %s Response %d (%s): %s",
                    self.what,
                    number,
                    describe_status(status, self.table),
                    counts.text(),
                )
        except AppError:
            self.failures += 1
            raise

    def _final(
        self, status: Dataset, counts: SubOperations, failed_list: Dataset | None
    ) -> None:
        """Judge a final response (PS3.4 C.4.2.1.5, C.4.3.1.4)."""
        text = describe_status(status, self.table)
        _LOGGER.info("Received Final %s Response (%s)", self.what, text)
        _LOGGER.info("Sub-operations: %s", counts.text())
        self.totals.completed += counts.completed
        self.totals.failed += counts.failed
        self.totals.warning += counts.warning
        # PS3.4 C.4.2.1.4.2, C.4.3.1.3.2: the UIDs of the failed sub-operations.
        uids = (
            None if failed_list is None else failed_list.get("FailedSOPInstanceUIDList")
        )
        if uids:
            listed = [uids] if isinstance(uids, str) else list(uids)
            _LOGGER.warning("Failed SOP Instances: %s", ", ".join(map(str, listed)))
        category = code_to_category(int(status.Status))
        if (
            category == "Success"
            or (category == "Warning" and not counts.failed)
            or (category == "Cancel" and self.options.cancel)
        ):
            return
        _LOGGER.error(
            "%s failed: %s (%d sub-operations failed)", self.what, text, counts.failed
        )
        self.failures += 1

    def run(
        self,
        identifiers: Sequence[Dataset],
        contexts: Sequence[PresentationContext],
        operation: Callable[[Association, Dataset, int], None],
        **negotiation: Any,  # noqa: ANN401  (QuerySession.run's ext_neg, handlers)
    ) -> int:
        """Run every request with a progress bar; return the exit status.

        Parameters
        ----------
        identifiers : sequence of pydicom.dataset.Dataset
            One request each.
        contexts : sequence of PresentationContext
            What to propose.
        operation : callable
            As for :meth:`QuerySession.run`; it calls :meth:`request`.
        **negotiation
            ``ext_neg`` and ``handlers`` for the association.

        Returns
        -------
        int
            The exit status (see the module's documentation).
        """
        # How many instances come is known only from the first response: as
        # for many files, the bar is shown on a terminal.
        wanted = progress_wanted(2, sys.stderr, choice=self.options.progress)
        status = EXIT_OK
        try:
            with (
                RetrieveProgress(enabled=wanted) as self.progress,
                chunked_receiving(enabled=True),
            ):
                self.session.run(identifiers, contexts, operation, **negotiation)
        except AppError as exc:
            # Reported here, so that the summary comes last.
            _LOGGER.error("%s", exc)  # noqa: TRY400  (a one-line report, no traceback)
            status = exc.status
        failed = self.failures + (self.writer.failed if self.writer else 0)
        clean = status == EXIT_OK and not failed
        _LOGGER.log(logging.INFO if clean else logging.WARNING, "%s", self.summary())
        return EXIT_FAILURE if status == EXIT_OK and failed else status

    def summary(self) -> str:
        """Return the run in one line: requests, sub-operations, files."""
        text = (
            f"{self.requests} {self.what} requests, {self.failures} failed; "
            f"sub-operations: {self.totals.text()}"
        )
        writer = self.writer
        if writer is None:
            return text
        if writer.ignore:
            return f"{text}; {writer.received} instances received, none stored"
        return (
            f"{text}; {writer.received} instances received, {writer.written} "
            f"written to {writer.directory}, {writer.failed} not written"
        )


def check_output_directory(options: argparse.Namespace) -> InstanceWriter:
    """Return the writer for ``-od``/``--ignore``, once the directory is checked.

    Parameters
    ----------
    options : argparse.Namespace
        The parsed options.

    Returns
    -------
    InstanceWriter
        Writing into ``options.output_directory``.

    Raises
    ------
    AppError
        The directory does not exist (exit status 2).
    """
    directory: Path = options.output_directory
    if not options.ignore and not directory.is_dir():
        raise AppError(f"The output directory {directory} does not exist", EXIT_USAGE)
    return InstanceWriter(directory, ignore=options.ignore)


def _contexts(
    sop_class: str, options: argparse.Namespace
) -> tuple[list[PresentationContext], list[Any]]:
    """Return the C-GET context, the storage contexts and their SCP roles."""
    contexts = [build_context(sop_class, list(options.proposal))]
    roles = []
    for cx in StoragePresentationContexts[:_MAX_STORAGE_CONTEXTS]:
        uid = str(cx.abstract_syntax)
        contexts.append(build_context(uid, list(options.syntaxes)))
        # PS3.4 C.4.3.3 / PS3.7 D.3.3.4: we are the SCP of the sub-operations.
        roles.append(build_role(uid, scp_role=True))
    return contexts, roles


def run(options: argparse.Namespace) -> int:
    """Run getscu with parsed ``options``; return the exit status.

    Raises
    ------
    AppError
        A query file cannot be read, there is nothing to query, or the
        output directory does not exist.
    """
    writer = check_output_directory(options)
    identifiers = build_identifiers(options.files, options.keys)
    sop_class = MODELS[options.model].get
    assert sop_class is not None  # noqa: S101  (-W is not offered)
    retrieval = Retrieval(options, "Get", QR_GET_SERVICE_CLASS_STATUS, writer)

    def get(assoc: Association, identifier: Dataset, message_id: int) -> None:
        def send() -> Iterator[tuple[Dataset, Dataset | None]]:
            return assoc.send_c_get(identifier, sop_class, msg_id=message_id)

        retrieval.request(assoc, send, identifier, message_id, sop_class)

    contexts, roles = _contexts(sop_class, options)
    return retrieval.run(
        identifiers,
        contexts,
        get,
        ext_neg=roles,
        handlers=[(evt.EVT_C_STORE, writer)],
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``dicomnet getscu`` with ``argv`` (default: ``sys.argv[1:]``).

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
