"""The ingest on generated sample data, end to end through `edustat run` (conftest.pipeline_home).

Ground truth is the generator's manifest.json; row counts per sheet are recounted here from the
files themselves with openpyxl and the csv module, independently of the calamine/polars readers.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import time
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pytest
from conftest import edustat, iins_in_text_columns, raw_snapshot

from pipelines.contracts import load_contract, normalise_label

READABLE_FATES = ("loaded", "held_back", "superseded")
_TWELVE_DIGITS = re.compile(rb"(?=(\d{12}))")


# --- helpers ----------------------------------------------------------------------------------


def manifest(home: Path) -> dict[str, Any]:
    return json.loads((home / "manifest.json").read_text(encoding="utf-8"))


def connect(home: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)


def _sheet_of(contract_source: str, label: str) -> str | None:
    for sheet in load_contract(contract_source).sheets:
        if normalise_label(label) in sheet.spellings():
            return sheet.name
    return None


def _blank(values: list[Any]) -> bool:
    return all(v is None or str(v).strip() == "" for v in values)


def count_rows(path: Path, source: str) -> dict[str, int]:
    """Data rows per contract sheet, recounted with openpyxl / the csv module."""
    counts: dict[str, int] = {}
    if path.suffix == ".xlsx":
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        for ws in wb.worksheets:
            sheet = _sheet_of(source, ws.title)
            if sheet is None:
                continue
            rows = [list(r) for r in ws.iter_rows(values_only=True)]
            rows = [r for r in rows if not _blank(r)]
            counts[sheet] = max(len(rows) - 1, 0)  # minus the header row
        wb.close()
        return counts
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1251")
    sheet, header_seen = None, False
    for line in text.splitlines():
        if line.startswith("#"):
            sheet, header_seen = _sheet_of(source, line[1:].strip(";, ")), False
            if sheet:
                counts[sheet] = 0
        elif sheet and line.strip():
            cells = next(csv.reader(io.StringIO(line), delimiter=";" if ";" in line else ","))
            if _blank(cells):
                continue
            if header_seen:
                counts[sheet] += 1
            header_seen = True
    return counts


def iins_in_bytes(data: bytes, iins: set[bytes]) -> set[bytes]:
    return {m.group(1) for m in _TWELVE_DIGITS.finditer(data)} & iins


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sample(pipeline_home: Path) -> dict[str, Any]:
    return manifest(pipeline_home)


@pytest.fixture(scope="session")
def registry(pipeline_home: Path) -> dict[str, dict[str, Any]]:
    """path -> the registry row of its current (latest seen) version."""
    with connect(pipeline_home) as con:
        rows = con.sql("SELECT * FROM raw.landing_files ORDER BY first_seen_at").pl().to_dicts()
    return {r["path"]: r for r in rows}


# --- tests ------------------------------------------------------------------------------------


def test_every_landing_file_has_a_registry_row(
    pipeline_home: Path, registry: dict[str, dict[str, Any]]
) -> None:
    on_disk = {
        p.relative_to(pipeline_home / "landing").as_posix()
        for p in (pipeline_home / "landing").rglob("*")
        if p.is_file()
    }
    assert on_disk - set(registry) == set()


def test_raw_rows_equal_file_rows_sheet_by_sheet(
    pipeline_home: Path, sample: dict[str, Any]
) -> None:
    tables = {
        s.name: s.raw_table
        for c in ("nobd_submission", "college_passport", "worldskills_export")
        for s in load_contract(c).sheets
    }
    loaded: dict[tuple[str, str], int] = {}
    with connect(pipeline_home) as con:
        for table in sorted(set(tables.values())):
            for path, sheet, n in con.execute(
                f"SELECT _file_path, _sheet, count(*) FROM raw.{table} GROUP BY ALL"
            ).fetchall():
                loaded[(path, sheet)] = n
    checked = 0
    for f in sample["files"]:
        if f["fate"] not in READABLE_FATES:
            continue
        expected = count_rows(pipeline_home / "landing" / f["path"], f["source"])
        got = {sheet: loaded.get((f["path"], sheet), 0) for sheet in expected}
        assert got == expected, f["path"]
        checked += 1
    assert checked > 0


def test_fates_match_the_manifest(
    sample: dict[str, Any], registry: dict[str, dict[str, Any]]
) -> None:
    for f in sample["files"]:
        status = registry[f["path"]]["status"]
        if f["fate"] == "held_back":
            # held_back is decided by the data-quality step after the ingest; the ingest itself
            # registers such a file as loaded, so either status is right at this layer.
            assert status in ("loaded", "held_back"), f["path"]
        else:
            assert status == f["fate"], f["path"]


def test_rejected_files_are_registered_with_their_rule_and_the_run_succeeds(
    pipeline_home: Path, sample: dict[str, Any], registry: dict[str, dict[str, Any]]
) -> None:
    rejected = [f for f in sample["files"] if f["fate"] == "rejected"]
    assert rejected, "the sample has no rejected file"
    for f in rejected:
        row = registry[f["path"]]
        rules = {d["rule"] for d in f["defects"] if d["rule"].startswith("structure.")}
        assert row["status"] == "rejected"
        assert row["reason_rule"] in rules, (f["path"], row["reason"])
        assert row["reason"].startswith(f"{row['reason_rule']}: {f['path']}: ")
        with connect(pipeline_home) as con:
            leaked = con.execute(
                "SELECT count(*) FROM raw.nobd_students WHERE _file_path = ?", [f["path"]]
            ).fetchall()[0][0]
        assert leaked == 0
    # conftest ran `edustat run` and fails on a non-zero exit; the run report says the same.
    report = json.loads(
        (pipeline_home / "logs" / "latest" / "edustat-run.json").read_text(encoding="utf-8")
    )
    assert report["success"] is True


def test_no_raw_iin_anywhere_after_a_run(pipeline_home: Path, sample: dict[str, Any]) -> None:
    iins = {i.encode() for i in sample["iins"]}
    assert iins
    scanned = 0
    # Everything the pipeline wrote: warehouse (+ WAL), Dagster storage, logs, reports, published.
    for path in pipeline_home.rglob("*"):
        if (
            not path.is_file()
            or path.name == "manifest.json"
            or "landing" in path.relative_to(pipeline_home).parts
        ):
            continue
        found = iins_in_bytes(path.read_bytes(), iins)
        assert not found, f"{len(found)} IIN(s) in {path.relative_to(pipeline_home)}"
        scanned += 1
    assert scanned > 0
    # DuckDB compresses strings, so a byte scan alone could miss one: scan every text column too.
    with connect(pipeline_home) as con:
        leaked = iins_in_text_columns(con, set(sample["iins"]))
    assert not leaked, f"IIN in {', '.join(sorted(leaked))}"
    with connect(pipeline_home) as con:
        hashed = con.execute("SELECT count(*), count(iin_hash) FROM raw.nobd_students").fetchall()[
            0
        ]
    assert hashed[0] == hashed[1] > 0


def test_second_run_on_unchanged_landing_adds_nothing(
    pipeline_home: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # A copy of the session's home, so the extra run does not disturb other tests' fixture.
    home = tmp_path_factory.mktemp("rerun") / "home"
    shutil.copytree(pipeline_home, home, symlinks=True)
    before = raw_snapshot(home)
    started = time.perf_counter()
    result = edustat("run", home=home)
    wall = time.perf_counter() - started
    assert raw_snapshot(home) == before
    report = json.loads((home / "logs" / "latest" / "edustat-run.json").read_text(encoding="utf-8"))
    files = Counter()
    for counts in report["files"].values():
        files.update(counts)
    assert files["loaded"] == files["rejected"] == 0 and files["skipped"] > 0
    print(f"\nsecond run: wall {wall:.1f} s")
    # Nothing changed: every file was found in the registry as it is, so no run started at all,
    # not even an ingest run.
    assert "Warehouse up to date" in result.stdout, result.stdout[-3000:]
    assert report["runs"] == [], report["runs"]


def test_build_stamp_notices_what_would_change_the_build(
    pipeline_home: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The up-to-date check is conservative: a setting, a write to the warehouse, a new file
    status or a missing published copy each make the next `edustat run` rebuild."""
    from pipelines.cli import build_stamp
    from pipelines.settings import Home

    home = Home(tmp_path_factory.mktemp("stamp") / "home")
    shutil.copytree(pipeline_home, home.root, symlinks=True)
    assert build_stamp.is_up_to_date(home)

    monkeypatch.setenv("EDUSTAT_KEEP_SNAPSHOTS", "2")
    assert not build_stamp.is_up_to_date(home)
    monkeypatch.delenv("EDUSTAT_KEEP_SNAPSHOTS")
    assert build_stamp.is_up_to_date(home)
    # The CLI's language changes no output of the build (reports and yearbook are in both).
    monkeypatch.setenv("EDUSTAT_LANG", "ru")
    assert build_stamp.is_up_to_date(home)
    monkeypatch.delenv("EDUSTAT_LANG")

    stamp = (home.logs / build_stamp.STAMP_FILE).read_text(encoding="utf-8")
    with duckdb.connect(str(home.warehouse)) as con:
        con.execute("UPDATE raw.landing_files SET reason = 'edited by hand' WHERE rowid = 0")
    assert not build_stamp.is_up_to_date(home)

    build_stamp.write(home)  # vouch for the edited warehouse, then lose the published copy
    assert build_stamp.is_up_to_date(home)
    (home.published / "current").unlink()
    assert not build_stamp.is_up_to_date(home)
    assert stamp != (home.logs / build_stamp.STAMP_FILE).read_text(encoding="utf-8")


def test_the_parse_workers_do_not_import_pyarrow() -> None:
    """A worker process (pipelines/ingest/workers.py) imports what it parses with, not the
    writer's pyarrow: 26 MB more in each of the two workers, beside the run's process."""
    import subprocess
    import sys

    check = "import sys, pipelines.ingest.workers; print('pyarrow' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"
