"""FHIR R4 bulk exports (NDJSON, one resource per line, as `$export` writes them) as flat catalog tables.

A catalog table names its file and resource type; each column names a path in the resource (`id`,
`subject.reference`, `code.coding[0].code`; default: the column's own name). DuckDB reads each line as JSON
text and extracts the declared paths only, so an element the catalog does not list never leaves the file.
Before any stage runs, a few scans of each file stop the run with `FILE:LINE: …` at the first line that is
not JSON or is another resource type, the first reference that does not name the declared resource type (`Patient/<id>`,
also at the end of an absolute URL; the id is what the column holds, so it joins `Patient.id`) and the first
value that does not convert to its declared type; a path no line of a non-empty file has is refused, since a
misspelt path (FHIR names are case-sensitive) would otherwise read as an empty column. An Attachment's `data`
(a DocumentReference's note, base64Binary by the specification) is read as the UTF-8 text it encodes, and a
value that is not base64 of UTF-8 text stops the run at its line. `dummy_sql` turns the
same paths back into nested resources for dummy data, so `extractor try` reads them through this code.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from extractor.config.catalog import Column, Source
from extractor.errors import ExtractorError
from extractor.sql import quote_ident, quote_literal


def json_path(column: Column) -> str:
    return "$." + (column.path or column.name)


def _reference_id(text: str, resource: str) -> str:
    """The id of a `Resource/id` reference (relative, or at the end of an absolute URL; a version's
    `/_history/n` dropped)."""
    return f"regexp_extract({text}, {quote_literal(f'(?:^|/){resource}/([^/]+)(?:/_history/[^/]+)?$')}, 1)"


def _extracted(column: Column) -> str:
    return f"json_extract_string(json, {quote_literal(json_path(column))})"


def is_attachment(column: Column) -> bool:
    """An Attachment's `data` (base64Binary by the FHIR specification): read as the UTF-8 text it encodes."""
    return bool(re.search(r"(^|\.)attachment(\[\d+\])?\.data$", column.path or ""))


def _decoded(text: str) -> str:
    return f"try(decode(from_base64({text})))"


def lines_sql(path: str) -> str:
    """The file's lines as text with their numbers in the file (a blank line counted, then skipped; a BOM and
    CRLF endings read as a text editor does): every message names the line an editor shows."""
    return (f"SELECT __line, json FROM (SELECT row_number() OVER () AS __line, j AS json FROM read_csv("
            f"{quote_literal(path)}, columns = {{'j': 'VARCHAR'}}, delim = chr(1), quote = '', escape = '', "
            "header = false, auto_detect = false, max_line_size = 1073741824)) WHERE trim(coalesce(json, '')) <> ''")


