"""flowterm's colour themes: Textual ``Theme`` objects with semantic variables.

Every theme defines the four variables the app and the tabs style with, so TCSS never names a
colour: ``$bull`` (a bullish figure), ``$bear`` (a bearish one), ``$neutral`` (neither, or
missing) and ``$warn`` (a problem the user should look at). Colour is never the only cue: every
bullish or bearish cell also carries a sign, an arrow (▲/▼) or a word, so the same screen reads
under ``NO_COLOR=1``, in 16 colours and for colour-blind readers.

Pick a theme with ``flowterm --theme NAME`` or ``[app] theme = "NAME"`` in the user config
(``~/.config/flowterm/flowterm.toml``); ``t`` cycles through them in the app.
"""

from __future__ import annotations

from typing import Final

from textual.theme import Theme

#: The semantic variables every flowterm theme defines (and the app defaults for other themes).
SEMANTIC: Final = ("bull", "bear", "neutral", "warn")

DARK: Final = Theme(
    name="flowterm-dark",
    primary="#5FAFFF",
    secondary="#5F87AF",
    accent="#FFAF5F",
    warning="#FFD75F",
    error="#FF5F5F",
    success="#5FD75F",
    foreground="#D0D0D0",
    background="#121212",
    surface="#1C1C1C",
    panel="#262626",
    dark=True,
    variables={
        "bull": "#5FD75F",
        "bear": "#FF5F5F",
        "neutral": "#A8A8A8",
        "warn": "#FFD75F",
        "footer-key-foreground": "#5FAFFF",
    },
)

LIGHT: Final = Theme(
    name="flowterm-light",
    primary="#005F87",
    secondary="#0087AF",
    accent="#AF5F00",
    warning="#AF5F00",
    error="#AF0000",
    success="#008700",
    foreground="#1C1C1C",
    background="#EEEEEE",
    surface="#E4E4E4",
    panel="#D0D0D0",
    dark=False,
    variables={
        "bull": "#008700",
        "bear": "#AF0000",
        "neutral": "#585858",
        "warn": "#AF5F00",
        "footer-key-foreground": "#005F87",
    },
)

HIGH_CONTRAST: Final = Theme(
    name="flowterm-high-contrast",
    primary="#FFFF00",
    secondary="#00FFFF",
    accent="#FF00FF",
    warning="#FFFF00",
    error="#FF0000",
    success="#00FF00",
    foreground="#FFFFFF",
    background="#000000",
    surface="#000000",
    panel="#1C1C1C",
    dark=True,
    luminosity_spread=0.3,
    text_alpha=1.0,
    variables={
        "bull": "#00FF00",
        "bear": "#FF5F5F",
        "neutral": "#FFFFFF",
        "warn": "#FFFF00",
        "footer-key-foreground": "#FFFF00",
        "block-cursor-text-style": "bold reverse",
    },
)

#: Okabe–Ito colours: blue for bullish, vermillion for bearish (distinct under deuteranopia,
#: protanopia and tritanopia), yellow for warnings.
COLOUR_BLIND: Final = Theme(
    name="flowterm-colorblind",
    primary="#56B4E9",
    secondary="#0072B2",
    accent="#E69F00",
    warning="#F0E442",
    error="#D55E00",
    success="#0072B2",
    foreground="#E4E4E4",
    background="#121212",
    surface="#1C1C1C",
    panel="#262626",
    dark=True,
    variables={
        "bull": "#56B4E9",
        "bear": "#E69F00",
        "neutral": "#BCBCBC",
        "warn": "#F0E442",
        "footer-key-foreground": "#56B4E9",
    },
)

#: Every flowterm theme, the default first.
THEMES: Final[tuple[Theme, ...]] = (DARK, LIGHT, HIGH_CONTRAST, COLOUR_BLIND)
DEFAULT_THEME: Final = DARK.name
#: Short names accepted by ``--theme`` and ``[app] theme`` besides the full theme names.
ALIASES: Final = {
    "dark": DARK.name,
    "light": LIGHT.name,
    "high-contrast": HIGH_CONTRAST.name,
    "contrast": HIGH_CONTRAST.name,
    "colorblind": COLOUR_BLIND.name,
    "colourblind": COLOUR_BLIND.name,
}


def theme_name(name: str) -> str:
    """The full theme name for ``name`` (a theme name or an alias); ValueError if unknown."""
    key = name.strip().lower()
    known = {t.name for t in THEMES}
    if key in known:
        return key
    if key in ALIASES:
        return ALIASES[key]
    choices = ", ".join(sorted(known | set(ALIASES)))
    raise ValueError(f"unknown theme {name!r} (choose one of: {choices})")
