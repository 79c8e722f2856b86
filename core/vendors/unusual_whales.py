"""Unusual Whales exports (FORMATS.md §10): stream captures, the bot EOD report, dark-pool JSON.

* ``uw-stream-capture`` → option prints. Lines ``local_time|channel|<record>`` where the record is
  a Python dict repr (single quotes, ``True``/``None``), parsed with ``ast.literal_eval`` (JSON is
  accepted too), never ``eval``. Recognised when the complete lines at the top all have that
  shape and one of them is on an ``option_trades`` channel. Only ``option_trades[:TICKER]`` lines
  are prints: lines of other channels (a multi-channel capture interleaves ``flow-alerts``,
  ``gex``, … by design), subscription acknowledgements (``{'status': 'ok', …}``), blank lines and
  ``# …`` comments are skipped, not rejected (``capture_summary`` counts them). A line that does
  not split into three fields or whose record does not parse is rejected with its line.
  ``executed_at`` (epoch ms, UTC) → ts; ``option_symbol`` (OSI) → root, and expiry/strike/right
  where the record lacks ``expiry``/``strike``/``option_type``; ``nbbo_bid``/``nbbo_ask`` → bid/ask;
  ``tags`` ``ask_side``/``bid_side``/``mid_side``/``no_side`` → vendor_side ask/bid/mid/no_side;
  ``trade_code`` and ``report_flags`` (upper-cased: SLAN, MLAT, SWEEP, …) and ``canceled`` → CANC
  → conditions; ``id`` → trade_id; ``implied_volatility`` → iv.
* ``uw-bot-eod`` → option prints: ``bot-eod-report-YYYY-MM-DD.csv``, recognised by its exact
  header. Postgres literals: ``executed_at`` ``2026-04-23 13:30:00+00``, ``report_flags``
  ``{sweep,floor}``, ``canceled`` ``t``/``f``; ``side`` → vendor_side; ``option_chain_id`` → root.
* ``uw-darkpool-json`` → off-exchange prints: a JSON list, or ``{"data": [...]}``, of dark-pool
  records (``executed_at`` ISO UTC, ``ticker``, ``price``/``nbbo_*`` strings, ``market_center`` →
  venue, ``tracking_id`` → trade_id). Sale conditions arrive as words
  (``prior_reference_price``, ``extended_hours_trade``) and become the SIP letters the dark-pool
  analysis tests for (P, T, …); ``canceled`` → CANC. ``_line`` is the record number.
"""

from __future__ import annotations

import ast
import json
import re
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import polars as pl

from ..schema import Kind
from . import HEAD_BYTES, VendorFormat, register
from ._text import (
    EXTRA,
    LINE,
    RAGGED,
    REASON,
    csv_header,
    flagged,
    head_text,
    join_codes,
    osi,
    scan_text_csv,
    text_frame,
    text_value,
)

CAPTURE_LINE: Final = re.compile(
    r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[+-]\d{2}:?\d{2}|Z)?"
    r"\|([A-Za-z0-9_.\-]+)(?::[^|]*)?\|\s*[{\[]"
)
OPTION_CHANNEL: Final = "option_trades"

BOT_EOD_HEADER: Final = (
    "executed_at",
    "underlying_symbol",
    "option_chain_id",
    "side",
    "strike",
    "option_type",
    "expiry",
    "underlying_price",
    "nbbo_bid",
    "nbbo_ask",
    "ewma_nbbo_bid",
    "ewma_nbbo_ask",
    "price",
    "size",
    "premium",
    "volume",
    "open_interest",
    "implied_volatility",
    "delta",
    "theta",
    "gamma",
    "vega",
    "rho",
    "theo",
    "sector",
    "exchange",
    "report_flags",
    "canceled",
    "upstream_condition_detail",
    "equity_type",
)

#: UW side tags → vendor_side.
SIDE_TAGS: Final[Mapping[str, str]] = {
    "ask_side": "ask",
    "bid_side": "bid",
    "mid_side": "mid",
    "no_side": "no_side",
}

