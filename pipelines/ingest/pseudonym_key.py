"""The pseudonym key: where it lives, who may read it, and that the warehouse was built with it.

IIN pseudonyms are an HMAC under this key (pipelines/ingest/pseudonym.py). Under Law 94-V "On
personal data" the key is what turns a pseudonym back into a person, so:

- it lives outside EDUSTAT_HOME (by default `<home>.pseudonym.key` beside the home folder, or
  the file named by EDUSTAT_PSEUDONYM_KEY_FILE): a copy of the home, a published snapshot or a
  query (which cannot open files at all, pipelines/publish/reader.py) never carries it;
- its file must be readable by its owner only (mode 0600): anything looser refuses the run;
- the warehouse records the key's fingerprint (a one-way hash: never the key), and a run with
  another key, or with no key at all while the warehouse holds pseudonyms, refuses to start:
  new rows would get pseudonyms that link to nobody in the old ones, silently;
- changing the key is an explicit command, `edustat rekey` (pipelines/cli/rekey.py).

A key file left at the old place (EDUSTAT_HOME/pseudonym.key) is moved beside the home once.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import stat
from pathlib import Path

import duckdb

from pipelines.settings import Home

KEY_ENV = "EDUSTAT_PSEUDONYM_KEY"  # the key itself (a secret store injects it); no file then
FINGERPRINT_TABLE = "raw.pseudonym_key"
_FINGERPRINT_LABEL = b"edustat pseudonym key fingerprint\0"
_FINGERPRINT_CHARS = 16
_PRIVATE = 0o600

log = logging.getLogger("edustat.key")


class KeyRefused(Exception):
    """The run must not start: one line, kk/ru/en, naming the file and what to do."""


def fingerprint(key: bytes) -> str:
    """A short one-way hash of the key: tells keys apart, reveals nothing of the key."""
    return hashlib.sha256(_FINGERPRINT_LABEL + key).hexdigest()[:_FINGERPRINT_CHARS]


def create_key(path: Path) -> bytes:
    """Write a new random key to `path` (must not exist), owner-only from the first byte."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_EXCL: two processes starting at once must not write two different keys.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _PRIVATE)
    key = secrets.token_hex(32)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key + "\n")
    return key.encode("ascii")


def _move_legacy_key(home: Home) -> None:
    """EDUSTAT_HOME/pseudonym.key (where it used to live) -> the key path, once."""
    legacy, target = home.legacy_pseudonym_key_file, home.pseudonym_key_file
    if legacy.exists() and not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(legacy, target)
        log.warning("pseudonym key moved out of EDUSTAT_HOME: %s -> %s", legacy, target)


def read_key_file(path: Path) -> bytes:
    """The key from its file, refusing a file others may read or an empty one."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise KeyRefused(
            f"Кілт файлына тек иесі қол жеткізуі тиіс / Файл ключа должен быть доступен только "
            f"владельцу / The pseudonym key file {path} has mode {mode:04o}: it must be "
            f"readable by its owner only (chmod 600 {path})"
        )
    key = path.read_text(encoding="ascii").strip()
    if not key:
        raise KeyRefused(
            f"Кілт файлы бос / Файл ключа пуст / The pseudonym key file {path} is empty"
        )
    return key.encode("ascii")


def warehouse_fingerprint(warehouse: Path) -> tuple[bool, str | None]:
    """(holds pseudonyms, recorded fingerprint) of a warehouse, read-only.

    A warehouse built before fingerprints were recorded holds pseudonyms (registry rows) but no
    fingerprint: its key is then trusted on first use and recorded by the ingest.
    """
    if not warehouse.exists():
        return False, None
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error:
        # Held by a writer right now (a run launched from the UI): the ingest compares inside
        # its own connection (verify_or_record) before it writes anything.
        return False, None
    with con:
        tables = {
            r[0]
            for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'raw'"
            ).fetchall()
        }
        recorded = None
        if "pseudonym_key" in tables:
            rows = con.execute(f"SELECT fingerprint FROM {FINGERPRINT_TABLE}").fetchall()
            recorded = rows[0][0] if rows else None
        has_rows = "landing_files" in tables and bool(
            con.execute("SELECT count(*) FROM raw.landing_files").fetchall()[0][0]
        )
    return has_rows or recorded is not None, recorded


def _mismatch(path: str, recorded: str, found: str) -> KeyRefused:
    return KeyRefused(
        f"Кілт қойманың кілтіне сәйкес емес / Ключ не совпадает с ключом хранилища / "
        f"The pseudonym key ({path}, fingerprint {found}) is not the key the warehouse was "
        f"built with (fingerprint {recorded}): restore that key, or change it on purpose with "
        "`edustat rekey`"
    )


def load_key(home: Home, *, check_warehouse: bool = True) -> bytes:
    """The HMAC key for this home, after every check above; creates one for a new home.

    `check_warehouse` compares with the fingerprint the warehouse recorded (skipped when the
    caller holds the warehouse itself and compares with `verify_or_record`).
    """
    from_env = os.environ.get(KEY_ENV)
    path = home.pseudonym_key_file
    if from_env:
        key, where = from_env.encode("utf-8"), f"${KEY_ENV}"
    else:
        _move_legacy_key(home)
        where = str(path)
        if path.exists():
            key = read_key_file(path)
        else:
            holds, recorded = (
                warehouse_fingerprint(home.warehouse) if check_warehouse else (False, None)
            )
            if holds:
                shown = f" (fingerprint {recorded})" if recorded else ""
                raise KeyRefused(
                    f"Кілт табылмады / Ключ не найден / No pseudonym key at {path}, but the "
                    f"warehouse {home.warehouse} holds pseudonyms made with one{shown}: restore "
                    "the key file (or set EDUSTAT_PSEUDONYM_KEY_FILE), or re-pseudonymise with "
                    "`edustat rekey`"
                )
            try:
                key = create_key(path)
            except FileExistsError:  # another process created it a moment ago
                key = read_key_file(path)
    if check_warehouse:
        recorded = warehouse_fingerprint(home.warehouse)[1]
        if recorded is not None and recorded != fingerprint(key):
            raise _mismatch(where, recorded, fingerprint(key))
    return key


def verify_or_record(con: duckdb.DuckDBPyConnection, key: bytes, where: str = "key") -> None:
    """Inside the writer's connection: refuse a key other than the recorded one, or record it
    (a new warehouse, or one from before fingerprints)."""
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {FINGERPRINT_TABLE} "
        "(fingerprint VARCHAR NOT NULL, recorded_at TIMESTAMP NOT NULL)"
    )
    rows = con.execute(f"SELECT fingerprint FROM {FINGERPRINT_TABLE}").fetchall()
    found = fingerprint(key)
    if not rows:
        con.execute(f"INSERT INTO {FINGERPRINT_TABLE} VALUES (?, now()::TIMESTAMP)", [found])
    elif rows[0][0] != found:
        raise _mismatch(where, rows[0][0], found)
