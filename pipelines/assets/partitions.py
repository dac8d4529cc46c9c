"""Partitions shared by every asset: collection rounds and passport/CIS years.

Both come from sources/reference/calendar.csv, so adding a round to the calendar adds the
partition. A source contract names which of the two it is partitioned by (`partition: round_id |
year`); `edustat run` knows which keys have landing files (`keys_with_landing_files`).
"""

from __future__ import annotations

from pathlib import Path

from dagster import PartitionsDefinition, StaticPartitionsDefinition

from pipelines import reference
from pipelines.contracts import Contract, all_contracts
from pipelines.ingest.discovery import partition_dir

ROUND_IDS = reference.partition_keys()["round_id"]
YEARS = reference.partition_keys()["year"]

ROUND_PARTITIONS = StaticPartitionsDefinition(ROUND_IDS)
YEAR_PARTITIONS = StaticPartitionsDefinition(YEARS)
# Academic years (2024-2025) for assets published per academic year (the yearbook). Year Y of
# the passports/CIS describes academic year Y-(Y+1), whose register is that passport.
ACADEMIC_YEARS = sorted({r.academic_year for r in reference.calendar().values()})
ACADEMIC_YEAR_PARTITIONS = StaticPartitionsDefinition(ACADEMIC_YEARS)

# Which partitions definition each source is partitioned by (its contract's `partition` field).
_BY_CONTRACT_PARTITION = {"round_id": ROUND_PARTITIONS, "year": YEAR_PARTITIONS}


def partitions_of(source: str) -> StaticPartitionsDefinition:
    return _BY_CONTRACT_PARTITION[all_contracts()[source].partition]


def has_files(folder: Path) -> bool:
    return folder.is_dir() and any(p.is_file() for p in folder.iterdir())


def source_keys_with_landing_files(contract: Contract, landing: Path) -> list[str]:
    """The source's partition keys whose landing folder holds a file, in partition order."""
    return [
        key
        for key in partitions_of(contract.source).get_partition_keys()
        if has_files(partition_dir(landing, contract, key))
    ]


def keys_with_landing_files(
    partitions_def: PartitionsDefinition, landing: Path
) -> list[str] | None:
    """Keys of `partitions_def` with at least one file in a source's partition folder, in
    partition order; None when `partitions_def` is not one of ours (caller decides)."""
    if partitions_def == ACADEMIC_YEAR_PARTITIONS:
        # An academic year has data when its passport year (its register) has files.
        years = set(keys_with_landing_files(YEAR_PARTITIONS, landing) or [])
        return [k for k in ACADEMIC_YEARS if k[:4] in years]
    contracts = [c for s, c in all_contracts().items() if partitions_of(s) == partitions_def]
    if not contracts:
        return None
    keys = {k for c in contracts for k in source_keys_with_landing_files(c, landing)}
    return [k for k in partitions_def.get_partition_keys() if k in keys]
