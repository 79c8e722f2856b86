"""SCENARIO.md: the story of the sample market and the figures measured on the generated files."""

from __future__ import annotations

from datetime import date

from . import scenario as sc
from .calendar import HOLIDAYS
from .figures import (
    DarkDay,
    Figures,
    OptionDay,
    grade,
    ladder,
)

DARK_NAMES = ("SPY", "QQQ", "IWM", "XOM", "CEG", "META", "MSFT")
FAST_NAMES = ("SPX", "SPY", "QQQ", "IWM", "XOM", "CEG", "META")


def _m(x: float) -> str:
    """Dollars in millions with one decimal."""
    return f"{x / 1e6:,.1f}M"


def _pct(x: float, digits: int = 2) -> str:
    return f"{x * 100:+.{digits}f} %"


def _d(day: date) -> str:
    return day.strftime("%m-%d")


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out.extend("| " + " | ".join(r) + " |" for r in rows)
    return out


def _intro(f: Figures, seed: int) -> list[str]:
    holidays = ", ".join(
        d.isoformat() for d in sorted(HOLIDAYS) if f.first_session <= d <= f.last_session
    )
    return [
        "# The bundled sample market",
        "",
        "Everything in this folder is **synthetic**: a seeded simulation written by "
        "`flowterm.core.samplegen` (`python -m flowterm.core.samplegen OUT_DIR --seed N`, or "
        f"`flowterm sample OUT_DIR`). This copy is seed **{seed}**; the same seed always writes "
        "byte-identical files, and this document is generated with them: every figure below is "
        "measured on the files as written, with the rules of METHODOLOGY.md, so it is the test "
        "oracle for the analysis. Prices are plausible for 2026 but are not market data.",
        "",
        "## Layout",
        "",
        f"* `bars/<SYMBOL>.csv`: {f.sessions} NYSE sessions per symbol ({f.symbols} symbols), "
        f"{f.first_session} to {f.last_session}. Holidays skipped: {holidays}.",
        "* `macro.csv` (DXY, US10Y, US2Y, WTI daily; ISM_PMI and ISM_PRICES on the first trading "
        "day of each month), `events.csv`, `sectors.csv`, `inputs.csv` (one input has already "
        "expired by the last session).",
        "* One folder per tape session (the last five: "
        + ", ".join(d.isoformat() for d in sc.TAPE_SESSIONS)
        + "; 2026-04-03 is Good Friday) with `options.parquet`, `darkpool.parquet`, "
        "`chain.parquet`, `CNMSshvolYYYYMMDD.txt` and `intraday_SPY.csv` (78 five-minute bars "
        "stamped at their end, 09:35 to 16:00 ET).",
        "",
    ]


def _counts(f: Figures) -> list[str]:
    rows = []
    by_day = {o.day: o for o in f.options}
    for day, n_opt, n_dark, n_chain in f.rows:
        o = by_day[day]
        rows.append(
            [
                day.isoformat(),
                f"{n_opt:,}",
                str(o.underlyings),
                f"{n_dark:,}",
                f"{n_chain:,}",
                str(o.zero_dte_spx),
                str(o.zero_dte_spy),
            ]
        )
    header = [
        "session",
        "option prints",
        "underlyings",
        "dark prints",
        "chain rows",
        "SPX 0DTE prints",
        "SPY 0DTE prints",
    ]
    quirks = []
    for o in f.options:
        quirks.append(
            [
                o.day.isoformat(),
                str(o.missing_quote),
                str(o.crossed),
                str(o.locked),
                str(o.multi_leg),
                str(o.sweeps),
                str(o.cancelled),
                str(o.late),
            ]
        )
    qheader = ["session", "no NBBO", "crossed", "locked", "MLET/MLAT", "ISOI", "CANC", "LATE"]
    return [
        "## Row counts",
        "",
        *_table(header, rows),
        "",
        "Option prints by condition and quote state (all are valid rows; the side rule labels "
        "the bad-quote and multi-leg prints UNKNOWN, CANC and LATE prints are excluded from flow "
        "totals):",
        "",
        *_table(qheader, quirks),
        "",
    ]


