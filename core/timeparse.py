"""Timestamp and date parsing for the canonical readers.

Rules (FORMATS.md A.2): ISO-8601 text; a timestamp without an offset is America/New_York local
time; internally every timestamp is UTC nanoseconds and every session is an ET calendar date.
Integer epochs are accepted too, their unit taken from their magnitude (s, ms, µs or ns).

All functions return Polars expressions that never raise on bad content: a value that cannot be
parsed becomes null, and the validator turns a null from a non-null input into a reject reason.
"""

from __future__ import annotations

import polars as pl

from .schema import ET_ZONE, UTC_TS

#: Every timestamp layout accepted, most common first. ``aware:`` layouts carry an offset
#: (``Z``, ``-04:00``, ``+0530``, ``-05``); ``naive:`` layouts are America/New_York local time;
#: ``epoch`` is an integer count of s, ms, µs or ns (unit from the number of digits).
LAYOUTS: tuple[str, ...] = (
    "naive:%Y-%m-%d %H:%M:%S%.f",
    "aware:%Y-%m-%dT%H:%M:%S%.f%#z",
    "naive:%Y-%m-%dT%H:%M:%S%.f",
    "aware:%Y-%m-%d %H:%M:%S%.f%#z",
    "epoch",
    "naive:%Y-%m-%d %H:%M",
    "naive:%Y-%m-%dT%H:%M",
    "naive:%Y-%m-%d",
    "naive:%Y%m%d %H:%M:%S%.f",
    "naive:%m/%d/%Y %H:%M:%S%.f",
    "naive:%m/%d/%Y %H:%M",
    "naive:%m/%d/%Y",
)
_DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y%m%d",
    "%m/%d/%Y",
    "%Y/%m/%d",
    "%d-%b-%Y",
    "%b %d %Y",
    "%a %b %d %Y",
)


def _epoch(text: pl.Expr) -> pl.Expr:
    """Integer epoch text → UTC datetime, unit by magnitude (10, 13, 16 or 19 digits)."""
    n = text.cast(pl.Int64, strict=False)
    width = text.str.len_chars()
    ns = (
        pl.when(width <= 11)
        .then(n * 1_000_000_000)
        .when(width <= 14)
        .then(n * 1_000_000)
        .when(width <= 17)
        .then(n * 1_000)
        .otherwise(n)
    )
    return ns.cast(pl.Datetime("ns")).dt.replace_time_zone("UTC")


def _layout(text: pl.Expr, layout: str) -> pl.Expr:
    if layout == "epoch":
        return _epoch(text)
    kind, fmt = layout.split(":", 1)
    if kind == "aware":
        return text.str.to_datetime(fmt, strict=False, time_unit="ns", time_zone="UTC")
    naive = text.str.to_datetime(fmt, strict=False, time_unit="ns")
    eastern = naive.dt.replace_time_zone(ET_ZONE, ambiguous="earliest", non_existent="null")
    return eastern.dt.convert_time_zone("UTC")


def parse_timestamp_text(text: pl.Expr, layouts: tuple[str, ...] = LAYOUTS) -> pl.Expr:
    """ISO-8601 (or epoch) text → ``Datetime(ns, UTC)``; values without offset are ET.

    ``layouts`` limits the layouts tried (see ``detect_layouts``); every layout tried costs a
    parse of the whole column, so a file's own layout makes reading several times faster.
    """
    t = text.str.strip_chars()
    parsed = [_layout(t, layout).cast(UTC_TS) for layout in layouts]
    return parsed[0] if len(parsed) == 1 else pl.coalesce(parsed)


def detect_layouts(sample: pl.Series) -> tuple[str, ...]:
    """The fewest layouts (in ``LAYOUTS`` order) that parse every parseable value of ``sample``
    (text from a file's first rows). Values no layout parses are left to be rejected."""
    values = sample.cast(pl.String).str.strip_chars().drop_nulls()
    values = values.filter(values != "")
    if values.is_empty():
        return LAYOUTS
    frame = pl.DataFrame({"t": values})
    parsed = frame.select(
        [
            _layout(pl.col("t"), layout).is_not_null().alias(str(i))
            for i, layout in enumerate(LAYOUTS)
        ]
    )
    uncovered = pl.Series([True] * len(values))
    chosen: list[str] = []
    for i, layout in enumerate(LAYOUTS):
        hits = parsed[str(i)] & uncovered
        if hits.any():
            chosen.append(layout)
            uncovered = uncovered & ~parsed[str(i)]
        if not uncovered.any():
            break
    return tuple(chosen) or LAYOUTS


def to_utc(expr: pl.Expr, dtype: pl.DataType, layouts: tuple[str, ...] = LAYOUTS) -> pl.Expr:
    """Any column read from a file (text, naive or aware datetime, integer epoch) → UTC ns."""
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone is None:
            local = expr.cast(pl.Datetime("ns")).dt.replace_time_zone(
                ET_ZONE, ambiguous="earliest", non_existent="null"
            )
            return local.dt.convert_time_zone("UTC")
        return expr.dt.convert_time_zone("UTC").cast(UTC_TS)
    if isinstance(dtype, pl.Date):
        return (
            expr.cast(pl.Datetime("ns")).dt.replace_time_zone(ET_ZONE).dt.convert_time_zone("UTC")
        )
    if dtype.is_integer():
        return _epoch(expr.cast(pl.String))
    return parse_timestamp_text(expr.cast(pl.String), layouts)


def parse_date_text(text: pl.Expr) -> pl.Expr:
    """Date text in the accepted layouts (ISO first, then ``YYYYMMDD`` and ``MM/DD/YYYY``) → Date.

    A timestamp-looking value keeps only its date part (``2026-04-08 00:00:00+00:00`` → 2026-04-08),
    which is how tz-aware daily bars from yfinance carry their date.
    """
    t = text.str.strip_chars().str.replace(r"^(\d{4}-\d{2}-\d{2})[T ].*$", "${1}")
    return pl.coalesce([t.str.to_date(f, strict=False) for f in _DATE_FORMATS])


def to_date(expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """Any column read from a file → Date."""
    if isinstance(dtype, pl.Date):
        return expr
    if isinstance(dtype, pl.Datetime):
        # The calendar date as stored, in the column's own zone: a daily bar stamped at midnight
        # UTC (a yfinance index saved to Parquet) is that day, as its text form would be.
        return expr.dt.date()
    return parse_date_text(expr.cast(pl.String))


def session_of(ts_utc: pl.Expr) -> pl.Expr:
    """The ET calendar date (trading session) of a UTC timestamp."""
    return ts_utc.dt.convert_time_zone(ET_ZONE).dt.date()
