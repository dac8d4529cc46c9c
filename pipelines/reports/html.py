"""Render a `Document` as one self-contained HTML page (Jinja2, inline CSS, no scripts)."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from pathlib import Path

import jinja2

from pipelines.publishing import numbers
from pipelines.reports.tables import NUMERIC, Cell, Document

TEMPLATES = Path(__file__).parent / "templates"


def show(cell: Cell, lang: str) -> str:
    """A cell as text for a reader of `lang` (numbers: pipelines.publishing.numbers)."""
    value = cell.value
    if cell.kind in NUMERIC:
        # a number that cannot exist (no previous round, nothing expected) is «–», as in the
        # yearbook; a rate or a change carries its unit, a count does not
        return numbers.text(value, cell.kind, lang, unit=True)  # type: ignore[arg-type]
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        # Messages and offending values come from submissions: always escape them.
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["show"] = show
    return env


def render_page(doc: Document) -> str:
    return _environment().get_template("pack.html.j2").render(doc=doc)


def write_page(doc: Document, path: Path) -> None:
    path.write_text(render_page(doc), encoding="utf-8", newline="\n")
