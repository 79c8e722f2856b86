"""Helpers shared by the Databento, Polygon and Unusual Whales readers.

Sniffing helpers look only at the bytes a sniffer is given (``HEAD_BYTES``); the OSI helpers are
Polars expressions, so a file of millions of prints is parsed column-wise, never row by row.

Conventions the readers share: ``vendor_side`` is one of ``ask``, ``bid``, ``mid``, ``no_side``
(the print traded at or toward the ask, the bid, the mid, or the vendor could not say; an
aggressor side B → ask, A → bid); ``conditions`` is a comma list of upper-case codes (OPRA codes
such as CANC, MLET, SLAN for options; SIP sale-condition letters such as T, W, P for equities);
``exchange``/``venue`` is a MIC where the vendor gives one that can be mapped (XCBO, EMLD, FINN).
"""

from __future__ import annotations

import csv
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import polars as pl

from . import HEAD_BYTES

LINE: Final = "_line"

#: Optional column a scan may add: why the row is set aside (null for a usable row). Rows that
#: carry a reason also carry a value that fails canonical validation (so they are rejected with
#: their line today); once the readers honour this column (see the vendor-reader notes) the
#: reason is shown as written here.
REASON: Final = "_reason"

#: Roots of PM-settled / weekly index series whose underlying is the index itself.
ROOT_UNDERLYING: Final[Mapping[str, str]] = {
    "SPXW": "SPX",
    "SPXPM": "SPX",
    "NDXP": "NDX",
    "RUTW": "RUT",
    "VIXW": "VIX",
}

#: OSI option symbol, padded (``AAPL  250221C00250000``), unpadded (``SPXW260918P07600000``) or
#: with Polygon's ``O:`` prefix. Groups: root, yy, mm, dd, right, strike × 1000.
OSI_PATTERN: Final = r"^(?:O:)?([A-Z0-9.]{1,6}) *(\d{2})(\d{2})(\d{2})([CP])(\d{8})$"


# ------------------------------------------------------------------------------------------
# Sniffing


def head_text(head: bytes) -> str:
    """The head of a text file as text (undecodable bytes replaced, BOM dropped)."""
    return head.decode("utf-8", errors="replace").lstrip("\ufeff")


def gunzip_head(head: bytes) -> bytes:
    """As much of a gzip stream's content as ``head`` (its first bytes) decompresses to; empty
    when ``head`` is not gzip."""
    if not head.startswith(b"\x1f\x8b"):
        return b""
    try:
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, HEAD_BYTES)
    except zlib.error:
        return b""


def text_head(path: Path, head: bytes) -> str:
    """The text at the top of ``path``: ``head`` itself, or its decompressed start for ``.gz``."""
    if path.suffix.lower() == ".gz":
        return head_text(gunzip_head(head))
    return head_text(head)


def content_lines(text: str, limit: int = 8) -> list[str]:
    """Up to ``limit`` non-blank lines of ``text``, without line ends. When ``text`` is a head cut
    at ``HEAD_BYTES``, its last line may be incomplete."""
    out: list[str] = []
    for line in text.split("\n"):
        stripped = line.rstrip("\r")
        if stripped.strip():
            out.append(stripped)
            if len(out) >= limit:
                break
    return out


def header_fields(line: str, sep: str = ",") -> list[str]:
    """The fields of one header line, stripped."""
    return [f.strip() for f in next(csv.reader([line], delimiter=sep))]


def csv_header(path: Path, head: bytes) -> list[str] | None:
    """The comma-separated header (first non-blank line) at the top of ``path``, or None."""
    lines = content_lines(text_head(path, head), 1)
    return header_fields(lines[0]) if lines else None


def siblings(path: Path, accept: Callable[[Path, bytes], bool]) -> list[Path]:
    """Other visible files in ``path``'s folder whose head ``accept`` recognises, by name."""
    out: list[Path] = []
    try:
        entries = sorted(path.parent.iterdir(), key=lambda p: p.name)
    except OSError:
        return out
    for entry in entries:
        if entry == path or entry.name.startswith(".") or not entry.is_file():
            continue
        try:
            with entry.open("rb") as fh:
                head = fh.read(HEAD_BYTES)
            if accept(entry, head):
                out.append(entry)
        except Exception:  # an unreadable or odd sibling is simply not a sibling
            continue
    return out


