"""The story the sample market tells (data/SCENARIO.md): anchors, explicit moves and flow profiles.

The history is simulated (factor model, volatility clustering) but pinned to the levels below, and
the last sessions are set explicitly so the analysis finds the documented figures for any seed.
"""

from __future__ import annotations

from datetime import date
from typing import Final

LAST_SESSION: Final = date(2026, 4, 8)
SESSION_COUNT: Final = 280
#: Sessions with a folder of tape data (prints, chains, short volume, intraday bars).
TAPE_SESSIONS: Final = (
    date(2026, 4, 1),
    date(2026, 4, 2),
    date(2026, 4, 6),
    date(2026, 4, 7),
    date(2026, 4, 8),
)
#: Weekly zone: anchored at the prior week's last close, EM from that close's chain.
ZONE_ANCHOR: Final = date(2026, 4, 2)
ZONE_EXPIRY: Final = date(2026, 4, 10)
EM_FACTOR: Final = 0.85
AT_TOLERANCE: Final = 0.001
#: Where each index's 04-08 close sits relative to its zone high: close = high × (1 + offset).
ZONE_CLOSE_OFFSET: Final[dict[str, float]] = {
    "SPX": 0.00012,
    "SPY": -0.00015,
    "QQQ": 0.0002,
    "IWM": 0.00008,
}


def _d(text: str) -> date:
    return date.fromisoformat(text)


def _anchors(pairs: dict[str, float]) -> dict[date, float]:
    return {_d(k): v for k, v in pairs.items()}


#: S&P 500 closes the simulated market factor passes through (log-space Brownian bridges between).
SPX_ANCHORS: Final = _anchors(
    {
        "2025-02-26": 5956.1,
        "2025-03-13": 5521.5,
        "2025-03-25": 5776.7,
        "2025-04-08": 4982.8,
        "2025-04-24": 5484.8,
        "2025-05-13": 5886.6,
        "2025-06-20": 5967.8,
        "2025-07-31": 6339.4,
        "2025-08-29": 6460.3,
        "2025-10-08": 6753.7,
        "2025-10-28": 6890.9,
        "2025-11-20": 6538.8,
        "2025-12-11": 6886.7,
        "2026-01-27": 6978.6,
        "2026-02-13": 6836.2,
        "2026-02-27": 6879.0,
        "2026-03-09": 6741.5,
        "2026-03-20": 6506.5,
        "2026-03-30": 6343.7,
        "2026-03-31": 6459.4,
        "2026-04-01": 6522.6,
        "2026-04-02": 6575.3,
    }
)
#: SPX close-to-close returns of the last three sessions (the relief rally is the last one).
SPX_LAST_RETURNS: Final = {
    _d("2026-04-06"): 0.0042,
    _d("2026-04-07"): 0.0006,
    _d("2026-04-08"): 0.0252,
}
#: Explicit close-to-close returns of other symbols on the tape sessions.
EXPLICIT_RETURNS: Final[dict[str, dict[date, float]]] = {
    "QQQ": {_d("2026-04-06"): 0.0055, _d("2026-04-07"): 0.0002, _d("2026-04-08"): 0.0268},
    "IWM": {_d("2026-04-06"): 0.0062, _d("2026-04-07"): 0.0021, _d("2026-04-08"): 0.0261},
    "XOM": {
        _d("2026-04-01"): -0.0061,
        _d("2026-04-02"): 0.0093,
        _d("2026-04-06"): 0.0031,
        _d("2026-04-07"): 0.0048,
        _d("2026-04-08"): -0.0197,
    },
    "CEG": {
        _d("2026-04-01"): 0.0121,
        _d("2026-04-02"): -0.0079,
        _d("2026-04-06"): 0.0088,
        _d("2026-04-07"): 0.0043,
        _d("2026-04-08"): 0.0312,
    },
    "META": {
        _d("2026-04-01"): 0.0134,
        _d("2026-04-02"): 0.0021,
        _d("2026-04-06"): -0.0032,
        _d("2026-04-07"): -0.0051,
        _d("2026-04-08"): 0.0186,
    },
    "HYG": {_d("2026-04-08"): 0.0071},
    "NVDA": {_d("2026-04-08"): 0.0341},
    "GOOGL": {_d("2026-04-08"): 0.0287},
    "AVGO": {_d("2026-04-08"): 0.0412},
    "AAPL": {_d("2026-04-08"): 0.0218},
    "AMZN": {_d("2026-04-08"): 0.0306},
    "TSLA": {_d("2026-04-08"): 0.0463},
    "MSFT": {_d("2026-04-08"): 0.0149},
    "RKLB": {_d("2026-04-08"): 0.0122},
    "GLD": {_d("2026-04-08"): 0.0151},
}
#: Opening gaps (open / previous close − 1) of the market factor on the tape sessions.
MARKET_GAPS: Final = {
    _d("2026-04-01"): 0.0046,
    _d("2026-04-02"): -0.0091,
    _d("2026-04-06"): 0.0005,
    _d("2026-04-07"): -0.0031,
    _d("2026-04-08"): 0.0196,
}

