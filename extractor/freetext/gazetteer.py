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
from extractor.freetext.letters import LETTERS
from extractor.freetext.morphology import morphology
from extractor.freetext.name_evidence import LANGUAGE_WORDS, NEVER_NAMES
from extractor.freetext.name_forms import FOLD, base_forms
from extractor.freetext.nicknames import nicknames

_WORD = LETTERS
_SENTENCE_MARKS = ".!?:;\n\"“(>-•*"
_INFLECTED_ACRONYM = re.compile(r"^[A-ZÅÄÖ]{2,6}[a-zåäö]{1,4}$")  # PAMin, HUSin
_CAMEL = re.compile(r"^[A-ZÅÄÖa-zåäö][a-zåäö]+[A-ZÅÄÖ]")  # OnniBus, WhatsApp, OmaKanta: a brand, not a name

RARE = 100  # fewer bearers than this: a sentence's first word matching it needs more evidence
WORLD_COUNT = 10  # a name only the world list has counts as rare: found with a neighbour or evidence

@dataclass(frozen=True)
class Hit:
    base: str  # the register name (lower case) or the place this word is a form of
    kind: str  # "name", "word" (also an ordinary word) or "place"
    sure: bool = False  # Voikko reads it as a name and as nothing else


class _Hits(dict):
    """One language's words, each classified on first sight (__missing__) and remembered; at most 500,000."""

    def __init__(self, gaz: Gazetteer, lang: str) -> None:
        super().__init__()
        self.gaz, self.lang = gaz, lang

    def __missing__(self, token: str) -> Hit | None:
        if len(self) > 500_000:
            self.clear()
        hit = self[token] = self.gaz._fresh(token, self.lang)  # noqa: SLF001 - the memo is the gazetteer's own
        return hit


@dataclass(frozen=True)
class Gazetteer:
    counts: dict[str, int]  # lower-case name -> people bearing it (first names and surnames together)
    words: frozenset[str]  # also an ordinary word: a capital mid-sentence is some evidence
    places: frozenset[str]  # also a place, organisation or month: a capital is no evidence
    folded: dict[str, str] = field(default_factory=dict)  # name without diacritics -> name (nystrom -> nyström)
    areas: frozenset[str] = frozenset()  # districts and villages (postal areas) that are also common names
    nicknames: dict[str, str] = field(default_factory=dict)  # derived nickname -> first name (jukkis -> jukka)
    seen: dict[str, _Hits] = field(default_factory=dict, compare=False)  # per language: word -> Hit or None

    def hits(self, lang: str) -> _Hits:
        """The language's memo of words classified: `hits(lang)[word]` is `classify(word, lang)`, at the cost of a
        dict lookup once the word has been seen (the name recognizer asks for every word of every note)."""
        memo = self.seen.get(lang)
        if memo is None:
            memo = self.seen[lang] = _Hits(self, lang)
        return memo

    def classify(self, token: str, lang: str = "fi") -> Hit | None:
        return self.hits(lang)[token]

    def _fresh(self, token: str, lang: str) -> Hit | None:
        hit = self._classify(token, lang)
        if hit is not None and hit.kind != "place" and hit.base in self.areas and in_place_case(token):
            hit = Hit(hit.base, "place")  # Kalliosta, Käpylässä: the district, not Mr Kallio
        return hit

    def _classify(self, token: str, lang: str) -> Hit | None:
        if len(token) < 2 or (token.isupper() and len(token) < 4) or _CAMEL.match(token):
            return None  # an initial, an acronym (ID, KELA, VTJ) or a brand (OnniBus), not a name
        if _INFLECTED_ACRONYM.match(token) or is_term(token.lower(), dictionary_terms()):
            return None  # a term of the trade (Migri, Marevan, Parkinsonin) or an acronym in a case (PAMin)
        word = "-".join(p.capitalize() for p in token.split("-")) if token.isupper() else token
        low = word.lower()
        if low in NEVER_NAMES.get(lang, frozenset()):
            return None
        if "-" in word and morphology() and lang == "fi" and low not in self.counts:  # Karhu-nimistä: the last part
            last = morphology().readings(word.rsplit("-", 1)[1])
            if last is not None and last.word and not last.names:
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
            if base and any(f in self.words and f in self.nicknames for f in base_forms(low)):
                return Hit(base, "word")  # a pet name that is also a word (Tumppi): evidence decides
            if base and (self.counts.get(base, 0) >= RARE or base == low):
                return Hit(base, "hidden")
            return None
        base = self._stripped(low, lang)
        if base is None:
            return None
        if base in self.places:
            return Hit(base, "place")
        if base in self.words or low in LANGUAGE_WORDS.get(lang, frozenset()) \
                or _list_word(low, lang, self.counts.get(base, 0)):
            return Hit(base, "word")
        return Hit(base, "name", sure=sure)

    def is_place(self, token: str) -> bool:
        """A place, organisation or month in some case form (Vuosaareen, Kronohagen, Elisalla)."""
        forms = base_forms(token.lower())
        return any(f in self.places for f in forms) or (in_place_case(token) and any(f in self.areas for f in forms))

    def _stripped(self, low: str, lang: str = "fi") -> str | None:
        """The gazetteer name this (possibly inflected, folded or pet) form is of, or None. When one of its
        readings is a place or an ordinary word, that reading wins: the caller then asks for evidence.
        English has no case endings (its genitive's apostrophe splits the word): only the word itself."""
        forms = [low] if lang == "en" else base_forms(low)
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
    world = reference_data.world_names()  # names of people in Finland the register lacks (Faker's providers)
    for name, kind in world.select("name", "kind").iter_rows():
        counts.setdefault(name, WORLD_COUNT)
        if kind != "last":
            first.add(name)
    lines = [line.strip() for line in reference_data.data_file("name_words.txt").read_text("utf-8").splitlines()
             if line.strip() and not line.startswith("#")]
    cut = lines.index("[places]")
    municipalities, areas = _place_words()
    # A district or village named like a common name (Kallio, Mäki, Nieminen) is a place only in a place's case.
    common_areas = {a for a in areas if counts.get(a, 0) >= RARE}
    nen_names = {a for a in common_areas if a.endswith("nen")}  # a village called Nieminen: the name wins
    common_areas -= nen_names
    place_names = set(lines[cut + 1:]) | municipalities | (areas - common_areas - nen_names)
    # Several names may fold to one form (åsa, äsa -> asa): the commonest is read, as _stripped reads a form of
    # several names, and ties by the name itself, so that every process folds alike (the register's counts come
    # from a parallel group_by, in no fixed order).
    folds = [(f, n) for n in counts if (f := n.translate(FOLD)) != n and f not in counts]
    folded: dict[str, str] = {}
    for f, n in sorted(folds, key=lambda fn: (fn[0], -counts[fn[1]], fn[1])):
        folded.setdefault(f, n)
    taken = set(counts) | place_names
    words = set(lines[:cut]) | set(world.filter(pl.col("word"))["name"].to_list())
    pet_words: set[str] = set()
    pets = nicknames(counts, first, taken, pet_words)
    return Gazetteer(counts, frozenset((words & counts.keys() - place_names) | pet_words), frozenset(place_names),
                     folded=folded, nicknames=pets, areas=frozenset(common_areas - place_names))


