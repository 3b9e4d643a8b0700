"""One line for a source file DuckDB could not read, in words the controller can act on.

DuckDB's own error quotes the offending line, which holds a record: only its first line, the line number and a
reason it states in fixed words are passed on (a requester may see a hand-in's error).
"""

from __future__ import annotations

import csv
import re

import duckdb

from extractor.config.catalog import Catalog, Source
from extractor.errors import ConfigError, ExtractorError

_NO_COLUMN = re.compile(r'Referenced column "([^"]{1,80})" not found.*?Candidate bindings: ((?:"[^"]*"(?:, )?)+)', re.S)
_CSV_LINE = re.compile(r"CSV Error on Line: (\d+)")
_CSV_REASON = re.compile(r"^(Expected Number of Columns: \d+ Found: \d+|Value with unterminated quote.*|"
                         r"Invalid unicode.*)$", re.M)  # DuckDB's reason; the lines it quotes hold records


def _ragged_line(src: Source) -> tuple[int, int, int] | None:
    """(physical line, fields, header's fields) of the first record whose field count differs from the
    header's, read with the catalog's separator or the one the header shows; None when none does. An error
    path only: the file is read here once, record by record, to name the line DuckDB's sniffer would not."""
    try:
        with src.path.open(encoding=src.encoding or "utf-8", errors="replace", newline="") as fh:
            head = fh.readline()
            delimiter = src.delimiter or max(",;\t|", key=head.count)
            fh.seek(0)
            rows = csv.reader(fh, delimiter=delimiter)
            width = len(next(rows, []))
            for row in rows:
                if row and len(row) != width:
                    return rows.line_num, len(row), width
    except (OSError, csv.Error, LookupError):
        return None
    return None


def _ragged_error(src: Source, ragged: tuple[int, int, int]) -> ExtractorError:
    return ExtractorError(f"{src.path}:{ragged[0]}: {ragged[1]} field(s) where the header has {ragged[2]} (a field "
                          "missing or one too many, or a separator inside an unquoted value)", before_data=True)


def unreadable(catalog: Catalog, key_prefix: str, src: Source, exc: duckdb.Error) -> ExtractorError:
    """The one line for a source DuckDB could not read: the file (and line) first, what is wrong in words the
    controller can act on, and the catalog key that declares the file. No record's value: DuckDB's own text
    quotes the offending line, so only its first line or a known reason is passed on."""
    text, key = str(exc).strip(), f"{catalog.path.name}: {key_prefix}"
    if (missing := _NO_COLUMN.search(text)) is not None:
        near = [c[:40] for c in re.findall(r'"([^"]*)"', missing.group(2)) if not c.startswith("__")][:6]
        said = f"{src.path}: no column {missing.group(1)!r} (nearest: {', '.join(map(repr, near))})"
        if src.format != "csv":
            return ExtractorError(f"{said}; the catalog declares it ({key}.columns)", before_data=True)
        if (ragged := _ragged_line(src)) is not None:
            return _ragged_error(src, ragged)
        return ExtractorError(f"{said}; if the file's header has it, a header written twice, a line with a field "
                              f"missing or one too many, or another separator hides it (give {key}.delimiter to have "
                              "the line named)", before_data=True)
    if "sniffing" in text.splitlines()[0]:
        if (ragged := _ragged_line(src)) is not None:
            return _ragged_error(src, ragged)
        return ExtractorError(f"{src.path}: its separator and quoting could not be told from its lines (a line with a "
                              f"field missing or one too many?): give {key}.delimiter to have the line named",
                              before_data=True)
    line, reason = _CSV_LINE.search(text), _CSV_REASON.search(text)
    if line is not None and reason is not None and reason.group(1).startswith("Invalid unicode"):
        return ExtractorError(f"{src.path}:{line.group(1)}: not UTF-8 text; an export from Windows needs "
                              f"encoding = \"cp1252\" ({key}.encoding)", before_data=True)
    if line is not None:
        return ExtractorError(f"{src.path}:{line.group(1)}: not a readable CSV line"
                              + (f": {reason.group(1)[:120]}" if reason else "") + f" ({key}.path)", before_data=True)
    return ConfigError(catalog.path, f"{key_prefix}.path", "a readable file of the declared format",
                       f"{src.path.name}: {text.splitlines()[0] if text else type(exc).__name__}")
