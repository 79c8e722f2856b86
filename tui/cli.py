"""The ``flowterm`` command line (Typer).

``flowterm [DATA_DIR]`` opens the data folder (the bundled sample when none is given);
``flowterm validate DATA_DIR`` checks a folder file by file; ``flowterm sample OUT_DIR`` writes
the seeded sample market. Heavy imports (Polars, the app) happen inside the commands so that
``--help`` and ``--version`` answer at once.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from flowterm import __version__

#: Options of the command group itself; anything else before a command belongs to ``open``.
_GROUP_OPTIONS = frozenset({"--help", "--version"})


class _OpenByDefault(TyperGroup):
    """Route ``flowterm``, ``flowterm DATA_DIR`` and ``flowterm --theme light DATA_DIR`` to the
    ``open`` command."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        # ctx is Typer's vendored click Context; it is only passed through.
        if not args or (args[0] not in self.commands and args[0] not in _GROUP_OPTIONS):
            args = ["open", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=_OpenByDefault,
    name="flowterm",
    help=(
        "Options flow, dark-pool prints, expected-move zones, dealer gamma and the macro regime, "
        "analysed from a data folder. Run `flowterm DATA_DIR` to open a folder (the bundled "
        "sample market when none is given)."
    ),
    no_args_is_help=False,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"flowterm {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """flowterm: the daily flow report, live in a terminal."""


DataDirArg = Annotated[
    Path | None,
    typer.Argument(
        help="Data folder (sessions YYYY-MM-DD/, bars/, macro.csv, ...). Default: bundled sample.",
        show_default=False,
    ),
]


def _data_dir(data_dir: Path | None) -> Path:
    if data_dir is not None:
        return data_dir
    from flowterm.core.paths import bundled_data_dir

    return bundled_data_dir()


def _config_path() -> Path:
    """The user config: ``$XDG_CONFIG_HOME/flowterm/flowterm.toml`` (``~/.config/...``)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "flowterm" / "flowterm.toml"


def load_app_config(path: Path, *, required: bool = False) -> tuple[str | None, dict[str, str]]:
    """``(theme, keymap)`` from the ``[app]`` and ``[keys]`` tables of the user config.

    ``[app] theme = "light"`` picks a theme; ``[keys]`` maps binding ids to keys
    (``app.quit = "ctrl+q"``, several keys comma-separated). A missing file is no config (unless
    ``required``); anything else that is wrong raises ``ValueError`` naming the file and key."""
    import tomllib

    from flowterm.themes import theme_name

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        if required:
            raise ValueError(f"{path}: no such file") from None
        return None, {}
    except OSError as exc:
        raise ValueError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: not valid TOML: {exc}") from exc
    unknown = sorted(set(data) - {"app", "keys"})
    if unknown:
        raise ValueError(f"{path}: unknown section [{unknown[0]}] (known: app, keys)")
    app_table, keys = data.get("app", {}), data.get("keys", {})
    if not isinstance(app_table, dict) or not isinstance(keys, dict):
        raise ValueError(f"{path}: [app] and [keys] must be tables of key = value")
    extra = sorted(set(app_table) - {"theme"})
    if extra:
        raise ValueError(f"{path}: unknown setting [app] {extra[0]} (known keys: theme)")
    theme = app_table.get("theme")
    if theme is not None:
        if not isinstance(theme, str):
            raise ValueError(f"{path}: [app] theme: expected text, got {theme!r}")
        theme = theme_name(theme)
    keymap: dict[str, str] = {}
    for binding_id, key in keys.items():
        if not isinstance(key, str) or not key.strip():
            raise ValueError(f'{path}: [keys] {binding_id}: expected a key like "ctrl+q"')
        keymap[binding_id] = key.strip()
    return theme, keymap


@app.command("open")
def open_folder(
    data_dir: DataDirArg = None,
    theme: Annotated[
        str | None,
        typer.Option(
            "--theme",
            help="Colour theme: dark (default), light, high-contrast or colorblind.",
            show_default=False,
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="User config with [app] theme and [keys] "
            "(default: ~/.config/flowterm/flowterm.toml).",
            show_default=False,
        ),
    ] = None,
    watch: Annotated[
        bool, typer.Option("--watch/--no-watch", help="Redraw when files in DATA_DIR change.")
    ] = True,
) -> None:
    """Open DATA_DIR in the live app (default: the bundled sample market)."""
    from flowterm.themes import theme_name

    folder = _data_dir(data_dir)
    if not folder.is_dir():
        what = "no such folder" if not folder.exists() else "not a folder"
        typer.echo(f"flowterm: {folder}: {what}", err=True)
        raise typer.Exit(2)
    try:
        theme_from_file, keymap = load_app_config(
            config or _config_path(), required=config is not None
        )
        chosen = theme_name(theme) if theme is not None else theme_from_file
    except ValueError as exc:
        typer.echo(f"flowterm: {exc}", err=True)
        raise typer.Exit(2) from None

    from flowterm.tui.app import FlowtermApp

    FlowtermApp(folder, theme=chosen, keymap=keymap, watch=watch).run()


@app.command("validate")
def validate(
    data_dir: DataDirArg = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the result as JSON for scripts.")
    ] = False,
    show_all: Annotated[
        bool, typer.Option("--all", help="List every file, not only those with problems.")
    ] = False,
) -> None:
    """Check every file of DATA_DIR: its kind, rows read, rows rejected and why.

    Exit status: 0 when every file is clean, 1 when any row or file was rejected, 2 when the
    folder cannot be used (missing, not a folder, or no flowterm data in it).
    """
    from flowterm.core.checkup import check_folder
    from flowterm.tui.validate_view import render_check

    result = check_folder(_data_dir(data_dir))
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
    else:
        render_check(result, show_all=show_all)
    raise typer.Exit(int(result.status))


