"""Macro regime rules (METHODOLOGY §8): Sell America, the curve quadrants, DXY and the metals
HARD BLOCK, the 200-day reclaim, credit, ISM, and a VIX/gamma state.

Each rule is a vectorised frame over its own dates (``*_frame`` functions: ``date``, the inputs,
the derived figures, ``state`` and the §10 ``vote`` where the rule is a convergence input).
``regime_snapshot`` turns the frames into one ``RuleResult`` per rule for a session — its state,
the inputs it used with their dates, and the change since the prior session — and
``regime_history`` lays the states on the session calendar for the last N sessions.

Rules over changes (Sell America, the curve) use the dates on which all their series have a value
and compare with the value ``window`` such dates earlier; a session without fresh inputs shows the
latest evaluation, whose date is part of the result.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any, Final

import polars as pl

from .settings import apply_section

SETTINGS_SECTION: Final = "regime"

#: ICE US Dollar Index constant and FX weights (§8.3; the formula, not a parameter).
DXY_CONSTANT: Final = 50.14348112
DXY_WEIGHTS: Final = (
    ("EURUSD", -0.576),
    ("USDJPY", 0.136),
    ("GBPUSD", -0.119),
    ("USDCAD", 0.091),
    ("USDSEK", 0.042),
    ("USDCHF", 0.036),
)
#: Numerical slack on threshold tests: yields in percent make 4.21 − 4.20 = 1.0000000000000231 bp,
#: so changes are compared to within 1e-6 bp (and 1e-10 for fractions), never displayed values.
_BP_SLACK: Final = 1e-6
_FRAC_SLACK: Final = 1e-10

Frame = pl.LazyFrame | pl.DataFrame


class Rule(StrEnum):
    """The regime rules, as named in results and history."""

    SELL_AMERICA = "sell_america"
    CURVE = "curve"
    METALS_BLOCK = "metals_block"
    MA200 = "ma200"
    CREDIT = "credit"
    ISM = "ism"
    VIX_GAMMA = "vix_gamma"


@dataclass(frozen=True, slots=True)
class RegimeParams:
    """Every [P] value of METHODOLOGY §8, loaded from ``[regime]`` in flowterm.toml."""

    #: §8.1/§8.2 windows in sessions; the first is the default ("1 session, also 5").
    windows: tuple[int, ...] = (1, 5)
    #: §8.1 macro series of the ICE DXY close.
    dxy_series: str = "DXY"
    #: §8.1/§8.2 macro series of the 10-year yield (percent).
    us10y_series: str = "US10Y"
    #: §8.2 macro series of the 2-year yield (percent).
    us2y_series: str = "US2Y"
    #: §8.6 macro series of the ISM manufacturing PMI.
    pmi_series: str = "ISM_PMI"
    #: §8.6 macro series of ISM prices paid.
    prices_series: str = "ISM_PRICES"
    #: §8.1 daily-bars symbol of the equity leg of STRICT Sell America.
    equity_symbol: str = "SPX"
    #: §8.4 daily-bars symbols checked against their 200-day average.
    ma_symbols: tuple[str, ...] = ("SPX",)
    #: §8.5 credit instrument whose zone status the credit rule reads.
    credit_symbol: str = "HYG"
    #: VIX/gamma state (flowterm): daily-bars symbol of the VIX.
    vix_symbol: str = "VIX"
    #: §8.1 Sell America: ΔDXY (fraction) at or below this (−0.25 %).
    sell_america_dxy_change: float = -0.0025
    #: §8.1 Sell America: Δ10Y at or above this, in basis points.
    sell_america_10y_bp: float = 3.0
    #: §8.2 deadband ε on the spread change, in basis points.
    curve_eps_bp: float = 1.0
    #: §8.2 deadband ε_leg on each leg, in basis points (|Δ| < ε_leg counts as 0).
    curve_leg_eps_bp: float = 0.5
    #: §8.3 DXY close strictly above this sets the metals HARD BLOCK.
    metals_block_level: float = 100.0
    #: §8.3 consecutive closes at or below the level that release the block.
    metals_release_closes: int = 2
    #: §8.4 simple moving average length, in sessions.
    sma_days: int = 200
    #: §8.4 N: consecutive closes on the new side that confirm a reclaim or a loss.
    reclaim_sessions: int = 2
    #: §8.6 PMI below this is contraction.
    ism_pmi_contraction: float = 50.0
    #: §8.6 prices paid at or above this, with PMI contraction, is a stagflation tilt.
    ism_prices_high: float = 60.0
    #: §8.6 prices paid change at or above this (points m/m) is an inflation impulse.
    ism_prices_impulse: float = 5.0
    #: VIX/gamma state (flowterm): VIX at or above this is ELEVATED.
    vix_elevated: float = 20.0
    #: VIX/gamma state (flowterm): VIX at or above this is STRESS.
    vix_stress: float = 30.0
    #: VIX/gamma state (flowterm): a 1-day VIX change at or above this fraction is a SPIKE.
    vix_spike_change: float = 0.10
    #: Sessions ``regime_history`` returns by default.
    history_sessions: int = 20

    def __post_init__(self) -> None:
        checks = (
            (len(self.windows) > 0 and all(w >= 1 for w in self.windows), "windows must be >= 1"),
            (self.curve_eps_bp >= 0 and self.curve_leg_eps_bp >= 0, "curve deadbands >= 0"),
            (self.metals_release_closes >= 1, "metals_release_closes must be >= 1"),
            (self.sma_days >= 1 and self.reclaim_sessions >= 1, "sma_days, reclaim_sessions >= 1"),
            (self.vix_elevated <= self.vix_stress, "vix_elevated must be <= vix_stress"),
            (self.history_sessions >= 1, "history_sessions must be >= 1"),
        )
        errors = [message for ok, message in checks if not ok]
        if errors:
            raise ValueError("; ".join(errors))

    @property
    def window(self) -> int:
        """The default window (the first of ``windows``)."""
        return self.windows[0]


@dataclass(frozen=True, slots=True)
class Observation:
    """One input a rule used: its name, the date of the value, and the value (or a text)."""

    name: str
    date: date | None
    value: float | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True)
class RuleResult:
    """A rule's state on a session, the inputs behind it and its change since the prior session."""

    rule: Rule
    #: What the rule is about: "DXY/US10Y", "US2Y/US10Y", a symbol, ...
    subject: str
    #: Window in sessions for change rules; None for level rules.
    window: int | None
    #: The session the result is for.
    session: date | None
    #: The date of the evaluation used (the latest on or before ``session``); None if none.
    as_of: date | None
    #: The state label; None = not available (see ``note``).
    state: str | None
    #: §10 convergence vote (+1, −1, 0); None when the rule is not a §10 input or n/a.
    vote: int | None
    inputs: tuple[Observation, ...]
    #: Derived figures, unrounded (changes in fractions or basis points as named).
    metrics: tuple[tuple[str, float | None], ...]
    #: The state on the prior session of the calendar (None when n/a or no prior session).
    prior_state: str | None
    #: State differs from the prior session's; None when there is no prior session.
    changed: bool | None
    note: str = ""

    def metric(self, name: str) -> float | None:
        """A derived figure by name (KeyError if the rule has no such figure)."""
        return dict(self.metrics)[name]


