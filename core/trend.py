"""The report's "Range" trend-strength number: Wilder's ADX(14) with +DI/−DI (METHODOLOGY §5).

Range := ADX(n) on daily bars, labelled DOMINANT (> 40), STRONG (25–40), EMERGING (20–25) or
NO TREND (< 20), and coloured GREEN when +DI > −DI, RED when −DI > +DI, GREY when equal. The
colour is a semantic word, not a theme colour; the UI maps it to its bull/bear/neutral variables.

Smoothing is Wilder's running sum from ``core.wilder`` (seeded with the plain sum of the first n
values), so the first DI is at bar n and the first ADX (the mean of the first n DX) at bar 2n − 1
(bar 27 for n = 14, bar 0 being the first bar). Earlier bars are null.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import polars as pl

from .wilder import true_range, wilder_mean, wilder_sum

SETTINGS_SECTION: Final = "trend"

DOMINANT: Final = "DOMINANT"
STRONG: Final = "STRONG"
EMERGING: Final = "EMERGING"
NO_TREND: Final = "NO TREND"
GREEN: Final = "GREEN"
RED: Final = "RED"
GREY: Final = "GREY"

#: Columns ``adx`` adds to the bars.
TREND_COLUMNS: Final = ("plus_di", "minus_di", "dx", "adx", "trend_label", "trend_colour")


@dataclass(frozen=True, slots=True)
class TrendParams:
    """The [P] parameters of §5 (flowterm.toml ``[trend]``)."""

    #: §5 Wilder window n of TR, ±DM, DI and ADX (14: Wilder 1978).
    window: int = 14
    #: §5 ADX above this is DOMINANT.
    dominant_above: float = 40.0
    #: §5 ADX at or above this (up to ``dominant_above``) is STRONG.
    strong_from: float = 25.0
    #: §5 ADX at or above this (below ``strong_from``) is EMERGING; below it NO TREND.
    emerging_from: float = 20.0


def directional_movement() -> tuple[pl.Expr, pl.Expr]:
    """(+DM, −DM) per bar (null on the first bar, which has no prior bar).

    +DM = up if up > dn and up > 0 else 0; −DM = dn if dn > up and dn > 0 else 0, with
    up = H_t − H_{t−1}, dn = L_{t−1} − L_t; ties give 0 to both."""
    up = pl.col("high") - pl.col("high").shift(1)
    dn = pl.col("low").shift(1) - pl.col("low")
    plus = pl.when(up.is_null() | dn.is_null()).then(None).when((up > dn) & (up > 0)).then(up)
    minus = pl.when(up.is_null() | dn.is_null()).then(None).when((dn > up) & (dn > 0)).then(dn)
    return plus.otherwise(0.0).alias("plus_dm"), minus.otherwise(0.0).alias("minus_dm")


def _di(dm_sum: pl.Expr, tr_sum: pl.Expr) -> pl.Expr:
    """100·DM_n/TR_n; 0 when TR_n = 0 (a flat series, §5: then DM_n is 0 too)."""
    return pl.when(tr_sum == 0).then(0.0).otherwise(100.0 * dm_sum / tr_sum)


def _dx(plus_di: pl.Expr, minus_di: pl.Expr) -> pl.Expr:
    """100·|+DI − −DI|/(+DI + −DI); 0 when the sum is 0 (§5)."""
    total = plus_di + minus_di
    return pl.when(total == 0).then(0.0).otherwise(100.0 * (plus_di - minus_di).abs() / total)


def trend_label(adx: pl.Expr, *, params: TrendParams = TrendParams()) -> pl.Expr:
    """DOMINANT / STRONG / EMERGING / NO TREND from ADX (null ADX → null)."""
    return (
        pl.when(adx.is_null())
        .then(None)
        .when(adx > params.dominant_above)
        .then(pl.lit(DOMINANT))
        .when(adx >= params.strong_from)
        .then(pl.lit(STRONG))
        .when(adx >= params.emerging_from)
        .then(pl.lit(EMERGING))
        .otherwise(pl.lit(NO_TREND))
    )


def trend_colour(plus_di: pl.Expr, minus_di: pl.Expr) -> pl.Expr:
    """GREEN if +DI > −DI, RED if −DI > +DI, GREY if equal (null DI → null)."""
    return (
        pl.when(plus_di.is_null() | minus_di.is_null())
        .then(None)
        .when(plus_di > minus_di)
        .then(pl.lit(GREEN))
        .when(minus_di > plus_di)
        .then(pl.lit(RED))
        .otherwise(pl.lit(GREY))
    )


def adx(bars: pl.LazyFrame, /, *, params: TrendParams = TrendParams()) -> pl.LazyFrame:
    """Daily bars (date, symbol, high, low, close) with ``TREND_COLUMNS`` added, per symbol.

    Rows come back sorted by symbol and date. A symbol with fewer than 2n bars has a null ADX
    throughout (its DI start at bar n)."""
    n = params.window
    tr = pl.when(pl.col("close").shift(1).is_null()).then(None).otherwise(true_range())
    plus_dm, minus_dm = directional_movement()
    smoothed = bars.sort("symbol", "date").with_columns(
        wilder_sum(tr, n).over("symbol").alias("_tr_n"),
        wilder_sum(plus_dm, n).over("symbol").alias("_plus_dm_n"),
        wilder_sum(minus_dm, n).over("symbol").alias("_minus_dm_n"),
    )
    with_di = smoothed.with_columns(
        _di(pl.col("_plus_dm_n"), pl.col("_tr_n")).alias("plus_di"),
        _di(pl.col("_minus_dm_n"), pl.col("_tr_n")).alias("minus_di"),
    ).with_columns(_dx(pl.col("plus_di"), pl.col("minus_di")).alias("dx"))
    return (
        with_di.with_columns(wilder_mean(pl.col("dx"), n).over("symbol").alias("adx"))
        .with_columns(
            trend_label(pl.col("adx"), params=params).alias("trend_label"),
            trend_colour(pl.col("plus_di"), pl.col("minus_di")).alias("trend_colour"),
        )
        .drop("_tr_n", "_plus_dm_n", "_minus_dm_n")
    )
