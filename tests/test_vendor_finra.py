"""FINRA Reg SHO daily short-sale volume (FORMATS.md §8).

Every FINRA layout is read by the canonical reader through the short-volume header aliases (no
vendor format is needed): the consolidated CNMS layout, the pre-2011 layout without
ShortExemptVolume, facility files with a one-letter Market and the Nasdaq exchange layout with
spaced upper-case headers. The trailer (record count) is not a row.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from flowterm.core.catalog import scan_catalog
from flowterm.core.readers import FileResult, read_file
from flowterm.core.schema import Kind
from flowterm.core.sniff import Detected, sniff_file

REAL = Path(__file__).resolve().parents[2] / "shared" / "realdata" / "finra_shvol"


def _read_one(root: Path) -> tuple[Detected, FileResult]:
    catalog = scan_catalog(root)
    (source,) = catalog.files
    return source.detected, read_file(source)


def _write(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("name", "rows"),
    [("CNMSshvol20210125.txt", 9274), ("CNMSshvol20210126.txt", 9285)],
)
def test_real_cnms_files(tmp_path: Path, name: str, rows: int) -> None:
    real = REAL / name
    if not real.exists():
        pytest.skip("real FINRA samples not present")
    day = date(int(name[9:13]), int(name[13:15]), int(name[15:17]))
    folder = tmp_path / day.isoformat()
    folder.mkdir()
    (folder / name).write_bytes(real.read_bytes())
    detected, result = _read_one(tmp_path)
    assert (detected.kind, detected.fmt, detected.separator) == (Kind.SHORT_VOLUME, "csv", "|")
    trailer = real.read_text(encoding="utf-8").rstrip("\n").rsplit("\n", 1)[-1]
    assert int(trailer) == rows  # the file's own record count …
    assert (result.rows_read, result.rows_rejected, result.error) == (rows, 0, None)  # … read
    frame = result.frame
    assert frame["date"].unique().to_list() == [day]
    assert (frame["short_volume"] <= frame["total_volume"]).all()
    assert (frame["short_exempt_volume"] <= frame["short_volume"]).all()
    first = frame.row(0, named=True)
    if day == date(2021, 1, 25):
        assert (first["symbol"], first["short_volume"], first["total_volume"]) == (
            "A",
            106414.0,
            374568.0,
        )
        assert (first["short_exempt_volume"], first["market"]) == (1300.0, "B,Q,N")


def test_legacy_layout_without_short_exempt_volume(tmp_path: Path) -> None:
    _write(
        tmp_path / "2010-06-01" / "CNMSshvol20100601.txt",
        ["Date|Symbol|ShortVolume|TotalVolume|Market", "20100601|SPY|1000|5000|Q", "1"],
    )
    detected, result = _read_one(tmp_path)
    assert (detected.kind, detected.fmt) == (Kind.SHORT_VOLUME, "csv")
    assert (result.rows_read, result.rows_rejected) == (1, 0)
    row = result.frame.row(0, named=True)
    assert (row["date"], row["symbol"], row["short_volume"], row["total_volume"]) == (
        date(2010, 6, 1),
        "SPY",
        1000.0,
        5000.0,
    )
    assert (row["short_exempt_volume"], row["market"]) == (None, "Q")


def test_nasdaq_exchange_layout(tmp_path: Path) -> None:
    _write(
        tmp_path / "2021-01-25" / "NQBXshvol20210125.txt",
        [
            "DATE|SYMBOL|SHORT VOLUME|TOTAL VOLUME|MARKET",
            "20210125|AAPL|123|456|NQBX",
            "20210125|MSFT|7|8|NQBX",
        ],
    )
    detected, result = _read_one(tmp_path)
    assert detected.kind is Kind.SHORT_VOLUME
    assert (result.rows_read, result.rows_rejected) == (2, 0)
    assert result.frame["short_volume"].to_list() == [123.0, 7.0]
    assert result.frame["market"].to_list() == ["NQBX", "NQBX"]


def test_facility_file_crlf_and_bad_rows(tmp_path: Path) -> None:
    path = tmp_path / "2021-01-25" / "FNSQshvol20210125.txt"
    path.parent.mkdir(parents=True)
    lines = [
        "Date|Symbol|ShortVolume|ShortExemptVolume|TotalVolume|Market",
        "20210125|A|100|0|300|Q",  # line 2
        "20210125|B|abc|0|300|Q",  # line 3: not a number
        "20210125|C|400|0|300|Q",  # line 4: short above total
        "20210125|BRK.B|10|1|20|Q",  # line 5: class suffix kept
        "4",  # trailer: the record count, not a row
    ]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode())
    detected, result = _read_one(tmp_path)
    assert detected.kind is Kind.SHORT_VOLUME
    assert (result.rows_read, result.rows_rejected) == (4, 2)
    assert result.frame["symbol"].to_list() == ["A", "BRK.B"]
    assert result.frame["market"].to_list() == ["Q", "Q"]
    rejects = dict(zip(result.rejects["line"], result.rejects["reason"], strict=True))
    assert rejects == {
        3: "unparseable short_volume 'abc'",
        4: "short volume 400.0 exceeds total volume 300.0",
    }


def test_no_vendor_format_claims_finra_files(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "whatever.txt",
        ["Date|Symbol|ShortVolume|ShortExemptVolume|TotalVolume|Market", "20210125|A|1|0|2|Q", "1"],
    )
    sniffed = sniff_file(path)
    assert isinstance(sniffed, Detected)
    assert (sniffed.kind, sniffed.fmt) == (Kind.SHORT_VOLUME, "csv")
