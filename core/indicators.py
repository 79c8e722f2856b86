"""The second document's indicators (METHODOLOGY §9): Smart Money Index, breadth, RSI(14),
put/call ratios, relative volume and the gravestone doji.

Every function is a pure LazyFrame → LazyFrame step over canonical frames (core/schema.py); ratios
are fractions or plain numbers, unrounded, and a zero denominator gives null (§0).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Final

import polars as pl

from .schema import ET_ZONE
from .wilder import wilder_mean

SETTINGS_SECTION: Final = "indicators"

#: SMI day notes (column ``smi_note``).
SMI_MISSING_BAR: Final = "missing bar"
SMI_EARLY_CLOSE: Final = "early close"
#: Universe names of ``put_call_ratios``.
UNIVERSES: Final = ("all", "equity", "index", "spx")


@dataclass(frozen=True, slots=True)
class IndicatorParams:
    """The [P] parameters of §9 (flowterm.toml ``[indicators]``)."""

    #: §9.1 regular session open (ET); the opening change starts at this bar's open.
    smi_open: time = time(9, 30)
    #: §9.1 length of the opening window: P(10:00) − P(09:30 open).
    smi_opening_minutes: int = 30
    #: §9.1 regular session close (ET).
    smi_close: time = time(16, 0)
    #: §9.1 early-close time (ET): a session whose last bar ends here has its last hour before it.
    smi_early_close: time = time(13, 0)
    #: §9.1 length of the last-hour window: P(close) − P(close − 60 min).
    smi_last_hour_minutes: int = 60
    #: §9.1 how bars are stamped: "start", "end" or "auto" (a session with a bar stamped at the
    #: open and none stamped at the regular close is start-stamped, otherwise end-stamped).
    smi_bar_stamp: str = "auto"
    #: §9.2 simple moving average length for breadth (members need this many closes).
    breadth_window: int = 50
    #: §9.3 RSI window (Wilder smoothing).
    rsi_window: int = 14
    #: §9.3 RSI when both average gain and average loss are 0.
    rsi_flat: float = 50.0
    #: §9.4 option roots counted as index options (everything else is equity, incl. ETFs).
    pcr_index_roots: tuple[str, ...] = ("SPX", "SPXW", "NDX", "RUT", "VIX", "XSP")
    #: §9.4 roots of the SPX+SPXW universe.
    pcr_spx_roots: tuple[str, ...] = ("SPX", "SPXW")
    #: §9.5 relative volume baseline: mean volume of this many prior sessions.
    rvol_window: int = 20
    #: §9.6 TA-Lib candle-average period (previous candles) for BodyDoji and ShadowVeryShort.
    doji_period: int = 10
    #: §9.6 body ≤ this × average high-low range (TA-Lib BodyDoji factor).
    doji_body_factor: float = 0.1
    #: §9.6 lower shadow < and upper shadow > this × average range (TA-Lib ShadowVeryShort).
    doji_shadow_factor: float = 0.1
    #: §9.6 prior uptrend: previous close above its SMA of this length …
    doji_trend_sma: int = 20
    #: §9.6 … or a positive return over this many sessions up to the previous close.
    doji_trend_return_days: int = 5

    def __post_init__(self) -> None:
        if self.smi_bar_stamp not in ("start", "end", "auto"):
            raise ValueError(
                f"smi_bar_stamp must be start, end or auto, not {self.smi_bar_stamp!r}"
            )


# ------------------------------------------------------------------------------------------
# §9.1 Smart Money Index
# ------------------------------------------------------------------------------------------


def _shift(t: time, minutes: int) -> time:
    """Wall-clock ``t`` moved by ``minutes`` (within the day)."""
    return (datetime.combine(date(2000, 1, 1), t) + timedelta(minutes=minutes)).time()


def _is_start_stamped(params: IndicatorParams) -> pl.Expr:
    """Whether each bar is start-stamped (a boolean per symbol and session)."""
    if params.smi_bar_stamp != "auto":
        return pl.lit(params.smi_bar_stamp == "start")
    stamp = pl.col("_stamp")
    has_open = (stamp == params.smi_open).any()
    has_close = (stamp == params.smi_close).any()
    return (has_open & ~has_close).over("symbol", "session")


def _price_at(column: str, moment: pl.Expr, when: time) -> pl.Expr:
    """The ``column`` value of the bar whose ``moment`` (start or end time) is ``when``."""
    return pl.col(column).filter(moment == when).first()


def smi_days(
    intraday: pl.LazyFrame, /, *, params: IndicatorParams = IndicatorParams()
) -> pl.LazyFrame:
    """Per symbol and session: the prices the SMI uses and the day's two changes.

    Columns: symbol, session, day_close (last bar's close), early_close, opening_change
    (P(10:00) − P(09:30 open)) and last_hour_change (P(close) − P(close − 1 h)); a change is null
    when a bar it needs is missing. Bar length is the smallest gap between a session's bars; a
    bar covers [start, start + length). An early-close session (last bar ending at
    ``smi_early_close``) takes its last hour before that time."""
    et = pl.col("ts").dt.convert_time_zone(ET_ZONE)
    length = pl.col("ts").sort().diff().min().over("symbol", "session")
    framed = intraday.with_columns(et.dt.time().alias("_stamp"), length.alias("_len"))
    framed = framed.with_columns(_is_start_stamped(params).alias("_start_stamped"))
    start = pl.when(pl.col("_start_stamped")).then(et).otherwise(et - pl.col("_len"))
    framed = framed.with_columns(
        start.dt.time().alias("_start"), (start + pl.col("_len")).dt.time().alias("_end")
    )
    begin, end = pl.col("_start"), pl.col("_end")
    regular, early = params.smi_close, params.smi_early_close
    hour = -params.smi_last_hour_minutes
    days = framed.group_by("symbol", "session").agg(
        pl.col("close").sort_by("ts").last().alias("day_close"),
        ((end == early).any() & ~(end > early).any()).alias("early_close"),
        _price_at("open", begin, params.smi_open).alias("_p_open"),
        _price_at("close", end, _shift(params.smi_open, params.smi_opening_minutes)).alias("_p_1"),
        _price_at("close", end, regular).alias("_p_close"),
        _price_at("close", end, _shift(regular, hour)).alias("_p_last"),
        _price_at("close", end, early).alias("_p_close_early"),
        _price_at("close", end, _shift(early, hour)).alias("_p_last_early"),
    )
    is_early = pl.col("early_close")
    last_hour = pl.when(is_early).then(pl.col("_p_close_early") - pl.col("_p_last_early"))
    return days.select(
        "symbol",
        "session",
        "day_close",
        "early_close",
        (pl.col("_p_1") - pl.col("_p_open")).alias("opening_change"),
        last_hour.otherwise(pl.col("_p_close") - pl.col("_p_last")).alias("last_hour_change"),
    ).sort("symbol", "session")


def smart_money_index(
    intraday: pl.LazyFrame, /, *, params: IndicatorParams = IndicatorParams()
) -> pl.LazyFrame:
    """SMI_t = SMI_{t−1} − opening change + last-hour change, per symbol, from intraday bars.

    SMI on the first session is that session's close (SMI_0); a later session missing a bar the
    changes need keeps the previous SMI and is flagged (``smi_skipped``, ``smi_note``). Columns:
    those of ``smi_days`` plus smi, smi_skipped, smi_note."""
    days = smi_days(intraday, params=params)
    first = pl.col("session") == pl.col("session").min().over("symbol")
    change = pl.col("last_hour_change") - pl.col("opening_change")
    skipped = ~first & change.is_null()
    step = pl.when(first | skipped).then(0.0).otherwise(change)
    seed = pl.col("day_close").sort_by("session").first().over("symbol")
    note = (
        pl.when(skipped)
        .then(pl.lit(SMI_MISSING_BAR))
        .when(pl.col("early_close"))
        .then(pl.lit(SMI_EARLY_CLOSE))
        .otherwise(None)
    )
    return days.with_columns(
        (seed + step.cum_sum().over("symbol", order_by="session")).alias("smi"),
        skipped.alias("smi_skipped"),
        note.alias("smi_note"),
    )


def smi_step(previous: float, opening_change: float, last_hour_change: float) -> float:
    """One SMI step: ``smi_step(10000, 100, -80) == 9820``."""
    return previous - opening_change + last_hour_change


# ------------------------------------------------------------------------------------------
# §9.2 Breadth
# ------------------------------------------------------------------------------------------


def breadth(bars: pl.LazyFrame, /, *, params: IndicatorParams = IndicatorParams()) -> pl.LazyFrame:
    """Per date: % of symbols present with close > SMA(n) among those with ≥ n closes.

    Columns: date, members (symbols with ≥ n closes that day), above, breadth (fraction,
    null when no member qualifies). Pass the membership as of each date (survivorship, §9.2)."""
    n = params.breadth_window
    sma = pl.col("close").rolling_mean(n, min_samples=n).over("symbol", order_by="date")
    flagged = bars.with_columns(sma.alias("_sma"))
    counted = flagged.group_by("date").agg(
        pl.col("_sma").is_not_null().sum().alias("members"),
        (pl.col("close") > pl.col("_sma")).fill_null(False).sum().alias("above"),
    )
    share = pl.when(pl.col("members") > 0).then(pl.col("above") / pl.col("members"))
    return counted.with_columns(share.alias("breadth")).sort("date")


# ------------------------------------------------------------------------------------------
# §9.3 RSI
# ------------------------------------------------------------------------------------------


def rsi_averages(
    close: pl.Expr, *, params: IndicatorParams = IndicatorParams()
) -> tuple[pl.Expr, pl.Expr]:
    """Wilder average gain and average loss of close-to-close changes (seeded with the simple
    mean of the first n; null before the n-th change)."""
    n = params.rsi_window
    change = close.diff()
    known = pl.when(change.is_null()).then(None)  # the first close has no change
    gain = wilder_mean(known.when(change > 0).then(change).otherwise(0.0), n)
    loss = wilder_mean(known.when(change < 0).then(-change).otherwise(0.0), n)
    return gain, loss


def rsi(close: pl.Expr, *, params: IndicatorParams = IndicatorParams()) -> pl.Expr:
    """Wilder RSI(n) of ``close`` (one symbol in date order, or ``.over(symbol)``).

    RSI = 100 − 100/(1 + avgGain/avgLoss); avgLoss = 0 → 100; both 0 → ``rsi_flat`` (50).
    Null for the first n closes."""
    gain, loss = rsi_averages(close, params=params)
    return (
        pl.when(gain.is_null() | loss.is_null())
        .then(None)
        .when((loss == 0) & (gain == 0))
        .then(params.rsi_flat)
        .when(loss == 0)
        .then(100.0)
        .otherwise(100.0 - 100.0 / (1.0 + gain / loss))
    )


def with_rsi(bars: pl.LazyFrame, /, *, params: IndicatorParams = IndicatorParams()) -> pl.LazyFrame:
    """Daily bars with an ``rsi`` column, per symbol (rows sorted by symbol and date)."""
    value = rsi(pl.col("close"), params=params).over("symbol")
    return bars.sort("symbol", "date").with_columns(value.alias("rsi"))


# ------------------------------------------------------------------------------------------
# §9.4 Put/call ratio
# ------------------------------------------------------------------------------------------


def _universe_masks(params: IndicatorParams) -> dict[str, pl.Expr]:
    root = pl.coalesce(pl.col("root"), pl.col("underlying")).str.to_uppercase()
    index = root.is_in(list(params.pcr_index_roots))
    return {
        "all": pl.lit(True),
        "equity": ~index,
        "index": index,
        "spx": root.is_in(list(params.pcr_spx_roots)),
    }


def _ratio(numerator: str, denominator: str) -> pl.Expr:
    return pl.when(pl.col(denominator) > 0).then(pl.col(numerator) / pl.col(denominator))


def put_call_ratios(
    prints: pl.LazyFrame, /, *, params: IndicatorParams = IndicatorParams()
) -> pl.LazyFrame:
    """Per session and named universe (all, equity, index, spx): put/call volume ratio and the
    premium-weighted ratio (a different statistic, §9.4), from option prints.

    A print's universe comes from its root (the underlying when root is null). Columns: session,
    universe, put_volume, call_volume, pcr, put_premium, call_premium, pcr_premium."""
    if "root" not in prints.collect_schema().names():
        prints = prints.with_columns(pl.lit(None, pl.String).alias("root"))
    is_put, is_call = pl.col("right") == "P", pl.col("right") == "C"
    parts = []
    for name, mask in _universe_masks(params).items():
        parts.append(
            prints.group_by("session").agg(
                pl.lit(name).alias("universe"),
                pl.col("size").filter(mask & is_put).sum().alias("put_volume"),
                pl.col("size").filter(mask & is_call).sum().alias("call_volume"),
                pl.col("premium").filter(mask & is_put).sum().alias("put_premium"),
                pl.col("premium").filter(mask & is_call).sum().alias("call_premium"),
            )
        )
    order = pl.col("universe").replace_strict(
        {u: i for i, u in enumerate(UNIVERSES)}, return_dtype=pl.Int8
    )
    return (
        pl.concat(parts)
        .with_columns(
            _ratio("put_volume", "call_volume").alias("pcr"),
            _ratio("put_premium", "call_premium").alias("pcr_premium"),
        )
        .sort(pl.col("session"), order)
    )


# ------------------------------------------------------------------------------------------
# §9.5 Relative volume
# ------------------------------------------------------------------------------------------


def relative_volume(
    bars: pl.LazyFrame,
    /,
    *,
    params: IndicatorParams = IndicatorParams(),
    half_days: Collection[date] = (),
) -> pl.LazyFrame:
    """Daily bars with ``volume_baseline`` (mean volume of the n prior sessions) and ``rvol``.

    Sessions in ``half_days`` and sessions without volume are left out of every baseline (the
    window then reaches further back); null when fewer than n such prior sessions exist."""
    n = params.rvol_window
    ordered = bars.sort("symbol", "date")
    eligible = pl.col("volume").is_not_null() & ~pl.col("date").is_in(list(half_days))
    baselines = (
        ordered.filter(eligible)
        .select(
            "symbol",
            "date",
            pl.col("volume").rolling_mean(n, min_samples=n).over("symbol").alias("volume_baseline"),
        )
        .sort("date")
    )
    joined = ordered.sort("date").join_asof(
        baselines,
        on="date",
        by="symbol",
        strategy="backward",
        allow_exact_matches=False,
        check_sortedness=False,  # both sides are sorted by date just above
    )
    rvol = pl.when(pl.col("volume_baseline") > 0).then(pl.col("volume") / pl.col("volume_baseline"))
    return joined.with_columns(rvol.alias("rvol")).sort("symbol", "date")


# ------------------------------------------------------------------------------------------
# §9.6 Gravestone doji
# ------------------------------------------------------------------------------------------


def gravestone_doji(
    bars: pl.LazyFrame, /, *, params: IndicatorParams = IndicatorParams()
) -> pl.LazyFrame:
    """Daily bars with ``gravestone`` (TA-Lib CDLGRAVESTONEDOJI) and ``gravestone_bearish``.

    Thresholds are factors of the mean high-low range of the previous ``doji_period`` candles:
    body ≤ body factor × avg, lower shadow < shadow factor × avg, upper shadow > the same. Null
    with fewer previous candles (TA-Lib lookback); H = L is never a pattern. Bearish = pattern
    after an uptrend: C_{t−1} > SMA20 (ending t−1) or C_{t−1}/C_{t−1−5} − 1 > 0 (null when
    neither can be computed and the other is not true)."""
    o, h, lo, c = pl.col("open"), pl.col("high"), pl.col("low"), pl.col("close")
    period = params.doji_period
    average = (h - lo).rolling_mean(period, min_samples=period).shift(1)
    body = (c - o).abs()
    lower = pl.min_horizontal(o, c) - lo
    upper = h - pl.max_horizontal(o, c)
    body_limit = params.doji_body_factor * average
    shadow_limit = params.doji_shadow_factor * average
    pattern = (
        pl.when(average.is_null())
        .then(None)
        .when(h == lo)
        .then(False)
        .otherwise((body <= body_limit) & (lower < shadow_limit) & (upper > shadow_limit))
    )
    prev = c.shift(1)
    sma = c.rolling_mean(params.doji_trend_sma, min_samples=params.doji_trend_sma).shift(1)
    ret = prev / c.shift(1 + params.doji_trend_return_days) - 1.0
    uptrend = (prev > sma) | (ret > 0)
    return (
        bars.sort("symbol", "date")
        .with_columns(pattern.over("symbol").alias("gravestone"))
        .with_columns((pl.col("gravestone") & uptrend.over("symbol")).alias("gravestone_bearish"))
    )