def _story() -> list[str]:
    return [
        "## The story",
        "",
        "A year of history (a tariff crash in April 2025, a long rally to a January 2026 high) "
        "ends in a stress episode: from early March 2026 an oil shock and conflict narrative "
        "lift WTI from the mid-60s to about $99, the dollar index holds above 100 for five weeks, "
        "the VIX runs to the high 20s and low 30s, and SPX falls below its 200-day average. The "
        "last session, Wednesday 2026-04-08, is a relief rally: oil −13 %, VIX −21 %, the dollar "
        "closes below 100 for the first time in the run, and SPX, SPY, QQQ and IWM gain about "
        "2.5 % to close at the ceilings of their weekly expected-move zones. Under the surface the "
        "rally is sold: index dark-pool prints sit at the bid (distribution), call premium in "
        "the mega-caps is mostly sold at the bid (naive call/put says bullish, the side-adjusted "
        "flow says bearish), and index hedgers keep buying puts.",
        "",
    ]


def _index_moves(f: Figures) -> list[str]:
    rows = []
    for sym in FAST_NAMES:
        t = f.tapes[(sym, sc.LAST_SESSION)]
        prev = f.tapes[(sym, sc.TAPE_SESSIONS[-2])].close
        rows.append(
            [
                sym,
                f"{prev:.2f}",
                f"{t.close:.2f}",
                _pct(t.ret),
                f"{t.sigma20 * 100:.3f} %",
                f"{t.sigma_ratio:.2f}",
                f"{t.tr:.2f}",
                f"{t.atr14_prev:.2f}",
                f"{t.tr_ratio:.2f}",
                "FAST" if t.fast else "no",
            ]
        )
    header = [
        "symbol",
        "close 04-07",
        "close 04-08",
        "return",
        "σ20",
        "abs(ln r)/σ20",
        "TR",
        "ATR14 (prev)",
        "TR/ATR",
        "fast tape",
    ]
    spy = [
        [
            day.isoformat(),
            f"{f.tapes[('SPY', day)].close:.2f}",
            _pct(f.tapes[("SPY", day)].ret),
            f"{f.tapes[('SPY', day)].sigma_ratio:.2f}",
            f"{f.tapes[('SPY', day)].tr_ratio:.2f}",
            "FAST" if f.tapes[("SPY", day)].fast else "no",
        ]
        for day in sc.TAPE_SESSIONS
    ]
    return [
        "## 1. Price moves and the fast-tape test (METHODOLOGY §3.3)",
        "",
        "σ20 is the sample stdev of the 20 daily log returns before the session; TR and ATR14 are "
        "Wilder's (ATR seeded with the mean of the first 14 TRs of the history). A session is "
        "FAST if abs(ln r) ≥ 2·σ20 or TR/ATR14(prev) ≥ 1.8.",
        "",
        *_table(header, rows),
        "",
        "SPY on every tape session:",
        "",
        *_table(["session", "close", "return", "abs(ln r)/σ20", "TR/ATR", "fast tape"], spy),
        "",
    ]


def _zones(f: Figures) -> list[str]:
    rows = []
    for z in f.zones:
        status = "AT CEILING" if z.at_ceiling else "not at ceiling"
        rows.append(
            [
                z.symbol,
                f"{z.anchor:.2f}",
                f"{z.atm_strike:g}",
                f"{z.call_bid:.2f}/{z.call_ask:.2f}",
                f"{z.put_bid:.2f}/{z.put_ask:.2f}",
                f"{z.atm_iv:.4f}",
                f"{z.straddle_mid:.3f}",
                f"{z.em:.4f}",
                f"{z.low:.2f}",
                f"{z.anchor:.2f}",
                f"{z.high:.2f}",
                f"{z.close:.2f}",
                _pct(z.distance, 3),
                status,
            ]
        )
    header = [
        "index",
        "anchor (04-02 close)",
        "ATM strike",
        "call bid/ask",
        "put bid/ask",
        "ATM IV",
        "straddle mid",
        "EM",
        "low",
        "mid",
        "high",
        "close 04-08",
        "close vs high",
        "status",
    ]
    return [
        "## 2. Weekly zones (METHODOLOGY §4)",
        "",
        "Definition used for the calibration: the weekly zone is anchored at the prior week's "
        "last close, Thursday 2026-04-02 (2026-04-03 is Good Friday). EM = 0.85 × the ATM "
        "straddle mid of the 2026-04-10 expiry in the 2026-04-02 closing chain "
        "(`2026-04-02/chain.parquet`; ATM = the listed strike nearest the chain's `spot`, "
        "mid = (bid + ask)/2 of the call plus that of the put; SPX rows are root SPXW). "
        "low = anchor − EM, mid = anchor, high = anchor + EM. The chain quotes are Black–Scholes "
        "prices (r = q = 0, T in calendar time from 16:00 ET 04-02 to 16:00 ET 04-10 = 8/365) "
        "rounded outward to the tick; the 04-02 IV surfaces of the four indexes were scaled so "
        "that the 04-08 close sits on the high. AT CEILING means |close − high| ≤ 0.10 % of the "
        "close.",
        "",
        *_table(header, rows),
        "",
        "Surface scaling applied by the calibration (1.00 = the VIX-implied base surface): "
        + ", ".join(f"{name} {factor:.4f}" for name, factor in f.calibration)
        + ".",
        "",
    ]


