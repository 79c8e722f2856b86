"""Display formatting (METHODOLOGY §0, §2.6): half-up rounding, sign from the rounded value."""

from __future__ import annotations

import math

import polars as pl
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from flowterm.core import fmt

# §2.6 fixture: unrounded side totals that reproduce every figure the report displays.
CB, CS, PB, PS = 4.0147e9, 4.0577e9, 2.8946e9, 2.4296e9


def test_side_totals_render_as_the_report() -> None:
    assert [fmt.money(x) for x in (CB, CS, PB, PS)] == ["4.015B", "4.058B", "2.895B", "2.430B"]
    bullish, bearish = CB + PS, CS + PB
    assert fmt.money(bullish) == "6.444B"
    assert fmt.money(bearish) == "6.952B"
    assert fmt.money(bullish - bearish) == "−508.0M"


def test_summing_rendered_parts_is_the_wrong_path() -> None:
    shown_cb, shown_ps = float(fmt.money(CB)[:-1]), float(fmt.money(PS)[:-1])
    assert fmt.money((shown_cb + shown_ps) * 1e9) == "6.445B"  # not the report's 6.444B
    shown_cs, shown_pb = float(fmt.money(CS)[:-1]), float(fmt.money(PB)[:-1])
    assert fmt.money((shown_cs + shown_pb) * 1e9) == "6.953B"


def test_half_up_where_half_to_even_differs() -> None:
    assert fmt.num(6572.5, 0) == "6573"
    assert fmt.num(30.25, 1) == "30.3"
    assert fmt.num(-6572.5, 0) == "−6573"  # half away from zero
    assert fmt.num(2.5, 0) == "3"
    # Polars' default rounding would print 6572 and 30.2 (§0); the expression twin does not.
    frame = pl.DataFrame({"x": [6572.5, 30.25]})
    assert frame["x"].round(0).to_list()[0] == 6572.0
    got = frame.select(
        fmt.round_half_up(pl.col("x"), 0).alias("a"), fmt.round_half_up(pl.col("x"), 1).alias("b")
    )
    assert got["a"][0] == 6573.0
    assert got["b"][1] == 30.3


def test_decimal_ties_round_as_written() -> None:
    # 1.005 and 2.675 are just below the tie in binary; the display rounds them as written.
    assert fmt.num(1.005, 2) == "1.01"
    assert fmt.num(2.675, 2) == "2.68"
    got = pl.select(fmt.round_half_up(pl.lit(pl.Series([1.005, 2.675])), 2)).to_series()
    assert got.to_list() == [1.01, 2.68]


def test_sign_comes_from_the_rounded_value() -> None:
    assert fmt.num(-0.0147, 1) == "0.0"
    assert fmt.num(-0.0147, 1, signed=True) == "0.0"
    assert fmt.num(-0.06, 1) == "−0.1"
    assert fmt.pct(-0.00004) == "0.00 %"
    assert fmt.money(-0.4) == "0"
    assert fmt.rounded(-0.0147, 1) == 0.0
    assert math.copysign(1.0, fmt.rounded(-0.0147, 1)) == 1.0
    zero = pl.select(fmt.round_half_up(pl.lit(-0.0147), 1)).item()
    assert math.copysign(1.0, zero) == 1.0


def test_minus_is_u2212() -> None:
    assert fmt.MINUS == "\u2212"
    assert fmt.num(-3.0) == "\u22123"
    assert "-" not in fmt.money(-508.0e6)


def test_percent() -> None:
    assert fmt.pct(-0.000103) == "−0.01 %"
    assert fmt.pct(-0.061847) == "−6.18 %"
    assert fmt.pct(0.4406) == "+44.06 %"
    assert fmt.pct(0.4406, signed=False) == "44.06 %"
    assert fmt.pct(0.620278, 2, signed=False) == "62.03 %"
    assert fmt.pct(0.0) == "0.00 %"


def test_money_units_and_decimals() -> None:
    assert fmt.money(6.4443e9) == "6.444B"
    assert fmt.money(-508.0e6) == "−508.0M"
    assert fmt.money(25_000) == "25.0K"
    assert fmt.money(999.4) == "999"
    assert fmt.money(1.2e9, signed=True) == "+1.200B"
    assert fmt.money(1.2e9, signed=True, decimals=1) == "+1.2B"
    assert fmt.money(0.0, signed=True) == "0"


def test_money_moves_up_a_unit_when_rounding_reaches_1000() -> None:
    assert fmt.money(999.96e6) == "1.000B"
    assert fmt.money(999_960.0) == "1.0M"
    assert fmt.money(999.6) == "1.0K"
    assert fmt.money(-999.96e6) == "−1.000B"


def test_missing_and_infinite() -> None:
    for f in (fmt.num, fmt.pct, fmt.money, fmt.ratio):
        assert f(None) == fmt.MISSING
        assert f(float("nan")) == fmt.MISSING
    assert fmt.MISSING == "—"
    assert fmt.num(float("inf")) == "∞"
    assert fmt.num(float("-inf")) == "−∞"


def test_ratio_and_flags() -> None:
    assert fmt.ratio(618.0) == "618:1"
    assert fmt.ratio(599.2857, 1) == "599.3:1"
    assert fmt.NOT_MEANINGFUL == "n/m"
    assert fmt.INFINITE_AT_CEILING == "∞ (at ceiling)"


def test_counts_and_history() -> None:
    assert fmt.versus(5, 9) == "5 vs 9"
    assert fmt.versus(None, 9) == fmt.MISSING
    assert fmt.history([(16, 7), (14, 10), (13, 11)]) == "16v7 → 14v10 → 13v11"
    assert fmt.history([]) == fmt.MISSING


def test_displayed_pct_expression() -> None:
    got = pl.select(
        fmt.displayed_pct(pl.lit(pl.Series([-0.000103, -0.061847, 0.4406])))
    ).to_series()
    assert got.to_list() == [-0.01, -6.18, 44.06]


@settings(derandomize=True)
@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False), st.integers(0, 4))
def test_scalar_and_expression_rounding_agree(value: float, decimals: int) -> None:
    # Up to 12 significant digits at the rounding position. Past that a float has no digits left
    # to round, and the scalar (15 digits of x) and the expression (15 digits of x·10^n) may
    # differ in the last place.
    assume(abs(value) * 10.0**decimals < 1e12)
    expr = pl.select(fmt.round_half_up(pl.lit(value, pl.Float64), decimals)).item()
    assert fmt.num(expr, decimals) == fmt.num(value, decimals)


@given(st.floats(min_value=-1e15, max_value=1e15, allow_nan=False))
def test_never_a_negative_zero_or_ascii_minus(value: float) -> None:
    for text in (fmt.num(value, 1), fmt.pct(value / 1e15), fmt.money(value)):
        assert "-" not in text
        stripped = text.removeprefix(fmt.MINUS).rstrip(" %BMK")
        if text.startswith(fmt.MINUS):
            assert float(stripped) != 0.0


@pytest.mark.parametrize("value", [0.5, 1.5, 2.5, -0.5, -2.5])
def test_halves_go_away_from_zero(value: float) -> None:
    expected = math.copysign(math.floor(abs(value) + 0.5), value)
    assert fmt.rounded(value, 0) == expected
