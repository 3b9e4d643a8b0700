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
from functools import cache, lru_cache

import polars as pl

from extractor import reference_data
from extractor.freetext.morphology import morphology
from extractor.freetext.name_evidence import (
    CONTACT,
    DEFINITE,
    FOLLOWERS,
    GRANTED,
    INSTITUTIONS,
    KINSHIP_AND_ROLE,
    LANGUAGE_WORDS,
    NEVER_NAMES,
    PASSIVES,
    PLACE_PREPOSITIONS,
    SPEECH_VERBS,
    STREET_AFTER,
    TO_SOMEONE,
    WEAK,
)
from extractor.freetext.name_forms import FOLD, base_forms
from extractor.freetext.nicknames import nicknames

WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")  # a word, hyphenated compounds whole (Anna-Liisa)
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_SENTENCE_MARKS = ".!?:;\n\"“(>-•*"
_INITIALS = re.compile(r"(?:\b[A-ZÅÄÖ]\.\s?){1,2}$|\b[A-ZÅÄÖ]-[A-ZÅÄÖ]\.?\s$")  # "T. ", "M. K. ", "A-K " before a name
TWO_INITIALS = re.compile(r"(?<![\w.])[A-ZÅÄÖ]\.\s?[A-ZÅÄÖ]\.(?=\s|$|[,;:/)])(?!\s*Box)")  # M. K., not P.O. Box
ALIAS = re.compile(r"\s+(?:eli|alias|kallas|aka|dvs\.?)\s+([A-ZÅÄÖ]{2,3})\b")
INFLECTED_INITIALS = re.compile(r"\b[A-ZÅÄÖ](?:[-.][A-ZÅÄÖ])?\.?:[a-zåäö]{1,4}\b")  # A-K:n, M-L:s, J.K:lle, K:n
HYPHEN_INITIALS = re.compile(r"(?<![\w-])[A-ZÅÄÖ]-[A-ZÅÄÖ](?![\w-])")  # J-P (Juha-Pekka) on their own
# A writer's initials signing a note (… /mk, Kirj. PK, Kirjaaja: hj) at its end or before a line break.
SIGNATURE = re.compile(r"(?:(?<=\s)/|(?<=[.!?]\s)|(?<=!!\s)|\b(?i:kirj\.?|kirjaaja:?|kirjannut:?|kirjasi|"
                       r"antecknat av:?|protokollförare:?|sekreterare:?|signed:?|minutes:?|notes by:?)\s*)"
                       r"(?!(?i:ok|kl|nr|jne|yms|mm|ym|obs)\b)([A-ZÅÄÖa-zåäö]{2,3})\.?\s*(?:$|\n)")
_AGE = re.compile(r"\s*\(\s*\d{1,3}\s*(?:v|vuotta|år|y|yrs|years)?\s*\)|\s*\(\s*\d{1,3}\s*(?:v|vuotta|år|y|yrs|years)\b"
                  r"|\s+is\s+\d{1,3}\s+years")  # "Onni (7 v)", "Grace (9)"
_BRACKET = re.compile(r"\s*\(\s*([^\W\d_]+)(?:\s+([^\W\d_]+))?")  # "Pena (asiakkaan veli)"
_LOCATIVE = re.compile(r"(?:ssa|ssä|sta|stä|hin|seen|aan|ään|iin|oon|uun|yyn|öön|een)$")  # in, from, into a place
NEGATIONS = frozenset({"ei", "eikä", "inte", "not"})
# A place's genitive before an institution, a district or an area (Malmin sairaalaan, Kallion terveysaseman).
INSIDE = frozenset({"i", "in", "på", "at", "via", "genom", "through"})  # nobody is "in" a person
WORKPLACE = frozenset({"töissä", "töihin", "töistä"})
LIVING = frozenset({"asuu", "asui", "asunut", "asuvat", "asuneet", "muutti", "muuttanut", "muuttivat", "luona",
                    "bor", "bodde", "flyttade", "lives", "lived", "moved"})
_CARE_PLACE = re.compile(r"(?:sairaala|terveysasema|palvelukeskus|sosiaaliasema|kirjasto|kirkko|terveyskeskus)\w*$")
_STREET_NEXT = re.compile(r"\s+[A-ZÅÄÖ][a-zåäö]*(?:katu|tie|kuja|polku|väylä|gatan|vägen)\s+\d")
_INFLECTED_ACRONYM = re.compile(r"^[A-ZÅÄÖ]{2,6}[a-zåäö]{1,4}$")  # PAMin, HUSin
_CAMEL = re.compile(r"^[A-ZÅÄÖa-zåäö][a-zåäö]+[A-ZÅÄÖ]")  # OnniBus, WhatsApp, OmaKanta: a brand, not a name
_INSTITUTION = re.compile(r"(?:sairaala|keskus|keskukse|asema|koulu|kirjasto|alue|kaupunginosa|toimipiste|neuvola|"
                          r"kirkko|kampus|puisto|satama|kenttä|lähiö|terveysasema|kylä|kunta|kunna|kaupunki|"
                          r"kaupung)\w*$")