VIX_ANCHORS: Final = _anchors(
    {
        "2025-02-26": 19.1,
        "2025-03-13": 24.5,
        "2025-03-25": 17.5,
        "2025-04-08": 46.2,
        "2025-04-24": 26.5,
        "2025-05-13": 18.2,
        "2025-07-31": 16.3,
        "2025-10-10": 21.1,
        "2025-11-20": 23.7,
        "2025-12-11": 16.0,
        "2026-01-27": 15.4,
        "2026-02-27": 17.8,
        "2026-03-20": 27.6,
        "2026-03-30": 31.4,
        "2026-04-01": 28.4,
        "2026-04-02": 27.9,
        "2026-04-06": 28.6,
        "2026-04-07": 29.8,
    }
)
#: VIX close-to-close change on the last session.
VIX_LAST_CHANGE: Final = -0.21

DXY_ANCHORS: Final = _anchors(
    {
        "2025-02-26": 106.4,
        "2025-04-21": 98.3,
        "2025-06-30": 96.9,
        "2025-09-16": 96.7,
        "2025-11-05": 99.2,
        "2026-01-27": 97.1,
        "2026-02-27": 99.3,
        "2026-03-04": 100.45,
        "2026-03-20": 102.12,
        "2026-03-31": 101.58,
        "2026-04-07": 99.96,
        "2026-04-08": 99.62,
    }
)
#: First close of the run of DXY closes above 100 that ends two sessions before the last: the
#: dollar closes at or below 100 on 04-07 and 04-08, so the metals HARD BLOCK (released after
#: two consecutive closes ≤ 100, METHODOLOGY §8.3) lifts on the last session.
DXY_RUN_START: Final = date(2026, 3, 4)
DXY_LEVEL: Final = 100.0

WTI_ANCHORS: Final = _anchors(
    {
        "2025-02-26": 68.6,
        "2025-04-08": 58.9,
        "2025-05-05": 57.3,
        "2025-06-20": 74.9,
        "2025-07-15": 66.5,
        "2025-10-20": 57.8,
        "2025-12-15": 56.5,
        "2026-01-27": 60.8,
        "2026-02-27": 67.2,
        "2026-03-09": 81.5,
        "2026-03-20": 93.4,
        "2026-03-31": 96.8,
        "2026-04-02": 99.1,
        "2026-04-06": 97.6,
        "2026-04-07": 98.7,
    }
)
WTI_LAST_CHANGE: Final = -0.13

US10Y_ANCHORS: Final = _anchors(
    {
        "2025-02-26": 4.28,
        "2025-04-04": 4.00,
        "2025-04-11": 4.49,
        "2025-05-21": 4.59,
        "2025-09-16": 4.03,
        "2025-12-10": 4.15,
        "2026-01-27": 4.22,
        "2026-02-27": 4.02,
        "2026-03-20": 4.41,
        "2026-04-02": 4.33,
        "2026-04-06": 4.36,
        "2026-04-07": 4.38,
        "2026-04-08": 4.42,
    }
)
US2Y_ANCHORS: Final = _anchors(
    {
        "2025-02-26": 4.07,
        "2025-04-04": 3.66,
        "2025-04-11": 3.96,
        "2025-05-21": 4.00,
        "2025-09-16": 3.51,
        "2025-12-10": 3.52,
        "2026-01-27": 3.56,
        "2026-02-27": 3.40,
        "2026-03-20": 3.97,
        "2026-04-02": 3.91,
        "2026-04-06": 3.93,
        "2026-04-07": 3.95,
        "2026-04-08": 3.96,
    }
)
GLD_ANCHORS: Final = _anchors(
    {
        "2025-02-26": 268.0,
        "2025-04-21": 314.6,
        "2025-07-31": 304.8,
        "2025-10-20": 399.5,
        "2025-11-05": 366.2,
        "2026-01-27": 461.7,
        "2026-03-02": 487.9,
        "2026-03-20": 441.3,
        "2026-04-02": 427.8,
        "2026-04-07": 422.6,
    }
)
SLV_ANCHORS: Final = _anchors(
    {
        "2025-02-26": 29.1,
        "2025-07-31": 33.6,
        "2025-10-20": 45.2,
        "2026-01-27": 78.4,
        "2026-03-02": 72.3,
        "2026-04-07": 64.9,
        "2026-04-08": 66.5,
    }
)

