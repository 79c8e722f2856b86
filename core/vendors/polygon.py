"""Polygon.io / Massive flat files (FORMATS.md §6): option and stock trades and quotes.

Recognised by their exact header (a set of column names no canonical file uses):

* ``polygon-option-trades`` → option prints. Tickers are ``O:`` + unpadded OSI, parsed into
  root, expiry, right and strike; the underlying is the root (``SPXW`` → SPX, ``AAPL1`` → AAPL).
  The trades carry no NBBO: bid/ask come from every ``polygon-option-quotes`` file in the same
  folder, matched per ticker by an as-of join on ``sip_timestamp`` to the last quote stamped
  *strictly before* the trade (FORMATS §18.6). The quotes are scanned lazily and cut to the
  traded tickers before they are sorted and joined. With no quotes file bid/ask stay empty.
* ``polygon-stock-trades`` → off-exchange prints: only rows with ``exchange == 4`` or a
  ``trf_id`` (lit-exchange prints are not off-exchange prints and are skipped, not rejected).
  The venue is the facility (``trf_id`` 201 FINY, 202 FINN, 203 FINC, 62 OOTC; ``FINRA`` when the
  id is missing). The NBBO comes from ``polygon-stock-quotes`` siblings the same way.
* ``polygon-option-quotes`` / ``polygon-stock-quotes`` → quotes (``key`` = OSI or ticker), so
  they are recognised rather than listed as unknown.

``ts`` is ``sip_timestamp`` (integer ns since the epoch, UTC), the clock the quotes share.
Condition ids are Polygon's own numbers: option ids become OPRA codes (201 → CANC, 232 → MLET,
…) and stock ids the SIP sale-condition letters the analytics test for (12 → T, 2 → W, …); an
id without a code is kept as ``#<id>`` so it can never be mistaken for a letter code. A
``correction`` other than 0 adds ``CANC``. Files may be ``.csv`` or gzip ``.csv.gz``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

import polars as pl

from ..schema import Kind
from . import HEAD_BYTES, VendorFormat, register
from ._text import (
    EXTRA,
    LINE,
    RAGGED,
    REASON,
    content_lines,
    flagged,
    header_fields,
    join_codes,
    osi,
    scan_text_csv,
    siblings,
    text_head,
    underlying_of_root,
)

SUFFIXES: Final = frozenset({".csv", ".gz"})

OPTION_TRADES: Final = ("ticker", "conditions", "correction", "exchange", "price")
OPTION_TRADES_HEADER: Final = (*OPTION_TRADES, "sip_timestamp", "size")
OPTION_QUOTES_HEADER: Final = (
    "ticker",
    "ask_exchange",
    "ask_price",
    "ask_size",
    "bid_exchange",
    "bid_price",
    "bid_size",
    "sequence_number",
    "sip_timestamp",
)
STOCK_TRADES_HEADER: Final = (
    "ticker",
    "conditions",
    "correction",
    "exchange",
    "id",
    "participant_timestamp",
    "price",
    "sequence_number",
    "sip_timestamp",
    "size",
    "tape",
    "trf_id",
    "trf_timestamp",
)
STOCK_QUOTES_HEADER: Final = (
    "ticker",
    "ask_exchange",
    "ask_price",
    "ask_size",
    "bid_exchange",
    "bid_price",
    "bid_size",
    "conditions",
    "indicators",
    "participant_timestamp",
    "sequence_number",
    "sip_timestamp",
    "tape",
    "trf_timestamp",
)

#: Polygon's OPRA participant ids → MIC (Polygon reference "exchanges", asset class options).
OPTION_EXCHANGES: Final[Mapping[str, str]] = {
    "300": "AMXO",
    "301": "XBOX",
    "302": "XCBO",
    "303": "EMLD",
    "304": "EDGO",
    "307": "GMNI",
    "308": "XISX",
    "309": "MCRY",
    "312": "XMIO",
    "313": "ARCO",
    "314": "OPRA",
    "315": "MPRL",
    "316": "XNDQ",
    "319": "XBXO",
    "322": "C2OX",
    "323": "XPHL",
    "325": "BATO",
}

#: Polygon option trade condition ids → OPRA condition codes.
OPTION_CONDITIONS: Final[Mapping[str, str]] = {
    "201": "CANC",
    "202": "OSEQ",
    "203": "CNCL",
    "204": "LATE",
    "205": "CNCO",
    "206": "OPEN",
    "207": "CNOL",
    "208": "OPNL",
    "209": "AUTO",
    "210": "REOP",
    "219": "ISOI",
    "227": "SLAN",
    "228": "SLAI",
    "229": "SLCN",
    "230": "SLCI",
    "231": "SLFT",
    "232": "MLET",
    "233": "MLAT",
    "234": "MLCT",
    "235": "MLFT",
    "236": "MESL",
    "237": "TLAT",
    "238": "MASL",
    "239": "MFSL",
    "240": "TLET",
    "241": "TLCT",
    "242": "TLFT",
    "243": "TESL",
    "244": "TASL",
    "245": "TFSL",
    "246": "CBMO",
    "247": "MCTP",
    "248": "EXHT",
}

#: Polygon stock trade condition ids → SIP (CTA/UTP) sale-condition letters, for the ids whose
#: letter is the same on both plans.
STOCK_CONDITIONS: Final[Mapping[str, str]] = {
    "0": "@",
    "1": "A",
    "2": "W",
    "4": "B",
    "7": "C",
    "9": "X",
    "10": "4",
    "12": "T",
    "13": "U",
    "14": "F",
    "15": "M",
    "16": "Q",
    "17": "O",
    "20": "N",
    "21": "H",
    "22": "P",
    "29": "R",
    "30": "L",
    "32": "Z",
    "37": "I",
    "52": "V",
    "53": "7",
}

#: ``trf_id`` → the facility's MIC.
TRF_VENUES: Final[Mapping[str, str]] = {
    "201": "FINY",
    "202": "FINN",
    "203": "FINC",
    "62": "OOTC",
}
#: Polygon's stock exchange id for every FINRA facility (TRFs and the ADF).
FINRA_EXCHANGE: Final = "4"


# ------------------------------------------------------------------------------------------
# Sniffing


def _matches(path: Path, head: bytes, header: Sequence[str], option_tickers: bool) -> bool:
    lines = content_lines(text_head(path, head), 3)
    if not lines or set(header_fields(lines[0])) != set(header):
        return False
    if len(lines) < 2:
        return True
    # A complete data row (the head may cut the last line short) must hold the right tickers.
    first = header_fields(lines[1])[header_fields(lines[0]).index("ticker")]
    return first.startswith("O:") == option_tickers


def sniff_option_trades(path: Path, head: bytes) -> bool:
    return _matches(path, head, OPTION_TRADES_HEADER, option_tickers=True)


def sniff_option_quotes(path: Path, head: bytes) -> bool:
    return _matches(path, head, OPTION_QUOTES_HEADER, option_tickers=True)


def sniff_stock_trades(path: Path, head: bytes) -> bool:
    return _matches(path, head, STOCK_TRADES_HEADER, option_tickers=False)


def sniff_stock_quotes(path: Path, head: bytes) -> bool:
    return _matches(path, head, STOCK_QUOTES_HEADER, option_tickers=False)


# ------------------------------------------------------------------------------------------
# Reading


def _header(path: Path) -> list[str]:
    with path.open("rb") as fh:
        head = fh.read(HEAD_BYTES)
    lines = content_lines(text_head(path, head), 1)
    if not lines:
        raise ValueError("no header line")
    return header_fields(lines[0])


def _raw(path: Path) -> pl.LazyFrame:
    """The file as text columns, ``_line`` (Int64) and ``_reason`` for ragged rows."""
    lf = scan_text_csv(path, _header(path))
    return lf.with_columns(pl.when(pl.col(EXTRA).is_not_null()).then(pl.lit(RAGGED)).alias(REASON))


def _nanos(column: str) -> pl.Expr:
    return pl.col(column).str.strip_chars().cast(pl.Int64, strict=False)


def _codes(column: str, table: Mapping[str, str]) -> pl.Expr:
    """A comma list of Polygon condition ids as codes (unknown ids as ``#<id>``)."""
    ids = (
        pl.col(column)
        .str.replace_all(r"[\[\]\s]", "")
        .str.split(",")
        .list.eval(pl.element().filter(pl.element() != ""))
    )
    coded = ids.list.eval(
        pl.when(pl.element().is_in(list(table)))
        .then(pl.element().replace(dict(table)))
        .otherwise(pl.lit("#") + pl.element())
    )
    joined = coded.list.join(",")
    return pl.when(joined == "").then(None).otherwise(joined)


def _cancelled() -> pl.Expr:
    corr = pl.col("correction").str.strip_chars()
    return pl.when(corr.is_not_null() & ~corr.is_in(["", "0"])).then(pl.lit("CANC"))


def _quotes(paths: Sequence[Path], key: pl.Expr) -> pl.LazyFrame:
    """Every quotes file as (key, _qt ns, bid, ask). Read typed (twice as fast as text); a value
    that does not parse becomes null, and a quote without key or time is left out."""
    typed = {"sip_timestamp": pl.Int64(), "bid_price": pl.Float64(), "ask_price": pl.Float64()}
    frames = [
        pl.scan_csv(
            p,
            infer_schema=False,
            schema_overrides=typed,
            ignore_errors=True,
            truncate_ragged_lines=True,
            encoding="utf8-lossy",
            glob=False,
        ).select(
            key.alias("_key"),
            pl.col("sip_timestamp").alias("_qt"),
            pl.col("bid_price").alias("bid"),
            pl.col("ask_price").alias("ask"),
        )
        for p in paths
    ]
    return pl.concat(frames).filter(pl.col("_qt").is_not_null() & pl.col("_key").is_not_null())


def with_nbbo(trades: pl.LazyFrame, quotes: Sequence[Path], key: pl.Expr) -> pl.LazyFrame:
    """``trades`` (with ``_key`` and ``_t`` ns) given the bid/ask of the last quote of its key
    stamped strictly before it; bid/ask null where there is none (or no quotes at all).

    The traded keys are collected first (a small list): the quotes are cut to them with a plain
    ``is_in`` filter while they are read, and both sides are joined on a small integer per key
    rather than on the key text."""
    nulls = [pl.lit(None, pl.Float64).alias("bid"), pl.lit(None, pl.Float64).alias("ask")]
    if not quotes:
        return trades.with_columns(nulls)
    traded = trades.select(pl.col("_key").drop_nulls().unique()).collect().to_series().to_list()
    ids = {k: i for i, k in enumerate(sorted(traded))}
    q = (
        _quotes(quotes, key)
        .filter(pl.col("_key").is_in(list(ids)))
        .select(
            pl.col("_key").replace_strict(ids, return_dtype=pl.UInt32).alias("_kid"),
            "_qt",
            "bid",
            "ask",
        )
        .sort("_qt")
    )
    kid = pl.col("_key").replace_strict(ids, default=None, return_dtype=pl.UInt32).alias("_kid")
    timed = trades.filter(pl.col("_t").is_not_null()).with_columns(kid).sort("_t")
    joined = timed.join_asof(
        q,
        left_on="_t",
        right_on="_qt",
        by="_kid",
        strategy="backward",
        allow_exact_matches=False,
        check_sortedness=False,
    ).drop("_qt", "_kid")
    untimed = trades.filter(pl.col("_t").is_null()).with_columns(nulls)
    return pl.concat([joined, untimed], how="vertical_relaxed").sort(LINE)


def option_trade_companions(path: Path) -> list[Path]:
    """The option quotes files an option trades file is read with (its result depends on them)."""
    return siblings(path, sniff_option_quotes)


def stock_trade_companions(path: Path) -> list[Path]:
    """The stock quotes files a stock trades file is read with (its result depends on them)."""
    return siblings(path, sniff_stock_quotes)


def scan_option_trades(path: Path) -> pl.LazyFrame:
    raw = _raw(path)
    parts = osi(pl.col("ticker"))
    trades = raw.select(
        pl.col(LINE),
        pl.col(REASON),
        pl.col("ticker").str.strip_chars().alias("_key"),
        _nanos("sip_timestamp").alias("_t"),
        pl.col("sip_timestamp").alias("ts"),
        underlying_of_root(parts.root).alias("underlying"),
        parts.expiry.alias("expiry"),
        parts.strike.alias("strike"),
        parts.right.alias("right"),
        parts.root.alias("root"),
        flagged(pl.col("price"), pl.col(REASON)).alias("price"),
        pl.col("size"),
        pl.col("exchange").str.strip_chars().replace(dict(OPTION_EXCHANGES)).alias("exchange"),
        join_codes([_cancelled(), _codes("conditions", OPTION_CONDITIONS)]).alias("conditions"),
    )
    quotes = option_trade_companions(path)
    return with_nbbo(trades, quotes, pl.col("ticker").str.strip_chars()).drop("_key", "_t")


def _offexchange() -> pl.Expr:
    trf = pl.col("trf_id").str.strip_chars()
    return (pl.col("exchange").str.strip_chars() == FINRA_EXCHANGE) | (
        trf.is_not_null() & (trf != "")
    )


def scan_stock_trades(path: Path) -> pl.LazyFrame:
    raw = _raw(path).filter(_offexchange().fill_null(False) | pl.col(REASON).is_not_null())
    trf = pl.col("trf_id").str.strip_chars()
    venue = (
        pl.when(trf.is_in(list(TRF_VENUES)))
        .then(trf.replace(dict(TRF_VENUES)))
        .when(trf.is_not_null() & (trf != ""))
        .then(pl.lit("TRF ") + trf)
        .otherwise(pl.lit("FINRA"))
    )
    trades = raw.select(
        pl.col(LINE),
        pl.col(REASON),
        pl.col("ticker").str.strip_chars().alias("_key"),
        _nanos("sip_timestamp").alias("_t"),
        pl.col("sip_timestamp").alias("ts"),
        pl.col("ticker").alias("symbol"),
        flagged(pl.col("price"), pl.col(REASON)).alias("price"),
        pl.col("size"),
        venue.alias("venue"),
        join_codes([_cancelled(), _codes("conditions", STOCK_CONDITIONS)]).alias("conditions"),
        pl.col("id").alias("trade_id"),
    )
    quotes = stock_trade_companions(path)
    return with_nbbo(trades, quotes, pl.col("ticker").str.strip_chars()).drop("_key", "_t")


def _scan_quotes(path: Path, key: pl.Expr) -> pl.LazyFrame:
    return _raw(path).select(
        pl.col(LINE),
        pl.col(REASON),
        flagged(pl.col("sip_timestamp"), pl.col(REASON)).alias("ts"),
        key.alias("key"),
        pl.col("bid_price").alias("bid"),
        pl.col("ask_price").alias("ask"),
        pl.col("bid_size"),
        pl.col("ask_size"),
    )


def scan_option_quotes(path: Path) -> pl.LazyFrame:
    return _scan_quotes(path, pl.col("ticker").str.strip_chars().str.strip_prefix("O:"))


def scan_stock_quotes(path: Path) -> pl.LazyFrame:
    return _scan_quotes(path, pl.col("ticker").str.strip_chars())


OPTION_COLUMNS: Final = (
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
    "conditions",
)
OFFEX_COLUMNS: Final = ("ts", "symbol", "price", "size", "bid", "ask", "venue", "conditions")
QUOTE_COLUMNS: Final = ("ts", "key", "bid", "ask", "bid_size", "ask_size")

register(
    VendorFormat(
        name="polygon-option-trades",
        title="Polygon/Massive option trades flat file (NBBO from the quotes file beside it)",
        kind=Kind.OPTION_PRINTS,
        suffixes=SUFFIXES,
        sniff=sniff_option_trades,
        scan=scan_option_trades,
        companions=option_trade_companions,
        columns=OPTION_COLUMNS,
    )
)
register(
    VendorFormat(
        name="polygon-option-quotes",
        title="Polygon/Massive option quotes flat file",
        kind=Kind.QUOTES,
        suffixes=SUFFIXES,
        sniff=sniff_option_quotes,
        scan=scan_option_quotes,
        columns=QUOTE_COLUMNS,
    )
)
register(
    VendorFormat(
        name="polygon-stock-trades",
        title="Polygon/Massive stock trades flat file (off-exchange prints only)",
        kind=Kind.OFFEX_PRINTS,
        suffixes=SUFFIXES,
        sniff=sniff_stock_trades,
        scan=scan_stock_trades,
        companions=stock_trade_companions,
        columns=(*OFFEX_COLUMNS, "trade_id"),
    )
)
register(
    VendorFormat(
        name="polygon-stock-quotes",
        title="Polygon/Massive stock quotes flat file",
        kind=Kind.QUOTES,
        suffixes=SUFFIXES,
        sniff=sniff_stock_quotes,
        scan=scan_stock_quotes,
        columns=QUOTE_COLUMNS,
    )
)
