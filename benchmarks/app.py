"""The app's own figures, headless (``App.run_test``): cold start to first paint, key latency
while a recompute runs, and paging through a 100,000-print drill-down.

``python -m benchmarks app [--data DIR] [--runs N] [--json]``. Cold start runs a fresh
interpreter per run (``benchmarks/first_paint.py``): from spawning the process to the first
frame that shows a snapshot. Key latency starts rebuilds of ``--rebuild`` (default: the
bundled sample) and presses tab keys while the build worker runs, timing each key from press
to handled. The drill-down pushes 100,000 prints and pages and moves through them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def first_paint(data: Path | None, runs: int) -> list[float]:
    """Seconds from spawning ``benchmarks/first_paint.py`` to its first painted snapshot, per
    run (one warm-up first: OS file cache, the history cache)."""
    times = []
    script = Path(__file__).with_name("first_paint.py")
    for i in range(runs + 1):
        args = [sys.executable, str(script)]
        if data is not None:
            args.append(str(data))
        start = time.time()
        out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
        painted = float(next(line for line in out.splitlines() if line.startswith("painted"))[8:])
        if i:
            times.append(painted - start)
    return times


async def _key_latency(data: Path, presses: int) -> dict[str, Any]:
    """Cursor keys (j/k) sent while a rebuild of ``data`` runs in the worker: seconds from the
    key event being posted to its action running (the build runs in a thread)."""
    from flowterm.tui.app import FlowtermApp
    from flowterm.tui.messages import DataChanged

    app = FlowtermApp(data, watch=False)
    handled: list[float] = []
    action = app.action_cursor

    def timed(direction: str) -> None:
        handled.append(time.perf_counter())
        action(direction)

    app.action_cursor = timed  # type: ignore[method-assign]
    latencies: list[float] = []
    during = 0
    async with app.run_test(size=(120, 40)) as pilot:
        while app.snapshot is None:
            await asyncio.sleep(0.01)
        await pilot.pause()
        rounds = 0
        while len(latencies) < presses and rounds < 20:
            rounds += 1
            app.post_message(DataChanged(frozenset()))  # a recompute starts in the worker
            await asyncio.sleep(0.02)
            while app._scheduler.running is not None and len(latencies) < presses:
                count = len(handled)
                start = time.perf_counter()
                app.simulate_key("j" if len(latencies) % 2 == 0 else "k")
                while len(handled) == count:
                    await asyncio.sleep(0.0005)
                latencies.append(handled[-1] - start)
                during += app._scheduler.running is not None
                await asyncio.sleep(0.05)
            while app._scheduler.running is not None:
                await asyncio.sleep(0.01)
    return {"latencies": latencies, "pressed_during_build": during}


async def _drill(rows: int) -> dict[str, Any]:
    """A 100,000-print drill-down: seconds from a key to its action done (page down: the next
    200 rows formatted and shown; cursor down: one row)."""
    import polars as pl

    from flowterm.core.paths import bundled_data_dir
    from flowterm.core.snapshot import build_snapshot
    from flowterm.tui.app import FlowtermApp
    from flowterm.tui.screens.drill import DrillDownScreen
    from flowterm.tui.screens.table import FrameTable

    snap = build_snapshot(bundled_data_dir())
    prints = snap.option_prints.collect()
    frame = pl.concat([prints] * (rows // prints.height + 1)).head(rows)
    app = FlowtermApp(snapshot=snap, watch=False)
    pages: list[float] = []
    moves: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        start = time.perf_counter()
        app.push_screen(DrillDownScreen("100k prints", frame))
        await pilot.pause()
        table = app.screen.query_one(FrameTable)
        opened = time.perf_counter() - start
        done: list[float] = []
        page, down = table.action_page, table.action_cursor_down

        def timed_page(step: int) -> None:
            page(step)
            done.append(time.perf_counter())

        def timed_down() -> None:
            down()
            done.append(time.perf_counter())

        table.action_page = timed_page  # type: ignore[method-assign]
        table.action_cursor_down = timed_down  # type: ignore[method-assign]
        for key, out in (("pagedown", pages), ("down", moves)):
            for _ in range(30):
                count = len(done)
                start = time.perf_counter()
                app.simulate_key(key)
                while len(done) == count:
                    await asyncio.sleep(0.0005)
                out.append(done[-1] - start)
                await pilot.pause()
        start = time.perf_counter()
        await pilot.press("right", "o")  # sort the whole frame by the next column
        sort = time.perf_counter() - start
        assert table.frame.height == rows
    return {"open": opened, "pages": pages, "moves": moves, "sort": sort, "rows": rows}


def measure(data: Path | None, big: Path | None, runs: int) -> dict[str, Any]:
    """Every app figure (``data``: the folder for cold start; ``big``: the folder rebuilt while
    keys are pressed, default the bundled sample)."""
    from flowterm.core.paths import bundled_data_dir

    with tempfile.TemporaryDirectory(prefix="flowterm-app-bench-") as cache:
        os.environ["FLOWTERM_CACHE_DIR"] = cache
        paint = first_paint(data, runs)
        keys = asyncio.run(_key_latency(big or bundled_data_dir(), max(10, runs * 4)))
        drill = asyncio.run(_drill(100_000))
    return {"first_paint": paint, "keys": keys, "drill": drill}


def _summary(values: Sequence[float]) -> str:
    ms = [v * 1000 for v in values]
    return f"median {statistics.median(ms):7.1f} ms  (min {min(ms):.1f}, max {max(ms):.1f})"


def run(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks app", description=__doc__)
    parser.add_argument("--data", type=Path, help="folder to open (default: the bundled sample)")
    parser.add_argument("--rebuild", type=Path, help="folder rebuilt while keys are pressed")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(list(argv))
    figures = measure(args.data, args.rebuild, args.runs)
    if args.json:
        print(json.dumps(figures))
        return 0
    print("cold start to first paint       ", _summary(figures["first_paint"]))
    keys = figures["keys"]
    print(
        "key press during a recompute    ",
        _summary(keys["latencies"]),
        f"[{keys['pressed_during_build']} of {len(keys['latencies'])} while building]",
    )
    drill = figures["drill"]
    print(f"drill-down of {drill['rows']:,} prints: open {drill['open'] * 1000:.0f} ms")
    print("  page down                     ", _summary(drill["pages"]))
    print("  cursor down                   ", _summary(drill["moves"]))
    print(f"  sort the whole frame           {drill['sort'] * 1000:.0f} ms")
    return 0
