"""dbt's `raw` sources, generated from the contracts: one `_<folder>__sources.yml` beside each
folder's staging models (dbt_project/models/staging/<folder>/).

The raw layer is what the ingest writes: one table per contract sheet (folder: the source's landing
folder), the file registry (`registry/`) and the reference tables (`reference/`)
(pipelines/ingest/). Their dbt declaration is rendered here from the same definitions, like the
expectation suites and docs/contracts, so a new contract is a new dbt source without a hand edit.
All the files declare parts of the one dbt source `raw`. `edustat contracts` writes the files;
`edustat contracts --check` and tests/test_contracts.py fail while a committed file differs from
what this module renders.

dagster-dbt's default key of a source table, `<source>/<table>`, is the ingest's asset key
(`raw/<table>`), so Dagster orders dbt after the load; the tests on them run in the
`dbt_staging` build (pipelines/assets/warehouse.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from pipelines import reference
from pipelines.contracts import all_contracts, sources
from pipelines.ingest.reference import CODE_VALUES_TABLE, table_name
from pipelines.ingest.registry import STATUSES
from pipelines.settings import DBT_PROJECT_DIR

STAGING = DBT_PROJECT_DIR / "models" / "staging"
SCHEMA = "raw"
HEADER = """\
# Generated from sources/contracts/*.yml by `edustat contracts` (pipelines/dbt_sources.py): do
# not edit. The raw layer written by the ingest (pipelines/ingest); dagster-dbt keys each table
# `raw/<table>`, the ingest's asset key, so Dagster orders dbt after the load.
"""


def _table(
    name: str, description: str, columns: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    table: dict[str, Any] = {"name": name, "description": description}
    if columns:
        table["columns"] = columns
    return table


def _accepted(values: list[str]) -> dict[str, Any]:
    return {"accepted_values": {"arguments": {"values": values}}}


def _registry() -> dict[str, Any]:
    return _table(
        "landing_files",
        "The file registry, one row per file version ever seen. The data-quality step updates "
        "`status`.",
        [
            {
                "name": "file_id",
                "description": "Registry key of the file version.",
                "data_tests": ["unique", "not_null"],
            },
            {"name": "source", "data_tests": [_accepted(list(sources()))]},
            {"name": "status", "data_tests": ["not_null", _accepted(list(STATUSES))]},
        ],
    )


def _lineage_tests() -> list[dict[str, Any]]:
    """Every row of a sheet table comes from a registered file version."""
    relationship = {
        "relationships": {
            "arguments": {"to": f"source('{SCHEMA}', 'landing_files')", "field": "file_id"}
        }
    }
    return [
        {
            "name": "_file_id",
            "description": "Registry key of the file the row came from.",
            "data_tests": ["not_null", relationship],
        }
    ]


def _source(tables: list[dict[str, Any]], described: bool = False) -> dict[str, Any]:
    source: dict[str, Any] = {"name": SCHEMA, "schema": SCHEMA}
    if described:  # once, with the registry
        source["description"] = (
            "Typed rows of every contract sheet with lineage columns, the file registry and the "
            'reference tables, as loaded by the ingest (docs/ARCHITECTURE.md, "Raw layer"). No '
            "raw IIN: IIN columns arrive as `<name>_hash` and `<name>_valid`."
        )
    source["tables"] = tables
    return {"version": 2, "sources": [source]}


def sources_yaml() -> dict[str, dict[str, Any]]:
    """Staging folder -> its part of the `raw` source."""
    parts = {"registry": _source([_registry()], described=True)}
    for contract in all_contracts().values():
        parts[contract.group] = _source(
            [
                _table(
                    sheet.raw_table,
                    f"{contract.title['en']}, sheet `{sheet.name}`: {sheet.description}".strip(),
                    _lineage_tests(),
                )
                for sheet in contract.sheets
            ]
        )
    references = [
        _table(table_name(stem), f"sources/reference/{stem}.csv.") for stem in reference.FILES
    ]
    references.append(
        _table(
            CODE_VALUES_TABLE,
            "Every accepted spelling (normalised) of every `allowed` code in the contracts.",
        )
    )
    parts["reference"] = _source(references)
    return parts


def render() -> dict[Path, str]:
    return {
        STAGING / folder / f"_{folder}__sources.yml": HEADER
        + "\n"
        + yaml.safe_dump(part, sort_keys=False, allow_unicode=True, width=100)
        for folder, part in sources_yaml().items()
    }


def stale() -> list[Path]:
    return [
        path
        for path, text in render().items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]


def write() -> list[Path]:
    """Write the files that changed; return them."""
    changed = stale()
    texts = render()
    for path in changed:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(texts[path], encoding="utf-8")
    return changed
