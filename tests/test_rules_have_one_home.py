"""Each rule has one home: the marts (and the file registry) decide, the publications select.

The reports (pipelines/reports/), the yearbook (pipelines/yearbook/, its SQL-in-YAML included)
and the tests read these as columns and never derive them again:

- held back / rejected: marts.fct_dq_submission_status.is_held_back, is_rejected, status_detail;
- all four barrier-free conditions: barrier_free_all (int_passports__register, in dim_college
  and fct_college_year);
- a finding's region and the region whose pack lists it: marts.fct_dq_findings.region_code and
  marts.rpt_dq_pack_findings.pack_region_code (which also decides which findings a round's packs
  hold);
- a rejected file's sheet and field: raw.landing_files.reason_sheet / reason_field, recorded by
  the ingest when it rejects the file (dbt_project/models/validation/dq_frame_files.sql).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BARRIER_FREE = r"(ramps|light_signals|call_button|accessible_toilet)"

# (what is re-derived, pattern, where the rule lives, whether tests are held to it too: the
# tests of the registry and of the DQ step read raw.landing_files and fct_dq_findings themselves)
REDERIVATIONS = [
    (
        "held back / rejected from status and file_id",
        r"status\s*(=|<>|!=|in)\s*\(?\s*'missing'[^;]{0,40}?\bfile_id\s+is\s+(not\s+)?null",
        "fct_dq_submission_status.is_held_back / is_rejected / status_detail",
        True,
    ),
    (
        "rejected from a structure finding",
        r"rule_id\s+like\s+'structure\.",
        "fct_dq_submission_status.is_rejected",
        True,
    ),
    (
        "held back from the registry status",
        r"status\s*=\s*'held_back'",
        "fct_dq_submission_status.is_held_back",
        False,
    ),
    (
        "the barrier-free condition list",
        rf"\b{BARRIER_FREE}\s+and\s+{BARRIER_FREE}\b",
        "barrier_free_all",
        True,
    ),
    (
        "a region fallback",
        r"coalesce\s*\([^()]*region_code[^()]*,[^()]*region_code",
        "fct_dq_findings.region_code / rpt_dq_pack_findings.pack_region_code",
        True,
    ),
    (
        "a finding placed in a pack by joining the status mart",
        r"\bfct_dq_findings\b",
        "rpt_dq_pack_findings (pack_round_id, pack_region_code)",
        False,
    ),
    (
        "a rejected file's sheet or field parsed from its reason",
        r"regexp_extract\w*\s*\(\s*\w*\.?reason\b",
        "raw.landing_files.reason_sheet / reason_field",
        True,
    ),
]


def _files(with_tests: bool) -> list[Path]:
    here = Path(__file__).resolve()
    found = [
        *sorted((REPO / "pipelines" / "reports").rglob("*.py")),
        *sorted((REPO / "pipelines" / "yearbook").rglob("*.py")),
        *sorted((REPO / "pipelines" / "yearbook").rglob("*.yml")),
    ]
    if with_tests:
        found += sorted(p for p in (REPO / "tests").glob("*.py") if p != here)
    assert len(found) > 10, "the folders to check moved: update _files()"
    return found


@pytest.mark.parametrize(
    ("what", "pattern", "home", "with_tests"), REDERIVATIONS, ids=[r[0] for r in REDERIVATIONS]
)
def test_publications_and_tests_select_rules_from_the_marts(
    what: str, pattern: str, home: str, with_tests: bool
) -> None:
    regex = re.compile(pattern, re.IGNORECASE)
    hits = [
        f"{path.relative_to(REPO)}:{text.count(chr(10), 0, m.start()) + 1}: {m.group(0)!r}"
        for path in _files(with_tests)
        for text in [path.read_text(encoding="utf-8")]
        for m in regex.finditer(text)
    ]
    assert not hits, f"{what} is derived again (select {home} instead):\n" + "\n".join(hits)


def test_dbt_models_do_not_parse_rejection_reasons() -> None:
    """The rejected file's sheet and field come from registry columns, not from its reason."""
    regex = re.compile(REDERIVATIONS[-1][1], re.IGNORECASE)
    hits = [
        str(p.relative_to(REPO))
        for p in sorted((REPO / "dbt_project" / "models").rglob("*.sql"))
        if regex.search(p.read_text(encoding="utf-8"))
    ]
    assert not hits, hits


@pytest.mark.parametrize(
    "sample",
    [
        "where status = 'missing' and file_id is not null",
        "where status = 'held_back'",
        "case when s.status = 'missing' and s.file_id is null then 1 end",
        "count(*) filter (where ramps and light_signals and call_button and accessible_toilet)",
        "coalesce(e.region_code, c.region_code, h.region_code)",
        "from marts.fct_dq_findings f left join placed p using (college_bin)",
        "regexp_extract(reason, 'sheet ''([^'']+)''', 1)",
        "r.rule_id like 'structure.%'",
    ],
)
def test_the_patterns_catch_the_old_derivations(sample: str) -> None:
    """Each derivation this test was written against is still caught (the test can fail)."""
    assert any(re.search(p, sample, re.IGNORECASE) for _, p, _, _ in REDERIVATIONS), sample
