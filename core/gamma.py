"""Dealer gamma exposure (METHODOLOGY §6): Black–Scholes gamma, GEX, zero gamma, walls and bands.

Every option's gamma is recomputed from its IV (never vendor gamma), with T in real clock time to
an explicit expiry timestamp (§6.5): 16:00 ET for PM-settled roots, 09:30 ET for the AM-settled
SPX monthly. GEX is signed with the naive dealer convention (calls +, puts −, §6.2) and expressed in
one of four units, $ per 1 % move by default; every result records its unit and parameters.

Frame functions work per snapshot key ``(underlying, as_of)``, so a chain holding several
snapshots stays correct; the summary functions (``zero_gamma``, ``gamma_walls``,
``nearest_positive_band``, ``gamma_report``) use each underlying's latest snapshot.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Any, Final
from zoneinfo import ZoneInfo

import polars as pl

from .schema import ET_ZONE, UTC_TS
from .settings import apply_section

SETTINGS_SECTION: Final = "gamma"

#: Seconds in a calendar year: T is measured on the 365-day basis of quoted IV (§6.5).
SECONDS_PER_YEAR: Final = 365 * 86_400
#: The snapshot key: every frame is computed per underlying and snapshot time.
KEYS: Final = ("underlying", "as_of")

_SQRT_2PI: Final = math.sqrt(2.0 * math.pi)
_REQUIRED: Final = ("as_of", "underlying", "spot", "expiry", "strike", "right")
_REQUIRED_MORE: Final = ("open_interest", "iv")

Frame = pl.LazyFrame | pl.DataFrame


class GexUnit(StrEnum):
    """The four GEX units of §6.2 (per contract, before sign and open interest)."""

    SHARES_PER_POINT = "shares_per_point"
    SHARES_PER_PCT = "shares_per_pct"
    USD_PER_POINT = "usd_per_point"
    USD_PER_PCT = "usd_per_pct"

    @property
    def label(self) -> str:
        """The unit as printed beside every GEX figure."""
        return _UNIT_LABELS[self]

    @property
    def spot_power(self) -> int:
        """The power of S in the unit: Γ·m·S^p·scale."""
        return _UNIT_FORM[self][0]

    @property
    def scale(self) -> float:
        """0.01 for the per-1 %-move units, 1 for the per-point units."""
        return _UNIT_FORM[self][1]


_UNIT_LABELS: Final = {
    GexUnit.SHARES_PER_POINT: "shares per 1-point move",
    GexUnit.SHARES_PER_PCT: "shares per 1 % move",
    GexUnit.USD_PER_POINT: "$ per 1-point move",
    GexUnit.USD_PER_PCT: "$ per 1 % move",
}
_UNIT_FORM: Final = {
    GexUnit.SHARES_PER_POINT: (0, 1.0),
    GexUnit.SHARES_PER_PCT: (1, 0.01),
    GexUnit.USD_PER_POINT: (1, 1.0),
    GexUnit.USD_PER_PCT: (2, 0.01),
}


class SignMode(StrEnum):
    """Dealer position convention (§6.2)."""

    #: Dealers long every call and short every put in open interest (report parity).
    NAIVE = "naive"
    #: Dealer position from a signed ``dealer_position`` column (estimated from §2 flow).
    FLOW = "flow"


class ExpirySet(StrEnum):
    """Which expiries a figure covers (§6.3 variants, §6.4 bands)."""

    ALL = "all"
    #: Expiry date equal to the session date.
    ZERO_DTE = "0dte"
    #: Everything except the nearest unexpired expiry date.
    EX_NEXT_EXPIRY = "ex_next_expiry"
    #: Everything except the nearest unexpired monthly (third Friday, or an AM-settled root).
    EX_NEXT_MONTHLY = "ex_next_monthly"


class Direction(StrEnum):
    """Where to look for the nearest positive-gamma band (§6.4)."""

    BELOW = "below"
    ABOVE = "above"
    EITHER = "either"


@dataclass(frozen=True, slots=True)
class GammaParams:
    """Every [P] value of METHODOLOGY §6 (and §11.5), loaded from ``[gamma]`` in flowterm.toml."""

    #: §6.1 continuously compounded risk-free rate (0 = perfiliev default).
    r: float = 0.0
    #: §6.1 continuous dividend yield.
    q: float = 0.0
    #: §6.2 contract multiplier m.
    multiplier: float = 100.0
    #: §6.2 / §11.5 GEX unit ($ per 1 % move by default).
    unit: GexUnit = GexUnit.USD_PER_PCT
    #: §6.2 ``gex_sign_mode``: naive (calls +, puts −) or flow (``dealer_position`` column).
    sign_mode: SignMode = SignMode.NAIVE
    #: §6.5 expiry time (ET) of PM-settled options (SPXW, equities, ETFs).
    pm_expiry_time: time = time(16, 0)
    #: §6.5 expiry time (ET) of AM-settled roots (Special Opening Quotation).
    am_expiry_time: time = time(9, 30)
    #: §6.5 roots that are AM-settled (the SPX monthly).
    am_settled_roots: tuple[str, ...] = ("SPX",)
    #: §6.5 floor on T for contracts not yet expired, in seconds (5 minutes).
    t_min_seconds: float = 300.0
    #: §6.6 fixed T in years for every contract (test vectors); None = real clock time.
    fixed_t_years: float | None = None
    #: §6.3 sweep window low end, as a fraction of spot.
    sweep_lo: float = 0.80
    #: §6.3 sweep window high end, as a fraction of spot.
    sweep_hi: float = 1.20
    #: §6.3 largest grid step, as a fraction of spot (0.25 %).
    sweep_max_step: float = 0.0025
    #: §6.3 fewest grid points.
    sweep_min_points: int = 161
    #: §6.3 Brent tolerance on the zero-gamma root, in index points.
    root_xtol: float = 0.01
    #: flowterm numerics (§6.3): grid values within this fraction of the largest |GEX| on the grid
    #: count as zero, so underflowed tails (far from every strike) yield no spurious roots.
    sweep_flat_rel: float = 1e-9
    #: §6.4 wall and band strike window low end, as a fraction of spot.
    wall_lo: float = 0.80
    #: §6.4 wall and band strike window high end, as a fraction of spot.
    wall_hi: float = 1.20
    #: §6.4 optional expiry limit for walls, in calendar days after the session (None = all).
    wall_max_dte: int | None = 30
    #: §6.4 band width W in points per underlying (50 for SPX).
    band_widths: tuple[tuple[str, float], ...] = (("SPX", 50.0),)
    #: §6.4 band width for other underlyings, as a fraction of spot, rounded to 1/2/2.5/5×10^k
    #: (0.75 % ≈ 50 points at SPX 6700; ≈ 5 at SPY 670).
    band_width_frac: float = 0.0075
    #: §6.4 search direction for the nearest positive-gamma band.
    band_direction: Direction = Direction.EITHER

    def __post_init__(self) -> None:
        checks = (
            (self.multiplier > 0, "multiplier must be > 0"),
            (self.t_min_seconds >= 0, "t_min_seconds must be >= 0"),
            (self.fixed_t_years is None or self.fixed_t_years > 0, "fixed_t_years must be > 0"),
            (0 < self.sweep_lo < 1 < self.sweep_hi, "need 0 < sweep_lo < 1 < sweep_hi"),
            (self.sweep_max_step > 0, "sweep_max_step must be > 0"),
            (self.sweep_min_points >= 2, "sweep_min_points must be >= 2"),
            (self.root_xtol > 0, "root_xtol must be > 0"),
            (0 <= self.sweep_flat_rel < 1, "sweep_flat_rel must be in [0, 1)"),
            (0 < self.wall_lo < 1 < self.wall_hi, "need 0 < wall_lo < 1 < wall_hi"),
            (self.wall_max_dte is None or self.wall_max_dte >= 0, "wall_max_dte must be >= 0"),
            (all(w > 0 for _, w in self.band_widths), "band widths must be > 0"),
            (self.band_width_frac > 0, "band_width_frac must be > 0"),
        )
        errors = [message for ok, message in checks if not ok]
        if errors:
            raise ValueError("; ".join(errors))

    @property
    def grid_points(self) -> int:
        """Grid size: enough points for steps ≤ ``sweep_max_step`` and at least the minimum."""
        span = (self.sweep_hi - self.sweep_lo) / self.sweep_max_step
        return max(self.sweep_min_points, math.ceil(span - 1e-9) + 1)


# --------------------------------------------------------------------------------------------
# result types
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ContractCounts:
    """How many contracts a figure used and why the others were dropped (§6.1, §6.5)."""

    total: int
    used: int
    expired: int
    missing_iv: int
    bad_input: int


@dataclass(frozen=True, slots=True)
class ZeroGamma:
    """Zero-gamma (gamma flip) level of one snapshot and expiry set (§6.3)."""

    underlying: str
    as_of: datetime
    spot: float
    expiry_set: ExpirySet
    #: The root nearest to spot (either side); None when GEX keeps one sign over the window.
    zero_gamma: float | None
    #: Every root in the window, low to high.
    roots: tuple[float, ...]
    #: "crosses zero", "all positive", "all negative" or "no gamma" over the sweep window.
    sweep: str
    #: POSITIVE / NEGATIVE by the sign of GEX at spot; None when it is exactly 0.
    regime: str | None
    gex_at_spot: float
    grid_lo: float
    grid_hi: float
    grid_points: int
    unit: GexUnit
    params: GammaParams

    @property
    def vote(self) -> int | None:
        """§10 input: +1 spot above zero gamma, −1 below (the sweep sign when there is no root)."""
        if self.zero_gamma is not None:
            return (self.spot > self.zero_gamma) - (self.spot < self.zero_gamma)
        return {"all positive": 1, "all negative": -1}.get(self.sweep)


@dataclass(frozen=True, slots=True)
class Wall:
    """One wall strike with the GEX that made it the wall."""

    strike: float
    gex: float
    definition: str


@dataclass(frozen=True, slots=True)
class Walls:
    """Call and put walls by both definitions of §6.4 (None when no strike qualifies)."""

    underlying: str
    as_of: datetime
    spot: float
    #: Largest call GEX.
    call_wall: Wall | None
    #: Largest |put GEX|.
    put_wall: Wall | None
    #: argmax net GEX (only when that net GEX is > 0).
    call_wall_net: Wall | None
    #: argmin net GEX (only when that net GEX is < 0).
    put_wall_net: Wall | None
    strike_lo: float
    strike_hi: float
    max_dte: int | None
    unit: GexUnit
    params: GammaParams


@dataclass(frozen=True, slots=True)
class Band:
    """A strike bin [lo, hi) with its net GEX (§6.4 nearest positive-gamma band)."""

    underlying: str
    lo: float
    hi: float
    net_gex: float
    #: Distance from spot to the bin (0 when spot is inside it).
    distance: float
    direction: Direction
    expiry_set: ExpirySet
    unit: GexUnit


@dataclass(frozen=True, slots=True)
class GammaReport:
    """Every §6 figure for one underlying's latest snapshot, with its frames and provenance."""

    underlying: str
    as_of: datetime
    session: date
    spot: float
    call_gex: float
    put_gex: float
    net_gex: float
    #: POSITIVE / NEGATIVE by net GEX at spot (None when exactly 0).
    regime: str | None
    counts: ContractCounts
    #: Zero gamma per expiry set, in ``ExpirySet`` order.
    zeros: tuple[ZeroGamma, ...]
    walls: Walls
    nearest_positive_band: Band | None
    #: strike, call_gex, put_gex, net_gex (all expiries).
    by_strike: pl.DataFrame
    #: expiry, dte, call_gex, put_gex, net_gex.
    by_expiry: pl.DataFrame
    #: expiry_set, level, gex for the four profiles.
    profiles: pl.DataFrame
    unit: GexUnit
    params: GammaParams

    @property
    def zero(self) -> ZeroGamma:
        """Zero gamma over all expiries."""
        return self.zeros[0]

    @property
    def unit_label(self) -> str:
        return self.unit.label


