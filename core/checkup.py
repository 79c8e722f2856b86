"""Check a whole data folder: every file's kind, rows read, rows rejected and why.

This is what ``flowterm validate`` shows; the result is plain data (``to_dict`` for ``--json``)
so the command line only renders it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import Any

from .catalog import Catalog, CatalogError, Skipped, named_like_data, scan_catalog
from .readers import FileResult, read_file
from .schema import spec
from .sniff import EMPTY_FILE

#: What ``flowterm validate`` says of a recognised file without a single row.
NO_ROWS = "no rows (header only)"

#: How many reasons and sample rejected rows are kept per file.
FIRST_REASONS = 5


class Status(IntEnum):
    """Exit codes of ``flowterm validate``."""

    CLEAN = 0
    REJECTED = 1
    UNUSABLE = 2


@dataclass(frozen=True, slots=True)
class FileCheck:
    rel: str
    kind: str
    title: str
    fmt: str
    session: str | None
    rows_read: int
    rows_rejected: int
    #: ``(reason, count, first line)`` for the most frequent reasons.
    reasons: tuple[tuple[str, int, int], ...]
    #: The first rejected rows: ``(line, reason, raw values)``.
    samples: tuple[tuple[int, str, str], ...]
    error: str | None

    @property
    def problem(self) -> str | None:
        """Why this file needs the user's attention (a read error, or no rows at all), if it
        does; rejected rows are listed with their reasons instead."""
        if self.error is not None:
            return self.error
        return NO_ROWS if self.rows_read == 0 else None


@dataclass(frozen=True, slots=True)
class FolderCheck:
    root: Path
    status: Status
    message: str | None
    sessions: tuple[str, ...]
    files: tuple[FileCheck, ...]
    skipped: tuple[Skipped, ...]

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def rows_rejected(self) -> int:
        return sum(f.rows_rejected for f in self.files)

    def to_dict(self) -> dict[str, Any]:
        return {
            "data_dir": str(self.root),
            "status": self.status.name.lower(),
            "exit_code": int(self.status),
            "message": self.message,
            "sessions": list(self.sessions),
            "rows_read": self.rows_read,
            "rows_rejected": self.rows_rejected,
            "files": [
                {
                    "path": f.rel,
                    "kind": f.kind,
                    "format": f.fmt,
                    "session": f.session,
                    "rows_read": f.rows_read,
                    "rows_rejected": f.rows_rejected,
                    "error": f.error,
                    "problem": f.problem,
                    "reasons": [
                        {"reason": r, "count": n, "first_line": line} for r, n, line in f.reasons
                    ],
                    "rejected_rows": [
                        {"line": line, "reason": r, "raw": raw} for line, r, raw in f.samples
                    ],
                }
                for f in self.files
            ],
            "ignored": [
                {
                    "path": s.rel,
                    "reason": s.reason,
                    "unreadable": s.unreadable,
                    "problem": s.unreadable or empty_data_file(s),
                }
                for s in self.skipped
            ],
        }


def _check(result: FileResult) -> FileCheck:
    src = result.source
    samples = tuple(
        (int(line), str(reason), str(raw))
        for line, reason, raw in result.rejects.head(FIRST_REASONS)
        .select("line", "reason", "raw")
        .iter_rows()
    )
    return FileCheck(
        rel=src.rel,
        kind=str(src.kind),
        title=spec(src.kind).title,
        fmt=src.detected.fmt,
        session=src.session.isoformat() if src.session else None,
        rows_read=result.rows_read,
        rows_rejected=result.rows_rejected,
        reasons=tuple(result.reason_counts(FIRST_REASONS)),
        samples=samples,
        error=result.error,
    )


def empty_data_file(skipped: Skipped) -> bool:
    """An empty file named like flowterm data: the app waits for its rows, a check reports it."""
    return skipped.reason == EMPTY_FILE and named_like_data(skipped.rel)


def check_catalog(catalog: Catalog) -> FolderCheck:
    files = tuple(_check(read_file(f)) for f in catalog.files)
    problems = any(f.rows_rejected or f.problem for f in files) or bool(catalog.unreadable)
    problems = problems or any(empty_data_file(s) for s in catalog.skipped)
    return FolderCheck(
        root=catalog.root,
        status=Status.REJECTED if problems else Status.CLEAN,
        message=None,
        sessions=tuple(d.isoformat() for d in catalog.sessions),
        files=files,
        skipped=catalog.skipped,
    )


def check_folder(root: Path) -> FolderCheck:
    """Validate every file under ``root``. Never raises on bad content."""
    try:
        catalog = scan_catalog(root)
    except CatalogError as exc:
        return FolderCheck(Path(root), Status.UNUSABLE, str(exc), (), (), exc.skipped)
    return check_catalog(catalog)
