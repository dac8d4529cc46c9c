"""Dagster assets. Each module exports what it defines as module-level lists, which
pipelines/definitions.py collects: `assets`, and optionally `asset_checks`, `sensors`, `jobs`,
and a `resources` dict."""