# --------------------------------------------------------------------------------------------
# Black–Scholes gamma and units (§6.1, §6.2)
# --------------------------------------------------------------------------------------------


def bs_gamma(
    s: float, k: float, sigma: float, t: float, /, *, r: float = 0.0, q: float = 0.0
) -> float:
    """Black–Scholes–Merton gamma e^{−qT}·φ(d1)/(S·σ·√T); 0 when S, K, σ or T is ≤ 0 (§6.1)."""
    values = (s, k, sigma, t)
    if not all(math.isfinite(v) and v > 0 for v in values):
        return 0.0
    sd = sigma * math.sqrt(t)
    d1 = (math.log(s / k) + (r - q + 0.5 * sigma * sigma) * t) / sd
    return math.exp(-q * t) * math.exp(-0.5 * d1 * d1) / (_SQRT_2PI * s * sd)


def bs_gamma_expr(
    s: pl.Expr, k: pl.Expr, sigma: pl.Expr, t: pl.Expr, /, *, r: float = 0.0, q: float = 0.0
) -> pl.Expr:
    """Vectorised ``bs_gamma``: 0 where any input is null, non-finite or ≤ 0."""
    sd = sigma * t.sqrt()
    d1 = ((s / k).log() + (r - q + 0.5 * sigma * sigma) * t) / sd
    gamma = (-q * t).exp() * (-0.5 * d1 * d1).exp() / (_SQRT_2PI * s * sd)
    valid = pl.all_horizontal([(x > 0) & x.is_finite() for x in (s, k, sigma, t)])
    return pl.when(valid.fill_null(False)).then(gamma).otherwise(0.0)