#: UW sale-condition / settlement words → SIP sale-condition letters.
SALE_CONDITIONS: Final[Mapping[str, str]] = {
    "acquisition": "A",
    "average_price_trade": "W",
    "bunched_trade": "B",
    "cash_sale": "C",
    "cash": "C",
    "contingent_trade": "V",
    "cross_trade": "X",
    "derivatively_priced": "4",
    "distribution": "D",
    "extended_hours_trade": "T",
    "extended_hours_sold_out_of_sequence": "U",
    "intermarket_sweep": "F",
    "next_day": "N",
    "odd_lot_trade": "I",
    "prior_reference_price": "P",
    "qualified_contingent_trade": "7",
    "seller": "R",
    "sold_last": "L",
    "sold_out_of_sequence": "Z",
}

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
    "underlying_price",
    "iv",
    "delta",
    "gamma",
    "open_interest",
    "vendor_side",
    "trade_id",
)
OFFEX_COLUMNS: Final = (
    "ts",
    "symbol",
    "price",
    "size",
    "bid",
    "ask",
    "venue",
    "conditions",
    "trade_id",
)


def _truthy(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("t", "true", "1", "yes", "y")
    return bool(value)


def _words(value: object) -> list[str]:
    """A code list as words: a list, or text like ``{sweep,floor}`` or ``a, b``."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [w for v in value for w in _words(v)]
    text = str(value).strip()
    if text.isidentifier():  # the common single word
        return [text]
    text = text.strip("{}[]")
    return [w.strip().strip("'\"") for w in re.split(r"[,;|]", text) if w.strip().strip("'\"")]


# ------------------------------------------------------------------------------------------
# Stream capture


def _complete_lines(head: bytes) -> list[str]:
    """The lines of ``head`` known to be complete (the last one may be cut at ``HEAD_BYTES``)."""
    lines = head_text(head).split("\n")
    if len(head) >= HEAD_BYTES:
        lines = lines[:-1]
    return [line.rstrip("\r") for line in lines if line.strip()][:50]


def sniff_capture(path: Path, head: bytes) -> bool:
    """The first record line and most of the lines at the top have the capture shape, and one
    of them is on an ``option_trades`` channel (a malformed line further down is a reject, not a
    reason to disown the file)."""
    lines = [line for line in _complete_lines(head) if not line.lstrip().startswith("#")]
    found = [CAPTURE_LINE.match(line) for line in lines]
    if not found or found[0] is None or 2 * sum(f is not None for f in found) < len(found):
        return False
    return any(f is not None and f.group(1) == OPTION_CHANNEL for f in found)


_PY_LITERALS: Final = re.compile(r"\b(True|False|None)\b")
_JSON_LITERALS: Final = {"True": "true", "False": "false", "None": "null"}


def _as_json(payload: str) -> Any:
    """The record through ``json.loads`` when that is exact: a repr with no ``"`` and no
    backslash quotes every string with ``'`` and nothing inside a string needs escaping, so
    swapping the quotes and the three literals outside strings gives the same values. Raises
    ``ValueError`` otherwise (tuples, ``nan``, escapes …), leaving it to ``ast.literal_eval``."""
    if '"' in payload or "\\" in payload:
        raise ValueError("not a plain repr")
    parts = payload.split("'")
    if len(parts) % 2 == 0:
        raise ValueError("unbalanced quotes")
    for i in range(0, len(parts), 2):  # outside the strings
        part = parts[i]
        if "True" in part or "False" in part or "None" in part:
            parts[i] = _PY_LITERALS.sub(lambda m: _JSON_LITERALS[m.group(0)], part)
    return json.loads('"'.join(parts))


def _record(payload: str) -> Any:
    """A capture record: a Python dict repr (``ast.literal_eval``, never ``eval``) or JSON.

    ``_as_json`` reads the common plain repr about ten times faster; anything it cannot read
    exactly goes to ``ast.literal_eval``."""
    try:
        return _as_json(payload)
    except ValueError:
        pass
    try:
        return ast.literal_eval(payload)
    except (ValueError, SyntaxError, MemoryError, RecursionError) as exc:
        try:
            return json.loads(payload)
        except ValueError:
            raise exc from None


def _option_row(record: Mapping[str, Any]) -> dict[str, str | None]:
    tags = [SIDE_TAGS[t] for t in _words(record.get("tags")) if t in SIDE_TAGS]
    codes = [*_words(record.get("trade_code")), *_words(record.get("report_flags"))]
    if _truthy(record.get("canceled")):
        codes.insert(0, "CANC")
    return {
        "ts": text_value(record.get("executed_at")),
        "underlying": text_value(record.get("underlying_symbol")),
        "_osi": text_value(record.get("option_symbol") or record.get("option_chain_id")),
        "expiry": text_value(record.get("expiry")),
        "strike": text_value(record.get("strike")),
        "right": text_value(record.get("option_type")),
        "price": text_value(record.get("price")),
        "size": text_value(record.get("size")),
        "bid": text_value(record.get("nbbo_bid")),
        "ask": text_value(record.get("nbbo_ask")),
        "exchange": text_value(record.get("exchange")),
        "conditions": ",".join(c.upper() for c in codes) or None,
        "underlying_price": text_value(record.get("underlying_price")),
        "iv": text_value(record.get("implied_volatility")),
        "delta": text_value(record.get("delta")),
        "gamma": text_value(record.get("gamma")),
        "open_interest": text_value(record.get("open_interest")),
        "vendor_side": tags[0] if tags else None,
        "trade_id": text_value(record.get("id")),
    }


def _classify(line: str) -> tuple[str, dict[str, str | None] | None]:
    """(what the line is, its row): ``trade``, ``reject`` (row carries the reason), or a skip
    category (``comment``, ``blank``, ``control``, ``channel <name>``)."""
    stripped = line.strip()
    if not stripped:
        return "blank", None
    if stripped.startswith("#"):
        return "comment", None
    parts = stripped.split("|", 2)
    if len(parts) < 3:
        return "reject", {REASON: "not a 'time|channel|record' line"}
    channel = parts[1].split(":", 1)[0].strip()
    if channel != OPTION_CHANNEL:
        return f"channel {channel}", None
    try:
        record = _record(parts[2].strip())
    except Exception as exc:
        return "reject", {REASON: f"record does not parse ({type(exc).__name__})"}
    if not isinstance(record, dict):
        return "reject", {REASON: "record is not a dict"}
    if "executed_at" not in record and "option_symbol" not in record:
        return "control", None  # subscription acknowledgement or keep-alive
    return "trade", _option_row(record)


def _capture_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8", errors="replace").split("\n")


def capture_summary(path: Path) -> Counter[str]:
    """How many lines of a capture are option trades, rejects, and each kind of skipped line."""
    return Counter(_classify(line)[0] for line in _capture_lines(path))


def _option_frame(rows: list[tuple[int, dict[str, str | None]]]) -> pl.LazyFrame:
    """Text rows of option-trade records as canonical option columns."""
    frame = text_frame(rows, [REASON, "_osi", *OPTION_COLUMNS]).lazy()
    parts = osi(pl.col("_osi"))
    return frame.with_columns(
        pl.col("expiry").fill_null(pl.when(pl.col("_osi").is_not_null()).then(parts.expiry)),
        pl.col("strike").fill_null(parts.strike.cast(pl.String)),
        pl.col("right").fill_null(parts.right),
        parts.root.alias("root"),
        flagged(pl.col("price"), pl.col(REASON)).alias("price"),
    ).drop("_osi")


def scan_capture(path: Path) -> pl.LazyFrame:
    rows: list[tuple[int, dict[str, str | None]]] = []
    for number, line in enumerate(_capture_lines(path), start=1):
        _, row = _classify(line)
        if row is not None:
            rows.append((number, row))
    return _option_frame(rows)


# ------------------------------------------------------------------------------------------
# Bot EOD report (CSV)


def sniff_bot_eod(path: Path, head: bytes) -> bool:
    header = csv_header(path, head)
    return header is not None and set(header) == set(BOT_EOD_HEADER)


def _flags(column: str) -> pl.Expr:
    """``{sweep,floor}`` → ``SWEEP,FLOOR``."""
    text = pl.col(column).str.strip_chars().str.strip_chars("{}").str.replace_all(r"[\"\s]", "")
    upper = text.str.to_uppercase()
    return pl.when(upper == "").then(None).otherwise(upper)


def _cancel_code(column: str) -> pl.Expr:
    flag = pl.col(column).str.strip_chars().str.to_lowercase()
    return pl.when(flag.is_in(["t", "true", "1", "yes"])).then(pl.lit("CANC"))


def scan_bot_eod(path: Path) -> pl.LazyFrame:
    with path.open("rb") as fh:
        header = csv_header(path, fh.read(HEAD_BYTES))
    if header is None:
        raise ValueError("no header line")
    raw = scan_text_csv(path, header).with_columns(
        pl.when(pl.col(EXTRA).is_not_null()).then(pl.lit(RAGGED)).alias(REASON)
    )
    parts = osi(pl.col("option_chain_id"))
    side = pl.col("side").str.strip_chars().str.to_lowercase().str.replace(" ", "_")
    return raw.select(
        pl.col(LINE),
        pl.col(REASON),
        pl.col("executed_at").alias("ts"),
        pl.col("underlying_symbol").alias("underlying"),
        pl.col("expiry").fill_null(parts.expiry),
        pl.col("strike").fill_null(parts.strike.cast(pl.String)),
        pl.col("option_type").fill_null(parts.right).alias("right"),
        parts.root.alias("root"),
        flagged(pl.col("price"), pl.col(REASON)).alias("price"),
        pl.col("size"),
        pl.col("nbbo_bid").alias("bid"),
        pl.col("nbbo_ask").alias("ask"),
        pl.col("exchange"),
        join_codes(
            [
                _cancel_code("canceled"),
                _flags("report_flags"),
                pl.col("upstream_condition_detail").str.strip_chars().str.to_uppercase(),
            ]
        ).alias("conditions"),
        pl.col("underlying_price"),
        pl.col("implied_volatility").alias("iv"),
        pl.col("delta"),
        pl.col("gamma"),
        pl.col("open_interest"),
        side.alias("vendor_side"),
    )


# ------------------------------------------------------------------------------------------
# Dark pool JSON


def sniff_darkpool(path: Path, head: bytes) -> bool:
    text = head_text(head).lstrip()
    if not text.startswith(("[", "{")):
        return False
    if text.startswith("{") and not re.match(r'\{\s*"data"\s*:\s*\[', text):
        return False
    keys = set(re.findall(r'"([a-z_]+)"\s*:', text[:HEAD_BYTES]))
    needed = {"executed_at", "ticker", "price", "size", "nbbo_bid", "nbbo_ask", "market_center"}
    return needed <= keys and not keys & {"option_symbol", "option_chain", "option_chain_id"}


def _condition_codes(record: Mapping[str, Any]) -> str | None:
    words = [
        *_words(record.get("sale_cond_codes")),
        *_words(record.get("ext_hour_sold_codes")),
        *_words(record.get("trade_code")),
    ]
    settlement = str(record.get("trade_settlement") or "").lower().removesuffix("_settlement")
    if settlement and settlement != "regular":
        words.append(settlement)
    codes = ["CANC"] if _truthy(record.get("canceled")) else []
    for word in words:
        code = SALE_CONDITIONS.get(word.lower(), word.upper())
        if code not in codes:
            codes.append(code)
    return ",".join(codes) or None


def _darkpool_row(record: Mapping[str, Any]) -> dict[str, str | None]:
    return {
        "ts": text_value(record.get("executed_at")),
        "symbol": text_value(record.get("ticker")),
        "price": text_value(record.get("price")),
        "size": text_value(record.get("size")),
        "bid": text_value(record.get("nbbo_bid")),
        "ask": text_value(record.get("nbbo_ask")),
        "venue": text_value(record.get("market_center")),
        "conditions": _condition_codes(record),
        "trade_id": text_value(record.get("tracking_id")),
    }


def scan_darkpool(path: Path) -> pl.LazyFrame:
    data = json.loads(path.read_text(encoding="utf-8"))
    records = data.get("data") if isinstance(data, dict) else data
    if not isinstance(records, list):
        raise ValueError('expected a JSON list of dark-pool prints or {"data": [...]}')
    rows: list[tuple[int, dict[str, str | None]]] = []
    for number, record in enumerate(records, start=1):
        if isinstance(record, dict):
            rows.append((number, _darkpool_row(record)))
        else:
            rows.append((number, {REASON: "record is not an object"}))
    frame = text_frame(rows, [REASON, *OFFEX_COLUMNS]).lazy()
    return frame.with_columns(flagged(pl.col("price"), pl.col(REASON)).alias("price"))


register(
    VendorFormat(
        name="uw-stream-capture",
        title="Unusual Whales stream capture (option_trades channel)",
        kind=Kind.OPTION_PRINTS,
        suffixes=frozenset({".txt"}),
        sniff=sniff_capture,
        scan=scan_capture,
        columns=OPTION_COLUMNS,
    )
)
register(
    VendorFormat(
        name="uw-bot-eod",
        title="Unusual Whales bot EOD report (full tape CSV)",
        kind=Kind.OPTION_PRINTS,
        suffixes=frozenset({".csv"}),
        sniff=sniff_bot_eod,
        scan=scan_bot_eod,
        columns=tuple(c for c in OPTION_COLUMNS if c != "trade_id"),
    )
)
register(
    VendorFormat(
        name="uw-darkpool-json",
        title="Unusual Whales dark-pool prints (JSON)",
        kind=Kind.OFFEX_PRINTS,
        suffixes=frozenset({".json"}),
        sniff=sniff_darkpool,
        scan=scan_darkpool,
        columns=OFFEX_COLUMNS,
    )
)
