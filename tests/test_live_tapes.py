"""Print tapes that grow while flowterm reads them: an incremental read equals a full rebuild.

Appended CSV rows, new part files, a row split across two writes (held back while the file is
being written, used once it is quiet), a file replaced by atomic rename, truncated and rewritten,
or deleted: after each, the snapshot built from the previous read equals a fresh build of the
folder as it now is. Every case runs with the rows kept in memory and with the streaming fast
path (``STREAM_BYTES`` forced to 0), and the summaries the fast path makes are checked against
the canonical path on hostile rows.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from flowterm.core import tape
from flowterm.core.catalog import scan_catalog
from flowterm.core.readers import read_file
from flowterm.core.schema import Kind
from flowterm.core.snapshot import Snapshot, build_snapshot

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the benchmarks package lives at the top of the repository

from benchmarks.tapegen import (  # noqa: E402
    SESSION,
    _names,
    _spots,
    dark_prints,
    et_text,
    option_prints,
    write_tapes,
)

DAY = SESSION.isoformat()
DATA_BARS = ROOT / "data" / "bars"
NAMES = _names(24)
SPOTS = _spots(np.random.default_rng(11), NAMES)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small session with both tapes as CSV (ET text timestamps, like vendor exports)."""
    root = tmp_path_factory.mktemp("tapes") / "data"
    write_tapes(root, prints=4000, dark_prints_count=3000, underlyings=24, bar_sessions=80)
    day = root / DAY
    for name in ("options", "darkpool"):
        frame = pl.read_parquet(day / f"{name}.parquet")
        et_text(frame).write_csv(day / f"{name}.csv")
        (day / f"{name}.parquet").unlink()
    return root


