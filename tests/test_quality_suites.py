"""The committed expectation suites: built from the contracts, complete against the rule
catalogue, and carrying what the runner and the regions need in every expectation's meta.
Also the runner's parts that need no warehouse (a broken expectation is never bad data)."""

from __future__ import annotations

import re

import pandas as pd
import pyarrow as pa
import pytest

from pipelines.identifiers import complete
from pipelines.quality import build_suites
from pipelines.quality.frames import SUBMISSION_FRAMES, frame_name, frame_sql, prepare
from pipelines.quality.rules import RULES, SEVERITIES, severity
from pipelines.quality.runner import (
    MASK,
    Planned,
    SuiteOutcome,
    Validator,
    _pii_fields,
    _validate_frames,
    format_value,
    load_suites,
    plan,
)
from pipelines.settings import EXPECTATIONS_DIR, REPO_ROOT

META_KEYS = {"rule_id", "severity", "message_kk", "message_ru", "sheet", "field", "level"}


def architecture_catalogue() -> dict[str, str]:
    """rule id -> severity, from the table in docs/ARCHITECTURE.md (the project's contract)."""
    text = (REPO_ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    section = text.split("## Rule catalogue", 1)[1]
    rows = re.findall(
        r"^\| `([a-z_]+\.[a-z_]+)` \| [^|]+ \| (reject|hold|quarantine|warning) \|", section, re.M
    )
    return dict(rows)


@pytest.fixture(scope="module")
def built() -> dict:
    return build_suites.build()


def test_committed_suites_equal_the_builder_output(built: dict) -> None:
    committed = {p.stem for p in EXPECTATIONS_DIR.glob("*.json")}
    assert committed == set(built), "run `python -m pipelines.quality.build_suites` and commit"
    for name, suite in built.items():
        text = build_suites.suite_path(name).read_text(encoding="utf-8")
        assert text == build_suites.render(suite), f"{name} is stale: rebuild and commit"


def test_one_suite_per_source_and_family() -> None:
    for name, suite in load_suites().items():
        source, family = name.split(".")
        assert suite["meta"] == {
            "source": source,
            "family": family,
            "great_expectations_version": suite["meta"]["great_expectations_version"],
        }
    names = set(load_suites())
    for source in ("nobd_submission", "college_passport", "worldskills_export"):
        assert {f"{source}.structure", f"{source}.domain", f"{source}.cross_source"} <= names
    assert {"nobd_submission.logic", "nobd_submission.temporal"} <= names


def test_every_expectation_carries_rule_severity_and_messages() -> None:
    for name, suite in load_suites().items():
        assert suite["expectations"], name
        for exp in suite["expectations"]:
            meta = exp["meta"]
            assert set(meta) >= META_KEYS, (name, exp["type"])
            rule = RULES[meta["rule_id"]]
            source = name.split(".")[0]
            cost = severity(meta["rule_id"], source, meta["sheet"])
            assert meta["severity"] == cost in SEVERITIES
            assert meta["message_kk"] == rule.message_kk and meta["message_kk"].strip()
            assert meta["message_ru"] == rule.message_ru and meta["message_ru"].strip()
            assert meta["message_kk"] != meta["message_ru"]
            assert exp["severity"] == ("critical" if cost in ("reject", "hold") else "warning")
            assert name.split(".")[1] == rule.family, (name, meta["rule_id"])
            assert meta["level"] in ("row", "submission", "file")


def test_catalogue_matches_architecture_and_every_rule_has_an_expectation() -> None:
    catalogue = architecture_catalogue()
    assert len(catalogue) == len(RULES) == 37
    assert {r: RULES[r].severity for r in RULES} == catalogue
    covered = {e["meta"]["rule_id"] for s in load_suites().values() for e in s["expectations"]}
    # submission.defective_rows is a rule over the findings, evaluated by the runner.
    assert covered | {"submission.defective_rows"} == set(catalogue)


def test_domain_suites_follow_the_contracts() -> None:
    """Spot checks that the contract is the definition: required, allowed codes, ranges."""
    suites = load_suites()
    domain = {
        (e["meta"]["sheet"], e["meta"]["field"], e["meta"]["rule_id"]): e["kwargs"]
        for e in suites["nobd_submission.domain"]["expectations"]
    }
    assert domain[("students", "course", "domain.range")] == {
        "column": "course",
        "min_value": 1.0,
        "max_value": 4.0,
    }
    assert set(domain[("students", "gender", "domain.allowed_values")]["value_set"]) == {"M", "F"}
    # IINs exist only as hashes: the required check looks at the hash.
    assert domain[("students", "iin", "domain.required_value")] == {"column": "iin_hash"}
    assert ("students", "enterprise_bin", "domain.required_value") not in domain


def test_every_expectation_has_a_frame() -> None:
    for frame in plan(load_suites()):
        sql, _ = frame_sql(frame)  # raises for an unknown frame
        assert sql.startswith("select * from dq_prep.")
    assert set(SUBMISSION_FRAMES) <= set(plan(load_suites()))
    assert frame_name("nobd_submission", "file", None) == "nobd_submission.files"


def test_offending_values_read_like_the_file() -> None:
    assert format_value(7.0) == "7"
    assert format_value(1.3245) == "1.325"
    assert format_value(pd.Timestamp("2011-08-10")) == "2011-08-10"
    assert format_value(True) == "true"
    assert format_value(float("nan")) is None and format_value(pd.NA) is None
    assert format_value("Казахстан") == "Казахстан"


def test_bin_flags_are_null_for_empty_cells() -> None:
    good = complete("08064000001")
    assert good is not None
    bad = good[:11] + str((int(good[11]) + 1) % 10)
    frame = pa.table({"enterprise_bin": [good, bad, None]})
    flags = prepare("nobd_submission.students", frame)["enterprise_bin_valid"]
    assert flags.tolist()[:2] == [True, False] and flags.isna().tolist() == [False, False, True]


@pytest.fixture(scope="module")
def validator() -> Validator:
    return Validator()


def _planned(suite: str, exp_type: str, kwargs: dict, rule: str, sheet: str, field: str):
    r = RULES[rule]
    meta = {
        "rule_id": rule,
        "severity": r.severity,
        "message_kk": r.message_kk,
        "message_ru": r.message_ru,
        "sheet": sheet,
        "field": field,
        "level": "row",
    }
    return Planned(
        suite, "nobd_submission.students", {"type": exp_type, "kwargs": kwargs, "meta": meta}
    )


def test_failing_rows_become_findings_and_errors_are_not_bad_data(validator: Validator) -> None:
    df = pd.DataFrame(
        {
            "_file_id": ["a", "a", "b"],
            "_row_number": [2.0, 3.0, 2.0],
            "_college_bin": ["111", "111", "222"],
            "course": [1.0, 7.0, 2.0],
            "iin_hash": ["h1", "h1", "h2"],
            "iin_repeat_of_row": [None, 2.0, None],
        }
    )
    planned = [
        _planned(
            "nobd_submission.domain",
            "expect_column_values_to_be_between",
            {"column": "course", "min_value": 1, "max_value": 4},
            "domain.range",
            "students",
            "course",
        ),  # fmt: skip
        _planned(
            "nobd_submission.logic",
            "expect_column_values_to_be_null",
            {"column": "iin_repeat_of_row"},
            "logic.duplicate_student_in_submission",
            "students",
            "iin",
        ),  # fmt: skip
        # A column the frame does not have: GX raises inside, the result carries exception_info.
        _planned(
            "nobd_submission.identifiers",
            "expect_column_values_to_be_in_set",
            {"column": "no_such_flag", "value_set": [True]},
            "identifiers.iin_checksum",
            "students",
            "iin",
        ),  # fmt: skip
    ]
    outcomes = {s: SuiteOutcome(s) for s in {p.suite for p in planned}}
    parts = _validate_frames(
        validator, {"nobd_submission.students": df}, {"nobd_submission.students": planned},
        outcomes, _pii_fields(),
    )  # fmt: skip
    findings = pd.concat(parts, ignore_index=True)
    course = findings[findings.rule_id == "domain.range"]
    assert course[
        ["file_id", "row_number", "field", "offending_value", "college_bin"]
    ].values.tolist() == [["a", 3.0, "course", "7", "111"]]
    dups = findings[findings.rule_id == "logic.duplicate_student_in_submission"]
    # Only the repeat is a finding (the first occurrence counts); the IIN field is never shown.
    assert sorted(dups.row_number) == [3.0] and set(dups.offending_value) == {MASK}
    assert outcomes["nobd_submission.domain"].failing_rows == {"domain.range": 1}
    broken = outcomes["nobd_submission.identifiers"]
    assert broken.errors and not broken.failing_rows and not broken.passed
    assert "no_such_flag" in broken.errors[0]
    assert "identifiers.iin_checksum" not in set(findings.rule_id)
