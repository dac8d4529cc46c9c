"""Shared fixtures.

`pipeline_home`: one small generated landing tree taken through the whole pipeline, once per test
session (`make test` runs two xdist workers, `--dist loadfile`: a module's own sample, a
module-scoped fixture, is built once; the first worker to need `pipeline_home` builds it, the other
waits for it): `edustat demo-data --scale 30 --years 2023-2024 --seed 7`, then `edustat run`,
exactly as a user would. Tests read `manifest.json` (the generator's ground truth) and the
warehouse under it, while the other worker may be reading them too: they open the warehouse
read-only and write only to a copy.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import duckdb
import harness
import pytest

SAMPLE_ARGS = ("--scale", "30", "--years", "2023-2024", "--seed", "7")


def edustat(
    *args: str, home: Path, timeout: int = 900, check: bool = True, via: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the venv's `edustat` CLI with EDUSTAT_HOME=home; fail the test with its output (unless
    `check` is False: then the caller judges the exit code). `via`: a launcher of tests/harness/
    that runs the CLI with a production function wrapped."""
    env = {**os.environ, "EDUSTAT_HOME": str(home)}
    env.pop("DAGSTER_HOME", None)  # `edustat run` sets its own under EDUSTAT_HOME
    argv = [str(Path(sys.executable).with_name("edustat")), *args]
    if via is not None:
        argv, env = harness.command(via, *args), harness.env(env)
    result = subprocess.run(
        argv, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and result.returncode != 0:
        pytest.fail(f"edustat {' '.join(args)} exited {result.returncode}:\n"
                    f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}")  # fmt: skip
    return result


def connector(db: Path) -> Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]]:
    """A `connect()` as the ingest takes it: a new read-write connection to `db` per call."""

    @contextmanager
    def connect() -> Iterator[duckdb.DuckDBPyConnection]:
        with duckdb.connect(str(db)) as con:
            yield con

    return connect


def pytest_configure(config: pytest.Config) -> None:
    """The dbt manifest, prepared once before any xdist worker loads the definitions (each would
    otherwise find it stale after a model edit and prepare it at the same time)."""
    if not hasattr(config, "workerinput"):
        from pipelines.assets.dbt_project import prepare_manifest

        prepare_manifest()


def session_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder every xdist worker of this session shares (their base folders' parent)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if base.name.startswith("popen-gw") else base


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The order in which the two workers take the test files (`make test` passes
    --no-loadscope-reorder, so xdist keeps it): one file that reads `pipeline_home` first, so one
    worker builds it at once while the other starts on the rest; then the files that need no
    shared sample, among them those that build homes of their own, the longest; the other files
    that read `pipeline_home` last, many and short, so the two workers finish together."""
    files: dict[Path, list[pytest.Item]] = {}
    for item in items:
        files.setdefault(item.path, []).append(item)
    shared = [f for f, its in files.items() if any("pipeline_home" in i.fixturenames for i in its)]
    own = [f for f in files if f not in shared]
    items[:] = [item for f in shared[:1] + own + shared[1:] for item in files[f]]


@pytest.fixture(scope="session", autouse=True)
def shared_pseudonym_key(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One pseudonym key file for every home the tests make. The key lives outside the home
    (pipelines/ingest/pseudonym_key.py), so a copy of a home does not carry it; with one key for
    all, a copied home runs with the key its warehouse was built with. Tests of the key itself
    set their own EDUSTAT_PSEUDONYM_KEY_FILE."""
    from pipelines.ingest.pseudonym_key import create_key

    root = session_root(tmp_path_factory)
    path = root / "pseudonym.key"
    with open(root / "pseudonym.key.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one key for both workers, written whole
        if not path.exists():
            create_key(path)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("EDUSTAT_PSEUDONYM_KEY_FILE", str(path))
        mp.delenv("EDUSTAT_PSEUDONYM_KEY", raising=False)
        yield path


@pytest.fixture(scope="session", autouse=True)
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The per-user cache (pipelines/settings.py `cache_dir`: the dbt docs kept per schema) of
    this session, shared by the xdist workers (their base folders' parent) and not the user's."""
    root = session_root(tmp_path_factory) / "xdg-cache"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(root))
        yield root


@pytest.fixture(scope="session")
def pipeline_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """EDUSTAT_HOME after demo-data + run (landing/, manifest.json, warehouse.duckdb, dagster/).

    Shared by every test of the session, on both workers, so read-only to them: a test that
    writes works on a copy. The build stamp (pipelines/cli/build_stamp.py) checks that at the
    end, since a test that reads the stamp fails only when a writer happened to run before it."""
    from pipelines.cli import build_stamp
    from pipelines.settings import Home

    root = session_root(tmp_path_factory)
    home, built, failed = (root / name for name in ("pipeline_home", ".built", ".failed"))
    with open(root / "pipeline_home.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the other worker holds it while it builds
        if failed.exists():
            pytest.fail(f"another worker failed to build the sample: {failed.read_text()}")
        if not built.exists():
            try:
                edustat("demo-data", "--out", str(home), *SAMPLE_ARGS, home=home)
                edustat("run", "--quiet", home=home)
            except BaseException as e:
                failed.write_text(str(e)[-2000:], encoding="utf-8")
                raise
            built.touch()
    yield home
    assert build_stamp.is_up_to_date(Home(home)), "a test wrote to the shared pipeline_home"


# Columns that legitimately differ between two runs over the same landing files.
VOLATILE = {"_loaded_at", "first_seen_at", "status_changed_at", "recorded_at"}


def raw_snapshot(home: Path) -> dict[str, tuple[int, int]]:
    """table -> (rows, order-independent content checksum without load timestamps), schema raw."""
    out = {}
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'raw'"
            ).fetchall()
        ]
        for table in sorted(tables):
            cols = [
                r[0]
                for r in con.execute(
                    "SELECT column_name FROM duckdb_columns() "
                    "WHERE schema_name = 'raw' AND table_name = ? ORDER BY column_index",
                    [table],
                ).fetchall()
                if r[0] not in VOLATILE
            ]
            row_hash = "hash(" + ", ".join(f'"{c}"' for c in cols) + ")"
            n, total = con.execute(
                f"SELECT count(*), coalesce(sum({row_hash}::HUGEINT), 0) FROM raw.{table}"
            ).fetchall()[0]
            out[table] = (n, int(total))
    return out


def iins_in_text_columns(con: duckdb.DuckDBPyConnection, iins: set[str]) -> dict[str, set[str]]:
    """schema.table.column -> the `iins` found in it, over every text column of the open database
    (DuckDB compresses strings, so a byte scan of its file alone could miss one)."""
    found: dict[str, set[str]] = {}
    columns = con.execute(
        "SELECT schema_name, table_name, column_name FROM duckdb_columns() "
        "WHERE data_type = 'VARCHAR' AND NOT internal AND database_name = current_database()"
    ).fetchall()
    for schema, table, column in columns:
        values = con.execute(
            f"SELECT DISTINCT unnest(regexp_extract_all(\"{column}\", '\\d{{12}}')) "
            f'FROM "{schema}"."{table}"'
        ).fetchall()
        leaked = {v[0] for v in values} & iins
        if leaked:
            found[f"{schema}.{table}.{column}"] = leaked
    return found
