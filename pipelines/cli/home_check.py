"""Is EDUSTAT_HOME a home at all, and can it be written? Checked before a command creates anything.

A mistyped EDUSTAT_HOME used to become a brand-new empty tree: `edustat run` then built and
published an empty warehouse and exited 0, and the operator saw nothing wrong. A home is a folder
that holds landing files or a warehouse, or that `edustat run --init` or `edustat demo-data`
marked as one (HOME_MARKER). Anything else is refused with exit 2, before a single folder is made.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from pipelines.settings import Home

HOME_MARKER = ".edustat-home"
EXIT_NOT_A_HOME = 2


class HomeProblem(Exception):
    """The home cannot be used; the message is what the operator reads (kk, ru, en lines)."""

    exit_code = EXIT_NOT_A_HOME


def _has_landing_files(landing: Path) -> bool:
    if not landing.is_dir():
        return False
    return any(files for _root, _dirs, files in os.walk(landing))


def is_home(home: Home) -> bool:
    return (
        (home.root / HOME_MARKER).is_file()
        or home.warehouse.is_file()
        or _has_landing_files(home.landing)
    )


def mark_home(root: Path, made_by: str) -> None:
    """Record that `root` was made on purpose (by `made_by`), so an empty landing/ is fine."""
    marker = root / HOME_MARKER
    if marker.exists():
        return
    stamp = {"made_by": made_by, "at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
    marker.write_text(json.dumps(stamp) + "\n", encoding="utf-8")


def _writable(home: Home) -> None:
    """Create the layout and prove a file can be written in logs/; HomeProblem if not."""
    try:
        home.ensure()
        probe = home.logs / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        where = exc.filename or home.root
        raise HomeProblem(
            f"EDUSTAT_HOME={home.root}: жазу мүмкін емес / запись невозможна / "
            f"cannot be written ({where}: {reason})"
        ) from None


def check_home(home: Home, init: bool = False, writable: bool = True) -> None:
    """Refuse a folder that is not an edustat home (unless `init`), or, when the command writes
    (`writable`), one that cannot be written."""
    if not init and not is_home(home):
        raise HomeProblem(
            f"EDUSTAT_HOME={home.root}: бұл edustat қалтасы емес (landing/ файлдары да, қойма да "
            f"жоқ) / это не папка edustat (нет ни файлов в landing/, ни хранилища) / not an "
            "edustat home (no landing files, no warehouse): mistyped? "
            "`edustat run --init` starts a new one"
        )
    if writable or init:
        _writable(home)
    if init:
        mark_home(home.root, "edustat run --init")


def refuse(problem: HomeProblem) -> int:
    """Say the problem on stderr (one line) and return the exit code."""
    print(f"error: {problem}", file=sys.stderr)
    return problem.exit_code
