"""Reference files: macro series, event calendar, sector map, analyst inputs, FINRA short volume."""

from __future__ import annotations

from datetime import date

from . import scenario as sc
from .bars import History
from .calendar import first_session_of_month
from .rng import stream
from .universe import NO_SHARES, SYMBOLS

Row = tuple[str, ...]


def macro_rows(history: History) -> list[Row]:
    """``date,series,value`` rows, sorted by date then series."""
    rows: list[tuple[date, str, str]] = []
    for t, day in enumerate(history.sessions):
        rows.append((day, "DXY", f"{history.macro['DXY'][t]:.3f}"))
        rows.append((day, "US10Y", f"{history.macro['US10Y'][t]:.3f}"))
        rows.append((day, "US2Y", f"{history.macro['US2Y'][t]:.3f}"))
        rows.append((day, "WTI", f"{history.macro['WTI'][t]:.2f}"))
    first = history.sessions[0]
    for year, month, pmi, prices in sc.ISM:
        day = first_session_of_month(year, month)
        if first <= day <= history.sessions[-1]:
            rows.append((day, "ISM_PMI", f"{pmi:.1f}"))
            rows.append((day, "ISM_PRICES", f"{prices:.1f}"))
    rows.sort()
    return [(d.isoformat(), s, v) for d, s, v in rows]


EVENTS: tuple[tuple[str, str, str], ...] = (
    ("2026-01-28", "FOMC rate decision", "high"),
    ("2026-02-11", "CPI (January)", "high"),
    ("2026-03-06", "Nonfarm payrolls (February)", "high"),
    ("2026-03-11", "CPI (February)", "high"),
    ("2026-03-18", "FOMC rate decision", "high"),
    ("2026-03-20", "Quarterly options expiration", "medium"),
    ("2026-04-01", "ISM manufacturing (March)", "medium"),
    ("2026-04-03", "Nonfarm payrolls (March; market closed)", "high"),
    ("2026-04-08", "FOMC minutes (March meeting)", "medium"),
    ("2026-04-09", "Initial jobless claims", "low"),
    ("2026-04-10", "CPI (March)", "high"),
    ("2026-04-14", "PPI (March)", "medium"),
    ("2026-04-14", "JPM earnings", "medium"),
    ("2026-04-15", "Retail sales (March)", "medium"),
    ("2026-04-16", "UNH earnings", "medium"),
    ("2026-04-17", "Monthly options expiration", "medium"),
    ("2026-04-21", "TSLA earnings", "high"),
    ("2026-04-24", "ABBV earnings", "low"),
    ("2026-04-28", "GOOGL earnings", "high"),
    ("2026-04-29", "FOMC rate decision", "high"),
    ("2026-04-29", "MSFT earnings", "high"),
    ("2026-04-29", "META earnings", "high"),
    ("2026-04-30", "AAPL earnings", "high"),
    ("2026-04-30", "AMZN earnings", "high"),
    ("2026-04-30", "LLY earnings", "medium"),
    ("2026-05-01", "XOM earnings", "medium"),
    ("2026-05-01", "CVX earnings", "medium"),
    ("2026-05-04", "PLTR earnings", "medium"),
    ("2026-05-05", "AMD earnings", "medium"),
    ("2026-05-07", "RKLB earnings", "low"),
    ("2026-05-12", "CPI (April)", "high"),
    ("2026-05-27", "NVDA earnings", "high"),
)


def event_rows() -> list[Row]:
    """``date,name,importance`` rows, sorted."""
    return sorted(EVENTS)


def sector_rows() -> list[Row]:
    """``symbol,sector`` for every bar symbol, sorted by symbol."""
    return sorted((s.name, s.sector) for s in SYMBOLS)


INPUTS: tuple[tuple[str, str, str, str, str], ...] = (
    (
        "2026-04-01",
        "Quarter-start inflows",
        "+1",
        "New-quarter pension and 401k inflows",
        "2026-04-06",
    ),
    (
        "2026-04-06",
        "Tariff headline risk",
        "-1",
        "Weekend tariff headlines; escalation risk",
        "2026-04-17",
    ),
    (
        "2026-04-07",
        "Ceasefire talks",
        "+1",
        "Reports of Gulf ceasefire talks; oil supply risk easing",
        "2026-04-14",
    ),
    (
        "2026-04-08",
        "Buyback window open",
        "+1",
        "Corporate buyback blackout ending for many names",
        "2026-04-24",
    ),
    (
        "2026-04-08",
        "CPI event risk",
        "-1",
        "March CPI on 04-10 with energy pass-through",
        "2026-04-10",
    ),
)


def input_rows() -> list[Row]:
    """``date,name,direction,note,expires`` rows (one expired before the last session)."""
    return list(INPUTS)


def finra_symbol(symbol: str) -> str:
    """FINRA writes share classes with a slash: BRK.B → BRK/B."""
    return symbol.replace(".", "/")


def short_volume_text(seed: int, history: History, day: date) -> str:
    """The ``CNMSshvolYYYYMMDD.txt`` file of ``day`` (FINRA consolidated layout)."""
    t = history.index(day)
    rng = stream(seed, "short-volume", day)
    rows: list[tuple[str, str]] = []
    for sym in SYMBOLS:
        if sym.name in NO_SHARES:
            continue
        volume = history.bars[sym.name].volume[t]
        total = int(volume * rng.uniform(0.36, 0.50))
        short = int(total * rng.uniform(0.40, 0.60))
        exempt = int(short * rng.uniform(0.001, 0.012))
        market = "B,Q,N" if rng.random() < 0.85 else "Q,N"
        name = finra_symbol(sym.name)
        rows.append((name, f"{day:%Y%m%d}|{name}|{short}|{exempt}|{total}|{market}"))
    rows.sort()
    lines = ["Date|Symbol|ShortVolume|ShortExemptVolume|TotalVolume|Market"]
    lines.extend(line for _, line in rows)
    lines.append(str(len(rows)))
    return "\n".join(lines) + "\n"