COPULAS = frozenset({"on", "oli", "is", "was", "är", "var"})
COMPANY_FORMS = frozenset({"oy", "oyj", "ab", "abp", "ltd", "ry", "ky", "tmi", "inc", "gmbh", "rf"})
_NEGATED_VERB = re.compile(r"\s+(?:ei|eikä|inte|not)\s+[^\W\d_]+(?:nut|nyt|neet|lut|lyt|sut|syt|rut|ryt|tut|tyt)\b")
_VISIT_TIME = re.compile(r"\s+(?:klo\s+)?\d{1,2}[.:]\d{2}\b")  # Rinne 8.00 ins.: a home-care visit list
_AND = re.compile(r"\s+(?:ja|sekä|eli|alias|och|dvs|and|aka|&)\s+")  # the whole gap between two names

RARE = 100  # fewer bearers than this: a sentence's first word matching it needs more evidence
WORLD_COUNT = 10  # a name only the world list has counts as rare: found with a neighbour or evidence


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
    areas: frozenset[str] = frozenset()  # districts and villages (postal areas) that are also common names
    nicknames: dict[str, str] = field(default_factory=dict)  # derived nickname -> first name (jukkis -> jukka)
    seen: dict[tuple[str, str], Hit | None] = field(default_factory=dict, compare=False)  # memo per (word, lang)

    def classify(self, token: str, lang: str = "fi") -> Hit | None:
        key = (token, lang)
        if key not in self.seen:
            if len(self.seen) > 500_000:
                self.seen.clear()
            hit = self._classify(token, lang)
            if hit is not None and hit.kind != "place" and hit.base in self.areas and in_place_case(token):
                hit = Hit(hit.base, "place")  # Kalliosta, Käpylässä: the district, not Mr Kallio
            self.seen[key] = hit
        return self.seen[key]

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
    folded = {n.translate(FOLD): n for n in counts if n.translate(FOLD) != n and n.translate(FOLD) not in counts}
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


@lru_cache(maxsize=200_000)
def _is_kin(word: str, lang: str) -> bool:
    """A kinship or role word in any form: tyttärelle, sisaren (Voikko's base form), dottern (definite)."""
    if word in KINSHIP_AND_ROLE:
        return True
    if lang == "sv":
        return any(word.endswith(d) and word[: -len(d)] in KINSHIP_AND_ROLE for d in DEFINITE)
    readings = morphology().readings(word) if lang == "fi" and morphology() else None
    return readings is not None and any(b in KINSHIP_AND_ROLE for b in readings.word_bases)


def _is_kin_word(token: str, lang: str) -> bool:
    """The token itself is a kinship or family noun of the note's language (Veli, Perhe, Veljen; Make is a
    Swedish spouse but a Finnish pet name)."""
    if lang != "fi":
        return token.lower() in KINSHIP_AND_ROLE
    readings = morphology().readings(token) if morphology() else None
    return readings is not None and readings.word and any(b in KINSHIP_AND_ROLE for b in readings.word_bases)


def _in_a_place(before: list[str], after: str) -> bool:
    """Where only a place or a thing can stand: in (i, på, in, at, via), at work in (töissä X:ssä), or the
    genitive before a hospital or a service centre (Auroran sairaalassa)."""
    return bool(before) and (before[-1] in INSIDE or before[-1] in WORKPLACE) or bool(_CARE_PLACE.match(after))


def _kin_after(text: str, end: int, lang: str) -> bool:
    """'Will is the client's son', 'Onni on asiakkaan poika': a copula, then a kinship word within three words."""
    after = [w.lower() for w in _WORD.findall(text[end:end + 40])][:4]
    return bool(after) and after[0] in COPULAS and any(_is_kin(w, lang) for w in after[1:])


def _where_a_place_is(text: str, start: int, end: int, before: list[str], after: str, gaz: Gazetteer,
                      hit: Hit) -> bool:
    """A place's position: after a preposition of place (i Malm, from Kallio), after a postal code, before a
    street word (Baker Street), or a place's genitive before an institution (Malmin sosiaaliasemalla)."""
    placeish = hit.kind == "place" or hit.base in gaz.areas or hit.base in gaz.places
    if after in STREET_AFTER:
        return True
    if placeish and before and before[-1] in PLACE_PREPOSITIONS:
        return True
    if re.search(r"\b\d{5}\s+$", text[max(0, start - 8):start]):
        return True
    return placeish and (after in INSTITUTIONS or bool(_INSTITUTION.search(after)))


