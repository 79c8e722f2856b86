"""The headless daily report: one ``Snapshot`` as Markdown, a JSON dict, CSV tables or an HTML page.

The report follows the hand-written daily report's order: a headline line, what changed since
the prior session, price action with zone room, the regime dashboard, the zones table, the
options side decomposition, top flow naive vs side-adjusted, sector flow, dark-pool
accumulation and distribution, ticker verdicts with flags, and the convergence inputs with
their history. Everything is pure: no file is read or written here.

One model feeds every format: ``build_report`` turns the snapshot into sections of lines and
tables whose cells hold both the raw value and its text, and every text comes from
``core.fmt`` with the same choices the app's tabs make (2 dp for prices and room, 1 dp for
shares, B/M/K money), so the Markdown, the HTML page, the app and the JSON ``display`` of a
figure print the same strings. Data text (symbols, analyst notes, file names) is escaped for
each format: Markdown punctuation and table bars, HTML entities.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Final

import polars as pl

from . import fmt
from .changes import Change, ChangeKind, rule_title
from .convergence import ConvergenceParams
from .flow import BUCKET_LABELS
from .history import flowterm_version
from .regime import RuleResult
from .snapshot import Snapshot, index_etf_net, input_keys, regime_key, vote_text
from .thesis import ThesisParams, checklist

#: The ``schema`` value of the JSON report (docs/report-json.md); bumped on breaking changes.
JSON_SCHEMA: Final = "flowterm.report/1"
#: Section keys, in report order (also the JSON ``sections[].key`` values).
SECTION_KEYS: Final = (
    "headline",
    "changes",
    "price_action",
    "regime",
    "zones",
    "options",
    "top_flow",
    "sectors",
    "darkpool",
    "tickers",
    "convergence",
    "notes",
)
UP: Final = "▲"
DOWN: Final = "▼"
FLAT: Final = "·"
#: Words that read bullish / bearish (the app's colour words; the arrow is the non-colour cue).
_BULL: Final = frozenset(
    {"ACCUMULATION", "BULL", "POSITIVE", "GREEN", "AT FLOOR", "NEAR floor", "CB", "PS"}
)
_BEAR: Final = frozenset(
    {"DISTRIBUTION", "BEAR", "NEGATIVE", "RED", "AT CEILING", "NEAR ceiling", "ABOVE CEILING"}
    | {"CS", "PB"}
)


# ------------------------------------------------------------------------------------------
# the model
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Column:
    """A table column: its key (CSV header, JSON key) and the header the page shows."""

    name: str
    header: str
    numeric: bool = False


@dataclass(frozen=True, slots=True)
class Cell:
    """One value and how it prints; ``tone`` +1/−1 colours it bull/bear (0/None: plain)."""

    value: Any
    text: str
    tone: int | None = None


@dataclass(frozen=True, slots=True)
class Row:
    cells: tuple[Cell, ...]
    #: The figure key whose provenance explains this row (JSON ``figures``), if any.
    figure: str | None = None


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    title: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    note: str = ""

    def frame(self) -> pl.DataFrame:
        """The raw values, one column per ``Column`` (lists joined with ``; ``)."""
        data: dict[str, list[Any]] = {c.name: [] for c in self.columns}
        for row in self.rows:
            for column, cell in zip(self.columns, row.cells, strict=True):
                data[column.name].append(_csv_value(cell.value))
        return pl.DataFrame(data, strict=False)


@dataclass(frozen=True, slots=True)
class Section:
    key: str
    title: str
    #: Lines of text; a line that is a tuple of (text, tone) parts carries colour cues.
    lines: tuple[Line, ...] = ()
    tables: tuple[Table, ...] = ()
    #: Figure keys the section's lines print (their provenance is in the JSON).
    figures: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Line:
    """A line of text made of parts, each with an optional tone; ``bullet`` lines are list
    items."""

    parts: tuple[tuple[str, int | None], ...]
    bullet: bool = False

    @property
    def text(self) -> str:
        return "".join(p for p, _ in self.parts)


@dataclass(frozen=True, slots=True)
class Report:
    session: date
    prior: date | None
    data_dir: str
    sections: tuple[Section, ...]
    tables: Mapping[str, Table] = field(default_factory=dict)

    def section(self, key: str) -> Section:
        for s in self.sections:
            if s.key == key:
                return s
        raise KeyError(key)


def _line(*parts: str | tuple[str, int | None], bullet: bool = False) -> Line:
    out: list[tuple[str, int | None]] = []
    for p in parts:
        out.append((p, None) if isinstance(p, str) else p)
    return Line(tuple(out), bullet)


#: Text a spreadsheet would run as a formula (``=cmd|' /C calc'!A0``, ``@SUM(…)``, ``+1+1``).
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")
_NUMBER_TEXT: Final = re.compile(r"^[+-]?[\d.,]+%?$")


def csv_text(text: str) -> str:
    """Text for a CSV cell that a spreadsheet shows and never runs: text starting like a
    formula gets a leading apostrophe (numbers written as text, ``-1.5``, are left alone)."""
    if text.startswith(_FORMULA_START) and not _NUMBER_TEXT.match(text):
        return "'" + text
    return text


def _csv_value(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return csv_text("; ".join(str(v) for v in value))
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, str):
        return csv_text(value)
    return value


def _sign(value: float | int | None) -> int | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value == 0:
        return None
    return 1 if value > 0 else -1


def word_tone(word: str | None) -> int | None:
    """+1 for a word that reads bullish, −1 bearish, None otherwise (the app's colour words)."""
    if word is None:
        return None
    if word in _BULL:
        return 1
    if word in _BEAR:
        return -1
    return None


def arrow(direction: int | float | None) -> str:
    if direction is None or direction == 0:
        return FLAT
    return UP if direction > 0 else DOWN


def _money(value: float | None, *, signed: bool = False, tone: bool = False) -> Cell:
    return Cell(value, fmt.money(value, signed=signed), _sign(value) if tone else None)


def _pct(
    value: float | None, decimals: int = 2, *, signed: bool = True, tone: bool = False
) -> Cell:
    return Cell(value, fmt.pct(value, decimals, signed=signed), _sign(value) if tone else None)


def _num(value: float | int | None, decimals: int = 2, *, signed: bool = False) -> Cell:
    return Cell(value, fmt.num(value, decimals, signed=signed))


def _text(value: Any, tone: int | None = None) -> Cell:
    shown = fmt.MISSING if value is None else str(value)
    return Cell(None if value is None else str(value), shown, tone)


def _label(value: Any) -> Cell:
    word = None if value is None else str(value)
    tone = word_tone(word)
    shown = fmt.MISSING if word is None else (f"{arrow(tone)} {word}" if tone else word)
    return Cell(word, shown, tone)


def _vote(vote: int | None) -> Cell:
    if vote is None:
        return Cell(None, fmt.MISSING)
    return Cell(vote, f"{arrow(vote)} {fmt.num(vote, 0, signed=True)}", _sign(vote))


def _table(
    name: str,
    title: str,
    columns: Sequence[Column],
    rows: Iterable[tuple[Sequence[Cell], str | None]],
    note: str = "",
) -> Table:
    return Table(name, title, tuple(columns), tuple(Row(tuple(c), f) for c, f in rows), note)


def _present(snapshot: Snapshot, key: str) -> str | None:
    return key if key in snapshot.explanations else None


# ------------------------------------------------------------------------------------------
# sections
# ------------------------------------------------------------------------------------------


def _params(snapshot: Snapshot) -> ConvergenceParams:
    conv = snapshot.settings.get("convergence")
    return conv if isinstance(conv, ConvergenceParams) else ConvergenceParams()


def _row_of(frame: pl.DataFrame, column: str, value: Any) -> dict[str, Any] | None:
    if frame.is_empty() or column not in frame.columns:
        return None
    found = frame.filter(pl.col(column) == value)
    return found.row(0, named=True) if found.height else None


def _price(snapshot: Snapshot, symbol: str) -> tuple[float | None, float | None]:
    """(close, return) of ``symbol`` on the session (from the ticker verdicts)."""
    row = _row_of(snapshot.tickers, "symbol", symbol)
    if row is None:
        return None, None
    return row.get("close"), row.get("ret")


def index_symbols(snapshot: Snapshot) -> list[str]:
    """The index, its ETFs, the VIX and the credit ETF, those the session has."""
    conv = _params(snapshot)
    wanted = [conv.index_symbol, *conv.dark_symbols, "VIX", conv.credit_symbol]
    have = set(snapshot.tickers["symbol"].to_list()) | set(snapshot.zones["symbol"].to_list())
    return [s for s in dict.fromkeys(wanted) if s in have]


def headline(snapshot: Snapshot) -> tuple[Line, tuple[str, ...]]:
    """The headline line and the figure keys it prints."""
    conv = _params(snapshot)
    m = snapshot.flow.market
    parts: list[str | tuple[str, int | None]] = []
    figures: list[str] = []
    close, ret = _price(snapshot, conv.index_symbol)
    if ret is not None:
        parts += [
            f"{conv.index_symbol} ",
            (f"{fmt.pct(ret, 2)} {arrow(_sign(ret))}", _sign(ret)),
            f" to {fmt.num(close, 2)}",
        ]
        figures.append(f"price.{conv.index_symbol}")
    else:
        parts.append(f"{conv.index_symbol} {fmt.MISSING}")
    parts += [
        " · options net ",
        (fmt.money(m.net, signed=True), _sign(m.net)),
        f" ({m.grade})",
    ]
    figures.append("flow.market.net")
    etf = index_etf_net(snapshot.dark_days, snapshot.session, conv.dark_symbols)
    if etf["net"] is not None:
        share = etf["bid_share"]
        parts += [
            f" · dark pool {'/'.join(conv.dark_symbols)} ",
            (fmt.money(etf["net"], signed=True), _sign(etf["net"])),
            f" ({fmt.pct(share, 1, signed=False)} at bid)",
        ]
        figures.append("darkpool.index_etfs")
    changed = snapshot.changes.of(ChangeKind.REGIME) if snapshot.changes else ()
    if changed:
        shown = "; ".join(f"{c.subject} {c.before or 'n/a'} → {c.after or 'n/a'}" for c in changed)
        parts.append(f" · regime: {shown}")
    else:
        parts.append(" · regime unchanged")
    flip = snapshot.flow.flip
    parts += [
        " · flips ",
        (fmt.pct(flip.rate, 1, signed=False), None),
        f" of the top {fmt.num(flip.names)}",
    ]
    figures.append("flow.flip_rate")
    c = snapshot.convergence
    parts += [
        " · convergence ",
        (fmt.versus(c.bullish, c.bearish), _sign(c.net)),
        f" (net {fmt.num(c.net, 0, signed=True)})",
    ]
    figures.append("convergence.count")
    return _line(*parts), tuple(figures)


def changes_section(snapshot: Snapshot) -> Section:
    """ "What changed since the prior session": the report's section, also the app's view."""
    changes = snapshot.changes
    if changes is None or changes.prior is None:
        return Section("changes", "What changed", (_line("No prior session in the folder."),))
    title = f"What changed since {changes.prior.isoformat()}"
    if not changes.items:
        return Section("changes", title, (_line("Nothing changed."),))
    lines: list[Line] = [_line(changes.summary)]
    for kind in ChangeKind:
        items: tuple[Change, ...] = changes.of(kind)
        if kind is ChangeKind.VERDICT:
            lines += _verdict_lines(items)
            continue
        for item in items:
            lines.append(
                _line(
                    f"{kind.value}: ",
                    (f"{arrow(item.direction)} {item.text}", item.direction or None),
                    bullet=True,
                )
            )
    table = _table(
        "changes",
        title,
        (
            Column("kind", "Kind"),
            Column("subject", "Subject"),
            Column("before", "Before"),
            Column("after", "After"),
            Column("direction", "Dir", numeric=True),
            Column("text", "Change"),
        ),
        (
            (
                (
                    _text(c.kind.value),
                    _text(c.subject),
                    _text(c.before),
                    _text(c.after),
                    Cell(c.direction, arrow(c.direction), c.direction or None),
                    _text(c.text),
                ),
                None,
            )
            for c in changes.items
        ),
    )
    return Section("changes", title, tuple(lines), (table,))


def _verdict_lines(items: Sequence[Change]) -> list[Line]:
    """Verdict changes grouped by the new verdict: ``verdicts → CONTESTED (2): AAPL (was
    DISTRIBUTION), …``."""
    groups: dict[str, list[Change]] = {}
    for item in items:
        groups.setdefault(item.after or fmt.MISSING, []).append(item)
    out = []
    for verdict, changed in groups.items():
        tone = word_tone(verdict)
        names = ", ".join(f"{c.subject} (was {c.before or fmt.MISSING})" for c in changed)
        out.append(
            _line(
                "verdicts → ",
                (f"{arrow(tone)} {verdict}", tone),
                f" ({fmt.num(len(changed))}): {names}",
                bullet=True,
            )
        )
    return out


def _price_section(snapshot: Snapshot) -> Section:
    lines: list[Line] = []
    figures: list[str] = []
    rows = []
    trend = snapshot.trend
    for sym in index_symbols(snapshot):
        close, ret = _price(snapshot, sym)
        z = _row_of(snapshot.zones, "symbol", sym) or {}
        t = _row_of(trend, "symbol", sym) or {}
        status = z.get("status")
        line_parts: list[str | tuple[str, int | None]] = [
            f"{sym} {fmt.num(close, 2)} ",
            (f"{fmt.pct(ret, 2)} {arrow(_sign(ret))}", _sign(ret)),
        ]
        if z:
            line_parts += [
                f" · zone {fmt.num(z.get('low'), 2)} / {fmt.num(z.get('mid'), 2)} / "
                f"{fmt.num(z.get('high'), 2)} ",
                (str(status or fmt.MISSING), word_tone(status)),
                f" · room up {fmt.pct(z.get('upside'))}, down {fmt.pct(z.get('downside'))}",
                f" · ratio {z.get('ratio_text') or fmt.MISSING}",
            ]
        if t.get("adx") is not None:
            line_parts.append(
                f" · Range {fmt.num(t['adx'], 1)} {t.get('trend_label')} {t.get('trend_colour')}"
            )
        lines.append(_line(*line_parts, bullet=True))
        figures += [k for k in (f"price.{sym}", f"zones.{sym}") if k in snapshot.explanations]
        rows.append(
            (
                (
                    _text(sym),
                    _num(close, 2),
                    _pct(ret, tone=True),
                    _num(z.get("low"), 2),
                    _num(z.get("mid"), 2),
                    _num(z.get("high"), 2),
                    _pct(z.get("upside")),
                    _pct(z.get("downside")),
                    _label(status),
                    Cell(z.get("ratio"), z.get("ratio_text") or fmt.MISSING),
                ),
                _present(snapshot, f"price.{sym}"),
            )
        )
    table = _table(
        "price_action",
        "Price action and zone room",
        (
            Column("symbol", "Sym"),
            Column("close", "Close", True),
            Column("return", "Return", True),
            Column("low", "Low", True),
            Column("mid", "Mid", True),
            Column("high", "High", True),
            Column("upside", "Up", True),
            Column("downside", "Down", True),
            Column("status", "Status"),
            Column("ratio", "Ratio", True),
        ),
        rows,
    )
    if not lines:
        lines.append(_line("No index symbols in the session's bars."))
    return Section("price_action", "Price action", tuple(lines), (table,), tuple(figures))


def _since(result: RuleResult) -> str:
    if result.changed is None:
        return "no prior session"
    if result.changed:
        return f"changed, was {result.prior_state or 'n/a'}"
    return "unchanged"


_METRIC_TEXT: Final = {
    "dxy_change": ("ΔDXY", "pct"),
    "us10y_change_bp": ("Δ10Y", "bp"),
    "spx_change": ("ΔSPX", "pct"),
    "d2y_bp": ("Δ2Y", "bp"),
    "d10y_bp": ("Δ10Y", "bp"),
    "dspread_bp": ("Δspread", "bp"),
    "pct_from_sma": ("vs SMA", "pct"),
    "vix_change_pct": ("ΔVIX", "pct"),
    "prices_change": ("Δprices paid", "num"),
}


def _metrics(result: RuleResult) -> str:
    out = []
    for name, value in result.metrics:
        if name not in _METRIC_TEXT:
            continue
        label, kind = _METRIC_TEXT[name]
        if kind == "bp":
            shown = f"{fmt.num(value, 1, signed=True)} bp"
        elif kind == "pct":
            shown = fmt.pct(value, 2)
        else:
            shown = fmt.num(value, 2, signed=True)
        out.append(f"{label} {shown}")
    return " · ".join(out)


def _regime_section(snapshot: Snapshot) -> Section:
    regime = snapshot.regime
    changed = sum(1 for r in regime.rules if r.changed)
    prior = regime.prior_session.isoformat() if regime.prior_session else "none"
    lines = (
        _line(
            f"{fmt.num(changed)} of {fmt.num(len(regime.rules))} rule states changed since {prior}."
        ),
    )
    rows = []
    for r in regime.rules:
        mark = r.vote
        rows.append(
            (
                (
                    _text(rule_title(r)),
                    Cell(r.state, r.state or "n/a", _sign(mark)),
                    _vote(r.vote),
                    Cell(r.prior_state, _since(r), None),
                    _text(_metrics(r) or None),
                ),
                regime_key(r),
            )
        )
    table = _table(
        "regime",
        "Regime dashboard",
        (
            Column("rule", "Rule"),
            Column("state", "State"),
            Column("vote", "Vote", True),
            Column("prior_state", "Since prior"),
            Column("figures", "Figures"),
        ),
        rows,
    )
    tables = (table, *_thesis_tables(snapshot))
    return Section("regime", "Regime dashboard", lines + _thesis_lines(snapshot), tables)


#: How a thesis condition's mark prints (met, not met, neutral, not available).
_MARKS: Final = {1: "✓", -1: "✗", 0: "·", None: "?"}


def _thesis(snapshot: Snapshot) -> tuple[ThesisParams, pl.DataFrame] | None:
    """The folder's ``[thesis]`` and its checklist, when flowterm.toml names conditions."""
    params = snapshot.settings.get("thesis")
    if not isinstance(params, ThesisParams) or not params.conditions:
        return None
    frame = checklist(
        snapshot.regime,
        snapshot.convergence_inputs,
        snapshot.zones,
        snapshot.tickers,
        params=params,
    )
    return params, frame


def _thesis_lines(snapshot: Snapshot) -> tuple[Line, ...]:
    found = _thesis(snapshot)
    if found is None:
        return ()
    params, frame = found
    marks = frame["mark"].to_list()
    counts = " ".join(f"{_MARKS[m]} {fmt.num(marks.count(m))}" for m in (1, -1, None))
    return (_line(f"Thesis checklist · {params.name}: {counts}."),)


def _thesis_tables(snapshot: Snapshot) -> tuple[Table, ...]:
    found = _thesis(snapshot)
    if found is None:
        return ()
    params, frame = found
    rows = [
        (
            (
                Cell(r["mark"], _MARKS[r["mark"]], r["mark"] or None),
                _text(r["label"]),
                _text(r["wanted"]),
                Cell(r["actual"], r["actual"] or "n/a", r["mark"] or None),
            ),
            r["figure"],
        )
        for r in frame.iter_rows(named=True)
    ]
    return (
        _table(
            "thesis",
            f"Thesis checklist · {params.name}",
            (
                Column("mark", "", True),
                Column("condition", "Condition"),
                Column("wanted", "Wanted"),
                Column("state", "State"),
            ),
            rows,
        ),
    )


def _zones_section(snapshot: Snapshot) -> Section:
    zones = snapshot.zones
    trend = snapshot.trend.select("symbol", "adx", "trend_label", "trend_colour")
    frame = zones.join(trend, on="symbol", how="left") if not zones.is_empty() else zones
    if "position" in frame.columns:
        frame = frame.sort("position", descending=True, nulls_last=True)
    rows = []
    for z in frame.iter_rows(named=True):
        adx = z.get("adx")
        colour = z.get("trend_colour")
        rows.append(
            (
                (
                    _text(z["symbol"]),
                    _num(z.get("low"), 2),
                    _num(z.get("mid"), 2),
                    _num(z.get("high"), 2),
                    _num(z.get("close"), 2),
                    _pct(z.get("upside")),
                    _pct(z.get("downside")),
                    _label(z.get("status")),
                    Cell(z.get("ratio"), z.get("ratio_text") or fmt.MISSING),
                    Cell(
                        adx,
                        f"{fmt.num(adx, 1)} {arrow(word_tone(colour))}"
                        if adx is not None
                        else fmt.MISSING,
                        word_tone(colour),
                    ),
                    _text(z.get("source")),
                ),
                _present(snapshot, f"zones.{z['symbol']}"),
            )
        )
    at = zones.filter(pl.col("status").is_in(["AT CEILING", "ABOVE CEILING"])).height
    floor = zones.filter(pl.col("status").is_in(["AT FLOOR", "BELOW FLOOR"])).height
    lines = (
        _line(
            f"{fmt.num(zones.height)} symbols · {fmt.num(at)} at or above the ceiling · "
            f"{fmt.num(floor)} at or below the floor (closes nearest the ceiling first)."
        ),
    )
    table = _table(
        "zones",
        "Zones",
        (
            Column("symbol", "Sym"),
            Column("low", "Low", True),
            Column("mid", "Mid", True),
            Column("high", "High", True),
            Column("close", "Close", True),
            Column("upside", "Up", True),
            Column("downside", "Down", True),
            Column("status", "Status"),
            Column("ratio", "Ratio", True),
            Column("range", "Range", True),
            Column("source", "EM from"),
        ),
        rows,
    )
    return Section("zones", "Zones", lines, (table,))


def _options_section(snapshot: Snapshot) -> Section:
    m = snapshot.flow.market
    flip = snapshot.flow.flip
    rows = []
    for key, label, note in (
        ("calls_bought", "Calls bought (CB)", 1),
        ("calls_sold", "Calls sold (CS)", -1),
        ("puts_bought", "Puts bought (PB)", -1),
        ("puts_sold", "Puts sold (PS)", 1),
        ("unknown", "Unknown side (U)", 0),
        ("bullish", "Bullish CB + PS", 1),
        ("bearish", "Bearish CS + PB", -1),
    ):
        value = getattr(m, key)
        rows.append(
            (
                (
                    _text(label),
                    _money(value),
                    _text(
                        "bullish" if note > 0 else "bearish" if note < 0 else "no side",
                        note or None,
                    ),
                ),
                f"flow.market.{key}",
            )
        )
    robust = "sign robust" if m.net_sign_robust else "unknown could flip it"
    rows.append(
        ((_text("Net"), _money(m.net, signed=True, tone=True), _text(robust)), "flow.market.net")
    )
    rows.append(
        (
            (
                _text("Unknown share"),
                _pct(m.unknown_share, 1, signed=False),
                _text(f"grade {m.grade}"),
            ),
            "flow.market.unknown_share",
        )
    )
    rows.append(
        (
            (
                _text("C/P naive · side-adjusted"),
                Cell(
                    m.adjusted_call_put,
                    f"{fmt.num(m.naive_call_put, 2)} · {fmt.num(m.adjusted_call_put, 2)}",
                ),
                _text("naive incl. unknown"),
            ),
            "flow.market.ratios",
        )
    )
    rows.append(
        (
            (
                _text("Flip rate (top names)"),
                _pct(flip.rate, 1, signed=False),
                _text(f"{fmt.num(flip.flips)} of {fmt.num(flip.names)} flip"),
            ),
            "flow.flip_rate",
        )
    )
    table = _table(
        "options_market",
        "Options side decomposition",
        (Column("figure", "Figure"), Column("value", "Value", True), Column("note", "Note")),
        rows,
    )
    excluded = m.excluded_cancelled + m.excluded_late
    lines = (
        _line(
            f"Total premium {fmt.money(m.total)} from {fmt.num(m.prints_counted)} prints · "
            f"side rule {m.side_mode} · multi-leg {m.multi_leg} · {fmt.num(excluded)} "
            "cancelled/late prints excluded · side ≠ intent (a put bought may hedge stock)."
        ),
    )
    campaigns = snapshot.campaigns.filter(pl.col("active")).sort("premium", descending=True)
    campaign_table = _table(
        "campaigns",
        "Active campaigns (largest side bucket, §11b)",
        (
            Column("symbol", "Sym"),
            Column("bucket", "Bucket"),
            Column("days", "Days", True),
            Column("premium", "Premium", True),
            Column("start", "Since"),
        ),
        (
            (
                (
                    _text(c["underlying"]),
                    _label_bucket(str(c["bucket"])),
                    _num(c["days"], 0),
                    _money(c["premium"]),
                    _text(c["start"].isoformat()),
                ),
                _present(snapshot, f"campaign.{c['underlying']}"),
            )
            for c in campaigns.iter_rows(named=True)
        ),
    )
    return Section(
        "options",
        "Options side decomposition",
        lines,
        (table, campaign_table),
    )


def _label_bucket(code: str) -> Cell:
    tone = word_tone(code)
    return Cell(code, f"{arrow(tone)} {BUCKET_LABELS.get(code, code)}", tone)


def _top_section(snapshot: Snapshot) -> Section:
    flip = snapshot.flow.flip
    rows = []
    for r in snapshot.flow.top.iter_rows(named=True):
        total = r.get("total")
        share = r["net"] / total if total else None
        flipped = bool(r.get("flip"))
        rows.append(
            (
                (
                    _num(r.get("rank"), 0),
                    _text(r["underlying"]),
                    _money(total),
                    _money(r.get("calls")),
                    _money(r.get("puts")),
                    _label(None if r.get("naive_label") is None else str(r["naive_label"])),
                    _money(r.get("net"), signed=True, tone=True),
                    _pct(share, 1),
                    _label(None if r.get("adjusted_label") is None else str(r["adjusted_label"])),
                    Cell(flipped, "⇄ FLIP" if flipped else FLAT, None),
                ),
                _present(snapshot, f"flow.ticker.{r['underlying']}"),
            )
        )
    flips = snapshot.flow.top.filter(pl.col("flip"))["underlying"].to_list()
    lines = (
        _line(
            f"Top {fmt.num(flip.names)} names by premium · flip rate ",
            (fmt.pct(flip.rate, 1, signed=False), None),
            f" ({fmt.num(flip.flips)} of {fmt.num(flip.names)}"
            + (f": {', '.join(flips)}" if flips else "")
            + ").",
        ),
    )
    table = _table(
        "top_flow",
        "Top flow: naive vs side-adjusted",
        (
            Column("rank", "#", True),
            Column("symbol", "Name"),
            Column("total", "Total", True),
            Column("calls", "Calls", True),
            Column("puts", "Puts", True),
            Column("naive", "Naive"),
            Column("net", "Net", True),
            Column("net_share", "Net/total", True),
            Column("adjusted", "Adjusted"),
            Column("flip", "Flip"),
        ),
        rows,
    )
    return Section("top_flow", "Top flow: naive vs side-adjusted", lines, (table,))


def _sector_section(snapshot: Snapshot) -> Section:
    sectors = snapshot.flow.sectors.sort("total", descending=True)
    rows = [
        (
            (
                _text(r["sector"]),
                _num(r.get("tickers"), 0),
                _money(r.get("total")),
                _money(r.get("bullish")),
                _money(r.get("bearish")),
                _money(r.get("net"), signed=True, tone=True),
                _num(r.get("adjusted_call_put"), 2),
                _text(None if r.get("grade") is None else str(r["grade"])),
            ),
            _present(snapshot, f"flow.sector.{r['sector']}"),
        )
        for r in sectors.iter_rows(named=True)
    ]
    table = _table(
        "sectors",
        "Sector flow",
        (
            Column("sector", "Sector"),
            Column("tickers", "N", True),
            Column("total", "Total", True),
            Column("bullish", "Bullish", True),
            Column("bearish", "Bearish", True),
            Column("net", "Net", True),
            Column("adjusted_call_put", "Adj C/P", True),
            Column("grade", "Grade"),
        ),
        rows,
    )
    return Section("sectors", "Sector flow", (), (table,))


#: How many names the accumulation and distribution lines list.
TOP_DARK_NAMES: Final = 5


def _darkpool_section(snapshot: Snapshot) -> Section:
    today = snapshot.dark_days.filter(pl.col("session") == snapshot.session)
    market = _row_of(snapshot.dark_market, "session", snapshot.session)
    lines: list[Line] = []
    figures: list[str] = []
    if market is None:
        lines.append(_line("No off-exchange prints in this session."))
    else:
        net = market.get("net")
        lines.append(
            _line(
                f"Total {fmt.money(market.get('total'))} · net ",
                (f"{fmt.money(net, signed=True)} {arrow(_sign(net))}", _sign(net)),
                f" (prior {fmt.money(market.get('prev_net'), signed=True)}) · at bid "
                f"{fmt.pct(market.get('pct_at_bid'), 1, signed=False)}, "
                f"{fmt.pct(market.get('pct_at_bid_classified'), 1, signed=False)} of classified",
            )
        )
        figures.append("darkpool.market")
    dx = _row_of(snapshot.dix, "date", snapshot.session)
    if dx is not None and dx.get("dix") is not None:
        elevated = " · elevated" if dx.get("elevated") else ""
        lines.append(
            _line(
                f"DIX {fmt.pct(dx['dix'], 1, signed=False)} · percentile "
                f"{fmt.pct(dx.get('percentile'), 0, signed=False)} of "
                f"{fmt.num(dx.get('history'))} sessions{elevated}"
            )
        )
        figures.append("dix")
    for label, descending, tone in (("ACCUMULATION", True, 1), ("DISTRIBUTION", False, -1)):
        top = today.filter(pl.col("label").cast(pl.String) == label).sort(
            "net", descending=descending
        )
        names = [
            f"{r['symbol']} {fmt.money(r['net'], signed=True)}"
            for r in top.head(TOP_DARK_NAMES).iter_rows(named=True)
        ]
        lines.append(
            _line(
                (f"{arrow(tone)} {label.capitalize()}: ", tone),
                " · ".join(names) if names else fmt.MISSING,
            )
        )
    ladders = {
        r["symbol"]: r for r in snapshot.dark_ladders.filter(pl.col("active")).iter_rows(named=True)
    }
    order = today.sort("net")
    rows = []
    for r in order.iter_rows(named=True):
        lad = ladders.get(r["symbol"])
        fast = str(r.get("fast_tape")) == "FAST"
        rows.append(
            (
                (
                    _text(r["symbol"]),
                    _money(r.get("total")),
                    _money(r.get("at_ask")),
                    _money(r.get("at_bid")),
                    _money(r.get("net"), signed=True, tone=True),
                    _pct(r.get("pct_at_bid"), 1, signed=False),
                    _pct(r.get("pct_at_bid_classified"), 1, signed=False),
                    _label(None if r.get("label") is None else str(r["label"])),
                    _text("FAST" if fast else None),
                    Cell(
                        None if lad is None else lad["days"],
                        f"{lad['label']} {fmt.num(lad['days'])}d" if lad else FLAT,
                        word_tone(str(lad["label"])) if lad else None,
                    ),
                ),
                _present(snapshot, f"darkpool.{r['symbol']}"),
            )
        )
    table = _table(
        "darkpool",
        "Dark pool by symbol (most sold first)",
        (
            Column("symbol", "Sym"),
            Column("total", "Notional", True),
            Column("at_ask", "At ask", True),
            Column("at_bid", "At bid", True),
            Column("net", "Net", True),
            Column("pct_at_bid", "%bid", True),
            Column("pct_at_bid_classified", "of cls", True),
            Column("label", "Label"),
            Column("fast_tape", "Tape"),
            Column("ladder_days", "Ladder"),
        ),
        rows,
    )
    volume = snapshot.dark_volume_by_spot
    vol_rows = [
        (
            (
                _text(v["symbol"]),
                _num(v.get("spot"), 2),
                _num(v.get("sessions"), 0),
                _pct(v.get("pct_above"), 1, signed=False),
                _pct(v.get("pct_at"), 1, signed=False),
                _pct(v.get("pct_below"), 1, signed=False),
            ),
            _present(snapshot, f"darkpool.volume.{v['symbol']}"),
        )
        for v in volume.iter_rows(named=True)
    ]
    volume_table = _table(
        "dark_volume",
        "Dark-pool volume vs spot (trailing sessions, §3.5)",
        (
            Column("symbol", "Sym"),
            Column("spot", "Spot", True),
            Column("sessions", "Sessions", True),
            Column("pct_above", "Above", True),
            Column("pct_at", "At", True),
            Column("pct_below", "Below", True),
        ),
        vol_rows,
    )
    return Section(
        "darkpool",
        "Dark pool: accumulation and distribution",
        tuple(lines),
        (table, volume_table),
        tuple(figures),
    )


def _tickers_section(snapshot: Snapshot) -> Section:
    order = {"ACCUMULATION": 0, "DISTRIBUTION": 1, "HEDGED": 2, "CONTESTED": 3, "NO SIGNAL": 4}
    frame = snapshot.tickers.with_columns(
        pl.col("verdict").replace_strict(order, default=5, return_dtype=pl.Int8).alias("_o")
    ).sort("_o", "symbol")
    rows = []
    for r in frame.iter_rows(named=True):
        flags = list(r.get("flags") or [])
        votes = [r.get("l1_price"), r.get("l2_darkpool"), r.get("l3_options")]
        rows.append(
            (
                (
                    _text(r["symbol"]),
                    _label(r.get("verdict")),
                    Cell(
                        votes,
                        " ".join(fmt.MISSING if v is None else arrow(v) for v in votes),
                    ),
                    _pct(r.get("ret"), tone=True),
                    _pct(r.get("relative_strength"), tone=True),
                    _num(r.get("divergence_days"), 0),
                    Cell(flags, ", ".join(str(f) for f in flags) if flags else FLAT),
                ),
                _present(snapshot, f"tickers.{r['symbol']}"),
            )
        )
    counts = snapshot.tickers.group_by("verdict").len().sort("verdict")
    summary = " · ".join(f"{v} {fmt.num(n)}" for v, n in counts.iter_rows() if v is not None)
    table = _table(
        "tickers",
        "Ticker verdicts",
        (
            Column("symbol", "Sym"),
            Column("verdict", "Verdict"),
            Column("votes", "P D O"),
            Column("return", "Return", True),
            Column("relative_strength", "RS", True),
            Column("divergence_days", "Div", True),
            Column("flags", "Flags"),
        ),
        rows,
    )
    return Section(
        "tickers",
        "Ticker verdicts",
        (_line(summary or "No tickers."),),
        (table,),
    )


def _convergence_section(snapshot: Snapshot) -> Section:
    c = snapshot.convergence
    frame = snapshot.convergence_inputs
    keys = input_keys(frame) if frame.height else []
    lines: list[Line] = [
        _line(
            "Count ",
            (fmt.versus(c.bullish, c.bearish), _sign(c.net)),
            f" ({fmt.num(c.neutral)} neutral, {fmt.num(c.not_available)} n/a) · net "
            f"{fmt.num(c.net, 0, signed=True)} · agreement "
            f"{fmt.pct(c.agreement, 1, signed=False)}",
        ),
        _line("History ", (snapshot.convergence_history_text or fmt.MISSING, None)),
    ]
    rows = []
    for key, r in zip(keys, frame.iter_rows(named=True), strict=True):
        rows.append(
            (
                (
                    _text(r["name"]),
                    _vote(r.get("vote")),
                    _text(r.get("source")),
                    _text(r.get("detail")),
                ),
                _present(snapshot, f"convergence.input.{key}"),
            )
        )
    columns = (
        Column("name", "Input"),
        Column("vote", "Vote", True),
        Column("source", "Source"),
        Column("detail", "Detail"),
    )
    for title, vote in (("Bullish inputs", 1), ("Bearish inputs", -1)):
        chosen = [r for r in frame.iter_rows(named=True) if r.get("vote") == vote]
        lines.append(_line((f"{title} ({fmt.num(len(chosen))})", vote)))
        for r in chosen:
            mark = " ✎ analyst" if r.get("source") == "analyst" else ""
            lines.append(
                _line(
                    (f"{arrow(r['vote'])} {r['name']}", r["vote"]),
                    f": {r.get('detail') or fmt.MISSING}{mark}",
                    bullet=True,
                )
            )
    others = [r for r in frame.iter_rows(named=True) if r.get("vote") not in (1, -1)]
    if others:
        lines.append(
            _line(
                "Neutral or n/a: "
                + ", ".join(f"{r['name']} ({vote_text(r.get('vote'))})" for r in others)
            )
        )
    inputs_table = _table("convergence_inputs", "Convergence inputs", columns, rows)
    history_table = _table(
        "convergence_history",
        "Convergence history",
        (
            Column("session", "Session"),
            Column("bullish", "Bullish", True),
            Column("bearish", "Bearish", True),
            Column("neutral", "Neutral", True),
            Column("not_available", "n/a", True),
            Column("net", "Net", True),
        ),
        (
            (
                (
                    _text(d.isoformat()),
                    _num(h.bullish, 0),
                    _num(h.bearish, 0),
                    _num(h.neutral, 0),
                    _num(h.not_available, 0),
                    Cell(h.net, fmt.num(h.net, 0, signed=True), _sign(h.net)),
                ),
                None,
            )
            for d, h in snapshot.convergence_history
        ),
    )
    return Section(
        "convergence",
        "Convergence",
        tuple(lines),
        (inputs_table, history_table),
        ("convergence.count", "convergence.history"),
    )


def _notes_section(snapshot: Snapshot) -> Section:
    m = snapshot.flow.market
    gex = next(iter(snapshot.gamma.values()), None)
    lines = [
        _line(
            f"Side rule {m.side_mode} (unknown share {fmt.pct(m.unknown_share, 1, signed=False)}"
            f", grade {m.grade}); side ≠ intent: a put bought may hedge stock, a call sold may "
            "be an overwrite."
        ),
        _line(
            "GEX in "
            + (gex.unit.label if gex is not None else "$ per 1 % move")
            + "; naive dealer sign (calls +, puts −)."
        ),
        _line(
            f"Data: {fmt.num(snapshot.files)} files, {fmt.num(len(snapshot.sessions))} sessions"
            f" ({snapshot.sessions[0].isoformat()} … {snapshot.sessions[-1].isoformat()}), "
            f"{fmt.num(snapshot.rejects.height)} rows set aside"
            + (f", stale: {', '.join(snapshot.stale)}" if snapshot.stale else "")
            + "."
        ),
    ]
    for error in snapshot.errors:
        lines.append(_line(("error: " + error, -1), bullet=True))
    return Section("notes", "Notes", tuple(lines))


def build_report(snapshot: Snapshot) -> Report:
    """Every section of the report, in order."""
    head, figures = headline(snapshot)
    sections = (
        Section("headline", "Headline", (head,), (), figures),
        changes_section(snapshot),
        _price_section(snapshot),
        _regime_section(snapshot),
        _zones_section(snapshot),
        _options_section(snapshot),
        _top_section(snapshot),
        _sector_section(snapshot),
        _darkpool_section(snapshot),
        _tickers_section(snapshot),
        _convergence_section(snapshot),
        _notes_section(snapshot),
    )
    tables = {t.name: t for s in sections for t in s.tables}
    changes = snapshot.changes
    return Report(
        snapshot.session,
        changes.prior if changes is not None else snapshot.prior_session,
        str(snapshot.data_dir),
        sections,
        tables,
    )


# ------------------------------------------------------------------------------------------
# Markdown
# ------------------------------------------------------------------------------------------

_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_MD_SPECIAL: Final = re.compile(r"([\\`*_\[\]<>|])")


def _clean(text: str) -> str:
    """Control characters (ESC, newlines in a field) become visible stand-ins or spaces."""
    return _CONTROL.sub(
        lambda m: " " if m.group() in "\t\n\r" else chr(0x2400 + ord(m.group()) % 0x20),
        text,
    )


def md_escape(text: str) -> str:
    """``text`` as literal Markdown: punctuation that means markup is backslash-escaped."""
    return _MD_SPECIAL.sub(r"\\\1", _clean(text))


def _md_line(line: Line) -> str:
    text = md_escape(line.text)
    return f"- {text}" if line.bullet else text


def _md_table(table: Table) -> list[str]:
    if not table.rows:
        return [f"_{md_escape(table.title)}: none._", ""]
    header = "| " + " | ".join(md_escape(c.header) for c in table.columns) + " |"
    rule = "|" + "|".join("---:" if c.numeric else "---" for c in table.columns) + "|"
    body = [
        "| " + " | ".join(md_escape(cell.text) for cell in row.cells) + " |" for row in table.rows
    ]
    out = [f"**{md_escape(table.title)}**", "", header, rule, *body, ""]
    if table.note:
        out += [md_escape(table.note), ""]
    return out


def to_markdown(snapshot: Snapshot, report: Report | None = None) -> str:
    """The report as Markdown (GitHub flavour: pipe tables)."""
    report = report or build_report(snapshot)
    out = [
        f"# flowterm daily flow report — {report.session.isoformat()}",
        "",
        f"Data: `{_clean(report.data_dir).replace('`', '')}` · prior session "
        f"{report.prior.isoformat() if report.prior else 'none'} · flowterm "
        f"{flowterm_version()}",
        "",
    ]
    for section in report.sections:
        if section.key == "headline":
            out += [f"**{_md_line(section.lines[0])}**", ""]
            continue
        out += [f"## {md_escape(section.title)}", ""]
        bullets = False
        for line in section.lines:
            if bullets and not line.bullet:
                out.append("")
            out.append(_md_line(line))
            if not line.bullet:
                out.append("")
            bullets = line.bullet
        if bullets:
            out.append("")
        shown = [t for t in section.tables if t.name != "changes"]
        for table in shown:
            out += _md_table(table)
    return "\n".join(out).rstrip() + "\n"


# ------------------------------------------------------------------------------------------
# JSON
# ------------------------------------------------------------------------------------------


def json_value(value: Any) -> Any:
    """A value JSON can hold: dates as ISO text, NaN/∞ as null, tuples as lists."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_value(v) for v in value]
    return str(value)


def _json_table(table: Table) -> dict[str, Any]:
    return {
        "title": table.title,
        "columns": [
            {"name": c.name, "header": c.header, "numeric": c.numeric} for c in table.columns
        ],
        "rows": [
            {
                "figure": row.figure,
                "values": {
                    c.name: json_value(cell.value)
                    for c, cell in zip(table.columns, row.cells, strict=True)
                },
                "display": {
                    c.name: cell.text for c, cell in zip(table.columns, row.cells, strict=True)
                },
            }
            for row in table.rows
        ],
    }


def to_json(snapshot: Snapshot, report: Report | None = None) -> dict[str, Any]:
    """The report as a JSON-ready dict (key names: docs/report-json.md)."""
    report = report or build_report(snapshot)
    head = report.section("headline")
    c = snapshot.convergence
    h = snapshot.history
    changes = snapshot.changes
    return {
        "schema": JSON_SCHEMA,
        "flowterm_version": flowterm_version(),
        "data_dir": report.data_dir,
        "session": report.session.isoformat(),
        "prior_session": report.prior.isoformat() if report.prior else None,
        "sessions": [d.isoformat() for d in snapshot.sessions],
        "headline": {"text": head.lines[0].text, "figures": list(head.figures)},
        "sections": [
            {
                "key": s.key,
                "title": s.title,
                "lines": [line.text for line in s.lines],
                "tables": [t.name for t in s.tables],
                "figures": list(s.figures),
            }
            for s in report.sections
        ],
        "figures": {
            key: json_value(e.to_dict()) for key, e in sorted(snapshot.explanations.items())
        },
        "tables": {name: _json_table(t) for name, t in report.tables.items()},
        "changes": {
            "prior_session": changes.prior.isoformat()
            if changes is not None and changes.prior
            else None,
            "summary": changes.summary if changes is not None else "no prior session",
            "items": [
                {
                    "kind": i.kind.value,
                    "subject": i.subject,
                    "before": i.before,
                    "after": i.after,
                    "direction": i.direction,
                    "text": i.text,
                }
                for i in (changes.items if changes is not None else ())
            ],
        },
        "convergence": {
            "bullish": c.bullish,
            "bearish": c.bearish,
            "neutral": c.neutral,
            "not_available": c.not_available,
            "net": c.net,
            "agreement": json_value(c.agreement),
            "history": [
                {
                    "session": d.isoformat(),
                    "bullish": x.bullish,
                    "bearish": x.bearish,
                    "neutral": x.neutral,
                    "not_available": x.not_available,
                    "net": x.net,
                }
                for d, x in snapshot.convergence_history
            ],
        },
        "data": {
            "files": snapshot.files,
            "stale": list(snapshot.stale),
            "errors": list(snapshot.errors),
            "rejected_rows": snapshot.rejects.height,
        },
        "history_cache": {
            "folder": str(h.folder) if h.folder else None,
            "catalog_cached": h.catalog_cached,
            "summary_hits": len(h.summary_hits),
            "summaries_computed": [d.isoformat() for d in h.summaries_computed],
            "derived_hits": len(h.derived_hits),
            "derived_computed": [d.isoformat() for d in h.derived_computed],
            "errors": list(h.errors),
        },
    }


# ------------------------------------------------------------------------------------------
# CSV
# ------------------------------------------------------------------------------------------


def csv_tables(snapshot: Snapshot, report: Report | None = None) -> dict[str, pl.DataFrame]:
    """One frame per report table (raw, unrounded values), by table name; write each as
    ``<name>.csv``."""
    report = report or build_report(snapshot)
    return {name: table.frame() for name, table in report.tables.items()}


# ------------------------------------------------------------------------------------------
# HTML
# ------------------------------------------------------------------------------------------

_CSS: Final = """
:root { color-scheme: light dark; --bg: #ffffff; --fg: #1b1f24; --muted: #5c6670;
  --rule: #d0d7de; --head: #f3f5f7; --bull: #0a7d33; --bear: #b3261e; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #0f1419; --fg: #e6e8eb; --muted: #98a2ad; --rule: #2d3640; --head: #161c22;
    --bull: #4cc38a; --bear: #ff7b72; }
}
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1200px; padding: 1.5rem; background: var(--bg);
  color: var(--fg); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
h2 { font-size: 1.15rem; margin: 2rem 0 .5rem; border-bottom: 1px solid var(--rule);
  padding-bottom: .25rem; }
h3 { font-size: .95rem; margin: 1rem 0 .35rem; color: var(--muted); }
p, li { margin: .25rem 0; }
.meta { color: var(--muted); margin-bottom: 1rem; }
.headline { font-size: 1.05rem; font-weight: 600; padding: .75rem 1rem; border: 1px solid
  var(--rule); border-radius: 6px; background: var(--head); }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; margin: .25rem 0 1rem; font-variant-numeric: tabular-nums; }
