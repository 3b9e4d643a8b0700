"""Dates written in notes: shifted with the person's own offset, or generalised to the month.

A note's dates are indirect identifiers ("hospital 12.3.2024" joins to an admissions register). With
`[protection] date_shift_days`, every date a note gives (12.3.2024, 12.3.24, 12.3., 2024-03-12, "maaliskuun 12.
päivänä", "12. maaliskuuta 2024", "12 mars 2024", "12 March 2024") moves by the same per-person offset
as that person's date columns, so intervals within the record stay true; without a shift the policy
(`dates_in_notes`) generalises each to its month ("maaliskuu 2024", "mars 2024", "March 2024") or
leaves it. A year-less date is shifted within a non-leap year and written back without a year.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import polars as pl

MONTHS = {
    "fi": ["tammikuu", "helmikuu", "maaliskuu", "huhtikuu", "toukokuu", "kesäkuu", "heinäkuu", "elokuu",
           "syyskuu", "lokakuu", "marraskuu", "joulukuu"],
    "sv": ["januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober",
           "november", "december"],
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"],
}
_FI_STEMS = [m[:-3] for m in MONTHS["fi"]]  # tammi, helmi, …
_FI = "|".join(_FI_STEMS)
_SV = "|".join(MONTHS["sv"])
# English abbreviations (20 Nov 2023, Sept 3): read as the month they begin, longest first so Sept wins over Sep.
_EN_SHORT = ["Sept", "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_EN = "|".join(MONTHS["en"]) + "|" + "|".join(f"{m}\\.?" for m in _EN_SHORT)
# A clock time ending a sentence (klo 14.05. Asiakas …, at 9.12. She …) reads as a day and a month without a year:
# after a word for "at o'clock" it is the time, unless a year follows (klo 12.3.2024 is still a date).
NOT_A_TIME = (r"(?:(?<!klo )(?<!kello )(?<!kl\. )(?<!kl )(?<!at )(?<!klockan )(?<!klo\xa0)(?<!kello\xa0)"
              r"|(?=\d{1,2}\.\d{1,2}\.\d{2}))")
FORMS = (  # every way a date is written, one alternative each; a range's first day with the date it runs to
    r"(?P<rng>\b(?P<rd>\d{1,2})\.(?:(?P<rm>\d{1,2})\.)?\s?[–—-]\s?(?P<rd2>\d{1,2})\.(?P<rm2>\d{1,2})\."
    r"(?P<ry>\d{4}|\d{2}(?!\d))?(?!\d|:\d))"
    r"|(?P<iso>\b(?P<iy>(?:19|20)\d\d)-(?P<im>\d\d)-(?P<id>\d\d)(?!\d|[:-]\d))"
    r"|(?P<num>\b" + NOT_A_TIME + r"(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4}|\d{2}(?!\d))?(?!\d|:\d))"
    r"|(?P<slash>\b(?P<xd>\d{1,2})/(?P<xm>\d{1,2})/(?P<xy>\d{4}|\d{2})(?![\d/]))"  # day first, as in Europe
    rf"|(?P<fi1>\b(?P<fd1>\d{{1,2}})\.\s(?P<fm1>{_FI})kuuta(?:\s(?P<fy1>\d{{4}}))?)"
    rf"|(?P<fi2>\b(?P<fm2>{_FI})kuun\s(?P<fd2>\d{{1,2}})\.(?P<fp2>\späivänä)?(?:\s(?P<fy2>\d{{4}}))?)"
    rf"|(?P<sv>\b(?P<sd>\d{{1,2}})\s(?P<sm>{_SV})(?:\s(?P<sy>\d{{4}}))?\b)"
    rf"|(?P<en>\b(?P<ed>\d{{1,2}})(?:st|nd|rd|th)?\s(?:of\s)?(?P<em>{_EN})(?:,?\s(?P<ey>\d{{4}}))?\b)")
# English also writes the month first ("March 12, 2024", "on March 12th"): read in English notes only, with the
# month capitalised (never the verb "may").
MONTH_FIRST = re.compile(rf"\b(?P<em>(?-i:{_EN}))\s(?P<ed>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s(?P<ey>\d{{4}}))?\b(?!:\d)",
                         re.IGNORECASE)
# Every form starts with a digit or a Finnish month's first letter: a lookahead for those first lets Python's
# regex engine leave most positions of a note after one test instead of five alternatives (a third less time
# over the notes, the matches the same: tests/test_freetext_dates.py compares them with FORMS alone).
FIRST = "(?=[\\d" + "".join(sorted({stem[0] for stem in _FI_STEMS})) + "])"
DATE = re.compile(FIRST + "(?:" + FORMS + ")", re.IGNORECASE)
_ANY = (r"\d{1,2}\.\d{1,2}\.|\d{4}-\d\d-\d\d|\d{1,2}/\d{1,2}/\d\d|\d{1,2}(?:\.|st|nd|rd|th)?\s(?:of\s)?(?i:"
        + "|".join([*_FI_STEMS, *MONTHS["sv"], *MONTHS["en"], *_EN_SHORT]) + ")" + r"|(?i:" + _FI + r")kuun\s\d"
        + r"|(?:" + _EN + r")\s\d")


def _parts(m: re.Match[str]) -> tuple[str, int, int, str | None]:
    """(form, day, month, year text or None); a MONTH_FIRST match has only the English groups."""
    if "num" not in m.re.groupindex:
        return "en", int(m.group("ed")), _en_month(m.group("em")), \
            m.group("ey")
    if m.group("num"):
        return "num", int(m.group("d")), int(m.group("m")), m.group("y")
    if m.group("iso"):
        return "iso", int(m.group("id")), int(m.group("im")), m.group("iy")
    if m.group("slash"):
        return "slash", int(m.group("xd")), int(m.group("xm")), m.group("xy")
    if m.group("fi1"):
        return "fi1", int(m.group("fd1")), _FI_STEMS.index(m.group("fm1").lower()) + 1, m.group("fy1")
    if m.group("fi2"):
        return "fi2", int(m.group("fd2")), _FI_STEMS.index(m.group("fm2").lower()) + 1, m.group("fy2")
    if m.group("sv"):
        return "sv", int(m.group("sd")), MONTHS["sv"].index(m.group("sm").lower()) + 1, m.group("sy")
    return "en", int(m.group("ed")), _en_month(m.group("em")), m.group("ey")


def _en_month(written: str) -> int:
    """1-12 of an English month written whole or shortened (Nov, Sept.)."""
    return [x[:3].lower() for x in MONTHS["en"]].index(written[:3].lower()) + 1


def _year(text: str | None) -> int:
    if text is None:
        return 2001  # any non-leap year: a year-less date is shifted within the calendar and written without one
    return int(text) if len(text) == 4 else 2000 + int(text)


def _render(m: re.Match[str], form: str, day: dt.date, year: str | None) -> str:
    y = None if year is None else (str(day.year) if len(year) == 4 else f"{day.year % 100:02d}")
    if form == "num":
        return f"{day.day}.{day.month}." + (y or "")
    if form == "iso":
        return day.isoformat()
    if form == "slash":
        return f"{day.day}/{day.month}/{y}"
    if form == "fi1":
        return f"{day.day}. {_FI_STEMS[day.month - 1]}kuuta" + (f" {y}" if y else "")
    if form == "fi2":
        return f"{_FI_STEMS[day.month - 1]}kuun {day.day}." + (m.group("fp2") or "") + (f" {y}" if y else "")
    written = m.groupdict().get("sm") or m.group("em")
    names = MONTHS["en"] if written[0].isupper() else MONTHS["sv"]  # English capitalises months, Swedish not
    return f"{day.day} {names[day.month - 1]}" + (f" {y}" if y else "")


def _date(m: re.Match[str]) -> tuple[str, dt.date, str | None] | None:
    """(form, date, year as written) of a match, or None when it is no date (31.2., a time 13.30.)."""
    form, d, mo, year = _parts(m)
    try:
        return form, dt.date(_year(year), mo, d), year
    except ValueError:
        return None


def _range(m: re.Match[str]) -> tuple[dt.date | None, dt.date, str | None] | None:
    """(first day, last day, year as written) of a range (12.–19.2.2024, 28.1.–3.2.2024, 30.12.–2.1.2025,
    30.–2.1.2025), None when the last day is no date, and no first day when it is none. A first day without
    its month is in the last day's month, or the month before when it is the later day of the month."""
    year = m.group("ry")
    try:
        last = dt.date(_year(year), int(m.group("rm2")), int(m.group("rd2")))
    except ValueError:
        return None
    day = int(m.group("rd"))
    month = int(m.group("rm")) if m.group("rm") else last.month - (day > last.day)
    try:
        first = dt.date(last.year - (month > last.month or month == 0), month or 12, day)
    except ValueError:
        return None, last, year
    return (first, last, year) if first <= last else (None, last, year)


