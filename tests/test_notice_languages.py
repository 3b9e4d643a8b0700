"""What a notice says: each localised text in every language (refused, or shown in another with a note, as the
policy says), and the data categories from the columns the request reads, in the reader's language."""

from __future__ import annotations

import html
from pathlib import Path

import pytest

from conftest import REPO
from extractor.config.load import MissingLanguage, load_config
from extractor.errors import ConfigError
from extractor.reports import notices

CATALOG = REPO / "examples" / "registry" / "catalog.toml"
QUERY = REPO / "queries" / "audit_documents_by_registrar.sql"
ALL = '{ fi = "%s fi", sv = "%s sv", en = "%s en" }'
NO_EN = '{ fi = "%s fi", sv = "%s sv" }'
# The request's template: each localised text a notice shows, by the name the tests use for it.
TEMPLATE = """[request]
id = "N-1"
title = {title}
purpose = "research"
legal_basis = {legal_basis}
as_of = 2026-06-30
catalog = "{catalog}"
{policy}retention = {retention}
requester = {{ name = "R", organisation = {requester}, contact = "r@example.org" }}
controller = {{ name = "C", organisation = {controller}, contact = "c@example.org" }}
dpo = {{ name = {dpo}, organisation = "Ctrl", contact = "d@example.org" }}
permit = {{ id = "P-1", granted_on = 2026-03-01 }}

{variables}
[[outputs]]
name = "t"
query = "{query}"
dimensions = ["service_task"]
counts = ["n"]

[notice]
{notice}"""
REQUEST_FIELDS = ("title", "legal_basis", "retention", "requester", "controller", "dpo")
NOTICE_FIELDS = ("summary", "data_categories", "notice_retention")
# name in the template -> the key as the request writes it
KEYS = {"title": "request.title", "legal_basis": "request.legal_basis", "retention": "request.retention",
        "requester": "request.requester.organisation", "controller": "request.controller.organisation",
        "dpo": "request.dpo.name", "summary": "notice.summary", "data_categories": "notice.data_categories",
        "notice_retention": "notice.retention"}
VARIABLES = '[variables]\ndocuments = ["client_id", "service_task", "created_on"]\n'


def write_request(folder: Path, fallback: bool = False, variables: str = VARIABLES, **texts: str) -> Path:
    """A request whose every text is in fi, sv and en unless `texts` says otherwise ("" leaves a [notice] text
    out); `fallback`: under a policy with notice_languages = "fallback"."""
    values = {name: ALL % ((name.upper(),) * 3) for name in REQUEST_FIELDS}
    values.update({k: v for k, v in texts.items() if k in REQUEST_FIELDS})
    notice = "".join(f"{'retention' if name == 'notice_retention' else name} = {texts[name]}\n"
                     for name in NOTICE_FIELDS if texts.get(name))
    policy = ""
    if fallback:
        from extractor.config.policy import default_policy_path

        text = default_policy_path().read_text(encoding="utf-8")
        (folder / "policy.toml").write_text(text.replace('notice_languages = "required"',
                                                         'notice_languages = "fallback"'), encoding="utf-8")
        policy = 'policy = "policy.toml"\n'
    path = folder / "request.toml"
    path.write_text(TEMPLATE.format(catalog=CATALOG, query=QUERY, policy=policy, notice=notice,
                                    variables=variables, **values), encoding="utf-8")
    return path


def pages(request: Path, folder: Path) -> dict[str, str]:
    notices.write_notices(load_config(request, schema_only=True), folder)
    return {lang: html.unescape((folder / f"notice_{lang}.html").read_text(encoding="utf-8"))
            for lang in notices.LANGUAGES}


CASES = [(name, mode) for name in KEYS for mode in ("required", "fallback")]


