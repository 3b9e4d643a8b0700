"""The language vote (language.votes) against the plainest reading of its rule: split the note, in lower case,
into runs of letters and apostrophes, and count each language's function words among them."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from extractor.freetext.language import FUNCTION_WORDS, votes


def reference_votes(text: str | None) -> dict[str, int]:
    words, word = [], ""
    for ch in (text or "").lower():
        if ch.isalpha() or ch == "'":
            word += ch
        else:
            words.append(word)
            word = ""
    words.append(word)
    return {lang: sum(w in set(listed) for w in words) for lang, listed in FUNCTION_WORDS.items()}


_WORDS = sorted({w for listed in FUNCTION_WORDS.values() for w in listed}) + [
    "Ja", "JA", "och.", "asiakas", "jaa", "on'", "'on", "hän's", "the-", "äiti", "Klienten", "a", "i", "x"]
_GAPS = [" ", "  ", "\n", ", ", ". ", "-", "'", "’", "1", " 2 ", "_", "/", "(", ")", "\t", "é", "ß", ""]
notes = st.lists(st.one_of(st.sampled_from(_WORDS), st.sampled_from(_GAPS),
                           st.text(alphabet="aeiouåäösthnjkl'ÅÄÖ -.", max_size=6)), max_size=30).map("".join)


@settings(max_examples=300, deadline=None)
@given(texts=st.lists(st.one_of(st.none(), notes), min_size=1, max_size=8))
def test_votes_count_the_function_words_among_the_words(texts: list[str | None]) -> None:
    got = votes(pl.Series(texts, dtype=pl.String)).to_dicts()
    assert got == [reference_votes(t) for t in texts]


def test_words_side_by_side_each_count() -> None:
    """Two function words with one space between them (and words that hold one) are counted as they stand."""
    got = votes(pl.Series(["ja on ja, och är the the", "jaon ja-on Ja'on", None, ""])).to_dicts()
    assert got == [{"fi": 3, "sv": 2, "en": 3}, {"fi": 2, "sv": 0, "en": 1}, {"fi": 0, "sv": 0, "en": 0},
                   {"fi": 0, "sv": 0, "en": 0}]
