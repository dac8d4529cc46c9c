"""`DIR/manifest.json`: every file written with its fate, expected findings and quarantined rows,
the timeliness of every expected college per round (with the acceptance policy's flags), the
indicators, and every IIN written.

Deterministic: lists are sorted, keys are sorted, no wall-clock value appears.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pipelines.demo.config import Options
from pipelines.demo.defect_types import Defect
from pipelines.demo.model import World
from pipelines.demo.truth import FileRecord, quarantined_rows

MANIFEST = "manifest.json"


def file_entry(rec: FileRecord) -> dict[str, Any]:
    return {
        "path": rec.path,
        "source": rec.source,
        "round_id": rec.round_id,
        "year": rec.year,
        "college_bin": rec.college_bin,
        "version": rec.version,
        "signed_at": rec.signed_at.isoformat() if rec.signed_at and rec.round_id else None,
        "format": rec.format,
        "language": rec.language,
        "size_bytes": rec.size,
        "sha256": rec.sha256,
        "fate": rec.fate,
        # Only findings of loaded, held-back and rejected files are reported.
        "defects": sorted(
            (_defect(rec, d) for d in rec.reported_defects),
            key=lambda d: (d["rule"], d["sheet"] or "", d["row"] or 0, d["field"] or ""),
        ),
        "quarantined_rows": [
            {"sheet": sheet, "row": rec.first_rows[sheet] + row}
            for sheet, row in sorted(quarantined_rows(rec.reported_defects, rec.source))
        ],
    }


def _defect(rec: FileRecord, d: Defect) -> dict[str, Any]:
    """Row as a person sees it: first data row of the sheet + 0-based index (ARCHITECTURE)."""
    row = None if d.row is None or d.sheet is None else rec.first_rows[d.sheet] + d.row
    return {
        "rule": d.rule,
        "severity": d.severity(rec.source),
        "sheet": d.sheet,
        "row": row,
        "field": d.field,
    }


def build(
    options: Options,
    world: World,
    records: list[FileRecord],
    submissions: list[dict[str, Any]],
    indicators: list[dict[str, Any]],
    iins: set[str],
) -> dict[str, Any]:
    return {
        "generator": "edustat demo-data",
        "seed": options.seed,
        "scale": options.scale,
        "years": f"{options.first_year}-{options.last_year}",
        "rounds": [r.round_id for r in world.rounds],
        "colleges": [
            {
                "college_bin": c.bin,
                "region_code": c.region,
                "name_kk": c.name_kk,
                "name_ru": c.name_ru,
                "opened_on": c.opened_on.isoformat(),
                "closed_on": c.closed_on.isoformat() if c.closed_on else None,
                "nobd_format": c.fmt,
                "nobd_language": c.lang,
            }
            for c in world.colleges
        ],
        "files": sorted((file_entry(r) for r in records), key=lambda f: f["path"]),
        "submissions": submissions,
        "indicators": indicators,
        "iins": sorted(iins),
    }


def write(out_dir: Path, manifest: dict[str, Any]) -> Path:
    path = out_dir / MANIFEST
    text = json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=1)
    path.write_text(text + "\n", encoding="utf-8")
    return path
