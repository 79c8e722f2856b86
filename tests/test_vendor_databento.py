"""Databento DBN files (FORMATS.md §7): OPRA trades/tbbo as option prints, TRF prints as
off-exchange prints, definition/statistics files as reference data; real samples when present."""

from __future__ import annotations

import io
import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import databento_dbn as dbn
import polars as pl
import pytest

from flowterm.core.catalog import Catalog, DataFile, scan_catalog
from flowterm.core.readers import FileResult, read_file
from flowterm.core.schema import Kind
from flowterm.core.sniff import Detected, NotData, sniff_file
from flowterm.core.vendors import databento

REAL = Path(__file__).resolve().parents[2] / "shared" / "realdata" / "databento"
SAMPLE = "OPRA.PILLAR_test_data.{}.dbn.zst"
DAY = date(2025, 2, 20)
IID = 16783963
OSI_PADDED = "AAPL  250221C00250000"
T0 = 1740061800817657088  # 2025-02-20 14:30:00.817657088 UTC
START = 1740009600000000000
END = 1740096000000000000


def _real(schema: str) -> Path:
    path = REAL / SAMPLE.format(schema)
    if not path.exists():
        pytest.skip("real Databento samples not present")
    return path


def _session(root: Path, *files: Path, names: tuple[str, ...] = ()) -> Path:
    folder = root / DAY.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    for i, f in enumerate(files):
        shutil.copy(f, folder / (names[i] if i < len(names) else f.name))
    return folder


def _results(catalog: Catalog) -> dict[str, tuple[DataFile, FileResult]]:
    return {f.path.name: (f, read_file(f)) for f in catalog.files}


# ------------------------------------------------------------------------------------------
# Synthetic DBN files written with databento-dbn itself


def _metadata(
    schema: dbn.Schema, mappings: dict[str, int], dataset: str = "OPRA.PILLAR"
) -> dbn.Metadata:
    maps = [
        SimpleNamespace(
            raw_symbol=sym,
            intervals=[SimpleNamespace(start_date=DAY, end_date=date(2025, 2, 21), symbol=str(i))],
        )
        for sym, i in mappings.items()
    ]
    return dbn.Metadata(
        dataset=dataset,
        start=START,
        stype_in=dbn.SType("raw_symbol"),
        stype_out=dbn.SType("instrument_id"),
        schema=schema,
        symbols=list(mappings),
        mappings=maps,
        end=END,
    )


def _tbbo(
    iid: int, t: int, price: int, bid: int, ask: int, side: str = "N", publisher: int = 23
) -> dbn.MBP1Msg:
    return dbn.MBP1Msg(
        publisher_id=publisher,
        instrument_id=iid,
        ts_event=t,
        price=price,
        size=3,
        action=dbn.Action("T"),
        side=dbn.Side(side),
        depth=0,
        ts_recv=t + 1000,
        flags=194,
        levels=dbn.BidAskPair(bid_px=bid, ask_px=ask, bid_sz=1, ask_sz=2, bid_ct=0, ask_ct=0),
    )


def _write(path: Path, meta: dbn.Metadata, records: list[Any], zstd: bool = True) -> Path:
    raw = bytes(meta) + b"".join(bytes(r) for r in records)
    if zstd:
        buf = io.BytesIO()
        coder = dbn.Transcoder(
            buf, encoding=dbn.Encoding("dbn"), compression=dbn.Compression("zstd")
        )
        coder.write(raw)
        coder.flush()
        raw = buf.getvalue()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(raw)
    return path


def _definition(
    iid: int, raw_symbol: str, underlying: str, strike: float, expiry: int
) -> dbn.InstrumentDefMsg:
    return dbn.InstrumentDefMsg(
        publisher_id=30,
        instrument_id=iid,
        ts_event=START + 1,
        ts_recv=START + 2,
        min_price_increment=dbn.UNDEF_PRICE,
        display_factor=dbn.UNDEF_PRICE,
        raw_symbol=raw_symbol,
        underlying=underlying,
        asset=underlying,
        security_type="OPT",
        instrument_class=dbn.InstrumentClass(raw_symbol[12]),
        strike_price=round(strike * 1e9),
        expiration=expiry,
        security_update_action=dbn.SecurityUpdateAction("A"),
    )


