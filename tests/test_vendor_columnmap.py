"""Column maps from flowterm.toml (FORMATS.md §13): validation with errors that name the key, the
match of a file by name and headers, and a mapped file read by the canonical CSV reader."""

from __future__ import annotations

import re
import tomllib
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from flowterm.core.catalog import data_file
from flowterm.core.readers import read_file
from flowterm.core.schema import Kind
from flowterm.core.sniff import Detected
from flowterm.core.vendors.columnmap import (
    ColumnMap,
    ColumnMapError,
    claims,
    column_maps,
    load,
    match,
    mismatch,
)

TOML = """
[[columns]]
pattern = "tradytics-*.csv"     # glob on the file name
kind = "options"                # a Kind value
map = { Time = "ts", Sym = "underlying", Exp = "expiry", Strike = "strike", CP = "right", \
Prem = "premium_ignored", Price = "price", Qty = "size", Bid = "bid", Ask = "ask" }

[[columns]]
pattern = "blotter*.csv"
kind = "darkpool"
map = { "Exec Time" = "ts", Ticker = "symbol", Px = "price", Shares = "size", Venue = "venue" }
"""
HEADERS = ["Time", "Sym", "Exp", "Strike", "CP", "Prem", "Price", "Qty", "Bid", "Ask", "Notes"]


def _maps() -> list[ColumnMap]:
    return column_maps(tomllib.loads(TOML))


def _error(table: str) -> str:
    with pytest.raises(ColumnMapError) as caught:
        column_maps(tomllib.loads(table))
    return str(caught.value)


def test_example_table_is_valid() -> None:
    tradytics, blotter = _maps()
    assert (tradytics.pattern, tradytics.kind) == ("tradytics-*.csv", Kind.OPTION_PRINTS)
    assert dict(tradytics.columns) == {
        "Time": "ts",
        "Sym": "underlying",
        "Exp": "expiry",
        "Strike": "strike",
        "CP": "right",
        "Price": "price",
        "Qty": "size",
        "Bid": "bid",
        "Ask": "ask",
    }  # Prem is ignored
    # bid/ask may be left out of a map: the prints are then read without a quote.
    assert blotter.kind is Kind.OFFEX_PRINTS
    assert "bid" not in dict(blotter.columns).values()
    assert column_maps({}) == []


def test_match_by_name_and_headers() -> None:
    maps = _maps()
    path = Path("/data/2026-04-08/Tradytics-2026-04-08.CSV")  # name matched case-insensitively
    found = match(maps, path, [h.upper() for h in HEADERS])  # headers too
    assert found is not None
    kind, mapping = found
    assert kind is Kind.OPTION_PRINTS
    assert mapping["TIME"] == "ts" and mapping["CP"] == "right"
    assert "PREM" not in mapping and "NOTES" not in mapping
    assert claims(maps, path) and not claims(maps, Path("options.csv"))
    assert match(maps, Path("options.csv"), HEADERS) is None
    assert mismatch(maps, Path("options.csv"), HEADERS) is None
    lacking = [h for h in HEADERS if h not in ("Exp", "Bid")]
    assert match(maps, path, lacking) is None
    assert mismatch(maps, path, lacking) == 'column map "tradytics-*.csv": no header Exp, Bid'


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        (
            '[[columns]]\npattern = "a.csv"\nkind = "flows"\nmap = { T = "ts" }',
            "[[columns]] #1 (pattern \"a.csv\") kind = 'flows': not a kind of data (one of",
        ),
        (
            '[[columns]]\npattern = "a.csv"\nkind = "bars"\n'
            'map = { D = "date", S = "symbol", O = "open", H = "high", L = "low", C = "close",'
            ' X = "closing" }',
            "map.X = 'closing': not a column of bars",
        ),
        (
            '[[columns]]\npattern = "a.csv"\nkind = "darkpool"\n'
            'map = { T = "ts", S = "symbol", P = "price", Q = "size", N = "notional" }',
            "map.N = 'notional': notional is derived on load",
        ),
        (
            '[[columns]]\npattern = "a.csv"\nkind = "darkpool"\nmap = { T = "ts", S = "symbol" }',
            "map: no header for required price, size",
        ),
        (
            '[[columns]]\npattern = "a.csv"\nkind = "darkpool"\n'
            'map = { T = "ts", S = "symbol", P = "price", Q = "size", Q2 = "size" }',
            "map.Q2 = 'size': size is already map.Q",
        ),
        ('[[columns]]\nkind = "options"\nmap = { T = "ts" }', "pattern: expected a file-name glob"),
        (
            '[[columns]]\npattern = "2026-*/a.csv"\nkind = "options"\nmap = { T = "ts" }',
            "the pattern matches file names, not paths",
        ),
        (
            '[[columns]]\npattern = "a.csv"\nkind = "options"\nmaps = { T = "ts" }',
            "unknown key maps",
        ),
        ('[[columns]]\npattern = "a.csv"\nmap = { T = "ts" }', "kind is missing"),
        (
            '[[columns]]\npattern = "a.csv"\nkind = "darkpool"\nmap = { T = 3 }',
            "map.T: expected a column name, got 3",
        ),
    ],
)
def test_invalid_tables_name_the_key(table: str, expected: str) -> None:
    assert expected in _error(table)


def test_load_from_flowterm_toml(tmp_path: Path) -> None:
    path = tmp_path / "flowterm.toml"
    path.write_text("[flow]\ntop_n = 5\n" + TOML, encoding="utf-8")
    assert [m.pattern for m in load(path)] == ["tradytics-*.csv", "blotter*.csv"]
    assert load(None) == [] and load(tmp_path / "missing.toml") == []
    path.write_text('[[columns]]\npattern = "a.csv"\nkind = 1\nmap = {}\n', encoding="utf-8")
    with pytest.raises(ColumnMapError, match=re.escape("flowterm.toml: [[columns]] #1")):
        load(path)


def test_mapped_file_is_read_by_the_canonical_reader(tmp_path: Path) -> None:
    """What sniff.py does with a match: a ``Detected`` for the canonical CSV reader."""
    folder = tmp_path / "2026-04-08"
    folder.mkdir()
    path = folder / "tradytics-2026-04-08.csv"
    rows = [
        "2026-04-08 09:45:00,SPY,2026-04-10,520,Call,$1.2M,1.25,10,1.20,1.30,big",  # line 2
        "2026-04-08 09:46:00,SPY,2026-04-10,520,X,$1.2M,1.25,10,1.20,1.30,",  # line 3: right X
    ]
    path.write_text("\n".join([",".join(HEADERS), *rows]) + "\n", encoding="utf-8")
    found = match(_maps(), path, HEADERS)
    assert found is not None
    kind, mapping = found
    detected = Detected(kind, "csv", ",", tuple(HEADERS), tuple(mapping.items()))
    result = read_file(data_file(path, path.name, detected, date(2026, 4, 8)))
    assert (result.rows_read, result.rows_rejected, result.error) == (2, 1, None)
    row = result.frame.row(0, named=True)
    assert row["ts"] == datetime(2026, 4, 8, 13, 45, tzinfo=UTC)
    assert (row["underlying"], row["expiry"], row["strike"], row["right"]) == (
        "SPY",
        date(2026, 4, 10),
        520.0,
        "C",
    )
    assert (row["price"], row["size"], row["premium"]) == (1.25, 10, 1250.0)
    assert result.rejects.row(0, named=True)["line"] == 3
    assert "unknown right 'X'" in result.rejects.row(0, named=True)["reason"]
