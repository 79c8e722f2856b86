"""``KeyedTable``: a DataTable that keeps the user's place (STYLE.md §5).

Rows are keyed (by ticker, sector, rule …) and updated by diff: only changed cells are
rewritten, vanished rows removed, new rows added, and the cursor stays on the row it was on. Every
cell is a ``Cell`` carrying the value it sorts by, so numbers sort by value while showing text.
Secondary columns are declared ``wide_only`` and appear only when the tab is wide.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.widgets import DataTable
from textual.widgets.data_table import RowDoesNotExist, RowKey

from ..cells import Cell, signature


@dataclass(frozen=True, slots=True)
class Col:
    """One column: key, header, alignment and whether it is shown only when wide."""

    key: str
    label: str
    numeric: bool = False
    wide_only: bool = False
    #: Fixed width (None = fit the content).
    width: int | None = None
    #: Whether sorting by it is offered (header click, ``o`` key).
    sortable: bool = True


#: One row: its key and its cells by column key (columns without a cell show nothing).
Row = tuple[str, Mapping[str, Text]]


def _sort_key(value: Any) -> tuple[int, Any]:
    """Numbers before text (never compared with each other), None handled by the caller."""
    if isinstance(value, bool):
        return (0, int(value))
    if isinstance(value, int | float):
        return (0, value)
    return (1, str(value))


class KeyedTable(DataTable[Text]):
    """A row-cursor DataTable updated by diff, sortable by value."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "o",
            "cycle_sort",
            "Sort",
            show=False,
            id="table.sort",
            tooltip="sort by the next column (then back to the natural order)",
        ),
        Binding(
            "O",
            "reverse_sort",
            "Reverse sort",
            show=False,
            id="table.sort_reverse",
            tooltip="reverse the sort order",
        ),
    ]

    def __init__(
        self,
        columns: Sequence[Col],
        *,
        sort: str | None = None,
        reverse: bool = False,
        ticker_rows: bool = False,
        max_rows: int | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes, cursor_type="row")
        self.spec = tuple(columns)
        #: Rows are tickers: the tab posts ``TickerSelected`` when the cursor lands on one.
        self.ticker_rows = ticker_rows
        #: Size the table to its rows (at most this many, then it scrolls): an explicit height,
        #: so tables inside auto-height containers lay out at once and never grow taller than
        #: an 80x24 screen (a cursor below the visible part would be lost).
        self.max_rows = max_rows
        self.sort_column = sort
        self.sort_reverse = reverse
        self._wide: bool | None = None
        self._rows: list[Row] = []
        self._shown: dict[str, dict[str, tuple[Any, ...]]] = {}
        #: The next cursor highlight comes from the user (a key or a click), not from a redraw
        #: or a ``select_ticker``: only those are announced to the other tabs.
        self.user_moved = False

    # -- columns -------------------------------------------------------------------------

    @property
    def shown_columns(self) -> tuple[Col, ...]:
        return tuple(c for c in self.spec if self._wide or not c.wide_only)

    def configure(self, *, wide: bool) -> None:
        """Show or hide the ``wide_only`` columns (rebuilds the columns when that changes)."""
        if wide == self._wide:
            return
        cursor = self.cursor_key
        self._wide = wide
        self.clear(columns=True)
        self._shown.clear()
        for col in self.shown_columns:
            self.add_column(self._header(col), key=col.key, width=col.width)
        if self._rows:
            self.sync(self._rows, cursor=cursor)

    def _header(self, col: Col) -> Text:
        label = col.label
        if col.key == self.sort_column:
            label = f"{label}{'▼' if self.sort_reverse else '▲'}"
        return Text(label, justify="right" if col.numeric else "left", end="")

    def _relabel(self) -> None:
        for col in self.shown_columns:
            column = self.columns.get(col.key)  # type: ignore[call-overload]
            if column is not None:
                column.label = self._header(col)
        self._require_update_dimensions = True
        self.refresh()

    # -- rows ----------------------------------------------------------------------------

    @property
    def cursor_key(self) -> str | None:
        """The key of the row under the cursor (None when the table is empty)."""
        if not self.row_count:
            return None
        try:
            key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        except Exception:
            return None
        return key.value

    def has_key(self, key: str) -> bool:
        return key in self._shown

    def row_keys(self) -> list[str]:
        return [k for k, _ in self._rows]

    def sync(self, rows: Sequence[Row], *, cursor: str | None = None) -> None:
        """Show ``rows`` (in this order unless a sort column is set), changing only what
        changed; the cursor stays on its row (or moves to ``cursor`` when given)."""
        if self._wide is None:
            self.configure(wide=False)
        keep = cursor if cursor is not None else self.cursor_key
        self.user_moved = False
        self._rows = list(rows)
        wanted = {key for key, _ in rows}
        columns = [c.key for c in self.shown_columns]
        for key in [k for k in self._shown if k not in wanted]:
            self.remove_row(key)
            del self._shown[key]
        for key, cells in rows:
            shown = self._shown.get(key)
            if shown is None:
                row = [self._cell(key, cells.get(c)) for c in columns]
                self.add_row(*row, key=key)
                self._shown[key] = {c: signature(v) for c, v in zip(columns, row, strict=True)}
                continue
            for c in columns:
                cell = self._cell(key, cells.get(c))
                sig = signature(cell)
                if shown.get(c) != sig:
                    self.update_cell(key, c, cell, update_width=True)
                    shown[c] = sig
        self._apply_order()
        if self.max_rows is not None:
            header = 1 if self.show_header else 0
            self.styles.height = max(1, min(len(rows), self.max_rows)) + header
        if keep is not None and keep in self._shown:
            self.move_to(keep)

    @staticmethod
    def _cell(key: str, text: Text | None) -> Text:
        cell = text if text is not None else Cell("")
        if isinstance(cell, Cell):
            cell.row_key = key
        return cell

    def _ordered_keys(self) -> list[str]:
        keys = [key for key, _ in self._rows]
        if self.sort_column is None:
            return keys
        col = self.sort_column
        values: dict[str, Any] = {}
        for key, cells in self._rows:
            cell = cells.get(col)
            values[key] = getattr(cell, "sort_value", cell.plain if cell is not None else None)
        present = [k for k in keys if values[k] is not None]
        missing = [k for k in keys if values[k] is None]
        present.sort(key=lambda k: _sort_key(values[k]), reverse=self.sort_reverse)
        return present + missing

    def _apply_order(self) -> None:
        if not self._rows or not self.columns:
            return
        rank = {key: i for i, key in enumerate(self._ordered_keys())}
        first = self.shown_columns[0].key

        def position(cell: Text) -> int:
            return rank.get(getattr(cell, "row_key", None) or "", len(rank))

        self.sort(first, key=position)

    def move_to(self, key: str) -> bool:
        """Put the cursor on the row ``key``; False when there is no such row."""
        try:
            index = self.get_row_index(key)
        except RowDoesNotExist:
            return False
        self.user_moved = False
        if index != self.cursor_row:
            self.move_cursor(row=index, animate=False)
        return True

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        """Measure new cells (DataTable does it when idle), then drop the lines drawn before:
        Textual 8.2 caches rendered lines by an update counter that measuring does not bump,
        so a table painted between ``add_row`` and its idle pass kept header-wide columns
        until the cursor moved."""
        super()._update_dimensions(new_rows)
        self._update_count += 1
        self.refresh()

    # -- cursor moves by the user --------------------------------------------------------

    def take_user_move(self) -> bool:
        """Whether the highlight being handled came from the user (resets the flag)."""
        moved, self.user_moved = self.user_moved, False
        return moved

    async def _on_click(self, event: events.Click) -> None:
        self.user_moved = True
        await super()._on_click(event)

    def action_cursor_up(self) -> None:
        self.user_moved = True
        super().action_cursor_up()

    def action_cursor_down(self) -> None:
        self.user_moved = True
        super().action_cursor_down()

    def action_page_up(self) -> None:
        self.user_moved = True
        super().action_page_up()

    def action_page_down(self) -> None:
        self.user_moved = True
        super().action_page_down()

    def action_scroll_top(self) -> None:
        self.user_moved = True
        super().action_scroll_top()

    def action_scroll_bottom(self) -> None:
        self.user_moved = True
        super().action_scroll_bottom()

    # -- sorting -------------------------------------------------------------------------

    def sort_by(self, column: str | None, *, reverse: bool | None = None) -> None:
        """Sort by ``column`` (None = the natural order); the cursor stays on its row."""
        keep = self.cursor_key
        if reverse is None:
            if column == self.sort_column:
                reverse = not self.sort_reverse
            else:  # numbers largest first, text A to Z
                reverse = any(c.key == column and c.numeric for c in self.spec)
        self.sort_column = column
        self.sort_reverse = reverse
        self._relabel()
        self._apply_order()
        if keep is not None:
            self.move_to(keep)

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        col = next((c for c in self.spec if c.key == event.column_key.value), None)
        if col is not None and col.sortable:
            self.sort_by(col.key)

    def action_cycle_sort(self) -> None:
        """Sort by the next sortable column (after the last: the natural order)."""
        keys = [c.key for c in self.shown_columns if c.sortable]
        if not keys:
            return
        if self.sort_column not in keys:
            nxt: str | None = keys[0]
        else:
            i = keys.index(self.sort_column)
            nxt = keys[i + 1] if i + 1 < len(keys) else None
        numeric = {c.key for c in self.shown_columns if c.numeric}
        self.sort_by(nxt, reverse=nxt in numeric)

    def action_reverse_sort(self) -> None:
        if self.sort_column is not None:
            self.sort_by(self.sort_column, reverse=not self.sort_reverse)
