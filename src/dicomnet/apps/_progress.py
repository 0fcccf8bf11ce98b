"""A progress bar for the applications that move many instances.

``storescu`` (and later ``getscu``, ``movescu``) show files done out of the
total and the throughput on stderr, with :mod:`tqdm`::

    Sending:  40%|####      | 21.0M/52.4M [00:02<00:03, 10.5MB/s, 4/10 files]

The bar appears by default only where someone watches it: for more than one
file, on a terminal. ``--progress`` forces it, ``--no-progress`` hides it.
While it is shown, the application's log lines are printed above it instead
of through it.
"""

from __future__ import annotations

import logging
import sys
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any, TextIO

# tqdm ships no type information of its own; types-tqdm may be installed.
from tqdm import tqdm  # type: ignore[import-untyped, unused-ignore]
from tqdm.contrib.logging import (  # type: ignore[import-untyped, unused-ignore]
    logging_redirect_tqdm,
)

if TYPE_CHECKING:
    import argparse
    from types import TracebackType

    from typing_extensions import Self

__all__ = ["TransferProgress", "add_progress_options", "progress_wanted"]


def add_progress_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--progress`` and ``--no-progress`` (``options.progress``).

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The application's parser.
    """
    group = parser.add_argument_group("progress bar")
    choice = group.add_mutually_exclusive_group()
    choice.add_argument(
        "--progress",
        dest="progress",
        action="store_const",
        const=True,
        default=None,
        help="show a progress bar on stderr (default: for more than one file, "
        "when stderr is a terminal)",
    )
    choice.add_argument(
        "--no-progress",
        dest="progress",
        action="store_const",
        const=False,
        help="never show a progress bar",
    )


def progress_wanted(files: int, stream: TextIO, *, choice: bool | None) -> bool:
    """Return whether to show the bar.

    Parameters
    ----------
    files : int
        How many files the transfer has.
    stream : TextIO
        Where the bar would go.
    choice : bool or None
        ``--progress`` (True), ``--no-progress`` (False) or neither (None).

    Returns
    -------
    bool
        ``choice`` if given; else whether there is more than one file and
        ``stream`` is a terminal.
    """
    if choice is not None:
        return choice
    isatty = getattr(stream, "isatty", None)
    return files > 1 and callable(isatty) and bool(isatty())


class TransferProgress:
    """Files done out of a total, and bytes per second, as one tqdm bar.

    The bar counts bytes, so that the rate reads in MB/s and a large file
    moves it as much as many small ones; the file count is its postfix.
    Disabled, every method does nothing.

    Parameters
    ----------
    files : int
        How many files the transfer has.
    total_bytes : int or None
        Their size together, if known.
    enabled : bool
        Whether to show the bar at all.
    description : str, optional
        The bar's label.
    stream : TextIO, optional
        Where to draw it (default: ``sys.stderr`` at construction).
    """

    def __init__(
        self,
        files: int,
        total_bytes: int | None,
        *,
        enabled: bool,
        description: str = "Sending",
        stream: TextIO | None = None,
    ) -> None:
        self.files = files
        self.done = 0
        self._enabled = enabled
        self._stream = sys.stderr if stream is None else stream
        self._description = description
        self._total_bytes = total_bytes
        self._bar: Any = None  # a tqdm, untyped
        self._stack = ExitStack()

    def __enter__(self) -> Self:
        """Draw the bar and route the ``dicomnet`` log lines above it."""
        if self._enabled:
            self._bar = self._stack.enter_context(
                tqdm(
                    total=self._total_bytes,
                    desc=self._description,
                    unit="B",
                    unit_scale=True,
                    unit_divisor=1000,
                    file=self._stream,
                    dynamic_ncols=True,
                    # Throughput over the whole transfer, not the last file.
                    smoothing=0,
                )
            )
            self._bar.set_postfix_str(self._files_text(), refresh=False)
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

    def _files_text(self) -> str:
        return f"{self.done}/{self.files} files"

    def file_done(self, nbytes: int) -> None:
        """Count one more file of ``nbytes`` bytes, sent or not.

        Parameters
        ----------
        nbytes : int
            The file's size.
        """
        self.done += 1
        if self._bar is not None:
            self._bar.set_postfix_str(self._files_text(), refresh=False)
            self._bar.update(nbytes)
