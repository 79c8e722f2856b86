"""Closing option-chain snapshots and the calibration of the weekly zones to the story.

The 2026-04-02 surfaces of SPX, SPY, QQQ and IWM are scaled so that the weekly zone high
(anchor + 0.85 × ATM straddle mid of the 2026-04-10 expiry, both read from that day's chain)
lands where the 2026-04-08 close is (``scenario.ZONE_CLOSE_OFFSET``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from . import blackscholes as bs
from . import scenario as sc
from .bars import History
from .calendar import close_ns, expiry_ns, years_between
from .surface import (
    OpenInterest,
    Surface,
    base_surface,
    chain_expiries,
    chain_strikes,
    liquidity,
    quote,
)
from .universe import BY_NAME, CHAIN_UNDERLYINGS, ZONE_INDEXES

ContractKey = tuple[str, date, float, str]  # root, expiry, strike, right


@dataclass(frozen=True, slots=True)
class ZoneCalibration:
    """How one index's weekly zone was pinned."""

    underlying: str
    anchor: float
    atm_strike: float
    atm_iv: float
    straddle_mid: float
    surface_factor: float


def _atm_straddle(
    underlying: str, spot: float, surface: Surface, day: date, expiry: date
) -> tuple[float, float, float]:
    """(ATM strike, its IV, straddle mid) of ``expiry`` in the closing chain of ``day``."""
    strikes = chain_strikes(underlying, spot)
    atm = min(strikes, key=lambda k: (abs(k - spot), k))
    root = "SPXW" if underlying == "SPX" else underlying
    years = years_between(close_ns(day), expiry_ns(expiry, root))
    iv = round(surface.iv(spot, atm, years), 4)
    mid = 0.0
    for right in ("C", "P"):
        bid, ask = quote(bs.price(spot, atm, years, iv, right), liquidity(underlying))
        mid += (bid + ask) / 2.0
    return atm, iv, mid


def calibrate_zones(
    history: History, surfaces: dict[tuple[str, date], Surface]
) -> list[ZoneCalibration]:
    """Scale the anchor-day surfaces of the zone indexes; returns what was done."""
    out: list[ZoneCalibration] = []
    t_anchor = history.index(sc.ZONE_ANCHOR)
    for name in ZONE_INDEXES:
        bars = history.bars[name]
        anchor = bars.close[t_anchor]
        target_high = bars.close[-1] / (1.0 + sc.ZONE_CLOSE_OFFSET[name])
        base = surfaces[(name, sc.ZONE_ANCHOR)]

        def excess(
            factor: float,
            base: Surface = base,
            name: str = name,
            anchor: float = anchor,
            target_high: float = target_high,
        ) -> float:
            _, _, mid = _atm_straddle(
                name, anchor, base.scaled(factor), sc.ZONE_ANCHOR, sc.ZONE_EXPIRY
            )
            return anchor + sc.EM_FACTOR * mid - target_high

        lo, hi = 0.2, 5.0
        for _ in range(60):
            mid_f = 0.5 * (lo + hi)
            if excess(mid_f) > 0:
                hi = mid_f
            else:
                lo = mid_f
        factor = min((lo, hi), key=lambda f: abs(excess(f)))
        surface = base.scaled(factor)
        surfaces[(name, sc.ZONE_ANCHOR)] = surface
        atm, iv, mid = _atm_straddle(name, anchor, surface, sc.ZONE_ANCHOR, sc.ZONE_EXPIRY)
        out.append(ZoneCalibration(name, anchor, atm, iv, mid, factor))
    return out


def build_surfaces(history: History, underlyings: list[str]) -> dict[tuple[str, date], Surface]:
    """Base closing surfaces for every optionable underlying and tape session."""
    return {(u, d): base_surface(history, u, d) for u in underlyings for d in sc.TAPE_SESSIONS}


def chain_frame(
    history: History,
    surfaces: dict[tuple[str, date], Surface],
    day: date,
    volumes: dict[tuple[str, ContractKey], int],
    oi_model: OpenInterest,
) -> pl.DataFrame:
    """The closing chain snapshot of ``day`` for every chain underlying."""
    cols: dict[str, list[object]] = {c: [] for c in _COLUMNS}
    as_of = close_ns(day)
    t = history.index(day)
    for name in CHAIN_UNDERLYINGS:
        spot = history.bars[name].close[t]
        surface = surfaces[(name, day)]
        spread = liquidity(name)
        strikes = chain_strikes(name, spot)
        for expiry, root in chain_expiries(name, day):
            years = years_between(as_of, expiry_ns(expiry, root))
            for strike in strikes:
                iv = round(surface.iv(spot, strike, years), 4)
                for right in ("C", "P"):
                    theo, delta, gamma = bs.price_greeks(spot, strike, years, iv, right)
                    bid, ask = quote(theo, spread)
                    oi = oi_model.get(name, root, expiry, strike, right, day)
                    traded = volumes.get((name, (root, expiry, strike, right)), 0)
                    cols["as_of"].append(as_of)
                    cols["underlying"].append(name)
                    cols["spot"].append(spot)
                    cols["expiry"].append(expiry)
                    cols["strike"].append(strike)
                    cols["right"].append(right)
                    cols["open_interest"].append(oi)
                    cols["iv"].append(iv)
                    cols["root"].append(root)
                    cols["gamma"].append(gamma)
                    cols["delta"].append(round(delta, 6))
                    cols["bid"].append(bid)
                    cols["ask"].append(ask)
                    cols["volume"].append(traded + oi // 40)
    frame = pl.DataFrame(cols, schema=_SCHEMA)
    return frame.sort("underlying", "root", "expiry", "strike", "right")


_SCHEMA = pl.Schema(
    {
        "as_of": pl.Int64(),
        "underlying": pl.String(),
        "spot": pl.Float64(),
        "expiry": pl.Date(),
        "strike": pl.Float64(),
        "right": pl.String(),
        "open_interest": pl.Int64(),
        "iv": pl.Float64(),
        "root": pl.String(),
        "gamma": pl.Float64(),
        "delta": pl.Float64(),
        "bid": pl.Float64(),
        "ask": pl.Float64(),
        "volume": pl.Int64(),
    }
)
_COLUMNS = tuple(_SCHEMA.names())


def optionable() -> list[str]:
    """Underlyings that have option prints (every name with a premium budget)."""
    return [name for name in sc.OPTION_PREMIUM_M if name in BY_NAME]
