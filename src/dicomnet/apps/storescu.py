"""``dicomnet storescu``: send DICOM files to a peer (Storage SCU).

Reads the File Meta Information of each file (PS3.10 7.1), proposes the
presentation contexts the files need, sends each file with a C-STORE request
(PS3.4 B.2, PS3.7 9.1.1), then releases the association (or aborts it with
``--abort``)::

    dicomnet storescu -aec STORESCP -v 127.0.0.1 11112 ct1.dcm ct2.dcm
    dicomnet storescu +sd +r +sp '*.dcm' 127.0.0.1 11112 study/

The options are those of DCMTK's ``storescu`` where they apply. Choices of
our own:

- Only the contexts the files need are proposed, as with DCMTK's ``-R``
  (accepted, and a no-op here): one context per SOP Class carrying the
  uncompressed transfer syntaxes of ``-x=``/``-xe``/``-xb``/``-xi`` for its
  little endian files, and one per other transfer syntax a file is in
  (compressed, deflated, big endian), carrying that syntax only, since the
  library re-encodes within one byte order only; ``+C`` puts them all in
  one context per SOP Class.
  Should the contexts exceed the 128 one association can carry (PS3.8
  9.3.2.2), the files are sent over several associations in turn.
- ``--chunked`` (the default) streams a file from disk, without decoding it,
  whenever the peer accepted its own transfer syntax
  (``dicomnet._config.STORE_SEND_CHUNKED_DATASET``); any other file is
  decoded and re-encoded by the library. ``--no-chunked`` always decodes.
- A file that is not DICOM is skipped with a warning (an error, counted as a
  failure, with ``+fo``, or if it cannot be read at all). Without ``-nh``, the
  first failure stops the run: a bad input file before anything is sent, a
  failed C-STORE before the next file (the association is then released).
- A summary ends the run; ``--progress`` draws a progress bar on stderr,
  shown by default for several files on a terminal.

==  ===========================================================================
0   every file was stored (Success or Warning status)
1   a file failed: a failure status, no acceptable context, a bad input file
2   bad command line, or TLS files that cannot be loaded
3   the association was rejected (A-ASSOCIATE-RJ)
4   the association was aborted (A-ABORT, or no answer within a timeout)
5   no connection: refused, unreachable or timed out
==  ===========================================================================
"""

from __future__ import annotations

import logging
import sys
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path
from typing import TYPE_CHECKING, Final

from pydicom import dcmread
from pydicom.dataset import FileMetaDataset
from pydicom.errors import InvalidDicomError
from pydicom.filereader import read_file_meta_info
from pydicom.uid import (
    UID,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
)

