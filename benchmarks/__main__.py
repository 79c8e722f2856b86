"""``python -m benchmarks NAME [OPTIONS]``: run one benchmark (``--help`` lists them)."""

from __future__ import annotations

import sys

from . import BENCHMARKS


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python -m benchmarks NAME [OPTIONS]\n\nbenchmarks:")
        for name, (about, _) in BENCHMARKS.items():
            print(f"  {name:10} {about}")
        return 0 if argv else 2
    name, rest = argv[0], argv[1:]
    if name not in BENCHMARKS:
        print(f"unknown benchmark {name!r} (known: {', '.join(BENCHMARKS)})", file=sys.stderr)
        return 2
    return BENCHMARKS[name][1](rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
