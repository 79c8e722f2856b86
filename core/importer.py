"""``flowterm import``: convert recognised files into canonical Parquet in a data folder.

Each source file is sniffed and read exactly as the catalog would read it (so its bad rows are
set aside with their line and reason), then its good rows are written as canonical Parquet:
tape kinds into the session folder of each row's ET session date (or ``--session``), daily bars
into ``bars/``, the small tables into the top folder. The output name carries a hash of the
source's bytes, so importing the same file twice rewrites the same file instead of adding
rows. Files are written under a hidden temporary name and renamed, and sources are only read.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import polars as pl

from .catalog import BARS_DIR, data_file
from .readers import FileResult, read_file
from .schema import SESSION_KINDS, Kind
from .sniff import Detected, sniff_file

#: Kinds whose rows carry their own session date in this column.
_SESSION_COLUMN = {
    Kind.OPTION_PRINTS: "session",
    Kind.OFFEX_PRINTS: "session",
    Kind.QUOTES: "session",
    Kind.CHAIN: "session",
    Kind.INTRADAY_BARS: "session",
    Kind.SHORT_VOLUME: "date",
}


@dataclass(frozen=True, slots=True)
class Imported:
    """What became of one source file."""

    source: Path
    kind: Kind | None
    fmt: str | None
    rows_read: int = 0
    rows_rejected: int = 0
    #: Files written (absolute paths) with their row counts.
    written: tuple[tuple[Path, int], ...] = ()
    #: The first reject reasons ``(reason, count, first line)``.
    reasons: tuple[tuple[str, int, int], ...] = ()
    #: Why nothing was imported (not data, unreadable, no session), if so.
    skipped: str | None = None
    replaced: tuple[Path, ...] = field(default=())


def source_files(sources: Iterable[Path]) -> Iterator[Path]:
    """Every file named, and every non-hidden file under every folder named, in name order."""
    for src in sources:
        if src.is_dir():
            for root, dirs, files in os.walk(src):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if not name.startswith("."):
                        yield Path(root) / name
        else:
            yield src


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:12]


def _write(frame: pl.DataFrame, target: Path) -> bool:
    """Write ``frame`` to ``target`` atomically; True when it replaced an existing file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    existed = target.exists()
    temp = target.with_name(f".{target.name}.tmp")
    frame.write_parquet(temp, compression="zstd")
    temp.replace(target)
    return existed


def _targets(
    result: FileResult, into: Path, stem: str, session: date | None
) -> list[tuple[Path, pl.DataFrame]]:
    kind = result.kind
    frame = result.frame
    name = f"{kind.value}-{stem}.parquet"
    if kind not in SESSION_KINDS:
        folder = into / BARS_DIR if kind is Kind.DAILY_BARS else into
        return [(folder / name, frame)]
    if session is not None:
        return [(into / session.isoformat() / name, frame)]
    column = _SESSION_COLUMN[kind]
    out = []
    for (day,), part in frame.partition_by(column, as_dict=True, maintain_order=True).items():
        if isinstance(day, date):
            out.append((into / day.isoformat() / name, part))
    return out


def import_file(source: Path, into: Path, *, session: date | None = None) -> Imported:
    """Import one file into the data folder ``into``. Never raises on bad content."""
    sniffed = sniff_file(source)
    if not isinstance(sniffed, Detected):
        return Imported(source, None, None, skipped=sniffed.reason)
    label = re.sub(r"[^A-Za-z0-9.]+", "_", source.stem).strip("_")[:40] or "file"
    stem = f"{label}-{sniffed.fmt}-{_digest(source)}"
    result = read_file(data_file(source, source.name, sniffed, session))
    reasons = tuple(result.reason_counts())
    base = Imported(
        source,
        sniffed.kind,
        sniffed.fmt,
        rows_read=result.rows_read,
        rows_rejected=result.rows_rejected,
        reasons=reasons,
    )
    if result.error is not None:
        return Imported(source, sniffed.kind, sniffed.fmt, skipped=result.error)
    if result.frame.is_empty():
        return replace(base, skipped="no valid rows")
    written: list[tuple[Path, int]] = []
    replaced: list[Path] = []
    for target, part in _targets(result, into, stem, session):
        if _write(part, target):
            replaced.append(target)
        written.append((target, part.height))
    return replace(base, written=tuple(written), replaced=tuple(replaced))


def import_all(
    sources: Iterable[Path],
    into: Path,
    *,
    session: date | None = None,
    progress: Callable[[Path, int], None] | None = None,
) -> list[Imported]:
    """Import every source file into ``into``; ``progress(path, size)`` is called after each
    file (for a progress bar by bytes). A file inside ``into`` itself is never re-imported."""
    into = into.resolve()
    results = []
    for path in source_files(sources):
        size = path.stat().st_size if path.exists() else 0
        if path.resolve().is_relative_to(into):
            results.append(Imported(path, None, None, skipped="already inside the data folder"))
        else:
            results.append(import_file(path, into, session=session))
        if progress is not None:
            progress(path, size)
    return results
