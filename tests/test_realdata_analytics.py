"""The analytics on real public samples (../shared/realdata; skipped when absent).

These are not golden numbers copied from a run: each test checks a property the real data must
satisfy (the ADX and RSI bounds and recursion, DPI as a share, DIX as the dollar-weighted DPI),
and prints the figures for the closing note (`pytest -s`).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest

from flowterm.core.catalog import scan_catalog
from flowterm.core.darkpool import dix, dpi
from flowterm.core.indicators import with_rsi
from flowterm.core.readers import read_file
from flowterm.core.schema import Kind
from flowterm.core.trend import adx

REAL = Path(__file__).resolve().parents[2] / "shared" / "realdata"
needs_real = pytest.mark.skipif(not REAL.is_dir(), reason="../shared/realdata is absent")


def _bars() -> pl.DataFrame:
    catalog = scan_catalog(REAL / "daily_bars")
    return pl.concat([read_file(f).frame for f in catalog.of_kind(Kind.DAILY_BARS)])


@needs_real
def test_adx_and_rsi_on_real_daily_bars() -> None:
    bars = _bars()
    trend = adx(bars.lazy()).collect()
    latest = trend.group_by("symbol").agg(pl.all().sort_by("date").last()).sort("symbol")
    assert latest.height == 7
    assert latest["adx"].is_between(0, 100).all()
    assert latest["plus_di"].is_between(0, 100).all()
    # the first ADX of each symbol sits at bar 2n − 1 = 27
    first = trend.filter(pl.col("adx").is_not_null()).group_by("symbol").agg(pl.col("date").min())
    counts = trend.join(first, on="symbol").filter(pl.col("date") < pl.col("date_right"))
    assert (counts.group_by("symbol").len()["len"] == 27).all()
    rsi = with_rsi(bars.lazy()).collect()
    last_rsi = rsi.group_by("symbol").agg(pl.col("rsi").sort_by(pl.col("date")).last())
    assert last_rsi["rsi"].is_between(0, 100).all()
    for row in latest.join(last_rsi, on="symbol").iter_rows(named=True):
        print(
            f"{row['symbol']} {row['date']}: ADX {row['adx']:.2f} {row['trend_label']} "
            f"{row['trend_colour']} (+DI {row['plus_di']:.2f} −DI {row['minus_di']:.2f}), "
            f"RSI {row['rsi']:.2f}"
        )


@needs_real
def test_dpi_and_dix_from_the_cnms_files(tmp_path: Path) -> None:
    data = tmp_path / "data"
    for name, day in (
        ("CNMSshvol20210125.txt", "2021-01-25"),
        ("CNMSshvol20210126.txt", "2021-01-26"),
    ):
        (data / day).mkdir(parents=True)
        shutil.copy(REAL / "finra_shvol" / name, data / day / name)
    catalog = scan_catalog(data)
    results = [read_file(f) for f in catalog.of_kind(Kind.SHORT_VOLUME)]
    assert all(r.rows_rejected == 0 and r.error is None for r in results)
    short = pl.concat([r.frame for r in results])
    # the trailer line of each file is the record count: every row was read
    for name in ("CNMSshvol20210125.txt", "CNMSshvol20210126.txt"):
        lines = (REAL / "finra_shvol" / name).read_text().strip().splitlines()
        day = short.filter(pl.col("date") == pl.lit(lines[1][:8]).str.to_date("%Y%m%d"))
        assert day.height == int(lines[-1])
    per_symbol = dpi(short.lazy()).collect()
    assert per_symbol["dpi"].drop_nulls().is_between(0, 1).all()
    bars = _bars()
    weighted = dix(short.lazy(), bars.lazy()).collect().sort("date")
    assert weighted.height == 2
    # DIX is the dollar-weighted DPI of the members with a close: recompute it by hand
    for row in weighted.iter_rows(named=True):
        members = per_symbol.filter(pl.col("date") == row["date"]).join(
            bars.select("symbol", "date", "close"), on=["symbol", "date"]
        )
        expected = (members["close"] * members["short_volume"]).sum() / (
            members["close"] * members["total_volume"]
        ).sum()
        assert row["dix"] == pytest.approx(expected, rel=1e-12)
        spy = per_symbol.filter((pl.col("date") == row["date"]) & (pl.col("symbol") == "SPY"))
        print(
            f"{row['date']}: {short.filter(pl.col('date') == row['date']).height} symbols, "
            f"SPY DPI {spy['dpi'][0]:.4f}, DIX over {members.height} members with bars "
            f"{row['dix']:.4f}"
        )


def _read_into(tmp_path: Path, source: Path, session: str, kind: Kind) -> pl.DataFrame:
    folder = tmp_path / session
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, folder / source.name)
    (data_file,) = scan_catalog(tmp_path).of_kind(kind)
    result = read_file(data_file)
    assert result.error is None and result.rows_rejected == 0
    return result.frame


@needs_real
@pytest.mark.parametrize(
    ("name", "session", "underlying"),
    [
        ("cboe_quotedata_SPX_2022-02-05.csv", "2022-02-04", "SPX"),
        ("cboe_quotedata_SPY_2025-09-25.csv", "2025-09-25", "SPY"),
    ],
)
def test_gex_zero_gamma_and_walls_on_real_quotedata(
    tmp_path: Path, name: str, session: str, underlying: str
) -> None:
    from flowterm.core.gamma import GammaParams, contract_gex, gamma_report

    chain = _read_into(tmp_path, REAL / "option_chain" / name, session, Kind.CHAIN)
    report = gamma_report(chain.lazy())[underlying]
    # the total is the sum of the per-contract GEX (calls +, puts −) of the usable contracts
    contracts = contract_gex(chain.lazy(), params=GammaParams()).collect()
    ok = contracts.filter(pl.col("status") == "ok")
    assert report.net_gex == pytest.approx(ok["gex"].sum(), rel=1e-9)
    assert report.call_gex > 0 > report.put_gex
    assert report.counts.missing_iv > 0  # IV 0 rows are dropped and counted, not priced
    zero = report.zeros[0]
    if zero.zero_gamma is not None:
        assert 0.8 * report.spot <= zero.zero_gamma <= 1.2 * report.spot
    walls = report.walls
    assert walls.call_wall is not None and walls.put_wall is not None
    assert walls.strike_lo <= walls.call_wall.strike <= walls.strike_hi
    assert walls.strike_lo <= walls.put_wall.strike <= walls.strike_hi
    profile = report.profiles
    assert profile.height >= 161
    print(
        f"{name}: spot {report.spot:.2f}, net GEX {report.net_gex / 1e9:+.3f}B {report.unit.label}"
        f" ({report.regime}), zero gamma "
        f"{'none' if zero.zero_gamma is None else f'{zero.zero_gamma:.2f}'} ({zero.sweep}), "
        f"call wall {walls.call_wall.strike:g}, put wall {walls.put_wall.strike:g}, "
        f"contracts used {ok.height} of {contracts.height}"
    )


@needs_real
def test_side_decomposition_of_the_datashop_vix_trades(tmp_path: Path) -> None:
    from flowterm.core.flow import bucket_prints, market_flow

    name = "CboeDataShop_UnderlyingOptionsTrades_2016-06-01_VIX.csv"
    prints = _read_into(tmp_path, REAL / "option_trades" / name, "2016-06-01", Kind.OPTION_PRINTS)
    assert prints.height == 2295
    bucketed = bucket_prints(prints.lazy()).collect()
    m = market_flow(bucketed.lazy())
    parts = m.calls_bought + m.calls_sold + m.puts_bought + m.puts_sold + m.unknown
    assert parts == pytest.approx(m.total)
    counted = bucketed.filter(pl.col("exclusion").is_null())
    assert m.total == pytest.approx(counted["premium"].sum())
    assert m.excluded_cancelled == 2
    print(
        f"VIX 2016-06-01: {m.prints_counted} prints counted of {m.prints_seen}; "
        f"CB {m.calls_bought / 1e6:.2f}M CS {m.calls_sold / 1e6:.2f}M "
        f"PB {m.puts_bought / 1e6:.2f}M PS {m.puts_sold / 1e6:.2f}M U {m.unknown / 1e6:.2f}M; "
        f"net {m.net / 1e6:+.2f}M; unknown {m.unknown_share:.1%} → {m.grade}; "
        f"naive C/P {m.naive_call_put:.2f} vs adjusted {m.adjusted_call_put:.2f}"
    )
