"""Dark-pool (off-exchange) prints (METHODOLOGY §3) and DIX/DPI (§7).

Off-exchange prints lose their non-contemporaneous sale conditions (§3.1), get a side by the
position rule of §1.2, and are summed per symbol and session into at-ask/at-bid/mid notional,
Net and % at bid with an ACCUMULATION/DISTRIBUTION/NEUTRAL/UNRELIABLE label. Days of fast tape
(§3.3, from daily bars) make the label UNRELIABLE; runs of one label are ladders (§3.4); and
§3.5 splits the trailing volume above, below and at spot. DIX is the dollar-weighted short share
of off-exchange volume (§7). Nothing is rounded here.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Final, Literal

import polars as pl

from .sides import SideParams, classify_dark, has_condition
from .wilder import atr, true_range

SETTINGS_SECTION: Final = "darkpool"

LadderFastTape = Literal["break", "skip"]
VolumeMeasure = Literal["shares", "notional"]
DixWeighting = Literal["dollar", "equal", "share"]

#: Floating-point slack for inclusive thresholds on computed ratios (TR/ATR = 90/50 ≥ 1.8).
THRESHOLD_SLACK: Final = 1e-12

#: The side rule used when the caller passes none (a module singleton: SideParams is frozen).
DEFAULT_SIDE_PARAMS: Final = SideParams()


@dataclass(frozen=True, slots=True)
class DarkParams:
    """The [P] parameters of the dark-pool layer (METHODOLOGY §3, §7, §11.6–7)."""

    #: §3.1 sale conditions whose price is not contemporaneous (excluded): W average price,
    #: T/U extended hours (Form T), Z/L out of sequence/late, P prior reference price,
    #: 4 derivatively priced, R seller, N next day, C cash, V/7 contingent/QCT.
    excluded_conditions: frozenset[str] = frozenset(
        {"W", "T", "U", "Z", "L", "P", "4", "R", "N", "C", "V", "7"}
    )
    #: §3.2 at-ask (at-bid) share of classified notional at or above this → ACCUMULATION
    #: (DISTRIBUTION).
    label_threshold: float = 0.55
    #: §3.2 classified notional below this share of Total → UNRELIABLE.
    min_classified_share: float = 0.20
    #: §3.3 rule 1: FAST when |r_t| ≥ this many σ of the prior daily log returns.
    fast_sigma_multiple: float = 2.0
    #: §3.3 rule 1: number of prior daily log returns in σ.
    fast_sigma_window: int = 20
    #: §3.3 rule 2: ATR length (Wilder, §5).
    fast_atr_window: int = 14
    #: §3.3 rule 2: FAST when TR_t / ATR_{t−1} ≥ this.
    fast_tr_atr_ratio: float = 1.8
    #: §3.4 minimum run length of a ladder, in sessions.
    ladder_min_days: int = 3
    #: §3.4 a fast-tape day "break"s a run, or is "skip"ped (neither extends nor breaks).
    ladder_fast_tape: LadderFastTape = "break"
    #: §3.5 W: trailing sessions (including today) for volume above/below spot.
    volume_window: int = 15
    #: §3.5 b: band around spot counted as "at" (0.05 %).
    spot_band: float = 0.0005
    #: §3.5 measure volume in "shares" or "notional".
    volume_measure: VolumeMeasure = "shares"
    #: §7 DIX weighting: "dollar" (flowterm), or the "equal"/"share" variants for comparison.
    dix_weighting: DixWeighting = "dollar"
    #: §7 sessions of DIX history for its percentile (1 year).
    dix_percentile_window: int = 252
    #: §7 DIX at or above this percentile of its history is "elevated".
    dix_elevated_percentile: float = 0.80

    def __post_init__(self) -> None:
        if self.ladder_fast_tape not in ("break", "skip"):
            raise ValueError("ladder_fast_tape must be 'break' or 'skip'")
        if self.volume_measure not in ("shares", "notional"):
            raise ValueError("volume_measure must be 'shares' or 'notional'")
        if self.dix_weighting not in ("dollar", "equal", "share"):
            raise ValueError("dix_weighting must be 'dollar', 'equal' or 'share'")
        windows = (
            self.fast_sigma_window,
            self.fast_atr_window,
            self.ladder_min_days,
            self.volume_window,
            self.dix_percentile_window,
        )
        if min(windows) < 1:
            raise ValueError("windows and run lengths must be ≥ 1")


class DarkLabel(StrEnum):
    """§3.2 label of one symbol's day."""

    ACCUMULATION = "ACCUMULATION"
    DISTRIBUTION = "DISTRIBUTION"
    NEUTRAL = "NEUTRAL"
    UNRELIABLE = "UNRELIABLE"