def _macro(f: Figures) -> list[str]:
    mc = f.macro
    dxy = ", ".join(f"{_d(d)} {v:.3f}" for d, v in mc.dxy)
    sma = _table(
        ["session", "SPX close", "SMA200", "close vs SMA200"],
        [[d.isoformat(), f"{c:.2f}", f"{s:.2f}", _pct(c / s - 1)] for d, c, s in mc.spx_sma200],
    )
    vix_chg = mc.vix_last / mc.vix_prev - 1
    strict = "FALSE (SPX rose)"
    return [
        "## 3. Macro regime (METHODOLOGY §8)",
        "",
        f"* DXY closes: {dxy}. After **{mc.dxy_run_above} consecutive closes above 100** "
        "(since 2026-03-04) the dollar closes at or below 100 on 04-07 and again, lower, on "
        "04-08. The metals HARD BLOCK (close > 100 → block; release after 2 consecutive "
        "closes ≤ 100) is in force through 04-07 and **lifted on 2026-04-08**.",
        f"* DXY change on 04-08: {_pct(mc.dxy_change, 3)}.",
        f"* VIX {mc.vix_prev:.2f} → {mc.vix_last:.2f} ({_pct(vix_chg)}).",
        f"* WTI {mc.wti_prev:.2f} → {mc.wti_last:.2f} ({_pct(mc.wti_last / mc.wti_prev - 1)}); "
        f"USO {mc.uso_prev:.2f} → {mc.uso_last:.2f} ({_pct(mc.uso_last / mc.uso_prev - 1)}).",
        f"* US10Y {mc.us10y[0]:.3f} → {mc.us10y[1]:.3f} ({mc.d10_bp:+.1f} bp), "
        f"US2Y {mc.us2y[0]:.3f} → {mc.us2y[1]:.3f} ({mc.d2_bp:+.1f} bp): "
        f"10Y−2Y {mc.d10_bp - mc.d2_bp:+.1f} bp → **{mc.curve}**.",
        f"* Sell America (ΔDXY % ≤ −0.25 % and Δ10Y ≥ +3 bp): **{str(mc.sell_america).upper()}**; "
        f"STRICT variant (also ΔSPX % < 0): {strict}.",
        f"* ISM released {mc.ism[0].isoformat()}: PMI {mc.ism[1]:.1f} (< 50), prices paid "
        f"{mc.ism[2]:.1f} (≥ 60) → stagflation tilt.",
        f"* HYG {mc.hyg_last[0]:.2f} → {mc.hyg_last[1]:.2f}; HYG has no chain in the sample, so "
        "its zone is not calibrated (any HYG zone comes from a fallback method).",
        "* SPX and its 200-day simple average (below it through 04-07; 04-08 is the first close "
        "above, a tentative reclaim, not yet confirmed):",
        "",
        *sma,
        "",
    ]


