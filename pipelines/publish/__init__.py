"""Read-only snapshots of the warehouse: `published/<build time>/` and `published/current`."""

from pipelines.publish.snapshot import (
    CURRENT,
    DB_FILE,
    NothingPublishedError,
    PublishResult,
    current_database,
    current_dir,
    list_snapshots,
    publish_snapshot,
)

__all__ = [
    "CURRENT",
    "DB_FILE",
    "NothingPublishedError",
    "PublishResult",
    "current_database",
    "current_dir",
    "list_snapshots",
    "publish_snapshot",
]