def _lower_in_a_hurry(text: str, start: int, end: int, before: list[str], after: str, hit: Hit,
                      gaz: Gazetteer) -> float:
    """A first name typed in lower case, in a note typed without capitals, where a person stands: right
    after a verb of getting in touch (soitin tuulille), or before a verb a person does (onni nukkui)."""
    if any(c.isupper() for c in text) or hit.kind == "place" or hit.base not in gaz.counts:
        return 0.0
    if before and (before[-1] in CONTACT or _is_kin_word(before[-1], "fi") or _is_kin(before[-1], "sv")):
        return 0.6  # soitin tuulille; äiti tuuli, mummo helmi, syster vera, mum rose
    if _AGE.match(text, end) or _BRACKET.match(text, end):
        return 0.6  # will (son, 15)
    return 0.6 if after in SPEECH_VERBS - WEAK and gaz.counts[hit.base] >= RARE else 0.0


def score_group(text: str, group: list[tuple[int, int, Hit]], gaz: Gazetteer, lang: str = "fi") -> float:
    """How sure we are that these adjacent gazetteer words name a person (0..1)."""
    start, end = group[0][0], group[-1][1]
    hits = [h for *_, h in group]
    lower = all(_case(text[s:e]) == "lower" for s, e, _ in group)
    if _in_address(text, start, end):
        return 0.0  # part of an e-mail address, which is found whole
    if len(group) > 1:
        _, after = _words_around(text, start, end)
        if lower:
            return 0.85 if any(h.sure for h in hits) and all(h.kind != "place" for h in hits) else 0.0
        if after in STREET_AFTER or text[group[-1][0]:group[-1][1]].lower() in STREET_AFTER \
                or _STREET_NEXT.match(text, end) or after in COMPANY_FORMS:
            return 0.0  # Baker Street; Läntinen Brahenkatu 6: a street; Golden Dragon Ky: a company
        if any(h.kind != "place" for h in hits):
            return 0.85
        # "Kaarina Lieto kertoo": two places speaking are a person
        return 0.8 if after in SPEECH_VERBS - WEAK and text[start:group[0][1]].lower() in gaz.counts else 0.3
    return _score_one(text, start, end, hits[0], gaz, lang, lower)


def _score_one(text: str, start: int, end: int, hit: Hit, gaz: Gazetteer, lang: str, lower: bool) -> float:
    before, after = _words_around(text, start, end)
    bracket = _BRACKET.match(text, end)
    if bracket:
        before = before + [w.lower() for w in bracket.groups() if w]  # an apposition in brackets
    kin = any(_is_kin(w, lang) for w in before)
    next_to_kin = bool(before) and _is_kin(before[-1], lang)
    owner = after in FOLLOWERS and text[end - 1:end].lower() in ("n", "s")  # a genitive before a family noun
    age = bool(_AGE.match(text, end))
    evidence = after in SPEECH_VERBS or owner or age
    to_someone = after in PASSIVES and text[start:end].lower().endswith(TO_SOMEONE)
    strong = (after in SPEECH_VERBS - WEAK) or owner or age or (to_someone and hit.kind != "place") \
        or (after in NEGATIONS and bool(_NEGATED_VERB.match(text, end))) or bool(_VISIT_TIME.match(text, end))
    if to_someone and after in GRANTED and hit.kind == "place" and gaz.counts.get(hit.base, 0) >= RARE:
        return 0.7  # Elisalle myönnettiin toimeentulotukea: a person is granted support, a company is not
    opening = is_sentence_start(text, start)
    if lower:
        return 0.75 if hit.kind == "name" and hit.sure else _lower_in_a_hurry(text, start, end, before, after, hit,
                                                                                 gaz)
    if after in COMPANY_FORMS or _STREET_NEXT.match(text, end) or _in_a_place(before, after) \
            or (not next_to_kin and _where_a_place_is(text, start, end, before, after, gaz, hit)):
        return 0.0  # Hoivakoti Aurinko Oy; Läntinen Brahenkatu 6; i Lund, via Wilma; Malmin sosiaaliasemalla
    if (hit.kind == "place" or hit.base in gaz.areas) and any(w in LIVING for w in before) \
            and (in_place_case(text[start:end]) or text[start:end].lower().endswith(("lla", "llä", "lta", "ltä"))):
        return 0.0  # asuu … Malmilla, on muuttanut Salosta: where someone lives
    if _is_kin_word(text[start:end], lang) and not (kin or age):
        return 0.0  # Perhe toivoo, Veli muutti: the family, the brother, unless an age or a kinship word says not
    if hit.kind == "hidden":  # read as an ordinary word by Voikko: a name only right after a kinship word
        return 0.8 if kin or age else 0.0
    if hit.kind == "place":
        nominative = text[start:end].lower() == hit.base
        if next_to_kin and not _LOCATIVE.search(text[start:end].lower()):
            return 0.8  # "tytär Kaarina", "Soitettu Salolle", "Tavattu Kaarinan kanssa": a person
        if owner and after not in ("kanssa", "luona", "mukaan"):
            return 0.7  # Salon perhe: a family, not a town
        acts = after in SPEECH_VERBS - WEAK or (after in NEGATIONS and _NEGATED_VERB.match(text, end))
        return 0.8 if next_to_kin and nominative else 0.7 if nominative and acts else 0.3
    if hit.kind == "word":
        homograph = text[start:end].lower() in LANGUAGE_WORDS.get(lang, frozenset())
        if kin or age or (owner and not homograph) or _kin_after(text, end, lang):
            return 0.8
        if _is_kin(text[start:end].lower(), lang):
            return 0.0  # Veli muutti: the brother, unless a kinship word or an age says it is a name
        if homograph:
            strong = after in SPEECH_VERBS - WEAK
        if opening or lang == "en":  # English capitalises languages and nations mid-sentence too
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


