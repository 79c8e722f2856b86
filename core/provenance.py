"""Provenance: every figure flowterm shows can say where it came from.

An ``Explanation`` names the METHODOLOGY section a figure implements, its formula, the
parameters in force, the input values it was computed from and the files those came from. The
app's "explain" view and the report's JSON read the same objects.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
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


class Explanations(Mapping[str, Explanation]):
    """Every figure's explanation, built the first time one is asked for.

    Explaining every figure of a session (hundreds of tickers) costs tens of milliseconds that a
    live rebuild need not wait for: the snapshot is ready without them, and the first lookup
    (the app warms them beside the screen update; the JSON report reads them all) builds them
    once. Safe to use from several threads."""

    def __init__(self, build: Callable[[], Mapping[str, Explanation]]) -> None:
        self._build: Callable[[], Mapping[str, Explanation]] | None = build
        self._value: Mapping[str, Explanation] | None = None
        self._lock = threading.Lock()

    def _built(self) -> Mapping[str, Explanation]:
        value = self._value
        if value is None:
            with self._lock:
                if self._value is None:
                    assert self._build is not None
                    self._value = self._build()
                    self._build = None  # let go of what it was built from
                value = self._value
        return value

    @property
    def ready(self) -> bool:
        """Whether they are built already."""
        return self._value is not None

    def __getitem__(self, key: str) -> Explanation:
        return self._built()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._built())

    def __len__(self) -> int:
        return len(self._built())

    def __contains__(self, key: object) -> bool:
        return key in self._built()
