"""`edustat sql` on screen: an aligned table, or one record per block when rows are too wide.

Written as plain aligned text, not a rich Table: rich measured and folded 1,000 rows for 15 s
and squeezed a wide table into 3-character columns. Here every column is as wide as its widest
value (a cell longer than MAX_CELL is cut with '…'); when the columns do not fit the terminal,
`auto` switches to the vertical layout (psql's \\x): one block per row, one line per column.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from enum import StrEnum
from typing import Any, TextIO

from rich.cells import cell_len

MAX_CELL = 60
_GAP = " │ "


class Layout(StrEnum):
    auto = "auto"
    table = "table"
    vertical = "vertical"


def cell_text(v: Any) -> str:
    if v is None:
        return "NULL"
    if isinstance(v, float):
        # Six decimals are plenty on screen (shares, rates), but never exponent notation for a
        # large count (`.6g` would print 1234567.0 as 1.23457e+06); csv/json keep full precision.
        if math.isfinite(v) and v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return repr(round(v, 6)) if math.isfinite(v) else repr(v)
    text = str(v).replace("\r", " ").replace("\n", "⏎")
    return text


def _cut(text: str, width: int) -> str:
    if cell_len(text) <= width:
        return text
    out, used = [], 0
    for ch in text:
        used += cell_len(ch)
        if used > width - 1:
            break
        out.append(ch)
    return "".join(out) + "…"


def _pad(text: str, width: int, right: bool) -> str:
    space = " " * max(0, width - cell_len(text))
    return space + text if right else text + space


def _numeric(values: list[Any]) -> bool:
    present = [v for v in values if v is not None]
    return bool(present) and all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in present
    )


def table_width(cols: Sequence[str], cells: list[list[str]]) -> list[int]:
    widths = [cell_len(c) for c in cols]
    for row in cells:
        for i, text in enumerate(row):
            widths[i] = max(widths[i], cell_len(text))
    return widths


def render_rows(
    cols: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    out: TextIO,
    layout: Layout,
    width: int,
) -> Layout:
    """Write `rows`; returns the layout used (auto resolves to table or vertical)."""
    cells = [[_cut(cell_text(v), MAX_CELL) for v in row] for row in rows]
    widths = table_width(cols, cells)
    total = sum(widths) + len(_GAP) * (len(cols) - 1)
    if layout is Layout.auto:
        layout = Layout.vertical if total > width and len(cols) > 1 else Layout.table
    if layout is Layout.vertical:
        _vertical(cols, cells, out)
        return layout
    right = [_numeric([r[i] for r in rows]) for i in range(len(cols))]
    out.write(_GAP.join(_pad(c, w, False) for c, w in zip(cols, widths, strict=True)) + "\n")
    out.write("─┼─".join("─" * w for w in widths) + "\n")
    for row in cells:
        line = _GAP.join(_pad(t, w, r) for t, w, r in zip(row, widths, right, strict=True)).rstrip()
        out.write(line + "\n")
    return layout


def _vertical(cols: Sequence[str], cells: list[list[str]], out: TextIO) -> None:
    name_width = max((cell_len(c) for c in cols), default=0)
    for n, row in enumerate(cells, 1):
        out.write(f"-[ {n} ]" + "-" * max(3, name_width - 4) + "\n")
        for name, text in zip(cols, row, strict=True):
            out.write(f"{_pad(name, name_width, False)} │ {text}\n")
