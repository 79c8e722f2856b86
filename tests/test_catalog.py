"""Scanning a data folder (FORMATS.md A.1): sessions, kinds recognised by content, skipped items."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest

from flowterm.core.catalog import Catalog, CatalogError, scan_catalog
from flowterm.core.readers import FILE, read_file, scan_kind
from flowterm.core.schema import Kind

DAY = date(2026, 4, 8)
DAY2 = date(2026, 4, 9)
OPTIONS_HEADER = "ts,underlying,expiry,strike,right,price,size,bid,ask"
OFFEX_HEADER = "ts,symbol,price,size,bid,ask"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _options_csv(n: int, minute: int = 30) -> str:
    rows = [
        f"2026-04-08 09:{minute + i:02d}:00,SPY,2026-04-10,520,C,1.25,{i + 1},1.20,1.30"
        for i in range(n)
    ]
    return "\n".join([OPTIONS_HEADER, *rows]) + "\n"


def _build(root: Path) -> None:
    session = root / "2026-04-08"
    _write(session / "options_part1.csv", _options_csv(3))
    pl.DataFrame(
        {
            "ts": [
                datetime(2026, 4, 8, 13, 50, tzinfo=UTC),
                datetime(2026, 4, 8, 13, 51, tzinfo=UTC),
            ],
            "underlying": ["SPY", "SPY"],
            "expiry": [date(2026, 4, 10)] * 2,
            "strike": [521.0, 522.0],
            "right": ["P", "P"],
            "price": [2.0, 2.5],
            "size": [5, 6],
            "bid": [1.9, 2.4],
            "ask": [2.1, 2.6],
        }
    ).write_parquet(session / "flow-0930.parquet")
    # Off-exchange prints under a name that hints at nothing: recognised from the header.
    _write(
        session / "prints.csv",
        f"{OFFEX_HEADER}\n2026-04-08 10:00:00,SPY,520.10,5000,520.05,520.15\n",
    )
    _write(session / "empty.csv", "")
    # Compact session folder name.
    _write(
        root / "20260409" / "darkpool.csv",
        f"{OFFEX_HEADER}\n2026-04-09 10:00:00,QQQ,440.10,1000,440.05,440.15\n",
    )
    _write(root / "bars" / "SPY.csv", "date,o,h,l,c,v\n2026-04-07,510,515,508,514,1000\n")
    _write(
        root / "bars" / "all.csv",
        "date,symbol,open,high,low,close,volume\n"
        "2026-04-07,QQQ,440,445,438,444,2000\n"
        "2026-04-07,IWM,200,202,199,201,3000\n",
    )
    _write(root / "macro.csv", "date,series,value\n2026-04-07,DXY,104.2\n")
    _write(root / "events.csv", "date,name,importance\n2026-04-10,CPI,high\n")
    _write(root / "sectors.csv", "symbol,sector\nAAPL,Information Technology\n")
    _write(
        root / "zones.csv",
        "date,symbol,low,mid,high\n2026-04-08,SPY,515,520,525\n2026-04-08,qqq,440,,450\n",
    )
    _write(
        root / "inputs.csv",
        "date,name,direction,note\n2026-04-08,breadth,+1,looks fine\n2026-04-08,vix,-1,\n",
    )
    _write(root / "flowterm.toml", "[thresholds]\nblock_premium = 100000\n")
    _write(root / "README.md", "# my data\n")
    _write(root / "notes" / "todo.txt", "buy low, sell high\n")
    _write(root / "2026-13-45" / "options.csv", _options_csv(1))
    _write(root / ".cache" / "options.csv", _options_csv(1))
    _write(root / ".hidden.csv", "a,b\n1,2\n")
    _write(root / "~$lock.csv", _options_csv(1))
    _write(root / "options.csv", _options_csv(2))  # misplaced: prints belong in a session


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("data")
    _build(path)
    return path


@pytest.fixture(scope="module")
def catalog(root: Path) -> Catalog:
    return scan_catalog(root)


def test_sessions_are_the_dated_folders(catalog: Catalog) -> None:
    assert catalog.sessions == (DAY, DAY2)


def test_root_and_settings(catalog: Catalog, root: Path) -> None:
    assert catalog.root == root
    assert catalog.settings == root / "flowterm.toml"


def test_files_and_kinds(catalog: Catalog) -> None:
    found = {f.rel: (f.kind, f.session) for f in catalog.files}
    assert found == {
        "2026-04-08/options_part1.csv": (Kind.OPTION_PRINTS, DAY),
        "2026-04-08/flow-0930.parquet": (Kind.OPTION_PRINTS, DAY),
        "2026-04-08/prints.csv": (Kind.OFFEX_PRINTS, DAY),
        "20260409/darkpool.csv": (Kind.OFFEX_PRINTS, DAY2),
        "bars/SPY.csv": (Kind.DAILY_BARS, None),
        "bars/all.csv": (Kind.DAILY_BARS, None),
        "macro.csv": (Kind.MACRO, None),
        "events.csv": (Kind.EVENTS, None),
        "sectors.csv": (Kind.SECTORS, None),
        "zones.csv": (Kind.ZONES, None),
        "inputs.csv": (Kind.INPUTS, None),
    }
    for f in catalog.files:
        assert f.path == catalog.root / f.rel
        assert f.size == f.path.stat().st_size


def test_session_kinds(catalog: Catalog) -> None:
    kinds = catalog.session_kinds(DAY)
    assert set(kinds) == {Kind.OPTION_PRINTS, Kind.OFFEX_PRINTS}
    assert {f.rel for f in kinds[Kind.OPTION_PRINTS]} == {
        "2026-04-08/options_part1.csv",
        "2026-04-08/flow-0930.parquet",
    }
    assert [f.rel for f in kinds[Kind.OFFEX_PRINTS]] == ["2026-04-08/prints.csv"]
    assert set(catalog.session_kinds(DAY2)) == {Kind.OFFEX_PRINTS}
    assert catalog.session_kinds(date(2026, 4, 10)) == {}


def test_of_kind_returns_both_part_files(catalog: Catalog) -> None:
    parts = catalog.of_kind(Kind.OPTION_PRINTS, DAY)
    assert {f.rel for f in parts} == {
        "2026-04-08/options_part1.csv",
        "2026-04-08/flow-0930.parquet",
    }
    assert {f.detected.fmt for f in parts} == {"csv", "parquet"}
    assert catalog.of_kind(Kind.OPTION_PRINTS, DAY2) == ()
    # Without a session: every file of the kind, wherever it is.
    assert len(catalog.of_kind(Kind.OFFEX_PRINTS)) == 2
    assert len(catalog.of_kind(Kind.DAILY_BARS)) == 2


def test_bars_symbol_from_file_name_only_without_a_symbol_column(catalog: Catalog) -> None:
    (spy,) = [f for f in catalog.files if f.rel == "bars/SPY.csv"]
    (long,) = [f for f in catalog.files if f.rel == "bars/all.csv"]
    assert spy.symbol_hint == "SPY"
    assert long.symbol_hint is None
    assert read_file(spy).frame["symbol"].to_list() == ["SPY"]
    assert sorted(read_file(long).frame["symbol"].to_list()) == ["IWM", "QQQ"]


@pytest.mark.parametrize(
    ("rel", "words"),
    [
        ("README.md", [".md"]),
        ("notes", ["date"]),
        ("2026-13-45", ["date"]),
        ("2026-04-08/empty.csv", ["empty"]),
        ("~$lock.csv", ["temporary"]),
        ("options.csv", ["session"]),
    ],
)
def test_skipped_items_have_a_reason(catalog: Catalog, rel: str, words: list[str]) -> None:
    skipped = {s.rel: s for s in catalog.skipped}
    assert rel in skipped, f"{rel} not listed as skipped: {sorted(skipped)}"
    entry = skipped[rel]
    assert entry.reason.strip()
    for word in words:
        assert word in entry.reason.lower()
    assert not entry.unreadable  # a choice, not a read failure


def test_skipped_list_is_exactly_the_unused_items(catalog: Catalog) -> None:
    assert sorted(s.rel for s in catalog.skipped) == sorted(
        ["README.md", "notes", "2026-13-45", "2026-04-08/empty.csv", "~$lock.csv", "options.csv"]
    )
    assert catalog.unreadable == ()
    assert len(catalog.ignored) == len(catalog.skipped)


def test_hidden_entries_are_silently_skipped(catalog: Catalog) -> None:
    listed = [s.rel for s in catalog.skipped] + [f.rel for f in catalog.files]
    assert not any(part.startswith(".") for rel in listed for part in rel.split("/"))
    # Nothing inside a skipped folder is listed or used.
    assert not any(rel.startswith(("notes/", "2026-13-45/")) for rel in listed)


def test_flowterm_toml_is_settings_not_skipped(catalog: Catalog) -> None:
    assert "flowterm.toml" not in {s.rel for s in catalog.skipped}
    assert "flowterm.toml" not in {f.rel for f in catalog.files}


def test_scan_kind_stacks_both_part_files(catalog: Catalog) -> None:
    stacked = scan_kind(catalog, Kind.OPTION_PRINTS, DAY).collect()
    assert stacked.height == 3 + 2
    assert set(stacked[FILE].to_list()) == {
        "2026-04-08/options_part1.csv",
        "2026-04-08/flow-0930.parquet",
    }
    by_file = stacked.group_by(FILE).len()
    assert dict(by_file.iter_rows()) == {
        "2026-04-08/options_part1.csv": 3,
        "2026-04-08/flow-0930.parquet": 2,
    }
    assert stacked["ts"].dtype == pl.Datetime("ns", "UTC")
    assert sorted(stacked["size"].to_list()) == [1, 2, 3, 5, 6]
    assert stacked["session"].unique().to_list() == [DAY]
    # The Parquet rows were written as 13:50/13:51 UTC: 09:50/09:51 ET.
    parquet = stacked.filter(pl.col(FILE) == "2026-04-08/flow-0930.parquet").sort("ts")
    assert parquet["ts"].to_list() == [
        datetime(2026, 4, 8, 13, 50, tzinfo=UTC),
        datetime(2026, 4, 8, 13, 51, tzinfo=UTC),
    ]


def test_scan_kind_of_a_kind_with_no_files_is_empty(catalog: Catalog) -> None:
    empty = scan_kind(catalog, Kind.QUOTES, DAY).collect()
    assert empty.height == 0
    assert "bid" in empty.columns


def test_content_wins_over_file_name(tmp_path: Path) -> None:
    # A file named like dark-pool prints that holds option prints is option prints.
    _write(tmp_path / "2026-04-08" / "darkpool.csv", _options_csv(1))
    _write(
        tmp_path / "2026-04-08" / "options.csv", f"{OFFEX_HEADER}\n2026-04-08 10:00:00,SPY,1,1,,\n"
    )
    kinds = {f.rel: f.kind for f in scan_catalog(tmp_path).files}
    assert kinds == {
        "2026-04-08/darkpool.csv": Kind.OPTION_PRINTS,
        "2026-04-08/options.csv": Kind.OFFEX_PRINTS,
    }


def test_header_matching_no_kind_is_skipped_with_its_columns(tmp_path: Path) -> None:
    _write(tmp_path / "2026-04-08" / "options.csv", _options_csv(1))
    _write(tmp_path / "2026-04-08" / "mystery.csv", "alpha,beta,gamma_x\n1,2,3\n")
    catalog = scan_catalog(tmp_path)
    (entry,) = catalog.skipped
    assert entry.rel == "2026-04-08/mystery.csv"
    assert "alpha" in entry.reason


def test_nested_folder_in_a_session_is_skipped(tmp_path: Path) -> None:
    _write(tmp_path / "2026-04-08" / "options.csv", _options_csv(1))
    _write(tmp_path / "2026-04-08" / "old" / "options.csv", _options_csv(1))
    catalog = scan_catalog(tmp_path)
    assert [f.rel for f in catalog.files] == ["2026-04-08/options.csv"]
    assert [s.rel for s in catalog.skipped] == ["2026-04-08/old"]


def test_missing_path_raises(tmp_path: Path) -> None:
    with pytest.raises(CatalogError):
        scan_catalog(tmp_path / "nope")


def test_a_file_instead_of_a_folder_raises(tmp_path: Path) -> None:
    path = tmp_path / "options.csv"
    _write(path, _options_csv(1))
    with pytest.raises(CatalogError):
        scan_catalog(path)


def test_an_empty_folder_raises(tmp_path: Path) -> None:
    with pytest.raises(CatalogError):
        scan_catalog(tmp_path)


def test_a_folder_with_only_hidden_entries_raises(tmp_path: Path) -> None:
    _write(tmp_path / ".cache" / "options.csv", _options_csv(1))
    with pytest.raises(CatalogError):
        scan_catalog(tmp_path)


def test_a_folder_with_only_a_readme_raises_and_says_why(tmp_path: Path) -> None:
    _write(tmp_path / "README.md", "# nothing here\n")
    with pytest.raises(CatalogError) as info:
        scan_catalog(tmp_path)
    assert [s.rel for s in info.value.skipped] == ["README.md"]
    assert str(tmp_path) in str(info.value)


def test_top_level_tables_are_read(catalog: Catalog) -> None:
    tables = {f.rel: read_file(f) for f in catalog.files if "/" not in f.rel}
    assert set(tables) == {"macro.csv", "events.csv", "sectors.csv", "zones.csv", "inputs.csv"}
    for rel, result in tables.items():
        assert result.error is None, rel
        assert result.rows_rejected == 0, (rel, result.rejects)
    assert tables["macro.csv"].frame.select("date", "series", "value").rows() == [
        (date(2026, 4, 7), "DXY", 104.2)
    ]
    assert tables["events.csv"].frame.select("date", "name", "importance").rows() == [
        (date(2026, 4, 10), "CPI", "high")
    ]
    assert tables["sectors.csv"].frame.select("symbol", "sector").rows() == [
        ("AAPL", "Information Technology")
    ]
    zones = tables["zones.csv"].frame.sort("symbol").select("symbol", "low", "mid", "high")
    assert zones.rows() == [("QQQ", 440.0, 445.0, 450.0), ("SPY", 515.0, 520.0, 525.0)]
    inputs = tables["inputs.csv"].frame.sort("name").select("name", "direction", "note")
    assert inputs.rows() == [("breadth", 1, "looks fine"), ("vix", -1, None)]


def test_file_names_with_glob_characters_are_read_as_written(tmp_path: Path) -> None:
    """Brackets and stars in a file name are literal, for Parquet as for CSV."""
    day = tmp_path / "2026-04-08"
    day.mkdir()
    frame = pl.DataFrame(
        {
            "ts": pl.Series([datetime(2026, 4, 8, 14, 0, tzinfo=UTC)]).cast(
                pl.Datetime("ns", "UTC")
            ),
            "symbol": ["SPY"],
            "price": [500.0],
            "size": [100.0],
            "bid": [499.99],
            "ask": [500.01],
        }
    )
    frame.write_parquet(day / "darkpool [1].parquet")
    frame.write_parquet(day / "dark*pool.parquet")
    catalog = scan_catalog(tmp_path)
    assert catalog.unreadable == ()
    assert [read_file(f).frame.height for f in catalog.files] == [1, 1]
