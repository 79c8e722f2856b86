"""Read recognised files into canonical Polars frames, lazily, splitting good rows from rejects.

``scan_file`` gives a LazyFrame over one file (canonical columns, ``_file``, ``_line``,
``_reject``);
``read_file`` collects it once into a ``FileResult`` (good rows, rejected rows with file, line
and reason) and turns any read failure into ``error`` rather than an exception. ``scan_kind``
stacks every part file of a kind (and session) for the analytics to filter and aggregate lazily.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from . import vendors
from .catalog import Catalog, DataFile, data_file
from .schema import Kind, spec
from .timeparse import detect_layouts
from .validate import (
    LINE,
    RAW_PREFIX,
    REJECT,
    VENDOR_REASON,
    Canonical,
    canonicalise,
    output_columns,
)

if TYPE_CHECKING:
    from .tape import TapeState

FILE = "_file"

#: Schema of a rejects frame: where the row was, why it was set aside, and its raw values.
REJECT_SCHEMA = pl.Schema(
    {
        "file": pl.String(),
        "line": pl.Int64(),
        "reason": pl.String(),
        "raw": pl.String(),
    }
)


@dataclass(frozen=True, slots=True)
class FileResult:
    """One file read: its good rows, its rejected rows, or the reason it could not be read."""

    source: DataFile
    frame: pl.DataFrame
    rejects: pl.DataFrame
    error: str | None = None
    #: A print tape read for the report: its rows reduced to sums, and how far the file was
    #: read (``core.tape``); ``frame`` is then empty when the rows are not kept in memory.
    tape: TapeState | None = None

    @property
    def kind(self) -> Kind:
        return self.source.kind

    @property
    def good_rows(self) -> int:
        return self.tape.good_rows if self.tape is not None else self.frame.height

    @property
    def rows_read(self) -> int:
        return self.good_rows + self.rejects.height

    @property
    def rows_rejected(self) -> int:
        return self.rejects.height

    def reason_counts(self, limit: int = 5) -> list[tuple[str, int, int]]:
        """The most frequent reject reasons as ``(reason, count, first line)``."""
        if self.rejects.is_empty():
            return []
        grouped = (
            self.rejects.lazy()
            .group_by("reason")
            .agg(pl.len().alias("n"), pl.col("line").min().alias("first"))
            .sort(["n", "first"], descending=[True, False])
            .head(limit)
            .collect()
        )
        return [(r, int(n), int(f)) for r, n, f in grouped.iter_rows()]


def csv_data_start(source: DataFile, head: bytes) -> int | None:
    """The byte offset where the data rows of a CSV file begin (after its header line and the
    lines before it), found in ``head`` (the file's first bytes); None when ``head`` ends first."""
    offset = 0
    for _ in range(source.detected.header_row + 1):
        nl = head.find(b"\n", offset)
        if nl < 0:
            return None
        offset = nl + 1
    return offset


def raw_lazy(
    source: DataFile,
    /,
    *,
    data: bytes | None = None,
    first_line: int | None = None,
    n_rows: int | None = None,
    typed: bool = False,
) -> tuple[pl.LazyFrame, pl.Schema]:
    """The file as a LazyFrame with canonical column names (unconverted) and ``_line``.

    For a CSV file, ``data`` reads these bytes (data rows only, no header) instead of the file,
    numbering them from line ``first_line``; ``n_rows`` reads only the first data rows;
    ``typed`` has the CSV reader parse the numeric columns itself (much faster than text, but
    collecting raises on the first value it cannot parse: read as text then)."""
    det = source.detected
    mapping = dict(det.mapping)
    if det.fmt not in ("csv", "parquet"):
        vendor = vendors.get(det.fmt)
        if vendor is None:
            raise ValueError(f"unknown format {det.fmt}")
        lf = vendor.scan(source.path)
        names = lf.collect_schema().names()
        own = [pl.col(VENDOR_REASON).cast(pl.String)] if VENDOR_REASON in names else []
        wanted = [c for c in spec(det.kind).schema().names() if c in names]
        lf = lf.select(pl.col(LINE), *own, *wanted)
        return lf, lf.collect_schema()
    if det.fmt == "parquet":
        lf = pl.scan_parquet(source.path, glob=False).with_row_index(LINE, offset=1)
        lf = lf.select(pl.col(LINE), *[pl.col(h).alias(c) for h, c in mapping.items()])
        return lf, lf.collect_schema()
    # Every column read as text; one sentinel column catches rows with more fields than the
    # header. Record i (0-based) after a header on line h + 1 sits on physical line i + h + 2:
    # blank lines are kept by the reader as empty rows, so the count stays exact unless a quoted
    # field spans several lines.
    headers = list(det.headers)
    names = [f"_c{i}" for i in range(len(headers))]
    schema: dict[str, pl.DataType] = dict.fromkeys([*names, "_extra"], pl.String())
    if typed:
        columns = {c.name: c for c in spec(det.kind).columns}
        for i, h in enumerate(headers):
            column = columns.get(mapping.get(h, ""))
            if (
                column is not None
                and not column.timestamp
                and column.dtype in (pl.Float64, pl.Int64)
            ):
                schema[names[i]] = column.dtype
    options: dict[str, Any] = {
        "has_header": False,
        "separator": det.separator,
        "schema": schema,
        "missing_columns": "insert",
        "extra_columns": "ignore",
        "truncate_ragged_lines": True,
        "encoding": "utf8-lossy",
        "infer_schema": False,
    }
    if data is not None:
        start = det.header_row + 2 if first_line is None else first_line
        lf = pl.scan_csv(data, **options).with_row_index(LINE, offset=start)
    else:
        lf = pl.scan_csv(
            source.path, skip_rows=det.header_row + 1, n_rows=n_rows, glob=False, **options
        ).with_row_index(LINE, offset=det.header_row + 2)
    by_name = {h: names[i] for i, h in enumerate(headers)}
    cols = [pl.col(by_name[h]).alias(c) for h, c in mapping.items()]
    lf = lf.select(pl.col(LINE), pl.col("_extra"), *cols)
    return lf, lf.collect_schema()


#: Rows sampled from the top of a file to learn the layout of its timestamp columns.
LAYOUT_SAMPLE_ROWS = 500


def timestamp_layouts(
    lf: pl.LazyFrame, schema: pl.Schema, kind: Kind
) -> dict[str, tuple[str, ...]]:
    """The layouts of each text timestamp column, learned from the first rows of ``lf``."""
    text_ts = [
        c.name
        for c in spec(kind).columns
        if c.timestamp and c.name in schema and schema[c.name] == pl.String
    ]
    if not text_ts:
        return {}
    head = lf.select(text_ts).head(LAYOUT_SAMPLE_ROWS).collect()
    return {name: detect_layouts(head[name]) for name in text_ts}


def scan_file(source: DataFile) -> Canonical:
    """One file in canonical form, lazily, with ``_file`` naming it (relative path)."""
    return canonical_of(source, *raw_lazy(source))


def canonical_of(
    source: DataFile,
    lf: pl.LazyFrame,
    schema: pl.Schema,
    /,
    *,
    layouts: Mapping[str, tuple[str, ...]] | None = None,
) -> Canonical:
    """``lf`` (from ``raw_lazy``) in canonical form with ``_file``; timestamp layouts learned
    from its first rows unless given."""
    kind = source.kind
    columns = pl.Schema(
        {k: v for k, v in schema.items() if k not in (LINE, "_extra", VENDOR_REASON)}
    )
    canonical = canonicalise(
        lf,
        kind,
        columns,
        session=source.session,
        symbol_hint=source.symbol_hint,
        ragged="_extra" if "_extra" in schema else None,
        layouts=dict(layouts) if layouts is not None else timestamp_layouts(lf, columns, kind),
        reason=VENDOR_REASON if VENDOR_REASON in schema else None,
    )
    return replace(canonical, frame=canonical.frame.with_columns(pl.lit(source.rel).alias(FILE)))


def _split(
    body: pl.DataFrame, canonical: Canonical, kind: Kind
) -> tuple[pl.DataFrame, pl.DataFrame]:
    good = body.filter(pl.col(REJECT).is_null()).select(output_columns(kind))
    rejects = (
        body.filter(pl.col(REJECT).is_not_null())
        .select(
            pl.col(FILE).alias("file"),
            pl.col(LINE).cast(pl.Int64).alias("line"),
            canonical.reason().alias("reason"),
            canonical.raw_text().alias("raw"),
        )
        .sort("line")
    )
    return good, rejects


def empty_frame(kind: Kind) -> pl.DataFrame:
    return pl.DataFrame(schema=spec(kind).schema())


def _retry_timestamps(
    body: pl.DataFrame, canonical: Canonical, source: DataFile
) -> tuple[pl.DataFrame, Canonical] | None:
    """Rows whose timestamp missed the layouts learned from the top of the file, canonicalised
    again with every layout (a second pass over those rows only); None when there are none."""
    if not canonical.timestamp_checks:
        return None
    missed = body.filter(pl.col(REJECT).is_in(sorted(canonical.timestamp_checks)))
    if missed.is_empty():
        return None
    raw = missed.lazy().select(
        pl.col(LINE),
        pl.lit(None, pl.String).alias("_extra"),
        *[pl.col(RAW_PREFIX + n).alias(n) for n in canonical.present],
    )
    again = canonicalise(
        raw,
        source.kind,
        pl.Schema({n: missed.schema[RAW_PREFIX + n] for n in canonical.present}),
        session=source.session,
        symbol_hint=source.symbol_hint,
        ragged="_extra",
    )
    again = replace(again, frame=again.frame.with_columns(pl.lit(source.rel).alias(FILE)))
    return again.frame.collect(), again


def collect_canonical(
    canonical: Canonical, source: DataFile, /
) -> tuple[pl.DataFrame, pl.DataFrame, bool]:
    """Collect ``canonical`` into (good rows, rejects, whether some timestamps needed every
    layout): rows whose timestamp missed the learned layouts are parsed again (a second pass
    over those rows only)."""
    body = canonical.frame.collect()
    retried = _retry_timestamps(body, canonical, source)
    if retried is None:
        good, rejects = _split(body, canonical, source.kind)
        return good, rejects, False
    codes = sorted(canonical.timestamp_checks)
    kept = body.filter(pl.col(REJECT).is_null() | ~pl.col(REJECT).is_in(codes))
    good, rejects = _split(kept, canonical, source.kind)
    again_good, again_rejects = _split(*retried, source.kind)
    good = pl.concat([good, again_good])
    rejects = pl.concat([rejects, again_rejects]).sort("line")
    return good, rejects, True


def failed_read(source: DataFile, exc: BaseException) -> FileResult:
    """The result of a file that could not be read: no rows, and the reason."""
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return FileResult(
        source,
        empty_frame(source.kind),
        pl.DataFrame(schema=REJECT_SCHEMA),
        f"cannot read {source.rel}: {message}",
    )


def read_file(source: DataFile) -> FileResult:
    """Read one file completely. Never raises on bad content or an unreadable file."""
    try:
        good, rejects, _ = collect_canonical(scan_file(source), source)
    except (Exception, pl.exceptions.PanicException) as exc:  # I/O errors, corrupt Parquet, …
        return failed_read(source, exc)
    return FileResult(source, good, rejects)


def scan_kind(catalog: Catalog, kind: Kind, session: date | None = None) -> pl.LazyFrame:
    """The good rows of every part file of ``kind`` (in ``session``), stacked lazily, with
    ``_file`` and ``_line`` so every row can be traced to its source."""
    columns = [*output_columns(kind), FILE, LINE]
    frames = [
        scan_file(f).good().select(columns).with_columns(pl.col(LINE).cast(pl.Int64))
        for f in catalog.of_kind(kind, session)
    ]
    if not frames:
        return (
            empty_frame(kind)
            .lazy()
            .with_columns(pl.lit(None, pl.String).alias(FILE), pl.lit(None, pl.Int64).alias(LINE))
        )
    return pl.concat(frames, how="vertical_relaxed")


def read_kind(catalog: Catalog, kind: Kind, session: date | None = None) -> list[FileResult]:
    """Read every file of ``kind`` (in ``session``); one result per file."""
    return [read_file(f) for f in catalog.of_kind(kind, session)]


def read_path(path: Path) -> FileResult | str:
    """Sniff and read a single file outside any catalog (symbol taken from its name if needed).

    Returns the reason as a string when the file is not recognised.
    """
    from .sniff import Detected, sniff_file

    sniffed = sniff_file(path)
    if not isinstance(sniffed, Detected):
        return sniffed.reason
    return read_file(data_file(path, path.name, sniffed, None))
