"""Finnish identifier recognizers: pattern plus checksum, so a near miss is not reported (an identity code's
shape is specific enough that a mistyped one is still reported, at a lower score).

Identity code (all century signs, including those introduced in 2023; mod-31 check character),
business ID (Y-tunnus, weighted mod-11 check digit), IBANs of every country (iban.py), postal codes
that exist; street addresses by street word; person names by gazetteer (names.py).
"""

from __future__ import annotations

import re
from functools import cache

from presidio_analyzer import AnalysisExplanation, EntityRecognizer, Pattern, PatternRecognizer, RecognizerResult
from presidio_analyzer.predefined_recognizers import PhoneRecognizer

from extractor import hetu, reference_data
from extractor.freetext import iban, names

_YTUNNUS_WEIGHTS = (7, 9, 10, 5, 8, 4, 2)


def ytunnus_valid(code: str) -> bool:
    digits = code.replace("-", "")
    if len(digits) != 8 or not digits.isdigit():
        return False
    remainder = sum(int(d) * w for d, w in zip(digits[:7], _YTUNNUS_WEIGHTS, strict=True)) % 11
    if remainder == 1:
        return False
    return int(digits[7]) == (0 if remainder == 0 else 11 - remainder)


class HetuRecognizer(PatternRecognizer):
    """Henkilötunnus: DDMMYY, century sign (+ - Y X W V U A B C D E F), ZZZ, check character. A code of that
    shape whose check character is wrong is a mistyped identity code, which still identifies its person: it is
    reported at the pattern's score (0.6), a valid one at full score."""

    def __init__(self, language: str = "fi") -> None:
        super().__init__(
            supported_entity="FI_PERSONAL_IDENTITY_CODE", supported_language=language,
            name=f"HetuRecognizer_{language}",
            patterns=[Pattern("hetu", hetu.PATTERN, 0.6), Pattern("hetu_spaced", SPACED_HETU, 0.6)],
            context=["henkilötunnu", "hetu", "htun", "personbeteckning", "identity code", "sotu"])

    def validate_result(self, pattern_text: str) -> bool | None:
        if " " in pattern_text:  # typed with a space by its sign (070699 -369T): only a valid code, which it is
            return hetu.is_valid(pattern_text.replace(" ", "").upper())
        return True if hetu.is_valid(pattern_text) else None


# An identity code typed with a space before or after its century sign, or both (070699 -369T, 070699- 369T).
SPACED_HETU = (r"\b(0[1-9]|[12]\d|3[01])(0[1-9]|1[0-2])(\d\d)(?: [-+ABCDEFUVWXY] ?| ?[-+ABCDEFUVWXY] )(\d\d\d)"
               r"([0-9ABCDEFHJKLMNPRSTUVWXY])\b")


class YTunnusRecognizer(PatternRecognizer):
    def __init__(self, language: str = "fi") -> None:
        super().__init__(
            supported_entity="FI_BUSINESS_ID", supported_language=language, name=f"YTunnusRecognizer_{language}",
            patterns=[Pattern("ytunnus", r"\b\d{7}-\d\b", 0.5)],
            context=["y-tunnus", "ytunnus", "business id", "fo-nummer", "y-tun"])

    def validate_result(self, pattern_text: str) -> bool:
        return ytunnus_valid(pattern_text)


class IbanRecognizer(EntityRecognizer):
    """IBANs of every registry country (iban.py): Finnish, Swedish, British … accounts, grouped or run together."""

    def __init__(self, language: str = "fi") -> None:
        super().__init__(supported_entities=["IBAN_CODE"], supported_language=language,
                         name=f"IbanRecognizer_{language}", context=["tili", "tilinumero", "iban", "konto", "account"])

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts: object = None) -> list[RecognizerResult]:
        return [RecognizerResult("IBAN_CODE", start, end, 1.0, AnalysisExplanation(
            self.name, 1.0, textual_explanation="the registry's length and the mod 97-10 check"))
            for start, end in iban.find(text)]


_CLOSING = {"(": ")", "[": "]", "\uff08": "\uff09", "\uff3b": "\uff3d"}  # the brackets a number may open with
_OPENING = frozenset(_CLOSING)
_NOT_A_PHONE = re.compile(r"\d{6}[-+A-FU-Ya-fu-y]\d{3}|\b\d{7}-\d\b"  # identity codes, business IDs
                          r"|\b(?:0[1-9]|[12]\d|3[01])\.(?:0[1-9]|1[0-2])\.(?:19|20)\d\d\b")  # a date: 02.04.2024


