"""The statistical yearbook's TVET chapter, built from the warehouse (see README.md here).

`build_yearbook("2024-2025")` -> $EDUSTAT_HOME/yearbook/2024-2025/<release>/ with
yearbook.xlsx, yearbook_kk/ru.html, yearbook_kk/ru.pdf, cells.csv, queries/, release.json and,
from the second release on, revisions_<release>.xlsx/.csv. Tables are declared in tables.yml.
"""

from pipelines.yearbook.build import BuildResult, build_yearbook, publish_book
from pipelines.yearbook.years import academic_years, years_with_data

__all__ = ["BuildResult", "academic_years", "build_yearbook", "publish_book", "years_with_data"]
