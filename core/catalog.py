"""Scan a data folder into sessions and kinds (FORMATS.md A.1).

Layout: session folders named by ET date (``2026-04-08/``, ``20260408/`` also accepted) hold the
tape kinds (option and off-exchange prints, quotes, chains, short volume, intraday bars); ``bars/``
and the top folder hold daily bars and the small tables (macro, events, sectors, zones, inputs).
Every file is recognised by its content; several part files of one kind in one session are that
session's data together. Files that are not used are listed with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from .schema import SESSION_KINDS, Kind, spec
from .sniff import Detected, NotData, Unreadable, sniff_file
from .vendors import columnmap
from .vendors.columnmap import ColumnMap

SETTINGS_FILE = "flowterm.toml"
BARS_DIR = "bars"
_SESSION_RE = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})$")
_TEMP_RE = re.compile(r"(^~\$|^\.~|\.(tmp|part|crdownload|partial|swp)$|~$)", re.IGNORECASE)


class CatalogError(Exception):
    """The data folder cannot be used at all (missing, not a folder, unreadable, or empty)."""

    def __init__(self, message: str, skipped: tuple[Skipped, ...] = ()) -> None:
        super().__init__(message)
        #: The files looked at and not used, so the user can see why nothing was found.
        self.skipped = skipped


@dataclass(frozen=True, slots=True)
class DataFile:
    """One recognised data file."""

    path: Path
    #: Path relative to the data folder, with ``/`` separators, for display.
    rel: str
    detected: Detected
    #: The session folder's date, or None for files outside session folders.
    session: date | None
    #: A symbol taken from the file name, for a per-symbol bars file without a symbol column.
    symbol_hint: str | None
    size: int
    mtime_ns: int

    @property
    def kind(self) -> Kind:
        return self.detected.kind


@dataclass(frozen=True, slots=True)
class Skipped:
    """A file (or folder) the catalog does not use, and why."""

    path: Path
    rel: str
    reason: str
    #: True when the file looked like data but could not be read (a problem, not a choice).
    unreadable: bool = False


@dataclass(frozen=True, slots=True)
class Catalog:
    """What a data folder holds."""

    root: Path
    files: tuple[DataFile, ...]
    skipped: tuple[Skipped, ...]
    settings: Path | None = None
    sessions: tuple[date, ...] = field(default=())

    @property
    def ignored(self) -> tuple[Skipped, ...]:
        return tuple(s for s in self.skipped if not s.unreadable)

    @property
    def unreadable(self) -> tuple[Skipped, ...]:
        return tuple(s for s in self.skipped if s.unreadable)

    def of_kind(self, kind: Kind, session: date | None = None) -> tuple[DataFile, ...]:
        """The files of ``kind`` (in one session, if given), in path order."""
        return tuple(
            f for f in self.files if f.kind is kind and (session is None or f.session == session)
        )

    def session_kinds(self, session: date) -> dict[Kind, tuple[DataFile, ...]]:
        out: dict[Kind, list[DataFile]] = {}
        for f in self.files:
            if f.session == session:
                out.setdefault(f.kind, []).append(f)
        return {k: tuple(v) for k, v in out.items()}


def data_file(path: Path, rel: str, detected: Detected, session: date | None) -> DataFile:
    """A ``DataFile`` for a recognised file; a bars file without a symbol column (one file per
    symbol, ``bars/SPY.csv``) takes its symbol from the file name."""
    stat = path.stat()
    per_symbol = (
        detected.kind is Kind.DAILY_BARS and "symbol" not in dict(detected.mapping).values()
    )
    hint = path.stem.upper() if per_symbol else None
    return DataFile(path, rel, detected, session, hint, stat.st_size, stat.st_mtime_ns)


def session_date(name: str) -> date | None:
    """The date a session folder is named after, or None."""
    m = _SESSION_RE.match(name)
    if m is None:
        return None
    try:
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


def _rel(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


def _place(kind: Kind, session: date | None, in_bars: bool) -> str | None:
    """Why a recognised file is in the wrong place, or None when it is where it belongs."""
    title = spec(kind).title
    if kind in SESSION_KINDS and session is None:
        return f"{title}: belongs in a session folder (YYYY-MM-DD/)"
    if kind not in SESSION_KINDS and session is not None:
        return f"{title}: belongs in the top folder" + (
            " or bars/" if kind is Kind.DAILY_BARS else ""
        )
    if in_bars and kind is not Kind.DAILY_BARS:
        return f"bars/ holds daily bars only; this file holds {title}"
    return None


class _Scanner:
    def __init__(self, root: Path, maps: Sequence[ColumnMap] = ()) -> None:
        self.root = root
        self.maps = maps
        self.files: list[DataFile] = []
        self.skipped: list[Skipped] = []
        self.settings: Path | None = None

    def skip(self, path: Path, reason: str, *, unreadable: bool = False) -> None:
        self.skipped.append(Skipped(path, _rel(self.root, path), reason, unreadable))

    def file(self, path: Path, session: date | None, in_bars: bool) -> None:
        if _TEMP_RE.search(path.name):
            self.skip(path, "temporary or partial file")
            return
        sniffed = sniff_file(path, self.maps)
        if isinstance(sniffed, NotData):
            self.skip(path, sniffed.reason)
            return
        if isinstance(sniffed, Unreadable):
            self.skip(path, sniffed.reason, unreadable=True)
            return
        misplaced = _place(sniffed.kind, session, in_bars)
        if misplaced is not None:
            self.skip(path, misplaced)
            return
        self.files.append(data_file(path, _rel(self.root, path), sniffed, session))

    def folder(self, folder: Path, session: date | None, in_bars: bool, top: bool) -> None:
        try:
            entries = sorted(folder.iterdir(), key=lambda p: p.name)
        except OSError as exc:
            self.skip(folder, f"cannot list folder: {exc.strerror or exc}", unreadable=True)
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue  # hidden files and flowterm's own cache
            if entry.is_dir():
                self.subfolder(entry, top)
            elif top and entry.name == SETTINGS_FILE:
                self.settings = entry
            elif entry.is_file():
                self.file(entry, session, in_bars)

    def subfolder(self, entry: Path, top: bool) -> None:
        if not top:
            self.skip(entry, "nested folder (sessions and bars/ sit directly in the data folder)")
        elif entry.name == BARS_DIR:
            self.folder(entry, None, in_bars=True, top=False)
        elif entry.name == "__pycache__":
            return
        else:
            day = session_date(entry.name)
            if day is None:
                self.skip(entry, "folder name is not a session date (YYYY-MM-DD)")
            else:
                self.folder(entry, day, in_bars=False, top=False)


def scan_catalog(root: Path) -> Catalog:
    """Scan ``root`` into a catalog. Raises ``CatalogError`` when the folder is unusable."""
    root = Path(root)
    if not root.exists():
        raise CatalogError(f"{root}: no such folder")
    if not root.is_dir():
        raise CatalogError(f"{root}: not a folder")
    try:
        next(root.iterdir(), None)
    except OSError as exc:
        raise CatalogError(f"{root}: cannot list folder: {exc.strerror or exc}") from exc
    try:
        maps = columnmap.load(root / SETTINGS_FILE if (root / SETTINGS_FILE).is_file() else None)
    except columnmap.ColumnMapError as exc:
        raise CatalogError(f"{root / SETTINGS_FILE}: {exc}") from exc
    scanner = _Scanner(root, maps)
    scanner.folder(root, None, in_bars=False, top=True)
    if not scanner.files and not scanner.skipped and scanner.settings is None:
        raise CatalogError(f"{root}: the folder is empty")
    if not scanner.files and not any(s.unreadable for s in scanner.skipped):
        raise CatalogError(
            f"{root}: no flowterm data found ({len(scanner.skipped)} files ignored)",
            tuple(scanner.skipped),
        )
    sessions = tuple(sorted({f.session for f in scanner.files if f.session is not None}))
    return Catalog(root, tuple(scanner.files), tuple(scanner.skipped), scanner.settings, sessions)
