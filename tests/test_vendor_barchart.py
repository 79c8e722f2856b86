"""Barchart unusual-options-activity CSV (FORMATS.md §12) read as option prints.

No real Barchart file was found (FORMATS §12 is built from scrapers and parsers), so the fixtures
follow the documented variants: A (classic UOA page, and its older ``…,IV,Delta,Time`` form) and
B (options-flow export), each with the ``Downloaded from Barchart.com as of …`` footer.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from flowterm.core import vendors
from flowterm.core.catalog import data_file, scan_catalog
from flowterm.core.readers import FileResult, read_file
from flowterm.core.schema import Kind
from flowterm.core.sniff import Detected, sniff_file
from flowterm.core.vendors import barchart

VARIANT_A = "\n".join(
    [
        "Symbol,Price~,Type,Strike,Exp Date,DTE,Bid,Midpoint,Ask,Last,Volume,Open Int,Vol/OI,IV,"
        "Last Trade",
        # line 2: thousands commas, percent IV, a time of day in ET
        'AAPL,499.23,Call,"1,500.00",08/28/20,0,0.15,0.16,0.17,0.16,"7,382",120,61.52,38.08%,'
        "13:19 ET",
        # line 3: an index with a $ prefix; last traded on an earlier day (date only)
        '$SPX,3500.31,Put,3400.00,09/18/20,21,25.10,25.30,25.50,25.40,"1,200","15,000",0.08,'
        "22.50%,08/27/20",
        # line 4: garbled strike
        "TSLA,2200.00,Call,abc,09/04/20,7,1,1.1,1.2,1.1,500,100,5,60%,14:02 ET",
        # line 5: IV not available
        "MSFT,228.91,Put,220.00,09/04/20,7,1.00,1.05,1.10,1.07,900,300,3.0,N/A,15:59 ET",
        '"Downloaded from Barchart.com as of 08-28-2020 03:45pm CDT"',
        "",
    ]
)

VARIANT_A_OLD = "\r\n".join(
    [
        "Symbol,Price~,Type,Strike,Exp Date,DTE,Bid,Midpoint,Ask,Last,Volume,Open Int,Vol/OI,IV,"
        "Delta,Time",
        "XLE,35.10,Call,36.00,09/18/20,21,0.50,0.52,0.54,0.53,4000,500,8.00,41.2%,0.42,10:15 CT",
        "Downloaded from Barchart.com as of 08-28-2020 03:45pm CDT",
    ]
)

VARIANT_B = "\n".join(
    [
        'Symbol,Price~,Type,Strike,Expires,DTE,"Bid x Size","Ask x Size",Trade,Size,Side,Premium,'
        'Volume,"Open Int",IV,Delta,Code,*,Time',
        'SPY,601.50,Call,605,2025-06-27T16:30:00-05:00,1,"0.16 x 1","0.18 x 25",0.17,"1,000",ask,'
        '"$17,000","12,345","4,321",12.50%,0.21,SLFT,ToOpen,10:15:03 ET',
        'QQQ,530.10,Put,520,2025-07-18T16:30:00-05:00,22,"2.10 x 10","2.20 x 12",2.15,50,bid,'
        '"$10,750",900,"2,000",N/A,-0.30,,,13:01:44 ET',
        # line 4: an unreadable time
        'IWM,210.00,Call,215,2025-06-27T16:30:00-05:00,1,"0.10 x 5","0.12 x 5",0.11,20,mid,'
        '"$220",40,"1,000",25.00%,0.12,,,soon',
        "Downloaded from Barchart.com as of 06-26-2025 04:10pm CDT",
    ]
)

#: name → (session folder, content)
FIXTURES: dict[str, tuple[str, str]] = {
    "variant_a": ("2020-08-28", VARIANT_A),
    "variant_a_old": ("2020-08-28", VARIANT_A_OLD),
    "variant_b": ("2025-06-26", VARIANT_B),
}


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def _read(folder: Path) -> FileResult:
    catalog = scan_catalog(folder)
    assert len(catalog.files) == 1, [s.reason for s in catalog.skipped]
    result = read_file(catalog.files[0])
    assert result.error is None, result.error
    return result


def _read_fixture(tmp_path: Path, name: str, file_name: str = "foo.csv") -> FileResult:
    session, content = FIXTURES[name]
    _write(tmp_path / session / file_name, content)
    return _read(tmp_path)


def _rejects(result: FileResult) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for line, reason in result.rejects.select("line", "reason").iter_rows():
        out.setdefault(line, []).append(reason)
    return out


def _format() -> vendors.VendorFormat:
    fmt = vendors.get("barchart-uoa")
    assert fmt is not None
    return fmt


# --------------------------------------------------------------------------------------------
# Recognition


@pytest.mark.parametrize("name", sorted(FIXTURES))
@pytest.mark.parametrize("file_name", ["foo.csv", "unusual-options-activity-stocks.csv"])
def test_recognised_by_content(tmp_path: Path, name: str, file_name: str) -> None:
    path = _write(tmp_path / file_name, FIXTURES[name][1])
    sniffed = sniff_file(path)
    assert isinstance(sniffed, Detected)
    assert (sniffed.fmt, sniffed.kind) == ("barchart-uoa", Kind.OPTION_PRINTS)
    head = path.read_bytes()
    claims = [f.name for f in vendors.formats() if ".csv" in f.suffixes and f.sniff(path, head)]
    assert claims == ["barchart-uoa"]


@pytest.mark.parametrize(
    "content",
    [
        "ts,underlying,expiry,strike,right,price,size,bid,ask\n"
        "2026-04-08 10:00:00,SPY,2026-04-10,520,C,1.25,1,1.2,1.3\n",
        # a generic export with the same column names but no Barchart mark
        "Symbol,Type,Strike,Exp Date,DTE,Last,Volume\nSPY,Call,520,04/10/26,2,1.25,100\n",
        "Time,Open,High,Low,Latest,Change,%Change,Volume\n"
        "04/08/2026 10:00,520,521,519,520.5,0.5,0.1%,1000\n"
        "Downloaded from Barchart.com as of 04-08-2026 03:45pm CDT\n",
    ],
)
def test_other_csv_is_not_claimed(tmp_path: Path, content: str) -> None:
    path = _write(tmp_path / "options.csv", content)
    assert not _format().sniff(path, path.read_bytes())


# --------------------------------------------------------------------------------------------
# Variant A


def test_variant_a_rows(tmp_path: Path) -> None:
    result = _read_fixture(tmp_path, "variant_a")
    assert result.rows_read == 4  # the footer is not a row
    rows = {r["underlying"]: r for r in result.frame.iter_rows(named=True)}
    assert sorted(rows) == ["AAPL", "MSFT"]
    aapl = rows["AAPL"]
    # "13:19 ET" on the footer's date.
    assert aapl["ts"] == _utc(2020, 8, 28, 17, 19)
    assert (aapl["expiry"], aapl["strike"], aapl["right"]) == (date(2020, 8, 28), 1500.0, "C")
    assert (aapl["price"], aapl["size"], aapl["bid"], aapl["ask"]) == (0.16, 7382, 0.15, 0.17)
    assert aapl["iv"] == pytest.approx(0.3808)
    assert (aapl["open_interest"], aapl["underlying_price"]) == (120, 499.23)
    # size is the day's volume in variant A, so premium = last × volume × 100.
    assert aapl["premium"] == pytest.approx(0.16 * 7382 * 100)
    assert rows["MSFT"]["iv"] is None  # N/A


def test_variant_a_rejects(tmp_path: Path) -> None:
    rejects = _rejects(_read_fixture(tmp_path, "variant_a"))
    assert sorted(rejects) == [3, 4]
    # A date instead of a time: last traded on an earlier day, outside this session.
    assert "outside session 2020-08-28" in rejects[3][0]
    assert rejects[4] == ["unparseable strike 'abc'"]


def test_variant_a_older_layout_with_delta_and_central_time(tmp_path: Path) -> None:
    result = _read_fixture(tmp_path, "variant_a_old")
    assert result.rows_rejected == 0
    row = result.frame.row(0, named=True)
    assert row["ts"] == _utc(2020, 8, 28, 15, 15)  # 10:15 CDT
    assert (row["delta"], row["size"]) == (0.42, 4000)
    assert row["iv"] == pytest.approx(0.412)


def test_time_only_without_footer_takes_the_session_folder_date(tmp_path: Path) -> None:
    content = VARIANT_A.split('"Downloaded')[0]
    _write(tmp_path / "2020-08-28" / "foo.csv", content)
    result = _read(tmp_path)
    aapl = result.frame.filter(result.frame["underlying"] == "AAPL").row(0, named=True)
    assert aapl["ts"] == _utc(2020, 8, 28, 17, 19)


def test_time_only_date_from_the_file_name(tmp_path: Path) -> None:
    content = VARIANT_A.split('"Downloaded')[0]
    path = _write(tmp_path / "unusual-options-activity-stocks-08-28-2020.csv", content)
    assert barchart.file_date(path, "") == date(2020, 8, 28)


# --------------------------------------------------------------------------------------------
# Variant B


def test_variant_b_rows(tmp_path: Path) -> None:
    result = _read_fixture(tmp_path, "variant_b")
    assert result.rows_read == 3
    rows = {r["underlying"]: r for r in result.frame.iter_rows(named=True)}
    spy = rows["SPY"]
    assert spy["ts"] == _utc(2025, 6, 26, 14, 15, 3)
    assert (spy["expiry"], spy["strike"], spy["right"]) == (date(2025, 6, 27), 605.0, "C")
    assert (spy["price"], spy["size"], spy["bid"], spy["ask"]) == (0.17, 1000, 0.16, 0.18)
    assert (spy["vendor_side"], spy["conditions"], spy["open_interest"]) == (
        "ask",
        "SLFT,ToOpen",
        4321,
    )
    assert spy["iv"] == pytest.approx(0.125)
    assert spy["delta"] == 0.21
    qqq = rows["QQQ"]
    assert (qqq["iv"], qqq["conditions"], qqq["vendor_side"]) == (None, None, "bid")
    assert _rejects(result) == {4: ["unparseable or non-existent ts 'soon'"]}


# --------------------------------------------------------------------------------------------
# Value helpers


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("08/28/20", "2020-08-28"),
        ("8/4/2020", "2020-08-04"),
        ("2025-06-27T16:30:00-05:00", "2025-06-27"),
        ("junk", "junk"),
        (None, None),
    ],
)
def test_expiry(value: str | None, expected: str | None) -> None:
    assert barchart.expiry(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("13:19 ET", "2020-08-28 13:19:00-04:00"),
        ("1:19 PM ET", "2020-08-28 13:19:00-04:00"),
        ("10:15 CT", "2020-08-28 10:15:00-05:00"),
        ("10:15:03", "2020-08-28 10:15:03-04:00"),
        ("08/27/20", "2020-08-27 00:00:00-04:00"),
        ("2020-08-28T13:19:00-04:00", "2020-08-28T13:19:00-04:00"),
        ("soon", "soon"),
    ],
)
def test_timestamp(value: str, expected: str) -> None:
    assert barchart.timestamp(value, date(2020, 8, 28)) == expected


# --------------------------------------------------------------------------------------------
# Truncated and garbled files


@pytest.mark.parametrize("name", sorted(FIXTURES))
@pytest.mark.parametrize("cut", [0.2, 0.5, 0.8, 0.95])
def test_truncated_file_never_raises(tmp_path: Path, name: str, cut: float) -> None:
    session, content = FIXTURES[name]
    raw = content.encode("utf-8")
    path = _write(tmp_path / session / "foo.csv", raw[: int(len(raw) * cut)])
    sniffed = sniff_file(path)
    if not isinstance(sniffed, Detected):
        return  # cut inside the header
    result = read_file(data_file(path, path.name, sniffed, date.fromisoformat(session)))
    assert result.error is None
    assert result.rows_read == result.frame.height + result.rows_rejected


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_garbled_line_is_a_reject(tmp_path: Path, name: str) -> None:
    session, content = FIXTURES[name]
    lines = content.encode("utf-8").split(b"\n")
    lines.insert(2, b"\xff\xfe\x00garbage,,\x01")
    path = _write(tmp_path / session / "foo.csv", b"\n".join(lines))
    sniffed = sniff_file(path)
    assert isinstance(sniffed, Detected)
    result = read_file(data_file(path, path.name, sniffed, date.fromisoformat(session)))
    assert result.error is None
    assert 3 in _rejects(result)
