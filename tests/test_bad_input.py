"""The bad-input corpus: every way a file in a data folder can be broken, one test each.

Each case writes the minimal valid folder (``minifolder``), reads it once (the last good read),
breaks one file, and then checks four things:

(a) ``flowterm validate`` exits 1 and prints a message naming the file, the line (where a row
    is at fault) and the reason (cases that are *not* errors under the data contract, such as a
    byte-order mark or a locked quote, exit 0 and say so in their ``why``);
(b) a rebuild from the last good read never raises, uses every good row of the broken file and
    of every other file, and keeps the last good rows of a file that can no longer be read;
(c) the same message reaches the snapshot the app shows (its rejects or its errors; the app's
    header and log render exactly these, see the app-level tests at the end);
(d) nothing in the data folder changed: every entry's bytes, mode and mtime are as before.

Tests run as root here, where ``chmod 000`` does not stop a read: the permission case then
simulates the refusal at the one place flowterm opens a text file itself (the sniffer).
"""

from __future__ import annotations

import dataclasses
import io
import os
import pathlib
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from minifolder import (
    DAY,
    OPTIONS_HEADER,
    build,
    dark_row,
    option_row,
    settle_builds,
    tree_digest,
    write_lines,
)
from typer.testing import CliRunner

from flowterm.core import checkup, readers, snapshot
from flowterm.core.catalog import scan_catalog
from flowterm.core.snapshot import Inputs, build_snapshot, read_inputs
from flowterm.tui.cli import app as cli
from flowterm.tui.screens.text import printable

ENV = {"COLUMNS": "250", "NO_COLOR": "1", "TERM": "dumb"}
OPTIONS = f"{DAY}/options.csv"
PART = f"{DAY}/options_2.csv"
#: The first line appended to options.csv (six good rows sit on lines 2-7).
NEXT = 8
GOOD_OPTIONS = 6

Breaker = Callable[[Path, pytest.MonkeyPatch], None]


@dataclass(frozen=True)
class Case:
    id: str
    breaks: Breaker
    #: The file the message names (relative to the data folder).
    file: str
    #: Words of the reason (as ``flowterm validate`` prints it, control characters shown).
    reason: str
    #: The line named, for a row set aside; None for a problem with the whole file.
    line: int | None = None
    #: Good rows of ``file`` used after the break (None: the file is not read at all).
    rows: int | None = None
    #: ``flowterm validate``'s exit status.
    exit_code: int = 1
    #: The file could be read before and cannot now: its last good rows stay in use.
    kept: bool = False
    #: The app reports the problem too (an empty or header-only file only waits for rows).
    in_app: bool = True
    #: Why a case that is not an error exits 0.
    why: str = ""


# ------------------------------------------------------------------------------------------
# breaking files
# ------------------------------------------------------------------------------------------


def _append(rel: str, *lines: str, end: str = "\n") -> Breaker:
    def breaks(root: Path, _: pytest.MonkeyPatch) -> None:
        with (root / rel).open("ab") as fh:
            fh.write(("\n".join(lines) + end).encode("utf-8", errors="surrogateescape"))

    return breaks


def _append_bytes(rel: str, data: bytes) -> Breaker:
    def breaks(root: Path, _: pytest.MonkeyPatch) -> None:
        with (root / rel).open("ab") as fh:
            fh.write(data)

    return breaks


def _write(rel: str, data: bytes | str | Callable[[Path], bytes]) -> Breaker:
    def breaks(root: Path, _: pytest.MonkeyPatch) -> None:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        content = data(root) if callable(data) else data
        path.write_bytes(content.encode() if isinstance(content, str) else content)

    return breaks


def _options(root: Path) -> bytes:
    return (root / OPTIONS).read_bytes()


def _option(**changes: str) -> str:
    """An option print with some fields replaced (by canonical column name)."""
    names = OPTIONS_HEADER.split(",")
    values = option_row(30).split(",")
    for name, value in changes.items():
        values[names.index(name)] = value
    return ",".join(values)


def _parquet(frame: pl.DataFrame) -> bytes:
    buf = io.BytesIO()
    frame.write_parquet(buf)
    return buf.getvalue()


