"""What `edustat run` shows while it works: one line per step, in the step's own words.

The ingest has a file bar ("Reading files 312 of 1,555", fed by pipelines.ingest.progress); every
other step gets its own line when Dagster starts it ("Marts and indicators (dbt) 23 of 61
models"), advanced by the step's materialisations and marked done or failed with its seconds.
Dagster's events reach us through `DagsterInstance.add_event_listener`: the runs execute in this
process, and the listener is called as each event is stored.

Every line printed here is also written to the run's log, so the log and the screen agree.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipelines.cli.words import say
from pipelines.contracts import all_contracts

if TYPE_CHECKING:
    from dagster import Definitions
    from rich.progress import Progress, TaskID


log = logging.getLogger("edustat.run")

# Step key (the op's name) -> the words key of pipelines/cli/words.py. Ingest steps have the
# file bar instead of a line of their own.
STEP_WORDS = {
    "reference": "step_reference",
    "raw__landing_files": "step_register",
    "dbt_staging": "step_dbt_staging",
    "dq_findings": "step_checks",
    "dbt_marts": "step_dbt_marts",
    "dq_report_packs": "step_packs",
    "published_snapshot": "step_publish",
    "yearbook": "step_yearbook",
}
# Ingest step (pipelines/assets/ingest.py) -> its source; the file bar stands for them in a run.
INGEST_STEPS = {c.asset_name: source for source, c in all_contracts().items()}
_UNIT = {"dbt_staging": "models_word", "dbt_marts": "models_word"}


def step_label(step_key: str, lang: str, partition: str | None = None) -> str:
    if step_key in INGEST_STEPS:
        return f"{say('step_ingest', lang)}: {say(INGEST_STEPS[step_key], lang)}"
    words = say(STEP_WORDS.get(step_key, "step_other"), lang)
    if step_key not in STEP_WORDS:
        words = f"{words} {step_key}"
    return f"{words} {partition}" if partition else words


def models_per_step(defs: Definitions, job_name: str) -> Counter[str]:
    """Step key -> how many of the job's assets it materialises (the line's total)."""
    job = defs.resolve_job_def(job_name)
    totals: Counter[str] = Counter()
    for key in job.asset_layer.selected_asset_keys:
        totals[defs.resolve_assets_def(key).op.name] += 1
    return totals


@dataclass
class StepLines:
    """Rich progress lines of the steps of the runs of one `edustat run`."""

    bar: Progress
    lang: str
    totals: Counter[str] = field(default_factory=Counter)
    tasks: dict[str, TaskID] = field(default_factory=dict)
    outputs: dict[str, list[str]] = field(default_factory=dict)  # step -> paths it reported
    partition: str | None = None

    def begin_run(self, totals: Counter[str], partition: str | None) -> None:
        self.totals, self.partition, self.tasks = totals, partition, {}

    def on_event(self, entry: Any) -> None:  # dagster EventLogEntry
        # Called from inside Dagster's event handling: a display problem must never fail a run.
        try:
            self._on_event(entry)
        except Exception:
            log.debug("progress display failed on an event", exc_info=True)

    def _on_event(self, entry: Any) -> None:
        event = entry.dagster_event
        step = entry.step_key or (event.step_key if event else None)
        if event is None or step is None or step in INGEST_STEPS:
            return
        kind = event.event_type_value
        if kind == "STEP_START":
            total = self.totals.get(step) if step in _UNIT else None
            label = step_label(step, self.lang, self.partition if step == "yearbook" else None)
            self.tasks[step] = self.bar.add_task(label, total=total)
            log.info("%s …", label)
        elif kind == "ASSET_MATERIALIZATION" and step in self.tasks:
            self.bar.advance(self.tasks[step])
            path = _path_of(event)
            if path:
                self.outputs.setdefault(step, []).append(path)
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE") and step in self.tasks:
            self._finish(step, kind == "STEP_SUCCESS", event)

    def _finish(self, step: str, ok: bool, event: Any) -> None:
        task = self.tasks[step]
        seconds = getattr(event.event_specific_data, "duration_ms", None)
        label = self.bar.tasks[task].description
        mark = say("done", self.lang) if ok else say("failed", self.lang)
        shown = f"{label} — {mark}"
        if seconds is not None:
            shown += f" ({say('seconds', self.lang, seconds=seconds / 1000)})"
        colour = "green" if ok else "red"
        done = self.bar.tasks[task].total or self.bar.tasks[task].completed or 1
        self.bar.update(task, description=f"[{colour}]{shown}[/{colour}]", total=done)
        self.bar.update(task, completed=done)
        self.bar.stop_task(task)
        (log.info if ok else log.error)("%s", shown)


def _path_of(event: Any) -> str | None:
    materialization = getattr(event.event_specific_data, "materialization", None)
    value = materialization.metadata.get("path") if materialization else None
    return str(value.value) if value is not None else None


def existing(paths: list[str]) -> list[Path]:
    return [Path(p) for p in dict.fromkeys(paths) if Path(p).exists()]
