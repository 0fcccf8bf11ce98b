"""dicomnet's version and the implementation identity it sends (PS3.7 D.3.3.2).

The Implementation Class UID lives under a root derived from a UUID, as PS3.5
B.2 allows ("2.25." followed by the UUID as one integer), so it is valid and
unique without registering an organisation root. The UUID was generated once
with :func:`uuid.uuid4` and must never change.
"""

from __future__ import annotations

import re
from importlib.metadata import PackageNotFoundError, version
from typing import Final

from pydicom.uid import UID

__all__ = [
    "DICOMNET_IMPLEMENTATION_UID",
    "DICOMNET_IMPLEMENTATION_VERSION",
    "DICOMNET_UID_PREFIX",
    "__version__",
]


def _installed_version() -> str:
    try:
        return version("dicomnet")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0.0.0"


__version__: Final = _installed_version()

#: The UUID behind dicomnet's UID root: 4e9f2433-f3d1-45a1-a39a-0cfe60e5a78b.
_ROOT_UUID: Final = 0x4E9F2433F3D145A1A39A0CFE60E5A78B

#: PS3.5 B.2: "2.25." and the UUID as a decimal integer, then a "." so that
#: sub-identifiers can be appended.
DICOMNET_UID_PREFIX: Final = f"2.25.{_ROOT_UUID}."


def _release(text: str) -> tuple[int, int, int]:
    """Return the (major, minor, micro) of a PEP 440 version string."""
    match = re.match(r"(\d+)(?:\.(\d+))?(?:\.(\d+))?", text)
    if match is None:
        return (0, 0, 0)
    major, minor, micro = (int(part or 0) for part in match.groups())
    return (major, minor, micro)


_MAJOR, _MINOR, _MICRO = _release(__version__)

#: Implementation Class UID (PS3.7 D.3.3.2.1): the prefix and the release
#: numbers, which as ints carry no leading zeros (PS3.5 9.1).
DICOMNET_IMPLEMENTATION_UID: Final = UID(
    f"{DICOMNET_UID_PREFIX}{_MAJOR}.{_MINOR}.{_MICRO}"
)

#: Implementation Version Name (PS3.7 D.3.3.2.3): 1 to 16 characters.
DICOMNET_IMPLEMENTATION_VERSION: Final = f"DICOMNET_{_MAJOR}{_MINOR}{_MICRO}"[:16]
