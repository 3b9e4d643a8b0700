"""The reader's language: message catalogs (gettext `.po` files, edited by translators, never code), the
choice of language for a person, and numbers and dates as CLDR writes them in that language (Babel).

Why `.po` read at run time: a translator edits `extractor/locale/<lang>/LC_MESSAGES/extractor.po` with any
gettext tool and the change shows on the next start, without a build step or a compiled file to forget.
`make messages` re-extracts the template (`extractor.pot`) from the code and the report templates (Babel)
and merges it into each language's catalog; tests/test_i18n.py fails when a message lacks a translation.
"""

from __future__ import annotations

import datetime as dt
import gettext
import io
from collections.abc import Callable
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

LANGUAGES = ("fi", "sv", "en")
DEFAULT = "en"
DOMAIN = "extractor"
LOCALE_DIR = Path(__file__).with_name("locale")
# Babel locales: Finnish and Finland-Swedish as written in Finland; English as written in the EU (1 June 2026).
CLDR = {"fi": "fi_FI", "sv": "sv_FI", "en": "en_IE"}
LANGUAGE_NAMES = {"fi": "suomi", "sv": "svenska", "en": "English"}


def catalog_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """The language's messages; English (the source language) and an unknown language are the msgids."""
    path = catalog_path(lang)
    if lang == DEFAULT or not path.is_file():
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with path.open("rb") as f:
        messages = read_po(f, locale=lang, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, messages)  # fuzzy entries are left out: an unreviewed guess is not shown
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def gettext_for(lang: str) -> Callable[[str], str]:
    """`_` for one language: `_("Text")`, and `_("%(n)s rows") % {"n": …}` with the values outside."""
    return translations(lang).gettext


def ngettext_for(lang: str) -> Callable[[str, str, int], str]:
    return translations(lang).ngettext


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "extract this, translate later"
    """Marks a message kept in a constant; it is translated where it is shown (`_(CONSTANT)`)."""
    return message


class Message(str):
    """An English sentence that can be said again in the reader's language: it is the English text (so logs,
    errors and tests read it as before) and keeps its gettext template and values for `said(lang)`."""

    template: str
    params: dict[str, object]

    def __new__(cls, template: str, **params: object) -> Message:
        made = super().__new__(cls, template % _formatted(params, DEFAULT) if params else template)
        made.template, made.params = template, params
        return made

    def said(self, lang: str) -> str:
        text = gettext_for(lang)(self.template)
        return text % _formatted(self.params, lang) if self.params else text


def _formatted(params: dict[str, object], lang: str) -> dict[str, object]:
    """Values as the language writes them: numbers by CLDR, a Message said again, a {fi, sv, en} text (a
    catalog label) in the language."""
    return {k: number(v, lang) if isinstance(v, int | float) and not isinstance(v, bool) else
            v.said(lang) if isinstance(v, Message) else
            (v.get(lang) or v.get(DEFAULT) or next(iter(v.values()), "")) if isinstance(v, dict) else v
            for k, v in params.items()}


def said(text: object, lang: str) -> str:
    """A Message in `lang`; any other text as it is."""
    return text.said(lang) if isinstance(text, Message) else str(text)


def supported(lang: str | None) -> str | None:
    """`lang` when extractor speaks it ("fi-FI" and "FI" count as "fi"), else None."""
    if not lang:
        return None
    base = lang.strip().replace("_", "-").split("-")[0].casefold()
    return base if base in LANGUAGES else None


def from_accept_language(header: str | None) -> str | None:
    """The first language the browser's Accept-Language asks for that extractor speaks (by q, then order)."""
    wishes = []
    for i, part in enumerate((header or "").split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if supported(tag) and q > 0:
            wishes.append((-q, i, supported(tag)))
    return min(wishes)[2] if wishes else None


def from_environment() -> str | None:
    """The language a command speaks: EXTRACTOR_LANG (or --lang), else the first of LANGUAGE, LC_ALL,
    LC_MESSAGES and LANG that is set, as gettext reads them (fi_FI.UTF-8 is Finnish; C and POSIX are none)."""
    import os

    if supported(os.environ.get("EXTRACTOR_LANG")):
        return supported(os.environ["EXTRACTOR_LANG"])
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        if value:
            return next((supported(part.split(".")[0]) for part in value.split(":")
                         if supported(part.split(".")[0])), None)
    return None


def choose(*wishes: str | None) -> str:
    """The first wish extractor speaks (an explicit choice, the account's preference, the browser's), else
    English."""
    for wish in wishes:
        if supported(wish):
            return supported(wish)  # type: ignore[return-value]
    return DEFAULT


@lru_cache(maxsize=8)
def _locale(lang: str) -> Any:
    from babel import Locale

    return Locale.parse(CLDR.get(lang, CLDR[DEFAULT]))


@lru_cache(maxsize=65536)
def number(value: float | int, lang: str, digits: int | None = None) -> str:
    """1 161 in Finnish and Swedish, 1,161 in English; `digits` fixes the decimals (0.25 → 0,25). Cached: a
    report writes the same few hundred numbers in three languages. A whole number in English is grouped by Python
    as CLDR's en_IE groups it (1,161; -1,161): every Message formats its English text when it is made, and the
    first use of Babel (its locale data, its date module) cost 40-80 ms of a stage that only counts rows."""
    if digits is None and lang == DEFAULT and type(value) is int:
        return f"{value:,}"
    from babel.numbers import format_decimal

    if digits is not None:
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(value, format=pattern, locale=_locale(lang))
    return format_decimal(value, locale=_locale(lang))


def percent(share: float, lang: str, digits: int = 1) -> str:
    """A share (0.123) as CLDR writes a percentage in the language: 12,3 % in Finnish, 12.3% in English."""
    from babel.numbers import format_percent

    locale = _locale(lang)
    pattern = locale.percent_formats[None].pattern  # "#,##0 %" in Finnish and Swedish, "#,##0%" in English
    if digits:
        at = pattern.rindex("0") + 1
        pattern = pattern[:at] + "." + "0" * digits + pattern[at:]
    return format_percent(share, format=pattern, locale=locale)


def date(value: dt.date | str | None, lang: str) -> str:
    """1.6.2026 in Finnish, 2026-06-01 in Swedish, 1 Jun 2026 in English; a text that is not a date stays."""
    from babel.dates import format_date, format_datetime

    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value) if "T" in value or " " in value.strip() else \
                dt.date.fromisoformat(value)
        except ValueError:
            return value
    locale = CLDR.get(lang, CLDR[DEFAULT])
    if isinstance(value, dt.datetime):
        if not value.tzinfo:
            return format_datetime(value, format="short" if lang != "en" else "medium", locale=locale)
        value = value.astimezone()  # a recorded UTC time in the machine's own zone, named (22.09 UTC, 00.09 EET)
        zone = value.tzname() or ""
        return f"{format_datetime(value, format='short' if lang != 'en' else 'medium', locale=locale)} {zone}".strip()
    return format_date(value, format="short" if lang != "en" else "medium", locale=locale)
