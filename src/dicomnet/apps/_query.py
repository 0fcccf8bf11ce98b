"""What ``findscu``, ``getscu`` and ``movescu`` share: the query and its answers.

- The options of DCMTK's query tools: ``-k`` keys, the information model
  (``-W``, ``-P``, ``-S``, ``-O``), AE titles, proposed transfer syntaxes,
  ``--repeat``, ``--abort`` and ``--cancel``.
- The Identifier of each request (PS3.4 C.4.1.1.3, C.4.2.1.4, C.4.3.1.3):
  read from a query file if given, then changed by the ``-k`` keys. A key
  is DCMTK's ``path[=value]``: keywords or ``gggg,eeee`` tags joined by
  ``.``, a sequence followed by an item number, ``[0]`` if left out
  (``ScheduledProcedureStepSequence[0].Modality=CT``). A key without a value
  is empty: universal matching, or a return key (PS3.4 C.2.2.2.3); a
  sequence last in the path and without an item number is sent empty.
- One association for all the requests, and the loop over each request's
  responses, which sends the C-CANCEL of ``--cancel`` (PS3.7 9.3.2.3).
- Identifiers and statuses as log lines.

The C-STORE side of ``getscu`` and ``movescu`` (writing instances, counting
sub-operations, the progress bar) is in :mod:`dicomnet.apps.getscu`.
"""

from __future__ import annotations

import argparse
import logging
import re
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from pydicom import config, dcmread
from pydicom.datadict import dictionary_VR, keyword_for_tag, tag_for_keyword
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.tag import BaseTag, Tag
from pydicom.uid import UID

from dicomnet import AE
from dicomnet import sop_class as classes
from dicomnet.apps._common import (
    EXIT_FAILURE,
    EXIT_USAGE,
    UNREADABLE,
    AppError,
    AssociationOutcome,
    aborted_error,
    ae_title,
    client_tls,
    not_established,
    port_number,
    positive_count,
    timeout,
)
from dicomnet.apps.storescu import PROPOSALS
from dicomnet.status import code_to_category

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping, Sequence
    from pathlib import Path

    from dicomnet.association import Association
    from dicomnet.presentation import PresentationContext

__all__ = [
    "MODELS",
    "PENDING",
    "Key",
    "KeyPart",
    "QueryModel",
    "QuerySession",
    "add_query_options",
    "apply_keys",
    "build_identifiers",
    "describe_status",
    "dump",
    "parse_key",
    "read_query",
]

_LOGGER = logging.getLogger(__name__)

#: PS3.4 C.4.1.1.4, C.4.2.1.5, C.4.3.1.4: more responses follow these.
PENDING: Final = frozenset({0xFF00, 0xFF01})
#: PS3.7 9.1.2.1.1: Message IDs are 16-bit; a long run wraps 65535 -> 1.
_MAX_MESSAGE_ID: Final = 0xFFFF
#: No identifier needs more items than this; a typo must not allocate millions.
_MAX_ITEM: Final = 999
#: A value longer than this is cut short in a dump.
_DUMP_WIDTH: Final = 64
# PS3.5 Table 6.2-1: VRs whose values are binary numbers, or bytes.
_INTEGER_VRS: Final = frozenset({"US", "UL", "SS", "SL", "SV", "UV"})
_FLOAT_VRS: Final = frozenset({"FL", "FD"})
_BYTES_VRS: Final = frozenset({"OB", "OD", "OF", "OL", "OV", "OW"})
#: PS3.3 C.12.1.1.2: the Specific Character Set term of UTF-8.
_UTF8: Final = "ISO_IR 192"
# One element of a key's path: a keyword or a (gggg,eeee) tag, then [item].
_PART: Final = re.compile(
    r"(?:\(?(?P<group>[0-9A-Fa-f]{4}),(?P<element>[0-9A-Fa-f]{4})\)?"
    r"|(?P<keyword>[A-Za-z][A-Za-z0-9]*))(?:\[(?P<item>\d+)\])?"
)


# -- information models ----------------------------------------------------------


