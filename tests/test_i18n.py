"""Everything a person reads, in Finnish, Swedish and English: the catalogs are complete, the pages speak the
reader's language (py3langid agrees, paragraph by paragraph), numbers and dates are CLDR's, and nothing a
reviewer reads (review/, release/) holds an absolute path or a person key."""

from __future__ import annotations

import html
import re
import subprocess
import sys
from pathlib import Path

import py3langid
import pytest
from babel.messages.pofile import read_po
from hypothesis import given
from hypothesis import strategies as st

from conftest import REPO, TEST_KEY
from extractor import i18n
from extractor.config.load import load_config
from extractor.pipeline import run_extract
from extractor.reports import labels

PLACEHOLDER = re.compile(r"%\(\w+\)s")
TAG = re.compile(r"</?\w+>")


def _catalog(lang: str):
    with i18n.catalog_path(lang).open("rb") as f:
        return read_po(f, locale=lang)


def _extracted(folder: Path) -> set[str]:
    """The msgids extracted from the code and templates now, as `make messages` would."""
    pot = folder / "now.pot"
    subprocess.run([sys.executable, "-c", "from babel.messages.frontend import main; main()", "extract",
                    "-F", "babel.cfg", "-k", "N_", "-k", "Message", "--no-location", "--omit-header",
                    "-o", str(pot), "."], cwd=REPO, capture_output=True, check=True)
    with pot.open("rb") as f:
        return {m.id for m in read_po(f) if m.id}


def test_every_text_a_person_reads_is_in_the_catalogs_and_translated(tmp_path: Path) -> None:
    """A text added to a template or marked in the code without a translation fails here (run `make
    messages`, then translate the new entries of each .po)."""
    wanted = _extracted(tmp_path)
    assert len(wanted) > 300
    for lang in ("fi", "sv"):
        catalog = _catalog(lang)
        have = {m.id: m for m in catalog if m.id}
        missing = sorted(wanted - have.keys())
        assert not missing, f"{lang}: not in the catalog: {missing[:5]}"
        for msgid in wanted:
            m = have[msgid]
            assert m.string and not m.fuzzy, f"{lang}: untranslated: {msgid!r}"
            assert sorted(PLACEHOLDER.findall(msgid)) == sorted(PLACEHOLDER.findall(m.string)), (lang, msgid)
            assert sorted(TAG.findall(msgid)) == sorted(TAG.findall(m.string)), (lang, msgid)


@pytest.mark.parametrize(("lang", "value", "expected"), [
    ("fi", 1161, "1\u00a0161"), ("sv", 1161, "1\u00a0161"), ("en", 1161, "1,161"),
    ("fi", 199191, "199\u00a0191"), ("en", 0, "0"),
])
def test_numbers_as_cldr_writes_them(lang: str, value: int, expected: str) -> None:
    assert i18n.number(value, lang) == expected


@given(st.integers(min_value=-10**24, max_value=10**24))  # Babel fails from 10**25 on (28-digit decimals)
def test_english_whole_numbers_without_babel_are_what_babel_writes(value: int) -> None:
    """number()'s shortcut for whole numbers in English, against Babel's own en_IE formatting."""
    from babel.numbers import format_decimal

    assert i18n.number(value, "en") == format_decimal(value, locale=i18n._locale("en"))


@pytest.mark.parametrize(("lang", "share", "expected"), [
    ("fi", 0.123, "12,3\u00a0%"), ("sv", 0.5, "50,0\u00a0%"), ("en", 0.123, "12.3%"),
])
def test_shares_as_cldr_writes_percentages(lang: str, share: float, expected: str) -> None:
    assert i18n.percent(share, lang) == expected


@pytest.mark.parametrize(("lang", "value", "expected"), [
    ("fi", "2026-06-01", "1.6.2026"), ("sv", "2026-06-01", "1.6.2026"), ("en", "2026-06-01", "1 Jun 2026"),
    ("fi", "not a date", "not a date"), ("en", None, ""),
])
def test_dates_as_cldr_writes_them(lang: str, value: str | None, expected: str) -> None:
    assert i18n.date(value, lang) == expected


def test_a_recorded_time_names_its_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    """A DPO read '4.12.2026 22.09' as Finnish time: it was UTC (00.09 on the 5th in Helsinki)."""
    import time

    monkeypatch.setenv("TZ", "Europe/Helsinki")
    time.tzset()
    try:
        assert i18n.date("2026-12-04T22:09:09+00:00", "fi") == "5.12.2026 0.09 EET"
    finally:
        monkeypatch.setenv("TZ", "UTC")
        time.tzset()
    assert i18n.date("2026-12-04T22:09:09+00:00", "sv") == "4.12.2026 22.09 UTC"


@pytest.mark.parametrize(("wishes", "expected"), [
    ((None, None, None), "en"), (("fi", "sv", "en"), "fi"), ((None, "sv", "fi"), "sv"), ((None, None, "fi"), "fi"),
    (("de", None, "sv"), "sv"), (("FI-fi", None, None), "fi"), (("", "", ""), "en"),
])
def test_the_first_wish_extractor_speaks_wins(wishes: tuple, expected: str) -> None:
    assert i18n.choose(*wishes) == expected


@pytest.mark.parametrize(("header", "expected"), [
    ("fi-FI,fi;q=0.9,en;q=0.8", "fi"), ("de-DE, sv;q=0.5, en;q=0.4", "sv"), ("en;q=0.2, fi;q=0.9", "fi"),
    ("fi;q=0, sv", "sv"), ("de", None), ("", None), (None, None), ("fi;q=abc, sv;q=0.1", "sv"),
])
def test_accept_language(header: str | None, expected: str | None) -> None:
    assert i18n.from_accept_language(header) == expected


