"""Cells and small text pictures shared by the tabs.

Every string that reaches the screen from data goes through ``rich.text.Text`` built here, never
through console markup (STYLE.md §4): a ticker called ``[bold red]x`` prints as those eleven
characters. Every number is formatted by ``flowterm.core.fmt`` so the screen and the headless
report print identical strings. Colour comes from the active theme's variables (``bull``,
``bear``, ``neutral``, ``warning``, falling back to Textual's ``text-success``/``text-error``/
``text-warning``) and always travels with a non-colour cue: a sign, an arrow or the word.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from rich.style import Style
from rich.text import Text
from textual.color import Color, ColorParseError

from flowterm.core import fmt

#: Arrows that carry direction without colour.
UP: Final = "▲"
DOWN: Final = "▼"
FLAT: Final = "·"
#: Marks of the regime checklist.
CHECK: Final = "✓"
CROSS: Final = "✗"
UNKNOWN: Final = "?"


#: C0 controls, DEL and C1 controls → visible stand-ins (ESC prints as ␛): Rich and Textual strip
#: only a few control codes, so an ``ESC [ 2 J`` inside a ticker would reach the terminal.
_CONTROLS: Final = {
    **{c: 0x2400 + c for c in range(0x20)},
    0x7F: 0x2421,
    **{c: 0xFFFD for c in range(0x80, 0xA0)},
}


def safe(text: str) -> str:
    """``text`` with every control character replaced by a visible stand-in."""
    return text.translate(_CONTROLS)


def plain(text: object, style: str | Style = "") -> Text:
    """Data as one line of literal text: never markup, no control characters."""
    return Text(safe(str(text)), style=style, end="")


class Cell(Text):
    """A ``Text`` that remembers the value it shows, so tables sort by value, not by text."""

    def __init__(
        self,
        text: str = "",
        style: str | Style = "",
        *,
        sort_value: Any = None,
        justify: Any = None,
    ) -> None:
        super().__init__(safe(text), style=style, justify=justify, end="", no_wrap=True)
        #: What the column sorts by (None sorts last in both directions).
        self.sort_value = sort_value
        #: The row key of the table row this cell belongs to (set by ``KeyedTable``).
        self.row_key: str | None = None


def signature(text: Text) -> tuple[Any, ...]:
    """What a cell looks like: two cells with equal signatures render the same."""
    return (text.plain, str(text.style), tuple(text.spans), text.justify)


# ------------------------------------------------------------------------------------------
# colours
# ------------------------------------------------------------------------------------------


def _colour(variables: Mapping[str, str], *names: str) -> Style:
    """The first of ``names`` the theme defines as a parseable colour, as a foreground style."""
    for name in names:
        value = variables.get(name)
        if not value:
            continue
        try:
            colour = Color.parse(value)
        except ColorParseError:
            continue
        return Style(color=colour.rich_color)
    return Style()


@dataclass(frozen=True, slots=True)
class Palette:
    """The semantic styles of the active theme."""

    bull: Style
    bear: Style
    neutral: Style
    warning: Style
    accent: Style

    @classmethod
    def from_variables(cls, variables: Mapping[str, str]) -> Palette:
        return cls(
            bull=_colour(variables, "bull", "text-success", "success"),
            bear=_colour(variables, "bear", "text-error", "error"),
            neutral=_colour(variables, "neutral") if "neutral" in variables else Style(dim=True),
            warning=_colour(variables, "warn", "warning", "text-warning"),
            accent=_colour(variables, "accent", "text-accent"),
        )

    @classmethod
    def plain(cls) -> Palette:
        """No colours at all (before the app has a theme)."""
        return cls(Style(), Style(), Style(dim=True), Style(), Style())

    def sign(self, value: float | None) -> Style:
        """Bull for a positive figure, bear for a negative one."""
        if value is None or (isinstance(value, float) and math.isnan(value)) or value == 0:
            return Style()
        return self.bull if value > 0 else self.bear

    def vote(self, vote: int | None) -> Style:
        if vote is None:
            return self.neutral
        return self.bull if vote > 0 else self.bear if vote < 0 else self.neutral


#: Words that mean bullish / bearish / caution wherever they appear (labels from core).
_BULL_WORDS: Final = frozenset(
    {"ACCUMULATION", "BULL", "BULLISH", "POSITIVE", "GREEN", "AT FLOOR", "NEAR floor", "CB", "PS"}
)
_BEAR_WORDS: Final = frozenset(
    {
        "DISTRIBUTION",
        "BEAR",
        "BEARISH",
        "NEGATIVE",
        "RED",
        "AT CEILING",
        "NEAR ceiling",
        "ABOVE CEILING",
        "CS",
        "PB",
    }
)
_WARN_WORDS: Final = frozenset(
    {
        "UNRELIABLE",
        "FAST",
        "FAST TAPE",
        "CONTESTED",
        "HEDGED",
        "LOW",
        "INSUFFICIENT",
        "LOW CONFIDENCE",
        "BELOW FLOOR",
        "INVALID_ZONE",
        "HARD",
    }
)


def word_direction(word: str | None) -> int | None:
    """+1 / −1 for a word that means bullish / bearish, 0 for caution, None otherwise."""
    if word is None:
        return None
    if word in _BULL_WORDS:
        return 1
    if word in _BEAR_WORDS:
        return -1
    if word in _WARN_WORDS:
        return 0
    return None


def word_style(word: str | None, palette: Palette) -> Style:
    direction = word_direction(word)
    if direction is None:
        return Style()
    if direction == 0:
        return palette.warning
    return palette.bull if direction > 0 else palette.bear


def arrow(direction: int | float | None) -> str:
    """▲ for up, ▼ for down, · otherwise."""
    if direction is None or direction == 0:
        return FLAT
    return UP if direction > 0 else DOWN


# ------------------------------------------------------------------------------------------
# cells
# ------------------------------------------------------------------------------------------


def text_cell(value: object, style: str | Style = "", *, sort_value: Any = None) -> Cell:
    """Any value as literal text (never markup); sorts by the text unless told otherwise."""
    text = fmt.MISSING if value is None else str(value)
    return Cell(text, style, sort_value=text if sort_value is None else sort_value)


def number_cell(display: str, value: float | int | None, style: str | Style = "") -> Cell:
    """A formatted number, right-aligned, sorting by its unrounded value."""
    return Cell(display, style, sort_value=_sortable(value), justify="right")


def _sortable(value: float | int | None) -> float | int | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


def money_cell(
    usd: float | None, palette: Palette, *, signed: bool = False, tone: bool = False
) -> Cell:
    """USD with its B/M/K suffix; ``tone`` colours it by sign (the sign itself is the cue)."""
    style = palette.sign(usd) if tone else Style()
    return number_cell(fmt.money(usd, signed=signed), usd, style)


def pct_cell(
    fraction: float | None,
    palette: Palette,
    *,
    decimals: int = 2,
    signed: bool = True,
    tone: bool = False,
) -> Cell:
    style = palette.sign(fraction) if tone else Style()
    return number_cell(fmt.pct(fraction, decimals, signed=signed), fraction, style)


def num_cell(value: float | None, decimals: int = 2, *, signed: bool = False) -> Cell:
    return number_cell(fmt.num(value, decimals, signed=signed), value)


def label_cell(
    label: str | None,
    palette: Palette,
    *,
    with_arrow: bool = True,
    sort_value: Any = None,
) -> Cell:
    """A label from core (ACCUMULATION, BEAR, AT CEILING …): the word, an arrow, its colour."""
    if label is None:
        return text_cell(None, palette.neutral, sort_value="")
    direction = word_direction(label)
    prefix = ""
    if with_arrow:
        prefix = (arrow(direction) if direction else FLAT) + " "
    return Cell(
        prefix + label,
        word_style(label, palette),
        sort_value=label if sort_value is None else sort_value,
    )


def vote_cell(vote: int | None, palette: Palette) -> Cell:
    """A §10/§11b vote: ``▲ +1``, ``▼ −1``, ``· 0`` or the missing mark."""
    if vote is None:
        return Cell(fmt.MISSING, palette.neutral, sort_value=None, justify="center")
    return Cell(
        f"{arrow(vote)} {fmt.num(vote, 0, signed=True)}",
        palette.vote(vote),
        sort_value=vote,
        justify="right",
    )


def votes_cell(votes: Iterable[int | None], palette: Palette) -> Cell:
    """Several votes as arrows, e.g. ``▲ · ▼`` (missing votes print the missing mark)."""
    text = Cell("", sort_value=None)
    total = 0
    for i, vote in enumerate(votes):
        if i:
            text.append(" ")
        text.append(fmt.MISSING if vote is None else arrow(vote), palette.vote(vote))
        total += vote or 0
    text.sort_value = total
    return text


# ------------------------------------------------------------------------------------------
# pictures
# ------------------------------------------------------------------------------------------


def zone_bar(position: float | None, width: int, style: Style | str = "") -> Cell:
    """Where the close sits in its zone: ``├──┼──●─┤``; ◀/▶ at an end when outside it."""
    width = max(width, 5)
    if position is None or math.isnan(position):
        return Cell(fmt.MISSING.center(width), sort_value=None)
    inner = width - 2
    chars = ["─"] * inner
    chars[(inner - 1) // 2] = "┼"
    if position < 0:
        body, marker_at, marker = "◀" + "".join(chars[1:]), 0, "◀"
    elif position > 1:
        body, marker_at, marker = "".join(chars[:-1]) + "▶", inner - 1, "▶"
    else:
        marker_at = min(inner - 1, max(0, round(position * (inner - 1))))
        marker = "●"
        chars[marker_at] = marker
        body = "".join(chars)
    text = Cell("├", sort_value=position)
    text.append(body[:marker_at])
    text.append(marker, style)
    text.append(body[marker_at + 1 :])
    text.append("┤")
    return text


def diverging_bar(
    value: float, scale: float, half: int, palette: Palette, *, fill: str = "█"
) -> Text:
    """A bar left (negative) or right (positive) of a centre line, ``half`` cells each side."""
    length = 0
    if scale > 0 and value != 0 and not math.isnan(value):
        length = max(1, min(half, round(abs(value) / scale * half)))
    left = " " * half
    right = " " * half
    text = Text(no_wrap=True, end="")
    if value < 0:
        text.append(left[: half - length])
        text.append(fill * length, palette.bear)
        text.append("│")
        text.append(right)
    else:
        text.append(left)
        text.append("│")
        text.append(fill * length, palette.bull if length else Style())
        text.append(right[length:])
    return text


def line(*parts: str | tuple[str, Style | str] | Text) -> Text:
    """Pieces of literal text (never markup, control characters made visible), each optionally
    with a style, as one line."""
    text = Text(end="")
    for part in parts:
        if isinstance(part, Text):
            text.append_text(part)
        elif isinstance(part, tuple):
            text.append(safe(part[0]), part[1])
        else:
            text.append(safe(part))
    return text


def lines(rows: Iterable[Text]) -> Text:
    """Lines joined by newlines into one ``Text``."""
    return Text("\n", end="").join(list(rows))
