"""Ingest: read landing files through their contracts into the typed `raw` schema.

Modules, in the order data flows through them:

- `discovery`  which files are under landing/, their checksums and file ids;
- `csv_cells` / `xlsx_cells`  bytes -> untyped cell grids per sheet (one module per format);
- `readers`    cell grids -> contract columns, typed (`coerce`) and pseudonymised (`pseudonym`);
- `schema`     DDL of the raw tables, the file registry and the load-issue log;
- `writer`     one DuckDB transaction per file (rows of every sheet + its registry row);
- `registry`   which version of a submission is current (loaded / superseded);
- `loader`     a partition end to end: parallel parse, single writer, currency, summary;
- `reference`  sources/reference CSVs and the contracts' code lists -> raw.ref_*.
"""
