"""Convergence tab: the count of bullish and bearish inputs (METHODOLOGY §10).

The count (``B vs R``, neutral and n/a, net and agreement) and its history across the recent
sessions as text and as a chart; the bullish and bearish inputs side by side, each marked as
computed or analyst; the neutral and unavailable inputs below; the detail of the input under the
cursor on its own line.
"""

from __future__ import annotations

from typing import Any, ClassVar

import polars as pl
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Static

from flowterm.core import fmt
from flowterm.core.convergence import Count
from flowterm.core.snapshot import Snapshot

from ..cells import (
    DOWN,
    FLAT,
    UP,
    Palette,
    diverging_bar,
    line,
    lines,
    plain,
    text_cell,
    vote_cell,
)
from .base import DrillDown, TabView, first_present
from .table import Col, KeyedTable, Row

SIDE_COLUMNS = (
    Col("name", "Input"),
    Col("source", "Source"),
    Col("detail", "Detail", wide_only=True, width=36),
)
OTHER_COLUMNS = (
    Col("name", "Input"),
    Col("vote", "Vote", numeric=True),
    Col("source", "Source"),
    Col("detail", "Detail"),
)

#: The tables and the votes they hold.
_TABLES = (("conv-bullish", (1,)), ("conv-bearish", (-1,)), ("conv-other", (0, None)))


class ConvergenceTab(TabView):
    TAB_ID: ClassVar[str] = "convergence"
    TITLE: ClassVar[str] = "Convergence"

    DEFAULT_CSS = """
    ConvergenceTab > VerticalScroll { height: 1fr; }
    ConvergenceTab #conv-sides { height: auto; }
    ConvergenceTab #conv-sides > Vertical { width: 1fr; height: auto; }
    ConvergenceTab #conv-detail { height: auto; padding: 0 1; min-height: 1; }
    ConvergenceTab #conv-history { height: auto; padding: 0 1; }
    """

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(id="conv-count", classes="section-title")
            with Horizontal(id="conv-sides"):
                with Vertical():
                    yield Static(id="conv-bullish-title", classes="section-title")
                    yield KeyedTable(SIDE_COLUMNS, max_rows=16, id="conv-bullish")
                with Vertical():
                    yield Static(id="conv-bearish-title", classes="section-title")
                    yield KeyedTable(SIDE_COLUMNS, max_rows=16, id="conv-bearish")
            yield Static(id="conv-detail", classes="note")
            yield Static(id="conv-history")
            yield Static("Neutral and not available", classes="section-title")
            yield KeyedTable(OTHER_COLUMNS, max_rows=16, id="conv-other")

    def render_snapshot(self, snapshot: Snapshot, palette: Palette, wide: bool) -> None:
        c = snapshot.convergence
        self.query_one("#conv-count", Static).update(count_line(snapshot, c, palette))
        frame = snapshot.convergence_inputs
        keyed = input_rows(frame)
        for table_id, votes in _TABLES:
            rows: list[Row] = [
                (key, _row(r, palette)) for key, r in keyed if r.get("vote") in votes
            ]
            self.query_one(f"#{table_id}", KeyedTable).sync(rows)
        self.query_one("#conv-bullish-title", Static).update(
            Text(f"{UP} Bullish {fmt.num(c.bullish)}", style=palette.bull + Style(bold=True))
        )
        self.query_one("#conv-bearish-title", Static).update(
            Text(f"{DOWN} Bearish {fmt.num(c.bearish)}", style=palette.bear + Style(bold=True))
        )
        self.query_one("#conv-history", Static).update(
            history_chart(snapshot, palette, half=20 if wide else 12)
        )
        self._show_detail()

    def row_highlighted(self, table: KeyedTable, key: str | None) -> None:
        if table.has_focus:
            self._show_detail(table, key)

    def _show_detail(self, table: KeyedTable | None = None, key: str | None = None) -> None:
        snapshot = self._snapshot
        if snapshot is None:
            return
        if table is None:
            table = self.current_table()
            key = table.cursor_key if table is not None else None
        found = dict(input_rows(snapshot.convergence_inputs)).get(key or "")
        detail = self.query_one("#conv-detail", Static)
        if found is None:
            detail.update(Text("", end=""))
            return
        detail.update(
            plain(
                f"{found['name']} ({found.get('source') or fmt.MISSING}): "
                f"{found.get('detail') or fmt.MISSING}"
            )
        )

    def figure_for(self, snapshot: Snapshot, table: str, key: str) -> str | None:
        return first_present(snapshot, f"convergence.input.{key}", "convergence.count")

    def drill_for(self, snapshot: Snapshot, table: str, key: str) -> DrillDown | None:
        return DrillDown(
            f"Convergence inputs {snapshot.session.isoformat()}: "
            f"{fmt.versus(snapshot.convergence.bullish, snapshot.convergence.bearish)}",
            snapshot.convergence_inputs,
        )


