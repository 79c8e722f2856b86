"""Canonical tapes of any size for the performance benchmark, generated vectorised (numpy).

One session of option prints over ``underlyings`` names with a Zipf-like popularity (the few
index and mega-cap names carry most prints, as on a real tape), off-exchange prints over the
most popular equity names, closing chains for SPX/SPY/QQQ, ``bar_sessions`` sessions of daily
bars for every name, macro series, a sector map, FINRA short volume and SPY five-minute bars:
enough for every layer of the report to have something to compute. Quotes are a rough
Black–Scholes mid with a spread; prints sit at the ask, at the bid or inside, with a per-name
lean. The same arguments always write the same bytes.

``write_tapes`` writes the Parquet folder; ``csv_copy`` writes the same session with the two
tapes as CSV (timestamps as America/New_York local text, as vendor exports carry them).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Final

import numpy as np
import polars as pl

SESSION: Final = date(2026, 4, 8)
_ET: Final = "America/New_York"
_UTC_NS: Final = pl.Datetime("ns", "UTC")

#: Names that exist on every tape, most popular first; the rest are made-up tickers.
_HEAD: Final = [
    "SPX",
    "SPY",
    "QQQ",
    "NVDA",
    "TSLA",
    "AAPL",
    "IWM",
    "AMZN",
    "META",
    "MSFT",
    "AMD",
    "GOOGL",
    "AVGO",
    "PLTR",
    "NFLX",
    "COIN",
    "MSTR",
    "SMCI",
    "UBER",
    "BABA",
    "JPM",
    "BAC",
    "XOM",
    "INTC",
    "MU",
    "TLT",
    "HYG",
    "GLD",
    "SLV",
    "XLF",
]
#: Option roots that are indexes (no off-exchange prints, no bars volume).
_INDEXES: Final = frozenset({"SPX"})
_SECTORS: Final = (
    "Technology",
    "Financials",
    "Energy",
    "Health Care",
    "Consumer Discretionary",
    "Communication Services",
    "Industrials",
    "Materials",
)
_EXCHANGES: Final = ("CBOE", "PHLX", "ISE", "AMEX", "ARCA", "BOX", "MIAX", "NOM", "BZX", "C2")
_CONDITIONS: Final = (None, "ISOI", "MLET", "SLAN", "CANC", "LATE")
_CONDITION_WEIGHTS: Final = (0.84, 0.09, 0.04, 0.02, 0.005, 0.005)
_DARK_CONDITIONS: Final = (None, "@", "T", "W", "I")
_DARK_CONDITION_WEIGHTS: Final = (0.55, 0.40, 0.03, 0.01, 0.01)
_VENUES: Final = ("FINRA ADF", "FINRA TRF NYSE", "FINRA TRF NASDAQ CARTERET", "FINRA TRF CHICAGO")


@dataclass(frozen=True, slots=True)
class Tapes:
    """What ``write_tapes`` wrote."""

    root: Path
    session: date
    option_prints: int
    dark_prints: int
    underlyings: int


def _names(count: int) -> list[str]:
    names = list(_HEAD[:count])
    letters = "ABCDEFGHIJKLMNOPRSTUVWXZ"
    i = 0
    while len(names) < count:
        a, b, c = i // (24 * 24), (i // 24) % 24, i % 24
        name = "Q" + letters[a % 24] + letters[b] + letters[c]
        if name not in names:
            names.append(name)
        i += 1
    return names


def _norm_cdf(x: np.ndarray) -> np.ndarray:
    """Φ(x) to ~1e-7 (Abramowitz–Stegun 26.2.17), vectorised."""
    z = np.abs(x)
    t = 1.0 / (1.0 + 0.2316419 * z)
    poly = t * (
        0.319381530 + t * (-0.356563782 + t * (1.781477937 + t * (-1.821255978 + t * 1.330274429)))
    )
    tail = np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi) * poly
    return np.where(x >= 0, 1.0 - tail, tail)


def _black_scholes(
    spot: np.ndarray, strike: np.ndarray, years: np.ndarray, vol: np.ndarray, call: np.ndarray
) -> np.ndarray:
    sd = vol * np.sqrt(years)
    d1 = np.log(spot / strike) / sd + 0.5 * sd
    d2 = d1 - sd
    calls = spot * _norm_cdf(d1) - strike * _norm_cdf(d2)
    puts = strike * _norm_cdf(-d2) - spot * _norm_cdf(-d1)
    return np.where(call, calls, puts)


def _step(spot: np.ndarray) -> np.ndarray:
    """A strike increment of about 0.5–1 % of spot on a 1/2.5/5 × 10^k grid."""
    raw = spot * 0.01
    power = 10.0 ** np.floor(np.log10(raw))
    scaled = raw / power
    return np.where(scaled >= 5, 5.0, np.where(scaled >= 2.5, 2.5, 1.0)) * power


def _fridays(day: date, count: int) -> list[date]:
    first = day + timedelta(days=(4 - day.weekday()) % 7)
    return [first + timedelta(days=7 * k) for k in range(count)]


def _session_ns(day: date, start: time, end: time) -> tuple[int, int]:
    frame = pl.DataFrame(
        {"t": [datetime.combine(day, start), datetime.combine(day, end)]}
    ).with_columns(pl.col("t").dt.replace_time_zone(_ET).dt.convert_time_zone("UTC"))
    ns = frame["t"].dt.epoch("ns").to_list()
    return int(ns[0]), int(ns[1])


def _timestamps(rng: np.random.Generator, day: date, n: int, after_close: float) -> pl.Series:
    open_ns, close_ns = _session_ns(day, time(9, 30), time(16, 0))
    late_ns = close_ns + 15 * 60 * 1_000_000_000
    ts = rng.integers(open_ns, close_ns, n, dtype=np.int64)
    late = rng.random(n) < after_close
    ts[late] = rng.integers(close_ns, late_ns, int(late.sum()), dtype=np.int64)
    ts.sort()
    return pl.Series("ts", ts).cast(pl.Datetime("ns")).dt.replace_time_zone("UTC")


def _zipf(count: int, exponent: float) -> np.ndarray:
    weights = 1.0 / np.arange(1, count + 1) ** exponent
    return weights / weights.sum()


def _spots(rng: np.random.Generator, names: list[str]) -> np.ndarray:
    fixed = {"SPX": 6500.0, "SPY": 650.0, "QQQ": 580.0, "IWM": 240.0, "TLT": 90.0, "HYG": 80.0}
    spots = np.exp(rng.uniform(np.log(8.0), np.log(900.0), len(names)))
    for i, name in enumerate(names):
        spots[i] = fixed.get(name, round(float(spots[i]), 2))
    return spots


def _vols(names: list[str]) -> np.ndarray:
    vols = np.full(len(names), 0.45)
    for i, name in enumerate(names):
        if name in ("SPX", "SPY", "QQQ", "IWM"):
            vols[i] = 0.17
        elif name in ("TLT", "HYG", "GLD", "SLV", "XLF"):
            vols[i] = 0.15
    return vols


def _categorical_pick(
    rng: np.random.Generator, choices: tuple[str | None, ...], weights: tuple[float, ...], n: int
) -> pl.Series:
    idx = rng.choice(len(choices), size=n, p=np.asarray(weights) / sum(weights))
    return pl.Series(list(choices), dtype=pl.String).gather(idx)


def option_prints(
    rng: np.random.Generator,
    n: int,
    names: list[str],
    spots: np.ndarray,
    *,
    day: date = SESSION,
) -> pl.DataFrame:
    """``n`` canonical option prints of ``day`` (sorted by time)."""
    vols = _vols(names)
    und = rng.choice(len(names), size=n, p=_zipf(len(names), 1.1))
    spot = spots[und]
    expiries = _fridays(day, 8)
    dte = np.array([(e - day).days for e in expiries], dtype=np.float64)
    exp_i = rng.choice(len(expiries), size=n, p=_zipf(len(expiries), 1.0))
    step = _step(spot)
    offset = np.clip(np.rint(rng.normal(0.0, 5.0, n)), -25, 25)
    strike = np.maximum(np.rint(spot / step) * step + offset * step, step)
    call = rng.random(n) < 0.55
    years = (dte[exp_i] + 0.6) / 365.0
    mid = np.maximum(_black_scholes(spot, strike, years, vols[und], call), 0.05)
    half = np.maximum(0.01, np.round(0.015 * mid, 2))
    mid = np.round(mid, 2)
    bid = np.maximum(mid - half, 0.01)
    ask = mid + half
    lean = rng.uniform(-0.15, 0.15, len(names))[und]
    u = rng.random(n)
    position = np.where(
        u < 0.36 + lean, 1.0, np.where(u < 0.70, 0.0, rng.random(n))
    )  # at ask, at bid, inside
    price = np.round(bid + position * (ask - bid), 2)
    size = np.minimum(np.floor(rng.pareto(1.4, n) * 4) + 1, 50_000).astype(np.int64)
    no_quote = rng.random(n) < 0.01
    names_s = pl.Series(names, dtype=pl.String)
    und_s = names_s.gather(und)
    expiry_s = pl.Series([e for e in expiries], dtype=pl.Date).gather(exp_i)
    root = pl.when(und_s == "SPX").then(pl.lit("SPXW")).otherwise(und_s)
    frame = pl.DataFrame(
        {
            "ts": _timestamps(rng, day, n, after_close=0.004),
            "underlying": und_s,
            "expiry": expiry_s,
            "strike": strike,
            "right": np.where(call, "C", "P"),
            "price": price,
            "size": size,
            "bid": np.round(bid, 2),
            "ask": np.round(ask, 2),
        }
    )
    return frame.with_columns(
        pl.when(pl.Series(no_quote)).then(None).otherwise(pl.col("bid")).alias("bid"),
        pl.when(pl.Series(no_quote)).then(None).otherwise(pl.col("ask")).alias("ask"),
        root.alias("root"),
        pl.Series("exchange", list(_EXCHANGES)).gather(rng.integers(0, len(_EXCHANGES), n)),
        _categorical_pick(rng, _CONDITIONS, _CONDITION_WEIGHTS, n).alias("conditions"),
        pl.Series("underlying_price", np.round(spot * np.exp(rng.normal(0, 0.002, n)), 2)),
        pl.Series("iv", np.round(vols[und] * rng.uniform(0.8, 1.3, n), 4)),
    )


def dark_prints(
    rng: np.random.Generator,
    n: int,
    names: list[str],
    spots: np.ndarray,
    *,
    day: date = SESSION,
) -> pl.DataFrame:
    """``n`` canonical off-exchange prints of ``day`` over the 300 most popular equity names."""
    equities = [i for i, name in enumerate(names) if name not in _INDEXES][:300]
    pick = np.asarray(equities)[rng.choice(len(equities), size=n, p=_zipf(len(equities), 1.0))]
    spot = spots[pick]
    mid = spot * np.exp(rng.normal(0.0, 0.004, n))
    half = np.maximum(0.005, np.round(mid * 0.0002, 2))
    bid = np.round(mid - half, 2)
    ask = np.round(mid + half, 2)
    lean = rng.uniform(-0.3, 0.3, len(names))[pick]
    x = np.clip(rng.normal(0.5 + lean, 0.35, n), 0.0, 1.0)
    price = np.round(bid + x * (ask - bid), 4)
    size = (np.floor(rng.pareto(1.2, n) * 100) + 1).astype(np.float64)
    names_s = pl.Series(names, dtype=pl.String)
    return pl.DataFrame(
        {
            "ts": _timestamps(rng, day, n, after_close=0.01),
            "symbol": names_s.gather(pick),
            "price": price,
            "size": size,
            "bid": bid,
            "ask": ask,
        }
    ).with_columns(
        pl.Series("venue", list(_VENUES)).gather(rng.integers(0, len(_VENUES), n)),
        _categorical_pick(rng, _DARK_CONDITIONS, _DARK_CONDITION_WEIGHTS, n).alias("conditions"),
    )


def chain(
    rng: np.random.Generator, names: list[str], spots: np.ndarray, *, day: date = SESSION
) -> pl.DataFrame:
    """Closing chain snapshots of SPX, SPY and QQQ (every listed strike ±30 %, 12 expiries)."""
    frames = []
    as_of = datetime.combine(day, time(16, 0))
    vols = _vols(names)
    for name in ("SPX", "SPY", "QQQ"):
        i = names.index(name)
        spot, vol = float(spots[i]), float(vols[i])
        step = float(_step(np.array([spot]))[0])
        strikes = np.arange(np.ceil(spot * 0.7 / step), np.floor(spot * 1.3 / step) + 1) * step
        expiries = [day, *_fridays(day + timedelta(days=1), 11)]
        grid_s, grid_e, grid_c = np.meshgrid(strikes, np.arange(len(expiries)), [True, False])
        strike, exp_i, call = grid_s.ravel(), grid_e.ravel(), grid_c.ravel()
        dte = np.array([(e - day).days for e in expiries], dtype=np.float64)[exp_i]
        moneyness = np.log(strike / spot)
        iv = vol * (1 - 0.8 * moneyness + 2.0 * moneyness**2)
        mid = np.maximum(
            _black_scholes(np.full(strike.size, spot), strike, (dte + 0.25) / 365, iv, call), 0.05
        )
        oi = np.floor(rng.pareto(1.1, strike.size) * 800 * np.exp(-8 * np.abs(moneyness)))
        frames.append(
            pl.DataFrame(
                {
                    "as_of": [as_of] * strike.size,
                    "underlying": [name] * strike.size,
                    "spot": [spot] * strike.size,
                    "expiry": pl.Series(expiries, dtype=pl.Date).gather(exp_i),
                    "strike": strike,
                    "right": np.where(call, "C", "P"),
                    "open_interest": oi.astype(np.int64),
                    "iv": np.round(iv, 4),
                    "root": [("SPXW" if name == "SPX" else name)] * strike.size,
                    "bid": np.round(mid * 0.99, 2),
                    "ask": np.round(mid * 1.01 + 0.01, 2),
                }
            )
        )
    return (
        pl.concat(frames)
        .with_columns(pl.col("as_of").dt.replace_time_zone(_ET).dt.convert_time_zone("UTC"))
        .with_columns(pl.col("as_of").cast(_UTC_NS))
    )


def _business_days(last: date, count: int) -> list[date]:
    out: list[date] = []
    day = last
    while len(out) < count:
        if day.weekday() < 5:
            out.append(day)
        day -= timedelta(days=1)
    return out[::-1]


def daily_bars(
    rng: np.random.Generator, names: list[str], spots: np.ndarray, sessions: int, last: date
) -> pl.DataFrame:
    """``sessions`` daily bars per name (plus VIX), random walks ending at today's spot."""
    days = _business_days(last, sessions)
    all_names = [*names, "VIX"]
    ends = np.append(spots, 18.0)
    vol = np.append(_vols(names), 0.9) / np.sqrt(252)
    steps = rng.normal(0.0, 1.0, (len(all_names), sessions)) * vol[:, None]
    path = np.cumsum(steps[:, ::-1], axis=1)[:, ::-1] - steps  # log distance to the last close
    close = ends[:, None] * np.exp(-path)
    gap = rng.normal(0.0, 0.3, close.shape) * vol[:, None]
    open_ = close * np.exp(gap)
    wick = np.abs(rng.normal(0.0, 0.5, close.shape)) * vol[:, None]
    high = np.maximum(open_, close) * np.exp(wick)
    low = np.minimum(open_, close) * np.exp(-wick)
    volume = np.floor(rng.uniform(1e5, 5e7, close.shape))
    frame = pl.DataFrame(
        {
            "date": pl.Series(days * len(all_names), dtype=pl.Date),
            "symbol": np.repeat(all_names, sessions),
            "open": np.round(open_.ravel(), 2),
            "high": np.round(high.ravel(), 2),
            "low": np.round(low.ravel(), 2),
            "close": np.round(close.ravel(), 2),
            "volume": volume.ravel(),
        }
    )
    no_volume = pl.col("symbol").is_in(["VIX", *_INDEXES])
    return frame.with_columns(
        pl.when(no_volume).then(None).otherwise(pl.col("volume")).alias("volume"),
        pl.min_horizontal("low", "open", "close").alias("low"),
        pl.max_horizontal("high", "open", "close").alias("high"),
    )


