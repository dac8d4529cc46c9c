"""Run the committed suites (expectations/*.json) over the frames and write `dq.findings`.

One ephemeral GX context per run, a pandas datasource (GX's SQL datasource fails on DuckDB,
docs/STACK.md trap 5) and one validation definition per frame: the expectations of every suite that
speak about that frame run together on the frame's rows (in chunks, frames.py), and each result is
mapped back to its suite and rule through `meta`. Failing rows are attributed with
`unexpected_index_column_names` (`_file_id`, `_row_number`) and joined back to the frame for the
college and offending value.

Order of work (docs/ARCHITECTURE.md "Data-quality output", "Acceptance policy"):
1. spill every row-level and file-level frame (one query each, in a thread of its own while GX
   is imported and the frames before it are validated), validate it chunk by chunk; every NOBD
   version present under landing/ is validated, not only the latest;
2. in one transaction: hold the versions with a hold finding or with systematic row defects
   (submission.defective_rows, a rule over the findings themselves) and decide which version of
   each college and round is current (currency.py); read the submission frame (its rules compare
   against the previous round's *accepted* submission, just decided) and validate it; hold what
   it holds and decide again; keep the findings of current and held-back versions only; replace
   `dq.findings`.

An expectation that errors (exception_info) is not bad data: it is reported separately and the
Dagster check fails with ERROR severity (pipelines/assets/quality.py).
"""

from __future__ import annotations

import json
import logging
import tempfile
import threading
import time as clock
import warnings
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipelines.contracts import all_contracts, load_contract
from pipelines.ingest.registry import NOBD, REGISTRY
from pipelines.leftovers import temp_prefix
from pipelines.quality import currency, reuse
from pipelines.quality.frames import (
    SUBMISSION_FRAMES,
    Digests,
    frame_chunks,
    frame_name,
    read_frame,
    spill_frame,
)
from pipelines.quality.rules import RULES
from pipelines.settings import EXPECTATIONS_DIR, defective_rows_share

if TYPE_CHECKING:
    import duckdb
    import pandas as pd
    from great_expectations.core import ExpectationValidationResult

log = logging.getLogger("edustat.quality")

Connect = Callable[[], AbstractContextManager["duckdb.DuckDBPyConnection"]]
Spilled = tuple[Path, float, Digests]  # the frame's Arrow file, seconds, its files' digests

KEYS = ["_file_id", "_row_number"]
FINDING_COLUMNS = [
    "suite",
    "file_id",
    "college_bin",
    "sheet",
    "row_number",
    "field",
    "rule_id",
    "severity",
    "offending_value",
    "message_kk",
    "message_ru",
]
# dq.findings (docs/ARCHITECTURE.md): replaced as a whole by every run.
FINDINGS_DDL = """
create schema if not exists dq;
create or replace table dq.findings (
    round_id varchar,
    year integer,
    college_bin varchar,
    source varchar,
    file_id varchar,
    file_path varchar,
    sheet varchar,
    row_number bigint,
    field varchar,
    rule_id varchar,
    severity varchar,
    offending_value varchar,
    message_kk varchar,
    message_ru varchar
);
"""
MASK = "***"  # an IIN is never shown, not even its hash (docs/ARCHITECTURE.md "Privacy")


# --- suites --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Planned:
    """One expectation of one committed suite, and the frame it runs on."""

    suite: str
    frame: str
    config: dict[str, Any]  # the expectation as serialised in the suite (type, kwargs, meta)

    @property
    def meta(self) -> dict[str, Any]:
        return self.config["meta"]