th, td { padding: .2rem .6rem; border-bottom: 1px solid var(--rule); text-align: left;
  white-space: nowrap; }
th { background: var(--head); font-weight: 600; }
td.num, th.num { text-align: right; }
.bull { color: var(--bull); }
.bear { color: var(--bear); }
"""


def _tone_class(tone: int | None) -> str:
    return "" if not tone else (" bull" if tone > 0 else " bear")


def _html_line(line: Line) -> str:
    parts = []
    for text, tone in line.parts:
        escaped = html.escape(_clean(text))
        cls = _tone_class(tone).strip()
        parts.append(f'<span class="{cls}">{escaped}</span>' if cls else escaped)
    return "".join(parts)


def _html_table(table: Table) -> str:
    if not table.rows:
        return f"<p><em>{html.escape(table.title)}: none.</em></p>"
    head = "".join(
        f'<th class="num">{html.escape(c.header)}</th>'
        if c.numeric
        else f"<th>{html.escape(c.header)}</th>"
        for c in table.columns
    )
    body = []
    for row in table.rows:
        cells = []
        for column, cell in zip(table.columns, row.cells, strict=True):
            cls = ("num" if column.numeric else "") + _tone_class(cell.tone)
            attr = f' class="{cls.strip()}"' if cls.strip() else ""
            cells.append(f"<td{attr}>{html.escape(_clean(cell.text))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f"<h3>{html.escape(table.title)}</h3>"
        f'<div class="scroll"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def to_html(snapshot: Snapshot, report: Report | None = None) -> str:
    """The report as one self-contained HTML page: inline CSS, no script, no external URL,
    light and dark colour schemes; every data text is HTML-escaped."""
    report = report or build_report(snapshot)
    title = f"flowterm daily flow report — {report.session.isoformat()}"
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        f"<title>{html.escape(title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        f"<h1>{html.escape(title)}</h1>",
        f'<p class="meta">Data {html.escape(_clean(report.data_dir))} · prior session '
        f"{report.prior.isoformat() if report.prior else 'none'} · flowterm "
        f"{html.escape(flowterm_version())}</p>",
    ]
    for section in report.sections:
        if section.key == "headline":
            out.append(f'<p class="headline">{_html_line(section.lines[0])}</p>')
            continue
        out.append(f'<section id="{section.key}"><h2>{html.escape(section.title)}</h2>')
        items: list[str] = []
        for line in section.lines:
            if line.bullet:
                items.append(f"<li>{_html_line(line)}</li>")
                continue
            if items:
                out.append("<ul>" + "".join(items) + "</ul>")
                items = []
            out.append(f"<p>{_html_line(line)}</p>")
        if items:
            out.append("<ul>" + "".join(items) + "</ul>")
        for table in section.tables:
            if table.name == "changes":
                continue
            out.append(_html_table(table))
        out.append("</section>")
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"


__all__ = [
    "JSON_SCHEMA",
    "SECTION_KEYS",
    "Cell",
    "Column",
    "Line",
    "Report",
    "Row",
    "Section",
    "Table",
    "build_report",
    "changes_section",
    "csv_tables",
    "headline",
    "index_symbols",
    "json_value",
    "md_escape",
    "to_html",
    "to_json",
    "to_markdown",
    "word_tone",
]