#: Share-volume multipliers of single sessions (a quiet post-holiday Monday, a busy rally).
VOLUME_FACTOR: Final = {_d("2026-04-06"): 0.62, _d("2026-04-08"): 1.3}
#: Market-factor daily volatility by regime (start date of each regime).
VOL_REGIMES: Final = (
    (_d("2025-02-26"), 0.011),
    (_d("2025-04-01"), 0.026),
    (_d("2025-05-01"), 0.011),
    (_d("2025-06-01"), 0.0065),
    (_d("2025-11-01"), 0.010),
    (_d("2025-12-01"), 0.0075),
    (_d("2026-03-02"), 0.0155),
)
#: Target stdev of the SPX log returns of the 20 sessions before the last (fast-tape guard).
SPX_SIGMA20_TARGET: Final = 0.0152

#: ISM releases (first trading day of the month): (year, month, PMI, prices paid).
ISM: Final = (
    (2025, 3, 50.3, 62.4),
    (2025, 4, 49.0, 69.4),
    (2025, 5, 48.7, 69.8),
    (2025, 6, 48.5, 69.4),
    (2025, 7, 49.0, 69.7),
    (2025, 8, 48.0, 64.8),
    (2025, 9, 48.7, 63.7),
    (2025, 10, 49.1, 61.9),
    (2025, 11, 48.7, 58.0),
    (2025, 12, 48.2, 58.5),
    (2026, 1, 47.9, 58.5),
    (2026, 2, 52.6, 59.0),
    (2026, 3, 50.4, 62.1),
    (2026, 4, 48.7, 66.3),
)

# --------------------------------------------------------------------------------------------
# Options flow. Premium budgets are in $M for 2026-04-08; other sessions scale them.
# A profile is the share of a name's premium in (calls bought, calls sold, puts bought,
# puts sold, unknown calls, unknown puts).
# --------------------------------------------------------------------------------------------

Profile = tuple[float, float, float, float, float, float]

