"""IBANs of every country in the SWIFT IBAN Registry, found in notes (a note names a Swedish or British account as
often as a Finnish one).

An IBAN is a country code, two check digits and the country's basic account number, written in groups of four
or run together, in either case. Its length is the country's own (the registry), and the whole passes ISO 7064
mod 97-10: a run of that length that fails is no IBAN, so a candidate is cut to its country's length and
checked. The lengths: SWIFT's IBAN Registry, release 101 (as python-stdnum's iban.dat lists it; the tests hold
the check to python-stdnum's).
"""

from __future__ import annotations

import re

LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27, "BR": 29,
    "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28, "EE": 20, "EG": 29,
    "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28,
    "HN": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20,
    "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
    "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29,
    "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24,
    "SM": 27, "SO": 23, "ST": 25, "SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
    "YE": 30,
}
_START = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{2}) ?(\d{2})")
# For detect.py's prefilter: a country code, its check digits and eleven more characters (the shortest basic
# account number), single spaces between any of them; no \b (Rust's regex would leave its fast engine).
PREFILTER = r"(?i)(?:" + "|".join(LENGTHS) + r") ?\d{2}(?: ?[0-9a-z]){11}"


def is_valid(compact: str) -> bool:
    """The registry's length for the country and the mod 97-10 check; `compact` without spaces."""
    code = compact[:2].upper()
    if LENGTHS.get(code) != len(compact) or not compact.isascii() or not compact.isalnum():
        return False
    rearranged = (compact[4:] + compact[:4]).upper()
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def find(text: str) -> list[tuple[int, int]]:
    """(start, end) of each valid IBAN: from a country code and check digits, as many letters and digits as the
    country's IBAN has (single spaces between them skipped), ending where the word does."""
    out: list[tuple[int, int]] = []
    for m in _START.finditer(text):
        need = LENGTHS.get(m.group(1).upper(), 0) - 4
        if need <= 0 or (out and m.start() < out[-1][1]):
            continue
        got, i = [], m.end()
        while len(got) < need and i < len(text):
            if text[i].isascii() and text[i].isalnum():
                got.append(text[i])
            elif not (text[i] == " " and i + 1 < len(text) and text[i + 1].isascii() and text[i + 1].isalnum()):
                break
            i += 1
        if len(got) == need and not (i < len(text) and text[i].isascii() and text[i].isalnum()) \
                and is_valid(m.group(1) + m.group(2) + "".join(got)):
            out.append((m.start(), i))
    return out
