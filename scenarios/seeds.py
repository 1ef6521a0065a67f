"""Named random streams from one root seed.

Every component draws from its own stream, keyed by name, so adding a component shifts no
other's numbers, and runs with different root seeds are independent.
"""

from __future__ import annotations

import zlib

import numpy as np


def stream(root: int, name: str) -> np.random.Generator:
    """The generator of component ``name`` in the run seeded with ``root``."""
    key = zlib.crc32(name.encode())
    return np.random.default_rng(np.random.SeedSequence(root, spawn_key=(key,)))
