"""A running app under writes: a burst of 1,000 writes in a second, and a whole trading day.

Both drive a live ``FlowtermApp`` (real file watcher, real build worker) on the minimal folder
(``minifolder``) and end by comparing the app's last snapshot with a fresh build on the same
files: no update may be lost.

The day is a soak on a shortened clock: 6.5 session hours of writes (option and dark-pool rows
appended every 5 session seconds, a new part file every 30 minutes, a new chain snapshot every
15 minutes), played in ``SOAK_SECONDS`` of real time. The short version (about 30 s) runs with
the suite; the full one (10 minutes of real time) runs on demand::

    FLOWTERM_SOAK=full .venv/bin/python -m pytest tests/test_soak.py -s -k day

and prints its figures (RSS after the first session hour and at the end, threads, workers,
builds, duration). Memory must stay within 10 % of its level after the first hour, threads and
workers must not accumulate.

Last full run (2-core machine shared with other work, 605 s, 1,550 builds, 9,360 appends, 13
part files of each kind, 26 chain snapshots): no update lost (final snapshot equal to a fresh
build); threads 3 after the first hour, at most 4 while building, 3 at the end; workers 1, at
most 2, 1; RSS 183 MB after the first hour and 212 MB at the end (+16 %): above the 10 % bar, so
the full run fails on memory (about 19 KB per build; not yet traced to its owner).
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import resource
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from minifolder import DARK_HEADER, DAY, OPTIONS_HEADER, build, differences, write_lines

from flowterm.core.snapshot import build_snapshot
from flowterm.tui.app import FlowtermApp

pytestmark = pytest.mark.anyio

FULL = os.environ.get("FLOWTERM_SOAK") == "full"
SOAK_SECONDS = 600.0 if FULL else 30.0
SESSION_SECONDS = 6.5 * 3600
TICK = 5  # session seconds between appends
OPEN = 9 * 3600 + 30 * 60  # 09:30 ET, in seconds after midnight


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def threads() -> list[str]:
    """The threads alive, by name, without AnyIO's worker threads: a pool that watchfiles uses,
    bounded by AnyIO's limiter, whose idle threads end on their own after 10 s, so their count
    at any moment says nothing about threads accumulating (tests before this one leave some)."""
    return sorted(t.name for t in threading.enumerate() if not t.name.startswith("AnyIO worker"))


def rss_mb() -> float:
    """Resident memory of this process now (``/proc/self/statm``), in MB."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 1e6
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3


def builds_of(app: FlowtermApp) -> int:
    return app._scheduler._ids


