"""Zones tab: every symbol's expected-move zone (METHODOLOGY §4) with its Range (§5).

One row per symbol: low, mid, high, close, upside and downside room, status, asymmetry ratio,
the Range (ADX) value with its colour and label, and a bar placing the close inside the zone.
Sorted by default with the closes nearest their ceilings first (the sample's index ETFs AT
CEILING); every column sorts by value (header click or ``o``/``O``).
"""

from __future__ import annotations

from typing import Any, ClassVar

import polars as pl
from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from flowterm.core import fmt
from flowterm.core.snapshot import Snapshot

from ..cells import (
    Palette,
    arrow,
    label_cell,
    num_cell,
    number_cell,
    pct_cell,
    text_cell,
    word_style,
    zone_bar,
)
from .base import DrillDown, TabView, first_present
from .table import Col, KeyedTable

COLUMNS = (
    Col("symbol", "Sym"),
    Col("low", "Low", numeric=True, wide_only=True),
    Col("mid", "Mid", numeric=True, wide_only=True),
    Col("high", "High", numeric=True, wide_only=True),
    Col("close", "Close", numeric=True),
    Col("upside", "Up", numeric=True),
    Col("downside", "Down", numeric=True),
    Col("status", "Status"),
    Col("ratio", "Ratio", numeric=True),
    Col("range", "Range", numeric=True),
    Col("trend", "Trend", wide_only=True),
    Col("bar", "Zone"),
    Col("source", "EM from", wide_only=True),
)

#: DI colour of the Range → direction of its arrow (the non-colour cue).
_COLOUR_DIRECTION = {"GREEN": 1, "RED": -1}


class ZonesTab(TabView):
    TAB_ID: ClassVar[str] = "zones"
    TITLE: ClassVar[str] = "Zones"

    DEFAULT_CSS = """
    ZonesTab #zones-table {
        height: 1fr;
        max-height: 100%;
    }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="zones-title", classes="section-title")
        yield KeyedTable(COLUMNS, sort="bar", reverse=True, ticker_rows=True, id="zones-table")

    def render_snapshot(self, snapshot: Snapshot, palette: Palette, wide: bool) -> None:
        zones = snapshot.zones
        trend = snapshot.trend.select("symbol", "adx", "trend_label", "trend_colour")
        frame = zones.join(trend, on="symbol", how="left") if not zones.is_empty() else zones
        at_ceiling = zones.filter(pl.col("status").is_in(["AT CEILING", "ABOVE CEILING"])).height
        self.query_one("#zones-title", Static).update(
            Text(
                f"Weekly zones {snapshot.session.isoformat()} · {zones.height} symbols · "
                f"{at_ceiling} at or above the ceiling",
                end="",
            )
        )
        bar_width = 15 if wide else 9
        rows = [
            (row["symbol"], _row(row, palette, bar_width)) for row in frame.iter_rows(named=True)
        ]
        self.query_one("#zones-table", KeyedTable).sync(rows)

    def figure_for(self, snapshot: Snapshot, table: str, key: str) -> str | None:
        return first_present(snapshot, f"zones.{key}")

    def drill_for(self, snapshot: Snapshot, table: str, key: str) -> DrillDown | None:
        rows = snapshot.zones.filter(pl.col("symbol") == key)
        if rows.is_empty():
            return None
        return DrillDown(f"{key} zone: anchor, expected move and source", rows)


def _row(row: dict[str, Any], palette: Palette, bar_width: int) -> dict[str, Text]:
    status = row.get("status")
    colour = row.get("trend_colour")
    direction = _COLOUR_DIRECTION.get(colour or "", 0)
    adx = row.get("adx")
    range_cell = number_cell(
        f"{fmt.num(adx, 1)} {arrow(direction)}" if adx is not None else fmt.MISSING,
        adx,
        word_style(colour, palette),
    )
    label = row.get("trend_label")
    trend = text_cell(
        f"{label} {colour}" if label else None,
        word_style(colour, palette),
        sort_value=adx,
    )
    ratio = row.get("ratio")
    return {
        "symbol": text_cell(row["symbol"]),
        "low": num_cell(row.get("low"), 2),
        "mid": num_cell(row.get("mid"), 2),
        "high": num_cell(row.get("high"), 2),
        "close": num_cell(row.get("close"), 2),
        "upside": pct_cell(row.get("upside"), palette),
        "downside": pct_cell(row.get("downside"), palette),
        "status": label_cell(status, palette, with_arrow=False, sort_value=row.get("position")),
        "ratio": number_cell(row.get("ratio_text") or fmt.MISSING, ratio),
        "range": range_cell,
        "trend": trend,
        "bar": zone_bar(row.get("position"), bar_width, word_style(status, palette)),
        "source": text_cell(row.get("source")),
    }
