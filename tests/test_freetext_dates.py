"""Dates in notes: every written form shifted by the person's offset or generalised to the month."""

from __future__ import annotations

import datetime as dt
import re

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extractor.freetext.dates import DATE, FORMS, protect_dates
from extractor.freetext.dates import MONTHS as MONTH_NAMES

SHIFTED = [
    ("Päätös saapui 12.3.2025.", 10, "Päätös saapui 22.3.2025."),
    ("Käynti 28.12.2024, seuraava 3.1.2025.", 5, "Käynti 2.1.2025, seuraava 8.1.2025."),
    ("Tavattu 12.3.24.", -12, "Tavattu 29.2.24."),  # 2024 is a leap year
    ("Seuraava 15.1. klo 13.30.", 20, "Seuraava 4.2. klo 13.30."),  # the time is not a date
    ("Soitettu maaliskuun 12. päivänä 2024.", -5, "Soitettu maaliskuun 7. päivänä 2024."),
    ("Palaveri 28. helmikuuta 2023.", 1, "Palaveri 1. maaliskuuta 2023."),
    ("Beslutet kom 12 mars 2024.", 3, "Beslutet kom 15 mars 2024."),
    ("Met on 30 December 2024.", 2, "Met on 1 January 2025."),
    ("Hetu <HENKILÖTUNNUS>, 31.2. ei ole päivämäärä.", 4, "Hetu <HENKILÖTUNNUS>, 31.2. ei ole päivämäärä."),
    ("Vuokra 650 euroa, 3 kertaa viikossa.", 9, "Vuokra 650 euroa, 3 kertaa viikossa."),
    ("Palaveri 2024-05-17 klo 10.", 3, "Palaveri 2024-05-20 klo 10."),  # as a system writes it
    ("Tunnus 2024-05-17-3, väli 2024-13-40.", 3, "Tunnus 2024-05-17-3, väli 2024-13-40."),  # a code, no date
    ("Viesti 4.3.2024: asia ok.", 2, "Viesti 6.3.2024: asia ok."),  # a colon after the date, no time
    ("Klo 12.30: palaveri.", 2, "Klo 12.30: palaveri."),
    ("Syntynyt 04/05/2016, annos 1/2 tablettia.", 3, "Syntynyt 7/5/2016, annos 1/2 tablettia."),  # day first
    ("Permit expires on 30/11/24.", 1, "Permit expires on 1/12/24."),
    ("Visit on 12th February 2024.", 1, "Visit on 13 February 2024."),
]


@pytest.mark.parametrize(("text", "days", "expected"), SHIFTED)
def test_dates_shift_with_the_person(text: str, days: int, expected: str) -> None:
    out, _ = protect_dates(pl.Series([text]), "shift", pl.Series([days]))
    assert out.to_list() == [expected]


MONTHS = [
    ("Päätös saapui 12.3.2025.", "fi", "Päätös saapui maaliskuu 2025."),
    ("Seuraava 15.1. klo 13.30.", "fi", "Seuraava tammikuu klo 13.30."),
    ("Beslutet kom 12 mars 2024.", "sv", "Beslutet kom mars 2024."),
    ("Nästa bedömning 20.2.2026.", "sv", "Nästa bedömning februari 2026."),
    ("Met on 3 May 2024.", "en", "Met on May 2024."),
    ("Palaveri 2024-05-17.", "fi", "Palaveri toukokuu 2024."),
    ("Alkaen 1.7.: uusi osoite.", "fi", "Alkaen heinäkuu: uusi osoite."),
    ("Lapsi s. 04/05/2016.", "fi", "Lapsi s. toukokuu 2016."),
    ("Born on the 12th of February 2024.", "en", "Born on the February 2024."),
    ("Seen on March 3rd, 2024.", "en", "Seen on March 2024."),  # month first: English notes only
    ("Next visit March 12.", "en", "Next visit March."),
    ("Seen on 20 Nov 2023 by the team.", "en", "Seen on November 2023 by the team."),  # a shortened month
    ("Next review 3 Sept.", "en", "Next review September."),
    ("Seen Nov 20, 2023.", "en", "Seen November 2023."),
]


