"""Build the DQ report packs: `reports/dq/<round>/<region_code>/` and `.../national/`.

Each pack folder holds `report_kk.xlsx`, `report_ru.xlsx`, `report_kk.html`, `report_ru.html`.
A folder is written beside its target and swapped in whole, so a reader never sees half a pack
and a re-run replaces (never merges with) what was there.

A pack is a function of what it shows (the region's or the country's values read from the marts),
the labels and this code, so a pack whose inputs are the same as last time is not rendered again:
its files are hard-linked from the pack it replaces, if they are still the files that build wrote.
A round's digests (inputs, and each file's SHA-256) are kept in `reports/.dq-inputs/<round>.json`,
removed before the round's folder is swapped and written after, so a build that stops in between
renders everything next time. After a resubmission only the packs that show something else are
rendered.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from pipelines.digests import add_tree
from pipelines.i18n import LANGS, message
from pipelines.publishing.labels import Labels, Words
from pipelines.reports.html import write_page
from pipelines.reports.load import (
    RoundPacks,
    UnknownSelection,
    connect_readonly,
    load_round,
    rounds_with_data,
)
from pipelines.reports.tables import Document, national_document, region_document
from pipelines.reports.xlsx import write_workbook
from pipelines.settings import Home

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

NATIONAL = "national"
ROUND_DIR = re.compile(r"^\d{4}-(autumn|spring)$")
INPUTS_DIR = ".dq-inputs"  # beside dq/, whose every folder is a round
DocMaker = Callable[[Words], Document]
# The code a pack's bytes depend on besides its inputs: these packages' sources and templates.
_CODE = (Path(__file__).parent, Path(__file__).parent.parent / "publishing")


def dq_root(home: Home) -> Path:
    return home.reports / "dq"


def pack_files(lang: str) -> tuple[str, str]:
    return f"report_{lang}.xlsx", f"report_{lang}.html"


@dataclass(frozen=True)
class BuiltPack:
    round_id: str
    region_code: str  # a KATO code or "national"
    path: Path
    colleges: int  # expected colleges the pack covers
    findings: int


class Job(NamedTuple):
    info: BuiltPack
    make_doc: DocMaker
    inputs: DataclassInstance  # the values the document shows (RegionPack or NationalPack)


@dataclass(frozen=True)
class BuildSummary:
    packs: list[BuiltPack]
    seconds_reading: float
    seconds_writing: float
    reused: int = 0  # packs whose inputs had not changed: linked, not rendered

    @property
    def rounds(self) -> list[str]:
        return list(dict.fromkeys(p.round_id for p in self.packs))  # calendar order


def _code_digest() -> bytes:
    digest = hashlib.sha256()
    for root in _CODE:
        add_tree(digest, root, root.parent, skip={"__pycache__"})
    return digest.digest()


def _inputs_digest(inputs: DataclassInstance, labels: Labels, code: bytes) -> str:
    """The pack's values in a canonical form: JSON with sorted keys, sets sorted, dates and
    decimals as text. Not pickle: equal values can pickle to different bytes (a string shared
    by two fields is pickled once and referenced), so an unchanged pack looked changed."""

    def plain(value: object) -> object:
        return sorted(value) if isinstance(value, set | frozenset) else str(value)

    shown = {"values": asdict(inputs), "labels": sorted(labels.names.items())}
    text = json.dumps(shown, sort_keys=True, ensure_ascii=False, default=plain)
    return hashlib.sha256(code + text.encode()).hexdigest()


def _pack_names() -> list[str]:
    return [name for lang in LANGS for name in pack_files(lang)]


def _file_digests(folder: Path) -> dict[str, str] | None:
    """SHA-256 of each of the pack's files; None when one is missing."""
    paths = [folder / name for name in _pack_names()]
    if not all(p.is_file() for p in paths):
        return None
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def _reuse_pack(folder: Path, previous: Path, files: dict[str, str]) -> bool:
    """Link the previous pack's files into `folder` if they are still the `files` written."""
    if _file_digests(previous) != files:
        return False
    folder.mkdir(parents=True)
    for name in files:
        try:
            os.link(previous / name, folder / name)
        except OSError:  # a file system without hard links
            shutil.copy2(previous / name, folder / name)
    return True


def _render_pack(folder: Path, job: Job, labels: Labels) -> None:
    folder.mkdir(parents=True)
    for lang in LANGS:
        doc = job.make_doc(labels.words(lang))
        xlsx_name, html_name = pack_files(lang)
        write_workbook(doc, folder / xlsx_name)
        write_page(doc, folder / html_name)


def _inputs_file(home: Home, round_id: str) -> Path:
    return dq_root(home).parent / INPUTS_DIR / f"{round_id}.json"


class _Digests:
    """What one round's packs were made from and the files they are (`.dq-inputs/<round>.json`):
    pack -> {"inputs": digest, "files": {name: SHA-256}}."""

    def __init__(self, home: Home, round_id: str) -> None:
        self.path = _inputs_file(home, round_id)
        try:
            self.before: dict[str, dict] = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.before = {}
        self.after = dict(self.before)

    def files_if_same(self, pack: str, inputs: str) -> dict[str, str] | None:
        kept = self.before.get(pack) or {}
        return kept.get("files") if kept.get("inputs") == inputs else None

    def forget(self) -> None:
        """Before the packs change: a build that stops now leaves no digest to trust."""
        self.path.unlink(missing_ok=True)

    def save(self, keep: set[str] | None = None) -> None:
        """After the swap; `keep`: the packs the round still has (None: all known)."""
        kept = {k: v for k, v in self.after.items() if keep is None or k in keep}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(kept, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, self.path)


