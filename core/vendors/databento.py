"""Databento DBN files (FORMATS.md §7), read with the ``databento-dbn`` package.

Recognised by content: the DBN magic (``DBN`` + version) or a zstd frame whose decompressed
start is DBN metadata, so ``x.dbn`` and ``x.dbn.zst`` (suffix ``.zst``) both sniff. The metadata
names the dataset and schema, which pick the format:

* ``databento-dbn`` → option prints: ``OPRA.*`` files of schema ``trades``, ``tbbo`` or ``tcbbo``.
  ``ts`` = ``ts_event`` (``ts_recv`` when undefined); price and the BBO × 1e-9 with
  ``UNDEF_PRICE`` → empty; bid/ask from ``tbbo``'s level 0, which is the consolidated BBO
  *before* the trade (``trades`` files have none); exchange = the publisher's venue (``EMLD`` …);
  vendor_side from the aggressor side (B → ``ask``, A → ``bid``; OPRA always sends N → empty).
  The contract comes from a ``definition`` file of the same dataset in the same folder
  (``raw_symbol`` padded OSI → root, ``underlying``, ``expiration``, ``strike_price``,
  ``instrument_class``); otherwise from the metadata's symbol mappings, parsed as OSI. A print
  whose instrument resolves to neither is rejected ("… no symbol for instrument_id N").
  Open interest comes from a ``statistics`` file of the same dataset in the same folder
  (``stat_type`` 9, one record per venue, de-duplicated by (instrument_id, ts_event); the
  latest value stamped before the print).
* ``databento-dbn-equities`` → off-exchange prints: ``trades``/``tbbo`` of any other dataset
  (EQUS, XNAS, XNYS, …), keeping only records published by a FINRA trade-reporting facility
  (venues FINN, FINC, FINY): prints from an exchange are not off-exchange prints and are skipped.
  A consolidated feed that does not tell venues apart (``EQUS.MINI``) therefore yields none.
* ``databento-dbn-reference`` → ``definition`` and ``statistics`` files: reference data read
  together with the prints beside them, with no prints of their own; the catalog lists them as
  not used, saying so.

``_line`` is the record number (1-based, metadata excluded). DBN flags are feed-processing bits
(LAST, TOB, …), not sale conditions, so ``conditions`` stays empty.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Final

import databento_dbn as dbn
import polars as pl

from ..schema import Kind
from . import HEAD_BYTES, VendorFormat, register
from ._text import LINE, REASON, flagged, osi, underlying_of_root

SUFFIXES: Final = frozenset({".dbn", ".zst"})
DBN_MAGIC: Final = b"DBN"
ZSTD_MAGIC: Final = b"\x28\xb5\x2f\xfd"
#: How far a sniffer reads when the metadata does not fit in the head (huge symbol mappings).
SNIFF_LIMIT: Final = 4 * 1024 * 1024
CHUNK: Final = 8 * 1024 * 1024

PRINT_SCHEMAS: Final = frozenset({"trades", "tbbo", "tcbbo"})
REFERENCE_SCHEMAS: Final = frozenset({"definition", "statistics"})
#: Venues of FINRA's trade-reporting facilities (off-exchange prints).
TRF_VENUES: Final = frozenset({"FINN", "FINC", "FINY"})
UNDEF_PRICE: Final = dbn.UNDEF_PRICE
UNDEF_TIMESTAMP: Final = dbn.UNDEF_TIMESTAMP
PRICE_SCALE: Final = 1e9
OPEN_INTEREST: Final = 9

_PRINT_TYPES: Final = (dbn.TradeMsg, dbn.MBP1Msg, dbn.CMBP1Msg)
_BOOK_TYPES: Final = (dbn.MBP1Msg, dbn.CMBP1Msg)


# ------------------------------------------------------------------------------------------
# Metadata and sniffing


@dataclass(frozen=True, slots=True)
class Header:
    """What the DBN metadata says about a file."""

    dataset: str
    schema: str | None
    metadata: dbn.Metadata


def _decoder(first: bytes) -> dbn.DBNDecoder | None:
    if first.startswith(DBN_MAGIC):
        return dbn.DBNDecoder()
    if first.startswith(ZSTD_MAGIC):
        return dbn.DBNDecoder(compression=dbn.Compression("zstd"))
    return None


def _header_of(meta: dbn.Metadata) -> Header:
    schema = meta.schema
    return Header(str(meta.dataset), None if schema is None else str(schema), meta)


def read_header(path: Path, head: bytes) -> Header | None:
    """The DBN metadata at the top of ``path`` (``head`` = its first bytes), or None when the
    file is not DBN. Reads on past the head (up to ``SNIFF_LIMIT``) only when the metadata is
    longer than the head. The three DBN formats sniff the same head: it is decoded once."""
    if not head.startswith((DBN_MAGIC, ZSTD_MAGIC)):
        return None
    return _read_header(path, head)


@lru_cache(maxsize=8)
def _read_header(path: Path, head: bytes) -> Header | None:
    decoder = _decoder(head)
    if decoder is None:
        return None
    try:
        out = decoder.write_and_decode(head)
        if not out and len(head) >= HEAD_BYTES:
            with path.open("rb") as fh:
                fh.seek(len(head))
                read = len(head)
                while not out and read < SNIFF_LIMIT:
                    chunk = fh.read(HEAD_BYTES)
                    if not chunk:
                        break
                    read += len(chunk)
                    out = decoder.write_and_decode(chunk)
    except Exception:  # not DBN after all (a zstd file of something else, or corrupt)
        return None
    if not out or not isinstance(out[0], dbn.Metadata):
        return None
    return _header_of(out[0])


def _is_opra(header: Header) -> bool:
    return header.dataset.upper().startswith("OPRA")


def sniff_options(path: Path, head: bytes) -> bool:
    header = read_header(path, head)
    return header is not None and _is_opra(header) and header.schema in PRINT_SCHEMAS


def sniff_equities(path: Path, head: bytes) -> bool:
    header = read_header(path, head)
    return (
        header is not None and not _is_opra(header) and header.schema in PRINT_SCHEMAS - {"tcbbo"}
    )


def sniff_reference(path: Path, head: bytes) -> bool:
    header = read_header(path, head)
    return header is not None and header.schema in REFERENCE_SCHEMAS


# ------------------------------------------------------------------------------------------
# Decoding


def _records(path: Path) -> Iterator[tuple[int, list[dbn.DBNRecord]]]:
    """``(number of the first record, records)`` chunk by chunk (metadata left out)."""
    with path.open("rb") as fh:
        first = fh.read(CHUNK)
        decoder = _decoder(first)
        if decoder is None:
            raise ValueError("not a DBN file")
        number = 1
        chunk = first
        while chunk:
            out: list[dbn.DBNRecord] = [
                r for r in decoder.write_and_decode(chunk) if not isinstance(r, dbn.Metadata)
            ]
            if out:
                yield number, out
                number += len(out)
            chunk = fh.read(CHUNK)


def _read_metadata(path: Path) -> Header:
    with path.open("rb") as fh:
        head = fh.read(HEAD_BYTES)
    header = read_header(path, head)
    if header is None:
        raise ValueError("no DBN metadata")
    return header


def _u(offset: int, size: int, dtype: pl.DataType) -> pl.Expr:
    return pl.col("_b").bin.slice(offset, size).bin.reinterpret(dtype=dtype, endianness="little")


#: Fixed DBN layout shared by TradeMsg, MBP1Msg and CMBP1Msg (16-byte header, then the body).
_LAYOUT: Final = {
    "publisher_id": (2, 2, pl.UInt16()),
    "instrument_id": (4, 4, pl.UInt32()),
    "ts_event": (8, 8, pl.UInt64()),
    "price": (16, 8, pl.Int64()),
    "size": (24, 4, pl.UInt32()),
    "side": (29, 1, pl.UInt8()),
    "ts_recv": (32, 8, pl.UInt64()),
}
_BOOK_LAYOUT: Final = {
    "bid_px_00": (48, 8, pl.Int64()),
    "ask_px_00": (56, 8, pl.Int64()),
}
_SCHEMA: Final = pl.Schema(
    {
        LINE: pl.Int64(),
        **{k: v[2] for k, v in (_LAYOUT | _BOOK_LAYOUT).items()},
    }
)


def _attribute(record: object, name: str) -> int:
    value = getattr(record, name)
    if name == "side":
        return ord(str(value)[0])
    return int(value)


def _by_attribute(lines: list[int], records: Sequence[dbn.DBNRecord], book: bool) -> pl.DataFrame:
    names = list(_LAYOUT) + (list(_BOOK_LAYOUT) if book else [])
    data = {n: [_attribute(r, n) for r in records] for n in names}
    return pl.DataFrame({LINE: lines, **data}, schema={n: _SCHEMA[n] for n in [LINE, *names]})


def _by_layout(lines: list[int], records: Sequence[dbn.DBNRecord], book: bool) -> pl.DataFrame:
    layout = _LAYOUT | (_BOOK_LAYOUT if book else {})
    frame = pl.DataFrame(
        [
            pl.Series(LINE, lines, pl.Int64()),
            pl.Series("_b", [bytes(r) for r in records], pl.Binary()),
        ]
    )
    return frame.select(pl.col(LINE), *[_u(o, s, t).alias(n) for n, (o, s, t) in layout.items()])


@cache
def _layout_holds(kind: type) -> bool:
    """True when the fixed layout reads a record of ``kind`` exactly as its attributes do (checked
    once per record type on a synthetic record, so a changed layout falls back to attributes)."""
    levels: dict[str, object] = {}
    if kind is dbn.MBP1Msg:
        levels = {
            "levels": dbn.BidAskPair(
                bid_px=11, ask_px=22, bid_sz=33, ask_sz=44, bid_ct=1, ask_ct=2
            ),
            "depth": 0,
        }
    elif kind is dbn.CMBP1Msg:
        levels = {
            "levels": dbn.ConsolidatedBidAskPair(
                bid_px=11, ask_px=22, bid_sz=33, ask_sz=44, bid_pb=5, ask_pb=6
            ),
            "rtype": dbn.RType.TCBBO,
        }
    else:
        levels = {"depth": 0}
    try:
        record = kind(
            publisher_id=23,
            instrument_id=16783963,
            ts_event=1740061800817657088,
            price=240000000,
            size=7,
            action=dbn.Action("T"),
            side=dbn.Side("A"),
            ts_recv=1740061800817866523,
            **levels,
        )
    except Exception:
        return False
    book = kind in _BOOK_TYPES
    return _by_layout([1], [record], book).equals(_by_attribute([1], [record], book))


def _prints(path: Path) -> pl.DataFrame:
    """Every trade record of the file as raw integer columns plus ``_line``."""
    frames: list[pl.DataFrame] = []
    for first, records in _records(path):
        groups: dict[type, tuple[list[int], list[dbn.DBNRecord]]] = {}
        for i, record in enumerate(records):
            if isinstance(record, _PRINT_TYPES):
                lines, kept = groups.setdefault(type(record), ([], []))
                lines.append(first + i)
                kept.append(record)
        for kind, (lines, kept) in groups.items():
            book = kind in _BOOK_TYPES
            read = _by_layout if _layout_holds(kind) else _by_attribute
            frames.append(read(lines, kept, book))
    if not frames:
        return pl.DataFrame(schema=_SCHEMA)
    out = pl.concat(frames, how="diagonal_relaxed")
    missing = [pl.lit(None, _SCHEMA[n]).alias(n) for n in _BOOK_LAYOUT if n not in out.columns]
    return out.with_columns(missing).select(_SCHEMA.names()).sort(LINE)


@cache
def publisher_venues() -> dict[int, str]:
    """Databento publisher id → venue (``23`` → ``EMLD``), from the names ``databento-dbn``
    itself prints for each id, so new publishers arrive with the package."""
    out: dict[int, str] = {}
    pattern = re.compile(r"publisher_id=([A-Z0-9]+)\.([A-Z0-9]+)\.([A-Z0-9]+) \((\d+)\)")
    for pid in range(1, 512):
        probe = dbn.TradeMsg(
            publisher_id=pid,
            instrument_id=0,
            ts_event=0,
            price=0,
            size=0,
            action=dbn.Action("T"),
            side=dbn.Side("N"),
            depth=0,
            ts_recv=0,
        )
        found = pattern.search(repr(probe))
        if found is not None:
            out[pid] = found.group(3)
    return out


# ------------------------------------------------------------------------------------------
# Symbols, definitions, open interest


def _mappings(meta: dbn.Metadata) -> pl.DataFrame:
    """instrument_id, first and last (exclusive) UTC date, symbol from the metadata mappings."""
    rows: list[tuple[int, object, object, str]] = []
    for key, intervals in meta.mappings.items():
        for interval in intervals:
            value = str(interval["symbol"])
            if value.isdigit() and not key.isdigit():
                rows.append((int(value), interval["start_date"], interval["end_date"], key))
            elif key.isdigit() and value and not value.isdigit():
                rows.append((int(key), interval["start_date"], interval["end_date"], value))
    return pl.DataFrame(
        rows,
        schema={
            "instrument_id": pl.UInt32(),
            "d0": pl.Date(),
            "d1": pl.Date(),
            "symbol": pl.String(),
        },
        orient="row",
    )


def _symbols(prints: pl.DataFrame, meta: dbn.Metadata) -> pl.DataFrame:
    """``_line`` → the symbol the metadata maps the print's instrument to on its UTC date."""
    maps = _mappings(meta)
    day = pl.col("_ts").dt.date()
    joined = (
        prints.select(LINE, "instrument_id", "_ts")
        .join(maps, on="instrument_id", how="left")
        .with_columns(((day >= pl.col("d0")) & (day < pl.col("d1"))).fill_null(False).alias("_ok"))
        .sort([LINE, "_ok"], descending=[False, True])
        .unique(subset=[LINE], keep="first", maintain_order=True)
    )
    return joined.select(LINE, pl.when(pl.col("_ok")).then(pl.col("symbol")).alias("symbol"))