@dataclass(frozen=True)
class QueryModel:
    """An information model and its SOP Classes (PS3.4 C.6, K.6).

    Attributes
    ----------
    name : str
        For messages (``study root``).
    find : str
        The C-FIND SOP Class UID.
    get, move : str or None
        The C-GET and C-MOVE SOP Class UIDs, if the model has them.
    """

    name: str
    find: str
    get: str | None = None
    move: str | None = None


#: ``options.model`` -> the model; -W, -P, -S and -O choose one.
MODELS: Final[dict[str, QueryModel]] = {
    # PS3.4 K.6.1: Modality Worklist has C-FIND only.
    "worklist": QueryModel(
        "modality worklist", classes.ModalityWorklistInformationModelFind
    ),
    "patient": QueryModel(
        "patient root",
        classes.PatientRootQueryRetrieveInformationModelFind,
        classes.PatientRootQueryRetrieveInformationModelGet,
        classes.PatientRootQueryRetrieveInformationModelMove,
    ),
    "study": QueryModel(
        "study root",
        classes.StudyRootQueryRetrieveInformationModelFind,
        classes.StudyRootQueryRetrieveInformationModelGet,
        classes.StudyRootQueryRetrieveInformationModelMove,
    ),
    # PS3.4 C.6.3: retired, still served by some archives.
    "psonly": QueryModel(
        "patient/study only",
        classes.PatientStudyOnlyQueryRetrieveInformationModelFind,
        classes.PatientStudyOnlyQueryRetrieveInformationModelGet,
        classes.PatientStudyOnlyQueryRetrieveInformationModelMove,
    ),
}
_MODEL_FLAGS: Final = {
    "worklist": ("-W", "--worklist"),
    "patient": ("-P", "--patient"),
    "study": ("-S", "--study"),
    "psonly": ("-O", "--psonly"),
}


# -- keys ----------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyPart:
    """One step of a key's path: an element, and an item if it is a sequence.

    Attributes
    ----------
    tag : pydicom.tag.BaseTag
        The element.
    vr : str
        Its VR (the dictionary's first choice; ``UN`` if unknown).
    item : int or None
        The item number (from 0) of a sequence step.
    """

    tag: BaseTag
    vr: str
    item: int | None


@dataclass(frozen=True)
class Key:
    """A ``-k`` option, parsed: where in the identifier, and what value.

    Attributes
    ----------
    parts : tuple of KeyPart
        The path, outermost element first.
    value : object
        The element's value as pydicom takes it; ``None`` when empty.
    text : str
        The option as given.
    """

    parts: tuple[KeyPart, ...]
    value: object
    text: str


def _step(text: str, *, last: bool) -> KeyPart:
    """Parse one step of a key's path."""
    match = _PART.fullmatch(text)
    if match is None:
        raise argparse.ArgumentTypeError(f"not a keyword or gggg,eeee tag: {text!r}")
    if match["keyword"] is not None:
        number = tag_for_keyword(match["keyword"])
        if number is None:
            raise argparse.ArgumentTypeError(f"unknown keyword {match['keyword']!r}")
        tag = Tag(number)
    else:
        tag = Tag(int(match["group"], 16), int(match["element"], 16))
    item = None if match["item"] is None else int(match["item"])
    if item is not None and item > _MAX_ITEM:
        raise argparse.ArgumentTypeError(f"item number out of range 0..{_MAX_ITEM}")
    try:
        # "US or SS", "OB or OW": the first is as good as any for a key.
        vr = dictionary_VR(tag).split(" or ")[0]
    except KeyError:
        # An element the dictionary lacks (private ones): a sequence if it
        # holds items, else Unknown (PS3.5 6.2.2).
        vr = "SQ" if item is not None or not last else "UN"
    if vr == "SQ" and item is None and not last:
        item = 0  # "Seq.Keyword" means its first item
    if vr != "SQ" and (item is not None or not last):
        raise argparse.ArgumentTypeError(f"{text} is not a sequence")
    return KeyPart(tag, vr, item)


