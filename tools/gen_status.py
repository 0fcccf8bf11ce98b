"""Generate ``src/dicomnet/_status_tables.py`` from ``tools/data/status_tables.toml``.

Usage::

    python tools/gen_status.py            # rewrite src/dicomnet/_status_tables.py
    python tools/gen_status.py --check    # exit 1 if the file is stale
    python tools/gen_status.py OUTPUT     # write elsewhere (tests do)

pydicom ships no status dictionary, so the source is a data file that
transcribes the status tables of PS3.7 Annex C and the PS3.4 service annexes,
one entry per row (code or code range, category, description, clause). The
generated module keeps the rows as ranges and expands them at import, so that
a lookup is one ``dict`` access; :mod:`dicomnet.status` re-exports the tables.
Needs Python 3.11 (``tomllib``), as the CI does.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any, NamedTuple

import tomllib

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tools" / "data" / "status_tables.toml"
OUTPUT = ROOT / "src" / "dicomnet" / "_status_tables.py"

# The line length of ruff format (pyproject.toml), which the output must pass.
LINE_LENGTH = 88

# The category names of PS3.7 Annex C and the dicomnet._globals constant of each.
CATEGORIES = {
    "Success": "STATUS_SUCCESS",
    "Warning": "STATUS_WARNING",
    "Failure": "STATUS_FAILURE",
    "Cancel": "STATUS_CANCEL",
    "Pending": "STATUS_PENDING",
}

# "0105", "C000-CFFF", or PS3.4's "A7xx"/"Cxxx" (trailing x: any hex digit).
_CODE = re.compile(r"(?P<first>[0-9A-F]{4})(?:-(?P<last>[0-9A-F]{4}))?")
_WILDCARD = re.compile(r"(?P<fixed>[0-9A-F]{1,3})(?P<any>x{1,3})")
_NAME = re.compile(r"[A-Z][A-Z0-9_]*")


class Row(NamedTuple):
    """One row of a status table; ``first == last`` for a single code."""

    first: int
    last: int
    category: str
    description: str
    clause: str


class Group(NamedTuple):
    """Rows that one or more tables expand."""

    name: str
    comment: str
    rows: tuple[Row, ...]


class Table(NamedTuple):
    """A public table of ``dicomnet.status``: the groups it expands, in order."""

    name: str
    doc: str
    groups: tuple[str, ...]


def parse_code(text: str) -> tuple[int, int]:
    """Return ``(first, last)`` for ``"0105"``, ``"C000-CFFF"`` or ``"A7xx"``."""
    if match := _WILDCARD.fullmatch(text):
        width = len(match["any"])
        fixed = int(match["fixed"], 16) << (4 * width)
        return fixed, fixed | ((1 << (4 * width)) - 1)
    if match := _CODE.fullmatch(text):
        first = int(match["first"], 16)
        last = int(match["last"], 16) if match["last"] else first
        if first <= last:
            return first, last
    raise ValueError(f"{text!r} is not a status code or code range")


def status_class(code: int) -> str:
    """Return the status class PS3.7 Annex C assigns to `code` ("" if none)."""
    high = code >> 12
    if code == 0x0000:
        return "Success"
    if code in (0x0001, 0x0107, 0x0116) or high == 0xB:
        return "Warning"
    if high in (0xA, 0xC) or code >> 8 in (0x01, 0x02):
        return "Failure"
    if code == 0xFE00:
        return "Cancel"
    if code in (0xFF00, 0xFF01):
        return "Pending"
    return ""


def _text(value: object, where: str) -> str:
    # The module writes every text between double quotes without escapes.
    if not isinstance(value, str) or not value or '"' in value or "\\" in value:
        raise ValueError(f"{where}: {value!r} must be a non-empty plain string")
    return value


def _row(entry: dict[str, Any], where: str) -> Row:
    if set(entry) != {"code", "category", "description", "clause"}:
        raise ValueError(f"{where}: keys must be code, category, description, clause")
    first, last = parse_code(_text(entry["code"], where))
    category = _text(entry["category"], where)
    for code in (first, last):
        if status_class(code) != category:
            raise ValueError(f"{where}: {code:04X} is not a {category} code")
    return Row(
        first,
        last,
        category,
        _text(entry["description"], where),
        _text(entry["clause"], where),
    )


def _name(name: str, where: str) -> str:
    if not _NAME.fullmatch(name):
        raise ValueError(f"{where}: {name!r} is not an UPPER_CASE name")
    return name


def load(path: Path = DATA) -> tuple[list[Group], list[Table]]:
    """Read and check the data file; return its groups and tables, in order."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    groups = [
        Group(
            _name(name, "group"),
            _text(body["comment"], name),
            tuple(_row(row, f"{name}[{i}]") for i, row in enumerate(body["rows"])),
        )
        for name, body in data["group"].items()
    ]
    tables = [
        Table(
            _name(name, "table"),
            _text(body["doc"], name),
            tuple(body["groups"]),
        )
        for name, body in data["table"].items()
    ]
    known = {group.name for group in groups}
    used = {name for table in tables for name in table.groups}
    if used - known or known - used:
        unknown, unused = sorted(used - known), sorted(known - used)
        raise ValueError(f"unknown groups {unknown}, unused groups {unused}")
    return groups, tables