class FinnishPhoneRecognizer(PhoneRecognizer):
    """presidio's phone recognizer (libphonenumber) for Finnish numbers. A number libphonenumber accepts as
    valid for Finland is reported without a context word (0.6, not presidio's 0.4): notes seldom say 'puh'."""

    SCORE = 0.6

    def __init__(self, language: str = "fi") -> None:
        super().__init__(supported_language=language, supported_regions=("FI",),
                         context=["puh", "puhelin", "gsm", "numero", "soita", "tel", "ring", "telefon", "tfn",
                                  "nummer", "mobil", "phone", "call"])

    def analyze(self, text: str, entities: list[str], nlp_artifacts: object = None) -> list[RecognizerResult]:
        """libphonenumber also accepts identity codes, business IDs ('020332-3796') and dates written with
        leading zeros ('02.04.2024'): those are not phones (the dates are generalised as dates).
        A number it reads with its opening bracket, '(040-5566778)', is the number without it: the tag then
        stands inside both brackets, not before a lone ')'."""
        found = [r for r in super().analyze(text, entities, nlp_artifacts)
                 if not _NOT_A_PHONE.search(text[max(0, r.start - 1):r.end + 1])]
        for r in found:
            opened = text[r.start] if r.start < r.end else ""
            if opened in _OPENING and _CLOSING[opened] not in text[r.start:r.end]:
                r.start += 1
        return found


class NameRecognizer(EntityRecognizer):
    """Person names from the population register's gazetteer, inflected forms included (names.py).

    It weighs its own evidence (neighbouring names, kinship words, sentence position), so it declares
    no context words for presidio to add on top.
    """

    second_line = names.SECOND_LINE_ON  # set per batch by detect._analyze (the run's choice and its terms)

    def __init__(self, language: str = "fi") -> None:
        super().__init__(supported_entities=["PERSON"], supported_language=language,
                         name=f"NameRecognizer_{language}")

    def load(self) -> None:
        self.gazetteer = names.gazetteer()

    def analyze(self, text: str, entities: list[str], nlp_artifacts: object = None) -> list[RecognizerResult]:
        return [RecognizerResult("PERSON", start, end, score,
                                 recognition_metadata={RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                                                       RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id})
                for start, end, score in names.person_spans(text, self.gazetteer, self.supported_language,
                                                            NameRecognizer.second_line)]


_STREET = ("katu", "tie", "kuja", "polku", "väylä", "raitti", "kaari", "rinne", "ranta", "aukio", "tori", "puistikko",
           "gatan", "vägen", "gränd", "stigen", "backen", "torget", "street", "road", "esplanadi", "esplanaden",
           "bulevardi", "bulevarden", "allé", "allén", "kajen", "stranden")
_STREET_INFLECTED = ("kadulla", "kadulta", "kadulle", "kadun", "tiellä", "tieltä", "tielle", "tien", "kujalla",
                     "kujalta", "kujalle", "kujan", "polulla", "polun", "väylällä", "väylän", "rinteellä", "rinteen",
                     "rannalla", "rannan", "aukiolla", "torilla")
ADDRESS_PATTERN = (r"\b[A-ZÅÄÖ][a-zåäöé]*(?:-[A-ZÅÄÖa-zåäöé]+)*(?:" + "|".join(_STREET + _STREET_INFLECTED)
                   + r")\s+\d{1,4}(?:[-\u2013]\d{1,4})?(?:\s?[A-Ka-k]\b)?(?:\s?(?:as\.?\s?)?\d{1,3})?\b")
# A street whose name is written in separate words (Aleksis Kiven katu 20 B, Pohjoinen Rautatiekatu 5, Vanha
# Porvoontie 12): one or two capitalised words before the street word (as an address is written, not in a
# case: "Lahden torilla 5 ihmistä" is no address), then the number.
MULTIWORD_ADDRESS_PATTERN = (r"\b(?:(?-i:[A-ZÅÄÖ])[a-zåäöé]+\s){1,2}[a-zåäöé-]*(?:" + "|".join(_STREET)
                             + r")\s+\d{1,4}(?:[-\u2013]\d{1,4})?(?:\s?[A-Ka-k]\b)?(?:\s?(?:as\.?\s?)?\d{1,3})?\b")