class Tape(StrEnum):
    """§3.3 fast-tape status of one symbol's day."""

    FAST = "FAST"
    NORMAL = "NORMAL"
    NOT_EVALUATED = "NOT_EVALUATED"


class LabelReason(StrEnum):
    """Why a day is UNRELIABLE."""

    FAST_TAPE = "fast tape"
    LOW_COVERAGE = "classified < min share"


LABEL_DTYPE: Final = pl.Enum([x.value for x in DarkLabel])
TAPE_DTYPE: Final = pl.Enum([x.value for x in Tape])
REASON_DTYPE: Final = pl.Enum([x.value for x in LabelReason])


def ratio(numerator: pl.Expr, denominator: pl.Expr) -> pl.Expr:
    """numerator / denominator, null when the denominator is 0 or null (§0)."""
    return pl.when(denominator != 0).then(numerator / denominator).otherwise(None)


def _at_least(value: pl.Expr, threshold: float) -> pl.Expr:
    """value ≥ threshold, inclusive despite floating-point noise; null stays null."""
    return value >= threshold - THRESHOLD_SLACK


# --------------------------------------------------------------------------------------------
# Prints → per symbol and session (§3.1, §3.2)


def non_contemporaneous(*, params: DarkParams = DarkParams()) -> pl.Expr:
    """True for prints carrying an excluded sale condition (§3.1)."""
    return has_condition(params.excluded_conditions)


def classify_dark_prints(
    prints: pl.LazyFrame,
    quotes: pl.LazyFrame | None = None,
    /,
    *,
    params: DarkParams = DarkParams(),
    side_params: SideParams = DEFAULT_SIDE_PARAMS,
) -> pl.LazyFrame:
    """Every off-exchange print with ``excluded`` (a §3.1 sale condition) and, for the others,
    ``side``/``side_detail``/``quote_position``/``quote_source`` by §1.2 (null when excluded).

    Excluded prints are classified by nothing and feed no tick test, but stay for counting.
    """
    names = prints.collect_schema().names()
    flagged = prints.with_columns(
        (non_contemporaneous(params=params) if "conditions" in names else pl.lit(False)).alias(
            "excluded"
        )
    )
    kept = classify_dark(flagged.filter(~pl.col("excluded")), quotes, params=side_params)
    dropped = flagged.filter(pl.col("excluded"))
    return pl.concat([kept, dropped], how="diagonal")


def _notional_where(condition: pl.Expr) -> pl.Expr:
    return pl.when(condition).then(pl.col("notional")).otherwise(0.0).sum()


def _day_label(params: DarkParams) -> tuple[pl.Expr, pl.Expr]:
    """(label, reason): §3.2 with UNRELIABLE for fast tape or low classified coverage."""
    fast = (pl.col("fast_tape") == Tape.FAST.value).fill_null(False)
    coverage_low = ~_at_least(pl.col("classified_share"), params.min_classified_share).fill_null(
        False
    )
    reason = (
        pl.when(fast)
        .then(pl.lit(LabelReason.FAST_TAPE.value))
        .when(coverage_low)
        .then(pl.lit(LabelReason.LOW_COVERAGE.value))
        .otherwise(None)
        .cast(REASON_DTYPE)
    )
    label = (
        pl.when(reason.is_not_null())
        .then(pl.lit(DarkLabel.UNRELIABLE.value))
        .when(_at_least(pl.col("ask_share_classified"), params.label_threshold))
        .then(pl.lit(DarkLabel.ACCUMULATION.value))
        .when(_at_least(pl.col("pct_at_bid_classified"), params.label_threshold))
        .then(pl.lit(DarkLabel.DISTRIBUTION.value))
        .otherwise(pl.lit(DarkLabel.NEUTRAL.value))
        .cast(LABEL_DTYPE)
    )
    return label, reason


