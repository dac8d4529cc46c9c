"""One language of a book: charts, HTML and PDF (build.py runs it here or in worker.py).

Apart from the renderers it imports only the model, so a worker process that imports it does not
pay for DuckDB, polars and the spec's YAML (~1 s at start-up) it never uses.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from pipelines.yearbook.model import Book, Lang


def html_file(lang: Lang) -> str:
    return f"yearbook_{lang}.html"


def pdf_file(lang: Lang) -> str:
    return f"yearbook_{lang}.pdf"


def book_epoch(book: Book) -> int:
    """A fixed "build time" for embedded timestamps: 1 October of the academic year, UTC."""
    return int(datetime(int(book.academic_year[:4]), 10, 1, tzinfo=UTC).timestamp())


def render_language(book: Book, release: str, lang: Lang, folder: Path) -> float:
    """Charts, HTML and PDF of one language; returns seconds spent (runs in a worker process)."""
    from pipelines.yearbook import charts
    from pipelines.yearbook.html import render_html, render_pdf

    t = time.perf_counter()
    no_data = book.labels["no_data_chart"][lang]
    pngs = {(f.id, lang): charts.render(f, lang, no_data) for f in book.figures}
    html = render_html(book, release, lang, pngs)
    (folder / html_file(lang)).write_text(html, encoding="utf-8")
    render_pdf(html, folder / pdf_file(lang), epoch=book_epoch(book))
    return time.perf_counter() - t
