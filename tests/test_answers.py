"""Correct or confirm: the regions answer their findings in the pack, and the answers flow back.

On a copy of the sample home: the generator answers the built packs (with defective answers and
a superseded earlier version), `edustat run` ingests them; then one more build after a file is
withdrawn. Everything is checked against the generator's manifest (pipelines/demo/verify.py) and
in the workbooks as a region opens them.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest
from conftest import edustat
from openpyxl import load_workbook

from pipelines.contracts import load_contract
from pipelines.demo.answers import DEFECT_RULES
from pipelines.demo.verify import verify
from pipelines.publishing.labels import Labels

SHEET = load_contract("dq_response").sheet("findings")


def _rows(home: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def _manifest(home: Path) -> dict[str, Any]:
    return json.loads((home / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def answered_home(pipeline_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("answered") / "home"
    shutil.copytree(pipeline_home, home, symlinks=True)
    edustat("demo-answers", "--home", str(home), "--seed", "3", home=home)
    edustat("run", "--quiet", home=home, via="warehouse_only")
    return home


def test_the_pack_is_an_answer_form(pipeline_home: Path) -> None:
    pack = next(p for p in sorted((pipeline_home / "reports" / "dq").glob("*/[0-9]*")))
    for lang in ("kk", "ru"):
        book = load_workbook(pack / f"report_{lang}.xlsx")
        ws = book[SHEET.title(lang)]
        header = [c.value for c in ws[1]]
        answer_headers = [SHEET.column(n).header(lang) for n in ("response", "explanation")]
        assert SHEET.column("finding_id").header(lang) == header[0]
        assert all(h in header for h in answer_headers), header
        assert ws.protection.sheet, "only the answer cells may change"
        if ws.max_row < 2:
            continue
        response_col = header.index(answer_headers[0]) + 1
        assert not ws.cell(2, response_col).protection.locked
        assert ws.cell(2, 1).protection.locked and ws.cell(2, 2).protection.locked
        lists = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
        assert len(lists) == 1
        offered = lists[0].formula1.strip('"').split(",")
        spellings = SHEET.column("response").allowed or {}
        assert sorted(offered) == sorted(s[0 if lang == "kk" else 1] for s in spellings.values())


def test_states_and_answer_outcomes_equal_the_manifest(answered_home: Path) -> None:
    answers = _manifest(answered_home)["answers"]
    rows = answers["rows"]
    # the sample exercises every kind of answer and of defect
    assert {r["rule"] for r in rows if r["rule"]} == set(DEFECT_RULES.values())
    assert {"applied", "superseded", "rejected"} <= {r["outcome"] for r in rows}
    assert {"confirmed", "will_correct", "disputed", "open"} <= set(answers["states"].values())
    assert verify(answered_home) == 0


def test_nothing_is_lost(answered_home: Path) -> None:
    raw = _rows(
        answered_home,
        "select _file_id, _row_number from raw.dq_responses "
        "where response is not null or explanation is not null",
    )
    out = _rows(
        answered_home,
        "select file_id, row_number, outcome, reason_kk, reason_ru"
        " from marts.fct_dq_finding_answers",
    )
    assert raw and sorted(raw) == sorted((r[0], r[1]) for r in out)
    for _, _, outcome, kk, ru in out:
        assert outcome in ("applied", "superseded", "rejected")
        assert (kk is None and ru is None) == (outcome == "applied")


def test_a_defective_answer_file_gets_findings_in_its_regions_pack(answered_home: Path) -> None:
    found = _rows(
        answered_home,
        "select rule_id, region_code, file_path, severity, message_kk, message_ru "
        "from marts.fct_dq_findings where source = 'dq_response'",
    )
    assert {r[0] for r in found} == set(DEFECT_RULES.values())
    for rule, region, path, severity, kk, ru in found:
        assert path.split("/")[-1].startswith(f"{region}_"), (rule, path)
        assert severity == "quarantine" and kk and ru
    rule, region, path = found[0][:3]
    round_id = path.split("/")[1]
    book = load_workbook(answered_home / "reports" / "dq" / round_id / region / "report_ru.xlsx")
    listed = [c.value for c in book[SHEET.title("ru")]["D"]]
    assert path in listed


def test_a_regions_answers_never_change_another_regions_findings(answered_home: Path) -> None:
    applied = _rows(
        answered_home,
        "select f.finding_id, f.region_code, f.answer_file_path from marts.fct_dq_findings f "
        "where f.state <> 'open'",
    )
    assert applied
    for finding_id, region, path in applied:
        assert path.split("/")[-1].startswith(f"{region}_"), (finding_id, region, path)
    # the other region's finding a region answered keeps the state its own region gave it
    foreign = _rows(
        answered_home,
        "select a.finding_id, f.state from marts.fct_dq_finding_answers a "
        "join marts.fct_dq_findings f using (finding_id) "
        "where a.reason_rule_ids = 'response.other_region'",
    )
    states = _manifest(answered_home)["answers"]["states"]
    assert foreign and all(state == states[fid] for fid, state in foreign)


def test_confirmed_stays_confirmed_and_a_withdrawn_finding_is_corrected(
    answered_home: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    shutil.copytree(answered_home, home, symlinks=True)
    states = _manifest(home)["answers"]["states"]
    # A will_correct finding whose submission is the college's only file in the round: the
    # college withdraws the file, so the next build no longer raises the finding.
    candidates = _rows(
        home,
        "select f.finding_id, f.file_path from marts.fct_dq_findings f "
        "where f.state = 'will_correct' and f.source = 'nobd_submission' and not exists ("
        "  select 1 from raw.landing_files o where o.source = f.source "
        "  and o.college_bin = f.college_bin and o.partition_key = f.round_id "
        "  and o.path <> f.file_path)",
    )
    assert candidates
    withdrawn, path = candidates[0]
    (home / "landing" / path).unlink()
    edustat("run", "--quiet", home=home, via="warehouse_only")

    current = dict(_rows(home, "select distinct finding_id, state from marts.fct_dq_findings"))
    confirmed = [fid for fid, s in states.items() if s == "confirmed"]
    assert confirmed and all(current[fid] == "confirmed" for fid in confirmed)
    assert withdrawn not in current
    history = _rows(
        home,
        "select state, response, is_current from marts.fct_dq_finding_history where finding_id = ?",
        [withdrawn],
    )
    assert history == [("corrected", "will_correct", False)]
    # the next packs list open findings first, then the answered ones with their answers
    words = Labels.from_seed().words("kk")
    labels = {s: words.code("finding_state", s) for s in ("open", "confirmed")}
    seen: set[str] = set()
    for pack in sorted((home / "reports" / "dq").glob("*/[0-9]*")):
        ws = load_workbook(pack / "report_kk.xlsx")[SHEET.title("kk")]
        header = [c.value for c in ws[1]]
        state = header.index(words.ui("state"))
        shown = [r[state] for r in ws.iter_rows(min_row=2, values_only=True) if r[0] and r[state]]
        answered = [i for i, s in enumerate(shown) if s != labels["open"]]
        assert not answered or labels["open"] not in shown[answered[0] :], pack
        seen.update(shown)
    assert set(labels.values()) <= seen