def _swap_in(staging: Path, target: Path) -> None:
    """Replace `target` by `staging` (both folders, same parent)."""
    old = target.with_name(f".{target.name}.old")
    if old.exists():
        shutil.rmtree(old)
    if target.exists():
        target.rename(old)
    staging.rename(target)
    if old.exists():
        shutil.rmtree(old)


def _staging_dir(target: Path) -> Path:
    staging = target.with_name(f".{target.name}.new")
    if staging.exists():
        shutil.rmtree(staging)  # left over from an interrupted build
    return staging


def _jobs(data: RoundPacks, region: str | None) -> list[Job]:
    round_id = data.national.round.round_id
    jobs: list[Job] = []
    for pack in data.regions:
        code = pack.region.code or ""
        if region in (None, code):
            info = BuiltPack(round_id, code, Path(code), pack.counts.expected, len(pack.findings))
            jobs.append(Job(info, lambda w, pack=pack: region_document(pack, w), pack))
    if region in (None, NATIONAL):
        national = data.national
        findings = sum(len(p.findings) for p in data.regions) + len(national.unassigned_findings)
        info = BuiltPack(round_id, NATIONAL, Path(NATIONAL), national.totals.expected, findings)
        jobs.append(Job(info, lambda w: national_document(national, w), national))
    return jobs


def _write_round(
    home: Home, data: RoundPacks, region: str | None, labels: Labels, code: bytes
) -> tuple[list[BuiltPack], int]:
    """The round's packs (all, or one region's), and how many of them were reused."""
    round_dir = dq_root(home) / data.national.round.round_id
    jobs = _jobs(data, region)
    digests = _Digests(home, data.national.round.round_id)
    digests.forget()
    reused = 0

    def write(folder: Path, job: Job, previous: Path) -> None:
        """Link the pack from `previous` when made from the same inputs, else render it."""
        nonlocal reused
        name = job.info.path.name
        inputs = _inputs_digest(job.inputs, labels, code)
        files = digests.files_if_same(name, inputs)
        if files is not None and _reuse_pack(folder, previous, files):
            reused += 1
        else:
            _render_pack(folder, job, labels)
            files = _file_digests(folder)
        digests.after[name] = {"inputs": inputs, "files": files}

    if region is None:
        # The whole round is staged and swapped in one step, which also drops packs of regions
        # that no longer have colleges in the round.
        staging = _staging_dir(round_dir)
        staging.mkdir(parents=True)
        for job in jobs:
            write(staging / job.info.path, job, round_dir / job.info.path)
        _swap_in(staging, round_dir)
        digests.save(keep={job.info.path.name for job in jobs})
    else:
        round_dir.mkdir(parents=True, exist_ok=True)
        for job in jobs:
            target = round_dir / job.info.path
            work = _staging_dir(target)
            write(work, job, target)
            _swap_in(work, target)
        digests.save()
    return [replace(job.info, path=round_dir / job.info.path) for job in jobs], reused


def _check_region(data: RoundPacks, region: str) -> None:
    codes = [p.region.code or "" for p in data.regions]
    if region != NATIONAL and region not in codes:
        raise UnknownSelection(
            message(
                "region_unknown",
                round_id=data.national.round.round_id,
                region=region,
                available=", ".join([*codes, NATIONAL]),
            )
        )


def _drop_stale_rounds(home: Home, keep: set[str]) -> None:
    """Packs of rounds the warehouse no longer has would contradict it: remove them."""
    root = dq_root(home)
    if not root.exists():
        return
    for child in root.iterdir():
        if child.is_dir() and ROUND_DIR.match(child.name) and child.name not in keep:
            shutil.rmtree(child)
            _inputs_file(home, child.name).unlink(missing_ok=True)


def build_packs(home: Home, round_id: str | None = None, region: str | None = None) -> BuildSummary:
    """Build packs for one round (or every round with data), all regions or one.

    Raises WarehouseNotReady / UnknownSelection with a kk/ru/en message.
    """
    started = time.perf_counter()
    with connect_readonly(home.warehouse) as con:
        rounds = [round_id] if round_id else rounds_with_data(con)
        loaded = [load_round(con, r) for r in rounds]
        labels = Labels.read(con)
    read_done = time.perf_counter()

    if region is not None:
        for data in loaded:
            _check_region(data, region)
    dq_root(home).mkdir(parents=True, exist_ok=True)
    packs: list[BuiltPack] = []
    reused = 0
    code = _code_digest()
    for data in loaded:
        written, kept = _write_round(home, data, region, labels, code)
        packs += written
        reused += kept
    if round_id is None and region is None:
        _drop_stale_rounds(home, set(rounds))
    return BuildSummary(packs, read_done - started, time.perf_counter() - read_done, reused)
