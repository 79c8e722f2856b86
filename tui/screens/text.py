"""Untrusted text (symbols, venues, file names, file contents, error messages) made safe to show.

``Content`` and ``rich.text.Text`` never parse markup when built from a plain string, but neither
removes ESC: a ticker called ``"\\x1b[2J"`` would reach the terminal as an escape sequence and
clear it. ``printable`` swaps every control character for its visible Unicode picture (``␛``), so
the text shows exactly what the file holds and nothing runs.
"""

from __future__ import annotations

from typing import Final

from rich.text import Text
from textual.content import Content

#: C0 controls (except tab and newline) → U+2400 pictures; DEL → ␡; C1 controls → U+FFFD.
_PICTURES: Final = {
    **{code: chr(0x2400 + code) for code in range(0x20) if code not in (0x09, 0x0A)},
    0x7F: "\u2421",
    **{code: "\ufffd" for code in range(0x80, 0xA0)},
}


def printable(text: object) -> str:
    """``text`` as a string with every control character replaced by a visible picture."""
    return str(text).translate(_PICTURES)


def untrusted(text: object, style: str = "") -> Content:
    """Untrusted text as ``Content``: never markup, no control characters."""
    return Content.styled(printable(text), style) if style else Content(printable(text))


def untrusted_text(text: object, *, justify: str | None = None) -> Text:
    """Untrusted text as a Rich ``Text`` (DataTable cells): never markup, no controls."""
    return Text(printable(text), justify=justify)  # type: ignore[arg-type]
