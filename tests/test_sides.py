"""Trade-side classification (METHODOLOGY §1): the §1.4 vector for every rule, the flowterm
position rule and its edge cases, strict mode, the as-of NBBO join and the dark tick fallback."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from flowterm.core.sides import (
    SETTINGS_SECTION,
    SideParams,
    attach_nbbo,
    classify_dark,
    classify_options,
    compare_rules,
)

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
UTC_NS = pl.Datetime("ns", "UTC")

# §1.4: (P, B, A) per print, one contract, one second apart.
VECTOR = [
    (10.10, 10.00, 10.10),  # 1 at ask, first trade
    (10.05, 10.00, 10.10),  # 2 at mid
    (10.08, 10.00, 10.10),  # 3 upper 30 % band
    (10.12, 10.00, 10.10),  # 4 above ask
    (10.06, 10.00, 10.10),  # 5 middle band, quote vs tick disagree
    (10.11, 10.12, 10.10),  # 6 crossed quote
    (10.11, None, None),  # 7 missing quote, zero tick
    (10.10, 10.10, 10.10),  # 8 locked quote
    (10.00, 10.00, 10.10),  # 9 at bid
]
# §1.4 expected labels (None = unclassified; tclf's 0).
EXPECTED = {
    "quote_rule": [1, None, 1, 1, 1, None, None, None, -1],
    "tick_rule": [None, -1, 1, 1, -1, 1, 1, -1, -1],
    "lee_ready": [1, -1, 1, 1, 1, 1, 1, -1, -1],
    "emo": [1, -1, 1, 1, -1, 1, 1, -1, -1],
    "clnv": [1, -1, 1, 1, -1, 1, 1, -1, -1],
}
EXPECTED_SIDE = ["BUY", "UNKNOWN", "BUY", "BUY", "UNKNOWN", "UNKNOWN", "UNKNOWN", "UNKNOWN", "SELL"]
EXPECTED_DETAIL = [
    "at/above ask",
    "mid",
    "to ask",
    "at/above ask",
    "mid",
    "crossed",
    "no quote",
    "locked",
    "at/below bid",
]
# §12: P* for the §1.4 prices.
EXPECTED_P_STAR = [None, 10.10, 10.05, 10.08, 10.12, 10.06, 10.06, 10.11, 10.10]
# P**: the next later different price (reverse tick input).
EXPECTED_P_2STAR = [10.05, 10.08, 10.12, 10.06, 10.11, 10.10, 10.10, 10.00, None]


def _prints(
    rows: Sequence[tuple[float, float | None, float | None]],
    *,
    key: str = "osi",
    name: str = "SPY260320C00500000",
    conditions: list[str | None] | None = None,
    seconds: list[float] | None = None,
) -> pl.LazyFrame:
    n = len(rows)
    offsets = seconds if seconds is not None else [float(i) for i in range(n)]
    return pl.LazyFrame(
        {
            "ts": [T0 + timedelta(seconds=s) for s in offsets],
            key: [name] * n,
            "price": [r[0] for r in rows],
            "bid": [r[1] for r in rows],
            "ask": [r[2] for r in rows],
            "conditions": conditions if conditions is not None else ["AUTO"] * n,
        },
        schema_overrides={"ts": UTC_NS, "bid": pl.Float64, "ask": pl.Float64},
    )


def _quotes(rows: list[tuple[float, str, float, float]]) -> pl.LazyFrame:
    return pl.LazyFrame(
        {
            "ts": [T0 + timedelta(seconds=r[0]) for r in rows],
            "key": [r[1] for r in rows],
            "bid": [r[2] for r in rows],
            "ask": [r[3] for r in rows],
        },
        schema_overrides={"ts": UTC_NS},
    )


@pytest.fixture(scope="module")
def vector() -> pl.DataFrame:
    return compare_rules(classify_options(_prints(VECTOR)), key="osi").sort("ts").collect()


@pytest.mark.parametrize("rule", sorted(EXPECTED))
def test_section_1_4_vector_every_rule(vector: pl.DataFrame, rule: str) -> None:
    assert vector[rule].to_list() == EXPECTED[rule]


def test_section_1_4_flowterm_rule(vector: pl.DataFrame) -> None:
    assert vector["side"].cast(pl.String).to_list() == EXPECTED_SIDE
    assert vector["side_detail"].cast(pl.String).to_list() == EXPECTED_DETAIL
    x = vector["quote_position"].to_list()
    assert x[2] == pytest.approx(0.8)
    assert x[4] == pytest.approx(0.6)
    assert x[5] is None and x[6] is None and x[7] is None  # crossed, missing, locked


def test_row_5_lee_ready_differs_from_emo_and_clnv(vector: pl.DataFrame) -> None:
    row = vector.row(4, named=True)
    assert (row["lee_ready"], row["emo"], row["clnv"]) == (1, -1, -1)
    assert row["side"] == "UNKNOWN"


def test_tick_inputs_are_the_last_and_next_different_prices(vector: pl.DataFrame) -> None:
    assert vector["price_before"].to_list() == pytest.approx(EXPECTED_P_STAR)
    assert vector["price_after"].to_list() == pytest.approx(EXPECTED_P_2STAR)
    assert vector["reverse_tick_rule"].to_list() == [1, -1, -1, 1, -1, 1, 1, 1, None]


def test_rule_columns_do_not_depend_on_row_order() -> None:
    shuffled = [VECTOR[i] for i in (8, 3, 0, 5, 7, 1, 6, 2, 4)]
    seconds = [float(i) for i in (8, 3, 0, 5, 7, 1, 6, 2, 4)]
    out = compare_rules(_prints(shuffled, seconds=seconds), key="osi").sort("ts").collect()
    for rule, expected in EXPECTED.items():
        assert out[rule].to_list() == expected, rule


def test_tick_test_is_per_key() -> None:
    a = _prints([(10.0, None, None), (10.1, None, None)], name="A")
    b = _prints([(9.0, None, None)], name="B", seconds=[0.5])
    out = compare_rules(pl.concat([a, b]), key="osi").sort("ts").collect()
    assert out["tick_rule"].to_list() == [None, None, 1]  # B's first trade has no P*


def test_strict_mode_labels_only_at_or_outside_the_quotes() -> None:
    out = classify_options(_prints(VECTOR), params=SideParams(mode="strict")).sort("ts").collect()
    assert out["side"].cast(pl.String).to_list() == [
        "BUY",
        "UNKNOWN",
        "UNKNOWN",  # x = 0.8 is BUY only in bands mode
        "BUY",
        "UNKNOWN",
        "UNKNOWN",
        "UNKNOWN",
        "UNKNOWN",
        "SELL",
    ]
    assert out["side_detail"][2] == "inside"


def test_band_boundaries_are_inclusive_despite_float_noise() -> None:
    rows = [
        (10.07, 10.00, 10.10),
        (10.03, 10.00, 10.10),
        (10.069, 10.00, 10.10),
        (10.031, 10, 10.1),
    ]
    out = classify_options(_prints(rows)).sort("ts").collect()
    assert out["side_detail"].cast(pl.String).to_list() == ["to ask", "to bid", "mid", "mid"]


def test_epsilon_is_not_a_tick_in_a_one_tick_market() -> None:
    out = classify_options(_prints([(1.00, 1.00, 1.01), (1.01, 1.00, 1.01)])).collect()
    assert out.sort("ts")["side"].cast(pl.String).to_list() == ["SELL", "BUY"]


def test_sub_penny_print_is_placed_by_position_not_equality() -> None:
    out = classify_dark(_prints([(100.0012, 100.00, 100.01)], key="symbol")).collect()
    assert out["side_detail"][0] == "to bid"
    assert out["quote_position"][0] == pytest.approx(0.12)


def test_zero_bid_and_outside_quotes() -> None:
    rows = [(0.05, 0.0, 0.05), (1.20, 1.00, 1.10), (0.90, 1.00, 1.10)]
    out = classify_options(_prints(rows)).sort("ts").collect()
    assert out["side_detail"].cast(pl.String).to_list() == [
        "zero quote",
        "at/above ask",
        "at/below bid",
    ]


@pytest.mark.parametrize(
    ("conditions", "multi_leg"),
    [
        ("MLET", True),
        ("SLAN,MLAT", True),
        ("tlat", True),
        ("ISOI MLCT", True),
        ("AUTO", False),
        ("XMLET", False),
        (None, False),
    ],
)
def test_multi_leg_prints_are_unknown(conditions: str | None, multi_leg: bool) -> None:
    out = classify_options(_prints([(10.10, 10.00, 10.10)], conditions=[conditions])).collect()
    assert out["multi_leg"][0] is multi_leg
    assert out["side"][0] == ("UNKNOWN" if multi_leg else "BUY")
    assert out["side_detail"][0] == ("multi-leg" if multi_leg else "at/above ask")


def test_as_of_join_fills_a_missing_quote_within_tolerance() -> None:
    prints = _prints(
        [(10.10, None, None), (10.00, None, None), (10.05, None, None), (10.10, 9.0, 9.5)],
        seconds=[5.0, 10.0, 20.0, 30.0],
    )
    name = "SPY260320C00500000"
    quotes = _quotes(
        [
            (4.2, name, 10.00, 10.10),  # 0.8 s before print 1
            (10.0, name, 10.00, 10.20),  # exact timestamp of print 2 (allowed)
            (18.5, name, 10.00, 10.10),  # 1.5 s before print 3: stale
            (20.5, name, 10.00, 10.05),  # after print 3: never used (backward)
            (4.9, "OTHER", 10.20, 10.30),  # another contract
        ]
    )
    out = classify_options(prints, quotes).sort("ts").collect()
    assert out["quote_source"].cast(pl.String).to_list() == ["quotes", "quotes", "stale", "print"]
    assert out["side"].cast(pl.String).to_list() == ["BUY", "SELL", "UNKNOWN", "BUY"]
    assert out["side_detail"][2] == "stale quote"
    assert out["bid"].to_list() == [10.00, 10.00, None, 9.0]  # the print's own quote wins


def test_stale_quote_beyond_a_custom_tolerance() -> None:
    prints = _prints([(10.10, None, None)], seconds=[5.0])
    quotes = _quotes([(4.5, "SPY260320C00500000", 10.00, 10.10)])
    strict_age = SideParams(quote_max_age_seconds=0.25)
    out = classify_options(prints, quotes, params=strict_age).collect()
    assert (out["side"][0], out["side_detail"][0]) == ("UNKNOWN", "stale quote")
    assert classify_options(prints, quotes).collect()["side"][0] == "BUY"


def test_no_quote_at_all() -> None:
    prints = _prints([(10.10, None, None)])
    quotes = _quotes([(9.0, "SPY260320C00500000", 10.00, 10.10)])  # only later quotes
    out = attach_nbbo(prints, quotes, key="osi").collect()
    assert out["quote_source"][0] == "none"
    assert classify_options(prints, quotes).collect()["side_detail"][0] == "no quote"


def test_dark_prints_join_quotes_on_symbol_and_tick_fallback_is_optional() -> None:
    prints = _prints(
        [(50.00, 49.99, 50.01), (50.02, None, None), (50.01, 50.00, 50.02)],
        key="symbol",
        name="XOM",
    )
    quotes = _quotes([(0.5, "XOM", 50.00, 50.04)])
    plain = classify_dark(prints, quotes).sort("ts").collect()
    assert plain["side"].cast(pl.String).to_list() == ["UNKNOWN", "UNKNOWN", "UNKNOWN"]
    assert plain["side_detail"].cast(pl.String).to_list() == ["mid", "mid", "mid"]
    fallback = SideParams(dark_tick_fallback=True)
    ticked = classify_dark(prints, quotes, params=fallback).sort("ts").collect()
    # first print: no P* → stays UNKNOWN; then 50.02 > 50.00 up, 50.01 < 50.02 down
    assert ticked["side"].cast(pl.String).to_list() == ["UNKNOWN", "BUY", "SELL"]
    assert ticked["side_detail"].cast(pl.String).to_list() == ["mid", "tick up", "tick down"]


def test_params_are_validated_and_named_for_settings() -> None:
    assert SETTINGS_SECTION == "sides"
    with pytest.raises(ValueError, match="mode"):
        SideParams(mode="loose")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="band"):
        SideParams(lower_band=0.8, upper_band=0.7)


def test_quote_exactly_max_age_old_is_still_fresh() -> None:
    prints = _prints([(10.10, None, None)], seconds=[5.0])
    quotes = _quotes([(4.0, "SPY260320C00500000", 10.00, 10.10)])
    assert classify_options(prints, quotes).collect()["quote_source"][0] == "quotes"


def test_streaming_engine_and_categorical_keys() -> None:
    prints = _prints(VECTOR).with_columns(pl.col("osi").cast(pl.Categorical))
    quotes = _quotes([(5.5, "SPY260320C00500000", 10.00, 10.10)]).with_columns(
        pl.col("key").cast(pl.Categorical)
    )
    out = classify_options(prints, quotes).sort("ts").collect(engine="streaming")
    # print 7 (10.11, no quote of its own) takes the 0.5 s old quote: above the ask → BUY
    assert out["side"].cast(pl.String).to_list() == [*EXPECTED_SIDE[:6], "BUY", *EXPECTED_SIDE[7:]]
