"""The practice's yearly notice and one person's statement, built from the audit log and run records."""

from __future__ import annotations

import base64
import datetime as dt
import html
import json
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from builders import World, approve_and_release, write_world
from conftest import TEST_KEY, run_env
from extractor import i18n
from extractor.config.load import load_config
from extractor.errors import ExtractorError
from extractor.pipeline import run_extract
from extractor.protect.pseudonym import project_key
from extractor.release.layout import RunFolder
from extractor.release.manifest import Manifest
from extractor.release.store import Store
from extractor.reports.periodic import TEXT, UnknownPerson, organisation_names, person_statement, practice_notice
from extractor.reports.readability import measure, prose
from extractor.reports.transparency import (
    PERSONS_PURPOSE,
    key_in_registry,
    person_status,
    released_under_code,
    statement_tag,
)

D = dt.date
KEY = TEST_KEY.encode()


@pytest.fixture()
def released(tmp_path: Path):
    w = World(clients=[f"P{i}" for i in range(10)],
              documents=[(f"d{i}", f"d{i}", f"P{i}", "R1", "20") for i in range(10)]
              + [("x1", "x1", "P1", "R2", "20")],
              opt_outs=[("P0", D(2020, 1, 1), None), ("Z9", D(2020, 1, 1), None)],  # Z9: in a register only
              bans=[("P1", "registrar", "R2", D(2026, 1, 1), None, "31")])
    cfg = load_config(write_world(w, tmp_path / "world"))
    out = tmp_path / "out"
    result = run_extract(cfg, out, KEY)
    approve_and_release(out, result.run_id, tmp_path / "released")
    return out, result, tmp_path


def test_person_status_per_run(released) -> None:
    _, result, _ = released
    assert person_status(result.run_dir, KEY, "P0") == (False, ["opt_out"])
    assert person_status(result.run_dir, KEY, "P1") == (True, ["disclosure_ban_registrar"])
    assert person_status(result.run_dir, KEY, "P5") == (True, [])
    assert person_status(result.run_dir, KEY, "nobody") is None
    assert person_status(result.run_dir, KEY, "Z9") is None  # a register row of nobody in the tables
    assert not released_under_code(result.run_dir, KEY, "P5")  # an aggregate names nobody
    stored = (result.run_dir / "controller" / "persons.parquet.fernet").read_bytes()
    token = base64.urlsafe_b64decode(stored)  # a Fernet token: version byte, time, IV, AES-CBC, HMAC
    assert token[0] == 0x80  # the version byte; then time, IV, ciphertext and HMAC
    project = Manifest.read(RunFolder(result.run_dir).manifest).project
    plain = Fernet(project_key(KEY, project).encryption_key(PERSONS_PURPOSE)).decrypt(stored)
    assert plain.startswith(b"PAR1") and b"P0" in plain  # what an unencrypted file would have shown
    # no 8 bytes of the Parquet in clear (a 2-byte key like "P0" turns up in random ciphertext by chance)
    windows = {plain[i:i + 8] for i in range(len(plain) - 7)}
    assert not any(token[i:i + 8] in windows for i in range(len(token) - 7))
    assert json.loads((result.run_dir / "controller" / "persons.json").read_text()) == {"included": 9}
    with pytest.raises(ExtractorError, match="cannot decrypt with this key"):
        person_status(result.run_dir, b"another-controller-key-0123456789abcdef", "P5")


def _texts(paths: list[Path]) -> dict[str, str]:
    return {p.name.rsplit("_", 1)[1][:2]: html.unescape(p.read_text(encoding="utf-8")) for p in paths}


def test_person_statement_in_three_languages(released) -> None:
    out, _, tmp = released
    paths = person_statement(Store(out), KEY, "P0", tmp / "statements", today=D(2026, 12, 3))
    tag = statement_tag(KEY, "P0")
    assert [p.name for p in paths] == [f"statement_{tag}_2026-12-03_{lang}.html" for lang in ("fi", "sv", "en")]
    assert len(tag) == 12 and all("P0" not in p.name for p in paths)
    pages = _texts(paths)
    assert TEXT["en"]["not_in_material"] in pages["en"] and "you opted out of secondary use" in pages["en"]
    assert TEXT["fi"]["not_in_material"] in pages["fi"] and "kielsit toissijaisen käytön" in pages["fi"]
    for lang, page in pages.items():
        assert TEXT[lang]["material_note"] in page
        assert measure(prose(page), lang).ok, (lang, measure(prose(page), lang))


def test_in_the_material_is_not_counted_and_each_person_has_their_own_file(released) -> None:
    """An aggregate's run knows that P5's records were in the material the query read, not whether P5 was
    counted: the statement says the first plainly and nothing of the second; P0's file stays beside it."""
    out, _, tmp = released
    folder = tmp / "statements"
    first = person_statement(Store(out), KEY, "P0", folder)
    pages = _texts(person_statement(Store(out), KEY, "P5", folder))
    for lang, page in pages.items():
        assert TEXT[lang]["in_material"] in page and TEXT[lang]["in_release"] not in page
        assert measure(prose(page), lang).ok, (lang, measure(prose(page), lang))
    assert "Your data were used." not in pages["en"] and "counted in" in pages["en"]  # only the note: unknown
    assert all(p.is_file() for p in first) and len(list(folder.iterdir())) == 6


