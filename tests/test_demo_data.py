"""`edustat demo-data`: determinism, manifest completeness and consistency with the acceptance
policy, and that the injected defects (and only those) are in the files. Files are read back here
with openpyxl/csv and the contracts' header spellings, independently of the ingest code."""

from __future__ import annotations

import csv
import hashlib
import json
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import typer
from typer.testing import CliRunner

from pipelines import reference
from pipelines.cli.demo_data import register
from pipelines.cli.home_check import HOME_MARKER
from pipelines.contracts import load_contract, normalise_label
from pipelines.demo.inject import check_injection_values
from pipelines.demo.plan import NOT_INJECTED
from pipelines.demo.spellings import check_spellings
from pipelines.identifiers import is_valid
from pipelines.indicators import load_registry
from pipelines.quality.rules import DEFECTIVE_ROWS_SHARE, IMPLAUSIBLE_FACTOR, RULES, severity

ARGS = ["--scale", "30", "--years", "2023-2024", "--seed", "7"]
NOBD = "nobd_submission"
IDENTIFIER_RULES = {"identifiers.iin_checksum", "identifiers.bin_checksum"}


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.callback()
    def _root() -> None:  # a callback keeps `demo-data` a named subcommand
        """test app"""

    return app


def _run(out: Path, *extra: str) -> Any:
    result = CliRunner().invoke(_app(), ["demo-data", "--out", str(out), *ARGS, *extra])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result