from dicomnet import AE, _config, build_context
from dicomnet.apps._common import (
    EXIT_FAILURE,
    EXIT_OK,
    UNREADABLE,
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
from dicomnet.apps._progress import (
    TransferProgress,
    add_progress_options,
    progress_wanted,
)
from dicomnet.apps._runner import run_app
from dicomnet.status import STORAGE_SERVICE_CLASS_STATUS, code_to_category

if TYPE_CHECKING:
    import argparse
    from collections.abc import Iterator, Sequence

    from pydicom.dataset import Dataset

    from dicomnet.association import Association
    from dicomnet.presentation import PresentationContext

__all__ = [
    "Instance",
    "NotDicomError",
    "Plan",
    "build_parser",
    "find_files",
    "main",
    "plan_associations",
    "read_instance",
]

_LOGGER = logging.getLogger(__name__)

#: PS3.8 9.3.2.2: Presentation-context-IDs are the odd integers 1..255.
MAX_CONTEXTS: Final = 128
#: PS3.7 9.1.1.1: Message IDs are 16-bit; a long run wraps 65535 -> 1.
_MAX_MESSAGE_ID: Final = 0xFFFF
#: PS3.5 Section 10: the transfer syntaxes the library converts between,
#: within one byte order.
_NATIVE: Final = frozenset(
    {ImplicitVRLittleEndian, ExplicitVRLittleEndian, ExplicitVRBigEndian}
)
_LITTLE_ENDIAN: Final = frozenset({ImplicitVRLittleEndian, ExplicitVRLittleEndian})
_LITTLE_FIRST: Final = (
    ExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ImplicitVRLittleEndian,
)
_BIG_FIRST: Final = (
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
)
#: What -x=, -xe, -xb and -xi propose for uncompressed files, in order.
PROPOSALS: Final[dict[str, tuple[UID, ...]]] = {
    "local": _LITTLE_FIRST if sys.byteorder == "little" else _BIG_FIRST,
    "little": _LITTLE_FIRST,
    "big": _BIG_FIRST,
    "implicit": (ImplicitVRLittleEndian,),
}
#: (is implicit VR, is little endian) of a data set read without File Meta
#: Information -> its transfer syntax.
_ENCODINGS: Final[dict[tuple[bool | None, bool | None], UID]] = {
    (True, True): ImplicitVRLittleEndian,
    (False, True): ExplicitVRLittleEndian,
    (False, False): ExplicitVRBigEndian,
}


def build_parser() -> argparse.ArgumentParser:
    """Return the command-line parser of ``dicomnet storescu``."""
    parser = make_parser(
        "dicomnet storescu", "Send DICOM files to a peer (Storage SCU, C-STORE)."
    )
    parser.add_argument("peer", help="host name or IP address of the peer")
    parser.add_argument("port", type=port_number, help="TCP port of the peer")
    parser.add_argument(
        "files",
        nargs="+",
        metavar="dcmfile-in",
        help="DICOM file or directory to be sent",
    )
    add_general_options(parser)
    _add_input_options(parser)
    titles = parser.add_argument_group("application entity titles")
    titles.add_argument(
        "-aet",
        "--aetitle",
        type=ae_title,
        default="STORESCU",
        help="our (calling) AE title (default: STORESCU)",
    )
    titles.add_argument(
        "-aec",
        "--call",
        type=ae_title,
        default="ANY-SCP",
        help="the peer's (called) AE title (default: ANY-SCP)",
    )
    add_timeout_options(parser)
    _add_proposal_options(parser)
    _add_network_options(parser)
    add_progress_options(parser)
    add_tls_options(parser, server=False)
    parser.set_defaults(
        read_mode="auto",
        scan_directories=False,
        recurse=False,
        proposal="local",
        required=False,
        combine=False,
        abort=False,
        halt=True,
        chunked=True,
    )
    return parser


def _add_input_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("input options")
    mode = group.add_mutually_exclusive_group()
    for flags, const, text in (
        (("+f", "--read-file"), "auto", "read file format or data set (default)"),
        (("+fo", "--read-file-only"), "file", "read file format only"),
        (("-f", "--read-dataset"), "dataset", "read data set without file meta"),
    ):
        mode.add_argument(
            *flags, dest="read_mode", action="store_const", const=const, help=text
        )
    group.add_argument(
        "+sp",
        "--scan-pattern",
        metavar="PATTERN",
        help="send the files whose name matches PATTERN only (wildcards; +sd)",
    )
    _add_switches(
        group,
        (("+sd", "--scan-directories"), "scan_directories", True, "scan directories"),
        (("-r", "--no-recurse"), "recurse", False, "don't recurse (default)"),
        (("+r", "--recurse"), "recurse", True, "recurse within directories"),
    )


def _add_switches(
    group: argparse._ActionsContainer, *switches: tuple[tuple[str, ...], str, bool, str]
) -> None:
    """Add flags that set ``dest`` to a boolean (defaults: build_parser)."""
    for flags, dest, value, text in switches:
        group.add_argument(
            *flags, dest=dest, action="store_const", const=value, help=text
        )


def _add_proposal_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("proposed transfer syntaxes (uncompressed)")
    for flags, const, text in (
        (("-x=", "--propose-uncompr"), "local", "all, explicit VR local order first"),
        (("-xe", "--propose-little"), "little", "all, explicit VR LE first"),
        (("-xb", "--propose-big"), "big", "all, explicit VR BE first"),
        (("-xi", "--propose-implicit"), "implicit", "implicit VR LE only"),
    ):
        group.add_argument(
            *flags, dest="proposal", action="store_const", const=const, help=text
        )
    _add_switches(
        group,
        (("-R", "--required"), "required", True, "only contexts needed (always)"),
        (("+C", "--combine"), "combine", True, "one context per SOP Class"),
    )


def _add_network_options(parser: argparse.ArgumentParser) -> None:
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
        "--repeat", type=positive_count, default=1, metavar="N", help="send N times"
    )
    _add_switches(
        group,
        (("--abort",), "abort", True, "abort the association instead of releasing"),
        (("-nh", "--no-halt"), "halt", False, "don't stop at the first failure"),
        (("--chunked",), "chunked", True, "stream files in their own TS (default)"),
        (("--no-chunked",), "chunked", False, "always decode files before sending"),
    )