def tokens(text: str) -> list[tuple[int, int, str]]:
    """The note's words (hyphenated compounds whole), read once and shared by both lines of defence."""
    return [(m.start(), m.end(), m.group()) for m in WORD.finditer(text)]


def find_names(text: str, gaz: Gazetteer | None = None, lang: str = "fi", cut: float = 0.5,
               words: list[tuple[int, int, str]] | None = None) -> list[tuple[int, int, float]]:
    """(start, end, score) of every run of adjacent name words, then of every other mention of a name
    already found in the text; an initial just before a name is part of it."""
    gaz = gaz or gazetteer()
    seen, classify = gaz.seen, gaz.classify
    hits = [(s, e, h) for s, e, w in (words if words is not None else tokens(text))
            if (h := seen[(w, lang)] if (w, lang) in seen else classify(w, lang))]
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
        initials = _INITIALS.search(text, max(0, start - 6), start)
        if initials and score >= cut and initials.end() == start:
            start = initials.start()
        out.append((start, g[-1][1], score))
    hurried = not any(c.isupper() for c in text)  # typed without capitals: lower case says nothing
    for i in range(len(out) - 2, -1, -1):  # "Stig och Gun Backman", "Tumppi eli Tuomas": joined to a name
        s, e, score = out[i]
        j = next((k for k in range(i + 1, len(out)) if out[k][2] >= cut), None)
        if score < cut and j is not None and _AND.fullmatch(text, e, out[j][0]) \
                and (hurried or _case(text[s:e]) != "lower") and groups[i][0][2].kind != "place":
            out[i] = (s, e, 0.8)
    for i in range(1, len(out) if hurried else 0):  # "tavattu satu ja toivo": and the other way round
        s, e, score = out[i]
        hit = groups[i][0][2]
        if score < cut and out[i - 1][2] >= cut and _AND.fullmatch(text, out[i - 1][1], s) and hit.kind != "place" \
                and gaz.counts.get(hit.base, 0) >= RARE:
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
    found += _initials(text, found)
    if not second.on:
        return found
    from extractor.freetext.unknown_words import possible_names

    taken = [(s, e) for s, e, _ in found]
    return found + [p for p in possible_names(text, lang, gaz, second.terms, words)
                    if not any(s < p[1] and p[0] < e for s, e in taken)]


def _initials(text: str, found: list[tuple[int, int, float]]) -> list[tuple[int, int, float]]:
    """Initials standing for a person: in a case (A-K:n, J.K:lle), two with dots (M. K.), signing the note
    (… /mk, Kirj. PK), hyphenated (J-P), and an acronym given for a name (Juha-Pekka eli JP). Each pattern
    runs only where its mark is in the note."""
    out: list[tuple[int, int, float]] = []
    if ":" in text:
        out += [(m.start(), m.end(), 0.7) for m in INFLECTED_INITIALS.finditer(text)]
    if ". " in text or text.endswith("."):
        out += [(m.start(), m.end(), 0.6) for m in TWO_INITIALS.finditer(text)]
    tail = max(0, len(text) - 60)
    out += [(m.start(1), m.end(1), 0.6) for m in SIGNATURE.finditer(text, tail)]
    if "-" in text:
        out += [(m.start(), m.end(), 0.6) for m in HYPHEN_INITIALS.finditer(text)
                if not any(s <= m.start() < e for s, e, _ in found + out)]
    if " eli " in text or " alias " in text or " dvs" in text or " aka " in text:
        ends = {e for _, e, _ in found + out}
        out += [(m.start(1), m.end(1), 0.7) for m in ALIAS.finditer(text) if m.start() in ends]
    return out
