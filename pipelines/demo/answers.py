"""Answer the built packs as regions would, with known defects, and record the ground truth.

`edustat demo-answers` (after `edustat run`): for every round with packs, every region whose
pack lists findings fills in its Kazakh or Russian workbook (reports/dq/<round>/<region>/) and
returns it to landing/responses/<round>/<region>_<round>_v<N>.xlsx: warnings confirmed or
disputed, other findings answered will_correct. Some files carry one defect each (an id no build
issued, another region's finding, a confirmation of a finding only a correction clears, a
response outside the list, an explanation without a response), and some regions send an earlier
version that a later dated one replaces. manifest.json gains `answers`: every answer row's
expected outcome and rule, and the state every finding of those packs must have after the next
build (pipelines/demo/verify.py checks both).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from pipelines.contracts import load_contract, normalise_label
from pipelines.demo.manifest import MANIFEST

CONTRACT = load_contract("dq_response")
SHEET = CONTRACT.sheet("findings")
# A response no list offers (bad_value) and what each defect must produce.
BAD_VALUE = {"kk": "мүмкін", "ru": "возможно"}
DEFECT_RULES = {
    "unknown_finding": "response.unknown_finding",
    "other_region": "response.other_region",
    "needs_correction": "response.needs_correction",
    "bad_value": "domain.allowed_values",
    "no_response": "response.no_response",
}
EXPLANATIONS = {
    "confirmed": {
        "kk": "Мән дұрыс: колледж қабылдауды кеңейтті.",
        "ru": "Значение верно: колледж расширил приём.",
    },
    "disputed": {
        "kk": "Ереже бұл колледжге қолданылмайды.",
        "ru": "Правило к этому колледжу неприменимо.",
    },
    "will_correct": {
        "kk": "Колледж түзетілген тапсырыс жібереді.",
        "ru": "Колледж направит исправленный отчёт.",
    },
}
SIGNER = {"kk": "Әлиева А., бас маман", "ru": "Алиева А., главный специалист"}


@dataclass(frozen=True)
class PackFinding:
    finding_id: str
    severity: str
    row: int  # Excel row in the findings sheet


@dataclass
class Truth:
    rows: list[dict[str, Any]] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)
    states: dict[str, str] = field(default_factory=dict)


def _columns(ws: Worksheet) -> dict[str, int]:
    """Contract column -> 1-based column of the pack's findings sheet (header in row 1)."""
    spellings = SHEET.header_map()
    out = {}
    for cell in ws[1]:
        name = spellings.get(normalise_label(cell.value)) if cell.value else None
        if name:
            out[name] = cell.column
    return out


def _findings_sheet(book: Any, lang: str) -> Worksheet:
    return book[SHEET.title(lang)[:31]]


def _pack_findings(
    ws: Worksheet, columns: dict[str, int], severities: dict[str, str]
) -> list[PackFinding]:
    out: dict[str, PackFinding] = {}
    for r in range(2, ws.max_row + 1):
        fid = ws.cell(r, columns["finding_id"]).value
        # the first row of an id (the same finding in two versions of a submission is one)
        if fid in severities and fid not in out:
            out[str(fid)] = PackFinding(str(fid), severities[str(fid)], r)
    return list(out.values())


def _response_text(code: str, lang: str) -> str:
    """The spelling the pack's drop-down offers (the contract's first spelling per language)."""
    spellings = SHEET.column("response").allowed or {}
    return spellings[code][0 if lang == "kk" else 1]


def _answer(
    ws: Worksheet,
    columns: dict[str, int],
    row: int,
    response: str | None,
    why: str,
    lang: str,
    on: date,
) -> None:
    """Fill one row's answer cells: the response as written, the explanation of `why`."""
    if response is not None:
        ws.cell(row, columns["response"]).value = response
    ws.cell(row, columns["explanation"]).value = EXPLANATIONS[why][lang]
    ws.cell(row, columns["answered_by"]).value = SIGNER[lang]
    ws.cell(row, columns["answered_on"]).value = on


def _valid_choice(f: PackFinding, rng: random.Random) -> str:
    if f.severity == "warning":
        return "disputed" if rng.random() < 0.25 else "confirmed"
    return "will_correct"