def _same_dataset(path: Path, dataset: str, schemas: Collection[str]) -> list[tuple[Path, Header]]:
    """Other DBN files of ``dataset`` in ``path``'s folder whose schema is one of ``schemas``."""
    out: list[tuple[Path, Header]] = []
    try:
        entries = sorted(path.parent.iterdir(), key=lambda p: p.name)
    except OSError:
        return out
    for entry in entries:
        if entry == path or entry.name.startswith(".") or entry.suffix.lower() not in SUFFIXES:
            continue
        try:
            with entry.open("rb") as fh:
                head = fh.read(HEAD_BYTES)
        except OSError:
            continue
        header = read_header(entry, head)
        if header is not None and header.dataset == dataset and header.schema in schemas:
            out.append((entry, header))
    return out


def _request(header: Header) -> tuple[object, ...]:
    meta = header.metadata
    return (meta.start, meta.end, str(meta.stype_in), sorted(meta.symbols))


def duplicated_by(path: Path, header: Header) -> Path | None:
    """The ``tbbo``/``tcbbo`` file beside a ``trades`` file that holds the same prints (same
    dataset, symbols and time range: the same request in another schema), if any."""
    if header.schema != "trades":
        return None
    for other, other_header in _same_dataset(path, header.dataset, ("tbbo", "tcbbo")):
        if _request(other_header) == _request(header):
            return other
    return None


