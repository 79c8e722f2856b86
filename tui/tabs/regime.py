"""Regime tab: the macro regime boxes (METHODOLOGY §8) and a thesis checklist.

One box per regime topic — Fed/rates, Sell America, the curve, DXY–oil, ISM, credit, the 200-day
average, VIX/gamma and the metals HARD BLOCK — with its state, the inputs it read (value and
date) and the change since the prior session. Core has no Fed/rates or DXY–oil rule: those two
boxes show the levels the snapshot holds (the curve rule's yields; DXY from the rules and WTI
from the macro file) and say that there is no rule.

The thesis checklist under the boxes comes from ``core.thesis``: the ``[thesis]`` conditions of
the folder's flowterm.toml (✓ met, ✗ not met, ? not available), or, when it names none, every
rule's own vote read for a long thesis (✓ supports it, ✗ argues against it, · neutral).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import ClassVar, Final

import polars as pl
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, VerticalScroll
from textual.widgets import Static

from flowterm.core import fmt
from flowterm.core.regime import Observation, RuleResult
from flowterm.core.snapshot import Snapshot
from flowterm.core.thesis import ThesisParams, checklist, rule_mark

from ..cells import CHECK, CROSS, FLAT, UNKNOWN, Palette, arrow, line, lines, plain, text_cell
from ..screens.text import untrusted_text
from .base import DrillDown, TabView, first_present
from .table import Col, KeyedTable, Row

CHECK_COLUMNS = (
    Col("mark", "", sortable=False),
    Col("condition", "Condition"),
    Col("wanted", "Wanted", wide_only=True),
    Col("state", "State"),
    Col("change", "Since prior", wide_only=True),
)

#: How a rule's derived figures print: (label, kind) with kind bp, pct, num, count.
_METRICS: Final = {
    "dxy_change": ("ΔDXY", "pct"),
    "us10y_change_bp": ("Δ10Y", "bp"),
    "spx_change": ("ΔSPX", "pct"),
    "d2y_bp": ("Δ2Y", "bp"),
    "d10y_bp": ("Δ10Y", "bp"),
    "spread": ("10Y−2Y", "num"),
    "spread_prior": ("prior 10Y−2Y", "num"),
    "dspread_bp": ("Δspread", "bp"),
    "closes_at_or_below": ("closes ≤ level", "count"),
    "pct_from_sma": ("vs SMA", "pct"),
    "run": ("sessions on this side", "count"),
    "prices_change": ("Δprices paid", "num"),
    "vix_change": ("ΔVIX", "num"),
    "vix_change_pct": ("ΔVIX", "pct"),
}


@dataclass(frozen=True, slots=True)
class Box:
    """One regime box: its key (the explanation key), title and the results it shows."""

    key: str
    title: str
    results: tuple[RuleResult, ...]
    #: Boxes without a rule in core show levels only.
    levels: tuple[Text, ...] = ()
    note: str = ""


def rule_key(result: RuleResult) -> str:
    """The explanation key of a rule result: ``regime.<rule>[.w<window>][.<subject>]``."""
    key = f"regime.{result.rule.value}"
    if result.window is not None:
        key += f".w{result.window}"
    if result.rule.value == "ma200":
        key += f".{result.subject}"
    return key


def _title(result: RuleResult) -> str:
    names = {
        "sell_america": "Sell America",
        "curve": "Curve 10Y−2Y",
        "metals_block": "Metals HARD BLOCK",
        "ma200": f"{result.subject} 200-day",
        "credit": f"Credit ({result.subject} zone)",
        "ism": "ISM",
        "vix_gamma": "VIX / gamma",
    }
    title = names.get(result.rule.value, result.rule.value)
    if result.window is not None:
        title += f" ({result.window}d)"
    return title


class RuleBox(Static, can_focus=True):
    """A focusable box showing one regime topic."""

    DEFAULT_CSS = """
    RuleBox {
        border: round $foreground 30%;
        border-title-style: bold;
        height: auto;
        min-height: 6;
        padding: 0 1;
    }
    RuleBox:focus { border: round $accent; }
    """

    def __init__(self, key: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.key = key

    def action_cursor_down(self) -> None:
        """j (the app's cursor key) moves to the box below."""
        self.query_ancestor(RegimeTab).action_box_row(1)

    def action_cursor_up(self) -> None:
        self.query_ancestor(RegimeTab).action_box_row(-1)


class RegimeTab(TabView):
    TAB_ID: ClassVar[str] = "regime"
    TITLE: ClassVar[str] = "Regime"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("right", "box(1)", "Next box", show=False, id="regime.next_box"),
        Binding("left", "box(-1)", "Previous box", show=False, id="regime.previous_box"),
        Binding("down", "box_row(1)", "Box below", show=False, id="regime.box_below"),
        Binding("up", "box_row(-1)", "Box above", show=False, id="regime.box_above"),
    ]

    DEFAULT_CSS = """
    RegimeTab > VerticalScroll { height: 1fr; }
    RegimeTab #regime-boxes {
        grid-size: 2;
        grid-gutter: 0 1;
        grid-rows: auto;
        height: auto;
        padding: 0 1;
    }
    RegimeTab.-wide #regime-boxes { grid-size: 3; }
    """

    #: Box order (the brief's order); keys are the boxes' explanation keys.
    BOX_ORDER: ClassVar[tuple[str, ...]] = (
        "regime.rates",
        "regime.sell_america",
        "regime.curve",
        "regime.dxy_oil",
        "regime.ism",
        "regime.credit",
        "regime.ma200",
        "regime.vix_gamma",
        "regime.metals_block",
    )

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._boxes: dict[str, Box] = {}
        self._focus_box: str | None = None
        #: Checklist row key → the figure that explains it.
        self._figures: dict[str, str | None] = {}

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(id="regime-title", classes="section-title")
            yield Grid(id="regime-boxes")
            yield Static(id="checklist-title", classes="section-title")
            yield KeyedTable(CHECK_COLUMNS, max_rows=16, id="regime-checklist")

    # -- drawing ---------------------------------------------------------------------------

    def render_snapshot(self, snapshot: Snapshot, palette: Palette, wide: bool) -> None:
        regime = snapshot.regime
        changed = sum(1 for r in regime.rules if r.changed)
        prior = regime.prior_session.isoformat() if regime.prior_session else "none"
        self.query_one("#regime-title", Static).update(
            Text(
                f"Regime {snapshot.session.isoformat()} (prior session {prior}) · "
                f"{fmt.num(changed)} of {fmt.num(len(regime.rules))} rule states changed",
                end="",
            )
        )
        boxes = regime_boxes(snapshot, palette, wide=wide)
        self._boxes = {b.key: b for b in boxes}
        grid = self.query_one("#regime-boxes", Grid)
        existing = {w.key: w for w in grid.query(RuleBox)}
        if list(existing) != [b.key for b in boxes]:
            grid.remove_children()
            widgets = [RuleBox(b.key, id=_widget_id(b.key)) for b in boxes]
            grid.mount_all(widgets)
            existing = {w.key: w for w in widgets}
        for b in boxes:
            widget = existing[b.key]
            widget.border_title = plain(b.title)
            widget.update(box_text(b, palette, wide=wide))
        frame = thesis_checklist(snapshot)
        self._figures = dict(zip(frame["key"], frame["figure"], strict=True))
        rows = checklist_rows(frame, palette)
        marks = [r[1]["mark"].plain for r in rows]
        params = snapshot.settings.get("thesis") or ThesisParams()
        source = "[thesis] conditions" if params.conditions else "the rules' own votes"
        self.query_one("#checklist-title", Static).update(
            line(
                "Thesis checklist · ",
                untrusted_text(params.name),
                ": ",
                (f"{CHECK} {marks.count(CHECK)}", palette.bull),
                "  ",
                (f"{CROSS} {marks.count(CROSS)}", palette.bear),
                "  ",
                (f"{FLAT} {marks.count(FLAT)}", palette.neutral),
                f"  {UNKNOWN} {marks.count(UNKNOWN)}",
                (f"  (from {source})", palette.neutral),
            )
        )
        self.query_one("#regime-checklist", KeyedTable).sync(rows)

    # -- focus and keys --------------------------------------------------------------------

    def on_descendant_focus(self, event: object) -> None:
        widget = getattr(event, "widget", None)
        if isinstance(widget, RuleBox):
            self._focus_box = widget.key
            self._focus_table = None

    def _box_widgets(self) -> list[RuleBox]:
        return list(self.query(RuleBox))

    def action_box(self, step: int) -> None:
        self._move_box(step)

    def action_box_row(self, step: int) -> None:
        self._move_box(step * (3 if self.wide else 2))

    def _move_box(self, step: int) -> None:
        boxes = self._box_widgets()
        focused = self.screen.focused
        if not boxes or focused not in boxes:
            return
        assert isinstance(focused, RuleBox)
        index = boxes.index(focused) + step
        if 0 <= index < len(boxes):
            boxes[index].focus()
        elif step > 0:
            self.query_one("#regime-checklist", KeyedTable).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("box", "box_row"):
            return isinstance(self.screen.focused, RuleBox)
        return True

    # -- figures ---------------------------------------------------------------------------

    def focused_figure(self) -> str | None:
        if self._snapshot is None:
            return None
        focused = self.screen.focused if self.is_attached else None
        if isinstance(focused, RuleBox):
            return self._box_figure(self._snapshot, focused.key)
        if self._focus_box is not None and self._focus_table is None:
            return self._box_figure(self._snapshot, self._focus_box)
        return super().focused_figure()

    def drill_down(self) -> DrillDown | None:
        if self._snapshot is None:
            return None
        focused = self.screen.focused if self.is_attached else None
        key = focused.key if isinstance(focused, RuleBox) else None
        if key is None and self._focus_table is None:
            key = self._focus_box
        if key is not None:
            box = self._boxes.get(key)
            return _inputs_drill(box.title, box.results) if box and box.results else None
        return super().drill_down()

    def _box_figure(self, snapshot: Snapshot, key: str) -> str | None:
        box = self._boxes.get(key)
        keys = [rule_key(r) for r in box.results] if box else []
        return first_present(snapshot, key, *keys)

    def figure_for(self, snapshot: Snapshot, table: str, key: str) -> str | None:
        figure = self._figures.get(key) or key
        return first_present(snapshot, figure, figure.rsplit(".w", 1)[0])

    def drill_for(self, snapshot: Snapshot, table: str, key: str) -> DrillDown | None:
        figure = self._figures.get(key) or key
        result = next((r for r in snapshot.regime.rules if rule_key(r) == figure), None)
        if result is None:
            return None
        return _inputs_drill(_title(result), (result,))


