"""How a cell reads in the HTML and PDF books (the XLSX keeps real numbers).

Kazakh and Russian statistical publications group thousands with a space and use a decimal
comma. The space is a no-break space so a number never wraps inside a narrow column; negative
numbers take the minus sign U+2212 so they cannot be mistaken for the «–» mark.
"""

from __future__ import annotations

from pipelines.yearbook.model import Book, Cell, Fmt

NBSP = "\u00a0"
MINUS = "\u2212"


def number(value: int | float, fmt: Fmt) -> str:
    if fmt == "int":
        text = f"{int(value):,}".replace(",", NBSP)
    else:
        text = f"{float(value):,.1f}".replace(",", NBSP).replace(".", ",")
    return text.replace("-", MINUS)


def cell_text(cell: Cell, fmt: Fmt, book: Book) -> str:
    if cell.mark is not None:
        return book.symbol(cell.mark)
    assert cell.value is not None
    return number(cell.value, fmt)


def percent(num: int, den: int) -> str:
    """A rate for running text ("97,5"); «–» when nothing was expected."""
    return "–" if den == 0 else number(round(100 * num / den, 1), "pct")
