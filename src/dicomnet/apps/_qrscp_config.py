"""``dicomnet qrscp``'s peers: Move Destinations and allowed calling AE titles.

Two sources, merged: ``--move-destination AET=HOST:PORT`` options, and a TOML
file (``--config FILE``) read with the standard library's :mod:`tomllib`
(Python 3.11 and later; on 3.10 ``--config`` is refused and the command-line
options remain)::

    # Where C-MOVE sends instances: Move Destination AE title -> address.
    [destinations]
    STORESCP = { host = "127.0.0.1", port = 11113 }
    VIEWER = { host = "viewer.example.org", port = 104 }

    # Optional: only these calling AE titles may associate (none: anyone).
    [access]
    calling_ae_titles = ["STORESCU", "VIEWER"]

An unknown table or key is an error, so that a misspelt one is not silently
ignored. A destination given on the command line replaces the file's entry of
the same AE title.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from dicomnet.apps._common import ae_title, port_number

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from pathlib import Path

__all__ = [
    "ConfigError",
    "Destination",
    "PeerConfig",
    "load_config",
    "move_destination",
]

_TABLES: Final = frozenset({"destinations", "access"})
_DESTINATION_KEYS: Final = frozenset({"host", "port"})
_ACCESS_KEYS: Final = frozenset({"calling_ae_titles"})


class ConfigError(ValueError):
    """The configuration file cannot be read or has an invalid entry."""


@dataclass(frozen=True, slots=True)
class Destination:
    """A Move Destination: where the C-STORE sub-operations of a C-MOVE go.

    Attributes
    ----------
    ae_title : str
        The AE title C-MOVE requests name it by (PS3.4 C.4.2.1.3).
    host : str
        Its host name or address.
    port : int
        Its TCP port.
    """

    ae_title: str
    host: str
    port: int

    def __str__(self) -> str:
        """Return ``AET=host:port``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.ae_title}={host}:{self.port}"


@dataclass(frozen=True, slots=True)
class PeerConfig:
    """The AE titles the archive knows.

    Attributes
    ----------
    destinations : dict of str to Destination
        Move Destinations by AE title (stripped of padding spaces).
    calling_ae_titles : tuple of str
        The calling AE titles allowed to associate; empty: any.
    """

    destinations: Mapping[str, Destination] = field(default_factory=dict)
    calling_ae_titles: tuple[str, ...] = ()

    def with_destinations(self, extra: Iterable[Destination]) -> PeerConfig:
        """Return a copy where ``extra`` replace entries of the same AE title."""
        merged = dict(self.destinations)
        merged.update((item.ae_title, item) for item in extra)
        return PeerConfig(merged, self.calling_ae_titles)


def _title(value: object, where: str) -> str:
    """Return a valid AE title, stripped (PS3.5 6.2: padding is not significant)."""
    if not isinstance(value, str):
        raise ConfigError(f"{where}: an AE title must be a string, not {value!r}")
    try:
        return ae_title(value).strip()
    except argparse.ArgumentTypeError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def _address(host: object, port: object, where: str) -> tuple[str, int]:
    if not isinstance(host, str) or not host.strip():
        raise ConfigError(f"{where}: 'host' must be a non-empty string")
    # TOML integers are int; bool is an int subclass but not a port.
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise ConfigError(f"{where}: 'port' must be an integer 1..65535")
    return host.strip(), port


def move_destination(value: str) -> Destination:
    """Parse ``AET=HOST:PORT`` (``AET=[IPv6]:PORT``): an argparse type.

    Parameters
    ----------
    value : str
        The option's value.

    Returns
    -------
    Destination
        The destination.

    Raises
    ------
    argparse.ArgumentTypeError
        The value is not of that form, or the AE title or port is invalid.
    """
    title, equals, address = value.partition("=")
    host, colon, port = address.rpartition(":")
    if not equals or not colon or not host:
        raise argparse.ArgumentTypeError(
            f"not AET=HOST:PORT: {value!r} (e.g. STORESCP=127.0.0.1:11113)"
        )
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]  # an IPv6 literal, bracketed as in a URL (RFC 3986)
    number = port_number(port)
    if number == 0:
        raise argparse.ArgumentTypeError("a Move Destination's port cannot be 0")
    return Destination(ae_title(title).strip(), host, number)


def _load_toml(path: Path) -> dict[str, Any]:
    try:
        import tomllib  # noqa: PLC0415  (Python 3.11+, checked at use)
    except ImportError:  # pragma: no cover - Python 3.10 only
        raise ConfigError(
            "--config needs Python 3.11 or later (tomllib); use "
            "--move-destination instead"
        ) from None
    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None


def _unknown(keys: Iterable[str], known: frozenset[str], where: str) -> None:
    extra = sorted(set(keys) - known)
    if extra:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(extra)}")


def _destinations(table: object, source: Path) -> dict[str, Destination]:
    if not isinstance(table, dict):
        raise ConfigError(f"{source}: [destinations] must be a table")
    found: dict[str, Destination] = {}
    for name, entry in table.items():
        where = f"{source}: destination {name!r}"
        title = _title(name, where)
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: must be a table {{ host = ..., port = ... }}")
        _unknown(entry, _DESTINATION_KEYS, where)
        host, port = _address(entry.get("host"), entry.get("port"), where)
        found[title] = Destination(title, host, port)
    return found


def _calling_titles(table: object, source: Path) -> tuple[str, ...]:
    if not isinstance(table, dict):
        raise ConfigError(f"{source}: [access] must be a table")
    _unknown(table, _ACCESS_KEYS, f"{source}: [access]")
    titles = table.get("calling_ae_titles", [])
    if not isinstance(titles, list):
        raise ConfigError(f"{source}: calling_ae_titles must be a list of strings")
    where = f"{source}: calling_ae_titles"
    return tuple(_title(title, where) for title in titles)


def load_config(path: Path) -> PeerConfig:
    """Read a ``qrscp`` configuration file (TOML, see the module's documentation).

    Parameters
    ----------
    path : pathlib.Path
        The file.

    Returns
    -------
    PeerConfig
        Its destinations and allowed calling AE titles.

    Raises
    ------
    ConfigError
        The file cannot be read, is not TOML, or has an invalid entry.
    """
    document = _load_toml(path)
    _unknown(document, _TABLES, str(path))
    return PeerConfig(
        _destinations(document.get("destinations", {}), path),
        _calling_titles(document.get("access", {}), path),
    )
