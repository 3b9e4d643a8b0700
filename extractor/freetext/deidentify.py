"""`extractor deidentify`: remove identifiers from one text column of a CSV, Parquet or JSONL file.

The same detection and replacement as a run's free-text columns (detect.py, redact.py), offered on its
own so that a data protection officer can see on any file what would be removed, and a controller can
de-identify a text export outside a request. Offsets in the spans file are characters of the original
text. Nothing is written unless the whole file was read and processed: the output appears at once.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from extractor.errors import ExtractorError
from extractor.freetext.dates import protect_dates
from extractor.freetext.detect import detect_with_languages
from extractor.freetext.language import LANGUAGES
from extractor.freetext.morphology import analyser_name
from extractor.freetext.names import SECOND_LINE_ON, SecondLine
from extractor.freetext.redact import redact

FORMATS = {".csv": "CSV", ".parquet": "Parquet", ".jsonl": "JSONL", ".ndjson": "JSONL"}


@dataclass
class Deidentified:
    texts: pl.Series  # the column with every identifier replaced by its tag
    spans: pl.DataFrame  # row, start, end, entity, score (offsets into the original texts)
    languages: dict[str, int] = field(default_factory=dict)  # notes per detected language
    analyser: str = ""  # what read Finnish inflection (Voikko or suffix rules)
    dates: int = 0  # dates written in the texts generalised to their month (dates="month")


def deidentify(texts: pl.Series, language: str = "auto", processes: int | None = None,
                second: SecondLine = SECOND_LINE_ON, dates: str = "month") -> Deidentified:
    """Find and replace identifiers in `texts` (fi/sv/en notes). `language`: auto or fi, sv, en; `second`:
    the second line of defence (words no dictionary knows removed as possible names), on by default; `dates`:
    each date the texts write generalised to its month (as a request's notes are by default) or kept."""
    if language != "auto" and language not in LANGUAGES:
        raise ExtractorError(f"--lang {language!r}: expected auto, {', '.join(LANGUAGES)}")
    if dates not in ("month", "keep"):
        raise ExtractorError(f"--dates {dates!r}: expected month or keep")
    texts = texts.cast(pl.String)
    spans, languages = detect_with_languages(texts, processes, language, second=second)
    counts = languages.filter(texts.is_not_null()).value_counts()
    redacted, changed = protect_dates(redact(texts, spans), dates, languages=languages)
    return Deidentified(redacted, spans, dict(counts.iter_rows()), analyser_name(), changed)


def read_text_csv(path: Path) -> pl.DataFrame:
    """A CSV as exports come: UTF-8 (a byte-order mark or not) or Windows-1252 (Finnish Excel), separated by
    commas, semicolons or tabs (whichever the header line holds most of); every column read as text."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("cp1252")
        except UnicodeDecodeError:
            raise ExtractorError(f"{path}: not a readable CSV file: expected UTF-8 or Windows-1252 text") from None
    header = text.split("\n", 1)[0]
    separator = max((",", ";", "\t"), key=header.count)
    return pl.read_csv(text.encode("utf-8"), separator=separator, infer_schema=False)


def _read(path: Path) -> pl.DataFrame:
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise ExtractorError(f"{path}: expected a .csv, .parquet or .jsonl file")
    if not path.is_file():
        raise ExtractorError(f"{path}: file not found")
    try:
        if kind == "CSV":
            return read_text_csv(path)
        if kind == "Parquet":
            return pl.read_parquet(path)
        return pl.read_ndjson(path)
    except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ExtractorError(f"{path}: not a readable {kind} file: {first}") from None


def _write(frame: pl.DataFrame, path: Path) -> None:
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise ExtractorError(f"{path}: expected a .csv, .parquet or .jsonl output file")
    tmp = path.with_name(f".{path.name}.partial")
    try:
        if kind == "CSV":
            frame.write_csv(tmp)
        elif kind == "Parquet":
            frame.write_parquet(tmp)
        else:
            frame.write_ndjson(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def deidentify_file(source: Path, column: str, target: Path, spans_path: Path | None = None,
                    language: str = "auto", second: SecondLine = SECOND_LINE_ON, dates: str = "month"
                    ) -> Deidentified:
    """Read `source`, replace identifiers in `column`, write every column to `target` (and the spans)."""
    for path in (target, spans_path):
        if path is not None and path.resolve() == source.resolve():
            raise ExtractorError(f"{path}: would overwrite the input; choose another output")
        if path is not None and not path.parent.is_dir():
            raise ExtractorError(f"{path.parent}: output folder not found")
    if spans_path is not None and spans_path.suffix.lower() not in (".jsonl", ".ndjson"):
        raise ExtractorError(f"{spans_path}: expected a .jsonl spans file")
    frame = _read(source)
    if column not in frame.columns:
        listed = ", ".join(frame.columns[:20])
        raise ExtractorError(f"{source}: no column {column!r}; the columns are {listed}")
    if frame.schema[column] not in (pl.String, pl.Null):
        raise ExtractorError(f"{source}: column {column!r} is {frame.schema[column]}, expected text")
    result = deidentify(frame[column], language, second=second, dates=dates)
    if spans_path is not None:
        lines = [json.dumps(r, ensure_ascii=False) for r in result.spans.select(
            "row", "start", "end", "entity", pl.col("score").round(3)).iter_rows(named=True)]
        tmp = spans_path.with_name(f".{spans_path.name}.partial")
        tmp.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        _write(frame.with_columns(result.texts.alias(column)), target)
        os.replace(tmp, spans_path)
    else:
        _write(frame.with_columns(result.texts.alias(column)), target)
    return result
