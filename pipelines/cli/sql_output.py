"""`edustat sql` output that streams: CSV, Excel CSV, JSON, JSON lines and Parquet.

A query's result is read as Arrow record batches from DuckDB's streaming result
(`DuckDBPyRelation.to_arrow_reader`), and each batch is written out before the next is fetched,
so memory stays flat whatever the number of rows: 5 million rows cost what 100 do (measured in
tests/test_sql_streaming.py). Files are written by this process, not by DuckDB's COPY: the
snapshot connection may forbid DuckDB any file access of its own.

`--excel` is CSV the way Excel opens it in a Kazakh or Russian locale: UTF-8 with a byte-order
mark (without one Excel reads Cyrillic as cp1251 mojibake), `;` between fields, decimal comma,
CRLF line ends.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, BinaryIO

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

BATCH_ROWS = 65_536
UTF8_BOM = b"\xef\xbb\xbf"


def _textual(column: pa.ChunkedArray | pa.Array, excel: bool) -> pa.Array | pa.ChunkedArray:
    """A column as the CSV shows it: nested values as JSON, timestamps to the second (as Python
    prints them), and in Excel CSV floats and decimals with a decimal comma."""
    kind = column.type
    if pa.types.is_nested(kind):
        return pa.array(
            [None if v is None else json.dumps(json_value(v), ensure_ascii=False)
             for v in column.to_pylist()],
            pa.string(),
        )  # fmt: skip
    if pa.types.is_timestamp(kind) and kind.tz is None:
        return pc.strftime(column, format="%Y-%m-%d %H:%M:%S")
    if excel and (pa.types.is_floating(kind) or pa.types.is_decimal(kind)):
        return pc.replace_substring(pc.cast(column, pa.string()), ".", ",")
    if pa.types.is_duration(kind) or pa.types.is_interval(kind) or pa.types.is_binary(kind):
        return pa.array([None if v is None else str(v) for v in column.to_pylist()], pa.string())
    return column


def _for_csv(batch: pa.RecordBatch, excel: bool) -> pa.RecordBatch:
    columns = [_textual(batch.column(i), excel) for i in range(batch.num_columns)]
    return pa.RecordBatch.from_arrays(columns, names=batch.schema.names)


def _csv_bytes(batch: pa.RecordBatch, delimiter: str, eol: str) -> bytes:
    """One batch as CSV. Quoted only when a value needs it, as the csv module (and every reader)
    does: Arrow's "needed" style would quote every string, so a batch is written unquoted unless
    Arrow finds a value with a delimiter, quote or line break in it."""
    for quoting in ("none", "needed"):
        options = pa_csv.WriteOptions(
            include_header=False, delimiter=delimiter, quoting_style=quoting, eol=eol
        )
        buffer = io.BytesIO()
        try:
            pa_csv.write_csv(batch, buffer, options)
        except pa.ArrowInvalid:  # a value that must be quoted: this batch quotes its strings
            continue
        return buffer.getvalue()
    raise AssertionError("unreachable: quoting 'needed' accepts every value")


def write_csv(batches: pa.RecordBatchReader, out: BinaryIO, excel: bool = False) -> int:
    """CSV of every batch; returns the number of rows written."""
    delimiter, eol = (";", "\r\n") if excel else (",", "\n")
    header = io.StringIO()
    csv.writer(header, delimiter=delimiter, lineterminator=eol).writerow(batches.schema.names)
    if excel:
        out.write(UTF8_BOM)
    out.write(header.getvalue().encode("utf-8"))
    rows = 0
    for batch in batches:
        out.write(_csv_bytes(_for_csv(batch, excel), delimiter, eol))
        rows += batch.num_rows
    out.flush()
    return rows


def json_value(v: Any) -> Any:
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    if isinstance(v, datetime | date | time):
        return v.isoformat()
    if isinstance(v, timedelta):
        return v.total_seconds()
    if isinstance(v, bytes | bytearray):
        return v.hex()
    if isinstance(v, dict):
        return {str(k): json_value(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [json_value(x) for x in v]
    if v is None or isinstance(v, bool | int | float | str):
        return v
    return str(v)


def _rows(batches: pa.RecordBatchReader) -> Iterator[dict[str, Any]]:
    for batch in batches:
        for row in batch.to_pylist():
            yield {k: json_value(v) for k, v in row.items()}


def write_jsonl(batches: pa.RecordBatchReader, out: BinaryIO) -> int:
    """One JSON object per line."""
    rows = 0
    for row in _rows(batches):
        out.write(json.dumps(row, ensure_ascii=False).encode("utf-8") + b"\n")
        rows += 1
    out.flush()
    return rows


def write_json(batches: pa.RecordBatchReader, out: BinaryIO) -> int:
    """One JSON array, written row by row (never built whole in memory)."""
    rows = 0
    out.write(b"[")
    for row in _rows(batches):
        out.write((b",\n  " if rows else b"\n  ") + json.dumps(row, ensure_ascii=False).encode())
        rows += 1
    out.write(b"\n]\n" if rows else b"]\n")
    out.flush()
    return rows


def write_parquet(batches: pa.RecordBatchReader, path: str) -> int:
    import pyarrow.parquet as pq

    rows = 0
    with pq.ParquetWriter(path, batches.schema, compression="zstd") as writer:
        for batch in batches:
            writer.write_batch(batch)
            rows += batch.num_rows
    return rows
