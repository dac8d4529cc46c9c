"""Render a `Document` as one self-contained HTML page (Jinja2, inline CSS, no scripts)."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from pathlib import Path

import jinja2

from pipelines.i18n import t
from pipelines.reports.tables import Cell, Document

TEMPLATES = Path(__file__).parent / "templates"
NBSP = "\u00a0"
MINUS = "\u2212"


def _number(value: float, decimals: int) -> str:
    # Kazakh and Russian write a decimal comma and group thousands with a (non-breaking) space.
    text = f"{abs(value):,.{decimals}f}".replace(",", NBSP).replace(".", ",")
    return (MINUS if value < 0 else "") + text


def show(cell: Cell, lang: str) -> str:
    """A cell as text for a reader of `lang`."""
    value = cell.value
    if value is None or value == "":
        return "—" if cell.kind not in ("text", "bin") else ""
    if cell.kind == "int":
        return _number(float(value), 0)
    if cell.kind == "delta":
        return ("+" if value > 0 else "") + _number(float(value), 0)
    if cell.kind == "pct":
        return _number(float(value) * 100, 1) + NBSP + "%"
    if cell.kind == "pp":
        points = round(float(value) * 100, 1)
        return ("+" if points > 0 else "") + _number(points, 1) + NBSP + t("pp", lang)
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
