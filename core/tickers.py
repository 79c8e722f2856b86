"""Ticker verdicts (METHODOLOGY §11b): three votes, a verdict, flags and divergence days.

Per ticker and session the price (L1), dark-pool (L2) and options (L3) layers each vote +1, −1
or 0; the verdict says whether they agree. Relative strength and the GEX regime are context,
never votes. The inputs are the per-ticker outputs of the other layers, joined on
``symbol`` and ``session`` by the snapshot builder.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

SETTINGS_SECTION = "tickers"

#: Dark-pool labels (§3.2) and option grades (§2.3) as the other layers write them.
ACCUMULATION, DISTRIBUTION, UNRELIABLE = "ACCUMULATION", "DISTRIBUTION", "UNRELIABLE"
CONFIDENT_GRADES = ("HIGH", "MODERATE")

#: Verdicts, in the order of the §11b rules.
HEDGED, CONTESTED, NO_SIGNAL = "HEDGED", "CONTESTED", "NO SIGNAL"


@dataclass(frozen=True, slots=True)
class TickerParams:
    """§11b parameters (each a flowterm.toml key under ``[tickers]``)."""

    #: L1 votes +1 at a return of at least this (fraction), −1 at minus this. [§11b: 0.25 %]
    price_vote_threshold: float = 0.0025
    #: |return − SPX return| at or above this flags relative strength or weakness. [§11b: 2 %]
    relative_strength_flag: float = 0.02
    #: Sessions looked back over for divergence days. [§11b: 10]
    divergence_window: int = 10


def _sign(x: pl.Expr) -> pl.Expr:
    return pl.when(x > 0).then(1).when(x < 0).then(-1).otherwise(0).cast(pl.Int8)


def votes(frame: pl.LazyFrame, /, *, params: TickerParams = TickerParams()) -> pl.LazyFrame:
    """Add the three votes, the verdict, relative strength and flags.

    ``frame`` has one row per symbol and session with: ``ret`` (the day's return, fraction),
    ``benchmark_ret`` (SPX return), ``dp_label`` (§3.2 label or null when no prints),
    ``dp_fast`` (fast tape), ``opt_net``, ``opt_grade``, ``opt_puts_bought``,
    ``opt_calls_bought`` (premium, null when no options) and optionally ``ladder`` (text).
    """
    t = params.price_vote_threshold
    ret = pl.col("ret")
    l1 = pl.when(ret >= t).then(1).when(ret <= -t).then(-1).otherwise(0).cast(pl.Int8)
    label = pl.col("dp_label")
    fast = pl.col("dp_fast").fill_null(False)
    l2 = (
        pl.when(fast | label.is_null())
        .then(0)
        .when(label == ACCUMULATION)
        .then(1)
        .when(label == DISTRIBUTION)
        .then(-1)
        .otherwise(0)
        .cast(pl.Int8)
    )
    confident = pl.col("opt_grade").is_in(CONFIDENT_GRADES).fill_null(False)
    l3 = pl.when(confident).then(_sign(pl.col("opt_net"))).otherwise(0).cast(pl.Int8)
    rel = ret - pl.col("benchmark_ret")
    has_ladder = "ladder" in frame.collect_schema()
    return (
        frame.with_columns(l1.alias("l1_price"), l2.alias("l2_darkpool"), l3.alias("l3_options"))
        .with_columns(rel.alias("relative_strength"))
        .with_columns(_verdict().alias("verdict"), _flags(params, has_ladder).alias("flags"))
    )


def _verdict() -> pl.Expr:
    v = [pl.col("l1_price"), pl.col("l2_darkpool"), pl.col("l3_options")]
    positives = pl.sum_horizontal([(x > 0).cast(pl.Int8) for x in v])
    negatives = pl.sum_horizontal([(x < 0).cast(pl.Int8) for x in v])
    hedged = (pl.col("l2_darkpool") == 1) & (
        pl.col("opt_puts_bought").fill_null(0) > pl.col("opt_calls_bought").fill_null(0)
    )
    return (
        pl.when(hedged)
        .then(pl.lit(HEDGED))
        .when((positives == 0) & (negatives == 0))
        .then(pl.lit(NO_SIGNAL))
        .when(negatives == 0)
        .then(pl.lit(ACCUMULATION))
        .when(positives == 0)
        .then(pl.lit(DISTRIBUTION))
        .otherwise(pl.lit(CONTESTED))
    )


def _flags(params: TickerParams, has_ladder: bool) -> pl.Expr:
    """FAST TAPE, LOW CONFIDENCE, relative strength/weakness and the ladder text, if any."""
    rel = pl.col("relative_strength")
    grade = pl.col("opt_grade")
    flags: list[pl.Expr] = [
        pl.when(pl.col("dp_fast").fill_null(False)).then(pl.lit("FAST TAPE")),
        pl.when(grade.is_not_null() & ~grade.is_in(CONFIDENT_GRADES)).then(
            pl.lit("LOW CONFIDENCE")
        ),
        pl.when(rel >= params.relative_strength_flag).then(pl.lit("RELATIVE STRENGTH")),
        pl.when(rel <= -params.relative_strength_flag).then(pl.lit("RELATIVE WEAKNESS")),
    ]
    if has_ladder:
        flags.append(pl.col("ladder").cast(pl.String))
    return pl.concat_list(flags).list.drop_nulls()


def divergence_days(
    history: pl.LazyFrame, /, *, params: TickerParams = TickerParams()
) -> pl.LazyFrame:
    """Per symbol, the sessions among the last ``divergence_window`` where the dark-pool label's
    sign (ACCUMULATION +, DISTRIBUTION −) differs from the sign of the day's return.

    ``history`` has ``symbol``, ``session``, ``ret`` and ``dp_label``; a session without a
    directional label or with a flat return cannot diverge.
    """
    label_sign = (
        pl.when(pl.col("dp_label") == ACCUMULATION)
        .then(1)
        .when(pl.col("dp_label") == DISTRIBUTION)
        .then(-1)
        .otherwise(0)
    )
    ret_sign = _sign(pl.col("ret"))
    recent = (
        history.sort("symbol", "session")
        .group_by("symbol", maintain_order=True)
        .tail(params.divergence_window)
    )
    return recent.group_by("symbol", maintain_order=True).agg(
        ((label_sign != 0) & (ret_sign != 0) & (label_sign != ret_sign))
        .sum()
        .cast(pl.Int64)
        .alias("divergence_days"),
        pl.len().cast(pl.Int64).alias("divergence_window_sessions"),
    )
