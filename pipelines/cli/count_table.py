"""The CLI's tables of counts (`edustat run`'s files per source, `edustat status`'s files and
colleges per round), laid out so that no header is ever cut.

Rich shrinks a table that is wider than the terminal by cutting its cells, headers included: on
80 columns the Kazakh headers `қабылданды` and `қабылданбады` (loaded, rejected) both became
`қабы…`, and round ids became `2023-a…`. Here a header of several words is broken into lines no
wider than its longest word (or HEADER_LINE), every count column is at least that wide, the
columns are one space apart, and what gives way on a narrow terminal is the label column, whose
names wrap between words. The widest table, the colleges per round in Russian, needs 80 columns.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from rich import box
from rich.table import Table

# Words of a header share a line up to this width ("не сдали", "on time"), else stack.
HEADER_LINE = 8


def count_table(
    title: str, label: str, headers: Sequence[str], *, label_no_wrap: bool = False
) -> Table:
    """A table with a label column (`label_no_wrap`: codes such as `2024-autumn`, never broken)
    and a right-aligned count column per header."""
    table = Table(
        title=title,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        collapse_padding=True,
        pad_edge=False,
        show_edge=False,
    )
    table.add_column(label, no_wrap=label_no_wrap)
    for header in headers:
        width = max(HEADER_LINE, *map(len, header.split()))
        lines = textwrap.wrap(header, width, break_long_words=False)
        table.add_column("\n".join(lines), justify="right", min_width=max(map(len, lines)))
    return table
