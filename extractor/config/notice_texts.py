"""The texts a request gives for its readers: parties, the legal basis, and the notice's own paragraphs.

A text is a string or `{ fi = …, sv = …, en = … }`; the legal basis may be an id (or a list of ids) from
data/legal_bases.toml. Request keeps one plain string of each for reports and logs (plain()), and
every language's text for the patient notices (Request.texts, checked by load_config).
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

    summary: dict[str, str]  # language -> one-paragraph plain-language summary
    data_categories: dict[str, str]
    retention: dict[str, str] = field(default_factory=dict)  # language -> retention in that language


NOTICE_FIELDS = ("title", "requester.organisation", "controller.organisation", "dpo.name", "legal_basis",
                 "retention")


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
    if f is None:
        return Notice({}, {})
    f.reject_unknown({"summary", "data_categories", "retention"})
    out = []
    for key in ("summary", "data_categories", "retention"):
        sub = f.table(key, None)
        out.append({lang: sub.str(lang) for lang in sub.keys()} if sub else {})
    return Notice(*out)
