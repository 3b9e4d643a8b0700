"""Notices: every GDPR Art. 13/14 element in every language, layered, readable; a missing one fails."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import REPO
from extractor.config.load import load_config
from extractor.errors import ExtractorError
from extractor.reports import notices
from extractor.reports.readability import measure, prose, visible_text


@pytest.fixture(scope="module")
def written(registry: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    cfg = load_config(REPO / "examples" / "registry" / "microdata_request.toml", registry)
    folder = tmp_path_factory.mktemp("notices")
    return folder, notices.write_notices(cfg, folder)


@pytest.mark.parametrize("lang", notices.LANGUAGES)
def test_every_element_present_and_readable(written, lang: str) -> None:
    folder, scores = written
    page = (folder / f"notice_{lang}.html").read_text()
    assert notices.missing_elements(page) == []
    assert f'lang="{lang}"' in page and "tietosuoja.fi" in page
    assert ("10 years" in page) == (lang == "en")  # retention in the notice's own language
    assert scores[lang].ok, scores[lang]
    assert scores[lang].words_per_sentence <= 15


@pytest.mark.parametrize("request_file", ["audit_request", "research_request", "microdata_request",
                                          "notes_request"])
def test_every_demo_notice_reads_at_lix_40_or_below(registry: Path, tmp_path: Path, request_file: str) -> None:
    cfg = load_config(REPO / "examples" / "registry" / f"{request_file}.toml", registry)
    scores = notices.write_notices(cfg, tmp_path)
    assert {lang: s.lix for lang, s in scores.items() if s.lix > 40} == {}
    for lang in notices.LANGUAGES:  # the measure leaves out names and cited acts, and only those
        page = (tmp_path / f"notice_{lang}.html").read_text()
        assert "tietosuoja.fi" not in prose(page) and cfg.request.permit_id not in prose(page)
        assert len(prose(page).split()) > 150


def test_summary_layer_comes_first_and_fits_one_screen(written) -> None:
    folder, _ = written
    page = (folder / "notice_en.html").read_text()
    summary = page[page.index('aria-label="In short"'):page.index("</section>")]
    assert page.index('aria-label="In short"') < page.index('data-gdpr="controller"')
    assert len(visible_text(summary).split()) < 120
    assert "at least 4 others" in summary  # the anonymised output is described as what it is


def test_a_missing_element_fails_the_build(written, monkeypatch: pytest.MonkeyPatch, registry: Path,
                                           tmp_path: Path) -> None:
    original = notices.render

    def without_complaint(template: str, context: dict, lang: str = "en") -> str:
        return original(template, context, lang=lang).replace('data-gdpr="complaint"', 'data-x="complaint"')

    monkeypatch.setattr(notices, "render", without_complaint)
    cfg = load_config(REPO / "examples" / "registry" / "research_request.toml", registry)
    with pytest.raises(ExtractorError, match="missing GDPR element.*supervisory authority"):
        notices.write_notices(cfg, tmp_path)


LIX = [("Kissa istuu. Koira juoksee.", "fi", 2 + 100 * 1 / 4), ("The cat sat on the mat.", "en", 6.0),
       ("Välfärdsområdet granskar klienthandlingar.", "sv", 3 + 100 * 3 / 3)]


@pytest.mark.parametrize(("text", "lang", "lix"), LIX)
def test_lix(text: str, lang: str, lix: float) -> None:
    assert measure(text, lang).lix == pytest.approx(lix, abs=0.1)


@pytest.mark.parametrize("request_file", ["research_request.toml", "audit_request.toml", "microdata_request.toml",
                                          "notes_request.toml"])
def test_every_paragraph_is_in_the_notices_language(registry: Path, tmp_path: Path, request_file: str) -> None:
    """No English sentence in a Finnish or Swedish notice: each paragraph and list item of every demo
    request's notice is identified by py3langid (limited to fi, sv, en) as the notice's own language."""
    import re

    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    identify = LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE)
    identify.set_languages(list(notices.LANGUAGES))
    cfg = load_config(REPO / "examples" / "registry" / request_file, registry)
    notices.write_notices(cfg, tmp_path)
    for lang in notices.LANGUAGES:
        page = (tmp_path / f"notice_{lang}.html").read_text(encoding="utf-8")
        blocks = [visible_text(b).strip() for b in re.findall(r"<(?:p|li)\b[^>]*>(.*?)</(?:p|li)>", page, re.S)]
        wrong = [(identify.classify(b)[0], b) for b in blocks if len(b.split()) >= 4]
        wrong = [(got, b) for got, b in wrong if got != lang]
        assert not wrong, f"notice_{lang}: {wrong}"


def test_a_missing_language_falls_back_only_where_the_policy_allows(registry: Path, tmp_path: Path) -> None:
    text = (REPO / "examples" / "registry" / "research_request.toml").read_text(encoding="utf-8")
    source = 'title = { fi = "Sosiaalipalvelujen käyttö iän, sukupuolen ja alueen mukaan", '
    assert source in text
    text = text.replace(source, "title = { ").replace('catalog = "catalog.toml"',
                                                       f'catalog = "{REPO}/examples/registry/catalog.toml"')
    request = tmp_path / "request.toml"
    request.write_text(text.replace("../../queries/", f"{REPO}/queries/"), encoding="utf-8")
    with pytest.raises(ExtractorError, match=r'request.title: no text for "fi" \(expected fi, sv and en\)$'):
        load_config(request, registry)
    policy = tmp_path / "policy.toml"
    policy.write_text(notices_policy_with_fallback(), encoding="utf-8")
    with_policy = request.read_text(encoding="utf-8").replace('catalog = "', f'policy = "{policy}"\ncatalog = "', 1)
    request.write_text(with_policy, encoding="utf-8")
    notices.write_notices(load_config(request, registry), tmp_path)
    fi = (tmp_path / "notice_fi.html").read_text(encoding="utf-8")
    assert "Use of social services by age, sex and region (Tätä tietoa ei ole saatavilla suomeksi.)" in fi


def notices_policy_with_fallback() -> str:
    from extractor.config.policy import default_policy_path

    text = default_policy_path().read_text(encoding="utf-8")
    assert 'notice_languages = "required"' in text
    return text.replace('notice_languages = "required"', 'notice_languages = "fallback"')


@pytest.mark.parametrize(("request_file", "only_tables"), [("research_request", True), ("notes_request", False)])
def test_the_summary_says_only_tables_only_when_only_tables_leave(registry: Path, tmp_path: Path, request_file: str,
                                                                 only_tables: bool) -> None:
    """A request that also releases records about each person (pseudonymised) must not tell the people in the
    data that researchers get only tables of numbers (from the new-user trial: it said both)."""
    import dataclasses

    cfg = load_config(REPO / "examples" / "registry" / f"{request_file}.toml", registry)
    if not only_tables:  # the notes request with an aggregate beside its records
        research = load_config(REPO / "examples" / "registry" / "research_request.toml", registry)
        cfg = dataclasses.replace(cfg, request=dataclasses.replace(
            cfg.request, outputs=(*cfg.request.outputs, *research.request.outputs)))
    notices.write_notices(cfg, tmp_path)
    said = {lang: visible_text((tmp_path / f"notice_{lang}.html").read_text(encoding="utf-8"))
            for lang in notices.LANGUAGES}
    assert ("only get tables of numbers" in said["en"]) is only_tables
    assert ("saavat vain taulukoita" in said["fi"]) is only_tables
    assert ("får bara tabeller" in said["sv"]) is only_tables
    assert ("rows about each person" in said["en"]) is not only_tables
    assert "get tables of numbers" in said["en"] and "taulukoita" in said["fi"] and "tabeller" in said["sv"]