def load_suites(directory: Path = EXPECTATIONS_DIR) -> dict[str, dict[str, Any]]:
    """The committed suites as GX serialised them, by name."""
    suites = {}
    for path in sorted(directory.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        suites[data["name"]] = data
    return suites


def plan(suites: dict[str, dict[str, Any]]) -> dict[str, list[Planned]]:
    """Frame -> the expectations (of all suites) that run on it."""
    by_frame: dict[str, list[Planned]] = defaultdict(list)
    for name, suite in suites.items():
        source = suite["meta"]["source"]
        for exp in suite["expectations"]:
            meta = exp["meta"]
            frame = frame_name(source, meta["level"], meta["sheet"])
            by_frame[frame].append(Planned(name, frame, exp))
    return dict(by_frame)


# --- outcome -------------------------------------------------------------------------------


@dataclass
class SuiteOutcome:
    """What one suite found: failing rows per rule id, and expectations that errored."""

    suite: str
    expectations: int = 0
    failing_rows: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failing_rows and not self.errors


@dataclass
class RunOutcome:
    suites: dict[str, SuiteOutcome]
    findings: int
    held_back: int  # current NOBD submissions held back after this run
    released: int  # held back before, loaded now
    newly_held_back: int
    rows_validated: int
    rows_reused: int  # rows of unchanged files, whose findings were reused (reuse.py)
    timings: dict[str, float]


# --- validation ----------------------------------------------------------------------------


class Validator:
    """One ephemeral GX context for the whole run; one dataframe asset per frame."""

    def __init__(self) -> None:
        import great_expectations as gx  # lazy: the import costs ~3 s
        from great_expectations.data_context.types.base import ProgressBarsConfig

        self._gx = gx
        self.context = gx.get_context(mode="ephemeral")
        # Progress bars would write to stderr from inside a Dagster step.
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        self.source = self.context.data_sources.add_pandas("edustat_dq")

        self._definitions: dict[str, tuple[Any, dict[str, Planned]]] = {}

    def _definition(self, frame: str, planned: list[Planned]) -> tuple[Any, dict[str, Planned]]:
        """The frame's validation definition (made once, reused for each chunk of the frame)."""
        if frame not in self._definitions:
            gx = self._gx
            asset = self.source.add_dataframe_asset(frame)
            batch = asset.add_batch_definition_whole_dataframe(frame)
            suite = self.context.suites.add(
                gx.ExpectationSuite(name=f"frame:{frame}", expectations=[p.config for p in planned])
            )
            # The context gives every expectation an id; results carry it back.
            by_id = {exp.id: p for exp, p in zip(suite.expectations, planned, strict=True)}
            validation = self.context.validation_definitions.add(
                gx.ValidationDefinition(name=f"frame:{frame}", data=batch, suite=suite)
            )
            self._definitions[frame] = (validation, by_id)
        return self._definitions[frame]

    def validate(
        self, frame: str, df: pd.DataFrame, planned: list[Planned]
    ) -> list[tuple[Planned, ExpectationValidationResult]]:
        """Run the planned expectations on the frame (or a chunk of its rows); results paired
        with their plan."""
        validation, by_id = self._definition(frame, planned)
        with warnings.catch_warnings():
            # The contracts' patterns use groups, e.g. round_id `^\d{4}-(autumn|spring)$`; pandas
            # warns that str.contains ignores them, which is exactly what a match test wants.
            warnings.filterwarnings("ignore", "This pattern is interpreted as a regular expression")
            result = validation.run(
                batch_parameters={"dataframe": df},
                result_format={
                    "result_format": "COMPLETE",
                    "unexpected_index_column_names": KEYS,
                    "return_unexpected_index_query": False,
                },
            )
        return [(by_id[r.expectation_config.id], r) for r in result.results]


def error_message(result: ExpectationValidationResult) -> str | None:
    """The exception behind an expectation that could not be evaluated, else None.

    GX reports a failed metric as a dict keyed by metric id (each with `raised_exception`), and a
    clean run as one flat dict with `raised_exception: False`.
    """
    info = result.exception_info or {}
    if "raised_exception" in info:
        return str(info.get("exception_message")) if info["raised_exception"] else None
    messages = [
        str(v.get("exception_message"))
        for v in info.values()
        if isinstance(v, dict) and v.get("raised_exception")
    ]
    return "; ".join(sorted(set(messages))) or None


def _pii_fields() -> set[tuple[str, str, str]]:
    """(source, sheet, column) of every IIN column: its findings show MASK, never a value."""
    return {
        (source, sheet.name, col.name)
        for source, contract in all_contracts().items()
        for sheet in contract.sheets
        for col in sheet.columns
        if col.pii
    }


def format_value(value: Any) -> str | None:
    """A cell as a region reads it: integers without '.0', dates as ISO, booleans true/false."""
    import pandas as pd

    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    elif hasattr(value, "item"):  # numpy scalar -> Python
        value = value.item()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.4g}"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time.min else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def findings_of(
    planned: Planned,
    result: ExpectationValidationResult,
    df: pd.DataFrame,
    pii: set[tuple[str, str, str]],
) -> pd.DataFrame:
    """Failing rows of one expectation -> finding rows (FINDING_COLUMNS)."""
    import pandas as pd

    meta = planned.meta
    level = meta["level"]
    failing = pd.DataFrame(result.result.get("unexpected_index_list") or [], columns=None).reindex(
        columns=KEYS
    )
    if failing.empty:
        return pd.DataFrame(columns=FINDING_COLUMNS)
    # Submission- and file-level frames have one row per file: the file is the key.
    keys = KEYS if level == "row" else ["_file_id"]
    value_col = None
    source = planned.suite.split(".")[0]
    field_name = meta["field"]
    if level == "submission" or planned.config["type"] == "expect_column_values_to_be_null":
        # The column measures or describes the violation (e.g. both BINs of a mismatch).
        value_col = planned.config["kwargs"].get("column")
    elif level == "row" and field_name in df.columns:
        value_col = field_name
    details = ("_sheet", "_field", "reason_kk", "reason_ru")
    wanted = [*keys, "_college_bin"] + [c for c in details if c in df.columns]
    if value_col and value_col not in wanted:
        wanted.append(value_col)
    # Failing rows are few; narrow the frame to their files before joining (a join against
    # the whole 10^6-row frame per expectation costs seconds at national scale).
    candidates = df.loc[df["_file_id"].isin(failing["_file_id"].unique()), wanted]
    rows = failing[keys].merge(candidates, on=keys, how="left")
    masked = (source, meta["sheet"], field_name) in pii
    out = pd.DataFrame(
        {
            "suite": planned.suite,
            "file_id": rows["_file_id"],
            "college_bin": rows["_college_bin"],
            "sheet": rows["_sheet"]
            if meta["sheet"] is None and "_sheet" in rows
            else meta["sheet"],
            "row_number": rows["_row_number"] if level == "row" else None,
            "field": rows["_field"] if field_name is None and "_field" in rows else field_name,
            "rule_id": meta["rule_id"],
            "severity": meta["severity"],
            "offending_value": MASK
            if masked
            else (rows[value_col].map(format_value) if value_col else None),
            "message_kk": _with_detail(meta["message_kk"], rows.get("reason_kk")),
            "message_ru": _with_detail(meta["message_ru"], rows.get("reason_ru")),
        }
    )
    return out[FINDING_COLUMNS]


