"""The contract wording in the `dim_label` seed (dbt_project/seeds/dim_label.csv), generated.

A finding names its source, sheet and field; the packs and `marts.dim_label` show them in Kazakh and
Russian with the contract's own words (the source's title, the sheet's and the column's first
header). Those rows of the seed (kinds `source`, `sheet`, `field`) are rendered here from the
contracts, in their place in the file; every other row is written by hand. `edustat contracts`
writes them, and `--check` fails while the seed differs.
"""

from __future__ import annotations

import csv
import io

from pipelines.contracts import all_contracts
from pipelines.publishing.labels import SEED_FILE

PATH = SEED_FILE
KINDS = ("source", "sheet", "field")


def contract_rows() -> list[list[str]]:
    rows: list[list[str]] = []
    for source, contract in all_contracts().items():
        rows.append(["source", source, contract.title["kk"], contract.title["ru"]])
        for sheet in contract.sheets:
            rows.append(["sheet", sheet.name, sheet.title("kk"), sheet.title("ru")])
            rows += [
                ["field", f"{sheet.name}.{col.name}", col.header("kk"), col.header("ru")]
                for col in sheet.columns
            ]
    return rows


def render() -> str:
    """The seed with its contract rows replaced by the contracts' (where the first one was)."""
    rows = list(csv.reader(io.StringIO(PATH.read_text(encoding="utf-8"))))
    at = next((i for i, r in enumerate(rows) if r and r[0] in KINDS), len(rows))
    kept = [r for r in rows if not (r and r[0] in KINDS)]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(kept[:at] + contract_rows() + kept[at:])
    return out.getvalue()


def is_current() -> bool:
    return PATH.read_text(encoding="utf-8") == render()


def write() -> bool:
    """Rewrite the seed; True when it changed."""
    text = render()
    if PATH.read_text(encoding="utf-8") == text:
        return False
    PATH.write_text(text, encoding="utf-8")
    return True