def _range_shifted(m: re.Match[str], days: int, changed: list[int]) -> str:
    found = _range(m)
    if found is None:
        return m.group(0)
    first, last, year = found
    last += dt.timedelta(days=days)
    y = "" if year is None else (str(last.year) if len(year) == 4 else f"{last.year % 100:02d}")
    changed[0] += 1 + (first is not None)
    if first is None:  # no first day to shift: it is left out, never left as written beside a shifted day
        return f"{last.day}.{last.month}.{y}"
    first += dt.timedelta(days=days)
    return f"{first.day}.{first.month}.–{last.day}.{last.month}.{y}"  # both months: shifting may part them


def _range_month(m: re.Match[str], language: str, changed: list[int]) -> str:
    found = _range(m)
    if found is None:
        return m.group(0)
    first, last, year = found
    changed[0] += 1 + (first is not None)
    names = MONTHS.get(language, MONTHS["fi"])
    months = names[last.month - 1] if first is None or first.month == last.month else \
        f"{names[first.month - 1]}–{names[last.month - 1]}"
    return months + (f" {last.year}" if year else "")


def _shifter(days: int, changed: list[int]) -> Callable[[re.Match[str]], str]:
    def shift(m: re.Match[str]) -> str:
        if m.groupdict().get("rng"):
            return _range_shifted(m, days, changed)
        found = _date(m)
        if found is None:
            return m.group(0)
        changed[0] += 1
        form, day, year = found
        return _render(m, form, day + dt.timedelta(days=days), year)
    return shift


