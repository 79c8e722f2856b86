"""Option prints of one session: premium budgets per name and side bucket, NBBO at every print.

Each name's premium is split into six buckets (calls bought, calls sold, puts bought, puts sold,
unknown-side calls and puts) by its profile (``scenario``). A bucket's prints draw heavy-tailed
premium targets, pick a contract, price it off the minute path and the IV surface, quote an NBBO
and place the trade price where the bucket's side puts it (METHODOLOGY §1.2 position rule):
at/above the ask or in the upper 30 % for buys, mirrored for sells, inside the middle band, with
a bad quote (missing, crossed, locked) or a multi-leg condition for the unknown buckets.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date

import polars as pl

from . import blackscholes as bs
from . import scenario as sc
from .bars import History
from .calendar import (
    NS_PER_MINUTE,
    close_ns,
    expiry_ns,
    open_ns,
    previous_session,
    years_between,
)
from .chains import ContractKey
from .intraday import Paths
from .rng import clamp, lognormal_weight, stream
from .surface import (
    INDEX_LIKE,
    OpenInterest,
    Surface,
    liquidity,
    print_expiries,
    quote,
    snap_strike,
)

BUCKETS = ("CB", "CS", "PB", "PS", "UC", "UP")
EXCHANGES = (
    ("CBOE", 16.0),
    ("ISE", 10.0),
    ("PHLX", 12.0),
    ("MIAX", 10.0),
    ("ARCA", 10.0),
    ("BOX", 5.0),
    ("GEMX", 6.0),
    ("EDGX", 7.0),
    ("NOM", 13.0),
    ("BZX", 11.0),
)
MAX_SIZE = 2000
MIN_THEO = 0.05


def profile(seed: int, name: str, day: date) -> sc.Profile:
    """Premium shares of the six buckets for ``name`` on ``day``."""
    if day == sc.LAST_SESSION and name in sc.PROFILES_LAST:
        return sc.PROFILES_LAST[name]
    override = sc.PROFILE_OVERRIDES.get(name, {}).get(day)
    if override is not None:
        return override
    rng = stream(seed, "profile", name, day)
    tone = sc.SESSION_TONE[day]
    raw = [max(0.02, p + rng.uniform(-0.035, 0.035)) for p in tone]
    total = sum(raw)
    shares = [p / total for p in raw]
    return (shares[0], shares[1], shares[2], shares[3], shares[4], shares[5])


@dataclass(frozen=True, slots=True)
class _Expiry:
    expiry: date
    root: str
    weight: float
    days: int


@dataclass(slots=True)
class _Columns:
    ts: list[int]
    underlying: list[str]
    expiry: list[date]
    strike: list[float]
    right: list[str]
    price: list[float]
    size: list[int]
    bid: list[float | None]
    ask: list[float | None]
    root: list[str]
    exchange: list[str]
    conditions: list[str]
    underlying_price: list[float]
    iv: list[float]
    open_interest: list[int]
    bucket: list[str]

    @classmethod
    def empty(cls) -> _Columns:
        return cls([], [], [], [], [], [], [], [], [], [], [], [], [], [], [], [])


@dataclass(slots=True)
class _Session:
    seed: int
    history: History
    paths: Paths
    surfaces: dict[tuple[str, date], Surface]
    day: date
    oi_day: date
    cols: _Columns
    oi: OpenInterest


@dataclass(frozen=True, slots=True)
class OptionTape:
    """The session's option prints and the contracts' traded volume (for the chain)."""

    frame: pl.DataFrame
    volumes: dict[tuple[str, ContractKey], int]


def _expiries(name: str, day: date) -> list[_Expiry]:
    out: list[_Expiry] = []
    zero = sc.ZERO_DTE_SHARE.get(name, 0.0)
    listed = print_expiries(name, day)
    for expiry, root in listed:
        days = (expiry - day).days
        if days == 0:
            weight = zero * 40.0 if name in INDEX_LIKE else 6.0
        elif days > 200:
            weight = 0.03
        else:
            weight = 1.0 / (1.0 + days / 6.0) ** 1.3
            if root == "SPX" or (name != "SPX" and expiry.day >= 15 and expiry.day <= 21):
                weight *= 2.5
        out.append(_Expiry(expiry, root, weight, days))
    if name in INDEX_LIKE and zero > 0:
        rest = sum(e.weight for e in out if e.days > 0)
        out = [
            _Expiry(e.expiry, e.root, zero * rest / (1 - zero), 0) if e.days == 0 else e
            for e in out
        ]
    return out


def _pick(rng: random.Random, items: list[_Expiry]) -> _Expiry:
    total = sum(e.weight for e in items)
    x = rng.random() * total
    for e in items:
        x -= e.weight
        if x <= 0:
            return e
    return items[-1]


def _exchange(rng: random.Random, name: str) -> str:
    if name == "SPX":
        return "CBOE"
    total = sum(w for _, w in EXCHANGES)
    x = rng.random() * total
    for venue, w in EXCHANGES:
        x -= w
        if x <= 0:
            return venue
    return EXCHANGES[-1][0]


def _timestamp(rng: random.Random, day: date, name: str, zero_dte: bool) -> int:
    """U-shaped time of day; SPX non-expiring series may print until 16:15."""
    u = rng.random()
    if name == "SPX" and not zero_dte and u < 0.015:
        minute = 390 + rng.random() * 15
    elif u < 0.28:
        minute = rng.random() ** 1.6 * 45
    elif u < 0.52:
        minute = 390 - rng.random() ** 1.6 * 60
    else:
        minute = rng.random() * 390
    ts = open_ns(day) + int(minute * NS_PER_MINUTE) // 1000 * 1000
    if zero_dte:
        ts = min(ts, close_ns(day) - 1_000_000_000)
    return ts


@dataclass(frozen=True, slots=True)
class _Contract:
    root: str
    expiry: date
    strike: float
    spot: float
    years: float
    iv: float
    theo: float


def _contract(
    s: _Session, rng: random.Random, name: str, right: str, ts: int, exp: _Expiry, big: bool
) -> _Contract:
    spot = s.paths.price_at(name, s.day, ts)
    surface = s.surfaces[(name, s.day)]
    years = max(years_between(ts, expiry_ns(exp.expiry, exp.root)), 60.0 / (365 * 86400))
    sd = surface.atm(years) * math.sqrt(max(years, 1.0 / 365.0))
    sign = 1.0 if right == "C" else -1.0
    strike = spot
    theo = 0.0
    iv = surface.atm(years)
    for attempt in range(6):
        shrink = 0.6**attempt
        centre = -0.1 if big else 0.4
        k = sign * sd * (centre + 0.75 * rng.gauss(0.0, 1.0)) * shrink
        k = clamp(k, -0.25, 0.25)
        strike = snap_strike(name, spot, spot * math.exp(k))
        iv = round(surface.iv(spot, strike, years) * (1.0 + 0.012 * rng.gauss(0.0, 1.0)), 4)
        theo = bs.price(spot, strike, years, iv, right)
        if theo >= MIN_THEO:
            break
    if theo < MIN_THEO:
        strike = snap_strike(name, spot, spot)
        iv = round(surface.iv(spot, strike, years), 4)
        theo = max(bs.price(spot, strike, years, iv, right), MIN_THEO)
    return _Contract(exp.root, exp.expiry, strike, round(spot, 2), years, iv, theo)


def _cents(x: float) -> float:
    return round(x + 1e-9, 2)


def _position(price: float, bid: float, ask: float) -> float:
    return (price - bid) / (ask - bid)


def _place(rng: random.Random, side: str, bid: float, ask: float) -> float:
    """A trade price the position rule labels ``side`` (BUY/SELL) or UNKNOWN (MID)."""
    spread = ask - bid
    if side == "BUY":
        u = rng.random()
        if u < 0.52:
            return ask
        if u < 0.56:
            return _cents(ask + 0.01 * rng.randint(1, 3))
        price = _cents(bid + spread * rng.uniform(0.72, 0.97))
        return price if _position(price, bid, ask) >= 0.7 else ask
    if side == "SELL":
        u = rng.random()
        if u < 0.52 or bid < 0.02:
            return bid if bid >= 0.01 else _cents(max(0.01, bid + spread * 0.2))
        if u < 0.56 and bid >= 0.05:
            return _cents(bid - 0.01 * rng.randint(1, 3))
        price = _cents(bid + spread * rng.uniform(0.03, 0.28))
        return price if 0 < _position(price, bid, ask) <= 0.3 else bid
    mid = (bid + ask) / 2.0
    price = _cents(mid + spread * rng.uniform(-0.15, 0.15))
    if not 0.31 < _position(price, bid, ask) < 0.69:
        price = _cents(mid)
    return price


def _append(
    s: _Session,
    name: str,
    right: str,
    c: _Contract,
    ts: int,
    price: float,
    size: int,
    bid: float | None,
    ask: float | None,
    venue: str,
    cond: str,
    bucket: str,
) -> None:
    cols = s.cols
    cols.ts.append(ts)
    cols.underlying.append(name)
    cols.expiry.append(c.expiry)
    cols.strike.append(c.strike)
    cols.right.append(right)
    cols.price.append(price)
    cols.size.append(size)
    cols.bid.append(bid)
    cols.ask.append(ask)
    cols.root.append(c.root)
    cols.exchange.append(venue)
    cols.conditions.append(cond)
    cols.underlying_price.append(c.spot)
    cols.iv.append(c.iv)
    oi = s.oi.get(name, c.root, c.expiry, c.strike, right, s.oi_day)
    cols.open_interest.append(oi)
    cols.bucket.append(bucket)


def _size_for(target: float, price: float) -> int:
    return int(clamp(round(target / (price * 100.0)), 1, MAX_SIZE))


def _bucket(
    s: _Session, name: str, bucket: str, budget: float, count: int, expiries: list[_Expiry]
) -> None:
    rng = stream(s.seed, "prints", s.day, name, bucket)
    right = "C" if bucket in ("CB", "CS", "UC") else "P"
    side = {"CB": "BUY", "PB": "BUY", "CS": "SELL", "PS": "SELL"}.get(bucket, "MID")
    weights = [min(lognormal_weight(rng, 2.0), 300.0) for _ in range(count)]
    wsum = sum(weights)
    spread0 = liquidity(name)
    start = len(s.cols.ts)
    for w in weights:
        target = budget * w / wsum
        big = target > 250_000
        exp = _pick(rng, expiries)
        if big and exp.days < 5 and rng.random() < 0.6:
            exp = _pick(rng, [e for e in expiries if e.days >= 5])
        ts = _timestamp(rng, s.day, name, exp.days == 0)
        c = _contract(s, rng, name, right, ts, exp, big)
        bid, ask = quote(c.theo, spread0 * rng.uniform(0.8, 1.8))
        if bid <= 0.0:
            bid = 0.01
            ask = max(ask, 0.03)
        venue = _exchange(rng, name)
        if side != "MID":
            price = _place(rng, side, bid, ask)
            size = _size_for(target, price)
            if price * size * 100 >= 100_000 and rng.random() < 0.15:
                _sweep(s, rng, name, right, c, ts, price, size, bid, ask, bucket)
            else:
                cond = "SLAN" if rng.random() < 0.03 else "AUTO"
                _append(s, name, right, c, ts, price, size, bid, ask, venue, cond, bucket)
            continue
        _unknown(s, rng, name, right, c, ts, bid, ask, venue, target, bucket)
    _rescale(s, start, budget)


def _sweep(
    s: _Session,
    rng: random.Random,
    name: str,
    right: str,
    c: _Contract,
    ts: int,
    price: float,
    size: int,
    bid: float,
    ask: float,
    bucket: str,
) -> None:
    """An intermarket sweep: the order split over exchanges within a few milliseconds."""
    legs = min(rng.randint(2, 5), size)
    cuts = sorted(rng.sample(range(1, size), legs - 1)) if legs > 1 else []
    sizes = [b - a for a, b in zip([0, *cuts], [*cuts, size], strict=True)]
    for j, part in enumerate(sizes):
        venue = "CBOE" if name == "SPX" else EXCHANGES[(j * 3 + rng.randint(0, 9)) % 10][0]
        _append(
            s,
            name,
            right,
            c,
            ts + j * rng.randint(50_000, 900_000),
            price,
            part,
            bid,
            ask,
            venue,
            "ISOI",
            bucket,
        )


def _unknown(
    s: _Session,
    rng: random.Random,
    name: str,
    right: str,
    c: _Contract,
    ts: int,
    bid: float,
    ask: float,
    venue: str,
    target: float,
    bucket: str,
) -> None:
    u = rng.random()
    if u < 0.10:
        price = _cents(max(0.01, bid + (ask - bid) * rng.uniform(-0.1, 1.1)))
        size = _size_for(target / 2.0, price)
        cond = "MLAT" if rng.random() < 0.2 else "MLET"
        _append(s, name, right, c, ts, price, size, bid, ask, venue, cond, bucket)
        # the second leg: one strike further out, same size, same instant
        step = 1 if right == "C" else -1
        strike2 = snap_strike(name, c.spot, c.strike * (1 + step * 0.01))
        if strike2 == c.strike:
            strike2 = c.strike + step * (5.0 if name == "SPX" else 1.0)
        iv2 = c.iv
        theo2 = max(bs.price(c.spot, strike2, c.years, iv2, right), MIN_THEO)
        leg = _Contract(c.root, c.expiry, strike2, c.spot, c.years, iv2, theo2)
        b2, a2 = quote(theo2, liquidity(name))
        b2 = max(b2, 0.01)
        a2 = max(a2, b2 + 0.02)
        p2 = _cents(max(0.01, b2 + (a2 - b2) * rng.uniform(0.0, 1.0)))
        _append(s, name, right, leg, ts, p2, size, b2, a2, venue, cond, bucket)
        return
    if u < 0.19:
        price = _cents(max(0.01, c.theo * rng.uniform(0.97, 1.03)))
        _append(
            s,
            name,
            right,
            c,
            ts,
            price,
            _size_for(target, price),
            None,
            None,
            venue,
            "AUTO",
            bucket,
        )
        return
    if u < 0.21:
        cross = 0.01 * rng.randint(1, 4)
        price = _cents(ask + cross / 2)
        _append(
            s,
            name,
            right,
            c,
            ts,
            price,
            _size_for(target, price),
            _cents(ask + cross),
            ask,
            venue,
            "AUTO",
            bucket,
        )
        return
    if u < 0.216:
        price = _cents((bid + ask) / 2.0)
        _append(
            s,
            name,
            right,
            c,
            ts,
            price,
            _size_for(target, price),
            price,
            price,
            venue,
            "AUTO",
            bucket,
        )
        return
    price = _place(rng, "MID", bid, ask)
    cond = "SLAN" if rng.random() < 0.12 else "AUTO"
    _append(s, name, right, c, ts, price, _size_for(target, price), bid, ask, venue, cond, bucket)


def _rescale(s: _Session, start: int, budget: float) -> None:
    """Scale the sizes of a bucket's prints so its premium lands on the budget."""
    cols = s.cols
    realised = sum(cols.price[i] * cols.size[i] * 100.0 for i in range(start, len(cols.ts)))
    if realised <= 0:
        return
    factor = budget / realised
    for _ in range(3):
        for i in range(start, len(cols.ts)):
            cols.size[i] = int(clamp(round(cols.size[i] * factor), 1, MAX_SIZE))
        realised = sum(cols.price[i] * cols.size[i] * 100.0 for i in range(start, len(cols.ts)))
        factor = budget / realised
        if abs(factor - 1.0) < 0.01:
            break


