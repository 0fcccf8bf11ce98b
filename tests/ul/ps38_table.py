"""PS3.8 Table 9-10, typed again row by row, independently of dicomnet.ul.fsm.

Each line is one event row of the standard's table: the event, then the cell of
each state Sta1 ... Sta13 in column order, "-" for a blank cell. The tests
compare dicomnet.ul.fsm.TRANSITIONS with this, cell by cell, so a typo in
either shows up as a mismatch.
"""

from __future__ import annotations

#          Sta1  Sta2  Sta3  Sta4  Sta5  Sta6  Sta7  Sta8  Sta9  Sta10 Sta11 Sta12 Sta13
_ROWS = """
Evt1:      AE-1  -     -     -     -     -     -     -     -     -     -     -     -
Evt2:      -     -     -     AE-2  -     -     -     -     -     -     -     -     -
Evt3:      -     AA-1  AA-8  -     AE-3  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-6
Evt4:      -     AA-1  AA-8  -     AE-4  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-6
Evt5:      AE-5  -     -     -     -     -     -     -     -     -     -     -     -
Evt6:      -     AE-6  AA-8  -     AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-7
Evt7:      -     -     AE-7  -     -     -     -     -     -     -     -     -     -
Evt8:      -     -     AE-8  -     -     -     -     -     -     -     -     -     -
Evt9:      -     -     -     -     -     DT-1  -     AR-7  -     -     -     -     -
Evt10:     -     AA-1  AA-8  -     AA-8  DT-2  AR-6  AA-8  AA-8  AA-8  AA-8  AA-8  AA-6
Evt11:     -     -     -     -     -     AR-1  -     -     -     -     -     -     -
Evt12:     -     AA-1  AA-8  -     AA-8  AR-2  AR-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-6
Evt13:     -     AA-1  AA-8  -     AA-8  AA-8  AR-3  AA-8  AA-8  AR-10 AR-3  AA-8  AA-6
Evt14:     -     -     -     -     -     -     -     AR-4  AR-9  -     -     AR-4  -
Evt15:     -     -     AA-1  AA-2  AA-1  AA-1  AA-1  AA-1  AA-1  AA-1  AA-1  AA-1  -
Evt16:     -     AA-2  AA-3  -     AA-3  AA-3  AA-3  AA-3  AA-3  AA-3  AA-3  AA-3  AA-2
Evt17:     -     AA-5  AA-4  AA-4  AA-4  AA-4  AA-4  AA-4  AA-4  AA-4  AA-4  AA-4  AR-5
Evt18:     -     AA-2  -     -     -     -     -     -     -     -     -     -     AA-2
Evt19:     -     AA-1  AA-8  -     AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-8  AA-7
"""


def _parse() -> dict[tuple[str, str], str | None]:
    table: dict[tuple[str, str], str | None] = {}
    for line in _ROWS.strip().splitlines():
        event, cells = line.split(":")
        actions = cells.split()
        assert len(actions) == 13, line
        for column, action in enumerate(actions, start=1):
            table[f"Sta{column}", event] = None if action == "-" else action
    assert len(table) == 13 * 19
    return table


#: (state, event) -> action name, or None for a blank cell; all 247 cells.
PS38_TABLE: dict[tuple[str, str], str | None] = _parse()
