"""Person names in a note: the gazetteer's hits grouped, scored, and every later mention of a name found.

gazetteer.py knows the names (the population register's, a world list's, pet names, places and words
among them); name_scoring.py weighs the words around each run of hits; here the runs are made, scored,
extended to every other mention of a name the note gives, joined by initials, and, as the second line of
defence (unknown_words.py), every word no dictionary knows is added.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from extractor.freetext.dictionary import is_term
from extractor.freetext.gazetteer import (  # noqa: F401 - the names other modules import from here
    _CAMEL,
    RARE,
    Gazetteer,
    Hit,
    gazetteer,
    in_place_case,
    is_sentence_start,
)
from extractor.freetext.initials import INITIALS_BEFORE, may_end_initials, person_initials
from extractor.freetext.letters import word_pattern
from extractor.freetext.morphology import morphology
from extractor.freetext.name_evidence import PLACE_PREPOSITIONS, SPEECH_VERBS
from extractor.freetext.name_mentions import nicknames, other_forms
from extractor.freetext.name_scoring import (  # noqa: F401
    _INSTITUTION,
    INSIDE,
    LIVING,
    _case,
    _in_a_place,
    _in_address,
    _is_kin_word,
    _words_around,
    score_group,
)

# A double-barrelled surname after a name the note gives (Eleanor Whitfield-Brown): each part capitalised.
HYPHENATED_AFTER = re.compile(r" ([A-ZÅÄÖ][a-zåäöé]+(?:-[A-ZÅÄÖ][a-zåäöé]+)+)(?![\w-])")
IRISH_PREFIX = re.compile(r"(?<![\w'\u2019])[OD]['\u2019]$")  # O'Connor, D'Souza: the prefix is the name's
_AND = re.compile(r"\s+(?:ja|sekä|eli|alias|och|dvs|and|aka|&)\s+")  # the whole gap between two names


def tokens(text: str) -> list[tuple[int, int, str]]:
    """The note's words (hyphenated compounds whole), read once and shared by both lines of defence."""
    return [(m.start(), m.end(), m.group()) for m in word_pattern(text).finditer(text)]


def find_names(text: str, gaz: Gazetteer | None = None, lang: str = "fi", cut: float = 0.5,
               words: list[tuple[int, int, str]] | None = None) -> list[tuple[int, int, float]]:
    """(start, end, score) of every run of adjacent name words, then of every other mention of a name
    already found in the text; an initial just before a name is part of it."""
    gaz = gaz or gazetteer()
    known = gaz.hits(lang)
    hits = [(s, e, h) for s, e, w in (words if words is not None else tokens(text)) if (h := known[w])]
    groups: list[list[tuple[int, int, Hit]]] = []
    for hit in hits:
        case = _case(text[hit[0]:hit[1]])
        if groups and text[groups[-1][-1][1]:hit[0]].strip() == "" and len(groups[-1]) < 4 \
                and case == _case(text[groups[-1][-1][0]:groups[-1][-1][1]]) \
                and (case != "lower" or hit[2].sure or groups[-1][-1][2].sure):  # two lower-case words: one a name
            groups[-1].append(hit)
        else:
            groups.append([hit])
    out = []
    for g in groups:
        score = score_group(text, g, gaz, lang)
        start = g[0][0]
        if score >= cut and may_end_initials(text, start) \
                and (initials := INITIALS_BEFORE.search(text, max(0, start - 6), start)) and initials.end() == start:
            start = initials.start()
        out.append((start, g[-1][1], score))
    hurried = not any(map(str.isupper, text))  # typed without capitals: lower case says nothing
    j = len(out) - 1 if out and out[-1][2] >= cut else None  # the nearest name after i
    for i in range(len(out) - 2, -1, -1):  # "Stig och Gun Backman", "Tumppi eli Tuomas": joined to a name
        s, e, score = out[i]
        if score < cut and j is not None and _AND.fullmatch(text, e, out[j][0]) \
                and (hurried or _case(text[s:e]) != "lower") and groups[i][0][2].kind != "place":
            out[i] = (s, e, 0.8)
        if out[i][2] >= cut:
            j = i
    for i in range(1, len(out)):  # "tavattu satu ja toivo", "Met Mark and Grace": and the other way round
        s, e, score = out[i]
        hit = groups[i][0][2]
        if score < cut and out[i - 1][2] >= cut and _AND.fullmatch(text, out[i - 1][1], s) and hit.kind != "place" \
                and gaz.counts.get(hit.base, 0) >= RARE and (hurried or _case(text[s:e]) != "lower"):
            out[i] = (s, e, 0.6)
    # Once a note names someone, their name in any form is theirs (Salla Kemppainen … Sallalle; Kotka kertoi …
    # Kotkan jääkaapissa), also where it reads as a place or a word, but not a place's own position (från Malm).
    named = {h.base for g, (_, _, score) in zip(groups, out, strict=True) if score >= cut for *_, h in g
             if h.kind != "place" or len(g) > 1 or score >= 0.7}
    full = frozenset(h.base for g, (_, _, score) in zip(groups, out, strict=True) if score >= cut and len(g) > 1
                     for *_, h in g)  # named with first name and surname
    return [(s, e, score if score >= cut or not _again(text, g, named, hurried, lang, full) else 0.85)
            for g, (s, e, score) in zip(groups, out, strict=True)]


