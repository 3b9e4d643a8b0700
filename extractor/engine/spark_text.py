"""Free-text columns on Spark: each partition's notes de-identified where they lie (mapInPandas).

The same functions as protect/text.py (detect_with_languages, redact, protect_dates) run on each batch of
rows in Spark's Python workers, so a note comes out the same whichever engine read it: everything they
do is per note. Each row also reports what was done to it (its language, the entities found, whether it
changed, the dates moved), which Spark sums into the DPO's Redaction records.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

import polars as pl

from extractor.config.catalog import Table
from extractor.config.load import RunConfig
from extractor.engine.spark_connection import SparkConnection, flat_name, quoted
from extractor.freetext.morphology import analyser_name
from extractor.sql import quote_ident

if TYPE_CHECKING:
    import pandas as pd

    from extractor.protect.text import Redaction


def _batch_redactor(columns: list[str], use_subjects: bool, dates_mode: str, use_shift: bool, second):  # noqa: ANN001
    """The function each worker runs on its batches (a closure: only settings, no key)."""

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        from extractor.freetext.dates import protect_dates
        from extractor.freetext.detect import detect_with_languages
        from extractor.freetext.redact import merge_overlaps, redact

        for pdf in batches:
            frame = pl.from_pandas(pdf)
            n = frame.height
            subjects = None
            if use_subjects:
                subjects = frame.select(pl.int_range(n, dtype=pl.UInt32).alias("row"), "identifiers", "pseudonym") \
                    .filter(pl.col("pseudonym").is_not_null())
            shifts = frame["shift"].cast(pl.Int64) if use_shift else None
            out: dict[str, pl.Series | list] = {"_r": frame["_r"]}
            for col in columns:
                texts = frame[col].cast(pl.String)
                spans, languages = detect_with_languages(texts, processes=1, second=second)
                out[col], dates = protect_dates(redact(texts, spans, subjects), dates_mode, shifts, languages)
                merged = merge_overlaps(spans)
                entities = [[] for _ in range(n)]
                for row, entity in zip(merged["row"].to_list(), merged["entity"].to_list(), strict=True):
                    entities[row].append(entity)
                out[f"__lang_{col}"] = languages.set(texts.is_null(), None)  # type: ignore[arg-type]
                out[f"__ent_{col}"] = entities
                out[f"__dates_{col}"] = [dates] + [0] * (n - 1) if n else []
            yield pl.DataFrame(out).to_pandas()

    return run


def redact_columns(con: SparkConnection, cfg: RunConfig, table: Table, columns: list[str],
                   person_map: str | None, subjects_sql: str | None) -> tuple[str, str, list[Redaction]]:
    """Returns (rows view, redacted view, records), both keyed by _r, as protect/text.py does."""
    from pyspark.sql import functions as F

    from extractor.protect.text import Redaction

    rows, redacted = f"ft_rows_{table.name}", f"ft_text_{table.name}"
    con.materialise(rows, con.spark.table(quoted(flat_name("elig", table.name))).select(
        F.monotonically_increasing_id().alias("_r"), "*"))
    mode, person = cfg.request.free_text_subject, table.one_with_role("person_key")
    use_subjects = bool(mode == "pseudonym" and person and person_map and subjects_sql)
    use_shift = bool(cfg.request.dates_in_notes == "shift" and person and person_map)
    picked = ", ".join(f"f.{quote_ident(c)}" for c in columns)
    joins, extra = [], []
    if use_subjects:
        joins.append(f"LEFT JOIN ({subjects_sql}) s ON s.row = f._r")
        extra += ["s.identifiers", "s.pseudonym"]
    if use_shift:
        joins.append(f"LEFT JOIN {person_map} m ON m.v = CAST(f.{quote_ident(person or '')} AS VARCHAR)")
        extra.append("CAST(m.shift AS BIGINT) AS shift")
    source = con.frame(f"SELECT f._r, {', '.join([picked, *extra])} FROM {quote_ident(rows)} f {' '.join(joins)}")
    schema = ", ".join(["_r BIGINT"] + [f"{quoted(c)} STRING, {quoted('__lang_' + c)} STRING, "
                                        f"{quoted('__ent_' + c)} ARRAY<STRING>, {quoted('__dates_' + c)} BIGINT"
                                        for c in columns])
    t0 = time.perf_counter()
    from extractor.protect.text import second_line, second_line_label

    result = source.mapInPandas(_batch_redactor(columns, use_subjects, cfg.request.dates_in_notes, use_shift,
                                                second_line(cfg)), schema)
    con.materialise(f"{redacted}__all", result)
    seconds = (time.perf_counter() - t0) / max(1, len(columns))
    con.materialise(redacted, con.spark.table(quoted(f"{redacted}__all")).select("_r", *columns))
    records = []
    for col in columns:
        c, lang, ent, dates = (quoted(x) for x in (col, f"__lang_{col}", f"__ent_{col}", f"__dates_{col}"))
        texts, distinct = con.spark.sql(f"SELECT count({c}), count(DISTINCT {c}) FROM {quoted(rows)}").first()
        changed, moved = con.spark.sql(f"SELECT count_if(size({ent}) > 0), coalesce(sum({dates}), 0) "
                                       f"FROM {quoted(redacted + '__all')}").first()
        entities = {r[0]: r[1] for r in con.spark.sql(
            f"SELECT e, count(*) FROM (SELECT explode({ent}) AS e FROM {quoted(redacted + '__all')}) "
            "GROUP BY e ORDER BY e").collect()}
        languages = {r[0]: r[1] for r in con.spark.sql(
            f"SELECT {lang}, count(*) FROM {quoted(redacted + '__all')} WHERE {lang} IS NOT NULL "
            "GROUP BY 1 ORDER BY 1").collect()}
        records.append(Redaction(table.name, col, mode, texts=texts, distinct=distinct, changed=changed,
                                 entities=entities, seconds=seconds, languages=languages, analyser=analyser_name(),
                                 dates=moved, dates_mode=cfg.request.dates_in_notes,
                                 second_line=second_line_label(cfg)))
    return rows, redacted, records
