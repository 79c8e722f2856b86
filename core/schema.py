"""Canonical data kinds of flowterm (FORMATS.md Part A.2): columns, dtypes and header aliases.

Every reader maps its input onto one of these kinds. A kind declares its required and optional
columns with their Polars dtypes, the header aliases accepted for each column (matched
case-insensitively after normalising spaces and punctuation to ``_``) and the file-name hints used
to break ties when a header fits more than one kind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

import polars as pl

ET_ZONE: Final = "America/New_York"
UTC_TS: Final = pl.Datetime("ns", "UTC")


class Kind(StrEnum):
    """The canonical data kinds a data folder can hold."""

    OPTION_PRINTS = "options"
    OFFEX_PRINTS = "darkpool"
    QUOTES = "quotes"
    CHAIN = "chain"
    SHORT_VOLUME = "short_volume"
    INTRADAY_BARS = "intraday"
    DAILY_BARS = "bars"
    MACRO = "macro"
    EVENTS = "events"
    SECTORS = "sectors"
    ZONES = "zones"
    INPUTS = "inputs"


#: Kinds that live inside a session folder (``DATA_DIR/YYYY-MM-DD/``).
SESSION_KINDS: Final = frozenset(
    {
        Kind.OPTION_PRINTS,
        Kind.OFFEX_PRINTS,
        Kind.QUOTES,
        Kind.CHAIN,
        Kind.SHORT_VOLUME,
        Kind.INTRADAY_BARS,
    }
)


@dataclass(frozen=True, slots=True)
class Column:
    """One canonical column: its name, dtype, whether it is required, and its header aliases."""

    name: str
    dtype: pl.DataType
    required: bool = True
    aliases: tuple[str, ...] = ()
    #: The column holds a timestamp (parsed to UTC ns) rather than a plain value.
    timestamp: bool = False
    #: A required column whose value may be empty in a row (an option print without a quote).
    nullable: bool = False


@dataclass(frozen=True, slots=True)
class KindSpec:
    """The contract of one kind: its columns and the file names it is usually found under."""

    kind: Kind
    title: str
    columns: tuple[Column, ...]
    #: File-name prefixes that hint at this kind (used only to break ties between headers).
    name_hints: tuple[str, ...]
    #: Columns derived on load, in order, with their dtypes.
    derived: tuple[tuple[str, pl.DataType], ...] = field(default=())

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def optional(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if not c.required)

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    def schema(self) -> pl.Schema:
        """The schema of a validated frame of this kind: every column plus the derived ones."""
        pairs: list[tuple[str, pl.DataType]] = [(c.name, c.dtype) for c in self.columns]
        pairs.extend(self.derived)
        return pl.Schema(pairs)


def normalise_header(name: str) -> str:
    """Lower-case a header and collapse spaces and punctuation to single underscores.

    ``"Adj Close"`` → ``adj_close``; ``"Open Int"`` → ``open_int``; ``"C/P"`` → ``c_p``.
    """
    return re.sub(r"[^0-9a-z]+", "_", name.strip().lower().lstrip("\ufeff")).strip("_")


def _c(
    name: str,
    dtype: pl.DataType,
    *aliases: str,
    required: bool = True,
    timestamp: bool = False,
    nullable: bool = False,
) -> Column:
    keys = tuple(normalise_header(a) for a in aliases)
    return Column(name, dtype, required, keys, timestamp, nullable)


F64 = pl.Float64()
I64 = pl.Int64()
STR = pl.String()
DATE = pl.Date()

_TS_ALIASES = ("timestamp", "time", "datetime", "date_time", "executed_at", "trade_time")
_BID = ("nbbo_bid", "best_bid", "bid_price", "bid_px")
_ASK = ("nbbo_ask", "best_ask", "ask_price", "ask_px", "offer")
_RIGHT = ("type", "option_type", "put_call", "call_put", "cp", "c/p", "p/c", "putcall", "callput")
_EXPIRY = ("expiration", "exp", "expiration_date", "expires", "exp_date", "expiry_date")

OPTION_PRINTS = KindSpec(
    Kind.OPTION_PRINTS,
    "option prints",
    (
        _c("ts", UTC_TS, *_TS_ALIASES, "quote_datetime", timestamp=True),
        _c("underlying", STR, "underlying_symbol", "ticker", "symbol", "root_symbol"),
        _c("expiry", DATE, *_EXPIRY),
        _c("strike", F64, "strike_price"),
        _c("right", STR, *_RIGHT),
        _c("price", F64, "trade_price", "fill_price", "last"),
        _c("size", I64, "trade_size", "qty", "quantity", "contracts"),
        _c("bid", F64, *_BID, nullable=True),
        _c("ask", F64, *_ASK, nullable=True),
        _c("root", STR, "option_root", "class", required=False),
        _c("multiplier", I64, "contract_multiplier", "mult", required=False),
        _c("exchange", STR, "exchange_id", "venue", required=False),
        _c("conditions", STR, "condition", "trade_condition", "trade_code", required=False),
        _c("underlying_price", F64, "spot", "stock_price", "underlying_last", required=False),
        _c("iv", F64, "implied_volatility", "trade_iv", required=False),
        _c("delta", F64, "trade_delta", required=False),
        _c("gamma", F64, required=False),
        _c("open_interest", I64, "oi", "open_int", required=False),
        _c("vendor_side", STR, "side", required=False),
        _c("trade_id", STR, "id", "tracking_id", required=False),
    ),
    ("options", "option", "opt", "flow"),
    (("premium", F64), ("osi", STR), ("session", DATE)),
)

OFFEX_PRINTS = KindSpec(
    Kind.OFFEX_PRINTS,
    "off-exchange prints",
    (
        _c("ts", UTC_TS, *_TS_ALIASES, timestamp=True),
        _c("symbol", STR, "ticker"),
        _c("price", F64, "trade_price"),
        _c("size", F64, "shares", "qty", "quantity", "trade_size"),
        _c("bid", F64, *_BID, nullable=True),
        _c("ask", F64, *_ASK, nullable=True),
        _c("venue", STR, "market_center", "exchange", "facility", required=False),
        _c("conditions", STR, "sale_conditions", "sale_cond_codes", "condition", required=False),
        _c("trade_id", STR, "id", "tracking_id", required=False),
    ),
    ("darkpool", "dark", "offex", "off_exchange", "dp", "trf"),
    (("notional", F64), ("session", DATE)),
)

QUOTES = KindSpec(
    Kind.QUOTES,
    "quotes (NBBO)",
    (
        _c("ts", UTC_TS, *_TS_ALIASES, "quote_time", timestamp=True),
        _c("key", STR, "contract", "osi", "option_symbol", "instrument"),
        _c("bid", F64, *_BID),
        _c("ask", F64, *_ASK),
        _c("bid_size", F64, "bid_sz", "bidsize", required=False),
        _c("ask_size", F64, "ask_sz", "asksize", required=False),
    ),
    ("quotes", "quote", "nbbo"),
    (("session", DATE),),
)

CHAIN = KindSpec(
    Kind.CHAIN,
    "chain snapshot",
    (
        _c("as_of", UTC_TS, "snapshot_ts", "snapshot_time", "quote_datetime", timestamp=True),
        _c("underlying", STR, "underlying_symbol", "ticker", "symbol"),
        _c("spot", F64, "underlying_price", "underlying_last", "stock_price"),
        _c("expiry", DATE, *_EXPIRY),
        _c("strike", F64, "strike_price"),
        _c("right", STR, *_RIGHT),
        _c("open_interest", I64, "oi", "open_int"),
        _c("iv", F64, "implied_volatility", nullable=True),
        _c("root", STR, "option_root", required=False),
        _c("gamma", F64, required=False),
        _c("delta", F64, required=False),
        _c("bid", F64, *_BID, required=False),
        _c("ask", F64, *_ASK, required=False),
        _c("volume", I64, "vol", "trade_volume", required=False),
    ),
    ("chain", "quotedata", "oi"),
    (("session", DATE),),
)

SHORT_VOLUME = KindSpec(
    Kind.SHORT_VOLUME,
    "short volume",
    (
        _c("date", DATE, "trade_date"),
        _c("symbol", STR, "ticker"),
        _c("short_volume", F64, "shortvolume"),
        _c("total_volume", F64, "totalvolume"),
        _c("short_exempt_volume", F64, "shortexemptvolume", required=False),
        _c("market", STR, "facility", required=False),
    ),
    ("shvol", "short", "cnms", "regsho"),
)

INTRADAY_BARS = KindSpec(
    Kind.INTRADAY_BARS,
    "intraday bars",
    (
        _c("ts", UTC_TS, *_TS_ALIASES, "bar_time", timestamp=True),
        _c("symbol", STR, "ticker"),
        _c("open", F64, "o"),
        _c("high", F64, "h"),
        _c("low", F64, "l"),
        _c("close", F64, "c", "last"),
        _c("volume", F64, "v", "vol", required=False),
    ),
    ("intraday", "minute", "bars_1m", "1min", "5min"),
    (("session", DATE),),
)

DAILY_BARS = KindSpec(
    Kind.DAILY_BARS,
    "daily bars",
    (
        _c("date", DATE, "day", "trade_date"),
        _c("symbol", STR, "ticker"),
        _c("open", F64, "o"),
        _c("high", F64, "h"),
        _c("low", F64, "l"),
        _c("close", F64, "c", "last"),
        _c("volume", F64, "v", "vol", required=False),
        _c("adj_close", F64, "adjclose", "adj_close", "adjusted_close", required=False),
    ),
    ("bars", "daily", "ohlc", "prices", "history"),
)

MACRO = KindSpec(
    Kind.MACRO,
    "macro",
    (
        _c("date", DATE),
        _c("series", STR, "name", "indicator"),
        _c("value", F64, "close", "level"),
    ),
    ("macro",),
)

EVENTS = KindSpec(
    Kind.EVENTS,
    "events",
    (
        _c("date", DATE),
        _c("name", STR, "event", "title"),
        _c("importance", STR, "impact", "priority", required=False),
    ),
    ("events", "calendar"),
)

SECTORS = KindSpec(
    Kind.SECTORS,
    "sectors",
    (
        _c("symbol", STR, "ticker"),
        _c("sector", STR, "gics_sector"),
    ),
    ("sectors", "sector"),
)

ZONES = KindSpec(
    Kind.ZONES,
    "zones",
    (
        _c("date", DATE),
        _c("symbol", STR, "ticker"),
        _c("low", F64, "floor", "zone_low"),
        _c("high", F64, "ceiling", "zone_high"),
        _c("mid", F64, "zone_mid", required=False),
    ),
    ("zones",),
)

INPUTS = KindSpec(
    Kind.INPUTS,
    "analyst inputs",
    (
        _c("date", DATE),
        _c("name", STR, "input"),
        _c("direction", I64, "dir", "vote"),
        _c("note", STR, "comment", required=False),
        _c("expires", DATE, "expiry", required=False),
    ),
    ("inputs",),
)

SPECS: Final[dict[Kind, KindSpec]] = {
    s.kind: s
    for s in (
        OPTION_PRINTS,
        OFFEX_PRINTS,
        QUOTES,
        CHAIN,
        SHORT_VOLUME,
        INTRADAY_BARS,
        DAILY_BARS,
        MACRO,
        EVENTS,
        SECTORS,
        ZONES,
        INPUTS,
    )
}


def spec(kind: Kind) -> KindSpec:
    """The contract of ``kind``."""
    return SPECS[kind]


def map_headers(kind: Kind, headers: list[str]) -> dict[str, str]:
    """Map a file's headers onto ``kind``'s canonical columns.

    Returns ``{original header: canonical name}`` for every header that matches a column name or
    alias. An exact canonical name wins over an alias, and each canonical column takes at most one
    header (the first in file order), so ``symbol`` and ``ticker`` in one file do not collide.
    """
    ks = SPECS[kind]
    normalised = [(h, normalise_header(h)) for h in headers]
    taken: dict[str, str] = {}
    for col in ks.columns:
        match = next((h for h, n in normalised if n == col.name), None)
        if match is None:
            match = next((h for h, n in normalised if n in col.aliases), None)
        if match is not None and match not in taken:
            taken[match] = col.name
    return taken