@dataclass(frozen=True, slots=True)
class RegimeSnapshot:
    """Every rule on one session."""

    session: date | None
    prior_session: date | None
    rules: tuple[RuleResult, ...]
    params: RegimeParams

    def get(
        self, rule: Rule | str, *, window: int | None = None, subject: str | None = None
    ) -> RuleResult | None:
        """The first result of ``rule`` (with that window / subject when given)."""
        for r in self.rules:
            if r.rule != rule:
                continue
            if window is not None and r.window != window:
                continue
            if subject is not None and r.subject != subject:
                continue
            return r
        return None


# --------------------------------------------------------------------------------------------
# inputs
# --------------------------------------------------------------------------------------------


def _series(macro: Frame, name: str, alias: str) -> pl.LazyFrame:
    """One macro series as (date, alias), one non-null value per date (the last given)."""
    return (
        macro.lazy()
        .filter((pl.col("series") == name) & pl.col("value").is_not_null())
        .select("date", pl.col("value").cast(pl.Float64).alias(alias))
        .unique(subset=["date"], keep="last", maintain_order=True)
        .sort("date")
    )


def _closes(bars: Frame, symbol: str, alias: str) -> pl.LazyFrame:
    """Daily closes of one symbol as (date, alias)."""
    return (
        bars.lazy()
        .filter((pl.col("symbol") == symbol) & pl.col("close").is_not_null())
        .select("date", pl.col("close").cast(pl.Float64).alias(alias))
        .unique(subset=["date"], keep="last", maintain_order=True)
        .sort("date")
    )


def _ratio_change(now: pl.Expr, prior: pl.Expr) -> pl.Expr:
    """now/prior − 1, null when prior is 0 or null (§0)."""
    return pl.when(prior != 0).then(now / prior - 1.0)


def _windowed(lf: pl.LazyFrame, columns: Sequence[str], window: int) -> pl.LazyFrame:
    """Adds ``prior_date`` and ``<column>_prior`` from ``window`` rows earlier."""
    return lf.sort("date").with_columns(
        pl.col("date").shift(window).alias("prior_date"),
        *[pl.col(c).shift(window).alias(f"{c}_prior") for c in columns],
    )


