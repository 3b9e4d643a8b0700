"""The batch path sends a note to a recognizer only when its prefilter says the note may hold what it finds.

The prefilter (detect.DIGIT_CHAIN, PHONE_MIN_DIGITS, CALENDAR_DATE, DATE_RANGE, HETU_DIGITS) rests on five facts
about the pinned libphonenumber, each proven here over every case or, where the cases are too many for a test,
checked in full when it was written and sampled here; it is then held to the recognizer itself on generated text:
whatever the recognizer finds, the prefilter flags. The phones an earlier prefilter let through (dots in pairs,
Unicode hyphens) are written out.
"""

from __future__ import annotations

import random
import re

import phonenumbers
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import Leniency

from extractor.freetext.detect import CALENDAR_DATE, DATE_RANGE, HETU_DIGITS, candidate_entities, detect
from extractor.freetext.recognizers import FinnishPhoneRecognizer


def _found(items: list[str], separator: str = ", käynti ") -> list[str]:
    """What the matcher finds (Finland, valid numbers: the recognizer's settings) among items in a sentence."""
    out = []
    for i in range(0, len(items), 2_000):
        text = "Käynti " + separator.join(items[i:i + 2_000]) + "."
        out += [m.raw_string for m in phonenumbers.PhoneNumberMatcher(text, "FI", leniency=Leniency.VALID)]
    return out


def test_no_number_of_five_digits_or_fewer_is_a_finnish_phone() -> None:
    numbers = [f"{i:0{k}d}" for k in (4, 5) for i in range(10 ** k)]
    assert _found(numbers) == [] and _found(["+" + n for n in numbers]) == []
    assert _found(["0401234567"]) == ["0401234567"]  # the test can see a phone


def _dates(days: list[str], years: list[str]) -> list[str]:
    """The dates of six digits or more (fewer cannot be a phone at all)."""
    months = [str(m) for m in range(1, 13)] + [f"{m:02d}" for m in range(1, 10)]
    dates = [f"{d}.{m}.{y}" for d in days for m in months for y in years]
    return [date for date in dates if sum(c.isdigit() for c in date) >= 6]


def test_no_calendar_date_whose_day_has_no_leading_zero_is_a_phone() -> None:
    """Every day 1-31 and month form, with every two-digit year and one four-digit year in eleven of 1900-2099
    (all 200 were checked when the prefilter was written: 195,300 dates, none found)."""
    days = [str(d) for d in range(1, 32)]
    dates = _dates(days, [str(y) for y in range(1900, 2100, 11)] + [f"{y:02d}" for y in range(100)])
    assert len(dates) > 30_000 and all(pl.Series(dates).str.contains("^" + CALENDAR_DATE + "$"))
    assert _found(dates) == []
    assert "01.3.2023" in _found(_dates(["01"], ["2023"]))  # 013 is an area code: such dates are flagged


RANGE_DASHES = ("-", "\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2015", "\u2212")


def _day_months(days: list[str]) -> list[str]:
    return [f"{d}.{m}." for d in days for m in [str(m) for m in range(1, 13)] + [f"{m:02d}" for m in range(1, 10)]]


def test_no_range_of_two_such_dates_is_a_phone() -> None:
    """The matcher reads a range whole, and then the pieces its dashes, dots and spaces cut it into: the second
    date (the fact above) or at most four digits (the first fact). Read whole, its digits are D1 M1 D2 M2 Y, the
    first not a zero. Each such digit string was parsed and verified as the matcher does (region FI, VALID) when
    the prefilter was written (scripts/check_date_ranges_are_not_phones.py): every day and month form on both
    sides and every year of the test above, 114,577,200 strings, none accepted. Here: every first day and month
    against a sample of second dates, every second day and month against a sample of firsts and years, and every
    dash the prefilter lets off, spaced and not, each read by the matcher in a sentence."""
    firsts = seconds = _day_months([str(d) for d in range(1, 32)])
    ranges = [f"{a}{dash}{b}" for a in firsts for b in ("1.1.2020", "31.12.1999", "9.09.25", "12.8.2026", "4.4.44")
              for dash in ("\u2013", "-")]
    ranges += [f"{a}\u2013{b}{y}" for a in ("1.1.", "9.9.", "31.12.") for b in seconds
               for y in ("1900", "1999", "2024", "2099", "00", "58", "99")]
    ranges += [f"{a}{left}{dash}{right}{b}" for a in ("1.1.", "9.9.", "15.7.", "30.09.")
               for b in ("1.1.2020", "12.8.26") for dash in RANGE_DASHES
               for left in ("", " ", "\u00a0") for right in ("", " ", "\u00a0")]
    assert len(ranges) > 20_000 and all(pl.Series(ranges).str.contains("^" + DATE_RANGE + "$"))
    assert _found(ranges) == []
    assert _found(["1.1.\u201301.3.2023"]) == ["01.3.2023"]  # a second date with a leading zero can be: not let off
    assert "PHONE_NUMBER" in candidate_entities(pl.Series(["Ajalle 1.1.\u201301.3.2023."]))[0].to_list()