# ------------------------------------------------------------------------------------------
# Values


@dataclass(frozen=True, slots=True)
class Osi:
    """The parts of an OSI symbol as Polars expressions (all String except ``strike``).

    ``expiry`` is ``YYYY-MM-DD`` text when the symbol parses; otherwise it carries the symbol
    itself, so the canonical validator rejects the row with "unparseable expiry '<symbol>'".
    """

    root: pl.Expr
    expiry: pl.Expr
    right: pl.Expr
    strike: pl.Expr


def osi(symbol: pl.Expr) -> Osi:
    """Split an OSI symbol column into root, expiry, right and strike."""
    s = symbol.cast(pl.String).str.strip_chars().str.to_uppercase()

    def group(i: int) -> pl.Expr:
        return s.str.extract(OSI_PATTERN, i)

    day = pl.concat_str(pl.lit("20"), group(2), pl.lit("-"), group(3), pl.lit("-"), group(4))
    return Osi(
        root=group(1).str.strip_chars(),
        expiry=pl.when(group(1).is_not_null()).then(day).otherwise(s),
        right=group(5),
        strike=group(6).cast(pl.Int64, strict=False) / 1000.0,
    )


def underlying_of_root(root: pl.Expr) -> pl.Expr:
    """The underlying an option root trades on: the index for weekly/PM index roots, the root
    without its trailing digits for adjusted series (``AAPL1`` → ``AAPL``), else the root."""
    mapped = root.replace(dict(ROOT_UNDERLYING))
    bare = mapped.str.replace(r"\d+$", "")
    return pl.when(bare == "").then(mapped).otherwise(bare)


def join_codes(parts: Iterable[pl.Expr]) -> pl.Expr:
    """Condition codes from several columns, joined with commas (null when none)."""
    joined = pl.concat_str(list(parts), separator=",", ignore_nulls=True)
    return pl.when(joined == "").then(None).otherwise(joined)


def text_value(value: object) -> str | None:
    """A JSON / Python literal value as the text a CSV would hold (None stays None)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(t for t in (text_value(v) for v in value) if t)
    return str(value)


def text_frame(
    rows: Sequence[tuple[int, Mapping[str, str | None]]], columns: Sequence[str]
) -> pl.DataFrame:
    """``(line, {column: text})`` rows as a frame of ``_line`` and String ``columns``."""
    data: dict[str, list[str | None]] = {c: [r.get(c) for _, r in rows] for c in columns}
    frame = pl.DataFrame(data, schema=dict.fromkeys(columns, pl.String()))
    return frame.with_columns(pl.Series(LINE, [n for n, _ in rows], pl.Int64)).select(
        LINE, *columns
    )


#: Column a text scan adds: non-null on a row with more fields than the header.
EXTRA: Final = "_extra"

#: Reason given to a row with more fields than its header.
RAGGED: Final = "row has more fields than the header"


def scan_text_csv(path: Path, header: Sequence[str]) -> pl.LazyFrame:
    """A CSV file (plain or gzip) with its header on line 1 as String columns named by
    ``header``, ``_line`` (the physical line; Int64) and ``_extra`` (set on rows with more fields
    than the header)."""
    schema = dict.fromkeys([*header, EXTRA], pl.String())
    return (
        pl.scan_csv(
            path,
            has_header=False,
            skip_rows=1,
            schema=schema,
            missing_columns="insert",
            truncate_ragged_lines=True,
            encoding="utf8-lossy",
            infer_schema=False,
            glob=False,
        )
        .with_row_index(LINE, offset=2)
        .with_columns(pl.col(LINE).cast(pl.Int64))
    )


def flagged(value: pl.Expr, reason: pl.Expr) -> pl.Expr:
    """``value`` unchanged: the row's own reject reason travels in the ``_reason`` column, which
    the readers turn into the reject message (kept so the scans read naturally)."""
    del reason
    return value
