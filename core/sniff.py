"""Recognise what a file holds from its content (header or Parquet schema), not only its name.

``sniff_file`` reads at most the first 64 KiB of a text file, or only the schema of a Parquet
file, and answers with a ``Detected`` (kind, format, separator, header mapping) or a ``NotData``
saying why the file is not used. A read failure is reported as ``Unreadable``.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from . import vendors
from .schema import SPECS, Kind, KindSpec, map_headers, normalise_header
from .vendors import columnmap
from .vendors.columnmap import ColumnMap

TEXT_SUFFIXES = frozenset({".csv", ".txt", ".tsv", ".psv"})
PARQUET_SUFFIXES = frozenset({".parquet", ".pq"})
_SEPARATORS = (",", "|", "\t", ";")
_HEAD_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class Detected:
    """A file recognised as one canonical kind."""

    kind: Kind
    #: ``csv`` (canonical delimited text), ``parquet`` (canonical Parquet), or the name of a
    #: vendor format (``core.vendors``), e.g. ``cboe-quotedata``.
    fmt: str
    separator: str
    #: The file's own header names, in file order.
    headers: tuple[str, ...]
    #: ``{file header: canonical column}`` for the headers flowterm uses.
    mapping: tuple[tuple[str, str], ...]
    #: 0-based line number of the header (blank lines may precede it); 0 for Parquet.
    header_row: int = 0


@dataclass(frozen=True, slots=True)
class NotData:
    """A file that is not flowterm data, with the reason shown to the user."""

    reason: str
    #: True when flowterm knows the file and leaves it out on purpose (a vendor's reference
    #: file read together with the files beside it), rather than not recognising it.
    recognised: bool = False


#: The reason given for a file of 0 bytes.
EMPTY_FILE = "empty file"


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A file that looks like data but could not be read."""

    reason: str


Sniffed = Detected | NotData | Unreadable


def _header_line(head: str) -> tuple[int, str] | None:
    """The first line with content, and its 0-based line number (lines split on ``\n`` as the
    CSV reader counts them)."""
    for number, line in enumerate(head.split("\n")):
        if line.strip().strip(",;|\t"):
            return number, line.rstrip("\r")
    return None


def _split_header(line: str) -> tuple[str, list[str]] | None:
    counts = {sep: line.count(sep) for sep in _SEPARATORS}
    sep = max(_SEPARATORS, key=lambda s: counts[s])
    if counts[sep] == 0:
        return None
    try:
        fields = next(csv.reader([line], delimiter=sep))
    except csv.Error:  # a stray carriage return or quote: split plainly
        fields = line.split(sep)
    return sep, [f.strip() for f in fields]


def _fits(ks: KindSpec, mapping: dict[str, str], symbol_from_name: bool) -> bool:
    have = set(mapping.values())
    need = set(ks.required)
    if symbol_from_name and ks.kind is Kind.DAILY_BARS:
        need.discard("symbol")
    return need <= have


def _name_hint(ks: KindSpec, name: str) -> bool:
    n = normalise_header(name)
    return any(n.startswith(h) or f"_{h}" in n for h in ks.name_hints)


def classify(headers: list[str], file_name: str) -> tuple[Kind, dict[str, str]] | None:
    """The kind whose required columns the headers satisfy; ties go to the file name's hint,
    then to the kind that uses the most of the file's columns."""
    candidates: list[tuple[bool, int, int, Kind, dict[str, str]]] = []
    for order, ks in enumerate(SPECS.values()):
        mapping = map_headers(ks.kind, headers)
        if _fits(ks, mapping, symbol_from_name=True):
            candidates.append((_name_hint(ks, file_name), len(mapping), -order, ks.kind, mapping))
    if not candidates:
        return None
    best = max(candidates, key=lambda c: (c[0], c[1], c[2]))
    return best[3], best[4]


def _describe(headers: list[str]) -> str:
    cut = [h if len(h) <= 40 else h[:40] + "…" for h in headers[:8]]
    shown = ", ".join(cut)
    return shown + (", …" if len(headers) > 8 else "")


def hinted_kind(name: str) -> KindSpec | None:
    """The kind a file name announces by the data folder's naming (``options*``, ``darkpool*``,
    ``*shvol*``, ``macro.csv``, …: FORMATS.md A.1), if any."""
    n = normalise_header(Path(name).stem)
    if "shvol" in n:
        return SPECS[Kind.SHORT_VOLUME]
    for ks in SPECS.values():
        if ks.kind is not Kind.SHORT_VOLUME and n.startswith(ks.name_hints[0]):
            return ks
    return None


def _unmatched(headers: list[str], file_name: str) -> str:
    """Why a header matches no kind: the columns the kind the name announces lacks, or the
    columns seen."""
    ks = hinted_kind(file_name)
    if ks is not None:
        have = set(map_headers(ks.kind, headers).values())
        missing = [c for c in ks.required if c not in have]
        if missing and len(missing) < len(ks.required):
            return (
                f"header lacks the {ks.title} column{'s' if len(missing) > 1 else ''} "
                f"{', '.join(missing)} (columns: {_describe(headers)}; other names can be "
                "mapped in flowterm.toml [[columns]])"
            )
    return f"header matches no known kind (columns: {_describe(headers)})"


