"""Privacy on the real pipeline: IINs typed into every kind of place end nowhere raw, and
`edustat rekey` gives every person one new pseudonym.

The IINs are typed into a fresh copy of the session's sample (conftest.SAMPLE_ARGS: the
generator's output is the same for the same arguments), so this run does not wait for the
session's `pipeline_home`; the re-key starts from a copy of `pipeline_home`, warehouse included.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest
from chaos.book import Book
from chaos.sample import Sample
from conftest import SAMPLE_ARGS, edustat, iins_in_text_columns

from pipelines.demo.ids import IdFactory
from pipelines.identifiers import IIN_MASK, is_iin_shaped
from pipelines.ingest.pseudonym_key import fingerprint

_TWELVE_DIGITS = re.compile(rb"(?=(\d{12}))")


def _edustat(
    home: Path, *args: str, key_file: Path | None = None
) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("edustat")
    env = {**os.environ, "EDUSTAT_HOME": str(home)}
    env.pop("DAGSTER_HOME", None)
    if key_file is not None:
        env["EDUSTAT_PSEUDONYM_KEY_FILE"] = str(key_file)
    return subprocess.run(
        [str(exe), *args], env=env, capture_output=True, text=True, timeout=1800, check=False
    )


def _own_key(tmp: Path) -> Path:
    """A copy of the tests' shared key for a test that changes the key."""
    src = Path(os.environ["EDUSTAT_PSEUDONYM_KEY_FILE"])
    dst = tmp / "own.pseudonym.key"
    shutil.copy2(src, dst)
    dst.chmod(0o600)
    return dst


# --- IINs typed everywhere ------------------------------------------------------------------


def _fresh_iins(n: int) -> list[str]:
    ids = IdFactory()
    out = [ids.iin(date(1961, 2, 3 + i), "MF"[i % 2]) for i in range(n)]
    assert all(is_iin_shaped(i) for i in out)
    return out


def _inject(home: Path, iins: list[str]) -> dict[str, str]:
    """Write IINs into every kind of place; returns where each went."""
    sample = Sample(home)
    where: dict[str, str] = {}

    swapped = sample.take()  # ИИН ↔ Пол headers swapped: a whole column of IINs under «Пол»
    book = Book(swapped.path)
    ws = book.ws("students")
    a, b = book.col("students", "iin"), book.col("students", "gender")
    ha, hb = ws.cell(1, a).value, ws.cell(1, b).value
    ws.cell(1, a).value, ws.cell(1, b).value = hb, ha
    book.save()
    where["swapped headers"] = swapped.rel

    typed = sample.take()
    book = Book(typed.path)
    book.set("header", 2, "college_name", f"Колледж {iins[0]}")
    book.set("header", 2, "signer_position", iins[1])
    rows = book.rows("students")
    book.set("students", rows[0], "enterprise_bin", iins[2])
    book.set("students", rows[1], "birth_date", iins[3])
    book.save()
    where["college_name, signer_position, enterprise_bin, birth_date"] = typed.rel

    cis = sorted((home / "landing" / "worldskills").rglob("cis_championships_*.xlsx"))[0]
    book = Book(cis, "worldskills_export")
    book.set("results", book.rows("results")[0], "skill", f"Welding {iins[4]}")
    book.save()
    where["CIS skill"] = str(cis.relative_to(home / "landing"))

    stray = home / "landing" / "nobd" / typed.round_id / f"справка_{iins[5]}.pdf"
    stray.write_bytes(b"%PDF-1.4 not a submission")
    where["stray file name"] = str(stray.relative_to(home / "landing"))
    return where


def _raw_iins_in_file(path: Path, iins: set[bytes]) -> set[bytes]:
    return {m.group(1) for m in _TWELVE_DIGITS.finditer(path.read_bytes())} & iins


def _raw_iins_in_duckdb(path: Path, iins: set[str]) -> dict[str, set[str]]:
    """DuckDB compresses strings, so a byte scan alone could miss one: every text column too."""
    with duckdb.connect(str(path), read_only=True) as con:
        return iins_in_text_columns(con, iins)