def _extras(s: _Session, rng: random.Random, share: float, cond: str) -> None:
    """Cancelled or late copies of random prints (excluded by the analysis)."""
    cols = s.cols
    n = len(cols.ts)
    for _ in range(max(1, int(n * share))):
        i = rng.randrange(n)
        cols.ts.append(cols.ts[i] + rng.randint(1, 400) * 1_000_000)
        cols.underlying.append(cols.underlying[i])
        cols.expiry.append(cols.expiry[i])
        cols.strike.append(cols.strike[i])
        cols.right.append(cols.right[i])
        cols.price.append(cols.price[i])
        cols.size.append(cols.size[i])
        cols.bid.append(cols.bid[i])
        cols.ask.append(cols.ask[i])
        cols.root.append(cols.root[i])
        cols.exchange.append(cols.exchange[i])
        cols.conditions.append(cond)
        cols.underlying_price.append(cols.underlying_price[i])
        cols.iv.append(cols.iv[i])
        cols.open_interest.append(cols.open_interest[i])
        cols.bucket.append("X")
        if cols.underlying[i] != "SPX" and cols.ts[-1] >= close_ns(s.day):
            cols.ts[-1] = close_ns(s.day) - 1_000_000


def option_prints(
    seed: int,
    history: History,
    paths: Paths,
    surfaces: dict[tuple[str, date], Surface],
    day: date,
    parent_count: int,
    oi_model: OpenInterest,
) -> OptionTape:
    """All option prints of ``day``."""
    s = _Session(
        seed,
        history,
        paths,
        surfaces,
        day,
        previous_session(day),
        _Columns.empty(),
        oi_model,
    )
    noise = stream(seed, "premium", day)
    weights = sc.OPTION_PRINT_WEIGHT
    wsum = sum(weights.values())
    for name, base in sc.OPTION_PREMIUM_M.items():
        total = base * 1e6 * sc.SESSION_ACTIVITY[day] * (1.0 + 0.05 * noise.uniform(-1.0, 1.0))
        count = max(12, round(parent_count * weights[name] / wsum))
        shares = profile(seed, name, day)
        expiries = _expiries(name, day)
        for bucket, share in zip(BUCKETS, shares, strict=True):
            n = max(1, round(count * share))
            _bucket(s, name, bucket, total * share, n, expiries)
    extra = stream(seed, "extras", day)
    _extras(s, extra, 0.002, "CANC")
    _extras(s, extra, 0.0006, "LATE")
    return _finish(s)


