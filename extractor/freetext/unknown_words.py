"""The second line of defence: a word no dictionary knows is treated as a possible name (Philter's approach).

The gazetteer (names.py) finds the names it knows. A name it does not know (a surname from abroad, a pet
name inflected past recognition, a name with two typos) still leaks, unless everything that is not known
to be safe is removed. Here a token is safe when Voikko (Finnish) or the language's word list (Swedish,
English; dictionary.py) knows it in some form, when the gazetteer knows it as a place, an organisation
or a month, when it is a term of the trade or one of the controller's own terms, or when it is not a
word at all (digits, an acronym of up to five capitals, a street name, part of an e-mail or web address).
Every other capitalised token is a possible name; a lower-case one only when it is close to a known name
(one edit, by rapidfuzz: a name typed in a hurry). Where a language has no dictionary here, this
line is off for it and the review report says so. What it costs in precision is measured on the corpus
(make bench, record freetext_quality).
"""

from __future__ import annotations

import re
from functools import cache

from extractor.freetext import dictionary
from extractor.freetext.names import WORD, Gazetteer, _in_address

SCORE = 0.6  # above the cut (0.5): reported; below a gazetteer name's 0.85
LOWER_SCORE = 0.55
_ACRONYM = re.compile(r"^[A-ZÅÄÖ]{2,5}$")
_STREET_END = re.compile(r"(?i)(?:katu|tie|kuja|polku|väylä|raitti|kaari|esplanadi|bulevardi|gatan|vägen|gränd|stigen|"
                         r"backen|torget|esplanaden|bulevarden|allén|kajen|stranden|street|road|avenue|lane|drive)$")


@cache
def _names() -> list[str]:
    from extractor.freetext.names import gazetteer

    return [n for n in gazetteer().counts if len(n) >= 4 and n.isalpha()]


def near_name(low: str) -> str | None:
    """A known name within one edit of a lower-case word (a swap of two letters is one edit)."""
    from rapidfuzz import process
    from rapidfuzz.distance import DamerauLevenshtein

    found = process.extractOne(low, _names(), scorer=DamerauLevenshtein.distance, score_cutoff=1)
    return found[0] if found else None


def possible_names(text: str, lang: str, gaz: Gazetteer, terms: frozenset[str] = frozenset()
                   ) -> list[tuple[int, int, float]]:
    """(start, end, score) of every token no dictionary, gazetteer or term list knows."""
    if not dictionary.available(lang):
        return []
    out = []
    for m in WORD.finditer(text):
        token = m.group()
        if len(token) < 3 or _ACRONYM.match(token) or token.lower() in terms or _STREET_END.search(token):
            continue
        start, end = m.span()
        if (start and text[start - 1].isdigit()) or (end < len(text) and text[end].isdigit()):
            continue  # 7-vuotias, 12b: part of a number
        hit = gaz.classify(token, lang)  # a name the first line weighed and let go may still be unknown here
        if (hit is not None and hit.kind in ("word", "place")) or gaz.is_place(token) \
                or dictionary.known(token, lang) is not False:
            continue
        if _in_address(text, start, end):
            continue
        if token[0].isupper():
            out.append((start, end, SCORE))
        elif near_name(token.lower()) is not None:
            out.append((start, end, LOWER_SCORE))
    return out
