"""A minimal valid data folder (one session, every tape kind, three symbols' daily bars, macro)
written by hand for reliability tests: it builds a full snapshot in about a quarter of a second,
so a test can break one file and check what flowterm does with the rest.

``tree_digest`` fingerprints a folder without following links, so a test can assert that
flowterm wrote nothing into it.
"""

from __future__ import annotations

import hashlib
import os
from datetime import date, timedelta
from pathlib import Path
from typing import Any

DAY = "2026-04-08"
SESSION = date(2026, 4, 8)

OPTIONS_HEADER = "ts,underlying,expiry,strike,right,price,size,bid,ask"
#: (underlying, strike, right) of the six option prints, on lines 2-7 of options.csv.
OPTION_ROWS = [
    ("SPY", 520, "C"),
    ("SPY", 515, "P"),
    ("QQQ", 450, "C"),
    ("QQQ", 440, "P"),
    ("SPY", 525, "C"),
    ("AAPL", 200, "C"),
]
DARK_HEADER = "ts,symbol,price,size,bid,ask,venue"


def option_row(
    minute: int = 0, underlying: str = "SPY", strike: float = 520, right: str = "C"
) -> str:
    """A good option print at 10:MM ET on the session."""
    return f"{DAY} 10:{minute:02d}:00,{underlying},2026-04-17,{strike},{right},1.25,10,1.20,1.30"


def dark_row(
    minute: int = 0, symbol: str = "SPY", price: float = 520.0, venue: str = "FINRA"
) -> str:
    bid, ask = f"{price - 0.01:.2f}", f"{price + 0.01:.2f}"
    return f"{DAY} 11:{minute:02d}:00,{symbol},{price},1000,{bid},{ask},{venue}"


def write_lines(path: Path, lines: list[str], *, end: str = "\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\n".join(lines) + end).encode())
    return path


def _bars(base: float) -> list[str]:
    out = ["date,open,high,low,close,volume"]
    day, i = date(2025, 12, 1), 0
    while day <= SESSION:
        if day.weekday() < 5:
            close = base * (1 + 0.001 * (i % 7 - 3))
            high, low = close * 1.01, close * 0.99
            out.append(f"{day},{close:.2f},{high:.2f},{low:.2f},{close:.2f},{1_000_000 + i}")
            i += 1
        day += timedelta(days=1)
    return out


def build(root: Path) -> Path:
    """Write the folder into ``root`` (created) and return it."""
    s = root / DAY
    write_lines(
        s / "options.csv",
        [OPTIONS_HEADER] + [option_row(i, *row) for i, row in enumerate(OPTION_ROWS)],
    )
    write_lines(
        s / "darkpool.csv",
        [DARK_HEADER]
        + [
            dark_row(i, sym, price)
            for i, (sym, price) in enumerate(
                [("SPY", 520.0), ("QQQ", 450.0), ("SPY", 520.5), ("AAPL", 200.0)]
            )
        ],
    )
    write_lines(
        s / "quotes.csv",
        [
            "ts,key,bid,ask",
            f"{DAY} 10:00:00,SPY260417C00520000,1.20,1.30",
            f"{DAY} 10:01:00,SPY260417P00515000,1.20,1.30",
        ],
    )
    write_lines(
        s / "chain.csv",
        ["as_of,underlying,spot,expiry,strike,right,open_interest,iv"]
        + [
            f"{DAY} 16:00:00,SPY,520,2026-04-17,{k},{r},{1000 + k},0.2"
            for k in (510, 515, 520, 525, 530)
            for r in "CP"
        ],
    )
    write_lines(
        s / "CNMSshvol20260408.txt",
        [
            "Date|Symbol|ShortVolume|ShortExemptVolume|TotalVolume|Market",
            "20260408|SPY|1000|10|2500|B,Q,N",
            "20260408|QQQ|600|0|1500|B,Q,N",
            "2",
        ],
    )
    write_lines(
        s / "intraday_SPY.csv",
        ["ts,symbol,open,high,low,close,volume"]
        + [
            f"{DAY}T{9 + (30 + 5 * i) // 60:02d}:{(30 + 5 * i) % 60:02d}:00-04:00,"
            "SPY,520,521,519,520.5,1000"
            for i in range(6)
        ],
    )
    for sym, base in (("SPY", 520.0), ("QQQ", 450.0), ("AAPL", 200.0)):
        write_lines(root / "bars" / f"{sym}.csv", _bars(base))
    write_lines(
        root / "macro.csv",
        [
            "date,series,value",
            "2026-04-07,DXY,101.0",
            "2026-04-08,DXY,100.5",
            "2026-04-08,US10Y,4.2",
        ],
    )
    return root


def tree_digest(root: Path) -> dict[str, str]:
    """Every entry under ``root`` (links not followed) → a digest of its content, mode and
    mtime, its link target, or "dir". Nothing is left out: flowterm's cache lives outside the
    data folder (``FLOWTERM_CACHE_DIR``, ``~/.cache/flowterm``)."""
    out: dict[str, str] = {}
    for folder, dirs, files in os.walk(root, followlinks=False):
        for name in dirs + files:
            path = Path(folder) / name
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                out[rel] = "link:" + os.readlink(path)
            elif path.is_dir():
                out[rel] = "dir"
            else:
                st = path.lstat()
                try:
                    content = hashlib.sha256(path.read_bytes()).hexdigest()
                except OSError:
                    content = "unreadable"
                out[rel] = f"{content}:{st.st_mode:o}:{st.st_mtime_ns}"
    return out


def differences(a: object, b: object) -> list[str]:
    """What differs between two snapshots' figures (empty when a live app's final snapshot
    equals a fresh build on the same files)."""
    from flowterm.core.snapshot import Snapshot

    assert isinstance(a, Snapshot) and isinstance(b, Snapshot)
    out = []
    if a.session != b.session or a.sessions != b.sessions:
        out.append("sessions")
    if a.files != b.files:
        out.append(f"files {a.files} != {b.files}")
    rows_a = {rel: r.frame.height for rel, r in a.inputs.results.items()}
    rows_b = {rel: r.frame.height for rel, r in b.inputs.results.items()}
    if rows_a != rows_b:
        out.append(f"rows per file {rows_a} != {rows_b}")
    if a.flow.market != b.flow.market:
        out.append("market flow")
    frames = ("dark_days", "dark_market", "zones", "tickers", "convergence_inputs", "rejects")
    for name in frames:
        fa, fb = getattr(a, name), getattr(b, name)
        if not fa.equals(fb):
            out.append(name)
    if not a.flow.tickers.equals(b.flow.tickers):
        out.append("flow tickers")
    if a.convergence != b.convergence:
        out.append("convergence")
    if a.errors != b.errors or a.stale != b.stale:
        out.append("errors")
    return out


#: Text that would act as Rich markup, a terminal escape or a spreadsheet formula if a symbol
#: or venue field reached the screen or an export unneutralised.
HOSTILE = [
    "[/",
    "[0]",
    "[bold red]x",
    "[link=file:///etc/passwd]x[/link]",
    "\x1b[2J",
    "=cmd|' /C calc'!A0",
]


async def settle_builds(pilot: Any, rounds: int = 100) -> None:
    """Wait until the app under ``pilot`` has no build running or pending and every message
    is handled."""
    app = pilot.app
    for _ in range(rounds):
        builds = [w for w in app.workers if w.group == "build" and not w.is_finished]
        if builds:
            await app.workers.wait_for_complete(builds)
        await pilot.pause()
        if not app._scheduler.busy and not any(
            w.group == "build" and not w.is_finished for w in app.workers
        ):
            return
    raise AssertionError("builds did not settle")