def _option_frame(price: list[Any]) -> pl.DataFrame:
    n = len(price)
    return pl.DataFrame(
        {
            "ts": [f"{DAY} 12:0{i}:00" for i in range(n)],
            "underlying": ["SPY"] * n,
            "expiry": ["2026-04-17"] * n,
            "strike": [520.0] * n,
            "right": ["C"] * n,
            "price": price,
            "size": [10] * n,
            "bid": [1.2] * n,
            "ask": [1.3] * n,
        }
    )


def _symlink(rel: str, target: Callable[[Path], Path]) -> Breaker:
    def breaks(root: Path, _: pytest.MonkeyPatch) -> None:
        os.symlink(target(root), root / rel)

    return breaks


def _loop(root: Path, _: pytest.MonkeyPatch) -> None:
    os.symlink(root / DAY / "options_b.csv", root / DAY / "options_a.csv")
    os.symlink(root / DAY / "options_a.csv", root / DAY / "options_b.csv")


def _outside(root: Path) -> Path:
    path = root.parent / "elsewhere" / "options.csv"
    write_lines(path, [OPTIONS_HEADER, option_row(40)])
    return path


def _no_permission(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = root / OPTIONS
    os.chmod(path, 0)
    if os.geteuid() != 0:
        return  # the real refusal
    real_open = pathlib.Path.open

    def refuse(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "open", refuse)


def _during_read(change: Callable[[Path], None]) -> Breaker:
    """The feed appends to options.csv, then changes it while flowterm reads it and puts it
    back afterwards (so the folder ends as the feed left it, not as flowterm did)."""

    def breaks(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        path = root / OPTIONS
        _append(OPTIONS, option_row(9))(root, monkeypatch)

        def racing(real: Callable[..., Any]) -> Callable[..., Any]:
            def read(source: Any, *args: Any, **kwargs: Any) -> Any:
                if source.path != path:
                    return real(source, *args, **kwargs)
                data, st = path.read_bytes(), path.stat()
                change(path)
                try:
                    return real(source, *args, **kwargs)
                finally:
                    path.unlink(missing_ok=True)
                    path.write_bytes(data)
                    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))

            return read

        # validate reads every file with read_file; the snapshot reads print tapes with
        # read_tape (sums, read from where the last read stopped) and the rest with read_file
        for module in (checkup, snapshot):
            monkeypatch.setattr(module, "read_file", racing(readers.read_file))
        monkeypatch.setattr(snapshot, "read_tape", racing(snapshot.read_tape))

    return breaks


def _replace_with_junk(path: Path) -> None:
    tmp = path.with_name("options.new")
    tmp.write_bytes(b"\x00\x01junk;;;\n" * 50)
    os.replace(tmp, path)


def _hostile_capture(root: Path) -> bytes:
    marker = root.parent / "pwned"
    local = "2026-04-08 10:00:00.000000"
    ms = 1775656800000  # 2026-04-08 14:00:00 UTC = 10:00 ET
    record = (
        "{'id': 'u%d', 'underlying_symbol': 'SPY', 'executed_at': %d, 'nbbo_bid': '1.20', "
        "'nbbo_ask': '1.30', 'size': 10, 'price': '1.25', 'option_symbol': 'SPY260417C00520000',"
        " 'tags': ['ask_side'], 'canceled': False}"
    )
    lines = [
        f"{local}|option_trades:SPY|{record % (1, ms)}",
        f"{local}|option_trades:SPY|{record % (2, ms + 1000)}",
        f"{local}|option_trades:SPY|{{'id': __import__('os').system('touch {marker}')}}",
        f"{local}|option_trades:SPY|{record % (3, ms + 2000)}",
    ]
    return ("\n".join(lines) + "\n").encode()


def _bars_lines() -> int:
    from minifolder import _bars

    return len(_bars(520.0))


