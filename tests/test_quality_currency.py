"""Which NOBD version is current, from what validation found (pipelines/quality/currency.py)."""

from __future__ import annotations

from datetime import datetime

from pipelines.quality.currency import Decision, Version, decide

ROUND = "2024-autumn"


def _v(fid: str, college: str, day: int, version: int) -> Version:
    path = f"nobd/{ROUND}/{college}_{ROUND}_v{version}.xlsx"
    signed = datetime(2024, 10, day)
    return Version(fid, college, ROUND, path, signed, version, "loaded", signed)


def test_the_latest_acceptable_version_is_current() -> None:
    versions = [_v("a1", "A", 1, 1), _v("a2", "A", 2, 2)]
    out = decide(versions, holds={})
    assert out["a2"] == Decision("loaded", None, True)
    assert out["a1"].status == "superseded" and out["a1"].acceptable


def test_a_held_correction_leaves_the_previous_accepted_version_current() -> None:
    versions = [_v("a1", "A", 1, 1), _v("a2", "A", 2, 2), _v("a3", "A", 3, 3)]
    out = decide(versions, holds={"a3": "identity.bin_mismatch"})
    assert out["a3"] == Decision("held_back", "identity.bin_mismatch", False)
    assert out["a2"].status == "loaded"
    assert out["a1"].status == "superseded"


def test_with_no_acceptable_version_only_the_latest_is_held_back() -> None:
    versions = [_v("a1", "A", 1, 1), _v("a2", "A", 2, 2)]
    out = decide(versions, holds={"a1": "submission.defective_rows", "a2": "identity.header_rows"})
    assert out["a2"].status == "held_back"
    assert out["a1"] == Decision("superseded", f"superseded by {versions[1].path}", False)


def test_an_older_held_version_is_superseded_by_a_later_accepted_one() -> None:
    versions = [_v("a1", "A", 1, 1), _v("a2", "A", 2, 2)]
    out = decide(versions, holds={"a1": "identity.round_mismatch"})
    assert out["a2"].status == "loaded"
    assert out["a1"].status == "superseded" and not out["a1"].acceptable


def test_colleges_never_supersede_each_other() -> None:
    # A file filed under B (name) is B's even if its header speaks of A: it can only compete
    # with B's other versions.
    versions = [_v("a1", "A", 1, 1), _v("b1", "B", 5, 1)]
    out = decide(versions, holds={"b1": "identity.bin_mismatch"})
    assert out["a1"].status == "loaded"
    assert out["b1"].status == "held_back"