def first_not_json(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """One line naming the first line that is not JSON."""
    bad = con.execute(f"SELECT __line FROM ({lines_sql(str(path))}) WHERE NOT json_valid(json) ORDER BY 1 LIMIT 1"
                      ).fetchall()
    if bad:
        raise ExtractorError(f"{path}:{bad[0][0]}: expected one JSON resource per line, got a line that is not JSON")


def raw_select(src: Source, columns: tuple[Column, ...]) -> str:
    """Each line's number, resource type and declared paths as text (references as written)."""
    cols = "".join(f", {_extracted(c)} AS {quote_ident(c.name)}" for c in columns)
    return (f"SELECT __line, json_extract_string(json, '$.resourceType') AS __resource{cols} "
            f"FROM ({lines_sql(str(src.path))})")


def value_select(raw: str, columns: tuple[Column, ...], line: bool, resource: str = "") -> str:
    """The table as a query reads it: references as their ids, dates as the day written (a dateTime's own day,
    whatever its zone), timestamps in UTC, other values as text for the declared conversions. A document key
    is `Type/id` (`Encounter/e1`), as a Consent's ban names it, so that an Observation id never meets an
    Encounter ban by chance."""
    out = []
    for c in columns:
        text = quote_ident(c.name)
        if c.reference and c.role == "document_key":
            text = f"{quote_literal(c.reference + '/')} || nullif({_reference_id(text, c.reference)}, '')"
        elif c.role == "document_key" and (c.path or c.name) == "id":
            text = f"{quote_literal(resource + '/')} || {text}"
        elif c.reference:
            text = f"nullif({_reference_id(text, c.reference)}, '')"
        elif is_attachment(c):
            text = _decoded(text)
        elif c.type == "DATE" and not c.format:
            text = f"left({text}, 10)"
        elif c.type == "TIMESTAMP" and not c.format:  # an instant, in UTC; text that is none passes on to be named
            text = f"coalesce(CAST(timezone('UTC', TRY_CAST({text} AS TIMESTAMPTZ)) AS VARCHAR), {text})"
        out.append(f"{text} AS {quote_ident(c.name)}")
    return f"SELECT {'__line, ' if line else ''}{', '.join(out)} FROM ({raw})"


def check_lines(con: duckdb.DuckDBPyConnection, src: Source, raw: str, columns: tuple[Column, ...]) -> None:
    """The first line that is not JSON, of another resource type, with a reference to another or with an
    Attachment's data that is not base64 of UTF-8 text, as one line; then a declared path that no line has."""
    first_not_json(con, src.path)
    resource = src.resource or ""
    checked = [c for c in columns if c.reference or is_attachment(c)]
    fails = {c.name: f"({quote_ident(c.name)} IS NOT NULL AND " + (
        f"{_reference_id(quote_ident(c.name), c.reference)} = '')" if c.reference
        else f"{_decoded(quote_ident(c.name))} IS NULL)") for c in checked}
    wrong_type = f"__resource IS DISTINCT FROM {quote_literal(resource)}"
    flags = "".join(f", {test}, {quote_ident(c)}" for c, test in fails.items())
    first = con.execute(f"SELECT __line, __resource{flags} FROM ({raw}) WHERE "
                        f"{' OR '.join([wrong_type, *fails.values()])} ORDER BY __line LIMIT 1").fetchall()
    if first:  # the line's first fault, in the order: resource type, then the columns as declared
        line, found, *rest = first[0]
        if found != resource:
            raise ExtractorError(f"{src.path}:{line}: expected a {resource} resource (resourceType), got {found!r}")
        c, value = next((c, v) for c, failed, v in zip(checked, rest[::2], rest[1::2], strict=True) if failed)
        if c.reference:
            raise ExtractorError(f"{src.path}:{line}: column {c.name} ({c.path or c.name}): expected a "
                                 f"reference to a {c.reference} ({c.reference}/<id>), got {value[:60]!r}")
        raise ExtractorError(f"{src.path}:{line}: column {c.name} ({c.path}): expected base64 of UTF-8 text "
                             f"(an Attachment's data), got {value[:40]!r}")
    counts = ", ".join(f"count({quote_ident(c.name)})" for c in columns)
    total, *filled = con.execute(f"SELECT count(*), {counts} FROM ({raw})").fetchall()[0]
    for c, n in zip(columns, filled, strict=True):
        if total and not n:
            raise ExtractorError(f"{src.path}: column {c.name}: no line has {c.path or c.name} (FHIR names are "
                                 "case-sensitive: check the path, or leave the column out)")


def dummy_sql(columns: tuple[Column, ...], resource: str, frame: str) -> str:
    """A SELECT turning the flat dummy frame back into resources, one nested struct per row (for COPY … FORMAT
    json): each column's value at its path, a reference as `Resource/id`."""
    tree: dict = {}
    for c in columns:
        node = tree
        parts = (c.path or c.name).split(".")
        value = quote_ident(c.name)
        if c.role == "document_key" and (c.reference or (c.path or c.name) == "id"):
            value = f"regexp_extract({value}, '[^/]+$')"  # the dummy key's own id (keys are read as Type/id)
        if c.reference:
            value = f"{quote_literal(c.reference + '/')} || {value}"
        elif is_attachment(c):
            value = f"to_base64(encode({value}))"
        for i, part in enumerate(parts):
            name, _, index = part.partition("[")
            leaf = i == len(parts) - 1
            if index:
                slots = node.setdefault(name, {"[]": {}})["[]"]
                node = slots.setdefault(int(index.rstrip("]")), {})
                if leaf:
                    node["="] = value
            elif leaf:
                node[name] = value
            else:
                node = node.setdefault(name, {})
    return f"SELECT unnest({_struct({'resourceType': quote_literal(resource), **tree})}) FROM {frame}"


def _struct(node: dict | str) -> str:
    if isinstance(node, str):
        return node
    if "=" in node:
        return node["="]
    if "[]" in node:
        slots = node["[]"]
        return "[" + ", ".join(_struct(slots[i]) if i in slots else "NULL" for i in range(max(slots) + 1)) + "]"
    return "{" + ", ".join(f"{quote_literal(k)}: {_struct(v)}" for k, v in node.items()) + "}"