def _stat(iid: int, t: int, quantity: int, publisher: int) -> dbn.StatMsg:
    return dbn.StatMsg(
        publisher_id=publisher,
        instrument_id=iid,
        ts_event=t,
        ts_recv=t + 5,
        ts_ref=dbn.UNDEF_TIMESTAMP,
        price=dbn.UNDEF_PRICE,
        quantity=quantity,
        sequence=1,
        ts_in_delta=0,
        stat_type=dbn.StatType(9),
        channel_id=1,
        update_action=dbn.StatUpdateAction(1),
        stat_flags=0,
    )


# ------------------------------------------------------------------------------------------
# Real samples


def test_real_tbbo_with_definition_and_statistics(tmp_path: Path) -> None:
    files = [_real(s) for s in ("tbbo", "definition", "statistics")]
    _session(tmp_path, *files)
    results = _results(scan_catalog(tmp_path))
    source, tbbo = results[SAMPLE.format("tbbo")]
    assert source.detected.fmt == "databento-dbn" and source.kind is Kind.OPTION_PRINTS
    assert (tbbo.rows_read, tbbo.rows_rejected, tbbo.error) == (4, 0, None)
    first = tbbo.frame.row(0, named=True)
    assert first["ts"] == datetime(2025, 2, 20, 14, 30, 0, 817657, tzinfo=UTC)
    assert first["ts"].tzinfo is not None
    assert tbbo.frame["ts"].cast(pl.Int64)[0] == T0  # nanoseconds kept
    assert (first["underlying"], first["root"], first["right"]) == ("AAPL", "AAPL", "C")
    assert (first["expiry"], first["strike"]) == (date(2025, 2, 21), 250.0)
    assert (first["price"], first["bid"], first["ask"]) == (0.24, 0.24, 0.25)
    assert (first["size"], first["exchange"], first["vendor_side"]) == (1, "EMLD", None)
    assert first["open_interest"] == 57924
    assert first["osi"] == "AAPL250221C00250000"
    assert tbbo.frame["exchange"].to_list() == ["EMLD", "XISX", "XISX", "MXOP"]
    assert tbbo.frame["price"].to_list() == [0.24, 0.2, 0.19, 0.19]
    assert tbbo.frame["bid"].to_list() == [0.24, 0.18, 0.18, 0.19]
    assert tbbo.frame["ask"].to_list() == [0.25, 0.22, 0.22, 0.21]
    assert [p.name for p in databento.companions(source.path)] == [
        SAMPLE.format("definition"),
        SAMPLE.format("statistics"),
    ]
    skipped = {s.rel.rsplit("/", 1)[-1]: s for s in scan_catalog(tmp_path).skipped}
    for name in ("definition", "statistics"):
        assert SAMPLE.format(name) not in results
        ref = skipped[SAMPLE.format(name)]
        assert not ref.unreadable
        assert "read with the trades/tbbo file beside it" in ref.reason


def test_real_trades_alone_resolves_symbols_from_metadata(tmp_path: Path) -> None:
    _session(tmp_path, _real("trades"))
    (source, result), *_ = _results(scan_catalog(tmp_path)).values()
    assert source.detected.fmt == "databento-dbn"
    assert (result.rows_read, result.rows_rejected) == (4, 0)
    assert result.frame["bid"].is_null().all() and result.frame["ask"].is_null().all()
    assert result.frame["open_interest"].is_null().all()
    assert result.frame["osi"].unique().to_list() == ["AAPL250221C00250000"]
    assert result.frame["size"].to_list() == [1, 2, 1, 4]


