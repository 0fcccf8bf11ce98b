"""A received data set kept as the fragments it arrived in, until someone reads it.

A DIMSE primitive holds its data set as an :class:`io.BytesIO` (pynetdicom's
contract). Joining a large data set's fragments into one ``bytes`` copies it;
a C-STORE SCP that writes the data set out (PS3.10 header plus fragments) or
never looks at it needs no such copy. :class:`FragmentedBytesIO` is that
``BytesIO``: its fragments are joined the first time any ``BytesIO`` method
is used, and :attr:`FragmentedBytesIO.fragments` hands them out unjoined
before that.
"""

from __future__ import annotations

from io import BytesIO
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

__all__ = ["FragmentedBytesIO"]


class FragmentedBytesIO(BytesIO):
    """An :class:`io.BytesIO` whose content is joined from fragments on first use.

    Parameters
    ----------
    fragments : sequence of bytes-like
        The data, in order; views are kept, not copied.
    """

    def __init__(self, fragments: Sequence[bytes | memoryview]) -> None:
        super().__init__()
        self._fragments: Sequence[bytes | memoryview] | None = fragments
        self._size = sum(len(fragment) for fragment in fragments)

    @property
    def fragments(self) -> Sequence[bytes | memoryview] | None:
        """The fragments, or ``None`` once they have been joined."""
        return self._fragments

    @property
    def size(self) -> int:
        """The length of the data in bytes."""
        return self._size if self._fragments is not None else len(self.getbuffer())

    def join(self) -> None:
        """Join the fragments into the buffer now (idempotent)."""
        fragments = self._fragments
        if fragments is not None:
            self._fragments = None
            # BytesIO.__init__ may be called again: it replaces the buffer.
            BytesIO.__init__(self, b"".join(fragments))


def _joining(name: str) -> Callable[..., Any]:
    method = getattr(BytesIO, name)

    def joined_first(self: FragmentedBytesIO, *args: Any, **kwargs: Any) -> Any:  # noqa: ANN401
        self.join()
        return method(self, *args, **kwargs)

    joined_first.__name__ = name
    joined_first.__doc__ = method.__doc__
    return joined_first


#: Every BytesIO method that reads or changes the content or the position.
_METHODS: Final = (
    "getbuffer",
    "getvalue",
    "read",
    "read1",
    "readinto",
    "readinto1",
    "readline",
    "readlines",
    "seek",
    "tell",
    "truncate",
    "write",
    "writelines",
    "__iter__",
    "__next__",
)
for _name in _METHODS:
    setattr(FragmentedBytesIO, _name, _joining(_name))
