"""Ingest: read landing files through their contracts into the typed `raw` schema.

Modules, in the order data flows through them:

- `discovery`  which files are under landing/, their file ids;
- `csv_cells` / `xlsx_cells`  bytes -> untyped cell grids per sheet (`cells`: shared shapes);
- `readers`    cell grids -> contract columns, typed (`coerce`) and pseudonymised (`pseudonym`);
- `prepare`    one file end to end before writing: parse, registry row, lineage columns;
- `workers`    where `prepare` runs: worker processes for a round, threads for a few files;
- `schema`     DDL of the raw tables, the file registry and the load-issue log;
- `writer`     whole files in one DuckDB transaction (rows of every sheet + registry row);
- `registry`   which version of a file or submission is current (loaded / superseded);
- `loader`     a partition end to end: hash, skip unchanged, parallel parse, single writer;
- `sweep`      files outside every partition folder get a (rejected) registry row too;
- `reference`  sources/reference CSVs and the contracts' code lists -> raw.ref_*;
- `progress`   per-file outcomes for `edustat run`'s progress bars and summary.
"""