# -- input files -----------------------------------------------------------------


class NotDicomError(Exception):
    """A file that is not DICOM, or not in the form the options ask for."""


@dataclass(frozen=True)
class Instance:
    """One SOP Instance to send, as its file's header describes it.

    Attributes
    ----------
    path : pathlib.Path
        The file.
    sop_class, sop_instance, transfer_syntax : pydicom.uid.UID
        Its SOP Class, SOP Instance and the transfer syntax it is encoded in.
    has_meta : bool
        Whether the file has File Meta Information (PS3.10 7.1); without it
        the data set alone was read (``-f`` or ``+f``).
    size : int
        The file's size in bytes.
    """

    path: Path
    sop_class: UID
    sop_instance: UID
    transfer_syntax: UID
    has_meta: bool
    size: int


def find_files(
    names: Sequence[str],
    *,
    scan: bool,
    recurse: bool,
    pattern: str | None,
) -> list[Path]:
    """Return the files to send: the names given, with directories scanned.

    Parameters
    ----------
    names : sequence of str
        The ``dcmfile-in`` arguments.
    scan : bool
        ``+sd``: look into directories; without it a directory is ignored
        with a warning.
    recurse : bool
        ``+r``: also into their subdirectories.
    pattern : str or None
        ``+sp``: a shell wildcard the file names must match.

    Returns
    -------
    list of pathlib.Path
        In the order given; a directory's files sorted by path.
    """
    found: list[Path] = []
    for name in names:
        path = Path(name)
        if not path.is_dir():
            found.append(path)
        elif scan:
            walk = path.rglob("*") if recurse else path.glob("*")
            found += sorted(
                each
                for each in walk
                if each.is_file() and (pattern is None or fnmatch(each.name, pattern))
            )
        else:
            _LOGGER.warning("Ignoring directory %s (scan directories with +sd)", path)
    return found


def _valid_uid(value: object) -> bool:
    return isinstance(value, str) and _config.VALIDATORS["UI"](value)[0]


def _from_meta(path: Path, meta: Dataset, size: int) -> Instance:
    # PS3.10 Table 7.1-1: the three elements are Type 1.
    values = (
        meta.get("MediaStorageSOPClassUID"),
        meta.get("MediaStorageSOPInstanceUID"),
        meta.get("TransferSyntaxUID"),
    )
    if not all(_valid_uid(value) for value in values):
        raise NotDicomError(
            "the File Meta Information lacks a valid SOP Class, SOP Instance "
            "or Transfer Syntax UID"
        )
    sop_class, sop_instance, syntax = (UID(str(value)) for value in values)
    return Instance(path, sop_class, sop_instance, syntax, has_meta=True, size=size)


def _from_dataset(path: Path, size: int) -> Instance:
    keywords = ["SOPClassUID", "SOPInstanceUID"]
    ds = dcmread(path, force=True, stop_before_pixels=True, specific_tags=keywords)
    sop_class, sop_instance = (ds.get(keyword) for keyword in keywords)
    syntax = _ENCODINGS.get(ds.original_encoding)
    if not (_valid_uid(sop_class) and _valid_uid(sop_instance)) or syntax is None:
        raise NotDicomError("no SOP Class UID and SOP Instance UID found")
    uids = UID(str(sop_class)), UID(str(sop_instance))
    return Instance(path, *uids, syntax, has_meta=False, size=size)


