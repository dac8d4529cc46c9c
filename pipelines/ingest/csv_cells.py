"""CSV files: encoding, sections (`#<sheet>` lines), separator -> CellSheets.

A CSV file holds every sheet of its contract as a section: a line `#<sheet name>` followed by the
section's header row and data rows (docs/ARCHITECTURE.md). Real exports are UTF-8 or
Windows-1251, separated by `;` or `,`; row numbers are physical line numbers.

A section larger than a chunk is parsed in runs of whole lines (cells.CellSheet.rest), when its
lines are its rows: no quote, so no line break inside a field, and every run parsing to one row
a line (else it is parsed whole, as any section).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator

import polars as pl

from pipelines.contracts import normalise_label
from pipelines.ingest.cells import (
    HEAD_ROWS,
    CellSheet,
    Rejected,
    Unchunkable,
    is_blank,
    numbered,
    string_frame,
)

SEPARATORS = (";", ",")
# C0 control characters other than tab, LF, CR: never in a text export, always in binary junk.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def decode(data: bytes, path: str) -> tuple[str, str]:
    """Bytes -> (text, encoding). UTF-8 (BOM or not) first, then Windows-1251, else reject."""
    head = data[:4096]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head:
        raise Rejected(
            "structure.bad_encoding",
            path,
            "UTF-16 or binary content, expected UTF-8 or Windows-1251 text",
            kk="файл UTF-16 кодтауында немесе мәтін емес; UTF-8 не Windows-1251 мәтіні күтіледі",
            ru="файл в кодировке UTF-16 или не текстовый; ожидается текст UTF-8 или Windows-1251",
        )
    try:
        text, encoding = data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        try:
            text, encoding = data.decode("cp1251"), "cp1251"
        except UnicodeDecodeError:
            raise Rejected(
                "structure.bad_encoding",
                path,
                "neither UTF-8 nor Windows-1251 text",
                kk="мәтін кодтауы UTF-8 те, Windows-1251 де емес",
                ru="кодировка текста не UTF-8 и не Windows-1251",
            ) from None
    if _CONTROL.search(text):
        raise Rejected(
            "structure.bad_encoding",
            path,
            "control characters in text, neither UTF-8 nor Windows-1251",
            kk="мәтінде басқару таңбалары бар: кодтауы UTF-8 те, Windows-1251 де емес",
            ru="в тексте управляющие символы: кодировка не UTF-8 и не Windows-1251",
        )
    return text, encoding


def _marker(line: str) -> str | None:
    """'#students' / '"#Білім алушылар";;;' -> the section label; None for any other line."""
    s = line.strip().lstrip("\ufeff")
    if s.startswith('"#'):
        s = s.replace('"', "")
    if not s.startswith("#"):
        return None
    label = s[1:].rstrip(";, \t")
    # A '#' line that still holds separators is data that happens to start with '#'.
    if any(sep in label for sep in SEPARATORS) or not label.strip():
        return None
    return label.strip()


def split_sections(text: str) -> list[tuple[str, int, list[str]]]:
    """(label, line number of the first line after the marker, lines) per section, in order."""
    lines = text.replace("\r\n", "\n").split("\n")
    sections: list[tuple[str, int, list[str]]] = []
    for i, line in enumerate(lines):
        label = _marker(line)
        if label is not None:
            sections.append((label, i + 2, []))
        elif sections:
            sections[-1][2].append(line)
    return sections


def detect_separator(header_lines: Iterable[str], known_headers: set[str]) -> str:
    """The separator under which the header lines match the most contract headers.

    Counting characters is not enough: a header such as «Материалдық көмек, теңге» has a comma.
    """
    lines = [ln for ln in header_lines if ln.strip()]

    def score(sep: str) -> tuple[int, int]:
        matched = fields = 0
        for ln in lines:
            cells = next(csv.reader([ln], delimiter=sep), [])
            fields += len(cells)
            matched += sum(normalise_label(c) in known_headers for c in cells)
        return matched, fields

    return max(SEPARATORS, key=score)


def _parse(lines: list[str], sep: str) -> pl.DataFrame:
    return pl.read_csv(
        io.BytesIO("\n".join(lines).encode("utf-8")),
        separator=sep,
        has_header=False,
        infer_schema=False,
        truncate_ragged_lines=True,
        empty_string_is_null=True,
    )


def _section_frame(lines: list[str], first_line: int, sep: str) -> pl.DataFrame:
    if not lines:
        return string_frame([], [])
    try:
        df = _parse(lines, sep)
    except pl.exceptions.PolarsError:
        df = None  # e.g. a stray quote inside a field: the csv module below is more lenient
    if df is not None and df.height == len(lines):
        return numbered(df, first_line)
    # Quoted line breaks (rows no longer map 1:1 to lines) or a parse error: the csv module
    # counts physical lines itself.
    reader = csv.reader(io.StringIO("\n".join(lines)), delimiter=sep)
    rows, numbers = [], []
    start = 1
    for record in reader:
        rows.append([v if v != "" else None for v in record] if record else [])
        numbers.append(first_line + start - 1)
        start = reader.line_num + 1
    return string_frame(rows, numbers)


def _windows(lines: list[str], chunk_bytes: int) -> Iterator[tuple[int, int]]:
    """(start, stop) of runs of lines of about `chunk_bytes` characters, the first at least
    HEAD_ROWS lines."""
    start = size = 0
    for i, line in enumerate(lines):
        size += len(line) + 1
        if size >= chunk_bytes and (start or i + 1 >= HEAD_ROWS):
            yield start, i + 1
            start, size = i + 1, 0
    if start < len(lines):
        yield start, len(lines)


def _window_frame(
    lines: list[str], start: int, stop: int, first_line: int, sep: str
) -> pl.DataFrame:
    # The section's first line leads every run: polars takes the number of columns from the
    # first line, and must take it from the same line as for the whole section.
    head = lines[:1] if start else []
    try:
        df = _parse(head + lines[start:stop], sep)
    except pl.exceptions.PolarsError as exc:
        raise Unchunkable("a run of lines does not parse") from exc
    if df.height != len(head) + stop - start:
        raise Unchunkable("rows are not lines")  # the csv module's whole-section reading decides
    return numbered(df.slice(len(head)), first_line + start)


def _section(
    label: str, lines: list[str], first_line: int, sep: str, chunk_bytes: int | None
) -> CellSheet:
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    large = chunk_bytes is not None and sum(map(len, lines)) > chunk_bytes
    if large and not any('"' in line for line in lines):
        chunks = (
            _window_frame(lines, a, b, first_line, sep)
            for a, b in _windows(lines, chunk_bytes or 0)
        )
        try:
            frame = next(chunks)
            # Blank top lines would be judged (empty section, no header) without the rest.
            if not is_blank(frame):
                return CellSheet(label, frame, chunks)
        except Unchunkable:
            pass
    return CellSheet(label, _section_frame(lines, first_line, sep))


def read_csv_cells(
    data: bytes, path: str, known_headers: set[str], chunk_bytes: int | None = None
) -> tuple[list[CellSheet], str]:
    """All sections of a CSV file as CellSheets, and the encoding that decoded it. A section
    larger than `chunk_bytes` comes in chunks (CellSheet.rest); None: every section whole."""
    text, encoding = decode(data, path)
    sections = split_sections(text)
    if not sections:
        # Tolerate a single-sheet export without its marker line: the whole file is one section.
        sections = [("", 1, text.replace("\r\n", "\n").split("\n"))]
    header_lines = [next((ln for ln in lines if ln.strip()), "") for _, _, lines in sections]
    sep = detect_separator(header_lines, known_headers)
    try:
        sheets = [
            _section(label, lines, first, sep, chunk_bytes) for label, first, lines in sections
        ]
    except csv.Error:
        # csv's message can quote a line of the file (an IIN): say what is wrong, not that.
        raise Rejected(
            "structure.unreadable_file",
            path,
            "CSV cannot be parsed (a quote or separator is wrong)",
            kk="CSV файлын талдау мүмкін емес (тырнақшалар немесе бөлгіштер қате)",
            ru="CSV-файл не разбирается (ошибка в кавычках или разделителях)",
        ) from None
    return sheets, encoding
