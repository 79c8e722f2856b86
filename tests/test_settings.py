"""flowterm.toml settings: overrides reach the params, mistakes name the key."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pytest

from flowterm.core.settings import SettingsError, apply_section, describe, load_settings


@dataclass(frozen=True, slots=True)
class DemoParams:
    threshold: float = 0.55
    window: int = 3
    mode: Literal["bands", "strict"] = "bands"
    codes: frozenset[str] = frozenset({"W", "T"})
    fallback: bool = False
    cap: float | None = None


DEFAULTS = {"demo": DemoParams()}


def _toml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "flowterm.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_no_file_gives_the_defaults() -> None:
    assert load_settings(None, DEFAULTS)["demo"] == DemoParams()


def test_overrides_reach_the_params(tmp_path: Path) -> None:
    path = _toml(
        tmp_path,
        '[demo]\nthreshold = 0.6\nwindow = 5\nmode = "strict"\ncodes = ["Z"]\ncap = 2\n',
    )
    params = load_settings(path, DEFAULTS)["demo"]
    assert params == DemoParams(0.6, 5, "strict", frozenset({"Z"}), False, 2.0)
    assert isinstance(params.cap, float)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[demo]\nthreshhold = 0.6\n", "[demo] threshhold"),
        ("[demmo]\nthreshold = 0.6\n", "[demmo]"),
        ('[demo]\nwindow = "five"\n', "[demo] window"),
        ("[demo]\nwindow = 2.5\n", "[demo] window"),
        ('[demo]\nmode = "loose"\n', "[demo] mode"),
        ("[demo]\nfallback = 1\n", "[demo] fallback"),
        ("[demo\nthreshold = 0.6\n", "not valid TOML"),
    ],
)
def test_mistakes_are_rejected_naming_the_key(tmp_path: Path, text: str, needle: str) -> None:
    with pytest.raises(SettingsError) as info:
        load_settings(_toml(tmp_path, text), DEFAULTS)
    assert needle in str(info.value)
    assert "flowterm.toml" in str(info.value)


def test_apply_section_and_describe() -> None:
    params = apply_section(DemoParams(), {"window": 4}, "demo")
    assert describe(params)["window"] == 4
    assert describe(params)["threshold"] == 0.55