@pytest.mark.parametrize(("name", "mode"), CASES, ids=[f"{n}-{m}" for n, m in CASES])
def test_a_text_without_english(tmp_path: Path, name: str, mode: str) -> None:
    """Under "required": one line naming the key as written and the language; under "fallback": the notice
    shows another language's text with the note."""
    texts = {name: NO_EN % ((name.upper(),) * 2)}
    if name == "notice_retention":  # it is taken before request.retention, language by language
        texts["retention"] = NO_EN % (("RETENTION",) * 2)
    request = write_request(tmp_path, fallback=mode == "fallback", **texts)
    if mode == "required":
        with pytest.raises(MissingLanguage) as caught:
            load_config(request, schema_only=True)
        message = str(caught.value)
        hint = {"legal_basis": ", or a basis id from legal_bases.toml",
                "notice_retention": "; request.retention does not give it either"}.get(name, "")
        assert message == f'{request}: {KEYS[name]}: no text for "en" (expected fi, sv and en{hint})'
        assert isinstance(caught.value, ConfigError) and caught.value.before_data
        return
    shown = pages(request, tmp_path)
    assert f"{name.upper()} fi ({notices.FALLBACK_NOTE['en']})" in shown["en"]
    assert f"{name.upper()} fi" in shown["fi"] and notices.FALLBACK_NOTE["fi"] not in shown["fi"]
    assert f"{name.upper()} sv" in shown["sv"] and notices.FALLBACK_NOTE["sv"] not in shown["sv"]


def test_notice_retention_completes_request_retention_language_by_language(tmp_path: Path) -> None:
    request = write_request(tmp_path, retention='{ en = "ten years" }',
                            notice_retention='{ fi = "kymmenen vuotta", sv = "tio år" }')
    shown = pages(request, tmp_path)
    assert "kymmenen vuotta" in shown["fi"] and "tio år" in shown["sv"] and "ten years" in shown["en"]


def test_one_string_names_no_language(tmp_path: Path) -> None:
    request = write_request(tmp_path, summary='"Researchers count documents."')
    with pytest.raises(MissingLanguage, match=r'notice\.summary: no text for "fi", "sv", "en" \(expected fi, sv '
                                              r'and en; one string names no language: write \{ fi = '):
        load_config(request, schema_only=True)


def test_an_unknown_language_is_refused(tmp_path: Path) -> None:
    request = write_request(tmp_path, summary='{ fi = "a", sv = "b", en = "c", de = "d" }')
    with pytest.raises(ConfigError, match=r"notice\.summary: expected a non-empty string or a table \{ fi"):
        load_config(request, schema_only=True)


def test_no_summary_at_all_is_the_default_in_every_language(tmp_path: Path) -> None:
    shown = pages(write_request(tmp_path), tmp_path)
    assert "REQUESTER fi käyttää tietojasi." in shown["fi"] and "REQUESTER en uses your data." in shown["en"]
    assert not any(notices.FALLBACK_NOTE[lang] in page for lang, page in shown.items())


CATEGORIES = {"fi": "Tietoja, joita hanke käytti: palvelutehtävä, kirjauspäivä.",
              "sv": "Uppgifter som projektet använde: serviceuppgift, anteckningsdag.",
              "en": "Data the project used: service task, date written."}


def test_the_categories_are_exactly_the_columns_the_request_reads(tmp_path: Path) -> None:
    """Reading only service_task and created_on (and the client key, which is no category): those two."""
    shown = pages(write_request(tmp_path), tmp_path)
    for lang, page in shown.items():
        assert f'data-gdpr="categories">{CATEGORIES[lang]}</p>' in page
    assert "sukupuoli" not in shown["fi"] and "kön" not in shown["sv"] and " sex" not in shown["en"]


def test_without_variables_every_column_a_query_could_read(tmp_path: Path) -> None:
    shown = pages(write_request(tmp_path, variables=""), tmp_path)
    fi = shown["fi"][shown["fi"].index('data-gdpr="categories"'):]
    fi = fi[:fi.index("</p>")]
    for label in ("syntymäaika", "sukupuoli", "kuolinpäivä", "palvelutehtävä", "rekisterinpitäjän nimi",
                  "rakenteen tila"):
        assert label in fi
    for withheld in ("henkilötunnus", "etunimet", "muistiinpanon teksti", "asiakas,", "asiakirjan versio"):
        assert withheld not in fi  # identifiers, keys and free text (given only when named) are not listed
    listed = fi[fi.index(": ") + 2:fi.rindex(".")].split(", ")
    assert len(listed) == len(set(listed)) and "rekisterinpitäjä" in listed  # each label once (two tables hold it)


def test_the_requests_own_categories_override(tmp_path: Path) -> None:
    shown = pages(write_request(tmp_path, data_categories=ALL % (("CATS",) * 3)), tmp_path)
    assert 'data-gdpr="categories">CATS en</p>' in shown["en"] and "date written" not in shown["en"]
