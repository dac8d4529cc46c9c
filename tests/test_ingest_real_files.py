"""What real landing folders and real workbooks throw at the ingest: links, FIFOs, files that
vanish, IINs typed as numbers, dates with a time, CSVs without sections, repeated sheets.

Every case uses real bytes on disk (xlsxwriter / openpyxl workbooks, CSV text) in a tmp folder;
none may stop the ingest or leave a traceback: each ends as a rejected registry row or a load
issue, with a reason in English, Kazakh and Russian that never quotes a cell.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest
from test_ingest_readers import PASSPORT, PS, _value, csv_bytes

from pipelines.ingest import loader
from pipelines.ingest.discovery import LandingFile, all_files, fingerprint, partition_files
from pipelines.ingest.loader import ingest_partition
from pipelines.ingest.sweep import sweep

PARTITIONS = {"college_passport": {"2024"}, "nobd_submission": set(), "worldskills_export": set()}


def _connector(db: Path):  # noqa: ANN202
    @contextmanager
    def connect() -> Iterator[duckdb.DuckDBPyConnection]:
        con = duckdb.connect(str(db))
        try:
            yield con
        finally:
            con.close()

    return connect


def _passport_csv() -> bytes:
    columns = PASSPORT.sheet("colleges").columns
    headers = [c.header("ru") for c in columns]
    row = [_value(PASSPORT, "colleges", c.name, 0, "ru") for c in columns]
    return csv_bytes({"Колледжи": (headers, [row])}, ";", "utf-8")


def _registry(db: Path) -> dict[str, tuple[str, str, str | None, str | None]]:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "SELECT path, status, reason, reason_kk, reason_ru FROM raw.landing_files"
        ).fetchall()
    return {r[0]: r[1:] for r in rows}


@pytest.fixture
def odd_landing(tmp_path: Path) -> Path:
    """A passport partition holding one good file and every kind of entry that must not be read,
    plus a partition-level folder link."""
    landing = tmp_path / "landing"
    folder = landing / "passports" / "2024"
    folder.mkdir(parents=True)
    (folder / "passports_2024.csv").write_bytes(_passport_csv())
    secret = tmp_path / "secret.csv"
    secret.write_bytes(_passport_csv())
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "passports_2024.csv").write_bytes(_passport_csv())
    os.symlink(tmp_path / "nothing-here.csv", folder / "dangling.csv")
    os.symlink(secret, folder / "outside.csv")
    os.symlink(folder / "passports_2024.csv", folder / "inside.csv")
    os.symlink(outside, folder / "linked-folder")
    os.mkfifo(folder / "pipe.csv")
    os.symlink(outside, landing / "passports" / "2023")  # a whole year folder as a link
    return landing


def test_links_fifos_are_registered_rejected_never_read_and_once(
    odd_landing: Path, tmp_path: Path
) -> None:
    db = tmp_path / "w.duckdb"
    connect = _connector(db)
    first = ingest_partition(PASSPORT, "2024", odd_landing, connect, PS)
    swept = sweep(odd_landing, connect, PARTITIONS)
    assert (first.loaded, first.rejected, swept.registered) == (1, 5, 1)
    registry = _registry(db)
    expected = {
        "passports/2024/dangling.csv": "symbolic link to nothing (dangling), not followed",
        "passports/2024/outside.csv": "symbolic link pointing outside landing/, not followed",
        "passports/2024/inside.csv": "symbolic link, not followed",
        "passports/2024/linked-folder": "symbolic link pointing outside landing/, not followed",
        "passports/2024/pipe.csv": "not a regular file (FIFO, socket or device), not read",
        "passports/2023": "symbolic link pointing outside landing/, not followed",
    }
    for path, detail in expected.items():
        status, reason, kk, ru = registry[path]
        assert status == "rejected"
        assert reason == f"structure.unreadable_file: {path}: {detail}"
        assert kk and kk.startswith(f"{path}: ") and ru and ru.startswith(f"{path}: ")
    assert registry["passports/2024/passports_2024.csv"][0] == "loaded"
    with duckdb.connect(str(db), read_only=True) as con:  # the linked copies were never loaded
        assert con.execute("SELECT count(*) FROM raw.passports").fetchone() == (1,)
    again = ingest_partition(PASSPORT, "2024", odd_landing, connect, PS)
    assert (again.loaded, again.rejected, again.skipped) == (0, 0, 6)
    assert sweep(odd_landing, connect, PARTITIONS).registered == 0
    assert len(_registry(db)) == len(registry)


def test_listing_never_follows_links(odd_landing: Path) -> None:
    paths = {f.path: f.unreadable for f in all_files(odd_landing)}
    assert "passports/2023/passports_2024.csv" not in paths  # not walked into
    assert "passports/2024/linked-folder/passports_2024.csv" not in paths
    assert paths["passports/2023"] == "symlink_outside"
    in_partition = {f.path for f in partition_files(odd_landing, PASSPORT, "2024")}
    assert in_partition == {p for p in paths if p.startswith("passports/2024/")}
    assert partition_files(odd_landing, PASSPORT, "2023") == []  # the folder is a link


def test_file_removed_between_listing_and_reading_is_rejected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    landing = tmp_path / "landing"
    folder = landing / "passports" / "2024"
    folder.mkdir(parents=True)
    target = folder / "passports_2024.csv"
    target.write_bytes(_passport_csv())
    listed = partition_files(landing, PASSPORT, "2024")
    target.unlink()
    data, sha, rejected = fingerprint(listed[0])
    assert data is None and rejected is not None
    assert rejected.reason.endswith("file disappeared while reading")
    # Through the loader: the listing it works from is the stale one.
    monkeypatch.setattr(loader, "partition_files", lambda *_: listed)
    db = tmp_path / "w.duckdb"
    result = ingest_partition(PASSPORT, "2024", landing, _connector(db), PS)
    assert result.rejected == 1
    status, reason, kk, ru = _registry(db)["passports/2024/passports_2024.csv"]
    assert status == "rejected" and "disappeared" in reason
    assert kk is not None and ru is not None


def test_rejection_pickles_with_its_translations() -> None:
    """Worker processes send rejections back pickled: the translations must survive."""
    _data, _sha, rejected = fingerprint(LandingFile("x/y/z.csv", Path("/nonexistent/z.csv"), 0, 0))
    assert rejected is not None
    back = pickle.loads(pickle.dumps(rejected))
    assert (back.rule, back.reason, back.reason_kk, back.reason_ru) == (
        rejected.rule,
        rejected.reason,
        rejected.reason_kk,
        rejected.reason_ru,
    )