def gex_per_contract(
    gamma: float, spot: float, /, *, unit: GexUnit = GexUnit.USD_PER_PCT, multiplier: float = 100.0
) -> float:
    """Unsigned GEX of one contract in ``unit``: Γ·m·S^p·scale (§6.2 table)."""
    return gamma * multiplier * spot**unit.spot_power * unit.scale


def _unit_factor(level: pl.Expr, params: GammaParams) -> pl.Expr:
    unit = params.unit
    return params.multiplier * unit.scale * level.pow(unit.spot_power)


# --------------------------------------------------------------------------------------------
# expiry timestamps and time to expiry (§6.5)
# --------------------------------------------------------------------------------------------


def expiry_timestamp(
    expiry: date, root: str, /, *, params: GammaParams = GammaParams()
) -> datetime:
    """The expiry instant in UTC: 09:30 ET for AM-settled roots, else 16:00 ET (DST-aware)."""
    clock = params.am_expiry_time if root in params.am_settled_roots else params.pm_expiry_time
    local = datetime.combine(expiry, clock, tzinfo=ZoneInfo(ET_ZONE))
    return local.astimezone(UTC)


def expiry_timestamp_expr(*, params: GammaParams = GammaParams()) -> pl.Expr:
    """``expiry_timestamp`` over the ``expiry`` and ``root`` columns, as ``Datetime(ns, UTC)``."""
    am = pl.col("root").is_in(list(params.am_settled_roots))
    clock = pl.when(am).then(pl.lit(params.am_expiry_time)).otherwise(pl.lit(params.pm_expiry_time))
    local = pl.col("expiry").dt.combine(clock, time_unit="ns").dt.replace_time_zone(ET_ZONE)
    return local.dt.convert_time_zone("UTC").cast(UTC_TS)


def time_to_expiry(
    as_of: datetime, expiry: date, root: str, /, *, params: GammaParams = GammaParams()
) -> float | None:
    """T in years (365-day clock time) floored at ``t_min_seconds``; None once expired (§6.5)."""
    if params.fixed_t_years is not None:
        return params.fixed_t_years
    seconds = (expiry_timestamp(expiry, root, params=params) - as_of).total_seconds()
    if seconds <= 0:
        return None
    return max(seconds, params.t_min_seconds) / SECONDS_PER_YEAR


# --------------------------------------------------------------------------------------------
# per-contract GEX
# --------------------------------------------------------------------------------------------


def _columns(lf: pl.LazyFrame) -> list[str]:
    return lf.collect_schema().names()


def _normalised(chain: Frame) -> pl.LazyFrame:
    """Chain with ``root``, ``session`` and an upper-case ``right``; checks required columns."""
    lf = chain.lazy()
    names = _columns(lf)
    missing = [c for c in (*_REQUIRED, *_REQUIRED_MORE) if c not in names]
    if missing:
        raise ValueError(f"chain frame lacks column(s): {', '.join(missing)}")
    et_day = pl.col("as_of").dt.convert_time_zone(ET_ZONE).dt.date()
    underlying = pl.col("underlying")
    root = pl.col("root").fill_null(underlying) if "root" in names else underlying
    session = pl.col("session").fill_null(et_day) if "session" in names else et_day
    return lf.with_columns(
        root.alias("root"),
        session.alias("session"),
        pl.col("right").str.strip_chars().str.to_uppercase().str.slice(0, 1).alias("right"),
    )


def _status(t_raw: pl.Expr, params: GammaParams) -> pl.Expr:
    """ok / expired / bad_input / missing_iv, in that order of precedence."""
    expired = pl.lit(False) if params.fixed_t_years is not None else (t_raw <= 0).fill_null(False)
    good = (
        (pl.col("spot_ref") > 0)
        & (pl.col("strike") > 0)
        & pl.col("strike").is_finite()
        & (pl.col("open_interest") >= 0)
        & pl.col("right").is_in(["C", "P"])
        & pl.col("expiry").is_not_null()
        & pl.col("as_of").is_not_null()
    ).fill_null(False)
    has_iv = ((pl.col("iv") > 0) & pl.col("iv").is_finite()).fill_null(False)
    return (
        pl.when(expired)
        .then(pl.lit("expired"))
        .when(~good)
        .then(pl.lit("bad_input"))
        .when(~has_iv)
        .then(pl.lit("missing_iv"))
        .otherwise(pl.lit("ok"))
    )


