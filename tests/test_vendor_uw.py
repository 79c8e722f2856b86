"""Unusual Whales (FORMATS.md §10): stream captures and the bot EOD report as option prints,
dark-pool JSON as off-exchange prints; the real TSLA capture when present."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from flowterm.core.catalog import scan_catalog
from flowterm.core.readers import FileResult, read_file
from flowterm.core.schema import Kind
from flowterm.core.sniff import Detected, NotData, sniff_file
from flowterm.core.vendors.unusual_whales import capture_summary

REAL = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "realdata"
    / "vendor_flow"
    / "uw_ws_option_trades_TSLA_2025-05-16.txt"
)
DAY = date(2025, 5, 16)
MS = 1747419592926  # 2025-05-16 18:19:52.926 UTC


def _read(root: Path, name: str) -> tuple[Detected, FileResult]:
    source = next(f for f in scan_catalog(root).files if f.path.name == name)
    return source.detected, read_file(source)


def _trade(**changes: object) -> dict[str, object]:
    record: dict[str, object] = {
        "id": "6be96098",
        "underlying_symbol": "TSLA",
        "executed_at": MS,
        "nbbo_bid": "0.07",
        "nbbo_ask": "0.08",
        "size": 23,
        "price": "0.08",
        "option_symbol": "TSLA250516C00355000",
        "report_flags": [],
        "tags": ["ask_side", "bullish"],
        "expiry": "2025-05-16",
        "option_type": "call",
        "open_interest": 30726,
        "strike": "355",
        "underlying_price": "347.17",
        "implied_volatility": "0.0478858048818649",
        "delta": "0.03977270195386351",
        "gamma": "0.0195661969523479",
        "trade_code": "auto",
        "exchange": "GMNI",
        "canceled": False,
    }
    record.update(changes)
    return record


# ------------------------------------------------------------------------------------------
# Stream capture


def test_real_capture(tmp_path: Path) -> None:
    if not REAL.exists():
        pytest.skip("real Unusual Whales capture not present")
    folder = tmp_path / DAY.isoformat()
    folder.mkdir()
    (folder / REAL.name).write_bytes(REAL.read_bytes())
    detected, result = _read(tmp_path, REAL.name)
    assert (detected.fmt, detected.kind) == ("uw-stream-capture", Kind.OPTION_PRINTS)
    assert (result.rows_read, result.rows_rejected, result.error) == (17, 0, None)
    first = result.frame.row(0, named=True)
    assert first["ts"] == datetime(2025, 5, 16, 18, 19, 52, 926000, tzinfo=UTC)
    assert (first["underlying"], first["root"], first["osi"]) == (
        "TSLA",
        "TSLA",
        "TSLA250516C00355000",
    )
    assert (first["expiry"], first["strike"], first["right"]) == (date(2025, 5, 16), 355.0, "C")
    assert (first["price"], first["size"], first["bid"], first["ask"]) == (0.07, 1, 0.07, 0.08)
    assert (first["vendor_side"], first["conditions"], first["exchange"]) == ("bid", "AUTO", "GMNI")
    assert (first["open_interest"], first["underlying_price"]) == (30726, 347.17)
    assert first["iv"] == pytest.approx(0.0478858048818649)
    assert first["trade_id"] == "6be96098-1e54-4397-9166-46bf4a7636a3"
    assert result.frame["vendor_side"].value_counts().sort("vendor_side").rows() == [
        ("ask", 5),
        ("bid", 6),
        ("mid", 6),
    ]
    assert result.frame["conditions"].value_counts().sort("conditions").rows() == [
        ("AUTO", 11),
        ("MLAT", 4),
        ("SLAN", 2),
    ]
    last = result.frame.row(-1, named=True)
    assert (last["right"], last["strike"], last["osi"]) == ("P", 340.0, "TSLA250516P00340000")
    # Line 1 is the subscription acknowledgement, line 18 the "# ... removed" comment.
    assert capture_summary(folder / REAL.name) == {
        "trade": 17,
        "control": 1,
        "comment": 1,
        "blank": 1,
    }


def test_capture_quirks(tmp_path: Path) -> None:
    folder = tmp_path / DAY.isoformat()
    folder.mkdir()
    local = "2025-05-16 13:19:51.910894"
    bare = _trade()
    for key in ("expiry", "strike", "option_type"):
        del bare[key]  # expiry, strike and right then come from the OSI symbol
    lines = [
        f"{local}|option_trades:TSLA|{{'response': {{}}, 'status': 'ok'}}",  # 1: ack, skipped
        f"{local}|option_trades:TSLA|{_trade()!r}",  # 2
        f"{local}|flow-alerts|{{'ticker': 'TSLA', 'rule_name': 'RepeatedHits'}}",  # 3: skipped
        f"{local}|option_trades:TSLA|{_trade(canceled=True, report_flags=['sweep'])!r}",  # 4
        "# ... removed 900+ lines for brevity",  # 5: skipped
        f"{local}|option_trades:TSLA|{{'id': 'x', 'price': '1.0'",  # 6: cut short → reject
        "garbage without separators",  # 7: reject
        f"{local}|option_trades:TSLA|{_trade(price='-1')!r}",  # 8: negative price → reject
        f"{local}|option_trades:TSLA|{json.dumps(_trade(id='j', tags=['no_side']))}",  # 9: JSON
        f"{local}|option_trades:TSLA|{bare | {'id': 'b'}!r}",  # 10
        "",
    ]
    (folder / "capture.txt").write_text("\n".join(lines), encoding="utf-8")
    detected, result = _read(tmp_path, "capture.txt")
    assert detected.fmt == "uw-stream-capture"
    assert (result.rows_read, result.rows_rejected) == (7, 3)
    frame = result.frame
    assert frame["vendor_side"].to_list() == ["ask", "ask", "no_side", "ask"]
    assert frame["conditions"].to_list() == ["AUTO", "CANC,AUTO,SWEEP", "AUTO", "AUTO"]
    assert frame["ts"].to_list() == [datetime(2025, 5, 16, 18, 19, 52, 926000, tzinfo=UTC)] * 4
    from_osi = frame.row(3, named=True)
    assert (from_osi["expiry"], from_osi["strike"], from_osi["right"]) == (
        date(2025, 5, 16),
        355.0,
        "C",
    )
    rejects = dict(zip(result.rejects["line"], result.rejects["reason"], strict=True))
    assert set(rejects) == {6, 7, 8}
    assert "record does not parse" in rejects[6]
    assert "time|channel|record" in rejects[7]
    assert rejects[8] == "price ≤ 0 (-1.0)"
    assert capture_summary(folder / "capture.txt")["channel flow-alerts"] == 1


def test_capture_sniffing_is_strict(tmp_path: Path) -> None:
    local = "2025-05-16 13:19:51.910894"
    only_alerts = tmp_path / "alerts.txt"
    only_alerts.write_text(f"{local}|flow-alerts|{{'ticker': 'TSLA'}}\n", encoding="utf-8")
    finra = tmp_path / "shvol.txt"
    finra.write_text("Date|Symbol|ShortVolume|TotalVolume|Market\n20250516|A|1|2|Q\n1\n")
    renamed = tmp_path / "notes.txt"
    renamed.write_text(f"{local}|option_trades|{_trade()!r}\n", encoding="utf-8")
    assert isinstance(sniff_file(only_alerts), NotData)
    finra_sniffed = sniff_file(finra)
    assert isinstance(finra_sniffed, Detected) and finra_sniffed.fmt == "csv"
    renamed_sniffed = sniff_file(renamed)
    assert isinstance(renamed_sniffed, Detected) and renamed_sniffed.fmt == "uw-stream-capture"


# ------------------------------------------------------------------------------------------
# Bot EOD report

BOT_HEADER = (
    "executed_at,underlying_symbol,option_chain_id,side,strike,option_type,expiry,"
    "underlying_price,nbbo_bid,nbbo_ask,ewma_nbbo_bid,ewma_nbbo_ask,price,size,premium,volume,"
    "open_interest,implied_volatility,delta,theta,gamma,vega,rho,theo,sector,exchange,"
    "report_flags,canceled,upstream_condition_detail,equity_type"
)


def _bot_row(executed_at: str, side: str, price: str, flags: str, canceled: str) -> str:
    return (
        f"{executed_at},SPY,SPY260424C00700000,{side},700,call,2026-04-24,702.5,1.20,1.30,"
        f"1.2,1.3,{price},10,1250,5000,12000,0.18,0.52,-0.3,0.04,0.2,0.01,1.25,ETF,XCBO,"
        f'"{flags}",{canceled},auto,ETF'
    )


def test_bot_eod_report(tmp_path: Path) -> None:
    folder = tmp_path / "2026-04-23"
    folder.mkdir()
    rows = [
        _bot_row("2026-04-23 13:30:00+00", "ask", "1.30", "{sweep,floor}", "f"),  # line 2
        _bot_row("2026-04-23 13:30:01.5+00", "no_side", "1.25", "{}", "t"),  # line 3
        _bot_row("2026-04-23 13:30:02+00", "bid", "n/a", "{}", "f"),  # line 4
        _bot_row("2026-04-24 13:30:02+00", "bid", "1.2", "{}", "f"),  # line 5: next session
    ]
    (folder / "bot-eod-report-2026-04-23.csv").write_text(
        "\n".join([BOT_HEADER, *rows]) + "\n", encoding="utf-8"
    )
    detected, result = _read(tmp_path, "bot-eod-report-2026-04-23.csv")
    assert (detected.fmt, detected.kind) == ("uw-bot-eod", Kind.OPTION_PRINTS)
    assert (result.rows_read, result.rows_rejected) == (4, 2)
    first, second = result.frame.iter_rows(named=True)
    assert first["ts"] == datetime(2026, 4, 23, 13, 30, tzinfo=UTC)
    assert (first["underlying"], first["root"], first["strike"], first["right"]) == (
        "SPY",
        "SPY",
        700.0,
        "C",
    )
    assert (first["bid"], first["ask"], first["price"], first["size"]) == (1.2, 1.3, 1.3, 10)
    assert (first["vendor_side"], first["conditions"]) == ("ask", "SWEEP,FLOOR,AUTO")
    assert (first["iv"], first["open_interest"], first["exchange"]) == (0.18, 12000, "XCBO")
    assert second["ts"] == datetime(2026, 4, 23, 13, 30, 1, 500000, tzinfo=UTC)
    assert (second["vendor_side"], second["conditions"]) == ("no_side", "CANC,AUTO")
    rejects = dict(zip(result.rejects["line"], result.rejects["reason"], strict=True))
    assert rejects[4] == "unparseable price 'n/a'"
    assert "outside session 2026-04-23" in rejects[5]


def test_bot_eod_sniffing(tmp_path: Path) -> None:
    renamed = tmp_path / "tape.csv"
    renamed.write_text(BOT_HEADER + "\n", encoding="utf-8")
    sniffed = sniff_file(renamed)
    assert isinstance(sniffed, Detected) and sniffed.fmt == "uw-bot-eod"
    # Fewer columns: a canonical-looking file for the canonical reader, not the UW format.
    partial = tmp_path / "flow.csv"
    partial.write_text(
        "executed_at,underlying_symbol,expiry,strike,option_type,price,size,nbbo_bid,nbbo_ask\n",
        encoding="utf-8",
    )
    sniffed = sniff_file(partial)
    assert isinstance(sniffed, Detected) and sniffed.fmt == "csv"


# ------------------------------------------------------------------------------------------
# Dark-pool JSON


def _print(**changes: object) -> dict[str, object]:
    record: dict[str, object] = {
        "canceled": False,
        "executed_at": "2025-05-16T18:23:24Z",
        "ext_hour_sold_codes": None,
        "market_center": "L",
        "nbbo_ask": "258.6",
        "nbbo_ask_quantity": 97,
        "nbbo_bid": "258.5",
        "nbbo_bid_quantity": 40,
        "premium": "2429171.55",
        "price": "258.45",
        "sale_cond_codes": None,
        "size": 9399,
        "ticker": "AAPL",
        "tracking_id": 71984388012245,
        "trade_code": None,
        "trade_settlement": "regular",
        "volume": 44915021,
    }
    record.update(changes)
    return record


@pytest.mark.parametrize("wrapped", [True, False])
def test_darkpool_json(tmp_path: Path, wrapped: bool) -> None:
    folder = tmp_path / DAY.isoformat()
    folder.mkdir()
    records: list[object] = [
        _print(),
        _print(ext_hour_sold_codes="extended_hours_trade", canceled=True, tracking_id=2),
        _print(sale_cond_codes="prior_reference_price", trade_settlement="next_day", tracking_id=3),
        _print(price="0", tracking_id=4),
        "not a record",
    ]
    data = {"data": records} if wrapped else records
    (folder / "aapl.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    detected, result = _read(tmp_path, "aapl.json")
    assert (detected.fmt, detected.kind) == ("uw-darkpool-json", Kind.OFFEX_PRINTS)
    assert (result.rows_read, result.rows_rejected) == (5, 2)
    first, second, third = result.frame.iter_rows(named=True)
    assert first["ts"] == datetime(2025, 5, 16, 18, 23, 24, tzinfo=UTC)
    assert (first["symbol"], first["price"], first["size"]) == ("AAPL", 258.45, 9399.0)
    assert (first["bid"], first["ask"], first["venue"]) == (258.5, 258.6, "L")
    assert (first["conditions"], first["trade_id"]) == (None, "71984388012245")
    assert first["notional"] == pytest.approx(258.45 * 9399)
    assert second["conditions"] == "CANC,T"
    assert third["conditions"] == "P,N"
    rejects = dict(zip(result.rejects["line"], result.rejects["reason"], strict=True))
    assert rejects[4] == "price ≤ 0 (0.0)"
    assert "not an object" in rejects[5]


def test_darkpool_sniffing_is_strict(tmp_path: Path) -> None:
    chain = tmp_path / "spy.json"
    chain.write_text(json.dumps({"data": {"options": [{"option": "SPY", "iv": 0.2}]}}))
    flow = tmp_path / "flow.json"
    flow.write_text(json.dumps([_print(option_chain="SPY260424C00700000")]))
    renamed = tmp_path / "x.json"
    renamed.write_text(json.dumps([_print()]))
    for other in (chain, flow):
        sniffed = sniff_file(other)
        assert not (isinstance(sniffed, Detected) and sniffed.fmt == "uw-darkpool-json")
    sniffed = sniff_file(renamed)
    assert isinstance(sniffed, Detected) and sniffed.fmt == "uw-darkpool-json"
