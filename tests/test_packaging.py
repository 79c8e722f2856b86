"""The installed package holds every module of the repository (a wheel built from
pyproject.toml's explicit package list would otherwise silently drop a new subpackage)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOP = {"core": "flowterm.core", "tui": "flowterm.tui", "themes": "flowterm.themes"}


def test_every_subpackage_is_listed_for_the_wheel() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    package_dir = config["tool"]["setuptools"]["package-dir"]
    found = set()
    for folder, name in TOP.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / folder)
            found.add(".".join([name, *rel.parts]))
    assert found <= listed, f"missing from [tool.setuptools] packages: {sorted(found - listed)}"
    for package in listed:
        assert (ROOT / package_dir[package]).is_dir(), package