def _bp(now: str, prior: str) -> pl.Expr:
    """Change of a yield in percent, in basis points."""
    return (pl.col(now) - pl.col(prior)) * 100.0


# --------------------------------------------------------------------------------------------
# §8.1 Sell America
# --------------------------------------------------------------------------------------------


def sell_america_frame(
    macro: Frame,
    bars: Frame,
    /,
    *,
    window: int | None = None,
    params: RegimeParams = RegimeParams(),
) -> pl.DataFrame:
    """§8.1 per date: ΔDXY (fraction) and Δ10Y (bp) over ``window`` sessions, ΔSPX for STRICT.

    Columns: date, prior_date, dxy, dxy_prior, us10y, us10y_prior, spx, spx_prior, dxy_change,
    us10y_change_bp, spx_change, sell_america, strict, state, vote (−1 when Sell America)."""
    w = window or params.window
    joined = _series(macro, params.dxy_series, "dxy").join(
        _series(macro, params.us10y_series, "us10y"), on="date"
    )
    spx = _closes(bars, params.equity_symbol, "spx")
    spx_prior = spx.rename({"date": "prior_date", "spx": "spx_prior"})
    sell = (pl.col("dxy_change") <= params.sell_america_dxy_change + _FRAC_SLACK) & (
        pl.col("us10y_change_bp") >= params.sell_america_10y_bp - _BP_SLACK
    )
    return (
        _windowed(joined, ["dxy", "us10y"], w)
        .join(spx, on="date", how="left")
        .join(spx_prior, on="prior_date", how="left")
        .with_columns(
            _ratio_change(pl.col("dxy"), pl.col("dxy_prior")).alias("dxy_change"),
            _bp("us10y", "us10y_prior").alias("us10y_change_bp"),
            _ratio_change(pl.col("spx"), pl.col("spx_prior")).alias("spx_change"),
        )
        .with_columns(sell.alias("sell_america"))
        .with_columns((pl.col("sell_america") & (pl.col("spx_change") < 0)).alias("strict"))
        .with_columns(
            pl.when(pl.col("strict"))
            .then(pl.lit("SELL AMERICA (STRICT)"))
            .when(pl.col("sell_america"))
            .then(pl.lit("SELL AMERICA"))
            .when(pl.col("sell_america").is_not_null())
            .then(pl.lit("NO"))
            .alias("state"),
            pl.when(pl.col("sell_america")).then(-1).otherwise(0).cast(pl.Int8).alias("vote"),
        )
        .with_columns(pl.when(pl.col("state").is_not_null()).then(pl.col("vote")).alias("vote"))
        .sort("date")
        .collect()
    )


# --------------------------------------------------------------------------------------------
# §8.2 curve quadrants
# --------------------------------------------------------------------------------------------


def _curve_label_expr(d2: pl.Expr, d10: pl.Expr, params: RegimeParams) -> pl.Expr:
    """The §8.2 table from leg changes in bp (legs inside ε_leg count as 0)."""
    eps, leg_eps = params.curve_eps_bp + _BP_SLACK, params.curve_leg_eps_bp - _BP_SLACK
    ds = d10 - d2
    leg2 = pl.when(d2.abs() < leg_eps).then(0.0).otherwise(d2)
    leg10 = pl.when(d10.abs() < leg_eps).then(0.0).otherwise(d10)
    return (
        pl.when(ds.is_null())
        .then(None)
        .when(ds.abs() <= eps)
        .then(pl.lit("PARALLEL/UNCHANGED"))
        .when((ds > 0) & (leg10 > 0) & (leg2 >= 0))
        .then(pl.lit("BEAR STEEPENER"))
        .when((ds > 0) & (leg2 < 0) & (leg10 <= 0))
        .then(pl.lit("BULL STEEPENER"))
        .when((ds > 0) & (leg10 > 0) & (leg2 < 0))
        .then(pl.lit("TWIST STEEPENER"))
        .when((ds < 0) & (leg2 > 0) & (leg10 >= 0))
        .then(pl.lit("BEAR FLATTENER"))
        .when((ds < 0) & (leg10 < 0) & (leg2 <= 0))
        .then(pl.lit("BULL FLATTENER"))
        .when((ds < 0) & (leg2 > 0) & (leg10 < 0))
        .then(pl.lit("TWIST FLATTENER"))
        .otherwise(pl.lit("UNCLASSIFIED"))
    )


_CURVE_VOTES: Final = {"BULL STEEPENER": 1, "BEAR STEEPENER": -1}


def curve_label(d2y_bp: float, d10y_bp: float, /, *, params: RegimeParams = RegimeParams()) -> str:
    """§8.2 label of one pair of leg changes in basis points."""
    frame = pl.DataFrame({"d2": [d2y_bp], "d10": [d10y_bp]}, schema={"d2": float, "d10": float})
    label = frame.select(_curve_label_expr(pl.col("d2"), pl.col("d10"), params)).item()
    return str(label)


