"""The batch path's shortcuts give exactly what the plain path gives.

one_pass.py runs a note's recognizers without presidio's per-note pipeline; artifacts.py builds presidio's NLP
artifacts without spaCy's per-token objects; initials.may_sign decides
cheaply whether the signature pattern can match; TWO_INITIALS was rewritten so re scans for a capital
first. Each is held to its plain counterpart on the whole hand-written corpus and on generated text.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extractor.freetext.artifacts import artifacts
from extractor.freetext.detect import ENTITIES, MIN_SCORE, PERSON, candidate_entities, languages_of
from extractor.freetext.engine import analyzer
from extractor.freetext.initials import (
    INITIALS_BEFORE,
    SIGNATURE,
    SIGNED_BY,
    TWO_INITIALS,
    may_end_initials,
    may_sign,
)
from extractor.freetext.letters import word_pattern
from extractor.freetext.name_mentions import _NAME_THEN_ROLE, _ROLE_THEN_NAME, word_then_bracketed
from extractor.freetext.names import tokens
from extractor.freetext.one_pass import analyze_note, remembered_parses

CORPUS = Path(__file__).parent / "fixtures" / "freetext_corpus"
NOTES = [line for f in sorted(CORPUS.glob("notes_*.txt")) for line in f.read_text("utf-8").splitlines() if line]
# The pattern as first written, look-behind first: the reference for the rewritten one.
TWO_INITIALS_PLAIN = re.compile(r"(?<![\w.])[A-ZÅÄÖ]\.\s?[A-ZÅÄÖ]\.(?=\s|$|[,;:/)])(?!\s*Box)")
PIECES = ["M. K.", "A.B.", "P.O. Box 12", "/mk", "/ MK", "Kirj. PK", "kirjaaja: hj", " 4.5.2024", ", sos.tt",
          "ok.", "OK", " ", "\n", ". ", "! ", "?", "ab", "ABC", "abcd", "Åsa", "ö", "x.", "-", ":", "signed:",
          "Notes by", "1", "é", "\u2013", "\u2014", " \u2013 PK\n", "/", "15.7.\u201312.8.2026", "Y-tunnus", "- ok"]
text_of_pieces = st.lists(st.sampled_from(PIECES), max_size=14).map("".join)


def _plain(art) -> tuple:  # noqa: ANN001 - presidio's NlpArtifacts
    return ([str(t) for t in art.tokens], art.tokens_indices, art.lemmas, art.keywords, list(art.entities))


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_artifacts_equal_process_text_on_every_corpus_note(language: str) -> None:
    nlp = analyzer().nlp_engine
    differ = [n[:60] for n in NOTES if _plain(artifacts(nlp, n, language)) != _plain(nlp.process_text(n, language))]
    assert len(NOTES) > 600 and differ == []


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80) | text_of_pieces, st.sampled_from(["fi", "sv", "en"]))
def test_artifacts_equal_process_text_on_any_text(text: str, language: str) -> None:
    nlp = analyzer().nlp_engine
    assert _plain(artifacts(nlp, text, language)) == _plain(nlp.process_text(text, language))


@settings(max_examples=400, deadline=None)
@given(text_of_pieces | st.text(alphabet="abMKÅö. /\n!:", max_size=40), st.integers(0, 30))
def test_signature_precheck_never_skips_a_match(text: str, tail: int) -> None:
    if list(SIGNATURE.finditer(text, tail)) or list(SIGNED_BY.finditer(text, tail)):
        assert may_sign(text, tail)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(["A.", "B. ", "K-L ", "K-L. ", "X.\n", " ", "Anna", "a", ".", "\n", "Ö. ", "é. ", "AB",
                                 "-", "\t", "J.K. ", "ab."]), max_size=8).map("".join))
def test_initials_precheck_never_skips_a_match(text: str) -> None:
    for start in range(len(text) + 1):
        m = INITIALS_BEFORE.search(text, max(0, start - 6), start)
        if m and m.end() == start:
            assert may_end_initials(text, start), (text, start)


def test_signature_precheck_skips_ordinary_endings() -> None:
    assert not may_sign("Asiakas tavattu kotona, vointi hyvä.", 0)
    assert may_sign("Asiakas tavattu kotona. mk", 0) and may_sign("Soitettu /mk\nSeuraava rivi", 0)
    assert not may_sign("Tuki ajalle 15.7.\u201312.8.2026.", 0) and not may_sign("Y-tunnus 1234567-8 tarkistettu.", 0)
    assert may_sign("Käyty kotona \u2013 PK", 0) and may_sign("Käyty kotona - pk.\n", 0)


@settings(max_examples=400, deadline=None)
@given(text_of_pieces | st.text(alphabet="ABÅK. ,x\n)Box", max_size=30))
def test_two_initials_rewrite_finds_what_the_plain_pattern_finds(text: str) -> None:
    assert [m.span() for m in TWO_INITIALS.finditer(text)] == [m.span() for m in TWO_INITIALS_PLAIN.finditer(text)]


def test_two_initials_on_the_corpus() -> None:
    assert [m.span() for n in NOTES for m in TWO_INITIALS.finditer(n)] == \
        [m.span() for n in NOTES for m in TWO_INITIALS_PLAIN.finditer(n)]


WORD_PIECES = ["a", "Ä", "-", "--", " ", "1", "_", "\U0001d400", "é", "e\u0301", "ab-cd", "x-", "-y", ".", "\n", "İ",
               "ab"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(WORD_PIECES), max_size=16).map("".join) | st.text(max_size=40))
def test_tokens_are_the_word_pattern_s_matches(text: str) -> None:
    assert tokens(text) == [(m.start(), m.end(), m.group()) for m in word_pattern(text).finditer(text)]


# The pairs as first written, each one pattern: the reference for reading the word back from its bracket.
ROLE_THEN_NAME_WHOLE = re.compile(r"(?<![\w-])([A-Za-zÅÄÖåäö]{3,30})\s*\(([A-Za-zÅÄÖåäö]{2,20})\)")
NAME_THEN_ROLE_WHOLE = re.compile(r"(?<![\w-])([A-ZÅÄÖ][a-zåäö]{1,20})\s*\(([a-zåäö]{3,30})\)")
BRACKET_PIECES = ["(", ")", " ", "  ", "\n", "\u2003", "\x1c", "\u0085", "Anna", "äiti", "tiimivastaavalle", "a" * 29,
                  "b" * 31, "k" * 20, "q" * 21, "X", "é", "-", "_", "1", "paula", "ÅÄÖ", "sosiaaliohjaaja"]


def _pairs(text: str) -> tuple[list, list]:
    return ([(w.span(1), b.span(1)) for w, b in word_then_bracketed(text, _ROLE_THEN_NAME)],
            [(w.span(1), b.span(1)) for w, b in word_then_bracketed(text, _NAME_THEN_ROLE)])


def _pairs_whole(text: str) -> tuple[list, list]:
    return ([(m.span(1), m.span(2)) for m in ROLE_THEN_NAME_WHOLE.finditer(text)],
            [(m.span(1), m.span(2)) for m in NAME_THEN_ROLE_WHOLE.finditer(text)])


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(BRACKET_PIECES), max_size=12).map("".join) | st.text(alphabet="aAå(). \n-_é",
                                                                                        max_size=40))
def test_a_word_before_a_bracketed_word_is_found_as_the_whole_pattern_finds_it(text: str) -> None:
    assert _pairs(text) == _pairs_whole(text)


def test_words_before_bracketed_words_and_tokens_on_the_corpus() -> None:
    assert [_pairs(n) for n in NOTES] == [_pairs_whole(n) for n in NOTES]
    assert sum(bool(a or b) for a, b in map(_pairs, NOTES)) > 10
    assert all(tokens(n) == [(m.start(), m.end(), m.group()) for m in word_pattern(n).finditer(n)] for n in NOTES)


def _by_analyze(text: str, entities: tuple[str, ...], language: str) -> list[tuple]:
    engine = analyzer()
    return sorted((r.start, r.end, r.entity_type, r.score) for r in engine.analyze(
        text, language=language, entities=list(entities), score_threshold=MIN_SCORE))


def test_one_pass_finds_what_analyze_finds_on_every_corpus_note() -> None:
    engine, texts = analyzer(), pl.Series(NOTES)
    entities = candidate_entities(texts).to_list()
    differ = [(n[:60], lang) for n, e, lang in zip(NOTES, entities, languages_of(texts).to_list(), strict=True)
              if sorted(analyze_note(engine, n, (*e, PERSON), lang, MIN_SCORE)) != _by_analyze(n, (*e, PERSON), lang)]
    assert sum(map(bool, entities)) > 100 and differ == []


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(PIECES + ["puh 040 123 4567", "hetu 131052-308T", "Y-tunnus 1572860-0", "Matti",
                                          "Virtasen", "Mannerheimintie 5 A 3", "00100 Helsinki", "a@b.fi", "tili"]),
                max_size=10).map(" ".join), st.sampled_from(["fi", "sv", "en"]))
def test_one_pass_finds_what_analyze_finds_on_any_text(text: str, language: str) -> None:
    entities = (*candidate_entities(pl.Series([text]))[0].to_list(), PERSON)
    assert sorted(analyze_note(analyzer(), text, entities, language, MIN_SCORE)) == \
        _by_analyze(text, entities, language)


def test_remembered_parses_find_what_plain_parses_find() -> None:
    """Each text twice, so the second finds every parse and verdict remembered; the matcher's own parse and
    verdict are back after."""
    import random

    import phonenumbers.phonenumbermatcher as matcher

    from extractor.freetext.recognizers import FinnishPhoneRecognizer

    rng = random.Random(7)
    numbers = ["Puh " + "".join(rng.choice("0123456789") + rng.choice([" ", "-", ".", "", "x"])
                                for _ in range(rng.randint(3, 12))) for _ in range(1_500)]
    # The same runs where the characters around them decide: at the text's start, after or before a letter or a
    # currency sign, before a time stamp's ':05'; and runs repeated within one text.
    # The memo keys a character beside a run by whether it stops a number, so runs beside different characters
    # of one kind share an answer: Latin letters of every block, a combining accent, currency and per cent signs
    # (stop); spaces, line ends, Cyrillic, punctuation (do not). After a time stamp's shape the minutes decide.
    sides = (("", ""), ("a", ""), ("€", " x"), (" ", "b"), ("x ", ":05 y"), ("(", ":5"), ("é", "ж"), ("ж", "é"),
             ("%", "$"), ("$", "%"), ("e\u0301", "\u0301"), ("\n", "\n"), (",", "ŧ"), ("ŧ", ","), ("", ":59"),
             ("", " :05"), ("Z", "Ä"))
    around = [f"{lead}{n[4:]}{tail}" for n in numbers[:300] for lead, tail in sides]
    stamps = [f"{lead}+358 2024-03-{d:02} {h:02}{tail}" for d in (5, 15) for h in (9, 14)  # a number but for ':05'
              for lead, tail in (("", ":05"), ("", ":5"), ("a", ":59"), (" ", ":75"), ("", ""), ("x", "x"))]
    repeated = [f"{n} ja {n}, {n[4:]}" for n in numbers[:200]]
    texts, recognizer = NOTES + numbers + around + stamps + repeated, FinnishPhoneRecognizer("fi")

    def found() -> list[list[tuple]]:
        return [sorted((r.start, r.end, r.score) for r in recognizer.analyze(t, ["PHONE_NUMBER"])) for t in texts]

    plain, parse, verify, extract = found(), matcher.parse, matcher._verify, matcher.PhoneNumberMatcher._extract_match
    with remembered_parses():
        assert matcher.parse is not parse and matcher._verify is not verify
        assert matcher.PhoneNumberMatcher._extract_match is not extract
        first, second = found(), found()
    assert matcher.parse is parse and matcher._verify is verify and matcher.PhoneNumberMatcher._extract_match is extract
    assert sum(map(bool, plain)) > 60 and plain == first == second


def _entities_as_first_written(texts: pl.Series) -> list[list[str]]:
    """The prefilters' verdicts as a list column of entity names, each verdict its own expression: the reference
    for the bit masks the batch path hands its workers."""
    from extractor.freetext.detect import PREFILTERS, _may_hold_phone, as_presidio_reads

    flags = pl.DataFrame({"t": texts}).with_columns(as_presidio_reads(pl.col("t"))).select(
        *[pl.when(pl.col("t").str.contains(rx)).then(pl.lit(e)).alias(e) for e, rx in PREFILTERS.items()],
        pl.when(_may_hold_phone()).then(pl.lit("PHONE_NUMBER")).alias("PHONE_NUMBER"))
    return flags.select(pl.concat_list(pl.all()).list.drop_nulls())[:, 0].to_list()


ENTITY_PIECES = ["a@b.fi", "010101-123N", "1234567-1", "FI21 1234 5600 0007 85", "Mannerheimintie 5", "00100",
                 "040 123 4567", "16.3.2023", " ", "x", "\n", "İ"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.sampled_from(ENTITY_PIECES), max_size=6).map(" ".join) | st.text(max_size=40),
                min_size=1, max_size=12))
def test_entity_masks_read_back_as_the_prefilters_say(texts: list[str]) -> None:
    series = pl.Series(texts, dtype=pl.String)
    assert candidate_entities(series).to_list() == _entities_as_first_written(series)


SUPERSET_PIECES = ["00100", "00100 Helsinki", "12345", "123456", "1234567-1", "1572860-0", "010101-123N", "010101A123B",
                   "FI21 1234 5600 0007 85", "fi21", "a@b.fi", "@", "Mannerheimintie 5", "Runebergin katu 20 B",
                   "katu", "tie 3", "osoite", "Asuu", "PL 12", "Box 3", "0", "7", "55", " ", "  ", "-", "\n", "x", "Ä",
                   "é", "_", "İ", "Helsinki", "Espoo", "Bulevardi", "puh 040 123 4567", "postinumero", "zip", ".",
                   ",", "(", ")", "\u00a0", "\U00011de1"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(SUPERSET_PIECES), max_size=10).map("".join)
       | st.lists(st.sampled_from(SUPERSET_PIECES), max_size=8).map(" ".join), st.sampled_from(["fi", "sv", "en"]))
def test_each_prefilter_flags_every_note_its_recognizer_finds_anything_in(text: str, language: str) -> None:
    """Whatever presidio's own analyze finds in a note, at any score (context may lift a low one over the cut), the
    note's mask names its entity: a prefilter may flag more than its recognizer finds, never less."""
    entities = [e for e in ENTITIES if e != PERSON]
    found = {r.entity_type for r in analyzer().analyze(text, language=language, entities=entities,
                                                        score_threshold=0.0)}
    assert found <= set(candidate_entities(pl.Series([text]))[0].to_list()), text