def _with_detail(message: str, detail: pd.Series | None) -> Any:
    """The rule's wording, followed by what in the file (a rejected file's own reason)."""
    if detail is None:
        return message
    return detail.map(lambda d: message if d is None or d != d else f"{message}: {d}")


def _validate_frames(
    validator: Validator,
    frames: dict[str, pd.DataFrame],
    by_frame: dict[str, list[Planned]],
    outcomes: dict[str, SuiteOutcome],
    pii: set[tuple[str, str, str]],
) -> list[pd.DataFrame]:
    parts = []
    for name, df in frames.items():
        planned = by_frame[name]
        for p, result in validator.validate(name, df, planned):
            outcome = outcomes[p.suite]
            error = error_message(result)
            if error:
                outcome.errors.append(f"{p.meta['rule_id']} on {name}: {error}")
                log.error(
                    "expectation errored: %s %s on %s: %s", p.suite, p.config["type"], name, error
                )
                continue
            if result.success:
                continue
            part = findings_of(p, result, df, pii)
            outcome.failing_rows[p.meta["rule_id"]] += len(part)
            parts.append(part)
    return parts


def _concat(parts: Iterable[pd.DataFrame]) -> pd.DataFrame:
    import pandas as pd

    parts = [p for p in parts if not p.empty]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in FINDING_COLUMNS})
    return pd.concat(parts, ignore_index=True)


def _count(findings: pd.DataFrame, outcomes: dict[str, SuiteOutcome]) -> None:
    """Reused findings count for their suites' checks as if found again."""
    for (suite, rule), n in findings.groupby(["suite", "rule_id"]).size().items():
        outcomes[suite].failing_rows[rule] += n


# --- the run -------------------------------------------------------------------------------


