"""presidio's NLP artifacts for a note, built the cheap way for the batch path (detect.py).

`AnalyzerEngine.analyze` tokenises every note with spaCy, runs the lemma component, wraps each token in a
Python object twice and asks spaCy's vocabulary whether each lemma is a stop word or punctuation. Our
recognizers read none of it; presidio's context enhancer reads only token lengths and offsets, the lemmas
and the keywords. Here the tokenizer's arrays give offsets and lengths in one call, lemmas are the lower
forms (what engine.py's lemma component sets) and each keyword decision is asked once per distinct lemma.
tests/freetext/test_artifacts.py holds them equal to `process_text`'s on every corpus note.
"""

from __future__ import annotations

from functools import cache

from presidio_analyzer.nlp_engine import NlpArtifacts, NlpEngine
from spacy.attrs import IDX, LENGTH


@cache
def _keep(engine: NlpEngine, language: str) -> dict[str, bool]:
    return {}


def _is_keyword(engine: NlpEngine, language: str, lemma: str) -> bool:
    """NlpArtifacts.set_keywords's test for one lemma, remembered."""
    memo = _keep(engine, language)
    keep = memo.get(lemma)
    if keep is None:
        keep = not engine.is_stopword(lemma, language) and not engine.is_punct(lemma, language) \
            and lemma not in ("-PRON-", "be")
        if len(memo) < 500_000:
            memo[lemma] = keep
    return keep


def artifacts(engine: NlpEngine, text: str, language: str) -> NlpArtifacts:
    """What `engine.process_text(text, language)` returns, for a blank pipeline (engine.py)."""
    doc = engine.nlp[language].tokenizer(text)
    spans = doc.to_array([IDX, LENGTH]).tolist() if len(doc) else []
    tokens = [text[i:i + n] for i, n in spans]
    lemmas = [t.lower() for t in tokens]
    out = NlpArtifacts(entities=[], tokens=tokens, tokens_indices=[i for i, _ in spans], lemmas=lemmas,
                       nlp_engine=None, language=language)
    out.nlp_engine = engine
    memo, keywords = _keep(engine, language), []
    for lemma in lemmas:
        keep = memo.get(lemma)
        if keep is None:
            keep = _is_keyword(engine, language, lemma)
        if keep:
            keywords += lemma.split(":") if ":" in lemma else (lemma,)
    out.keywords = keywords
    return out
