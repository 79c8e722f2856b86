"""Column maps: the user names the columns of any other CSV in ``flowterm.toml`` (FORMATS §13).

For exports flowterm does not know (Tradytics, a broker's blotter, a home-made sheet), one
``[[columns]]`` table per file pattern says which kind the file holds and which of its headers
is which canonical column::

    [[columns]]
    pattern = "tradytics-*.csv"     # glob on the file name (case-insensitive)
    kind = "options"                # a Kind value: options, darkpool, quotes, chain, ...
    map = { Time = "ts", Sym = "underlying", Exp = "expiry", Strike = "strike", CP = "right",
            Prem = "premium_ignored", Price = "price", Qty = "size", Bid = "bid", Ask = "ask" }

Headers are matched like canonical headers (case, spaces and punctuation ignored). Headers not in
the map are not read; a target of ``""``, ``"ignore"`` or ``"<anything>_ignored"`` says so
explicitly. The map must cover the kind's required columns, except those a row may leave empty
(bid/ask of prints, iv of a chain) and a daily-bars symbol (taken from the file name). The file is
then read by the canonical CSV reader, so its values are converted and checked exactly like a
canonical file's.

``column_maps`` validates the ``[[columns]]`` tables (an error names the table and key);
``match`` answers the kind and ``{file header: canonical column}`` for a file, or None; ``claims``
and ``mismatch`` let the sniffer give a matching pattern precedence and explain a file that
matches a pattern but lacks some of its headers. This module does no I/O except ``load``.
"""

from __future__ import annotations

import fnmatch
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from ..schema import Kind, normalise_header, spec

SECTION: Final = "columns"
IGNORE: Final = frozenset({"", "ignore"})
IGNORE_SUFFIX: Final = "_ignored"


class ColumnMapError(ValueError):
    """A ``[[columns]]`` table of flowterm.toml is not valid; the message names the key."""


@dataclass(frozen=True, slots=True)
class ColumnMap:
    """One ``[[columns]]`` table: the files it applies to, their kind and header mapping."""

    pattern: str
    kind: Kind
    #: ``(file header as written in flowterm.toml, canonical column)``, ignored headers left out.
    columns: tuple[tuple[str, str], ...]

    def applies_to(self, path: Path) -> bool:
        return fnmatch.fnmatchcase(path.name.lower(), self.pattern.lower())


def _kind(value: Any, where: str) -> Kind:
    known = ", ".join(k.value for k in Kind)
    if not isinstance(value, str):
        raise ColumnMapError(f"{where} kind: expected text (one of {known}), got {value!r}")
    text = value.strip().lower()
    for kind in Kind:
        if text in (kind.value, kind.name.lower()):
            return kind
    raise ColumnMapError(f"{where} kind = {value!r}: not a kind of data (one of {known})")


def _ignored(target: str) -> bool:
    return target.strip().lower() in IGNORE or target.strip().lower().endswith(IGNORE_SUFFIX)


def _optional_required(kind: Kind) -> frozenset[str]:
    """Required columns a map may leave out (the reader fills them with empty values)."""
    ks = spec(kind)
    free = {c.name for c in ks.columns if c.required and c.nullable}
    if kind is Kind.DAILY_BARS:
        free.add("symbol")
    return frozenset(free)