def _widget_id(key: str) -> str:
    return "box-" + key.replace(".", "-")


def _inputs_drill(title: str, results: Sequence[RuleResult]) -> DrillDown:
    frame = pl.DataFrame(
        [
            {
                "rule": _title(r),
                "input": o.name,
                "date": o.date,
                "value": o.value,
                "text": o.text,
            }
            for r in results
            for o in r.inputs
        ],
        schema={
            "rule": pl.String,
            "input": pl.String,
            "date": pl.Date,
            "value": pl.Float64,
            "text": pl.String,
        },
    )
    return DrillDown(f"{title}: the inputs the rule read", frame)


# ------------------------------------------------------------------------------------------
# boxes
# ------------------------------------------------------------------------------------------


def _get(rules: Sequence[RuleResult], rule: str, window: int | None = None) -> list[RuleResult]:
    return [r for r in rules if r.rule.value == rule and (window is None or r.window == window)]


def regime_boxes(snapshot: Snapshot, palette: Palette, *, wide: bool = True) -> list[Box]:
    """The nine boxes, in the brief's order."""
    rules = snapshot.regime.rules
    curve = _get(rules, "curve")
    boxes: list[Box] = []
    rates_levels = _rates_levels(curve[0] if curve else None, wide=wide)
    boxes.append(
        Box(
            "regime.rates",
            "Fed / rates",
            (),
            rates_levels,
            "levels only (METHODOLOGY has no Fed/rates rule)",
        )
    )
    boxes.append(Box("regime.sell_america", "Sell America", tuple(_get(rules, "sell_america"))))
    boxes.append(Box("regime.curve", "Curve 10Y−2Y", tuple(curve)))
    boxes.append(
        Box(
            "regime.dxy_oil",
            "DXY – oil",
            (),
            _dxy_oil_levels(snapshot, wide=wide),
            "levels only (METHODOLOGY has no DXY–oil rule)",
        )
    )
    boxes.append(Box("regime.ism", "ISM", tuple(_get(rules, "ism"))))
    credit = _get(rules, "credit")
    boxes.append(
        Box(
            "regime.credit",
            f"Credit ({credit[0].subject} zone)" if credit else "Credit",
            tuple(credit),
        )
    )
    ma = _get(rules, "ma200")
    boxes.append(
        Box(
            "regime.ma200",
            " · ".join(f"{r.subject} 200-day" for r in ma) or "200-day",
            tuple(ma),
        )
    )
    boxes.append(Box("regime.vix_gamma", "VIX / gamma", tuple(_get(rules, "vix_gamma"))))
    boxes.append(
        Box("regime.metals_block", "Metals HARD BLOCK", tuple(_get(rules, "metals_block")))
    )
    return boxes


