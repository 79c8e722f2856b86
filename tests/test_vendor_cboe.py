"""Cboe-family vendor formats (FORMATS.md §1-5): quotedata.csv, delayed-quotes JSON, TDA/Schwab
JSON and the DataShop trades / end-of-day / intervals files.

Each synthetic fixture is written into a session folder under a name that hints at nothing, so
every file is recognised by its content; the real public samples in ``../shared/realdata`` are
read the same way (skipped when that folder is absent).
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest

from flowterm.core import vendors
from flowterm.core.catalog import data_file, scan_catalog
from flowterm.core.readers import FileResult, read_file
from flowterm.core.schema import Kind
from flowterm.core.sniff import Detected, NotData, sniff_file
from flowterm.core.vendors import cboe_quotedata

REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"

QD_HEADER = (
    "Expiration Date,Calls,Last Sale,Net,Bid,Ask,Volume,IV,Delta,Gamma,Open Interest,Strike,"
    "Puts,Last Sale,Net,Bid,Ask,Volume,IV,Delta,Gamma,Open Interest"
)
QD_OLD_HEADER = (
    "Expiration Date,Calls,Last Sale,Net,Bid,Ask,Vol,IV,Open Int,Strike,"
    "Puts,Last Sale,Net,Bid,Ask,Vol,IV,Open Int"
)
TRADES_HEADER = (
    "underlying_symbol,quote_datetime,sequence_number,root,expiration,strike,option_type,"
    "exchange_id,trade_size,trade_price,trade_condition_id,canceled_trade_condition_id,best_bid,"
    "best_ask,underlying_bid,underlying_ask,number_of_exchanges,"
    "{exchange,bid_size,bid,ask_size,ask}[number_of_exchanges]"
)
TRADES_CALCS_HEADER = TRADES_HEADER.replace("best_ask,", "best_ask,trade_iv,trade_delta,")
EOD_QUOTES_HEADER = (
    "underlying_symbol,quote_date,root,expiration,strike,option_type,open,high,low,close,"
    "trade_volume,bid_size_1545,bid_1545,ask_size_1545,ask_1545,underlying_bid_1545,"
    "underlying_ask_1545,bid_size_eod,bid_eod,ask_size_eod,ask_eod,underlying_bid_eod,"
    "underlying_ask_eod,vwap,open_interest,delivery_code"
)
EOD_CALCS_HEADER = (
    "underlying_symbol,quote_date,root,expiration,strike,option_type,open,high,low,close,"
    "trade_volume,bid_size_1545,bid_1545,ask_size_1545,ask_1545,underlying_bid_1545,"
    "underlying_ask_1545,implied_underlying_price_1545,active_underlying_price_1545,"
    "implied_volatility_1545,delta_1545,gamma_1545,theta_1545,vega_1545,rho_1545,bid_size_eod,"
    "bid_eod,ask_size_eod,ask_eod,underlying_bid_eod,underlying_ask_eod,vwap,open_interest,"
    "delivery_code"
)
INTERVALS_HEADER = (
    "underlying_symbol,quote_datetime,root,expiration,strike,option_type,open,high,low,close,"
    "trade_volume,bid_size,bid,ask_size,ask,underlying_bid,underlying_ask,"
    "implied_underlying_price,active_underlying_price,implied_volatility,delta,gamma,theta,vega,"
    "rho,open_interest"
)
INTERVALS_PLAIN_HEADER = (
    "underlying_symbol,quote_datetime,root,expiration,strike,option_type,open,high,low,close,"
    "trade_volume,bid_size,bid,ask_size,ask,underlying_bid,underlying_ask"
)


# --------------------------------------------------------------------------------------------
# Fixtures: (session folder, file content, format name)


QUOTEDATA = "\n".join(
    [
        "",
        "Standard & Poors 500 Index,Last: 4400.5,Change:  23.0898",
        '"Date: August 20, 2023 at 10:42 PM EDT",Bid: 4399.5,Ask: 4401.43,Size: 1*1,'
        '"Volume: 1,234,567"',
        QD_HEADER,
        # line 5: SPXW, quoted volume and OI with thousands commas
        'Mon Aug 21 2023,SPXW230821C04400000,10.5,1.2,10.1,10.9,"1,234",0.1512,0.52,0.0041,'
        '"12,345",4400.00,SPXW230821P04400000,9.8,-1.1,9.5,10.2,987,0.1601,-0.48,0.004,23456',
        # line 6: SPX (AM monthly) with a call IV of 0 (no IV)
        "Fri Sep 15 2023,SPX230915C04400000,80,0,79.5,81,12,0,0.55,0.001,5000,4400.00,"
        "SPX230915P04400000,70,0,69,71,3,0.17,-0.45,0.001,6000",
        # line 7: the same (expiry, strike) under SPXW
        "Fri Sep 15 2023,SPXW230915C04400000,81,0,80,82,5,0.16,0.55,0.001,700,4400.00,"
        "SPXW230915P04400000,71,0,70,72,4,0.171,-0.45,0.001,800",
        # line 8: a crossed call quote (bid 17.1 > ask 0): kept, chains have no quote rule
        "Fri Sep 15 2023,SPXW230915C04500000,20,0,17.1,0,0,0.15,0.35,0.002,11,4500.00,"
        "SPXW230915P04500000,110,0,109,111,0,0.2,-0.65,0.002,9",
        # line 9: garbled strike
        "Fri Sep 15 2023,SPXW230915C0450000X,20,0,17,18,0,0.15,0.35,0.002,11,abc,"
        "SPXW230915P0450000X,110,0,109,111,0,0.2,-0.65,0.002,9",
        # line 10: truncated (no final newline)
        "Fri Sep 15 2023,SPXW230915C04600000,1.0,0,0.9",
    ]
)

QUOTEDATA_EXCEL = "\r\n".join(
    [
        "," * 21,
        "Standard & Poors 500 Index,Last: 4677.0298,Change:  -19.0202" + "," * 19,
        '"Date: January 9, 2022, 3:11 AM EST",Bid: 4619.75,Ask: 4727.2202,Size: 1*1,Volume: 0'
        + "," * 17,
        QD_HEADER,
        "Mon Jan 10 2022,SPXW220110C04600000,90,0,80.1,82.3,0,0.21,0.7,0.002,15,4600.00,"
        "SPXW220110P04600000,3,0,2.9,3.1,10,0.25,-0.3,0.002,40",
        "," * 21,
        "Mon Jan 31 2022,SPXW220131C06600000,0,0,0,0.05,0,0.388,0.0002,0,0,6600.00,"
        "SPXW220131P06600000,0,0,1916.3,1930,0,0,-1,0,0",
    ]
)

QUOTEDATA_OLD = "\n".join(
    [
        "SPX (S&P 500 INDEX),2811.87,-69.53,",
        "May 13 2019 @ 14:36 ET,Bid,2811.5,Ask,2812.1,Size,1x1,Vol,0,",
        QD_OLD_HEADER,
        "Fri May 17 2019,SPX190517C02800000,30,0,29,31,10,0.15,1000,2800.00,"
        "SPX190517P02800000,5,0,4.9,5.1,20,0.18,2000",
        "Fri May 17 2019,SPXW190517C02850000,3,0,2.9,3.1,10,0.14,100,2850.00,"
        "SPXW190517P02850000,40,0,39,41,2,0.16,200",
        "",
    ]
)

_EPOCH_PUBLISHED = "2025-09-25 20:15:03"


def _cboe_json_current() -> str:
    options: list[object] = [
        {"option": "SPXW250926C06600000", "bid": 40.1, "ask": 40.9, "iv": 0.1612,
         "open_interest": 609.0, "volume": 1200.0, "delta": 0.51, "gamma": 0.0021},
        {"option": "SPX251017P06500000", "bid": 70.0, "ask": 71.0, "iv": 0,
         "open_interest": 12000.0, "volume": 5.0, "delta": -0.4, "gamma": 0.001},
        {"option": "SPXW250926P04000000", "bid": 0.0, "ask": 0.05, "iv": 26.001,
         "open_interest": 44.0, "volume": 0.0, "delta": -0.001, "gamma": 0.0},
        {"option": "SOYB1250926C00020000", "bid": 1.0, "ask": 1.2, "iv": 0.3,
         "open_interest": 1.0, "volume": 0.0, "delta": 0.9, "gamma": 0.01},
        {"option": "GARBAGE", "bid": 1.0, "ask": 1.2, "iv": 0.3, "open_interest": 1.0},
        "not an object",
        {"option": "SPXW250926C06700000", "bid": 10.0, "ask": 10.5, "iv": 0.15,
         "open_interest": 12.5},
    ]  # fmt: skip
    doc = {
        "timestamp": _EPOCH_PUBLISHED,
        "symbol": "^SPX",
        "data": {
            "symbol": "^SPX",
            "security_type": "index",
            "current_price": 6604.72,
            "iv30": 14.2,
            "last_trade_time": "2025-09-25T16:15:00",
            "options": options,
        },
    }
    return json.dumps(doc, indent=1)


def _cboe_json_old(with_time: bool = True) -> str:
    data: dict[str, object] = {
        "symbol": "SPY",
        "current_price": 447.57,
        "iv30": 19.5,
        "options": [
            {"option": "SPY220411C00440000", "iv": 0.2, "open_interest": 609.0, "volume": 10.0,
             "delta": 0.7, "gamma": 0.03, "theo": 8.1},
            {"option": "SPY220411P00440000", "iv": 0.02, "open_interest": 300.0, "volume": 1.0,
             "delta": -0.3, "gamma": 0.03, "theo": 1.1},
        ],
    }  # fmt: skip
    if with_time:
        data["last_trade_time"] = "2022-04-08T16:15:00"
    return json.dumps(data)


def _tda_json() -> str:
    quote_ms = 1653336000000  # 2022-05-23 20:00:00 UTC (16:00 EDT)
    doc = {
        "symbol": "$SPX.X",
        "status": "SUCCESS",
        "underlying": {"symbol": "$SPX.X", "last": 3973.75, "quoteTime": quote_ms},
        "strategy": "SINGLE",
        "isDelayed": True,
        "underlyingPrice": 3973.75,
        "callExpDateMap": {
            "2022-05-23:0": {
                "3975.0": [
                    {"putCall": "CALL", "symbol": "SPXW_052322C3975", "bid": 10.1, "ask": 10.5,
                     "totalVolume": 1234, "openInterest": 567, "volatility": 22.196,
                     "delta": 0.51, "gamma": 0.0123, "quoteTimeInLong": quote_ms - 1000},
                ]
            },
            "2022-06-17:25": {
                "4000.0": [
                    {"putCall": "CALL", "symbol": "SPX_061722C4000", "bid": 80.0, "ask": 81.0,
                     "totalVolume": 10, "openInterest": 20000, "volatility": 21.0,
                     "delta": 0.45, "gamma": 0.002, "quoteTimeInLong": quote_ms - 5000},
                ]
            },
        },
        "putExpDateMap": {
            "2022-05-23:0": {
                "3975.0": [
                    {"putCall": "PUT", "symbol": "SPXW_052322P3975", "bid": 9.9, "ask": 10.3,
                     "totalVolume": 2000, "openInterest": 800, "volatility": -999.0,
                     "delta": "NaN", "gamma": -999.0},
                ],
                "3900.0": [
                    {"putCall": "PUT", "symbol": "SPXW_052322P3900", "bid": 0.05, "ask": 0.1,
                     "totalVolume": 3, "openInterest": -5, "volatility": 30.0},
                ],
            }
        },
    }  # fmt: skip
    return json.dumps(doc)


def _schwab_json() -> str:
    doc = {
        "symbol": "SPY",
        "status": "SUCCESS",
        "underlying": None,
        "underlyingPrice": 520.2,
        "callExpDateMap": {
            "2024-05-17:2": {
                "520.0": [
                    {"putCall": "CALL", "symbol": "SPY   240517C00520000", "bidPrice": 3.1,
                     "askPrice": 3.2, "totalVolume": 10, "openInterest": 100, "volatility": 15.5,
                     "delta": 0.5, "gamma": 0.05, "quoteTimeInLong": 1715803200000},
                ]
            }
        },
        "putExpDateMap": {},
    }  # fmt: skip
    return json.dumps(doc)


DATASHOP_TRADES = "\n".join(
    [
        TRADES_HEADER,
        # line 2: 22 fields (one regional quote group)
        "^SPX,2024-03-15 09:31:02.125,1001,SPXW,2024-03-15,5100.000,C,5,3,12.5000,0,0,12.3000,"
        "12.7000,5110.1000,5110.3000,1,5,20,12.3000,30,12.7000",
        # line 3: 17 fields (no group), condition 35
        "^SPX,2024-03-15 10:00:00.000,1002,SPX,2024-04-19,5000.000,P,5,10,30.0000,35,0,29.5000,"
        "30.5000,5105.0000,5105.0000,0",
        # line 4: 27 fields, a cancelled trade
        "^SPX,2024-03-15 10:05:00.500,1003,SPXW,2024-03-15,5100.000,P,5,1,2.0000,40,40,1.9000,"
        "2.1000,5106.0000,5106.0000,2,5,1,1.9,1,2.1,6,3,1.8,4,2.2",
        # line 5: opening trade before any quote: 0 x 0 NBBO and no underlying quote
        "^SPX,2024-03-15 09:30:00.025,1004,SPX,2024-04-19,5000.000,C,5,1,100.0000,0,0,0.0000,"
        "0.0000,0.0000,0.0000,0",
        # line 6: garbled price
        "^SPX,2024-03-15 10:10:00.000,1005,SPXW,2024-03-15,5100.000,C,5,2,x.50,0,0,1,2,5100,5100,0",
        # line 7: truncated row
        "^SPX,2024-03-15 10:11:00.000,1006,SPXW",
        # line 8: a trade from another day
        "^SPX,2024-03-18 10:12:00.000,1007,SPXW,2024-03-18,5100.000,C,5,1,1.0000,0,0,0.9,1.1,"
        "5100,5100,0",
        "",  # line 9: blank, skipped
        "",
    ]
)

DATASHOP_TRADES_CALCS = "\n".join(
    [
        TRADES_CALCS_HEADER,
        "^VIX,2016-06-01 13:57:58.175,78677916,VIX,2016-06-08,12.500,C,5,1,2.4000,0,0,2.1500,"
        "2.6000,0.8123,0.8712,14.7500,14.7500,1,5,269,2.1500,2420,2.6000",
        "^VIX,2016-06-01 09:48:28.925,8614309,VIX,2016-06-08,13.000,C,5,100,2.1000,0,0,2.0500,"
        "2.4000,0.0000,0.0000,15.2250,15.2250,0",
        "",
    ]
)

DATASHOP_EOD_QUOTES = "\r\n".join(
    [
        EOD_QUOTES_HEADER,
        "^SPX,2024-03-15,SPXW,2024-03-18,5100.000,C,0.0000,0.0000,0.0000,0.0000,0,10,20.1000,12,"
        "20.5000,5110.0000,5110.4000,5,19.9,6,20.3,5111.0,5111.2,0.0000,1500,",
        "^SPX,2024-03-15,SPX,2024-04-19,5000.000,P,31.0,33.0,30.0,32.5,250,10,32.1000,12,"
        "32.5000,5110.0000,5110.4000,5,32.0,6,32.4,5111.0,5111.2,31.9,42000,",
        "",
    ]
)

DATASHOP_EOD_CALCS = "\r\n".join(
    [
        EOD_CALCS_HEADER,
        "^SPX,2024-03-15,SPXW,2024-03-18,5100.000,C,0,0,0,0,0,10,20.1000,12,20.5000,5110.0000,"
        "5110.4000,5112.0000,5110.2500,0.1234,0.4500,0.0021,-1.1,2.2,0.3,5,19.9,6,20.3,5111.0,"
        "5111.2,0,1500,",
        "",  # a blank line is skipped, not rejected
        "^SPX,2024-03-15,SPXW,2024-03-18,7000.000,C,0,0,0,0,0,0,0.0000,0,0.0500,5110.0000,"
        "5110.4000,0.0000,0.0000,0.0000,0.0000,0.0000,0,0,0,0,0,0,0.05,5111.0,5111.2,0,3,",
        "",
    ]
)

DATASHOP_INTERVALS = "\n".join(
    [
        INTERVALS_HEADER,
        "^VIX,2021-04-26 10:00:00,VIX,2021-05-19,20.000,C,0,0,0,0,0,100,1.2,120,1.3,17.4,17.4,"
        "18.9,17.45,0.95,0.4,0.06,-0.01,0.02,0.001,5000",
        "",
        "^VIX,2021-04-26 10:30:00,VIX,2021-05-19,20.000,C,1.2,1.3,1.2,1.25,40,100,1.25,120,1.35,"
        "17.5,17.5,19.0,17.5,0.96,0.41,0.061,-0.01,0.02,0.001,5000",
        "",
    ]
)

DATASHOP_INTERVALS_PLAIN = "\n".join(
    [
        INTERVALS_PLAIN_HEADER,
        "^VIX,2021-04-26 10:00:00,VIX,2021-05-19,20.000,C,0,0,0,0,0,100,1.2,120,1.3,17.4,17.4",
        "",
    ]
)

#: name → (session folder, content, format)
FIXTURES: dict[str, tuple[str, str, str]] = {
    "quotedata": ("2023-08-18", QUOTEDATA, "cboe-quotedata"),
    "quotedata_excel": ("2022-01-07", QUOTEDATA_EXCEL, "cboe-quotedata"),
    "quotedata_old": ("2019-05-13", QUOTEDATA_OLD, "cboe-quotedata"),
    "cboe_json": ("2025-09-25", _cboe_json_current(), "cboe-delayed-json"),
    "cboe_json_old": ("2022-04-08", _cboe_json_old(), "cboe-delayed-json"),
    "tda_json": ("2022-05-23", _tda_json(), "tda-json"),
    "schwab_json": ("2024-05-15", _schwab_json(), "tda-json"),
    "datashop_trades": ("2024-03-15", DATASHOP_TRADES, "datashop-trades"),
    "datashop_trades_calcs": ("2016-06-01", DATASHOP_TRADES_CALCS, "datashop-trades"),
    "datashop_eod_quotes": ("2024-03-15", DATASHOP_EOD_QUOTES, "datashop-eod"),
    "datashop_eod_calcs": ("2024-03-15", DATASHOP_EOD_CALCS, "datashop-eod"),
    "datashop_intervals": ("2021-04-26", DATASHOP_INTERVALS, "datashop-intervals"),
}


def _suffix(name: str) -> str:
    return ".json" if "json" in name else ".csv"


def _write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_bytes(content.encode("utf-8"))  # keeps CRLF as written
    return path


def _fixture(tmp_path: Path, name: str, file_name: str | None = None) -> Path:
    session, content, _ = FIXTURES[name]
    return _write(tmp_path / session / (file_name or "foo" + _suffix(name)), content)


def _read(folder: Path) -> FileResult:
    catalog = scan_catalog(folder)
    assert len(catalog.files) == 1, [s.reason for s in catalog.skipped]
    return read_file(catalog.files[0])


def _read_fixture(tmp_path: Path, name: str) -> FileResult:
    _fixture(tmp_path, name)
    result = _read(tmp_path)
    assert result.error is None, result.error
    return result


def _rejects(result: FileResult) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for line, reason in result.rejects.select("line", "reason").iter_rows():
        out.setdefault(line, []).append(reason)
    return out


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _format(name: str) -> vendors.VendorFormat:
    fmt = vendors.get(name)
    assert fmt is not None, name
    return fmt


def _claims(path: Path, head: bytes) -> list[str]:
    """Every registered format (of any vendor) whose sniffer accepts the file."""
    out = []
    for fmt in vendors.formats():
        try:
            if path.suffix.lower() in fmt.suffixes and fmt.sniff(path, head):
                out.append(fmt.name)
        except Exception:  # a sniffer that raises is a no, as in vendors.detect
            continue
    return out


# --------------------------------------------------------------------------------------------
# Recognition


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_fixture_is_recognised_by_content_under_any_name(tmp_path: Path, name: str) -> None:
    _, _, fmt = FIXTURES[name]
    for i, file_name in enumerate(("foo" + _suffix(name), "data" + _suffix(name).upper())):
        path = _fixture(tmp_path / str(i), name, file_name)
        sniffed = sniff_file(path)
        assert isinstance(sniffed, Detected), sniffed
        assert sniffed.fmt == fmt
        assert sniffed.kind is _format(fmt).kind


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_fixture_is_claimed_by_exactly_one_format(tmp_path: Path, name: str) -> None:
    path = _fixture(tmp_path, name)
    head = path.read_bytes()[: vendors.HEAD_BYTES]
    assert _claims(path, head) == [FIXTURES[name][2]]


@pytest.mark.parametrize(
    "content",
    [
        "as_of,underlying,spot,expiry,strike,right,open_interest,iv\n"
        "2026-04-08 15:45:00,SPY,520,2026-04-10,520,C,100,0.2\n",
        "ts,underlying,expiry,strike,right,price,size,bid,ask\n"
        "2026-04-08 10:00:00,SPY,2026-04-10,520,C,1.25,1,1.2,1.3\n",
        "underlying_symbol,quote_datetime,root,expiration,strike,option_type,trade_price,"
        "trade_size,best_bid,best_ask\n"
        "SPY,2026-04-08 10:00:00,SPY,2026-04-10,520,C,1.25,1,1.2,1.3\n",
        "Expiration Date,Strike,Open Interest\nMon Aug 21 2023,4400,10\n",
    ],
)
def test_canonical_csv_is_not_claimed_by_a_cboe_format(tmp_path: Path, content: str) -> None:
    path = _write(tmp_path / "2026-04-08" / "chain.csv", content)
    head = path.read_bytes()
    mine = ("cboe-quotedata", "datashop-trades", "datashop-eod", "datashop-intervals")
    assert not any(_format(n).sniff(path, head) for n in mine)
    sniffed = sniff_file(path)
    assert not isinstance(sniffed, Detected) or sniffed.fmt == "csv"


def test_other_json_is_not_claimed(tmp_path: Path) -> None:
    path = _write(tmp_path / "x.json", json.dumps({"current_price": 1.0, "options": []}))
    head = path.read_bytes()
    for name in ("cboe-delayed-json", "tda-json"):
        assert not _format(name).sniff(path, head)


def test_intervals_without_open_interest_are_not_a_chain(tmp_path: Path) -> None:
    path = _write(tmp_path / "2021-04-26" / "foo.csv", DATASHOP_INTERVALS_PLAIN)
    sniffed = sniff_file(path)
    assert isinstance(sniffed, NotData)
    assert "header matches no known kind" in sniffed.reason


# --------------------------------------------------------------------------------------------
# quotedata.csv


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("Date: February 5 2022, 8:09 PM EST", "2022-02-05 20:09:00-05:00"),
        ("Date: January 9, 2022, 3:11 AM EST", "2022-01-09 03:11:00-05:00"),
        ("Date: August 20, 2023 at 10:42 PM EDT", "2023-08-20 22:42:00-04:00"),
        ("Date: September 25, 2025 at 9:05 PM EDT", "2025-09-25 21:05:00-04:00"),
        ("Date: June 3, 2024 at 12:05 AM EDT", "2024-06-03 00:05:00-04:00"),
        ("Date: June 3, 2024 at 12:05 PM EDT", "2024-06-03 12:05:00-04:00"),
        ("Feb 25 2019 @ 11:13 ET", "2019-02-25 11:13:00-05:00"),
        ("Jul 17 2026 @ 15:45 ET", "2026-07-17 15:45:00-04:00"),
        ("Date: 2022-02-05 20:09 EST", "2022-02-05 20:09:00-05:00"),
        ("Date: Febtober 5 2022, 8:09 PM EST", None),
        ("Volume: 89,468,957", None),
    ],
)
def test_quotedata_date_line_drift(field: str, expected: str | None) -> None:
    assert cboe_quotedata.snapshot_time(field) == expected


def test_quotedata_rows_roots_and_preamble(tmp_path: Path) -> None:
    result = _read_fixture(tmp_path, "quotedata")
    assert result.source.detected.fmt == "cboe-quotedata"
    assert result.kind is Kind.CHAIN
    assert result.rows_read == 12  # lines 5-10, one call and one put row each
    frame = result.frame
    assert frame["as_of"].unique().to_list() == [_utc(2023, 8, 21, 2, 42)]
    assert frame["spot"].unique().to_list() == [4400.5]
    assert frame["underlying"].unique().to_list() == ["SPX"]
    assert frame["session"].unique().to_list() == [date(2023, 8, 18)]
    # SPX and SPXW stay apart for the same (expiry, strike).
    pair = frame.filter((pl.col("expiry") == date(2023, 9, 15)) & (pl.col("strike") == 4400))
    assert sorted(pair["root"].to_list()) == ["SPX", "SPX", "SPXW", "SPXW"]
    assert pair.group_by("root").agg(pl.col("open_interest").sum()).sort("root").rows() == [
        ("SPX", 11000),
        ("SPXW", 1500),
    ]
    first = frame.filter((pl.col("expiry") == date(2023, 8, 21)) & (pl.col("right") == "C"))
    assert first.select("volume", "open_interest", "iv", "delta", "gamma").row(0) == (
        1234,
        12345,
        0.1512,
        0.52,
        0.0041,
    )


def test_quotedata_iv_zero_is_null_and_crossed_quote_is_kept(tmp_path: Path) -> None:
    frame = _read_fixture(tmp_path, "quotedata").frame
    no_iv = frame.filter(pl.col("iv").is_null())
    assert no_iv.select("root", "right", "strike").rows() == [("SPX", "C", 4400.0)]
    crossed = frame.filter(pl.col("bid") > pl.col("ask"))
    assert crossed.select("strike", "right", "bid", "ask").rows() == [(4500.0, "C", 17.1, 0.0)]


def test_quotedata_garbled_and_truncated_lines_are_rejected(tmp_path: Path) -> None:
    result = _read_fixture(tmp_path, "quotedata")
    rejects = _rejects(result)
    assert sorted(rejects) == [9, 10]
    assert rejects[9] == ["unparseable strike 'abc'"] * 2
    assert len(rejects[10]) == 2 and all("missing" in r for r in rejects[10])
    assert result.frame.height == 8


def test_quotedata_excel_resaved_crlf_padding_no_final_newline(tmp_path: Path) -> None:
    result = _read_fixture(tmp_path, "quotedata_excel")
    assert result.rows_rejected == 0
    assert result.frame.height == 4  # the comma-only line is not a row
    assert result.frame["as_of"].unique().to_list() == [_utc(2022, 1, 9, 8, 11)]
    assert result.frame["spot"].unique().to_list() == [4677.0298]
    assert result.frame["expiry"].unique().sort().to_list() == [
        date(2022, 1, 10),
        date(2022, 1, 31),
    ]


def test_quotedata_older_header_without_greeks(tmp_path: Path) -> None:
    result = _read_fixture(tmp_path, "quotedata_old")
    assert result.rows_rejected == 0
    frame = result.frame.sort("root", "right")
    assert frame.height == 4
    assert frame["spot"].unique().to_list() == [2811.87]
    assert frame["underlying"].unique().to_list() == ["SPX"]
    assert frame["as_of"].unique().to_list() == [_utc(2019, 5, 13, 18, 36)]
    assert frame.select("root", "right", "open_interest", "iv").rows() == [
        ("SPX", "C", 1000, 0.15),
        ("SPX", "P", 2000, 0.18),
        ("SPXW", "C", 100, 0.14),
        ("SPXW", "P", 200, 0.16),
    ]
    assert frame["gamma"].is_null().all() and frame["delta"].is_null().all()


def test_quotedata_without_a_date_line_is_a_file_error(tmp_path: Path) -> None:
    lines = QUOTEDATA.split("\n")
    del lines[2]
    _write(tmp_path / "2023-08-18" / "foo.csv", "\n".join(lines))
    result = _read(tmp_path)
    assert result.error is not None and "snapshot time" in result.error
    assert result.frame.is_empty()


def test_quotedata_header_only(tmp_path: Path) -> None:
    _write(tmp_path / "2023-08-18" / "foo.csv", "\n".join(QUOTEDATA.split("\n")[:4]) + "\n")
    result = _read(tmp_path)
    assert result.error is None
    assert result.rows_read == 0


# --------------------------------------------------------------------------------------------
# Cboe delayed-quotes JSON


def test_cboe_json_current_envelope(tmp_path: Path) -> None:
    result = _read_fixture(tmp_path, "cboe_json")
    assert result.source.detected.fmt == "cboe-delayed-json"
    assert result.rows_read == 7
    frame = result.frame
    assert frame["as_of"].unique().to_list() == [_utc(2025, 9, 25, 20, 15, 3)]
    assert frame["spot"].unique().to_list() == [6604.72]
    assert frame["underlying"].unique().to_list() == ["SPX"]
    rows = {
        (r["root"], r["expiry"], r["right"], r["strike"]): r
        for r in result.frame.iter_rows(named=True)
    }
    call = rows[("SPXW", date(2025, 9, 26), "C", 6600.0)]
    assert (call["iv"], call["open_interest"], call["volume"]) == (0.1612, 609, 1200)
    assert rows[("SPX", date(2025, 10, 17), "P", 6500.0)]["iv"] is None  # iv 0
    assert rows[("SPXW", date(2025, 9, 26), "P", 4000.0)]["iv"] is None  # junk iv 26.001
    assert ("SOYB1", date(2025, 9, 26), "C", 20.0) in rows  # a root with a digit


def test_cboe_json_bad_records_are_rejected_with_their_index(tmp_path: Path) -> None:
    rejects = _rejects(_read_fixture(tmp_path, "cboe_json"))
    assert rejects == {
        5: ["unparseable expiry 'GARBAGE'"],
        6: ["missing expiry"],
        7: ["unparseable open_interest '12.5'"],
    }


def test_cboe_json_old_shape_takes_the_underlying_trade_time(tmp_path: Path) -> None:
    result = _read_fixture(tmp_path, "cboe_json_old")
    assert result.rows_rejected == 0
    assert result.frame["as_of"].unique().to_list() == [_utc(2022, 4, 8, 20, 15)]
    assert result.frame["underlying"].unique().to_list() == ["SPY"]
    assert result.frame["bid"].is_null().all()  # the 2022 rows have no quotes
    assert sorted(result.frame["iv"].to_list()) == [0.02, 0.2]


def test_cboe_json_without_any_time_falls_back_to_the_file_time(tmp_path: Path) -> None:
    path = _write(tmp_path / "2022-04-08" / "foo.json", _cboe_json_old(with_time=False))
    stamp = _utc(2022, 4, 8, 20, 30).timestamp()
    os.utime(path, (stamp, stamp))
    result = _read(tmp_path)
    assert result.error is None
    assert result.frame["as_of"].unique().to_list() == [_utc(2022, 4, 8, 20, 30)]


def test_cboe_json_truncated_is_a_file_error(tmp_path: Path) -> None:
    text = _cboe_json_current()
    _write(tmp_path / "2025-09-25" / "foo.json", text[: len(text) // 2])
    result = _read(tmp_path)
    assert result.error is not None and "JSON" in result.error


# --------------------------------------------------------------------------------------------
# TDA / Schwab JSON


def test_tda_json(tmp_path: Path) -> None:
    result = _read_fixture(tmp_path, "tda_json")
    assert result.source.detected.fmt == "tda-json"
    assert result.rows_read == 4
    frame = result.frame
    assert frame["as_of"].unique().to_list() == [_utc(2022, 5, 23, 20)]
    assert frame["spot"].unique().to_list() == [3973.75]
    assert frame["underlying"].unique().to_list() == ["SPX"]
    rows = {(r["root"], r["right"], r["strike"]): r for r in frame.iter_rows(named=True)}
    call = rows[("SPXW", "C", 3975.0)]
    assert call["iv"] == pytest.approx(0.22196)
    assert (call["open_interest"], call["volume"], call["bid"], call["ask"]) == (
        567,
        1234,
        10.1,
        10.5,
    )
    put = rows[("SPXW", "P", 3975.0)]
    assert (put["iv"], put["delta"], put["gamma"]) == (None, None, None)  # -999 / NaN
    assert rows[("SPX", "C", 4000.0)]["expiry"] == date(2022, 6, 17)
    assert _rejects(result) == {4: ["negative open_interest (-5)"]}


def test_schwab_json(tmp_path: Path) -> None:
    result = _read_fixture(tmp_path, "schwab_json")
    assert result.rows_rejected == 0
    row = result.frame.row(0, named=True)
    assert row["as_of"] == _utc(2024, 5, 15, 20)  # latest contract quote time
    assert (row["root"], row["underlying"], row["bid"], row["ask"]) == ("SPY", "SPY", 3.1, 3.2)
    assert row["iv"] == pytest.approx(0.155)


# --------------------------------------------------------------------------------------------
# DataShop


def test_datashop_trades(tmp_path: Path) -> None:
    result = _read_fixture(tmp_path, "datashop_trades")
    assert result.source.detected.fmt == "datashop-trades"
    assert result.kind is Kind.OPTION_PRINTS
    assert result.rows_read == 7
    good = {r["trade_id"].split("|")[1]: r for r in result.frame.iter_rows(named=True)}
    assert sorted(good) == ["1001", "1002", "1003", "1004"]
    first = good["1001"]
    assert first["ts"] == _utc(2024, 3, 15, 13, 31, 2, 125000)
    assert (first["underlying"], first["root"], first["exchange"]) == ("SPX", "SPXW", "5")
    assert (first["bid"], first["ask"], first["conditions"]) == (12.3, 12.7, "0")
    assert first["underlying_price"] == pytest.approx(5110.2)
    assert first["trade_id"] == "2024-03-15 09:31:02.125|1001|SPXW|2024-03-15|5100.000|C|5"
    assert first["premium"] == pytest.approx(12.5 * 3 * 100)
    assert good["1002"]["conditions"] == "35"
    assert good["1003"]["conditions"] == "CANC,40"
    opening = good["1004"]
    assert (opening["bid"], opening["ask"], opening["underlying_price"]) == (None, None, None)


def test_datashop_trades_rejects(tmp_path: Path) -> None:
    rejects = _rejects(_read_fixture(tmp_path, "datashop_trades"))
    assert sorted(rejects) == [6, 7, 8]
    assert rejects[6] == ["unparseable price 'x.50'"]
    assert rejects[7] == ["missing expiry"]
    assert "outside session 2024-03-15" in rejects[8][0]


def test_datashop_trades_calcs(tmp_path: Path) -> None:
    result = _read_fixture(tmp_path, "datashop_trades_calcs")
    assert result.rows_rejected == 0
    frame = result.frame.sort("ts")
    assert frame["underlying"].to_list() == ["VIX", "VIX"]
    assert frame.select("iv", "delta").rows() == [(None, None), (0.8123, 0.8712)]
    assert frame["underlying_price"].to_list() == [15.225, 14.75]


def test_datashop_eod_quotes(tmp_path: Path) -> None:
    result = _read_fixture(tmp_path, "datashop_eod_quotes")
    assert result.source.detected.fmt == "datashop-eod"
    assert result.rows_rejected == 0
    frame = result.frame.sort("strike")
    assert frame["as_of"].unique().to_list() == [_utc(2024, 3, 15, 19, 45)]
    assert frame["spot"].to_list() == pytest.approx([5110.2, 5110.2])
    assert frame["iv"].is_null().all()
    assert frame.select("root", "bid", "ask", "volume", "open_interest").rows() == [
        ("SPX", 32.1, 32.5, 250, 42000),
        ("SPXW", 20.1, 20.5, 0, 1500),
    ]


def test_datashop_eod_calcs(tmp_path: Path) -> None:
    result = _read_fixture(tmp_path, "datashop_eod_calcs")
    assert result.rows_rejected == 0
    frame = result.frame.sort("strike")
    assert frame.select("spot", "iv", "delta", "gamma").rows() == [
        (5110.25, 0.1234, 0.45, 0.0021),  # active_underlying_price_1545
        (5110.2, None, None, None),  # no active price → mid; no IV → no greeks
    ]


def test_datashop_intervals(tmp_path: Path) -> None:
    result = _read_fixture(tmp_path, "datashop_intervals")
    assert result.source.detected.fmt == "datashop-intervals"
    assert result.rows_rejected == 0
    frame = result.frame.sort("as_of")
    assert frame["as_of"].to_list() == [_utc(2021, 4, 26, 14), _utc(2021, 4, 26, 14, 30)]
    assert frame.select("spot", "iv", "gamma", "open_interest", "volume").rows() == [
        (17.45, 0.95, 0.06, 5000, 0),
        (17.5, 0.96, 0.061, 5000, 40),
    ]


# --------------------------------------------------------------------------------------------
# Truncated and garbled files never raise


def _mangled(tmp_path: Path, name: str, content: bytes) -> FileResult | None:
    path = _fixture(tmp_path, name)
    path.write_bytes(content)
    sniffed = sniff_file(path)
    if not isinstance(sniffed, Detected):
        return None  # cut before the header: reported as not recognised
    session = date.fromisoformat(path.parent.name)
    return read_file(data_file(path, path.name, sniffed, session))  # must not raise


@pytest.mark.parametrize("name", sorted(FIXTURES))
@pytest.mark.parametrize("cut", [0.1, 0.3, 0.55, 0.8, 0.97])
def test_truncated_file_yields_rows_rejects_or_an_error(
    tmp_path: Path, name: str, cut: float
) -> None:
    raw = FIXTURES[name][1].encode("utf-8")
    result = _mangled(tmp_path, name, raw[: int(len(raw) * cut)])
    if result is not None and result.error is None:
        assert result.rows_read == result.frame.height + result.rows_rejected


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_garbled_line_is_a_reject_or_a_file_error(tmp_path: Path, name: str) -> None:
    raw = FIXTURES[name][1].encode("utf-8")
    body = raw.rstrip(b"\r\n")
    last = len(body) - 20 if "json" in name else body.rfind(b"\n") + 1
    garbage = b"\xff\xfe\x00garbage,,\x01"
    result = _mangled(tmp_path, name, body[:last] + garbage + b"\n" + body[last:])
    assert result is not None
    if "json" in name:
        assert result.error is not None
    else:
        assert result.error is None
        garbage_line = body[:last].count(b"\n") + 1
        assert garbage_line in _rejects(result)


# --------------------------------------------------------------------------------------------
# Real public samples


def _real(tmp_path: Path, relative: str, session: str, name: str) -> FileResult:
    source = REALDATA / relative
    if not source.exists():
        pytest.skip(f"real sample {relative} not present")
    target = tmp_path / session / name
    target.parent.mkdir(parents=True)
    shutil.copyfile(source, target)
    result = _read(tmp_path)
    assert result.error is None, result.error
    return result


def test_real_quotedata_spx_2022_02_05(tmp_path: Path) -> None:
    result = _real(
        tmp_path, "option_chain/cboe_quotedata_SPX_2022-02-05.csv", "2022-02-04", "quotedata.csv"
    )
    assert result.source.detected.fmt == "cboe-quotedata"
    assert (result.rows_read, result.rows_rejected) == (20514, 0)  # 10257 lines × call/put
    frame = result.frame
    assert set(frame["root"].unique()) == {"SPX", "SPXW"}
    assert frame["underlying"].unique().to_list() == ["SPX"]
    both = frame.group_by("expiry", "strike").agg(pl.col("root").n_unique().alias("n"))
    assert both.filter(pl.col("n") == 2).height == 1936
    assert frame.filter((pl.col("right") == "C") & pl.col("iv").is_null()).height == 87
    assert frame["spot"].unique().to_list() == [4500.5298]
    # "February 5 2022, 8:09 PM EST", a Saturday: the Friday session's chain.
    assert frame["as_of"].unique().to_list() == [_utc(2022, 2, 6, 1, 9)]
    crossed = frame.filter(pl.col("bid") > pl.col("ask"))
    assert crossed.select("root", "expiry", "strike", "right").rows() == [
        ("SPX", date(2026, 12, 18), 9200.0, "C")
    ]


def test_real_quotedata_spy_2025_09_25(tmp_path: Path) -> None:
    result = _real(
        tmp_path, "option_chain/cboe_quotedata_SPY_2025-09-25.csv", "2025-09-25", "foo.csv"
    )
    assert result.source.detected.fmt == "cboe-quotedata"
    assert (result.rows_read, result.rows_rejected) == (3716, 0)
    frame = result.frame
    assert frame["root"].unique().to_list() == ["SPY"]
    assert frame["spot"].unique().to_list() == [658.05]
    assert frame["as_of"].unique().to_list() == [_utc(2025, 9, 26, 1, 5)]
    assert frame["expiry"].n_unique() == 11


def test_real_quotedata_excel_resaved(tmp_path: Path) -> None:
    result = _real(
        tmp_path,
        "option_chain/cboe_quotedata_SPX_2022-01-09_excel_resaved.csv",
        "2022-01-07",
        "foo.csv",
    )
    assert result.source.detected.fmt == "cboe-quotedata"
    assert (result.rows_read, result.rows_rejected) == (5514, 0)
    frame = result.frame
    assert frame["root"].unique().to_list() == ["SPXW"]
    assert frame["underlying"].unique().to_list() == ["SPX"]
    assert frame["spot"].unique().to_list() == [4677.0298]
    assert frame["as_of"].unique().to_list() == [_utc(2022, 1, 9, 8, 11)]


def test_real_datashop_eod_calcs(tmp_path: Path) -> None:
    result = _real(
        tmp_path,
        "option_chain/CboeDataShop_UnderlyingOptionsEODCalcs_2016-06-01_VIX.csv",
        "2016-06-01",
        "foo.csv",
    )
    assert result.source.detected.fmt == "datashop-eod"
    assert (result.rows_read, result.rows_rejected) == (724, 0)
    frame = result.frame
    assert frame["as_of"].unique().to_list() == [_utc(2016, 6, 1, 19, 45)]
    assert frame["underlying"].unique().to_list() == ["VIX"]
    assert frame["spot"].unique().to_list() == [14.24]
    assert frame["iv"].null_count() == 76
    assert frame["open_interest"].sum() > 0


def test_real_datashop_trades(tmp_path: Path) -> None:
    result = _real(
        tmp_path,
        "option_trades/CboeDataShop_UnderlyingOptionsTrades_2016-06-01_VIX.csv",
        "2016-06-01",
        "foo.csv",
    )
    assert result.source.detected.fmt == "datashop-trades"
    assert (result.rows_read, result.rows_rejected) == (2295, 0)
    frame = result.frame
    assert frame["underlying"].unique().to_list() == ["VIX"]
    assert frame["trade_id"].n_unique() == 2295
    assert frame.filter(pl.col("conditions").str.starts_with("CANC")).height == 2
    assert frame.filter(pl.col("bid").is_null()).height == 1  # the 0 x 0 opening trade
    first = frame.filter(pl.col("trade_id").str.contains(r"\|78677916\|")).row(0, named=True)
    assert first["ts"] == _utc(2016, 6, 1, 17, 57, 58, 175000)
    assert (first["price"], first["size"], first["bid"], first["ask"]) == (2.4, 1, 2.15, 2.6)
    assert first["underlying_price"] == 14.75