def _macro(rng: np.random.Generator, days: list[date]) -> pl.DataFrame:
    n = len(days)
    series = {
        "DXY": 101 + np.cumsum(rng.normal(0, 0.3, n)),
        "US10Y": 4.2 + np.cumsum(rng.normal(0, 0.04, n)),
        "US2Y": 3.9 + np.cumsum(rng.normal(0, 0.035, n)),
        "WTI": 72 + np.cumsum(rng.normal(0, 1.2, n)),
    }
    frames = [
        pl.DataFrame({"date": days, "series": [k] * n, "value": np.round(v, 3)})
        for k, v in series.items()
    ]
    months = sorted({d.replace(day=1) for d in days})
    firsts = [min(d for d in days if d.replace(day=1) == m) for m in months]
    for name, lo, hi in (("ISM_PMI", 46, 54), ("ISM_PRICES", 50, 68)):
        values = np.round(rng.uniform(lo, hi, len(firsts)), 1)
        frames.append(
            pl.DataFrame({"date": firsts, "series": [name] * len(firsts), "value": values})
        )
    return pl.concat(frames).sort("date", "series")


def _short_volume(rng: np.random.Generator, names: list[str], day: date) -> pl.DataFrame:
    equities = [n for n in names if n not in _INDEXES]
    total = np.floor(rng.uniform(1e5, 3e7, len(equities)))
    short = np.floor(total * rng.uniform(0.35, 0.6, len(equities)))
    return pl.DataFrame(
        {
            "Date": [day.strftime("%Y%m%d")] * len(equities),
            "Symbol": equities,
            "ShortVolume": short.astype(np.int64),
            "ShortExemptVolume": np.zeros(len(equities), dtype=np.int64),
            "TotalVolume": total.astype(np.int64),
            "Market": ["B,Q,N"] * len(equities),
        }
    )