def _text_trouble(raw: bytes, path: Path) -> Sniffed | None:
    """A text file that is not UTF-8 text: UTF-16/32 (Excel's "Unicode text") or binary."""
    encoding = None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"  # the decoder reads the byte-order mark
    elif len(raw) >= 8:
        # UTF-16 without a byte-order mark: every other byte of ASCII text is NUL
        even, odd = raw[0::2], raw[1::2]
        if odd.count(0) > 0.9 * len(odd):
            encoding = "utf-16-le"
        elif even.count(0) > 0.9 * len(even):
            encoding = "utf-16-be"
    if encoding is not None:
        text = raw[: len(raw) - len(raw) % 2].decode(encoding, errors="replace").lstrip("\ufeff")
        found = _header_line(text)
        split = _split_header(found[1]) if found else None
        what = 'UTF-16 text: flowterm reads UTF-8 (save the file as UTF-8, e.g. "CSV UTF-8")'
        if split is not None and classify(split[1], path.name) is not None:
            return Unreadable(what)
        return NotData(what)
    # binary: many control bytes (NUL included) in the first 4 KiB; a few stray ones are data
    # to be judged row by row
    top = raw[:4096]
    controls = sum(1 for b in top if b < 0x20 and b not in (9, 10, 13))
    if controls > 0.05 * len(top):
        return NotData("binary content, not delimited text")
    return None


def _vendor(path: Path, head: bytes) -> Detected | NotData | None:
    fmt = vendors.detect(path, head)
    if fmt is None:
        return None
    if fmt.ignore is not None:
        return NotData(fmt.ignore, recognised=True)
    return Detected(fmt.kind, fmt.name, "", (), tuple((c, c) for c in fmt.columns))


def _mapped(path: Path, head: str, maps: Sequence[ColumnMap]) -> Detected | None:
    """A CSV the user mapped in flowterm.toml (``[[columns]]``), if one of their patterns
    claims the file and its header has the mapped columns."""
    if not maps or not columnmap.claims(maps, path):
        return None
    found_header = _header_line(head)
    split = _split_header(found_header[1]) if found_header else None
    if found_header is None or split is None:
        return None
    sep, headers = split
    found = columnmap.match(maps, path, headers)
    if found is None:
        return None
    kind, mapping = found
    return Detected(kind, "csv", sep, tuple(headers), tuple(mapping.items()), found_header[0])


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def sniff_file(path: Path, column_maps: Sequence[ColumnMap] = ()) -> Sniffed:
    """Recognise ``path`` by its content: a column map the user wrote for it, a vendor format,
    then the canonical header."""
    suffix = path.suffix.lower()
    text_like = suffix in TEXT_SUFFIXES
    if not (text_like or suffix in PARQUET_SUFFIXES or suffix in vendors.suffixes()):
        return NotData(f"not a data file type ({suffix or 'no extension'})")
    try:
        if path.stat().st_size == 0:
            return NotData(EMPTY_FILE)
        if suffix in PARQUET_SUFFIXES:
            headers = pl.scan_parquet(path, glob=False).collect_schema().names()
            found = classify(headers, path.name)
            if found is None:
                return NotData(_unmatched(headers, path.name))
            return Detected(found[0], "parquet", "", tuple(headers), tuple(found[1].items()))
        with path.open("rb") as fh:
            raw_head = fh.read(_HEAD_BYTES)
    except OSError as exc:
        return Unreadable(f"cannot read: {exc.strerror or exc}")
    except (Exception, pl.exceptions.PanicException) as exc:  # corrupt Parquet footer and the like
        return Unreadable(f"cannot read: {_first_line(exc)}")
    if text_like:
        trouble = _text_trouble(raw_head, path)
        if trouble is not None:
            return trouble
    head = raw_head.decode("utf-8", errors="replace").lstrip("\ufeff")
    if text_like:
        mapped = _mapped(path, head, column_maps)
        if mapped is not None:
            return mapped
    vendor = _vendor(path, raw_head)
    if vendor is not None:
        return vendor
    if not text_like:
        return NotData(f"no known format recognised in this {suffix} file")
    found_header = _header_line(head)
    if found_header is None:
        return NotData("no header line")
    header_row, line = found_header
    split = _split_header(line)
    if split is None:
        return NotData("no delimited header (one column only)")
    sep, headers = split
    found = classify(headers, path.name)
    if found is None:
        why = columnmap.mismatch(column_maps, path, headers) if column_maps else None
        return NotData(why or _unmatched(headers, path.name))
    kind, mapping = found
    return Detected(kind, "csv", sep, tuple(headers), tuple(mapping.items()), header_row)
