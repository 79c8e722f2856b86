"""The ``flowterm`` command line (Typer).

``flowterm [DATA_DIR]`` opens the data folder (the bundled sample when none is given);
``flowterm validate DATA_DIR`` checks a folder file by file; ``flowterm sample OUT_DIR`` writes
the seeded sample market. Heavy imports (Polars, the app) happen inside the commands so that
``--help`` and ``--version`` answer at once.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from flowterm import __version__


class _OpenByDefault(TyperGroup):
    """Route ``flowterm`` and ``flowterm DATA_DIR`` to the ``open`` command."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        # ctx is Typer's vendored click Context; it is only passed through.
        if not args:
            args = ["open"]
        elif not args[0].startswith("-") and args[0] not in self.commands:
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


@app.command("open")
def open_folder(data_dir: DataDirArg = None) -> None:
    """Open DATA_DIR (default: the bundled sample market)."""
    from flowterm.tui.summary import print_summary

    raise typer.Exit(print_summary(_data_dir(data_dir)))


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


def main() -> None:
    """Console-script entry point."""
    app()