def curve_frame(
    macro: Frame, /, *, window: int | None = None, params: RegimeParams = RegimeParams()
) -> pl.DataFrame:
    """§8.2 per date over ``window`` sessions: date, prior_date, us2y, us2y_prior, us10y,
    us10y_prior, d2y_bp, d10y_bp, spread, spread_prior, dspread_bp, state, vote (bull steepener
    +1, bear steepener −1, else 0)."""
    w = window or params.window
    joined = _series(macro, params.us2y_series, "us2y").join(
        _series(macro, params.us10y_series, "us10y"), on="date"
    )
    votes = pl.col("state").replace_strict(_CURVE_VOTES, default=0, return_dtype=pl.Int8)
    return (
        _windowed(joined, ["us2y", "us10y"], w)
        .with_columns(
            _bp("us2y", "us2y_prior").alias("d2y_bp"),
            _bp("us10y", "us10y_prior").alias("d10y_bp"),
            (pl.col("us10y") - pl.col("us2y")).alias("spread"),
            (pl.col("us10y_prior") - pl.col("us2y_prior")).alias("spread_prior"),
        )
        .with_columns(
            (pl.col("d10y_bp") - pl.col("d2y_bp")).alias("dspread_bp"),
            _curve_label_expr(pl.col("d2y_bp"), pl.col("d10y_bp"), params).alias("state"),
        )
        .with_columns(pl.when(pl.col("state").is_not_null()).then(votes).alias("vote"))
        .collect()
    )


# --------------------------------------------------------------------------------------------
# §8.3 DXY and the metals HARD BLOCK
# --------------------------------------------------------------------------------------------


def dxy_from_fx(
    eurusd: float, usdjpy: float, gbpusd: float, usdcad: float, usdsek: float, usdchf: float, /
) -> float | None:
    """ICE US Dollar Index from the six rates (§8.3); None when a rate is not > 0."""
    rates = (eurusd, usdjpy, gbpusd, usdcad, usdsek, usdchf)
    if not all(math.isfinite(x) and x > 0 for x in rates):
        return None
    value = DXY_CONSTANT
    for rate, (_, weight) in zip(rates, DXY_WEIGHTS, strict=True):
        value *= rate**weight
    return value


def dxy_from_fx_expr() -> pl.Expr:
    """``dxy_from_fx`` over columns EURUSD, USDJPY, GBPUSD, USDCAD, USDSEK, USDCHF."""
    value = pl.lit(DXY_CONSTANT)
    valid = pl.lit(True)
    for name, weight in DXY_WEIGHTS:
        value = value * pl.col(name).pow(weight)
        valid = valid & (pl.col(name) > 0)
    return pl.when(valid).then(value)


def metals_block_frame(macro: Frame, /, *, params: RegimeParams = RegimeParams()) -> pl.DataFrame:
    """§8.3 HARD BLOCK per DXY close with hysteresis: date, dxy, blocked, state (HARD / NONE),
    closes_at_or_below (the current run of closes ≤ level), changed (vs the prior close).

    A close > level blocks; the block holds until ``metals_release_closes`` consecutive closes
    ≤ level, i.e. blocked ⇔ some close among the last N is > level (N = release closes). The
    history is assumed to start unblocked.
    """
    level, n = params.metals_block_level, params.metals_release_closes
    at_or_below = pl.col("dxy") <= level
    run = pl.int_range(1, pl.len() + 1).over(at_or_below.rle_id())
    blocked = pl.col("dxy").rolling_max(n, min_samples=1) > level
    return (
        _series(macro, params.dxy_series, "dxy")
        .with_columns(
            blocked.alias("blocked"),
            pl.when(at_or_below).then(run).otherwise(0).alias("closes_at_or_below"),
        )
        .with_columns(
            pl.when(pl.col("blocked"))
            .then(pl.lit("HARD"))
            .otherwise(pl.lit("NONE"))
            .alias("state"),
            (pl.col("blocked") != pl.col("blocked").shift(1)).alias("changed"),
        )
        .collect()
    )


# --------------------------------------------------------------------------------------------
# §8.4 200-day average
# --------------------------------------------------------------------------------------------


