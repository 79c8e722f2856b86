"""Import contract: flowterm.core is pure analysis, and only the `flowterm` package is installed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

CORE_MODULES = (
    "flowterm.core.schema",
    "flowterm.core.readers",
    "flowterm.core.catalog",
    "flowterm.core.checkup",
)


def _python(code: str, cwd: Path) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_core_does_not_import_terminal_libraries(tmp_path: Path) -> None:
    code = (
        "import json, sys\n"
        f"import {', '.join(CORE_MODULES)}\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    loaded = set(json.loads(_python(code, tmp_path)))
    assert set(CORE_MODULES) <= loaded  # the imports really happened
    for forbidden in ("textual", "rich", "flowterm.tui"):
        offenders = sorted(m for m in loaded if m == forbidden or m.startswith(forbidden + "."))
        assert offenders == [], f"importing flowterm.core pulled in {offenders}"


def test_no_top_level_core_or_tui_package(tmp_path: Path) -> None:
    code = (
        "import importlib.util, json\n"
        "import flowterm.core, flowterm.tui\n"
        "print(json.dumps([importlib.util.find_spec(n) is None for n in ('core', 'tui')]))\n"
    )
    assert json.loads(_python(code, tmp_path)) == [True, True]
