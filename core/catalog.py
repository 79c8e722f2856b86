"""Scan a data folder into sessions and kinds (FORMATS.md A.1).

Layout: session folders named by ET date (``2026-04-08/``, ``20260408/`` also accepted) hold the
tape kinds (option and off-exchange prints, quotes, chains, short volume, intraday bars); ``bars/``
and the top folder hold daily bars and the small tables (macro, events, sectors, zones, inputs).
Every file is recognised by its content; several part files of one kind in one session are that
session's data together. Files that are not used are listed with the reason.
"""

from __future__ import annotations

import errno
import os
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from .schema import SESSION_KINDS, Kind, spec
from .sniff import (
    EMPTY_FILE,
    PARQUET_SUFFIXES,
    TEXT_SUFFIXES,
    Detected,
    NotData,
    Unreadable,
    hinted_kind,
    sniff_file,
)
from .vendors import columnmap
from .vendors import suffixes as vendor_suffixes
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
    #: Links leading out of the data folder are followed (``[data] follow_links = true``).
    follow_links: bool = False

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


def data_suffix(name: str) -> bool:
    """True for a name ending like a file flowterm reads (``.csv``, ``.parquet``, ``.dbn.zst``…)."""
    suffix = Path(name).suffix.lower()
    return suffix in TEXT_SUFFIXES or suffix in PARQUET_SUFFIXES or suffix in vendor_suffixes()


def named_like_data(rel: str) -> bool:
    """True when a path (relative to the data folder) is named like one of flowterm's files
    (``2026-04-08/options*.csv``, ``bars/*.csv``, ``macro.csv``, …), so that not being able to
    use it is a problem to report rather than a file to leave alone."""
    name = rel.rsplit("/", 1)[-1]
    if not data_suffix(name):
        return False
    return rel.startswith(BARS_DIR + "/") or hinted_kind(name) is not None


def _data_options(path: Path | None) -> bool:
    """``[data] follow_links`` from flowterm.toml (False when absent)."""
    if path is None:
        return False
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False  # the settings loader reports what is wrong with the file
    table = data.get("data", {})
    if not isinstance(table, dict):
        raise CatalogError(f"{path}: [data] must be a table of key = value")
    unknown = sorted(set(table) - {"follow_links"})
    if unknown:
        raise CatalogError(
            f"{path}: unknown setting [data] {unknown[0]} (known keys: follow_links)"
        )
    value = table.get("follow_links", False)
    if not isinstance(value, bool):
        raise CatalogError(f"{path}: [data] follow_links: expected true or false, got {value!r}")
    return value


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


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
    def __init__(
        self, root: Path, maps: Sequence[ColumnMap] = (), *, follow_links: bool = False
    ) -> None:
        self.root = root
        self.maps = maps
        self.follow_links = follow_links
        try:
            self.real_root = root.resolve(strict=True)
        except (OSError, RuntimeError):
            self.real_root = root.absolute()
        self.files: list[DataFile] = []
        self.skipped: list[Skipped] = []
        self.settings: Path | None = None

    def skip(self, path: Path, reason: str, *, unreadable: bool = False) -> None:
        self.skipped.append(Skipped(path, _rel(self.root, path), reason, unreadable))

    def file(self, path: Path, session: date | None, in_bars: bool) -> None:
        if _TEMP_RE.search(path.name):
            self.skip(path, "temporary or partial file")
            return
        try:
            sniffed = sniff_file(path, self.maps)
        except Exception as exc:  # a sniffer must never stop the scan
            sniffed = Unreadable(f"cannot read: {exc}")
        if isinstance(sniffed, NotData):
            # a file named like flowterm data that is not usable is a problem to report (an
            # empty file is not: a feed creates its file before it writes)
            problem = (
                not sniffed.recognised
                and sniffed.reason != EMPTY_FILE
                and named_like_data(_rel(self.root, path))
            )
            self.skip(path, sniffed.reason, unreadable=problem)
            return
        if isinstance(sniffed, Unreadable):
            self.skip(path, sniffed.reason, unreadable=True)
            return
        misplaced = _place(sniffed.kind, session, in_bars)
        if misplaced is not None:
            self.skip(path, misplaced)
            return
        try:
            found = data_file(path, _rel(self.root, path), sniffed, session)
        except OSError as exc:  # deleted or replaced between the sniff and now
            self.skip(path, f"cannot read: {exc.strerror or exc}", unreadable=True)
            return
        self.files.append(found)

    def link(self, entry: Path) -> bool:
        """True when the symbolic link ``entry`` may be followed; otherwise it is listed with
        the reason (a loop, a missing target, or a target outside the data folder)."""
        try:
            target = entry.resolve(strict=True)
        except RuntimeError:  # Python < 3.13 reports a loop this way
            self.skip(entry, "symbolic link loop", unreadable=True)
            return False
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                self.skip(entry, "symbolic link loop", unreadable=True)
            else:
                where = os.readlink(entry) if entry.is_symlink() else "?"
                self.skip(
                    entry, f"broken link (its target {where} does not exist)", unreadable=True
                )
            return False
        if not self.follow_links and not _inside(target, self.real_root):
            self.skip(
                entry,
                f"link to {target}, outside the data folder: not followed "
                "(set [data] follow_links = true in flowterm.toml to read it)",
                unreadable=True,
            )
            return False
        return True

    def folder(self, folder: Path, session: date | None, in_bars: bool, top: bool) -> None:
        try:
            entries = sorted(folder.iterdir(), key=lambda p: p.name)
        except OSError as exc:
            self.skip(folder, f"cannot list folder: {exc.strerror or exc}", unreadable=True)
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue  # hidden files and flowterm's own cache
            if entry.is_symlink() and not self.link(entry):
                continue
            if entry.is_dir() and data_suffix(entry.name):
                self.skip(entry, "a folder named like a data file, not a file", unreadable=True)
            elif entry.is_dir():
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


def scan_catalog(root: Path, *, follow_links: bool | None = None) -> Catalog:
    """Scan ``root`` into a catalog. Raises ``CatalogError`` when the folder is unusable.

    Symbolic links that lead out of ``root`` are not followed unless ``follow_links`` (default:
    ``[data] follow_links`` in flowterm.toml) says so."""
    root = Path(root)
    if not root.exists():
        raise CatalogError(f"{root}: no such folder")
    if not root.is_dir():
        raise CatalogError(f"{root}: not a folder")
    try:
        next(root.iterdir(), None)
    except OSError as exc:
        raise CatalogError(f"{root}: cannot list folder: {exc.strerror or exc}") from exc
    settings = root / SETTINGS_FILE if (root / SETTINGS_FILE).is_file() else None
    try:
        maps = columnmap.load(settings)
    except columnmap.ColumnMapError as exc:
        raise CatalogError(f"{root / SETTINGS_FILE}: {exc}") from exc
    follow = _data_options(settings) if follow_links is None else follow_links
    scanner = _Scanner(root, maps, follow_links=follow)
    scanner.folder(root, None, in_bars=False, top=True)
    if not scanner.files and not scanner.skipped and scanner.settings is None:
        raise CatalogError(f"{root}: the folder is empty")
    if not scanner.files and not any(s.unreadable for s in scanner.skipped):
        raise CatalogError(
            f"{root}: no flowterm data found ({len(scanner.skipped)} files ignored)",
            tuple(scanner.skipped),
        )
    sessions = tuple(sorted({f.session for f in scanner.files if f.session is not None}))
    return Catalog(
        root, tuple(scanner.files), tuple(scanner.skipped), scanner.settings, sessions, follow
    )
