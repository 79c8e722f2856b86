"""Options flow side decomposition (METHODOLOGY §2, §11, §11b campaigns).

Every option print gets a bucket — calls bought (CB), calls sold (CS), puts bought (PB), puts
sold (PS) or unknown side (U) — from the side rule of §1.2, after the exclusions of §2.1/§2.5
(cancelled, late, busted premium, unknown multiplier, optionally multi-leg), which are kept and
counted rather than silently dropped. Premium is then summed per market, ticker and sector into
bullish/bearish/net, the unknown share and its confidence grade, the naive and side-adjusted
call/put ratios, the top-flow names with their naive-vs-adjusted flips, and campaigns of
consecutive sessions with the same dominant bucket. Nothing is rounded here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import time
from enum import StrEnum
from typing import Final, Literal

import polars as pl

from .schema import ET_ZONE
from .sides import SideMode, SideParams, classify_options, has_condition

SETTINGS_SECTION: Final = "flow"

MultiLegHandling = Literal["unknown", "exclude"]

#: The underlying's regular close; later option prints are kept but marked (§2.5).
UNDERLYING_CLOSE: Final = time(16, 0)

#: The side rule used when the caller passes none (a module singleton: SideParams is frozen).
DEFAULT_SIDE_PARAMS: Final = SideParams()

#: Engine for the collecting helpers (tapes of 10M prints; PERFORMANCE.md).
ENGINE: Final = "streaming"


@dataclass(frozen=True, slots=True)
class FlowParams:
    """The [P] parameters of the options flow decomposition (METHODOLOGY §2, §11, §11b)."""

    #: §2.1 condition codes of cancelled/corrected prints (excluded and counted).
    cancelled_conditions: frozenset[str] = frozenset({"CANC", "CNCL", "CNCO", "CNOL"})
    #: §2.1 condition codes of late / out-of-sequence reports (excluded and counted).
    late_conditions: frozenset[str] = frozenset({"LATE", "OSEQ", "OPNL"})
    #: §2.1 multi-leg/complex prints: "unknown" (kept, side UNKNOWN) or "exclude" (dropped).
    multi_leg: MultiLegHandling = "unknown"
    #: §2.3 u ≤ this → HIGH.
    grade_high_max: float = 0.10
    #: §2.3 u ≤ this → MODERATE.
    grade_moderate_max: float = 0.25
    #: §2.3 u ≤ this → LOW; above → INSUFFICIENT.
    grade_low_max: float = 0.50
    #: §2.3 market total premium (USD) below this → INSUFFICIENT.
    min_premium: float = 10_000_000.0
    #: §2.3 the same floor applied to one ticker's or sector's total premium (USD).
    ticker_min_premium: float = 10_000_000.0
    #: §2.4/§11.2 number of top-flow names (by total premium, ties by symbol).
    top_n: int = 16
    #: §2.4 δ: a label is BULL/BEAR only beyond ±δ·T of the name.
    label_band: float = 0.05
    #: §2 sector of a ticker missing from the sector map.
    unmapped_sector: str = "Other"
    #: §11b a campaign is at least this many consecutive sessions with the same largest bucket.
    campaign_min_days: int = 3

    def __post_init__(self) -> None:
        if self.multi_leg not in ("unknown", "exclude"):
            raise ValueError(f"multi_leg must be 'unknown' or 'exclude', not {self.multi_leg!r}")
        if not 0 <= self.grade_high_max <= self.grade_moderate_max <= self.grade_low_max:
            raise ValueError("need 0 ≤ grade_high_max ≤ grade_moderate_max ≤ grade_low_max")
        if self.top_n < 1 or self.campaign_min_days < 1:
            raise ValueError("top_n and campaign_min_days must be ≥ 1")


class Bucket(StrEnum):
    """The §2.1 premium bucket of an included print."""

    CB = "CB"
    CS = "CS"
    PB = "PB"
    PS = "PS"
    U = "U"


#: How a bucket reads in a campaign line ("MSFT puts bought, day 14").
BUCKET_LABELS: Final = {
    Bucket.CB.value: "calls bought",
    Bucket.CS.value: "calls sold",
    Bucket.PB.value: "puts bought",
    Bucket.PS.value: "puts sold",
    Bucket.U.value: "unknown side",
}


class Exclusion(StrEnum):
    """Why a print is left out of the totals (§2.1, §2.5)."""

    CANCELLED = "cancelled"
    LATE = "late"
    UNKNOWN_MULTIPLIER = "unknown multiplier"
    NON_POSITIVE_PREMIUM = "non-positive premium"
    MULTI_LEG = "multi-leg"


class Grade(StrEnum):
    """§2.3 confidence grade from the unknown share."""

    HIGH = "HIGH"
    MODERATE = "MODERATE"
    LOW = "LOW"
    INSUFFICIENT = "INSUFFICIENT"


class Lean(StrEnum):
    """§2.4 naive or side-adjusted label of a name."""

    BULL = "BULL"
    BEAR = "BEAR"
    NEUTRAL = "NEUTRAL"


BUCKET_DTYPE: Final = pl.Enum([b.value for b in Bucket])
EXCLUSION_DTYPE: Final = pl.Enum([e.value for e in Exclusion])
GRADE_DTYPE: Final = pl.Enum([g.value for g in Grade])
LEAN_DTYPE: Final = pl.Enum([x.value for x in Lean])

#: The premium sums every flow frame carries; everything else is derived from them.
SUM_COLUMNS: Final = (
    "calls_bought",
    "calls_sold",
    "puts_bought",
    "puts_sold",
    "unknown_calls",
    "unknown_puts",
    "unknown",
)
_CLASSIFIED_BUCKETS: Final = (Bucket.CB, Bucket.CS, Bucket.PB, Bucket.PS)


def _bucket_lit(bucket: Bucket) -> pl.Expr:
    return pl.lit(bucket.value, BUCKET_DTYPE)


def _exclusion_lit(reason: Exclusion) -> pl.Expr:
    return pl.lit(reason.value, EXCLUSION_DTYPE)


_BUCKET_COLUMN: Final = {
    Bucket.CB: "calls_bought",
    Bucket.CS: "calls_sold",
    Bucket.PB: "puts_bought",
    Bucket.PS: "puts_sold",
}


# --------------------------------------------------------------------------------------------
# Per print


def _exclusion(names: list[str], params: FlowParams) -> pl.Expr:
    """The first §2.1/§2.5 reason a print is left out, null when it counts."""
    premium = pl.col("premium")
    has_conditions = "conditions" in names
    cancelled = has_condition(params.cancelled_conditions) if has_conditions else pl.lit(False)
    late = has_condition(params.late_conditions) if has_conditions else pl.lit(False)
    no_multiplier = pl.col("multiplier").is_null() if "multiplier" in names else pl.lit(False)
    bad_premium = ~(premium.is_finite() & (premium > 0)).fill_null(False)
    reason = (
        pl.when(cancelled)
        .then(_exclusion_lit(Exclusion.CANCELLED))
        .when(late)
        .then(_exclusion_lit(Exclusion.LATE))
        .when(no_multiplier)
        .then(_exclusion_lit(Exclusion.UNKNOWN_MULTIPLIER))
        .when(bad_premium)
        .then(_exclusion_lit(Exclusion.NON_POSITIVE_PREMIUM))
    )
    if params.multi_leg == "exclude":
        reason = reason.when(pl.col("multi_leg")).then(_exclusion_lit(Exclusion.MULTI_LEG))
    return reason.otherwise(pl.lit(None, EXCLUSION_DTYPE))


def _bucket() -> pl.Expr:
    """CB/CS/PB/PS/U from ``right`` and ``side``; null for an excluded print."""
    side, right = pl.col("side"), pl.col("right")
    buy = side == "BUY"
    return (
        pl.when(pl.col("exclusion").is_not_null())
        .then(pl.lit(None, BUCKET_DTYPE))
        .when(side == "UNKNOWN")
        .then(_bucket_lit(Bucket.U))
        .when(right == "C")
        .then(pl.when(buy).then(_bucket_lit(Bucket.CB)).otherwise(_bucket_lit(Bucket.CS)))
        .when(right == "P")
        .then(pl.when(buy).then(_bucket_lit(Bucket.PB)).otherwise(_bucket_lit(Bucket.PS)))
        .otherwise(_bucket_lit(Bucket.U))
    )


def _with_after_close(prints: pl.LazyFrame) -> pl.LazyFrame:
    """``after_close``: printed after the underlying's 16:00 ET close of its session (§2.5:
    kept, but the underlying quote used for context is stale). The close is computed once per
    session and joined, because converting every print's time zone costs more than the rest of
    the decomposition."""
    close_et = pl.col("session").cast(pl.Datetime("ns")) + pl.duration(
        hours=UNDERLYING_CLOSE.hour, minutes=UNDERLYING_CLOSE.minute
    )
    closes = (
        prints.select(pl.col("session").unique())
        .drop_nulls()
        .with_columns(
            close_et.dt.replace_time_zone(ET_ZONE, non_existent="null", ambiguous="earliest")
            .dt.convert_time_zone("UTC")
            .dt.cast_time_unit("ns")
            .alias("_close_utc")
        )
    )
    ts = pl.col("ts").dt.convert_time_zone("UTC").dt.cast_time_unit("ns")
    return (
        prints.join(closes, on="session", how="left")
        .with_columns((ts > pl.col("_close_utc")).fill_null(False).alias("after_close"))
        .drop("_close_utc")
    )


def bucket_prints(
    prints: pl.LazyFrame,
    quotes: pl.LazyFrame | None = None,
    /,
    *,
    params: FlowParams = FlowParams(),
    side_params: SideParams = DEFAULT_SIDE_PARAMS,
) -> pl.LazyFrame:
    """Every option print with its side (§1.2), ``exclusion`` (null when it counts),
    ``bucket`` (CB/CS/PB/PS/U, null when excluded) and ``after_close``.

    Excluded prints stay in the frame so each exclusion can be counted and traced.
    """
    classified = classify_options(prints, quotes, params=side_params)
    names = classified.collect_schema().names()
    flagged = classified.with_columns(_exclusion(names, params).alias("exclusion"))
    return _with_after_close(flagged).with_columns(_bucket().alias("bucket"))


# --------------------------------------------------------------------------------------------
# Sums and what follows from them


def _premium_where(condition: pl.Expr) -> pl.Expr:
    return pl.when(condition).then(pl.col("premium")).otherwise(0.0).sum()


def _premium_sums() -> list[pl.Expr]:
    """The §2.1 sums over included prints (an empty group sums to 0)."""
    bucket = pl.col("bucket")
    sums = [_premium_where(bucket == b.value).alias(_BUCKET_COLUMN[b]) for b in _CLASSIFIED_BUCKETS]
    unknown = bucket == Bucket.U.value
    return [
        *sums,
        _premium_where(unknown & (pl.col("right") == "C")).alias("unknown_calls"),
        _premium_where(unknown & (pl.col("right") == "P")).alias("unknown_puts"),
        _premium_where(unknown).alias("unknown"),
        bucket.is_not_null().sum().cast(pl.Int64).alias("prints"),
    ]


def ratio(numerator: pl.Expr, denominator: pl.Expr) -> pl.Expr:
    """numerator / denominator, null when the denominator is 0 or null (§0)."""
    return pl.when(denominator != 0).then(numerator / denominator).otherwise(None)


def grade_expr(
    unknown_share: pl.Expr, total: pl.Expr, *, min_premium: float, params: FlowParams
) -> pl.Expr:
    """§2.3: HIGH/MODERATE/LOW by the unknown share u; INSUFFICIENT when u > grade_low_max,
    T < ``min_premium`` or T = 0."""
    return (
        pl.when(total.is_null() | (total <= 0) | (total < min_premium) | unknown_share.is_null())
        .then(pl.lit(Grade.INSUFFICIENT.value))
        .when(unknown_share <= params.grade_high_max)
        .then(pl.lit(Grade.HIGH.value))
        .when(unknown_share <= params.grade_moderate_max)
        .then(pl.lit(Grade.MODERATE.value))
        .when(unknown_share <= params.grade_low_max)
        .then(pl.lit(Grade.LOW.value))
        .otherwise(pl.lit(Grade.INSUFFICIENT.value))
        .cast(GRADE_DTYPE)
    )


def confidence_grade(
    unknown_share: float | None,
    total: float,
    *,
    min_premium: float | None = None,
    params: FlowParams = FlowParams(),
) -> Grade:
    """The §2.3 grade of one (u, T) pair; ``min_premium`` defaults to the market floor."""
    floor = params.min_premium if min_premium is None else min_premium
    u = pl.lit(unknown_share, pl.Float64)
    value = pl.select(grade_expr(u, pl.lit(total, pl.Float64), min_premium=floor, params=params))
    return Grade(value.item())


def with_flow_figures(
    frame: pl.LazyFrame, /, *, min_premium: float, params: FlowParams
) -> pl.LazyFrame:
    """``frame`` (holding the ``SUM_COLUMNS``) with every derived §2 figure: ``total``,
    ``bullish``, ``bearish``, ``net``, ``calls``, ``puts``, ``unknown_share``,
    ``naive_call_put`` (incl. unknown), ``naive_call_put_classified``, ``adjusted_call_put``,
    ``grade`` and ``net_sign_robust``."""
    cb, cs = pl.col("calls_bought"), pl.col("calls_sold")
    pb, ps = pl.col("puts_bought"), pl.col("puts_sold")
    unknown = pl.col("unknown")
    return (
        frame.with_columns(
            (cb + cs + pb + ps + unknown).alias("total"),
            (cb + ps).alias("bullish"),
            (cs + pb).alias("bearish"),
            (cb + cs + pl.col("unknown_calls")).alias("calls"),
            (pb + ps + pl.col("unknown_puts")).alias("puts"),
        )
        .with_columns(
            (pl.col("bullish") - pl.col("bearish")).alias("net"),
            ratio(unknown, pl.col("total")).alias("unknown_share"),
            ratio(pl.col("calls"), pl.col("puts")).alias("naive_call_put"),
            ratio(cb + cs, pb + ps).alias("naive_call_put_classified"),
            ratio(pl.col("bullish"), pl.col("bearish")).alias("adjusted_call_put"),
        )
        .with_columns(
            grade_expr(
                pl.col("unknown_share"), pl.col("total"), min_premium=min_premium, params=params
            ).alias("grade"),
            (pl.col("net").abs() > unknown).alias("net_sign_robust"),
        )
    )


def _largest_bucket() -> list[pl.Expr]:
    """The classified bucket holding the most premium (ties: CB, CS, PB, PS order); null when
    no classified premium (§11b campaign input)."""
    columns = [pl.col(_BUCKET_COLUMN[b]) for b in _CLASSIFIED_BUCKETS]
    largest = pl.max_horizontal(columns)
    first_match = pl.coalesce(
        pl.when(column == largest).then(_bucket_lit(b))
        for b, column in zip(_CLASSIFIED_BUCKETS, columns, strict=True)
    )
    bucket = pl.when(largest > 0).then(first_match).otherwise(pl.lit(None, BUCKET_DTYPE))
    return [
        bucket.alias("largest_bucket"),
        pl.when(largest > 0).then(largest).otherwise(None).alias("largest_premium"),
    ]


# --------------------------------------------------------------------------------------------
# Market, tickers, sectors


@dataclass(frozen=True, slots=True)
class MarketFlow:
    """The market-wide §2 figures of one day (USD, unrounded) and how they were obtained."""

    calls_bought: float
    calls_sold: float
    puts_bought: float
    puts_sold: float
    unknown: float
    unknown_calls: float
    unknown_puts: float
    total: float
    bullish: float
    bearish: float
    net: float
    #: U / T, None when T = 0.
    unknown_share: float | None
    #: (CB + CS + U_calls) / (PB + PS + U_puts): flowterm's naive ratio, incl. unknown side.
    naive_call_put: float | None
    #: (CB + CS) / (PB + PS): the naive ratio on classified premium only.
    naive_call_put_classified: float | None
    #: (CB + PS) / (CS + PB).
    adjusted_call_put: float | None
    grade: Grade
    #: |Net| > U: the unknown premium could not flip the sign of Net.
    net_sign_robust: bool
    #: The side rule mode (§11.1), printed wherever the unknown share is shown.
    side_mode: SideMode
    multi_leg: MultiLegHandling
    #: Rows seen, rows in the totals, and the rows left out by reason.
    prints_seen: int
    prints_counted: int
    excluded_cancelled: int
    excluded_late: int
    excluded_unknown_multiplier: int
    excluded_non_positive_premium: int
    excluded_multi_leg: int
    #: Multi-leg prints kept with side UNKNOWN (multi_leg = "unknown").
    multi_leg_unknown: int
    #: Counted prints after the underlying's 16:00 ET close (§2.5).
    after_close: int

    @property
    def excluded(self) -> int:
        return self.prints_seen - self.prints_counted


def _count(condition: pl.Expr, name: str) -> pl.Expr:
    return condition.fill_null(False).sum().cast(pl.Int64).alias(name)


def _counts() -> list[pl.Expr]:
    """The print counts of ``MarketFlow`` (seen, left out by reason, multi-leg, after close)."""
    exclusion = pl.col("exclusion")
    counted = pl.col("bucket").is_not_null()
    return [
        pl.len().cast(pl.Int64).alias("prints_seen"),
        _count(exclusion == Exclusion.CANCELLED.value, "excluded_cancelled"),
        _count(exclusion == Exclusion.LATE.value, "excluded_late"),
        _count(exclusion == Exclusion.UNKNOWN_MULTIPLIER.value, "excluded_unknown_multiplier"),
        _count(exclusion == Exclusion.NON_POSITIVE_PREMIUM.value, "excluded_non_positive_premium"),
        _count(exclusion == Exclusion.MULTI_LEG.value, "excluded_multi_leg"),
        _count(counted & pl.col("multi_leg"), "multi_leg_unknown"),
        _count(counted & pl.col("after_close"), "after_close"),
    ]


#: The counts of ``_counts`` (and of a print summary), in order.
COUNT_COLUMNS: Final = (
    "prints_seen",
    "excluded_cancelled",
    "excluded_late",
    "excluded_unknown_multiplier",
    "excluded_non_positive_premium",
    "excluded_multi_leg",
    "multi_leg_unknown",
    "after_close",
)


def _market_frame(bucketed: pl.LazyFrame, params: FlowParams) -> pl.LazyFrame:
    sums = bucketed.select(*_premium_sums(), *_counts())
    return with_flow_figures(sums, min_premium=params.min_premium, params=params)


def _market_flow_of(
    row: dict[str, object], params: FlowParams, side_params: SideParams
) -> MarketFlow:
    def number(name: str) -> float:
        value = row[name]
        assert isinstance(value, int | float)
        return float(value)

    def maybe(name: str) -> float | None:
        value = row[name]
        return None if value is None else number(name)

    def whole(name: str) -> int:
        value = row[name]
        assert isinstance(value, int)
        return value

    return MarketFlow(
        calls_bought=number("calls_bought"),
        calls_sold=number("calls_sold"),
        puts_bought=number("puts_bought"),
        puts_sold=number("puts_sold"),
        unknown=number("unknown"),
        unknown_calls=number("unknown_calls"),
        unknown_puts=number("unknown_puts"),
        total=number("total"),
        bullish=number("bullish"),
        bearish=number("bearish"),
        net=number("net"),
        unknown_share=maybe("unknown_share"),
        naive_call_put=maybe("naive_call_put"),
        naive_call_put_classified=maybe("naive_call_put_classified"),
        adjusted_call_put=maybe("adjusted_call_put"),
        grade=Grade(str(row["grade"])),
        net_sign_robust=bool(row["net_sign_robust"]),
        side_mode=side_params.mode,
        multi_leg=params.multi_leg,
        prints_seen=whole("prints_seen"),
        prints_counted=whole("prints"),
        excluded_cancelled=whole("excluded_cancelled"),
        excluded_late=whole("excluded_late"),
        excluded_unknown_multiplier=whole("excluded_unknown_multiplier"),
        excluded_non_positive_premium=whole("excluded_non_positive_premium"),
        excluded_multi_leg=whole("excluded_multi_leg"),
        multi_leg_unknown=whole("multi_leg_unknown"),
        after_close=whole("after_close"),
    )


def market_flow(
    bucketed: pl.LazyFrame,
    /,
    *,
    params: FlowParams = FlowParams(),
    side_params: SideParams = DEFAULT_SIDE_PARAMS,
) -> MarketFlow:
    """The market totals of ``bucketed`` (the output of ``bucket_prints`` for one session),
    collected with the streaming engine. ``side_params`` only records the mode used."""
    row = _market_frame(bucketed, params).collect(engine=ENGINE).row(0, named=True)
    return _market_flow_of(row, params, side_params)


def market_totals(bucketed: pl.LazyFrame, /, *, params: FlowParams = FlowParams()) -> pl.LazyFrame:
    """The market totals and figures per ``session`` (one row per session with counted prints)."""
    sums = bucketed.filter(pl.col("bucket").is_not_null()).group_by("session").agg(_premium_sums())
    figures = with_flow_figures(sums, min_premium=params.min_premium, params=params)
    return figures.sort("session")


def ticker_flow(bucketed: pl.LazyFrame, /, *, params: FlowParams = FlowParams()) -> pl.LazyFrame:
    """One row per ``session`` and ``underlying`` with the §2 sums and figures, the grade on
    ``ticker_min_premium``, and the ``largest_bucket``/``largest_premium`` of §11b."""
    sums = (
        bucketed.filter(pl.col("bucket").is_not_null())
        .group_by("session", "underlying")
        .agg(_premium_sums())
        .with_columns(pl.col("underlying").cast(pl.String))
    )
    figures = with_flow_figures(sums, min_premium=params.ticker_min_premium, params=params)
    return figures.with_columns(_largest_bucket()).sort("session", "underlying")


def sector_flow(
    tickers: pl.LazyFrame,
    sectors: pl.LazyFrame | None = None,
    /,
    *,
    params: FlowParams = FlowParams(),
) -> pl.LazyFrame:
    """One row per ``session`` and ``sector``: the ticker sums of ``ticker_flow`` added up by
    the sector map (``symbol``, ``sector``; first row wins for a repeated symbol), tickers not
    in it under ``unmapped_sector``; figures recomputed from the summed parts."""
    if sectors is None:
        sector_map = pl.LazyFrame(schema={"symbol": pl.String, "sector": pl.String})
    else:
        sector_map = sectors.select(
            pl.col("symbol").cast(pl.String), pl.col("sector").cast(pl.String)
        ).unique(subset="symbol", keep="first", maintain_order=True)
    joined = tickers.join(sector_map, left_on="underlying", right_on="symbol", how="left")
    sums = (
        joined.with_columns(pl.col("sector").fill_null(params.unmapped_sector))
        .group_by("session", "sector")
        .agg(
            *[pl.col(c).sum() for c in SUM_COLUMNS],
            pl.col("prints").sum(),
            pl.len().cast(pl.Int64).alias("tickers"),
        )
    )
    figures = with_flow_figures(sums, min_premium=params.ticker_min_premium, params=params)
    return figures.sort("session", "sector")


# --------------------------------------------------------------------------------------------
# Top flow and flips (§2.4)


def _lean(value: pl.Expr, total: pl.Expr, params: FlowParams) -> pl.Expr:
    band = params.label_band * total
    return (
        pl.when(value > band)
        .then(pl.lit(Lean.BULL.value))
        .when(value < -band)
        .then(pl.lit(Lean.BEAR.value))
        .otherwise(pl.lit(Lean.NEUTRAL.value))
        .cast(LEAN_DTYPE)
    )


def top_flow(tickers: pl.LazyFrame, /, *, params: FlowParams = FlowParams()) -> pl.LazyFrame:
    """The ``top_n`` names per session by total premium (ties by symbol) with ``rank``,
    ``naive_label`` (calls − puts premium vs ±δ·T), ``adjusted_label`` (Net vs ±δ·T) and
    ``flip`` (both non-neutral and opposite)."""
    ranked = tickers.sort(
        ["session", "total", "underlying"], descending=[False, True, False]
    ).with_columns(pl.col("underlying").cum_count().over("session").cast(pl.Int64).alias("rank"))
    labelled = ranked.filter(pl.col("rank") <= params.top_n).with_columns(
        _lean(pl.col("calls") - pl.col("puts"), pl.col("total"), params).alias("naive_label"),
        _lean(pl.col("net"), pl.col("total"), params).alias("adjusted_label"),
    )
    neutral = Lean.NEUTRAL.value
    flip = (
        (pl.col("naive_label") != neutral)
        & (pl.col("adjusted_label") != neutral)
        & (pl.col("naive_label") != pl.col("adjusted_label"))
    )
    return labelled.with_columns(flip.alias("flip"))


@dataclass(frozen=True, slots=True)
class FlipRate:
    """§2.4 flips among the top names; ``names`` (N_available) is the denominator."""

    flips: int
    names: int
    requested: int
    #: flips / names; None when no names.
    rate: float | None

    @property
    def short(self) -> bool:
        """Fewer names than requested: print ``names`` beside the rate."""
        return self.names < self.requested


def flip_rate(
    top: pl.LazyFrame | pl.DataFrame, /, *, params: FlowParams = FlowParams()
) -> FlipRate:
    """The flip rate of ``top_flow`` output for one session (NEUTRALs count as non-flips)."""
    lazy = top.lazy() if isinstance(top, pl.DataFrame) else top
    row = lazy.select(
        pl.len().cast(pl.Int64).alias("names"),
        pl.col("flip").fill_null(False).sum().cast(pl.Int64).alias("flips"),
    ).collect()
    names, flips = int(row["names"][0]), int(row["flips"][0])
    return FlipRate(flips, names, params.top_n, flips / names if names else None)


# --------------------------------------------------------------------------------------------
# Campaigns (§11b)


def campaigns(
    per_ticker_history: pl.LazyFrame, /, *, params: FlowParams = FlowParams()
) -> pl.LazyFrame:
    """Runs of ≥ ``campaign_min_days`` consecutive sessions in which the same bucket holds a
    ticker's largest premium: ``underlying``, ``bucket``, ``bucket_label``, ``start``, ``end``,
    ``days``, ``premium`` (that bucket's premium summed over the run) and ``active`` (the run
    reaches the latest session of the history).

    ``per_ticker_history`` is ``ticker_flow`` over several sessions. Sessions are those present
    in it; a session where the ticker has no flow, or no classified premium, ends a run.
    """
    ordered = per_ticker_history.select(
        "session", pl.col("underlying").cast(pl.String), "largest_bucket", "largest_premium"
    ).with_columns(
        pl.col("session").rank("dense").cast(pl.Int64).alias("_index"),
        pl.col("session").max().alias("_latest"),
    )
    ordered = ordered.sort("underlying", "session")
    bucket = pl.col("largest_bucket")
    new_run = (
        (bucket.ne_missing(bucket.shift(1)) | (pl.col("_index") != pl.col("_index").shift(1) + 1))
        .fill_null(True)
        .over("underlying")
    )
    runs = ordered.with_columns(new_run.cast(pl.Int64).cum_sum().over("underlying").alias("_run"))
    grouped = runs.group_by("underlying", "_run").agg(
        bucket.first().alias("bucket"),
        pl.col("session").min().alias("start"),
        pl.col("session").max().alias("end"),
        pl.len().cast(pl.Int64).alias("days"),
        pl.col("largest_premium").sum().alias("premium"),
        pl.col("_latest").first().alias("_latest"),
    )
    return (
        grouped.filter(
            pl.col("bucket").is_not_null() & (pl.col("days") >= params.campaign_min_days)
        )
        .with_columns(
            pl.col("bucket")
            .cast(pl.String)
            .replace_strict(BUCKET_LABELS, return_dtype=pl.String)
            .alias("bucket_label"),
            (pl.col("end") == pl.col("_latest")).alias("active"),
        )
        .select("underlying", "bucket", "bucket_label", "start", "end", "days", "premium", "active")
        .sort("underlying", "start")
    )


# --------------------------------------------------------------------------------------------
# One day in one call


@dataclass(frozen=True, slots=True)
class FlowDay:
    """Everything §2 shows for one session, collected."""

    market: MarketFlow
    tickers: pl.DataFrame
    sectors: pl.DataFrame
    top: pl.DataFrame
    flip: FlipRate


def flow_day(
    prints: pl.LazyFrame,
    quotes: pl.LazyFrame | None = None,
    sectors: pl.LazyFrame | None = None,
    /,
    *,
    params: FlowParams = FlowParams(),
    side_params: SideParams = DEFAULT_SIDE_PARAMS,
) -> FlowDay:
    """Bucket one session's option prints and collect the market figures, the per-ticker and
    per-sector frames, the top-flow names and the flip rate in one streaming pass over the
    prints (the prints should hold a single session)."""
    bucketed = bucket_prints(prints, quotes, params=params, side_params=side_params)
    market_lf = _market_frame(bucketed, params)
    tickers_lf = ticker_flow(bucketed, params=params)
    market_df, tickers = pl.collect_all([market_lf, tickers_lf], engine=ENGINE)
    market = _market_flow_of(market_df.row(0, named=True), params, side_params)
    sector_df = sector_flow(tickers.lazy(), sectors, params=params).collect()
    top = top_flow(tickers.lazy(), params=params).collect()
    return FlowDay(market, tickers, sector_df, top, flip_rate(top, params=params))


# --------------------------------------------------------------------------------------------
# Print summaries: the sums every §2 figure is made of, kept per file and folded


#: The finest grouping any §2 figure or the §9.4 put/call ratios need.
SUMMARY_KEYS: Final = ("session", "underlying", "root", "right")
#: A print summary: per ``SUMMARY_KEYS``, the premium sums, the counts of ``MarketFlow``, and
#: the contracts and premium of every print (the put/call ratios count excluded prints too).
SUMMARY_SCHEMA: Final = pl.Schema(
    {
        "session": pl.Date(),
        "underlying": pl.String(),
        "root": pl.String(),
        "right": pl.String(),
        **dict.fromkeys(SUM_COLUMNS, pl.Float64()),
        "prints": pl.Int64(),
        **dict.fromkeys(COUNT_COLUMNS, pl.Int64()),
        "volume": pl.Int64(),
        "premium_all": pl.Float64(),
    }
)


def summarise_prints(bucketed: pl.LazyFrame, /) -> pl.LazyFrame:
    """``bucket_prints`` output reduced to sums per ``SUMMARY_KEYS`` (``SUMMARY_SCHEMA``).

    Every figure of ``flow_day`` and of ``put_call_ratios`` is a function of these sums, and
    the sums of two sets of prints add up to the sums of both: part files and appended rows are
    summarised once and folded (``fold_summaries``) instead of read again."""
    names = bucketed.collect_schema().names()
    root = pl.col("root") if "root" in names else pl.lit(None, pl.String)
    keys = [
        pl.col("session"),
        pl.col("underlying").cast(pl.String),
        root.cast(pl.String).alias("root"),
        pl.col("right").cast(pl.String),
    ]
    return (
        bucketed.group_by(keys)
        .agg(
            *_premium_sums(),
            *_counts(),
            pl.col("size").sum().cast(pl.Int64).alias("volume"),
            pl.col("premium").sum().alias("premium_all"),
        )
        .select(SUMMARY_SCHEMA.names())
        .cast(SUMMARY_SCHEMA)
    )


def empty_summary() -> pl.DataFrame:
    return pl.DataFrame(schema=SUMMARY_SCHEMA)


def fold_summaries(parts: Sequence[pl.DataFrame], /) -> pl.DataFrame:
    """Print summaries added up per key (one part is returned as it is)."""
    frames = [p for p in parts if p.height]
    if not frames:
        return empty_summary()
    if len(frames) == 1:
        return frames[0]
    values = [pl.col(c).sum() for c in SUMMARY_SCHEMA.names() if c not in SUMMARY_KEYS]
    return (
        pl.concat(frames)
        .group_by(SUMMARY_KEYS, maintain_order=True)
        .agg(values)
        .cast(SUMMARY_SCHEMA)
    )


def flow_from_summary(
    summary: pl.DataFrame,
    sectors: pl.LazyFrame | None = None,
    /,
    *,
    params: FlowParams = FlowParams(),
    side_params: SideParams = DEFAULT_SIDE_PARAMS,
) -> FlowDay:
    """``flow_day`` of the prints ``summary`` was made of (one session), from the sums alone."""
    lazy = summary.lazy()
    market_sums = lazy.select(
        *[pl.col(c).sum() for c in SUM_COLUMNS],
        pl.col("prints").sum(),
        *[pl.col(c).sum() for c in COUNT_COLUMNS],
    )
    market_lf = with_flow_figures(market_sums, min_premium=params.min_premium, params=params)
    ticker_sums = (
        lazy.group_by("session", "underlying")
        .agg(*[pl.col(c).sum() for c in SUM_COLUMNS], pl.col("prints").sum())
        .filter(pl.col("prints") > 0)
    )
    tickers_lf = with_flow_figures(
        ticker_sums, min_premium=params.ticker_min_premium, params=params
    ).with_columns(_largest_bucket())
    market_df, tickers = pl.collect_all([market_lf, tickers_lf.sort("session", "underlying")])
    market = _market_flow_of(market_df.row(0, named=True), params, side_params)
    sector_df = sector_flow(tickers.lazy(), sectors, params=params).collect()
    top = top_flow(tickers.lazy(), params=params).collect()
    return FlowDay(market, tickers, sector_df, top, flip_rate(top, params=params))


__all__ = [
    "BUCKET_DTYPE",
    "BUCKET_LABELS",
    "COUNT_COLUMNS",
    "ENGINE",
    "EXCLUSION_DTYPE",
    "GRADE_DTYPE",
    "LEAN_DTYPE",
    "SETTINGS_SECTION",
    "SUMMARY_KEYS",
    "SUMMARY_SCHEMA",
    "SUM_COLUMNS",
    "UNDERLYING_CLOSE",
    "Bucket",
    "Exclusion",
    "FlipRate",
    "FlowDay",
    "FlowParams",
    "Grade",
    "Lean",
    "MarketFlow",
    "MultiLegHandling",
    "bucket_prints",
    "campaigns",
    "confidence_grade",
    "empty_summary",
    "flip_rate",
    "flow_day",
    "flow_from_summary",
    "fold_summaries",
    "grade_expr",
    "market_flow",
    "market_totals",
    "ratio",
    "sector_flow",
    "summarise_prints",
    "ticker_flow",
    "top_flow",
    "with_flow_figures",
]
