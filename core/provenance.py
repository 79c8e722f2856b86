"""Provenance: every figure flowterm shows can say where it came from.

An ``Explanation`` names the METHODOLOGY section a figure implements, its formula, the
parameters in force, the input values it was computed from and the files those came from. The
app's "explain" view and the report's JSON read the same objects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Explanation:
    """Where one figure comes from."""

    #: Stable key, e.g. ``flow.market.net`` or ``zones.SPX.status``.
    figure: str
    #: What a person calls it, e.g. "Options net premium".
    title: str
    #: The METHODOLOGY section, e.g. ``§2.1``.
    section: str
    #: The formula in words and symbols, e.g. "Net = (CB + PS) − (CS + PB)".
    formula: str
    #: The value, unrounded (None when it could not be computed).
    value: Any
    #: The value as every surface prints it.
    display: str
    #: Parameters in force (name → value).
    params: Mapping[str, Any] = field(default_factory=dict)
    #: Named input values (name → value), unrounded.
    inputs: Mapping[str, Any] = field(default_factory=dict)
    #: Source files, relative to the data folder.
    sources: tuple[str, ...] = ()
    #: Why the value is null or what limits it (e.g. "fewer than 21 prior closes").
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (values that JSON cannot hold are turned into text)."""
        return {
            "figure": self.figure,
            "title": self.title,
            "section": self.section,
            "formula": self.formula,
            "value": _plain(self.value),
            "display": self.display,
            "params": {k: _plain(v) for k, v in self.params.items()},
            "inputs": {k: _plain(v) for k, v in self.inputs.items()},
            "sources": list(self.sources),
            "note": self.note,
        }


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple | frozenset | set):
        items = [_plain(v) for v in value]
        return sorted(items, key=str) if isinstance(value, frozenset | set) else items
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)