def _follow_links(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _symlink(f"{DAY}/options_out.csv", _outside)(root, monkeypatch)
    (root / "flowterm.toml").write_text("[data]\nfollow_links = true\n")


# ------------------------------------------------------------------------------------------
# the corpus
# ------------------------------------------------------------------------------------------

CASES = [
    # -- files caught half-written -----------------------------------------------------------
    Case(
        "truncated-mid-row",
        _append(OPTIONS, f"{DAY} 10:09:00,SPY,2026-04-1", end=""),
        OPTIONS,
        "missing strike",
        NEXT,
        GOOD_OPTIONS,
    ),
    Case(
        "truncated-row-still-valid",
        _append(OPTIONS, option_row(9)[:-1], end=""),  # ask 1.30 cut to 1.3: a valid row
        OPTIONS,
        "",
        rows=GOOD_OPTIONS + 1,
        exit_code=0,
        why="an unterminated last line that parses is a row (a static file may lack its final "
        "newline); holding it back while a file grows is the live reader's job",
    ),
    Case("empty-file", _write(PART, b""), PART, "empty file", in_app=False),
    Case(
        "header-only",
        _write(PART, OPTIONS_HEADER + "\n"),
        PART,
        "no rows (header only)",
        rows=0,
        in_app=False,
    ),
    # -- encodings ---------------------------------------------------------------------------
    Case(
        "utf8-bom",
        _write(OPTIONS, lambda root: b"\xef\xbb\xbf" + _options(root)),
        OPTIONS,
        "",
        rows=GOOD_OPTIONS,
        exit_code=0,
        why="a byte-order mark is not an error: it is dropped",
    ),
    Case(
        "utf16",
        _write(OPTIONS, lambda root: _options(root).decode().encode("utf-16")),
        OPTIONS,
        "UTF-16 text: flowterm reads UTF-8",
        kept=True,
    ),
    Case(
        "utf16-without-bom-new-file",
        _write(PART, lambda root: _options(root).decode().encode("utf-16-le")),
        PART,
        "UTF-16 text",
    ),
    Case(
        "invalid-utf8-in-symbol",
        _append_bytes(OPTIONS, _option(underlying="SP\udcff").encode("utf-8", "surrogateescape")),
        OPTIONS,
        "underlying 'SP\ufffd' is not a ticker",
        NEXT,
        GOOD_OPTIONS,
    ),
    Case(
        "invalid-utf8-in-free-text",
        _append_bytes(
            f"{DAY}/darkpool.csv",
            dark_row(9, venue="D\udcff\udcfeX").encode("utf-8", "surrogateescape") + b"\n",
        ),
        f"{DAY}/darkpool.csv",
        "",
        rows=5,
        exit_code=0,
        why="a venue is free text: invalid bytes show as U+FFFD and the print is used",
    ),
    # -- delimiters and columns --------------------------------------------------------------
    Case(
        "wrong-delimiter-in-a-row",
        _append(OPTIONS, option_row(9).replace(",", ";")),
        OPTIONS,
        "unparseable or non-existent ts",
        NEXT,
        GOOD_OPTIONS,
    ),
    Case(
        "wrong-delimiter-whole-file",
        _write(OPTIONS, lambda root: _options(root).replace(b",", b" ")),
        OPTIONS,
        "no delimited header",
        kept=True,
    ),
    Case(
        "semicolon-delimited-file",
        _write(OPTIONS, lambda root: _options(root).replace(b",", b";")),
        OPTIONS,
        "",
        rows=GOOD_OPTIONS,
        exit_code=0,
        why="; | and tab are recognised from the header",
    ),
    Case(
        "missing-column",
        _write(OPTIONS, "\n".join(r.rsplit(",", 1)[0] for r in [OPTIONS_HEADER, option_row()])),
        OPTIONS,
        "header lacks the option prints column ask",
        kept=True,
    ),
    Case(
        "missing-value",
        _append(OPTIONS, _option(price="")),
        OPTIONS,
        "missing price",
        NEXT,
        GOOD_OPTIONS,
    ),
    Case(
        "extra-columns",
        _write(
            OPTIONS,
            "\n".join([OPTIONS_HEADER + ",note,flag", option_row() + ",hello,1", option_row(1)])
            + "\n",
        ),
        OPTIONS,
        "",
        rows=2,
        exit_code=0,
        why="columns flowterm does not know are left alone",
    ),
    Case(
        "extra-field-in-a-row",
        _append(OPTIONS, option_row(9) + ",EXTRA"),
        OPTIONS,
        "row has more fields than the header",
        NEXT,
        GOOD_OPTIONS,
    ),
    Case(
        "renamed-columns-known-aliases",
        _write(
            OPTIONS,
            lambda root: _options(root).replace(
                OPTIONS_HEADER.encode(),
                b"timestamp,ticker,expiration,strike_price,option_type,trade_price,trade_size,"
                b"best_bid,best_ask",
            ),
        ),
        OPTIONS,
        "",
        rows=GOOD_OPTIONS,
        exit_code=0,
        why="common vendor names are aliases of the canonical columns",
    ),
    Case(
        "renamed-columns-unknown",
        _write(
            OPTIONS,
            lambda root: _options(root).replace(
                OPTIONS_HEADER.encode(), b"Time,Sym,Exp,K,CP,price,size,bid,ask"
            ),
        ),
        OPTIONS,
        "header lacks the option prints columns underlying, strike (columns: Time, Sym",
        kept=True,
    ),
    # -- values ------------------------------------------------------------------------------
    Case(
        "text-for-a-number",
        _append(OPTIONS, _option(price="abc")),
        OPTIONS,
        "unparseable price 'abc'",
        NEXT,
        GOOD_OPTIONS,
    ),
    Case(
        "fraction-for-a-count",
        _append(OPTIONS, _option(size="10.5")),
        OPTIONS,
        "unparseable size '10.5'",
        NEXT,
        GOOD_OPTIONS,
    ),
    Case(
        "text-for-a-date",
        _append(OPTIONS, _option(expiry="next friday")),
        OPTIONS,
        "unparseable expiry 'next friday'",
        NEXT,
        GOOD_OPTIONS,
    ),
    Case(
        "nan-price",
        _append(OPTIONS, _option(price="NaN")),
        OPTIONS,
        "non-finite price",
        NEXT,
        GOOD_OPTIONS,
    ),
    Case(
        "inf-price",
        _append(OPTIONS, _option(price="inf")),
        OPTIONS,
        "non-finite price",
        NEXT,
        GOOD_OPTIONS,
    ),
    Case(
        "inf-size",
        _append(OPTIONS, _option(size="inf")),
        OPTIONS,
        "unparseable size 'inf'",
        NEXT,
        GOOD_OPTIONS,
    ),
    Case(
        "negative-price",
        _append(OPTIONS, _option(price="-1.25")),
        OPTIONS,
        "price ≤ 0 (-1.25)",
        NEXT,
        GOOD_OPTIONS,
    ),
    Case(
        "zero-price",
        _append(OPTIONS, _option(price="0")),
        OPTIONS,
        "price ≤ 0 (0.0)",
        NEXT,
        GOOD_OPTIONS,
    ),
    Case(
        "negative-size",
        _append(f"{DAY}/darkpool.csv", dark_row(9).replace(",1000,", ",-1000,")),
        f"{DAY}/darkpool.csv",
        "size ≤ 0 (-1000.0)",
        6,
        4,
    ),
    Case(
        "zero-size",
        _append(OPTIONS, _option(size="0")),
        OPTIONS,
        "size ≤ 0 (0)",
        NEXT,
        GOOD_OPTIONS,
    ),
    Case(
        "negative-bid",
        _append(OPTIONS, _option(bid="-0.05")),
        OPTIONS,
        "negative bid (-0.05)",
        NEXT,
        GOOD_OPTIONS,
    ),
    Case(
        "zero-strike",
        _append(OPTIONS, _option(strike="0")),
        OPTIONS,
        "strike ≤ 0",
        NEXT,
        GOOD_OPTIONS,
    ),
    # -- quotes ------------------------------------------------------------------------------
    Case(
        "crossed-quote-in-quotes-file",
        _append(f"{DAY}/quotes.csv", f"{DAY} 10:02:00,SPY260417C00520000,1.35,1.30"),
        f"{DAY}/quotes.csv",
        "crossed quote (bid 1.35 > ask 1.3)",
        4,
        2,
    ),
    Case(
        "locked-quote-in-quotes-file",
        _append(f"{DAY}/quotes.csv", f"{DAY} 10:02:00,SPY260417C00520000,1.30,1.30"),
        f"{DAY}/quotes.csv",
        "",
        rows=3,
        exit_code=0,
        why="a locked quote is a quote; its prints are classified UNKNOWN (METHODOLOGY §1)",
    ),
    Case(
        "crossed-quote-on-a-print",
        _append(f"{DAY}/darkpool.csv", f"{DAY} 11:09:00,SPY,520.0,1000,520.10,519.90,FINRA"),
        f"{DAY}/darkpool.csv",
        "",
        rows=5,
        exit_code=0,
        why="a print is a print whatever its quote: its side is UNKNOWN (crossed), not dropped",
    ),
    # -- time --------------------------------------------------------------------------------
    Case(
        "timestamp-outside-the-session",
        _append(OPTIONS, _option(ts="2026-04-09 10:00:00")),
        OPTIONS,
        "ts 2026-04-09 10:00:00 ET is outside session 2026-04-08",
        NEXT,
        GOOD_OPTIONS,
    ),
    Case(
        "timestamp-in-another-time-zone",
        _append(
            OPTIONS,
            _option(ts="2026-04-08T23:00:00+09:00"),  # 10:00 ET on the 8th: used
            _option(ts="2026-04-08T08:00:00+09:00"),  # 19:00 ET on the 7th: outside
        ),
        OPTIONS,
        "ts 2026-04-07 19:00:00 ET is outside session 2026-04-08",
        NEXT + 1,
        GOOD_OPTIONS + 1,
    ),
    Case(
        "timestamp-with-an-unknown-zone",
        _append(OPTIONS, _option(ts="2026-04-08 10:00:00 XYZ")),
        OPTIONS,
        "unparseable or non-existent ts '2026-04-08 10:00:00 XYZ'",
        NEXT,
        GOOD_OPTIONS,
    ),
    Case(
        "expiry-before-trade-date",
        _append(OPTIONS, _option(expiry="2026-04-07")),
        OPTIONS,
        "expiry 2026-04-07 before trade date 2026-04-08",
        NEXT,
        GOOD_OPTIONS,
    ),
    Case(
        "chain-expiry-before-snapshot",
        _append(f"{DAY}/chain.csv", f"{DAY} 16:00:00,SPY,520,2026-04-01,520,C,5,0.2"),
        f"{DAY}/chain.csv",
        "expiry 2026-04-01 before snapshot date 2026-04-08",
        12,
        10,
    ),
    # -- duplicates --------------------------------------------------------------------------
    Case(
        "duplicated-rows",
        _write(
            PART,
            "\n".join(
                [
                    OPTIONS_HEADER + ",trade_id",
                    option_row(40) + ",T1",
                    option_row(41) + ",T2",
                    option_row(40) + ",T1",
                ]
            )
            + "\n",
        ),
        PART,
        "duplicate of an earlier row (trade_id 'T1')",
        4,
        2,
    ),
    Case(
        "duplicated-rows-without-an-id",
        _append(OPTIONS, option_row(0, "SPY", 520, "C")),
        OPTIONS,
        "",
        rows=GOOD_OPTIONS + 1,
        exit_code=0,
        why="without a trade id two equal prints in one second are two trades",
    ),
    # -- size and binary ---------------------------------------------------------------------
    Case(
        "one-megabyte-field",
        _append(OPTIONS, _option(underlying="X" * 1_000_000)),
        OPTIONS,
        "underlying 'XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX…' is not a ticker",
        NEXT,
        GOOD_OPTIONS,
    ),
    Case(
        "one-megabyte-single-line",
        _write(PART, b"ts" + b"x" * 1_000_000),
        PART,
        "no delimited header",
    ),
    Case(
        "binary-junk-named-csv",
        _write(PART, bytes(range(256)) * 64),
        PART,
        "binary content, not delimited text",
    ),
    # -- Parquet -----------------------------------------------------------------------------
    Case(
        "parquet-wrong-schema",
        _write(f"{DAY}/options_2.parquet", _parquet(pl.DataFrame({"a": [1], "b": ["x"]}))),
        f"{DAY}/options_2.parquet",
        "header matches no known kind (columns: a, b)",
    ),
    Case(
        "parquet-wrong-types",
        _write(f"{DAY}/options_2.parquet", _parquet(_option_frame(["1.25", "abc", "2.5"]))),
        f"{DAY}/options_2.parquet",
        "unparseable price 'abc'",
        2,
        2,
    ),
    Case(
        "parquet-corrupt-footer",
        _write(f"{DAY}/options_2.parquet", b"PAR1" + b"\x00" * 100 + b"PAR1"),
        f"{DAY}/options_2.parquet",
        "cannot read",
    ),
    Case(
        "parquet-truncated",
        _write(
            f"{DAY}/options_2.parquet",
            lambda _: _parquet(_option_frame([1.25] * 50))[:300],
        ),
        f"{DAY}/options_2.parquet",
        "cannot read",
    ),
    # -- the file system ---------------------------------------------------------------------
    Case(
        "directory-named-like-a-file",
        lambda root, _: (root / PART).mkdir(),
        PART,
        "a folder named like a data file, not a file",
    ),
    Case("symlink-loop", _loop, f"{DAY}/options_a.csv", "symbolic link loop"),
    Case(
        "broken-symlink",
        _symlink(f"{DAY}/options_gone.csv", lambda root: root / "nowhere.csv"),
        f"{DAY}/options_gone.csv",
        "broken link",
    ),
    Case(
        "symlink-out-of-the-data-folder",
        _symlink(f"{DAY}/options_out.csv", _outside),
        f"{DAY}/options_out.csv",
        "outside the data folder: not followed (set [data] follow_links = true",
    ),
    Case(
        "symlink-out-followed-when-told",
        _follow_links,
        f"{DAY}/options_out.csv",
        "",
        rows=1,
        exit_code=0,
        why="[data] follow_links = true in flowterm.toml follows links out of the folder",
    ),
    Case(
        "no-read-permission",
        _no_permission,
        OPTIONS,
        "cannot read: Permission denied",
        kept=True,
    ),
    Case(
        "deleted-while-being-read",
        _during_read(lambda path: path.unlink()),
        OPTIONS,
        "No such file",
        kept=True,
    ),
    Case(
        "replaced-while-being-read",
        _during_read(_replace_with_junk),
        OPTIONS,
        "unparseable or non-existent ts",
        2,
        0,
    ),
    # -- hostile text ------------------------------------------------------------------------
    Case(
        "formula-in-a-symbol",
        _append(OPTIONS, _option(underlying="=cmd|' /C calc'!A0")),
        OPTIONS,
        "underlying '=CMD|' /C CALC'!A0' is not a ticker",
        NEXT,
        GOOD_OPTIONS,
    ),
    Case(
        "rich-markup-in-a-symbol",
        _append(f"{DAY}/darkpool.csv", dark_row(9, symbol="[link=file:///etc/passwd]x[/link]")),
        f"{DAY}/darkpool.csv",
        "symbol '[LINK=FILE:///ETC/PASSWD]X[/LINK]' is not a ticker",
        6,
        4,
    ),
    Case(
        "ansi-escape-in-a-symbol",
        _append(OPTIONS, _option(underlying="\x1b[2J")),
        OPTIONS,
        "underlying '\x1b[2J' is not a ticker",
        NEXT,
        GOOD_OPTIONS,
    ),
    Case(
        "markup-in-a-file-name",
        _write(f"{DAY}/options[bold red]x.csv", f"{OPTIONS_HEADER}\n{_option(price='x')}\n"),
        f"{DAY}/options[bold red]x.csv",
        "unparseable price 'x'",
        2,
        0,
    ),
    Case(
        "code-in-a-capture-record",
        _write(f"{DAY}/uw_capture.txt", _hostile_capture),
        f"{DAY}/uw_capture.txt",
        "record does not parse",
        3,
        3,
    ),
    # -- other kinds -------------------------------------------------------------------------
    Case(
        "short-volume-above-total",
        _append(f"{DAY}/CNMSshvol20260408.txt", "20260408|AAPL|900|0|500|Q"),
        f"{DAY}/CNMSshvol20260408.txt",
        "short volume 900.0 exceeds total volume 500.0",
        5,  # after the trailer line (4), which is not a row
        2,
    ),
    Case(
        "daily-bar-high-below-low",
        _append("bars/SPY.csv", "2026-04-09,520,510,515,512,1000"),
        "bars/SPY.csv",
        "high 510.0 below low 515.0",
        _bars_lines() + 1,
        _bars_lines() - 1,
    ),
    Case(
        "macro-value-not-a-number",
        _append("macro.csv", "2026-04-08,WTI,n/a"),
        "macro.csv",
        "unparseable value 'n/a'",
        5,
        3,
    ),
]


def test_the_corpus_has_at_least_forty_cases() -> None:
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)
    assert all(c.why for c in CASES if c.exit_code == 0)


