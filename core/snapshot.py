"""``build_snapshot``: every layer of the daily report for one session, computed once.

The app and the headless report both read the same immutable ``Snapshot``: the frames and
scalars of every layer (options flow, dark pool, zones, Range, dealer gamma, regime,
indicators, ticker verdicts, convergence), the history the multi-session figures need, the
rows that were set aside while reading, and an ``Explanation`` for every headline figure.
"""

from __future__ import annotations

import time as clock
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from . import fmt, vendors
from .catalog import Catalog, DataFile, scan_catalog
from .convergence import (
    INPUT_SCHEMA,
    ConvergenceParams,
    Count,
    analyst_inputs,
    count,
    history_text,
)
from .darkpool import (
    DarkParams,
    classify_dark_prints,
    dark_days,
    dark_market,
    dix,
    dix_percentile,
    fast_tape,
    ladders,
    spot_from_bars,
    volume_by_spot,
)
from .flow import FlowDay, FlowParams, bucket_prints, campaigns, flow_day
from .gamma import GammaParams, GammaReport, gamma_report
from .indicators import (
    IndicatorParams,
    breadth,
    gravestone_doji,
    put_call_ratios,
    relative_volume,
    smart_money_index,
    with_rsi,
)
from .provenance import Explanation
from .readers import REJECT_SCHEMA, FileResult, empty_frame, read_file
from .regime import RegimeParams, RegimeSnapshot, Rule, regime_snapshot
from .schema import Kind
from .settings import describe, load_settings
from .sides import SideParams
from .tickers import TickerParams, divergence_days, votes
from .trend import TrendParams, adx
from .zones import ZoneParams, session_zones

#: The default parameters of every section of flowterm.toml.
DEFAULTS: Mapping[str, Any] = {
    "sides": SideParams(),
    "flow": FlowParams(),
    "darkpool": DarkParams(),
    "zones": ZoneParams(),
    "trend": TrendParams(),
    "gamma": GammaParams(),
    "regime": RegimeParams(),
    "indicators": IndicatorParams(),
    "tickers": TickerParams(),
    "convergence": ConvergenceParams(),
}


class SnapshotError(Exception):
    """The data folder has nothing to build a snapshot from (no session, no bars)."""


@dataclass(frozen=True, slots=True)
class Inputs:
    """Everything read from the data folder, good rows only, plus what was set aside."""

    catalog: Catalog
    settings: Mapping[str, Any]
    bars: pl.DataFrame
    macro: pl.DataFrame
    events: pl.DataFrame
    sectors: pl.DataFrame
    user_zones: pl.DataFrame
    analyst: pl.DataFrame
    #: (kind, session) → good rows of every part file of that kind in that session.
    tapes: Mapping[tuple[Kind, date], pl.DataFrame]
    rejects: pl.DataFrame
    errors: tuple[str, ...]
    #: Every file's read, by path relative to the data folder (reused when unchanged).
    results: Mapping[str, FileResult] = field(default_factory=dict)
    #: Files that failed to read this time and show their last good rows instead.
    stale: tuple[str, ...] = ()
    #: For files read together with others: those files' (name, size, mtime) at this read.
    companions: Mapping[str, tuple[tuple[str, int, int], ...]] = field(default_factory=dict)

    def tape(self, kind: Kind, session: date) -> pl.DataFrame:
        return self.tapes.get((kind, session), empty_frame(kind))

    def sources(self, kind: Kind, session: date | None = None) -> tuple[str, ...]:
        return tuple(f.rel for f in self.catalog.of_kind(kind, session))


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One session's analysis, immutable once built."""

    data_dir: Path
    session: date
    #: Tape sessions in the folder, oldest first (``[`` and ``]`` move between them).
    sessions: tuple[date, ...]
    settings: Mapping[str, Any]
    flow: FlowDay
    #: Per session and symbol, §3.2 (every tape session up to this one).
    dark_days: pl.DataFrame
    dark_market: pl.DataFrame
    dark_ladders: pl.DataFrame
    dark_volume_by_spot: pl.DataFrame
    dix: pl.DataFrame
    zones: pl.DataFrame
    trend: pl.DataFrame
    gamma: Mapping[str, GammaReport]
    regime: RegimeSnapshot
    indicators: Mapping[str, pl.DataFrame]
    tickers: pl.DataFrame
    campaigns: pl.DataFrame
    convergence_inputs: pl.DataFrame
    convergence: Count
    #: (session, count) for the recent tape sessions, oldest first.
    convergence_history: tuple[tuple[date, Count], ...]
    explanations: Mapping[str, Explanation]
    rejects: pl.DataFrame
    errors: tuple[str, ...]
    #: The session's option prints with their side, bucket and exclusion (for drill-down).
    option_prints: pl.DataFrame
    #: The session's off-exchange prints with their side and exclusion (for drill-down).
    dark_prints: pl.DataFrame
    #: Files read, files showing their last good rows, and the newest file's mtime (ns).
    files: int
    stale: tuple[str, ...]
    newest_mtime_ns: int
    #: The inputs this snapshot was built from (pass back as ``previous`` on the next build).
    inputs: Inputs
    #: Seconds spent per stage (for the benchmarks and the footer).
    timings: Mapping[str, float] = field(default_factory=dict)

    @property
    def convergence_history_text(self) -> str:
        return history_text([c for _, c in self.convergence_history])

    def explain(self, figure: str) -> Explanation | None:
        return self.explanations.get(figure)