def _typed(vr: str, text: str) -> object:
    """Return a key's value in the type pydicom takes for ``vr``."""
    if not text:
        return None
    values = text.split("\\")  # PS3.5 6.4: backslash separates values
    try:
        if vr in _INTEGER_VRS:
            numbers: list[Any] = [int(value, 0) for value in values]
        elif vr in _FLOAT_VRS:
            numbers = [float(value) for value in values]
        elif vr == "AT":
            numbers = [Tag(int(value, 16)) for value in values]
        elif vr == "UN":
            # An element the dictionary lacks: its value goes as the text's
            # bytes, as the peer would find it in a file.
            return text.encode()
        else:
            # Text VRs keep the text: a matching key may hold wildcards or a
            # range (PS3.4 C.2.2.2.4, C.2.2.2.5) that are no valid values.
            return text
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a valid {vr} value: {text!r}") from None
    return numbers[0] if len(numbers) == 1 else numbers


def parse_key(text: str) -> Key:
    """Parse a ``-k`` option: ``path[=value]`` (an argparse type).

    Parameters
    ----------
    text : str
        For example ``PatientName=Doe*``, ``0010,0020``,
        ``(0040,0100)[0].Modality=CT``.

    Returns
    -------
    Key
        The parsed key.

    Raises
    ------
    argparse.ArgumentTypeError
        An unknown keyword, a malformed tag or value, a path through an
        element that is no sequence, or a value for a sequence.
    """
    path, equals, value = text.partition("=")
    steps = path.split(".")
    parts = tuple(
        _step(step, last=index == len(steps) - 1) for index, step in enumerate(steps)
    )
    last = parts[-1]
    if value and last.vr == "SQ":
        raise argparse.ArgumentTypeError(f"a sequence takes no value: {text!r}")
    if value and last.vr in _BYTES_VRS:
        raise argparse.ArgumentTypeError(f"{last.vr} keys take no value: {text!r}")
    del equals  # "Key" and "Key=" are the same empty key
    return Key(parts, _typed(last.vr, value), text)


def _item(ds: Dataset, part: KeyPart) -> Dataset:
    """Return item ``part.item`` of the sequence, creating what is missing."""
    element = ds.get(part.tag)
    if element is None or element.VR != "SQ":
        ds[part.tag] = DataElement(part.tag, "SQ", [])
        element = ds[part.tag]
    items = element.value
    while len(items) <= (part.item or 0):
        items.append(Dataset())
    item: Dataset = items[part.item or 0]
    return item


def apply_keys(ds: Dataset, keys: Sequence[Key]) -> Dataset:
    """Set the ``-k`` keys in ``ds``, in order, replacing what was there.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        The identifier, from a query file or empty.
    keys : sequence of Key
        The parsed options.

    Returns
    -------
    pydicom.dataset.Dataset
        ``ds``, changed. A value beyond ASCII sets Specific Character Set
        to UTF-8 if ``ds`` names none (PS3.5 6.1.2.3).
    """
    for key in keys:
        target = ds
        for part in key.parts[:-1]:
            target = _item(target, part)
        last = key.parts[-1]
        if last.item is not None:
            _item(target, last)
        elif last.vr == "SQ":
            target[last.tag] = DataElement(last.tag, "SQ", [])
        else:
            # Unvalidated on purpose: ranges and wildcards are no valid values.
            target[last.tag] = DataElement(
                last.tag, last.vr, key.value, validation_mode=config.IGNORE
            )
    if "SpecificCharacterSet" not in ds and any(
        isinstance(key.value, str) and not key.value.isascii() for key in keys
    ):
        ds.SpecificCharacterSet = _UTF8
    return ds


def read_query(path: Path) -> Dataset:
    """Read a query file: its data set, without File Meta Information.

    Parameters
    ----------
    path : pathlib.Path
        A DICOM file or a bare data set.

    Returns
    -------
    pydicom.dataset.Dataset
        The identifier it holds.

    Raises
    ------
    AppError
        The file cannot be read or is not DICOM (exit status 1).
    """
    try:
        # Malformed values make pydicom warn; an empty result is refused below.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            read = dcmread(path, force=True)
            query = Dataset()
            for element in read:
                query.add(element)
    except OSError as exc:
        raise AppError(
            f"Cannot read {path}: {exc.strerror or exc}", EXIT_FAILURE
        ) from exc
    except UNREADABLE as exc:
        raise AppError(f"{path} is not a DICOM file: {exc}", EXIT_FAILURE) from exc
    if not len(query):
        raise AppError(f"{path} is not a DICOM file: no data elements", EXIT_FAILURE)
    return query