def _with_dark_figures(sums: pl.LazyFrame) -> pl.LazyFrame:
    """Derived §3.2 figures from ``at_ask``, ``at_bid`` and ``mid``."""
    at_ask, at_bid, mid = pl.col("at_ask"), pl.col("at_bid"), pl.col("mid")
    return sums.with_columns(
        (at_ask + at_bid + mid).alias("total"),
        (at_ask + at_bid).alias("classified"),
        (at_ask - at_bid).alias("net"),
    ).with_columns(
        ratio(at_bid, pl.col("total")).alias("pct_at_bid"),
        ratio(at_bid, pl.col("classified")).alias("pct_at_bid_classified"),
        ratio(at_ask, pl.col("classified")).alias("ask_share_classified"),
        ratio(pl.col("classified"), pl.col("total")).alias("classified_share"),
    )


#: Per session and symbol, the sums ``dark_days`` is made of (they add up across part files).
DARK_SUMS_SCHEMA: Final = pl.Schema(
    {
        "session": pl.Date(),
        "symbol": pl.String(),
        "at_ask": pl.Float64(),
        "at_bid": pl.Float64(),
        "mid": pl.Float64(),
        "prints": pl.Int64(),
        "excluded_prints": pl.Int64(),
    }
)
#: Per session, symbol and exact price, the shares and notional of the counted prints (§3.5).
LEVELS_SCHEMA: Final = pl.Schema(
    {
        "session": pl.Date(),
        "symbol": pl.String(),
        "price": pl.Float64(),
        "size": pl.Float64(),
        "notional": pl.Float64(),
    }
)


def dark_sums(classified: pl.LazyFrame, /) -> pl.LazyFrame:
    """Per ``session`` and ``symbol`` of ``classify_dark_prints`` output: the at-ask, at-bid and
    mid notional of the counted prints, their count and the count of excluded prints
    (``DARK_SUMS_SCHEMA``)."""
    side = pl.col("side").cast(pl.String)
    kept = ~pl.col("excluded")
    return (
        classified.group_by("session", "symbol")
        .agg(
            _notional_where(kept & (side == "BUY")).alias("at_ask"),
            _notional_where(kept & (side == "SELL")).alias("at_bid"),
            _notional_where(kept & (side == "UNKNOWN")).alias("mid"),
            kept.sum().cast(pl.Int64).alias("prints"),
            pl.col("excluded").sum().cast(pl.Int64).alias("excluded_prints"),
        )
        .with_columns(pl.col("symbol").cast(pl.String))
    )


def dark_levels(classified: pl.LazyFrame, /) -> pl.LazyFrame:
    """Off-exchange volume by exact price per session and symbol, counted prints only: the §3.5
    split above and below any spot is the same from these sums as from the prints
    (``LEVELS_SCHEMA``)."""
    return (
        classified.filter(~pl.col("excluded"))
        .group_by("session", pl.col("symbol").cast(pl.String), "price")
        .agg(pl.col("size").sum(), pl.col("notional").sum())
        .cast(LEVELS_SCHEMA)
    )


def fold_sums(
    parts: Sequence[pl.DataFrame], schema: pl.Schema, keys: Sequence[str]
) -> pl.DataFrame:
    """Frames of sums (``DARK_SUMS_SCHEMA``, ``LEVELS_SCHEMA``) added up per ``keys``."""
    frames = [p for p in parts if p.height]
    if not frames:
        return pl.DataFrame(schema=schema)
    if len(frames) == 1:
        return frames[0]
    values = [pl.col(c).sum() for c in schema.names() if c not in keys]
    return pl.concat(frames).group_by(keys, maintain_order=True).agg(values).cast(schema)


def dark_days(
    classified: pl.LazyFrame,
    fast: pl.LazyFrame | None = None,
    /,
    *,
    params: DarkParams = DarkParams(),
) -> pl.LazyFrame:
    """One row per ``session`` and ``symbol`` of ``classify_dark_prints`` output: ``at_ask``,
    ``at_bid``, ``mid`` (incl. UNKNOWN), ``total``, ``classified``, ``net`` (AtAsk − AtBid),
    ``pct_at_bid`` (of total), ``pct_at_bid_classified``, ``ask_share_classified``,
    ``classified_share``, ``prints``, ``excluded_prints``, ``fast_tape`` (from ``fast``, the
    output of ``fast_tape``; null without it), ``label`` and ``label_reason``.

    A symbol whose every print is excluded gets a row with zero notional (label UNRELIABLE).
    """
    days = _with_dark_figures(dark_sums(classified))
    if fast is None:
        days = days.with_columns(pl.lit(None, TAPE_DTYPE).alias("fast_tape"))
    else:
        tape = fast.select(
            pl.col("symbol").cast(pl.String), pl.col("date").alias("session"), "fast_tape"
        )
        days = days.join(tape, on=["symbol", "session"], how="left")
    label, reason = _day_label(params)
    return days.with_columns(label.alias("label"), reason.alias("label_reason")).sort(
        "session", "symbol"
    )


