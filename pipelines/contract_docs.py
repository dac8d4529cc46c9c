"""Render the machine-readable source contracts into readable Markdown (docs/contracts/*.md).

The committed Markdown is generated; a test keeps it equal to what this module renders, so the YAML
stays the single definition.
"""

from __future__ import annotations

from pathlib import Path

from pipelines.contracts import Column, Contract, Sheet, all_contracts, common
from pipelines.settings import REPO_ROOT

DOCS_DIR = REPO_ROOT / "docs" / "contracts"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _rules(col: Column) -> str:
    parts = []
    if col.pii:
        parts.append(
            f"personal data ({col.pii}): stored only as `{col.name}_hash` + `{col.name}_valid`"
        )
    if col.allowed:
        parts.append("one of " + ", ".join(f"`{code}`" for code in col.allowed))
    if col.code_list:
        parts.append(f"must be a known {col.code_list} (sources/reference)")
    if col.min is not None or col.max is not None:
        low = "…" if col.min is None else col.min
        high = "…" if col.max is None else col.max
        parts.append(f"range {low}–{high}")
    if col.pattern:
        parts.append(f"pattern `{col.pattern}`")
    return "; ".join(parts)


def _sheet_md(sheet: Sheet) -> list[str]:
    req = "required" if sheet.required else "optional"
    lines = [
        f"### Sheet `{sheet.name}` ({req}) — {sheet.title('kk')} / {sheet.title('ru')}",
        "",
        sheet.description,
        "",
        f"Raw table: `raw.{sheet.raw_table}`."
        + (f" At most {sheet.max_rows} data row(s)." if sheet.max_rows else ""),
        "",
        "| column | type | required | headers kk | headers ru | rules | description |",
        "|---|---|---|---|---|---|---|",
    ]
    for c in sheet.columns:
        lines.append(
            f"| `{c.name}` | {c.type} | {'yes' if c.required else 'no'} | "
            f"{_cell(', '.join(c.headers.get('kk', [])))} | "
            f"{_cell(', '.join(c.headers.get('ru', [])))} | "
            f"{_cell(_rules(c))} | {_cell(c.description)} |"
        )
    value_cols = [c for c in sheet.columns if c.allowed]
    if value_cols:
        lines += ["", "Accepted spellings of coded values:", ""]
        for c in value_cols:
            for code, spellings in (c.allowed or {}).items():
                lines.append(f"- `{c.name}` = `{code}`: {', '.join(spellings)}")
    return [*lines, ""]


def render(contract: Contract) -> str:
    lines = [
        f"# {contract.title['en']} — {contract.title['kk']} / {contract.title['ru']}",
        "",
        f"Generated from `sources/contracts/{contract.source}.yml` by `edustat contracts`;"
        " do not edit.",
        "",
        f"- Landing folder: `landing/{contract.landing_dir}/`",
        f"- File name: `{contract.file_name}` (regex `{contract.file_regex}`)",
        f"- Formats: {', '.join(contract.formats)}",
        f"- Partition: `{contract.partition}`",
        "",
    ]
    csv = contract.formats.get("csv")
    if csv:
        lines += [
            f"CSV files: encodings {', '.join(csv['encodings'])}; separators "
            f"{' or '.join(repr(s) for s in csv['separators'])}; each sheet is a section that "
            f"starts with a line `{csv['section_marker']}<sheet name>`.",
            "",
        ]
    for sheet in contract.sheets:
        lines += _sheet_md(sheet)
    lineage = ", ".join(f"`{c['name']}`" for c in common()["lineage_columns"])
    lines += [f"Every raw row also carries the lineage columns {lineage}.", ""]
    return "\n".join(lines)


def stale_docs(out_dir: Path = DOCS_DIR) -> list[Path]:
    """Rendered files that differ from what the contracts give (or are missing)."""
    stale = []
    for source, contract in all_contracts().items():
        path = out_dir / f"{source}.md"
        if not path.exists() or path.read_text(encoding="utf-8") != render(contract):
            stale.append(path)
    return stale


def write_docs(out_dir: Path = DOCS_DIR) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for source, contract in all_contracts().items():
        path = out_dir / f"{source}.md"
        path.write_text(render(contract), encoding="utf-8")
        written.append(path)
    return written