def _columns(kind: Kind, table: Any, where: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(table, Mapping) or not table:
        raise ColumnMapError(f"{where} map: expected a table of header = column, got {table!r}")
    ks = spec(kind)
    names = [c.name for c in ks.columns]
    derived = {name for name, _ in ks.derived}
    out: list[tuple[str, str]] = []
    seen: dict[str, str] = {}
    headers: dict[str, str] = {}
    for header, target in table.items():
        key = f"{where} map.{header}"
        if not isinstance(target, str):
            raise ColumnMapError(f"{key}: expected a column name, got {target!r}")
        if not normalise_header(header):
            raise ColumnMapError(f"{key}: the header has no letters or digits")
        if normalise_header(header) in headers:
            raise ColumnMapError(
                f"{key}: the same header as map.{headers[normalise_header(header)]}"
            )
        headers[normalise_header(header)] = header
        if _ignored(target):
            continue
        column = target.strip().lower()
        if column in derived:
            raise ColumnMapError(
                f"{key} = {target!r}: {column} is derived on load, not read "
                f'(leave it out, or map it to "{column}_ignored")'
            )
        if column not in names:
            raise ColumnMapError(
                f"{key} = {target!r}: not a column of {kind.value} "
                f'(columns: {", ".join(names)}; "" or "…_ignored" to skip a header)'
            )
        if column in seen:
            raise ColumnMapError(f"{key} = {target!r}: {column} is already map.{seen[column]}")
        seen[column] = header
        out.append((header, column))
    missing = [n for n in ks.required if n not in seen and n not in _optional_required(kind)]
    if missing:
        raise ColumnMapError(f"{where} map: no header for required {', '.join(missing)}")
    return tuple(out)


def column_maps(settings: Mapping[str, Any]) -> list[ColumnMap]:
    """The validated ``[[columns]]`` tables of a parsed flowterm.toml (``{}`` → none)."""
    tables = settings.get(SECTION, [])
    if isinstance(tables, Mapping):
        tables = [tables]  # a single [columns] table
    if not isinstance(tables, list):
        raise ColumnMapError(f"[[{SECTION}]]: expected tables of pattern, kind and map")
    out: list[ColumnMap] = []
    for number, table in enumerate(tables, start=1):
        where = f"[[{SECTION}]] #{number}"
        if not isinstance(table, Mapping):
            raise ColumnMapError(f"{where}: expected a table of pattern, kind and map")
        unknown = sorted(set(table) - {"pattern", "kind", "map"})
        if unknown:
            raise ColumnMapError(
                f"{where}: unknown key {unknown[0]} (known keys: kind, map, pattern)"
            )
        pattern = table.get("pattern")
        if not isinstance(pattern, str) or not pattern.strip():
            raise ColumnMapError(f'{where} pattern: expected a file-name glob such as "*.csv"')
        where = f'{where} (pattern "{pattern}")'
        if "/" in pattern or "\\" in pattern:
            raise ColumnMapError(f"{where}: the pattern matches file names, not paths")
        if "kind" not in table:
            raise ColumnMapError(f"{where}: kind is missing")
        kind = _kind(table["kind"], where)
        out.append(ColumnMap(pattern.strip(), kind, _columns(kind, table.get("map"), where)))
    return out


def load(path: Path | None) -> list[ColumnMap]:
    """The column maps of the flowterm.toml at ``path`` (None or no such file → none)."""
    if path is None or not path.is_file():
        return []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ColumnMapError(f"{path}: cannot read: {exc}") from exc
    try:
        return column_maps(data)
    except ColumnMapError as exc:
        raise ColumnMapError(f"{path}: {exc}") from exc


def _resolve(cm: ColumnMap, headers: Sequence[str]) -> tuple[dict[str, str], list[str]]:
    """``({file header: column}, [mapped headers the file lacks])``."""
    by_norm: dict[str, str] = {}
    for h in headers:
        by_norm.setdefault(normalise_header(h), h)
    found: dict[str, str] = {}
    lacking: list[str] = []
    for header, column in cm.columns:
        actual = by_norm.get(normalise_header(header))
        if actual is None:
            lacking.append(header)
        else:
            found[actual] = column
    return found, lacking


def claims(maps: Sequence[ColumnMap], path: Path) -> bool:
    """True when a column map's pattern names this file (it then takes precedence over vendor
    sniffing: the user said what the file is)."""
    return any(cm.applies_to(path) for cm in maps)


def match(
    maps: Sequence[ColumnMap], path: Path, headers: Sequence[str]
) -> tuple[Kind, dict[str, str]] | None:
    """The kind and ``{file header: canonical column}`` of the first map whose pattern matches
    the file name and whose headers the file has; None when no map applies."""
    for cm in maps:
        if cm.applies_to(path):
            found, lacking = _resolve(cm, headers)
            if not lacking:
                return cm.kind, found
    return None


def mismatch(maps: Sequence[ColumnMap], path: Path, headers: Sequence[str]) -> str | None:
    """Why the maps whose pattern matches this file do not apply (headers it lacks), or None
    when no pattern matches."""
    reasons: list[str] = []
    for cm in maps:
        if cm.applies_to(path):
            _, lacking = _resolve(cm, headers)
            if lacking:
                reasons.append(f'column map "{cm.pattern}": no header {", ".join(lacking)}')
    return "; ".join(reasons) or None


__all__ = [
    "ColumnMap",
    "ColumnMapError",
    "claims",
    "column_maps",
    "load",
    "match",
    "mismatch",
]