# ------------------------------------------------------------------------------------------
# reading
# ------------------------------------------------------------------------------------------


def _stack(results: list[FileResult], kind: Kind) -> pl.DataFrame:
    frames = [r.frame for r in results if not r.frame.is_empty()]
    return pl.concat(frames, how="vertical_relaxed") if frames else empty_frame(kind)


def _companions_stamp(source: DataFile) -> tuple[tuple[str, int, int], ...]:
    """(name, size, mtime) of the files ``source`` is read together with (vendor formats whose
    rows depend on files beside them: quotes beside trades, definitions beside DBN prints)."""
    fmt = vendors.get(source.detected.fmt)
    if fmt is None or fmt.companions is None:
        return ()
    stamp = []
    for path in fmt.companions(source.path):
        try:
            st = path.stat()
        except OSError:
            continue
        stamp.append((path.name, st.st_size, st.st_mtime_ns))
    return tuple(sorted(stamp))


def _read(
    source: DataFile, previous: Inputs | None
) -> tuple[FileResult, tuple[tuple[str, int, int], ...], bool]:
    """This file's rows: the previous read when neither the file (size and mtime) nor the files
    it is read with changed, a fresh read otherwise; when the fresh read fails, the previous
    good rows (flagged stale). Also returns the companions' stamp for the next comparison."""
    before = previous.results.get(source.rel) if previous is not None else None
    stamp = _companions_stamp(source)
    if (
        before is not None
        and previous is not None
        and before.error is None
        and before.source.size == source.size
        and before.source.mtime_ns == source.mtime_ns
        and before.source.detected == source.detected
        and previous.companions.get(source.rel, ()) == stamp
    ):
        return before, stamp, False
    result = read_file(source)
    if result.error is not None and before is not None and not before.frame.is_empty():
        return replace(before, error=result.error), stamp, True
    return result, stamp, False


def read_inputs(data_dir: Path, /, *, previous: Inputs | None = None) -> Inputs:
    """Read every file of ``data_dir`` once. Raises ``CatalogError`` / ``SettingsError`` when
    the folder or its flowterm.toml cannot be used; never raises on bad rows.

    With ``previous`` (the last good read of the same folder), unchanged files are not read
    again, and a file that cannot be read now keeps its last good rows (listed in ``stale``
    and in ``errors``).
    """
    catalog = scan_catalog(data_dir)
    settings = load_settings(catalog.settings, DEFAULTS)
    reads = [_read(f, previous) for f in catalog.files]
    companions = {r.source.rel: stamp for r, stamp, _ in reads if stamp}
    if previous is not None:
        # a file the catalog could not even sniff now (a truncated Parquet footer) keeps its
        # last good rows too
        for skipped in catalog.unreadable:
            before = previous.results.get(skipped.rel)
            if before is not None and not before.frame.is_empty():
                failed = replace(before, error=f"{skipped.rel}: {skipped.reason}")
                reads.append((failed, (), True))
    results = [r for r, _, _ in reads]
    stale = tuple(r.source.rel for r, _, was_stale in reads if was_stale)
    by_kind: dict[Kind, list[FileResult]] = {}
    tapes: dict[tuple[Kind, date], list[FileResult]] = {}
    for r in results:
        if r.source.session is None:
            by_kind.setdefault(r.kind, []).append(r)
        else:
            tapes.setdefault((r.kind, r.source.session), []).append(r)
    rejects = [r.rejects for r in results if not r.rejects.is_empty()]
    found = [r.error for r in results if r.error is not None]
    found += [f"{s.rel}: {s.reason}" for s in catalog.unreadable]
    errors = tuple(dict.fromkeys(found))

    def table(kind: Kind) -> pl.DataFrame:
        return _stack(by_kind.get(kind, []), kind)

    return Inputs(
        catalog=catalog,
        settings=settings,
        bars=table(Kind.DAILY_BARS).unique(["symbol", "date"], keep="last").sort("symbol", "date"),
        macro=table(Kind.MACRO),
        events=table(Kind.EVENTS),
        sectors=table(Kind.SECTORS),
        user_zones=table(Kind.ZONES),
        analyst=table(Kind.INPUTS),
        tapes={key: _stack(rs, key[0]) for key, rs in tapes.items()},
        rejects=pl.concat(rejects) if rejects else pl.DataFrame(schema=REJECT_SCHEMA),
        errors=errors,
        results={r.source.rel: r for r in results},
        stale=stale,
        companions=companions,
    )


