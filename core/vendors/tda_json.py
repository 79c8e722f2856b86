"""TD Ameritrade / Schwab option-chain JSON (FORMATS.md §5) → chain snapshot.

``{symbol, underlying{…}, underlyingPrice, callExpDateMap, putExpDateMap, …}`` where each map is
``{"YYYY-MM-DD:dte": {"<strike>": [contract, …]}}``. A contract carries ``putCall``, ``symbol``
(legacy ``SPY_052322C382`` at TDA, padded OSI at Schwab), ``bid``/``ask`` (``bidPrice``/
``askPrice`` in some Schwab clients), ``totalVolume``, ``openInterest``, ``volatility`` in
**percent** (→ /100; TDA writes -999 or NaN when it has none → null), ``delta``, ``gamma``
(-999/NaN → null) and ``quoteTimeInLong`` (epoch ms).

Snapshot time: ``underlying.quoteTime`` (epoch ms); without it the latest contract
``quoteTimeInLong``; without both, the file's modification time. Spot: ``underlyingPrice``, else
the underlying's ``last``/``mark``. Underlying: ``symbol`` without ``$`` or ``.X``
(``$SPX.X`` → ``SPX``). ``_line`` is the contract's 1-based position (calls first, then puts, in
document order).

Sniff: a JSON object whose head holds ``"callExpDateMap"`` or ``"putExpDateMap"``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import polars as pl

from ..schema import Kind
from ..validate import LINE
from . import VendorFormat, register
from ._util import (
    as_text,
    clean_symbol_text,
    epoch_ms_text,
    json_head,
    lazy_rows,
    load_json,
    mtime_text,
    parse_osi,
    to_float,
)

NAME = "tda-json"

#: TDA's "no value" marker for volatility and greeks.
_MISSING: Final = -999.0
_TEXT: Final = ("expiry", "right", "root")
_NUMBERS: Final = ("strike", "bid", "ask", "volume", "open_interest", "iv", "delta", "gamma")


def sniff(path: Path, head: bytes) -> bool:
    text = json_head(head)
    return text is not None and ('"callExpDateMap"' in text or '"putExpDateMap"' in text)


def _value(contract: dict[str, object], *keys: str) -> float | None:
    for key in keys:
        value = to_float(contract.get(key))
        if value is not None and value != _MISSING:
            return value
    return None


def _root(contract: dict[str, object]) -> str | None:
    root = as_text(contract.get("optionRoot"))
    if root is not None:
        return root.upper()
    symbol = as_text(contract.get("symbol"))
    if symbol is None:
        return None
    if "_" in symbol:  # legacy TDA symbology: ROOT_MMDDYYC123
        return symbol.split("_", 1)[0].upper() or None
    osi = parse_osi(symbol)
    return osi[0] if osi is not None else None


def _right(contract: dict[str, object], default: str) -> str:
    put_call = as_text(contract.get("putCall"))
    return put_call if put_call is not None else default


def _contract_rows(document: dict[str, object]) -> dict[str, list[object]]:
    columns: dict[str, list[object]] = {LINE: [], **{n: [] for n in (*_TEXT, *_NUMBERS)}}
    number = 0
    for right, key in (("C", "callExpDateMap"), ("P", "putExpDateMap")):
        expiries = document.get(key)
        if not isinstance(expiries, dict):
            continue
        for expiry_key, strikes in expiries.items():
            expiry = str(expiry_key).split(":", 1)[0].strip()
            if not isinstance(strikes, dict):
                strikes = {}
            for strike_key, contracts in strikes.items():
                for item in contracts if isinstance(contracts, list) else [contracts]:
                    contract = item if isinstance(item, dict) else {}
                    number += 1
                    strike = _value(contract, "strikePrice")
                    iv = _value(contract, "volatility")
                    columns[LINE].append(number)
                    columns["expiry"].append(expiry)
                    columns["right"].append(_right(contract, right))
                    columns["root"].append(_root(contract))
                    columns["strike"].append(strike if strike is not None else to_float(strike_key))
                    columns["bid"].append(_value(contract, "bid", "bidPrice"))
                    columns["ask"].append(_value(contract, "ask", "askPrice"))
                    columns["volume"].append(_value(contract, "totalVolume"))
                    columns["open_interest"].append(_value(contract, "openInterest"))
                    columns["iv"].append(iv / 100 if iv is not None and iv > 0 else None)
                    columns["delta"].append(_value(contract, "delta"))
                    columns["gamma"].append(_value(contract, "gamma"))
    return columns


def _contracts(document: dict[str, object]) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for key in ("callExpDateMap", "putExpDateMap"):
        expiries = document.get(key)
        for strikes in expiries.values() if isinstance(expiries, dict) else []:
            for contracts in strikes.values() if isinstance(strikes, dict) else []:
                out.extend(c for c in contracts if isinstance(c, dict))
    return out


def snapshot_time(document: dict[str, object], path: Path) -> str:
    underlying = document.get("underlying")
    if isinstance(underlying, dict):
        quoted = epoch_ms_text(underlying.get("quoteTime"))
        if quoted is not None:
            return quoted
    times = [to_float(c.get("quoteTimeInLong")) for c in _contracts(document)]
    latest = max((t for t in times if t is not None and t > 0), default=None)
    quoted = epoch_ms_text(latest)
    return quoted if quoted is not None else mtime_text(path)


def _spot(document: dict[str, object]) -> float | None:
    spot = to_float(document.get("underlyingPrice"))
    underlying = document.get("underlying")
    if (spot is None or spot <= 0) and isinstance(underlying, dict):
        spot = _value(underlying, "last", "mark", "close")
    return spot


def _underlying(document: dict[str, object], roots: list[object]) -> str | None:
    name = clean_symbol_text(document.get("symbol"))
    underlying = document.get("underlying")
    if name is None and isinstance(underlying, dict):
        name = clean_symbol_text(underlying.get("symbol"))
    if name is None:
        name = next((r for r in roots if isinstance(r, str)), None)
    return name


def scan(path: Path) -> pl.LazyFrame:
    document = load_json(path)
    if not isinstance(document, dict) or not (
        "callExpDateMap" in document or "putExpDateMap" in document
    ):
        raise ValueError("no callExpDateMap/putExpDateMap (not a TDA/Schwab option chain)")
    spot = _spot(document)
    if spot is None:
        raise ValueError("no underlyingPrice in the document")
    columns = _contract_rows(document)
    schema: dict[str, pl.DataType] = {
        LINE: pl.Int64(),
        **{n: pl.String() for n in _TEXT},
        **{n: pl.Float64() for n in _NUMBERS},
    }
    return lazy_rows(columns, schema).with_columns(
        pl.lit(_underlying(document, columns["root"])).alias("underlying"),
        pl.lit(snapshot_time(document, path)).alias("as_of"),
        pl.lit(spot).alias("spot"),
    )


FORMAT = register(
    VendorFormat(
        name=NAME,
        title="TD Ameritrade / Schwab option-chain JSON",
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
