"""``build_snapshot``: every layer of the daily report for one session, computed once.

The app and the headless report both read the same immutable ``Snapshot``: the frames and
scalars of every layer (options flow, dark pool, zones, Range, dealer gamma, regime,
indicators, ticker verdicts, convergence), the history the multi-session figures need, what
changed since the prior session, the rows that were set aside while reading, and an
``Explanation`` for every figure the report prints.

The session analysed (the target) is always computed from its files. Every earlier session is
needed only through a few small frames (its summary: per-ticker flow, per-symbol dark-pool
sums, dark volume by price, short volume, intraday bars, put/call rows, the gamma figures the
convergence count reads, the ATM rows of its chain, its rejected rows) and, for the sessions
the convergence history and the change list show, what the report said that day (convergence
inputs, zones, verdicts). Both are kept in a ``HistoryCache`` (``core.history``) so that a
folder of hundreds of sessions opens without reading their tapes again; a session whose files
changed is summarised again from its files, and nothing else is.
"""

from __future__ import annotations

import time as clock
from collections.abc import Callable, Collection, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Final, Literal, TypeVar

import polars as pl

from . import fmt, vendors
from .catalog import Catalog, DataFile, scan_catalog, session_date
from .changes import Changes, SessionState, rule_title, what_changed
from .convergence import (
    INPUT_SCHEMA,
    ConvergenceParams,
    Count,
    analyst_inputs,
    count,
    history_text,
)
from .darkpool import (
    DARK_SUMS_SCHEMA,
    LEVELS_SCHEMA,
    DarkParams,
    _day_label,
    _with_dark_figures,
    classify_dark_prints,
    dark_levels,
    dark_market,
    dark_sums,
    dix,
    dix_percentile,
    dpi,
    fast_tape,
    fold_sums,
    ladders,
    spot_from_bars,
    spot_splits,
    volume_by_spot_from_splits,
)
from .flow import (
    FlowDay,
    FlowParams,
    MarketFlow,
    bucket_prints,
    campaigns,
    flow_from_summary,
    summarise_prints,
    top_flow,
)
from .gamma import GammaParams, GammaReport, gamma_report
from .history import (
    SESSION,
    HistoryCache,
    HistoryInfo,
    Loaded,
    chain_keys,
    derived_key,
    file_stamp,
    settings_fingerprint,
    summary_key,
    top_files_key,
)
from .indicators import (
    IndicatorParams,
    breadth,
    gravestone_doji,
    put_call_ratios,
    relative_volume,
    smart_money_index,
    with_rsi,
)
from .provenance import Explanation, Explanations
from .readers import REJECT_SCHEMA, FileResult, empty_frame, read_file
from .regime import RegimeParams, RegimeSnapshot, Rule, regime_snapshot
from .schema import Kind
from .settings import describe, load_settings
from .sides import SideParams
from .tape import (
    SPLITS_SCHEMA,
    TAPE_KINDS,
    SpotMap,
    TapeParams,
    TapeSummary,
    fast_path_applies,
    read_tape,
    reusable,
)
from .tape import fold as fold_tape
from .tape import rows as tape_rows
from .thesis import ThesisParams
from .tickers import TickerParams, divergence_days, votes
from .trend import TrendParams, adx
from .zones import ZoneParams, atm_straddles, session_zones

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
    "thesis": ThesisParams(),
}

#: The frames of a session summary (``history`` table "summaries").
SUMMARY_FRAMES: Final = (
    "market",
    "tickers",
    "dark",
    "short",
    "intraday",
    "pcr",
    "gamma",
    "chain_atm",
    "rejects",
)
#: Dark-pool volume by price, one file per session (only the §3.5 window is ever read).
LEVELS: Final = "dark_levels"
#: What the report said on a session (``history`` table "derived").
DERIVED_FRAMES: Final = ("conv", "zones", "verdicts", "regime")

#: How ``build_snapshot`` finds its cache: "default" (``HistoryCache.for_data_dir``), a cache,
#: or None (no cache: every session is summarised from its files).
CacheChoice = HistoryCache | Literal["default"] | None


_T = TypeVar("_T")


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
    #: The sessions whose files were read (None: every session).
    read_sessions: frozenset[date] | None = None
    #: Results computed from these inputs, kept for the next build over the same files
    #: (``_memo``): a live rebuild after an append recomputes only what the tapes feed.
    memo: dict[str, tuple[tuple[object, ...], Any]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def tape(self, kind: Kind, session: date) -> pl.DataFrame:
        """The good rows of every file of ``kind`` in ``session`` (print tapes are read again
        when their rows were not kept: prefer ``prints`` and ``summary`` for them)."""
        if kind in TAPE_KINDS:
            return self.prints(kind, session).collect()
        return self.tapes.get((kind, session), empty_frame(kind))

    def _tape_results(self, kind: Kind, session: date) -> list[FileResult]:
        return [
            r
            for r in self.results.values()
            if r.source.session == session and r.kind is kind and r.tape is not None
        ]

    def prints(self, kind: Kind, session: date) -> pl.LazyFrame:
        """The good rows of every print file of ``kind`` in ``session``, lazily (rows not kept
        in memory are read from their files when collected)."""
        frames = [tape_rows(r) for r in self._tape_results(kind, session)]
        if not frames:
            return empty_frame(kind).lazy()
        return pl.concat(frames, how="vertical_relaxed")

    def summary(self, kind: Kind, session: date) -> TapeSummary:
        """The sums of every print file of ``kind`` in ``session`` (``core.tape``)."""
        parts = [r.tape.summary for r in self._tape_results(kind, session) if r.tape is not None]
        return fold_tape(kind, parts)

    @property
    def held_back(self) -> tuple[str, ...]:
        """Files whose unterminated last line waits for the rest (read them again soon)."""
        return tuple(
            r.source.rel for r in self.results.values() if r.tape is not None and r.tape.held_back
        )

    def sources(self, kind: Kind, session: date | None = None) -> tuple[str, ...]:
        return tuple(f.rel for f in self.catalog.of_kind(kind, session))

    def has_read(self, session: date) -> bool:
        return self.read_sessions is None or session in self.read_sessions

    def clean(self, session: date) -> bool:
        """Every file of ``session`` was read without an error or a fallback to old rows."""
        stale = set(self.stale)
        for f in self.catalog.files:
            if f.session != session:
                continue
            result = self.results.get(f.rel)
            if result is None or result.error is not None or f.rel in stale:
                return False
        return not any(
            session_date(s.rel.split("/", 1)[0]) == session for s in self.catalog.unreadable
        )


def _memo(inputs: Inputs, name: str, deps: tuple[object, ...], compute: Callable[[], _T]) -> _T:
    """``compute()``, or its value from an earlier build whose ``deps`` were the same objects
    (frames read from unchanged files are the same objects from build to build) or equal
    values (dates, settings)."""
    return _memo_in(inputs.memo, name, deps, compute)


def _memo_in(
    memo: dict[str, tuple[tuple[object, ...], Any]],
    name: str,
    deps: tuple[object, ...],
    compute: Callable[[], _T],
) -> _T:
    hit = memo.get(name)
    if (
        hit is not None
        and len(hit[0]) == len(deps)
        and all(_same(a, b) for a, b in zip(hit[0], deps, strict=True))
    ):
        value = hit[1]
        if isinstance(value, Future):  # started beside the reading (``_prefetch``)
            value = value.result()
            memo[name] = (deps, value)
        return value  # type: ignore[no-any-return]
    value = compute()
    memo[name] = (deps, value)
    return value


def _bar_indicators(bars: pl.DataFrame, p: IndicatorParams) -> dict[str, pl.DataFrame]:
    lazy = bars.lazy()
    breadth_, rsi, rvol, doji = pl.collect_all(
        [
            breadth(lazy, params=p),
            with_rsi(lazy, params=p),
            relative_volume(lazy, params=p),
            gravestone_doji(lazy, params=p),
        ]
    )
    return {"breadth": breadth_, "rsi": rsi, "rvol": rvol, "doji": doji}


def _prefetch_gamma(
    memo: dict[str, tuple[tuple[object, ...], Any]],
    day: date,
    settings: Mapping[str, Any],
    reads: Mapping[str, tuple[FileResult, Any, bool]],
    pool: ThreadPoolExecutor,
) -> None:
    """Start ``day``'s dealer gamma (the convergence underlying's, then the others') in
    ``pool`` once its chain files are read; ``_gamma`` picks the results up."""
    files = [r for r, _, _ in reads.values() if r.kind is Kind.CHAIN and r.source.session == day]
    if not files:
        return
    params: GammaParams = settings["gamma"]
    underlying = settings["convergence"].gamma_underlying
    chain = _stack(files, Kind.CHAIN)
    for only, exclude in (((underlying,), ()), (None, (underlying,))):
        name, deps = _gamma_memo(day, only, exclude, params, files)
        hit = memo.get(name)
        if (
            hit is not None
            and len(hit[0]) == len(deps)
            and all(_same(a, b) for a, b in zip(hit[0], deps, strict=True))
        ):
            continue
        memo[name] = (
            deps,
            pool.submit(_gamma_of, chain, only, exclude, params),
        )


def _prefetch(
    memo: dict[str, tuple[tuple[object, ...], Any]],
    bars: pl.DataFrame,
    settings: Mapping[str, Any],
    pool: ThreadPoolExecutor,
) -> None:
    """Start what the report computes from the daily bars alone in ``pool``, while the tapes
    are read (Polars works without the GIL); ``_memo`` picks the results up."""
    s = settings
    jobs: dict[str, tuple[tuple[object, ...], Callable[[], object]]] = {
        "indicators": ((bars, s["indicators"]), lambda: _bar_indicators(bars, s["indicators"])),
        "trend": ((bars, s["trend"]), lambda: adx(bars.lazy(), params=s["trend"]).collect()),
        "fast_tape": (
            (bars, s["darkpool"]),
            lambda: fast_tape(bars.lazy(), params=s["darkpool"]).collect().lazy(),
        ),
        "returns": ((bars,), lambda: _returns(bars)),
        "holidays": ((bars,), lambda: tuple(_holidays(bars))),
    }
    for name, (deps, job) in jobs.items():
        hit = memo.get(name)
        if (
            hit is not None
            and len(hit[0]) == len(deps)
            and all(_same(a, b) for a, b in zip(hit[0], deps, strict=True))
        ):
            continue
        memo[name] = (deps, pool.submit(job))


@dataclass(frozen=True, slots=True, eq=False)
class _Content:
    """A small frame compared by its content (not its identity) in ``_memo``."""

    frame: pl.DataFrame

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Content) and self.frame.equals(other.frame)

    __hash__ = None  # type: ignore[assignment]


