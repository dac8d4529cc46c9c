"""A landing file before it is written: where it goes, how it is spelled, and what it holds."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from pipelines.contracts import load_contract
from pipelines.demo.defect_types import Defect
from pipelines.demo.tables import Table


@dataclass(frozen=True)
class Style:
    """How one file is written: language of headers and values, container and text conventions."""

    lang: str  # kk | ru
    kind: str  # xlsx | csv
    encoding: str = "utf-8"
    separator: str = ","
    date_format: str = "%Y-%m-%d"
    datetime_format: str = "%Y-%m-%d %H:%M:%S"
    decimal_comma: bool = False
    line_end: str = "\n"
    variant: int = 0  # which spelling variant (spellings.py) the exporting software uses

    @property
    def ext(self) -> str:
        return self.kind

    @property
    def label(self) -> str:
        """Short description for the manifest (xlsx, csv-cp1251-semicolon, …)."""
        if self.kind == "xlsx":
            return "xlsx"
        sep = "semicolon" if self.separator == ";" else "comma"
        return f"csv-{self.encoding.replace('-', '')}-{sep}"


def xlsx_style(lang: str, variant: int = 0) -> Style:
    return Style(lang=lang, kind="xlsx", variant=variant)


def cp1251_csv_style(variant: int = 0) -> Style:
    """Russian 1C/Excel-style export: Windows-1251, `;`, dd.mm.yyyy, decimal commas, CRLF."""
    return Style(
        lang="ru",
        kind="csv",
        encoding="cp1251",
        separator=";",
        date_format="%d.%m.%Y",
        datetime_format="%d.%m.%Y %H:%M:%S",
        decimal_comma=True,
        line_end="\r\n",
        variant=variant,
    )


def utf8_csv_style(lang: str, variant: int = 0) -> Style:
    return Style(lang=lang, kind="csv", variant=variant)


@dataclass
class OutFile:
    path: str  # relative to landing/
    source: str
    style: Style
    tables: dict[str, Table]  # contract sheet name -> table, in contract order
    post: str | None = None  # truncate | empty | utf16: damage applied after rendering
    round_id: str | None = None
    year: int | None = None
    college_bin: str | None = None
    version: int | None = None
    signed_at: datetime | None = None
    defects: list[Defect] = field(default_factory=list)


def landing_path(source: str, ext: str, **parts: object) -> str:
    """Path under landing/ from the contract's `landing_dir` and `file_name` templates."""
    c = load_contract(source)
    return f"{c.landing_dir.format(**parts)}/{c.file_name.format(ext=ext, **parts)}"