def _observation(o: Observation, *, dated: bool = True) -> str:
    shown = o.text if o.text is not None else fmt.num(o.value, 2)
    if not dated:
        return shown
    when = o.date.strftime("%m-%d") if o.date else fmt.MISSING
    return f"{shown} ({when})"


def _inputs(result: RuleResult, *, wide: bool = True) -> list[str]:
    """``NAME now (date) ← before (date)`` per input name, in the order the rule lists them.

    Narrow boxes leave out the dates that say nothing new: the latest value's date when it is
    the session's, and the date of the value compared with (the rule's window says it)."""
    by_name: dict[str, list[Observation]] = {}
    for o in result.inputs:
        by_name.setdefault(o.name, []).append(o)
    out = []
    for name, observations in by_name.items():
        parts = [
            _observation(
                o, dated=wide or (i == 0 and o.date is not None and o.date != result.session)
            )
            for i, o in enumerate(observations)
        ]
        out.append(f"{name} " + " ← ".join(parts))
    return out


def _metric(name: str, value: float | None) -> str:
    label, kind = _METRICS.get(name, (name, "num"))
    if kind == "bp":
        shown = f"{fmt.num(value, 1, signed=True)} bp"
    elif kind == "pct":
        shown = fmt.pct(value, 2)
    elif kind == "count":
        shown = fmt.num(value, 0)
    else:
        shown = fmt.num(value, 2, signed=label.startswith("Δ"))
    return f"{label} {shown}"