def _dark(f: Figures) -> list[str]:
    rows = []
    for sym in DARK_NAMES:
        cells = [sym]
        labels = []
        for day in sc.TAPE_SESSIONS:
            dd: DarkDay = f.dark[(sym, day)]
            labels.append(dd.label)
            cells.append(f"{dd.bid_share:.3f} {dd.label[:5]}")
        lab, n = ladder(labels)
        cells.append(f"{lab} × {n}")
        rows.append(cells)
    header = ["symbol", *[_d(d) for d in sc.TAPE_SESSIONS], "run ending 04-08"]
    last = []
    for sym in ("SPY", "QQQ", "IWM"):
        dd = f.dark[(sym, sc.LAST_SESSION)]
        last.append(
            [
                sym,
                _m(dd.at_ask),
                _m(dd.at_bid),
                _m(dd.mid),
                _m(dd.at_ask - dd.at_bid),
                f"{dd.at_bid / dd.total * 100:.1f} %",
                f"{dd.bid_share * 100:.1f} %",
                dd.label,
            ]
        )
    lheader = ["symbol", "AtAsk", "AtBid", "Mid", "Net", "% at bid", "bid of classified", "label"]
    return [
        "## 4. Dark pool (METHODOLOGY §3)",
        "",
        "Sides by the position rule on the NBBO carried by each print (x = (P − B)/(A − B); at or "
        "above the ask or x ≥ 0.7 → ask; at or below the bid or x ≤ 0.3 → bid; else mid). Prints "
        "with conditions T (Form T), W (average price) and Z (out of sequence) are excluded; "
        "'@' and '' are regular. Label: ACCUMULATION if AtAsk/(AtAsk + AtBid) ≥ 0.55, "
        "DISTRIBUTION if AtBid/(AtAsk + AtBid) ≥ 0.55, UNRELIABLE on a fast-tape day. Every "
        "print has a valid, uncrossed NBBO. Cells show the bid share of classified notional and "
        "the label:",
        "",
        *_table(header, rows),
        "",
        "2026-04-08 for the index ETFs:",
        "",
        *_table(lheader, last),
        "",
    ]


def _flow_day(o: OptionDay) -> list[str]:
    m = o.market
    return [
        o.day.isoformat(),
        _m(m.total),
        _m(m.cb),
        _m(m.cs),
        _m(m.pb),
        _m(m.ps),
        _m(m.uc + m.up),
        _m(m.net),
        f"{m.unknown_share * 100:.1f} % {grade(m.unknown_share)}",
        f"{o.market_ex_multileg.unknown_share * 100:.1f} %",
        str(len(o.flips)),
    ]


def _options(f: Figures) -> list[str]:
    header = [
        "session",
        "total",
        "calls bought",
        "calls sold",
        "puts bought",
        "puts sold",
        "unknown",
        "Net",
        "unknown share, grade",
        "unknown share, multi-leg excluded",
        "flips in top 16",
    ]
    last = f.options[-1]
    top = []
    for rank, fl in enumerate(last.top, start=1):
        top.append(
            [
                str(rank),
                fl.name,
                _m(fl.total),
                _m(fl.calls),
                _m(fl.puts),
                fl.naive,
                _m(fl.net),
                f"{fl.net / fl.total * 100:+.1f} %",
                fl.adjusted,
                "FLIP" if fl.flip else "",
            ]
        )
    theader = [
        "#",
        "name",
        "total",
        "calls",
        "puts",
        "naive",
        "Net",
        "Net/total",
        "adjusted",
        "flip",
    ]
    buckets = []
    for name in ("MSFT", "TSLA", "RKLB", "SPY"):
        row = [name]
        for o in f.options:
            fl = o.by_name[name]
            row.append(fl.largest_bucket)
        buckets.append(row)
    bheader = ["name", *[_d(d) for d in sc.TAPE_SESSIONS]]
    flips = ", ".join(last.flips)
    n17 = f"{last.top[-1].name} {_m(last.top[-1].total)}"
    return [
        "## 5. Options flow (METHODOLOGY §2)",
        "",
        "Premium = price × size × multiplier. Sides by the §1.2 position rule ('bands' mode) on "
        "the NBBO carried by each print; UNKNOWN for missing, crossed or locked quotes, the "
        "middle band, and multi-leg prints (MLET/MLAT); CANC and LATE prints excluded. "
        "Bullish = calls bought + puts sold, Bearish = calls sold + puts bought, Net = Bullish − "
        "Bearish. Grade from the unknown share (≤ 10 % HIGH, ≤ 25 % MODERATE).",
        "",
        *_table(header, [_flow_day(o) for o in f.options]),
        "",
        "Top 16 names by total premium on 2026-04-08 (naive label from calls − puts, adjusted "
        "label from Net, δ = 5 % of the name's total; a flip is two opposite non-neutral "
        f"labels). Flips: **{flips}** → flip rate {len(last.flips)}/16 = "
        f"{len(last.flips) / 16 * 100:.2f} %. The 16th name is {n17}.",
        "",
        *_table(theader, top),
        "",
        "Largest side bucket per session (a run of ≥ 3 sessions is a campaign, §11b):",
        "",
        *_table(bheader, buckets),
        "",
        "SPX prints (roots SPX and SPXW) and SPY carry the largest premium every session, with "
        "0DTE prints (expiry = session date) on every session; SPX non-expiring series also "
        "print between 16:00 and 16:15 ET.",
        "",
    ]