def test_entity_masks_agree_on_every_corpus_note() -> None:
    series = pl.Series(NOTES)
    found = candidate_entities(series).to_list()
    assert found == _entities_as_first_written(series) and sum(map(bool, found)) > 100


def test_a_batch_leaves_presidio_and_the_phone_matcher_as_it_found_them() -> None:
    """The batch's shortcuts (remembered parses, results scored in place) are undone when the batch ends."""
    import copy

    import phonenumbers.phonenumbermatcher as matcher
    from presidio_analyzer.context_aware_enhancers import lemma_context_aware_enhancer as enhancer

    before = (matcher.parse, matcher._verify, matcher.PhoneNumberMatcher._extract_match)  # noqa: SLF001
    with remembered_parses():
        assert enhancer.copy is not copy and matcher.parse is not before[0]
    assert enhancer.copy is copy
    assert (matcher.parse, matcher._verify, matcher.PhoneNumberMatcher._extract_match) == before  # noqa: SLF001


def test_a_language_s_pipeline_is_made_when_a_note_first_needs_it() -> None:
    """A process reading only Finnish notes makes Finnish's blank pipeline alone; warm() (the pool's fork server)
    makes every language's, and each is the tokenizer presidio's own process_text reads with."""
    from extractor.freetext.engine import BlankSpacyNlpEngine

    engine = BlankSpacyNlpEngine()
    engine.load()
    assert engine.get_supported_languages() == ["fi", "sv", "en"]
    assert all(dict.__getitem__(engine.nlp, lang) is None for lang in ("fi", "sv", "en"))
    text = "Soitin Matille numeroon 040 1234567."
    assert engine.process_text(text, "fi").tokens.text == analyzer().nlp_engine.process_text(text, "fi").tokens.text
    assert dict.__getitem__(engine.nlp, "fi") is not None
    assert dict.__getitem__(engine.nlp, "sv") is None and dict.__getitem__(engine.nlp, "en") is None
    engine.warm()
    assert all(dict.__getitem__(engine.nlp, lang) is not None for lang in ("fi", "sv", "en"))
    assert engine.nlp["sv"] is engine.nlp["sv"]  # made once
