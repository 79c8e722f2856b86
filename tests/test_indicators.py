"""Second-document indicators (METHODOLOGY §9): SMI, breadth, RSI, put/call, RVOL, gravestone."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from itertools import pairwise

import polars as pl
import pytest

from flowterm.core import fmt
from flowterm.core import indicators as ind
from flowterm.core.indicators import IndicatorParams
from flowterm.core.schema import ET_ZONE, UTC_TS

# ------------------------------------------------------------------------------------------
# §9.1 Smart Money Index
# ------------------------------------------------------------------------------------------

Path = dict[time, float]  # price at ET wall-clock times; linear in between


def _price(path: Path, at: time) -> float:
    points = sorted(path.items())
    minutes = [(t.hour * 60 + t.minute, p) for t, p in points]
    x = at.hour * 60 + at.minute
    for (x0, p0), (x1, p1) in pairwise(minutes):
        if x0 <= x <= x1:
            return p0 + (p1 - p0) * (x - x0) / (x1 - x0)
    return minutes[-1][1] if x > minutes[-1][0] else minutes[0][1]


def _session_bars(
    day: date,
    path: Path,
    *,
    minutes: int = 5,
    stamp: str = "end",
    close: time = time(16, 0),
    drop: tuple[time, ...] = (),
    symbol: str = "SPY",
) -> pl.DataFrame:
    """Bars over [09:30, close) of ``minutes`` each; ``drop`` removes bars by their stamp."""
    rows = []
    start = datetime.combine(day, time(9, 30))
    end = datetime.combine(day, close)
    while start < end:
        stop = start + timedelta(minutes=minutes)
        o, c = _price(path, start.time()), _price(path, stop.time())
        stamped = start if stamp == "start" else stop
        if stamped.time() not in drop:
            rows.append((stamped, symbol, o, max(o, c), min(o, c), c, 1000.0, day))
        start = stop
    frame = pl.DataFrame(
        rows,
        schema=["ts", "symbol", "open", "high", "low", "close", "volume", "session"],
        orient="row",
    )
    return frame.with_columns(
        pl.col("ts").dt.replace_time_zone(ET_ZONE).dt.convert_time_zone("UTC").cast(UTC_TS)
    )


def _flat(level: float) -> Path:
    return {time(9, 30): level, time(16, 0): level}


def _smi(*frames: pl.DataFrame, params: IndicatorParams | None = None) -> pl.DataFrame:
    chosen = params or IndicatorParams()
    return ind.smart_money_index(pl.concat(frames).lazy(), params=chosen).collect()


D1, D2, D3 = date(2026, 4, 6), date(2026, 4, 7), date(2026, 4, 8)
REPORT_DAY: Path = {
    time(9, 30): 6750.0,
    time(10, 0): 6762.0,
    time(15, 0): 6770.0,
    time(16, 0): 6758.0,
}


def test_smi_step_wikipedia_example() -> None:
    assert ind.smi_step(10000.0, 100.0, -80.0) == 9820.0


def test_smi_wikipedia_example_from_bars() -> None:
    day2: Path = {
        time(9, 30): 10000.0,
        time(10, 0): 10100.0,
        time(15, 0): 10100.0,
        time(16, 0): 10020.0,
    }
    out = _smi(_session_bars(D1, _flat(10000.0)), _session_bars(D2, day2))
    assert out["smi"].to_list() == pytest.approx([10000.0, 9820.0])
    assert out["opening_change"][1] == pytest.approx(100.0)
    assert out["last_hour_change"][1] == pytest.approx(-80.0)


@pytest.mark.parametrize("stamp", ["end", "start"])
@pytest.mark.parametrize("minutes", [1, 5, 30])
def test_smi_report_vector(stamp: str, minutes: int) -> None:
    out = _smi(
        _session_bars(D1, _flat(1000.0), stamp=stamp, minutes=minutes),
        _session_bars(D2, REPORT_DAY, stamp=stamp, minutes=minutes),
    )
    assert out["smi"].to_list() == pytest.approx([1000.0, 976.0])
    assert not out["smi_skipped"].any()


def test_smi_explicit_stamp_overrides_auto() -> None:
    bars = [_session_bars(D1, _flat(1000.0)), _session_bars(D2, REPORT_DAY)]
    assert _smi(*bars, params=IndicatorParams(smi_bar_stamp="end"))["smi"][1] == pytest.approx(
        976.0
    )
    wrong = _smi(*bars, params=IndicatorParams(smi_bar_stamp="start"))
    assert wrong["smi"][1] != pytest.approx(976.0)


def test_smi_missing_bar_skips_the_day_and_carries() -> None:
    out = _smi(
        _session_bars(D1, _flat(1000.0)),
        _session_bars(D2, REPORT_DAY, drop=(time(10, 0),)),
        _session_bars(D3, REPORT_DAY),
    )
    assert out["smi"].to_list() == pytest.approx([1000.0, 1000.0, 976.0])
    assert out["smi_skipped"].to_list() == [False, True, False]
    assert out["smi_note"].to_list() == [None, ind.SMI_MISSING_BAR, None]


def test_smi_early_close_takes_the_last_hour_before_13_00() -> None:
    early: Path = {
        time(9, 30): 6750.0,
        time(10, 0): 6762.0,
        time(12, 0): 6770.0,
        time(13, 0): 6758.0,
    }
    out = _smi(_session_bars(D1, _flat(1000.0)), _session_bars(D2, early, close=time(13, 0)))
    assert out["early_close"].to_list() == [False, True]
    assert out["last_hour_change"][1] == pytest.approx(-12.0)
    assert out["smi"][1] == pytest.approx(976.0)
    assert out["smi_note"][1] == ind.SMI_EARLY_CLOSE


def test_smi_truncated_session_is_not_an_early_close() -> None:
    cut = _session_bars(D2, REPORT_DAY).filter(
        pl.col("ts").dt.convert_time_zone(ET_ZONE).dt.hour() < 15
    )
    out = _smi(_session_bars(D1, _flat(1000.0)), cut)
    assert out["early_close"][1] is False
    assert out["smi_skipped"][1] is True


def test_smi_per_symbol() -> None:
    out = _smi(
        _session_bars(D1, _flat(1000.0), symbol="SPY"),
        _session_bars(D2, REPORT_DAY, symbol="SPY"),
        _session_bars(D2, _flat(500.0), symbol="QQQ"),
    )
    assert out.filter(pl.col("symbol") == "QQQ")["smi"].to_list() == [500.0]
    assert out.filter(pl.col("symbol") == "SPY")["smi"].to_list() == pytest.approx([1000.0, 976.0])


# ------------------------------------------------------------------------------------------
# §9.2 Breadth
# ------------------------------------------------------------------------------------------


def _daily(symbol: str, closes: list[float], start: date = date(2025, 1, 1)) -> pl.DataFrame:
    n = len(closes)
    return pl.DataFrame(
        {
            "date": [start + timedelta(days=i) for i in range(n)],
            "symbol": [symbol] * n,
            "open": closes,
            "high": closes,
            "low": closes,
            "close": closes,
        }
    )


def test_breadth_312_of_503() -> None:
    rising = [100.0 + i for i in range(50)]
    falling = rising[::-1]
    frames = [_daily(f"U{i}", rising) for i in range(312)]
    frames += [_daily(f"D{i}", falling) for i in range(191)]
    # Three newer listings with only 49 closes on the last day are not members.
    frames += [_daily(f"N{i}", rising[1:], start=date(2025, 1, 2)) for i in range(3)]
    out = ind.breadth(pl.concat(frames).lazy()).collect()
    last = out.row(-1, named=True)
    assert (last["members"], last["above"]) == (503, 312)
    assert last["breadth"] == pytest.approx(312 / 503)
    assert fmt.pct(last["breadth"], signed=False) == "62.03 %"
    assert out["breadth"][0] is None  # no member has 50 closes yet: null, not 0


# ------------------------------------------------------------------------------------------
# §9.3 RSI
# ------------------------------------------------------------------------------------------

CHARTSCHOOL = [
    44.3389, 44.0902, 44.1497, 43.6124, 44.3278, 44.8264, 45.0955, 45.4245, 45.8433, 46.0826,
    45.8931, 46.0328, 45.6140, 46.2820, 46.2820, 46.0028, 46.0328, 46.4116, 46.2222, 45.6439,
    46.2122, 46.2521, 45.7137, 46.4515, 45.7835, 45.3548, 44.0288, 44.1783, 44.2181, 44.5672,
    43.4205, 42.6628, 43.1314,
]  # fmt: skip
PUBLISHED = [
    70.53, 66.32, 66.55, 69.41, 66.36, 57.97, 62.93, 63.26, 56.06, 62.38, 54.71, 50.42, 39.99,
    41.46, 41.87, 45.46, 37.30, 33.08, 37.77,
]  # fmt: skip


def test_rsi_chartschool_values() -> None:
    out = ind.with_rsi(_daily("X", CHARTSCHOOL).lazy()).collect()
    values = out["rsi"].to_list()
    assert values[:14] == [None] * 14
    assert values[14:] == pytest.approx(PUBLISHED, abs=0.005)


def test_rsi_first_averages() -> None:
    gain, loss = ind.rsi_averages(pl.col("close"))
    out = _daily("X", CHARTSCHOOL).select(gain.alias("g"), loss.alias("l"))
    assert out["g"][14] == pytest.approx(0.23839, abs=5e-6)
    assert out["l"][14] == pytest.approx(0.09959, abs=5e-6)
    assert out["g"][13] is None


def test_rsi_edges() -> None:
    rising = _daily("UP", [float(x) for x in range(1, 21)])
    flat = _daily("FL", [5.0] * 20)
    out = ind.with_rsi(pl.concat([rising, flat]).lazy()).collect()
    assert out.filter(pl.col("symbol") == "UP")["rsi"][-1] == 100.0  # avgLoss 0
    assert out.filter(pl.col("symbol") == "FL")["rsi"][-1] == 50.0  # both 0
    assert ind.with_rsi(_daily("S", [1.0] * 14).lazy()).collect()["rsi"].null_count() == 14


def test_rsi_symbols_independent() -> None:
    together = ind.with_rsi(
        pl.concat([_daily("A", CHARTSCHOOL), _daily("B", CHARTSCHOOL[::-1])]).lazy()
    )
    a = together.collect().filter(pl.col("symbol") == "A")["rsi"].to_list()
    assert a[14:] == pytest.approx(PUBLISHED, abs=0.005)


# ------------------------------------------------------------------------------------------
# §9.4 Put/call
# ------------------------------------------------------------------------------------------


def _prints(rows: list[tuple[str, str, str | None, int, float]]) -> pl.LazyFrame:
    return pl.DataFrame(
        [(u, r, root, size, prem, date(2026, 4, 8)) for u, r, root, size, prem in rows],
        schema={
            "underlying": pl.String,
            "right": pl.String,
            "root": pl.String,
            "size": pl.Int64,
            "premium": pl.Float64,
            "session": pl.Date,
        },
        orient="row",
    ).lazy()


def test_put_call_universes() -> None:
    prints = _prints(
        [
            ("AAPL", "P", "AAPL", 1_000_000, 3.0e8),
            ("SPY", "P", None, 650_000, 1.0e8),  # no root: the underlying names the universe
            ("AAPL", "C", "AAPL", 2_750_000, 5.0e8),
            ("SPX", "P", "SPXW", 900_000, 9.0e8),
            ("SPX", "C", "SPX", 500_000, 4.0e8),
            ("NDX", "C", "NDX", 300_000, 2.0e8),
        ]
    )
    out = ind.put_call_ratios(prints).collect()
    by = {r["universe"]: r for r in out.iter_rows(named=True)}
    assert list(by) == list(ind.UNIVERSES)
    assert by["equity"]["pcr"] == pytest.approx(0.60)
    assert by["all"]["pcr"] == pytest.approx(2.55 / 3.55)
    assert fmt.num(by["all"]["pcr"], 3) == "0.718"
    assert by["index"]["pcr"] == pytest.approx(0.90 / 0.80)
    assert by["spx"]["pcr"] == pytest.approx(0.90 / 0.50)
    assert by["equity"]["pcr_premium"] == pytest.approx(4.0e8 / 5.0e8)
    assert by["all"]["put_volume"] == 2_550_000


def test_put_call_zero_calls_is_null() -> None:
    out = ind.put_call_ratios(_prints([("AAPL", "P", "AAPL", 10, 1000.0)])).collect()
    equity = out.filter(pl.col("universe") == "equity").row(0, named=True)
    assert equity["pcr"] is None
    assert equity["pcr_premium"] is None
    index = out.filter(pl.col("universe") == "index").row(0, named=True)
    assert (index["put_volume"], index["call_volume"], index["pcr"]) == (0.0, 0.0, None)


# ------------------------------------------------------------------------------------------
# §9.5 Relative volume
# ------------------------------------------------------------------------------------------


def _volumes(symbol: str, volumes: list[float | None]) -> pl.DataFrame:
    frame = _daily(symbol, [10.0] * len(volumes))
    return frame.with_columns(pl.Series("volume", volumes, dtype=pl.Float64))


def test_rvol_report_vector() -> None:
    out = ind.relative_volume(_volumes("X", [100.0] * 19 + [120.0, 165.0]).lazy()).collect()
    last = out.row(-1, named=True)
    assert last["volume_baseline"] == pytest.approx(101.0)
    assert last["rvol"] == pytest.approx(1.634, abs=5e-4)
    assert out["rvol"][:20].null_count() == 20  # fewer than 20 prior sessions


def test_rvol_excludes_half_days_and_missing_volume() -> None:
    frame = _volumes("X", [100.0] * 19 + [120.0, 10.0, 165.0])
    half_day = frame["date"][20]
    out = ind.relative_volume(frame.lazy(), half_days={half_day}).collect()
    assert out["rvol"][-1] == pytest.approx(165.0 / 101.0)
    vix = ind.relative_volume(_volumes("VIX", [None] * 25).lazy()).collect()
    assert vix["rvol"].null_count() == 25


def test_rvol_zero_baseline_is_null() -> None:
    out = ind.relative_volume(_volumes("Z", [0.0] * 20 + [5.0]).lazy()).collect()
    assert out["rvol"][-1] is None


# ------------------------------------------------------------------------------------------
# §9.6 Gravestone doji
# ------------------------------------------------------------------------------------------


def _candles(rows: list[tuple[float, float, float, float]], symbol: str = "X") -> pl.LazyFrame:
    n = len(rows)
    return pl.DataFrame(
        {
            "date": [date(2025, 1, 1) + timedelta(days=i) for i in range(n)],
            "symbol": [symbol] * n,
            "open": [r[0] for r in rows],
            "high": [r[1] for r in rows],
            "low": [r[2] for r in rows],
            "close": [r[3] for r in rows],
        }
    ).lazy()


def _history(n: int, *, rising: bool = True) -> list[tuple[float, float, float, float]]:
    """Candles with a high-low range of 20 and closes moving by ±0.5 a day."""
    out = []
    for i in range(n):
        c = 90.0 + 0.5 * i if rising else 110.0 - 0.5 * i
        out.append((c, c + 10, c - 10, c))
    return out


GRAVESTONE = (100.5, 118.0, 100.0, 100.8)


def test_gravestone_report_vector() -> None:
    out = ind.gravestone_doji(_candles([*_history(25), GRAVESTONE])).collect()
    last = out.row(-1, named=True)
    assert last["gravestone"] is True
    assert last["gravestone_bearish"] is True  # closes were rising into it


def test_gravestone_without_uptrend_is_not_bearish() -> None:
    out = ind.gravestone_doji(_candles([*_history(25, rising=False), GRAVESTONE])).collect()
    assert out["gravestone"][-1] is True
    assert out["gravestone_bearish"][-1] is False


def test_zero_range_candle_is_not_a_pattern() -> None:
    out = ind.gravestone_doji(_candles([*_history(12), (100.0, 100.0, 100.0, 100.0)])).collect()
    assert out["gravestone"][-1] is False


def test_fewer_than_10_prior_candles_is_null() -> None:
    out = ind.gravestone_doji(_candles([*_history(9), GRAVESTONE])).collect()
    assert out["gravestone"][-1] is None
    ten = ind.gravestone_doji(_candles([*_history(10), GRAVESTONE])).collect()
    assert ten["gravestone"][-1] is True


@pytest.mark.parametrize(
    "candle",
    [
        (100.0, 118.0, 100.0, 102.5),  # body 2.5 > 2
        (100.5, 118.0, 98.0, 100.8),  # lower shadow 2.5 ≥ 2
        (100.5, 102.0, 100.0, 100.8),  # upper shadow 1.2 ≤ 2
    ],
)
def test_not_gravestone(candle: tuple[float, float, float, float]) -> None:
    out = ind.gravestone_doji(_candles([*_history(12), candle])).collect()
    assert out["gravestone"][-1] is False


def test_params_validate_bar_stamp() -> None:
    with pytest.raises(ValueError, match="smi_bar_stamp"):
        IndicatorParams(smi_bar_stamp="middle")


def test_rvol_per_symbol() -> None:
    a = _volumes("A", [100.0] * 19 + [120.0, 165.0])
    b = _volumes("B", [1000.0] * 20 + [500.0])
    out = ind.relative_volume(pl.concat([b, a]).lazy()).collect()
    last = out.group_by("symbol").agg(pl.col("rvol").last()).sort("symbol")
    assert last["rvol"].to_list() == pytest.approx([165.0 / 101.0, 0.5])
