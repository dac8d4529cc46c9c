"""Build the expectation suites in `expectations/` from the source contracts and the rule catalogue.

    python -m pipelines.quality.build_suites          # rewrite expectations/*.json
    python -m pipelines.quality.build_suites --check  # exit 1 when the committed JSON is stale

The committed JSON is what the runner reads; `tests/test_quality_suites.py` asserts it equals what
this builder produces, so the contracts stay the one definition of required columns, allowed
codes and numeric ranges. Rules that are not in the contracts (check digits, cross-source and
temporal comparisons) are declared here once, next to the frame column they test.

Conventions the runner relies on (each expectation's `meta`):
- `rule_id`, `severity` (reject|hold|quarantine|warning, `rules.severity`), `message_kk`,
  `message_ru`: from `rules.RULES`;
- `sheet`, `field`: what the finding names (contract names, not frame columns); NULL `field` for a
  submission- or file-level rule; structure rules take sheet/field from the registry row;
- `level`: `row` (one finding per failing row), `submission` (one per NOBD file, row NULL) or
  `file` (one per rejected file). The runner picks the frame from (source, level, sheet):
  `<source>.<sheet>`, `<source>.submissions` or `<source>.files` (see `frames.py`).
GX's own `severity` is set too (critical for reject and hold, warning otherwise).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipelines.contracts import Column, Contract, Sheet, all_contracts, load_contract
from pipelines.quality.iin_flags import (
    BIN_RULE,
    TEXT_FLAG,
    TEXT_RULE,
    bin_columns,
    bin_flag,
    text_columns,
)
from pipelines.quality.rules import IMPLAUSIBLE_FACTOR, RULES, STRUCTURE_RULES, severity
from pipelines.settings import EXPECTATIONS_DIR

if TYPE_CHECKING:
    from great_expectations import ExpectationSuite

# Thresholds of the catalogue's warning rules (docs/ARCHITECTURE.md): the frames compute the
# measure per row, the suites hold the limit, so a threshold changes here and nowhere else.
AGE_MIN, AGE_MAX = 14, 60
CAPACITY_FACTOR = 1.2  # students > 1.2 × passport capacity
ENROLMENT_CHANGE = 0.4  # |students - previous| / previous > 40 %

# One spec: (GX expectation class name, kwargs, rule id, sheet, field, level).
Spec = tuple[str, dict[str, Any], str, str | None, str | None, str]


def frame_column(col: Column) -> str:
    """The frame column holding a contract column: IINs only exist as `<name>_hash` (privacy)."""
    return f"{col.name}_hash" if col.pii == "iin" else col.name


def _domain_specs(sheet: Sheet) -> list[Spec]:
    """Required, allowed and range checks, straight from the contract.

    Code columns reach the frame as canonical code when staging knows the spelling and as written
    otherwise, so "in the canonical set" fails exactly for unknown spellings and names them.
    """
    specs: list[Spec] = []
    for col in sheet.columns:
        fc = frame_column(col)
        if col.required:
            specs.append(
                (
                    "ExpectColumnValuesToNotBeNull",
                    {"column": fc},
                    "domain.required_value",
                    sheet.name,
                    col.name,
                    "row",
                )
            )
        if col.allowed:
            specs.append(
                (
                    "ExpectColumnValuesToBeInSet",
                    {"column": fc, "value_set": list(col.allowed)},
                    "domain.allowed_values",
                    sheet.name,
                    col.name,
                    "row",
                )
            )
        if col.pattern:
            specs.append(
                (
                    "ExpectColumnValuesToMatchRegex",
                    {"column": fc, "regex": col.pattern},
                    "domain.allowed_values",
                    sheet.name,
                    col.name,
                    "row",
                )
            )
        if col.min is not None or col.max is not None:
            bounds = {
                k: v for k, v in (("min_value", col.min), ("max_value", col.max)) if v is not None
            }
            specs.append(
                (
                    "ExpectColumnValuesToBeBetween",
                    {"column": fc, **bounds},
                    "domain.range",
                    sheet.name,
                    col.name,
                    "row",
                )
            )
    return specs


def _flag(column: str, rule: str, sheet: str, field: str) -> Spec:
    """A per-row flag the frame computes (NULL = not applicable): it must be true."""
    return (
        "ExpectColumnValuesToBeInSet",
        {"column": column, "value_set": [True]},
        rule,
        sheet,
        field,
        "row",
    )


def _is_true(column: str) -> Any:
    """GX row condition `column == True` (GX 1.x condition object; string conditions are
    deprecated)."""
    from great_expectations.expectations.row_conditions import Column as GxColumn

    return GxColumn(column) == True  # noqa: E712 -- builds a GX condition, not a comparison


def _absent(column: str, rule: str, sheet: str, field: str | None) -> Spec:
    """A per-row description of a violation the frame computes: it must be NULL. The finding
    shows the description (e.g. both BINs of a mismatch)."""
    return ("ExpectColumnValuesToBeNull", {"column": column}, rule, sheet, field, "row")


def _region_known(sheet: str) -> Spec:
    return _flag("region_known", "identifiers.unknown_region", sheet, "region")


def _iin_placement_specs(source: str) -> list[Spec]:
    """IINs the ingest masked outside the IIN column (pipelines/quality/iin_flags.py): in any
    text column of a sheet (value: the columns), or in a BIN column (field: that column)."""
    specs: list[Spec] = []
    for sheet in load_contract(source).sheets:
        if text_columns(sheet):
            specs.append(_absent(TEXT_FLAG, TEXT_RULE, sheet.name, None))
        specs += [
            _absent(bin_flag(c.name), BIN_RULE, sheet.name, c.name) for c in bin_columns(sheet)
        ]
    return specs


def _structure_specs() -> list[Spec]:
    # The ingest rejects the file and writes the rule id to the registry (`reason_rule`); the
    # frame has one row per file version, so each rule fails exactly on the files it rejected.
    return [
        (
            "ExpectColumnValuesToNotBeInSet",
            {"column": "reason_rule", "value_set": [rule]},
            rule,
            None,
            None,
            "file",
        )
        for rule in STRUCTURE_RULES
    ]


def _nobd_specs() -> dict[str, list[Spec]]:
    return {
        "identity": [
            _absent("bin_mismatch", "identity.bin_mismatch", "header", "college_bin"),
            _absent("round_mismatch", "identity.round_mismatch", "header", "round_id"),
            _absent("extra_header_row", "identity.header_rows", "header", None),
        ],
        "identifiers": [
            _flag("college_bin_valid", "identifiers.bin_checksum", "header", "college_bin"),
            _region_known("header"),
            _flag("iin_valid", "identifiers.iin_checksum", "students", "iin"),
            _flag("enterprise_bin_valid", "identifiers.bin_checksum", "students", "enterprise_bin"),
            _flag("specialty_known", "identifiers.unknown_specialty", "students", "specialty_code"),
            _flag(
                "qualification_known",
                "identifiers.unknown_qualification",
                "students",
                "qualification_code",
            ),
        ],
        "logic": [
            (
                "ExpectColumnPairValuesAToBeGreaterThanB",
                {
                    "column_A": "copies_total",
                    "column_B": "copies_kk",
                    "or_equal": True,
                    "ignore_row_if": "either_value_is_missing",
                },
                "logic.kazakh_copies_exceed_total",
                "library",
                "copies_kk",
                "row",
            ),
            # A dual-training student needs the enterprise's BIN. A row condition, not a pair
            # expectation: GX evaluates column pairs row by row in Python (slow at 10^6 rows).
            (
                "ExpectColumnValuesToNotBeNull",
                {"column": "enterprise_bin", "row_condition": _is_true("dual_training")},
                "logic.dual_without_enterprise",
                "students",
                "enterprise_bin",
                "row",
            ),
            (
                "ExpectColumnValuesToBeBetween",
                {"column": "age_at_reference", "min_value": AGE_MIN, "max_value": AGE_MAX},
                "logic.age_implausible",
                "students",
                "birth_date",
                "row",
            ),
            _absent(
                "iin_repeat_of_row", "logic.duplicate_student_in_submission", "students", "iin"
            ),
            (
                "ExpectColumnValuesToBeBetween",
                {"column": "iin_colleges_in_round", "max_value": 1},
                "logic.duplicate_student_across_colleges",
                "students",
                "iin",
                "row",
            ),
        ],
        "cross_source": [
            (
                "ExpectColumnValuesToBeBetween",
                {"column": "students_per_capacity", "max_value": CAPACITY_FACTOR},
                "cross.contingent_exceeds_capacity",
                "students",
                None,
                "submission",
            ),
            (
                "ExpectColumnValuesToBeBetween",
                {"column": "students_multiple", "max_value": IMPLAUSIBLE_FACTOR},
                "cross.contingent_implausible",
                "students",
                None,
                "submission",
            ),
        ],
        "temporal": [
            (
                "ExpectColumnValuesToBeBetween",
                {"column": "enrolment_change", "max_value": ENROLMENT_CHANGE},
                "temporal.enrolment_change",
                "students",
                None,
                "submission",
            ),
        ],
    }


def _passport_specs() -> dict[str, list[Spec]]:
    return {
        "identifiers": [
            _region_known("colleges"),
            # The frame's flags come from staging.stg_passports__register_rows, which also decides
            # the region the college counts in (docs/ARCHITECTURE.md "Domain rules").
            _flag("region_resolved", "identifiers.ambiguous_region", "colleges", "region"),
            _flag(
                "region_established", "identifiers.region_not_yet_established", "colleges", "region"
            ),
            # A repeated BIN: the field is the first column the rows disagree on (frame column
            # `_field`), NULL for a repeat of an identical row.
            (
                "ExpectColumnValuesToBeInSet",
                {"column": "passport_unique", "value_set": [True]},
                "identifiers.passport_conflict",
                "colleges",
                None,
                "row",
            ),
        ],
        "cross_source": [
            # A claim of demo exams needs a demo-exam result in that year's CIS export
            # (`has_demo_exam_result` is NULL when the year has no demo-exam export at all).
            (
                "ExpectColumnValuesToBeInSet",
                {
                    "column": "has_demo_exam_result",
                    "value_set": [True],
                    "row_condition": _is_true("demo_exam_claimed"),
                },
                "cross.demo_exam_claim_without_result",
                "colleges",
                "demo_exam_claimed",
                "row",
            ),
        ],
    }


def _worldskills_specs() -> dict[str, list[Spec]]:
    return {
        "identifiers": [
            _region_known("results"),
            # Competitors' IINs are checked like students' (the value is never shown).
            _flag("competitor_iin_valid", "identifiers.iin_checksum", "results", "competitor_iin"),
        ],
        "cross_source": [
            _flag(
                "college_in_register", "cross.ws_college_not_in_register", "results", "college_bin"
            ),
        ],
    }


def _response_specs() -> dict[str, list[Spec]]:
    # The frame (dq_frame_dq_responses) compares each answer with the findings issued so far.
    return {
        "response": [
            _flag("response_given", "response.no_response", "findings", "response"),
            _flag("finding_issued", "response.unknown_finding", "findings", "finding_id"),
            _flag("finding_in_region", "response.other_region", "findings", "finding_id"),
            _flag("response_allowed", "response.needs_correction", "findings", "response"),
        ],
    }


# The rules of a source beyond what its contract says (check digits, cross-source and temporal
# comparisons), computed as columns by its dq_prep frames. A source without any needs no entry.
SOURCE_SPECS = {
    "nobd_submission": _nobd_specs,
    "college_passport": _passport_specs,
    "worldskills_export": _worldskills_specs,
    "dq_response": _response_specs,
}


def _contract_specs(contract: Contract) -> dict[str, list[Spec]]:
    """What every source gets from its contract: the structure rules of its files, IINs out of
    place, and the required/allowed/range/pattern rules of its columns."""
    return {
        "structure": _structure_specs(),
        "identifiers": _iin_placement_specs(contract.source),
        "domain": [s for sheet in contract.sheets for s in _domain_specs(sheet)],
    }


def source_specs(contract: Contract) -> dict[str, list[Spec]]:
    """Family -> specs of a source: its own rules first, then its contract's; empty families
    make no suite."""
    own = SOURCE_SPECS[contract.source]() if contract.source in SOURCE_SPECS else {}
    generic = _contract_specs(contract)
    families = {**generic, **own}
    merged = {f: own.get(f, []) + generic.get(f, []) for f in families}
    return {f: specs for f, specs in merged.items() if specs}


def build() -> dict[str, ExpectationSuite]:
    """All suites, by name `<source>.<family>`, in a stable order."""
    import great_expectations as gx  # lazy: the import costs seconds
    import great_expectations.expectations as gxe

    suites: dict[str, ExpectationSuite] = {}
    for source, contract in all_contracts().items():
        for family, specs in source_specs(contract).items():
            expectations = []
            for cls, kwargs, rule_id, sheet, field, level in specs:
                rule = RULES[rule_id]
                cost = severity(rule_id, source, sheet)
                meta = {
                    "rule_id": rule_id,
                    "severity": cost,
                    "message_kk": rule.message_kk,
                    "message_ru": rule.message_ru,
                    "sheet": sheet,
                    "field": field,
                    "level": level,
                }
                gx_severity = "critical" if cost in ("reject", "hold") else "warning"
                expectations.append(getattr(gxe, cls)(**kwargs, meta=meta, severity=gx_severity))
            name = f"{source}.{family}"
            suites[name] = gx.ExpectationSuite(
                name=name, expectations=expectations, meta={"source": source, "family": family}
            )
    return suites


def render(suite: ExpectationSuite) -> str:
    """The suite as GX serialises it, pretty-printed (Kazakh and Russian kept readable)."""
    return json.dumps(suite.to_json_dict(), ensure_ascii=False, indent=2) + "\n"


def suite_path(name: str, directory: Path = EXPECTATIONS_DIR) -> Path:
    return directory / f"{name}.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale suites")
    args = parser.parse_args(argv)
    suites = build()
    stale = []
    for name, suite in suites.items():
        path = suite_path(name)
        text = render(suite)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            stale.append(path.name)
            if not args.check:
                path.write_text(text, encoding="utf-8")
    extra = sorted(p.name for p in EXPECTATIONS_DIR.glob("*.json") if p.stem not in suites)
    if args.check:
        for n in stale:
            print(f"stale: {n}", file=sys.stderr)
        for n in extra:
            print(f"not built by the builder: {n}", file=sys.stderr)
        return 1 if stale or extra else 0
    for n in extra:
        (EXPECTATIONS_DIR / n).unlink()
    print(f"{len(suites)} suites, {len(stale)} rewritten, {len(extra)} removed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