OPTION_PREMIUM_M: Final[dict[str, float]] = {
    "SPX": 1850.0,
    "SPY": 920.0,
    "QQQ": 430.0,
    "NVDA": 335.0,
    "TSLA": 305.0,
    "IWM": 165.0,
    "AAPL": 152.0,
    "META": 148.0,
    "MSFT": 141.0,
    "AMZN": 133.0,
    "GOOGL": 124.0,
    "AVGO": 112.0,
    "AMD": 97.0,
    "PLTR": 88.0,
    "MU": 80.0,
    "RKLB": 70.0,
    "LLY": 46.0,
    "ORCL": 40.0,
    "JPM": 36.0,
    "XOM": 33.0,
    "CRWD": 30.0,
    "UNH": 28.0,
    "GLD": 26.0,
    "TLT": 22.0,
    "CEG": 21.0,
    "USO": 20.0,
    "SLV": 18.0,
    "INTC": 17.0,
    "ADBE": 15.0,
    "HYG": 14.0,
    "CVX": 13.0,
    "XLE": 12.0,
    "XLF": 10.0,
    "ABBV": 9.5,
    "BRK.B": 7.5,
    "XLK": 7.0,
    "PG": 6.0,
    "XLU": 4.5,
}
#: Relative print counts (Zipf-like popularity), independent of premium.
OPTION_PRINT_WEIGHT: Final[dict[str, float]] = {
    "SPX": 100.0,
    "SPY": 88.0,
    "QQQ": 46.0,
    "NVDA": 40.0,
    "TSLA": 37.0,
    "IWM": 22.0,
    "AAPL": 20.0,
    "META": 16.0,
    "MSFT": 15.0,
    "AMZN": 15.0,
    "GOOGL": 13.0,
    "AVGO": 12.0,
    "AMD": 12.0,
    "PLTR": 12.0,
    "MU": 10.0,
    "RKLB": 9.0,
    "LLY": 6.0,
    "ORCL": 6.0,
    "JPM": 5.0,
    "XOM": 5.0,
    "CRWD": 4.0,
    "UNH": 4.5,
    "GLD": 4.5,
    "TLT": 4.0,
    "CEG": 3.0,
    "USO": 3.0,
    "SLV": 4.0,
    "INTC": 5.0,
    "ADBE": 2.5,
    "HYG": 2.5,
    "CVX": 2.5,
    "XLE": 2.5,
    "XLF": 2.5,
    "ABBV": 2.0,
    "BRK.B": 1.2,
    "XLK": 1.2,
    "PG": 1.5,
    "XLU": 1.0,
}
#: Session multipliers of premium and of print counts.
SESSION_ACTIVITY: Final = {
    _d("2026-04-01"): 0.92,
    _d("2026-04-02"): 0.86,
    _d("2026-04-06"): 0.74,
    _d("2026-04-07"): 0.84,
    _d("2026-04-08"): 1.0,
}
#: Market tone of each session: the default profile before per-name biases and noise.
SESSION_TONE: Final[dict[date, Profile]] = {
    _d("2026-04-01"): (0.22, 0.19, 0.25, 0.17, 0.09, 0.08),
    _d("2026-04-02"): (0.21, 0.20, 0.24, 0.18, 0.09, 0.08),
    _d("2026-04-06"): (0.20, 0.21, 0.25, 0.17, 0.09, 0.08),
    _d("2026-04-07"): (0.20, 0.21, 0.26, 0.16, 0.09, 0.08),
    _d("2026-04-08"): (0.21, 0.22, 0.24, 0.16, 0.09, 0.08),
}
#: Every name of the 04-08 top flow gets an explicit profile (flips by construction).
PROFILES_LAST: Final[dict[str, Profile]] = {
    "SPX": (0.20, 0.22, 0.24, 0.16, 0.09, 0.09),
    "SPY": (0.18, 0.20, 0.27, 0.17, 0.08, 0.10),
    "QQQ": (0.22, 0.20, 0.24, 0.16, 0.09, 0.09),
    "IWM": (0.20, 0.20, 0.26, 0.16, 0.09, 0.09),
    "NVDA": (0.18, 0.36, 0.10, 0.12, 0.09, 0.05),
    "GOOGL": (0.20, 0.34, 0.12, 0.10, 0.08, 0.06),
    "AVGO": (0.22, 0.33, 0.11, 0.10, 0.08, 0.06),
    "AAPL": (0.20, 0.32, 0.12, 0.12, 0.08, 0.06),
    "AMZN": (0.22, 0.08, 0.12, 0.38, 0.08, 0.12),
    "TSLA": (0.34, 0.16, 0.12, 0.22, 0.10, 0.06),
    "META": (0.16, 0.22, 0.30, 0.12, 0.10, 0.10),
    "MSFT": (0.14, 0.14, 0.38, 0.14, 0.10, 0.10),
    "AMD": (0.30, 0.18, 0.14, 0.20, 0.10, 0.08),
    "PLTR": (0.28, 0.20, 0.16, 0.18, 0.10, 0.08),
    "MU": (0.30, 0.15, 0.15, 0.20, 0.10, 0.10),
    "RKLB": (0.08, 0.30, 0.38, 0.06, 0.08, 0.10),
    "LLY": (0.22, 0.20, 0.20, 0.20, 0.09, 0.09),
    "ORCL": (0.26, 0.18, 0.18, 0.20, 0.09, 0.09),
}
#: Campaigns and biases that hold on every session (or the sessions listed).
PROFILE_OVERRIDES: Final[dict[str, dict[date, Profile]]] = {
    "MSFT": {d: (0.15, 0.13, 0.37, 0.15, 0.10, 0.10) for d in TAPE_SESSIONS[:4]},
    "TSLA": {d: (0.35, 0.16, 0.13, 0.20, 0.10, 0.06) for d in TAPE_SESSIONS[:4]},
    "RKLB": {
        _d("2026-04-06"): (0.10, 0.26, 0.36, 0.10, 0.08, 0.10),
        _d("2026-04-07"): (0.09, 0.27, 0.37, 0.09, 0.08, 0.10),
    },
    "SPY": {d: (0.19, 0.20, 0.27, 0.17, 0.08, 0.09) for d in TAPE_SESSIONS[:4]},
    "SPX": {d: (0.19, 0.21, 0.26, 0.17, 0.09, 0.08) for d in TAPE_SESSIONS[:4]},
}
#: Share of SPX/SPY prints that are 0DTE.
ZERO_DTE_SHARE: Final = {"SPX": 0.46, "SPY": 0.40, "QQQ": 0.30, "IWM": 0.22}