def dark_market(days: pl.LazyFrame, /) -> pl.LazyFrame:
    """Market totals per session across symbols (``at_ask``, ``at_bid``, ``mid``, ``total``,
    ``net``, % at bid, ``symbols``) and against the prior session in the frame (``prev_net``,
    ``net_change``, ``prev_total``, ``total_change``, ``prev_pct_at_bid``)."""
    sums = days.group_by("session").agg(
        pl.col("at_ask").sum(),
        pl.col("at_bid").sum(),
        pl.col("mid").sum(),
        pl.col("prints").sum(),
        pl.len().cast(pl.Int64).alias("symbols"),
    )
    figures = _with_dark_figures(sums).sort("session")
    return figures.with_columns(
        pl.col("net").shift(1).alias("prev_net"),
        pl.col("total").shift(1).alias("prev_total"),
        pl.col("pct_at_bid").shift(1).alias("prev_pct_at_bid"),
    ).with_columns(
        (pl.col("net") - pl.col("prev_net")).alias("net_change"),
        (pl.col("total") - pl.col("prev_total")).alias("total_change"),
    )


# --------------------------------------------------------------------------------------------
# Fast tape (§3.3)


def fast_tape(bars: pl.LazyFrame, /, *, params: DarkParams = DarkParams()) -> pl.LazyFrame:
    """Per ``symbol`` and ``date`` of daily bars: ``log_return``, ``sigma`` (stdev of the
    previous ``fast_sigma_window`` log returns, null with fewer), ``sigma_multiple`` = |r|/σ,
    ``true_range``, ``atr_prior`` (Wilder ATR up to the day before), ``tr_atr`` = TR/ATR,
    ``rule_sigma`` and ``rule_range`` (null when not evaluable) and ``fast_tape``
    (FAST if either rule holds, NORMAL if one is evaluable, else NOT_EVALUATED)."""
    close = pl.col("close")
    log_return = (close / close.shift(1)).log()
    window = params.fast_sigma_window
    ordered = bars.select("symbol", "date", "high", "low", "close").sort("symbol", "date")
    measured = ordered.with_columns(
        log_return.over("symbol").alias("log_return"),
        true_range().over("symbol").alias("true_range"),
        atr(params.fast_atr_window).over("symbol").alias("_atr"),
    ).with_columns(
        pl.col("log_return")
        .shift(1)
        .rolling_std(window, min_samples=window, ddof=1)
        .over("symbol")
        .alias("sigma"),
        pl.col("_atr").shift(1).over("symbol").alias("atr_prior"),
    )
    ratios = measured.with_columns(
        ratio(pl.col("log_return").abs(), pl.col("sigma")).alias("sigma_multiple"),
        ratio(pl.col("true_range"), pl.col("atr_prior")).alias("tr_atr"),
    ).with_columns(
        _at_least(pl.col("sigma_multiple"), params.fast_sigma_multiple).alias("rule_sigma"),
        _at_least(pl.col("tr_atr"), params.fast_tr_atr_ratio).alias("rule_range"),
    )
    rules = [pl.col("rule_sigma"), pl.col("rule_range")]
    status = (
        pl.when(pl.any_horizontal([r.fill_null(False) for r in rules]))
        .then(pl.lit(Tape.FAST.value))
        .when(pl.any_horizontal([r.is_not_null() for r in rules]))
        .then(pl.lit(Tape.NORMAL.value))
        .otherwise(pl.lit(Tape.NOT_EVALUATED.value))
        .cast(TAPE_DTYPE)
    )
    return ratios.with_columns(status.alias("fast_tape")).drop("_atr")


# --------------------------------------------------------------------------------------------
# Ladders (§3.4)


