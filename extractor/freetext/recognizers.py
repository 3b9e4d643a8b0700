"""Finnish identifier recognizers: pattern plus checksum, so a near miss is not reported.

Identity code (all century signs, including those introduced in 2023; mod-31 check character),
business ID (Y-tunnus, weighted mod-11 check digit) and Finnish IBAN (ISO 7064 mod 97-10).
"""

from __future__ import annotations

from presidio_analyzer import Pattern, PatternRecognizer

from .. import hetu

_YTUNNUS_WEIGHTS = (7, 9, 10, 5, 8, 4, 2)


def ytunnus_valid(code: str) -> bool:
    digits = code.replace("-", "")
    if len(digits) != 8 or not digits.isdigit():
        return False
    remainder = sum(int(d) * w for d, w in zip(digits[:7], _YTUNNUS_WEIGHTS, strict=True)) % 11
    if remainder == 1:
        return False
    return int(digits[7]) == (0 if remainder == 0 else 11 - remainder)


def iban_fi_valid(text: str) -> bool:
    compact = text.replace(" ", "").upper()
    if len(compact) != 18 or not compact.startswith("FI") or not compact[2:].isdigit():
        return False
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(c, 36)) for c in rearranged)
    return int(number) % 97 == 1


class HetuRecognizer(PatternRecognizer):
    """Henkilötunnus: DDMMYY, century sign (+ - Y X W V U A B C D E F), ZZZ, check character."""

    def __init__(self, language: str = "fi") -> None:
        super().__init__(
            supported_entity="FI_PERSONAL_IDENTITY_CODE", supported_language=language,
            name=f"HetuRecognizer_{language}",
            patterns=[Pattern("hetu", hetu.PATTERN, 0.6)],
            context=["henkilötunnu", "hetu", "htun", "personbeteckning", "identity code", "sotu"])

    def validate_result(self, pattern_text: str) -> bool:
        return hetu.is_valid(pattern_text)


class YTunnusRecognizer(PatternRecognizer):
    def __init__(self, language: str = "fi") -> None:
        super().__init__(
            supported_entity="FI_BUSINESS_ID", supported_language=language, name=f"YTunnusRecognizer_{language}",
            patterns=[Pattern("ytunnus", r"\b\d{7}-\d\b", 0.5)],
            context=["y-tunnus", "ytunnus", "business id", "fo-nummer", "y-tun"])

    def validate_result(self, pattern_text: str) -> bool:
        return ytunnus_valid(pattern_text)


class FinnishIbanRecognizer(PatternRecognizer):
    def __init__(self, language: str = "fi") -> None:
        super().__init__(
            supported_entity="IBAN_CODE", supported_language=language, name=f"FinnishIbanRecognizer_{language}",
            patterns=[Pattern("iban_fi", r"\bFI\d{2}(?: ?\d{4}){3} ?\d{2}\b", 0.6)],
            context=["tili", "tilinumero", "iban", "konto", "account"])

    def validate_result(self, pattern_text: str) -> bool:
        return iban_fi_valid(pattern_text)