def _tree_hashes(root: Path) -> dict[str, str]:
    """Every generated file (the home marker records when the home was made, not data)."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != HOME_MARKER
    }


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    _run(out)
    return out


@pytest.fixture(scope="module")
def manifest(generated: Path) -> dict[str, Any]:
    return json.loads((generated / "manifest.json").read_text(encoding="utf-8"))


# --- reading files back ----------------------------------------------------------------------

Rows = dict[str, list[tuple[int, dict[str, Any]]]]  # sheet -> [(row number, column -> value)]


def _sheet_named(source: str, title: str) -> str | None:
    for sheet in load_contract(source).sheets:
        if normalise_label(title) in sheet.spellings():
            return sheet.name
    return None


def _columns(source: str, sheet: str, headers: list[Any]) -> list[str | None]:
    mapping = load_contract(source).sheet(sheet).header_map()
    return [mapping.get(normalise_label(h)) if h is not None else None for h in headers]


def read_xlsx(path: Path, source: str) -> Rows:
    out: Rows = {}
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    for ws in wb.worksheets:
        sheet = _sheet_named(source, ws.title)
        assert sheet, f"{path.name}: unknown sheet {ws.title!r}"
        rows = list(ws.iter_rows(values_only=True))
        cols = _columns(source, sheet, list(rows[0]))
        out[sheet] = [
            (n, {c: v for c, v in zip(cols, r, strict=False) if c})
            for n, r in enumerate(rows[1:], 2)
        ]
    wb.close()
    return out


def read_csv(path: Path, source: str) -> Rows:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("cp1251")
    out: Rows = {}
    sheet, cols, sep = None, None, ","
    for n, line in enumerate(text.splitlines(), 1):
        if line.startswith("#"):
            sheet, cols = _sheet_named(source, line[1:]), None
            assert sheet, f"{path.name}: unknown section {line!r}"
            out[sheet] = []
            continue
        assert sheet is not None
        if cols is None:
            sep = ";" if line.count(";") > line.count(",") else ","
            cols = _columns(source, sheet, next(csv.reader([line], delimiter=sep)))
            continue
        values = next(csv.reader([line], delimiter=sep))
        out[sheet].append((n, {c: (v or None) for c, v in zip(cols, values, strict=True) if c}))
    return out


def read_landing(generated: Path, entry: dict[str, Any]) -> Rows:
    path = generated / "landing" / entry["path"]
    return (
        read_xlsx(path, entry["source"])
        if path.suffix == ".xlsx"
        else read_csv(path, entry["source"])
    )


@pytest.fixture(scope="module")
def readable(generated: Path, manifest: dict[str, Any]) -> list[tuple[dict[str, Any], Rows]]:
    """Every file that is not rejected, with its rows."""
    return [(f, read_landing(generated, f)) for f in manifest["files"] if f["fate"] != "rejected"]


def _flagged(entry: dict[str, Any], rules: set[str]) -> set[tuple[str, int, str]]:
    return {(d["sheet"], d["row"], d["field"]) for d in entry["defects"] if d["rule"] in rules}


# --- determinism and completeness ------------------------------------------------------------


def test_same_seed_gives_identical_trees(generated: Path, tmp_path: Path) -> None:
    _run(tmp_path)
    assert _tree_hashes(tmp_path) == _tree_hashes(generated)


def test_every_landing_file_is_in_the_manifest_and_vice_versa(
    generated: Path, manifest: dict[str, Any]
) -> None:
    on_disk = {
        str(p.relative_to(generated / "landing"))
        for p in (generated / "landing").rglob("*")
        if p.is_file()
    }
    listed = [f["path"] for f in manifest["files"]]
    assert len(listed) == len(set(listed))
    assert on_disk == set(listed)
    for f in manifest["files"]:
        assert (generated / "landing" / f["path"]).stat().st_size == f["size_bytes"]


def test_manifest_shape(manifest: dict[str, Any]) -> None:
    assert {"files", "submissions", "indicators", "iins"} <= set(manifest)
    for f in manifest["files"]:
        assert {"path", "source", "round_id", "year", "college_bin", "fate", "defects"} <= set(f)
        assert f["fate"] in {"loaded", "held_back", "rejected", "superseded"}
        for d in f["defects"]:
            assert set(d) == {"rule", "severity", "sheet", "row", "field"}
            assert severity(d["rule"], f["source"], d["sheet"]) == d["severity"]
        for q in f["quarantined_rows"]:
            assert set(q) == {"sheet", "row"} and q["row"] >= 2
        if f["source"] == "nobd_submission":
            assert f["round_id"] and f["college_bin"] and f["year"] is None
        else:
            assert f["year"] and f["round_id"] is None and f["college_bin"] is None
    assert manifest["iins"] == sorted(set(manifest["iins"]))
    for s in manifest["submissions"]:
        assert s["status"] in {"on_time", "late", "missing"}
        assert isinstance(s["previous_version_current"], bool)
        assert isinstance(s["corrected_after_due_date"], bool)


def test_every_rule_of_the_catalogue_is_injected(manifest: dict[str, Any]) -> None:
    seen = {d["rule"] for f in manifest["files"] for d in f["defects"]}
    assert seen == set(RULES) - NOT_INJECTED
    severities = {d["severity"] for f in manifest["files"] for d in f["defects"]}
    assert severities == {"reject", "hold", "quarantine", "warning"}


def _severities(entry: dict[str, Any]) -> set[str]:
    return {d["severity"] for d in entry["defects"]}


def test_fates_follow_the_defects(manifest: dict[str, Any]) -> None:
    fates = Counter(f["fate"] for f in manifest["files"])
    assert min(fates.values()) > 0 and len(fates) == 4
    for f in manifest["files"]:
        assert (f["fate"] == "rejected") == ("reject" in _severities(f)), f
        if f["fate"] == "loaded":
            assert not _severities(f) & {"reject", "hold"}, f
        if f["fate"] == "held_back":
            assert "hold" in _severities(f), f
        if f["fate"] == "superseded":
            assert not f["defects"] and not f["quarantined_rows"], f  # findings not reported
    # A quarantined row on a loaded file, warnings on loaded files: the file still counts.
    loaded = [f for f in manifest["files"] if f["fate"] == "loaded"]
    assert any(f["quarantined_rows"] for f in loaded)
    assert any(_severities(f) == {"warning"} for f in loaded)


def _versions(manifest: dict[str, Any]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """(round, college of the file name) -> its NOBD files, oldest signature first."""
    out: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for f in manifest["files"]:
        if f["source"] == NOBD:
            out[(f["round_id"], f["college_bin"])].append(f)
            assert f["path"].split("/")[-1].startswith(f"{f['college_bin']}_{f['round_id']}_v")
    for fs in out.values():
        fs.sort(key=lambda f: (f["signed_at"] or "", f["version"]))
    return out


def test_currency_among_versions(manifest: dict[str, Any]) -> None:
    """The latest acceptable version is loaded, later held ones held back, the rest superseded;
    without an acceptable version the latest is held back."""
    seen = Counter()
    for fs in _versions(manifest).values():
        readable = [f for f in fs if f["fate"] != "rejected"]
        acceptable = [i for i, f in enumerate(readable) if "hold" not in _severities(f)]
        last = acceptable[-1] if acceptable else len(readable) - 1
        for i, f in enumerate(readable):
            want = "superseded" if i < last else "held_back" if i > last else "loaded"
            if not acceptable and i == last:
                want = "held_back"
            assert f["fate"] == want, (f["path"], want)
        if len(readable) > 1:
            seen[tuple(f["fate"] for f in readable)] += 1
    # a held resubmission (v1 stays current) and a correction (v1 superseded) both occur
    assert seen[("loaded", "held_back")] and seen[("superseded", "loaded")], seen


def test_quarantined_rows_are_those_of_quarantine_findings(manifest: dict[str, Any]) -> None:
    for f in manifest["files"]:
        expected = {(d["sheet"], d["row"]) for d in f["defects"] if d["severity"] == "quarantine"}
        got = [(q["sheet"], q["row"]) for q in f["quarantined_rows"]]
        assert len(got) == len(set(got)) and set(got) == expected, f["path"]
        assert None not in {row for _, row in got}


# --- identifiers -----------------------------------------------------------------------------

_ID_FIELDS = {
    "nobd_submission": [
        ("header", "college_bin"),
        ("students", "iin"),
        ("students", "enterprise_bin"),
    ],
    "college_passport": [("colleges", "college_bin")],
    "worldskills_export": [("results", "competitor_iin"), ("results", "college_bin")],
}


def test_identifiers_are_valid_unless_listed(readable: list[tuple[dict[str, Any], Rows]]) -> None:
    checked = 0
    for entry, rows in readable:
        listed = _flagged(entry, IDENTIFIER_RULES)
        for sheet, field in _ID_FIELDS[entry["source"]]:
            for n, values in rows.get(sheet, []):
                value = values.get(field)
                if value is None:
                    continue
                checked += 1
                assert isinstance(value, str) and len(value) == 12, (entry["path"], n, field)
                assert is_valid(value) != ((sheet, n, field) in listed), (entry["path"], n, field)
    assert checked > 1000


def test_manifest_iins_are_exactly_those_written(
    readable: list[tuple[dict[str, Any], Rows]], manifest: dict[str, Any]
) -> None:
    written = set()
    for _entry, rows in readable:
        for sheet, field in (("students", "iin"), ("results", "competitor_iin")):
            written |= {v[field] for _, v in rows.get(sheet, []) if v.get(field)}
    iins = set(manifest["iins"])
    assert written <= iins
    # The rest are IINs of rejected files (written, though unreadable).
    assert len(iins - written) < 0.2 * len(iins)
    bins = {
        v[field]
        for _entry, rows in readable
        for sheet, field in (
            ("header", "college_bin"),
            ("students", "enterprise_bin"),
            ("colleges", "college_bin"),
        )
        for _, v in rows.get(sheet, [])
        if v.get(field)
    }
    assert not bins & iins


def test_students_are_unique_except_listed_duplicates(
    readable: list[tuple[dict[str, Any], Rows]],
) -> None:
    """Within a file only the repeat of a student is listed; across colleges (of the file name:
    versions of one college share their students) every file involved is."""
    in_round: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    listed_across: dict[str, set[str]] = defaultdict(set)
    for entry, rows in readable:
        if entry["source"] != NOBD or entry["fate"] == "superseded":
            continue
        dup_in = _flagged(entry, {"logic.duplicate_student_in_submission"})
        seen: set[str] = set()
        for n, v in rows["students"]:
            assert (v["iin"] in seen) == (("students", n, "iin") in dup_in), (entry["path"], n)
            seen.add(v["iin"])
            in_round[entry["round_id"]][v["iin"]].add(entry["college_bin"])
        if _flagged(entry, {"logic.duplicate_student_across_colleges"}):
            listed_across[entry["round_id"]].add(entry["college_bin"])
    for round_id, iins in in_round.items():
        shared = {b for bins in iins.values() if len(bins) > 1 for b in bins}
        assert shared == listed_across[round_id], round_id


# --- hold findings against the files ----------------------------------------------------------


def _identity(entry: dict[str, Any], rows: Rows) -> set[str]:
    """identity.* rules the written file breaks (header's first row against name and folder)."""
    header = [v for _, v in rows["header"]]
    folder_round = entry["path"].split("/")[1]
    broken = set()
    if len(header) > 1:
        broken.add("identity.header_rows")
    if header[0]["college_bin"] != entry["college_bin"]:
        broken.add("identity.bin_mismatch")
    if len({header[0]["round_id"], entry["round_id"], folder_round}) > 1:
        broken.add("identity.round_mismatch")
    return broken


def _defective_sheets(entry: dict[str, Any], rows: Rows) -> set[str]:
    per_sheet = Counter(q["sheet"] for q in entry["quarantined_rows"])
    return {
        sheet
        for sheet, n in per_sheet.items()
        if n > 1 and n > DEFECTIVE_ROWS_SHARE * len(rows[sheet])
    }


def test_hold_findings_match_the_files(readable: list[tuple[dict[str, Any], Rows]]) -> None:
    capacity = {
        (e["year"], v["college_bin"]): int(v["capacity"])
        for e, rows in readable
        if e["source"] == "college_passport"
        for _, v in rows["colleges"]
    }
    headcount = {
        (e["round_id"], e["college_bin"]): len(rows["students"])
        for e, rows in readable
        if e["source"] == NOBD and e["fate"] == "loaded"
    }
    held = Counter()
    for entry, rows in readable:
        if entry["source"] != NOBD or entry["fate"] == "superseded":
            continue
        rules = {d["rule"] for d in entry["defects"]}
        assert {r for r in rules if r.startswith("identity.")} == _identity(entry, rows), entry
        defective = {
            d["sheet"] for d in entry["defects"] if d["rule"] == "submission.defective_rows"
        }
        assert defective == _defective_sheets(entry, rows), entry["path"]
        rnd = reference.calendar()[entry["round_id"]]
        previous = reference.previous_round(entry["round_id"])
        limits = [
            capacity.get((rnd.year, entry["college_bin"])),
            headcount.get((previous.round_id, entry["college_bin"])) if previous else None,
        ]
        implausible = any(c and len(rows["students"]) > IMPLAUSIBLE_FACTOR * c for c in limits)
        assert implausible == ("cross.contingent_implausible" in rules), entry["path"]
        if entry["fate"] == "held_back":
            held.update(r for r in rules if RULES[r].severity == "hold")
    assert set(held) >= {r for r in RULES if RULES[r].severity == "hold"}, held


def test_indicators_count_only_rows_that_are_not_quarantined(
    readable: list[tuple[dict[str, Any], Rows]], manifest: dict[str, Any]
) -> None:
    """The national figure of every round measure that counts or sums all rows of a sheet (no
    `where`), from the accepted files' rows as written, quarantined rows left out."""
    measures = {
        column: counts
        for column, counts in load_registry().measures("round").items()
        if not counts.where and not counts.any
    }
    assert measures
    sums: dict[tuple[str, str], int] = defaultdict(int)
    for entry, rows in readable:
        if entry["source"] != NOBD or entry["fate"] != "loaded":
            continue
        left_out = {(q["sheet"], q["row"]) for q in entry["quarantined_rows"]}
        for column, counts in measures.items():
            kept = [v for n, v in rows[counts.sheet] if (counts.sheet, n) not in left_out]
            total = sum(int(v[counts.sum]) for v in kept) if counts.sum else len(kept)
            sums[(column, entry["round_id"])] += total
    assert any(f["quarantined_rows"] for f in manifest["files"] if f["fate"] == "loaded")
    national = {
        (r["indicator_id"], r["period"]): r
        for r in manifest["indicators"]
        if r["level"] == "national"
    }
    checked = 0
    for ind in load_registry().indicators:
        for part in ("numerator", "denominator"):
            column = getattr(ind, part).column
            for (column_, round_id), total in sums.items():
                if column_ == column:
                    assert national[(ind.id, round_id)][part] == total, (ind.id, part, round_id)
                    checked += 1
    assert checked


# --- rows named by the manifest really hold the defect -----------------------------------------


def _age(birth: Any, on: date) -> int:
    b = birth.date() if isinstance(birth, datetime) else _parse_date(birth)
    return on.year - b.year - ((on.month, on.day) < (b.month, b.day))


def _parse_date(text: str) -> date:
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            pass
    raise ValueError(text)


def test_defect_rows_point_at_the_defect(readable: list[tuple[dict[str, Any], Rows]]) -> None:
    checks = Counter()
    for entry, rows in readable:
        cells = {(s, n): v for s, rs in rows.items() for n, v in rs}
        ref = reference.calendar()[entry["round_id"]].reference_date if entry["round_id"] else None
        for d in entry["defects"]:
            if d["row"] is None:
                continue
            value = cells[(d["sheet"], d["row"])]
            if d["rule"] == "logic.age_implausible":
                assert ref and not 14 <= _age(value["birth_date"], ref) <= 60
            elif d["rule"] == "logic.kazakh_copies_exceed_total":
                assert int(value["copies_kk"]) > int(value["copies_total"])
            elif d["rule"] == "domain.required_value":
                assert value.get(d["field"]) is None
            elif d["rule"] == "identifiers.unknown_region":
                assert reference.resolve_region(value["region"]) is None
            elif d["rule"] == "identifiers.unknown_specialty":
                assert value["specialty_code"] not in reference.specialties()
            elif d["rule"] == "logic.dual_without_enterprise":
                assert value.get("enterprise_bin") is None
            elif d["rule"] == "cross.ws_college_not_in_register":
                assert len(value["college_bin"]) == 12
            checks[d["rule"]] += 1
    assert checks["logic.age_implausible"] and checks["identifiers.unknown_region"]


def test_clean_values_are_plausible(readable: list[tuple[dict[str, Any], Rows]]) -> None:
    """Ages 15–25 and known regions/specialties wherever no defect is listed."""
    for entry, rows in readable:
        if entry["source"] != "nobd_submission":
            continue
        ref = reference.calendar()[entry["round_id"]].reference_date
        flagged = {(d["sheet"], d["row"]) for d in entry["defects"]}
        header = rows["header"][0][1]
        if ("header", 2) not in flagged and ("header", rows["header"][0][0]) not in flagged:
            assert reference.resolve_region(header["region"]), (entry["path"], header["region"])
        for n, v in rows["students"]:
            if ("students", n) in flagged:
                continue
            assert 15 <= _age(v["birth_date"], ref) <= 25, (entry["path"], n)
            assert v["specialty_code"] in reference.specialties()
            assert v["qualification_code"] in reference.qualifications()


# --- timeliness and indicators ---------------------------------------------------------------


def test_statuses_are_plausible(manifest: dict[str, Any]) -> None:
    per_round: dict[str, Counter[str]] = defaultdict(Counter)
    for s in manifest["submissions"]:
        per_round[s["round_id"]][s["status"]] += 1
    assert sorted(per_round) == sorted(manifest["rounds"])
    for round_id, c in per_round.items():
        total = sum(c.values())
        assert c["late"] >= 1 and c["missing"] >= 1, round_id
        assert c["on_time"] / total > 0.6, (round_id, c)
    keys = [(s["round_id"], s["college_bin"]) for s in manifest["submissions"]]
    assert len(keys) == len(set(keys))


def test_timeliness_follows_the_first_acceptable_version(manifest: dict[str, Any]) -> None:
    versions = _versions(manifest)
    flags = Counter()
    for s in manifest["submissions"]:
        fs = versions.get((s["round_id"], s["college_bin"]), [])
        acceptable = [f for f in fs if f["fate"] != "rejected" and "hold" not in _severities(f)]
        current = [f for f in fs if f["fate"] == "loaded"]
        assert (s["status"] == "missing") == (not acceptable), s
        if not current:
            assert not s["previous_version_current"] and not s["corrected_after_due_date"], s
            continue
        deadline = reference.calendar()[s["round_id"]].deadline(
            reference.extension_days(s["round_id"], s["region_code"], s["college_bin"])
        )
        first = datetime.fromisoformat(acceptable[0]["signed_at"])
        assert s["status"] == ("on_time" if first <= deadline else "late"), s
        held_later = any(f["fate"] == "held_back" for f in fs)
        assert s["previous_version_current"] == held_later, s
        corrected = current[0] is not acceptable[0]
        signed = datetime.fromisoformat(current[0]["signed_at"])
        assert s["corrected_after_due_date"] == (corrected and signed > deadline), s
        flags[(s["status"], s["previous_version_current"], s["corrected_after_due_date"])] += 1
    assert flags[("on_time", True, False)] and flags[("on_time", False, True)], flags


def test_an_extension_turns_a_late_signature_into_on_time(manifest: dict[str, Any]) -> None:
    files = {
        (f["college_bin"], f["round_id"]): f
        for f in manifest["files"]
        if f["source"] == "nobd_submission" and f["fate"] == "loaded"
    }
    saved = 0
    for s in manifest["submissions"]:
        if s["status"] != "on_time" or s["corrected_after_due_date"]:
            continue
        rnd = reference.calendar()[s["round_id"]]
        signed = datetime.fromisoformat(files[(s["college_bin"], s["round_id"])]["signed_at"])
        if signed > rnd.deadline():
            assert reference.extension_days(s["round_id"], s["region_code"], s["college_bin"]) > 0
            saved += 1
    assert saved >= 1


def test_indicators_cover_every_period_and_region(manifest: dict[str, Any]) -> None:
    rows = manifest["indicators"]
    assert all(0 <= r["numerator"] <= r["denominator"] for r in rows)
    expected_regions: dict[str, set[str]] = defaultdict(set)
    for s in manifest["submissions"]:
        expected_regions[s["round_id"]].add(s["region_code"])
    registry = load_registry()
    for indicator in (i.id for i in registry.indicators if i.grain == "round"):
        for round_id, regions in expected_regions.items():
            got = {
                r["region_code"]
                for r in rows
                if r["indicator_id"] == indicator and r["period"] == round_id
            }
            assert got == regions | {None}, (indicator, round_id)
    for indicator in (i.id for i in registry.indicators if i.grain == "academic_year"):
        years = {r["period"] for r in rows if r["indicator_id"] == indicator}
        assert years == {"2023-2024", "2024-2025"}, indicator
    national = [r for r in rows if r["level"] == "national"]
    for r in national:
        regional = [
            x
            for x in rows
            if x["level"] == "region"
            and x["indicator_id"] == r["indicator_id"]
            and x["period"] == r["period"]
        ]
        assert sum(x["numerator"] for x in regional) == r["numerator"]
        assert sum(x["denominator"] for x in regional) == r["denominator"]


def test_verify_reads_every_comparison_from_the_manifest(manifest: dict[str, Any]) -> None:
    """Each comparison of pipelines.demo.verify has manifest keys as wide as its query's key."""
    from pipelines.demo import verify

    expected = verify._from_manifest(manifest)
    assert set(expected) == set(verify._QUERIES)
    for name, rows in expected.items():
        assert rows, name
        assert {len(k) for k in rows} == {verify._KEY_WIDTH[name]}, name


# --- formats and spellings -------------------------------------------------------------------


def test_file_formats_and_region_spellings(generated: Path, manifest: dict[str, Any]) -> None:
    formats = Counter(f["format"] for f in manifest["files"] if f["source"] == "nobd_submission")
    assert {"xlsx", "csv-cp1251-semicolon", "csv-utf8-comma"} <= set(formats)
    cp1251 = next(
        f
        for f in manifest["files"]
        if f["format"] == "csv-cp1251-semicolon" and f["fate"] == "loaded"
    )
    raw = (generated / "landing" / cp1251["path"]).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = raw.decode("cp1251")
    assert text.startswith("#Заголовок\r\n") and ";" in text
    spellings = set()
    for f in manifest["files"]:
        if f["source"] == "nobd_submission" and f["fate"] == "loaded":
            spellings.add(read_landing(generated, f)["header"][0][1]["region"])
    assert {"ШҚО", "г. Астана", "Туркестанская*"} <= spellings


def test_spelling_tables_match_the_contracts() -> None:
    assert check_spellings() == []
    assert check_injection_values() == []


# --- CLI behaviour ---------------------------------------------------------------------------


def test_skip_if_present_and_refusal_to_overwrite(generated: Path) -> None:
    before = (generated / "manifest.json").stat().st_mtime_ns
    result = CliRunner().invoke(_app(), ["demo-data", "--out", str(generated), "--skip-if-present"])
    assert result.exit_code == 0 and "skipped" in result.output
    refused = CliRunner().invoke(_app(), ["demo-data", "--out", str(generated), *ARGS])
    assert refused.exit_code != 0
    assert (generated / "manifest.json").stat().st_mtime_ns == before


def test_bad_options_are_explained(tmp_path: Path) -> None:
    for args in (["--scale", "huge"], ["--years", "2024-2022"], ["--years", "20x"]):
        result = CliRunner().invoke(_app(), ["demo-data", "--out", str(tmp_path), *args])
        assert result.exit_code != 0
    assert not (tmp_path / "manifest.json").exists()


def test_reference_loader() -> None:
    assert len(reference.regions()) == 20
    assert reference.region_on("10", date(2022, 4, 1)) == "63"
    assert reference.region_on("10", date(2022, 10, 1)) == "10"
    assert reference.resolve_region("Туркестанская*") == "61"
    rounds = reference.rounds_of_years(2023, 2024)
    assert [r.round_id for r in rounds] == [
        "2023-autumn",
        "2024-spring",
        "2024-autumn",
        "2025-spring",
    ]
    assert rounds[0].deadline() == datetime(2023, 10, 4, 23, 59, 59)
    assert rounds[0].deadline(5) - rounds[0].deadline() == timedelta(days=5)
    assert reference.previous_round("2024-autumn").round_id == "2024-spring"
    df = reference.load("calendar")
    assert df["reference_date"].dtype.is_temporal() and df["grace_days"].dtype.is_integer()


def test_championships_cover_every_level_and_stream(
    readable: list[tuple[dict[str, Any], Rows]],
) -> None:
    contract = load_contract("worldskills_export").sheet("results")
    level = contract.column("level").value_spellings()
    stream = contract.column("stream").value_spellings()
    for entry, rows in readable:
        if not entry["path"].split("/")[-1].startswith("cis_championships"):
            continue
        pairs = {
            (level[normalise_label(v["level"])], stream[normalise_label(v["stream"])])
            for _, v in rows["results"]
        }
        assert len(pairs) == 16, entry["path"]
        republican = Counter(
            v["region"]
            for _, v in rows["results"]
            if level[normalise_label(v["level"])] == "republican"
            and stream[normalise_label(v["stream"])] == "worldskills"
        )
        assert all(5 <= n <= 30 for n in republican.values()), republican


def test_before_the_2022_split_new_regions_are_written_as_their_parents(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        _app(), ["demo-data", "--out", str(tmp_path), "--scale", "20", "--years", "2021-2022"]
    )
    assert result.exit_code == 0, result.output
    m = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    today = {c["college_bin"]: c["region_code"] for c in m["colleges"]}
    split = {"10": "63", "33": "19", "62": "35"}
    seen = set()
    for s in m["submissions"]:
        before = reference.calendar()[s["round_id"]].reference_date < date(2022, 6, 8)
        new = today[s["college_bin"]]
        if new in split:
            assert s["region_code"] == (split[new] if before else new), s
            seen.add(before)
    for f in m["files"]:
        unknown = any(d["rule"] == "identifiers.unknown_region" for d in f["defects"])
        if f["source"] == NOBD and f["fate"] == "loaded" and not unknown:
            header = read_landing(tmp_path, f)["header"][0][1]
            region = next(
                s["region_code"]
                for s in m["submissions"]
                if s["college_bin"] == f["college_bin"] and s["round_id"] == f["round_id"]
            )
            assert reference.resolve_region(header["region"]) == region, (
                f["path"],
                header["region"],
            )
    assert seen == {True, False}