def _position(names: Sequence[str], params: GammaParams) -> pl.Expr:
    """Signed dealer contracts: +OI calls, −OI puts (naive) or ``dealer_position`` (flow)."""
    if params.sign_mode is SignMode.FLOW:
        if "dealer_position" not in names:
            raise ValueError("sign_mode 'flow' needs a dealer_position column (§2 estimate)")
        return pl.col("dealer_position").cast(pl.Float64)
    sign = pl.when(pl.col("right") == "C").then(1.0).otherwise(-1.0)
    return sign * pl.col("open_interest").cast(pl.Float64)


def contract_gex(chain: Frame, /, *, params: GammaParams = GammaParams()) -> pl.LazyFrame:
    """Per contract: ``spot_ref`` (the snapshot's median spot), ``expiry_ts``, ``t_years``,
    ``status`` (ok / expired / bad_input / missing_iv), ``position``, ``gamma`` and ``gex``.

    A contract that is not ``ok`` has gamma and GEX 0; ``t_years`` is floored at ``t_min_seconds``
    (or fixed by ``fixed_t_years``) and null once expired.
    """
    lf = _normalised(chain)
    names = _columns(lf)
    spot_ref = pl.col("spot").filter(pl.col("spot") > 0).median().over(*KEYS)
    t_raw = (pl.col("expiry_ts") - pl.col("as_of")).dt.total_nanoseconds() / 1e9
    floor = params.t_min_seconds
    t_years: pl.Expr
    if params.fixed_t_years is None:
        t_years = pl.when(t_raw > 0).then(pl.max_horizontal(t_raw, floor) / SECONDS_PER_YEAR)
    else:
        t_years = pl.lit(params.fixed_t_years)
    ok = pl.col("status") == "ok"
    gamma = bs_gamma_expr(
        pl.col("spot_ref"),
        pl.col("strike"),
        pl.col("iv"),
        pl.col("t_years"),
        r=params.r,
        q=params.q,
    )
    return (
        lf.with_columns(
            spot_ref.alias("spot_ref"), expiry_timestamp_expr(params=params).alias("expiry_ts")
        )
        .with_columns(_status(t_raw, params).alias("status"), t_years.alias("t_years"))
        .with_columns(
            _position(names, params).alias("position"),
            pl.when(ok).then(gamma).otherwise(0.0).alias("gamma"),
        )
        .with_columns(
            (pl.col("position") * pl.col("gamma") * _unit_factor(pl.col("spot_ref"), params))
            .fill_null(0.0)
            .alias("gex"),
            pl.lit(str(params.unit)).alias("unit"),
        )
    )


def latest_snapshot(chain: Frame, /) -> pl.LazyFrame:
    """The rows of each underlying's latest ``as_of``."""
    return chain.lazy().filter(pl.col("as_of") == pl.col("as_of").max().over("underlying"))


def _latest_contracts(chain: Frame, params: GammaParams) -> pl.DataFrame:
    """``contract_gex`` of each underlying's latest snapshot, skipping snapshots with no valid
    spot (nothing can be evaluated for them)."""
    contracts = contract_gex(latest_snapshot(chain), params=params)
    return contracts.filter(pl.col("spot_ref").is_not_null()).collect()


def _is_monthly(params: GammaParams) -> pl.Expr:
    """Third Friday of its month, or an AM-settled root (the SPX monthly, holiday-moved too)."""
    expiry = pl.col("expiry").dt
    third_friday = (expiry.weekday() == 5) & expiry.day().is_between(15, 21)
    return third_friday | pl.col("root").is_in(list(params.am_settled_roots))


def _in_set(expiries: ExpirySet, params: GammaParams) -> pl.Expr:
    """Row filter for an expiry set over ``contract_gex`` output (next = nearest unexpired)."""
    live = pl.col("status") != "expired"
    if expiries is ExpirySet.ALL:
        return pl.lit(True)
    if expiries is ExpirySet.ZERO_DTE:
        return pl.col("expiry") == pl.col("session")
    if expiries is ExpirySet.EX_NEXT_EXPIRY:
        nearest = pl.col("expiry").filter(live).min().over(*KEYS)
    else:
        nearest = pl.col("expiry").filter(live & _is_monthly(params)).min().over(*KEYS)
    return (pl.col("expiry") != nearest).fill_null(True)


def _selected(contracts: pl.LazyFrame, expiries: ExpirySet, params: GammaParams) -> pl.LazyFrame:
    return contracts.filter(_in_set(ExpirySet(expiries), params))


def _sums() -> list[pl.Expr]:
    return [
        pl.col("gex").filter(pl.col("right") == "C").sum().alias("call_gex"),
        pl.col("gex").filter(pl.col("right") == "P").sum().alias("put_gex"),
        pl.col("gex").sum().alias("net_gex"),
    ]


def _by_strike(contracts: pl.LazyFrame) -> pl.LazyFrame:
    return (
        contracts.group_by(*KEYS, "strike")
        .agg(pl.col("spot_ref").first().alias("spot"), *_sums(), pl.col("unit").first())
        .sort(*KEYS, "strike")
    )


def gex_by_strike(
    chain: Frame, /, *, expiries: ExpirySet = ExpirySet.ALL, params: GammaParams = GammaParams()
) -> pl.LazyFrame:
    """underlying, as_of, strike, spot, call_gex, put_gex, net_gex, unit (expiries summed)."""
    return _by_strike(_selected(contract_gex(chain, params=params), expiries, params))


def _by_expiry(contracts: pl.LazyFrame) -> pl.LazyFrame:
    dte = (pl.col("expiry") - pl.col("session")).dt.total_days()
    return (
        contracts.group_by(*KEYS, "expiry")
        .agg(
            pl.col("spot_ref").first().alias("spot"),
            dte.first().alias("dte"),
            pl.col("root").unique().sort().str.join(",").alias("roots"),
            *_sums(),
            pl.len().alias("contracts"),
            pl.col("unit").first(),
        )
        .sort(*KEYS, "expiry")
    )


def gex_by_expiry(chain: Frame, /, *, params: GammaParams = GammaParams()) -> pl.LazyFrame:
    """underlying, as_of, expiry, spot, dte, roots, call_gex, put_gex, net_gex, contracts, unit."""
    return _by_expiry(contract_gex(chain, params=params))


def _regime_expr(gex: pl.Expr) -> pl.Expr:
    return pl.when(gex > 0).then(pl.lit("POSITIVE")).when(gex < 0).then(pl.lit("NEGATIVE"))


