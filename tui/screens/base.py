"""What every overlay shares: a titled panel over the main screen, closed with Escape or q."""

from __future__ import annotations

from typing import ClassVar, TypeVar

from textual.binding import Binding, BindingType
from textual.screen import ModalScreen

ResultType = TypeVar("ResultType")


class Overlay(ModalScreen[ResultType]):
    """A modal panel; Escape (and q, where nothing is typed) closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Close", id="overlay.close"),
    ]

    def action_close(self) -> None:
        self.dismiss(None)
