"""`flowterm report` on a many-session folder, cold (no cache) and warm (history cached).

Generates a canonical folder of ``--sessions`` tape sessions (``benchmarks.synthetic``), then
times, each as the median wall time of ``--runs`` runs after one warm-up run:

- cold: ``python -m flowterm report DIR`` with an empty ``FLOWTERM_CACHE_DIR`` per run, so
  every past session is read and summarised from its files;
- warm: the same command once the cache holds every past session;
- warm in process: ``build_snapshot`` + ``to_markdown`` in this process (what opening the
  folder costs without starting an interpreter and importing Polars);

and finally touches one past session's file and reports which sessions the next build
recomputed (exactly that one).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from .synthetic import write_folder


def _median(label: str, runs: Sequence[float]) -> str:
    shown = ", ".join(f"{r:.2f}" for r in runs)
    return f"{label:<44} median {statistics.median(runs):7.3f} s   (runs: {shown})"


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _cli(folder: Path, cache: Path) -> None:
    env = {**os.environ, "FLOWTERM_CACHE_DIR": str(cache)}
    subprocess.run(
        [sys.executable, "-m", "flowterm", "report", str(folder)],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )


def run(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks history", description=__doc__)
    parser.add_argument("--sessions", type=int, default=250, help="tape sessions (250)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per figure (5, ≥ 5)")
    parser.add_argument("--option-prints", type=int, default=2000, help="per session (2000)")
    parser.add_argument("--dark-prints", type=int, default=1000, help="per session (1000)")
    parser.add_argument("--folder", type=Path, help="generate into (or reuse) this folder")
    parser.add_argument("--skip-cold", action="store_true", help="time the warm runs only")
    args = parser.parse_args(list(argv))
    if args.runs < 5:
        parser.error("--runs must be at least 5")

    from flowterm.core.history import HistoryCache
    from flowterm.core.report import to_markdown
    from flowterm.core.snapshot import build_snapshot

    with tempfile.TemporaryDirectory(prefix="flowterm-bench-") as scratch:
        root = Path(scratch)
        folder = args.folder or root / "data"
        if (folder / "bars").is_dir():
            sessions = sorted(p for p in folder.iterdir() if p.is_dir() and p.name[:2] == "20")
            print(f"reusing {folder} ({len(sessions)} sessions)")
        else:
            start = time.perf_counter()
            made = write_folder(
                folder,
                sessions=args.sessions,
                option_prints=args.option_prints,
                dark_prints=args.dark_prints,
            )
            print(
                f"generated {len(made.sessions)} sessions, {made.files} files in "
                f"{time.perf_counter() - start:.1f} s at {folder}"
            )

        if not args.skip_cold:
            counter = iter(range(10_000))
            _cli(folder, root / f"cold-{next(counter)}")  # warm-up (OS file cache, imports)
            cold = [
                _timed(lambda: _cli(folder, root / f"cold-{next(counter)}"))
                for _ in range(args.runs)
            ]
            print(_median("cold  `flowterm report` (no cache)", cold))

        cache = root / "warm"
        _cli(folder, cache)  # fills the cache (and warms up)
        warm = [_timed(lambda: _cli(folder, cache)) for _ in range(args.runs)]
        print(_median("warm  `flowterm report` (cached)", warm))

        store = HistoryCache.for_data_dir(folder, root=cache)

        def in_process() -> None:
            to_markdown(build_snapshot(folder, cache=HistoryCache(store.folder)))

        in_process()
        inner = [_timed(in_process) for _ in range(args.runs)]
        print(_median("warm  in process (build + Markdown)", inner))
        snap = build_snapshot(folder, cache=HistoryCache(store.folder))
        stages = ", ".join(f"{k} {v:.3f}" for k, v in snap.timings.items())
        print(f"      stages of one warm build (s): {stages}")
        info = snap.history
        print(
            f"      {len(info.summary_hits)} past sessions from the cache, "
            f"{len(info.summaries_computed)} computed"
        )

        victim = snap.sessions[len(snap.sessions) // 2]
        touched = folder / victim.isoformat() / "darkpool.parquet"
        now = time.time()
        os.utime(touched, (now, now))
        took = time.perf_counter()
        again = build_snapshot(folder, cache=HistoryCache(store.folder))
        took = time.perf_counter() - took
        recomputed = ", ".join(d.isoformat() for d in again.history.summaries_computed)
        print(
            f"touched {touched.relative_to(folder)}: recomputed [{recomputed}] "
            f"({len(again.history.derived_computed)} report days re-derived) in {took:.2f} s"
        )
    return 0
