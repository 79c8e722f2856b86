"""The ``flowterm`` command line: --version, --help and ``validate`` (human and --json output)."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from flowterm.tui.cli import app

REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"
OPTIONS_HEADER = "ts,underlying,expiry,strike,right,price,size,bid,ask"
GOOD_ROW = "2026-04-08 09:30:00,SPY,2026-04-10,520,C,1.25,10,1.20,1.30"
# Wide enough that Rich does not wrap a reason or a path across lines.
ENV = {"COLUMNS": "250", "NO_COLOR": "1", "TERM": "dumb"}


def _write(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env=ENV)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def _clean_folder(root: Path) -> Path:
    _write(root / "2026-04-08" / "options.csv", [OPTIONS_HEADER, GOOD_ROW])
    _write(root / "macro.csv", ["date,series,value", "2026-04-07,DXY,104.2"])
    return root


def _broken_folder(root: Path) -> Path:
    _write(
        root / "2026-04-08" / "options.csv",
        [
            OPTIONS_HEADER,
            GOOD_ROW,
            "2026-04-08 09:31:00,SPY,2026-04-10,520,C,abc,10,1.20,1.30",  # line 3
        ],
    )
    _write(
        root / "2026-04-08" / "quotes.csv",
        [
            "ts,key,bid,ask",
            "2026-04-08 09:30:00,SPY260410C00520000,1.20,1.30",
            "2026-04-08 09:30:00,SPY260410C00520000,1.20,1.30",
            "2026-04-08 09:30:01,SPY260410C00520000,1.35,1.30",  # line 4: crossed
        ],
    )
    _write(root / "bars" / "VIX.csv", ["date,o,h,l,c,v", "2026-07-01,0,0,0,16.59,0"])  # line 2
    return root


def test_version_flag() -> None:
    code, out = _run("--version")
    assert code == 0
    assert out.strip() == f"flowterm {version('flowterm')}"


def test_python_dash_m_entry_point(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "flowterm", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"flowterm {version('flowterm')}"


def test_help_lists_validate() -> None:
    code, out = _run("--help")
    assert code == 0
    assert "validate" in out
    code, out = _run("validate", "--help")
    assert code == 0
    assert "--json" in out


def test_validate_clean_folder_exits_0(tmp_path: Path) -> None:
    code, out = _run("validate", str(_clean_folder(tmp_path)))
    assert code == 0, out
    assert "2026-04-08/options.csv" in out
    assert "macro.csv" in out


def test_validate_broken_folder_exits_1_and_names_each_problem(tmp_path: Path) -> None:
    code, out = _run("validate", str(_broken_folder(tmp_path)))
    assert code == 1, out
    assert "2026-04-08/options.csv" in out
    assert "unparseable price 'abc'" in out
    assert "line 3" in out
    assert "2026-04-08/quotes.csv" in out
    assert "crossed" in out
    assert "line 4" in out
    assert "bars/VIX.csv" in out
    assert "≤ 0" in out
    assert "line 2" in out


def test_validate_json(tmp_path: Path) -> None:
    root = _broken_folder(tmp_path)
    code, out = _run("validate", "--json", str(root))
    assert code == 1
    doc = json.loads(out)
    assert {"data_dir", "status", "exit_code", "files", "ignored"} <= set(doc)
    assert doc["exit_code"] == 1
    assert Path(doc["data_dir"]) == root
    assert isinstance(doc["status"], str)
    assert doc["ignored"] == []
    files = {f["path"]: f for f in doc["files"]}
    assert set(files) == {"2026-04-08/options.csv", "2026-04-08/quotes.csv", "bars/VIX.csv"}
    for f in files.values():
        assert {"path", "kind", "rows_read", "rows_rejected", "reasons"} <= set(f)
    options = files["2026-04-08/options.csv"]
    assert options["kind"] == "options"
    assert (options["rows_read"], options["rows_rejected"]) == (2, 1)
    assert len(options["reasons"]) == 1
    assert "unparseable price 'abc'" in json.dumps(options["reasons"])
    quotes = files["2026-04-08/quotes.csv"]
    assert (quotes["rows_read"], quotes["rows_rejected"]) == (3, 1)
    bars = files["bars/VIX.csv"]
    assert (bars["rows_read"], bars["rows_rejected"]) == (1, 1)


def test_validate_json_clean(tmp_path: Path) -> None:
    code, out = _run("validate", "--json", str(_clean_folder(tmp_path)))
    assert code == 0
    doc = json.loads(out)
    assert doc["exit_code"] == 0
    assert all(f["rows_rejected"] == 0 for f in doc["files"])
    assert sum(f["rows_read"] for f in doc["files"]) == 2


def test_validate_lists_ignored_files_in_json(tmp_path: Path) -> None:
    root = _clean_folder(tmp_path)
    (root / "README.md").write_text("# notes\n")
    code, out = _run("validate", "--json", str(root))
    assert code == 0
    ignored = json.loads(out)["ignored"]
    assert [i["path"] for i in ignored] == ["README.md"]


def test_validate_missing_folder_exits_2(tmp_path: Path) -> None:
    code, out = _run("validate", str(tmp_path / "no-such-folder"))
    assert code == 2
    assert "no-such-folder" in out
    code, out = _run("validate", "--json", str(tmp_path / "no-such-folder"))
    assert code == 2
    assert json.loads(out)["exit_code"] == 2


def test_validate_folder_without_data_exits_2(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("hello\n")
    code, _ = _run("validate", str(tmp_path))
    assert code == 2


def test_validate_unreadable_file_exits_1(tmp_path: Path) -> None:
    root = _clean_folder(tmp_path)
    (root / "2026-04-08" / "options.parquet").write_bytes(b"not parquet at all" * 20)
    code, out = _run("validate", str(root))
    assert code == 1
    assert "2026-04-08/options.parquet" in out


MARKUP = ["[bold red]x", "[/", "[link=file:///etc/passwd]x[/link]"]


def test_untrusted_text_is_printed_literally(tmp_path: Path) -> None:
    root = tmp_path
    _write(
        root / "2026-04-08" / "options.csv",
        [
            OPTIONS_HEADER,
            *(
                f"2026-04-08 09:3{i}:00,SPY,2026-04-10,520,C,{m},10,1.20,1.30"
                for i, m in enumerate(MARKUP)
            ),
        ],
    )
    # Markup in file names: a recognised data file and a file that is not used.
    _write(root / "2026-04-08" / "options[bold red]x.csv", [OPTIONS_HEADER, GOOD_ROW])
    _write(root / "[bold red]x notes.md", ["hello"])
    code, out = _run("validate", str(root))
    assert code == 1, out
    for m in MARKUP:
        assert f"unparseable price '{m}'" in out
    assert "2026-04-08/options[bold red]x.csv" in out
    assert "[bold red]x notes.md" in out


def test_untrusted_text_in_json_is_unchanged(tmp_path: Path) -> None:
    _write(
        tmp_path / "2026-04-08" / "options.csv",
        [OPTIONS_HEADER, f"2026-04-08 09:30:00,SPY,2026-04-10,520,C,{MARKUP[2]},10,1.20,1.30"],
    )
    code, out = _run("validate", "--json", str(tmp_path))
    assert code == 1
    (f,) = json.loads(out)["files"]
    assert [r["reason"] for r in f["reasons"]] == [f"unparseable price '{MARKUP[2]}'"]


def _vix_partial_line(path: Path) -> int:
    """The physical line of the real VIX file's partial row (o=h=l=0), found by reading it."""
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        fields = line.split(",")
        if number > 1 and all(float(v) == 0.0 for v in fields[1:4]):
            return number
    raise AssertionError("no partial row in VIX.csv")


