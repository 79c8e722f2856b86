"""A full day's tape: snapshot, report, side decomposition vs pandas/DuckDB/Polars, CSV, live
appends, the app, and 250 cached sessions; writes docs/performance.md.

``python -m benchmarks tape [--prints N] [--dark-prints N] [--runs N] [--quick] [--folder DIR]``

Generates canonical tapes (``benchmarks.tapegen``: by default one session of 10,000,000 option
prints over 500 underlyings with a Zipf-like popularity, 5,000,000 off-exchange prints, chains
for SPX/SPY/QQQ, 250 sessions of daily bars) as Parquet and as CSV, then measures every figure
of issue 7 as the median of ``--runs`` (≥ 5) runs after a warm-up, with the min–max:

- the full snapshot (every layer) in process, per stage, from Parquet and from CSV;
- the whole ``flowterm report`` process, and its peak RSS;
- the options side decomposition: flowterm, a straightforward pandas reference, DuckDB SQL and
  a bare Polars streaming query (``benchmarks.references``), all checked to agree;
- a live rebuild after 10,000 prints arrive as a new part file and as rows appended to a CSV
  (``build_snapshot(previous=…, live=True)``), checked against a full rebuild;
- the app (``benchmarks.app``) and 250 cached sessions (``benchmarks.history``'s warm build).

``--quick`` is a small run (1,000,000 + 500,000 prints, 5 runs, no CSV copy of the full size
... everything still measured) for checking the command itself.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "performance.md"


@dataclass
class Figure:
    """One measured figure: its runs (seconds, or MB for memory) and its target."""

    name: str
    runs: list[float]
    target: float | None = None
    unit: str = "s"
    #: "max": the value must be at most the target; "min": at least (ratios).
    sense: str = "max"
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        return self.median <= self.target if self.sense == "max" else self.median >= self.target

    def value(self, x: float) -> str:
        if self.unit == "s":
            return f"{x:.3f} s" if x < 10 else f"{x:.1f} s"
        if self.unit == "ms":
            return f"{x * 1000:.0f} ms" if x >= 0.01 else f"{x * 1000:.1f} ms"
        if self.unit == "MB":
            return f"{x:.0f} MB"
        return f"{x:.2f}×"

    def line(self) -> str:
        spread = f"{self.value(min(self.runs))}–{self.value(max(self.runs))}"
        target = ""
        if self.target is not None:
            sign = "≤" if self.sense == "max" else "≥"
            verdict = "met" if self.met else "MISSED"
            target = f"  target {sign} {self.value(self.target)}: {verdict}"
        return f"{self.name:<52} {self.value(self.median):>10}  ({spread}){target}"


@dataclass
class Results:
    figures: list[Figure] = field(default_factory=list)
    stages: dict[str, dict[str, float]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        print(figure.line(), flush=True)
        return figure


def _timed(fn: Callable[[], object], runs: int, *, warmup: int = 1) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


#: Runs a command and prints its peak RSS. A launcher of its own, because Linux carries a
#: process's peak RSS across fork and exec: a child of this (large) benchmark process would
#: report this process's peak, not its own.
_LAUNCHER = (
    "import os, subprocess, sys\n"
    "child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
    "_, status, usage = os.wait4(child.pid, 0)\n"
    "print(usage.ru_maxrss, status, file=sys.stderr)\n"
    "sys.exit(1 if status else 0)\n"
)


def _process(args: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one child process (the launcher's start-up, ~20 ms,
    is in the wall time)."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, *args], env=env, capture_output=True, text=True, cwd=ROOT
    )
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed: {done.stderr[-2000:]}")
    rss_kb = int(done.stderr.strip().splitlines()[-1].split()[0])
    return wall, rss_kb / 1024


def _machine() -> dict[str, str]:
    import duckdb
    import pandas
    import polars
    import textual

    memory = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return {
        "cores": str(os.cpu_count()),
        "cpu": cpu,
        "memory": memory,
        "python": platform.python_version(),
        "polars": polars.__version__,
        "duckdb": duckdb.__version__,
        "pandas": pandas.__version__,
        "textual": textual.__version__,
        "load average at start": load,
    }


# ------------------------------------------------------------------------------------------
# the measurements
# ------------------------------------------------------------------------------------------


def _snapshot(results: Results, folder: Path, runs: int, label: str, target: float) -> None:
    from flowterm.core.snapshot import build_snapshot

    stages: dict[str, list[float]] = {}

    def once() -> None:
        snap = build_snapshot(folder, cache=None)
        for k, v in snap.timings.items():
            stages.setdefault(k, []).append(v)

    times = _timed(once, runs)
    results.add(Figure(f"snapshot, every layer ({label})", times, target))
    results.stages[label] = {k: statistics.median(v[1:]) for k, v in stages.items()}
    shown = ", ".join(f"{k} {v:.3f}" for k, v in results.stages[label].items())
    print(f"    stages (median s): {shown}", flush=True)


def _report(results: Results, folder: Path, runs: int) -> None:
    cache = Path(tempfile.mkdtemp(prefix="flowterm-bench-cache-"))
    env = {**os.environ, "FLOWTERM_CACHE_DIR": str(cache)}
    args = [sys.executable, "-m", "flowterm", "report", str(folder)]
    cold = [
        _process(args, {**env, "FLOWTERM_CACHE_DIR": str(cache / f"cold{i}")}) for i in range(2)
    ]
    warm_runs = [_process(args, env) for _ in range(runs + 1)][1:]
    results.add(Figure("`flowterm report`, whole process", [w for w, _ in warm_runs], 3.0))
    rss = [r for _, r in warm_runs] + [r for _, r in cold]
    results.add(Figure("`flowterm report`, peak RSS", rss, 1024.0, unit="MB"))
    results.add(
        Figure(
            "`flowterm report`, first run (empty cache)",
            [w for w, _ in cold],
            note="stores the session's summary for later days",
        )
    )
    shutil.rmtree(cache, ignore_errors=True)


def _decomposition(results: Results, folder: Path, runs: int) -> None:
    from .references import (
        agree,
        duckdb_reference,
        flowterm_decomposition,
        pandas_reference,
        polars_floor,
    )

    path = folder / "2026-04-08" / "options.parquet"
    engines: dict[str, Callable[[], Any]] = {
        "flowterm": lambda: flowterm_decomposition(path, folder),
        "Polars floor": lambda: polars_floor(path),
        "DuckDB": lambda: duckdb_reference(path),
        "pandas": lambda: pandas_reference(path),
    }
    answers = {name: fn() for name, fn in engines.items()}
    for name in ("Polars floor", "DuckDB", "pandas"):
        if not agree(answers["flowterm"], answers[name]):
            raise RuntimeError(f"{name} disagrees with flowterm on the decomposition")
    results.notes.append("All four decompositions agreed on every underlying's totals.")
    # interleaved rounds: every engine sees the same machine load
    times: dict[str, list[float]] = {name: [] for name in engines}
    for _ in range(runs):
        for name, fn in engines.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    ours = results.add(Figure("side decomposition: flowterm", times["flowterm"]))
    floor = results.add(Figure("side decomposition: bare Polars streaming", times["Polars floor"]))
    duck = results.add(Figure("side decomposition: DuckDB SQL", times["DuckDB"]))
    pandas = results.add(Figure("side decomposition: pandas", times["pandas"]))
    by_round = list(zip(ours.runs, floor.runs, duck.runs, pandas.runs, strict=True))
    results.add(Figure("  pandas / flowterm", [p / o for o, _, _, p in by_round], 8.0, "x", "min"))
    results.add(Figure("  DuckDB / flowterm", [d / o for o, _, d, _ in by_round], 1.5, "x", "min"))
    results.add(Figure("  flowterm / Polars floor", [o / f for o, f, _, _ in by_round], 1.3, "x"))


def _incremental(results: Results, parquet: Path, csv: Path | None, runs: int) -> None:
    import numpy as np

    from flowterm.core.snapshot import build_snapshot

    from .tapegen import SESSION, _names, _spots, et_text, option_prints

    names = _names(500)
    spots = _spots(np.random.default_rng(11), names)
    rng = np.random.default_rng(99)
    day = SESSION.isoformat()

    def scenario(folder: Path, append: Callable[[int], None]) -> tuple[list[float], bool]:
        from flowterm.core.history import HistoryCache

        cache = HistoryCache(Path(tempfile.mkdtemp(prefix="flowterm-bench-incr-")))
        snap = build_snapshot(folder, cache=cache, live=True)
        times = []
        for i in range(runs + 1):
            append(i)
            start = time.perf_counter()
            snap = build_snapshot(folder, previous=snap.inputs, cache=cache, live=True)
            if i:
                times.append(time.perf_counter() - start)
        full = build_snapshot(folder, cache=None)
        a, b = snap.flow.market, full.flow.market
        same = (
            a.prints_seen == b.prints_seen
            and abs(a.net - b.net) <= 1e-9 * max(1.0, abs(b.total))
            and snap.convergence == full.convergence
        )
        return times, same

    def new_part(i: int) -> None:
        chunk = option_prints(rng, 10_000, names, spots)
        chunk.write_parquet(parquet / day / f"options_live{i}.parquet")

    def csv_rows(i: int) -> None:
        assert csv is not None
        text = et_text(option_prints(rng, 10_000, names, spots)).write_csv(include_header=False)
        with open(csv / day / "options.csv", "a", encoding="utf-8") as handle:
            handle.write(text)
        then = time.time() - 5  # a writer that finished (the last line is complete anyway)
        os.utime(csv / day / "options.csv", (then, then))

    part_times, same = scenario(parquet, new_part)
    results.add(Figure("live: 10,000 prints as a new part file", part_times, 0.150, "ms"))
    if csv is not None:
        csv_times, csv_same = scenario(csv, csv_rows)
        results.add(Figure("live: 10,000 rows appended to the CSV", csv_times, 0.150, "ms"))
        same = same and csv_same
    if not same:
        raise RuntimeError("a live rebuild differs from the full rebuild")
    results.notes.append("After the live runs, each folder's full rebuild equalled the live one.")
    for f in parquet.glob(f"{day}/options_live*.parquet"):
        f.unlink()


def _app(results: Results, rebuild: Path, runs: int) -> None:
    from . import app

    figures = app.measure(None, rebuild, runs)
    results.add(Figure("app: cold start to first paint (bundled)", figures["first_paint"], 1.5))
    keys = figures["keys"]
    results.add(
        Figure(
            "app: key press while a recompute runs",
            keys["latencies"],
            0.050,
            "ms",
            note=f"{keys['pressed_during_build']} of {len(keys['latencies'])} during a build",
        )
    )
    drill = figures["drill"]
    results.add(Figure("app: 100,000-print drill-down, page down", drill["pages"], 0.050, "ms"))
    results.add(Figure("app: 100,000-print drill-down, cursor down", drill["moves"], 0.050, "ms"))
    results.notes.append(
        f"Drill-down of {drill['rows']:,} prints opens in {drill['open'] * 1000:.0f} ms and sorts "
        f"the whole frame in {drill['sort'] * 1000:.0f} ms (it shows one page of 200 rows)."
    )


def _history(results: Results, folder: Path | None, runs: int) -> None:
    from flowterm.core.history import HistoryCache
    from flowterm.core.report import to_markdown
    from flowterm.core.snapshot import build_snapshot

    from .synthetic import write_folder

    with tempfile.TemporaryDirectory(prefix="flowterm-bench-history-") as scratch:
        root = folder or Path(scratch) / "data"
        if not (root / "bars").is_dir():
            write_folder(root, sessions=250, option_prints=2000, dark_prints=1000)
        cache = Path(scratch) / "cache"
        build_snapshot(root, cache=HistoryCache(cache))  # fills the cache

        def warm() -> None:
            to_markdown(build_snapshot(root, cache=HistoryCache(cache)))

        results.add(Figure("250 cached sessions: build + Markdown", _timed(warm, runs), 1.0))


# ------------------------------------------------------------------------------------------
# the document
# ------------------------------------------------------------------------------------------


def _write_doc(results: Results, machine: dict[str, str], args: argparse.Namespace) -> None:
    lines = [
        "# Performance",
        "",
        "Written by `python -m benchmarks tape` (do not edit by hand: run it again). Every figure "
        f"is the median of {args.runs} runs after a warm-up, with the min–max of the runs. "
        "The machine is shared with other work (see the load averages): runs vary, so the "
        "spread is shown, and the side decomposition's engines are timed in interleaved rounds.",
        "",
        f"Run: {datetime.now().strftime('%Y-%m-%d %H:%M')} · tapes: "
        f"{args.prints:,} option prints over 500 underlyings (Zipf-like), "
        f"{args.dark_prints:,} off-exchange prints, chains for SPX/SPY/QQQ, 250 sessions of "
        "daily bars (`benchmarks/tapegen.py`).",
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in machine.items()],
        "",
        "## Figures",
        "",
        "| figure | median | min–max | target | |",
        "|---|---:|---:|---:|---|",
    ]
    for f in results.figures:
        target = ""
        verdict = ""
        if f.target is not None:
            target = ("≤ " if f.sense == "max" else "≥ ") + f.value(f.target)
            verdict = "met" if f.met else f"**missed** by {_miss(f)}"
        spread = f"{f.value(min(f.runs))}–{f.value(max(f.runs))}"
        name = f.name.strip()
        if f.note:
            name += f" ({f.note})"
        lines.append(f"| {name} | {f.value(f.median)} | {spread} | {target} | {verdict} |")
    lines += ["", "## Stages of the snapshot (median seconds)", ""]
    for label, stages in results.stages.items():
        shown = ", ".join(f"{k} {v:.3f}" for k, v in stages.items())
        lines.append(f"- {label}: {shown}")
    if results.notes:
        lines += ["", "## Notes", ""]
        lines += [f"- {n}" for n in results.notes]
    lines.append("")
    DOC.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {DOC.relative_to(ROOT)}")


def _miss(f: Figure) -> str:
    assert f.target is not None
    if f.sense == "max":
        return f"{f.value(f.median - f.target)} ({f.median / f.target:.2f}× the target)"
    return f"{f.target / f.median:.2f}× (needs {f.value(f.target)})"


def run(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks tape", description=__doc__)
    parser.add_argument("--prints", type=int, default=10_000_000, help="option prints (10M)")
    parser.add_argument("--dark-prints", type=int, default=5_000_000, help="off-exchange (5M)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per figure (≥ 5)")
    parser.add_argument("--quick", action="store_true", help="1M + 500k prints: a quick check")
    parser.add_argument("--folder", type=Path, help="generate into (or reuse) this folder")
    parser.add_argument("--history-folder", type=Path, help="reuse a 250-session folder")
    parser.add_argument("--skip", nargs="*", default=[], help="parts to skip: csv app history")
    parser.add_argument("--no-doc", action="store_true", help="do not write docs/performance.md")
    args = parser.parse_args(list(argv))
    if args.quick:
        args.prints, args.dark_prints = 1_000_000, 500_000
    if args.runs < 5:
        parser.error("--runs must be at least 5")

    from .tapegen import csv_copy, write_tapes

    machine = _machine()
    print(json.dumps(machine))
    results = Results()
    scratch = Path(tempfile.mkdtemp(prefix="flowterm-bench-tape-"))
    try:
        parquet = args.folder or scratch / "parquet"
        stamp = parquet / ".tape-size"
        wanted = f"{args.prints} {args.dark_prints}"
        if not stamp.exists() or stamp.read_text() != wanted:
            if parquet.exists():
                shutil.rmtree(parquet)
            start = time.perf_counter()
            write_tapes(parquet, prints=args.prints, dark_prints_count=args.dark_prints)
            stamp.write_text(wanted)
            print(f"generated Parquet tapes in {time.perf_counter() - start:.1f} s at {parquet}")
        csv = parquet.with_name(parquet.name + "-csv")
        if "csv" not in args.skip and (
            not (csv / ".tape-size").exists() or (csv / ".tape-size").read_text() != wanted
        ):
            start = time.perf_counter()
            csv_copy(parquet, csv)
            (csv / ".tape-size").write_text(wanted)
            print(f"wrote the CSV copy in {time.perf_counter() - start:.1f} s")

        _snapshot(results, parquet, args.runs, "Parquet", 2.0)
        _report(results, parquet, args.runs)
        _decomposition(results, parquet, args.runs)
        if "csv" not in args.skip:
            _snapshot(results, csv, args.runs, "CSV, streamed", 6.0)
        live_parquet = scratch / "live-parquet"
        shutil.copytree(parquet, live_parquet)
        live_csv = None
        if "csv" not in args.skip:
            live_csv = scratch / "live-csv"
            shutil.copytree(csv, live_csv)
        _incremental(results, live_parquet, live_csv, args.runs)
        if "app" not in args.skip:
            _app(results, parquet, args.runs)
        if "history" not in args.skip:
            _history(results, args.history_folder, args.runs)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    machine["load average at end"] = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    if not args.no_doc:
        _write_doc(results, machine, args)
    missed = [f.name.strip() for f in results.figures if f.met is False]
    print("targets missed: " + (", ".join(missed) if missed else "none"))
    return 0
