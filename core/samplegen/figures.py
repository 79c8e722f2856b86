"""The scenario's figures, recomputed from the generated frames (the oracle in SCENARIO.md).

Nothing here reads the design constants back: every figure is measured on the data as written
(rounded bars, conformed frames), with the rules of METHODOLOGY.md, so a figure that misses its
target shows up in SCENARIO.md and in the tests instead of being asserted by construction.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

import polars as pl

from . import scenario as sc
from .bars import History
from .blackscholes import greeks
from .calendar import SECONDS_PER_YEAR, expiry_ns, first_session_of_month, years_between
from .model import Market, SessionData
from .universe import ZONE_INDEXES

EPS = 1e-4
BUY, SELL, UNKNOWN = "BUY", "SELL", "UNKNOWN"
EXCLUDED_OPTION_CONDITIONS = ("CANC", "LATE")
MULTI_LEG = ("MLET", "MLAT")
EXCLUDED_DARK_CONDITIONS = ("T", "W", "Z")
TOP_N = 16
DELTA = 0.05
LABEL_SHARE = 0.55


def side_expr(*, multi_leg_unknown: bool) -> pl.Expr:
    """METHODOLOGY §1.2 position rule on the NBBO carried by each print."""
    p, b, a = pl.col("price"), pl.col("bid"), pl.col("ask")
    x = (p - b) / (a - b)
    bad = b.is_null() | a.is_null() | (a <= b) | (b <= 0) | (a <= 0)
    if multi_leg_unknown:
        bad = bad | pl.col("conditions").is_in(MULTI_LEG)
    return (
        pl.when(bad)
        .then(pl.lit(UNKNOWN))
        .when(p >= a - EPS)
        .then(pl.lit(BUY))
        .when(p <= b + EPS)
        .then(pl.lit(SELL))
        .when(x >= 0.7)
        .then(pl.lit(BUY))
        .when(x <= 0.3)
        .then(pl.lit(SELL))
        .otherwise(pl.lit(UNKNOWN))
    )


# ------------------------------------------------------------------------------------------
# price history
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Tape:
    """Fast-tape inputs of one symbol on one session (METHODOLOGY §3.3)."""

    symbol: str
    day: date
    close: float
    ret: float
    log_ret: float
    sigma20: float
    tr: float
    atr14_prev: float

    @property
    def sigma_ratio(self) -> float:
        return abs(self.log_ret) / self.sigma20

    @property
    def tr_ratio(self) -> float:
        return self.tr / self.atr14_prev

    @property
    def fast(self) -> bool:
        return abs(self.log_ret) >= 2 * self.sigma20 or self.tr_ratio >= 1.8


def tape_stats(history: History, symbol: str, day: date) -> Tape:
    s = history.bars[symbol]
    t = history.index(day)
    closes = s.close
    logs = [math.log(closes[i] / closes[i - 1]) for i in range(1, len(closes))]
    prev = logs[t - 21 : t - 1]
    mean = sum(prev) / len(prev)
    sigma = math.sqrt(sum((r - mean) ** 2 for r in prev) / (len(prev) - 1))
    trs = [s.high[0] - s.low[0]] + [
        max(s.high[i] - s.low[i], abs(s.high[i] - closes[i - 1]), abs(s.low[i] - closes[i - 1]))
        for i in range(1, len(closes))
    ]
    atr = sum(trs[1:15]) / 14
    for i in range(15, t):
        atr = (atr * 13 + trs[i]) / 14
    return Tape(
        symbol, day, closes[t], closes[t] / closes[t - 1] - 1, logs[t - 1], sigma, trs[t], atr
    )


@dataclass(frozen=True, slots=True)
class Zone:
    """The weekly zone of one index and where the last close sits."""

    symbol: str
    anchor: float
    spot_in_chain: float
    atm_strike: float
    call_bid: float
    call_ask: float
    put_bid: float
    put_ask: float
    atm_iv: float
    straddle_mid: float
    em: float
    close: float

    @property
    def low(self) -> float:
        return self.anchor - self.em

    @property
    def high(self) -> float:
        return self.anchor + self.em

    @property
    def distance(self) -> float:
        """(close − high) / close."""
        return (self.close - self.high) / self.close

    @property
    def at_ceiling(self) -> bool:
        return abs(self.close - self.high) <= sc.AT_TOLERANCE * self.close


def zone(history: History, chain: pl.DataFrame, symbol: str) -> Zone:
    anchor = history.bars[symbol].close[history.index(sc.ZONE_ANCHOR)]
    rows = chain.filter((pl.col("underlying") == symbol) & (pl.col("expiry") == sc.ZONE_EXPIRY))
    spot = float(rows["spot"][0])
    strikes = sorted(set(rows["strike"].to_list()))
    atm = min(strikes, key=lambda k: (abs(k - spot), k))
    at = rows.filter(pl.col("strike") == atm)
    call = at.filter(pl.col("right") == "C").row(0, named=True)
    put = at.filter(pl.col("right") == "P").row(0, named=True)
    mid = (call["bid"] + call["ask"]) / 2 + (put["bid"] + put["ask"]) / 2
    return Zone(
        symbol,
        anchor,
        spot,
        atm,
        call["bid"],
        call["ask"],
        put["bid"],
        put["ask"],
        call["iv"],
        mid,
        sc.EM_FACTOR * mid,
        history.bars[symbol].close[-1],
    )


@dataclass(frozen=True, slots=True)
class Macro:
    dxy: list[tuple[date, float]]
    dxy_run_above: int
    vix_prev: float
    vix_last: float
    wti_prev: float
    wti_last: float
    uso_prev: float
    uso_last: float
    us10y: tuple[float, float]
    us2y: tuple[float, float]
    ism: tuple[date, float, float]
    spx_sma200: list[tuple[date, float, float]]
    hyg_last: tuple[float, float]

    @property
    def dxy_change(self) -> float:
        return self.dxy[-1][1] / self.dxy[-2][1] - 1

    @property
    def d10_bp(self) -> float:
        return round((self.us10y[1] - self.us10y[0]) * 100, 6)

    @property
    def d2_bp(self) -> float:
        return round((self.us2y[1] - self.us2y[0]) * 100, 6)

    @property
    def curve(self) -> str:
        d10, d2 = self.d10_bp, self.d2_bp
        ds = d10 - d2
        leg10 = 0.0 if abs(d10) < 0.5 else d10
        leg2 = 0.0 if abs(d2) < 0.5 else d2
        if abs(ds) <= 1:
            return "PARALLEL/UNCHANGED"
        if ds > 0:
            if leg10 > 0 and leg2 >= 0:
                return "BEAR STEEPENER"
            if leg2 < 0 and leg10 <= 0:
                return "BULL STEEPENER"
            return "TWIST STEEPENER"
        if leg2 > 0 and leg10 >= 0:
            return "BEAR FLATTENER"
        if leg10 < 0 and leg2 <= 0:
            return "BULL FLATTENER"
        return "TWIST FLATTENER"

    @property
    def sell_america(self) -> bool:
        return self.dxy_change <= -0.0025 and self.d10_bp >= 3


def macro(history: History) -> Macro:
    dxy = history.bars["DXY"].close
    run = 0
    for x in reversed(dxy[:-2]):
        if x > sc.DXY_LEVEL:
            run += 1
        else:
            break
    spx = history.bars["SPX"].close
    sma = []
    for day in sc.TAPE_SESSIONS:
        t = history.index(day)
        sma.append((day, spx[t], sum(spx[t - 199 : t + 1]) / 200))
    latest = sc.ISM[-1]
    ism_day = first_session_of_month(latest[0], latest[1])
    return Macro(
        [(history.sessions[i], dxy[i]) for i in range(-6, 0)],
        run,
        history.bars["VIX"].close[-2],
        history.bars["VIX"].close[-1],
        history.macro["WTI"][-2],
        history.macro["WTI"][-1],
        history.bars["USO"].close[-2],
        history.bars["USO"].close[-1],
        (history.macro["US10Y"][-2], history.macro["US10Y"][-1]),
        (history.macro["US2Y"][-2], history.macro["US2Y"][-1]),
        (ism_day, latest[2], latest[3]),
        sma,
        (history.bars["HYG"].close[-2], history.bars["HYG"].close[-1]),
    )


# ------------------------------------------------------------------------------------------
# dark pool
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DarkDay:
    symbol: str
    day: date
    at_ask: float
    at_bid: float
    mid: float
    fast: bool

    @property
    def total(self) -> float:
        return self.at_ask + self.at_bid + self.mid

    @property
    def bid_share(self) -> float:
        return self.at_bid / (self.at_ask + self.at_bid)

    @property
    def label(self) -> str:
        if self.fast or (self.at_ask + self.at_bid) < 0.2 * self.total:
            return "UNRELIABLE"
        if 1 - self.bid_share >= LABEL_SHARE:
            return "ACCUMULATION"
        if self.bid_share >= LABEL_SHARE:
            return "DISTRIBUTION"
        return "NEUTRAL"


def _fsum_by(keys: list[str], values: list[float]) -> dict[str, float]:
    """Exactly rounded sums per key (independent of row order and of Polars internals)."""
    groups: dict[str, list[float]] = {}
    for k, v in zip(keys, values, strict=True):
        groups.setdefault(k, []).append(v)
    return {k: math.fsum(vs) for k, vs in groups.items()}


def dark_days(history: History, sessions: list[SessionData]) -> dict[tuple[str, date], DarkDay]:
    out: dict[tuple[str, date], DarkDay] = {}
    for s in sessions:
        frame = (
            s.darkpool.filter(~pl.col("conditions").is_in(EXCLUDED_DARK_CONDITIONS))
            .with_columns(side_expr(multi_leg_unknown=False).alias("side"))
            .select(
                pl.concat_str("symbol", pl.lit("|"), "side").alias("key"),
                (pl.col("price") * pl.col("size")).alias("notional"),
            )
        )
        sums = _fsum_by(frame["key"].to_list(), frame["notional"].to_list())
        for symbol in sorted({k.split("|")[0] for k in sums}):
            fast = tape_stats(history, symbol, s.day).fast
            out[(symbol, s.day)] = DarkDay(
                symbol,
                s.day,
                sums.get(f"{symbol}|{BUY}", 0.0),
                sums.get(f"{symbol}|{SELL}", 0.0),
                sums.get(f"{symbol}|{UNKNOWN}", 0.0),
                fast,
            )
    return out


def ladder(labels: list[str]) -> tuple[str, int]:
    """The run of equal labels ending on the last session (label, length)."""
    last = labels[-1]
    n = 0
    for lab in reversed(labels):
        if lab != last:
            break
        n += 1
    return last, n


# ------------------------------------------------------------------------------------------
# options flow
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Flow:
    """Side-decomposed premium of one name (or the market) on one session."""

    name: str
    cb: float
    cs: float
    pb: float
    ps: float
    uc: float
    up: float

    @property
    def total(self) -> float:
        return self.cb + self.cs + self.pb + self.ps + self.uc + self.up

    @property
    def bullish(self) -> float:
        return self.cb + self.ps

    @property
    def bearish(self) -> float:
        return self.cs + self.pb

    @property
    def net(self) -> float:
        return self.bullish - self.bearish

    @property
    def unknown_share(self) -> float:
        return (self.uc + self.up) / self.total

    @property
    def calls(self) -> float:
        return self.cb + self.cs + self.uc

    @property
    def puts(self) -> float:
        return self.pb + self.ps + self.up

    def _label(self, value: float) -> str:
        if value > DELTA * self.total:
            return "BULL"
        if value < -DELTA * self.total:
            return "BEAR"
        return "NEUTRAL"

    @property
    def naive(self) -> str:
        return self._label(self.calls - self.puts)

    @property
    def adjusted(self) -> str:
        return self._label(self.net)

    @property
    def flip(self) -> bool:
        return "NEUTRAL" not in (self.naive, self.adjusted) and self.naive != self.adjusted

    @property
    def largest_bucket(self) -> str:
        buckets = {
            "calls bought": self.cb,
            "calls sold": self.cs,
            "puts bought": self.pb,
            "puts sold": self.ps,
        }
        return max(buckets, key=lambda k: buckets[k])


def grade(u: float) -> str:
    if u <= 0.10:
        return "HIGH"
    if u <= 0.25:
        return "MODERATE"
    if u <= 0.50:
        return "LOW"
    return "INSUFFICIENT"


def flows(options: pl.DataFrame, *, multi_leg_unknown: bool = True) -> list[Flow]:
    """Per-name flows, sorted by total premium (descending, ties by name)."""
    frame = options.filter(~pl.col("conditions").is_in(EXCLUDED_OPTION_CONDITIONS))
    if not multi_leg_unknown:
        frame = frame.filter(~pl.col("conditions").is_in(MULTI_LEG))
    side = side_expr(multi_leg_unknown=multi_leg_unknown)
    bucket = (
        pl.when(side == UNKNOWN)
        .then(pl.when(pl.col("right") == "C").then(pl.lit("uc")).otherwise(pl.lit("up")))
        .otherwise(
            pl.when(pl.col("right") == "C").then(pl.lit("c")).otherwise(pl.lit("p"))
            + pl.when(side == BUY).then(pl.lit("b")).otherwise(pl.lit("s"))
        )
    )
    keyed = frame.select(
        pl.concat_str("underlying", pl.lit("|"), bucket).alias("key"),
        (pl.col("price") * pl.col("size") * pl.col("multiplier")).alias("premium"),
    )
    sums = _fsum_by(keyed["key"].to_list(), keyed["premium"].to_list())
    names = sorted({k.split("|")[0] for k in sums})
    out = [
        Flow(
            n,
            sums.get(f"{n}|cb", 0.0),
            sums.get(f"{n}|cs", 0.0),
            sums.get(f"{n}|pb", 0.0),
            sums.get(f"{n}|ps", 0.0),
            sums.get(f"{n}|uc", 0.0),
            sums.get(f"{n}|up", 0.0),
        )
        for n in names
    ]
    out.sort(key=lambda f: (-f.total, f.name))
    return out


def market_flow(per_name: list[Flow]) -> Flow:
    return Flow(
        "MARKET",
        math.fsum(f.cb for f in per_name),
        math.fsum(f.cs for f in per_name),
        math.fsum(f.pb for f in per_name),
        math.fsum(f.ps for f in per_name),
        math.fsum(f.uc for f in per_name),
        math.fsum(f.up for f in per_name),
    )


@dataclass(frozen=True, slots=True)
class OptionDay:
    day: date
    prints: int
    underlyings: int
    market: Flow
    market_ex_multileg: Flow
    top: list[Flow]
    by_name: dict[str, Flow]
    zero_dte_spx: int
    zero_dte_spy: int
    missing_quote: int
    crossed: int
    locked: int
    multi_leg: int
    cancelled: int
    late: int
    sweeps: int

    @property
    def flips(self) -> list[str]:
        return [f.name for f in self.top if f.flip]


def option_day(s: SessionData) -> OptionDay:
    o = s.options
    per_name = flows(o)
    ex_ml = market_flow(flows(o, multi_leg_unknown=False))
    cond = pl.col("conditions")
    counts = o.select(
        (pl.col("bid").is_null() | pl.col("ask").is_null()).sum().alias("missing"),
        (pl.col("bid") > pl.col("ask")).sum().alias("crossed"),
        (pl.col("bid") == pl.col("ask")).sum().alias("locked"),
        cond.is_in(MULTI_LEG).sum().alias("ml"),
        (cond == "CANC").sum().alias("canc"),
        (cond == "LATE").sum().alias("late"),
        (cond == "ISOI").sum().alias("isoi"),
        ((pl.col("underlying") == "SPX") & (pl.col("expiry") == s.day)).sum().alias("z_spx"),
        ((pl.col("underlying") == "SPY") & (pl.col("expiry") == s.day)).sum().alias("z_spy"),
        pl.col("underlying").n_unique().alias("n_u"),
    ).row(0, named=True)
    return OptionDay(
        s.day,
        o.height,
        counts["n_u"],
        market_flow(per_name),
        ex_ml,
        per_name[:TOP_N],
        {f.name: f for f in per_name},
        counts["z_spx"],
        counts["z_spy"],
        counts["missing"],
        counts["crossed"],
        counts["locked"],
        counts["ml"],
        counts["canc"],
        counts["late"],
        counts["isoi"],
    )


# ------------------------------------------------------------------------------------------
# dealer gamma
# ------------------------------------------------------------------------------------------


def _gex_frame(chain: pl.DataFrame, underlying: str) -> pl.DataFrame:
    """SPX (both roots) rows with T in years from the snapshot to each expiry instant."""
    rows = chain.filter(pl.col("underlying") == underlying)
    hours = pl.when(pl.col("root") == "SPX").then(pl.lit(9 * 60 + 30)).otherwise(pl.lit(16 * 60))
    expiry_local = pl.col("expiry").cast(pl.Datetime("ns")) + pl.duration(minutes=hours)
    expiry_utc = expiry_local.dt.replace_time_zone("America/New_York").dt.convert_time_zone("UTC")
    years = (expiry_utc - pl.col("as_of")).dt.total_seconds() / SECONDS_PER_YEAR
    floor = 5 * 60 / SECONDS_PER_YEAR
    sign = pl.when(pl.col("right") == "C").then(1.0).otherwise(-1.0)
    return rows.select(
        "strike",
        "iv",
        "open_interest",
        sign.alias("sign"),
        pl.max_horizontal(years, pl.lit(floor)).alias("t"),
        (years > 0).alias("live"),
    ).filter(pl.col("live") & (pl.col("iv") > 0))


def gex_at(frame: pl.DataFrame, spot: float) -> float:
    """Σ sign·Γ·OI·100·S²·0.01 at hypothetical spot ``spot`` (sticky-strike IV)."""
    sd = pl.col("iv") * pl.col("t").sqrt()
    d1 = ((pl.lit(spot) / pl.col("strike")).log() + 0.5 * sd * sd) / sd
    gamma = (-0.5 * d1 * d1).exp() / math.sqrt(2 * math.pi) / (spot * sd)
    values = frame.select(
        (pl.col("sign") * gamma * pl.col("open_interest") * 100 * spot * spot * 0.01).alias("g")
    )["g"]
    return math.fsum(values.to_list())


@dataclass(frozen=True, slots=True)
class Gamma:
    day: date
    spot: float
    gex_at_spot: float
    zero_gamma: float | None
    roots: list[float] = field(default_factory=list)

    @property
    def regime(self) -> str:
        return "POSITIVE" if self.gex_at_spot > 0 else "NEGATIVE"


def _gex_profile(frame: pl.DataFrame, grid: list[float]) -> list[float]:
    """``gex_at`` for every grid level in one vectorised pass (sums are exactly rounded)."""
    levels = pl.DataFrame({"level": grid, "i": list(range(len(grid)))})
    spot = pl.col("level")
    sd = pl.col("iv") * pl.col("t").sqrt()
    d1 = ((spot / pl.col("strike")).log() + 0.5 * sd * sd) / sd
    gamma = (-0.5 * d1 * d1).exp() / math.sqrt(2 * math.pi) / (spot * sd)
    values = (
        levels.join(frame, how="cross")
        .select(
            "i",
            (pl.col("sign") * gamma * pl.col("open_interest") * 100 * spot * spot * 0.01).alias(
                "g"
            ),
        )
        .sort("i", maintain_order=True)
    )
    flat = values["g"].to_list()
    per = frame.height
    return [math.fsum(flat[i * per : (i + 1) * per]) for i in range(len(grid))]


def gamma(s: SessionData, underlying: str = "SPX") -> Gamma:
    frame = _gex_frame(s.chain, underlying)
    spot = float(s.chain.filter(pl.col("underlying") == underlying)["spot"][0])
    n = 161
    grid = [spot * (0.8 + 0.4 * i / (n - 1)) for i in range(n)]
    values = _gex_profile(frame, grid)
    roots: list[float] = []
    for i in range(n - 1):
        a, b = values[i], values[i + 1]
        if a == 0:
            roots.append(grid[i])
        elif a * b < 0:
            lo, hi, flo = grid[i], grid[i + 1], a
            for _ in range(40):
                mid = 0.5 * (lo + hi)
                fm = gex_at(frame, mid)
                if (fm < 0) == (flo < 0):
                    lo, flo = mid, fm
                else:
                    hi = mid
                if hi - lo < 0.01:
                    break
            roots.append(0.5 * (lo + hi))
    nearest = min(roots, key=lambda r: abs(r - spot)) if roots else None
    return Gamma(s.day, spot, gex_at(frame, spot), nearest, roots)


def gamma_check(s: SessionData) -> float:
    """Largest relative error between the stored gamma and Black–Scholes at the stored IV."""
    rows = s.chain.filter(pl.col("gamma") > 1e-8).gather_every(50)
    as_of = rows["as_of"].cast(pl.Int64).to_list()
    worst = 0.0
    for r, ts in zip(rows.iter_rows(named=True), as_of, strict=True):
        t = years_between(ts, expiry_ns(r["expiry"], r["root"]))
        _, g = greeks(r["spot"], r["strike"], t, r["iv"], r["right"])
        worst = max(worst, abs(g / r["gamma"] - 1))
    return worst


# ------------------------------------------------------------------------------------------
# everything
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Figures:
    sessions: int
    first_session: date
    last_session: date
    symbols: int
    tapes: dict[tuple[str, date], Tape]
    zones: list[Zone]
    macro: Macro
    dark: dict[tuple[str, date], DarkDay]
    options: list[OptionDay]
    gamma: list[Gamma]
    rows: list[tuple[date, int, int, int]]
    gamma_error: float
    #: (index, factor applied to its 04-02 IV surface) from the zone calibration.
    calibration: list[tuple[str, float]]


TAPE_SYMBOLS = ("SPX", "SPY", "QQQ", "IWM", "XOM", "CEG", "META", "MSFT", "NVDA", "HYG")


def compute_figures(market: Market) -> Figures:
    h = market.history
    tapes = {
        (sym, day): tape_stats(h, sym, day) for sym in TAPE_SYMBOLS for day in sc.TAPE_SESSIONS
    }
    anchor_chain = next(s.chain for s in market.sessions if s.day == sc.ZONE_ANCHOR)
    zones = [zone(h, anchor_chain, sym) for sym in ZONE_INDEXES]
    return Figures(
        len(h.sessions),
        h.sessions[0],
        h.sessions[-1],
        len(h.bars),
        tapes,
        zones,
        macro(h),
        dark_days(h, market.sessions),
        [option_day(s) for s in market.sessions],
        [gamma(s) for s in market.sessions],
        [(s.day, s.options.height, s.darkpool.height, s.chain.height) for s in market.sessions],
        max(gamma_check(s) for s in market.sessions),
        [(z.underlying, z.surface_factor) for z in market.zones],
    )
