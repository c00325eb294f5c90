"""Deterministic pseudo-randomness: the same inputs give the same numbers in every process.

Values are functions of (name, time), not a random walk replayed from an origin, so a closed bucket's
value can be computed directly and is identical on every call. ``hash()`` is salted per process, so names
are hashed with BLAKE2b once and mixed with SplitMix64 after that (cheap enough for thousands of buckets).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

_MASK = (1 << 64) - 1


@lru_cache(maxsize=65536)
def seed_of(*parts: str) -> int:
    """A 64-bit seed for a tuple of names (``seed_of("BTC", "surge")``)."""
    digest = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def mix(seed: int, k: int) -> int:
    """SplitMix64 of ``seed`` and an integer ``k``: a well-spread 64-bit value."""
    z = (seed + (k + 1) * 0x9E3779B97F4A7C15) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def unit(seed: int, k: int = 0) -> float:
    """A number in [0, 1) determined by ``seed`` and ``k``."""
    return mix(seed, k) / float(1 << 64)


def unit_of(*parts: str) -> float:
    """A number in [0, 1) determined by a tuple of names."""
    return unit(seed_of(*parts))