@app.command("import")
def import_files(
    sources: Annotated[
        list[Path], typer.Argument(help="Files or folders to import (folders are walked).")
    ],
    into: Annotated[Path, typer.Option("--into", help="The data folder to write into.")],
    session: Annotated[
        str | None,
        typer.Option(
            "--session",
            help="Put every row into this session (YYYY-MM-DD) instead of each row's own date.",
        ),
    ] = None,
) -> None:
    """Convert recognised files (canonical or vendor formats) into canonical Parquet in the
    right session folders of DATA_DIR. Sources are only read; importing the same file twice
    rewrites the same output instead of duplicating rows.

    Exit status: 0 when everything was imported cleanly, 1 when rows were rejected or files
    could not be used.
    """
    from datetime import date

    from flowterm.tui.import_view import run_import

    day = None
    if session is not None:
        try:
            day = date.fromisoformat(session)
        except ValueError:
            typer.echo(f"--session {session!r} is not a date (YYYY-MM-DD)", err=True)
            raise typer.Exit(2) from None
    missing = [s for s in sources if not s.exists()]
    if missing:
        typer.echo(f"no such file or folder: {missing[0]}", err=True)
        raise typer.Exit(2)
    raise typer.Exit(run_import(sources, into, day))


@app.command("sample")
def sample(
    out_dir: Annotated[Path, typer.Argument(help="Folder to write the sample market into.")],
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same bytes.")] = (
        20260408
    ),
) -> None:
    """Write the seeded sample market (the one bundled with flowterm) into OUT_DIR."""
    from flowterm.core.samplegen import generate

    written = generate(out_dir, seed=seed)
    typer.echo(f"wrote {len(written)} files into {out_dir}")


#: Report formats and their default file suffix.
REPORT_FORMATS = {"md": ".md", "json": ".json", "csv": "", "html": ".html"}


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"flowterm: {message}", err=True)
    return typer.Exit(code)


def _session_option(value: str | None) -> Any:
    from datetime import date

    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _fail(f"--session {value!r} is not a date (YYYY-MM-DD)") from None


def _build(folder: Path, session: Any, *, cache: bool) -> Any:
    """The snapshot of ``folder`` (exit 2 with the reason when the folder or the session
    cannot be used)."""
    from flowterm.core.catalog import CatalogError
    from flowterm.core.settings import SettingsError
    from flowterm.core.snapshot import SnapshotError, build_snapshot

    if not folder.is_dir():
        raise _fail(f"{folder}: {'no such folder' if not folder.exists() else 'not a folder'}")
    try:
        return build_snapshot(folder, session, cache="default" if cache else None)
    except (CatalogError, SettingsError, SnapshotError) as exc:
        raise _fail(str(exc)) from None


