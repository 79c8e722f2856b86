"""The canonical kinds of FORMATS.md A.2: columns, dtypes, derived columns and header aliases."""

from __future__ import annotations

import polars as pl
import pytest

from flowterm.core.schema import (
    SESSION_KINDS,
    SPECS,
    Kind,
    map_headers,
    normalise_header,
    spec,
)

UTC_NS = pl.Datetime("ns", "UTC")

# FORMATS.md A.2 (and A.1 for the small tables): (required, optional) per kind.
CONTRACT: dict[Kind, tuple[set[str], set[str]]] = {
    Kind.OPTION_PRINTS: (
        {"ts", "underlying", "expiry", "strike", "right", "price", "size", "bid", "ask"},
        {
            "root",
            "multiplier",
            "exchange",
            "conditions",
            "underlying_price",
            "iv",
            "delta",
            "gamma",
            "open_interest",
            "vendor_side",
            "trade_id",
        },
    ),
    Kind.OFFEX_PRINTS: (
        {"ts", "symbol", "price", "size", "bid", "ask"},
        {"venue", "conditions", "trade_id"},
    ),
    Kind.QUOTES: ({"ts", "key", "bid", "ask"}, {"bid_size", "ask_size"}),
    Kind.CHAIN: (
        {"as_of", "underlying", "spot", "expiry", "strike", "right", "open_interest", "iv"},
        {"root", "gamma", "delta", "bid", "ask", "volume"},
    ),
    # FORMATS.md A.2 lists `volume` as required for daily bars; the implementation makes it
    # optional (index bars such as VIX and DXY carry no meaningful volume). Asserted as implemented.
    Kind.DAILY_BARS: (
        {"date", "symbol", "open", "high", "low", "close"},
        {"volume", "adj_close"},
    ),
    Kind.MACRO: ({"date", "series", "value"}, set()),
    Kind.SHORT_VOLUME: (
        {"date", "symbol", "short_volume", "total_volume"},
        {"short_exempt_volume", "market"},
    ),
    # A.1: events.csv `date, name[, importance]`.
    Kind.EVENTS: ({"date", "name"}, {"importance"}),
    # A.1: sectors.csv `symbol, sector`.
    Kind.SECTORS: ({"symbol", "sector"}, set()),
    # A.1: zones.csv `date, symbol, low, mid, high` (mid is computed when missing).
    Kind.ZONES: ({"date", "symbol", "low", "high"}, {"mid"}),
    # A.1: inputs.csv `date, name, direction (+1/-1), note[, expires]`.
    Kind.INPUTS: ({"date", "name", "direction"}, {"note", "expires"}),
}


def test_every_kind_has_a_spec() -> None:
    assert set(SPECS) == set(Kind)
    for kind in Kind:
        assert spec(kind).kind is kind


@pytest.mark.parametrize("kind", list(CONTRACT), ids=str)
def test_required_and_optional_columns_follow_the_contract(kind: Kind) -> None:
    required, optional = CONTRACT[kind]
    ks = spec(kind)
    assert set(ks.required) == required
    assert set(ks.optional) == optional
    # No column is listed twice.
    names = [c.name for c in ks.columns]
    assert len(names) == len(set(names))


def test_daily_bars_volume_is_optional_as_implemented() -> None:
    # Deviation from FORMATS.md A.2 (which lists volume as required): a bars file without a
    # volume column is still usable. This test pins the implemented behaviour.
    assert "volume" in spec(Kind.DAILY_BARS).optional
    assert "volume" not in spec(Kind.DAILY_BARS).required


def test_session_kinds_are_the_tape_kinds() -> None:
    assert {
        Kind.OPTION_PRINTS,
        Kind.OFFEX_PRINTS,
        Kind.QUOTES,
        Kind.CHAIN,
        Kind.SHORT_VOLUME,
    } <= SESSION_KINDS
    for k in (Kind.DAILY_BARS, Kind.MACRO, Kind.EVENTS, Kind.SECTORS, Kind.ZONES, Kind.INPUTS):
        assert k not in SESSION_KINDS


def test_option_prints_schema_dtypes() -> None:
    schema = spec(Kind.OPTION_PRINTS).schema()
    assert schema["ts"] == UTC_NS
    assert schema["expiry"] == pl.Date()
    assert schema["strike"] == pl.Float64()
    assert schema["size"] == pl.Int64()
    assert schema["price"] == pl.Float64()
    assert schema["bid"] == pl.Float64()
    assert schema["ask"] == pl.Float64()
    assert schema["right"] == pl.String()
    assert schema["underlying"] == pl.String()
    assert schema["multiplier"] == pl.Int64()


def test_option_prints_derived_columns() -> None:
    schema = spec(Kind.OPTION_PRINTS).schema()
    assert schema["premium"] == pl.Float64()
    assert schema["osi"] == pl.String()
    assert schema["session"] == pl.Date()
    # Derived columns come after every declared column.
    names = list(schema.names())
    assert names[-3:] == ["premium", "osi", "session"]


def test_offex_prints_schema_and_derived_columns() -> None:
    schema = spec(Kind.OFFEX_PRINTS).schema()
    assert schema["ts"] == UTC_NS
    assert schema["price"] == pl.Float64()
    assert schema["notional"] == pl.Float64()
    assert schema["session"] == pl.Date()
    assert "premium" not in schema


@pytest.mark.parametrize(
    ("kind", "column"),
    [
        (Kind.QUOTES, "ts"),
        (Kind.CHAIN, "as_of"),
        (Kind.INTRADAY_BARS, "ts"),
    ],
)
def test_timestamp_columns_are_utc_ns(kind: Kind, column: str) -> None:
    assert spec(kind).schema()[column] == UTC_NS
    assert spec(kind).column(column).timestamp


