"""Helpers shared by the Cboe-family and Barchart readers (FORMATS.md Part B §1-5, §12).

Sniffing helpers look only at the head bytes a sniffer is given; scanning helpers build the
LazyFrame a format hands to the validator: canonical column names, values as text or typed, and
``_line`` (the physical 1-based line of a text file, or the record number of a JSON file).
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Final
from zoneinfo import ZoneInfo

import polars as pl

from ..schema import ET_ZONE, normalise_header
from ..validate import LINE
from . import HEAD_BYTES

#: Column name of positional column ``i`` in ``scan_positional``.
POS = "c{}"

ET: Final = ZoneInfo(ET_ZONE)
CT: Final = ZoneInfo("America/Chicago")

#: Zone abbreviations met in vendor files, as fixed UTC offsets; ``ET``/``CT`` (no daylight flag)
#: are resolved with the zone's own rules.
_FIXED_OFFSETS: Final = {
    "EST": "-05:00",
    "EDT": "-04:00",
    "CST": "-06:00",
    "CDT": "-05:00",
    "UTC": "+00:00",
    "GMT": "+00:00",
    "Z": "+00:00",
}
_ZONES: Final = {"ET": ET, "CT": CT}

#: An option symbol in OSI form, padded (``SPY   251001P00500000``) or not
#: (``SPXW220207C02400000``): the last 15 characters are YYMMDD, C/P and the strike × 1000; the
#: root is everything before them (it may contain digits, ``SOYB1``).
OSI_PATTERN: Final = r"^\s*(.+?)\s*(\d{2})(\d{2})(\d{2})([CP])(\d{8})\s*$"
_OSI_RE: Final = re.compile(OSI_PATTERN)


# --------------------------------------------------------------------------------------------
# Sniffing


def head_text(head: bytes) -> str:
    """The head bytes as text (invalid UTF-8 replaced, a leading BOM dropped)."""
    return head.decode("utf-8", errors="replace").lstrip("\ufeff")


def head_lines(head: bytes, limit: int = 40) -> list[str]:
    """The first ``limit`` physical lines of the head (split on ``\\n``, ``\\r`` stripped)."""
    return [line.rstrip("\r") for line in head_text(head).split("\n", limit)[:limit]]


def split_line(line: str, separator: str = ",") -> list[str]:
    """One CSV line split into stripped fields (quotes honoured)."""
    try:
        fields = next(csv.reader([line], delimiter=separator), [])
    except csv.Error:
        fields = line.split(separator)
    return [f.strip() for f in fields]


def has_content(line: str) -> bool:
    """True when a line holds more than separators and blanks (Excel pads lines with commas)."""
    return bool(line.strip().strip(",;|\t").strip())


def first_content_line(lines: Sequence[str]) -> int | None:
    """Index of the first line with content."""
    return next((i for i, line in enumerate(lines) if has_content(line)), None)


def header_names(line: str) -> list[str]:
    """A header line's fields, normalised (``"Open Int"`` → ``open_int``)."""
    return [normalise_header(f) for f in split_line(line)]


def json_head(head: bytes) -> str | None:
    """The head of a JSON object document (leading blanks dropped), or None if it is not one."""
    text = head_text(head).lstrip()
    return text if text.startswith("{") else None


# --------------------------------------------------------------------------------------------
# Scanning text files


def read_head(path: Path, size: int = HEAD_BYTES) -> bytes:
    with path.open("rb") as fh:
        return fh.read(size)


def scan_positional(path: Path, ncols: int, skip_lines: int) -> pl.LazyFrame:
    """The lines after the first ``skip_lines`` as ``ncols`` text columns ``c0..`` plus ``_line``.

    Fields beyond ``ncols`` are dropped (ragged rows, repeating groups), missing ones are null.
    Blank lines stay as all-null rows, so ``_line`` is the physical line (unless a quoted field
    spans lines, which none of these formats does).
    """
    schema = {POS.format(i): pl.String() for i in range(ncols)}
    lf = pl.scan_csv(
        path,
        has_header=False,
        skip_lines=skip_lines,
        schema=schema,
        missing_columns="insert",
        extra_columns="ignore",
        truncate_ragged_lines=True,
        raise_if_empty=False,
        encoding="utf8-lossy",
        infer_schema=False,
        glob=False,
    )
    return lf.with_row_index(LINE, offset=skip_lines + 1).with_columns(pl.col(LINE).cast(pl.Int64))


def col(i: int) -> pl.Expr:
    """Positional column ``i`` of ``scan_positional``."""
    return pl.col(POS.format(i))


def blank_row(ncols: int) -> pl.Expr:
    """True for a row whose every positional field is empty (blank or comma-only line)."""
    return pl.all_horizontal([col(i).str.strip_chars().fill_null("").eq("") for i in range(ncols)])


def text(expr: pl.Expr) -> pl.Expr:
    """Stripped text, empty → null."""
    t = expr.cast(pl.String).str.strip_chars()
    return pl.when(t == "").then(None).otherwise(t)


def number(expr: pl.Expr) -> pl.Expr:
    """Plain numeric text → Float64, null where it is not a number (no thousands separators:
    values passed through to the validator get its fuller parsing)."""
    return expr.str.strip_chars().cast(pl.Float64, strict=False)


def mid(bid: pl.Expr, ask: pl.Expr) -> pl.Expr:
    """Mid of two prices; the one positive side when the other is missing or zero."""
    b = pl.when(bid > 0).then(bid)
    a = pl.when(ask > 0).then(ask)
    return pl.coalesce((b + a) / 2, b, a)