def _finish(s: _Session) -> OptionTape:
    c = s.cols
    frame = pl.DataFrame(
        {
            "ts": c.ts,
            "underlying": c.underlying,
            "expiry": c.expiry,
            "strike": c.strike,
            "right": c.right,
            "price": c.price,
            "size": c.size,
            "bid": c.bid,
            "ask": c.ask,
            "root": c.root,
            "multiplier": [100] * len(c.ts),
            "exchange": c.exchange,
            "conditions": c.conditions,
            "underlying_price": c.underlying_price,
            "iv": c.iv,
            "open_interest": c.open_interest,
            "seq": list(range(len(c.ts))),
        },
        schema_overrides={"bid": pl.Float64(), "ask": pl.Float64(), "size": pl.Int64()},
    )
    frame = frame.sort("ts", "underlying", "root", "expiry", "strike", "right", "seq")
    tag = s.day.strftime("%y%m%d")
    frame = frame.with_columns(
        pl.format(
            "O{}-{}", pl.lit(tag), (pl.int_range(pl.len()) + 1).cast(pl.String).str.zfill(6)
        ).alias("trade_id")
    ).drop("seq")
    volumes: dict[tuple[str, ContractKey], int] = {}
    for u, root, expiry, strike, right, size, cond in zip(
        c.underlying, c.root, c.expiry, c.strike, c.right, c.size, c.conditions, strict=True
    ):
        if cond == "CANC":
            continue
        key = (u, (root, expiry, strike, right))
        volumes[key] = volumes.get(key, 0) + size
    return OptionTape(frame, volumes)