# --------------------------------------------------------------------------------------------
# Dark pool. Notional budgets in $M and relative print counts; bid share = AtBid/(AtAsk+AtBid).
# --------------------------------------------------------------------------------------------

DARK_NOTIONAL_M: Final[dict[str, float]] = {
    "SPY": 6200.0,
    "QQQ": 3600.0,
    "IWM": 1750.0,
    "NVDA": 2600.0,
    "TSLA": 1900.0,
    "AAPL": 1500.0,
    "MSFT": 1300.0,
    "AMZN": 1150.0,
    "META": 1100.0,
    "GOOGL": 1000.0,
    "AVGO": 900.0,
    "AMD": 700.0,
    "PLTR": 650.0,
    "MU": 600.0,
    "JPM": 520.0,
    "LLY": 480.0,
    "XOM": 560.0,
    "CEG": 420.0,
    "BRK.B": 380.0,
    "ORCL": 360.0,
    "UNH": 320.0,
    "CVX": 300.0,
    "RKLB": 260.0,
    "CRWD": 240.0,
    "INTC": 300.0,
    "ADBE": 180.0,
    "ABBV": 210.0,
    "PG": 200.0,
    "GLD": 520.0,
    "SLV": 260.0,
    "TLT": 420.0,
    "HYG": 380.0,
    "USO": 150.0,
    "XLK": 260.0,
    "XLF": 240.0,
    "XLE": 220.0,
    "XLV": 160.0,
    "XLI": 140.0,
    "XLY": 120.0,
    "XLP": 120.0,
    "XLB": 60.0,
    "XLRE": 50.0,
    "XLC": 60.0,
    "XLU": 110.0,
}
DARK_PRINT_WEIGHT: Final[dict[str, float]] = {
    "SPY": 100.0,
    "QQQ": 72.0,
    "IWM": 48.0,
    "NVDA": 60.0,
    "TSLA": 48.0,
    "AAPL": 42.0,
    "MSFT": 34.0,
    "AMZN": 32.0,
    "META": 28.0,
    "GOOGL": 28.0,
    "AVGO": 22.0,
    "AMD": 22.0,
    "PLTR": 24.0,
    "MU": 18.0,
    "JPM": 14.0,
    "LLY": 10.0,
    "XOM": 16.0,
    "CEG": 10.0,
    "BRK.B": 8.0,
    "ORCL": 12.0,
    "UNH": 10.0,
    "CVX": 9.0,
    "RKLB": 12.0,
    "CRWD": 7.0,
    "INTC": 14.0,
    "ADBE": 6.0,
    "ABBV": 6.0,
    "PG": 6.0,
    "GLD": 12.0,
    "SLV": 10.0,
    "TLT": 12.0,
    "HYG": 12.0,
    "USO": 6.0,
    "XLK": 7.0,
    "XLF": 8.0,
    "XLE": 8.0,
    "XLV": 5.0,
    "XLI": 5.0,
    "XLY": 4.0,
    "XLP": 4.0,
    "XLB": 3.0,
    "XLRE": 3.0,
    "XLC": 3.0,
    "XLU": 4.0,
}
#: Bid share of classified notional per symbol and session (others draw from 0.42–0.58).
DARK_BID_SHARE: Final[dict[str, tuple[float, float, float, float, float]]] = {
    "SPY": (0.49, 0.51, 0.61, 0.63, 0.70),
    "QQQ": (0.47, 0.52, 0.56, 0.53, 0.66),
    "IWM": (0.50, 0.46, 0.52, 0.57, 0.64),
    "XOM": (0.35, 0.34, 0.36, 0.33, 0.35),
    "CEG": (0.34, 0.36, 0.33, 0.35, 0.32),
    "META": (0.49, 0.61, 0.62, 0.60, 0.64),
    "NVDA": (0.48, 0.55, 0.50, 0.47, 0.52),
    "MSFT": (0.59, 0.60, 0.61, 0.52, 0.50),
    "TSLA": (0.42, 0.45, 0.43, 0.47, 0.49),
}