def zero_to_null(raw: pl.Expr) -> pl.Expr:
    """A text value that reads as 0 becomes null; other text (even garbage) is kept for the
    validator to judge."""
    return pl.when(number(raw) == 0).then(None).otherwise(raw)


def clean_symbol(expr: pl.Expr) -> pl.Expr:
    """An underlying symbol without index prefixes or suffixes: ``^SPX``/``$SPX.X``/``_SPX`` →
    ``SPX``."""
    return text(expr).str.to_uppercase().str.replace(r"^[\^$_]+", "").str.replace(r"\.X$", "")


def clean_symbol_text(value: object) -> str | None:
    """``clean_symbol`` for one Python value."""
    if not isinstance(value, str) or not value.strip():
        return None
    out = re.sub(r"^[\^$_]+", "", value.strip().upper())
    return re.sub(r"\.X$", "", out) or None


# --------------------------------------------------------------------------------------------
# OSI option symbols

#: Weekly / PM-settled roots whose underlying has another name.
PARENT_ROOTS: Final = {
    "SPXW": "SPX",
    "SPXPM": "SPX",
    "SPXQ": "SPX",
    "NDXP": "NDX",
    "NDXW": "NDX",
    "RUTW": "RUT",
    "VIXW": "VIX",
    "XSPW": "XSP",
    "DJXW": "DJX",
}


def underlying_of(root: pl.Expr) -> pl.Expr:
    """The underlying a root trades on: ``SPXW`` → ``SPX``; an adjusted ``AAPL1`` → ``AAPL``."""
    parent = root.replace(PARENT_ROOTS)
    return parent.str.replace(r"^(.*?[^0-9])[0-9]+$", "${1}")


def osi_root(symbol: pl.Expr) -> pl.Expr:
    """The root of an OSI symbol (null when the text is not OSI)."""
    return symbol.str.extract(OSI_PATTERN, 1)


def osi_columns(symbol: pl.Expr) -> list[pl.Expr]:
    """``root``, ``expiry`` (ISO text), ``right`` and ``strike`` parsed from OSI text.

    Text that is not OSI leaves root, right and strike null and puts the symbol itself in
    ``expiry``, so the validator reports it ("unparseable expiry 'XYZ'") rather than a bare
    "missing expiry".
    """
    groups = symbol.str.extract_groups(OSI_PATTERN)
    expiry = pl.concat_str(
        pl.lit("20"), groups.struct[1], pl.lit("-"), groups.struct[2], pl.lit("-"), groups.struct[3]
    )
    strike = groups.struct[5].cast(pl.Int64, strict=False) / 1000
    return [
        groups.struct[0].alias("root"),
        pl.coalesce(expiry, text(symbol)).alias("expiry"),
        groups.struct[4].alias("right"),
        strike.alias("strike"),
    ]


def parse_osi(symbol: str) -> tuple[str, str, str, float] | None:
    """``(root, expiry ISO, right, strike)`` of one OSI symbol, or None."""
    m = _OSI_RE.match(symbol)
    if m is None:
        return None
    root, yy, mm, dd, right, strike = m.groups()
    return root, f"20{yy}-{mm}-{dd}", right, int(strike) / 1000


# --------------------------------------------------------------------------------------------
# Times


def stamp(naive: datetime, zone: str | None) -> str:
    """ISO text of a wall-clock time read in ``zone`` (an abbreviation such as ``EST``/``CDT``,
    ``ET``/``CT``, or None for America/New_York), with an explicit UTC offset."""
    key = (zone or "ET").upper()
    base = naive.replace(tzinfo=None)
    if key in _FIXED_OFFSETS:
        return base.strftime("%Y-%m-%d %H:%M:%S") + _FIXED_OFFSETS[key]
    tz = _ZONES.get(key, ET)
    aware = base.replace(tzinfo=tz)
    return aware.isoformat(sep=" ", timespec="seconds")


def mtime_text(path: Path) -> str:
    """The file's modification time as ISO text in UTC (a last-resort snapshot time)."""
    return datetime.fromtimestamp(path.stat().st_mtime, UTC).isoformat(sep=" ", timespec="seconds")


def epoch_ms_text(value: object) -> str | None:
    """Epoch milliseconds (UTC) → ISO text with ``+00:00``; None for missing or ≤ 0."""
    ms = to_float(value)
    if ms is None or ms <= 0:
        return None
    try:
        return datetime.fromtimestamp(ms / 1000, UTC).isoformat(sep=" ", timespec="milliseconds")
    except (OverflowError, OSError, ValueError):
        return None


# --------------------------------------------------------------------------------------------
# JSON


def load_json(path: Path) -> object:
    """The parsed JSON document (raises ``ValueError`` on malformed or truncated JSON)."""
    raw = path.read_bytes()
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg} at line {exc.lineno})") from exc
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 JSON ({exc.reason})") from exc


def to_float(value: object) -> float | None:
    """A JSON number (or numeric text) as a finite float; None for null, NaN, ±inf, booleans and
    text that is not a number."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        out = float(value)
    elif isinstance(value, str):
        try:
            out = float(value.strip().replace(",", ""))
        except ValueError:
            return None
    else:
        return None
    return out if math.isfinite(out) else None


def as_text(value: object) -> str | None:
    """A JSON scalar as text (None stays None)."""
    if value is None or isinstance(value, dict | list):
        return None
    return str(value).strip() or None


def lazy_rows(
    columns: Mapping[str, list[object]], schema: Mapping[str, pl.DataType]
) -> pl.LazyFrame:
    """Column lists built in Python → LazyFrame with the given dtypes (``_line`` Int64)."""
    frame = pl.DataFrame(
        {name: columns.get(name, []) for name in schema},
        schema=dict(schema),
        strict=False,
    )
    return frame.lazy()
