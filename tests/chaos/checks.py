"""What a mutation asserts, read from the warehouse of the mutated run (and of the baseline run).

A check has a label, an expected value and an observed value, both short strings; it passes when
they are equal. A missing table or column (a feature not built yet) is observed as `error: …`, so
one run reports every mismatch at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

BASELINE = "<baseline>"  # expected value: whatever the unmutated run shows


class Warehouse:
    """A warehouse opened read-only; queries that fail return `error: …` instead of raising."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.con = duckdb.connect(str(path), read_only=True) if path.exists() else None

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        if self.con is None:  # the run died before it wrote a warehouse
            raise duckdb.IOException(f"no warehouse at {self.path}")
        return self.con.execute(sql, list(params)).fetchall()

    def text(self, sql: str, params: tuple[Any, ...] = ()) -> str:
        """The first column of the first row as text ('' without rows)."""
        try:
            found = self.rows(sql, params)
        except duckdb.Error as e:
            return f"error: {str(e).splitlines()[0][:90]}"
        return "" if not found else _fmt(found[0][0])

    def close(self) -> None:
        if self.con is not None:
            self.con.close()


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "NULL" if value is None else str(value)


@dataclass(frozen=True)
class Runs:
    chaos: Warehouse
    base: Warehouse


class Check:
    label = ""

    def expected(self, runs: Runs) -> str:
        raise NotImplementedError

    def observe(self, runs: Runs) -> str:
        raise NotImplementedError


@dataclass(frozen=True)
class FileStatus(Check):
    """raw.landing_files: status (and, when given, the rule among those of reason_rule: a held
    file's reason_rule lists every hold rule it failed) of the file at `path`."""

    path: str
    status: str
    rule: str | None = None

    @property
    def label(self) -> str:  # type: ignore[override]
        return f"file {self.path}"

    def expected(self, runs: Runs) -> str:
        return self.status if self.rule is None else f"{self.status} ({self.rule})"

    def observe(self, runs: Runs) -> str:
        sql = (
            "select status, coalesce(reason_rule, '') from raw.landing_files where path = ?"
            " order by status_changed_at desc nulls last limit 1"
        )
        found = runs.chaos.rows(sql, (self.path,))
        if not found:
            return "not registered"
        status, rules = found[0]
        if self.rule is None:
            return status
        return f"{status} ({self.rule if self.rule in rules.split(', ') else rules})"


@dataclass(frozen=True)
class Finding(Check):
    """marts.fct_dq_findings has `rule` for the file (and sheet, field, row when given)."""

    path: str
    rule: str
    sheet: str | None = None
    field: str | None = None
    row: int | None = None

    @property
    def label(self) -> str:  # type: ignore[override]
        where = ".".join(x for x in (self.sheet, self.field) if x)
        row = f" row {self.row}" if self.row is not None else ""
        return f"finding {self.rule} {where}{row} in {Path(self.path).name}"

    def expected(self, runs: Runs) -> str:
        return "present"

    def observe(self, runs: Runs) -> str:
        sql = (
            "select count(*) from marts.fct_dq_findings where file_path = ? and rule_id = ?"
            " and (? is null or sheet = ?) and (? is null or field = ?)"
            " and (? is null or row_number = ?)"
        )
        n = runs.chaos.text(
            sql,
            (self.path, self.rule, self.sheet, self.sheet, self.field, self.field, self.row,
             self.row),
        )  # fmt: skip
        if n.startswith("error") or n not in ("0", ""):
            return n if n.startswith("error") else "present"
        others = runs.chaos.text(
            "select coalesce(string_agg(distinct rule_id, ', '), 'none') from marts.fct_dq_findings"
            " where file_path = ?",
            (self.path,),
        )
        return f"absent (file has: {others})"