def input_rows(frame: pl.DataFrame) -> list[tuple[str, dict[str, Any]]]:
    """(unique key, row) per input: the name, suffixed when a name repeats."""
    out: list[tuple[str, dict[str, Any]]] = []
    seen: dict[str, int] = {}
    for r in frame.iter_rows(named=True):
        name = str(r["name"])
        n = seen.get(name, 0)
        seen[name] = n + 1
        out.append((name if n == 0 else f"{name} #{n + 1}", r))
    return out


def _row(r: dict[str, Any], palette: Palette) -> dict[str, Text]:
    source = r.get("source")
    analyst = source == "analyst"
    return {
        "name": text_cell(r["name"]),
        "vote": vote_cell(r.get("vote"), palette),
        "source": text_cell(
            f"✎ {source}" if analyst else source, palette.warning if analyst else palette.neutral
        ),
        "detail": text_cell(r.get("detail")),
    }


def count_line(snapshot: Snapshot, c: Count, palette: Palette) -> Text:
    net = c.net
    return line(
        f"Convergence {snapshot.session.isoformat()}: ",
        (fmt.versus(c.bullish, c.bearish), Style(bold=True)),
        "  (",
        (f"{UP} {fmt.num(c.bullish)} bullish", palette.bull),
        ", ",
        (f"{DOWN} {fmt.num(c.bearish)} bearish", palette.bear),
        f", {fmt.num(c.neutral)} neutral, {fmt.num(c.not_available)} n/a)  net ",
        (fmt.num(net, 0, signed=True), palette.sign(net)),
        f"  agreement {fmt.pct(c.agreement, 1, signed=False)}",
    )


def history_text(snapshot: Snapshot) -> str:
    """The count's history as the report writes it (``2v6 → 2v5 → …``)."""
    return fmt.history((c.bullish, c.bearish) for _, c in snapshot.convergence_history)


def history_chart(snapshot: Snapshot, palette: Palette, *, half: int) -> Text:
    """One line per session: bearish bar left, bullish bar right of the axis, the pair, net."""
    history = snapshot.convergence_history
    out = [line(("History ", Style(bold=True)), history_text(snapshot))]
    scale = float(max((max(c.bullish, c.bearish) for _, c in history), default=0))
    for day, c in history:
        row = Text(f"{day.strftime('%m-%d')} ", end="")
        bear = diverging_bar(-float(c.bearish), scale, half, palette, fill="▒")
        bull = diverging_bar(float(c.bullish), scale, half, palette)
        # the left half of the bearish bar, the axis, the right half of the bullish bar
        row.append_text(bear[: half + 1])
        row.append_text(bull[half + 1 :])
        row.append(f" {fmt.history([(c.bullish, c.bearish)]):>6} ")
        row.append(
            fmt.num(c.net, 0, signed=True).rjust(3), palette.sign(c.net) if c.net else Style()
        )
        if day == snapshot.session:
            row.append(f" {FLAT} this session", palette.neutral)
        out.append(row)
    out.append(
        Text(
            f"{' ' * 6}{'bearish ▒'.rjust(half)}│{'█ bullish'.ljust(half)}",
            style=palette.neutral,
            end="",
        )
    )
    return lines(out)
