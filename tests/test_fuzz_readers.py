"""Fuzzing every reader with Hypothesis: whatever bytes a file holds, ``sniff_file``,
``scan_catalog`` and ``read_file`` answer with a result (rows, rejects with reasons, or a reason
the file cannot be used) and never raise.

Inputs: canonical CSV of every kind (headers from the kind's columns and aliases, fields from a
mix of plausible values and junk), every vendor format (a small valid seed, from the shared real
samples where they exist, then mutated: truncated, bytes inserted, fields replaced, lines
repeated), Parquet (random frames with canonical names, and damaged Parquet bytes), and raw
bytes under every suffix flowterm reads. ``FLOWTERM_FUZZ_SCALE=10`` runs ten times the examples.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowterm.core import vendors
from flowterm.core.catalog import CatalogError, scan_catalog
from flowterm.core.readers import FileResult, empty_frame, read_file
from flowterm.core.schema import SPECS, Kind
from flowterm.core.sniff import Detected, sniff_file
from flowterm.core.vendors import polygon, unusual_whales

DAY = "2026-04-08"
SCALE = float(os.environ.get("FLOWTERM_FUZZ_SCALE", "1"))
REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"


def fuzz(examples: int) -> settings:
    return settings(
        max_examples=max(1, int(examples * SCALE)),
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


@contextmanager
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "data"
        (root / DAY).mkdir(parents=True)
        yield root


def read_everything(root: Path) -> list[FileResult]:
    """Scan and read the folder; any exception but a clear ``CatalogError`` fails the test."""
    try:
        catalog = scan_catalog(root)
    except CatalogError as exc:
        assert str(exc)
        return []
    results = []
    for source in catalog.files:
        result = read_file(source)
        assert isinstance(result, FileResult)
        if result.error is None:
            assert result.frame.columns == empty_frame(source.kind).columns
            assert result.rejects["reason"].null_count() == 0
        results.append(result)
    for skipped in catalog.skipped:
        assert skipped.reason
    return results


def check_file(root: Path, rel: str, data: bytes) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    sniffed = sniff_file(path)
    assert sniffed.reason if not isinstance(sniffed, Detected) else sniffed.kind
    read_everything(root)


# ------------------------------------------------------------------------------------------
# values
# ------------------------------------------------------------------------------------------

PLAUSIBLE = [
    "",
    " ",
    "0",
    "-1",
    "1.25",
    "1e308",
    "-0",
    "NaN",
    "inf",
    "-inf",
    "1,234.5",
    "$5",
    "C",
    "P",
    "call",
    "SPY",
    "spy",
    "^SPX",
    "SPY260417C00520000",
    "2026-04-08",
    "2026-04-17",
    "20260408",
    "2026-04-08 10:00:00",
    "2026-04-08T14:00:00Z",
    "2026-04-08T23:00:00+09:00",
    "1775656800000",
    "1775656800000000000",
    "99999999999999999999999",
    "04/08/2026",
    "2026-02-30",
    "24:61:61",
    '"',
    '""',
    "'",
    "[bold]x",
    "\x1b[2J",
    "=cmd|' /C calc'!A0",
    "\x00",
    "\ufeff",
    "\ufffd",
    "é",
    "𝔘",
]
FIELD = st.one_of(st.sampled_from(PLAUSIBLE), st.text(max_size=20))
SEPARATORS = [",", "|", "\t", ";"]


def _canonical_names(kind: Kind) -> list[str]:
    names = []
    for col in SPECS[kind].columns:
        names.append(col.name)
        names.extend(col.aliases[:2])
    return names


@st.composite
def canonical_csv(draw: st.DrawFn, kind: Kind) -> tuple[str, bytes]:
    spec = SPECS[kind]
    required = list(spec.required)
    optional = draw(st.lists(st.sampled_from(_canonical_names(kind)), max_size=4))
    header = draw(st.permutations(required + optional))
    sep = draw(st.sampled_from(SEPARATORS))
    rows = draw(
        st.lists(
            st.lists(FIELD, min_size=max(0, len(header) - 2), max_size=len(header) + 2),
            max_size=8,
        )
    )
    end = draw(st.sampled_from(["\n", "\r\n", ""]))
    lines = [sep.join(header)] + [sep.join(r) for r in rows]
    name = {
        Kind.SHORT_VOLUME: f"{DAY}/CNMSshvol20260408.txt",
        Kind.DAILY_BARS: "bars/SPY.csv",
    }.get(kind)
    if name is None:
        in_session = kind in {
            Kind.OPTION_PRINTS,
            Kind.OFFEX_PRINTS,
            Kind.QUOTES,
            Kind.CHAIN,
            Kind.INTRADAY_BARS,
        }
        stem = spec.name_hints[0]
        name = f"{DAY}/{stem}.csv" if in_session else f"{stem}.csv"
    text = "\n".join(lines) + end
    return name, text.encode("utf-8", errors="surrogatepass")


@pytest.mark.parametrize("kind", list(SPECS), ids=str)
def test_canonical_csv_of_every_kind(kind: Kind) -> None:
    @fuzz(100)
    @given(canonical_csv(kind))
    def run(case: tuple[str, bytes]) -> None:
        name, data = case
        with folder() as root:
            check_file(root, name, data)

    run()


# ------------------------------------------------------------------------------------------
# vendor formats: a valid seed each, mutated
# ------------------------------------------------------------------------------------------


def _real(*parts: str, lines: int = 30) -> bytes | None:
    path = REALDATA.joinpath(*parts)
    if not path.is_file():
        return None
    data = path.read_bytes()
    if path.suffix == ".zst":
        return data[:20000]
    return b"".join(data.splitlines(keepends=True)[:lines])


def _csv(header: tuple[str, ...] | list[str], *rows: list[object]) -> bytes:
    out = [",".join(header)] + [",".join(str(v) for v in r) for r in rows]
    return ("\n".join(out) + "\n").encode()


_CAPTURE_RECORD = (
    "{'id': 'a', 'underlying_symbol': 'SPY', 'executed_at': 1775656800000, 'size': 1, "
    "'price': '1.25', 'nbbo_bid': '1.2', 'nbbo_ask': '1.3', 'option_symbol': "
    "'SPY260417C00520000', 'tags': ['ask_side'], 'report_flags': [], 'canceled': False}"
)
_CBOE_JSON = {
    "timestamp": "2026-04-08 20:00:00",
    "symbol": "SPY",
    "data": {
        "symbol": "SPY",
        "current_price": 520.0,
        "last_trade_time": "2026-04-08T16:00:00",
        "options": [
            {
                "option": "SPY260417C00520000",
                "bid": 1.2,
                "ask": 1.3,
                "iv": 0.2,
                "open_interest": 10.0,
                "volume": 1.0,
                "gamma": 0.01,
                "delta": 0.5,
            }
        ],
    },
}
_TDA_JSON = {
    "symbol": "SPY",
    "status": "SUCCESS",
    "underlyingPrice": 520.0,
    "callExpDateMap": {
        "2026-04-17:9": {
            "520.0": [
                {
                    "putCall": "CALL",
                    "symbol": "SPY_041726C520",
                    "bid": 1.2,
                    "ask": 1.3,
                    "openInterest": 10,
                    "volatility": 20.0,
                    "gamma": 0.01,
                    "delta": 0.5,
                    "strikePrice": 520.0,
                    "expirationDate": 1776456000000,
                    "quoteTimeInLong": 1775678400000,
                }
            ]
        }
    },
    "putExpDateMap": {},
}
_UW_DARK = [
    {
        "executed_at": "2026-04-08T15:00:00Z",
        "ticker": "SPY",
        "price": "520.00",
        "size": 100,
        "nbbo_bid": "519.99",
        "nbbo_ask": "520.01",
        "market_center": "L",
        "tracking_id": 1,
        "sale_cond_codes": "average_price_trade",
        "canceled": False,
    }
]
_DATASHOP_INTERVALS = [
    "underlying_symbol",
    "quote_datetime",
    "root",
    "expiration",
    "strike",
    "option_type",
    "open",
    "high",
    "low",
    "close",
    "trade_volume",
    "bid_size",
    "bid",
    "ask_size",
    "ask",
    "underlying_bid",
    "underlying_ask",
    "implied_underlying_price",
    "active_underlying_price",
    "implied_volatility",
    "delta",
    "gamma",
    "theta",
    "vega",
    "rho",
    "open_interest",
]

#: (file name in the session folder, seed bytes) per vendor format.
SEEDS: dict[str, tuple[str, bytes | None]] = {
    "barchart-uoa": (
        "unusual-options-activity-04-08-2026.csv",
        b"Symbol,Price~,Type,Strike,Exp Date,DTE,Bid,Midpoint,Ask,Last,Volume,Open Int,"
        b"Vol/OI,IV,Time\nSPY,520.00,Call,520.00,04/17/26,9,1.20,1.25,1.30,1.25,5000,1000,5.0,"
        b"20.5%,10:00 ET\nDownloaded from Barchart.com as of 04-08-2026 04:00pm CDT\n",
    ),
    "cboe-delayed-json": ("SPY.json", json.dumps(_CBOE_JSON).encode()),
    "cboe-quotedata": (
        "quotedata.csv",
        _real("option_chain", "cboe_quotedata_SPY_2025-09-25.csv"),
    ),
    "databento-dbn": (
        "opra.trades.dbn.zst",
        _real("databento", "OPRA.PILLAR_test_data.trades.dbn.zst"),
    ),
    "databento-dbn-equities": ("equs.trades.dbn", None),
    "datashop-eod": (
        "UnderlyingOptionsEODCalcs_2026-04-08.csv",
        _real("option_chain", "CboeDataShop_UnderlyingOptionsEODCalcs_2016-06-01_VIX.csv"),
    ),
    "datashop-intervals": (
        "UnderlyingOptionsIntervals_1800sec_calcs_oi_2026-04-08.csv",
        _csv(
            _DATASHOP_INTERVALS,
            ["^SPX", f"{DAY} 10:00:00", "SPXW", "2026-04-17", 5200, "C"] + [1] * 19 + [100],
        ),
    ),
    "datashop-trades": (
        "UnderlyingOptionsTrades_2026-04-08.csv",
        _real("option_trades", "CboeDataShop_UnderlyingOptionsTrades_2016-06-01_VIX.csv"),
    ),
    "polygon-option-quotes": (
        "2026-04-08.csv",
        _csv(
            polygon.OPTION_QUOTES_HEADER,
            ["O:SPY260417C00520000", 1, 1.3, 10, 1, 1.2, 10, 5, 1775656800000000000],
        ),
    ),
    "polygon-option-trades": (
        "2026-04-08.csv",
        _csv(
            polygon.OPTION_TRADES_HEADER,
            ["O:SPY260417C00520000", 209, 0, 312, 1.25, 1775656800000000000, 10],
        ),
    ),
    "polygon-stock-quotes": (
        "2026-04-08.csv",
        _csv(polygon.STOCK_QUOTES_HEADER, ["SPY"] + [1] * (len(polygon.STOCK_QUOTES_HEADER) - 1)),
    ),
    "polygon-stock-trades": (
        "2026-04-08.csv",
        _csv(polygon.STOCK_TRADES_HEADER, ["SPY"] + [4] * (len(polygon.STOCK_TRADES_HEADER) - 1)),
    ),
    "tda-json": ("chain_tda.json", json.dumps(_TDA_JSON).encode()),
    "uw-bot-eod": (
        "bot-eod-report-2026-04-08.csv",
        _csv(
            unusual_whales.BOT_EOD_HEADER,
            [
                *("2026-04-08 14:00:00+00", "SPY", "SPY260417C00520000", "ask", 520, "call"),
                *("2026-04-17", 520, 1.2, 1.3, 1.2, 1.3, 1.25, 10, 1250, 10, 100, 0.2),
                *(0.5, -0.1, 0.01, 0.1, 0.01, 1.25, "ETF", "XCBO", "{sweep}", "f", "", "ETF"),
            ],
        ),
    ),
    "uw-darkpool-json": ("uw_darkpool.json", json.dumps(_UW_DARK).encode()),
    "uw-stream-capture": (
        "uw_capture.txt",
        _real("vendor_flow", "uw_ws_option_trades_TSLA_2025-05-16.txt", lines=10)
        or (f"2026-04-08 10:00:00.0|option_trades:SPY|{_CAPTURE_RECORD}\n" * 3).encode(),
    ),
}


def test_every_vendor_format_has_a_seed() -> None:
    names = {f.name for f in vendors.formats() if f.ignore is None}
    assert names <= set(SEEDS)


@st.composite
def mutated(draw: st.DrawFn, seed: bytes) -> bytes:
    data = bytearray(seed)
    for _ in range(draw(st.integers(0, 4))):
        op = draw(st.sampled_from(["cut", "insert", "field", "repeat", "flip"]))
        if not data:
            break
        at = draw(st.integers(0, len(data)))
        if op == "cut":
            del data[at:]
        elif op == "insert":
            data[at:at] = draw(st.binary(max_size=20) | st.sampled_from([b",", b"\n", b'"', b"|"]))
        elif op == "flip" and at < len(data):
            data[at] = draw(st.integers(0, 255))
        elif op == "repeat":
            lines = bytes(data).splitlines(keepends=True)
            if lines:
                i = draw(st.integers(0, len(lines) - 1))
                lines.insert(i, lines[i])
                data = bytearray(b"".join(lines))
        else:  # replace one comma-separated field of one line
            lines = bytes(data).split(b"\n")
            i = draw(st.integers(0, len(lines) - 1))
            fields = lines[i].split(b",")
            j = draw(st.integers(0, len(fields) - 1))
            fields[j] = draw(FIELD).encode("utf-8", errors="surrogatepass")
            lines[i] = b",".join(fields)
            data = bytearray(b"\n".join(lines))
    return bytes(data)


@pytest.mark.parametrize("fmt", sorted(SEEDS))
def test_vendor_format(fmt: str) -> None:
    name, seed = SEEDS[fmt]
    if seed is None:
        pytest.skip(f"no seed for {fmt} (its real sample is not here)")
    with folder() as root:  # the seed itself is recognised as the format
        path = root / DAY / name
        path.write_bytes(seed)
        sniffed = sniff_file(path)
        assert isinstance(sniffed, Detected) and sniffed.fmt == fmt, sniffed
        (result,) = [r for r in read_everything(root) if r.source.rel == f"{DAY}/{name}"]
        assert result.error is None and result.rows_read >= 1

    @fuzz(80)
    @given(mutated(seed))
    def run(data: bytes) -> None:
        with folder() as root:
            check_file(root, f"{DAY}/{name}", data)

    run()


# ------------------------------------------------------------------------------------------
# Parquet and raw bytes
# ------------------------------------------------------------------------------------------

_PARQUET_NAMES = sorted({n for kind in SPECS for n in _canonical_names(kind)})
_COLUMN = st.one_of(
    st.lists(st.text(max_size=8) | st.none(), min_size=3, max_size=3),
    st.lists(st.floats(allow_nan=True, allow_infinity=True) | st.none(), min_size=3, max_size=3),
    st.lists(st.integers(-(2**63), 2**63 - 1) | st.none(), min_size=3, max_size=3),
    st.lists(st.booleans(), min_size=3, max_size=3),
    st.lists(st.dates() | st.none(), min_size=3, max_size=3),
    st.lists(st.datetimes() | st.none(), min_size=3, max_size=3),
)


@st.composite
def parquet_bytes(draw: st.DrawFn) -> tuple[str, bytes]:
    names = draw(st.lists(st.sampled_from(_PARQUET_NAMES), min_size=1, max_size=10, unique=True))
    frame = pl.DataFrame({n: draw(_COLUMN) for n in names}, strict=False)
    buf = io.BytesIO()
    frame.write_parquet(buf)
    data = buf.getvalue()
    if draw(st.booleans()):
        data = draw(mutated(data))
    stem = draw(st.sampled_from(["options", "darkpool", "quotes", "chain", "intraday", "x"]))
    return f"{DAY}/{stem}.parquet", data


@fuzz(300)
@given(parquet_bytes())
def test_parquet(case: tuple[str, bytes]) -> None:
    name, data = case
    with folder() as root:
        check_file(root, name, data)


_SUFFIXES = sorted({".csv", ".txt", ".parquet", ".json", ".dbn", ".zst", ".gz", ".tsv"})


@fuzz(300)
@given(
    st.sampled_from(["options", "darkpool", "chain", "2026-04-08", "quotedata", "capture"]),
    st.sampled_from(_SUFFIXES),
    st.binary(max_size=400)
    | st.text(max_size=300).map(lambda t: t.encode("utf-8", errors="surrogatepass")),
)
def test_raw_bytes_under_every_suffix(stem: str, suffix: str, data: bytes) -> None:
    with folder() as root:
        check_file(root, f"{DAY}/{stem}{suffix}", data)
