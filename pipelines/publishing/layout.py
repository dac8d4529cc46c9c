"""Which page and type size a table needs, from what it holds: a table never runs off the page.

WeasyPrint does not shrink a table to fit: a table wider than the page is clipped at its right
edge, and in a PDF what is off the page is lost to the reader and to `pdftotext` alike. So the
width is estimated before rendering, from the longest unbreakable text of every column (a
number or a row label does not wrap; a heading wraps at its spaces), and the first of
portrait → portrait with smaller type → landscape → landscape with smaller type that holds it is
chosen. A table that fits none of them gets the smallest type on a landscape page and row labels
that wrap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# A4 minus the yearbook's 12 mm side margins (templates/book.css).
PORTRAIT_MM = 186.0
LANDSCAPE_MM = 273.0
# Type sizes tried, largest first (pt); the body of a table is set at the first one.
SIZES_PT: tuple[float, ...] = (7.5, 6.5, 5.8)
_PT_MM = 0.3528
# DejaVu Sans is a wide face: an average Cyrillic or digit glyph is about 0.62 em, bold 0.68 em.
_EM_PLAIN = 0.62
_EM_BOLD = 0.68
# 3 pt padding each side plus the rule between cells.
_CELL_EXTRA_MM = 2 * 3 * _PT_MM + 0.3
# Estimates are rough: keep a margin so a table estimated at the limit still fits.
_SLACK = 0.94


@dataclass(frozen=True)
class Column:
    heading: Sequence[str]  # heading lines (group heading, column heading): wrap at spaces
    cells: Sequence[str]  # body texts: never wrap


@dataclass(frozen=True)
class Layout:
    landscape: bool
    font_pt: float
    wrap_labels: bool = False

    @property
    def css_class(self) -> str:
        size = {7.5: "", 6.5: " small", 5.8: " tiny"}[self.font_pt]
        wrap = " wrap" if self.wrap_labels else ""
        return ("wide" if self.landscape else "narrow") + size + wrap


def _longest_word(texts: Sequence[str]) -> int:
    return max((len(w) for t in texts for w in t.split()), default=0)


def _longest(texts: Sequence[str]) -> int:
    return max((len(t) for t in texts), default=0)


def width_mm(labels: Column, columns: Sequence[Column], pt: float, wrap_labels: bool) -> float:
    em = pt * _PT_MM
    label_chars = _longest_word(labels.cells) if wrap_labels else _longest(labels.cells)
    total = max(label_chars * _EM_PLAIN, _longest_word(labels.heading) * _EM_BOLD) * em
    total += _CELL_EXTRA_MM
    for c in columns:
        chars = max(_longest(c.cells) * _EM_PLAIN, _longest_word(c.heading) * _EM_BOLD)
        total += chars * em + _CELL_EXTRA_MM
    return total


def fit(labels: Column, columns: Sequence[Column], *, landscape: bool = False) -> Layout:
    """The first layout that holds the table (see the module docstring)."""
    pages = [(True, LANDSCAPE_MM)] if landscape else [(False, PORTRAIT_MM), (True, LANDSCAPE_MM)]
    for wide, page in pages:
        for pt in SIZES_PT:
            if width_mm(labels, columns, pt, wrap_labels=False) <= page * _SLACK:
                return Layout(wide, pt)
    return Layout(True, SIZES_PT[-1], wrap_labels=True)