def run(connect: Connect, suites_dir: Path = EXPECTATIONS_DIR) -> RunOutcome:
    """Validate everything current, update the registry, replace dq.findings."""
    timings: dict[str, float] = {}
    t0 = clock.perf_counter()
    suites = load_suites(suites_dir)
    by_frame = plan(suites)
    outcomes = {
        name: SuiteOutcome(name, expectations=len(s["expectations"])) for name, s in suites.items()
    }
    pii = _pii_fields()
    first = {n: p for n, p in by_frame.items() if n not in SUBMISSION_FRAMES}
    later = {n: p for n, p in by_frame.items() if n in SUBMISSION_FRAMES}

    # 1. Row- and file-level frames: spilled to Arrow files (the warehouse has one writer; GX
    #    work must not hold the lock), then validated in chunks of rows (frames.py), so memory is
    #    bounded by a chunk. A thread spills them in turn while this one imports GX and validates
    #    what is spilled: DuckDB computes a frame without the GIL, so the queries overlap the
    #    ~3 s import and the validation instead of preceding them. Only the files whose rows
    #    changed since the last run are validated; the others keep their findings (reuse.py).
    timings["spill_s"] = timings["wait_for_spill_s"] = 0.0
    timings["read_chunks_s"] = timings["validate_s"] = 0.0
    key = reuse.validation_key()
    with connect() as con:
        validated = reuse.load(con, key)
    parts: list[pd.DataFrame] = []  # row- and file-level findings carry their `frame`
    digests: dict[str, Digests] = {}
    rows = reused = 0
    with tempfile.TemporaryDirectory(prefix=temp_prefix("dq")) as tmp:
        spills: dict[str, Future[Spilled]] = {name: Future() for name in first}
        spiller = threading.Thread(
            target=_spill_all, args=(connect, Path(tmp), spills), name="dq-spill"
        )
        spiller.start()
        try:
            # GX is needed whatever changed: the submission frame is validated in every run.
            t1 = clock.perf_counter()
            validator = Validator()
            timings["gx_context_s"] = clock.perf_counter() - t1
            for name, spill in spills.items():
                t1 = clock.perf_counter()
                spilled, spent, digests[name] = spill.result()
                timings["wait_for_spill_s"] += clock.perf_counter() - t1
                timings["spill_s"] += spent
                changed = validated.changed(name, digests[name])
                unchanged = digests[name].keys() - changed
                if unchanged:
                    old = validated.reused(name, unchanged)
                    _count(old, outcomes)
                    parts.append(old)
                    reused += sum(digests[name][f][0] for f in unchanged)
                if not changed:
                    spilled.unlink()
                    continue
                every = len(changed) == len(digests[name])
                t1 = clock.perf_counter()
                for chunk in frame_chunks(name, spilled, files=None if every else changed):
                    t2 = clock.perf_counter()
                    timings["read_chunks_s"] += t2 - t1
                    new = _validate_frames(validator, {name: chunk}, first, outcomes, pii)
                    parts += [part.assign(frame=name) for part in new]
                    t1 = clock.perf_counter()
                    timings["validate_s"] += t1 - t2
                    rows += len(chunk)
                spilled.unlink()
        finally:
            # After a failure, frames not yet spilled are not worth waiting for.
            for spill in spills.values():
                spill.cancel()
            spiller.join()

    # 2. Statuses, then the submission-level frame, then dq.findings: one transaction.
    t1 = clock.perf_counter()
    with connect() as con:
        con.execute("begin transaction")
        try:
            versions = currency.present_versions(con)
            parts.append(_defective_rows(con, _concat(parts)))
            decisions = currency.decide(versions, _holds(_concat(parts)))
            currency.apply(con, versions, decisions)
            # The submission rules compare with the previous round's accepted version, which
            # their own holds can change: decide again until nothing moves (at most once per
            # round in the calendar; in practice twice).
            while True:
                later_frames = {name: read_frame(con, name) for name in later}
                scratch = {name: SuiteOutcome(name) for name in outcomes}
                later_parts = _validate_frames(validator, later_frames, later, scratch, pii)
                findings = _concat([*parts, *later_parts])
                again = currency.decide(versions, _holds(findings))
                counts = currency.apply(con, versions, again)
                if again == decisions:
                    break
                decisions = again
            for name, outcome in scratch.items():
                outcomes[name].failing_rows.update(outcome.failing_rows)
                outcomes[name].errors += outcome.errors
            rows += sum(len(df) for df in later_frames.values())
            superseded = {f for f, d in decisions.items() if d.status == "superseded"}
            n = _write_findings(con, findings.loc[~findings["file_id"].isin(superseded)])
            if any(o.errors for o in outcomes.values()):
                reuse.forget(con)  # a broken rule found nothing: validate everything next time
            else:
                framed = findings.reindex(columns=["frame", *FINDING_COLUMNS])
                reuse.save(con, key, digests, framed.loc[framed["frame"].notna()])
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
    timings["statuses_and_write_s"] = clock.perf_counter() - t1
    timings["total_s"] = clock.perf_counter() - t0
    return RunOutcome(
        outcomes,
        n,
        counts.held_back,
        counts.released,
        counts.newly_held_back,
        rows_validated=rows,
        rows_reused=reused,
        timings=timings,
    )


def _spill_all(connect: Connect, folder: Path, spills: dict[str, Future[Spilled]]) -> None:
    """Spill the frames in turn under one connection (opening the warehouse costs ~0.1 s each
    time), resolving each frame's future with its file, the seconds it took and its files'
    digests."""
    try:
        with connect() as con:
            for name, spill in spills.items():
                if not spill.set_running_or_notify_cancel():
                    return
                started = clock.perf_counter()
                path = folder / f"{name}.arrow"
                digests = spill_frame(con, name, path)
                spill.set_result((path, clock.perf_counter() - started, digests))
    except BaseException as error:  # the waiting thread re-raises it
        for spill in spills.values():
            if not spill.done():
                spill.set_exception(error)


