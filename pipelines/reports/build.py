"""Build the DQ report packs: `reports/dq/<round>/<region_code>/` and `.../national/`.

Each pack folder holds `report_kk.xlsx`, `report_ru.xlsx`, `report_kk.html`, `report_ru.html`.
A folder is written beside its target and swapped in whole, so a reader never sees half a pack
and a re-run replaces (never merges with) what was there.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

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

NATIONAL = "national"
ROUND_DIR = re.compile(r"^\d{4}-(autumn|spring)$")
DocMaker = Callable[[Words], Document]


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


@dataclass(frozen=True)
class BuildSummary:
    packs: list[BuiltPack]
    seconds_reading: float
    seconds_writing: float

    @property
    def rounds(self) -> list[str]:
        return list(dict.fromkeys(p.round_id for p in self.packs))  # calendar order


def _write_pack(folder: Path, make_doc: DocMaker, labels: Labels) -> None:
    folder.mkdir(parents=True)
    for lang in LANGS:
        doc = make_doc(labels.words(lang))
        xlsx_name, html_name = pack_files(lang)
        write_workbook(doc, folder / xlsx_name)
        write_page(doc, folder / html_name)


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


def _jobs(data: RoundPacks, region: str | None) -> list[tuple[BuiltPack, DocMaker]]:
    round_id = data.national.round.round_id
    jobs: list[tuple[BuiltPack, DocMaker]] = []
    for pack in data.regions:
        code = pack.region.code or ""
        if region in (None, code):
            info = BuiltPack(round_id, code, Path(code), pack.counts.expected, len(pack.findings))
            jobs.append((info, lambda w, pack=pack: region_document(pack, w)))
    if region in (None, NATIONAL):
        national = data.national
        findings = sum(len(p.findings) for p in data.regions) + len(national.unassigned_findings)
        info = BuiltPack(round_id, NATIONAL, Path(NATIONAL), national.totals.expected, findings)
        jobs.append((info, lambda w: national_document(national, w)))
    return jobs


def _write_round(
    home: Home, data: RoundPacks, region: str | None, labels: Labels
) -> list[BuiltPack]:
    round_dir = dq_root(home) / data.national.round.round_id
    jobs = _jobs(data, region)
    if region is None:
        # The whole round is staged and swapped in one step, which also drops packs of regions
        # that no longer have colleges in the round.
        staging = _staging_dir(round_dir)
        for info, make_doc in jobs:
            _write_pack(staging / info.path, make_doc, labels)
        _swap_in(staging, round_dir)
    else:
        round_dir.mkdir(parents=True, exist_ok=True)
        for info, make_doc in jobs:
            target = round_dir / info.path
            work = _staging_dir(target)
            _write_pack(work, make_doc, labels)
            _swap_in(work, target)
    return [replace(info, path=round_dir / info.path) for info, _ in jobs]


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
    for data in loaded:
        packs += _write_round(home, data, region, labels)
    if round_id is None and region is None:
        _drop_stale_rounds(home, set(rounds))
    return BuildSummary(packs, read_done - started, time.perf_counter() - read_done)
