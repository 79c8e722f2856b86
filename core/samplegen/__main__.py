"""``python -m flowterm.core.samplegen OUT_DIR [--seed N]``: write the sample data folder."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .generate import DEFAULT_DARK_PRINTS, DEFAULT_OPTION_PRINTS, DEFAULT_SEED, generate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m flowterm.core.samplegen",
        description="Write flowterm's deterministic sample market into OUT_DIR.",
    )
    parser.add_argument("out_dir", type=Path, metavar="OUT_DIR")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    parser.add_argument(
        "--option-prints",
        type=int,
        default=DEFAULT_OPTION_PRINTS,
        help="option orders per session before sweeps (default %(default)s)",
    )
    parser.add_argument(
        "--dark-prints",
        type=int,
        default=DEFAULT_DARK_PRINTS,
        help="off-exchange prints per session (default %(default)s)",
    )
    args = parser.parse_args(argv)
    start = time.perf_counter()
    files = generate(
        args.out_dir,
        seed=args.seed,
        option_prints_per_session=args.option_prints,
        dark_prints_per_session=args.dark_prints,
    )
    size = sum(f.stat().st_size for f in files)
    elapsed = time.perf_counter() - start
    print(f"wrote {len(files)} files, {size / 1e6:.1f} MB, to {args.out_dir} in {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