def _again(text: str, g: list[tuple[int, int, Hit]], named: set[str], hurried: bool, lang: str,
           full: frozenset[str] = frozenset()) -> bool:
    """Another mention of a name the note has already given (any form), unless the words around it say this
    one is a place, a word or a kinship noun (Onneksi, Veljen)."""
    if not any(h.base in named for *_, h in g):
        return False  # the cheap test first: most groups name nobody the note has named
    start, end = g[0][0], g[-1][1]
    if _in_address(text, start, end):
        return False
    before, after = _words_around(text, start, end)
    if (before and before[-1] in PLACE_PREPOSITIONS) or _INSTITUTION.search(after) or _in_a_place(before, after) \
            or re.search(r"\b\d{5}\s+$", text[max(0, start - 8):start]) or (lang == "en" and after == "call"):
        return False  # från Malm, Salon kaupungin, 48600 Kotka; will call back
    if lang == "sv" and text[start:end] == "Hans" and after and after not in SPEECH_VERBS and \
            text[end:end + 2].strip()[:1].islower():
        return False  # Hans fru, Hans pension: his
    for s, e, h in g:
        form = text[s:e]
        if h.base not in named or (_case(form) == "lower" and h.kind != "name" and not hurried):
            continue
        if _is_kin_word(form, lang) and h.base not in full:
            continue  # Veljen numero: the brother's, unless a full name made Veli a person here
        if _case(form) == "lower" and (in_place_case(form) or form.endswith(("lla", "llä"))):
            continue  # aamulla: in the morning
        if h.kind != "name" and is_sentence_start(text, s) and form.lower().endswith("ksi"):
            continue  # Onneksi (fortunately), at a sentence's start: the word's translative, an adverb
        if (h.kind == "place" or h.base in gaz_areas()) and in_place_case(form):
            continue  # Salla … muutti Sallaan: the town her name comes from
        return True
    return False


def gaz_areas() -> frozenset[str]:
    return gazetteer().areas


@dataclass(frozen=True)
class SecondLine:
    """Whether words no dictionary knows are removed as possible names (unknown_words.py), and the
    controller's own terms that are safe to keep."""

    on: bool = True
    terms: frozenset[str] = frozenset()


SECOND_LINE_ON = SecondLine()  # the default: on, with no terms of the controller's own


