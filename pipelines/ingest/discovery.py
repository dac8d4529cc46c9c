"""What lies under landing/: files per (contract, partition), and the file id of a version.

Every entry gets a registry row, including the ones that must not be read: a symbolic link (to a
file or a folder, inside landing/ or out of it, or to nothing) is never followed, since it could
expose any file the process can read; a FIFO, socket or device is never opened (reading a FIFO
blocks forever); a file that disappears or cannot be opened between listing and reading is not an
error of the build. Such an entry is a `LandingFile` with `unreadable` set, and `fingerprint`
gives it a stable stand-in for the content hash so it is registered once, as `rejected`.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from pipelines.contracts import Contract, all_contracts
from pipelines.ingest.cells import Rejected

UNREADABLE_RULE = "structure.unreadable_file"
# Why an entry is not read: kind -> (en, kk, ru) detail of the rejection.
UNREADABLE: dict[str, tuple[str, str, str]] = {
    "symlink": (
        "symbolic link, not followed",
        "символдық сілтеме, ол бойынша өтілмейді",
        "символическая ссылка, переход по ней не выполняется",
    ),
    "symlink_outside": (
        "symbolic link pointing outside landing/, not followed",
        "landing/ қалтасынан тыс нысанға сілтейтін символдық сілтеме, ол бойынша өтілмейді",
        "символическая ссылка за пределы папки landing/, переход по ней не выполняется",
    ),
    "dangling_symlink": (
        "symbolic link to nothing (dangling), not followed",
        "ештеңеге сілтемейтін символдық сілтеме (нысаны жоқ)",
        "символическая ссылка на несуществующий объект",
    ),
    "not_regular": (
        "not a regular file (FIFO, socket or device), not read",
        "кәдімгі файл емес (FIFO, сокет немесе құрылғы), оқылмайды",
        "не обычный файл (FIFO, сокет или устройство), не читается",
    ),
    "vanished": (
        "file disappeared while reading",
        "файл оқу кезінде жоғалып кетті",
        "файл исчез во время чтения",
    ),
    "denied": (
        "file cannot be opened (permission denied)",
        "файлды ашуға рұқсат жоқ",
        "нет прав на чтение файла",
    ),
    "io_error": (
        "file cannot be read (input/output error)",
        "файлды оқу мүмкін емес (енгізу-шығару қатесі)",
        "файл не читается (ошибка ввода-вывода)",
    ),
}


@dataclass(frozen=True)
class LandingFile:
    path: str  # relative to landing/, with '/' separators: the registry key, stable across OSes
    abs_path: Path
    size: int
    mtime_ns: int
    unreadable: str | None = None  # a key of UNREADABLE: the entry is registered, never read
    link: str | None = None  # a symbolic link's text (part of its stable fingerprint)


class Unreadable(Exception):
    """Raised by `read_regular`; `kind` is a key of UNREADABLE."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        super().__init__(kind)


def file_id(path: str, sha256: str) -> str:
    """Registry key of one version of one file: sha256 of path + content hash, 16 hex digits."""
    return hashlib.sha256(f"{path}\n{sha256}".encode()).hexdigest()[:16]


def unreadable_rejection(path: str, kind: str) -> Rejected:
    en, kk, ru = UNREADABLE[kind]
    return Rejected(UNREADABLE_RULE, path, en, kk=kk, ru=ru)


def _stable_sha(kind: str, link: str | None) -> str:
    """Stand-in for the content hash of an entry that is not read: the same entry (same kind,
    same link text) gives the same file id, so a re-run registers nothing new."""
    return hashlib.sha256(f"unreadable:{kind}\n{link or ''}".encode()).hexdigest()