def test_no_number_the_matcher_finds_in_an_identity_code_s_digits_is_reported() -> None:
    """The matcher reads such a chain whole, with any extension after it: a hyphen without spaces, the only mark in
    it, cuts no piece out. So whatever it finds holds the code's six digits, hyphen and three digits, and the
    recognizer drops that as an identity code. Some are numbers to the matcher (050598-4491 is 050 598 4491)."""
    rng = random.Random(11)
    codes = [f"{rng.randrange(10 ** 6):06d}-{rng.randrange(1000):03d}{rng.choice('0123456789ABCHJKNPRTXY')}"
             for _ in range(3_000)] + ["050598-4491", "040123-4567", "050598-449X"]
    contexts = ("Hetu {} tarkistettu.", "{}", "Hetu: {}, ok", "tunnus {}\nSeuraava", "hetu {}ext 12", "{} ext. 4")
    texts = [c.format(code) for code in codes for c in contexts]
    assert all(pl.Series(codes).str.contains("^" + HETU_DIGITS + "[0-9A-Y]$"))
    recognizer = FinnishPhoneRecognizer("fi")
    assert [t for t in texts if recognizer.analyze(t, ["PHONE_NUMBER"])] == []
    assert _found(["050598-4491"]) == ["050598-4491"]  # a number to the matcher, dropped by the recognizer
    let_off = [t for t, e in zip(texts, candidate_entities(pl.Series(texts)).to_list(), strict=True)
               if "PHONE_NUMBER" not in e]
    assert len(let_off) > 12_000
    assert "PHONE_NUMBER" in candidate_entities(pl.Series(["Puh 040 050598-4491"]))[0].to_list()  # more digits


@pytest.mark.parametrize("note", [
    "Puhelin 040 12.34.56 iltaisin.", "Puh. 040\u2010123\u201045\u201067 iltaisin.", "Puh. 040 1.2.34",
    "p. 044 12.3.45", "tel 045 11.11.11", "Soita 09 12.34.567.", "puh 050.123.45.67", "Puh. 040\u00a0123\u00a04567",
    "Soita numeroon 040 123 4567 klo 12.", "Tfn +358 40 123 4567.", "Nro 0401234567/iltaisin",
])
def test_a_phone_written_any_way_is_found(note: str) -> None:
    found = detect(pl.Series([note]), processes=1)
    assert "PHONE_NUMBER" in found["entity"].to_list(), note


@pytest.mark.parametrize("note", ["Käynti 16.3.2023, seuraava 1.12.25.", "Perusosa 1121 euroa, 5 käyntiä klo 12.30.",
                                  "Asiakas 12345 tavattu.", "Tukea ajalle 15.7.\u201312.8.2026.",
                                  "Jakso 1.1. - 16.6.23 sovittu.", "Period 3.10.-4.11.2024."])
def test_dates_and_short_numbers_do_not_send_a_note_to_the_phone_matcher(note: str) -> None:
    assert "PHONE_NUMBER" not in candidate_entities(pl.Series([note]))[0].to_list()


PIECES = ["0", "4", "9", "12", "040", "358", "+", "(", ")", " ", "-", "\u2010", "\u2013", ".", "/", "x", "X", "~",
          "\u00a0", "\u3000", "ext. ", "puh ", "a", ",", ":", "16.3.2023", "01.3.2023", "12.3.\u201315.4.2024", "\n",
          "1.1.-2.2.2024", "9.9. \u2013 1.10.25", "15.4.\u201301.3.2024", "050598-4491", "250598-449X", "ext"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=24).map("".join))
def test_whatever_the_phone_recognizer_finds_the_prefilter_flags(text: str) -> None:
    if FinnishPhoneRecognizer("fi").analyze(text, ["PHONE_NUMBER"]):
        assert "PHONE_NUMBER" in candidate_entities(pl.Series([text]))[0].to_list(), text