_HEADER = '''\
"""DIMSE status tables: PS3.7 Annex C and the PS3.4 service tables.

GENERATED by tools/gen_status.py from tools/data/status_tables.toml.
DO NOT EDIT BY HAND: change the data file and run the generator again.

Each row is ``(first code, last code, category, description)``; a row covers a
range where PS3.4 writes one (``A7xx``, ``Cxxx``). The tables are expanded at
import so that a lookup is one ``dict`` access; :mod:`dicomnet.status`
re-exports them.
"""

from __future__ import annotations

from typing import Final

from dicomnet._globals import (
{imports})

#: ``{{code: (category, description)}}``
StatusTable = dict[int, tuple[str, str]]

# (first code, last code, category, description); first == last for one code.
_Row = tuple[int, int, str, str]


def _expand(*groups: tuple[_Row, ...]) -> StatusTable:
    """Expand ranged rows into one table; a later row overrides an earlier one."""
    table: StatusTable = {{}}
    for rows in groups:
        for first, last, category, description in rows:
            # dict.fromkeys fills a range in C: the tables hold ~100,000 codes
            # (Cxxx alone is 4,096), which a Python loop took ~15 ms to load.
            table.update(dict.fromkeys(range(first, last + 1), (category, description)))
    return table
'''


def _comment(text: str, prefix: str = "#") -> list[str]:
    """Wrap `text` into comment lines that fit the line length."""
    lines: list[str] = []
    words = text.split()
    line = prefix
    for word in words:
        if len(line) + 1 + len(word) > LINE_LENGTH and line != prefix:
            lines.append(line)
            line = prefix
        line = f"{line} {word}"
    lines.append(line)
    return lines


def _call(head: str, args: list[str], indent: str = "", end: str = "") -> list[str]:
    """Lay out ``head(args)`` + `end` as ruff format does.

    One line if it fits; else the arguments on one indented line; else one
    argument a line, with a trailing comma. (A row's tuple never reaches the
    middle form: its arguments fit one deeper line only if the row fits one.)
    """
    flat = f"{indent}{head}({', '.join(args)}){end}"
    if len(flat) <= LINE_LENGTH:
        return [flat]
    inner = f"{indent}    {', '.join(args)}"
    if len(inner) <= LINE_LENGTH:
        return [f"{indent}{head}(", inner, f"{indent}){end}"]
    return [
        f"{indent}{head}(",
        *(f"{indent}    {arg}," for arg in args),
        f"{indent}){end}",
    ]


def _row_lines(row: Row) -> list[str]:
    args = [
        f"0x{row.first:04X}",
        f"0x{row.last:04X}",
        CATEGORIES[row.category],
        f'"{row.description}"',
    ]
    return _call("", args, indent="    ", end=",")


def _group(group: Group) -> str:
    lines = _comment(group.comment)
    lines.append(f"_{group.name}: Final[tuple[_Row, ...]] = (")
    clause = ""
    for row in group.rows:
        if row.clause != clause:
            clause = row.clause
            lines.extend(_comment(clause, prefix="    #"))
        lines.extend(_row_lines(row))
    lines.append(")")
    return "\n".join(lines) + "\n"


def _table(table: Table) -> str:
    lines = _comment(table.doc, prefix="#:")
    head = f"{table.name}: Final[StatusTable] = _expand"
    lines.extend(_call(head, [f"_{name}" for name in table.groups]))
    return "\n".join(lines) + "\n"


def render(path: Path = DATA) -> str:
    """Return the text of ``_status_tables.py``."""
    groups, tables = load(path)
    used = {row.category for group in groups for row in group.rows}
    imports = "".join(
        f"    {constant},\n"
        for constant in sorted(CATEGORIES[category] for category in used)
    )
    parts = [_HEADER.format(imports=imports)]
    parts.extend(_group(group) for group in groups)
    parts.extend(_table(table) for table in tables)
    return "\n\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    """Write (or with ``--check``, compare) the generated module."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", nargs="?", type=Path, default=OUTPUT)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        stale = not args.output.exists() or args.output.read_text() != text
        if stale:
            print(f"{args.output} is stale: run tools/gen_status.py", file=sys.stderr)
        return int(stale)
    args.output.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