def build_identifiers(files: Sequence[Path], keys: Sequence[Key]) -> list[Dataset]:
    """Return the identifiers to send: one per query file, or one of keys only.

    Parameters
    ----------
    files : sequence of pathlib.Path
        The ``dcmfile-in`` arguments.
    keys : sequence of Key
        The ``-k`` options, applied to each identifier.

    Returns
    -------
    list of pydicom.dataset.Dataset
        In the order of the files.

    Raises
    ------
    AppError
        A file cannot be read, or there is nothing to send at all.
    """
    if not files and not keys:
        raise AppError("Nothing to query: give -k keys or query files", EXIT_USAGE)
    if not files:
        return [apply_keys(Dataset(), keys)]
    return [apply_keys(read_query(path), keys) for path in files]


# -- log lines -----------------------------------------------------------------------


def _value_text(element: DataElement) -> str:
    value = element.value
    if value is None or value in ("", b"") or value == []:
        return "(no value)"
    if isinstance(value, bytes | bytearray):
        return f"({len(value)} bytes)"
    text = "\\".join(map(str, value)) if isinstance(value, MultiValue) else str(value)
    if len(text) > _DUMP_WIDTH:
        text = text[: _DUMP_WIDTH - 3] + "..."
    return f"[{text}]"


def dump(ds: Dataset, depth: int = 0) -> list[str]:
    """Return one line per element of ``ds``, items indented, for the log.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        An identifier.
    depth : int, optional
        The nesting level (two spaces each).

    Returns
    -------
    list of str
        For example ``(0010,0010) PN [Doe^John]  # PatientName``.
    """
    lines = []
    pad = "  " * depth
    for element in ds:
        tag = f"({element.tag.group:04X},{element.tag.element:04X})"
        name = keyword_for_tag(element.tag) or "unknown"
        if element.VR != "SQ":
            text = f"{pad}{tag} {element.VR} {_value_text(element)}"
            lines.append(f"{text:<56}  # {name}")
            continue
        lines.append(f"{pad}{tag} SQ ({len(element.value)} items)  # {name}")
        for number, item in enumerate(element.value, 1):
            lines.append(f"{pad}  item {number}:")
            lines += dump(item, depth + 2)
    return lines


def describe_status(status: Dataset, table: Mapping[int, tuple[str, str]]) -> str:
    """Return a response status in words: ``Pending``, ``Failure 0xA700: ...``.

    Parameters
    ----------
    status : pydicom.dataset.Dataset
        The status (``Status`` and the optional elements).
    table : mapping
        The service's status code -> (category, meaning) table.

    Returns
    -------
    str
        The category alone for Success and plain Pending (0xFF00), else with
        the code, its meaning and the Error Comment if any (PS3.7 C.4).
    """
    code = int(status.Status)
    category = code_to_category(code)
    if code in {0x0000, 0xFF00}:
        return category
    _, meaning = table.get(code, (category, "unknown status"))
    comment = status.get("ErrorComment")
    extra = f" ({comment})" if comment else ""
    return f"{category} 0x{code:04X}: {meaning}{extra}"


# -- options ---------------------------------------------------------------------------