def read_instance(path: Path, mode: str) -> Instance:
    """Read what identifies the SOP Instance in ``path``, not the whole file.

    Parameters
    ----------
    path : pathlib.Path
        The file.
    mode : str
        ``"auto"`` (``+f``): file format, else a bare data set; ``"file"``
        (``+fo``): file format only; ``"dataset"`` (``-f``): a data set.

    Returns
    -------
    Instance
        What to send.

    Raises
    ------
    NotDicomError
        The file is not DICOM (in the form ``mode`` accepts).
    OSError
        The file cannot be read.
    """
    size = path.stat().st_size
    # Malformed values make pydicom warn; the file is judged by what it
    # yields instead.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            if mode != "dataset":
                try:
                    return _from_meta(path, read_file_meta_info(path), size)
                except InvalidDicomError:
                    if mode == "file":
                        raise NotDicomError(
                            "no DICOM File Meta Information (PS3.10 7.1)"
                        ) from None
            return _from_dataset(path, size)
        except UNREADABLE as exc:
            raise NotDicomError(str(exc) or type(exc).__name__) from exc


# -- presentation contexts -------------------------------------------------------


@dataclass
class Plan:
    """One association: the contexts it proposes, the instances it sends.

    Attributes
    ----------
    contexts : list of PresentationContext
        At most :data:`MAX_CONTEXTS`.
    instances : list of Instance
        In the order they were given.
    """

    contexts: list[PresentationContext] = field(default_factory=list)
    instances: list[Instance] = field(default_factory=list)


def _contexts_of(
    sop_class: UID,
    syntaxes: list[UID],
    proposal: Sequence[UID],
    *,
    combine: bool,
) -> list[PresentationContext]:
    """Return the contexts one SOP Class needs for files in ``syntaxes``."""
    little = any(syntax in _LITTLE_ENDIAN for syntax in syntaxes)
    # Files in other syntaxes (compressed, deflated, big endian) go as they
    # are, so their syntax is proposed as such: the library re-encodes only
    # between the uncompressed syntaxes of one byte order (PS3.5 A.1-A.3).
    others = [syntax for syntax in syntaxes if syntax not in _LITTLE_ENDIAN]
    if combine:
        return [build_context(sop_class, [*others, *(proposal if little else ())])]
    contexts = [build_context(sop_class, list(proposal))] if little else []
    return contexts + [build_context(sop_class, [syntax]) for syntax in others]


def plan_associations(
    instances: Sequence[Instance],
    proposal: Sequence[UID],
    *,
    combine: bool = False,
) -> list[Plan]:
    """Group the instances into associations of at most 128 contexts each.

    Parameters
    ----------
    instances : sequence of Instance
        What to send.
    proposal : sequence of pydicom.uid.UID
        The transfer syntaxes proposed for uncompressed files.
    combine : bool, optional
        ``+C``: one context per SOP Class.

    Returns
    -------
    list of Plan
        Each with its contexts (``build_context`` results) and its
        instances, in the order given; SOP Classes are never split.
    """
    by_class: dict[UID, list[Instance]] = {}
    for instance in instances:
        by_class.setdefault(instance.sop_class, []).append(instance)
    plans = [Plan()]
    for sop_class, members in by_class.items():
        syntaxes = list(dict.fromkeys(each.transfer_syntax for each in members))
        contexts = _contexts_of(sop_class, syntaxes, proposal, combine=combine)
        if len(plans[-1].contexts) + len(contexts) > MAX_CONTEXTS:
            plans.append(Plan())
        plans[-1].contexts += contexts
        plans[-1].instances += members
    order = {instance: index for index, instance in enumerate(instances)}
    for plan in plans:
        plan.instances.sort(key=order.__getitem__)
    return [plan for plan in plans if plan.contexts]


# -- sending ---------------------------------------------------------------------


@dataclass
class _Tally:
    """How the instances fared; ``total`` counts each ``--repeat`` again."""

    total: int = 0
    stored: int = 0
    warnings: int = 0
    failed: int = 0
    skipped: int = 0

    def summary(self) -> str:
        unsent = self.total - self.stored - self.failed
        return (
            f"{self.stored} of {self.total} instances stored "
            f"({self.warnings} with warnings), {self.failed} failed, "
            f"{unsent} not sent; {self.skipped} input files were not DICOM"
        )