# A clock time ending a sentence is no date (a trial's note lost "at 14.05." to "at May"); with a year it is one.
TIMES = [
    ("Kotikäynti klo 14.05. Asiakas kotona.", "fi"),
    ("Soitto kello 9.12. Ei vastannut.", "fi"),
    ("Phone call with Mrs Smith at 14.05. She asked.", "en"),
    ("Samtal kl. 10.11. Hon svarade.", "sv"),
    ("Besök klockan 8.10. Allt väl.", "sv"),
]


@pytest.mark.parametrize(("text", "lang"), TIMES)
def test_a_clock_time_ending_a_sentence_is_not_a_date(text: str, lang: str) -> None:
    out, n = protect_dates(pl.Series([text]), "month", None, pl.Series([lang]))
    assert out.to_list() == [text] and n == 0
    time = re.search(r"\d{1,2}\.\d{1,2}\.", text).group()
    dated = text.replace(time, time + "2024", 1)  # klo 14.05.2024: a date after all
    assert protect_dates(pl.Series([dated]), "month", None, pl.Series([lang]))[1] == 1


def test_month_first_is_read_in_english_notes_only_and_never_the_verb() -> None:
    out, n = protect_dates(pl.Series(["Hon kom March 12.", "It may 5 times go."]), "month", None,
                           pl.Series(["sv", "en"]))
    assert out.to_list() == ["Hon kom March 12.", "It may 5 times go."] and n == 0


@pytest.mark.parametrize(("text", "lang", "expected"), MONTHS)
def test_dates_generalised_to_the_month(text: str, lang: str, expected: str) -> None:
    out, n = protect_dates(pl.Series([text]), "month", None, pl.Series([lang]))
    assert out.to_list() == [expected] and n == 1


def test_a_row_without_an_offset_is_generalised_and_keep_keeps() -> None:
    texts = pl.Series(["Käynti 12.3.2025.", "Käynti 12.3.2025.", None])
    out, n = protect_dates(texts, "shift", pl.Series([1, None, None], dtype=pl.Int64))
    assert out.to_list() == ["Käynti 13.3.2025.", "Käynti maaliskuu 2025.", None] and n == 2
    assert protect_dates(texts, "keep")[0].to_list() == texts.to_list()


# A range's first day has no month or year of its own (12.–19.2.2024): it is the last day's month's, or the month
# before (30.–2.1.2025); it is shifted or generalised with its range, never left as written beside a changed day.
RANGES = [
    ("Hoidossa 12.\u201319.2.2024.", 10, "Hoidossa 22.2.\u201329.2.2024.", "Hoidossa helmikuu 2024."),
    ("Ajalle 28.1.-3.2.2024.", 5, "Ajalle 2.2.\u20138.2.2024.", "Ajalle tammikuu\u2013helmikuu 2024."),
    ("Lomalla 30.\u20132.1.2025.", 3, "Lomalla 2.1.\u20135.1.2025.", "Lomalla joulukuu\u2013tammikuu 2025."),
    ("Lomalla 1.\u201315.7.", -1, "Lomalla 30.6.\u201314.7.", "Lomalla heinäkuu"),
    ("Väli 31. \u2013 5.3.2024.", 1, "Väli 6.3.2024.", "Väli maaliskuu 2024."),  # no 31 February: no first day
]


@pytest.mark.parametrize(("text", "days", "shifted", "month"), RANGES)
def test_a_range_moves_whole(text: str, days: int, shifted: str, month: str) -> None:
    out, n = protect_dates(pl.Series([text]), "shift", pl.Series([days]))
    assert out.to_list() == [shifted] and n >= 1
    out, n = protect_dates(pl.Series([text]), "month")
    assert out.to_list() == [month] and n >= 1
    assert not re.search(r"\d{1,2}\.\s?[\u2013-]", out[0])  # no day left standing before the month


