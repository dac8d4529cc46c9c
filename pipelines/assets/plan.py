"""Which runs materialise everything in the Definitions, and in which order (`edustat run`).

- Partitioned assets, grouped by partitions definition: only keys with files under landing/;
  contiguous keys become one run over a key range when every asset of the group allows it
  (BackfillPolicy.single_run), else one run per key. Groups run in dependency order.
- Unpartitioned assets (reference, the landing sweep, and later dbt, quality, reports,
  publish): one run at the end, in which Dagster orders them by their dependencies.
- Partitioned assets downstream of that run's products (the yearbook per academic year reads
  the marts): after it, so they see the warehouse this very `edustat run` built.
- Unpartitioned assets downstream of those (`published_snapshot` depends on every leaf, the
  yearbook included): one last run after them, so `published/current` switches only once the
  yearbook is built, and a failed yearbook publishes nothing (`edustat run` stops at the first
  failed run).
- Asset checks run with the definition that executes them: a partitioned run takes only the
  checks of its own assets' ops. Checks on partitioned assets computed by an unpartitioned op
  (dbt's tests of the `raw` sources, executed by `dbt_staging`) get one checks-only run after
  all partitioned loads: otherwise every ingest run would start dbt to test tables it has not
  finished loading, and in the unpartitioned run Dagster would split the dbt ops around them.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dagster import AssetCheckKey, AssetKey, Definitions, PartitionsDefinition

from pipelines.assets.partitions import keys_with_landing_files


@dataclass(frozen=True)
class PlannedRun:
    label: str
    asset_keys: tuple[AssetKey, ...]
    partition_keys: tuple[str, ...] = ()  # () = unpartitioned; several = one range run
    note: str = ""
    check_keys: tuple[AssetCheckKey, ...] = ()

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


def _check_owners(graph: Any) -> dict[AssetCheckKey, frozenset[AssetKey]]:
    """check -> the assets materialised by the definition that executes it (a standalone check:
    its target), so a check can follow its op into the right run."""
    owners: dict[AssetCheckKey, frozenset[AssetKey]] = {}
    for assets_def in graph.assets_defs:
        for check in assets_def.check_keys:
            owners[check] = frozenset(assets_def.keys) or frozenset({check.asset_key})
    return owners


def plan_runs(defs: Definitions, landing: Path) -> list[PlannedRun]:
    graph = defs.resolve_asset_graph()
    owners = _check_owners(graph)
    assigned: set[AssetCheckKey] = set()
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
        checks = tuple(sorted((c for c, o in owners.items() if o <= set(keys)), key=str))
        assigned.update(checks)
        for chunk in chunks:
            span = chunk[0] if len(chunk) == 1 else f"{chunk[0]} … {chunk[-1]}"
            planned = PlannedRun(
                f"{groups_label} [{span}]", tuple(keys), tuple(chunk), note, checks
            )
            (after if late else runs).append(planned)
    # Unpartitioned assets that read a late partitioned group (publishing reads the yearbook):
    # a run of their own at the very end.
    late_keys = {k for planned in after for k in planned.asset_keys}
    tail = [k for k in unpartitioned if late_keys and _ancestors(graph, k) & late_keys]
    unpartitioned = [k for k in unpartitioned if k not in tail]
    tail_checks = tuple(sorted((c for c, o in owners.items() if o <= set(tail)), key=str))
    assigned.update(tail_checks)
    if unpartitioned:
        groups_label = ", ".join(
            sorted({graph.get(k).group_name or "default" for k in unpartitioned})
        )
        rest = [c for c in owners if c not in assigned]
        on_partitioned = tuple(
            sorted((c for c in rest if graph.get(c.asset_key).partitions_def is not None), key=str)
        )
        if on_partitioned:
            targets = sorted(
                {graph.get(c.asset_key).group_name or "default" for c in on_partitioned}
            )
            runs.append(
                PlannedRun(f"checks of {', '.join(targets)}", (), check_keys=on_partitioned)
            )
        final_checks = tuple(sorted((c for c in rest if c not in on_partitioned), key=str))
        runs.append(PlannedRun(groups_label, tuple(unpartitioned), check_keys=final_checks))
    if tail:
        label = ", ".join(sorted({graph.get(k).group_name or "default" for k in tail}))
        after.append(PlannedRun(label, tuple(tail), check_keys=tail_checks))
    return runs + after
