"""Cboe delayed-quotes ``quotedata.csv`` chain download (FORMATS.md §4) → chain snapshot.

Layout: a preamble (name and ``Last:`` spot; a ``Date:`` line with the snapshot time in EST/EDT;
a blank or comma-padded first line), then ``Expiration Date,Calls,…,Strike,Puts,…`` with one
line per (expiry, strike): the call block left of ``Strike``, the put block right of it. Header
names repeat between the blocks, so the body is read positionally and the blocks are located
from the header (22 columns with Delta/Gamma, or the older 18 without them). Each line becomes
one call row and one put row; the root is the OSI prefix of the block's symbol (``SPX`` and
``SPXW`` stay apart); IV 0 means "no IV" (null).

Sniff: a line among the first ten that starts ``Expiration Date`` and holds ``Calls``, ``Strike``
and ``Puts``.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Final

import polars as pl

from ..schema import Kind
from ..validate import LINE
from . import VendorFormat, register
from ._util import (
    blank_row,
    col,
    head_lines,
    header_names,
    osi_root,
    read_head,
    scan_positional,
    split_line,
    stamp,
    text,
    underlying_of,
    zero_to_null,
)

NAME = "cboe-quotedata"

_MONTHS: Final = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}

_ZONE = r"(?P<zone>EST|EDT|ET|CST|CDT|CT|UTC|GMT)?"
_CLOCK = (
    r"(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?"
    r"\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?\s*" + _ZONE
)
#: ``February 5 2022, 8:09 PM EST``, ``January 9, 2022, 3:11 AM EST``,
#: ``August 20, 2023 at 10:42 PM EDT``, ``Feb 25 2019 @ 11:13 ET``.
_WORDY_DATE: Final = re.compile(
    r"(?P<month>[A-Za-z]{3,9})\.?\s+(?P<day>\d{1,2}),?\s+(?P<year>\d{4})"
    r"\s*(?:,|\bat\b|@)?\s*" + _CLOCK
)
#: ``2022-02-05 20:09 EST`` or ``02/05/2022 8:09 PM`` (hand-edited or re-saved files).
_NUMERIC_DATE: Final = re.compile(
    r"(?:(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})"
    r"|(?P<month2>\d{1,2})/(?P<day2>\d{1,2})/(?P<year2>\d{4}))[ T,]*" + _CLOCK
)
_LAST: Final = re.compile(r"^last\s*:?\s*(?P<value>[-+]?[\d,]*\.?\d+)", re.IGNORECASE)
_NUMBER: Final = re.compile(r"^[-+]?[\d,]*\.?\d+$")
_TICKER: Final = re.compile(r"^(?P<ticker>[\^$_]?[A-Za-z0-9.]{1,10})\s*\(")

#: Names of the fields inside a call or put block (normalised header → canonical column).
_BLOCK: Final = {
    "calls": "symbol",
    "puts": "symbol",
    "bid": "bid",
    "ask": "ask",
    "volume": "volume",
    "vol": "volume",
    "iv": "iv",
    "implied_volatility": "iv",
    "delta": "delta",
    "gamma": "gamma",
    "open_interest": "open_interest",
    "open_int": "open_interest",
    "oi": "open_interest",
}


def header_index(lines: list[str]) -> int | None:
    """Index of the ``Expiration Date,Calls,…,Strike,Puts,…`` line among the first ten."""
    for i, line in enumerate(lines[:10]):
        names = header_names(line)
        if (
            names
            and names[0] == "expiration_date"
            and {"calls", "strike", "puts"} <= set(names)
            and names.index("calls") < names.index("strike") < names.index("puts")
        ):
            return i
    return None


def sniff(path: Path, head: bytes) -> bool:
    return header_index(head_lines(head, 12)) is not None


def _clock(m: re.Match[str], year: int, month: int, day: int) -> str | None:
    hour, minute = int(m["hour"]), int(m["minute"])
    second = int(m["second"] or 0)
    ampm = (m["ampm"] or "").replace(".", "").upper()
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm == "PM" else 0)
    try:
        return stamp(datetime(year, month, day, hour, minute, second), m["zone"])
    except ValueError:
        return None


def snapshot_time(field: str) -> str | None:
    """ISO text (with the offset of the EST/EDT label, else ET) of a quotedata Date field."""
    for m in _WORDY_DATE.finditer(field):
        if m["month"].lower() in _MONTHS:
            return _clock(m, int(m["year"]), _MONTHS[m["month"].lower()], int(m["day"]))
    n = _NUMERIC_DATE.search(field)
    if n is not None:
        year = int(n["year"] or n["year2"])
        month = int(n["month"] or n["month2"])
        day = int(n["day"] or n["day2"])
        return _clock(n, year, month, day)
    return None


def _to_float(value: str) -> float | None:
    try:
        return float(value.replace(",", ""))
    except ValueError:
        return None


def preamble(lines: list[str]) -> tuple[float | None, str | None, str | None]:
    """``(spot, snapshot time, ticker)`` read from the lines above the header."""
    spot: float | None = None
    as_of: str | None = None
    ticker: str | None = None
    rows = [split_line(line) for line in lines]
    for fields in rows:
        for field in fields:
            m = _LAST.match(field)
            if spot is None and m is not None:
                spot = _to_float(m["value"])
            if as_of is None and (field.lower().startswith("date") or _WORDY_DATE.search(field)):
                as_of = snapshot_time(field)
    first = next((f for f in rows if any(f)), [])
    if first:
        m = _TICKER.match(first[0])
        if m is not None:
            ticker = m["ticker"].lstrip("^$_").upper()
            # Older layout: ``SPX (S&P 500 INDEX),<spot>,<change>``.
            if spot is None and len(first) > 1 and _NUMBER.match(first[1]):
                spot = _to_float(first[1])
    return spot, as_of, ticker


def _blocks(names: list[str]) -> tuple[int, dict[str, int], dict[str, int]]:
    strike = names.index("strike")
    calls: dict[str, int] = {}
    puts: dict[str, int] = {}
    for i, name in enumerate(names):
        canonical = _BLOCK.get(name)
        if canonical is None or i == 0:
            continue
        side = calls if i < strike else puts
        side.setdefault(canonical, i)
    return strike, calls, puts


def scan(path: Path) -> pl.LazyFrame:
    lines = head_lines(read_head(path), 12)
    h = header_index(lines)
    if h is None:
        raise ValueError("no 'Expiration Date,Calls,…,Strike,Puts' header in the first lines")
    spot, as_of, ticker = preamble(lines[:h])
    if spot is None:
        raise ValueError("quotedata preamble has no underlying price ('Last: …')")
    if as_of is None:
        raise ValueError("quotedata preamble has no snapshot time ('Date: …')")
    names = header_names(lines[h])
    strike, calls, puts = _blocks(names)
    body = scan_positional(path, len(names), h + 1).filter(~blank_row(len(names)))

    def side(block: dict[str, int], right: str) -> pl.LazyFrame:
        exprs = [
            pl.col(LINE),
            text(col(0)).alias("expiry"),
            text(col(strike)).alias("strike"),
            pl.lit(right).alias("right"),
        ]
        for canonical, i in block.items():
            if canonical == "symbol":
                exprs.append(osi_root(text(col(i))).alias("root"))
            elif canonical == "iv":
                exprs.append(zero_to_null(col(i)).alias("iv"))
            else:
                exprs.append(text(col(i)).alias(canonical))
        return body.select(exprs)

    rows = pl.concat([side(calls, "C"), side(puts, "P")], how="diagonal_relaxed")
    if "root" not in rows.collect_schema().names():
        rows = rows.with_columns(pl.lit(None, pl.String).alias("root"))
    if ticker is not None:
        underlying = pl.lit(ticker)
    else:
        underlying = underlying_of(pl.col("root")).drop_nulls().mode().sort().first()
    return rows.sort(LINE, "right").with_columns(
        underlying.alias("underlying"),
        pl.lit(as_of).alias("as_of"),
        pl.lit(spot).alias("spot"),
    )


FORMAT = register(
    VendorFormat(
        name=NAME,
        title="Cboe quotedata.csv chain",
        kind=Kind.CHAIN,
        suffixes=frozenset({".csv", ".txt"}),
        sniff=sniff,
        scan=scan,
        columns=(
            "as_of",
            "underlying",
            "spot",
            "expiry",
            "strike",
            "right",
            "open_interest",
            "iv",
            "root",
            "gamma",
            "delta",
            "bid",
            "ask",
            "volume",
        ),
    )
)