def test_iins_typed_everywhere_end_nowhere_raw(tmp_path_factory: pytest.TempPathFactory) -> None:
    home = tmp_path_factory.mktemp("privacy") / "home"
    edustat("demo-data", "--out", str(home), *SAMPLE_ARGS, home=home)
    injected = _fresh_iins(6)
    where = _inject(home, injected)
    result = _edustat(home, "run", "--quiet")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    sample_iins = set(Sample(home).manifest["iins"])
    iins = sample_iins | set(injected)
    as_bytes = {i.encode() for i in iins}
    scanned, leaks = 0, {}
    # Everything the pipeline wrote: warehouse (+ WAL), Dagster storage and logs, logs, reports,
    # yearbook, published (DuckDB, Parquet, docs).
    for path in sorted(home.rglob("*")):
        rel = path.relative_to(home)
        if not path.is_file() or rel.parts[0] == "landing" or path.name == "manifest.json":
            continue
        found = _raw_iins_in_file(path, as_bytes)
        if found:
            leaks[str(rel)] = found
        scanned += 1
        if path.suffix == ".duckdb":
            leaks.update({f"{rel}:{k}": v for k, v in _raw_iins_in_duckdb(path, iins).items()})
    print(f"\nscanned {scanned} files; injected {where}")
    assert scanned > 50 and not leaks, leaks

    # The masked places are findings, and the BINs the system needs are intact.
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        rules = dict(
            con.execute(
                "SELECT rule_id, count(*) FROM dq.findings WHERE rule_id LIKE 'identifiers.iin_%' "
                "GROUP BY ALL"
            ).fetchall()
        )
        stray = con.execute(
            "SELECT path, status FROM raw.landing_files WHERE path LIKE '%справка%'"
        ).fetchall()
        bins = con.execute(
            "SELECT count(*) FROM raw.landing_files WHERE source = 'nobd_submission' "
            f"AND path NOT LIKE '%справка%' AND (college_bin LIKE '%{IIN_MASK}%' "
            f"OR path LIKE '%{IIN_MASK}%')"
        ).fetchall()[0][0]
    assert rules.get("identifiers.iin_outside_iin_column", 0) >= 4, rules
    assert rules.get("identifiers.iin_in_bin_column", 0) >= 1, rules
    assert stray and all(IIN_MASK in p and s == "rejected" for p, s in stray), stray
    assert bins == 0


# --- re-keying --------------------------------------------------------------------------------


def _links(con: duckdb.DuckDBPyConnection) -> tuple[set[frozenset[Any]], dict[str, set[str]]]:
    """How rows are linked into persons (sets of rows sharing a pseudonym), and the rounds or
    years of each pseudonym."""
    rows = con.execute(
        "SELECT iin_hash, 'nobd', _file_path, _row_number, _partition FROM raw.nobd_students "
        "WHERE iin_hash IS NOT NULL UNION ALL "
        "SELECT competitor_iin_hash, 'cis', _file_path, _row_number, _partition "
        "FROM raw.worldskills_results WHERE competitor_iin_hash IS NOT NULL"
    ).fetchall()
    people: dict[str, set[tuple[str, str, int]]] = {}
    periods: dict[str, set[str]] = {}
    for pseudonym, source, path, row, partition in rows:
        people.setdefault(pseudonym, set()).add((source, path, row))
        periods.setdefault(pseudonym, set()).add(partition)
    return {frozenset(r) for r in people.values()}, periods


def _state(home: Path) -> tuple[set[frozenset[Any]], dict[str, set[str]], str, list[Any]]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        persons, periods = _links(con)
        recorded = con.execute("SELECT fingerprint FROM raw.pseudonym_key").fetchall()[0][0]
        columns = [  # every column but build timestamps
            r[0]
            for r in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'marts' "
                "AND table_name = 'fct_indicator_values' AND data_type NOT LIKE 'TIMESTAMP%'"
            ).fetchall()
        ]
        indicators = con.execute(
            f"SELECT {', '.join(columns)} FROM marts.fct_indicator_values ORDER BY ALL"
        ).fetchall()
    return persons, periods, recorded, indicators


def test_rekey_keeps_every_person_linked_under_a_new_pseudonym(
    pipeline_home: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    tmp = tmp_path_factory.mktemp("rekey")
    home = tmp / "home"
    shutil.copytree(pipeline_home, home, symlinks=True)
    key_file = _own_key(tmp)
    old_key = key_file.read_bytes().strip()
    persons, periods, recorded, indicators = _state(home)
    assert recorded == fingerprint(old_key)
    assert any(len(p) > 1 for p in periods.values())  # someone seen in two rounds or years

    result = _edustat(home, "rekey", "--quiet", key_file=key_file)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    new_key = key_file.read_bytes().strip()
    assert new_key != old_key and oct(key_file.stat().st_mode & 0o777) == "0o600"
    after_persons, after_periods, after_recorded, after_indicators = _state(home)
    assert after_recorded == fingerprint(new_key)
    assert after_persons == persons  # the same rows belong to the same person
    assert not set(after_periods) & set(periods)  # and no old pseudonym is left
    assert sorted(map(len, after_periods.values())) == sorted(map(len, periods.values()))
    assert after_indicators == indicators
    assert not list(home.parent.glob("*.before-rekey")) and not list(home.glob("*.before-rekey"))


def test_rekey_refuses_when_a_loaded_file_is_gone(
    pipeline_home: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    tmp = tmp_path_factory.mktemp("rekey-refused")
    home = tmp / "home"
    shutil.copytree(pipeline_home, home, symlinks=True)
    key_file = _own_key(tmp)
    gone = sorted((home / "landing" / "nobd").rglob("*.xlsx"))[0]
    gone.unlink()
    before = hashlib.sha256((home / "warehouse.duckdb").read_bytes()).hexdigest()
    key = key_file.read_bytes()

    result = _edustat(home, "rekey", "--quiet", key_file=key_file)
    assert result.returncode == 2, result.stderr
    [line] = result.stderr.splitlines()
    assert "no longer under" in line and gone.name in line
    assert hashlib.sha256((home / "warehouse.duckdb").read_bytes()).hexdigest() == before
    assert key_file.read_bytes() == key
