"""How vendor formats and column maps plug into the catalog, the readers and live rebuilds."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from flowterm.core.catalog import CatalogError, scan_catalog
from flowterm.core.readers import read_file
from flowterm.core.schema import Kind

DAY = "2026-04-08"


def test_a_column_map_in_flowterm_toml_reads_any_csv(tmp_path: Path) -> None:
    (tmp_path / "flowterm.toml").write_text(
        "[[columns]]\n"
        'pattern = "tradytics-*.csv"\n'
        'kind = "options"\n'
        'map = { Time = "ts", Sym = "underlying", Exp = "expiry", Strike = "strike", '
        'CP = "right", Price = "price", Qty = "size", Bid = "bid", Ask = "ask", '
        'Prem = "ignore" }\n',
        encoding="utf-8",
    )
    day = tmp_path / DAY
    day.mkdir()
    (day / "tradytics-0408.csv").write_text(
        "Time,Sym,Exp,Strike,CP,Price,Qty,Bid,Ask,Prem\n"
        "2026-04-08 10:00:00,NVDA,2026-04-17,190,Call,3.10,100,3.00,3.10,31000\n"
        "2026-04-08 10:01:00,NVDA,2026-04-17,185,Put,2.00,-5,1.90,2.10,1000\n",
        encoding="utf-8",
    )
    (day / "tradytics-broken.csv").write_text("Time,Sym\n2026-04-08 10:00:00,NVDA\n")
    catalog = scan_catalog(tmp_path)
    (source,) = catalog.of_kind(Kind.OPTION_PRINTS)
    result = read_file(source)
    assert result.frame["premium"].to_list() == [pytest.approx(31000.0)]
    assert result.rejects["reason"].to_list() == ["size ≤ 0 (-5)"]
    (broken,) = [s for s in catalog.skipped if s.rel.endswith("tradytics-broken.csv")]
    assert "tradytics-*.csv" in broken.reason


def test_a_bad_column_map_makes_the_folder_unusable_with_the_key_named(tmp_path: Path) -> None:
    (tmp_path / "flowterm.toml").write_text(
        '[[columns]]\npattern = "x*.csv"\nkind = "options"\nmap = { A = "nonsense" }\n',
        encoding="utf-8",
    )
    (tmp_path / "macro.csv").write_text("date,series,value\n2026-04-08,DXY,99.6\n")
    with pytest.raises(CatalogError, match="nonsense"):
        scan_catalog(tmp_path)


def test_short_volume_keeps_finra_case_and_its_session(tmp_path: Path) -> None:
    day = tmp_path / DAY
    day.mkdir()
    (day / "CNMSshvol20260408.txt").write_text(
        "Date|Symbol|ShortVolume|ShortExemptVolume|TotalVolume|Market\n"
        "20260408|BCPC|10|0|20|B,Q,N\n"
        "20260408|BCpC|5|0|20|B,Q,N\n"
        "20260407|SPY|5|0|20|B,Q,N\n"
        "3\n",
        encoding="utf-8",
    )
    (source,) = scan_catalog(tmp_path).files
    result = read_file(source)
    assert result.frame["symbol"].to_list() == ["BCPC", "BCpC"]
    assert result.rejects["reason"].to_list() == ["date 2026-04-07 is outside session 2026-04-08"]


def test_new_multi_leg_codes_are_unknown_side() -> None:
    from flowterm.core.sides import is_multi_leg

    frame = pl.DataFrame({"conditions": ["MESL", "TFSL", "AUTO", "MLET", None]})
    assert frame.select(is_multi_leg())["conditions"].to_list() == [True, True, False, True, False]


def test_trades_are_read_again_when_the_quotes_beside_them_change(tmp_path: Path) -> None:
    """Polygon trades take their NBBO from the quotes files beside them: a rebuild must not
    reuse the trades' old read when only the quotes changed."""
    from flowterm.core.snapshot import read_inputs

    ns = 1_775_655_000_000_000_000  # 2026-04-08 13:30:00 UTC
    day = tmp_path / DAY
    day.mkdir()
    ticker = "O:SPXW260918P07600000"
    (day / "trades.csv").write_text(
        "ticker,conditions,correction,exchange,price,sip_timestamp,size\n"
        f"{ticker},209,0,302,12.5,{ns},3\n",
        encoding="utf-8",
    )
    quotes_header = (
        "ticker,ask_exchange,ask_price,ask_size,bid_exchange,bid_price,bid_size,"
        "sequence_number,sip_timestamp\n"
    )
    quotes = day / "quotes.csv"
    quotes.write_text(quotes_header + f"{ticker},302,12.7,5,302,12.3,5,1,{ns - 10**9}\n")
    first = read_inputs(tmp_path)
    trades = first.results[f"{DAY}/trades.csv"]
    assert trades.frame["bid"].to_list() == [12.3]
    unchanged = read_inputs(tmp_path, previous=first)
    assert unchanged.results[f"{DAY}/trades.csv"] is trades
    quotes.write_text(quotes_header + f"{ticker},302,12.9,5,302,12.1,5,1,{ns - 10**9}\n")
    again = read_inputs(tmp_path, previous=unchanged)
    assert again.results[f"{DAY}/trades.csv"].frame["bid"].to_list() == [12.1]
