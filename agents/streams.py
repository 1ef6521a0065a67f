"""Named random streams of one run: common random numbers by construction.

Every random draw of a run comes from a stream keyed by what it is for — component,
purpose, and the year, month or entity it concerns — under the run's root seed. A stream's
numbers depend only on its key and the seed, never on how many numbers other components
drew before, so two designs, rule sets or schemes run on one seed share every draw their
difference does not touch. The map of keys is in ``docs/schedule.md``.
"""

from __future__ import annotations

import zlib

import numpy as np

Key = str | int


class Streams:
    """The random streams of the run seeded with ``root``.

    ``streams("credit", 2026, "systematic")`` is the generator of the credit cycle's
    systematic factor of 2026: the same generator, in its initial state, whenever it is
    asked for, whatever else the run has drawn.
    """

    def __init__(self, root: int, prefix: tuple[Key, ...] = ()) -> None:
        if root < 0:
            raise ValueError(f"seed: must be a non-negative integer, got {root}")
        self.root = root
        self.prefix = prefix

    def __call__(self, *key: Key) -> np.random.Generator:
        """The generator of stream ``prefix + key``, in its initial state."""
        words = tuple(zlib.crc32(str(part).encode()) for part in (*self.prefix, *key))
        if not words:
            raise ValueError("a stream needs a key")
        return np.random.default_rng(np.random.SeedSequence(self.root, spawn_key=words))

    def child(self, *key: Key) -> Streams:
        """The streams whose keys start with ``key``."""
        return Streams(self.root, (*self.prefix, *key))


__all__ = ["Key", "Streams"]
