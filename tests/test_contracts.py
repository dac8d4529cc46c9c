"""The source contracts are consistent, and what is generated from them is up to date."""

from __future__ import annotations

import pytest

from pipelines import contract_labels, dbt_sources
from pipelines.contract_docs import DOCS_DIR, render
from pipelines.contracts import LANGUAGES, all_contracts, boolean_spellings
from pipelines.identifiers import complete, is_valid

CONTRACTS = all_contracts()


@pytest.mark.parametrize("source", sorted(CONTRACTS))
def test_every_column_has_headers_in_every_language(source: str) -> None:
    for sheet in CONTRACTS[source].sheets:
        assert set(LANGUAGES) <= set(sheet.headers), sheet.name
        for col in sheet.columns:
            assert set(LANGUAGES) <= set(col.headers), f"{sheet.name}.{col.name}"


@pytest.mark.parametrize("source", sorted(CONTRACTS))
def test_header_and_value_spellings_are_unambiguous(source: str) -> None:
    for sheet in CONTRACTS[source].sheets:
        owners: dict[str, str] = {}
        for col in sheet.columns:
            for spelling in col.header_spellings():
                assert owners.setdefault(spelling, col.name) == col.name, (sheet.name, spelling)
            if col.allowed:
                codes = col.value_spellings()
                n_spellings = sum(len(v) + 1 for v in col.allowed.values())
                assert len(set(codes)) <= n_spellings
                # a spelling maps to exactly one code
                for code, spellings in col.allowed.items():
                    for s in spellings:
                        assert codes[s.lower().strip()] == code, (col.name, s)


def test_boolean_spellings_are_disjoint() -> None:
    spellings = boolean_spellings()
    assert spellings["иә"] is True and spellings["нет"] is False


@pytest.mark.parametrize("source", sorted(CONTRACTS))
def test_rendered_docs_are_current(source: str) -> None:
    committed = (DOCS_DIR / f"{source}.md").read_text(encoding="utf-8")
    assert committed == render(CONTRACTS[source]), "run `edustat contracts` and commit"


def test_dbt_raw_sources_are_generated_from_the_contracts() -> None:
    assert not dbt_sources.stale(), "run `edustat contracts` and commit"
    parts = dbt_sources.sources_yaml().values()
    raw = {t["name"] for part in parts for t in part["sources"][0]["tables"]}
    assert {s.raw_table for c in CONTRACTS.values() for s in c.sheets} <= raw


def test_contract_wording_in_the_labels_seed_is_generated() -> None:
    assert contract_labels.is_current(), "run `edustat contracts` and commit"


def test_check_digit_round_trip() -> None:
    made = [complete(f"{n:011d}") for n in range(900000000, 900000200)]
    valid = [m for m in made if m is not None]
    assert len(valid) > 150
    assert all(is_valid(v) for v in valid)
    # flipping the check digit breaks every one of them
    assert not any(is_valid(v[:11] + str((int(v[11]) + 1) % 10)) for v in valid)
    assert not is_valid("12345") and not is_valid(None) and not is_valid("abcdefghijkl")