async def wait_until(pilot: Any, predicate: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the app")
        await pilot.pause(0.05)


async def quiet(pilot: Any, app: FlowtermApp, seconds: float = 2.0, timeout: float = 60) -> None:
    """Wait until no build has run or been wanted for ``seconds`` (the watcher groups a burst
    for at most 0.8 s)."""
    deadline = time.monotonic() + timeout
    last, since = builds_of(app), time.monotonic()
    while True:
        await pilot.pause(0.1)
        busy = app._scheduler.busy or any(
            w.group == "build" and not w.is_finished for w in app.workers
        )
        if busy or builds_of(app) != last:
            last, since = builds_of(app), time.monotonic()
        elif time.monotonic() - since >= seconds:
            return
        if time.monotonic() > deadline:
            raise AssertionError("the app did not go quiet")


def clock(seconds: float) -> str:
    s = int(seconds)
    return f"{DAY} {s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"


# ------------------------------------------------------------------------------------------
# a burst
# ------------------------------------------------------------------------------------------


async def test_a_burst_of_1000_writes_is_a_handful_of_builds(tmp_path: Path) -> None:
    root = build(tmp_path / "data")
    app = FlowtermApp(root, watch=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.snapshot is not None, 60)
        await quiet(pilot, app, 1.0)
        before = builds_of(app)
        options = root / DAY / "options.csv"
        parts = [root / DAY / f"darkpool_{i}.csv" for i in range(10)]

        def writer() -> None:  # 1,000 writes within about a second, from another thread
            start = time.monotonic()
            for i in range(1000):
                if i % 100 == 0:
                    write_lines(parts[i // 100], [DARK_HEADER])
                with options.open("a") as fh:
                    fh.write(f"{clock(OPEN + 3600 + i)},SPY,2026-04-17,520,C,1.25,1,1.20,1.30\n")
                with parts[i // 100].open("a") as fh:
                    fh.write(f"{clock(OPEN + 3600 + i)},SPY,520.0,100,519.99,520.01,FINRA\n")
                if i % 50 == 49:
                    time.sleep(max(0.0, start + (i + 1) / 1000 - time.monotonic()))

        started = time.monotonic()
        thread = threading.Thread(target=writer)
        thread.start()
        while thread.is_alive():
            await pilot.pause(0.02)
        took = time.monotonic() - started
        await quiet(pilot, app)
        builds = builds_of(app) - before
        assert took < 2.0
        assert 1 <= builds <= 10, builds
        fresh = build_snapshot(root, cache=None)
        assert app.snapshot is not None
        assert app.snapshot.inputs.results[f"{DAY}/options.csv"].frame.height == 1006
        assert differences(app.snapshot, fresh) == []


# ------------------------------------------------------------------------------------------
# a whole day
# ------------------------------------------------------------------------------------------


@dataclass
class Figures:
    rss_hour1_mb: float = 0.0
    rss_end_mb: float = 0.0
    threads_hour1: int = 0
    threads_max_after_hour1: int = 0
    threads_end: int = 0
    threads_hour1_names: list[str] = field(default_factory=list)
    threads_end_names: list[str] = field(default_factory=list)
    workers_hour1: int = 0
    workers_max_after_hour1: int = 0
    workers_end: int = 0
    builds: int = 0
    appends: int = 0
    part_files: int = 0
    chain_snapshots: int = 0
    real_seconds: float = 0.0
    rows_end: dict[str, int] = field(default_factory=dict)


class Day:
    """The feeds of one session, written on a compressed clock."""

    def __init__(self, root: Path, figures: Figures) -> None:
        self.session = root / DAY
        self.figures = figures
        self.part = -1

    def write(self, t: float) -> None:
        """Everything the feeds write at session second ``t`` (after the open)."""
        now = OPEN + t
        if int(t) % 1800 == 0:  # a new part file every 30 minutes
            self.part += 1
            self.figures.part_files += 1
            write_lines(self.session / f"options_p{self.part:02d}.csv", [OPTIONS_HEADER])
            write_lines(self.session / f"darkpool_p{self.part:02d}.csv", [DARK_HEADER])
        if int(t) % 900 == 0:  # a chain snapshot every 15 minutes
            self.figures.chain_snapshots += 1
            stamp = clock(now)
            spot = 520 + (t / 3600)
            rows = [
                f"{stamp},SPY,{spot:.2f},2026-04-17,{k},{r},{1000 + k + int(t) // 60},0.2"
                for k in range(500, 545, 5)
                for r in "CP"
            ]
            name = f"chain_{int(now) // 3600:02d}{int(now) // 60 % 60:02d}.csv"
            write_lines(
                self.session / name,
                ["as_of,underlying,spot,expiry,strike,right,open_interest,iv", *rows],
            )
        i = int(t) // TICK
        symbol = ("SPY", "QQQ", "AAPL")[i % 3]
        right = "CP"[i % 2]
        with (self.session / f"options_p{self.part:02d}.csv").open("a") as fh:
            fh.write(f"{clock(now)},{symbol},2026-04-17,{500 + 5 * (i % 9)},{right},1.25,")
            fh.write(f"{1 + i % 7},1.20,1.30\n")
        with (self.session / f"darkpool_p{self.part:02d}.csv").open("a") as fh:
            fh.write(f"{clock(now)},{symbol},{200 + i % 50}.0,{100 * (1 + i % 5)},,,FINRA\n")
        self.figures.appends += 2


async def test_a_whole_session_day_without_a_restart(tmp_path: Path) -> None:
    root = build(tmp_path / "data")
    figures = Figures()
    day = Day(root, figures)
    app = FlowtermApp(root, watch=True)
    started = time.monotonic()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.snapshot is not None, 60)
        first_builds = builds_of(app)
        per_tick = SOAK_SECONDS / (SESSION_SECONDS / TICK)
        t0 = time.monotonic()
        t = 0
        while t < SESSION_SECONDS:
            day.write(t)
            t += TICK
            if t == 3600:  # one session hour in: the level everything is held to
                await quiet(pilot, app, 1.0)
                gc.collect()
                figures.rss_hour1_mb = rss_mb()
                figures.threads_hour1_names = threads()
                figures.threads_hour1 = len(figures.threads_hour1_names)
                figures.workers_hour1 = len(app.workers)
                t0 = time.monotonic() - t / TICK * per_tick
            elif t > 3600:
                figures.threads_max_after_hour1 = max(
                    figures.threads_max_after_hour1, len(threads())
                )
                figures.workers_max_after_hour1 = max(
                    figures.workers_max_after_hour1, len(app.workers)
                )
            # keep to the compressed clock, letting the app run in between
            ahead = t0 + t / TICK * per_tick - time.monotonic()
            await (pilot.pause(ahead) if ahead > 0 else asyncio.sleep(0))
        await quiet(pilot, app)
        gc.collect()
        figures.rss_end_mb = rss_mb()
        figures.threads_end_names = threads()
        figures.threads_end = len(figures.threads_end_names)
        figures.workers_end = len(app.workers)
        figures.builds = builds_of(app) - first_builds
        figures.real_seconds = round(time.monotonic() - started, 1)
        assert app.snapshot is not None
        figures.rows_end = {
            rel: r.frame.height
            for rel, r in app.snapshot.inputs.results.items()
            if rel.startswith(f"{DAY}/options") or rel.startswith(f"{DAY}/darkpool")
        }
        assert app.failure is None, app.failure  # every build succeeded
        fresh = build_snapshot(root, cache=None)
        lost = differences(app.snapshot, fresh)
    print("\nsoak figures:", json.dumps(figures.__dict__ | {"full": FULL}, indent=1))
    assert lost == []
    assert figures.rss_end_mb <= 1.10 * figures.rss_hour1_mb, figures
    assert figures.threads_end <= figures.threads_hour1, figures
    assert figures.threads_max_after_hour1 <= figures.threads_hour1 + 3, figures
    assert figures.workers_end <= figures.workers_hour1, figures
    assert figures.workers_max_after_hour1 <= 3, figures
    ticks = int(SESSION_SECONDS // TICK)
    assert figures.appends == 2 * ticks
    assert sum(figures.rows_end.values()) == 2 * ticks + 4 + 6  # + the folder's first rows
