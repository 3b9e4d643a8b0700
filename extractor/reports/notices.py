"""Plain-language notices for the people in the data, in Finnish, Swedish and English.

Each notice is layered (a one-screen summary, then the full text) and must carry every element GDPR
Articles 13 and 14 require; each element is a `data-gdpr` block in the template, and rendering fails if
one is missing or empty. Readability (LIX) is measured per language and shown to the DPO.
"""

from __future__ import annotations

import re
from pathlib import Path

from extractor.config.catalog import PSEUDONYMISED_ROLES, WITHHELD_ROLES, Column, column_label, table_label
from extractor.config.load import RunConfig
from extractor.config.notice_texts import shown_fields
from extractor.errors import ExtractorError
from extractor.reports.readability import Readability, measure, prose, visible_text
from extractor.reports.render import render

LANGUAGES = ("fi", "sv", "en")
GDPR_ELEMENTS = {
    "controller": "Art. 13(1)(a) / 14(1)(a) identity and contact details of the controller",
    "dpo": "Art. 13(1)(b) / 14(1)(b) contact details of the data protection officer",
    "purposes": "Art. 13(1)(c) / 14(1)(c) purposes of the processing",
    "legal_basis": "Art. 13(1)(c) / 14(1)(c) legal basis",
    "categories": "Art. 14(1)(d) categories of personal data",
    "source": "Art. 14(2)(f) source of the data",
    "recipients": "Art. 13(1)(e) / 14(1)(e) recipients",
    "transfers": "Art. 13(1)(f) / 14(1)(f) transfers to third countries",
    "retention": "Art. 13(2)(a) / 14(2)(a) storage period",
    "rights": "Art. 13(2)(b) / 14(2)(c) rights of access, rectification, erasure, restriction, objection",
    "choices": "Art. 13(2)(c) / 14(2)(d) withdrawing consent; national bans and opt-outs and how to use them",
    "complaint": "Art. 13(2)(d) / 14(2)(e) right to lodge a complaint with a supervisory authority",
    "automated": "Art. 13(2)(f) / 14(2)(g) automated decision-making",
}
PURPOSE_TEXT = {
    "audit": {"fi": "palvelujen valvonta ja laadun arviointi", "sv": "tillsyn och kvalitetsbedömning av tjänsterna",
              "en": "supervision and quality assessment of services"},
    "statistics": {"fi": "tilastot ja tietojohtaminen", "sv": "statistik och kunskapsbaserad ledning",
                   "en": "statistics and knowledge management"},
    "research": {"fi": "tieteellinen tutkimus", "sv": "vetenskaplig forskning", "en": "scientific research"},
    "consented_research": {"fi": "tieteellinen tutkimus suostumuksesi perusteella",
                           "sv": "vetenskaplig forskning med ditt samtycke",
                           "en": "scientific research based on your consent"},
}
# The data categories: the catalog's labels of the columns the request reads, in the reader's language.
CATEGORIES = {"fi": "Tietoja, joita hanke käytti: {labels}.", "sv": "Uppgifter som projektet använde: {labels}.",
              "en": "Data the project used: {labels}."}
NOT_CATEGORIES = PSEUDONYMISED_ROLES | {"direct_identifier"}  # keys and identifiers: never given out
# What a disclosure ban can cover, in the reader's language: only the kinds the catalog's tables record (an OMOP
# database records documents, as visits, but no registrar or service task), so no patient is told of a ban
# the data could not honour.
BAN_SCOPE_WORDS = {"fi": {"registrar": "yhtä rekisterinpitäjää", "service_task": "yhtä palvelutehtävää",
                          "document_key": "yhtä asiakirjaa"},
                   "sv": {"registrar": "en personuppgiftsansvarig", "service_task": "en serviceuppgift",
                          "document_key": "en handling"},
                   "en": {"registrar": "one registrar", "service_task": "one service task",
                          "document_key": "one document"}}
LAST_JOIN = {"fi": " tai ", "sv": " eller ", "en": " or "}


def ban_scopes(cfg: RunConfig, lang: str) -> str:
    """'one registrar, one service task or one document', for the roles some catalogued table has."""
    roles = [r for r in BAN_SCOPE_WORDS[lang] if any(t.with_role(r) for t in cfg.catalog.tables.values())]
    words = [BAN_SCOPE_WORDS[lang][r] for r in roles]
    return ", ".join(words[:-1]) + LAST_JOIN[lang] + words[-1] if len(words) > 1 else "".join(words)


