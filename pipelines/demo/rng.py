"""Named random streams: every decision draws from a stream keyed by what it decides.

`random.Random` seeded with a string is stable across runs and Python processes (it hashes the
string with SHA-512, independent of PYTHONHASHSEED), so a college's students do not change when
another college is added, and worker processes need no shared state.
"""

from __future__ import annotations

import random


def stream(seed: int, *key: object) -> random.Random:
    return random.Random("|".join([str(seed), *map(str, key)]))