def _by_ticker(contracts: pl.LazyFrame) -> pl.LazyFrame:
    count = [
        (pl.col("status") == s).sum().alias(f"n_{s}")
        for s in ("ok", "expired", "missing_iv", "bad_input")
    ]
    return (
        contracts.group_by(*KEYS)
        .agg(
            pl.col("spot_ref").first().alias("spot"),
            pl.col("session").first(),
            *_sums(),
            pl.len().alias("n_contracts"),
            *count,
            pl.col("unit").first(),
        )
        .with_columns(_regime_expr(pl.col("net_gex")).alias("regime"))
        .sort(*KEYS)
    )


def gex_by_ticker(chain: Frame, /, *, params: GammaParams = GammaParams()) -> pl.LazyFrame:
    """Per snapshot: spot, session, call/put/net GEX, regime, contract counts by status, unit."""
    return _by_ticker(contract_gex(chain, params=params))


def strike_band_gex(
    chain: Frame,
    /,
    *,
    k_lo: float,
    k_hi: float,
    expiries: ExpirySet = ExpirySet.ALL,
    params: GammaParams = GammaParams(),
) -> pl.LazyFrame:
    """Σ call/put/net GEX over strikes in [k_lo, k_hi] for an expiry set (§6.4 band aggregate)."""
    contracts = contract_gex(chain, params=params)
    in_band = _selected(contracts, expiries, params).filter(
        pl.col("strike").is_between(k_lo, k_hi, closed="both")
    )
    keys = contracts.select(*KEYS, pl.col("spot_ref").alias("spot"), "unit").unique(
        subset=list(KEYS)
    )
    sums = in_band.group_by(*KEYS).agg(*_sums(), pl.len().alias("contracts"))
    return (
        keys.join(sums, on=list(KEYS), how="left")
        .with_columns(
            pl.col("call_gex", "put_gex", "net_gex").fill_null(0.0),
            pl.col("contracts").fill_null(0),
            pl.lit(k_lo).alias("k_lo"),
            pl.lit(k_hi).alias("k_hi"),
            pl.lit(str(ExpirySet(expiries))).alias("expiry_set"),
        )
        .sort(*KEYS)
    )


# --------------------------------------------------------------------------------------------
# profiles and zero gamma (§6.3)
# --------------------------------------------------------------------------------------------


def _grid(contracts: pl.LazyFrame, params: GammaParams) -> pl.LazyFrame:
    """The sweep grid of every snapshot: spot·(sweep_lo … sweep_hi) in ``grid_points`` levels."""
    n = params.grid_points
    step = (params.sweep_hi - params.sweep_lo) / (n - 1)
    points = pl.LazyFrame({"point": range(n)}, schema={"point": pl.Int64})
    keys = (
        contracts.filter(pl.col("spot_ref").is_not_null())
        .select(*KEYS, pl.col("spot_ref").alias("spot"))
        .unique(subset=list(KEYS))
    )
    fraction = params.sweep_lo + pl.col("point") * step
    return keys.join(points, how="cross").with_columns(
        fraction.alias("fraction"), (pl.col("spot") * fraction).alias("level")
    )


def _level_constants(params: GammaParams) -> list[pl.Expr]:
    """Per-contract constants of gamma at a hypothetical spot: ln K, σ√T, drift, signed weight."""
    t = pl.col("t_years")
    return [
        pl.col("strike").log().alias("ln_k"),
        (pl.col("iv") * t.sqrt()).alias("sd"),
        ((params.r - params.q + 0.5 * pl.col("iv") ** 2) * t).alias("drift"),
        (pl.col("position") * (-params.q * t).exp()).alias("weight"),
    ]


def _weighted_gamma_at(log_level: pl.Expr, level: pl.Expr) -> pl.Expr:
    """position·e^{−qT}·φ(d1)/(S·σ√T) at spot ``level`` from ``_level_constants`` (ok rows)."""
    d1 = (log_level - pl.col("ln_k") + pl.col("drift")) / pl.col("sd")
    return pl.col("weight") * (-0.5 * d1 * d1).exp() / (_SQRT_2PI * level * pl.col("sd"))


def _profile(
    contracts: pl.LazyFrame, sets: Sequence[ExpirySet], params: GammaParams
) -> pl.LazyFrame:
    """Total GEX of each expiry set at every grid level (one contracts × grid pass), long format.

    Every gamma and the S-power are re-evaluated at the level (sticky-strike IV); the per-contract
    constants ln K, σ√T and the drift are computed once. The grid covers every snapshot of
    ``contracts``, even one a set leaves empty (its GEX is then 0)."""
    names = [str(ExpirySet(s)) for s in sets]
    used = (
        contracts.with_columns(_in_set(ExpirySet(n), params).alias(n) for n in names)
        .filter(pl.col("status") == "ok")
        .select(*KEYS, *names, *_level_constants(params))
    )
    level = pl.col("level")
    gex = _weighted_gamma_at(level.log(), level) * _unit_factor(level, params)
    return (
        _grid(contracts, params)
        .join(used, on=list(KEYS), how="left")
        .with_columns(gex.alias("gex"))
        .group_by(*KEYS, "point")
        .agg(
            pl.col("spot", "fraction", "level").first(),
            *[pl.col("gex").filter(pl.col(n)).sum().alias(n) for n in names],
        )
        .unpivot(
            on=names,
            index=[*KEYS, "point", "spot", "fraction", "level"],
            variable_name="expiry_set",
            value_name="gex",
        )
        .with_columns(pl.lit(str(params.unit)).alias("unit"))
        .sort("expiry_set", *KEYS, "point")
    )


def gex_profile(
    chain: Frame, /, *, expiries: ExpirySet = ExpirySet.ALL, params: GammaParams = GammaParams()
) -> pl.LazyFrame:
    """Total GEX vs hypothetical spot on the §6.3 grid (sticky-strike IV): underlying, as_of,
    point, spot, fraction, level, expiry_set, gex, unit."""
    return _profile(contract_gex(chain, params=params), [expiries], params)


