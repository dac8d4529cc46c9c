"""Chaos test: real hand-typed-Excel damage, each with the fate the acceptance policy declares.

One small sample is generated once and run twice: unmutated (the baseline) and with every
mutation of `tests/chaos/mutations.py` applied, each to a different college (catalogue:
tests/chaos/README.md).
The mutated run must finish cleanly, register every landing file, give every mutation its declared
fate, and leave every untouched college's figures exactly as the baseline has them. Mismatched
fates are reported all at once, as a table.

On top of the catalogue, IINs are typed into every kind of place a clerk can put one
(tests/chaos/privacy.py): nothing the run writes may hold a raw IIN, and the BINs stay intact.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from chaos.checks import FIGURES_SQL, Runs, Warehouse
from chaos.mutations import CATALOGUE, Applied, Mutation
from chaos.privacy import Typed, type_iins
from chaos.sample import Sample
from conftest import edustat, iins_in_text_columns

from pipelines.identifiers import IIN_MASK, mask_iins

SAMPLE_ARGS = ("--scale", "50", "--years", "2023-2024", "--seed", "11")


@dataclass
class Chaos:
    home: Path
    run: subprocess.CompletedProcess[str]
    base_run: subprocess.CompletedProcess[str]
    runs: Runs
    applied: list[tuple[Mutation, Applied | str]]  # str: the mutation could not be applied
    touched: set[str]
    colleges: list[str]
    rounds: list[str]
    typed: Typed


def _apply(mutation: Mutation, sample: Sample) -> Applied | str:
    try:
        return mutation.apply(sample)
    except Exception as e:  # noqa: BLE001 - reported in the fates table
        return f"apply failed: {type(e).__name__}: {e}"


@pytest.fixture(scope="module")
def chaos(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chaos]:
    base = tmp_path_factory.mktemp("chaos_baseline")
    edustat("demo-data", "--out", str(base), *SAMPLE_ARGS, home=base)
    home = tmp_path_factory.mktemp("chaos_mutated")
    shutil.copytree(base / "landing", home / "landing", symlinks=True)
    shutil.copy2(base / "manifest.json", home / "manifest.json")
    # The baseline only gives the warehouse's figures: no yearbook, no publishing.
    base_run = edustat("run", "--quiet", home=base, check=False, via="warehouse_only")
    base_wh = Warehouse(base / "warehouse.duckdb")
    sample = Sample(home, base_wh)
    applied = [(m, _apply(m, sample)) for m in CATALOGUE]
    typed = type_iins(sample)
    run = edustat("run", "--quiet", home=home, check=False)
    runs = Runs(chaos=Warehouse(home / "warehouse.duckdb"), base=base_wh)
    colleges = sorted(c["college_bin"] for c in sample.manifest["colleges"])
    yield Chaos(home, run, base_run, runs, applied, sample.used, colleges, sample.rounds, typed)
    runs.chaos.close()
    base_wh.close()


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    lines = [" | ".join(header), " | ".join("---" for _ in header)]
    lines += [" | ".join(r) for r in rows]
    return "\n".join(lines)


def _require_warehouse(chaos: Chaos) -> None:
    if chaos.runs.chaos.con is None:
        pytest.fail("the mutated run wrote no warehouse (see test_mutated_run_exits_cleanly)",
                    pytrace=False)  # fmt: skip


def test_mutated_run_exits_cleanly(chaos: Chaos) -> None:
    output = chaos.run.stdout + chaos.run.stderr
    if chaos.run.returncode != 0 or "Traceback" in output:
        pytest.fail(f"edustat run on the mutated tree exited {chaos.run.returncode}"
                    f" (baseline run exited {chaos.base_run.returncode}):\n{output[-3000:]}",
                    pytrace=False)  # fmt: skip


def _landing_files(landing: Path) -> set[str]:
    found: set[str] = set()
    for folder, _dirs, files in os.walk(landing):
        found.update((Path(folder) / f).relative_to(landing).as_posix() for f in files)
    return {mask_iins(p) for p in found}  # a file named with an IIN is registered masked


def test_every_landing_file_registered_with_reason(chaos: Chaos) -> None:
    _require_warehouse(chaos)
    wh = chaos.runs.chaos
    registered = {p for (p,) in wh.rows("select path from raw.landing_files")}
    unregistered = sorted(_landing_files(chaos.home / "landing") - registered)
    no_reason = wh.rows(
        "select path, status from raw.landing_files"
        " where status <> 'loaded' and coalesce(trim(reason), '') = '' order by path"
    )
    assert not unregistered and not no_reason, (
        f"not in raw.landing_files: {unregistered}\nnot loaded and no reason: {no_reason}"
    )


def test_every_mutation_gets_its_fate(chaos: Chaos) -> None:
    _require_warehouse(chaos)
    mismatches: list[tuple[str, ...]] = []
    checked = 0
    for mutation, applied in chaos.applied:
        if isinstance(applied, str):
            mismatches.append((mutation.name, "—", "applied", "applied", applied))
            continue
        for check in applied.checks:
            checked += 1
            want, got = check.expected(chaos.runs), check.observe(chaos.runs)
            if want != got:
                mismatches.append((mutation.name, check.label, want, got, applied.target))
    header = ("mutation", "check", "expected", "actual", "target")
    if mismatches:
        pytest.fail(f"{len(mismatches)} of {checked} fate checks failed "
                    f"({len({m[0] for m in mismatches})} of {len(chaos.applied)} mutations):\n"
                    + _table(header, mismatches), pytrace=False)  # fmt: skip


def _files_of(wh: Warehouse, college_bin: str) -> str:
    return wh.text(
        "select coalesce(string_agg(path || '=' || status, ', ' order by path), 'none')"
        " from raw.landing_files where college_bin = ?",
        (college_bin,),
    )


def test_untouched_colleges_unchanged(chaos: Chaos) -> None:
    _require_warehouse(chaos)
    untouched = [c for c in chaos.colleges if c not in chaos.touched]
    assert len(untouched) >= 5, f"only {len(untouched)} untouched colleges: raise the scale"
    diffs: list[tuple[str, ...]] = []
    for bin_ in untouched:
        for round_id in chaos.rounds:
            base = chaos.runs.base.text(FIGURES_SQL, (bin_, round_id))
            got = chaos.runs.chaos.text(FIGURES_SQL, (bin_, round_id))
            if base != got:
                diffs.append((bin_, round_id, base, got))
        base, got = _files_of(chaos.runs.base, bin_), _files_of(chaos.runs.chaos, bin_)
        if base != got:
            diffs.append((bin_, "files", base, got))
    assert not diffs, (
        f"{len(diffs)} differences in {len(untouched)} untouched colleges:\n"
        + _table(("college", "round", "baseline", "mutated run"), diffs)
    )


# --- IINs typed everywhere --------------------------------------------------------------------

_TWELVE_DIGITS = re.compile(rb"(?=(\d{12}))")


def test_no_raw_iin_anywhere_the_run_wrote(chaos: Chaos) -> None:
    _require_warehouse(chaos)
    manifest = json.loads((chaos.home / "manifest.json").read_text(encoding="utf-8"))
    iins = set(manifest["iins"]) | set(chaos.typed.iins)
    as_bytes = {i.encode() for i in iins}
    scanned, leaks = 0, {}
    # Everything the pipeline wrote: warehouse (+ WAL), Dagster storage and logs, logs, reports,
    # yearbook, published (DuckDB, Parquet, docs).
    for path in sorted(chaos.home.rglob("*")):
        rel = path.relative_to(chaos.home)
        if not path.is_file() or rel.parts[0] == "landing" or path.name == "manifest.json":
            continue
        found = {m.group(1) for m in _TWELVE_DIGITS.finditer(path.read_bytes())} & as_bytes
        if found:
            leaks[str(rel)] = found
        scanned += 1
        if path.suffix == ".duckdb":
            # DuckDB compresses strings, so a byte scan alone could miss one: every text column.
            with duckdb.connect(str(path), read_only=True) as con:
                found_in = iins_in_text_columns(con, iins)
            leaks.update({f"{rel}:{k}": v for k, v in found_in.items()})
    print(f"\nscanned {scanned} files; typed {chaos.typed.where}")
    assert scanned > 50 and not leaks, leaks


def test_typed_iins_are_findings_and_the_bins_stay(chaos: Chaos) -> None:
    _require_warehouse(chaos)
    typed = chaos.typed
    files = list(typed.where.values())
    wh = chaos.runs.chaos
    rules = dict(
        wh.rows(
            "select rule_id, count(*) from dq.findings where rule_id like 'identifiers.iin_%'"
            f" and file_path in ({', '.join('?' for _ in files)}) group by all",
            tuple(files),
        )
    )
    # college_name, signer_position, birth_date and the CIS skill; the enterprise BIN
    assert rules.get("identifiers.iin_outside_iin_column", 0) >= 4, rules
    assert rules.get("identifiers.iin_in_bin_column", 0) >= 1, rules
    stray = wh.rows(
        "select path, status from raw.landing_files where path = ?", (mask_iins(typed.stray_file),)
    )
    assert stray == [(mask_iins(typed.stray_file), "rejected")] and IIN_MASK in stray[0][0], stray
    # No college's BIN, nor a submission's file name, is mistaken for an IIN.
    masked = wh.rows(
        "select path, college_bin from raw.landing_files where source = 'nobd_submission'"
        " and path not like '%справка%' and (college_bin like ? or path like ?)",
        (f"%{IIN_MASK}%", f"%{IIN_MASK}%"),
    )
    assert not masked, masked
    assert wh.rows(
        "select college_bin from raw.landing_files where path = ?", (typed.typed_file,)
    ) == [(typed.typed_bin,)]
