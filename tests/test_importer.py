"""flowterm import: canonical Parquet in the right places, idempotent, sources untouched."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from flowterm.core.catalog import scan_catalog
from flowterm.core.importer import import_all
from flowterm.core.readers import read_file
from flowterm.core.schema import Kind
from flowterm.tui.cli import app

OPTIONS = """ts,underlying,expiry,strike,right,price,size,bid,ask
2026-04-07 15:59:00,SPY,2026-04-10,520,C,1.25,10,1.20,1.25
2026-04-08 09:30:01,SPY,2026-04-10,520,C,1.25,10,1.20,1.25
2026-04-08 09:31:00,SPY,2026-04-10,520,P,-2.00,5,1.9,2.1
2026-04-08 09:32:00,QQQ,2026-04-10,450,P,2.00,5,1.9,2.1
"""
BARS = "date,o,h,l,c,v\n2026-04-07,1,2,0.5,1.5,100\n2026-04-08,1.5,2.5,1.0,2.0,120\n"


def _sources(tmp_path: Path) -> Path:
    src = tmp_path / "downloads"
    src.mkdir()
    (src / "flow export.csv").write_text(OPTIONS, encoding="utf-8")
    (src / "NVDA.csv").write_text(BARS, encoding="utf-8")
    (src / "notes.md").write_text("hello", encoding="utf-8")
    return src


def _rows(into: Path, kind: Kind) -> int:
    catalog = scan_catalog(into)
    return sum(read_file(f).frame.height for f in catalog.of_kind(kind))


def test_rows_land_in_their_session_and_bars_in_bars(tmp_path: Path) -> None:
    src = _sources(tmp_path)
    into = tmp_path / "data"
    results = import_all([src], into)
    by_name = {r.source.name: r for r in results}
    assert by_name["notes.md"].skipped is not None
    options = by_name["flow export.csv"]
    assert (options.rows_read, options.rows_rejected) == (4, 1)
    assert "price ≤ 0" in options.reasons[0][0]
    catalog = scan_catalog(into)
    assert catalog.sessions == (date(2026, 4, 7), date(2026, 4, 8))
    assert len(catalog.of_kind(Kind.OPTION_PRINTS, date(2026, 4, 7))) == 1
    assert _rows(into, Kind.OPTION_PRINTS) == 3
    (bars,) = catalog.of_kind(Kind.DAILY_BARS)
    assert bars.rel.startswith("bars/")
    assert read_file(bars).frame["symbol"].unique().to_list() == ["NVDA"]


def test_importing_twice_does_not_duplicate_rows(tmp_path: Path) -> None:
    src = _sources(tmp_path)
    into = tmp_path / "data"
    import_all([src], into)
    again = import_all([src], into)
    assert any(r.replaced for r in again)
    assert _rows(into, Kind.OPTION_PRINTS) == 3
    assert _rows(into, Kind.DAILY_BARS) == 2


def test_sources_are_never_modified(tmp_path: Path) -> None:
    src = _sources(tmp_path)
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in src.iterdir()}
    import_all([src], tmp_path / "data")
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in src.iterdir()} == before


def test_session_option_puts_every_row_in_that_session(tmp_path: Path) -> None:
    src = tmp_path / "x.csv"
    src.write_text(OPTIONS, encoding="utf-8")
    into = tmp_path / "data"
    (result,) = import_all([src], into, session=date(2026, 4, 8))
    # the 04-07 print is outside the named session: set aside, like the catalog would
    assert result.rows_rejected == 2
    assert scan_catalog(into).sessions == (date(2026, 4, 8),)
    written = pl.read_parquet(result.written[0][0])
    assert written["session"].unique().to_list() == [date(2026, 4, 8)]


def test_cli_import_reports_and_exits(tmp_path: Path) -> None:
    src = _sources(tmp_path)
    into = tmp_path / "data"
    result = CliRunner().invoke(app, ["import", str(src), "--into", str(into)])
    assert result.exit_code == 1  # one row set aside, one file not imported
    assert "price ≤ 0" in result.output
    assert "not imported" in result.output
    assert CliRunner().invoke(app, ["validate", str(into)]).exit_code == 0
    missing = CliRunner().invoke(app, ["import", str(tmp_path / "nope"), "--into", str(into)])
    assert missing.exit_code == 2


def test_a_chain_downloaded_on_saturday_belongs_to_friday(tmp_path: Path) -> None:
    src = tmp_path / "chain.csv"
    src.write_text(
        "as_of,underlying,spot,expiry,strike,right,open_interest,iv\n"
        "2026-04-11T14:00:00-04:00,SPY,678.0,2026-04-17,680,C,1000,0.2\n"
        "2026-04-10T16:00:00-04:00,SPY,678.0,2026-04-17,680,P,900,0.21\n",
        encoding="utf-8",
    )
    into = tmp_path / "data"
    (result,) = import_all([src], into)
    assert result.rows_rejected == 0
    assert scan_catalog(into).sessions == (date(2026, 4, 10),)