def ladders(days: pl.LazyFrame, /, *, params: DarkParams = DarkParams()) -> pl.LazyFrame:
    """Runs of ≥ ``ladder_min_days`` consecutive sessions with the same ACCUMULATION or
    DISTRIBUTION label per symbol: ``symbol``, ``label``, ``days``, ``start``, ``end``, ``net``
    (summed over the run's days) and ``active`` (the run reaches the latest session).

    ``days`` is ``dark_days`` output over several sessions (``session``, ``symbol``, ``label``,
    ``net``; ``label_reason`` marks fast-tape days). NEUTRAL, UNRELIABLE and a missing session
    break a run; a fast-tape day is skipped instead when ``ladder_fast_tape = "skip"``.
    Sessions are those present in ``days``.
    """
    names = days.collect_schema().names()
    fast = (
        (pl.col("label_reason") == LabelReason.FAST_TAPE.value).fill_null(False)
        if "label_reason" in names
        else pl.lit(False)
    )
    indexed = (
        days.select(
            "session", pl.col("symbol").cast(pl.String), "label", "net", fast.alias("_fast")
        )
        .with_columns(
            pl.col("session").rank("dense").cast(pl.Int64).alias("_index"),
            pl.col("session").max().alias("_latest"),
        )
        .sort("symbol", "session")
    )
    index = pl.col("_index")
    gap = (index != index.shift(1) + 1).fill_null(True).over("symbol")
    segmented = indexed.with_columns(gap.cast(pl.Int64).cum_sum().over("symbol").alias("_segment"))
    if params.ladder_fast_tape == "skip":
        segmented = segmented.filter(~pl.col("_fast"))
    label, segment = pl.col("label"), pl.col("_segment")
    new_run = (
        (label.ne_missing(label.shift(1)) | (segment != segment.shift(1)))
        .fill_null(True)
        .over("symbol")
    )
    runs = segmented.with_columns(new_run.cast(pl.Int64).cum_sum().over("symbol").alias("_run"))
    grouped = runs.group_by("symbol", "_run").agg(
        label.first().alias("label"),
        pl.len().cast(pl.Int64).alias("days"),
        pl.col("session").min().alias("start"),
        pl.col("session").max().alias("end"),
        pl.col("net").sum().alias("net"),
        pl.col("_latest").first().alias("_latest"),
    )
    directional = [DarkLabel.ACCUMULATION.value, DarkLabel.DISTRIBUTION.value]
    return (
        grouped.filter(
            pl.col("label").cast(pl.String).is_in(directional)
            & (pl.col("days") >= params.ladder_min_days)
        )
        .with_columns((pl.col("end") == pl.col("_latest")).alias("active"))
        .select("symbol", "label", "days", "start", "end", "net", "active")
        .sort("symbol", "start")
    )


# --------------------------------------------------------------------------------------------
# Volume above/below spot (§3.5)


def spot_from_bars(bars: pl.LazyFrame, /, *, as_of: date) -> pl.LazyFrame:
    """``symbol``, ``spot``: each symbol's last daily close on or before ``as_of``."""
    return (
        bars.filter(pl.col("date") <= as_of)
        .group_by(pl.col("symbol").cast(pl.String))
        .agg(pl.col("close").sort_by("date").last().alias("spot"))
    )


