"""Render one language of a yearbook in its own process (see build._start_workers).

Usage: python -m pipelines.yearbook.worker <book.pickle> <release> <kk|ru>
Writes yearbook_<lang>.html and .pdf next to the pickle; prints the seconds spent.
"""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

from pipelines.yearbook.model import LANGS
from pipelines.yearbook.render import render_language


def main(argv: list[str]) -> int:
    blob, release, lang = Path(argv[0]), argv[1], argv[2]
    if lang not in LANGS:
        print(f"unknown language {lang!r}", file=sys.stderr)
        return 2
    book = pickle.loads(blob.read_bytes())  # written by build.py a moment ago, same user
    print(render_language(book, release, lang, blob.parent))  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
