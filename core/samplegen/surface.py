"""Implied-volatility surfaces, open interest, listed expiries and strikes, and quoting rules.

Chains and prints share these functions, so a print's IV, NBBO and open interest agree with the
chain snapshot of the same contract.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date, timedelta

from . import scenario as sc
from .bars import History
from .calendar import is_monthly, monthly_expiry, next_sessions, weekly_expiries
from .rng import clamp, unit_hash
from .universe import BY_NAME, strike_step, wide_step

INDEX_LIKE = frozenset({"SPX", "SPY", "QQQ", "IWM"})
#: Long-dated expiries printed occasionally (LEAPS).
LEAPS = (date(2026, 12, 18), date(2027, 1, 15), date(2027, 12, 17), date(2028, 1, 21))


@dataclass(frozen=True, slots=True)
class Surface:
    """ATM term structure (short → long with decay ``tau`` days) and a quadratic smile."""

    short: float
    long: float
    tau: float
    skew: float
    curv: float

    def atm(self, years: float) -> float:
        return self.long + (self.short - self.long) * math.exp(-years * 365.0 / self.tau)

    def iv(self, spot: float, strike: float, years: float) -> float:
        a = self.atm(years)
        t = max(years, 1.0 / (365.0 * 24.0))
        x = clamp(math.log(strike / spot) / (a * math.sqrt(t)), -4.0, 4.0)
        return clamp(a * (1.0 + self.skew * x + self.curv * x * x), 0.05, 3.0)

    def scaled(self, factor: float) -> Surface:
        return replace(self, short=self.short * factor, long=self.long * factor)


def base_surface(history: History, underlying: str, day: date) -> Surface:
    """The closing surface of ``underlying`` on ``day`` before any zone calibration."""
    t = history.index(day)
    if underlying in INDEX_LIKE:
        vix = history.bars["VIX"].close[t] / 100.0
        mult = {"SPX": 1.0, "SPY": 1.0, "QQQ": 1.18, "IWM": 1.25}[underlying]
        return Surface(vix * 1.1 * mult, vix * 0.93 * mult, 18.0, -0.10, 0.015)
    ann = history.symbol_vol[underlying][t] * math.sqrt(252.0) * 1.05
    ann = clamp(ann, 0.12, 1.6)
    return Surface(ann * 1.08, ann * 0.95, 25.0, -0.05, 0.02)


def root_of(underlying: str, expiry: date, *, am: bool = False) -> str:
    """OSI root: SPX monthlies (AM) are ``SPX``, other SPX expiries ``SPXW``; BRK.B is ``BRKB``."""
    if underlying == "SPX":
        return "SPX" if am and is_monthly(expiry) else "SPXW"
    return underlying.replace(".", "")


def chain_expiries(underlying: str, day: date) -> list[tuple[date, str]]:
    """(expiry, root) pairs listed in the closing chain of ``day`` (expiries after ``day``)."""
    horizon = day + timedelta(days=92)
    start = day + timedelta(days=1)
    dates: set[date] = set(weekly_expiries(start, horizon))
    if underlying in INDEX_LIKE:
        span = 21 if underlying == "SPX" else 14
        dates.update(next_sessions(start, day + timedelta(days=span)))
    else:
        dates = {d for d in dates if d <= day + timedelta(days=49)}
    months = {(d.year, d.month) for d in next_sessions(start, horizon)}
    monthlies = {monthly_expiry(y, m) for y, m in months}
    dates.update(m for m in monthlies if start <= m <= horizon)
    out: list[tuple[date, str]] = []
    for d in sorted(dates):
        out.append((d, root_of(underlying, d)))
        if underlying == "SPX" and is_monthly(d):
            out.append((d, "SPX"))
    return out


def print_expiries(underlying: str, day: date) -> list[tuple[date, str]]:
    """Expiries a print on ``day`` may hit: 0DTE where listed, the chain's, and LEAPS."""
    out = chain_expiries(underlying, day)
    if underlying in INDEX_LIKE or day.weekday() == 4:
        out.insert(0, (day, root_of(underlying, day)))
    for leap in LEAPS:
        if underlying == "SPX":
            out.append((leap, "SPX" if is_monthly(leap) else "SPXW"))
        else:
            out.append((leap, root_of(underlying, leap)))
    return out


def near_band(underlying: str) -> float:
    """Relative distance from spot inside which strikes use the fine step."""
    return {"SPX": 0.05, "SPY": 0.06, "QQQ": 0.06, "IWM": 0.10}.get(underlying, 0.20)


def snap_strike(underlying: str, spot: float, strike: float) -> float:
    """The listed strike nearest ``strike`` (fine grid near spot, wide grid beyond)."""
    band = near_band(underlying)
    step = strike_step(underlying, spot)
    if abs(strike / spot - 1.0) > band:
        step = wide_step(underlying, spot)
    return round(max(round(strike / step), 1) * step, 2)


def chain_strikes(underlying: str, spot: float) -> list[float]:
    """Listed strikes within ±20 % of ``spot``."""
    step = strike_step(underlying, spot)
    wide = wide_step(underlying, spot)
    band = near_band(underlying)
    lo, hi = spot * 0.8, spot * 1.2
    out: set[float] = set()
    k = math.ceil(lo / wide) * wide
    while k <= hi:
        out.add(round(k, 2))
        k += wide
    k = math.ceil(spot * (1 - band) / step) * step
    while k <= spot * (1 + band):
        out.add(round(k, 2))
        k += step
    return sorted(x for x in out if lo <= x <= hi)