def ma_cross_states(frame: Frame, /, *, params: RegimeParams = RegimeParams()) -> pl.DataFrame:
    """§8.4 states per (symbol, date) from ``close`` and ``sma`` columns (rows in any order).

    above = close > sma. The confirmed side is the side of the latest run of ≥ N sessions
    (seeded with the first row's side). States: RECLAIM/LOSS TENTATIVE (on the new side, run < N),
    RECLAIM/LOSS CONFIRMED (the day the run reaches N), RECLAIM/LOSS FAILED (back on the confirmed
    side after a tentative day), ABOVE / BELOW. vote: +1 confirmed above, −1 confirmed below.
    """
    n = params.reclaim_sessions
    above = pl.col("close") > pl.col("sma")
    run = pl.int_range(1, pl.len() + 1).over("symbol", pl.col("above").rle_id().over("symbol"))
    first = pl.int_range(pl.len()).over("symbol") == 0
    confirmed = (
        pl.when(first | (pl.col("run") >= n)).then(pl.col("above")).forward_fill().over("symbol")
    )
    up, conf = pl.col("above"), pl.col("confirmed")
    prev_conf = conf.shift(1).over("symbol")
    prev_up = up.shift(1).over("symbol")
    state = (
        pl.when(up & conf & ~prev_conf)  # a null prior (first row) is never a switch
        .then(pl.lit("RECLAIM CONFIRMED"))
        .when(~up & ~conf & prev_conf)
        .then(pl.lit("LOSS CONFIRMED"))
        .when(up & ~conf)
        .then(pl.lit("RECLAIM TENTATIVE"))
        .when(~up & conf)
        .then(pl.lit("LOSS TENTATIVE"))
        .when(~up & ~conf & prev_up)
        .then(pl.lit("RECLAIM FAILED"))
        .when(up & conf & ~prev_up)
        .then(pl.lit("LOSS FAILED"))
        .when(up)
        .then(pl.lit("ABOVE"))
        .otherwise(pl.lit("BELOW"))
    )
    return (
        frame.lazy()
        .filter(pl.col("close").is_not_null() & pl.col("sma").is_not_null())
        .sort("symbol", "date")
        .with_columns(above.alias("above"))
        .with_columns(run.alias("run"))
        .with_columns(confirmed.alias("confirmed"))
        .with_columns(
            state.alias("state"),
            pl.when(conf).then(1).otherwise(-1).cast(pl.Int8).alias("vote"),
            _ratio_change(pl.col("close"), pl.col("sma")).alias("pct_from_sma"),
        )
        .collect()
    )


def sma_frame(bars: Frame, /, *, params: RegimeParams = RegimeParams()) -> pl.DataFrame:
    """§8.4 for every symbol of ``bars``: date, symbol, close, sma (mean of the last
    ``sma_days`` closes, rows before the first full window dropped) and ``ma_cross_states``."""
    sma = pl.col("close").rolling_mean(params.sma_days, min_samples=params.sma_days)
    closes = (
        bars.lazy()
        .filter(pl.col("close").is_not_null())
        .select("date", "symbol", pl.col("close").cast(pl.Float64))
        .unique(subset=["symbol", "date"], keep="last", maintain_order=True)
        .sort("symbol", "date")
        .with_columns(sma.over("symbol").alias("sma"))
    )
    return ma_cross_states(closes, params=params)


# --------------------------------------------------------------------------------------------
# §8.5 credit, §8.6 ISM, VIX/gamma
# --------------------------------------------------------------------------------------------

_CREDIT: Final = {
    "ABOVE CEILING": ("CREDIT FULLY PRICED", -1),
    "AT CEILING": ("CREDIT FULLY PRICED", -1),
    "AT FLOOR": ("CREDIT STRESS", 0),
    "BELOW FLOOR": ("CREDIT STRESS", 0),
}


def credit_state(zone_status: str | None, /) -> tuple[str | None, int | None]:
    """§8.5 (state, §10 vote) from the credit instrument's §4.3 zone status.

    AT/ABOVE CEILING → "CREDIT FULLY PRICED" (contrarian caution, vote −1); AT/BELOW FLOOR →
    "CREDIT STRESS" (vote 0: §10 counts only the ceiling); other statuses → "NORMAL";
    missing or INVALID_ZONE → (None, None).
    """
    if zone_status is None:
        return None, None
    key = " ".join(zone_status.replace("_", " ").upper().split())
    if key in ("", "INVALID ZONE"):
        return None, None
    return _CREDIT.get(key, ("NORMAL", 0))


def credit_frame(statuses: Mapping[date, str], /) -> pl.DataFrame:
    """§8.5 per date from ``{date: zone status}``: date, status, state, vote."""
    days = sorted(statuses)
    states = [credit_state(statuses[d]) for d in days]
    return pl.DataFrame(
        {
            "date": days,
            "status": [statuses[d] for d in days],
            "state": [s for s, _ in states],
            "vote": [v for _, v in states],
        },
        schema={"date": pl.Date, "status": pl.String, "state": pl.String, "vote": pl.Int8},
    )


