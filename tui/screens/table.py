"""``FrameTable``: a Polars frame shown one page at a time in a DataTable.

The frame can hold hundreds of thousands of prints; the table only ever holds one page (≤ 200
rows), so painting stays fast and there are never more row objects than fit a few screens.
Sorting is done by Polars on the whole frame, by value (numbers as numbers, times as times), and
then the first page of the sorted frame is shown. Cells are ``rich.text.Text``, never markup.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any, ClassVar, Final

import polars as pl
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable

from flowterm.core import fmt

from .text import untrusted_text

PAGE_ROWS: Final = 200
#: Columns holding US dollars (printed with B/M/K).
MONEY_COLUMNS: Final = frozenset({"premium", "notional", "net", "at_ask", "at_bid", "mid", "total"})
#: Decimals for columns whose size needs more than the default 2.
DECIMALS: Final = {"iv": 4, "delta": 3, "gamma": 5, "size": 0}
#: The time zone prints are shown in (sessions are ET dates).
SHOW_TZ: Final = "America/New_York"


def cell_text(value: Any, column: str) -> Text:
    """One cell as plain Text: numbers through ``core.fmt`` and right-aligned."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return Text(fmt.MISSING, justify="right")
    if isinstance(value, bool):
        return Text("yes" if value else "no")
    if isinstance(value, int):
        return Text(fmt.num(value, 0), justify="right")
    if isinstance(value, float):
        if column in MONEY_COLUMNS:
            return Text(fmt.money(value), justify="right")
        decimals = DECIMALS.get(column, 2)
        return Text(fmt.num(value, decimals), justify="right")
    if isinstance(value, datetime):
        return Text(value.strftime("%m-%d %H:%M:%S"))
    if isinstance(value, date):
        return Text(value.isoformat())
    if isinstance(value, list | tuple):
        return untrusted_text(", ".join(str(v) for v in value))
    return untrusted_text(value)


def _sort_key(frame: pl.DataFrame, column: str) -> pl.Expr:
    dtype = frame.schema[column]
    if isinstance(dtype, pl.Categorical):
        return pl.col(column).cast(pl.String)
    if isinstance(dtype, pl.List | pl.Array | pl.Struct | pl.Object):
        return pl.col(column).cast(pl.String, strict=False)
    return pl.col(column)


def _for_display(frame: pl.DataFrame) -> pl.DataFrame:
    """Times with a zone are shown in ET (the session's clock)."""
    zoned = [
        name
        for name, dtype in frame.schema.items()
        if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None
    ]
    if not zoned:
        return frame
    return frame.with_columns(pl.col(zoned).dt.convert_time_zone(SHOW_TZ))


class FrameTable(DataTable[Text]):
    """A read-only, paged, sortable view of a Polars frame."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("pagedown", "page(1)", "Next page", id="drill.next_page"),
        Binding("pageup", "page(-1)", "Previous page", id="drill.previous_page"),
        Binding(
            "o",
            "sort",
            "Sort",
            id="drill.sort",
            tooltip="sort the whole frame by the cursor's column: ascending, descending, off",
        ),
    ]

    class Paged(Message):
        """The page, the sort or the frame changed (the screen updates its status line)."""

        def __init__(self, table: FrameTable) -> None:
            super().__init__()
            self.table = table

        @property
        def control(self) -> FrameTable:
            return self.table

    def __init__(
        self, frame: pl.DataFrame, *, page_rows: int = PAGE_ROWS, id: str | None = None
    ) -> None:
        super().__init__(id=id, zebra_stripes=True, cursor_type="cell")
        self.frame = frame
        self.page_rows = max(1, page_rows)
        self.page = 0
        self.sort_column: str | None = None
        self.descending = False
        self._view = frame

    # -- what is shown -------------------------------------------------------------------

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.frame.height / self.page_rows))

    @property
    def first_row(self) -> int:
        return self.page * self.page_rows

    def status(self) -> str:
        """``rows 201–400 of 43190 · page 2/216 · sorted by premium ▼``."""
        if self.frame.height == 0:
            return "no rows"
        first = self.first_row + 1
        last = min(self.frame.height, self.first_row + self.page_rows)
        text = (
            f"rows {fmt.num(first, 0)}–{fmt.num(last, 0)} of {fmt.num(self.frame.height, 0)}"
            f" · page {fmt.num(self.page + 1, 0)}/{fmt.num(self.pages, 0)}"
        )
        if self.sort_column is not None:
            text += f" · sorted by {self.sort_column} {'▼' if self.descending else '▲'}"
        return text

    def on_mount(self) -> None:
        self._show_page()

    def set_frame(self, frame: pl.DataFrame) -> None:
        """Show another frame (keeping the sort when its column still exists)."""
        self.frame = frame
        if self.sort_column not in frame.columns:
            self.sort_column = None
        self._resort()
        self.page = min(self.page, self.pages - 1)
        self._show_page()

    def _resort(self) -> None:
        if self.sort_column is None:
            self._view = self.frame
        else:
            self._view = self.frame.sort(
                _sort_key(self.frame, self.sort_column),
                descending=self.descending,
                nulls_last=True,
                maintain_order=True,
            )

    def _show_page(self, *, cursor_row: int = 0) -> None:
        column = self.cursor_column
        page = _for_display(self._view.slice(self.first_row, self.page_rows))
        rows = [
            [cell_text(v, name) for v, name in zip(row, page.columns, strict=True)]
            for row in page.iter_rows()
        ]
        with self.app.batch_update():
            self.clear(columns=True)
            for index, name in enumerate(self.frame.columns):
                label = untrusted_text(name)
                if name == self.sort_column:
                    label.append(" ▼" if self.descending else " ▲")
                # widths from this page's cells: the table never measures cells itself
                width = max([label.cell_len, *(row[index].cell_len for row in rows)])
                self.add_column(label, key=name, width=width)
            self.add_rows(rows)
            if self.row_count:
                self.cursor_coordinate = self.cursor_coordinate._replace(
                    row=min(cursor_row, self.row_count - 1),
                    column=min(column, max(0, len(self.columns) - 1)),
                )
        self.post_message(self.Paged(self))

    # -- actions ---------------------------------------------------------------------------

    def action_page(self, step: int) -> None:
        page = min(max(0, self.page + step), self.pages - 1)
        if page == self.page:
            # on the first or last page: move to its first or last row instead
            self.move_cursor(row=0 if step < 0 else max(0, self.row_count - 1))
            return
        self.page = page
        self._show_page(cursor_row=0 if step > 0 else self.page_rows - 1)

    def action_sort(self) -> None:
        """Sort by the cursor's column: ascending, then descending, then file order."""
        if not self.frame.columns:
            return
        name = self.frame.columns[min(self.cursor_column, len(self.frame.columns) - 1)]
        if name != self.sort_column:
            self.sort_column, self.descending = name, False
        elif not self.descending:
            self.descending = True
        else:
            self.sort_column, self.descending = None, False
        self._resort()
        self.page = 0
        self._show_page()