def _files(path: Path, header: Header, schema: str) -> list[Path]:
    return [p for p, _ in _same_dataset(path, header.dataset, (schema,))]


def companions(path: Path) -> list[Path]:
    """The DBN files a prints file is read with (definitions, statistics, and the tbbo file that
    makes a trades file redundant): its result depends on them."""
    header = _read_metadata(path)
    schemas = ("definition", "statistics", "tbbo", "tcbbo")
    return [p for p, _ in _same_dataset(path, header.dataset, schemas)]


def _definitions(files: Sequence[Path], wanted: set[int]) -> pl.DataFrame:
    """The latest definition of each wanted instrument in ``files``."""
    rows: list[tuple[int, int, str, str, int, int, str]] = []
    for file in files:
        for _, records in _records(file):
            for r in records:
                if isinstance(r, dbn.InstrumentDefMsg) and r.instrument_id in wanted:
                    rows.append(
                        (
                            r.instrument_id,
                            r.ts_recv,
                            r.raw_symbol,
                            r.underlying,
                            r.expiration,
                            r.strike_price,
                            str(r.instrument_class),
                        )
                    )
    frame = pl.DataFrame(
        rows,
        schema={
            "instrument_id": pl.UInt32(),
            "_recv": pl.UInt64(),
            "raw_symbol": pl.String(),
            "def_underlying": pl.String(),
            "expiration": pl.UInt64(),
            "strike_price": pl.Int64(),
            "instrument_class": pl.String(),
        },
        orient="row",
    )
    return frame.sort("_recv").unique(subset=["instrument_id"], keep="last").drop("_recv")