def add_query_options(
    parser: argparse.ArgumentParser,
    *,
    aetitle: str,
    models: Sequence[str],
    default_model: str,
) -> None:
    """Add the arguments and options the three tools share.

    ``peer port [dcmfile-in...]``, ``-k``, the model flags, ``-aet``,
    ``-aec``, ``-x=``/``-xe``/``-xb``/``-xi``, ``-to``, ``--repeat``,
    ``--abort`` and ``--cancel``.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The application's parser.
    aetitle : str
        Our default AE title.
    models : sequence of str
        The :data:`MODELS` keys offered.
    default_model : str
        The model without a flag.
    """
    parser.add_argument("peer", help="host name or IP address of the peer")
    parser.add_argument("port", type=port_number, help="TCP port of the peer")
    parser.add_argument(
        "files",
        nargs="*",
        metavar="dcmfile-in",
        help="DICOM query file: one request each (default: one of -k keys only)",
    )
    keys = parser.add_argument_group("query keys and information model")
    keys.add_argument(
        "-k",
        "--key",
        dest="keys",
        type=parse_key,
        action="append",
        default=[],
        metavar="KEY",
        help='set a key: "gggg,eeee=value", "Keyword=value", "Seq[0].Keyword=" '
        "(repeatable; overrides the query files)",
    )
    for name in models:
        default = " (default)" if name == default_model else ""
        keys.add_argument(
            *_MODEL_FLAGS[name],
            dest="model",
            action="store_const",
            const=name,
            help=f"use the {MODELS[name].name} information model{default}",
        )
    parser.set_defaults(model=default_model)
    _add_titles(parser, aetitle)
    _add_network_options(parser)


def _add_titles(parser: argparse.ArgumentParser, aetitle: str) -> None:
    titles = parser.add_argument_group("application entity titles")
    titles.add_argument(
        "-aet",
        "--aetitle",
        type=ae_title,
        default=aetitle,
        help=f"our (calling) AE title (default: {aetitle})",
    )
    titles.add_argument(
        "-aec",
        "--call",
        type=ae_title,
        default="ANY-SCP",
        help="the peer's (called) AE title (default: ANY-SCP)",
    )


def _add_network_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("proposed transfer syntaxes (the query)")
    for flags, const, text in (
        (("-x=", "--propose-uncompr"), "local", "all, explicit VR local order first"),
        (("-xe", "--propose-little"), "little", "all, explicit VR LE first"),
        (("-xb", "--propose-big"), "big", "all, explicit VR BE first"),
        (("-xi", "--propose-implicit"), "implicit", "implicit VR LE only"),
    ):
        group.add_argument(
            *flags,
            dest="proposal",
            action="store_const",
            const=PROPOSALS[const],
            help=text,
        )
    # The syntaxes themselves, as storescu proposes them for uncompressed data.
    parser.set_defaults(proposal=PROPOSALS["local"])
    other = parser.add_argument_group("other network options")
    other.add_argument(
        "-to",
        "--timeout",
        type=timeout,
        default=None,
        metavar="SECONDS",
        help="timeout for connection requests (default: none)",
    )
    other.add_argument(
        "--repeat",
        type=positive_count,
        default=1,
        metavar="N",
        help="send the requests N times",
    )
    other.add_argument(
        "--abort",
        action="store_true",
        help="abort the association instead of releasing it",
    )
    other.add_argument(
        "--cancel",
        type=positive_count,
        default=None,
        metavar="N",
        help="send a C-CANCEL after N responses to a request (default: never)",
    )


# -- the association -------------------------------------------------------------------


