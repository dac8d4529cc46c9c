"""The shared publishing layer: numbers, layout, labels, and the warehouse's own documentation."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
import yaml

from pipelines.contracts import all_contracts
from pipelines.publishing import layout
from pipelines.publishing.labels import Labels, MissingLabel
from pipelines.publishing.numbers import MINUS, NBSP, excel_format, excel_text, text
from pipelines.quality.rules import RULES, SEVERITIES
from pipelines.settings import DBT_PROJECT_DIR

LABELS = Labels.from_seed()
KAZAKH_ONLY = set("әғқңөұүһі")


# --- numbers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kind", "lang", "unit", "expected"),
    [
        (12345, "int", "ru", False, f"12{NBSP}345"),
        (12.3, "pct", "kk", False, "12,3"),
        (0.123, "rate", "ru", True, f"12,3{NBSP}%"),
        (20.0, "pp", "ru", True, f"+20,0{NBSP}п.п."),
        (-2.5, "pp", "kk", False, f"{MINUS}2,5"),
        (-3, "delta", "ru", False, f"{MINUS}3"),
        (0, "delta", "ru", False, "0"),
        (None, "rate", "ru", True, "–"),
    ],
)
def test_one_formatter_for_every_edition(
    value: float | None, kind: str, lang: str, unit: bool, expected: str
) -> None:
    assert text(value, kind, lang, unit=unit) == expected  # type: ignore[arg-type]


def test_an_xlsx_cell_holds_the_value_in_the_unit_its_format_shows() -> None:
    # +20 percentage points is stored as 20.0 under a format that shows it as +20.0
    assert excel_format("pp") == '+0.0;"−"0.0;0.0'
    assert excel_text(20.0, excel_format("pp"), "ru") == "+20,0"
    assert excel_text(0.875, excel_format("rate"), "ru") == "87,5"
    assert excel_text(1234, excel_format("int", partial=True), "kk") == f"1{NBSP}234*"
    assert text(1234, "int", "kk", partial=True) == f"1{NBSP}234*"


# --- layout -----------------------------------------------------------------------------------


def _table(columns: int, heading: str = "қатысушылар") -> tuple[layout.Column, list[layout.Column]]:
    labels = layout.Column(["Өңір"], ["Солтүстік Қазақстан облысы", "Қазақстан Республикасы"])
    cols = [layout.Column(["халықаралық", heading], ["12 345", "…"]) for _ in range(columns)]
    return labels, cols


def test_a_narrow_table_stays_portrait_and_a_wide_one_gets_a_landscape_page() -> None:
    assert layout.fit(*_table(4)) == layout.Layout(landscape=False, font_pt=7.5)
    wide = layout.fit(*_table(10))
    assert wide.landscape or wide.font_pt < 7.5
    widest = layout.fit(*_table(40))
    assert widest.landscape and widest.font_pt == min(layout.SIZES_PT)


def test_a_chosen_layout_holds_the_table() -> None:
    for n in range(1, 25):
        labels, cols = _table(n)
        chosen = layout.fit(labels, cols)
        page = layout.LANDSCAPE_MM if chosen.landscape else layout.PORTRAIT_MM
        if not chosen.wrap_labels:
            assert layout.width_mm(labels, cols, chosen.font_pt, False) <= page


# --- labels -----------------------------------------------------------------------------------


def test_every_code_a_publication_meets_has_a_kazakh_and_a_russian_name() -> None:
    codes = {
        "severity": set(SEVERITIES),
        "rule": set(RULES),
        "status": {
            "on_time", "late", "missing", "held_back", "rejected", "superseded",
            "previous_version_current", "corrected_after_due_date",
        },
        "suppression_reason": {"coverage_below_threshold", "complementary"},
        "settlement_type": {"urban", "rural"},
        "ownership": {"state", "private"},
        "source": set(all_contracts()),
    }  # fmt: skip
    for kind, wanted in codes.items():
        for code in wanted:
            kk, ru = LABELS.names[(kind, code)]
            assert kk and ru and kk != code and ru != code, (kind, code)
            assert not KAZAKH_ONLY & set(ru), (kind, code, ru)
    with pytest.raises(MissingLabel):
        LABELS.name("status", "no_such_status", "kk")


def test_labels_of_rules_sheets_and_fields_are_the_catalogue_and_contract_wording() -> None:
    # The seed repeats this wording so the warehouse has it; these must never drift apart.
    for rule in RULES.values():
        assert LABELS.names[("rule", rule.rule_id)] == (rule.message_kk, rule.message_ru)
    for contract in all_contracts().values():
        for sheet in contract.sheets:
            assert LABELS.names[("sheet", sheet.name)] == (sheet.title("kk"), sheet.title("ru"))
            for col in sheet.columns:
                key = ("field", f"{sheet.name}.{col.name}")
                assert LABELS.names[key] == (col.header("kk"), col.header("ru")), key


def test_words_name_a_round_without_its_code() -> None:
    assert LABELS.words("kk").round("2024-autumn", "autumn") == "2024 ж. күзгі жинау кезеңі"
    assert LABELS.words("ru").field("students", "gender") == "Пол"
    assert LABELS.words("kk").code("severity", "quarantine") != "quarantine"


# --- dbt docs ---------------------------------------------------------------------------------


def _documented_columns() -> dict[str, dict[str, dict]]:
    out: dict[str, dict[str, dict]] = {}
    for path in [
        *(DBT_PROJECT_DIR / "models" / "marts").rglob("_*.yml"),
        DBT_PROJECT_DIR / "seeds" / "_seeds.yml",
    ]:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        for node in [*doc.get("models", []), *doc.get("seeds", [])]:
            out[node["name"]] = {c["name"]: c for c in node.get("columns", [])}
    return out


def test_the_docs_open_on_an_overview_in_kazakh_and_russian() -> None:
    overview = (DBT_PROJECT_DIR / "models" / "overview.md").read_text(encoding="utf-8")
    assert "{% docs __overview__ %}" in overview
    assert KAZAKH_ONLY & set(overview) and "хранилище" in overview
    # The indicators themselves are listed where the registry puts them: marts.dim_indicator.
    assert overview.count("marts.dim_indicator") >= 3


def test_every_public_mart_column_is_described_in_three_languages(pipeline_home: Path) -> None:
    documented = _documented_columns()
    with duckdb.connect(str(pipeline_home / "warehouse.duckdb"), read_only=True) as con:
        columns = con.execute(
            "select table_name, column_name from information_schema.columns"
            " where table_schema = 'marts' order by table_name, ordinal_position"
        ).fetchall()
    assert columns
    missing = []
    for table, column in columns:
        entry = documented.get(table, {}).get(column)
        meta = (entry or {}).get("meta") or {}
        if not (
            entry and entry.get("description") and meta.get("label_kk") and meta.get("label_ru")
        ):
            missing.append(f"{table}.{column}")
    assert not missing, f"undocumented mart columns: {missing}"


def test_a_half_rounds_up_as_excel_shows_it() -> None:
    """77 of 80 is 96.25 %: Excel's «0.0%» shows 96.3%, so HTML and PDF must print 96,3 (Python's
    own rounding gave 96,2)."""
    from pipelines.publishing.numbers import percent

    assert text(0.9625, "rate", "ru") == excel_text(0.9625, excel_format("rate"), "ru") == "96,3"
    assert percent(77, 80) == "96,3"
    assert text(-2.5, "int", "ru") == f"{MINUS}3"
