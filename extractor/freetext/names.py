"""Person names by gazetteer: the population register's 34,935 first names and surnames.

Finnish inflects names ("Virtaselle", "Mikolle", "Laineen"), so a capitalised token is looked up as
written and then under the base forms its case ending and consonant gradation allow. Many names are
also ordinary words or places (Onni, Into, Toivo, Laine, Salo, Turku): those are reported only with
evidence — a neighbouring name, a kinship or role word before them, a speech verb after them, or a
capital in mid-sentence for a word that is not a place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

import polars as pl

from extractor import reference_data

TOKEN = re.compile(r"[A-ZÅÄÖÜÉ][a-zåäöüéèáàíóúšž]+(?:-[A-ZÅÄÖÜÉ]?[a-zåäöüéèáàíóúšž]+)*")
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_SENTENCE_MARKS = ".!?:;\n\"“(>-•*"

# Case endings, longest first (Finnish; "s" is the Swedish and English genitive).
ENDINGS = tuple(sorted({
    "n", "a", "ä", "ta", "tä", "na", "nä", "ksi", "lle", "lla", "llä", "lta", "ltä", "ssa", "ssä", "sta", "stä",
    "in", "ia", "iä", "ille", "illa", "illä", "ilta", "iltä", "issa", "issä", "ista", "istä", "iksi", "ina", "inä",
    "seen", "hin", "han", "hän", "hen", "hon", "hön", "hun", "hyn", "lleen", "ltaan", "ltään", "nsa", "nsä", "s",
    "kin", "kaan", "kään",
}, key=len, reverse=True))
# Weak grade (as inflected) -> strong grade (as in the base form), just before the last vowel.
_GRADATION = (("ng", "nk"), ("nn", "nt"), ("ll", "lt"), ("rr", "rt"), ("mm", "mp"), ("k", "kk"), ("p", "pp"),
              ("t", "tt"), ("d", "t"), ("v", "p"), ("", "k"))  # last: k lost altogether (Turu-ssa -> Turku)
_VOWELS = "aeiouyäöå"
RARE = 100  # fewer bearers than this: a sentence's first word matching it needs more evidence

def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


KINSHIP_AND_ROLE = _words("""
äiti isä poika tytär veli sisko sisar puoliso vaimo mies avopuoliso lapsi lapsen vanhempi isoäiti isoisä mummo
ukki vaari täti setä eno serkku omainen asiakas asiakkaan nimeltä nimeltään herra rouva neiti hra rva
sosiaalityöntekijä ohjaaja hoitaja lääkäri terapeutti edunvalvoja huoltaja naapuri ystävä kaveri
äidin isän pojan tyttären veljen siskon puolison vaimon miehen
mor far son dotter bror syster make maka fru herr klienten mamma pappa
mother father daughter brother sister wife husband client mr mrs ms dr
soitettu soitin puhuttu ilmoitettu kerrottu tavattu lähetetty sovittu keskusteltu tapasi tapasin
""")
SPEECH_VERBS = _words("""
kertoo kertoi soitti soittaa ilmoitti ilmoittaa toivoo toivoi pyytää pyysi sanoo sanoi kävi käy saapui tuli
asuu asui haluaa halusi osallistui osallistuu
berättar berättade ringde säger sade bor kom
says said called lives came
""")


@dataclass(frozen=True)
class Gazetteer:
    counts: dict[str, int]  # lower-case name -> people bearing it (first names and surnames together)
    words: frozenset[str]  # also an ordinary word: a capital mid-sentence is some evidence
    places: frozenset[str]  # also a place, organisation or month: a capital is no evidence
    seen: dict[str, str | None] = field(default_factory=dict, compare=False)  # token -> base form, memoised

    def base_form(self, token: str) -> str | None:
        if token not in self.seen:
            if len(self.seen) > 500_000:
                self.seen.clear()
            self.seen[token] = self._base_form(token)
        return self.seen[token]

    def _base_form(self, token: str) -> str | None:
        """The gazetteer name this (possibly inflected) token is a form of, or None. When one of its
        readings is a place or an ordinary word, that reading wins: the caller then asks for evidence."""
        forms = base_forms(token.lower())
        hits = [c for c in forms if c in self.counts]
        if hits:
            return next((c for c in forms if c in self.places), None) or next(
                (c for c in hits if c in self.words), max(hits, key=self.counts.__getitem__))
        if "-" in token:  # Anna-Liisa, Meri-Maaria: every part a name
            parts = [self.base_form(p) for p in token.split("-") if p]
            if parts and all(parts):
                return next((p for p in parts if p in self.places or p in self.words), token.lower())
        return None


def base_forms(word: str) -> list[str]:
    """The word, then the base forms its case ending and consonant gradation allow, most likely first."""
    out = [word]
    for ending in ENDINGS:
        if not word.endswith(ending) or len(word) - len(ending) < 2:
            continue
        stem = word[: -len(ending)]
        out.append(stem)
        if stem.endswith("se"):
            out.append(stem[:-2] + "nen")  # Virtase-lle -> Virtanen
        if stem.endswith("s"):
            out.append(stem[:-1] + "nen")  # Virtas-ta -> Virtanen
        if stem.endswith("ee"):
            out.append(stem[:-1])  # Lainee-n -> Laine
        if stem[-1] in _VOWELS:
            head, last = stem[:-1], stem[-1]
            for weak, strong in _GRADATION:
                if head.endswith(weak) and len(head) > len(weak):
                    out.append(head[:len(head) - len(weak)] + strong + last)  # Miko-lle -> Mikko, Anti-n -> Antti
    return out


@cache
def gazetteer() -> Gazetteer:
    names = reference_data.person_names().group_by(pl.col("name").str.to_lowercase()).agg(pl.col("count").sum())
    counts = dict(zip(names["name"].to_list(), names["count"].to_list(), strict=True))
    lines = [line.strip() for line in reference_data.data_file("name_words.txt").read_text("utf-8").splitlines()
             if line.strip() and not line.startswith("#")]
    cut = lines.index("[places]")
    places = reference_data.postal_codes()
    place_names = set(lines[cut + 1:])
    for column in ("municipality", "region", "subregion", "major_region"):
        for value in places[column].drop_nulls().unique().to_list():
            place_names.update(w.lower() for w in _WORD.findall(value))
    return Gazetteer(counts, frozenset(set(lines[:cut]) & counts.keys() - place_names), frozenset(place_names))


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


def score_group(text: str, group: list[tuple[int, int, str]], gaz: Gazetteer) -> float:
    """How sure we are that these adjacent gazetteer tokens name a person (0..1)."""
    start, end = group[0][0], group[-1][1]
    if len(group) > 1:
        return 0.85 if any(b not in gaz.places for *_, b in group) else 0.5
    base = group[0][2]
    before, after = _words_around(text, start, end)
    kin = any(w in KINSHIP_AND_ROLE for w in before)
    speaks = after in SPEECH_VERBS
    opening = is_sentence_start(text, start)
    if base in gaz.places:
        return 0.8 if kin else 0.7 if speaks else 0.3
    if base in gaz.words:
        if kin:
            return 0.8
        if opening:
            return 0.6 if speaks else 0.3
        return 0.75 if speaks else 0.6
    if opening:
        if kin or speaks:
            return 0.8
        return 0.65 if gaz.counts.get(base, RARE) >= RARE else 0.4  # a rare name opening a sentence: likely a word
    return 0.85


def find_names(text: str, gaz: Gazetteer | None = None) -> list[tuple[int, int, float]]:
    """(start, end, score) of every run of adjacent name tokens."""
    gaz = gaz or gazetteer()
    hits = [(m.start(), m.end(), b) for m in TOKEN.finditer(text) if (b := gaz.base_form(m.group()))]
    groups: list[list[tuple[int, int, str]]] = []
    for hit in hits:
        if groups and text[groups[-1][-1][1]:hit[0]].strip() == "" and len(groups[-1]) < 4:
            groups[-1].append(hit)
        else:
            groups.append([hit])
    return [(g[0][0], g[-1][1], score_group(text, g, gaz)) for g in groups]