def _holds(findings: pd.DataFrame) -> dict[str, str]:
    """file_id -> the rule ids (sorted, comma-separated) of its hold findings."""
    held = findings.loc[findings["severity"] == "hold", ["file_id", "rule_id"]].drop_duplicates()
    return {
        str(fid): ", ".join(sorted(group["rule_id"]))
        for fid, group in held.groupby("file_id", sort=False)
    }


def _defective_rows(con: duckdb.DuckDBPyConnection, findings: pd.DataFrame) -> pd.DataFrame:
    """submission.defective_rows: an NOBD sheet with more than one quarantined row and more than
    `defective_rows_share()` of its rows quarantined. A rule over the findings, so it runs here,
    after the row rules: one finding per (version, sheet), row and field NULL."""
    import pandas as pd

    quarantined = findings.loc[
        (findings["severity"] == "quarantine") & findings["row_number"].notna(),
        ["file_id", "college_bin", "sheet", "row_number"],
    ].drop_duplicates()
    if quarantined.empty:
        return pd.DataFrame(columns=FINDING_COLUMNS)
    defective = (
        quarantined.groupby(["file_id", "college_bin", "sheet"], dropna=False)
        .size()
        .reset_index(name="defective")
    )
    totals = _sheet_rows(con)
    merged = defective.merge(totals, on=["file_id", "sheet"], how="inner")
    share = defective_rows_share()
    over = merged.loc[(merged["defective"] > 1) & (merged["defective"] > share * merged["rows"])]
    rule = RULES["submission.defective_rows"]
    return pd.DataFrame(
        {
            "suite": "nobd_submission.submission",
            "file_id": over["file_id"],
            "college_bin": over["college_bin"],
            "sheet": over["sheet"],
            "row_number": None,
            "field": None,
            "rule_id": rule.rule_id,
            "severity": rule.severity,
            "offending_value": [
                f"{d} / {r} ({d / r:.0%})"
                for d, r in zip(over["defective"], over["rows"], strict=True)
            ],
            "message_kk": rule.message_kk,
            "message_ru": rule.message_ru,
        },
        columns=FINDING_COLUMNS,
    )


def _sheet_rows(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Rows per (NOBD file version, sheet) in the raw layer."""
    sheets = load_contract(NOBD).sheets
    sql = " union all ".join(
        f"select _file_id as file_id, '{sheet.name}' as sheet, count(*) as rows "
        f"from raw.{sheet.raw_table} group by _file_id"
        for sheet in sheets
    )
    return con.sql(sql).df()


def _write_findings(con: duckdb.DuckDBPyConnection, findings: pd.DataFrame) -> int:
    con.execute(FINDINGS_DDL)
    frame = findings.astype({"row_number": "float64"}).astype(
        {c: "object" for c in FINDING_COLUMNS if c != "row_number"}
    )
    con.register("_dq_findings", frame)
    try:
        con.execute(
            f"""
            insert into dq.findings
            select
                -- A source partitioned by round (its partition key is a round of the
                -- calendar) speaks for that round; a yearly source for its year.
                cast(cal.round_id as varchar) as round_id,
                coalesce(
                    case
                        when cal.round_id is not null
                            then cast(substr(cast(cal.academic_year as varchar), 1, 4) as integer)
                        else try_cast(lf.partition_key as integer)
                    end,
                    -- A file outside every known round or year (a misnamed folder) belongs to
                    -- the academic year it arrived in, so some pack shows it.
                    year(lf.first_seen_at) - case when month(lf.first_seen_at) < 9 then 1 else 0 end
                ) as year,
                f.college_bin,
                lf.source,
                f.file_id,
                lf.path as file_path,
                f.sheet,
                cast(f.row_number as bigint) as row_number,
                f.field,
                f.rule_id,
                f.severity,
                f.offending_value,
                f.message_kk,
                f.message_ru
            from _dq_findings as f
            join {REGISTRY} as lf on lf.file_id = f.file_id
            left join raw.ref_calendar as cal on cast(cal.round_id as varchar) = lf.partition_key
            order by file_path, sheet nulls first, row_number nulls first, field, rule_id
            """
        )
    finally:
        con.unregister("_dq_findings")
    return int(con.execute("select count(*) from dq.findings").fetchall()[0][0])
