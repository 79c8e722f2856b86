"""Settings from ``flowterm.toml``: every [P] parameter of the methodology, by section.

Each analysis layer declares its parameters as a frozen dataclass with defaults from
METHODOLOGY.md and a ``SETTINGS_SECTION`` name; ``flowterm.toml`` may override any field:

    [flow]
    grade_moderate_max = 0.25

A key that no layer knows, or a value of the wrong type, is an error that names the key and
the file, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import dataclasses
import enum
import tomllib
import types
import typing
from collections.abc import Mapping
from datetime import time
from pathlib import Path
from typing import Any, TypeVar

P = TypeVar("P")


#: Sections of flowterm.toml read by other parts of flowterm: ``[[columns]]`` (column maps for
#: other CSVs) and ``[data]`` (``follow_links``), read by the catalog; ``[keys]`` and ``[app]``
#: (read by the app).
READ_ELSEWHERE = frozenset({"columns", "keys", "app", "data"})


class SettingsError(ValueError):
    """flowterm.toml could not be read or holds an unknown key or an invalid value."""


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", str(tp))


def _coerce(value: Any, tp: Any, key: str) -> Any:
    """``value`` from TOML checked (and, for tuples and floats, converted) against ``tp``."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(tp)
        clears = value is None or value is False
        clears = clears or (isinstance(value, str) and value.lower() in ("none", "off"))
        if clears and type(None) in options:
            return None  # `false` or "none" turns an optional setting off
        errors: list[str] = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _coerce(value, option, key)
            except SettingsError as exc:
                errors.append(str(exc))
        raise SettingsError(errors[0] if errors else f"{key}: invalid value {value!r}")
    if origin is typing.Literal:
        allowed = typing.get_args(tp)
        if value not in allowed:
            raise SettingsError(f"{key}: {value!r} is not one of {', '.join(map(repr, allowed))}")
        return value
    if origin is tuple and isinstance(value, dict):
        args = typing.get_args(tp)
        pair = args[0] if args else Any
        if typing.get_origin(pair) is not tuple:
            raise SettingsError(f"{key}: expected a list, got a table")
        k_type, v_type = typing.get_args(pair)
        return tuple(
            (_coerce(k, k_type, key), _coerce(v, v_type, f"{key}.{k}")) for k, v in value.items()
        )
    if origin in (tuple, frozenset, list):
        if not isinstance(value, list):
            raise SettingsError(f"{key}: expected a list, got {value!r}")
        args = typing.get_args(tp)
        item = args[0] if args else Any
        if dataclasses.is_dataclass(item):
            items = [_coerce(value_, item, f"{key}[{i + 1}]") for i, value_ in enumerate(value)]
            return frozenset(items) if origin is frozenset else tuple(items)
        items = [value_ if item is Any else _coerce(value_, item, key) for value_ in value]
        return frozenset(items) if origin is frozenset else tuple(items)
    if tp is bool:
        if not isinstance(value, bool):
            raise SettingsError(f"{key}: expected true or false, got {value!r}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SettingsError(f"{key}: expected a number, got {value!r}")
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise SettingsError(f"{key}: expected a whole number, got {value!r}")
        return value
    if tp is str:
        if not isinstance(value, str):
            raise SettingsError(f"{key}: expected text, got {value!r}")
        return value
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        try:
            return tp(value)
        except ValueError:
            choices = ", ".join(repr(m.value) for m in tp)
            raise SettingsError(f"{key}: {value!r} is not one of {choices}") from None
    if tp is time:
        if isinstance(value, time):
            return value
        try:
            return time.fromisoformat(str(value))
        except ValueError:
            raise SettingsError(f"{key}: expected a time like 16:00, got {value!r}") from None
    if tp is Any:
        return value
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _table(value, tp, key)
    raise SettingsError(f"{key}: settings of type {_type_name(tp)} are not supported")


def _table(value: Any, tp: type[Any], key: str) -> Any:
    """A TOML table (``[[thesis.conditions]]``) as the dataclass ``tp``, checked key by key."""
    if not isinstance(value, dict):
        raise SettingsError(f"{key}: expected a table, got {value!r}")
    hints = typing.get_type_hints(tp)
    fields = {f.name for f in dataclasses.fields(tp)}
    values = {}
    for name, item in value.items():
        if name not in fields:
            known = ", ".join(sorted(fields))
            raise SettingsError(f"{key}: unknown key {name} (known keys: {known})")
        values[name] = _coerce(item, hints[name], f"{key}.{name}")
    try:
        return tp(**values)
    except ValueError as exc:  # the table's own consistency checks
        raise SettingsError(f"{key}: {exc}") from exc


def apply_section(defaults: P, table: Mapping[str, Any], section: str) -> P:
    """A copy of the params dataclass ``defaults`` with the keys of ``table`` applied."""
    if not dataclasses.is_dataclass(defaults) or isinstance(defaults, type):
        raise TypeError("defaults must be a dataclass instance")
    hints = typing.get_type_hints(type(defaults))
    fields = {f.name for f in dataclasses.fields(defaults)}
    changes: dict[str, Any] = {}
    for key, value in table.items():
        name = f"[{section}] {key}"
        if key not in fields:
            known = ", ".join(sorted(fields))
            raise SettingsError(f"unknown setting {name} (known keys: {known})")
        changes[key] = _coerce(value, hints[key], name)
    try:
        return dataclasses.replace(defaults, **changes)
    except ValueError as exc:  # the params' own consistency checks
        raise SettingsError(f"[{section}] {exc}") from exc


def load_settings(path: Path | None, defaults: Mapping[str, Any]) -> dict[str, Any]:
    """Read ``path`` (flowterm.toml; None → all defaults) over ``defaults`` (section name → a
    params dataclass instance). Returns section name → params. Raises ``SettingsError``."""
    if path is None:
        return dict(defaults)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SettingsError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path}: not valid TOML: {exc}") from exc
    out = dict(defaults)
    for section, table in data.items():
        if section in READ_ELSEWHERE:
            continue
        if section not in defaults:
            known = ", ".join(sorted(defaults))
            raise SettingsError(f"{path}: unknown section [{section}] (known: {known})")
        if not isinstance(table, dict):
            raise SettingsError(f"{path}: [{section}] must be a table of key = value")
        try:
            out[section] = apply_section(defaults[section], table, section)
        except SettingsError as exc:
            raise SettingsError(f"{path}: {exc}") from exc
    return out


def describe(params: Any) -> dict[str, Any]:
    """A params dataclass as a plain dict (for provenance: "the parameters used")."""
    return {f.name: getattr(params, f.name) for f in dataclasses.fields(params)}