def _same(a: object, b: object) -> bool:
    if a is b:
        return True
    if isinstance(a, pl.DataFrame | pl.LazyFrame | FileResult) or isinstance(
        b, pl.DataFrame | pl.LazyFrame | FileResult
    ):
        return False
    try:
        return bool(a == b)
    except Exception:  # a value without a usable equality
        return False


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
    #: The session's option prints with their side, bucket and exclusion (for drill-down),
    #: lazily: a full session is millions of prints, so filter before collecting.
    option_prints: pl.LazyFrame
    #: The session's off-exchange prints with their side and exclusion (for drill-down), lazily.
    dark_prints: pl.LazyFrame
    #: Files read, files showing their last good rows, and the newest file's mtime (ns).
    files: int
    stale: tuple[str, ...]
    newest_mtime_ns: int
    #: The inputs this snapshot was built from (pass back as ``previous`` on the next build).
    inputs: Inputs
    #: Seconds spent per stage (for the benchmarks and the footer).
    timings: Mapping[str, float] = field(default_factory=dict)
    #: What changed since the prior session (zones crossed, new flips, verdicts, ...).
    changes: Changes | None = None
    #: Which past sessions came from the cache and which were computed from their files.
    history: HistoryInfo = field(default_factory=HistoryInfo)

    @property
    def convergence_history_text(self) -> str:
        return history_text([c for _, c in self.convergence_history])

    @property
    def prior_session(self) -> date | None:
        """The tape session before this one, if any."""
        earlier = [d for d in self.sessions if d < self.session]
        return earlier[-1] if earlier else None

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
    source: DataFile, previous: Inputs | None, params: TapeParams, live: bool
) -> tuple[FileResult, tuple[tuple[str, int, int], ...], bool]:
    """This file's rows: the previous read when neither the file (size and mtime) nor the files
    it is read with changed, a fresh read otherwise (a print tape that only grew is read from
    where it stopped); when the fresh read fails, the previous good rows (flagged stale). Also
    returns the companions' stamp for the next comparison."""
    before = previous.results.get(source.rel) if previous is not None else None
    stamp = _companions_stamp(source)
    same_companions = previous is not None and previous.companions.get(source.rel, ()) == stamp
    if source.kind in TAPE_KINDS:
        if before is not None and same_companions and reusable(before, source, params):
            return before, stamp, False
        result = read_tape(source, before if same_companions else None, params=params, live=live)
    else:
        if (
            before is not None
            and same_companions
            and before.error is None
            and before.source.size == source.size
            and before.source.mtime_ns == source.mtime_ns
            and before.source.detected == source.detected
        ):
            return before, stamp, False
        result = read_file(source)
    if result.error is not None and before is not None and before.good_rows > 0:
        return replace(before, error=result.error), stamp, True
    return result, stamp, False


def _cached_top(files: list[DataFile], store: HistoryCache) -> list[FileResult] | None:
    """The top-level files as parsed by an earlier run (the files unchanged), or None."""
    if not files:
        return None
    frames = store.top_files(top_files_key(files))
    if frames is None:
        return None
    rejects = frames["rejects"]
    by_file: dict[str, pl.DataFrame] = {}
    for kind in {f.kind for f in files}:
        frame = frames.get(kind.value)
        if frame is None:
            return None
        for (rel,), part in frame.partition_by("_rel", as_dict=True).items():
            by_file[str(rel)] = part.drop("_rel")
    reject_parts = {
        str(rel): part for (rel,), part in rejects.partition_by("file", as_dict=True).items()
    }
    return [
        FileResult(
            f,
            by_file.get(f.rel, empty_frame(f.kind)),
            reject_parts.get(f.rel, pl.DataFrame(schema=REJECT_SCHEMA)),
        )
        for f in files
    ]


def _store_top(files: list[DataFile], results: list[FileResult], store: HistoryCache) -> None:
    frames: dict[str, list[pl.DataFrame]] = {}
    for r in results:
        frames.setdefault(r.kind.value, []).append(
            r.frame.with_columns(pl.lit(r.source.rel).alias("_rel"))
        )
    out = {k: pl.concat(v, how="vertical_relaxed") for k, v in frames.items()}
    rejects = [r.rejects for r in results if r.rejects.height]
    out["rejects"] = pl.concat(rejects) if rejects else pl.DataFrame(schema=REJECT_SCHEMA)
    store.put_top_files(top_files_key(files), out)


def _session_of(rel: str) -> date | None:
    """The session folder a path (relative to the data folder) sits in, if any."""
    head, sep, _ = rel.partition("/")
    return session_date(head) if sep else None