def test_real_trades_beside_tbbo_are_not_counted_twice(tmp_path: Path) -> None:
    _session(tmp_path, _real("trades"), _real("tbbo"))
    results = _results(scan_catalog(tmp_path))
    _, trades = results[SAMPLE.format("trades")]
    _, tbbo = results[SAMPLE.format("tbbo")]
    assert (tbbo.rows_read, tbbo.rows_rejected) == (4, 0)
    assert (trades.rows_read, trades.rows_rejected) == (4, 4)
    assert trades.rejects["line"].to_list() == [1, 2, 3, 4]
    assert all("same prints as OPRA.PILLAR" in r for r in trades.rejects["reason"])


def test_real_sample_renamed_is_still_recognised(tmp_path: Path) -> None:
    folder = _session(tmp_path, _real("tbbo"), names=("export.zst",))
    sniffed = sniff_file(folder / "export.zst")
    assert isinstance(sniffed, Detected) and sniffed.fmt == "databento-dbn"


# ------------------------------------------------------------------------------------------
# Synthetic files: each quirk


def test_metadata_symbols_undef_price_side_and_unmapped_instrument(tmp_path: Path) -> None:
    folder = tmp_path / DAY.isoformat()
    spxw = "SPXW  250221P05900000"
    records = [
        _tbbo(1, T0, 12_500_000_000, 12_400_000_000, 12_600_000_000, side="B"),
        _tbbo(1, T0 + 1, dbn.UNDEF_PRICE, 12_400_000_000, 12_600_000_000),
        _tbbo(1, T0 + 2, 12_450_000_000, dbn.UNDEF_PRICE, dbn.UNDEF_PRICE, side="A"),
        _tbbo(99, T0 + 3, 1_000_000_000, 900_000_000, 1_100_000_000),
    ]
    _write(folder / "spx.tbbo.dbn.zst", _metadata(dbn.Schema("tbbo"), {spxw: 1}), records)
    (source, result), *_ = _results(scan_catalog(tmp_path)).values()
    assert source.detected.fmt == "databento-dbn"
    assert (result.rows_read, result.rows_rejected) == (4, 2)
    good = result.frame
    assert good["underlying"].to_list() == ["SPX", "SPX"]
    assert good["root"].to_list() == ["SPXW", "SPXW"]
    assert good["strike"].to_list() == [5900.0, 5900.0]
    assert good["right"].to_list() == ["P", "P"]
    assert good["price"].to_list() == [12.5, 12.45]
    assert good["bid"].to_list() == [12.4, None]  # UNDEF_PRICE → empty, not a reject
    assert good["vendor_side"].to_list() == ["ask", "bid"]
    rejects = dict(zip(result.rejects["line"], result.rejects["reason"], strict=True))
    assert rejects[2] == "missing price"
    assert "no symbol for instrument_id 99" in rejects[4]


def test_uncompressed_dbn_and_definition_sibling(tmp_path: Path) -> None:
    folder = tmp_path / DAY.isoformat()
    expiry = int(datetime(2025, 3, 21, tzinfo=UTC).timestamp()) * 1_000_000_000
    # The prints' metadata maps instrument 7 to a parent symbol (not OSI): only the definition
    # file beside it can say which contract it is.
    _write(
        folder / "prints.dbn",
        _metadata(dbn.Schema("trades"), {"QQQ.OPT": 7}),
        [
            dbn.TradeMsg(
                publisher_id=22,
                instrument_id=7,
                ts_event=T0,
                price=3_210_000_000,
                size=5,
                action=dbn.Action("T"),
                side=dbn.Side("N"),
                depth=0,
                ts_recv=T0 + 10,
            )
        ],
        zstd=False,
    )
    _write(
        folder / "defs.dbn.zst",
        _metadata(dbn.Schema("definition"), {}),
        [_definition(7, "QQQ   250321C00500000", "QQQ", 500.0, expiry)],
    )
    catalog = scan_catalog(tmp_path)
    results = _results(catalog)
    source, result = results["prints.dbn"]
    assert source.detected.fmt == "databento-dbn"
    assert "defs.dbn.zst" not in results
    assert any(s.rel.endswith("defs.dbn.zst") for s in catalog.ignored)
    assert (result.rows_read, result.rows_rejected) == (1, 0)
    row = result.frame.row(0, named=True)
    assert (row["underlying"], row["root"], row["expiry"]) == ("QQQ", "QQQ", date(2025, 3, 21))
    assert (row["strike"], row["right"], row["price"], row["exchange"]) == (
        500.0,
        "C",
        3.21,
        "XCBO",
    )


