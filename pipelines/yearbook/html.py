"""The HTML and PDF editions: one book per language from one Jinja template.

The HTML is self-contained (CSS inline, figures as data: URIs) so it can be mailed or put on a
web server as one file; the PDF is WeasyPrint's rendering of that very HTML, so the two cannot
drift apart.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from pipelines.publishing import layout, numbers
from pipelines.yearbook.model import Book, Cell, Column, Figure, Lang, Table, Text

TEMPLATES = Path(__file__).with_name("templates")


@dataclass(frozen=True)
class _Group:
    label: Text | None
    columns: list[Column]


@cache
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
    )


def _groups(columns: list[Column]) -> list[_Group]:
    out: list[_Group] = []
    for c in columns:
        if c.group is not None and out and out[-1].label == c.group:
            out[-1].columns.append(c)
        else:
            out.append(_Group(c.group, [c]))
    return out


def cell_text(cell: Cell, column: Column, lang: Lang) -> str:
    return numbers.text(cell.value, column.fmt, lang, mark=cell.mark, partial=cell.partial)


def _table_item(table: Table, book: Book, lang: Lang) -> dict[str, Any]:
    rows = [
        {
            "label": row.label[lang],
            "total": row.is_total,
            "cells": [cell_text(table.cell(row.key, c.key), c, lang) for c in table.columns],
        }
        for row in table.rows
    ]
    # The page and type size come from what the table holds, so no column runs off the page.
    fitted = layout.fit(
        layout.Column([table.row_header[lang]], [r["label"] for r in rows]),
        [
            layout.Column(
                [c.group[lang], c.label[lang]] if c.group else [c.label[lang]],
                [r["cells"][j] for r in rows],
            )
            for j, c in enumerate(table.columns)
        ],
        landscape=table.landscape,
    )
    return {
        "kind": "table",
        "table": table,
        "rows": rows,
        "layout": fitted,
        "grouped": any(c.group is not None for c in table.columns),
        "groups": _groups(table.columns),
    }


def render_html(book: Book, release: str, lang: Lang, pngs: dict[tuple[str, Lang], bytes]) -> str:
    figures_after: dict[str | None, list[Figure]] = {}
    for f in book.figures:
        figures_after.setdefault(f.table_id, []).append(f)
    sections = []
    for section in book.sections:
        items: list[dict[str, Any]] = []
        for t in (t for t in book.tables if t.section == section.id):
            items.append(_table_item(t, book, lang))
            for f in figures_after.get(t.id, []):
                png = base64.b64encode(pngs[(f.id, lang)]).decode("ascii")
                items.append({"kind": "figure", "figure": f, "png": png})
        if items:
            tables = [i for i in items if i["kind"] == "table"]
            # a section of wide tables is laid out on landscape pages, heading included; a wide
            # table in a section of narrow ones gets a landscape page of its own, and when it
            # opens the section the heading goes with it (not alone on a portrait page)
            wide = bool(tables) and all(i["layout"].landscape for i in tables)
            first = items[0]
            heading_in_first = not wide and first["kind"] == "table" and first["layout"].landscape
            sections.append(
                {
                    "section": section,
                    "entries": items,
                    "wide": wide,
                    "heading_in_first": heading_in_first,
                }
            )
    legend: list[tuple[str, str]] = []
    for symbol, meaning in book.marks.values():
        if (symbol, meaning[lang]) not in legend:
            legend.append((symbol, meaning[lang]))
    legend.append((numbers.PARTIAL, book.labels["partial"][lang]))
    css = (TEMPLATES / "book.css").read_text(encoding="utf-8")
    return (
        _env()
        .get_template("book.html.j2")
        .render(
            book=book,
            release=release,
            lang=lang,
            L=book.labels,
            sections=sections,
            legend=legend,
            css=css,
        )
    )


def render_pdf(html: str, path: Path, epoch: int) -> None:
    """PDF of the HTML. `epoch` (seconds) stands in for "now" in the embedded font subsets.

    fontTools stamps each font subset's `head.modified` with the current time unless
    SOURCE_DATE_EPOCH is set (reproducible-builds convention); with it, the same book gives the
    same PDF bytes.
    """
    from weasyprint import HTML  # heavy import: only when a PDF is wanted

    before = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
    try:
        HTML(string=html, base_url=str(TEMPLATES)).write_pdf(path)
    finally:
        if before is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = before
