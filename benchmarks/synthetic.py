"""A fast, seeded generator of a many-session canonical data folder (for the history benchmark and
tests; not a market story — see ``flowterm.core.samplegen`` for that).

Twelve symbols of daily bars (enough history before the first tape session for a 200-day
average), macro series, sectors and analyst inputs, and per tape session small canonical
Parquet files: option prints, off-exchange prints, a closing chain, short volume and SPY
five-minute bars. Prices follow seeded random walks; quotes come from Black–Scholes with a flat
skew, so zones, dealer gamma and sides all have something to find. The same arguments always
write the same rows.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Final

import polars as pl

#: Symbol → (starting close, daily volatility of log returns, optionable, has dark prints).
SYMBOLS: Final[dict[str, tuple[float, float, bool, bool]]] = {
    "SPX": (5000.0, 0.010, True, False),
    "SPY": (500.0, 0.010, True, True),
    "QQQ": (430.0, 0.012, True, True),
    "IWM": (200.0, 0.013, True, True),
    "HYG": (78.0, 0.003, False, True),
    "VIX": (18.0, 0.050, False, False),
    "AAPL": (220.0, 0.016, True, True),
    "MSFT": (410.0, 0.014, True, True),
    "NVDA": (120.0, 0.025, True, True),
    "TSLA": (240.0, 0.030, True, True),
    "XOM": (110.0, 0.013, True, True),
    "META": (560.0, 0.020, True, True),
}
SECTORS: Final = {
    "SPY": "Index",
    "QQQ": "Index",
    "IWM": "Index",
    "SPX": "Index",
    "HYG": "Credit",
    "AAPL": "Technology",
    "MSFT": "Technology",
    "NVDA": "Technology",
    "TSLA": "Consumer Discretionary",
    "XOM": "Energy",
    "META": "Communication Services",
}
#: Sessions of daily bars before the first tape session (the 200-day average needs 200).
BARS_LEAD: Final = 210
LAST_SESSION: Final = date(2026, 4, 8)
_ET: Final = "America/New_York"
_UTC_NS: Final = pl.Datetime("ns", "UTC")


def business_days(last: date, count: int) -> list[date]:
    """The ``count`` weekdays ending at ``last`` (no holiday calendar), oldest first."""
    out: list[date] = []
    day = last
    while len(out) < count:
        if day.weekday() < 5:
            out.append(day)
        day -= timedelta(days=1)
    return out[::-1]


def _norm_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def _bs(spot: float, strike: float, years: float, vol: float, right: str) -> float:
    sd = vol * math.sqrt(years)
    d1 = math.log(spot / strike) / sd + 0.5 * sd
    d2 = d1 - sd
    if right == "C":
        return spot * _norm_cdf(d1) - strike * _norm_cdf(d2)
    return strike * _norm_cdf(-d2) - spot * _norm_cdf(-d1)


def _utc(column: str) -> pl.Expr:
    """A naive ET datetime column as UTC nanoseconds."""
    return (
        pl.col(column).dt.replace_time_zone(_ET).dt.convert_time_zone("UTC").cast(_UTC_NS)
    ).alias(column)


@dataclass(frozen=True, slots=True)
class Folder:
    """What ``write_folder`` wrote."""

    root: Path
    sessions: tuple[date, ...]
    files: int


def _walks(rng: random.Random, days: list[date]) -> dict[str, list[float]]:
    closes: dict[str, list[float]] = {}
    market = [rng.gauss(0.0003, 0.009) for _ in days]
    for symbol, (start, vol, _, _) in SYMBOLS.items():
        level, series = start, []
        for i in range(len(days)):
            if symbol == "VIX":
                level = max(9.0, level * math.exp(-3 * market[i] + rng.gauss(0, vol)))
                level += 0.05 * (18.0 - level)
            else:
                beta = 0.3 if symbol == "HYG" else 1.0
                level *= math.exp(beta * market[i] + rng.gauss(0, vol * 0.6))
            series.append(level)
        closes[symbol] = series
    return closes


def _bars(rng: random.Random, days: list[date], closes: dict[str, list[float]]) -> pl.DataFrame:
    rows = []
    for symbol, series in closes.items():
        prior = series[0]
        for day, close in zip(days, series, strict=True):
            open_ = prior * math.exp(rng.gauss(0, 0.003))
            spread = abs(rng.gauss(0, 0.006)) * close
            high = max(open_, close) + spread
            low = min(open_, close) - spread
            volume = float(int(rng.uniform(2e6, 8e7)))
            rows.append((day, symbol, round(open_, 2), round(high, 2), round(low, 2)))
            rows[-1] += (round(close, 2), volume)
            prior = close
    return pl.DataFrame(
        rows, schema=["date", "symbol", "open", "high", "low", "close", "volume"], orient="row"
    )


def _macro(rng: random.Random, days: list[date]) -> pl.DataFrame:
    rows: list[tuple[date, str, float]] = []
    level = {"DXY": 101.0, "US10Y": 4.2, "US2Y": 3.9, "WTI": 72.0}
    steps = {"DXY": 0.3, "US10Y": 0.04, "US2Y": 0.035, "WTI": 1.2}
    month = None
    for day in days:
        for name in level:
            level[name] += rng.gauss(0, steps[name])
            rows.append((day, name, round(level[name], 3)))
        if day.month != month:
            month = day.month
            rows.append((day, "ISM_PMI", round(rng.uniform(46, 54), 1)))
            rows.append((day, "ISM_PRICES", round(rng.uniform(50, 68), 1)))
    return pl.DataFrame(rows, schema=["date", "series", "value"], orient="row")


def _expiries(day: date) -> list[date]:
    """The next three Fridays strictly after ``day``."""
    friday = day + timedelta(days=(4 - day.weekday()) % 7 or 7)
    return [friday + timedelta(days=7 * k) for k in range(3)]


def _chain(rng: random.Random, day: date, spots: dict[str, float]) -> pl.DataFrame:
    rows = []
    close = datetime.combine(day, time(16, 0))
    for symbol, (_, vol, optionable, _) in SYMBOLS.items():
        if not optionable:
            continue
        spot = spots[symbol]
        step = 10 ** math.floor(math.log10(spot * 0.01))
        step = step * 5 if spot * 0.01 / step >= 5 else step
        atm = round(spot / step) * step
        iv0 = vol * math.sqrt(252) * rng.uniform(0.9, 1.2)
        for expiry in _expiries(day):
            years = ((expiry - day).days) / 365.0
            for k in range(-7, 8):
                strike = atm + k * step
                if strike <= 0:
                    continue
                iv = iv0 * (1 + 0.15 * max(0.0, (spot - strike) / spot) * 10)
                for right in ("C", "P"):
                    mid = max(_bs(spot, strike, years, iv, right), 0.05)
                    half = max(0.01, 0.01 * mid)
                    rows.append(
                        (
                            close,
                            symbol,
                            spot,
                            expiry,
                            float(strike),
                            right,
                            int(rng.uniform(100, 20000)),
                            iv,
                            "SPXW" if symbol == "SPX" else symbol,
                            round(mid - half, 2),
                            round(mid + half, 2),
                        )
                    )
    schema = ["as_of", "underlying", "spot", "expiry", "strike", "right", "open_interest", "iv"]
    frame = pl.DataFrame(rows, schema=[*schema, "root", "bid", "ask"], orient="row")
    return frame.with_columns(_utc("as_of"))


def _option_prints(rng: random.Random, day: date, chain: pl.DataFrame, n: int) -> pl.DataFrame:
    quotes = chain.select("underlying", "expiry", "strike", "right", "root", "bid", "ask").rows()
    weights = [5.0 if q[0] in ("SPX", "SPY") else 1.0 for q in quotes]
    picks = rng.choices(quotes, weights=weights, k=n)
    open_ = datetime.combine(day, time(9, 30))
    bias = rng.uniform(-0.25, 0.25)
    rows = []
    for und, expiry, strike, right, root, bid, ask in picks:
        u = rng.random()
        position = 1.0 if u < 0.35 + bias else 0.0 if u < 0.7 else rng.random()
        price = round(bid + position * (ask - bid), 2)
        condition = rng.choices(["", "ISOI", "MLET", "CANC"], weights=[85, 10, 4, 1])[0]
        ts = open_ + timedelta(seconds=rng.uniform(0, 6.5 * 3600))
        size = int(rng.paretovariate(1.3) * 3)
        rows.append((ts, und, expiry, strike, right, price, size, bid, ask, root, condition))
    schema = ["ts", "underlying", "expiry", "strike", "right", "price", "size", "bid", "ask"]
    frame = pl.DataFrame(rows, schema=[*schema, "root", "conditions"], orient="row")
    return frame.with_columns(_utc("ts")).sort("ts")


def _dark_prints(rng: random.Random, day: date, spots: dict[str, float], n: int) -> pl.DataFrame:
    symbols = [s for s, spec in SYMBOLS.items() if spec[3]]
    lean = {s: rng.uniform(-0.3, 0.3) for s in symbols}
    open_ = datetime.combine(day, time(9, 30))
    rows = []
    for _ in range(n):
        symbol = rng.choice(symbols)
        mid = spots[symbol] * math.exp(rng.gauss(0, 0.004))
        half = max(0.005, mid * 0.0002)
        bid, ask = round(mid - half, 2), round(mid + half, 2)
        x = min(1.0, max(0.0, rng.gauss(0.5 + lean[symbol], 0.35)))
        price = round(bid + x * (ask - bid), 4)
        ts = open_ + timedelta(seconds=rng.uniform(0, 6.5 * 3600))
        size = float(int(rng.paretovariate(1.2) * 100))
        condition = "T" if rng.random() < 0.02 else "@"
        rows.append((ts, symbol, price, size, bid, ask, condition))
    schema = ["ts", "symbol", "price", "size", "bid", "ask", "conditions"]
    return pl.DataFrame(rows, schema=schema, orient="row").with_columns(_utc("ts")).sort("ts")


def _short_volume(rng: random.Random, day: date) -> pl.DataFrame:
    rows = []
    for symbol, spec in SYMBOLS.items():
        if not spec[3]:
            continue
        total = float(int(rng.uniform(1e6, 3e7)))
        rows.append((day, symbol, float(int(total * rng.uniform(0.35, 0.6))), total))
    return pl.DataFrame(
        rows, schema=["date", "symbol", "short_volume", "total_volume"], orient="row"
    )


def _intraday(rng: random.Random, day: date, prior: float, close: float) -> pl.DataFrame:
    rows = []
    level = prior
    start = datetime.combine(day, time(9, 30))
    for i in range(78):
        target = prior + (close - prior) * (i + 1) / 78
        nxt = target + rng.gauss(0, prior * 0.0008)
        if i == 77:
            nxt = close
        high = max(level, nxt) + abs(rng.gauss(0, prior * 0.0003))
        low = min(level, nxt) - abs(rng.gauss(0, prior * 0.0003))
        end = start + timedelta(minutes=5 * (i + 1))
        rows.append((end, "SPY", round(level, 2), round(high, 2), round(low, 2), round(nxt, 2)))
        rows[-1] += (float(int(rng.uniform(1e5, 1e6))),)
        level = nxt
    schema = ["ts", "symbol", "open", "high", "low", "close", "volume"]
    return pl.DataFrame(rows, schema=schema, orient="row").with_columns(_utc("ts"))


def write_folder(
    out: Path,
    *,
    sessions: int = 250,
    option_prints: int = 2000,
    dark_prints: int = 1000,
    seed: int = 7,
    last: date = LAST_SESSION,
) -> Folder:
    """Write a canonical data folder with ``sessions`` tape sessions ending at ``last`` into
    ``out`` (created if needed); returns the root, the sessions and the number of files."""
    out = Path(out)
    rng = random.Random(seed)
    days = business_days(last, sessions + BARS_LEAD)
    closes = _walks(rng, days)
    (out / "bars").mkdir(parents=True, exist_ok=True)
    _bars(rng, days, closes).write_parquet(out / "bars" / "bars.parquet")
    _macro(rng, days).write_csv(out / "macro.csv")
    pl.DataFrame({"symbol": list(SECTORS), "sector": list(SECTORS.values())}).write_csv(
        out / "sectors.csv"
    )
    tape_days = days[-sessions:]
    pl.DataFrame(
        {
            "date": [tape_days[0], tape_days[-min(3, sessions)]],
            "name": ["Buyback window", "Event risk"],
            "direction": [1, -1],
            "note": ["synthetic input", "synthetic input <b>"],
            "expires": [None, None],
        },
        schema={
            "date": pl.Date,
            "name": pl.String,
            "direction": pl.Int64,
            "note": pl.String,
            "expires": pl.Date,
        },
    ).write_csv(out / "inputs.csv")
    files = 4
    offset = len(days) - sessions
    for i, day in enumerate(tape_days):
        day_rng = random.Random(seed * 100_003 + i)
        spots = {s: round(closes[s][offset + i], 2) for s in SYMBOLS}
        folder = out / day.isoformat()
        folder.mkdir(exist_ok=True)
        chain = _chain(day_rng, day, spots)
        chain.write_parquet(folder / "chain.parquet")
        _option_prints(day_rng, day, chain, option_prints).write_parquet(folder / "options.parquet")
        _dark_prints(day_rng, day, spots, dark_prints).write_parquet(folder / "darkpool.parquet")
        _short_volume(day_rng, day).write_parquet(folder / "shvol.parquet")
        prior = closes["SPY"][offset + i - 1]
        _intraday(day_rng, day, prior, spots["SPY"]).write_parquet(folder / "intraday_SPY.parquet")
        files += 5
    return Folder(out, tuple(tape_days), files)
