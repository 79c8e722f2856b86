"""The per-session summary cache: what the multi-session figures need, kept on disk.

A folder of 250 sessions should open without reading and analysing 250 tapes. The snapshot
builder (``core.snapshot``) boils each past session down to a few small frames (per-ticker flow
with its largest bucket, per-symbol dark-pool sums, dark-pool volume by price, short volume,
the SPY intraday bars, put/call rows, the gamma figures the convergence count reads, the ATM rows
of the closing chain, the rows set aside while reading) and, for the sessions the convergence
history and the change list show, what the report said that day (convergence inputs, zone
statuses, ticker verdicts). This module stores those frames and tells which are still valid; it
knows nothing of what they mean.

Where: ``$FLOWTERM_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/flowterm`` (``~/.cache/flowterm``),
then one folder per data folder named by a hash of its resolved path. Nothing is ever written
into the data folder.

Validity is by key: an entry is used only when the key it was stored under equals the key
computed now.

- A past session's summary: (cache format, flowterm version, every setting in force, the
  session's own files as (path, size, mtime) and the files read together with them). A
  changed, added or removed file of session D invalidates D's summary and nothing else; a new
  flowterm version or a changed flowterm.toml invalidates every summary. The top-level files
  (bars, macro, inputs, zones, sectors, events) are not part of it: no summary frame is computed
  from them (fast-tape labels, spots and returns are recomputed from the bars on every build).
- What the report said on a past session (convergence inputs, zones, verdicts, regime states):
  the summary keys of every session up to it (chained), the top-level files' stamps and the
  settings. When an earlier session or a top-level file changed it is derived again from the
  cached summaries; no tape is read for it.
- The folder listing: every entry's name, size and mtime.
- The session analysed is always computed from its files (and stored for later). Sessions read
  with an error, or shown from a file's last good rows, are never stored.

Like the reader's reuse of unchanged files, a rewrite that keeps both a file's size and its
mtime is not seen. Tables are written as a new generation (a folder of Parquet files) and
switched to by replacing a one-line ``CURRENT`` file, so a reader never sees half a write; a
cache that cannot be read or written is ignored (the snapshot is then computed from the files,
and ``HistoryInfo.errors`` says why).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date
from enum import Enum
from importlib import metadata
from pathlib import Path
from typing import Any, Final

import polars as pl

from .catalog import SETTINGS_FILE, Catalog, DataFile, Skipped
from .schema import Kind
from .sniff import Detected

#: Bump when the frames stored (or how keys are made) change: old entries then stop matching.
CACHE_FORMAT: Final = 1
#: Overrides the cache root (tests point it at a temporary folder).
ENV_VAR: Final = "FLOWTERM_CACHE_DIR"
#: The session column every stored frame carries.
SESSION: Final = "_session"
_KEY: Final = "_key"
_CURRENT: Final = "CURRENT"
_INDEX: Final = "_index"


@functools.cache
def flowterm_version() -> str:
    """The installed flowterm version (part of every key)."""
    try:
        return metadata.version("flowterm")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def default_root() -> Path:
    """``$FLOWTERM_CACHE_DIR``, else ``$XDG_CACHE_HOME/flowterm``, else ``~/.cache/flowterm``."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "flowterm"


def folder_for(data_dir: Path, root: Path | None = None) -> Path:
    """The cache folder of ``data_dir``: ``<root>/<sha256 of its resolved path, 24 hex>``."""
    resolved = str(Path(data_dir).resolve())
    return (root or default_root()) / hashlib.sha256(resolved.encode()).hexdigest()[:24]


# ------------------------------------------------------------------------------------------
# keys
# ------------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """``value`` as JSON-ready data with a stable order (sets sorted, dataclasses by field)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Enum):
        return _plain(value.value)
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, frozenset | set):
        return sorted((_plain(v) for v in value), key=str)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return str(value)


def digest(*parts: Any) -> str:
    """A stable hex digest of JSON-able ``parts`` (dataclasses, sets and dates allowed)."""
    text = json.dumps(list(parts), sort_keys=True, separators=(",", ":"), default=_plain)
    return hashlib.sha256(text.encode()).hexdigest()


def settings_fingerprint(settings: Mapping[str, Any]) -> str:
    """A digest of every parameter in force (a changed flowterm.toml value changes it)."""
    return digest(settings)


def file_stamp(f: DataFile) -> tuple[str, int, int]:
    """(path relative to the data folder, size, mtime in ns): how a file is recognised as
    unchanged (a rewrite that keeps both size and mtime is not seen, as when reading)."""
    return (f.rel, f.size, f.mtime_ns)


