"""The texts a request gives for its readers: parties, the legal basis, and the notice's own paragraphs.

A text is a string or `{ fi = …, sv = …, en = … }`; the legal basis may be an id (or a list of ids) from
data/legal_bases.toml. Request keeps one plain string of each for reports and logs (plain()), and
every language's text for the patient notices (Request.texts). shown_fields() is the one list of the
texts a notice shows, each with the key the request wrote it under: load_config refuses one that lacks a
language (policy `notice_languages = "required"`), and the notice falls back with a note otherwise.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from extractor.config.toml_fields import Fields, plain


@dataclass(frozen=True)
class Party:
    name: str
    organisation: str
    contact: str
    account: str | None = None  # the requester's airlock account: who may not review the run (self-review)


@dataclass(frozen=True)
class Notice:
    """What the patient notice should say about this extract, in each language."""

    summary: dict[str, str]  # language -> one-paragraph plain-language summary ({}: the notice writes its own)
    data_categories: dict[str, str]  # {}: the labels of the columns the request reads
    retention: dict[str, str] = field(default_factory=dict)  # language -> retention; overrides request.retention


NOTICE_FIELDS = ("title", "requester.organisation", "controller.organisation", "dpo.name", "legal_basis",
                 "retention")
LANGUAGES = ("fi", "sv", "en")


def shown_fields(texts: dict[str, dict[str, str]], notice: Notice) -> dict[str, tuple[str, dict[str, str]]]:
    """Every text the request gives a notice: field -> (the key as the request wrote it, text per language).
    `[notice] retention` is taken language by language before `retention`; a `[notice]` text the request does
    not give is not listed (the notice writes its own in every language: that is no missing language)."""
    out = {name: (f"request.{name}", texts.get(name, {})) for name in NOTICE_FIELDS if name != "retention"}
    out["retention"] = ("notice.retention" if notice.retention else "request.retention",
                        {**texts.get("retention", {}), **notice.retention})
    for name in ("summary", "data_categories"):
        if getattr(notice, name):
            out[f"notice.{name}"] = (f"notice.{name}", getattr(notice, name))
    return out


def missing_hint(key: str, texts: dict[str, str]) -> str:
    """What to write, for a text that lacks a language: said only where it fits the key."""
    if key == "request.legal_basis":
        return ", or a basis id from legal_bases.toml"
    if key == "notice.retention":
        return "; request.retention does not give it either"
    if "*" in texts:
        return '; one string names no language: write { fi = "…", sv = "…", en = "…" }'
    return ""


def party(f: Fields, name: str, texts: dict[str, dict[str, str]]) -> Party:
    p = f.table(name)
    p.reject_unknown({"name", "organisation", "contact", "account"} if name == "requester" else
                     {"name", "organisation", "contact"})
    texts[f"{name}.name"], texts[f"{name}.organisation"] = p.text("name"), p.text("organisation")
    account = p.str("account", None)
    return Party(plain(texts[f"{name}.name"]), plain(texts[f"{name}.organisation"]), p.str("contact"),
                 unicodedata.normalize("NFKC", account).casefold().strip() if account else None)


def legal_basis_texts(r: Fields) -> dict[str, str]:
    from extractor.config.legal_bases import resolve

    value = r.data.get("legal_basis")
    texts, problem = resolve(value)
    if problem:
        raise r.error("legal_basis", problem, value)
    return texts if texts is not None else r.text("legal_basis")


def notice(f: Fields | None) -> Notice:
    """`[notice]`: each text a string or a table { fi = …, sv = …, en = … }, as every other text."""
    if f is None:
        return Notice({}, {})
    f.reject_unknown({"summary", "data_categories", "retention"})
    return Notice(*(f.text(key, {}) for key in ("summary", "data_categories", "retention")))
