"""The sample-market generator: determinism, the committed data/ folder, and the story it tells.

The scenario tests recompute every figure with plain Polars from the committed files (no flowterm
analytics), following METHODOLOGY.md and data/SCENARIO.md, so they fail if the data drift.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from flowterm.core.samplegen import DEFAULT_SEED, generate
from flowterm.core.schema import CHAIN, OFFEX_PRINTS, OPTION_PRINTS, KindSpec

DATA = Path(__file__).resolve().parents[1] / "data"
SESSIONS = [
    date(2026, 4, 1),
    date(2026, 4, 2),
    date(2026, 4, 6),
    date(2026, 4, 7),
    date(2026, 4, 8),
]
LAST, PREV, ANCHOR = date(2026, 4, 8), date(2026, 4, 7), date(2026, 4, 2)
SMALL = {"option_prints_per_session": 2500, "dark_prints_per_session": 1200}


def _digests(root: Path, files: list[Path]) -> dict[str, str]:
    return {
        f.relative_to(root).as_posix(): hashlib.sha256(f.read_bytes()).hexdigest() for f in files
    }


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    """A full-scale generation at the default seed."""
    out = tmp_path_factory.mktemp("fresh")
    return out, generate(out, seed=DEFAULT_SEED)


# ---------------------------------------------------------------------------------------------
# determinism
# ---------------------------------------------------------------------------------------------


def test_same_seed_full_scale_is_byte_identical(
    fresh: tuple[Path, list[Path]], tmp_path: Path
) -> None:
    root, files = fresh
    again = generate(tmp_path, seed=DEFAULT_SEED)
    assert _digests(root, files) == _digests(tmp_path, again)
    assert len(files) == 5 * 5 + 47 + 5  # session files, bar files, reference files + SCENARIO


def test_small_scale_is_deterministic_and_seed_dependent(tmp_path: Path) -> None:
    a = generate(tmp_path / "a", seed=7, **SMALL)
    b = generate(tmp_path / "b", seed=7, **SMALL)
    generate(tmp_path / "c", seed=8, **SMALL)
    assert _digests(tmp_path / "a", a) == _digests(tmp_path / "b", b)
    rel = "2026-04-08/options.parquet"
    one = pl.read_parquet(tmp_path / "a" / rel)
    other = pl.read_parquet(tmp_path / "c" / rel)
    assert not one.equals(other)
    # the story holds for another seed too: the index closes are pinned
    for sym in ("SPX", "SPY", "QQQ", "IWM"):
        r = _returns(_bars(sym, tmp_path / "c"))
        assert 0.023 <= r[LAST] <= 0.028


def test_committed_data_equals_a_fresh_generation(fresh: tuple[Path, list[Path]]) -> None:
    root, files = fresh
    for f in files:
        rel = f.relative_to(root)
        committed = DATA / rel
        assert committed.is_file(), f"data/{rel} is missing: regenerate the sample"
        if f.suffix == ".parquet":
            assert_frame_equal(pl.read_parquet(committed), pl.read_parquet(f))
        else:
            assert committed.read_text(encoding="utf-8") == f.read_text(encoding="utf-8"), rel
    sessions = sorted(p.name for p in DATA.iterdir() if p.is_dir() and p.name[:2] == "20")
    assert sessions == [d.isoformat() for d in SESSIONS]
    assert sorted(p.name for p in (DATA / "bars").iterdir()) == sorted(
        p.name for p in (root / "bars").iterdir()
    )


# ---------------------------------------------------------------------------------------------
# helpers (plain Polars, METHODOLOGY.md rules)
# ---------------------------------------------------------------------------------------------


def _bars(symbol: str, root: Path = DATA) -> pl.DataFrame:
    return pl.read_csv(root / "bars" / f"{symbol}.csv", try_parse_dates=True).sort("date")


def _returns(bars: pl.DataFrame) -> dict[date, float]:
    closes = bars["close"].to_list()
    days = bars["date"].to_list()
    return {days[i]: closes[i] / closes[i - 1] - 1 for i in range(1, len(days))}


def _close(symbol: str, day: date) -> float:
    return float(_bars(symbol).filter(pl.col("date") == day)["close"].item())


def _macro(series: str) -> pl.DataFrame:
    return (
        pl.read_csv(DATA / "macro.csv", try_parse_dates=True)
        .filter(pl.col("series") == series)
        .sort("date")
    )


def _side(*, multi_leg_unknown: bool) -> pl.Expr:
    p, b, a = pl.col("price"), pl.col("bid"), pl.col("ask")
    x = (p - b) / (a - b)
    bad = b.is_null() | a.is_null() | (a <= b) | (b <= 0)
    if multi_leg_unknown:
        bad = bad | pl.col("conditions").is_in(["MLET", "MLAT"])
    return (
        pl.when(bad)
        .then(pl.lit("U"))
        .when(p >= a - 1e-4)
        .then(pl.lit("B"))
        .when(p <= b + 1e-4)
        .then(pl.lit("S"))
        .when(x >= 0.7)
        .then(pl.lit("B"))
        .when(x <= 0.3)
        .then(pl.lit("S"))
        .otherwise(pl.lit("U"))
    )


def _options(day: date) -> pl.DataFrame:
    return pl.read_parquet(DATA / day.isoformat() / "options.parquet")


def _flow(day: date) -> pl.DataFrame:
    """Per-name premium by side bucket (CANC/LATE excluded, multi-leg UNKNOWN)."""
    prem = pl.col("price") * pl.col("size") * pl.col("multiplier")
    call, side = pl.col("right") == "C", pl.col("side")
    return (
        _options(day)
        .filter(~pl.col("conditions").is_in(["CANC", "LATE"]))
        .with_columns(_side(multi_leg_unknown=True).alias("side"))
        .group_by("underlying")
        .agg(
            prem.filter(call & (side == "B")).sum().alias("cb"),
            prem.filter(call & (side == "S")).sum().alias("cs"),
            prem.filter(~call & (side == "B")).sum().alias("pb"),
            prem.filter(~call & (side == "S")).sum().alias("ps"),
            prem.filter(side == "U").sum().alias("u"),
            prem.filter(call).sum().alias("calls"),
            prem.filter(~call).sum().alias("puts"),
            prem.sum().alias("total"),
        )
        .with_columns((pl.col("cb") + pl.col("ps") - pl.col("cs") - pl.col("pb")).alias("net"))
        .sort("total", "underlying", descending=[True, False])
    )


def _dark_bid_share(day: date) -> dict[str, float]:
    notional = pl.col("price") * pl.col("size")
    frame = (
        pl.read_parquet(DATA / day.isoformat() / "darkpool.parquet")
        .filter(~pl.col("conditions").is_in(["T", "W", "Z"]))
        .with_columns(_side(multi_leg_unknown=False).alias("side"))
        .group_by("symbol")
        .agg(
            notional.filter(pl.col("side") == "B").sum().alias("ask"),
            notional.filter(pl.col("side") == "S").sum().alias("bid"),
        )
    )
    return {r["symbol"]: r["bid"] / (r["ask"] + r["bid"]) for r in frame.iter_rows(named=True)}


def _fast_tape(symbol: str, day: date) -> tuple[float, float]:
    """(|ln r| / σ20, TR / ATR14 of the previous session), Wilder ATR seeded with a mean."""
    bars = _bars(symbol)
    days = bars["date"].to_list()
    t = days.index(day)
    c, h, lo = bars["close"].to_list(), bars["high"].to_list(), bars["low"].to_list()
    logs = [math.log(c[i] / c[i - 1]) for i in range(1, len(c))]
    prev = logs[t - 21 : t - 1]
    mean = sum(prev) / 20
    sigma = math.sqrt(sum((r - mean) ** 2 for r in prev) / 19)
    tr = [h[0] - lo[0]] + [
        max(h[i] - lo[i], abs(h[i] - c[i - 1]), abs(lo[i] - c[i - 1])) for i in range(1, len(c))
    ]
    atr = sum(tr[1:15]) / 14
    for i in range(15, t):
        atr = (atr * 13 + tr[i]) / 14
    return abs(logs[t - 1]) / sigma, tr[t] / atr


# ---------------------------------------------------------------------------------------------
# the scenario (data/SCENARIO.md)
# ---------------------------------------------------------------------------------------------


def test_daily_bars_cover_at_least_270_sessions_ending_on_the_last_session() -> None:
    files = sorted((DATA / "bars").glob("*.csv"))
    assert len(files) >= 45
    assert (DATA / "bars" / "BRK.B.csv").is_file()
    for f in files:
        bars = pl.read_csv(f, try_parse_dates=True)
        days = bars["date"].to_list()
        assert len(days) >= 270 and days == sorted(days) and days[-1] == LAST, f.name
        assert date(2026, 4, 3) not in days and all(d.weekday() < 5 for d in days)
        bad = bars.filter(
            (pl.col("low") > pl.min_horizontal("open", "close"))
            | (pl.col("high") < pl.max_horizontal("open", "close"))
            | (pl.col("low") <= 0)
        )
        assert bad.is_empty(), f.name


def test_indexes_rally_about_two_and_a_half_percent_on_the_last_session() -> None:
    for sym in ("SPX", "SPY", "QQQ", "IWM"):
        assert 0.023 <= _returns(_bars(sym))[LAST] <= 0.028, sym


def test_indexes_close_at_their_weekly_zone_ceiling() -> None:
    chain = pl.read_parquet(DATA / ANCHOR.isoformat() / "chain.parquet")
    for sym in ("SPX", "SPY", "QQQ", "IWM"):
        rows = chain.filter((pl.col("underlying") == sym) & (pl.col("expiry") == date(2026, 4, 10)))
        spot = rows["spot"][0]
        assert spot == pytest.approx(_close(sym, ANCHOR))
        atm = min(set(rows["strike"].to_list()), key=lambda k: (abs(k - spot), k))
        at = rows.filter(pl.col("strike") == atm)
        mids = at.select(((pl.col("bid") + pl.col("ask")) / 2).sum()).item()
        assert at.height == 2
        high = _close(sym, ANCHOR) + 0.85 * mids
        close = _close(sym, LAST)
        assert abs(close - high) <= 0.001 * close, (sym, close, high)


def test_last_session_is_not_a_fast_tape_for_the_index_etfs() -> None:
    for sym in ("SPY", "QQQ", "IWM"):
        sigma_ratio, tr_ratio = _fast_tape(sym, LAST)
        assert sigma_ratio < 2 and tr_ratio < 1.8, sym
    for day in (date(2026, 4, 6), PREV):
        sigma_ratio, tr_ratio = _fast_tape("SPY", day)
        assert sigma_ratio < 2 and tr_ratio < 1.8


def test_dollar_oil_vix_and_rates() -> None:
    dxy = _macro("DXY")["value"].to_list()
    # two closes at or below 100 after a run of ≥ 15 above: the metals block lifts on 04-08
    assert dxy[-1] < dxy[-2] <= 100 and all(v > 100 for v in dxy[-17:-2])
    assert _bars("DXY")["close"].to_list()[-1] == pytest.approx(dxy[-1])
    vix = _bars("VIX")["close"].to_list()
    assert 28 <= vix[-2] <= 32 and vix[-1] / vix[-2] - 1 == pytest.approx(-0.21, abs=0.01)
    wti = _macro("WTI")["value"].to_list()
    assert 95 <= max(wti[-10:]) <= 100
    assert wti[-1] / wti[-2] - 1 == pytest.approx(-0.13, abs=0.015)
    assert _returns(_bars("USO"))[LAST] == pytest.approx(-0.13, abs=0.015)
    y10, y2 = _macro("US10Y")["value"].to_list(), _macro("US2Y")["value"].to_list()
    d10, d2 = (y10[-1] - y10[-2]) * 100, (y2[-1] - y2[-2]) * 100
    assert d10 >= 3 and dxy[-1] / dxy[-2] - 1 <= -0.0025  # Sell America
    assert d10 - d2 > 1 and d10 > 0 and d2 >= 0.5  # bear steepener
    pmi, prices = _macro("ISM_PMI")["value"][-1], _macro("ISM_PRICES")["value"][-1]
    assert pmi < 50 and prices >= 60


def test_spx_is_below_its_200_day_average_in_early_april() -> None:
    bars = _bars("SPX").with_columns(pl.col("close").rolling_mean(200).alias("sma"))
    early = bars.filter(pl.col("date").is_between(date(2026, 4, 1), PREV))
    assert early.height == 4 and (early["close"] < early["sma"]).all()


def test_dark_pool_distribution_in_the_index_etfs_and_accumulation_ladders() -> None:
    shares = {day: _dark_bid_share(day) for day in SESSIONS}
    for sym in ("SPY", "QQQ", "IWM"):
        assert shares[LAST][sym] >= 0.6, sym
    for day in (date(2026, 4, 6), PREV, LAST):
        assert shares[day]["SPY"] >= 0.55
    for sym in ("XOM", "CEG"):
        assert all(shares[d][sym] <= 0.45 for d in SESSIONS), sym
    assert all(shares[d]["META"] >= 0.55 for d in SESSIONS[-3:])


def test_options_flow_on_the_last_session() -> None:
    flow = _flow(LAST)
    totals = flow.select(pl.col("net", "u", "total").sum()).row(0, named=True)
    assert totals["net"] < -0.03 * totals["total"]
    assert 0.10 < totals["u"] / totals["total"] <= 0.25
    by = {r["underlying"]: r for r in flow.iter_rows(named=True)}
    for sym in ("NVDA", "GOOGL", "AVGO"):
        r = by[sym]
        assert r["calls"] > r["puts"] and r["net"] < -0.05 * r["total"], sym
    rklb = by["RKLB"]
    assert rklb["net"] < -0.3 * rklb["total"] and rklb["pb"] > rklb["cb"]
    top = flow.head(16)
    naive = (pl.col("calls") - pl.col("puts")) / pl.col("total")
    adjusted = pl.col("net") / pl.col("total")
    flips = top.filter(
        ((naive > 0.05) & (adjusted < -0.05)) | ((naive < -0.05) & (adjusted > 0.05))
    )
    assert 4 <= flips.height <= 7
    assert {"NVDA", "GOOGL", "AVGO"} <= set(flips["underlying"].to_list())


def test_options_campaigns_and_leaders_on_every_session() -> None:
    for day in SESSIONS:
        flow = _flow(day)
        assert flow["underlying"].head(2).to_list() == ["SPX", "SPY"]
        msft = flow.filter(pl.col("underlying") == "MSFT").row(0, named=True)
        assert msft["pb"] > max(msft["cb"], msft["cs"], msft["ps"])


def test_tape_sizes_and_zero_dte_prints() -> None:
    for day in SESSIONS:
        o = _options(day)
        assert o.height >= 40_000 and o["underlying"].n_unique() >= 30
        for sym in ("SPX", "SPY"):
            assert o.filter((pl.col("underlying") == sym) & (pl.col("expiry") == day)).height > 0
        dark = pl.read_parquet(DATA / day.isoformat() / "darkpool.parquet")
        assert dark.height >= 20_000


def _dtypes(spec: KindSpec, frame: pl.DataFrame) -> None:
    declared = {c.name: c.dtype for c in spec.columns}
    for name, dtype in frame.schema.items():
        assert declared[name] == dtype, (spec.kind, name)


def test_tape_rows_are_valid_and_typed() -> None:
    for day in SESSIONS:
        folder = DATA / day.isoformat()
        o = _options(day)
        _dtypes(OPTION_PRINTS, o)
        et_day = pl.col("ts").dt.convert_time_zone("America/New_York").dt.date()
        bad = o.filter(
            (pl.col("price") <= 0)
            | (pl.col("size") <= 0)
            | ~pl.col("right").is_in(["C", "P"])
            | (pl.col("expiry") < day)
            | (et_day != day)
        )
        assert bad.is_empty()
        assert o["trade_id"].n_unique() == o.height
        missing = o.filter(pl.col("bid").is_null()).height / o.height
        crossed = o.filter(pl.col("bid") > pl.col("ask")).height / o.height
        assert 0.01 <= missing <= 0.02 and 0.001 <= crossed <= 0.005
        dark = pl.read_parquet(folder / "darkpool.parquet")
        _dtypes(OFFEX_PRINTS, dark)
        assert dark.filter(
            (pl.col("price") <= 0)
            | (pl.col("size") <= 0)
            | (pl.col("bid") > pl.col("ask"))
            | (et_day != day)
        ).is_empty()
        chain = pl.read_parquet(folder / "chain.parquet")
        _dtypes(CHAIN, chain)
        close_utc = datetime(day.year, day.month, day.day, 20, tzinfo=UTC)
        assert chain["as_of"].unique().to_list() == [close_utc]
        assert chain.filter(pl.col("expiry") <= day).is_empty()


def test_finra_short_volume_layout() -> None:
    for day in SESSIONS:
        lines = (DATA / day.isoformat() / f"CNMSshvol{day:%Y%m%d}.txt").read_text().splitlines()
        assert lines[0] == "Date|Symbol|ShortVolume|ShortExemptVolume|TotalVolume|Market"
        rows = [line.split("|") for line in lines[1:-1]]
        assert lines[-1] == str(len(rows)) and len(rows) == 44
        for r in rows:
            assert r[0] == f"{day:%Y%m%d}" and int(r[2]) <= int(r[4]) and int(r[3]) <= int(r[2])


def test_intraday_spy_bars_match_the_daily_bar() -> None:
    for day in SESSIONS:
        bars = pl.read_csv(DATA / day.isoformat() / "intraday_SPY.csv")
        assert bars.height == 78
        assert (
            bars["ts"][0] == f"{day}T09:35:00-04:00" and bars["ts"][-1] == f"{day}T16:00:00-04:00"
        )
        daily = _bars("SPY").filter(pl.col("date") == day).row(0, named=True)
        assert bars["open"][0] == daily["open"] and bars["close"][-1] == daily["close"]
        assert bars["high"].max() == daily["high"] and bars["low"].min() == daily["low"]
        assert bars["volume"].sum() == daily["volume"]


def _gex(chain: pl.DataFrame, spot: float) -> float:
    as_of = chain["as_of"][0]
    rows = chain.filter(pl.col("underlying") == "SPX")
    minutes = pl.when(pl.col("root") == "SPX").then(570).otherwise(960)
    expiry = (
        (pl.col("expiry").cast(pl.Datetime("ns")) + pl.duration(minutes=minutes))
        .dt.replace_time_zone("America/New_York")
        .dt.convert_time_zone("UTC")
    )
    t = (expiry - pl.lit(as_of)).dt.total_seconds() / (365 * 86400)
    sd = pl.col("iv") * pl.max_horizontal(t, pl.lit(300 / (365 * 86400))).sqrt()
    d1 = ((spot / pl.col("strike")).log() + 0.5 * sd * sd) / sd
    gamma = (-0.5 * d1 * d1).exp() / math.sqrt(2 * math.pi) / (spot * sd)
    sign = pl.when(pl.col("right") == "C").then(1.0).otherwise(-1.0)
    value = sign * gamma * pl.col("open_interest") * 100 * spot * spot * 0.01
    return float(rows.filter(t > 0).select(value.sum()).item())


def test_spx_gamma_negative_before_the_rally_with_a_nearby_flip_after() -> None:
    before = pl.read_parquet(DATA / PREV.isoformat() / "chain.parquet")
    assert _gex(before, _close("SPX", PREV)) < 0
    after = pl.read_parquet(DATA / LAST.isoformat() / "chain.parquet")
    spot = _close("SPX", LAST)
    grid = [spot * (0.95 + 0.1 * i / 80) for i in range(81)]
    values = [_gex(after, s) for s in grid]
    assert any(a * b < 0 for a, b in itertools.pairwise(values))


def test_data_folder_is_small() -> None:
    size = sum(p.stat().st_size for p in DATA.rglob("*") if p.is_file())
    assert size < 15_000_000


def test_analyst_inputs_and_sectors() -> None:
    inputs = pl.read_csv(
        DATA / "inputs.csv", try_parse_dates=True, schema_overrides={"direction": pl.String}
    )
    assert 3 <= inputs.height <= 5 and set(inputs["direction"].to_list()) == {"+1", "-1"}
    sectors = pl.read_csv(DATA / "sectors.csv")
    bar_symbols = {p.stem for p in (DATA / "bars").glob("*.csv")}
    assert set(sectors["symbol"].to_list()) == bar_symbols
    assert dict(sectors.iter_rows())["SPY"] == "Index"
    events = pl.read_csv(DATA / "events.csv", try_parse_dates=True)
    cpi = events.filter(
        pl.col("name").str.starts_with("CPI") & (pl.col("date") == date(2026, 4, 10))
    )
    assert cpi["importance"].to_list() == ["high"]
    fomc = events.filter(pl.col("name").str.starts_with("FOMC rate"))["date"].to_list()
    assert {date(2026, 1, 28), date(2026, 3, 18), date(2026, 4, 29)} <= set(fomc)