def person_spans(text: str, gaz: Gazetteer, lang: str, second: SecondLine = SECOND_LINE_ON, cut: float = 0.5
                 ) -> list[tuple[int, int, float]]:
    """Names the gazetteer finds (find_names), then, where the second line is on, every other token that no
    dictionary knows."""
    words = tokens(text)
    found = [s for s in find_names(text, gaz, lang, cut, words) if s[2] >= cut]
    found += person_initials(text, found)
    if "-" in text:
        found += _named_in_compounds(text, gaz, lang, found)
        found += _double_barrelled(text, gaz, lang, found)
    if second.on:
        from extractor.freetext.unknown_words import possible_names

        taken = [(s, e) for s, e, _ in found]
        found += [p for p in possible_names(text, lang, gaz, second.terms, words)
                  if not any(s < p[1] and p[0] < e for s, e in taken)]
    if "(" in text:
        found += nicknames(text, found, gaz, lang)
    found += other_forms(text, words, found, gaz, lang)
    if "'" in text or "\u2019" in text:
        found = [(s - 2, e, score) if s >= 2 and IRISH_PREFIX.search(text, 0, s) else (s, e, score)
                 for s, e, score in found]
    return [s for s in found if not _allowed(text[s[0]:s[1]], second.terms)] if second.terms else found


def _double_barrelled(text: str, gaz: Gazetteer, lang: str, found: list[tuple[int, int, float]]
                      ) -> list[tuple[int, int, float]]:
    """The hyphenated surname right after a name found (Eleanor Whitfield-Brown), unless a part is a place."""
    out = []
    for _, e, _ in found:
        m = HYPHENATED_AFTER.match(text, e)
        if m is None or any(s < m.end(1) and m.start(1) < end for s, end, _ in found):
            continue
        if not any((h := gaz.classify(part, lang)) is not None and h.kind == "place" for part in m.group(1).split("-")):
            out.append((m.start(1), m.end(1), 0.7))
    return out


def _allowed(word: str, terms: frozenset[str]) -> bool:
    """A single word the controller listed as never a name (`--allow`), in any form: as written, with a case
    ending (dictionary.is_term: Hatanpään, Kaukajärvelle) or by Voikko's reading of it (Kannassa → Kanta)."""
    low = word.lower()
    if " " in low or not low:
        return False  # a span of several words is a name with more than the listed term in it
    if is_term(low, terms):  # as written or with a case ending, as the second line reads the terms
        return True
    m = morphology()  # consonant gradation inside the word: Kannassa is Kanta
    found = m.readings(word) if m is not None else None
    return found is not None and any(b in terms for b in (*found.names, *found.places, *found.word_bases))


# A name joined to a noun for a person (Matti-vauva, Tähti-tytön, Aino-mummolle, Liisa-äidille): the name is
# someone's.
PERSON_COMPOUND = re.compile(r"(?<![\w-])([A-ZÅÄÖ][a-zåäö]+)-(?:tyttö|tytö|tytär|tyttär|vaimo|puoliso|poika|poja|vauva|"
                             r"mummo|mummi|mumm|pappa|"
                             r"vaari|ukki|täti|tädi|setä|sedä|eno|veli|velje|sisko|sisar|serkku|serku|neiti|"
                             r"herra|rouva|flicka|flickan|pojke|pojken|baby|bebis)[a-zåäö]*(?![\w-])"
                             r"|(?<![\w-])([A-ZÅÄÖ][a-zåäö]+)-(?:äiti|äidi|isä|isi|iskä|äiskä|mummu|mamma|mormor|"
                             r"farmor|morfar|farfar|mom|mum|dad)[a-zåäö]{0,6}(?![\w-])")


def _named_in_compounds(text: str, gaz: Gazetteer, lang: str, found: list[tuple[int, int, float]]
                        ) -> list[tuple[int, int, float]]:
    out = []
    for m in PERSON_COMPOUND.finditer(text):
        g = 1 if m.group(1) else 2  # a parent's word (Liisa-äidille, Jari-isän) ends in at most a case and clitic
        hit = gaz.classify(m.group(g), lang)
        if hit and not any(s < m.end(g) and m.start(g) < e for s, e, _ in found):  # Salo-poika too
            out.append((m.start(g), m.end(g), 0.8))
    return out
