"""``TabView``: what every tab of flowterm is to the app shell.

The shell owns the snapshot and the selected ticker and calls ``show`` with them; a tab only
selects, sorts and formats what the ``Snapshot`` holds (no analysis here). Tables are
``KeyedTable``s updated by diff, so a redraw keeps the cursor and the scroll position. When the
user moves a cursor onto a ticker row, the tab posts ``TickerSelected``; when the shell calls
``select_ticker`` the tab moves its cursor without posting again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Final

import polars as pl
from textual.app import ComposeResult
from textual.events import DescendantFocus, Resize
from textual.theme import Theme
from textual.widget import Widget
from textual.widgets import DataTable

from flowterm.core.snapshot import Snapshot

from ..cells import Palette
from ..messages import TickerSelected
from .table import KeyedTable

#: A tab at least this many cells wide shows its secondary columns and side-by-side layouts.
WIDE_AT: Final = 120


@dataclass(frozen=True)
class DrillDown:
    """The rows behind a focused aggregate (e.g. the option prints of one ticker)."""

    title: str
    frame: pl.DataFrame


def collect(prints: pl.LazyFrame) -> pl.DataFrame:
    """The rows of a drill-down (a snapshot's prints are lazy: a session can hold millions,
    and only the rows behind one aggregate are read)."""
    return prints.collect(engine="streaming")


class TabView(Widget):
    """Base class of the six tabs."""

    TAB_ID: ClassVar[str]
    TITLE: ClassVar[str]

    DEFAULT_CSS = """
    TabView {
        width: 1fr;
        height: 1fr;
    }
    TabView .section-title {
        text-style: bold;
        height: auto;
        padding: 0 1;
    }
    TabView .note {
        color: $text-muted;
        height: auto;
        padding: 0 1;
    }
    TabView KeyedTable {
        height: auto;
        scrollbar-size-vertical: 1;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id or f"tab-{self.TAB_ID}", classes=classes)
        self._snapshot: Snapshot | None = None
        #: The selected ticker (from the shell or from this tab's cursor).
        self._selected: str | None = None
        self._wide: bool | None = None
        self._palette: Palette | None = None
        #: The table that last had focus (what ``focused_figure`` and ``drill_down`` read).
        self._focus_table: KeyedTable | None = None

    def compose(self) -> ComposeResult:
        yield from ()

    # -- the interface the shell uses ------------------------------------------------------

    def show(self, snapshot: Snapshot, selected: str | None) -> None:
        """Redraw from ``snapshot``, keeping cursors and scroll; ``selected`` is the ticker
        selected across tabs (the cursor moves to it when it changes)."""
        moved = selected is not None and selected != self._selected
        self._snapshot = snapshot
        if selected is not None:
            self._selected = selected
        self._redraw()
        if moved and selected is not None:
            self.select_ticker(selected)

    def select_ticker(self, symbol: str) -> None:
        """Move the cursor of every ticker table to ``symbol``'s row when it has one."""
        self._selected = symbol
        if not self.is_mounted:
            return
        for table in self.query(KeyedTable):
            if table.ticker_rows:
                table.move_to(symbol)

    def focused_figure(self) -> str | None:
        """The ``snapshot.explanations`` key of the figure under the cursor, or None."""
        table = self.current_table()
        if self._snapshot is None or table is None:
            return None
        key = table.cursor_key
        if key is None:
            return None
        return self.figure_for(self._snapshot, table.id or "", key)

    def drill_down(self) -> DrillDown | None:
        """The rows behind the figure under the cursor, or None when there are none."""
        table = self.current_table()
        if self._snapshot is None or table is None:
            return None
        key = table.cursor_key
        if key is None:
            return None
        return self.drill_for(self._snapshot, table.id or "", key)

    # -- what each tab implements ----------------------------------------------------------

    def render_snapshot(self, snapshot: Snapshot, palette: Palette, wide: bool) -> None:
        """Draw ``snapshot`` (called inside ``batch_update``)."""
        raise NotImplementedError

    def figure_for(self, snapshot: Snapshot, table: str, key: str) -> str | None:
        return None

    def drill_for(self, snapshot: Snapshot, table: str, key: str) -> DrillDown | None:
        return None

    # -- shared machinery ------------------------------------------------------------------

    @property
    def snapshot(self) -> Snapshot | None:
        return self._snapshot

    @property
    def selected(self) -> str | None:
        return self._selected

    @property
    def palette(self) -> Palette:
        if self._palette is None:
            variables = self.app.theme_variables if self.is_attached else {}
            self._palette = Palette.from_variables(variables) if variables else Palette.plain()
        return self._palette

    @property
    def wide(self) -> bool:
        width = self.size.width or (self.app.size.width if self.is_attached else 0)
        return width >= WIDE_AT

    def current_table(self) -> KeyedTable | None:
        """The focused table, else the one focused last, else the first."""
        focused = self.screen.focused if self.is_attached else None
        if isinstance(focused, KeyedTable) and focused in self.query(KeyedTable):
            return focused
        if self._focus_table is not None and self._focus_table.is_attached:
            return self._focus_table
        tables = list(self.query(KeyedTable))
        return tables[0] if tables else None

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)
        self._redraw()

    def _theme_changed(self, theme: Theme) -> None:
        self._palette = None
        self._redraw()

    def on_resize(self, event: Resize) -> None:
        if self.wide != self._wide:
            self._redraw()
        self.resized()

    def resized(self) -> None:
        """Hook: the tab changed size (after the wide/narrow redraw, if any)."""

    def _redraw(self) -> None:
        if self._snapshot is None or not self.is_mounted:
            return
        wide = self.wide
        self._wide = wide
        self.set_class(wide, "-wide")
        with self.app.batch_update():
            for table in self.query(KeyedTable):
                table.configure(wide=wide)
            self.render_snapshot(self._snapshot, self.palette, wide)

    def on_descendant_focus(self, event: DescendantFocus) -> None:
        if isinstance(event.widget, KeyedTable):
            self._focus_table = event.widget

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        table = event.data_table
        if not isinstance(table, KeyedTable):
            return
        key = event.row_key.value
        by_user = table.take_user_move()
        self.row_highlighted(table, key)
        if key is None or not table.ticker_rows or not by_user or key == self._selected:
            return
        self._selected = key
        self.post_message(TickerSelected(key))

    def row_highlighted(self, table: KeyedTable, key: str | None) -> None:
        """Hook: the cursor of ``table`` is on ``key`` (e.g. the Tickers card follows it)."""


def first_present(snapshot: Snapshot, *keys: str) -> str | None:
    """The first of ``keys`` that ``snapshot.explanations`` holds."""
    return next((k for k in keys if k in snapshot.explanations), None)


def value(frame: pl.DataFrame, column: str, default: Any = None) -> Any:
    """The first value of ``column`` (``default`` when the frame is empty or lacks it)."""
    if frame.is_empty() or column not in frame.columns:
        return default
    return frame[column][0]
