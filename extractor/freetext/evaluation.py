"""Score a de-identifier against annotated notes: per-label precision, recall and F1.

Annotated notes are plain text files, one note per line as LANG<TAB>TEXT, each identifier written in
place as [text|TAG] (tags in TAGS); lines starting with '#' are comments. A DPO can annotate a sample of
their own notes this way and score the tool on them. A found span counts when it overlaps an annotated
span of the same entity in the same note (lenient matching, as in the i2b2 de-identification scoring).
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

TAGS = {"PER": "PERSON", "HETU": "FI_PERSONAL_IDENTITY_CODE", "TEL": "PHONE_NUMBER", "EMAIL": "EMAIL_ADDRESS",
        "ADDR": "FI_ADDRESS", "POST": "FI_POSTAL_CODE", "IBAN": "IBAN_CODE", "YT": "FI_BUSINESS_ID"}
_MARK = re.compile(r"\[([^\[\]|]+)\|([A-Z]+)\]")
SPAN_SCHEMA = {"row": pl.UInt32, "start": pl.Int32, "end": pl.Int32, "entity": pl.String}


def parse_line(text: str, where: str) -> tuple[str, list[tuple[int, int, str]]]:
    """The note without its marks, and its spans (start, end, entity) in characters."""
    out, spans, at = [], [], 0
    for m in _MARK.finditer(text):
        if m.group(2) not in TAGS:
            raise ValueError(f"{where}: unknown tag {m.group(2)!r}, expected one of {', '.join(TAGS)}")
        out.append(text[at:m.start()])
        start = sum(len(p) for p in out)
        out.append(m.group(1))
        spans.append((start, start + len(m.group(1)), TAGS[m.group(2)]))
        at = m.end()
    out.append(text[at:])
    plain = "".join(out)
    if "[" in plain and "|" in plain:
        raise ValueError(f"{where}: a mark is not closed: {text!r}")
    return plain, spans


def load_annotated(paths: list[Path]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(notes: row, lang, note; spans: row, start, end, entity) from annotated files."""
    notes, spans = [], []
    for path in paths:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip() or line.startswith("#"):
                continue
            lang, _, text = line.partition("\t")
            plain, found = parse_line(text, f"{path}:{number}")
            row = len(notes)
            notes.append((row, lang, plain))
            spans += [(row, s, e, ent) for s, e, ent in found]
    return (pl.DataFrame(notes, schema={"row": pl.UInt32, "lang": pl.String, "note": pl.String}, orient="row"),
            pl.DataFrame(spans, schema=SPAN_SCHEMA, orient="row"))


def _matched(a: pl.DataFrame, b: pl.DataFrame) -> pl.DataFrame:
    """Spans of `a` that overlap a span of `b` with the same entity in the same row."""
    return a.join(b, on=["row", "entity"], suffix="_b").filter(
        (pl.col("start") < pl.col("end_b")) & (pl.col("start_b") < pl.col("end"))).select(
        "row", "start", "entity").unique()


def scores(pred: pl.DataFrame, gold: pl.DataFrame) -> dict[str, dict[str, float | int | None]]:
    """entity -> {precision, recall, f1, support (annotated), found (predicted)}."""
    pred, gold = pred.select(list(SPAN_SCHEMA)).cast(SPAN_SCHEMA), gold.select(list(SPAN_SCHEMA)).cast(SPAN_SCHEMA)
    hit_p, hit_g = _matched(pred, gold), _matched(gold, pred)
    out: dict[str, dict[str, float | int | None]] = {}
    for e in sorted(set(gold["entity"]) | set(pred["entity"])):
        p, g = pred.filter(pl.col("entity") == e).height, gold.filter(pl.col("entity") == e).height
        precision = hit_p.filter(pl.col("entity") == e).height / p if p else None
        recall = hit_g.filter(pl.col("entity") == e).height / g if g else None
        f1 = 2 * precision * recall / (precision + recall) if precision and recall else None
        out[e] = {"precision": None if precision is None else round(precision, 4),
                  "recall": None if recall is None else round(recall, 4),
                  "f1": None if f1 is None else round(f1, 4), "support": g, "found": p}
    return out


QUALITY_FILE = ("data", "freetext_quality.json")  # shipped: what the review report states as residual risk


def measure(paths: list[Path], second: object | None = None) -> dict:
    """Per-label scores of the de-identifier on annotated notes, with what was measured (for the report)."""
    from extractor.freetext.detect import detect

    notes, gold = load_annotated(paths)
    kwargs = {} if second is None else {"second": second}
    spans = detect(notes["note"], processes=1, languages=notes["lang"], **kwargs)
    return {"notes": notes.height, "languages": dict(sorted(notes.group_by("lang").len().iter_rows())),
            "names": gold.filter(pl.col("entity") == "PERSON").height, "scores": scores(spans, gold)}


def shipped_quality() -> dict | None:
    """The scores measured on the hand-written corpus when this version was built (None if not shipped)."""
    import json

    from extractor.shipped import shipped

    path = shipped(*QUALITY_FILE)
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