def read_inputs(
    data_dir: Path,
    /,
    *,
    previous: Inputs | None = None,
    sessions: Collection[date] | None = None,
    catalog: Catalog | None = None,
    live: bool = False,
    spot_session: date | None = None,
    pool: ThreadPoolExecutor | None = None,
    store: HistoryCache | None = None,
) -> Inputs:
    """Read the files of ``data_dir`` once. Raises ``CatalogError`` / ``SettingsError`` when
    the folder or its flowterm.toml cannot be used; never raises on bad rows.

    ``sessions`` limits the tape files read to those sessions (the top-level files are always
    read); ``catalog`` reuses a listing of the folder instead of scanning it again. With
    ``previous`` (the last good read of the same folder), unchanged files are not read again,
    a print tape that only grew is read from where it stopped, and a file that cannot be read
    now keeps its last good rows (listed in ``stale`` and in ``errors``). ``live`` (the app
    following a folder) leaves an unterminated last line of a CSV that is being written for
    the next read (``Inputs.held_back``); one-shot reads use it. The off-exchange prints of
    ``spot_session`` are split against that session's spots while read instead of kept by
    price (``tape.SpotMap``; the latest session, which is read most and only ever needs that).
    With a ``pool``, what the report computes from the daily bars starts there while the tapes
    are read. With a ``store``, the parsed top-level files (bars, macro, ...) are kept there
    and taken from it while they are unchanged.
    """
    catalog = catalog if catalog is not None else scan_catalog(data_dir)
    settings = load_settings(catalog.settings, DEFAULTS)
    wanted = None if sessions is None else frozenset(sessions)
    chosen = [
        f for f in catalog.files if wanted is None or f.session is None or f.session in wanted
    ]
    params = TapeParams.of(settings)
    # the top-level files first: the daily bars give the spots a session's off-exchange
    # volume is split against while it is read (``tape.SpotMap``)
    top_files = [f for f in chosen if f.session is None]
    cached = _cached_top(top_files, store) if previous is None and store is not None else None
    top_reads: dict[str, tuple[FileResult, tuple[tuple[str, int, int], ...], bool]]
    if cached is not None:
        top_reads = {r.source.rel: (r, (), False) for r in cached}
    else:
        top_reads = {f.rel: _read(f, previous, params, live) for f in top_files}
        # store them when some file was read now (a live rebuild that reused every one of
        # them from the previous read has nothing new to keep)
        fresh = previous is None or any(
            previous.results.get(rel) is not r for rel, (r, _, _) in top_reads.items()
        )
        if store is not None and fresh and all(r.error is None for r, _, _ in top_reads.values()):
            _store_top(top_files, [r for r, _, _ in top_reads.values()], store)
    top = [r for r, _, _ in top_reads.values()]
    before = (
        [r for r in previous.results.values() if r.source.session is None]
        if previous is not None
        else []
    )
    unchanged = (
        previous is not None
        and previous.settings == settings
        and len(top) == len(before)
        and all(a is b for a, b in zip(top, before, strict=True))
    )
    top_by_kind: dict[Kind, list[FileResult]] = {}
    for r in top:
        top_by_kind.setdefault(r.kind, []).append(r)

    def table(kind: Kind) -> pl.DataFrame:
        return _stack(top_by_kind.get(kind, []), kind)

    if unchanged and previous is not None:
        # the same files: the same tables, and what earlier builds computed from them
        bars, macro, events = previous.bars, previous.macro, previous.events
        sectors, user_zones, analyst = previous.sectors, previous.user_zones, previous.analyst
        memo = previous.memo
    else:
        bars = table(Kind.DAILY_BARS).unique(["symbol", "date"], keep="last").sort("symbol", "date")
        macro, events, sectors = table(Kind.MACRO), table(Kind.EVENTS), table(Kind.SECTORS)
        user_zones, analyst = table(Kind.ZONES), table(Kind.INPUTS)
        memo = {}
    if pool is not None:
        _prefetch(memo, bars, settings, pool)
    spot_params = params
    if spot_session is not None and (wanted is None or spot_session in wanted):
        spots = spot_from_bars(bars.lazy(), as_of=spot_session).collect()
        spot_params = replace(params, spots=SpotMap.of(spots, spot_session))
    session_reads: dict[str, tuple[FileResult, tuple[tuple[str, int, int], ...], bool]] = {}
    # chains first: the latest session's dealer gamma starts while its tapes are read
    ordered = sorted(
        (f for f in chosen if f.session is not None), key=lambda f: f.kind is not Kind.CHAIN
    )
    for f in ordered:
        session_reads[f.rel] = _read(
            f, previous, spot_params if f.session == spot_session else params, live
        )
        last_chain = f.kind is Kind.CHAIN and not any(
            g.kind is Kind.CHAIN and g.session == spot_session and g.rel not in session_reads
            for g in ordered
        )
        if (
            pool is not None
            and spot_session is not None
            and f.session == spot_session
            and (last_chain)
        ):
            _prefetch_gamma(memo, spot_session, settings, session_reads, pool)
    reads = [top_reads.get(f.rel) or session_reads[f.rel] for f in chosen]
    companions = {r.source.rel: stamp for r, stamp, _ in reads if stamp}
    if previous is not None:
        # a file the catalog could not even sniff now (a truncated Parquet footer) keeps its
        # last good rows too
        for skipped in catalog.unreadable:
            day = _session_of(skipped.rel)
            if wanted is not None and day is not None and day not in wanted:
                continue
            last = previous.results.get(skipped.rel)
            if last is not None and last.good_rows > 0:
                failed = replace(last, error=f"{skipped.rel}: {skipped.reason}")
                reads.append((failed, (), True))
    results = [r for r, _, _ in reads]
    stale = tuple(r.source.rel for r, _, was_stale in reads if was_stale)
    tapes: dict[tuple[Kind, date], list[FileResult]] = {}
    for r in results:
        if r.source.session is not None and r.kind not in TAPE_KINDS:
            tapes.setdefault((r.kind, r.source.session), []).append(r)
    rejects = [r.rejects for r in results if not r.rejects.is_empty()]
    found = [r.error for r in results if r.error is not None]
    found += [f"{s.rel}: {s.reason}" for s in catalog.unreadable]
    errors = tuple(dict.fromkeys(found))

    return Inputs(
        catalog=catalog,
        settings=settings,
        bars=bars,
        macro=macro,
        events=events,
        sectors=sectors,
        user_zones=user_zones,
        analyst=analyst,
        tapes={key: _stack(rs, key[0]) for key, rs in tapes.items()},
        rejects=pl.concat(rejects) if rejects else pl.DataFrame(schema=REJECT_SCHEMA),
        errors=errors,
        results={r.source.rel: r for r in results},
        stale=stale,
        companions=companions,
        read_sessions=wanted,
        memo=memo,
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
# one session from its files, and its summary
# ------------------------------------------------------------------------------------------


def _quotes(inputs: Inputs, day: date) -> pl.LazyFrame | None:
    quotes = inputs.tape(Kind.QUOTES, day)
    return quotes.lazy() if not quotes.is_empty() else None


def _flow(inputs: Inputs, day: date) -> FlowDay:
    """The session's §2 flow from the sums of its print files; with a quotes file (which
    completes the prints without their own quote) from the prints themselves."""
    s = inputs.settings
    quotes = _quotes(inputs, day)
    if quotes is None:
        summary = inputs.summary(Kind.OPTION_PRINTS, day).sums
    else:
        bucketed = bucket_prints(
            inputs.prints(Kind.OPTION_PRINTS, day),
            quotes,
            params=s["flow"],
            side_params=s["sides"],
        )
        summary = summarise_prints(bucketed).collect(engine="streaming")
    return flow_from_summary(
        summary,
        inputs.sectors.lazy() if not inputs.sectors.is_empty() else None,
        params=s["flow"],
        side_params=s["sides"],
    )


def _gamma_of(
    chain: pl.DataFrame,
    only: tuple[str, ...] | None,
    exclude: tuple[str, ...],
    params: GammaParams,
) -> dict[str, GammaReport]:
    if only is not None:
        chain = chain.filter(pl.col("underlying").is_in(only))
    if exclude:
        chain = chain.filter(~pl.col("underlying").is_in(exclude))
    if chain.is_empty():
        return {}
    return gamma_report(chain.lazy(), params=params)


def _gamma_memo(
    day: date,
    only: tuple[str, ...] | None,
    exclude: tuple[str, ...],
    params: GammaParams,
    files: Iterable[FileResult],
) -> tuple[str, tuple[object, ...]]:
    """The memo name and dependencies of a session's dealer gamma (``_gamma``)."""
    return f"gamma {day} {only} {exclude}", (day, only, exclude, params, *files)


def _gamma(
    inputs: Inputs, day: date, only: tuple[str, ...] | None, *, exclude: tuple[str, ...] = ()
) -> dict[str, GammaReport]:
    """Dealer gamma of ``day``'s chain: every underlying, only those in ``only``, or all but
    those in ``exclude`` (each underlying's figures depend on its own contracts only)."""
    params = inputs.settings["gamma"]
    files = [r for r in inputs.results.values() if r.source.session == day and r.kind is Kind.CHAIN]
    name, deps = _gamma_memo(day, only, exclude, params, files)
    return _memo(
        inputs,
        name,
        deps,
        lambda: _gamma_of(inputs.tape(Kind.CHAIN, day), only, exclude, params),
    )


def _classified(inputs: Inputs, day: date) -> pl.LazyFrame:
    """The session's off-exchange prints with their §3.1 exclusion and §1.2 side, lazily (for
    the drill-down).

    Sessions are classified one at a time: with the default rule (no tick-test fallback) a
    print's side depends only on its own quote, so this equals classifying them all at once."""
    s = inputs.settings
    return classify_dark_prints(
        inputs.prints(Kind.OFFEX_PRINTS, day), params=s["darkpool"], side_params=s["sides"]
    )


def _dark_summary(inputs: Inputs, day: date) -> TapeSummary:
    """The session's §3.2 sums and §3.5 volume by price: from its files' sums, or (with the
    tick-test fallback, where a print's side depends on the prints before it) from the prints."""
    params = TapeParams.of(inputs.settings)
    if fast_path_applies(Kind.OFFEX_PRINTS, params):
        return inputs.summary(Kind.OFFEX_PRINTS, day)
    classified = _classified(inputs, day)
    sums, levels = pl.collect_all(
        [dark_sums(classified).cast(DARK_SUMS_SCHEMA), dark_levels(classified)],
        engine="streaming",
    )
    return TapeSummary(sums, (levels,))


def _put_call(inputs: Inputs, day: date) -> pl.DataFrame:
    """§9.4 put/call ratios of the session, from its option files' sums."""
    sums = inputs.summary(Kind.OPTION_PRINTS, day).sums
    prints = sums.lazy().select(
        "session",
        "underlying",
        "root",
        "right",
        pl.col("volume").alias("size"),
        pl.col("premium_all").alias("premium"),
    )
    return put_call_ratios(prints, params=inputs.settings["indicators"]).collect()


@dataclass(frozen=True, slots=True)
class _GammaSummary:
    """What the convergence count and the regime read from a session's dealer gamma."""

    regime: str | None
    has_zero: bool
    spot: float | None
    zero_gamma: float | None
    vote: int | None


_GAMMA_SCHEMA: Final = pl.Schema(
    {
        "underlying": pl.String(),
        "regime": pl.String(),
        "net_gex": pl.Float64(),
        "has_zero": pl.Boolean(),
        "spot": pl.Float64(),
        "zero_gamma": pl.Float64(),
        "vote": pl.Int8(),
    }
)


def _gamma_rows(gamma: Mapping[str, GammaReport], underlying: str) -> pl.DataFrame:
    rep = gamma.get(underlying)
    if rep is None:
        return pl.DataFrame(schema=_GAMMA_SCHEMA)
    zero = rep.zeros[0] if rep.zeros else None
    row = {
        "underlying": underlying,
        "regime": rep.regime,
        "net_gex": rep.net_gex,
        "has_zero": zero is not None,
        "spot": zero.spot if zero else None,
        "zero_gamma": zero.zero_gamma if zero else None,
        "vote": zero.vote if zero else None,
    }
    return pl.DataFrame([row], schema=_GAMMA_SCHEMA)


def _gamma_summary(rows: pl.DataFrame) -> _GammaSummary | None:
    if rows.is_empty():
        return None
    r = rows.row(0, named=True)
    return _GammaSummary(r["regime"], bool(r["has_zero"]), r["spot"], r["zero_gamma"], r["vote"])


def _market_row(m: MarketFlow) -> pl.DataFrame:
    row: dict[str, Any] = {}
    for name in m.__dataclass_fields__:
        value = getattr(m, name)
        row[name] = str(value) if isinstance(value, str) else value
    return pl.DataFrame([row])


def _chain_atm(chain: pl.DataFrame, params: ZoneParams) -> pl.DataFrame:
    """The rows of the chain the zones read: for each underlying, expiry and root of its latest
    snapshot, the calls and puts at the ATM strike (``atm_straddles`` picks the same strike
    from these rows as from the whole chain, so the zones are unchanged)."""
    if chain.is_empty():
        return chain
    keys = ["underlying", "expiry", "as_of", "strike"]
    atm = atm_straddles(chain.lazy(), params=params).select(
        "underlying", "expiry", "root", "as_of", pl.col("atm_strike").alias("strike")
    )
    if "root" in chain.columns:
        keys.append("root")
    else:
        atm = atm.drop("root")
    return chain.join(atm.collect(), on=keys, how="semi", nulls_equal=True)


def _dark_sums(classified: pl.DataFrame, params: DarkParams) -> pl.DataFrame:
    """Per session and symbol: the notional sums and print counts of ``dark_days`` (what the
    files' summaries hold, from classified prints)."""
    return dark_sums(classified.lazy()).sort("session", "symbol").collect()


def _levels(classified: pl.DataFrame) -> pl.DataFrame:
    """Off-exchange volume by exact price per session and symbol (counted prints only): the
    §3.5 split above/below any spot is the same from these sums as from the prints."""
    return dark_levels(classified.lazy()).sort("session", "symbol", "price").collect()


def _tagged(frame: pl.DataFrame, day: date) -> pl.DataFrame:
    return frame.with_columns(pl.lit(day, pl.Date).alias(SESSION))


@dataclass(frozen=True, slots=True)
class _Day:
    """One session computed from its files."""

    session: date
    flow: FlowDay
    gamma: Mapping[str, GammaReport]
    #: The classified off-exchange prints, lazily (the drill-down collects what it shows).
    classified: pl.LazyFrame
    #: The summary frames (``SUMMARY_FRAMES``), each with a ``_session`` column.
    frames: Mapping[str, pl.DataFrame]
    #: The §3.2 sums and §3.5 volume (by price in parts, or split against the spots).
    dark: TapeSummary


def _compute_day(inputs: Inputs, day: date) -> _Day:
    """One session from its files: its flow, its classified dark prints, the dealer gamma of the
    convergence underlying, and its summary frames."""
    s = inputs.settings
    conv: ConvergenceParams = s["convergence"]
    flow = _flow(inputs, day)
    gamma = _gamma(inputs, day, (conv.gamma_underlying,))
    dark = _dark_summary(inputs, day)
    rejects = [
        r.rejects
        for r in inputs.results.values()
        if r.source.session == day and not r.rejects.is_empty()
    ]
    frames = {
        "market": _market_row(flow.market),
        "tickers": flow.tickers,
        "dark": dark.sums.sort("session", "symbol"),
        "short": dpi(inputs.tape(Kind.SHORT_VOLUME, day).lazy())
        .select("date", "symbol", "short_volume", "total_volume")
        .collect(),
        "intraday": inputs.tape(Kind.INTRADAY_BARS, day),
        "pcr": _put_call(inputs, day),
        "gamma": _gamma_rows(gamma, conv.gamma_underlying),
        "chain_atm": _chain_atm(inputs.tape(Kind.CHAIN, day), s["zones"]),
        "rejects": pl.concat(rejects) if rejects else pl.DataFrame(schema=REJECT_SCHEMA),
    }
    tagged = {name: _tagged(frame, day) for name, frame in frames.items()}
    return _Day(day, flow, gamma, _classified(inputs, day), tagged, dark)


# ------------------------------------------------------------------------------------------
# the history: every session up to the target, from summaries
# ------------------------------------------------------------------------------------------


def _dark_days_from(sums: pl.DataFrame, fast: pl.LazyFrame, params: DarkParams) -> pl.DataFrame:
    """``dark_days`` from its per-session sums (what it computes after grouping the prints)."""
    days = _with_dark_figures(sums.lazy())
    tape = fast.select(
        pl.col("symbol").cast(pl.String), pl.col("date").alias("session"), "fast_tape"
    )
    days = days.join(tape, on=["symbol", "session"], how="left")
    label, reason = _day_label(params)
    return (
        days.with_columns(label.alias("label"), reason.alias("label_reason"))
        .sort("session", "symbol")
        .collect()
    )


def _stack_frames(parts: Iterable[pl.DataFrame]) -> pl.DataFrame:
    frames = [p for p in parts if p.width]
    if not frames:
        return pl.DataFrame(schema={SESSION: pl.Date})
    return pl.concat(frames, how="diagonal_relaxed").sort(SESSION, maintain_order=True)


@dataclass(frozen=True, slots=True)
class _Context:
    """What every session up to the target needs, computed once per build."""

    inputs: Inputs
    target: date
    upto: tuple[date, ...]
    #: Summary frames of every session up to the target (``_session`` column).
    frames: Mapping[str, pl.DataFrame]
    days: pl.DataFrame
    trend: pl.DataFrame
    indicators: Mapping[str, pl.DataFrame]
    dix: pl.DataFrame
    holidays: tuple[date, ...]
    #: The gamma regime (POSITIVE/NEGATIVE) of the convergence underlying per session.
    gex: Mapping[date, str]

    def of(self, name: str, day: date) -> pl.DataFrame:
        frame = self.frames[name]
        return frame.filter(pl.col(SESSION) == day).drop(SESSION)

    def stacked(self, name: str, upto: date | None = None) -> pl.DataFrame:
        frame = self.frames[name]
        if upto is not None:
            frame = frame.filter(pl.col(SESSION) <= upto)
        return frame.drop(SESSION)


def _indicators(
    inputs: Inputs, intraday: pl.DataFrame, pcr: pl.DataFrame
) -> dict[str, pl.DataFrame]:
    p: IndicatorParams = inputs.settings["indicators"]
    bars = inputs.bars
    out = dict(_memo(inputs, "indicators", (bars, p), lambda: _bar_indicators(bars, p)))
    if not intraday.is_empty():
        out["smi"] = smart_money_index(intraday.lazy(), params=p).collect()
    if not pcr.is_empty():
        out["pcr"] = pcr
    return out


def _dix(inputs: Inputs, short: pl.DataFrame) -> pl.DataFrame:
    if short.is_empty():
        return pl.DataFrame(
            schema={
                "date": pl.Date,
                "dix": pl.Float64,
                "percentile": pl.Float64,
                "history": pl.Int64,
            }
        )
    s = inputs.settings
    return dix_percentile(
        dix(short.lazy(), inputs.bars.lazy(), params=s["darkpool"]), params=s["darkpool"]
    ).collect()


def _context(
    inputs: Inputs, target: date, upto: list[date], frames: Mapping[str, pl.DataFrame]
) -> _Context:
    s = inputs.settings
    conv: ConvergenceParams = s["convergence"]
    bars = inputs.bars
    fast = _memo(
        inputs,
        "fast_tape",
        (bars, s["darkpool"]),
        lambda: fast_tape(bars.lazy(), params=s["darkpool"]).collect().lazy(),
    )
    days = _dark_days_from(frames["dark"].drop(SESSION), fast, s["darkpool"])
    gamma = frames["gamma"].filter(pl.col("underlying") == conv.gamma_underlying)
    gex = {
        d: r
        for d, r in zip(gamma[SESSION].to_list(), gamma["regime"].to_list(), strict=True)
        if r is not None
    }
    return _Context(
        inputs=inputs,
        target=target,
        upto=tuple(upto),
        frames=frames,
        days=days,
        trend=_memo(
            inputs,
            "trend",
            (bars, s["trend"]),
            lambda: adx(bars.lazy(), params=s["trend"]).collect(),
        ),
        indicators=_indicators(
            inputs, frames["intraday"].drop(SESSION), frames["pcr"].drop(SESSION)
        ),
        dix=_dix(inputs, frames["short"].drop(SESSION)),
        holidays=_memo(inputs, "holidays", (bars,), lambda: tuple(_holidays(bars))),
        gex=gex,
    )


def _zones_on(ctx: _Context, day: date) -> pl.DataFrame:
    """The zones of ``day`` from the ATM chain rows of the sessions up to it."""
    inputs = ctx.inputs
    chain = ctx.stacked("chain_atm", day)
    user = inputs.user_zones
    params = inputs.settings["zones"]

    def compute() -> pl.DataFrame:
        return session_zones(
            inputs.bars.lazy(),
            chain.lazy() if not chain.is_empty() else None,
            user.lazy() if not user.is_empty() else None,
            session=day,
            params=params,
            holidays=ctx.holidays,
        ).collect()

    deps = (inputs.bars, user, _Content(chain), day, params, ctx.holidays)
    return _memo(inputs, f"zones {day}", deps, compute)


def _status_of(zones: pl.DataFrame, symbol: str) -> str | None:
    row = zones.filter(pl.col("symbol") == symbol)
    return row["status"][0] if row.height and row["status"][0] else None


def _regime_on(
    ctx: _Context, day: date, zones: pl.DataFrame, prior: tuple[date, pl.DataFrame] | None = None
) -> RegimeSnapshot:
    """The regime rules on ``day``; ``prior`` (a session and its zones) gives the credit rule
    its prior state."""
    s = ctx.inputs.settings
    conv: ConvergenceParams = s["convergence"]
    credit: dict[date, str] = {}
    if prior is not None:
        was = _status_of(prior[1], conv.credit_symbol)
        if was:
            credit[prior[0]] = was
    now = _status_of(zones, conv.credit_symbol)
    if now:
        credit[day] = now
    # only the day's regime: ``vix_gamma_frame`` joins the map without keeping the date order,
    # so with more than one date its "latest row on or before" can pick the wrong row
    gex = {day: ctx.gex[day]} if day in ctx.gex else {}
    inputs = ctx.inputs
    deps = (inputs.macro, inputs.bars, day, credit, gex, s["regime"])
    return _memo(
        inputs,
        f"regime {day}",
        deps,
        lambda: regime_snapshot(
            inputs.macro.lazy(),
            inputs.bars.lazy(),
            session=day,
            credit_status=credit or None,
            gex_regime=gex or None,
            params=s["regime"],
        ),
    )


def _returns(bars: pl.DataFrame) -> pl.DataFrame:
    return bars.sort("symbol", "date").with_columns(
        (pl.col("close") / pl.col("close").shift(1).over("symbol") - 1).alias("ret")
    )


def _tickers(
    inputs: Inputs,
    flow_tickers: pl.DataFrame,
    days: pl.DataFrame,
    ladders_: pl.DataFrame,
    target: date,
) -> pl.DataFrame:
    conv: ConvergenceParams = inputs.settings["convergence"]
    bars = inputs.bars
    rets = _memo(inputs, "returns", (bars,), lambda: _returns(bars))
    today = rets.filter(pl.col("date") == target).select("symbol", "ret", "close")
    bench = today.filter(pl.col("symbol") == conv.index_symbol)["ret"]
    benchmark = float(bench[0]) if bench.len() and bench[0] is not None else None
    dark_today = days.filter(pl.col("session") == target).select(
        "symbol",
        pl.col("label").cast(pl.String).alias("dp_label"),
        (pl.col("fast_tape").cast(pl.String) == "FAST").alias("dp_fast"),
        pl.col("net").alias("dp_net"),
    )
    opts = flow_tickers.select(
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
    market: tuple[float, str],
    days: pl.DataFrame,
    zones: pl.DataFrame,
    trend: pl.DataFrame,
    gamma: _GammaSummary | None,
    regime: RegimeSnapshot,
    indicators: Mapping[str, pl.DataFrame],
    dix_frame: pl.DataFrame,
) -> pl.DataFrame:
    """The §10 table for ``target``: every computed input, then the analyst's.

    ``market`` is the session's options (net, grade); ``gamma`` what its dealer gamma says."""
    conv: ConvergenceParams = inputs.settings["convergence"]
    dark_p: DarkParams = inputs.settings["darkpool"]
    idx = conv.index_symbol
    rows: list[dict[str, Any]] = []

    net, grade = market
    confident = grade in ("HIGH", "MODERATE")
    rows.append(
        _row(
            "Options net (§2)",
            (1 if net > 0 else -1 if net < 0 else 0) if confident else 0,
            f"Net {fmt.money(net, signed=True)}, grade {grade}",
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

    zero = gamma if gamma is not None and gamma.has_zero else None
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
# what the report said on a session (convergence inputs, zones, verdicts)
# ------------------------------------------------------------------------------------------

#: The zone columns the change list compares (and the cache keeps per session).
ZONE_STATE_COLUMNS: Final = (
    "symbol",
    "status",
    "low",
    "mid",
    "high",
    "close",
    "position",
    "upside",
    "downside",
)
VERDICT_COLUMNS: Final = ("symbol", "verdict", "l1_price", "l2_darkpool", "l3_options", "flags")


def _market_of(ctx: _Context, day: date) -> tuple[float, str]:
    m = ctx.of("market", day)
    if m.is_empty():
        return 0.0, "INSUFFICIENT"
    return float(m["net"][0]), str(m["grade"][0])


def _regime_states(regime: RegimeSnapshot) -> pl.DataFrame:
    return pl.DataFrame(
        {"key": [regime_key(r) for r in regime.rules], "state": [r.state for r in regime.rules]},
        schema={"key": pl.String, "state": pl.String},
    )


def _derived_frames(
    conv: pl.DataFrame, zones: pl.DataFrame, tickers: pl.DataFrame, regime: RegimeSnapshot
) -> dict[str, pl.DataFrame]:
    return {
        "conv": conv,
        "zones": zones.select(ZONE_STATE_COLUMNS),
        "verdicts": tickers.select(VERDICT_COLUMNS),
        "regime": _regime_states(regime),
    }


def _with_prior_states(regime: RegimeSnapshot, prior: pl.DataFrame) -> RegimeSnapshot:
    """``regime`` with each rule's prior state as the prior session's report showed it (the
    regime layer re-evaluates the prior session without the gamma and credit inputs it had
    then, which makes the VIX/gamma and credit rules look changed when they were not)."""
    states = dict(zip(prior["key"].to_list(), prior["state"].to_list(), strict=True))
    rules = []
    for r in regime.rules:
        key = regime_key(r)
        if key in states and r.prior_state != states[key]:
            r = replace(r, prior_state=states[key], changed=r.state != states[key])
        rules.append(r)
    return replace(regime, rules=tuple(rules))


def _derive(ctx: _Context, day: date) -> dict[str, pl.DataFrame]:
    """The convergence inputs, zones and verdicts of a past session, from the summaries."""
    s = ctx.inputs.settings
    zones = _zones_on(ctx, day)
    regime = _regime_on(ctx, day, zones)
    days = ctx.days.filter(pl.col("session") <= day)
    ladders_ = ladders(days.lazy(), params=s["darkpool"]).collect()
    tickers = _tickers(ctx.inputs, ctx.of("tickers", day), days, ladders_, day)
    conv = _convergence_inputs(
        ctx.inputs,
        day,
        _market_of(ctx, day),
        days,
        zones,
        ctx.trend,
        _gamma_summary(ctx.of("gamma", day)),
        regime,
        ctx.indicators,
        ctx.dix,
    )
    return _derived_frames(conv, zones, tickers, regime)


def _state(ctx: _Context, day: date, derived: Mapping[str, pl.DataFrame]) -> SessionState:
    params: FlowParams = ctx.inputs.settings["flow"]
    tickers = ctx.of("tickers", day)
    top = top_flow(tickers.lazy(), params=params).collect() if tickers.height else tickers
    if "flip" not in top.columns:
        top = pl.DataFrame(schema={"underlying": pl.String, "flip": pl.Boolean})
    conv = derived["conv"].cast(INPUT_SCHEMA)
    return SessionState(day, derived["zones"], derived["verdicts"], top, conv, count(conv))


# ------------------------------------------------------------------------------------------
# explanations
# ------------------------------------------------------------------------------------------


def _zone_explanations(
    inputs: Inputs, zones: pl.DataFrame, bar_files: tuple[str, ...]
) -> dict[str, Explanation]:
    """The expected-move zone of every symbol."""
    s = inputs.settings
    out: dict[str, Explanation] = {}
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
            tuple(f.rel for f in inputs.catalog.of_kind(Kind.CHAIN, row["anchor_date"]))
            if row.get("source") in ("straddle", "iv") and row.get("anchor_date") is not None
            else bar_files,
        )

    return out


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

    bar_files = inputs.sources(Kind.DAILY_BARS)
    chain_files = tuple(f.rel for f in inputs.catalog.of_kind(Kind.CHAIN))
    out.update(
        _memo(
            inputs,
            "explain zones",
            (zones, bar_files, chain_files, s["zones"]),
            lambda: _zone_explanations(inputs, zones, bar_files),
        )
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


#: METHODOLOGY section of each regime rule (the VIX/gamma state is flowterm's own).
_RULE_SECTIONS: Final = {
    "sell_america": "§8.1",
    "curve": "§8.2",
    "metals_block": "§8.3",
    "ma200": "§8.4",
    "credit": "§8.5",
    "ism": "§8.6",
    "vix_gamma": "flowterm (VIX/gamma state)",
}


def regime_key(result: Any) -> str:
    """The figure key of a regime rule result: ``regime.<rule>[.w<window>][.<subject>]`` (the
    subject only for the 200-day rule, which may watch several symbols)."""
    key = f"regime.{result.rule.value}"
    if result.window is not None:
        key += f".w{result.window}"
    if result.rule.value == "ma200":
        key += f".{result.subject}"
    return key


def input_keys(frame: pl.DataFrame) -> list[str]:
    """The figure key suffix of each convergence input: its name, ``#2``… on repeats."""
    seen: dict[str, int] = {}
    out = []
    for name in frame["name"].to_list():
        n = seen.get(name, 0)
        seen[name] = n + 1
        out.append(name if n == 0 else f"{name} #{n + 1}")
    return out


def vote_text(vote: int | None) -> str:
    """A §10/§11b vote as every surface prints it: ``+1``, ``−1``, ``0`` or n/a."""
    return "n/a" if vote is None else fmt.num(vote, 0, signed=True)


def index_etf_net(days: pl.DataFrame, target: date, symbols: Iterable[str]) -> dict[str, Any]:
    """The dark-pool figures of the index ETFs summed (the headline's dark-pool net)."""
    rows = days.filter((pl.col("session") == target) & pl.col("symbol").is_in(list(symbols)))
    ask, bid = float(rows["at_ask"].sum()), float(rows["at_bid"].sum())
    return {
        "net": ask - bid if rows.height else None,
        "at_ask": ask,
        "at_bid": bid,
        "bid_share": bid / (ask + bid) if ask + bid > 0 else None,
        "by_symbol": dict(zip(rows["symbol"].to_list(), rows["net"].to_list(), strict=True)),
    }


def _price_explanations(
    inputs: Inputs, target: date, bar_files: tuple[str, ...]
) -> dict[str, Explanation]:
    """The close and return of every symbol on ``target`` (from the bars alone)."""
    out: dict[str, Explanation] = {}
    params = describe(inputs.settings["tickers"])
    rets = _returns(inputs.bars).with_columns(
        pl.col("close").shift(1).over("symbol").alias("prior_close"),
        pl.col("date").shift(1).over("symbol").alias("prior_date"),
    )
    for r in rets.filter(pl.col("date") == target).iter_rows(named=True):
        sym = r["symbol"]
        out[f"price.{sym}"] = Explanation(
            f"price.{sym}",
            f"{sym} close and return",
            "§11b",
            "return = close / prior close − 1 (L1 price vote ±0.25 %)",
            r["ret"],
            fmt.pct(r["ret"], 2),
            params,
            {
                "close": r["close"],
                "prior close": r["prior_close"],
                "date": r["date"],
                "prior date": r["prior_date"],
            },
            bar_files,
        )
    return out


def _more_explanations(
    inputs: Inputs,
    target: date,
    flow: FlowDay,
    days: pl.DataFrame,
    market: pl.DataFrame,
    ladders_: pl.DataFrame,
    by_spot: pl.DataFrame,
    dix_frame: pl.DataFrame,
    trend: pl.DataFrame,
    regime: RegimeSnapshot,
    tickers: pl.DataFrame,
    campaign: pl.DataFrame,
    conv_inputs: pl.DataFrame,
    history: tuple[tuple[date, Count], ...],
) -> dict[str, Explanation]:
    """Explanations of the figures the report prints beyond the headline ones."""
    s = inputs.settings
    conv: ConvergenceParams = s["convergence"]
    out: dict[str, Explanation] = {}
    bar_files = inputs.sources(Kind.DAILY_BARS)
    options_files = inputs.sources(Kind.OPTION_PRINTS, target)
    dark_files = inputs.sources(Kind.OFFEX_PRINTS, target)
    flow_params = describe(s["flow"])

    out.update(
        _memo(
            inputs,
            "explain prices",
            (inputs.bars, target, s["tickers"], bar_files),
            lambda: _price_explanations(inputs, target, bar_files),
        )
    )

    top = {r["underlying"]: r for r in flow.top.iter_rows(named=True)}
    for r in flow.tickers.iter_rows(named=True):
        sym = r["underlying"]
        t = top.get(sym, {})
        out[f"flow.ticker.{sym}"] = Explanation(
            f"flow.ticker.{sym}",
            f"{sym} options net premium",
            "§2.1",
            "Net = (CB + PS) − (CS + PB); naive label from calls − puts, adjusted from Net "
            "(±δ·T, §2.4)",
            r["net"],
            fmt.money(r["net"], signed=True),
            flow_params,
            {
                "CB": r["calls_bought"],
                "CS": r["calls_sold"],
                "PB": r["puts_bought"],
                "PS": r["puts_sold"],
                "U": r["unknown"],
                "T": r["total"],
                "calls": r["calls"],
                "puts": r["puts"],
                "grade": str(r["grade"]),
                "rank": t.get("rank"),
                "naive label": None if not t else str(t["naive_label"]),
                "adjusted label": None if not t else str(t["adjusted_label"]),
                "flip": t.get("flip"),
            },
            options_files,
        )
    for r in flow.sectors.iter_rows(named=True):
        sector = r["sector"]
        out[f"flow.sector.{sector}"] = Explanation(
            f"flow.sector.{sector}",
            f"{sector} options net premium",
            "§2.1",
            "the sector's tickers' CB, CS, PB, PS, U summed; Net = (CB + PS) − (CS + PB)",
            r["net"],
            fmt.money(r["net"], signed=True),
            flow_params,
            {
                "tickers": r["tickers"],
                "T": r["total"],
                "Bullish": r["bullish"],
                "Bearish": r["bearish"],
                "adjusted C/P": r["adjusted_call_put"],
                "grade": str(r["grade"]),
            },
            (*options_files, *inputs.sources(Kind.SECTORS)),
        )

    dark_params = describe(s["darkpool"])
    today = market.filter(pl.col("session") == target)
    if today.height:
        m = today.row(0, named=True)
        out["darkpool.market"] = Explanation(
            "darkpool.market",
            "Dark-pool net, every symbol",
            "§3.2",
            "Net = Σ AtAsk − Σ AtBid over every symbol's counted prints",
            m["net"],
            fmt.money(m["net"], signed=True),
            dark_params,
            {
                "AtAsk": m["at_ask"],
                "AtBid": m["at_bid"],
                "Mid": m["mid"],
                "% at bid": m["pct_at_bid"],
                "of classified": m["pct_at_bid_classified"],
                "prior net": m["prev_net"],
                "symbols": m["symbols"],
            },
            dark_files,
        )
    etf = index_etf_net(days, target, conv.dark_symbols)
    out["darkpool.index_etfs"] = Explanation(
        "darkpool.index_etfs",
        f"Dark-pool net in {'/'.join(conv.dark_symbols)}",
        "§3.2",
        "Net = Σ AtAsk − Σ AtBid over the index ETFs; bid share = AtBid/(AtAsk + AtBid)",
        etf["net"],
        fmt.money(etf["net"], signed=True),
        {**dark_params, "convergence.dark_symbols": conv.dark_symbols},
        {
            "AtAsk": etf["at_ask"],
            "AtBid": etf["at_bid"],
            "bid share of classified": etf["bid_share"],
            **{f"{k} net": v for k, v in etf["by_symbol"].items()},
        },
        dark_files,
    )
    for r in ladders_.filter(pl.col("active")).iter_rows(named=True):
        sym = r["symbol"]
        out[f"darkpool.ladder.{sym}"] = Explanation(
            f"darkpool.ladder.{sym}",
            f"{sym} dark-pool ladder",
            "§3.4",
            "a run of ≥ L sessions with the same ACCUMULATION or DISTRIBUTION label",
            r["days"],
            f"{r['label']} {fmt.num(r['days'])}d",
            dark_params,
            {"start": r["start"], "end": r["end"], "net over the run": r["net"]},
            tuple(
                f.rel
                for f in inputs.catalog.of_kind(Kind.OFFEX_PRINTS)
                if f.session and r["start"] <= f.session <= r["end"]
            ),
        )
    for r in by_spot.iter_rows(named=True):
        sym = r["symbol"]
        out[f"darkpool.volume.{sym}"] = Explanation(
            f"darkpool.volume.{sym}",
            f"{sym} dark-pool volume above/below spot",
            "§3.5",
            "share of the trailing W sessions' volume above S·(1 + b), below S·(1 − b)",
            r["pct_above"],
            f"above {fmt.pct(r['pct_above'], 1, signed=False)} · below "
            f"{fmt.pct(r['pct_below'], 1, signed=False)}",
            dark_params,
            {
                "spot": r["spot"],
                "above": r["above"],
                "below": r["below"],
                "at": r["at"],
                "sessions": r["sessions"],
            },
            (),
        )
    dx = dix_frame.filter(pl.col("date") == target)
    if dx.height:
        d = dx.row(0, named=True)
        out["dix"] = Explanation(
            "dix",
            "DIX (dollar-weighted dark index)",
            "§7",
            "DIX = Σ close·short volume / Σ close·total volume; percentile over its history",
            d["dix"],
            fmt.pct(d["dix"], 1, signed=False),
            dark_params,
            {"percentile": d.get("percentile"), "history": d.get("history")},
            inputs.sources(Kind.SHORT_VOLUME, target),
        )
    for r in trend.filter(pl.col("date") == target).iter_rows(named=True):
        sym = r["symbol"]
        out[f"trend.{sym}"] = Explanation(
            f"trend.{sym}",
            f"{sym} Range (ADX)",
            "§5",
            "Range = ADX(14), Wilder smoothing; colour GREEN if +DI > −DI",
            r["adx"],
            f"{fmt.num(r['adx'], 1)} {r['trend_label']} {r['trend_colour']}"
            if r["adx"] is not None
            else fmt.MISSING,
            describe(s["trend"]),
            {k: r.get(k) for k in ("plus_di", "minus_di") if k in r},
            bar_files,
        )

    for result in regime.rules:
        key = regime_key(result)
        if key in out:
            continue
        out[key] = Explanation(
            key,
            rule_title(result),
            _RULE_SECTIONS.get(result.rule.value, "§8"),
            result.note or f"{rule_title(result)} state on the session",
            result.state,
            result.state or "n/a",
            describe(regime.params),
            {
                **{f"{o.name} ({o.date})": o.text or o.value for o in result.inputs},
                **dict(result.metrics),
                "prior state": result.prior_state,
                "vote": result.vote,
            },
            (*inputs.sources(Kind.MACRO), *bar_files),
        )

    for r in tickers.iter_rows(named=True):
        sym = r["symbol"]
        out[f"tickers.{sym}"] = Explanation(
            f"tickers.{sym}",
            f"{sym} verdict",
            "§11b",
            "L1 price, L2 dark pool, L3 options vote; all agree → ACCUMULATION/DISTRIBUTION, "
            "L2 +1 with PB > CB → HEDGED, disagree → CONTESTED, none → NO SIGNAL",
            r["verdict"],
            r["verdict"],
            describe(s["tickers"]),
            {
                "L1 price": r["l1_price"],
                "L2 dark pool": r["l2_darkpool"],
                "L3 options": r["l3_options"],
                "return": r["ret"],
                "relative strength": r["relative_strength"],
                "flags": list(r["flags"] or []),
                "divergence days": r.get("divergence_days"),
            },
            (*bar_files, *options_files, *dark_files),
        )
    for r in campaign.filter(pl.col("active")).iter_rows(named=True):
        sym = r["underlying"]
        out[f"campaign.{sym}"] = Explanation(
            f"campaign.{sym}",
            f"{sym} options campaign",
            "§11b",
            "a run of ≥ N sessions with the same largest side bucket; premium summed",
            r["premium"],
            f"{r['bucket_label']}, day {fmt.num(r['days'])}, {fmt.money(r['premium'])}",
            flow_params,
            {"start": r["start"], "end": r["end"], "days": r["days"]},
            tuple(
                f.rel
                for f in inputs.catalog.of_kind(Kind.OPTION_PRINTS)
                if f.session and r["start"] <= f.session <= r["end"]
            ),
        )

    conv_params = describe(conv)
    for key, r in zip(input_keys(conv_inputs), conv_inputs.iter_rows(named=True), strict=True):
        out[f"convergence.input.{key}"] = Explanation(
            f"convergence.input.{key}",
            str(r["name"]),
            "§10",
            "+1 bullish, −1 bearish, 0 neutral, n/a excluded",
            r["vote"],
            vote_text(r["vote"]),
            conv_params,
            {"source": r["source"], "detail": r["detail"]},
            inputs.sources(Kind.INPUTS) if r["source"] == "analyst" else (),
        )
    out["convergence.history"] = Explanation(
        "convergence.history",
        "Convergence history",
        "§10",
        "B v R per session, oldest first",
        [[d.isoformat(), c.bullish, c.bearish] for d, c in history],
        fmt.history((c.bullish, c.bearish) for _, c in history),
        conv_params,
        {d.isoformat(): c.short for d, c in history},
        (),
    )
    return out


# ------------------------------------------------------------------------------------------
# the builder
# ------------------------------------------------------------------------------------------


def _lap(timings: dict[str, float], name: str, start: float) -> float:
    now = clock.perf_counter()
    timings[name] = now - start
    return now


def _store(data_dir: Path, cache: CacheChoice) -> HistoryCache:
    if cache == "default":
        return HistoryCache.for_data_dir(data_dir)
    if cache is None:
        return HistoryCache(None)
    return cache


def _summary_keys(catalog: Catalog, settings: Mapping[str, Any]) -> dict[date, str]:
    """The summary key of every session of the catalog."""
    fingerprint = settings_fingerprint(settings)
    files: dict[date, list[tuple[str, int, int]]] = {}
    extra: dict[date, list[Any]] = {}
    for f in catalog.files:
        if f.session is None:
            continue
        files.setdefault(f.session, []).append(file_stamp(f))
        stamp = _companions_stamp(f)
        if stamp:
            extra.setdefault(f.session, []).append((f.rel, stamp))
    return {
        d: summary_key(d, files.get(d, []), settings=fingerprint, extra=sorted(extra.get(d, [])))
        for d in catalog.sessions
    }


#: A part of the §3.5 window: volume by price ("levels") or already split ("splits"), and the
#: sessions with counted prints it covers.
_VolumePart = tuple[str, pl.DataFrame, frozenset[date]]


def _window_levels(
    inputs: Inputs,
    store: HistoryCache,
    upto: list[date],
    keys: Mapping[date, str],
    fresh: Iterable[_Day],
    window: int,
) -> list[_VolumePart]:
    """Dark-pool volume (in parts) of the last ``window`` sessions that have counted prints (the
    §3.5 window ``volume_by_spot`` takes), fresh sessions from memory, others from the cache
    (loaded once per key)."""
    computed = {x.session: x.dark for x in fresh}
    parts: list[_VolumePart] = []
    found = 0
    for day in reversed(upto):
        dark = computed.get(day)
        here: list[_VolumePart] = []
        if dark is not None and dark.splits is not None:
            counted = dark.sums.filter(pl.col("prints") > 0)
            if counted.height:
                here.append(("splits", dark.splits, frozenset(counted["session"].unique())))
        else:
            if dark is not None:
                levels = dark.levels
            else:
                key = keys[day]

                def load(d: date = day, k: str = key) -> pl.DataFrame | None:
                    return store.session_frame(LEVELS, d, k)

                frame = _memo(inputs, f"levels {day}", (key,), load)
                levels = (frame,) if frame is not None else ()
            here = [("levels", f, frozenset()) for f in levels if f.height]
        if here:
            parts.extend(here)
            found += 1
            if found == window:
                break
    return parts


def _by_spot(inputs: Inputs, parts: list[_VolumePart], target: date) -> pl.DataFrame:
    """§3.5 volume above, below and at spot over the window's volume: each part by price is
    split against the spots once (kept across live builds while the part is unchanged); a part
    split while read is used as it is when its spots are today's."""
    params: DarkParams = inputs.settings["darkpool"]
    bars = inputs.bars
    spots = _memo(
        inputs,
        "spots",
        (bars, target),
        lambda: spot_from_bars(bars.lazy(), as_of=target).collect(),
    )
    before: dict[int, tuple[pl.DataFrame, pl.DataFrame, tuple[object, ...], frozenset[date]]]
    before = inputs.memo.get("splits", ((), {}))[1]
    now: dict[int, tuple[pl.DataFrame, pl.DataFrame, tuple[object, ...], frozenset[date]]] = {}
    splits: list[pl.DataFrame] = []
    sessions: set[date] = set()
    for kind, part, days in parts:
        if kind == "splits":
            splits.append(part)
            sessions |= days
            continue
        hit = before.get(id(part))
        deps = (spots, params)
        if (
            hit is None
            or hit[0] is not part
            or not all(_same(a, b) for a, b in zip(hit[2], deps, strict=True))
        ):
            split = spot_splits(part.lazy(), spots.lazy(), params=params).collect()
            hit = (part, split, deps, frozenset(part["session"].unique().to_list()))
        now[id(part)] = hit
        splits.append(hit[1])
        sessions |= hit[3]
    inputs.memo["splits"] = ((), now)
    frame = (
        pl.concat([f.select(SPLITS_SCHEMA.names()) for f in splits], how="vertical_relaxed")
        if splits
        else pl.DataFrame(schema=SPLITS_SCHEMA)
    )
    return volume_by_spot_from_splits(frame.lazy(), sessions, as_of=target, params=params).collect()


def build_snapshot(
    data_dir: Path,
    session: date | None = None,
    /,
    *,
    inputs: Inputs | None = None,
    previous: Inputs | None = None,
    cache: CacheChoice = "default",
    live: bool = False,
) -> Snapshot:
    """Analyse ``session`` (default: the latest tape session) of ``data_dir``.

    ``inputs`` lets a caller that already read the folder (the app moving between sessions)
    skip listing it again (the files of sessions it has not read are read now); ``previous``
    (the inputs of the last snapshot) makes a fresh read reuse unchanged files and keep the
    last good rows of a file that fails to read. ``cache`` is where past sessions' summaries
    are kept: the user cache folder by default (``core.history``), a ``HistoryCache``, or None
    to summarise every session from its files. ``live`` (the app following the folder) lets
    the unterminated last line of a CSV being written wait for the rest (``read_inputs``).
    """
    timings: dict[str, float] = {}
    t = clock.perf_counter()
    data_dir = Path(data_dir)
    store = _store(data_dir, cache)
    if inputs is not None:
        catalog, settings = inputs.catalog, inputs.settings
    else:
        listed, fingerprint = store.catalog(data_dir)
        catalog = listed if listed is not None else scan_catalog(data_dir)
        if listed is None:
            store.put_catalog(catalog, fingerprint)
        settings = load_settings(catalog.settings, DEFAULTS)
    sessions = list(catalog.sessions)
    if not sessions:
        raise SnapshotError(f"{data_dir}: no session folders (YYYY-MM-DD/) with tape files")
    target = session or sessions[-1]
    if target not in sessions:
        raise SnapshotError(
            f"{data_dir}: no session {target} (sessions: {sessions[0]} … {sessions[-1]})"
        )
    upto = [d for d in sessions if d <= target]
    conv: ConvergenceParams = settings["convergence"]
    t = _lap(timings, "catalog", t)

    # -- past sessions: summaries from the cache, the others from their files ---------------
    keys = _summary_keys(catalog, settings)
    loaded = store.load("summaries", {d: keys[d] for d in upto})
    target_stored = target in loaded.keys
    # a hit needs its dark-pool volume by price too (read later, for the §3.5 window only)
    hits = {d for d in loaded.keys if d != target and store.has_session_frame(LEVELS, d, keys[d])}
    misses = [d for d in upto if d != target and d not in hits]
    needed = {target, *misses}
    # the bar-derived frames and the target's gamma of every other underlying run beside the
    # reading and the rest of the build (Polars works without the GIL)
    pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="flowterm-beside")
    try:
        if inputs is not None:
            if inputs.read_sessions is not None and not needed <= inputs.read_sessions:
                inputs = read_inputs(
                    data_dir,
                    previous=inputs,
                    sessions=inputs.read_sessions | needed,
                    catalog=catalog,
                    live=live,
                    spot_session=sessions[-1],
                    pool=pool,
                    store=store,
                )
        else:
            inputs = read_inputs(
                data_dir,
                previous=previous,
                sessions=needed,
                catalog=catalog,
                live=live,
                spot_session=sessions[-1],
                pool=pool,
                store=store,
            )
        t = _lap(timings, "read", t)
        return _build(
            data_dir,
            inputs,
            store,
            timings,
            t,
            pool.submit(_gamma, inputs, target, None, exclude=(conv.gamma_underlying,)),
            target=target,
            sessions=sessions,
            upto=upto,
            keys=keys,
            loaded=loaded,
            hits=hits,
            misses=misses,
            target_stored=target_stored,
            live=live,
        )
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _build(
    data_dir: Path,
    inputs: Inputs,
    store: HistoryCache,
    timings: dict[str, float],
    t: float,
    other_gamma: Future[dict[str, GammaReport]],
    *,
    target: date,
    sessions: list[date],
    upto: list[date],
    keys: Mapping[date, str],
    loaded: Loaded,
    hits: set[date],
    misses: list[date],
    target_stored: bool,
    live: bool = False,
) -> Snapshot:
    """The rest of ``build_snapshot``, once the files it needs are read. A live build does not
    store the target's summary (its files are still being written: the session is summarised
    for the cache once it is a past session, or by a one-shot build)."""
    catalog = inputs.catalog
    settings = s = inputs.settings
    conv: ConvergenceParams = s["convergence"]
    dark_p: DarkParams = s["darkpool"]
    computed = [_compute_day(inputs, d) for d in misses]
    today = _compute_day(inputs, target)
    fresh = [*computed, today]
    store.count("summary_hits", sorted(hits))
    store.count("summaries_computed", misses)
    unclean = [x.session for x in fresh if not inputs.clean(x.session)]
    clean = [
        x
        for x in fresh
        if x.session not in unclean and not (x.session == target and (target_stored or live))
    ]
    if clean:
        store.put(
            "summaries",
            {x.session: keys[x.session] for x in clean},
            {n: _stack_frames(x.frames[n] for x in clean) for n in SUMMARY_FRAMES},
            keep=keys,
        )
        for x in clean:
            if x.dark.splits is not None:
                continue  # split against today's spots only: summarised by price once past
            levels = fold_sums(list(x.dark.levels), LEVELS_SCHEMA, ("session", "symbol", "price"))
            store.put_session_frame(LEVELS, x.session, keys[x.session], levels)
        store.prune_session_frames(LEVELS, keys)
    frames = {
        n: _stack_frames(
            [
                *(
                    [loaded.frames[n].filter(pl.col(SESSION).is_in(sorted(hits)))]
                    if n in loaded.frames
                    else []
                ),
                *(x.frames[n] for x in fresh),
            ]
        )
        for n in SUMMARY_FRAMES
    }
    window_levels = _window_levels(inputs, store, upto, keys, fresh, dark_p.volume_window)
    t = _lap(timings, "sessions", t)

    # -- the history and the target's layers -------------------------------------------------
    ctx = _context(inputs, target, upto, frames)
    days = ctx.days
    ladders_ = ladders(days.lazy(), params=dark_p).collect()
    market = dark_market(days.lazy()).collect()
    by_spot = _by_spot(inputs, window_levels, target)
    zones = _zones_on(ctx, target)
    t = _lap(timings, "history", t)

    # -- what the report said on the recent sessions -----------------------------------------
    prior = upto[-2] if len(upto) > 1 else None
    history_days = upto[-conv.history_sessions :]
    wanted = sorted({*history_days, *([prior] if prior else [])} - {target})
    chained = chain_keys(keys)
    globals_ = [file_stamp(f) for f in catalog.files if f.session is None]
    fingerprint = settings_fingerprint(settings)
    dkeys = {
        d: derived_key(d, chained[d], settings=fingerprint, globals_=globals_) for d in sessions
    }
    dloaded = store.load("derived", {d: dkeys[d] for d in [*wanted, target]})
    target_derived_stored = target in dloaded.keys
    derived: dict[date, dict[str, pl.DataFrame]] = {
        d: {
            n: dloaded.frames[n].filter(pl.col(SESSION) == d).drop(SESSION)
            for n in DERIVED_FRAMES
            if n in dloaded.frames
        }
        for d in dloaded.keys
    }
    derived = {d: f for d, f in derived.items() if len(f) == len(DERIVED_FRAMES)}
    dmisses = [d for d in wanted if d not in derived]
    for d in dmisses:
        derived[d] = _derive(ctx, d)
    store.count("derived_hits", [d for d in wanted if d not in dmisses])
    store.count("derived_computed", dmisses)
    t = _lap(timings, "derived", t)

    prior_zones = (prior, derived[prior]["zones"]) if prior is not None else None
    regime = _regime_on(ctx, target, zones, prior_zones)
    if prior is not None:
        regime = _with_prior_states(regime, derived[prior]["regime"])
    t = _lap(timings, "regime", t)
    tickers = _tickers(inputs, today.flow.tickers, days, ladders_, target)
    campaign = campaigns(ctx.stacked("tickers").lazy(), params=s["flow"]).collect()
    t = _lap(timings, "tickers", t)
    m = today.flow.market
    conv_inputs = _convergence_inputs(
        inputs,
        target,
        (m.net, str(m.grade)),
        days,
        zones,
        ctx.trend,
        _gamma_summary(today.frames["gamma"].drop(SESSION)),
        regime,
        ctx.indicators,
        ctx.dix,
    )
    derived[target] = _derived_frames(conv_inputs, zones, tickers, regime)
    # what a session said depends on every session before it: store it only when they
    # were all read cleanly (not from a file's last good rows)
    first_unclean = min(unclean, default=None)
    keep_new = [d for d in dmisses if first_unclean is None or d < first_unclean]
    if first_unclean is None and not target_derived_stored and not live:
        keep_new.append(target)
    if keep_new:
        store.put(
            "derived",
            {d: dkeys[d] for d in keep_new},
            {n: _stack_frames(_tagged(derived[d][n], d) for d in keep_new) for n in DERIVED_FRAMES},
            keep=dkeys,
        )
    counts = tuple((d, count(derived[d]["conv"].cast(INPUT_SCHEMA))) for d in history_days)
    changes = what_changed(
        _state(ctx, target, derived[target]),
        _state(ctx, prior, derived[prior]) if prior is not None else None,
        regime,
    )
    t = _lap(timings, "convergence", t)
    gamma = dict(sorted({**other_gamma.result(), **today.gamma}.items()))
    t = _lap(timings, "gamma", t)

    def explain() -> dict[str, Explanation]:
        out = _explanations(inputs, target, today.flow, days, zones, gamma, counts[-1][1])
        out.update(
            _more_explanations(
                inputs,
                target,
                today.flow,
                days,
                market,
                ladders_,
                by_spot,
                ctx.dix,
                ctx.trend,
                regime,
                tickers,
                campaign,
                conv_inputs,
                counts,
            )
        )
        return out

    # built on first use (``Explanations``): a live rebuild does not wait for them
    explanations = Explanations(explain)
    t = _lap(timings, "explain", t)
    option_prints = bucket_prints(
        inputs.prints(Kind.OPTION_PRINTS, target),
        _quotes(inputs, target),
        params=s["flow"],
        side_params=s["sides"],
    )
    _lap(timings, "prints", t)
    global_rejects = [
        r.rejects
        for r in inputs.results.values()
        if r.source.session is None and not r.rejects.is_empty()
    ]
    session_rejects = frames["rejects"].drop(SESSION)
    rejects = pl.concat(
        [*global_rejects, session_rejects.cast(REJECT_SCHEMA)]
        if session_rejects.width
        else global_rejects or [pl.DataFrame(schema=REJECT_SCHEMA)]
    )
    files = catalog.files
    return Snapshot(
        data_dir=data_dir,
        session=target,
        sessions=tuple(sessions),
        settings=s,
        flow=today.flow,
        dark_days=days,
        dark_market=market,
        dark_ladders=ladders_,
        dark_volume_by_spot=by_spot,
        dix=ctx.dix,
        zones=zones,
        trend=ctx.trend.filter(pl.col("date") == target),
        gamma=gamma,
        regime=regime,
        indicators=ctx.indicators,
        tickers=tickers,
        campaigns=campaign,
        convergence_inputs=conv_inputs,
        convergence=counts[-1][1],
        convergence_history=counts,
        explanations=explanations,
        rejects=rejects,
        errors=inputs.errors,
        option_prints=option_prints,
        dark_prints=today.classified,
        files=len(files),
        stale=inputs.stale,
        newest_mtime_ns=max((f.mtime_ns for f in files), default=0),
        inputs=inputs,
        timings=timings,
        changes=changes,
        history=store.info(),
    )
