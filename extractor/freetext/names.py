"""Person names by gazetteer: the population register's 34,935 first names and surnames, in every form.

Finnish inflects names ("Virtaselle", "Hämäläiseen", "Mikotta"): a word is analysed by Voikko where it is
installed (morphology.py: base form and class — first name, surname, place, ordinary word) and otherwise
looked up under the base forms its case ending and consonant gradation allow; a name written without its
diacritics (Nystrom) is folded back, a nickname (Jukkis, Tumppi) is read through the list derived from
the register's first names. Many names are also ordinary words or places (Onni, Laine, Salo; Swedish
Per, Bo, Hans; English Will, Grace): those are reported only with evidence — a neighbouring name, a
kinship or role word before them, a verb or a family noun after them, an age in brackets, a capital in
mid-sentence. A name in lower or upper case counts when it cannot be a word. Once a note names someone,
every other mention of that name in the note is tagged too, and an initial before a name goes with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

import polars as pl

from extractor import reference_data
from extractor.freetext.morphology import morphology
from extractor.freetext.name_evidence import (
    FOLLOWERS,
    KINSHIP_AND_ROLE,
    LANGUAGE_WORDS,
    NEVER_NAMES,
    PASSIVES,
    SPEECH_VERBS,
    TO_SOMEONE,
    WEAK,
)
from extractor.freetext.name_forms import FOLD, base_forms
from extractor.freetext.nicknames import nicknames

WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")  # a word, hyphenated compounds whole (Anna-Liisa)
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_SENTENCE_MARKS = ".!?:;\n\"“(>-•*"
_INITIALS = re.compile(r"(?:\b[A-ZÅÄÖ]\.\s?){1,2}$")  # "T. " or "M. K. " just before a name
_AGE = re.compile(r"\s*\(\s*\d{1,3}\s*(?:v|vuotta|år|y|yrs|years)\b|\s+is\s+\d{1,3}\s+years")  # "Onni (7 v)"
_BRACKET = re.compile(r"\s*\(\s*([^\W\d_]+)(?:\s+([^\W\d_]+))?")  # "Pena (asiakkaan veli)"
_LOCATIVE = re.compile(r"(?:ssa|ssä|sta|stä|hin|seen|aan|ään|iin|oon|uun|yyn|öön|een)$")  # in, from, into a place
_AND = re.compile(r"\s+(?:ja|sekä|och|and|&)\s+$")

RARE = 100  # fewer bearers than this: a sentence's first word matching it needs more evidence


@dataclass(frozen=True)
class Hit:
    base: str  # the register name (lower case) or the place this word is a form of
    kind: str  # "name", "word" (also an ordinary word) or "place"
    sure: bool = False  # Voikko reads it as a name and as nothing else


@dataclass(frozen=True)
class Gazetteer:
    counts: dict[str, int]  # lower-case name -> people bearing it (first names and surnames together)
    words: frozenset[str]  # also an ordinary word: a capital mid-sentence is some evidence
    places: frozenset[str]  # also a place, organisation or month: a capital is no evidence
    folded: dict[str, str] = field(default_factory=dict)  # name without diacritics -> name (nystrom -> nyström)
    nicknames: dict[str, str] = field(default_factory=dict)  # derived nickname -> first name (jukkis -> jukka)
    seen: dict[tuple[str, str], Hit | None] = field(default_factory=dict, compare=False)  # memo per (word, lang)

    def classify(self, token: str, lang: str = "fi") -> Hit | None:
        key = (token, lang)
        if key not in self.seen:
            if len(self.seen) > 500_000:
                self.seen.clear()
            self.seen[key] = self._classify(token, lang)
        return self.seen[key]

    def _classify(self, token: str, lang: str) -> Hit | None:
        if len(token) < 2 or (token.isupper() and len(token) < 4):
            return None  # an initial or an acronym (ID, KELA, VTJ), not a name in capitals
        word = "-".join(p.capitalize() for p in token.split("-")) if token.isupper() else token
        low = word.lower()
        if low in NEVER_NAMES.get(lang, frozenset()):
            return None
        readings = morphology().readings(word) if morphology() else None
        if lang != "fi" and readings is not None:  # Voikko is Finnish: elsewhere it only vouches for names
            sure = readings.surname and not readings.word and not readings.places  # first names: often words
            readings = None
        else:
            sure = False
        if readings is not None and (readings.names or readings.places or readings.word):
            place = readings.places[0] if readings.places else None
            if place is not None and (place in self.places or not readings.names and self.counts.get(place, 0) < RARE):
                return Hit(place, "place")
            if place is not None and not readings.names:  # a hamlet that is also a common surname (Nieminen)
                return Hit(place, "word" if readings.word else "name")
            if readings.names:
                base = next((n for n in readings.names if n in self.counts), readings.names[0])
                if base in self.places:
                    return Hit(base, "place")
                if readings.word or base in self.words:
                    return Hit(base, "word")
                return Hit(base, "name", sure=True)
            base = next((b for b in readings.word_bases if self.counts.get(b, 0) >= RARE), None)
            if base is not None:
                return Hit(base, "place" if base in self.places else "word")  # a word that is also a name (Rinne)
            if low in self.counts:  # a register name Voikko reads as words: made of them (Kalliovaara), or not
                return Hit(low, "word" if readings.compound else "hidden")
            base = self._stripped(low, lang)  # Voikko read only a word (Satun: 'sattua'); the register a name
            if base and (self.counts.get(base, 0) >= RARE or base == low):
                return Hit(base, "hidden")
            return None
        base = self._stripped(low, lang)
        if base is None:
            return None
        if base in self.places:
            return Hit(base, "place")
        if base in self.words or low in LANGUAGE_WORDS.get(lang, frozenset()):
            return Hit(base, "word")
        return Hit(base, "name", sure=sure)

    def _stripped(self, low: str, lang: str = "fi") -> str | None:
        """The gazetteer name this (possibly inflected, folded or pet) form is of, or None. When one of its
        readings is a place or an ordinary word, that reading wins: the caller then asks for evidence."""
        forms = base_forms(low)
        hits = [c for c in forms if c in self.counts]
        if hits:
            return next((c for c in forms if c in self.places), None) or next(
                (c for c in hits if c in self.words), max(hits, key=self.counts.__getitem__))
        for table in (self.folded, self.nicknames) if lang != "en" else (self.folded,):
            hit = next((table[c] for c in forms if c in table), None)
            if hit:
                return hit
        if "-" in low:  # Anna-Liisa, Meri-Maaria: every part a name
            parts = [self._stripped(p, lang) for p in low.split("-") if p]
            if parts and all(parts):
                return next((p for p in parts if p in self.places or p in self.words), low)
        return None


@cache
def gazetteer() -> Gazetteer:
    people = reference_data.person_names()
    names = people.group_by(pl.col("name").str.to_lowercase()).agg(pl.col("count").sum())
    counts = dict(zip(names["name"].to_list(), names["count"].to_list(), strict=True))
    first = set(people.filter(pl.col("kind") == "first")["name"].str.to_lowercase().to_list())
    lines = [line.strip() for line in reference_data.data_file("name_words.txt").read_text("utf-8").splitlines()
             if line.strip() and not line.startswith("#")]
    cut = lines.index("[places]")
    places = reference_data.postal_codes()
    place_names = set(lines[cut + 1:])
    for column in ("municipality", "region", "subregion", "major_region"):
        for value in places[column].drop_nulls().unique().to_list():
            place_names.update(w.lower() for w in _WORD.findall(value))
    folded = {n.translate(FOLD): n for n in counts if n.translate(FOLD) != n and n.translate(FOLD) not in counts}
    taken = set(counts) | place_names
    return Gazetteer(counts, frozenset(set(lines[:cut]) & counts.keys() - place_names), frozenset(place_names),
                     folded, nicknames(counts, first, taken))


def is_sentence_start(text: str, start: int) -> bool:
    before = text[:start].rstrip()
    return not before or before[-1] in _SENTENCE_MARKS


def _words_around(text: str, start: int, end: int) -> tuple[list[str], str]:
    """The two words before (within the same sentence) and the word after a token, lower-cased."""
    window = text[max(0, start - 40):start]
    cut = max(window.rfind(mark) for mark in ".!?;\n")
    before = _WORD.findall(window[cut + 1:])[-2:]
    after = _WORD.findall(text[end:end + 30])[:1]
    return [w.lower() for w in before], (after[0].lower() if after else "")


def _case(token: str) -> str:
    if token.isupper() and len(token) > 1:
        return "upper"
    return "lower" if token[0].islower() else "capital"


def score_group(text: str, group: list[tuple[int, int, Hit]], gaz: Gazetteer, lang: str = "fi") -> float:
    """How sure we are that these adjacent gazetteer words name a person (0..1)."""
    start, end = group[0][0], group[-1][1]
    hits = [h for *_, h in group]
    lower = all(_case(text[s:e]) == "lower" for s, e, _ in group)
    if _in_address(text, start, end):
        return 0.0  # part of an e-mail address, which is found whole
    if len(group) > 1:
        if lower:
            return 0.85 if any(h.sure for h in hits) and all(h.kind != "place" for h in hits) else 0.0
        if any(h.kind != "place" for h in hits):
            return 0.85
        _, after = _words_around(text, start, end)  # "Kaarina Lieto kertoo": two places speaking are a person
        return 0.8 if after in SPEECH_VERBS - WEAK and text[start:group[0][1]].lower() in gaz.counts else 0.3
    hit = hits[0]
    before, after = _words_around(text, start, end)
    bracket = _BRACKET.match(text, end)
    if bracket:
        before = before + [w.lower() for w in bracket.groups() if w]  # an apposition in brackets
    kin = any(w in KINSHIP_AND_ROLE for w in before)
    next_to_kin = bool(before) and before[-1] in KINSHIP_AND_ROLE
    owner = after in FOLLOWERS and text[end - 1:end].lower() in ("n", "s")  # a genitive before a family noun
    evidence = after in SPEECH_VERBS or owner or bool(_AGE.match(text, end))
    strong = (after in SPEECH_VERBS - WEAK) or owner or bool(_AGE.match(text, end)) \
        or (after in PASSIVES and text[start:end].lower().endswith(TO_SOMEONE) and hit.kind != "place")
    opening = is_sentence_start(text, start)
    if lower:
        return 0.75 if hit.kind == "name" and hit.sure else 0.0
    if hit.kind == "hidden":  # read as an ordinary word by Voikko: a name only right after a kinship word
        return 0.8 if kin or _AGE.match(text, end) else 0.0
    if hit.kind == "place":
        nominative = text[start:end].lower() == hit.base
        if next_to_kin and not _LOCATIVE.search(text[start:end].lower()):
            return 0.8  # "tytär Kaarina", "Soitettu Salolle", "Tavattu Kaarinan kanssa": a person
        if owner and after not in ("kanssa", "luona", "mukaan"):
            return 0.7  # Salon perhe: a family, not a town
        return 0.8 if next_to_kin and nominative else 0.7 if nominative and after in SPEECH_VERBS else 0.3
    if hit.kind == "word":
        homograph = text[start:end].lower() in LANGUAGE_WORDS.get(lang, frozenset())
        if kin or _AGE.match(text, end) or (owner and not homograph):
            return 0.8
        if homograph:
            strong = after in SPEECH_VERBS - WEAK
        if opening:
            return 0.6 if strong else 0.3
        return 0.75 if after in SPEECH_VERBS else 0.6
    if opening:
        if kin or evidence or hit.sure:
            return 0.8
        return 0.65 if gaz.counts.get(hit.base, RARE) >= RARE else 0.4  # a rare name opening a sentence
    return 0.85


def _in_address(text: str, start: int, end: int) -> bool:
    """Inside an e-mail address or a web address (matti.virtanen@…)."""
    left = text.rfind(" ", 0, start) + 1
    right = text.find(" ", end)
    chunk = text[left:right if right >= 0 else len(text)]
    return "@" in chunk or "://" in chunk or "www." in chunk


def find_names(text: str, gaz: Gazetteer | None = None, lang: str = "fi", cut: float = 0.5
               ) -> list[tuple[int, int, float]]:
    """(start, end, score) of every run of adjacent name words, then of every other mention of a name
    already found in the text; an initial just before a name is part of it."""
    gaz = gaz or gazetteer()
    hits = [(m.start(), m.end(), h) for m in WORD.finditer(text) if (h := gaz.classify(m.group(), lang))]
    groups: list[list[tuple[int, int, Hit]]] = []
    for hit in hits:
        if groups and text[groups[-1][-1][1]:hit[0]].strip() == "" and len(groups[-1]) < 4 \
                and _case(text[hit[0]:hit[1]]) == _case(text[groups[-1][-1][0]:groups[-1][-1][1]]):
            groups[-1].append(hit)
        else:
            groups.append([hit])
    out = []
    for g in groups:
        score = score_group(text, g, gaz, lang)
        start = g[0][0]
        initials = _INITIALS.search(text, max(0, start - 6), start)
        if initials and score >= cut and initials.end() == start:
            start = initials.start()
        out.append((start, g[-1][1], score))
    for i in range(len(out) - 2, -1, -1):  # "Stig och Gun Backman": a word joined to a name is one too
        s, e, score = out[i]
        if score < cut and out[i + 1][2] >= cut and _AND.search(text, e, out[i + 1][0]) \
                and _case(text[s:e]) != "lower" and groups[i][0][2].kind != "place":
            out[i] = (s, e, 0.8)
    named = {h.base for g, (_, _, score) in zip(groups, out, strict=True) if score >= cut for *_, h in g
             if h.kind != "place"}

    def again(g: list[tuple[int, int, Hit]]) -> bool:
        return any(h.base in named and (h.kind == "name" or _case(text[s:e]) != "lower") for s, e, h in g) \
            and not _in_address(text, g[0][0], g[-1][1])

    return [(s, e, score if score >= cut or not again(g) else 0.85)
            for g, (s, e, score) in zip(groups, out, strict=True)]