@pytest.mark.parametrize(
    ("kind", "column"),
    [
        (Kind.CHAIN, "expiry"),
        (Kind.DAILY_BARS, "date"),
        (Kind.MACRO, "date"),
        (Kind.SHORT_VOLUME, "date"),
        (Kind.EVENTS, "date"),
        (Kind.ZONES, "date"),
        (Kind.INPUTS, "date"),
    ],
)
def test_date_columns_are_dates(kind: Kind, column: str) -> None:
    assert spec(kind).schema()[column] == pl.Date()


def test_chain_iv_and_option_quote_may_be_empty() -> None:
    # An option print without a quote is kept (UNKNOWN side); a chain row without IV is kept.
    assert spec(Kind.OPTION_PRINTS).column("bid").nullable
    assert spec(Kind.OPTION_PRINTS).column("ask").nullable
    assert spec(Kind.CHAIN).column("iv").nullable
    # A quotes file exists to supply the NBBO: its bid/ask must be present.
    assert not spec(Kind.QUOTES).column("bid").nullable
    assert not spec(Kind.QUOTES).column("ask").nullable


def test_column_lookup_unknown_name_raises_keyerror() -> None:
    with pytest.raises(KeyError):
        spec(Kind.MACRO).column("no_such_column")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Adj Close", "adj_close"),
        ("Open Int", "open_int"),
        ("C/P", "c_p"),
        ("  Date ", "date"),
        ("\ufeffDate", "date"),
        ("NBBO-Bid", "nbbo_bid"),
        ("Trade  Size", "trade_size"),
        ("TotalVolume", "totalvolume"),
    ],
)
def test_normalise_header(header: str, expected: str) -> None:
    assert normalise_header(header) == expected


def test_short_bar_headers_map_to_ohlcv() -> None:
    mapping = map_headers(Kind.DAILY_BARS, ["date", "o", "h", "l", "c", "v"])
    assert mapping == {
        "date": "date",
        "o": "open",
        "h": "high",
        "l": "low",
        "c": "close",
        "v": "volume",
    }


@pytest.mark.parametrize("upper", [False, True])
def test_yahoo_bar_headers_map_case_insensitively(upper: bool) -> None:
    headers = ["Date", "Open", "High", "Low", "Close", "Adj Close", "Volume"]
    if upper:
        headers = [h.upper() for h in headers]
    mapping = map_headers(Kind.DAILY_BARS, headers)
    assert sorted(mapping.values()) == sorted(
        ["date", "open", "high", "low", "close", "adj_close", "volume"]
    )
    assert mapping[headers[5]] == "adj_close"
    assert mapping[headers[4]] == "close"


def test_ticker_maps_to_symbol() -> None:
    mapping = map_headers(Kind.DAILY_BARS, ["date", "ticker", "open", "high", "low", "close"])
    assert mapping["ticker"] == "symbol"
    assert map_headers(Kind.OFFEX_PRINTS, ["Ticker"]) == {"Ticker": "symbol"}


@pytest.mark.parametrize("order", [["ticker", "symbol"], ["symbol", "ticker"]])
def test_symbol_and_ticker_together_exact_name_wins(order: list[str]) -> None:
    mapping = map_headers(Kind.DAILY_BARS, ["date", *order, "open", "high", "low", "close"])
    targets = [h for h, c in mapping.items() if c == "symbol"]
    assert targets == ["symbol"]
    assert "ticker" not in mapping
    # The mapping is one-to-one: no two headers land on one canonical column.
    assert len(set(mapping.values())) == len(mapping)


def test_option_print_vendor_aliases() -> None:
    headers = [
        "executed_at",
        "Ticker",
        "Expiration",
        "strike",
        "option_type",
        "price",
        "size",
        "nbbo_bid",
        "nbbo_ask",
        "Open Int",
    ]
    mapping = map_headers(Kind.OPTION_PRINTS, headers)
    assert mapping == {
        "executed_at": "ts",
        "Ticker": "underlying",
        "Expiration": "expiry",
        "strike": "strike",
        "option_type": "right",
        "price": "price",
        "size": "size",
        "nbbo_bid": "bid",
        "nbbo_ask": "ask",
        "Open Int": "open_interest",
    }


@pytest.mark.parametrize(
    ("header", "kind", "column"),
    [
        ("best_bid", Kind.OPTION_PRINTS, "bid"),
        ("Best Ask", Kind.OPTION_PRINTS, "ask"),
        ("put_call", Kind.OPTION_PRINTS, "right"),
        ("Put/Call", Kind.CHAIN, "right"),
        ("option_type", Kind.CHAIN, "right"),
        ("expiration", Kind.CHAIN, "expiry"),
        ("Open Int", Kind.CHAIN, "open_interest"),
        ("nbbo_bid", Kind.QUOTES, "bid"),
        ("nbbo_ask", Kind.QUOTES, "ask"),
        ("best_bid", Kind.OFFEX_PRINTS, "bid"),
    ],
)
def test_single_alias(header: str, kind: Kind, column: str) -> None:
    assert map_headers(kind, [header]) == {header: column}


def test_unknown_headers_are_not_mapped() -> None:
    assert map_headers(Kind.OPTION_PRINTS, ["foo", "bar baz", ""]) == {}


def test_only_the_first_of_two_aliases_is_used() -> None:
    # Two aliases of one column: the first in file order wins, the other is left unmapped.
    mapping = map_headers(Kind.OPTION_PRINTS, ["best_bid", "nbbo_bid"])
    assert mapping == {"best_bid": "bid"}
