"""One `edustat run` (or `edustat rekey`) at a time per EDUSTAT_HOME.

An advisory `flock` on EDUSTAT_HOME/.run.lock: the kernel drops it when the holder dies, even by
kill -9, so a crash never leaves a stale lock to clear by hand. The file says who holds it (pid,
command, since) for the second caller's message.

`waiting_lock` is the plain kind the publish steps use: wait for the lock instead of refusing.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from pipelines.settings import Home

LOCK_FILE = ".run.lock"


class RunInProgress(Exception):
    """Another run holds this home; the message is one kk/ru/en line."""


def _holder(text: str) -> str:
    try:
        info = json.loads(text)
        return f"pid {info['pid']}, {info['command']}, since {info['since']}"
    except (ValueError, KeyError, TypeError):
        return "holder unknown"


@contextmanager
def hold(home: Home, command: str) -> Iterator[None]:
    """Hold the home's run lock for the block; RunInProgress when another process holds it."""
    home.root.mkdir(parents=True, exist_ok=True)
    path = home.root / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(os.pread(fd, 4096, 0).decode("utf-8", "replace"))
            raise RunInProgress(
                "Басқа іске қосу жүріп жатыр / Уже идёт другой запуск / "
                f"Another run is in progress ({holder}) on {home.root}; "
                "wait for it to finish (edustat ui shows it)"
            ) from None
        since = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        info = json.dumps({"pid": os.getpid(), "command": command, "since": since})
        os.ftruncate(fd, 0)
        os.pwrite(fd, info.encode("utf-8"), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextmanager
def waiting_lock(lock_file: Path) -> Iterator[None]:
    """Hold an advisory `flock` on `lock_file` for the block, waiting while another process holds
    it (its folder is made first)."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_file, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
