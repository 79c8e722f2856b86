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