def gex_profiles(chain: Frame, /, *, params: GammaParams = GammaParams()) -> pl.LazyFrame:
    """``gex_profile`` for all four expiry sets, stacked (column ``expiry_set``)."""
    return _profile(contract_gex(chain, params=params), list(ExpirySet), params)


def brent(
    f: Callable[[float], float], a: float, b: float, /, *, xtol: float = 0.01, maxiter: int = 100
) -> float:
    """A root of ``f`` in [a, b] by Brent's method (bisection + secant + inverse quadratic).

    ``f(a)`` and ``f(b)`` must differ in sign (or one be 0); the result is within ``xtol`` of a
    root. Raises ValueError when the root is not bracketed, RuntimeError after ``maxiter`` steps.
    """
    fa, fb = f(a), f(b)
    if fa == 0.0:
        return a
    if fb == 0.0:
        return b
    if (fa > 0) == (fb > 0):
        raise ValueError(f"root not bracketed: f({a}) = {fa}, f({b}) = {fb}")
    c, fc = a, fa
    d = e = b - a
    for _ in range(maxiter):
        if (fb > 0) == (fc > 0):  # keep the root between b and c
            c, fc = a, fa
            d = e = b - a
        if abs(fc) < abs(fb):  # b is the best estimate
            a, b, c = b, c, b
            fa, fb, fc = fb, fc, fb
        tol = 2.0 * 2.2e-16 * abs(b) + 0.5 * xtol
        half = 0.5 * (c - b)
        if abs(half) <= tol or fb == 0.0:
            return b
        if abs(e) >= tol and abs(fa) > abs(fb):
            s = fb / fa
            if a == c:  # secant
                p, q = 2.0 * half * s, 1.0 - s
            else:  # inverse quadratic interpolation
                qa, rb = fa / fc, fb / fc
                p = s * (2.0 * half * qa * (qa - rb) - (b - a) * (rb - 1.0))
                q = (qa - 1.0) * (rb - 1.0) * (s - 1.0)
            if p > 0:
                q = -q
            p = abs(p)
            if 2.0 * p < min(3.0 * half * q - abs(tol * q), abs(e * q)):
                e, d = d, p / q
            else:
                d = e = half
        else:
            d = e = half
        a, fa = b, fb
        b += d if abs(d) > tol else math.copysign(tol, half)
        fb = f(b)
    raise RuntimeError(f"brent did not converge in {maxiter} iterations")


def _sign(x: float) -> int:
    return (x > 0) - (x < 0)


def _refine(
    f: Callable[[float], float], lo: float, hi: float, f_lo: float, f_hi: float, xtol: float
) -> float:
    """Brent on [lo, hi]; linear interpolation if rounding left the exact ends unbracketed."""
    try:
        return brent(f, lo, hi, xtol=xtol)
    except ValueError:
        return lo - f_lo * (hi - lo) / (f_hi - f_lo)


def grid_roots(
    levels: Sequence[float],
    values: Sequence[float],
    f: Callable[[float], float],
    /,
    *,
    xtol: float = 0.01,
    flat_rel: float = 0.0,
) -> tuple[float, ...]:
    """Every root of ``f`` found on a grid (§6.3 steps 2 and 5), low to high.

    A sign change between neighbours is refined with Brent on ``f``. A grid value of exactly 0 is
    one root (not two sign changes). Values within ``flat_rel`` × max|value| count as zero: a flat
    run between opposite signs holds one root (refined across the run), a flat run at either end
    of the grid holds none.
    """
    n = len(levels)
    biggest = max((abs(v) for v in values), default=0.0)
    flat = [abs(v) <= flat_rel * biggest for v in values]
    roots: list[float] = []
    i = 0
    while i < n:
        if not flat[i]:
            j = i + 1
            if j < n and not flat[j] and _sign(values[i]) != _sign(values[j]):
                roots.append(_refine(f, levels[i], levels[j], values[i], values[j], xtol))
            i += 1
            continue
        j = i
        while j + 1 < n and flat[j + 1]:
            j += 1
        left, right = i - 1, j + 1
        exact_point = i == j and values[i] == 0.0
        if left >= 0 and right < n:
            crosses = _sign(values[left]) != _sign(values[right])
            if exact_point:
                roots.append(levels[i])
            elif crosses:
                lo, hi = levels[left], levels[right]
                roots.append(_refine(f, lo, hi, values[left], values[right], xtol))
        i = j + 1
    return tuple(sorted(roots))


def _exact_total(contracts: pl.DataFrame, params: GammaParams) -> Callable[[float], float]:
    """Total GEX of ``ok`` contracts at a hypothetical spot (the function Brent refines)."""
    constants = contracts.filter(pl.col("status") == "ok").select(_level_constants(params))

    def total(level: float) -> float:
        if level <= 0:
            return 0.0
        gamma = _weighted_gamma_at(pl.lit(math.log(level)), pl.lit(level))
        summed = constants.select(gamma.sum()).item()
        return float(summed or 0.0) * gex_per_contract(
            1.0, level, unit=params.unit, multiplier=params.multiplier
        )

    return total


def _sweep_state(values: Sequence[float], roots: Sequence[float], flat_rel: float) -> str:
    biggest = max((abs(v) for v in values), default=0.0)
    if roots:
        return "crosses zero"
    if biggest == 0.0:
        return "no gamma"
    significant = [v for v in values if abs(v) > flat_rel * biggest]
    return "all positive" if all(v > 0 for v in significant) else "all negative"


def _regime(gex: float) -> str | None:
    return "POSITIVE" if gex > 0 else "NEGATIVE" if gex < 0 else None


def _zero_of(
    contracts: pl.DataFrame, profile: pl.DataFrame, expiries: ExpirySet, params: GammaParams
) -> ZeroGamma:
    """ZeroGamma of one snapshot from its (expiry-set) contracts and its grid profile."""
    first = profile.row(0, named=True)
    spot = float(first["spot"])
    f = _exact_total(contracts, params)
    levels = profile["level"].to_list()
    values = profile["gex"].to_list()
    roots = grid_roots(levels, values, f, xtol=params.root_xtol, flat_rel=params.sweep_flat_rel)
    nearest = min(roots, key=lambda x: abs(x - spot)) if roots else None
    at_spot = f(spot)
    return ZeroGamma(
        underlying=str(first["underlying"]),
        as_of=first["as_of"],
        spot=spot,
        expiry_set=expiries,
        zero_gamma=nearest,
        roots=roots,
        sweep=_sweep_state(values, roots, params.sweep_flat_rel),
        regime=_regime(at_spot),
        gex_at_spot=at_spot,
        grid_lo=float(levels[0]),
        grid_hi=float(levels[-1]),
        grid_points=len(levels),
        unit=params.unit,
        params=params,
    )


