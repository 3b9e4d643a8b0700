"""The written-out letter class (letters.py) is `re`'s own `[^\\W\\d_]`, so words are cut exactly as before."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from extractor.freetext.letters import LETTER, LETTERS, WORD, beyond_bmp, bmp_letters, letters_pattern, word_pattern

CORPUS = Path(__file__).parent / "fixtures" / "freetext_corpus"


def test_the_written_out_class_is_res_own_on_every_code_point_of_the_plane() -> None:
    plain, written = re.compile(LETTER), re.compile(bmp_letters())
    differ = [hex(c) for c in range(0x10000) if bool(plain.fullmatch(chr(c))) != bool(written.fullmatch(chr(c)))]
    assert differ == []
    assert written.fullmatch("ä") and written.fullmatch("²") and not written.fullmatch("٣") \
        and not written.fullmatch("_")  # a superscript digit is no decimal digit; Arabic-Indic three is


def test_a_character_beyond_the_plane_is_read_with_the_plain_pattern() -> None:
    text = "Anna 𐐀𐐨 Virtanen"  # a Deseret name: letters beyond the plane, which the written-out class leaves out
    assert word_pattern(text) is WORD and letters_pattern(text) is LETTERS
    assert word_pattern(text).findall(text) == ["Anna", "𐐀𐐨", "Virtanen"]
    assert word_pattern("Anna-Liisa 12b") is not WORD


def test_words_on_the_corpus_as_the_plain_pattern_cuts_them() -> None:
    notes = [line for f in sorted(CORPUS.glob("notes_*.txt")) for line in f.read_text("utf-8").splitlines()]
    assert len(notes) > 500
    assert [word_pattern(n).findall(n) for n in notes] == [WORD.findall(n) for n in notes]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("aZäÖé-_1²٣ .,\n'ß𐐀ǅ\u0301") | st.characters(), max_size=60))
def test_words_and_letters_on_any_text(text: str) -> None:
    assert [(m.span(), m.group()) for m in word_pattern(text).finditer(text)] == \
        [(m.span(), m.group()) for m in WORD.finditer(text)]
    assert letters_pattern(text).findall(text) == LETTERS.findall(text)


BEYOND_BMP = re.compile("[\U00010000-\U0010ffff]")  # the reference: a character beyond the plane, as re finds one


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF, blacklist_categories=()), max_size=30))
def test_a_character_beyond_the_plane_is_seen_wherever_re_sees_one(text: str) -> None:
    assert beyond_bmp(text) == bool(BEYOND_BMP.search(text))


def test_lone_surrogates_are_no_character_beyond_the_plane() -> None:
    """A surrogate pair written as two code points (as surrogateescape can leave them) is two characters of the
    plane to re, and to the test."""
    for text, beyond in (("\ud800", False), ("a\udfff", False), ("\ud83d\ude00", False), ("\U0001f600", True),
                         ("", False), ("ä\U00010400", True)):
        assert beyond_bmp(text) is beyond and bool(BEYOND_BMP.search(text)) is beyond, text
