"""Every ```sql block of docs/QUERY_GUIDE.md runs on the real pipeline's published snapshot and
returns rows: the guide cannot drift from the marts' real names."""

from __future__ import annotations

import io
import re
from pathlib import Path

import duckdb
import pytest
from rich.console import Console

from pipelines.cli.sql import run_query, show
from pipelines.cli.sql_table import Layout
from pipelines.publish.snapshot import CURRENT, DB_FILE
from pipelines.settings import REPO_ROOT

GUIDE = REPO_ROOT / "docs" / "QUERY_GUIDE.md"
BLOCKS = re.findall(r"```sql\n(.*?)```", GUIDE.read_text(encoding="utf-8"), flags=re.S)


def _title(block: str) -> str:
    first = next(ln for ln in block.splitlines() if ln.strip() and not ln.startswith("SET "))
    return first.strip()[:60]


def test_the_guide_has_the_promised_sections() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    for heading in (
        "## An indicator by region against its target",
        "## The trend across rounds",
        "## Colleges missing in a round",
        "## A college's history",
    ):
        assert heading in text
    assert len(BLOCKS) >= 10


@pytest.mark.parametrize("block", BLOCKS, ids=[_title(b) for b in BLOCKS])
def test_guide_query_runs_on_the_snapshot(pipeline_home: Path, block: str) -> None:
    db = pipeline_home / "published" / CURRENT / DB_FILE
    # A fresh read-only connection per block, as `edustat sql` opens one per invocation.
    with duckdb.connect(str(db), read_only=True) as con:
        cols, rows, _ = run_query(con, block, limit=None)
    assert cols, "the block's last statement returns no result set"
    assert rows, f"no rows:\n{block}"
    # And it shows on screen (a NULL, a date, a Decimal; vertical when too wide).
    buf = io.StringIO()
    show(cols, rows, Layout.auto, Console(file=buf, width=200))
    assert cols[0] in buf.getvalue()
