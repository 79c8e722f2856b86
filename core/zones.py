"""Expected-move zones: low/mid/high, room to the ceiling and floor, status and the asymmetry
ratio (METHODOLOGY §4, §11.3).

A zone is computed once per period from what was known at the period's anchor close and then
frozen: mid = the anchor close, low/high = mid ∓ EM. EM comes from the first source that gives a
value, and the source is recorded per symbol:

1. ``user``: a row of the user's zones.csv overrides everything;
2. ``straddle``: 0.85 × the ATM straddle mid of the first expiry at/after the horizon, read from
   the anchor session's closing chain (optionally interpolated in variance between the bracketing
   expiries);
3. ``iv``: S·σ_ATM·√T of the same expiry, T in calendar years to the expiry instant (16:00 ET for
   PM-settled series, 09:30 ET for the AM-settled SPX monthly root ``SPX``);
4. ``atr``: Wilder ATR(14) of daily bars at the anchor, for symbols without options (VIX, DXY).

Room and position are unrounded fractions; only the asymmetry ratio's parity mode works from
displayed (2-dp) percentages, on purpose (§4.4).
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Final

import polars as pl

from . import fmt
from .schema import ET_ZONE, UTC_TS
from .wilder import atr

SETTINGS_SECTION: Final = "zones"

SOURCE_USER: Final = "user"
SOURCE_STRADDLE: Final = "straddle"
SOURCE_IV: Final = "iv"
SOURCE_ATR: Final = "atr"

ABOVE_CEILING: Final = "ABOVE CEILING"
AT_CEILING: Final = "AT CEILING"
BELOW_FLOOR: Final = "BELOW FLOOR"
AT_FLOOR: Final = "AT FLOOR"
NEAR_CEILING: Final = "NEAR ceiling"
NEAR_FLOOR: Final = "NEAR floor"
MID_RANGE: Final = "mid-range"
UPPER_HALF: Final = "upper half"
LOWER_HALF: Final = "lower half"
INVALID_ZONE: Final = "INVALID_ZONE"

_SECONDS_PER_DAY: Final = 86_400.0


@dataclass(frozen=True, slots=True)
class ZoneParams:
    """The [P] parameters of §4 and §11.3 (flowterm.toml ``[zones]``)."""

    #: §4.2 zone period: "daily" (anchor = prior session's close, EM to this session's close) or
    #: "weekly" (anchor = prior week's last close, EM to the week's last session). Weekly is the
    #: default because the report's zones are weekly: its mids sit at the prior week's close, and
    #: the sample scenario is calibrated to exactly that zone (data/SCENARIO.md §2).
    horizon: str = "weekly"
    #: §4.1 EM = this × ATM straddle mid (0.85 × straddle ≈ the 50 % interval, not 1σ).
    straddle_factor: float = 0.85
    #: §4.1 interpolate the straddle (and the IV fallback) in variance between the expiries that
    #: bracket the horizon instead of taking the first expiry at/after it.
    interpolate_variance: bool = False
    #: §4.1/§6.5 day count of T for the IV fallback: calendar days (365) for calendar-quoted IV.
    year_days: float = 365.0
    #: §6.5 regular close (ET): the horizon instant and the expiry time of PM-settled series.
    session_close: time = time(16, 0)
    #: §6.5 expiry time (ET) of AM-settled roots (Special Opening Quotation).
    am_settlement: time = time(9, 30)
    #: §6.5 AM-settled option roots (the SPX monthly; SPXW is PM-settled).
    am_settled_roots: tuple[str, ...] = ("SPX",)
    #: §4.1 fallback EM = this × S·σ_ATM·√T (1.0: the 1σ move, as METHODOLOGY writes it).
    iv_factor: float = 1.0
    #: §11.3 ATR window of the fallback for symbols without options.
    atr_window: int = 14
    #: §11.3 scale the daily ATR by √(sessions from the anchor to the horizon), so a weekly zone
    #: spans a week of ATR as the straddle of a weekly expiry does (a daily zone gets ATR × 1).
    atr_sqrt_sessions: bool = True
    #: §4.3 "at" tolerance as a fraction of the close (0.10 %).
    tol_at: float = 0.001
    #: §4.3 position p at or above this is NEAR ceiling.
    near_ceiling: float = 0.90
    #: §4.3 position p at or below this is NEAR floor.
    near_floor: float = 0.10
    #: §4.3 lower edge of mid-range (inclusive).
    mid_range_low: float = 0.45
    #: §4.3 upper edge of mid-range (inclusive).
    mid_range_high: float = 0.55
    #: §4.4 analytic mode prints "n/m" when |upside room| is below this fraction (0.05 %).
    min_upside_for_ratio: float = 0.0005
    #: §4.4 decimals of the displayed percentages the parity ratio divides.
    parity_pct_decimals: int = 2
    #: §4.4 ratio shown in ``ratio_text``: "analytic" (unrounded rooms) or "parity" (displays).
    asymmetry_mode: str = "analytic"
    #: §4.4 decimals of the analytic ratio ("599.3:1").
    analytic_ratio_decimals: int = 1
    #: §4.4 decimals of the parity ratio ("618:1", as the report prints it).
    parity_ratio_decimals: int = 0

    def __post_init__(self) -> None:
        if self.horizon not in ("daily", "weekly"):
            raise ValueError(f"zones.horizon must be daily or weekly, not {self.horizon!r}")
        if self.asymmetry_mode not in ("analytic", "parity"):
            raise ValueError(
                f"zones.asymmetry_mode must be analytic or parity, not {self.asymmetry_mode!r}"
            )


@dataclass(frozen=True, slots=True)
class ZonePeriod:
    """The period a session's zone covers: it is anchored at the last close before ``start``
    and its EM runs to the close of ``horizon`` (the period's last session)."""

    session: date
    start: date
    horizon: date


def zone_period(
    session: date, *, params: ZoneParams = ZoneParams(), holidays: Collection[date] = ()
) -> ZonePeriod:
    """The daily or weekly period of ``session`` (weekly: Monday to the week's last session,
    stepping back from Friday over ``holidays``; the horizon never precedes ``session``)."""
    if params.horizon == "daily":
        return ZonePeriod(session, session, session)
    start = session - timedelta(days=session.weekday())
    horizon = start + timedelta(days=4)
    while horizon > session and horizon in holidays:
        horizon -= timedelta(days=1)
    return ZonePeriod(session, start, horizon)


# ------------------------------------------------------------------------------------------
# expected move from a chain
# ------------------------------------------------------------------------------------------


def _et_instant(day: pl.Expr, at: time) -> pl.Expr:
    """``day`` (Date) at wall-clock ``at`` in New York, as UTC nanoseconds."""
    local = day.dt.combine(at).dt.replace_time_zone(ET_ZONE)
    return local.dt.convert_time_zone("UTC").cast(UTC_TS)


def expiry_timestamp(*, params: ZoneParams = ZoneParams()) -> pl.Expr:
    """The instant (UTC) a chain row's ``expiry`` expires: 09:30 ET for AM-settled ``root``s,
    else 16:00 ET (a null root is PM-settled)."""
    am = pl.col("root").is_in(list(params.am_settled_roots)).fill_null(False)
    return (
        pl.when(am)
        .then(_et_instant(pl.col("expiry"), params.am_settlement))
        .otherwise(_et_instant(pl.col("expiry"), params.session_close))
    )


def _years(later: pl.Expr, earlier: pl.Expr, params: ZoneParams) -> pl.Expr:
    seconds = (later - earlier).dt.total_nanoseconds() / 1e9
    return seconds / (params.year_days * _SECONDS_PER_DAY)


def _with_optional_columns(chain: pl.LazyFrame) -> pl.LazyFrame:
    """The chain with ``root``, ``bid`` and ``ask`` (optional columns) present, null if absent."""
    have = set(chain.collect_schema().names())
    wanted = {"root": pl.String, "bid": pl.Float64, "ask": pl.Float64}
    return chain.with_columns(pl.lit(None, t).alias(c) for c, t in wanted.items() if c not in have)


def atm_straddles(chain: pl.LazyFrame, /, *, params: ZoneParams = ZoneParams()) -> pl.LazyFrame:
    """One row per underlying × expiry × root of each underlying's latest snapshot.

    ATM = the strike listed with both a call and a put that is nearest the snapshot's spot (ties
    to the lower strike). straddle_mid = call mid + put mid (null unless both have a sane quote:
    0 ≤ bid ≤ ask, ask > 0); atm_iv = mean of the call and put IV (an IV ≤ 0 means none).
    Expiries at or before the snapshot are dropped. Columns: underlying, expiry, root, as_of,
    spot, expiry_ts, years, atm_strike, straddle_mid, atm_iv."""
    bid, ask, right = pl.col("bid"), pl.col("ask"), pl.col("right")
    sane = bid.is_not_null() & ask.is_not_null() & (bid >= 0) & (ask >= bid) & (ask > 0)
    latest = _with_optional_columns(chain).filter(
        pl.col("as_of") == pl.col("as_of").max().over("underlying")
    )
    quoted = latest.with_columns(
        pl.when(sane).then((bid + ask) / 2).alias("_mid"),
        pl.when(pl.col("iv") > 0).then(pl.col("iv")).alias("_iv"),
        expiry_timestamp(params=params).alias("expiry_ts"),
    ).filter(pl.col("expiry_ts") > pl.col("as_of"))
    keys = ("underlying", "expiry", "root")
    call, put = right == "C", right == "P"
    strikes = (
        quoted.group_by(*keys, "strike")
        .agg(
            pl.col("as_of").first(),
            pl.col("spot").first(),
            pl.col("expiry_ts").first(),
            pl.col("_mid").filter(call).mean().alias("_call_mid"),
            pl.col("_mid").filter(put).mean().alias("_put_mid"),
            pl.col("_iv").filter(call).mean().alias("_call_iv"),
            pl.col("_iv").filter(put).mean().alias("_put_iv"),
            call.any().alias("_has_call"),
            put.any().alias("_has_put"),
        )
        .filter(pl.col("_has_call") & pl.col("_has_put"))
    )
    distance = (pl.col("strike") - pl.col("spot")).abs()
    atm = strikes.sort(distance, pl.col("strike")).group_by(*keys).first()
    return atm.select(
        *keys,
        "as_of",
        "spot",
        "expiry_ts",
        _years(pl.col("expiry_ts"), pl.col("as_of"), params).alias("years"),
        pl.col("strike").alias("atm_strike"),
        (pl.col("_call_mid") + pl.col("_put_mid")).alias("straddle_mid"),
        pl.mean_horizontal("_call_iv", "_put_iv").alias("atm_iv"),
    ).sort("underlying", "expiry_ts", "root")


def _variance_interpolated(
    value_after: pl.Expr,
    years_after: pl.Expr,
    value_before: pl.Expr,
    years_before: pl.Expr,
    years_horizon: pl.Expr,
) -> pl.Expr:
    """√ of the total variance (∝ value²) linear in T between the bracketing expiries; a missing
    lower bracket is the snapshot itself (T = 0, value 0)."""
    known = value_before.is_not_null() & years_before.is_not_null()
    v0 = pl.when(known).then(value_before).otherwise(0.0)
    t0 = pl.when(known).then(years_before).otherwise(0.0)
    weight = (years_horizon - t0) / (years_after - t0)
    variance = v0 * v0 + (value_after * value_after - v0 * v0) * weight
    return pl.when(variance >= 0).then(variance.sqrt())


def expected_moves(
    chain: pl.LazyFrame, /, *, horizon: date, params: ZoneParams = ZoneParams()
) -> pl.LazyFrame:
    """EM per underlying from a closing chain, to the close of ``horizon``.

    Uses each underlying's latest snapshot and the first expiry whose instant is at or after
    the horizon instant (``horizon`` at ``session_close`` ET; so a PM root wins over the
    AM-settled SPX root on the same date). em_straddle = straddle_factor × straddle mid;
    em_iv = iv_factor × spot × √(σ²·T). With ``interpolate_variance`` both are interpolated in
    variance to the horizon between the bracketing expiries. Columns: underlying, as_of, spot,
    expiry, root, years (T used), atm_strike, straddle_mid, atm_iv, em_straddle, em_iv."""
    table = atm_straddles(chain, params=params)
    instant = _et_instant(pl.lit(horizon, pl.Date), params.session_close)
    order = ("expiry_ts", "root")
    after = table.filter(pl.col("expiry_ts") >= instant).sort(*order).group_by("underlying").first()
    if not params.interpolate_variance:
        chosen = after.with_columns(pl.col("straddle_mid").alias("_straddle"))
        iv_years = pl.col("years")
        iv_variance = pl.col("atm_iv") ** 2 * iv_years
    else:
        before = (
            table.filter(pl.col("expiry_ts") < instant)
            .sort(*order)
            .group_by("underlying")
            .last()
            .select(
                "underlying",
                pl.col("years").alias("_years_before"),
                pl.col("straddle_mid").alias("_straddle_before"),
                pl.col("atm_iv").alias("_iv_before"),
            )
        )
        h_years = _years(instant, pl.col("as_of"), params)
        chosen = after.join(before, on="underlying", how="left").with_columns(
            _variance_interpolated(
                pl.col("straddle_mid"),
                pl.col("years"),
                pl.col("_straddle_before"),
                pl.col("_years_before"),
                h_years,
            ).alias("_straddle"),
            h_years.alias("_h_years"),
        )
        iv_years = pl.col("_h_years")
        total_after = pl.col("atm_iv") * pl.col("years").sqrt()
        total_before = pl.col("_iv_before") * pl.col("_years_before").sqrt()
        iv_variance = (
            _variance_interpolated(
                total_after, pl.col("years"), total_before, pl.col("_years_before"), h_years
            )
            ** 2
        )
    return chosen.select(
        "underlying",
        "as_of",
        "spot",
        "expiry",
        "root",
        iv_years.alias("years"),
        "atm_strike",
        pl.col("_straddle").alias("straddle_mid"),
        "atm_iv",
        (params.straddle_factor * pl.col("_straddle")).alias("em_straddle"),
        (params.iv_factor * pl.col("spot") * iv_variance.sqrt()).alias("em_iv"),
    ).sort("underlying")


def iv_expected_move(spot: float, iv: float, years: float) -> float:
    """S·σ·√T, the 1σ move (§4.1): SPX 6783, IV 16 %, 1/365 → 56.81 points."""
    return spot * iv * math.sqrt(years)


# ------------------------------------------------------------------------------------------
# zones
# ------------------------------------------------------------------------------------------


def _anchors(
    bars: pl.LazyFrame, period: ZonePeriod, params: ZoneParams, holidays: Collection[date]
) -> pl.LazyFrame:
    """Per symbol: the last close before the period (anchor) and the ATR fallback EM there."""
    with_atr = bars.sort("symbol", "date").with_columns(
        atr(params.atr_window).over("symbol").alias("_atr")
    )
    before = with_atr.filter(pl.col("date") < period.start).group_by("symbol").last()
    symbols = bars.select("symbol").unique()
    last = symbols.join(before, on="symbol", how="left")  # a new listing keeps a (null) row
    one_day = timedelta(days=1)
    sessions = pl.business_day_count(
        pl.col("date") + one_day, pl.lit(period.horizon + one_day), holidays=list(holidays)
    )
    scale = pl.max_horizontal(sessions, 1).cast(pl.Float64).sqrt()
    em_atr = pl.col("_atr") * scale if params.atr_sqrt_sessions else pl.col("_atr")
    anchor = pl.when(pl.col("close") > 0).then(pl.col("close"))
    return last.select(
        "symbol",
        pl.col("date").alias("anchor_date"),
        anchor.alias("anchor"),
        em_atr.alias("em_atr"),
    )


def _user_rows(user: pl.LazyFrame, anchors: pl.LazyFrame, period: ZonePeriod) -> pl.LazyFrame:
    """The latest user zone per symbol dated within [anchor date (else period start), session]."""
    since = pl.coalesce(pl.col("anchor_date"), pl.lit(period.start, pl.Date))
    have = set(user.collect_schema().names())
    rows = user if "mid" in have else user.with_columns(pl.lit(None, pl.Float64).alias("mid"))
    joined = rows.join(anchors.select("symbol", "anchor_date"), on="symbol", how="left")
    eligible = joined.filter((pl.col("date") <= period.session) & (pl.col("date") >= since))
    latest = eligible.sort("symbol", "date").group_by("symbol").last()
    mid = pl.coalesce(pl.col("mid"), (pl.col("low") + pl.col("high")) / 2)
    return latest.select(
        "symbol",
        pl.col("date").alias("user_date"),
        pl.col("low").alias("user_low"),
        mid.alias("user_mid"),
        pl.col("high").alias("user_high"),
    )


_MODEL_COLUMNS: Final = {
    "expiry": pl.Date,
    "root": pl.String,
    "years": pl.Float64,
    "atm_strike": pl.Float64,
    "straddle_mid": pl.Float64,
    "atm_iv": pl.Float64,
    "em_straddle": pl.Float64,
    "em_iv": pl.Float64,
}


def compute_zones(
    bars: pl.LazyFrame,
    chain: pl.LazyFrame | None = None,
    user_zones: pl.LazyFrame | None = None,
    /,
    *,
    session: date,
    params: ZoneParams = ZoneParams(),
    holidays: Collection[date] = (),
) -> pl.LazyFrame:
    """The zone of every symbol with daily bars (or a user zone) for ``session``'s period.

    ``bars``: daily bars; ``chain``: chain snapshots of any sessions (the anchor session's is
    used); ``user_zones``: the zones.csv kind. Columns: symbol, session, period_start, horizon,
    anchor_date, anchor, em, low, mid, high, source, then the model's working (expiry, root,
    years, atm_strike, straddle_mid, atm_iv, em_straddle, em_iv, em_atr). EM null → zone null."""
    period = zone_period(session, params=params, holidays=holidays)
    anchors = _anchors(bars, period, params, holidays)
    if chain is not None:
        anchor_sessions = anchors.select(
            pl.col("symbol").alias("underlying"), pl.col("anchor_date").alias("session")
        )
        at_anchor = chain.join(anchor_sessions, on=["underlying", "session"], how="semi")
        moves = expected_moves(at_anchor, horizon=period.horizon, params=params)
        model = anchors.join(
            moves.select(pl.col("underlying").alias("symbol"), *_MODEL_COLUMNS),
            on="symbol",
            how="left",
        )
    else:
        model = anchors.with_columns(pl.lit(None, t).alias(c) for c, t in _MODEL_COLUMNS.items())
    computed = _choose_source(model)
    if user_zones is not None:
        computed = _apply_user(computed, _user_rows(user_zones, anchors, period))
    return computed.select(
        "symbol",
        pl.lit(session, pl.Date).alias("session"),
        pl.lit(period.start, pl.Date).alias("period_start"),
        pl.lit(period.horizon, pl.Date).alias("horizon"),
        "anchor_date",
        "anchor",
        "em",
        "low",
        "mid",
        "high",
        "source",
        *_MODEL_COLUMNS,
        "em_atr",
    ).sort("symbol")


def _choose_source(model: pl.LazyFrame) -> pl.LazyFrame:
    """EM from the first source with a value (straddle, iv, atr) and the zone around the anchor."""
    straddle, iv, fallback = pl.col("em_straddle"), pl.col("em_iv"), pl.col("em_atr")
    em = pl.when(pl.col("anchor").is_not_null()).then(pl.coalesce(straddle, iv, fallback))
    source = (
        pl.when(em.is_null())
        .then(None)
        .when(straddle.is_not_null())
        .then(pl.lit(SOURCE_STRADDLE))
        .when(iv.is_not_null())
        .then(pl.lit(SOURCE_IV))
        .otherwise(pl.lit(SOURCE_ATR))
    )
    anchor = pl.col("anchor")
    return model.with_columns(em.alias("em"), source.alias("source")).with_columns(
        (anchor - pl.col("em")).alias("low"),
        pl.when(pl.col("em").is_not_null()).then(anchor).alias("mid"),
        (anchor + pl.col("em")).alias("high"),
    )


def _apply_user(computed: pl.LazyFrame, user: pl.LazyFrame) -> pl.LazyFrame:
    """User rows override the computed zone (source "user", em null); symbols only in the user
    file get a row of their own."""
    merged = computed.join(user, on="symbol", how="full", coalesce=True)
    has_user = pl.col("user_low").is_not_null() & pl.col("user_high").is_not_null()

    def pick(user_col: str, model_col: str) -> pl.Expr:
        return pl.when(has_user).then(pl.col(user_col)).otherwise(pl.col(model_col))

    return merged.with_columns(
        pick("user_low", "low").alias("low"),
        pick("user_mid", "mid").alias("mid"),
        pick("user_high", "high").alias("high"),
        pl.when(has_user).then(None).otherwise(pl.col("em")).alias("em"),
        pl.when(has_user).then(pl.lit(SOURCE_USER)).otherwise(pl.col("source")).alias("source"),
    )


# ------------------------------------------------------------------------------------------
# room, status, asymmetry
# ------------------------------------------------------------------------------------------


def zone_status_expr(
    low: pl.Expr, high: pl.Expr, close: pl.Expr, *, params: ZoneParams = ZoneParams()
) -> pl.Expr:
    """The §4.3 status, tests in table order; INVALID_ZONE when high ≤ low; null when the zone
    is missing or the close is null or ≤ 0."""
    tol = params.tol_at
    p = position_expr(low, high, close)
    return (
        pl.when(low.is_null() | high.is_null())
        .then(None)
        .when(high <= low)
        .then(pl.lit(INVALID_ZONE))
        .when(close.is_null() | (close <= 0))
        .then(None)
        .when(close > high * (1 + tol))
        .then(pl.lit(ABOVE_CEILING))
        .when((close - high).abs() <= tol * close)
        .then(pl.lit(AT_CEILING))
        .when(close < low * (1 - tol))
        .then(pl.lit(BELOW_FLOOR))
        .when((close - low).abs() <= tol * close)
        .then(pl.lit(AT_FLOOR))
        .when(p >= params.near_ceiling)
        .then(pl.lit(NEAR_CEILING))
        .when(p <= params.near_floor)
        .then(pl.lit(NEAR_FLOOR))
        .when((p >= params.mid_range_low) & (p <= params.mid_range_high))
        .then(pl.lit(MID_RANGE))
        .when(p > params.mid_range_high)
        .then(pl.lit(UPPER_HALF))
        .otherwise(pl.lit(LOWER_HALF))
    )


def _valid_close(close: pl.Expr) -> pl.Expr:
    return close.is_not_null() & (close > 0)


def position_expr(low: pl.Expr, high: pl.Expr, close: pl.Expr) -> pl.Expr:
    """p = (close − low)/(high − low); null for a bad zone (high ≤ low) or close."""
    return pl.when((high > low) & _valid_close(close)).then((close - low) / (high - low))


def room_expr(level: pl.Expr, close: pl.Expr) -> pl.Expr:
    """(level − close)/close as a fraction: upside room with the high, downside with the low."""
    return pl.when(_valid_close(close)).then((level - close) / close)


def asymmetry_text(
    upside: float | None, downside: float | None, *, params: ZoneParams = ZoneParams()
) -> str:
    """|downside|/|upside| as text in ``params.asymmetry_mode``.

    analytic: unrounded rooms, "n/m" when |upside| < 0.05 %; parity: the displayed 2-dp
    percentages, "∞ (at ceiling)" when the displayed upside is 0.00."""
    if upside is None or downside is None:
        return fmt.MISSING
    if params.asymmetry_mode == "parity":
        up = abs(float(fmt.quantize(upside * 100, params.parity_pct_decimals)))
        down = abs(float(fmt.quantize(downside * 100, params.parity_pct_decimals)))
        if up == 0:
            return fmt.INFINITE_AT_CEILING
        return fmt.ratio(down / up, params.parity_ratio_decimals)
    if abs(upside) < params.min_upside_for_ratio:
        return fmt.NOT_MEANINGFUL
    return fmt.ratio(abs(downside) / abs(upside), params.analytic_ratio_decimals)


def zone_status(frame: pl.LazyFrame, /, *, params: ZoneParams = ZoneParams()) -> pl.LazyFrame:
    """Add room, position, status and the asymmetry ratio to a frame with low, high, close.

    Columns added: upside, downside (fractions of the close), position, status, ratio
    (analytic |downside|/|upside|, null when upside is 0), ratio_parity (from the displayed
    percentages, null when the displayed upside is 0.00) and ratio_text (per
    ``params.asymmetry_mode``, see ``asymmetry_text``)."""
    low, high, close = pl.col("low"), pl.col("high"), pl.col("close")
    decimals = params.parity_pct_decimals
    shown_up = fmt.displayed_pct(pl.col("upside"), decimals).abs()
    shown_down = fmt.displayed_pct(pl.col("downside"), decimals).abs()
    up, down = pl.col("upside").abs(), pl.col("downside").abs()
    text = pl.struct("upside", "downside").map_elements(
        lambda row: asymmetry_text(row["upside"], row["downside"], params=params),
        return_dtype=pl.String,
    )
    return (
        frame.with_columns(
            room_expr(high, close).alias("upside"),
            room_expr(low, close).alias("downside"),
            position_expr(low, high, close).alias("position"),
            zone_status_expr(low, high, close, params=params).alias("status"),
        )
        .with_columns(
            pl.when(up > 0).then(down / up).alias("ratio"),
            pl.when(shown_up > 0).then(shown_down / shown_up).alias("ratio_parity"),
        )
        .with_columns(text.alias("ratio_text"))
    )


def session_zones(
    bars: pl.LazyFrame,
    chain: pl.LazyFrame | None = None,
    user_zones: pl.LazyFrame | None = None,
    /,
    *,
    session: date,
    params: ZoneParams = ZoneParams(),
    holidays: Collection[date] = (),
) -> pl.LazyFrame:
    """``compute_zones`` with ``session``'s daily close joined (``close``) and ``zone_status``."""
    zones = compute_zones(
        bars, chain, user_zones, session=session, params=params, holidays=holidays
    )
    closes = bars.filter(pl.col("date") == session).group_by("symbol").agg(pl.col("close").last())
    with_close = zones.join(closes, on="symbol", how="left")
    return zone_status(with_close, params=params).sort("symbol")
