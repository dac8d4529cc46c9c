"""The statistical yearbook's TVET chapter, built from the warehouse (see README.md here).

`build.build_yearbook("2024-2025")` -> $EDUSTAT_HOME/yearbook/2024-2025/<release>/ with
yearbook.xlsx, yearbook_kk/ru.html, yearbook_kk/ru.pdf, cells.csv, queries/, release.json and,
from the second release on, revisions_<release>.xlsx/.csv. Tables are declared in tables.yml.

Nothing is imported here: the render workers (worker.py) import this package too, and must not
pay for the extraction's DuckDB and polars.
"""