def test_an_unknown_key_writes_nothing(released) -> None:
    out, _, tmp = released
    folder = tmp / "statements"
    with pytest.raises(UnknownPerson, match="were not searched .give --catalog.: nothing written"):
        person_statement(Store(out), KEY, "nobody", folder)
    catalog = tmp / "world" / "catalog.toml"
    with pytest.raises(UnknownPerson, match="no table or register of catalog.toml holds this key"):
        person_statement(Store(out), KEY, "nobody", folder, catalog=catalog)
    assert not folder.exists()
    assert key_in_registry(catalog, None, "Z9") and key_in_registry(catalog, None, "P3")
    pages = _texts(person_statement(Store(out), KEY, "Z9", folder, catalog=catalog))  # held, but read by no run
    assert TEXT["en"]["not_seen"] in pages["en"] and TEXT["en"]["in_material"] not in pages["en"]


def test_notice_person_cli_warns_in_one_line_and_exits_1(released) -> None:
    out, _, tmp = released
    r = subprocess.run([sys.executable, "-m", "extractor.cli", "notice", "person", "C00000042", "--to",
                        str(tmp / "cli"), "--out", str(out)], capture_output=True, text=True, env=run_env(),
                       timeout=300)
    assert r.returncode == 1 and r.stderr.startswith("warning: ") and len(r.stderr.strip().splitlines()) == 1
    assert "C00000042" not in r.stderr and not (tmp / "cli").exists()


def test_practice_notice_lists_released_extracts(released) -> None:
    out, _, tmp = released
    today = dt.date.today()
    year = today.year
    names = organisation_names(["fi=Esimerkin hyvinvointialue", "sv=Exempels välfärdsområde", "en=Example county"])
    paths = practice_notice(Store(out), year, names, tmp / "practice")
    fi, sv, en = (p.read_text(encoding="utf-8") for p in paths)
    assert f"In {year}, <span class=\"name\">Example county</span> shared data with 1 project." in en  # CLDR: one
    assert '<span class="name">Esimerkin hyvinvointialue</span>' in fi and "Exempels välfärdsområde" in sv
    assert "scientific research" in en and "test" in en
    assert "1 hankkeeseen" in fi
    assert f"<dd>{today.day}.{today.month}.{today.year}</dd>" in fi and f"<dd>{today.day}.{today.month}." in sv
    assert f"<dd>{today.day} {today:%b} {today.year}</dd>" in en
    for lang, path in zip(("fi", "sv", "en"), paths, strict=True):
        assert measure(prose(path.read_text()), lang).ok, (lang, measure(prose(path.read_text()), lang))
    empty = practice_notice(Store(out), year - 5, "Example practice", tmp / "practice_old")
    assert "No data were shared this year." in empty[2].read_text()
    assert i18n.number(1161, "fi") == "1\xa0161"  # what a larger count would read as


@pytest.mark.parametrize(("values", "expected"), [
    (["Example county"], {"fi": "Example county", "sv": "Example county", "en": "Example county"}),
    (["Example county", "fi=Esimerkin"], {"fi": "Esimerkin", "sv": "Example county", "en": "Example county"}),
    (["fi=A", "sv=B", "EN = C"], {"fi": "A", "sv": "B", "en": "C"}),
    (["A=B Oy"], {"fi": "A=B Oy", "sv": "A=B Oy", "en": "A=B Oy"}),  # not a language: a name with "="
])
def test_organisation_names(values: list[str], expected: dict[str, str]) -> None:
    assert organisation_names(values) == expected


@pytest.mark.parametrize(("values", "missing"), [(["fi=A", "sv=B"], '"en"'), (["en=C"], '"fi", "sv"')])
def test_an_organisation_missing_a_language_is_refused(values: list[str], missing: str) -> None:
    with pytest.raises(ExtractorError, match=f"^--organisation: no name for {missing} "):
        organisation_names(values)


def test_notice_practice_cli_refuses_a_missing_language(tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "extractor.cli", "notice", "practice", "--year", "2026",
                        "--organisation", "fi=Esimerkin hyvinvointialue", "--organisation", "sv=Exempels",
                        "--to", str(tmp_path / "n"), "--out", str(tmp_path / "out")],
                       capture_output=True, text=True, env=run_env(), timeout=300)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    assert '--organisation: no name for "en"' in r.stderr and not (tmp_path / "n").exists()


def test_a_pseudonymised_release_shows_who_was_in_it(tmp_path: Path) -> None:
    """Where the released file carries the person's code, the statement says so; where it does not, only that
    the records were in the material."""
    w = World(clients=["A", "B", "C"], documents=[("a1", "a1", "A", "R1", "20", "S1", D(2025, 1, 10)),
                                                  ("b1", "b1", "B", "R1", "20", "S1", None)])
    request = write_world(w, tmp_path / "world", query="SELECT client_id FROM documents WHERE matter_closed_on "
                          "IS NOT NULL")
    request.write_text(request.read_text().replace('dimensions = ["service_task"]\ncounts = ["n"]',
                                                   'kind = "pseudonymised_records"\ndimensions = ["client_id"]\n'
                                                   'pseudonyms = ["client_id"]'))
    result = run_extract(load_config(request, today=D(2026, 11, 1)), tmp_path / "out", KEY)
    approve_and_release(tmp_path / "out", result.run_id, tmp_path / "released")
    assert released_under_code(result.run_dir, KEY, "A") and not released_under_code(result.run_dir, KEY, "B")
    a = _texts(person_statement(Store(tmp_path / "out"), KEY, "A", tmp_path / "s"))
    b = _texts(person_statement(Store(tmp_path / "out"), KEY, "B", tmp_path / "s"))
    for lang in ("fi", "sv", "en"):
        assert TEXT[lang]["in_release"] in a[lang] and TEXT[lang]["in_material"] in a[lang]
        assert TEXT[lang]["in_release"] not in b[lang] and TEXT[lang]["in_material"] in b[lang]
        assert measure(prose(a[lang]), lang).ok, (lang, measure(prose(a[lang]), lang))