def test_open_interest_deduplicated_and_as_of_the_print(tmp_path: Path) -> None:
    folder = tmp_path / DAY.isoformat()
    meta = _metadata(dbn.Schema("tbbo"), {OSI_PADDED: IID})
    _write(
        folder / "a.tbbo.dbn.zst",
        meta,
        [_tbbo(IID, T0, 240_000_000, 230_000_000, 250_000_000)],
    )
    stats = [
        _stat(IID, T0 - 3_600_000_000_000, 57924, publisher)
        for publisher in (37, 31, 23, 24)  # the same OI from every venue
    ] + [_stat(IID, T0 + 60_000_000_000, 60000, 23)]  # published after the print: not used
    _write(folder / "a.statistics.dbn.zst", _metadata(dbn.Schema("statistics"), {}), stats)
    (_, result) = _results(scan_catalog(tmp_path))["a.tbbo.dbn.zst"]
    assert result.frame["open_interest"].to_list() == [57924]


def test_equities_keep_only_trf_prints(tmp_path: Path) -> None:
    folder = tmp_path / DAY.isoformat()
    venues = databento.publisher_venues()
    finn = next(p for p, v in venues.items() if v == "FINN")
    lit = next(p for p, v in venues.items() if v == "XNAS")
    records = [
        _tbbo(5, T0, 600_120_000_000, 600_100_000_000, 600_150_000_000, "B", publisher=finn),
        _tbbo(5, T0 + 1, 600_110_000_000, 600_100_000_000, 600_150_000_000, "A", publisher=lit),
    ]
    _write(
        folder / "spy.tbbo.dbn.zst",
        _metadata(dbn.Schema("tbbo"), {"SPY": 5}, dataset="XNAS.BASIC"),
        records,
    )
    (source, result), *_ = _results(scan_catalog(tmp_path)).values()
    assert source.detected.fmt == "databento-dbn-equities"
    assert source.kind is Kind.OFFEX_PRINTS
    assert (result.rows_read, result.rows_rejected) == (1, 0)
    row = result.frame.row(0, named=True)
    assert (row["symbol"], row["venue"], row["price"]) == ("SPY", "FINN", 600.12)
    assert (row["bid"], row["ask"], row["size"]) == (600.1, 600.15, 3.0)


def test_not_dbn_is_not_claimed(tmp_path: Path) -> None:
    folder = tmp_path / DAY.isoformat()
    folder.mkdir(parents=True)
    (folder / "junk.zst").write_bytes(b"\x28\xb5\x2f\xfd" + b"\x00" * 64)
    (folder / "junk.dbn").write_bytes(b"DBN\x03garbage")
    canonical = "ts,underlying,expiry,strike,right,price,size,bid,ask\n"
    canonical += "2025-02-20 09:30:00,SPY,2025-02-21,600,C,1.0,1,0.9,1.1\n"
    (folder / "options.csv").write_text(canonical, encoding="utf-8")
    assert isinstance(sniff_file(folder / "junk.zst"), NotData)
    assert isinstance(sniff_file(folder / "junk.dbn"), NotData)
    sniffed = sniff_file(folder / "options.csv")
    assert isinstance(sniffed, Detected) and sniffed.fmt == "csv"


def test_layout_fast_path_matches_attributes() -> None:
    for kind in (dbn.TradeMsg, dbn.MBP1Msg, dbn.CMBP1Msg):
        assert databento._layout_holds(kind)
    assert databento.publisher_venues()[23] == "EMLD"
