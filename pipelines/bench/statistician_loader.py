"""The loader a ministry analyst would write: pandas + openpyxl, read everything, concat, insert.

It is the benchmark's honest baseline, not a straw man: it reads each workbook once with all its
sheets, renames headers with the same alias table the pipeline uses (an analyst would keep such a
dict too), concatenates per sheet and bulk-inserts each table into a fresh DuckDB file. It does no
validation, no pseudonymisation and no lineage beyond the file name. It is sequential, as such a
script is; files pandas cannot open are skipped (and counted, so the benchmark can show how much
of the data the loader actually loaded next to the pipeline's raw row counts).

Run as `python -m pipelines.bench.statistician_loader LANDING DATABASE --out RESULT.json`.
"""

from __future__ import annotations

import argparse
import io
import json
import time
from collections import defaultdict
from pathlib import Path

import duckdb
import pandas as pd

from pipelines.contracts import all_contracts, normalise_label


def _sheet_lookup() -> dict[str, tuple[str, dict[str, str]]]:
    """Normalised sheet spelling -> (table name, header map)."""
    lookup = {}
    for contract in all_contracts().values():
        for sheet in contract.sheets:
            for spelling in sheet.spellings():
                lookup[spelling] = (sheet.raw_table, sheet.header_map())
    return lookup


def _csv_sections(path: Path) -> dict[str, pd.DataFrame]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1251")
    sections: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        if line.startswith("#"):
            current = line[1:].strip()
            sections[current] = []
        elif current is not None and line.strip():
            sections[current].append(line)
    frames = {}
    for name, lines in sections.items():
        sep = ";" if lines and lines[0].count(";") > lines[0].count(",") else ","
        frames[name] = pd.read_csv(io.StringIO("\n".join(lines)), sep=sep, dtype=str)
    return frames


def read_file(path: Path) -> dict[str, pd.DataFrame]:
    if path.suffix == ".xlsx":
        return pd.read_excel(path, sheet_name=None, engine="openpyxl", dtype=str)
    return _csv_sections(path)


def load(landing: Path, database: Path, skipped: list[str] | None = None) -> dict[str, int]:
    """Read every file under `landing`, concatenate per table, insert into `database`.

    Returns rows per table; files (and sheets) it could not use are appended to `skipped`.
    """
    lookup = _sheet_lookup()
    parts: dict[str, list[pd.DataFrame]] = defaultdict(list)
    skipped = [] if skipped is None else skipped
    for path in sorted(p for p in landing.rglob("*") if p.is_file()):
        try:
            sheets = read_file(path)
        except Exception:  # an analyst skips what pandas cannot open, and moves on
            skipped.append(str(path.relative_to(landing)))
            continue
        for sheet_name, frame in sheets.items():
            target = lookup.get(normalise_label(sheet_name))
            if target is None:
                skipped.append(f"{path.relative_to(landing)}#{sheet_name}")
                continue
            table, header_map = target
            frame = frame.rename(columns=lambda c, m=header_map: m.get(normalise_label(c), c))
            frame["source_file"] = str(path.relative_to(landing))
            parts[table].append(frame)
    database.unlink(missing_ok=True)
    counts = {}
    with duckdb.connect(str(database)) as con:
        for table, frames in sorted(parts.items()):
            df = pd.concat(frames, ignore_index=True)
            con.register("df_view", df)
            con.execute(f'CREATE TABLE "{table}" AS SELECT * FROM df_view')
            con.unregister("df_view")
            counts[table] = len(df)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description="The statistician's loader, timed.")
    parser.add_argument("landing", type=Path)
    parser.add_argument("database", type=Path)
    parser.add_argument("--out", type=Path, required=True, help="JSON result file")
    args = parser.parse_args()
    skipped: list[str] = []
    t0 = time.perf_counter()
    counts = load(args.landing, args.database, skipped)
    seconds = time.perf_counter() - t0
    result = {
        "seconds": seconds,
        "rows": counts,
        "skipped": len(skipped),
        "skipped_sample": skipped[:20],
    }
    args.out.write_text(json.dumps(result, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