def test_validate_real_daily_bars() -> None:
    folder = REALDATA / "daily_bars"
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent (real data samples are not part of the repository)")
    names = sorted(p.name for p in folder.glob("*.csv"))
    assert len(names) == 7
    expected_rows = sum(len(p.read_text().splitlines()) - 1 for p in folder.glob("*.csv"))

    code, out = _run("validate", "--json", str(folder))
    assert code == 1
    doc = json.loads(out)
    files = {f["path"]: f for f in doc["files"]}
    assert sorted(files) == names
    assert all(f["kind"] == "bars" and f["error"] is None for f in files.values())
    total = sum(f["rows_read"] for f in files.values())
    assert total >= 40_000
    assert total == expected_rows
    rejected = {p: f["rows_rejected"] for p, f in files.items() if f["rows_rejected"]}
    assert rejected == {"VIX.csv": 1}
    (row,) = files["VIX.csv"]["rejected_rows"]
    assert row["line"] == _vix_partial_line(folder / "VIX.csv")
    assert row["raw"].startswith("2026-07-01")

    code, out = _run("validate", str(folder))
    assert code == 1
    assert "VIX.csv" in out


# ------------------------------------------------------------------------------------------
# flowterm [DATA_DIR]: the open command starts the app (its options and config, not the app)
# ------------------------------------------------------------------------------------------


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[Any]:
    """Record the apps ``flowterm open`` would run instead of running them."""
    from flowterm.tui.app import FlowtermApp

    apps: list[Any] = []
    monkeypatch.setattr(FlowtermApp, "run", lambda self, *a, **k: apps.append(self))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return apps


