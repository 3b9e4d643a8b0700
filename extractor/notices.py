"""Plain-language notices for the people in the data, one per language, from reports/notice_*.html.j2."""

from __future__ import annotations

from pathlib import Path

from .config import RunConfig
from .report import NOTICE_LANGUAGES, render

# Purpose wording in each language for the policy's standard purposes; other purposes need the request's
# own notice.summary text.
PURPOSE_TEXT = {
    "fi": {"audit": "palvelujen valvonta ja laadun arviointi",
           "statistics": "tilastot ja tietojohtaminen",
           "research": "tieteellinen tutkimus",
           "consented_research": "tieteellinen tutkimus suostumuksesi perusteella"},
    "en": {"audit": "supervision and quality assessment of services",
           "statistics": "statistics and knowledge management",
           "research": "scientific research",
           "consented_research": "scientific research based on your consent"},
}
DEFAULT_CATEGORIES = {
    "fi": "Sosiaalihuollon asiakastietoja: esimerkiksi syntymävuosi, sukupuoli, asuinkunta ja palvelut, "
          "joita olet saanut.",
    "en": "Social-welfare client data: for example year of birth, sex, municipality and the services you received.",
}


def write_notices(cfg: RunConfig, folder: Path) -> list[Path]:
    req = cfg.request
    written = []
    for lang in NOTICE_LANGUAGES:
        purpose = PURPOSE_TEXT[lang].get(req.purpose, cfg.purpose.description)
        summary = req.notice.summary.get(lang) or (
            f"{req.requester.organisation} käyttää tietoja tähän tarkoitukseen: {purpose}." if lang == "fi"
            else f"{req.requester.organisation} uses the data for this purpose: {purpose}.")
        context = {
            "request": req, "purpose": cfg.purpose, "purpose_fi": PURPOSE_TEXT["fi"].get(req.purpose, purpose),
            "summary": summary, "disclosure": cfg.purpose.disclosure,
            "data_categories": req.notice.data_categories.get(lang, DEFAULT_CATEGORIES[lang]),
        }
        path = folder / f"notice_{lang}.html"
        path.write_text(render(f"notice_{lang}.html.j2", context), encoding="utf-8")
        written.append(path)
    return written
