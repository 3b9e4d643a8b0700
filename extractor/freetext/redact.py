"""Operators: replace what detect.py found, with an entity tag or with the record subject's pseudonym.

Detection and replacement are separate (as in presidio-anonymizer). Overlapping finds are merged,
the surer one naming the span. A mention of the record's own subject (their name in any inflected
form, or their identity code, phone or e-mail) becomes `<pseudonym>` — the same keyed pseudonym their
rows carry in this project — so a researcher can tell "the client" from "someone else" and nothing more.
"""

from __future__ import annotations

import re

import polars as pl

from extractor.freetext.name_forms import base_forms

TAGS = {
    "FI_PERSONAL_IDENTITY_CODE": "<HENKILÖTUNNUS>",
    "FI_BUSINESS_ID": "<Y-TUNNUS>",
    "PHONE_NUMBER": "<PUHELINNUMERO>",
    "EMAIL_ADDRESS": "<SÄHKÖPOSTI>",
    "IBAN_CODE": "<TILINUMERO>",
    "PERSON": "<NIMI>",
    "FI_ADDRESS": "<OSOITE>",
    "FI_POSTAL_CODE": "<POSTINUMERO>",
}
_COMPACT = re.compile(r"[\s\-().]")
IDENTIFIER_SEPARATOR = "\x1f"  # between a subject's direct identifiers (protect_text.py joins them with chr(31))


_ROW = 1 << 32  # above any character offset: row * _ROW + end orders by row first, then by end


def merge_overlaps(spans: pl.DataFrame) -> pl.DataFrame:
    """One span per overlapping cluster in each row: the union of their extents, the best-scored entity.

    Spans sorted by row and start; a span opens a cluster when it is a row's first or starts at or after the
    furthest end of the row's spans before it. That furthest end is a running maximum over the whole column of
    row * _ROW + end, which a row's own spans dominate: no window per row (Polars partitions by every row, thirty
    times the cost with a span or two a note)."""
    if spans.is_empty():
        return spans
    ordered = spans.sort("row", "start", pl.col("end"), descending=[False, False, True])
    row = pl.col("row").cast(pl.Int64)
    reach = (row * _ROW + pl.col("end")).cum_max()
    opens = ((row != row.shift(1)) | (pl.col("start") >= reach.shift(1) - row * _ROW)).fill_null(True)
    return (ordered.with_columns(opens.cum_sum().alias("cluster"))
            .group_by("cluster", maintain_order=True)
            .agg(pl.col("row").first(), pl.col("start").min(), pl.col("end").max(),
                 pl.col("entity").sort_by("score").last(), pl.col("score").max())
            .drop("cluster"))


def _compact(value: str) -> str:
    return _COMPACT.sub("", value).lower()


def subject_tokens(identifiers: str | None) -> frozenset[str]:
    """The words and compacted values by which a record's subject could be named in a note."""
    if not identifiers:
        return frozenset()
    words = {w.lower() for w in re.findall(r"[^\W\d_]{2,}", identifiers)}
    values = {_compact(v) for v in identifiers.split(IDENTIFIER_SEPARATOR) if v}
    return frozenset(words | values)


def names_subject(text: str, entity: str, tokens: frozenset[str]) -> bool:
    if not tokens:
        return False
    if entity == "PERSON":
        return any(form in tokens for word in re.split(r"[\s\-]+", text) if word
                   for form in base_forms(word.lower()))
    return _compact(text) in tokens


def redact(texts: pl.Series, spans: pl.DataFrame, subjects: pl.DataFrame | None = None) -> pl.Series:
    """Texts with every span replaced. `subjects` (row, identifiers, pseudonym) switches on subject pseudonyms:
    identifiers is the subject's direct identifiers joined by IDENTIFIER_SEPARATOR."""
    merged = merge_overlaps(spans)
    if merged.is_empty():
        return texts
    found = merged.join(pl.DataFrame({"text": texts}).with_row_index("row"), on="row").sort("row", "start")
    found = found.with_columns(pl.when(pl.col("row") == pl.col("row").shift(1)).then(pl.col("end").shift(1))
                               .otherwise(0).alias("prev"),  # where the span before in the row ended
                               pl.col("entity").replace_strict(TAGS, return_dtype=pl.String).alias("by"))
    if subjects is not None:
        found = found.join(subjects.select("row", "identifiers", "pseudonym"), on="row", how="left")
        mentions = found["text"].str.slice(found["start"], found["end"] - found["start"])
        tokens: dict[str | None, frozenset[str]] = {}
        own = [p is not None and names_subject(m, e, tokens.setdefault(i, subject_tokens(i)))
               for m, e, i, p in zip(mentions, found["entity"], found["identifiers"], found["pseudonym"], strict=True)]
        found = found.with_columns(pl.when(pl.Series(own)).then(pl.format("<{}>", "pseudonym"))
                                   .otherwise(pl.col("by")).alias("by"))
    # Each span contributes the text since the previous span and its replacement; the row adds its tail.
    rebuilt = found.group_by("row", maintain_order=True).agg(
        pl.concat_str(pl.col("text").str.slice(pl.col("prev"), pl.col("start") - pl.col("prev")), "by")
        .str.join("").alias("body"),
        pl.col("text").first().str.slice(pl.col("end").last()).alias("tail"))
    return texts.cast(pl.String).clone().scatter(rebuilt["row"], rebuilt["body"] + rebuilt["tail"])