def _place_words() -> tuple[set[str], set[str]]:
    """(municipalities and regions, postal areas in Finnish and Swedish: Kallio, Käpylä, Kottby)."""
    places = reference_data.postal_codes()
    out: tuple[set[str], set[str]] = (set(), set())
    for column in ("municipality", "region", "subregion", "major_region", "postal_area_fi", "postal_area_sv"):
        for value in places[column].drop_nulls().unique().to_list():
            out[column.startswith("postal")].update(w.lower() for w in _WORD.findall(value) if w[0].isupper())
    return out


_PLACE_CASE = re.compile(r"(?i)(?:ssa|ssä|sta|stä|seen|hin|aan|ään|een|iin|oon|uun|yyn|öön)$")
_PARTITIVE_NEN = re.compile(r"(?i)s(?:ta|tä)$")


def in_place_case(token: str) -> bool:
    """In a case that says where (in, from, into: Kalliossa, Kalliosta, Vuosaareen), and not the partitive
    of a -nen name (Niemistä, Virtasta), which looks like one."""
    if not _PLACE_CASE.search(token):
        return False
    return not (_PARTITIVE_NEN.search(token) and token[:-3].lower() + "nen" in gazetteer().counts)


def _list_word(low: str, lang: str, count: int = 0) -> bool:
    """An ordinary Swedish or English word by the language's word list (patience, hope; sten, berg), or one
    of its proper nouns that hardly anyone in Finland is named (English, Swedish)."""
    from extractor.freetext.dictionary import word_list

    lists = word_list(lang) if lang in ("sv", "en") else None
    return bool(lists) and (low in lists[0] or (low in lists[1] and count < RARE))


def is_term(low: str, terms: frozenset[str]) -> bool:
    from extractor.freetext.dictionary import is_term as term

    return term(low, terms)


def dictionary_terms() -> frozenset[str]:
    from extractor.freetext.dictionary import trade_terms

    return trade_terms()


# A full stop that ends a title's abbreviation or an initial (dr. Salo, J. Brown) ends no sentence.
ABBREVIATED = re.compile(r"(?:\b(?i:dr|tri|prof|dos|hra|rva|mr|mrs|ms|sh|th|lääk|sair|ft|tt|sos|läk|rev)"
                         r"|(?<![\w.])[A-ZÅÄÖ])\.$")


def is_sentence_start(text: str, start: int) -> bool:
    before = text[:start].rstrip()
    return not before or (before[-1] in _SENTENCE_MARKS and not ABBREVIATED.search(before[-6:]))


