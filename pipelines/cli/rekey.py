"""`edustat rekey`: change the pseudonym key on purpose, and re-pseudonymise the warehouse.

A pseudonym cannot be turned into another without the IIN, and the warehouse holds no IIN: the
only consistent way to a new key is to read every file version again. So re-keying needs every
file version whose rows are in the warehouse to be under `landing/` still, byte for byte; if one
is gone it refuses (exit 2) and changes nothing. Otherwise it sets the old warehouse and key
aside, writes a new key, rebuilds everything from `landing/` with it (`edustat run --force` on an
empty warehouse), and only then deletes the old ones; a failed rebuild puts both back (exit 1).

After it every person has one new pseudonym across all rounds and sources, as before, and no
pseudonym of the old key remains in the warehouse. Snapshots published earlier keep the old
pseudonyms (they rotate out; the old key is gone, so nobody can link them to people any more).
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from pipelines.settings import Home

EXIT_REFUSED = 2
ASIDE = ".before-rekey"
_SHOWN = 5
# Registry statuses whose rows are in the raw layer (a rejected file has none).
_WITH_ROWS = ("loaded", "held_back", "superseded")


class RekeyRefused(Exception):
    """Nothing was changed; the message is one kk/ru/en line."""


def missing_versions(home: Home) -> list[str]:
    """Paths of file versions with rows in the warehouse that are not under landing/ now."""
    import duckdb

    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        rows = con.execute(
            "SELECT path, sha256 FROM raw.landing_files WHERE status IN "
            f"({', '.join('?' for _ in _WITH_ROWS)}) ORDER BY path",
            list(_WITH_ROWS),
        ).fetchall()
    missing = []
    for path, sha in rows:
        file = home.landing / path
        try:
            same = hashlib.sha256(file.read_bytes()).hexdigest() == sha
        except OSError:
            same = False
        if not same:
            missing.append(path)
    return missing


def _check(home: Home) -> None:
    from pipelines.ingest.pseudonym_key import KEY_ENV

    if os.environ.get(KEY_ENV):
        raise RekeyRefused(
            f"Кілт ${KEY_ENV} арқылы берілген / Ключ задан через ${KEY_ENV} / The key comes from "
            f"${KEY_ENV}: rekey manages the key file only (unset it, or change it where it is set)"
        )
    if not home.warehouse.exists():
        raise RekeyRefused(
            "Қойма жоқ / Хранилища нет / No warehouse to re-key: "
            f"{home.warehouse} does not exist (`edustat run` makes a key on first use)"
        )
    missing = missing_versions(home)
    if missing:
        shown = ", ".join(missing[:_SHOWN]) + (" …" if len(missing) > _SHOWN else "")
        raise RekeyRefused(
            "Файлдар жоқ / Нет файлов / Re-keying reads every loaded file again, but "
            f"{len(missing)} file version(s) are no longer under {home.landing}: {shown}; "
            "restore them, or keep the current key"
        )


def _aside(path: Path) -> Path:
    return path.with_name(path.name + ASIDE)


def rekey(home: Home, quiet: bool = False) -> int:
    """The whole command under the run lock; returns the exit code."""
    from pipelines.cli import build_stamp
    from pipelines.cli.run import run_pipeline
    from pipelines.ingest.pseudonym_key import create_key

    _check(home)
    key_file = home.pseudonym_key_file
    moved: list[tuple[Path, Path]] = []
    for path in (home.warehouse, home.warehouse.with_name(home.warehouse.name + ".wal"), key_file):
        if path.exists():
            os.replace(path, _aside(path))
            moved.append((_aside(path), path))
    build_stamp.clear(home)
    try:
        create_key(key_file)
        code = run_pipeline(home, quiet=quiet, force=True)
    except BaseException:
        _restore(home, key_file, moved)
        raise
    if code != 0:
        _restore(home, key_file, moved)
        return code
    for aside, _ in moved:
        aside.unlink()
    return 0


def _restore(home: Home, key_file: Path, moved: list[tuple[Path, Path]]) -> None:
    """Put the old warehouse and key back as they were (a failed rebuild changes nothing)."""
    from pipelines.cli import build_stamp

    for path in (home.warehouse, home.warehouse.with_name(home.warehouse.name + ".wal")):
        path.unlink(missing_ok=True)
    key_file.unlink(missing_ok=True)
    for aside, path in moved:
        os.replace(aside, path)
    build_stamp.clear(home)


def register(app: typer.Typer) -> None:
    @app.command("rekey")
    def rekey_command(
        quiet: Annotated[
            bool, typer.Option("--quiet", "-q", help="No progress or summary.")
        ] = False,
    ) -> None:
        """Change the pseudonym key and rebuild the warehouse from landing/ with the new key."""
        from pipelines.cli.run import EXIT_BUSY, report_crash
        from pipelines.run_lock import RunInProgress, hold

        home = Home.from_env()
        try:
            with hold(home, "edustat rekey"):
                code = rekey(home, quiet=quiet)
        except RunInProgress as exc:
            print(f"edustat rekey: {exc}", file=sys.stderr)
            code = EXIT_BUSY
        except RekeyRefused as exc:
            print(f"edustat rekey: {exc}", file=sys.stderr)
            code = EXIT_REFUSED
        except Exception as exc:
            code = report_crash(home, "edustat rekey", exc)
        raise typer.Exit(code)