def _fill(
    ws: Worksheet,
    columns: dict[str, int],
    findings: list[PackFinding],
    lang: str,
    on: date,
    rng: random.Random,
    defect: str | None,
    foreign: list[PackFinding],
) -> list[tuple[PackFinding, int, str | None, str, str | None]]:
    """Answer about two thirds of the findings; at most one row carries `defect`.
    Returns (finding answered, row, response code or None, outcome, rule)."""
    done: list[tuple[PackFinding, int, str | None, str, str | None]] = []
    chosen = [f for f in findings if rng.random() < 0.67] or findings[:1]
    for i, f in enumerate(chosen):
        code = _valid_choice(f, rng)
        if i == 0 and defect is not None:
            target, response, rule = f, _response_text(code, lang), DEFECT_RULES[defect]
            # `disputed` fits every finding: only the defect itself may reject the row
            if defect == "unknown_finding":
                ws.cell(f.row, columns["finding_id"]).value = "0000" + f.finding_id[4:][::-1]
                response = _response_text("disputed", lang)
            elif defect == "other_region":
                target = foreign[0]
                ws.cell(f.row, columns["finding_id"]).value = target.finding_id
                response = _response_text("disputed", lang)
            elif defect == "needs_correction":
                target = next(g for g in findings if g.severity != "warning")
                if target in chosen[1:]:
                    chosen.remove(target)
                f = PackFinding(target.finding_id, target.severity, target.row)
                response = _response_text("confirmed", lang)
            elif defect == "bad_value":
                response = BAD_VALUE[lang]
            elif defect == "no_response":
                response = None
            _answer(ws, columns, f.row, response, code, lang, on)
            done.append((target, f.row, None, "rejected", rule))
            continue
        _answer(ws, columns, f.row, _response_text(code, lang), code, lang, on)
        done.append((f, f.row, code, "applied", None))
    return done


def _severities(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    rows = con.execute(
        "select finding_id, any_value(severity) from marts.fct_dq_findings "
        "where source <> 'dq_response' group by finding_id"
    ).fetchall()
    return {r[0]: r[1] for r in rows}


def _packs(home: Path) -> list[tuple[str, str, Path]]:
    """(round, region, folder) of every region pack, in order."""
    root = home / "reports" / "dq"
    return [
        (folder.parent.name, folder.name, folder)
        for folder in sorted(root.glob("*/*"))
        if folder.is_dir() and folder.name.isdigit()
    ]


def answer_packs(home: Path, seed: int, today: date | None = None) -> dict[str, Any]:
    """Write the answered packs under home/landing/responses/ and the truth into the manifest."""
    rng = random.Random(seed)
    today = today or date.today()
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        severities = _severities(con)
    packs = _packs(home)
    truth = Truth()
    seen: dict[str, list[PackFinding]] = {}  # round -> every finding listed in its packs
    books = []
    for round_id, region, folder in packs:
        lang = "kk" if int(region) % 2 else "ru"
        book = load_workbook(folder / f"report_{lang}.xlsx")
        ws = _findings_sheet(book, lang)
        columns = _columns(ws)
        findings = _pack_findings(ws, columns, severities)
        seen.setdefault(round_id, []).extend(findings)
        books.append((round_id, region, lang, folder, findings))
    defects = list(DEFECT_RULES)
    answered: set[str] = set()
    for n, (round_id, region, lang, folder, findings) in enumerate(books):
        # a finding answered once only (a passport finding sits in both rounds' packs)
        fresh = [f for f in findings if f.finding_id not in answered]
        for f in findings:
            truth.states.setdefault(f.finding_id, "open")
        if not fresh:
            continue
        foreign = [f for f in seen[round_id] if f not in findings]
        defect = defects[n % len(defects)] if n % 2 == 0 else None
        # a defect only where the pack allows it (another region's finding to name, a finding
        # that is not a warning to confirm)
        if (defect == "other_region" and not foreign) or (
            defect == "needs_correction" and all(f.severity == "warning" for f in fresh)
        ):
            defect = None
        # every third region sends an earlier version first, replaced as a whole by the later
        versions = [1, 2] if n % 3 == 1 else [1]
        for version in versions:
            book = load_workbook(folder / f"report_{lang}.xlsx")
            ws = _findings_sheet(book, lang)
            columns = _columns(ws)
            latest = version == versions[-1]
            on = today if latest else today - timedelta(days=2)
            done = _fill(ws, columns, fresh, lang, on, rng, defect if latest else None, foreign)
            path = f"responses/{round_id}/{region}_{round_id}_v{version}.xlsx"
            target = home / "landing" / path
            target.parent.mkdir(parents=True, exist_ok=True)
            book.save(target)
            truth.files.append({"path": path, "region_code": region, "current": latest})
            for f, row, code, outcome, rule in done:
                truth.rows.append(
                    {
                        "path": path,
                        "row": row,
                        "outcome": outcome if latest else "superseded",
                        "rule": rule if latest else None,
                    }
                )
                if latest and code is not None:
                    truth.states[f.finding_id] = code
                    answered.add(f.finding_id)
    manifest_path = home / MANIFEST
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["answers"] = {
        "files": sorted(truth.files, key=lambda f: f["path"]),
        "rows": sorted(truth.rows, key=lambda r: (r["path"], r["row"])),
        "states": dict(sorted(truth.states.items())),
    }
    text = json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=1)
    manifest_path.write_text(text + "\n", encoding="utf-8")
    return manifest["answers"]
