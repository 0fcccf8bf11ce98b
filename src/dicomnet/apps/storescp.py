"""``dicomnet storescp``: receive DICOM instances into files (Storage SCP).

Listens for associations proposing Storage SOP Classes (PS3.4 Annex B) or
Verification, answers each C-STORE request (PS3.7 9.1.1) and writes the
instance it carries to the output directory as a DICOM file (PS3.10 7),
until interrupted by Ctrl-C (SIGINT) or SIGTERM::

    dicomnet storescp -v -od incoming 11112

The options are those of DCMTK's ``storescp`` where they apply. Choices of
our own:

- File names are ``<prefix>.<SOP Instance UID><extension>``: the prefix is the
  Modality defined term (PS3.3 C.7.3.1.1.1) of the SOP Class's IOD (``CT``,
  ``MR``, ``RTDOSE``, ``SR``...), ``SC`` for secondary capture, ``PR`` for
  presentation states, ``OT`` (other) when none applies. A file of the same
  name is replaced (``-uf``, the default), or kept with ``+uf``, which adds
  ``-1``, ``-2``... before the extension instead.
- A file is written under a temporary name in the output directory, then
  renamed: no reader ever sees half a file. With ``--chunked`` (the default)
  the library spools the data set to disk as it arrives
  (``dicomnet._config.STORE_RECV_CHUNKED_DATASET``) and the spooled file is
  moved into place; ``--no-chunked`` holds each data set in memory instead.
  Neither decodes the data set.
- A failed write answers ``0xA700`` (Refused: out of resources, PS3.4 B.2.3)
  and leaves no partial file.
- The port is optional and defaults to 11112, the "registered" port PS3.8
  9.1.1 recommends to those who may not listen on 104.
- ``--processes N`` serves from N processes (POSIX): the port is bound once,
  N - 1 workers are forked before any association, and each process accepts
  connections on the shared port and serves them on its threads (the library's
  ``AE.start_server(..., processes=N)``). ``--fork``, DCMTK's option, is
  ``--processes`` with one process per CPU core: DCMTK forks a child per
  association instead. An instance is written by the process that received
  it; names cannot collide between processes, since each file is staged
  under a unique temporary name (``mkstemp``) and renamed into place in one
  step, and ``+uf`` claims a free name with a hard link, which fails if
  another process took it. ``--max-associations`` counts per process. At
  ``-v`` the processes' IDs are logged, and every line carries the ID of the
  process that wrote it. SIGTERM or Ctrl-C stops every process.
- Each instance is logged at INFO level (``-v``); by default only warnings
  and errors are printed. The exit status is 0 after an interrupt, 2 for a
  bad command line or output directory and 5 when the port cannot be
  listened on.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Final

from pydicom.uid import UID, ImplicitVRLittleEndian

from dicomnet import (
    AE,
    ALL_TRANSFER_SYNTAXES,
    DEFAULT_TRANSFER_SYNTAXES,
    AllStoragePresentationContexts,
    _config,
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
from dicomnet.sop_class import Verification

if TYPE_CHECKING:
    import argparse
    import ssl
    from collections.abc import Iterator, Sequence

    from dicomnet.transport import ThreadedAssociationServer

__all__ = [
    "build_parser",
    "chunked_receiving",
    "instance_filename",
    "main",
    "modality_prefix",
    "serve",
    "start",
]

_LOGGER = logging.getLogger(__name__)

#: PS3.4 B.2.3, Table B.2-1: the C-STORE response statuses this SCP sends.
_SUCCESS: Final = 0x0000
_OUT_OF_RESOURCES: Final = 0xA700
#: PS3.8 9.1.1: the "registered" DICOM port, for unprivileged listeners.
_DEFAULT_PORT: Final = 11112
#: ``+uf`` gives up after this many names taken (``CT.1.2-1`` ...).
_MAX_UNIQUE: Final = 10000

#: SOP Class keyword fragment -> file name prefix. The prefix is the Modality
#: (0008,0060) defined term (PS3.3 C.7.3.1.1.1) the SOP Class's IOD carries,
#: or a short tag where several modalities share one IOD. The first fragment
#: found in the keyword wins, so the more specific ones come first.
_PREFIXES: Final = (
    ("SecondaryCapture", "SC"),
    ("PresentationState", "PR"),
    ("KeyObjectSelection", "KO"),
    ("SRStorage", "SR"),
    ("ProcedureLog", "SR"),
    ("Segmentation", "SEG"),
    ("SpatialRegistration", "REG"),
    ("SpatialFiducials", "FID"),
    ("RealWorldValueMapping", "RWV"),
    ("EncapsulatedPDF", "DOC"),
    ("EncapsulatedCDA", "DOC"),
    ("EncapsulatedSTL", "M3D"),
    ("EncapsulatedOBJ", "M3D"),
    ("EncapsulatedMTL", "M3D"),
    ("RTDose", "RTDOSE"),
    ("RTStructureSet", "RTSTRUCT"),
    ("RTPlan", "RTPLAN"),
    ("RTIonPlan", "RTPLAN"),
    ("TreatmentRecord", "RTRECORD"),
    ("TreatmentSummaryRecord", "RTRECORD"),
    ("RTImage", "RTIMAGE"),
    ("DigitalMammography", "MG"),
    ("BreastTomosynthesis", "MG"),
    ("BreastProjection", "MG"),
    ("DigitalIntraOral", "IO"),
    ("DigitalXRay", "DX"),
    ("ComputedRadiography", "CR"),
    ("XRay3DAngiographic", "XA"),
    ("XRayAngiographic", "XA"),
    ("EnhancedXA", "XA"),
    ("XRayRadiofluoroscopic", "RF"),
    ("EnhancedXRF", "RF"),
    ("PositronEmission", "PT"),
    ("PETImage", "PT"),
    ("NuclearMedicine", "NM"),
    ("Ultrasound", "US"),
    ("USVolume", "US"),
    ("MRSpectroscopy", "MR"),
    ("MRImage", "MR"),
    ("MRColorImage", "MR"),
    ("CTImage", "CT"),
    ("OphthalmicTomography", "OPT"),
    ("OphthalmicPhotography", "OP"),
    ("VLEndoscopic", "ES"),
    ("VideoEndoscopic", "ES"),
    ("VLWholeSlideMicroscopy", "SM"),
    ("SlideCoordinatesMicroscopic", "SM"),
    ("VLMicroscopic", "GM"),
    ("VideoMicroscopic", "GM"),
    ("VLPhotographic", "XC"),
    ("VideoPhotographic", "XC"),
    ("ECGWaveform", "ECG"),
    ("HemodynamicWaveform", "HD"),
    ("AudioWaveform", "AU"),
    ("CardiacElectrophysiology", "EPS"),
)
#: PS3.3 C.7.3.1.1.1: "OT", other.
_OTHER: Final = "OT"
#: PS3.5 9.1: a UID has digits and dots only; anything else in a received
#: one (a peer may send "../x") becomes "_" before it names a file.
_UID_CHARACTERS: Final = frozenset("0123456789.")


def modality_prefix(sop_class: str) -> str:
    """Return the file name prefix of a SOP Class (``CT`` for CT Image Storage).

    Parameters
    ----------
    sop_class : str
        The SOP Class UID.

    Returns
    -------
    str
        See the module's documentation; ``OT`` for an unknown class.
    """
    keyword = UID(sop_class).keyword
    return next(
        (prefix for fragment, prefix in _PREFIXES if fragment in keyword), _OTHER
    )


def instance_filename(sop_class: str, sop_instance: str, extension: str = "") -> str:
    """Return the name an instance is stored under, ``CT.1.2.3...``.

    Parameters
    ----------
    sop_class, sop_instance : str
        The Affected SOP Class and SOP Instance UIDs of the C-STORE request.
    extension : str, optional
        Appended as given (``-fe``), for example ``.dcm``.

    Returns
    -------
    str
        A name without path separators, whatever the UIDs hold.
    """
    uid = "".join(c if c in _UID_CHARACTERS else "_" for c in sop_instance)
    return f"{modality_prefix(sop_class)}.{uid or '_'}{extension}"


def build_parser() -> argparse.ArgumentParser:
    """Return the command-line parser of ``dicomnet storescp``."""
    parser = make_parser(
        "dicomnet storescp",
        "Receive DICOM instances into files (Storage SCP) until interrupted.",
    )
    parser.add_argument(
        "port",
        type=port_number,
        nargs="?",
        default=_DEFAULT_PORT,
        help=f"TCP port to listen on (default: {_DEFAULT_PORT}; 0: any free port)",
    )
    add_general_options(parser)
    _add_network_options(parser)
    add_timeout_options(parser)
    _add_output_options(parser)
    add_tls_options(parser, server=True)
    return parser


def _add_network_options(parser: argparse.ArgumentParser) -> None:
    group = add_network_options(parser, aetitle="STORESCP", fork=True)
    syntaxes = group.add_mutually_exclusive_group()
    syntaxes.add_argument(
        "+xa",
        "--accept-all",
        dest="syntaxes",
        action="store_const",
        const=tuple(ALL_TRANSFER_SYNTAXES),
        help="accept every transfer syntax, compressed ones too (default: "
        "the uncompressed ones)",
    )
    syntaxes.add_argument(
        "+xi",
        "-xi",
        "--implicit",
        dest="syntaxes",
        action="store_const",
        const=(ImplicitVRLittleEndian,),
        help="accept implicit VR little endian only",
    )
    parser.set_defaults(syntaxes=tuple(DEFAULT_TRANSFER_SYNTAXES))


def _add_output_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("output options")
    group.add_argument(
        "-od",
        "--output-directory",
        type=Path,
        default=Path(),
        metavar="DIRECTORY",
        help="write received instances to this existing directory (default: .)",
    )
    group.add_argument(
        "--ignore",
        action="store_true",
        help="receive the data but store nothing",
    )
    # As in DCMTK, the last of two contrary flags wins.
    group.add_argument(
        "-uf",
        "--default-filenames",
        dest="unique",
        action="store_false",
        help="name files by prefix and SOP Instance UID, replacing (default)",
    )
    group.add_argument(
        "+uf",
        "--unique-filenames",
        dest="unique",
        action="store_true",
        help="as -uf, but add -1, -2... to a name already taken",
    )
    group.add_argument(
        "-fe",
        "--filename-extension",
        default="",
        metavar="EXTENSION",
        help="append EXTENSION to every file name (e.g. .dcm)",
    )
    group.add_argument(
        "--chunked",
        dest="chunked",
        action="store_true",
        help="spool data sets to disk as they arrive (default)",
    )
    group.add_argument(
        "--no-chunked",
        dest="chunked",
        action="store_false",
        help="hold each data set in memory until it is complete",
    )
    # Chunked by default, measured with DCMTK storescu sending over loopback:
    # 8 x 64 MB took 0.7-1.0 s at 41 MB peak RSS, against 2.4-3.2 s and
    # 205-237 MB in memory; 300 x 64 kB took the same time either way.
    parser.set_defaults(unique=False, chunked=True)


# -- storing -----------------------------------------------------------------------


def _write(handle: BinaryIO, data: bytes) -> None:
    """Write a received instance (one place, so that tests can fail it)."""
    handle.write(data)


def _move(source: Path, target: Path) -> None:
    """Move a spooled file into the output directory, copying across disks."""
    try:
        source.replace(target)  # a rename within one file system
    except OSError:
        shutil.copyfile(source, target)


class _Store:
    """The EVT_C_STORE handler: writes each instance as a DICOM file.

    Handlers of several associations run at once, each on its own thread;
    they share nothing but the directory, where each file is written under a
    name of its own and renamed into place in one step.
    """

    def __init__(self, options: argparse.Namespace, mode: int) -> None:
        self.directory: Path = options.output_directory
        self.extension: str = options.filename_extension
        self.unique: bool = options.unique
        self.ignore: bool = options.ignore
        self.mode = mode

    def __call__(self, event: evt.Event) -> int:
        """Store the instance of a C-STORE request; return its status."""
        request: Any = getattr(event, "request")  # noqa: B009  (set per event)
        name = instance_filename(
            str(request.AffectedSOPClassUID),
            str(request.AffectedSOPInstanceUID),
            self.extension,
        )
        if self.ignore:
            _LOGGER.info("Received %s from %s (ignored)", name, peer_name(event.assoc))
            return _SUCCESS
        try:
            staged = self._stage(event)
        except OSError as exc:
            return self._failed(name, exc)
        try:
            target = self._publish(staged, name)
        except OSError as exc:
            staged.unlink(missing_ok=True)
            return self._failed(name, exc)
        _LOGGER.info(
            "Stored %s from %s (MsgID %d)",
            target,
            peer_name(event.assoc),
            event.message_id,
        )
        return _SUCCESS

    def _failed(self, name: str, exc: OSError) -> int:
        # PS3.4 B.2.3: "Refused: Out of Resources" fits a full disk best; the
        # SCU learns no more from another failure code for other errors.
        why = "no space left on device" if exc.errno == errno.ENOSPC else exc
        _LOGGER.error("Cannot store %s in %s: %s", name, self.directory, why)
        return _OUT_OF_RESOURCES

    def _stage(self, event: evt.Event) -> Path:
        """Put the whole Part 10 file under a temporary name in the directory."""
        fd, temp = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".part")
        staged = Path(temp)
        try:
            # Spooled by the library (STORE_RECV_CHUNKED_DATASET), or in memory.
            spooled: Path | None = getattr(event, "dataset_path", None)
            with os.fdopen(fd, "wb") as handle:
                if spooled is None:
                    _write(handle, event.encoded_dataset(include_meta=True))
            if spooled is not None:
                _move(spooled, staged)
            # Temporary files are private (0600); a stored one is not.
            staged.chmod(self.mode)
        except OSError:
            staged.unlink(missing_ok=True)
            raise
        return staged

    def _publish(self, staged: Path, name: str) -> Path:
        """Rename ``staged`` to ``name`` (or a free variant of it with +uf)."""
        target = self.directory / name
        if not self.unique:
            staged.replace(target)
            return target
        stem = name.removesuffix(self.extension) if self.extension else name
        for number in range(_MAX_UNIQUE):
            if number:
                target = self.directory / f"{stem}-{number}{self.extension}"
            try:
                # A hard link fails if the name is taken: no check-then-act race.
                target.hardlink_to(staged)
            except FileExistsError:
                continue
            staged.unlink()
            return target
        raise FileExistsError(errno.EEXIST, "no free file name", name)


# -- what the SCP logs -----------------------------------------------------------


def _on_c_echo(event: evt.Event) -> int:
    _LOGGER.info("Received C-ECHO request from %s", peer_name(event.assoc))
    return _SUCCESS


# -- serving ---------------------------------------------------------------------


@contextmanager
def chunked_receiving(enabled: bool) -> Iterator[None]:  # noqa: FBT001  (a switch)
    """Set ``_config.STORE_RECV_CHUNKED_DATASET`` meanwhile, then restore it.

    Parameters
    ----------
    enabled : bool
        Whether the library spools received data sets to files.

    Yields
    ------
    None
        While the option is set.
    """
    saved = _config.STORE_RECV_CHUNKED_DATASET
    _config.STORE_RECV_CHUNKED_DATASET = enabled
    try:
        yield
    finally:
        _config.STORE_RECV_CHUNKED_DATASET = saved


def _make_ae(options: argparse.Namespace) -> AE:
    ae = server_ae(options)
    syntaxes = list(options.syntaxes)
    for context in AllStoragePresentationContexts:
        ae.add_supported_context(str(context.abstract_syntax), syntaxes)
    ae.add_supported_context(Verification, syntaxes)
    return ae


def _file_mode() -> int:
    """Return the mode a new file gets here: 0666 less the umask."""
    # Reading the umask means setting it; done once, before any handler runs.
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def _prepare(
    options: argparse.Namespace,
) -> tuple[AE, ssl.SSLContext | None, list[tuple[Any, Any]]]:
    """Check the options; return the AE, the TLS context and the handlers."""
    if not options.ignore and not options.output_directory.is_dir():
        raise AppError(
            f"The output directory {options.output_directory} does not exist",
            EXIT_USAGE,
        )
    context = server_tls(options)
    handlers: list[tuple[Any, Any]] = [
        *AssociationLog(_LOGGER).handlers(),
        (evt.EVT_C_ECHO, _on_c_echo),
        (evt.EVT_C_STORE, _Store(options, _file_mode())),
    ]
    return _make_ae(options), context, handlers


def _destination(options: argparse.Namespace) -> str:
    where = "nothing (--ignore)" if options.ignore else options.output_directory
    return f", storing in {where}"


def start(options: argparse.Namespace) -> tuple[AE, ThreadedAssociationServer]:
    """Start the SCP in the background, in this process; return the AE and server.

    ``ae.shutdown()`` stops it. The server's ``server_address`` holds the
    port actually listened on (for port 0). :func:`serve` also sets the
    library's chunked receiving; a caller of ``start`` may use
    :func:`chunked_receiving` for that. ``options.processes`` is not used
    here (see :func:`serve`).

    Raises
    ------
    AppError
        The output directory does not exist, the TLS files cannot be loaded,
        or the address cannot be listened on.
    """
    ae, context, handlers = _prepare(options)
    server = listen(ae, options, ssl_context=context, evt_handlers=handlers)
    tls = context is not None
    log_start(_LOGGER, options, tls=tls, server=server, detail=_destination(options))
    return ae, server


def _serve_in_processes(options: argparse.Namespace) -> int:
    """Serve from ``options.processes`` processes until SIGINT or SIGTERM."""
    ae, context, handlers = _prepare(options)
    # The library logs the address listened on and the process IDs next.
    log_start(_LOGGER, options, tls=context is not None, detail=_destination(options))
    return serve_in_processes(
        ae, options, ssl_context=context, evt_handlers=handlers, logger=_LOGGER
    )


def serve(options: argparse.Namespace) -> int:
    """Run the SCP until SIGINT or SIGTERM; return the exit status.

    With ``options.processes`` above 1, from that many pre-forked processes
    (see the module's documentation).

    Raises
    ------
    AppError
        As :func:`start`; or ``--processes`` on a system without ``fork``.
    """
    # Spooling what --ignore throws away would only cost disk writes.
    chunked = options.chunked and not options.ignore
    with chunked_receiving(chunked):
        if options.processes > 1:
            return _serve_in_processes(options)
        return serve_until_interrupted(lambda: start(options)[0], logger=_LOGGER)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``dicomnet storescp`` with ``argv`` (default: ``sys.argv[1:]``).

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
