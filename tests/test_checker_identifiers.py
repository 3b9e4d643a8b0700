"""The checker's own identifier patterns (not the pipeline's detector): what they find and what they let pass."""

from __future__ import annotations

import polars as pl
import pytest

from extractor.checker.identifiers import find
from extractor.checker.residual_scan import scan_frame

CASES = [
    ("Asiakas 131052-308T tarkistettu", {"hetu"}),
    ("131052-308X väärä tarkiste", set()),                  # wrong check character: not an identity code
    ("uusi tunnus 010105A123P", {"hetu"}),             # a 2000s century sign
    ("Puh. 040 123 4567", {"phone"}),
    ("+358 50 1234567", {"phone"}),
    ("soita 0401234567.", {"phone"}),
    ("matti.meikalainen@example.fi", {"email"}),
    ("Tilinumero FI21 1234 5600 0007 85", {"iban"}),
    ("FI21 1234 5600 0007 86", set()),                      # fails mod 97
    ("Uusi osoite Kalevankatu 12 A 5, 00100 Helsinki", {"address"}),
    ("Ny adress Strandvägen 4, 65100 Vasa", {"address"}),
    ("Matti Virtanen kertoo", {"name"}),
    ("äiti Anna osallistui palaveriin", {"name"}),
    ("Klientens syster Maria deltog", {"name"}),
    ("Toivo paremmasta on vahva", set()),                   # a name that is also a word, no surname
    ("Lapin hyvinvointialue, sosiaalipalvelut", set()),
    ("Kela myönsi asumistuen, päätös saapui 12.3.2025.", set()),
    ("Seuraava arviointi 15.1.2026 klo 13.30 toimistolla.", set()),
    ("Hoivapalvelu Oy (1234567-1) vastaa kotihoidosta", set()),  # a business ID is not a person's
    ("<NIMI> kertoo tilanteestaan, <PUHELINNUMERO>", set()),
    ("Etelä-Pohjanmaa", set()), ("[REDACTED]", set()), ("0", set()), ("1995", set()),
]


@pytest.mark.parametrize(("text", "kinds"), CASES, ids=[c[0][:30] for c in CASES])
def test_identifier_patterns(text: str, kinds: set[str]) -> None:
    assert set(find(pl.Series([text]))["kind"]) == kinds


def test_rows_are_reported_per_value() -> None:
    found = find(pl.Series(["ok", "Matti Virtanen", None, "040 123 4567"]))
    assert sorted(found.rows()) == [(1, "name"), (3, "phone")]


def test_a_name_the_redaction_missed_fails_the_scan() -> None:
    df = pl.DataFrame({"note": ["<NIMI> kertoo tilanteestaan.", "Soitettu, Liisa Korhonen tulee käymään."]})
    assert scan_frame("notes.csv", df) == ["notes.csv: column 'note' line 2 holds a person's name"]
