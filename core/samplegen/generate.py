"""Orchestration: simulate the market, build every file, compute the scenario figures, write."""

from __future__ import annotations

from pathlib import Path

from ..schema import CHAIN, OFFEX_PRINTS, OPTION_PRINTS
from . import scenario as sc
from .bars import History, build_history
from .chains import build_surfaces, calibrate_zones, chain_frame, optionable
from .darkpool import dark_prints
from .figures import Figures, compute_figures
from .intraday import build_paths, five_minute_bars
from .model import Market, SessionData
from .prints import option_prints
from .reference import event_rows, input_rows, macro_rows, sector_rows, short_volume_text
from .report import render
from .schema_cast import conform
from .surface import OpenInterest
from .writer import num, write_csv, write_parquet, write_text

DEFAULT_SEED = 20260408
#: Parent option orders per session before sweeps split them and extras are added.
DEFAULT_OPTION_PRINTS = 40_500
DEFAULT_DARK_PRINTS = 20_600


def simulate(seed: int, option_prints_per_session: int, dark_prints_per_session: int) -> Market:
    """Run the whole simulation in memory."""
    history = build_history(seed)
    paths = build_paths(seed, history, sc.TAPE_SESSIONS)
    surfaces = build_surfaces(history, optionable())
    zones = calibrate_zones(history, surfaces)
    oi_model = OpenInterest(history)
    sessions: list[SessionData] = []
    for day in sc.TAPE_SESSIONS:
        tape = option_prints(
            seed, history, paths, surfaces, day, option_prints_per_session, oi_model
        )
        chain = chain_frame(history, surfaces, day, tape.volumes, oi_model)
        dark = dark_prints(seed, paths, day, dark_prints_per_session)
        sessions.append(
            SessionData(
                day,
                conform(tape.frame, OPTION_PRINTS),
                conform(dark, OFFEX_PRINTS),
                conform(chain, CHAIN),
            )
        )
    return Market(history, paths, zones, sessions)


def _bar_rows(history: History, symbol: str) -> list[tuple[str, ...]]:
    series = history.bars[symbol]
    digits = 3 if symbol == "DXY" else 2
    return [
        (
            day.isoformat(),
            symbol,
            num(series.open[t], digits),
            num(series.high[t], digits),
            num(series.low[t], digits),
            num(series.close[t], digits),
            str(int(series.volume[t])),
        )
        for t, day in enumerate(history.sessions)
    ]


def _write(out: Path, seed: int, market: Market, figures: Figures) -> list[Path]:
    history = market.history
    written: list[Path] = []
    bar_header = ("date", "symbol", "open", "high", "low", "close", "volume")
    for symbol in sorted(history.bars):
        written.append(
            write_csv(out / "bars" / f"{symbol}.csv", bar_header, _bar_rows(history, symbol))
        )
    written.append(write_csv(out / "macro.csv", ("date", "series", "value"), macro_rows(history)))
    written.append(write_csv(out / "events.csv", ("date", "name", "importance"), event_rows()))
    written.append(write_csv(out / "sectors.csv", ("symbol", "sector"), sector_rows()))
    written.append(
        write_csv(
            out / "inputs.csv", ("date", "name", "direction", "note", "expires"), input_rows()
        )
    )
    for s in market.sessions:
        folder = out / s.day.isoformat()
        written.append(write_parquet(folder / "options.parquet", s.options))
        written.append(write_parquet(folder / "darkpool.parquet", s.darkpool))
        written.append(write_parquet(folder / "chain.parquet", s.chain))
        shvol = short_volume_text(seed, history, s.day)
        written.append(write_text(folder / f"CNMSshvol{s.day:%Y%m%d}.txt", shvol))
        t = history.index(s.day)
        bars = five_minute_bars(seed, market.paths, "SPY", s.day, history.bars["SPY"].volume[t])
        rows = [
            (
                b.ts,
                "SPY",
                num(b.open, 2),
                num(b.high, 2),
                num(b.low, 2),
                num(b.close, 2),
                str(b.volume),
            )
            for b in bars
        ]
        header = ("ts", "symbol", "open", "high", "low", "close", "volume")
        written.append(write_csv(folder / "intraday_SPY.csv", header, rows))
    written.append(write_text(out / "SCENARIO.md", render(figures, seed)))
    return written


def generate(
    out_dir: Path,
    *,
    seed: int = DEFAULT_SEED,
    option_prints_per_session: int = DEFAULT_OPTION_PRINTS,
    dark_prints_per_session: int = DEFAULT_DARK_PRINTS,
) -> list[Path]:
    """Write the sample data folder into ``out_dir``; returns the files written, sorted.

    Existing files of the same names are overwritten; nothing else in ``out_dir`` is touched.
    Smaller ``*_per_session`` counts give a faster, smaller market with the same story.
    """
    out = Path(out_dir)
    market = simulate(seed, option_prints_per_session, dark_prints_per_session)
    figures = compute_figures(market)
    return sorted(_write(out, seed, market, figures))
