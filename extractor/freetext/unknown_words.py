"""The second line of defence: a word no dictionary knows is treated as a possible name (Philter's approach).

The gazetteer (names.py) finds the names it knows. A name it does not know (a surname from abroad, a pet
name inflected past recognition, a name with two typos) still leaks, unless everything that is not known
to be safe is removed. Here a token is safe when Voikko (Finnish) or the language's word list (Swedish,
English; dictionary.py) knows it in some form, when the gazetteer knows it as a place, an organisation
or a month, when it is a term of the trade or one of the controller's own terms, or when it is not a
word at all (digits, an acronym of up to five capitals, a street name, part of an e-mail or web address).
Every other capitalised token is a possible name; a lower-case one only when it is close to a known name
(one edit, the first letter kept, by rapidfuzz: a name typed in a hurry). Where a language has no dictionary here, this
line is off for it and the review report says so. What it costs in precision is measured on the corpus
(make bench, record freetext_quality).
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from extractor.freetext import dictionary
from extractor.freetext.gazetteer import _CAMEL, RARE, Gazetteer, in_place_case
from extractor.freetext.letters import word_pattern
from extractor.freetext.name_scoring import INSIDE, LIVING, _in_address

SCORE = 0.6  # above the cut (0.5): reported; below a gazetteer name's 0.85
LOWER_SCORE = 0.55
_ACRONYM = re.compile(r"^[A-ZÅÄÖ]{2,5}$")
_INFLECTED_ACRONYM = re.compile(r"^[A-ZÅÄÖ]{2,6}[a-zåäö]{1,4}$")  # PAMin, HUSin: an acronym in a case
_PERSON_BEFORE_NUMBER = re.compile(r"(?i)(?:puh|puhelin|tel|tfn|nro|numero|phone)\W*$")
_STREET_END = re.compile(r"(?i)(?:katu|tie|kuja|polku|väylä|raitti|kaari|esplanadi|bulevardi|gatan|vägen|gränd|stigen|"
                         r"backen|torget|esplanaden|bulevarden|allén|kajen|stranden|street|road|avenue|lane|drive)$")


@cache
def _names_by_start() -> dict[tuple[str, int], list[str]]:
    """The gazetteer's names by first letter and length: a name typed in a hurry keeps its first letter."""
    from extractor.freetext.gazetteer import gazetteer

    out: dict[tuple[str, int], list[str]] = {}
    for n, count in gazetteer().counts.items():
        if len(n) >= 4 and n.isalpha() and count >= RARE:  # a common name typed in a hurry
            out.setdefault((n[0], len(n)), []).append(n)
    return out


@lru_cache(maxsize=100_000)
def near_name(low: str) -> str | None:
    """A known name with the same first letter within one edit of a lower-case word (rapidfuzz)."""
    from rapidfuzz import process
    from rapidfuzz.distance import Levenshtein

    by_start = _names_by_start()
    candidates = [n for size in (len(low) - 1, len(low), len(low) + 1) for n in by_start.get((low[0], size), ())]
    found = process.extractOne(low, candidates, scorer=Levenshtein.distance, score_cutoff=1)
    return found[0] if found else None


class _Verdicts(dict):
    """Per token, in one language: a possible name (capitalised: SCORE; lower case: LOWER_SCORE) or None."""

    def __init__(self, gaz: Gazetteer, terms: frozenset[str], lang: str) -> None:
        super().__init__()
        self.gaz, self.terms, self.lang = gaz, terms, lang

    def __missing__(self, token: str) -> float | None:
        value = _verdict(token, self.lang, self.gaz, self.terms)
        if len(self) < 500_000:
            self[token] = value
        return value


def _verdict(token: str, lang: str, gaz: Gazetteer, terms: frozenset[str]) -> float | None:
    low = token.lower()
    if len(token) < 3 or _ACRONYM.match(token) or _STREET_END.search(token) or _CAMEL.match(token) \
            or _INFLECTED_ACRONYM.match(token) or (terms and dictionary.is_term(low, terms)):
        return None
    hit = gaz.classify(token, lang)  # a name the first line weighed and let go may still be unknown here
    if hit is not None and hit.kind in ("word", "place"):
        return None
    if dictionary.known(token, lang, compounds=hit is None) is not False or gaz.is_place(token):
        return None
    if token[0].isupper():
        return SCORE
    return LOWER_SCORE if len(token) >= 5 and near_name(token.lower()) is not None else None


_HOUSE_NUMBER = re.compile(r"\s+\d{1,4}\b")


_VERDICTS: dict[tuple[int, frozenset[str], str], _Verdicts] = {}


def possible_names(text: str, lang: str, gaz: Gazetteer, terms: frozenset[str] = frozenset(),
                   words: list[tuple[int, int, str]] | None = None) -> list[tuple[int, int, float]]:
    """(start, end, score) of every token no dictionary, gazetteer or term list knows."""
    if not dictionary.available(lang):
        return []
    verdicts = _VERDICTS.get((id(gaz), terms, lang))
    if verdicts is None:
        verdicts = _VERDICTS[(id(gaz), terms, lang)] = _Verdicts(gaz, terms, lang)
    out = []
    hurried = not any(map(str.isupper, text))
    for start, end, word in words if words is not None else [(m.start(), m.end(), m.group())
                                                              for m in word_pattern(text).finditer(text)]:
        score = verdicts[word]
        if score is None or (score == LOWER_SCORE and lang != "fi" and not hurried):
            continue  # lower case: only where the dictionary knows every form (Voikko), or in a hurried note
        if (start and text[start - 1].isdigit()) or (end < len(text) and text[end].isdigit()):
            continue  # 7-vuotias, 12b: part of a number
        if _HOUSE_NUMBER.match(text, end) and score == SCORE and not _PERSON_BEFORE_NUMBER.search(text, 0, start):
            continue  # Vahvianrinne 7 B: a street with its number
        before = text[max(0, start - 30):start].split()[-2:]
        if before and (before[-1].lower() in INSIDE or (any(w.lower() in LIVING for w in before)
                                                        and in_place_case(word))):
            continue  # på Ekåsen, asuu Runosmäessä: a place no list has
        if not _in_address(text, start, end):
            out.append((start, end, score))
    return out