def mark_of(result: RuleResult) -> int | None:
    """+1 / −1 / 0 for the box arrows; None when neither the vote nor the state says."""
    return rule_mark(result)


def _state_line(result: RuleResult, palette: Palette, *, prefix: str = "") -> Text:
    mark = mark_of(result)
    state = result.state or "n/a"
    text = line(prefix, (f"{arrow(mark)} {state}", palette.vote(mark) + Style(bold=True)))
    if result.as_of and result.session and result.as_of != result.session:
        text.append(f" (as of {result.as_of.isoformat()})", palette.neutral)
    return text


def _change_text(result: RuleResult) -> str:
    if result.changed is None:
        return "no prior session"
    if result.changed:
        return f"changed, was {result.prior_state or 'n/a'}"
    return "unchanged"


def box_text(box: Box, palette: Palette, *, wide: bool) -> Text:
    out: list[Text] = []
    if not box.results:
        out.append(Text(f"{FLAT} {box.note}", style=palette.neutral, end=""))
        out.extend(box.levels)
        return lines(out)
    for i, result in enumerate(box.results):
        window = f"{result.window}d " if result.window is not None and len(box.results) > 1 else ""
        out.append(_state_line(result, palette, prefix=window))
        change = _change_text(result)
        out.append(
            Text(
                f"{'  ' if wide else ''}{change}",
                style=palette.warning if result.changed else palette.neutral,
                end="",
            )
        )
        if i == 0 or wide:
            indent = "  " if wide else ""
            out.extend(plain(f"{indent}{s}") for s in _inputs(result, wide=wide))
            metrics = [_metric(name, value) for name, value in result.metrics]
            if metrics:
                out.append(Text(indent + " · ".join(metrics), end=""))
        if result.note:
            out.append(Text(f"  {result.note}", style=palette.neutral, end=""))
    return lines(out)