def ism_frame(macro: Frame, /, *, params: RegimeParams = RegimeParams()) -> pl.DataFrame:
    """§8.6 per release date: pmi, prices, prices_prior (previous release), prices_change,
    their dates, stagflation (PMI < 50 and prices ≥ 60), impulse (prices change ≥ +5), state.
    A series missing on a date carries its latest value (with its own date)."""
    pmi = _series(macro, params.pmi_series, "pmi").with_columns(pl.col("date").alias("pmi_date"))
    prices = _series(macro, params.prices_series, "prices").with_columns(
        pl.col("date").alias("prices_date"),
        pl.col("prices").shift(1).alias("prices_prior"),
        pl.col("date").shift(1).alias("prices_prior_date"),
    )
    carried = ["pmi", "pmi_date", "prices", "prices_date", "prices_prior", "prices_prior_date"]
    stagflation = (pl.col("pmi") < params.ism_pmi_contraction) & (
        pl.col("prices") >= params.ism_prices_high
    )
    impulse = pl.col("prices_change") >= params.ism_prices_impulse - _BP_SLACK
    return (
        pmi.join(prices, on="date", how="full", coalesce=True)
        .sort("date")
        .with_columns(pl.col(carried).forward_fill())
        .with_columns((pl.col("prices") - pl.col("prices_prior")).alias("prices_change"))
        .with_columns(stagflation.alias("stagflation"), impulse.alias("impulse"))
        .with_columns(
            pl.when(pl.col("stagflation") & pl.col("impulse"))
            .then(pl.lit("STAGFLATION TILT + INFLATION IMPULSE"))
            .when(pl.col("stagflation"))
            .then(pl.lit("STAGFLATION TILT"))
            .when(pl.col("impulse"))
            .then(pl.lit("INFLATION IMPULSE"))
            .when(pl.col("stagflation").is_not_null() | pl.col("impulse").is_not_null())
            .then(pl.lit("NONE"))
            .alias("state")
        )
        .collect()
    )


def vix_gamma_frame(
    bars: Frame,
    /,
    *,
    gex_regime: Mapping[date, str] | None = None,
    params: RegimeParams = RegimeParams(),
) -> pl.DataFrame:
    """VIX level and 1-day change with the dealer-gamma regime (flowterm's own rule, not §8).

    level: CALM < ``vix_elevated`` ≤ ELEVATED < ``vix_stress`` ≤ STRESS; spike: 1-day change ≥
    ``vix_spike_change``. With a GEX regime for the date: NEGATIVE gamma with VIX ≥ elevated or a
    spike → AMPLIFIED (dealer hedging adds to moves while vol is high or rising); POSITIVE gamma
    with VIX below elevated and no spike → DAMPENED; otherwise MIXED. Without one the state is
    the VIX level (plus " SPIKE"). Columns: date, prior_date, vix, vix_prior, vix_change,
    vix_change_pct, level, spike, gex_regime, state.
    """
    regimes = pl.LazyFrame(
        {"date": list((gex_regime or {}).keys()), "gex_regime": list((gex_regime or {}).values())},
        schema={"date": pl.Date, "gex_regime": pl.String},
    ).with_columns(pl.col("gex_regime").str.to_uppercase())
    vix = pl.col("vix")
    level = (
        pl.when(vix >= params.vix_stress)
        .then(pl.lit("STRESS"))
        .when(vix >= params.vix_elevated)
        .then(pl.lit("ELEVATED"))
        .when(vix.is_not_null())
        .then(pl.lit("CALM"))
    )
    high = (vix >= params.vix_elevated) | pl.col("spike").fill_null(False)
    gex = pl.col("gex_regime")
    with_gex = (
        pl.when((gex == "NEGATIVE") & high)
        .then(pl.lit("AMPLIFIED"))
        .when((gex == "POSITIVE") & ~high)
        .then(pl.lit("DAMPENED"))
        .otherwise(pl.lit("MIXED"))
    )
    spike_suffix = pl.when(pl.col("spike")).then(pl.lit(" SPIKE")).otherwise(pl.lit(""))
    return (
        _windowed(_closes(bars, params.vix_symbol, "vix"), ["vix"], 1)
        .join(regimes, on="date", how="left")
        .with_columns(
            (vix - pl.col("vix_prior")).alias("vix_change"),
            _ratio_change(vix, pl.col("vix_prior")).alias("vix_change_pct"),
            level.alias("level"),
        )
        .with_columns(
            (pl.col("vix_change_pct") >= params.vix_spike_change - _FRAC_SLACK).alias("spike")
        )
        .with_columns(
            pl.when(gex.is_in(["POSITIVE", "NEGATIVE"]))
            .then(with_gex)
            .otherwise(pl.concat_str(pl.col("level"), spike_suffix))
            .alias("state")
        )
        .collect()
    )


# --------------------------------------------------------------------------------------------
# rules on the session calendar
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Entry:
    """One rule instance: its frame and how to read its inputs and figures from a row."""

    rule: Rule
    subject: str
    window: int | None
    frame: pl.DataFrame
    #: (input name, value column, date column); a value column ending in ":text" is a text.
    inputs: tuple[tuple[str, str, str], ...]
    metrics: tuple[str, ...]
    #: Why the rule is n/a when it has no row.
    missing: str