def test_open_runs_the_app_on_the_folder(opened: list[Any], tmp_path: Path) -> None:
    root = _clean_folder(tmp_path / "data")
    code, out = _run(str(root))
    assert code == 0, out
    (app,) = opened
    assert app.data_dir == root
    assert app.theme == "flowterm-dark"
    assert app.watching
    assert app.snapshot is None  # the first snapshot is built in a worker after the first frame


def test_open_without_a_folder_opens_the_bundled_sample(opened: list[Any]) -> None:
    from flowterm.core.paths import bundled_data_dir

    code, out = _run("open", "--no-watch", "--theme", "colorblind")
    assert code == 0, out
    (app,) = opened
    assert app.data_dir == bundled_data_dir()
    assert not app.watching
    assert app.theme == "flowterm-colorblind"


def test_open_missing_folder_exits_2(opened: list[Any], tmp_path: Path) -> None:
    code, out = _run(str(tmp_path / "no-such-folder"))
    assert code == 2
    assert "no-such-folder" in out and "no such folder" in out
    assert opened == []


def test_open_unknown_theme_exits_2(opened: list[Any], tmp_path: Path) -> None:
    code, out = _run(str(_clean_folder(tmp_path / "data")), "--theme", "[bold red]x")
    assert code == 2
    assert "unknown theme '[bold red]x'" in out
    assert opened == []


def test_open_reads_theme_and_keys_from_the_user_config(opened: list[Any], tmp_path: Path) -> None:
    config = tmp_path / "config" / "flowterm" / "flowterm.toml"
    config.parent.mkdir(parents=True)
    config.write_text(
        '[app]\ntheme = "light"\n\n[keys]\n"app.quit" = "ctrl+q"\n"tab.zones" = "z"\n'
    )
    root = _clean_folder(tmp_path / "data")
    code, out = _run(str(root))
    assert code == 0, out
    (app,) = opened
    assert app.theme == "flowterm-light"
    assert app.user_keymap == {"app.quit": "ctrl+q", "tab.zones": "z"}
    code, out = _run(str(root), "--theme", "high-contrast")  # the option wins over the file
    assert code == 0, out
    assert opened[-1].theme == "flowterm-high-contrast"


def test_open_rejects_a_broken_config(opened: list[Any], tmp_path: Path) -> None:
    root = _clean_folder(tmp_path / "data")
    config = tmp_path / "mine.toml"
    for text, message in (
        ("[flow]\nx = 1\n", "unknown section [flow]"),
        ("[app]\ntheme = 3\n", "[app] theme: expected text"),
        ("[app]\ncolour = 'x'\n", "unknown setting [app] colour"),
        ('[keys]\n"app.quit" = 1\n', "[keys] app.quit"),
        ("[keys\n", "not valid TOML"),
    ):
        config.write_text(text)
        code, out = _run(str(root), "--config", str(config))
        assert code == 2, text
        assert message in out, out
    code, out = _run(str(root), "--config", str(tmp_path / "absent.toml"))
    assert code == 2 and "absent.toml: no such file" in out
    assert opened == []


def test_open_help_lists_the_app_options() -> None:
    code, out = _run("open", "--help")
    assert code == 0
    for option in ("--theme", "--config", "--no-watch"):
        assert option in out