def _rates_levels(curve: RuleResult | None, *, wide: bool) -> tuple[Text, ...]:
    if curve is None:
        return (Text("no yields in the snapshot", end=""),)
    out = [plain(s) for s in _inputs(curve, wide=wide)]
    metrics = dict(curve.metrics)
    out.append(
        Text(
            f"Δ10Y {fmt.num(metrics.get('d10y_bp'), 1, signed=True)} bp · "
            f"Δ2Y {fmt.num(metrics.get('d2y_bp'), 1, signed=True)} bp "
            f"({fmt.num(curve.window)}d)",
            end="",
        )
    )
    return tuple(out)


def _last_two(macro: pl.DataFrame, series: str, session: date) -> list[Observation]:
    if macro.is_empty():
        return []
    rows = (
        macro.filter((pl.col("series") == series) & (pl.col("date") <= session))
        .sort("date", descending=True)
        .head(2)
    )
    return [Observation(series, r["date"], r["value"]) for r in rows.iter_rows(named=True)]


def _dxy_oil_levels(snapshot: Snapshot, *, wide: bool) -> tuple[Text, ...]:
    macro = snapshot.inputs.macro
    params = snapshot.regime.params
    out = []
    for series in (params.dxy_series, "WTI"):
        obs = _last_two(macro, series, snapshot.session)
        if obs:
            shown = (
                _observation(o, dated=wide or (i == 0 and o.date != snapshot.session))
                for i, o in enumerate(obs)
            )
            out.append(plain(f"{series} " + " ← ".join(shown)))
        else:
            out.append(plain(f"{series} {fmt.MISSING} (not in macro.csv)"))
    return tuple(out)


# ------------------------------------------------------------------------------------------
# checklist
# ------------------------------------------------------------------------------------------


def thesis_checklist(snapshot: Snapshot) -> pl.DataFrame:
    """The session's checklist (``core.thesis``): the ``[thesis]`` conditions of the folder's
    flowterm.toml, or every regime rule's own vote when it names none."""
    params = snapshot.settings.get("thesis") or ThesisParams()
    return checklist(
        snapshot.regime,
        snapshot.convergence_inputs,
        snapshot.zones,
        snapshot.tickers,
        params=params,
    )


def checklist_rows(frame: pl.DataFrame, palette: Palette) -> list[Row]:
    rows: list[Row] = []
    for r in frame.iter_rows(named=True):
        mark = r["mark"]
        symbol = UNKNOWN if mark is None else CHECK if mark > 0 else CROSS if mark < 0 else FLAT
        changed = r["changed"]
        change = (
            "no prior session"
            if changed is None
            else f"changed, was {r['prior'] or 'n/a'}"
            if changed
            else "unchanged"
        )
        rows.append(
            (
                r["key"],
                {
                    "mark": text_cell(symbol, palette.vote(mark), sort_value=mark),
                    "condition": text_cell(r["label"]),
                    "wanted": text_cell(r["wanted"]),
                    "state": text_cell(r["actual"] or "n/a", palette.vote(mark)),
                    "change": text_cell(change, palette.warning if changed else ""),
                },
            )
        )
    return rows