@app.command("report")
def report(
    data_dir: DataDirArg = None,
    session: Annotated[
        str | None,
        typer.Option("--session", help="Session to report (YYYY-MM-DD). Default: the latest."),
    ] = None,
    format_: Annotated[
        str, typer.Option("--format", help="md (default), json, csv (one file per table) or html.")
    ] = "md",
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="File to write (a folder for csv). Default: print to stdout (not for csv).",
            show_default=False,
        ),
    ] = None,
    cache: Annotated[
        bool,
        typer.Option(
            "--cache/--no-cache",
            help="Keep past sessions' summaries in the user cache folder (FLOWTERM_CACHE_DIR).",
        ),
    ] = True,
) -> None:
    """Write the daily report of DATA_DIR: Markdown, JSON with every figure's provenance, CSV
    tables or a self-contained HTML page.

    Exit status: 0 when the report was written, 2 when the folder, the session or the options
    cannot be used.
    """
    fmt_name = format_.lower()
    if fmt_name not in REPORT_FORMATS:
        raise _fail(f"--format {format_!r}: choose md, json, csv or html")
    if fmt_name == "csv" and out is None:
        raise _fail("--format csv writes one file per table: give a folder with --out DIR")
    day = _session_option(session)
    snapshot = _build(_data_dir(data_dir), day, cache=cache)

    from flowterm.core import report as reports

    built = reports.build_report(snapshot)
    if fmt_name == "csv":
        assert out is not None
        try:
            out.mkdir(parents=True, exist_ok=True)
            tables = reports.csv_tables(snapshot, built)
            for name, frame in tables.items():
                frame.write_csv(out / f"{name}.csv")
        except OSError as exc:
            raise _fail(f"{out}: cannot write: {exc.strerror or exc}", 1) from None
        typer.echo(f"wrote {len(tables)} tables into {out}", err=True)
        return
    if fmt_name == "json":
        text = json.dumps(reports.to_json(snapshot, built), indent=2, ensure_ascii=False) + "\n"
    elif fmt_name == "html":
        text = reports.to_html(snapshot, built)
    else:
        text = reports.to_markdown(snapshot, built)
    if out is None:
        typer.echo(text, nl=False)
        return
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise _fail(f"{out}: cannot write: {exc.strerror or exc}", 1) from None
    typer.echo(f"wrote {out}", err=True)


def _size(value: str) -> tuple[int, int]:
    try:
        width, height = (int(x) for x in value.lower().split("x"))
    except ValueError:
        raise _fail(f"--size {value!r}: expected WIDTHxHEIGHT, e.g. 160x48") from None
    if width < 40 or height < 12:
        raise _fail(f"--size {value!r}: at least 40x12")
    return width, height


async def _save_screenshot(
    app: Any, tab_key: str, size: tuple[int, int], ticker: str | None, out: Path
) -> None:
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await pilot.wait_for_scheduled_animations()
        await pilot.press(tab_key)
        await pilot.pause()
        if ticker is not None:
            app.select_ticker(ticker)
            await pilot.pause()
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()
        app.save_screenshot(filename=out.name, path=str(out.parent))


@app.command("screenshot")
def screenshot(
    data_dir: DataDirArg = None,
    tab: Annotated[
        str,
        typer.Option(
            "--tab", help="regime, zones, flow, darkpool, tickers or convergence (default zones)."
        ),
    ] = "zones",
    out: Annotated[
        Path, typer.Option("--out", help="SVG file to write.", show_default=False)
    ] = Path("flowterm.svg"),
    session: Annotated[
        str | None, typer.Option("--session", help="Session to show (YYYY-MM-DD).")
    ] = None,
    size: Annotated[str, typer.Option("--size", help="Terminal size WIDTHxHEIGHT.")] = "160x48",
    ticker: Annotated[
        str | None, typer.Option("--ticker", help="Select this ticker first.", show_default=False)
    ] = None,
    theme: Annotated[
        str | None,
        typer.Option("--theme", help="dark (default), light, high-contrast or colorblind."),
    ] = None,
) -> None:
    """Save what a tab of the app shows as an SVG file (the app runs headless, no watcher).

    Exit status: 0 when the file was written, 2 when the folder, session, tab or options
    cannot be used.
    """
    import asyncio

    from flowterm.themes import theme_name
    from flowterm.tui.app import TAB_KEYS, FlowtermApp

    if tab not in TAB_KEYS:
        raise _fail(f"--tab {tab!r}: choose one of {', '.join(TAB_KEYS)}")
    dims = _size(size)
    try:
        chosen = theme_name(theme) if theme is not None else None
    except ValueError as exc:
        raise _fail(str(exc)) from None
    day = _session_option(session)
    snapshot = _build(_data_dir(data_dir), day, cache=True)
    app = FlowtermApp(snapshot=snapshot, watch=False, theme=chosen)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        asyncio.run(_save_screenshot(app, TAB_KEYS[tab], dims, ticker, out))
    except OSError as exc:
        raise _fail(f"{out}: cannot write: {exc.strerror or exc}", 1) from None
    typer.echo(f"wrote {out}", err=True)


def main() -> None:
    """Console-script entry point."""
    app()