def summary_key(
    session: date,
    files: Iterable[tuple[str, int, int]],
    *,
    settings: str,
    extra: Any = None,
) -> str:
    """The key of one session's summary: format, flowterm version, settings and the session's
    own files (plus ``extra``, e.g. the stamps of files read together with them). Bars, macro
    and the other top-level files are not in it: no summary frame depends on them."""
    return digest(
        "summary", CACHE_FORMAT, flowterm_version(), session, settings, sorted(files), extra
    )


def top_files_key(files: Iterable[DataFile]) -> str:
    """The key of the parsed top-level files: format, flowterm version, and each file's stamp,
    recognised format and symbol hint."""
    stamps = sorted((*file_stamp(f), repr(f.detected), f.symbol_hint or "") for f in files)
    return digest("top", CACHE_FORMAT, flowterm_version(), stamps)


def derived_key(session: date, chain: str, *, settings: str, globals_: Iterable[Any]) -> str:
    """The key of what the report said on ``session``: ``chain`` (a digest of the summary keys
    of every session up to it, as ``chain_keys`` returns), the top-level files (bars, macro,
    inputs, zones, sectors: a change to any of them re-derives these from the cached summaries)
    and the settings."""
    return digest(
        "derived", CACHE_FORMAT, flowterm_version(), session, chain, settings, sorted(globals_)
    )


def chain_keys(keys: Mapping[date, str]) -> dict[date, str]:
    """Per session, a digest of its summary key and those of every earlier session."""
    out: dict[date, str] = {}
    running = ""
    for day in sorted(keys):
        running = digest(running, keys[day])
        out[day] = running
    return out


# ------------------------------------------------------------------------------------------
# the catalog, cached by a walk of the folder
# ------------------------------------------------------------------------------------------


def _stat(entry: os.DirEntry[str]) -> os.stat_result:
    """The entry's stat, or the link's own for a link that leads nowhere (a loop, a target
    that is gone): the catalog lists such a link as a problem, and the folder stays cacheable."""
    try:
        return entry.stat()
    except OSError:
        return entry.stat(follow_symlinks=False)


def folder_fingerprint(root: Path) -> str | None:
    """A digest of every entry the catalog looks at (name, size, mtime), or None when the folder
    cannot be listed. Hidden entries are left out, as the catalog leaves them out."""
    entries: list[tuple[str, int, int, bool]] = []
    try:
        for top in os.scandir(root):
            if top.name.startswith("."):
                continue
            if top.is_dir():
                entries.append((top.name, 0, 0, True))
                for sub in os.scandir(top.path):
                    if sub.name.startswith("."):
                        continue
                    st = _stat(sub)
                    entries.append((f"{top.name}/{sub.name}", st.st_size, st.st_mtime_ns, False))
            else:
                st = _stat(top)
                entries.append((top.name, st.st_size, st.st_mtime_ns, False))
    except OSError:
        return None
    return digest("folder", CACHE_FORMAT, flowterm_version(), sorted(entries))


def catalog_to_dict(catalog: Catalog) -> dict[str, Any]:
    """A catalog as JSON-ready data (paths relative to its root)."""

    def detected(d: Detected) -> dict[str, Any]:
        return {
            "kind": d.kind.value,
            "fmt": d.fmt,
            "separator": d.separator,
            "headers": list(d.headers),
            "mapping": [list(p) for p in d.mapping],
            "header_row": d.header_row,
        }

    return {
        "files": [
            {
                "rel": f.rel,
                "detected": detected(f.detected),
                "session": f.session.isoformat() if f.session else None,
                "symbol_hint": f.symbol_hint,
                "size": f.size,
                "mtime_ns": f.mtime_ns,
            }
            for f in catalog.files
        ],
        "skipped": [
            {"rel": s.rel, "reason": s.reason, "unreadable": s.unreadable} for s in catalog.skipped
        ],
        "settings": catalog.settings is not None,
        "sessions": [d.isoformat() for d in catalog.sessions],
        "follow_links": catalog.follow_links,
    }