#: Structural open-interest levels: (put centre, put width, call centre, call width) as
#: fractions of the reference price, and the peak OI per strike.
_OI_SHAPE = {
    "SPX": (0.985, 0.05, 1.05, 0.04, 1500.0),
    "SPY": (0.955, 0.05, 1.04, 0.04, 6000.0),
    "QQQ": (0.95, 0.05, 1.05, 0.05, 3500.0),
    "IWM": (0.94, 0.06, 1.05, 0.05, 4500.0),
}
#: The reference date of the structural levels (OI built before the March stress).
OI_REFERENCE_DAY = date(2026, 3, 20)


def _oi_peak(underlying: str) -> float:
    if underlying in _OI_SHAPE:
        return _OI_SHAPE[underlying][4]
    weight = sc.OPTION_PRINT_WEIGHT.get(underlying, 1.0)
    return 1200.0 * math.pow(weight, 0.8)


class OpenInterest:
    """Deterministic open interest per contract and publication day (cached).

    OI = peak × strike shape (structural put and call humps around levels fixed before the
    March stress, bonuses at round strikes) × expiry factor (monthlies, quarterlies, dailies,
    LEAPS, short-dated build-up) × a per-contract factor in [0.5, 1.5) × a ±3 % daily drift.
    """

    def __init__(self, history: History) -> None:
        self._history = history
        self._ref: dict[str, float] = {}
        self._expiry: dict[tuple[str, str, date, date], float] = {}
        self._strike: dict[tuple[str, float, str], float] = {}
        self._contract: dict[tuple[str, str, date, float, str], float] = {}

    def _reference(self, underlying: str) -> float:
        ref = self._ref.get(underlying)
        if ref is None:
            bars = self._history.bars[underlying]
            ref = bars.close[self._history.index(OI_REFERENCE_DAY)]
            self._ref[underlying] = ref
        return ref

    def _expiry_factor(self, underlying: str, root: str, expiry: date, day: date) -> float:
        key = (underlying, root, expiry, day)
        factor = self._expiry.get(key)
        if factor is None:
            factor = 1.0
            if is_monthly(expiry):
                factor *= 4.0 if root == "SPX" or underlying != "SPX" else 1.2
                if expiry.month in (3, 6, 9, 12):
                    factor *= 1.5
            elif expiry.weekday() != 4:
                factor *= 0.35
            if expiry >= LEAPS[0]:
                factor *= 1.5
            days = (expiry - day).days
            factor *= 0.45 + 0.55 * min(1.0, (days + 3) / 12.0)
            self._expiry[key] = factor
        return factor

    def _strike_shape(self, underlying: str, strike: float, right: str) -> float:
        key = (underlying, strike, right)
        shape = self._strike.get(key)
        if shape is None:
            ref = self._reference(underlying)
            default = (0.92, 0.08, 1.07, 0.07, _oi_peak(underlying))
            pc, pw, cc, cw, peak = _OI_SHAPE.get(underlying, default)
            m = strike / ref
            if right == "P":
                shape = math.exp(-(((m - pc) / pw) ** 2))
                shape += 0.3 * math.exp(-(((m - pc + 0.1) / 0.08) ** 2))
                shape *= 1.35
            else:
                shape = math.exp(-(((m - cc) / cw) ** 2))
                shape += 0.15 * math.exp(-(((m - 1.0) / 0.03) ** 2))
            step = strike_step(underlying, ref) * (20 if underlying == "SPX" else 5)
            if abs(strike / step - round(strike / step)) < 1e-9:
                shape *= 2.0
            elif abs(2 * strike / step - round(2 * strike / step)) < 1e-9:
                shape *= 1.4
            shape *= peak
            self._strike[key] = shape
        return shape

    def get(
        self, underlying: str, root: str, expiry: date, strike: float, right: str, day: date
    ) -> int:
        """Open interest of a contract as published for ``day``."""
        ckey = (underlying, root, expiry, strike, right)
        h = self._contract.get(ckey)
        if h is None:
            h = unit_hash(underlying, root, expiry, strike, right)
            self._contract[ckey] = h
        drift = 1.0 + 0.06 * (((h * 7919.0 + day.toordinal() * 0.6180339887) % 1.0) - 0.5)
        shape = self._strike_shape(underlying, strike, right)
        shape *= self._expiry_factor(underlying, root, expiry, day)
        return int(shape * (0.5 + h) * drift)


def liquidity(underlying: str) -> float:
    """Relative quoted spread of a fairly priced option."""
    if underlying in ("SPX", "SPY", "QQQ"):
        return 0.02
    if underlying in ("IWM", "NVDA", "TSLA", "AAPL"):
        return 0.03
    return 0.05 if BY_NAME[underlying].kind == "stock" else 0.06


def quote(theo: float, spread: float) -> tuple[float, float]:
    """A deterministic NBBO around ``theo``: ticks 0.05 at or above $3, else 0.01; two ticks min."""
    cents = theo * 100.0
    tick = 5 if theo >= 3.0 else 1
    half = max(tick, cents * spread / 2.0)
    bid = max(0, math.floor((cents - half) / tick + 1e-9) * tick)
    ask = math.ceil((cents + half) / tick - 1e-9) * tick
    ask = max(ask, bid + 2 * tick, 5)
    return bid / 100.0, ask / 100.0
