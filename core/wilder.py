"""Wilder smoothing, true range and ATR (METHODOLOGY §5, §9.3, §12), shared by the layers.

Wilder's average seeds with the simple mean of the first ``n`` values and then moves as
``avg_t = (avg_{t-1}·(n − 1) + x_t) / n``, i.e. an EWM with ``alpha = 1/n``, ``adjust=False``
started from the seed. Polars' ``ewm_mean`` defaults (``adjust=True``, no seed) give other
numbers (§9.3), so this module is the one place that gets it right.
"""

from __future__ import annotations

import polars as pl


def wilder_mean(x: pl.Expr, n: int) -> pl.Expr:
    """Wilder's moving average of ``x`` over ``n`` (null until ``n`` values exist).

    Nulls at the start of ``x`` (a first bar without a prior close) are skipped: the seed is the
    mean of the first ``n`` non-null values. Use with ``.over(symbol)`` for several symbols.
    """
    valid = x.is_not_null()
    position = valid.cast(pl.Int64).cum_sum()  # 1-based count of non-null values so far
    seed = x.filter(valid).head(n).mean()
    seeded = pl.when(position < n).then(None).when(position == n).then(seed).otherwise(x)
    smoothed = seeded.ewm_mean(alpha=1.0 / n, adjust=False, ignore_nulls=True, min_samples=1)
    return pl.when(position >= n).then(smoothed).otherwise(None)


def wilder_sum(x: pl.Expr, n: int) -> pl.Expr:
    """Wilder's running sum (``S_t = S_{t-1} − S_{t-1}/n + x_t``, seeded with the sum of the
    first ``n``): ``n`` times ``wilder_mean``, as ADX smooths TR and ±DM (§5)."""
    return wilder_mean(x, n) * n


def true_range(high: str = "high", low: str = "low", close: str = "close") -> pl.Expr:
    """TR_t = max(H − L, |H − C_{t−1}|, |L − C_{t−1}|) over the named columns; the first bar (no
    prior close) is H − L. Expects rows of one symbol in date order (or ``.over(symbol)``)."""
    high_, low_ = pl.col(high), pl.col(low)
    prev = pl.col(close).shift(1)
    return pl.max_horizontal(high_ - low_, (high_ - prev).abs(), (low_ - prev).abs())


def atr(n: int = 14) -> pl.Expr:
    """Wilder ATR(n) of ``high``, ``low``, ``close`` (true range from the second bar on)."""
    tr = pl.when(pl.col("close").shift(1).is_null()).then(None).otherwise(true_range())
    return wilder_mean(tr, n)