def catalog_from_dict(root: Path, data: Mapping[str, Any]) -> Catalog:
    """The catalog ``catalog_to_dict`` wrote, rooted at ``root``."""

    def detected(d: Mapping[str, Any]) -> Detected:
        return Detected(
            Kind(d["kind"]),
            d["fmt"],
            d["separator"],
            tuple(d["headers"]),
            tuple((a, b) for a, b in d["mapping"]),
            int(d["header_row"]),
        )

    files = tuple(
        DataFile(
            root / f["rel"],
            f["rel"],
            detected(f["detected"]),
            date.fromisoformat(f["session"]) if f["session"] else None,
            f["symbol_hint"],
            int(f["size"]),
            int(f["mtime_ns"]),
        )
        for f in data["files"]
    )
    skipped = tuple(
        Skipped(root / s["rel"], s["rel"], s["reason"], bool(s["unreadable"]))
        for s in data["skipped"]
    )
    return Catalog(
        root,
        files,
        skipped,
        root / SETTINGS_FILE if data["settings"] else None,
        tuple(date.fromisoformat(d) for d in data["sessions"]),
        bool(data.get("follow_links", False)),
    )


# ------------------------------------------------------------------------------------------
# what happened in one build
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HistoryInfo:
    """How one snapshot used the cache: which sessions came from it and which were computed."""

    #: The cache folder; None when the snapshot was built without a cache.
    folder: Path | None = None
    #: The folder listing was taken from the cache (no file was sniffed again).
    catalog_cached: bool = False
    #: Past sessions whose summary came from the cache.
    summary_hits: tuple[date, ...] = ()
    #: Past sessions whose summary was computed from their files in this build.
    summaries_computed: tuple[date, ...] = ()
    #: Past sessions whose report figures (convergence inputs, zones, verdicts) came from the
    #: cache, and those derived again from the summaries in this build.
    derived_hits: tuple[date, ...] = ()
    derived_computed: tuple[date, ...] = ()
    #: Why the cache could not be read or written (the snapshot is right regardless).
    errors: tuple[str, ...] = ()


@dataclass(slots=True)
class _Counters:
    catalog_cached: bool = False
    summary_hits: list[date] = field(default_factory=list)
    summaries_computed: list[date] = field(default_factory=list)
    derived_hits: list[date] = field(default_factory=list)
    derived_computed: list[date] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


# ------------------------------------------------------------------------------------------
# storage
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Loaded:
    """The valid entries of one table: their keys and, per frame name, their rows (with a
    ``_session`` column)."""

    keys: Mapping[date, str]
    frames: Mapping[str, pl.DataFrame]

    def frame(self, name: str) -> pl.DataFrame | None:
        return self.frames.get(name)


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _atomic_write_parquet(path: Path, frame: pl.DataFrame) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    frame.write_parquet(tmp, compression="zstd", statistics=False)
    os.replace(tmp, path)