@pytest.fixture(params=["kept", "streamed"])
def folder(
    request: pytest.FixtureRequest, template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    if request.param == "streamed":
        monkeypatch.setattr(tape, "STREAM_BYTES", 0)
    out = tmp_path / "data"
    shutil.copytree(template, out)
    yield out


def _rows(n: int, seed: int, *, dark: bool = False) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    frame = (dark_prints if dark else option_prints)(rng, n, NAMES, SPOTS)
    return et_text(frame)


def _csv_text(frame: pl.DataFrame) -> str:
    return frame.write_csv(include_header=False)


def _append(path: Path, text: str) -> None:
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(text)


def _quiet(path: Path, seconds: float = 30.0) -> None:
    """Stamp the file as last written ``seconds`` ago (a writer that has finished)."""
    then = time.time() - seconds
    os.utime(path, (then, then))


def _busy(path: Path) -> None:
    """Stamp the file as written just now (a writer still at it)."""
    now = time.time()
    os.utime(path, (now, now))


def _live(folder: Path, previous: Snapshot | None = None) -> Snapshot:
    return build_snapshot(
        folder, previous=previous.inputs if previous else None, cache=None, live=True
    )


def _fresh(folder: Path) -> Snapshot:
    return build_snapshot(folder, cache=None)


def _sorted(frame: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    return frame.sort(keys)


def assert_same(a: Snapshot, b: Snapshot) -> None:
    """Two snapshots show the same figures (sums to floating-point reordering)."""
    close: dict[str, Any] = {"check_exact": False, "rel_tol": 1e-9, "abs_tol": 1e-6}
    ma, mb = a.flow.market, b.flow.market
    for name in ma.__dataclass_fields__:
        x, y = getattr(ma, name), getattr(mb, name)
        if isinstance(x, float):
            assert x == pytest.approx(y, rel=1e-9, abs=1e-6), name
        else:
            assert x == y, name
    assert_frame_equal(a.flow.tickers, b.flow.tickers, **close)
    assert_frame_equal(a.flow.sectors, b.flow.sectors, **close)
    assert_frame_equal(a.flow.top, b.flow.top, **close)
    assert_frame_equal(a.dark_days, b.dark_days, **close)
    assert_frame_equal(a.dark_volume_by_spot, b.dark_volume_by_spot, **close)
    assert_frame_equal(a.indicators["pcr"], b.indicators["pcr"], **close)
    assert_frame_equal(a.tickers, b.tickers, **close)
    assert a.convergence == b.convergence
    assert_frame_equal(_sorted(a.rejects, ["file", "line"]), _sorted(b.rejects, ["file", "line"]))
    keys = ["ts", "underlying", "strike", "right", "price", "size"]
    prints_a = a.option_prints.collect().sort(keys, maintain_order=True)
    prints_b = b.option_prints.collect().sort(keys, maintain_order=True)
    assert_frame_equal(prints_a, prints_b, **close)
    dark_keys = ["ts", "symbol", "price", "size"]
    assert_frame_equal(
        a.dark_prints.collect().sort(dark_keys), b.dark_prints.collect().sort(dark_keys), **close
    )


class _Spy:
    """Counts the reads ``core.tape`` makes: whole files, and chunks with their start byte."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.whole: list[str] = []
        self.chunks: list[tuple[str, int, int]] = []
        chunk, streamed, whole = tape._chunk, tape._read_streamed, tape._read_whole

        def spy_chunk(source: Any, handle: Any, start: int, end: int, *args: Any) -> Any:
            self.chunks.append((source.rel, start, end))
            return chunk(source, handle, start, end, *args)

        def spy_streamed(source: Any, *args: Any) -> Any:
            self.whole.append(source.rel)
            return streamed(source, *args)

        def spy_whole(source: Any, *args: Any) -> Any:
            self.whole.append(source.rel)
            return whole(source, *args)

        monkeypatch.setattr(tape, "_chunk", spy_chunk)
        monkeypatch.setattr(tape, "_read_streamed", spy_streamed)
        monkeypatch.setattr(tape, "_read_whole", spy_whole)


# ------------------------------------------------------------------------------------------
# growing files
# ------------------------------------------------------------------------------------------


def test_appended_csv_rows_are_read_alone_and_equal_a_full_rebuild(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    options, dark = folder / DAY / "options.csv", folder / DAY / "darkpool.csv"
    first = _live(folder)
    size = options.stat().st_size
    spy = _Spy(monkeypatch)
    _append(options, _csv_text(_rows(500, 1)))
    _append(dark, _csv_text(_rows(300, 2, dark=True)))
    _quiet(options)
    _quiet(dark)
    again = _live(folder, first)
    assert spy.whole == []  # nothing read from the start ...
    starts = {rel: start for rel, start, _ in spy.chunks}
    assert starts[f"{DAY}/options.csv"] == size  # ... only the new bytes
    assert again.flow.market.prints_seen == first.flow.market.prints_seen + 500
    assert_same(again, _fresh(folder))


def test_a_new_part_file_is_read_alone_and_equals_a_full_rebuild(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _live(folder)
    spy = _Spy(monkeypatch)
    _rows(400, 3).write_csv(folder / DAY / "options_part2.csv")
    extra = dark_prints(np.random.default_rng(4), 250, NAMES, SPOTS)
    extra.write_parquet(folder / DAY / "darkpool_part2.parquet")
    again = _live(folder, first)
    read = set(spy.whole) | {rel for rel, _, _ in spy.chunks}
    assert read == {f"{DAY}/darkpool_part2.parquet", f"{DAY}/options_part2.csv"}
    assert again.flow.market.prints_seen == first.flow.market.prints_seen + 400
    assert_same(again, _fresh(folder))


def test_a_new_chain_snapshot_mid_session_equals_a_full_rebuild(folder: Path) -> None:
    # dealer gamma is started early from the chain files read; one more file must not trip it
    first = _live(folder)
    chain = pl.read_parquet(folder / DAY / "chain.parquet")
    later = chain.with_columns(pl.col("as_of") + pl.duration(minutes=15))
    later.write_parquet(folder / DAY / "chain_1545.parquet")
    again = _live(folder, first)
    assert again.files == first.files + 1
    assert again.gamma.keys() == first.gamma.keys()
    fresh = _fresh(folder)
    assert_same(again, fresh)
    for underlying, report in fresh.gamma.items():
        assert again.gamma[underlying].net_gex == pytest.approx(report.net_gex, rel=1e-9)


def test_an_appended_row_repeating_an_earlier_print_is_found_as_a_full_read_finds_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(DATA_BARS, tmp_path / "bars")
    day = tmp_path / DAY
    day.mkdir()
    options = day / "options.csv"
    lines = REPEATED_OPTIONS.splitlines(keepends=True)
    options.write_text("".join(lines[:3]), encoding="utf-8")  # header, T1, T2
    first = _live(tmp_path)
    spy = _Spy(monkeypatch)
    _append(options, "".join(lines[3:]))  # T1 again (a repeat), a cancel of T2, ...
    _quiet(options)
    again = _live(tmp_path, first)
    header = len(lines[0].encode())
    # read from the first row: the repeat is seen beside the print it repeats
    assert (f"{DAY}/options.csv", header) in [(rel, start) for rel, start, _ in spy.chunks]
    fresh = _fresh(tmp_path)
    assert_same(again, fresh)
    reasons = fresh.rejects.filter(pl.col("reason").str.starts_with("duplicate"))
    assert reasons["line"].to_list() == [4, 9]
    # an append that repeats nothing is read alone
    _append(options, "2026-04-08 09:40:00,SPY,2026-04-10,650,C,1.10,3,1.00,1.10,CBOE,,T9\n")
    _quiet(options)
    spy.chunks.clear()
    size = options.stat().st_size
    third = _live(tmp_path, again)
    assert [start for rel, start, _ in spy.chunks if rel.endswith("options.csv")] == [
        size - len("2026-04-08 09:40:00,SPY,2026-04-10,650,C,1.10,3,1.00,1.10,CBOE,,T9\n")
    ]
    assert third.flow.market.prints_seen == again.flow.market.prints_seen + 1
    assert_same(third, _fresh(tmp_path))


def test_many_appends_equal_one_full_read(folder: Path) -> None:
    options = folder / DAY / "options.csv"
    snap = _live(folder)
    for i in range(5):
        _append(options, _csv_text(_rows(120, 10 + i)))
        _quiet(options)
        snap = _live(folder, snap)
    assert_same(snap, _fresh(folder))


# ------------------------------------------------------------------------------------------
# a row split across two writes
# ------------------------------------------------------------------------------------------


def test_half_a_row_waits_while_the_file_is_being_written(folder: Path, tmp_path: Path) -> None:
    options = folder / DAY / "options.csv"
    first = _live(folder)
    row = _csv_text(_rows(1, 20))
    head, rest = row[: len(row) // 2], row[len(row) // 2 :]
    _append(options, _csv_text(_rows(50, 21)) + head)
    _busy(options)
    held = _live(folder, first)
    assert held.inputs.held_back == (f"{DAY}/options.csv",)
    # equal to a full build of the file without its unfinished last line
    without = tmp_path / "without"
    shutil.copytree(folder, without)
    text = (without / DAY / "options.csv").read_text(encoding="utf-8")
    (without / DAY / "options.csv").write_text(text[: len(text) - len(head)], encoding="utf-8")
    assert_same(held, _fresh(without))
    assert held.rejects.is_empty()
    # the rest of the row arrives: it is read once, whole
    _append(options, rest)
    _busy(options)
    done = _live(folder, held)
    assert done.inputs.held_back == ()
    assert done.flow.market.prints_seen == first.flow.market.prints_seen + 51
    assert done.rejects.is_empty()
    assert_same(done, _fresh(folder))


def test_an_unterminated_last_line_is_used_once_the_file_is_quiet(folder: Path) -> None:
    options = folder / DAY / "options.csv"
    first = _live(folder)
    row = _csv_text(_rows(1, 30))
    _append(options, _csv_text(_rows(40, 31)) + row.rstrip("\n"))
    _busy(options)
    held = _live(folder, first)
    assert held.inputs.held_back
    _quiet(options)  # the re-check, once the writer is done: the line is a row after all
    used = _live(folder, held)
    assert used.inputs.held_back == ()
    assert used.flow.market.prints_seen == first.flow.market.prints_seen + 41
    assert_same(used, _fresh(folder))  # a one-shot build uses the last line too
    # ... and if the writer was only slow, the line is read again with the rest of it
    more = _csv_text(_rows(3, 32))
    _append(options, "\n" + more)
    _quiet(options)
    later = _live(folder, used)
    assert later.flow.market.prints_seen == first.flow.market.prints_seen + 44
    assert_same(later, _fresh(folder))


def test_a_value_cut_mid_number_is_not_counted_as_a_smaller_number(folder: Path) -> None:
    """Half a row whose last field is a number would parse as a different number."""
    options = folder / DAY / "options.csv"
    first = _live(folder)
    frame = _rows(1, 40).with_columns(pl.lit(12345.25).alias("iv"))
    line = _csv_text(frame)
    cut = line.index("12345.25") + 3  # "…,123"
    _append(options, line[:cut])
    _busy(options)
    held = _live(folder, first)
    _append(options, line[cut:])
    _busy(options)
    done = _live(folder, held)
    assert_same(done, _fresh(folder))
    assert done.flow.market.prints_seen == first.flow.market.prints_seen + 1


# ------------------------------------------------------------------------------------------
# replaced, truncated, deleted
# ------------------------------------------------------------------------------------------


def test_a_file_replaced_by_atomic_rename_is_read_again(folder: Path) -> None:
    options = folder / DAY / "options.csv"
    first = _live(folder)
    replacement = folder / DAY / "options.csv.tmp"
    text = options.read_text(encoding="utf-8")
    header, body = text.split("\n", 1)
    lines = body.splitlines(keepends=True)
    # same size and more rows at the end, but the rows before changed: not an append
    new_rows = _csv_text(_rows(len(lines) + 25, 50))
    replacement.write_text(header + "\n" + new_rows, encoding="utf-8")
    os.replace(replacement, options)
    _quiet(options)
    again = _live(folder, first)
    assert again.flow.market.prints_seen == len(lines) + 25 + _other_options(folder)
    assert_same(again, _fresh(folder))


def _other_options(folder: Path) -> int:
    catalog = scan_catalog(folder)
    return sum(
        read_file(f).frame.height
        for f in catalog.of_kind(Kind.OPTION_PRINTS)
        if not f.rel.endswith("options.csv")
    )


@pytest.mark.parametrize("longer", [False, True])
def test_a_truncated_and_rewritten_file_is_read_again(folder: Path, longer: bool) -> None:
    options = folder / DAY / "options.csv"
    first = _live(folder)
    header = options.read_text(encoding="utf-8").split("\n", 1)[0]
    count = 6000 if longer else 700
    with open(options, "w", encoding="utf-8") as handle:  # truncate in place (same inode)
        handle.write(header + "\n" + _csv_text(_rows(count, 60)))
    _quiet(options)
    again = _live(folder, first)
    assert again.flow.market.prints_seen == count
    assert_same(again, _fresh(folder))


def test_a_deleted_file_leaves_the_snapshot(folder: Path) -> None:
    _rows(300, 70).write_csv(folder / DAY / "options_part2.csv")
    first = _live(folder)
    (folder / DAY / "options_part2.csv").unlink()
    again = _live(folder, first)
    assert again.flow.market.prints_seen == first.flow.market.prints_seen - 300
    assert all("options_part2" not in f for f in again.inputs.results)
    assert_same(again, _fresh(folder))


def test_a_csv_without_a_final_newline_is_whole_in_a_one_shot_build(folder: Path) -> None:
    options = folder / DAY / "options.csv"
    text = options.read_text(encoding="utf-8")
    options.write_text(text.rstrip("\n"), encoding="utf-8")  # an Excel re-save
    lines = text.count("\n") - 1
    one_shot = _fresh(folder)
    assert one_shot.flow.market.prints_seen == lines
    _quiet(options)
    assert _live(folder).flow.market.prints_seen == lines


# ------------------------------------------------------------------------------------------
# the fast path against the canonical path
# ------------------------------------------------------------------------------------------

HOSTILE_OPTIONS = """ts,underlying,expiry,strike,right,price,size,bid,ask,root,conditions,iv
2026-04-08 09:31:00,spy ,2026-04-10,650,c,1.10,3,1.00,1.10,,ISOI,0.2
2026-04-08 09:32:00,SPY,2026-04-10,650,CALL,1.00,2,1.00,1.10,SPY,MLET,0.2
2026-04-08 09:33:00,SPY,2026-04-10,650,P,1.05,1,1.00,1.10,SPY,CANC,0.2
2026-04-08 09:34:00,SPY,2026-04-10,650,P,"1,000.00",1,1.00,1.10,SPY,,0.2
2026-04-08 09:35:00,SPY,2026-04-10,650,X,1.05,1,1.00,1.10,SPY,,0.2
2026-04-08 09:36:00,  ,2026-04-10,650,P,1.05,1,1.00,1.10,SPY,,0.2
2026-04-08 09:37:00,SPY,2026-04-10,650,P,1.05,1,1.00,1.10,SPY,,NaN

2026-04-08T13:38:00Z,SPY,2026-04-10,650,P,1.08,4,1.00,1.10,SPY,LATE,0.2
2026-04-08 16:05:00,QQQ,2026-04-10,580,C,2.00,5,,,QQQ,,0.2
2026-04-08 09:39:00,QQQ,2026-04-07,580,C,2.00,5,1.9,2.1,QQQ,,0.2
2026-04-09 09:39:00,QQQ,2026-04-10,580,C,2.00,5,1.9,2.1,QQQ,,0.2
2026-04-08 09:40:00,QQQ,2026-04-10,-580,C,2.00,5,1.9,2.1,QQQ,,0.2
2026-04-08 09:41:00,QQQ,2026-04-10,580,C,2.00,2.5,1.9,2.1,QQQ,,0.2
2026-04-08 09:42:00,QQQ, 2026-04-10,580,C,2.00,5,2.1,1.9,QQQ,"TLET, ISOI",0.2
2026-04-08 09:43:00,QQQ,04/10/2026,580,P, 2.00 ,5,1.9,2.1,qqq,,0.2
2026-04-08 09:44:00,QQQ,2026-04-10,580,P,2.00,5,1.9,2.1,QQQ,,0.2,extra
2026-04-08 09:45:00,[bold red]X,2026-04-10,580,P,2.00,5,1.9,2.1,,,0.2
2026-04-08 09:46:00,[2J,2026-04-10,580,P,2.00,5,1.9,2.1,,,0.2
2026-04-08 09:47:00,=cmd|' /C calc'!A0,2026-04-10,580,P,2.00,5,1.9,2.1,,,0.2
2026-04-08 09:48:00,ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJ,2026-04-10,580,P,2.00,5,1.9,2.1,,,0.2
"""

HOSTILE_DARK = """ts,symbol,price,size,bid,ask,venue,conditions
2026-04-08 09:31:00,spy,650.01,100,650.00,650.02,ADF,
2026-04-08 09:32:00,SPY,650.00,100,650.00,650.02,ADF,T
2026-04-08 09:33:00,SPY,650.015,200,650.00,650.02,,W
2026-04-08 09:34:00,,650.015,200,650.00,650.02,ADF,
2026-04-08 09:35:00,SPY,-1,200,650.00,650.02,ADF,
2026-04-08 09:36:00,QQQ,580.00,"1,000",579.99,580.01,ADF,
2026-04-08 09:37:00,QQQ,580.00,50,,,ADF,@
,,,,,,TRF,
2026-04-08 09:38:00,QQQ,580.01,50,579.99,580.01,ADF,"@ ,4"
2026-04-08 09:39:00,[/,580.01,50,579.99,580.01,ADF,
2026-04-08 09:40:00,[2J,580.01,50,579.99,580.01,ADF,
"""


#: Every number parses as a number (the reader parses them itself, then the rows with
#: other problems are read again as text).
PARSEABLE_OPTIONS = (
    "\n".join(
        line
        for line in HOSTILE_OPTIONS.splitlines()
        if '"1,000.00"' not in line and " 2.00 " not in line and ",2.5," not in line
    )
    + "\n"
)


#: A feed that delivered prints twice (same trade id, time, contract, price, size, venue and
#: conditions), a cancel that repeats its trade's id with other conditions (not a repeat), and
#: a repeat that also fails another check.
REPEATED_OPTIONS = (
    "ts,underlying,expiry,strike,right,price,size,bid,ask,exchange,conditions,trade_id\n"
    """2026-04-08 09:31:00,SPY,2026-04-10,650,C,1.10,3,1.00,1.10,CBOE,,T1
2026-04-08 09:31:01,SPY,2026-04-10,650,P,1.00,2,1.00,1.10,CBOE,,T2
2026-04-08 09:31:00,SPY,2026-04-10,650,C,1.10,3,1.00,1.10,CBOE,,T1
2026-04-08 09:31:01,SPY,2026-04-10,650,P,1.00,2,1.00,1.10,CBOE,CANC,T2
2026-04-08 09:32:00,QQQ,2026-04-10,580,C,-2.00,5,1.9,2.1,CBOE,,T3
2026-04-08 09:32:00,QQQ,2026-04-10,580,C,-2.00,5,1.9,2.1,CBOE,,T3
2026-04-08 09:33:00,QQQ,2026-04-10,580,P,2.00,5,1.9,2.1,CBOE,,T4
2026-04-08 09:33:00,QQQ,2026-04-10,580,P,2.00,5,1.9,2.1,CBOE,," T4 "
2026-04-08 09:34:00,QQQ,2026-04-10,580,P,2.00,5,1.9,2.1,CBOE,,
2026-04-08 09:34:00,QQQ,2026-04-10,580,P,2.00,5,1.9,2.1,CBOE,,
"""
)
REPEATED_DARK = """ts,symbol,price,size,bid,ask,venue,conditions,trade_id
2026-04-08 09:31:00,SPY,650.01,100,650.00,650.02,ADF,,D1
2026-04-08 09:31:00,SPY,650.01,100,650.00,650.02,ADF,,D1
2026-04-08 09:31:00,SPY,650.01,100,650.00,650.02,NYSE,,D1
2026-04-08 09:32:00,QQQ,580.00,50,579.99,580.01,ADF,,D2
"""


@pytest.mark.parametrize(
    ("name", "text", "kind"),
    [
        ("options.csv", HOSTILE_OPTIONS, Kind.OPTION_PRINTS),
        ("options.csv", PARSEABLE_OPTIONS, Kind.OPTION_PRINTS),
        ("darkpool.csv", HOSTILE_DARK, Kind.OFFEX_PRINTS),
        ("options.csv", REPEATED_OPTIONS, Kind.OPTION_PRINTS),
        ("darkpool.csv", REPEATED_DARK, Kind.OFFEX_PRINTS),
    ],
)
def test_the_fast_path_sums_what_the_canonical_path_sums(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, text: str, kind: Kind
) -> None:
    day = tmp_path / DAY
    day.mkdir()
    (day / name).write_text(text, encoding="utf-8")
    source = next(f for f in scan_catalog(tmp_path).of_kind(kind))
    params = tape.TapeParams()
    exact = read_file(source)
    expected = tape.summarise_rows(kind, exact.frame.lazy(), params)
    monkeypatch.setattr(tape, "STREAM_BYTES", 0)
    fast = tape.read_tape(source, params=params)
    assert fast.tape is not None and fast.tape.streamed
    keys = ["session", "underlying", "root", "right"] if kind is Kind.OPTION_PRINTS else None
    keys = keys or ["session", "symbol"]
    assert_frame_equal(
        fast.tape.summary.sums.sort(keys), expected.sums.sort(keys), check_exact=False
    )
    if kind is Kind.OFFEX_PRINTS:
        # split against spots while read: the same as splitting the exact volume by price
        spots = tape.SpotMap(SESSION, (("QQQ", 580.0), ("SPY", 650.01)))
        with_spots = replace(params, spots=spots)
        split = tape.read_tape(source, params=with_spots).tape
        assert split is not None and split.summary.splits is not None
        exact_split = tape.summarise_rows(kind, exact.frame.lazy(), with_spots).splits
        assert exact_split is not None
        assert_frame_equal(
            split.summary.splits.sort("symbol"), exact_split.sort("symbol"), check_exact=False
        )
        level_keys = ["session", "symbol", "price"]
        assert_frame_equal(
            fast.tape.summary.levels_frame().sort(level_keys),
            expected.levels_frame().sort(level_keys),
            check_exact=False,
        )
    assert_frame_equal(fast.rejects, exact.rejects)
    assert fast.good_rows == exact.frame.height
    assert_frame_equal(tape.rows(fast).collect().sort(pl.all()), exact.frame.sort(pl.all()))
