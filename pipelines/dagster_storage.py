"""Dagster's SQLite instance storage, with the event log's database connections kept open.

Dagster's stock SQLite event log opens a new SQLAlchemy engine for every event it stores and
disposes of it after the commit (and does so twice for an asset event: the run's database and
the index). A build stores about a thousand events (a dbt model or test is three or four), so a
small sample's `edustat run` spent ~12 s of CPU there, mostly building engines and recompiling
the same INSERT statements, whose cache lives in the engine.

`PooledSqliteStorage` is Dagster's own `DagsterSqliteStorage` (same files: history/runs.db,
history/runs/<run id>.db and index.db, schedules/) whose event log keeps one engine per database
for the most recent runs. Nothing else changes: each write is still its own transaction, SQLite
still arbitrates between the processes sharing the folder (the run, the daemon, the UI), and an
idle pooled connection holds no lock. `edustat run` and `edustat ui` name it in dagster.yaml
(pipelines/cli/run.py `prepare_dagster_home`).

Its connections also commit with `synchronous=NORMAL`. Dagster creates these databases in WAL
mode, where SQLite's default (FULL) syncs the log to disk at every commit: ~0.4 ms alone, and a
wait on every dirty page of the file system while dbt writes the warehouse (a resubmission's run
spent 1.9 s of wall time in those commits, 0.4 s with NORMAL; py-spy). Under NORMAL, WAL syncs at
checkpoints; a crashed process loses nothing, a power cut at worst the last events, and the
database stays consistent either way (SQLite's documented guarantee), which the orphaned-run
check already expects of a run that stopped mid-way.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage, _event_logs_directory
from dagster._serdes import ConfigurableClassData
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine

# The index and the runs being written or watched: a long-lived daemon or UI must not keep one
# open database per run it ever saw.
KEEP_ENGINES = 8


def _sync_at_checkpoints(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """SqliteEventLogStorage with one engine per database file, reused across events."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        super().__init__(base_dir, inst_data)

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        # Under the stock lock, held for the whole transaction as before: one thread at a time.
        with self._db_lock:
            engine = self._engine(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def _engine(self, shard: str) -> Engine:
        engine = self._engines.pop(shard, None)
        if engine is None:
            engine = create_engine(
                self.conn_string_for_shard(shard),
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
            )
            event.listen(engine, "connect", _sync_at_checkpoints)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
        self._engines[shard] = engine  # most recently used last
        while len(self._engines) > KEEP_ENGINES:
            _, oldest = self._engines.popitem(last=False)
            oldest.dispose()
        return engine

    def _dispose_engines(self) -> None:
        while self._engines:
            _, engine = self._engines.popitem()
            engine.dispose()

    def wipe(self) -> None:
        with self._db_lock:
            self._dispose_engines()  # the files are about to be deleted
        super().wipe()

    def dispose(self) -> None:
        super().dispose()
        with self._db_lock:
            self._dispose_engines()


class PooledSqliteStorage(DagsterSqliteStorage):
    """DagsterSqliteStorage whose event log is `PooledSqliteEventLogStorage`.

    dagster.yaml:  storage: {custom: {module: pipelines.dagster_storage,
                                      class: PooledSqliteStorage, config: {base_dir: …}}}
    """

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        super().__init__(base_dir, inst_data)
        self._event_log_storage = PooledSqliteEventLogStorage(_event_logs_directory(base_dir))

    @classmethod
    def from_config_value(  # type: ignore[override]
        cls, inst_data: ConfigurableClassData, config_value: Any
    ) -> PooledSqliteStorage:
        return cls.from_local(inst_data=inst_data, **config_value)
