"""Black–Scholes with r = q = 0 (METHODOLOGY §6.1): price, delta and gamma per 1 point."""

from __future__ import annotations

import math

_SQRT2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def norm_cdf(x: float) -> float:
    """Standard normal distribution function."""
    return 0.5 * math.erfc(-x / _SQRT2)


def norm_pdf(x: float) -> float:
    """Standard normal density."""
    return _INV_SQRT_2PI * math.exp(-0.5 * x * x)


def price(spot: float, strike: float, years: float, vol: float, right: str) -> float:
    """Option value; intrinsic value when ``years`` or ``vol`` is not positive."""
    if years <= 0.0 or vol <= 0.0:
        return max(spot - strike, 0.0) if right == "C" else max(strike - spot, 0.0)
    sd = vol * math.sqrt(years)
    d1 = math.log(spot / strike) / sd + 0.5 * sd
    d2 = d1 - sd
    if right == "C":
        return spot * norm_cdf(d1) - strike * norm_cdf(d2)
    return strike * norm_cdf(-d2) - spot * norm_cdf(-d1)


def greeks(spot: float, strike: float, years: float, vol: float, right: str) -> tuple[float, float]:
    """``(delta, gamma)``; gamma is per 1 point of the underlying and 0 at or after expiry."""
    if years <= 0.0 or vol <= 0.0:
        itm = spot > strike if right == "C" else spot < strike
        return ((1.0 if right == "C" else -1.0) if itm else 0.0), 0.0
    sd = vol * math.sqrt(years)
    d1 = math.log(spot / strike) / sd + 0.5 * sd
    gamma = norm_pdf(d1) / (spot * sd)
    delta = norm_cdf(d1) if right == "C" else norm_cdf(d1) - 1.0
    return delta, gamma


def price_greeks(
    spot: float, strike: float, years: float, vol: float, right: str
) -> tuple[float, float, float]:
    """``(price, delta, gamma)`` in one pass (same conventions as ``price`` and ``greeks``)."""
    if years <= 0.0 or vol <= 0.0:
        delta, gamma = greeks(spot, strike, years, vol, right)
        return price(spot, strike, years, vol, right), delta, gamma
    sd = vol * math.sqrt(years)
    d1 = math.log(spot / strike) / sd + 0.5 * sd
    d2 = d1 - sd
    n1 = norm_cdf(d1)
    gamma = norm_pdf(d1) / (spot * sd)
    if right == "C":
        return spot * n1 - strike * norm_cdf(d2), n1, gamma
    return strike * norm_cdf(-d2) - spot * (1.0 - n1), n1 - 1.0, gamma
