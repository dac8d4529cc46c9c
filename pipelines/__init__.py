"""edustat: the Kazakhstan TVET education-statistics pipeline (Dagster code location + package)."""