# ------------------------------------------------------------------------------------------
# the checks
# ------------------------------------------------------------------------------------------


def validate(root: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["validate", str(root)], env=ENV)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def rows_by_file(inputs: Inputs) -> dict[str, int]:
    return {rel: r.frame.height for rel, r in inputs.results.items()}


@pytest.fixture
def broken(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """(case, folder, the last good read, its rows per file) with the case's file broken."""
    case: Case = request.param
    root = build(tmp_path / "data")
    good = read_inputs(root)
    baseline = rows_by_file(good)
    case.breaks(root, monkeypatch)
    yield case, root, good, baseline
    if (root / OPTIONS).exists() and not (root / OPTIONS).is_symlink():
        os.chmod(root / OPTIONS, 0o644)


@pytest.mark.parametrize("broken", CASES, ids=[c.id for c in CASES], indirect=True)
def test_bad_input(broken: Any, tmp_path: Path) -> None:
    case, root, good, baseline = broken
    before = tree_digest(root)

    # (a) flowterm validate names the file, the line and the reason
    code, out = validate(root)
    assert code == case.exit_code, out
    if case.exit_code:
        assert printable(case.file) in out, out
        assert printable(case.reason) in out, out
        if case.line is not None:
            assert f"(first at line {case.line})" in out and f"line {case.line}:" in out, out
    else:
        assert "clean (exit 0)" in out, out

    # (b) a rebuild from the last good read uses every good row and never raises
    snap = build_snapshot(root, previous=good, cache=None)
    used = rows_by_file(snap.inputs)
    for rel, rows in baseline.items():
        if rel != case.file:
            assert used.get(rel) == rows, rel
    if case.rows is not None:
        assert used.get(case.file) == case.rows
    if case.kept:
        assert case.file in snap.stale
        assert used[case.file] == baseline[case.file]
    elif case.rows is None:
        assert case.file not in used

    # (c) the message the app shows: a rejected row with its line, or a file's error
    if case.line is not None:
        rejects = snap.rejects.filter((pl.col("file") == case.file) & (pl.col("line") == case.line))
        assert rejects.height == 1 and case.reason in rejects["reason"][0]
    elif case.exit_code and case.in_app:
        assert any(case.file in e and case.reason in e for e in snap.errors), snap.errors
    elif case.exit_code == 0:
        assert not snap.errors and snap.rejects.is_empty()

    # (d) nothing in the data folder changed
    assert tree_digest(root) == before
    assert not (tmp_path / "pwned").exists()  # the capture's code never ran


def test_a_link_inside_the_data_folder_is_followed(tmp_path: Path) -> None:
    root = build(tmp_path / "data")
    shutil.move(root / DAY / "darkpool.csv", root / "darkpool-store.csv")
    os.symlink(root / "darkpool-store.csv", root / DAY / "darkpool.csv")
    catalog = scan_catalog(root)
    assert f"{DAY}/darkpool.csv" in {f.rel for f in catalog.files}
    assert not catalog.unreadable


def test_follow_links_can_be_forced_either_way(tmp_path: Path) -> None:
    root = build(tmp_path / "data")
    os.symlink(_outside(root), root / DAY / "options_out.csv")
    assert f"{DAY}/options_out.csv" in {f.rel for f in scan_catalog(root, follow_links=True).files}
    (root / "flowterm.toml").write_text("[data]\nfollow_links = true\n")
    assert scan_catalog(root, follow_links=False).unreadable
    (root / "flowterm.toml").write_text("[data]\nfollow_links = 'yes'\n")
    with pytest.raises(Exception, match=r"\[data\] follow_links: expected true or false"):
        scan_catalog(root)


def test_a_symlinked_session_folder_out_of_the_data_folder_is_not_followed(
    tmp_path: Path,
) -> None:
    root = build(tmp_path / "data")
    elsewhere = tmp_path / "feeds" / "2026-04-09"
    write_lines(
        elsewhere / "options.csv", [OPTIONS_HEADER, option_row().replace(DAY, "2026-04-09")]
    )
    os.symlink(elsewhere, root / "2026-04-09")
    catalog = scan_catalog(root)
    assert [s.rel for s in catalog.unreadable] == ["2026-04-09"]
    assert "outside the data folder" in catalog.unreadable[0].reason
    assert catalog.sessions == (dataclasses.replace(catalog).sessions[0],)


def test_a_symlink_loop_through_folders_ends(tmp_path: Path) -> None:
    root = build(tmp_path / "data")
    os.symlink(root, root / DAY / "again")  # a folder inside a session: never walked
    os.symlink(root / "2026-04-10", root / "2026-04-10")  # a folder link to itself
    catalog = scan_catalog(root)
    reasons = {s.rel: s.reason for s in catalog.skipped}
    assert reasons["2026-04-10"] == "symbolic link loop"
    assert f"{DAY}/again" in reasons


# ------------------------------------------------------------------------------------------
# the app: the last good snapshot stays on screen and the problem shows
# ------------------------------------------------------------------------------------------

#: One case of each way the app meets a problem: a file it can no longer read (last good rows
#: kept), a row set aside, hostile text in a reason, a new file it cannot read, a link loop.
APP_CASES = (
    "utf16",
    "deleted-while-being-read",
    "text-for-a-number",
    "ansi-escape-in-a-symbol",
    "parquet-corrupt-footer",
    "binary-junk-named-csv",
    "symlink-loop",
)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _log_text(screen: Any) -> str:
    from textual.widgets import Static

    from flowterm.tui.screens.table import FrameTable

    text = str(screen.query_one("#log-problems", Static).render())
    for table in screen.query(FrameTable):
        for i in range(table.row_count):
            text += "\n" + " | ".join(cell.plain for cell in table.get_row_at(i))
    return text


@pytest.mark.anyio
@pytest.mark.parametrize("case", [c for c in CASES if c.id in APP_CASES], ids=lambda c: c.id)
async def test_the_app_keeps_the_last_good_snapshot_and_shows_the_problem(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flowterm.tui.app import FlowtermApp
    from flowterm.tui.header import FlowHeader
    from flowterm.tui.messages import DataChanged
    from flowterm.tui.screens.log import LogScreen

    root = build(tmp_path / "data")
    first = build_snapshot(root)
    app = FlowtermApp(snapshot=first, watch=False, clock=lambda: first.newest_mtime_ns / 1e9)
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot.pause()
        assert "⚠" not in app.query_one(FlowHeader).render().plain
        case.breaks(root, monkeypatch)
        app.post_message(DataChanged())
        await settle_builds(pilot)
        now = app.snapshot
        assert now is not None and now is not first and app.failure is None
        if case.kept:  # the last good rows are still counted
            assert case.file in now.stale
            assert now.flow.market == first.flow.market
        else:
            assert now.flow.market.total == first.flow.market.total
        assert "⚠" in app.query_one(FlowHeader).render().plain
        await pilot.press("l")
        await pilot.pause()
        assert isinstance(app.screen, LogScreen)
        log = _log_text(app.screen)
        assert printable(case.file) in log and printable(case.reason) in log, log
        if case.line is not None:
            assert f" | {case.line} | " in log
        if case.kept:
            assert "last good rows kept" in log
        assert "\x1b" not in log
