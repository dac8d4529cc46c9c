"""Report-pack pieces that need no warehouse: labels, cell formatting, operator messages."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from pipelines.i18n import MESSAGES, localized, message
from pipelines.publishing.labels import Labels
from pipelines.reports.build import build_packs
from pipelines.reports.html import show
from pipelines.reports.load import WarehouseNotReady
from pipelines.reports.tables import Cell
from pipelines.settings import Home

KAZAKH_ONLY = set("әғқңөұүһі")


LABELS = Labels.from_seed()


def test_every_label_has_kazakh_and_russian() -> None:
    for (kind, code), names in LABELS.names.items():
        assert all(names), f"{kind} {code} has an empty name"


def test_sheet_names_fit_excel() -> None:
    for (kind, code), names in LABELS.names.items():
        if kind == "ui" and code.startswith("sheet_"):
            for name in names:
                assert len(name) <= 31 and not set(name) & set("[]:*?/\\"), name


def test_localized_falls_back_to_the_other_language() -> None:
    row = {"name_kk": "", "name_ru": "Колледж"}
    assert localized(row, "name", "kk") == "Колледж"
    assert localized({"name_kk": "Қала", "name_ru": None}, "name", "ru") == "Қала"


def test_round_label() -> None:
    assert LABELS.words("kk").round("2024-autumn", "autumn") == "2024 ж. күзгі жинау кезеңі"
    assert LABELS.words("ru").round("2025-spring", "spring") == "Весенний период сбора 2025 г."


@pytest.mark.parametrize(
    ("cell", "lang", "shown"),
    [
        (Cell(0.875, "rate"), "ru", "87,5\u00a0%"),
        (Cell(1.0, "rate"), "kk", "100,0\u00a0%"),
        (Cell(-2.5, "pp"), "ru", "\u22122,5\u00a0п.п."),
        (Cell(10.0, "pp"), "kk", "+10,0\u00a0п.т."),
        (Cell(12345, "int"), "ru", "12\u00a0345"),
        (Cell(-3, "delta"), "ru", "\u22123"),
        (Cell(2, "delta"), "ru", "+2"),
        (Cell(None, "rate"), "ru", "–"),
        (Cell(None, "bin"), "ru", ""),
        (Cell(datetime(2024, 10, 4, 23, 59, 59), "datetime"), "kk", "2024-10-04 23:59"),
        (Cell(date(2024, 10, 1), "date"), "kk", "2024-10-01"),
        (Cell("000123456789", "bin"), "kk", "000123456789"),
    ],
)
def test_show(cell: Cell, lang: str, shown: str) -> None:
    assert show(cell, lang) == shown


def test_messages_are_trilingual() -> None:
    for key, entry in MESSAGES.items():
        assert set(entry) == {"kk", "ru", "en"}, key
    text = message("warehouse_missing", path="/x")
    assert "Қойма" in text and "Хранилище" in text and "warehouse" in text


def test_no_warehouse_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(WarehouseNotReady) as err:
        build_packs(Home(tmp_path))
    assert "edustat run" in str(err.value)
    assert KAZAKH_ONLY & set(str(err.value))
    assert not (tmp_path / "reports").exists()


def test_warehouse_without_marts_is_a_clear_error(tmp_path: Path) -> None:
    import duckdb

    duckdb.connect(str(tmp_path / "warehouse.duckdb")).close()
    with pytest.raises(WarehouseNotReady) as err:
        build_packs(Home(tmp_path))
    assert "marts.fct_dq_submission_status" in str(err.value)


def test_labels_used_by_the_kazakh_files_are_kazakh() -> None:
    # The kk pack must read as Kazakh, not as Russian with a kk file name.
    assert KAZAKH_ONLY & set(LABELS.name("ui", "sheet_findings", "kk"))
    assert not KAZAKH_ONLY & set(LABELS.name("ui", "sheet_findings", "ru"))


def test_a_warehouse_held_by_a_run_is_a_clear_error(tmp_path: Path) -> None:
    import subprocess
    import sys

    import duckdb

    db = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(db)).close()
    # Another process holds the writer lock, as `edustat run` does for minutes.
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('ok', flush=True); "
            "sys.stdin.read()",
            str(db),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ok"
        with pytest.raises(WarehouseNotReady) as err:
            build_packs(Home(tmp_path))
        assert "another process" in str(err.value)
    finally:
        holder.communicate("", timeout=30)