def _zeros(
    contracts: pl.DataFrame, profile: pl.DataFrame, expiries: ExpirySet, params: GammaParams
) -> dict[str, ZeroGamma]:
    """ZeroGamma per underlying from one-snapshot-per-underlying contracts and their profile."""
    chosen = _selected(contracts.lazy(), expiries, params).collect()
    return {
        str(u): _zero_of(chosen.filter(pl.col("underlying") == u), rows, expiries, params)
        for (u,), rows in profile.partition_by("underlying", as_dict=True).items()
    }


def zero_gamma(
    chain: Frame, /, *, expiries: ExpirySet = ExpirySet.ALL, params: GammaParams = GammaParams()
) -> dict[str, ZeroGamma]:
    """Zero gamma per underlying (latest snapshot): every root on the sweep window refined with
    Brent, the one nearest to spot reported, None with "all positive"/"all negative" otherwise."""
    contracts = _latest_contracts(chain, params)
    profile = _profile(contracts.lazy(), [expiries], params).collect()
    return _zeros(contracts, profile, ExpirySet(expiries), params)


# --------------------------------------------------------------------------------------------
# walls and bands (§6.4)
# --------------------------------------------------------------------------------------------


def _in_window(lo: float, hi: float) -> pl.Expr:
    return pl.col("strike").is_between(lo * pl.col("spot_ref"), hi * pl.col("spot_ref"))


def _pick(frame: pl.DataFrame, column: str, how: str, definition: str) -> Wall | None:
    """The first strike (lowest) holding the max/min of ``column``; None if it is not strict."""
    if frame.is_empty():
        return None
    values = frame[column]
    target = values.max() if how == "max" else values.min()
    if not isinstance(target, float) or target == 0.0:
        return None
    if (how == "max" and target < 0) or (how == "min" and target > 0):
        return None
    row = frame.filter(pl.col(column) == target).sort("strike").row(0, named=True)
    return Wall(float(row["strike"]), float(row[column]), definition)


def _walls_of(contracts: pl.DataFrame, params: GammaParams) -> Walls:
    """Walls of one snapshot from its contracts."""
    first = contracts.row(0, named=True)
    spot = float(first["spot_ref"])
    dte = (pl.col("expiry") - pl.col("session")).dt.total_days()
    keep = _in_window(params.wall_lo, params.wall_hi)
    if params.wall_max_dte is not None:
        keep = keep & (dte <= params.wall_max_dte)
    strikes = _by_strike(contracts.lazy().filter(keep)).collect()
    put_abs = strikes.with_columns(pl.col("put_gex").abs().alias("put_abs"))
    put_wall = _pick(put_abs, "put_abs", "max", "largest |put GEX|")
    if put_wall is not None:
        put_gex = put_abs.filter(pl.col("strike") == put_wall.strike)["put_gex"].item()
        put_wall = replace(put_wall, gex=float(put_gex))
    return Walls(
        underlying=str(first["underlying"]),
        as_of=first["as_of"],
        spot=spot,
        call_wall=_pick(strikes, "call_gex", "max", "largest call GEX"),
        put_wall=put_wall,
        call_wall_net=_pick(strikes, "net_gex", "max", "max net GEX"),
        put_wall_net=_pick(strikes, "net_gex", "min", "min net GEX"),
        strike_lo=params.wall_lo * spot,
        strike_hi=params.wall_hi * spot,
        max_dte=params.wall_max_dte,
        unit=params.unit,
        params=params,
    )


def gamma_walls(chain: Frame, /, *, params: GammaParams = GammaParams()) -> dict[str, Walls]:
    """Call and put walls per underlying (latest snapshot), both §6.4 definitions, restricted to
    strikes in [wall_lo·S, wall_hi·S] and expiries ≤ ``wall_max_dte`` days."""
    contracts = _latest_contracts(chain, params)
    return {
        str(u): _walls_of(rows, params)
        for (u,), rows in contracts.partition_by("underlying", as_dict=True).items()
    }


_NICE: Final = (1.0, 2.0, 2.5, 5.0, 10.0)


def _nice(x: float) -> float:
    """The 1, 2, 2.5 or 5 × 10^k nearest to ``x`` on a log scale."""
    power = 10.0 ** math.floor(math.log10(x))
    return min((m * power for m in _NICE), key=lambda c: abs(math.log(c / x)))


def _nice_expr(x: pl.Expr) -> pl.Expr:
    power = pl.lit(10.0).pow(x.log10().floor())
    candidates = [power * m for m in _NICE]
    errors = [(c / x).log().abs() for c in candidates]
    best = pl.min_horizontal(errors)
    return pl.coalesce(
        [pl.when(e == best).then(c) for e, c in zip(errors, candidates, strict=True)]
    )


def band_width(underlying: str, spot: float, /, *, params: GammaParams = GammaParams()) -> float:
    """Band width W in points: the per-underlying override (SPX 50), else ``band_width_frac``·spot
    rounded to a nice 1, 2, 2.5 or 5 × 10^k."""
    overrides = dict(params.band_widths)
    if underlying in overrides:
        return overrides[underlying]
    return _nice(params.band_width_frac * spot)


def _width_expr(params: GammaParams) -> pl.Expr:
    """``band_width`` over the ``underlying`` and ``spot_ref`` columns."""
    nice = _nice_expr(params.band_width_frac * pl.col("spot_ref"))
    if not params.band_widths:
        return nice
    override = pl.col("underlying").replace_strict(
        dict(params.band_widths), default=None, return_dtype=pl.Float64
    )
    return override.fill_null(nice)


