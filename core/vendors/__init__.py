"""Vendor and exchange formats (FORMATS.md Part B) mapped onto the canonical kinds.

Each format is a ``VendorFormat``: a sniffer that recognises the file from its first bytes, and
a scanner that returns a LazyFrame with canonical column names (values as text or typed, as the
format has them) plus ``_line`` (the physical line, or the record number for binary and JSON
files). The canonical validator then converts, checks and derives exactly as for canonical
files, so a vendor row that breaks the contract is set aside with its line and reason.

Formats register themselves with ``register`` when their module is imported; ``formats()``
imports them all once.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ..schema import Kind

#: How many leading bytes a sniffer sees.
HEAD_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class VendorFormat:
    """One recognised vendor format."""

    #: Stable identifier shown by ``flowterm validate``, e.g. ``cboe-quotedata``.
    name: str
    #: What a person calls it, e.g. "Cboe quotedata.csv chain".
    title: str
    kind: Kind
    #: Lower-case file suffixes the format may carry (".csv", ".json", ".txt", ".zst", ...).
    suffixes: frozenset[str]
    #: ``sniff(path, head)`` → True when ``head`` (the first ``HEAD_BYTES``) is this format.
    sniff: Callable[[Path, bytes], bool]
    #: ``scan(path)`` → LazyFrame of canonical columns (a subset) plus ``_line``. It may raise
    #: on a file it cannot read at all; it must not raise on bad rows (those become rejects).
    scan: Callable[[Path], pl.LazyFrame]
    #: The canonical columns ``scan`` produces (used before scanning, e.g. for a symbol hint).
    columns: tuple[str, ...]
    #: Higher priorities are sniffed first.
    priority: int = 0
    #: Set for files that are recognised but hold no rows of their own (reference data read
    #: together with the files beside them): the catalog lists them as not used, with this.
    ignore: str | None = None
    #: The files this file is read together with (quotes beside trades, a definition beside
    #: DBN prints): a change to any of them refreshes this file's rows.
    companions: Callable[[Path], Sequence[Path]] | None = None


_REGISTRY: dict[str, VendorFormat] = {}
_LOADED = False


def register(fmt: VendorFormat) -> VendorFormat:
    """Add ``fmt`` to the registry (called by each format module at import)."""
    _REGISTRY[fmt.name] = fmt
    return fmt


def formats() -> list[VendorFormat]:
    """Every registered format, highest priority first, importing the format modules once."""
    global _LOADED
    if not _LOADED:
        for module in pkgutil.iter_modules(__path__):
            if not module.name.startswith("_"):
                importlib.import_module(f"{__name__}.{module.name}")
        _LOADED = True
    return sorted(_REGISTRY.values(), key=lambda f: (-f.priority, f.name))


def get(name: str) -> VendorFormat | None:
    formats()
    return _REGISTRY.get(name)


def suffixes() -> frozenset[str]:
    out: set[str] = set()
    for fmt in formats():
        out |= fmt.suffixes
    return frozenset(out)


def detect(path: Path, head: bytes) -> VendorFormat | None:
    """The vendor format whose sniffer accepts ``head``, or None. A sniffer that raises is
    treated as a no."""
    suffix = path.suffix.lower()
    for fmt in formats():
        if suffix not in fmt.suffixes:
            continue
        try:
            if fmt.sniff(path, head):
                return fmt
        except (Exception, pl.exceptions.PanicException):  # a sniffer must never fail a file
            continue
    return None