def _open_interest(files: Sequence[Path], wanted: set[int]) -> pl.DataFrame:
    """Open-interest statistics of the wanted instruments: one per (instrument_id, ts_event)."""
    rows: list[tuple[int, int, int]] = []
    for file in files:
        for _, records in _records(file):
            for r in records:
                if (
                    isinstance(r, dbn.StatMsg)
                    and r.instrument_id in wanted
                    and int(r.stat_type) == OPEN_INTEREST
                    and r.quantity != dbn.UNDEF_STAT_QUANTITY
                ):
                    rows.append((r.instrument_id, r.ts_event, r.quantity))
    frame = pl.DataFrame(
        rows,
        schema={"instrument_id": pl.UInt32(), "_oi_ts": pl.UInt64(), "open_interest": pl.Int64()},
        orient="row",
    )
    return frame.unique(subset=["instrument_id", "_oi_ts"], keep="first").sort("_oi_ts")


# ------------------------------------------------------------------------------------------
# Scans


def _timestamp(column: str) -> pl.Expr:
    raw = pl.col(column)
    return (
        pl.when(raw != UNDEF_TIMESTAMP)
        .then(raw.cast(pl.Int64, strict=False))
        .cast(pl.Datetime("ns"))
        .dt.replace_time_zone("UTC")
    )


