"""Polygon/Massive flat files (FORMATS.md §6): option trades given the NBBO by an as-of join to
the quotes file beside them, stock trades as off-exchange prints, quotes files as quotes."""

from __future__ import annotations

import gzip
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from flowterm.core.catalog import scan_catalog
from flowterm.core.readers import FileResult, read_file
from flowterm.core.schema import Kind
from flowterm.core.sniff import Detected, sniff_file
from flowterm.core.vendors.polygon import option_trade_companions

DAY = date(2026, 4, 8)
NS = 1_775_655_000_000_000_000  # 2026-04-08 13:30:00 UTC (09:30 ET)
SEC = 1_000_000_000

OPTION_TRADES = "ticker,conditions,correction,exchange,price,sip_timestamp,size"
OPTION_QUOTES = (
    "ticker,ask_exchange,ask_price,ask_size,bid_exchange,bid_price,bid_size,"
    "sequence_number,sip_timestamp"
)
STOCK_TRADES = (
    "ticker,conditions,correction,exchange,id,participant_timestamp,price,sequence_number,"
    "sip_timestamp,size,tape,trf_id,trf_timestamp"
)
STOCK_QUOTES = (
    "ticker,ask_exchange,ask_price,ask_size,bid_exchange,bid_price,bid_size,conditions,"
    "indicators,participant_timestamp,sequence_number,sip_timestamp,tape,trf_timestamp"
)

SPXW = "O:SPXW260918P07600000"
AAPL = "O:AAPL260417C00250000"