class HistoryCache:
    """Summaries and derived figures of past sessions, on disk (or nowhere, ``folder=None``).

    One instance serves one build: it remembers what it read so that writing merges new entries
    into the table instead of reading it again, and it counts hits and computations
    (``info()``)."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self._tables: dict[str, dict[str, pl.DataFrame]] = {}
        self._counters = _Counters()

    @classmethod
    def for_data_dir(cls, data_dir: Path, *, root: Path | None = None) -> HistoryCache:
        """The cache of ``data_dir`` under ``root`` (default: ``default_root()``)."""
        return cls(folder_for(data_dir, root))

    # -- counters ---------------------------------------------------------------------------

    def note_error(self, message: str) -> None:
        self._counters.errors.append(message)

    def count(self, what: str, sessions: Iterable[date]) -> None:
        """Record sessions as ``summary_hits``, ``summaries_computed``, ``derived_hits`` or
        ``derived_computed``."""
        target: list[date] = getattr(self._counters, what)
        target.extend(sessions)

    def info(self) -> HistoryInfo:
        c = self._counters
        return HistoryInfo(
            self.folder,
            c.catalog_cached,
            tuple(sorted(c.summary_hits)),
            tuple(sorted(c.summaries_computed)),
            tuple(sorted(c.derived_hits)),
            tuple(sorted(c.derived_computed)),
            tuple(dict.fromkeys(c.errors)),
        )

    # -- catalog ----------------------------------------------------------------------------

    def catalog(self, root: Path) -> tuple[Catalog | None, str | None]:
        """(the cached catalog if the folder is unchanged, the folder's fingerprint)."""
        fingerprint = folder_fingerprint(root)
        if self.folder is None or fingerprint is None:
            return None, fingerprint
        path = self.folder / "catalog.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("fingerprint") != fingerprint:
                return None, fingerprint
            catalog = catalog_from_dict(Path(root), data["catalog"])
        except FileNotFoundError:
            return None, fingerprint
        except (OSError, ValueError, KeyError, TypeError) as exc:
            self.note_error(f"cache: cannot read {path.name}: {exc}")
            return None, fingerprint
        self._counters.catalog_cached = True
        return catalog, fingerprint

    def put_catalog(self, catalog: Catalog, fingerprint: str | None) -> None:
        """Store ``catalog`` under ``fingerprint`` (not when a file could not be read: it may
        be readable next time without its size or mtime changing)."""
        if self.folder is None or fingerprint is None or catalog.unreadable:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            text = json.dumps({"fingerprint": fingerprint, "catalog": catalog_to_dict(catalog)})
            _atomic_write_text(self.folder / "catalog.json", text)
        except OSError as exc:
            self.note_error(f"cache: cannot write the folder listing: {exc}")

    # -- tables -----------------------------------------------------------------------------

    def _read_table(self, table: str) -> dict[str, pl.DataFrame]:
        if table in self._tables:
            return self._tables[table]
        frames: dict[str, pl.DataFrame] = {}
        if self.folder is not None:
            base = self.folder / table
            try:
                generation = (base / _CURRENT).read_text(encoding="utf-8").strip()
                for path in sorted((base / generation).glob("*.parquet")):
                    frames[path.stem] = pl.read_parquet(path)
            except FileNotFoundError:
                frames = {}
            except Exception as exc:  # a damaged Parquet file: start the table again
                self.note_error(f"cache: cannot read {table}: {exc}")
                frames = {}
            if _INDEX not in frames:
                frames = {}
        self._tables[table] = frames
        return frames

    def load(self, table: str, wanted: Mapping[date, str]) -> Loaded:
        """The entries of ``table`` stored under exactly the keys in ``wanted``."""
        frames = self._read_table(table)
        index = frames.get(_INDEX)
        if index is None or index.is_empty() or not wanted:
            return Loaded({}, {})
        want = pl.DataFrame(
            {SESSION: list(wanted), _KEY: list(wanted.values())},
            schema={SESSION: pl.Date, _KEY: pl.String},
        )
        hits = index.join(want, on=[SESSION, _KEY], how="semi")
        keys = dict(zip(hits[SESSION].to_list(), hits[_KEY].to_list(), strict=True))
        out: dict[str, pl.DataFrame] = {}
        for name, frame in frames.items():
            if name == _INDEX:
                continue
            out[name] = frame.join(hits, on=[SESSION, _KEY], how="semi").drop(_KEY)
        return Loaded(keys, out)

    def put(
        self,
        table: str,
        keys: Mapping[date, str],
        frames: Mapping[str, pl.DataFrame],
        *,
        keep: Mapping[date, str],
    ) -> None:
        """Store the entries ``keys`` (session → key) with their rows ``frames`` (frame name →
        rows with a ``_session`` column), keeping the stored entries whose key is still the one
        in ``keep`` and dropping every other."""
        if self.folder is None:
            return
        old = self._read_table(table)
        valid = {d: k for d, k in keep.items() if d not in keys}
        kept_index = pl.DataFrame(
            {SESSION: list(valid), _KEY: list(valid.values())},
            schema={SESSION: pl.Date, _KEY: pl.String},
        )
        new_index = pl.DataFrame(
            {SESSION: list(keys), _KEY: list(keys.values())},
            schema={SESSION: pl.Date, _KEY: pl.String},
        )
        if _INDEX in old:
            kept_index = old[_INDEX].join(kept_index, on=[SESSION, _KEY], how="semi")
        else:
            kept_index = kept_index.clear()
        merged: dict[str, pl.DataFrame] = {_INDEX: pl.concat([kept_index, new_index]).sort(SESSION)}
        key_of = new_index.rename({_KEY: "_new"})
        for name in sorted(set(frames) | {n for n in old if n != _INDEX}):
            parts = []
            if name in old:
                parts.append(old[name].join(kept_index, on=[SESSION, _KEY], how="semi"))
            if name in frames:
                fresh = frames[name].join(key_of, on=SESSION, how="inner")
                parts.append(fresh.rename({"_new": _KEY}))
            if parts:
                merged[name] = pl.concat(parts, how="diagonal_relaxed")
        self._write_table(table, merged)

    def _write_table(self, table: str, frames: Mapping[str, pl.DataFrame]) -> None:
        assert self.folder is not None
        base = self.folder / table
        generation = f"g{uuid.uuid4().hex[:16]}"
        try:
            (base / generation).mkdir(parents=True, exist_ok=False)
            for name, frame in frames.items():
                frame.write_parquet(base / generation / f"{name}.parquet", statistics=False)
            previous = None
            with contextlib.suppress(OSError):
                previous = (base / _CURRENT).read_text(encoding="utf-8").strip()
            _atomic_write_text(base / _CURRENT, generation)
        except OSError as exc:
            self.note_error(f"cache: cannot write {table}: {exc}")
            shutil.rmtree(base / generation, ignore_errors=True)
            return
        self._tables[table] = dict(frames)
        for old in base.iterdir():
            # earlier generations (a reader still on one of them simply misses the cache)
            if old.is_dir() and old.name not in (generation, previous):
                shutil.rmtree(old, ignore_errors=True)

    # -- the top-level files (bars, macro, ...), parsed once ----------------------------------

    def top_files(self, key: str) -> dict[str, pl.DataFrame] | None:
        """The parsed top-level files stored under ``key`` (``top_files_key``): per kind the
        good rows of its files with a ``_rel`` column, and ``rejects``; None when absent."""
        if self.folder is None:
            return None
        base = self.folder / "top" / key[:32]
        try:
            frames = {path.stem: pl.read_parquet(path) for path in base.glob("*.parquet")}
        except Exception as exc:  # a damaged file: parse the files again
            self.note_error(f"cache: cannot read the top-level files: {exc}")
            return None
        return frames if "rejects" in frames else None

    def put_top_files(self, key: str, frames: Mapping[str, pl.DataFrame]) -> None:
        """Store the parsed top-level files under ``key``, replacing any other key."""
        if self.folder is None:
            return
        top = self.folder / "top"
        base = top / key[:32]
        try:
            tmp = top / f".{key[:32]}.{uuid.uuid4().hex}.tmp"
            tmp.mkdir(parents=True)
            for name, frame in frames.items():
                frame.write_parquet(tmp / f"{name}.parquet", compression="zstd", statistics=False)
            if base.exists():
                shutil.rmtree(base, ignore_errors=True)
            os.replace(tmp, base)
        except OSError as exc:
            self.note_error(f"cache: cannot write the top-level files: {exc}")
            return
        for old in top.iterdir():
            if old != base and not old.name.startswith("."):
                shutil.rmtree(old, ignore_errors=True)

    # -- one frame per session (large frames only a few sessions need) -----------------------

    def _session_path(self, name: str, session: date, key: str) -> Path:
        assert self.folder is not None
        return self.folder / name / f"{session.isoformat()}-{key[:32]}.parquet"

    def has_session_frame(self, name: str, session: date, key: str) -> bool:
        """Whether a frame ``name`` is stored for ``session`` under ``key``."""
        return self.folder is not None and self._session_path(name, session, key).is_file()

    def session_frame(self, name: str, session: date, key: str) -> pl.DataFrame | None:
        """The frame ``name`` stored for ``session`` under ``key`` (the key is in the file
        name, so an empty frame is found too), or None."""
        if self.folder is None:
            return None
        path = self._session_path(name, session, key)
        try:
            return pl.read_parquet(path)
        except FileNotFoundError:
            return None
        except Exception as exc:
            self.note_error(f"cache: cannot read {name}/{path.name}: {exc}")
            with contextlib.suppress(OSError):
                path.unlink()  # computed again next time
            return None

    def put_session_frame(self, name: str, session: date, key: str, frame: pl.DataFrame) -> None:
        """Store ``frame`` for ``session`` under ``key``, replacing the session's other keys."""
        if self.folder is None:
            return
        path = self._session_path(name, session, key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            _atomic_write_parquet(path, frame)
        except OSError as exc:
            self.note_error(f"cache: cannot write {name}: {exc}")
            return
        for old in path.parent.glob(f"{session.isoformat()}-*.parquet"):
            if old != path:
                with contextlib.suppress(OSError):
                    old.unlink()

    def prune_session_frames(self, name: str, keep: Mapping[date, str]) -> None:
        """Delete the per-session files of ``name`` not stored under a key in ``keep``."""
        if self.folder is None or not (self.folder / name).is_dir():
            return
        wanted = {self._session_path(name, d, k).name for d, k in keep.items()}
        for path in (self.folder / name).glob("*.parquet"):
            if path.name not in wanted:
                with contextlib.suppress(OSError):
                    path.unlink()


__all__ = [
    "CACHE_FORMAT",
    "ENV_VAR",
    "SESSION",
    "HistoryCache",
    "HistoryInfo",
    "Loaded",
    "catalog_from_dict",
    "catalog_to_dict",
    "chain_keys",
    "default_root",
    "derived_key",
    "digest",
    "file_stamp",
    "flowterm_version",
    "folder_fingerprint",
    "folder_for",
    "settings_fingerprint",
    "summary_key",
    "top_files_key",
]