def _scaled(fixed: pl.Expr) -> pl.Expr:
    """A 1e-9 fixed-point integer in dollars, rounded to its 9 decimals (so 240000000 is 0.24,
    not 0.24000000000000002)."""
    return (fixed.cast(pl.Float64) / PRICE_SCALE).round(9)


def _price(column: str) -> pl.Expr:
    raw = pl.col(column)
    return pl.when(raw != UNDEF_PRICE).then(_scaled(raw))


def _base(path: Path) -> tuple[Header, pl.DataFrame]:
    header = _read_metadata(path)
    prints = _prints(path).with_columns(
        pl.coalesce(_timestamp("ts_event"), _timestamp("ts_recv")).alias("_ts")
    )
    return header, prints


def _venue() -> pl.Expr:
    venues = publisher_venues()
    return (
        pl.col("publisher_id")
        .cast(pl.Int64)
        .replace_strict(venues, default=None, return_dtype=pl.String)
        .fill_null(pl.col("publisher_id").cast(pl.String))
    )


def _side() -> pl.Expr:
    return pl.col("side").replace_strict(
        {ord("B"): "ask", ord("A"): "bid"}, default=None, return_dtype=pl.String
    )


def scan_options(path: Path) -> pl.LazyFrame:
    header, prints = _base(path)
    wanted = set(prints.get_column("instrument_id").unique().to_list())
    definitions = _definitions(_files(path, header, "definition"), wanted)
    frame = prints.join(_symbols(prints, header.metadata), on=LINE, how="left").join(
        definitions, on="instrument_id", how="left"
    )
    stats = _open_interest(_files(path, header, "statistics"), wanted)
    if stats.height:
        frame = (
            frame.with_columns(pl.col("ts_event").alias("_t"))
            .sort("_t")
            .join_asof(
                stats,
                left_on="_t",
                right_on="_oi_ts",
                by="instrument_id",
                strategy="backward",
                check_sortedness=False,
            )
            .sort(LINE)
        )
    else:
        frame = frame.with_columns(pl.lit(None, pl.Int64).alias("open_interest"))

    has_def = pl.col("raw_symbol").is_not_null()
    from_osi = osi(pl.coalesce(pl.col("raw_symbol"), pl.col("symbol")))
    duplicate = duplicated_by(path, header)
    if duplicate is not None:
        unresolved = pl.lit(f"same prints as {duplicate.name}")
    else:
        unresolved = pl.when(pl.col("raw_symbol").is_null() & pl.col("symbol").is_null()).then(
            pl.format("no symbol for instrument_id {}", pl.col("instrument_id"))
        )
    expiration = (
        pl.when(pl.col("expiration") != UNDEF_TIMESTAMP)
        .then(pl.col("expiration").cast(pl.Int64, strict=False))
        .cast(pl.Datetime("ns"))
        .dt.date()
        .cast(pl.String)
    )
    out = frame.select(
        pl.col(LINE),
        unresolved.alias(REASON),
        pl.col("_ts").alias("ts"),
        pl.when(has_def & (pl.col("def_underlying") != ""))
        .then(pl.col("def_underlying"))
        .otherwise(underlying_of_root(from_osi.root))
        .alias("underlying"),
        flagged(pl.when(has_def).then(expiration).otherwise(from_osi.expiry), unresolved).alias(
            "expiry"
        ),
        pl.when(has_def)
        .then(_scaled(pl.col("strike_price")))
        .otherwise(from_osi.strike)
        .alias("strike"),
        pl.when(has_def).then(pl.col("instrument_class")).otherwise(from_osi.right).alias("right"),
        from_osi.root.alias("root"),
        _price("price").alias("price"),
        pl.col("size").cast(pl.Int64),
        _price("bid_px_00").alias("bid"),
        _price("ask_px_00").alias("ask"),
        _venue().alias("exchange"),
        pl.col("open_interest"),
        _side().alias("vendor_side"),
    )
    return out.lazy()