def read_regular(path: Path) -> bytes:
    """The bytes of a regular file, never through a symbolic link and never blocking on a FIFO
    (the entry may have changed since it was listed). Raises `Unreadable`."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise Unreadable("vanished") from None
    except PermissionError:
        raise Unreadable("denied") from None
    except OSError as exc:  # ELOOP: it became a symbolic link; others: a device, a socket...
        raise Unreadable("symlink" if exc.errno == errno.ELOOP else "not_regular") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise Unreadable("not_regular")
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return fh.read()
    except OSError:
        raise Unreadable("io_error") from None
    finally:
        os.close(fd)


def fingerprint(f: LandingFile) -> tuple[bytes | None, str, Rejected | None]:
    """(bytes, sha256, None) of a readable file; (None, stable sha256, rejection) otherwise."""
    kind = f.unreadable
    if kind is None:
        try:
            data = read_regular(f.abs_path)
        except Unreadable as exc:
            kind = exc.kind
        else:
            return data, hashlib.sha256(data).hexdigest(), None
    return None, _stable_sha(kind, f.link), unreadable_rejection(f.path, kind)


def partition_dir(landing: Path, contract: Contract, partition_key: str) -> Path:
    return landing / contract.landing_dir.format(**{contract.partition: partition_key})


def _link_kind(landing: Path, p: Path) -> str:
    if not p.exists():  # follows the link: False when it points at nothing
        return "dangling_symlink"
    try:
        p.resolve().relative_to(landing.resolve())
    except ValueError:
        return "symlink_outside"
    return "symlink"


def _entry(landing: Path, p: Path) -> LandingFile:
    """A listed entry, described without following it (lstat)."""
    rel = p.relative_to(landing).as_posix()
    try:
        st = p.lstat()
    except OSError:
        return LandingFile(rel, p, 0, 0, unreadable="vanished")
    if stat.S_ISLNK(st.st_mode):
        try:
            link = os.readlink(p)
        except OSError:
            link = None
        return LandingFile(rel, p, 0, st.st_mtime_ns, _link_kind(landing, p), link)
    if not stat.S_ISREG(st.st_mode):
        return LandingFile(rel, p, 0, st.st_mtime_ns, unreadable="not_regular")
    return LandingFile(rel, p, st.st_size, st.st_mtime_ns)


def _real_dir(landing: Path, folder: Path) -> bool:
    """`folder` is a directory reached from landing/ without passing a symbolic link."""
    at = landing
    for part in folder.relative_to(landing).parts:
        at = at / part
        if at.is_symlink() or not at.is_dir():
            return False
    return True


def partition_files(landing: Path, contract: Contract, partition_key: str) -> list[LandingFile]:
    """Entries directly in the partition folder but sub-folders, sorted by path (the processing
    order). A partition folder that is (or lies under) a symbolic link holds nothing here: the
    landing sweep registers the link itself."""
    folder = partition_dir(landing, contract, partition_key)
    if not _real_dir(landing, folder):
        return []
    with os.scandir(folder) as entries:
        found = [
            _entry(landing, Path(e.path)) for e in entries if not e.is_dir(follow_symlinks=False)
        ]
    return sorted(found, key=lambda f: f.path)


def all_files(landing: Path) -> list[LandingFile]:
    """Every entry anywhere under landing/ (hidden ones too: every entry gets a registry row).

    Symbolic links to folders are entries themselves, never walked into (os.walk does not
    follow them, but lists them among the folders)."""
    if not landing.is_dir():
        return []
    out = []
    for root, dirs, files in os.walk(landing):
        linked = [d for d in dirs if (Path(root) / d).is_symlink()]
        out += [_entry(landing, Path(root) / f) for f in [*files, *linked]]
    return sorted(out, key=lambda f: f.path)


def owner(path: str, partitions: dict[str, set[str]]) -> tuple[Contract, str] | None:
    """(contract, partition key) whose partition folder holds `path` directly, if any.

    `partitions` maps source -> the partition keys Dagster knows for it; a folder outside them
    (an unknown round, say) belongs to no partition and is registered by the landing sweep.
    """
    parts = path.split("/")
    if len(parts) != 3:
        return None
    root, key, _name = parts
    for contract in all_contracts().values():
        if contract.landing_root == root and key in partitions.get(contract.source, set()):
            return contract, key
    return None