@dataclass(frozen=True)
class OnlyWarnings(Check):
    """No finding other than warnings for the file."""

    path: str

    @property
    def label(self) -> str:  # type: ignore[override]
        return f"no non-warning finding in {Path(self.path).name}"

    def expected(self, runs: Runs) -> str:
        return "none"

    def observe(self, runs: Runs) -> str:
        sql = (
            "select coalesce(string_agg(distinct rule_id, ', '), 'none') from marts.fct_dq_findings"
            " where file_path = ? and severity <> 'warning'"
        )
        return runs.chaos.text(sql, (self.path,))


@dataclass(frozen=True)
class Quarantined(Check):
    """marts.fct_dq_quarantined_rows lists (file, sheet, row)."""

    path: str
    sheet: str
    row: int

    @property
    def label(self) -> str:  # type: ignore[override]
        return f"quarantined {self.sheet} row {self.row} of {Path(self.path).name}"

    def expected(self, runs: Runs) -> str:
        return "quarantined"

    def observe(self, runs: Runs) -> str:
        sql = (
            "select case when count(*) > 0 then 'quarantined' else 'not quarantined' end"
            " from marts.fct_dq_quarantined_rows"
            " where file_path = ? and sheet = ? and row_number = ?"
        )
        return runs.chaos.text(sql, (self.path, self.sheet, self.row))


@dataclass(frozen=True)
class LoadIssue(Check):
    """raw.load_issues has a problem recorded for `field` of the file."""

    path: str
    field: str

    @property
    def label(self) -> str:  # type: ignore[override]
        return f"load issue {self.field} in {Path(self.path).name}"

    def expected(self, runs: Runs) -> str:
        return "present"

    def observe(self, runs: Runs) -> str:
        sql = (
            "select case when count(*) > 0 then 'present' else 'absent' end"
            " from raw.load_issues i join raw.landing_files f on f.file_id = i._file_id"
            " where f.path = ? and i.field = ?"
        )
        return runs.chaos.text(sql, (self.path, self.field))


@dataclass(frozen=True)
class Submission(Check):
    """marts.fct_dq_submission_status of (college, round): status and the two correction flags."""

    college_bin: str
    round_id: str
    status: str | None = None
    previous_version_current: bool | None = None
    corrected_after_due_date: bool | None = None

    @property
    def label(self) -> str:  # type: ignore[override]
        return f"submission {self.college_bin} {self.round_id}"

    def _columns(self) -> list[str]:
        cols = ["status"] if self.status is not None else []
        if self.previous_version_current is not None:
            cols.append("previous_version_current")
        if self.corrected_after_due_date is not None:
            cols.append("corrected_after_due_date")
        return cols

    def _read(self, wh: Warehouse) -> str:
        cols = " || ' ' || ".join(f"'{c}=' || coalesce(cast({c} as varchar), 'NULL')"
                                  for c in self._columns())  # fmt: skip
        sql = (
            f"select string_agg({cols}, ' + ') from marts.fct_dq_submission_status"
            " where college_bin = ? and round_id = ? and status <> 'superseded'"
        )
        return wh.text(sql, (self.college_bin, self.round_id)) or "no status row"

    def expected(self, runs: Runs) -> str:
        status = self.status
        if status == BASELINE:
            status = runs.base.text(
                "select string_agg(status, '+') from marts.fct_dq_submission_status"
                " where college_bin = ? and round_id = ? and status <> 'superseded'",
                (self.college_bin, self.round_id),
            )
        parts = [f"status={status}"] if status is not None else []
        for name in ("previous_version_current", "corrected_after_due_date"):
            value = getattr(self, name)
            if value is not None:
                parts.append(f"{name}={str(value).lower()}")
        return " ".join(parts)

    def observe(self, runs: Runs) -> str:
        return self._read(runs.chaos)


