"""IIN pseudonymisation: validate the check digit and replace the number by a keyed hash.

The hash is HMAC-SHA256 over the IIN (whitespace removed) with a secret key, so the same person
gets the same `<column>_hash` in every round and every source, but nobody without the key can
recompute it from a guessed IIN (a plain SHA-256 of 12 digits is brute-forced in seconds).
This runs in the reader, in memory, before any value is written, logged or put in an error.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

import polars as pl

from pipelines.identifiers import is_valid
from pipelines.settings import Home

KEY_ENV = "EDUSTAT_PSEUDONYM_KEY"


def load_key(home: Home) -> bytes:
    """The HMAC key: $EDUSTAT_PSEUDONYM_KEY, else the key file (created once, mode 0600)."""
    from_env = os.environ.get(KEY_ENV)
    if from_env:
        return from_env.encode("utf-8")
    return _key_file(home.pseudonym_key_file)


def _key_file(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: two processes starting at once must not write two different keys.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text(encoding="ascii").strip()
        if not key:
            raise RuntimeError(f"pseudonym key file {path} is empty") from None
        return key.encode("ascii")
    key = secrets.token_hex(32)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key + "\n")
    return key.encode("ascii")


class Pseudonymiser:
    """Turns an IIN column into `<name>_hash` and `<name>_valid` columns."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def hash_one(self, iin: str) -> str:
        return hmac.new(self._key, iin.encode("ascii", "replace"), hashlib.sha256).hexdigest()

    def replace_column(self, df: pl.DataFrame, name: str) -> pl.DataFrame:
        """Replace column `name` by `<name>_hash`, `<name>_valid` at the same position.

        Hashing runs over the unique values only (a file rarely repeats an IIN, but a round-wide
        pass would), then maps back with a vectorised lookup.
        """
        cleaned = df.get_column(name).cast(pl.String).str.replace_all(r"\s+", "")
        cleaned = pl.when(cleaned == "").then(None).otherwise(cleaned).alias(name)
        cleaned = df.select(cleaned).get_column(name)
        uniques = cleaned.drop_nulls().unique().to_list()
        hashes = {v: self.hash_one(v) for v in uniques}
        valid = {v: is_valid(v) for v in uniques}
        hash_col = cleaned.replace_strict(hashes, default=None, return_dtype=pl.String)
        valid_col = cleaned.replace_strict(valid, default=None, return_dtype=pl.Boolean)
        at = df.columns.index(name)
        out = df.drop(name)
        out = out.insert_column(at, valid_col.alias(f"{name}_valid"))
        return out.insert_column(at, hash_col.alias(f"{name}_hash"))
