"""Which words the dictionaries know: the second line of defence removes every word they do not, so what they
know decides its precision (Swedish care words tagged as names in a fourth trial), and what they must not know
(a surname read as a compound) its recall."""

from __future__ import annotations

import pytest

from extractor.freetext.dictionary import known

pytestmark = pytest.mark.skipif(known("hus", "sv") is None, reason="no Swedish word list installed")


@pytest.mark.parametrize("word", [
    "Arbetshälsa", "Arbetsledaren",  # arbete|s|hälsa, arbete|s|ledare|n: a linking s after a stem's lost -e
    "Vårdnadshavaren", "Talterapeut", "Fysioterapi", "Spirometri", "Vaccinationer", "Dosett", "Migrationsverket",
    "hemtjänsten", "Äldreboendet",  # the care words wswedish lacks (data/fi/free_text_terms.txt), any form
])
def test_swedish_care_words_are_known(word: str) -> None:
    assert known(word, "sv") is True


@pytest.mark.parametrize("word", ["Ristens", "Rattanakorns"])
def test_a_name_is_not_read_as_a_compound_of_words(word: str) -> None:
    assert known(word, "sv") is False