@contextmanager
def _chunked_sending(enabled: bool) -> Iterator[None]:  # noqa: FBT001  (a switch)
    """Set ``_config.STORE_SEND_CHUNKED_DATASET`` for the run, then restore it."""
    saved = _config.STORE_SEND_CHUNKED_DATASET
    _config.STORE_SEND_CHUNKED_DATASET = enabled
    try:
        yield
    finally:
        _config.STORE_SEND_CHUNKED_DATASET = saved


def _decode(instance: Instance) -> Dataset:
    """Read the whole data set, for the library to re-encode it."""
    ds = dcmread(instance.path, force=True)
    if not instance.has_meta:
        # send_c_store() takes the data set's encoding from its meta.
        ds.file_meta = FileMetaDataset()
        ds.file_meta.TransferSyntaxUID = instance.transfer_syntax
    return ds


def _convertible(instance: Instance, syntax: str) -> bool:
    """Whether the library can re-encode the instance into ``syntax``.

    PS3.5 A.1-A.3: between the uncompressed syntaxes of one byte order.
    """
    own = instance.transfer_syntax
    return (
        own in _NATIVE
        and syntax in _NATIVE
        and (UID(syntax).is_little_endian == own.is_little_endian)
    )


class _Sender:
    """Sends instances over one association after another, keeping count."""

    def __init__(self, options: argparse.Namespace, tally: _Tally) -> None:
        self.options = options
        self.tally = tally
        self.outcome = AssociationOutcome()
        self.progress: TransferProgress | None = None
        self._message_id = 0

    def _next_message_id(self) -> int:
        self._message_id = self._message_id % _MAX_MESSAGE_ID + 1
        return self._message_id

    def associate(self, plan: Plan) -> Association:
        """Request an association proposing ``plan``'s contexts."""
        ae = AE(ae_title=self.options.aetitle)
        ae.acse_timeout = self.options.acse_timeout
        ae.dimse_timeout = self.options.dimse_timeout
        ae.network_timeout = self.options.network_timeout
        ae.connection_timeout = self.options.timeout
        self.outcome = AssociationOutcome()
        return request_association(ae, self.options, self.outcome, plan.contexts)

    def _payload(
        self, instance: Instance, accepted: set[tuple[str, str]]
    ) -> Path | Dataset | None:
        """Return what to give send_c_store(), or None if nothing fits."""
        exact = (instance.sop_class, instance.transfer_syntax) in accepted
        if exact and instance.has_meta and self.options.chunked:
            # The library streams the data set from disk, undecoded.
            return instance.path
        if exact or any(
            sop_class == instance.sop_class and _convertible(instance, syntax)
            for sop_class, syntax in accepted
        ):
            return _decode(instance)
        return None

    def _fail(self, instance: Instance, why: str) -> bool:
        _LOGGER.error("Store of %s failed: %s", instance.path, why)
        self.tally.failed += 1
        return False

    def _store(self, assoc: Association, instance: Instance, message_id: int) -> bool:
        """Send one C-STORE request; return whether the instance was stored."""
        accepted = {
            (str(cx.abstract_syntax), str(cx.transfer_syntax[0]))
            for cx in assoc.accepted_contexts
        }
        try:
            payload = self._payload(instance, accepted)
            if payload is None:
                return self._fail(
                    instance,
                    f"no presentation context accepted for "
                    f"{instance.sop_class.name} in {instance.transfer_syntax.name}",
                )
            _LOGGER.info(
                "Sending Store Request: MsgID %d, %s (%s)",
                message_id,
                instance.path,
                instance.sop_class.name,
            )
            status = assoc.send_c_store(payload, msg_id=message_id)
        except RuntimeError:
            status = None  # the association ended before the request could go
        except (*UNREADABLE, AttributeError, OSError) as exc:
            return self._fail(instance, str(exc))
        if status is None or "Status" not in status:
            raise aborted_error(self.outcome, "C-STORE response")
        return self._judge(instance, int(status.Status))

    def _judge(self, instance: Instance, code: int) -> bool:
        """Count the response status (PS3.4 B.2.3); return whether stored."""
        category = code_to_category(code)
        _, text = STORAGE_SERVICE_CLASS_STATUS.get(code, (category, "unknown status"))
        if category == "Success":
            _LOGGER.info("Received Store Response: Success")
        elif category == "Warning":
            _LOGGER.warning(
                "Stored %s with a warning: status 0x%04X (%s)",
                instance.path,
                code,
                text,
            )
            self.tally.warnings += 1
        else:
            return self._fail(instance, f"status 0x{code:04X} ({category}: {text})")
        self.tally.stored += 1
        return True

    def send(self, plan: Plan) -> bool:
        """Send ``plan`` over a new association; return False if halted."""
        assoc = self.associate(plan)
        halted = False
        try:
            for _ in range(self.options.repeat):
                for instance in plan.instances:
                    stored = self._store(assoc, instance, self._next_message_id())
                    if self.progress is not None:
                        self.progress.file_done(instance.size)
                    if not stored and self.options.halt:
                        halted = True
                        return False
            return True
        finally:
            if assoc.is_established and self.options.abort:
                _LOGGER.info("Aborting Association")
                assoc.abort()
            elif assoc.is_established:
                if halted:
                    _LOGGER.info("Halting after a failure (-nh sends the rest)")
                _LOGGER.info("Releasing Association")
                assoc.release()


