"""Compare a warehouse built from demo data with the generator's manifest.

    python -m pipelines.demo.verify $EDUSTAT_HOME

Checks, each as a set difference: file fates (raw.landing_files.status), findings (dq.findings:
path, rule, sheet, row, field), timeliness and the acceptance policy's flags
(marts.fct_dq_submission_status: status, previous_version_current, corrected_after_due_date),
quarantined rows (marts.fct_dq_quarantined_rows: path, sheet, row — each exactly once) and indicator
numerators/denominators (marts.fct_indicator_values, national and regional rows); after
`edustat demo-answers` and a run, the outcome of every answer row (marts.fct_dq_finding_answers:
outcome and rule) and the state of every finding the answered packs listed (marts.fct_dq_findings).
Prints what differs and exits 1 when anything does. Reads the warehouse read-only.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

Key = tuple[Any, ...]


def _diff(name: str, expected: dict[Key, Any], actual: dict[Key, Any], show: int = 10) -> int:
    keys = sorted(set(expected) | set(actual), key=str)
    bad = [(k, expected.get(k), actual.get(k)) for k in keys if expected.get(k) != actual.get(k)]
    print(f"{name}: {len(expected)} expected, {len(actual)} in warehouse, {len(bad)} differ")
    for k, e, a in bad[:show]:
        print(f"  {k}: manifest {e!r}, warehouse {a!r}")
    return len(bad)


# The field a defective answer's finding names (pipelines/demo/answers.py DEFECT_RULES).
ANSWER_RULE_FIELDS = {
    "response.unknown_finding": "finding_id",
    "response.other_region": "finding_id",
    "response.needs_correction": "response",
    "response.no_response": "response",
    "domain.allowed_values": "response",
}


def _add_answers(m: dict[str, Any], expected: dict[str, dict[Key, Any]]) -> None:
    """The answer files' truth: each is a loaded landing file (the current one is decided in
    dbt, not in the registry), a rejected answer row is a finding and a quarantined row, every
    row has an outcome."""
    answers = m["answers"]
    expected["fates"].update({(f["path"],): "loaded" for f in answers["files"]})
    expected["findings"].update(
        {
            (r["path"], r["rule"], "findings", r["row"], ANSWER_RULE_FIELDS[r["rule"]]): True
            for r in answers["rows"]
            if r["rule"]
        }
    )
    # a rejected answer row is quarantined: the data-quality step left it out
    expected["quarantined"].update(
        {(r["path"], "findings", r["row"]): 1 for r in answers["rows"] if r["rule"]}
    )
    expected["answer_rows"] = {
        (r["path"], r["row"]): (r["outcome"], r["rule"]) for r in answers["rows"]
    }
    expected["finding_states"] = {(fid,): state for fid, state in answers["states"].items()}


def _from_manifest(m: dict[str, Any]) -> dict[str, dict[Key, Any]]:
    return {
        "fates": {(f["path"],): f["fate"] for f in m["files"]},
        "findings": {
            (f["path"], d["rule"], d["sheet"], d["row"], d["field"]): True
            for f in m["files"]
            for d in f["defects"]
        },
        "statuses": {
            (s["round_id"], s["college_bin"]): (
                s["region_code"],
                s["status"],
                s["previous_version_current"],
                s["corrected_after_due_date"],
            )
            for s in m["submissions"]
        },
        "quarantined": {
            (f["path"], q["sheet"], q["row"]): 1 for f in m["files"] for q in f["quarantined_rows"]
        },
        "indicators": {
            (i["indicator_id"], i["period"], i["level"], i["region_code"]): (
                i["numerator"],
                i["denominator"],
            )
            for i in m["indicators"]
        },
    }


_QUERIES = {
    "fates": "select path, status from raw.landing_files",
    "findings": "select distinct file_path, rule_id, sheet, row_number, field, true "
    "from dq.findings",
    "statuses": "select round_id, college_bin, region_code, status, previous_version_current, "
    "corrected_after_due_date from marts.fct_dq_submission_status "
    "where status in ('on_time', 'late', 'missing')",
    # The count shows a row listed twice (the mart has one row per quarantined row).
    "quarantined": "select file_path, sheet, row_number, count(*) "
    "from marts.fct_dq_quarantined_rows group by all",
    "indicators": "select indicator_id, period, level, region_code, numerator, denominator "
    "from marts.fct_indicator_values where college_bin is null and level in ('national', 'region')",
}
# Checked when the manifest has `answers` (pipelines/demo/answers.py). Answer files are
# landing files too: their fates are in `fates`, their findings in `findings`.
_ANSWER_QUERIES = {
    "answer_rows": "select file_path, row_number, outcome, reason_rule_ids "
    "from marts.fct_dq_finding_answers",
    # one state per finding id (the same finding in two versions of a submission is one)
    "finding_states": "select distinct finding_id, state from marts.fct_dq_findings "
    "where source <> 'dq_response'",
}
_KEY_WIDTH = {
    "fates": 1,
    "findings": 5,
    "statuses": 2,
    "quarantined": 3,
    "indicators": 4,
    "answer_rows": 2,
    "finding_states": 1,
}


def _from_warehouse(path: Path, queries: dict[str, str]) -> dict[str, dict[Key, Any]]:
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        out: dict[str, dict[Key, Any]] = {}
        for name, sql in queries.items():
            w = _KEY_WIDTH[name]
            rows = con.sql(sql).fetchall()
            out[name] = {r[:w]: (r[w] if len(r) == w + 1 else tuple(r[w:])) for r in rows}
        return out
    finally:
        con.close()


def verify(home: Path) -> int:
    """Number of differences between home/manifest.json and home/warehouse.duckdb."""
    manifest = json.loads((home / "manifest.json").read_text(encoding="utf-8"))
    expected = _from_manifest(manifest)
    if "answers" in manifest:
        _add_answers(manifest, expected)
    queries = {**_QUERIES, **(_ANSWER_QUERIES if "answers" in manifest else {})}
    actual = _from_warehouse(home / "warehouse.duckdb", queries)
    if "finding_states" in actual:
        # the findings of the answered packs; the findings of the answer files are new
        wanted = expected["finding_states"]
        actual["finding_states"] = {
            k: v for k, v in actual["finding_states"].items() if k in wanted
        }
    return sum(_diff(name, expected[name], actual[name]) for name in queries)


if __name__ == "__main__":
    sys.exit(1 if verify(Path(sys.argv[1] if len(sys.argv) > 1 else "var")) else 0)
