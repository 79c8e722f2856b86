"""A deterministic, seeded sample market: the bundled ``data/`` folder and ``flowterm sample``.

``generate(out_dir, seed=...)`` writes a complete data folder (FORMATS.md Part A): daily bars for
47 symbols over 280 sessions ending Wednesday 2026-04-08, macro series, events, sectors, analyst
inputs, and for the last five sessions option prints, off-exchange prints, closing chains, FINRA
short volume and SPY five-minute bars, plus ``SCENARIO.md`` with the figures the analysis should
find. The same seed always gives byte-identical files.
"""

from __future__ import annotations

from .generate import DEFAULT_DARK_PRINTS, DEFAULT_OPTION_PRINTS, DEFAULT_SEED, generate

__all__ = ["DEFAULT_DARK_PRINTS", "DEFAULT_OPTION_PRINTS", "DEFAULT_SEED", "generate"]
