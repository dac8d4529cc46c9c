"""Data quality: the rule catalogue, the expectation suites built from it, and the GX runner.

Only `rules` is imported eagerly; the runner imports Great Expectations lazily (about 3 s).
"""
