"""What under landing/ the file registry has not taken in yet, per ingest job and partition.

The registry (raw.landing_files) is the one record of what is done, whoever ran the ingest:
`edustat run`, a run launched from the UI or by the landing sensor. A group (job, partition) needs
a run when a file in it is a version the registry has not seen present (a new file, new bytes at a
known path, a superseded version put back), or when a version the registry counts as current
(`loaded`, `held_back`) is no longer there. A file put back exactly as it was, or a folder the
registry already describes, needs nothing: the ingest would skip every file of it.

Checksums are what the registry keys versions by, so every file is hashed; the hash of a file
whose size and modification time have not changed is remembered in this process (the code server
of `dagster dev` lives as long as the UI), so a quiet landing/ costs a directory walk per tick.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines.ingest.discovery import LandingFile, all_files, fingerprint, owner
from pipelines.ingest.registry import REGISTRY

Group = tuple[str, str]  # (job name, partition key or '' for the landing sweep)
CURRENT = ("loaded", "held_back")

_hash_memo: dict[tuple[str, int, int, str | None, str | None], str] = {}


class WarehouseBusy(Exception):
    """Another process holds the warehouse's writer lock (a run is writing): ask again later."""


@dataclass
class RegistryView:
    """Per registered version: whether the registry treats it as present now."""

    present: set[tuple[str, str]] = field(default_factory=set)  # (path, sha256) seen present
    current: dict[tuple[str, str], tuple[str | None, str | None]] = field(default_factory=dict)
    # (path, sha256) of `loaded`/`held_back` versions -> (source, partition key)
    generation: dict[tuple[str | None, str | None], str] = field(default_factory=dict)
    # (source, partition key) -> digest of its rows: changes whenever a run changed anything


def _sha(f: LandingFile) -> str:
    key = (f.path, f.size, f.mtime_ns, f.unreadable, f.link)
    sha = _hash_memo.get(key)
    if sha is None:
        _data, sha, _rejected = fingerprint(f)  # an unreadable entry gets its stable stand-in
        _hash_memo[key] = sha
    return sha


def landing_versions(
    landing: Path, partitions: dict[str, set[str]], job_of_source: dict[str, str], sweep_job: str
) -> dict[Group, dict[str, str]]:
    """(job, partition) -> {path: sha256} of every entry under landing/ now."""
    groups: dict[Group, dict[str, str]] = defaultdict(dict)
    for f in all_files(landing):
        found = owner(f.path, partitions)
        group = (job_of_source[found[0].source], found[1]) if found else (sweep_job, "")
        groups[group][f.path] = _sha(f)
    return dict(groups)


def read_registry(warehouse: Path) -> RegistryView:
    """The registry as it is now; empty when there is no warehouse or no registry yet."""
    view = RegistryView()
    if not warehouse.exists():
        return view
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.IOException as exc:  # "Could not set lock on file": a run is writing
        raise WarehouseBusy(str(exc).splitlines()[0]) from None
    with con:
        try:
            rows = con.execute(
                f"SELECT path, sha256, status, is_present, source, partition_key, file_id "
                f"FROM {REGISTRY} ORDER BY file_id"
            ).fetchall()
        except duckdb.CatalogException:  # a warehouse without a registry yet
            return view
    generations: dict[tuple[str | None, str | None], hashlib._Hash] = {}
    for path, sha, status, is_present, source, key, file_id in rows:
        # A rejected version never changes; put back or not, the ingest has nothing to do.
        if is_present or status == "rejected":
            view.present.add((path, sha))
        if status in CURRENT:
            view.current[(path, sha)] = (source, key)
        digest = generations.setdefault((source, key), hashlib.sha256())
        digest.update(f"{file_id}\t{status}\t{is_present}\n".encode())
    view.generation = {k: d.hexdigest()[:12] for k, d in generations.items()}
    return view


def pending_groups(
    landing_now: dict[Group, dict[str, str]],
    registry: RegistryView,
    group_of_partition: dict[tuple[str | None, str | None], Group],
) -> dict[Group, str]:
    """(job, partition) -> a key naming exactly this change, for every group that needs a run.

    The key is the digest of the change plus the group's registry generation: the same pending
    change is requested once (Dagster skips a run key it has seen), and the same change after a
    run that did not take it in (say, that run failed) is a new key, so it is tried again."""
    changes: dict[Group, list[str]] = defaultdict(list)
    generation: dict[Group, str] = {}
    for (source, key), gen in registry.generation.items():
        group = group_of_partition.get((source, key))
        if group is not None:
            generation[group] = generation.get(group, "") + gen
    for group, files in landing_now.items():
        for path, sha in files.items():
            if (path, sha) not in registry.present:
                changes[group].append(f"+{path}\t{sha}")
    here = {(p, s) for files in landing_now.values() for p, s in files.items()}
    for version, partition in registry.current.items():
        if version not in here:
            group = group_of_partition.get(partition)
            if group is not None:
                changes[group].append(f"-{version[0]}\t{version[1]}")
    return {
        group: hashlib.sha256(
            ("\n".join(sorted(lines)) + "\n" + generation.get(group, "")).encode()
        ).hexdigest()[:20]
        for group, lines in changes.items()
    }


def partitions_to_ingest(
    landing: Path, warehouse: Path, partitions: dict[str, set[str]]
) -> tuple[set[tuple[str, str]], Counter[str]]:
    """(source, partition key) groups whose files the ingest has something to do with
    (`pending_groups`), and per source the files of the other groups, which it would skip one by
    one. WarehouseBusy when a run holds the warehouse."""
    registry = read_registry(warehouse)
    now = landing_versions(landing, partitions, {s: s for s in partitions}, "")
    groups = {(s, k): (s, k) for s, keys in partitions.items() for k in keys}
    pending = set(pending_groups(now, registry, groups))
    unchanged: Counter[str] = Counter()
    for (source, key), files in now.items():
        if key and (source, key) not in pending:
            unchanged[source] += len(files)
    return pending, unchanged
