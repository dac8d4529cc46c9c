"""`edustat contracts`: render the source contracts into readable Markdown."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    @app.command("contracts")
    def contracts(
        out: Annotated[
            Path | None, typer.Option(help="Output folder (default docs/contracts).")
        ] = None,
    ) -> None:
        """Render sources/contracts/*.yml into docs/contracts/*.md."""
        from pipelines.contract_docs import DOCS_DIR, write_docs

        for path in write_docs(out or DOCS_DIR):
            typer.echo(f"wrote {path}")