def _gamma(f: Figures) -> list[str]:
    rows = []
    for g in f.gamma:
        zero = (
            f"{g.zero_gamma:.2f} ({(g.zero_gamma / g.spot - 1) * 100:+.2f} %)"
            if g.zero_gamma
            else "none in ±20 %"
        )
        rows.append(
            [
                g.day.isoformat(),
                f"{g.spot:.2f}",
                f"{g.gex_at_spot / 1e9:+.2f}B",
                g.regime,
                zero,
            ]
        )
    return [
        "## 6. SPX dealer gamma (METHODOLOGY §6)",
        "",
        "From each closing chain (`as_of` 16:00 ET), SPX and SPXW rows together: GEX = Σ sign · Γ "
        "· OI · 100 · S² · 0.01 in dollars per 1 % move, calls +, puts −; Γ is Black–Scholes "
        "(r = q = 0) at the row's IV with T in calendar seconds to the expiry instant (SPXW "
        "16:00 ET, SPX monthlies 09:30 ET) over 365 × 86400, floored at 5 minutes. Zero gamma: "
        "sweep of S over 0.80–1.20 × spot (161 points, IV sticky to strike), sign changes "
        "refined by bisection to 0.01 point; the root nearest spot. The chains list the "
        "expiries after the session date (same-day expiries have expired at the snapshot). "
        f"The stored `gamma` column matches the recomputation (largest relative error "
        f"{f.gamma_error:.1e}).",
        "",
        *_table(["session", "spot", "GEX at spot ($ per 1 %)", "regime", "zero gamma"], rows),
        "",
    ]


def _quirks() -> list[str]:
    return [
        "## 7. Conventions and quirks the readers meet",
        "",
        "* Timestamps are UTC nanoseconds in Parquet; `intraday_SPY.csv` uses ISO-8601 with the "
        "ET offset (bar end time). Option prints run 09:30–16:00 ET (SPX to 16:15); dark-pool "
        "Form-T prints sit in extended hours (07:00–09:30 and 16:05–19:25 ET) of the same date.",
        "* Option roots: SPX monthlies (third Friday) are root `SPX` (AM-settled, expiry 09:30 "
        "ET); every other SPX expiry is `SPXW`. BRK.B options use the OSI root `BRKB`; the FINRA "
        "file writes the symbol `BRK/B` (map it to BRK.B). Holiday expiries roll back: the "
        "weekly of Good Friday expires Thursday 2026-04-02, June's monthly Thursday 2026-06-18.",
        "* `open_interest` on a print is the contract's OI published for the previous session; "
        "chain OI is the value for the session itself. OI is a deterministic function of the "
        "contract (it does not change with the seed).",
        "* Dark-pool prices use sub-penny increments (e.g. 512.3412); a few prints sit outside "
        "the NBBO; sizes are 100 to 500,000 shares.",
        "* FINRA files: header, one row per symbol that has shares (not SPX, VIX, DXY), sorted, "
        "and a last line with the record count. ShortVolume includes ShortExemptVolume.",
        "* `inputs.csv`: 'Quarter-start inflows' expired on 2026-04-06.",
        "",
    ]


def render(f: Figures, seed: int) -> str:
    """The whole SCENARIO.md text."""
    lines = [
        *_intro(f, seed),
        *_story(),
        *_counts(f),
        *_index_moves(f),
        *_zones(f),
        *_macro(f),
        *_dark(f),
        *_options(f),
        *_gamma(f),
        *_quirks(),
    ]
    return "\n".join(lines).rstrip() + "\n"
