"""The batch path's shortcuts give exactly what the plain path gives.

artifacts.py builds presidio's NLP artifacts without spaCy's per-token objects; names.may_sign decides
cheaply whether the signature pattern can match; TWO_INITIALS was rewritten so re scans for a capital
first. Each is held to its plain counterpart on the whole hand-written corpus and on generated text.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extractor.freetext.artifacts import artifacts
from extractor.freetext.engine import analyzer
from extractor.freetext.names import SIGNATURE, TWO_INITIALS, may_sign

CORPUS = Path(__file__).parent / "fixtures" / "freetext_corpus"
NOTES = [line for f in sorted(CORPUS.glob("notes_*.txt")) for line in f.read_text("utf-8").splitlines() if line]
# The pattern as first written, look-behind first: the reference for the rewritten one.
TWO_INITIALS_PLAIN = re.compile(r"(?<![\w.])[A-ZÅÄÖ]\.\s?[A-ZÅÄÖ]\.(?=\s|$|[,;:/)])(?!\s*Box)")
PIECES = ["M. K.", "A.B.", "P.O. Box 12", "/mk", "/ MK", "Kirj. PK", "kirjaaja: hj", "ok.", "OK", " ", "\n",
          ". ", "! ", "?", "ab", "ABC", "abcd", "Åsa", "ö", "x.", "-", ":", "signed:", "Notes by", "1", "é"]
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
    if list(SIGNATURE.finditer(text, tail)):
        assert may_sign(text, tail)


def test_signature_precheck_skips_ordinary_endings() -> None:
    assert not may_sign("Asiakas tavattu kotona, vointi hyvä.", 0)
    assert may_sign("Asiakas tavattu kotona. mk", 0) and may_sign("Soitettu /mk\nSeuraava rivi", 0)


@settings(max_examples=400, deadline=None)
@given(text_of_pieces | st.text(alphabet="ABÅK. ,x\n)Box", max_size=30))
def test_two_initials_rewrite_finds_what_the_plain_pattern_finds(text: str) -> None:
    assert [m.span() for m in TWO_INITIALS.finditer(text)] == [m.span() for m in TWO_INITIALS_PLAIN.finditer(text)]


def test_two_initials_on_the_corpus() -> None:
    assert [m.span() for n in NOTES for m in TWO_INITIALS.finditer(n)] == \
        [m.span() for n in NOTES for m in TWO_INITIALS_PLAIN.finditer(n)]