# After the word "address" a street needs no street word (Uusi osoite Ristinarkku 6 A 2, adress Solbacka 3).
NAMED_ADDRESS_PATTERN = (r"\b(?i:osoite|osoitteessa|osoitteeseen|kotiosoite|adress|adressen|address)"
                         r"\s+(?-i:[A-ZÅÄÖ])[a-zåäöé]+(?:-[A-ZÅÄÖa-zåäöé]+)*\s+\d{1,4}(?:[-\u2013]\d{1,4})?"
                         r"(?:\s?(?-i:[A-Ka-hjk])\b)?(?:\s?(?:as\.?\s?)?\d{1,3})?\b")
NAMED_ADDRESS_PREFILTER = r"(?:osoite|osoitteessa|osoitteeseen|adress|address)\s+[a-zåäöé-]+\s+\d"
_ADDRESS_LEAD = re.compile(r"(?i:asuu|asui|asuvat|asunut|kotiosoite|adressen|osoite|osoitteessa|osoitteeseen|os\.?|"
                           r"muutti|muuttaa|"
                           r"muuttanut|muuttaneet|kotikäynti|käynti|käyty|tapasimme|tavattu|kotona|bor|bodde|adress|"
                           r"flyttade|hembesök|lives|lived|address|moved|visited|visit|at)\s+")
# A street someone moved to or lives on, without its number ("lähetetty Tehtaankadulle"): weaker evidence.
# What every street address contains: a street word right before its number (a cheap superset for detect.py).
ADDRESS_PREFILTER = r"(?:" + "|".join(_STREET + _STREET_INFLECTED) + r")\s+\d"
_SV_STREETS = r"(?:gatan|vägen|gränd|gränden|stigen|backen|torget|allén|kajen|stranden|esplanaden)"
_EN_STREETS = r"(?:Street|Road|Avenue|Lane|Drive|Close|Square|Crescent)"
# A Finnish street word in a case that says where (Tehtaankadulle, Kivikonkaarella, Puistotiellä) or in the
# nominative after "asuu/osoite" (Porvoonkatu): without its number, weaker evidence than with one.
_FI_STREET_FORMS = (r"(?:(?:kadu|kuja|polu|väylä|raiti|kaare|rintee|aukio|tanhua)(?:lla|llä|lle|lta|ltä)|"
                    r"tie(?:llä|lle|ltä|n)|(?:kadu|kuja)n|(?:katu|tie|kuja|polku|väylä|raitti|kaari))")
STREET_FORMS_PREFILTER = _FI_STREET_FORMS + r"(?:[^a-zåäöé]|$)"  # a word end without \b: a superset for detect.py
STREET_WORDS = (r"(?:kadulle|kadulla|kadulta|tielle|tiellä|tieltä|kujalle|kujalla|kujalta|polulle|polulla|"
                r"kaarella|kaarelle|raitilla|väylällä|rinteellä|aukiolla|tanhualla|"
                r"gatan|vägen|gränd|stigen|backen|torget|allén|kajen|stranden|esplanaden|"
                r"\s(?:street|road|avenue|lane|drive|close|square|crescent))")  # any space, as EN_STREET_PATTERN
_CAPITAL = r"(?-i:[A-ZÅÄÖ])"  # a capital even though presidio compiles patterns case-insensitively
STREET_PATTERN = r"\b" + _CAPITAL + r"[a-zåäöé]+" + _FI_STREET_FORMS + r"\b"
# A Swedish street named in its definite form, an English one with its street word: without a number.
SV_STREET_PATTERN = (r"\b(?:" + _CAPITAL + r"[a-zåäöé]+" + _SV_STREETS
                     + r"|(?-i:Esplanaden|Esplanadi|Bulevarden|Bulevardi))\b")
