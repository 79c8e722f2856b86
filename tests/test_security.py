"""Security: no file content is ever run as code, settings are TOML only, links out of the data
folder are not followed unless the settings say so (tests/test_bad_input.py), text from files is
neutralised before it reaches a terminal or a spreadsheet, and there is no network listener.

The hostile-text rendering of every tab, the jump list, the log, drill-down and explain is
``tests/test_app.py::test_hostile_strings_render_literally``; the header's is
``test_header_says_what_is_being_recomputed``; ``flowterm validate``'s is below.
"""

from __future__ import annotations

import ast
from pathlib import Path

import polars as pl
import pytest
from minifolder import DAY, HOSTILE, OPTIONS_HEADER, build, option_row, write_lines
from typer.testing import CliRunner

from flowterm.core.report import csv_tables, csv_text
from flowterm.core.settings import SettingsError, load_settings
from flowterm.core.snapshot import DEFAULTS, build_snapshot
from flowterm.tui.cli import app as cli

REPO = Path(__file__).resolve().parents[1]
SOURCES = sorted(
    p for pkg in ("core", "tui", "flowterm", "themes") for p in (REPO / pkg).rglob("*.py")
)

#: Calls that run or unpickle data: never on file content, so nowhere in flowterm.
_FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__", "breakpoint"}
_FORBIDDEN_MODULES = {"pickle", "marshal", "shelve", "dill", "cloudpickle", "yaml", "jsonpickle"}
_FORBIDDEN_ATTRS = {("os", "system"), ("os", "popen"), ("subprocess", "call")}


def _violations(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        where = f"{path.relative_to(REPO)}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in _FORBIDDEN_CALLS:
                found.append(f"{where} calls {func.id}()")
            if (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and (
                    func.value.id in _FORBIDDEN_MODULES
                    or (func.value.id, func.attr) in _FORBIDDEN_ATTRS
                )
            ):
                found.append(f"{where} calls {func.value.id}.{func.attr}()")
            if any(k.arg == "shell" for k in node.keywords):
                found.append(f"{where} runs a shell")
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            names.append(getattr(node, "module", None) or "")
            for name in names:
                if name.split(".")[0] in _FORBIDDEN_MODULES | {"subprocess"}:
                    found.append(f"{where} imports {name}")
    return found


def test_sources_are_found() -> None:
    assert len(SOURCES) > 60
    assert REPO / "core" / "vendors" / "unusual_whales.py" in SOURCES


def test_no_module_evaluates_unpickles_or_shells_out() -> None:
    found = [v for path in SOURCES for v in _violations(path)]
    assert not found, "\n".join(found)


def test_the_capture_reader_parses_records_with_literal_eval_only() -> None:
    source = (REPO / "core" / "vendors" / "unusual_whales.py").read_text()
    assert "ast.literal_eval(" in source
    tree = ast.parse(source)
    evals = [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Attribute) and n.attr in {"literal_eval", "eval"}
    ]
    assert {n.attr for n in evals} == {"literal_eval"}


def test_a_capture_record_holding_code_is_rejected_not_run(tmp_path: Path) -> None:
    from flowterm.core.readers import read_path

    marker = tmp_path / "pwned"
    local = "2026-04-08 10:00:00.000000"
    good = (
        "{'id': 'a', 'underlying_symbol': 'SPY', 'executed_at': 1775656800000, 'size': 1, "
        "'price': '1.0', 'option_symbol': 'SPY260417C00520000'}"
    )
    path = tmp_path / "capture.txt"
    path.write_text(
        f"{local}|option_trades:SPY|{good}\n"
        f"{local}|option_trades:SPY|{{'x': __import__('os').system('touch {marker}')}}\n"
        f"{local}|option_trades:SPY|{{'x': (lambda: open('{marker}', 'w'))()}}\n"
    )
    result = read_path(path)
    assert not isinstance(result, str)
    assert result.frame.height == 1
    assert result.rejects["line"].to_list() == [2, 3]
    assert not marker.exists()


def test_settings_are_toml_and_only_toml(tmp_path: Path) -> None:
    for module in (
        "core/settings.py",
        "core/vendors/columnmap.py",
        "core/catalog.py",
        "tui/cli.py",
    ):
        text = (REPO / module).read_text()
        assert "tomllib" in text
        assert "json.load" not in text and "configparser" not in text
    path = tmp_path / "flowterm.toml"
    path.write_text("import os\nos.system('touch x')\n")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_settings(path, DEFAULTS)
    path.write_text("[flow]\nmulti_leg = \"__import__('os').system('x')\"\n")
    with pytest.raises(SettingsError, match="multi_leg"):
        load_settings(path, DEFAULTS)  # a string stays a string, and is checked


def test_no_browser_mode_and_no_listener() -> None:
    """flowterm has no browser mode (textual-serve) and opens no socket; a browser mode added
    later must bind to localhost only."""
    text = {p: p.read_text() for p in SOURCES}
    serving = [p for p, t in text.items() if "textual_serve" in t or "socket" in t]
    for path in serving:
        source = text[path]
        assert "127.0.0.1" in source or "localhost" in source, path
        assert "0.0.0.0" not in source, path
    from flowterm.tui.cli import app as typer_app

    commands = {c.name for c in typer_app.registered_commands}
    assert "serve" not in commands or serving


@pytest.mark.parametrize("text", HOSTILE)
def test_validate_prints_hostile_text_literally_and_never_an_escape(
    text: str, tmp_path: Path
) -> None:
    root = tmp_path / "data"
    write_lines(
        root / DAY / "options.csv",
        [OPTIONS_HEADER, option_row(), option_row(1, text)],
    )
    write_lines(root / DAY / f"options{text.replace('/', '_')}.csv", ["junk only"])
    result = CliRunner().invoke(cli, ["validate", str(root)], env={"COLUMNS": "250"})
    assert result.exit_code == 1, result.output
    assert "\x1b" not in result.output
    shown = text.replace("\x1b", "␛")
    assert f"'{shown.upper()}' is not a ticker" in result.output
    assert f"options{shown.replace('/', '_')}.csv" in result.output


def test_spreadsheet_formulas_are_never_written_to_csv(tmp_path: Path) -> None:
    assert csv_text("=cmd|' /C calc'!A0") == "'=cmd|' /C calc'!A0"
    assert csv_text("@SUM(A1)") == "'@SUM(A1)"
    assert csv_text("+1+cmd") == "'+1+cmd"
    assert csv_text("-1.5") == "-1.5" and csv_text("SPY") == "SPY"
    root = build(tmp_path / "data")
    # an analyst note and a venue are free text: kept, and neutralised on the way out
    write_lines(
        root / "inputs.csv",
        ["date,name,direction,note", "2026-04-08,=HYPERLINK(\"http://x\"),+1,=cmd|' /C calc'!A0"],
    )
    snap = build_snapshot(root, cache=None)
    cells = [
        v
        for frame in csv_tables(snap).values()
        for column in frame.select(pl.col(pl.String)).columns
        for v in frame[column].drop_nulls().to_list()
    ]
    assert any("HYPERLINK" in c for c in cells)
    assert not [c for c in cells if c.startswith(("=", "@", "+"))]