def _holidays(bars: pl.DataFrame) -> list[date]:
    """Weekdays inside the bars' date range on which no symbol has a bar (market holidays)."""
    if bars.is_empty():
        return []
    days = set(bars["date"].unique().to_list())
    first, last = min(days), max(days)
    out, day = [], first
    while day <= last:
        if day.weekday() < 5 and day not in days:
            out.append(day)
        day += timedelta(days=1)
    return out


# ------------------------------------------------------------------------------------------
# the layers of one session
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Day:
    """The per-session results the history needs."""

    session: date
    flow: FlowDay
    gamma: Mapping[str, GammaReport]


def _flow(inputs: Inputs, day: date) -> FlowDay:
    s = inputs.settings
    quotes = inputs.tape(Kind.QUOTES, day)
    return flow_day(
        inputs.tape(Kind.OPTION_PRINTS, day).lazy(),
        quotes.lazy() if not quotes.is_empty() else None,
        inputs.sectors.lazy() if not inputs.sectors.is_empty() else None,
        params=s["flow"],
        side_params=s["sides"],
    )


def _gamma(inputs: Inputs, day: date, only: tuple[str, ...] | None) -> dict[str, GammaReport]:
    chain = inputs.tape(Kind.CHAIN, day)
    if only is not None:
        chain = chain.filter(pl.col("underlying").is_in(only))
    if chain.is_empty():
        return {}
    return gamma_report(chain.lazy(), params=inputs.settings["gamma"])


def _days(inputs: Inputs, sessions: list[date], target: date) -> list[_Day]:
    conv: ConvergenceParams = inputs.settings["convergence"]
    out = []
    for day in sessions:
        only = None if day == target else (conv.gamma_underlying,)
        out.append(_Day(day, _flow(inputs, day), _gamma(inputs, day, only)))
    return out