@settings(max_examples=200, deadline=None)
@given(st.dates(dt.date(1950, 1, 1), dt.date(2040, 12, 31)), st.integers(0, 60), st.integers(-365, 365))
def test_a_range_keeps_its_length(a: dt.date, length: int, days: int) -> None:
    b = a + dt.timedelta(days=length)
    first = f"{a.day}." if (a.month, a.year) == (b.month, b.year) else f"{a.day}.{a.month}."
    out, _ = protect_dates(pl.Series([f"Jakso {first}\u2013{b.day}.{b.month}.{b.year}."]), "shift", pl.Series([days]))
    got = re.fullmatch(r"Jakso (\d+)\.(\d+)\.\u2013(\d+)\.(\d+)\.(\d{4})\.", out[0])
    assert got, out[0]
    d1, m1, d2, m2, y = map(int, got.groups())
    end = dt.date(y, m2, d2)
    start = dt.date(y - (m1 > m2), m1, d1)
    assert (start, end) == (a + dt.timedelta(days=days), b + dt.timedelta(days=days))


_NUM = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")


@settings(max_examples=200, deadline=None)
@given(st.dates(dt.date(1950, 1, 1), dt.date(2040, 12, 31)), st.dates(dt.date(1950, 1, 1), dt.date(2040, 12, 31)),
       st.integers(-365, 365))
def test_intervals_within_a_note_stay_true(a: dt.date, b: dt.date, days: int) -> None:
    text = f"Tulo {a.day}.{a.month}.{a.year}, lähtö {b.day}.{b.month}.{b.year}."
    out, n = protect_dates(pl.Series([text]), "shift", pl.Series([days]))
    got = [dt.date(int(y), int(m), int(d)) for d, m, y in _NUM.findall(out[0])]
    assert n == 2 and got == [a + dt.timedelta(days=days), b + dt.timedelta(days=days)]
    assert got[1] - got[0] == b - a


# Dates in every form and case, their pieces, and what may stand around them: the guard in front of DATE must
# never change a match (a date it skipped would leave the note unshifted).
_STEMS = [m[:-3] for m in MONTH_NAMES["fi"]]
_CASED = st.sampled_from([str.lower, str.upper, str.capitalize])
_WHOLE = st.one_of(
    st.builds(lambda d, m, c: c(f"{m}kuun {d}."), st.integers(0, 40), st.sampled_from(_STEMS), _CASED),
    st.builds(lambda d, m, y, c: c(f"{d}. {m}kuuta {y}"), st.integers(0, 40), st.sampled_from(_STEMS),
              st.integers(1900, 2100), _CASED),
    st.builds(lambda d, m, c: c(f"{d} {m}"), st.integers(0, 40),
              st.sampled_from(MONTH_NAMES["sv"] + MONTH_NAMES["en"]), _CASED),
    st.builds(lambda d, m, y: f"{d}.{m}.{y}", st.integers(0, 40), st.integers(0, 13),
              st.sampled_from(["", "24", "2024"])),
    st.builds(lambda y, m, d: f"{y}-{m:02d}-{d:02d}", st.integers(1890, 2110), st.integers(0, 13), st.integers(0, 40)))
_PIECES = st.sampled_from(["12", "3", "2024", "24", ".", ". ", " ", ":", "\n", "-", "kuuta", "kuun", " päivänä",
                           "klo", "\x00", "K", "\u212a", "\u017f", "ÄÖ", "x"] + _STEMS)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(_WHOLE, _PIECES, st.text(max_size=3)), max_size=10).map("".join))
def test_the_guarded_pattern_finds_what_the_forms_alone_find(text: str) -> None:
    plain = re.compile(FORMS, re.IGNORECASE)
    assert [(m.span(), m.groupdict()) for m in DATE.finditer(text)] == \
        [(m.span(), m.groupdict()) for m in plain.finditer(text)]
