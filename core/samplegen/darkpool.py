"""Off-exchange (TRF/ADF) equity prints of one session, with the NBBO in force at each print.

Per symbol, notional is split into at/near-ask, at/near-bid and middle-band budgets from the bid
share of ``scenario.DARK_BID_SHARE`` (accumulation/distribution by construction). Prices use
sub-penny increments like retail price improvement; a few prints sit outside the NBBO. Form-T,
average-price and out-of-sequence prints are added on top of the budgets (the analysis drops
them as non-contemporaneous, METHODOLOGY §3.1).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

import polars as pl

from . import scenario as sc
from .calendar import NS_PER_MINUTE, et_ns, open_ns
from .intraday import Paths
from .rng import clamp, lognormal_weight, stream

VENUES = (("FINN", 45.0), ("FINY", 30.0), ("FINC", 20.0), ("ADF", 5.0))
MIN_SHARES = 100
MAX_SHARES = 500_000


@dataclass(slots=True)
class _Columns:
    ts: list[int]
    symbol: list[str]
    price: list[float]
    size: list[float]
    bid: list[float]
    ask: list[float]
    venue: list[str]
    conditions: list[str]


def bid_share(seed: int, symbol: str, day: date) -> float:
    """Designed bid share of classified notional for ``symbol`` on ``day``."""
    rng = stream(seed, "dark-share", symbol, day)
    table = sc.DARK_BID_SHARE.get(symbol)
    if table is not None:
        return table[sc.TAPE_SESSIONS.index(day)] + rng.uniform(-0.012, 0.012)
    return rng.uniform(0.42, 0.58)


def _spread_cents(rng: random.Random, symbol: str, price: float) -> int:
    if symbol in ("SPY", "QQQ", "IWM") or price < 60:
        return 1
    if price < 250:
        return rng.choice((1, 1, 2))
    return rng.choice((1, 2, 2, 3, 4))


def _nbbo(rng: random.Random, symbol: str, mid: float) -> tuple[float, float]:
    spread = _spread_cents(rng, symbol, mid)
    bid_c = int(mid * 100.0 - spread / 2.0 + 0.5)
    return bid_c / 100.0, (bid_c + spread) / 100.0


def _price(rng: random.Random, side: str, bid: float, ask: float) -> float:
    spread = ask - bid
    u = rng.random()
    if side == "ASK":
        if u < 0.35:
            return ask
        if u < 0.365:
            return round(ask + 0.01 * rng.randint(1, 3), 2)
        return round(bid + spread * rng.uniform(0.75, 0.98), 4)
    if side == "BID":
        if u < 0.35:
            return bid
        if u < 0.365:
            return round(bid - 0.01 * rng.randint(1, 3), 2)
        return round(bid + spread * rng.uniform(0.02, 0.25), 4)
    if u < 0.5:
        return round((bid + ask) / 2.0, 4)
    return round(bid + spread * rng.uniform(0.36, 0.64), 4)


def _venue(rng: random.Random) -> str:
    x = rng.random() * 100.0
    for venue, w in VENUES:
        x -= w
        if x <= 0:
            return venue
    return VENUES[-1][0]


def _ts(rng: random.Random, day: date) -> int:
    u = rng.random()
    if u < 0.22:
        minute = rng.random() ** 1.5 * 40
    elif u < 0.5:
        minute = 390 - rng.random() ** 1.5 * 50
    else:
        minute = rng.random() * 390
    return open_ns(day) + int(minute * NS_PER_MINUTE) // 1000 * 1000


def _symbol(
    seed: int, cols: _Columns, paths: Paths, day: date, symbol: str, count: int, total: float
) -> None:
    rng = stream(seed, "dark", day, symbol)
    b = bid_share(seed, symbol, day)
    m = rng.uniform(0.18, 0.30)
    parts = (("ASK", (1 - m) * (1 - b)), ("BID", (1 - m) * b), ("MID", m))
    for side, share in parts:
        n = max(2, round(count * share))
        budget = total * share
        weights = [min(lognormal_weight(rng, 1.6), 80.0) for _ in range(n)]
        wsum = sum(weights)
        start = len(cols.ts)
        for w in weights:
            ts = _ts(rng, day)
            bid, ask = _nbbo(rng, symbol, paths.price_at(symbol, day, ts))
            price = _price(rng, side, bid, ask)
            shares = clamp(round(budget * w / wsum / price), MIN_SHARES, MAX_SHARES)
            cols.ts.append(ts)
            cols.symbol.append(symbol)
            cols.price.append(price)
            cols.size.append(float(shares))
            cols.bid.append(bid)
            cols.ask.append(ask)
            cols.venue.append(_venue(rng))
            cols.conditions.append("@" if rng.random() < 0.18 else "")
        realised = sum(cols.price[i] * cols.size[i] for i in range(start, len(cols.ts)))
        factor = budget / realised
        for i in range(start, len(cols.ts)):
            cols.size[i] = float(clamp(round(cols.size[i] * factor), MIN_SHARES, MAX_SHARES))
    _extras(rng, cols, paths, day, symbol, count)


def _extras(
    rng: random.Random, cols: _Columns, paths: Paths, day: date, symbol: str, count: int
) -> None:
    """Form-T (extended hours), average-price and out-of-sequence prints."""
    for cond, share in (("T", 0.006), ("W", 0.002), ("Z", 0.0015)):
        for _ in range(int(count * share + rng.random())):
            if cond == "T":
                if rng.random() < 0.6:
                    ts = et_ns(day, 16, 5) + rng.randint(0, 200 * 60) * 1_000_000_000
                    ref = paths.price_at(symbol, day, et_ns(day, 16, 0))
                else:
                    ts = et_ns(day, 7, 0) + rng.randint(0, 149 * 60) * 1_000_000_000
                    ref = paths.price_at(symbol, day, open_ns(day))
            else:
                ts = _ts(rng, day)
                ref = paths.price_at(symbol, day, ts)
            bid, ask = _nbbo(rng, symbol, ref)
            price = round(ref * (1.0 + rng.uniform(-0.004, 0.004)), 4)
            cols.ts.append(ts)
            cols.symbol.append(symbol)
            cols.price.append(price)
            cols.size.append(float(rng.choice((100, 500, 1000, 2500, 10_000, 50_000))))
            cols.bid.append(bid)
            cols.ask.append(ask)
            cols.venue.append(_venue(rng))
            cols.conditions.append(cond)


def dark_prints(seed: int, paths: Paths, day: date, count: int) -> pl.DataFrame:
    """All off-exchange prints of ``day`` (about ``count`` of them)."""
    cols = _Columns([], [], [], [], [], [], [], [])
    weights = sc.DARK_PRINT_WEIGHT
    wsum = sum(weights.values())
    noise = stream(seed, "dark-notional", day)
    for symbol, base in sc.DARK_NOTIONAL_M.items():
        total = base * 1e6 * sc.SESSION_ACTIVITY[day] * (1.0 + 0.06 * noise.uniform(-1.0, 1.0))
        n = max(30, round(count * weights[symbol] / wsum))
        _symbol(seed, cols, paths, day, symbol, n, total)
    frame = pl.DataFrame(
        {
            "ts": cols.ts,
            "symbol": cols.symbol,
            "price": cols.price,
            "size": cols.size,
            "bid": cols.bid,
            "ask": cols.ask,
            "venue": cols.venue,
            "conditions": cols.conditions,
            "seq": list(range(len(cols.ts))),
        }
    ).sort("ts", "symbol", "seq")
    tag = day.strftime("%y%m%d")
    return frame.with_columns(
        pl.format(
            "D{}-{}", pl.lit(tag), (pl.int_range(pl.len()) + 1).cast(pl.String).str.zfill(6)
        ).alias("trade_id")
    ).drop("seq")
