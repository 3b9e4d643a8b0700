"""The hand-written evaluation corpus: it parses, its marks are sound, and the scorer counts correctly."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from extractor.freetext.evaluation import load_annotated, parse_line, scores

CORPUS = Path(__file__).parent / "fixtures" / "freetext_corpus"


def test_corpus_has_every_language_and_label() -> None:
    notes, gold = load_annotated(sorted(CORPUS.glob("notes_*.txt")))
    assert notes.height >= 300
    assert set(notes["lang"]) == {"fi", "sv", "en"}
    assert set(gold["entity"]) == {"PERSON", "FI_PERSONAL_IDENTITY_CODE", "PHONE_NUMBER", "EMAIL_ADDRESS",
                                   "FI_ADDRESS", "FI_POSTAL_CODE", "IBAN_CODE", "FI_BUSINESS_ID"}
    texts = notes["note"].to_list()
    for row, start, end, _ in gold.iter_rows():
        span = texts[row][start:end]
        assert span == span.strip() and span, (row, span)


def test_marks_become_offsets() -> None:
    plain, spans = parse_line("Soitin [matti virtaselle|PER], puh [040 123 4567|TEL].", "x")
    assert plain == "Soitin matti virtaselle, puh 040 123 4567."
    assert [(plain[s:e], ent) for s, e, ent in spans] == [("matti virtaselle", "PERSON"),
                                                          ("040 123 4567", "PHONE_NUMBER")]
    with pytest.raises(ValueError, match="unknown tag 'NAME'"):
        parse_line("[Matti|NAME]", "f:1")


def test_scores_count_overlaps_per_label() -> None:
    gold = pl.DataFrame({"row": [0, 0, 1], "start": [0, 10, 0], "end": [5, 15, 4],
                         "entity": ["PERSON", "PERSON", "PHONE_NUMBER"]})
    pred = pl.DataFrame({"row": [0, 0, 1], "start": [2, 30, 0], "end": [8, 35, 4],
                         "entity": ["PERSON", "PERSON", "PERSON"]})
    table = scores(pred, gold)
    assert table["PERSON"] == {"precision": 0.3333, "recall": 0.5, "f1": 0.4, "support": 2, "found": 3}
    assert table["PHONE_NUMBER"] == {"precision": None, "recall": 0.0, "f1": None, "support": 1, "found": 0}