def _bands(contracts: pl.LazyFrame, width: float | None, params: GammaParams) -> pl.LazyFrame:
    w = pl.lit(width, dtype=pl.Float64) if width is not None else _width_expr(params)
    lo = (pl.col("strike") / pl.col("width") + 1e-9).floor() * pl.col("width")
    return (
        contracts.filter(_in_window(params.wall_lo, params.wall_hi))
        .with_columns(w.alias("width"))
        .with_columns(lo.alias("lo"))
        .group_by(*KEYS, "lo")
        .agg(
            pl.col("spot_ref").first().alias("spot"),
            pl.col("width").first(),
            *_sums(),
            pl.col("unit").first(),
        )
        .with_columns((pl.col("lo") + pl.col("width")).alias("hi"))
        .sort(*KEYS, "lo")
    )


def gex_bands(
    chain: Frame,
    /,
    *,
    width: float | None = None,
    expiries: ExpirySet = ExpirySet.ALL,
    params: GammaParams = GammaParams(),
) -> pl.LazyFrame:
    """Net GEX per strike bin [lo, hi) of width W (``band_width`` unless given), strikes in the
    §6.4 window: underlying, as_of, lo, hi, width, spot, call_gex, put_gex, net_gex, unit."""
    contracts = _selected(contract_gex(chain, params=params), expiries, params)
    return _bands(contracts, width, params)


def _nearest_band(
    bands: pl.DataFrame, direction: Direction, expiries: ExpirySet, unit: GexUnit
) -> Band | None:
    if bands.is_empty():
        return None
    spot = pl.col("spot")
    distance = pl.max_horizontal(pl.col("lo") - spot, spot - pl.col("hi"), pl.lit(0.0))
    side = {
        Direction.BELOW: pl.col("lo") <= spot,
        Direction.ABOVE: pl.col("hi") > spot,
        Direction.EITHER: pl.lit(True),
    }[direction]
    mid_gap = ((pl.col("lo") + pl.col("hi")) / 2 - spot).abs()
    found = (
        bands.filter((pl.col("net_gex") > 0) & side)
        .with_columns(distance.alias("distance"), mid_gap.alias("mid_gap"))
        .sort("distance", "mid_gap")
    )
    if found.is_empty():
        return None
    row = found.row(0, named=True)
    return Band(
        underlying=str(row["underlying"]),
        lo=float(row["lo"]),
        hi=float(row["hi"]),
        net_gex=float(row["net_gex"]),
        distance=float(row["distance"]),
        direction=direction,
        expiry_set=expiries,
        unit=unit,
    )


def nearest_positive_band(
    chain: Frame,
    /,
    *,
    direction: Direction | None = None,
    width: float | None = None,
    expiries: ExpirySet = ExpirySet.ALL,
    params: GammaParams = GammaParams(),
) -> dict[str, Band | None]:
    """Per underlying (latest snapshot): the bin with net GEX > 0 nearest to spot (distance to
    the bin, 0 inside it) on the chosen side — below: lo ≤ spot, above: hi > spot."""
    contracts = _latest_contracts(chain, params).lazy()
    bands = _bands(_selected(contracts, expiries, params), width, params).collect()
    chosen = Direction(direction or params.band_direction)
    return {
        str(u): _nearest_band(rows, chosen, ExpirySet(expiries), params.unit)
        for (u,), rows in bands.partition_by("underlying", as_dict=True).items()
    }


# --------------------------------------------------------------------------------------------
# one report per underlying
# --------------------------------------------------------------------------------------------


def _counts(ticker: Mapping[str, Any]) -> ContractCounts:
    return ContractCounts(
        total=int(ticker["n_contracts"]),
        used=int(ticker["n_ok"]),
        expired=int(ticker["n_expired"]),
        missing_iv=int(ticker["n_missing_iv"]),
        bad_input=int(ticker["n_bad_input"]),
    )


def gamma_report(chain: Frame, /, *, params: GammaParams = GammaParams()) -> dict[str, GammaReport]:
    """Every §6 figure per underlying from its latest snapshot (one pass over the chain)."""
    contracts = _latest_contracts(chain, params)
    if contracts.is_empty():
        return {}
    lazy = contracts.lazy()
    tickers = _by_ticker(lazy).collect()
    by_strike = _by_strike(lazy).collect()
    by_expiry = _by_expiry(lazy).collect()
    profiles = _profile(lazy, list(ExpirySet), params).collect()
    zeros = {
        s: _zeros(contracts, profiles.filter(pl.col("expiry_set") == str(s)), s, params)
        for s in ExpirySet
    }
    bands = _bands(lazy, None, params).collect()
    reports: dict[str, GammaReport] = {}
    for ticker in tickers.iter_rows(named=True):
        u = str(ticker["underlying"])
        mine = pl.col("underlying") == u
        rows = contracts.filter(mine)
        reports[u] = GammaReport(
            underlying=u,
            as_of=ticker["as_of"],
            session=ticker["session"],
            spot=float(ticker["spot"]),
            call_gex=float(ticker["call_gex"]),
            put_gex=float(ticker["put_gex"]),
            net_gex=float(ticker["net_gex"]),
            regime=_regime(float(ticker["net_gex"])),
            counts=_counts(ticker),
            zeros=tuple(zeros[s][u] for s in ExpirySet),
            walls=_walls_of(rows, params),
            nearest_positive_band=_nearest_band(
                bands.filter(mine), params.band_direction, ExpirySet.ALL, params.unit
            ),
            by_strike=by_strike.filter(mine),
            by_expiry=by_expiry.filter(mine),
            profiles=profiles.filter(mine),
            unit=params.unit,
            params=params,
        )
    return reports


# --------------------------------------------------------------------------------------------
# settings
# --------------------------------------------------------------------------------------------


def load_params(settings: Mapping[str, Any], /) -> GammaParams:
    """GammaParams from a parsed flowterm.toml: each key of its ``[gamma]`` table sets the field
    of the same name (``false`` or "none" clears an optional field; ``band_widths`` is a table
    ``{SPX = 50}``). Unknown keys and ill-typed values raise ValueError."""
    return apply_section(GammaParams(), settings.get(SETTINGS_SECTION) or {}, SETTINGS_SECTION)
