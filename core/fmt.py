"""Display formatting shared by every surface (METHODOLOGY §0).

Rules, in one place so every tab, the headless report and the tests agree:

- Rounding is ROUND_HALF_UP (half away from zero), never Python's or Polars' default half-to-even.
  A float is first read at 15 significant digits (as a spreadsheet does), so a value whose decimal
  form is a tie rounds as written: ``1.005`` → ``1.01`` although its binary value is 1.00499….
- The sign comes from the rounded value: ``−0.0147`` at 1 dp prints ``0.0``, never ``−0.0``.
- The minus sign is U+2212 ``−``; a forced plus sign is ``+``; zero carries no sign.
- A missing value (``None`` or NaN) prints ``MISSING`` (an em dash); ±infinity prints ``∞``/``−∞``.
- Money is USD with a suffix chosen by magnitude: B (1e9) with 3 decimals, M (1e6) with 1, K (1e3)
  with 1, below 1000 with none. When rounding carries a figure to 1000 of its unit it moves up one
  unit (999.96M → ``1.000B``).
- Percentages are stored as fractions and printed ×100 with a space before the unit: ``−0.01 %``.

Only rendering rounds; callers keep every intermediate unrounded (§0, §2.6).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Final

import polars as pl

#: What a missing value prints as (an em dash, narrower than "n/a" in a table cell).
MISSING: Final = "—"
#: The minus sign (U+2212), as the report prints it.
MINUS: Final = "\u2212"
#: A ratio whose denominator is too small for the ratio to mean anything (§4.4 analytic mode).
NOT_MEANINGFUL: Final = "n/m"
#: The zone asymmetry ratio when the displayed upside room is 0.00 % (§4.4 parity mode).
INFINITE_AT_CEILING: Final = "∞ (at ceiling)"
#: Significant digits a float is read at before rounding (spreadsheets use 15).
SIGNIFICANT_DIGITS: Final = 15

_MONEY_UNITS: Final = (
    (Decimal(10) ** 9, "B", 3),
    (Decimal(10) ** 6, "M", 1),
    (Decimal(1000), "K", 1),
    (Decimal(1), "", 0),
)
#: Wide enough that quantising any finite float to a few decimals never overflows the context.
_CONTEXT: Final = Context(prec=400)


def _decimal(value: float) -> Decimal:
    """``value`` as a Decimal at ``SIGNIFICANT_DIGITS`` significant digits."""
    return Decimal(f"{value:.{SIGNIFICANT_DIGITS}g}")


def _half_up(exact: Decimal, decimals: int) -> Decimal:
    return exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP, context=_CONTEXT)


def quantize(value: float, decimals: int) -> Decimal:
    """``value`` rounded half away from zero to ``decimals`` places (may be negative zero)."""
    return _half_up(_decimal(value), decimals)


def rounded(value: float, decimals: int) -> float:
    """``value`` rounded half away from zero, as a float (for figures computed from displays)."""
    return float(quantize(value, decimals)) + 0.0  # + 0.0 turns −0.0 into 0.0


def _special(value: float | None) -> str | None:
    """The text of a missing or infinite value, or None for a finite number."""
    if value is None or math.isnan(value):
        return MISSING
    if math.isinf(value):
        return "∞" if value > 0 else f"{MINUS}∞"
    return None


def _signed(q: Decimal, *, signed: bool) -> str:
    """A rounded figure with its sign taken from the rounded value."""
    body = format(abs(q), "f")
    if q.is_zero():
        return body
    if q < 0:
        return MINUS + body
    return "+" + body if signed else body


def num(value: float | None, decimals: int = 0, *, signed: bool = False) -> str:
    """A plain number: ``num(6572.5, 0) == "6573"``, ``num(30.25, 1) == "30.3"``."""
    special = _special(value)
    if special is not None or value is None:
        return special or MISSING
    return _signed(quantize(value, decimals), signed=signed)


def pct(fraction: float | None, decimals: int = 2, *, signed: bool = True) -> str:
    """A fraction as a percentage: ``pct(-0.000103) == "−0.01 %"``, ``pct(0.4406) == "+44.06 %"``.

    ``signed=False`` drops the plus sign (a minus is always shown)."""
    special = _special(fraction)
    if special is not None or fraction is None:
        return special or MISSING
    q = _half_up(_decimal(fraction).scaleb(2), decimals)
    return _signed(q, signed=signed) + " %"


def money(usd: float | None, *, signed: bool = False, decimals: int | None = None) -> str:
    """USD with a B/M/K suffix: ``money(6.4443e9) == "6.444B"``, ``money(-508.0e6) == "−508.0M"``.

    ``signed=True`` prints a plus on positive figures (``"+1.200B"``); ``decimals`` overrides the
    unit's default (B 3, M 1, K 1, units 0)."""
    special = _special(usd)
    if special is not None or usd is None:
        return special or MISSING
    exact = _decimal(usd)
    last = len(_MONEY_UNITS) - 1
    index = next(
        i for i, (scale, _, _) in enumerate(_MONEY_UNITS) if abs(exact) >= scale or i == last
    )
    while True:
        scale, suffix, default_dp = _MONEY_UNITS[index]
        q = _half_up(exact / scale, default_dp if decimals is None else decimals)
        if index == 0 or abs(q) < 1000:
            return _signed(q, signed=signed) + suffix
        index -= 1  # rounding carried the figure to 1000 of its unit: print it in the next unit


def ratio(value: float | None, decimals: int = 0) -> str:
    """An "x to 1" ratio: ``ratio(618.0) == "618:1"``, ``ratio(599.29, 1) == "599.3:1"``."""
    special = _special(value)
    if special is not None or value is None:
        return special or MISSING
    return num(value, decimals) + ":1"


def versus(bullish: int | None, bearish: int | None) -> str:
    """A count pair as the report writes it: ``versus(5, 9) == "5 vs 9"``."""
    if bullish is None or bearish is None:
        return MISSING
    return f"{bullish} vs {bearish}"


def history(pairs: Iterable[tuple[int, int]]) -> str:
    """Successive count pairs, oldest first: ``"16v7 → 14v10 → 13v11"``."""
    text = " → ".join(f"{a}v{b}" for a, b in pairs)
    return text or MISSING


def round_half_up(expr: pl.Expr, decimals: int) -> pl.Expr:
    """Polars twin of ``quantize``: round half away from zero after reading the scaled value at
    ``SIGNIFICANT_DIGITS`` significant digits, so columns and rendered text agree on ties."""
    scale = 10.0**decimals
    scaled = (expr * scale).round_sig_figs(SIGNIFICANT_DIGITS)
    return scaled.round(0, mode="half_away_from_zero") / scale + 0.0


def displayed_pct(expr: pl.Expr, decimals: int = 2) -> pl.Expr:
    """A fraction column as the percentage number ``pct`` would print (for report parity)."""
    return round_half_up(expr * 100.0, decimals)