def _month(language: str, changed: list[int]) -> Callable[[re.Match[str]], str]:
    def generalise(m: re.Match[str]) -> str:
        if m.groupdict().get("rng"):
            return _range_month(m, language, changed)
        found = _date(m)
        if found is None:
            return m.group(0)
        changed[0] += 1
        _, day, year = found
        return MONTHS.get(language, MONTHS["fi"])[day.month - 1] + (f" {day.year}" if year else "")
    return generalise


def protect_dates(texts: pl.Series, mode: str, shifts: pl.Series | None = None,
                  languages: pl.Series | None = None) -> tuple[pl.Series, int]:
    """Texts with their dates shifted (`mode` "shift": each row by its `shifts` days; a row without one is
    generalised to the month instead) or generalised ("month"); "keep" leaves them. Also the dates changed."""
    if mode == "keep" or texts.len() == 0:
        return texts, 0
    n = texts.len()
    shifts = shifts if shifts is not None else pl.Series([None] * n, dtype=pl.Int64)
    languages = languages if languages is not None else pl.Series(["fi"] * n)
    has_date = texts.str.contains(_ANY).fill_null(False)
    out, changed = texts.to_list(), [0]
    for i in has_date.arg_true().to_list():  # only notes with something that looks like a date
        offset = shifts[i] if mode == "shift" else None
        fn = _shifter(int(offset), changed) if offset is not None else _month(languages[i], changed)
        out[i] = DATE.sub(fn, out[i])
        if languages[i] == "en":
            out[i] = MONTH_FIRST.sub(fn, out[i])
    return pl.Series(texts.name, out, dtype=pl.String), changed[0]