# -- the run -------------------------------------------------------------------------


def _read_one(
    path: Path, options: argparse.Namespace, tally: _Tally
) -> Instance | None:
    """Read one input file's header; count it if it is bad."""
    try:
        return read_instance(path, options.read_mode)
    except OSError as exc:
        problem = f"Cannot read {path}: {exc.strerror or exc}"
    except NotDicomError as exc:
        if options.read_mode != "file":
            _LOGGER.warning("Ignoring %s: not a DICOM file (%s)", path, exc)
            tally.skipped += 1
            return None
        problem = f"{path} is not a DICOM file: {exc}"
    _LOGGER.error("%s", problem)
    tally.failed += 1
    return None


def _read_inputs(options: argparse.Namespace, tally: _Tally) -> list[Instance]:
    """Read every input file's header; count the bad ones."""
    paths = find_files(
        options.files,
        scan=options.scan_directories,
        recurse=options.recurse,
        pattern=options.scan_pattern,
    )
    found = (_read_one(path, options, tally) for path in paths)
    instances = [instance for instance in found if instance is not None]
    tally.total = tally.failed + len(instances) * options.repeat
    if tally.failed and options.halt:
        raise AppError(
            "Nothing sent: bad input files (-nh sends the others)", EXIT_FAILURE
        )
    if not instances:
        raise AppError("No DICOM files to send", EXIT_FAILURE)
    return instances


def run(options: argparse.Namespace) -> int:
    """Run storescu with parsed ``options``; return the exit status.

    Raises
    ------
    AppError
        No file to send, or an association could not be established or
        ended too early.
    """
    if options.scan_pattern is not None and not options.scan_directories:
        raise AppError("+sp (--scan-pattern) needs +sd (--scan-directories)", 2)
    tally = _Tally()
    instances = _read_inputs(options, tally)
    plans = plan_associations(
        instances, PROPOSALS[options.proposal], combine=options.combine
    )
    sender = _Sender(options, tally)
    count = len(instances) * options.repeat
    wanted = progress_wanted(count, sys.stderr, choice=options.progress)
    total_bytes = sum(each.size for each in instances) * options.repeat
    status = EXIT_OK
    try:
        with (
            TransferProgress(count, total_bytes, enabled=wanted) as sender.progress,
            _chunked_sending(options.chunked),
        ):
            for plan in plans:
                if not sender.send(plan):
                    break
    except AppError as exc:
        # Reported here, so that the summary comes last.
        _LOGGER.error("%s", exc)  # noqa: TRY400  (a one-line report, no traceback)
        status = exc.status
    clean = tally.stored == tally.total and not tally.skipped
    _LOGGER.log(logging.INFO if clean else logging.WARNING, "%s", tally.summary())
    if status == EXIT_OK and tally.failed:
        status = EXIT_FAILURE
    return status


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``dicomnet storescu`` with ``argv`` (default: ``sys.argv[1:]``).

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
