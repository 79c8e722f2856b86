"""Reading and validating files of a data folder (FORMATS.md A.1–A.3).

Each case writes a small file by hand into a temporary data folder laid out as A.1, scans it with
``scan_catalog`` and reads it with ``read_file``: good rows are kept, a bad row is set aside with
its file (relative path), physical line number (header = line 1) and a reason.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest

from flowterm.core.catalog import Catalog, scan_catalog
from flowterm.core.readers import FileResult, read_file
from flowterm.core.schema import Kind

DAY = "2026-04-08"
OPTIONS_HEADER = "ts,underlying,expiry,strike,right,price,size,bid,ask"

# Physical lines of the option prints file below; line 1 is the header, line 5 is blank.
OPTIONS_LINES = [
    OPTIONS_HEADER,  # 1
    "2026-04-08 09:30:00,SPY,2026-04-10,520,C,1.25,10,1.20,1.30",  # 2 good
    "2026-04-08 09:31:00,SPY,2026-04-10,520,C,abc,10,1.20,1.30",  # 3 unparseable price
    "2026-04-08 09:32:00,SPY,2026-04-10,520,C,0,10,1.20,1.30",  # 4 price <= 0
    "",  # 5 blank
    "2026-04-08 09:33:00,SPY,2026-04-10,520,C,1.25,0,1.20,1.30",  # 6 size <= 0
    "2026-04-08 09:34:00,SPY,2026-04-10,520,X,1.25,10,1.20,1.30",  # 7 unknown right
    "2026-04-08 09:35:00,SPY,2026-04-07,520,C,1.25,10,1.20,1.30",  # 8 expiry before trade date
    "2026-04-08 09:36:00,SPY,2026-04-10,520,P,1.25,10,1.40,1.30",  # 9 crossed quote: kept
    "2026-04-09 09:37:00,SPY,2026-04-10,520,C,1.25,10,1.20,1.30",  # 10 outside session
    "2026-04-08 09:38:00,SPY,2026-04-10,520,C,1.25,10,1.20,1.30,EXTRA",  # 11 too many fields
    "2026-04-08 09:39:00,,2026-04-10,520,C,1.25,10,1.20,1.30",  # 12 missing underlying
    "2026-04-08 15:59:59,qqq,2026-04-17,450.5,put,2.50,3,,",  # 13 no quote: kept, bid/ask null
    "2026-04-09T01:00:00Z,SPY,2026-04-10,520,C,1.25,10,1.20,1.30",  # 14 21:00 ET on 04-08: kept
    "2026-04-08 09:40:00,SPY,2026-04-10,520,C,-1.5,10,1.20,1.30",  # 15 negative price
]

QUOTES_LINES = [
    "ts,key,bid,ask",
    "2026-04-08 09:30:00,SPY260410C00520000,1.20,1.30",  # 2 good
    "2026-04-08 09:30:01,SPY260410C00520000,1.35,1.30",  # 3 crossed: rejected
    "2026-04-08 09:30:02,SPY260410C00520000,1.30,1.30",  # 4 locked, not crossed: kept
]

CHAIN_LINES = [
    "as_of,underlying,spot,expiry,strike,right,open_interest,iv",
    "2026-04-08 16:00:00,SPY,521.5,2026-04-17,520,C,1500,0.18",
    "2026-04-08 16:00:00,SPY,521.5,2026-04-17,525,C,900,0",  # IV 0 means "no IV": kept as null
]

SHVOL_LINES = [
    "Date|Symbol|ShortVolume|ShortExemptVolume|TotalVolume|Market",
    "20260408|SPY|1000|10|2500|B,Q,N",
    "20260408|QQQ|600|0|500|B,Q,N",  # 3 short > total
    "20260408|AAPL|300|0|900|Q",
    "3",  # FINRA trailer: the record count, not a row
]

VIX_LINES = [
    "date,o,h,l,c,v",
    "2026-06-30,17.5400,17.7500,16.2700,16.4500,0",
    "2026-07-01,0,0,0,16.59,0",  # the real partial row: o=h=l=0
]

ALL_BARS_LINES = [
    "date,symbol,open,high,low,close,volume",
    "2026-04-06,SPY,510,515,508,514,1000000",
    "2026-04-07,SPY,514,512,516,513,900000",  # 3 high below low
    "2026-04-08,QQQ,440,445,438,444,",
]

MINI_LINES = [
    "ts,underlying,expiry,strike,right,price,size,bid,ask,multiplier",
    "2026-04-08 10:00:00,XSP,2026-04-10,52,C,0.50,4,0.45,0.55,10",
    "2026-04-08 10:00:01,SPY,2026-04-10,520,C,1.00,2,0.95,1.05,",
]


def _write_lines(path: Path, lines: list[str], *, newline: str = "\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((newline.join(lines) + newline).encode())
    return path


def _option_frame(ts: list[datetime]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "ts": ts,
            "underlying": ["SPY", "SPY"],
            "expiry": [date(2026, 4, 10), date(2026, 4, 10)],
            "strike": [520.0, 520.0],
            "right": ["C", "C"],
            "price": [1.25, 0.0],  # row 2: price 0
            "size": [10, 10],
            "bid": [1.20, 1.20],
            "ask": [1.30, 1.30],
        }
    )


def _build(root: Path) -> None:
    session = root / DAY
    _write_lines(session / "options.csv", OPTIONS_LINES)
    _write_lines(session / "options_mini.csv", MINI_LINES)
    _write_lines(session / "quotes.csv", QUOTES_LINES)
    _write_lines(session / "chain.csv", CHAIN_LINES)
    _write_lines(session / "CNMSshvol20260408.txt", SHVOL_LINES)
    _write_lines(root / "bars" / "VIX.csv", VIX_LINES)
    _write_lines(root / "bars" / "all.csv", ALL_BARS_LINES)
    # Off-exchange prints with invalid UTF-8 in a free-text column, CRLF line ends.
    (session / "darkpool.csv").write_bytes(
        b"ts,symbol,price,size,bid,ask,venue\r\n"
        b"2026-04-08 10:00:00,SPY,520.10,5000,520.05,520.15,D\xff\xfeX\r\n"
        b"2026-04-08 10:01:00,spy,520.20,100,,,FINRA\r\n"
    )
    # Parquet: one file with a tz-aware ts column, one with a naive (ET) one.
    aware = _option_frame(
        [datetime(2026, 4, 8, 13, 30, tzinfo=UTC), datetime(2026, 4, 8, 13, 31, tzinfo=UTC)]
    )
    aware.write_parquet(session / "options_aware.parquet")
    naive = _option_frame([datetime(2026, 4, 8, 9, 30), datetime(2026, 4, 8, 9, 31)])
    naive.write_parquet(session / "options_naive.parquet")


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("data")
    _build(root)
    return root


@pytest.fixture(scope="module")
def catalog(folder: Path) -> Catalog:
    return scan_catalog(folder)


@pytest.fixture(scope="module")
def results(catalog: Catalog) -> dict[str, FileResult]:
    return {f.rel: read_file(f) for f in catalog.files}


def _rejects(result: FileResult) -> dict[int, str]:
    assert result.error is None, result.error
    return dict(
        zip(result.rejects["line"].to_list(), result.rejects["reason"].to_list(), strict=True)
    )


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- the catalog of the test folder ------------------------------------------------------------


def test_every_file_is_recognised(catalog: Catalog) -> None:
    assert catalog.skipped == ()
    kinds = {f.rel: f.kind for f in catalog.files}
    assert kinds == {
        f"{DAY}/options.csv": Kind.OPTION_PRINTS,
        f"{DAY}/options_mini.csv": Kind.OPTION_PRINTS,
        f"{DAY}/options_aware.parquet": Kind.OPTION_PRINTS,
        f"{DAY}/options_naive.parquet": Kind.OPTION_PRINTS,
        f"{DAY}/quotes.csv": Kind.QUOTES,
        f"{DAY}/chain.csv": Kind.CHAIN,
        f"{DAY}/CNMSshvol20260408.txt": Kind.SHORT_VOLUME,
        f"{DAY}/darkpool.csv": Kind.OFFEX_PRINTS,
        "bars/VIX.csv": Kind.DAILY_BARS,
        "bars/all.csv": Kind.DAILY_BARS,
    }


def test_every_file_reads_without_error(results: dict[str, FileResult]) -> None:
    errors = {rel: r.error for rel, r in results.items() if r.error is not None}
    assert errors == {}


def test_reject_rows_carry_the_relative_file_path(results: dict[str, FileResult]) -> None:
    for rel, result in results.items():
        assert set(result.rejects["file"].to_list()) <= {rel}
    assert set(results[f"{DAY}/options.csv"].rejects["file"]) == {f"{DAY}/options.csv"}


# --- option prints (CSV) -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "words"),
    [
        (3, ["unparseable price 'abc'"]),
        (4, ["price", "≤ 0"]),
        (6, ["size", "≤ 0"]),
        (7, ["unknown right", "'X'"]),
        (8, ["expiry", "2026-04-07", "before", "trade date"]),
        (10, ["outside", "session", DAY]),
        (11, ["more fields than the header"]),
        (12, ["missing underlying"]),
        (15, ["price", "≤ 0"]),
    ],
)
def test_option_print_rejects(results: dict[str, FileResult], line: int, words: list[str]) -> None:
    rejects = _rejects(results[f"{DAY}/options.csv"])
    assert line in rejects, f"line {line} ({OPTIONS_LINES[line - 1]!r}) not rejected: {rejects}"
    for word in words:
        assert word in rejects[line]


def test_option_print_line_numbers_are_exact_and_complete(results: dict[str, FileResult]) -> None:
    result = results[f"{DAY}/options.csv"]
    assert sorted(_rejects(result)) == [3, 4, 6, 7, 8, 10, 11, 12, 15]
    # 14 physical lines of data, one blank: 13 rows read, 4 kept.
    assert result.rows_read == 13
    assert result.rows_rejected == 9
    assert result.frame.height == 4


def test_option_print_good_rows(results: dict[str, FileResult]) -> None:
    frame = results[f"{DAY}/options.csv"].frame.sort("ts")
    assert frame["ts"].to_list() == [
        _utc(2026, 4, 8, 13, 30),
        _utc(2026, 4, 8, 13, 36),  # the crossed print
        _utc(2026, 4, 8, 19, 59, 59),
        _utc(2026, 4, 9, 1, 0),
    ]
    assert frame["session"].to_list() == [date(2026, 4, 8)] * 4


def test_crossed_quote_on_an_option_print_is_kept(results: dict[str, FileResult]) -> None:
    # A print with bid > ask is not a broken row: it is kept and classified UNKNOWN later.
    frame = results[f"{DAY}/options.csv"].frame
    crossed = frame.filter(pl.col("ts") == _utc(2026, 4, 8, 13, 36))
    assert crossed.height == 1
    assert crossed.row(0, named=True)["bid"] == pytest.approx(1.40)
    assert crossed.row(0, named=True)["ask"] == pytest.approx(1.30)
    assert crossed.row(0, named=True)["right"] == "P"


def test_option_print_without_quote_is_kept_with_null_bid_ask(
    results: dict[str, FileResult],
) -> None:
    frame = results[f"{DAY}/options.csv"].frame
    row = frame.filter(pl.col("underlying") == "QQQ").row(0, named=True)
    assert row["bid"] is None
    assert row["ask"] is None
    assert row["right"] == "P"  # "put" normalised
    assert row["expiry"] == date(2026, 4, 17)
    assert row["strike"] == pytest.approx(450.5)
    assert row["premium"] == pytest.approx(2.50 * 3 * 100)
    assert row["osi"] == "QQQ260417P00450500"
    assert row["session"] == date(2026, 4, 8)


def test_option_print_derived_columns(results: dict[str, FileResult]) -> None:
    frame = results[f"{DAY}/options.csv"].frame
    row = frame.filter(pl.col("ts") == _utc(2026, 4, 8, 13, 30)).row(0, named=True)
    assert row["multiplier"] == 100
    assert row["premium"] == pytest.approx(1.25 * 10 * 100)
    assert row["osi"] == "SPY260410C00520000"
    assert row["session"] == date(2026, 4, 8)
    assert row["size"] == 10
    assert row["root"] == "SPY"


def test_session_is_the_new_york_date_not_the_utc_date(results: dict[str, FileResult]) -> None:
    # 2026-04-09T01:00Z is 21:00 ET on 2026-04-08: inside the 2026-04-08 session.
    frame = results[f"{DAY}/options.csv"].frame
    row = frame.filter(pl.col("ts") == _utc(2026, 4, 9, 1, 0)).row(0, named=True)
    assert row["session"] == date(2026, 4, 8)


def test_premium_uses_the_file_multiplier_with_default_100(results: dict[str, FileResult]) -> None:
    result = results[f"{DAY}/options_mini.csv"]
    assert result.rows_rejected == 0
    by_underlying = {r["underlying"]: r for r in result.frame.iter_rows(named=True)}
    assert by_underlying["XSP"]["multiplier"] == 10
    assert by_underlying["XSP"]["premium"] == pytest.approx(0.50 * 4 * 10)
    assert by_underlying["XSP"]["osi"] == "XSP260410C00052000"
    assert by_underlying["SPY"]["multiplier"] == 100
    assert by_underlying["SPY"]["premium"] == pytest.approx(1.00 * 2 * 100)


# --- option prints (Parquet) -------------------------------------------------------------------


@pytest.mark.parametrize("name", ["options_aware.parquet", "options_naive.parquet"])
def test_parquet_option_prints(results: dict[str, FileResult], name: str) -> None:
    result = results[f"{DAY}/{name}"]
    assert result.error is None
    assert result.rows_read == 2
    assert result.frame["ts"].dtype == pl.Datetime("ns", "UTC")
    # Aware 13:30 UTC and naive 09:30 (New York, EDT) are the same instant.
    assert result.frame["ts"].to_list() == [_utc(2026, 4, 8, 13, 30)]
    assert result.frame["premium"].to_list() == [pytest.approx(1250.0)]
    assert result.frame["osi"].to_list() == ["SPY260410C00520000"]
    assert result.frame["session"].to_list() == [date(2026, 4, 8)]
    rejects = _rejects(result)
    assert list(rejects) == [2]  # the second row (1-based row number in a Parquet file)
    assert "price" in rejects[2]
    assert "≤ 0" in rejects[2]
    assert result.rejects["file"].to_list() == [f"{DAY}/{name}"]


# --- quotes ------------------------------------------------------------------------------------


def test_crossed_quote_in_a_quotes_file_is_rejected(results: dict[str, FileResult]) -> None:
    result = results[f"{DAY}/quotes.csv"]
    rejects = _rejects(result)
    assert list(rejects) == [3]
    assert "crossed" in rejects[3]
    assert result.frame.height == 2  # the locked quote (bid == ask) is kept
    assert sorted(result.frame["bid"].to_list()) == [pytest.approx(1.20), pytest.approx(1.30)]


# --- chain -------------------------------------------------------------------------------------


def test_chain_iv_zero_is_kept_as_null(results: dict[str, FileResult]) -> None:
    result = results[f"{DAY}/chain.csv"]
    assert result.rows_rejected == 0
    assert result.frame.height == 2
    iv = dict(zip(result.frame["strike"].to_list(), result.frame["iv"].to_list(), strict=True))
    assert iv[520.0] == pytest.approx(0.18)
    assert iv[525.0] is None
    assert result.frame["as_of"].to_list() == [_utc(2026, 4, 8, 20, 0)] * 2


# --- short volume ------------------------------------------------------------------------------


def test_finra_trailer_is_not_a_row_and_short_above_total_is_rejected(
    results: dict[str, FileResult],
) -> None:
    result = results[f"{DAY}/CNMSshvol20260408.txt"]
    rejects = _rejects(result)
    assert list(rejects) == [3]
    assert "exceeds" in rejects[3] or "above" in rejects[3]
    assert result.rows_read == 3  # the trailer line "3" is neither a row nor a reject
    frame = result.frame.sort("symbol")
    assert frame["symbol"].to_list() == ["AAPL", "SPY"]
    assert frame["date"].to_list() == [date(2026, 4, 8)] * 2
    assert frame["short_volume"].to_list() == [300.0, 1000.0]
    assert frame["total_volume"].to_list() == [900.0, 2500.0]
    assert frame["market"].to_list() == ["Q", "B,Q,N"]


# --- daily bars --------------------------------------------------------------------------------


def test_bars_zero_prices_are_rejected(results: dict[str, FileResult]) -> None:
    result = results["bars/VIX.csv"]
    rejects = _rejects(result)
    assert list(rejects) == [3]
    assert "≤ 0" in rejects[3]
    assert result.frame["symbol"].to_list() == ["VIX"]  # from the file name
    assert result.frame["date"].to_list() == [date(2026, 6, 30)]
    assert result.frame["close"].to_list() == [pytest.approx(16.45)]


def test_bars_high_below_low_is_rejected(results: dict[str, FileResult]) -> None:
    result = results["bars/all.csv"]
    rejects = _rejects(result)
    assert list(rejects) == [3]
    assert "high" in rejects[3]
    assert "below low" in rejects[3]
    frame = result.frame.sort("date")
    assert frame["symbol"].to_list() == ["SPY", "QQQ"]
    assert frame["volume"].to_list() == [1_000_000.0, None]


# --- off-exchange prints -----------------------------------------------------------------------


def test_invalid_utf8_is_read_lossily(results: dict[str, FileResult]) -> None:
    result = results[f"{DAY}/darkpool.csv"]
    assert result.error is None
    assert result.rows_rejected == 0
    frame = result.frame.sort("ts")
    assert frame["symbol"].to_list() == ["SPY", "SPY"]
    assert frame["venue"][0].startswith("D")
    assert frame["venue"][0].endswith("X")
    assert frame["notional"].to_list() == [
        pytest.approx(520.10 * 5000),
        pytest.approx(520.20 * 100),
    ]
    assert frame["bid"].to_list() == [pytest.approx(520.05), None]
    assert frame["session"].to_list() == [date(2026, 4, 8)] * 2


# --- files are never modified -----------------------------------------------------------------


def test_read_file_never_modifies_the_source(tmp_path: Path) -> None:
    _build(tmp_path)
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in tmp_path.rglob("*") if p.is_file()}
    catalog = scan_catalog(tmp_path)
    for f in catalog.files:
        read_file(f)
    after = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in tmp_path.rglob("*") if p.is_file()}
    assert after == before  # same files, same bytes, same mtimes, nothing added


# --- unreadable files never raise --------------------------------------------------------------


def test_garbage_parquet_is_reported_not_raised(tmp_path: Path) -> None:
    session = tmp_path / DAY
    _write_lines(session / "options.csv", OPTIONS_LINES[:2])
    junk = session / "options.parquet"
    junk.write_bytes(b"\x00\x01garbage, not parquet\xff" * 50)
    catalog = scan_catalog(tmp_path)
    skipped = {s.rel: s for s in catalog.skipped}
    if f"{DAY}/options.parquet" in skipped:
        entry = skipped[f"{DAY}/options.parquet"]
        assert entry.unreadable
        assert entry.reason
    else:
        (source,) = [f for f in catalog.files if f.rel == f"{DAY}/options.parquet"]
        result = read_file(source)
        assert result.error
        assert result.frame.height == 0
    good = [read_file(f) for f in catalog.files if f.rel == f"{DAY}/options.csv"]
    assert [r.frame.height for r in good] == [1]


def test_corrupt_parquet_body_is_reported_not_raised(tmp_path: Path) -> None:
    session = tmp_path / DAY
    session.mkdir()
    path = session / "options.parquet"
    frame = _option_frame([datetime(2026, 4, 8, 9, 30), datetime(2026, 4, 8, 9, 31)])
    pl.concat([frame] * 200).write_parquet(path, compression="uncompressed", statistics=False)
    data = bytearray(path.read_bytes())
    # Keep the magic bytes and the footer (so the schema still reads) and trash the pages.
    for i in range(8, len(data) // 2):
        data[i] = 0xFF
    path.write_bytes(bytes(data))
    catalog = scan_catalog(tmp_path)
    for f in catalog.files:
        result = read_file(f)  # must not raise
        assert result.error is not None or result.rows_read >= 0
    assert catalog.files or catalog.unreadable


def test_leading_bom_and_crlf(tmp_path: Path) -> None:
    lines = [OPTIONS_HEADER, OPTIONS_LINES[1], OPTIONS_LINES[2]]
    path = tmp_path / DAY / "options.csv"
    path.parent.mkdir()
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode())  # no final newline
    (source,) = scan_catalog(tmp_path).files
    result = read_file(source)
    assert result.frame.height == 1
    assert _rejects(result) == {3: "unparseable price 'abc'"}


def test_header_after_a_blank_first_line(tmp_path: Path) -> None:
    # Excel and the Cboe quotedata download can start with an empty line before the header.
    path = tmp_path / DAY / "options.csv"
    _write_lines(path, ["", OPTIONS_HEADER, OPTIONS_LINES[1], OPTIONS_LINES[2]])
    (source,) = scan_catalog(tmp_path).files
    result = read_file(source)
    assert result.frame.height == 1
    # Physical lines: 1 blank, 2 header, 3 good, 4 bad. The header is not a rejected row.
    assert _rejects(result) == {4: "unparseable price 'abc'"}


def test_a_missing_required_column_value_everywhere(tmp_path: Path) -> None:
    lines = [
        OPTIONS_HEADER,
        "2026-04-08 09:30:00,SPY,2026-04-10,,C,1.25,10,1.20,1.30",  # no strike
        "2026-04-08 09:30:00,SPY,,520,C,1.25,10,1.20,1.30",  # no expiry
        "2026-04-08 09:30:00,SPY,2026-04-10,520,C,1.25,,1.20,1.30",  # no size
        ",SPY,2026-04-10,520,C,1.25,10,1.20,1.30",  # no ts
    ]
    _write_lines(tmp_path / DAY / "options.csv", lines)
    (source,) = scan_catalog(tmp_path).files
    rejects = _rejects(read_file(source))
    assert set(rejects) == {2, 3, 4, 5}
    assert "missing strike" in rejects[2]
    assert "missing expiry" in rejects[3]
    assert "missing size" in rejects[4]
    assert "missing ts" in rejects[5]


def test_a_file_of_timestamps_in_several_layouts(tmp_path: Path) -> None:
    # Every value is valid ISO-8601; a layout change deep in the file must not reject rows.
    fields = ",SPY,2026-04-10,520,C,1.25,1,,"
    rows = [
        f"2026-04-08 {10 + i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d}{fields}"
        for i in range(3000)
    ]
    rows += [
        "2026-04-08T15:00:00-04:00,SPY,2026-04-10,520,C,1.25,1,,",
        "2026-04-08T19:00:01Z,SPY,2026-04-10,520,C,1.25,1,,",
        "2026-04-08 15:00:02.250,SPY,2026-04-10,520,C,1.25,1,,",
    ]
    _write_lines(tmp_path / DAY / "options.csv", [OPTIONS_HEADER, *rows])
    (source,) = scan_catalog(tmp_path).files
    result = read_file(source)
    assert _rejects(result) == {}
    assert result.frame.height == 3003
    tail = result.frame.sort("ts")["ts"].tail(3).to_list()
    assert tail == [
        _utc(2026, 4, 8, 19, 0, 0),
        _utc(2026, 4, 8, 19, 0, 1),
        datetime(2026, 4, 8, 19, 0, 2, 250_000, tzinfo=UTC),
    ]


def test_utf8_lossy_in_a_required_column_does_not_raise(tmp_path: Path) -> None:
    path = tmp_path / DAY / "options.csv"
    path.parent.mkdir()
    path.write_bytes(
        (OPTIONS_HEADER + "\n").encode()
        + b"2026-04-08 09:30:00,SP\xffY,2026-04-10,520,C,1.25,10,1.20,1.30\n"
        + b"2026-04-08 09:31:00,SPY,2026-04-10,520,C,1.2\xc35,10,1.20,1.30\n"
    )
    mtime = path.stat().st_mtime_ns
    (source,) = scan_catalog(tmp_path).files
    result = read_file(source)
    assert result.error is None
    assert result.rows_read == 2
    # invalid UTF-8 in a symbol leaves U+FFFD, which no ticker has; "1.2�5" is not a number
    assert list(_rejects(result)) == [2, 3]
    assert _rejects(result)[2] == "underlying 'SP\ufffdY' is not a ticker"
    assert "unparseable price" in _rejects(result)[3]
    assert os.stat(path).st_mtime_ns == mtime


def test_file_names_with_glob_characters_are_read_as_named(tmp_path: Path) -> None:
    # A browser or a sync tool may name a second download "options [1].csv". The name is a
    # file name, not a pattern: it must not be read as (or instead of) "options 1.csv".
    session = tmp_path / DAY
    _write_lines(session / "options [1].csv", OPTIONS_LINES[:4])  # 3 rows, 2 rejected
    _write_lines(session / "options 1.csv", OPTIONS_LINES[:2])  # 1 row
    _write_lines(session / "options[bold]x.csv", OPTIONS_LINES[:3])  # 2 rows, 1 rejected
    results = {f.rel: read_file(f) for f in scan_catalog(tmp_path).files}
    counts = {rel: (r.rows_read, r.rows_rejected) for rel, r in results.items()}
    assert counts == {
        f"{DAY}/options [1].csv": (3, 2),
        f"{DAY}/options 1.csv": (1, 0),
        f"{DAY}/options[bold]x.csv": (2, 1),
    }


def test_number_formats_and_non_finite_values(tmp_path: Path) -> None:
    lines = [
        OPTIONS_HEADER,
        '2026-04-08 09:30:00,SPY,2026-04-10,520,C,$1.25,"1,000",1.20,1.30',  # 2 kept
        "2026-04-08 09:30:01,SPY,2026-04-10,520,C,NaN,10,1.20,1.30",  # 3 rejected
        "2026-04-08 09:30:02,SPY,2026-04-10,520,C,inf,10,1.20,1.30",  # 4 rejected
        "2026-04-08 09:30:03,SPY,2026-04-10,520,C,1.25,10.5,1.20,1.30",  # 5 fractional contracts
        '"2026-04-08 09:30:04","SPY","2026-04-10","520","C","1.25","10","1.20","1.30"',  # 6 kept
    ]
    _write_lines(tmp_path / DAY / "options.csv", lines)
    (source,) = scan_catalog(tmp_path).files
    result = read_file(source)
    rejects = _rejects(result)
    assert sorted(rejects) == [3, 4, 5]
    assert "price" in rejects[3]
    assert "price" in rejects[4]
    assert "size" in rejects[5]
    frame = result.frame.sort("ts")
    assert frame["price"].to_list() == [1.25, 1.25]
    assert frame["size"].to_list() == [1000, 10]
    assert frame["premium"].to_list() == [pytest.approx(1.25 * 1000 * 100), pytest.approx(1250.0)]


def test_blank_text_in_parquet_is_not_a_reject(tmp_path: Path) -> None:
    """A Parquet dark-pool file whose optional text columns hold "" (no sale condition) keeps
    every row; a blank number is "missing", never an unparseable value with no message."""
    day = tmp_path / "2026-04-08"
    day.mkdir()
    ts = pl.Series(
        [datetime(2026, 4, 8, 14, 0, tzinfo=UTC), datetime(2026, 4, 8, 14, 1, tzinfo=UTC)]
    ).cast(pl.Datetime("ns", "UTC"))
    pl.DataFrame(
        {
            "ts": ts,
            "symbol": ["SPY", "QQQ"],
            "price": [500.0, 400.0],
            "size": [100.0, 200.0],
            "bid": [499.99, 399.99],
            "ask": [500.01, 400.01],
            "venue": ["", "FINY"],
            "conditions": ["", " "],
        }
    ).write_parquet(day / "darkpool.parquet")
    (source,) = scan_catalog(tmp_path).files
    result = read_file(source)
    assert result.rows_rejected == 0
    assert result.frame["conditions"].to_list() == [None, None]
    assert result.frame["venue"].to_list() == [None, "FINY"]


def test_a_first_row_with_several_extra_fields_does_not_sink_the_file(tmp_path: Path) -> None:
    """Polars sizes the columns from the first data row; two surplus fields there must make
    that row a reject, not the whole file unreadable."""
    day = tmp_path / "2026-04-08"
    day.mkdir()
    (day / "options.csv").write_text(
        "ts,underlying,expiry,strike,right,price,size,bid,ask\n"
        "2026-04-08 09:30:00,SPY,2026-04-10,520,C,1.25,10,1.20,1.25,x,y\n"
        "2026-04-08 09:31:00,SPY,2026-04-10,520,C,1.25,10,1.20,1.25\n",
        encoding="utf-8",
    )
    (source,) = scan_catalog(tmp_path).files
    result = read_file(source)
    assert result.error is None
    assert result.frame.height == 1
    assert result.rejects.row(0, named=True)["line"] == 2
    assert "more fields than the header" in result.rejects.row(0, named=True)["reason"]
