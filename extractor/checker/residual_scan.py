"""The output checker's scan for direct identifiers left in any file that would be released.

Every cell of a CSV or Parquet file and the visible text of an HTML or text file is searched for
identity codes, phone numbers, e-mail addresses, bank accounts, street addresses, person names (only
where the evidence is strong: a first name with a surname, a kinship word with a first name) and
pseudonym-like hex strings, by the checker's own patterns (identifiers.py), not the pipeline's detector.
Postal codes and business IDs are not direct identifiers of a person and may be released.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import polars as pl

from extractor.checker.identifiers import KINDS, find

HEX = r"(?i)\b[0-9a-f]{32,64}\b"  # a pseudonym, upper-cased or not
SUBJECT_TAG = r"<([0-9a-f]{32})>"


def scan_cells(name: str, columns: dict[str, pl.Series]) -> list[str]:
    """One finding per column and kind of identifier, naming the first row that holds it."""
    cells = pl.concat([pl.DataFrame({"column": pl.Series([col] * s.len(), dtype=pl.String),
                                     "line": pl.int_range(0, s.len(), eager=True, dtype=pl.Int64),
                                     "value": s.cast(pl.String)}) for col, s in columns.items()]) \
        if columns else pl.DataFrame(schema={"column": pl.String, "line": pl.Int64, "value": pl.String})
    cells = cells.drop_nulls("value").with_row_index("row")
    hits = cells.join(find(cells["value"]), on="row")
    findings: list[str] = []
    for kind, what in KINDS.items():
        found = hits.filter(pl.col("kind") == kind)
        for col, first in found.group_by("column", maintain_order=True).agg(pl.col("line").min()).iter_rows():
            findings.append(f"{name}: column '{col}' line {first + 1} holds {what}")
    for col, first in cells.filter(pl.col("value").str.contains(HEX)).group_by(
            "column", maintain_order=True).agg(pl.col("line").min()).iter_rows():
        findings.append(f"{name}: column '{col}' line {first + 1} holds a pseudonym-like hex string")
    return findings


def scan_frame(name: str, df: pl.DataFrame, own_pseudonyms: list[str] = ()) -> list[str]:
    """Scan a table. In a pseudonymised-records file a note may name its own subject as `<pseudonym>`:
    allowed only when that is the row's own pseudonym (one of `own_pseudonyms` columns)."""
    findings: list[str] = []
    columns: dict[str, pl.Series] = {}
    for col in df.columns:
        if col in own_pseudonyms:
            continue
        values = df[col].cast(pl.String)
        if own_pseudonyms and values.str.contains(SUBJECT_TAG).any():
            tags = df.select(pl.col(col).cast(pl.String).str.extract_all(SUBJECT_TAG).alias("t"),
                             pl.concat_list([pl.col(p).cast(pl.String) for p in own_pseudonyms]).alias("own")
                             ).with_row_index("line").explode("t").drop_nulls("t").with_columns(
                pl.col("t").str.slice(1, 32))
            foreign = tags.filter(~pl.col("own").list.contains(pl.col("t")))
            if foreign.height:
                findings.append(f"{name}: column '{col}' line {foreign['line'][0] + 1} names someone by another "
                                "person's pseudonym")
            values = values.str.replace_all(SUBJECT_TAG, "<>")
        columns[col] = values
    return findings + scan_cells(name, columns)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.parts += [v for k, v in attrs if v and k in ("title", "alt", "href", "value", "content")]


def document_lines(path: Path) -> pl.Series:
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix.lower() in (".html", ".htm"):
        parser = _Text()
        parser.feed(text)
        text = "\n".join(parser.parts)
    return pl.Series(re.split(r"\n+", text), dtype=pl.String)


def scan_document(name: str, path: Path) -> list[str]:
    return scan_cells(name, {"text": document_lines(path)})