def _entries(
    macro: Frame,
    bars: Frame,
    credit_status: Mapping[date, str] | None,
    gex_regime: Mapping[date, str] | None,
    params: RegimeParams,
) -> list[_Entry]:
    p = params
    out: list[_Entry] = []
    for w in dict.fromkeys(p.windows):
        out.append(
            _Entry(
                Rule.SELL_AMERICA,
                f"{p.dxy_series}/{p.us10y_series}",
                w,
                sell_america_frame(macro, bars, window=w, params=p),
                (
                    (p.dxy_series, "dxy", "date"),
                    (p.dxy_series, "dxy_prior", "prior_date"),
                    (p.us10y_series, "us10y", "date"),
                    (p.us10y_series, "us10y_prior", "prior_date"),
                    (p.equity_symbol, "spx", "date"),
                    (p.equity_symbol, "spx_prior", "prior_date"),
                ),
                ("dxy_change", "us10y_change_bp", "spx_change"),
                f"no common dates of {p.dxy_series} and {p.us10y_series}",
            )
        )
        out.append(
            _Entry(
                Rule.CURVE,
                f"{p.us2y_series}/{p.us10y_series}",
                w,
                curve_frame(macro, window=w, params=p),
                (
                    (p.us2y_series, "us2y", "date"),
                    (p.us2y_series, "us2y_prior", "prior_date"),
                    (p.us10y_series, "us10y", "date"),
                    (p.us10y_series, "us10y_prior", "prior_date"),
                ),
                ("d2y_bp", "d10y_bp", "spread", "spread_prior", "dspread_bp"),
                f"no common dates of {p.us2y_series} and {p.us10y_series}",
            )
        )
    out.append(
        _Entry(
            Rule.METALS_BLOCK,
            p.dxy_series,
            None,
            metals_block_frame(macro, params=p),
            ((p.dxy_series, "dxy", "date"),),
            ("closes_at_or_below",),
            f"no {p.dxy_series} series",
        )
    )
    smas = sma_frame(bars.lazy().filter(pl.col("symbol").is_in(list(p.ma_symbols))), params=p)
    for symbol in p.ma_symbols:
        out.append(
            _Entry(
                Rule.MA200,
                symbol,
                None,
                smas.filter(pl.col("symbol") == symbol),
                ((symbol, "close", "date"), (f"SMA{p.sma_days}", "sma", "date")),
                ("pct_from_sma", "run"),
                f"fewer than {p.sma_days} closes of {symbol}",
            )
        )
    out.append(
        _Entry(
            Rule.CREDIT,
            p.credit_symbol,
            None,
            credit_frame(credit_status or {}),
            ((f"{p.credit_symbol} zone", "status:text", "date"),),
            (),
            f"no {p.credit_symbol} zone status",
        )
    )
    out.append(
        _Entry(
            Rule.ISM,
            f"{p.pmi_series}/{p.prices_series}",
            None,
            ism_frame(macro, params=p),
            (
                (p.pmi_series, "pmi", "pmi_date"),
                (p.prices_series, "prices", "prices_date"),
                (p.prices_series, "prices_prior", "prices_prior_date"),
            ),
            ("prices_change",),
            "no ISM releases",
        )
    )
    out.append(
        _Entry(
            Rule.VIX_GAMMA,
            p.vix_symbol,
            None,
            vix_gamma_frame(bars, gex_regime=gex_regime, params=p),
            (
                (p.vix_symbol, "vix", "date"),
                (p.vix_symbol, "vix_prior", "prior_date"),
                ("GEX regime", "gex_regime:text", "date"),
            ),
            ("vix_change", "vix_change_pct"),
            f"no {p.vix_symbol} closes",
        )
    )
    return out


def session_calendar(
    macro: Frame, bars: Frame, /, *, params: RegimeParams = RegimeParams()
) -> list[date]:
    """Session dates: the equity symbol's bar dates, else every bar date, else every macro date."""
    for source in (
        bars.lazy().filter(pl.col("symbol") == params.equity_symbol),
        bars.lazy(),
        macro.lazy(),
    ):
        days = source.select(pl.col("date").unique().sort()).collect()["date"].to_list()
        if days:
            return days
    return []


def _row_at(frame: pl.DataFrame, day: date | None) -> dict[str, Any] | None:
    """The latest row dated on or before ``day``."""
    if day is None or frame.is_empty():
        return None
    before = frame.filter(pl.col("date") <= day)
    return before.row(before.height - 1, named=True) if before.height else None


def _number(x: Any) -> float | None:
    return None if x is None else float(x)


