"""How sure the words around a gazetteer hit make us that it names a person (names.py asks, per group).

Evidence for a person: a kinship or role word before it in any form, a verb a person does after it, an
age in brackets, a genitive before a family noun, a copula and a kinship noun after it. Evidence for a
place or a thing: a preposition of place, a postal code before it, an institution, street or company
word after it, a verb of living before a place's case. Lower-case names count only in a note typed without
capitals, after a verb of getting in touch or a kinship noun.
"""

from __future__ import annotations

import re
from functools import lru_cache

from extractor.freetext.gazetteer import ABBREVIATED, RARE, Gazetteer, Hit, in_place_case, is_sentence_start
from extractor.freetext.letters import letters_pattern
from extractor.freetext.morphology import morphology
from extractor.freetext.name_evidence import (
    CONTACT,
    CONTACT_PREPOSITIONS,
    DEFINITE,
    FOLLOWERS,
    GRANTED,
    INSTITUTIONS,
    KINSHIP_AND_ROLE,
    LANGUAGE_WORDS,
    PASSIVES,
    PLACE_PREPOSITIONS,
    SPEECH_VERBS,
    STREET_AFTER,
    TO_SOMEONE,
    WEAK,
    a_date,
)

_AGE = re.compile(r"\s*\(\s*\d{1,3}\s*(?:v|vuotta|år|y|yrs|years)?\s*\)|\s*\(\s*\d{1,3}\s*(?:v|vuotta|år|y|yrs|years)\b"
                  r"|\s+(?:is|är|on)\s+\d{1,3}(?:\s*(?:years|år|vuotta|v)\b|-vuotias)"
                  r"|,\s*\d{1,3}\s*(?:v|vuotta|år|y|yrs|years)\s*\)"  # "Onni (7 v)", "Sol är 4 år", "(Viking, 10 år)"
                  r"|\s+\d{1,3}\s?(?:v|vuotta|år|yrs|years)(?![\w.])")  # "ville 23v", "Kari 45 v"
# An English possessive before a word (Mark's teacher, Lily's paediatric assessment): someone's.
_POSSESSIVE = re.compile(r"['\u2019]s\s+[a-z]")
# "Bill is worried", "Rose has been staying", "Maria is shaken": an English auxiliary, then a participle.
_AUXILIARY_PARTICIPLE = re.compile(r"\s+(?:is|was|has|had)\s+(?:not\s+)?(?!(?:need|requir|expect|advis|recommend|"
                                   r"plann|schedul|arrang|book|cancell|postpon|agre|not|discuss|consider|grant|pay|"
                                   r"sen|receiv|approv|reject|continu|reduc|increas|decid)\w*\b)[a-z]+(?:ing|ed|en)\b")
_INITIAL_BEFORE = re.compile(r"(?<![\w.])[A-ZÅÄÖ]\.\s?$")
_BRACKET = re.compile(r"\s*\(\s*([^\W\d_]+)(?:\s+([^\W\d_]+))?")  # "Pena (asiakkaan veli)"
# "Rose, the client's sister", "Liisa, asiakkaan sisko", "Vera, hans syster": an apposition whose possessor
# says the word after it is a relation (the relation word is then weighed as a bracketed one is).
_APPOSITION = re.compile(r",\s+(?:the|his|her|their|hänen|asiakkaan|potilaan|hans|hennes|deras|klientens|"
                         r"patientens)\s+(?:(?:client|patient)['\u2019]s\s+)?([^\W\d_]+)", re.IGNORECASE)
_LOCATIVE = re.compile(r"(?:ssa|ssä|sta|stä|hin|seen|aan|ään|iin|oon|uun|yyn|öön|een)$")  # in, from, into a place
NEGATIONS = frozenset({"ei", "eikä", "inte", "not"})
# A place's genitive before an institution, a district or an area (Malmin sairaalaan, Kallion terveysaseman).
INSIDE = frozenset({"i", "in", "på", "at", "via", "genom", "through"})  # nobody is "in" a person
WORKPLACE = frozenset({"töissä", "töihin", "töistä"})
LIVING = frozenset({"asuu", "asui", "asunut", "asuvat", "asuneet", "muutti", "muuttanut", "muuttivat", "luona",
                    "bor", "bodde", "flyttade", "lives", "lived", "moved"})
