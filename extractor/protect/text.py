"""Free-text columns for the sandbox: every note de-identified before a query can read it.

A free-text column reaches the query only when the request names it in [variables]; it is then
replaced by its redacted form (freetext/detect.py finds, freetext/redact.py replaces). With
`free_text_subject = "pseudonym"`, a mention of the row's own subject becomes that person's project
pseudonym — the one in their person-key column — found by comparing the mention with the subject's
direct identifiers (names, identity code, phone, e-mail) from the catalog's tables.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import duckdb
import polars as pl

from extractor.config.catalog import Table
from extractor.config.load import RunConfig
from extractor.engine import is_spark
from extractor.sql import quote_ident

if TYPE_CHECKING:
    from extractor.freetext.names import SecondLine

SEPARATOR = "chr(31)"  # redact.IDENTIFIER_SEPARATOR, in SQL


@dataclass
class Redaction:
    """What the redaction of one column did, for the DPO's review report."""

    table: str
    column: str
    mode: str  # "tag" or "pseudonym"
    texts: int = 0
    distinct: int = 0
    changed: int = 0
    entities: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    languages: dict[str, int] = field(default_factory=dict)  # texts per detected language (fi, sv, en)
    dates: int = 0  # dates written in the texts that were shifted or generalised
    dates_mode: str = "keep"  # "shift" (the person's own offset), "month" or "keep"
    analyser: str = ""  # what read Finnish inflection: Voikko, or suffix rules where it is not installed
    second_line: str = ""  # the second line of defence: on, with which dictionaries, or off (and why)


def second_line(cfg: RunConfig) -> SecondLine:
    """The policy's choice for words no dictionary knows, with the controller's own safe terms."""
    from extractor.freetext.names import SecondLine

    free = cfg.policy.free_text
    return SecondLine(free.unknown_words == "redact", frozenset(t.lower() for t in free.allow_terms))


def second_line_label(cfg: RunConfig) -> str:
    """What the review report says about the second line of defence."""
    if cfg.policy.free_text.unknown_words != "redact":
        return "off (the policy keeps words no dictionary knows: unknown_words = \"keep\")"
    from extractor.freetext import dictionary

    missing = [lang for lang in ("fi", "sv", "en") if not dictionary.available(lang)]
    return "on" + (f", except for {', '.join(missing)} (no dictionary installed here)" if missing else "")


def _subject_identifiers(cfg: RunConfig) -> str | None:
    """SQL: (v, ids) — each person key with their direct identifiers joined by \\x1f, from every table."""
    parts = []
    for t in cfg.catalog.tables.values():
        person, ids = t.one_with_role("person_key"), t.with_role("direct_identifier")
        if person and ids:
            values = ", ".join(f"CAST({quote_ident(c)} AS VARCHAR)" for c in ids)
            parts.append(f"SELECT CAST({quote_ident(person)} AS VARCHAR) AS v, concat_ws({SEPARATOR}, {values}) "
                         f"AS ids FROM raw.{quote_ident(t.name)}")
    return " UNION ALL ".join(parts) or None


def _subjects_sql(cfg: RunConfig, table: Table, rows: str, person_map: str | None) -> str | None:
    """(row, identifiers, pseudonym) of each row whose subject is known, when mentions of the subject become
    their pseudonym; None otherwise."""
    person, ids_sql = table.one_with_role("person_key"), _subject_identifiers(cfg)
    if cfg.request.free_text_subject != "pseudonym" or not (person and person_map and ids_sql):
        return None
    return (f"SELECT CAST(f._r AS BIGINT) AS row, string_agg(i.ids, {SEPARATOR}) AS identifiers, m.p AS pseudonym "
            f"FROM {quote_ident(rows)} f JOIN {person_map} m ON m.v = CAST(f.{quote_ident(person)} AS VARCHAR) "
            f"LEFT JOIN ({ids_sql}) i ON i.v = m.v GROUP BY f._r, m.p")


def redact_columns(con: duckdb.DuckDBPyConnection, cfg: RunConfig, table: Table, columns: list[str],
                   person_map: str | None, threads: int = 2) -> tuple[str, str, list[Redaction]]:
    """Returns (rows table, redacted table, records): both keyed by _r, the row's position (on Spark a
    row id: the notes are de-identified in Spark's workers, engine/spark_text.py)."""
    # presidio and spaCy are loaded here, when a request asks for notes, not by every run
    from extractor.freetext.dates import protect_dates
    from extractor.freetext.detect import detect_with_languages
    from extractor.freetext.morphology import analyser_name
    from extractor.freetext.redact import merge_overlaps, redact

    rows, redacted = f"ft_rows_{table.name}", f"ft_text_{table.name}"
    if is_spark(con):
        from extractor.engine import spark_text

        return spark_text.redact_columns(con, cfg, table, columns, person_map,
                                         _subjects_sql(cfg, table, rows, person_map))
    con.execute(f"CREATE OR REPLACE TEMP TABLE {quote_ident(rows)} AS "
                f"SELECT row_number() OVER () - 1 AS _r, * FROM elig.{quote_ident(table.name)}")
    frame = con.sql(f"SELECT _r, {', '.join(quote_ident(c) for c in columns)} FROM {quote_ident(rows)} "
                    "ORDER BY _r").pl()
    mode = cfg.request.free_text_subject
    person = table.one_with_role("person_key")
    subjects = None
    subjects_sql = _subjects_sql(cfg, table, rows, person_map)
    if subjects_sql:
        subjects = con.sql(subjects_sql).pl().with_columns(pl.col("row").cast(pl.UInt32))
    shifts = None
    if cfg.request.dates_in_notes == "shift" and person and person_map:
        shifts = con.sql(f"SELECT CAST(m.shift AS BIGINT) AS shift FROM {quote_ident(rows)} f LEFT JOIN {person_map} m "
                         f"ON m.v = CAST(f.{quote_ident(person)} AS VARCHAR) ORDER BY f._r").pl()["shift"]
    records, out = [], {"_r": frame["_r"]}
    for col in columns:
        t0 = time.perf_counter()
        spans, languages = detect_with_languages(frame[col], processes=threads, second=second_line(cfg))
        out[col], dates = protect_dates(redact(frame[col], spans, subjects), cfg.request.dates_in_notes, shifts,
                                        languages)
        merged = merge_overlaps(spans)
        records.append(Redaction(
            table.name, col, mode, texts=frame[col].drop_nulls().len(), distinct=frame[col].drop_nulls().n_unique(),
            changed=merged["row"].n_unique() if merged.height else 0,
            entities=dict(sorted(merged.group_by("entity").len().iter_rows())) if merged.height else {},
            seconds=time.perf_counter() - t0,
            languages=dict(sorted(languages.filter(frame[col].is_not_null()).value_counts().iter_rows())),
            analyser=analyser_name(), dates=dates, dates_mode=cfg.request.dates_in_notes,
            second_line=second_line_label(cfg)))
    con.register("ft_frame", pl.DataFrame(out))
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {quote_ident(redacted)} AS SELECT * FROM ft_frame")
    finally:
        con.unregister("ft_frame")
    return rows, redacted, records