def _dark(inputs: Inputs, sessions: list[date]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(classified prints of every session, per-session per-symbol §3.2 table)."""
    s = inputs.settings
    frames = [inputs.tape(Kind.OFFEX_PRINTS, d) for d in sessions]
    prints = pl.concat([f for f in frames if not f.is_empty()] or [empty_frame(Kind.OFFEX_PRINTS)])
    classified = classify_dark_prints(
        prints.lazy(), params=s["darkpool"], side_params=s["sides"]
    ).collect()
    fast = fast_tape(inputs.bars.lazy(), params=s["darkpool"])
    days = dark_days(classified.lazy(), fast, params=s["darkpool"]).collect()
    return classified, days


def _zones(inputs: Inputs, sessions: list[date], target: date) -> pl.DataFrame:
    chains = [inputs.tape(Kind.CHAIN, d) for d in sessions]
    chain = pl.concat([c for c in chains if not c.is_empty()] or [empty_frame(Kind.CHAIN)])
    user = inputs.user_zones
    return session_zones(
        inputs.bars.lazy(),
        chain.lazy() if not chain.is_empty() else None,
        user.lazy() if not user.is_empty() else None,
        session=target,
        params=inputs.settings["zones"],
        holidays=_holidays(inputs.bars),
    ).collect()


def _indicators(inputs: Inputs, sessions: list[date]) -> dict[str, pl.DataFrame]:
    p: IndicatorParams = inputs.settings["indicators"]
    bars = inputs.bars.lazy()
    intraday = [inputs.tape(Kind.INTRADAY_BARS, d) for d in sessions]
    intraday = [f for f in intraday if not f.is_empty()]
    options = [inputs.tape(Kind.OPTION_PRINTS, d) for d in sessions]
    options = [f for f in options if not f.is_empty()]
    out = {
        "breadth": breadth(bars, params=p).collect(),
        "rsi": with_rsi(bars, params=p).collect(),
        "rvol": relative_volume(bars, params=p).collect(),
        "doji": gravestone_doji(bars, params=p).collect(),
    }
    if intraday:
        out["smi"] = smart_money_index(pl.concat(intraday).lazy(), params=p).collect()
    if options:
        out["pcr"] = put_call_ratios(pl.concat(options).lazy(), params=p).collect()
    return out


# ------------------------------------------------------------------------------------------
# tickers and convergence
# ------------------------------------------------------------------------------------------


def _returns(bars: pl.DataFrame) -> pl.DataFrame:
    return bars.sort("symbol", "date").with_columns(
        (pl.col("close") / pl.col("close").shift(1).over("symbol") - 1).alias("ret")
    )


def _tickers(
    inputs: Inputs, flow: FlowDay, days: pl.DataFrame, ladders_: pl.DataFrame, target: date
) -> pl.DataFrame:
    conv: ConvergenceParams = inputs.settings["convergence"]
    rets = _returns(inputs.bars)
    today = rets.filter(pl.col("date") == target).select("symbol", "ret", "close")
    bench = today.filter(pl.col("symbol") == conv.index_symbol)["ret"]
    benchmark = float(bench[0]) if bench.len() and bench[0] is not None else None
    dark_today = days.filter(pl.col("session") == target).select(
        "symbol",
        pl.col("label").cast(pl.String).alias("dp_label"),
        (pl.col("fast_tape").cast(pl.String) == "FAST").alias("dp_fast"),
        pl.col("net").alias("dp_net"),
    )
    opts = flow.tickers.select(
        pl.col("underlying").alias("symbol"),
        pl.col("net").alias("opt_net"),
        pl.col("grade").cast(pl.String).alias("opt_grade"),
        pl.col("puts_bought").alias("opt_puts_bought"),
        pl.col("calls_bought").alias("opt_calls_bought"),
        pl.col("total").alias("opt_total"),
    )
    active = ladders_.filter(pl.col("active")).select(
        "symbol",
        pl.format("{} ladder {}d", pl.col("label").cast(pl.String), pl.col("days")).alias("ladder"),
    )
    symbols = pl.concat(
        [today.select("symbol"), dark_today.select("symbol"), opts.select("symbol")]
    ).unique()
    frame = (
        symbols.join(today, on="symbol", how="left")
        .join(dark_today, on="symbol", how="left")
        .join(opts, on="symbol", how="left")
        .join(active.unique("symbol"), on="symbol", how="left")
        .with_columns(
            pl.lit(target).alias("session"), pl.lit(benchmark, pl.Float64).alias("benchmark_ret")
        )
    )
    voted = votes(frame.lazy(), params=inputs.settings["tickers"]).collect()
    history = days.select(
        "symbol", "session", pl.col("label").cast(pl.String).alias("dp_label")
    ).join(
        rets.select("symbol", pl.col("date").alias("session"), "ret"),
        on=["symbol", "session"],
        how="left",
    )
    diverge = divergence_days(history.lazy(), params=inputs.settings["tickers"]).collect()
    return voted.join(diverge, on="symbol", how="left").sort("symbol")


def _vote(x: float | None, up: bool, down: bool) -> int | None:
    if x is None:
        return None
    return 1 if up else -1 if down else 0


def _row(name: str, vote: int | None, detail: str) -> dict[str, Any]:
    return {"name": name, "vote": vote, "source": "computed", "detail": detail}


def _convergence_inputs(
    inputs: Inputs,
    target: date,
    flow: FlowDay,
    days: pl.DataFrame,
    zones: pl.DataFrame,
    trend: pl.DataFrame,
    gamma: Mapping[str, GammaReport],
    regime: RegimeSnapshot,
    indicators: Mapping[str, pl.DataFrame],
    dix_frame: pl.DataFrame,
) -> pl.DataFrame:
    """The §10 table for ``target``: every computed input, then the analyst's."""
    conv: ConvergenceParams = inputs.settings["convergence"]
    dark_p: DarkParams = inputs.settings["darkpool"]
    idx = conv.index_symbol
    rows: list[dict[str, Any]] = []

    m = flow.market
    confident = m.grade in ("HIGH", "MODERATE")
    rows.append(
        _row(
            "Options net (§2)",
            (1 if m.net > 0 else -1 if m.net < 0 else 0) if confident else 0,
            f"Net {fmt.money(m.net, signed=True)}, grade {m.grade}",
        )
    )

    etf = days.filter((pl.col("session") == target) & pl.col("symbol").is_in(conv.dark_symbols))
    ask, bid = float(etf["at_ask"].sum()), float(etf["at_bid"].sum())
    if ask + bid > 0:
        share = bid / (ask + bid)
        t = dark_p.label_threshold
        vote = 1 if (1 - share) >= t else -1 if share >= t else 0
        detail = f"{'/'.join(conv.dark_symbols)} {fmt.pct(share, 1, signed=False)} at bid"
    else:
        vote, detail = None, "no dark prints"
    rows.append(_row("Dark pool (§3)", vote, detail))

    report = gamma.get(conv.gamma_underlying)
    zero = report.zeros[0] if report and report.zeros else None
    rows.append(
        _row(
            "GEX regime (§6)",
            zero.vote if zero else None,
            f"spot {fmt.num(zero.spot, 0)} vs zero gamma "
            f"{fmt.num(zero.zero_gamma, 0) if zero.zero_gamma is not None else 'none'}"
            if zero
            else "no chain",
        )
    )

    z = zones.filter(pl.col("symbol") == idx)
    status = z["status"][0] if z.height else None
    rows.append(
        _row(
            f"{idx} zone (§4)",
            None
            if status is None
            else 1
            if status in ("AT FLOOR", "NEAR floor")
            else -1
            if status in ("AT CEILING", "NEAR ceiling", "ABOVE CEILING")
            else 0,
            status or "no zone",
        )
    )

    tr = trend.filter((pl.col("symbol") == idx) & (pl.col("date") == target))
    if tr.height and tr["adx"][0] is not None:
        label, colour = tr["trend_label"][0], tr["trend_colour"][0]
        strong = label in ("DOMINANT", "STRONG")
        vote = 1 if strong and colour == "GREEN" else -1 if strong and colour == "RED" else 0
        rows.append(_row("Range (§5)", vote, f"ADX {fmt.num(tr['adx'][0], 1)} {label} {colour}"))
    else:
        rows.append(_row("Range (§5)", None, "fewer than 28 bars"))

    for rule, name, subject in (
        (Rule.SELL_AMERICA, "Sell America (§8.1)", None),
        (Rule.CURVE, "Curve (§8.2)", None),
        (Rule.MA200, "200-day average (§8.4)", idx),
        (Rule.CREDIT, "HYG zone (§8.5)", None),
    ):
        result = regime.get(rule, window=1, subject=subject) or regime.get(rule, subject=subject)
        rows.append(
            _row(name, result.vote if result else None, (result.state or "n/a") if result else "")
        )

    smi = indicators.get("smi")
    if smi is not None and smi.height >= 2:
        recent = smi.filter(pl.col("session") <= target).tail(conv.smi_slope_sessions)
        values = recent["smi"].drop_nulls()
        slope = float(values[-1] - values[0]) if values.len() >= 2 else None
        rows.append(
            _row(
                "Smart Money Index (§9.1)",
                _vote(slope, (slope or 0) > 0, (slope or 0) < 0),
                f"{values.len()}-session change {fmt.num(slope, 1, signed=True)}",
            )
        )
    else:
        rows.append(_row("Smart Money Index (§9.1)", None, "no intraday bars"))

    br = indicators["breadth"].filter(pl.col("date") <= target).tail(2)
    if br.height == 2 and br["breadth"][1] is not None and br["breadth"][0] is not None:
        now, before = float(br["breadth"][1]), float(br["breadth"][0])
        was = fmt.pct(before, 1, signed=False)
        rows.append(
            _row(
                "Breadth (§9.2)",
                1 if now > 0.5 and now > before else -1 if now < 0.5 and now < before else 0,
                f"{fmt.pct(now, 1, signed=False)} above 50-day (was {was})",
            )
        )
    else:
        rows.append(_row("Breadth (§9.2)", None, "not enough history"))

    r = indicators["rsi"].filter((pl.col("symbol") == idx) & (pl.col("date") == target))
    value = r["rsi"][0] if r.height else None
    rows.append(
        _row(
            f"{idx} RSI (§9.3)",
            _vote(value, (value or 50) < conv.rsi_oversold, (value or 50) > conv.rsi_overbought),
            f"RSI {fmt.num(value, 1)}",
        )
    )

    d = indicators["doji"].filter((pl.col("symbol") == idx) & (pl.col("date") == target))
    bearish = d["gravestone_bearish"][0] if d.height else None
    rows.append(
        _row(
            "Gravestone doji (§9.6)",
            None if bearish is None else (-1 if bearish else 0),
            "after an uptrend" if bearish else "none",
        )
    )

    dx = dix_frame.filter(pl.col("date") == target)
    if dx.height and dx["dix"][0] is not None:
        pct = dx["percentile"][0] if "percentile" in dx.columns else None
        rows.append(
            _row(
                "DIX (§7)",
                _vote(pct, (pct or 0) >= conv.dix_high, (pct or 1) <= conv.dix_low),
                f"DIX {fmt.pct(dx['dix'][0], 1, signed=False)}, percentile "
                f"{fmt.pct(pct, 0, signed=False)} of {dx['history'][0]}",
            )
        )
    else:
        rows.append(_row("DIX (§7)", None, "no short-volume file"))

    computed = pl.DataFrame(rows, schema=INPUT_SCHEMA)
    analyst = (
        analyst_inputs(inputs.analyst, session=target)
        if not inputs.analyst.is_empty()
        else pl.DataFrame(schema=INPUT_SCHEMA)
    )
    return pl.concat([computed, analyst.cast(INPUT_SCHEMA)])


# ------------------------------------------------------------------------------------------
# explanations
# ------------------------------------------------------------------------------------------


def _explanations(
    inputs: Inputs,
    target: date,
    flow: FlowDay,
    days: pl.DataFrame,
    zones: pl.DataFrame,
    gamma: Mapping[str, GammaReport],
    convergence_: Count,
) -> dict[str, Explanation]:
    s = inputs.settings
    out: dict[str, Explanation] = {}
    m = flow.market
    options_files = inputs.sources(Kind.OPTION_PRINTS, target)
    flow_params = {
        **describe(s["flow"]),
        **{f"sides.{k}": v for k, v in describe(s["sides"]).items()},
    }
    parts = {
        "CB": m.calls_bought,
        "CS": m.calls_sold,
        "PB": m.puts_bought,
        "PS": m.puts_sold,
        "U": m.unknown,
    }
    for key, title, formula, value, used in (
        (
            "calls_bought",
            "Calls bought at the ask",
            "CB = Σ premium of calls on the BUY side",
            m.calls_bought,
            {},
        ),
        (
            "calls_sold",
            "Calls sold at the bid",
            "CS = Σ premium of calls on the SELL side",
            m.calls_sold,
            {},
        ),
        (
            "puts_bought",
            "Puts bought at the ask",
            "PB = Σ premium of puts on the BUY side",
            m.puts_bought,
            {},
        ),
        (
            "puts_sold",
            "Puts sold at the bid",
            "PS = Σ premium of puts on the SELL side",
            m.puts_sold,
            {},
        ),
        ("unknown", "Unknown-side premium", "U = Σ premium with side UNKNOWN", m.unknown, {}),
        (
            "bullish",
            "Bullish premium",
            "Bullish = CB + PS (unrounded parts)",
            m.bullish,
            {"CB": m.calls_bought, "PS": m.puts_sold},
        ),
        (
            "bearish",
            "Bearish premium",
            "Bearish = CS + PB (unrounded parts)",
            m.bearish,
            {"CS": m.calls_sold, "PB": m.puts_bought},
        ),
        (
            "net",
            "Options net premium",
            "Net = Bullish − Bearish = (CB + PS) − (CS + PB)",
            m.net,
            {"Bullish": m.bullish, "Bearish": m.bearish},
        ),
    ):
        out[f"flow.market.{key}"] = Explanation(
            f"flow.market.{key}",
            title,
            "§2.1",
            formula,
            value,
            fmt.money(value, signed=key == "net"),
            flow_params,
            used or {"prints counted": m.prints_counted},
            options_files,
        )
    out["flow.market.unknown_share"] = Explanation(
        "flow.market.unknown_share",
        "Unknown-side share and grade",
        "§2.3",
        "u = U / T; HIGH ≤ 10 %, MODERATE ≤ 25 %, LOW ≤ 50 %, else INSUFFICIENT",
        m.unknown_share,
        f"{fmt.pct(m.unknown_share, 1, signed=False)} ({m.grade})",
        flow_params,
        {**parts, "T": m.total, "side rule": str(m.side_mode)},
        options_files,
    )
    out["flow.market.ratios"] = Explanation(
        "flow.market.ratios",
        "Naive vs side-adjusted call/put",
        "§2.2",
        "naive = (CB + CS + U_calls)/(PB + PS + U_puts); adjusted = (CB + PS)/(CS + PB)",
        m.adjusted_call_put,
        f"naive {fmt.num(m.naive_call_put, 2)} vs adjusted {fmt.num(m.adjusted_call_put, 2)}",
        flow_params,
        {**parts, "U_calls": m.unknown_calls, "U_puts": m.unknown_puts},
        options_files,
    )
    out["flow.flip_rate"] = Explanation(
        "flow.flip_rate",
        "Flip rate of the top-flow names",
        "§2.4",
        "flips / N; flip = naive and side-adjusted labels non-neutral and opposite",
        flow.flip.rate,
        fmt.pct(flow.flip.rate, 1, signed=False),
        flow_params,
        {"flips": flow.flip.flips, "names": flow.flip.names},
        options_files,
    )

    dark_files = inputs.sources(Kind.OFFEX_PRINTS, target)
    dark_params = {
        **describe(s["darkpool"]),
        **{f"sides.{k}": v for k, v in describe(s["sides"]).items()},
    }
    for row in days.filter(pl.col("session") == target).iter_rows(named=True):
        sym = row["symbol"]
        out[f"darkpool.{sym}"] = Explanation(
            f"darkpool.{sym}",
            f"{sym} dark-pool net and label",
            "§3.2",
            "Net = AtAsk − AtBid; label by AtBid/(AtAsk + AtBid) ≥ 55 % (DISTRIBUTION) or "
            "AtAsk/(AtAsk + AtBid) ≥ 55 % (ACCUMULATION)",
            row["net"],
            f"{fmt.money(row['net'], signed=True)} {row['label']}",
            dark_params,
            {
                "AtAsk": row["at_ask"],
                "AtBid": row["at_bid"],
                "Mid": row["mid"],
                "% at bid": row["pct_at_bid"],
                "of classified": row["pct_at_bid_classified"],
                "fast tape": str(row["fast_tape"]),
                "why": str(row["label_reason"]),
            },
            dark_files,
        )

    chain_files = tuple(
        f.rel for f in inputs.catalog.of_kind(Kind.CHAIN) if f.session and f.session <= target
    )
    bar_files = inputs.sources(Kind.DAILY_BARS)
    for row in zones.iter_rows(named=True):
        sym = row["symbol"]
        out[f"zones.{sym}"] = Explanation(
            f"zones.{sym}",
            f"{sym} expected-move zone",
            "§4",
            "low/high = anchor ∓ EM; EM = 0.85 × ATM straddle (or S·σ·√T, or ATR); "
            "upside = (high − close)/close; status by §4.3",
            row["status"],
            f"{fmt.num(row['low'], 2)} / {fmt.num(row['mid'], 2)} / {fmt.num(row['high'], 2)} "
            f"{row['status']}",
            describe(s["zones"]),
            {
                k: row.get(k)
                for k in (
                    "anchor_date",
                    "anchor",
                    "em",
                    "source",
                    "expiry",
                    "atm_strike",
                    "straddle_mid",
                    "atm_iv",
                    "close",
                    "upside",
                    "downside",
                    "ratio_text",
                )
            },
            bar_files[:0] + chain_files if row.get("source") in ("straddle", "iv") else bar_files,
        )

    gamma_files = inputs.sources(Kind.CHAIN, target)
    for und, rep in gamma.items():
        zero = rep.zeros[0] if rep.zeros else None
        out[f"gamma.{und}"] = Explanation(
            f"gamma.{und}",
            f"{und} dealer gamma",
            "§6",
            "GEX = Σ sign·Γ·OI·100·S²·0.01 (calls +, puts −); zero gamma = root of GEX(S) "
            "nearest spot",
            rep.net_gex,
            f"{fmt.money(rep.net_gex, signed=True)} {rep.unit.label}",
            describe(rep.params),
            {
                "spot": rep.spot,
                "as_of": rep.as_of,
                "call GEX": rep.call_gex,
                "put GEX": rep.put_gex,
                "zero gamma": zero.zero_gamma if zero else None,
                "regime": rep.regime,
                "contracts used": rep.counts.used if hasattr(rep.counts, "used") else None,
            },
            gamma_files,
        )

    out["convergence.count"] = Explanation(
        "convergence.count",
        "Convergence count",
        "§10",
        "B bullish vs R bearish; net = B − R; agreement = max(B, R)/(B + R)",
        convergence_.net,
        f"{convergence_.bullish} vs {convergence_.bearish}",
        describe(s["convergence"]),
        {
            "bullish": convergence_.bullish,
            "bearish": convergence_.bearish,
            "neutral": convergence_.neutral,
            "n/a": convergence_.not_available,
        },
        inputs.sources(Kind.INPUTS),
    )
    return out


# ------------------------------------------------------------------------------------------
# the builder
# ------------------------------------------------------------------------------------------


def _lap(timings: dict[str, float], name: str, start: float) -> float:
    now = clock.perf_counter()
    timings[name] = now - start
    return now


def build_snapshot(
    data_dir: Path,
    session: date | None = None,
    /,
    *,
    inputs: Inputs | None = None,
    previous: Inputs | None = None,
) -> Snapshot:
    """Analyse ``session`` (default: the latest tape session) of ``data_dir``.

    ``inputs`` lets a caller that already read the folder (the app moving between sessions)
    skip reading it; ``previous`` (the inputs of the last snapshot) makes a fresh read reuse
    unchanged files and keep the last good rows of a file that fails to read.
    """
    timings: dict[str, float] = {}
    t = clock.perf_counter()
    inputs = inputs or read_inputs(Path(data_dir), previous=previous)
    t = _lap(timings, "read", t)
    sessions = list(inputs.catalog.sessions)
    if not sessions:
        raise SnapshotError(f"{data_dir}: no session folders (YYYY-MM-DD/) with tape files")
    target = session or sessions[-1]
    if target not in sessions:
        raise SnapshotError(
            f"{data_dir}: no session {target} (sessions: {sessions[0]} … {sessions[-1]})"
        )
    upto = [d for d in sessions if d <= target]
    s = inputs.settings
    conv: ConvergenceParams = s["convergence"]

    per_day = _days(inputs, upto, target)
    today = per_day[-1]
    t = _lap(timings, "flow+gamma", t)
    classified, days = _dark(inputs, upto)
    ladders_ = ladders(days.lazy(), params=s["darkpool"]).collect()
    market = dark_market(days.lazy()).collect()
    spots = spot_from_bars(inputs.bars.lazy(), as_of=target)
    by_spot = volume_by_spot(classified.lazy(), spots, as_of=target, params=s["darkpool"]).collect()
    short = [inputs.tape(Kind.SHORT_VOLUME, d) for d in upto]
    short = [f for f in short if not f.is_empty()]
    if short:
        dix_frame = dix_percentile(
            dix(pl.concat(short).lazy(), inputs.bars.lazy(), params=s["darkpool"]),
            params=s["darkpool"],
        ).collect()
    else:
        dix_frame = pl.DataFrame(
            schema={
                "date": pl.Date,
                "dix": pl.Float64,
                "percentile": pl.Float64,
                "history": pl.Int64,
            }
        )
    t = _lap(timings, "darkpool", t)
    zones = _zones(inputs, upto, target)
    trend = adx(inputs.bars.lazy(), params=s["trend"]).collect()
    t = _lap(timings, "zones+trend", t)
    indicators = _indicators(inputs, upto)
    t = _lap(timings, "indicators", t)

    def regime_on(
        day: date, flow_zones: pl.DataFrame, gam: Mapping[str, GammaReport]
    ) -> RegimeSnapshot:
        hyg = flow_zones.filter(pl.col("symbol") == conv.credit_symbol)
        credit = {day: hyg["status"][0]} if hyg.height and hyg["status"][0] else None
        rep = gam.get(conv.gamma_underlying)
        gex = {day: rep.regime} if rep and rep.regime else None
        return regime_snapshot(
            inputs.macro.lazy(),
            inputs.bars.lazy(),
            session=day,
            credit_status=credit,
            gex_regime=gex,
            params=s["regime"],
        )

    regime = regime_on(target, zones, today.gamma)
    t = _lap(timings, "regime", t)
    tickers = _tickers(inputs, today.flow, days, ladders_, target)
    history = pl.concat(
        [d.flow.tickers for d in per_day if not d.flow.tickers.is_empty()] or [today.flow.tickers]
    )
    campaign = campaigns(history.lazy(), params=s["flow"]).collect()
    t = _lap(timings, "tickers", t)

    def inputs_on(day: _Day) -> pl.DataFrame:
        z = (
            zones
            if day.session == target
            else _zones(inputs, [d for d in upto if d <= day.session], day.session)
        )
        reg = regime if day.session == target else regime_on(day.session, z, day.gamma)
        d = days.filter(pl.col("session") <= day.session)
        return _convergence_inputs(
            inputs, day.session, day.flow, d, z, trend, day.gamma, reg, indicators, dix_frame
        )

    conv_inputs = inputs_on(today)
    history_days = per_day[-conv.history_sessions :]
    counts = tuple(
        (d.session, count(conv_inputs if d.session == target else inputs_on(d)))
        for d in history_days
    )
    t = _lap(timings, "convergence", t)
    explanations = _explanations(
        inputs, target, today.flow, days, zones, today.gamma, counts[-1][1]
    )
    t = _lap(timings, "explain", t)
    quotes = inputs.tape(Kind.QUOTES, target)
    option_prints = bucket_prints(
        inputs.tape(Kind.OPTION_PRINTS, target).lazy(),
        quotes.lazy() if not quotes.is_empty() else None,
        params=s["flow"],
        side_params=s["sides"],
    ).collect()
    _lap(timings, "prints", t)
    files = inputs.catalog.files
    return Snapshot(
        data_dir=Path(data_dir),
        session=target,
        sessions=tuple(sessions),
        settings=s,
        flow=today.flow,
        dark_days=days,
        dark_market=market,
        dark_ladders=ladders_,
        dark_volume_by_spot=by_spot,
        dix=dix_frame,
        zones=zones,
        trend=trend.filter(pl.col("date") == target),
        gamma=today.gamma,
        regime=regime,
        indicators=indicators,
        tickers=tickers,
        campaigns=campaign,
        convergence_inputs=conv_inputs,
        convergence=counts[-1][1],
        convergence_history=counts,
        explanations=explanations,
        rejects=inputs.rejects,
        errors=inputs.errors,
        option_prints=option_prints,
        dark_prints=classified.filter(pl.col("session") == target),
        files=len(files),
        stale=inputs.stale,
        newest_mtime_ns=max((f.mtime_ns for f in files), default=0),
        inputs=inputs,
        timings=timings,
    )
