"""Cboe delayed-quotes options JSON (``cdn.cboe.com/api/global/delayed_quotes/options/SYM.json``,
FORMATS.md §3) → chain snapshot.

Two shapes: the current envelope ``{timestamp, symbol, data: {…, options: […]}}`` and older
captures that hold only the ``data`` object (bare, or as ``{"data": {…}}``). Each element of
``options`` is one contract keyed by its unpadded OSI symbol; expiry, right and strike come from
the symbol's last 15 characters and the root is the rest (it may contain digits). Spot is
``data.current_price``. Numbers are JSON floats (``open_interest: 609.0``); IV outside
0 < iv < 5 is junk and becomes null.

Snapshot time: the envelope ``timestamp`` (UTC); without it ``data.last_trade_time`` (ET);
without both, the file's modification time (a last resort: a copied file then shows up as rows
outside its session rather than silently moving to another day). ``_line`` is the contract's
1-based position in ``options``.

Sniff: a JSON object whose head holds ``"current_price"``, ``"options"`` and an OSI
``"option"`` value.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

import polars as pl

from ..schema import Kind
from ..validate import LINE
from . import VendorFormat, register
from ._util import (
    as_text,
    clean_symbol_text,
    json_head,
    lazy_rows,
    load_json,
    mtime_text,
    osi_columns,
    to_float,
    underlying_of,
)

NAME = "cboe-delayed-json"

#: IV outside this open interval is vendor junk (0, 0.02 on deep ITM calls, 26.0 on far puts).
IV_RANGE: Final = (0.0, 5.0)

_OSI_VALUE: Final = re.compile(r'"option"\s*:\s*"[A-Z0-9.]{1,8}\s*\d{6}[CP]\d{8}"')
_TIMESTAMP: Final = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$")
_NUMBERS: Final = ("bid", "ask", "open_interest", "volume", "delta", "gamma")


def sniff(path: Path, head: bytes) -> bool:
    text = json_head(head)
    if text is None:
        return False
    return '"current_price"' in text and '"options"' in text and _OSI_VALUE.search(text) is not None


def _document(obj: object) -> tuple[dict[str, object], list[object], object, object]:
    """``(data, options, timestamp, symbol)`` of either shape."""
    if isinstance(obj, dict):
        data = obj.get("data")
        if isinstance(data, dict):
            options = data.get("options")
            if isinstance(options, list):
                return data, options, obj.get("timestamp"), obj.get("symbol")
        options = obj.get("options")
        if isinstance(options, list):
            return obj, options, None, None
    raise ValueError("no 'data.options' array (not a Cboe delayed-quotes options document)")


def snapshot_time(timestamp: object, data: dict[str, object], path: Path) -> str:
    """The snapshot time as ISO text (see the module docstring for the order)."""
    published = as_text(timestamp)
    if published is not None:
        # The envelope timestamp is UTC; keep an explicit offset when one is given.
        return published + "+00:00" if _TIMESTAMP.match(published) else published
    last_trade = as_text(data.get("last_trade_time"))
    if last_trade is not None:
        return last_trade  # America/New_York wall time
    return mtime_text(path)


def _iv(value: object) -> float | None:
    iv = to_float(value)
    low, high = IV_RANGE
    return iv if iv is not None and low < iv < high else None


def scan(path: Path) -> pl.LazyFrame:
    data, options, timestamp, symbol = _document(load_json(path))
    spot = to_float(data.get("current_price"))
    if spot is None:
        raise ValueError("no 'current_price' (underlying price) in the document")
    columns: dict[str, list[object]] = {
        LINE: [],
        "option": [],
        "iv": [],
        **{n: [] for n in _NUMBERS},
    }
    for number, item in enumerate(options, start=1):
        row = item if isinstance(item, dict) else {}
        columns[LINE].append(number)
        columns["option"].append(as_text(row.get("option")))
        columns["iv"].append(_iv(row.get("iv")))
        for name in _NUMBERS:
            columns[name].append(to_float(row.get(name)))
    schema: dict[str, pl.DataType] = {
        LINE: pl.Int64(),
        "option": pl.String(),
        "iv": pl.Float64(),
        **{n: pl.Float64() for n in _NUMBERS},
    }
    rows = lazy_rows(columns, schema).with_columns(osi_columns(pl.col("option")))
    ticker = clean_symbol_text(symbol) or clean_symbol_text(data.get("symbol"))
    if ticker is not None:
        underlying = pl.lit(ticker)
    else:
        underlying = underlying_of(pl.col("root")).drop_nulls().mode().sort().first()
    return rows.drop("option").with_columns(
        underlying.alias("underlying"),
        pl.lit(snapshot_time(timestamp, data, path)).alias("as_of"),
        pl.lit(spot).alias("spot"),
    )


FORMAT = register(
    VendorFormat(
        name=NAME,
        title="Cboe delayed-quotes options JSON",
        kind=Kind.CHAIN,
        suffixes=frozenset({".json"}),
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
