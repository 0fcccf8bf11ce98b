"""The one place where socket-level exceptions become dicomnet exceptions.

House style 4: drivers never scatter ``except OSError`` through their logic.
Each socket operation runs inside :func:`map_exceptions`, which turns
``OSError`` (``ssl.SSLError`` and ``TimeoutError`` are subclasses of it) into
the :class:`~dicomnet.errors.TransportError` that names what failed.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from dicomnet.errors import TransportError

__all__ = ["map_exceptions"]


@contextmanager
def map_exceptions(
    mapping: Mapping[type[BaseException], type[TransportError]],
) -> Iterator[None]:
    """Re-raise the exceptions named in ``mapping`` as their transport errors.

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
    try:
        yield
    except Exception as exc:
        for source, target in mapping.items():
            if isinstance(exc, source):
                raise target(str(exc) or type(exc).__name__) from exc
        raise
