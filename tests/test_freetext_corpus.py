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


def test_the_shipped_quality_figures_are_the_corpus_scores_of_this_code() -> None:
    """The review report states these figures as the residual risk: they must be this version's own."""
    from extractor.freetext.evaluation import measure, shipped_quality

    shipped = shipped_quality()
    assert shipped is not None, "run scripts/measure_freetext_quality.py"
    measured = measure(sorted(CORPUS.glob("notes_*.txt")))
    assert shipped["scores"] == measured["scores"], "stale: run scripts/measure_freetext_quality.py"
    assert shipped["scores"]["PERSON"]["recall"] >= 0.99 and shipped["scores"]["PERSON"]["precision"] >= 0.95


def test_the_second_line_removes_names_no_list_has_and_keeps_words_every_dictionary_has() -> None:
    import polars as pl

    from extractor.freetext.detect import detect
    from extractor.freetext.names import SecondLine

    notes = pl.Series(["Tulkkina toimi Zxqwerty Blorvik, joka puhuu somalia.",  # no list has these names
                       "Klienten Zxqwerty Blorviks mamma ringde.",
                       "Asiakas kävi apteekissa ja haki lääkkeet."])
    on = detect(notes, processes=1, languages=pl.Series(["fi", "sv", "fi"]))
    off = detect(notes, processes=1, languages=pl.Series(["fi", "sv", "fi"]), second=SecondLine(False))
    found = {(r, notes[r][s:e]) for r, s, e, ent in on.select("row", "start", "end", "entity").iter_rows()}
    assert {(0, "Zxqwerty"), (0, "Blorvik"), (1, "Zxqwerty")} <= found | {(0, "Zxqwerty Blorvik")}
    assert not any(r == 2 for r, _ in found)  # every word known: nothing removed
    assert off.filter(pl.col("row") == 0).is_empty()


def test_a_controllers_own_terms_are_kept() -> None:
    import polars as pl

    from extractor.freetext.detect import detect
    from extractor.freetext.names import SecondLine

    notes = pl.Series(["Asiakas ohjattiin Qwlixiaan ja Zorbatechille."])
    assert not detect(notes, processes=1, languages=pl.Series(["fi"])).is_empty()
    kept = detect(notes, processes=1, languages=pl.Series(["fi"]),
                  second=SecondLine(True, frozenset({"qwlixia", "zorbatech"})))
    assert kept.is_empty()