def volume_by_spot(
    prints: pl.LazyFrame,
    spots: pl.LazyFrame,
    /,
    *,
    as_of: date,
    params: DarkParams = DarkParams(),
) -> pl.LazyFrame:
    """Per symbol, the share of its off-exchange volume over the trailing ``volume_window``
    sessions (up to and including ``as_of``) printed above S·(1 + b), below S·(1 − b) and in
    between, with S = ``spots.spot``: ``above``, ``below``, ``at``, ``volume``, ``pct_above``,
    ``pct_below``, ``pct_at``, and ``sessions`` (k, the sessions with prints for that symbol;
    fewer than W → show "n=k sessions"). Excluded sale conditions are left out (§3.1)."""
    schema = prints.collect_schema()
    kept = prints.filter(pl.col("session") <= as_of)
    if "conditions" in schema:
        kept = kept.filter(~non_contemporaneous(params=params))
    window = (
        kept.select("session").unique().sort("session", descending=True).head(params.volume_window)
    )
    measure = pl.col("size") if params.volume_measure == "shares" else pl.col("notional")
    # The small spot map takes the prints' symbol dtype (String or Categorical), not the tape.
    symbol_dtype = schema["symbol"]
    spot_map = spots.select(pl.col("symbol").cast(pl.String).cast(symbol_dtype), pl.col("spot"))
    priced = kept.join(window, on="session", how="semi").join(spot_map, on="symbol", how="inner")
    price, spot, band = pl.col("price"), pl.col("spot"), params.spot_band
    above = price > spot * (1 + band)
    below = price < spot * (1 - band)
    sums = priced.group_by("symbol").agg(
        pl.col("spot").first(),
        pl.when(above).then(measure).otherwise(0.0).sum().alias("above"),
        pl.when(below).then(measure).otherwise(0.0).sum().alias("below"),
        pl.when(~above & ~below).then(measure).otherwise(0.0).sum().alias("at"),
        pl.col("session").n_unique().cast(pl.Int64).alias("sessions"),
    )
    volume = pl.col("above") + pl.col("below") + pl.col("at")
    return (
        sums.with_columns(pl.col("symbol").cast(pl.String), volume.alias("volume"))
        .with_columns(
            ratio(pl.col("above"), pl.col("volume")).alias("pct_above"),
            ratio(pl.col("below"), pl.col("volume")).alias("pct_below"),
            ratio(pl.col("at"), pl.col("volume")).alias("pct_at"),
        )
        .sort("symbol")
    )


def spot_splits(
    levels: pl.LazyFrame, spots: pl.LazyFrame, /, *, params: DarkParams
) -> pl.LazyFrame:
    """Per ``session`` and ``symbol`` of ``levels`` (volume by price, ``LEVELS_SCHEMA``) with a
    spot: the measure printed above S·(1 + b), below S·(1 − b) and in between — what
    ``volume_by_spot`` sums over its window, so that parts of the volume (files, appended
    rows) are split once and added (``volume_by_spot_from_splits``)."""
    measure = pl.col("size") if params.volume_measure == "shares" else pl.col("notional")
    spot_map = spots.select(pl.col("symbol").cast(pl.String), pl.col("spot"))
    priced = levels.with_columns(pl.col("symbol").cast(pl.String)).join(
        spot_map, on="symbol", how="inner"
    )
    price, spot, band = pl.col("price"), pl.col("spot"), params.spot_band
    above = price > spot * (1 + band)
    below = price < spot * (1 - band)
    return priced.group_by("session", "symbol").agg(
        pl.col("spot").first(),
        pl.when(above).then(measure).otherwise(0.0).sum().alias("above"),
        pl.when(below).then(measure).otherwise(0.0).sum().alias("below"),
        pl.when(~above & ~below).then(measure).otherwise(0.0).sum().alias("at"),
    )


def volume_by_spot_from_splits(
    splits: pl.LazyFrame,
    sessions: Collection[date],
    /,
    *,
    as_of: date,
    params: DarkParams = DarkParams(),
) -> pl.LazyFrame:
    """``volume_by_spot`` from ``spot_splits`` of the volume by price and the ``sessions``
    that volume has prints in (the window is the last ``volume_window`` of those up to
    ``as_of``, whether or not their symbols have a spot)."""
    window = sorted((d for d in set(sessions) if d <= as_of), reverse=True)[: params.volume_window]
    sums = (
        splits.filter(pl.col("session").is_in(window))
        .group_by("symbol")
        .agg(
            pl.col("spot").first(),
            pl.col("above").sum(),
            pl.col("below").sum(),
            pl.col("at").sum(),
            pl.col("session").n_unique().cast(pl.Int64).alias("sessions"),
        )
    )
    volume = pl.col("above") + pl.col("below") + pl.col("at")
    return (
        sums.with_columns(pl.col("symbol").cast(pl.String), volume.alias("volume"))
        .with_columns(
            ratio(pl.col("above"), pl.col("volume")).alias("pct_above"),
            ratio(pl.col("below"), pl.col("volume")).alias("pct_below"),
            ratio(pl.col("at"), pl.col("volume")).alias("pct_at"),
        )
        .sort("symbol")
    )


# --------------------------------------------------------------------------------------------
# DPI and DIX (§7)


