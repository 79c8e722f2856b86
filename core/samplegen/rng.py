"""Deterministic random streams: one independent ``random.Random`` per named component.

String seeds are hashed with SHA-512 by ``random.Random`` (seed version 2), so a stream depends only
on the seed and its name, never on ``PYTHONHASHSEED`` or on the order components run in.
"""

from __future__ import annotations

import math
import random
import zlib


def stream(seed: int, *names: object) -> random.Random:
    """An independent generator for the component identified by ``names``."""
    return random.Random(f"flowterm-sample:{seed}:" + ":".join(str(n) for n in names))


def unit_hash(*parts: object) -> float:
    """A deterministic pseudo-uniform number in [0, 1) derived from ``parts`` (CRC-32 based)."""
    text = "|".join(str(p) for p in parts).encode()
    mixed = zlib.crc32(text) * 2654435761 % 4294967296
    return mixed / 4294967296.0


def lognormal_weight(rng: random.Random, sigma: float) -> float:
    """A heavy-tailed positive weight with median 1."""
    return math.exp(sigma * rng.gauss(0.0, 1.0))


def clamp(x: float, lo: float, hi: float) -> float:
    """``x`` limited to ``[lo, hi]``."""
    return lo if x < lo else hi if x > hi else x
