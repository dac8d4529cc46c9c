"""Orchestration: world → plan → per year (rounds, CIS exports, passport) → truth → manifest.

Rounds are generated and written one at a time, so memory holds one round of students at a
time even at national scale. Large rounds are written by a process pool (fork: the workers
inherit the round's files and receive only their index).
"""

from __future__ import annotations

import multiprocessing
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from pipelines.demo import manifest, truth
from pipelines.demo.cis import build_cis
from pipelines.demo.config import Options
from pipelines.demo.files import OutFile
from pipelines.demo.model import World, build_world
from pipelines.demo.nobd import Candidates, build_round
from pipelines.demo.passport import PassportRow, build_passport
from pipelines.demo.plan import TWO_VERSIONS, Plan, Scenario, make_plan
from pipelines.demo.population import Populations
from pipelines.demo.truth import FileRecord
from pipelines.demo.writers import Written, write


class Reporter(Protocol):
    """Progress callbacks (the CLI drives a rich progress bar with them)."""

    def total(self, files: int) -> None: ...

    def stage(self, text: str) -> None: ...

    def written(self, path: str) -> None: ...


class Silent:
    def total(self, files: int) -> None:
        pass

    def stage(self, text: str) -> None:
        pass

    def written(self, path: str) -> None:
        pass


@dataclass(frozen=True)
class Summary:
    files: int
    bytes: int
    colleges: int
    rounds: list[str]
    statuses: dict[str, int]
    manifest: Path


def planned_file_count(world: World, plan: Plan) -> int:
    """Files the run will write (for a progress bar): NOBD files per plan + 3 per year."""
    n = 0
    for rnd in world.rounds:
        for b in world.expected_bins(rnd):
            scenario = plan.get(rnd.round_id, b).scenario
            n += 0 if scenario == Scenario.MISSING else 2 if scenario in TWO_VERSIONS else 1
    return n + 3 * len(world.years)


def generate(out_dir: Path, options: Options, progress: Reporter | None = None) -> Summary:
    tick = progress or Silent()
    landing = out_dir / "landing"
    world = build_world(options)
    plan = make_plan(world)
    tick.total(planned_file_count(world, plan))
    pops = Populations(world)
    candidates: dict[tuple[int, str], Candidates] = {}
    forced: dict[str, str] = {}
    records: list[FileRecord] = []
    passports: dict[int, list[PassportRow]] = {}
    iins: set[str] = set()
    for year in world.years:
        counts: dict[tuple[str, str], int] = {}
        for rnd in world.rounds_of(year):
            tick.stage(f"NOBD {rnd.round_id}")
            files = build_round(world, plan, pops, rnd, candidates, forced)
            for f in files:
                counts[(f.college_bin or "", rnd.round_id)] = len(f.tables["students"].rows)
            records += _write_all(files, landing, options, tick, iins)
        tick.stage(f"CIS and passport {year}")
        cis = build_cis(world, plan, year, candidates)
        passport_file, rows = build_passport(world, plan, year, counts, cis.demo_bins)
        register = {p.college_bin for p in rows}
        for f in (cis.championships, cis.demo_exams):
            f.defects = truth.register_warnings(f.tables["results"], register)
        passport_file.defects = truth.demo_claim_warnings(rows, cis.demo_bins)
        passports[year] = rows
        records += _write_all(
            [cis.championships, cis.demo_exams, passport_file], landing, options, tick, iins
        )
    truth.assign_fates(records, passports)
    subs = truth.submissions(world.rounds, passports, records)
    inds = truth.indicators(world.rounds, passports, records)
    path = manifest.write(out_dir, manifest.build(options, world, records, subs, inds, iins))
    statuses: dict[str, int] = {}
    for s in subs:
        statuses[str(s["status"])] = statuses.get(str(s["status"]), 0) + 1
    return Summary(
        files=len(records),
        bytes=sum(r.size for r in records),
        colleges=len(world.colleges),
        rounds=[r.round_id for r in world.rounds],
        statuses=statuses,
        manifest=path,
    )


# --- writing ---------------------------------------------------------------------------------


def _write_all(
    files: list[OutFile], landing: Path, options: Options, tick: Reporter, iins: set[str]
) -> list[FileRecord]:
    for f in files:
        iins.update(_iins_in(f))
    rows = sum(len(t.rows) for f in files for t in f.tables.values())
    workers = options.worker_count(rows)
    written = (
        _write_parallel(files, landing, workers, tick)
        if workers > 1
        else _write_serial(files, landing, tick)
    )
    return [
        truth.record_of(f, w.size, w.sha256, w.first_rows)
        for f, w in zip(files, written, strict=True)
    ]


def _iins_in(f: OutFile) -> list[str]:
    """Every IIN string the file contains once written (an empty file contains none)."""
    if f.post == "empty":
        return []
    for sheet, column in (("students", "iin"), ("results", "competitor_iin")):
        table = f.tables.get(sheet)
        if table is not None and column in table.columns:
            return [str(v) for v in table.column_values(column) if v]
    return []


def _write_serial(files: list[OutFile], landing: Path, tick: Reporter) -> list[Written]:
    out = []
    for f in files:
        out.append(write(f, landing))
        tick.written(f.path)
    return out


# Set in the parent just before forking; workers read their file by index.
_PENDING: list[OutFile] = []
_LANDING: list[Path] = []


def _write_index(i: int) -> Written:
    return write(_PENDING[i], _LANDING[0])


def _write_parallel(
    files: list[OutFile], landing: Path, workers: int, tick: Reporter
) -> list[Written]:
    _PENDING[:] = files
    _LANDING[:] = [landing]
    try:
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(workers) as pool:
            out = []
            for w in pool.imap(_write_index, range(len(files)), chunksize=4):
                out.append(w)
                tick.written(w.path)
            return out
    finally:
        _PENDING.clear()
        _LANDING.clear()
