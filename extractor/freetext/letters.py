"""Runs of letters as Python's `re` reads `[^\\W\\d_]`, found about twice as fast.

Every note is cut into words (names.tokens) and every name's neighbours are read as words; `[^\\W\\d_]` makes
`re` ask three Unicode questions of each character (a word character? a digit? the underscore?), a tenth of a
note's name search. The same set written out as ranges of code points is one table lookup per character. It is
written out from this interpreter's own Unicode tables when first needed, for the Basic Multilingual Plane only
(`re` makes a one-lookup table only for those); a text holding a character beyond it is read with the plain
pattern. tests/test_freetext_letters.py holds the set equal to `[^\\W\\d_]` on every code point of the plane.
"""

from __future__ import annotations

import re
from functools import cache

LETTER = r"[^\W\d_]"  # the plain class: what Python's re counts as a letter (word characters but digits and _)
WORD = re.compile(LETTER + "+(?:-" + LETTER + "+)*")  # a word, hyphenated compounds whole (Anna-Liisa)
LETTERS = re.compile(LETTER + "+")
_PLANE = 0x10000


@cache
def bmp_letters() -> str:
    """`[^\\W\\d_]` restricted to the Basic Multilingual Plane, as a class of ranges (re's own definition: a word
    character, str.isalnum, that is not a decimal digit, str.isdecimal; the underscore is not alphanumeric)."""
    points = [c for c in range(_PLANE) if not 0xD800 <= c <= 0xDFFF and (ch := chr(c)).isalnum() and not ch.isdecimal()]
    ranges, start = [], points[0]
    for previous, point in zip(points, points[1:], strict=False):
        if point != previous + 1:
            ranges.append((start, previous))
            start = point
    ranges.append((start, points[-1]))
    return "[" + "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
                         for a, b in ranges) + "]"


@cache
def _fast(kind: str) -> re.Pattern[str]:
    letter = bmp_letters()
    return re.compile(letter + "+(?:-" + letter + "+)*" if kind == "word" else letter + "+")


def beyond_bmp(text: str) -> bool:
    """Whether the text holds a character beyond the Basic Multilingual Plane: in UTF-16 each such character takes
    two units, every other one (a lone surrogate too, passed through) one. Encoding takes under half the time of a
    regex search for one, and every note is asked."""
    return len(text.encode("utf-16-le", "surrogatepass")) != 2 * len(text)


def word_pattern(text: str) -> re.Pattern[str]:
    """WORD, or its one-lookup twin when the text has no character beyond the Basic Multilingual Plane."""
    return WORD if beyond_bmp(text) else _fast("word")


def letters_pattern(text: str) -> re.Pattern[str]:
    """LETTERS (runs of letters, no hyphen), or its one-lookup twin, as word_pattern chooses."""
    return LETTERS if beyond_bmp(text) else _fast("letters")