# Per-college figures of one round: what an untouched (or unharmed) college must keep.
FIGURES_SQL = """
select
  (select count(*) from marts.fct_enrolment where college_bin = $1 and round_id = $2)
  || ' students, ' ||
  (select coalesce(sum(copies_total), 0) || '/' || coalesce(sum(copies_kk), 0)
     from marts.fct_library_fund where college_bin = $1 and round_id = $2)
  || ' copies/kk, ' ||
  coalesce((select string_agg(status, '+' order by status) from marts.fct_dq_submission_status
            where college_bin = $1 and round_id = $2 and status <> 'superseded'), 'no status')
"""


@dataclass(frozen=True)
class SameFigures(Check):
    """Students, library copies and timeliness of (college, round) equal the baseline's."""

    college_bin: str
    round_id: str

    @property
    def label(self) -> str:  # type: ignore[override]
        return f"figures {self.college_bin} {self.round_id} = baseline"

    def expected(self, runs: Runs) -> str:
        return runs.base.text(FIGURES_SQL, (self.college_bin, self.round_id))

    def observe(self, runs: Runs) -> str:
        return runs.chaos.text(FIGURES_SQL, (self.college_bin, self.round_id))


@dataclass(frozen=True)
class Count(Check):
    """A per-college count (students or library rows) relative to the baseline's."""

    table: str  # fct_enrolment | fct_library_fund
    college_bin: str
    round_id: str
    delta: int = 0

    @property
    def label(self) -> str:  # type: ignore[override]
        return f"{self.table} rows {self.college_bin} {self.round_id}"

    def _count(self, wh: Warehouse) -> str:
        sql = f"select count(*) from marts.{self.table} where college_bin = ? and round_id = ?"
        return wh.text(sql, (self.college_bin, self.round_id))

    def expected(self, runs: Runs) -> str:
        base = self._count(runs.base)
        if not base.isdigit():
            return f"baseline {base}"
        sign = f" ({self.delta:+d} vs baseline)" if self.delta else " (baseline)"
        return f"{int(base) + self.delta}{sign}"

    def observe(self, runs: Runs) -> str:
        found = self._count(runs.chaos)
        if not found.isdigit():
            return found
        base = self._count(runs.base)
        delta = int(found) - int(base) if base.isdigit() else 0
        return f"{found}{f' ({delta:+d} vs baseline)' if delta else ' (baseline)'}"


@dataclass(frozen=True)
class InRegister(Check):
    """marts.dim_college has the college for the passport year."""

    college_bin: str
    year: int

    @property
    def label(self) -> str:  # type: ignore[override]
        return f"register {self.year} has {self.college_bin}"

    def expected(self, runs: Runs) -> str:
        return "in register"

    def observe(self, runs: Runs) -> str:
        sql = (
            "select case when count(*) > 0 then 'in register' else 'absent' end"
            " from marts.dim_college where college_bin = ? and passport_year = ?"
        )
        return runs.chaos.text(sql, (self.college_bin, self.year))


@dataclass(frozen=True)
class RegisterRegion(Check):
    """marts.dim_college's region of the college for the passport year (NULL = unknown)."""

    college_bin: str
    year: int
    region_code: str | None

    @property
    def label(self) -> str:  # type: ignore[override]
        return f"register {self.year} region of {self.college_bin}"

    def expected(self, runs: Runs) -> str:
        return self.region_code or "unknown"

    def observe(self, runs: Runs) -> str:
        sql = (
            "select coalesce(any_value(region_code), 'unknown') from marts.dim_college"
            " where college_bin = ? and passport_year = ?"
        )
        return runs.chaos.text(sql, (self.college_bin, self.year))


@dataclass(frozen=True)
class SameSql(Check):
    """A scalar query gives the same answer in both runs (params per run)."""

    what: str
    sql: str
    chaos_params: tuple[Any, ...]
    base_params: tuple[Any, ...]

    @property
    def label(self) -> str:  # type: ignore[override]
        return self.what

    def expected(self, runs: Runs) -> str:
        return runs.base.text(self.sql, self.base_params)

    def observe(self, runs: Runs) -> str:
        return runs.chaos.text(self.sql, self.chaos_params)
