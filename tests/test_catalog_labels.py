"""Catalog labels and descriptions per language: a string or { fi, sv, en }, read as the request's texts are."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import REPO
from extractor.config.catalog import Catalog, column_label, description_in, load_catalog, table_label
from extractor.errors import ConfigError
from extractor.researcher.codebook import build, render_markdown, render_text

HEAD = '[catalog]\nname = "t"\n[tables.t]\npath = "t.parquet"\n'


def _catalog(tmp_path: Path, table: str, columns: str) -> Catalog:
    path = tmp_path / "catalog.toml"
    path.write_text(HEAD + table + "[tables.t.columns]\n" + columns, encoding="utf-8")
    return load_catalog(path, schema_only=True)


def test_a_label_and_a_description_in_each_language(tmp_path: Path) -> None:
    cat = _catalog(tmp_path, 'label = { fi = "taulu", en = "table" }\ndescription = "One row per client"\n',
                   'birth = { role = "quasi_identifier", label = { fi = "syntymäaika", sv = "födelsedatum", '
                   'en = "date of birth" }, description = { fi = "Syntymäaika", sv = "Födelsedatum", '
                   'en = "Date of birth" } }\nk = "person_key"\n')
    t = cat.tables["t"]
    birth, key = t.columns
    assert [column_label(birth, lang) for lang in ("fi", "sv", "en")] == ["syntymäaika", "födelsedatum",
                                                                          "date of birth"]
    assert birth.description == "Date of birth"  # the plain string current callers read: English
    assert birth.descriptions == {"fi": "Syntymäaika", "sv": "Födelsedatum", "en": "Date of birth"}
    assert description_in(birth, "sv") == "Födelsedatum"
    assert (table_label(t, "fi"), table_label(t, "sv")) == ("taulu", "table")  # else the English label
    assert t.description == "One row per client" and t.descriptions == {"*": "One row per client"}
    assert description_in(t, "fi") == "One row per client"  # one string: every language
    assert column_label(key, "fi") == "k" and key.labels == {} and key.description == ""


def test_without_a_label_the_name_with_spaces(tmp_path: Path) -> None:
    cat = _catalog(tmp_path, "", 'matter_closed_on = { role = "date", description = { sv = "Dag" } }\n')
    col = cat.tables["t"].columns[0]
    assert column_label(col, "en") == "matter closed on"
    assert col.description == "Dag"  # no English: the first given


@pytest.mark.parametrize(("spec", "key"), [
    ('{ role = "other", label = { de = "Alter" } }', "tables.t.columns.c.label"),
    ('{ role = "other", label = "" }', "tables.t.columns.c.label"),
    ('{ role = "other", description = { fi = 3 } }', "tables.t.columns.c.description"),
    ('{ role = "other", lable = "x" }', "tables.t.columns.c.lable"),
])
def test_a_bad_label_or_description_names_the_key(tmp_path: Path, spec: str, key: str) -> None:
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        _catalog(tmp_path, "", f"c = {spec}\n")


def test_a_bad_table_label_names_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"tables\.t\.label: expected a non-empty string or a table"):
        _catalog(tmp_path, "label = { fi = 1 }\n", 'c = "other"\n')


def test_the_example_catalogs_label_what_requests_read() -> None:
    """Every column a demo request names has a label in fi, sv and en (the notices list them)."""
    import tomllib

    for folder in ("registry", "synthea"):
        for request in (REPO / "examples" / folder).glob("*request*.toml"):
            data = tomllib.loads(request.read_text(encoding="utf-8"))
            cat = load_catalog(request.parent / data["request"]["catalog"], schema_only=True)
            for table, columns in data.get("variables", {}).items():
                by_name = {c.name: c for c in cat.tables[table].columns}
                for name in columns:
                    assert set(by_name[name].labels) == {"fi", "sv", "en"}, (request.name, table, name)


def test_the_codebook_speaks_the_chosen_language() -> None:
    from extractor.config.policy import default_policy_path, load_policy

    cat = load_catalog(REPO / "examples" / "registry" / "catalog.toml", schema_only=True)
    book = build(cat, load_policy(default_policy_path()), "research")
    fi, en = render_text(book, "fi"), render_text(book, "en")
    assert "TABLE clients (asiakkaat) — Yksi rivi asiakasta kohden" in fi
    assert "palvelutehtävä — Asiakirjan palvelutehtävä" in fi
    assert "date of birth — Date of birth; use age_at() and age_band()" in en
    assert "| `sex` | kön |" in render_markdown(book, "sv") and "Kön i befolkningsdatasystemet" in \
        render_markdown(book, "sv")
