"""More mentions of a person a note has named: what they are called (Bosse (Bo Nyman)) and their name in a
case that reads as another word (Kadri Tamm … Tammin)."""

from __future__ import annotations

import re

from extractor.freetext.gazetteer import Gazetteer, dictionary_terms, is_term
from extractor.freetext.morphology import morphology
from extractor.freetext.name_scoring import _is_kin

_NICK_BEFORE = re.compile(r"(?<![\w-])([A-ZÅÄÖ][a-zåäö]{1,20})\s*\($")  # Bosse (Bo Nyman)
_NICK_INSIDE = re.compile(r"\s*\(([A-ZÅÄÖ][a-zåäö]{1,20})\)")  # Bo Nyman (Bosse)


def nicknames(text: str, found: list[tuple[int, int, float]], gaz: Gazetteer, lang: str
              ) -> list[tuple[int, int, float]]:
    """A word in brackets right after a full name, or right before one in brackets, is what the person is
    called: Bosse (Bo Nyman), Teppo Virtanen (Tepa); not a kinship or role word (Asiakas (Bo Nyman)), an
    institution's term (Kela) or a place (Espoo)."""
    out = []
    for s, e, _ in found:
        if " " not in text[s:e].strip():
            continue  # a first name and a surname say the word beside them is theirs
        before = _NICK_BEFORE.search(text[max(0, s - 25):s]) if text[s - 1:s] == "(" and text[e:e + 1] == ")" \
            else None
        inside = _NICK_INSIDE.match(text, e)
        for m, at in ((before, max(0, s - 25)), (inside, 0)):
            if m is not None and not _is_kin(m.group(1).lower(), lang) \
                    and not is_term(m.group(1).lower(), dictionary_terms()) and not _place(gaz, m.group(1), lang):
                out.append((at + m.start(1), at + m.end(1), 0.7))
    out += _named_beside_a_role(text, gaz, lang)
    return [n for n in out if not any(s < n[1] and n[0] < e for s, e, _ in found)]


# A role and the name of whoever holds it, one of them in brackets: "tiimivastaavalle (paula)", "tytär (Anna)",
# "Kirsi (perhetyö)", "Sanna (sosiaaliohjaaja)". Either side alone says little; together they say "a person".
# Each pair is a word, then a bracketed word: (?<![\w-])([A-Za-zÅÄÖåäö]{3,30})\s*\(([A-Za-zÅÄÖåäö]{2,20})\) for a role
# then a name, (?<![\w-])([A-ZÅÄÖ][a-zåäö]{1,20})\s*\(([a-zåäö]{3,30})\) for a name then a role. Written whole, re tries
# each at every position of a note (14 µs a note with a bracket); here the bracketed word is found first (re
# looks for its '(' as a literal) and the word before it is read back from the bracket, where only one can end.
_ROLE_THEN_NAME = (re.compile(r"(?<![\w-])([A-Za-zÅÄÖåäö]{3,30})\s*\Z"), re.compile(r"\(([A-Za-zÅÄÖåäö]{2,20})\)"), 30)
_NAME_THEN_ROLE = (re.compile(r"(?<![\w-])([A-ZÅÄÖ][a-zåäö]{1,20})\s*\Z"), re.compile(r"\(([a-zåäö]{3,30})\)"), 21)
_ROLE_ENDINGS = ("hoitaja", "ohjaaja", "työntekijä", "vastaava", "lääkäri", "terapeutti", "kuraattori", "psykologi",
                 "opettaja", "kuljettaja", "esihenkilö", "avustaja", "työ", "hoito", "suojelu", "palvelut")


def _role_like(word: str, lang: str) -> bool:
    """A kinship or role word, or a Finnish compound ending in one (tiimivastaava, perhetyö, kotihoito)."""
    low = word.lower()
    if _is_kin(low, lang):
        return True
    if lang != "fi":
        return False
    readings = morphology().readings(low) if morphology() else None
    bases = readings.word_bases if readings is not None else (low,)
    return any(b.endswith(_ROLE_ENDINGS) for b in bases)


def _a_name(gaz: Gazetteer, word: str, lang: str) -> bool:
    """A word the name register holds, and not a place, an institution's term or a role word itself."""
    hit = gaz.classify(word, lang)
    return hit is not None and hit.kind != "place" and not is_term(word.lower(), dictionary_terms()) \
        and not _role_like(word, lang)


def word_then_bracketed(text: str, pair: tuple[re.Pattern[str], re.Pattern[str], int]
                        ) -> list[tuple[re.Match[str], re.Match[str]]]:
    """(the word, the bracketed word) of each match of the pair's pattern written whole, in order. The word ends
    where the spaces before the bracket begin; it is at most `longest` letters, so the pattern before it is
    looked for in that many characters and one more (its look-behind reads the character before those)."""
    before, inside, longest = pair
    out = []
    for bracketed in inside.finditer(text):
        end = len(text[:bracketed.start()].rstrip())  # \s and str.isspace are the same characters
        word = before.search(text, max(0, end - longest), bracketed.start())
        if word is not None:
            out.append((word, bracketed))
    return out


def _named_beside_a_role(text: str, gaz: Gazetteer, lang: str) -> list[tuple[int, int, float]]:
    if "(" not in text:
        return []
    out = []
    for role, name in word_then_bracketed(text, _ROLE_THEN_NAME):
        if _role_like(role.group(1), lang) and _a_name(gaz, name.group(1), lang):
            out.append((name.start(1), name.end(1), 0.75))
    for name, role in word_then_bracketed(text, _NAME_THEN_ROLE):
        if _role_like(role.group(1), lang) and _a_name(gaz, name.group(1), lang):
            out.append((name.start(1), name.end(1), 0.75))
    return out


_FI_CASE = ("n", "a", "ä", "lle", "lla", "llä", "lta", "ltä", "ssa", "ssä", "sta", "stä", "na", "nä", "ksi", "in",
            "ia", "iä", "ille", "illa", "illä", "ilta", "iltä", "issa", "issä", "ista", "istä", "iin", "ina", "inä",
            "iksi", "ineen", "s")  # and Swedish and English genitives (s, 's)


def _place(gaz: Gazetteer, word: str, lang: str) -> bool:
    hit = gaz.classify(word, lang)
    return hit is not None and hit.kind == "place"


def other_forms(text: str, words: list[tuple[int, int, str]], found: list[tuple[int, int, float]],
                 gaz: Gazetteer, lang: str) -> list[tuple[int, int, float]]:
    """A name found once in the note, in another case that reads as another word (Kadri Tamm … Tammin, which
    is also January's; Nguyen … Nguyenille, Tamm's): the same person. A form the gazetteer reads as the same
    name (Salon from Salo) is left to the rules that weigh it (_again: Salon kaupunki is the town)."""
    own = {w: gaz.classify(w, lang) for s, e, _ in found for ws, we, w in words
           if s <= ws and we <= e and len(w) >= 3 and w[0].isupper()}
    if not own:
        return []
    out = []
    for s, e, w in words:
        stem = next((n for n in own if w != n and w.startswith(n) and w[len(n):].lstrip(":'\u2019") in _FI_CASE), None)
        if stem is None or any(fs < e and s < fe for fs, fe, _ in found):
            continue
        read = gaz.classify(w, lang)
        if read is None or own[stem] is None or read.base != own[stem].base:
            out.append((s, e, 0.85))
    return out
