"""Explain: where a figure comes from (METHODOLOGY section, formula, parameters, inputs, files)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Footer, Static

from flowterm.core import fmt
from flowterm.core.provenance import Explanation

from .base import Overlay
from .text import untrusted


def value_text(value: Any) -> str:
    """An unrounded input or parameter as text: enough digits to check the arithmetic."""
    if value is None:
        return fmt.MISSING
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return fmt.num(value, 0)
    if isinstance(value, float):
        if not math.isfinite(value) or value == 0:
            return fmt.num(value, 0)
        digits = math.floor(math.log10(abs(value))) + 1
        text = fmt.num(value, min(8, max(2, 6 - digits)))
        return text.rstrip("0").rstrip(".") if "." in text else text
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, frozenset | set):
        return ", ".join(sorted(value_text(v) for v in value))
    if isinstance(value, list | tuple):
        return ", ".join(value_text(v) for v in value)
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={value_text(v)}" for k, v in value.items())
    return str(value)


def _pairs(items: Mapping[str, Any]) -> Iterable[Content]:
    if not items:
        yield Content.styled("  (none)", "$neutral")
        return
    width = min(28, max(len(str(k)) for k in items))
    for key, value in items.items():
        yield Content.assemble(
            "  ", untrusted(f"{key!s:<{width}}", "bold"), "  ", untrusted(value_text(value))
        )


def explanation_content(expl: Explanation) -> Content:
    """Every field of ``expl`` as plain Content (values and file names are never markup)."""
    lines: list[Content] = [
        Content.assemble(untrusted(expl.title, "bold"), "  ", untrusted(expl.figure, "$neutral")),
        Content.assemble(("Value    ", "bold"), untrusted(expl.display)),
        Content.assemble(("Section  ", "bold"), untrusted(f"METHODOLOGY {expl.section}")),
        Content.assemble(("Formula  ", "bold"), untrusted(expl.formula)),
    ]
    if expl.note:
        lines.append(Content.assemble(("Note     ", "bold $warn"), untrusted(expl.note)))
    lines += [Content(""), Content.styled("Inputs", "bold underline"), *_pairs(expl.inputs)]
    lines += [Content(""), Content.styled("Parameters", "bold underline"), *_pairs(expl.params)]
    lines += [Content(""), Content.styled("Source files", "bold underline")]
    lines += [Content.assemble("  ", untrusted(s)) for s in expl.sources] or [
        Content.styled("  (none)", "$neutral")
    ]
    return Content("\n").join(lines)


class ExplainScreen(Overlay[None]):
    """One figure's explanation, scrollable."""

    def __init__(self, explanation: Explanation) -> None:
        super().__init__()
        self.explanation = explanation

    def compose(self) -> ComposeResult:
        with Vertical(id="panel", classes="overlay"):
            yield Static(Content("Explain"), classes="overlay-title")
            with VerticalScroll(id="explain-body"):
                yield Static(explanation_content(self.explanation), id="explain-text")
            yield Footer()

    def on_mount(self) -> None:
        self.query_one("#explain-body").focus()
