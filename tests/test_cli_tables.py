"""The CLI's tables of counts on an 80-column terminal, in every language the CLI speaks: every
header word and every round id is shown whole, and no line is wider than the terminal
(pipelines/cli/count_table.py). The words are the real ones, so a longer translation that no
longer fits fails here."""

from __future__ import annotations

import io
from collections import Counter

import duckdb
import pytest
from rich.console import Console

from pipelines.cli.run_summary import STATUSES, files_table
from pipelines.cli.status import COLLEGE_COUNTS, colleges_section, registry_section, tr
from pipelines.cli.words import say

WIDTH = 80
CLI_LANGS = ("kk", "ru", "en")


def rendered(draw) -> str:  # noqa: ANN001
    buffer = io.StringIO()
    draw(Console(file=buffer, width=WIDTH, color_system=None))
    return buffer.getvalue()


def assert_whole(text: str, words: list[str]) -> None:
    assert "…" not in text, text
    assert max(len(line.rstrip()) for line in text.splitlines()) <= WIDTH, text
    shown = text.split()
    for word in (w for phrase in words for w in phrase.split()):
        assert word in shown, (word, text)


@pytest.fixture
def warehouse() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA raw; CREATE SCHEMA marts")
    con.execute(
        "CREATE TABLE raw.landing_files AS SELECT * FROM (VALUES"
        " ('nobd/2024-autumn/a.xlsx', 'nobd_submission', '2024-autumn', 'loaded'),"
        " ('nobd/2024-autumn/b.xlsx', 'nobd_submission', '2024-autumn', 'rejected'),"
        " ('passports/2024/p.xlsx', 'college_passport', '2024', 'loaded'))"
        " AS t(path, source, partition_key, status)"
    )
    con.execute(
        "CREATE TABLE marts.fct_dq_submission_status AS SELECT * FROM (VALUES"
        " ('2024-autumn', '000000000001', 'on_time', false, false, false),"
        " ('2024-autumn', '000000000002', 'missing', true, false, false),"
        " ('2025-spring', '000000000001', 'late', false, true, true))"
        " AS t(round_id, college_bin, status, is_held_back, previous_version_current,"
        " corrected_after_due_date)"
    )
    return con


@pytest.mark.parametrize("lang", CLI_LANGS)
def test_run_summary_files_table_fits(lang: str) -> None:
    counts = {
        "nobd_submission": Counter(loaded=104, held_back=8, rejected=12, superseded=4),
        "college_passport": Counter(loaded=2),
        "worldskills_export": Counter(loaded=4),
    }
    this_run = {"nobd_submission": Counter(loaded=100, rejected=12, skipped=16)}
    text = rendered(lambda c: c.print(files_table(counts, this_run, lang)))
    headers = [say(h, lang) for h in ("source", *STATUSES, "new", "unchanged")]
    assert_whole(text, headers)


@pytest.mark.parametrize("lang", CLI_LANGS)
def test_status_tables_fit(lang: str, warehouse: duckdb.DuckDBPyConnection) -> None:
    registry = rendered(lambda c: registry_section(warehouse, c, lang))
    assert_whole(registry, [say(s, lang) for s in STATUSES])
    colleges = rendered(lambda c: colleges_section(warehouse, c, lang))
    assert_whole(colleges, ["2024-autumn", "2025-spring", *(tr(k, lang) for k in COLLEGE_COUNTS)])