def test_prefilter_against_the_recognizer_on_random_digit_strings() -> None:
    rng = random.Random(31)
    seps = [" ", "-", ".", "\u2010", "\u2013", "/", "", "x", "  "]
    texts = ["Puh " + "".join(rng.choice("0123456789") + rng.choice(seps) for _ in range(rng.randint(3, 12)))
             for _ in range(3_000)]
    recognizer = FinnishPhoneRecognizer("fi")
    found = [bool(recognizer.analyze(t, ["PHONE_NUMBER"])) for t in texts]
    flagged = ["PHONE_NUMBER" in e for e in candidate_entities(pl.Series(texts)).to_list()]
    assert sum(found) > 100 and all(f for f, hit in zip(flagged, found, strict=True) if hit)


# Found by a differential fuzz of the batch path against presidio run on every note (each a miss before).
@pytest.mark.parametrize("note", [
    "Hän asuu Bulevardi.", "Asuu Esplanadi nykyään.", "Han bor på Bulevarden.",  # streets without a street word
    "He lives on Baker\tStreet.", "He lives on Baker\u00a0Street.", "Osoite Oak\u3000Avenue",  # any space
    "Tilinumero fi21 1234 5600 0007 85.", "Osoite MANNERHE\u0130M\u0130NT\u0130E 5",  # presidio's case folding
    "\U00011de0\U00011de1\U00011de2\U00011de3\U00011de4 Helsinki", "PL \U00011de1\U00011de2",  # newer digits
    "Käynti +27.8.2025.", "Lämpö +29.02.2024", "Käynti \uff0b27.08.2024.", "Käynti +.29.02.2024",  # a plus
    "ryhmä 3 # 12.05.2023", "Huone 7 ext. 29.02.2024", "kerta 2 int 12.02.2024", "Huone 12 #3.02.2024",
    "Huone 7 \uff03 12.05.2023", "Huone 7 extension: 12.05.2023", "Huone 7;ext=12.05.2023", "Huone 7 x: 12.05.2023",
    "Huone 7 \u0434\u043e\u0431 12.05.2023", "Huone 7 anexo 12.05.2023",
])
def test_the_batch_path_finds_what_presidio_finds(note: str) -> None:
    from extractor.freetext.detect import MIN_SCORE, languages_of
    from extractor.freetext.engine import analyzer

    language = languages_of(pl.Series([note]))[0]
    plain = {(r.start, r.end, r.entity_type) for r in analyzer().analyze(note, language=language,
                                                                          score_threshold=MIN_SCORE)}
    found = detect(pl.Series([note]), processes=1)
    assert set(found.select("start", "end", "entity").iter_rows()) >= plain, note
    # each note was a phone to presidio; a date with leading zeros ('+29.02.2024') is now a date to both paths
    assert plain or re.search(r"\b[0-3]\d\.[01]\d\.(?:19|20)\d\d\b", note), note


def test_every_digit_presidio_knows_is_a_digit_to_the_prefilters() -> None:
    """presidio matches with the `regex` module, whose Unicode may be newer than Polars' regex."""
    import regex

    from extractor.freetext.detect import as_presidio_reads

    digits = [chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000 and regex.match(r"\d", chr(c))]
    read = as_presidio_reads(pl.col("c"))
    seen = pl.DataFrame({"c": digits}).select(read.str.contains(r"^\d$"))["c"]
    assert len(digits) > 600 and seen.all(), [d for d, ok in zip(digits, seen, strict=True) if not ok][:5]


def test_every_letter_presidio_folds_to_an_ascii_one_the_prefilters_fold_too() -> None:
    import regex

    from extractor.freetext.detect import as_presidio_reads

    chars = [chr(c) for c in range(0x3000)] + ["\u212a", "\u017f", "\ufb00", "\uff49"]
    pairs = [(c, a) for c in chars for a in "abcdefghijklmnopqrstuvwxyz"
             if c != a and regex.fullmatch(a, c, regex.IGNORECASE)]
    read = as_presidio_reads(pl.col("c"))
    frame = pl.DataFrame({"c": [c for c, _ in pairs], "a": [a for _, a in pairs]}).with_columns(read)
    missed = [(c, a) for c, a in frame.iter_rows() if not pl.Series([c]).str.contains(f"(?i)^{a}$")[0]]
    assert pairs and missed == []
