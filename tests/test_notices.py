"""Notices: every GDPR Art. 13/14 element in every language, layered, readable; a missing one fails."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import REPO
from extractor.config.load import load_config
from extractor.errors import ExtractorError
from extractor.reports import notices
from extractor.reports.readability import measure, visible_text


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

    def without_complaint(template: str, context: dict) -> str:
        return original(template, context).replace('data-gdpr="complaint"', 'data-x="complaint"')

    monkeypatch.setattr(notices, "render", without_complaint)
    cfg = load_config(REPO / "examples" / "registry" / "research_request.toml", registry)
    with pytest.raises(ExtractorError, match="missing GDPR element.*supervisory authority"):
        notices.write_notices(cfg, tmp_path)


LIX = [("Kissa istuu. Koira juoksee.", "fi", 2 + 100 * 1 / 4), ("The cat sat on the mat.", "en", 6.0),
       ("Välfärdsområdet granskar klienthandlingar.", "sv", 3 + 100 * 3 / 3)]


@pytest.mark.parametrize(("text", "lang", "lix"), LIX)
def test_lix(text: str, lang: str, lix: float) -> None:
    assert measure(text, lang).lix == pytest.approx(lix, abs=0.1)