class QuerySession:
    """One association carrying every request, and the loop over responses.

    Parameters
    ----------
    options : argparse.Namespace
        The parsed options.
    """

    def __init__(self, options: argparse.Namespace) -> None:
        self.options = options
        self.outcome = AssociationOutcome()
        self._message_id = 0

    def next_message_id(self) -> int:
        """Return the Message ID of the next request (1, 2 ... 65535, 1)."""
        self._message_id = self._message_id % _MAX_MESSAGE_ID + 1
        return self._message_id

    def associate(
        self,
        contexts: Sequence[PresentationContext],
        *,
        ext_neg: Sequence[Any] = (),
        handlers: Sequence[tuple[Any, Any]] = (),
    ) -> Association:
        """Request the association, with negotiation items and handlers.

        Parameters
        ----------
        contexts : sequence of PresentationContext
            What to propose.
        ext_neg : sequence, optional
            Extended negotiation items (``build_role()`` results).
        handlers : sequence of (event, handler), optional
            Bound besides those explaining a failure.

        Returns
        -------
        Association
            The established association.

        Raises
        ------
        AppError
            Not established (see :func:`~dicomnet.apps._common.not_established`).
        """
        options = self.options
        ae = AE(ae_title=options.aetitle)
        ae.acse_timeout = options.acse_timeout
        ae.dimse_timeout = options.dimse_timeout
        ae.network_timeout = options.network_timeout
        ae.connection_timeout = options.timeout
        tls = client_tls(options, options.peer)
        _LOGGER.info(
            "Requesting Association with %s port %d", options.peer, options.port
        )
        assoc = ae.associate(
            options.peer,
            options.port,
            contexts=list(contexts),
            ae_title=options.call,
            max_pdu=options.max_pdu,
            ext_neg=list(ext_neg) or None,
            tls_args=tls,
            evt_handlers=[*self.outcome.handlers(), *handlers],
        )
        if not assoc.is_established:
            raise not_established(
                self.outcome, options.peer, options.port, tls=tls is not None
            )
        _LOGGER.info("Association Accepted")
        return assoc

    def run(
        self,
        identifiers: Sequence[Dataset],
        contexts: Sequence[PresentationContext],
        operation: Callable[[Association, Dataset, int], None],
        *,
        ext_neg: Sequence[Any] = (),
        handlers: Sequence[tuple[Any, Any]] = (),
    ) -> None:
        """Associate, run ``operation`` on each identifier ``--repeat`` times, close.

        Parameters
        ----------
        identifiers : sequence of pydicom.dataset.Dataset
            One request each.
        contexts, ext_neg, handlers
            As for :meth:`associate`.
        operation : callable
            ``operation(assoc, identifier, message_id)`` sends one request
            and reads its responses.

        Raises
        ------
        AppError
            From :meth:`associate` or ``operation``; the association is
            released (or aborted) first if it is still up.
        """
        assoc = self.associate(contexts, ext_neg=ext_neg, handlers=handlers)
        try:
            for _ in range(self.options.repeat):
                for identifier in identifiers:
                    operation(assoc, identifier, self.next_message_id())
        finally:
            self.close(assoc)

    def close(self, assoc: Association) -> None:
        """Release the association, or abort it with ``--abort``."""
        if not assoc.is_established:
            return
        if self.options.abort:
            _LOGGER.info("Aborting Association")
            assoc.abort()
        else:
            _LOGGER.info("Releasing Association")
            assoc.release()

    def responses(
        self,
        assoc: Association,
        send: Callable[[], Iterator[tuple[Dataset, Dataset | None]]],
        *,
        what: str,
        message_id: int,
        sop_class: str,
    ) -> Iterator[tuple[Dataset, Dataset | None]]:
        """Send a request with ``send()``; yield its responses, final one last.

        After ``--cancel`` Pending responses, a C-CANCEL asks the peer to stop
        (PS3.7 9.3.2.3); the responses go on until the final one.

        Parameters
        ----------
        assoc : Association
            Where the request goes.
        send : callable
            Sends the request; returns the library's response generator.
        what : str
            ``Find``, ``Get`` or ``Move``, for messages.
        message_id : int
            The request's Message ID.
        sop_class : str
            The request's SOP Class (for the C-CANCEL's context).

        Yields
        ------
        tuple of (pydicom.dataset.Dataset, pydicom.dataset.Dataset or None)
            Each response's status and identifier.

        Raises
        ------
        AppError
            The peer accepted no context for ``sop_class`` (exit status 1),
            or the association ended before the final response (4).
        """
        if all(cx.abstract_syntax != sop_class for cx in assoc.accepted_contexts):
            name = UID(sop_class).name
            raise AppError(f"The peer accepted no context for {name}", EXIT_FAILURE)
        try:
            responses = send()
        except ValueError as exc:
            raise AppError(
                f"Cannot send the {what} request: {exc}", EXIT_FAILURE
            ) from exc
        except RuntimeError:
            raise aborted_error(self.outcome, f"{what} response") from None
        for pending, (status, identifier) in enumerate(responses, 1):
            if "Status" not in status:
                raise aborted_error(self.outcome, f"{what} response")
            yield status, identifier
            if int(status.Status) not in PENDING:
                return
            if pending == self.options.cancel:
                _LOGGER.info("Sending Cancel Request (MsgID %d)", message_id)
                assoc.send_c_cancel(message_id, query_model=sop_class)
        raise aborted_error(self.outcome, f"{what} response")