def scan_equities(path: Path) -> pl.LazyFrame:
    header, prints = _base(path)
    venues = publisher_venues()
    trf = [pid for pid, venue in venues.items() if venue in TRF_VENUES]
    prints = prints.filter(pl.col("publisher_id").cast(pl.Int64).is_in(trf))
    wanted = set(prints.get_column("instrument_id").unique().to_list())
    definitions = _definitions(_files(path, header, "definition"), wanted)
    frame = prints.join(_symbols(prints, header.metadata), on=LINE, how="left").join(
        definitions, on="instrument_id", how="left"
    )
    symbol = pl.coalesce(pl.col("raw_symbol"), pl.col("symbol"))
    out = frame.select(
        pl.col(LINE),
        pl.col("_ts").alias("ts"),
        symbol.alias("symbol"),
        _price("price").alias("price"),
        pl.col("size").cast(pl.Float64),
        _price("bid_px_00").alias("bid"),
        _price("ask_px_00").alias("ask"),
        _venue().alias("venue"),
    )
    return out.lazy()


def scan_reference(path: Path) -> pl.LazyFrame:
    """Definition and statistics files hold no prints: no rows (read with their prints)."""
    _read_metadata(path)
    return pl.LazyFrame(schema={LINE: pl.Int64(), "ts": pl.Datetime("ns", "UTC")})


register(
    VendorFormat(
        name="databento-dbn",
        title="Databento DBN OPRA trades/tbbo (options)",
        kind=Kind.OPTION_PRINTS,
        suffixes=SUFFIXES,
        sniff=sniff_options,
        scan=scan_options,
        companions=companions,
        columns=(
            "ts",
            "underlying",
            "expiry",
            "strike",
            "right",
            "root",
            "price",
            "size",
            "bid",
            "ask",
            "exchange",
            "open_interest",
            "vendor_side",
        ),
    )
)
register(
    VendorFormat(
        name="databento-dbn-equities",
        title="Databento DBN equity trades/tbbo (off-exchange TRF prints only)",
        kind=Kind.OFFEX_PRINTS,
        suffixes=SUFFIXES,
        sniff=sniff_equities,
        scan=scan_equities,
        companions=companions,
        columns=("ts", "symbol", "price", "size", "bid", "ask", "venue"),
    )
)
register(
    VendorFormat(
        name="databento-dbn-reference",
        title="Databento DBN definition/statistics (reference data for the prints beside it; "
        "no prints of its own)",
        kind=Kind.OPTION_PRINTS,
        suffixes=SUFFIXES,
        sniff=sniff_reference,
        scan=scan_reference,
        columns=("ts",),
        ignore="Databento definition/statistics: read with the trades/tbbo file beside it",
    )
)
