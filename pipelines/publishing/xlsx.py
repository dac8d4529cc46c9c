"""How every workbook of edustat is opened: the yearbook, its revisions report and the DQ packs.

Cell text is never turned into a formula, a link or a number: names and values come from
submissions, and «=1+1» or a URL in a college's file must stay inert text. The workbook's
`created` property is given by the caller from the data (never the clock), so the same data
gives the same file. Number formats: `pipelines.publishing.numbers.excel_format`.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import xlsxwriter
from xlsxwriter.workbook import Workbook

FONT = "DejaVu Sans"  # covers every Kazakh letter (ә ғ қ ң ө ұ ү һ і)


def new_workbook(path: Path, *, title: str, created: datetime, **properties: str) -> Workbook:
    wb = xlsxwriter.Workbook(
        str(path),
        {
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            # publications are small; temp files per XML part cost more than they save
            "in_memory": True,
        },
    )
    wb.set_properties(
        {"title": title, "author": "edustat", "created": created.replace(tzinfo=None), **properties}
    )
    return wb