EN_STREET_PATTERN = r"\b" + _CAPITAL + r"[a-z]+\s(?-i:" + _EN_STREETS + r")\b"
_HOUSE = r"\s+\d{1,4}(?:\s?(?-i:[A-Ka-hjk])\b)?(?:\s?(?:as\.?\s?)?\d{1,3})?\b"  # 5, 20 B 41; not "5 i Helsingfors"
SV_ADDRESS_PATTERN = SV_STREET_PATTERN + _HOUSE  # Esplanaden 5, Storgatan 12 B: the number with its street
# A post-office box: PL 123 (fi), PB 45 (sv), P.O. Box 12 (en), Postilokero 7, Postbox 99.
_PO_BOX_WORDS = r"(?:PL|PB|P\.\s?O\.\s?Box|PO\s?Box|Postilokero|Postbox|Postfack)\s+\d"
PO_BOX = r"\b" + _PO_BOX_WORDS + r"{1,5}\b"
PO_BOX_PREFILTER = _PO_BOX_WORDS  # without \b: a Unicode word boundary sends Polars' regex to its slow engine


class AddressRecognizer(PatternRecognizer):
    """Street addresses: a street name with a Finnish or Swedish street word, a number, stair and flat; a
    street without its number (Tehtaankadulle, Storgatan, Baker Street); a post-office box."""

    def __init__(self, language: str = "fi") -> None:
        super().__init__(
            supported_entity="FI_ADDRESS", supported_language=language, name=f"AddressRecognizer_{language}",
            patterns=[Pattern("street_address", ADDRESS_PATTERN, 0.8),
                      Pattern("street_address_words", MULTIWORD_ADDRESS_PATTERN, 0.8),
                      Pattern("named_address", NAMED_ADDRESS_PATTERN, 0.8),
                      Pattern("street", STREET_PATTERN, 0.55),
                      Pattern("po_box", PO_BOX, 0.8), Pattern("street_sv", SV_STREET_PATTERN, 0.55),
                      Pattern("street_address_sv", SV_ADDRESS_PATTERN, 0.8),
                      Pattern("street_en", EN_STREET_PATTERN, 0.55)],
            context=["osoite", "asuu", "kotiosoite", "adress", "bor", "address"])

    def analyze(self, text: str, entities: list[str], nlp_artifacts: object = None, regex_flags: int | None = None
                ) -> list:
        """As the patterns find them; a street named in separate words starts after the word that led to it
        when that is one of the words notes put before an address (Asuu Runebergin katu 5: not Asuu)."""
        results = super().analyze(text, entities, nlp_artifacts, regex_flags)
        for r in results:
            lead = _ADDRESS_LEAD.match(text, r.start, r.end)
            if lead and lead.end() < r.end:
                r.start = lead.end()
        return results


@cache
def _postal_codes() -> frozenset[str]:
    return frozenset(reference_data.postal_codes()["postal_code"].to_list())


_CODE_AND_PLACE = r"\b\d{5}\s+(?-i:[A-ZÅÄÖ])[A-ZÅÄÖa-zåäö]+(?:-[A-ZÅÄÖa-zåäö]+)?\b"  # the capital even under IGNORECASE


class PostalCodeRecognizer(PatternRecognizer):
    """Finnish postal codes that exist (Statistics Finland's key); followed by a place name they are sure."""

    def __init__(self, language: str = "fi") -> None:
        super().__init__(
            supported_entity="FI_POSTAL_CODE", supported_language=language, name=f"PostalCodeRecognizer_{language}",
            patterns=[Pattern("code_and_place", _CODE_AND_PLACE, 0.75),
                      Pattern("code", r"\b\d{5}\b", 0.3)],
            context=["postinumero", "postinro", "postnummer", "osoite", "adress", "postal", "zip"])

    def analyze(self, text: str, entities: list[str], nlp_artifacts: object = None,
                regex_flags: int | None = None) -> list[RecognizerResult]:
        """The place only confirms the code: the tag covers the five digits, the town stays (00100 Helsinki →
        <POSTINUMERO> Helsinki), as places do elsewhere in a note."""
        results = super().analyze(text, entities, nlp_artifacts, regex_flags)
        for r in results:
            r.end = min(r.end, r.start + 5)
        return results

    def validate_result(self, pattern_text: str) -> bool | None:
        """A code that exists, or any code followed by a known place (post-office box codes, 00101, are not
        in the postal-area key)."""
        if pattern_text[:5] in _postal_codes():
            return None
        place = pattern_text[5:].strip().lower()
        gaz = names.gazetteer()
        return None if place and (place in gaz.places or place in gaz.areas) else False