_CARE_PLACE = re.compile(r"(?:sairaala|terveysasema|palvelukeskus|sosiaaliasema|kirjasto|kirkko|terveyskeskus)\w*$")
_STREET_NEXT = re.compile(r"\s+[A-ZÅÄÖ][a-zåäö]*(?:katu|tie|kuja|polku|väylä|gatan|vägen)\s+\d")
_INSTITUTION = re.compile(r"(?:sairaala|keskus|keskukse|asema|koulu|kirjasto|alue|kaupunginosa|toimipiste|neuvola|"
                          r"kirkko|kampus|puisto|satama|kenttä|lähiö|terveysasema|kylä|kunta|kunna|kaupunki|"
                          r"kaupung)\w*$")
COPULAS = frozenset({"on", "oli", "is", "was", "är", "var"})
COMPANY_FORMS = frozenset({"oy", "oyj", "ab", "abp", "ltd", "ry", "ky", "tmi", "inc", "gmbh", "rf"})
_NEGATED_VERB = re.compile(r"\s+(?:ei|eikä|inte|not)\s+[^\W\d_]+(?:nut|nyt|neet|lut|lyt|sut|syt|rut|ryt|tut|tyt)\b")
_VISIT_TIME = re.compile(r"\s+(?:klo\s+)?\d{1,2}[.:]\d{2}\b")  # Rinne 8.00 ins.: a home-care visit list


def _next_word(text: str, end: int) -> str:
    """The second word after a token (the one after its "'s"), lower-cased."""
    window = text[end:end + 40]
    words = letters_pattern(window).findall(window)[1:2]
    return words[0].lower() if words else ""


def _words_around(text: str, start: int, end: int) -> tuple[list[str], str]:
    """The two words before (within the same sentence) and the word after a token, lower-cased."""
    window = text[max(0, start - 40):start]
    cut = max(window.rfind("!"), window.rfind("?"), window.rfind(";"), window.rfind("\n"))
    stop = window.rfind(".")
    while stop > cut and ABBREVIATED.search(window[max(0, stop - 5):stop + 1]):
        stop = window.rfind(".", 0, stop)  # dr. Salo, J. Brown: the full stop ends an abbreviation
    window, following = window[max(cut, stop) + 1:], text[end:end + 30]
    before = letters_pattern(window).findall(window)[-2:]
    after = letters_pattern(following).findall(following)[:1]
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
    window = text[end:end + 40]
    after = [w.lower() for w in letters_pattern(window).findall(window)][:4]
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


@lru_cache(maxsize=8)
def _stop_words(lang: str) -> frozenset[str]:
    """spaCy's stop words of the language (som, hans, will): the commonest words, never a name in lower case."""
    import importlib

    try:
        return frozenset(importlib.import_module(f"spacy.lang.{lang}.stop_words").STOP_WORDS)
    except (ImportError, AttributeError):
        return frozenset()


def is_stop_word(low: str, lang: str) -> bool:
    return low in _stop_words(lang)


def _lower_in_a_hurry(text: str, start: int, end: int, before: list[str], after: str, hit: Hit,
                      gaz: Gazetteer, lang: str = "fi") -> float:
    """A first name typed in lower case, in a note typed without capitals, where a person stands: right
    after a verb of getting in touch (soitin tuulille), after a kinship noun unless it is one of the language's
    commonest words (sonen som inte: som is 'who'), or before a verb a person does (onni nukkui)."""
    if any(map(str.isupper, text)) or hit.kind == "place" or hit.base not in gaz.counts:
        return 0.0
    if text[start:end] in CONTACT_PREPOSITIONS:
        return 0.0  # ringde till johan: the person comes after the preposition
    if before and (before[-1] in CONTACT or (before[-1] in CONTACT_PREPOSITIONS and before[:-1]
                                             and before[-2] in CONTACT)):
        return 0.6  # soitin tuulille, called will; pratade med stig
    if before and (_is_kin_word(before[-1], "fi") or _is_kin(before[-1], "sv")) \
            and not is_stop_word(text[start:end].lower(), lang):
        return 0.6  # äiti tuuli, mummo helmi, syster vera, mum rose; not sonen som (who)
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
    if lower and hits[0].kind in ("word", "hidden") and any(map(str.isupper, text)):
        return 0.0  # a word written as a word in a note with capitals: what _score_one says, without its evidence
    return _score_one(text, start, end, hits[0], gaz, lang, lower)


def _lower_score(text: str, start: int, end: int, before: list[str], after: str, hit: Hit, gaz: Gazetteer,
                 lang: str, next_to_kin: bool) -> float:
    """A hit written in lower case: a sure first name; a first name right after a kinship word or a verb of getting
    in touch, or before an age, in any note (phoned mum kelly, saw ville, ville 23v), never a stop word; else only
    in a note typed without capitals (_lower_in_a_hurry)."""
    if hit.kind == "name" and hit.sure:
        return 0.75
    touched = bool(before) and (before[-1] in CONTACT or (before[-1] in CONTACT_PREPOSITIONS and before[:-1]
                                                          and before[-2] in CONTACT))
    if hit.kind == "name" and (next_to_kin or touched or _AGE.match(text, end)) \
            and not is_stop_word(text[start:end].lower(), lang):
        return 0.6
    return _lower_in_a_hurry(text, start, end, before, after, hit, gaz, lang)


