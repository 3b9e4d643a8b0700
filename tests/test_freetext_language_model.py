"""The shipped language model (py3langid's, restricted to fi, sv and en) answers as py3langid itself does.

language.py reads extractor/data/langid/fi_sv_en.npz instead of unpacking py3langid's 97-language model; the
answers must be py3langid's own with `set_languages(["fi", "sv", "en"])`, label and score, on every note of the
hand-written corpus, on short texts and on any text. A py3langid whose model changed fails the provenance test:
remake the file with scripts/make_langid_model.py.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib.metadata import version
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

from extractor.freetext.language import LANGUAGES, MODEL, _langid, detect_languages, votes

CORPUS = Path(__file__).parent / "fixtures" / "freetext_corpus"
NOTES = [line for f in sorted(CORPUS.glob("notes_*.txt")) for line in f.read_text("utf-8").splitlines() if line]


@cache
def _reference() -> LanguageIdentifier:
    identifier = LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE)
    identifier.set_languages(list(LANGUAGES))
    return identifier


def _same(text: str) -> bool:
    label, score = _langid()(text)
    want_label, want_score = _reference().classify(text)
    return label == want_label and np.float32(score) == np.float32(want_score)


def test_the_shipped_model_was_made_from_the_installed_py3langid() -> None:
    with np.load(MODEL, allow_pickle=False) as model:
        provenance = str(model["provenance"])
        assert sorted(model["classes"].tolist()) == sorted(LANGUAGES)
    digest = hashlib.sha256((MODEL_DIR / MODEL_FILE).read_bytes()).hexdigest()
    assert provenance == f"py3langid {version('py3langid')} {MODEL_FILE} sha256 {digest}", \
        "py3langid changed: remake extractor/data/langid/fi_sv_en.npz with scripts/make_langid_model.py"


def test_every_corpus_note_and_its_first_words_get_py3langid_s_answer() -> None:
    texts = NOTES + [" ".join(n.split()[:3]) for n in NOTES]
    differ = [t for t in texts if not _same(t)]
    assert len(NOTES) > 300 and differ == []
    labels = {_langid()(t)[0] for t in texts}
    assert labels == set(LANGUAGES)  # the three columns are each language's, not shuffled


@pytest.mark.parametrize(("text", "language"), [("Nystroms dotter sköter räkningarna.", "sv"),
                                                ("Soitti illalla, sovittu tapaaminen", "fi"),
                                                ("Called back later regarding forms", "en")])
def test_a_short_note_without_function_words_is_read_by_the_model(text: str, language: str) -> None:
    assert votes(pl.Series([text])).row(0) == (0, 0, 0)  # no function word: the vote is a tie, the model decides
    assert detect_languages(pl.Series([text])).to_list() == [language]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80) | st.lists(st.sampled_from(["Matti", "Åsa", "kotona", "och", "the", "äiti", "ringde",
                                                        "soitti", "puh.", "040", "Kirj. PK", "ö", "\n", "é"]),
                                       max_size=8).map(" ".join))
def test_any_text_gets_py3langid_s_answer(text: str) -> None:
    assert _same(text)
