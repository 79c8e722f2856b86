"""The sample market's symbols: sector, price level, factor loadings, liquidity and option grids."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class Symbol:
    """One bar symbol and the parameters that drive its simulated history and tape."""

    name: str
    sector: str
    #: Close on the first session (0: the history comes from anchors instead).
    first_close: float
    #: Close on the last session (2026-04-08); the history is built backwards from it.
    last_close: float
    #: Loading on the market factor and on the symbol's sector factor.
    beta: float
    sector_beta: float
    #: Idiosyncratic daily volatility (decimal) in calm markets.
    idio_vol: float
    #: Typical daily share volume (0 for indexes without volume).
    volume: float
    #: Kind: "index" (no shares trade), "etf" or "stock".
    kind: str = "stock"
    #: Extra loadings: on oil (WTI) returns, on 10Y yield changes (per 1.00 = 100 bp), on DXY.
    oil_beta: float = 0.0
    rate_beta: float = 0.0
    dollar_beta: float = 0.0


_S = Symbol

SYMBOLS: Final[tuple[Symbol, ...]] = (
    _S("SPX", "Index", 0.0, 6783.0, 1.0, 0.0, 0.0, 4.6e9, "index"),
    _S("SPY", "Index", 0.0, 678.0, 1.0, 0.0, 0.0, 7.8e7, "etf"),
    _S("QQQ", "Index", 526.0, 608.0, 1.15, 0.45, 0.003, 5.6e7, "etf"),
    _S("IWM", "Index", 216.0, 259.0, 1.12, 0.0, 0.006, 3.9e7, "etf"),
    _S("VIX", "Volatility", 0.0, 23.5, 0.0, 0.0, 0.0, 0.0, "index"),
    _S("DXY", "Currency", 0.0, 99.6, 0.0, 0.0, 0.0, 0.0, "index"),
    _S("HYG", "Credit", 79.8, 79.2, 0.16, 0.0, 0.0015, 4.2e7, "etf", rate_beta=-4.0),
    _S("TLT", "Rates", 89.5, 86.1, 0.0, 0.0, 0.0025, 3.4e7, "etf", rate_beta=-16.5),
    _S("GLD", "Metals", 0.0, 429.0, 0.05, 0.0, 0.009, 1.1e7, "etf", dollar_beta=-1.1),
    _S("SLV", "Metals", 0.0, 66.5, 0.2, 0.0, 0.018, 2.9e7, "etf", dollar_beta=-1.5),
    _S("USO", "Commodities", 74.8, 93.8, 0.1, 0.0, 0.004, 6.5e6, "etf", oil_beta=1.0),
    _S("XLU", "Utilities", 78.6, 86.4, 0.45, 0.6, 0.004, 1.2e7, "etf", rate_beta=-3.0),
    _S("XLK", "Technology", 228.0, 281.0, 1.2, 0.8, 0.003, 7.5e6, "etf"),
    _S("XLF", "Financials", 51.4, 52.6, 1.0, 0.7, 0.003, 3.9e7, "etf"),
    _S("XLE", "Energy", 92.5, 104.0, 0.6, 0.6, 0.004, 1.7e7, "etf", oil_beta=0.3),
    _S("XLV", "Health Care", 146.0, 148.5, 0.6, 0.7, 0.004, 9.0e6, "etf"),
    _S("XLI", "Industrials", 137.0, 152.0, 1.0, 0.7, 0.003, 1.0e7, "etf"),
    _S("XLY", "Consumer Discretionary", 221.0, 226.0, 1.15, 0.7, 0.004, 4.6e6, "etf"),
    _S("XLP", "Consumer Staples", 82.3, 80.4, 0.45, 0.7, 0.004, 1.1e7, "etf"),
    _S("XLB", "Materials", 89.4, 91.0, 0.95, 0.7, 0.004, 6.5e6, "etf"),
    _S("XLRE", "Real Estate", 42.7, 41.8, 0.8, 0.7, 0.004, 6.0e6, "etf", rate_beta=-2.5),
    _S("XLC", "Communication Services", 101.0, 111.0, 1.05, 0.7, 0.004, 5.0e6, "etf"),
    _S("NVDA", "Technology", 131.3, 186.4, 1.7, 1.0, 0.018, 1.9e8),
    _S("MSFT", "Technology", 399.7, 391.5, 1.05, 0.8, 0.011, 2.4e7),
    _S("AAPL", "Technology", 240.4, 256.8, 1.0, 0.7, 0.011, 5.2e7),
    _S("AMZN", "Consumer Discretionary", 212.3, 213.9, 1.25, 0.8, 0.014, 4.6e7),
    _S("META", "Communication Services", 668.2, 604.2, 1.3, 0.8, 0.016, 1.4e7),
    _S("GOOGL", "Communication Services", 172.7, 301.7, 1.15, 0.8, 0.014, 3.3e7),
    _S("AVGO", "Technology", 199.3, 338.6, 1.6, 1.0, 0.019, 2.6e7),
    _S("TSLA", "Consumer Discretionary", 290.8, 384.2, 1.9, 0.6, 0.028, 1.0e8),
    _S("PLTR", "Technology", 104.5, 148.7, 2.0, 0.9, 0.027, 6.8e7),
    _S("RKLB", "Industrials", 22.4, 64.3, 2.1, 0.5, 0.034, 2.4e7),
    _S("JPM", "Financials", 258.9, 298.4, 1.05, 0.9, 0.010, 9.5e6),
    _S("BRK.B", "Financials", 508.1, 489.6, 0.6, 0.6, 0.007, 4.4e6),
    _S("PG", "Consumer Staples", 166.2, 151.3, 0.35, 0.8, 0.008, 7.6e6),
    _S("ABBV", "Health Care", 205.6, 214.7, 0.5, 0.8, 0.012, 6.3e6),
    _S("LLY", "Health Care", 871.4, 903.0, 0.75, 0.8, 0.017, 3.5e6),
    _S("MU", "Technology", 95.2, 392.0, 1.9, 1.0, 0.027, 2.8e7),
    _S("XOM", "Energy", 109.8, 141.2, 0.45, 0.8, 0.009, 1.8e7, oil_beta=0.22),
    _S("CVX", "Energy", 156.2, 188.4, 0.5, 0.8, 0.009, 8.7e6, oil_beta=0.24),
    _S("ORCL", "Technology", 166.1, 162.3, 1.5, 0.8, 0.024, 2.1e7),
    _S("INTC", "Technology", 23.2, 45.6, 1.4, 0.8, 0.027, 9.8e7),
    _S("AMD", "Technology", 108.9, 221.4, 1.8, 1.0, 0.024, 4.3e7),
    _S("CEG", "Utilities", 287.5, 301.5, 1.2, 0.6, 0.026, 3.4e6),
    _S("CRWD", "Technology", 402.6, 418.0, 1.4, 0.8, 0.02, 3.1e6),
    _S("ADBE", "Technology", 443.1, 282.5, 1.05, 0.8, 0.016, 3.9e6),
    _S("UNH", "Health Care", 497.7, 292.0, 0.55, 0.7, 0.018, 9.8e6),
)

BY_NAME: Final[dict[str, Symbol]] = {s.name: s for s in SYMBOLS}

#: Symbols with no tradable shares (no dark-pool prints, no FINRA short-volume row).
NO_SHARES: Final = frozenset({"SPX", "VIX", "DXY"})

#: Sector names that get their own return factor.
SECTOR_FACTORS: Final = (
    "Technology",
    "Communication Services",
    "Consumer Discretionary",
    "Financials",
    "Energy",
    "Health Care",
    "Industrials",
    "Consumer Staples",
    "Materials",
    "Real Estate",
    "Utilities",
)

#: Underlyings with a closing chain snapshot in every session folder.
CHAIN_UNDERLYINGS: Final = ("SPX", "SPY", "QQQ", "IWM", "NVDA", "TSLA", "AAPL")

#: The four index products whose weekly zone is calibrated (SCENARIO.md).
ZONE_INDEXES: Final = ("SPX", "SPY", "QQQ", "IWM")


def strike_step(underlying: str, price: float) -> float:
    """Listed strike spacing near the money."""
    if underlying == "SPX":
        return 5.0
    if underlying in ("SPY", "QQQ", "IWM", "GLD"):
        return 1.0
    if price < 30:
        return 0.5
    if price < 120:
        return 1.0
    if price < 300:
        return 2.5
    if price < 600:
        return 5.0
    return 10.0


def wide_step(underlying: str, price: float) -> float:
    """Strike spacing away from the money (used by the chain snapshots beyond the near band)."""
    if underlying == "SPX":
        return 25.0
    if underlying in ("SPY", "QQQ"):
        return 5.0
    if underlying == "IWM":
        return 2.0
    return 2 * strike_step(underlying, price)