def _intraday(rng: np.random.Generator, spot: float, day: date) -> pl.DataFrame:
    ends = [datetime.combine(day, time(9, 30)) + timedelta(minutes=5 * (i + 1)) for i in range(78)]
    path = spot * np.exp(np.cumsum(rng.normal(0, 0.0008, 78))[::-1] * -1 + 0)
    path = path * (spot / path[-1])
    opens = np.concatenate([[path[0] * (1 - 0.001)], path[:-1]])
    wick = np.abs(rng.normal(0, spot * 0.0003, 78))
    frame = pl.DataFrame(
        {
            "ts": ends,
            "symbol": ["SPY"] * 78,
            "open": np.round(opens, 2),
            "high": np.round(np.maximum(opens, path) + wick, 2),
            "low": np.round(np.minimum(opens, path) - wick, 2),
            "close": np.round(path, 2),
            "volume": np.floor(rng.uniform(1e5, 1e6, 78)),
        }
    )
    return frame.with_columns(
        pl.col("ts").dt.replace_time_zone(_ET).dt.convert_time_zone("UTC").cast(_UTC_NS)
    )


def write_tapes(
    out: Path,
    *,
    prints: int = 10_000_000,
    dark_prints_count: int = 5_000_000,
    underlyings: int = 500,
    bar_sessions: int = 250,
    seed: int = 11,
    day: date = SESSION,
) -> Tapes:
    """Write the canonical Parquet data folder (zstd, as most tools write Parquet) into ``out``."""
    out = Path(out)
    rng = np.random.default_rng(seed)
    names = _names(underlyings)
    spots = _spots(rng, names)
    (out / "bars").mkdir(parents=True, exist_ok=True)
    session = out / day.isoformat()
    session.mkdir(exist_ok=True)
    bars = daily_bars(rng, names, spots, bar_sessions, day)
    bars.write_parquet(out / "bars" / "bars.parquet")
    _macro(rng, _business_days(day, bar_sessions)).write_csv(out / "macro.csv")
    pl.DataFrame(
        {"symbol": names, "sector": [_SECTORS[i % len(_SECTORS)] for i in range(len(names))]}
    ).with_columns(
        pl.when(pl.col("symbol").is_in(["SPX", "SPY", "QQQ", "IWM"]))
        .then(pl.lit("Index"))
        .otherwise(pl.col("sector"))
        .alias("sector")
    ).write_csv(out / "sectors.csv")
    chain(rng, names, spots, day=day).write_parquet(session / "chain.parquet")
    _short_volume(rng, names, day).write_csv(session / f"CNMSshvol{day:%Y%m%d}.txt", separator="|")
    _intraday(rng, float(spots[names.index("SPY")]), day).write_parquet(
        session / "intraday_SPY.parquet"
    )
    option_prints(rng, prints, names, spots, day=day).write_parquet(
        session / "options.parquet", compression="zstd", row_group_size=1_000_000
    )
    dark_prints(rng, dark_prints_count, names, spots, day=day).write_parquet(
        session / "darkpool.parquet", compression="zstd", row_group_size=1_000_000
    )
    return Tapes(out, day, prints, dark_prints_count, len(names))


def et_text(frame: pl.DataFrame, column: str = "ts") -> pl.DataFrame:
    """``column`` as America/New_York local text with microseconds (how vendor CSVs carry it)."""
    return frame.with_columns(
        pl.col(column).dt.convert_time_zone(_ET).dt.strftime("%Y-%m-%d %H:%M:%S%.6f")
    )


def csv_copy(parquet_root: Path, out: Path, *, day: date = SESSION) -> Path:
    """The same folder with the session's option and off-exchange tapes as CSV."""
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(parquet_root, out)
    session = out / day.isoformat()
    for name in ("options", "darkpool"):
        source = session / f"{name}.parquet"
        frame = pl.scan_parquet(source)
        (
            frame.with_columns(
                pl.col("ts").dt.convert_time_zone(_ET).dt.strftime("%Y-%m-%d %H:%M:%S%.6f")
            ).sink_csv(session / f"{name}.csv")
        )
        source.unlink()
    return out


__all__ = [
    "SESSION",
    "Tapes",
    "chain",
    "csv_copy",
    "daily_bars",
    "dark_prints",
    "et_text",
    "option_prints",
    "write_tapes",
]