def _score_one(text: str, start: int, end: int, hit: Hit, gaz: Gazetteer, lang: str, lower: bool) -> float:
    if a_date(text, start, end, lang):
        return 0.0
    before, after = _words_around(text, start, end)
    bracket = _BRACKET.match(text, end) or _APPOSITION.match(text, end)
    if bracket:
        before = before + [w.lower() for w in bracket.groups() if w]  # an apposition, in brackets or after a comma
    initial = bool(_INITIAL_BEFORE.search(text, max(0, start - 4), start))  # J. Brown, K. Lahti
    kin = initial or any(_is_kin(w, lang) for w in before)
    next_to_kin = initial or (bool(before) and _is_kin(before[-1], lang))
    owner = (after in FOLLOWERS or (bool(after) and _is_kin(after, lang))) and text[end - 1:end].lower() in ("n", "s") \
        or (lang == "en" and bool(_POSSESSIVE.match(text, end)))  # a genitive before a family noun: Ahon veljelle
    age = bool(_AGE.match(text, end))
    evidence = after in SPEECH_VERBS or owner or age
    to_someone = after in PASSIVES and text[start:end].lower().endswith(TO_SOMEONE)
    strong = (after in SPEECH_VERBS - WEAK) or owner or age or (to_someone and hit.kind != "place") \
        or (after in NEGATIONS and bool(_NEGATED_VERB.match(text, end))) or bool(_VISIT_TIME.match(text, end)) \
        or (lang == "en" and bool(_AUXILIARY_PARTICIPLE.match(text, end)))
    if to_someone and after in GRANTED and hit.kind == "place" and gaz.counts.get(hit.base, 0) >= RARE:
        return 0.7  # Elisalle myönnettiin toimeentulotukea: a person is granted support, a company is not
    opening = is_sentence_start(text, start)
    if lower:
        return _lower_score(text, start, end, before, after, hit, gaz, lang, next_to_kin)
    # A town's genitive before an institution is the town even after a kinship word (haki lapset Lempäälän
    # poliisiasemalta), unless that word is a genitive too: then the two are one person (tyttären Inarin koulusta).
    institution = hit.kind == "place" and text[end - 1:end] == "n" and not (before and before[-1].endswith("n")) \
        and (after in INSTITUTIONS or bool(_INSTITUTION.search(after)))
    if after in COMPANY_FORMS or _STREET_NEXT.match(text, end) or _in_a_place(before, after) or institution \
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
        return _word_score(text, start, end, after, lang, kin or age, owner, strong, opening)
    if opening:
        if kin or evidence or hit.sure:
            return 0.8
        return 0.65 if gaz.counts.get(hit.base, RARE) >= RARE else 0.4  # a rare name opening a sentence
    return 0.85


def _word_score(text: str, start: int, end: int, after: str, lang: str, kin: bool, owner: bool, strong: bool,
                opening: bool) -> float:
    """A name that is also a word of the note's language, capitalised: a person with a kinship word or an age
    (`kin`), as an owner, or before a verb a person does."""
    homograph = text[start:end].lower() in LANGUAGE_WORDS.get(lang, frozenset())
    # A homograph's possessive counts before a person (Bill's landlord, not the bill's amount).
    owned = owner and (not homograph or (lang == "en" and _is_kin(_next_word(text, end), lang)))
    if kin or owned or _kin_after(text, end, lang):
        return 0.8
    if _is_kin(text[start:end].lower(), lang):
        return 0.0  # Veli muutti: the brother, unless a kinship word or an age says it is a name
    if homograph:  # Bill is worried, Rose has been staying: a person; the bill is paid is not capitalised
        strong = after in SPEECH_VERBS - WEAK or (lang == "en" and bool(_AUXILIARY_PARTICIPLE.match(text, end)))
    if opening or lang == "en":  # English capitalises languages and nations mid-sentence too
        return 0.6 if strong else 0.3
    return 0.75 if after in SPEECH_VERBS else 0.6


def _in_address(text: str, start: int, end: int) -> bool:
    """Inside an e-mail address or a web address (matti.virtanen@…)."""
    left = text.rfind(" ", 0, start) + 1
    right = text.find(" ", end)
    chunk = text[left:right if right >= 0 else len(text)]
    return "@" in chunk or "://" in chunk or "www." in chunk