def _write(path: Path, header: str, rows: list[str], gz: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "\n".join([header, *rows]) + "\n"
    if gz:
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _option_trades() -> list[str]:
    return [
        f"{SPXW},209,0,302,12.5,{NS},3",  # line 2: quote 1 s before → 12.3/12.7
        f"{SPXW},232,0,302,12.6,{NS + SEC},2",  # line 3: a quote at the same instant is ignored
        f"{AAPL},227,1,312,1.25,{NS + 2 * SEC},10",  # line 4: corrected → CANC
        f"O:BAD,209,0,302,1.0,{NS + 3 * SEC},1",  # line 5: not an OSI ticker
        f"{AAPL},209,0,312,abc,{NS + 4 * SEC},1",  # line 6: bad price
        f"{AAPL},999,0,399,1.3,{NS + 5 * SEC},1,extra",  # line 7: ragged row
        f"{AAPL},209,0,312,1.31,{NS - 60 * SEC},4",  # line 8: before any AAPL quote
    ]


def _option_quotes() -> list[str]:
    return [
        f"{SPXW},302,12.7,5,302,12.3,5,1,{NS - SEC}",
        f"{SPXW},302,12.8,5,302,12.4,5,2,{NS + SEC}",
        f"{AAPL},312,1.30,5,312,1.20,5,3,{NS}",
        f"O:MSFT260417C00250000,312,9.9,5,312,9.8,5,4,{NS}",
    ]


def _read(root: Path, name: str) -> tuple[Detected, FileResult]:
    catalog = scan_catalog(root)
    source = next(f for f in catalog.files if f.path.name == name)
    return source.detected, read_file(source)


@pytest.mark.parametrize("gz", [False, True])
def test_option_trades_get_the_nbbo_before_them(tmp_path: Path, gz: bool) -> None:
    suffix = ".csv.gz" if gz else ".csv"
    session = tmp_path / DAY.isoformat()
    _write(session / f"2026-04-08{suffix}", OPTION_TRADES, _option_trades(), gz)
    _write(session / f"q{suffix}", OPTION_QUOTES, _option_quotes(), gz)
    detected, result = _read(tmp_path, f"2026-04-08{suffix}")
    assert (detected.fmt, detected.kind) == ("polygon-option-trades", Kind.OPTION_PRINTS)
    assert option_trade_companions(session / f"2026-04-08{suffix}") == [session / f"q{suffix}"]
    assert (result.rows_read, result.rows_rejected, result.error) == (7, 3, None)
    rows = {r["price"]: r for r in result.frame.iter_rows(named=True)}
    first = rows[12.5]
    assert first["ts"] == datetime(2026, 4, 8, 13, 30, tzinfo=UTC)
    assert (first["underlying"], first["root"], first["right"]) == ("SPX", "SPXW", "P")
    assert (first["expiry"], first["strike"]) == (date(2026, 9, 18), 7600.0)
    assert (first["bid"], first["ask"], first["exchange"]) == (12.3, 12.7, "XCBO")
    assert (first["conditions"], first["osi"], first["premium"]) == (
        "AUTO",
        "SPXW260918P07600000",
        3750.0,
    )
    assert (rows[12.6]["bid"], rows[12.6]["ask"], rows[12.6]["conditions"]) == (12.3, 12.7, "MLET")
    corrected = rows[1.25]
    assert (corrected["bid"], corrected["ask"]) == (1.2, 1.3)
    assert (corrected["conditions"], corrected["exchange"]) == ("CANC,SLAN", "XMIO")
    assert (rows[1.31]["bid"], rows[1.31]["ask"]) == (None, None)  # no quote before it yet
    rejects = dict(zip(result.rejects["line"], result.rejects["reason"], strict=True))
    assert rejects == {
        5: "unparseable expiry 'O:BAD'",
        6: "unparseable price 'abc'",
        7: "row has more fields than the header",
    }


def test_option_trades_without_quotes_keep_an_empty_nbbo(tmp_path: Path) -> None:
    session = tmp_path / DAY.isoformat()
    _write(session / "trades.csv", OPTION_TRADES, _option_trades()[:3])
    _, result = _read(tmp_path, "trades.csv")
    assert result.rows_rejected == 0
    assert result.frame["bid"].is_null().all() and result.frame["ask"].is_null().all()


def test_quotes_files_are_quotes(tmp_path: Path) -> None:
    session = tmp_path / DAY.isoformat()
    _write(
        session / "opt_q.csv", OPTION_QUOTES, [*_option_quotes(), f"{SPXW},302,x,5,302,1,5,9,{NS}"]
    )
    _write(
        session / "stk_q.csv.gz",
        STOCK_QUOTES,
        [f"SPY,11,600.15,3,12,600.10,4,,,{NS},1,{NS},1,"],
        gz=True,
    )
    detected, result = _read(tmp_path, "opt_q.csv")
    assert (detected.fmt, detected.kind) == ("polygon-option-quotes", Kind.QUOTES)
    assert (result.rows_read, result.rows_rejected) == (5, 1)
    first = result.frame.row(0, named=True)
    assert (first["key"], first["bid"], first["ask"]) == ("SPXW260918P07600000", 12.3, 12.7)
    assert first["ts"] == datetime(2026, 4, 8, 13, 29, 59, tzinfo=UTC)
    assert result.rejects.row(0, named=True)["line"] == 6
    detected, result = _read(tmp_path, "stk_q.csv.gz")
    assert (detected.fmt, detected.kind) == ("polygon-stock-quotes", Kind.QUOTES)
    row = result.frame.row(0, named=True)
    assert (row["key"], row["bid"], row["ask"], row["bid_size"], row["ask_size"]) == (
        "SPY",
        600.1,
        600.15,
        4.0,
        3.0,
    )


def test_stock_trades_keep_off_exchange_prints_with_the_nbbo(tmp_path: Path) -> None:
    session = tmp_path / DAY.isoformat()
    rows = [
        f'SPY,"12,37",0,4,T1,{NS},600.12,1,{NS},100,1,202,{NS}',  # line 2: FINN, Form T
        f"SPY,,0,11,T2,{NS},600.11,2,{NS + SEC},200,1,,",  # line 3: Arca (lit): skipped
        f"SPY,,1,4,T3,{NS},600.13,3,{NS + 2 * SEC},300,1,201,{NS}",  # line 4: FINY, corrected
        f"SPY,4,0,4,T4,{NS},600.14,4,{NS + 3 * SEC},400,1,,",  # line 5: exchange 4, no trf_id
        f"SPY,,0,4,T5,{NS},-1,5,{NS + 4 * SEC},500,1,203,{NS}",  # line 6: negative price
    ]
    _write(session / "stocks.csv", STOCK_TRADES, rows)
    _write(
        session / "nbbo.csv",
        STOCK_QUOTES,
        [
            f"SPY,11,600.15,3,12,600.10,4,,,{NS - SEC},1,{NS - SEC},1,",
            f"SPY,11,600.16,3,12,600.11,4,,,{NS + SEC},2,{NS + SEC},1,",
        ],
    )
    detected, result = _read(tmp_path, "stocks.csv")
    assert (detected.fmt, detected.kind) == ("polygon-stock-trades", Kind.OFFEX_PRINTS)
    assert (result.rows_read, result.rows_rejected) == (4, 1)
    by_id = {r["trade_id"]: r for r in result.frame.iter_rows(named=True)}
    assert set(by_id) == {"T1", "T3", "T4"}
    assert (by_id["T1"]["venue"], by_id["T1"]["conditions"]) == ("FINN", "T,I")
    assert (by_id["T1"]["bid"], by_id["T1"]["ask"], by_id["T1"]["notional"]) == (
        600.1,
        600.15,
        60012.0,
    )
    assert (by_id["T3"]["venue"], by_id["T3"]["conditions"]) == ("FINY", "CANC")
    assert (by_id["T3"]["bid"], by_id["T3"]["ask"]) == (600.11, 600.16)
    # Polygon id 4 is "Bunched Trade" (B), never the "4" (derivatively priced) letter code.
    assert (by_id["T4"]["venue"], by_id["T4"]["conditions"]) == ("FINRA", "B")
    assert result.rejects.row(0, named=True)["line"] == 6
    assert "price" in result.rejects.row(0, named=True)["reason"]


def test_renamed_files_are_recognised_and_canonical_csv_is_not_claimed(tmp_path: Path) -> None:
    session = tmp_path / DAY.isoformat()
    _write(session / "darkpool.csv", OPTION_TRADES, _option_trades()[:1])
    _write(session / "options.csv", STOCK_TRADES, [f"SPY,,0,4,T1,{NS},1,1,{NS},1,1,202,{NS}"])
    _write(
        session / "canonical.csv",
        "ts,underlying,expiry,strike,right,price,size,bid,ask",
        ["2026-04-08 09:30:00,SPY,2026-04-10,520,C,1.25,1,1.2,1.3"],
    )
    # The header alone does not decide between option and stock files: the tickers do.
    _write(session / "odd.csv", OPTION_TRADES, ["SPY,209,0,302,1.0,1,1"])
    sniffed = {p.name: sniff_file(p) for p in session.iterdir()}
    fmts = {n: s.fmt for n, s in sniffed.items() if isinstance(s, Detected)}
    assert fmts == {
        "darkpool.csv": "polygon-option-trades",
        "options.csv": "polygon-stock-trades",
        "canonical.csv": "csv",
    }
