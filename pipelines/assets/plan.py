"""Which runs materialise everything in the Definitions, and in which order (`edustat run`).

- Partitioned assets, grouped by partitions definition: only keys with files under landing/;
  contiguous keys become one run over a key range when every asset of the group allows it
  (BackfillPolicy.single_run), else one run per key. Groups run in dependency order.
- Unpartitioned assets (reference, the landing sweep, and later dbt, quality, reports,
  publish): one run at the end, in which Dagster orders them by their dependencies.
- Partitioned assets downstream of that run's products (the yearbook per academic year reads
  the marts): after it, so they see the warehouse this very `edustat run` built.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dagster import AssetKey, Definitions, PartitionsDefinition

from pipelines.assets.partitions import keys_with_landing_files


@dataclass(frozen=True)
class PlannedRun:
    label: str
    asset_keys: tuple[AssetKey, ...]
    partition_keys: tuple[str, ...] = ()  # () = unpartitioned; several = one range run
    note: str = ""

    @property
    def is_range(self) -> bool:
        return len(self.partition_keys) > 1


def _contiguous(keys: list[str], order: list[str]) -> list[list[str]]:
    """['a','b','d'] in order a,b,c,d -> [['a','b'], ['d']]."""
    position = {k: i for i, k in enumerate(order)}
    runs: list[list[str]] = []
    for k in sorted(keys, key=position.__getitem__):
        if runs and position[k] == position[runs[-1][-1]] + 1:
            runs[-1].append(k)
        else:
            runs.append([k])
    return runs


def _ancestors(graph: Any, key: AssetKey) -> set[AssetKey]:  # Dagster's (internal) AssetGraph
    seen: set[AssetKey] = set()
    todo = list(graph.get(key).parent_keys)
    while todo:
        k = todo.pop()
        if k not in seen and graph.has(k):
            seen.add(k)
            todo.extend(graph.get(k).parent_keys)
    return seen


def plan_runs(defs: Definitions, landing: Path) -> list[PlannedRun]:
    graph = defs.resolve_asset_graph()
    order = list(graph.toposorted_asset_keys)
    materializable = [k for k in order if graph.get(k).is_materializable]
    groups: dict[PartitionsDefinition, list[AssetKey]] = {}
    unpartitioned: list[AssetKey] = []
    for key in materializable:
        pdef = graph.get(key).partitions_def
        if pdef is None:
            unpartitioned.append(key)
        else:
            groups.setdefault(pdef, []).append(key)
    # Unpartitioned assets built from partitioned ones (dbt over the ingest): a partitioned group
    # that reads any of them must wait for the final unpartitioned run.
    built_late = {
        k
        for k in unpartitioned
        if any(graph.get(a).partitions_def is not None for a in _ancestors(graph, k))
    }
    runs: list[PlannedRun] = []
    after: list[PlannedRun] = []
    for pdef, keys in groups.items():  # insertion order = topological order of first asset
        all_keys = list(pdef.get_partition_keys())
        with_files = keys_with_landing_files(pdef, landing)
        note = ""
        if with_files is None:
            with_files, note = all_keys, "partitions not tied to landing/: every key"
        single = all(
            # single_run() is the policy without a cap on partitions per run
            (p := graph.get(k).backfill_policy) is not None and p.max_partitions_per_run is None
            for k in keys
        )
        chunks = _contiguous(with_files, all_keys) if single else [[k] for k in with_files]
        groups_label = ", ".join(sorted({graph.get(k).group_name or "default" for k in keys}))
        late = any(_ancestors(graph, k) & built_late for k in keys)
        for chunk in chunks:
            span = chunk[0] if len(chunk) == 1 else f"{chunk[0]} … {chunk[-1]}"
            planned = PlannedRun(f"{groups_label} [{span}]", tuple(keys), tuple(chunk), note)
            (after if late else runs).append(planned)
    if unpartitioned:
        groups_label = ", ".join(
            sorted({graph.get(k).group_name or "default" for k in unpartitioned})
        )
        runs.append(PlannedRun(groups_label, tuple(unpartitioned)))
    return runs + after
