"""Jump to a ticker: type to filter the snapshot's symbols, Enter to select."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Final

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from .base import Overlay
from .text import untrusted

#: At most this many matches are listed (the first ones: prefix matches before the rest).
MAX_MATCHES: Final = 200


def matches(choices: Sequence[tuple[str, str]], query: str) -> list[tuple[str, str]]:
    """Symbols starting with ``query`` first, then those containing it (case-insensitive)."""
    q = query.strip().upper()
    if not q:
        return list(choices[:MAX_MATCHES])
    starts = [c for c in choices if c[0].upper().startswith(q)]
    inside = [c for c in choices if q in c[0].upper() and not c[0].upper().startswith(q)]
    return (starts + inside)[:MAX_MATCHES]


class JumpScreen(Overlay[str | None]):
    """Returns the chosen symbol (or None when closed with Escape)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "move(1)", "Next", show=False, id="jump.next"),
        Binding("up", "move(-1)", "Previous", show=False, id="jump.previous"),
    ]

    def __init__(self, choices: Sequence[tuple[str, str]], *, selected: str | None = None) -> None:
        super().__init__()
        #: (symbol, a short note such as the verdict), in display order.
        self.choices = list(choices)
        self.selected = selected
        self.shown: list[tuple[str, str]] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="panel", classes="overlay narrow"):
            yield Static(Content("Jump to ticker"), classes="overlay-title")
            yield Input(placeholder="symbol…", id="jump-input")
            yield OptionList(id="jump-list")
            yield Static(Content("↑↓ choose · Enter jump · Esc cancel"), classes="overlay-status")

    def on_mount(self) -> None:
        self._fill("")
        options = self.query_one(OptionList)
        if self.selected is not None:
            for index, (symbol, _) in enumerate(self.shown):
                if symbol == self.selected:
                    options.highlighted = index
        self.query_one(Input).focus()

    def _fill(self, query: str) -> None:
        self.shown = matches(self.choices, query)
        width = min(12, max((len(s) for s, _ in self.shown), default=0))
        options = self.query_one(OptionList)
        options.set_options(
            Option(
                Content.assemble(
                    untrusted(symbol.ljust(width), "bold"), "  ", untrusted(note, "$neutral")
                )
            )
            for symbol, note in self.shown
        )
        options.highlighted = 0 if self.shown else None

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        self._fill(event.value)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is not None and self.shown:
            self.dismiss(self.shown[options.highlighted][0])
            return
        typed = event.value.strip().upper()
        exact = [s for s, _ in self.choices if s.upper() == typed]
        if exact:
            self.dismiss(exact[0])
        else:
            self.app.bell()

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.shown[event.option_index][0])

    def action_move(self, step: int) -> None:
        options = self.query_one(OptionList)
        if not self.shown:
            return
        current = options.highlighted if options.highlighted is not None else -step
        options.highlighted = min(max(0, current + step), len(self.shown) - 1)
