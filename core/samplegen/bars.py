"""Daily history: a market factor pinned to the story's anchors, sector factors, macro series.

Returns are simulated as market + sector + idiosyncratic parts with volatility clustering, then
each series is bridged (in log space) through its anchor levels so the story holds for any seed.
Single names are scaled so their last close is the level in ``universe.SYMBOLS``.
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass, field
from datetime import date

from . import scenario as sc
from .calendar import sessions_ending
from .rng import clamp, stream
from .universe import SECTOR_FACTORS, SYMBOLS, Symbol

CALM_VOL = 0.0075


@dataclass(slots=True)
class Series:
    """Daily OHLCV of one symbol (unrounded floats; rounding happens on output)."""

    open: list[float]
    high: list[float]
    low: list[float]
    close: list[float]
    volume: list[float]


@dataclass(slots=True)
class History:
    """Everything daily: sessions, per-symbol bars, macro levels and the volatility regime."""

    sessions: list[date]
    bars: dict[str, Series]
    macro: dict[str, list[float]]
    #: Market-factor daily volatility of each session (regime × clustering).
    market_vol: list[float]
    #: Total daily volatility of each symbol on each session (for ranges and intraday paths).
    symbol_vol: dict[str, list[float]] = field(default_factory=dict)
    _position: dict[date, int] = field(default_factory=dict)

    def index(self, day: date) -> int:
        """Position of ``day`` in ``sessions``."""
        if not self._position:
            self._position.update((d, i) for i, d in enumerate(self.sessions))
        return self._position[day]


def _regime(day: date) -> float:
    vol = sc.VOL_REGIMES[0][1]
    for start, level in sc.VOL_REGIMES:
        if day >= start:
            vol = level
    return vol


def _fat(rng: random.Random) -> float:
    """A unit-variance draw with fat tails (a 2-component normal mixture)."""
    return rng.gauss(0.0, 1.0) * (1.9 if rng.random() < 0.06 else 0.93)


def _bridge(
    sessions: list[date],
    noise: list[float],
    anchors: dict[date, float],
    *,
    log: bool = True,
) -> list[float]:
    """Levels that follow ``noise`` (per-session increments) but pass through every anchor.

    The first anchor must be the first session. After the last anchor the increments are used
    as they are. ``log`` bridges log levels (prices) rather than levels (yields).
    """
    pos = {d: i for i, d in enumerate(sessions)}
    points = sorted((pos[d], math.log(v) if log else v) for d, v in anchors.items() if d in pos)
    if not points or points[0][0] != 0:
        raise ValueError("the first anchor must be on the first session")
    steps = list(noise)
    steps[0] = 0.0
    for (i0, v0), (i1, v1) in itertools.pairwise(points):
        drift = (v1 - v0 - sum(steps[i0 + 1 : i1 + 1])) / (i1 - i0)
        for t in range(i0 + 1, i1 + 1):
            steps[t] += drift
    level = points[0][1]
    out: list[float] = []
    for t, step in enumerate(steps):
        level = points[0][1] if t == 0 else level + step
        out.append(math.exp(level) if log else level)
    return out


def _log_returns(levels: list[float]) -> list[float]:
    return [0.0] + [math.log(b / a) for a, b in itertools.pairwise(levels)]


def _stdev(xs: list[float]) -> float:
    m = sum(xs) / len(xs)
    return math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1))


def _market(seed: int, sessions: list[date]) -> tuple[list[float], list[float]]:
    """SPX closes and the market-factor volatility of each session.

    The noise of the March–April stress window is rescaled until the stdev of the 20 SPX log
    returns before the last session hits ``SPX_SIGMA20_TARGET`` (so the relief rally is a big
    move but not a fast tape).
    """
    rng = stream(seed, "market")
    n = len(sessions)
    h = 0.0
    vol: list[float] = []
    shocks: list[float] = []
    for day in sessions:
        h = 0.93 * h + rng.gauss(0.0, 0.13)
        vol.append(_regime(day) * math.exp(clamp(h, -0.6, 0.8)))
        shocks.append(_fat(rng))
    last_anchor = sessions.index(max(sc.SPX_ANCHORS))
    window_start = sessions.index(sc.VOL_REGIMES[-1][0])
    scale = 1.0
    closes: list[float] = []
    for _ in range(6):
        noise = [vol[t] * shocks[t] * (scale if t >= window_start else 1.0) for t in range(n)]
        closes = _bridge(sessions[: last_anchor + 1], noise[: last_anchor + 1], sc.SPX_ANCHORS)
        for day in sessions[last_anchor + 1 :]:
            closes.append(closes[-1] * math.exp(math.log1p(sc.SPX_LAST_RETURNS[day])))
        rets = _log_returns(closes)
        sigma = _stdev(rets[n - 21 : n - 1])
        scale *= clamp(sc.SPX_SIGMA20_TARGET / sigma, 0.5, 2.0) ** 1.3
    return closes, vol


def _macro(seed: int, sessions: list[date], mkt_ret: list[float]) -> dict[str, list[float]]:
    rng = stream(seed, "macro")
    n = len(sessions)
    oil_noise = [
        (0.034 if d >= sc.VOL_REGIMES[-1][0] else 0.021) * _fat(rng) + 0.3 * mkt_ret[t]
        for t, d in enumerate(sessions)
    ]
    wti = _bridge(sessions[:-1], oil_noise[:-1], sc.WTI_ANCHORS)
    wti.append(wti[-1] * (1.0 + sc.WTI_LAST_CHANGE))

    dxy_noise = [0.0036 * rng.gauss(0.0, 1.0) - 0.08 * mkt_ret[t] for t in range(n)]
    dxy = _bridge(sessions, dxy_noise, sc.DXY_ANCHORS)
    run_start = sessions.index(sc.DXY_RUN_START)
    for t in range(n):
        if run_start <= t < n - 2 and dxy[t] <= sc.DXY_LEVEL + 0.08:
            dxy[t] = sc.DXY_LEVEL + 0.08 + 0.05 * rng.random()
        if t < run_start - 1 and sessions[t] >= date(2025, 6, 1) and dxy[t] > 99.85:
            dxy[t] = 99.85 - 0.2 * rng.random()

    y10_noise = [0.045 * rng.gauss(0.0, 1.0) + 0.9 * mkt_ret[t] for t in range(n)]
    y10 = _bridge(sessions, y10_noise, sc.US10Y_ANCHORS, log=False)
    y2_noise = [
        0.8 * (y10[t] - y10[t - 1]) + 0.022 * rng.gauss(0.0, 1.0) if t else 0.0 for t in range(n)
    ]
    y2 = _bridge(sessions, y2_noise, sc.US2Y_ANCHORS, log=False)
    return {"WTI": wti, "DXY": dxy, "US10Y": y10, "US2Y": y2}


def _vix(seed: int, sessions: list[date], mkt_ret: list[float], vol: list[float]) -> list[float]:
    rng = stream(seed, "vix")
    noise = [
        -3.6 * mkt_ret[t] + 0.045 * rng.gauss(0.0, 1.0) * (vol[t] / CALM_VOL) ** 0.3
        for t in range(len(sessions))
    ]
    vix = _bridge(sessions[:-1], noise[:-1], sc.VIX_ANCHORS)
    vix.append(vix[-1] * (1.0 + sc.VIX_LAST_CHANGE))
    return vix


def _scaled(
    first_close: float, last_close: float, rets: list[float], fixed: set[int]
) -> list[float]:
    """Closes from ``first_close`` to ``last_close`` that follow ``rets`` up to a constant drift.

    The drift is spread over the sessions not in ``fixed`` (whose returns are explicit). With
    ``first_close`` 0 the returns are used as they are and only the level is scaled.
    """
    steps = list(rets)
    free = [t for t in range(1, len(steps)) if t not in fixed]
    if first_close > 0 and free:
        drift = (math.log(last_close / first_close) - sum(steps[1:])) / len(free)
        for t in free:
            steps[t] += drift
    level = math.log(last_close) - sum(steps[1:])
    out = [math.exp(level)]
    for r in steps[1:]:
        level += r
        out.append(math.exp(level))
    return out


def _symbol_returns(
    sym: Symbol,
    rng: random.Random,
    sessions: list[date],
    ctx: dict[str, list[float]],
    sectors: dict[str, list[float]],
    vol: list[float],
) -> list[float]:
    rets = [0.0]
    explicit = sc.EXPLICIT_RETURNS.get(sym.name, {})
    for t in range(1, len(sessions)):
        day = sessions[t]
        if day in explicit:
            rets.append(math.log1p(explicit[day]))
            continue
        r = sym.beta * ctx["mkt"][t]
        if sym.sector in sectors:
            r += sym.sector_beta * sectors[sym.sector][t]
        r += sym.oil_beta * ctx["oil"][t]
        r += sym.rate_beta * (ctx["y10"][t] - ctx["y10"][t - 1]) / 100.0
        r += sym.dollar_beta * ctx["dxy"][t]
        r += sym.idio_vol * (vol[t] / CALM_VOL) ** 0.55 * _fat(rng)
        rets.append(r)
    return rets


def _ohlc(
    rng: random.Random,
    closes: list[float],
    sym_vol: list[float],
    gaps: list[float],
) -> tuple[list[float], list[float], list[float]]:
    opens = [closes[0] * math.exp(0.3 * sym_vol[0] * rng.gauss(0.0, 1.0))]
    highs: list[float] = []
    lows: list[float] = []
    for t, close in enumerate(closes):
        if t:
            own = 0.22 * sym_vol[t] * rng.gauss(0.0, 1.0)
            opens.append(closes[t - 1] * math.exp(gaps[t] + own))
        o = opens[t]
        up = abs(rng.gauss(0.0, 1.0)) * 0.55 * sym_vol[t] + 0.12 * sym_vol[t]
        dn = abs(rng.gauss(0.0, 1.0)) * 0.55 * sym_vol[t] + 0.12 * sym_vol[t]
        highs.append(max(o, close) * math.exp(up))
        lows.append(min(o, close) * math.exp(-dn))
    return opens, highs, lows


def _volumes(
    rng: random.Random, base: float, vol: list[float], sessions: list[date]
) -> list[float]:
    out: list[float] = []
    for t, day in enumerate(sessions):
        stress = (vol[t] / CALM_VOL) ** 0.55
        factor = sc.VOLUME_FACTOR.get(day, 1.0)
        out.append(base * stress * factor * math.exp(0.22 * rng.gauss(0.0, 1.0)) * 0.8)
    return out


def build_history(seed: int) -> History:
    """Simulate the daily history of every symbol and macro series."""
    sessions = sessions_ending(sc.LAST_SESSION, sc.SESSION_COUNT)
    n = len(sessions)
    spx, vol = _market(seed, sessions)
    mkt = _log_returns(spx)
    macro = _macro(seed, sessions, mkt)
    vix = _vix(seed, sessions, mkt, vol)
    ctx = {
        "mkt": mkt,
        "oil": _log_returns(macro["WTI"]),
        "y10": macro["US10Y"],
        "dxy": _log_returns(macro["DXY"]),
    }
    srng = stream(seed, "sectors")
    sectors: dict[str, list[float]] = {}
    for name in SECTOR_FACTORS:
        f = [0.55 * vol[t] * srng.gauss(0.0, 1.0) for t in range(n)]
        if name == "Energy":
            f = [f[t] + 0.18 * ctx["oil"][t] for t in range(n)]
        sectors[name] = f

    gap_rng = stream(seed, "gaps")
    mkt_gap = [0.0] + [
        sc.MARKET_GAPS.get(sessions[t], 0.35 * mkt[t] + 0.25 * vol[t] * gap_rng.gauss(0.0, 1.0))
        for t in range(1, n)
    ]
    bars: dict[str, Series] = {}
    sym_vols: dict[str, list[float]] = {}
    for sym in SYMBOLS:
        rng = stream(seed, "bars", sym.name)
        if sym.name == "SPX":
            closes = spx
        elif sym.name == "VIX":
            closes = vix
        elif sym.name == "DXY":
            closes = macro["DXY"]
        elif sym.name == "SPY":
            k = [0.99955 ** (t / 20) * math.exp(0.00012 * rng.gauss(0.0, 1.0)) for t in range(n)]
            closes = [
                spx[t] / 10.0 * k[t] * sym.last_close / (spx[-1] / 10.0 * k[-1]) for t in range(n)
            ]
        elif sym.name == "GLD":
            closes = _anchored_asset(
                rng, sessions, ctx, sc.GLD_ANCHORS, 0.011, -1.1, sc.EXPLICIT_RETURNS["GLD"]
            )
        elif sym.name == "SLV":
            closes = _anchored_asset(rng, sessions, ctx, sc.SLV_ANCHORS, 0.022, -1.5, {})
        elif sym.name == "USO":
            rets = [ctx["oil"][t] + 0.003 * rng.gauss(0.0, 1.0) for t in range(n)]
            rets[-1] = ctx["oil"][-1] + 0.0008
            closes = _scaled(sym.first_close, sym.last_close, rets, {n - 1})
        else:
            rets = _symbol_returns(sym, rng, sessions, ctx, sectors, vol)
            explicit = sc.EXPLICIT_RETURNS.get(sym.name, {})
            fixed = {t for t, d in enumerate(sessions) if d in explicit}
            closes = _scaled(sym.first_close, sym.last_close, rets, fixed)
        sv = _symbol_vol(sym, vol)
        if sym.name == "VIX":
            sv = [0.06 * (v / CALM_VOL) ** 0.4 for v in vol]
        elif sym.name == "DXY":
            sv = [0.0035 for _ in vol]
        elif sym.name in ("GLD", "SLV"):
            sv = [(0.011 if sym.name == "GLD" else 0.022) * (v / CALM_VOL) ** 0.3 for v in vol]
        elif sym.name == "USO":
            sv = [0.024 * (v / CALM_VOL) ** 0.3 for v in vol]
        gaps = [g * sym.beta for g in mkt_gap]
        if sym.name == "VIX":
            gaps = [-3.0 * g for g in mkt_gap]
        opens, highs, lows = _ohlc(rng, closes, sv, gaps)
        volume = [0.0] * n if sym.volume == 0 else _volumes(rng, sym.volume, vol, sessions)
        bars[sym.name] = Series(opens, highs, lows, closes, volume)
        sym_vols[sym.name] = sv
    macro["VIX"] = vix
    for name, series in bars.items():
        _round_series(series, 3 if name == "DXY" else 2)
    for key in ("DXY", "WTI"):
        macro[key] = [round(x, 3 if key == "DXY" else 2) for x in macro[key]]
    macro["DXY"] = list(bars["DXY"].close)
    macro["US10Y"] = [round(x, 3) for x in macro["US10Y"]]
    macro["US2Y"] = [round(x, 3) for x in macro["US2Y"]]
    return History(sessions, bars, macro, vol, sym_vols)


def _round_series(series: Series, digits: int) -> None:
    """Round prices to the tick and keep low <= open, close <= high after rounding."""
    for t in range(len(series.close)):
        o = round(series.open[t], digits)
        c = round(series.close[t], digits)
        series.open[t], series.close[t] = o, c
        series.high[t] = max(round(series.high[t], digits), o, c)
        series.low[t] = min(round(series.low[t], digits), o, c)
        series.volume[t] = float(round(series.volume[t]))


def _anchored_asset(
    rng: random.Random,
    sessions: list[date],
    ctx: dict[str, list[float]],
    anchors: dict[date, float],
    idio: float,
    dollar_beta: float,
    explicit: dict[date, float],
) -> list[float]:
    noise = [dollar_beta * ctx["dxy"][t] + idio * _fat(rng) for t in range(len(sessions))]
    last = max(anchors)
    upto = sessions.index(last) + 1
    closes = _bridge(sessions[:upto], noise[:upto], anchors)
    for day in sessions[upto:]:
        step = explicit.get(day)
        closes.append(
            closes[-1] * (1.0 + step if step is not None else math.exp(noise[len(closes)]))
        )
    return closes


def _symbol_vol(sym: Symbol, vol: list[float]) -> list[float]:
    out: list[float] = []
    for v in vol:
        idio = sym.idio_vol * (v / CALM_VOL) ** 0.55
        total = math.sqrt((sym.beta * v) ** 2 + idio**2 + (0.55 * v * sym.sector_beta) ** 2)
        out.append(max(total, 0.002))
    return out
