"""Cboe DataShop option products (FORMATS.md §1, §2): trades, end-of-day summaries and quote
intervals.

``datashop-trades`` (``UnderlyingOptionsTrades_*`` and ``…TradesCalcs_*``) → option prints.
Rows are ragged (17 + 5·N fields, 19 + 5·N with Calcs: the per-exchange quote groups), so the
body is read positionally and only the fixed columns are kept. ``quote_datetime`` is ET wall
time (ms); ``^VIX`` → ``VIX``; NBBO from ``best_bid``/``best_ask`` (a 0 x 0 NBBO is no quote:
null bid/ask); underlying price = mid of ``underlying_bid``/``underlying_ask``;
``trade_condition_id`` is kept as text in ``conditions`` and a trade with
``canceled_trade_condition_id`` ≠ 0 gets ``CANC`` in front of it;
``exchange_id`` → ``exchange``; Calcs ``trade_iv``/``trade_delta`` → ``iv``/``delta`` (0 = not
computed → null); ``trade_id`` = the stable key ``quote_datetime|sequence_number|root|
expiration|strike|option_type|exchange_id`` (FORMATS §1: the file has no trade id).

``datashop-eod`` (``UnderlyingOptionsEODQuotes_*``, 26 columns, and ``…EODCalcs_*``, 34) → chain
snapshot at 15:45 ET of ``quote_date``: ``*_1545`` NBBO, IV and greeks; spot =
``active_underlying_price_1545`` (Calcs) else the mid of ``underlying_bid/ask_1545``; volume =
``trade_volume``; OI = ``open_interest``. EODQuotes has no IV: its rows carry a null IV.

``datashop-intervals`` (``UnderlyingOptionsIntervals_*sec_oi`` / ``…_calcs_oi``) → one chain
snapshot per ``quote_datetime`` (interval end, ET). The variants without ``open_interest`` (plain
17 columns, ``_calcs`` 25) cannot be chains and are not claimed: they show as "header matches no
known kind".

Greeks of a row without IV are null (DataShop writes 0.0000 when it could not compute them).
The OHLC columns (0 = nothing traded) have no canonical chain column and are not read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import polars as pl

from ..schema import Kind
from ..validate import LINE
from . import VendorFormat, register
from ._util import (
    clean_symbol,
    col,
    first_content_line,
    head_lines,
    header_names,
    mid,
    number,
    read_head,
    scan_positional,
    text,
)

TRADES_NAME = "datashop-trades"
EOD_NAME = "datashop-eod"
INTERVALS_NAME = "datashop-intervals"

_TRADES_FIXED: Final = (
    "underlying_symbol",
    "quote_datetime",
    "sequence_number",
    "root",
    "expiration",
    "strike",
    "option_type",
    "exchange_id",
    "trade_size",
    "trade_price",
    "trade_condition_id",
    "canceled_trade_condition_id",
    "best_bid",
    "best_ask",
)
_TRADES_PLAIN: Final = ("underlying_bid", "underlying_ask", "number_of_exchanges")
_TRADES_CALCS: Final = ("trade_iv", "trade_delta", *_TRADES_PLAIN)
_KEY: Final = (
    "quote_datetime",
    "sequence_number",
    "root",
    "expiration",
    "strike",
    "option_type",
    "exchange_id",
)
_CONTRACT: Final = ("underlying_symbol", "root", "expiration", "strike", "option_type")
_CHAIN_COLUMNS: Final = (
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
)


def _header(head: bytes) -> tuple[int, list[str]] | None:
    lines = head_lines(head, 8)
    first = first_content_line(lines)
    if first is None:
        return None
    return first, header_names(lines[first])


# --------------------------------------------------------------------------------------------
# Trades


def _trades_layout(names: list[str]) -> tuple[str, ...] | None:
    """The fixed columns of a trades header (plain or Calcs), or None."""
    fixed = len(_TRADES_FIXED)
    if tuple(names[:fixed]) != _TRADES_FIXED:
        return None
    for tail in (_TRADES_PLAIN, _TRADES_CALCS):
        if tuple(names[fixed : fixed + len(tail)]) == tail:
            return (*_TRADES_FIXED, *tail)
    return None


def sniff_trades(path: Path, head: bytes) -> bool:
    found = _header(head)
    return found is not None and _trades_layout(found[1]) is not None


def scan_trades(path: Path) -> pl.LazyFrame:
    found = _header(read_head(path))
    layout = _trades_layout(found[1]) if found is not None else None
    if found is None or layout is None:
        raise ValueError("not a DataShop option trades header")
    at = {name: i for i, name in enumerate(layout)}

    def raw(name: str) -> pl.Expr:
        # Passed through as read: the validator strips and parses text itself.
        return col(at[name])

    # Blank lines come out all-null and the validator drops them.
    body = scan_positional(path, len(layout), found[0] + 1)
    canceled = number(raw("canceled_trade_condition_id")).fill_null(0) != 0
    condition = raw("trade_condition_id")
    conditions = (
        pl.when(canceled)
        .then(pl.concat_str(pl.lit("CANC"), condition, separator=",", ignore_nulls=True))
        .otherwise(condition)
    )
    # A 0 x 0 NBBO (the opening trade before any quote) is no quote, not a zero-priced one.
    no_quote = ((number(raw("best_bid")) == 0) & (number(raw("best_ask")) == 0)).fill_null(False)
    exprs = [
        pl.col(LINE),
        raw("quote_datetime").alias("ts"),
        clean_symbol(raw("underlying_symbol")).alias("underlying"),
        raw("root").alias("root"),
        raw("expiration").alias("expiry"),
        raw("strike").alias("strike"),
        raw("option_type").alias("right"),
        raw("trade_price").alias("price"),
        raw("trade_size").alias("size"),
        pl.when(~no_quote).then(raw("best_bid")).alias("bid"),
        pl.when(~no_quote).then(raw("best_ask")).alias("ask"),
        raw("exchange_id").alias("exchange"),
        conditions.alias("conditions"),
        mid(number(raw("underlying_bid")), number(raw("underlying_ask"))).alias("underlying_price"),
        pl.concat_str([text(raw(k)) for k in _KEY], separator="|").alias("trade_id"),
    ]
    if "trade_iv" in at:
        computed = number(raw("trade_iv")) != 0
        exprs += [
            pl.when(computed).then(raw("trade_iv")).alias("iv"),
            pl.when(computed).then(raw("trade_delta")).alias("delta"),
        ]
    return body.select(exprs)


# --------------------------------------------------------------------------------------------
# End-of-day summaries and quote intervals (chains)


def _eod_header(names: list[str]) -> bool:
    return names[:6] == ["underlying_symbol", "quote_date", *_CONTRACT[1:]] and {
        "bid_1545",
        "ask_1545",
        "underlying_bid_1545",
        "open_interest",
    } <= set(names)


def _intervals_header(names: list[str]) -> bool:
    return (
        names[:6] == ["underlying_symbol", "quote_datetime", *_CONTRACT[1:]]
        and {"bid", "ask", "underlying_bid", "underlying_ask", "open_interest"} <= set(names)
        and "sequence_number" not in names
    )


def sniff_eod(path: Path, head: bytes) -> bool:
    found = _header(head)
    return found is not None and _eod_header(found[1])


def sniff_intervals(path: Path, head: bytes) -> bool:
    found = _header(head)
    return found is not None and _intervals_header(found[1])


def _chain(path: Path, eod: bool) -> pl.LazyFrame:
    found = _header(read_head(path))
    if found is None or not (_eod_header(found[1]) if eod else _intervals_header(found[1])):
        raise ValueError("not a DataShop " + ("end-of-day" if eod else "intervals") + " header")
    header_row, names = found
    at = {name: i for i, name in enumerate(names)}
    suffix = "_1545" if eod else ""

    def raw(name: str) -> pl.Expr:
        return col(at[name]) if name in at else pl.lit(None, pl.String)

    # A blank line gives an all-null row (even as_of), which the validator drops.
    body = scan_positional(path, len(names), header_row + 1)
    as_of = (
        pl.concat_str(text(raw("quote_date")), pl.lit(" 15:45:00"))
        if eod
        else raw("quote_datetime")
    )
    active = number(raw("active_underlying_price" + suffix))
    spot = (
        pl.when(active > 0)
        .then(active)
        .otherwise(
            mid(number(raw("underlying_bid" + suffix)), number(raw("underlying_ask" + suffix)))
        )
    )
    iv = raw("implied_volatility" + suffix)
    computed = number(iv) > 0
    return body.select(
        pl.col(LINE),
        as_of.alias("as_of"),
        clean_symbol(raw("underlying_symbol")).alias("underlying"),
        spot.alias("spot"),
        raw("root").alias("root"),
        raw("expiration").alias("expiry"),
        raw("strike").alias("strike"),
        raw("option_type").alias("right"),
        raw("open_interest").alias("open_interest"),
        iv.alias("iv"),
        pl.when(computed).then(raw("gamma" + suffix)).alias("gamma"),
        pl.when(computed).then(raw("delta" + suffix)).alias("delta"),
        raw("bid" + suffix).alias("bid"),
        raw("ask" + suffix).alias("ask"),
        raw("trade_volume").alias("volume"),
    )


def scan_eod(path: Path) -> pl.LazyFrame:
    return _chain(path, eod=True)


def scan_intervals(path: Path) -> pl.LazyFrame:
    return _chain(path, eod=False)


TRADES = register(
    VendorFormat(
        name=TRADES_NAME,
        title="Cboe DataShop option trades",
        kind=Kind.OPTION_PRINTS,
        suffixes=frozenset({".csv"}),
        sniff=sniff_trades,
        scan=scan_trades,
        columns=(
            "ts",
            "underlying",
            "expiry",
            "strike",
            "right",
            "price",
            "size",
            "bid",
            "ask",
            "root",
            "exchange",
            "conditions",
            "underlying_price",
            "iv",
            "delta",
            "trade_id",
        ),
    )
)
EOD = register(
    VendorFormat(
        name=EOD_NAME,
        title="Cboe DataShop end-of-day option summary",
        kind=Kind.CHAIN,
        suffixes=frozenset({".csv"}),
        sniff=sniff_eod,
        scan=scan_eod,
        columns=_CHAIN_COLUMNS,
    )
)
INTERVALS = register(
    VendorFormat(
        name=INTERVALS_NAME,
        title="Cboe DataShop option quote intervals (with OI)",
        kind=Kind.CHAIN,
        suffixes=frozenset({".csv"}),
        sniff=sniff_intervals,
        scan=scan_intervals,
        columns=_CHAIN_COLUMNS,
    )
)