def dpi(short_volume: pl.LazyFrame, /) -> pl.LazyFrame:
    """Per ``date`` and ``symbol``: ``short_volume``, ``total_volume`` (summed over the rows of
    the day, e.g. one per facility) and ``dpi`` = short / total (null when total is 0)."""
    sums = short_volume.group_by("date", pl.col("symbol").cast(pl.String)).agg(
        pl.col("short_volume").sum(), pl.col("total_volume").sum()
    )
    return sums.with_columns(
        ratio(pl.col("short_volume"), pl.col("total_volume")).alias("dpi")
    ).sort("date", "symbol")


def dix(
    short_volume: pl.LazyFrame,
    bars: pl.LazyFrame,
    members: pl.LazyFrame | None = None,
    /,
    *,
    params: DarkParams = DarkParams(),
) -> pl.LazyFrame:
    """Per ``date``: ``dix`` = Σ close·short / Σ close·total over the member symbols that have
    both a short-volume line and a close that day (``dix_weighting`` "dollar"; "share" gives
    Σ short / Σ total and "equal" the mean DPI, for comparison only), with ``members`` (count
    used), ``short_dollars`` and ``total_dollars``.

    ``members`` (a ``symbol`` column, e.g. the S&P 500) restricts the universe; default: every
    symbol with a close. A date without short-volume data has no row: never carried forward.
    """
    lines = dpi(short_volume)
    closes = bars.select("date", pl.col("symbol").cast(pl.String), "close")
    joined = lines.join(closes, on=["date", "symbol"], how="inner")
    if members is not None:
        universe = members.select(pl.col("symbol").cast(pl.String)).unique()
        joined = joined.join(universe, on="symbol", how="semi")
    short_dollars = (pl.col("close") * pl.col("short_volume")).sum()
    total_dollars = (pl.col("close") * pl.col("total_volume")).sum()
    if params.dix_weighting == "dollar":
        index = ratio(short_dollars, total_dollars)
    elif params.dix_weighting == "share":
        index = ratio(pl.col("short_volume").sum(), pl.col("total_volume").sum())
    else:
        index = pl.col("dpi").mean()
    return (
        joined.group_by("date")
        .agg(
            index.alias("dix"),
            pl.len().cast(pl.Int64).alias("members"),
            short_dollars.alias("short_dollars"),
            total_dollars.alias("total_dollars"),
        )
        .sort("date")
    )


def dix_percentile(history: pl.LazyFrame, /, *, params: DarkParams = DarkParams()) -> pl.LazyFrame:
    """Per ``date`` of a DIX history (``date``, ``dix``; null DIX days dropped): ``percentile``,
    the share of the last ``dix_percentile_window`` values (today included) at or below
    today's, ``history`` (how many values that is) and ``elevated`` (percentile ≥
    ``dix_elevated_percentile``)."""
    window = params.dix_percentile_window
    valid = history.select("date", "dix").drop_nulls("dix").sort("date")
    ranked = valid.with_columns(
        pl.col("dix").rolling_rank(window, method="max", min_samples=1).alias("_at_or_below"),
        (pl.int_range(pl.len(), dtype=pl.Int64) + 1).clip(upper_bound=window).alias("history"),
    )
    return (
        ranked.with_columns(
            (pl.col("_at_or_below") / pl.col("history")).alias("percentile"),
        )
        .with_columns(
            _at_least(pl.col("percentile"), params.dix_elevated_percentile).alias("elevated")
        )
        .drop("_at_or_below")
    )


__all__ = [
    "DARK_SUMS_SCHEMA",
    "DEFAULT_SIDE_PARAMS",
    "LABEL_DTYPE",
    "LEVELS_SCHEMA",
    "REASON_DTYPE",
    "SETTINGS_SECTION",
    "TAPE_DTYPE",
    "THRESHOLD_SLACK",
    "DarkLabel",
    "DarkParams",
    "DixWeighting",
    "LabelReason",
    "LadderFastTape",
    "Tape",
    "VolumeMeasure",
    "classify_dark_prints",
    "dark_days",
    "dark_levels",
    "dark_market",
    "dark_sums",
    "dix",
    "dix_percentile",
    "dpi",
    "fast_tape",
    "fold_sums",
    "ladders",
    "non_contemporaneous",
    "ratio",
    "spot_from_bars",
    "spot_splits",
    "volume_by_spot",
    "volume_by_spot_from_splits",
]
