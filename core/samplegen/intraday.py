"""One-minute price paths for the tape sessions, and the SPY five-minute bars derived from them.

A session's path runs from its open to its close (Brownian bridges: a shared market shape plus
an own shape per symbol), so the daily high and low, the five-minute bars and the underlying price
stamped on every print all come from one path and agree with each other.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date

from .bars import History
from .calendar import NS_PER_MINUTE, et_iso, open_ns
from .rng import stream
from .universe import BY_NAME

MINUTES = 390
#: Symbols without an intraday path (their tape-session bars keep the daily simulation).
NO_PATH = frozenset({"VIX", "DXY"})


@dataclass(slots=True)
class Paths:
    """Minute-by-minute prices (391 points, 09:30 to 16:00 ET) per (symbol, session)."""

    points: dict[tuple[str, date], list[float]]

    def price_at(self, symbol: str, day: date, ts_ns: int) -> float:
        """Linearly interpolated price at ``ts_ns``; the close after 16:00, the open before."""
        path = self.points[(symbol, day)]
        x = (ts_ns - open_ns(day)) / NS_PER_MINUTE
        if x <= 0:
            return path[0]
        if x >= MINUTES:
            return path[-1]
        i = int(x)
        frac = x - i
        return path[i] + (path[i + 1] - path[i]) * frac


def _bridge(rng: random.Random, sigma: float) -> list[float]:
    """A Brownian bridge over the session with total standard deviation ``sigma`` at the end."""
    step = sigma / math.sqrt(MINUTES)
    w = [0.0]
    for _ in range(MINUTES):
        w.append(w[-1] + rng.gauss(0.0, step))
    end = w[-1]
    return [w[k] - end * k / MINUTES for k in range(MINUTES + 1)]


def build_paths(seed: int, history: History, days: tuple[date, ...]) -> Paths:
    """Build every path and overwrite the tape sessions' daily high and low from them."""
    points: dict[tuple[str, date], list[float]] = {}
    for day in days:
        t = history.index(day)
        mvol = history.market_vol[t]
        market = _bridge(stream(seed, "intraday", "market", day), 0.85 * mvol)
        for name, series in history.bars.items():
            if name in NO_PATH:
                continue
            sym = BY_NAME[name]
            o, c = series.open[t], series.close[t]
            if name in ("SPX", "SPY"):
                shape = market
            else:
                own_vol = math.sqrt(
                    max(history.symbol_vol[name][t] ** 2 - (sym.beta * mvol) ** 2, 0)
                )
                own = _bridge(stream(seed, "intraday", name, day), 0.85 * own_vol)
                shape = [sym.beta * m + x for m, x in zip(market, own, strict=True)]
            lo, lc = math.log(o), math.log(c)
            path = [math.exp(lo + (lc - lo) * k / MINUTES + shape[k]) for k in range(MINUTES + 1)]
            path[0], path[-1] = o, c
            points[(name, day)] = path
            series.high[t] = round(max(path), 2)
            series.low[t] = round(min(path), 2)
    return Paths(points)


@dataclass(frozen=True, slots=True)
class FiveMinuteBar:
    """One five-minute bar, stamped at its end time."""

    ts: str
    open: float
    high: float
    low: float
    close: float
    volume: int


def five_minute_bars(
    seed: int, paths: Paths, symbol: str, day: date, daily_volume: float
) -> list[FiveMinuteBar]:
    """78 bars (09:35 … 16:00 ET) whose volumes follow the intraday U shape and sum to the day."""
    path = paths.points[(symbol, day)]
    rng = stream(seed, "five-minute", symbol, day)
    weights = [
        (1.0 + 2.4 * math.exp(-j / 6.0) + 1.7 * math.exp(-(77 - j) / 4.0))
        * math.exp(0.25 * rng.gauss(0.0, 1.0))
        for j in range(78)
    ]
    total = sum(weights)
    volumes = [int(daily_volume * w / total) for w in weights]
    volumes[-1] += int(daily_volume) - sum(volumes)
    out: list[FiveMinuteBar] = []
    for j in range(78):
        seg = path[5 * j : 5 * j + 6]
        minute = 35 + 5 * j
        hour, minute = 9 + minute // 60, minute % 60
        out.append(
            FiveMinuteBar(
                et_iso(day, hour, minute), seg[0], max(seg), min(seg), seg[-1], volumes[j]
            )
        )
    return out
