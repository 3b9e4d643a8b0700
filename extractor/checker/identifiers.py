"""The checker's own search for direct identifiers in released text, written apart from freetext/.

Vectorised regular expressions over a whole column find candidates; the few candidates are validated
in Python: identity codes by their check character, bank accounts by mod 97. Person names need strong
evidence: a first name followed by a surname from the population register, or a kinship word followed by
a first name. Each kind's spans are blanked before the next kind is searched, so that an identity code is
not also read as a phone number.
"""

from __future__ import annotations

from functools import cache

import polars as pl

from extractor.reference_data import person_names

_CHECK = "0123456789ABCDEFHJKLMNPRSTUVWXY"
HETU = r"\b(?:0[1-9]|[12]\d|3[01])(?:0[1-9]|1[0-2])\d\d[-+ABCDEFUVWXY]\d{3}[0-9A-Y]\b"
IBAN = r"\bFI\d{2}(?: ?\d{4}){3} ?\d{2}\b"
BUSINESS_ID = r"\b\d{7}-\d\b"
EMAIL = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
PHONE = r"(?:\+358|\b0)[ -]?(?:\d[ -]?){6,10}\d\b"
STREET = (r"\b[A-ZÅÄÖ][a-zåäöéü-]*(?:katu|tie|kuja|polku|rinne|raitti|väylä|kaari|gatan|vägen|gränd|stigen|"
          r"allén)\s\d{1,3}\b")
_WORD = r"[A-ZÅÄÖ][a-zåäöéü]+(?:-[A-ZÅÄÖ][a-zåäöéü]+)?"
KINSHIP = (r"\b(?:äiti|isä|poika|tytär|puoliso|sisko|veli|mummo|vaari|mor|far|son|dotter|make|maka|syster|bror)"
           rf"\s+({_WORD})")
BIGRAM = rf"\b({_WORD})\s+({_WORD})\b"

KINDS = {  # kind -> what the finding says
    "hetu": "a personal identity code", "iban": "a bank account number", "email": "an e-mail address",
    "phone": "a phone number", "address": "a street address", "name": "a person's name",
}


@cache
def _names() -> tuple[pl.Series, pl.Series]:
    """First names and surnames, as Series: is_in() against them is a hash join, built once per process."""
    names = person_names()
    first = names.filter(pl.col("kind") == "first")["name"].unique()
    surnames = names.filter(pl.col("kind") == "surname")["name"].unique()
    return first, surnames


def _hetu_ok(code: str) -> bool:
    return _CHECK[int(code[:6] + code[7:10]) % 31] == code[10]


def _iban_ok(code: str) -> bool:
    digits = code.replace(" ", "")
    moved = digits[4:] + "1518" + digits[2:4]  # F=15, I=18
    return int(moved) % 97 == 1


def _hits(values: pl.Series, pattern: str, valid=None) -> pl.Series:
    """Per value: does it hold a (valid) match of the pattern?"""
    found = values.str.extract_all(pattern)
    if valid is None:
        return found.list.len() > 0
    return found.list.eval(pl.element().map_elements(valid, return_dtype=pl.Boolean)).list.any().fill_null(False)


def _name_hits(values: pl.Series) -> pl.Series:
    first, surnames = _names()
    pairs = pl.DataFrame({"v": values}).with_row_index("row").with_columns(
        pl.col("v").str.extract_all(BIGRAM).alias("pair")).explode("pair").drop_nulls("pair")
    words = pairs.with_columns(pl.col("pair").str.split_exact(" ", 1).struct.rename_fields(["a", "b"])).unnest("pair")
    bigram = words.filter(pl.col("a").is_in(first.implode()) & pl.col("b").is_in(surnames.implode()))["row"]
    kin = pl.DataFrame({"v": values}).with_row_index("row").with_columns(
        pl.col("v").str.extract_all(KINSHIP).alias("k")).explode("k").drop_nulls("k").with_columns(
        pl.col("k").str.extract(KINSHIP, 1).alias("w")).filter(pl.col("w").is_in(first.implode()))["row"]
    hit = pl.Series(range(values.len())).is_in(pl.concat([bigram, kin]).implode())
    return hit


def find(values: pl.Series) -> pl.DataFrame:
    """row, kind for every value holding an identifier (several kinds per row possible)."""
    text = values.cast(pl.String).fill_null("")
    found = {"hetu": _hits(text, HETU, _hetu_ok)}
    text = text.str.replace_all(HETU, " ")
    found["iban"] = _hits(text, IBAN, _iban_ok)
    text = text.str.replace_all(IBAN, " ").str.replace_all(BUSINESS_ID, " ")
    found["email"] = _hits(text, EMAIL)
    text = text.str.replace_all(EMAIL, " ")
    found["phone"] = _hits(text, PHONE)
    found["address"] = _hits(text, STREET)
    found["name"] = _name_hits(text)
    frame = pl.DataFrame(found).with_row_index("row")
    return frame.unpivot(index="row", variable_name="kind", value_name="hit").filter(pl.col("hit")).drop("hit")
