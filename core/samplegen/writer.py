"""Deterministic file output: hand-formatted CSV/TXT (LF, fixed decimals) and zstd Parquet."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import polars as pl


def num(x: float, digits: int) -> str:
    """Fixed-decimal text without a negative zero."""
    text = f"{x:.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0.0 else text


def _field(value: str) -> str:
    if any(ch in value for ch in ',"\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def write_text(path: Path, text: str) -> Path:
    """UTF-8 text with LF line endings."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
    return path


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> Path:
    """A CSV with LF line endings; fields quoted only when they must be."""
    lines = [",".join(_field(h) for h in header)]
    lines.extend(",".join(_field(v) for v in row) for row in rows)
    return write_text(path, "\n".join(lines) + "\n")


def write_parquet(path: Path, frame: pl.DataFrame) -> Path:
    """zstd-compressed Parquet of an already conformed frame."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.write_parquet(path, compression="zstd", statistics=True)
    return path