@given(st.text(max_size=200))
def test_any_accept_language_gives_a_language_extractor_speaks_or_none(header: str) -> None:
    assert i18n.from_accept_language(header) in (*i18n.LANGUAGES, None)


@pytest.mark.parametrize("reason", [
    "threshold: 1 to the threshold records or units", "dominance: the two largest units hold 93% of euros",
    "secondary: protects Uusimaa / 1 / 2026; Lappi / 2 / 2025; rounded records: 12 → 10",
    "rounded documents: 3 → 5", "zero: a zero is disclosive under this policy",
    "threshold: 1 to the threshold records or units; dominance: the two largest units hold 100% of documents; "
    "p%: the second largest unit could estimate the largest's documents within 0%; threshold: documents of 1 to "
    "the threshold",
    "p%: the second largest unit could estimate the largest's euros within 4%",
])
def test_each_cells_reason_is_said_again_in_finnish_and_swedish(reason: str) -> None:
    for lang in ("fi", "sv"):
        said = labels.reason(reason, lang)
        for english in ("threshold", "secondary", "rounded", "dominance", "largest", "protects", "zero"):
            assert english not in said, (lang, said)
        assert re.findall(r"\d+", said) == re.findall(r"\d+", reason.replace("p%", ""))  # every figure kept


@pytest.fixture(scope="module")
def audit_run(registry: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    cfg = load_config(REPO / "examples" / "registry" / "audit_request.toml", registry)
    return run_extract(cfg, tmp_path_factory.mktemp("out"), TEST_KEY.encode()).run_dir


def paragraphs(page: str) -> list[str]:
    """The visible prose of a page: each paragraph, list item and heading of four words or more."""
    page = re.sub(r"<(script|style|code|svg|details)\b.*?</\1>", " ", page, flags=re.S)
    out = []
    for attributes, block in re.findall(r"<(?:p|li|dd|h[1-3]|caption|summary)\b([^>]*)>(.*?)"
                                        r"</(?:p|li|dd|h[1-3]|caption|summary)>", page, flags=re.S):
        if 'translate="no"' in attributes:  # a name the controller wrote (the catalog's), in its language
            continue
        text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", block)).split())
        if len(re.findall(r"[^\W\d_]{3,}", text)) >= 4:
            out.append(text)
    return out


@pytest.mark.parametrize(("lang", "page", "least"), [(lang, page, least) for lang in ("fi", "sv", "en")
                                                     for page, least in (("review", 20), ("codebook", 3))])
def test_the_review_report_and_codebook_read_in_their_language(audit_run: Path, lang: str, page: str,
                                                                least: int) -> None:
    page = (audit_run / "review" / f"{page}_{lang}.html").read_text(encoding="utf-8")
    assert f'<html lang="{lang}">' in page
    texts = paragraphs(page)
    assert len(texts) >= least
    wrong = [(t, py3langid.classify(t)[0]) for t in texts if py3langid.classify(t)[0] != lang
             and not _mostly_names(t)]
    assert len(wrong) <= len(texts) // 20, wrong[:8]  # names and codes may fool a classifier on a short line


def _mostly_names(text: str) -> bool:
    """A line of the request's own words (a title, an organisation, an e-mail) is not the report's language."""
    return "@" in text or "(" in text and text.count(",") >= 2


def test_no_english_sentence_of_the_catalog_in_the_finnish_report(audit_run: Path) -> None:
    page = html.unescape((audit_run / "review" / "review_fi.html").read_text(encoding="utf-8"))
    english = [m.id for m in _catalog("fi") if m.id and len(m.id) > 25 and "%(" not in m.id and m.string != m.id]
    assert [e for e in english if e in page] == []
    for internal in ("hidden primary cells", "threshold:", "excluded:", "EMAIL_ADDRESS", "the machine's clock"):
        assert internal not in page, internal  # the checker's appendix speaks Finnish too


def test_figures_in_the_finnish_report_are_grouped_as_cldr_says(audit_run: Path) -> None:
    page = (audit_run / "review" / "review_fi.html").read_text(encoding="utf-8")
    assert re.search(r">\d{1,3}\u00a0\d{3}<", page)  # e.g. 2 742 in a table cell
    assert not re.search(r">\d{1,3},\d{3}<", page)  # never the English 2,742


def test_review_and_release_hold_no_absolute_path_and_no_person_key(audit_run: Path, registry: Path) -> None:
    import polars as pl

    keys = set(pl.read_parquet(registry / "clients.parquet", columns=["client_id"])["client_id"].cast(pl.String))
    for part in ("release", "review"):
        for path in (audit_run / part).rglob("*"):
            if not path.is_file():
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            assert str(REPO) not in text and str(registry) not in text and "/tmp/" not in text, path
            assert not re.search(r"(?<![\w.])/(?:home|root|work|usr|etc|var)/", text), path
            words = set(re.findall(r"[A-Za-z0-9_-]{4,}", text))
            assert not (words & keys), (path, sorted(words & keys)[:3])
    assert (audit_run / "controller" / "overdue_for_destruction_documents.csv").is_file()
    assert not list((audit_run / "review").glob("overdue*"))


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_notices_write_dates_as_their_language_does(audit_run: Path, lang: str) -> None:
    page = (audit_run / "notices" / f"notice_{lang}.html").read_text(encoding="utf-8")
    text = html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<style\b.*?</style>", "", page, flags=re.S)))
    assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", text)  # never 2026-09-15 to a reader
    assert {"fi": "15.9.2026", "sv": "15.9.2026", "en": "15 Sept 2026"}[lang] in text
