"""The copied sample a chaos run damages: its manifest, and deterministic, non-overlapping targets.

A target is a clean current NOBD file: the only file of its college in its round, `loaded` in the
manifest with no injected defect. Candidates are ordered by (college BIN, round); every mutation
takes the first candidate that fits it and whose college no earlier mutation used.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from chaos.book import PASSPORT, Book
from chaos.checks import Warehouse


def round_key(round_id: str) -> tuple[int, int]:
    year, season = round_id.split("-")
    return int(year), 0 if season == "spring" else 1


def passport_year(round_id: str) -> int:
    """Autumn YYYY and spring YYYY+1 belong to academic year YYYY-(YYYY+1), passport YYYY."""
    year, season = round_id.split("-")
    return int(year) if season == "autumn" else int(year) - 1


@dataclass(frozen=True)
class Target:
    college_bin: str
    round_id: str
    rel: str  # path relative to landing/
    path: Path
    signed_at: datetime
    language: str
    fmt: str

    @property
    def ext(self) -> str:
        return self.rel.rsplit(".", 1)[1]

    def rel_version(self, version: int, ext: str | None = None) -> str:
        return self.sibling(f"{self.college_bin}_{self.round_id}_v{version}.{ext or self.ext}")

    def sibling(self, name: str) -> str:
        return f"nobd/{self.round_id}/{name}"


class Sample:
    def __init__(self, home: Path, base: Warehouse | None = None) -> None:
        self.home = home
        self.landing = home / "landing"
        self.manifest: dict[str, Any] = json.loads((home / "manifest.json").read_text())
        self.base = base
        self.used: set[str] = set()
        self.rounds = sorted({f["round_id"] for f in self._nobd()}, key=round_key)
        self.candidates = self._clean_targets()

    def _nobd(self) -> list[dict[str, Any]]:
        return [f for f in self.manifest["files"] if f["source"] == "nobd_submission"]

    def _clean_targets(self) -> list[Target]:
        by_pair: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for f in self._nobd():
            by_pair.setdefault((f["college_bin"], f["round_id"]), []).append(f)
        targets = [
            self._target(files[0])
            for files in by_pair.values()
            if len(files) == 1 and files[0]["fate"] == "loaded" and not files[0]["defects"]
        ]
        return sorted(targets, key=lambda t: (t.college_bin, round_key(t.round_id)))

    def _target(self, f: dict[str, Any]) -> Target:
        return Target(
            college_bin=f["college_bin"],
            round_id=f["round_id"],
            rel=f["path"],
            path=self.landing / f["path"],
            signed_at=datetime.fromisoformat(f["signed_at"]),
            language=f["language"],
            fmt=f["format"],
        )

    # --- picking targets ----------------------------------------------------------------------

    def take(self, fits: Callable[[Target], bool] | None = None, fmt: str = "xlsx") -> Target:
        for t in self.candidates:
            if t.college_bin in self.used or t.fmt != fmt or (fits and not fits(t)):
                continue
            self.used.add(t.college_bin)
            return t
        raise LookupError("no unused clean target fits: raise the sample's scale")

    def take_pair(self, fits: Callable[[Target, Target], bool]) -> tuple[Target, Target]:
        """Two clean xlsx targets of different colleges in the same round."""
        free = [t for t in self.candidates if t.college_bin not in self.used and t.fmt == "xlsx"]
        for a in free:
            for b in free:
                if a.round_id == b.round_id and a.college_bin != b.college_bin and fits(a, b):
                    self.used.update((a.college_bin, b.college_bin))
                    return a, b
        raise LookupError("no unused pair of clean targets fits: raise the sample's scale")

    def take_college(self, fits: Callable[[dict[str, Any]], bool]) -> str:
        """Any unused college of the manifest (passport mutations), preferring those that fit."""
        free = sorted(
            (c for c in self.manifest["colleges"] if c["college_bin"] not in self.used),
            key=lambda c: (not fits(c), c["college_bin"]),
        )
        bin_ = free[0]["college_bin"]
        self.used.add(bin_)
        return str(bin_)

    def clean(self, college_bin: str, round_id: str) -> Target | None:
        for t in self.candidates:
            if (t.college_bin, t.round_id) == (college_bin, round_id):
                return t
        return None

    def previous_round(self, round_id: str) -> str | None:
        i = self.rounds.index(round_id)
        return self.rounds[i - 1] if i > 0 else None

    # --- ground truth and baseline ------------------------------------------------------------

    def status(self, college_bin: str, round_id: str) -> str | None:
        for s in self.manifest["submissions"]:
            if (s["college_bin"], s["round_id"]) == (college_bin, round_id):
                return str(s["status"])
        return None

    def deadline(self, t: Target) -> datetime:
        """The college's deadline in the baseline warehouse (90 days after signing if unknown)."""
        if self.base is not None:
            found = self.base.text(
                "select strftime(deadline_at, '%Y-%m-%dT%H:%M:%S')"
                " from marts.fct_dq_submission_status where college_bin = ? and round_id = ?",
                (t.college_bin, t.round_id),
            )
            if found and not found.startswith("error") and found != "NULL":
                return datetime.fromisoformat(found)
        return t.signed_at + timedelta(days=90)

    def iins(self) -> set[str]:
        return set(self.manifest["iins"])

    def passport_rel(self, year: int) -> str:
        return f"passports/{year}/passports_{year}.xlsx"

    def passport_years(self) -> list[int]:
        return sorted(int(p.name) for p in (self.landing / "passports").iterdir())

    def capacity(self, college_bin: str, year: int) -> int:
        book = Book(self.landing / self.passport_rel(year), PASSPORT)
        for r in book.rows("colleges"):
            if book.get("colleges", r, "college_bin") == college_bin:
                return int(book.get("colleges", r, "capacity"))
        raise LookupError(f"{college_bin} not in passport {year}")
