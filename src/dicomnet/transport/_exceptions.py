"""The one place where socket-level exceptions become dicomnet exceptions.

House style 4: drivers never scatter ``except OSError`` through their logic.
Each socket operation runs inside :func:`map_exceptions`, which turns
``OSError`` (``ssl.SSLError`` and ``TimeoutError`` are subclasses of it) into
the :class:`~dicomnet.errors.TransportError` that names what failed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping
    from types import TracebackType

    from dicomnet.errors import TransportError

__all__ = ["map_exceptions"]


class map_exceptions:  # noqa: N801  (used as a function-style context manager)
    """Re-raise the exceptions named in ``mapping`` as their transport errors.

    A class rather than a ``@contextmanager`` generator: every read and write
    of the driver goes through it, and entering a generator-based manager
    costs about five times as much (measured: 1.6 us against 0.3 us).

    Parameters
    ----------
    mapping : mapping of exception type to TransportError subclass
        Checked in order, so a subclass (``TimeoutError``) must come before
        its base (``OSError``). Exceptions not named propagate unchanged.

    Raises
    ------
    TransportError
        The mapped error, chained to the original (``raise ... from``).
    """

    __slots__ = ("_mapping",)

    def __init__(
        self, mapping: Mapping[type[BaseException], type[TransportError]]
    ) -> None:
        self._mapping = mapping

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc is None or not isinstance(exc, Exception):
            return
        for source, target in self._mapping.items():
            if isinstance(exc, source):
                raise target(str(exc) or type(exc).__name__) from exc
