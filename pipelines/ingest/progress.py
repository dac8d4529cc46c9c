"""Per-file outcomes, published in-process so `edustat run` can draw progress and a summary.

The loader runs inside a Dagster step in the same process as the CLI (in_process_executor), so a
plain callback list is enough; with no subscriber it costs nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class FileEvent:
    source: str | None
    partition_key: str | None
    path: str
    outcome: str  # loaded | rejected | skipped
    rows: int = 0
    reason: str | None = None  # rejected: the registry reason (never holds a cell value)


Listener = Callable[[FileEvent], None]
_listeners: list[Listener] = []


def subscribe(listener: Listener) -> Callable[[], None]:
    _listeners.append(listener)
    return lambda: _listeners.remove(listener)


def publish(event: FileEvent) -> None:
    for listener in list(_listeners):
        listener(event)