DEFAULT_SUMMARY = {
    "fi": "{org} käyttää tietojasi. Tarkoitus on {purpose}.",
    "sv": "{org} använder dina uppgifter. Syftet är {purpose}.",
    "en": "{org} uses your data. The purpose is {purpose}.",
}


def missing_elements(page: str) -> list[str]:
    """GDPR elements without a non-empty data-gdpr block in the rendered page."""
    found = {m.group(1) for m in re.finditer(r'data-gdpr="([a-z_]+)"[^>]*>(.*?)</(?:p|div)>', page, flags=re.S)
             if visible_text(m.group(2)).strip()}
    return [e for e in GDPR_ELEMENTS if e not in found]


FALLBACK_NOTE = {"fi": "Tätä tietoa ei ole saatavilla suomeksi.", "sv": "Uppgiften finns inte på svenska.",
                 "en": "This information is not available in English."}


def reader_texts(cfg: RunConfig, lang: str) -> dict[str, str]:
    """The request's notice texts in `lang` (summary and data categories as "notice.summary" and
    "notice.data_categories", when the request gives them). Where the policy allows a fallback, a text
    missing in `lang` is shown in another language with a visible note; load_config has refused it otherwise."""
    out = {}
    for name, (_, texts) in shown_fields(cfg.request.texts, cfg.request.notice).items():
        if lang in texts:
            out[name] = texts[lang]
        else:
            other = texts.get("*") or texts.get("en") or next(iter(texts.values()), "")
            out[name] = f"{other} ({FALLBACK_NOTE[lang]})"
    return out


def read_columns(cfg: RunConfig) -> list[Column]:
    """The columns the request's queries could read: its [variables], else every column the sandbox gives a
    query of each catalog table (free text only when named); person keys and identifiers left out."""
    wanted = cfg.request.variables
    if wanted is None:
        return [c for t in cfg.catalog.tables.values() for c in t.columns
                if c.role not in NOT_CATEGORIES | WITHHELD_ROLES]
    out = []
    for name, columns in wanted.items():
        by_name = {c.name: c for c in cfg.catalog.tables[name].columns}
        out += [by_name[c] for c in columns if by_name[c].role not in NOT_CATEGORIES]
    return out


def data_categories(cfg: RunConfig, lang: str) -> str:
    """"Data the project used: date of birth, sex, region." from the catalog's labels in `lang`, each once;
    a request that reads only keys names the tables it reads."""
    labels = list(dict.fromkeys(column_label(c, lang) for c in read_columns(cfg)))
    if not labels:
        tables = cfg.request.variables or cfg.catalog.tables
        labels = [table_label(cfg.catalog.tables[t], lang) for t in tables]
    return CATEGORIES[lang].format(labels=", ".join(labels))


def write_notices(cfg: RunConfig, folder: Path) -> dict[str, Readability]:
    req = cfg.request
    purpose_text = PURPOSE_TEXT.get(req.purpose, {lang: cfg.purpose.description for lang in LANGUAGES})
    texts = {lang: reader_texts(cfg, lang) for lang in LANGUAGES}
    kinds = {"aggregate": any(o.kind in ("aggregate", "table") for o in req.outputs),
             "anonymised": any(o.kind == "anonymised_records" for o in req.outputs),
             "pseudonymised": any(o.kind == "pseudonymised_records" for o in req.outputs)}
    summaries = {lang: texts[lang].get("notice.summary") or DEFAULT_SUMMARY[lang].format(
        org=texts[lang]["requester.organisation"], purpose=purpose_text[lang]) for lang in LANGUAGES}
    categories = {lang: texts[lang].get("notice.data_categories") or data_categories(cfg, lang)
                  for lang in LANGUAGES}
    retention = {lang: texts[lang]["retention"] for lang in LANGUAGES}
    scores = {}
    for lang in LANGUAGES:
        page = render(f"notice_{lang}.html.j2", {
            "request": req, "purpose": cfg.purpose, "purpose_text": purpose_text, "summary": summaries[lang],
            "data_categories": categories, "retention": retention, "disclosure": cfg.purpose.disclosure,
            "kinds": kinds, "t": texts[lang], "ban_scopes": ban_scopes(cfg, lang)},
            lang=lang)  # dates and numbers as the reader's language writes them
        missing = missing_elements(page)
        if missing:
            raise ExtractorError(f"notice_{lang}: missing GDPR element(s): "
                                 + "; ".join(GDPR_ELEMENTS[m] for m in missing))
        (folder / f"notice_{lang}.html").write_text(page, encoding="utf-8")
        scores[lang] = measure(prose(page), lang)
    return scores