def _result(entry: _Entry, session: date | None, prior_session: date | None) -> RuleResult:
    row = _row_at(entry.frame, session)
    prior = _row_at(entry.frame, prior_session)
    prior_state = None if prior is None else prior["state"]
    state = None if row is None else row["state"]
    changed = None if prior_session is None else state != prior_state
    if row is None:
        return RuleResult(
            rule=entry.rule,
            subject=entry.subject,
            window=entry.window,
            session=session,
            as_of=None,
            state=None,
            vote=None,
            inputs=(),
            metrics=(),
            prior_state=prior_state,
            changed=changed,
            note=entry.missing,
        )
    inputs = []
    for name, column, day in entry.inputs:
        if column.endswith(":text"):
            inputs.append(Observation(name, row[day], text=row[column.removesuffix(":text")]))
        else:
            inputs.append(Observation(name, row[day], value=_number(row[column])))
    vote = row.get("vote")
    return RuleResult(
        rule=entry.rule,
        subject=entry.subject,
        window=entry.window,
        session=session,
        as_of=row["date"],
        state=state,
        vote=None if vote is None else int(vote),
        inputs=tuple(inputs),
        metrics=tuple((m, _number(row[m])) for m in entry.metrics),
        prior_state=prior_state,
        changed=changed,
        note="" if state is not None else "inputs incomplete (see inputs) or history too short",
    )


def regime_snapshot(
    macro: Frame,
    bars: Frame,
    /,
    *,
    session: date | None = None,
    credit_status: Mapping[date, str] | None = None,
    gex_regime: Mapping[date, str] | None = None,
    params: RegimeParams = RegimeParams(),
) -> RegimeSnapshot:
    """Every rule on ``session`` (default: the latest session), with the inputs used and the
    change since the prior session of the calendar (``session_calendar``).

    ``credit_status`` maps dates to the credit instrument's §4.3 zone status and ``gex_regime``
    dates to the GEX regime (POSITIVE / NEGATIVE), both computed by other modules.
    """
    calendar = session_calendar(macro, bars, params=params)
    day = session if session is not None else (calendar[-1] if calendar else None)
    earlier = [d for d in calendar if day is not None and d < day]
    prior = earlier[-1] if earlier else None
    entries = _entries(macro, bars, credit_status, gex_regime, params)
    return RegimeSnapshot(day, prior, tuple(_result(e, day, prior) for e in entries), params)


def regime_history(
    macro: Frame,
    bars: Frame,
    /,
    *,
    sessions: int | None = None,
    credit_status: Mapping[date, str] | None = None,
    gex_regime: Mapping[date, str] | None = None,
    params: RegimeParams = RegimeParams(),
) -> pl.DataFrame:
    """Every rule's state on each of the last ``sessions`` sessions (default
    ``history_sessions``): session, rule, subject, window, as_of (the evaluation date used),
    state, vote, prior_state, changed (vs the prior session; null on the calendar's first)."""
    calendar = pl.DataFrame(
        {"session": session_calendar(macro, bars, params=params)}, schema={"session": pl.Date}
    )
    frames = []
    for e in _entries(macro, bars, credit_status, gex_regime, params):
        vote = pl.col("vote") if "vote" in e.frame.columns else pl.lit(None)
        states = e.frame.select(
            pl.col("date").alias("as_of"), "state", vote.cast(pl.Int8).alias("vote")
        ).sort("as_of")
        frames.append(
            calendar.join_asof(states, left_on="session", right_on="as_of", strategy="backward")
            .with_columns(
                pl.lit(str(e.rule)).alias("rule"),
                pl.lit(e.subject).alias("subject"),
                pl.lit(e.window, dtype=pl.Int64).alias("window"),
            )
            .with_columns(pl.col("state").shift(1).alias("prior_state"))
            .with_columns(
                pl.when(pl.int_range(pl.len()) > 0)
                .then(pl.col("state").ne_missing(pl.col("prior_state")))
                .alias("changed")
            )
        )
    columns = ["session", "rule", "subject", "window", "as_of", "state", "vote", "prior_state"]
    n = sessions or params.history_sessions
    kept = calendar.tail(n)
    return (
        pl.concat(frames)
        .select(*columns, "changed")
        .join(kept, on="session", how="semi")
        .sort("session", "rule", "subject", "window", nulls_last=True)
    )


# --------------------------------------------------------------------------------------------
# settings
# --------------------------------------------------------------------------------------------


def load_params(settings: Mapping[str, Any], /) -> RegimeParams:
    """RegimeParams from a parsed flowterm.toml: each key of its ``[regime]`` table sets the field
    of the same name. Unknown keys and ill-typed values raise ValueError."""
    return apply_section(RegimeParams(), settings.get(SETTINGS_SECTION) or {}, SETTINGS_SECTION)
